/* SPDX-License-Identifier: GPL-2.0 */
/* What the scull tests share. */
#ifndef SCULL_TEST_H
#define SCULL_TEST_H

#include <fcntl.h>
#include <unistd.h>

/* Empty the device (write-only open) and return an O_RDWR descriptor. */
static inline int open_empty(const char *node)
{
	int fd = open(node, O_WRONLY);

	if (fd < 0)
		return -1;
	close(fd);
	return open(node, O_RDWR);
}

#endif /* SCULL_TEST_H */
