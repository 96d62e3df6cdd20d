// SPDX-License-Identifier: GPL-2.0
/*
 * Write fault-around on /dev/simplen (RAM), /dev/scullp0 and /dev/scullv0:
 * a write fault in a shared mapping maps the 64 KiB window around it
 * writable, so a writer takes one fault per window, and stays correct
 * where the core must see each write: soft-dirty tracking after clear_refs,
 * a private mapping (a write copies one page), mprotect, fork,
 * MADV_DONTNEED, truncation, holes and the device end.
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
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "module_param.h"
#include "probe.h"
#include "scull_test.h"
#include "scull_ioctl.h"

#define NPAGES 64

FIXTURE(dev) {
	int fd;
	long page;
	long window;	/* pages per fault-around window */
};

FIXTURE_VARIANT(dev) {
	const char *node;
	const char *module;	/* whose fault_around parameter applies */
	bool scull;
};

FIXTURE_VARIANT_ADD(dev, simplen) {
	.node = "/dev/simplen",
	.module = "simple",
};

FIXTURE_VARIANT_ADD(dev, scullp) {
	.node = "/dev/scullp0",
	.module = "scull_core",
	.scull = true,
};

FIXTURE_VARIANT_ADD(dev, scullv) {
	.node = "/dev/scullv0",
	.module = "scull_core",
	.scull = true,
};

static int fault_around(const char *module, const char *on)
{
	return set_module_param(module, "fault_around", on, NULL, 0);
}

/* Write @len zero bytes at device offset @off (scull: creates them). */
static int zero_range(int fd, off_t off, long len)
{
	char *buf = calloc(1, len);
	ssize_t got;

	if (!buf)
		return -1;
	got = pwrite(fd, buf, len, off);
	free(buf);
	return got == len ? 0 : -1;
}

FIXTURE_SETUP(dev)
{
	self->page = sysconf(_SC_PAGESIZE);
	self->window = fault_window_pages();
	self->fd = variant->scull ? open_empty(variant->node) :
				    open(variant->node, O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", variant->node,
				      strerror(errno));
	if (variant->scull)
		ASSERT_EQ(0, ioctl(self->fd, SCULLP_IOCRESET));
	ASSERT_EQ(0, zero_range(self->fd, 0, NPAGES * self->page));
	ASSERT_EQ(0, fault_around(variant->module, "1"));
}

FIXTURE_TEARDOWN(dev)
{
	fault_around(variant->module, "1");
	close(self->fd);
	if (variant->scull)
		close(open(variant->node, O_WRONLY));
}

/* At a 64 KiB aligned address: each window is then where a test expects. */
static uint8_t *map_dev(int fd, long len, int prot, int flags)
{
	return map_aligned(fd, (size_t)len, prot, flags, 0, FAULT_WINDOW_BYTES);
}

/* Write byte @v at the start of each of the @n pages; return the faults. */
static long faults_writing(uint8_t *map, long page, long n, uint8_t v)
{
	long before = minflt(), i;

	for (i = 0; i < n; i++)
		map[i * page] = v;
	return minflt() - before;
}

TEST_F(dev, shared_write_maps_the_window)
{
	const long n = NPAGES, len = n * self->page;
	long on, off, i;
	uint8_t *map;

	map = map_dev(self->fd, len, PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(NULL, map) TH_LOG("mmap: %s", strerror(errno));
	on = faults_writing(map, self->page, n, 0x5a);
	ASSERT_EQ(0, munmap(map, len));
	for (i = 0; i < n; i++)
		ASSERT_EQ(0x5a, dev_byte(self->fd, i * self->page))
			TH_LOG("page %ld: the write did not reach the device", i);
	EXPECT_EQ(0, dev_byte(self->fd, 1));

	ASSERT_EQ(0, fault_around(variant->module, "0"));
	map = map_dev(self->fd, len, PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(NULL, map);
	off = faults_writing(map, self->page, n, 0xa5);
	ASSERT_EQ(0, munmap(map, len));
	EXPECT_EQ(0xa5, dev_byte(self->fd, (n - 1) * self->page));
	TH_LOG("%ld pages written: %ld minor faults with fault-around, %ld without",
	       n, on, off);
	/* One per 64 KiB window. */
	EXPECT_EQ(n / self->window, on);
	EXPECT_LE(n, off);
}

/*
 * After clear_refs 4 the core write-protects the mapping to see each first
 * write: a write to a mapped page faults once and marks that page alone
 * soft-dirty, and a write fault on an unmapped page maps that page alone,
 * writable and soft-dirty, in one fault.
 */
TEST_F(dev, soft_dirty_sees_every_first_write)
{
	const long p = self->page, n = 32;
	uint8_t *map;
	long faults;

	map = map_dev(self->fd, n * p, PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(NULL, map);
	faults_writing(map, p, n, 1);
	if (!(pagemap_entry(map, p) & PM_SOFT_DIRTY))
		SKIP(return, "this kernel has no soft-dirty tracking (CONFIG_MEM_SOFT_DIRTY)");
	ASSERT_EQ(0, clear_soft_dirty());
	EXPECT_EQ(0, pagemap_entry(map + 3 * p, p) & PM_SOFT_DIRTY);
	/*
	 * clear_refs write-protected this process's stack too: a call that
	 * writes no page takes those faults first, so that only the
	 * mapping's are counted below.
	 */
	faults_writing(map, p, 0, 0);
	faults = faults_writing(map + 3 * p, p, 1, 2);
	EXPECT_EQ(1, faults);
	EXPECT_NE(0, pagemap_entry(map + 3 * p, p) & PM_SOFT_DIRTY);
	EXPECT_EQ(0, pagemap_entry(map + 4 * p, p) & PM_SOFT_DIRTY);
	EXPECT_EQ(1, faults_writing(map + 4 * p, p, 1, 2));
	EXPECT_NE(0, pagemap_entry(map + 4 * p, p) & PM_SOFT_DIRTY);

	ASSERT_EQ(0, madvise(map + 16 * p, 16 * p, MADV_DONTNEED));
	EXPECT_EQ(1, faults_writing(map + 16 * p, p, 1, 3));
	EXPECT_NE(0, pagemap_entry(map + 16 * p, p) & PM_SOFT_DIRTY);
	EXPECT_EQ(0, pagemap_entry(map + 17 * p, p) & PM_PRESENT)
		TH_LOG("the write fault mapped its window read-only: a fault more per page");
	EXPECT_EQ(1, faults_writing(map + 17 * p, p, 1, 3));
	EXPECT_NE(0, pagemap_entry(map + 17 * p, p) & PM_SOFT_DIRTY);
	ASSERT_EQ(0, munmap(map, n * p));
	EXPECT_EQ(2, dev_byte(self->fd, 3 * p));
	EXPECT_EQ(3, dev_byte(self->fd, 17 * p));
}

/*
 * A private write copies the page written and nothing else: the device
 * keeps its byte, and the next page still shows what the device holds.
 */
TEST_F(dev, private_write_copies_one_page)
{
	const long p = self->page;
	uint8_t *map, v = 7;

	map = map_dev(self->fd, 16 * p, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	ASSERT_NE(NULL, map);
	map[0] = 9;
	EXPECT_EQ(0, dev_byte(self->fd, 0));
	ASSERT_EQ(1, pwrite(self->fd, &v, 1, p));
	EXPECT_EQ(7, map[p]);
	ASSERT_EQ(1, pwrite(self->fd, &v, 1, 0));
	EXPECT_EQ(9, map[0]);
	ASSERT_EQ(0, munmap(map, 16 * p));
}

TEST_F(dev, mprotect_read_only_and_back)
{
	const long p = self->page;
	uint8_t *map;

	map = map_dev(self->fd, 16 * p, PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(NULL, map);
	map[0] = 1;
	ASSERT_EQ(0, mprotect(map, 16 * p, PROT_READ));
	EXPECT_EQ(SIGSEGV, touch_in_child(map + p, true));
	EXPECT_EQ(SIGSEGV, touch_in_child(map, true));
	EXPECT_EQ(0, touch_in_child(map + p, false));
	ASSERT_EQ(0, mprotect(map, 16 * p, PROT_READ | PROT_WRITE));
	map[p] = 2;
	map[2 * p] = 3;
	ASSERT_EQ(0, munmap(map, 16 * p));
	EXPECT_EQ(1, dev_byte(self->fd, 0));
	EXPECT_EQ(2, dev_byte(self->fd, p));
	EXPECT_EQ(3, dev_byte(self->fd, 2 * p));
}

/* A child's write faults map the window in the child; the parent sees it. */
TEST_F(dev, fork_child_writes_reach_the_parent)
{
	const long p = self->page, n = 32;
	uint8_t *map;
	int status;
	pid_t pid;

	map = map_dev(self->fd, n * p, PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(NULL, map);
	map[0] = 1;
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		long faults = faults_writing(map, p, n, 4);

		_exit(faults <= n / self->window + 1 ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("the child took more than one fault per window");
	EXPECT_EQ(4, map[0]);
	EXPECT_EQ(4, map[(n - 1) * p]);
	ASSERT_EQ(0, munmap(map, n * p));
	EXPECT_EQ(4, dev_byte(self->fd, (n - 1) * p));
}

/* MADV_DONTNEED drops the PTEs, not the data; the next write maps again. */
TEST_F(dev, madv_dontneed_keeps_the_data)
{
	const long p = self->page, n = 32;
	uint8_t *map;

	map = map_dev(self->fd, n * p, PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(NULL, map);
	faults_writing(map, p, n, 5);
	ASSERT_EQ(0, madvise(map, n * p, MADV_DONTNEED));
	EXPECT_EQ(0, pagemap_entry(map, p) & PM_PRESENT);
	EXPECT_EQ(5, map[(n - 1) * p]);
	EXPECT_GE(n / self->window + 1, faults_writing(map, p, n, 6));
	ASSERT_EQ(0, munmap(map, n * p));
	EXPECT_EQ(6, dev_byte(self->fd, 0));
}

/*
 * scull: a write fault maps only the pages that exist; a write to a hole or
 * past the end still gets SIGBUS, and a truncating open while mapped keeps
 * the data that writes through the mapping go on reaching.
 */
TEST_F(dev, scull_holes_end_and_truncation)
{
	const long p = self->page;
	uint8_t *map;
	int fd;

	if (!variant->scull)
		SKIP(return, "scull only: simple's buffer has no holes");
	close(open(variant->node, O_WRONLY));
	ASSERT_EQ(0, ioctl(self->fd, SCULLP_IOCTORDER, 0));
	/* Pages 0 and 2-4 exist, 1 is a hole, the device ends inside 4. */
	ASSERT_EQ(0, zero_range(self->fd, 0, 1));
	ASSERT_EQ(0, zero_range(self->fd, 2 * p, 2 * p + 101));
	map = map_dev(self->fd, 16 * p, PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(NULL, map);
	map[2 * p] = 1;
	EXPECT_NE(0, pagemap_entry(map + 3 * p, p) & PM_PRESENT);
	EXPECT_EQ(0, pagemap_entry(map + p, p) & PM_PRESENT);
	EXPECT_EQ(SIGBUS, touch_in_child(map + p, true));
	EXPECT_EQ(SIGBUS, touch_in_child(map + 5 * p, true));
	EXPECT_EQ(0, touch_in_child(map + 4 * p + 50, true));

	fd = open(variant->node, O_WRONLY);
	ASSERT_LE(0, fd);
	close(fd);
	map[3 * p] = 2;
	map[0] = 3;
	ASSERT_EQ(0, munmap(map, 16 * p));
	EXPECT_EQ(1, dev_byte(self->fd, 2 * p));
	EXPECT_EQ(2, dev_byte(self->fd, 3 * p));
	EXPECT_EQ(3, dev_byte(self->fd, 0));
	EXPECT_EQ('w', dev_byte(self->fd, 4 * p + 50));
}

TEST_HARNESS_MAIN
