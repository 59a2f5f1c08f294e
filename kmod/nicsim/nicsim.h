/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tlsock_nicsim: a pair of virtual Ethernet devices that behaves like a NIC with kTLS crypto
 * offload (docs/nicsim.md). This header is shared by the module's files: the device private
 * data, the counters and the entry points each file gives the others.
 */
#ifndef _TLSOCK_NICSIM_H
#define _TLSOCK_NICSIM_H

#include <linux/atomic.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>

#define NICSIM_DRV_NAME		"tlsock_nicsim"

/*
 * The device counters; ethtool -S shows them by the names in nicsim_stat_names (ethtool.c),
 * the tls_* ones named as Documentation/networking/tls-offload.rst names them.
 */
enum nicsim_stat {
	NICSIM_STAT_TX_PACKETS,
	NICSIM_STAT_TX_BYTES,
	NICSIM_STAT_TX_DROPPED,
	NICSIM_STAT_RX_PACKETS,
	NICSIM_STAT_RX_BYTES,
	NICSIM_STAT_TX_TLS_ENCRYPTED_PACKETS,
	NICSIM_STAT_TX_TLS_ENCRYPTED_BYTES,
	NICSIM_STAT_TX_TLS_CTX,
	NICSIM_STAT_TX_TLS_DEL,
	NICSIM_STAT_TX_TLS_OOO,
	NICSIM_STAT_TX_TLS_RECORDS_SEALED,
	NICSIM_STAT_TX_TLS_DROP_NO_SYNC_DATA,
	NICSIM_STAT_TX_TLS_DROP_ERR,
	NICSIM_STAT_TX_TLS_RESYNC,
	NICSIM_STAT_COUNT
};

/**
 * struct nicsim_priv - one end of a nicsim pair
 * @peer: the other end. Written under RTNL (newlink, dellink), read under RCU by the transmit
 *        path (rcu_dereference) and under RTNL elsewhere (rtnl_dereference).
 * @stats: the counters, atomic: the transmit path of both ends and the tlsdev_ops update them.
 * @tls_tx_active: TX offload contexts this device holds now (tls_dev_add minus tls_dev_del).
 */
struct nicsim_priv {
	struct net_device __rcu *peer;
	atomic64_t stats[NICSIM_STAT_COUNT];
	atomic_t tls_tx_active;
};

static inline void nicsim_stat_add(struct net_device *dev, enum nicsim_stat stat, u64 n)
{
	struct nicsim_priv *priv = netdev_priv(dev);

	atomic64_add(n, &priv->stats[stat]);
}

static inline u64 nicsim_stat_read(const struct net_device *dev, enum nicsim_stat stat)
{
	const struct nicsim_priv *priv = netdev_priv(dev);

	return atomic64_read(&priv->stats[stat]);
}

/* The skb's "decrypted" mark (plaintext for the device to seal on TX, opened by the device on
 * RX): skb_is_decrypted() and CONFIG_SKB_DECRYPTED from 6.10, CONFIG_TLS_DEVICE before.
 */
#if defined(CONFIG_SKB_DECRYPTED) || \
	(!defined(TLSOCK_HAVE_SKB_IS_DECRYPTED) && defined(CONFIG_TLS_DEVICE))
static inline bool nicsim_skb_decrypted(const struct sk_buff *skb)
{
	return skb->decrypted;
}

static inline void nicsim_skb_set_decrypted(struct sk_buff *skb, bool on)
{
	skb->decrypted = on;
}
#else
static inline bool nicsim_skb_decrypted(const struct sk_buff *skb)
{
	return false;
}

static inline void nicsim_skb_set_decrypted(struct sk_buff *skb, bool on)
{
}
#endif

/* 6.1 asks the socket (tls_is_sk_tx_device_offloaded); 6.7 made the skb form */
#ifdef TLSOCK_HAVE_SKB_TX_DEVICE_OFFLOADED
#define nicsim_skb_tx_offloaded(skb)	tls_is_skb_tx_device_offloaded(skb)
#else
#define nicsim_skb_tx_offloaded(skb)	((skb)->sk && tls_is_sk_tx_device_offloaded((skb)->sk))
#endif

extern const struct tlsdev_ops tlsock_nicsim_tlsdev_ops;
extern const struct ethtool_ops tlsock_nicsim_ethtool_ops;

bool tlsock_nicsim_tls_tx_wanted(const struct sk_buff *skb, const struct net_device *dev);
struct sk_buff *tlsock_nicsim_tls_tx_seal(struct net_device *dev, struct sk_buff *skb);

#endif /* _TLSOCK_NICSIM_H */
