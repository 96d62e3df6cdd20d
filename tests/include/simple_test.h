/* SPDX-License-Identifier: GPL-2.0 */
/* What the simple tests share. */
#ifndef SIMPLE_TEST_H
#define SIMPLE_TEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The live VMA count simple.ko reports for @node ("simpler"/"simplen") in
 * sysfs, or -1 if it cannot be read.
 */
static inline int simple_mappings(const char *node)
{
	char path[128], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/simple/%s/mappings", node);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return buf[0] ? (int)strtol(buf, NULL, 10) : -1;
}

/*
 * A parameter of simple.ko from /sys/module/simple/parameters (Y/N as
 * 1/0); a parameter that cannot be read ends the program.
 */
static inline unsigned long long simple_param(const char *name)
{
	char path[128], buf[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/simple/parameters/%s", name);
	f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f)) {
		fprintf(stderr, "cannot read %s: %s\n", path, strerror(errno));
		exit(1);
	}
	fclose(f);
	if (buf[0] == 'Y' || buf[0] == 'N')
		return buf[0] == 'Y';
	return strtoull(buf, NULL, 0);
}

#endif /* SIMPLE_TEST_H */
