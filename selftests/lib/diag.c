// SPDX-License-Identifier: GPL-2.0
/*
 * INET_DIAG: what `ss -ti` learns about a socket's ULP, asked directly.
 * One exact lookup by the socket's addresses; the answer's
 * INET_DIAG_ULP_INFO nest holds the ULP name and, for a TLS ULP, the
 * TLS_INFO_* attributes (needs CAP_NET_ADMIN).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>

#include "lib.h"

static int tlsock_diag_id(int fd, struct inet_diag_req_v2 *req)
{
	struct sockaddr_storage l, r;
	socklen_t ll = sizeof(l), rl = sizeof(r);

	if (getsockname(fd, (struct sockaddr *)&l, &ll) ||
	    getpeername(fd, (struct sockaddr *)&r, &rl))
		return -errno;
	req->sdiag_family = l.ss_family;
	req->sdiag_protocol = IPPROTO_TCP;
	req->idiag_ext = 1 << (INET_DIAG_INFO - 1);
	req->idiag_states = ~0U;
	req->id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (l.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&l, *b = (struct sockaddr_in6 *)&r;

		req->id.idiag_sport = a->sin6_port;
		req->id.idiag_dport = b->sin6_port;
		memcpy(req->id.idiag_src, &a->sin6_addr, 16);
		memcpy(req->id.idiag_dst, &b->sin6_addr, 16);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&l, *b = (struct sockaddr_in *)&r;

		req->id.idiag_sport = a->sin_port;
		req->id.idiag_dport = b->sin_port;
		req->id.idiag_src[0] = a->sin_addr.s_addr;
		req->id.idiag_dst[0] = b->sin_addr.s_addr;
	}
	return 0;
}

static int tlsock_u16_attr(const struct rtattr *rta)
{
	uint16_t v;

	if (RTA_PAYLOAD(rta) < sizeof(v))
		return -1;
	memcpy(&v, RTA_DATA(rta), sizeof(v));
	return v;
}

static void tlsock_diag_tls(const struct rtattr *nest, struct tlsock_ulp_info *info)
{
	int len = RTA_PAYLOAD(nest);
	const struct rtattr *rta;

	info->has_tls = true;
	for (rta = RTA_DATA(nest); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		switch (rta->rta_type & ~NLA_F_NESTED) {
		case TLS_INFO_VERSION:
			info->version = tlsock_u16_attr(rta);
			break;
		case TLS_INFO_CIPHER:
			info->cipher = tlsock_u16_attr(rta);
			break;
		case TLS_INFO_TXCONF:
			info->txconf = tlsock_u16_attr(rta);
			break;
		case TLS_INFO_RXCONF:
			info->rxconf = tlsock_u16_attr(rta);
			break;
		case TLS_INFO_ZC_RO_TX:
			info->zc_ro_tx = true;
			break;
		case TLS_INFO_RX_NO_PAD:
			info->rx_no_pad = true;
			break;
		}
	}
}

static void tlsock_diag_ulp_nest(const struct rtattr *nest, struct tlsock_ulp_info *info)
{
	int len = RTA_PAYLOAD(nest);
	const struct rtattr *rta;

	for (rta = RTA_DATA(nest); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		switch (rta->rta_type & ~NLA_F_NESTED) {
		case INET_ULP_INFO_NAME: {
			size_t n = RTA_PAYLOAD(rta);

			if (n >= sizeof(info->name))
				n = sizeof(info->name) - 1;
			memcpy(info->name, RTA_DATA(rta), n);
			info->name[n] = 0;
			break;
		}
		case INET_ULP_INFO_TLS:
			tlsock_diag_tls(rta, info);
			break;
		}
	}
}

/*
 * Ask INET_DIAG about @fd.  info->name stays empty when the socket has no
 * ULP.  Returns 0, -ENOENT when the kernel did not find the socket.
 */
int tlsock_diag_ulp(int fd, struct tlsock_ulp_info *info)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} q = {
		.nlh = {
			.nlmsg_len = sizeof(q),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST,
			.nlmsg_seq = 1,
		},
	};
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	union {
		char buf[16384];
		struct nlmsghdr align;
	} a;
	struct nlmsghdr *nlh;
	int s, err;
	ssize_t n;

	memset(info, 0, sizeof(*info));
	info->version = info->cipher = info->txconf = info->rxconf = -1;
	err = tlsock_diag_id(fd, &q.req);
	if (err)
		return err;
	s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (s < 0)
		return -errno;
	if (sendto(s, &q, sizeof(q), 0, (struct sockaddr *)&nl, sizeof(nl)) < 0) {
		err = -errno;
		goto out;
	}
	n = recv(s, &a, sizeof(a), 0);
	if (n < 0) {
		err = -errno;
		goto out;
	}
	err = -ENOENT;
	for (nlh = &a.align; NLMSG_OK(nlh, n); nlh = NLMSG_NEXT(nlh, n)) {
		struct inet_diag_msg *msg;
		struct rtattr *rta;
		int len;

		if (nlh->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(nlh);

			err = e->error ? e->error : -ENOENT;
			break;
		}
		if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
			continue;
		msg = NLMSG_DATA(nlh);
		len = nlh->nlmsg_len - NLMSG_LENGTH(sizeof(*msg));
		for (rta = (struct rtattr *)(msg + 1); RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
			if ((rta->rta_type & ~NLA_F_NESTED) == INET_DIAG_ULP_INFO)
				tlsock_diag_ulp_nest(rta, info);
		err = 0;
		break;
	}
out:
	close(s);
	return err;
}
