// SPDX-License-Identifier: GPL-2.0
/*
 * The count of live mappings of a scull device stays exact under fork,
 * split (partial munmap, partial mprotect), mremap move and process exit:
 * /proc/<name>mem shows the number of VMAs that really map the device
 * (counted in /proc/self/maps), and every VMA open and close prints one
 * kernel log line "<dev>: VMA open, vmas N" / "<dev>: VMA close, vmas N"
 * whose N follows +1 / -1 and ends at the /proc count.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "probe.h"
#include "module_param.h"

FIXTURE(vmas) {
	int fd, kmsg;
	long page;
	int logged;	/* last N seen in the log */
};

FIXTURE_VARIANT(vmas) {
	const char *node, *name, *proc;
};

FIXTURE_VARIANT_ADD(vmas, scullp) {
	.node = "/dev/scullp0", .name = "scullp0", .proc = "/proc/scullpmem",
};

FIXTURE_VARIANT_ADD(vmas, scullv) {
	.node = "/dev/scullv0", .name = "scullv0", .proc = "/proc/scullvmem",
};

FIXTURE_SETUP(vmas)
{
	char buf[8192];
	long i;

	self->page = sysconf(_SC_PAGESIZE);
	/* Every line counts here: no rate limit. */
	ASSERT_EQ(0, set_module_param("scull_core", "vma_log_limit", "N",
				      NULL, 0));
	self->fd = open(variant->node, O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", variant->node,
				      strerror(errno));
	/* The tests map 4 pages: fill them, at any page size. */
	memset(buf, 'v', sizeof(buf));
	for (i = 0; i < 4 * self->page; i += (long)sizeof(buf))
		ASSERT_EQ((ssize_t)sizeof(buf),
			  pwrite(self->fd, buf, sizeof(buf), i));
	self->kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, self->kmsg) TH_LOG("/dev/kmsg: %s", strerror(errno));
	ASSERT_LE(0, lseek(self->kmsg, 0, SEEK_END));
	self->logged = 0;
}

FIXTURE_TEARDOWN(vmas)
{
	close(self->kmsg);
	close(self->fd);
	set_module_param("scull_core", "vma_log_limit", "Y", NULL, 0);
}

static int proc_vmas(const char *proc, const char *name)
{
	char line[256], want[64];
	FILE *f = fopen(proc, "r");
	int vmas = -1;

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "%s: ", name);
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "vmas ");

		if (!strncmp(line, want, strlen(want)) && p)
			vmas = (int)strtol(p + 5, NULL, 10);
	}
	fclose(f);
	return vmas;
}

/*
 * Read the new log lines of the device; check each N is the previous one
 * plus one (open) or minus one (close). Return the number of lines, or -1
 * on a line out of sequence.
 */
static int log_lines(struct __test_metadata *_metadata, int kmsg,
		     const char *name, int *logged)
{
	char rec[1024], want_open[64], want_close[64], *msg, *p;
	int lines = 0, n;

	snprintf(want_open, sizeof(want_open), "%s: VMA open, vmas ", name);
	snprintf(want_close, sizeof(want_close), "%s: VMA close, vmas ", name);
	for (;;) {
		ssize_t len = read(kmsg, rec, sizeof(rec) - 1);
		if (len < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (len <= 0)
			break;
		rec[len] = '\0';
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		p = strchr(msg, '\n');
		if (p)
			*p = '\0';
		if (!strncmp(msg, want_open, strlen(want_open))) {
			n = (int)strtol(msg + strlen(want_open), NULL, 10);
			EXPECT_EQ(*logged + 1, n) TH_LOG("%s", msg);
			if (n != *logged + 1)
				return -1;
		} else if (!strncmp(msg, want_close, strlen(want_close))) {
			n = (int)strtol(msg + strlen(want_close), NULL, 10);
			EXPECT_EQ(*logged - 1, n) TH_LOG("%s", msg);
			if (n != *logged - 1)
				return -1;
		} else {
			continue;
		}
		/* "exactly": nothing after the number. */
		p = strrchr(msg, ' ');
		EXPECT_EQ((size_t)(p + 1 - msg) + strspn(p + 1, "0123456789"),
			  strlen(msg)) TH_LOG("%s", msg);
		*logged = n;
		lines++;
	}
	return lines;
}

/* The three views agree: /proc, /proc/self/maps, the log. */
#define CHECK_COUNT(expect, expect_lines) do {				\
	int _l = log_lines(_metadata, self->kmsg, variant->name,	\
			   &self->logged);				\
	EXPECT_EQ(expect, proc_vmas(variant->proc, variant->name));	\
	EXPECT_EQ(expect, maps_vmas(variant->node));			\
	EXPECT_EQ(expect, self->logged);				\
	EXPECT_EQ(expect_lines, _l);					\
} while (0)

/* The same, when the number of log lines depends on the kernel. */
#define CHECK_COUNT_ANY(expect) do {					\
	log_lines(_metadata, self->kmsg, variant->name, &self->logged);	\
	EXPECT_EQ(expect, proc_vmas(variant->proc, variant->name));	\
	EXPECT_EQ(expect, maps_vmas(variant->node));			\
	EXPECT_EQ(expect, self->logged);				\
} while (0)

TEST_F(vmas, mmap_fork_exit_munmap)
{
	long p = self->page;
	char *map;
	int status;
	pid_t pid;

	CHECK_COUNT(0, 0);
	map = mmap(NULL, 4 * p, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	CHECK_COUNT(1, 1);
	EXPECT_EQ('v', map[p]);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Exit without munmap: the exit closes the VMA. */
		_exit(map[3 * p] == 'v' &&
		      proc_vmas(variant->proc, variant->name) == 2 ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	CHECK_COUNT(1, 2);

	ASSERT_EQ(0, munmap(map, 4 * p));
	CHECK_COUNT(0, 1);
}

TEST_F(vmas, partial_munmap_splits)
{
	long p = self->page;
	char *map;

	map = mmap(NULL, 4 * p, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	CHECK_COUNT(1, 1);
	/* A hole in the middle: two VMAs left (two opens, one close). */
	ASSERT_EQ(0, munmap(map + p, p));
	CHECK_COUNT(2, 3);
	EXPECT_EQ('v', map[0]);
	EXPECT_EQ('v', map[2 * p]);
	/* Trim the head of the second: still two. */
	ASSERT_EQ(0, munmap(map + 2 * p, p));
	CHECK_COUNT(2, 2);
	ASSERT_EQ(0, munmap(map, 4 * p));
	CHECK_COUNT(0, 2);
}

TEST_F(vmas, mprotect_split_and_no_merge)
{
	long p = self->page;
	char *map;

	map = mmap(NULL, 4 * p, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, mprotect(map + p, p, PROT_READ));
	CHECK_COUNT(3, 3);
	map[0] = 'w';
	EXPECT_EQ('v', map[p]);
	/*
	 * Back to the same protection: whether the kernel merges the VMAs
	 * again depends on its version; the count follows what maps shows.
	 */
	ASSERT_EQ(0, mprotect(map + p, p, PROT_READ | PROT_WRITE));
	CHECK_COUNT_ANY(maps_vmas(variant->node));
	ASSERT_EQ(0, munmap(map, 4 * p));
	CHECK_COUNT_ANY(0);
}

TEST_F(vmas, mremap_move_and_shrink)
{
	long p = self->page;
	char *map, *dst, *moved;

	map = mmap(NULL, 4 * p, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	map[0] = 'm';
	CHECK_COUNT(1, 1);
	/* Reserve a destination, then move there. */
	dst = mmap(NULL, 4 * p, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		   0);
	ASSERT_NE(MAP_FAILED, dst);
	moved = mremap(map, 4 * p, 4 * p, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ASSERT_EQ(dst, moved) TH_LOG("mremap: %s", strerror(errno));
	/* open on the new VMA, close on the old one */
	CHECK_COUNT(1, 2);
	EXPECT_EQ('m', moved[0]);
	/* Shrinking in place is a split plus an unmap. */
	moved = mremap(moved, 4 * p, 2 * p, 0);
	ASSERT_EQ(dst, moved);
	CHECK_COUNT_ANY(1);
	EXPECT_EQ('m', moved[0]);
	ASSERT_EQ(0, munmap(moved, 2 * p));
	CHECK_COUNT_ANY(0);
}

TEST_F(vmas, many_processes_balance)
{
	long p = self->page;
	pid_t pids[8];
	int i, status;
	char *map;

	map = mmap(NULL, 2 * p, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	for (i = 0; i < 8; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]) TH_LOG("fork: %s", strerror(errno));
		if (pids[i] == 0) {
			/* Each child splits its copy, then exits. */
			munmap(map + p, p);
			_exit(map[0] == 'v' ? 0 : 1);
		}
	}
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0))
			TH_LOG("waitpid: %s", strerror(errno));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("child %d failed", i);
	}
	/* mmap; per child: fork (open), split (open, close), exit (close) */
	CHECK_COUNT(1, 1 + 8 * 4);
	ASSERT_EQ(0, munmap(map, 2 * p));
	CHECK_COUNT(0, 1);
}

TEST_HARNESS_MAIN
