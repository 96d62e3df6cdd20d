/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory cgroups for the tests: a cgroup v2 group with a memory.max, and
 * a process that moves itself into it.
 */
#ifndef MEMCG_H
#define MEMCG_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define CG_ROOT	"/sys/fs/cgroup"

/* Write @s to the file @dir/@name; 0 or -1. */
static inline int cg_write(const char *dir, const char *name, const char *s)
{
	char path[256];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ret = write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -1;
	close(fd);
	return ret;
}

/*
 * Make the group @dir under the root (cgroup v2, mounted here if it is
 * not) with memory.max = @max bytes. Return 0, -1 on error, or 1 if the
 * kernel has no memory controller.
 */
static inline int memcg_make(const char *dir, long long max)
{
	char controllers[256] = "", value[32];
	struct stat st;
	FILE *f;

	if (stat(CG_ROOT "/cgroup.controllers", &st))
		mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL);
	f = fopen(CG_ROOT "/cgroup.controllers", "r");
	if (f) {
		if (!fgets(controllers, sizeof(controllers), f))
			controllers[0] = '\0';
		fclose(f);
	}
	if (!strstr(controllers, "memory"))
		return 1;
	snprintf(value, sizeof(value), "%lld", max);
	if (cg_write(CG_ROOT, "cgroup.subtree_control", "+memory") ||
	    mkdir(dir, 0755) || cg_write(dir, "memory.max", value))
		return -1;
	return 0;
}

/* Move the calling process into @dir; 0 or -1. */
static inline int memcg_join(const char *dir)
{
	char pid[32];

	snprintf(pid, sizeof(pid), "%d", getpid());
	return cg_write(dir, "cgroup.procs", pid);
}

#endif /* MEMCG_H */
