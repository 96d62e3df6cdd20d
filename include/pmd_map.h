/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pmd_map.h - map 2 MiB of device memory with one page-table entry.
 *
 * Where the kernel allows it (LDD3_CAN_MAP_FOLIO_PMD, kernel_compat.h),
 * /dev/simplen and scullp map each PMD-sized folio of theirs with one PMD
 * entry from vm_ops->huge_fault, as anonymous memory is mapped with
 * transparent huge pages: one fault per 2 MiB instead of one per 16 pages,
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
#define LDD3_PMD_PAGES		(1UL << LDD3_PMD_ORDER)

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

#endif /* LDD3_PMD_MAP_H */
