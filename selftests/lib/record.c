// SPDX-License-Identifier: GPL-2.0
/*
 * A userspace TLS record layer (RFC 5246 6.2.3.3, RFC 7905, RFC 8446 5.2)
 * on GnuTLS's AEAD API.  The tests use it to play a peer the kernel did not
 * write: to build valid records and then break them, and to check what a
 * TX socket put on the wire independently of any kernel code.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "lib.h"

static uint64_t tlsock_be64_get(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static void tlsock_be64_put(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = v & 0xff;
		v >>= 8;
	}
}

int tlsock_urec_init(struct tlsock_urec *u, const struct tlsock_keys *k)
{
	gnutls_aead_cipher_hd_t h;
	gnutls_datum_t key = {
		.data = (unsigned char *)k->key,
		.size = k->suite->key_len,
	};

	memset(u, 0, sizeof(*u));
	if (gnutls_aead_cipher_init(&h, k->suite->gnutls_alg, &key) < 0)
		return -ENOTSUP;
	u->keys = *k;
	u->seq = tlsock_be64_get(k->seq);
	u->aead = h;
	return 0;
}

void tlsock_urec_free(struct tlsock_urec *u)
{
	if (u->aead)
		gnutls_aead_cipher_deinit(u->aead);
	explicit_bzero(u, sizeof(*u));
}

/* The per-record nonce; @explicit is the 1.2 GCM/CCM explicit part. */
static void tlsock_urec_nonce(const struct tlsock_urec *u, uint64_t seq, const uint8_t *explicit,
			      uint8_t nonce[12])
{
	const struct tlsock_keys *k = &u->keys;
	uint8_t s[8];
	int i;

	memcpy(nonce, k->salt, k->suite->salt_len);
	memcpy(nonce + k->suite->salt_len, k->iv, k->suite->iv_len);
	if (tlsock_prepend_len(k) > TLSOCK_HDR_LEN) {
		memcpy(nonce + k->suite->salt_len, explicit, k->suite->iv_len);
		return;
	}
	tlsock_be64_put(s, seq);
	for (i = 0; i < 8; i++)
		nonce[4 + i] ^= s[i];
}

static size_t tlsock_urec_aad(const struct tlsock_urec *u, uint64_t seq, const uint8_t *hdr,
			      size_t plen, uint8_t aad[13])
{
	if (tlsock_is_13(&u->keys)) {
		memcpy(aad, hdr, TLSOCK_HDR_LEN);
		return TLSOCK_HDR_LEN;
	}
	tlsock_be64_put(aad, seq);
	aad[8] = hdr[0];
	aad[9] = hdr[1];
	aad[10] = hdr[2];
	aad[11] = plen >> 8;
	aad[12] = plen & 0xff;
	return 13;
}

/*
 * Build one record of @len bytes into @out.  The payload may exceed what
 * the protocol allows: tests use that.  Returns the record length.
 */
ssize_t tlsock_urec_seal(struct tlsock_urec *u, const struct tlsock_rec_spec *spec,
			 const void *data, size_t len, uint8_t *out, size_t size)
{
	const struct tlsock_keys *k = &u->keys;
	bool v13 = tlsock_is_13(k);
	size_t prepend = tlsock_prepend_len(k);
	size_t inner = len + (v13 ? 1 + spec->pad : 0);
	size_t total = prepend + inner + TLSOCK_TAG_LEN;
	uint64_t seq = spec->use_seq ? spec->seq : u->seq;
	uint8_t nonce[12], aad[13];
	size_t aadlen, clen;
	uint8_t *body = out + prepend;
	uint8_t *plain;
	int ret;

	if (total > size || total - TLSOCK_HDR_LEN > 0xffff)
		return -EMSGSIZE;
	out[0] = spec->outer ? spec->outer : (v13 ? TLSOCK_CT_DATA : spec->type);
	out[1] = 3;
	out[2] = 3;
	out[3] = (total - TLSOCK_HDR_LEN) >> 8;
	out[4] = (total - TLSOCK_HDR_LEN) & 0xff;
	if (prepend > TLSOCK_HDR_LEN)
		tlsock_be64_put(out + TLSOCK_HDR_LEN, seq);

	plain = malloc(inner ? inner : 1);
	if (!plain)
		return -ENOMEM;
	memcpy(plain, data, len);
	if (v13) {
		plain[len] = spec->type;
		memset(plain + len + 1, 0, spec->pad);
	}
	tlsock_urec_nonce(u, seq, out + TLSOCK_HDR_LEN, nonce);
	aadlen = tlsock_urec_aad(u, seq, out, inner, aad);
	clen = inner + TLSOCK_TAG_LEN;
	ret = gnutls_aead_cipher_encrypt(u->aead, nonce, sizeof(nonce), aad, aadlen,
					 TLSOCK_TAG_LEN, plain, inner, body, &clen);
	explicit_bzero(plain, inner);
	free(plain);
	if (ret < 0 || clen != inner + TLSOCK_TAG_LEN)
		return -EIO;
	if (!spec->use_seq)
		u->seq++;
	return total;
}

/* Length of the record starting at @buf, once its header is there. */
ssize_t tlsock_rec_total(const uint8_t *buf, size_t have)
{
	if (have < TLSOCK_HDR_LEN)
		return -EAGAIN;
	return TLSOCK_HDR_LEN + ((buf[3] << 8) | buf[4]);
}

/*
 * Authenticate and decrypt one complete record with the next sequence
 * number.  Returns the plaintext length and its content type in *type;
 * -EBADMSG when it does not authenticate or is malformed.
 */
ssize_t tlsock_urec_open(struct tlsock_urec *u, const uint8_t *rec, size_t len, uint8_t *type,
			 uint8_t *out, size_t size)
{
	const struct tlsock_keys *k = &u->keys;
	size_t prepend = tlsock_prepend_len(k);
	uint8_t nonce[12], aad[13];
	size_t clen, plen, aadlen;
	int ret;

	if (len < prepend + TLSOCK_TAG_LEN || tlsock_rec_total(rec, len) != (ssize_t)len)
		return -EBADMSG;
	if (rec[1] != 3 || rec[2] != 3)
		return -EBADMSG;
	clen = len - prepend;
	if (clen - TLSOCK_TAG_LEN > size)
		return -EMSGSIZE;
	tlsock_urec_nonce(u, u->seq, rec + TLSOCK_HDR_LEN, nonce);
	aadlen = tlsock_urec_aad(u, u->seq, rec, clen - TLSOCK_TAG_LEN, aad);
	plen = size;
	ret = gnutls_aead_cipher_decrypt(u->aead, nonce, sizeof(nonce), aad, aadlen,
					 TLSOCK_TAG_LEN, rec + prepend, clen, out, &plen);
	if (ret < 0)
		return -EBADMSG;
	*type = rec[0];
	if (tlsock_is_13(k)) {
		while (plen && !out[plen - 1])
			plen--;
		if (!plen || rec[0] != TLSOCK_CT_DATA)
			return -EBADMSG;
		*type = out[--plen];
	}
	u->seq++;
	return plen;
}
