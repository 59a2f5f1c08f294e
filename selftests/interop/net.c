// SPDX-License-Identifier: GPL-2.0
/* TCP connection set-up for ktls_peer: every blocking step is bounded by a timeout. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "peer.h"

/* SO_RCVTIMEO and SO_SNDTIMEO bound recv, send and connect on a blocking socket */
int tlsock_net_set_timeouts(int fd, unsigned int timeout_s)
{
	struct timeval tv = { .tv_sec = timeout_s };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return -errno;
	return 0;
}

static int gai_errno(int err)
{
	switch (err) {
	case EAI_SYSTEM:
		return errno ? -errno : -EIO;
	case EAI_MEMORY:
		return -ENOMEM;
	case EAI_AGAIN:
		return -EAGAIN;
	default:
		return -EADDRNOTAVAIL;
	}
}

int tlsock_net_connect(const char *host, const char *port, unsigned int timeout_s, int *fdp)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_protocol = IPPROTO_TCP };
	struct addrinfo *res = NULL, *ai;
	int fd = -1, ret;

	ret = getaddrinfo(host, port, &hints, &res);
	if (ret) {
		ret = gai_errno(ret);
		goto out;
	}
	ret = -EADDRNOTAVAIL;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			ret = -errno;
			continue;
		}
		ret = tlsock_net_set_timeouts(fd, timeout_s);
		if (!ret && connect(fd, ai->ai_addr, ai->ai_addrlen))
			ret = errno == EINPROGRESS ? -ETIMEDOUT : -errno;
		if (!ret)
			break;
		close(fd);
		fd = -1;
	}
	if (fd >= 0)
		*fdp = fd;
out:
	if (res)
		freeaddrinfo(res);
	return ret;
}

/* listen on host:port, accept exactly one connection within the timeout, stop listening */
int tlsock_net_accept(const char *host, const char *port, unsigned int timeout_s, int *fdp)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_protocol = IPPROTO_TCP,
		.ai_flags = AI_PASSIVE,
	};
	struct addrinfo *res = NULL;
	struct pollfd pfd;
	int lfd = -1, fd, one = 1, ret;

	ret = getaddrinfo(host, port, &hints, &res);
	if (ret) {
		ret = gai_errno(ret);
		goto out;
	}
	lfd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
	if (lfd < 0) {
		ret = -errno;
		goto out;
	}
	if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, res->ai_addr, res->ai_addrlen) || listen(lfd, 1)) {
		ret = -errno;
		goto out;
	}

	pfd.fd = lfd;
	pfd.events = POLLIN;
	do {
		ret = poll(&pfd, 1, (int)timeout_s * 1000);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0) {
		ret = -errno;
		goto out;
	}
	if (ret == 0) {
		ret = -ETIMEDOUT;
		goto out;
	}
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	ret = tlsock_net_set_timeouts(fd, timeout_s);
	if (ret)
		close(fd);
	else
		*fdp = fd;
out:
	if (lfd >= 0)
		close(lfd);
	if (res)
		freeaddrinfo(res);
	return ret;
}
