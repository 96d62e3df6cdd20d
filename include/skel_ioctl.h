/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * skel_ioctl.h - ioctl commands of /dev/skel (skel.ko).
 *
 * Included by the driver and by user programs. skel.ko is the lab device of
 * the Linux Journal "Kernel Korner" article (skel_malloc/skel_free), done
 * with today's DMA API: each buffer is DMA-coherent memory that a program
 * maps into its address space, and the stand-in "device" transfers data
 * only into or out of buffers the calling process has mapped.
 *
 * SKEL_IOCALLOC    allocate a buffer of @size bytes (rounded up to whole
 *                  pages, at most SKEL_BUF_MAX). The driver writes back the
 *                  rounded size, the buffer's id and the mmap offset at
 *                  which it is mapped (MAP_SHARED, from that offset or from
 *                  any page inside the buffer). The memory starts zeroed.
 *                  With SKEL_ALLOC_CACHED the buffer is cached memory whose
 *                  pages the CPU owns at first; see SKEL_IOCSYNC.
 * SKEL_IOCFREE     release the buffer whose id the __u32 points to. Its
 *                  memory lives on while a mapping of it exists.
 * SKEL_IOCDEVWRITE the device writes @len bytes of skel_pattern(@seed, k),
 *                  k = 0 .. @len - 1, at user address @addr; @count = @len.
 * SKEL_IOCDEVREAD  the device reads @len bytes at @addr; @count = how many
 *                  of them equal skel_pattern(@seed, k).
 * SKEL_IOCEXPORT   make buffer @id a dma-buf and write its new fd to @fd:
 *                  @flags is O_RDONLY or O_RDWR (may the fd be mapped for
 *                  writing), with or without O_CLOEXEC. Mapping the fd maps
 *                  the buffer (MAP_SHARED, offset 0 = its first byte), and
 *                  any driver that imports dma-bufs can use it. The buffer
 *                  lives until the dma-buf does, whatever SKEL_IOCFREE or
 *                  close do; it has one dma-buf at a time (dup() the fd).
 *                  DMA_BUF_IOCTL_SYNC on it moves a cached buffer's pages:
 *                  SYNC_START to the CPU, SYNC_END to the device.
 * SKEL_IOCSYNC     hand the pages [@offset, @offset + @len) of cached buffer
 *                  @id to the device (SKEL_SYNC_FOR_DEVICE: the CPU's writes
 *                  reach memory) or back to the CPU (SKEL_SYNC_FOR_CPU: the
 *                  CPU sees what the device wrote). Every page must be the
 *                  other side's; else EBUSY and nothing changes.
 *
 * The device accepts a transfer only if [@addr, @addr + @len) lies inside
 * one mapping, made through the same open file, of a buffer that file still
 * holds; else EFAULT, and no byte is touched. In a cached buffer the device
 * must own every page of the range; else EBUSY, and no byte is touched.
 * Every buffer a file holds is released when the file is closed.
 *
 * Errors: EINVAL (size 0 or above SKEL_BUF_MAX, unknown flags, a transfer
 * of 0 bytes or one that wraps, a nonzero @reserved), ENOENT (free or
 * export of an id the file does not hold), ENOSPC (the file's own count or
 * byte limit), ENOMEM (the driver's global limits, or no memory), EFAULT (a
 * transfer outside the caller's mapped buffers), EOPNOTSUPP
 * (SKEL_ALLOC_REMAP_PFN where the kernel address is not in the linear map,
 * either flag where memory is encrypted),
 * EBUSY (export of a buffer whose dma-buf lives; a sync or a transfer of
 * pages the other side owns). SKEL_IOCSYNC: EINVAL for flags other than
 * one of the two, an offset or length not a multiple of the page size, a
 * range of 0 bytes or outside the buffer, or a buffer that is not cached;
 * ENOENT for an id the file does not hold; EINTR if a fatal signal
 * interrupted the wait for the buffer.
 */
#ifndef SKEL_IOCTL_H
#define SKEL_IOCTL_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* The largest buffer: what the page allocator gives in one piece. */
#define SKEL_BUF_MAX		(4U << 20)

/*
 * Map this buffer with remap_pfn_range() of its page frames instead of
 * dma_mmap_coherent(): the 2006 question, answered (see skel.c).
 */
#define SKEL_ALLOC_REMAP_PFN	0x1U

/*
 * A cached buffer (dma_alloc_pages()): mapped with the CPU's normal
 * caching, with ownership handed over by SKEL_IOCSYNC, as for the
 * streaming DMA API. Not with SKEL_ALLOC_REMAP_PFN.
 */
#define SKEL_ALLOC_CACHED	0x2U

struct skel_alloc {
	__u64 size;	/* in: bytes; out: rounded up to whole pages */
	__u32 flags;	/* in: 0 or one SKEL_ALLOC_* flag */
	__u32 id;	/* out: the buffer's id, for SKEL_IOCFREE */
	__u64 offset;	/* out: the mmap offset of the buffer's first byte */
};

struct skel_xfer {
	__u64 addr;	/* in: user address of the first byte */
	__u64 len;	/* in: bytes, at least 1 */
	__u32 seed;	/* in: selects the pattern */
	__u32 flags;	/* in: 0 */
	__u64 count;	/* out: see above */
};

struct skel_export {
	__u32 id;	/* in: the buffer */
	__u32 flags;	/* in: O_RDONLY or O_RDWR, | O_CLOEXEC */
	__s32 fd;	/* out: the dma-buf */
	__u32 reserved;	/* in: 0 */
};

struct skel_sync {
	__u32 id;	/* in: the buffer, a cached one */
	__u32 flags;	/* in: SKEL_SYNC_FOR_DEVICE or SKEL_SYNC_FOR_CPU */
	__u64 offset;	/* in: first byte, a multiple of the page size */
	__u64 len;	/* in: bytes, a nonzero multiple of the page size */
};

#define SKEL_SYNC_FOR_DEVICE	0x1U
#define SKEL_SYNC_FOR_CPU	0x2U

#define SKEL_IOC_MAGIC		'k'
#define SKEL_IOCALLOC		_IOWR(SKEL_IOC_MAGIC, 0x40, struct skel_alloc)
#define SKEL_IOCFREE		_IOW(SKEL_IOC_MAGIC, 0x41, __u32)
#define SKEL_IOCDEVWRITE	_IOWR(SKEL_IOC_MAGIC, 0x42, struct skel_xfer)
#define SKEL_IOCDEVREAD		_IOWR(SKEL_IOC_MAGIC, 0x43, struct skel_xfer)
#define SKEL_IOCEXPORT		_IOWR(SKEL_IOC_MAGIC, 0x44, struct skel_export)
#define SKEL_IOCSYNC		_IOW(SKEL_IOC_MAGIC, 0x45, struct skel_sync)

/* Byte @k of the pattern the device writes and checks: differs per page. */
static inline __u8 skel_pattern(__u32 seed, __u64 k)
{
	return (__u8)(seed + k * 7 + (k >> 8));
}

#endif /* SKEL_IOCTL_H */
