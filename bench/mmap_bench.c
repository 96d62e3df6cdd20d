// SPDX-License-Identifier: GPL-2.0
/*
 * mmap_bench - what a page of each mapping driver costs
 *
 * For /dev/simpler, /dev/simplen, /dev/scullp0, /dev/scullv0 and /dev/scullp1
 * at order 9 (2 MiB quanta with 4 KiB pages, mapped with PMD entries where
 * the kernel can), and for two references the kernel itself provides,
 * anonymous memory and a memfd (a tmpfs file: a page cache lookup), in one
 * run and side by side:
 *  - mmap() + the first read of every page of SIZE bytes, per page, and the
 *    minor faults it took (getrusage: an exact count, not a timing);
 *  - the same with a first write to every page;
 *  - reading the whole range again once it is mapped (memory bandwidth, the
 *    physical limit);
 *  - read() of the same bytes.
 * Every figure is measured RUNS times, interleaved (one run of every target,
 * then the next run), and reported as a median and as a ratio to the memfd.
 * simplen and the scull devices are measured with their module's
 * fault_around parameter on and off.
 *
 * Scaling: the same per-page cost, for the last SMALLEST bytes of scull
 * devices of every size of the SCALE list (devices 1, 2, 3), reported as
 * the ratio largest/smallest: a lookup that walks a list growing with the
 * device shows up there. The devices get small sets (16 pages each), so
 * that a large device has thousands of them.
 *
 * Output: a table, then one line per figure:
 *   bench figure=F target=T fault_around=1|0|- size=BYTES pages=N runs=N
 *	unit=U median=V min=V max=V ratio=R|-
 * where ratio is median / the memfd's median for the same figure.
 *
 * In an emulated (TCG) guest times are emulated: compare the ratios of one
 * run, never absolute times. Fault counts are exact.
 *
 * Exit status: 0 success, 1 usage error, 2 system error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "probes.h"
#include "stats.h"
#include "targets.h"

enum { EXIT_USAGE = 1, EXIT_SYSTEM = 2 };

#define MAX_RUNS	99
#define MAX_SCALE	3	/* scull devices 1..3; device 0 is in the table */
#define READ_BUF	((size_t)1 << 20)
#define SCALE_SET_PAGES	16	/* pages per set in the scaling devices */

enum figure {
	FIG_READ_TOUCH,
	FIG_READ_FAULTS,
	FIG_WRITE_TOUCH,
	FIG_WRITE_FAULTS,
	FIG_REREAD,
	FIG_READ,
	NR_FIGS
};

static const struct {
	const char *name;
	const char *unit;
} figs[NR_FIGS] = {
	[FIG_READ_TOUCH] = { "read_touch", "ns/page" },
	[FIG_READ_FAULTS] = { "read_touch_faults", "faults" },
	[FIG_WRITE_TOUCH] = { "write_touch", "ns/page" },
	[FIG_WRITE_FAULTS] = { "write_touch_faults", "faults" },
	[FIG_REREAD] = { "reread", "MB/s" },
	[FIG_READ] = { "read", "MB/s" },
};

/* One line of the table: a target and its figures, run by run. */
struct row {
	struct target t;
	double v[NR_FIGS][MAX_RUNS];
	bool has[NR_FIGS];
};

static struct {
	size_t size;
	int runs;
	size_t scale[MAX_SCALE];
	int nscale;
	int fa_first, fa_last;	/* fault_around values to measure */
} opt = {
	.size = (size_t)64 << 20,
	.runs = 5,
	.scale = { (size_t)4 << 20, (size_t)64 << 20, (size_t)512 << 20 },
	.nscale = 3,
	.fa_first = 1,
	.fa_last = 0,
};

static size_t page;

static void usage(FILE *f)
{
	fputs("Usage: mmap_bench [OPTION]...\n"
	      "Measure mmap + first touch, faults, re-read and read() of\n"
	      "/dev/simpler, /dev/simplen, /dev/scullp0, /dev/scullv0, /dev/scullp1\n"
	      "at order 9, anonymous memory and a memfd, then the scaling of scull\n"
	      "with device size.\n"
	      "Run as root with simple.ko (size >= SIZE), scullp.ko and scullv.ko\n"
	      "loaded.\n"
	      "\n"
	      "  -s, --size BYTES      bytes mapped per target (default 64M)\n"
	      "  -r, --runs N          runs per figure, 1..99 (default 5)\n"
	      "  -S, --scale LIST      scull device sizes for the scaling figure,\n"
	      "                        comma separated, at most 3, or \"none\"\n"
	      "                        (default 4M,64M,512M)\n"
	      "  -f, --fault-around M  fault-around of simplen and scull: both, on or off\n"
	      "                        (default both)\n"
	      "  -q, --quick           --size 4M --runs 1 --scale 1M,2M,4M\n"
	      "  -h, --help            this text\n"
	      "\n"
	      "Sizes take a K, M or G suffix and must be multiples of 2 MiB\n"
	      "(scaling sizes: of 64 KiB).\n", f);
}

static void usage_error(const char *what)
{
	fprintf(stderr, "mmap_bench: %s\n", what);
	usage(stderr);
	exit(EXIT_USAGE);
}

static size_t parse_size(const char *s, size_t multiple)
{
	static const char units[] = "KMG";
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *s == '-')
		usage_error("a size must be a number with an optional K, M or G");
	if (*end && strchr(units, *end)) {
		v <<= 10 * (strchr(units, *end) - units + 1);
		end++;
	}
	if (*end || !v || v % multiple)
		usage_error("a size must be a non-zero multiple of 2 MiB (scaling sizes: of 64 KiB)");
	return (size_t)v;
}

static void parse_scale(char *list)
{
	char *tok, *save = NULL;

	opt.nscale = 0;
	if (strcmp(list, "none") == 0)
		return;
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (opt.nscale == MAX_SCALE)
			usage_error("--scale takes at most 3 sizes");
		opt.scale[opt.nscale] = parse_size(tok, (size_t)64 << 10);
		if (opt.nscale && opt.scale[opt.nscale] <= opt.scale[opt.nscale - 1])
			usage_error("--scale sizes must grow");
		opt.nscale++;
	}
}

static void parse_options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "runs", required_argument, NULL, 'r' },
		{ "scale", required_argument, NULL, 'S' },
		{ "fault-around", required_argument, NULL, 'f' },
		{ "quick", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static char quick_scale[] = "1M,2M,4M";
	char *end;
	long runs;
	int c;

	while ((c = getopt_long(argc, argv, "s:r:S:f:qh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 's':
			opt.size = parse_size(optarg, (size_t)2 << 20);
			break;
		case 'r':
			errno = 0;
			runs = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || runs < 1 ||
			    runs > MAX_RUNS)
				usage_error("--runs must be 1..99");
			opt.runs = (int)runs;
			break;
		case 'S':
			parse_scale(optarg);
			break;
		case 'f':
			if (strcmp(optarg, "both") == 0) {
				opt.fa_first = 1;
				opt.fa_last = 0;
			} else if (strcmp(optarg, "on") == 0) {
				opt.fa_first = opt.fa_last = 1;
			} else if (strcmp(optarg, "off") == 0) {
				opt.fa_first = opt.fa_last = 0;
			} else {
				usage_error("--fault-around takes both, on or off");
			}
			break;
		case 'q':
			opt.size = (size_t)4 << 20;
			opt.runs = 1;
			parse_scale(quick_scale);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(EXIT_USAGE);
		}
	}
	if (optind != argc)
		usage_error("no operand is taken");
}

/* The rows of the table: the memfd first, it is the reference. */
static int make_rows(struct row *rows)
{
	static const struct {
		const char *name;
		enum target_kind kind;
		int order;
	} list[] = {
		{ "memfd", TARGET_MEMFD, -1 },
		{ "anon", TARGET_ANON, -1 },
		{ "simpler", TARGET_SIMPLE, -1 },
		{ "simplen", TARGET_SIMPLE, -1 },
		{ "scullp0", TARGET_SCULL, -1 },
		{ "scullv0", TARGET_SCULL, -1 },
		/* Order 9, a PMD with 4 KiB pages: one each where the kernel can. */
		{ "scullp1", TARGET_SCULL, 9 },
	};
	size_t i;
	int n = 0, fa;

	for (i = 0; i < sizeof(list) / sizeof(list[0]); i++) {
		for (fa = opt.fa_first; fa >= opt.fa_last; fa--) {
			struct target *t = &rows[n].t;

			memset(&rows[n], 0, sizeof(rows[n]));
			snprintf(t->name, sizeof(t->name), "%s", list[i].name);
			t->kind = list[i].kind;
			t->fd = -1;
			t->fault_around = -1;
			t->order = list[i].order;
			if (t->kind == TARGET_SIMPLE || t->kind == TARGET_SCULL)
				snprintf(t->path, sizeof(t->path), "/dev/%s",
					 t->name);
			n++;
			if (!target_has_fault_around(t))
				break;
			t->fault_around = fa;
		}
	}
	return n;
}

/* One run of every figure of @r. */
static int measure_row(struct row *r, int run, void *buf)
{
	struct target *t = &r->t;
	size_t pages = opt.size / page;
	struct touch_cost c;
	double ns;
	void *p;

	if (target_select(t))
		return -1;
	p = map_and_touch(t->name, t->fd, 0, opt.size, false, &c);
	if (!p)
		return -1;
	munmap(p, opt.size);
	r->v[FIG_READ_TOUCH][run] = c.ns / (double)pages;
	r->v[FIG_READ_FAULTS][run] = (double)c.faults;

	p = map_and_touch(t->name, t->fd, 0, opt.size, true, &c);
	if (!p)
		return -1;
	r->v[FIG_WRITE_TOUCH][run] = c.ns / (double)pages;
	r->v[FIG_WRITE_FAULTS][run] = (double)c.faults;
	/* After writes: anonymous pages are then distinct, not the zero page. */
	r->v[FIG_REREAD][run] = (double)opt.size * 1e3 / reread(p, opt.size);
	munmap(p, opt.size);
	r->has[FIG_READ_TOUCH] = r->has[FIG_READ_FAULTS] = true;
	r->has[FIG_WRITE_TOUCH] = r->has[FIG_WRITE_FAULTS] = true;
	r->has[FIG_REREAD] = true;

	if (t->fd < 0)
		return 0;
	ns = read_all(t->name, t->fd, opt.size, buf, READ_BUF);
	if (ns < 0)
		return -1;
	r->v[FIG_READ][run] = (double)opt.size * 1e3 / ns;
	r->has[FIG_READ] = true;
	return 0;
}

static const char *fa_label(const struct target *t)
{
	if (t->fault_around < 0)
		return "-";
	return t->fault_around ? "1" : "0";
}

/* One cell: the median of figure @f of @r and its ratio to @ref's. */
static void cell(const struct row *r, const struct row *ref, int f)
{
	double m = median(r->v[f], (size_t)opt.runs);
	double rm = median(ref->v[f], (size_t)opt.runs);
	bool mbs = f == FIG_REREAD || f == FIG_READ;

	if (!r->has[f])
		printf(" %*s %7s", mbs ? 6 : 8, "-", "-");
	else if (mbs)
		printf(" %6.0f %7.2f", m, m / rm);
	else
		printf(" %8.1f %7.2f", m, m / rm);
}

static void print_table(const struct row *rows, int n)
{
	int i;

	printf("mmap_bench: %zu MiB (%zu pages) per mapping, 2 MiB aligned, median of %d run%s\n",
	       opt.size >> 20, opt.size / page, opt.runs,
	       opt.runs > 1 ? "s" : "");
	printf("x memfd: the figure divided by memfd's (ns/page: lower is better, MB/s: higher)\n");
	printf("faults: minor faults for all %zu pages (getrusage, exact); fa: fault_around of simple or scull_core\n",
	       opt.size / page);
	printf("scullp1: scullp at order 9, %zu KiB quanta (the others: their defaults)\n\n",
	       (page << 9) >> 10);
	printf("%-8s %2s | %-26s | %-26s | %-14s | %-14s\n", "", "",
	       "mmap + read every page", "mmap + write every page",
	       "re-read mapped", "read()");
	printf("%-8s %2s | %8s %7s %9s | %8s %7s %9s | %6s %7s | %6s %7s\n",
	       "target", "fa", "ns/page", "x memfd", "faults", "ns/page",
	       "x memfd", "faults", "MB/s", "x memfd", "MB/s", "x memfd");
	for (i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		printf("%-8s %2s |", r->t.name, fa_label(&r->t));
		cell(r, rows, FIG_READ_TOUCH);
		printf(" %9.0f |", median(r->v[FIG_READ_FAULTS], (size_t)opt.runs));
		cell(r, rows, FIG_WRITE_TOUCH);
		printf(" %9.0f |", median(r->v[FIG_WRITE_FAULTS], (size_t)opt.runs));
		cell(r, rows, FIG_REREAD);
		printf(" |");
		cell(r, rows, FIG_READ);
		printf("\n");
	}
	printf("\n");
}

static void print_line(const char *fig, const char *target, const char *fa,
		       size_t size, size_t pages, const char *unit,
		       const double *v, double ratio)
{
	printf("bench figure=%s target=%s fault_around=%s size=%zu pages=%zu runs=%d unit=%s median=%.4g min=%.4g max=%.4g",
	       fig, target, fa, size, pages, opt.runs, unit,
	       median(v, (size_t)opt.runs), min_of(v, (size_t)opt.runs),
	       max_of(v, (size_t)opt.runs));
	if (ratio < 0)
		printf(" ratio=-\n");
	else
		printf(" ratio=%.4g\n", ratio);
}

static void print_lines(const struct row *rows, int n)
{
	int i, f;

	for (i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		for (f = 0; f < NR_FIGS; f++) {
			double rm = median(rows[0].v[f], (size_t)opt.runs);

			if (!r->has[f])
				continue;
			print_line(figs[f].name, r->t.name, fa_label(&r->t),
				   opt.size, opt.size / page, figs[f].unit,
				   r->v[f], rm > 0 ?
				   median(r->v[f], (size_t)opt.runs) / rm : -1);
		}
	}
}

static int bench_table(void)
{
	static struct row rows[16];
	int n = make_rows(rows), i, run, ret = -1;
	void *buf = malloc(READ_BUF);

	if (!buf) {
		fprintf(stderr, "mmap_bench: out of memory\n");
		return -1;
	}
	/* Keep read()'s buffer mapped: its faults are not read()'s cost. */
	memset(buf, 0, READ_BUF);
	/* A device measured with fault_around on and off is opened once. */
	for (i = 0; i < n; i++) {
		if (i && strcmp(rows[i].t.name, rows[i - 1].t.name) == 0)
			rows[i].t.fd = rows[i - 1].t.fd;
		else if (target_open(&rows[i].t, opt.size, 0))
			goto out;
	}
	/*
	 * Run -1 warms up and is overwritten: the first pass through a kernel
	 * path also fills caches and, under TCG, translates its code.
	 */
	for (run = -1; run < opt.runs; run++)
		for (i = 0; i < n; i++)
			if (measure_row(&rows[i], run < 0 ? 0 : run, buf))
				goto out;
	print_table(rows, n);
	print_lines(rows, n);
	fflush(stdout);
	ret = 0;
out:
	/* A device given an order gets its own back (bench_scale() uses it). */
	for (i = n - 1; i >= 0; i--)
		if (i == 0 || strcmp(rows[i].t.name, rows[i - 1].t.name) != 0)
			target_close(&rows[i].t, rows[i].t.order >= 0);
	free(buf);
	return ret;
}

/* Scaling: the devices 1..nscale of one scull module, one size each. */
static int bench_scale(const char *module)
{
	static double v[2][MAX_SCALE][MAX_RUNS], fl[2][MAX_SCALE][MAX_RUNS];
	struct target t[MAX_SCALE];
	size_t window = opt.scale[0], pages = window / page;
	int s, run, fa, order, qset, ret = -1, opened = 0;

	for (s = 0; s < opt.nscale; s++) {
		memset(&t[s], 0, sizeof(t[s]));
		snprintf(t[s].name, sizeof(t[s].name), "%s%d", module, s + 1);
		snprintf(t[s].path, sizeof(t[s].path), "/dev/%s%d", module,
			 s + 1);
		t[s].kind = TARGET_SCULL;
		t[s].fd = -1;
		t[s].order = -1;
	}
	order = target_order(&t[0]);
	if (order < 0)
		return -1;
	qset = (SCALE_SET_PAGES >> order) ? (SCALE_SET_PAGES >> order) : 1;
	for (s = 0; s < opt.nscale; s++, opened++)
		if (target_open(&t[s], opt.scale[s], qset))
			goto out;

	/*
	 * The last window of each device: where a list walk is longest. Run
	 * -1 warms up, as in bench_table().
	 */
	for (run = -1; run < opt.runs; run++)
		for (s = 0; s < opt.nscale; s++)
			for (fa = opt.fa_first; fa >= opt.fa_last; fa--) {
				struct touch_cost c;
				void *p;

				t[s].fault_around = fa;
				if (target_select(&t[s]))
					goto out;
				p = map_and_touch(t[s].name, t[s].fd,
						  (off_t)(opt.scale[s] - window),
						  window, false, &c);
				if (!p)
					goto out;
				munmap(p, window);
				v[fa][s][run < 0 ? 0 : run] =
					c.ns / (double)pages;
				fl[fa][s][run < 0 ? 0 : run] = (double)c.faults;
			}

	printf("scaling, %s: mmap + read every page of the last %zu KiB (%zu pages) of devices of",
	       module, window >> 10, pages);
	for (s = 0; s < opt.nscale; s++)
		printf(" %zu", opt.scale[s] >> 10);
	printf(" KiB\n(order %d, qset %d: %zu KiB per set, so", order, qset,
	       (page << order) * (size_t)qset >> 10);
	for (s = 0; s < opt.nscale; s++)
		printf(" %zu", opt.scale[s] / ((page << order) * (size_t)qset));
	printf(" sets), median of %d run%s\n", opt.runs, opt.runs > 1 ? "s" : "");
	printf("%-8s %2s |", "device", "fa");
	for (s = 0; s < opt.nscale; s++)
		printf(" %9zuK", opt.scale[s] >> 10);
	printf(" | largest/smallest | faults\n");
	for (fa = opt.fa_first; fa >= opt.fa_last; fa--) {
		printf("%-8s %2d |", module, fa);
		for (s = 0; s < opt.nscale; s++)
			printf(" %10.1f", median(v[fa][s], (size_t)opt.runs));
		printf(" | %16.2f |",
		       median(v[fa][opt.nscale - 1], (size_t)opt.runs) /
		       median(v[fa][0], (size_t)opt.runs));
		for (s = 0; s < opt.nscale; s++)
			printf(" %.0f", median(fl[fa][s], (size_t)opt.runs));
		printf("\n");
	}
	printf("(ns/page)\n\n");

	for (fa = opt.fa_first; fa >= opt.fa_last; fa--) {
		const char *fal = fa ? "1" : "0";
		double q = median(v[fa][opt.nscale - 1], (size_t)opt.runs) /
			   median(v[fa][0], (size_t)opt.runs);

		for (s = 0; s < opt.nscale; s++) {
			print_line("scale_read_touch", t[s].name, fal,
				   opt.scale[s], pages, "ns/page", v[fa][s],
				   -1);
			print_line("scale_read_touch_faults", t[s].name, fal,
				   opt.scale[s], pages, "faults", fl[fa][s],
				   -1);
		}
		printf("bench figure=scale_ratio target=%s fault_around=%s size=%zu pages=%zu runs=%d unit=x median=%.4g min=%.4g max=%.4g ratio=-\n",
		       module, fal, opt.scale[opt.nscale - 1], pages, opt.runs,
		       q, q, q);
	}
	fflush(stdout);
	ret = 0;
out:
	for (s = 0; s < opened; s++)
		target_close(&t[s], true);
	return ret;
}

int main(int argc, char **argv)
{
	int ret;

	parse_options(argc, argv);
	page = (size_t)sysconf(_SC_PAGESIZE);
	/* Without the switch only one fault-around value can be measured. */
	if (opt.fa_first != opt.fa_last && fault_around_unwritable()) {
		fprintf(stderr, "mmap_bench: cannot write %s: %s (run as root with simple and scull_core loaded)\n",
			fault_around_unwritable(), strerror(errno));
		return EXIT_SYSTEM;
	}
	fault_around_save();
	ret = bench_table();
	if (!ret && opt.nscale) {
		ret = bench_scale("scullp");
		if (!ret)
			ret = bench_scale("scullv");
	}
	fault_around_restore();
	return ret ? EXIT_SYSTEM : 0;
}
