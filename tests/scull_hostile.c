// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile input on /dev/scullp0 and /dev/scullv0: the shared cases of
 * tests/include/hostile.h, plus ioctl with bad numbers and pointers, the
 * geometry ioctls without CAP_SYS_ADMIN, read() racing with truncating
 * opens, and rmmod while a descriptor is open. Values out of range are in
 * scull_rw (ioctl) and scull_params (insmod). The README's "Hostile input"
 * table lists what each returns.
 */
#include <linux/capability.h>
#include <pthread.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "hostile.h"
#include "scull_ioctl.h"

FIXTURE_VARIANT_ADD(hostile, scullp) {
	.node = "/dev/scullp0", .name = "scullp0", .proc = "scullpmem",
	.module = "scullp", .scull = true,
};

FIXTURE_VARIANT_ADD(hostile, scullv) {
	.node = "/dev/scullv0", .name = "scullv0", .proc = "scullvmem",
	.module = "scullv", .scull = true,
};

TEST_F(hostile, ioctl_bad_numbers_and_pointers)
{
	int *ro;

	/* Another driver's magic, a number past the last, a wrong size. */
	EXPECT_EQ(-1, ioctl(self->fd, _IO('k', 0)));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IO(SCULLP_IOC_MAGIC, SCULLP_IOC_MAXNR + 1)));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IOR(SCULLP_IOC_MAGIC, 3, long), 0));
	EXPECT_EQ(ENOTTY, errno);
	/* Pointers to nothing, and to memory that cannot be written. */
	EXPECT_EQ(-1, ioctl(self->fd, SCULLP_IOCGORDER, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, SCULLP_IOCSQSET, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	ro = mmap(NULL, self->page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		  -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(-1, ioctl(self->fd, SCULLP_IOCGQSET, ro));
	EXPECT_EQ(EFAULT, errno);
	munmap(ro, self->page);
	/* A value too large for an int. */
	EXPECT_EQ(-1, ioctl(self->fd, SCULLP_IOCTQSET, 1UL << 40));
	EXPECT_EQ(EINVAL, errno);
}

/* Drop CAP_SYS_ADMIN from this process's effective set. */
static int drop_sys_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[CAP_SYS_ADMIN / 32].effective &= ~(1U << (CAP_SYS_ADMIN % 32));
	return syscall(SYS_capset, &h, d) ? -1 : 0;
}

TEST_F(hostile, geometry_ioctls_need_cap_sys_admin)
{
	int status;
	pid_t pid;

	close(open(variant->node, O_WRONLY));	/* empty: not EBUSY */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int v = 1;

		if (drop_sys_admin())
			_exit(10);
		if (ioctl(self->fd, SCULLP_IOCTORDER, 1) != -1 || errno != EPERM)
			_exit(11);
		if (ioctl(self->fd, SCULLP_IOCXQSET, &v) != -1 || errno != EPERM)
			_exit(12);
		if (ioctl(self->fd, SCULLP_IOCRESET) != -1 || errno != EPERM)
			_exit(13);
		/* Reading the geometry needs nothing. */
		_exit(ioctl(self->fd, SCULLP_IOCGORDER, &v) ? 14 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("step %d failed",
						 WEXITSTATUS(status));
}

struct reader {
	const char *node;
	long len;
	volatile int stop;
	long reads, short_reads, bad;
};

/* pread() the device over and over: every byte must be the pattern. */
static void *truncation_reader(void *arg)
{
	struct reader *r = arg;
	char *buf = malloc(r->len);
	int fd = open(r->node, O_RDONLY);
	long i;

	if (!buf || fd < 0) {
		r->bad = -1;
		free(buf);
		return NULL;
	}
	while (!r->stop) {
		ssize_t n = pread(fd, buf, r->len, 0);

		if (n < 0) {
			r->bad++;
			continue;
		}
		r->reads++;
		if (n < r->len)
			r->short_reads++;
		for (i = 0; i < n; i++)
			if (buf[i] != (char)('T' + i % 7)) {
				r->bad++;
				break;
			}
	}
	close(fd);
	free(buf);
	return NULL;
}

/*
 * Readers while another thread empties the device with write-only opens
 * and writes the same pattern again: each read() returns a prefix of the
 * pattern (short, or nothing, right after a truncation), never other
 * bytes, never an error.
 */
TEST_F(hostile, read_while_another_truncates)
{
	struct reader r = { .node = variant->node, .len = 16 * self->page };
	char *pattern = malloc(r.len);
	pthread_t t[2];
	long n;
	int i;

	ASSERT_NE(NULL, pattern);
	for (i = 0; i < r.len; i++)
		pattern[i] = (char)('T' + i % 7);
	ASSERT_EQ(r.len, pwrite(self->fd, pattern, r.len, 0));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, truncation_reader, &r));
	for (n = 0; n < 300; n++) {
		int fd = open(variant->node, O_WRONLY);

		ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(errno));
		ASSERT_EQ(r.len, write(fd, pattern, r.len))
			TH_LOG("write: %s", strerror(errno));
		close(fd);
	}
	r.stop = 1;
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_join(t[i], NULL));
	TH_LOG("%ld reads, %ld short, during %ld truncations", r.reads,
	       r.short_reads, n);
	EXPECT_EQ(0, r.bad);
	EXPECT_LT(0, r.reads);
	free(pattern);
}

TEST_F(hostile, rmmod_while_open)
{
	rmmod_while_open(_metadata, self, variant->module, variant->node);
}

TEST_HARNESS_MAIN
