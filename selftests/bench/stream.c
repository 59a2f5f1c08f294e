// SPDX-License-Identifier: GPL-2.0
/*
 * The RX-bound cases need valid records arriving faster than any receiver decrypts them, so they
 * are made before the clock starts: the GnuTLS client of a finished handshake encrypts full
 * 16 KiB records into memory, and a plain sender later replays them on a socket. The same bytes
 * serve the kernel receivers (given the client's keys) and the GnuTLS server session (rewound).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

struct tb_sink {
	uint8_t *buf;
	size_t len, cap;
};

static ssize_t tb_push(gnutls_transport_ptr_t ptr, const void *data, size_t len)
{
	struct tb_sink *k = ptr;

	if (len > k->cap - k->len) {
		errno = ENOSPC;
		return -1;
	}
	memcpy(k->buf + k->len, data, len);
	k->len += len;
	return len;
}

/*
 * Encrypt nrec records of TB_RECORD pattern bytes with sender's write state into st. The sender
 * session writes into memory from then on: it is good for nothing but gnutls_deinit() after.
 */
int tlsock_bench_stream_build(gnutls_session_t sender, size_t nrec, struct tlsock_bench_stream *st)
{
	struct tb_sink k = { 0 };
	uint8_t *pt;
	size_t i, start;
	ssize_t n;
	int err;

	memset(st, 0, sizeof(*st));
	k.cap = nrec * TB_MAX_RECORD;
	k.buf = malloc(k.cap);
	st->rec_end = calloc(nrec, sizeof(*st->rec_end));
	pt = malloc(TB_RECORD);
	if (!k.buf || !st->rec_end || !pt) {
		err = -ENOMEM;
		goto err;
	}
	memset(pt, 0x5a, TB_RECORD);
	gnutls_transport_set_ptr(sender, &k);
	gnutls_transport_set_push_function(sender, tb_push);
	for (i = 0; i < nrec; i++) {
		tlsock_bench_pattern_fill(pt, TB_RECORD, (uint64_t)i * TB_RECORD);
		start = k.len;
		n = gnutls_record_send(sender, pt, TB_RECORD);
		if (n != TB_RECORD) {
			err = n < 0 ? tlsock_bench_errno(n) : -EIO;
			goto err;
		}
		/* exactly one record, its header telling its own length */
		if (k.len - start < 5 || k.buf[start] != 23 ||
		    5 + (size_t)(k.buf[start + 3] << 8 | k.buf[start + 4]) != k.len - start) {
			err = -EPROTO;
			goto err;
		}
		st->rec_end[i] = k.len;
	}
	st->buf = k.buf;
	st->len = k.len;
	st->nrec = nrec;
	free(pt);
	return 0;
err:
	free(pt);
	free(k.buf);
	free(st->rec_end);
	memset(st, 0, sizeof(*st));
	return err;
}

void tlsock_bench_stream_free(struct tlsock_bench_stream *st)
{
	free(st->buf);
	free(st->rec_end);
	memset(st, 0, sizeof(*st));
}
