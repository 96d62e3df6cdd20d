/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kernel_compat.h - every kernel version difference the drivers meet.
 *
 * The drivers support Linux 5.10 and later. Each block below names the
 * release that changed an interface; call sites use only the ldd3_* names
 * defined here and never test LINUX_VERSION_CODE themselves.
 */
#ifndef LDD3_KERNEL_COMPAT_H
#define LDD3_KERNEL_COMPAT_H

#include <linux/version.h>
#include <linux/device.h>
#include <linux/mm.h>

/* 6.4 dropped the owner argument of class_create(). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define ldd3_class_create(name)	class_create(name)
#else
#define ldd3_class_create(name)	class_create(THIS_MODULE, name)
#endif

/* 6.2 made the device argument of class->devnode() const. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define LDD3_DEVNODE_CONST	const
#else
#define LDD3_DEVNODE_CONST
#endif

/*
 * 6.3 made vma->vm_flags read-only behind vm_flags_set()/vm_flags_clear().
 * The project's own name avoids a clash with vendor kernels that backport
 * vm_flags_set() to older releases.
 */
static inline void ldd3_vm_flags_set(struct vm_area_struct *vma,
				     vm_flags_t flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

static inline void ldd3_vm_flags_clear(struct vm_area_struct *vma,
				       vm_flags_t flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_clear(vma, flags);
#else
	vma->vm_flags &= ~flags;
#endif
}

/*
 * 5.16 replaced mem_encrypt_active() with cc_platform_has(): is memory
 * encrypted (AMD SME/SEV, Intel TDX), so that DMA buffers are mapped
 * decrypted and only the DMA API knows their page protection?
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 16, 0)
#include <linux/cc_platform.h>
#define ldd3_mem_encrypted()	cc_platform_has(CC_ATTR_MEM_ENCRYPT)
#else
#include <linux/mem_encrypt.h>
#define ldd3_mem_encrypted()	mem_encrypt_active()
#endif

/*
 * 5.12 made vm_operations_struct.map_pages return vm_fault_t (void before).
 * Write the handler as vm_fault_t fn(vmf, start_pgoff, end_pgoff), put
 * LDD3_MAP_PAGES_WRAPPER(fn) after it and set .map_pages = ldd3_map_pages(fn).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 12, 0)
#define LDD3_MAP_PAGES_WRAPPER(fn)
#define ldd3_map_pages(fn)	(fn)
#else
#define LDD3_MAP_PAGES_WRAPPER(fn)					\
static void fn##_void(struct vm_fault *vmf, pgoff_t start, pgoff_t end) \
{									\
	fn(vmf, start, end);						\
}

#define ldd3_map_pages(fn)	(fn##_void)
#endif

/*
 * 7.1 completed f_op->mmap_prepare, the path the kernel now recommends
 * (.mmap is deprecated there; the two are exclusive). The driver describes
 * the new mapping in a struct vm_area_desc before the VMA exists, may ask
 * the core to remap a pfn range once it does (mmap_action_remap_full()),
 * and counts the new mapping in vm_ops->mapped(), which the core calls
 * where .mmap methods call vm_ops->open() themselves.
 *
 * The drivers are written once in that style:
 *
 *	static int foo_mmap_prepare(LDD3_MMAP_DESC *desc) { ... }
 *	LDD3_MMAP_PREPARE_WRAPPER(foo_mmap_prepare)
 *	file_operations:	ldd3_mmap_prepare_op(foo_mmap_prepare),
 *	vm_operations_struct:	.open = ..., LDD3_VM_MAPPED(foo_vma_mapped)
 *
 * Before 7.1, struct ldd3_mmap_desc stands in for vm_area_desc (same
 * field names) and the wrapper is the .mmap method that does the core's
 * part: run prepare, apply it to the VMA, do the remap, then announce the
 * VMA with vm_ops->open(), as the book does (->mapped does not exist yet,
 * so the driver marks its mapped function __maybe_unused).
 * Flags are read and changed through the ldd3_desc_*() helpers, because
 * 7.x keeps them in a bitmap (vma_flags_t) instead of vm_flags.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 1, 0)
#define LDD3_MMAP_DESC	struct vm_area_desc

static inline bool ldd3_desc_shared(const struct vm_area_desc *desc)
{
	return vma_desc_test(desc, VMA_SHARED_BIT);
}

static inline bool ldd3_desc_writable(const struct vm_area_desc *desc)
{
	return vma_desc_test(desc, VMA_WRITE_BIT);
}

/* mprotect(PROT_WRITE) on the mapping will fail with EACCES. */
static inline void ldd3_desc_deny_write(struct vm_area_desc *desc)
{
	vma_desc_clear_flags(desc, VMA_MAYWRITE_BIT);
}

/* What remap_pfn_range() sets: page tables without struct page behind. */
static inline void ldd3_desc_set_pfnmap(struct vm_area_desc *desc)
{
	vma_desc_set_flags(desc, VMA_IO_BIT, VMA_PFNMAP_BIT,
			   VMA_DONTEXPAND_BIT, VMA_DONTDUMP_BIT);
}

/* vm_insert_page(s) outside the fault path needs VM_MIXEDMAP. */
static inline void ldd3_desc_set_mixedmap(struct vm_area_desc *desc)
{
	vma_desc_set_flags(desc, VMA_MIXEDMAP_BIT);
}

#define ldd3_mmap_action_remap_full(desc, pfn)			\
	mmap_action_remap_full(desc, pfn)
#define ldd3_mmap_action_ioremap_full(desc, pfn)		\
	mmap_action_ioremap_full(desc, pfn)
#define LDD3_MMAP_PREPARE_WRAPPER(prepare)
#define ldd3_mmap_prepare_op(prepare)	.mmap_prepare = (prepare)
#define LDD3_VM_MAPPED(fn)		.mapped = (fn),
#else
enum ldd3_mmap_action_type {
	LDD3_MMAP_NOTHING,
	LDD3_MMAP_REMAP_PFN,
	LDD3_MMAP_IO_REMAP_PFN,
};

struct ldd3_mmap_desc {
	struct vm_area_struct *vma;	/* for the flag helpers only */
	struct file *file;
	unsigned long start;
	unsigned long end;
	pgoff_t pgoff;
	pgprot_t page_prot;
	const struct vm_operations_struct *vm_ops;
	void *private_data;
	struct {
		enum ldd3_mmap_action_type type;
		unsigned long start_pfn;
	} action;
};

#define LDD3_MMAP_DESC	struct ldd3_mmap_desc

static inline bool ldd3_desc_shared(const struct ldd3_mmap_desc *desc)
{
	return desc->vma->vm_flags & VM_SHARED;
}

static inline bool ldd3_desc_writable(const struct ldd3_mmap_desc *desc)
{
	return desc->vma->vm_flags & VM_WRITE;
}

static inline void ldd3_desc_deny_write(struct ldd3_mmap_desc *desc)
{
	ldd3_vm_flags_clear(desc->vma, VM_MAYWRITE);
}

static inline void ldd3_desc_set_pfnmap(struct ldd3_mmap_desc *desc)
{
	ldd3_vm_flags_set(desc->vma,
			  VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
}

static inline void ldd3_desc_set_mixedmap(struct ldd3_mmap_desc *desc)
{
	ldd3_vm_flags_set(desc->vma, VM_MIXEDMAP);
}

static inline void ldd3_mmap_action_remap_full(struct ldd3_mmap_desc *desc,
					       unsigned long pfn)
{
	desc->action.type = LDD3_MMAP_REMAP_PFN;
	desc->action.start_pfn = pfn;
}

static inline void ldd3_mmap_action_ioremap_full(struct ldd3_mmap_desc *desc,
						 unsigned long pfn)
{
	desc->action.type = LDD3_MMAP_IO_REMAP_PFN;
	desc->action.start_pfn = pfn;
}

/* The core's part of mmap_prepare, done from .mmap: see above. */
static inline int ldd3_mmap_apply(struct ldd3_mmap_desc *desc)
{
	struct vm_area_struct *vma = desc->vma;
	unsigned long size = vma->vm_end - vma->vm_start;
	int ret = 0;

	vma->vm_pgoff = desc->pgoff;
	vma->vm_page_prot = desc->page_prot;
	vma->vm_ops = desc->vm_ops;
	vma->vm_private_data = desc->private_data;
	if (desc->action.type == LDD3_MMAP_REMAP_PFN)
		ret = remap_pfn_range(vma, vma->vm_start,
				      desc->action.start_pfn, size,
				      vma->vm_page_prot);
	else if (desc->action.type == LDD3_MMAP_IO_REMAP_PFN)
		ret = io_remap_pfn_range(vma, vma->vm_start,
					 desc->action.start_pfn, size,
					 vma->vm_page_prot);
	if (ret)
		return ret;
	if (vma->vm_ops && vma->vm_ops->open)
		vma->vm_ops->open(vma);
	return 0;
}

#define LDD3_MMAP_PREPARE_WRAPPER(prepare)				\
static int prepare##_mmap(struct file *file, struct vm_area_struct *vma) \
{									\
	struct ldd3_mmap_desc desc = {					\
		.vma = vma,						\
		.file = file,						\
		.start = vma->vm_start,					\
		.end = vma->vm_end,					\
		.pgoff = vma->vm_pgoff,					\
		.page_prot = vma->vm_page_prot,				\
	};								\
	int ret = prepare(&desc);					\
									\
	return ret ? ret : ldd3_mmap_apply(&desc);			\
}

#define ldd3_mmap_prepare_op(prepare)	.mmap = prepare##_mmap
#define LDD3_VM_MAPPED(fn)
#endif

#endif /* LDD3_KERNEL_COMPAT_H */
