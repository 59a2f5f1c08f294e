// SPDX-License-Identifier: GPL-2.0
/*
 * Reload when a file of the configuration changes: the configuration file
 * itself and every certificate, key, trust store and CRL it names.  inotify
 * watches their directories (editors and ACME clients replace files by
 * renaming), and the event loop reloads shortly after the last change.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/inotify.h>

#include "tlsockd.h"

#define WATCH_MAX 64

static struct {
	int wd;
	char dir[PATH_MAX];
	char name[NAME_MAX + 1];
} watched[WATCH_MAX];
static int nwatched;

int tlsockd_watch_open(void)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static void add(int ifd, const char *path)
{
	char a[PATH_MAX], b[PATH_MAX];
	int wd;

	if (!path || nwatched == WATCH_MAX || strlen(path) >= sizeof(a))
		return;
	strcpy(a, path);
	strcpy(b, path);
	wd = inotify_add_watch(ifd, dirname(a), IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE |
			       IN_DELETE | IN_ATTRIB);
	if (wd < 0)
		return;		/* the file cannot be watched: SIGHUP still works */
	watched[nwatched].wd = wd;
	strcpy(watched[nwatched].dir, a);
	strncpy(watched[nwatched].name, basename(b), NAME_MAX);
	nwatched++;
}

/**
 * tlsockd_watch_set() - watch the files of @conf (replacing older watches)
 * @ifd: inotify descriptor
 * @conf: configuration now in use
 * @conf_path: its file
 */
void tlsockd_watch_set(int ifd, const struct tlsockd_conf *conf, const char *conf_path)
{
	size_t i;

	for (i = 0; i < (size_t)nwatched; i++)
		inotify_rm_watch(ifd, watched[i].wd);	/* shared wds: errors are fine */
	nwatched = 0;
	add(ifd, conf_path);
	for (i = 0; i < conf->nprofiles; i++) {
		add(ifd, conf->profiles[i].cert);
		add(ifd, conf->profiles[i].key);
		add(ifd, conf->profiles[i].ca);
		add(ifd, conf->profiles[i].crl);
	}
}

/**
 * tlsockd_watch_changed() - drain inotify events
 * @ifd: inotify descriptor
 *
 * Return: true if one of the watched files changed.
 */
bool tlsockd_watch_changed(int ifd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false;
	ssize_t n;
	char *p;
	int i;

	while ((n = read(ifd, buf, sizeof(buf))) > 0) {
		for (p = buf; p < buf + n; p += sizeof(struct inotify_event) +
						((struct inotify_event *)p)->len) {
			const struct inotify_event *ev = (const void *)p;

			for (i = 0; i < nwatched; i++)
				if (ev->wd == watched[i].wd && ev->len &&
				    !strcmp(ev->name, watched[i].name))
					changed = true;
		}
	}
	return changed;
}
