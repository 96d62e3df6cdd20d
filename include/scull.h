/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scull.h - in-kernel interface of scull_core.ko.
 *
 * scull_core.ko implements everything scullp.ko and scullv.ko have in
 * common: device storage, read/write/llseek/ioctl, truncation on a
 * write-only open, /proc/<name>mem, and mmap through a fault handler with
 * VMA accounting. A leaf module only says how one quantum (PAGE_SIZE << order
 * bytes) is allocated, freed and turned into the struct page of one of its
 * pages, defines its file operations with SCULL_DEFINE_FOPS() and registers
 * its devices.
 */
#ifndef SCULL_H
#define SCULL_H

#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/module.h>
#include <linux/mm_types.h>

#include "kernel_compat.h"

/**
 * struct scull_mem_ops - how a leaf module manages one quantum
 * @name: base name of the devices ("scullp" gives /dev/scullp0...), of the
 *	device class and of the /proc file (/proc/scullpmem)
 * @alloc: return a zero-filled quantum of PAGE_SIZE << @order bytes, or NULL;
 *	it must be zeroed whatever init_on_alloc says, as it may be mapped
 *	or read before anything is written to it, and allocated with
 *	scull_gfp, so that it is charged to the writer and fails rather
 *	than invoke the OOM killer
 * @free: release a quantum returned by @alloc with the same order
 * @page: the struct page holding page @index (0 .. (1 << order) - 1) of the
 *	quantum; called once per page when the quantum is allocated (the
 *	core keeps the answers for the fault path)
 * @folio_quanta: a quantum is one folio (a compound page); at PMD order
 *	(9 with 4 KiB pages) the core maps it with one PMD entry where the
 *	kernel can (pmd_map.h)
 */
struct scull_mem_ops {
	const char *name;
	void *(*alloc)(unsigned int order);
	void (*free)(void *quantum, unsigned int order);
	struct page *(*page)(void *quantum, unsigned long index);
	bool folio_quanta;
};

/**
 * struct scull_params - load-time parameters of a leaf module
 * @major: major number, 0 for a dynamic one
 * @devs: number of devices
 * @qset: quanta per set, default of every device
 * @order: allocation order of a quantum, default of every device
 */
struct scull_params {
	int major;
	int devs;
	int qset;
	int order;
};

struct scull_driver;

/* What a leaf's @alloc passes to the allocator (see scull_core.c). */
extern const gfp_t scull_gfp;

struct scull_driver *scull_register(const struct scull_mem_ops *ops,
				    const struct scull_params *params,
				    const struct file_operations *fops);
void scull_unregister(struct scull_driver *drv);

int scull_open(struct inode *inode, struct file *filp);
int scull_release(struct inode *inode, struct file *filp);
ssize_t scull_read_iter(struct kiocb *iocb, struct iov_iter *to);
ssize_t scull_write_iter(struct kiocb *iocb, struct iov_iter *from);
loff_t scull_llseek(struct file *filp, loff_t off, int whence);
long scull_ioctl(struct file *filp, unsigned int cmd, unsigned long arg);
int scull_mmap(struct file *filp, struct vm_area_struct *vma);
#ifdef LDD3_HAVE_MMAP_PREPARE
int scull_mmap_prepare(struct vm_area_desc *desc);
#endif

/*
 * SCULL_DEFINE_FOPS(name) defines the file operations of a leaf module's
 * devices. They must be the leaf's own (.owner = THIS_MODULE of the leaf):
 * an open file or a mapping then pins the leaf module, and through it the
 * core, so rmmod fails with EBUSY while a device is open or mapped. The
 * mapping is scull_mmap() (on 7.1+, scull_mmap_prepare()) in scull_core.c,
 * and its fault handler scull_vma_fault() beside it.
 */
#define SCULL_DEFINE_FOPS(name)						\
static const struct file_operations name = {				\
	.owner = THIS_MODULE,						\
	.llseek = scull_llseek,						\
	.read_iter = scull_read_iter,					\
	.write_iter = scull_write_iter,					\
	.unlocked_ioctl = scull_ioctl,					\
	.compat_ioctl = compat_ptr_ioctl,				\
	LDD3_MMAP_OP(scull_mmap, scull_mmap_prepare),			\
	/* An address where a 2 MiB quantum can take a PMD entry. */	\
	.get_unmapped_area = ldd3_get_unmapped_area,			\
	/* RAM: nothing to write back; msync(MS_SYNC) and fsync() succeed */ \
	.fsync = noop_fsync,						\
	.open = scull_open,						\
	.release = scull_release,					\
}

#endif /* SCULL_H */
