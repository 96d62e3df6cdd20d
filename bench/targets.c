// SPDX-License-Identifier: GPL-2.0
/*
 * targets.c - what is measured: the devices and the kernel's references.
 *
 * Every file target holds its data before it is mapped, written with
 * write(): a scull device then has all its quanta, a memfd all its page
 * cache pages, and a fault only has to find a page that exists, which is
 * what the benchmark compares. Anonymous memory is the one reference that
 * allocates (and zeroes) on the first write.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scull_ioctl.h"
#include "targets.h"

#define FILL_CHUNK ((size_t)1 << 20)

/* The modules' fault_around parameters, read at mmap time. */
static const char *const fa_params[] = {
	"/sys/module/scull_core/parameters/fault_around",
	"/sys/module/simple/parameters/fault_around",
};
#define FA_SCULL 0
#define FA_SIMPLE 1
#define FA_COUNT (sizeof(fa_params) / sizeof(fa_params[0]))

static char fa_saved[FA_COUNT];

static int write_all(const struct target *t, int fd, size_t size)
{
	static unsigned char buf[FILL_CHUNK];
	size_t done = 0;

	/* Not zeros: the pages hold data, as a real device's would. */
	memset(buf, 0x5a, sizeof(buf));
	while (done < size) {
		size_t want = size - done < sizeof(buf) ? size - done :
			      sizeof(buf);
		ssize_t n = write(fd, buf, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "mmap_bench: cannot fill %s to %zu bytes (stopped at %zu): %s\n",
				t->name, size, done,
				n ? strerror(errno) : "no space left in the device");
			if (t->kind == TARGET_SIMPLE)
				fprintf(stderr, "mmap_bench: load simple.ko with size=%zu or more\n",
					size);
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

/*
 * Empty a scull device (a write-only open truncates it), set its qset and,
 * if the target names one, its order.
 */
static int scull_refill(struct target *t, size_t size, int qset)
{
	int fd = open(t->path, O_WRONLY);

	if (fd < 0) {
		fprintf(stderr, "mmap_bench: open %s: %s\n", t->path,
			strerror(errno));
		return -1;
	}
	if (qset > 0 && ioctl(fd, SCULLP_IOCTQSET, (unsigned long)qset) < 0) {
		fprintf(stderr, "mmap_bench: set qset %d of %s: %s\n",
			qset, t->path, strerror(errno));
		close(fd);
		return -1;
	}
	if (t->order >= 0 &&
	    ioctl(fd, SCULLP_IOCTORDER, (unsigned long)t->order) < 0) {
		fprintf(stderr, "mmap_bench: set order %d of %s: %s\n",
			t->order, t->path, strerror(errno));
		close(fd);
		return -1;
	}
	if (write_all(t, fd, size)) {
		close(fd);
		return -1;
	}
	return close(fd);
}

int target_open(struct target *t, size_t size, int qset)
{
	switch (t->kind) {
	case TARGET_ANON:
		t->fd = -1;
		return 0;
	case TARGET_MEMFD:
		t->fd = memfd_create(t->name, MFD_CLOEXEC);
		if (t->fd < 0) {
			fprintf(stderr, "mmap_bench: memfd_create: %s\n",
				strerror(errno));
			return -1;
		}
		return write_all(t, t->fd, size);
	case TARGET_SCULL:
		if (scull_refill(t, size, qset))
			return -1;
		break;
	case TARGET_SIMPLE:
		break;
	}
	t->fd = open(t->path, O_RDWR | O_CLOEXEC);
	if (t->fd < 0) {
		fprintf(stderr, "mmap_bench: open %s: %s\n", t->path,
			strerror(errno));
		return -1;
	}
	if (t->kind == TARGET_SIMPLE)
		return write_all(t, t->fd, size);
	return 0;
}

int target_order(const struct target *t)
{
	int fd = open(t->path, O_RDONLY), order;

	if (fd < 0) {
		fprintf(stderr, "mmap_bench: open %s: %s\n", t->path,
			strerror(errno));
		return -1;
	}
	order = ioctl(fd, SCULLP_IOCQORDER);
	if (order < 0)
		fprintf(stderr, "mmap_bench: order of %s: %s\n", t->path,
			strerror(errno));
	close(fd);
	return order;
}

void target_close(struct target *t, bool reset)
{
	int fd;

	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	if (t->kind != TARGET_SCULL)
		return;
	/* Give the memory back; nothing of ours maps it any more. */
	fd = open(t->path, O_WRONLY);
	if (fd < 0)
		return;
	if (reset && ioctl(fd, SCULLP_IOCRESET) < 0)
		fprintf(stderr, "mmap_bench: reset %s: %s\n", t->path,
			strerror(errno));
	close(fd);
}

static int fa_write(size_t param, char c)
{
	int fd = open(fa_params[param], O_WRONLY);

	if (fd < 0 || write(fd, &c, 1) != 1) {
		fprintf(stderr, "mmap_bench: cannot set %s to %c: %s\n",
			fa_params[param], c, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return close(fd);
}

bool target_has_fault_around(const struct target *t)
{
	return t->kind == TARGET_SCULL || strcmp(t->name, "simplen") == 0;
}

int target_select(const struct target *t)
{
	if (!target_has_fault_around(t) || t->fault_around < 0)
		return 0;
	return fa_write(t->kind == TARGET_SCULL ? FA_SCULL : FA_SIMPLE,
			t->fault_around ? 'Y' : 'N');
}

void fault_around_save(void)
{
	size_t i;

	for (i = 0; i < FA_COUNT; i++) {
		int fd = open(fa_params[i], O_RDONLY);

		fa_saved[i] = 0;
		if (fd < 0)
			continue;
		if (read(fd, &fa_saved[i], 1) != 1)
			fa_saved[i] = 0;
		close(fd);
	}
}

void fault_around_restore(void)
{
	size_t i;

	for (i = 0; i < FA_COUNT; i++)
		if (fa_saved[i])
			fa_write(i, fa_saved[i]);
}

const char *fault_around_unwritable(void)
{
	size_t i;

	for (i = 0; i < FA_COUNT; i++)
		if (access(fa_params[i], W_OK))
			return fa_params[i];
	return NULL;
}
