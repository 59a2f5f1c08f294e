// SPDX-License-Identifier: GPL-2.0
/*
 * The application's socket as GnuTLS sees it during the handshake.
 *
 * The descriptor is the application's own open file, so its file status
 * flags are the application's: they are never changed.  Every call uses
 * MSG_DONTWAIT and waits with poll() until the request's deadline, which
 * gives GnuTLS blocking semantics without touching O_NONBLOCK.
 *
 * Reads never go past the end of a TLS record: the 5-byte header first,
 * then exactly the body it announces.  GnuTLS is thus never handed a byte
 * that follows the handshake's last record; application data the peer
 * sends right after its Finished stays in the socket for the kernel.
 *
 * The peer must also keep moving (tlsockd.conf handshake_idle_ms): each of
 * its records must arrive whole within the idle time of the last thing
 * that moved, a record of its read whole or bytes of ours sent.  Counting
 * records, not bytes, cuts a peer that trickles a byte at a time as surely
 * as one that sends nothing; either fails with ETIMEDOUT long before the
 * deadline, and frees the worker.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "tlsockd.h"

int64_t tlsockd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/**
 * tlsockd_io_init() - transport of one handshake
 * @io: to initialise
 * @fd: the socket
 * @timeout_ms: the request's time left
 * @idle_ms: longest wait for the peer's next record (0: only the deadline)
 */
void tlsockd_io_init(struct tlsockd_io *io, int fd, uint32_t timeout_ms, uint32_t idle_ms)
{
	memset(io, 0, sizeof(*io));
	io->fd = fd;
	io->deadline_ms = tlsockd_now_ms() + timeout_ms;
	io->idle_ms = idle_ms;
	io->idle_at = idle_ms ? tlsockd_now_ms() + idle_ms : io->deadline_ms;
}

/* Something moved: the peer has the idle time again for its next record. */
static void io_moved(struct tlsockd_io *io)
{
	if (io->idle_ms)
		io->idle_at = tlsockd_now_ms() + io->idle_ms;
}

/* Milliseconds until the deadline or the idle limit, whichever is first. */
static int64_t io_left(const struct tlsockd_io *io)
{
	int64_t end = io->idle_at < io->deadline_ms ? io->idle_at : io->deadline_ms;

	return end - tlsockd_now_ms();
}

/* Time is up: say which limit ended it. */
static void io_expired(struct tlsockd_io *io)
{
	io->idle = io->idle_at < io->deadline_ms;
	io->err = ETIMEDOUT;
	errno = ETIMEDOUT;
}

/* Wait for @events until the deadline or the idle limit; -1 with errno set on timeout. */
static int io_wait(struct tlsockd_io *io, short events)
{
	struct pollfd pfd = { .fd = io->fd, .events = events };
	int64_t left;
	int n;

	for (;;) {
		left = io_left(io);
		if (left <= 0) {
			io_expired(io);
			return -1;
		}
		n = poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
		if (n > 0)
			return 0;	/* ready, or an error the next call reports */
		if (n < 0 && errno != EINTR) {
			io->err = errno;
			return -1;
		}
	}
}

static ssize_t io_recv(struct tlsockd_io *io, void *buf, size_t len)
{
	ssize_t n;

	for (;;) {
		n = recv(io->fd, buf, len, MSG_DONTWAIT);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			io->err = errno;
			return -1;
		}
		if (io_wait(io, POLLIN))
			return -1;
	}
}

static ssize_t io_pull(gnutls_transport_ptr_t ptr, void *buf, size_t len)
{
	struct tlsockd_io *io = ptr;
	size_t want;
	ssize_t n;

	want = io->hdr_have < sizeof(io->hdr) ? sizeof(io->hdr) - io->hdr_have : io->body_left;
	if (want > len)
		want = len;
	n = io_recv(io, buf, want);
	if (n <= 0)
		return n;

	if (io->hdr_have < sizeof(io->hdr)) {
		memcpy(io->hdr + io->hdr_have, buf, n);
		io->hdr_have += n;
		if (io->hdr_have == sizeof(io->hdr)) {
			io->body_left = (io->hdr[3] << 8) | io->hdr[4];
			if (!io->body_left)
				io->hdr_have = 0;
		}
	} else {
		io->body_left -= n;
		if (!io->body_left)
			io->hdr_have = 0;
	}
	if (!io->hdr_have)
		io_moved(io);	/* a record read whole */
	return n;
}

static ssize_t io_vec_push(gnutls_transport_ptr_t ptr, const giovec_t *iov, int iovcnt)
{
	struct tlsockd_io *io = ptr;
	struct msghdr msg = {
		.msg_iov = (struct iovec *)iov,
		.msg_iovlen = iovcnt,
	};
	ssize_t n;

	for (;;) {
		n = sendmsg(io->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n >= 0) {
			io_moved(io);
			return n;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			io->err = errno;
			return -1;
		}
		if (io_wait(io, POLLOUT))
			return -1;
	}
}

static ssize_t io_push(gnutls_transport_ptr_t ptr, const void *buf, size_t len)
{
	giovec_t iov = { .iov_base = (void *)buf, .iov_len = len };

	return io_vec_push(ptr, &iov, 1);
}

/*
 * GnuTLS asks whether data arrives within @ms before each read.  Its
 * handshake timeout is the request's, which io_pull() already enforces
 * while it waits: so only a question that must not wait needs a poll(),
 * and every other read saves a system call.
 */
static int io_pull_timeout(gnutls_transport_ptr_t ptr, unsigned int ms)
{
	struct tlsockd_io *io = ptr;
	struct pollfd pfd = { .fd = io->fd, .events = POLLIN };
	int n;

	if (io_left(io) <= 0) {
		io_expired(io);
		return 0;	/* GnuTLS: GNUTLS_E_TIMEDOUT */
	}
	if (ms)
		return 1;	/* io_pull() waits, until the deadline or idle limit at most */
	do {
		n = poll(&pfd, 1, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		io->err = errno;
	return n;
}

/**
 * tlsockd_io_attach() - make @io the transport of @s
 * @io: initialised transport
 * @s: session
 */
void tlsockd_io_attach(struct tlsockd_io *io, gnutls_session_t s)
{
	gnutls_transport_set_ptr(s, io);
	gnutls_transport_set_pull_function(s, io_pull);
	gnutls_transport_set_push_function(s, io_push);
	gnutls_transport_set_vec_push_function(s, io_vec_push);
	gnutls_transport_set_pull_timeout_function(s, io_pull_timeout);
}
