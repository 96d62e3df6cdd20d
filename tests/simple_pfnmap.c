// SPDX-License-Identifier: GPL-2.0
/*
 * The VM_PFNMAP rules that the kernel's own selftest mm/pfnmap.c checks on
 * /dev/mem, checked on /dev/simpler (remap_pfn_range) and, when simple maps
 * a device window (phys_size= set), on /dev/simplen too (vmf_insert_pfn):
 * the madvise() advices that need struct pages are refused with EINVAL,
 * munmap can split the mapping and the unmapped page can be mapped again,
 * mremap can move it onto a fixed address and shrink it but not grow it,
 * and a forked child can read it.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#define MADV_POPULATE_WRITE	23
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED	24
#endif

static sigjmp_buf fault_env;

static void on_fault(int sig)
{
	siglongjmp(fault_env, sig);
}

/* Read every page of [addr, addr + size): 0, or the signal it raised. */
static int read_pages(const char *addr, size_t size, size_t page)
{
	struct sigaction sa = { .sa_handler = on_fault };
	size_t off;
	int sig;

	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	alarm(10);	/* a fault that never resolves fails, not hangs */
	sig = sigsetjmp(fault_env, 1);
	for (off = 0; !sig && off < size; off += page)
		(void)*(volatile const char *)(addr + off);
	alarm(0);
	signal(SIGSEGV, SIG_DFL);
	signal(SIGBUS, SIG_DFL);
	return sig;
}

static int phys_mode(void)
{
	char buf[32] = "0";
	FILE *f = fopen("/sys/module/simple/parameters/phys_size", "r");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			strcpy(buf, "0");
		fclose(f);
	}
	return strtoull(buf, NULL, 0) != 0;
}

FIXTURE(pfnmap)
{
	size_t page;
	int fd;
	char *addr1;
	size_t size1;
	char *addr2;
	size_t size2;
};

FIXTURE_VARIANT(pfnmap)
{
	const char *node;
	int phys_only;
};

FIXTURE_VARIANT_ADD(pfnmap, simpler)
{
	.node = "/dev/simpler",
};

FIXTURE_VARIANT_ADD(pfnmap, simplen)
{
	.node = "/dev/simplen",
	.phys_only = 1,
};

/*
 * kselftest_harness.h of 6.1 runs the test body even when the setup
 * skipped: every test starts with this.
 */
#define SKIP_IF_NOT_PFNMAP() do {					\
	if (self->fd < 0)						\
		SKIP(return, "%s is VM_PFNMAP only on a device window",	\
		     variant->node);					\
} while (0)

FIXTURE_SETUP(pfnmap)
{
	self->page = sysconf(_SC_PAGESIZE);
	self->addr1 = MAP_FAILED;
	self->addr2 = MAP_FAILED;
	self->fd = -1;
	if (variant->phys_only && !phys_mode())
		return;		/* SKIP_IF_NOT_PFNMAP() in each test */

	self->fd = open(variant->node, O_RDONLY);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", variant->node,
				      strerror(errno));
	self->size1 = 2 * self->page;
	self->addr1 = mmap(NULL, self->size1, PROT_READ, MAP_SHARED,
			   self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->addr1) TH_LOG("mmap: %s", strerror(errno));
	ASSERT_EQ(0, read_pages(self->addr1, self->size1, self->page));
}

FIXTURE_TEARDOWN(pfnmap)
{
	if (self->addr2 != MAP_FAILED)
		munmap(self->addr2, self->size2);
	if (self->addr1 != MAP_FAILED)
		munmap(self->addr1, self->size1);
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(pfnmap, madvise_disallowed)
{
	static const struct {
		int advice;
		const char *name;
	} advices[] = {
		{ MADV_DONTNEED, "MADV_DONTNEED" },
		{ MADV_DONTNEED_LOCKED, "MADV_DONTNEED_LOCKED" },
		{ MADV_FREE, "MADV_FREE" },
		{ MADV_WIPEONFORK, "MADV_WIPEONFORK" },
		{ MADV_COLD, "MADV_COLD" },
		{ MADV_PAGEOUT, "MADV_PAGEOUT" },
		{ MADV_POPULATE_READ, "MADV_POPULATE_READ" },
		{ MADV_POPULATE_WRITE, "MADV_POPULATE_WRITE" },
	};
	int refused = 0, wrong = 0;
	size_t i;

	SKIP_IF_NOT_PFNMAP();
	for (i = 0; i < sizeof(advices) / sizeof(advices[0]); i++) {
		int ret = madvise(self->addr1, self->page, advices[i].advice);

		if (ret == 0)
			TH_LOG("%s was accepted", advices[i].name);
		else if (errno != EINVAL)
			TH_LOG("%s: %s", advices[i].name, strerror(errno));
		refused += ret != 0;
		wrong += ret != 0 && errno != EINVAL;
	}
	EXPECT_EQ(sizeof(advices) / sizeof(advices[0]), (size_t)refused);
	EXPECT_EQ(0, wrong);
	/* Nothing was dropped: the pages still read. */
	EXPECT_EQ(0, read_pages(self->addr1, self->size1, self->page));
}

TEST_F(pfnmap, munmap_split)
{
	SKIP_IF_NOT_PFNMAP();
	ASSERT_EQ(0, munmap(self->addr1, self->page));
	/* Map the first page again while the second is still mapped. */
	self->size2 = self->page;
	self->addr2 = mmap(NULL, self->page, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->addr2) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(0, read_pages(self->addr2, self->page, self->page));
	EXPECT_EQ(0, read_pages(self->addr1 + self->page, self->page,
				self->page));
	self->addr1 += self->page;
	self->size1 -= self->page;
}

TEST_F(pfnmap, mremap_fixed)
{
	char *ret;

	SKIP_IF_NOT_PFNMAP();
	self->size2 = self->size1;
	self->addr2 = mmap(NULL, self->size2, PROT_READ,
			   MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->addr2);
	ret = mremap(self->addr1, self->size1, self->size2,
		     MREMAP_FIXED | MREMAP_MAYMOVE, self->addr2);
	ASSERT_EQ(self->addr2, ret) TH_LOG("mremap: %s", strerror(errno));
	EXPECT_EQ(0, read_pages(self->addr2, self->size2, self->page));
	self->addr1 = MAP_FAILED;
}

TEST_F(pfnmap, mremap_shrink)
{
	char *ret;

	SKIP_IF_NOT_PFNMAP();
	ret = mremap(self->addr1, self->size1, self->size1 - self->page, 0);
	ASSERT_EQ(self->addr1, ret) TH_LOG("mremap: %s", strerror(errno));
	self->size1 -= self->page;
	EXPECT_EQ(0, read_pages(self->addr1, self->size1, self->page));
}

TEST_F(pfnmap, mremap_expand)
{
	SKIP_IF_NOT_PFNMAP();
	self->size2 = self->size1 + self->page;
	self->addr2 = mremap(self->addr1, self->size1, self->size2,
			     MREMAP_MAYMOVE);
	ASSERT_EQ(MAP_FAILED, self->addr2) TH_LOG("a VM_PFNMAP mapping grew");
	EXPECT_EQ(EFAULT, errno) TH_LOG("%s", strerror(errno));
}

TEST_F(pfnmap, fork)
{
	int status;
	pid_t pid;

	SKIP_IF_NOT_PFNMAP();
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(read_pages(self->addr1, self->size1, self->page) ? 1 : 0);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("the child could not read the mapping");
}

TEST_HARNESS_MAIN
