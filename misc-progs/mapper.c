// SPDX-License-Identifier: GPL-2.0
/*
 * mapper - map part of a file (usually a device node) and dump it
 *
 * The book's tool (LDD3, 15.2.6): "mapper FILE OFFSET LENGTH" maps LENGTH
 * bytes of FILE from OFFSET, read-only and private, prints
 *	mapped "FILE" from OFFSET (0x%08lx) to END (0x%08lx)
 * on standard error and the raw bytes on standard output.
 *
 * Beyond the book: OFFSET need not be page aligned, a SIGBUS (a hole in
 * the device or a page past its end) is reported with the offset that
 * faulted instead of killing the program, and a few options (see usage()).
 *
 * Exit status: 0 success, 1 usage error, 2 system error, 3 SIGBUS.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

enum { EXIT_USAGE = 1, EXIT_SYSTEM = 2, EXIT_SIGBUS = 3 };

#define CHUNK ((size_t)64 * 1024)

static const char *prog = "mapper";

/* What to do, from the command line. */
static struct {
	bool shared, write, hex, touch;
} opt;

/* The mapping, global so the SIGBUS report can name a file offset. */
static const char *fname;
static unsigned char *map_base;	/* the whole mapping, page aligned */
static size_t map_len;
static long map_offset;		/* file offset of map_base (page aligned) */
static size_t skip;		/* map_base + skip is OFFSET */
static size_t length;		/* LENGTH */
static size_t page;
static bool is_regular;		/* FILE is a regular file */

/*
 * Set by the SIGBUS handler; read after siglongjmp, hence volatile.
 * bytes_out counts what already reached standard output, so a fault
 * after output began can say so instead of ending silently.
 */
static sigjmp_buf fault_env;
static void *volatile fault_addr;
static volatile unsigned long bytes_out;
static volatile bool writing_map;

static void usage_line(FILE *f)
{
	fprintf(f, "Usage: %s [OPTION]... FILE OFFSET LENGTH\n", prog);
}

static void help(void)
{
	usage_line(stdout);
	fputs("Map LENGTH bytes of FILE from OFFSET (read-only, private) and\n"
	      "write them to standard output. OFFSET and LENGTH are decimal,\n"
	      "0x-prefixed hexadecimal or 0-prefixed octal.\n"
	      "\n"
	      "  -s, --shared  use a shared mapping (MAP_SHARED) instead of a\n"
	      "                private one\n"
	      "  -w, --write   copy standard input into the mapping (at most\n"
	      "                LENGTH bytes) instead of dumping it; needs\n"
	      "                --shared, opens FILE read-write\n"
	      "  -x, --hex     dump in hexadecimal and ASCII (like hexdump -C,\n"
	      "                addresses are offsets in FILE)\n"
	      "  -t, --touch   fault in every page of the range and print the\n"
	      "                page faults it took (getrusage) instead of the data\n"
	      "  -h, --help    print this help and exit\n"
	      "\n"
	      "Exit status: 0 success, 1 usage error, 2 system error (open,\n"
	      "mmap, I/O), 3 SIGBUS (a hole or a page past the end of FILE).\n",
	      stdout);
}

static void __attribute__((noreturn)) usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void usage_error(const char *fmt, ...)
{
	if (fmt) {
		va_list ap;

		fprintf(stderr, "%s: ", prog);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	usage_line(stderr);
	fprintf(stderr, "Try '%s --help' for more information.\n", prog);
	exit(EXIT_USAGE);
}

static void __attribute__((noreturn)) sys_error(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(errno));
	exit(EXIT_SYSTEM);
}

/*
 * parse_number - the book's "%li", made strict
 * @name: OFFSET or LENGTH, for the message
 * @s: the argument
 *
 * Accepts what strtol(s, NULL, 0) accepts (decimal, 0x hex, 0 octal) but
 * refuses an empty string, trailing characters, negative values and
 * values that do not fit a long.
 */
static long parse_number(const char *name, const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (end == s)
		usage_error("%s \"%s\" is not a number", name, s);
	if (*end)
		usage_error("%s \"%s\" has trailing characters \"%s\"",
			    name, s, end);
	if (errno == ERANGE)
		usage_error("%s \"%s\" is too large", name, s);
	if (v < 0)
		usage_error("%s \"%s\" is negative", name, s);
	return v;
}

/*
 * A synchronous fault: siglongjmp out of the handler is well defined here
 * because the interrupted code is our own loop, never a libc function
 * holding a lock (memcpy and the byte loops touch only the mapping).
 */
static void __attribute__((noreturn))
on_sigbus(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)ctx;
	fault_addr = si->si_addr;
	siglongjmp(fault_env, 1);
}

static void report_sigbus(void)
{
	unsigned char *a = fault_addr;
	long off = map_offset + (long)(a - map_base);

	fprintf(stderr,
		"%s: \"%s\": bus error (SIGBUS) %s offset %ld (0x%08lx): "
		"no page there (a hole, or past the end of the file)\n",
		prog, fname, writing_map ? "writing" : "reading", off,
		(unsigned long)off);
	if (bytes_out)
		fprintf(stderr,
			"%s: the output is incomplete: only the first %lu bytes were written\n",
			prog, bytes_out);
}

static void write_all(const unsigned char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(STDOUT_FILENO, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			sys_error("write to standard output");
		}
		buf += n;
		len -= (size_t)n;
		bytes_out += (unsigned long)n;
	}
}

/*
 * touch_pages - read one byte of every page of [p, p + len)
 *
 * Faults the range in before anything is written, so a hole or the end of
 * the device is found (SIGBUS) while standard output is still empty.
 */
static void touch_pages(const unsigned char *p, size_t len)
{
	const volatile unsigned char *v = p;
	size_t i = 0;

	while (i < len) {
		(void)v[i];
		i += page - ((uintptr_t)(p + i) & (page - 1));
	}
}

/*
 * The data goes through a buffer rather than straight from the mapping to
 * write(2): a fault inside write(2) is an EFAULT from the kernel, not a
 * SIGBUS, and could not name the offset.
 */
static void dump_raw(const unsigned char *p, size_t len)
{
	static unsigned char buf[CHUNK];

	while (len) {
		size_t n = len < CHUNK ? len : CHUNK;

		memcpy(buf, p, n);
		write_all(buf, n);
		p += n;
		len -= n;
	}
}

/* One line of hexdump -C: "%08lx  xx xx ... xx  xx ... xx  |ascii|". */
static int hex_line(char *out, unsigned long addr,
		    const unsigned char *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	int len = snprintf(out, 20, "%08lx ", addr);
	size_t i;

	for (i = 0; i < 16; i++) {
		if (i == 8)
			out[len++] = ' ';
		out[len++] = ' ';
		if (i < n) {
			out[len++] = digits[b[i] >> 4];
			out[len++] = digits[b[i] & 15];
		} else {
			out[len++] = ' ';
			out[len++] = ' ';
		}
	}
	out[len++] = ' ';
	out[len++] = ' ';
	out[len++] = '|';
	for (i = 0; i < n; i++)
		out[len++] = (char)(b[i] >= 0x20 && b[i] < 0x7f ? b[i] : '.');
	out[len++] = '|';
	out[len++] = '\n';
	return len;
}

/*
 * dump_hex - hexdump -C format, identical lines folded into "*"
 * @p: first byte, at file offset @off
 * @len: bytes to dump
 */
static void dump_hex(const unsigned char *p, size_t len, unsigned long off)
{
	unsigned char prev[16], cur[16];
	char line[100];
	bool have_prev = false, starred = false;
	size_t i, n;

	for (i = 0; i < len; i += n) {
		n = len - i;
		if (n > 16)
			n = 16;
		memcpy(cur, p + i, n);
		if (have_prev && n == 16 && !memcmp(prev, cur, 16)) {
			if (!starred)
				write_all((const unsigned char *)"*\n", 2);
			starred = true;
			continue;
		}
		starred = false;
		memcpy(prev, cur, n);
		have_prev = n == 16;
		write_all((unsigned char *)line,
			  (size_t)hex_line(line, off + i, cur, n));
	}
	write_all((unsigned char *)line, (size_t)snprintf(line, sizeof(line),
		  "%08lx\n", off + (unsigned long)len));
}

/* copy_stdin - read standard input into [p, p + len); returns bytes copied */
static size_t copy_stdin(unsigned char *p, size_t len)
{
	static unsigned char buf[CHUNK];
	size_t done = 0;

	while (done < len) {
		size_t want = len - done < CHUNK ? len - done : CHUNK;
		ssize_t n = read(STDIN_FILENO, buf, want);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			sys_error("read from standard input");
		}
		if (n == 0)
			break;
		writing_map = true;
		memcpy(p + done, buf, (size_t)n);
		writing_map = false;
		done += (size_t)n;
	}
	return done;
}

/*
 * access_mapping - do the job on the mapping, SIGBUS caught
 *
 * Every access to the mapping happens below sigsetjmp(); the handler
 * jumps back here, and the report names the offset from si_addr.
 * Returns the exit status.
 */
static int access_mapping(void)
{
	struct sigaction sa = {
		.sa_sigaction = on_sigbus,
		.sa_flags = SA_SIGINFO,
	};
	/*
	 * ru0 is zeroed before the first call: were its page not yet written
	 * (a new stack page), getrusage() would take that fault after reading
	 * the count, and the difference would have one fault more.
	 */
	struct rusage ru0 = { 0 }, ru1;
	size_t n;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) < 0)
		sys_error("sigaction(SIGBUS)");
	if (sigsetjmp(fault_env, 1)) {
		report_sigbus();
		return EXIT_SIGBUS;
	}

	if (getrusage(RUSAGE_SELF, &ru0) < 0)
		sys_error("getrusage");
	touch_pages(map_base + skip, length);
	if (getrusage(RUSAGE_SELF, &ru1) < 0)
		sys_error("getrusage");

	if (opt.touch) {
		printf("touched %zu pages: %ld minor faults, %ld major faults\n",
		       (map_len + page - 1) / page,
		       ru1.ru_minflt - ru0.ru_minflt,
		       ru1.ru_majflt - ru0.ru_majflt);
		if (fflush(stdout) == EOF)
			sys_error("write to standard output");
	} else if (opt.write) {
		n = copy_stdin(map_base + skip, length);
		/* Char devices have no fsync: msync would fail with EINVAL. */
		if (is_regular && msync(map_base, map_len, MS_SYNC) < 0)
			sys_error("msync");
		fprintf(stderr, "wrote %zu bytes from standard input at offset %ld\n",
			n, map_offset + (long)skip);
	} else if (opt.hex) {
		dump_hex(map_base + skip, length,
			 (unsigned long)map_offset + skip);
	} else {
		dump_raw(map_base + skip, length);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "shared", no_argument, NULL, 's' },
		{ "write", no_argument, NULL, 'w' },
		{ "hex", no_argument, NULL, 'x' },
		{ "touch", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct stat st;
	long offset, len, pagesize;
	void *addr;
	int c, fd, status;

	if (argv[0] && *argv[0]) {
		prog = strrchr(argv[0], '/');
		prog = prog ? prog + 1 : argv[0];
		argv[0] = (char *)prog;	/* getopt's messages use argv[0] */
	}
	while ((c = getopt_long(argc, argv, "swxth", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			opt.shared = true;
			break;
		case 'w':
			opt.write = true;
			break;
		case 'x':
			opt.hex = true;
			break;
		case 't':
			opt.touch = true;
			break;
		case 'h':
			help();
			return 0;
		default:
			/* getopt took "-5" for an option: say what it was. */
			if (optopt >= '0' && optopt <= '9')
				usage_error("OFFSET and LENGTH must not be negative");
			usage_error(NULL);
		}
	}
	if (argc - optind != 3)
		usage_error("expected FILE OFFSET LENGTH, got %d argument%s",
			    argc - optind, argc - optind == 1 ? "" : "s");
	if (opt.write && !opt.shared)
		usage_error("--write needs --shared (a private mapping is never written back)");
	if ((int)opt.write + (int)opt.hex + (int)opt.touch > 1)
		usage_error("--write, --hex and --touch exclude each other");

	fname = argv[optind];
	offset = parse_number("OFFSET", argv[optind + 1]);
	len = parse_number("LENGTH", argv[optind + 2]);
	if (len == 0)
		usage_error("LENGTH must not be 0");
	if (offset > LONG_MAX - len)
		usage_error("OFFSET + LENGTH (%s + %s) is too large",
			    argv[optind + 1], argv[optind + 2]);

	pagesize = sysconf(_SC_PAGESIZE);
	if (pagesize <= 0)
		sys_error("sysconf(_SC_PAGESIZE)");
	page = (size_t)pagesize;
	/* mmap needs a page-aligned offset: map from the page below, skip. */
	map_offset = offset & ~(pagesize - 1);
	skip = (size_t)(offset - map_offset);
	length = (size_t)len;
	if (length > SIZE_MAX - skip)
		usage_error("LENGTH %ld is too large for this machine", len);
	map_len = skip + length;

	fd = open(fname, opt.write ? O_RDWR : O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "%s: cannot open \"%s\": %s\n",
			prog, fname, strerror(errno));
		return EXIT_SYSTEM;
	}
	if (fstat(fd, &st) < 0)
		sys_error("fstat");
	is_regular = S_ISREG(st.st_mode);
	addr = mmap(NULL, map_len, PROT_READ | (opt.write ? PROT_WRITE : 0),
		    opt.shared ? MAP_SHARED : MAP_PRIVATE, fd,
		    (off_t)map_offset);
	if (addr == MAP_FAILED) {
		fprintf(stderr,
			"%s: cannot map \"%s\" (%zu bytes from offset %ld, %s, %s): %s\n",
			prog, fname, map_len, map_offset,
			opt.shared ? "shared" : "private",
			opt.write ? "read-write" : "read-only", strerror(errno));
		return EXIT_SYSTEM;
	}
	close(fd);	/* the mapping holds its own reference to the file */
	map_base = addr;

	fprintf(stderr, "mapped \"%s\" from %ld (0x%08lx) to %ld (0x%08lx)\n",
		fname, offset, (unsigned long)offset,
		offset + len, (unsigned long)(offset + len));

	status = access_mapping();
	if (munmap(map_base, map_len) < 0)
		sys_error("munmap");
	return status;
}
