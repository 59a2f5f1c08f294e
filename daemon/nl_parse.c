// SPDX-License-Identifier: GPL-2.0
/*
 * What the kernel sends on the "tlsock" family, validated before it is
 * used: one libnl policy per message (types and lengths of every
 * attribute, strings NUL-terminated), and the sender checked to be the
 * kernel (netlink port 0) for everything that is not our own reply.  The
 * kernel's own policies are in kmod/genl.c; these mirror uapi/tlsock.yaml
 * for the kernel-to-daemon direction.
 */
#include <errno.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "tlsockd.h"

static const struct nla_policy accept_policy[TLSOCK_A_ACCEPT_MAX + 1] = {
	[TLSOCK_A_ACCEPT_REQ_ID] = { .type = NLA_U32 },
	[TLSOCK_A_ACCEPT_SOCKFD] = { .type = NLA_S32 },
	[TLSOCK_A_ACCEPT_ROLE] = { .type = NLA_U32 },
	[TLSOCK_A_ACCEPT_FLAGS] = { .type = NLA_U32 },
	[TLSOCK_A_ACCEPT_TIMEOUT] = { .type = NLA_U32 },
	[TLSOCK_A_ACCEPT_PROFILE] = { .type = NLA_STRING, .maxlen = TLSOCK_PROFILE_MAX },
	[TLSOCK_A_ACCEPT_SERVER_NAME] = { .type = NLA_STRING, .maxlen = TLSOCK_SERVER_NAME_MAX },
	[TLSOCK_A_ACCEPT_PEER_ADDR] = { .maxlen = sizeof(struct sockaddr_storage) },
	[TLSOCK_A_ACCEPT_LOCAL_ADDR] = { .maxlen = sizeof(struct sockaddr_storage) },
	[TLSOCK_A_ACCEPT_PARK] = { .type = NLA_FLAG },
	[TLSOCK_A_ACCEPT_RULE_ID] = { .type = NLA_U32 },
};

static const struct nla_policy ticket_policy[TLSOCK_A_TICKET_MAX + 1] = {
	[TLSOCK_A_TICKET_REQ_ID] = { .type = NLA_U32 },
	/* a handshake message: its 4-byte header at least */
	[TLSOCK_A_TICKET_MSG] = { .minlen = 4, .maxlen = TLSOCK_TICKET_MSG_MAX },
};

static const struct nla_policy status_policy[TLSOCK_A_STATUS_MAX + 1] = {
	[TLSOCK_A_STATUS_PENDING] = { .type = NLA_U32 },
	[TLSOCK_A_STATUS_ACTIVE] = { .type = NLA_U32 },
	[TLSOCK_A_STATUS_MAX_PENDING] = { .type = NLA_U32 },
	[TLSOCK_A_STATUS_DEFAULT_TIMEOUT] = { .type = NLA_U32 },
	[TLSOCK_A_STATUS_LISTENERS] = { .type = NLA_U32 },
};

static const struct nla_policy policy_policy[TLSOCK_A_POLICY_MAX + 1] = {
	[TLSOCK_A_POLICY_ID] = { .type = NLA_U32 },
	[TLSOCK_A_POLICY_ROLE] = { .type = NLA_U32 },
	[TLSOCK_A_POLICY_ADDR] = { .minlen = 4, .maxlen = 16 },
	[TLSOCK_A_POLICY_PREFIX_LEN] = { .type = NLA_U8 },
	[TLSOCK_A_POLICY_PORT] = { .type = NLA_U16 },
	[TLSOCK_A_POLICY_PROFILE] = { .type = NLA_STRING, .maxlen = TLSOCK_PROFILE_MAX },
	[TLSOCK_A_POLICY_SERVER_NAME] = { .type = NLA_STRING, .maxlen = TLSOCK_SERVER_NAME_MAX },
	[TLSOCK_A_POLICY_CGROUP] = { .type = NLA_U64 },
	[TLSOCK_A_POLICY_CONNECTIONS] = { .type = NLA_U64 },
	[TLSOCK_A_POLICY_HANDSHAKES_OK] = { .type = NLA_U64 },
	[TLSOCK_A_POLICY_HANDSHAKES_FAILED] = { .type = NLA_U64 },
	[TLSOCK_A_POLICY_REFUSED] = { .type = NLA_U64 },
	[TLSOCK_A_POLICY_SKIPPED] = { .type = NLA_U64 },
	[TLSOCK_A_POLICY_ORIGIN] = { .type = NLA_U32 },
	[TLSOCK_A_POLICY_BYTES_IN] = { .type = NLA_U64 },
	[TLSOCK_A_POLICY_BYTES_OUT] = { .type = NLA_U64 },
};

static const struct nla_policy session_policy[TLSOCK_A_SESSION_MAX + 1] = {
	[TLSOCK_A_SESSION_RULE_ID] = { .type = NLA_U32 },
	[TLSOCK_A_SESSION_ROLE] = { .type = NLA_U32 },
	[TLSOCK_A_SESSION_LOCAL_ADDR] = { .maxlen = sizeof(struct sockaddr_storage) },
	[TLSOCK_A_SESSION_PEER_ADDR] = { .maxlen = sizeof(struct sockaddr_storage) },
	[TLSOCK_A_SESSION_STATE] = { .type = NLA_U32 },
	[TLSOCK_A_SESSION_VERSION] = { .type = NLA_U16 },
	[TLSOCK_A_SESSION_CIPHER] = { .type = NLA_U16 },
	[TLSOCK_A_SESSION_PEER_VERIFIED] = { .type = NLA_FLAG },
	[TLSOCK_A_SESSION_PEER_SUBJECT] = { .type = NLA_STRING, .maxlen = TLSOCK_SUBJECT_MAX + 1 },
	[TLSOCK_A_SESSION_PEER_SAN] = { .type = NLA_STRING, .maxlen = TLSOCK_SAN_MAX + 1 },
	[TLSOCK_A_SESSION_ERROR] = { .type = NLA_U32 },
	[TLSOCK_A_SESSION_BYTES_IN] = { .type = NLA_U64 },
	[TLSOCK_A_SESSION_BYTES_OUT] = { .type = NLA_U64 },
};

/**
 * tlsockd_nl_from_kernel() - whether @msg was sent by the kernel
 * @msg: a received message
 *
 * Return: true when its source port is 0.  (Other processes with
 * CAP_NET_ADMIN can send to our ports.)
 */
bool tlsockd_nl_from_kernel(struct nl_msg *msg)
{
	const struct sockaddr_nl *src = nlmsg_get_src(msg);

	return src && src->nl_family == AF_NETLINK && src->nl_pid == 0;
}

/**
 * tlsockd_nl_parse() - the attributes of a reply to @cmd, validated
 * @msg: the reply
 * @cmd: the request it answers (TLSOCK_CMD_ACCEPT, _STATUS_GET, _POLICY_ADD,
 *	_POLICY_GET or _SESSION_GET)
 * @tb: set to the attributes, TLSOCK_A_*_MAX + 1 entries of @cmd's
 *
 * Return: 0, -EPERM when the kernel did not send it, -EPROTO when it does
 * not meet the policy.
 */
int tlsockd_nl_parse(struct nl_msg *msg, uint8_t cmd, struct nlattr **tb)
{
	const struct nla_policy *policy = status_policy;
	int max = TLSOCK_A_STATUS_MAX;

	if (cmd == TLSOCK_CMD_ACCEPT) {
		policy = accept_policy;
		max = TLSOCK_A_ACCEPT_MAX;
	} else if (cmd == TLSOCK_CMD_POLICY_ADD || cmd == TLSOCK_CMD_POLICY_GET) {
		policy = policy_policy;
		max = TLSOCK_A_POLICY_MAX;
	} else if (cmd == TLSOCK_CMD_SESSION_GET) {
		policy = session_policy;
		max = TLSOCK_A_SESSION_MAX;
	}

	if (!tlsockd_nl_from_kernel(msg))
		return -EPERM;
	if (!genlmsg_valid_hdr(nlmsg_hdr(msg), 0))
		return -EPROTO;
	return genlmsg_parse(nlmsg_hdr(msg), 0, tb, max, policy) < 0 ? -EPROTO : 0;
}

/**
 * tlsockd_nl_parse_ticket() - a TICKET notification, validated
 * @msg: the message
 * @id: set to its request id
 * @data: set to the NewSessionTicket message (inside @msg)
 * @len: set to its length
 *
 * Return: 0, -EPERM when the kernel did not send it, -EPROTO when it is
 * not a well-formed TICKET.
 */
int tlsockd_nl_parse_ticket(struct nl_msg *msg, uint32_t *id, const void **data, size_t *len)
{
	struct nlattr *tb[TLSOCK_A_TICKET_MAX + 1];
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	if (!tlsockd_nl_from_kernel(msg))
		return -EPERM;
	if (!genlmsg_valid_hdr(nlh, 0) ||
	    ((struct genlmsghdr *)nlmsg_data(nlh))->cmd != TLSOCK_CMD_TICKET ||
	    genlmsg_parse(nlmsg_hdr(msg), 0, tb, TLSOCK_A_TICKET_MAX, ticket_policy) < 0 ||
	    !tb[TLSOCK_A_TICKET_REQ_ID] || !tb[TLSOCK_A_TICKET_MSG])
		return -EPROTO;
	*id = nla_get_u32(tb[TLSOCK_A_TICKET_REQ_ID]);
	*data = nla_data(tb[TLSOCK_A_TICKET_MSG]);
	*len = nla_len(tb[TLSOCK_A_TICKET_MSG]);
	return 0;
}
