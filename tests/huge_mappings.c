// SPDX-License-Identifier: GPL-2.0
/*
 * Huge (PMD) mappings of /dev/simplen's RAM buffer and of scullp at order
 * 9: where the kernel can map a driver's folio with one PMD entry (6.16
 * and later, with transparent huge pages on, 4 KiB pages), a 2 MiB aligned
 * block of a mapping takes one fault and one PMD; elsewhere, and on older
 * kernels, the same tests prove the page-by-page fallback. Each test
 * checks the bytes: first reads and writes, the device's ragged end, an
 * unaligned mapping, splitting by munmap, mprotect and mremap (move and
 * shrink), fork, MADV_DONTNEED, get_user_pages (vmsplice, /proc/PID/mem),
 * private mappings (a write copies one page), soft-dirty tracking, scull's
 * truncating open, fault_around=0, the THP policy, and scullv (vmalloc
 * memory is not physically contiguous: never a PMD).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "module_param.h"
#include "probe.h"
#include "scull_ioctl.h"
#include "scull_test.h"

#define PMD (2L << 20)
#define BLOCKS 4
/* The data: 4 whole blocks and a ragged end of 64 KiB. */
#define TAIL (64L << 10)
#define LEN (BLOCKS * PMD + TAIL)
#define THP_ENABLED "/sys/kernel/mm/transparent_hugepage/enabled"
/* scullp's order for these tests: 2 MiB quanta with 4 KiB pages. */
#define SCULL_ORDER 9

FIXTURE(huge) {
	int fd;
	long page;
	bool expect_pmd;	/* this node on this kernel maps with PMDs */
	long pmd_base;		/* the machine's FilePmdMapped before */
	char thp[16];		/* the THP policy before, put back after */
};

FIXTURE_VARIANT(huge) {
	const char *node;
	const char *module;	/* whose fault_around parameter applies */
	bool scull;
	bool folios;		/* its memory is made of 2 MiB folios */
};

FIXTURE_VARIANT_ADD(huge, simplen) {
	.node = "/dev/simplen",
	.module = "simple",
	.folios = true,
};

FIXTURE_VARIANT_ADD(huge, scullp) {
	.node = "/dev/scullp0",
	.module = "scull_core",
	.scull = true,
	.folios = true,
};

FIXTURE_VARIANT_ADD(huge, scullv) {
	.node = "/dev/scullv0",
	.module = "scull_core",
	.scull = true,
};

static int run(const char *cmd)
{
	int status = system(cmd);

	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The value of a module parameter, or 0 if it cannot be read. */
static long param(const char *module, const char *name)
{
	char path[128], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s", module,
		 name);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return strtol(buf, NULL, 10);
}

/* Page @i of the data holds its index in its first 8 bytes. */
static int write_pattern(int fd, long page)
{
	char *buf = calloc(1, LEN);
	long i;
	ssize_t got;

	if (!buf)
		return -1;
	for (i = 0; i < (long)(LEN / page); i++)
		memcpy(buf + i * page, &i, sizeof(i));
	got = pwrite(fd, buf, LEN, 0);
	free(buf);
	return got == (ssize_t)LEN ? 0 : -1;
}

static long smaps_kb(const void *addr, const char *field);

/* Set the THP policy ("always", "madvise" or "never"). */
static int thp_policy(const char *v)
{
	return write_knob(THP_ENABLED, v);
}

/* The THP policy in force: the word in brackets of "always [madvise] never". */
static void thp_policy_now(char *buf, size_t n)
{
	char line[128] = "", *l, *r = NULL;
	FILE *f = fopen(THP_ENABLED, "r");

	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
	}
	l = strchr(line, '[');
	if (l)
		r = strchr(l, ']');
	if (r)
		*r = '\0';
	snprintf(buf, n, "%s", r ? l + 1 : "");
}

static int fault_around(const char *module, const char *on)
{
	return set_module_param(module, "fault_around", on, NULL, 0);
}

FIXTURE_SETUP(huge)
{
	const char *root = getenv("LDD3_ROOT");

	self->page = sysconf(_SC_PAGESIZE);
	if (!variant->scull && param("simple", "size") < LEN) {
		char cmd[512];

		ASSERT_NE(NULL, root) TH_LOG("LDD3_ROOT is not set");
		snprintf(cmd, sizeof(cmd),
			 "rmmod simple && insmod %s/simple.ko size=%ld", root,
			 LEN);
		ASSERT_EQ(0, run(cmd)) TH_LOG("%s failed", cmd);
	}
	self->fd = variant->scull ? open_empty(variant->node) :
				    open(variant->node, O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", variant->node,
				      strerror(errno));
	if (variant->scull)
		ASSERT_EQ(0, ioctl(self->fd, SCULLP_IOCSORDER,
				       &(int){ SCULL_ORDER }))
			TH_LOG("order %d: %s", SCULL_ORDER, strerror(errno));
	ASSERT_EQ(0, write_pattern(self->fd, self->page));
	ASSERT_EQ(0, fault_around(variant->module, "1"));
	thp_policy_now(self->thp, sizeof(self->thp));
	/*
	 * Debian's policy; the core offers ->huge_fault under it. A page
	 * table holds page / 8 entries, so a PMD maps 2 MiB only with 4 KiB
	 * pages (32 MiB with 16 KiB pages: more than these devices hold).
	 */
	self->expect_pmd = variant->folios && kernel_at_least(6, 16) &&
			   strcmp(self->thp, "always") == 0 &&
			   self->page / 8 * self->page == PMD;
	self->pmd_base = smaps_kb(NULL, "FilePmdMapped");
	TH_LOG("%s: PMD mappings %s", variant->node,
	       self->expect_pmd ? "expected" : "not expected (page fallback)");
}

FIXTURE_TEARDOWN(huge)
{
	if (self->thp[0])
		thp_policy(self->thp);
	fault_around(variant->module, "1");
	close(self->fd);
	if (variant->scull) {
		close(open(variant->node, O_WRONLY));
		self->fd = open(variant->node, O_RDWR);
		ioctl(self->fd, SCULLP_IOCRESET);
		close(self->fd);
	}
}

/*
 * A "kB" field of the smaps entry of the VMA holding @addr (of this
 * process, or of the whole machine from /proc/meminfo if @addr is NULL),
 * or -1 if it is missing.
 */
static long smaps_kb(const void *addr, const char *field)
{
	FILE *f = fopen(addr ? "/proc/self/smaps" : "/proc/meminfo", "r");
	size_t flen = strlen(field);
	bool in = !addr;
	char line[256];
	long kb = -1;
	unsigned long long at = (uintptr_t)addr;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *end;
		/* A VMA's first line: "lo-hi perms ...". */
		unsigned long long lo = strtoull(line, &end, 16);

		if (addr && *end == '-') {
			unsigned long long hi = strtoull(end + 1, &end, 16);

			if (*end == ' ') {
				in = at >= lo && at < hi;
				continue;
			}
		}
		if (in && !strncmp(line, field, flen) && line[flen] == ':') {
			kb = strtol(line + flen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

/* kB of the VMA at @addr mapped with PMD entries. */
static long pmd_kb(const void *addr)
{
	return smaps_kb(addr, "FilePmdMapped");
}

/* What PMDs map in a mapping of @len bytes holding @blocks whole blocks. */
static long want_kb(const struct _test_data_huge *self, long blocks)
{
	return self->expect_pmd ? blocks * (long)(PMD >> 10) : 0;
}

/*
 * Map @len bytes of @fd from @off at a 2 MiB aligned address, whatever
 * the kernel's get_unmapped_area would choose: older kernels then show
 * what they do with an aligned mapping too.
 */
static uint8_t *map_dev(int fd, size_t len, int prot, int flags, off_t off)
{
	return map_aligned(fd, len, prot, flags, off, PMD);
}

/* The index page @i of @map holds, read from the mapping. */
static long mapped_index(const uint8_t *map, long page, long i)
{
	long v;

	memcpy(&v, map + i * page, sizeof(v));
	return v;
}

/* Read (or write @v after the index of) each page; return the faults. */
static long touch_pages(uint8_t *map, long page, long first, long n,
			bool write, uint8_t v)
{
	long before = minflt(), i;

	for (i = first; i < first + n; i++) {
		if (write)
			map[i * page + 8] = v;
		else
			(void)*(volatile uint8_t *)(map + i * page);
	}
	return minflt() - before;
}

/* The pages @first..@first+@n-1 of a mapping at offset 0 show the data. */
static long bad_pages(const uint8_t *map, long page, long first, long n)
{
	long i, bad = 0;

	for (i = first; i < first + n; i++)
		if (mapped_index(map, page, i) != i)
			bad++;
	return bad;
}

/*
 * First reads: 8 MiB at an aligned address take one fault per 2 MiB and
 * are mapped by PMDs; the ragged end takes single pages. Without PMDs,
 * fault-around's one fault per window at most.
 */
TEST_F(huge, first_read_maps_pmds)
{
	const long p = self->page, n = BLOCKS * PMD / p;
	uint8_t *map;
	long faults;

	/* Where the kernel chooses: the driver's get_unmapped_area aligns. */
	map = mmap(NULL, LEN, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, map) TH_LOG("mmap: %s", strerror(errno));
	if (self->expect_pmd)
		EXPECT_EQ(0, (uintptr_t)map % PMD)
			TH_LOG("get_unmapped_area gave %p", map);
	faults = touch_pages(map, p, 0, n, false, 0);
	TH_LOG("%ld pages read: %ld faults, %ld kB in PMDs", n, faults,
	       pmd_kb(map));
	EXPECT_EQ(want_kb(self, BLOCKS), pmd_kb(map));
	if (self->expect_pmd) {
		EXPECT_EQ(BLOCKS, faults);
	} else {
		EXPECT_GE(n / fault_window_pages() + 1, faults);
	}
	EXPECT_EQ(0, bad_pages(map, p, 0, LEN / p));
	ASSERT_EQ(0, munmap(map, LEN));
	EXPECT_EQ(self->pmd_base, smaps_kb(NULL, "FilePmdMapped"))
		TH_LOG("a PMD of the device is still counted as mapped");
}

/* First writes in a shared mapping: one fault per 2 MiB, bytes arrive. */
TEST_F(huge, first_write_maps_pmds_writable)
{
	const long p = self->page, n = LEN / p;
	uint8_t *map;
	long faults, i, bad = 0;

	map = map_dev(self->fd, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	ASSERT_NE(NULL, map);
	faults = touch_pages(map, p, 0, BLOCKS * PMD / p, true, 0x5a);
	TH_LOG("%lu pages written: %ld faults", BLOCKS * PMD / p, faults);
	EXPECT_EQ(want_kb(self, BLOCKS), pmd_kb(map));
	if (self->expect_pmd)
		EXPECT_EQ(BLOCKS, faults);
	touch_pages(map, p, BLOCKS * PMD / p, TAIL / p, true, 0x5a);
	ASSERT_EQ(0, munmap(map, LEN));
	for (i = 0; i < n; i++)
		if (dev_byte(self->fd, i * p + 8) != 0x5a)
			bad++;
	EXPECT_EQ(0, bad) TH_LOG("%ld pages did not reach the device", bad);
}

/*
 * A mapping whose address is not congruent to its offset modulo 2 MiB
 * (MAP_FIXED one page off) can hold no PMD: single pages, right bytes.
 */
TEST_F(huge, unaligned_mapping_takes_pages)
{
	const long p = self->page;
	uint8_t *hole, *map;

	hole = mmap(NULL, LEN + 2 * PMD, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	map = (uint8_t *)(((uintptr_t)hole + PMD) & ~(PMD - 1)) + p;
	ASSERT_EQ(map, mmap(map, LEN - p, PROT_READ, MAP_SHARED | MAP_FIXED,
			    self->fd, 0));
	touch_pages(map, p, 0, LEN / p - 1, false, 0);
	EXPECT_EQ(0, pmd_kb(map));
	EXPECT_EQ(0, bad_pages(map, p, 0, LEN / p - 1));
	/* Offset one page, address one page past 2 MiB: aligned again. */
	ASSERT_EQ(map, mmap(map, 2 * PMD, PROT_READ, MAP_SHARED | MAP_FIXED,
			    self->fd, p));
	touch_pages(map, p, 0, 2 * PMD / p, false, 0);
	EXPECT_EQ(want_kb(self, 1), pmd_kb(map));
	EXPECT_EQ(1, mapped_index(map, p, 0));
	EXPECT_EQ(2 * PMD / p, mapped_index(map, p, 2 * PMD / p - 1));
	ASSERT_EQ(0, munmap(hole, LEN + 2 * PMD));
}

/*
 * munmap of one page inside a PMD splits it: the rest of the 2 MiB is
 * mapped again by single-page faults and keeps its bytes; nothing stays
 * counted.
 */
TEST_F(huge, partial_munmap_splits)
{
	const long p = self->page, per = PMD / p;
	uint8_t *map;

	map = map_dev(self->fd, LEN, PROT_READ, MAP_SHARED, 0);
	ASSERT_NE(NULL, map);
	touch_pages(map, p, 0, LEN / p, false, 0);
	ASSERT_EQ(0, munmap(map + PMD + 7 * p, p));
	EXPECT_EQ(0, touch_in_child(map + PMD + 6 * p, false));
	EXPECT_EQ(SIGSEGV, touch_in_child(map + PMD + 7 * p, false));
	EXPECT_EQ(0, bad_pages(map, p, 0, per + 7));
	EXPECT_EQ(0, bad_pages(map, p, per + 8, LEN / p - per - 8));
	EXPECT_EQ(want_kb(self, 1), pmd_kb(map));
	ASSERT_EQ(0, munmap(map, LEN));
	EXPECT_EQ(self->pmd_base, smaps_kb(NULL, "FilePmdMapped"));
}

/* mprotect of one page of a PMD splits it; protection holds, then lifts. */
TEST_F(huge, partial_mprotect_splits)
{
	const long p = self->page;
	uint8_t *map;

	map = map_dev(self->fd, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	ASSERT_NE(NULL, map);
	touch_pages(map, p, 0, LEN / p, true, 1);
	ASSERT_EQ(0, mprotect(map + 3 * p, p, PROT_READ));
	EXPECT_EQ(SIGSEGV, touch_in_child(map + 3 * p + 8, true));
	EXPECT_EQ(0, touch_in_child(map + 4 * p + 8, true));
	EXPECT_EQ(0, touch_in_child(map + 3 * p, false));
	EXPECT_EQ(want_kb(self, BLOCKS - 1), pmd_kb(map + PMD));
	ASSERT_EQ(0, mprotect(map + 3 * p, p, PROT_READ | PROT_WRITE));
	map[3 * p + 8] = 2;
	EXPECT_EQ(0, bad_pages(map, p, 0, LEN / p));
	ASSERT_EQ(0, munmap(map, LEN));
	EXPECT_EQ(2, dev_byte(self->fd, 3 * p + 8));
	EXPECT_EQ('w', dev_byte(self->fd, 4 * p + 8));
	EXPECT_EQ(1, dev_byte(self->fd, 5 * p + 8));
}

/*
 * mremap: a move to an aligned address keeps the PMDs, a shrink splits
 * the one it cuts, a move to an unaligned address splits them all; the
 * bytes follow every time.
 */
TEST_F(huge, mremap_move_and_shrink)
{
	const long p = self->page, n = BLOCKS * PMD / p;
	const size_t room = (2 * BLOCKS + 3) * PMD, shrunk = 3 * PMD + 5 * p;
	uint8_t *map, *hole, *to;

	map = map_dev(self->fd, BLOCKS * PMD, PROT_READ, MAP_SHARED, 0);
	ASSERT_NE(NULL, map);
	touch_pages(map, p, 0, n, false, 0);
	hole = mmap(NULL, room, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	to = (uint8_t *)(((uintptr_t)hole + PMD) & ~(PMD - 1));
	map = mremap(map, BLOCKS * PMD, BLOCKS * PMD,
		     MREMAP_MAYMOVE | MREMAP_FIXED, to);
	ASSERT_EQ(to, map) TH_LOG("mremap: %s", strerror(errno));
	EXPECT_EQ(want_kb(self, BLOCKS), pmd_kb(map));
	EXPECT_EQ(0, bad_pages(map, p, 0, n));

	ASSERT_EQ(map, mremap(map, BLOCKS * PMD, shrunk, 0));
	EXPECT_EQ(want_kb(self, 3), pmd_kb(map));
	EXPECT_EQ(0, bad_pages(map, p, 0, shrunk / p));
	EXPECT_EQ(SIGSEGV, touch_in_child(map + shrunk, false));

	to = map + (BLOCKS + 1) * PMD + p;
	map = mremap(map, shrunk, shrunk, MREMAP_MAYMOVE | MREMAP_FIXED, to);
	ASSERT_EQ(to, map) TH_LOG("mremap: %s", strerror(errno));
	EXPECT_EQ(0, bad_pages(map, p, 0, shrunk / p));
	EXPECT_EQ(0, pmd_kb(map));
	ASSERT_EQ(0, munmap(hole, room));
	EXPECT_EQ(self->pmd_base, smaps_kb(NULL, "FilePmdMapped"));
}

/* A child maps PMDs of its own; its writes reach the parent's mapping. */
TEST_F(huge, fork_child_maps_and_writes)
{
	const long p = self->page, n = BLOCKS * PMD / p;
	uint8_t *map;
	int status;
	pid_t pid;

	map = map_dev(self->fd, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	ASSERT_NE(NULL, map);
	touch_pages(map, p, 0, n, true, 1);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		long faults = touch_pages(map, p, 0, n, true, 4);

		/* A bit for each check that failed, for the parent to say. */
		_exit((bad_pages(map, p, 0, n) ? 1 : 0) |
		      (pmd_kb(map) != want_kb(self, BLOCKS) ? 2 : 0) |
		      (self->expect_pmd && faults != BLOCKS ? 4 : 0));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("the child was killed");
	EXPECT_EQ(0, WEXITSTATUS(status) & 1)
		TH_LOG("the child read wrong bytes");
	EXPECT_EQ(0, WEXITSTATUS(status) & 2)
		TH_LOG("the child's PMD-mapped kB were not %ld",
		       want_kb(self, BLOCKS));
	EXPECT_EQ(0, WEXITSTATUS(status) & 4)
		TH_LOG("the child took other than %d faults", BLOCKS);
	EXPECT_EQ(4, map[8]);
	EXPECT_EQ(4, map[(n - 1) * p + 8]);
	ASSERT_EQ(0, munmap(map, LEN));
}

/* MADV_DONTNEED drops the PMDs, not the data; the next read maps again. */
TEST_F(huge, madv_dontneed_keeps_the_data)
{
	const long p = self->page, n = BLOCKS * PMD / p;
	uint8_t *map;

	map = map_dev(self->fd, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	ASSERT_NE(NULL, map);
	touch_pages(map, p, 0, n, true, 5);
	ASSERT_EQ(0, madvise(map, LEN, MADV_DONTNEED));
	EXPECT_EQ(0, pmd_kb(map));
	EXPECT_EQ(5, map[(n - 1) * p + 8]);
	EXPECT_EQ(0, bad_pages(map, p, 0, n));
	EXPECT_EQ(want_kb(self, BLOCKS), pmd_kb(map));
	ASSERT_EQ(0, munmap(map, LEN));
}

/*
 * get_user_pages on a PMD-mapped block: vmsplice takes references to its
 * pages, /proc/self/mem reads through them; the bytes are the device's.
 */
TEST_F(huge, gup_vmsplice_and_proc_mem)
{
	const long p = self->page;
	struct iovec iov;
	uint8_t *map;
	long v, want = PMD / p + 3;
	int pipefd[2], mem;

	map = map_dev(self->fd, LEN, PROT_READ, MAP_SHARED, 0);
	ASSERT_NE(NULL, map);
	touch_pages(map, p, 0, BLOCKS * PMD / p, false, 0);
	ASSERT_EQ(0, pipe(pipefd));
	iov.iov_base = map + want * p;
	iov.iov_len = sizeof(v);
	ASSERT_EQ((ssize_t)sizeof(v), vmsplice(pipefd[1], &iov, 1, 0))
		TH_LOG("vmsplice: %s", strerror(errno));
	ASSERT_EQ((ssize_t)sizeof(v), read(pipefd[0], &v, sizeof(v)));
	EXPECT_EQ(want, v);
	close(pipefd[0]);
	close(pipefd[1]);

	mem = open("/proc/self/mem", O_RDONLY);
	ASSERT_LE(0, mem);
	want = 3 * PMD / p + 9;
	ASSERT_EQ((ssize_t)sizeof(v),
		  pread(mem, &v, sizeof(v), (off_t)(uintptr_t)(map + want * p)))
		TH_LOG("/proc/self/mem: %s", strerror(errno));
	EXPECT_EQ(want, v);
	close(mem);
	EXPECT_EQ(want_kb(self, BLOCKS), pmd_kb(map));
	ASSERT_EQ(0, munmap(map, LEN));
}

/*
 * MAP_PRIVATE: reads may map PMDs (read-only); a write splits the block
 * and copies the page written, never reaching the device.
 */
TEST_F(huge, private_write_copies_one_page)
{
	const long p = self->page;
	uint8_t *map, v = 7;

	map = map_dev(self->fd, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
	ASSERT_NE(NULL, map);
	touch_pages(map, p, 0, BLOCKS * PMD / p, false, 0);
	EXPECT_EQ(want_kb(self, BLOCKS), pmd_kb(map));
	map[PMD + 8] = 9;
	EXPECT_EQ(0, dev_byte(self->fd, PMD + 8));
	EXPECT_EQ(want_kb(self, BLOCKS - 1), pmd_kb(map));
	ASSERT_EQ(1, pwrite(self->fd, &v, 1, PMD + p + 8));
	EXPECT_EQ(7, map[PMD + p + 8]);
	ASSERT_EQ(1, pwrite(self->fd, &v, 1, PMD + 8));
	EXPECT_EQ(9, map[PMD + 8]);
	/* A first write to an unmapped block copies one page too. */
	ASSERT_EQ(0, madvise(map, LEN, MADV_DONTNEED));
	map[2 * PMD + 8] = 9;
	EXPECT_EQ(0, dev_byte(self->fd, 2 * PMD + 8));
	EXPECT_EQ(2 * PMD / p + 1, mapped_index(map, p, 2 * PMD / p + 1));
	ASSERT_EQ(0, munmap(map, LEN));
	EXPECT_EQ(self->pmd_base, smaps_kb(NULL, "FilePmdMapped"));
}

/*
 * Soft-dirty after clear_refs 4: the PMDs are write-protected, the next
 * write faults and marks its block dirty (a PMD is tracked whole, like a
 * transparent huge page), and not the other blocks.
 */
TEST_F(huge, soft_dirty_tracks_blocks)
{
	const long p = self->page;
	uint8_t *map;
	long faults;

	map = map_dev(self->fd, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	ASSERT_NE(NULL, map);
	touch_pages(map, p, 0, BLOCKS * PMD / p, true, 1);
	if (!(pagemap_entry(map + PMD, p) & PM_SOFT_DIRTY)) {
		munmap(map, LEN);
		SKIP(return, "this kernel has no soft-dirty tracking (CONFIG_MEM_SOFT_DIRTY)");
	}
	ASSERT_EQ(0, clear_soft_dirty());
	EXPECT_EQ(0, pagemap_entry(map + PMD, p) & PM_SOFT_DIRTY);
	/*
	 * clear_refs write-protected this process's stack too: a call that
	 * touches no page takes those faults first, so that only the
	 * mapping's is counted below.
	 */
	touch_pages(map, p, 0, 0, true, 0);
	faults = touch_pages(map, p, PMD / p, 1, true, 2);
	EXPECT_EQ(1, faults);
	EXPECT_NE(0, pagemap_entry(map + PMD, p) & PM_SOFT_DIRTY);
	EXPECT_EQ(0, pagemap_entry(map + 2 * PMD, p) & PM_SOFT_DIRTY);
	EXPECT_EQ(0, pagemap_entry(map, p) & PM_SOFT_DIRTY);

	ASSERT_EQ(0, munmap(map, LEN));
	EXPECT_EQ(2, dev_byte(self->fd, PMD + 8));

	/*
	 * A write fault in a block never mapped (no page table yet): one
	 * fault with a PMD; with single pages of a 2 MiB folio, two
	 * (ldd3_fault_page() maps the page read-only, the second fault makes
	 * it writable and dirty). Either way unmapping leaves nothing
	 * counted as mapped by a PMD.
	 */
	map = map_dev(self->fd, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	ASSERT_NE(NULL, map);
	ASSERT_EQ(0, clear_soft_dirty());
	touch_pages(map, p, 0, 0, true, 0);
	faults = touch_pages(map, p, 2 * PMD / p, 1, true, 3);
	EXPECT_GE(2, faults);
	EXPECT_NE(0, pagemap_entry(map + 2 * PMD, p) & PM_SOFT_DIRTY);
	ASSERT_EQ(0, munmap(map, LEN));
	EXPECT_EQ(3, dev_byte(self->fd, 2 * PMD + 8));
	EXPECT_EQ(self->pmd_base, smaps_kb(NULL, "FilePmdMapped"));
}

/*
 * scull: a truncating open while mapped keeps the mapped quanta, and
 * writes through the mapping go on reaching them; a hole or an offset
 * past the end still gets SIGBUS.
 */
TEST_F(huge, scull_truncation_holes_and_end)
{
	/* A quantum: a PMD with 4 KiB pages, 8 MiB with 16 KiB. */
	const long p = self->page, q = p << SCULL_ORDER;
	uint8_t *map;
	int fd;

	if (!variant->scull)
		SKIP(return, "scull only: simple's buffer cannot be truncated");
	map = map_dev(self->fd, LEN + PMD, PROT_READ | PROT_WRITE, MAP_SHARED,
		      0);
	ASSERT_NE(NULL, map);
	touch_pages(map, p, 0, BLOCKS * PMD / p, false, 0);
	EXPECT_EQ(SIGBUS, touch_in_child(map + LEN, false));
	fd = open(variant->node, O_WRONLY);
	ASSERT_LE(0, fd);
	close(fd);
	map[PMD + 8] = 3;
	EXPECT_EQ(0, bad_pages(map, p, 0, LEN / p));
	ASSERT_EQ(0, munmap(map, LEN + PMD));
	EXPECT_EQ(3, dev_byte(self->fd, PMD + 8));

	/* Quanta 0 and 2 exist, 1 is a hole: only they take PMDs. */
	close(open(variant->node, O_WRONLY));
	ASSERT_EQ(1, pwrite(self->fd, "a", 1, 0));
	ASSERT_EQ(1, pwrite(self->fd, "b", 1, 3 * q - 1));
	map = map_dev(self->fd, 3 * q, PROT_READ, MAP_SHARED, 0);
	ASSERT_NE(NULL, map);
	EXPECT_EQ(SIGBUS, touch_in_child(map + q, false));
	EXPECT_EQ('a', map[0]);
	EXPECT_EQ('b', map[3 * q - 1]);
	EXPECT_EQ(want_kb(self, 2), pmd_kb(map));
	ASSERT_EQ(0, munmap(map, 3 * q));
}

/*
 * fault_around=0: one page per fault, no PMD, even at an aligned
 * address (where kernels up to 6.15 would map a folio returned by ->fault
 * with one), and scull's end still gets SIGBUS.
 */
TEST_F(huge, fault_around_off_maps_pages)
{
	const long p = self->page, n = LEN / p;
	const size_t len = variant->scull ? LEN + PMD : LEN;
	uint8_t *map;
	long faults;

	ASSERT_EQ(0, fault_around(variant->module, "0"));
	map = map_dev(self->fd, len, PROT_READ, MAP_SHARED, 0);
	ASSERT_NE(NULL, map);
	faults = touch_pages(map, p, 0, n, false, 0);
	EXPECT_EQ(0, pmd_kb(map));
	EXPECT_LE(n, faults);
	EXPECT_EQ(0, bad_pages(map, p, 0, n));
	if (variant->scull)
		EXPECT_EQ(SIGBUS, touch_in_child(map + LEN, false));
	ASSERT_EQ(0, munmap(map, len));
	EXPECT_EQ(self->pmd_base, smaps_kb(NULL, "FilePmdMapped"));
}

/*
 * The core offers ->huge_fault only where the THP policy allows: "never"
 * maps single pages; "madvise" maps PMDs after MADV_HUGEPAGE only.
 */
TEST_F(huge, thp_policy_is_honoured)
{
	const long p = self->page, n = BLOCKS * PMD / p;
	uint8_t *map;

	ASSERT_EQ(0, thp_policy("never"))
		TH_LOG("cannot set the THP policy: %s", strerror(errno));
	map = map_dev(self->fd, LEN, PROT_READ, MAP_SHARED, 0);
	ASSERT_NE(NULL, map);
	touch_pages(map, p, 0, n, false, 0);
	EXPECT_EQ(0, pmd_kb(map));
	EXPECT_EQ(0, bad_pages(map, p, 0, n));
	ASSERT_EQ(0, munmap(map, LEN));

	ASSERT_EQ(0, thp_policy("madvise"));
	map = map_dev(self->fd, LEN, PROT_READ, MAP_SHARED, 0);
	ASSERT_NE(NULL, map);
	touch_pages(map, p, 0, PMD / p, false, 0);
	ASSERT_EQ(0, madvise(map + PMD, LEN - PMD, MADV_HUGEPAGE))
		TH_LOG("MADV_HUGEPAGE: %s", strerror(errno));
	touch_pages(map, p, PMD / p, n - PMD / p, false, 0);
	EXPECT_EQ(0, pmd_kb(map));
	EXPECT_EQ(want_kb(self, BLOCKS - 1), pmd_kb(map + PMD));
	EXPECT_EQ(0, bad_pages(map, p, 0, n));
	ASSERT_EQ(0, munmap(map, LEN));
}

TEST_HARNESS_MAIN
