// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile input on /dev/simpler and /dev/simplen (RAM buffer): the shared
 * cases of tests/include/hostile.h, plus ioctl (simple has none: ENOTTY) and
 * rmmod while a descriptor is open. The README's "Hostile input" table
 * lists what each returns.
 */
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "hostile.h"

FIXTURE_VARIANT_ADD(hostile, simpler) {
	.node = "/dev/simpler", .name = "simpler", .module = "simple",
	.pfnmap = true,
};

FIXTURE_VARIANT_ADD(hostile, simplen) {
	.node = "/dev/simplen", .name = "simplen", .module = "simple",
};

TEST_F(hostile, ioctl_is_enotty)
{
	int v;

	EXPECT_EQ(-1, ioctl(self->fd, _IOR('K', 3, int), &v));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IOR('K', 3, int), (void *)8));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(hostile, rmmod_while_open)
{
	rmmod_while_open(_metadata, self, variant->module, variant->node);
}

TEST_HARNESS_MAIN
