// SPDX-License-Identifier: GPL-2.0
/*
 * A /dev/skel dma-buf filled by a real V4L2 driver: vivid, the kernel's
 * virtual video device, captures frames into exported buffers queued with
 * V4L2_MEMORY_DMABUF, as a capture card would. Two vivid instances, two
 * import paths: instance 0 (vb2-vmalloc) writes through the buffer's
 * kernel address (vmap), instance 1 (vb2-dma-contig, 32-bit DMA mask)
 * through a DMA mapping for its own device (map_dma_buf). The frame, a
 * solid test pattern, is then read through the skel mapping and the
 * dma-buf mapping, and by skel's stand-in device.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kernel_module.h"
#include "kselftest_harness.h"
#include "skel_test.h"

#define NBUF	2

/* The video capture node of vivid instance @inst, or -1. */
static int open_vivid(int inst)
{
	char want[32];
	int i;

	snprintf(want, sizeof(want), "platform:vivid-%03d", inst);
	for (i = 0; i < 64; i++) {
		struct v4l2_capability cap;
		char path[32];
		int fd;

		snprintf(path, sizeof(path), "/dev/video%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!ioctl(fd, VIDIOC_QUERYCAP, &cap) &&
		    !strcmp((char *)cap.bus_info, want) &&
		    (cap.device_caps & V4L2_CAP_VIDEO_CAPTURE))
			return fd;
		close(fd);
	}
	return -1;
}

/* Set menu control @name to its item @item. Return 0 or the errno. */
static int set_menu(int fd, const char *name, const char *item)
{
	struct v4l2_queryctrl q = { .id = V4L2_CTRL_FLAG_NEXT_CTRL };

	while (!ioctl(fd, VIDIOC_QUERYCTRL, &q)) {
		if (strcmp((char *)q.name, name) == 0) {
			struct v4l2_querymenu m = { .id = q.id };

			for (m.index = q.minimum; m.index <= (__u32)q.maximum;
			     m.index++) {
				struct v4l2_control c = {
					.id = q.id, .value = (__s32)m.index,
				};

				if (ioctl(fd, VIDIOC_QUERYMENU, &m) ||
				    strcmp((char *)m.name, item) != 0)
					continue;
				return ioctl(fd, VIDIOC_S_CTRL, &c) ? errno : 0;
			}
			return ENOENT;
		}
		q.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
	}
	return ENOENT;
}

FIXTURE(vivid) {
	int video, skel;
	struct v4l2_pix_format pix;
	struct skel_alloc a[NBUF];
	uint8_t *map[NBUF];
	int dmabuf[NBUF];
};

FIXTURE_VARIANT(vivid) {
	int instance;
};

FIXTURE_VARIANT_ADD(vivid, vmalloc) {
	.instance = 0,
};

FIXTURE_VARIANT_ADD(vivid, dma_contig) {
	.instance = 1,
};

FIXTURE_SETUP(vivid)
{
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	int i;

	for (i = 0; i < NBUF; i++) {
		self->map[i] = MAP_FAILED;
		self->dmabuf[i] = -1;
	}
	self->video = self->skel = -1;
	/* Video capture nodes only, one vmalloc and one dma-contig instance. */
	ASSERT_EQ(0, load_kernel_module("vivid",
					"n_devs=2 node_types=1,1 allocators=0,1"))
		TH_LOG("modprobe vivid failed: the test kernel ships it");
	self->video = open_vivid(variant->instance);
	ASSERT_LE(0, self->video) TH_LOG("no capture node of vivid-%03d",
					 variant->instance);
	/* A solid colour, no text: every pixel of the frame the same. */
	ASSERT_EQ(0, set_menu(self->video, "Test Pattern", "100% Red"));
	ASSERT_EQ(0, set_menu(self->video, "OSD Text Mode", "None"));
	ASSERT_EQ(0, ioctl(self->video, VIDIOC_G_FMT, &f));
	f.fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
	ASSERT_EQ(0, ioctl(self->video, VIDIOC_S_FMT, &f))
		TH_LOG("VIDIOC_S_FMT: %s", strerror(errno));
	ASSERT_EQ(V4L2_PIX_FMT_YUYV, f.fmt.pix.pixelformat);
	self->pix = f.fmt.pix;

	self->skel = open(SKEL_NODE, O_RDWR);
	ASSERT_LE(0, self->skel) TH_LOG("open %s: %s", SKEL_NODE,
					strerror(errno));
	for (i = 0; i < NBUF; i++) {
		ASSERT_EQ(0, skel_alloc(self->skel, self->pix.sizeimage, 0,
					&self->a[i])) TH_LOG("buffer %d", i);
		self->map[i] = skel_map(self->skel, self->a[i].size,
					self->a[i].offset);
		ASSERT_NE(MAP_FAILED, self->map[i]) TH_LOG("mmap: %s",
							   strerror(errno));
		/* What was there before the frame: the device's pattern. */
		ASSERT_EQ(0, dev_write(self->skel, self->map[i],
				       self->a[i].size, 3)) TH_LOG("buffer %d", i);
		ASSERT_EQ(0, skel_export(self->skel, self->a[i].id,
					 O_RDWR | O_CLOEXEC, &self->dmabuf[i]))
			TH_LOG("buffer %d", i);
	}
}

FIXTURE_TEARDOWN(vivid)
{
	int i;

	for (i = 0; i < NBUF; i++) {
		if (self->map[i] != MAP_FAILED)
			munmap(self->map[i], self->a[i].size);
		if (self->dmabuf[i] >= 0)
			close(self->dmabuf[i]);
	}
	if (self->skel >= 0)
		close(self->skel);
	if (self->video >= 0)
		close(self->video);
}

/* Bytes @k of @len at @p that equal skel_pattern(@seed, k). */
static __u64 pattern_matches(const uint8_t *p, size_t len, __u32 seed)
{
	__u64 n = 0;
	size_t k;

	for (k = 0; k < len; k++)
		n += p[k] == skel_pattern(seed, k);
	return n;
}

TEST_F(vivid, capture_into_exported_buffers)
{
	struct v4l2_requestbuffers req = {
		.count = NBUF, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_DMABUF,
	};
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	size_t len = self->pix.sizeimage;
	struct v4l2_buffer b;
	struct pollfd pfd = { .fd = self->video, .events = POLLIN };
	struct dma_buf_sync sync;
	uint8_t *frame, *dm;
	long odd;
	int i;

	ASSERT_EQ(0, ioctl(self->video, VIDIOC_REQBUFS, &req))
		TH_LOG("VIDIOC_REQBUFS (DMABUF): %s", strerror(errno));
	ASSERT_EQ(NBUF, req.count);
	for (i = 0; i < NBUF; i++) {
		memset(&b, 0, sizeof(b));
		b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b.memory = V4L2_MEMORY_DMABUF;
		b.index = i;
		b.m.fd = self->dmabuf[i];
		b.length = self->a[i].size;
		ASSERT_EQ(0, ioctl(self->video, VIDIOC_QBUF, &b))
			TH_LOG("VIDIOC_QBUF of dma-buf %d: %s", i,
			       strerror(errno));
	}
	ASSERT_EQ(0, ioctl(self->video, VIDIOC_STREAMON, &type));
	ASSERT_EQ(1, poll(&pfd, 1, 30000)) TH_LOG("no frame in 30 s");
	memset(&b, 0, sizeof(b));
	b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b.memory = V4L2_MEMORY_DMABUF;
	ASSERT_EQ(0, ioctl(self->video, VIDIOC_DQBUF, &b))
		TH_LOG("VIDIOC_DQBUF: %s", strerror(errno));
	ASSERT_GT(NBUF, b.index);
	EXPECT_EQ(0, b.flags & V4L2_BUF_FLAG_ERROR);
	EXPECT_EQ(len, b.bytesused);
	i = (int)b.index;

	/* The CPU takes the buffer, as a program sharing it must. */
	sync.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ;
	ASSERT_EQ(0, ioctl(self->dmabuf[i], DMA_BUF_IOCTL_SYNC, &sync));
	frame = self->map[i];
	/* YUYV: a solid colour repeats one 4-byte group, and is not black. */
	for (odd = 4; odd < (long)len; odd++)
		if (frame[odd] != frame[odd % 4])
			break;
	EXPECT_EQ((long)len, odd) TH_LOG("byte %ld differs from its group", odd);
	EXPECT_NE(-1, not_byte(frame, len, 0));
	EXPECT_NE(-1, not_pattern(frame, len, 3));
	/* The dma-buf's own mapping shows the same frame. */
	dm = mmap(NULL, self->a[i].size, PROT_READ, MAP_SHARED,
		  self->dmabuf[i], 0);
	ASSERT_NE(MAP_FAILED, dm);
	EXPECT_EQ(0, memcmp(dm, frame, len));
	munmap(dm, self->a[i].size);
	/* And skel's device reads it: the same bytes match its pattern. */
	EXPECT_EQ((long long)pattern_matches(frame, len, 3),
		  dev_read(self->skel, frame, len, 3));
	sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ;
	EXPECT_EQ(0, ioctl(self->dmabuf[i], DMA_BUF_IOCTL_SYNC, &sync));

	EXPECT_EQ(0, ioctl(self->video, VIDIOC_STREAMOFF, &type));
	req.count = 0;
	EXPECT_EQ(0, ioctl(self->video, VIDIOC_REQBUFS, &req));
	/* vivid let go: closing the fds releases the dma-bufs. */
	for (i = 0; i < NBUF; i++) {
		EXPECT_EQ(0, close(self->dmabuf[i])) TH_LOG("dma-buf %d", i);
		self->dmabuf[i] = -1;
	}
	EXPECT_EQ(0, skel_stat("exports"));
}

TEST_HARNESS_MAIN
