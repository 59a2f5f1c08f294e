// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/tlsock_stat: "Name<whitespace>value" lines of the network
 * namespace the calling thread is in.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "lib.h"

#define TLSOCK_STAT_PATH "/proc/net/tlsock_stat"

/* Walk the file; @fn returns non-zero to stop.  Returns that value or -errno. */
static int tlsock_stat_walk(int (*fn)(const char *name, long value, void *arg), void *arg)
{
	char line[256], name[128];
	int ret = 0, lines = 0;
	long value;
	FILE *f;

	f = fopen(TLSOCK_STAT_PATH, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %ld", name, &value) != 2) {
			ret = -EPROTO;
			break;
		}
		lines++;
		ret = fn(name, value, arg);
		if (ret)
			break;
	}
	fclose(f);
	if (!ret && !lines)
		ret = -ENODATA;
	return ret;
}

struct tlsock_stat_find {
	const char *name;
	long value;
};

static int tlsock_stat_match(const char *name, long value, void *arg)
{
	struct tlsock_stat_find *f = arg;

	if (strcmp(name, f->name))
		return 0;
	f->value = value;
	return 1;
}

/* Value of counter @name; -ENOENT when the file has no such line. */
int tlsock_stat_get(const char *name, long *value)
{
	struct tlsock_stat_find f = { .name = name };
	int ret = tlsock_stat_walk(tlsock_stat_match, &f);

	if (ret < 0)
		return ret;
	if (!ret)
		return -ENOENT;
	*value = f.value;
	return 0;
}

static int tlsock_stat_nonzero(const char *name, long value, void *arg)
{
	return value != 0;
}

/* 0 when the file exists and every counter is zero, 1 when one is not. */
int tlsock_stat_all_zero(void)
{
	return tlsock_stat_walk(tlsock_stat_nonzero, NULL);
}

/*
 * Whether the running kernel is older than @major.@minor: for what differs
 * between kernels outside tlsock (kTLS, the genetlink core).  An unreadable
 * release counts as new.
 */
bool tlsock_kernel_before(int major, int minor)
{
	static int have = -1, maj, min;
	struct utsname u;

	if (have < 0)
		have = !uname(&u) && sscanf(u.release, "%d.%d", &maj, &min) == 2;
	return have && (maj < major || (maj == major && min < minor));
}
