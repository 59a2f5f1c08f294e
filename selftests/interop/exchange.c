// SPDX-License-Identifier: GPL-2.0
/*
 * The data exchange: one thread sends the send pattern while the caller's thread receives and
 * checks the receive pattern, so that neither side can stall the other with full socket buffers.
 * Then a close_notify, and the peer must close without sending anything more.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "peer.h"

#define RECV_CHUNK (64 * 1024)

struct sender {
	struct tlsock_peer_conn *conn;
	const struct tlsock_peer_opts *opts;
	int ret;
};

static void *send_pattern(void *arg)
{
	struct sender *s = arg;
	size_t len = s->opts->send_len, chunk = s->opts->chunk, pos, n;
	unsigned char *buf;
	ssize_t r;

	if (chunk > len)
		chunk = len;
	buf = malloc(chunk ? chunk : 1);
	if (!buf) {
		s->ret = -ENOMEM;
		return NULL;
	}
	s->ret = 0;
	for (pos = 0; pos < len; pos += n) {
		n = len - pos < chunk ? len - pos : chunk;
		tlsock_pattern_fill(s->opts->send_seed, s->opts->text, pos, buf, n);
		r = tlsock_record_send(s->conn, buf, n);
		if (r < 0) {
			s->ret = (int)r;
			break;
		}
	}
	free(buf);
	return NULL;
}

static int recv_pattern(struct tlsock_peer_conn *conn, const struct tlsock_peer_opts *opts,
			unsigned char *buf)
{
	size_t got = 0, want, off;
	ssize_t n;

	while (got < opts->recv_len) {
		want = opts->recv_len - got < RECV_CHUNK ? opts->recv_len - got : RECV_CHUNK;
		n = tlsock_record_recv(conn, buf, want);
		if (n < 0)
			return (int)n;
		if (n == 0) {
			conn->what = "peer closed before all data arrived";
			conn->bad_offset = got;
			return -ECONNRESET;
		}
		off = tlsock_pattern_check(opts->recv_seed, opts->text, got, buf, (size_t)n);
		if (off != (size_t)n) {
			conn->what = "received data differs from the pattern";
			conn->bad_offset = got + off;
			return -EILSEQ;
		}
		got += (size_t)n;
	}
	return 0;
}

/* after our close_notify: the peer may only close */
static int wait_peer_close(struct tlsock_peer_conn *conn, unsigned char *buf)
{
	ssize_t n;

	n = tlsock_record_recv(conn, buf, RECV_CHUNK);
	if (n < 0)
		return (int)n;
	if (n > 0) {
		conn->what = "peer sent more data than expected";
		conn->bad_offset = 0;
		return -EPROTO;
	}
	return 0;
}

/**
 * tlsock_exchange() - send and check the patterns of @opts, then close the session cleanly
 *
 * Return: 0 on success, -errno with @conn->what set otherwise.
 */
int tlsock_exchange(struct tlsock_peer_conn *conn, const struct tlsock_peer_opts *opts)
{
	struct sender s = { .conn = conn, .opts = opts };
	unsigned char *buf;
	pthread_t thread;
	int ret;

	buf = malloc(RECV_CHUNK);
	if (!buf)
		return -ENOMEM;
	ret = -pthread_create(&thread, NULL, send_pattern, &s);
	if (ret) {
		conn->what = "pthread_create";
		goto out;
	}
	ret = recv_pattern(conn, opts, buf);
	/* a failed receiver must not leave the sender blocked until its timeout */
	if (ret)
		shutdown(conn->fd, SHUT_RDWR);
	pthread_join(thread, NULL);
	if (ret)
		goto out;
	if (s.ret) {
		conn->what = "send";
		ret = s.ret;
		goto out;
	}

	ret = tlsock_record_close_notify(conn);
	if (ret) {
		conn->what = "sending close_notify";
		goto out;
	}
	ret = wait_peer_close(conn, buf);
out:
	free(buf);
	return ret;
}
