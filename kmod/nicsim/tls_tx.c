// SPDX-License-Identifier: GPL-2.0
/*
 * tlsock_nicsim: kTLS TX offload, done as a NIC does it.
 *
 * The kernel's device mode (net/tls/tls_device.c) hands the device TCP segments whose payload is
 * TLS records in plaintext: the stack wrote each record's header and explicit nonce, left room
 * for the tag, and keeps every record (struct tls_record_info) on the socket's list until TCP
 * has it acknowledged. The device must put ciphertext and tag in their place.
 *
 * This device works by whole records. For each record a segment touches it seals the whole
 * record (AES-GCM over the plaintext kept in the record's pages) into a buffer of its own and
 * copies out the part of the ciphertext and tag that falls into the segment. The last record
 * sealed stays in the buffer, so the segments of one record cost one encryption. A segment that
 * does not continue the previous one (a retransmission, a segment split differently) is found in
 * the stack's record list by its TCP sequence number like any other: no state needs rebuilding,
 * and no resync is ever requested. The segment is sealed in a private copy (its pages are shared
 * with TCP's retransmit queue) and its TCP checksum is completed here.
 */
#include <crypto/aead.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/scatterlist.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <net/ip6_checksum.h>
#include <net/tcp.h>
#include <net/tls.h>

#include "nicsim.h"

#define NICSIM_TAG_SIZE		16
#define NICSIM_SALT_SIZE	4
#define NICSIM_NONCE_SIZE	8
/* record header and explicit nonce; the AAD of TLS 1.2 has the same length */
#define NICSIM_PREFIX_SIZE	(TLS_HEADER_SIZE + NICSIM_NONCE_SIZE)
#define NICSIM_BUF_SIZE		(NICSIM_PREFIX_SIZE + TLS_MAX_PAYLOAD_SIZE + NICSIM_TAG_SIZE)

/**
 * struct nicsim_tls_tx - the device's state for one socket's TX offload
 * @lock: protects every other field against the transmit path of another CPU and against
 *        tls_dev_resync; taken with BHs off (the transmit path runs with them off).
 * @aead: gcm(aes) with the session key, synchronous (usable in the transmit path)
 * @req: the one request, used under @lock
 * @salt: the implicit part of the nonce
 * @buf: AAD, then the sealed record body and tag: byte i (i >= NICSIM_PREFIX_SIZE) is the
 *       record's byte i on the wire, as the AAD and the header are equally long
 * @cached: @buf holds a sealed record, the one ending at @cached_end_seq
 * @cached_end_seq: TCP sequence number just past the cached record
 * @cached_sn: the cached record's TLS sequence number
 * @expected_seq: where the last segment ended (segments elsewhere count as tx_tls_ooo)
 */
struct nicsim_tls_tx {
	spinlock_t lock;
	struct crypto_aead *aead;
	struct aead_request *req;
	u8 salt[NICSIM_SALT_SIZE];
	u8 *buf;
	bool cached;
	u32 cached_end_seq;
	u64 cached_sn;
	u32 expected_seq;
};

static struct nicsim_tls_tx **nicsim_tx_slot(struct tls_context *tls_ctx)
{
	BUILD_BUG_ON(sizeof(struct nicsim_tls_tx *) > TLS_DRIVER_STATE_SIZE_TX);
	return __tls_driver_ctx(tls_ctx, TLS_OFFLOAD_CTX_DIR_TX);
}

static void nicsim_tls_tx_free(struct nicsim_tls_tx *ntx)
{
	/* aead_request_free() and crypto_free_aead() wipe the request and the key schedule */
	aead_request_free(ntx->req);
	crypto_free_aead(ntx->aead);
	kfree_sensitive(ntx->buf);
	memzero_explicit(ntx->salt, sizeof(ntx->salt));
	kfree_sensitive(ntx);
}

static int nicsim_tls_tx_add(struct net_device *netdev, struct sock *sk,
			     struct tls_crypto_info *info, u32 start_seq)
{
	struct nicsim_priv *priv = netdev_priv(netdev);
	struct nicsim_tls_tx *ntx;
	const u8 *key, *salt;
	unsigned int keylen;
	int err;

	if (info->version != TLS_1_2_VERSION)
		return -EOPNOTSUPP;
	switch (info->cipher_type) {
	case TLS_CIPHER_AES_GCM_128: {
		struct tls12_crypto_info_aes_gcm_128 *gcm = (void *)info;

		key = gcm->key;
		keylen = sizeof(gcm->key);
		salt = gcm->salt;
		break;
	}
	case TLS_CIPHER_AES_GCM_256: {
		struct tls12_crypto_info_aes_gcm_256 *gcm = (void *)info;

		key = gcm->key;
		keylen = sizeof(gcm->key);
		salt = gcm->salt;
		break;
	}
	default:
		return -EOPNOTSUPP;
	}

	ntx = kzalloc(sizeof(*ntx), GFP_KERNEL);
	if (!ntx)
		return -ENOMEM;
	spin_lock_init(&ntx->lock);
	ntx->expected_seq = start_seq;
	memcpy(ntx->salt, salt, NICSIM_SALT_SIZE);

	ntx->buf = kmalloc(NICSIM_BUF_SIZE, GFP_KERNEL);
	if (!ntx->buf) {
		err = -ENOMEM;
		goto err_buf;
	}
	/* synchronous only: the transmit path cannot wait for a completion */
	ntx->aead = crypto_alloc_aead("gcm(aes)", 0, CRYPTO_ALG_ASYNC);
	if (IS_ERR(ntx->aead)) {
		err = PTR_ERR(ntx->aead);
		goto err_aead;
	}
	err = crypto_aead_setkey(ntx->aead, key, keylen);
	if (err)
		goto err_key;
	err = crypto_aead_setauthsize(ntx->aead, NICSIM_TAG_SIZE);
	if (err)
		goto err_key;
	ntx->req = aead_request_alloc(ntx->aead, GFP_KERNEL);
	if (!ntx->req) {
		err = -ENOMEM;
		goto err_key;
	}
	aead_request_set_callback(ntx->req, 0, NULL, NULL);

	*nicsim_tx_slot(tls_get_ctx(sk)) = ntx;
	atomic_inc(&priv->tls_tx_active);
	nicsim_stat_add(netdev, NICSIM_STAT_TX_TLS_CTX, 1);
	return 0;

err_key:
	crypto_free_aead(ntx->aead);
err_aead:
	kfree(ntx->buf);
err_buf:
	memzero_explicit(ntx->salt, sizeof(ntx->salt));
	kfree(ntx);
	return err;
}

static int nicsim_tls_dev_add(struct net_device *netdev, struct sock *sk,
			      enum tls_offload_ctx_dir direction,
			      struct tls_crypto_info *crypto_info, u32 start_offload_tcp_sn)
{
	if (direction != TLS_OFFLOAD_CTX_DIR_TX)
		return -EOPNOTSUPP;
	return nicsim_tls_tx_add(netdev, sk, crypto_info, start_offload_tcp_sn);
}

static void nicsim_tls_dev_del(struct net_device *netdev, struct tls_context *tls_ctx,
			       enum tls_offload_ctx_dir direction)
{
	struct nicsim_priv *priv = netdev_priv(netdev);
	struct nicsim_tls_tx **slot, *ntx;

	if (direction != TLS_OFFLOAD_CTX_DIR_TX)
		return;
	slot = nicsim_tx_slot(tls_ctx);
	ntx = *slot;
	if (!ntx)
		return;
	*slot = NULL;
	nicsim_tls_tx_free(ntx);
	atomic_dec(&priv->tls_tx_active);
	nicsim_stat_add(netdev, NICSIM_STAT_TX_TLS_DEL, 1);
}

/* The stack says its next record starts at @seq with sequence number @rcd_sn. Records are
 * looked up by TCP sequence, so only the cached record is forgotten.
 */
static int nicsim_tls_dev_resync(struct net_device *netdev, struct sock *sk, u32 seq,
				 u8 *rcd_sn, enum tls_offload_ctx_dir direction)
{
	struct nicsim_tls_tx *ntx;

	if (direction != TLS_OFFLOAD_CTX_DIR_TX)
		return -EOPNOTSUPP;
	ntx = *nicsim_tx_slot(tls_get_ctx(sk));
	if (!ntx)
		return -ENODEV;
	spin_lock_bh(&ntx->lock);
	ntx->cached = false;
	ntx->expected_seq = seq;
	spin_unlock_bh(&ntx->lock);
	nicsim_stat_add(netdev, NICSIM_STAT_TX_TLS_RESYNC, 1);
	return 0;
}

const struct tlsdev_ops tlsock_nicsim_tlsdev_ops = {
	.tls_dev_add	= nicsim_tls_dev_add,
	.tls_dev_del	= nicsim_tls_dev_del,
	.tls_dev_resync	= nicsim_tls_dev_resync,
};

/* Copy @len bytes from offset @off of @rec's pages to @dst. Under the offload context's lock. */
static int nicsim_record_read(const struct tls_record_info *rec, u32 off, u8 *dst, u32 len)
{
	int i;

	for (i = 0; i < rec->num_frags && len; i++) {
		const skb_frag_t *frag = &rec->frags[i];
		u32 size = skb_frag_size(frag), n;
		const u8 *src;

		if (off >= size) {
			off -= size;
			continue;
		}
		src = skb_frag_address_safe(frag);
		if (!src)
			return -EFAULT;
		n = min(len, size - off);
		memcpy(dst, src + off, n);
		dst += n;
		len -= n;
		off = 0;
	}
	return len ? -EPROTO : 0;
}

#define NICSIM_IV_SIZE	(NICSIM_SALT_SIZE + NICSIM_NONCE_SIZE)

/*
 * Load @rec into ntx->buf: the AAD, then the plaintext body. @iv gets the record's nonce, @body
 * the body's length. Under ntx->lock and @rec's offload context lock (which keeps the record and
 * its pages alive).
 */
static int nicsim_record_load(struct nicsim_tls_tx *ntx, const struct tls_record_info *rec,
			      u64 sn, u8 *iv, u32 *body)
{
	u8 hdr[NICSIM_PREFIX_SIZE];
	int err;

	if (rec->len < NICSIM_PREFIX_SIZE + NICSIM_TAG_SIZE ||
	    rec->len - NICSIM_PREFIX_SIZE - NICSIM_TAG_SIZE > TLS_MAX_PAYLOAD_SIZE)
		return -EPROTO;
	*body = rec->len - NICSIM_PREFIX_SIZE - NICSIM_TAG_SIZE;

	err = nicsim_record_read(rec, 0, hdr, sizeof(hdr));
	if (err)
		return err;
	/* the header's length covers nonce, body and tag */
	if (get_unaligned_be16(&hdr[3]) != rec->len - TLS_HEADER_SIZE)
		return -EPROTO;
	err = nicsim_record_read(rec, NICSIM_PREFIX_SIZE, ntx->buf + NICSIM_PREFIX_SIZE, *body);
	if (err)
		return err;

	/* TLS 1.2 AAD: sequence number, type, version, plaintext length */
	put_unaligned_be64(sn, ntx->buf);
	ntx->buf[8] = hdr[0];
	ntx->buf[9] = hdr[1];
	ntx->buf[10] = hdr[2];
	put_unaligned_be16(*body, &ntx->buf[11]);
	memcpy(iv, ntx->salt, NICSIM_SALT_SIZE);
	memcpy(iv + NICSIM_SALT_SIZE, hdr + TLS_HEADER_SIZE, NICSIM_NONCE_SIZE);
	return 0;
}

/* Seal the record nicsim_record_load() put in ntx->buf, in place. Under ntx->lock. */
static int nicsim_record_encrypt(struct nicsim_tls_tx *ntx, u8 *iv, u32 body)
{
	struct scatterlist sg;

	sg_init_one(&sg, ntx->buf, NICSIM_PREFIX_SIZE + body + NICSIM_TAG_SIZE);
	aead_request_set_ad(ntx->req, NICSIM_PREFIX_SIZE);
	aead_request_set_crypt(ntx->req, &sg, &sg, body, iv);
	return crypto_aead_encrypt(ntx->req);
}

/*
 * Seal the TCP payload @data of @len bytes starting at sequence @seq, in place (@data is the
 * device's private copy). Under ntx->lock. Returns 0 or a negative errno: -ENODATA when the
 * stack no longer has a record for some byte of it.
 */
static int nicsim_seal_payload(struct net_device *dev, struct nicsim_tls_tx *ntx,
			       struct tls_offload_context_tx *octx, u32 seq, u8 *data, u32 len)
{
	u32 pos = seq, end = seq + len;

	while (before(pos, end)) {
		u32 rec_start, rec_end, from, to, body = 0;
		u8 iv[NICSIM_IV_SIZE];
		struct tls_record_info *rec;
		unsigned long flags;
		bool load;
		u64 sn;
		int err = 0;

		spin_lock_irqsave(&octx->lock, flags);
		rec = tls_get_record(octx, pos, &sn);
		if (!rec) {
			spin_unlock_irqrestore(&octx->lock, flags);
			nicsim_stat_add(dev, NICSIM_STAT_TX_TLS_DROP_NO_SYNC_DATA, 1);
			return -ENODATA;
		}
		rec_end = rec->end_seq;
		if (tls_record_is_start_marker(rec)) {
			/* bytes sent before the offload started: they stay as they are */
			spin_unlock_irqrestore(&octx->lock, flags);
			if (!before(pos, rec_end))
				return -EPROTO;
			pos = before(rec_end, end) ? rec_end : end;
			continue;
		}
		rec_start = tls_record_start_seq(rec);
		load = !ntx->cached || ntx->cached_end_seq != rec_end || ntx->cached_sn != sn;
		if (before(pos, rec_start))
			err = -EPROTO;
		else if (load)
			err = nicsim_record_load(ntx, rec, sn, iv, &body);
		spin_unlock_irqrestore(&octx->lock, flags);

		if (!err && load) {
			ntx->cached = false;
			err = nicsim_record_encrypt(ntx, iv, body);
			if (!err) {
				ntx->cached = true;
				ntx->cached_end_seq = rec_end;
				ntx->cached_sn = sn;
				nicsim_stat_add(dev, NICSIM_STAT_TX_TLS_RECORDS_SEALED, 1);
			}
		}
		memzero_explicit(iv, sizeof(iv));
		if (err) {
			ntx->cached = false;
			return err;
		}

		/* this segment's part of the record, past the header and nonce */
		from = pos - rec_start;
		to = (before(rec_end, end) ? rec_end : end) - rec_start;
		if (from < NICSIM_PREFIX_SIZE)
			from = NICSIM_PREFIX_SIZE;
		if (from < to)
			memcpy(data + (rec_start + from - seq), ntx->buf + from, to - from);
		pos = rec_start + to;
	}
	return 0;
}

/* Complete the TCP checksum of a linear skb in software; the peer verifies it. */
static int nicsim_tcp_checksum(struct sk_buff *skb)
{
	unsigned int thoff = skb_transport_offset(skb), len = skb->len - thoff;
	struct tcphdr *th = tcp_hdr(skb);
	__wsum csum;

	th->check = 0;
	csum = csum_partial(th, len, 0);
	if (skb->protocol == htons(ETH_P_IP)) {
		const struct iphdr *iph = ip_hdr(skb);

		th->check = csum_tcpudp_magic(iph->saddr, iph->daddr, len, IPPROTO_TCP, csum);
	} else if (skb->protocol == htons(ETH_P_IPV6)) {
		const struct ipv6hdr *ip6h = ipv6_hdr(skb);

		th->check = csum_ipv6_magic(&ip6h->saddr, &ip6h->daddr, len, IPPROTO_TCP, csum);
	} else {
		return -EPROTO;
	}
	skb->ip_summed = CHECKSUM_NONE;
	return 0;
}

/**
 * tlsock_nicsim_tls_tx_wanted() - does this frame carry records the device must seal?
 * @skb: a frame in the device's transmit path
 * @dev: the device
 *
 * Context: the transmit path (BHs off, RCU read side).
 * Return: true when @skb holds plaintext of a socket whose TX offload is on @dev.
 */
bool tlsock_nicsim_tls_tx_wanted(const struct sk_buff *skb, const struct net_device *dev)
{
	if (!nicsim_skb_decrypted(skb) || !nicsim_skb_tx_offloaded(skb))
		return false;
	return rcu_access_pointer(tls_get_ctx(skb->sk)->netdev) == dev;
}

/**
 * tlsock_nicsim_tls_tx_seal() - seal the TLS records in a frame's TCP payload
 * @dev: the device
 * @skb: a frame for which tlsock_nicsim_tls_tx_wanted() said yes; consumed
 *
 * The frame is copied (its pages are TCP's retransmit queue's too), the copy's payload sealed
 * record by record from the socket's record list and its TCP checksum completed.
 *
 * Context: the transmit path (BHs off, RCU read side); allocates with GFP_ATOMIC.
 * Return: the sealed copy, or NULL when the frame was dropped (counted).
 */
struct sk_buff *tlsock_nicsim_tls_tx_seal(struct net_device *dev, struct sk_buff *skb)
{
	struct tls_context *tls_ctx = tls_get_ctx(skb->sk);
	struct tls_offload_context_tx *octx = tls_offload_ctx_tx(tls_ctx);
	struct nicsim_tls_tx *ntx = *nicsim_tx_slot(tls_ctx);
	unsigned int thoff, hlen, plen;
	struct sk_buff *nskb;
	struct tcphdr *th;
	u32 seq;
	int err;

	if (!ntx || !octx)
		goto err_drop;
	nskb = skb_copy(skb, GFP_ATOMIC);
	if (!nskb)
		goto err_drop;

	/* no TSO offered: the stack segmented already */
	if (skb_is_gso(nskb) || !skb_transport_header_was_set(nskb))
		goto err_copy;
	thoff = skb_transport_offset(nskb);
	if (thoff + sizeof(*th) > nskb->len)
		goto err_copy;
	th = tcp_hdr(nskb);
	hlen = thoff + th->doff * 4;
	if (th->doff < 5 || hlen > nskb->len)
		goto err_copy;
	plen = nskb->len - hlen;
	seq = ntohl(th->seq);

	if (plen) {
		spin_lock(&ntx->lock);
		if (seq != ntx->expected_seq)
			nicsim_stat_add(dev, NICSIM_STAT_TX_TLS_OOO, 1);
		err = nicsim_seal_payload(dev, ntx, octx, seq, nskb->data + hlen, plen);
		if (!err)
			ntx->expected_seq = seq + plen;
		spin_unlock(&ntx->lock);
		if (err)
			goto err_copy;
	}
	if (nicsim_tcp_checksum(nskb))
		goto err_copy;

	nicsim_stat_add(dev, NICSIM_STAT_TX_TLS_ENCRYPTED_PACKETS, 1);
	nicsim_stat_add(dev, NICSIM_STAT_TX_TLS_ENCRYPTED_BYTES, plen);
	consume_skb(skb);
	return nskb;

err_copy:
	kfree_skb(nskb);
err_drop:
	nicsim_stat_add(dev, NICSIM_STAT_TX_TLS_DROP_ERR, 1);
	kfree_skb(skb);
	return NULL;
}
