// SPDX-License-Identifier: GPL-2.0
/*
 * An mmap that fails half way leaves the counts right. A process in a
 * memory cgroup with no room left maps the whole of /dev/simpler again and
 * again until an mmap fails for want of memory (a page table or the VMA
 * cannot be charged; on 7.1+ that can be the core's remap action after
 * .mmap_prepare, after which the core closes a VMA that ->mapped never
 * announced), or the group's OOM killer ends it. Once it is gone,
 * /sys/class/simple/simpler/mappings reads 0, not -1.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "memcg.h"
#include "probe.h"
#include "simple_test.h"

#define TRIES	200000

/* In @dir, map @fd whole until mmap fails; exit with its errno, or 0. */
static void map_until_it_fails(const char *dir, int fd, size_t size)
{
	long i;

	if (mlockall(MCL_CURRENT))
		_exit(100);
	if (memcg_join(dir))
		_exit(101);
	for (i = 0; i < TRIES; i++)
		if (mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 0) == MAP_FAILED)
			_exit(errno);
	_exit(0);
}

TEST(simpler_mmap_failing_for_memory_leaves_mappings_0)
{
	size_t size = simple_param("size");
	int fd, status, ret;
	char dir[128];
	pid_t pid;

	/*
	 * Before 7.1 a failed remap is the .mmap method's own error, and the
	 * count is right (tested on 6.1: mappings 0); but there the kernel's
	 * remap_pfn_range() error path, zapping a VM_PAT range whose first
	 * PTE was never made, WARNs in x86 PAT's untrack_pfn() (Debian 6.1),
	 * which fails the run. That is the kernel's, not the driver's: this
	 * test is for the 7.1+ path the count depends on.
	 */
	if (!kernel_at_least(7, 1))
		SKIP(return, "before 7.1 a failed remap is .mmap's own error; 6.1's remap_pfn_range error path WARNs in untrack_pfn");
	snprintf(dir, sizeof(dir), CG_ROOT "/ldd3-mmap-enomem-%d", getpid());
	/* Room for some page tables and VMAs, not for thousands. */
	ret = memcg_make(dir, 2 << 20);
	if (ret == 1)
		SKIP(return, "this kernel has no memory cgroup controller");
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", dir, strerror(errno));
	fd = open("/dev/simpler", O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, simple_mappings("simpler"));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		map_until_it_fails(dir, fd, size);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	close(fd);
	rmdir(dir);
	/*
	 * The group's OOM killer may end the mapper first (a page table is
	 * charged without __GFP_RETRY_MAYFAIL); its last mmap then fails as
	 * it dies. Either way some mmap failed for want of memory.
	 */
	if (WIFSIGNALED(status)) {
		EXPECT_EQ(SIGKILL, WTERMSIG(status));
	} else {
		EXPECT_EQ(ENOMEM, WEXITSTATUS(status))
			TH_LOG("the mapper ended with %s", WEXITSTATUS(status) ?
			       strerror(WEXITSTATUS(status)) : "no failure");
	}
	EXPECT_EQ(0, simple_mappings("simpler"));
}

TEST_HARNESS_MAIN
