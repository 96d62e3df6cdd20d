// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/skel buffers: allocate, map, let the device write, check from user
 * space, write from user space, let the device check; rounding to pages,
 * zeroed memory, mappings of part of a buffer and of several buffers at
 * once, and every wrong offset or length refused.
 *
 * Each test runs twice: with buffers mapped by dma_mmap_coherent() and with
 * SKEL_ALLOC_REMAP_PFN, remap_pfn_range() of the coherent buffer's page
 * frames. The second is the 2006 thread's attempt ("remap_pfn_range ... ends
 * up creating a new buffer"): here the device sees every byte the program
 * writes and the program every byte the device writes, through the same
 * pages.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "skel_test.h"

FIXTURE(skel) {
	int fd;
	size_t page;
	int refused;	/* SKEL_ALLOC_REMAP_PFN refused, as it must be here */
};

FIXTURE_VARIANT(skel) {
	uint32_t flags;
};

FIXTURE_VARIANT_ADD(skel, dma_mmap_coherent) {
	.flags = 0,
};

FIXTURE_VARIANT_ADD(skel, remap_pfn_range) {
	.flags = SKEL_ALLOC_REMAP_PFN,
};

FIXTURE_SETUP(skel)
{
	self->page = sysconf(_SC_PAGESIZE);
	self->fd = open(SKEL_NODE, O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", SKEL_NODE,
				      strerror(errno));
	self->refused = skel_remap_pfn_refused(self->fd, variant->flags);
	ASSERT_LE(0, self->refused);
}

FIXTURE_TEARDOWN(skel)
{
	close(self->fd);
}

TEST_F(skel, sizes_are_rounded_to_pages_and_memory_starts_zeroed)
{
	struct skel_alloc a, b;
	uint8_t *map;

	if (self->refused)
		SKIP(return, SKEL_REMAP_PFN_REFUSED);
	ASSERT_EQ(0, skel_alloc(self->fd, 1, variant->flags, &a));
	EXPECT_EQ(self->page, a.size);
	EXPECT_NE(0, a.id);
	EXPECT_NE(0, a.offset);
	EXPECT_EQ(0, a.offset % self->page);
	ASSERT_EQ(0, skel_alloc(self->fd, 2 * self->page + 1, variant->flags,
				&b));
	EXPECT_EQ(3 * self->page, b.size);
	EXPECT_NE(a.id, b.id);
	EXPECT_NE(a.offset, b.offset);
	EXPECT_EQ((long long)(4 * self->page), skel_stat("bytes"));

	map = skel_map(self->fd, b.size, b.offset);
	ASSERT_NE(MAP_FAILED, map) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(-1, not_byte(map, b.size, 0));
	EXPECT_EQ(1, skel_stat("mappings"));
	EXPECT_EQ(0, munmap(map, b.size));
	EXPECT_EQ(0, skel_stat("mappings"));
	EXPECT_EQ(0, skel_free(self->fd, a.id));
	EXPECT_EQ(0, skel_free(self->fd, b.id));
	EXPECT_EQ(0, skel_stat("buffers"));
	EXPECT_EQ(0, skel_stat("bytes"));
}

TEST_F(skel, device_writes_and_the_program_reads)
{
	struct skel_alloc a;
	uint8_t *map;
	size_t i;

	if (self->refused)
		SKIP(return, SKEL_REMAP_PFN_REFUSED);
	ASSERT_EQ(0, skel_alloc(self->fd, 5 * self->page, variant->flags, &a));
	map = skel_map(self->fd, a.size, a.offset);
	ASSERT_NE(MAP_FAILED, map) TH_LOG("mmap: %s", strerror(errno));

	ASSERT_EQ(0, dev_write(self->fd, map, a.size, 11));
	EXPECT_EQ(-1, not_pattern(map, a.size, 11));

	/* A part in the middle: only those bytes change. */
	ASSERT_EQ(0, dev_write(self->fd, map + self->page + 100,
			       2 * self->page, 12));
	EXPECT_EQ(-1, not_pattern(map, self->page + 100, 11));
	EXPECT_EQ(-1, not_pattern(map + self->page + 100, 2 * self->page, 12));
	i = 3 * self->page + 100;
	EXPECT_EQ(-1, not_pattern_from(map + i, a.size - i, 11, i));

	EXPECT_EQ(0, munmap(map, a.size));
	EXPECT_EQ(0, skel_free(self->fd, a.id));
}

TEST_F(skel, program_writes_and_the_device_reads)
{
	struct skel_alloc a;
	long long zeros = 0;
	uint8_t *map;
	size_t i;

	if (self->refused)
		SKIP(return, SKEL_REMAP_PFN_REFUSED);
	ASSERT_EQ(0, skel_alloc(self->fd, 3 * self->page, variant->flags, &a));
	map = skel_map(self->fd, a.size, a.offset);
	ASSERT_NE(MAP_FAILED, map) TH_LOG("mmap: %s", strerror(errno));

	/* Zeroed memory: the device finds the pattern's zero bytes only. */
	for (i = 0; i < a.size; i++)
		zeros += skel_pattern(21, i) == 0;
	EXPECT_EQ(zeros, dev_read(self->fd, map, a.size, 21));
	put_pattern(map, a.size, 21);
	EXPECT_EQ((long long)a.size, dev_read(self->fd, map, a.size, 21));
	/* One byte changed on the last page: the device sees it. */
	map[a.size - 7] ^= 0xff;
	EXPECT_EQ((long long)a.size - 1, dev_read(self->fd, map, a.size, 21));
	/* A part: the pattern starts at the transfer's own first byte. */
	put_pattern(map + self->page + 3, 100, 22);
	EXPECT_EQ(100, dev_read(self->fd, map + self->page + 3, 100, 22));

	EXPECT_EQ(0, munmap(map, a.size));
	EXPECT_EQ(0, skel_free(self->fd, a.id));
}

/* Two mappings of one buffer, one of them from its second page on. */
TEST_F(skel, mappings_of_one_buffer_share_its_pages)
{
	struct skel_alloc a;
	uint8_t *whole, *tail;

	if (self->refused)
		SKIP(return, SKEL_REMAP_PFN_REFUSED);
	ASSERT_EQ(0, skel_alloc(self->fd, 4 * self->page, variant->flags, &a));
	whole = skel_map(self->fd, a.size, a.offset);
	ASSERT_NE(MAP_FAILED, whole) TH_LOG("mmap: %s", strerror(errno));
	tail = skel_map(self->fd, 2 * self->page, a.offset + self->page);
	ASSERT_NE(MAP_FAILED, tail) TH_LOG("mmap at page 1: %s",
					   strerror(errno));
	EXPECT_EQ(2, skel_stat("mappings"));

	ASSERT_EQ(0, dev_write(self->fd, whole, a.size, 31));
	EXPECT_EQ(-1, not_pattern_from(tail, 2 * self->page, 31, self->page));

	/* The device writes through the second mapping at buffer page 1. */
	ASSERT_EQ(0, dev_write(self->fd, tail, 2 * self->page, 32));
	EXPECT_EQ(-1, not_pattern(whole + self->page, 2 * self->page, 32));
	EXPECT_EQ(-1, not_pattern(whole, self->page, 31));

	tail[5] = 0x5a;
	EXPECT_EQ(0x5a, whole[self->page + 5]);

	EXPECT_EQ(0, munmap(tail, 2 * self->page));
	EXPECT_EQ(0, munmap(whole, a.size));
	EXPECT_EQ(0, skel_free(self->fd, a.id));
	EXPECT_EQ(0, skel_stat("mappings"));
}

/* mmap refuses anything but a shared mapping inside one held buffer. */
TEST_F(skel, wrong_offsets_and_lengths_are_refused)
{
	struct skel_alloc a, b;
	size_t pg = self->page;
	struct {
		const char *what;
		size_t len;
		uint64_t off;
		int flags;
		int err;
	} bad[] = {
		{ "offset 0 (no buffer)", pg, 0, MAP_SHARED, EINVAL },
		{ "longer than the buffer", 3 * pg, 0, MAP_SHARED, EINVAL },
		{ "from page 1, one page too long", 2 * pg, pg, MAP_SHARED,
		  EINVAL },
		{ "at the buffer's end, in its slot", pg, 2 * pg, MAP_SHARED,
		  EINVAL },
		{ "the slot after the last buffer", pg, 0, MAP_SHARED, EINVAL },
		{ "not page aligned", pg, 1, MAP_SHARED, EINVAL },
		{ "MAP_PRIVATE", pg, 0, MAP_PRIVATE, EINVAL },
	};
	unsigned int i;
	uint32_t old_id;

	if (self->refused)
		SKIP(return, SKEL_REMAP_PFN_REFUSED);
	ASSERT_EQ(0, skel_alloc(self->fd, 2 * pg, variant->flags, &a));
	ASSERT_EQ(0, skel_alloc(self->fd, pg, variant->flags, &b));
	/* Offsets relative to a, except the first and the fifth. */
	for (i = 1; i < sizeof(bad) / sizeof(bad[0]); i++)
		bad[i].off += a.offset;
	bad[4].off = b.offset + (b.offset - a.offset);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		void *p = mmap(NULL, bad[i].len, PROT_READ | PROT_WRITE,
			       bad[i].flags, self->fd, (off_t)bad[i].off);

		EXPECT_EQ(MAP_FAILED, p) TH_LOG("%s: mapped", bad[i].what);
		if (p != MAP_FAILED) {
			munmap(p, bad[i].len);
			continue;
		}
		EXPECT_EQ(bad[i].err, errno) TH_LOG("%s: %s", bad[i].what,
						    strerror(errno));
	}
	EXPECT_EQ(0, skel_stat("mappings"));

	/* A freed buffer's offset maps nothing, and its id is not reused. */
	ASSERT_EQ(0, skel_free(self->fd, b.id));
	EXPECT_EQ(MAP_FAILED, skel_map(self->fd, pg, b.offset));
	EXPECT_EQ(EINVAL, errno);
	old_id = b.id;
	ASSERT_EQ(0, skel_alloc(self->fd, pg, variant->flags, &b));
	EXPECT_NE(old_id, b.id);
	EXPECT_EQ(0, skel_free(self->fd, a.id));
	EXPECT_EQ(0, skel_free(self->fd, b.id));
}

/* A mapping cannot grow past its buffer (VM_DONTEXPAND), but moves. */
TEST_F(skel, mremap_cannot_grow_but_moves)
{
	struct skel_alloc a;
	uint8_t *map, *moved, *hole;
	size_t pg = self->page;

	if (self->refused)
		SKIP(return, SKEL_REMAP_PFN_REFUSED);
	/* Where the mapping will move: an address range of our own. */
	hole = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_EQ(0, skel_alloc(self->fd, 2 * pg, variant->flags, &a));
	map = skel_map(self->fd, pg, a.offset);
	ASSERT_NE(MAP_FAILED, map) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(MAP_FAILED, mremap(map, pg, 2 * pg, MREMAP_MAYMOVE));
	EXPECT_EQ(EFAULT, errno);

	ASSERT_EQ(0, dev_write(self->fd, map, pg, 41));
	moved = mremap(map, pg, pg, MREMAP_MAYMOVE | MREMAP_FIXED, hole);
	ASSERT_NE(MAP_FAILED, moved) TH_LOG("mremap: %s", strerror(errno));
	EXPECT_EQ(-1, not_pattern(moved, pg, 41));
	EXPECT_EQ(1, skel_stat("mappings"));
	EXPECT_EQ((long long)pg, dev_read(self->fd, moved, pg, 41));
	EXPECT_EQ(0, munmap(moved, pg));
	EXPECT_EQ(0, skel_stat("mappings"));
	EXPECT_EQ(0, skel_free(self->fd, a.id));
}

/* The file's whole default allowance at once, each buffer with its data. */
TEST_F(skel, many_buffers_at_once)
{
	long long n = skel_param("file_max_buffers");
	struct skel_alloc *a;
	uint8_t **map;
	long long i;
	int failed = 0;

	if (self->refused)
		SKIP(return, SKEL_REMAP_PFN_REFUSED);
	ASSERT_LT(1, n);
	a = calloc(n, sizeof(*a));
	map = calloc(n, sizeof(*map));
	ASSERT_TRUE(a && map);

	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, skel_alloc(self->fd, (i % 5 + 1) * self->page,
					variant->flags, &a[i]))
			TH_LOG("buffer %lld", i);
		map[i] = skel_map(self->fd, a[i].size, a[i].offset);
		ASSERT_NE(MAP_FAILED, map[i]) TH_LOG("map %lld: %s", i,
						     strerror(errno));
	}
	EXPECT_EQ(n, skel_stat("buffers"));
	EXPECT_EQ(n, skel_stat("mappings"));
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, dev_write(self->fd, map[i], a[i].size, i));
	for (i = 0; i < n; i++) {
		EXPECT_EQ(-1, not_pattern(map[i], a[i].size, i))
			TH_LOG("buffer %lld", i);
		put_pattern(map[i], a[i].size, i + 1000);
	}
	for (i = 0; i < n; i++)
		EXPECT_EQ((long long)a[i].size,
			  dev_read(self->fd, map[i], a[i].size, i + 1000));
	for (i = 0; i < n; i++) {
		failed += munmap(map[i], a[i].size) != 0;
		failed += skel_free(self->fd, a[i].id) != 0;
	}
	EXPECT_EQ(0, failed);
	EXPECT_EQ(0, skel_stat("buffers"));
	EXPECT_EQ(0, skel_stat("mappings"));
	free(a);
	free(map);
}

TEST_HARNESS_MAIN
