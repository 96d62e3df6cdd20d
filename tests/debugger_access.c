// SPDX-License-Identifier: GPL-2.0
/*
 * Debuggers can read and write every mapping of the project's devices.
 * gdb and strace read a process's memory through /proc/PID/mem and
 * ptrace(PTRACE_PEEKDATA), which use get_user_pages() and, where it finds
 * no struct page (a VM_PFNMAP mapping: /dev/simpler, /dev/skel), the
 * mapping's vm_ops->access. For each kind of mapping: /proc/self/mem reads
 * what the mapping holds and writes a shared writable mapping; a read-only
 * mapping is not written (EIO); an access that runs past the mapping stops
 * at its end; another process reads and writes through /proc/PID/mem and
 * ptrace. process_vm_readv() pins pages and has no ->access fallback in
 * any kernel: on a VM_PFNMAP mapping it fails with EFAULT (strace then
 * falls back to /proc/PID/mem), which is asserted too.
 *
 * The core asks ->access only where the architecture has ioremap_prot()
 * (CONFIG_HAVE_IOREMAP_PROT: x86 always, arm64 since 6.0). Elsewhere,
 * Debian's 5.10 arm64 kernel among them, a VM_PFNMAP mapping is out of a
 * debugger's reach: that EIO is asserted there, and the tests that need
 * ->access skip, saying why.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "probe.h"
#include "skel_test.h"

#define PAGES	3

FIXTURE(access) {
	int fd, mem;
	long page;
	off_t off;	/* mmap offset of the data */
	char *map;	/* PAGES pages, shared, read-write */
	int refused;	/* SKEL_ALLOC_REMAP_PFN refused, as it must be here */
	bool no_access;	/* a VM_PFNMAP the core never asks ->access about */
	const char *skip;	/* why the tests through ->access cannot run */
};

#define NO_ACCESS_FALLBACK \
	"this kernel never asks vm_ops->access (no CONFIG_HAVE_IOREMAP_PROT): a VM_PFNMAP mapping is out of a debugger's reach (asserted)"

FIXTURE_VARIANT(access) {
	const char *node;
	bool skel, pfnmap;
	__u32 skel_flags;
};

FIXTURE_VARIANT_ADD(access, simpler) {
	.node = "/dev/simpler", .pfnmap = true,
};

FIXTURE_VARIANT_ADD(access, simplen) {
	.node = "/dev/simplen",
};

FIXTURE_VARIANT_ADD(access, scullp) {
	.node = "/dev/scullp0",
};

FIXTURE_VARIANT_ADD(access, scullv) {
	.node = "/dev/scullv0",
};

FIXTURE_VARIANT_ADD(access, skel_coherent) {
	.node = SKEL_NODE, .skel = true, .pfnmap = true,
};

FIXTURE_VARIANT_ADD(access, skel_remap_pfn) {
	.node = SKEL_NODE, .skel = true, .pfnmap = true,
	.skel_flags = SKEL_ALLOC_REMAP_PFN,
};

FIXTURE_SETUP(access)
{
	size_t len, i;
	char *fill;

	self->page = sysconf(_SC_PAGESIZE);
	len = PAGES * self->page;
	self->fd = open(variant->node, O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("%s: %s", variant->node, strerror(errno));
	self->off = 0;
	self->map = MAP_FAILED;
	self->mem = -1;
	self->refused = skel_remap_pfn_refused(self->fd, variant->skel_flags);
	ASSERT_LE(0, self->refused);
	if (self->refused) {
		self->skip = SKEL_REMAP_PFN_REFUSED;
		return;
	}
	if (variant->pfnmap) {
		int prot = kernel_config("CONFIG_HAVE_IOREMAP_PROT");

		ASSERT_LE(0, prot)
			TH_LOG("cannot read the kernel's config (LDD3_KCONFIG)");
		self->no_access = !prot;
		if (self->no_access)
			self->skip = NO_ACCESS_FALLBACK;
	}
	if (variant->skel) {
		struct skel_alloc a;

		ASSERT_EQ(0, skel_alloc(self->fd, len, variant->skel_flags, &a))
			TH_LOG("SKEL_IOCALLOC of %zu bytes", len);
		self->off = (off_t)a.offset;
	} else if (!strncmp(variant->node, "/dev/scull", 10)) {
		/* A scull device maps what was written: write PAGES pages. */
		fill = calloc(1, len);
		ASSERT_NE(NULL, fill) TH_LOG("calloc");
		ASSERT_EQ((ssize_t)len, pwrite(self->fd, fill, len, 0))
			TH_LOG("write %s: %s", variant->node, strerror(errno));
		free(fill);
	}
	self->map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, self->off);
	ASSERT_NE(MAP_FAILED, self->map) TH_LOG("mmap: %s", strerror(errno));
	for (i = 0; i < len; i++)
		self->map[i] = (char)(i * 7 + 1);
	self->mem = open("/proc/self/mem", O_RDWR);
	ASSERT_LE(0, self->mem);
}

FIXTURE_TEARDOWN(access)
{
	if (self->map != MAP_FAILED)
		munmap(self->map, PAGES * self->page);
	if (self->mem >= 0)
		close(self->mem);
	close(self->fd);
}

TEST_F(access, proc_self_mem_reads_the_mapping)
{
	size_t len = PAGES * self->page;
	char *buf;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	buf = malloc(len);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ((ssize_t)len, pread(self->mem, buf, len,
				      (off_t)(uintptr_t)self->map))
		TH_LOG("read /proc/self/mem: %s", strerror(errno));
	EXPECT_EQ(0, memcmp(buf, self->map, len));
	free(buf);
}

TEST_F(access, proc_self_mem_writes_a_shared_writable_mapping)
{
	char *at = self->map + self->page - 2;	/* across a page boundary */

	if (self->skip)
		SKIP(return, "%s", self->skip);
	ASSERT_EQ(4, pwrite(self->mem, "WXYZ", 4, (off_t)(uintptr_t)at))
		TH_LOG("write /proc/self/mem: %s", strerror(errno));
	EXPECT_EQ(0, memcmp(at, "WXYZ", 4));
}

TEST_F(access, a_read_only_mapping_is_not_written)
{
	char *ro, before, got;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	ro = mmap(NULL, self->page, PROT_READ, MAP_SHARED, self->fd, self->off);
	before = self->map[10];
	ASSERT_NE(MAP_FAILED, ro);
	errno = 0;
	EXPECT_EQ(-1, pwrite(self->mem, "!", 1, (off_t)(uintptr_t)(ro + 10)));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(before, ro[10]);
	ASSERT_EQ(1, pread(self->mem, &got, 1, (off_t)(uintptr_t)(ro + 10)));
	EXPECT_EQ(before, got);
	munmap(ro, self->page);
}

TEST_F(access, an_access_past_the_mapping_stops_at_its_end)
{
	char *end = self->map + (PAGES - 1) * self->page;
	char buf[200];

	if (self->skip)
		SKIP(return, "%s", self->skip);
	/* The last page goes; a read from 100 bytes before it gets 100. */
	ASSERT_EQ(0, munmap(end, self->page));
	EXPECT_EQ(100, pread(self->mem, buf, sizeof(buf),
			     (off_t)(uintptr_t)(end - 100)));
	EXPECT_EQ(0, memcmp(buf, end - 100, 100));
	ASSERT_NE(MAP_FAILED, mmap(end, self->page, PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_FIXED, self->fd,
				   self->off + (PAGES - 1) * self->page));
}

TEST_F(access, another_process_reads_and_writes_through_proc_pid_mem)
{
	pid_t parent = getpid(), pid;
	int status;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char path[64], buf[16];
		int mem;

		snprintf(path, sizeof(path), "/proc/%d/mem", parent);
		mem = open(path, O_RDWR);
		if (mem < 0 ||
		    pread(mem, buf, sizeof(buf), (off_t)(uintptr_t)self->map) !=
			    sizeof(buf) ||
		    memcmp(buf, self->map, sizeof(buf)) != 0)
			_exit(1);
		_exit(pwrite(mem, "peer", 4, (off_t)(uintptr_t)self->map) == 4 ?
			      0 : 2);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child: %s", WEXITSTATUS(status) == 1 ?
		       "could not read" : "could not write");
	EXPECT_EQ(0, memcmp(self->map, "peer", 4));
}

TEST_F(access, ptrace_peeks_and_pokes_the_mapping)
{
	long want, word;
	int status;
	pid_t pid;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	memcpy(&want, self->map + 64, sizeof(want));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* The tracee: its VMA, inherited, maps the same memory. */
		pause();
		_exit(0);
	}
	ASSERT_EQ(0, ptrace(PTRACE_ATTACH, pid, NULL, NULL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	errno = 0;
	word = ptrace(PTRACE_PEEKDATA, pid, self->map + 64, NULL);
	EXPECT_EQ(0, errno) TH_LOG("PEEKDATA: %s", strerror(errno));
	EXPECT_EQ(want, word);
	EXPECT_EQ(0, ptrace(PTRACE_POKEDATA, pid, self->map + 64, ~want))
		TH_LOG("POKEDATA: %s", strerror(errno));
	memcpy(&word, self->map + 64, sizeof(word));
	EXPECT_EQ(~want, word);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

TEST_F(access, process_vm_readv_pins_pages_or_says_efault)
{
	char buf[64];
	struct iovec local = { buf, sizeof(buf) };
	struct iovec remote = { self->map, sizeof(buf) };
	ssize_t n;

	if (self->refused)
		SKIP(return, SKEL_REMAP_PFN_REFUSED);
	n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	if (n < 0 && errno == ENOSYS)
		SKIP(return, "no process_vm_readv (CONFIG_CROSS_MEMORY_ATTACH)");
	if (variant->pfnmap) {
		/* No struct page to pin, and no fallback to ->access. */
		EXPECT_EQ(-1, n) TH_LOG("process_vm_readv read a VM_PFNMAP");
		EXPECT_EQ(EFAULT, errno) TH_LOG("%s", strerror(errno));
	} else {
		EXPECT_EQ((ssize_t)sizeof(buf), n)
			TH_LOG("process_vm_readv: %s", strerror(errno));
		EXPECT_EQ(0, memcmp(buf, self->map, sizeof(buf)))
			TH_LOG("process_vm_readv read other bytes");
	}
}

/* Where the core never asks ->access, /proc/PID/mem gets EIO. */
TEST_F(access, a_pfnmap_without_an_access_fallback_is_eio)
{
	char buf[16];

	if (self->refused)
		SKIP(return, SKEL_REMAP_PFN_REFUSED);
	if (!self->no_access)
		SKIP(return, "the core asks vm_ops->access here, or the mapping has struct pages");
	errno = 0;
	EXPECT_EQ(-1, pread(self->mem, buf, sizeof(buf),
			    (off_t)(uintptr_t)self->map));
	EXPECT_EQ(EIO, errno) TH_LOG("%s", strerror(errno));
}

TEST_HARNESS_MAIN
