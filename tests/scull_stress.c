// SPDX-License-Identifier: GPL-2.0
/*
 * Seeded stress of scullp, scullv and simple: LDD3_STRESS_PROCS (8)
 * processes at once for LDD3_STRESS_SECONDS (12 s in the suite; `make
 * stress` runs 60), every byte they see checked against a model.
 *
 * Each process owns a slot of /dev/scullp0, /dev/scullv0 and simple's
 * buffer (through /dev/simpler and /dev/simplen alike; 64 pages, or its
 * share of simple's buffer if less): nobody else writes there, so its
 * model of those bytes is exact.
 * Processes 0..5 also own one whole device each (scullp1..3, scullv1..3),
 * which they truncate (write-only open), reshape (order and qset ioctls)
 * and fill with holes. Every process also maps and reads the others' slots
 * and devices without checking them, and keeps such a mapping for a while:
 * an owner's truncation or geometry change then meets a mapped device and
 * must be refused as a whole (EBUSY, data kept), which its model follows.
 *
 * Operations, drawn at random: write() and read() at random offsets and
 * lengths, through pwrite/pread or lseek(SET/CUR/END) + write/read, from and
 * into local buffers or buffers that are themselves mappings of another
 * device; mmap at random offsets and lengths, writes through the mapping,
 * partial munmap and mprotect splits; mremap moves, growth (EFAULT on
 * simpler), shrinking and MREMAP_DONTUNMAP; MAP_PRIVATE writes (copy on
 * write; EINVAL on simpler); fork with a child writing through inherited
 * mappings, fork + exec of mapper checking the device from a new program;
 * short write() from a buffer whose tail is unmapped; on owned devices,
 * SIGBUS exactly on holes and past the end, also after mremap growth.
 *
 * At the end: every process exited cleanly, the devices hold what the
 * models say (read back by the parent), no VMA is left (/proc/scull*mem,
 * simple's mappings), memory comes back (after dropping caches, free
 * pages counting the per-CPU lists within 4 MiB of the start, and Slab
 * within 8 MiB; MemAvailable is printed, but it leaves out the per-CPU
 * lists, which swing by megabytes), and every module unloads.
 *
 * The seed is printed; LDD3_STRESS_SEED=N replays each process's sequence
 * of operations (whether the kernel refuses one of them with EBUSY depends
 * on timing); LDD3_STRESS_OPS=N bounds each process by operations instead
 * of time. A failure names the process, the operation number and the seed.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "probe.h"
#include "scull_ioctl.h"

#define MAX_PROCS	16
#define SLOT_PAGES	64		/* per process, on scullp0 and scullv0 */
#define OWNED_DEVS	6		/* scullp1..3, scullv1..3 */
#define OWN_MAX		((size_t)768 << 10)	/* bytes an owned device may hold */
#define OWN_QUANTA	(OWN_MAX / 4096 + 2)
#define MAX_IO		((size_t)64 << 10)
/* What may be missing at the end, in kB: noise, not a lost quantum set. */
#define FREE_TOLERANCE_KB	(4 * 1024)
#define SLAB_TOLERANCE_KB	(8 * 1024)

/* MREMAP_DONTUNMAP (5.7) is missing from older C libraries. */
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

enum { A_SCULLP, A_SCULLV, A_SIMPLE, NR_AREAS };

static const char *const area_node[NR_AREAS] = {
	"/dev/scullp0", "/dev/scullv0", "/dev/simpler",
};

static const char *const owned_node[OWNED_DEVS] = {
	"/dev/scullp1", "/dev/scullp2", "/dev/scullp3",
	"/dev/scullv1", "/dev/scullv2", "/dev/scullv3",
};

enum op {
	OP_WRITE, OP_READ, OP_MAP, OP_MREMAP, OP_PRIVATE, OP_FORK, OP_EXEC,
	OP_FOREIGN, OP_OWN_WRITE, OP_OWN_SHORT, OP_OWN_TRUNC, OP_OWN_GEOM,
	OP_OWN_CHECK, OP_OWN_FORK, NR_OPS
};

static const char *const op_name[NR_OPS] = {
	"write", "read", "map", "mremap", "private", "fork", "exec",
	"foreign", "own-write", "short-write", "truncate", "geometry",
	"own-check", "own-fork",
};

/* What a process reports to the parent (shared anonymous memory). */
struct report {
	unsigned long ops[NR_OPS];
	uint64_t hash[NR_AREAS];	/* of its model of each slot */
	uint64_t own_hash;		/* of its owned device, [0, size) */
	long own_size;
	unsigned long trunc_refused, geom_busy, foreign_sigbus;
	int finished;
};

/* An owned device: bytes, size, geometry, and which quanta exist. */
enum { Q_NO, Q_YES, Q_MAYBE };
struct owned {
	const char *node;
	uint8_t *model;			/* OWN_MAX bytes + slack */
	size_t size;
	int order, qset;
	uint8_t quanta[OWN_QUANTA];	/* Q_NO, Q_YES, Q_MAYBE */
};

/* The state of one process. */
static struct {
	int me;
	uint64_t seed, rng;
	unsigned long opno;
	long page;
	size_t slot;			/* bytes of each slot */
	size_t simple_size;
	int procs;
	uint8_t *model[NR_AREAS];	/* of its own slots */
	struct owned own;		/* .node NULL: owns no device */
	struct report *rep;
	void *held;			/* a foreign mapping kept a while */
	size_t held_len;
	int held_ops;
	bool dontunmap;			/* kernel 5.13+ */
} S;

/* xorshift64*: small, fast, and the same sequence everywhere. */
static uint64_t rnd(void)
{
	S.rng ^= S.rng >> 12;
	S.rng ^= S.rng << 25;
	S.rng ^= S.rng >> 27;
	return S.rng * 0x2545f4914f6cdd1dULL;
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static void fill_random(uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(rnd() >> 56);
}

static uint64_t hash(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

/* Report what went wrong, where, and how to replay it; end the process. */
#define fail(...) do {							\
	fflush(stdout);							\
	fprintf(stderr, "# process %d, operation %lu (seed %llu): ",	\
		S.me, S.opno, (unsigned long long)S.seed);		\
	fprintf(stderr, __VA_ARGS__);					\
	fputc('\n', stderr);						\
	_exit(1);							\
} while (0)

/* SIGBUS where the model expects one: probe() catches it, else it kills. */
static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_armed;

static void on_sigbus(int sig)
{
	if (!bus_armed) {
		signal(sig, SIG_DFL);	/* unexpected: die of it on return */
		return;
	}
	bus_armed = 0;
	siglongjmp(bus_jmp, 1);
}

/* Read *p; return 0, or SIGBUS if that raised one. */
static int probe(const volatile uint8_t *p, uint8_t *val)
{
	if (sigsetjmp(bus_jmp, 1))
		return SIGBUS;
	bus_armed = 1;
	*val = *p;
	bus_armed = 0;
	return 0;
}

static void expect_same(const uint8_t *got, const uint8_t *want, size_t n,
			const char *what, const char *node, long off)
{
	size_t i;

	if (!memcmp(got, want, n))
		return;
	for (i = 0; got[i] == want[i]; i++)
		;
	fail("%s: %s offset %ld holds %#x, the model says %#x", what, node,
	     off + (long)i, got[i], want[i]);
}

static int xopen(const char *node, int flags)
{
	int fd = open(node, flags);

	if (fd < 0)
		fail("open %s: %s", node, strerror(errno));
	return fd;
}

static void *xmmap(size_t len, int prot, int flags, int fd, long off,
		   const char *node)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	if (p == MAP_FAILED)
		fail("mmap %s offset %ld length %zu: %s", node, off, len,
		     strerror(errno));
	return p;
}

static void xmunmap(void *p, size_t len)
{
	if (munmap(p, len))
		fail("munmap: %s", strerror(errno));
}

/* simple's buffer is reached through either of its nodes. */
static const char *node_of(int a)
{
	if (a == A_SIMPLE && (rnd() & 1))
		return "/dev/simplen";
	return area_node[a];
}

static long my_off(void)
{
	return (long)(S.me * S.slot);
}

/* Size of the device or buffer an area lives in (for SEEK_END). */
static long area_dev_size(int a)
{
	return a == A_SIMPLE ? (long)S.simple_size : (long)(S.procs * S.slot);
}

/*
 * Position @fd at @pos with one of SEEK_SET, SEEK_CUR (from a first seek
 * elsewhere) and SEEK_END; check what lseek() returns.
 */
static void seek_to(int fd, long pos, long dev_size, const char *node)
{
	long r, first = (long)below(dev_size);

	switch (below(3)) {
	case 0:
		r = lseek(fd, pos, SEEK_SET);
		break;
	case 1:
		if (lseek(fd, first, SEEK_SET) != first)
			fail("lseek %s to %ld: %s", node, first, strerror(errno));
		r = lseek(fd, pos - first, SEEK_CUR);
		break;
	default:
		r = lseek(fd, pos - dev_size, SEEK_END);
		break;
	}
	if (r != pos)
		fail("lseek %s to %ld returned %ld (%s)", node, pos, r,
		     r < 0 ? strerror(errno) : "wrong position");
}

/* Map the whole of own slot @b shared, read-write. */
static uint8_t *map_slot(int b, int *fdp)
{
	const char *node = node_of(b);

	*fdp = xopen(node, O_RDWR);
	return xmmap(S.slot, PROT_READ | PROT_WRITE, MAP_SHARED, *fdp,
		     my_off(), node);
}

/* A random sub-range [*off, *off + *len) of a slot, 1..max bytes. */
static void sub_range(size_t max, size_t *off, size_t *len)
{
	*off = below(S.slot);
	*len = 1 + below(S.slot - *off < max ? S.slot - *off : max);
}

/* A random page-aligned sub-range of a slot, in pages. */
static void page_range(size_t *pg, size_t *np)
{
	size_t pages = S.slot / S.page;

	*pg = below(pages);
	*np = 1 + below(pages - *pg);
}

/*
 * write() @len bytes at a random place of a random own slot, from a local
 * buffer or from a mapping of another own slot, then read back a random
 * range into a local buffer or a mapping of another own slot.
 */
static void op_write_read(bool read_only)
{
	int a = (int)below(NR_AREAS), b = (int)((a + 1 + below(NR_AREAS - 1)) % NR_AREAS);
	bool via_map = rnd() & 1, positional = rnd() & 1;
	const char *node = node_of(a);
	uint8_t *buf = NULL, *map = NULL, *src, *src_model;
	size_t off, len, boff;
	int fd, mfd = -1;
	ssize_t n;

	sub_range(MAX_IO, &off, &len);
	boff = below(S.slot - len + 1);
	fd = xopen(node, O_RDWR);
	if (via_map) {
		map = map_slot(b, &mfd);
		src = map + boff;
		src_model = S.model[b] + boff;
	} else {
		buf = malloc(len);
		if (!buf)
			fail("out of memory");
		fill_random(buf, len);
		src = buf;
		src_model = buf;
	}

	if (!read_only) {
		if (positional) {
			n = pwrite(fd, src, len, my_off() + (long)off);
		} else {
			seek_to(fd, my_off() + (long)off, area_dev_size(a), node);
			n = write(fd, src, len);
		}
		if (n != (ssize_t)len)
			fail("write %zu bytes to %s at %ld%s returned %zd (%s)",
			     len, node, my_off() + (long)off,
			     via_map ? " from a mapping" : "", n,
			     n < 0 ? strerror(errno) : "short");
		memmove(S.model[a] + off, src_model, len);
	} else {
		/* read() into the buffer: the mapping's model follows. */
		if (positional) {
			n = pread(fd, src, len, my_off() + (long)off);
		} else {
			seek_to(fd, my_off() + (long)off, area_dev_size(a), node);
			n = read(fd, src, len);
		}
		if (n != (ssize_t)len)
			fail("read %zu bytes of %s at %ld%s returned %zd (%s)",
			     len, node, my_off() + (long)off,
			     via_map ? " into a mapping" : "", n,
			     n < 0 ? strerror(errno) : "short");
		expect_same(src, S.model[a] + off, len, "read()", node,
			    my_off() + (long)off);
		if (via_map)
			memcpy(src_model, S.model[a] + off, len);
	}
	if (map) {
		xmunmap(map, S.slot);
		close(mfd);
	}
	free(buf);
	close(fd);
}

/*
 * mmap a random page range of an own slot shared, check it, write through
 * it, split it with a partial munmap and a partial mprotect, check what is
 * left, unmap.
 */
static void op_map(void)
{
	int a = (int)below(NR_AREAS);
	const char *node = node_of(a);
	size_t pg, np, i, len;
	long off;
	uint8_t *map;
	int fd;

	page_range(&pg, &np);
	len = np * S.page;
	off = my_off() + (long)(pg * S.page);
	fd = xopen(node, O_RDWR);
	map = xmmap(len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off, node);
	close(fd);	/* the mapping keeps the file */
	expect_same(map, S.model[a] + pg * S.page, len, "mapping", node, off);
	for (i = below(16); i > 0; i--) {
		size_t at = below(len);

		map[at] = (uint8_t)rnd();
		S.model[a][pg * S.page + at] = map[at];
	}
	if (np >= 3) {
		/* Punch a hole: two VMAs remain. */
		size_t cut = 1 + below(np - 2);
		size_t cutn = 1 + below(np - 1 - cut);

		xmunmap(map + cut * S.page, cutn * S.page);
		/* Read-only tail of the first part: one more split. */
		if (mprotect(map, cut * S.page, PROT_READ))
			fail("mprotect %s: %s", node, strerror(errno));
		if (cut > 1 && mprotect(map + S.page, S.page,
					PROT_READ | PROT_WRITE))
			fail("mprotect %s: %s", node, strerror(errno));
		expect_same(map, S.model[a] + pg * S.page, cut * S.page,
			    "split mapping (head)", node, off);
		i = cut + cutn;
		expect_same(map + i * S.page, S.model[a] + (pg + i) * S.page,
			    (np - i) * S.page, "split mapping (tail)", node,
			    off + (long)(i * S.page));
		map[i * S.page] ^= 0x5a;
		S.model[a][(pg + i) * S.page] ^= 0x5a;
	}
	xmunmap(map, len);
}

/*
 * mremap: move a mapping of an own slot, grow it (refused with EFAULT on
 * simpler, whose VMA is VM_DONTEXPAND), keep the old range with
 * MREMAP_DONTUNMAP, shrink it; check the bytes after every step.
 */
static void op_mremap(void)
{
	int a = (int)below(NR_AREAS), fd;
	const char *node = node_of(a);
	bool pfn = !strcmp(node, "/dev/simpler");
	size_t pages = S.slot / S.page, np = 1 + below(pages / 2);
	size_t pg = below(pages - 2 * np + 1), len = np * S.page;
	const uint8_t *want = S.model[a] + pg * S.page;
	long off = my_off() + (long)(pg * S.page);
	uint8_t *map, *dst, *m;

	fd = xopen(node, O_RDWR);
	map = xmmap(len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off, node);
	close(fd);
	dst = xmmap(2 * len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0,
		    "anonymous memory");
	m = mremap(map, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	if (m != dst)
		fail("mremap move of %s: %s", node, strerror(errno));
	expect_same(m, want, len, "moved mapping", node, off);

	map = mremap(m, len, 2 * len, MREMAP_MAYMOVE);
	if (pfn) {
		if (map != MAP_FAILED || errno != EFAULT)
			fail("mremap growth of simpler: expected EFAULT, got %s",
			     map == MAP_FAILED ? strerror(errno) : "success");
		map = m;
		expect_same(map, want, len, "mapping after refused growth",
			    node, off);
	} else {
		uint8_t *kept;

		if (map == MAP_FAILED)
			fail("mremap growth of %s: %s", node, strerror(errno));
		expect_same(map, want, 2 * len, "grown mapping", node, off);
		map[2 * len - 1] = (uint8_t)rnd();
		S.model[a][pg * S.page + 2 * len - 1] = map[2 * len - 1];
		len *= 2;
		/* Keep the old range: it refaults from the device. */
		kept = mremap(map, len, len, MREMAP_MAYMOVE | MREMAP_DONTUNMAP,
			      NULL);
		if (kept != MAP_FAILED) {
			expect_same(kept, want, len, "MREMAP_DONTUNMAP target",
				    node, off);
			expect_same(map, want, len, "MREMAP_DONTUNMAP source",
				    node, off);
			xmunmap(kept, len);
		} else if (errno != EINVAL || S.dontunmap) {
			/* Shared mappings since 5.13, EINVAL before. */
			fail("MREMAP_DONTUNMAP of %s: %s", node,
			     strerror(errno));
		}
	}
	/* Shrink in place. */
	if (len >= 2 * (size_t)S.page) {
		m = mremap(map, len, len / 2 / S.page * S.page, 0);
		if (m != map)
			fail("mremap shrink of %s: %s", node, strerror(errno));
		len = len / 2 / S.page * S.page;
		expect_same(m, want, len, "shrunk mapping", node, off);
	}
	xmunmap(map, len);
	xmunmap(dst, 2 * (size_t)(np * S.page));
}

/*
 * MAP_PRIVATE: writes are copied on write and never reach the device.
 * simpler (VM_PFNMAP) refuses a writable private mapping (EINVAL) and a
 * read-only one cannot become writable (EACCES).
 */
static void op_private(void)
{
	int a = (int)below(NR_AREAS), fd;
	const char *node = node_of(a);
	size_t pg, np, len, i;
	long off;
	uint8_t *map, *copy, *back;

	page_range(&pg, &np);
	len = np * S.page;
	off = my_off() + (long)(pg * S.page);
	fd = xopen(node, O_RDWR);
	if (!strcmp(node, "/dev/simpler")) {
		map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd,
			   off);
		if (map != MAP_FAILED || errno != EINVAL)
			fail("writable MAP_PRIVATE of simpler: expected EINVAL, got %s",
			     map == MAP_FAILED ? strerror(errno) : "success");
		map = xmmap(len, PROT_READ, MAP_PRIVATE, fd, off, node);
		expect_same(map, S.model[a] + pg * S.page, len,
			    "private mapping", node, off);
		if (!mprotect(map, len, PROT_READ | PROT_WRITE) ||
		    errno != EACCES)
			fail("mprotect(PROT_WRITE) of a private simpler mapping: expected EACCES");
		xmunmap(map, len);
		close(fd);
		return;
	}
	map = xmmap(len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, off, node);
	copy = malloc(len);
	back = malloc(len);
	if (!copy || !back)
		fail("out of memory");
	memcpy(copy, S.model[a] + pg * S.page, len);
	for (i = 1 + below(16); i > 0; i--) {
		size_t at = below(len);

		map[at] = (uint8_t)rnd();
		copy[at] = map[at];
	}
	expect_same(map, copy, len, "private mapping after writes", node, off);
	if (pread(fd, back, len, off) != (ssize_t)len)
		fail("pread %s: %s", node, strerror(errno));
	expect_same(back, S.model[a] + pg * S.page, len,
		    "device under a written private mapping", node, off);
	xmunmap(map, len);
	free(copy);
	free(back);
	close(fd);
}

static void wait_child(pid_t pid, const char *what, int want)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		fail("waitpid: %s", strerror(errno));
	if (WIFSIGNALED(status))
		fail("%s: killed by signal %d", what, WTERMSIG(status));
	if (WEXITSTATUS(status) != want)
		fail("%s: exit status %d, expected %d", what,
		     WEXITSTATUS(status), want);
}

/*
 * fork: the child writes through the inherited shared mapping and, with
 * pwrite(), into another own slot, unmaps part of the mapping and exits
 * without unmapping the rest. The parent checks both through its own view.
 */
static void op_fork(void)
{
	int a = (int)below(NR_AREAS), b = (int)((a + 1) % NR_AREAS);
	int fd, bfd;
	const char *node = node_of(a), *bnode = node_of(b);
	size_t pg, np, len, boff, blen, i, n = 1 + below(32);
	size_t at[32];
	uint8_t val[32], *map, *patch;
	long off;
	pid_t pid;

	page_range(&pg, &np);
	len = np * S.page;
	off = my_off() + (long)(pg * S.page);
	sub_range(4096, &boff, &blen);
	patch = malloc(blen);
	if (!patch)
		fail("out of memory");
	fill_random(patch, blen);
	for (i = 0; i < n; i++) {
		at[i] = below(len);
		val[i] = (uint8_t)rnd();
	}
	fd = xopen(node, O_RDWR);
	bfd = xopen(bnode, O_RDWR);
	map = xmmap(len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off, node);
	pid = fork();
	if (pid < 0)
		fail("fork: %s", strerror(errno));
	if (pid == 0) {
		for (i = 0; i < n; i++)
			map[at[i]] = val[i];
		if (pwrite(bfd, patch, blen, my_off() + (long)boff) !=
		    (ssize_t)blen)
			_exit(2);
		if (np > 1)
			munmap(map, S.page);
		_exit(0);
	}
	wait_child(pid, "forked writer", 0);
	for (i = 0; i < n; i++)
		S.model[a][pg * S.page + at[i]] = val[i];
	memcpy(S.model[b] + boff, patch, blen);
	expect_same(map, S.model[a] + pg * S.page, len,
		    "mapping after the child's writes", node, off);
	xmunmap(map, len);
	free(patch);
	close(fd);
	close(bfd);
}

/*
 * fork + exec: mapper, a new program, maps the same range (private or
 * shared) and prints it; the parent keeps its own mapping meanwhile (the
 * exec drops the child's inherited copy).
 */
static void op_exec(void)
{
	int a = (int)below(NR_AREAS), fd, pfd[2];
	const char *node = node_of(a);
	size_t off, len, got = 0;
	char offs[32], lens[32];
	bool shared = rnd() & 1;
	uint8_t *map, *out;
	ssize_t r;
	pid_t pid;

	sub_range(MAX_IO, &off, &len);
	fd = xopen(node, O_RDWR);
	map = xmmap(S.slot, PROT_READ, MAP_SHARED, fd, my_off(), node);
	out = malloc(len);
	if (!out || pipe(pfd))
		fail("out of memory or pipes");
	snprintf(offs, sizeof(offs), "%ld", my_off() + (long)off);
	snprintf(lens, sizeof(lens), "%zu", len);
	pid = fork();
	if (pid < 0)
		fail("fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		if (!freopen("/dev/null", "w", stderr))
			_exit(126);
		if (shared)
			execlp("mapper", "mapper", "--shared", node, offs, lens,
			       (char *)NULL);
		else
			execlp("mapper", "mapper", node, offs, lens,
			       (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	while (got < len && (r = read(pfd[0], out + got, len - got)) > 0)
		got += r;
	close(pfd[0]);
	wait_child(pid, "mapper (fork + exec)", 0);
	if (got != len)
		fail("mapper %s %s %s printed %zu bytes", node, offs, lens, got);
	expect_same(out, S.model[a] + off, len, "mapper's output", node,
		    my_off() + (long)off);
	expect_same(map + off, S.model[a] + off, len, "parent's mapping",
		    node, my_off() + (long)off);
	xmunmap(map, S.slot);
	free(out);
	close(fd);
}

/*
 * Read-only look at memory this process does not own: another process's
 * slot, or an owned device (holes and the end raise SIGBUS, counted). The
 * mapping is sometimes kept for a few operations, so that an owner's
 * truncation or geometry change meets a mapped device.
 */
static void op_foreign(void)
{
	const char *node;
	size_t pages, pg, np, i;
	long base = 0;
	uint8_t v, buf[512];
	int fd;

	if (S.held) {
		if (--S.held_ops > 0)
			return;
		xmunmap(S.held, S.held_len);
		S.held = NULL;
	}
	if (rnd() & 1) {
		int a = (int)below(NR_AREAS);

		node = node_of(a);
		pages = S.slot / S.page;
		base = (long)(below(S.procs) * S.slot);
	} else {
		node = owned_node[below(OWNED_DEVS)];
		pages = OWN_MAX / (size_t)S.page;
	}
	pg = below(pages);
	np = 1 + below(pages - pg < 32 ? pages - pg : 32);
	fd = xopen(node, O_RDONLY);
	S.held = xmmap(np * S.page, PROT_READ, MAP_SHARED, fd,
		       base + (long)(pg * S.page), node);
	S.held_len = np * S.page;
	for (i = 0; i < np; i += 1 + below(4))
		if (probe((uint8_t *)S.held + i * S.page, &v))
			S.rep->foreign_sigbus++;
	if (pread(fd, buf, sizeof(buf), base + (long)(pg * S.page)) < 0)
		fail("pread %s: %s", node, strerror(errno));
	close(fd);
	S.held_ops = (int)below(8);
	if (!S.held_ops) {
		xmunmap(S.held, S.held_len);
		S.held = NULL;
	}
}

/* ---- the owned device ---- */

static size_t own_quantum(void)
{
	return (size_t)S.page << S.own.order;
}

static void own_mark(size_t from, size_t to, uint8_t state)
{
	size_t q;

	for (q = from / own_quantum(); q <= to / own_quantum() &&
	     q < OWN_QUANTA; q++)
		if (S.own.quanta[q] != Q_YES)
			S.own.quanta[q] = state;
}

static void own_reset(void)
{
	memset(S.own.model, 0, OWN_MAX + 2 * S.page);
	memset(S.own.quanta, Q_NO, sizeof(S.own.quanta));
	S.own.size = 0;
}

static void op_own_write(void)
{
	size_t off = below(OWN_MAX - 1), len;
	bool positional = rnd() & 1;
	uint8_t *buf;
	ssize_t n;
	int fd;

	len = 1 + below(OWN_MAX - off < MAX_IO ? OWN_MAX - off : MAX_IO);
	buf = malloc(len);
	if (!buf)
		fail("out of memory");
	fill_random(buf, len);
	fd = xopen(S.own.node, O_RDWR);
	if (positional) {
		n = pwrite(fd, buf, len, (long)off);
	} else {
		seek_to(fd, (long)off, (long)S.own.size, S.own.node);
		n = write(fd, buf, len);
	}
	if (n != (ssize_t)len)
		fail("write %zu bytes to %s at %zu returned %zd (%s)", len,
		     S.own.node, off, n, n < 0 ? strerror(errno) : "short");
	memcpy(S.own.model + off, buf, len);
	own_mark(off, off + len - 1, Q_YES);
	if (off + len > S.own.size)
		S.own.size = off + len;
	free(buf);
	close(fd);
}

/*
 * write() from a buffer whose tail is unmapped: the bytes before the hole
 * are written and counted, the device bytes after them stay as they were
 * (the quantum the copy stopped in has been allocated).
 */
static void op_own_short(void)
{
	size_t good = 1 + below(2 * S.page - 1), want = good + 1 + below(S.page);
	size_t off = below(OWN_MAX - want);
	uint8_t *buf;
	ssize_t n;
	int fd;

	buf = xmmap(3 * S.page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, "anonymous memory");
	if (mprotect(buf + 2 * S.page, S.page, PROT_NONE))
		fail("mprotect: %s", strerror(errno));
	fill_random(buf + 2 * S.page - good, good);
	fd = xopen(S.own.node, O_RDWR);
	n = pwrite(fd, buf + 2 * S.page - good, want, (long)off);
	if (n == -1 && errno == EFAULT)
		n = 0;
	else if (n <= 0 || (size_t)n > good)
		fail("short write() to %s: %zu of %zu bytes readable, returned %zd (%s)",
		     S.own.node, good, want, n, n < 0 ? strerror(errno) : "");
	memcpy(S.own.model + off, buf + 2 * S.page - good, n);
	own_mark(off, off + n, Q_YES);
	if (n && off + n > S.own.size)
		S.own.size = off + n;
	xmunmap(buf, 3 * S.page);
	close(fd);
}

/* A write-only open truncates, unless someone maps the device. */
static void op_own_trunc(void)
{
	int fd = xopen(S.own.node, O_WRONLY);
	long size = lseek(fd, 0, SEEK_END);

	close(fd);
	if (size == 0) {
		/* Emptied: unless it was empty and mapped already. */
		if (S.own.size) {
			own_reset();
		} else {
			size_t q;

			for (q = 0; q < OWN_QUANTA; q++)
				if (S.own.quanta[q] != Q_NO)
					S.own.quanta[q] = Q_MAYBE;
		}
	} else if (size == (long)S.own.size) {
		S.rep->trunc_refused++;
	} else {
		fail("write-only open of %s: size %ld, the model says %zu or 0",
		     S.own.node, size, S.own.size);
	}
}

/*
 * Order and qset by every flavour of ioctl, valid values and out of range
 * ones (EINVAL). A change is refused with EBUSY while the device holds
 * data, and may be while another process maps it.
 */
static void op_own_geom(void)
{
	static const unsigned int cmds[] = {
		SCULLP_IOCRESET, SCULLP_IOCSORDER, SCULLP_IOCTORDER,
		SCULLP_IOCXORDER, SCULLP_IOCHORDER, SCULLP_IOCSQSET,
		SCULLP_IOCTQSET, SCULLP_IOCXQSET, SCULLP_IOCHQSET,
	};
	unsigned int cmd = cmds[below(9)];
	bool is_order = cmd == SCULLP_IOCSORDER || cmd == SCULLP_IOCTORDER ||
			cmd == SCULLP_IOCXORDER || cmd == SCULLP_IOCHORDER;
	int val, arg, order, qset, ret, err, fd;
	bool bad = !below(8);

	if (is_order)
		val = bad ? (below(2) ? -1 : SCULL_ORDER_MAX + 1) : (int)below(5);
	else
		val = bad ? (below(2) ? 0 : SCULL_QSET_MAX + 1) : 1 + (int)below(600);
	if (cmd == SCULLP_IOCRESET) {
		bad = false;
		order = strstr(S.own.node, "scullp") ? 0 : 4;
		qset = 500;
	} else {
		order = is_order ? val : S.own.order;
		qset = is_order ? S.own.qset : val;
	}
	arg = val;
	fd = xopen(S.own.node, O_RDONLY);
	if (cmd == SCULLP_IOCTORDER || cmd == SCULLP_IOCHORDER ||
	    cmd == SCULLP_IOCTQSET || cmd == SCULLP_IOCHQSET)
		ret = ioctl(fd, cmd, (unsigned long)(unsigned int)val);
	else
		ret = ioctl(fd, cmd, &arg);
	err = errno;
	if (bad) {
		/* T and H take the value as an unsigned long: -1 is huge. */
		if (ret != -1 || err != EINVAL)
			fail("ioctl %#x with %d on %s: expected EINVAL, got %d (%s)",
			     cmd, val, S.own.node, ret, strerror(err));
	} else if (ret == -1 && err == EBUSY) {
		if (order == S.own.order && qset == S.own.qset)
			fail("ioctl %#x on %s: EBUSY for no change", cmd,
			     S.own.node);
		S.rep->geom_busy++;
	} else if (ret < 0) {
		fail("ioctl %#x with %d on %s: %s", cmd, val, S.own.node,
		     strerror(err));
	} else {
		int old = is_order ? S.own.order : S.own.qset;

		if (S.own.size && (order != S.own.order || qset != S.own.qset))
			fail("ioctl %#x on %s changed the geometry of a device holding %zu bytes",
			     cmd, S.own.node, S.own.size);
		if ((cmd == SCULLP_IOCHORDER || cmd == SCULLP_IOCHQSET) &&
		    ret != old)
			fail("ioctl H on %s returned %d, the old value is %d",
			     S.own.node, ret, old);
		if ((cmd == SCULLP_IOCXORDER || cmd == SCULLP_IOCXQSET) &&
		    arg != old)
			fail("ioctl X on %s gave back %d, the old value is %d",
			     S.own.node, arg, old);
		if (order != S.own.order || qset != S.own.qset) {
			own_reset();
			S.own.order = order;
			S.own.qset = qset;
		}
	}
	if (ioctl(fd, SCULLP_IOCQORDER) != S.own.order ||
	    ioctl(fd, SCULLP_IOCQQSET) != S.own.qset)
		fail("%s: order %d qset %d, the model says %d and %d",
		     S.own.node, ioctl(fd, SCULLP_IOCQORDER),
		     ioctl(fd, SCULLP_IOCQQSET), S.own.order, S.own.qset);
	close(fd);
}

/* Whether page @pg of the owned device is backed: 0 no, 1 yes, 2 maybe. */
static int own_backed(size_t pg)
{
	size_t pages = (S.own.size + S.page - 1) / S.page;
	size_t q = pg * S.page / own_quantum();

	if (pg >= pages || q >= OWN_QUANTA)
		return Q_NO;
	return S.own.quanta[q];
}

/*
 * The whole owned device through read() and a mapping: every byte as the
 * model says, holes and pages past the end SIGBUS, also in a mapping grown
 * with mremap past the end. Writes a few bytes through the mapping.
 */
static void op_own_check(void)
{
	size_t pages = (S.own.size + S.page - 1) / S.page + 1 + below(3);
	size_t pg, len = pages * S.page;
	uint8_t *map, *grown, *buf, v;
	int fd = xopen(S.own.node, O_RDWR);
	long size = lseek(fd, 0, SEEK_END);
	ssize_t n;

	if (size != (long)S.own.size)
		fail("%s: size %ld, the model says %zu", S.own.node, size,
		     S.own.size);
	buf = malloc(S.own.size + 1);
	if (!buf)
		fail("out of memory");
	n = pread(fd, buf, S.own.size + 1, 0);
	if (n != (ssize_t)S.own.size)
		fail("read of all of %s: %zd bytes of %zu", S.own.node, n,
		     S.own.size);
	expect_same(buf, S.own.model, S.own.size, "read()", S.own.node, 0);
	free(buf);

	map = xmmap(len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0,
		    S.own.node);
	for (pg = 0; pg < pages; pg++) {
		int b = own_backed(pg);

		if (probe(map + pg * S.page, &v)) {
			if (b == Q_YES)
				fail("%s: SIGBUS at offset %zu, inside the device",
				     S.own.node, pg * S.page);
			if (b == Q_MAYBE)	/* freed by a truncation */
				S.own.quanta[pg * S.page / own_quantum()] = Q_NO;
			continue;
		}
		if (b == Q_NO)
			fail("%s: no SIGBUS at offset %zu (size %zu, %s)",
			     S.own.node, pg * S.page, S.own.size,
			     pg * S.page < S.own.size ? "a hole" : "past the end");
		if (b == Q_MAYBE) {
			/* An allocated, never written quantum: zeros. */
			S.own.quanta[pg * S.page / own_quantum()] = Q_YES;
		}
		expect_same(map + pg * S.page, S.own.model + pg * S.page,
			    S.page, "mapping", S.own.node,
			    (long)(pg * S.page));
		if (!below(4)) {
			size_t at = pg * S.page + below(S.page);

			map[at] = (uint8_t)rnd();
			S.own.model[at] = map[at];
		}
	}
	grown = mremap(map, len, len + 2 * S.page, MREMAP_MAYMOVE);
	if (grown == MAP_FAILED)
		fail("mremap growth of %s: %s", S.own.node, strerror(errno));
	if (!probe(grown + len + S.page, &v))
		fail("%s: no SIGBUS past the end of a grown mapping",
		     S.own.node);
	xmunmap(grown, len + 2 * S.page);
	close(fd);
}

/*
 * fork: the child writes through an inherited mapping, then opens the
 * device write-only while it is mapped (no truncation) and exits mapped.
 */
static void op_own_fork(void)
{
	size_t pages = (S.own.size + S.page - 1) / S.page, i, n = 1 + below(16);
	size_t at[16];
	uint8_t val[16], *map;
	pid_t pid;
	int fd;

	if (!pages)
		return;
	for (i = 0; i < n; i++) {
		at[i] = below(pages * S.page);
		val[i] = (uint8_t)rnd();
		if (own_backed(at[i] / S.page) != Q_YES)
			at[i] = SIZE_MAX;
	}
	fd = xopen(S.own.node, O_RDWR);
	map = xmmap(pages * S.page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0,
		    S.own.node);
	pid = fork();
	if (pid < 0)
		fail("fork: %s", strerror(errno));
	if (pid == 0) {
		int wfd;

		for (i = 0; i < n; i++)
			if (at[i] != SIZE_MAX)
				map[at[i]] = val[i];
		wfd = open(S.own.node, O_WRONLY);
		if (wfd < 0 || lseek(wfd, 0, SEEK_END) != (long)S.own.size)
			_exit(3);
		_exit(0);
	}
	wait_child(pid, "forked writer (truncating open while mapped)", 0);
	for (i = 0; i < n; i++)
		if (at[i] != SIZE_MAX)
			S.own.model[at[i]] = val[i];
	for (i = 0; i < pages; i++)
		if (own_backed(i) == Q_YES)
			expect_same(map + i * S.page, S.own.model + i * S.page,
				    S.page, "mapping after the child",
				    S.own.node, (long)(i * S.page));
	xmunmap(map, pages * S.page);
	close(fd);
}

static void run_op(enum op op)
{
	switch (op) {
	case OP_WRITE:		op_write_read(false); break;
	case OP_READ:		op_write_read(true); break;
	case OP_MAP:		op_map(); break;
	case OP_MREMAP:		op_mremap(); break;
	case OP_PRIVATE:	op_private(); break;
	case OP_FORK:		op_fork(); break;
	case OP_EXEC:		op_exec(); break;
	case OP_FOREIGN:	op_foreign(); break;
	case OP_OWN_WRITE:	op_own_write(); break;
	case OP_OWN_SHORT:	op_own_short(); break;
	case OP_OWN_TRUNC:	op_own_trunc(); break;
	case OP_OWN_GEOM:	op_own_geom(); break;
	case OP_OWN_CHECK:	op_own_check(); break;
	case OP_OWN_FORK:	op_own_fork(); break;
	case NR_OPS:		break;
	}
}

/*
 * Relative weights; exec is slow (a new program), so rarer.
 * LDD3_STRESS_SKIP="name ..." sets some to 0 (to narrow a failure down).
 */
static unsigned int weight[NR_OPS] = {
	[OP_WRITE] = 10, [OP_READ] = 10, [OP_MAP] = 8, [OP_MREMAP] = 4,
	[OP_PRIVATE] = 4, [OP_FORK] = 3, [OP_EXEC] = 1, [OP_FOREIGN] = 8,
	[OP_OWN_WRITE] = 8, [OP_OWN_SHORT] = 2, [OP_OWN_TRUNC] = 2,
	[OP_OWN_GEOM] = 3, [OP_OWN_CHECK] = 3, [OP_OWN_FORK] = 2,
};

static bool skipped(const char *name)
{
	const char *list = getenv("LDD3_STRESS_SKIP"), *p;
	size_t n = strlen(name);

	for (p = list; p && (p = strstr(p, name)); p += n)
		if ((p == list || p[-1] == ' ') && (!p[n] || p[n] == ' '))
			return true;
	return false;
}

static enum op pick_op(void)
{
	unsigned int total = 0, r, i, last = S.own.node ? NR_OPS : OP_OWN_WRITE;

	for (i = 0; i < last; i++)
		total += weight[i];
	r = (unsigned int)below(total);
	for (i = 0; r >= weight[i]; i++)
		r -= weight[i];
	return (enum op)i;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void worker(long deadline_ms, unsigned long max_ops)
{
	struct sigaction sa = { .sa_handler = on_sigbus };
	int a;

	S.rng = S.seed ^ (0x9e3779b97f4a7c15ULL * (uint64_t)(S.me + 1));
	if (!S.rng)
		S.rng = 1;
	sigaction(SIGBUS, &sa, NULL);
	for (a = 0; a < NR_OPS; a++)
		if (skipped(op_name[a]))
			weight[a] = 0;
	for (a = 0; a < NR_AREAS; a++) {
		int fd;

		S.model[a] = malloc(S.slot);
		if (!S.model[a])
			fail("out of memory");
		fd = xopen(area_node[a], O_RDONLY);
		if (pread(fd, S.model[a], S.slot, my_off()) !=
		    (ssize_t)S.slot)
			fail("initial read of %s: %s", area_node[a],
			     strerror(errno));
		close(fd);
	}
	if (S.me < OWNED_DEVS) {
		S.own.node = owned_node[S.me];
		S.own.model = calloc(1, OWN_MAX + 2 * S.page);
		if (!S.own.model)
			fail("out of memory");
		S.own.order = strstr(S.own.node, "scullp") ? 0 : 4;
		S.own.qset = 500;
	}

	for (S.opno = 0; !max_ops || S.opno < max_ops; S.opno++) {
		enum op op;

		if (!max_ops && now_ms() >= deadline_ms)
			break;
		op = pick_op();
		run_op(op);
		S.rep->ops[op]++;
	}
	if (S.held)
		xmunmap(S.held, S.held_len);
	for (a = 0; a < NR_AREAS; a++)
		S.rep->hash[a] = hash(S.model[a], S.slot);
	if (S.own.node) {
		op_own_check();
		S.rep->own_hash = hash(S.own.model, S.own.size);
		S.rep->own_size = (long)S.own.size;
	}
	S.rep->finished = 1;
	_exit(0);
}

/* ---- the parent ---- */

static long env_long(const char *name, long def)
{
	const char *s = getenv(name);

	return s && *s ? strtol(s, NULL, 0) : def;
}

static long meminfo(const char *key)
{
	char line[256];
	FILE *f = fopen("/proc/meminfo", "r");
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			kb = strtol(line + strlen(key), NULL, 10);
	fclose(f);
	return kb;
}

/*
 * Free pages, counting those on the per-CPU lists: MemAvailable leaves
 * those out, and they come and go by megabytes with the load.
 */
static long free_kb(void)
{
	char line[256];
	FILE *f = fopen("/proc/zoneinfo", "r");
	long pages = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		const char *p = line + strspn(line, " ");

		if (!strncmp(p, "nr_free_pages ", 14))
			pages += strtol(p + 14, NULL, 10);
		else if (!strncmp(p, "count: ", 7))
			pages += strtol(p + 7, NULL, 10);
	}
	fclose(f);
	return pages * (sysconf(_SC_PAGESIZE) / 1024);
}

static void drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	sync();
	if (fd >= 0) {
		if (write(fd, "3", 1) != 1)
			perror("drop_caches");
		close(fd);
	}
}

/* Empty every scull device and restore its geometry. */
static int empty_all(void)
{
	char node[32];
	int i, ret = 0;

	for (i = 0; i < 8; i++) {
		int fd;

		snprintf(node, sizeof(node), "/dev/scull%c%d",
			 i < 4 ? 'p' : 'v', i % 4);
		fd = open(node, O_WRONLY);
		if (fd < 0 || ioctl(fd, SCULLP_IOCRESET) ||
		    lseek(fd, 0, SEEK_END) != 0)
			ret = -1;
		if (fd >= 0)
			close(fd);
	}
	return ret;
}

/* Sum of "vmas N" over /proc/@name, or -1. */
static int proc_vmas(const char *name)
{
	char line[256];
	FILE *f = fopen(name, "r");
	int total = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "vmas ");

		if (!p)
			return -1;
		total += (int)strtol(p + 5, NULL, 10);
	}
	fclose(f);
	return total;
}

static int simple_mappings(const char *node)
{
	char path[96];
	char line[32];
	FILE *f;
	int n = -1;

	snprintf(path, sizeof(path), "/sys/class/simple/%s/mappings", node);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(line, sizeof(line), f))
		n = (int)strtol(line, NULL, 10);
	fclose(f);
	return n;
}

/* Fill @node from @off with @len seeded random bytes; 0 on success. */
static int prefill(const char *node, long off, size_t len)
{
	uint8_t *buf = malloc(len), *back = malloc(len);
	int fd = open(node, O_RDWR), ret = -1;

	if (buf && back && fd >= 0) {
		fill_random(buf, len);
		if (pwrite(fd, buf, len, off) == (ssize_t)len &&
		    pread(fd, back, len, off) == (ssize_t)len &&
		    !memcmp(buf, back, len))
			ret = 0;
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	free(back);
	return ret;
}

/* simple's buffer size, from its module parameter. */
static size_t simple_size(void)
{
	FILE *f = fopen("/sys/module/simple/parameters/size", "r");
	size_t size = 0;

	if (f) {
		char line[32];

		if (fgets(line, sizeof(line), f))
			size = strtoul(line, NULL, 10);
		fclose(f);
	}
	return size;
}

/* A TAP comment line, flushed: the harness ends the test with _exit(). */
#define note(...) do {							\
	fputs("# ", stdout);						\
	printf(__VA_ARGS__);						\
	fputc('\n', stdout);						\
	fflush(stdout);							\
} while (0)

static int run_cmd(const char *cmd)
{
	int status = system(cmd);

	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

FIXTURE(stress) {
	long mem_avail, free, slab;	/* kB at the start, devices empty */
};

FIXTURE_SETUP(stress)
{
	ASSERT_EQ(0, empty_all()) TH_LOG("cannot empty the scull devices");
	drop_caches();
	self->mem_avail = meminfo("MemAvailable:");
	self->free = free_kb();
	self->slab = meminfo("Slab:");
	ASSERT_LT(0, self->mem_avail);
	ASSERT_LT(0, self->free);
	ASSERT_LT(0, self->slab);
}

FIXTURE_TEARDOWN(stress)
{
}

/* The harness's own limit; the test bounds itself by LDD3_STRESS_SECONDS. */
TEST_F_TIMEOUT(stress, processes_keep_their_data, 7200)
{
	long seconds = env_long("LDD3_STRESS_SECONDS", 12);
	unsigned long max_ops = env_long("LDD3_STRESS_OPS", 0);
	long procs = env_long("LDD3_STRESS_PROCS", 8);
	uint64_t seed = (uint64_t)env_long("LDD3_STRESS_SEED", 0);
	struct report *rep;
	long start;
	unsigned long total[NR_OPS] = { 0 };
	long avail, freed, slab;
	pid_t pids[MAX_PROCS];
	int i, a, status, failed = 0;
	char line[512];
	size_t len;

	if (!seed)
		seed = ((uint64_t)time(NULL) << 16) ^ (uint64_t)getpid();
	ASSERT_TRUE(procs >= 1 && procs <= MAX_PROCS);
	S.seed = seed;
	S.rng = seed;
	S.procs = (int)procs;
	S.page = sysconf(_SC_PAGESIZE);
	S.slot = SLOT_PAGES * (size_t)S.page;
	S.dontunmap = kernel_at_least(5, 13);
	S.simple_size = simple_size();
	ASSERT_LT(0, (long)S.simple_size);
	/* simple's buffer is shared out too: at most SLOT_PAGES each. */
	if (S.simple_size / procs < S.slot)
		S.slot = S.simple_size / procs / S.page * S.page;
	ASSERT_LE(4 * S.page, (long)S.slot);
	note("seed %llu: replay with LDD3_STRESS_SEED=%llu (make stress STRESS_SEED=%llu)",
	       (unsigned long long)seed, (unsigned long long)seed,
	       (unsigned long long)seed);
	note("%ld processes, %s %lu, slots of %zu KiB", procs,
	       max_ops ? "operations each" : "seconds",
	       max_ops ? max_ops : (unsigned long)seconds, S.slot / 1024);

	for (a = 0; a < NR_AREAS; a++) {
		const char *node = area_node[a];

		ASSERT_EQ(0, prefill(node, 0, procs * S.slot))
			TH_LOG("cannot fill %s", node);
	}
	rep = mmap(NULL, sizeof(*rep) * MAX_PROCS, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, rep);

	start = now_ms();
	for (i = 0; i < procs; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]) TH_LOG("fork: %s", strerror(errno));
		if (pids[i] == 0) {
			S.me = i;
			S.rep = &rep[i];
			worker(start + seconds * 1000, max_ops);
		}
	}
	for (i = 0; i < procs; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0))
			TH_LOG("waitpid: %s", strerror(errno));
		if (!WIFEXITED(status) || WEXITSTATUS(status) ||
		    !rep[i].finished) {
			failed++;
			TH_LOG("process %d %s %d", i,
			       WIFSIGNALED(status) ? "killed by signal" :
			       "exited with", WIFSIGNALED(status) ?
			       WTERMSIG(status) : WEXITSTATUS(status));
		}
	}
	EXPECT_EQ(0, failed) TH_LOG("replay with LDD3_STRESS_SEED=%llu",
				    (unsigned long long)seed);

	/* No data lost: the devices hold what each model says. */
	for (i = 0; i < procs && !failed; i++) {
		uint8_t *buf = malloc(OWN_MAX + 1);
		int fd;

		ASSERT_NE(NULL, buf) TH_LOG("out of memory");
		for (a = 0; a < NR_AREAS; a++) {
			fd = open(area_node[a], O_RDONLY);
			ASSERT_LE(0, fd) TH_LOG("%s: %s", area_node[a],
						strerror(errno));
			ASSERT_EQ((ssize_t)S.slot,
				  pread(fd, buf, S.slot, i * S.slot))
				TH_LOG("%s: %s", area_node[a], strerror(errno));
			EXPECT_EQ(rep[i].hash[a], hash(buf, S.slot))
				TH_LOG("%s: slot of process %d differs from its model",
				       area_node[a], i);
			close(fd);
		}
		if (i < OWNED_DEVS) {
			fd = open(owned_node[i], O_RDONLY);
			ASSERT_LE(0, fd) TH_LOG("%s: %s", owned_node[i],
						strerror(errno));
			EXPECT_EQ(rep[i].own_size,
				  pread(fd, buf, OWN_MAX + 1, 0))
				TH_LOG("%s: size", owned_node[i]);
			EXPECT_EQ(rep[i].own_hash, hash(buf, rep[i].own_size))
				TH_LOG("%s differs from its owner's model",
				       owned_node[i]);
			close(fd);
		}
		free(buf);
	}

	for (i = 0; i < procs; i++) {
		for (a = 0; a < NR_OPS; a++)
			total[a] += rep[i].ops[a];
	}
	len = 0;
	for (a = 0; a < NR_OPS; a++)
		len += snprintf(line + len, sizeof(line) - len, " %s %lu",
				op_name[a], total[a]);
	note("operations:%s", line);
	len = 0;
	for (i = 0; i < procs; i++) {
		total[0] = rep[i].trunc_refused;
		total[1] = rep[i].geom_busy;
		total[2] = rep[i].foreign_sigbus;
		len += snprintf(line + len, sizeof(line) - len, " %lu/%lu/%lu",
				total[0], total[1], total[2]);
	}
	note("per process, truncations refused/geometry EBUSY/foreign SIGBUS:%s",
	     line);

	/* Every VMA was closed. */
	EXPECT_EQ(0, proc_vmas("/proc/scullpmem"));
	EXPECT_EQ(0, proc_vmas("/proc/scullvmem"));
	EXPECT_EQ(0, simple_mappings("simpler"));
	EXPECT_EQ(0, simple_mappings("simplen"));

	/* Memory comes back once the devices are empty. */
	EXPECT_EQ(0, empty_all());
	drop_caches();
	avail = meminfo("MemAvailable:");
	freed = free_kb();
	slab = meminfo("Slab:");
	note("free pages (with per-CPU lists) %ld -> %ld kB, Slab %ld -> %ld kB, MemAvailable %ld -> %ld kB",
	     self->free, freed, self->slab, slab, self->mem_avail, avail);
	EXPECT_GT(FREE_TOLERANCE_KB, self->free - freed)
		TH_LOG("%ld kB of memory did not come back", self->free - freed);
	EXPECT_GT(SLAB_TOLERANCE_KB, slab - self->slab)
		TH_LOG("Slab grew by %ld kB", slab - self->slab);

	/* Every module unloads. */
	EXPECT_EQ(0, run_cmd("rmmod scullv scullp scull_core simple"));
	EXPECT_NE(0, run_cmd("grep -qE '^(simple|scull_core|scullp|scullv) ' /proc/modules"));
	munmap(rep, sizeof(*rep) * MAX_PROCS);
}

TEST_HARNESS_MAIN
