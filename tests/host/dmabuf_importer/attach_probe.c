// SPDX-License-Identifier: GPL-2.0
/*
 * attach_probe: export a one-page /dev/skel buffer and hand its dma-buf to
 * the test importer (dmabuf_importer.ko). Prints "attach: 0" or "attach:"
 * and the error, then "left: B buffers, E exports" once everything is
 * closed. Exit status 0 unless a step before the attach failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "skel_test.h"

#define DMABUF_IMPORTER_ATTACH	_IOW('k', 0x70, int)

int main(void)
{
	struct skel_alloc a;
	int skel, importer, dmabuf, ret;

	skel = open(SKEL_NODE, O_RDWR);
	importer = open("/dev/dmabuf_importer", O_RDWR);
	if (skel < 0 || importer < 0) {
		fprintf(stderr, "attach_probe: cannot open %s: %s\n",
			skel < 0 ? SKEL_NODE : "/dev/dmabuf_importer",
			strerror(errno));
		return 1;
	}
	ret = skel_alloc(skel, sysconf(_SC_PAGESIZE), 0, &a);
	if (!ret)
		ret = skel_export(skel, a.id, O_RDWR, &dmabuf);
	if (ret) {
		fprintf(stderr, "attach_probe: allocating and exporting: %s\n",
			strerror(ret));
		return 1;
	}
	ret = ioctl(importer, DMABUF_IMPORTER_ATTACH, &dmabuf) ? errno : 0;
	printf("attach: %s\n", ret ? strerror(ret) : "0");
	close(dmabuf);
	close(skel);
	close(importer);
	printf("left: %lld buffers, %lld exports\n", skel_stat("buffers"),
	       skel_stat("exports"));
	return 0;
}
