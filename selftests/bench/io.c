// SPDX-License-Identifier: GPL-2.0
/*
 * Application I/O on an endpoint: send/recv on the socket for plain TCP and the kernel TLS
 * stacks (the kernel does the record layer), gnutls_record_send/recv for userspace GnuTLS.
 */
#include <errno.h>
#include <sys/socket.h>

#include "bench.h"

/* Send all of buf; 0 or -errno. */
int tlsock_bench_ep_send(const struct tlsock_bench_ep *ep, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	if (!ep->gs)
		return tlsock_bench_send_all(ep->fd, buf, len);
	while (len) {
		n = gnutls_record_send(ep->gs, p, len);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n < 0)
			return tlsock_bench_errno(n);
		p += n;
		len -= n;
	}
	return 0;
}

/*
 * Receive up to len bytes: the count, 0 at the end of the stream, or -errno. A GnuTLS peer that
 * stops without close_notify (our senders just shut the socket down) is the end of the stream.
 */
ssize_t tlsock_bench_ep_recv(const struct tlsock_bench_ep *ep, void *buf, size_t len)
{
	ssize_t n;

	for (;;) {
		if (ep->gs) {
			n = gnutls_record_recv(ep->gs, buf, len);
			if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
				continue;
			if (n == GNUTLS_E_PREMATURE_TERMINATION)
				return 0;
			return n < 0 ? tlsock_bench_errno(n) : n;
		}
		n = recv(ep->fd, buf, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 ? -errno : n;
	}
}

/* Receive exactly len bytes; -EPIPE if the stream ends first. */
int tlsock_bench_ep_recv_all(const struct tlsock_bench_ep *ep, void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = tlsock_bench_ep_recv(ep, p, len);
		if (n < 0)
			return n;
		if (!n)
			return -EPIPE;
		p += n;
		len -= n;
	}
	return 0;
}
