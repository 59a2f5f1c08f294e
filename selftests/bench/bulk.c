// SPDX-License-Identifier: GPL-2.0
/*
 * Bulk throughput of one stack in one direction, over a fresh loopback connection, with the
 * application moving full 16 KiB records. The receiver runs in its own thread; the sender in the
 * caller's. The clock starts when the sender starts and stops when the receiver has the last
 * byte, so bytes still queued when the sender stops are counted with their time. The sender
 * announces the total before its last write and the receiver stops there rather than reading to
 * end of file: a GnuTLS session that sees the peer close without close_notify is invalidated,
 * and the RX cases decrypt one stream with one (rewound) session again and again.
 *
 *   tx   TLS sender -> plain receiver that drops the ciphertext: the cost of sealing. What it
 *        drops is checked to be well-framed records, the first of which opens (wire.c).
 *   rx   plain sender replaying pre-built records -> TLS receiver: the cost of opening.
 *   e2e  TLS sender -> TLS receiver.
 *
 * Plain TCP runs the same three shapes with no TLS anywhere, as the baseline of each.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

#define TB_DISCARD_BUF	65536
#define TB_REPLAY_RECS	4	/* records per send() when replaying a stream */

struct tb_recv {
	struct tlsock_bench_ep ep;
	int discard;		/* read raw bytes and drop them, up to end of file */
	struct tlsock_bench_wire *wire;	/* when discarding TLS: check the framing */
	/* plaintext bytes the sender will have sent, 0 until known */
	_Atomic uint64_t total;
	uint64_t bytes;		/* plaintext bytes (raw bytes when discarding) */
	double t_end;
	int err;
};

/* The receiver owns its socket: it closes it, with a reset on error so the sender stops too. */
static void *tb_receiver(void *arg)
{
	struct tb_recv *r = arg;
	size_t cap = r->discard ? TB_DISCARD_BUF : TB_RECORD;
	struct linger lg = { 1, 0 };
	uint8_t *buf = NULL;
	ssize_t n;

	r->err = tlsock_bench_pin(1);
	if (!r->err)
		r->err = -posix_memalign((void **)&buf, 4096, cap);
	while (!r->err) {
		if (r->discard) {
			n = recv(r->ep.fd, buf, cap, 0);
			if (n < 0)
				n = errno == EINTR ? -EAGAIN : -errno;
			if (n == -EAGAIN)
				continue;
		} else {
			n = tlsock_bench_ep_recv(&r->ep, buf, cap);
		}
		if (n <= 0) {
			r->err = n;
			if (!n && r->wire && r->wire->hdr_len)
				r->err = -EBADMSG;	/* the stream ends inside a record */
			break;
		}
		if (r->wire)
			r->err = tlsock_bench_wire_feed(r->wire, buf, n);
		else if (!r->discard && tlsock_bench_pattern_check(buf, n, r->bytes))
			r->err = -EBADMSG;
		r->bytes += n;
		if (!r->discard && r->bytes == atomic_load(&r->total))
			break;
	}
	r->t_end = tlsock_bench_now();
	if (r->err)
		setsockopt(r->ep.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(r->ep.fd);
	free(buf);
	return NULL;
}

/* Send pattern bytes in TB_RECORD writes until the deadline; *sent gets the count. */
static int tb_send_pattern(const struct tlsock_bench_ep *ep, double deadline, uint64_t *sent,
			   _Atomic uint64_t *total)
{
	int err = 0, last;
	uint8_t *buf;

	if (posix_memalign((void **)&buf, 4096, TB_RECORD))
		return -ENOMEM;
	memset(buf, 0x5a, TB_RECORD);
	*sent = 0;
	do {
		tlsock_bench_pattern_fill(buf, TB_RECORD, *sent);
		last = tlsock_bench_now() >= deadline;
		if (last)
			atomic_store(total, *sent + TB_RECORD);
		err = tlsock_bench_ep_send(ep, buf, TB_RECORD);
		if (err)
			break;
		*sent += TB_RECORD;
	} while (!last);
	free(buf);
	return err;
}

/* Replay whole records of st until it runs out or the deadline; *recs gets the count. */
static int tb_send_stream(int fd, const struct tlsock_bench_stream *st, double deadline,
			  size_t *recs, _Atomic uint64_t *total)
{
	size_t i = 0, j, start;
	int err = 0, late;

	while (i < st->nrec) {
		late = tlsock_bench_now() >= deadline;
		j = late ? i + 1 : i + TB_REPLAY_RECS < st->nrec ? i + TB_REPLAY_RECS : st->nrec;
		if (late || j == st->nrec)
			atomic_store(total, (uint64_t)j * TB_RECORD);
		start = i ? st->rec_end[i - 1] : 0;
		err = tlsock_bench_send_all(fd, st->buf + start, st->rec_end[j - 1] - start);
		if (err)
			break;
		i = j;
		if (late)
			break;
	}
	*recs = i;
	return err;
}

/*
 * Attach the stack to the pair for this mode; fill the sender and receiver endpoints, and the
 * sender's keys c (TX and E2E modes, TLS stacks) for checking what it sent.
 */
static int tb_setup(enum tlsock_bench_stack stack, enum tlsock_bench_mode mode,
		    const struct tlsock_bench_suite *s, const struct tlsock_bench_rx_src *src,
		    int cfd, int sfd, struct tlsock_bench_gtls_pair *hs,
		    struct tlsock_bench_ep *tx, struct tb_recv *rx, struct tlsock_bench_crypto *c)
{
	int err = 0;

	*tx = (struct tlsock_bench_ep){ cfd, NULL };
	rx->ep = (struct tlsock_bench_ep){ sfd, NULL };
	rx->discard = mode == TB_TX;
	if (stack == TB_PLAIN)
		return 0;
	if (mode == TB_RX) {
		if (stack != TB_GNUTLS)
			return tlsock_bench_kern_setup(sfd, stack, 0, 1, src->crypto);
		err = tlsock_bench_gtls_rewind(src->gtls);
		gnutls_transport_set_int(src->gtls->server, sfd);
		rx->ep.gs = src->gtls->server;
		return err;
	}
	if (stack == TB_GNUTLS) {
		err = tlsock_bench_gtls_handshake(s, cfd, sfd, hs);
		if (err)
			return err;
		tx->gs = hs->client;
		if (mode == TB_E2E)
			rx->ep.gs = hs->server;
		return tlsock_bench_gtls_c2s_crypto(s, hs, c);
	}
	err = tlsock_bench_crypto_random(s, c);
	if (!err)
		err = tlsock_bench_kern_setup(cfd, stack, 1, 0, c);
	if (!err && mode == TB_E2E)
		err = tlsock_bench_kern_setup(sfd, stack, 0, 1, c);
	return err;
}

/* The first record's plaintext, as tb_send_pattern() sends it. */
static int tb_check_first(struct tlsock_bench_wire *w, const struct tlsock_bench_suite *s,
			  const struct tlsock_bench_crypto *c)
{
	uint8_t *expect = malloc(TB_RECORD);
	int err;

	if (!expect)
		return -ENOMEM;
	memset(expect, 0x5a, TB_RECORD);
	tlsock_bench_pattern_fill(expect, TB_RECORD, 0);
	err = tlsock_bench_wire_check(w, s, c, expect, TB_RECORD);
	free(expect);
	return err;
}

/*
 * Run one case for about `seconds` (an RX case also ends when its stream runs out). src carries
 * the pre-built stream and its keys; it is only used in TB_RX mode for the TLS stacks.
 */
int tlsock_bench_bulk(enum tlsock_bench_stack stack, enum tlsock_bench_mode mode,
		      const struct tlsock_bench_suite *s, const struct tlsock_bench_rx_src *src,
		      double seconds, struct tlsock_bench_bulk_res *res)
{
	struct tlsock_bench_gtls_pair hs = { 0 };
	struct tlsock_bench_crypto c = { 0 };
	struct tlsock_bench_wire wire = { 0 };
	struct tlsock_bench_ep tx;
	struct tb_recv rx = { 0 };
	int replay = mode == TB_RX && stack != TB_PLAIN;
	uint64_t sent = 0;
	size_t recs = 0;
	pthread_t th;
	double t0;
	int cfd, sfd, err;

	memset(res, 0, sizeof(*res));
	err = tlsock_bench_tcp_pair(&cfd, &sfd);
	if (err)
		goto out;
	err = tb_setup(stack, mode, s, src, cfd, sfd, &hs, &tx, &rx, &c);
	if (!err && mode == TB_TX && stack != TB_PLAIN) {
		err = tlsock_bench_wire_init(&wire);
		rx.wire = &wire;
	}
	if (err) {
		close(sfd);
		goto out_close;
	}
	err = tlsock_bench_pin(0);
	if (!err)
		err = -pthread_create(&th, NULL, tb_receiver, &rx);
	if (err) {
		close(sfd);
		goto out_close;
	}
	t0 = tlsock_bench_now();
	if (replay) {
		err = tb_send_stream(cfd, src->stream, t0 + seconds, &recs, &rx.total);
		sent = (uint64_t)recs * TB_RECORD;
	} else {
		err = tb_send_pattern(&tx, t0 + seconds, &sent, &rx.total);
	}
	shutdown(cfd, SHUT_WR);
	pthread_join(th, NULL);
	if (rx.err)	/* the cause; the sender's error is then only the reset that followed */
		err = rx.err;
	if (!err && !rx.discard && rx.bytes != sent)
		err = -EIO;
	if (!err && rx.discard && rx.bytes < sent)
		err = -EIO;
	if (!err && rx.wire)
		err = tb_check_first(&wire, s, &c);
	if (!err) {
		res->bytes = sent;
		res->secs = rx.t_end - t0;
		res->mbps = res->secs > 0 ? sent / res->secs / 1e6 : 0;
	}
out_close:
	close(cfd);
	tlsock_bench_gtls_free(&hs);
	tlsock_bench_wire_free(&wire);
	tlsock_bench_crypto_wipe(&c);
out:
	res->err = err;
	return err;
}
