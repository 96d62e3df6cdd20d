// SPDX-License-Identifier: GPL-2.0
/*
 * scull on whole pages from the page allocator (LDD3 15.2.6).
 *
 * Everything but the quantum lives in scull_core.ko. A quantum is
 * 2^scullp_order pages from __get_free_pages(). The book refused to map a
 * device whose order was above 0, because get_page() on a tail page of a
 * plain multi-page allocation is a bug (tail pages have no reference count
 * of their own). __GFP_COMP makes the allocation a compound page: a
 * reference on any page of it is a reference on the whole, so every order
 * can be mapped page by page. A compound page is a folio: at order 9
 * (2 MiB) the core maps each quantum with one PMD entry where the kernel
 * can (scull_huge_fault() in scull_core.c).
 */
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/mm.h>
#include <linux/module.h>

#include "scull.h"

static int scullp_major;
module_param(scullp_major, int, 0444);
MODULE_PARM_DESC(scullp_major, "Major device number (default 0: dynamic)");

static int scullp_devs = 4;
module_param(scullp_devs, int, 0444);
MODULE_PARM_DESC(scullp_devs, "Number of devices /dev/scullpN (default 4)");

static int scullp_qset = 500;
module_param(scullp_qset, int, 0444);
MODULE_PARM_DESC(scullp_qset, "Quanta per set (default 500)");

static int scullp_order;
module_param(scullp_order, int, 0444);
MODULE_PARM_DESC(scullp_order,
		 "Allocation order of a quantum of PAGE_SIZE << order bytes (default 0)");

static void *scullp_alloc(unsigned int order)
{
	/* Zeroed whatever init_on_alloc says: it may be mapped unwritten. */
	gfp_t gfp = scull_gfp | __GFP_ZERO;

	if (order)
		gfp |= __GFP_COMP;
	return (void *)__get_free_pages(gfp, order);
}

static void scullp_free(void *quantum, unsigned int order)
{
	/* Drops our reference; a page still pinned elsewhere lives on. */
	free_pages((unsigned long)quantum, order);
}

static struct page *scullp_page(void *quantum, unsigned long index)
{
	return virt_to_page(quantum + (index << PAGE_SHIFT));
}

static const struct scull_mem_ops scullp_ops = {
	.name = "scullp",
	.alloc = scullp_alloc,
	.free = scullp_free,
	.page = scullp_page,
	.folio_quanta = true,
};

/*
 * read, write, ioctl and mmap (scull.h). mmap is scull_mmap() in
 * scull_core.c; its fault handler, scull_vma_fault(), maps each page from
 * the list scullp_page() made with virt_to_page() when the quantum was allocated.
 */
SCULL_DEFINE_FOPS(scullp_fops);

static struct scull_driver *scullp_driver;

static int __init scullp_init(void)
{
	const struct scull_params params = {
		.major = scullp_major,
		.devs = scullp_devs,
		.qset = scullp_qset,
		.order = scullp_order,
	};

	scullp_driver = scull_register(&scullp_ops, &params, &scullp_fops);
	return PTR_ERR_OR_ZERO(scullp_driver);
}

static void __exit scullp_exit(void)
{
	scull_unregister(scullp_driver);
}

module_init(scullp_init);
module_exit(scullp_exit);

MODULE_DESCRIPTION("scullp: RAM devices of whole pages, mappable at any order");
MODULE_LICENSE("GPL");
MODULE_AUTHOR("Alessandro Rubini, Jonathan Corbet; modern port: ldd3-mmap");
MODULE_VERSION(LDD3_MMAP_VERSION);
