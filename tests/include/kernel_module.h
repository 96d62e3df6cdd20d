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
#include <string.h>
#include <sys/utsname.h>
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

/*
 * The debug kernel built here (release "-ldd3debug") has vgem and vivid as
 * modules, but its guest does not load them: insmod fails with ENOENT and
 * no kernel message, even for a module without dependencies. Tests that
 * need them skip there with this reason; Debian's kernels load them.
 */
#define KERNEL_MODULES_SKIP \
	"the debug kernel's guest loads none of its own modules (vgem, vivid)"

static inline int kernel_modules_unloadable(void)
{
	struct utsname u;

	return !uname(&u) && strstr(u.release, "-ldd3debug");
}

#endif /* KERNEL_MODULE_H */
