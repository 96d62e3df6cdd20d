// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/skel limits: the per-file caps (file_max_buffers, file_max_bytes:
 * ENOSPC) and the global ones (max_buffers, max_bytes: ENOMEM, counting
 * freed buffers that are still mapped), sizes rounded to pages before they
 * are counted, sizes and flags the driver never accepts (EINVAL), and the
 * node's permissions. The limits are module parameters that root may
 * change at run time; the fixture restores them after each test.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "skel_test.h"

static const char * const params[] = {
	"file_max_buffers", "file_max_bytes", "max_buffers", "max_bytes",
};
#define NPARAMS (sizeof(params) / sizeof(params[0]))

FIXTURE(caps) {
	int fd, fd2;
	long long pg;
	long long saved[NPARAMS];
};

FIXTURE_SETUP(caps)
{
	unsigned int i;

	self->pg = sysconf(_SC_PAGESIZE);
	for (i = 0; i < NPARAMS; i++) {
		self->saved[i] = skel_param(params[i]);
		ASSERT_LT(0, self->saved[i]) TH_LOG("%s", params[i]);
	}
	self->fd = open(SKEL_NODE, O_RDWR);
	self->fd2 = open(SKEL_NODE, O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open: %s", strerror(errno));
	ASSERT_LE(0, self->fd2) TH_LOG("open: %s", strerror(errno));
}

FIXTURE_TEARDOWN(caps)
{
	unsigned int i;

	close(self->fd);
	close(self->fd2);
	for (i = 0; i < NPARAMS; i++)
		EXPECT_EQ(0, skel_param_set(params[i], self->saved[i]));
}

TEST_F(caps, per_file_count_is_enospc)
{
	struct skel_alloc a[4], b;
	void *map;

	ASSERT_EQ(0, skel_param_set("file_max_buffers", 3));
	ASSERT_EQ(0, skel_alloc(self->fd, 1, 0, &a[0]));
	ASSERT_EQ(0, skel_alloc(self->fd, 1, 0, &a[1]));
	ASSERT_EQ(0, skel_alloc(self->fd, 1, 0, &a[2]));
	EXPECT_EQ(ENOSPC, skel_alloc(self->fd, 1, 0, &a[3]));
	/* Another file has its own allowance. */
	EXPECT_EQ(0, skel_alloc(self->fd2, 1, 0, &b));
	/* A freed buffer leaves the file's count, mapped or not. */
	map = skel_map(self->fd, self->pg, a[1].offset);

	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(0, skel_free(self->fd, a[1].id));
	EXPECT_EQ(0, skel_alloc(self->fd, 1, 0, &a[3]));
	EXPECT_EQ(ENOSPC, skel_alloc(self->fd, 1, 0, &a[1]));
	EXPECT_EQ(0, munmap(map, self->pg));
}

TEST_F(caps, per_file_bytes_is_enospc_after_rounding)
{
	struct skel_alloc a, b;

	ASSERT_EQ(0, skel_param_set("file_max_bytes", 4 * self->pg));
	ASSERT_EQ(0, skel_alloc(self->fd, 2 * self->pg + 1, 0, &a));
	EXPECT_EQ((uint64_t)(3 * self->pg), a.size);
	/* One byte more is a page more: 5 pages. */
	EXPECT_EQ(ENOSPC, skel_alloc(self->fd, self->pg + 1, 0, &b));
	EXPECT_EQ(0, skel_alloc(self->fd, self->pg, 0, &b));
	EXPECT_EQ(ENOSPC, skel_alloc(self->fd, 1, 0, &b));
	EXPECT_EQ(0, skel_alloc(self->fd2, 4 * self->pg, 0, &b));
	EXPECT_EQ(0, skel_free(self->fd, a.id));
	EXPECT_EQ(0, skel_alloc(self->fd, 3 * self->pg, 0, &a));
	EXPECT_EQ(8 * self->pg, skel_stat("bytes"));
}

/* Global limits count every live buffer, freed-but-mapped ones too. */
TEST_F(caps, global_count_is_enomem_until_the_last_unmap)
{
	struct skel_alloc a, b, c;
	void *map;

	ASSERT_EQ(0, skel_param_set("max_buffers", 2));
	ASSERT_EQ(0, skel_alloc(self->fd, 1, 0, &a));
	ASSERT_EQ(0, skel_alloc(self->fd2, 1, 0, &b));
	EXPECT_EQ(ENOMEM, skel_alloc(self->fd, 1, 0, &c));
	EXPECT_EQ(ENOMEM, skel_alloc(self->fd2, 1, 0, &c));

	map = skel_map(self->fd, self->pg, a.offset);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(0, skel_free(self->fd, a.id));
	EXPECT_EQ(ENOMEM, skel_alloc(self->fd2, 1, 0, &c));
	EXPECT_EQ(0, munmap(map, self->pg));
	EXPECT_EQ(0, skel_alloc(self->fd2, 1, 0, &c));
	EXPECT_EQ(2, skel_stat("buffers"));
}

TEST_F(caps, global_bytes_is_enomem_until_the_last_unmap)
{
	struct skel_alloc a, b, c;
	void *map;

	ASSERT_EQ(0, skel_param_set("max_bytes", 3 * self->pg));
	ASSERT_EQ(0, skel_alloc(self->fd, 2 * self->pg, 0, &a));
	EXPECT_EQ(ENOMEM, skel_alloc(self->fd2, 2 * self->pg, 0, &b));
	EXPECT_EQ(ENOMEM, skel_alloc(self->fd2, self->pg + 1, 0, &b));
	ASSERT_EQ(0, skel_alloc(self->fd2, self->pg, 0, &b));
	EXPECT_EQ(ENOMEM, skel_alloc(self->fd, 1, 0, &c));

	map = skel_map(self->fd, a.size, a.offset);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(0, skel_free(self->fd, a.id));
	EXPECT_EQ(ENOMEM, skel_alloc(self->fd, 1, 0, &c));
	EXPECT_EQ(0, munmap(map, a.size));
	EXPECT_EQ(0, skel_alloc(self->fd, 2 * self->pg, 0, &c));
}

/* The per-file limit is checked first: ENOSPC when both are reached. */
TEST_F(caps, per_file_before_global)
{
	struct skel_alloc a;

	ASSERT_EQ(0, skel_param_set("file_max_buffers", 1));
	ASSERT_EQ(0, skel_param_set("max_buffers", 1));
	ASSERT_EQ(0, skel_alloc(self->fd, 1, 0, &a));
	EXPECT_EQ(ENOSPC, skel_alloc(self->fd, 1, 0, &a));
	EXPECT_EQ(ENOMEM, skel_alloc(self->fd2, 1, 0, &a));
}

TEST_F(caps, sizes_and_flags_never_accepted_are_einval)
{
	struct skel_alloc a;

	EXPECT_EQ(EINVAL, skel_alloc(self->fd, 0, 0, &a));
	EXPECT_EQ(EINVAL, skel_alloc(self->fd, SKEL_BUF_MAX + 1ULL, 0, &a));
	EXPECT_EQ(EINVAL, skel_alloc(self->fd, 1ULL << 63, 0, &a));
	EXPECT_EQ(EINVAL, skel_alloc(self->fd, UINT64_MAX, 0, &a));
	EXPECT_EQ(EINVAL, skel_alloc(self->fd, 1, 0x4, &a));
	EXPECT_EQ(EINVAL, skel_alloc(self->fd, 1, SKEL_ALLOC_REMAP_PFN |
				     SKEL_ALLOC_CACHED, &a));
	EXPECT_EQ(EINVAL, skel_alloc(self->fd, 1, UINT32_MAX, &a));
	EXPECT_EQ(-1, ioctl(self->fd, SKEL_IOCALLOC, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, skel_stat("buffers"));

	/* The largest size: one physically contiguous 4 MiB block. */
	ASSERT_EQ(0, skel_alloc(self->fd, SKEL_BUF_MAX, 0, &a));
	EXPECT_EQ(SKEL_BUF_MAX, a.size);
	EXPECT_EQ(0, skel_free(self->fd, a.id));
}

/* Root only: the node is 0600 root, a plain user cannot open it. */
TEST_F(caps, the_node_is_root_only)
{
	struct stat st;
	int status;
	pid_t pid;

	ASSERT_EQ(0, stat(SKEL_NODE, &st));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		_exit(open(SKEL_NODE, O_RDWR) < 0 && errno == EACCES ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("1: opened, 2: setuid");
}

TEST_HARNESS_MAIN
