/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	uapi/tlsock.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_TLSOCK_GEN_H
#define _LINUX_TLSOCK_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/tlsock.h>

/* Ops table for tlsock */
extern const struct genl_split_ops tlsock_nl_ops[7];

int tlsock_nl_accept_doit(struct sk_buff *skb, struct genl_info *info);
int tlsock_nl_done_doit(struct sk_buff *skb, struct genl_info *info);
int tlsock_nl_status_get_doit(struct sk_buff *skb, struct genl_info *info);
int tlsock_nl_policy_add_doit(struct sk_buff *skb, struct genl_info *info);
int tlsock_nl_policy_del_doit(struct sk_buff *skb, struct genl_info *info);
int tlsock_nl_policy_get_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb);
int tlsock_nl_session_get_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb);

enum {
	TLSOCK_NLGRP_TLSOCKD,
};

#endif /* _LINUX_TLSOCK_GEN_H */
