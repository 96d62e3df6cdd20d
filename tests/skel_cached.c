// SPDX-License-Identifier: GPL-2.0
/*
 * SKEL_ALLOC_CACHED and SKEL_IOCSYNC: a cached buffer's pages belong to the
 * CPU or to the device in turn, as the streaming DMA API has it. The CPU
 * owns them after allocation; SKEL_IOCSYNC hands page ranges over; the
 * stand-in device refuses a transfer touching a page the CPU owns (EBUSY,
 * no byte written); a sync of pages already on the asked side is EBUSY;
 * DMA_BUF_IOCTL_SYNC on the buffer's dma-buf moves every page. The sysfs
 * dma_coherent file says whether the device sees the CPU's caches: yes on
 * x86, no for skel's device on arm64.
 */
#include <errno.h>
#include <linux/dma-buf.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "skel_test.h"

#define PAGES	4

FIXTURE(cached) {
	int fd;
	size_t pg;
	struct skel_alloc a;
	uint8_t *map;
};

/* A 4-page cached buffer, mapped; the CPU wrote pattern 5 into it. */
FIXTURE_SETUP(cached)
{
	self->pg = sysconf(_SC_PAGESIZE);
	self->fd = open(SKEL_NODE, O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", SKEL_NODE,
				      strerror(errno));
	ASSERT_EQ(0, skel_alloc(self->fd, PAGES * self->pg, SKEL_ALLOC_CACHED,
				&self->a));
	self->map = skel_map(self->fd, self->a.size, self->a.offset);
	ASSERT_NE(MAP_FAILED, self->map) TH_LOG("mmap: %s", strerror(errno));
	ASSERT_EQ(-1, not_byte(self->map, self->a.size, 0))
		TH_LOG("a new cached buffer is not zeroed");
	put_pattern(self->map, self->a.size, 5);
}

FIXTURE_TEARDOWN(cached)
{
	munmap(self->map, self->a.size);
	close(self->fd);
}

TEST_F(cached, the_device_refuses_pages_the_cpu_owns)
{
	EXPECT_EQ(-EBUSY, dev_read(self->fd, self->map, self->pg, 5));
	EXPECT_EQ(EBUSY, dev_write(self->fd, self->map, self->a.size, 9));
	EXPECT_EQ(-1, not_pattern(self->map, self->a.size, 5))
		TH_LOG("a refused transfer wrote into the buffer");
}

TEST_F(cached, a_round_trip_through_the_device)
{
	size_t size = self->a.size;

	ASSERT_EQ(0, skel_sync(self->fd, self->a.id, SKEL_SYNC_FOR_DEVICE, 0,
			       size));
	/* The device reads what the CPU wrote before the hand-over. */
	EXPECT_EQ((long long)size, dev_read(self->fd, self->map, size, 5));
	EXPECT_EQ(0, dev_write(self->fd, self->map, size, 9));
	ASSERT_EQ(0, skel_sync(self->fd, self->a.id, SKEL_SYNC_FOR_CPU, 0,
			       size));
	/* And the CPU what the device wrote. */
	EXPECT_EQ(-1, not_pattern(self->map, size, 9));
	/* The CPU owns it again. */
	EXPECT_EQ(EBUSY, dev_write(self->fd, self->map, size, 5));
	EXPECT_EQ(-1, not_pattern(self->map, size, 9));
}

/* Ownership is per page: the device may use the pages it was given. */
TEST_F(cached, ranges_are_handed_over_page_by_page)
{
	size_t pg = self->pg;

	ASSERT_EQ(0, skel_sync(self->fd, self->a.id, SKEL_SYNC_FOR_DEVICE,
			       pg, 2 * pg));
	EXPECT_EQ(0, dev_write(self->fd, self->map + pg, 2 * pg, 9));
	EXPECT_EQ(0, dev_write(self->fd, self->map + 2 * pg, 1, 9));
	/* One byte of a CPU page in the range is enough to refuse it all. */
	EXPECT_EQ(EBUSY, dev_write(self->fd, self->map + pg - 1, 2, 7));
	EXPECT_EQ(EBUSY, dev_write(self->fd, self->map + 3 * pg - 1, 2, 7));
	EXPECT_EQ(EBUSY, dev_write(self->fd, self->map, PAGES * pg, 7));
	ASSERT_EQ(0, skel_sync(self->fd, self->a.id, SKEL_SYNC_FOR_CPU, pg,
			       2 * pg));
	EXPECT_EQ(-1, not_pattern(self->map, pg, 5));
	EXPECT_EQ(-1, not_pattern(self->map + pg, pg, 9));
	EXPECT_EQ(skel_pattern(9, 0), self->map[2 * pg]);
	EXPECT_EQ(-1, not_pattern_from(self->map + 2 * pg + 1, pg - 1, 9,
				       pg + 1));
	EXPECT_EQ(-1, not_pattern_from(self->map + 3 * pg, pg, 5, 3 * pg));
}

TEST_F(cached, a_sync_to_the_side_that_owns_a_page_is_refused)
{
	size_t pg = self->pg;

	EXPECT_EQ(EBUSY, skel_sync(self->fd, self->a.id, SKEL_SYNC_FOR_CPU, 0,
				   pg));
	ASSERT_EQ(0, skel_sync(self->fd, self->a.id, SKEL_SYNC_FOR_DEVICE, pg,
			       pg));
	/* Pages 0-1: page 1 is the device's already. Nothing changes. */
	EXPECT_EQ(EBUSY, skel_sync(self->fd, self->a.id, SKEL_SYNC_FOR_DEVICE,
				   0, 2 * pg));
	EXPECT_EQ(EBUSY, dev_write(self->fd, self->map, pg, 7));
	EXPECT_EQ(EBUSY, skel_sync(self->fd, self->a.id, SKEL_SYNC_FOR_CPU, pg,
				   2 * pg));
	EXPECT_EQ(0, dev_write(self->fd, self->map + pg, pg, 7));
	EXPECT_EQ(-1, not_pattern(self->map, pg, 5));
}

TEST_F(cached, bad_sync_requests_get_their_errno)
{
	size_t pg = self->pg, size = self->a.size;
	struct skel_alloc coherent;
	__u32 id = self->a.id;

	EXPECT_EQ(EINVAL, skel_sync(self->fd, id, 0, 0, pg));
	EXPECT_EQ(EINVAL, skel_sync(self->fd, id, SKEL_SYNC_FOR_DEVICE |
				    SKEL_SYNC_FOR_CPU, 0, pg));
	EXPECT_EQ(EINVAL, skel_sync(self->fd, id, 0x4, 0, pg));
	EXPECT_EQ(EINVAL, skel_sync(self->fd, id, SKEL_SYNC_FOR_DEVICE, 0, 0));
	EXPECT_EQ(EINVAL, skel_sync(self->fd, id, SKEL_SYNC_FOR_DEVICE, 1,
				    pg));
	EXPECT_EQ(EINVAL, skel_sync(self->fd, id, SKEL_SYNC_FOR_DEVICE, 0,
				    pg + 1));
	EXPECT_EQ(EINVAL, skel_sync(self->fd, id, SKEL_SYNC_FOR_DEVICE, size,
				    pg));
	EXPECT_EQ(EINVAL, skel_sync(self->fd, id, SKEL_SYNC_FOR_DEVICE, pg,
				    size));
	EXPECT_EQ(EINVAL, skel_sync(self->fd, id, SKEL_SYNC_FOR_DEVICE,
				    -(__u64)pg, 2 * pg));
	EXPECT_EQ(ENOENT, skel_sync(self->fd, id + 1, SKEL_SYNC_FOR_DEVICE, 0,
				    pg));
	/* Only cached buffers have owners. */
	ASSERT_EQ(0, skel_alloc(self->fd, pg, 0, &coherent));
	EXPECT_EQ(EINVAL, skel_sync(self->fd, coherent.id,
				    SKEL_SYNC_FOR_DEVICE, 0, pg));
	EXPECT_EQ(0, skel_free(self->fd, coherent.id));
	EXPECT_EQ(EINVAL, skel_alloc(self->fd, pg, SKEL_ALLOC_CACHED |
				     SKEL_ALLOC_REMAP_PFN, &coherent));
	/* None of it moved a page: the CPU still owns them all. */
	EXPECT_EQ(EBUSY, dev_write(self->fd, self->map, 1, 7));
	EXPECT_EQ(0, skel_free(self->fd, id));
	EXPECT_EQ(ENOENT, skel_sync(self->fd, id, SKEL_SYNC_FOR_DEVICE, 0,
				    pg));
	EXPECT_EQ(-1, not_pattern(self->map, size, 5));
}

/* DMA_BUF_IOCTL_SYNC: SYNC_START gives the CPU every page, SYNC_END back. */
TEST_F(cached, dma_buf_sync_moves_every_page)
{
	struct dma_buf_sync start = {
		.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW,
	};
	struct dma_buf_sync end = {
		.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW,
	};
	size_t pg = self->pg, size = self->a.size;
	int dmabuf;

	ASSERT_EQ(0, skel_export(self->fd, self->a.id, O_RDWR | O_CLOEXEC,
				 &dmabuf));
	/* Page 2 the device's, the others the CPU's: END takes them all. */
	ASSERT_EQ(0, skel_sync(self->fd, self->a.id, SKEL_SYNC_FOR_DEVICE,
			       2 * pg, pg));
	ASSERT_EQ(0, ioctl(dmabuf, DMA_BUF_IOCTL_SYNC, &end))
		TH_LOG("SYNC_END: %s", strerror(errno));
	EXPECT_EQ((long long)size, dev_read(self->fd, self->map, size, 5));
	EXPECT_EQ(0, dev_write(self->fd, self->map, size, 9));
	ASSERT_EQ(0, ioctl(dmabuf, DMA_BUF_IOCTL_SYNC, &start))
		TH_LOG("SYNC_START: %s", strerror(errno));
	EXPECT_EQ(EBUSY, dev_write(self->fd, self->map, 1, 7));
	EXPECT_EQ(-1, not_pattern(self->map, size, 9));
	close(dmabuf);
}

TEST(dma_coherent_says_where_caches_need_maintenance)
{
#if defined(__x86_64__) || defined(__i386__)
	long long want = 1;
#elif defined(__aarch64__)
	long long want = 0;
#else
	long long want = -2;

	SKIP(return, "no expectation for this architecture");
#endif
	EXPECT_EQ(want, skel_stat("dma_coherent"));
}

TEST_HARNESS_MAIN
