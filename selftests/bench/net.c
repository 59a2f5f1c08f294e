// SPDX-License-Identifier: GPL-2.0
/* Loopback TCP connections: every case runs over a fresh, connected IPv4 pair. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

/* A listener on 127.0.0.1 with a kernel-chosen port. */
int tlsock_bench_listen(int *lfd)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd, one = 1, err;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 1024)) {
		err = -errno;
		close(fd);
		return err;
	}
	*lfd = fd;
	return 0;
}

/* Connect to the listener and accept: *cfd is the client end, *sfd the server end. */
int tlsock_bench_connect(int lfd, int *cfd, int *sfd)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int c, s, err;

	if (getsockname(lfd, (struct sockaddr *)&a, &alen))
		return -errno;
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0)
		return -errno;
	if (connect(c, (struct sockaddr *)&a, alen)) {
		err = -errno;
		goto out_close;
	}
	s = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (s < 0) {
		err = -errno;
		goto out_close;
	}
	*cfd = c;
	*sfd = s;
	return 0;
out_close:
	close(c);
	return err;
}

int tlsock_bench_tcp_pair(int *cfd, int *sfd)
{
	int lfd, err;

	err = tlsock_bench_listen(&lfd);
	if (err)
		return err;
	err = tlsock_bench_connect(lfd, cfd, sfd);
	close(lfd);
	return err;
}

int tlsock_bench_send_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= n;
	}
	return 0;
}

int tlsock_bench_nodelay(int fd)
{
	int one = 1;

	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ? -errno : 0;
}
