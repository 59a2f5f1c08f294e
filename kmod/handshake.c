// SPDX-License-Identifier: GPL-2.0
/*
 * Managed handshakes, socket side: setsockopt(SOL_TLSOCK, TLSOCK_HANDSHAKE)
 * creates a request, the gate holds the application's I/O back until it
 * finishes, poll hides readiness meanwhile, TLSOCK_INFO reports the result,
 * close cancels.  hs_netlink.c hands requests to tlsockd; see hs.h for the
 * request's lifetime and locking.
 *
 * Failures the kernel detects (no daemon, over the cap, timeout, daemon
 * exit) also reset the TCP connection: the peer learns at once and no
 * application byte can follow.  Failures the daemon reports leave the
 * connection to the application (GnuTLS already sent an alert); the request
 * stays failed, so every later send/recv returns the error.
 *
 * A request can also start without a caller waiting for it:
 * tlsock_hs_arm() attaches one to a socket that is not connected yet (a
 * transparent policy, policy.c), and it is announced as soon as TCP
 * reaches ESTABLISHED.  Its caller hears the outcome through struct
 * tlsock_hs_caller.  The application of such a socket never asked for TLS
 * and knows no tlsock errno: every failure reaches it as ECONNRESET, with
 * the connection reset (TLSOCK_INFO keeps the real reason).
 */
#include <linux/module.h>
#include <crypto/hash.h>
#include <linux/slab.h>
#include <linux/sched/signal.h>
#include <linux/ctype.h>
#include <net/tcp.h>

#include "hs.h"

unsigned int tlsock_hs_timeout_ms = 10000;
module_param_named(hs_timeout_ms, tlsock_hs_timeout_ms, uint, 0644);
MODULE_PARM_DESC(hs_timeout_ms, "handshake timeout when the application sets none (ms)");

unsigned int tlsock_hs_max_pending = 256;
module_param_named(hs_max_pending, tlsock_hs_max_pending, uint, 0644);
MODULE_PARM_DESC(hs_max_pending, "unfinished handshakes allowed per network namespace");

unsigned int tlsock_hs_max_pending_user = 64;
module_param_named(hs_max_pending_user, tlsock_hs_max_pending_user, uint, 0644);
MODULE_PARM_DESC(hs_max_pending_user,
		 "unfinished handshakes one user may have per network namespace");

static unsigned int tlsock_hs_first_byte_ms = 5000;
module_param_named(hs_first_byte_ms, tlsock_hs_first_byte_ms, uint, 0644);
MODULE_PARM_DESC(hs_first_byte_ms,
		 "how long a server's handshake waits for the peer's first byte (ms)");

static struct workqueue_struct *tlsock_hs_wq;

static void tlsock_hs_free(struct tlsock_hs *hs)
{
	if (hs->caller)
		hs->caller->release(hs->caller_priv);
	put_pid(hs->owner);
	crypto_free_shash(hs->ku_hmac);
	sock_put(hs->sk);
	/* the secrets live in the structure */
	kfree_sensitive(hs);
}

/**
 * tlsock_hs_put() - drop a reference on a request
 * @hs: request
 *
 * Context: any context where sock_put() is allowed.
 */
void tlsock_hs_put(struct tlsock_hs *hs)
{
	if (refcount_dec_and_test(&hs->ref))
		tlsock_hs_free(hs);
}

static bool tlsock_hs_is_owner(const struct tlsock_hs *hs)
{
	/* pairs with WRITE_ONCE() in tlsock_hs_claim(); compared only */
	return READ_ONCE(hs->owner) == task_tgid(current);
}

static bool tlsock_hs_finished(const struct tlsock_hs *hs)
{
	/* pairs with WRITE_ONCE() in tlsock_hs_finish() */
	return READ_ONCE(hs->state) >= TLSOCK_HS_DONE;
}

/* What the application sees of a failure: see the header comment. */
static int tlsock_hs_app_err(const struct tlsock_hs *hs)
{
	return hs->caller ? -ECONNRESET : hs->err;
}

/* Wake everything waiting on the socket: gate, setsockopt, poll, epoll. */
static void tlsock_hs_wake(struct sock *sk)
{
	struct socket_wq *wq;

	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_poll(&wq->wait, EPOLLIN | EPOLLRDNORM | EPOLLOUT |
					   EPOLLWRNORM | EPOLLERR);
	rcu_read_unlock();
	sk_wake_async_rcu(sk, SOCK_WAKE_IO, POLL_OUT);
}

/*
 * End an unfinished request with @err (0: success).  Socket lock held.
 * The caller resets the connection when it wants to (tcp_abort() takes the
 * socket lock itself).
 */
static void tlsock_hs_finish(struct tlsock_hs *hs, int err)
{
	struct net *net = sock_net(hs->sk);

	sock_owned_by_me(hs->sk);
	hs->usec = ktime_us_delta(ktime_get(), hs->start);
	hs->err = err;
	/* the state is read locklessly by poll and the wait conditions */
	WRITE_ONCE(hs->state, err ? TLSOCK_HS_FAILED : TLSOCK_HS_DONE);
	tlsock_hs_unlink(hs);
	if (cancel_delayed_work(&hs->timeout))
		tlsock_hs_put(hs);	/* the timer's reference */

	if (!err)
		tlsock_stat_inc(net, TLSOCK_STAT_HS_OK);
	else if (err == -ETIMEDOUT)
		tlsock_stat_inc(net, TLSOCK_STAT_HS_TIMEOUT);
	else
		tlsock_stat_inc(net, TLSOCK_STAT_HS_FAILED);

	if (hs->caller)
		hs->caller->done(hs->caller_priv, err);
	if (err)
		WRITE_ONCE(hs->sk->sk_err, -tlsock_hs_app_err(hs));
	/* sk_err and the state before the wakeup */
	smp_wmb();
	if (err)
		sk_error_report(hs->sk);
	tlsock_hs_wake(hs->sk);
}

/**
 * tlsock_hs_fail() - fail an unfinished request and reset the connection
 * @hs: request (the caller holds a reference)
 * @err: negative errno for the application
 *
 * Used for failures the kernel detects: timeout, daemon exit, a request the
 * netlink side could not hand over.
 *
 * Context: process context, no socket lock held.
 * Return: true if this call finished the request.
 */
bool tlsock_hs_fail(struct tlsock_hs *hs, int err)
{
	struct sock *sk = hs->sk;
	bool done = false;

	lock_sock(sk);
	if (!tlsock_hs_finished(hs)) {
		tlsock_hs_finish(hs, err);
		done = true;
	}
	release_sock(sk);
	if (done)
		tcp_abort(sk, -tlsock_hs_app_err(hs));
	return done;
}

/**
 * tlsock_hs_claim() - record the daemon that accepted a request
 * @hs: request, just moved to its namespace's active list
 *
 * Context: process context of the daemon, no socket lock held.
 * Return: 0, or -ENOENT if the request finished meanwhile.
 */
int tlsock_hs_claim(struct tlsock_hs *hs)
{
	struct sock *sk = hs->sk;
	int err = -ENOENT;

	lock_sock(sk);
	if (hs->state == TLSOCK_HS_PENDING) {
		/* owner before state: the gate checks the state first */
		WRITE_ONCE(hs->owner, get_pid(task_tgid(current)));
		WRITE_ONCE(hs->state, TLSOCK_HS_CLAIMED);
		err = 0;
	}
	release_sock(sk);
	return err;
}

/* Bytes of a traffic secret of @cipher in @version: 0 where there are none. */
static unsigned int tlsock_hs_secret_len(u16 version, u16 cipher)
{
	if (version != TLS_1_3_VERSION)
		return 0;
	/* RFC 8446 B.4: TLS_AES_256_GCM_SHA384; the others use SHA-256 */
	return cipher == TLS_CIPHER_AES_GCM_256 ? 48 : 32;
}

static int tlsock_hs_install(struct sock *sk, struct tlsock_hs *hs, struct tlsock_hs_result *res)
{
	struct crypto_shash *hmac = NULL;
	int err;

	if (res->version != res->tx.info.version || res->version != res->rx.info.version ||
	    res->cipher != res->tx.info.cipher_type || res->cipher != res->rx.info.cipher_type)
		return -EINVAL;
	/* TLS 1.3 secrets are as long as the suite's hash (KeyUpdate derives from them) */
	if (res->secret_len != tlsock_hs_secret_len(res->version, res->cipher))
		return -EINVAL;
	/* one version and cipher for both: one length keys both */
	if (res->tx_len != res->rx_len)
		return -EINVAL;
	/* a KeyUpdate must never find the kernel without its HMAC: fail here instead */
	if (res->version == TLS_1_3_VERSION) {
		hmac = tlsock_ku_alloc(res->cipher);
		if (IS_ERR(hmac))
			return PTR_ERR(hmac);
	}

	err = tlsock_crypto_install_both(sk, &res->tx, &res->rx, res->tx_len);
	if (err) {
		crypto_free_shash(hmac);
		return err;
	}
	hs->ku_hmac = hmac;

	hs->version = res->version;
	hs->cipher = res->cipher;
	hs->flags = res->flags;
	hs->secret_len = res->secret_len;
	memcpy(hs->secret_tx, res->secret_tx, res->secret_len);
	memcpy(hs->secret_rx, res->secret_rx, res->secret_len);
	if (res->subject)
		strscpy(hs->subject, res->subject, sizeof(hs->subject));
	memcpy(hs->san, res->san, sizeof(hs->san));
	/* only a TLS 1.3 client receives tickets after the handshake */
	if (res->version == TLS_1_3_VERSION && hs->req.role == TLSOCK_ROLE_CLIENT)
		hs->ticket_portid = res->ticket_portid;
	return 0;
}

/**
 * tlsock_hs_complete() - apply a daemon's DONE to its request
 * @hs: claimed request; the caller holds a reference on it and on the
 *	socket's file, so the socket is not closed meanwhile
 * @status: negative errno the daemon reported, or 0
 * @res: on success, the keys and the peer identity (wiped by the caller)
 *
 * Context: process context, no lock held.
 * Return: 0 if the daemon's report was applied (whatever it said),
 * -ENOENT if the request had already finished (timeout, close), or the
 * errno of a key installation that failed (the request then fails too).
 */
int tlsock_hs_complete(struct tlsock_hs *hs, int status, struct tlsock_hs_result *res)
{
	struct sock *sk = hs->sk;
	struct tlsock_ctx *ctx = tlsock_ctx(sk);
	bool reset = false;
	int err = 0;

	mutex_lock(&ctx->tx_lock);
	lock_sock(sk);
	if (hs->state != TLSOCK_HS_CLAIMED) {
		err = -ENOENT;
	} else if (status) {
		tlsock_hs_finish(hs, status);
		/* an application that never asked for TLS is not left an alert to read */
		reset = hs->caller;
	} else {
		err = tlsock_hs_install(sk, hs, res);
		/* keys that do not fit together are the daemon's fault: EIO, as documented */
		tlsock_hs_finish(hs, err == -EINVAL ? -EIO : err);
		reset = err;
		/* the application half-closed meanwhile: close_notify and FIN now */
		if (!err && ctx->shut_wr_held)
			tlsock_shutdown_held(sk, ctx);
	}
	release_sock(sk);
	mutex_unlock(&ctx->tx_lock);
	if (reset)
		tcp_abort(sk, hs->caller ? ECONNRESET : -err);
	return err;
}

/*
 * The timer first runs at the first-byte deadline of a server's request
 * (see TLSOCK_HS_AWAIT_DATA); if the byte came, it is set again for the
 * request's own deadline, under the socket lock so that finishing (which
 * cancels it under that lock) cannot miss it.
 */
static void tlsock_hs_timeout(struct work_struct *work)
{
	struct tlsock_hs *hs = container_of(to_delayed_work(work), struct tlsock_hs, timeout);
	struct sock *sk = hs->sk;
	bool again = false;

	lock_sock(sk);
	/* bytes that came without a data_ready (SO_RCVLOWAT) count too */
	if (!tlsock_hs_finished(hs) && test_bit(TLSOCK_HS_AWAIT_DATA, &hs->bits) && tcp_inq(sk))
		tlsock_hs_data_ready(sk, tlsock_ctx(sk));
	if (!tlsock_hs_finished(hs) && !test_bit(TLSOCK_HS_AWAIT_DATA, &hs->bits) &&
	    time_before(jiffies, hs->deadline))
		again = queue_delayed_work(tlsock_hs_wq, &hs->timeout, hs->deadline - jiffies);
	release_sock(sk);
	if (again)
		return;		/* the timer keeps its reference */
	tlsock_hs_fail(hs, -ETIMEDOUT);
	tlsock_hs_put(hs);	/* the timer's reference */
}

static void tlsock_hs_announce(struct work_struct *work)
{
	struct tlsock_hs *hs = container_of(work, struct tlsock_hs, announce);

	/* a daemon that finds the request gone (finished meanwhile) just ACCEPTs nothing */
	tlsock_hs_notify(sock_net(hs->sk), hs->id, hs->req.role);
	tlsock_hs_put(hs);
}

/**
 * tlsock_hs_data_ready() - bytes arrived on a socket with a managed handshake
 * @sk: socket
 * @ctx: its context (ctx->hs set)
 *
 * A server's request that waited for its peer's first byte is announced now.
 *
 * Context: softirq with the socket spinlock held, or the socket owner.
 */
void tlsock_hs_data_ready(struct sock *sk, struct tlsock_ctx *ctx)
{
	struct tlsock_hs *hs = ctx->hs;

	if (!test_bit(TLSOCK_HS_AWAIT_DATA, &hs->bits) ||
	    !test_and_clear_bit(TLSOCK_HS_AWAIT_DATA, &hs->bits))
		return;
	refcount_inc(&hs->ref);
	if (!queue_work(tlsock_hs_wq, &hs->announce))
		tlsock_hs_put(hs);
}

static bool tlsock_hs_name_ok(const char *s, size_t size, bool profile)
{
	size_t i, len = strnlen(s, size);

	if (len == size)
		return false;	/* not NUL-terminated */
	for (i = 0; i < len; i++) {
		if (profile ? !(isalnum(s[i]) || s[i] == '_' || s[i] == '-' || s[i] == '.') :
			      !(s[i] > ' ' && s[i] < 0x7f))
			return false;
	}
	return true;
}

/**
 * tlsock_hs_validate() - is @req a handshake request the module accepts?
 * @req: from setsockopt(TLSOCK_HANDSHAKE), or built from a policy rule
 *
 * Context: any.
 * Return: 0 or -EINVAL.
 */
int tlsock_hs_validate(const struct tlsock_handshake *req)
{
	if (req->role != TLSOCK_ROLE_CLIENT && req->role != TLSOCK_ROLE_SERVER)
		return -EINVAL;
	if (req->flags & ~TLSOCK_HS_F_ALL)
		return -EINVAL;
	if (req->reserved)
		return -EINVAL;
	if (req->timeout_ms > TLSOCK_TIMEOUT_MAX_MS)
		return -EINVAL;
	if (!tlsock_hs_name_ok(req->profile, sizeof(req->profile), true))
		return -EINVAL;
	if (!tlsock_hs_name_ok(req->server_name, sizeof(req->server_name), false))
		return -EINVAL;
	return 0;
}

static void tlsock_hs_begin(struct work_struct *work);

static struct tlsock_hs *tlsock_hs_alloc(struct sock *sk, const struct tlsock_handshake *req,
				       gfp_t gfp)
{
	struct tlsock_hs *hs;

	hs = kzalloc(sizeof(*hs), gfp);
	if (!hs)
		return NULL;
	refcount_set(&hs->ref, 1);	/* ctx->hs */
	sock_hold(sk);
	hs->sk = sk;
	hs->hn = tlsock_hs_pernet(sock_net(sk));
	hs->req = *req;
	hs->uid = current_euid();
	INIT_WORK(&hs->announce, tlsock_hs_announce);
	INIT_WORK(&hs->begin, tlsock_hs_begin);
	hs->start = ktime_get();
	INIT_DELAYED_WORK(&hs->timeout, tlsock_hs_timeout);
	INIT_LIST_HEAD(&hs->node);
	hs->state = TLSOCK_HS_PENDING;
	return hs;
}

/*
 * Announce a request of a connected socket: link it, arm its timer, tell a
 * daemon.  Socket lock held.  Returns 0 when the request is out, else a
 * negative errno with the request failed (the caller resets the connection:
 * even a half-closed connection never carries plaintext after a handshake
 * was asked for).
 */
static int tlsock_hs_start(struct sock *sk, struct tlsock_hs *hs)
{
	const struct tlsock_handshake *req = &hs->req;
	unsigned int ms = req->timeout_ms ?: READ_ONCE(tlsock_hs_timeout_ms);
	struct net *net = sock_net(sk);
	unsigned long first = 0;
	int err;

	sock_owned_by_me(sk);
	hs->deadline = jiffies + msecs_to_jiffies(min_t(unsigned int, ms, TLSOCK_TIMEOUT_MAX_MS));
	if (sk->sk_state != TCP_ESTABLISHED)
		err = -ENOTCONN;	/* e.g. the peer closed already */
	else if (!tlsock_hs_has_daemon(net))
		err = -ESRCH;
	else
		err = tlsock_hs_link(hs);
	if (!err) {
		/* a server speaks second: no daemon is bothered before its peer spoke */
		if (req->role == TLSOCK_ROLE_SERVER && !tcp_inq(sk)) {
			first = jiffies + msecs_to_jiffies(READ_ONCE(tlsock_hs_first_byte_ms));
			if (time_after(first, hs->deadline))
				first = hs->deadline;
			set_bit(TLSOCK_HS_AWAIT_DATA, &hs->bits);
		}
		refcount_inc(&hs->ref);		/* the timer's */
		queue_delayed_work(tlsock_hs_wq, &hs->timeout,
				   max_t(long, (long)((first ?: hs->deadline) - jiffies), 1));
		if (!first)
			err = tlsock_hs_notify(net, hs->id, req->role);
	}
	if (err)
		tlsock_hs_finish(hs, err);
	return err;
}

/*
 * Create the request and announce it.  Socket lock held.  Returns 0 when
 * the request is out, a negative errno when it failed at once (the socket
 * is then failed for good and *reset set), or -ENOMEM with nothing changed.
 */
static int tlsock_hs_submit(struct sock *sk, struct tlsock_ctx *ctx,
			    const struct tlsock_handshake *req, bool *reset)
{
	struct tlsock_hs *hs;
	int err;

	hs = tlsock_hs_alloc(sk, req, GFP_KERNEL_ACCOUNT);
	if (!hs)
		return -ENOMEM;
	tlsock_stat_inc(sock_net(sk), TLSOCK_STAT_HS_REQUESTED);
	/* from here on the socket is a managed one, whatever happens */
	WRITE_ONCE(ctx->hs, hs);
	err = tlsock_hs_start(sk, hs);
	if (err)
		*reset = true;
	return err;
}

/*
 * An armed request's connection left SYN_SENT: announce the request if it
 * is established, else fail it (TCP already told the application why its
 * connect() failed).
 */
static void tlsock_hs_begin(struct work_struct *work)
{
	struct tlsock_hs *hs = container_of(work, struct tlsock_hs, begin);
	struct sock *sk = hs->sk;
	bool reset = false;

	lock_sock(sk);
	if (hs->state == TLSOCK_HS_ARMED) {
		hs->start = ktime_get();
		if (sk->sk_state == TCP_ESTABLISHED) {
			WRITE_ONCE(hs->state, TLSOCK_HS_PENDING);
			reset = tlsock_hs_start(sk, hs);
		} else {
			tlsock_hs_finish(hs, sk->sk_err ? -sk->sk_err : -ENOTCONN);
		}
	}
	release_sock(sk);
	if (reset)
		tcp_abort(sk, ECONNRESET);
	tlsock_hs_put(hs);
}

/* A request of @caller on @sk in @state, made ctx->hs; NULL for no memory.  Socket lock held. */
static struct tlsock_hs *tlsock_hs_for_caller(struct sock *sk, struct tlsock_ctx *ctx,
					      const struct tlsock_handshake *req,
					      const struct tlsock_hs_caller *caller, void *priv,
					      u8 state, gfp_t gfp)
{
	struct tlsock_hs *hs;

	sock_owned_by_me(sk);
	hs = tlsock_hs_alloc(sk, req, gfp);
	if (!hs)
		return NULL;
	tlsock_stat_inc(sock_net(sk), TLSOCK_STAT_HS_REQUESTED);
	hs->state = state;
	hs->caller = caller;
	hs->caller_priv = priv;
	WRITE_ONCE(ctx->hs, hs);
	return hs;
}

/**
 * tlsock_hs_arm() - attach a request that starts once @sk is connected
 * @sk: a TCP socket that is about to connect (TCP_CLOSE)
 * @ctx: its new tlsock context; the request becomes ctx->hs
 * @req: the handshake to run, validated by the caller
 * @caller: told how the request ended, and when it is freed
 * @priv: argument of @caller's operations; on failure the caller keeps it
 *
 * Nothing is announced yet: tlsock_hs_state_change() starts the request
 * when TCP leaves SYN_SENT.  Meanwhile, as for any unfinished request, the
 * application's I/O waits and poll shows no readiness.
 *
 * Context: process context, socket lock held, possibly inside a BPF hook:
 * does not sleep (TLSOCK_GFP_HOOK).
 * Return: 0 or -ENOMEM.
 */
int tlsock_hs_arm(struct sock *sk, struct tlsock_ctx *ctx, const struct tlsock_handshake *req,
		  const struct tlsock_hs_caller *caller, void *priv)
{
	struct tlsock_hs *hs = tlsock_hs_for_caller(sk, ctx, req, caller, priv, TLSOCK_HS_ARMED,
						   TLSOCK_GFP_HOOK);

	return hs ? 0 : -ENOMEM;
}

/**
 * tlsock_hs_begin_now() - start a request no application asked for, at once
 * @sk: a connected socket (a child of an adopted listener, in accept())
 * @ctx: its new tlsock context; the request becomes ctx->hs
 * @req: the handshake to run, validated by the caller
 * @caller: told how the request ended, and when it is freed
 * @priv: argument of @caller's operations; the request owns it once
 *	ctx->hs is set, else the caller keeps it
 *
 * Context: process context, socket lock held.
 * Return: 0 when the request is out; else a negative errno, the request (if
 * one was made) failed, and the caller resets the connection.
 */
int tlsock_hs_begin_now(struct sock *sk, struct tlsock_ctx *ctx, const struct tlsock_handshake *req,
			const struct tlsock_hs_caller *caller, void *priv)
{
	struct tlsock_hs *hs = tlsock_hs_for_caller(sk, ctx, req, caller, priv, TLSOCK_HS_PENDING,
						   GFP_KERNEL_ACCOUNT);

	return hs ? tlsock_hs_start(sk, hs) : -ENOMEM;
}

/**
 * tlsock_hs_state_change() - TCP state of a socket with an armed request changed
 * @sk: socket
 * @ctx: its context
 *
 * Context: softirq with the socket spinlock held, or the socket owner.
 */
void tlsock_hs_state_change(struct sock *sk, struct tlsock_ctx *ctx)
{
	struct tlsock_hs *hs = ctx->hs;

	/* TCP_CLOSE here is a connect() that failed: the request fails too */
	if (!hs || READ_ONCE(hs->state) != TLSOCK_HS_ARMED || sk->sk_state == TCP_SYN_SENT)
		return;
	refcount_inc(&hs->ref);
	if (!queue_work(tlsock_hs_wq, &hs->begin))
		tlsock_hs_put(hs);
}

/* Wait for the request to finish.  Socket lock held. */
static int tlsock_hs_wait(struct sock *sk, struct tlsock_hs *hs, long *timeo, int busy)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	int err = 0;

	add_wait_queue(sk_sleep(sk), &wait);
	while (!tlsock_hs_finished(hs)) {
		if (!*timeo) {
			err = busy;
			break;
		}
		if (signal_pending(current)) {
			err = sock_intr_errno(*timeo);
			break;
		}
		sk_wait_event(sk, timeo, tlsock_hs_finished(hs), &wait);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	if (!err && hs->state == TLSOCK_HS_FAILED)
		err = tlsock_hs_app_err(hs);
	return err;
}

static int tlsock_hs_request(struct sock *sk, const struct tlsock_handshake *req)
{
	struct tlsock_ctx *ctx;
	bool reset = false;
	bool again = false;
	long timeo;
	int err;

	lock_sock(sk);
	ctx = tlsock_ctx(sk);
	timeo = sock_sndtimeo(sk, sk->sk_socket->file->f_flags & O_NONBLOCK);
	if (ctx->hs) {
		/* a repeated request behaves like a repeated connect() */
		again = true;
		err = ctx->hs->state == TLSOCK_HS_DONE ? -EISCONN : 0;
	} else if (ctx->tx_on || ctx->rx_on) {
		err = -EISCONN;
	} else if (atomic_read(&ctx->plain_io)) {
		/* a send or receive already inside TCP could still move plaintext */
		err = -EBUSY;
	} else {
		err = tlsock_hs_submit(sk, ctx, req, &reset);
	}
	if (!err)
		err = tlsock_hs_wait(sk, ctx->hs, &timeo, again ? -EALREADY : -EINPROGRESS);
	release_sock(sk);
	if (reset)
		tcp_abort(sk, -err);
	return err;
}

/**
 * tlsock_hs_setsockopt() - setsockopt at level SOL_TLSOCK
 * @sk: socket with the tlsock ULP
 * @optname: TLSOCK_HANDSHAKE
 * @optval: struct tlsock_handshake
 * @optlen: its length (TLSOCK_HANDSHAKE_SIZE_VER0 or more)
 *
 * Context: process context, no lock held.
 * Return: 0 once the handshake succeeded, -EINPROGRESS for a non-blocking
 * socket, or a negative errno (see uapi/linux/tlsock.h).
 */
int tlsock_hs_setsockopt(struct sock *sk, int optname, sockptr_t optval, unsigned int optlen)
{
	struct tlsock_handshake req;
	int err;

	if (optname != TLSOCK_HANDSHAKE)
		return -ENOPROTOOPT;
	if (sockptr_is_null(optval) || optlen < TLSOCK_HANDSHAKE_SIZE_VER0)
		return -EINVAL;
	err = copy_struct_from_sockptr(&req, sizeof(req), optval, optlen);
	if (err)
		return err;
	err = tlsock_hs_validate(&req);
	if (err)
		return err;
	return tlsock_hs_request(sk, &req);
}

/* @ids: @info is whole, with room for the peer's identity; else only what precedes it */
static void tlsock_hs_fill_info(struct tlsock_ctx *ctx, struct tlsock_info *info, bool ids)
{
	struct tlsock_hs *hs = ctx->hs;

	info->version = ctx->version;
	info->cipher = ctx->cipher_type;
	if (ctx->tx_on)
		info->flags |= TLSOCK_INFO_F_TX;
	if (ctx->rx_on)
		info->flags |= TLSOCK_INFO_F_RX;
	if (!hs)
		return;

	switch (hs->state) {
	case TLSOCK_HS_ARMED:
	case TLSOCK_HS_PENDING:
	case TLSOCK_HS_CLAIMED:
		info->state = TLSOCK_STATE_PENDING;
		return;
	case TLSOCK_HS_FAILED:
		info->state = TLSOCK_STATE_FAILED;
		info->error = -hs->err;
		info->handshake_usec = hs->usec;
		return;
	}
	info->state = TLSOCK_STATE_ESTABLISHED;
	info->handshake_usec = hs->usec;
	info->flags |= hs->flags;
	if (!ids)
		return;
	strscpy(info->peer_subject, hs->subject, sizeof(info->peer_subject));
	memcpy(info->peer_san, hs->san, sizeof(info->peer_san));
}

/**
 * tlsock_hs_getsockopt() - getsockopt at level SOL_TLSOCK
 * @sk: socket with the tlsock ULP
 * @optname: TLSOCK_INFO
 * @optval: user buffer for struct tlsock_info
 * @optlen: in: buffer size; out: bytes copied
 *
 * Context: process context, no lock held.
 * Return: 0 or a negative errno.
 */
int tlsock_hs_getsockopt(struct sock *sk, int optname, char __user *optval, int __user *optlen)
{
	const size_t head = offsetof(struct tlsock_info, peer_subject);
	struct tlsock_info *info;
	int len, err = 0;
	bool ids;

	if (optname != TLSOCK_INFO)
		return -ENOPROTOOPT;
	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	len = min_t(int, len, sizeof(*info));

	/* a caller that wants no identity (2 KiB of it) gets none built */
	ids = len > head;
	info = kzalloc(ids ? sizeof(*info) : head, GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	lock_sock(sk);
	tlsock_hs_fill_info(tlsock_ctx(sk), info, ids);
	release_sock(sk);

	if (copy_to_user(optval, info, len) || put_user(len, optlen))
		err = -EFAULT;
	kfree(info);
	return err;
}

/**
 * tlsock_hs_gate() - hold application I/O back while a handshake runs
 * @sk: socket
 * @ctx: its context
 * @nonblock: the caller must not sleep
 * @timeo: remaining wait, updated
 *
 * The daemon that claimed the request passes: its handshake I/O is what the
 * application waits for.
 *
 * Context: process context, socket lock held (released while waiting).
 * Return: 0 when the caller may proceed, -EAGAIN, -EINTR/-ERESTARTSYS, or
 * the handshake's error.
 */
int tlsock_hs_gate(struct sock *sk, struct tlsock_ctx *ctx, bool nonblock, long *timeo)
{
	struct tlsock_hs *hs = ctx->hs;

	sock_owned_by_me(sk);
	if (!hs || hs->state == TLSOCK_HS_DONE)
		return 0;
	if (hs->state == TLSOCK_HS_FAILED)
		return tlsock_hs_app_err(hs);
	if (tlsock_hs_is_owner(hs))
		return 0;
	if (nonblock)
		return -EAGAIN;
	return tlsock_hs_wait(sk, hs, timeo, -EAGAIN);
}

/**
 * tlsock_hs_poll() - poll mask of a socket with a managed handshake
 * @sk: socket
 * @ctx: its context
 * @mask: mask computed so far
 *
 * Context: process context, no lock held.
 * Return: @mask without read/write readiness while the handshake runs
 * (except for the daemon), with EPOLLERR once it failed.
 */
__poll_t tlsock_hs_poll(struct sock *sk, struct tlsock_ctx *ctx, __poll_t mask)
{
	/* ctx->hs is set once under the socket lock and freed only at close */
	struct tlsock_hs *hs = READ_ONCE(ctx->hs);

	if (!hs)
		return mask;
	switch (READ_ONCE(hs->state)) {
	case TLSOCK_HS_DONE:
		return mask;
	case TLSOCK_HS_FAILED:
		return mask | EPOLLERR;
	}
	if (tlsock_hs_is_owner(hs))
		return mask;
	return mask & ~(EPOLLIN | EPOLLRDNORM | EPOLLRDBAND | EPOLLOUT | EPOLLWRNORM |
			EPOLLWRBAND);
}

/**
 * tlsock_hs_running() - is the socket's handshake still to end?
 * @ctx: context with a request
 *
 * Context: socket lock held.
 */
bool tlsock_hs_running(const struct tlsock_ctx *ctx)
{
	return ctx->hs->state < TLSOCK_HS_DONE;
}

/**
 * tlsock_hs_settled() - may the data path skip the handshake gate?
 * @ctx: context
 *
 * Context: any; lockless.  A false answer sends the caller to the gate,
 * which decides under the socket lock.
 * Return: true when no managed handshake was requested or it succeeded.
 */
bool tlsock_hs_settled(const struct tlsock_ctx *ctx)
{
	/* ctx->hs is set once under the socket lock and freed only at close */
	const struct tlsock_hs *hs = READ_ONCE(ctx->hs);

	return !hs || READ_ONCE(hs->state) == TLSOCK_HS_DONE;
}

/**
 * tlsock_hs_close() - the socket is closing: cancel its request
 * @sk: socket
 * @ctx: its context
 *
 * Context: socket lock held.
 */
void tlsock_hs_close(struct sock *sk, struct tlsock_ctx *ctx)
{
	struct tlsock_hs *hs = ctx->hs;

	sock_owned_by_me(sk);
	if (!hs)
		return;
	if (!tlsock_hs_finished(hs))
		tlsock_hs_finish(hs, -ECANCELED);
	WRITE_ONCE(ctx->hs, NULL);
	tlsock_hs_put(hs);
}

/**
 * tlsock_hs_init() - module init of the handshake upcall
 *
 * Return: 0 or a negative errno.
 */
int tlsock_hs_init(void)
{
	int err;

	tlsock_hs_wq = alloc_workqueue("tlsock_hs", WQ_UNBOUND, 0);
	if (!tlsock_hs_wq)
		return -ENOMEM;
	err = tlsock_hs_netlink_init();
	if (err)
		goto err_wq;
	return 0;

err_wq:
	destroy_workqueue(tlsock_hs_wq);
	return err;
}

/**
 * tlsock_hs_exit() - module exit of the handshake upcall
 *
 * Every tlsock socket is gone (they pin the module); timers of their
 * requests may still be running and are drained here.
 */
void tlsock_hs_exit(void)
{
	tlsock_hs_netlink_exit();
	destroy_workqueue(tlsock_hs_wq);
}
