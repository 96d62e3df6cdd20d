// SPDX-License-Identifier: GPL-2.0
/*
 * simple.ko: what mmap of /dev/simpler (remap_pfn_range at mmap time) and
 * /dev/simplen (pages installed by its fault handler) does, on the RAM buffer (default) or on
 * a device memory window (phys_size= set; tests/host/simple_ivshmem.sh runs
 * this program that way).
 *
 *   - bytes written through one node are read through the other and read();
 *   - a mapping that reaches past the region, or whose offset or length
 *     overflows, is refused and nothing is mapped;
 *   - MAP_PRIVATE: simpler (and simplen on device memory, both VM_PFNMAP)
 *     refuse a writable private mapping with EINVAL and keep a read-only one
 *     read-only (mprotect: EACCES); simplen on RAM copies on write, and the
 *     private writes never reach the buffer;
 *   - PROT_WRITE with MAP_SHARED on an O_RDONLY descriptor: EACCES;
 *   - mremap: growing simpler fails with EFAULT; simplen on RAM grows, the
 *     pages inside the region work, the page past it raises SIGBUS;
 *   - simplen installs one page per fault (RSS grows page by page) with
 *     fault_around=0; with fault_around (the default) a read fault, and
 *     a write fault in a shared mapping, maps the 64 KiB window around it.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "probe.h"
#include "simple_test.h"

#define SIMPLER "/dev/simpler"
#define SIMPLEN "/dev/simplen"

/* Whether /proc/self/maps lists a mapping of a simple node. */
static int simple_in_maps(void)
{
	char line[512];
	int found = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "/dev/simple"))
			found = 1;
	fclose(f);
	return found;
}

/* The Rss of the mapping that starts at ADDR, in kB, from smaps. */
static long smaps_rss(void *addr)
{
	char line[512], start[32];
	int in = 0;
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	snprintf(start, sizeof(start), "%lx-", (unsigned long)addr);
	while (fgets(line, sizeof(line), f)) {
		if (strchr(line, '-') && strchr(line, ' ') > strchr(line, '-'))
			in = !strncmp(line, start, strlen(start));
		if (in && !strncmp(line, "Rss:", 4)) {
			kb = strtol(line + 4, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

static sigjmp_buf sigbus_env;

static void on_sigbus(int sig)
{
	siglongjmp(sigbus_env, sig);
}

/*
 * Read one byte at P. Returns 0 and the byte in *val, or SIGBUS if the
 * access raised it. alarm() bounds the access: a fault handler that returns
 * VM_FAULT_NOPAGE without a PTE would retry it forever, and SIGALRM then
 * kills the test, which fails it.
 */
static int touch(volatile const unsigned char *p, unsigned char *val)
{
	struct sigaction sa = { .sa_handler = on_sigbus };
	int sig;

	sigaction(SIGBUS, &sa, NULL);
	alarm(10);
	sig = sigsetjmp(sigbus_env, 1);
	if (!sig)
		*val = *p;
	alarm(0);
	signal(SIGBUS, SIG_DFL);
	return sig;
}

/* The test pattern byte at region offset OFF for SEED. */
static unsigned char pat(unsigned long off, unsigned int seed)
{
	return (unsigned char)(off * 7 + (off >> 12) * 13 + seed);
}

FIXTURE(simple)
{
	int rfd, nfd;
	size_t size, page;
	int phys;
	unsigned char *buf;
};

FIXTURE_SETUP(simple)
{
	self->page = sysconf(_SC_PAGESIZE);
	self->phys = simple_param("phys_size") != 0;
	self->size = self->phys ? simple_param("phys_size") :
				  simple_param("size");
	self->rfd = open(SIMPLER, O_RDWR);
	ASSERT_LE(0, self->rfd) TH_LOG("open %s: %s", SIMPLER, strerror(errno));
	self->nfd = open(SIMPLEN, O_RDWR);
	ASSERT_LE(0, self->nfd) TH_LOG("open %s: %s", SIMPLEN, strerror(errno));
	/* mmap, not malloc: up to 64 MiB, and the analyzers see no leak. */
	self->buf = mmap(NULL, self->size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	TH_LOG("region: %zu bytes of %s", self->size,
	       self->phys ? "device memory" : "RAM");
}

FIXTURE_TEARDOWN(simple)
{
	munmap(self->buf, self->size);
	close(self->rfd);
	close(self->nfd);
	/* Every test leaves nothing mapped. */
	EXPECT_EQ(0, simple_mappings("simpler"));
	EXPECT_EQ(0, simple_mappings("simplen"));
}

/* Fill the region through write() with the pattern for SEED. */
static int fill(int fd, unsigned char *buf, size_t size, unsigned int seed)
{
	size_t i;

	for (i = 0; i < size; i++)
		buf[i] = pat(i, seed);
	return pwrite(fd, buf, size, 0) == (ssize_t)size ? 0 : -1;
}

/* The first page offset where P differs from BUF, or -1. */
static long first_bad_page(const unsigned char *p, const unsigned char *buf,
			   size_t size, size_t page)
{
	size_t i;

	for (i = 0; i < size; i += page)
		if (p[i] != buf[i])
			return (long)i;
	return -1;
}

TEST_F(simple, simpler_writes_read_back_through_simplen_and_read)
{
	unsigned char *r, *n;
	size_t i;

	r = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->rfd, 0);
	ASSERT_NE(MAP_FAILED, r) TH_LOG("mmap simpler: %s", strerror(errno));
	n = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->nfd, 0);
	ASSERT_NE(MAP_FAILED, n) TH_LOG("mmap simplen: %s", strerror(errno));
	EXPECT_EQ(1, simple_mappings("simpler"));
	EXPECT_EQ(1, simple_mappings("simplen"));

	for (i = 0; i < self->size; i++)
		r[i] = pat(i, 1);
	EXPECT_EQ(0, memcmp(n, r, self->size))
		TH_LOG("simplen does not see what simpler wrote");
	ASSERT_EQ((ssize_t)self->size, pread(self->nfd, self->buf, self->size, 0));
	EXPECT_EQ(0, memcmp(self->buf, r, self->size))
		TH_LOG("read() does not see what simpler wrote");

	/* And the other way round, including what write() changes. */
	for (i = 0; i < self->size; i += self->page)
		n[i] = pat(i, 2);
	EXPECT_EQ(0, memcmp(n, r, self->size));
	ASSERT_EQ(0, fill(self->rfd, self->buf, self->size, 3));
	EXPECT_EQ(0, memcmp(self->buf, r, self->size));
	EXPECT_EQ(0, memcmp(self->buf, n, self->size));

	ASSERT_EQ(0, munmap(r, self->size));
	ASSERT_EQ(0, munmap(n, self->size));
}

TEST_F(simple, offsets_are_relative_to_the_region)
{
	off_t last = (off_t)(self->size - self->page);
	unsigned char *r, *n;

	ASSERT_EQ(0, fill(self->rfd, self->buf, self->size, 4));
	r = mmap(NULL, self->page, PROT_READ, MAP_SHARED, self->rfd, last);
	ASSERT_NE(MAP_FAILED, r) TH_LOG("mmap last page: %s", strerror(errno));
	n = mmap(NULL, self->page, PROT_READ, MAP_SHARED, self->nfd, last);
	ASSERT_NE(MAP_FAILED, n) TH_LOG("mmap last page: %s", strerror(errno));
	EXPECT_EQ(0, memcmp(r, self->buf + last, self->page));
	EXPECT_EQ(0, memcmp(n, self->buf + last, self->page));
	munmap(r, self->page);
	munmap(n, self->page);
}

/* mmap that must fail with ERR; then nothing of ours is mapped. */
static void refused(struct __test_metadata *_metadata, int fd, size_t len,
		    off_t off, int err, const char *what)
{
	void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, off);

	EXPECT_EQ(MAP_FAILED, p) TH_LOG("%s: mapped", what);
	if (p != MAP_FAILED) {
		munmap(p, len);
		return;
	}
	EXPECT_EQ(err, errno) TH_LOG("%s: %s, expected %s", what,
				     strerror(errno), strerror(err));
	EXPECT_EQ(0, simple_in_maps());
	EXPECT_EQ(0, simple_mappings("simpler"));
	EXPECT_EQ(0, simple_mappings("simplen"));
}

/* Every bad offset and length on FD is refused. */
static void refusals(struct __test_metadata *_metadata, int fd, size_t sz,
		     size_t pg)
{
	/* The driver: EINVAL, the book's "spans too high". */
	refused(_metadata, fd, sz + pg, 0, EINVAL, "one page too long");
	refused(_metadata, fd, 2 * pg, (off_t)(sz - pg), EINVAL,
		"last page + 1");
	refused(_metadata, fd, pg, (off_t)sz, EINVAL, "offset == size");
	refused(_metadata, fd, pg, (off_t)1 << 40, EINVAL, "offset 1 TiB");
	refused(_metadata, fd, 2 * pg, INT64_MAX & ~(off_t)(pg - 1), EINVAL,
		"offset 2^63 - 1 page");
	/* The kernel, before the driver is asked. */
	refused(_metadata, fd, 3 * pg, -2 * (off_t)pg, EOVERFLOW,
		"offset + length wraps past 2^64");
	refused(_metadata, fd, pg, -(off_t)pg, EOVERFLOW, "negative offset");
	refused(_metadata, fd, SIZE_MAX & ~(pg - 1), 0, ENOMEM,
		"length near 2^64");
	refused(_metadata, fd, pg, 1, EINVAL, "unaligned offset");
}

TEST_F(simple, mappings_past_the_region_are_refused)
{
	refusals(_metadata, self->rfd, self->size, self->page);
	refusals(_metadata, self->nfd, self->size, self->page);
}

static void rdonly_node(struct __test_metadata *_metadata, const char *node,
			size_t page)
{
	int fd = open(node, O_RDONLY);
	void *p;

	ASSERT_LE(0, fd) TH_LOG("open %s: %s", node, strerror(errno));
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT_EQ(MAP_FAILED, p) TH_LOG("%s: writable on O_RDONLY", node);
	EXPECT_EQ(EACCES, errno) TH_LOG("%s: %s", node, strerror(errno));
	/* Read-only works, and cannot be made writable later. */
	p = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("%s: %s", node, strerror(errno));
	EXPECT_EQ(-1, mprotect(p, page, PROT_READ | PROT_WRITE))
		TH_LOG("%s: made writable", node);
	EXPECT_EQ(EACCES, errno) TH_LOG("%s: %s", node, strerror(errno));
	munmap(p, page);
	close(fd);
}

TEST_F(simple, prot_write_on_o_rdonly_is_refused)
{
	rdonly_node(_metadata, SIMPLER, self->page);
	rdonly_node(_metadata, SIMPLEN, self->page);
}

/* MAP_PRIVATE on a VM_PFNMAP node: EINVAL if writable, else read-only. */
static void private_pfnmap(struct __test_metadata *_metadata, int fd,
			   size_t page, const unsigned char *expect)
{
	unsigned char *p;

	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	EXPECT_EQ(MAP_FAILED, p) TH_LOG("writable MAP_PRIVATE was mapped");
	EXPECT_EQ(EINVAL, errno);

	p = mmap(NULL, page, PROT_READ, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("read-only MAP_PRIVATE: %s",
					strerror(errno));
	EXPECT_EQ(0, memcmp(p, expect, page));
	EXPECT_EQ(-1, mprotect(p, page, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	munmap(p, page);
}

TEST_F(simple, map_private_simpler)
{
	ASSERT_EQ(0, fill(self->rfd, self->buf, self->size, 5));
	private_pfnmap(_metadata, self->rfd, self->page, self->buf);
}

TEST_F(simple, map_private_simplen)
{
	unsigned char *p, *check;
	size_t i, lost;

	ASSERT_EQ(0, fill(self->rfd, self->buf, self->size, 6));
	if (self->phys) {
		/* VM_PFNMAP too: vmf_insert_pfn() cannot copy on write. */
		private_pfnmap(_metadata, self->nfd, self->page, self->buf);
		return;
	}
	p = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		 self->nfd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	/* Reads see the buffer... */
	EXPECT_EQ(0, memcmp(p, self->buf, self->size));
	/* ...writes go to private copies, */
	for (i = 0; i < self->size; i += self->page)
		p[i] = ~self->buf[i];
	for (i = 0, lost = 0; i < self->size; i += self->page)
		lost += p[i] != (unsigned char)~self->buf[i];
	EXPECT_EQ(0, lost) TH_LOG("the private copies lost writes");
	/* never to the buffer. */
	check = mmap(NULL, self->size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, check);
	ASSERT_EQ((ssize_t)self->size, pread(self->rfd, check, self->size, 0));
	EXPECT_EQ(0, memcmp(check, self->buf, self->size))
		TH_LOG("a private write reached the device");
	munmap(check, self->size);
	munmap(p, self->size);
}

TEST_F(simple, mremap_cannot_grow_simpler)
{
	unsigned char *r, *q;

	ASSERT_EQ(0, fill(self->rfd, self->buf, self->size, 7));
	r = mmap(NULL, self->size, PROT_READ, MAP_SHARED, self->rfd, 0);
	ASSERT_NE(MAP_FAILED, r);
	q = mremap(r, self->size, self->size + self->page, 0);
	EXPECT_EQ(MAP_FAILED, q);
	EXPECT_EQ(EFAULT, errno) TH_LOG("in place: %s", strerror(errno));
	q = mremap(r, self->size, self->size + self->page, MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, q);
	EXPECT_EQ(EFAULT, errno) TH_LOG("may move: %s", strerror(errno));
	/* The mapping is untouched. */
	EXPECT_EQ(0, memcmp(r, self->buf, self->size));
	EXPECT_EQ(1, simple_mappings("simpler"));
	munmap(r, self->size);
}

TEST_F(simple, mremap_grows_simplen_and_sigbus_past_the_region)
{
	size_t half = self->size / 2 & ~(self->page - 1);
	size_t grown = self->size + 2 * self->page;
	unsigned char *n, *q, v = 0;
	size_t i;
	int sig = 0;

	if (!half)
		half = self->page;
	ASSERT_EQ(0, fill(self->rfd, self->buf, self->size, 8));
	n = mmap(NULL, half, PROT_READ, MAP_SHARED, self->nfd, 0);
	ASSERT_NE(MAP_FAILED, n);
	q = mremap(n, half, grown, MREMAP_MAYMOVE);
	if (self->phys) {
		/* VM_PFNMAP: the kernel refuses to grow it. */
		EXPECT_EQ(MAP_FAILED, q) TH_LOG("a VM_PFNMAP mapping grew");
		EXPECT_EQ(EFAULT, errno) TH_LOG("%s", strerror(errno));
		munmap(n, half);
		return;
	}
	ASSERT_NE(MAP_FAILED, q) TH_LOG("mremap: %s", strerror(errno));
	EXPECT_EQ(1, simple_mappings("simplen"));
	/* Every page inside the region, including the new ones. */
	for (i = 0; i < self->size && !sig; i += self->page)
		sig = touch(q + i, &v);
	EXPECT_EQ(0, sig) TH_LOG("SIGBUS at %zu", i - self->page);
	EXPECT_EQ(-1, first_bad_page(q, self->buf, self->size, self->page));
	/* Past it: SIGBUS, not the book's page of zeros. */
	EXPECT_EQ(SIGBUS, touch(q + self->size, &v));
	EXPECT_EQ(SIGBUS, touch(q + self->size + self->page, &v));
	munmap(q, grown);
}

/* Shrink a two-page mapping of FD, then move it onto a reserved range. */
static void shrink_and_move(struct __test_metadata *_metadata, int fd,
			    size_t page, const unsigned char *expect)
{
	unsigned char *p, *dst, *q;

	p = mmap(NULL, 2 * page, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	q = mremap(p, 2 * page, page, 0);
	ASSERT_EQ(p, q) TH_LOG("shrink: %s", strerror(errno));
	dst = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, dst) TH_LOG("mmap: %s", strerror(errno));
	q = mremap(p, page, page, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ASSERT_EQ(dst, q) TH_LOG("move: %s", strerror(errno));
	EXPECT_EQ(0, memcmp(q, expect, page));
	munmap(q, page);
}

TEST_F(simple, mremap_shrinks_and_moves)
{
	ASSERT_EQ(0, fill(self->rfd, self->buf, self->size, 9));
	shrink_and_move(_metadata, self->rfd, self->page, self->buf);
	shrink_and_move(_metadata, self->nfd, self->page, self->buf);
}

/* Set simple's fault_around parameter, which is read at mmap time. */
static int set_fault_around(int on)
{
	FILE *f = fopen("/sys/module/simple/parameters/fault_around", "w");
	int bad;

	if (!f)
		return -1;
	bad = fputs(on ? "Y" : "N", f) < 0;
	return fclose(f) || bad ? -1 : 0;
}

TEST_F(simple, simplen_without_fault_around_maps_one_page_per_fault)
{
	unsigned char *n, v;
	int err;

	if (self->phys)
		SKIP(return, "device memory is VM_PFNMAP: RSS does not count it");
	ASSERT_LE(4 * self->page, self->size);
	ASSERT_EQ(0, set_fault_around(0));
	n = mmap(NULL, 4 * self->page, PROT_READ, MAP_SHARED, self->nfd, 0);
	err = errno;
	ASSERT_EQ(0, set_fault_around(1));
	ASSERT_NE(MAP_FAILED, n) TH_LOG("mmap: %s", strerror(err));
	EXPECT_EQ(0, smaps_rss(n)) TH_LOG("pages mapped at mmap time");
	ASSERT_EQ(0, touch(n + 2 * self->page, &v));
	EXPECT_EQ((long)self->page / 1024, smaps_rss(n));
	ASSERT_EQ(0, touch(n, &v));
	EXPECT_EQ(2 * (long)self->page / 1024, smaps_rss(n));
	munmap(n, 4 * self->page);
}

/*
 * With fault_around (the default), a read fault maps the 64 KiB aligned
 * window around it (16 pages of 4 KiB, 4 of 16 KiB), so does a write fault
 * in this shared mapping, and a read fault next to a page already mapped
 * maps the rest of the window around it.
 * The mapping is placed at a 64 KiB aligned address so that it is exactly
 * two windows.
 */
TEST_F(simple, simplen_fault_around_maps_the_window_of_a_read_fault)
{
	const size_t win = FAULT_WINDOW_BYTES, len = 2 * win;
	/* A page inside the first window with a neighbour on each side. */
	const size_t at = win / 4 + self->page;
	unsigned char *n, v;
	long kb = (long)win / 1024;

	if (self->phys)
		SKIP(return, "device memory: one page per fault");
	if (fault_window_pages() < 4)
		SKIP(return, "a window of fewer than 4 pages");
	/* self->buf holds the expected bytes, then what read() returns. */
	ASSERT_LE(2 * len, self->size);
	ASSERT_EQ(0, fill(self->rfd, self->buf, self->size, 10));
	n = map_aligned(self->nfd, len, PROT_READ | PROT_WRITE, MAP_SHARED, 0,
			win);
	ASSERT_NE(NULL, n) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(0, smaps_rss(n)) TH_LOG("pages mapped at mmap time");
	/* A read fault: its window, the second one, whole. */
	ASSERT_EQ(0, touch(n + win + win / 4, &v));
	EXPECT_EQ(kb, smaps_rss(n));
	/* A write fault: its window, the first one, whole. */
	n[at] = (unsigned char)~self->buf[at];
	EXPECT_EQ(2 * kb, smaps_rss(n));
	/* Only the page written left mapped; a read fault beside it: the rest. */
	ASSERT_EQ(0, madvise(n, at, MADV_DONTNEED));
	ASSERT_EQ(0, madvise(n + at + self->page, win - at - self->page,
			     MADV_DONTNEED));
	EXPECT_EQ(kb + (long)self->page / 1024, smaps_rss(n));
	ASSERT_EQ(0, touch(n + at + self->page, &v));
	EXPECT_EQ(2 * kb, smaps_rss(n));
	/* Every page shows the buffer, the written byte included. */
	self->buf[at] = (unsigned char)~self->buf[at];
	EXPECT_EQ(-1, first_bad_page(n, self->buf, len, self->page));
	ASSERT_EQ((ssize_t)len, pread(self->rfd, self->buf + len, len, 0));
	EXPECT_EQ(0, memcmp(self->buf, self->buf + len, len))
		TH_LOG("read() disagrees with the mapping");
	munmap(n, len);
}

TEST_HARNESS_MAIN
