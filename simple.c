// SPDX-License-Identifier: GPL-2.0
/*
 * simple: "Simple Implementation Mapping Pages with Little Enthusiasm"
 *
 * The mmap example of Linux Device Drivers, 3rd edition, section 15.2,
 * rebuilt for Linux 5.10 and later. Two device nodes map the same region:
 *
 *   /dev/simpler (minor 0) builds the page tables of the whole VMA at mmap
 *       time with remap_pfn_range(), or io_remap_pfn_range() for device
 *       memory (book section 15.2.2);
 *   /dev/simplen (minor 1) maps nothing at mmap time and installs pages
 *       from its .fault handler, the modern form of the book's nopage
 *       method (15.2.4): one page per fault as in the book, or with
 *       fault_around=1 (the default) on the RAM buffer the 64 KiB window
 *       around a read fault, as the page cache does, and around a write
 *       fault in a shared mapping.
 *
 * The book maps physical address == file offset, a second /dev/mem without
 * any check. As its section 15.2.5 recommends, this driver maps only a
 * region it owns, at offsets relative to that region, with bounds checks:
 *
 *   - by default a zeroed RAM buffer of "size" bytes, allocated at load and
 *     freed at unload;
 *   - with phys_start= and phys_size=, a window of device memory (a PCI BAR,
 *     say) that must not be System RAM; it is claimed with
 *     request_mem_region() and mapped uncached, or write-combining with
 *     phys_wc=1. Opening the nodes then needs what /dev/mem needs:
 *     CAP_SYS_RAWIO and no kernel lockdown of /dev/mem.
 *
 * Both nodes also implement read, write and llseek over the region, so dd,
 * cmp and od work on them. No lock is taken anywhere: like /dev/mem, the
 * region is memory that concurrent users share without serialisation.
 */

#include <linux/atomic.h>
#include <linux/capability.h>
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/ratelimit.h>
#include <linux/sched.h>
#include <linux/security.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "fault_around.h"
#include "kernel_compat.h"
#include "pmd_map.h"

#define SIMPLE_NR_DEVS	2
#define SIMPLE_MAX_SIZE	SZ_1G

static int simple_major;
module_param(simple_major, int, 0444);
MODULE_PARM_DESC(simple_major, "Major number (default 0: allocate one dynamically)");

static unsigned long simple_size = SZ_1M;
module_param_named(size, simple_size, ulong, 0444);
MODULE_PARM_DESC(size, "Bytes of the RAM buffer to map (default 1 MiB, rounded up to whole pages, at most 1 GiB and half of RAM); ignored with phys_size");

/* module_param_hw: a kernel in lockdown refuses to load with these. */
static unsigned long long phys_start;
module_param_hw(phys_start, ullong, iomem, 0444);
MODULE_PARM_DESC(phys_start, "Physical address of a device memory window to map instead of the RAM buffer (page aligned, not System RAM)");

static unsigned long long phys_size;
module_param_hw(phys_size, ullong, iomem, 0444);
MODULE_PARM_DESC(phys_size, "Size in bytes of the device memory window (page aligned; default 0: map the RAM buffer)");

static bool phys_wc;
module_param(phys_wc, bool, 0444);
MODULE_PARM_DESC(phys_wc, "Map the device window write-combining instead of uncached (for prefetchable memory such as frame buffers)");

static bool vma_log_limit = true;
module_param(vma_log_limit, bool, 0644);
MODULE_PARM_DESC(vma_log_limit, "Rate-limit the VMA open and close lines to 10 per 5 s, so that a fork loop cannot flood the kernel log (default: on)");

static bool fault_around = true;
module_param(fault_around, bool, 0644);
MODULE_PARM_DESC(fault_around, "/dev/simplen on the RAM buffer: a read fault, or a write fault in a shared mapping, maps the 64 KiB window around it, or the 2 MiB around it with one PMD entry where the kernel can, not one page; applies to new mappings (default: on)");

/**
 * struct simple_dev - one device node
 * @fops: its file operations (they differ in how they map)
 * @mappings: number of live VMAs of this node (incremented by every VMA
 *	open, including the explicit one in mmap, decremented by close)
 */
struct simple_dev {
	const struct file_operations *fops;
	atomic_t mappings;
};

static struct simple_dev simple_devs[SIMPLE_NR_DEVS];
static struct class *simple_class;
static dev_t simple_devt;
static struct cdev simple_cdev;

/*
 * The region both nodes map, simple_region_size bytes (a page multiple).
 * RAM buffer: simple_nr_chunks physically contiguous chunks of
 * 1 << simple_chunk_shift bytes (the last one may be shorter).
 * Device window: phys_start, phys_size, and a kernel mapping for read/write.
 */
static bool simple_phys_mode;
static size_t simple_region_size;
static void **simple_chunks;
static unsigned int simple_chunk_shift;
static unsigned int simple_nr_chunks;
static bool simple_chunk_folios;
static void __iomem *simple_io;

/* Kernel address of RAM-buffer offset @off, which must be in the buffer. */
static void *simple_buf_addr(unsigned long off)
{
	return simple_chunks[off >> simple_chunk_shift] +
	       (off & ((1UL << simple_chunk_shift) - 1));
}

/* Bytes in chunk @i of the RAM buffer. */
static size_t simple_chunk_len(unsigned int i)
{
	return min_t(size_t, 1UL << simple_chunk_shift,
		     simple_region_size - ((size_t)i << simple_chunk_shift));
}

/*
 * Is chunk @i one folio of PMD order, which simple_huge_fault() maps with
 * one PMD entry? The full chunks are, where the kernel can map them so;
 * a shorter last chunk never is.
 */
static bool simple_chunk_is_folio(unsigned int i)
{
	return simple_chunk_folios && simple_chunk_len(i) == PMD_SIZE;
}

/* Page frame number of RAM-buffer offset @off. */
static unsigned long simple_buf_pfn(unsigned long off)
{
	return page_to_pfn(virt_to_page(simple_buf_addr(off)));
}

/* Physical address of region offset @off, for the VMA open trace. */
static phys_addr_t simple_phys_of(unsigned long off)
{
	if (simple_phys_mode)
		return phys_start + off;
	/* A /dev/simplen VMA grown by mremap may start past the buffer. */
	if (off >= simple_region_size)
		return 0;
	return virt_to_phys(simple_buf_addr(off));
}

/* Page protection for device memory: never cached by the CPU. */
static pgprot_t simple_io_prot(pgprot_t prot)
{
	return phys_wc ? pgprot_writecombine(prot) : pgprot_noncached(prot);
}

/*
 * VMA open and close keep the book's messages word for word. The kernel
 * does not call ->open for a new mapping: the .mmap methods below call it
 * themselves, as the book does, and on 7.1+ the core calls ->mapped after
 * .mmap_prepare instead. ->open also runs on fork, on a VMA split (partial
 * munmap or mprotect) and on an mremap move. Since 6.6 a VMA with a close
 * method may be expanded by a merge (an adjacent mmap of the next offsets,
 * an mremap move next to it) without ->open for the added range, but it is
 * never removed by one: the count is of VMAs, and every VMA opened is
 * closed exactly once. The bounds are checked again at fault time and in
 * ->access for that reason.
 */
/* One more VMA line, unless they come faster than 10 per 5 s. */
static bool simple_vma_log(void)
{
	static DEFINE_RATELIMIT_STATE(rs, DEFAULT_RATELIMIT_INTERVAL,
				      DEFAULT_RATELIMIT_BURST);

	return !vma_log_limit || __ratelimit(&rs);
}

/*
 * The physical address is the driver's own buffer or the window root gave
 * it, printed as the kernel prints physical addresses (%pa); only root can
 * map the nodes, and Debian's kernel log is root-only (dmesg_restrict).
 */
static void simple_vma_opened(struct simple_dev *dev, unsigned long start,
			      pgoff_t pgoff)
{
	phys_addr_t phys = simple_phys_of(pgoff << PAGE_SHIFT);

	atomic_inc(&dev->mappings);
	if (simple_vma_log())
		pr_notice("Simple VMA open, virt %lx, phys %pa\n", start,
			  &phys);
}

static void simple_vma_open(struct vm_area_struct *vma)
{
	simple_vma_opened(vma->vm_private_data, vma->vm_start, vma->vm_pgoff);
}

static void simple_vma_close(struct vm_area_struct *vma)
{
	struct simple_dev *dev = vma->vm_private_data;

	/*
	 * A VMA that was never announced: on 7.1+ the core closes the VMA of
	 * a failed mmap action, before ->mapped (which sets the pointer).
	 */
	if (!dev)
		return;
	atomic_dec(&dev->mappings);
	if (simple_vma_log())
		pr_notice("Simple VMA close.\n");
}

/**
 * simple_vma_access - read or write a mapping for a debugger
 * @vma: a VMA of either node
 * @addr: user address in @vma
 * @buf: kernel buffer
 * @len: bytes
 * @write: copy @buf into the region rather than out of it
 *
 * ptrace, /proc/PID/mem and process_vm_readv() reach a process's memory
 * through get_user_pages(), which finds no struct page in a VM_PFNMAP
 * mapping; the core then asks ->access, as /dev/mem and uio answer it.
 * This copies through the driver's own kernel address of the region (the
 * RAM buffer, or the window's ioremap), never through a new mapping: RAM
 * must not be ioremapped. A read-only mapping is not written, even by a
 * debugger.
 *
 * Return: bytes copied, or -EACCES, or -EINVAL outside the region.
 */
static int simple_vma_access(struct vm_area_struct *vma, unsigned long addr,
			     void *buf, int len, int write)
{
	unsigned long off = (vma->vm_pgoff << PAGE_SHIFT) +
			    (addr - vma->vm_start);
	int done = 0, n;

	if (write && !(vma->vm_flags & VM_WRITE))
		return -EACCES;
	if (off >= simple_region_size)
		return -EINVAL;
	/* The core may ask for more than the VMA holds: stop at its end. */
	len = min3((unsigned long)len, simple_region_size - off,
		   vma->vm_end - addr);
	for (; done < len; done += n, off += n) {
		/* A page never straddles two chunks of the RAM buffer. */
		n = min_t(unsigned long, len - done,
			  PAGE_SIZE - offset_in_page(off));
		if (simple_phys_mode && write)
			memcpy_toio(simple_io + off, (u8 *)buf + done, n);
		else if (simple_phys_mode)
			memcpy_fromio((u8 *)buf + done, simple_io + off, n);
		else if (write)
			memcpy(simple_buf_addr(off), (u8 *)buf + done, n);
		else
			memcpy((u8 *)buf + done, simple_buf_addr(off), n);
	}
	return done;
}

/*
 * /dev/simpler needs no fault method: its whole VMA is remapped at mmap
 * time with VM_DONTEXPAND, so mremap cannot grow it (EFAULT) and the book's
 * "zero page past the end" cannot happen. A fault that still reaches a VMA
 * with vm_ops but no .fault gets SIGBUS from the core.
 */
static const struct vm_operations_struct simple_remap_vm_ops = {
	.open = simple_vma_open,
	.close = simple_vma_close,
	.access = simple_vma_access,
};

/* The page of the RAM buffer at page offset @pgoff. */
static struct page *simple_buf_page(pgoff_t pgoff)
{
	return virt_to_page(simple_buf_addr(pgoff << PAGE_SHIFT));
}

/**
 * simple_fault_around - map the window of buffer pages around a fault
 * @vmf: a fault inside the RAM buffer, in a VM_MIXEDMAP mapping, that
 *	ldd3_fault_around_ok() allows
 *
 * What the page cache does for a file: map the 64 KiB window holding the
 * fault (clipped to the VMA and to the buffer), so that a sequential reader
 * or writer takes one fault per window (16 pages of 4 KiB).
 * Return: true if the faulting page itself was mapped.
 */
static bool simple_fault_around(struct vm_fault *vmf)
{
	struct page *pages[LDD3_FAULT_AROUND_PAGES];
	pgoff_t start, end, pgoff;
	unsigned long addr, n = 0;

	ldd3_fault_window(vmf, &start, &end);
	end = min_t(pgoff_t, end, (simple_region_size >> PAGE_SHIFT) - 1);
	for (pgoff = start; pgoff <= end && n < ARRAY_SIZE(pages); pgoff++)
		pages[n++] = simple_buf_page(pgoff);
	addr = vmf->address - ((vmf->pgoff - start) << PAGE_SHIFT);
	return ldd3_insert_pages(vmf->vma, addr, pages, n, vmf->pgoff - start);
}

/**
 * simple_vma_fault - install the page that faulted (/dev/simplen)
 * @vmf: fault description; vmf->pgoff is the page offset in the region
 *
 * RAM buffer: hand the page to the core in vmf->page with a reference of
 * its own, which the core drops at unmap (the book's nopage contract). The
 * core then also handles MAP_PRIVATE: a write copies the page into an
 * anonymous one, so private writes never reach the buffer (ldd3_fault_page()
 * maps a page of a 2 MiB folio itself instead, in a VM_MIXEDMAP mapping).
 * Device window: there is no struct page, which is why the book says nopage
 * cannot map PCI memory; vmf_insert_pfn() installs the PTE itself.
 * Offsets past the region (a mapping grown with mremap) get SIGBUS, where
 * the book's kernel silently mapped the zero page.
 *
 * Return: 0 with vmf->page set, VM_FAULT_NOPAGE, or VM_FAULT_SIGBUS.
 */
static vm_fault_t simple_vma_fault(struct vm_fault *vmf)
{
	struct page *page;

	if (vmf->pgoff >= simple_region_size >> PAGE_SHIFT)
		return VM_FAULT_SIGBUS;

	if (simple_phys_mode)
		return vmf_insert_pfn(vmf->vma, vmf->address,
				      PHYS_PFN(phys_start) + vmf->pgoff);

	page = simple_buf_page(vmf->pgoff);
	return ldd3_fault_page(vmf, page);
}

/**
 * simple_around_fault - the fault handler of a fault-around mapping
 * @vmf: a fault in a mapping of the RAM buffer made with fault_around=1
 *
 * A read fault, or a write fault in a shared mapping, maps the window
 * around it (simple_fault_around()); anything else, one page
 * (simple_vma_fault()).
 * Return: VM_FAULT_NOPAGE, or what simple_vma_fault() returns.
 */
static vm_fault_t simple_around_fault(struct vm_fault *vmf)
{
	if (vmf->pgoff < simple_region_size >> PAGE_SHIFT &&
	    ldd3_fault_around_ok(vmf) && simple_fault_around(vmf))
		return VM_FAULT_NOPAGE;
	return simple_vma_fault(vmf);
}

/**
 * simple_huge_fault - map 2 MiB of the RAM buffer with one PMD entry
 * @vmf: a fault in a mapping that simple_huge_vma() chose, which the core
 *	offers to map with a PMD
 * @order: the order of the entry (the PMD's)
 *
 * One chunk of the buffer is one folio of PMD order (simple_buf_init()):
 * where the 2 MiB block of the fault is one, vmf_insert_folio_pmd() maps
 * it with a reference on the folio that the core drops at unmap, as for
 * a page in vmf->page, and writable for a write fault in a shared
 * mapping. Anything else falls back to simple_vma_fault(), 4 KiB at a
 * time: a block not aligned in the VMA, the buffer's shorter last chunk,
 * a private write (which copies the page).
 *
 * Return: VM_FAULT_NOPAGE, VM_FAULT_OOM, or VM_FAULT_FALLBACK.
 */
static vm_fault_t __maybe_unused simple_huge_fault(struct vm_fault *vmf,
						   unsigned int order)
{
	unsigned long off;
	pgoff_t first;

	if (!ldd3_pmd_fault_block(vmf, order, &first) ||
	    first >= simple_region_size >> PAGE_SHIFT)
		return VM_FAULT_FALLBACK;
	off = first << PAGE_SHIFT;
	if (!simple_chunk_is_folio(off >> simple_chunk_shift))
		return VM_FAULT_FALLBACK;
	return ldd3_insert_folio_pmd(vmf, virt_to_page(simple_buf_addr(off)),
				     vmf->flags & FAULT_FLAG_WRITE);
}

/*
 * simple_huge_vma - may a new /dev/simplen mapping of the RAM buffer take
 * PMD entries?
 * @start: its first address
 * @end: the address after it
 * @pgoff: its first page in the buffer
 *
 * If it holds a 2 MiB folio of the buffer at an aligned address. Such a
 * mapping is not VM_MIXEDMAP (pmd_map.h): its 4 KiB faults map one page
 * each, without fault-around.
 */
static bool simple_huge_vma(unsigned long start, unsigned long end,
			    pgoff_t pgoff)
{
	return fault_around && simple_chunk_folios &&
	       ldd3_vma_holds_pmd(start, end, pgoff);
}

static const struct vm_operations_struct simple_fault_vm_ops = {
	.open = simple_vma_open,
	.close = simple_vma_close,
	.fault = simple_vma_fault,
	/* Used on the device window only: RAM pages have a struct page. */
	.access = simple_vma_access,
};

static const struct vm_operations_struct simple_around_vm_ops = {
	.open = simple_vma_open,
	.close = simple_vma_close,
	.fault = simple_around_fault,
};

static const struct vm_operations_struct simple_huge_vm_ops = {
	.open = simple_vma_open,
	.close = simple_vma_close,
	.fault = simple_vma_fault,
	.huge_fault = ldd3_huge_fault(simple_huge_fault),
};

/**
 * simple_mmap_check - what both nodes refuse, whichever mmap method runs
 * @pgoff: first page of the mapping in the region
 * @len: its length in bytes
 * @pfnmap: the VMA will be VM_PFNMAP (page tables without struct page)
 * @shared: MAP_SHARED
 * @writable: PROT_WRITE
 *
 * The mapping must lie inside the region (the kernel has already refused
 * an unaligned offset, and an offset + length that wraps, with EINVAL).
 *
 * A VM_PFNMAP mapping cannot be copy-on-write here: the kernel copies a
 * private pfn mapping only if one remap covers the whole VMA, which a
 * chunked buffer cannot do, and vmf_insert_pfn() BUGs on a COW VM_PFNMAP
 * VMA. So MAP_PRIVATE with PROT_WRITE is refused, and the caller takes
 * VM_MAYWRITE from a read-only private one, so that a later
 * mprotect(PROT_WRITE) fails with EACCES instead of making it COW.
 *
 * Return: 0, or -EINVAL.
 */
static int simple_mmap_check(pgoff_t pgoff, unsigned long len, bool pfnmap,
			     bool shared, bool writable)
{
	unsigned long region = simple_region_size >> PAGE_SHIFT;

	if (pgoff >= region || len >> PAGE_SHIFT > region - pgoff)
		return -EINVAL;
	if (pfnmap && !shared && writable)
		return -EINVAL;
	return 0;
}

/* Bytes from RAM-buffer offset @off to the end of its chunk. */
static unsigned long simple_chunk_left(unsigned long off)
{
	return (1UL << simple_chunk_shift) -
	       (off & ((1UL << simple_chunk_shift) - 1));
}

/**
 * simple_remap_mmap - /dev/simpler: build the page tables of the whole VMA
 * @filp: the open node
 * @vma: the new VMA
 *
 * The book's method (15.2.2). The RAM buffer takes one remap_pfn_range()
 * per physically contiguous chunk the VMA spans (a buffer larger than the
 * page allocator's largest block, 4 MiB, is made of several), with the
 * normal cached protection that matches the kernel's own mapping of RAM.
 * The device window takes io_remap_pfn_range() (io_: some architectures
 * translate I/O addresses), uncached or write-combining. Either sets
 * VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP (what the book's
 * VM_RESERVED became) and takes no page references: the buffer stays
 * allocated because the VMA's file pins this module until the last VMA is
 * gone. The .mmap method of kernels before 7.1, and of a chunked buffer on
 * every kernel (an .mmap_prepare action remaps one pfn range, up to 7.3).
 *
 * Return: 0 or a negative errno.
 */
static int simple_remap_mmap(struct file *filp, struct vm_area_struct *vma)
{
	unsigned long addr = vma->vm_start, off = vma->vm_pgoff << PAGE_SHIFT;
	bool shared = vma->vm_flags & VM_SHARED;
	unsigned long len;
	int ret;

	ret = simple_mmap_check(vma->vm_pgoff, vma->vm_end - vma->vm_start,
				true, shared, vma->vm_flags & VM_WRITE);
	if (ret)
		return ret;
	if (!shared)
		ldd3_vm_flags_clear(vma, VM_MAYWRITE);

	if (simple_phys_mode) {
		vma->vm_page_prot = simple_io_prot(vma->vm_page_prot);
		ret = io_remap_pfn_range(vma, addr, PHYS_PFN(phys_start + off),
					 vma->vm_end - addr, vma->vm_page_prot);
	} else {
		for (; !ret && addr < vma->vm_end; addr += len, off += len) {
			len = min(vma->vm_end - addr, simple_chunk_left(off));
			ret = remap_pfn_range(vma, addr, simple_buf_pfn(off),
					      len, vma->vm_page_prot);
		}
	}
	if (ret)
		return ret;

	vma->vm_ops = &simple_remap_vm_ops;
	vma->vm_private_data = filp->private_data;
	simple_vma_open(vma);
	return 0;
}

/**
 * simple_fault_mmap - /dev/simplen: map nothing now
 * @filp: the open node
 * @vma: the new VMA
 *
 * simple_vma_fault() installs the pages. On the RAM buffer the VMA has no
 * VM_DONTEXPAND: mremap can grow it, and the fault handler decides what
 * lies past the region. With fault_around it is VM_MIXEDMAP, which
 * vm_insert_pages() needs. On device memory vmf_insert_pfn() needs
 * VM_PFNMAP; the kernel refuses to grow a VM_PFNMAP VMA, so that mapping
 * cannot grow. The flags are set here because vm flags must not change in
 * the fault handler. The .mmap method of kernels before 7.1.
 *
 * Return: 0 or -EINVAL.
 */
static int __maybe_unused simple_fault_mmap(struct file *filp,
					    struct vm_area_struct *vma)
{
	const struct vm_operations_struct *ops = &simple_fault_vm_ops;
	bool shared = vma->vm_flags & VM_SHARED;
	int ret;

	ret = simple_mmap_check(vma->vm_pgoff, vma->vm_end - vma->vm_start,
				simple_phys_mode, shared,
				vma->vm_flags & VM_WRITE);
	if (ret)
		return ret;
	if (simple_phys_mode) {
		if (!shared)
			ldd3_vm_flags_clear(vma, VM_MAYWRITE);
		ldd3_vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND |
					       VM_DONTDUMP);
		vma->vm_page_prot = simple_io_prot(vma->vm_page_prot);
	} else if (simple_huge_vma(vma->vm_start, vma->vm_end,
				   vma->vm_pgoff)) {
		ops = &simple_huge_vm_ops;
	} else if (fault_around) {
		ldd3_vm_flags_set(vma, VM_MIXEDMAP);
		ops = &simple_around_vm_ops;
	}
	vma->vm_ops = ops;
	vma->vm_private_data = filp->private_data;
	simple_vma_open(vma);
	return 0;
}

#ifdef LDD3_HAVE_MMAP_PREPARE
/*
 * Linux 7.1 and later: .mmap_prepare, the method the kernel recommends
 * there. It describes the mapping before the VMA exists (same checks and
 * flags as the .mmap methods above); the core then does the remap it asks
 * for and announces the VMA with ->mapped, which is where the count and
 * vm_private_data are set. This block and LDD3_MMAP_OP() in the
 * file_operations are the driver's only version choice (kernel_compat.h).
 */
static int simple_vma_mapped(unsigned long start, unsigned long end,
			     pgoff_t pgoff, const struct file *file,
			     void **vm_private_data)
{
	*vm_private_data = file->private_data;
	simple_vma_opened(file->private_data, start, pgoff);
	return 0;
}

static const struct vm_operations_struct simple_remap_prepared_vm_ops = {
	.open = simple_vma_open,
	.close = simple_vma_close,
	.access = simple_vma_access,
	.mapped = simple_vma_mapped,
};

static const struct vm_operations_struct simple_fault_prepared_vm_ops = {
	.open = simple_vma_open,
	.close = simple_vma_close,
	.fault = simple_vma_fault,
	.access = simple_vma_access,
	.mapped = simple_vma_mapped,
};

static const struct vm_operations_struct simple_around_prepared_vm_ops = {
	.open = simple_vma_open,
	.close = simple_vma_close,
	.fault = simple_around_fault,
	.mapped = simple_vma_mapped,
};

static const struct vm_operations_struct simple_huge_prepared_vm_ops = {
	.open = simple_vma_open,
	.close = simple_vma_close,
	.fault = simple_vma_fault,
	.huge_fault = ldd3_huge_fault(simple_huge_fault),
	.mapped = simple_vma_mapped,
};

/* /dev/simpler on a region in one piece: the core remaps it whole. */
static int simple_remap_mmap_prepare(struct vm_area_desc *desc)
{
	unsigned long off = desc->pgoff << PAGE_SHIFT;
	bool shared = vma_desc_test(desc, VMA_SHARED_BIT);
	int ret;

	ret = simple_mmap_check(desc->pgoff, desc->end - desc->start, true,
				shared, vma_desc_test(desc, VMA_WRITE_BIT));
	if (ret)
		return ret;
	if (!shared)
		vma_desc_clear_flags(desc, VMA_MAYWRITE_BIT);
	desc->vm_ops = &simple_remap_prepared_vm_ops;
	if (simple_phys_mode) {
		desc->page_prot = simple_io_prot(desc->page_prot);
		mmap_action_ioremap_full(desc, PHYS_PFN(phys_start + off));
	} else {
		mmap_action_remap_full(desc, simple_buf_pfn(off));
	}
	return 0;
}

/* /dev/simplen: the fault handler maps, as with simple_fault_mmap(). */
static int simple_fault_mmap_prepare(struct vm_area_desc *desc)
{
	bool shared = vma_desc_test(desc, VMA_SHARED_BIT);
	int ret;

	ret = simple_mmap_check(desc->pgoff, desc->end - desc->start,
				simple_phys_mode, shared,
				vma_desc_test(desc, VMA_WRITE_BIT));
	if (ret)
		return ret;
	if (simple_phys_mode) {
		if (!shared)
			vma_desc_clear_flags(desc, VMA_MAYWRITE_BIT);
		vma_desc_set_flags(desc, VMA_IO_BIT, VMA_PFNMAP_BIT,
				   VMA_DONTEXPAND_BIT, VMA_DONTDUMP_BIT);
		desc->page_prot = simple_io_prot(desc->page_prot);
	} else if (simple_huge_vma(desc->start, desc->end, desc->pgoff)) {
		desc->vm_ops = &simple_huge_prepared_vm_ops;
		return 0;
	} else if (fault_around) {
		vma_desc_set_flags(desc, VMA_MIXEDMAP_BIT);
		desc->vm_ops = &simple_around_prepared_vm_ops;
		return 0;
	}
	desc->vm_ops = &simple_fault_prepared_vm_ops;
	return 0;
}
#endif /* LDD3_HAVE_MMAP_PREPARE */

/*
 * One cdev serves both nodes, so that it can be added last and in one step
 * (see simple_init()). Its open gives each node its own file operations,
 * as drivers/char/mem.c does for /dev/mem, /dev/zero and the others: the
 * VFS calls no second open, and both tables have the same owner, so the
 * module reference the VFS took stays right.
 */
static int simple_file_open(struct inode *inode, struct file *filp)
{
	struct simple_dev *dev = &simple_devs[iminor(inode) -
					      MINOR(simple_devt)];
	int ret;

	/* Device memory: the same gate as /dev/mem's open_port(). */
	if (simple_phys_mode) {
		if (!capable(CAP_SYS_RAWIO))
			return -EPERM;
		ret = security_locked_down(LOCKDOWN_DEV_MEM);
		if (ret)
			return ret;
	}
	filp->private_data = dev;
	filp->f_op = dev->fops;
	return 0;
}

static const struct file_operations simple_open_fops = {
	.owner = THIS_MODULE,
	.open = simple_file_open,
};

/**
 * simple_copy_iter - copy between the region and a user buffer
 * @iter: the user buffer, as the VFS passes it to read_iter or write_iter
 * @pos: offset in the region
 * @count: bytes to copy, all inside the region
 * @write: copy from @iter into the region, not from the region into @iter
 *
 * One page per step: a page never straddles two chunks of the RAM buffer,
 * and device memory goes through a bounce page, because the user copy
 * routines must not touch __iomem directly. A copy that faults stops: the
 * bytes before the fault are copied and counted, the region past them is
 * left as it was (unlike copy_from_user(), copy_from_iter() does not zero
 * the rest of its destination).
 *
 * Return: bytes copied (0 if the first one faulted), or -ENOMEM.
 */
static ssize_t simple_copy_iter(struct iov_iter *iter, loff_t pos,
				size_t count, bool write)
{
	void *bounce = NULL;
	size_t done = 0;

	if (simple_phys_mode) {
		bounce = kmalloc(PAGE_SIZE, GFP_KERNEL);
		if (!bounce)
			return -ENOMEM;
	}
	while (done < count) {
		unsigned long off = pos + done;
		size_t len = min_t(size_t, count - done,
				   PAGE_SIZE - offset_in_page(off));
		void *mem = simple_phys_mode ? bounce : simple_buf_addr(off);
		size_t copied;

		if (write) {
			copied = copy_from_iter(mem, len, iter);
			if (simple_phys_mode)
				memcpy_toio(simple_io + off, bounce, copied);
		} else {
			if (simple_phys_mode)
				memcpy_fromio(bounce, simple_io + off, len);
			copied = copy_to_iter(mem, len, iter);
		}
		done += copied;
		if (copied < len)
			break;
		cond_resched();
	}
	kfree(bounce);
	return done;
}

/*
 * read and write: the same bounds, but past the end of the region a read
 * finds the end of the file and a write gets ENOSPC (the region cannot
 * grow).
 */
static ssize_t simple_rw_iter(struct kiocb *iocb, struct iov_iter *iter,
			      bool write)
{
	size_t count = iov_iter_count(iter);
	loff_t pos = iocb->ki_pos;
	ssize_t done;

	if (pos < 0)
		return -EINVAL;
	if (!count)
		return 0;
	if (pos >= simple_region_size)
		return write ? -ENOSPC : 0;
	count = min_t(u64, count, simple_region_size - pos);
	done = simple_copy_iter(iter, pos, count, write);
	if (done <= 0)
		return done ? done : -EFAULT;
	iocb->ki_pos = pos + done;
	return done;
}

static ssize_t simple_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	return simple_rw_iter(iocb, to, false);
}

static ssize_t simple_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	return simple_rw_iter(iocb, from, true);
}

static loff_t simple_file_llseek(struct file *filp, loff_t off, int whence)
{
	return fixed_size_llseek(filp, off, whence, simple_region_size);
}

/* The two nodes differ only in how they map. */
#define SIMPLE_FOPS(...) {						\
	.owner = THIS_MODULE,						\
	.read_iter = simple_read_iter,					\
	.write_iter = simple_write_iter,				\
	.llseek = simple_file_llseek,					\
	__VA_ARGS__							\
}

static const struct file_operations simple_remap_fops =
	SIMPLE_FOPS(LDD3_MMAP_OP(simple_remap_mmap, simple_remap_mmap_prepare));
static const struct file_operations simple_chunked_fops =
	SIMPLE_FOPS(.mmap = simple_remap_mmap);
/* An address where a 2 MiB block of the file can take a PMD entry. */
static const struct file_operations simple_fault_fops =
	SIMPLE_FOPS(LDD3_MMAP_OP(simple_fault_mmap, simple_fault_mmap_prepare),
		    .get_unmapped_area = ldd3_get_unmapped_area);

/* /sys/class/simple/simple{r,n}/mappings: the node's live VMA count. */
static ssize_t mappings_show(struct device *device,
			     struct device_attribute *attr, char *buf)
{
	struct simple_dev *dev = dev_get_drvdata(device);

	return sysfs_emit(buf, "%d\n", atomic_read(&dev->mappings));
}
static DEVICE_ATTR_RO(mappings);

static struct attribute *simple_attrs[] = {
	&dev_attr_mappings.attr,
	NULL,
};
ATTRIBUTE_GROUPS(simple);

/* The nodes expose physical memory: root only. */
static char *simple_devnode(LDD3_DEVNODE_CONST struct device *dev,
			    umode_t *mode)
{
	if (mode)
		*mode = 0600;
	return NULL;
}

static void simple_buf_free(void)
{
	unsigned int i;

	for (i = 0; i < simple_nr_chunks; i++) {
		if (!simple_chunks[i])
			continue;
		if (simple_chunk_is_folio(i))
			free_pages((unsigned long)simple_chunks[i],
				   LDD3_PMD_ORDER);
		else
			free_pages_exact(simple_chunks[i], simple_chunk_len(i));
	}
	kvfree(simple_chunks);
	simple_chunks = NULL;
	simple_nr_chunks = 0;
}

/* Allocate the buffer as chunks of 1 << shift bytes; all or nothing. */
static int simple_buf_alloc(unsigned int shift)
{
	const gfp_t gfp = GFP_KERNEL | __GFP_ZERO | __GFP_NORETRY | __GFP_NOWARN;
	unsigned int i, nr = DIV_ROUND_UP(simple_region_size, 1UL << shift);

	simple_chunks = kvcalloc(nr, sizeof(*simple_chunks), GFP_KERNEL);
	if (!simple_chunks)
		return -ENOMEM;
	simple_chunk_shift = shift;
	simple_nr_chunks = nr;
	simple_chunk_folios = LDD3_CAN_MAP_FOLIO_PMD && shift == PMD_SHIFT;

	for (i = 0; i < nr; i++) {
		if (simple_chunk_is_folio(i))
			simple_chunks[i] = (void *)__get_free_pages(gfp | __GFP_COMP,
								    LDD3_PMD_ORDER);
		else
			simple_chunks[i] = alloc_pages_exact(simple_chunk_len(i),
							     gfp);
		if (!simple_chunks[i]) {
			simple_buf_free();
			return -ENOMEM;
		}
	}
	return 0;
}

/**
 * simple_buf_init - allocate the zeroed RAM buffer
 *
 * The buffer is physically contiguous if the page allocator can give it in
 * one piece (up to MAX_ORDER pages, 4 MiB with 4 KiB pages); otherwise it
 * is built from the largest contiguous chunks that succeed, halving the
 * chunk size down to single pages. Not vmalloc_user(): /dev/simpler needs
 * physical ranges for remap_pfn_range() anyway, and few large chunks keep
 * that to few calls. alloc_pages_exact() splits each chunk into order-0
 * pages with their own reference counts, so the fault handler may
 * get_page() any of them. Where the kernel can map a folio with one PMD
 * entry (pmd_map.h), a buffer of 2 MiB or more is made of 2 MiB chunks,
 * each one compound page (__GFP_COMP: a reference on any of its pages is
 * one on the whole), so that simple_huge_fault() maps it whole. __GFP_ZERO:
 * no stale kernel data reaches user space. __GFP_NORETRY: a large size
 * fails instead of invoking the OOM killer.
 *
 * Return: 0 or a negative errno.
 */
static int __init simple_buf_init(void)
{
	unsigned long max = min_t(unsigned long, SIMPLE_MAX_SIZE,
				  (totalram_pages() / 2) << PAGE_SHIFT);
	unsigned int shift;

	if (!simple_size || simple_size > max) {
		pr_err(KBUILD_MODNAME ": size=%lu refused: it must be between 1 and %lu bytes\n",
		       simple_size, max);
		return -EINVAL;
	}
	simple_size = PAGE_ALIGN(simple_size);
	simple_region_size = simple_size;

	shift = PAGE_SHIFT + get_order(simple_size);
	if (LDD3_CAN_MAP_FOLIO_PMD && simple_size >= PMD_SIZE)
		shift = PMD_SHIFT;
	for (;; shift--) {
		if (!simple_buf_alloc(shift))
			break;
		if (shift == PAGE_SHIFT) {
			pr_err(KBUILD_MODNAME ": cannot allocate %lu bytes\n",
			       simple_size);
			return -ENOMEM;
		}
	}
	pr_info(KBUILD_MODNAME ": %lu byte buffer in %u contiguous chunk(s)\n",
		simple_size, simple_nr_chunks);
	return 0;
}

/**
 * simple_window_init - check and claim the device memory window
 *
 * Like /dev/mem with STRICT_DEVMEM, refuse System RAM: RAM is mapped through
 * the buffer, whose pages the driver owns. Unlike /dev/mem, claim the range,
 * so that no other driver maps it behind our back (it must not be busy).
 *
 * Return: 0 or a negative errno.
 */
static int __init simple_window_init(void)
{
	unsigned long long end = phys_start + phys_size - 1;
	/* 32-bit kernels: physical addresses or sizes may be 32 bits wide. */
	bool too_high = (sizeof(resource_size_t) < sizeof(end) &&
			 upper_32_bits(end)) ||
			(sizeof(size_t) < sizeof(phys_size) &&
			 upper_32_bits(phys_size));

	if (!phys_size || !PAGE_ALIGNED(phys_start) ||
	    !PAGE_ALIGNED(phys_size) || end < phys_start || too_high) {
		pr_err(KBUILD_MODNAME ": phys_start=%#llx phys_size=%#llx refused: the window must be non-empty, page aligned and addressable\n",
		       phys_start, phys_size);
		return -EINVAL;
	}
	if (region_intersects(phys_start, phys_size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT) {
		pr_err(KBUILD_MODNAME ": phys_start=%#llx phys_size=%#llx refused: the window overlaps System RAM\n",
		       phys_start, phys_size);
		return -EINVAL;
	}
	if (!request_mem_region(phys_start, phys_size, KBUILD_MODNAME)) {
		pr_err(KBUILD_MODNAME ": phys_start=%#llx phys_size=%#llx refused: the window is busy (see /proc/iomem)\n",
		       phys_start, phys_size);
		return -EBUSY;
	}
	simple_io = phys_wc ? ioremap_wc(phys_start, phys_size) :
			      ioremap(phys_start, phys_size);
	if (!simple_io) {
		release_mem_region(phys_start, phys_size);
		return -ENOMEM;
	}
	simple_phys_mode = true;
	simple_region_size = phys_size;
	pr_info(KBUILD_MODNAME ": mapping device memory %#llx-%#llx, %s\n",
		phys_start, end, phys_wc ? "write-combining" : "uncached");
	return 0;
}

static void simple_region_exit(void)
{
	if (simple_phys_mode) {
		iounmap(simple_io);
		release_mem_region(phys_start, phys_size);
	} else {
		simple_buf_free();
	}
}

static void simple_remove_devs(unsigned int count)
{
	while (count--)
		device_destroy(simple_class, simple_devt + count);
}

/* The nodes, which cannot be opened (ENXIO) until the cdev is added. */
static int __init simple_add_devs(void)
{
	static const char * const names[SIMPLE_NR_DEVS] = {
		"simpler", "simplen"
	};
	struct device *device;
	unsigned int minor;

	/* A RAM buffer in several chunks needs one remap per chunk. */
	simple_devs[0].fops = simple_nr_chunks > 1 ? &simple_chunked_fops :
						     &simple_remap_fops;
	simple_devs[1].fops = &simple_fault_fops;
	for (minor = 0; minor < SIMPLE_NR_DEVS; minor++) {
		device = device_create_with_groups(simple_class, NULL,
						   simple_devt + minor,
						   &simple_devs[minor],
						   simple_groups, "%s",
						   names[minor]);
		if (IS_ERR(device)) {
			simple_remove_devs(minor);
			return PTR_ERR(device);
		}
	}
	return 0;
}

static int __init simple_init(void)
{
	int ret;

	if (phys_start || phys_size)
		ret = simple_window_init();
	else
		ret = simple_buf_init();
	if (ret)
		return ret;

	if (simple_major) {
		simple_devt = MKDEV(simple_major, 0);
		ret = register_chrdev_region(simple_devt, SIMPLE_NR_DEVS,
					     KBUILD_MODNAME);
	} else {
		ret = alloc_chrdev_region(&simple_devt, 0, SIMPLE_NR_DEVS,
					  KBUILD_MODNAME);
		simple_major = MAJOR(simple_devt);
	}
	if (ret) {
		pr_err(KBUILD_MODNAME ": cannot get major %d: %d\n",
		       simple_major, ret);
		goto free_region;
	}

	simple_class = ldd3_class_create(KBUILD_MODNAME);
	if (IS_ERR(simple_class)) {
		ret = PTR_ERR(simple_class);
		goto unregister;
	}
	simple_class->devnode = simple_devnode;

	ret = simple_add_devs();
	if (ret)
		goto destroy_class;
	/*
	 * Last: from here on the nodes can be opened, so nothing may fail
	 * after it (the module would be freed under a file opened meanwhile).
	 */
	cdev_init(&simple_cdev, &simple_open_fops);
	simple_cdev.owner = THIS_MODULE;
	ret = cdev_add(&simple_cdev, simple_devt, SIMPLE_NR_DEVS);
	if (ret)
		goto remove_devs;
	return 0;

remove_devs:
	simple_remove_devs(SIMPLE_NR_DEVS);
destroy_class:
	class_destroy(simple_class);
unregister:
	unregister_chrdev_region(simple_devt, SIMPLE_NR_DEVS);
free_region:
	simple_region_exit();
	return ret;
}

static void __exit simple_exit(void)
{
	cdev_del(&simple_cdev);
	simple_remove_devs(SIMPLE_NR_DEVS);
	class_destroy(simple_class);
	unregister_chrdev_region(simple_devt, SIMPLE_NR_DEVS);
	simple_region_exit();
}

module_init(simple_init);
module_exit(simple_exit);

MODULE_DESCRIPTION("LDD3 simple: mmap of a RAM buffer or device memory with remap_pfn_range (/dev/simpler) and a fault handler (/dev/simplen)");
MODULE_AUTHOR("Jonathan Corbet, Alessandro Rubini; updated by the ldd3-mmap project");
MODULE_LICENSE("GPL");
MODULE_VERSION(LDD3_MMAP_VERSION);
