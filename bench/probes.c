// SPDX-License-Identifier: GPL-2.0
/*
 * probes.c - the timed operations: map and touch, re-read, read().
 *
 * Every mapping is placed at a 2 MiB aligned address: a page table then
 * covers the same pages in every run and for every target, and the kernel's
 * fault-around windows (64 KiB of virtual address, aligned to it) all lie
 * inside the mapping, so fault counts are exact and comparable instead of
 * depending on where mmap() happened to put the range.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "probes.h"
#include "stats.h"

#define ALIGN_2M	((uintptr_t)2 << 20)

/* Defeats the optimiser: the reads must happen. */
volatile uint64_t bench_sink;

/*
 * The result is zeroed before the call: were its page not yet written (a
 * new stack page, or one copy-on-write since a fork), getrusage() would
 * take that fault after reading the count, and the next reading would
 * have one more.
 */
static long minor_faults(void)
{
	struct rusage ru = { 0 };

	/* RUSAGE_SELF with a valid pointer cannot fail. */
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/*
 * Find a free, 2 MiB aligned range of @len bytes: reserve a larger one and
 * give it back. Nothing else maps memory meanwhile (one thread), so the
 * caller's MAP_FIXED_NOREPLACE mmap at that address succeeds.
 */
static void *aligned_hole(size_t len)
{
	void *p = mmap(NULL, len + ALIGN_2M, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uintptr_t a;

	if (p == MAP_FAILED)
		return NULL;
	a = ((uintptr_t)p + ALIGN_2M - 1) & ~(ALIGN_2M - 1);
	munmap(p, len + ALIGN_2M);
	return (void *)a;
}

void *map_and_touch(const char *what, int fd, off_t off, size_t len,
		    bool write, struct touch_cost *cost)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), i;
	int flags = MAP_SHARED | MAP_FIXED_NOREPLACE;
	volatile unsigned char *v;
	uint64_t sum = 0;
	void *hint, *p;
	long f0;
	double t0;

	hint = aligned_hole(len);
	if (!hint) {
		fprintf(stderr, "mmap_bench: cannot reserve %zu bytes of address space: %s\n",
			len, strerror(errno));
		return NULL;
	}
	if (fd < 0)
		flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE;

	f0 = minor_faults();
	t0 = now_ns();
	p = mmap(hint, len, PROT_READ | PROT_WRITE, flags, fd, off);
	if (p == MAP_FAILED) {
		fprintf(stderr, "mmap_bench: mmap %s (%zu bytes at offset %lld): %s\n",
			what, len, (long long)off, strerror(errno));
		return NULL;
	}
	v = p;
	if (write)
		for (i = 0; i < len; i += page)
			v[i] = (unsigned char)i;
	else
		for (i = 0; i < len; i += page)
			sum += v[i];
	cost->ns = now_ns() - t0;
	cost->faults = minor_faults() - f0;
	bench_sink = sum;
	return p;
}

double reread(const void *p, size_t len)
{
	const uint64_t *w = p;
	uint64_t sum = 0;
	size_t i, n = len / sizeof(*w);
	double t0 = now_ns();

	for (i = 0; i < n; i++)
		sum += w[i];
	bench_sink = sum;
	return now_ns() - t0;
}

double read_all(const char *what, int fd, size_t len, void *buf,
		size_t bufsize)
{
	size_t done = 0;
	double t0 = now_ns();

	while (done < len) {
		size_t want = len - done < bufsize ? len - done : bufsize;
		ssize_t n = pread(fd, buf, want, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "mmap_bench: read %s at offset %zu: %s\n",
				what, done, n ? strerror(errno) :
				"unexpected end of file");
			return -1;
		}
		done += (size_t)n;
	}
	return now_ns() - t0;
}
