// SPDX-License-Identifier: GPL-2.0
/*
 * What a TLS sender put on the wire, checked without slowing the TX-bound cases down: the
 * receiver that drops the ciphertext walks the record headers as they pass (application_data,
 * version 0x0303, a sane length, no truncated record at the end) and keeps a copy of the first
 * record. After the run that record is opened in userspace with GnuTLS's AEAD primitives and the
 * sender's keys, and must give back the first 16 KiB that were sent. A stack that sent plaintext,
 * garbage or records no peer could open fails the case instead of looking fast.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "bench.h"

#define TB_HDR		5
#define TB_TAG		16
#define TB_APPDATA	23

int tlsock_bench_wire_init(struct tlsock_bench_wire *w)
{
	memset(w, 0, sizeof(*w));
	w->first = malloc(TB_MAX_RECORD);
	return w->first ? 0 : -ENOMEM;
}

void tlsock_bench_wire_free(struct tlsock_bench_wire *w)
{
	free(w->first);
	memset(w, 0, sizeof(*w));
}

static void tb_keep(struct tlsock_bench_wire *w, const uint8_t *p, size_t n)
{
	if (!w->records && w->first_len + n <= TB_MAX_RECORD) {
		memcpy(w->first + w->first_len, p, n);
		w->first_len += n;
	}
}

/* Feed the next n bytes of the stream; -EBADMSG once they cannot be TLS records. */
int tlsock_bench_wire_feed(struct tlsock_bench_wire *w, const uint8_t *p, size_t n)
{
	size_t k, len;

	while (n) {
		if (w->hdr_len < TB_HDR) {
			k = TB_HDR - w->hdr_len < n ? TB_HDR - w->hdr_len : n;
			memcpy(w->hdr + w->hdr_len, p, k);
			tb_keep(w, p, k);
			w->hdr_len += k;
			p += k;
			n -= k;
			if (w->hdr_len < TB_HDR)
				break;
			len = (size_t)w->hdr[3] << 8 | w->hdr[4];
			if (w->hdr[0] != TB_APPDATA || w->hdr[1] != 3 || w->hdr[2] != 3 ||
			    len <= TB_TAG || len > TB_MAX_RECORD - TB_HDR)
				return -EBADMSG;
			w->body_left = len;
			continue;
		}
		k = w->body_left < n ? w->body_left : n;
		tb_keep(w, p, k);
		w->body_left -= k;
		p += k;
		n -= k;
		if (!w->body_left) {
			w->records++;
			w->hdr_len = 0;
		}
	}
	return 0;
}

/* The nonce and additional data of record number seq, per RFC 8446 5.3 and RFC 5246 6.2.3.3. */
static int tb_nonce_aad(const struct tlsock_bench_suite *s, const struct tlsock_bench_keyview *v,
			uint64_t seq, const uint8_t *rec, size_t len, uint8_t *nonce,
			uint8_t *aad, size_t *aad_len, size_t *skip)
{
	int explicit_iv = s->version == TLS_1_2_VERSION &&
			  s->cipher_type != TLS_CIPHER_CHACHA20_POLY1305;
	size_t pt_len;
	int i;

	*skip = 0;
	if (explicit_iv) {
		/* 4-byte salt, then the 8 bytes the record carries in front of its ciphertext */
		if (len < TB_HDR + 8 + TB_TAG)
			return -EBADMSG;
		memcpy(nonce, v->salt, 4);
		memcpy(nonce + 4, rec + TB_HDR, 8);
		*skip = 8;
	} else {
		/* the static 12-byte IV (salt then iv in the kernel's layout) XOR the sequence */
		if (v->salt_len)
			memcpy(nonce, v->salt, v->salt_len);
		memcpy(nonce + v->salt_len, v->iv, v->iv_len);
		for (i = 0; i < 8; i++)
			nonce[11 - i] ^= (uint8_t)(seq >> (8 * i));
	}
	if (s->version == TLS_1_3_VERSION) {
		memcpy(aad, rec, TB_HDR);
		*aad_len = TB_HDR;
		return 0;
	}
	pt_len = len - TB_HDR - *skip - TB_TAG;
	for (i = 0; i < 8; i++)
		aad[i] = (uint8_t)(seq >> (56 - 8 * i));
	aad[8] = TB_APPDATA;
	aad[9] = 3;
	aad[10] = 3;
	aad[11] = (uint8_t)(pt_len >> 8);
	aad[12] = (uint8_t)pt_len;
	*aad_len = 13;
	return 0;
}

/*
 * Open the first record kept by w with the sender's keys c and compare it with `expect`
 * (`expect_len` bytes, all of the first record's plaintext). 0, -EBADMSG, or -errno.
 */
int tlsock_bench_wire_check(struct tlsock_bench_wire *w, const struct tlsock_bench_suite *s,
			    const struct tlsock_bench_crypto *c, const uint8_t *expect,
			    size_t expect_len)
{
	struct tlsock_bench_crypto k = *c;
	struct tlsock_bench_keyview v;
	gnutls_aead_cipher_hd_t h;
	gnutls_datum_t key;
	uint8_t nonce[12], aad[13], *pt = NULL;
	size_t aad_len, skip, pt_len, len;
	uint64_t seq = 0;
	int i, err;

	if (!w->records)
		return -EBADMSG;
	len = (size_t)w->first[3] << 8 | w->first[4];
	len += TB_HDR;
	err = tlsock_bench_crypto_view(&k, &v);
	if (err)
		goto out;
	for (i = 0; i < 8; i++)
		seq = seq << 8 | v.seq[i];
	err = tb_nonce_aad(s, &v, seq, w->first, len, nonce, aad, &aad_len, &skip);
	if (err)
		goto out;
	key = (gnutls_datum_t){ v.key, v.key_len };
	err = gnutls_aead_cipher_init(&h, s->gnutls_cipher, &key);
	if (err < 0) {
		err = tlsock_bench_errno(err);
		goto out;
	}
	pt_len = len;
	pt = malloc(pt_len);
	err = pt ? 0 : -ENOMEM;
	if (!err && gnutls_aead_cipher_decrypt(h, nonce, sizeof(nonce), aad, aad_len, TB_TAG,
					       w->first + TB_HDR + skip, len - TB_HDR - skip, pt,
					       &pt_len) < 0)
		err = -EBADMSG;
	gnutls_aead_cipher_deinit(h);
	if (err)
		goto out;
	if (s->version == TLS_1_3_VERSION) {
		/* inner plaintext: content, the real type, then optional zero padding */
		while (pt_len && !pt[pt_len - 1])
			pt_len--;
		if (!pt_len || pt[--pt_len] != TB_APPDATA)
			err = -EBADMSG;
	}
	if (!err && (pt_len != expect_len || memcmp(pt, expect, expect_len)))
		err = -EBADMSG;
out:
	free(pt);
	explicit_bzero(&k, sizeof(k));
	return err;
}
