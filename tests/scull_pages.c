// SPDX-License-Identifier: GPL-2.0
/*
 * Every page of /dev/scullp0 and /dev/scullv0 at the order the modules
 * were loaded with maps the right bytes, through single-page faults and
 * through fault-around, for reads and for writes; and memory nobody wrote
 * reads as zeros through read() and through a mapping (with init_on_alloc=0
 * too: tests/host/scull_init_on_alloc.sh). tests/scull_orders.sh runs this
 * after reloading the modules with each order 0..4.
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

#include "kselftest_harness.h"
#include "scull_ioctl.h"

#define FAULT_AROUND "/sys/module/scull_core/parameters/fault_around"

FIXTURE(dev) {
	int fd;
	long page, quantum;
	int order;
};

FIXTURE_VARIANT(dev) {
	const char *node;
};

FIXTURE_VARIANT_ADD(dev, scullp) {
	.node = "/dev/scullp0",
};

FIXTURE_VARIANT_ADD(dev, scullv) {
	.node = "/dev/scullv0",
};

FIXTURE_SETUP(dev)
{
	int fd = open(variant->node, O_WRONLY);

	ASSERT_LE(0, fd) TH_LOG("open %s: %s", variant->node, strerror(errno));
	close(fd);
	self->fd = open(variant->node, O_RDWR);
	ASSERT_LE(0, self->fd);
	self->page = sysconf(_SC_PAGESIZE);
	self->order = ioctl(self->fd, SCULLP_IOCQORDER);
	ASSERT_LE(0, self->order);
	self->quantum = self->page << self->order;
	TH_LOG("%s: order %d", variant->node, self->order);
}

FIXTURE_TEARDOWN(dev)
{
	FILE *f = fopen(FAULT_AROUND, "w");

	if (f) {
		fputs("1", f);
		fclose(f);
	}
	close(self->fd);
	close(open(variant->node, O_WRONLY));
}

static int set_fault_around(int on)
{
	FILE *f = fopen(FAULT_AROUND, "w");
	int ret;

	if (!f)
		return -1;
	ret = fputs(on ? "1" : "0", f) < 0 ? -1 : 0;
	return fclose(f) || ret ? -1 : 0;
}

/* A byte pattern in which every page of the device differs. */
static uint8_t pat(uint64_t off, unsigned int seed)
{
	uint64_t x = (off >> 12) * 0x9e3779b97f4a7c15ULL + seed;

	return (uint8_t)((x >> 56) ^ (off & 0xfff) ^ ((off & 0xfff) >> 8));
}

/* First page of @buf (device offset 0) that does not hold the pattern. */
static long bad_page(const uint8_t *buf, size_t len, unsigned int seed,
		     long page)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != pat(i, seed))
			return (long)(i / page);
	return -1;
}

/* Write with read(), check through a fresh mapping; both fault paths. */
TEST_F(dev, written_by_write_read_through_mapping)
{
	size_t len = 5 * self->quantum + 3 * self->page;
	uint8_t *buf = malloc(len), *map;
	size_t i;
	int fa;

	ASSERT_NE(NULL, buf);
	for (fa = 1; fa >= 0; fa--) {
		unsigned int seed = 100 + fa;

		for (i = 0; i < len; i++)
			buf[i] = pat(i, seed);
		ASSERT_EQ((ssize_t)len, pwrite(self->fd, buf, len, 0))
			TH_LOG("write: %s", strerror(errno));
		ASSERT_EQ(0, set_fault_around(fa))
			TH_LOG("cannot set fault_around: %s", strerror(errno));
		map = mmap(NULL, len, PROT_READ, MAP_SHARED, self->fd, 0);
		ASSERT_NE(MAP_FAILED, map) TH_LOG("mmap: %s", strerror(errno));
		/* Backwards, so fault-around windows start mid-quantum. */
		for (i = len; i > 0; i -= self->page)
			EXPECT_EQ(pat(i - 1, seed), map[i - 1])
				TH_LOG("fault_around %d: offset %zu", fa, i - 1);
		EXPECT_EQ(-1, bad_page(map, len, seed, self->page))
			TH_LOG("order %d, fault_around %d: page %ld wrong",
			       self->order, fa,
			       bad_page(map, len, seed, self->page));
		munmap(map, len);
	}
	free(buf);
}

/* Write through a mapping (write faults), check with read(). */
TEST_F(dev, written_through_mapping_read_by_read)
{
	size_t len = 4 * self->quantum, i;
	uint8_t *buf = malloc(len), *map;

	ASSERT_NE(NULL, buf);
	memset(buf, 0, len);
	ASSERT_EQ((ssize_t)len, pwrite(self->fd, buf, len, 0));
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	for (i = 0; i < len; i++)
		map[i] = pat(i, 7);
	munmap(map, len);
	ASSERT_EQ((ssize_t)len, pread(self->fd, buf, len, 0));
	EXPECT_EQ(-1, bad_page(buf, len, 7, self->page))
		TH_LOG("order %d: page %ld wrong", self->order,
		       bad_page(buf, len, 7, self->page));
	free(buf);
}

/* Fresh quanta are zero through read() and through a mapping. */
TEST_F(dev, unwritten_memory_is_zero)
{
	size_t len = 8 * self->quantum, i;
	uint8_t *buf = malloc(len), *map;
	long q;

	ASSERT_NE(NULL, buf);
	/* One byte at the end of each quantum allocates it. */
	for (q = 1; q <= 8; q++)
		ASSERT_EQ(1, pwrite(self->fd, "x", 1, q * self->quantum - 1));
	ASSERT_EQ((ssize_t)len, pread(self->fd, buf, len, 0));
	for (i = 0; i < len; i++)
		if (buf[i] && (i + 1) % self->quantum)
			break;
	EXPECT_EQ(len, i) TH_LOG("read(): stale byte at %zu", i);
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	for (i = 0; i < len; i++)
		if (map[i] && (i + 1) % self->quantum)
			break;
	EXPECT_EQ(len, i) TH_LOG("mapping: stale byte at %zu", i);
	munmap(map, len);
	free(buf);
}

TEST_HARNESS_MAIN
