// SPDX-License-Identifier: GPL-2.0
/*
 * Which mmap path the running kernel takes. On 7.1 and later the core calls
 * f_op->mmap_prepare and then vm_ops->mapped (the first "VMA open"); before
 * 7.1 the driver's classic .mmap runs (remap_pfn_range() in it, for
 * /dev/simpler) and counts the VMA itself. /dev/simpler over a buffer of
 * several chunks keeps .mmap on every kernel (one remap_pfn_range() per
 * chunk). The traces and behaviour are the same either way: the other tests
 * prove that part.
 *
 * Each method is watched with a hardware execute breakpoint (perf), which
 * counts how often this process (on arm64, any: see watch()) entered it.
 * Unlike the function tracer it patches no kernel text: live text patching
 * now and then makes a two-vCPU TCG guest take a stray int3 and panic. Only methods called through a
 * pointer are watched, since those cannot be inlined.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "probe.h"

#define MIB (1024UL * 1024)
#define MAX_WATCHED 3	/* x86 has four debug address registers */
#define MAX_CPUS 64

/*
 * The address of @module's function @name (of the kernel's own, for a
 * NULL @module), or 0 if it has none.
 */
static unsigned long ksym(const char *module, const char *name)
{
	char line[512], sym[256], mod[64] = "", want[64] = "";
	unsigned long found = 0;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return 0;
	if (module)
		snprintf(want, sizeof(want), "[%s]", module);
	while (!found && fgets(line, sizeof(line), f)) {
		char *rest;
		unsigned long addr = strtoul(line, &rest, 16);

		mod[0] = '\0';
		if (sscanf(rest, " %*s %255s %63s", sym, mod) >= 1 &&
		    !strcmp(sym, name) && !strcmp(mod, want))
			found = addr;
	}
	fclose(f);
	return found;
}

/*
 * Entries into @addr, counted by one perf breakpoint per element of fd[]
 * (n of them): in this process where the architecture takes a per-task
 * kernel breakpoint (x86), else on each CPU (arm64 refuses per-task ones,
 * EINVAL: nothing else in the test VM maps these devices, so the CPUs'
 * count is this process's). On arm64 one entry was seen counted twice
 * (its kernel steps over a breakpoint, and the step can be taken again),
 * so there a count says whether the method ran, not how often.
 */
struct counter {
	int fd[MAX_CPUS];
	int n;
	bool per_cpu;
};

static int perf_breakpoint(unsigned long addr, pid_t pid, int cpu)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_BREAKPOINT,
		.size = sizeof(attr),
		.bp_type = HW_BREAKPOINT_X,
		.bp_addr = addr,
		.bp_len = sizeof(long),
		.exclude_hv = 1,
	};

	return (int)syscall(SYS_perf_event_open, &attr, pid, cpu, -1,
			    PERF_FLAG_FD_CLOEXEC);
}

static void unwatch(struct counter *c)
{
	while (c->n > 0)
		close(c->fd[--c->n]);
}

/* Start counting entries into @addr. Return 0, or -1 with errno. */
static int watch(struct counter *c, unsigned long addr)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int cpu, fd, err;

	c->n = 0;
	c->per_cpu = false;
	fd = perf_breakpoint(addr, 0, -1);
	if (fd >= 0 || errno != EINVAL) {
		c->fd[c->n] = fd;
		c->n += fd >= 0;
		return fd >= 0 ? 0 : -1;
	}
	c->per_cpu = true;
	for (cpu = 0; cpu < cpus && cpu < MAX_CPUS; cpu++) {
		fd = perf_breakpoint(addr, -1, cpu);
		if (fd < 0) {
			err = errno;
			unwatch(c);
			errno = err;
			return -1;
		}
		c->fd[c->n++] = fd;
	}
	return 0;
}

/* The entries counted since watch(). Return 0, or -1 with errno. */
static int watched(struct counter *c, long long *total)
{
	long long count;
	int i;

	*total = 0;
	for (i = 0; i < c->n; i++) {
		if (read(c->fd[i], &count, sizeof(count)) != sizeof(count))
			return -1;
		*total += count;
	}
	return 0;
}

struct method {
	const char *name;
	int calls;	/* expected calls: 1 or 0 */
};

/*
 * Map @len bytes of @node at @off and unmap them, with a breakpoint on each
 * of @module's methods in @m; each must have run as often as it says. A
 * method the module was built without (its kernel has no such hook) has
 * run 0 times.
 */
static void expect_path(struct __test_metadata *_metadata, const char *node,
			off_t off, size_t len, const char *module,
			const struct method *m, int n)
{
	struct counter c[MAX_WATCHED];
	long long count;
	void *map;
	int fd, i, err;

	ASSERT_GE(MAX_WATCHED, n);
	for (i = 0; i < n; i++) {
		unsigned long addr = ksym(module, m[i].name);

		c[i].n = 0;
		if (!addr) {
			EXPECT_EQ(0, m[i].calls)
				TH_LOG("%s is not in %s.ko", m[i].name, module);
			continue;
		}
		err = watch(&c[i], addr) ? errno : 0;
		/* x86 puts kernel breakpoints only where a kprobe may go. */
		if (err == EINVAL && !ksym(NULL, "register_kprobe"))
			SKIP(return, "this kernel has no kprobes (CONFIG_KPROBES), so no kernel breakpoints; Debian's kernels run this");
		if (err == ENOENT || err == ENOSYS)
			SKIP(return, "this kernel has no hardware breakpoints for perf (%s)",
			     strerror(err));
		ASSERT_EQ(0, err)
			TH_LOG("breakpoint on %s: %s", m[i].name, strerror(err));
	}

	fd = open(node, O_RDWR);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", node, strerror(errno));
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	ASSERT_NE(MAP_FAILED, map) TH_LOG("mmap %s: %s", node, strerror(errno));
	EXPECT_EQ(0, munmap(map, len));
	EXPECT_EQ(0, close(fd));

	for (i = 0; i < n; i++) {
		if (!c[i].n)
			continue;
		ASSERT_EQ(0, watched(&c[i], &count))
			TH_LOG("read the count of %s: %s", m[i].name, strerror(errno));
		if (c[i].per_cpu)
			count = !!count;
		EXPECT_EQ(m[i].calls, count) TH_LOG("%s ran %lld times", m[i].name, count);
		unwatch(&c[i]);
	}
}

static int run(const char *cmd)
{
	int status = system(cmd);

	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(simpler_one_chunk)
{
	const bool modern = kernel_at_least(7, 1);
	const struct method m[] = {
		{ "simple_remap_mmap_prepare", modern },
		{ "simple_vma_mapped", modern },
		{ "simple_remap_mmap", !modern },
	};

	TH_LOG("%s expected", modern ? "mmap_prepare, then ->mapped" : ".mmap, no ->mapped");
	expect_path(_metadata, "/dev/simpler", 0, 4096, "simple", m, 3);
}

TEST(simplen)
{
	const bool modern = kernel_at_least(7, 1);
	const struct method m[] = {
		{ "simple_fault_mmap_prepare", modern },
		{ "simple_vma_mapped", modern },
		{ "simple_fault_mmap", !modern },
	};

	expect_path(_metadata, "/dev/simplen", 0, 4096, "simple", m, 3);
}

TEST(scullp0)
{
	const bool modern = kernel_at_least(7, 1);
	const struct method m[] = {
		{ "scull_mmap_prepare", modern },
		{ "scull_vma_mapped", modern },
		{ "scull_mmap", !modern },
	};
	char buf[8192] = { 1 };
	int fd = open("/dev/scullp0", O_WRONLY | O_TRUNC);

	ASSERT_LE(0, fd) TH_LOG("open /dev/scullp0: %s", strerror(errno));
	ASSERT_EQ((ssize_t)sizeof(buf), write(fd, buf, sizeof(buf)));
	close(fd);
	expect_path(_metadata, "/dev/scullp0", 0, 4096, "scull_core", m, 3);
	fd = open("/dev/scullp0", O_WRONLY | O_TRUNC);
	ASSERT_LE(0, fd);
	close(fd);
}

/* Several chunks take one remap_pfn_range() each: the classic .mmap. */
TEST(simpler_chunked)
{
	const struct method m[] = {
		{ "simple_remap_mmap", 1 },
		{ "simple_vma_mapped", 0 },
		{ "simple_remap_mmap_prepare", 0 },
	};
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rmmod simple && insmod \"$LDD3_ROOT/simple.ko\" size=%lu",
		 64 * MIB);
	ASSERT_EQ(0, run(cmd));
	snprintf(cmd, sizeof(cmd),
		 "dmesg | tail -n 5 | grep -qE 'simple: %lu byte buffer in ([2-9]|[1-9][0-9]+) contiguous chunk'",
		 64 * MIB);
	EXPECT_EQ(0, run(cmd)) TH_LOG("simple did not load its 64 MiB in several chunks");
	expect_path(_metadata, "/dev/simpler", 3 * MIB, 2 * MIB, "simple", m, 3);
	EXPECT_EQ(0, run("rmmod simple && insmod \"$LDD3_ROOT/simple.ko\""));
}

TEST_HARNESS_MAIN
