/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pmd_map.h - map 2 MiB of device memory with one page-table entry.
 *
 * Where the kernel allows it (LDD3_CAN_MAP_FOLIO_PMD, kernel_compat.h),
 * /dev/simplen and scullp map each PMD-sized folio of theirs with one PMD
 * entry from vm_ops->huge_fault, as anonymous memory is mapped with
 * transparent huge pages: one fault per 2 MiB instead of one per 64 KiB,
 * and one TLB entry instead of 512. Only where the mapping allows it: the
 * block of the file must be a whole folio of the device, and the VMA must
 * place it at a 2 MiB aligned address. Everything else takes 4 KiB pages
 * from ->fault. The core splits a PMD back into 4 KiB pages (by unmapping
 * it: the next access faults them in) when part of it is unmapped,
 * protected or moved. The helpers are static inline because the two
 * drivers are separate modules.
 */
#ifndef LDD3_PMD_MAP_H
#define LDD3_PMD_MAP_H

#include <linux/kernel.h>
#include <linux/mm.h>

#include "kernel_compat.h"

/* Pages per PMD entry: 512 with 4 KiB pages. */
#define LDD3_PMD_ORDER		(PMD_SHIFT - PAGE_SHIFT)
#define LDD3_PMD_PAGES		BIT(LDD3_PMD_ORDER)

/**
 * ldd3_vma_holds_pmd() - could a new mapping hold a PMD entry?
 * @start: its first address
 * @end: the address after it
 * @pgoff: the page offset mapped at @start
 *
 * True if the kernel can map folios with PMDs and the mapping places at
 * least one 2 MiB aligned block of file offsets, whole, at a 2 MiB aligned
 * address. The file's get_unmapped_area (thp_get_unmapped_area()) chooses
 * such an address for any mapping that holds an aligned block.
 */
static inline bool ldd3_vma_holds_pmd(unsigned long start, unsigned long end,
				      pgoff_t pgoff)
{
	unsigned long first = ALIGN(start, PMD_SIZE);

	if (!LDD3_CAN_MAP_FOLIO_PMD)
		return false;
	/* Address and offset must be congruent modulo 2 MiB. */
	if (!IS_ALIGNED(start - (pgoff << PAGE_SHIFT), PMD_SIZE))
		return false;
	return first >= start && first < end && end - first >= PMD_SIZE;
}

/**
 * ldd3_pmd_fault_block() - the block of file pages a huge fault would map
 * @vmf: a fault that the core offers to vm_ops->huge_fault
 * @order: the order it asks for
 * @first: set to the page offset of the block's first page
 *
 * The core calls ->huge_fault for a PMD only after checking that the
 * policy (/sys/kernel/mm/transparent_hugepage/enabled, MADV_NOHUGEPAGE,
 * prctl) allows it, but leaves the geometry to the driver: the 2 MiB
 * block holding the fault must lie inside the VMA, at an address
 * congruent to its file offset. A write fault in a private mapping must
 * copy one page, never map the device writable: it falls back too.
 * Return: true if a PMD may map the block at @first.
 */
static inline bool ldd3_pmd_fault_block(const struct vm_fault *vmf,
					unsigned int order, pgoff_t *first)
{
	const struct vm_area_struct *vma = vmf->vma;
	unsigned long haddr = vmf->address & PMD_MASK;

	if (order != LDD3_PMD_ORDER)
		return false;
	if ((vmf->flags & FAULT_FLAG_WRITE) && !(vma->vm_flags & VM_SHARED))
		return false;
	if (haddr < vma->vm_start || vma->vm_end - haddr < PMD_SIZE)
		return false;
	if (!IS_ALIGNED(vma->vm_start - (vma->vm_pgoff << PAGE_SHIFT),
			PMD_SIZE))
		return false;
	*first = vmf->pgoff - ((vmf->address - haddr) >> PAGE_SHIFT);
	return true;
}

/* Is @page part of a folio the core could map with a PMD entry? */
static inline bool ldd3_page_in_pmd_folio(struct page *page)
{
	return compound_order(compound_head(page)) >= LDD3_PMD_ORDER;
}

/**
 * ldd3_fault_page() - finish a 4 KiB fault with one page of the device
 * @vmf: the fault
 * @page: the page at vmf->pgoff
 *
 * The book's way: hand the page to the core in vmf->page with a reference
 * of its own, which the core drops at unmap (for a private write the core
 * maps a copy instead). But given a page of a PMD-sized folio in a
 * suitably aligned VMA, kernels up to 6.15 map the whole folio with a PMD
 * (do_set_pmd(), the page cache's path), past the device's end if the
 * folio goes there, and in a VM_MIXEDMAP VMA they then split or unmap that
 * PMD without dropping its reference (the folio leaks). So in such a VMA
 * the page is mapped here, with vm_insert_page(), using the mapping's own
 * protection: a shared write the core must see (soft-dirty) then takes a
 * second fault, which makes the entry writable. scull makes every VMA of
 * 2 MiB quanta VM_MIXEDMAP, unless it maps PMDs itself: a quantum may
 * reach past the device's end. simple's folios never do; a VMA of them
 * that is neither (fault_around=0) may get a PMD from the core, which it
 * then handles right.
 * Return: 0 with vmf->page set, VM_FAULT_NOPAGE, or VM_FAULT_OOM.
 */
static inline vm_fault_t ldd3_fault_page(struct vm_fault *vmf,
					 struct page *page)
{
	struct vm_area_struct *vma = vmf->vma;
	int err;

	/* Not for a private write: the core maps a copy then. */
	if ((vma->vm_flags & VM_MIXEDMAP) && ldd3_page_in_pmd_folio(page) &&
	    ((vma->vm_flags & VM_SHARED) || !(vmf->flags & FAULT_FLAG_WRITE))) {
		err = vm_insert_page(vma, vmf->address & PAGE_MASK, page);
		/* -EBUSY: another thread mapped it first. */
		if (!err || err == -EBUSY)
			return VM_FAULT_NOPAGE;
		return err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
	}
	get_page(page);
	vmf->page = page;
	return 0;
}

#endif /* LDD3_PMD_MAP_H */
