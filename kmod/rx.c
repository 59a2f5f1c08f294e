// SPDX-License-Identifier: GPL-2.0
/*
 * Receive path: assemble records from TCP, open them, hand out plaintext.
 *
 * Bytes move out of TCP's receive queue into ctx->rx.cur as soon as they
 * arrive (data_ready, softirq) or when a reader asks (recvmsg), one record
 * at a time: first the 5-byte header, then exactly the rest of the record.
 * A complete record is opened lazily, in the reader's process context, and
 * in place.  Its plaintext is then read from cur; once consumed, cur takes
 * the next record.  MSG_PEEK past the end of the current record moves the
 * decrypted record onto rx.held so that cur can take the next one; readers
 * always drain held before cur.
 *
 * The readiness flag rx.ready (read by poll without the lock) is true when
 * a reader would not block: plaintext is waiting, or a complete record can
 * be opened (not after a KeyUpdate until new keys are installed).
 */
#include <linux/highmem.h>
#include <linux/pipe_fs_i.h>
#include <linux/splice.h>
#include <linux/uio.h>
#include <net/tcp.h>

#include "tlsock.h"
#include "session.h"

/**
 * tlsock_rec_alloc() - make sure @rec has pages for @len bytes
 * @rec: record
 * @len: bytes needed from offset 0
 * @gfp: allocation flags (GFP_ATOMIC from softirq)
 *
 * Return: 0 or -ENOMEM (pages already present are kept).
 */
int tlsock_rec_alloc(struct tlsock_rec *rec, u32 len, gfp_t gfp)
{
	u32 want = DIV_ROUND_UP(len, PAGE_SIZE);

	if (want > TLSOCK_REC_PAGES)
		return -EMSGSIZE;
	/* pages[] past npages are NULL: exactly those are filled */
	if (rec->npages < want)
		rec->npages = tlsock_txp_get(rec->pages, want, gfp);
	return rec->npages < want ? -ENOMEM : 0;
}

/**
 * tlsock_rec_free() - release the pages of @rec and wipe it
 * @rec: record; its list linkage is not touched
 *
 * Plaintext may sit in the pages: those bytes are cleared before the pages
 * go back to the park (txpages.c), which keeps only wire bytes.
 */
void tlsock_rec_free(struct tlsock_rec *rec)
{
	int i;

	for (i = 0; i < rec->npages; i++) {
		u32 start = i * PAGE_SIZE;

		if (rec->dirty > start)
			memzero_explicit(page_address(rec->pages[i]),
					 min_t(u32, rec->dirty - start, PAGE_SIZE));
		tlsock_txp_put(rec->pages[i]);
		rec->pages[i] = NULL;
	}
	rec->dirty = 0;
	rec->npages = 0;
	rec->have = 0;
	rec->need = 0;
	rec->decrypted = false;
	rec->type = 0;
	rec->off = 0;
	rec->len = 0;
	rec->pos = 0;
}

static size_t tlsock_rec_to_iter(struct tlsock_rec *rec, u32 off, u32 len, struct iov_iter *to)
{
	size_t done = 0;

	while (len) {
		u32 chunk = min_t(u32, len, PAGE_SIZE - offset_in_page(off));
		u32 poff;
		struct page *page = tlsock_rec_page(rec, off, &poff);
		size_t n = copy_page_to_iter(page, poff, chunk, to);

		done += n;
		if (n < chunk)
			break;
		off += chunk;
		len -= chunk;
	}
	return done;
}

/* Copy @len bytes of @rec starting at @off into the kernel buffer @dst. */
static void tlsock_rec_copy(const struct tlsock_rec *rec, u32 off, void *dst, u32 len)
{
	while (len) {
		u32 chunk = min_t(u32, len, PAGE_SIZE - offset_in_page(off));

		memcpy(dst, tlsock_rec_ptr(rec, off), chunk);
		dst += chunk;
		off += chunk;
		len -= chunk;
	}
}

/*
 * The current record can be opened: all of it is in rx.cur, or its header
 * and explicit nonce are and TCP's queue holds the rest (see tlsock_rx_goal()).
 */
static bool tlsock_rx_rec_complete(struct sock *sk, const struct tlsock_rx *rx)
{
	const struct tlsock_rec *rec = &rx->cur;

	return rec->need && !rec->decrypted && rec->have + tcp_inq(sk) >= rec->need;
}

static void tlsock_rx_update_ready(struct tlsock_ctx *ctx)
{
	struct tlsock_rx *rx = &ctx->rx;
	bool ready;

	ready = !list_empty(&rx->held) || rx->cur.decrypted || rx->eof ||
		(!rx->key_expired && tlsock_rx_rec_complete(ctx->sk, rx));
	/* pairs with READ_ONCE() in tlsock_poll() */
	WRITE_ONCE(rx->ready, ready);
}

/* The header is complete: check it and learn the record length. */
static int tlsock_rx_parse_header(struct tlsock_ctx *ctx)
{
	struct tlsock_rec *rec = &ctx->rx.cur;
	const u8 *hdr = tlsock_rec_ptr(rec, 0);
	u32 len = (hdr[3] << 8) | hdr[4];
	u32 overhead = tlsock_rec_overhead(ctx) - TLSOCK_HDR_LEN;
	u32 min_len = tlsock_rec_prepend(ctx) - TLSOCK_HDR_LEN + TLSOCK_TAG_LEN;

	if (len > TLSOCK_MAX_PAYLOAD + overhead)
		return -EMSGSIZE;
	if (len < min_len)
		return -EBADMSG;
	/* the legacy record version is 3,3 for TLS 1.2 and 1.3 alike */
	if (hdr[1] != 3 || hdr[2] != 3)
		return -EINVAL;
	rec->need = TLSOCK_HDR_LEN + len;
	return 0;
}

static int tlsock_rx_actor(read_descriptor_t *desc, struct sk_buff *skb, unsigned int offset,
			   size_t len)
{
	struct tlsock_rec *rec = desc->arg.data;
	size_t n = min_t(size_t, len, desc->count);
	size_t left = n;

	while (left) {
		u32 poff = rec->have & ~PAGE_MASK;
		u32 chunk = min_t(u32, left, PAGE_SIZE - poff);
		u8 *dst = page_address(rec->pages[rec->have >> PAGE_SHIFT]) + poff;

		if (skb_copy_bits(skb, offset, dst, chunk))
			break;
		rec->have += chunk;
		offset += chunk;
		left -= chunk;
	}
	desc->count -= n - left;
	return n - left;
}

/*
 * How many bytes of the current record rx.cur should hold: its header and
 * explicit nonce (read before the header is parsed).  The rest stays in
 * TCP's queue, from which a reader with room for the whole record decrypts
 * it without a copy (tlsock_rx_open_zc()).  It moves into rx.cur when @all (the record is
 * to be opened in place), once some of it is there already, or when TCP
 * wants its buffer back before the record can be complete there (memory
 * pressure or a window down to one segment, the test TCP's own readers
 * use): leaving it would stall the peer.
 */
static u32 tlsock_rx_goal(struct sock *sk, struct tlsock_ctx *ctx, bool all)
{
	struct tlsock_rec *rec = &ctx->rx.cur;
	u32 prepend = tlsock_rec_prepend(ctx);

	/* any valid record is at least that long: one read takes header and nonce */
	if (!rec->need)
		return prepend;
	if (all || rec->have > prepend)
		return rec->need;
	if (rec->have + tcp_inq(sk) >= rec->need)
		return prepend;
	return tcp_epollin_ready(sk, INT_MAX) ? rec->need : prepend;
}

/*
 * TCP's readers stop at an urgent byte (MSG_OOB), which is no part of any
 * TLS record, and tcp_inq() counts only the bytes before it: a stream that
 * reached one, with bytes behind it, can never be parsed on.  A peer (or
 * anyone on the path setting URG) must not wedge the reader silently.
 */
static bool tlsock_rx_at_urgent(struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	return unlikely(READ_ONCE(tp->urg_data)) && tp->urg_seq == tp->copied_seq &&
	       before(tp->copied_seq, tp->rcv_nxt);
}

/* The stream cannot be parsed on: fail it with @err once. */
static int tlsock_rx_stop(struct sock *sk, struct tlsock_ctx *ctx, int err)
{
	ctx->rx.stopped = true;
	tlsock_stat_inc(sock_net(sk), TLSOCK_STAT_RX_PARSE_ERROR);
	if (unlikely(tlsock_sess_managed(ctx)))
		tlsock_ph_rx_error(sk, ctx, err);
	else
		tlsock_err_abort(sk, err);
	return err;
}

/*
 * Move bytes of the next record from TCP into cur, up to tlsock_rx_goal().
 * Called by the socket owner or from data_ready with the socket spinlock
 * held.  Returns 0, or a negative errno after a header that cannot be
 * parsed, which stops the stream: the error goes to sk_err once, later reads
 * find no data (as on mainline kTLS).
 */
static int tlsock_rx_pull_to(struct sock *sk, struct tlsock_ctx *ctx, gfp_t gfp, bool all)
{
	struct tlsock_rx *rx = &ctx->rx;
	struct tlsock_rec *rec = &rx->cur;
	int err;

	if (rx->stopped || rx->err || rec->decrypted)
		return 0;

	for (;;) {
		read_descriptor_t desc = { .arg.data = rec };
		u32 want = tlsock_rx_goal(sk, ctx, all);

		if (rec->have >= want)
			break;
		if (!tcp_inq(sk)) {
			/* tcp_inq() counts up to an urgent byte only */
			if (tlsock_rx_at_urgent(sk))
				return tlsock_rx_stop(sk, ctx, -EPROTO);
			break;
		}
		if (tlsock_rec_alloc(rec, want, gfp))
			break;	/* retried by the reader with GFP_KERNEL */
		desc.count = want - rec->have;
		if (tcp_read_sock(sk, &desc, tlsock_rx_actor) <= 0)
			break;
		if (!rec->need && rec->have >= TLSOCK_HDR_LEN) {
			err = tlsock_rx_parse_header(ctx);
			if (err)
				return tlsock_rx_stop(sk, ctx, err);
		}
	}
	return 0;
}

static int tlsock_rx_pull(struct sock *sk, struct tlsock_ctx *ctx, gfp_t gfp)
{
	return tlsock_rx_pull_to(sk, ctx, gfp, false);
}

/* Pages for what the last pull wanted could not be had (GFP_ATOMIC, or no memory at all). */
static bool tlsock_rx_starved(struct sock *sk, struct tlsock_ctx *ctx, bool all)
{
	struct tlsock_rec *rec = &ctx->rx.cur;
	u32 want = tlsock_rx_goal(sk, ctx, all);

	return !ctx->rx.stopped && tcp_inq(sk) && rec->have < want &&
	       rec->npages < DIV_ROUND_UP(want, PAGE_SIZE);
}

/**
 * tlsock_data_ready() - sk_data_ready replacement
 * @sk: socket with the tlsock ULP
 *
 * Context: softirq with the socket spinlock held, or the socket owner
 * processing its backlog.
 */
void tlsock_data_ready(struct sock *sk)
{
	struct tlsock_ctx *ctx = tlsock_ctx(sk);

	if (unlikely(!ctx))
		return;
	tlsock_sess_data_ready(sk, ctx);
	if (ctx->rx_on) {
		tlsock_rx_pull(sk, ctx, GFP_ATOMIC);
		tlsock_rx_update_ready(ctx);
		/* part of a record is of no use to a reader: wake it for a whole one only */
		if (!ctx->rx.ready && !ctx->rx.stopped && !ctx->rx.err &&
		    !tlsock_rx_starved(sk, ctx, false))
			return;
	}
	ctx->saved_data_ready(sk);
}

/**
 * tlsock_rx_kick() - re-evaluate the receive side after a change of keys
 * @sk: socket
 * @ctx: its context
 *
 * Pulls what TCP already holds and wakes readers and pollers.
 *
 * Context: process context, socket lock held.
 */
void tlsock_rx_kick(struct sock *sk, struct tlsock_ctx *ctx)
{
	sock_owned_by_me(sk);
	tlsock_rx_pull(sk, ctx, GFP_KERNEL);
	tlsock_rx_update_ready(ctx);
	if (READ_ONCE(ctx->rx.ready))
		ctx->saved_data_ready(sk);
}

/* Does the record hold a KeyUpdate handshake message? */
static bool tlsock_rec_has_key_update(const struct tlsock_rec *rec)
{
	u32 pos = 0;

	while (pos + 4 <= rec->len) {
		u32 at = rec->off + pos;
		u32 mlen = (*tlsock_rec_ptr(rec, at + 1) << 16) |
			   (*tlsock_rec_ptr(rec, at + 2) << 8) | *tlsock_rec_ptr(rec, at + 3);

		if (*tlsock_rec_ptr(rec, at) == TLSOCK_HS_KEY_UPDATE)
			return true;
		pos += 4 + mlen;
	}
	return false;
}

static int tlsock_rx_open(struct sock *sk, struct tlsock_ctx *ctx)
{
	struct tlsock_rx *rx = &ctx->rx;
	int err;

	/* plaintext (or what a failed attempt left) lands in the record's own pages */
	rx->cur.dirty = max(rx->cur.dirty, rx->cur.need);
	err = tlsock_crypto_open(ctx, &rx->cur);
	if (err) {
		/* fail closed: nothing more is read from this stream */
		rx->err = err == -EMSGSIZE ? -EMSGSIZE : -EBADMSG;
		tlsock_stat_inc(sock_net(sk), TLSOCK_STAT_DECRYPT_ERROR);
		if (unlikely(tlsock_sess_managed(ctx)))
			tlsock_ph_rx_error(sk, ctx, rx->err);
		else
			tlsock_err_abort(sk, rx->err);
		return rx->err;
	}
	tlsock_stat_inc(sock_net(sk), TLSOCK_STAT_RX_RECORDS);
	if (!rx->cur.len && rx->cur.type != TLSOCK_CT_DATA) {
		/* RFC 8446 5.1 / RFC 5246 6.2.1: no empty control fragments */
		rx->err = -EBADMSG;
		tlsock_err_abort(sk, rx->err);
		return rx->err;
	}
	if (tlsock_is_13(ctx) && rx->cur.type == TLSOCK_CT_HANDSHAKE &&
	    tlsock_rec_has_key_update(&rx->cur)) {
		rx->key_expired = true;
		tlsock_stat_inc(sock_net(sk), TLSOCK_STAT_RX_REKEY_RECEIVED);
	}
	tlsock_rx_update_ready(ctx);
	return 0;
}

static bool tlsock_rx_raw_complete(const struct tlsock_rx *rx)
{
	return rx->cur.need && rx->cur.have == rx->cur.need && !rx->cur.decrypted;
}

static bool tlsock_rx_wake_cond(struct sock *sk, struct tlsock_ctx *ctx)
{
	struct tlsock_rx *rx = &ctx->rx;

	return tlsock_rx_rec_complete(sk, rx) || rx->err || rx->key_expired ||
	       READ_ONCE(sk->sk_err) || (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN) ||
	       sock_flag(sk, SOCK_DONE) || tlsock_rx_starved(sk, ctx, false);
}

/* cur was read to its end: reuse its pages for the next record. */
static void tlsock_rx_cur_done(struct sock *sk, struct tlsock_ctx *ctx)
{
	struct tlsock_rec *rec = &ctx->rx.cur;

	/* an idle socket keeps no buffer */
	if (!tcp_inq(sk)) {
		tlsock_rec_free(rec);
		return;
	}
	rec->have = 0;
	rec->need = 0;
	rec->decrypted = false;
	rec->type = 0;
	rec->off = 0;
	rec->len = 0;
	rec->pos = 0;
}

#define TLSOCK_ZC_PAGES	16
#define TLSOCK_ZC_MIN	2048

/* Byte @at of the output described by dst[1..] (user pages). */
static u8 tlsock_sg_byte(struct scatterlist *dst, int nsg, u32 at)
{
	int i;

	for (i = 1; i < nsg; i++) {
		if (at < dst[i].length) {
			u8 *p = kmap_local_page(sg_page(&dst[i]));
			u8 b = p[dst[i].offset + at];

			kunmap_local(p);
			return b;
		}
		at -= dst[i].length;
	}
	return 0;
}

/* Scatterlist entries for a record read straight from TCP's queue (besides the AAD's). */
#define TLSOCK_TCP_SG	20

/* At most how many scatterlist entries all of @skb's data can take. */
static int tlsock_skb_nsg(struct sk_buff *skb)
{
	struct sk_buff *frag;
	int n = 1 + skb_shinfo(skb)->nr_frags;

	skb_walk_frags(skb, frag) {
		if (skb_has_frag_list(frag))
			return INT_MAX;
		n += 1 + skb_shinfo(frag)->nr_frags;
	}
	return n;
}

/*
 * Describe the next @len bytes of TCP's receive queue in @sg from entry 1 on
 * (entry 0 is the AAD's).  The socket lock keeps those skbs in the queue.
 * Returns the entries used including entry 0, or 0 when the bytes are not
 * all there or would take more than @max entries.
 */
static int tlsock_rx_tcp_sg(struct sock *sk, u32 len, struct scatterlist *sg, int max)
{
	struct sk_buff *skb;
	u32 off;
	int n = 1;

	sock_owned_by_me(sk);
	/* an urgent byte inside: the in-place path fails the stream there */
	if (unlikely(READ_ONCE(tcp_sk(sk)->urg_data)) &&
	    tcp_sk(sk)->urg_seq - tcp_sk(sk)->copied_seq < len)
		return 0;
	skb = tcp_recv_skb(sk, tcp_sk(sk)->copied_seq, &off);
	while (len && skb) {
		u32 chunk = min_t(u32, len, skb->len - off);
		int used;

		if (chunk) {
			if (!skb_frags_readable(skb) || tlsock_skb_nsg(skb) > max - n)
				return 0;
			used = skb_to_sgvec_nomark(skb, sg + n, off, chunk);
			if (used < 0)
				return 0;
			n += used;
			len -= chunk;
		}
		off = 0;
		skb = skb_peek_next(skb, &sk->sk_receive_queue);
	}
	if (len)
		return 0;
	sg_mark_end(&sg[n - 1]);
	return n;
}

/*
 * Open the complete record in cur straight into the reader's buffer: one
 * copy less than opening it in place and copying out.  When only its header
 * and explicit nonce are in cur, the rest is read from TCP's queue where it
 * arrived (tlsock_rx_goal()), and consumed there once the record opened: no
 * copy at all.  Only application
 * data going to user memory with room for the whole record qualifies.
 * When the record turns out to be anything else (a TLS 1.3 record reveals
 * its type only once opened) or does not open, the iterator and the
 * sequence number are put back and the caller opens it in place, which
 * also does the error handling.  What was written to the reader's buffer
 * past the bytes reported is then meaningless, as with mainline kTLS.
 *
 * Return: true with *@got bytes delivered and the record consumed, false
 * to fall back.
 */
static bool tlsock_rx_open_zc(struct sock *sk, struct tlsock_ctx *ctx, struct msghdr *msg,
			      size_t *got)
{
	struct tlsock_rx *rx = &ctx->rx;
	struct tlsock_rec *rec = &rx->cur;
	struct iov_iter *it = &msg->msg_iter;
	struct scatterlist dst[TLSOCK_ZC_PAGES + 2];
	struct scatterlist src[TLSOCK_TCP_SG + 1];
	struct page *pages[TLSOCK_ZC_PAGES];
	u8 saved_seq[TLSOCK_SEQ_LEN];
	const u8 *hdr = tlsock_rec_ptr(rec, 0);
	u32 clen = rec->need - tlsock_rec_prepend(ctx) - TLSOCK_TAG_LEN;
	u32 ulen = clen, plen;
	size_t pinned = 0;
	int npages = 0, nsg = 1, nsrc = 0;
	bool ok = false;
	u8 type = TLSOCK_CT_DATA;

	if (!TLSOCK_CAN_PIN || (!iter_is_ubuf(it) && !iter_is_iovec(it)))
		return false;
	/* protected records say application_data outside in TLS 1.3 too */
	if (hdr[0] != TLSOCK_CT_DATA)
		return false;
	if (tlsock_is_13(ctx)) {
		if (!clen)
			return false;
		ulen = clen - 1;	/* the type byte goes to rx.zc_tail */
	}
	/* pinning pays off only for records of some size */
	if (ulen < TLSOCK_ZC_MIN || iov_iter_count(it) < ulen)
		return false;
	if (rec->have < rec->need) {
		if (rec->have != tlsock_rec_prepend(ctx))
			return false;
		sg_init_table(src, ARRAY_SIZE(src));
		nsrc = tlsock_rx_tcp_sg(sk, rec->need - rec->have, src, ARRAY_SIZE(src));
		if (!nsrc)
			return false;
	}

	sg_init_table(dst, ARRAY_SIZE(dst));
	while (pinned < ulen) {
		struct page **pp = pages + npages;
		size_t off;
		ssize_t n;
		u32 left;

		if (npages == TLSOCK_ZC_PAGES)
			goto undo;
		n = tlsock_pin_pages(it, &pp, ulen - pinned, TLSOCK_ZC_PAGES - npages, &off);
		if (n <= 0)
			goto undo;
		pinned += n;
		for (left = n; left; npages++) {
			u32 chunk = min_t(u32, left, PAGE_SIZE - off);

			sg_set_page(&dst[nsg++], pages[npages], chunk, off);
			left -= chunk;
			off = 0;
		}
	}
	if (tlsock_is_13(ctx)) {
		rx->zc_tail = 0;
		sg_set_buf(&dst[nsg++], &rx->zc_tail, 1);
	}
	sg_mark_end(&dst[nsg - 1]);

	memcpy(saved_seq, rx->crypto.seq, sizeof(saved_seq));
	if (tlsock_crypto_open_to(ctx, rec, nsrc ? src : NULL, dst)) {
		memcpy(rx->crypto.seq, saved_seq, sizeof(saved_seq));
		goto undo;
	}
	plen = ulen;
	if (tlsock_is_13(ctx)) {
		type = rx->zc_tail;
		while (!type && plen)
			type = tlsock_sg_byte(dst, nsg - 1, --plen);
	}
	if (type != TLSOCK_CT_DATA || plen > TLSOCK_MAX_PAYLOAD) {
		memcpy(rx->crypto.seq, saved_seq, sizeof(saved_seq));
		goto undo;
	}

	if (nsrc) {
		u32 seq = tcp_sk(sk)->copied_seq;

		/* they were there a moment ago, under the same lock; a FIN after them counts 1 */
		tcp_read_done(sk, rec->need - rec->have);
		if (tcp_sk(sk)->copied_seq - seq < rec->need - rec->have) {
			rx->stopped = true;
			rx->err = -EIO;
			tlsock_err_abort(sk, -EIO);
			goto undo;
		}
	}
	iov_iter_revert(it, pinned - plen);
	pinned = 0;
	*got = plen;
	ok = true;
	tlsock_stat_inc(sock_net(sk), TLSOCK_STAT_RX_RECORDS);
	tlsock_rx_cur_done(sk, ctx);
undo:
	/* the pages were written to (or may have been) */
	tlsock_unpin_pages(pages, npages, true);
	if (pinned)
		iov_iter_revert(it, pinned);
	return ok;
}

/*
 * Make rx.cur a decrypted record, waiting up to *timeo for it.
 * Return: 1 when cur holds plaintext, 2 when it holds a complete record
 * still to be opened (only with @raw_ok), 0 at end of stream, or -errno.
 * @take_err: consume a pending sk_err (only when nothing was copied yet).
 */
static int tlsock_rx_next(struct sock *sk, struct tlsock_ctx *ctx, long *timeo, bool take_err,
			  bool raw_ok)
{
	struct tlsock_rx *rx = &ctx->rx;
	int err;

	for (;;) {
		if (rx->err)
			return rx->err;
		if (rx->eof)
			return 0;
		if (rx->key_expired)
			return -EKEYEXPIRED;
		if (tlsock_rx_rec_complete(sk, rx)) {
			if (raw_ok)
				return 2;
			/* opened in place: the part still in TCP moves into cur */
			err = tlsock_rx_pull_to(sk, ctx, GFP_KERNEL, true);
			if (err)
				return take_err ? sock_error(sk) ?: err : err;
			if (!tlsock_rx_raw_complete(rx))
				return -ENOMEM;
			err = tlsock_rx_open(sk, ctx);
			if (err)
				return err;
			if (likely(!tlsock_sess_requested(ctx)) || rx->cur.type == TLSOCK_CT_DATA ||
			    !tlsock_sess_managed(ctx))
				return 1;
			/* the kernel owns the session: control records stay here */
			err = tlsock_ph_rx_control(sk, ctx, &rx->cur);
			tlsock_rx_cur_done(sk, ctx);
			if (err) {
				rx->err = err;
				/* else tx.work fails the socket after its alert */
				if (!ctx->tx.alert_level)
					tlsock_err_abort(sk, err);
				return err;
			}
			tlsock_rx_pull(sk, ctx, GFP_KERNEL);
			tlsock_rx_update_ready(ctx);
			continue;
		}
		if (READ_ONCE(sk->sk_err))
			return take_err ? sock_error(sk) : -READ_ONCE(sk->sk_err);
		err = tlsock_rx_pull(sk, ctx, GFP_KERNEL);
		if (err)
			return take_err ? sock_error(sk) ?: err : err;
		if (tlsock_rx_rec_complete(sk, rx))
			continue;
		if (tlsock_rx_starved(sk, ctx, false))
			return -ENOMEM;
		if ((READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN) || sock_flag(sk, SOCK_DONE))
			return 0;
		if (!*timeo)
			return -EAGAIN;
		if (signal_pending(current))
			return sock_intr_errno(*timeo);

		{
			DEFINE_WAIT_FUNC(wait, woken_wake_function);

			add_wait_queue(sk_sleep(sk), &wait);
			sk_set_bit(SOCKWQ_ASYNC_WAITDATA, sk);
			sk_wait_event(sk, timeo, tlsock_rx_wake_cond(sk, ctx), &wait);
			sk_clear_bit(SOCKWQ_ASYNC_WAITDATA, sk);
			remove_wait_queue(sk_sleep(sk), &wait);
		}
	}
}

/*
 * Pages a peek holds are charged to the socket the way TCP charges its own
 * receive queue (sk_forward_alloc, the protocol's memory_allocated and the
 * socket's memory cgroup): TCP uncharged those bytes when they left its
 * queue.  Socket lock held.  False: over the protocol's or the cgroup's limit.
 */
static bool tlsock_rx_charge(struct sock *sk, int size)
{
	int delta = size - sk->sk_forward_alloc;

	if (delta > 0 && !__sk_mem_schedule(sk, delta, SK_MEM_RECV))
		return false;
	sk_mem_charge(sk, size);
	return true;
}

static void tlsock_rx_consume(struct sock *sk, struct tlsock_ctx *ctx, struct tlsock_rec *rec)
{
	u32 size;

	if (rec == &ctx->rx.cur) {
		tlsock_rx_cur_done(sk, ctx);
		return;
	}
	size = rec->npages * PAGE_SIZE;
	ctx->rx.held_bytes -= size;
	list_del(&rec->list);
	tlsock_rec_free(rec);
	kfree(rec);
	sk_mem_uncharge(sk, size);
}

/*
 * Move the decrypted cur onto held so cur can take the next record.
 * -ENOBUFS: the socket may hold no more; -ENOMEM: no memory.
 */
static int tlsock_rx_spill(struct sock *sk, struct tlsock_ctx *ctx, struct tlsock_rec **moved)
{
	u32 size = ctx->rx.cur.npages * PAGE_SIZE;
	struct tlsock_rec *rec;

	/* taken off TCP's queue, these bytes are no longer bounded by its window */
	if (ctx->rx.held_bytes + size > READ_ONCE(sk->sk_rcvbuf) || !tlsock_rx_charge(sk, size))
		return -ENOBUFS;
	rec = kmalloc(sizeof(*rec), GFP_KERNEL_ACCOUNT);
	if (!rec) {
		sk_mem_uncharge(sk, size);
		return -ENOMEM;
	}
	*rec = ctx->rx.cur;
	ctx->rx.held_bytes += size;
	list_add_tail(&rec->list, &ctx->rx.held);
	memset(&ctx->rx.cur, 0, sizeof(ctx->rx.cur));
	*moved = rec;
	return 0;
}

static int tlsock_rx_reader_lock(struct sock *sk, struct tlsock_ctx *ctx, long *timeo)
{
	while (ctx->rx.reader_present) {
		DEFINE_WAIT_FUNC(wait, woken_wake_function);

		if (!*timeo)
			return -EAGAIN;
		if (signal_pending(current))
			return sock_intr_errno(*timeo);
		add_wait_queue(&ctx->rx.wq, &wait);
		sk_wait_event(sk, timeo, !ctx->rx.reader_present, &wait);
		remove_wait_queue(&ctx->rx.wq, &wait);
	}
	ctx->rx.reader_present = true;
	return 0;
}

static void tlsock_rx_reader_unlock(struct tlsock_ctx *ctx)
{
	ctx->rx.reader_present = false;
	wake_up_interruptible(&ctx->rx.wq);
}

/* The first record a reader can use without a peek position. */
static struct tlsock_rec *tlsock_rx_head(struct tlsock_ctx *ctx)
{
	struct tlsock_rec *rec;

	rec = list_first_entry_or_null(&ctx->rx.held, struct tlsock_rec, list);
	if (rec)
		return rec;
	return ctx->rx.cur.decrypted ? &ctx->rx.cur : NULL;
}

/* The record after @prev in reading order (held..., cur). */
static struct tlsock_rec *tlsock_rx_after(struct tlsock_ctx *ctx, struct tlsock_rec *prev)
{
	if (!prev)
		return tlsock_rx_head(ctx);
	if (prev == &ctx->rx.cur)
		return NULL;
	if (!list_is_last(&prev->list, &ctx->rx.held))
		return list_next_entry(prev, list);
	return ctx->rx.cur.decrypted ? &ctx->rx.cur : NULL;
}

static int tlsock_rx_lock_reader(struct sock *sk, struct tlsock_ctx *ctx, bool nonblock,
				 long *timeo)
{
	int err;

	err = tlsock_sess_gate(sk, ctx, nonblock, timeo);
	if (err)
		return err;
	return tlsock_rx_reader_lock(sk, ctx, timeo);
}

/*
 * Start a receive call: the socket lock and the reader slot, after waiting
 * in the handshake gate.  Only past the gate, under the lock, is rx_on what
 * the call must obey: a reader that waited there finds the keys the
 * handshake installed, never TCP's raw bytes.
 * Return: 0 with the lock and the slot held (RX is configured); 1 with
 * neither held and the call counted as plain I/O (tlsock_plain_end() after
 * TCP's own read); or a negative errno with neither held.
 */
static int tlsock_rx_enter(struct sock *sk, struct tlsock_ctx *ctx, bool nonblock, long *timeo)
{
	int ret;

	lock_sock(sk);
	*timeo = sock_rcvtimeo(sk, nonblock);
	ret = tlsock_rx_lock_reader(sk, ctx, nonblock, timeo);
	if (ret)
		goto out;
	if (ctx->rx_on)
		return 0;
	tlsock_plain_begin(ctx);
	tlsock_rx_reader_unlock(ctx);
	ret = 1;
out:
	release_sock(sk);
	return ret;
}

/**
 * tlsock_recvmsg() - proto recvmsg of a tlsock socket
 * @sk: socket
 * @msg: destination; a TLS_GET_RECORD_TYPE cmsg reports the record type
 * @len: bytes wanted
 * @flags: MSG_* flags (MSG_PEEK, MSG_WAITALL, MSG_DONTWAIT...)
 * @addr_len: (not in 7.x) the source address length, for the error queue
 *
 * One call returns records of a single content type.  A non-data record
 * needs room for the cmsg (else -EIO) and is returned on its own.
 *
 * Context: process context.
 * Return: bytes copied, 0 at end of stream, or a negative errno.
 */
int tlsock_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
		   int flags TLSOCK_ADDR_LEN_DECL)
{
	struct tlsock_ctx *ctx = tlsock_ctx(sk);
	bool peek = flags & MSG_PEEK;
	struct tlsock_rec *prev = NULL;
	size_t copied = 0;
	int target, ret = 0;
	u8 control = 0;
	long timeo;

	if (unlikely(flags & MSG_ERRQUEUE))
		goto plain;

	ret = tlsock_rx_enter(sk, ctx, flags & MSG_DONTWAIT, &timeo);
	if (ret < 0)
		return ret;
	if (ret) {
		ret = ctx->sk_proto->recvmsg(sk, msg, len, flags TLSOCK_ADDR_LEN);
		tlsock_plain_end(ctx);
		return ret;
	}
	if (unlikely(flags & MSG_OOB)) {
		/* an urgent byte is outside the record stream: no such thing on TLS */
		ret = -EINVAL;
		goto out_reader;
	}

	target = sock_rcvlowat(sk, flags & MSG_WAITALL, len);
	while (copied < len) {
		struct tlsock_rec *rec = peek ? tlsock_rx_after(ctx, prev) : tlsock_rx_head(ctx);
		u32 start, avail, n;
		size_t got;

		if (!rec) {
			long nowait = 0;

			if (copied >= target) {
				/* past the target, go on only with what has arrived */
				tlsock_rx_pull(sk, ctx, GFP_KERNEL);
				if (!tlsock_rx_rec_complete(sk, &ctx->rx))
					break;
			}
			if (ctx->rx.cur.decrypted) {
				/* only a peek gets here: keep cur, open the next */
				struct tlsock_rec *moved;

				ret = tlsock_rx_spill(sk, ctx, &moved);
				if (ret) {
					if (ret == -ENOBUFS && copied)
						ret = 0;
					break;
				}
				if (prev == &ctx->rx.cur)
					prev = moved;
			}
			ret = tlsock_rx_next(sk, ctx, copied >= target ? &nowait : &timeo, !copied,
					     !peek && !tlsock_sess_requested(ctx) &&
					     control != TLSOCK_CT_ALERT &&
					     (!control || control == TLSOCK_CT_DATA));
			if (ret == 2) {
				size_t got;

				if (tlsock_rx_open_zc(sk, ctx, msg, &got)) {
					if (!control) {
						control = TLSOCK_CT_DATA;
						if (msg->msg_control)
							put_cmsg(msg, SOL_TLS, TLS_GET_RECORD_TYPE,
								 sizeof(control), &control);
					}
					copied += got;
					ret = 0;
					continue;
				}
				ret = tlsock_rx_next(sk, ctx, &nowait, !copied, false);
			}
			if (ret <= 0)
				break;
			ret = 0;
			continue;
		}

		if (!control) {
			int cerr = 0;

			control = rec->type;
			if (msg->msg_control || control != TLSOCK_CT_DATA)
				cerr = put_cmsg(msg, SOL_TLS, TLS_GET_RECORD_TYPE, sizeof(control),
						&control);
			if (control != TLSOCK_CT_DATA && (cerr || (msg->msg_flags & MSG_CTRUNC))) {
				ret = -EIO;
				break;
			}
		} else if (rec->type != control) {
			break;
		}

		start = rec->pos;
		avail = rec->len - start;
		n = min_t(size_t, avail, len - copied);
		got = n ? tlsock_rec_to_iter(rec, rec->off + start, n, &msg->msg_iter) : 0;
		copied += got;
		if (peek) {
			prev = rec;
		} else {
			rec->pos += got;
			if (rec->pos == rec->len)
				tlsock_rx_consume(sk, ctx, rec);
		}
		if (got < n) {
			if (!copied)
				ret = -EFAULT;
			break;
		}
		if (control != TLSOCK_CT_DATA || n < avail)
			break;
	}

	if (copied)
		ret = copied;
	if (!peek) {
		tlsock_rx_pull(sk, ctx, GFP_KERNEL);
		tlsock_rx_update_ready(ctx);
	}
out_reader:
	tlsock_rx_reader_unlock(ctx);
	release_sock(sk);
	return ret;

plain:
	return ctx->sk_proto->recvmsg(sk, msg, len, flags TLSOCK_ADDR_LEN);
}

static void tlsock_spd_release(struct splice_pipe_desc *spd, unsigned int i)
{
	put_page(spd->pages[i]);
}

/*
 * Copy @len plaintext bytes of @rec into fresh pages and give them to the
 * pipe.  Return: bytes the pipe took, or a negative errno.
 */
static ssize_t tlsock_rec_to_pipe(struct tlsock_rec *rec, u32 len, struct pipe_inode_info *pipe)
{
	struct page *pages[TLSOCK_REC_PAGES];
	struct partial_page partial[TLSOCK_REC_PAGES];
	struct splice_pipe_desc spd = {
		.pages = pages,
		.partial = partial,
		.nr_pages_max = TLSOCK_REC_PAGES,
		.ops = &nosteal_pipe_buf_ops,
		.spd_release = tlsock_spd_release,
	};
	u32 off = rec->off + rec->pos;
	u32 done = 0;

	while (done < len) {
		u32 chunk = min_t(u32, len - done, PAGE_SIZE);
		struct page *page = alloc_page(GFP_KERNEL);

		if (!page)
			break;
		tlsock_rec_copy(rec, off + done, page_address(page), chunk);
		pages[spd.nr_pages] = page;
		partial[spd.nr_pages].offset = 0;
		partial[spd.nr_pages].len = chunk;
		spd.nr_pages++;
		done += chunk;
	}
	if (!spd.nr_pages)
		return -ENOMEM;
	return splice_to_pipe(pipe, &spd);
}

/**
 * tlsock_splice_read() - proto_ops splice_read of a tlsock socket
 * @sock: socket
 * @ppos: unused
 * @pipe: destination pipe
 * @len: most bytes to move
 * @flags: SPLICE_F_*
 *
 * Moves data from at most one record; a non-data record gives -EINVAL and
 * stays queued for recvmsg.
 *
 * Context: process context, the pipe is locked by the caller.
 * Return: bytes moved, 0 at end of stream, or a negative errno.
 */
ssize_t tlsock_splice_read(struct socket *sock, loff_t *ppos, struct pipe_inode_info *pipe,
			   size_t len, unsigned int flags)
{
	struct sock *sk = sock->sk;
	struct tlsock_ctx *ctx = tlsock_ctx(sk);
	bool nonblock = (flags & SPLICE_F_NONBLOCK) || (sock->file->f_flags & O_NONBLOCK);
	struct tlsock_rec *rec;
	ssize_t ret;
	long timeo;

	ret = tlsock_rx_enter(sk, ctx, nonblock, &timeo);
	if (ret < 0)
		return ret;
	if (ret) {
		ret = ctx->sk_ops->splice_read(sock, ppos, pipe, len, flags);
		tlsock_plain_end(ctx);
		return ret;
	}

	for (;;) {
		rec = tlsock_rx_head(ctx);
		if (!rec) {
			ret = tlsock_rx_next(sk, ctx, &timeo, true, false);
			if (ret <= 0)
				goto out_reader;
			continue;
		}
		if (rec->type != TLSOCK_CT_DATA) {
			ret = -EINVAL;
			goto out_reader;
		}
		if (rec->pos < rec->len)
			break;
		tlsock_rx_consume(sk, ctx, rec);	/* empty data record */
	}
	len = min_t(size_t, len, rec->len - rec->pos);
	ret = tlsock_rec_to_pipe(rec, len, pipe);
	if (ret > 0)
		rec->pos += ret;
	if (rec->pos == rec->len)
		tlsock_rx_consume(sk, ctx, rec);
	tlsock_rx_pull(sk, ctx, GFP_KERNEL);
	tlsock_rx_update_ready(ctx);
out_reader:
	tlsock_rx_reader_unlock(ctx);
	release_sock(sk);
	return ret;
}

/**
 * tlsock_read_sock() - proto_ops read_sock
 * @sk: socket
 * @desc: read descriptor
 * @recv_actor: consumer
 *
 * In-kernel consumers that read skbs directly would see ciphertext once RX
 * is configured, so that is refused.
 *
 * Return: what TCP returns, or -EOPNOTSUPP with RX configured or a managed
 * handshake requested.
 */
int tlsock_read_sock(struct sock *sk, read_descriptor_t *desc, sk_read_actor_t recv_actor)
{
	struct tlsock_ctx *ctx = tlsock_ctx(sk);

	/* a managed socket is TLS from the request on, whatever its state */
	if (READ_ONCE(ctx->rx_on) || tlsock_sess_requested_lockless(ctx))
		return -EOPNOTSUPP;
	return ctx->sk_ops->read_sock(sk, desc, recv_actor);
}

/**
 * tlsock_poll() - proto_ops poll
 * @file: file of the socket
 * @sock: socket
 * @wait: poll table
 *
 * TCP's answer, except that readability means a whole record (or
 * plaintext) is waiting once RX is configured.
 *
 * Context: process context, no socket lock.
 */
__poll_t tlsock_poll(struct file *file, struct socket *sock, struct poll_table_struct *wait)
{
	struct sock *sk = sock->sk;
	struct tlsock_ctx *ctx = tlsock_ctx(sk);
	__poll_t mask;

	mask = ctx->sk_ops->poll(file, sock, wait);
	mask = tlsock_sess_poll(sk, ctx, mask);
	if (READ_ONCE(ctx->rx_on)) {
		if (!(READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN))
			mask &= ~(EPOLLIN | EPOLLRDNORM);
		/* pairs with WRITE_ONCE() in tlsock_rx_update_ready() */
		if (READ_ONCE(ctx->rx.ready))
			mask |= EPOLLIN | EPOLLRDNORM;
	}
	return mask;
}

/**
 * tlsock_rx_init() - initialise the receive side of a new context
 * @ctx: context
 */
void tlsock_rx_init(struct tlsock_ctx *ctx)
{
	INIT_LIST_HEAD(&ctx->rx.held);
	init_waitqueue_head(&ctx->rx.wq);
}

/**
 * tlsock_rx_release() - free buffers and keys of the receive side
 * @sk: socket
 * @ctx: context
 *
 * Context: socket lock held, no reader inside (the socket is closing).
 */
void tlsock_rx_release(struct sock *sk, struct tlsock_ctx *ctx)
{
	struct tlsock_rec *rec, *tmp;

	list_for_each_entry_safe(rec, tmp, &ctx->rx.held, list) {
		list_del(&rec->list);
		tlsock_rec_free(rec);
		kfree(rec);
	}
	sk_mem_uncharge(sk, ctx->rx.held_bytes);
	ctx->rx.held_bytes = 0;
	tlsock_rec_free(&ctx->rx.cur);
	tlsock_crypto_free(&ctx->rx.crypto);
}
