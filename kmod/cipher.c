// SPDX-License-Identifier: GPL-2.0
/*
 * Cipher suites and the AEAD seal/open of one TLS record.
 *
 * A record lives in an array of order-0 pages (struct tlsock_rec) that
 * starts with the 5-byte header.  Sealing and opening work in place: the
 * plaintext and the ciphertext occupy the same bytes, and the tag follows.
 * Large sends are sealed from the sender's pinned pages into the record,
 * and large reads opened from the record into the reader's pages.
 *
 *   TLS 1.2:  hdr(5) | explicit nonce (8, GCM/CCM only) | payload | tag(16)
 *   TLS 1.3:  hdr(5) | payload | inner content type | zero padding | tag(16)
 */
#include <linux/scatterlist.h>
#include <linux/string.h>
#include <linux/highmem.h>
#include <crypto/aead.h>

#include "tlsock.h"

#define TLSOCK_CIPHER(_type, _st, _salt, _explicit, _ccm, _12only, _alg, _name)	\
	{									\
		.type = (_type),						\
		.info_len = sizeof(struct _st),					\
		.key_len = sizeof_field(struct _st, key),			\
		.salt_len = (_salt),						\
		.iv_len = sizeof_field(struct _st, iv),				\
		.explicit_iv = (_explicit),					\
		.ccm = (_ccm),							\
		.tls12_only = (_12only),					\
		.key_off = offsetof(struct _st, key),				\
		.iv_off = offsetof(struct _st, iv),				\
		.salt_off = offsetof(struct _st, salt),				\
		.seq_off = offsetof(struct _st, rec_seq),			\
		.alg = (_alg),							\
		.name = (_name),						\
	}

static const struct tlsock_cipher tlsock_ciphers[] = {
	TLSOCK_CIPHER(TLS_CIPHER_AES_GCM_128, tls12_crypto_info_aes_gcm_128,
		      4, 8, false, false, "gcm(aes)", "aes-gcm-128"),
	TLSOCK_CIPHER(TLS_CIPHER_AES_GCM_256, tls12_crypto_info_aes_gcm_256,
		      4, 8, false, false, "gcm(aes)", "aes-gcm-256"),
	TLSOCK_CIPHER(TLS_CIPHER_AES_CCM_128, tls12_crypto_info_aes_ccm_128,
		      4, 8, true, false, "ccm(aes)", "aes-ccm-128"),
	TLSOCK_CIPHER(TLS_CIPHER_CHACHA20_POLY1305, tls12_crypto_info_chacha20_poly1305,
		      0, 0, false, false, "rfc7539(chacha20,poly1305)", "chacha20-poly1305"),
	TLSOCK_CIPHER(TLS_CIPHER_SM4_GCM, tls12_crypto_info_sm4_gcm,
		      4, 8, false, false, "gcm(sm4)", "sm4-gcm"),
	TLSOCK_CIPHER(TLS_CIPHER_SM4_CCM, tls12_crypto_info_sm4_ccm,
		      4, 8, true, false, "ccm(sm4)", "sm4-ccm"),
	TLSOCK_CIPHER(TLS_CIPHER_ARIA_GCM_128, tls12_crypto_info_aria_gcm_128,
		      4, 8, false, true, "gcm(aria)", "aria-gcm-128"),
	TLSOCK_CIPHER(TLS_CIPHER_ARIA_GCM_256, tls12_crypto_info_aria_gcm_256,
		      4, 8, false, true, "gcm(aria)", "aria-gcm-256"),
};

/* Every suite above has a 12-byte nonce made of salt and iv. */
static_assert(sizeof_field(struct tls12_crypto_info_aes_gcm_128, salt) +
	      sizeof_field(struct tls12_crypto_info_aes_gcm_128, iv) == TLSOCK_NONCE_LEN);
static_assert(sizeof_field(struct tls12_crypto_info_chacha20_poly1305, iv) == TLSOCK_NONCE_LEN);

/**
 * tlsock_cipher_find() - look up a cipher suite
 * @type: TLS_CIPHER_* value from userspace
 *
 * Context: any.
 * Return: the description, or NULL when tlsock does not know @type.
 */
const struct tlsock_cipher *tlsock_cipher_find(u16 type)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(tlsock_ciphers); i++)
		if (tlsock_ciphers[i].type == type)
			return &tlsock_ciphers[i];
	return NULL;
}

static_assert(ARRAY_SIZE(tlsock_ciphers) <= TLSOCK_AEAD_SUITES);

/* Index of @cipher in the table: its pool of spare transforms. */
static unsigned int tlsock_cipher_suite(const struct tlsock_cipher *cipher)
{
	return cipher - tlsock_ciphers;
}

/**
 * tlsock_crypto_init() - key one direction
 * @c: zeroed direction state to fill
 * @ci: validated crypto_info from userspace or tlsockd
 * @cipher: its cipher description
 *
 * Context: process context, may sleep.
 * Return: 0, or a negative errno with @c left empty and wiped.
 */
int tlsock_crypto_init(struct tlsock_crypto *c, const union tlsock_crypto_info *ci,
		       const struct tlsock_cipher *cipher)
{
	const u8 *raw = (const u8 *)ci;
	int err;

	/* a spare transform of this suite (aead_pool.c) saves the allocation */
	c->aead = tlsock_aead_take(tlsock_cipher_suite(cipher), &c->req);
	if (c->aead) {
		err = crypto_aead_setkey(c->aead, raw + cipher->key_off, cipher->key_len);
		if (err)
			goto err_free_aead;
		goto keyed;
	}
	c->aead = crypto_alloc_aead(cipher->alg, 0, 0);
	if (IS_ERR(c->aead)) {
		err = PTR_ERR(c->aead);
		c->aead = NULL;
		goto err_wipe;
	}
	err = crypto_aead_setkey(c->aead, raw + cipher->key_off, cipher->key_len);
	if (err)
		goto err_free_aead;
	err = crypto_aead_setauthsize(c->aead, TLSOCK_TAG_LEN);
	if (err)
		goto err_free_aead;
	c->req = aead_request_alloc(c->aead, GFP_KERNEL);
	if (!c->req) {
		err = -ENOMEM;
		goto err_free_aead;
	}
keyed:

	memcpy(c->nonce, raw + cipher->salt_off, cipher->salt_len);
	memcpy(c->nonce + cipher->salt_len, raw + cipher->iv_off, cipher->iv_len);
	memcpy(c->seq, raw + cipher->seq_off, TLSOCK_SEQ_LEN);
	memcpy(&c->info, ci, cipher->info_len);
	c->cipher = cipher;
	return 0;

err_free_aead:
	if (c->req)
		aead_request_free(c->req);
	c->req = NULL;
	crypto_free_aead(c->aead);
	c->aead = NULL;
err_wipe:
	memzero_explicit(c, sizeof(*c));
	return err;
}

/**
 * tlsock_crypto_free() - release and wipe one direction
 * @c: direction state; may be empty
 *
 * Context: any context that may free memory.
 */
void tlsock_crypto_free(struct tlsock_crypto *c)
{
	/* kept for reuse with a zero key, or freed */
	if (c->aead && c->req && c->cipher &&
	    tlsock_aead_give(tlsock_cipher_suite(c->cipher), c->cipher->key_len, c->aead, c->req))
		c->aead = NULL;
	if (c->aead) {
		if (c->req)
			aead_request_free(c->req);	/* kfree_sensitive() */
		crypto_free_aead(c->aead);	/* wipes the key schedule */
	}
	memzero_explicit(c, sizeof(*c));
}

static bool tlsock_seq_advance(u8 *seq)
{
	int i;

	for (i = TLSOCK_SEQ_LEN - 1; i >= 0; i--)
		if (++seq[i])
			return true;
	return false;	/* wrapped: the connection must not go on */
}

/* Fill sg[] with @len bytes of @rec from @off; returns entries used. */
static int tlsock_rec_sg(struct tlsock_rec *rec, u32 off, u32 len, struct scatterlist *sg)
{
	int n = 0;

	while (len) {
		u32 chunk = min_t(u32, len, PAGE_SIZE - offset_in_page(off));
		u32 poff;
		struct page *page = tlsock_rec_page(rec, off, &poff);

		sg_set_page(&sg[n++], page, chunk, poff);
		off += chunk;
		len -= chunk;
	}
	return n;
}

/* Per-record nonce: explicit one for TLS 1.2 AEADs, else iv XOR seq. */
static void tlsock_make_iv(struct tlsock_ctx *ctx, struct tlsock_crypto *c, const u8 *explicit)
{
	const struct tlsock_cipher *cipher = c->cipher;
	u8 *nonce = c->iv;
	int i;

	memset(c->iv, 0, sizeof(c->iv));
	if (cipher->ccm) {
		/* CCM: flags byte holding L' = 15 - 12 - 1 = 2, then the nonce */
		c->iv[0] = 2;
		nonce = c->iv + 1;
	}
	memcpy(nonce, c->nonce, TLSOCK_NONCE_LEN);
	if (!tlsock_is_13(ctx) && cipher->explicit_iv) {
		memcpy(nonce + cipher->salt_len, explicit, cipher->explicit_iv);
		return;
	}
	for (i = 0; i < TLSOCK_SEQ_LEN; i++)
		nonce[TLSOCK_NONCE_LEN - TLSOCK_SEQ_LEN + i] ^= c->seq[i];
}

static int tlsock_make_aad(struct tlsock_ctx *ctx, struct tlsock_crypto *c, const u8 *hdr,
			   u8 type, u32 plen)
{
	if (tlsock_is_13(ctx)) {
		memcpy(c->aad, hdr, TLSOCK_HDR_LEN);
		return TLSOCK_HDR_LEN;
	}
	memcpy(c->aad, c->seq, TLSOCK_SEQ_LEN);
	c->aad[8] = type;
	c->aad[9] = hdr[1];
	c->aad[10] = hdr[2];
	c->aad[11] = plen >> 8;
	c->aad[12] = plen & 0xff;
	return TLSOCK_AAD12_LEN;
}

static int tlsock_aead_crypt(struct tlsock_crypto *c, struct scatterlist *src,
			     struct scatterlist *dst, u32 len, int aadlen, bool enc)
{
	DECLARE_CRYPTO_WAIT(wait);
	int err;

	aead_request_set_tfm(c->req, c->aead);
	aead_request_set_callback(c->req, CRYPTO_TFM_REQ_MAY_BACKLOG | CRYPTO_TFM_REQ_MAY_SLEEP,
				  crypto_req_done, &wait);
	aead_request_set_ad(c->req, aadlen);
	aead_request_set_crypt(c->req, src, dst, len, c->iv);
	err = enc ? crypto_aead_encrypt(c->req) : crypto_aead_decrypt(c->req);
	return crypto_wait_req(err, &wait);
}

/*
 * Run the AEAD over @rec from @off.  @dst is NULL to work in place, else a
 * scatterlist whose entry 0 is free for the AAD, followed by room for the
 * output (decryption only).
 */
static int tlsock_aead_run(struct tlsock_crypto *c, struct tlsock_rec *rec, u32 off,
			   u32 cryptlen, u32 taglen, int aadlen, bool enc, struct scatterlist *dst)
{
	struct scatterlist sg[TLSOCK_REC_PAGES + 2];
	int n;

	sg_init_table(sg, ARRAY_SIZE(sg));
	sg_set_buf(&sg[0], c->aad, aadlen);
	n = 1 + tlsock_rec_sg(rec, off, cryptlen + taglen, sg + 1);
	sg_mark_end(&sg[n - 1]);
	if (dst)
		sg_set_buf(&dst[0], c->aad, aadlen);
	return tlsock_aead_crypt(c, sg, dst ?: sg, enc ? cryptlen : cryptlen + taglen, aadlen,
				 enc);
}

/* Header and explicit nonce of the next TX record, its IV and AAD; returns the AAD length. */
static int tlsock_seal_begin(struct tlsock_ctx *ctx, struct tlsock_rec *rec, u8 type, u32 plen)
{
	struct tlsock_crypto *c = &ctx->tx.crypto;
	u32 prepend = tlsock_rec_prepend(ctx);
	u32 inner = plen + (tlsock_is_13(ctx) ? 1 : 0);
	u8 *hdr = tlsock_rec_ptr(rec, 0);

	hdr[0] = tlsock_is_13(ctx) ? TLSOCK_CT_DATA : type;
	hdr[1] = 3;
	hdr[2] = 3;
	hdr[3] = (prepend - TLSOCK_HDR_LEN + inner + TLSOCK_TAG_LEN) >> 8;
	hdr[4] = (prepend - TLSOCK_HDR_LEN + inner + TLSOCK_TAG_LEN) & 0xff;
	if (prepend > TLSOCK_HDR_LEN)
		memcpy(hdr + TLSOCK_HDR_LEN, c->nonce + c->cipher->salt_len, c->cipher->explicit_iv);

	tlsock_make_iv(ctx, c, hdr + TLSOCK_HDR_LEN);
	return tlsock_make_aad(ctx, c, hdr, type, plen);
}

/* The record is sealed: set its length and move to the next sequence number. */
static int tlsock_seal_end(struct tlsock_ctx *ctx, struct tlsock_rec *rec, u32 plen)
{
	struct tlsock_crypto *c = &ctx->tx.crypto;
	u32 prepend = tlsock_rec_prepend(ctx);

	rec->need = prepend + plen + (tlsock_is_13(ctx) ? 1 : 0) + TLSOCK_TAG_LEN;
	if (!tlsock_seq_advance(c->seq))
		return -EBADMSG;
	if (prepend > TLSOCK_HDR_LEN)
		tlsock_seq_advance(c->nonce + c->cipher->salt_len);
	return 0;
}

/**
 * tlsock_crypto_seal() - turn @plen bytes of plaintext into a record
 * @ctx: context with TX configured
 * @rec: record whose pages hold the plaintext at tlsock_rec_prepend() and
 *	have room for the overhead
 * @type: content type
 * @plen: plaintext length, at most TLSOCK_MAX_PAYLOAD
 *
 * Writes header, explicit nonce, ciphertext and tag, sets @rec->need to the
 * record length and advances the TX sequence number.
 *
 * Context: process context, may sleep; tx_lock and socket lock held.
 * Return: 0 or a negative errno (the record must then not be sent).
 */
int tlsock_crypto_seal(struct tlsock_ctx *ctx, struct tlsock_rec *rec, u8 type, u32 plen)
{
	struct tlsock_crypto *c = &ctx->tx.crypto;
	u32 prepend = tlsock_rec_prepend(ctx);
	u32 inner = plen;
	int aadlen, err;

	if (tlsock_is_13(ctx)) {
		*tlsock_rec_ptr(rec, prepend + plen) = type;
		inner++;
	}
	aadlen = tlsock_seal_begin(ctx, rec, type, plen);
	err = tlsock_aead_run(c, rec, prepend, inner, TLSOCK_TAG_LEN, aadlen, true, NULL);
	if (err)
		return err;
	return tlsock_seal_end(ctx, rec, plen);
}

/**
 * tlsock_crypto_seal_from() - seal plaintext that lies outside the record
 * @ctx: context with TX configured
 * @rec: record with pages for the whole sealed record (nothing in them yet)
 * @type: content type
 * @plen: plaintext length, at most TLSOCK_MAX_PAYLOAD
 * @src: entry 0 free for the AAD, entries 1 to @nsrc - 1 the @plen bytes of
 *	plaintext (pinned user pages), then at least one free entry
 * @nsrc: entries of @src in use
 *
 * As tlsock_crypto_seal(), but the AEAD reads the plaintext from @src and
 * writes the ciphertext into @rec: the plaintext is never copied.
 *
 * Context: process context, may sleep; tx_lock and socket lock held.
 * Return: 0 or a negative errno (the record must then not be sent).
 */
int tlsock_crypto_seal_from(struct tlsock_ctx *ctx, struct tlsock_rec *rec, u8 type, u32 plen,
			    struct scatterlist *src, int nsrc)
{
	struct tlsock_crypto *c = &ctx->tx.crypto;
	struct scatterlist dst[TLSOCK_REC_PAGES + 1];
	u32 inner = plen + (tlsock_is_13(ctx) ? 1 : 0);
	int aadlen, n, err;

	aadlen = tlsock_seal_begin(ctx, rec, type, plen);
	sg_set_buf(&src[0], c->aad, aadlen);
	if (tlsock_is_13(ctx)) {
		/* the inner content type follows the plaintext; it must not be on the stack */
		ctx->tx.inner_type = type;
		sg_set_buf(&src[nsrc++], &ctx->tx.inner_type, 1);
	}
	sg_mark_end(&src[nsrc - 1]);

	/* the AAD is passed through to the output: the same bytes, so it stays put */
	sg_init_table(dst, ARRAY_SIZE(dst));
	sg_set_buf(&dst[0], c->aad, aadlen);
	n = 1 + tlsock_rec_sg(rec, tlsock_rec_prepend(ctx), inner + TLSOCK_TAG_LEN, dst + 1);
	sg_mark_end(&dst[n - 1]);
	err = tlsock_aead_crypt(c, src, dst, inner, aadlen, true);
	if (err)
		return err;
	return tlsock_seal_end(ctx, rec, plen);
}

/**
 * tlsock_crypto_open() - authenticate and decrypt a complete record
 * @ctx: context with RX configured
 * @rec: complete raw record (@rec->have == @rec->need)
 *
 * On success @rec holds plaintext: @rec->type, @rec->off, @rec->len are set
 * and the RX sequence number is advanced.
 *
 * Context: process context, may sleep; socket lock held by the reader.
 * Return: 0, -EBADMSG when the record does not authenticate or is
 * malformed, or another negative errno from the crypto layer.
 */
int tlsock_crypto_open(struct tlsock_ctx *ctx, struct tlsock_rec *rec)
{
	struct tlsock_crypto *c = &ctx->rx.crypto;
	u32 prepend = tlsock_rec_prepend(ctx);
	u8 *hdr = tlsock_rec_ptr(rec, 0);
	u32 clen, plen;
	int aadlen, err;

	if (rec->need < prepend + TLSOCK_TAG_LEN)
		return -EBADMSG;
	clen = rec->need - prepend - TLSOCK_TAG_LEN;

	tlsock_make_iv(ctx, c, hdr + TLSOCK_HDR_LEN);
	aadlen = tlsock_make_aad(ctx, c, hdr, hdr[0], clen);
	err = tlsock_aead_run(c, rec, prepend, clen, TLSOCK_TAG_LEN, aadlen, false, NULL);
	if (err)
		return err == -EBADMSG ? -EBADMSG : err;

	plen = clen;
	rec->type = hdr[0];
	if (tlsock_is_13(ctx)) {
		/* strip the zero padding; the last non-zero byte is the type */
		while (plen && !*tlsock_rec_ptr(rec, prepend + plen - 1))
			plen--;
		if (!plen)
			return -EBADMSG;
		plen--;
		rec->type = *tlsock_rec_ptr(rec, prepend + plen);
		if (hdr[0] != TLSOCK_CT_DATA)
			return -EBADMSG;
	}
	if (plen > TLSOCK_MAX_PAYLOAD)
		return -EMSGSIZE;

	rec->off = prepend;
	rec->len = plen;
	rec->pos = 0;
	rec->decrypted = true;
	if (!tlsock_seq_advance(c->seq))
		return -EBADMSG;
	return 0;
}

/**
 * tlsock_crypto_open_to() - authenticate and decrypt a record into @dst
 * @ctx: context with RX configured
 * @rec: raw record; left untouched (so it can be opened again).  Its header
 *	and explicit nonce are always in it; the rest too unless @src is given
 * @src: NULL, or entry 0 free for the AAD followed by the record's
 *	ciphertext and tag (in TCP's queue), properly terminated
 * @dst: entry 0 free for the AAD, then room for the whole inner
 *	plaintext (tlsock_rec_clen() bytes), properly terminated
 *
 * The caller finds the content type (TLS 1.3: the last non-zero byte of
 * the output; TLS 1.2: the header).  The sequence number is advanced; a
 * caller that opens the record again afterwards restores it first.
 *
 * Context: process context, may sleep; socket lock held by the reader.
 * Return: 0 or a negative errno (-EBADMSG: the record does not authenticate).
 */
int tlsock_crypto_open_to(struct tlsock_ctx *ctx, struct tlsock_rec *rec, struct scatterlist *src,
			  struct scatterlist *dst)
{
	struct tlsock_crypto *c = &ctx->rx.crypto;
	u32 prepend = tlsock_rec_prepend(ctx);
	u8 *hdr = tlsock_rec_ptr(rec, 0);
	u32 clen = rec->need - prepend - TLSOCK_TAG_LEN;
	int aadlen, err;

	tlsock_make_iv(ctx, c, hdr + TLSOCK_HDR_LEN);
	aadlen = tlsock_make_aad(ctx, c, hdr, hdr[0], clen);
	if (src) {
		sg_set_buf(&src[0], c->aad, aadlen);
		sg_set_buf(&dst[0], c->aad, aadlen);
		err = tlsock_aead_crypt(c, src, dst, clen + TLSOCK_TAG_LEN, aadlen, false);
	} else {
		err = tlsock_aead_run(c, rec, prepend, clen, TLSOCK_TAG_LEN, aadlen, false, dst);
	}
	if (err)
		return err == -EBADMSG ? -EBADMSG : err;
	if (!tlsock_seq_advance(c->seq))
		return -EBADMSG;
	return 0;
}
