/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fault_around.h - map the neighbours of a fault in one go.
 *
 * The page cache maps the existing pages of a 64 KiB window around a read
 * fault (fault-around), so that a sequential reader takes one fault per
 * window (16 pages of 4 KiB, 4 of 16 KiB) instead of one per page.
 * /dev/simplen (simple.c) and the scull devices (scull_core.c) do the same
 * for their RAM pages from ->fault with these helpers, and for write faults
 * in shared mappings too. They are static inline because the two are
 * separate modules. The mapping must be VM_MIXEDMAP, set when it is
 * created: that is what allows vm_insert_pages() on a VMA with a fault
 * handler.
 */
#ifndef LDD3_FAULT_AROUND_H
#define LDD3_FAULT_AROUND_H

#include <linux/kernel.h>
#include <linux/mm.h>

/*
 * The window: the core's default fault_around_bytes, whose tunable value is
 * not visible to modules. A caller collects at most
 * LDD3_FAULT_AROUND_PAGES pages per call (16 with 4 KiB pages).
 */
#define LDD3_FAULT_AROUND_BYTES	(64UL << 10)
#define LDD3_FAULT_AROUND_PAGES	16

/**
 * ldd3_fault_window() - the window of page offsets around a fault
 * @vmf: the fault
 * @start: set to the first page offset of the window (like vmf->pgoff)
 * @end: set to the last page offset of the window
 *
 * The window is the 64 KiB aligned block of virtual addresses holding the
 * fault, clipped to the VMA, as the page cache's fault-around uses. The
 * caller clips it further to the pages it has.
 */
static inline void ldd3_fault_window(const struct vm_fault *vmf,
				     pgoff_t *start, pgoff_t *end)
{
	const struct vm_area_struct *vma = vmf->vma;
	unsigned long lo = ALIGN_DOWN(vmf->address, LDD3_FAULT_AROUND_BYTES);
	unsigned long hi = min(lo + LDD3_FAULT_AROUND_BYTES, vma->vm_end);

	lo = max(lo, vma->vm_start);
	*start = vmf->pgoff - ((vmf->address - lo) >> PAGE_SHIFT);
	*end = *start + ((hi - lo) >> PAGE_SHIFT) - 1;
}

/**
 * ldd3_fault_around_ok() - may this fault map the window around it?
 * @vmf: the fault
 *
 * A read fault may. So may a write fault in a shared mapping whose page
 * protection is writable: device memory has no writeback and no
 * ->page_mkwrite, so nothing needs to see the first write to each page,
 * and vm_insert_pages() maps the window writable. A private write must
 * copy only the page written. When the core keeps a shared mapping's
 * protection read-only to see each first write (soft-dirty tracking after
 * clear_refs), the protection differs from vm_get_page_prot() of its flags:
 * the fault then maps one page, which the core makes writable and dirty.
 * Return: true if the window may be mapped.
 */
static inline bool ldd3_fault_around_ok(const struct vm_fault *vmf)
{
	const struct vm_area_struct *vma = vmf->vma;

	if (!(vmf->flags & FAULT_FLAG_WRITE))
		return true;
	return (vma->vm_flags & VM_SHARED) &&
	       pgprot_val(vma->vm_page_prot) ==
		       pgprot_val(vm_get_page_prot(vma->vm_flags));
}

/**
 * ldd3_insert_pages() - map a run of pages, keeping those already mapped
 * @vma: a VM_MIXEDMAP mapping
 * @addr: user address of @pages[0]
 * @pages: the pages, for consecutive addresses
 * @n: how many
 * @want: index of the faulting page in @pages
 *
 * vm_insert_pages() stops with -EBUSY at a PTE that is already present
 * (another thread faulted that page in): go on after it. It takes a
 * reference on every page it maps, which the core drops at unmap, and may
 * sleep to allocate a page table.
 * Return: true if @pages[@want] was mapped by this call.
 */
static inline bool ldd3_insert_pages(struct vm_area_struct *vma,
				     unsigned long addr, struct page **pages,
				     unsigned long n, unsigned long want)
{
	unsigned long base = 0, left, done;
	bool hit = false;
	int err;

	while (base < n) {
		left = n - base;
		err = vm_insert_pages(vma, addr + (base << PAGE_SHIFT),
				      pages + base, &left);
		done = n - base - left;
		if (want >= base && want < base + done)
			hit = true;
		if (err != -EBUSY)
			break;
		/* pages[base + done] is already mapped: go on after it. */
		base += done + 1;
	}
	return hit;
}

#endif /* LDD3_FAULT_AROUND_H */
