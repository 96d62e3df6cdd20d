// SPDX-License-Identifier: GPL-2.0
/*
 * Mapping /dev/scullp0 and /dev/scullv0: every page of every order maps the
 * right bytes, holes and offsets past the end raise SIGBUS at once (a child
 * with an alarm() does the touching, so a retry loop fails the test instead
 * of hanging it), data is shared between mappings, read() and write(),
 * truncating while mapped keeps the data, fault-around maps batches and
 * stays correct, and a user buffer that is itself a mapping of a device
 * does not deadlock read() or write().
 * Orders are changed here with the order ioctl; tests/scull_orders.sh
 * reloads the modules with each scullp_order/scullv_order instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "module_param.h"
#include "probe.h"
#include "scull_test.h"
#include "scull_ioctl.h"

FIXTURE(dev) {
	int fd;
	long page;
	int order;
	long quantum;
};

FIXTURE_VARIANT(dev) {
	const char *node;
	const char *other;	/* the other module's device */
};

FIXTURE_VARIANT_ADD(dev, scullp) {
	.node = "/dev/scullp0", .other = "/dev/scullv1",
};

FIXTURE_VARIANT_ADD(dev, scullv) {
	.node = "/dev/scullv0", .other = "/dev/scullp1",
};

FIXTURE_SETUP(dev)
{
	self->page = sysconf(_SC_PAGESIZE);
	self->fd = open_empty(variant->node);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", variant->node,
				      strerror(errno));
	/* Back to the load-time geometry, whatever a previous test set. */
	ASSERT_EQ(0, ioctl(self->fd, SCULLP_IOCRESET))
		TH_LOG("RESET: %s", strerror(errno));
	self->order = ioctl(self->fd, SCULLP_IOCQORDER);
	ASSERT_LE(0, self->order) TH_LOG("QORDER: %s", strerror(errno));
	self->quantum = self->page << self->order;
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
	close(open(variant->node, O_WRONLY));
}

/* Byte at device offset @off of a pattern that differs on every page. */
static uint8_t pat(uint64_t off, unsigned int seed)
{
	uint64_t x = (off >> 12) * 0x9e3779b97f4a7c15ULL + seed;

	return (uint8_t)((x >> 56) ^ (off & 0xfff) ^ ((off & 0xfff) >> 8));
}

/* pwrite() all of @len bytes of the pattern at @off. */
static int fill(int fd, off_t off, size_t len, unsigned int seed)
{
	uint8_t *buf = malloc(len);
	size_t i;
	ssize_t n;

	if (!buf)
		return -1;
	for (i = 0; i < len; i++)
		buf[i] = pat(off + i, seed);
	n = pwrite(fd, buf, len, off);
	free(buf);
	return n == (ssize_t)len ? 0 : -1;
}

/* First page of @map (mapping device offset @off) not holding the pattern. */
static long bad_page(const uint8_t *map, off_t off, size_t len,
		     unsigned int seed, long page)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (map[i] != pat(off + i, seed))
			return (long)(i / page);
	return -1;
}

static int set_order(int fd, int order)
{
	return ioctl(fd, SCULLP_IOCTORDER, order);
}

/* Map @nq quanta plus a partial page, check every page, then write back. */
static void check_every_page(struct __test_metadata *_metadata, int fd,
			     long page, int order)
{
	long q = page << order;
	size_t len = 3 * q + page / 2;
	size_t maplen = (len + page - 1) / page * page;
	unsigned int seed = 17 + order;
	uint8_t *map, *back;
	size_t i;

	ASSERT_LT(0, page);
	ASSERT_EQ(0, fill(fd, 0, len, seed));
	map = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(-1, bad_page(map, 0, len, seed, page))
		TH_LOG("order %d: page %ld maps wrong bytes", order,
		       bad_page(map, 0, len, seed, page));
	/* A mapping at an offset inside a quantum. */
	if (order > 0) {
		uint8_t *m2 = mmap(NULL, page, PROT_READ, MAP_SHARED, fd,
				   q + page);

		ASSERT_NE(MAP_FAILED, m2) TH_LOG("mmap at %ld: %s", q + page,
						 strerror(errno));
		EXPECT_EQ(-1, bad_page(m2, q + page, page, seed, page))
			TH_LOG("order %d: mapping at %ld maps wrong bytes",
			       order, q + page);
		munmap(m2, page);
	}
	/* Writes through the mapping reach read(), every page. */
	for (i = 0; i < len; i += page)
		map[i] = (uint8_t)~pat(i, seed);
	back = malloc(len + 1);	/* (+1: never 0 for the analyzer) */
	ASSERT_NE(NULL, back);
	ASSERT_EQ((ssize_t)len, pread(fd, back, len, 0));
	for (i = 0; i < len; i++)
		if (back[i] != ((i % page) ? pat(i, seed) : (uint8_t)~pat(i, seed)))
			break;
	EXPECT_EQ(len, i) TH_LOG("order %d: read() differs at %zu", order, i);
	free(back);
	munmap(map, maplen);
}

TEST_F(dev, every_page_of_every_order)
{
	int order;

	for (order = 0; order <= 4; order++) {
		close(self->fd);
		self->fd = open_empty(variant->node);
		ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", variant->node,
					      strerror(errno));
		ASSERT_EQ(0, set_order(self->fd, order))
			TH_LOG("order %d: %s", order, strerror(errno));
		check_every_page(_metadata, self->fd, self->page, order);
	}
}

TEST_F(dev, sigbus_on_hole_and_past_end)
{
	long q = self->quantum;
	uint8_t *map;

	/* Quanta 0 and 2 hold data, quantum 1 is a hole; size 3 quanta. */
	ASSERT_EQ(0, fill(self->fd, 0, q, 1));
	ASSERT_EQ(0, fill(self->fd, 2 * q, q, 1));
	map = mmap(NULL, 4 * q, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(0, touch_in_child(map, false));
	EXPECT_EQ(0, touch_in_child(map + 2 * q + q - 1, true));
	EXPECT_EQ(SIGBUS, touch_in_child(map + q, false));
	EXPECT_EQ(SIGBUS, touch_in_child(map + q + q - 1, true));
	EXPECT_EQ(SIGBUS, touch_in_child(map + 3 * q, false));
	EXPECT_EQ(SIGBUS, touch_in_child(map + 4 * q - 1, true));
	/* Read in this process: still SIGBUS-free where data is. */
	EXPECT_EQ(pat(5, 1), map[5]);
	EXPECT_EQ(pat(2 * q + 5, 1), map[2 * q + 5]);
	munmap(map, 4 * q);
}

TEST_F(dev, empty_device_maps_but_every_access_is_sigbus)
{
	uint8_t *map = mmap(NULL, self->page, PROT_READ, MAP_SHARED,
			    self->fd, 0);

	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(SIGBUS, touch_in_child(map, false));
	munmap(map, self->page);
}

TEST_F(dev, last_partial_page_maps_beyond_it_sigbus)
{
	long p = self->page;
	uint8_t *map;

	ASSERT_EQ(0, fill(self->fd, 0, p + 10, 3));
	map = mmap(NULL, 3 * p, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(pat(p + 9, 3), map[p + 9]);
	/* The rest of the last page is device memory, zero-filled. */
	EXPECT_EQ(0, map[2 * p - 1]);
	/* Past the last page, even inside an allocated quantum. */
	EXPECT_EQ(SIGBUS, touch_in_child(map + 2 * p, false));
	munmap(map, 3 * p);
}

TEST_F(dev, mremap_growth_past_end_is_sigbus)
{
	long p = self->page;
	uint8_t *map, *grown;

	ASSERT_EQ(0, fill(self->fd, 0, self->quantum, 4));
	map = mmap(NULL, p, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	grown = mremap(map, p, self->quantum + p, MREMAP_MAYMOVE);
	ASSERT_NE(MAP_FAILED, grown) TH_LOG("mremap: %s", strerror(errno));
	EXPECT_EQ(pat(self->quantum - 1, 4), grown[self->quantum - 1]);
	EXPECT_EQ(SIGBUS, touch_in_child(grown + self->quantum, false));
	munmap(grown, self->quantum + p);
}

TEST_F(dev, two_processes_and_read_write_see_one_memory)
{
	long p = self->page;
	uint8_t *map;
	char buf[8];
	int status, fd2;
	pid_t pid;

	ASSERT_EQ(0, fill(self->fd, 0, 4 * p, 5));
	map = mmap(NULL, 4 * p, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	/* Before fork: the child may run first and must see it. */
	map[2 * p] = 'W';
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* An independent mapping in another process. */
		int fd = open(variant->node, O_RDWR);
		uint8_t *m;

		alarm(10);
		if (fd < 0)
			_exit(2);
		m = mmap(NULL, 4 * p, PROT_READ | PROT_WRITE, MAP_SHARED,
			 fd, 0);
		if (m == MAP_FAILED)
			_exit(3);
		memcpy(m + 3 * p + 1, "child", sizeof("child"));
		_exit(m[2 * p] == 'W' ? 0 : 4);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, memcmp(map + 3 * p + 1, "child", 5));
	ASSERT_EQ(5, pread(self->fd, buf, 5, 3 * p + 1));
	EXPECT_EQ(0, memcmp(buf, "child", 5));
	/* write() shows through a mapping of another open file. */
	fd2 = open(variant->node, O_RDWR);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(4, pwrite(fd2, "wxyz", 4, p + 7));
	EXPECT_EQ(0, memcmp(map + p + 7, "wxyz", 4));
	close(fd2);
	munmap(map, 4 * p);
}

TEST_F(dev, private_mapping_copies_on_write)
{
	uint8_t *map;
	char c;

	ASSERT_EQ(0, fill(self->fd, 0, self->page, 6));
	map = mmap(NULL, self->page, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		   self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(pat(1, 6), map[1]);
	map[1] = (uint8_t)~pat(1, 6);
	ASSERT_EQ(1, pread(self->fd, &c, 1, 1));
	EXPECT_EQ(pat(1, 6), (uint8_t)c);
	munmap(map, self->page);
}

TEST_F(dev, truncating_open_while_mapped_keeps_data)
{
	long len = 2 * self->quantum;
	uint8_t *map, *buf;
	int fd;

	ASSERT_EQ(0, fill(self->fd, 0, len, 7));
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
		   0);
	ASSERT_NE(MAP_FAILED, map);
	fd = open(variant->node, O_WRONLY);
	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(-1, bad_page(map, 0, len, 7, self->page));
	EXPECT_EQ(len, lseek(self->fd, 0, SEEK_END));
	buf = malloc(len);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(len, pread(self->fd, buf, len, 0));
	EXPECT_EQ(-1, bad_page(buf, 0, len, 7, self->page));
	/* Geometry is locked while mapped. */
	EXPECT_EQ(-1, set_order(self->fd, self->order ? 0 : 1));
	EXPECT_EQ(EBUSY, errno);
	munmap(map, len);
	/* Unmapped, the next write-only open does truncate. */
	fd = open(variant->node, O_WRONLY);
	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(0, lseek(self->fd, 0, SEEK_END));
	free(buf);
}

TEST_F(dev, mapped_empty_device_refuses_order_change)
{
	uint8_t *map = mmap(NULL, self->page, PROT_READ, MAP_SHARED,
			    self->fd, 0);

	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(-1, set_order(self->fd, self->order ? 0 : 1));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, SCULLP_IOCTQSET, 3));
	EXPECT_EQ(EBUSY, errno);
	munmap(map, self->page);
	EXPECT_EQ(0, set_order(self->fd, self->order ? 0 : 1));
}

/*
 * read() into and write() from a buffer that is a not yet faulted mapping
 * of the same device, and of a device of the other module: the copy faults
 * into the driver while read()/write() is in progress.
 */
TEST_F(dev, user_buffer_mapping_the_device_does_not_deadlock)
{
	long q = self->quantum, len = 4 * q;
	uint8_t *map, *omap;
	int ofd;

	alarm(60);
	ASSERT_EQ(0, fill(self->fd, 0, len, 8));
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
		   0);
	ASSERT_NE(MAP_FAILED, map);
	/* write() quanta 2-3 from the (unfaulted) mapping of quanta 0-1. */
	ASSERT_EQ(2 * q, pwrite(self->fd, map, 2 * q, 2 * q));
	/* read() quanta 2-3 into the mapping of quanta 0-1. */
	memset(map + 2 * q, 0, 16);
	munmap(map, len);
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
		   0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(2 * q, pread(self->fd, map, 2 * q, 2 * q));
	EXPECT_EQ(0, map[5]);
	EXPECT_EQ(pat(16, 8), map[16]);
	EXPECT_EQ(-1, bad_page(map + q, q, q, 8, self->page));
	/* Overlapping source and destination in the same device. */
	ASSERT_EQ(q, pwrite(self->fd, map + q, q, q + self->page));

	ofd = open_empty(variant->other);
	ASSERT_LE(0, ofd);
	ASSERT_EQ(0, fill(ofd, 0, 2 * q, 9));
	omap = mmap(NULL, 2 * q, PROT_READ | PROT_WRITE, MAP_SHARED, ofd, 0);
	ASSERT_NE(MAP_FAILED, omap);
	ASSERT_EQ(2 * q, pwrite(self->fd, omap, 2 * q, 0));
	EXPECT_EQ(-1, bad_page(map, 0, 2 * q, 9, self->page));
	ASSERT_EQ(q, pread(self->fd, omap + q, q, 0));
	EXPECT_EQ(-1, bad_page(omap + q, 0, q, 9, self->page));
	munmap(omap, 2 * q);
	close(ofd);
	close(open(variant->other, O_WRONLY));
	munmap(map, len);
	alarm(0);
}

#define FAULT_AROUND "/sys/module/scull_core/parameters/fault_around"

/* Read-touch @n pages of a fresh mapping; return the minor faults taken. */
static long faults_reading(int fd, long page, long n, uint8_t *sum)
{
	uint8_t *map = mmap(NULL, n * page, PROT_READ, MAP_SHARED, fd, 0);
	long before, i;

	if (map == MAP_FAILED)
		return -1;
	before = minflt();
	for (i = 0; i < n; i++)
		*sum += map[i * page];
	before = minflt() - before;
	munmap(map, n * page);
	return before;
}

TEST_F(dev, fault_around_maps_a_window_per_fault)
{
	const long n = 256;
	long on, off;
	uint8_t sum = 0;

	ASSERT_EQ(0, fill(self->fd, 0, n * self->page, 10));
	ASSERT_EQ(0, write_knob(FAULT_AROUND, "1"));
	on = faults_reading(self->fd, self->page, n, &sum);
	ASSERT_EQ(0, write_knob(FAULT_AROUND, "0"));
	off = faults_reading(self->fd, self->page, n, &sum);
	ASSERT_EQ(0, write_knob(FAULT_AROUND, "1"));
	TH_LOG("%ld pages read: %ld minor faults with fault-around, %ld without",
	       n, on, off);
	/*
	 * One fault per window, plus a partial window at each end of the
	 * range and of a page table, and a single-page fault where a page
	 * table is still empty.
	 */
	EXPECT_GE(n / fault_window_pages() + 4, on);
	EXPECT_LE(n, off);
}

/*
 * Fault-around next to holes and the end of the device: the batch maps only
 * existing pages, the rest still raise SIGBUS, every mapped byte is right.
 */
TEST_F(dev, fault_around_respects_holes_and_end)
{
	long p = self->page, q;
	long len, i;
	uint8_t *map;

	ASSERT_EQ(0, write_knob(FAULT_AROUND, "1"));
	/* Work at order 0 so that holes fall inside one window. */
	ASSERT_EQ(0, set_order(self->fd, 0));
	q = p;
	/* Pages 0, 2-4, 9 written; 1, 5-8 holes; size 9 pages + 100. */
	ASSERT_EQ(0, fill(self->fd, 0, p, 11));
	ASSERT_EQ(0, fill(self->fd, 2 * q, 3 * q, 11));
	ASSERT_EQ(0, fill(self->fd, 9 * q, 100, 11));
	len = 32 * p;
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	/* Fault twice: the second fault maps the window around it. */
	EXPECT_EQ(pat(0, 11), map[0]);
	EXPECT_EQ(pat(2 * p, 11), map[2 * p]);
	EXPECT_EQ(-1, bad_page(map + 2 * p, 2 * p, 3 * p, 11, p));
	EXPECT_EQ(-1, bad_page(map + 9 * p, 9 * p, 100, 11, p));
	for (i = 0; i < 16; i++) {
		int expect = (i == 1 || (i >= 5 && i <= 8) || i >= 10) ?
			     SIGBUS : 0;

		EXPECT_EQ(expect, touch_in_child(map + i * p, false))
			TH_LOG("page %ld", i);
	}
	EXPECT_EQ(SIGBUS, touch_in_child(map + 20 * p, false));
	munmap(map, len);
}

/* Faulting threads against truncation, writes and order changes. */
struct race {
	const char *node;
	long page;
	volatile int stop;
	long faults, sigbus, ops;
};

static __thread sigjmp_buf race_jmp;

static void race_sigbus(int sig)
{
	(void)sig;
	siglongjmp(race_jmp, 1);
}

static void *race_faulter(void *arg)
{
	struct race *r = arg;
	int fd = open(r->node, O_RDWR);
	volatile long i;	/* survives siglongjmp() */

	if (fd < 0)
		return NULL;
	while (!r->stop) {
		volatile uint8_t *map = mmap(NULL, 64 * r->page, PROT_READ | PROT_WRITE,
			   MAP_SHARED, fd, 0);
		if (map == MAP_FAILED)
			break;
		for (i = 0; i < 64; i++) {
			if (sigsetjmp(race_jmp, 1)) {
				r->sigbus++;
				continue;
			}
			map[i * r->page] += 1;
			r->faults++;
		}
		munmap((void *)map, 64 * r->page);
	}
	close(fd);
	return NULL;
}

static void *race_mutator(void *arg)
{
	struct race *r = arg;
	char buf[4096];
	long n = 0;

	memset(buf, 'r', sizeof(buf));
	while (!r->stop) {
		int fd = open(r->node, (n % 3) ? O_RDWR : O_WRONLY);
		if (fd < 0)
			break;
		if (n % 5 == 0)
			ioctl(fd, SCULLP_IOCTORDER, (n / 5) % 3);
		else
			pwrite(fd, buf, sizeof(buf), (n * 4096) % (64L * 4096));
		close(fd);
		n++;
	}
	r->ops = n;
	return NULL;
}

TEST_F(dev, faults_race_truncate_write_and_order_change)
{
	struct race r = { .node = variant->node, .page = self->page };
	struct sigaction sa = { .sa_handler = race_sigbus };
	pthread_t t[3];
	struct timespec ts = { .tv_sec = 2 };
	int i;

	alarm(60);
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));
	ASSERT_EQ(0, fill(self->fd, 0, 64 * self->page, 12));
	ASSERT_EQ(0, pthread_create(&t[0], NULL, race_faulter, &r));
	ASSERT_EQ(0, pthread_create(&t[1], NULL, race_faulter, &r));
	ASSERT_EQ(0, pthread_create(&t[2], NULL, race_mutator, &r));
	nanosleep(&ts, NULL);
	r.stop = 1;
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, pthread_join(t[i], NULL));
	signal(SIGBUS, SIG_DFL);
	alarm(0);
	TH_LOG("%ld faults, %ld SIGBUS, %ld open/write/ioctl", r.faults,
	       r.sigbus, r.ops);
	EXPECT_LT(0, r.faults + r.sigbus);
	EXPECT_LT(0, r.ops);
}

TEST_HARNESS_MAIN
