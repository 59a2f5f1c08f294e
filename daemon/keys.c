// SPDX-License-Identifier: GPL-2.0
/*
 * The crypto state GnuTLS negotiated, in the kernel's struct
 * tls12_crypto_info_* layout, and the TLS 1.3 traffic secrets.
 *
 * gnutls_record_get_state() gives each direction's key, IV and next record
 * sequence number.  For AES-GCM and AES-CCM the first 4 bytes of the IV are
 * the salt; TLS 1.3 carries the other 8 in "iv", while TLS 1.2 has a 4-byte
 * implicit IV and an explicit per-record nonce, for which the sequence
 * number is used (unique per key, as RFC 5288 suggests).  ChaCha20-Poly1305
 * has a 12-byte IV and no salt in both versions.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "tlsockd.h"

static int fill_dir(gnutls_session_t s, bool read, bool tls13, gnutls_cipher_algorithm_t alg,
		    union tlsockd_crypto_info *ci)
{
	gnutls_datum_t iv, key;
	unsigned char seq[8];
	int ret;

	ret = gnutls_record_get_state(s, read, NULL, &iv, &key, seq);
	if (ret < 0)
		return -EIO;

	switch (alg) {
	case GNUTLS_CIPHER_AES_128_GCM: {
		struct tls12_crypto_info_aes_gcm_128 *c = &ci->aes_gcm_128;

		if (key.size != sizeof(c->key) || iv.size != (tls13 ? 12 : 4))
			return -EPROTO;
		c->info.cipher_type = TLS_CIPHER_AES_GCM_128;
		memcpy(c->key, key.data, sizeof(c->key));
		memcpy(c->salt, iv.data, sizeof(c->salt));
		memcpy(c->iv, tls13 ? iv.data + 4 : seq, sizeof(c->iv));
		memcpy(c->rec_seq, seq, sizeof(c->rec_seq));
		return sizeof(*c);
	}
	case GNUTLS_CIPHER_AES_256_GCM: {
		struct tls12_crypto_info_aes_gcm_256 *c = &ci->aes_gcm_256;

		if (key.size != sizeof(c->key) || iv.size != (tls13 ? 12 : 4))
			return -EPROTO;
		c->info.cipher_type = TLS_CIPHER_AES_GCM_256;
		memcpy(c->key, key.data, sizeof(c->key));
		memcpy(c->salt, iv.data, sizeof(c->salt));
		memcpy(c->iv, tls13 ? iv.data + 4 : seq, sizeof(c->iv));
		memcpy(c->rec_seq, seq, sizeof(c->rec_seq));
		return sizeof(*c);
	}
	case GNUTLS_CIPHER_AES_128_CCM: {
		struct tls12_crypto_info_aes_ccm_128 *c = &ci->aes_ccm_128;

		if (key.size != sizeof(c->key) || iv.size != (tls13 ? 12 : 4))
			return -EPROTO;
		c->info.cipher_type = TLS_CIPHER_AES_CCM_128;
		memcpy(c->key, key.data, sizeof(c->key));
		memcpy(c->salt, iv.data, sizeof(c->salt));
		memcpy(c->iv, tls13 ? iv.data + 4 : seq, sizeof(c->iv));
		memcpy(c->rec_seq, seq, sizeof(c->rec_seq));
		return sizeof(*c);
	}
	case GNUTLS_CIPHER_CHACHA20_POLY1305: {
		struct tls12_crypto_info_chacha20_poly1305 *c = &ci->chacha20_poly1305;

		if (key.size != sizeof(c->key) || iv.size != sizeof(c->iv))
			return -EPROTO;
		c->info.cipher_type = TLS_CIPHER_CHACHA20_POLY1305;
		memcpy(c->key, key.data, sizeof(c->key));
		memcpy(c->iv, iv.data, sizeof(c->iv));
		memcpy(c->rec_seq, seq, sizeof(c->rec_seq));
		return sizeof(*c);
	}
	default:
		return -EPROTONOSUPPORT;	/* a cipher the kernel cannot run */
	}
}

/**
 * tlsockd_keys_extract() - fill the crypto state of both directions
 * @s: session whose handshake completed
 * @server: the local end is the server
 * @res: result; version, cipher, tx, rx and info_len are set
 *
 * Return: 0, -EPROTONOSUPPORT for a version or cipher the kernel does not
 * implement, or another negative errno.
 */
int tlsockd_keys_extract(gnutls_session_t s, bool server, struct tlsockd_result *res)
{
	gnutls_protocol_t ver = gnutls_protocol_get_version(s);
	gnutls_cipher_algorithm_t alg = gnutls_cipher_get(s);
	bool tls13;
	int tx, rx;

	(void)server;
	if (ver == GNUTLS_TLS1_3)
		res->version = TLS_1_3_VERSION;
	else if (ver == GNUTLS_TLS1_2)
		res->version = TLS_1_2_VERSION;
	else
		return -EPROTONOSUPPORT;
	tls13 = ver == GNUTLS_TLS1_3;
	res->version_name = gnutls_protocol_get_name(ver);
	res->cipher_name = gnutls_cipher_get_name(alg);

	tx = fill_dir(s, false, tls13, alg, &res->tx);
	rx = fill_dir(s, true, tls13, alg, &res->rx);
	if (tx < 0 || rx < 0)
		return tx < 0 ? tx : rx;
	res->tx.info.version = res->version;
	res->rx.info.version = res->version;
	res->cipher = res->tx.info.cipher_type;
	res->info_len = tx;
	if (tls13 && res->secrets_seen != 3)
		return -EPROTO;		/* the keylog hook saw no traffic secret */
	return 0;
}

static int keylog(gnutls_session_t s, const char *label, const gnutls_datum_t *secret)
{
	struct tlsockd_result *res = gnutls_session_get_ptr(s);
	bool client = !strcmp(label, "CLIENT_TRAFFIC_SECRET_0");
	uint8_t *dst;

	if (!client && strcmp(label, "SERVER_TRAFFIC_SECRET_0"))
		return 0;
	if (secret->size > TLSOCK_SECRET_MAX ||
	    (res->secret_len && res->secret_len != secret->size))
		return -1;
	dst = client == res->server ? res->secret_rx : res->secret_tx;
	memcpy(dst, secret->data, secret->size);
	res->secrets_seen |= dst == res->secret_tx ? 1 : 2;
	res->secret_len = secret->size;
	return 0;
}

/**
 * tlsockd_keys_keylog() - capture the TLS 1.3 traffic secrets of @s into @res
 * @s: session; its user pointer must be @res
 * @res: result
 */
void tlsockd_keys_keylog(gnutls_session_t s, struct tlsockd_result *res)
{
	gnutls_session_set_ptr(s, res);
	gnutls_session_set_keylog_function(s, keylog);
}

/**
 * tlsockd_result_reset() - make @res as good as zeroed, for the next handshake
 * @res: result
 *
 * @subject and the @san strings are read only up to their NUL and @nsan:
 * they need not be cleared byte by byte (5 KiB for every handshake).
 */
void tlsockd_result_reset(struct tlsockd_result *res)
{
	memset(res, 0, offsetof(struct tlsockd_result, subject));
	res->subject[0] = 0;
}

/**
 * tlsockd_result_wipe() - forget keys and secrets
 * @res: result
 */
void tlsockd_result_wipe(struct tlsockd_result *res)
{
	gnutls_memset(&res->tx, 0, sizeof(res->tx));
	gnutls_memset(&res->rx, 0, sizeof(res->rx));
	gnutls_memset(res->secret_tx, 0, sizeof(res->secret_tx));
	gnutls_memset(res->secret_rx, 0, sizeof(res->secret_rx));
}
