/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small probes the test programs share: what one access to a mapping does
 * (it may kill the process, so it runs in a child), which kernel runs, how
 * many VMAs map a node, fault counts, pagemap and soft-dirty bits.
 */
#ifndef PROBE_H
#define PROBE_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Touch @p (read, or write a byte) in a child with a 5 s alarm. Return 0
 * if the access completed, else the signal that ended the child (SIGBUS
 * where the device has no page; SIGALRM means the fault never finished),
 * or -1 if fork or wait failed. The atomic accesses keep the compiler
 * from dropping them.
 */
static inline int touch_in_child(void *p, bool write)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		alarm(5);
		if (write)
			__atomic_store_n((char *)p, 'w', __ATOMIC_RELAXED);
		else
			(void)__atomic_load_n((char *)p, __ATOMIC_RELAXED);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		return WTERMSIG(status);
	return WEXITSTATUS(status) ? -1 : 0;
}

/* Whether the running kernel is at least @major.@minor. */
static inline bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	char *end;
	long ma, mi;

	if (uname(&u))
		return false;
	ma = strtol(u.release, &end, 10);
	mi = *end == '.' ? strtol(end + 1, NULL, 10) : 0;
	return ma > major || (ma == major && mi >= minor);
}

/*
 * Whether the running kernel was built with @option ("CONFIG_..."): 1 if
 * it is y or m, 0 if not, -1 if the configuration cannot be read.
 * tests/harness/vm exports LDD3_KCONFIG, the kernel's config file.
 */
static inline int kernel_config(const char *option)
{
	const char *path = getenv("LDD3_KCONFIG");
	size_t n = strlen(option);
	char line[256];
	int found = 0;
	FILE *f;

	f = path ? fopen(path, "r") : NULL;
	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, option, n) && line[n] == '=' &&
			(line[n + 1] == 'y' || line[n + 1] == 'm');
	fclose(f);
	return found;
}

/* VMAs of this process that map @node, from /proc/self/maps. */
static inline int maps_vmas(const char *node)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *path;

		line[strcspn(line, "\n")] = '\0';
		path = strrchr(line, ' ');
		if (path && !strcmp(path + 1, node))
			n++;
	}
	fclose(f);
	return n;
}

/*
 * Map @len bytes of @fd from @off at an address aligned to @align (a power
 * of two), whatever address the kernel would choose: fault-around windows
 * and PMD blocks then fall where the test expects. Return NULL on error.
 */
static inline unsigned char *map_aligned(int fd, size_t len, int prot,
					 int flags, off_t off, size_t align)
{
	unsigned char *room, *at;
	void *map;

	room = mmap(NULL, len + align, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (room == MAP_FAILED)
		return NULL;
	at = (unsigned char *)(((uintptr_t)room + align - 1) &
			       ~(uintptr_t)(align - 1));
	map = mmap(at, len, prot, flags | MAP_FIXED, fd, off);
	if (map == MAP_FAILED) {
		munmap(room, len + align);
		return NULL;
	}
	if (at > room)
		munmap(room, at - room);
	if (room + len + align > at + len)
		munmap(at + len, room + len + align - (at + len));
	return map;
}

/*
 * The fault-around window: the drivers map the 64 KiB aligned block around
 * a fault, as the page cache does; in pages, 16 of 4 KiB, 4 of 16 KiB.
 */
#define FAULT_WINDOW_BYTES (64L << 10)

static inline long fault_window_pages(void)
{
	long page = sysconf(_SC_PAGESIZE);

	return page < FAULT_WINDOW_BYTES ? FAULT_WINDOW_BYTES / page : 1;
}

/*
 * Minor faults of this process so far (getrusage). The result is
 * zeroed before the call: were its page not yet written (a new stack
 * page, or one copy-on-write since a fork), getrusage() would take that
 * fault after reading the count, and the next reading would have one more.
 */
static inline long minflt(void)
{
	struct rusage ru = { 0 };

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* The byte at offset @off of @fd, through pread(), or -1. */
static inline int dev_byte(int fd, off_t off)
{
	unsigned char c;

	return pread(fd, &c, 1, off) == 1 ? c : -1;
}

/* Bits of a /proc/PID/pagemap entry: 55 and 63. */
#define PM_SOFT_DIRTY 0x0080000000000000ULL
#define PM_PRESENT 0x8000000000000000ULL

/* The pagemap entry of this process for @addr, or 0 if it cannot be read. */
static inline unsigned long long pagemap_entry(const void *addr, long page)
{
	unsigned long long e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, sizeof(e),
		  (off_t)((uintptr_t)addr / (uintptr_t)page * sizeof(e))) !=
	    sizeof(e))
		e = 0;
	close(fd);
	return e;
}

/* clear_refs 4: clear the soft-dirty bits of this process. */
static inline int clear_soft_dirty(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, "4", 1);
	close(fd);
	return n == 1 ? 0 : -1;
}

#endif /* PROBE_H */
