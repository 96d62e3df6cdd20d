/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stats.h - the clock and the median of repeated runs.
 */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <stddef.h>

/* Nanoseconds on CLOCK_MONOTONIC. */
double now_ns(void);

/* Median of @n values (mean of the middle two when @n is even). */
double median(const double *v, size_t n);

/* Smallest and largest of @n values. */
double min_of(const double *v, size_t n);
double max_of(const double *v, size_t n);

#endif /* BENCH_STATS_H */
