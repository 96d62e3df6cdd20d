// SPDX-License-Identifier: GPL-2.0
/*
 * Two geometry ioctls at once both take effect: a thread setting qset
 * (SCULLP_IOCTQSET) and one setting the order (SCULLP_IOCTORDER), started
 * together round after round, leave the device with both new values. (A
 * driver that reads both fields, then writes both back, loses one of the
 * two updates whenever the ioctls overlap.)
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "scull_ioctl.h"
#include "scull_test.h"

#define ROUNDS	10000

struct race {
	int fd;
	pthread_barrier_t start, done;
	int err;
};

static int qset_of(int round)
{
	return 10 + round % 7;
}

static int order_of(int round)
{
	return round % 3;
}

/* One side of the race: an ioctl that sets one field, every round. */
struct racer {
	struct race *race;
	unsigned long cmd;
	int (*value_of)(int round);
};

static void *race_one_field(void *arg)
{
	const struct racer *r = arg;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		pthread_barrier_wait(&r->race->start);
		if (ioctl(r->race->fd, r->cmd, r->value_of(i)))
			r->race->err = errno;
		pthread_barrier_wait(&r->race->done);
	}
	return NULL;
}

FIXTURE(race) {
	struct race r;
	pthread_t a, b;
};

FIXTURE_VARIANT(race) {
	const char *node;
};

FIXTURE_VARIANT_ADD(race, scullp) {
	.node = "/dev/scullp0",
};

FIXTURE_VARIANT_ADD(race, scullv) {
	.node = "/dev/scullv0",
};

FIXTURE_SETUP(race)
{
	memset(&self->r, 0, sizeof(self->r));
	self->r.fd = open_empty(variant->node);
	ASSERT_LE(0, self->r.fd);
	pthread_barrier_init(&self->r.start, NULL, 3);
	pthread_barrier_init(&self->r.done, NULL, 3);
}

FIXTURE_TEARDOWN(race)
{
	ioctl(self->r.fd, SCULLP_IOCRESET);
	close(self->r.fd);
}

TEST_F(race, setting_qset_and_order_at_once_keeps_both)
{
	struct racer qset_setter = { &self->r, SCULLP_IOCTQSET, qset_of };
	struct racer order_setter = { &self->r, SCULLP_IOCTORDER, order_of };
	int i, lost = 0, first = -1;

	ASSERT_EQ(0, pthread_create(&self->a, NULL, race_one_field,
				    &qset_setter));
	ASSERT_EQ(0, pthread_create(&self->b, NULL, race_one_field,
				    &order_setter));
	for (i = 0; i < ROUNDS; i++) {
		int order, qset;

		pthread_barrier_wait(&self->r.start);
		pthread_barrier_wait(&self->r.done);
		order = ioctl(self->r.fd, SCULLP_IOCQORDER);
		qset = ioctl(self->r.fd, SCULLP_IOCQQSET);
		if (order != order_of(i) || qset != qset_of(i)) {
			if (first < 0)
				first = i;
			lost++;
		}
	}
	pthread_join(self->a, NULL);
	pthread_join(self->b, NULL);
	EXPECT_EQ(0, self->r.err) TH_LOG("ioctl: %s", strerror(self->r.err));
	EXPECT_EQ(0, lost) TH_LOG("%d of %d rounds lost an update (first: round %d)",
				  lost, ROUNDS, first);
}

TEST_HARNESS_MAIN
