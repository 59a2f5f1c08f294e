// SPDX-License-Identifier: GPL-2.0
/*
 * The "tlsock" generic netlink family (uapi/tlsock.yaml) through libnl-genl.
 *
 * One struct tlsockd_nl is one netlink socket, used by one thread.  The
 * kernel accepts DONE only from the socket that sent the ACCEPT, so a
 * worker keeps its socket for both.  The listening socket (READY
 * notifications) is non-blocking and only ever read by the event loop.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "tlsockd.h"

/* ACCEPT replies, acks and READY notifications are far smaller */
#define TLSOCKD_NL_MSG_BUF	32768

struct tlsockd_nl {
	struct nl_sock *sk;
	int family;
};

struct reply {
	int err;
	bool done;
	bool no_ack;	/* the reply (or an error) ends the exchange: no ack asked for */
	uint32_t seq;	/* of our request */
	int maxattr;
	int (*parse)(struct nlattr **tb, void *arg);
	void *arg;
};

/**
 * tlsockd_nl_open() - open a netlink socket for the tlsock family
 * @out: the socket
 * @listen: join group "tlsockd" (non-blocking socket, for the event loop)
 *
 * Return: 0, -ENOENT when tlsock.ko is not loaded, -EPERM without
 * CAP_NET_ADMIN (listen), or another negative errno.
 */
int tlsockd_nl_open(struct tlsockd_nl **out, bool listen)
{
	struct tlsockd_nl *nl;
	int err = -ENOMEM, grp;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->sk = nl_socket_alloc();
	if (!nl->sk)
		goto err;
	err = -EIO;
	if (genl_connect(nl->sk) < 0)
		goto err;
	/*
	 * A receive buffer of known size: libnl then reads each message with one
	 * recvmsg() instead of peeking at its size first (two per message).
	 * Every message of the family fits easily.
	 */
	err = -ENOMEM;
	if (nl_socket_set_msg_buf_size(nl->sk, TLSOCKD_NL_MSG_BUF) < 0)
		goto err;
	nl_socket_disable_msg_peek(nl->sk);
	err = -ENOENT;
	nl->family = genl_ctrl_resolve(nl->sk, TLSOCK_FAMILY_NAME);
	if (nl->family < 0)
		goto err;
	if (listen) {
		grp = genl_ctrl_resolve_grp(nl->sk, TLSOCK_FAMILY_NAME, TLSOCK_MCGRP_TLSOCKD);
		if (grp < 0)
			goto err;
		err = -EPERM;
		if (nl_socket_add_membership(nl->sk, grp) < 0)
			goto err;
		nl_socket_disable_seq_check(nl->sk);
		nl_socket_set_buffer_size(nl->sk, 1 << 20, 0);
		err = -EIO;
		if (nl_socket_set_nonblocking(nl->sk) < 0)
			goto err;
	}
	*out = nl;
	return 0;

err:
	tlsockd_nl_close(nl);
	return err;
}

void tlsockd_nl_close(struct tlsockd_nl *nl)
{
	if (!nl)
		return;
	if (nl->sk)
		nl_socket_free(nl->sk);
	free(nl);
}

int tlsockd_nl_fd(struct tlsockd_nl *nl)
{
	return nl_socket_get_fd(nl->sk);
}

/**
 * tlsockd_nl_port() - netlink port of @nl
 * @nl: socket
 *
 * Return: the port id the kernel sends unicast messages (TICKET) to.
 */
uint32_t tlsockd_nl_port(struct tlsockd_nl *nl)
{
	return nl_socket_get_local_port(nl->sk);
}

struct ready {
	int n;
	tlsockd_ticket_fn on_ticket;
};

static int cb_count_ready(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gh = nlmsg_data(nlh);
	struct nlattr *tb[TLSOCK_A_TICKET_MAX + 1];
	struct ready *r = arg;

	if (gh->cmd == TLSOCK_CMD_READY) {
		r->n++;
	} else if (gh->cmd == TLSOCK_CMD_TICKET &&
		   genlmsg_parse(nlh, 0, tb, TLSOCK_A_TICKET_MAX, NULL) >= 0 &&
		   tb[TLSOCK_A_TICKET_REQ_ID] && tb[TLSOCK_A_TICKET_MSG]) {
		r->on_ticket(nla_get_u32(tb[TLSOCK_A_TICKET_REQ_ID]),
			     nla_data(tb[TLSOCK_A_TICKET_MSG]), nla_len(tb[TLSOCK_A_TICKET_MSG]));
	}
	return NL_OK;
}

/* Notifications carry sequence number 0: no ordering to check. */
static int cb_seq_any(struct nl_msg *msg, void *arg)
{
	(void)msg, (void)arg;
	return NL_OK;
}

/**
 * tlsockd_nl_ready() - read what the listening socket holds
 * @nl: listening socket
 * @overrun: set when notifications were lost (receive buffer overrun)
 * @on_ticket: called for each TICKET (a NewSessionTicket for a held session)
 *
 * Return: number of READY notifications read.
 */
int tlsockd_nl_ready(struct tlsockd_nl *nl, bool *overrun, tlsockd_ticket_fn on_ticket)
{
	struct ready r = { .on_ticket = on_ticket };
	struct nl_cb *cb;
	int ret;

	*overrun = false;
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		*overrun = true;
		return 0;
	}
	/* a fresh callback set checks sequence numbers again: turn that off */
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, cb_seq_any, NULL);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, cb_count_ready, &r);
	/* one read: poll() reports the socket again while more is queued */
	ret = nl_recvmsgs(nl->sk, cb);
	if (ret < 0 && ret != -NLE_AGAIN)
		*overrun = true;	/* lost messages: let every worker look */
	nl_cb_put(cb);
	return r.n;
}

static int cb_valid(struct nl_msg *msg, void *arg)
{
	struct reply *r = arg;
	struct nlattr *tb[64];
	int ret;

	if (!r->parse)
		return NL_OK;
	ret = genlmsg_parse(nlmsg_hdr(msg), 0, tb, r->maxattr, NULL);
	r->err = ret < 0 ? -EPROTO : r->parse(tb, r->arg);
	if (r->no_ack) {
		r->done = true;
		return NL_STOP;
	}
	return NL_OK;
}

/*
 * Our own check: libnl's expects one ack per request, and ACCEPT asks for
 * none.  Anything that answers another request (there is none) is skipped.
 */
static int cb_seq(struct nl_msg *msg, void *arg)
{
	struct reply *r = arg;

	return nlmsg_hdr(msg)->nlmsg_seq == r->seq ? NL_OK : NL_SKIP;
}

static int cb_ack(struct nl_msg *msg, void *arg)
{
	struct reply *r = arg;

	(void)msg;
	r->done = true;
	return NL_STOP;
}

static int cb_err(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct reply *r = arg;

	(void)nla;
	r->err = e->error;
	r->done = true;
	return NL_STOP;
}

/* Send @msg, read the reply (parsed by r->parse) and the ack. */
static int transact(struct tlsockd_nl *nl, struct nl_msg *msg, struct reply *r)
{
	struct nl_cb *cb;
	int ret;

	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, cb_valid, r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, cb_ack, r);
	nl_cb_err(cb, NL_CB_CUSTOM, cb_err, r);
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, cb_seq, r);

	nl_complete_msg(nl->sk, msg);
	r->seq = nlmsg_hdr(msg)->nlmsg_seq;
	/* an error is reported whether or not an ack was asked for */
	if (r->no_ack)
		nlmsg_hdr(msg)->nlmsg_flags &= ~NLM_F_ACK;
	ret = nl_send(nl->sk, msg);
	if (ret < 0) {
		r->err = -EIO;
		goto out;
	}
	while (!r->done) {
		ret = nl_recvmsgs(nl->sk, cb);
		if (ret < 0 && !r->done) {
			r->err = -EIO;
			break;
		}
	}
out:
	nl_cb_put(cb);
	return r->err;
}

/*
 * @size: room for the attributes.  Sized to fit, not libnl's page-sized
 * default: the buffer is zeroed on allocation (and DONE's wiped after use).
 */
static struct nl_msg *new_msg(struct tlsockd_nl *nl, uint8_t cmd, size_t size)
{
	struct nl_msg *msg = nlmsg_alloc_size(NLMSG_HDRLEN + GENL_HDRLEN + size);

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0, 0, cmd,
			 TLSOCK_FAMILY_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static int parse_accept(struct nlattr **tb, void *arg)
{
	struct tlsockd_request *req = arg;
	struct nlattr *a;

	if (!tb[TLSOCK_A_ACCEPT_SOCKFD] || !tb[TLSOCK_A_ACCEPT_REQ_ID] ||
	    !tb[TLSOCK_A_ACCEPT_ROLE])
		return -EPROTO;
	req->fd = nla_get_s32(tb[TLSOCK_A_ACCEPT_SOCKFD]);
	req->id = nla_get_u32(tb[TLSOCK_A_ACCEPT_REQ_ID]);
	req->role = nla_get_u32(tb[TLSOCK_A_ACCEPT_ROLE]);
	if (tb[TLSOCK_A_ACCEPT_FLAGS])
		req->flags = nla_get_u32(tb[TLSOCK_A_ACCEPT_FLAGS]);
	if (tb[TLSOCK_A_ACCEPT_TIMEOUT])
		req->timeout_ms = nla_get_u32(tb[TLSOCK_A_ACCEPT_TIMEOUT]);
	if (tb[TLSOCK_A_ACCEPT_PROFILE])
		nla_strlcpy(req->profile, tb[TLSOCK_A_ACCEPT_PROFILE], sizeof(req->profile));
	if (tb[TLSOCK_A_ACCEPT_SERVER_NAME])
		nla_strlcpy(req->server_name, tb[TLSOCK_A_ACCEPT_SERVER_NAME],
			    sizeof(req->server_name));
	a = tb[TLSOCK_A_ACCEPT_PEER_ADDR];
	if (a && nla_len(a) <= (int)sizeof(req->peer)) {
		memcpy(&req->peer, nla_data(a), nla_len(a));
		req->peer_len = nla_len(a);
	}
	return 0;
}

/**
 * tlsockd_nl_accept() - claim the oldest pending request
 * @nl: this thread's socket
 * @req: the request; req->fd is ours to close
 *
 * Return: 0, -EAGAIN when nothing is pending, or a negative errno.
 */
int tlsockd_nl_accept(struct tlsockd_nl *nl, struct tlsockd_request *req)
{
	struct reply r = {
		.no_ack = true,
		.maxattr = TLSOCK_A_ACCEPT_MAX,
		.parse = parse_accept,
		.arg = req,
	};
	struct nl_msg *msg;
	int err;

	memset(req, 0, sizeof(*req));
	req->fd = -1;
	msg = new_msg(nl, TLSOCK_CMD_ACCEPT, 0);
	if (!msg)
		return -ENOMEM;
	err = transact(nl, msg, &r);
	nlmsg_free(msg);
	if (err && req->fd >= 0) {
		close(req->fd);
		req->fd = -1;
	}
	return err;
}

static int put_done(struct nl_msg *msg, uint32_t id, const struct tlsockd_result *res)
{
	unsigned int i;

	if (nla_put_u32(msg, TLSOCK_A_DONE_REQ_ID, id) ||
	    nla_put_u32(msg, TLSOCK_A_DONE_STATUS, res->status))
		return -EMSGSIZE;
	if (res->status)
		return 0;
	if (nla_put_u16(msg, TLSOCK_A_DONE_VERSION, res->version) ||
	    nla_put_u16(msg, TLSOCK_A_DONE_CIPHER, res->cipher) ||
	    nla_put(msg, TLSOCK_A_DONE_TX_CRYPTO, res->info_len, &res->tx) ||
	    nla_put(msg, TLSOCK_A_DONE_RX_CRYPTO, res->info_len, &res->rx))
		return -EMSGSIZE;
	if (res->secret_len &&
	    (nla_put(msg, TLSOCK_A_DONE_TX_SECRET, res->secret_len, res->secret_tx) ||
	     nla_put(msg, TLSOCK_A_DONE_RX_SECRET, res->secret_len, res->secret_rx)))
		return -EMSGSIZE;
	if ((res->verified && nla_put_flag(msg, TLSOCK_A_DONE_PEER_VERIFIED)) ||
	    (res->resumed && nla_put_flag(msg, TLSOCK_A_DONE_RESUMED)))
		return -EMSGSIZE;
	if (res->subject[0] && nla_put_string(msg, TLSOCK_A_DONE_PEER_SUBJECT, res->subject))
		return -EMSGSIZE;
	for (i = 0; i < res->nsan; i++)
		if (nla_put_string(msg, TLSOCK_A_DONE_PEER_SAN, res->san[i]))
			return -EMSGSIZE;
	if (res->ticket_portid &&
	    nla_put_u32(msg, TLSOCK_A_DONE_TICKET_PORTID, res->ticket_portid))
		return -EMSGSIZE;
	return 0;
}

/* Room put_done() needs for @res. */
static size_t done_size(const struct tlsockd_result *res)
{
	/* req id, status, version, cipher, ticket port; a little slack on top */
	size_t size = 64 + 5 * nla_total_size(sizeof(uint32_t)) +
		      2 * nla_total_size(sizeof(res->tx)) +
		      2 * nla_total_size(TLSOCK_SECRET_MAX) +
		      2 * nla_total_size(0) +			/* flags */
		      nla_total_size(strlen(res->subject) + 1);
	unsigned int i;

	for (i = 0; i < res->nsan; i++)
		size += nla_total_size(strlen(res->san[i]) + 1);
	return size;
}

/**
 * tlsockd_nl_done() - report the outcome of request @id
 * @nl: the socket that accepted the request
 * @id: request id
 * @res: outcome
 *
 * The message holds keys; it is wiped before it is freed.
 *
 * Return: 0, or the kernel's negative errno (-ENOENT: the request timed out
 * or its socket closed meanwhile).
 */
int tlsockd_nl_done(struct tlsockd_nl *nl, uint32_t id, const struct tlsockd_result *res)
{
	struct reply r = {};
	struct nl_msg *msg;
	int err;

	msg = new_msg(nl, TLSOCK_CMD_DONE, done_size(res));
	if (!msg)
		return -ENOMEM;
	err = put_done(msg, id, res);
	if (!err)
		err = transact(nl, msg, &r);
	gnutls_memset(nlmsg_hdr(msg), 0, nlmsg_hdr(msg)->nlmsg_len);
	nlmsg_free(msg);
	return err;
}

static int parse_status(struct nlattr **tb, void *arg)
{
	struct tlsockd_status *st = arg;

	if (tb[TLSOCK_A_STATUS_PENDING])
		st->pending = nla_get_u32(tb[TLSOCK_A_STATUS_PENDING]);
	if (tb[TLSOCK_A_STATUS_ACTIVE])
		st->active = nla_get_u32(tb[TLSOCK_A_STATUS_ACTIVE]);
	if (tb[TLSOCK_A_STATUS_MAX_PENDING])
		st->max_pending = nla_get_u32(tb[TLSOCK_A_STATUS_MAX_PENDING]);
	if (tb[TLSOCK_A_STATUS_DEFAULT_TIMEOUT])
		st->default_timeout = nla_get_u32(tb[TLSOCK_A_STATUS_DEFAULT_TIMEOUT]);
	if (tb[TLSOCK_A_STATUS_LISTENERS])
		st->listeners = nla_get_u32(tb[TLSOCK_A_STATUS_LISTENERS]);
	return 0;
}

/**
 * tlsockd_nl_status() - the kernel's upcall state in our namespace
 * @nl: socket
 * @st: filled in
 *
 * Return: 0 or a negative errno.
 */
int tlsockd_nl_status(struct tlsockd_nl *nl, struct tlsockd_status *st)
{
	struct reply r = {
		.maxattr = TLSOCK_A_STATUS_MAX,
		.parse = parse_status,
		.arg = st,
	};
	struct nl_msg *msg;
	int err;

	memset(st, 0, sizeof(*st));
	msg = new_msg(nl, TLSOCK_CMD_STATUS_GET, 0);
	if (!msg)
		return -ENOMEM;
	err = transact(nl, msg, &r);
	nlmsg_free(msg);
	return err;
}
