/* SPDX-License-Identifier: GPL-2.0 */
/*
 * targets.h - what is measured: the devices and the kernel's references.
 */
#ifndef BENCH_TARGETS_H
#define BENCH_TARGETS_H

#include <stdbool.h>
#include <stddef.h>

enum target_kind {
	TARGET_SIMPLE,	/* /dev/simpler, /dev/simplen: a fixed region */
	TARGET_SCULL,	/* /dev/scullpN, /dev/scullvN: grown by write() */
	TARGET_ANON,	/* anonymous memory: no file */
	TARGET_MEMFD,	/* a memfd: a tmpfs file, the page cache reference */
};

struct target {
	char name[32];		/* "scullp0", "anon", ... */
	char path[64];		/* device node; empty for anon and memfd */
	enum target_kind kind;
	int fault_around;	/* scull, simplen: 1 or 0; others: -1 */
	int order;		/* scull: order set when filled; -1: keep */
	int fd;			/* -1 for anon */
};

/*
 * Open @t and fill it with @size bytes by write(), so that every page
 * exists before it is mapped. A scull device is emptied first (a
 * write-only open truncates it) and, if @qset > 0, given that qset.
 * Return 0, or -1 (the message is printed).
 */
int target_open(struct target *t, size_t size, int qset);

/* The order of a scull device (its quanta are PAGE_SIZE << order bytes),
 * or -1 (printed). */
int target_order(const struct target *t);

/* Close @t; a scull device is emptied and, if @reset, gets its load-time
 * order and qset back. */
void target_close(struct target *t, bool reset);

/* Whether @t has a fault_around switch: scull devices and simplen. */
bool target_has_fault_around(const struct target *t);

/*
 * Set the fault_around parameter (read at mmap time) of @t's module
 * (scull_core or simple) to @t->fault_around; no-op for targets without
 * one. Return 0, or -1 (printed).
 */
int target_select(const struct target *t);

/* Note both parameters as found at start, put back by
 * fault_around_restore(). */
void fault_around_save(void);
void fault_around_restore(void);

/* The first parameter that cannot be written (module not loaded, not
 * root), or NULL. */
const char *fault_around_unwritable(void);

#endif /* BENCH_TARGETS_H */
