// SPDX-License-Identifier: GPL-2.0
/*
 * Transmit path: gather plaintext into a record, seal it, hand it to TCP.
 *
 * ctx->tx.rec is either open (plaintext gathering at the payload offset,
 * rec.len bytes so far) or sealed (ciphertext being given to TCP, push_off
 * bytes already taken).  A send from user memory that makes a whole record
 * of some size by itself skips the open state: the user pages are pinned
 * and sealed straight into the record's pages, so the plaintext is never
 * copied.  A sealed record goes to TCP with MSG_SPLICE_PAGES:
 * TCP takes its own page references, so after a record is fully pushed its
 * pages go to the park (txpages.c), where later records find them again
 * once TCP is done with them.
 *
 * Fresh pages cost their zeroing (init_on_alloc), so when a record's size is
 * known before it is filled, only its whole pages are its own: the last
 * partial page (the few bytes past 16 KiB of a full record, or all of a
 * small one) is carved from the sending task's page fragment, as TCP carves
 * copied data, and that fragment is reused once every skb let go of it.
 *
 * A record is sealed when it is full, when a send ends without MSG_MORE,
 * when the content type changes, on splice_eof, shutdown, close, and before
 * the TX key changes.  If TCP has no room, the rest of a sealed record waits
 * for sk_write_space, which schedules tx.work to push it.
 */
#include <linux/highmem.h>
#include <linux/scatterlist.h>
#include <linux/uio.h>
#include <net/tcp.h>

#include "tlsock.h"
#include "session.h"

#define TLSOCK_SEND_FLAGS (MSG_MORE | MSG_DONTWAIT | MSG_NOSIGNAL | MSG_CMSG_COMPAT | \
			   MSG_SPLICE_PAGES | MSG_EOR | MSG_SENDPAGE_NOPOLICY)

static void tlsock_tx_drop_rec(struct tlsock_tx *tx)
{
	struct tlsock_rec *rec = &tx->rec;
	int i;

	/* TCP holds its own references to pages it took; ours go back to the park */
	for (i = 0; i < rec->npages; i++) {
		if (rec->shared_tail && i == rec->npages - 1)
			put_page(rec->pages[i]);
		else
			tlsock_txp_put(rec->pages[i]);
	}
	memset(rec, 0, sizeof(*rec));
	tx->sealed = false;
	tx->push_off = 0;
	tx->open_type = 0;
}

/*
 * Drop a record that will not be (fully) sent.  Until it is sealed its pages
 * may hold plaintext, and TCP has none of them: wipe every byte it owns.
 * A sealed record holds only header, ciphertext and tag, and TCP may still
 * be sending a part of it, so its bytes are left alone.
 */
static void tlsock_tx_discard_rec(struct tlsock_tx *tx)
{
	struct tlsock_rec *rec = &tx->rec;
	int i, own = rec->npages - (rec->shared_tail ? 1 : 0);

	if (!tx->sealed) {
		for (i = 0; i < own; i++)
			clear_highpage(rec->pages[i]);
		if (rec->shared_tail)
			memzero_explicit(tlsock_rec_ptr(rec, own * PAGE_SIZE),
					 rec->cap - own * PAGE_SIZE);
	}
	tlsock_tx_drop_rec(tx);
}

/* Hand as much of the sealed record as TCP accepts.  0 when all is sent. */
static int tlsock_tx_push(struct sock *sk, struct tlsock_ctx *ctx, int flags)
{
	struct tlsock_tx *tx = &ctx->tx;
	struct tlsock_rec *rec = &tx->rec;

	sock_owned_by_me(sk);
	while (tx->sealed) {
		struct bio_vec bvec[TLSOCK_REC_PAGES];
		struct msghdr msg = {
			.msg_flags = MSG_SPLICE_PAGES | (flags & (MSG_DONTWAIT | MSG_NOSIGNAL)),
		};
		u32 off = tx->push_off;
		u32 left = rec->need - off;
		int n = 0, ret;

		while (off < rec->need) {
			u32 chunk = min_t(u32, rec->need - off, PAGE_SIZE - offset_in_page(off));
			u32 poff;
			struct page *page = tlsock_rec_page(rec, off, &poff);

			bvec_set_page(&bvec[n++], page, chunk, poff);
			off += chunk;
		}
		/* on close: let the FIN that follows share the last segment */
		if (tx->closing)
			msg.msg_flags |= flags & MSG_MORE;
		iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, bvec, n, left);
		ret = tcp_sendmsg_locked(sk, &msg, left);
		if (ret <= 0)
			return ret ?: -EAGAIN;
		tx->push_off += ret;
		if (tx->push_off == rec->need)
			tlsock_tx_drop_rec(tx);
	}
	return 0;
}

/* Largest record end carved from the page fragment rather than given a page of its own. */
#define TLSOCK_TX_TAIL_MAX	2048

/*
 * Take @len bytes of the sending task's page fragment (TCP's own, see
 * sk_page_frag()) as the last page of @rec.  Returns false when the fragment
 * cannot be refilled; the caller then uses a page of its own.
 */
static bool tlsock_tx_carve(struct sock *sk, struct tlsock_rec *rec, u32 len)
{
	struct page_frag *pfrag = sk_page_frag(sk);

	/* reuses the fragment's page once nobody else holds it, else moves to a new one */
	if (!skb_page_frag_refill(len, pfrag, sk->sk_allocation))
		return false;
	get_page(pfrag->page);
	rec->pages[rec->npages++] = pfrag->page;
	rec->tail_off = pfrag->offset;
	rec->shared_tail = true;
	pfrag->offset += len;
	return true;
}

/*
 * Make sure the record has room for @len bytes from its start.  Its own
 * pages come from the park of recycled pages (txpages.c), else from the
 * per-CPU free lists in one call, not one call per page.
 * @whole: @len is the record's final size and it has no pages yet, so a
 * small end may be carved (tlsock_tx_carve()); such a record cannot grow.
 */
static int tlsock_tx_alloc(struct sock *sk, struct tlsock_rec *rec, u32 len, bool whole)
{
	u32 want = DIV_ROUND_UP(len, PAGE_SIZE);
	u32 tail = offset_in_page(len);

	if (len <= rec->cap)
		return 0;
	if (want > TLSOCK_REC_PAGES || rec->shared_tail)
		return -EMSGSIZE;
	if (whole && !rec->npages && tail && tail <= TLSOCK_TX_TAIL_MAX &&
	    sk->sk_allocation & __GFP_DIRECT_RECLAIM) {
		/* pages[] past npages are NULL: exactly those are filled */
		if (want > 1 && tlsock_txp_get(rec->pages, want - 1, sk->sk_allocation) < want - 1)
			goto own;
		rec->npages = want - 1;
		if (tlsock_tx_carve(sk, rec, tail)) {
			rec->cap = len;
			return 0;
		}
	}
own:
	rec->npages = tlsock_txp_get(rec->pages, want, sk->sk_allocation);
	rec->cap = rec->npages * PAGE_SIZE;
	return rec->npages < want ? -ENOMEM : 0;
}

/* Bytes of a sealed record carrying @plen bytes of plaintext. */
static u32 tlsock_tx_rec_len(const struct tlsock_ctx *ctx, u32 plen)
{
	return tlsock_rec_prepend(ctx) + plen + (tlsock_is_13(ctx) ? 1 : 0) + TLSOCK_TAG_LEN;
}

/* Sealing ended with @err: a record to push, or a stream that must fail. */
static int tlsock_tx_sealed(struct sock *sk, struct tlsock_ctx *ctx, int err)
{
	struct tlsock_tx *tx = &ctx->tx;

	if (err) {
		/* the stream cannot go on without a gap: fail it */
		tlsock_tx_discard_rec(tx);
		tlsock_err_abort(sk, -EBADMSG);
		return err;
	}
	tx->sealed = true;
	tx->push_off = 0;
	tx->records++;
	tlsock_stat_inc(sock_net(sk), TLSOCK_STAT_TX_RECORDS);
	return 0;
}

/* Seal the open record (it may be empty: a zero-length record). */
static int tlsock_tx_seal(struct sock *sk, struct tlsock_ctx *ctx)
{
	struct tlsock_tx *tx = &ctx->tx;
	u32 plen = tx->rec.len;
	int err;

	err = tlsock_tx_alloc(sk, &tx->rec, tlsock_tx_rec_len(ctx, plen), false);
	if (!err)
		err = tlsock_crypto_seal(ctx, &tx->rec, tx->open_type, plen);
	return tlsock_tx_sealed(sk, ctx, err);
}

/*
 * Pinning and unpinning a few pages costs less than copying their contents
 * from about this size on; smaller sends are copied.
 */
#define TLSOCK_TX_ZC_MIN	2048
/* enough for a full record in one buffer at any alignment, with room to spare for an iovec */
#define TLSOCK_TX_ZC_PAGES	16

/*
 * Seal @len bytes of user memory from @from as one record of @type without
 * copying them: pin the pages and let the AEAD read them.  The record must
 * not be open (no plaintext gathered).
 *
 * Return: 1 when the record is sealed (@from advanced by @len), 0 when the
 * caller must copy instead (@from as it was; the record may have pages), or a
 * negative errno when sealing failed (@from advanced; the stream failed, as
 * when sealing a copied record fails).
 */
static int tlsock_tx_seal_zc(struct sock *sk, struct tlsock_ctx *ctx, struct iov_iter *from,
			     size_t len, u8 type)
{
	struct tlsock_tx *tx = &ctx->tx;
	struct scatterlist src[TLSOCK_TX_ZC_PAGES + 2];
	struct page *pages[TLSOCK_TX_ZC_PAGES];
	size_t pinned = 0;
	int npages = 0, nsg = 1, err;

	if (!TLSOCK_CAN_PIN || !user_backed_iter(from) || len < TLSOCK_TX_ZC_MIN)
		return 0;
	if (tlsock_tx_alloc(sk, &tx->rec, tlsock_tx_rec_len(ctx, len), true))
		return 0;	/* the copying path reports the failure */

	sg_init_table(src, ARRAY_SIZE(src));
	while (pinned < len) {
		struct page **pp = pages + npages;
		size_t off, left;
		ssize_t n;

		if (npages == TLSOCK_TX_ZC_PAGES)
			goto undo;	/* scattered too finely: copying is as good */
		n = tlsock_pin_pages(from, &pp, len - pinned, TLSOCK_TX_ZC_PAGES - npages, &off);
		if (n <= 0)
			goto undo;	/* a bad address: copying reports it */
		pinned += n;
		for (left = n; left; npages++) {
			size_t chunk = min_t(size_t, left, PAGE_SIZE - off);

			sg_set_page(&src[nsg++], pages[npages], chunk, off);
			left -= chunk;
			off = 0;
		}
	}

	tx->open_type = type;
	err = tlsock_crypto_seal_from(ctx, &tx->rec, type, len, src, nsg);
	tlsock_unpin_pages(pages, npages, false);
	err = tlsock_tx_sealed(sk, ctx, err);
	return err ?: 1;

undo:
	tlsock_unpin_pages(pages, npages, false);
	iov_iter_revert(from, pinned);
	return 0;
}

static bool tlsock_tx_has_open(const struct tlsock_tx *tx)
{
	return !tx->sealed && tx->open_type;
}

/**
 * tlsock_tx_flush() - seal the open record and push everything to TCP
 * @sk: socket
 * @ctx: context with TX configured
 * @flags: MSG_DONTWAIT to not wait for room in TCP
 *
 * Context: process context, tx_lock and socket lock held.
 * Return: 0 when everything is with TCP, -EAGAIN when a sealed record is
 * still waiting for room, or another negative errno.
 */
int tlsock_tx_flush(struct sock *sk, struct tlsock_ctx *ctx, int flags)
{
	int err;

	lockdep_assert_held(&ctx->tx_lock);
	if (tlsock_tx_has_open(&ctx->tx)) {
		err = tlsock_tx_seal(sk, ctx);
		if (err)
			return err;
	}
	return tlsock_tx_push(sk, ctx, flags);
}

static int tlsock_cmsg_type(struct msghdr *msg, u8 *type)
{
	struct cmsghdr *cmsg;

	for_each_cmsghdr(cmsg, msg) {
		if (!CMSG_OK(msg, cmsg))
			return -EINVAL;
		if (cmsg->cmsg_level != SOL_TLS)
			continue;
		if (cmsg->cmsg_type != TLS_SET_RECORD_TYPE ||
		    cmsg->cmsg_len < CMSG_LEN(sizeof(unsigned char)))
			return -EINVAL;
		if (msg->msg_flags & MSG_MORE)
			return -EINVAL;
		*type = *(unsigned char *)CMSG_DATA(cmsg);
	}
	return 0;
}

static int tlsock_tx_gate_locked(struct sock *sk, struct tlsock_ctx *ctx)
{
	long nowait = 0;

	return tlsock_sess_gate(sk, ctx, true, &nowait);
}

/* Copy from @from into the open record; returns bytes copied. */
static size_t tlsock_tx_fill(struct tlsock_ctx *ctx, struct iov_iter *from, size_t len)
{
	struct tlsock_rec *rec = &ctx->tx.rec;
	u32 at = tlsock_rec_prepend(ctx) + rec->len;
	size_t done = 0;

	while (done < len) {
		u32 chunk = min_t(size_t, len - done, PAGE_SIZE - offset_in_page(at));
		u32 poff;
		struct page *page = tlsock_rec_page(rec, at, &poff);
		size_t n = copy_page_from_iter(page, poff, chunk, from);

		done += n;
		at += n;
		if (n < chunk)
			break;
	}
	rec->len += done;
	return done;
}

/**
 * tlsock_sendmsg() - proto sendmsg of a tlsock socket
 * @sk: socket
 * @msg: data; an optional SOL_TLS TLS_SET_RECORD_TYPE cmsg sets the type
 * @size: bytes to send
 *
 * Context: process context.
 * Return: bytes accepted (they are sealed or in the open record), or a
 * negative errno when nothing was accepted.
 */
int tlsock_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
{
	struct tlsock_ctx *ctx = tlsock_ctx(sk);
	struct tlsock_tx *tx = &ctx->tx;
	int flags = msg->msg_flags;
	u8 type = TLSOCK_CT_DATA;
	bool more = (flags & MSG_MORE) && !(flags & MSG_EOR);
	size_t copied = 0;
	int err;

again:
	if (unlikely(!READ_ONCE(ctx->tx_on) || !tlsock_sess_settled_lockless(ctx))) {
		/* the gate and the choice of path under one hold of the socket lock */
		long timeo = sock_sndtimeo(sk, flags & MSG_DONTWAIT);

		lock_sock(sk);
		err = tlsock_sess_gate(sk, ctx, flags & MSG_DONTWAIT, &timeo);
		if (!err && !ctx->tx_on) {
			tlsock_plain_begin(ctx);
			release_sock(sk);
			err = ctx->sk_proto->sendmsg(sk, msg, size);
			tlsock_plain_end(ctx);
			return err;
		}
		release_sock(sk);
		if (err)
			return err;
	}

	if (flags & ~TLSOCK_SEND_FLAGS)
		return -EOPNOTSUPP;
	err = tlsock_cmsg_type(msg, &type);
	if (err)
		return err;

	mutex_lock(&ctx->tx_lock);
	lock_sock(sk);
	err = tlsock_tx_gate_locked(sk, ctx);
	if (err) {
		release_sock(sk);
		mutex_unlock(&ctx->tx_lock);
		if (err != -EAGAIN || (flags & MSG_DONTWAIT))
			return err;
		goto again;	/* to wait in the gate without tx_lock */
	}

	/* a pending record from an earlier call goes first */
	err = tlsock_tx_push(sk, ctx, flags);
	if (err)
		goto out;
	if (unlikely(tlsock_sess_managed(ctx))) {
		err = tlsock_ph_tx(sk, ctx, flags);
		if (err)
			goto out;
	}
	if (tlsock_tx_has_open(tx) && tx->open_type != type) {
		err = tlsock_tx_flush(sk, ctx, flags);
		if (err)
			goto out;
	}

	while (msg_data_left(msg)) {
		size_t want, n;

		if (sk->sk_err) {
			err = -sk->sk_err;
			goto out;
		}
		/* a long send renews the key on the way (rekey_records) */
		if (copied && !tlsock_tx_has_open(tx) && unlikely(tlsock_sess_managed(ctx))) {
			err = tlsock_ph_tx(sk, ctx, flags);
			if (err)
				goto out;
		}
		want = min_t(size_t, TLSOCK_MAX_PAYLOAD - tx->rec.len, msg_data_left(msg));
		/* a whole record in one piece: seal it from the sender's pages */
		if (!tlsock_tx_has_open(tx) && !tx->sealed &&
		    (want == TLSOCK_MAX_PAYLOAD || !more)) {
			int zc = tlsock_tx_seal_zc(sk, ctx, &msg->msg_iter, want, type);

			if (zc) {
				copied += want;
				err = zc < 0 ? zc : tlsock_tx_push(sk, ctx, flags);
				if (err)
					goto out;
				continue;
			}
		}
		if (!tlsock_tx_has_open(tx))
			tx->open_type = type;
		if (!tx->rec.len && (!more || want == TLSOCK_MAX_PAYLOAD))
			/* the whole record is in this send: size it once, tag included */
			err = tlsock_tx_alloc(sk, &tx->rec, tlsock_tx_rec_len(ctx, want), true);
		else
			err = tlsock_tx_alloc(sk, &tx->rec,
					       tlsock_rec_prepend(ctx) + tx->rec.len + want, false);
		if (err)
			break;
		n = tlsock_tx_fill(ctx, &msg->msg_iter, want);
		copied += n;
		if (n < want) {
			err = -EFAULT;
			break;
		}
		if (tx->rec.len < TLSOCK_MAX_PAYLOAD && more)
			continue;
		err = tlsock_tx_flush(sk, ctx, flags);
		if (err)
			goto out;
	}
	if (!tx->rec.len && tlsock_tx_has_open(tx))
		tx->open_type = 0;	/* nothing was gathered after all */

	/* a send without MSG_MORE closes a record left open earlier */
	if (!more && tlsock_tx_has_open(tx)) {
		int ferr = tlsock_tx_flush(sk, ctx, flags);

		if (!err)
			err = ferr;
	}
out:
	if (err == -EAGAIN && tx->sealed && copied)
		err = 0;	/* accepted: tx.work pushes the rest */
	release_sock(sk);
	mutex_unlock(&ctx->tx_lock);
	if (copied)
		return copied;
	return err;
}

/**
 * tlsock_tx_send_record() - send one record built from a kernel buffer
 * @sk: socket with TX configured
 * @ctx: its context
 * @type: content type (alert, handshake...)
 * @data: payload
 * @len: payload length, at most TLSOCK_MAX_PAYLOAD
 * @flags: MSG_DONTWAIT or 0
 *
 * Used for alerts and KeyUpdate messages the kernel sends itself.
 *
 * Context: process context, tx_lock and socket lock held.
 * Return: 0 or a negative errno.
 */
int tlsock_tx_send_record(struct sock *sk, struct tlsock_ctx *ctx, u8 type,
			  const void *data, size_t len, int flags)
{
	struct tlsock_tx *tx = &ctx->tx;
	struct kvec kv = { .iov_base = (void *)data, .iov_len = len };
	struct iov_iter it;
	int err;

	if (len > TLSOCK_MAX_PAYLOAD)
		return -EMSGSIZE;
	err = tlsock_tx_flush(sk, ctx, flags);
	if (err)
		return err;
	tx->open_type = type;
	err = tlsock_tx_alloc(sk, &tx->rec, tlsock_tx_rec_len(ctx, len), false);
	if (err) {
		tlsock_tx_drop_rec(tx);
		return err;
	}
	iov_iter_kvec(&it, ITER_SOURCE, &kv, 1, len);
	if (tlsock_tx_fill(ctx, &it, len) != len) {
		tlsock_tx_discard_rec(tx);
		return -EFAULT;
	}
	return tlsock_tx_flush(sk, ctx, flags);
}

/**
 * tlsock_splice_eof() - proto splice_eof: a splice into the socket ended
 * @sock: socket
 *
 * Seals the record that MSG_MORE kept open during the splice.
 *
 * Context: process context.
 */
void tlsock_splice_eof(struct socket *sock)
{
	struct sock *sk = sock->sk;
	struct tlsock_ctx *ctx = tlsock_ctx(sk);

	if (!READ_ONCE(ctx->tx_on))
		return;
	mutex_lock(&ctx->tx_lock);
	lock_sock(sk);
	if (tlsock_tx_has_open(&ctx->tx))
		tlsock_tx_flush(sk, ctx, MSG_DONTWAIT | MSG_NOSIGNAL);
	release_sock(sk);
	mutex_unlock(&ctx->tx_lock);
}

static void tlsock_tx_work(struct work_struct *work)
{
	struct tlsock_ctx *ctx = container_of(work, struct tlsock_ctx, tx.work);
	struct sock *sk = ctx->sk;

	mutex_lock(&ctx->tx_lock);
	lock_sock(sk);
	if (!READ_ONCE(ctx->tx.closing) && ctx->tx_on) {
		if (tlsock_sess_managed(ctx))
			tlsock_ph_tx(sk, ctx, MSG_DONTWAIT | MSG_NOSIGNAL);
		tlsock_tx_push(sk, ctx, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	release_sock(sk);
	mutex_unlock(&ctx->tx_lock);
}

/**
 * tlsock_write_space() - sk_write_space replacement
 * @sk: socket
 *
 * Context: softirq or process context, socket spinlock or owner.
 */
void tlsock_write_space(struct sock *sk)
{
	struct tlsock_ctx *ctx = tlsock_ctx(sk);

	if (unlikely(!ctx))
		return;
	/* closing: WRITE_ONCE() in tlsock_tx_release_begin() */
	if (ctx->tx_on && ctx->tx.sealed && !READ_ONCE(ctx->tx.closing))
		schedule_work(&ctx->tx.work);
	ctx->saved_write_space(sk);
}

/**
 * tlsock_tx_init() - initialise the transmit side of a new context
 * @ctx: context
 */
void tlsock_tx_init(struct tlsock_ctx *ctx)
{
	INIT_WORK(&ctx->tx.work, tlsock_tx_work);
}

/**
 * tlsock_tx_release() - stop the push work, flush, free keys and buffers
 * @sk: socket being closed
 * @ctx: context
 * @timeo: how long the final flush may wait for room in TCP
 *
 * Context: process context; takes tx_lock and the socket lock itself.
 */
void tlsock_tx_release(struct sock *sk, struct tlsock_ctx *ctx, long timeo)
{
	long saved;

	lock_sock(sk);
	WRITE_ONCE(ctx->tx.closing, true);
	release_sock(sk);
	cancel_work_sync(&ctx->tx.work);

	mutex_lock(&ctx->tx_lock);
	lock_sock(sk);
	if (ctx->tx_on && !sk->sk_err && !(sk->sk_shutdown & SEND_SHUTDOWN)) {
		int flags = MSG_NOSIGNAL | (timeo ? 0 : MSG_DONTWAIT);

		/*
		 * tcp_close() sends a FIN right after, which takes along what is
		 * queued, so the last records need not leave in a segment of their
		 * own.  Not when it resets instead (unread data, SO_LINGER 0):
		 * those records must leave before the reset.
		 */
		if (!tcp_inq(sk) && !(sock_flag(sk, SOCK_LINGER) && !sk->sk_lingertime))
			flags |= MSG_MORE;

		saved = sk->sk_sndtimeo;
		sk->sk_sndtimeo = timeo;
		if (tlsock_sess_managed(ctx) && !tlsock_ph_tx(sk, ctx, flags))
			tlsock_ph_close_notify(sk, ctx, flags);
		tlsock_tx_flush(sk, ctx, flags);
		sk->sk_sndtimeo = saved;
	}
	tlsock_tx_free(ctx);
	release_sock(sk);
	mutex_unlock(&ctx->tx_lock);
}

/**
 * tlsock_tx_free() - free the TX keys and any record left, wiped
 * @ctx: context; nothing else may use its transmit side any more
 *
 * Called on close (tlsock_tx_release()) and when the ULP is released; the
 * second call finds nothing left to do.
 *
 * Context: any context that may free memory (the ULP release may run in
 * softirq).
 */
void tlsock_tx_free(struct tlsock_ctx *ctx)
{
	tlsock_tx_discard_rec(&ctx->tx);
	tlsock_crypto_free(&ctx->tx.crypto);
}
