// SPDX-License-Identifier: GPL-2.0
/*
 * A module whose device is still mapped cannot be unloaded: the mapping
 * holds the file, the file holds the module. rmmod fails with EBUSY and
 * harms nothing; once the mapping goes, rmmod succeeds.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

/* Run a command; return its exit status, or -1 if it did not exit. */
static int run(const char *cmd)
{
	int status = system(cmd);

	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void check_pinned(struct __test_metadata *_metadata,
			 const char *node, const char *module)
{
	char cmd[256];
	char *map;
	int fd;

	fd = open(node, O_RDWR);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", node, strerror(errno));
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map) TH_LOG("mmap %s: %s", node, strerror(errno));
	/* Only the mapping holds the module from here on. */
	ASSERT_EQ(0, close(fd));

	snprintf(cmd, sizeof(cmd), "rmmod %s 2>/dev/null", module);
	EXPECT_NE(0, run(cmd)) TH_LOG("rmmod %s succeeded while mapped", module);
	snprintf(cmd, sizeof(cmd), "test -d /sys/module/%s", module);
	EXPECT_EQ(0, run(cmd));

	ASSERT_EQ(0, munmap(map, 4096));
	snprintf(cmd, sizeof(cmd), "rmmod %s", module);
	EXPECT_EQ(0, run(cmd)) TH_LOG("rmmod %s failed after munmap", module);
	snprintf(cmd, sizeof(cmd), "test -e %s", node);
	EXPECT_NE(0, run(cmd)) TH_LOG("%s still exists after rmmod", node);
}

TEST(simple_mapped_cannot_unload)
{
	check_pinned(_metadata, "/dev/simpler", "simple");
}

TEST(scullp_mapped_cannot_unload)
{
	check_pinned(_metadata, "/dev/scullp0", "scullp");
}

TEST(scullv_mapped_cannot_unload)
{
	check_pinned(_metadata, "/dev/scullv0", "scullv");
}

TEST_HARNESS_MAIN
