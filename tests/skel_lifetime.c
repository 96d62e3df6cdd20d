// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/skel buffer lifetime: a buffer lives while its file holds it or any
 * mapping of it exists, and not a moment longer. Free while mapped, close
 * without free, fork then free in the parent, a mapping split in two, bad
 * ids. The driver's live counters (/sys/class/misc/skel/{buffers,bytes,
 * mappings}) show when the memory really goes; kmemleak and the kernel's
 * page checks (tests/harness/vm boots with slub_debug and page_poison) watch the
 * rest.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "skel_test.h"

FIXTURE(skel) {
	int fd;
	size_t page;
};

FIXTURE_SETUP(skel)
{
	self->page = sysconf(_SC_PAGESIZE);
	self->fd = open(SKEL_NODE, O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", SKEL_NODE,
				      strerror(errno));
}

FIXTURE_TEARDOWN(skel)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(skel, free_while_mapped_then_unmap)
{
	struct skel_alloc a;
	uint8_t *map;

	ASSERT_EQ(0, skel_alloc(self->fd, 3 * self->page, 0, &a));
	map = skel_map(self->fd, a.size, a.offset);
	ASSERT_NE(MAP_FAILED, map) TH_LOG("mmap: %s", strerror(errno));
	ASSERT_EQ(0, dev_write(self->fd, map, a.size, 51));

	ASSERT_EQ(0, skel_free(self->fd, a.id));
	/* Freed for the file, alive for the mapping. */
	EXPECT_EQ(1, skel_stat("buffers"));
	EXPECT_EQ((long long)a.size, skel_stat("bytes"));
	EXPECT_EQ(-1, not_pattern(map, a.size, 51));
	map[0] = 0xa5;
	EXPECT_EQ(0xa5, map[0]);
	map[0] = skel_pattern(51, 0);
	/* The device no longer accepts it, the offset no longer maps it. */
	EXPECT_EQ(EFAULT, dev_write(self->fd, map, a.size, 52));
	EXPECT_EQ(-EFAULT, dev_read(self->fd, map, a.size, 51));
	EXPECT_EQ(-1, not_pattern(map, a.size, 51));
	EXPECT_EQ(MAP_FAILED, skel_map(self->fd, a.size, a.offset));
	EXPECT_EQ(ENOENT, skel_free(self->fd, a.id));

	EXPECT_EQ(0, munmap(map, a.size));
	EXPECT_EQ(0, skel_stat("buffers"));
	EXPECT_EQ(0, skel_stat("bytes"));
	EXPECT_EQ(0, skel_stat("mappings"));
}

/* Freeing one of two mappings' buffer keeps it until the second goes. */
TEST_F(skel, free_with_two_mappings_then_unmap_each)
{
	struct skel_alloc a;
	uint8_t *m1, *m2;

	ASSERT_EQ(0, skel_alloc(self->fd, self->page, 0, &a));
	m1 = skel_map(self->fd, a.size, a.offset);
	m2 = skel_map(self->fd, a.size, a.offset);
	ASSERT_NE(MAP_FAILED, m1);
	ASSERT_NE(MAP_FAILED, m2);
	ASSERT_EQ(0, skel_free(self->fd, a.id));
	EXPECT_EQ(0, munmap(m1, a.size));
	EXPECT_EQ(1, skel_stat("buffers"));
	m2[1] = 7;
	EXPECT_EQ(0, munmap(m2, a.size));
	EXPECT_EQ(0, skel_stat("buffers"));
}

/* The article's "free on close", with and without a mapping left. */
TEST_F(skel, close_without_free)
{
	struct skel_alloc a, b, c;
	uint8_t *map;
	/* The third buffer: remap_pfn where the device has those. */
	int refused = skel_remap_pfn_refused(self->fd, SKEL_ALLOC_REMAP_PFN);
	__u32 third = refused ? SKEL_ALLOC_CACHED : SKEL_ALLOC_REMAP_PFN;

	ASSERT_LE(0, refused);
	ASSERT_EQ(0, skel_alloc(self->fd, self->page, 0, &a));
	ASSERT_EQ(0, skel_alloc(self->fd, 2 * self->page, 0, &b));
	EXPECT_EQ(2, skel_stat("buffers"));
	ASSERT_EQ(0, close(self->fd));
	EXPECT_EQ(0, skel_stat("buffers"));
	EXPECT_EQ(0, skel_stat("bytes"));

	self->fd = open(SKEL_NODE, O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, skel_alloc(self->fd, self->page, 0, &a));
	ASSERT_EQ(0, skel_alloc(self->fd, 2 * self->page, 0, &b));
	ASSERT_EQ(0, skel_alloc(self->fd, self->page, third, &c));
	map = skel_map(self->fd, b.size, b.offset);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, dev_write(self->fd, map, b.size, 61));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	/* The mapping holds the file: nothing is released yet. */
	EXPECT_EQ(3, skel_stat("buffers"));
	EXPECT_EQ(-1, not_pattern(map, b.size, 61));
	/* ... and pins the module. */
	EXPECT_EQ(-1, syscall(SYS_delete_module, "skel", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);

	EXPECT_EQ(0, munmap(map, b.size));
	EXPECT_EQ(0, skel_stat("buffers"));
	EXPECT_EQ(0, skel_stat("bytes"));
	EXPECT_EQ(0, skel_stat("mappings"));
}

/*
 * fork: the child's copy of the mapping holds the buffer. The child has the
 * device write into it, the parent sees that, frees the buffer and unmaps;
 * the child still reads it, the device refuses it; when the
 * child exits the memory goes.
 */
TEST_F(skel, fork_then_free_in_parent)
{
	int to_child[2], to_parent[2];
	struct skel_alloc a;
	uint8_t *map;
	char c = 0;
	int status;
	pid_t pid;

	ASSERT_EQ(0, skel_alloc(self->fd, 2 * self->page, 0, &a));
	map = skel_map(self->fd, a.size, a.offset);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int bad = 0;

		if (dev_write(self->fd, map, a.size, 71))
			bad |= 1;
		if (write(to_parent[1], "w", 1) != 1 ||
		    read(to_child[0], &c, 1) != 1)
			_exit(100);
		/* The parent has freed and unmapped. */
		if (not_pattern(map, a.size, 71) != -1)
			bad |= 2;
		if (dev_write(self->fd, map, a.size, 72) != EFAULT)
			bad |= 8;
		if (skel_stat("buffers") != 1 || skel_stat("mappings") != 1)
			bad |= 16;
		_exit(bad);
	}

	ASSERT_EQ(1, read(to_parent[0], &c, 1));
	EXPECT_EQ(2, skel_stat("mappings"));
	EXPECT_EQ(-1, not_pattern(map, a.size, 71));
	EXPECT_EQ(0, skel_free(self->fd, a.id));
	EXPECT_EQ(0, munmap(map, a.size));
	EXPECT_EQ(1, skel_stat("buffers"));
	ASSERT_EQ(1, write(to_child[1], "g", 1));

	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("child: signal %d",
					      WTERMSIG(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("child failures (bits): 1 write, 2 data, 8 not refused, 16 counts");
	EXPECT_EQ(0, skel_stat("buffers"));
	EXPECT_EQ(0, skel_stat("mappings"));
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
}

/*
 * munmap of a middle page splits the VMA: each piece keeps its place in the
 * buffer, the device writes through the second piece at the right offset,
 * and a transfer across the hole is refused.
 */
TEST_F(skel, a_split_mapping_keeps_its_offsets)
{
	size_t pg = self->page;
	struct skel_alloc a;
	uint8_t *map, *whole;

	ASSERT_EQ(0, skel_alloc(self->fd, 4 * pg, 0, &a));
	map = skel_map(self->fd, a.size, a.offset);
	whole = skel_map(self->fd, a.size, a.offset);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_NE(MAP_FAILED, whole);
	ASSERT_EQ(0, munmap(map + pg, pg));
	EXPECT_EQ(3, skel_stat("mappings"));

	ASSERT_EQ(0, dev_write(self->fd, map + 2 * pg, 2 * pg, 81));
	EXPECT_EQ(-1, not_pattern(whole + 2 * pg, 2 * pg, 81));
	EXPECT_EQ(-1, not_byte(whole, 2 * pg, 0));
	EXPECT_EQ(EFAULT, dev_write(self->fd, map, 3 * pg, 82));
	EXPECT_EQ(-1, not_byte(whole, 2 * pg, 0));

	/* mprotect of one page splits too; the device ignores protection. */
	ASSERT_EQ(0, mprotect(map + 3 * pg, pg, PROT_READ));
	EXPECT_EQ(4, skel_stat("mappings"));
	EXPECT_EQ(EFAULT, dev_write(self->fd, map + 2 * pg, 2 * pg, 83));
	EXPECT_EQ(0, dev_write(self->fd, map + 3 * pg, pg, 83));
	EXPECT_EQ(-1, not_pattern(whole + 3 * pg, pg, 83));

	EXPECT_EQ(0, munmap(map, 4 * pg));
	EXPECT_EQ(0, munmap(whole, a.size));
	EXPECT_EQ(0, skel_stat("mappings"));
	EXPECT_EQ(0, skel_free(self->fd, a.id));
}

/* Ids are per file: what the file does not hold is ENOENT. */
TEST_F(skel, bad_ids_are_refused)
{
	struct skel_alloc a, other;
	int fd2 = open(SKEL_NODE, O_RDWR);

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, skel_alloc(self->fd, self->page, 0, &a));
	ASSERT_EQ(0, skel_alloc(fd2, self->page, 0, &other));
	EXPECT_EQ(ENOENT, skel_free(self->fd, 0));
	EXPECT_EQ(ENOENT, skel_free(self->fd, a.id + 1000));
	EXPECT_EQ(ENOENT, skel_free(self->fd, UINT32_MAX));
	/* Another open file's buffer, even with the same id. */
	EXPECT_EQ(a.id, other.id);
	EXPECT_EQ(0, skel_free(fd2, other.id));
	EXPECT_EQ(ENOENT, skel_free(fd2, other.id));
	EXPECT_EQ(1, skel_stat("buffers"));
	EXPECT_EQ(0, skel_free(self->fd, a.id));
	EXPECT_EQ(ENOENT, skel_free(self->fd, a.id));
	/* An unknown command. */
	EXPECT_EQ(-1, ioctl(self->fd, _IO(SKEL_IOC_MAGIC, 0x7f)));
	EXPECT_EQ(ENOTTY, errno);
	close(fd2);
}

TEST_HARNESS_MAIN
