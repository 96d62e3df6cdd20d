/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Load one of the test kernel's own modules (vgem, vivid) in the test VM.
 * The guest runs the host's userland, whose /lib/modules is not the test
 * kernel's: tests/harness/vm exports LDD3_MODROOT, the root the kernel's
 * modules are unpacked under, for modprobe -d.
 */
#ifndef KERNEL_MODULE_H
#define KERNEL_MODULE_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

/* modprobe @name (with @args, or ""). Return modprobe's exit status. */
static inline int load_kernel_module(const char *name, const char *args)
{
	const char *root = getenv("LDD3_MODROOT");
	char cmd[512];
	int ret;

	snprintf(cmd, sizeof(cmd), "modprobe -q %s%s %s %s", root ? "-d " : "",
		 root ? root : "", name, args);
	ret = system(cmd);
	return ret == -1 ? -1 : WEXITSTATUS(ret);
}

#endif /* KERNEL_MODULE_H */
