// SPDX-License-Identifier: GPL-2.0
/*
 * Readiness for a supervisor: systemd's notification protocol, written by
 * hand (no libsystemd).  When $NOTIFY_SOCKET names a unix datagram socket
 * (a path, or "@name" for the abstract namespace), each state is one
 * datagram of "KEY=value" lines, "READY=1" among them once the daemon
 * serves.  Without $NOTIFY_SOCKET nothing is sent.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "tlsockd.h"

/**
 * tlsockd_notify() - tell the supervisor our state
 * @state: "KEY=value" lines, e.g. "READY=1\nSTATUS=..."
 *
 * Return: 0 (also when no supervisor listens), or a negative errno.
 */
int tlsockd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t plen, len = strlen(state);
	socklen_t alen;
	int fd, err = 0;

	if (!path || !*path)
		return 0;
	plen = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || plen >= sizeof(sun.sun_path))
		return -EINVAL;
	memcpy(sun.sun_path, path, plen);
	if (path[0] == '@')
		sun.sun_path[0] = 0;	/* abstract: no NUL at the end either */
	alen = offsetof(struct sockaddr_un, sun_path) + plen + (path[0] == '/');

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, state, len, MSG_NOSIGNAL, (struct sockaddr *)&sun, alen) < 0)
		err = -errno;
	close(fd);
	return err;
}
