/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Managed handshakes: the request shared by the socket side (handshake.c)
 * and the netlink side (hs_netlink.c).
 *
 * A request lives from setsockopt(TLSOCK_HANDSHAKE) to the socket's close.
 * While it is unfinished it is "linked": on its namespace's queue (waiting
 * for a daemon) or active list (claimed by one), and in the id table.
 * Finishing it (success, failure, timeout, daemon exit, close) unlinks it,
 * cancels its timer and wakes the application.
 *
 * Locking, outermost first: ctx->tx_lock, the socket lock, hn->lock.
 *   socket lock  state, err, owner and the result fields
 *   hn->lock     where, node, owner_portid, the namespace's lists and count
 * Fields read without the socket lock (poll, wait conditions) use
 * READ_ONCE and are written with WRITE_ONCE.
 *
 * References (hs->ref): ctx->hs holds one until close, being linked holds
 * one, a queued timeout work holds one, netlink handlers hold one while
 * they work.  The request holds a reference on its socket (sock_hold) for
 * its whole life, never on the socket's file.
 */
#ifndef _TLSOCK_HS_H
#define _TLSOCK_HS_H

#include <linux/refcount.h>
#include <linux/pid.h>
#include <linux/xarray.h>
#include <linux/tlsock.h>

#include "tlsock.h"

enum tlsock_hs_state {
	TLSOCK_HS_ARMED,	/* starts by itself once the socket is connected */
	TLSOCK_HS_PENDING,	/* waiting for a daemon to claim it */
	TLSOCK_HS_CLAIMED,	/* a daemon runs the handshake */
	TLSOCK_HS_DONE,		/* keys installed */
	TLSOCK_HS_FAILED,	/* @err says why */
};

/*
 * struct tlsock_hs.bits: a server's request waits for its peer's first
 * byte before any daemon may claim it (set at submit, cleared by the
 * socket's data_ready): an idle peer never occupies a daemon, and holds its
 * slot for hs_first_byte_ms at most.
 */
#define TLSOCK_HS_AWAIT_DATA	0

/**
 * struct tlsock_hs_caller - who asked for a request that no application waits
 * for (tlsock_hs_arm()), and wants to hear how it ended
 * @done: the request finished with @err (0: keys installed).  Socket lock
 *	held; must not sleep.
 * @release: the request is freed: drop what @priv holds.  Any context a
 *	sock_put() may run in.
 * @rule_id: the id of the policy rule that made the request, told to the
 *	daemon with the request (ACCEPT).  Any context; must not sleep.
 */
struct tlsock_hs_caller {
	void (*done)(void *priv, int err);
	void (*release)(void *priv);
	u32 (*rule_id)(void *priv);
};

/* idle daemon threads a namespace remembers; more simply poll with ACCEPT */
#define TLSOCK_HS_PARKED_MAX	256

enum tlsock_hs_where {
	TLSOCK_HS_UNLINKED,
	TLSOCK_HS_QUEUED,
	TLSOCK_HS_ACTIVE,
};

/**
 * struct tlsock_hs_net - per network namespace upcall state
 * @lock: protects the lists, the counts, @parked and the hn->lock fields
 *	of requests
 * @queue: unclaimed requests, oldest first
 * @active: claimed requests
 * @nr_queued: length of @queue
 * @nr_active: length of @active
 * @ids: request id -> request, for linked requests (its own xa_lock
 *	nests inside @lock)
 * @next_id: cyclic id allocation cursor (xa_lock)
 * @nr_parked: entries in @parked
 * @parked: netlink ports of idle daemon threads waiting for a request,
 *	most recently parked last (hs_netlink.c)
 * @parked_role: for each of @parked, the only role of requests it takes,
 *	or TLSOCK_ROLE_UNSPEC for any
 * @ticket_ports: netlink ports named in a DONE to receive tickets and not
 *	released since (its own lock); tickets go nowhere else
 */
struct tlsock_hs_net {
	spinlock_t lock;
	struct list_head queue;
	struct list_head active;
	unsigned int nr_queued;
	unsigned int nr_active;
	struct xarray ids;
	u32 next_id;
	unsigned int nr_parked;
	u32 parked[TLSOCK_HS_PARKED_MAX];
	u8 parked_role[TLSOCK_HS_PARKED_MAX];
	struct xarray ticket_ports;
};

/**
 * struct tlsock_hs - one managed handshake (ctx->hs)
 * @ref: see the header comment
 * @sk: the socket (sock_hold() for the life of the request)
 * @hn: namespace state of @sk
 * @id: request id in @hn, immutable
 * @req: the application's request, validated, immutable
 * @uid: effective uid of the requester, immutable: its share of the
 *	namespace's pending requests is bounded (hs_max_pending_user)
 * @bits: TLSOCK_HS_AWAIT_DATA (atomic bit operations)
 * @announce: announces a server's request once its peer sent a byte
 * @deadline: jiffies at which the request times out, set when it is
 *	announced (an armed request: once connected), immutable afterwards
 * @start: time of the request (an armed request: of its connection)
 * @timeout: fails the request at @deadline
 * @where: hn->lock: which list of @hn holds @node
 * @node: hn->lock: entry in hn->queue or hn->active
 * @owner_portid: hn->lock: netlink port that claimed the request, 0 if
 *	none or the port went away
 * @state: socket lock (WRITE_ONCE); enum tlsock_hs_state
 * @err: socket lock; negative errno once @state is FAILED
 * @owner: socket lock (WRITE_ONCE): thread group of the daemon that claimed
 *	the request; its I/O passes the gate.  Compared, never dereferenced,
 *	without the lock.
 * @usec: socket lock: duration of the handshake, once finished
 * @version: socket lock: negotiated TLS version
 * @cipher: socket lock: negotiated TLS_CIPHER_*
 * @flags: socket lock: TLSOCK_INFO_F_PEER_VERIFIED / _RESUMED / _SAN_TRUNCATED
 * @secret_len: socket lock: bytes in each of @secret_tx and @secret_rx (TLS 1.3)
 * @secret_tx: socket lock: TLS 1.3 transmit traffic secret; wiped on free
 * @secret_rx: socket lock: TLS 1.3 receive traffic secret; wiped on free
 * @ku_hmac: socket lock: TLS 1.3: the HMAC KeyUpdates derive the next secrets
 *	with, allocated when the keys are installed so a KeyUpdate cannot fail for
 *	want of it; freed with the request
 * @subject: socket lock: verified peer subject
 * @san: socket lock: peer subjectAltNames, NUL-separated, "" terminated
 * @ticket_portid: socket lock: netlink port (in the socket's namespace) that
 *	receives the peer's TLS 1.3 NewSessionTickets; 0: they are dropped
 * @tickets: socket lock: NewSessionTickets forwarded so far
 * @caller: immutable: an armed request's caller, NULL for setsockopt's
 * @caller_priv: immutable: argument of @caller's operations
 * @begin: an armed request: starts it (or fails it) once TCP left SYN_SENT
 */
struct tlsock_hs {
	refcount_t ref;
	struct sock *sk;
	struct tlsock_hs_net *hn;
	u32 id;
	struct tlsock_handshake req;
	kuid_t uid;
	unsigned long bits;
	struct work_struct announce;
	unsigned long deadline;
	ktime_t start;
	struct delayed_work timeout;

	u8 where;
	struct list_head node;
	u32 owner_portid;

	u8 state;
	int err;
	struct pid *owner;
	u64 usec;
	u16 version;
	u16 cipher;
	u32 flags;
	u8 secret_len;
	u8 secret_tx[TLSOCK_SECRET_MAX];
	u8 secret_rx[TLSOCK_SECRET_MAX];
	struct crypto_shash *ku_hmac;
	char subject[TLSOCK_SUBJECT_MAX + 1];
	char san[sizeof_field(struct tlsock_info, peer_san)];
	u32 ticket_portid;
	u8 tickets;
	const struct tlsock_hs_caller *caller;
	void *caller_priv;
	struct work_struct begin;
};

/**
 * struct tlsock_hs_ticket - a NewSessionTicket on its way to the daemon
 * @work: sends it (the receive path may not sleep, nor send netlink)
 * @net: namespace of the socket (referenced)
 * @portid: destination port
 * @id: request id the daemon knows the session by
 * @len: bytes in @msg
 * @msg: the handshake message with its header; wiped on free
 */
struct tlsock_hs_ticket {
	struct work_struct work;
	struct net *net;
	u32 portid;
	u32 id;
	u32 len;
	u8 msg[];
};

/**
 * struct tlsock_hs_result - what a successful DONE carries
 * @version: TLS_1_2_VERSION or TLS_1_3_VERSION
 * @cipher: TLS_CIPHER_*
 * @tx: transmit crypto_info
 * @rx: receive crypto_info
 * @tx_len: bytes of @tx
 * @rx_len: bytes of @rx
 * @secret_len: bytes in each secret, 0 if none
 * @secret_tx: TLS 1.3 transmit traffic secret
 * @secret_rx: TLS 1.3 receive traffic secret
 * @flags: TLSOCK_INFO_F_*
 * @subject: peer subject (NLA_NUL_STRING checked) or NULL
 * @san: NUL-separated subjectAltNames
 * @ticket_portid: where NewSessionTickets go (TLS 1.3 client), 0: nowhere
 *
 * Holds keys: the netlink side wipes it with memzero_explicit().
 */
struct tlsock_hs_result {
	u16 version;
	u16 cipher;
	union tlsock_crypto_info tx;
	union tlsock_crypto_info rx;
	unsigned int tx_len;
	unsigned int rx_len;
	unsigned int secret_len;
	u8 secret_tx[TLSOCK_SECRET_MAX];
	u8 secret_rx[TLSOCK_SECRET_MAX];
	u32 flags;
	const char *subject;
	char san[sizeof_field(struct tlsock_info, peer_san)];
	u32 ticket_portid;
};

/* handshake.c */
extern unsigned int tlsock_hs_timeout_ms;
extern unsigned int tlsock_hs_max_pending;
extern unsigned int tlsock_hs_max_pending_user;
void tlsock_hs_put(struct tlsock_hs *hs);
int tlsock_hs_claim(struct tlsock_hs *hs);
bool tlsock_hs_fail(struct tlsock_hs *hs, int err);
int tlsock_hs_complete(struct tlsock_hs *hs, int status, struct tlsock_hs_result *res);

/* hs_netlink.c */
extern struct genl_family tlsock_genl_family;
struct tlsock_hs_net *tlsock_hs_pernet(struct net *net);
bool tlsock_hs_has_daemon(struct net *net);
int tlsock_hs_notify(struct net *net, u32 id, u32 role);
int tlsock_hs_link(struct tlsock_hs *hs);
void tlsock_hs_unlink(struct tlsock_hs *hs);
struct tlsock_hs_ticket *tlsock_hs_ticket_alloc(u32 len);
void tlsock_hs_ticket_send(struct net *net, struct tlsock_hs *hs, struct tlsock_hs_ticket *t);
int tlsock_hs_netlink_init(void);
void tlsock_hs_netlink_exit(void);

#endif /* _TLSOCK_HS_H */
