// SPDX-License-Identifier: GPL-2.0
/*
 * The book's VMA open/close lines cannot flood the kernel log: a process
 * that forks 50 children while it maps a device makes 100 VMA opens and
 * closes, and with the drivers' default (vma_log_limit=Y) at most 10 lines
 * per started 5 s reach the log; with vma_log_limit=N all 100 do (the
 * parameter is writable at run time, and the other VMA tests use it).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "module_param.h"
#include "scull_test.h"

#define CHILDREN	50

FIXTURE(log) {
	int fd, kmsg;
	char *map;
};

FIXTURE_VARIANT(log) {
	const char *node, *module, *line;
};

FIXTURE_VARIANT_ADD(log, simplen) {
	.node = "/dev/simplen", .module = "simple", .line = ";Simple VMA ",
};

FIXTURE_VARIANT_ADD(log, scullp) {
	.node = "/dev/scullp0", .module = "scull_core",
	.line = ";scullp0: VMA ",
};

FIXTURE_SETUP(log)
{
	long page = sysconf(_SC_PAGESIZE);
	char buf[64] = "";

	self->fd = open(variant->node, O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ((ssize_t)sizeof(buf), pwrite(self->fd, buf, sizeof(buf), 0));
	self->map = mmap(NULL, page, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	self->kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, self->kmsg);
}

FIXTURE_TEARDOWN(log)
{
	munmap(self->map, sysconf(_SC_PAGESIZE));
	close(self->kmsg);
	close(self->fd);
	set_module_param(variant->module, "vma_log_limit", "Y", NULL, 0);
}

/*
 * Fork CHILDREN children that exit at once (each VMA is opened by the
 * fork and closed by the exit); return the VMA lines logged meanwhile and
 * the seconds it took.
 */
static int fork_and_count(FIXTURE_DATA(log) *self, const char *line,
			  double *secs)
{
	struct timespec t0, t1;
	char rec[1024];
	int i, n = 0;
	pid_t pid;

	lseek(self->kmsg, 0, SEEK_END);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < CHILDREN; i++) {
		pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid < 0 || waitpid(pid, NULL, 0) != pid)
			return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*secs = (double)(t1.tv_sec - t0.tv_sec) +
		(double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	for (;;) {
		ssize_t len = read(self->kmsg, rec, sizeof(rec) - 1);

		if (len < 0 && errno == EPIPE)
			continue;
		if (len <= 0)
			break;
		rec[len] = '\0';
		if (strstr(rec, line))
			n++;
	}
	return n;
}

TEST_F(log, a_fork_loop_logs_at_most_10_lines_per_5_s)
{
	double secs;
	int n, most;

	/* The default; a driver without the parameter logs every line. */
	set_module_param(variant->module, "vma_log_limit", "Y", NULL, 0);
	n = fork_and_count(self, variant->line, &secs);
	most = 10 * ((int)(secs / 5) + 1);
	TH_LOG("%d lines for %d forks in %.1f s", n, CHILDREN, secs);
	EXPECT_LE(n, most);
	EXPECT_LT(0, n);
}

TEST_F(log, with_vma_log_limit_off_every_line_is_logged)
{
	double secs;

	ASSERT_EQ(0, set_module_param(variant->module, "vma_log_limit", "N",
				      NULL, 0));
	EXPECT_EQ(2 * CHILDREN, fork_and_count(self, variant->line, &secs));
}

TEST_HARNESS_MAIN
