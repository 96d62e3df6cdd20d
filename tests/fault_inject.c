// SPDX-License-Identifier: GPL-2.0
/*
 * Every failure path, exercised: for each driver entry point a user
 * reaches (open, write, the first fault of a mapping, the ioctls that
 * allocate, mmap, and module load with each parameter set), the 1st, 2nd,
 * ... Nth allocation of that one call is made to fail through
 * /proc/thread-self/fail-nth (as syzkaller does), until the call runs
 * without reaching N (for insmod, the kernel's own loader before the
 * module's init is sampled: see load_until_done()). Every failed call returns an error or a short count;
 * the device then holds exactly what the successful calls (and the part of
 * a short write they reported) put there, and its counters are right. A
 * crash, a WARNING or a hang fails the run (tests/harness/vm), and the kmemleak
 * scan after the last test finds every leak (tests/harness/run-guest). Needs a
 * kernel with CONFIG_FAULT_INJECTION and FAULT_INJECTION_DEBUG_FS (the
 * debug kernel); elsewhere every test says SKIP.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "probe.h"
#include "scull_ioctl.h"
#include "scull_test.h"
#include "simple_test.h"
#include "skel_test.h"

#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define DEBUGFS		"/sys/kernel/debug"
/* More failure points than any one call here has: a loop that never ends. */
#define MAX_NTH		5000

static int put(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), ret;

	if (fd < 0)
		return -1;
	ret = write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -1;
	close(fd);
	return ret;
}

/*
 * Make sleeping allocations and single pages fail too (by default only
 * atomic ones of order 1 and up do), and keep the log quiet. Return false
 * if this kernel cannot inject faults.
 */
static bool fault_injection_ready(void)
{
	static const char * const knobs[][2] = {
		{ DEBUGFS "/failslab/ignore-gfp-wait", "N" },
		{ DEBUGFS "/failslab/verbose", "0" },
		{ DEBUGFS "/fail_page_alloc/ignore-gfp-wait", "N" },
		{ DEBUGFS "/fail_page_alloc/ignore-gfp-highmem", "N" },
		{ DEBUGFS "/fail_page_alloc/min-order", "0" },
		{ DEBUGFS "/fail_page_alloc/verbose", "0" },
	};
	unsigned int i;

	if (access(FAIL_NTH, W_OK))
		return false;
	if (access(DEBUGFS "/failslab", F_OK))
		mount("debugfs", DEBUGFS, "debugfs", 0, NULL);
	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++)
		if (put(knobs[i][0], knobs[i][1]))
			return false;
	return true;
}

#define REQUIRE_FAULT_INJECTION() do {					\
	if (!fault_injection_ready())					\
		SKIP(return, "no %s (CONFIG_FAULT_INJECTION)", FAIL_NTH); \
} while (0)

static int nth_fd = -1;

/* The @n-th fault-injection point this thread passes from now on fails. */
static void fail_nth(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (nth_fd < 0)
		nth_fd = open(FAIL_NTH, O_RDWR);
	if (pwrite(nth_fd, buf, len, 0) != len) {
		perror("fail-nth");
		exit(1);
	}
}

/* Whether the failure set by fail_nth() happened; disarms it either way. */
static bool fail_nth_fired(void)
{
	char buf[16] = "";
	bool fired;

	if (pread(nth_fd, buf, sizeof(buf) - 1, 0) <= 0) {
		perror("fail-nth");
		exit(1);
	}
	fired = strtol(buf, NULL, 10) == 0;
	fail_nth(0);
	return fired;
}

static bool is_alloc_errno(int e)
{
	return e == ENOMEM || e == ENOSPC || e == ENFILE || e == EAGAIN;
}

TEST(open_of_every_node)
{
	static const char * const nodes[] = {
		"/dev/simpler", "/dev/simplen", "/dev/scullp0",
		"/dev/scullv0", SKEL_NODE,
	};
	unsigned int i, n;
	bool fired;
	int fd;

	REQUIRE_FAULT_INJECTION();
	for (i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		for (n = 1; n < MAX_NTH; n++) {
			fail_nth(n);
			fd = open(nodes[i], O_RDWR);
			fired = fail_nth_fired();
			if (fd >= 0)
				close(fd);
			else
				EXPECT_TRUE(fired && is_alloc_errno(errno))
					TH_LOG("open %s, failure %u: %s",
					       nodes[i], n, strerror(errno));
			if (!fired)
				break;
		}
		EXPECT_LE(0, fd) TH_LOG("%s never opened", nodes[i]);
		TH_LOG("%s: open passes %u failure points", nodes[i], n - 1);
	}
}

/* Bytes and quanta device @name holds, from @proc (/proc/scullpmem). */
static void dev_state(const char *proc, const char *name, long long *size,
		      unsigned long *quanta)
{
	char line[256], fmt[80];
	FILE *f = fopen(proc, "r");

	*size = -1;
	*quanta = 0;
	if (!f)
		return;
	snprintf(fmt, sizeof(fmt),
		 "%s: size %%lld, qset %%*u, order %%*u, quanta %%lu", name);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, fmt, size, quanta) == 2)
			break;
	fclose(f);
}

/*
 * A write of 3.5 quanta into the emptied device, again and again, with its
 * 1st, 2nd, ... allocation failing, until one runs without reaching the
 * failure (a failure the allocator absorbs, as kvmalloc() falling back to
 * vmalloc(), counts as reached). Each time the device holds exactly the
 * bytes the write reported, none, a prefix or all, in one quantum for each
 * quantum they touch.
 */
static void write_until_done(struct __test_metadata *_metadata,
			     const char *node, const char *proc,
			     const char *name)
{
	size_t size, quantum, i;
	char *want, *got;
	unsigned long quanta;
	long long dev_size;
	unsigned int n;
	ssize_t r = -1;
	int fd;

	fd = open_empty(node);
	ASSERT_LE(0, fd);
	quantum = sysconf(_SC_PAGESIZE) << ioctl(fd, SCULLP_IOCQORDER);
	size = quantum * 7 / 2;
	want = calloc(1, size);
	got = calloc(1, size);
	ASSERT_TRUE(want && got);
	for (n = 1; n < MAX_NTH; n++) {
		bool fired;

		close(open(node, O_WRONLY));
		for (i = 0; i < size; i++)
			want[i] = (char)(n + i);
		fail_nth(n);
		r = pwrite(fd, want, size, 0);
		fired = fail_nth_fired();
		if (r < 0) {
			EXPECT_TRUE(fired && is_alloc_errno(errno))
				TH_LOG("failure %u: %s", n, strerror(errno));
			r = 0;
		}
		dev_state(proc, name, &dev_size, &quanta);
		EXPECT_EQ(r, dev_size) TH_LOG("failure %u: size", n);
		EXPECT_EQ((r + quantum - 1) / quantum, quanta)
			TH_LOG("failure %u: quanta for %zd bytes", n, r);
		EXPECT_EQ(r, pread(fd, got, size, 0)) TH_LOG("failure %u", n);
		EXPECT_EQ(0, memcmp(want, got, r))
			TH_LOG("failure %u: other bytes", n);
		if (!fired)
			break;
	}
	EXPECT_EQ((ssize_t)size, r) TH_LOG("the last write was short");
	TH_LOG("%s: the write passed %u failure points", name, n - 1);
	free(want);
	free(got);
	close(fd);
}

TEST(write_to_scullp0)
{
	REQUIRE_FAULT_INJECTION();
	write_until_done(_metadata, "/dev/scullp0", "/proc/scullpmem",
			 "scullp0");
}

TEST(write_to_scullv0)
{
	REQUIRE_FAULT_INJECTION();
	write_until_done(_metadata, "/dev/scullv0", "/proc/scullvmem",
			 "scullv0");
}

/*
 * The first fault of a fresh mapping of @node with each of its allocations
 * failing: the access completes (the kernel retries the fault) and reads
 * what the device holds. Each mapping is placed in a 2 MiB block of
 * address space never touched before, so that its fault has to allocate
 * the page table too.
 */
static void first_fault(struct __test_metadata *_metadata, const char *node,
			off_t off, size_t len)
{
	const size_t block = 2 << 20, blocks = 128;
	char *area;
	unsigned int n;
	int fd;

	fd = open(node, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, pwrite(fd, "F", 1, off));
	area = mmap(NULL, (blocks + 1) * block, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	area = (char *)(((uintptr_t)area + block - 1) & ~(block - 1));
	for (n = 1; n < blocks; n++) {
		char *p = mmap(area + n * block, len, PROT_READ,
			       MAP_SHARED | MAP_FIXED, fd, off);
		volatile char seen;
		bool fired;

		ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap %s: %s", node, strerror(errno));
		/* A SIGBUS here ends the test, which the harness reports. */
		fail_nth(n);
		seen = p[0];
		fired = fail_nth_fired();
		EXPECT_EQ('F', seen) TH_LOG("%s, failure %u: other data", node, n);
		munmap(p, len);
		if (!fired)
			break;
	}
	EXPECT_LT(n, blocks) TH_LOG("%s: more failure points than blocks", node);
	TH_LOG("%s: the first fault passed %u failure points", node, n - 1);
	close(fd);
}

TEST(first_fault_of_each_fault_mapping)
{
	long page = sysconf(_SC_PAGESIZE);
	int fd;

	REQUIRE_FAULT_INJECTION();
	first_fault(_metadata, "/dev/simplen", 0, page);
	fd = open_empty("/dev/scullp0");
	close(fd);
	first_fault(_metadata, "/dev/scullp0", 0, page);
	fd = open_empty("/dev/scullv0");
	close(fd);
	first_fault(_metadata, "/dev/scullv0", 0, page);
	EXPECT_EQ(0, simple_mappings("simplen"));
}

/* mmap of @len bytes of @node with each allocation failing in turn. */
static void mmap_until_done(struct __test_metadata *_metadata, int fd,
			    const char *what, off_t off, size_t len,
			    const char *count_node)
{
	unsigned int n;

	for (n = 1; n < MAX_NTH; n++) {
		char *p;
		bool fired;

		fail_nth(n);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
		fired = fail_nth_fired();
		if (p == MAP_FAILED) {
			EXPECT_TRUE(fired && is_alloc_errno(errno))
				TH_LOG("%s, failure %u: %s", what, n,
				       strerror(errno));
			if (count_node)
				EXPECT_EQ(0, simple_mappings(count_node))
					TH_LOG("%s, failure %u: counted", what, n);
			continue;
		}
		if (count_node)
			EXPECT_EQ(1, simple_mappings(count_node))
				TH_LOG("%s, failure %u: not counted", what, n);
		munmap(p, len);
		if (!fired)
			break;
	}
	if (count_node)
		EXPECT_EQ(0, simple_mappings(count_node));
	TH_LOG("%s: mmap passed %u failure points", what, n - 1);
}

/* mmap of simpler and skel (both ways) with each allocation failing. */
static void pfnmap_mmaps(struct __test_metadata *_metadata, size_t whole,
			 long page)
{
	struct skel_alloc a;
	int fd, refused;

	fd = open("/dev/simpler", O_RDWR);
	ASSERT_LE(0, fd);
	mmap_until_done(_metadata, fd, "simpler", 0, whole, "simpler");
	close(fd);
	fd = open(SKEL_NODE, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, skel_alloc(fd, 4 * page, 0, &a));
	mmap_until_done(_metadata, fd, "skel", (off_t)a.offset, 4 * page, NULL);
	/* Where the device is not DMA-coherent, skel refuses the flag. */
	refused = skel_remap_pfn_refused(fd, SKEL_ALLOC_REMAP_PFN);
	ASSERT_LE(0, refused);
	ASSERT_EQ(refused ? EOPNOTSUPP : 0,
		  skel_alloc(fd, 4 * page, SKEL_ALLOC_REMAP_PFN, &a));
	if (!refused)
		mmap_until_done(_metadata, fd, "skel (remap_pfn)",
				(off_t)a.offset, 4 * page, NULL);
	close(fd);
	EXPECT_EQ(0, read_num(SKEL_SYSFS "mappings"));
	EXPECT_EQ(0, read_num(SKEL_SYSFS "buffers"));
}

TEST(mmap_of_every_node)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t whole = simple_param("size");
	char *buf;
	int fd;

	REQUIRE_FAULT_INJECTION();
	/*
	 * The VM_PFNMAP mmaps (simpler, skel) allocate nothing of the
	 * driver's: only remap_pfn_range()'s page tables. When one of those
	 * cannot be allocated (the page, or its split lock under lockdep),
	 * the 6.1 kernel's own error path WARNs in x86 PAT's untrack_pfn(),
	 * a kernel bug; so before 7.1 they are not failed here. A remap that
	 * fails for memory is tests/simple_mmap_enomem.c's (7.1+).
	 */
	if (kernel_at_least(7, 1))
		pfnmap_mmaps(_metadata, whole, page);
	else
		TH_LOG("simpler and skel mmaps not failed before 7.1 (untrack_pfn WARN)");

	fd = open("/dev/simplen", O_RDWR);
	ASSERT_LE(0, fd);
	mmap_until_done(_metadata, fd, "simplen", 0, whole, "simplen");
	close(fd);
	fd = open_empty("/dev/scullp0");
	buf = calloc(1, page);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ((ssize_t)page, pwrite(fd, buf, page, 0));
	free(buf);
	mmap_until_done(_metadata, fd, "scullp0", 0, page, NULL);
	close(fd);
}

TEST(skel_alloc_ioctl)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned int n, held = 0;
	struct skel_alloc a;
	int fd;

	REQUIRE_FAULT_INJECTION();
	fd = open(SKEL_NODE, O_RDWR);
	ASSERT_LE(0, fd);
	for (n = 1; n < MAX_NTH; n++) {
		int err;
		bool fired;

		fail_nth(n);
		err = skel_alloc(fd, 16 * page, 0, &a);
		fired = fail_nth_fired();
		if (err) {
			EXPECT_TRUE(fired && is_alloc_errno(err))
				TH_LOG("failure %u: %s", n, strerror(err));
		} else {
			held++;
		}
		/* The driver counts exactly the buffers the file holds. */
		EXPECT_EQ(held, read_num(SKEL_SYSFS "buffers"))
			TH_LOG("failure %u: buffers miscounted", n);
		EXPECT_EQ((long long)held * 16 * page,
			  read_num(SKEL_SYSFS "bytes"))
			TH_LOG("failure %u: bytes miscounted", n);
		if (!fired)
			break;
	}
	/* A failure the allocator absorbs still gives a buffer. */
	EXPECT_LE(1, held);
	close(fd);
	EXPECT_EQ(0, read_num(SKEL_SYSFS "buffers"));
	TH_LOG("SKEL_IOCALLOC passed %u failure points", n - 1);
}

/* What /sys/module, /proc/devices and /dev say of module @name. */
static bool module_present(const char *name, const char *node)
{
	char path[128], line[128];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	if (!access(path, F_OK) || (node && !access(node, F_OK)))
		return true;
	f = fopen("/proc/devices", "r");
	if (!f)
		return true;
	while (fgets(line, sizeof(line), f)) {
		char *word = strrchr(line, ' ');

		if (word && !strncmp(word + 1, name, strlen(name)) &&
		    word[1 + strlen(name)] == '\n')
			found = true;
	}
	fclose(f);
	return found;
}

/* Failure points a load of @fd passes, counted by a load that succeeds. */
static unsigned int load_points(int fd, const char *name, const char *params)
{
	char buf[16] = "";
	long left;

	fail_nth(1000000);
	if (syscall(SYS_finit_module, fd, params, 0))
		return 0;
	if (pread(nth_fd, buf, sizeof(buf) - 1, 0) <= 0)
		return 0;
	left = strtol(buf, NULL, 10);
	fail_nth(0);
	syscall(SYS_delete_module, name, O_NONBLOCK);
	return left > 0 ? 1000000 - left : 0;
}

/*
 * insmod @file @params with its allocations failing in turn: a failed
 * load leaves nothing behind (no module, no major, no node). The module's
 * init runs at the end of a load, after hundreds of the kernel's own
 * allocations (each try takes a tenth of a second on the debug kernel):
 * the last LOAD_TAIL points, where the init's allocations are, are all
 * tried, the loader's before them one in LOAD_STRIDE. Ends with the module
 * loaded.
 */
#define LOAD_TAIL	160
#define LOAD_STRIDE	32
static void load_until_done(struct __test_metadata *_metadata,
			    const char *file, const char *name,
			    const char *node, const char *params)
{
	unsigned int n, total, tried = 0;
	char path[256];
	long ret = -1;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", getenv("LDD3_ROOT"), file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", path, strerror(errno));
	total = load_points(fd, name, params);
	ASSERT_LT(0, total) TH_LOG("%s %s does not load", file, params);
	for (n = 1; n < MAX_NTH;
	     n += n + LOAD_TAIL < total ? LOAD_STRIDE : 1) {
		bool fired;

		tried++;
		fail_nth(n);
		ret = syscall(SYS_finit_module, fd, params, 0);
		fired = fail_nth_fired();
		if (!ret && !fired)
			break;
		if (!ret) {
			/* Loaded though a failure fired: the kernel absorbed it. */
			EXPECT_EQ(0, syscall(SYS_delete_module, name, O_NONBLOCK))
				TH_LOG("rmmod %s: %s", name, strerror(errno));
			continue;
		}
		EXPECT_TRUE(fired) TH_LOG("%s %s: %s without a failure",
					  file, params, strerror(errno));
		EXPECT_FALSE(module_present(name, node))
			TH_LOG("%s %s, failure %u: left behind", file, params,
			       n);
		if (!fired)
			break;
	}
	EXPECT_EQ(0, ret);
	TH_LOG("insmod %s %s: %u failure points, %u tried", file, params,
	       total, tried);
	close(fd);
}

static void unload(const char *name)
{
	syscall(SYS_delete_module, name, O_NONBLOCK);
}

/* Hundreds of failure points per load: more than the harness's 30 s. */
FIXTURE(load) {
};

FIXTURE_SETUP(load)
{
}

FIXTURE_TEARDOWN(load)
{
}

TEST_F_TIMEOUT(load, module_load_with_each_parameter_set, 600)
{
	REQUIRE_FAULT_INJECTION();
	/*
	 * On 6.1 a class_create() that a fault makes fail leaks the class's
	 * name (kmemleak: kstrdup from kobject_set_name in __class_register),
	 * a kernel bug that fails the run whatever the driver does.
	 */
	if (!kernel_at_least(6, 2))
		SKIP(return, "6.1's __class_register leaks the class name when it fails (kmemleak)");
	unload("skel");
	unload("scullv");
	unload("scullp");
	unload("scull_core");
	unload("simple");
	ASSERT_FALSE(module_present("simple", "/dev/simpler"));

	load_until_done(_metadata, "simple.ko", "simple", "/dev/simpler", "");
	unload("simple");
	/* 8 MiB: more than one block of the page allocator, several chunks. */
	load_until_done(_metadata, "simple.ko", "simple", "/dev/simpler",
			"size=8388608 fault_around=0");
	unload("simple");
	load_until_done(_metadata, "scull_core.ko", "scull_core", NULL, "");
	load_until_done(_metadata, "scullp.ko", "scullp", "/dev/scullp0",
			"scullp_devs=2 scullp_order=2 scullp_qset=10");
	load_until_done(_metadata, "scullv.ko", "scullv", "/dev/scullv0",
			"scullv_devs=2 scullv_order=0");
	load_until_done(_metadata, "skel.ko", "skel", SKEL_NODE, "");
}

TEST_HARNESS_MAIN
