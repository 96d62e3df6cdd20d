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
 * 6.16: a driver can map a PMD-sized folio of its own (a compound page of
 * PMD order, 2 MiB with 4 KiB pages) with one PMD entry, from
 * vm_ops->huge_fault, with vmf_insert_folio_pmd(). 6.15 added it for
 * fs-dax; 6.16 stopped marking the entry special, which had hidden the
 * folio from get_user_pages() (vmsplice, O_DIRECT) and from rmap (the fix
 * went to 6.15.y too, whose releases this header cannot tell apart).
 * Before, a driver had only vmf_insert_pfn_pmd(), whose entry is special
 * (6.12+) or a devmap one: no struct page for get_user_pages(). So the
 * huge_fault signature change of 6.5 (enum page_entry_size, then an
 * order) never matters here: the drivers set .huge_fault only where it
 * takes an order. The VMA must be neither VM_PFNMAP nor VM_MIXEDMAP:
 * splitting a PMD (munmap, mprotect or mremap of part of it) drops the
 * folio's reference only in an ordinary VMA (__split_huge_pmd_locked()
 * as read in 6.12, 7.2 and 7.3; in 6.12 unmapping it too). Where this
 * is missing, ldd3_huge_fault(fn) and ldd3_get_unmapped_area are NULL
 * and ldd3_insert_folio_pmd() falls back to 4 KiB pages.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 16, 0) && \
	defined(CONFIG_TRANSPARENT_HUGEPAGE)
#include <linux/huge_mm.h>
#define LDD3_CAN_MAP_FOLIO_PMD		true
#define ldd3_huge_fault(fn)		(fn)
#define ldd3_get_unmapped_area		thp_get_unmapped_area

static inline vm_fault_t ldd3_insert_folio_pmd(struct vm_fault *vmf,
					       struct page *head, bool write)
{
	return vmf_insert_folio_pmd(vmf, page_folio(head), write);
}
#else
#define LDD3_CAN_MAP_FOLIO_PMD		false
#define ldd3_huge_fault(fn)		NULL
#define ldd3_get_unmapped_area		NULL

static inline vm_fault_t ldd3_insert_folio_pmd(struct vm_fault *vmf,
					       struct page *head, bool write)
{
	return VM_FAULT_FALLBACK;
}
#endif

/*
 * 5.13 added dma_mmap_pages(), the mapping of a dma_alloc_pages() buffer
 * (commit eedb0b12d091). Before, it is the same remap_pfn_range().
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 13, 0)
#define ldd3_dma_mmap_pages	dma_mmap_pages
#else
static inline int ldd3_dma_mmap_pages(struct device *dev,
				      struct vm_area_struct *vma, size_t size,
				      struct page *page)
{
	unsigned long count = PAGE_ALIGN(size) >> PAGE_SHIFT;

	if (vma->vm_pgoff >= count || vma_pages(vma) > count - vma->vm_pgoff)
		return -ENXIO;
	return remap_pfn_range(vma, vma->vm_start,
			       page_to_pfn(page) + vma->vm_pgoff,
			       vma_pages(vma) << PAGE_SHIFT, vma->vm_page_prot);
}
#endif

/*
 * Before 6.17, DMA API debugging recorded a dma_alloc_pages() buffer as a
 * streaming mapping, and dma_free_pages() reported "device driver failed
 * to check map error" unless dma_mapping_error() had seen its address
 * (fixed by commit 7e2368a21741, "dma-debug: don't enforce dma mapping
 * check on noncoherent allocations", backported to 6.12 but not to 6.1).
 * Asking is harmless: a returned page always comes with a valid address.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 17, 0)
#include <linux/dma-mapping.h>
static inline void ldd3_dma_pages_debug_checked(struct device *dev,
						dma_addr_t dma)
{
	dma_mapping_error(dev, dma);
}
#else
static inline void ldd3_dma_pages_debug_checked(struct device *dev,
						dma_addr_t dma)
{
}
#endif

/* 5.18 renamed struct dma_buf_map, where dma-buf's vmap puts the address. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 18, 0)
#define ldd3_dma_buf_map		iosys_map
#define ldd3_dma_buf_map_set_vaddr	iosys_map_set_vaddr
#else
#define ldd3_dma_buf_map		dma_buf_map
#define ldd3_dma_buf_map_set_vaddr	dma_buf_map_set_vaddr
#endif

/*
 * 5.11 made dma_buf_ops.vmap return an error code and hand the kernel
 * address back in a struct dma_buf_map; before, it returned the address.
 * Write void *fn(dmabuf), which returns the address, put
 * LDD3_DMA_BUF_VMAP_WRAPPER(fn) after it and set
 * .vmap = ldd3_dma_buf_vmap(fn).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 11, 0)
#define LDD3_DMA_BUF_VMAP_WRAPPER(fn)					\
static int fn##_map(struct dma_buf *dmabuf, struct ldd3_dma_buf_map *map) \
{									\
	ldd3_dma_buf_map_set_vaddr(map, fn(dmabuf));			\
	return 0;							\
}

#define ldd3_dma_buf_vmap(fn)	(fn##_map)
#else
#define LDD3_DMA_BUF_VMAP_WRAPPER(fn)
#define ldd3_dma_buf_vmap(fn)	(fn)
#endif

/*
 * 5.16 put the dma-buf functions in the DMA_BUF symbol namespace, which a
 * module must import; 6.13 made MODULE_IMPORT_NS() take a string.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define LDD3_IMPORT_DMA_BUF_NS()	MODULE_IMPORT_NS("DMA_BUF")
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(5, 16, 0)
#define LDD3_IMPORT_DMA_BUF_NS()	MODULE_IMPORT_NS(DMA_BUF)
#else
#define LDD3_IMPORT_DMA_BUF_NS()
#endif

/*
 * 7.1 completed f_op->mmap_prepare, the method the kernel now recommends
 * (.mmap is deprecated there; the two are exclusive). It describes the new
 * mapping in a struct vm_area_desc before the VMA exists, may ask the core
 * to remap a pfn range once it does (mmap_action_remap_full()), and counts
 * the mapping in vm_ops->mapped(), which the core calls where an .mmap
 * method calls vm_ops->open() itself. A driver writes its classic .mmap,
 * which kernels before 7.1 run (and 7.1+ still accept), and its
 * .mmap_prepare inside #ifdef LDD3_HAVE_MMAP_PREPARE, and names both in
 * its file_operations with LDD3_MMAP_OP(mmap, mmap_prepare): the one
 * version choice a driver makes.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 1, 0)
#define LDD3_HAVE_MMAP_PREPARE
#define LDD3_MMAP_OP(mmap_fn, prepare_fn)	.mmap_prepare = (prepare_fn)
#else
#define LDD3_MMAP_OP(mmap_fn, prepare_fn)	.mmap = (mmap_fn)
#endif

#endif /* LDD3_KERNEL_COMPAT_H */
