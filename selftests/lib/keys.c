// SPDX-License-Identifier: GPL-2.0
/*
 * Key material for the tests: random keys per direction, laid out as the
 * kernel's struct tls12_crypto_info_* for setsockopt(SOL_TLS).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/random.h>
#include <gnutls/gnutls.h>

#include "lib.h"

#define TLSOCK_SUITE(_cipher, _st, _name, _alg)				\
	{								\
		.cipher = (_cipher),					\
		.name = (_name),					\
		.info_len = sizeof(struct _st),				\
		.key_len = sizeof(((struct _st *)0)->key),		\
		.salt_len = sizeof(((struct _st *)0)->salt),		\
		.iv_len = sizeof(((struct _st *)0)->iv),		\
		.key_off = offsetof(struct _st, key),			\
		.salt_off = offsetof(struct _st, salt),			\
		.iv_off = offsetof(struct _st, iv),			\
		.seq_off = offsetof(struct _st, rec_seq),		\
		.gnutls_alg = (_alg),					\
	}

static const struct tlsock_suite tlsock_suites[] = {
	TLSOCK_SUITE(TLS_CIPHER_AES_GCM_128, tls12_crypto_info_aes_gcm_128, "aes-gcm-128",
		     GNUTLS_CIPHER_AES_128_GCM),
	TLSOCK_SUITE(TLS_CIPHER_AES_GCM_256, tls12_crypto_info_aes_gcm_256, "aes-gcm-256",
		     GNUTLS_CIPHER_AES_256_GCM),
	TLSOCK_SUITE(TLS_CIPHER_AES_CCM_128, tls12_crypto_info_aes_ccm_128, "aes-ccm-128",
		     GNUTLS_CIPHER_AES_128_CCM),
	TLSOCK_SUITE(TLS_CIPHER_CHACHA20_POLY1305, tls12_crypto_info_chacha20_poly1305,
		     "chacha20-poly1305", GNUTLS_CIPHER_CHACHA20_POLY1305),
};

const struct tlsock_suite *tlsock_suite_find(uint16_t cipher)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tlsock_suites); i++)
		if (tlsock_suites[i].cipher == cipher)
			return &tlsock_suites[i];
	return NULL;
}

/* Fresh random keys; the first record number is random but far from wrapping. */
int tlsock_keys_init(struct tlsock_keys *k, uint16_t version, uint16_t cipher)
{
	memset(k, 0, sizeof(*k));
	k->suite = tlsock_suite_find(cipher);
	if (!k->suite)
		return -EINVAL;
	k->version = version;
	if (getrandom(k->key, sizeof(k->key), 0) != sizeof(k->key) ||
	    getrandom(k->salt, sizeof(k->salt), 0) != sizeof(k->salt) ||
	    getrandom(k->iv, sizeof(k->iv), 0) != sizeof(k->iv) ||
	    getrandom(k->seq, sizeof(k->seq), 0) != sizeof(k->seq))
		return -EIO;
	k->seq[0] = 0;
	k->seq[1] = 0;
	return 0;
}

/* Fill @ci as setsockopt(TLS_TX/TLS_RX) wants it; returns its exact length. */
size_t tlsock_keys_info(const struct tlsock_keys *k, union tlsock_ci *ci)
{
	const struct tlsock_suite *s = k->suite;
	struct tls_crypto_info head = {
		.version = k->version,
		.cipher_type = s->cipher,
	};
	unsigned char raw[sizeof(*ci)] = {};

	memcpy(raw, &head, sizeof(head));
	memcpy(raw + s->key_off, k->key, s->key_len);
	memcpy(raw + s->salt_off, k->salt, s->salt_len);
	memcpy(raw + s->iv_off, k->iv, s->iv_len);
	memcpy(raw + s->seq_off, k->seq, sizeof(k->seq));
	memcpy(ci, raw, sizeof(raw));
	explicit_bzero(raw, sizeof(raw));
	return s->info_len;
}

void tlsock_keys_wipe(struct tlsock_keys *k)
{
	explicit_bzero(k, sizeof(*k));
}

bool tlsock_is_13(const struct tlsock_keys *k)
{
	return k->version == TLS_1_3_VERSION;
}

/* Header plus the explicit nonce TLS 1.2 AES-GCM/CCM records carry. */
size_t tlsock_prepend_len(const struct tlsock_keys *k)
{
	if (tlsock_is_13(k) || !k->suite->salt_len)
		return TLSOCK_HDR_LEN;
	return TLSOCK_HDR_LEN + k->suite->iv_len;
}

/* What a record adds to its payload (no TLS 1.3 padding). */
size_t tlsock_overhead(const struct tlsock_keys *k)
{
	return tlsock_prepend_len(k) + TLSOCK_TAG_LEN + (tlsock_is_13(k) ? 1 : 0);
}
