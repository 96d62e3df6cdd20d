// SPDX-License-Identifier: GPL-2.0
/*
 * Every wait a user can cause is killable. A read() whose destination
 * faults into a userfaultfd range nobody serves holds the device's
 * trim_sem shared for as long as the fault lasts; a truncating
 * open(O_WRONLY), or an ioctl that changes the geometry, then waits for
 * the lock. Such a waiter must die of SIGKILL at once (not when the read
 * ends), and once it is gone a new reader must not be queued behind it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "scull_ioctl.h"
#include "scull_test.h"

/* How long a step may take before the test calls it stuck. */
#define STEP_MS	5000

FIXTURE(killable) {
	int fd, uffd;
	long page;
	char *region;	/* registered with uffd, never populated */
	pthread_t reader;
	ssize_t read_ret;
	int read_errno;
	bool reading;
};

FIXTURE_VARIANT(killable) {
	const char *node;
	bool by_ioctl;	/* the waiter changes the order, not truncates */
};

FIXTURE_VARIANT_ADD(killable, scullp_open) {
	.node = "/dev/scullp0",
};

FIXTURE_VARIANT_ADD(killable, scullp_ioctl) {
	.node = "/dev/scullp0", .by_ioctl = true,
};

FIXTURE_VARIANT_ADD(killable, scullv_open) {
	.node = "/dev/scullv0",
};

FIXTURE_VARIANT_ADD(killable, scullv_ioctl) {
	.node = "/dev/scullv0", .by_ioctl = true,
};

static void *read_into_region(void *arg)
{
	struct _test_data_killable *self = arg;

	self->read_ret = pread(self->fd, self->region, self->page, 0);
	self->read_errno = errno;
	return NULL;
}

/* The state letter and the syscall number of @pid, from /proc. */
static int proc_state(pid_t pid, char *state, long *nr)
{
	char path[64], buf[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	p = p ? strrchr(buf, ')') : NULL;
	if (!p || p[1] != ' ')
		return -1;
	*state = p[2];
	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	*nr = fgets(buf, sizeof(buf), f) ? strtol(buf, NULL, 10) : -1;
	fclose(f);
	return 0;
}

/* Wait up to STEP_MS for @pid to sleep uninterruptibly in syscall @nr. */
static bool blocked_in(pid_t pid, long nr)
{
	char state;
	long now;
	int i;

	for (i = 0; i < STEP_MS / 10; i++) {
		if (!proc_state(pid, &state, &now) && state == 'D' &&
		    now == nr)
			return true;
		usleep(10000);
	}
	return false;
}

/* Reap @pid within STEP_MS; true if it was reaped. */
static bool reaped(pid_t pid, int *status)
{
	int i;

	for (i = 0; i < STEP_MS / 10; i++) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return true;
		usleep(10000);
	}
	return false;
}

FIXTURE_SETUP(killable)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct pollfd pfd;
	char *buf;

	self->page = sysconf(_SC_PAGESIZE);
	self->fd = open_empty(variant->node);
	ASSERT_LE(0, self->fd) TH_LOG("%s: %s", variant->node, strerror(errno));
	buf = malloc(self->page);
	ASSERT_NE(NULL, buf);
	memset(buf, 'k', self->page);
	ASSERT_EQ(self->page, pwrite(self->fd, buf, self->page, 0));
	free(buf);

	self->uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	ASSERT_LE(0, self->uffd) TH_LOG("userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(self->uffd, UFFDIO_API, &api))
		TH_LOG("UFFDIO_API: %s", strerror(errno));
	self->region = mmap(NULL, self->page, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->region);
	reg.range.start = (unsigned long)self->region;
	reg.range.len = self->page;
	ASSERT_EQ(0, ioctl(self->uffd, UFFDIO_REGISTER, &reg))
		TH_LOG("UFFDIO_REGISTER: %s", strerror(errno));

	/* The reader faults in the kernel's copy and waits there. */
	ASSERT_EQ(0, pthread_create(&self->reader, NULL, read_into_region,
				    self));
	self->reading = true;
	pfd.fd = self->uffd;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, STEP_MS))
		TH_LOG("the read never faulted on the userfaultfd range");
}

FIXTURE_TEARDOWN(killable)
{
	struct uffdio_zeropage zp = {
		.range = { (unsigned long)self->region, self->page },
	};

	/* Serve the fault: the read completes, with the device's bytes. */
	if (self->reading) {
		ioctl(self->uffd, UFFDIO_ZEROPAGE, &zp);
		pthread_join(self->reader, NULL);
	}
	close(self->uffd);
	close(self->fd);
}

TEST_F(killable, a_waiter_dies_of_sigkill_and_readers_go_on)
{
	struct uffdio_zeropage zp = {
		.range = { (unsigned long)self->region, self->page },
	};
	long nr = variant->by_ioctl ? SYS_ioctl : SYS_openat;
	int status;
	char byte;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd = variant->by_ioctl ? open(variant->node, O_RDONLY) :
					 open(variant->node, O_WRONLY);
		if (variant->by_ioctl && fd >= 0)
			ioctl(fd, SCULLP_IOCTORDER, 1);
		_exit(0);
	}
	ASSERT_TRUE(blocked_in(pid, nr))
		TH_LOG("the %s never waited for the reader",
		       variant->by_ioctl ? "ioctl" : "truncating open");
	ASSERT_EQ(0, kill(pid, SIGKILL));
	EXPECT_TRUE(reaped(pid, &status))
		TH_LOG("not reaped %d ms after SIGKILL", STEP_MS);
	if (!_metadata->passed) {
		/* Let it go, so that the fixture can end. */
		ioctl(self->uffd, UFFDIO_ZEROPAGE, &zp);
		ASSERT_EQ(pid, waitpid(pid, &status, 0)) TH_LOG("waitpid");
		return;
	}
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	/* A new reader is not queued behind a writer that is gone. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(pread(self->fd, &byte, 1, 0) == 1 && byte == 'k' ? 0 : 1);
	EXPECT_TRUE(reaped(pid, &status))
		TH_LOG("a reader waited behind the killed waiter");
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* Served, the first read completes with the device's bytes. */
	ASSERT_EQ(0, ioctl(self->uffd, UFFDIO_ZEROPAGE, &zp));
	ASSERT_EQ(0, pthread_join(self->reader, NULL));
	self->reading = false;
	EXPECT_EQ(self->page, self->read_ret)
		TH_LOG("read: %s", strerror(self->read_errno));
}

TEST_HARNESS_MAIN
