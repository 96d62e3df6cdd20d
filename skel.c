// SPDX-License-Identifier: GPL-2.0
/*
 * skel: DMA buffers mapped to user space, the lab device of the Linux
 * Journal "Kernel Korner" article "Device Drivers Concluded", done the
 * modern way, and the answer to the 2006 thread "mmaping a kernel buffer to
 * user space" (see README.md).
 *
 * The article's driver let programs allocate DMA-able buffers with an ioctl
 * (skel_malloc), mapped them itself with a forged /dev/mem file and pages
 * marked reserved, checked every transfer of its device against its list of
 * buffers, and freed what a program left at close. Here:
 *
 *   - the buffers belong to a struct device with a DMA mask (a platform
 *     device the module registers), come from dma_alloc_coherent() and are
 *     mapped with dma_mmap_coherent() from the driver's own mmap method;
 *   - SKEL_ALLOC_CACHED buffers come from dma_alloc_pages() instead: cached
 *     memory, mapped with dma_mmap_pages(), whose pages belong to the CPU
 *     or to the device in turn (SKEL_IOCSYNC, the streaming DMA API's
 *     sync calls), as on arm64 where most devices are not DMA-coherent;
 *   - SKEL_IOCALLOC returns a buffer id and an mmap offset, as DRM does for
 *     dumb buffers: each buffer owns a 4 MiB slot of the file's offsets, so
 *     an offset names one buffer and a page inside it;
 *   - a buffer is reference counted (kref): the file holds one reference
 *     until SKEL_IOCFREE or close, every VMA one more (vm_ops open/close,
 *     which also run on fork, split and mremap), so freeing, closing or
 *     forking while mapped never leaves a mapping of freed memory;
 *   - SKEL_IOCDEVWRITE/SKEL_IOCDEVREAD stand in for the device's DMA: they
 *     act only on a range that lies in one mapping of a buffer the file
 *     still holds, made by the calling process through this file, and copy
 *     through the buffer's kernel address, as the device would through its
 *     DMA address;
 *   - SKEL_IOCEXPORT turns a buffer into a dma-buf, the file descriptor
 *     that other drivers (V4L2, DRM, ...) import to use the same memory:
 *     where the article's readers forged a /dev/mem file to share a buffer,
 *     a dma-buf says which device maps it and who owns it when.
 *
 * Limits (module parameters, writable by root at run time): per open file
 * and global counts and bytes. A freed buffer that is still mapped leaves
 * the file's count but still counts globally, until its last unmap.
 */

#include <linux/bitmap.h>
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/log2.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "kernel_compat.h"
#include "skel_ioctl.h"

/*
 * Buffer N owns the mmap offsets [N * SKEL_BUF_MAX, (N + 1) * SKEL_BUF_MAX):
 * an offset in a slot but past its buffer, or in the slot of no buffer, is
 * refused. Ids stay below 2^20, so offsets fit in 42 bits.
 */
#define SKEL_SLOT_SHIFT		ilog2(SKEL_BUF_MAX)
#define SKEL_SLOT_PGSHIFT	(SKEL_SLOT_SHIFT - PAGE_SHIFT)
#define SKEL_ID_MAX		(SZ_1M - 1)

static unsigned int file_max_buffers = 64;
module_param(file_max_buffers, uint, 0644);
MODULE_PARM_DESC(file_max_buffers, "Buffers one open file may hold (default 64; beyond: ENOSPC)");

static unsigned long file_max_bytes = SZ_16M;
module_param(file_max_bytes, ulong, 0644);
MODULE_PARM_DESC(file_max_bytes, "Bytes one open file may hold (default 16 MiB; beyond: ENOSPC)");

static unsigned int max_buffers = 256;
module_param(max_buffers, uint, 0644);
MODULE_PARM_DESC(max_buffers, "Buffers alive in the driver, freed but still mapped ones included (default 256; beyond: ENOMEM)");

static unsigned long max_bytes = SZ_64M;
module_param(max_bytes, ulong, 0644);
MODULE_PARM_DESC(max_bytes, "Bytes alive in the driver, freed but still mapped buffers included (default 64 MiB; beyond: ENOMEM)");

/**
 * struct skel_buf - one DMA buffer
 * @ref: one reference for the file that holds it (until free or close),
 *	one per VMA mapping it, one for its dma-buf while that lives
 * @id: the id user space names it by, in its file
 * @remap_pfn: map it with remap_pfn_range() instead of dma_mmap_coherent()
 * @cached: from dma_alloc_pages(), at @page; else from dma_alloc_coherent()
 * @exported: a dma-buf of it lives (bit 0)
 * @attach_lock: guards @attachments
 * @attachments: the importers' struct skel_attachment, while exported
 * @size: bytes, a multiple of PAGE_SIZE
 * @vaddr: the kernel address, through which the stand-in device copies
 * @dma: the address a real device would be given
 * @page: the first page of a cached buffer
 * @own_lock: guards @dev_owned, and holds it still during a transfer
 * @dev_owned: the pages of a cached buffer that the device owns
 */
struct skel_buf {
	struct kref ref;
	u32 id;
	bool remap_pfn;
	bool cached;
	unsigned long exported;
	struct mutex attach_lock;	/* see above */
	struct list_head attachments;
	size_t size;
	void *vaddr;
	dma_addr_t dma;
	struct page *page;
	struct mutex own_lock;		/* see above */
	DECLARE_BITMAP(dev_owned, SKEL_BUF_MAX >> PAGE_SHIFT);
};

/**
 * struct skel_file - what one open file holds
 * @lock: serialises alloc and free, guards @nr_bufs and @bytes
 * @bufs: id -> struct skel_buf, the buffers the file holds
 * @next_id: where the cyclic id allocation resumes, so that a freed id is
 *	not given to the next buffer (a stale offset then maps nothing)
 * @nr_bufs: buffers in @bufs
 * @bytes: their bytes
 */
struct skel_file {
	struct mutex lock;	/* see above */
	struct xarray bufs;
	u32 next_id;
	unsigned int nr_bufs;
	size_t bytes;
};

static struct platform_device *skel_pdev;
static struct device *skel_dma_dev;
static bool skel_dma_coherent;

/* Every buffer alive, until its last reference goes; sysfs reads locklessly. */
static DEFINE_SPINLOCK(skel_lock);
static unsigned int skel_nr_bufs;
static size_t skel_bytes;
static atomic_t skel_mappings = ATOMIC_INIT(0);
static atomic_t skel_exports = ATOMIC_INIT(0);

/* Count @size more bytes in one more buffer against the global limits. */
static int skel_reserve(size_t size)
{
	int ret = -ENOMEM;

	spin_lock(&skel_lock);
	if (skel_nr_bufs < READ_ONCE(max_buffers) &&
	    size <= READ_ONCE(max_bytes) &&
	    skel_bytes <= READ_ONCE(max_bytes) - size) {
		WRITE_ONCE(skel_nr_bufs, skel_nr_bufs + 1);
		WRITE_ONCE(skel_bytes, skel_bytes + size);
		ret = 0;
	}
	spin_unlock(&skel_lock);
	return ret;
}

static void skel_unreserve(size_t size)
{
	spin_lock(&skel_lock);
	WRITE_ONCE(skel_nr_bufs, skel_nr_bufs - 1);
	WRITE_ONCE(skel_bytes, skel_bytes - size);
	spin_unlock(&skel_lock);
}

/*
 * The buffer's memory: DMA-coherent, or cached with dma_alloc_pages(),
 * which is in the linear map and starts owned by the CPU. Neither DMA
 * allocator takes an accounting flag, so the global limits bound them.
 * __GFP_NOWARN: a failure is an errno.
 */
static int skel_buf_alloc_mem(struct skel_buf *buf, size_t size)
{
	if (buf->cached) {
		gfp_t gfp = GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN;

		buf->page = dma_alloc_pages(skel_dma_dev, size, &buf->dma,
					    DMA_BIDIRECTIONAL, gfp);
		if (!buf->page)
			return -ENOMEM;
		ldd3_dma_pages_debug_checked(skel_dma_dev, buf->dma);
		buf->vaddr = page_address(buf->page);
	} else {
		/* Zeroed by the DMA API. */
		buf->vaddr = dma_alloc_coherent(skel_dma_dev, size, &buf->dma,
						GFP_KERNEL | __GFP_NOWARN);
		if (!buf->vaddr)
			return -ENOMEM;
	}
	buf->size = size;
	return 0;
}

static void skel_buf_free_mem(struct skel_buf *buf)
{
	if (buf->cached)
		dma_free_pages(skel_dma_dev, buf->size, buf->page, buf->dma,
			       DMA_BIDIRECTIONAL);
	else
		dma_free_coherent(skel_dma_dev, buf->size, buf->vaddr,
				  buf->dma);
}

static void skel_buf_release(struct kref *ref)
{
	struct skel_buf *buf = container_of(ref, struct skel_buf, ref);

	dev_dbg(skel_dma_dev, "buffer %u: %zu bytes released\n", buf->id,
		buf->size);
	skel_buf_free_mem(buf);
	skel_unreserve(buf->size);
	mutex_destroy(&buf->own_lock);
	mutex_destroy(&buf->attach_lock);
	kfree(buf);
}

static void skel_buf_put(struct skel_buf *buf)
{
	kref_put(&buf->ref, skel_buf_release);
}

/* The buffer @id of @sf with a reference of the caller's own, or NULL. */
static struct skel_buf *skel_buf_get(struct skel_file *sf, unsigned long id)
{
	struct skel_buf *buf;

	xa_lock(&sf->bufs);
	buf = xa_load(&sf->bufs, id);
	if (buf)
		kref_get(&buf->ref);
	xa_unlock(&sf->bufs);
	return buf;
}

/*
 * The kernel calls open on fork, on a VMA split and on an mremap move, never
 * for the first mmap (skel_mmap hands its own reference to the VMA). Both
 * ways of mapping make a VM_PFNMAP | VM_DONTEXPAND VMA, which the kernel
 * never merges with another, so each one is closed exactly once.
 */
static void skel_vma_open(struct vm_area_struct *vma)
{
	struct skel_buf *buf = vma->vm_private_data;

	kref_get(&buf->ref);
	atomic_inc(&skel_mappings);
}

static void skel_vma_close(struct vm_area_struct *vma)
{
	atomic_dec(&skel_mappings);
	skel_buf_put(vma->vm_private_data);
}

/*
 * ->access: a debugger's way into a VM_PFNMAP mapping (ptrace,
 * /proc/PID/mem, process_vm_readv()), where get_user_pages() finds no
 * struct page. It copies through the buffer's kernel address, inside the
 * buffer, and writes only a writable mapping.
 */
static int skel_vma_access(struct vm_area_struct *vma, unsigned long addr,
			   void *data, int len, int write)
{
	struct skel_buf *buf = vma->vm_private_data;
	size_t off = (vma->vm_pgoff << PAGE_SHIFT) + (addr - vma->vm_start);
	u8 *mem;

	if (write && !(vma->vm_flags & VM_WRITE))
		return -EACCES;
	if (off >= buf->size)
		return -EINVAL;
	/* The core may ask for more than the VMA holds: stop at its end. */
	len = min3((size_t)len, buf->size - off, vma->vm_end - addr);
	mem = (u8 *)buf->vaddr + off;
	if (write)
		memcpy(mem, data, len);
	else
		memcpy(data, mem, len);
	return len;
}

/*
 * No fault method: both ways of mapping fill the whole VMA at mmap time,
 * and VM_DONTEXPAND keeps mremap from growing a mapping past its buffer.
 */
static const struct vm_operations_struct skel_vm_ops = {
	.open = skel_vma_open,
	.close = skel_vma_close,
	.access = skel_vma_access,
};

/* The buffer's first page frame: only for buffers in the linear map. */
static unsigned long skel_buf_pfn(struct skel_buf *buf)
{
	return PHYS_PFN(virt_to_phys(buf->vaddr));
}

/*
 * Map @buf into @vma, whose vm_pgoff is the first page in the buffer, for
 * /dev/skel and for the buffer's dma-buf alike. The VMA gets a reference
 * of its own. The mapping must be MAP_SHARED: a device buffer has no
 * private copy, and a copy-on-write VM_PFNMAP mapping would break the
 * offset arithmetic of the transfer check.
 */
static int skel_buf_mmap(struct skel_buf *buf, struct vm_area_struct *vma)
{
	unsigned long pages = buf->size >> PAGE_SHIFT;
	int ret;

	/* VM_MAYSHARE: a read-only file's shared mapping has no VM_SHARED. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_pgoff >= pages || vma_pages(vma) > pages - vma->vm_pgoff)
		return -EINVAL;

	/*
	 * remap_pfn_range() sets these, and dma_mmap_coherent() does through
	 * it on x86, but not every DMA implementation maps that way; the
	 * transfer check relies on a VMA that never grows.
	 */
	ldd3_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	if (buf->remap_pfn)
		ret = remap_pfn_range(vma, vma->vm_start,
				      skel_buf_pfn(buf) + vma->vm_pgoff,
				      vma->vm_end - vma->vm_start,
				      vma->vm_page_prot);
	else if (buf->cached)
		ret = ldd3_dma_mmap_pages(skel_dma_dev, vma, buf->size,
					  buf->page);
	else
		ret = dma_mmap_coherent(skel_dma_dev, vma, buf->vaddr,
					buf->dma, buf->size);
	if (ret)
		return ret;

	kref_get(&buf->ref);
	vma->vm_ops = &skel_vm_ops;
	vma->vm_private_data = buf;
	atomic_inc(&skel_mappings);
	return 0;
}

/**
 * skel_mmap - map (part of) one buffer
 * @filp: the file, which must hold the buffer
 * @vma: vm_pgoff names the buffer's slot and the first page in it
 *
 * The mapping must end inside the buffer. vm_pgoff is rewritten to the
 * page offset inside the buffer, which dma_mmap_coherent() expects, as
 * DRM's GEM helpers do with their fake offsets.
 *
 * dma_mmap_coherent() is the DMA API's own answer to the 2006 thread: it
 * knows how the allocator got the memory (direct map, remapped, a device's
 * coherent pool) and which page protection the device needs. With
 * SKEL_ALLOC_REMAP_PFN the buffer is mapped the way the thread tried, with
 * remap_pfn_range() of its page frames: that works on RAM since 2.6.15
 * (VM_PFNMAP), as long as the kernel address is in the linear map (checked
 * at allocation) and the device is cache-coherent (x86 always is). A
 * cached buffer is mapped with dma_mmap_pages(), with the CPU's normal
 * caching: SKEL_IOCSYNC then moves its pages between CPU and device.
 *
 * This stays an .mmap method on every kernel, 7.1 and later included where
 * .mmap_prepare is recommended: up to 7.3 no mmap action maps DMA-coherent
 * memory, and dma_mmap_coherent() needs the VMA itself.
 *
 * Return: 0, or -EINVAL, or what the mapping function returned.
 */
static int skel_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct skel_file *sf = filp->private_data;
	struct skel_buf *buf;
	int ret;

	buf = skel_buf_get(sf, vma->vm_pgoff >> SKEL_SLOT_PGSHIFT);
	if (!buf)
		return -EINVAL;
	vma->vm_pgoff &= BIT(SKEL_SLOT_PGSHIFT) - 1;
	ret = skel_buf_mmap(buf, vma);
	skel_buf_put(buf);
	return ret;
}

/**
 * skel_alloc - allocate a buffer for @sf and give it an id
 * @sf: the file
 * @a: the request: @size already rounded up to whole pages; @id and
 *	@offset are filled in
 *
 * The buffer may be freed by another thread as soon as @sf->lock is
 * dropped, so only @a leaves this function.
 *
 * Return: 0, -ENOSPC beyond the file's limits, -ENOMEM beyond the global
 * ones or without memory, -EOPNOTSUPP for SKEL_ALLOC_REMAP_PFN where the
 * kernel address is not in the linear map, or for either flag where memory
 * is encrypted.
 */
static int skel_alloc(struct skel_file *sf, struct skel_alloc *a)
{
	size_t size = a->size;
	struct skel_buf *buf;
	int ret;

	mutex_lock(&sf->lock);
	if (sf->nr_bufs >= READ_ONCE(file_max_buffers) ||
	    size > READ_ONCE(file_max_bytes) ||
	    sf->bytes > READ_ONCE(file_max_bytes) - size) {
		ret = -ENOSPC;
		goto unlock;
	}
	ret = skel_reserve(size);
	if (ret)
		goto unlock;

	ret = -ENOMEM;
	/* The descriptor is charged to the caller's memory cgroup. */
	buf = kzalloc(sizeof(*buf), GFP_KERNEL_ACCOUNT);
	if (!buf)
		goto unreserve;
	buf->cached = a->flags & SKEL_ALLOC_CACHED;
	ret = skel_buf_alloc_mem(buf, size);
	if (ret)
		goto free_buf;
	kref_init(&buf->ref);
	mutex_init(&buf->attach_lock);
	mutex_init(&buf->own_lock);
	INIT_LIST_HEAD(&buf->attachments);

	if (a->flags & SKEL_ALLOC_REMAP_PFN) {
		/*
		 * Not in the linear map: there is no page frame to name. Under
		 * memory encryption (AMD SME/SEV, Intel TDX) the DMA API
		 * decrypted the buffer, and a mapping with the default,
		 * encrypted, protection would read ciphertext: only
		 * dma_mmap_coherent() knows the protection to apply.
		 */
		ret = -EOPNOTSUPP;
		if (!virt_addr_valid(buf->vaddr) || ldd3_mem_encrypted())
			goto free_dma;
		buf->remap_pfn = true;
	}
	/*
	 * Under memory encryption dma_alloc_pages() decrypts the pages too,
	 * and dma_mmap_pages() maps them with the default protection.
	 */
	ret = -EOPNOTSUPP;
	if (buf->cached && ldd3_mem_encrypted())
		goto free_dma;

	ret = xa_alloc_cyclic(&sf->bufs, &buf->id, buf,
			      XA_LIMIT(1, SKEL_ID_MAX), &sf->next_id,
			      GFP_KERNEL_ACCOUNT);
	if (ret < 0) {
		if (ret == -EBUSY)	/* every id taken */
			ret = -ENOSPC;
		goto free_dma;
	}
	sf->nr_bufs++;
	sf->bytes += size;
	a->id = buf->id;
	a->offset = (u64)buf->id << SKEL_SLOT_SHIFT;
	dev_dbg(skel_dma_dev, "buffer %u: %zu bytes at dma %pad%s%s\n",
		buf->id, size, &buf->dma, buf->remap_pfn ? ", remap_pfn" : "",
		buf->cached ? ", cached" : "");
	mutex_unlock(&sf->lock);
	return 0;

free_dma:
	skel_buf_free_mem(buf);
	mutex_destroy(&buf->own_lock);
	mutex_destroy(&buf->attach_lock);
free_buf:
	kfree(buf);
unreserve:
	skel_unreserve(size);
unlock:
	mutex_unlock(&sf->lock);
	return ret;
}

/* Drop @sf's hold on buffer @id: SKEL_IOCFREE. Return 0 or -ENOENT. */
static int skel_free(struct skel_file *sf, u32 id)
{
	struct skel_buf *buf;

	mutex_lock(&sf->lock);
	buf = xa_erase(&sf->bufs, id);
	if (buf) {
		sf->nr_bufs--;
		sf->bytes -= buf->size;
	}
	mutex_unlock(&sf->lock);
	if (!buf)
		return -ENOENT;
	skel_buf_put(buf);
	return 0;
}

/*
 * Ownership of a cached buffer's pages, the streaming DMA API's rule: the
 * CPU may touch a page only while it owns it, the device only while the
 * device does, and dma_sync_single_range_for_device()/_for_cpu() hand it
 * over (writing back the CPU's caches for the device, dropping their stale
 * lines for the CPU, where the device is not DMA-coherent). The driver
 * keeps the owner of each page, so that its stand-in device can refuse a
 * transfer into pages the CPU owns, as a real driver must not start one.
 */

/* Whether the device owns all of pages [@first, @end) (@dev) or none. */
static bool skel_owned(struct skel_buf *buf, unsigned long first,
		       unsigned long end, bool dev)
{
	if (dev)
		return find_next_zero_bit(buf->dev_owned, end, first) >= end;
	return find_next_bit(buf->dev_owned, end, first) >= end;
}

/**
 * skel_own - hand pages of a cached buffer to the device or to the CPU
 * @buf: the buffer, with @buf->own_lock held
 * @first: the first page
 * @end: the page after the last
 * @to_dev: to the device (else to the CPU)
 * @strict: every page must be the other side's, else -EBUSY and nothing
 *	changes (SKEL_IOCSYNC); without, pages already on the asked side are
 *	left alone (dma-buf's begin/end_cpu_access, which cover the buffer)
 *
 * Return: 0 or -EBUSY.
 */
static int skel_own(struct skel_buf *buf, unsigned long first,
		    unsigned long end, bool to_dev, bool strict)
{
	unsigned long start, stop;

	lockdep_assert_held(&buf->own_lock);
	if (strict && !skel_owned(buf, first, end, !to_dev))
		return -EBUSY;
	/* Each run of pages the other side owns, in one sync call. */
	for (start = first; start < end; start = stop) {
		size_t off, len;

		if (to_dev) {
			start = find_next_zero_bit(buf->dev_owned, end, start);
			stop = find_next_bit(buf->dev_owned, end, start);
		} else {
			start = find_next_bit(buf->dev_owned, end, start);
			stop = find_next_zero_bit(buf->dev_owned, end, start);
		}
		if (start >= end)
			break;
		off = start << PAGE_SHIFT;
		len = (stop - start) << PAGE_SHIFT;
		if (to_dev) {
			dma_sync_single_range_for_device(skel_dma_dev, buf->dma,
							 off, len,
							 DMA_BIDIRECTIONAL);
			bitmap_set(buf->dev_owned, start, stop - start);
		} else {
			dma_sync_single_range_for_cpu(skel_dma_dev, buf->dma,
						      off, len,
						      DMA_BIDIRECTIONAL);
			bitmap_clear(buf->dev_owned, start, stop - start);
		}
	}
	return 0;
}

/*
 * dma-buf export: the buffer shared with other drivers.
 *
 * The dma-buf holds a reference on the buffer from SKEL_IOCEXPORT until
 * its file's last reference goes (every fd, every mapping of it, every
 * importer's dma_buf_get()), and the dma-buf core holds the module until
 * then: closing /dev/skel or SKEL_IOCFREE leaves the importers' view
 * intact, and rmmod is refused. The buffer is DMA-coherent memory, pinned
 * for its whole life, so this is a static exporter: no pin/unpin, no
 * move_notify.
 */

/**
 * struct skel_attachment - one importing device
 * @dev: the importer's device
 * @sgt: the buffer's pages, mapped for @dev while @mapped
 * @mapped: between map_dma_buf and unmap_dma_buf
 * @node: in skel_buf.attachments
 */
struct skel_attachment {
	struct device *dev;
	struct sg_table sgt;
	bool mapped;
	struct list_head node;
};

/*
 * Whether @dev can reach the buffer where it is. Mapping it for a device
 * whose DMA mask stops below it would give that device a swiotlb bounce
 * buffer (a copy: nothing shared) or make the DMA API warn and fail. An
 * IOMMU maps any page within the mask. skel's own device has neither an
 * IOMMU nor a bus offset, so @buf->dma is the bus address an importer
 * without an IOMMU sees too.
 */
static bool skel_dev_reaches(struct device *dev, struct skel_buf *buf)
{
	if (device_iommu_mapped(dev))
		return true;
	return buf->dma + buf->size - 1 <= dma_get_mask(dev);
}

/*
 * Copy @src into @dst in segments of at most @max_seg bytes. An importer's
 * device states the longest segment it can take (64 KiB unless its driver
 * says otherwise), and the DMA API maps a segment as it is given.
 */
static int skel_sgt_split(struct sg_table *dst, struct sg_table *src,
			  unsigned int max_seg)
{
	struct scatterlist *s, *d;
	unsigned int nents = 0, off, len;
	int i, ret;

	for_each_sgtable_sg(src, s, i)
		nents += DIV_ROUND_UP(s->length, max_seg);
	ret = sg_alloc_table(dst, nents, GFP_KERNEL_ACCOUNT);
	if (ret)
		return ret;
	d = dst->sgl;
	for_each_sgtable_sg(src, s, i) {
		unsigned long pfn = page_to_pfn(sg_page(s));

		for (off = 0; off < s->length; off += len) {
			unsigned int pos = s->offset + off;

			len = min(s->length - off, max_seg);
			sg_set_page(d, pfn_to_page(pfn + (pos >> PAGE_SHIFT)),
				    len, offset_in_page(pos));
			d = sg_next(d);
		}
	}
	return 0;
}

/*
 * A table of the buffer's pages: the DMA API knows where a coherent buffer
 * came from; a cached one is its pages in the linear map.
 */
static int skel_buf_sgtable(struct skel_buf *buf, struct sg_table *sgt)
{
	int ret;

	if (!buf->cached)
		return dma_get_sgtable(skel_dma_dev, sgt, buf->vaddr, buf->dma,
				       buf->size);
	ret = sg_alloc_table(sgt, 1, GFP_KERNEL_ACCOUNT);
	if (!ret)
		sg_set_page(sgt->sgl, buf->page, buf->size, 0);
	return ret;
}

/*
 * The importer's own table of the buffer's pages, built for skel's device
 * (the DMA API knows how it allocated them) and cut to the importer's
 * segment size, then mapped for the importer's device in map_dma_buf: its
 * DMA addresses are its own (an IOMMU, a bus offset), not skel's.
 */
static int skel_dmabuf_attach(struct dma_buf *dmabuf,
			      struct dma_buf_attachment *attach)
{
	struct skel_buf *buf = dmabuf->priv;
	struct skel_attachment *a;
	struct sg_table whole;
	int ret;

	if (!skel_dev_reaches(attach->dev, buf))
		return -EINVAL;
	a = kzalloc(sizeof(*a), GFP_KERNEL_ACCOUNT);
	if (!a)
		return -ENOMEM;
	ret = skel_buf_sgtable(buf, &whole);
	if (!ret) {
		ret = skel_sgt_split(&a->sgt, &whole,
				     dma_get_max_seg_size(attach->dev));
		sg_free_table(&whole);
	}
	if (ret) {
		kfree(a);
		return ret;
	}
	a->dev = attach->dev;
	attach->priv = a;
	mutex_lock(&buf->attach_lock);
	list_add(&a->node, &buf->attachments);
	mutex_unlock(&buf->attach_lock);
	return 0;
}

static void skel_dmabuf_detach(struct dma_buf *dmabuf,
			       struct dma_buf_attachment *attach)
{
	struct skel_buf *buf = dmabuf->priv;
	struct skel_attachment *a = attach->priv;

	mutex_lock(&buf->attach_lock);
	list_del(&a->node);
	mutex_unlock(&buf->attach_lock);
	sg_free_table(&a->sgt);
	kfree(a);
}

static struct sg_table *skel_dmabuf_map(struct dma_buf_attachment *attach,
					enum dma_data_direction dir)
{
	struct skel_buf *buf = attach->dmabuf->priv;
	struct skel_attachment *a = attach->priv;
	int ret;

	/*
	 * Coherent memory needs no cache maintenance at map time (the
	 * importer syncs through begin/end_cpu_access), and may be mapped by
	 * several importers at once: DMA_ATTR_SKIP_CPU_SYNC says both, as
	 * videobuf2-dma-contig's exporter does.
	 */
	ret = dma_map_sgtable(a->dev, &a->sgt, dir, DMA_ATTR_SKIP_CPU_SYNC);
	if (ret)
		return ERR_PTR(ret);
	mutex_lock(&buf->attach_lock);
	a->mapped = true;
	mutex_unlock(&buf->attach_lock);
	return &a->sgt;
}

static void skel_dmabuf_unmap(struct dma_buf_attachment *attach,
			      struct sg_table *sgt,
			      enum dma_data_direction dir)
{
	struct skel_buf *buf = attach->dmabuf->priv;
	struct skel_attachment *a = attach->priv;

	mutex_lock(&buf->attach_lock);
	a->mapped = false;
	mutex_unlock(&buf->attach_lock);
	dma_unmap_sgtable(a->dev, sgt, dir, DMA_ATTR_SKIP_CPU_SYNC);
}

/*
 * DMA_BUF_IOCTL_SYNC and dma_buf_begin/end_cpu_access(): the buffer is
 * coherent for skel's device, but an importer's device may not be, and
 * its mapping then needs the CPU caches written back or dropped: the
 * streaming DMA API's sync calls, for each device that has it mapped.
 */
static void skel_dmabuf_sync(struct skel_buf *buf,
			     enum dma_data_direction dir, bool for_cpu)
{
	struct skel_attachment *a;

	mutex_lock(&buf->attach_lock);
	list_for_each_entry(a, &buf->attachments, node) {
		if (!a->mapped)
			continue;
		if (for_cpu)
			dma_sync_sgtable_for_cpu(a->dev, &a->sgt, dir);
		else
			dma_sync_sgtable_for_device(a->dev, &a->sgt, dir);
	}
	mutex_unlock(&buf->attach_lock);
}

/*
 * A cached buffer's pages follow DMA_BUF_IOCTL_SYNC too: SYNC_START gives
 * them all to the CPU, SYNC_END back to the device.
 */
static int skel_dmabuf_own(struct skel_buf *buf, bool to_dev)
{
	if (!buf->cached)
		return 0;
	if (mutex_lock_killable(&buf->own_lock))
		return -EINTR;
	skel_own(buf, 0, buf->size >> PAGE_SHIFT, to_dev, false);
	mutex_unlock(&buf->own_lock);
	return 0;
}

static int skel_dmabuf_begin_cpu(struct dma_buf *dmabuf,
				 enum dma_data_direction dir)
{
	skel_dmabuf_sync(dmabuf->priv, dir, true);
	return skel_dmabuf_own(dmabuf->priv, false);
}

static int skel_dmabuf_end_cpu(struct dma_buf *dmabuf,
			       enum dma_data_direction dir)
{
	int ret = skel_dmabuf_own(dmabuf->priv, true);

	skel_dmabuf_sync(dmabuf->priv, dir, false);
	return ret;
}

/* mmap of the dma-buf fd: the same bytes as a mapping of /dev/skel. */
static int skel_dmabuf_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	return skel_buf_mmap(dmabuf->priv, vma);
}

/*
 * The buffer has a kernel address for its whole life (the stand-in device
 * copies through it), so vmap returns it and there is no vunmap to do.
 */
static void *skel_dmabuf_vaddr(struct dma_buf *dmabuf)
{
	struct skel_buf *buf = dmabuf->priv;

	return buf->vaddr;
}

LDD3_DMA_BUF_VMAP_WRAPPER(skel_dmabuf_vaddr)

/* The dma-buf's last reference: the buffer may be exported again. */
static void skel_dmabuf_release(struct dma_buf *dmabuf)
{
	struct skel_buf *buf = dmabuf->priv;

	atomic_dec(&skel_exports);
	clear_bit(0, &buf->exported);
	skel_buf_put(buf);
}

static const struct dma_buf_ops skel_dmabuf_ops = {
	.attach = skel_dmabuf_attach,
	.detach = skel_dmabuf_detach,
	.map_dma_buf = skel_dmabuf_map,
	.unmap_dma_buf = skel_dmabuf_unmap,
	.begin_cpu_access = skel_dmabuf_begin_cpu,
	.end_cpu_access = skel_dmabuf_end_cpu,
	.mmap = skel_dmabuf_mmap,
	.vmap = ldd3_dma_buf_vmap(skel_dmabuf_vaddr),
	.release = skel_dmabuf_release,
};

/**
 * skel_ioc_export - SKEL_IOCEXPORT: a dma-buf fd of one buffer
 * @sf: the file, which must hold the buffer
 * @p: the request; @fd is written back
 *
 * The fd is installed only once the caller has been told its number, so a
 * failed copy leaves no fd behind. A buffer has at most one dma-buf at a
 * time: a second export gives -EBUSY (dup() the fd for another).
 *
 * Return: 0, -EFAULT, -EINVAL (flags, @reserved), -ENOENT (an id the file
 * does not hold), -EBUSY, or what allocating the fd and the dma-buf
 * returned (-EMFILE, -ENOMEM).
 */
static long skel_ioc_export(struct skel_file *sf, struct skel_export __user *p)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct skel_export e;
	struct dma_buf *dmabuf;
	struct skel_buf *buf;
	int fd, ret;

	if (copy_from_user(&e, p, sizeof(e)))
		return -EFAULT;
	if (e.reserved || (e.flags & ~(O_CLOEXEC | O_ACCMODE)) ||
	    (e.flags & O_ACCMODE) == O_WRONLY)
		return -EINVAL;

	buf = skel_buf_get(sf, e.id);
	if (!buf)
		return -ENOENT;
	ret = -EBUSY;
	if (test_and_set_bit(0, &buf->exported))
		goto put;

	fd = get_unused_fd_flags(e.flags & O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto unexport;
	}
	info.ops = &skel_dmabuf_ops;
	info.size = buf->size;
	info.flags = e.flags & O_ACCMODE;
	info.priv = buf;
	dmabuf = dma_buf_export(&info);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		goto put_fd;
	}
	/* The reference taken above is now the dma-buf's. */
	atomic_inc(&skel_exports);

	if (put_user(fd, &p->fd)) {
		put_unused_fd(fd);
		dma_buf_put(dmabuf);
		return -EFAULT;
	}
	fd_install(fd, dmabuf->file);
	dev_dbg(skel_dma_dev, "buffer %u: exported\n", buf->id);
	return 0;

put_fd:
	put_unused_fd(fd);
unexport:
	clear_bit(0, &buf->exported);
put:
	skel_buf_put(buf);
	return ret;
}

/**
 * skel_ioc_sync - SKEL_IOCSYNC: hand pages of a cached buffer over
 * @sf: the file, which must hold the buffer
 * @p: the request
 *
 * Return: 0, -EFAULT, -EINVAL (flags, a range not in whole pages, empty or
 * outside the buffer, a buffer that is not cached), -ENOENT (an id the
 * file does not hold), -EBUSY (a page already on the asked side), -EINTR.
 */
static long skel_ioc_sync(struct skel_file *sf, struct skel_sync __user *p)
{
	struct skel_buf *buf;
	struct skel_sync s;
	long ret;

	if (copy_from_user(&s, p, sizeof(s)))
		return -EFAULT;
	if ((s.flags != SKEL_SYNC_FOR_DEVICE && s.flags != SKEL_SYNC_FOR_CPU) ||
	    !s.len || !PAGE_ALIGNED(s.offset) || !PAGE_ALIGNED(s.len))
		return -EINVAL;

	buf = skel_buf_get(sf, s.id);
	if (!buf)
		return -ENOENT;
	ret = -EINVAL;
	if (!buf->cached || s.offset >= buf->size ||
	    s.len > buf->size - s.offset)
		goto put;
	ret = -EINTR;
	if (mutex_lock_killable(&buf->own_lock))
		goto put;
	ret = skel_own(buf, s.offset >> PAGE_SHIFT,
		       (s.offset + s.len) >> PAGE_SHIFT,
		       s.flags == SKEL_SYNC_FOR_DEVICE, true);
	mutex_unlock(&buf->own_lock);
put:
	skel_buf_put(buf);
	return ret;
}

static long skel_ioc_alloc(struct skel_file *sf, struct skel_alloc __user *p)
{
	struct skel_alloc a;
	int ret;

	if (copy_from_user(&a, p, sizeof(a)))
		return -EFAULT;
	if (!a.size || a.size > SKEL_BUF_MAX ||
	    (a.flags & ~(SKEL_ALLOC_REMAP_PFN | SKEL_ALLOC_CACHED)) ||
	    (a.flags & SKEL_ALLOC_REMAP_PFN && a.flags & SKEL_ALLOC_CACHED))
		return -EINVAL;

	a.size = PAGE_ALIGN(a.size);
	ret = skel_alloc(sf, &a);
	if (ret)
		return ret;
	if (copy_to_user(p, &a, sizeof(a))) {
		/* Nobody learnt the id: undo (a racing free may have won). */
		skel_free(sf, a.id);
		return -EFAULT;
	}
	return 0;
}

/**
 * skel_xfer_find - the transfer check of the lab device
 * @filp: the file the ioctl came through
 * @addr: user address of the first byte
 * @len: bytes, at least 1, and @addr + @len does not wrap
 * @off: set to the offset of @addr in the buffer
 *
 * Accept [@addr, @addr + @len) only if it lies in one VMA of the calling
 * process that maps, through @filp, a buffer @filp still holds. The VMA is
 * looked up under the mmap lock, which keeps it, and so its reference on
 * the buffer, alive while we take a reference of our own. vm_ops tells
 * that vm_private_data is a skel_buf; the vm_file test is implied by the
 * "still holds" one (a buffer is mapped only through the file holding it)
 * and kept as the cheap first filter. A range across two VMAs is refused
 * even if they map adjacent pages of one buffer.
 *
 * Return: the buffer with a reference for the caller, or ERR_PTR(-EFAULT),
 * or ERR_PTR(-EINTR) if a fatal signal interrupted the wait for the lock.
 */
static struct skel_buf *skel_xfer_find(struct file *filp, u64 addr, u64 len,
				       size_t *off)
{
	struct skel_file *sf = filp->private_data;
	struct mm_struct *mm = current->mm;
	struct skel_buf *buf = ERR_PTR(-EFAULT);
	struct vm_area_struct *vma;

	/* No address space (a kernel thread), or a 32-bit one too small. */
	if (!mm || (sizeof(unsigned long) < sizeof(addr) && upper_32_bits(addr)))
		return buf;
	if (mmap_read_lock_killable(mm))
		return ERR_PTR(-EINTR);
	vma = find_vma(mm, addr);
	if (vma && vma->vm_start <= addr && vma->vm_ops == &skel_vm_ops &&
	    vma->vm_file == filp && len <= vma->vm_end - addr) {
		struct skel_buf *found = vma->vm_private_data;

		/* vm_pgoff is the VMA's page offset in the buffer. */
		size_t start = (vma->vm_pgoff << PAGE_SHIFT) +
			       (addr - vma->vm_start);

		/* Inside the buffer too, whatever the VMA's size. */
		if (xa_load(&sf->bufs, found->id) == found &&
		    start < found->size && len <= found->size - start) {
			kref_get(&found->ref);
			*off = start;
			buf = found;
		}
	}
	mmap_read_unlock(mm);
	return buf;
}

/**
 * skel_ioc_xfer - the stand-in for the device's DMA
 * @filp: the file
 * @p: the request; @count is written back
 * @to_user: the device writes (SKEL_IOCDEVWRITE) rather than reads
 *
 * A real device would be given buf->dma + off; the CPU copies through the
 * kernel address instead. No user copy happens while the mmap lock is held.
 * In a cached buffer the device must own the range's pages, which then
 * stay its own until the transfer ends.
 *
 * Return: 0, -EINVAL for a malformed request, -EFAULT for a range outside
 * the caller's mapped buffers, -EBUSY for a range of a cached buffer with
 * a page the CPU owns (nothing is touched then), or -EINTR.
 */
static long skel_ioc_xfer(struct file *filp, struct skel_xfer __user *p,
			  bool to_user)
{
	struct skel_xfer x;
	struct skel_buf *buf;
	size_t off, i;
	long ret;
	u8 *mem;

	if (copy_from_user(&x, p, sizeof(x)))
		return -EFAULT;
	if (x.flags || !x.len || x.addr + x.len < x.addr)
		return -EINVAL;

	buf = skel_xfer_find(filp, x.addr, x.len, &off);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	if (buf->cached) {
		ret = -EINTR;
		if (mutex_lock_killable(&buf->own_lock))
			goto put;
		ret = -EBUSY;
		if (!skel_owned(buf, off >> PAGE_SHIFT,
				PAGE_ALIGN(off + x.len) >> PAGE_SHIFT, true))
			goto unlock;
	}

	mem = (u8 *)buf->vaddr + off;
	x.count = to_user ? x.len : 0;
	for (i = 0; i < x.len; i++) {
		u8 want = skel_pattern(x.seed, i);

		if (to_user)
			mem[i] = want;
		else if (mem[i] == want)
			x.count++;
		if (!((i + 1) % SZ_64K))
			cond_resched();
	}
	ret = 0;
unlock:
	if (buf->cached)
		mutex_unlock(&buf->own_lock);
put:
	skel_buf_put(buf);
	if (ret)
		return ret;
	return copy_to_user(p, &x, sizeof(x)) ? -EFAULT : 0;
}

static long skel_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	struct skel_file *sf = filp->private_data;
	void __user *p = (void __user *)arg;
	u32 id;

	switch (cmd) {
	case SKEL_IOCALLOC:
		return skel_ioc_alloc(sf, p);
	case SKEL_IOCFREE:
		if (get_user(id, (u32 __user *)p))
			return -EFAULT;
		return skel_free(sf, id);
	case SKEL_IOCDEVWRITE:
		return skel_ioc_xfer(filp, p, true);
	case SKEL_IOCDEVREAD:
		return skel_ioc_xfer(filp, p, false);
	case SKEL_IOCEXPORT:
		return skel_ioc_export(sf, p);
	case SKEL_IOCSYNC:
		return skel_ioc_sync(sf, p);
	default:
		return -ENOTTY;
	}
}

static int skel_open(struct inode *inode, struct file *filp)
{
	struct skel_file *sf;

	sf = kzalloc(sizeof(*sf), GFP_KERNEL_ACCOUNT);
	if (!sf)
		return -ENOMEM;
	mutex_init(&sf->lock);
	xa_init_flags(&sf->bufs, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	filp->private_data = sf;
	return nonseekable_open(inode, filp);
}

/*
 * The article's "free on close": drop every buffer the file still holds.
 * Each VMA holds a reference on its file, so this runs after the last
 * mapping made through the file is gone; the buffers' memory goes here.
 */
static int skel_release(struct inode *inode, struct file *filp)
{
	struct skel_file *sf = filp->private_data;
	struct skel_buf *buf;
	unsigned long id;

	xa_for_each(&sf->bufs, id, buf) {
		xa_erase(&sf->bufs, id);
		skel_buf_put(buf);
	}
	xa_destroy(&sf->bufs);
	mutex_destroy(&sf->lock);
	kfree(sf);
	return 0;
}

static const struct file_operations skel_fops = {
	.owner = THIS_MODULE,
	.open = skel_open,
	.release = skel_release,
	.unlocked_ioctl = skel_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = skel_mmap,
};

/*
 * /sys/class/misc/skel/{buffers,bytes,mappings,exports}: what is alive
 * now. Each value is read once, without the lock: a snapshot for people
 * and tests.
 */
static ssize_t buffers_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(skel_nr_bufs));
}
static DEVICE_ATTR_RO(buffers);

static ssize_t bytes_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%zu\n", READ_ONCE(skel_bytes));
}
static DEVICE_ATTR_RO(bytes);

static ssize_t mappings_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&skel_mappings));
}
static DEVICE_ATTR_RO(mappings);

static ssize_t exports_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&skel_exports));
}
static DEVICE_ATTR_RO(exports);

/*
 * dma_coherent: 1 where the device sees the CPU's caches (x86), so that
 * handing a cached buffer over costs nothing; 0 where the DMA API must
 * maintain the caches (arm64 without a firmware node saying otherwise).
 */
static ssize_t dma_coherent_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", skel_dma_coherent);
}
static DEVICE_ATTR_RO(dma_coherent);

static struct attribute *skel_attrs[] = {
	&dev_attr_buffers.attr,
	&dev_attr_bytes.attr,
	&dev_attr_mappings.attr,
	&dev_attr_exports.attr,
	&dev_attr_dma_coherent.attr,
	NULL,
};
ATTRIBUTE_GROUPS(skel);

/*
 * Root only, like the other nodes of this project: each buffer pins
 * physically contiguous memory, and the limits are per open file.
 */
static struct miscdevice skel_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = KBUILD_MODNAME,
	.fops = &skel_fops,
	.groups = skel_groups,
	.mode = 0600,
};

/*
 * Whether the device is DMA-coherent, asked the way a driver may:
 * dev_is_dma_coherent() belongs to the DMA API's implementations
 * (dma-map-ops.h), while dma_need_sync() on a cached page's address says
 * whether ownership changes need the sync calls to do anything.
 */
static int __init skel_probe_coherence(void)
{
	struct page *page;
	dma_addr_t dma;

	page = dma_alloc_pages(skel_dma_dev, PAGE_SIZE, &dma,
			       DMA_BIDIRECTIONAL, GFP_KERNEL);
	if (!page)
		return -ENOMEM;
	ldd3_dma_pages_debug_checked(skel_dma_dev, dma);
	skel_dma_coherent = !dma_need_sync(skel_dma_dev, dma);
	dma_free_pages(skel_dma_dev, PAGE_SIZE, page, dma, DMA_BIDIRECTIONAL);
	return 0;
}

/*
 * The device that owns the buffers. It has no firmware node and no bus
 * DMA setup, so the DMA API uses the direct mapping with the mask set
 * here: 32 bits, a device that addresses the low 4 GiB as a plain PCI
 * device does (the article's ISA device reached the low 16 MiB only).
 */
static int __init skel_init(void)
{
	int ret;

	skel_pdev = platform_device_register_simple(KBUILD_MODNAME,
						    PLATFORM_DEVID_NONE,
						    NULL, 0);
	if (IS_ERR(skel_pdev))
		return PTR_ERR(skel_pdev);
	skel_dma_dev = &skel_pdev->dev;

	ret = dma_set_mask_and_coherent(skel_dma_dev, DMA_BIT_MASK(32));
	if (ret) {
		dev_err(skel_dma_dev, "no usable 32-bit DMA: %d\n", ret);
		goto unregister_pdev;
	}
	ret = skel_probe_coherence();
	if (ret)
		goto unregister_pdev;

	skel_misc.parent = skel_dma_dev;
	ret = misc_register(&skel_misc);
	if (ret)
		goto unregister_pdev;
	return 0;

unregister_pdev:
	platform_device_unregister(skel_pdev);
	return ret;
}

/*
 * No buffer is alive here: each pins the module through its file or its
 * dma-buf.
 */
static void __exit skel_exit(void)
{
	misc_deregister(&skel_misc);
	platform_device_unregister(skel_pdev);
}

module_init(skel_init);
module_exit(skel_exit);

MODULE_DESCRIPTION("DMA-coherent buffers mapped to user space, with transfers checked against the caller's mappings (the lab device of the Kernel Korner article)");
MODULE_AUTHOR("The ldd3-mmap project");
MODULE_LICENSE("GPL");
LDD3_IMPORT_DMA_BUF_NS();
MODULE_VERSION(LDD3_MMAP_VERSION);
