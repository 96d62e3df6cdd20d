// SPDX-License-Identifier: GPL-2.0
/*
 * What a scull writer allocates is charged to its memory cgroup and fails
 * with ENOMEM there instead of invoking the OOM killer. A writer in a
 * cgroup v2 group with memory.max = 64 MiB gets ENOMEM before 128 MiB
 * land in the device; the group's memory.current holds the device's
 * memory while the device holds it (the writer has exited by then) and
 * drops when the device is emptied; memory.events counts no OOM kill.
 *
 * The writer is this program, not dd: once the group is full of the
 * device's memory, any allocation of a process in it (dd's error message
 * loads its translations) may be the one that OOM-kills it. This writer
 * locks its memory first and reports by its exit status only.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "memcg.h"
#include "scull_test.h"

#define MIB	(1L << 20)

/* The value after @key in @dir/@name ("key value" lines, or one number). */
static long long get(const char *dir, const char *name, const char *key)
{
	char path[256], line[256], *end;
	size_t len = key ? strlen(key) : 0;
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (key && (strncmp(line, key, len) != 0 || line[len] != ' '))
			continue;
		v = strtoll(line + len, &end, 10);
		if (end == line + len)
			v = -1;
		break;
	}
	fclose(f);
	return v;
}

/* Bytes of data @name ("scullp0") holds, from /proc/scullpmem. */
static long long dev_size(const char *proc, const char *name)
{
	char line[256], want[40];
	long long size = -1;
	FILE *f = fopen(proc, "r");

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "%s: size %%lld,", name);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, want, &size) == 1)
			break;
	fclose(f);
	return size;
}

FIXTURE(memcg) {
	char dir[128];
	int fd;
};

FIXTURE_VARIANT(memcg) {
	const char *node, *name, *proc;
};

FIXTURE_VARIANT_ADD(memcg, scullp) {
	.node = "/dev/scullp0", .name = "scullp0", .proc = "/proc/scullpmem",
};

FIXTURE_VARIANT_ADD(memcg, scullv) {
	.node = "/dev/scullv0", .name = "scullv0", .proc = "/proc/scullvmem",
};

FIXTURE_SETUP(memcg)
{
	int ret;

	self->fd = -1;
	snprintf(self->dir, sizeof(self->dir), CG_ROOT "/ldd3-memcg-%d",
		 getpid());
	ret = memcg_make(self->dir, 64 * MIB);
	if (ret == 1) {
		self->dir[0] = '\0';
		SKIP(return, "this kernel has no memory cgroup controller");
	}
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", self->dir, strerror(errno));
	self->fd = open_empty(variant->node);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(memcg)
{
	if (self->fd >= 0)
		close(self->fd);
	close(open(variant->node, O_WRONLY));
	if (self->dir[0])
		rmdir(self->dir);
}

/* What the writer did, in memory the parent faulted in before the fork. */
struct outcome {
	long long written;
	int err;
};

/* The writer: in the group, write 1 MiB at a time up to 128 MiB. */
static void writer(const char *dir, int fd, struct outcome *out)
{
	static char buf[MIB];

	memset(buf, 'm', sizeof(buf));
	if (mlockall(MCL_CURRENT))
		_exit(100);
	if (memcg_join(dir))
		_exit(101);
	while (out->written < 128 * MIB) {
		ssize_t n = write(fd, buf, MIB - out->written % MIB);

		if (n < 0) {
			out->err = errno;
			break;
		}
		out->written += n;
	}
	_exit(0);
}

TEST_F(memcg, a_writer_gets_enomem_and_the_group_holds_the_memory)
{
	struct outcome *out;
	long long size, current;
	int status;
	pid_t pid;

	/* kselftest's harness runs the test after a SKIP in its setup. */
	if (!self->dir[0])
		SKIP(return, "this kernel has no memory cgroup controller");
	out = mmap(NULL, sizeof(*out), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, out);
	memset(out, 0, sizeof(*out));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		writer(self->dir, self->fd, out);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	size = dev_size(variant->proc, variant->name);
	current = get(self->dir, "memory.current", NULL);
	TH_LOG("the writer wrote %lld MiB (%s); %s holds %lld MiB, memory.current %lld MiB",
	       out->written / MIB, out->err ? strerror(out->err) : "no error",
	       variant->name, size / MIB, current / MIB);
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("the writer %s %d", WIFEXITED(status) ?
		       "exited with" : "died of signal",
		       WIFEXITED(status) ? WEXITSTATUS(status) :
		       WTERMSIG(status));
	EXPECT_EQ(ENOMEM, out->err);
	EXPECT_LT(out->written, 128 * MIB);
	EXPECT_EQ(out->written, size);
	EXPECT_GE(current, size * 9 / 10);
	EXPECT_EQ(0, get(self->dir, "memory.events", "oom_kill"));

	/* Emptying the device uncharges the group. */
	close(open(variant->node, O_WRONLY));
	EXPECT_LT(get(self->dir, "memory.current", NULL), size / 2);
}

TEST_HARNESS_MAIN
