// SPDX-License-Identifier: GPL-2.0
/*
 * scull on vmalloc() memory (LDD3 15.2.7).
 *
 * Everything but the quantum lives in scull_core.ko. A quantum is
 * PAGE_SIZE << scullv_order bytes of virtually contiguous memory, built by
 * vmalloc from single pages. A vmalloc address has no linear-map
 * counterpart, so virt_to_page() does not apply: vmalloc_to_page() walks
 * the kernel page tables for the page of each address: scullv_page() asks
 * it for every page of a quantum once, when the quantum is allocated, and
 * the fault handler in scull_core.c (scull_vma_fault) maps from that list.
 */
#include <linux/init.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/vmalloc.h>

#include "scull.h"

static int scullv_major;
module_param(scullv_major, int, 0444);
MODULE_PARM_DESC(scullv_major, "Major device number (default 0: dynamic)");

static int scullv_devs = 4;
module_param(scullv_devs, int, 0444);
MODULE_PARM_DESC(scullv_devs, "Number of devices /dev/scullvN (default 4)");

static int scullv_qset = 500;
module_param(scullv_qset, int, 0444);
MODULE_PARM_DESC(scullv_qset, "Quanta per set (default 500)");

static int scullv_order = 4;
module_param(scullv_order, int, 0444);
MODULE_PARM_DESC(scullv_order,
		 "Size of a quantum as PAGE_SIZE << order bytes (default 4)");

static void *scullv_alloc(unsigned int order)
{
	/* Zeroed whatever init_on_alloc says: it may be mapped unwritten. */
	return __vmalloc(PAGE_SIZE << order, scull_gfp | __GFP_ZERO);
}

static void scullv_free(void *quantum, unsigned int order)
{
	vfree(quantum);
}

static struct page *scullv_page(void *quantum, unsigned long index)
{
	return vmalloc_to_page(quantum + (index << PAGE_SHIFT));
}

static const struct scull_mem_ops scullv_ops = {
	.name = "scullv",
	.alloc = scullv_alloc,
	.free = scullv_free,
	.page = scullv_page,
};

/*
 * read, write, ioctl and mmap (scull.h). mmap is scull_mmap() in
 * scull_core.c; its fault handler, scull_vma_fault(), maps each page from
 * the list scullv_page() made with vmalloc_to_page() when the quantum was allocated.
 */
SCULL_DEFINE_FOPS(scullv_fops);

static struct scull_driver *scullv_driver;

static int __init scullv_init(void)
{
	const struct scull_params params = {
		.major = scullv_major,
		.devs = scullv_devs,
		.qset = scullv_qset,
		.order = scullv_order,
	};

	scullv_driver = scull_register(&scullv_ops, &params, &scullv_fops);
	return PTR_ERR_OR_ZERO(scullv_driver);
}

static void __exit scullv_exit(void)
{
	scull_unregister(scullv_driver);
}

module_init(scullv_init);
module_exit(scullv_exit);

MODULE_DESCRIPTION("scullv: RAM devices on vmalloc memory, mappable at any order");
MODULE_LICENSE("GPL");
MODULE_AUTHOR("Alessandro Rubini, Jonathan Corbet; modern port: ldd3-mmap");
MODULE_VERSION(LDD3_MMAP_VERSION);
