// SPDX-License-Identifier: GPL-2.0
/*
 * The project's own seeded fuzzer: random system calls with hostile
 * arguments on every node (simpler and simplen on the RAM buffer,
 * scullp0/1, scullv0/1), for LDD3_FUZZ_SECONDS (10 s in the suite) with
 * the seed printed (LDD3_FUZZ_SEED=N replays the sequence of calls).
 *
 * Calls: open (any access mode: write-only truncates), close, mmap (any
 * length, offset, protection, MAP_SHARED or MAP_PRIVATE, MAP_POPULATE),
 * munmap and mprotect of any part, mremap (moves, growth, shrink,
 * MREMAP_DONTUNMAP), madvise (every advice but the ones that poison or
 * offline pages), touching any byte (SIGBUS and SIGSEGV caught),
 * read/write/pread/pwrite with good, unmapped, read-only, kernel and
 * device-mapped buffers, lseek with every whence, ioctl with the drivers'
 * numbers and random ones, fork (the child goes on fuzzing, then exits
 * with its mappings).
 *
 * Nothing is checked but survival: no call may kill the process or hang,
 * and at the end no VMA is left (/proc/scull*mem, simple's mappings); the
 * kernel log must stay clean (tests/harness/vm), KASAN and lockdep included on the
 * debug kernel. Device mappings live in a reserved arena, so that a
 * MAP_FIXED or an unmap never hits the program's own memory: what a call
 * unmaps is covered again with an inaccessible anonymous mapping.
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
#include "scull_ioctl.h"

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

#define ARENA_PAGES	4096	/* 16 MiB with 4 KiB pages */
#define NR_FDS		8
#define BUF_SIZE	((size_t)2 << 20)

static const char *const nodes[] = {
	"/dev/simpler", "/dev/simplen", "/dev/scullp0", "/dev/scullp1",
	"/dev/scullv0", "/dev/scullv1",
};

static uint64_t rng;
static long page;
static char *arena;
static int fds[NR_FDS];
static char *buf;		/* BUF_SIZE bytes of our own for read/write */
static unsigned long calls, maps, signals;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static size_t pick_len(void)
{
	static const size_t lens[] = {
		0, 1, 4095, 4096, 4097, 8192, 65536, 1 << 20, (size_t)1 << 30,
		(size_t)1 << 46, SIZE_MAX,
	};

	if (rnd() & 1)
		return lens[below(sizeof(lens) / sizeof(lens[0]))];
	return below(64) * page + ((rnd() & 3) ? 0 : below(page));
}

static off_t pick_off(void)
{
	static const off_t offs[] = {
		0, 1, 4096, 65536, 1 << 20, (off_t)1 << 40, -4096,
		INT64_MAX & ~(off_t)4095, INT64_MAX,
	};

	if (rnd() & 1)
		return offs[below(sizeof(offs) / sizeof(offs[0]))];
	return (off_t)below(256) * page;
}

/* A page-aligned range of the arena: anything there is ours. */
static char *arena_range(size_t *len)
{
	size_t pg = below(ARENA_PAGES), n = 1 + below(64);

	if (pg + n > ARENA_PAGES)
		n = ARENA_PAGES - pg;
	*len = n * page;
	return arena + pg * page;
}

/* Cover an unmapped part of the arena again, so nothing else lands there. */
static void recover(char *p, size_t len)
{
	if (p < arena || p + len > arena + (size_t)ARENA_PAGES * page)
		return;
	(void)mmap(p, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		   -1, 0);
}

static int any_fd(void)
{
	return fds[below(NR_FDS)];
}

/*
 * A user buffer for read() and write(), good or hostile, and in *room how
 * many bytes from it are the fuzzer's to lose: a read() must never run on
 * from the arena or from buf into memory the program lives on (the kernel
 * would fill it with device bytes, and the fuzzer would crash itself).
 */
static char *pick_buf(size_t *room)
{
	char *p;
	size_t len;

	switch (below(6)) {
	case 0:
		*room = SIZE_MAX;	/* EFAULT, whatever the length */
		return NULL;
	case 1:
		*room = SIZE_MAX;
		return (char *)(uintptr_t)0xffffffff81000000ULL; /* kernel */
	case 2:
		p = arena_range(&len);	/* a device mapping, or not */
		*room = (size_t)(arena + (size_t)ARENA_PAGES * page - p);
		return p;
	default:
		p = buf + below(BUF_SIZE / 2);
		*room = (size_t)(buf + BUF_SIZE - p);
		return p;
	}
}

static sigjmp_buf touch_jmp;
static volatile sig_atomic_t touching;

/* SIGBUS or SIGSEGV from touch(): go on; from anywhere else: die of it. */
static void on_signal(int sig)
{
	if (!touching) {
		signal(sig, SIG_DFL);
		return;
	}
	touching = 0;
	siglongjmp(touch_jmp, 1);
}

static void touch(void)
{
	size_t len;
	char *p = arena_range(&len) + below(page);

	bool write = rnd() & 1;
	char val = (char)rnd();

	if (sigsetjmp(touch_jmp, 1)) {
		signals++;
		return;
	}
	touching = 1;
	if (write)
		__atomic_store_n(p, val, __ATOMIC_RELAXED);
	else
		(void)__atomic_load_n(p, __ATOMIC_RELAXED);
	touching = 0;
}

static void do_mmap(void)
{
	static const int prots[] = {
		PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE, PROT_WRITE,
		PROT_READ | PROT_EXEC, PROT_READ | PROT_WRITE | PROT_EXEC,
	};
	int flags = (rnd() & 1) ? MAP_SHARED : MAP_PRIVATE;
	size_t len;
	char *p = arena_range(&len);

	if (!below(4))
		flags |= MAP_POPULATE;
	if (!below(8))
		len = pick_len();	/* may spill out: refused, or fits */
	if (len > (size_t)(arena + (size_t)ARENA_PAGES * page - p))
		len = arena + (size_t)ARENA_PAGES * page - p;
	if (mmap(p, len, prots[below(6)], flags | MAP_FIXED, any_fd(),
		 pick_off()) != MAP_FAILED)
		maps++;
}

static void do_mremap(void)
{
	size_t len, new_len = 1 + below(64), dlen;
	char *p = arena_range(&len), *dst = arena_range(&dlen), *q;
	int flags = MREMAP_MAYMOVE | MREMAP_FIXED;

	new_len *= page;
	if (new_len > dlen)
		new_len = dlen;
	if (!below(4)) {	/* DONTUNMAP: same length, source kept */
		new_len = len < dlen ? len : dlen;
		len = new_len;
		flags |= MREMAP_DONTUNMAP;
	}
	/* Source and destination must not overlap. */
	if (p < dst + new_len && dst < p + len)
		return;
	q = mremap(p, len, new_len, flags, dst);
	if (q != MAP_FAILED && !(flags & MREMAP_DONTUNMAP))
		recover(p, len);
}

static void do_io(void)
{
	int fd = any_fd();
	size_t room, len = pick_len() % (1 << 21);
	char *p = pick_buf(&room);

	if (len > room)
		len = room;
	switch (below(6)) {
	case 0:
		(void)!read(fd, p, len);
		break;
	case 1:
		(void)!write(fd, p, len);
		break;
	case 2:
		(void)!pread(fd, p, len, pick_off());
		break;
	case 3:
		(void)!pwrite(fd, p, len % (1 << 16), pick_off() %
			      ((off_t)1 << 24));
		break;
	default:
		lseek(fd, pick_off(), (int)below(6));	/* 5: bogus */
		break;
	}
}

static void do_ioctl(void)
{
	static const unsigned int cmds[] = {
		SCULLP_IOCRESET, SCULLP_IOCSORDER, SCULLP_IOCTORDER,
		SCULLP_IOCGORDER, SCULLP_IOCQORDER, SCULLP_IOCXORDER,
		SCULLP_IOCHORDER, SCULLP_IOCSQSET, SCULLP_IOCTQSET,
		SCULLP_IOCGQSET, SCULLP_IOCQQSET, SCULLP_IOCXQSET,
		SCULLP_IOCHQSET, _IO(SCULLP_IOC_MAGIC, 13),
	};
	unsigned int cmd = (rnd() & 3) ? cmds[below(14)] : (unsigned int)rnd();
	/* The kernel reads it through arg, which cppcheck cannot follow. */
	// cppcheck-suppress unreadVariable
	int val = (int)below(10) - 1;
	unsigned long arg;
	size_t room;

	switch (below(4)) {
	case 0:
		arg = (unsigned long)&val;
		break;
	case 1:
		arg = (unsigned long)pick_buf(&room);	/* an int at most */
		break;
	default:
		arg = (rnd() & 1) ? below(10) : rnd();
		break;
	}
	ioctl(any_fd(), cmd, arg);
}

static void one_call(int depth)
{
	static const int advices[] = {
		MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED,
		MADV_DONTNEED, MADV_FREE, MADV_REMOVE, MADV_DONTFORK,
		MADV_DOFORK, MADV_MERGEABLE, MADV_UNMERGEABLE, MADV_HUGEPAGE,
		MADV_NOHUGEPAGE, MADV_DONTDUMP, MADV_DODUMP, MADV_WIPEONFORK,
		MADV_KEEPONFORK, MADV_COLD, MADV_PAGEOUT, 22, 23, 25, 9999,
	};
	size_t len;
	char *p;
	int i, status;
	pid_t pid;

	calls++;
	switch (below(12)) {
	case 0:
		i = (int)below(NR_FDS);
		close(fds[i]);
		fds[i] = open(nodes[below(6)],
			      (int)below(3) | (rnd() & 1 ? O_NONBLOCK : 0));
		break;
	case 1:
	case 2:
		do_mmap();
		break;
	case 3:
		p = arena_range(&len);
		if (!munmap(p, len))
			recover(p, len);
		break;
	case 4:
		p = arena_range(&len);
		mprotect(p, len, (int)below(8));
		break;
	case 5:
		do_mremap();
		break;
	case 6:
		p = arena_range(&len);
		madvise(p, len, advices[below(sizeof(advices) / sizeof(advices[0]))]);
		break;
	case 7:
		touch();
		break;
	case 8:
	case 9:
		do_io();
		break;
	case 10:
		do_ioctl();
		break;
	default:
		if (depth || below(4))
			break;
		pid = fork();
		if (pid == 0) {
			alarm(60);
			for (i = 0; i < 50; i++)
				one_call(1);
			_exit(0);	/* with whatever it still maps */
		}
		if (pid > 0)
			waitpid(pid, &status, 0);
		break;
	}
}

static int live_vmas(void)
{
	static const char *const procs[] = {
		"/proc/scullpmem", "/proc/scullvmem",
		"/sys/class/simple/simpler/mappings",
		"/sys/class/simple/simplen/mappings",
	};
	char line[256];
	int i, total = 0;

	for (i = 0; i < 4; i++) {
		FILE *f = fopen(procs[i], "r");

		if (!f)
			return -1;
		while (fgets(line, sizeof(line), f)) {
			char *p = strstr(line, "vmas ");

			total += (int)strtol(p ? p + 5 : line, NULL, 10);
		}
		fclose(f);
	}
	return total;
}

FIXTURE(fuzz) {
	int unused;
};

FIXTURE_SETUP(fuzz)
{
	self->unused = 0;
}

FIXTURE_TEARDOWN(fuzz)
{
}

/* The harness's own limit; the test bounds itself by LDD3_FUZZ_SECONDS. */
TEST_F_TIMEOUT(fuzz, hostile_calls_leave_no_trace, 7200)
{
	const char *s = getenv("LDD3_FUZZ_SEED"), *t = getenv("LDD3_FUZZ_SECONDS");
	long seconds = t ? strtol(t, NULL, 10) : 10;
	uint64_t seed = s ? strtoull(s, NULL, 0) : 0;
	struct sigaction sa = { .sa_handler = on_signal };
	time_t end;
	int i;

	if (!seed)
		seed = ((uint64_t)time(NULL) << 16) ^ (uint64_t)getpid();
	printf("# seed %llu: replay with LDD3_FUZZ_SEED=%llu, %ld s\n",
	       (unsigned long long)seed, (unsigned long long)seed, seconds);
	fflush(stdout);
	rng = seed;
	page = sysconf(_SC_PAGESIZE);
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));
	ASSERT_EQ(0, sigaction(SIGSEGV, &sa, NULL));
	buf = malloc(BUF_SIZE);
	ASSERT_NE(NULL, buf);
	memset(buf, 'f', BUF_SIZE);
	arena = mmap(NULL, (size_t)ARENA_PAGES * page, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, arena);
	/* Data to map: 1 MiB on each scull device, simple's whole buffer. */
	for (i = 0; i < 6; i++) {
		int fd = open(nodes[i], O_RDWR);

		ASSERT_LE(0, fd) TH_LOG("%s: %s", nodes[i], strerror(errno));
		ASSERT_EQ(1 << 20, pwrite(fd, buf, 1 << 20, 0))
			TH_LOG("%s: %s", nodes[i], strerror(errno));
		close(fd);
	}
	for (i = 0; i < NR_FDS; i++)
		fds[i] = open(nodes[i % 6], O_RDWR);

	end = time(NULL) + seconds;
	while (time(NULL) < end)
		for (i = 0; i < 64; i++)
			one_call(0);

	ASSERT_EQ(0, munmap(arena, (size_t)ARENA_PAGES * page));
	for (i = 0; i < NR_FDS; i++)
		close(fds[i]);
	printf("# %lu calls, %lu device mappings made, %lu SIGBUS/SIGSEGV caught\n",
	       calls, maps, signals);
	fflush(stdout);
	EXPECT_EQ(0, live_vmas()) TH_LOG("VMAs are left");
	free(buf);
}

TEST_HARNESS_MAIN
