// SPDX-License-Identifier: GPL-2.0
/*
 * tlsock: the "tlsock" TCP upper-layer protocol.
 *
 * Attaching the ULP replaces the socket's struct proto and proto_ops with
 * copies whose data-path entries are tlsock's.  The copies are built once
 * per address family from the first socket of that family and never
 * change afterwards.  Closing the socket restores TCP's operations and
 * callbacks before TCP's own close runs, so nothing of tlsock is reached
 * through the socket afterwards; the ULP keeps a module reference until
 * TCP destroys the socket.
 */
#include <linux/module.h>
#include <linux/file.h>
#include <linux/skmsg.h>
#include <linux/inet_diag.h>
#include <net/tcp.h>
#include <net/inet_common.h>
#include <net/genetlink.h>

#include "tlsock.h"
#include "session.h"
#include "policy.h"

enum { TLSOCK_V4, TLSOCK_V6, TLSOCK_NFAM };

static int tlsock_family(const struct sock *sk)
{
	return sk->sk_family == AF_INET6 ? TLSOCK_V6 : TLSOCK_V4;
}

/* a spinlock: the first socket may come through a BPF hook (TLSOCK_GFP_HOOK) */
static DEFINE_SPINLOCK(tlsock_proto_lock);
/* written once under tlsock_proto_lock, then read-only (release/acquire) */
static const struct proto *tlsock_base_prot[TLSOCK_NFAM];
static const struct proto_ops *tlsock_base_ops[TLSOCK_NFAM];
static struct proto tlsock_prot[TLSOCK_NFAM];
static struct proto_ops tlsock_ops[TLSOCK_NFAM];
/*
 * TCP's, but that they move no data: children of adopted listeners until
 * they are TLS sockets (tlsock_clone()).  The operations are for a child
 * that TCP's own accept() handed out (tlsock_child_release_cb()).
 */
static struct proto tlsock_child_prot[TLSOCK_NFAM];
static struct proto_ops tlsock_child_ops[TLSOCK_NFAM];

/**
 * tlsock_err_abort() - fail the connection with @err
 * @sk: socket
 * @err: negative errno reported to the application
 *
 * Context: socket lock held or softirq with the socket spinlock.
 */
void tlsock_err_abort(struct sock *sk, int err)
{
	WRITE_ONCE(sk->sk_err, -err);
	/* sk_err must be visible before the wakeup */
	smp_wmb();
	sk_error_report(sk);
}

static int tlsock_setsockopt(struct sock *sk, int level, int optname, sockptr_t optval,
			     unsigned int optlen)
{
	struct tlsock_ctx *ctx = tlsock_ctx(sk);

	if ((level == SOL_TLS || level == SOL_TLSOCK) && ctx->lst)
		return -EINVAL;		/* a listener carries no session */
	if (level == SOL_TLS)
		return tlsock_tls_setsockopt(sk, ctx, optname, optval, optlen);
	if (level == SOL_TLSOCK)
		return tlsock_hs_setsockopt(sk, optname, optval, optlen);
	return ctx->sk_proto->setsockopt(sk, level, optname, optval, optlen);
}

static int tlsock_getsockopt(struct sock *sk, int level, int optname, char __user *optval,
			     int __user *optlen)
{
	struct tlsock_ctx *ctx = tlsock_ctx(sk);

	if (level == SOL_TLS)
		return tlsock_tls_getsockopt(sk, ctx, optname, optval, optlen);
	if (level == SOL_TLSOCK)
		return tlsock_hs_getsockopt(sk, optname, optval, optlen);
	/* maps TCP's raw receive queue into user memory: never on a TLS socket */
	if (level == SOL_TCP && optname == TCP_ZEROCOPY_RECEIVE)
		return -EOPNOTSUPP;
	return ctx->sk_proto->getsockopt(sk, level, optname, optval, optlen);
}

static int tlsock_disconnect(struct sock *sk, int flags)
{
	struct tlsock_ctx *ctx = tlsock_ctx(sk);

	/* shutdown() of an adopted listener stops it, as TCP's */
	if (ctx->lst && sk->sk_state == TCP_LISTEN)
		return ctx->sk_proto->disconnect(sk, flags);
	/* a TLS stream cannot be reused for another connection */
	return -EOPNOTSUPP;
}

/* An adopted listener that was shut down cannot become a connection: its children are TLS. */
static int tlsock_connect(struct sock *sk, struct tlsock_connect_addr *uaddr, int addr_len)
{
	struct tlsock_ctx *ctx = tlsock_ctx(sk);

	if (ctx->lst)
		return -EOPNOTSUPP;
	return ctx->sk_proto->connect(sk, uaddr, addr_len);
}

/*
 * Records written before a half-close, and close_notify in a managed
 * session, go out ahead of the FIN.  tx_lock and the socket lock held.
 */
static void tlsock_flush_for_fin(struct sock *sk, struct tlsock_ctx *ctx)
{
	u8 shut = sk->sk_shutdown;

	/* inet_shutdown() already set SEND_SHUTDOWN: lift it meanwhile */
	WRITE_ONCE(sk->sk_shutdown, shut & ~SEND_SHUTDOWN);
	if (tlsock_sess_managed(ctx))
		tlsock_ph_close_notify(sk, ctx, MSG_DONTWAIT | MSG_NOSIGNAL);
	tlsock_tx_flush(sk, ctx, MSG_DONTWAIT | MSG_NOSIGNAL);
	WRITE_ONCE(sk->sk_shutdown, shut);
}

static void tlsock_shutdown(struct sock *sk, int how)
{
	struct tlsock_ctx *ctx = tlsock_ctx(sk);

	/*
	 * A FIN before the handshake is done would end it (the peer's TLS
	 * stack and tlsockd take it as the end), where plain TCP would still
	 * deliver what the peer sends.  So the half-close waits for the keys
	 * (tlsock_shutdown_held()); the handshake's own bytes still go out,
	 * and the application's writes wait at the gate as before.  A
	 * handshake that fails resets the connection anyway.
	 */
	if ((how & SEND_SHUTDOWN) && tlsock_sess_running(ctx)) {
		ctx->shut_wr_held = true;
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown & ~SEND_SHUTDOWN);
		how &= ~SEND_SHUTDOWN;
		if (!how)
			return;
	}
	/*
	 * inet_shutdown() holds the socket lock, so tx_lock may only be
	 * tried: a sender inside sendmsg flushes its own data anyway.
	 */
	if ((how & SEND_SHUTDOWN) && ctx->tx_on && mutex_trylock(&ctx->tx_lock)) {
		tlsock_flush_for_fin(sk, ctx);
		mutex_unlock(&ctx->tx_lock);
	}
	ctx->sk_proto->shutdown(sk, how);
}

/**
 * tlsock_shutdown_held() - the half-close the application asked for during
 *	the handshake, now that the keys are in
 * @sk: socket
 * @ctx: its context
 *
 * Context: tx_lock and the socket lock held (tlsock_hs_complete()).
 */
void tlsock_shutdown_held(struct sock *sk, struct tlsock_ctx *ctx)
{
	ctx->shut_wr_held = false;
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | SEND_SHUTDOWN);
	tlsock_flush_for_fin(sk, ctx);
	ctx->sk_proto->shutdown(sk, SEND_SHUTDOWN);
	sk->sk_state_change(sk);
}

/*
 * Free @ctx once RCU readers (get_info, callbacks that raced with detaching)
 * are done.  Its keys and record state were wiped when each direction was
 * released (tlsock_crypto_free(), tlsock_rec_free()), and the handshake
 * state with its secrets is a separate allocation wiped on its own: what is
 * left is no more sensitive than the socket itself, so kfree_rcu()'s batched
 * free does, without a callback per socket.
 */
static void tlsock_ctx_free(struct tlsock_ctx *ctx)
{
	mutex_destroy(&ctx->tx_lock);
	kfree_rcu(ctx, rcu);
}

/* Give the socket back to TCP.  Socket lock held. */
static void tlsock_detach(struct sock *sk, struct tlsock_ctx *ctx)
{
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_data_ready = ctx->saved_data_ready;
	sk->sk_write_space = ctx->saved_write_space;
	if (ctx->saved_state_change)
		sk->sk_state_change = ctx->saved_state_change;
	rcu_assign_pointer(inet_csk(sk)->icsk_ulp_data, NULL);
	WRITE_ONCE(sk->sk_prot, ctx->sk_proto);
	if (sk->sk_socket)
		WRITE_ONCE(sk->sk_socket->ops, ctx->sk_ops);
	write_unlock_bh(&sk->sk_callback_lock);
}

static void tlsock_close(struct sock *sk, long timeout)
{
	struct tlsock_ctx *ctx = tlsock_ctx(sk);
	struct proto *base = ctx->sk_proto;
	long flush_timeo;
	bool abortive;

	if (ctx->lst)
		tlsock_listen_closed(ctx->lst);
	/* an unfinished handshake is cancelled first: the daemon lets go */
	if (!tlsock_sess_settled(ctx)) {
		lock_sock(sk);
		tlsock_hs_close(sk, ctx);
		release_sock(sk);
	}

	/* at most a few seconds for data the application already wrote */
	flush_timeo = min_t(long, sock_sndtimeo(sk, false), 5 * HZ);
	if (sock_flag(sk, SOCK_LINGER))
		flush_timeo = min_t(long, flush_timeo, sk->sk_lingertime);
	tlsock_tx_release(sk, ctx, flush_timeo);

	lock_sock(sk);
	/* a managed session: close_notify went out in tlsock_tx_release() */
	if (tlsock_sess_requested(ctx))
		tlsock_hs_close(sk, ctx);
	if (ctx->tx_on)
		tlsock_stat_add(sock_net(sk), TLSOCK_STAT_CURR_TX, -1);
	if (ctx->rx_on)
		tlsock_stat_add(sock_net(sk), TLSOCK_STAT_CURR_RX, -1);
	tlsock_rx_release(sk, ctx);
	tlsock_detach(sk, ctx);
	/*
	 * Bytes the application left unread make TCP's close a reset, which
	 * drops what TCP has not sent yet.  With TLS that happens where plain
	 * TCP closes gracefully: a peer that half-closed sent a close_notify
	 * before its FIN, and an application that stops reading at its
	 * protocol's last command never reads it.  Its last replies, still held
	 * by Nagle, must leave before the reset.
	 */
	abortive = tcp_inq(sk) > 0;
	release_sock(sk);

	tlsock_ctx_free(ctx);
	if (abortive)
		tcp_sock_set_nodelay(sk);
	base->close(sk, timeout);
}

#ifdef TLSOCK_HAVE_KFUNC_FILTER
static int tlsock_accept(struct socket *sock, struct socket *newsock, struct proto_accept_arg *arg);
#endif

/*
 * A child leaves tlsock_child_prot: a ULP of ours holds the module from now
 * on, or none of tlsock's operations is left on it.  It is freed as TCP's
 * (and a time-wait successor of it lives as TCP's).  Socket lock held.
 */
static void tlsock_child_unref(struct sock *sk)
{
	sk->sk_prot_creator = (struct proto *)tlsock_base_prot[tlsock_family(sk)];
	module_put(THIS_MODULE);
}

/*
 * A child of an adopted listener that reached an application without
 * tlsock_accept(): a thread was already blocked in TCP's accept() when the
 * listener was adopted.  Whatever it first does that could move data (send,
 * receive, splice, TCP_ZEROCOPY_RECEIVE, TCP_ULP) makes it the TLS socket it
 * was meant to be, its handshake started; or, if that fails or no rule
 * covers it any more, resets it for good.  No byte moves before, and none
 * of what the peer sent ever reaches the application.
 *
 * A child that failed stays on tlsock_child_prot: CLOSE, so every later
 * call fails here without trying again.  Its module reference
 * (tlsock_clone()) goes when the socket is freed.
 */
static int tlsock_child_upgrade(struct sock *sk)
{
	int fam = tlsock_family(sk);
	int err = 0;

	lock_sock(sk);
	if (READ_ONCE(sk->sk_prot) != &tlsock_child_prot[fam])
		goto out;
	if (sk->sk_state == TCP_CLOSE || !sk->sk_socket) {
		/* reset by its peer, or failed here before */
		err = -ECONNRESET;
		goto out;
	}
	err = tlsock_policy_accepted(NULL, sk);
	if (!err && !tlsock_ctx(sk))
		err = -ENOENT;	/* no rule covers it any more */
	/* the ULP holds the module now, whether its handshake started or not */
	if (READ_ONCE(sk->sk_prot) != &tlsock_child_prot[fam])
		tlsock_child_unref(sk);
out:
	release_sock(sk);
	if (err && err != -ECONNRESET)
		tcp_abort(sk, ECONNRESET);
	return err ? -ECONNRESET : 0;
}

static int tlsock_child_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
{
	int err = tlsock_child_upgrade(sk);

	return err ?: READ_ONCE(sk->sk_prot)->sendmsg(sk, msg, size);
}

static int tlsock_child_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
				int flags TLSOCK_ADDR_LEN_DECL)
{
	int err = tlsock_child_upgrade(sk);

	return err ?: READ_ONCE(sk->sk_prot)->recvmsg(sk, msg, len, flags TLSOCK_ADDR_LEN);
}

/*
 * The protocol a child's socket option goes to: TCP's, or, for an option
 * that moves data (@upgrade), tlsock's once the child is a TLS socket
 * (an ERR_PTR if it could not be made one).  TCP_ZEROCOPY_RECEIVE copies
 * what fits its buffer from the queue; TCP_ULP would put another ULP on a
 * socket whose bytes are TLS.
 */
static const struct proto *tlsock_child_opt_prot(struct sock *sk, bool upgrade)
{
	int err;

	if (!upgrade)
		return tlsock_base_prot[tlsock_family(sk)];
	err = tlsock_child_upgrade(sk);
	return err ? ERR_PTR(err) : READ_ONCE(sk->sk_prot);
}

static int tlsock_child_getsockopt(struct sock *sk, int level, int optname, char __user *optval,
				   int __user *optlen)
{
	const struct proto *p;

	p = tlsock_child_opt_prot(sk, level == SOL_TCP && optname == TCP_ZEROCOPY_RECEIVE);
	return IS_ERR(p) ? PTR_ERR(p) : p->getsockopt(sk, level, optname, optval, optlen);
}

static int tlsock_child_setsockopt(struct sock *sk, int level, int optname, sockptr_t optval,
				   unsigned int optlen)
{
	const struct proto *p = tlsock_child_opt_prot(sk, level == SOL_TCP && optname == TCP_ULP);

	return IS_ERR(p) ? PTR_ERR(p) : p->setsockopt(sk, level, optname, optval, optlen);
}

static ssize_t tlsock_child_splice_read(struct socket *sock, loff_t *ppos,
					struct pipe_inode_info *pipe, size_t len,
					unsigned int flags)
{
	const struct proto_ops *ops;
	int err;

	err = tlsock_child_upgrade(sock->sk);
	if (err)
		return err;
	ops = READ_ONCE(sock->ops);
	if (ops == &tlsock_child_ops[tlsock_family(sock->sk)])
		return -ECONNRESET;	/* cannot be: the upgrade gave it tlsock's */
	return ops->splice_read(sock, ppos, pipe, len, flags);
}

/* in-kernel readers (strparser, sockmap) hold the lock: nothing for them until TLS is up */
static int tlsock_child_read_sock(struct sock *sk, read_descriptor_t *desc,
				  sk_read_actor_t recv_actor)
{
	return -ENOTCONN;
}

/*
 * release_cb of a child: TCP's, and, the first time the child is released
 * grafted on a socket with TCP's operations (inet_accept(), when a thread
 * blocked in TCP's accept() took it), tlsock_child_ops instead, before the
 * application has the file.  Socket spinlock held, BHs off.
 */
static void tlsock_child_release_cb(struct sock *sk)
{
	int fam = tlsock_family(sk);
	struct socket *sock = sk->sk_socket;

	tlsock_base_prot[fam]->release_cb(sk);
	if (sock && READ_ONCE(sock->ops) == tlsock_base_ops[fam])
		WRITE_ONCE(sock->ops, &tlsock_child_ops[fam]);
}

/* TCP's operations @ops, without those that would move bytes around tlsock's */
static void tlsock_build_ops(struct proto_ops *o, const struct proto_ops *ops)
{
	*o = *ops;
	o->read_skb = NULL;
	/* kernel senders that hold the lock (sockmap) would reach TCP's, unsealed */
	o->sendmsg_locked = sock_no_sendmsg_locked;
#ifdef TLSOCK_HAVE_SENDPAGE
	o->sendpage_locked = tlsock_no_sendpage_locked;
#endif
	/* tcp_mmap() only serves TCP_ZEROCOPY_RECEIVE, refused in getsockopt */
	o->mmap = sock_no_mmap;
}

static void tlsock_build(int fam, const struct proto *base, const struct proto_ops *ops)
{
	struct proto *p = &tlsock_prot[fam];
	struct proto_ops *o = &tlsock_ops[fam];

	*p = *base;
	p->close = tlsock_close;
	p->setsockopt = tlsock_setsockopt;
	p->getsockopt = tlsock_getsockopt;
	p->sendmsg = tlsock_sendmsg;
	p->recvmsg = tlsock_recvmsg;
#ifdef TLSOCK_HAVE_SPLICE_EOF
	p->splice_eof = tlsock_splice_eof;
#endif
#ifdef TLSOCK_HAVE_SENDPAGE
	/* TCP's would send the page as it is (compat.c) */
	p->sendpage = tlsock_sendpage;
#endif
	p->disconnect = tlsock_disconnect;
	p->connect = tlsock_connect;
	p->shutdown = tlsock_shutdown;
	p->sock_is_readable = NULL;

	p = &tlsock_child_prot[fam];
	*p = *base;
	/* a child's creator while it holds the module (tlsock_clone()) */
	p->owner = THIS_MODULE;
	p->sendmsg = tlsock_child_sendmsg;
	p->recvmsg = tlsock_child_recvmsg;
	p->getsockopt = tlsock_child_getsockopt;
	p->setsockopt = tlsock_child_setsockopt;
	p->release_cb = tlsock_child_release_cb;
#ifdef TLSOCK_HAVE_SENDPAGE
	p->sendpage = NULL;
#endif

	o = &tlsock_child_ops[fam];
	tlsock_build_ops(o, ops);
	o->splice_read = tlsock_child_splice_read;
	o->read_sock = tlsock_child_read_sock;

	o = &tlsock_ops[fam];
	tlsock_build_ops(o, ops);
	o->poll = tlsock_poll;
	o->splice_read = tlsock_splice_read;
	o->read_sock = tlsock_read_sock;
#ifdef TLSOCK_HAVE_KFUNC_FILTER
	/* only adopted listeners reach it: other tlsock sockets never listen */
	o->accept = tlsock_accept;
#endif
}

/* Operations for @sk's family, built from the first socket seen. */
static int tlsock_get_ops(struct sock *sk, int fam)
{
	const struct proto *prot = READ_ONCE(sk->sk_prot);
	const struct proto_ops *ops = sk->sk_socket->ops;
	int err = 0;

	/* a child of an adopted listener is TCP's underneath (tlsock_child_upgrade()) */
	if (prot == &tlsock_child_prot[fam])
		prot = tlsock_base_prot[fam];
	if (ops == &tlsock_child_ops[fam])
		ops = tlsock_base_ops[fam];

	if (likely(smp_load_acquire(&tlsock_base_prot[fam]) == prot &&
		   READ_ONCE(tlsock_base_ops[fam]) == ops))
		return 0;

	spin_lock(&tlsock_proto_lock);
	if (!tlsock_base_prot[fam]) {
		tlsock_build(fam, prot, ops);
		WRITE_ONCE(tlsock_base_ops[fam], ops);
		smp_store_release(&tlsock_base_prot[fam], prot);
	}
	/* a socket whose operations were changed by someone else */
	if (tlsock_base_prot[fam] != prot || tlsock_base_ops[fam] != ops)
		err = -EOPNOTSUPP;
	spin_unlock(&tlsock_proto_lock);
	return err;
}

/* A socket tlsock may sit on: a user's TCP socket, in no sockmap.  Socket lock held. */
static int tlsock_check_sock(struct sock *sk)
{
	bool psock;

	if (!sk->sk_socket)
		return -EINVAL;
	rcu_read_lock();
	psock = sk_psock(sk);
	rcu_read_unlock();
	if (psock)
		return -EINVAL;
	return tlsock_get_ops(sk, tlsock_family(sk));
}

static struct tlsock_ctx *tlsock_ctx_alloc(struct sock *sk, gfp_t gfp)
{
	struct tlsock_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), gfp);
	if (!ctx)
		return NULL;
	ctx->sk = sk;
	ctx->prepend = TLSOCK_HDR_LEN;
	/* what tlsock_check_sock() found underneath */
	ctx->sk_proto = (struct proto *)tlsock_base_prot[tlsock_family(sk)];
	ctx->sk_ops = tlsock_base_ops[tlsock_family(sk)];
	mutex_init(&ctx->tx_lock);
	atomic_set(&ctx->plain_io, 0);
	tlsock_tx_init(ctx);
	tlsock_rx_init(ctx);
	return ctx;
}

/* Put @ctx and tlsock's operations on @sk.  Socket lock held. */
static void tlsock_publish(struct sock *sk, struct tlsock_ctx *ctx,
			   void (*state_change)(struct sock *sk))
{
	int fam = tlsock_family(sk);

	write_lock_bh(&sk->sk_callback_lock);
	ctx->saved_data_ready = sk->sk_data_ready;
	ctx->saved_write_space = sk->sk_write_space;
	sk->sk_data_ready = tlsock_data_ready;
	sk->sk_write_space = tlsock_write_space;
	if (state_change) {
		ctx->saved_state_change = sk->sk_state_change;
		sk->sk_state_change = state_change;
	}
	/* ctx must be complete before the operations that use it appear */
	rcu_assign_pointer(inet_csk(sk)->icsk_ulp_data, ctx);
	WRITE_ONCE(sk->sk_prot, &tlsock_prot[fam]);
	WRITE_ONCE(sk->sk_socket->ops, &tlsock_ops[fam]);
	write_unlock_bh(&sk->sk_callback_lock);
}

/*
 * A new context for @sk, if tlsock may sit on it (tlsock_check_sock()).
 * Socket lock held; sleeps only as @gfp allows.
 */
static struct tlsock_ctx *tlsock_ctx_new(struct sock *sk, gfp_t gfp)
{
	struct tlsock_ctx *ctx;
	int err;

	sock_owned_by_me(sk);
	err = tlsock_check_sock(sk);
	if (err)
		return ERR_PTR(err);
	ctx = tlsock_ctx_alloc(sk, gfp);
	return ctx ?: ERR_PTR(-ENOMEM);
}

static int tlsock_ulp_init(struct sock *sk)
{
	struct tlsock_ctx *ctx;

	if (sk->sk_state != TCP_ESTABLISHED)
		return -ENOTCONN;
	ctx = tlsock_ctx_new(sk, GFP_KERNEL_ACCOUNT);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	tlsock_publish(sk, ctx, NULL);
	return 0;
}

/*
 * sk_state_change of a socket with an armed request.  Softirq with the
 * socket spinlock held, or the socket owner.
 */
static void tlsock_state_change(struct sock *sk)
{
	struct tlsock_ctx *ctx = tlsock_ctx(sk);

	if (unlikely(!ctx))
		return;
	ctx->saved_state_change(sk);
	tlsock_hs_state_change(sk, ctx);
}

static struct tcp_ulp_ops tlsock_ulp_ops;

/* Attach the ULP to a socket inside a system call that holds its lock (see below). */
static void tlsock_ulp_take(struct sock *sk, struct tlsock_ctx *ctx,
			    void (*state_change)(struct sock *sk))
{
	/* we run in the module, called through a kfunc or a socket of ours: it is live */
	__module_get(THIS_MODULE);
	clear_bit(SOCK_SUPPORT_ZC, &sk->sk_socket->flags);
	tlsock_publish(sk, ctx, state_change);
	inet_csk(sk)->icsk_ulp_ops = &tlsock_ulp_ops;
}

/**
 * tlsock_attach_armed() - make a socket that is about to connect a TLS socket
 * @sk: TCP socket inside connect(), before its SYN (TCP_CLOSE)
 * @req: the handshake to run once it is connected
 * @caller: hears how the handshake ended (tlsock_hs_arm())
 * @priv: argument of @caller's operations; kept by the caller on failure
 *
 * Attaches the ULP as setsockopt(TCP_ULP) does, which cannot be used here
 * because it takes the socket lock connect() already holds: the ULP's
 * module reference, no MSG_ZEROCOPY on the socket, the context, and only
 * then icsk_ulp_ops.  The ULP is released by TCP when the socket is
 * destroyed, as any other.
 *
 * Context: process context, socket lock held, inside the connect hook's BPF
 * program (RCU read side): does not sleep (TLSOCK_GFP_HOOK).
 * Return: 0, -ENOMEM, or -EINVAL/-EOPNOTSUPP for a socket tlsock cannot
 * sit on (no file, in a sockmap, operations replaced by someone else).
 */
int tlsock_attach_armed(struct sock *sk, const struct tlsock_handshake *req,
			const struct tlsock_hs_caller *caller, void *priv)
{
	struct tlsock_ctx *ctx;
	int err;

	if (sk->sk_state != TCP_CLOSE || inet_csk(sk)->icsk_ulp_ops)
		return -EINVAL;
	ctx = tlsock_ctx_new(sk, TLSOCK_GFP_HOOK);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	err = tlsock_hs_arm(sk, ctx, req, caller, priv);
	if (err) {
		tlsock_ctx_free(ctx);
		return err;
	}
	tlsock_ulp_take(sk, ctx, tlsock_state_change);
	return 0;
}

/**
 * tlsock_attach_child() - make a child an adopted listener handed to accept() TLS
 * @sk: the child, connected, grafted on its new socket whose operations are TCP's
 * @req: the server handshake to run
 * @caller: hears how it ended (tlsock_hs_begin_now())
 * @priv: argument of @caller's operations; the request owns it on success,
 *	and on failure too unless the error is -ENOMEM with nothing attached
 *
 * The handshake starts now: accept() returns the socket with its I/O held
 * until TLS is up, so a server that speaks first (a greeting, a banner)
 * waits for TLS, not for its peer.
 *
 * Context: process context, socket lock held.
 * Return: 0; or a negative errno, and the caller resets the connection
 * (*@priv is the request's if ULP is attached: tlsock_ctx(@sk) set).
 */
int tlsock_attach_child(struct sock *sk, const struct tlsock_handshake *req,
			const struct tlsock_hs_caller *caller, void *priv)
{
	struct tlsock_ctx *ctx;

	if (inet_csk(sk)->icsk_ulp_ops)
		return -EINVAL;
	ctx = tlsock_ctx_new(sk, GFP_KERNEL_ACCOUNT);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	tlsock_ulp_take(sk, ctx, NULL);
	return tlsock_hs_begin_now(sk, ctx, req, caller, priv);
}

/**
 * tlsock_attach_listener() - adopt a listening (or bound) socket for a server rule
 * @sk: the socket, bound, listening or about to
 * @lst: the adoption; the context keeps the caller's reference
 * @gfp: for the context: TLSOCK_GFP_HOOK inside the post_bind hook
 *
 * The listener keeps TCP's callbacks and behaviour; what changes is that
 * listen() accepts the ULP (it has a clone operation), that a child is
 * made plain TCP again as it is cloned (tlsock_clone()), and that accept()
 * turns each child into a TLS socket (tlsock_accept()).  A listener that is
 * already live may be cloning children in softirq meanwhile: the ULP's
 * operations are published before the protocol, so a child copied in
 * between still goes through tlsock_clone().
 *
 * Context: process context, socket lock held; sleeps only as @gfp allows.
 * Return: 0, -EEXIST (a ULP is there), -EINVAL, -EOPNOTSUPP or -ENOMEM.
 */
int tlsock_attach_listener(struct sock *sk, struct tlsock_listen *lst, gfp_t gfp)
{
	int fam = tlsock_family(sk);
	struct tlsock_ctx *ctx;

	if (inet_csk(sk)->icsk_ulp_ops)
		return -EEXIST;
	if (sk->sk_state != TCP_CLOSE && sk->sk_state != TCP_LISTEN)
		return -EINVAL;
	ctx = tlsock_ctx_new(sk, gfp);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	ctx->lst = lst;
	/* kept as they are: saved only so that close restores what is there */
	ctx->saved_data_ready = sk->sk_data_ready;
	ctx->saved_write_space = sk->sk_write_space;

	__module_get(THIS_MODULE);
	write_lock_bh(&sk->sk_callback_lock);
	rcu_assign_pointer(inet_csk(sk)->icsk_ulp_data, ctx);
	inet_csk(sk)->icsk_ulp_ops = &tlsock_ulp_ops;
	/* the ULP before the protocol: see above */
	smp_wmb();
	WRITE_ONCE(sk->sk_socket->ops, &tlsock_ops[fam]);
	WRITE_ONCE(sk->sk_prot, &tlsock_prot[fam]);
	write_unlock_bh(&sk->sk_callback_lock);
	return 0;
}

/*
 * Children in the accept queue of @sk made under its rule and not aborted
 * yet, referenced, into @out (at most @max).
 */
static unsigned int tlsock_queued_children(struct sock *sk, struct sock **out, unsigned int max)
{
	struct request_sock_queue *queue = &inet_csk(sk)->icsk_accept_queue;
	struct request_sock *req;
	unsigned int n = 0;

	spin_lock_bh(&queue->rskq_lock);
	for (req = queue->rskq_accept_head; req && n < max; req = req->dl_next) {
		/* made plain (after the stop began); or aborted, which stays queued until accepted */
		if (!req->sk || READ_ONCE(req->sk->sk_prot) != &tlsock_child_prot[tlsock_family(sk)] ||
		    inet_sk_state_load(req->sk) == TCP_CLOSE)
			continue;
		sock_hold(req->sk);
		out[n++] = req->sk;
	}
	spin_unlock_bh(&queue->rskq_lock);
	return n;
}

#define TLSOCK_STOP_BATCH	64

/**
 * tlsock_listener_stop() - give an adopted listener back to TCP
 * @sk: the listener (referenced by the caller)
 * @lst: its adoption; nothing happens if the socket no longer has it
 *
 * New connections are plain TCP afterwards; children already in the accept
 * queue were made under the rule and are reset (their peer learns at once;
 * the application that accepts one finds it failed: tlsock_child_prot),
 * never handed over plain.  Accepted sessions
 * are not touched.  In three steps: stop cloning as ours and let every
 * clone in flight finish; abort the queued children, the listener unlocked
 * (a child's lock may not nest in its listener's), while accept() aborts
 * whatever it takes; then TCP's operations back, and the ULP off.  The
 * listener's file is held meanwhile: its application's close() takes
 * effect once the listener is TCP's again.
 *
 * Context: process context, no lock held; sleeps.
 */
void tlsock_listener_stop(struct sock *sk, struct tlsock_listen *lst)
{
	struct sock *children[TLSOCK_STOP_BATCH];
	struct file *file = NULL;
	struct tlsock_ctx *ctx;
	unsigned int n, i;

	lock_sock(sk);
	ctx = tlsock_ctx(sk);
	if (!ctx || ctx->lst != lst) {
		release_sock(sk);
		return;
	}
	/*
	 * The application must not close the listener while its children are
	 * aborted: TCP's close would find a queued child locked by
	 * tcp_abort() (inet_csk_listen_stop() warns), and tlsock_close()
	 * would give the context back a second time.  So its file is held
	 * until the end; a close() meanwhile finishes at our fput().  Under
	 * the socket lock, a socket that still has its struct socket is not
	 * past sock_close(), so the file is there; a count of zero means
	 * close() has begun, and tlsock_close() gives the listener back.
	 * (A kernel socket has no file: nothing to hold.)
	 */
	if (sk->sk_socket && sk->sk_socket->file) {
		file = sk->sk_socket->file;
		if (!tlsock_file_get_unless_zero(file)) {
			release_sock(sk);
			return;
		}
	}
	WRITE_ONCE(lst->stopping, true);
	WRITE_ONCE(sk->sk_prot, ctx->sk_proto);
	/* SYNs are processed under RCU without the listener's lock */
	synchronize_net();
	release_sock(sk);

	do {
		lock_sock(sk);
		n = tlsock_queued_children(sk, children, ARRAY_SIZE(children));
		release_sock(sk);
		for (i = 0; i < n; i++) {
			tcp_abort(children[i], ECONNABORTED);
			sock_put(children[i]);
		}
	} while (n == ARRAY_SIZE(children));

	lock_sock(sk);
	if (tlsock_ctx(sk) == ctx) {
		write_lock_bh(&sk->sk_callback_lock);
		/* closed meanwhile (TCP's close, the protocol being TCP's already): no socket */
		if (sk->sk_socket)
			WRITE_ONCE(sk->sk_socket->ops, ctx->sk_ops);
		inet_csk(sk)->icsk_ulp_ops = NULL;
		rcu_assign_pointer(inet_csk(sk)->icsk_ulp_data, NULL);
		write_unlock_bh(&sk->sk_callback_lock);
		tlsock_listen_closed(lst);
		tlsock_ctx_free(ctx);
		module_put(THIS_MODULE);
	}
	release_sock(sk);
	if (file)
		fput(file);
}

/*
 * ULP clone: a child of an adopted listener.  It is plain TCP until
 * accept() makes it a TLS socket: it has no file before that, so no daemon
 * could run its handshake, and no application can reach it either.
 * Softirq; the child is locked and not yet visible.
 */
static void tlsock_clone(const struct request_sock *req, struct sock *newsk, const gfp_t priority)
{
	/* the listener's context, as copied; freed after RCU, and SYNs are handled under it */
	struct tlsock_ctx *lctx = rcu_dereference(inet_csk(newsk)->icsk_ulp_data);
	struct tlsock_listen *lst = lctx ? READ_ONCE(lctx->lst) : NULL;
	int fam = tlsock_family(newsk);

	struct proto *base = (struct proto *)READ_ONCE(tlsock_base_prot[fam]);

	/*
	 * Made under a rule: TLS in accept(), and never usable plain meanwhile.
	 * Made while the listener is being given back: plain TCP.
	 *
	 * The child was allocated as the listener's protocol, which is ours
	 * and would outlive the module in the child (and its time-wait
	 * successor) as their creator.  A plain child is TCP's creation; one
	 * on tlsock_child_prot is that table's, holding the module until it
	 * leaves it (tlsock_child_unref()) or the socket is freed
	 * (sk_prot_free() puts the creator's owner).
	 */
	if (lst && !READ_ONCE(lst->stopping)) {
		__module_get(THIS_MODULE);
		newsk->sk_prot_creator = &tlsock_child_prot[fam];
		WRITE_ONCE(newsk->sk_prot, &tlsock_child_prot[fam]);
	} else {
		newsk->sk_prot_creator = base;
		WRITE_ONCE(newsk->sk_prot, base);
	}
	inet_csk(newsk)->icsk_ulp_ops = NULL;
	rcu_assign_pointer(inet_csk(newsk)->icsk_ulp_data, NULL);
}

#ifdef TLSOCK_HAVE_KFUNC_FILTER
/*
 * proto_ops.accept of an adopted listener: the child comes from TCP's
 * accept and becomes a TLS socket before the application sees it (or is
 * reset and the accept fails with ECONNABORTED).  A child no rule covers
 * (a rule for one address on a wildcard listener) stays plain.
 */
static int tlsock_accept(struct socket *sock, struct socket *newsock, struct proto_accept_arg *arg)
{
	int fam = tlsock_family(sock->sk);
	struct tlsock_listen *lst = NULL;
	struct tlsock_ctx *ctx;
	struct sock *child;
	int err;

	rcu_read_lock();
	ctx = tlsock_ctx(sock->sk);
	if (ctx && ctx->lst && refcount_inc_not_zero(&ctx->lst->ref))
		lst = ctx->lst;
	rcu_read_unlock();

	err = inet_accept(sock, newsock, arg);
	if (err)
		goto out;
	/* do_accept() gave the new socket the listener's operations: TCP's until TLS is on */
	WRITE_ONCE(newsock->ops, tlsock_base_ops[fam]);
	child = newsock->sk;
	lock_sock(child);
	if (child->sk_prot != &tlsock_child_prot[fam]) {
		/* made plain (the listener is being given back): stays plain */
		release_sock(child);
		goto out;
	}
	WRITE_ONCE(child->sk_prot, (struct proto *)tlsock_base_prot[fam]);
	err = lst && !READ_ONCE(lst->stopping) ? tlsock_policy_accepted(lst, child) : -ECONNABORTED;
	/* the listener's adoption still holds the module */
	tlsock_child_unref(child);
	release_sock(child);
	if (err) {
		tcp_abort(child, ECONNABORTED);
		/* do_accept() releases the new socket, with the child */
		err = -ECONNABORTED;
	}
out:
	if (lst)
		tlsock_listen_put(lst);
	return err;
}
#endif

/* TCP destroys the socket; close() normally detached us long before. */
static void tlsock_ulp_release(struct sock *sk)
{
	struct tlsock_ctx *ctx = tlsock_ctx(sk);

	if (!ctx)
		return;
	tlsock_rx_release(sk, ctx);
	tlsock_tx_free(ctx);
	rcu_assign_pointer(inet_csk(sk)->icsk_ulp_data, NULL);
	tlsock_ctx_free(ctx);
}

/*
 * zerocopy_pin (read-only): Y where zero-copy sending and receiving pin the
 * application's pages, N on a kernel that cannot pin them (compat.h), where
 * those paths copy.  tlsockctl status reports it.
 */
static bool tlsock_zc_pin = TLSOCK_CAN_PIN;

static int tlsock_param_read_only(const char *val, const struct kernel_param *kp)
{
	return -EPERM;
}

static const struct kernel_param_ops tlsock_report_ops = {
	.set	= tlsock_param_read_only,
	.get	= param_get_bool,
};
module_param_cb(zerocopy_pin, &tlsock_report_ops, &tlsock_zc_pin, 0444);
MODULE_PARM_DESC(zerocopy_pin,
		 "Y: zero-copy pins the application's pages; N: this kernel cannot (before 6.3), they are copied");

static u16 tlsock_conf(bool on)
{
	return on ? TLS_CONF_SW : TLS_CONF_BASE;
}

/* ss -ti: the same attributes as the kernel's tls ULP, so ss decodes them */
static int tlsock_get_info(struct sock *sk, struct sk_buff *skb TLSOCK_ULP_INFO_DECL)
{
	struct tlsock_ctx *ctx;
	struct nlattr *start;
	u16 version;
	int err = 0;

	start = nla_nest_start_noflag(skb, INET_ULP_INFO_TLS);
	if (!start)
		return -EMSGSIZE;

	rcu_read_lock();
	ctx = rcu_dereference(inet_csk(sk)->icsk_ulp_data);
	if (!ctx)
		goto out;
	version = READ_ONCE(ctx->version);
	if (version) {
		err = nla_put_u16(skb, TLS_INFO_VERSION, version);
		if (err)
			goto out;
		err = nla_put_u16(skb, TLS_INFO_CIPHER, READ_ONCE(ctx->cipher_type));
		if (err)
			goto out;
	}
	err = nla_put_u16(skb, TLS_INFO_TXCONF, tlsock_conf(READ_ONCE(ctx->tx_on)));
	if (err)
		goto out;
	err = nla_put_u16(skb, TLS_INFO_RXCONF, tlsock_conf(READ_ONCE(ctx->rx_on)));
	if (err)
		goto out;
	if (READ_ONCE(ctx->zc_ro_tx)) {
		err = nla_put_flag(skb, TLS_INFO_ZC_RO_TX);
		if (err)
			goto out;
	}
	if (READ_ONCE(ctx->rx.no_pad))
		err = nla_put_flag(skb, TLS_INFO_RX_NO_PAD);
out:
	rcu_read_unlock();
	if (err) {
		nla_nest_cancel(skb, start);
		return err;
	}
	nla_nest_end(skb, start);
	return 0;
}

static size_t tlsock_get_info_size(const struct sock *sk TLSOCK_ULP_INFO_DECL)
{
	return nla_total_size(0) +			/* INET_ULP_INFO_TLS */
	       2 * nla_total_size(sizeof(u16)) +	/* VERSION, CIPHER */
	       2 * nla_total_size(sizeof(u16)) +	/* TXCONF, RXCONF */
	       2 * nla_total_size(0);			/* ZC_RO_TX, RX_NO_PAD */
}

static struct tcp_ulp_ops tlsock_ulp_ops __read_mostly = {
	.name		= TLSOCK_ULP_NAME,
	.owner		= THIS_MODULE,
	.init		= tlsock_ulp_init,
	.release	= tlsock_ulp_release,
	.clone		= tlsock_clone,
	.get_info	= tlsock_get_info,
	.get_info_size	= tlsock_get_info_size,
};

static int __init tlsock_init(void)
{
	int err;

	tlsock_aead_pool_init();
	err = tlsock_stats_init();
	if (err)
		return err;
	err = tlsock_policy_init();
	if (err)
		goto err_stats;
	err = tlsock_hs_init();
	if (err)
		goto err_policy;
	err = tcp_register_ulp(&tlsock_ulp_ops);
	if (err)
		goto err_hs;
	return 0;

err_hs:
	tlsock_hs_exit();
err_policy:
	tlsock_policy_exit();
err_stats:
	tlsock_stats_exit();
	return err;
}

static void __exit tlsock_exit(void)
{
	tcp_unregister_ulp(&tlsock_ulp_ops);
	tlsock_hs_exit();
	tlsock_policy_exit();
	tlsock_stats_exit();
	/* no callback of ours may run after the code is gone (kfree_rcu() needs none) */
	rcu_barrier();
	tlsock_aead_pool_exit();
	tlsock_txp_exit();
}

module_init(tlsock_init);
module_exit(tlsock_exit);

MODULE_DESCRIPTION("tlsock: TLS record layer as a TCP ULP with a userspace handshake daemon");
MODULE_LICENSE("GPL");
MODULE_VERSION(TLSOCK_VERSION);
MODULE_ALIAS_TCP_ULP("tlsock");
/* resolving the netlink family loads the module; TCP_ULP alone may not (tlsock(7)) */
MODULE_ALIAS_GENL_FAMILY(TLSOCK_FAMILY_NAME);
