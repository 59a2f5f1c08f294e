// SPDX-License-Identifier: GPL-2.0
/*
 * The hand-off: attach a TCP ULP and give it the record state GnuTLS negotiated, in the kernel's
 * struct tls12_crypto_info_* through SOL_TLS / TLS_TX and TLS_RX.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <gnutls/gnutls.h>
#include <linux/tls.h>

#include "peer.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

union crypto_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 aes_gcm_128;
	struct tls12_crypto_info_aes_gcm_256 aes_gcm_256;
	struct tls12_crypto_info_chacha20_poly1305 chacha20_poly1305;
	struct tls12_crypto_info_aes_ccm_128 aes_ccm_128;
};

/* where one cipher's struct keeps each part */
struct crypto_fields {
	unsigned char *iv;
	unsigned char *key;
	unsigned char *salt;
	unsigned char *rec_seq;
	socklen_t len;
};

#define FIELDS_OF(f, s)							\
	do {								\
		(f)->iv = (s).iv;					\
		(f)->key = (s).key;					\
		(f)->salt = (s).salt;					\
		(f)->rec_seq = (s).rec_seq;				\
		(f)->len = sizeof(s);					\
	} while (0)

static int crypto_fields(union crypto_info *ci, unsigned short type, struct crypto_fields *f)
{
	switch (type) {
	case TLS_CIPHER_AES_GCM_128:
		FIELDS_OF(f, ci->aes_gcm_128);
		return 0;
	case TLS_CIPHER_AES_GCM_256:
		FIELDS_OF(f, ci->aes_gcm_256);
		return 0;
	case TLS_CIPHER_CHACHA20_POLY1305:
		FIELDS_OF(f, ci->chacha20_poly1305);
		return 0;
	case TLS_CIPHER_AES_CCM_128:
		FIELDS_OF(f, ci->aes_ccm_128);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/*
 * GnuTLS gives the whole nonce IV for TLS 1.3 and ChaCha20 (salt followed by the part the kernel
 * calls iv), but only the implicit 4-byte salt for TLS 1.2 AES-GCM/CCM; there the explicit nonce
 * of each record is its sequence number, as GnuTLS itself sends it.
 */
static int fill(struct tlsock_peer_conn *conn, unsigned int read, union crypto_info *ci,
		socklen_t *lenp)
{
	const struct tlsock_cipher *c;
	struct crypto_fields f;
	gnutls_datum_t mac, iv, key;
	unsigned char seq[8];
	int ret;

	c = tlsock_cipher_by_gnutls(gnutls_cipher_get(conn->session));
	if (!c) {
		conn->what = "cipher has no kernel equivalent";
		return -EOPNOTSUPP;
	}
	ret = gnutls_record_get_state(conn->session, read, &mac, &iv, &key, seq);
	if (ret < 0) {
		conn->gnutls_err = ret;
		conn->what = "gnutls_record_get_state";
		return -EPROTO;
	}

	memset(ci, 0, sizeof(*ci));
	ci->info.version = gnutls_protocol_get_version(conn->session) == GNUTLS_TLS1_3 ?
			   TLS_1_3_VERSION : TLS_1_2_VERSION;
	ci->info.cipher_type = c->kernel;
	ret = crypto_fields(ci, c->kernel, &f);
	if (ret)
		goto out;

	ret = -EINVAL;
	conn->what = "unexpected key or IV size from GnuTLS";
	if (key.size != c->key_size)
		goto out;
	if (iv.size == c->salt_size + c->iv_size) {
		memcpy(f.salt, iv.data, c->salt_size);
		memcpy(f.iv, iv.data + c->salt_size, c->iv_size);
	} else if (iv.size == c->salt_size && c->iv_size == sizeof(seq) &&
		   ci->info.version == TLS_1_2_VERSION) {
		memcpy(f.salt, iv.data, c->salt_size);
		memcpy(f.iv, seq, sizeof(seq));
	} else {
		goto out;
	}
	memcpy(f.key, key.data, c->key_size);
	memcpy(f.rec_seq, seq, sizeof(seq));
	*lenp = f.len;
	conn->what = NULL;
	ret = 0;
out:
	gnutls_memset(seq, 0, sizeof(seq));
	if (ret)
		gnutls_memset(ci, 0, sizeof(*ci));
	return ret;
}

static int attach_ulp(struct tlsock_peer_conn *conn, const char *ulp)
{
	char name[32] = "";
	socklen_t len = sizeof(name) - 1;

	if (setsockopt(conn->fd, SOL_TCP, TCP_ULP, ulp, strlen(ulp))) {
		conn->what = "setsockopt(TCP_ULP)";
		return -errno;
	}
	if (getsockopt(conn->fd, SOL_TCP, TCP_ULP, name, &len)) {
		conn->what = "getsockopt(TCP_ULP)";
		return -errno;
	}
	if (strcmp(name, ulp)) {
		conn->what = "getsockopt(TCP_ULP) names another ULP";
		return -EPROTO;
	}
	return 0;
}

static int set_direction(struct tlsock_peer_conn *conn, unsigned int read)
{
	union crypto_info ci;
	socklen_t len;
	int ret;

	ret = fill(conn, read, &ci, &len);
	if (ret)
		return ret;
	ret = 0;
	if (setsockopt(conn->fd, SOL_TLS, read ? TLS_RX : TLS_TX, &ci, len)) {
		ret = -errno;
		conn->what = read ? "setsockopt(TLS_RX)" : "setsockopt(TLS_TX)";
	}
	gnutls_memset(&ci, 0, sizeof(ci));
	return ret;
}

/**
 * tlsock_offload() - move the record layer of an established session into the kernel
 * @conn: connection whose handshake completed at a record boundary
 * @ulp: TCP ULP to attach ("tlsock", "tls"), or "none" to keep GnuTLS' record layer
 *
 * Return: 0 on success, -errno with @conn->what naming the failed step otherwise.
 */
int tlsock_offload(struct tlsock_peer_conn *conn, const char *ulp)
{
	int ret;

	/* records the peer sent after the handshake wait in the socket for the kernel */
	if (ioctl(conn->fd, FIONREAD, &conn->queued)) {
		conn->what = "ioctl(FIONREAD)";
		return -errno;
	}
	if (!strcmp(ulp, "none"))
		return 0;
	ret = attach_ulp(conn, ulp);
	if (ret)
		return ret;
	ret = set_direction(conn, 0);
	if (ret)
		return ret;
	ret = set_direction(conn, 1);
	if (ret)
		return ret;
	conn->kernel = true;
	return 0;
}
