// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	uapi/tlsock.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "genl.h"

#include <uapi/linux/tlsock.h>

/* TLSOCK_CMD_ACCEPT - do */
static const struct nla_policy tlsock_accept_nl_policy[TLSOCK_A_ACCEPT_ROLE_FILTER + 1] = {
	[TLSOCK_A_ACCEPT_PARK] = { .type = NLA_FLAG, },
	[TLSOCK_A_ACCEPT_ROLE_FILTER] = NLA_POLICY_MAX(NLA_U32, 2),
};

/* TLSOCK_CMD_DONE - do */
static const struct nla_policy tlsock_done_nl_policy[TLSOCK_A_DONE_ROLE_FILTER + 1] = {
	[TLSOCK_A_DONE_REQ_ID] = { .type = NLA_U32, },
	[TLSOCK_A_DONE_STATUS] = NLA_POLICY_MAX(NLA_U32, 511),
	[TLSOCK_A_DONE_VERSION] = { .type = NLA_U16, },
	[TLSOCK_A_DONE_CIPHER] = { .type = NLA_U16, },
	[TLSOCK_A_DONE_TX_CRYPTO] = { .type = NLA_BINARY, },
	[TLSOCK_A_DONE_RX_CRYPTO] = { .type = NLA_BINARY, },
	[TLSOCK_A_DONE_TX_SECRET] = { .type = NLA_BINARY, },
	[TLSOCK_A_DONE_RX_SECRET] = { .type = NLA_BINARY, },
	[TLSOCK_A_DONE_PEER_VERIFIED] = { .type = NLA_FLAG, },
	[TLSOCK_A_DONE_RESUMED] = { .type = NLA_FLAG, },
	[TLSOCK_A_DONE_PEER_SUBJECT] = { .type = NLA_NUL_STRING, .len = TLSOCK_SUBJECT_MAX, },
	[TLSOCK_A_DONE_PEER_SAN] = { .type = NLA_STRING, .len = TLSOCK_SAN_MAX, },
	[TLSOCK_A_DONE_TICKET_PORTID] = { .type = NLA_U32, },
	[TLSOCK_A_DONE_PARK] = { .type = NLA_FLAG, },
	[TLSOCK_A_DONE_PEER_SAN_TRUNCATED] = { .type = NLA_FLAG, },
	[TLSOCK_A_DONE_ROLE_FILTER] = NLA_POLICY_MAX(NLA_U32, 2),
};

/* TLSOCK_CMD_POLICY_ADD - do */
static const struct nla_policy tlsock_policy_add_nl_policy[TLSOCK_A_POLICY_ORIGIN + 1] = {
	[TLSOCK_A_POLICY_ROLE] = NLA_POLICY_MAX(NLA_U32, 2),
	[TLSOCK_A_POLICY_ADDR] = { .type = NLA_BINARY, },
	[TLSOCK_A_POLICY_PREFIX_LEN] = NLA_POLICY_MAX(NLA_U8, 128),
	[TLSOCK_A_POLICY_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
	[TLSOCK_A_POLICY_PROFILE] = { .type = NLA_NUL_STRING, .len = 63, },
	[TLSOCK_A_POLICY_SERVER_NAME] = { .type = NLA_NUL_STRING, .len = 255, },
	[TLSOCK_A_POLICY_CGROUP] = { .type = NLA_U64, },
	[TLSOCK_A_POLICY_ORIGIN] = NLA_POLICY_MAX(NLA_U32, 2),
};

/* TLSOCK_CMD_POLICY_DEL - do */
static const struct nla_policy tlsock_policy_del_nl_policy[TLSOCK_A_POLICY_ORIGIN + 1] = {
	[TLSOCK_A_POLICY_ID] = { .type = NLA_U32, },
	[TLSOCK_A_POLICY_FLUSH] = { .type = NLA_FLAG, },
	[TLSOCK_A_POLICY_ORIGIN] = NLA_POLICY_MAX(NLA_U32, 2),
};

/* Ops table for tlsock */
const struct genl_split_ops tlsock_nl_ops[7] = {
	{
		.cmd		= TLSOCK_CMD_ACCEPT,
		.doit		= tlsock_nl_accept_doit,
		.policy		= tlsock_accept_nl_policy,
		.maxattr	= TLSOCK_A_ACCEPT_ROLE_FILTER,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= TLSOCK_CMD_DONE,
		.doit		= tlsock_nl_done_doit,
		.policy		= tlsock_done_nl_policy,
		.maxattr	= TLSOCK_A_DONE_ROLE_FILTER,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd	= TLSOCK_CMD_STATUS_GET,
		.doit	= tlsock_nl_status_get_doit,
		.flags	= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= TLSOCK_CMD_POLICY_ADD,
		.doit		= tlsock_nl_policy_add_doit,
		.policy		= tlsock_policy_add_nl_policy,
		.maxattr	= TLSOCK_A_POLICY_ORIGIN,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= TLSOCK_CMD_POLICY_DEL,
		.doit		= tlsock_nl_policy_del_doit,
		.policy		= tlsock_policy_del_nl_policy,
		.maxattr	= TLSOCK_A_POLICY_ORIGIN,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd	= TLSOCK_CMD_POLICY_GET,
		.dumpit	= tlsock_nl_policy_get_dumpit,
		.flags	= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DUMP,
	},
	{
		.cmd	= TLSOCK_CMD_SESSION_GET,
		.dumpit	= tlsock_nl_session_get_dumpit,
		.flags	= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DUMP,
	},
};

static const struct genl_multicast_group tlsock_nl_mcgrps[] = {
	[TLSOCK_NLGRP_TLSOCKD] = { "tlsockd", },
};
