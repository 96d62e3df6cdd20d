// SPDX-License-Identifier: GPL-2.0
/*
 * SKEL_IOCEXPORT: a /dev/skel buffer as a dma-buf fd. The fd maps the same
 * bytes as /dev/skel does, honours the O_RDWR and O_CLOEXEC it was asked
 * for, and keeps the buffer (and the module) alive after SKEL_IOCFREE and
 * close; bad requests get their errno and change nothing. The importers
 * are tested in skel_export_vgem and skel_export_vivid.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "skel_test.h"

FIXTURE(skel) {
	int fd;
	size_t page;
	struct skel_alloc a;
	uint8_t *map;
};

/* A 3-page buffer, mapped, which the device has filled with pattern 61. */
FIXTURE_SETUP(skel)
{
	self->page = sysconf(_SC_PAGESIZE);
	self->fd = open(SKEL_NODE, O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", SKEL_NODE,
				      strerror(errno));
	ASSERT_EQ(0, skel_alloc(self->fd, 3 * self->page, 0, &self->a));
	self->map = skel_map(self->fd, self->a.size, self->a.offset);
	ASSERT_NE(MAP_FAILED, self->map) TH_LOG("mmap: %s", strerror(errno));
	ASSERT_EQ(0, dev_write(self->fd, self->map, self->a.size, 61));
}

FIXTURE_TEARDOWN(skel)
{
	if (self->map != MAP_FAILED)
		munmap(self->map, self->a.size);
	if (self->fd >= 0)
		close(self->fd);
}

static int sync_buf(int dmabuf, __u64 flags)
{
	struct dma_buf_sync s = { .flags = flags };

	return ioctl(dmabuf, DMA_BUF_IOCTL_SYNC, &s) ? errno : 0;
}

TEST_F(skel, fd_maps_the_same_bytes)
{
	size_t size = self->a.size;
	uint8_t *dm;
	int dmabuf;

	ASSERT_EQ(0, skel_export(self->fd, self->a.id, O_RDWR | O_CLOEXEC,
				 &dmabuf));
	EXPECT_EQ(1, skel_stat("exports"));
	/* A dma-buf's size is its end. */
	EXPECT_EQ(size, (size_t)lseek(dmabuf, 0, SEEK_END));

	dm = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf, 0);
	ASSERT_NE(MAP_FAILED, dm) TH_LOG("mmap of the dma-buf: %s",
					 strerror(errno));
	EXPECT_EQ(0, sync_buf(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
	EXPECT_EQ(-1, not_pattern(dm, size, 61));
	/* A write through either mapping is seen through the other... */
	put_pattern(dm, size, 62);
	EXPECT_EQ(0, sync_buf(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));
	EXPECT_EQ(-1, not_pattern(self->map, size, 62));
	/* ...and by the device. */
	EXPECT_EQ((long long)size, dev_read(self->fd, self->map, size, 62));
	EXPECT_EQ(0, munmap(dm, size));

	/* An offset into the fd maps from that page of the buffer on. */
	dm = mmap(NULL, self->page, PROT_READ, MAP_SHARED, dmabuf,
		  (off_t)(2 * self->page));
	ASSERT_NE(MAP_FAILED, dm) TH_LOG("mmap of page 2: %s", strerror(errno));
	EXPECT_EQ(-1, not_pattern_from(dm, self->page, 62, 2 * self->page));
	EXPECT_EQ(0, munmap(dm, self->page));
	/* Past the end, or private: refused. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 2 * self->page, PROT_READ, MAP_SHARED,
				   dmabuf, (off_t)(2 * self->page)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, size, PROT_READ, MAP_PRIVATE,
				   dmabuf, 0));
	EXPECT_EQ(EINVAL, errno);

	EXPECT_EQ(0, close(dmabuf));
	EXPECT_EQ(0, skel_stat("exports"));
	EXPECT_EQ(1, skel_stat("buffers"));
}

TEST_F(skel, fd_flags)
{
	uint8_t *dm;
	int dmabuf;

	ASSERT_EQ(0, skel_export(self->fd, self->a.id, O_RDWR | O_CLOEXEC,
				 &dmabuf));
	EXPECT_EQ(FD_CLOEXEC, fcntl(dmabuf, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(O_RDWR, fcntl(dmabuf, F_GETFL) & O_ACCMODE);
	close(dmabuf);

	ASSERT_EQ(0, skel_export(self->fd, self->a.id, O_RDONLY, &dmabuf));
	EXPECT_EQ(0, fcntl(dmabuf, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(O_RDONLY, fcntl(dmabuf, F_GETFL) & O_ACCMODE);
	/* Read-only: a writable mapping is refused, a readable one works. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, self->a.size, PROT_READ | PROT_WRITE,
				   MAP_SHARED, dmabuf, 0));
	EXPECT_EQ(EACCES, errno);
	dm = mmap(NULL, self->a.size, PROT_READ, MAP_SHARED, dmabuf, 0);
	ASSERT_NE(MAP_FAILED, dm) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(-1, not_pattern(dm, self->a.size, 61));
	munmap(dm, self->a.size);
	close(dmabuf);
}

TEST_F(skel, bad_requests)
{
	struct skel_export e = { .id = self->a.id, .flags = O_RDWR };
	int dmabuf, other, fd2;

	EXPECT_EQ(EINVAL, skel_export(self->fd, self->a.id, O_WRONLY, &dmabuf));
	EXPECT_EQ(EINVAL, skel_export(self->fd, self->a.id,
				      O_RDWR | O_NONBLOCK, &dmabuf));
	e.reserved = 1;
	EXPECT_EQ(-1, ioctl(self->fd, SKEL_IOCEXPORT, &e));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, SKEL_IOCEXPORT, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(ENOENT, skel_export(self->fd, self->a.id + 1, O_RDWR,
				      &dmabuf));
	EXPECT_EQ(ENOENT, skel_export(self->fd, 0, O_RDWR, &dmabuf));
	EXPECT_EQ(0, skel_stat("exports"));

	/* One dma-buf per buffer at a time; after its release, a new one. */
	ASSERT_EQ(0, skel_export(self->fd, self->a.id, O_RDWR, &dmabuf));
	EXPECT_EQ(EBUSY, skel_export(self->fd, self->a.id, O_RDWR, &other));
	EXPECT_EQ(1, skel_stat("exports"));
	EXPECT_EQ(0, close(dmabuf));
	ASSERT_EQ(0, skel_export(self->fd, self->a.id, O_RDWR, &dmabuf));
	EXPECT_EQ(0, close(dmabuf));

	/* Another file's buffer, and a freed one, are not this file's. */
	fd2 = open(SKEL_NODE, O_RDWR);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(ENOENT, skel_export(fd2, self->a.id, O_RDWR, &dmabuf));
	close(fd2);
	ASSERT_EQ(0, skel_free(self->fd, self->a.id));
	EXPECT_EQ(ENOENT, skel_export(self->fd, self->a.id, O_RDWR, &dmabuf));
	/* Nothing changed: the data is intact. */
	EXPECT_EQ(-1, not_pattern(self->map, self->a.size, 61));
}

/* The dma-buf keeps the buffer after SKEL_IOCFREE and after close. */
TEST_F(skel, outlives_free_and_close)
{
	size_t size = self->a.size;
	uint8_t *dm;
	int dmabuf;

	ASSERT_EQ(0, skel_export(self->fd, self->a.id, O_RDWR, &dmabuf));
	ASSERT_EQ(0, skel_free(self->fd, self->a.id));
	ASSERT_EQ(0, munmap(self->map, size));
	self->map = MAP_FAILED;
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	EXPECT_EQ(1, skel_stat("buffers"));
	EXPECT_EQ((long long)size, skel_stat("bytes"));

	/* Mapped after the file is gone: the device's bytes are there. */
	dm = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf, 0);
	ASSERT_NE(MAP_FAILED, dm) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(-1, not_pattern(dm, size, 61));
	EXPECT_EQ(1, skel_stat("mappings"));

	/* The mapping holds the dma-buf, which holds the buffer. */
	EXPECT_EQ(0, close(dmabuf));
	EXPECT_EQ(1, skel_stat("exports"));
	EXPECT_EQ(1, skel_stat("buffers"));
	dm[0] = 0x5a;
	EXPECT_EQ(0x5a, dm[0]);
	EXPECT_EQ(0, munmap(dm, size));
	EXPECT_EQ(0, skel_stat("exports"));
	EXPECT_EQ(0, skel_stat("buffers"));
	EXPECT_EQ(0, skel_stat("bytes"));
	EXPECT_EQ(0, skel_stat("mappings"));
}

/* While a dma-buf lives, the module cannot go. */
TEST_F(skel, module_is_pinned)
{
	int dmabuf;

	ASSERT_EQ(0, skel_export(self->fd, self->a.id, O_RDWR, &dmabuf));
	ASSERT_EQ(0, munmap(self->map, self->a.size));
	self->map = MAP_FAILED;
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	EXPECT_EQ(-1, syscall(SYS_delete_module, "skel", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	EXPECT_EQ(0, close(dmabuf));
	EXPECT_EQ(0, skel_stat("buffers"));
}

/* A remap_pfn buffer exports the same way. */
TEST_F(skel, remap_pfn_buffer)
{
	struct skel_alloc b;
	uint8_t *dm;
	int dmabuf, ret;

	ret = skel_remap_pfn_refused(self->fd, SKEL_ALLOC_REMAP_PFN);
	ASSERT_LE(0, ret);
	if (ret)
		SKIP(return, SKEL_REMAP_PFN_REFUSED);
	ASSERT_EQ(0, skel_alloc(self->fd, self->page, SKEL_ALLOC_REMAP_PFN, &b));
	ASSERT_EQ(0, skel_export(self->fd, b.id, O_RDWR, &dmabuf));
	dm = mmap(NULL, b.size, PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf, 0);
	ASSERT_NE(MAP_FAILED, dm);
	put_pattern(dm, b.size, 63);
	EXPECT_EQ(0, munmap(dm, b.size));
	dm = skel_map(self->fd, b.size, b.offset);
	ASSERT_NE(MAP_FAILED, dm);
	EXPECT_EQ((long long)b.size, dev_read(self->fd, dm, b.size, 63));
	munmap(dm, b.size);
	close(dmabuf);
}

TEST_HARNESS_MAIN
