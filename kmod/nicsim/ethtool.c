// SPDX-License-Identifier: GPL-2.0
/* tlsock_nicsim: ethtool -i and ethtool -S. */
#include <linux/ethtool.h>
#include <linux/netdevice.h>
#include <linux/string.h>

#include "nicsim.h"

static const char nicsim_stat_names[NICSIM_STAT_COUNT][ETH_GSTRING_LEN] = {
	[NICSIM_STAT_TX_PACKETS]		= "tx_packets",
	[NICSIM_STAT_TX_BYTES]			= "tx_bytes",
	[NICSIM_STAT_TX_DROPPED]		= "tx_dropped",
	[NICSIM_STAT_RX_PACKETS]		= "rx_packets",
	[NICSIM_STAT_RX_BYTES]			= "rx_bytes",
	[NICSIM_STAT_TX_TLS_ENCRYPTED_PACKETS]	= "tx_tls_encrypted_packets",
	[NICSIM_STAT_TX_TLS_ENCRYPTED_BYTES]	= "tx_tls_encrypted_bytes",
	[NICSIM_STAT_TX_TLS_CTX]		= "tx_tls_ctx",
	[NICSIM_STAT_TX_TLS_DEL]		= "tx_tls_del",
	[NICSIM_STAT_TX_TLS_OOO]		= "tx_tls_ooo",
	[NICSIM_STAT_TX_TLS_RECORDS_SEALED]	= "tx_tls_records_sealed",
	[NICSIM_STAT_TX_TLS_DROP_NO_SYNC_DATA]	= "tx_tls_drop_no_sync_data",
	[NICSIM_STAT_TX_TLS_DROP_ERR]		= "tx_tls_drop_err",
	[NICSIM_STAT_TX_TLS_RESYNC]		= "tx_tls_resync",
};

static void nicsim_get_drvinfo(struct net_device *dev, struct ethtool_drvinfo *info)
{
	strscpy(info->driver, NICSIM_DRV_NAME, sizeof(info->driver));
}

static int nicsim_get_sset_count(struct net_device *dev, int sset)
{
	return sset == ETH_SS_STATS ? NICSIM_STAT_COUNT : -EOPNOTSUPP;
}

static void nicsim_get_strings(struct net_device *dev, u32 sset, u8 *data)
{
	if (sset == ETH_SS_STATS)
		memcpy(data, nicsim_stat_names, sizeof(nicsim_stat_names));
}

static void nicsim_get_ethtool_stats(struct net_device *dev, struct ethtool_stats *stats,
				     u64 *data)
{
	int i;

	for (i = 0; i < NICSIM_STAT_COUNT; i++)
		data[i] = nicsim_stat_read(dev, i);
}

const struct ethtool_ops tlsock_nicsim_ethtool_ops = {
	.get_drvinfo		= nicsim_get_drvinfo,
	.get_link		= ethtool_op_get_link,
	.get_sset_count		= nicsim_get_sset_count,
	.get_strings		= nicsim_get_strings,
	.get_ethtool_stats	= nicsim_get_ethtool_stats,
};
