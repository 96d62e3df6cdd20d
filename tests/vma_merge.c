// SPDX-License-Identifier: GPL-2.0
/*
 * Since 6.6 a VMA with a close method can be expanded by a merge without
 * ->mmap or ->open for the added range: an mmap of the next offsets right
 * after it, or an mremap move next to it. Mappings without VM_SPECIAL
 * flags merge that way (/dev/simplen and the scull devices with
 * fault_around=0; /dev/simpler and /dev/skel are VM_PFNMAP and never
 * merge). For each: the driver's count stays the number of VMAs that map
 * it (one after a merge, two before 6.6), the merged range reads the right
 * bytes, and a merge that would reach past the end of the device maps
 * nothing there: the fault gets SIGBUS and a debugger's read fails, as
 * ->mmap would have refused the range.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "probe.h"
#include "scull_test.h"
#include "simple_test.h"

FIXTURE(merge) {
	int fd;
	long page;
	unsigned long pages;	/* of the device */
	char old_param[8];
	char *base;		/* 2 pages reserved */
};

FIXTURE_VARIANT(merge) {
	const char *node, *name, *param;
	bool scull;
};

FIXTURE_VARIANT_ADD(merge, simplen) {
	.node = "/dev/simplen", .name = "simplen",
	.param = "/sys/module/simple/parameters/fault_around",
};

FIXTURE_VARIANT_ADD(merge, scullp) {
	.node = "/dev/scullp0", .name = "scullp0", .scull = true,
	.param = "/sys/module/scull_core/parameters/fault_around",
};

static void set_param(const char *path, const char *v, char *old, size_t n)
{
	FILE *f = fopen(path, "r+");

	if (!f)
		return;
	if (old && !fgets(old, (int)n, f))
		old[0] = '\0';
	rewind(f);
	fputs(v, f);
	fclose(f);
}

/* The driver's count of VMAs mapping the node. */
static int driver_count(const FIXTURE_VARIANT(merge) *variant)
{
	char line[256], fmt[64];
	int vmas = -1;
	FILE *f;

	if (!variant->scull)
		return simple_mappings(variant->name);
	f = fopen("/proc/scullpmem", "r");
	if (!f)
		return -1;
	snprintf(fmt, sizeof(fmt), "%s: %%*[^v]vmas %%d", variant->name);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, fmt, &vmas) == 1)
			break;
	fclose(f);
	return vmas;
}

FIXTURE_SETUP(merge)
{
	unsigned long i;
	char *buf;

	self->page = sysconf(_SC_PAGESIZE);
	/* Without fault-around the VMA is not VM_MIXEDMAP, so it can merge. */
	set_param(variant->param, "0", self->old_param,
		  sizeof(self->old_param));
	if (variant->scull) {
		self->fd = open_empty(variant->node);
		self->pages = 8;
	} else {
		self->fd = open(variant->node, O_RDWR);
		self->pages = simple_param("size") / self->page;
	}
	ASSERT_LE(0, self->fd);
	buf = malloc(self->page);
	ASSERT_NE(NULL, buf);
	for (i = 0; i < self->pages; i++) {
		memset(buf, 'a' + (int)(i % 26), self->page);
		ASSERT_EQ(self->page, pwrite(self->fd, buf, self->page,
					     i * self->page));
	}
	free(buf);
	self->base = mmap(NULL, 2 * self->page, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->base);
}

FIXTURE_TEARDOWN(merge)
{
	munmap(self->base, 2 * self->page);
	close(self->fd);
	set_param(variant->param, self->old_param, NULL, 0);
}

/* Map page @pgoff of the device at @addr, fixed. */
static void *map_at(FIXTURE_DATA(merge) *self, char *addr, unsigned long pgoff)
{
	return mmap(addr, self->page, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_FIXED, self->fd, (off_t)pgoff * self->page);
}

TEST_F(merge, adjacent_mappings_are_counted_as_the_vmas_they_make)
{
	ASSERT_EQ(self->base, map_at(self, self->base, 2));
	ASSERT_EQ(self->base + self->page,
		  map_at(self, self->base + self->page, 3));
	TH_LOG("%d VMA(s) for two adjacent mmaps", maps_vmas(variant->node));
	EXPECT_EQ(maps_vmas(variant->node), driver_count(variant));
	EXPECT_EQ('c', self->base[0]);
	EXPECT_EQ('d', self->base[self->page]);
	ASSERT_EQ(0, munmap(self->base, 2 * self->page));
	EXPECT_EQ(0, driver_count(variant));
	self->base = mmap(NULL, 2 * self->page, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

TEST_F(merge, a_merge_past_the_end_maps_nothing_there)
{
	char *past = self->base + self->page, byte;

	ASSERT_EQ(self->base, map_at(self, self->base, self->pages - 1));
	/* Before 6.6 ->mmap refuses this range; since, a merge takes it. */
	if (map_at(self, past, self->pages) == MAP_FAILED) {
		EXPECT_EQ(EINVAL, errno)
			TH_LOG("not merged, refused with %s", strerror(errno));
	} else {
		TH_LOG("merged into %d VMA(s)", maps_vmas(variant->node));
		EXPECT_EQ(SIGBUS, touch_in_child(past, false))
			TH_LOG("a page past the end was mapped");
		int mem = open("/proc/self/mem", O_RDONLY);

		ASSERT_LE(0, mem) TH_LOG("/proc/self/mem: %s", strerror(errno));
		EXPECT_EQ(-1, pread(mem, &byte, 1, (off_t)(uintptr_t)past))
			TH_LOG("a debugger read a byte past the end");
		close(mem);
	}
	EXPECT_EQ('a' + (int)((self->pages - 1) % 26), self->base[0]);
	EXPECT_EQ(maps_vmas(variant->node), driver_count(variant));
}

TEST_F(merge, an_mremap_move_next_to_a_mapping_is_counted)
{
	char *far;

	ASSERT_EQ(self->base, map_at(self, self->base, 4));
	far = mmap(NULL, self->page, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->fd, 5 * self->page);
	ASSERT_NE(MAP_FAILED, far);
	EXPECT_EQ(2, driver_count(variant));
	ASSERT_EQ(self->base + self->page,
		  mremap(far, self->page, self->page,
			 MREMAP_MAYMOVE | MREMAP_FIXED, self->base + self->page));
	TH_LOG("%d VMA(s) after the move", maps_vmas(variant->node));
	EXPECT_EQ(maps_vmas(variant->node), driver_count(variant));
	EXPECT_EQ('e', self->base[0]);
	EXPECT_EQ('f', self->base[self->page]);
	ASSERT_EQ(0, munmap(self->base, 2 * self->page));
	EXPECT_EQ(0, driver_count(variant));
	self->base = mmap(NULL, 2 * self->page, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

TEST_HARNESS_MAIN
