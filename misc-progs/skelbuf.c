// SPDX-License-Identifier: GPL-2.0
/*
 * skelbuf - the life of one DMA buffer of /dev/skel (skel.ko), step by step
 *
 * usage: skelbuf [--remap-pfn] [--export] SIZE
 *
 * Allocates a buffer of SIZE bytes with SKEL_IOCALLOC, maps it at the
 * offset the driver returns, lets the device write into it and read from
 * it (SKEL_IOCDEVWRITE, SKEL_IOCDEVREAD), shows that the device refuses an
 * address outside the mapping, frees the buffer while it is still mapped
 * and unmaps it, printing the driver's counters from sysfs on the way.
 * With --export it also turns the buffer into a dma-buf (SKEL_IOCEXPORT),
 * the fd another driver would import, maps that, and shows that the
 * dma-buf keeps the buffer after SKEL_IOCFREE and munmap, until it closes.
 * This is the Linux Journal article's user program (skel_malloc, mmap,
 * skel_free) with today's interface; see include/skel_ioctl.h.
 *
 * Exit status: 0 if every step did what it must, 1 if one did not,
 * 2 for a usage error.
 */
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

static int failed;
static int exporting;

static void fail(const char *what)
{
	fprintf(stderr, "skelbuf: %s: %s\n", what, strerror(errno));
	failed = 1;
}

/* A step that worked but did not give what it must. */
static void wrong(const char *what, unsigned long long got,
		  unsigned long long want)
{
	fprintf(stderr, "skelbuf: %s: %llu, not %llu\n", what, got, want);
	failed = 1;
}

/*
 * Print the driver's counters: buffers and mappings alive, bytes held,
 * and with --export the dma-bufs alive.
 */
static void show_counters(const char *when)
{
	static const char *const names[] = {
		"buffers", "bytes", "mappings", "exports"
	};
	char path[64], val[32];
	size_t i;

	printf("%s: ", when);
	for (i = 0; i < sizeof(names) / sizeof(names[0]) - !exporting; i++) {
		FILE *f;

		snprintf(path, sizeof(path), SKEL_SYSFS "%s", names[i]);
		errno = 0;
		f = fopen(path, "r");
		if (!f || !fgets(val, sizeof(val), f)) {
			if (!errno)
				errno = ENODATA;	/* an empty file */
			fail(path);
			strcpy(val, "?\n");
		}
		if (f)
			fclose(f);
		val[strcspn(val, "\n")] = '\0';
		printf("%s%s %s", i ? ", " : "", names[i], val);
	}
	printf("\n");
}

/* Ask the device to write or check @len bytes at @addr; -1 and errno. */
static long long xfer(int fd, unsigned long cmd, const void *addr,
		      size_t len, __u32 seed)
{
	struct skel_xfer x = {
		.addr = (uintptr_t)addr, .len = len, .seed = seed,
	};

	if (ioctl(fd, cmd, &x))
		return -1;
	return (long long)x.count;
}

/* How many of the @len bytes at @p hold the pattern of @seed. */
static size_t pattern_bytes(const __u8 *p, size_t len, __u32 seed)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += p[i] == skel_pattern(seed, i);
	return n;
}

static void show_bytes(const char *what, const __u8 *p, size_t len)
{
	size_t i;

	printf("%s:", what);
	for (i = 0; i < len; i++)
		printf(" %02x", p[i]);
	printf("\n");
}

/* Export buffer @id as a dma-buf and map it: the map, or MAP_FAILED. */
static __u8 *export_buffer(int fd, __u32 id, size_t size, int *dmabuf)
{
	struct skel_export e = { .id = id, .flags = O_RDWR | O_CLOEXEC };
	__u8 *map;

	if (ioctl(fd, SKEL_IOCEXPORT, &e)) {
		fail("SKEL_IOCEXPORT");
		return MAP_FAILED;
	}
	*dmabuf = e.fd;
	printf("SKEL_IOCEXPORT buffer %u: dma-buf fd %d\n", id, e.fd);
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, e.fd, 0);
	if (map == MAP_FAILED) {
		fail("mmap of the dma-buf");
		close(e.fd);
	}
	return map;
}

/* After free and munmap: the dma-buf alone holds the buffer, then not. */
static void close_export(__u8 *map, size_t size, int dmabuf, __u32 seed)
{
	size_t n = pattern_bytes(map, size, seed);

	printf("the dma-buf's mapping still holds the program's bytes: %zu of %zu\n",
	       n, size);
	if (n != size)
		wrong("bytes the dma-buf's mapping holds", n, size);
	if (munmap(map, size) || close(dmabuf))
		fail("closing the dma-buf");
	else
		printf("munmap and close of the dma-buf\n");
	show_counters("driver");
}

int main(int argc, char **argv)
{
	struct skel_alloc a = { 0 };
	const __u32 dev_seed = 1, prog_seed = 2;
	unsigned long long size;
	long long n;
	char outside[16] = "";
	__u8 *map, *dmap = MAP_FAILED;
	int fd, dmabuf = -1;
	size_t i;
	char *end;

	for (; argc > 1 && argv[1][0] == '-' && argv[1][1] == '-'; argc--, argv++) {
		if (!strcmp(argv[1], "--remap-pfn"))
			a.flags = SKEL_ALLOC_REMAP_PFN;
		else if (!strcmp(argv[1], "--export"))
			exporting = 1;
		else
			break;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: skelbuf [--remap-pfn] [--export] SIZE\n");
		return 2;
	}
	errno = 0;
	size = strtoull(argv[1], &end, 10);
	if (errno || argv[1][0] < '0' || argv[1][0] > '9' || *end) {
		fprintf(stderr, "skelbuf: not a size in bytes: '%s'\n",
			argv[1]);
		return 2;
	}

	fd = open(SKEL_NODE, O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "skelbuf: cannot open %s: %s\n", SKEL_NODE,
			strerror(errno));
		return 1;
	}
	a.size = size;
	if (ioctl(fd, SKEL_IOCALLOC, &a)) {
		fprintf(stderr, "skelbuf: SKEL_IOCALLOC of %llu bytes: %s\n",
			size, strerror(errno));
		close(fd);
		return 1;
	}
	printf("SKEL_IOCALLOC %llu bytes: buffer %u, %llu bytes, mmap offset 0x%llx\n",
	       size, a.id, (unsigned long long)a.size,
	       (unsigned long long)a.offset);
	map = mmap(NULL, a.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   (off_t)a.offset);
	if (map == MAP_FAILED) {
		fail("mmap of the buffer");
		close(fd);
		return 1;
	}
	printf("mmap: %llu bytes, shared%s\n", (unsigned long long)a.size,
	       a.flags ? ", by remap_pfn_range" : "");
	show_counters("driver");
	for (i = 0, n = 0; i < a.size; i++)
		n += !map[i];
	printf("zero bytes in the new buffer: %lld of %llu\n", n,
	       (unsigned long long)a.size);
	if (n != (long long)a.size)
		wrong("zero bytes in the new buffer", (unsigned long long)n,
		      a.size);

	/* The device writes; the program reads through its mapping. */
	n = xfer(fd, SKEL_IOCDEVWRITE, map, a.size, dev_seed);
	if (n < 0)
		fail("SKEL_IOCDEVWRITE into the mapping");
	show_bytes("the device wrote; the program reads", map, 8);
	i = pattern_bytes(map, a.size, dev_seed);
	printf("bytes as the device wrote them: %zu of %llu\n", i,
	       (unsigned long long)a.size);
	if (i != a.size)
		wrong("bytes as the device wrote them", i, a.size);

	/* The program writes; the device reads and counts. */
	for (i = 0; i < a.size; i++)
		map[i] = skel_pattern(prog_seed, i);
	n = xfer(fd, SKEL_IOCDEVREAD, map, a.size, prog_seed);
	if (n < 0)
		fail("SKEL_IOCDEVREAD from the mapping");
	else
		printf("the program wrote; bytes the device read as written: %lld of %llu\n",
		       n, (unsigned long long)a.size);
	if (n >= 0 && n != (long long)a.size)
		wrong("bytes the device read as written",
		      (unsigned long long)n, a.size);

	/* Memory that is not a mapping of the buffer is refused. */
	n = xfer(fd, SKEL_IOCDEVWRITE, outside, sizeof(outside), dev_seed);
	printf("SKEL_IOCDEVWRITE into the program's own stack: %s\n",
	       n < 0 ? strerror(errno) : "accepted");
	if (n >= 0 || errno != EFAULT || outside[0]) {
		fprintf(stderr, "skelbuf: the device must refuse memory that is not a mapping of the buffer with EFAULT, and write nothing\n");
		failed = 1;
	}

	if (exporting) {
		dmap = export_buffer(fd, a.id, a.size, &dmabuf);
		if (dmap != MAP_FAILED) {
			i = pattern_bytes(dmap, a.size, prog_seed);
			printf("the dma-buf's mapping holds the program's bytes: %zu of %llu\n",
			       i, (unsigned long long)a.size);
			if (i != a.size)
				wrong("bytes the dma-buf's mapping holds", i,
				      a.size);
		}
	}

	/* Freed while mapped: the mapping keeps the memory. */
	if (ioctl(fd, SKEL_IOCFREE, &a.id))
		fail("SKEL_IOCFREE");
	else
		printf("SKEL_IOCFREE buffer %u while it is mapped\n", a.id);
	show_counters("driver");
	i = pattern_bytes(map, a.size, prog_seed);
	printf("the mapping still holds the program's bytes: %zu of %llu\n",
	       i, (unsigned long long)a.size);
	if (i != a.size)
		wrong("bytes the mapping still holds", i, a.size);

	if (munmap(map, a.size))
		fail("munmap");
	else
		printf("munmap\n");
	show_counters("driver");
	close(fd);
	if (dmap != MAP_FAILED)
		close_export(dmap, a.size, dmabuf, prog_seed);
	return failed;
}
