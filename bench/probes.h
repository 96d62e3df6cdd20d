/* SPDX-License-Identifier: GPL-2.0 */
/*
 * probes.h - the timed operations: map and touch, re-read, read().
 */
#ifndef BENCH_PROBES_H
#define BENCH_PROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* What one map-and-touch cost. */
struct touch_cost {
	double ns;	/* mmap() plus the first touch of every page */
	long faults;	/* minor faults in that time (getrusage) */
};

/*
 * Map @len bytes of @fd from @off (@fd < 0: anonymous memory) shared and
 * writable at a 2 MiB aligned address, and touch one byte of every page,
 * reading it or (@write) writing it. Return the mapping, or NULL with
 * errno set (the message is printed).
 */
void *map_and_touch(const char *what, int fd, off_t off, size_t len,
		    bool write, struct touch_cost *cost);

/* Read every byte of a mapping; return the nanoseconds it took. */
double reread(const void *p, size_t len);

/*
 * read() @len bytes of @fd from offset 0 into @buf (@bufsize bytes at a
 * time); return the nanoseconds it took, or a negative value on error
 * (printed).
 */
double read_all(const char *what, int fd, size_t len, void *buf,
		size_t bufsize);

#endif /* BENCH_PROBES_H */
