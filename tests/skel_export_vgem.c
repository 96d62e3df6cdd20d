// SPDX-License-Identifier: GPL-2.0
/*
 * A /dev/skel dma-buf imported by a real DRM driver: vgem, the kernel's
 * virtual GEM device, through DRM PRIME (DRM_IOCTL_PRIME_FD_TO_HANDLE, as
 * a GPU or display driver would). vgem attaches its own device and maps
 * the buffer's pages for it (map_dma_buf) at import. DRM maps no imported
 * object through its own node (drm_gem_dumb_map_offset() refuses them):
 * user space maps the dma-buf, which DRM hands back for the handle
 * (DRM_IOCTL_PRIME_HANDLE_TO_FD). The bytes the device wrote are read
 * there, the bytes written there are read by the device, and vgem's handle
 * alone keeps the buffer alive.
 */
#include <dirent.h>
#include <drm.h>
#include <drm_mode.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel_module.h"
#include "kselftest_harness.h"
#include "skel_test.h"

/* The DRM node of driver @name, opened read-write, or -1. */
static int open_drm(const char *name)
{
	DIR *d = opendir("/dev/dri");
	struct dirent *e;
	int fd = -1;

	while (d && (e = readdir(d))) {
		char path[300], drv[32] = "";
		struct drm_version v = {
			.name = drv, .name_len = sizeof(drv) - 1,
		};

		if (strncmp(e->d_name, "card", 4) != 0)
			continue;
		snprintf(path, sizeof(path), "/dev/dri/%s", e->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd >= 0 && !ioctl(fd, DRM_IOCTL_VERSION, &v) &&
		    strcmp(drv, name) == 0)
			break;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	if (d)
		closedir(d);
	return fd;
}

FIXTURE(vgem) {
	int skel, drm;
	size_t size;
	struct skel_alloc a;
	uint8_t *map;
};

FIXTURE_SETUP(vgem)
{
	self->skel = self->drm = -1;
	self->map = MAP_FAILED;
	ASSERT_EQ(0, load_kernel_module("vgem", ""))
		TH_LOG("modprobe vgem failed: the test kernel ships it");
	self->drm = open_drm("vgem");
	ASSERT_LE(0, self->drm) TH_LOG("no /dev/dri/card* of vgem");
	self->skel = open(SKEL_NODE, O_RDWR);
	ASSERT_LE(0, self->skel) TH_LOG("open %s: %s", SKEL_NODE,
					strerror(errno));
	self->size = 5 * sysconf(_SC_PAGESIZE);
	ASSERT_EQ(0, skel_alloc(self->skel, self->size, 0, &self->a));
	self->map = skel_map(self->skel, self->size, self->a.offset);
	ASSERT_NE(MAP_FAILED, self->map) TH_LOG("mmap: %s", strerror(errno));
}

FIXTURE_TEARDOWN(vgem)
{
	if (self->map != MAP_FAILED)
		munmap(self->map, self->size);
	if (self->skel >= 0)
		close(self->skel);
	if (self->drm >= 0)
		close(self->drm);
}

/* Import @dmabuf into vgem: its GEM handle, or 0 with errno set. */
static __u32 import(int drm, int dmabuf)
{
	struct drm_prime_handle p = { .fd = dmabuf };

	return ioctl(drm, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p) ? 0 : p.handle;
}

/* The dma-buf of GEM object @handle, as DRM gives it back: fd or -1. */
static int gem_dmabuf(int drm, __u32 handle)
{
	struct drm_prime_handle p = {
		.handle = handle, .flags = DRM_CLOEXEC | DRM_RDWR,
	};

	return ioctl(drm, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p) ? -1 : p.fd;
}

/* Whether @a and @b are the same file (the same dma-buf). */
static int same_file(int a, int b)
{
	struct stat sa, sb;

	return !fstat(a, &sa) && !fstat(b, &sb) && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* Map @size bytes of dma-buf @fd, read-write. */
static void *map_dmabuf(int fd, size_t size)
{
	return mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
}

static int close_gem(int drm, __u32 handle)
{
	struct drm_gem_close c = { .handle = handle };

	return ioctl(drm, DRM_IOCTL_GEM_CLOSE, &c) ? errno : 0;
}

TEST_F(vgem, prime_import_shares_the_bytes)
{
	struct drm_mode_map_dumb m = { 0 };
	int dmabuf, back;
	uint8_t *gm;
	__u32 handle;

	ASSERT_EQ(0, dev_write(self->skel, self->map, self->size, 71));
	ASSERT_EQ(0, skel_export(self->skel, self->a.id, O_RDWR | O_CLOEXEC,
				 &dmabuf));
	handle = import(self->drm, dmabuf);
	ASSERT_NE(0, handle) TH_LOG("PRIME import: %s", strerror(errno));
	/* The same fd imported again is the same GEM object. */
	EXPECT_EQ(handle, import(self->drm, dmabuf));
	/* DRM's rule: an imported object is mapped through its dma-buf. */
	m.handle = handle;
	EXPECT_EQ(-1, ioctl(self->drm, DRM_IOCTL_MODE_MAP_DUMB, &m));
	EXPECT_EQ(EINVAL, errno);

	back = gem_dmabuf(self->drm, handle);
	ASSERT_LE(0, back) TH_LOG("PRIME export of the import: %s",
				  strerror(errno));
	EXPECT_TRUE(same_file(dmabuf, back));
	gm = map_dmabuf(back, self->size);
	ASSERT_NE(MAP_FAILED, gm) TH_LOG("mmap: %s", strerror(errno));
	/* What the device wrote, read through vgem's dma-buf. */
	EXPECT_EQ(-1, not_pattern(gm, self->size, 71));
	/* What is written there, read by the device. */
	put_pattern(gm, self->size, 72);
	EXPECT_EQ((long long)self->size,
		  dev_read(self->skel, self->map, self->size, 72));

	EXPECT_EQ(0, munmap(gm, self->size));
	EXPECT_EQ(0, close(back));
	EXPECT_EQ(0, close_gem(self->drm, handle));
	EXPECT_EQ(1, skel_stat("exports"));
	EXPECT_EQ(0, close(dmabuf));
	EXPECT_EQ(0, skel_stat("exports"));
	EXPECT_EQ(1, skel_stat("buffers"));
}

/* vgem's handle alone keeps the buffer: skel's file and fd are gone. */
TEST_F(vgem, import_outlives_skel)
{
	int dmabuf, back;
	uint8_t *gm;
	__u32 handle;

	ASSERT_EQ(0, dev_write(self->skel, self->map, self->size, 73));
	ASSERT_EQ(0, skel_export(self->skel, self->a.id, O_RDWR, &dmabuf));
	handle = import(self->drm, dmabuf);
	ASSERT_NE(0, handle) TH_LOG("PRIME import: %s", strerror(errno));
	ASSERT_EQ(0, close(dmabuf));
	ASSERT_EQ(0, skel_free(self->skel, self->a.id));
	ASSERT_EQ(0, munmap(self->map, self->size));
	self->map = MAP_FAILED;
	ASSERT_EQ(0, close(self->skel));
	self->skel = -1;
	EXPECT_EQ(1, skel_stat("buffers"));
	EXPECT_EQ(1, skel_stat("exports"));

	back = gem_dmabuf(self->drm, handle);
	ASSERT_LE(0, back) TH_LOG("PRIME export of the import: %s",
				  strerror(errno));
	gm = map_dmabuf(back, self->size);
	ASSERT_NE(MAP_FAILED, gm) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(-1, not_pattern(gm, self->size, 73));
	EXPECT_EQ(0, munmap(gm, self->size));
	EXPECT_EQ(0, close(back));

	EXPECT_EQ(0, close_gem(self->drm, handle));
	EXPECT_EQ(0, skel_stat("exports"));
	EXPECT_EQ(0, skel_stat("buffers"));
	EXPECT_EQ(0, skel_stat("bytes"));
}

TEST_HARNESS_MAIN
