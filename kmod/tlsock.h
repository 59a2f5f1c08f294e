/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tlsock internal interfaces shared by the files of tlsock.ko.
 *
 * One tlsock_ctx hangs off each socket that has the "tlsock" ULP
 * (icsk_ulp_data).  Each direction is configured independently: until
 * TLS_TX (TLS_RX) is set, that direction is a plain pass-through to TCP.
 *
 * Locking, outermost first:
 *   ctx->tx_lock  (mutex)  serialises senders: sendmsg, splice_eof, the
 *                          deferred push work, TX key changes, close.
 *   socket lock   (lock_sock) protects every other field of the context.
 *                          Softirq code (data_ready) runs with the socket
 *                          spinlock held and the socket not owned by a
 *                          user, so it has the same exclusive access.
 * Fields read without the socket lock are marked and use READ_ONCE.
 */
#ifndef _TLSOCK_H
#define _TLSOCK_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <linux/sockptr.h>
#include <linux/poll.h>
#include <net/sock.h>
#include <net/inet_connection_sock.h>
#include <uapi/linux/tls.h>
#include <linux/tlsock.h>
#include <crypto/aead.h>

#define TLSOCK_HDR_LEN		5
#define TLSOCK_MAX_PAYLOAD	16384	/* 2^14, RFC 8446 5.1 / RFC 5246 6.2.1 */
#define TLSOCK_TAG_LEN		16
#define TLSOCK_SEQ_LEN		8
#define TLSOCK_NONCE_LEN	12
#define TLSOCK_MAX_EXPLICIT_IV	8
#define TLSOCK_AAD12_LEN	13
/* largest record on the wire: header, explicit IV, payload, inner type, tag */
#define TLSOCK_MAX_REC \
	(TLSOCK_HDR_LEN + TLSOCK_MAX_EXPLICIT_IV + TLSOCK_MAX_PAYLOAD + 1 + TLSOCK_TAG_LEN)
#define TLSOCK_REC_PAGES	DIV_ROUND_UP(TLSOCK_MAX_REC, PAGE_SIZE)

#define TLSOCK_CT_CCS		20
#define TLSOCK_CT_ALERT		21
#define TLSOCK_CT_HANDSHAKE	22
#define TLSOCK_CT_DATA		23
#define TLSOCK_HS_KEY_UPDATE	24

/* Largest struct tls12_crypto_info_* we accept. */
union tlsock_crypto_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 aes_gcm_128;
	struct tls12_crypto_info_aes_gcm_256 aes_gcm_256;
	struct tls12_crypto_info_aes_ccm_128 aes_ccm_128;
	struct tls12_crypto_info_chacha20_poly1305 chacha20_poly1305;
	struct tls12_crypto_info_sm4_gcm sm4_gcm;
	struct tls12_crypto_info_sm4_ccm sm4_ccm;
	struct tls12_crypto_info_aria_gcm_128 aria_gcm_128;
	struct tls12_crypto_info_aria_gcm_256 aria_gcm_256;
};

/**
 * struct tlsock_cipher - static description of one TLS_CIPHER_*
 * @type: TLS_CIPHER_* value
 * @info_len: size of the matching struct tls12_crypto_info_*
 * @key_len: key bytes
 * @salt_len: implicit nonce bytes (0 for ChaCha20-Poly1305)
 * @iv_len: bytes of the iv field of the crypto_info
 * @explicit_iv: TLS 1.2 only: bytes of nonce carried in each record
 * @ccm: the AEAD is CCM, whose IV carries a leading length byte
 * @tls12_only: not defined for TLS 1.3
 * @key_off: offset of the key in the crypto_info
 * @iv_off: offset of the iv
 * @salt_off: offset of the salt
 * @seq_off: offset of rec_seq
 * @alg: kernel crypto API algorithm name
 * @name: name reported through ss / tlsockctl
 */
struct tlsock_cipher {
	u16 type;
	u16 info_len;
	u8 key_len;
	u8 salt_len;
	u8 iv_len;
	u8 explicit_iv;
	bool ccm;
	bool tls12_only;
	u16 key_off, iv_off, salt_off, seq_off;
	const char *alg;
	const char *name;
};

/**
 * struct tlsock_crypto - keys and counters of one direction
 * @cipher: cipher description; NULL until the direction is configured
 * @aead: transform keyed with the current key
 * @nonce: implicit nonce: salt || iv (TLS 1.2 AEAD) or the 12-byte iv
 * @seq: record sequence number of the next record, big endian
 * @info: the crypto_info as last installed (kept for getsockopt); holds
 *	the key, so it is wiped with memzero_explicit on every path
 * @req: request reused for every record of this direction; the users of
 *	a direction are serialised (tx_lock, or the single reader)
 * @aad: additional data of the record being processed (must not live on
 *	a possibly vmalloc'ed stack: it is reached through a scatterlist)
 * @iv: AEAD IV of the record being processed
 */
struct tlsock_crypto {
	const struct tlsock_cipher *cipher;
	struct crypto_aead *aead;
	struct aead_request *req;
	u8 nonce[TLSOCK_NONCE_LEN];
	u8 seq[TLSOCK_SEQ_LEN];
	u8 aad[TLSOCK_AAD12_LEN];
	u8 iv[16];
	union tlsock_crypto_info info;
};

/**
 * struct tlsock_rec - one TLS record held in pages
 * @list: entry in tlsock_rx.held
 * @pages: backing pages: every page but the last holds PAGE_SIZE bytes of the
 *	record from its offset 0 (see tlsock_rec_page())
 * @npages: pages allocated
 * @tail_off: where the last page's bytes start in it: not 0 only for a
 *	transmit record whose end was carved from a shared page fragment
 * @cap: bytes the pages can hold (transmit records)
 * @shared_tail: the last page is a shared fragment, holding @cap minus
 *	(@npages - 1) * PAGE_SIZE bytes of this record from @tail_off
 * @have: raw bytes present (assembly phase)
 * @need: full raw length once the header is known, else 0
 * @decrypted: payload below is valid plaintext
 * @type: content type of the plaintext
 * @off: offset of the plaintext in the record
 * @len: plaintext length
 * @pos: plaintext bytes already consumed by the reader
 * @dirty: bytes from offset 0 that held plaintext, or were decrypted in
 *	place and failed, since the pages were allocated: what must be wiped
 *	before they are given up (receive records)
 */
struct tlsock_rec {
	struct list_head list;
	struct page *pages[TLSOCK_REC_PAGES];
	u8 npages;
	bool shared_tail;
	bool decrypted;
	u8 type;
	u32 tail_off;
	u32 cap;
	u32 have;
	u32 need;
	u32 off;
	u32 len;
	u32 pos;
	u32 dirty;
};

/* The page holding byte @at of @rec; *@poff is the byte's offset in it. */
static inline struct page *tlsock_rec_page(const struct tlsock_rec *rec, u32 at, u32 *poff)
{
	u32 i = at >> PAGE_SHIFT;

	*poff = offset_in_page(at) + (i == rec->npages - 1 ? rec->tail_off : 0);
	return rec->pages[i];
}

/* Byte @at of @rec (pages are never highmem: they come from GFP_KERNEL/GFP_ATOMIC). */
static inline u8 *tlsock_rec_ptr(const struct tlsock_rec *rec, u32 at)
{
	u32 poff;
	struct page *page = tlsock_rec_page(rec, at, &poff);

	return (u8 *)page_address(page) + poff;
}

/**
 * struct tlsock_rx - receive side state (socket lock)
 * @crypto: keys of the receive direction
 * @cur: record being assembled from TCP, or decrypted and being read
 * @held: decrypted records moved aside so MSG_PEEK could look past them
 * @held_bytes: pages of @held in bytes; kept within sk_rcvbuf and charged to the
 *	socket (sk_mem_charge)
 * @err: sticky error (negative errno) after a record failed to open
 * @stopped: the stream can no longer be parsed (bad header seen)
 * @key_expired: a KeyUpdate was received; no record is opened until new
 *	RX keys are installed
 * @eof: a managed session received close_notify: reads return 0
 * @no_pad: TLS_RX_EXPECT_NO_PAD
 * @reader_present: a reader is inside recvmsg/splice_read
 * @wq: readers waiting for @reader_present to clear
 * @zc_tail: TLS 1.3 direct decryption: lands the inner content type byte
 * @ready: a record can be returned without waiting; written under the
 *	socket lock, read locklessly by poll (READ_ONCE/WRITE_ONCE pair)
 */
struct tlsock_rx {
	struct tlsock_crypto crypto;
	struct tlsock_rec cur;
	struct list_head held;
	u32 held_bytes;
	int err;
	bool stopped;
	bool key_expired;
	bool eof;
	bool no_pad;
	bool reader_present;
	bool ready;
	wait_queue_head_t wq;
	u8 zc_tail;
};

/**
 * struct tlsock_tx - transmit side state (tx_lock and socket lock)
 * @crypto: keys of the transmit direction
 * @rec: the open record (plaintext being gathered), or the sealed record
 *	being handed to TCP
 * @open_type: content type of the open record
 * @sealed: @rec is sealed; @push_off bytes of it are already with TCP
 * @push_off: see @sealed
 * @work: pushes a sealed record once TCP has room again, and sends what
 *	the receive path queued below
 * @closing: set on close so @work is not rescheduled
 * @records: records sealed under the current key
 * @alert_level: managed sessions: alert queued by the receive path (0: none)
 * @alert_desc: its description
 * @abort_err: the socket fails with this error once the fatal alert is out
 * @ku_pending: managed TLS 1.3: the peer asked for our KeyUpdate
 * @notified: managed sessions: close_notify was sent
 * @inner_type: TLS 1.3 sealing from user pages: the inner content type
 *	byte, reached through a scatterlist (so not on the stack)
 */
struct tlsock_tx {
	struct tlsock_crypto crypto;
	struct tlsock_rec rec;
	u8 open_type;
	bool sealed;
	u32 push_off;
	struct work_struct work;
	bool closing;
	u64 records;
	u8 alert_level;
	u8 alert_desc;
	int abort_err;
	bool ku_pending;
	bool notified;
	u8 inner_type;
};

struct tlsock_hs;

/**
 * struct tlsock_ctx - per-socket tlsock state (icsk_ulp_data)
 * @sk: the socket
 * @sk_proto: TCP's struct proto before tlsock replaced it
 * @sk_ops: the socket's proto_ops before tlsock replaced them
 * @saved_data_ready: TCP's data_ready callback
 * @saved_write_space: TCP's write_space callback
 * @saved_state_change: TCP's state_change callback; replaced only on a
 *	socket whose handshake starts once it is connected (policy.c)
 * @tx_lock: see the locking comment above
 * @version: TLS_1_2_VERSION or TLS_1_3_VERSION once a direction is set
 * @cipher_type: TLS_CIPHER_* once a direction is set
 * @prepend: header plus explicit nonce of this version and cipher (set with
 *	@cipher_type; read per record, so not looked up in the cipher table)
 * @tx_on: TX is configured (read locklessly by poll: READ_ONCE)
 * @rx_on: RX is configured (read locklessly by poll: READ_ONCE)
 * @zc_ro_tx: TLS_TX_ZEROCOPY_RO value
 * @hs: managed-handshake state, owned by handshake.c (socket lock); the
 *	record layer asks about it through session.h only
 * @lst: a listener a server rule adopted (policy.c): its children become TLS
 *	sockets in accept(); NULL for every other socket.  Set before the
 *	context is published, cleared only when the listener is given back
 * @plain_io: application calls inside TCP's own sendmsg/recvmsg/splice_read
 *	(a direction without keys passes through); entered under the socket
 *	lock, so a handshake request, also made under it, sees every call
 *	that could still move plaintext and refuses to start (EBUSY)
 * @rcu: deferred free
 */
struct tlsock_ctx {
	struct sock *sk;
	struct proto *sk_proto;
	const struct proto_ops *sk_ops;
	void (*saved_data_ready)(struct sock *sk);
	void (*saved_write_space)(struct sock *sk);
	void (*saved_state_change)(struct sock *sk);
	struct mutex tx_lock;
	u16 version;
	u16 cipher_type;
	u8 prepend;
	bool tx_on;
	bool rx_on;
	bool zc_ro_tx;
	/* the application's shutdown(SHUT_WR) waits for the handshake (main.c) */
	bool shut_wr_held;
	struct tlsock_tx tx;
	struct tlsock_rx rx;
	struct tlsock_hs *hs;
	struct tlsock_listen *lst;
	atomic_t plain_io;
	struct rcu_head rcu;
};

static inline struct tlsock_ctx *tlsock_ctx(const struct sock *sk)
{
	return (__force struct tlsock_ctx *)rcu_dereference_raw(inet_csk(sk)->icsk_ulp_data);
}

static inline bool tlsock_is_13(const struct tlsock_ctx *ctx)
{
	return ctx->version == TLS_1_3_VERSION;
}

/* Bytes in front of a record's payload: header and explicit nonce. */
static inline unsigned int tlsock_rec_prepend(const struct tlsock_ctx *ctx)
{
	return ctx->prepend;
}

/* Bytes a record adds to its payload: prepend, tag and (TLS 1.3) the inner type byte. */
static inline unsigned int tlsock_rec_overhead(const struct tlsock_ctx *ctx)
{
	return ctx->prepend + TLSOCK_TAG_LEN + (tlsock_is_13(ctx) ? 1 : 0);
}

/*
 * Allocations inside a cgroup BPF hook (the policy kfuncs): its programs run
 * under rcu_read_lock() with migration off, so nothing there may sleep.
 * Charged to the caller's memory cgroup all the same; a failure refuses the
 * connect() or bind().
 */
#define TLSOCK_GFP_HOOK		(GFP_ATOMIC | __GFP_ACCOUNT | __GFP_NOWARN)

/* main.c */
void tlsock_err_abort(struct sock *sk, int err);
void tlsock_shutdown_held(struct sock *sk, struct tlsock_ctx *ctx);
struct tlsock_hs_caller;
struct tlsock_listen;
int tlsock_attach_armed(struct sock *sk, const struct tlsock_handshake *req,
			const struct tlsock_hs_caller *caller, void *priv);
int tlsock_attach_child(struct sock *sk, const struct tlsock_handshake *req,
			const struct tlsock_hs_caller *caller, void *priv);
int tlsock_attach_listener(struct sock *sk, struct tlsock_listen *lst, gfp_t gfp);
void tlsock_listener_stop(struct sock *sk, struct tlsock_listen *lst);

/* An application call is about to pass through to TCP.  Socket lock held. */
static inline void tlsock_plain_begin(struct tlsock_ctx *ctx)
{
	sock_owned_by_me(ctx->sk);
	atomic_inc(&ctx->plain_io);
}

/* ... and is back.  No lock needed. */
static inline void tlsock_plain_end(struct tlsock_ctx *ctx)
{
	atomic_dec(&ctx->plain_io);
}

/* cipher.c */
const struct tlsock_cipher *tlsock_cipher_find(u16 type);
int tlsock_crypto_init(struct tlsock_crypto *c, const union tlsock_crypto_info *ci,
		       const struct tlsock_cipher *cipher);
void tlsock_crypto_free(struct tlsock_crypto *c);
int tlsock_crypto_seal(struct tlsock_ctx *ctx, struct tlsock_rec *rec, u8 type, u32 plen);
int tlsock_crypto_seal_from(struct tlsock_ctx *ctx, struct tlsock_rec *rec, u8 type, u32 plen,
			    struct scatterlist *src, int nsrc);
int tlsock_crypto_open(struct tlsock_ctx *ctx, struct tlsock_rec *rec);
int tlsock_crypto_open_to(struct tlsock_ctx *ctx, struct tlsock_rec *rec, struct scatterlist *src,
			  struct scatterlist *dst);

/* sockopt.c */
int tlsock_crypto_install(struct sock *sk, bool tx, const union tlsock_crypto_info *ci,
			  unsigned int len);
int tlsock_crypto_install_both(struct sock *sk, const union tlsock_crypto_info *tx,
			       const union tlsock_crypto_info *rx, unsigned int len);
int tlsock_tls_setsockopt(struct sock *sk, struct tlsock_ctx *ctx, int optname,
			  sockptr_t optval, unsigned int optlen);
int tlsock_tls_getsockopt(struct sock *sk, struct tlsock_ctx *ctx, int optname,
			  char __user *optval, int __user *optlen);

/* posthandshake.c: the session after a managed handshake */
bool tlsock_ph_managed(const struct tlsock_ctx *ctx);	/* record layer: tlsock_sess_managed() */
int tlsock_ph_rx_control(struct sock *sk, struct tlsock_ctx *ctx, struct tlsock_rec *rec);
void tlsock_ph_rx_error(struct sock *sk, struct tlsock_ctx *ctx, int err);
int tlsock_ph_tx(struct sock *sk, struct tlsock_ctx *ctx, int flags);
int tlsock_ph_close_notify(struct sock *sk, struct tlsock_ctx *ctx, int flags);

/* keyupdate.c */
struct crypto_shash;
struct crypto_shash *tlsock_ku_alloc(u16 cipher_type);
int tlsock_ku_next(struct crypto_shash *hmac, u16 cipher_type, u8 *secret,
		   unsigned int secret_len, union tlsock_crypto_info *ci, unsigned int *ci_len);

/* rec helpers (rx.c) */
int tlsock_rec_alloc(struct tlsock_rec *rec, u32 len, gfp_t gfp);
void tlsock_rec_free(struct tlsock_rec *rec);

/* tx.c */
void tlsock_tx_init(struct tlsock_ctx *ctx);
int tlsock_sendmsg(struct sock *sk, struct msghdr *msg, size_t size);
void tlsock_splice_eof(struct socket *sock);
void tlsock_write_space(struct sock *sk);
int tlsock_tx_flush(struct sock *sk, struct tlsock_ctx *ctx, int flags);
void tlsock_tx_release(struct sock *sk, struct tlsock_ctx *ctx, long timeo);
void tlsock_tx_free(struct tlsock_ctx *ctx);
int tlsock_tx_send_record(struct sock *sk, struct tlsock_ctx *ctx, u8 type,
			  const void *data, size_t len, int flags);

/* aead_pool.c */
#define TLSOCK_AEAD_SUITES	8
void tlsock_aead_pool_init(void);
struct crypto_aead *tlsock_aead_take(unsigned int suite, struct aead_request **req);
bool tlsock_aead_give(unsigned int suite, unsigned int key_len, struct crypto_aead *aead,
		      struct aead_request *req);
void tlsock_aead_pool_exit(void);

/* txpages.c */
int tlsock_txp_get(struct page **pages, int n, gfp_t gfp);
void tlsock_txp_put(struct page *page);
void tlsock_txp_exit(void);

/* rx.c */
void tlsock_rx_init(struct tlsock_ctx *ctx);
int tlsock_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
		   int flags TLSOCK_ADDR_LEN_DECL);
ssize_t tlsock_splice_read(struct socket *sock, loff_t *ppos, struct pipe_inode_info *pipe,
			   size_t len, unsigned int flags);
int tlsock_read_sock(struct sock *sk, read_descriptor_t *desc, sk_read_actor_t recv_actor);
__poll_t tlsock_poll(struct file *file, struct socket *sock, struct poll_table_struct *wait);
void tlsock_data_ready(struct sock *sk);
void tlsock_rx_kick(struct sock *sk, struct tlsock_ctx *ctx);
void tlsock_rx_release(struct sock *sk, struct tlsock_ctx *ctx);

/* stats.c */
enum tlsock_stat {
	TLSOCK_STAT_CURR_TX,
	TLSOCK_STAT_CURR_RX,
	TLSOCK_STAT_TX,
	TLSOCK_STAT_RX,
	TLSOCK_STAT_TX_RECORDS,
	TLSOCK_STAT_RX_RECORDS,
	TLSOCK_STAT_DECRYPT_ERROR,
	TLSOCK_STAT_RX_PARSE_ERROR,
	TLSOCK_STAT_TX_REKEY_OK,
	TLSOCK_STAT_TX_REKEY_ERROR,
	TLSOCK_STAT_RX_REKEY_OK,
	TLSOCK_STAT_RX_REKEY_ERROR,
	TLSOCK_STAT_RX_REKEY_RECEIVED,
	TLSOCK_STAT_HS_REQUESTED,
	TLSOCK_STAT_HS_OK,
	TLSOCK_STAT_HS_FAILED,
	TLSOCK_STAT_HS_TIMEOUT,
	__TLSOCK_STAT_MAX
};
void tlsock_stat_add(struct net *net, enum tlsock_stat s, long delta);
static inline void tlsock_stat_inc(struct net *net, enum tlsock_stat s)
{
	tlsock_stat_add(net, s, 1);
}
int tlsock_stats_init(void);
void tlsock_stats_exit(void);

/*
 * handshake.c: managed handshakes (SOL_TLSOCK) and the generic netlink
 * family.  The record layer calls these hooks (gate, poll, settled and
 * data_ready only through session.h):
 *
 * tlsock_hs_setsockopt / tlsock_hs_getsockopt: level SOL_TLSOCK; called
 *	without the socket lock.
 * tlsock_hs_gate: called with the socket lock held at the start of every
 *	application send/receive/splice.  Returns 0 when the caller may
 *	proceed (no managed handshake, handshake done, or the caller is the
 *	daemon that claimed the request), otherwise waits (blocking callers,
 *	honouring *timeo, which it updates) or returns -EAGAIN, -EINTR or the
 *	handshake's error.
 * tlsock_hs_settled: no managed handshake, or it succeeded (lockless hint;
 *	the gate decides under the lock).
 * tlsock_hs_poll: adjusts a poll mask while a handshake is pending or
 *	after it failed.  Called without the socket lock.
 * tlsock_hs_close: the socket is being closed; cancel any request.
 *	Called with the socket lock held.
 * tlsock_hs_data_ready: bytes arrived while a managed handshake exists
 *	(softirq, socket spinlock held).
 * tlsock_hs_state_change: the TCP state of a socket whose request waits
 *	for the connection changed (softirq, socket spinlock held).
 * tlsock_hs_rx_control: a control record arrived on a managed socket
 *	(KeyUpdate, NewSessionTicket, alert); returns true when it was
 *	consumed and must not be delivered to the application.
 */
int tlsock_hs_setsockopt(struct sock *sk, int optname, sockptr_t optval, unsigned int optlen);
int tlsock_hs_getsockopt(struct sock *sk, int optname, char __user *optval, int __user *optlen);
int tlsock_hs_gate(struct sock *sk, struct tlsock_ctx *ctx, bool nonblock, long *timeo);
__poll_t tlsock_hs_poll(struct sock *sk, struct tlsock_ctx *ctx, __poll_t mask);
bool tlsock_hs_settled(const struct tlsock_ctx *ctx);
bool tlsock_hs_running(const struct tlsock_ctx *ctx);
void tlsock_hs_close(struct sock *sk, struct tlsock_ctx *ctx);
void tlsock_hs_data_ready(struct sock *sk, struct tlsock_ctx *ctx);
void tlsock_hs_state_change(struct sock *sk, struct tlsock_ctx *ctx);
int tlsock_hs_validate(const struct tlsock_handshake *req);
int tlsock_hs_arm(struct sock *sk, struct tlsock_ctx *ctx, const struct tlsock_handshake *req,
		  const struct tlsock_hs_caller *caller, void *priv);
int tlsock_hs_begin_now(struct sock *sk, struct tlsock_ctx *ctx, const struct tlsock_handshake *req,
			const struct tlsock_hs_caller *caller, void *priv);
int tlsock_hs_init(void);
void tlsock_hs_exit(void);

#endif /* _TLSOCK_H */
