// SPDX-License-Identifier: GPL-2.0
/*
 * TLS 1.3 key schedule pieces the kernel needs after the handshake
 * (RFC 8446 7.1-7.3, 4.6.3): deriving the next traffic secret and the
 * record protection key and IV of a secret, with HKDF-Expand-Label over
 * the kernel's HMAC.
 *
 * Only the expand step is needed: the daemon hands over the current
 * application traffic secrets, and every later secret is
 *   secret_{n+1} = HKDF-Expand-Label(secret_n, "traffic upd", "", Hash.length)
 * with   key = HKDF-Expand-Label(secret, "key", "", key_length)
 *        iv  = HKDF-Expand-Label(secret, "iv", "", 12).
 */
#include <linux/string.h>
#include <crypto/hash.h>

#include "tlsock.h"

#define TLSOCK_HKDF_LABEL_MAX	(2 + 1 + 6 + 16 + 1)

static const char *tlsock_ku_hash(u16 cipher_type, unsigned int *len)
{
	switch (cipher_type) {
	case TLS_CIPHER_AES_GCM_256:
		*len = 48;
		return "hmac(sha384)";
	case TLS_CIPHER_AES_GCM_128:
	case TLS_CIPHER_AES_CCM_128:
	case TLS_CIPHER_CHACHA20_POLY1305:
	case TLS_CIPHER_SM4_GCM:
	case TLS_CIPHER_SM4_CCM:
		*len = 32;
		return cipher_type == TLS_CIPHER_SM4_GCM || cipher_type == TLS_CIPHER_SM4_CCM ?
		       "hmac(sm3)" : "hmac(sha256)";
	default:
		return NULL;
	}
}

/* HKDF-Expand-Label for an output no longer than one hash block. */
static int tlsock_hkdf_expand_label(struct crypto_shash *tfm, const u8 *secret,
				    unsigned int secret_len, const char *label, u8 *out,
				    unsigned int out_len)
{
	u8 info[TLSOCK_HKDF_LABEL_MAX];
	u8 block[64];
	size_t llen = strlen(label);
	unsigned int n = 0;
	int err;

	if (out_len > crypto_shash_digestsize(tfm) || llen > 16)
		return -EINVAL;

	/* struct HkdfLabel: length, "tls13 " + label, empty context */
	info[n++] = out_len >> 8;
	info[n++] = out_len & 0xff;
	info[n++] = 6 + llen;
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, label, llen);
	n += llen;
	info[n++] = 0;
	info[n++] = 0x01;	/* T(1) = HMAC(secret, info || 0x01) */

	err = crypto_shash_setkey(tfm, secret, secret_len);
	if (!err)
		err = crypto_shash_tfm_digest(tfm, info, n, block);
	if (!err)
		memcpy(out, block, out_len);
	memzero_explicit(block, sizeof(block));
	return err;
}

/**
 * tlsock_ku_alloc() - the HMAC a session's KeyUpdates derive secrets with
 * @cipher_type: TLS_CIPHER_* of the connection (TLS 1.3)
 *
 * Context: process context, may sleep (may load the algorithm's module).
 * Return: the transform (crypto_free_shash() it), or an ERR_PTR: -EINVAL for
 * a cipher without one, -ENOPKG when the kernel lacks the algorithm.
 */
struct crypto_shash *tlsock_ku_alloc(u16 cipher_type)
{
	unsigned int hlen;
	const char *alg = tlsock_ku_hash(cipher_type, &hlen);
	struct crypto_shash *tfm;

	if (!alg)
		return ERR_PTR(-EINVAL);
	tfm = crypto_alloc_shash(alg, 0, 0);
	if (IS_ERR(tfm) && PTR_ERR(tfm) == -ENOENT)
		return ERR_PTR(-ENOPKG);
	return tfm;
}

/**
 * tlsock_ku_next() - derive the next traffic secret and its record keys
 * @hmac: from tlsock_ku_alloc() for @cipher_type
 * @cipher_type: TLS_CIPHER_* of the connection (TLS 1.3)
 * @secret: current traffic secret; replaced by the next one on success
 * @secret_len: its length (32 or 48 by the suite's hash)
 * @ci: filled with a TLS 1.3 crypto_info for the next secret (sequence 0)
 * @ci_len: filled with the length of @ci for tlsock_crypto_install()
 *
 * Context: process context; @hmac is keyed here, so its user (the socket
 * lock) serialises the calls.
 * Return: 0 or a negative errno; on error @secret is unchanged and @ci is
 * wiped.
 */
int tlsock_ku_next(struct crypto_shash *hmac, u16 cipher_type, u8 *secret,
		   unsigned int secret_len, union tlsock_crypto_info *ci, unsigned int *ci_len)
{
	const struct tlsock_cipher *cipher = tlsock_cipher_find(cipher_type);
	u8 next[TLSOCK_SECRET_MAX];
	u8 iv[TLSOCK_NONCE_LEN];
	unsigned int hlen;
	const char *alg = tlsock_ku_hash(cipher_type, &hlen);
	u8 *raw = (u8 *)ci;
	int err;

	if (!cipher || !alg || !hmac || secret_len != hlen || hlen > sizeof(next))
		return -EINVAL;

	memset(ci, 0, sizeof(*ci));
	err = tlsock_hkdf_expand_label(hmac, secret, secret_len, "traffic upd", next, hlen);
	if (err)
		goto out;
	err = tlsock_hkdf_expand_label(hmac, next, hlen, "key", raw + cipher->key_off,
				       cipher->key_len);
	if (err)
		goto out;
	err = tlsock_hkdf_expand_label(hmac, next, hlen, "iv", iv, sizeof(iv));
	if (err)
		goto out;

	ci->info.version = TLS_1_3_VERSION;
	ci->info.cipher_type = cipher_type;
	memcpy(raw + cipher->salt_off, iv, cipher->salt_len);
	memcpy(raw + cipher->iv_off, iv + cipher->salt_len, cipher->iv_len);
	*ci_len = cipher->info_len;
	memcpy(secret, next, hlen);
out:
	if (err)
		memzero_explicit(ci, sizeof(*ci));
	memzero_explicit(next, sizeof(next));
	memzero_explicit(iv, sizeof(iv));
	return err;
}
