// SPDX-License-Identifier: GPL-2.0
/*
 * Sockets for the tests: a private network namespace, connected loopback
 * TCP pairs, attaching a ULP and keys, and I/O that loops until done.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "lib.h"

/* A network namespace of our own with loopback up: counters start at zero. */
int tlsock_netns_enter(void)
{
	struct ifreq ifr = {};
	int fd, err = 0;

	if (unshare(CLONE_NEWNET))
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memcpy(ifr.ifr_name, "lo", sizeof("lo"));
	if (ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		err = -errno;
		goto out;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr))
		err = -errno;
out:
	close(fd);
	return err;
}

/**
 * tlsock_userns_enter() - become root of a new user namespace, in a new network namespace
 *
 * What any unprivileged user may do.  The test VM runs the suites chrooted
 * into the host's root, and a chrooted process may not create a user
 * namespace: the caller (a child process of its own) takes init's root first.
 */
int tlsock_userns_enter(void)
{
	if (chroot("/proc/1/root") || chdir("/"))
		return -errno;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET))
		return -errno;
	return 0;
}

static socklen_t tlsock_loopback(int family, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		s6->sin6_port = htons(port);
		return sizeof(*s6);
	}
	((struct sockaddr_in *)ss)->sin_family = AF_INET;
	((struct sockaddr_in *)ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	((struct sockaddr_in *)ss)->sin_port = htons(port);
	return sizeof(struct sockaddr_in);
}

int tlsock_set_timeouts(int fd, int seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return -errno;
	return 0;
}

static int tlsock_set_bufs(int fd, int bufsize)
{
	if (bufsize <= 0)
		return 0;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof(bufsize)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize)))
		return -errno;
	return 0;
}

/* A listening socket on the loopback address, on a port the kernel picks. */
int tlsock_tcp_listener(int family, int *fd, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len = tlsock_loopback(family, 0, &ss);
	int l, err;

	l = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0)
		return -errno;
	if (bind(l, (struct sockaddr *)&ss, len) || listen(l, 8) ||
	    getsockname(l, (struct sockaddr *)&ss, &len)) {
		err = -errno;
		close(l);
		return err;
	}
	*port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
				       ((struct sockaddr_in *)&ss)->sin_port);
	*fd = l;
	return 0;
}

int tlsock_tcp_connect(int family, uint16_t port, int *fd)
{
	struct sockaddr_storage ss;
	socklen_t len = tlsock_loopback(family, port, &ss);
	int c, err;

	c = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0)
		return -errno;
	if (connect(c, (struct sockaddr *)&ss, len)) {
		err = -errno;
		close(c);
		return err;
	}
	*fd = c;
	return 0;
}

/*
 * A connected pair over loopback: @a connected, @b accepted.  A positive
 * @bufsize sets SO_SNDBUF and SO_RCVBUF on both ends before the handshake,
 * so the TCP window is small from the start.
 */
int tlsock_tcp_pair(int family, int bufsize, int *a, int *b)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int l = -1, c = -1, s = -1, err;
	uint16_t port;

	err = tlsock_tcp_listener(family, &l, &port);
	if (err)
		return err;
	err = tlsock_set_bufs(l, bufsize);
	if (err)
		goto out;
	c = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0) {
		err = -errno;
		goto out;
	}
	err = tlsock_set_bufs(c, bufsize);
	if (err)
		goto out;
	len = tlsock_loopback(family, port, &ss);
	if (connect(c, (struct sockaddr *)&ss, len)) {
		err = -errno;
		goto out;
	}
	s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (s < 0) {
		err = -errno;
		goto out;
	}
	err = tlsock_set_timeouts(c, TLSOCK_IO_TIMEOUT_S);
	if (!err)
		err = tlsock_set_timeouts(s, TLSOCK_IO_TIMEOUT_S);
	if (err)
		goto out;
	*a = c;
	*b = s;
	c = -1;
	s = -1;
out:
	if (s >= 0)
		close(s);
	if (c >= 0)
		close(c);
	close(l);
	return err;
}

int tlsock_attach(int fd, const char *ulp)
{
	if (setsockopt(fd, IPPROTO_TCP, TCP_ULP, ulp, strlen(ulp) + 1))
		return -errno;
	return 0;
}

int tlsock_set_keys(int fd, bool tx, const struct tlsock_keys *k)
{
	union tlsock_ci ci;
	size_t len = tlsock_keys_info(k, &ci);
	int err = 0;

	if (setsockopt(fd, SOL_TLS, tx ? TLS_TX : TLS_RX, &ci, len))
		err = -errno;
	explicit_bzero(&ci, sizeof(ci));
	return err;
}

ssize_t tlsock_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(fd, p + done, len - done, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += n;
	}
	return done;
}

/* Read exactly @len bytes; fewer only at end of stream. */
ssize_t tlsock_read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = recv(fd, p + done, len - done, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n)
			break;
		done += n;
	}
	return done;
}

/* One sendmsg with a TLS_SET_RECORD_TYPE cmsg. */
ssize_t tlsock_send_type(int fd, uint8_t type, const void *buf, size_t len, int flags)
{
	char cbuf[CMSG_SPACE(sizeof(type))] = {};
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	ssize_t n;

	cmsg->cmsg_level = SOL_TLS;
	cmsg->cmsg_type = TLS_SET_RECORD_TYPE;
	cmsg->cmsg_len = CMSG_LEN(sizeof(type));
	memcpy(CMSG_DATA(cmsg), &type, sizeof(type));
	n = sendmsg(fd, &msg, flags | MSG_NOSIGNAL);
	return n < 0 ? -errno : n;
}

/*
 * One recvmsg with room for the record type cmsg.  *type is 0 when the
 * kernel sent no TLS_GET_RECORD_TYPE.
 */
ssize_t tlsock_recv_type(int fd, uint8_t *type, void *buf, size_t len, int flags)
{
	char cbuf[CMSG_SPACE(sizeof(*type))] = {};
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg;
	ssize_t n;

	*type = 0;
	n = recvmsg(fd, &msg, flags);
	if (n < 0)
		return -errno;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg))
		if (cmsg->cmsg_level == SOL_TLS && cmsg->cmsg_type == TLS_GET_RECORD_TYPE)
			*type = *CMSG_DATA(cmsg);
	return n;
}

int tlsock_set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -errno;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	if (fcntl(fd, F_SETFL, fl))
		return -errno;
	return 0;
}

/* Poll for input; returns the revents, 0 on timeout, or -errno. */
int tlsock_wait_readable(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int n = poll(&pfd, 1, timeout_ms);

	if (n < 0)
		return -errno;
	return n ? pfd.revents : 0;
}
