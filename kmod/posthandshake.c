// SPDX-License-Identifier: GPL-2.0
/*
 * After a managed handshake the kernel owns the session: the application
 * only ever sees application data, and the control records of the peer are
 * handled here.
 *
 *   alert        close_notify ends the stream (reads return 0); a fatal
 *                alert fails the socket: with the errno of a certificate
 *                refusal (a TLS 1.3 client learns of one only here, after
 *                its handshake), else with ECONNRESET.
 *   KeyUpdate    (TLS 1.3) the next receive key is derived from the receive
 *                traffic secret and installed; update_requested makes us
 *                send our own KeyUpdate before the next data record.
 *   NewSessionTicket  (TLS 1.3 client) forwarded to the daemon that did
 *                the handshake, if it asked for them in DONE, so it can
 *                resume later sessions (hs_netlink.c); else dropped.
 *   HelloRequest / ClientHello  (TLS 1.2) renegotiation is refused with a
 *                no_renegotiation warning.
 *   anything else  unexpected_message: fatal.
 *
 * Records the kernel sends itself (alerts, KeyUpdate) need tx_lock, which
 * the receive path cannot take (it holds the socket lock; tx_lock nests
 * outside it), so the receive path only marks them pending in ctx->tx and
 * schedules tx.work; sendmsg also sends them before any new data.
 */
#include <linux/module.h>
#include <net/tcp.h>

#include "tlsock.h"
#include "hs.h"

#define TLSOCK_ALERT_WARNING		1
#define TLSOCK_ALERT_FATAL		2
#define TLSOCK_ALERT_CLOSE_NOTIFY	0
#define TLSOCK_ALERT_UNEXPECTED_MESSAGE	10
#define TLSOCK_ALERT_BAD_RECORD_MAC	20
#define TLSOCK_ALERT_RECORD_OVERFLOW	22
#define TLSOCK_ALERT_DECODE_ERROR	50
#define TLSOCK_ALERT_USER_CANCELED	90
#define TLSOCK_ALERT_NO_RENEGOTIATION	100

#define TLSOCK_HS_HELLO_REQUEST		0
#define TLSOCK_HS_CLIENT_HELLO		1
#define TLSOCK_HS_NEW_SESSION_TICKET	4

static unsigned long tlsock_rekey_records = 1UL << 24;
module_param_named(rekey_records, tlsock_rekey_records, ulong, 0644);
MODULE_PARM_DESC(rekey_records,
		 "TLS 1.3 managed sockets send a KeyUpdate after this many records per key (RFC 8446 5.5)");

/**
 * tlsock_ph_managed() - does the kernel own the session of this socket?
 * @ctx: context
 *
 * Return: true once a managed handshake installed the keys.
 */
bool tlsock_ph_managed(const struct tlsock_ctx *ctx)
{
	const struct tlsock_hs *hs = READ_ONCE(ctx->hs);

	return hs && READ_ONCE(hs->state) == TLSOCK_HS_DONE;
}

/*
 * A fatal alert must leave before the socket reports its error (TCP sends
 * nothing once sk_err is set), so tx.work sends it and then fails the
 * socket with @err.
 */
static void tlsock_ph_queue_alert(struct sock *sk, struct tlsock_ctx *ctx, u8 level, u8 desc,
				  int err)
{
	/* a fatal alert replaces a warning that has not left yet */
	if (ctx->tx.alert_level != TLSOCK_ALERT_FATAL) {
		ctx->tx.alert_level = level;
		ctx->tx.alert_desc = desc;
		ctx->tx.abort_err = err;
	}
	if (!READ_ONCE(ctx->tx.closing))
		schedule_work(&ctx->tx.work);
}

/**
 * tlsock_ph_rx_error() - a managed session failed to read a record
 * @sk: socket
 * @ctx: context
 * @err: -EBADMSG (did not authenticate), -EMSGSIZE (too long) or another
 *	parse error
 *
 * Queues the matching fatal alert for the peer; the socket fails once it
 * is sent.
 *
 * Context: socket owner, or softirq with the socket spinlock held.
 */
void tlsock_ph_rx_error(struct sock *sk, struct tlsock_ctx *ctx, int err)
{
	u8 desc = TLSOCK_ALERT_DECODE_ERROR;

	if (err == -EBADMSG)
		desc = TLSOCK_ALERT_BAD_RECORD_MAC;
	else if (err == -EMSGSIZE)
		desc = TLSOCK_ALERT_RECORD_OVERFLOW;
	tlsock_ph_queue_alert(sk, ctx, TLSOCK_ALERT_FATAL, desc, err);
}

static int tlsock_ph_fatal(struct sock *sk, struct tlsock_ctx *ctx, u8 desc)
{
	tlsock_ph_queue_alert(sk, ctx, TLSOCK_ALERT_FATAL, desc, -EPROTO);
	return -EPROTO;
}

static int tlsock_ph_rx_rekey(struct sock *sk, struct tlsock_ctx *ctx)
{
	struct tlsock_hs *hs = ctx->hs;
	union tlsock_crypto_info ci;
	unsigned int len;
	int err;

	err = tlsock_ku_next(hs->ku_hmac, hs->cipher, hs->secret_rx, hs->secret_len, &ci, &len);
	if (!err)
		err = tlsock_crypto_install(sk, false, &ci, len);
	memzero_explicit(&ci, sizeof(ci));
	return err;
}

static u8 tlsock_ph_byte(const struct tlsock_rec *rec, u32 pos)
{
	return *tlsock_rec_ptr(rec, rec->off + pos);
}

/* Copy one NewSessionTicket for the daemon; never fails the session. */
static void tlsock_ph_ticket(struct sock *sk, struct tlsock_ctx *ctx, struct tlsock_rec *rec,
			     u32 pos, u32 len)
{
	struct tlsock_hs *hs = ctx->hs;
	struct tlsock_hs_ticket *t;
	u32 i;

	if (!hs->ticket_portid || hs->tickets >= TLSOCK_TICKETS_MAX || len > TLSOCK_TICKET_MSG_MAX)
		return;
	t = tlsock_hs_ticket_alloc(len);
	if (!t)
		return;
	for (i = 0; i < len; i++)
		t->msg[i] = tlsock_ph_byte(rec, pos + i);
	hs->tickets++;
	tlsock_hs_ticket_send(sock_net(sk), hs, t);
}

static int tlsock_ph_handshake(struct sock *sk, struct tlsock_ctx *ctx, struct tlsock_rec *rec)
{
	u32 pos = 0;
	int err;

	while (pos < rec->len) {
		u8 type;
		u32 mlen;

		/* messages must not span records here: nothing we accept is that long */
		if (rec->len - pos < 4)
			return tlsock_ph_fatal(sk, ctx, TLSOCK_ALERT_DECODE_ERROR);
		type = tlsock_ph_byte(rec, pos);
		mlen = (tlsock_ph_byte(rec, pos + 1) << 16) | (tlsock_ph_byte(rec, pos + 2) << 8) |
		       tlsock_ph_byte(rec, pos + 3);
		if (mlen > rec->len - pos - 4)
			return tlsock_ph_fatal(sk, ctx, TLSOCK_ALERT_DECODE_ERROR);

		if (tlsock_is_13(ctx) && type == TLSOCK_HS_KEY_UPDATE) {
			u8 req;

			if (mlen != 1 || pos + 4 + mlen != rec->len)
				return tlsock_ph_fatal(sk, ctx, TLSOCK_ALERT_DECODE_ERROR);
			req = tlsock_ph_byte(rec, pos + 4);
			if (req > 1)
				return tlsock_ph_fatal(sk, ctx, TLSOCK_ALERT_DECODE_ERROR);
			err = tlsock_ph_rx_rekey(sk, ctx);
			if (err)
				return err;
			if (req) {
				ctx->tx.ku_pending = true;
				if (!READ_ONCE(ctx->tx.closing))
					schedule_work(&ctx->tx.work);
			}
		} else if (tlsock_is_13(ctx) && type == TLSOCK_HS_NEW_SESSION_TICKET) {
			tlsock_ph_ticket(sk, ctx, rec, pos, 4 + mlen);
		} else if (!tlsock_is_13(ctx) &&
			   (type == TLSOCK_HS_HELLO_REQUEST || type == TLSOCK_HS_CLIENT_HELLO)) {
			tlsock_ph_queue_alert(sk, ctx, TLSOCK_ALERT_WARNING,
					      TLSOCK_ALERT_NO_RENEGOTIATION, 0);
		} else {
			return tlsock_ph_fatal(sk, ctx, TLSOCK_ALERT_UNEXPECTED_MESSAGE);
		}
		pos += 4 + mlen;
	}
	return 0;
}

/*
 * The errno a fatal alert from the peer leaves on the socket: the same as
 * tlsockd reports for the alert during a handshake (tlsock(7)).
 */
static int tlsock_ph_alert_errno(u8 desc)
{
	switch (desc) {
	case 116:			/* certificate_required */
		return -ENOKEY;
	case 42:			/* bad_certificate */
	case 43:			/* unsupported_certificate */
	case 46:			/* certificate_unknown */
	case 48:			/* unknown_ca */
		return -EKEYREJECTED;
	case 44:			/* certificate_revoked */
		return -EKEYREVOKED;
	case 45:			/* certificate_expired */
		return -EKEYEXPIRED;
	default:
		return -ECONNRESET;
	}
}

/**
 * tlsock_ph_rx_control() - handle a control record of a managed socket
 * @sk: socket
 * @ctx: context; tlsock_ph_managed() is true
 * @rec: the decrypted record (dropped by the caller afterwards)
 *
 * Context: process context, socket lock held by the reader.
 * Return: 0 when handled (the stream goes on, or ended with close_notify:
 * ctx->rx.eof), or a negative errno that fails the socket.
 */
int tlsock_ph_rx_control(struct sock *sk, struct tlsock_ctx *ctx, struct tlsock_rec *rec)
{
	u8 level, desc;

	switch (rec->type) {
	case TLSOCK_CT_ALERT:
		if (rec->len != 2)
			return tlsock_ph_fatal(sk, ctx, TLSOCK_ALERT_DECODE_ERROR);
		level = tlsock_ph_byte(rec, 0);
		desc = tlsock_ph_byte(rec, 1);
		if (desc == TLSOCK_ALERT_CLOSE_NOTIFY) {
			ctx->rx.eof = true;
			return 0;
		}
		if (level == TLSOCK_ALERT_WARNING &&
		    (desc == TLSOCK_ALERT_USER_CANCELED || !tlsock_is_13(ctx)))
			return 0;
		return tlsock_ph_alert_errno(desc);
	case TLSOCK_CT_HANDSHAKE:
		return tlsock_ph_handshake(sk, ctx, rec);
	default:
		return tlsock_ph_fatal(sk, ctx, TLSOCK_ALERT_UNEXPECTED_MESSAGE);
	}
}

/**
 * tlsock_ph_tx() - send what the session owes the peer before more data
 * @sk: socket
 * @ctx: context with TX configured
 * @flags: MSG_DONTWAIT or 0
 *
 * A queued alert, a KeyUpdate the peer asked for, or the KeyUpdate that
 * renews a key before its usage limit.
 *
 * Context: process context, tx_lock and socket lock held.
 * Return: 0, -EAGAIN when a record waits for room in TCP (it is sealed and
 * will go out first), or another negative errno.
 */
int tlsock_ph_tx(struct sock *sk, struct tlsock_ctx *ctx, int flags)
{
	struct tlsock_tx *tx = &ctx->tx;
	struct tlsock_hs *hs = ctx->hs;
	union tlsock_crypto_info ci;
	unsigned int len;
	int err;

	lockdep_assert_held(&ctx->tx_lock);
	if (tx->alert_level) {
		u8 alert[2] = { tx->alert_level, tx->alert_desc };
		bool fatal = tx->alert_level == TLSOCK_ALERT_FATAL;

		tx->alert_level = 0;
		err = tlsock_tx_send_record(sk, ctx, TLSOCK_CT_ALERT, alert, sizeof(alert), flags);
		if (fatal) {
			tlsock_err_abort(sk, tx->abort_err ?: -EPROTO);
			return -EPROTO;
		}
		if (err && err != -EAGAIN)
			return err;
	}

	if (!tlsock_is_13(ctx) || !hs->secret_len)
		return 0;
	if (!tx->ku_pending && tx->records < tlsock_rekey_records)
		return 0;
	/*
	 * The KeyUpdate must be sealed right behind the records already sealed:
	 * if one still waits for room in TCP, the new key has to wait as well.
	 */
	err = tlsock_tx_flush(sk, ctx, flags);
	if (err)
		return err;

	{
		/* KeyUpdate, update_not_requested, under the current key */
		static const u8 ku[5] = { TLSOCK_HS_KEY_UPDATE, 0, 0, 1, 0 };

		err = tlsock_tx_send_record(sk, ctx, TLSOCK_CT_HANDSHAKE, ku, sizeof(ku), flags);
		if (err && err != -EAGAIN)
			return err;
	}
	err = tlsock_ku_next(hs->ku_hmac, hs->cipher, hs->secret_tx, hs->secret_len, &ci, &len);
	if (!err)
		err = tlsock_crypto_install(sk, true, &ci, len);
	memzero_explicit(&ci, sizeof(ci));
	if (err) {
		tlsock_err_abort(sk, err);
		return err;
	}
	tx->ku_pending = false;
	tx->records = 0;
	return 0;
}

/**
 * tlsock_ph_close_notify() - tell the peer no more data will come
 * @sk: socket
 * @ctx: managed context with TX configured
 * @flags: MSG_DONTWAIT or 0
 *
 * Sent once, on shutdown(SHUT_WR) or close.
 *
 * Context: process context, tx_lock and socket lock held.
 * Return: 0 or a negative errno.
 */
int tlsock_ph_close_notify(struct sock *sk, struct tlsock_ctx *ctx, int flags)
{
	static const u8 alert[2] = { TLSOCK_ALERT_WARNING, TLSOCK_ALERT_CLOSE_NOTIFY };

	if (ctx->tx.notified)
		return 0;
	ctx->tx.notified = true;
	return tlsock_tx_send_record(sk, ctx, TLSOCK_CT_ALERT, alert, sizeof(alert), flags);
}
