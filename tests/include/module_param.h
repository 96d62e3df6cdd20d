/* SPDX-License-Identifier: GPL-2.0 */
/* Set a module parameter at run time, and put the old value back. */
#ifndef MODULE_PARAM_H
#define MODULE_PARAM_H

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/*
 * Write @value to /sys/module/@module/parameters/@name; if @old is not
 * NULL, first save what it held there (@n bytes). Return 0 or -1.
 */
static inline int set_module_param(const char *module, const char *name,
				   const char *value, char *old, size_t n)
{
	char path[128];
	int fd, ret;

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s", module,
		 name);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return -1;
	if (old) {
		ssize_t len = read(fd, old, n - 1);

		old[len > 0 ? len : 0] = '\0';
	}
	ret = pwrite(fd, value, strlen(value), 0) == (ssize_t)strlen(value) ?
	      0 : -1;
	close(fd);
	return ret;
}

/* Write @val to the file @path (a sysfs knob). Return 0 or -1. */
static inline int write_knob(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -1;
	ret = fputs(val, f) < 0 ? -1 : 0;
	return fclose(f) || ret ? -1 : 0;
}

#endif /* MODULE_PARAM_H */
