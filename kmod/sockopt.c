// SPDX-License-Identifier: GPL-2.0
/*
 * SOL_TLS socket options (the kTLS-compatible API) and key installation.
 *
 * The errno contract follows mainline kTLS: EINVAL for a malformed
 * crypto_info or a length that does not match its cipher, EBUSY for a
 * second TLS 1.2 key, EFAULT for bad pointers, ENOPROTOOPT for unknown
 * options.  A socket with a managed handshake (SOL_TLSOCK) takes no keys
 * from the application (EBUSY) and shows it none (EPERM).  TLS 1.3 keys may be replaced (rekey) with the same version and
 * cipher; a replaced RX key also ends the KeyUpdate wait (EKEYEXPIRED).
 */
#include <linux/skmsg.h>
#include <linux/uaccess.h>
#include <net/tcp.h>

#include "tlsock.h"
#include "session.h"

/*
 * What every key installation checks first: 0 if @ci may key direction @tx
 * of @sk now, with *@cipherp its cipher.
 */
static int tlsock_crypto_check(struct sock *sk, bool tx, const union tlsock_crypto_info *ci,
			       unsigned int len, const struct tlsock_cipher **cipherp)
{
	struct tlsock_ctx *ctx = tlsock_ctx(sk);
	bool on = tx ? ctx->tx_on : ctx->rx_on;
	bool other = tx ? ctx->rx_on : ctx->tx_on;
	const struct tlsock_cipher *cipher;

	rcu_read_lock();
	if (sk_psock(sk)) {
		rcu_read_unlock();
		return -EINVAL;	/* sockmap and TLS do not mix */
	}
	rcu_read_unlock();

	if (len < sizeof(struct tls_crypto_info))
		return -EINVAL;
	if (on && ctx->version != TLS_1_3_VERSION)
		return -EBUSY;
	if (ci->info.version != TLS_1_2_VERSION && ci->info.version != TLS_1_3_VERSION)
		return -EINVAL;
	cipher = tlsock_cipher_find(ci->info.cipher_type);
	if (!cipher || (cipher->tls12_only && ci->info.version != TLS_1_2_VERSION))
		return -EINVAL;
	if ((on || other) &&
	    (ci->info.version != ctx->version || ci->info.cipher_type != ctx->cipher_type))
		return -EINVAL;
	if (len != cipher->info_len)
		return -EINVAL;
	*cipherp = cipher;
	return 0;
}

/* Direction @tx gets its first keys: @fresh moves into the context. */
static void tlsock_crypto_first(struct sock *sk, struct tlsock_ctx *ctx, bool tx,
				const union tlsock_crypto_info *ci,
				const struct tlsock_cipher *cipher, struct tlsock_crypto *fresh)
{
	ctx->version = ci->info.version;
	ctx->cipher_type = ci->info.cipher_type;
	ctx->prepend = TLSOCK_HDR_LEN +
		       (ci->info.version == TLS_1_3_VERSION ? 0 : cipher->explicit_iv);
	if (tx) {
		ctx->tx.crypto = *fresh;
		WRITE_ONCE(ctx->tx_on, true);
		tlsock_stat_inc(sock_net(sk), TLSOCK_STAT_TX);
		tlsock_stat_inc(sock_net(sk), TLSOCK_STAT_CURR_TX);
	} else {
		ctx->rx.crypto = *fresh;
		WRITE_ONCE(ctx->rx_on, true);
		tlsock_stat_inc(sock_net(sk), TLSOCK_STAT_RX);
		tlsock_stat_inc(sock_net(sk), TLSOCK_STAT_CURR_RX);
		tlsock_rx_kick(sk, ctx);
	}
	memzero_explicit(fresh, sizeof(*fresh));
}

/**
 * tlsock_crypto_install() - set or replace the keys of one direction
 * @sk: socket with the tlsock ULP
 * @tx: true for the transmit direction
 * @ci: crypto_info (kernel copy); only its first @len bytes are used
 * @len: length the caller supplied
 *
 * Used by setsockopt(SOL_TLS, TLS_TX/TLS_RX) and by KeyUpdates.
 * On failure the direction is left exactly as it was.
 *
 * Context: process context; socket lock held, and tx_lock too for @tx.
 * Return: 0 or a negative errno.
 */
int tlsock_crypto_install(struct sock *sk, bool tx, const union tlsock_crypto_info *ci,
			  unsigned int len)
{
	struct tlsock_ctx *ctx = tlsock_ctx(sk);
	bool on = tx ? ctx->tx_on : ctx->rx_on;
	const struct tlsock_cipher *cipher;
	struct tlsock_crypto fresh = {};
	struct tlsock_crypto old;
	int err;

	sock_owned_by_me(sk);

	err = tlsock_crypto_check(sk, tx, ci, len, &cipher);
	if (err)
		return err;
	err = tlsock_crypto_init(&fresh, ci, cipher);
	if (err)
		goto out_stat;

	if (!on) {
		tlsock_crypto_first(sk, ctx, tx, ci, cipher, &fresh);
		return 0;
	}

	if (tx) {
		/* what was written under the old key leaves under it */
		lockdep_assert_held(&ctx->tx_lock);
		err = tlsock_tx_flush(sk, ctx, MSG_DONTWAIT);
		if (err && err != -EAGAIN) {
			tlsock_crypto_free(&fresh);
			goto out_stat;
		}
		err = 0;
		old = ctx->tx.crypto;
		ctx->tx.crypto = fresh;
		tlsock_stat_inc(sock_net(sk), TLSOCK_STAT_TX_REKEY_OK);
	} else {
		old = ctx->rx.crypto;
		ctx->rx.crypto = fresh;
		ctx->rx.key_expired = false;
		tlsock_stat_inc(sock_net(sk), TLSOCK_STAT_RX_REKEY_OK);
		tlsock_rx_kick(sk, ctx);
	}
	tlsock_crypto_free(&old);
	memzero_explicit(&fresh, sizeof(fresh));
	return 0;

out_stat:
	if (on)
		tlsock_stat_inc(sock_net(sk), tx ? TLSOCK_STAT_TX_REKEY_ERROR :
						   TLSOCK_STAT_RX_REKEY_ERROR);
	return err;
}

/**
 * tlsock_crypto_install_both() - the first keys of both directions, or none
 * @sk: socket with the tlsock ULP and no keys yet
 * @tx: transmit crypto_info (kernel copy)
 * @rx: receive crypto_info, same version and cipher
 * @len: length of each
 *
 * For a managed handshake: both directions are keyed before either goes in,
 * so a failure (ENOMEM keying the second) leaves the socket without keys,
 * never half keyed.
 *
 * Context: process context; socket lock and tx_lock held.
 * Return: 0 or a negative errno.
 */
int tlsock_crypto_install_both(struct sock *sk, const union tlsock_crypto_info *tx,
			       const union tlsock_crypto_info *rx, unsigned int len)
{
	struct tlsock_ctx *ctx = tlsock_ctx(sk);
	struct tlsock_crypto ftx = {}, frx = {};
	const struct tlsock_cipher *cipher;
	int err;

	sock_owned_by_me(sk);
	lockdep_assert_held(&ctx->tx_lock);

	if (ctx->tx_on || ctx->rx_on)
		return -EBUSY;
	if (tx->info.version != rx->info.version || tx->info.cipher_type != rx->info.cipher_type)
		return -EINVAL;
	err = tlsock_crypto_check(sk, true, tx, len, &cipher) ?:
	      tlsock_crypto_check(sk, false, rx, len, &cipher);
	if (err)
		return err;
	err = tlsock_crypto_init(&ftx, tx, cipher);
	if (err)
		return err;
	err = tlsock_crypto_init(&frx, rx, cipher);
	if (err) {
		tlsock_crypto_free(&ftx);
		return err;
	}
	tlsock_crypto_first(sk, ctx, true, tx, cipher, &ftx);
	tlsock_crypto_first(sk, ctx, false, rx, cipher, &frx);
	return 0;
}

static int tlsock_set_crypto(struct sock *sk, struct tlsock_ctx *ctx, bool tx, sockptr_t optval,
			     unsigned int optlen)
{
	union tlsock_crypto_info ci;
	int err;

	if (sockptr_is_null(optval) || optlen < sizeof(struct tls_crypto_info))
		return -EINVAL;
	if (optlen > sizeof(ci))
		return -EINVAL;	/* longer than any crypto_info */
	if (copy_from_sockptr(&ci, optval, optlen))
		return -EFAULT;

	if (tx)
		mutex_lock(&ctx->tx_lock);
	lock_sock(sk);
	/*
	 * From the handshake request to the end of the session the keys are
	 * the daemon's and then the kernel's (KeyUpdate), never the application's.
	 */
	if (tlsock_sess_requested(ctx))
		err = -EBUSY;
	else
		err = tlsock_crypto_install(sk, tx, &ci, optlen);
	release_sock(sk);
	if (tx)
		mutex_unlock(&ctx->tx_lock);

	memzero_explicit(&ci, sizeof(ci));
	return err;
}

static int tlsock_set_zc_ro(struct sock *sk, struct tlsock_ctx *ctx, sockptr_t optval,
			    unsigned int optlen)
{
	unsigned int val;

	if (sockptr_is_null(optval) || optlen != sizeof(val))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;
	if (val > 1)
		return -EINVAL;
	lock_sock(sk);
	WRITE_ONCE(ctx->zc_ro_tx, val);
	release_sock(sk);
	return 0;
}

static int tlsock_set_no_pad(struct sock *sk, struct tlsock_ctx *ctx, sockptr_t optval,
			     unsigned int optlen)
{
	u32 val;
	int err;

	if (sockptr_is_null(optval) || optlen < sizeof(val))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;
	if (val > 1)
		return -EINVAL;
	err = check_zeroed_sockptr(optval, sizeof(val), optlen - sizeof(val));
	if (err < 1)
		return err ?: -EINVAL;

	lock_sock(sk);
	err = -EINVAL;
	if (ctx->rx_on && ctx->version == TLS_1_3_VERSION) {
		WRITE_ONCE(ctx->rx.no_pad, val);
		err = 0;
	}
	release_sock(sk);
	return err;
}

/**
 * tlsock_tls_setsockopt() - setsockopt at level SOL_TLS
 * @sk: socket
 * @ctx: its context
 * @optname: TLS_TX, TLS_RX, TLS_TX_ZEROCOPY_RO or TLS_RX_EXPECT_NO_PAD
 * @optval: value
 * @optlen: its length
 *
 * Context: process context, no lock held.
 * Return: 0 or a negative errno.
 */
int tlsock_tls_setsockopt(struct sock *sk, struct tlsock_ctx *ctx, int optname,
			  sockptr_t optval, unsigned int optlen)
{
	switch (optname) {
	case TLS_TX:
	case TLS_RX:
		return tlsock_set_crypto(sk, ctx, optname == TLS_TX, optval, optlen);
	case TLS_TX_ZEROCOPY_RO:
		return tlsock_set_zc_ro(sk, ctx, optval, optlen);
	case TLS_RX_EXPECT_NO_PAD:
		return tlsock_set_no_pad(sk, ctx, optval, optlen);
	default:
		return -ENOPROTOOPT;
	}
}

static int tlsock_get_crypto(struct sock *sk, struct tlsock_ctx *ctx, bool tx,
			     char __user *optval, int __user *optlen)
{
	struct tlsock_crypto *c = tx ? &ctx->tx.crypto : &ctx->rx.crypto;
	const struct tlsock_cipher *cipher;
	union tlsock_crypto_info ci;
	u8 *raw = (u8 *)&ci;
	int len, err = 0;

	if (get_user(len, optlen))
		return -EFAULT;
	if (!optval || len < (int)sizeof(struct tls_crypto_info))
		return -EINVAL;
	if (!(tx ? ctx->tx_on : ctx->rx_on))
		return -EBUSY;
	/* a managed session's keys never leave the kernel */
	if (tlsock_sess_requested(ctx))
		return -EPERM;

	cipher = c->cipher;
	memcpy(&ci, &c->info, cipher->info_len);
	if (len == sizeof(struct tls_crypto_info)) {
		if (copy_to_user(optval, &ci, sizeof(struct tls_crypto_info)))
			err = -EFAULT;
		goto out;
	}
	if (len != cipher->info_len) {
		err = -EINVAL;
		goto out;
	}
	/* report the current counters, as mainline does */
	memcpy(raw + cipher->iv_off, c->nonce + cipher->salt_len, cipher->iv_len);
	memcpy(raw + cipher->seq_off, c->seq, TLSOCK_SEQ_LEN);
	if (copy_to_user(optval, &ci, cipher->info_len))
		err = -EFAULT;
out:
	memzero_explicit(&ci, sizeof(ci));
	return err;
}

static int tlsock_get_u32(char __user *optval, int __user *optlen, u32 val, bool exact)
{
	int len;

	if (get_user(len, optlen))
		return -EFAULT;
	if (exact ? len != sizeof(val) : len < (int)sizeof(val))
		return -EINVAL;
	if (put_user(sizeof(val), optlen))
		return -EFAULT;
	if (copy_to_user(optval, &val, sizeof(val)))
		return -EFAULT;
	return 0;
}

/**
 * tlsock_tls_getsockopt() - getsockopt at level SOL_TLS
 * @sk: socket
 * @ctx: its context
 * @optname: option
 * @optval: user buffer
 * @optlen: user length
 *
 * Context: process context, no lock held.
 * Return: 0 or a negative errno.
 */
int tlsock_tls_getsockopt(struct sock *sk, struct tlsock_ctx *ctx, int optname,
			  char __user *optval, int __user *optlen)
{
	int err;

	lock_sock(sk);
	switch (optname) {
	case TLS_TX:
	case TLS_RX:
		err = tlsock_get_crypto(sk, ctx, optname == TLS_TX, optval, optlen);
		break;
	case TLS_TX_ZEROCOPY_RO:
		err = tlsock_get_u32(optval, optlen, ctx->zc_ro_tx, true);
		break;
	case TLS_RX_EXPECT_NO_PAD:
		err = -EINVAL;
		if (ctx->version == TLS_1_3_VERSION && ctx->rx_on)
			err = tlsock_get_u32(optval, optlen, ctx->rx.no_pad, false);
		break;
	default:
		err = -ENOPROTOOPT;
		break;
	}
	release_sock(sk);
	return err;
}
