// SPDX-License-Identifier: GPL-2.0
/*
 * scull semantics of /dev/scullp0 and /dev/scullv0 without mapping: write
 * grows the device, read returns what was written, llseek, write-only open
 * truncates, holes read as zeros, the order/qset ioctls, /proc/<name>mem.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "scull_test.h"
#include "scull_ioctl.h"

FIXTURE(dev) {
	int fd;
	long page;
};

FIXTURE_VARIANT(dev) {
	const char *node;
	const char *name;
	const char *proc;
	int order;	/* load-time default */
};

FIXTURE_VARIANT_ADD(dev, scullp) {
	.node = "/dev/scullp0", .name = "scullp0", .proc = "/proc/scullpmem",
	.order = 0,
};

FIXTURE_VARIANT_ADD(dev, scullv) {
	.node = "/dev/scullv0", .name = "scullv0", .proc = "/proc/scullvmem",
	.order = 4,
};

FIXTURE_SETUP(dev)
{
	self->page = sysconf(_SC_PAGESIZE);
	self->fd = open_empty(variant->node);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", variant->node,
				      strerror(errno));
	/* Back to the load-time geometry, whatever a previous test set. */
	ASSERT_EQ(0, ioctl(self->fd, SCULLP_IOCRESET))
		TH_LOG("RESET: %s", strerror(errno));
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
	close(open(variant->node, O_WRONLY));
}

/* The /proc line of the device, parsed. */
struct procline {
	long long size;
	int qset, order, vmas;
	unsigned long quanta;
};

/* The number after "@key " in @line, or -1. */
static long long field(const char *line, const char *key)
{
	const char *p = strstr(line, key);

	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

static int read_proc(const char *proc, const char *name, struct procline *p)
{
	char line[256], want[64];
	FILE *f = fopen(proc, "r");
	int found = -1;

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "%s: ", name);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, want, strlen(want)) != 0)
			continue;
		p->size = field(line, "size ");
		p->qset = (int)field(line, "qset ");
		p->order = (int)field(line, "order ");
		p->quanta = (unsigned long)field(line, "quanta ");
		p->vmas = (int)field(line, "vmas ");
		found = 0;
	}
	fclose(f);
	return found;
}

TEST_F(dev, write_read_back_across_quanta)
{
	size_t len = (self->page << variant->order) * 3 + 123;
	char *in = malloc(len), *out = malloc(len);
	size_t i;

	ASSERT_NE(NULL, in);
	ASSERT_NE(NULL, out);
	for (i = 0; i < len; i++)
		in[i] = (char)(i * 7 + i / 4096);
	ASSERT_EQ((ssize_t)len, write(self->fd, in, len));
	ASSERT_EQ((off_t)len, lseek(self->fd, 0, SEEK_CUR));
	ASSERT_EQ(0, lseek(self->fd, 0, SEEK_SET));
	memset(out, 0, len);
	ASSERT_EQ((ssize_t)len, read(self->fd, out, len + 100));
	EXPECT_EQ(0, memcmp(in, out, len));
	/* At the end: 0, the end of file. */
	EXPECT_EQ(0, read(self->fd, out, 10));
	free(in);
	free(out);
}

/*
 * The device has read_iter and write_iter: writev() gathers its pieces in
 * order across a quantum boundary, preadv() scatters them back, and the
 * file position moves by the whole count.
 */
TEST_F(dev, writev_and_preadv_across_a_quantum_boundary)
{
	size_t q = self->page << variant->order;
	const size_t len[3] = { q - 5, 10, 300 };
	size_t total = q + 305, i, k;
	char *in = malloc(total), *out = malloc(total);
	struct iovec iov[3];

	ASSERT_NE(NULL, in);
	ASSERT_NE(NULL, out);
	for (i = 0; i < total; i++)
		in[i] = (char)(i * 13 + i / 1000);
	for (i = 0, k = 0; i < 3; k += len[i], i++)
		iov[i] = (struct iovec){ .iov_base = in + k, .iov_len = len[i] };
	ASSERT_EQ((ssize_t)total, writev(self->fd, iov, 3));
	EXPECT_EQ((off_t)total, lseek(self->fd, 0, SEEK_CUR));
	memset(out, 0, total);
	for (i = 0, k = 0; i < 3; k += len[i], i++)
		iov[i] = (struct iovec){ .iov_base = out + k, .iov_len = len[i] };
	EXPECT_EQ((ssize_t)total, preadv(self->fd, iov, 3, 0));
	EXPECT_EQ(0, memcmp(in, out, total));
	EXPECT_EQ((off_t)total, lseek(self->fd, 0, SEEK_CUR));
	free(in);
	free(out);
}

/*
 * O_APPEND and pwritev2(RWF_APPEND) write at the end of the device, as on
 * a regular file, wherever the file position or the offset is.
 */
TEST_F(dev, o_append_and_rwf_append_write_at_the_end)
{
	struct iovec iov = { .iov_base = "xyz", .iov_len = 3 };
	char buf[16];
	int fd;

	ASSERT_EQ(10, write(self->fd, "0123456789", 10));
	fd = open(variant->node, O_RDWR | O_APPEND);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(errno));
	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	EXPECT_EQ(3, write(fd, "abc", 3));
	EXPECT_EQ(13, lseek(fd, 0, SEEK_CUR));
	close(fd);
	EXPECT_EQ(3, pwritev2(self->fd, &iov, 1, 0, RWF_APPEND))
		TH_LOG("pwritev2: %s", strerror(errno));
	EXPECT_EQ(16, lseek(self->fd, 0, SEEK_END));
	ASSERT_EQ(16, pread(self->fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "0123456789abcxyz", 16));
}

TEST_F(dev, llseek_set_cur_end)
{
	char buf[16];

	ASSERT_EQ(10, write(self->fd, "0123456789", 10));
	EXPECT_EQ(4, lseek(self->fd, 4, SEEK_SET));
	EXPECT_EQ(6, lseek(self->fd, 2, SEEK_CUR));
	EXPECT_EQ(7, lseek(self->fd, -3, SEEK_END));
	ASSERT_EQ(3, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "789", 3));
	EXPECT_EQ(-1, lseek(self->fd, -1, SEEK_SET));
	EXPECT_EQ(EINVAL, errno);
	/* Past the end is allowed; the size does not change. */
	EXPECT_EQ(100, lseek(self->fd, 100, SEEK_SET));
	EXPECT_EQ(10, lseek(self->fd, 0, SEEK_END));
}

TEST_F(dev, write_only_open_truncates_read_write_open_does_not)
{
	struct procline p;
	int fd;

	ASSERT_EQ(5, write(self->fd, "hello", 5));
	fd = open(variant->node, O_RDWR);
	ASSERT_LE(0, fd);
	close(fd);
	fd = open(variant->node, O_RDONLY);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, read_proc(variant->proc, variant->name, &p));
	EXPECT_EQ(5, p.size);
	fd = open(variant->node, O_WRONLY);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, read_proc(variant->proc, variant->name, &p));
	EXPECT_EQ(0, p.size);
	EXPECT_EQ(0UL, p.quanta);
	EXPECT_EQ(0, lseek(self->fd, 0, SEEK_END));
}

TEST_F(dev, hole_reads_as_zeros)
{
	long q = self->page << variant->order;
	char *buf = malloc(3 * q);
	long i;

	ASSERT_NE(NULL, buf);
	/* Quantum 0 and 2 written, quantum 1 a hole. */
	ASSERT_EQ(1, pwrite(self->fd, "a", 1, 0));
	ASSERT_EQ(1, pwrite(self->fd, "b", 1, 3 * q - 1));
	memset(buf, 'x', 3 * q);
	ASSERT_EQ(3 * q, pread(self->fd, buf, 3 * q, 0));
	EXPECT_EQ('a', buf[0]);
	EXPECT_EQ('b', buf[3 * q - 1]);
	for (i = 1; i < 3 * q - 1; i++)
		if (buf[i])
			break;
	EXPECT_EQ(3 * q - 1, i) TH_LOG("byte %ld is not zero", i);
	free(buf);
}

TEST_F(dev, new_memory_is_zero)
{
	long q = self->page << variant->order;
	char *buf = malloc(q);
	long i;

	ASSERT_NE(NULL, buf);
	/* One byte at the end of a quantum: the rest is fresh memory. */
	ASSERT_EQ(1, pwrite(self->fd, "z", 1, 2 * q - 1));
	ASSERT_EQ(q, pread(self->fd, buf, q, q));
	for (i = 0; i < q - 1; i++)
		if (buf[i])
			break;
	EXPECT_EQ(q - 1, i) TH_LOG("stale byte at %ld", i);
	free(buf);
}

TEST_F(dev, bad_user_buffer_is_efault)
{
	/* One accessible page followed by an inaccessible one. */
	char *area = mmap(NULL, 2 * self->page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *bad = area + self->page;
	struct iovec iov[2];
	ssize_t n;

	ASSERT_NE(MAP_FAILED, area);
	ASSERT_EQ(0, mprotect(bad, self->page, PROT_NONE));
	memset(area, 'e', self->page);
	ASSERT_EQ(self->page, write(self->fd, area, self->page));
	ASSERT_EQ(self->page, write(self->fd, area, self->page));
	EXPECT_EQ(-1, write(self->fd, bad, 4));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, pread(self->fd, bad, 4, 0));
	EXPECT_EQ(EFAULT, errno);
	/* A copy that faults part way returns what it moved. */
	n = pread(self->fd, area, 2 * self->page, 0);
	EXPECT_LT(0, n);
	EXPECT_GE(self->page, n);
	n = pwrite(self->fd, area, 2 * self->page, 2 * self->page);
	EXPECT_LT(0, n);
	EXPECT_GE(self->page, n);
	EXPECT_EQ(2 * self->page + n, lseek(self->fd, 0, SEEK_END));
	/* A vector whose second piece faults moves the first piece. */
	iov[0] = (struct iovec){ .iov_base = area, .iov_len = self->page };
	iov[1] = (struct iovec){ .iov_base = bad, .iov_len = 4 };
	EXPECT_EQ(self->page, pwritev(self->fd, iov, 2, 0));
	EXPECT_EQ(self->page, preadv(self->fd, iov, 2, 0));
	munmap(area, 2 * self->page);
}

TEST_F(dev, ioctl_order_get_query_set_tell_exchange_shift)
{
	struct procline p;
	int v;

	ASSERT_EQ(0, ioctl(self->fd, SCULLP_IOCGORDER, &v));
	EXPECT_EQ(variant->order, v);
	EXPECT_EQ(variant->order, ioctl(self->fd, SCULLP_IOCQORDER));

	v = 2;
	ASSERT_EQ(0, ioctl(self->fd, SCULLP_IOCSORDER, &v));
	EXPECT_EQ(2, ioctl(self->fd, SCULLP_IOCQORDER));
	ASSERT_EQ(0, ioctl(self->fd, SCULLP_IOCTORDER, 3));
	EXPECT_EQ(3, ioctl(self->fd, SCULLP_IOCQORDER));
	v = 1;
	ASSERT_EQ(0, ioctl(self->fd, SCULLP_IOCXORDER, &v));
	EXPECT_EQ(3, v);
	EXPECT_EQ(1, ioctl(self->fd, SCULLP_IOCQORDER));
	EXPECT_EQ(1, ioctl(self->fd, SCULLP_IOCHORDER, 0));
	EXPECT_EQ(0, ioctl(self->fd, SCULLP_IOCQORDER));
	ASSERT_EQ(0, read_proc(variant->proc, variant->name, &p));
	EXPECT_EQ(0, p.order);

	/* The scullv names are the same commands. */
	ASSERT_EQ(0, ioctl(self->fd, SCULLV_IOCTORDER, 4));
	EXPECT_EQ(4, ioctl(self->fd, SCULLV_IOCQORDER));
	ASSERT_EQ(0, ioctl(self->fd, SCULLP_IOCRESET));
	EXPECT_EQ(variant->order, ioctl(self->fd, SCULLP_IOCQORDER));
}

TEST_F(dev, ioctl_qset)
{
	int v;

	ASSERT_EQ(0, ioctl(self->fd, SCULLP_IOCGQSET, &v));
	EXPECT_EQ(500, v);
	EXPECT_EQ(500, ioctl(self->fd, SCULLP_IOCQQSET));
	v = 7;
	ASSERT_EQ(0, ioctl(self->fd, SCULLP_IOCSQSET, &v));
	EXPECT_EQ(7, ioctl(self->fd, SCULLP_IOCQQSET));
	ASSERT_EQ(0, ioctl(self->fd, SCULLP_IOCTQSET, 3));
	v = 9;
	ASSERT_EQ(0, ioctl(self->fd, SCULLP_IOCXQSET, &v));
	EXPECT_EQ(3, v);
	EXPECT_EQ(9, ioctl(self->fd, SCULLP_IOCHQSET, 1));
	EXPECT_EQ(1, ioctl(self->fd, SCULLP_IOCQQSET));
}

TEST_F(dev, tiny_qset_many_sets_keep_data)
{
	size_t len = (self->page << variant->order) * 7 + 5;
	char *in = malloc(len), *out = malloc(len);
	struct procline p;
	size_t i;

	ASSERT_NE(NULL, in);
	ASSERT_NE(NULL, out);
	/* qset 2: seven quanta span four sets. */
	ASSERT_EQ(0, ioctl(self->fd, SCULLP_IOCTQSET, 2));
	for (i = 0; i < len; i++)
		in[i] = (char)(i % 251);
	ASSERT_EQ((ssize_t)len, write(self->fd, in, len));
	ASSERT_EQ((ssize_t)len, pread(self->fd, out, len, 0));
	EXPECT_EQ(0, memcmp(in, out, len));
	ASSERT_EQ(0, read_proc(variant->proc, variant->name, &p));
	EXPECT_EQ(2, p.qset);
	EXPECT_EQ(8UL, p.quanta);
	EXPECT_EQ((long long)len, p.size);
	free(in);
	free(out);
}

TEST_F(dev, ioctl_refuses_bad_values_and_busy_device)
{
	int v = SCULL_ORDER_MAX + 1;

	EXPECT_EQ(-1, ioctl(self->fd, SCULLP_IOCSORDER, &v));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, SCULLP_IOCTORDER, -1L));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, SCULLP_IOCTQSET, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, SCULLP_IOCTQSET, SCULL_QSET_MAX + 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IO(SCULLP_IOC_MAGIC, 13)));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IO('k', 1)));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, SCULLP_IOCGORDER, (void *)8));
	EXPECT_EQ(EFAULT, errno);

	/* A device holding data keeps its geometry. */
	ASSERT_EQ(1, write(self->fd, "x", 1));
	EXPECT_EQ(-1, ioctl(self->fd, SCULLP_IOCTORDER, 1));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, SCULLP_IOCTQSET, 10));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(variant->order, ioctl(self->fd, SCULLP_IOCQORDER));
	/* Setting the current value is not a change. */
	EXPECT_EQ(0, ioctl(self->fd, SCULLP_IOCTORDER, variant->order));
}

TEST_F(dev, proc_shows_every_device_and_no_address)
{
	char line[256];
	int lines = 0;
	FILE *f;

	ASSERT_EQ(3, write(self->fd, "abc", 3));
	f = fopen(variant->proc, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		lines++;
		/* Kernel addresses are 16 hex digits or 0x...; none here. */
		EXPECT_EQ(NULL, strstr(line, "0x")) TH_LOG("%s", line);
		EXPECT_EQ(NULL, strstr(line, "ffff")) TH_LOG("%s", line);
	}
	fclose(f);
	EXPECT_EQ(4, lines);
}

TEST_HARNESS_MAIN
