// SPDX-License-Identifier: GPL-2.0
/*
 * Per-network-namespace counters, shown in /proc/net/tlsock_stat in the
 * "Name value" format of /proc/net/tls_stat.
 */
#include <linux/percpu.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "tlsock.h"

struct tlsock_net {
	long __percpu *counters;	/* __TLSOCK_STAT_MAX per CPU */
};

static unsigned int tlsock_net_id __read_mostly;

static const char *const tlsock_stat_names[__TLSOCK_STAT_MAX] = {
	[TLSOCK_STAT_CURR_TX]		= "TlsockCurrTx",
	[TLSOCK_STAT_CURR_RX]		= "TlsockCurrRx",
	[TLSOCK_STAT_TX]		= "TlsockTx",
	[TLSOCK_STAT_RX]		= "TlsockRx",
	[TLSOCK_STAT_TX_RECORDS]	= "TlsockTxRecords",
	[TLSOCK_STAT_RX_RECORDS]	= "TlsockRxRecords",
	[TLSOCK_STAT_DECRYPT_ERROR]	= "TlsockDecryptError",
	[TLSOCK_STAT_RX_PARSE_ERROR]	= "TlsockRxParseError",
	[TLSOCK_STAT_TX_REKEY_OK]	= "TlsockTxRekeyOk",
	[TLSOCK_STAT_TX_REKEY_ERROR]	= "TlsockTxRekeyError",
	[TLSOCK_STAT_RX_REKEY_OK]	= "TlsockRxRekeyOk",
	[TLSOCK_STAT_RX_REKEY_ERROR]	= "TlsockRxRekeyError",
	[TLSOCK_STAT_RX_REKEY_RECEIVED]	= "TlsockRxRekeyReceived",
	[TLSOCK_STAT_HS_REQUESTED]	= "TlsockHandshakeRequested",
	[TLSOCK_STAT_HS_OK]		= "TlsockHandshakeOk",
	[TLSOCK_STAT_HS_FAILED]		= "TlsockHandshakeFailed",
	[TLSOCK_STAT_HS_TIMEOUT]	= "TlsockHandshakeTimeout",
};

/**
 * tlsock_stat_add() - add @delta to counter @s of @net
 * @net: network namespace
 * @s: counter
 * @delta: amount (negative for the "current" gauges)
 *
 * Context: any.
 */
void tlsock_stat_add(struct net *net, enum tlsock_stat s, long delta)
{
	struct tlsock_net *tn = net_generic(net, tlsock_net_id);

	this_cpu_add(tn->counters[s], delta);
}

static int tlsock_stat_show(struct seq_file *seq, void *v)
{
	struct net *net = seq_file_single_net(seq);
	struct tlsock_net *tn = net_generic(net, tlsock_net_id);
	int i, cpu;

	for (i = 0; i < __TLSOCK_STAT_MAX; i++) {
		long sum = 0;

		for_each_possible_cpu(cpu)
			sum += per_cpu_ptr(tn->counters, cpu)[i];
		seq_printf(seq, "%-32s\t%ld\n", tlsock_stat_names[i], sum);
	}
	return 0;
}

static int __net_init tlsock_net_init(struct net *net)
{
	struct tlsock_net *tn = net_generic(net, tlsock_net_id);

	tn->counters = __alloc_percpu(sizeof(long) * __TLSOCK_STAT_MAX, __alignof__(long));
	if (!tn->counters)
		return -ENOMEM;
	if (!proc_create_net_single("tlsock_stat", 0444, net->proc_net, tlsock_stat_show,
				    NULL)) {
		free_percpu(tn->counters);
		return -ENOMEM;
	}
	return 0;
}

static void __net_exit tlsock_net_exit(struct net *net)
{
	struct tlsock_net *tn = net_generic(net, tlsock_net_id);

	remove_proc_entry("tlsock_stat", net->proc_net);
	free_percpu(tn->counters);
}

static struct pernet_operations tlsock_net_ops = {
	.init = tlsock_net_init,
	.exit = tlsock_net_exit,
	.id = &tlsock_net_id,
	.size = sizeof(struct tlsock_net),
};

/**
 * tlsock_stats_init() - register the per-namespace counters
 *
 * Return: 0 or a negative errno.
 */
int tlsock_stats_init(void)
{
	return register_pernet_subsys(&tlsock_net_ops);
}

/**
 * tlsock_stats_exit() - unregister the per-namespace counters
 */
void tlsock_stats_exit(void)
{
	unregister_pernet_subsys(&tlsock_net_ops);
}
