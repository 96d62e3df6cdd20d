/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scull.h - in-kernel interface of scull_core.ko.
 *
 * scull_core.ko implements everything scullp.ko and scullv.ko have in
 * common: device storage, read/write/llseek/ioctl, truncation on a
 * write-only open, /proc/<name>mem, and mmap through a fault handler with
 * VMA accounting. A leaf module only says how one quantum (PAGE_SIZE << order
 * bytes) is allocated, freed and turned into the struct page of one of its
 * pages, then registers its devices.
 */
#ifndef SCULL_H
#define SCULL_H

#include <linux/module.h>
#include <linux/mm_types.h>

/**
 * struct scull_mem_ops - how a leaf module manages one quantum
 * @name: base name of the devices ("scullp" gives /dev/scullp0...), of the
 *	device class and of the /proc file (/proc/scullpmem)
 * @alloc: return a zero-filled quantum of PAGE_SIZE << @order bytes, or NULL;
 *	it must be zeroed whatever init_on_alloc says, as it may be mapped
 *	or read before anything is written to it
 * @free: release a quantum returned by @alloc with the same order
 * @page: the struct page holding page @index (0 .. (1 << order) - 1) of the
 *	quantum; must not sleep (called from the fault path)
 */
struct scull_mem_ops {
	const char *name;
	void *(*alloc)(unsigned int order);
	void (*free)(void *quantum, unsigned int order);
	struct page *(*page)(void *quantum, unsigned long index);
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

struct scull_driver *__scull_register(const struct scull_mem_ops *ops,
				      const struct scull_params *params,
				      struct module *owner);
void scull_unregister(struct scull_driver *drv);

/*
 * The devices' file operations belong to the calling module, so an open
 * or mapped device pins the leaf module (and, through it, the core).
 */
#define scull_register(ops, params) __scull_register(ops, params, THIS_MODULE)

#endif /* SCULL_H */
