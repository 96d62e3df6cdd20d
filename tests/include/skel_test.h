/* SPDX-License-Identifier: GPL-2.0 */
/* What the skel tests share: /dev/skel's ioctls and counters, the pattern. */
#ifndef SKEL_TEST_H
#define SKEL_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "skel_ioctl.h"

#define SKEL_NODE	"/dev/skel"
#define SKEL_SYSFS	"/sys/class/misc/skel/"
#define SKEL_PARAMS	"/sys/module/skel/parameters/"

/* Allocate @size bytes; fill *@a. Return 0 or the errno. */
static inline int skel_alloc(int fd, __u64 size, __u32 flags,
			     struct skel_alloc *a)
{
	memset(a, 0, sizeof(*a));
	a->size = size;
	a->flags = flags;
	return ioctl(fd, SKEL_IOCALLOC, a) ? errno : 0;
}

/* Free buffer @id. Return 0 or the errno. */
static inline int skel_free(int fd, __u32 id)
{
	return ioctl(fd, SKEL_IOCFREE, &id) ? errno : 0;
}

/*
 * Export buffer @id as a dma-buf with fd @flags (O_RDWR, O_CLOEXEC...):
 * *@dmabuf gets its fd. Return 0 or the errno.
 */
static inline int skel_export(int fd, __u32 id, __u32 flags, int *dmabuf)
{
	struct skel_export e = { .id = id, .flags = flags, .fd = -1 };
	int ret = ioctl(fd, SKEL_IOCEXPORT, &e) ? errno : 0;

	*dmabuf = e.fd;
	return ret;
}

/*
 * Hand [@off, @off + @len) of cached buffer @id to the device (@flags
 * SKEL_SYNC_FOR_DEVICE) or to the CPU. Return 0 or the errno.
 */
static inline int skel_sync(int fd, __u32 id, __u32 flags, __u64 off,
			    __u64 len)
{
	struct skel_sync s = {
		.id = id, .flags = flags, .offset = off, .len = len,
	};

	return ioctl(fd, SKEL_IOCSYNC, &s) ? errno : 0;
}

/*
 * Ask the device to write (@cmd SKEL_IOCDEVWRITE) or read (SKEL_IOCDEVREAD)
 * @len bytes at @addr. Return 0 or the errno; *@count gets the result.
 */
static inline int skel_xfer(int fd, unsigned long cmd, const void *addr,
			    __u64 len, __u32 seed, __u64 *count)
{
	struct skel_xfer x = {
		.addr = (uintptr_t)addr, .len = len, .seed = seed,
	};
	int ret = ioctl(fd, cmd, &x) ? errno : 0;

	if (count)
		*count = x.count;
	return ret;
}

static inline int dev_write(int fd, const void *addr, __u64 len,
			    __u32 seed)
{
	return skel_xfer(fd, SKEL_IOCDEVWRITE, addr, len, seed, NULL);
}

/* How many of @len bytes at @addr the device reads as the pattern; -errno. */
static inline long long dev_read(int fd, const void *addr, __u64 len,
				 __u32 seed)
{
	__u64 count;
	int ret = skel_xfer(fd, SKEL_IOCDEVREAD, addr, len, seed, &count);

	return ret ? -ret : (long long)count;
}

/* Map @len bytes of the buffer at mmap offset @off, shared, read-write. */
static inline void *skel_map(int fd, size_t len, __u64 off)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    (off_t)off);
}

/*
 * Index of the first byte of @p not holding the pattern from its byte
 * @start on, or -1.
 */
static inline long not_pattern_from(const void *p, size_t len, __u32 seed,
				    __u64 start)
{
	const __u8 *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != skel_pattern(seed, start + i))
			return (long)i;
	return -1;
}

/* Index of the first byte of @p not holding the pattern, or -1. */
static inline long not_pattern(const void *p, size_t len, __u32 seed)
{
	return not_pattern_from(p, len, seed, 0);
}

/* Index of the first byte of @p not equal to @c, or -1. */
static inline long not_byte(const void *p, size_t len, __u8 c)
{
	const __u8 *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != c)
			return (long)i;
	return -1;
}

/* Write the pattern into @p, as a user program would. */
static inline void put_pattern(void *p, size_t len, __u32 seed)
{
	__u8 *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = skel_pattern(seed, i);
}

/* A number from a sysfs file, or -1. */
static inline long long read_num(const char *path)
{
	char buf[32];
	long long v = -1;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = '\0';
		v = strtoll(buf, NULL, 10);
	}
	close(fd);
	return v;
}

/* The number in file @name of directory @dir, or -1. */
static inline long long read_num_in(const char *dir, const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s%s", dir, name);
	return read_num(path);
}

/* /sys/class/misc/skel/{buffers,bytes,mappings,exports}: alive now. */
static inline long long skel_stat(const char *name)
{
	return read_num_in(SKEL_SYSFS, name);
}

static inline long long skel_param(const char *name)
{
	return read_num_in(SKEL_PARAMS, name);
}

/*
 * SKEL_ALLOC_REMAP_PFN maps a coherent buffer's page frames, which exist
 * only where that buffer is in the linear map. Where the device is not
 * DMA-coherent (arm64) the buffer is an uncached remap, and skel must
 * refuse the flag. Return 1 if @flags ask for it on such a device and skel
 * refused it with EOPNOTSUPP, 0 if the flag applies here, -1 if skel got
 * it wrong (allocated such a buffer, or failed with another errno).
 */
static inline int skel_remap_pfn_refused(int fd, __u32 flags)
{
	struct skel_alloc a;
	int ret;

	if (!(flags & SKEL_ALLOC_REMAP_PFN) || skel_stat("dma_coherent") != 0)
		return 0;
	ret = skel_alloc(fd, 1, flags, &a);
	if (!ret)
		skel_free(fd, a.id);
	return ret == EOPNOTSUPP ? 1 : -1;
}

/*
 * For fixtures whose variants include SKEL_ALLOC_REMAP_PFN: the setup
 * checks the refusal (skel_remap_pfn_refused() into self->refused), and
 * each test skips with this reason on a device that refuses the flag, the
 * refusal being what there is to test there. kselftest's harness of 6.1
 * runs a test whose setup skipped, so the skip is in the test.
 */
#define SKEL_REMAP_PFN_REFUSED \
	"the device is not DMA-coherent: SKEL_ALLOC_REMAP_PFN is refused with EOPNOTSUPP (checked)"

/* Set module parameter @name to @value. Return 0 or the errno. */
static inline int skel_param_set(const char *name, long long value)
{
	char path[128], buf[32];
	int fd, len, ret = 0;

	snprintf(path, sizeof(path), SKEL_PARAMS "%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return errno;
	len = snprintf(buf, sizeof(buf), "%lld\n", value);
	if (write(fd, buf, len) != len)
		ret = errno ? errno : EIO;
	close(fd);
	return ret;
}

#endif /* SKEL_TEST_H */
