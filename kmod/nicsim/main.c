// SPDX-License-Identifier: GPL-2.0
/*
 * tlsock_nicsim: the device pair. `ip link add A type nicsim` makes two Ethernet devices joined
 * back to back: what one transmits, the other receives. A frame that carries plaintext TLS
 * records of a socket the kernel offloaded to this device is sealed first (tls_tx.c), so the
 * peer receives real TLS, as from a NIC with kTLS TX offload.
 *
 * Stock iproute2 passes no type-specific options for a kind it does not know, so without a
 * NICSIM_INFO_PEER attribute the peer is named by the kernel ("nicsim%d"); `ip link` shows it as
 * A@nicsimN and it can be renamed and moved like any device.
 */
#include <linux/etherdevice.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <net/net_namespace.h>
#include <net/rtnetlink.h>
#include <net/tls.h>

#include "nicsim.h"

/* IFLA_INFO_DATA attributes: the peer as a nested struct ifinfomsg and IFLA_* attributes, laid
 * out like veth's VETH_INFO_PEER so the same netlink code can make either.
 */
enum {
	NICSIM_INFO_UNSPEC,
	NICSIM_INFO_PEER,
	__NICSIM_INFO_MAX
};
#define NICSIM_INFO_MAX	(__NICSIM_INFO_MAX - 1)

static const struct nla_policy nicsim_policy[NICSIM_INFO_MAX + 1] = {
	[NICSIM_INFO_PEER] = { .len = sizeof(struct ifinfomsg) },
};

static struct rtnl_link_ops nicsim_link_ops;

static netdev_tx_t nicsim_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct nicsim_priv *priv = netdev_priv(dev);
	struct net_device *peer;
	unsigned int len;

	rcu_read_lock();
	peer = rcu_dereference(priv->peer);
	if (unlikely(!peer))
		goto drop;

	if (tlsock_nicsim_tls_tx_wanted(skb, dev)) {
		skb = tlsock_nicsim_tls_tx_seal(dev, skb);
		if (!skb)
			goto dropped;
	}
	/* The mark is the sending stack's; a wire carries no such bit. */
	nicsim_skb_set_decrypted(skb, false);

	len = skb->len;
	if (dev_forward_skb(peer, skb) != NET_RX_SUCCESS)
		goto dropped;
	nicsim_stat_add(dev, NICSIM_STAT_TX_PACKETS, 1);
	nicsim_stat_add(dev, NICSIM_STAT_TX_BYTES, len);
	nicsim_stat_add(peer, NICSIM_STAT_RX_PACKETS, 1);
	nicsim_stat_add(peer, NICSIM_STAT_RX_BYTES, len);
	rcu_read_unlock();
	return NETDEV_TX_OK;

drop:
	kfree_skb(skb);
dropped:
	nicsim_stat_add(dev, NICSIM_STAT_TX_DROPPED, 1);
	rcu_read_unlock();
	return NETDEV_TX_OK;
}

static int nicsim_open(struct net_device *dev)
{
	struct nicsim_priv *priv = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(priv->peer);

	if (!peer)
		return -ENOTCONN;
	if (peer->flags & IFF_UP) {
		netif_carrier_on(dev);
		netif_carrier_on(peer);
	}
	return 0;
}

static int nicsim_stop(struct net_device *dev)
{
	struct nicsim_priv *priv = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(priv->peer);

	netif_carrier_off(dev);
	if (peer)
		netif_carrier_off(peer);
	return 0;
}

static void nicsim_get_stats64(struct net_device *dev, struct rtnl_link_stats64 *s)
{
	s->tx_packets = nicsim_stat_read(dev, NICSIM_STAT_TX_PACKETS);
	s->tx_bytes = nicsim_stat_read(dev, NICSIM_STAT_TX_BYTES);
	s->tx_dropped = nicsim_stat_read(dev, NICSIM_STAT_TX_DROPPED);
	s->rx_packets = nicsim_stat_read(dev, NICSIM_STAT_RX_PACKETS);
	s->rx_bytes = nicsim_stat_read(dev, NICSIM_STAT_RX_BYTES);
}

static int nicsim_get_iflink(const struct net_device *dev)
{
	struct nicsim_priv *priv = netdev_priv(dev);
	struct net_device *peer;
	int ifindex = 0;

	rcu_read_lock();
	peer = rcu_dereference(priv->peer);
	if (peer)
		ifindex = peer->ifindex;
	rcu_read_unlock();
	return ifindex;
}

static const struct net_device_ops nicsim_netdev_ops = {
	.ndo_open		= nicsim_open,
	.ndo_stop		= nicsim_stop,
	.ndo_start_xmit		= nicsim_xmit,
	.ndo_get_stats64	= nicsim_get_stats64,
	.ndo_get_iflink		= nicsim_get_iflink,
	.ndo_set_mac_address	= eth_mac_addr,
	.ndo_validate_addr	= eth_validate_addr,
};

/* Offered and on by default: scatter-gather, checksum (completed by the device, tls_tx.c, for
 * the frames it seals) and TLS TX offload. No TSO: the stack segments before the device.
 */
#define NICSIM_FEATURES	(NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_HIGHDMA | NETIF_F_HW_TLS_TX)

static void nicsim_setup(struct net_device *dev)
{
	ether_setup(dev);
	dev->netdev_ops = &nicsim_netdev_ops;
	dev->ethtool_ops = &tlsock_nicsim_ethtool_ops;
	dev->tlsdev_ops = &tlsock_nicsim_tlsdev_ops;
	dev->priv_flags |= IFF_NO_QUEUE;
	dev->priv_flags &= ~IFF_TX_SKB_SHARING;
	dev->needs_free_netdev = true;
	dev->features |= NICSIM_FEATURES;
	dev->hw_features |= NICSIM_FEATURES;
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = ETH_MAX_MTU;
	eth_hw_addr_random(dev);
}

/* An address asked for either end (IFLA_ADDRESS) must be one unicast Ethernet address. */
static int nicsim_validate(struct nlattr *tb[], struct nlattr *data[],
			   struct netlink_ext_ack *extack)
{
	const struct nlattr *mac = tb[IFLA_ADDRESS];

	if (!mac)
		return 0;	/* a random one is chosen */
	if (nla_len(mac) != ETH_ALEN) {
		NL_SET_ERR_MSG_ATTR(extack, mac, "nicsim: the address must be 6 bytes");
		return -EINVAL;
	}
	if (is_valid_ether_addr(nla_data(mac)))
		return 0;
	NL_SET_ERR_MSG_ATTR(extack, mac, "nicsim: not a unicast Ethernet address");
	return -EADDRNOTAVAIL;
}

/*
 * nicsim_newlink_common() - make the peer, register both ends and join them
 * @src_net: the requester's namespace, for a peer namespace named in the peer's attributes
 * @peer_net: the peer's namespace when the core resolved it (7.x), else NULL
 *
 * Called under RTNL.
 */
static int nicsim_newlink_common(struct net *src_net, struct net *peer_net,
				 struct net_device *dev, struct nlattr *tb[],
				 struct nlattr *data[], struct netlink_ext_ack *extack)
{
	struct nlattr *peer_tb[IFLA_MAX + 1] = {};
	unsigned char name_assign_type = NET_NAME_ENUM;
	struct nicsim_priv *priv, *peer_priv;
	const char *peer_name = "nicsim%d";
	struct net *net, *owned_net = NULL;
	struct net_device *peer;
	int err;

	if (data && data[NICSIM_INFO_PEER]) {
		err = rtnl_nla_parse_ifinfomsg(peer_tb, data[NICSIM_INFO_PEER], extack);
		if (err < 0)
			return err;
		err = nicsim_validate(peer_tb, NULL, extack);
		if (err)
			return err;
		if (peer_tb[IFLA_IFNAME]) {
			peer_name = nla_data(peer_tb[IFLA_IFNAME]);
			name_assign_type = NET_NAME_USER;
		}
	}

	net = peer_net;
	if (!net) {
		owned_net = rtnl_link_get_net(src_net, peer_tb);
		if (IS_ERR(owned_net))
			return PTR_ERR(owned_net);
		net = owned_net;
	}

	peer = rtnl_create_link(net, peer_name, name_assign_type, &nicsim_link_ops, peer_tb, extack);
	if (IS_ERR(peer)) {
		err = PTR_ERR(peer);
		goto err_net;
	}
	if (!peer_tb[IFLA_ADDRESS])
		eth_hw_addr_random(peer);
	if (!tb[IFLA_ADDRESS])
		eth_hw_addr_random(dev);

	err = register_netdevice(peer);
	if (err < 0)
		goto err_free_peer;
	netif_carrier_off(peer);

	err = rtnl_configure_link(peer, NULL, 0, NULL);
	if (err < 0)
		goto err_unregister_peer;

	/* the core named dev already, from IFLA_IFNAME or "nicsim%d" */
	err = register_netdevice(dev);
	if (err < 0)
		goto err_unregister_peer;
	netif_carrier_off(dev);

	priv = netdev_priv(dev);
	peer_priv = netdev_priv(peer);
	rcu_assign_pointer(priv->peer, peer);
	rcu_assign_pointer(peer_priv->peer, dev);

	if (owned_net)
		put_net(owned_net);
	return 0;

err_unregister_peer:
	/* needs_free_netdev: unregistering frees it */
	unregister_netdevice(peer);
	goto err_net;
err_free_peer:
	free_netdev(peer);
err_net:
	if (owned_net)
		put_net(owned_net);
	return err;
}

#ifdef TLSOCK_HAVE_RTNL_NEWLINK_PARAMS
static int nicsim_newlink(struct net_device *dev, struct rtnl_newlink_params *params,
			  struct netlink_ext_ack *extack)
{
	return nicsim_newlink_common(params->src_net, rtnl_newlink_peer_net(params), dev,
				     params->tb, params->data, extack);
}
#else
static int nicsim_newlink(struct net *src_net, struct net_device *dev, struct nlattr *tb[],
			  struct nlattr *data[], struct netlink_ext_ack *extack)
{
	return nicsim_newlink_common(src_net, NULL, dev, tb, data, extack);
}
#endif

/* Deleting either end deletes both. Called under RTNL. */
static void nicsim_dellink(struct net_device *dev, struct list_head *head)
{
	struct nicsim_priv *priv = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(priv->peer);

	unregister_netdevice_queue(dev, head);
	RCU_INIT_POINTER(priv->peer, NULL);
	if (peer) {
		struct nicsim_priv *peer_priv = netdev_priv(peer);

		RCU_INIT_POINTER(peer_priv->peer, NULL);
		unregister_netdevice_queue(peer, head);
	}
}

static struct net *nicsim_get_link_net(const struct net_device *dev)
{
	struct nicsim_priv *priv = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(priv->peer);

	return peer ? dev_net(peer) : dev_net(dev);
}

static struct rtnl_link_ops nicsim_link_ops = {
	.kind		= "nicsim",
	.priv_size	= sizeof(struct nicsim_priv),
	.setup		= nicsim_setup,
	.validate	= nicsim_validate,
	.newlink	= nicsim_newlink,
	.dellink	= nicsim_dellink,
	.policy		= nicsim_policy,
	.maxtype	= NICSIM_INFO_MAX,
	.get_link_net	= nicsim_get_link_net,
#ifdef TLSOCK_HAVE_RTNL_NEWLINK_PARAMS
	.peer_type	= NICSIM_INFO_PEER,
#endif
};

static int __init nicsim_init(void)
{
	return rtnl_link_register(&nicsim_link_ops);
}

static void __exit nicsim_exit(void)
{
	/* deletes every nicsim device; their offload contexts go on NETDEV_DOWN first */
	rtnl_link_unregister(&nicsim_link_ops);
}

module_init(nicsim_init);
module_exit(nicsim_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("tlsock nicsim: virtual Ethernet pairs with kTLS crypto offload");
MODULE_ALIAS_RTNL_LINK("nicsim");
