/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hostile mmap(), mremap(), madvise(), read() and write() arguments, the
 * same for every device: tests/simple_hostile.c and tests/scull_hostile.c
 * include this after <kselftest_harness.h> and add the variants (one per
 * node) and the tests of their own. Each test checks the errno or signal a
 * user gets and that the device's live VMA count comes back to zero; the
 * kernel log is checked by tests/vm. The README's "Hostile input" table
 * lists these tests.
 */
#ifndef HOSTILE_H
#define HOSTILE_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe.h"

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

FIXTURE(hostile) {
	int fd;
	long page;
	size_t len;	/* bytes of data written at offset 0 */
};

/*
 * @node: the device; @name: its line in /proc/@proc (scull) or its
 * /sys/class/simple directory (simple); @module: the module it belongs to
 * @scull: a scull device: it grows by write(), so mmap() takes any offset
 *	and length and an access past the end raises SIGBUS
 * @pfnmap: /dev/simpler: VM_PFNMAP, mapped whole at mmap() time
 */
FIXTURE_VARIANT(hostile) {
	const char *node, *name, *proc, *module;
	bool scull, pfnmap;
};

/* Live VMAs of the device: /proc/<drv>mem for scull, sysfs for simple. */
static int live_vmas(const struct _fixture_variant_hostile *v)
{
	char path[128], line[256], want[48];
	FILE *f;
	int n = -1;

	if (v->scull)
		snprintf(path, sizeof(path), "/proc/%s", v->proc);
	else
		snprintf(path, sizeof(path),
			 "/sys/class/simple/%s/mappings", v->name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	snprintf(want, sizeof(want), "%s: ", v->name);
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "vmas ");

		if (!v->scull)
			n = (int)strtol(line, NULL, 10);
		else if (!strncmp(line, want, strlen(want)) && p)
			n = (int)strtol(p + 5, NULL, 10);
	}
	fclose(f);
	return n;
}

FIXTURE_SETUP(hostile)
{
	char buf[4096];
	size_t i;

	self->page = sysconf(_SC_PAGESIZE);
	self->len = 4 * self->page;
	if (variant->scull)	/* empty it first */
		close(open(variant->node, O_WRONLY));
	self->fd = open(variant->node, O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", variant->node,
				      strerror(errno));
	/* Page n holds 'a' + n (hostile_byte()), at any page size. */
	for (i = 0; i < self->len; i += sizeof(buf)) {
		memset(buf, 'a' + (int)(i / self->page), sizeof(buf));
		ASSERT_EQ((ssize_t)sizeof(buf),
			  pwrite(self->fd, buf, sizeof(buf), i));
	}
	ASSERT_EQ(0, live_vmas(variant));
}

FIXTURE_TEARDOWN(hostile)
{
	EXPECT_EQ(0, live_vmas(variant)) TH_LOG("a VMA of %s is left",
						variant->node);
	close(self->fd);
}

/* Byte @i of the data the setup wrote. */
static char hostile_byte(const struct _test_data_hostile *self, size_t i)
{
	return (char)('a' + i / self->page);
}

/* mmap() that must fail with @err; unmaps if it did not. */
static int hostile_mmap_errno(int fd, size_t len, int prot, int flags,
			      off_t off)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	if (p != MAP_FAILED) {
		munmap(p, len);
		return 0;
	}
	return errno;
}

TEST_F(hostile, offset_past_the_end)
{
	off_t off = (off_t)1 << 40;
	char *p;

	if (!variant->scull) {
		EXPECT_EQ(EINVAL, hostile_mmap_errno(self->fd, self->page,
						     PROT_READ, MAP_SHARED,
						     off));
		return;
	}
	/* A scull device may grow later: the mapping is made... */
	p = mmap(NULL, self->page, PROT_READ, MAP_SHARED, self->fd, off);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	/* ...but nothing is there to touch. */
	EXPECT_EQ(SIGBUS, touch_in_child(p, false));
	munmap(p, self->page);
}

TEST_F(hostile, offset_plus_length_overflows)
{
	/* 2^64 - 2 pages + 3 pages wraps around: the kernel refuses it. */
	EXPECT_EQ(EOVERFLOW, hostile_mmap_errno(self->fd, 3 * self->page,
						PROT_READ, MAP_SHARED,
						-2 * (off_t)self->page));
}

TEST_F(hostile, length_zero)
{
	EXPECT_EQ(EINVAL, hostile_mmap_errno(self->fd, 0, PROT_READ,
					     MAP_SHARED, 0));
	/* read() and write() of nothing do nothing. */
	EXPECT_EQ(0, pwrite(self->fd, "", 0, 0));
	EXPECT_EQ(0, pread(self->fd, NULL, 0, 0));
}

TEST_F(hostile, unaligned_offset)
{
	char buf[10];

	EXPECT_EQ(EINVAL, hostile_mmap_errno(self->fd, self->page, PROT_READ,
					     MAP_SHARED, 1));
	EXPECT_EQ(EINVAL, hostile_mmap_errno(self->fd, self->page, PROT_READ,
					     MAP_SHARED, self->page + 17));
	/* read() and write() take any offset, across a page boundary too. */
	ASSERT_EQ(10, pread(self->fd, buf, 10, self->page - 5));
	EXPECT_EQ(hostile_byte(self, self->page - 5), buf[4]);
	EXPECT_EQ(hostile_byte(self, self->page), buf[5]);
	ASSERT_EQ(3, pwrite(self->fd, "xyz", 3, 2 * self->page - 1));
	ASSERT_EQ(3, pread(self->fd, buf, 3, 2 * self->page - 1));
	EXPECT_EQ(0, memcmp(buf, "xyz", 3));
}

TEST_F(hostile, huge_length)
{
	size_t huge = (size_t)1 << 46;	/* 64 TiB: fits a 47-bit space */
	char *p;

	/* More than the address space: ENOMEM from the kernel. */
	EXPECT_EQ(ENOMEM, hostile_mmap_errno(self->fd, (size_t)1 << 50,
					     PROT_READ, MAP_SHARED, 0));
	EXPECT_EQ(ENOMEM, hostile_mmap_errno(self->fd,
					     SIZE_MAX & ~(size_t)(self->page - 1),
					     PROT_READ, MAP_SHARED, 0));
	if (!variant->scull) {
		EXPECT_EQ(EINVAL, hostile_mmap_errno(self->fd, huge, PROT_READ,
						     MAP_SHARED, 0));
		return;
	}
	/* No memory is used until a fault: the data, then SIGBUS. */
	p = mmap(NULL, huge, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(hostile_byte(self, 5), p[5]);
	EXPECT_EQ(SIGBUS, touch_in_child(p + huge / 2, false));
	EXPECT_EQ(SIGBUS, touch_in_child(p + huge - 1, false));
	munmap(p, huge);
}

TEST_F(hostile, map_private_write)
{
	char *p, c;

	p = mmap(NULL, self->page, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		 self->fd, 0);
	if (variant->pfnmap) {
		/* A VM_PFNMAP mapping cannot copy on write. */
		EXPECT_EQ(MAP_FAILED, p);
		EXPECT_EQ(EINVAL, errno);
		return;
	}
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	p[1] = 'P';
	EXPECT_EQ('P', p[1]);
	ASSERT_EQ(1, pread(self->fd, &c, 1, 1));
	EXPECT_EQ(hostile_byte(self, 1), c) TH_LOG("a private write reached the device");
	munmap(p, self->page);
}

TEST_F(hostile, prot_exec)
{
	/* As /dev/mem: allowed unless /dev is mounted noexec. */
	char *p = mmap(NULL, self->page, PROT_READ | PROT_EXEC, MAP_SHARED,
		       self->fd, 0);

	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(hostile_byte(self, 0), p[0]);
	EXPECT_EQ(0, mprotect(p, self->page, PROT_READ));
	munmap(p, self->page);
}

TEST_F(hostile, map_fixed_over_a_mapping)
{
	long pg = self->page;
	char *p, *q;

	p = mmap(NULL, 4 * pg, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	/* Page 1 of the mapping replaced by device page 3. */
	q = mmap(p + pg, pg, PROT_READ, MAP_SHARED | MAP_FIXED, self->fd,
		 3 * pg);
	ASSERT_EQ(p + pg, q) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(hostile_byte(self, 0), p[0]);
	EXPECT_EQ(hostile_byte(self, 3 * pg), p[pg]);
	EXPECT_EQ(hostile_byte(self, 2 * pg), p[2 * pg]);
	/* Old VMA split around the hole (2), the new one (1). */
	EXPECT_EQ(3, live_vmas(variant));
	/* MAP_FIXED over the whole range again: one VMA. */
	q = mmap(p, 4 * pg, PROT_READ, MAP_SHARED | MAP_FIXED, self->fd, 0);
	ASSERT_EQ(p, q);
	EXPECT_EQ(1, live_vmas(variant));
	EXPECT_EQ(hostile_byte(self, pg), p[pg]);
	munmap(p, 4 * pg);
}

TEST_F(hostile, mremap_growth)
{
	long pg = self->page;
	char *p, *g;

	p = mmap(NULL, pg, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	g = mremap(p, pg, 8 * pg, MREMAP_MAYMOVE);
	if (variant->pfnmap) {
		/* VM_DONTEXPAND: the book's zero page cannot happen. */
		EXPECT_EQ(MAP_FAILED, g);
		EXPECT_EQ(EFAULT, errno);
		munmap(p, pg);
		return;
	}
	ASSERT_NE(MAP_FAILED, g) TH_LOG("mremap: %s", strerror(errno));
	EXPECT_EQ(hostile_byte(self, 3 * pg), g[3 * pg]);
	/* Past the data (scull) or the 1 MiB buffer: SIGBUS. */
	if (variant->scull)
		EXPECT_EQ(SIGBUS, touch_in_child(g + 4 * pg, false));
	munmap(g, 8 * pg);
}

TEST_F(hostile, mremap_dontunmap)
{
	long pg = self->page;
	char *p, *q;

	p = mmap(NULL, 2 * pg, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	/* The new address is a hint here, but checked: pass one. */
	q = mremap(p, 2 * pg, 2 * pg, MREMAP_MAYMOVE | MREMAP_DONTUNMAP,
		   NULL);
	if (variant->pfnmap || !kernel_at_least(5, 13)) {
		/* VM_PFNMAP; before 5.13 anonymous memory only. */
		EXPECT_EQ(MAP_FAILED, q);
		EXPECT_EQ(EINVAL, errno);
		munmap(p, 2 * pg);
		return;
	}
	ASSERT_NE(MAP_FAILED, q) TH_LOG("mremap: %s", strerror(errno));
	/* Both ranges map the device: the old one refaults. */
	EXPECT_EQ(2, live_vmas(variant));
	EXPECT_EQ(hostile_byte(self, pg), q[pg]);
	EXPECT_EQ(hostile_byte(self, pg), p[pg]);
	munmap(q, 2 * pg);
	munmap(p, 2 * pg);
}

TEST_F(hostile, madvise_variants)
{
	static const struct { int advice; const char *name; } advices[] = {
		{ MADV_NORMAL, "NORMAL" }, { MADV_RANDOM, "RANDOM" },
		{ MADV_SEQUENTIAL, "SEQUENTIAL" }, { MADV_WILLNEED, "WILLNEED" },
		{ MADV_DONTNEED, "DONTNEED" }, { MADV_FREE, "FREE" },
		{ MADV_REMOVE, "REMOVE" }, { MADV_DONTFORK, "DONTFORK" },
		{ MADV_DOFORK, "DOFORK" }, { MADV_MERGEABLE, "MERGEABLE" },
		{ MADV_UNMERGEABLE, "UNMERGEABLE" }, { MADV_HUGEPAGE, "HUGEPAGE" },
		{ MADV_NOHUGEPAGE, "NOHUGEPAGE" }, { MADV_DONTDUMP, "DONTDUMP" },
		{ MADV_DODUMP, "DODUMP" }, { MADV_WIPEONFORK, "WIPEONFORK" },
		{ MADV_KEEPONFORK, "KEEPONFORK" }, { MADV_COLD, "COLD" },
		{ MADV_PAGEOUT, "PAGEOUT" },
		{ MADV_POPULATE_READ, "POPULATE_READ" }, { 12345, "12345" },
	};
	long pg = self->page;
	size_t i, j;
	char *p;

	p = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
		 0);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < ARRAY_SIZE(advices); i++) {
		int advice = advices[i].advice, ret;

		errno = 0;
		ret = madvise(p, 4 * pg, advice);
		TH_LOG("MADV_%s: %s", advices[i].name,
		       ret ? strerror(errno) : "ok");
		/* Never anything but success or a refusal... */
		EXPECT_TRUE(!ret || errno == EINVAL || errno == ENODEV)
			TH_LOG("MADV_%s: %s", advices[i].name, strerror(errno));
		/* ...and the device data is intact afterwards. */
		for (j = 0; j < 4; j++)
			EXPECT_EQ(hostile_byte(self, j * pg), p[j * pg])
				TH_LOG("after MADV_%s", advices[i].name);
		if (advice == MADV_DONTNEED)	/* VM_PFNMAP refuses */
			EXPECT_EQ(variant->pfnmap ? -1 : 0, ret);
		if (advice == MADV_REMOVE)	/* no hole punching */
			EXPECT_EQ(ENODEV, errno);
		if (advice == MADV_FREE || advice == MADV_WIPEONFORK ||
		    advice == 12345)		/* anonymous memory only */
			EXPECT_EQ(EINVAL, errno);
	}
	EXPECT_EQ(1, live_vmas(variant));
	munmap(p, 4 * pg);
}

TEST_F(hostile, read_write_bad_buffers_and_offsets)
{
	long pg = self->page;
	char buf[64], *ro, *hole;
	ssize_t n;

	/* Bad pointers (raw syscalls: the C library's checks would object). */
	EXPECT_EQ(-1, syscall(SYS_pwrite64, self->fd, NULL, 16, 0));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, syscall(SYS_pread64, self->fd, 8, 16, 0));
	EXPECT_EQ(EFAULT, errno);
	/* A read-only destination: EFAULT, nothing changed. */
	ro = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(-1, pread(self->fd, ro, 16, 0));
	EXPECT_EQ(EFAULT, errno);
	munmap(ro, pg);
	/* Negative offsets: the kernel refuses them. */
	EXPECT_EQ(-1, pread(self->fd, buf, 16, -1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, lseek(self->fd, -1, SEEK_SET));
	EXPECT_EQ(EINVAL, errno);
	/* Past the end: end of file; writing there grows scull only. */
	EXPECT_EQ(0, pread(self->fd, buf, 16, (off_t)1 << 40));
	if (variant->scull) {
		EXPECT_EQ(1, pwrite(self->fd, "z", 1, (off_t)1 << 30));
		EXPECT_EQ(((off_t)1 << 30) + 1, lseek(self->fd, 0, SEEK_END));
	} else {
		EXPECT_EQ(-1, pwrite(self->fd, "z", 1, (off_t)1 << 40));
		EXPECT_EQ(ENOSPC, errno);
	}

	/*
	 * A write from a buffer whose tail is unmapped returns the bytes it
	 * took from before the hole and leaves the device bytes after those
	 * alone (copy_from_user() would have zeroed up to a page or a
	 * quantum). All 100 on x86; arm64's copy_from_user() may stop some
	 * bytes short of the fault, which its contract allows.
	 */
	hole = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_EQ(0, munmap(hole + pg, pg));
	memset(hole + pg - 100, 'S', 100);
	n = pwrite(self->fd, hole + pg - 100, pg, 1000);
	ASSERT_LT(0, n) TH_LOG("pwrite: %s", strerror(errno));
	ASSERT_GE(100, n);
	ASSERT_EQ((ssize_t)sizeof(buf), pread(self->fd, buf, sizeof(buf),
					      1000 + n - 10));
	EXPECT_EQ('S', buf[9]);
	EXPECT_EQ(hostile_byte(self, 1000 + n), buf[10])
		TH_LOG("a short write() of %zd bytes changed the bytes after it", n);
	EXPECT_EQ(hostile_byte(self, 1000 + n + 53), buf[63]);
	munmap(hole, pg);
}

/* open() @node in a child running as nobody (65534): 0 or its errno. */
static int as_nobody_open(const char *node, int flags)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(100);
		_exit(open(node, flags) < 0 ? errno : 0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST_F(hostile, open_without_permission)
{
	/* Nodes are 0600 root: anyone else gets EACCES, even to read. */
	EXPECT_EQ(EACCES, as_nobody_open(variant->node, O_RDONLY));
	EXPECT_EQ(EACCES, as_nobody_open(variant->node, O_RDWR));
}

/*
 * rmmod while a descriptor is open (no mapping: modules_mapped covers
 * that): delete_module() fails with EWOULDBLOCK, rmmod's "in use"; it
 * succeeds once the descriptor is closed. The module is loaded again
 * for the next test.
 */
static void rmmod_while_open(struct __test_metadata *_metadata,
			     struct _test_data_hostile *self, const char *module,
			     const char *node)
{
	char cmd[256];

	EXPECT_EQ(-1, syscall(SYS_delete_module, module, O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno) TH_LOG("%s", strerror(errno));
	close(self->fd);
	EXPECT_EQ(0, syscall(SYS_delete_module, module, O_NONBLOCK))
		TH_LOG("rmmod %s after close: %s", module, strerror(errno));
	snprintf(cmd, sizeof(cmd), "insmod \"$LDD3_ROOT/%s.ko\"", module);
	ASSERT_EQ(0, system(cmd));
	self->fd = open(node, O_RDWR);
	ASSERT_LE(0, self->fd);
}

#endif /* HOSTILE_H */
