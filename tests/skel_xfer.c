// SPDX-License-Identifier: GPL-2.0
/*
 * The lab device's transfer check: SKEL_IOCDEVWRITE and SKEL_IOCDEVREAD act
 * only on [addr, addr + len) inside one mapping of a buffer the file holds,
 * made by the calling process through the same file. Every other range is
 * refused (EFAULT; EINVAL for a malformed request) and no byte changes,
 * which each test checks on the memory around the refused range.
 *
 * Layout used by most tests, built with MAP_FIXED inside a reserved range:
 *   [ anon page | buffer A, 2 pages | buffer B, 1 page | anon page ]
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "skel_test.h"

FIXTURE(layout) {
	int fd;
	size_t pg;
	struct skel_alloc a, b;
	uint8_t *base;		/* 5 pages */
	uint8_t *anon_lo, *ma, *mb, *anon_hi;
};

FIXTURE_SETUP(layout)
{
	size_t pg = sysconf(_SC_PAGESIZE);
	int prot = PROT_READ | PROT_WRITE;

	self->pg = pg;
	self->fd = open(SKEL_NODE, O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open: %s", strerror(errno));
	ASSERT_EQ(0, skel_alloc(self->fd, 2 * pg, 0, &self->a));
	ASSERT_EQ(0, skel_alloc(self->fd, pg, 0, &self->b));

	self->base = mmap(NULL, 5 * pg, prot, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	ASSERT_NE(MAP_FAILED, self->base);
	self->anon_lo = self->base;
	self->ma = mmap(self->base + pg, 2 * pg, prot, MAP_SHARED | MAP_FIXED,
			self->fd, (off_t)self->a.offset);
	ASSERT_EQ(self->base + pg, self->ma) TH_LOG("map A: %s",
						    strerror(errno));
	self->mb = mmap(self->base + 3 * pg, pg, prot, MAP_SHARED | MAP_FIXED,
			self->fd, (off_t)self->b.offset);
	ASSERT_EQ(self->base + 3 * pg, self->mb) TH_LOG("map B: %s",
							strerror(errno));
	self->anon_hi = self->base + 4 * pg;

	/* Known contents everywhere, the device's first write included. */
	memset(self->anon_lo, 0x11, pg);
	memset(self->anon_hi, 0x22, pg);
	ASSERT_EQ(0, dev_write(self->fd, self->ma, 2 * pg, 1));
	ASSERT_EQ(0, dev_write(self->fd, self->mb, pg, 2));
}

FIXTURE_TEARDOWN(layout)
{
	munmap(self->base, 5 * self->pg);
	close(self->fd);
}

/* Nothing in the layout changed since setup. */
static int untouched(FIXTURE_DATA(layout) *self)
{
	return not_byte(self->anon_lo, self->pg, 0x11) == -1 &&
	       not_pattern(self->ma, 2 * self->pg, 1) == -1 &&
	       not_pattern(self->mb, self->pg, 2) == -1 &&
	       not_byte(self->anon_hi, self->pg, 0x22) == -1;
}

/* Both directions refuse with @err; the device writes nothing. */
static void refused(struct __test_metadata *_metadata,
		    FIXTURE_DATA(layout) *self, const char *what,
		    const void *addr, uint64_t len, int err)
{
	EXPECT_EQ(err, dev_write(self->fd, addr, len, 99))
		TH_LOG("%s: write", what);
	EXPECT_EQ(-err, dev_read(self->fd, addr, len, 99))
		TH_LOG("%s: read", what);
	EXPECT_TRUE(untouched(self)) TH_LOG("%s: memory changed", what);
}

TEST_F(layout, inside_one_mapping_is_accepted)
{
	size_t pg = self->pg;

	EXPECT_EQ((long long)(2 * pg), dev_read(self->fd, self->ma, 2 * pg, 1));
	/* The last byte of B: pattern byte 0 of seed s is s itself. */
	EXPECT_EQ(1, dev_read(self->fd, self->mb + pg - 1, 1,
			      self->mb[pg - 1]));
	EXPECT_EQ(0, dev_write(self->fd, self->mb + pg - 1, 1, 3));
	EXPECT_EQ(skel_pattern(3, 0), self->mb[pg - 1]);
	EXPECT_EQ(0, dev_write(self->fd, self->ma + pg, pg, 4));
	EXPECT_EQ(-1, not_pattern(self->ma + pg, pg, 4));
	EXPECT_EQ(-1, not_byte(self->anon_hi, pg, 0x22));
	EXPECT_EQ(-1, not_byte(self->anon_lo, pg, 0x11));
}

TEST_F(layout, anonymous_and_unmapped_memory_is_refused)
{
	char stack[16] = "";

	refused(_metadata, self, "anonymous page", self->anon_lo, 16, EFAULT);
	refused(_metadata, self, "NULL", NULL, 16, EFAULT);
	refused(_metadata, self, "the stack", stack, sizeof(stack), EFAULT);
	refused(_metadata, self, "kernel half", (void *)(~0UL << 47), 16,
		EFAULT);
	refused(_metadata, self, "the last page of the address space",
		(void *)-4096L, 16, EFAULT);
}

TEST_F(layout, ranges_crossing_a_mapping_edge_are_refused)
{
	size_t pg = self->pg;

	refused(_metadata, self, "anon into A", self->ma - 1, 2, EFAULT);
	refused(_metadata, self, "A into B (adjacent buffers)", self->ma,
		3 * pg, EFAULT);
	refused(_metadata, self, "A's last byte into B", self->mb - 1, 2,
		EFAULT);
	refused(_metadata, self, "B into anon", self->mb, pg + 1, EFAULT);
	refused(_metadata, self, "all five pages", self->base, 5 * pg, EFAULT);
}

/* Two VMAs of one buffer, adjacent in memory and in the buffer: refused. */
TEST_F(layout, ranges_across_two_mappings_of_one_buffer_are_refused)
{
	size_t pg = self->pg;
	uint8_t *p;

	/* Replace A's mapping by two, one page each, same addresses. */
	p = mmap(self->ma + pg, pg, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, self->fd,
		 (off_t)(self->a.offset + pg));
	ASSERT_EQ(self->ma + pg, p) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(3, skel_stat("mappings"));
	refused(_metadata, self, "A page 0 into A page 1", self->ma, 2 * pg,
		EFAULT);
	EXPECT_EQ(0, dev_write(self->fd, self->ma + pg, pg, 6));
	EXPECT_EQ(-1, not_pattern(self->ma + pg, pg, 6));
	EXPECT_EQ(-1, not_pattern(self->ma, pg, 1));
}

/* Only the part of a buffer that is mapped, and only in this process. */
TEST_F(layout, an_unmapped_part_of_a_buffer_is_refused)
{
	size_t pg = self->pg;

	uint8_t *p;

	ASSERT_EQ(0, munmap(self->ma + pg, pg));
	EXPECT_EQ(EFAULT, dev_write(self->fd, self->ma, 2 * pg, 7));
	EXPECT_EQ(-EFAULT, dev_read(self->fd, self->ma, 2 * pg, 1));
	EXPECT_EQ(EFAULT, dev_write(self->fd, self->ma + pg, 1, 7));
	/* Map page 1 back where it was to see that nothing changed. */
	p = mmap(self->ma + pg, pg, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, self->fd,
		 (off_t)(self->a.offset + pg));
	ASSERT_EQ(self->ma + pg, p) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_TRUE(untouched(self));
}

TEST_F(layout, another_files_mapping_is_refused)
{
	int fd2 = open(SKEL_NODE, O_RDWR);
	struct skel_alloc c;
	uint8_t *mc;

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, skel_alloc(fd2, self->pg, 0, &c));
	mc = skel_map(fd2, c.size, c.offset);
	ASSERT_NE(MAP_FAILED, mc);
	EXPECT_EQ(EFAULT, dev_write(self->fd, mc, c.size, 5));
	EXPECT_EQ(-EFAULT, dev_read(self->fd, mc, c.size, 0));
	EXPECT_EQ(-1, not_byte(mc, c.size, 0));
	/* Through its own file the same range is fine. */
	EXPECT_EQ(0, dev_write(fd2, mc, c.size, 5));
	EXPECT_EQ(-1, not_pattern(mc, c.size, 5));
	/* And fd2 may not reach this file's buffers. */
	EXPECT_EQ(EFAULT, dev_write(fd2, self->ma, self->pg, 5));
	EXPECT_TRUE(untouched(self));
	EXPECT_EQ(0, munmap(mc, c.size));
	close(fd2);
}

TEST_F(layout, malformed_requests_are_einval)
{
	struct skel_xfer x = {
		.addr = (uintptr_t)self->ma, .len = 16, .flags = 1,
	};

	refused(_metadata, self, "zero length", self->ma, 0, EINVAL);
	refused(_metadata, self, "wrapping range", self->ma, -(uint64_t)1,
		EINVAL);
	EXPECT_EQ(-1, ioctl(self->fd, SKEL_IOCDEVWRITE, &x));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, SKEL_IOCDEVWRITE, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_TRUE(untouched(self));
}

TEST_HARNESS_MAIN
