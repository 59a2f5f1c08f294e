/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The managed session as the record layer sees it (rx.c, tx.c, sockopt.c,
 * main.c).
 *
 * A managed session begins with a handshake request (setsockopt
 * TLSOCK_HANDSHAKE, or a policy rule) and lasts until close.  The request
 * itself (ctx->hs, struct tlsock_hs in hs.h) belongs to handshake.c and
 * posthandshake.c; the record layer asks only the questions below and never
 * looks at the request.  Along the way a session is:
 *
 *   requested  a request exists, whatever its state: from then on the keys
 *              are the daemon's and then the kernel's, never the
 *              application's, and nothing else may read the TCP stream
 *   settled    no request, or its handshake installed the keys: the
 *              handshake gate lets every caller through
 *   managed    requested and the keys are installed: the kernel owns the
 *              session, so control records, alerts, KeyUpdates and
 *              close_notify are posthandshake.c's (tlsock_ph_*())
 *
 * Locking.  handshake.c sets ctx->hs once, under the socket lock (a policy's
 * request: before the context is published), and clears it only in close,
 * under the socket lock; it writes it with WRITE_ONCE().
 *   - Predicates without a suffix, tlsock_sess_gate() and
 *     tlsock_sess_data_ready() read it plainly: the caller holds the
 *     socket lock, is softirq code with the socket spinlock held and the
 *     socket not owned by a user (data_ready), or is close() itself, which
 *     no setter can race.
 *   - The _lockless ones, and tlsock_sess_poll(), read it with READ_ONCE()
 *     (pairing with those WRITE_ONCE()s): poll and read_sock run without
 *     the socket lock.
 * The request's state is read with READ_ONCE() inside handshake.c and
 * posthandshake.c: "managed" and "settled" are stable only under the socket
 * lock; lockless answers are hints that the gate confirms under the lock.
 *
 * Hints.  The predicates carry none: the caller says on its hot path what
 * is likely.  The calls skip their out-of-line hook with unlikely(), as the
 * hot paths that use them do.
 */
#ifndef _TLSOCK_SESSION_H
#define _TLSOCK_SESSION_H

#include "tlsock.h"

/* Has a managed handshake been requested on @ctx's socket?  Socket lock. */
static inline bool tlsock_sess_requested(const struct tlsock_ctx *ctx)
{
	return ctx->hs;
}

/* tlsock_sess_requested() without the socket lock (poll, read_sock). */
static inline bool tlsock_sess_requested_lockless(const struct tlsock_ctx *ctx)
{
	/* pairs with WRITE_ONCE(ctx->hs) in handshake.c */
	return READ_ONCE(ctx->hs);
}

/* Does the kernel own @ctx's session (keys installed by a managed handshake)?  Socket lock. */
static inline bool tlsock_sess_managed(const struct tlsock_ctx *ctx)
{
	return ctx->hs && tlsock_ph_managed(ctx);
}

/* No managed handshake, or it installed the keys?  Socket lock. */
static inline bool tlsock_sess_settled(const struct tlsock_ctx *ctx)
{
	return !ctx->hs || tlsock_ph_managed(ctx);
}

/* Requested, and its handshake neither done nor failed yet?  Socket lock. */
static inline bool tlsock_sess_running(const struct tlsock_ctx *ctx)
{
	return ctx->hs && tlsock_hs_running(ctx);
}

/* tlsock_sess_settled() without the socket lock: a hint, see tlsock_hs_settled(). */
static inline bool tlsock_sess_settled_lockless(const struct tlsock_ctx *ctx)
{
	return tlsock_hs_settled(ctx);
}

/*
 * May the application's send/receive/splice proceed?  0, or what
 * tlsock_hs_gate() says (it may wait, updating *@timeo).  Socket lock held.
 */
static inline int tlsock_sess_gate(struct sock *sk, struct tlsock_ctx *ctx, bool nonblock,
				   long *timeo)
{
	if (likely(!ctx->hs))
		return 0;
	return tlsock_hs_gate(sk, ctx, nonblock, timeo);
}

/* @mask as the handshake leaves it (tlsock_hs_poll()).  No lock held. */
static inline __poll_t tlsock_sess_poll(struct sock *sk, struct tlsock_ctx *ctx, __poll_t mask)
{
	/* pairs with WRITE_ONCE(ctx->hs) in handshake.c */
	if (unlikely(READ_ONCE(ctx->hs)))
		return tlsock_hs_poll(sk, ctx, mask);
	return mask;
}

/*
 * Bytes arrived (tlsock_hs_data_ready()).  Softirq with the socket
 * spinlock held, or the socket owner.
 */
static inline void tlsock_sess_data_ready(struct sock *sk, struct tlsock_ctx *ctx)
{
	if (unlikely(ctx->hs))
		tlsock_hs_data_ready(sk, ctx);
}

#endif /* _TLSOCK_SESSION_H */
