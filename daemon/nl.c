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
#include <stdio.h>
#include <unistd.h>
#include <sys/time.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "tlsockd.h"

/* ACCEPT replies, acks and READY notifications are far smaller */
#define TLSOCKD_NL_MSG_BUF	32768

struct tlsockd_nl {
	struct nl_sock *sk;
	struct nl_cb *cb;	/* transact()'s, allocated once: it runs twice per handshake */
	int family;
	bool woken;	/* a READY (or another stray message) came amid a transaction */
	uint32_t role_filter;	/* of ACCEPT and of a parking DONE; 0: any role */
};

struct reply {
	struct tlsockd_nl *nl;
	int err;
	bool done;
	bool no_ack;	/* the reply (or an error) ends the exchange: no ack asked for */
	uint32_t seq;	/* of our request */
	uint8_t cmd;	/* of our request: picks the reply's policy (nl_parse.c) */
	int (*parse)(struct nlattr **tb, void *arg);
	void *arg;
	char *why;	/* the kernel's extended ack message, if any, goes here */
	size_t whylen;
	struct nl_msg *cur;	/* the message being parsed, for repeated attributes */
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
	nl->cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!nl->cb)
		goto err;
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
	if (nl->cb)
		nl_cb_put(nl->cb);
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

/* Only the kernel's messages count (nl_parse.c); anything else is dropped. */
static int cb_count_ready(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct ready *r = arg;
	const void *data;
	uint32_t id;
	size_t len;

	if (!tlsockd_nl_from_kernel(msg) || !genlmsg_valid_hdr(nlh, 0))
		return NL_SKIP;
	if (((struct genlmsghdr *)nlmsg_data(nlh))->cmd == TLSOCK_CMD_READY)
		r->n++;
	else if (!tlsockd_nl_parse_ticket(msg, &id, &data, &len))
		r->on_ticket(id, data, len);
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
	ret = tlsockd_nl_parse(msg, r->cmd, tb);
	if (ret == -EPERM)
		return NL_SKIP;		/* not the kernel's: not our reply */
	r->cur = msg;
	r->err = ret ? ret : r->parse(tb, r->arg);
	if (r->no_ack) {
		r->done = true;
		return NL_STOP;
	}
	return NL_OK;
}

/*
 * Our own check: libnl's expects one ack per request, and ACCEPT asks for
 * none.  Anything else is skipped: a unicast READY for a parked socket
 * (sequence number 0) may come first, so remember that one came.
 */
static int cb_seq(struct nl_msg *msg, void *arg)
{
	struct reply *r = arg;

	if (nlmsg_hdr(msg)->nlmsg_seq == r->seq)
		return NL_OK;
	r->nl->woken = true;
	return NL_SKIP;
}

static int cb_ack(struct nl_msg *msg, void *arg)
{
	struct reply *r = arg;

	(void)msg;
	r->done = true;
	return NL_STOP;
}

/* The NLMSGERR_ATTR_MSG of an error carrying extended ack attributes, else NULL. */
static const char *ext_ack_msg(const struct nlmsgerr *e)
{
	const struct nlmsghdr *h = (const struct nlmsghdr *)((const char *)e - NLMSG_HDRLEN);
	size_t off = NLMSG_HDRLEN + sizeof(*e);
	const struct nlattr *a;
	int rem;

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (NLMSG_ALIGN(off) >= h->nlmsg_len)
		return NULL;
	rem = h->nlmsg_len - NLMSG_ALIGN(off);
	for (a = (const struct nlattr *)((const char *)h + NLMSG_ALIGN(off)); nla_ok(a, rem);
	     a = nla_next(a, &rem))
		if (nla_type(a) == NLMSGERR_ATTR_MSG && nla_len(a) > 0 &&
		    memchr(nla_data(a), 0, nla_len(a)))
			return nla_data(a);
	return NULL;
}

static int cb_err(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct reply *r = arg;
	const char *msg;

	(void)nla;
	r->err = e->error;
	r->done = true;
	if (r->why && e->error && (msg = ext_ack_msg(e)))
		snprintf(r->why, r->whylen, "%s", msg);
	return NL_STOP;
}

/* Send @msg, read the reply (parsed by r->parse) and the ack. */
static int transact(struct tlsockd_nl *nl, struct nl_msg *msg, struct reply *r)
{
	struct nl_cb *cb = nl->cb;
	int ret;

	/* every handler points at this call's @r */
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, cb_valid, r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, cb_ack, r);
	/* the end of a dump ends the exchange as an ack does */
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, cb_ack, r);
	nl_cb_err(cb, NL_CB_CUSTOM, cb_err, r);
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, cb_seq, r);

	r->nl = nl;
	nl_complete_msg(nl->sk, msg);
	r->seq = nlmsg_hdr(msg)->nlmsg_seq;
	/* an error is reported whether or not an ack was asked for */
	if (r->no_ack)
		nlmsg_hdr(msg)->nlmsg_flags &= ~NLM_F_ACK;
	ret = nl_send(nl->sk, msg);
	if (ret < 0)
		return -EIO;
	while (!r->done) {
		ret = nl_recvmsgs(nl->sk, cb);
		if (ret < 0 && !r->done)
			return -EIO;
	}
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
	if (tb[TLSOCK_A_ACCEPT_RULE_ID])
		req->rule_id = nla_get_u32(tb[TLSOCK_A_ACCEPT_RULE_ID]);
	return 0;
}

/**
 * tlsockd_nl_set_role_filter() - the only role @nl takes requests of
 * @nl: a worker's socket
 * @role: TLSOCK_ROLE_CLIENT or TLSOCK_ROLE_SERVER; 0 for any
 *
 * Applies to the next tlsockd_nl_accept() and parking tlsockd_nl_done():
 * they claim only requests of @role, and, parked, the kernel announces only
 * those to @nl.
 */
void tlsockd_nl_set_role_filter(struct tlsockd_nl *nl, uint32_t role)
{
	nl->role_filter = role;
}

/**
 * tlsockd_nl_accept() - claim the oldest pending request
 * @nl: this thread's socket
 * @req: the request; req->fd is ours to close
 * @park: when nothing is pending, park @nl: the next request is announced
 *	to it alone (tlsockd_nl_wait())
 *
 * Return: 0, -EAGAIN when nothing is pending, or a negative errno.
 */
int tlsockd_nl_accept(struct tlsockd_nl *nl, struct tlsockd_request *req, bool park)
{
	struct reply r = {
		.no_ack = true,
		.cmd = TLSOCK_CMD_ACCEPT,
		.parse = parse_accept,
		.arg = req,
	};
	struct nl_msg *msg;
	int err;

	memset(req, 0, sizeof(*req));
	req->fd = -1;
	msg = new_msg(nl, TLSOCK_CMD_ACCEPT, nla_total_size(0) + nla_total_size(sizeof(uint32_t)));
	if (!msg)
		return -ENOMEM;
	if ((park && nla_put_flag(msg, TLSOCK_A_ACCEPT_PARK)) ||
	    (nl->role_filter && nla_put_u32(msg, TLSOCK_A_ACCEPT_ROLE_FILTER, nl->role_filter))) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
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
	if (res->san_truncated && nla_put_flag(msg, TLSOCK_A_DONE_PEER_SAN_TRUNCATED))
		return -EMSGSIZE;
	if (res->ticket_portid &&
	    nla_put_u32(msg, TLSOCK_A_DONE_TICKET_PORTID, res->ticket_portid))
		return -EMSGSIZE;
	return 0;
}

/* Room put_done() needs for @res. */
static size_t done_size(const struct tlsockd_result *res)
{
	/* req id, status, version, cipher, ticket port, role filter; a little slack on top */
	size_t size = 64 + 6 * nla_total_size(sizeof(uint32_t)) +
		      2 * nla_total_size(sizeof(res->tx)) +
		      2 * nla_total_size(TLSOCK_SECRET_MAX) +
		      4 * nla_total_size(0) +			/* flags */
		      nla_total_size(strlen(res->subject) + 1);
	unsigned int i;

	for (i = 0; i < res->nsan; i++)
		size += nla_total_size(strlen(res->san[i]) + 1);
	return size;
}

/*
 * Send @msg without asking for an ack, then collect what the kernel queued
 * for us meanwhile: it handles the request within our send, so an error is
 * already there, and nothing is on success (one recv that finds nothing,
 * instead of an ack to read).  A READY met on the way is remembered.
 * Needs NETLINK_CAP_ACK (tlsockd_nl_set_idle_wait()): errors do not echo
 * the request, which holds keys.
 */
static int send_unacked(struct tlsockd_nl *nl, struct nl_msg *msg)
{
	int fd = nl_socket_get_fd(nl->sk);
	uint32_t seq;
	char buf[1024];
	ssize_t n;
	int err = 0;

	nl_complete_msg(nl->sk, msg);
	nlmsg_hdr(msg)->nlmsg_flags &= ~NLM_F_ACK;
	seq = nlmsg_hdr(msg)->nlmsg_seq;
	if (nl_send(nl->sk, msg) < 0)
		return -EIO;
	for (;;) {
		struct nlmsghdr *h = (struct nlmsghdr *)buf;
		int len;

		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? err : -EIO;
		for (len = n; nlmsg_ok(h, len); h = nlmsg_next(h, &len)) {
			if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_seq == seq &&
			    h->nlmsg_len >= NLMSG_HDRLEN + sizeof(struct nlmsgerr))
				err = ((struct nlmsgerr *)nlmsg_data(h))->error;
			else
				nl->woken = true;
		}
	}
}

/**
 * tlsockd_nl_done() - report the outcome of request @id
 * @nl: the socket that accepted the request
 * @id: request id
 * @res: outcome
 * @park: park @nl afterwards, as tlsockd_nl_accept() does (a worker's
 *	socket only, see tlsockd_nl_set_idle_wait())
 *
 * The message holds keys; it is wiped before it is freed.
 *
 * Return: 0, or the kernel's negative errno (-ENOENT: the request timed out
 * or its socket closed meanwhile).
 */
int tlsockd_nl_done(struct tlsockd_nl *nl, uint32_t id, const struct tlsockd_result *res,
		    bool park)
{
	struct reply r = {};
	struct nl_msg *msg;
	int err;

	msg = new_msg(nl, TLSOCK_CMD_DONE, done_size(res));
	if (!msg)
		return -ENOMEM;
	err = put_done(msg, id, res);
	if (!err && park && (nla_put_flag(msg, TLSOCK_A_DONE_PARK) ||
			     (nl->role_filter &&
			      nla_put_u32(msg, TLSOCK_A_DONE_ROLE_FILTER, nl->role_filter))))
		err = -EMSGSIZE;
	if (!err && park)
		err = send_unacked(nl, msg);
	else if (!err)
		err = transact(nl, msg, &r);
	gnutls_memset(nlmsg_hdr(msg), 0, nlmsg_hdr(msg)->nlmsg_len);
	nlmsg_free(msg);
	return err;
}

/**
 * tlsockd_nl_set_idle_wait() - bound tlsockd_nl_wait() on @nl
 * @nl: a worker's socket
 * @ms: longest wait
 *
 * Replies never wait (the kernel answers within the request's send), so the
 * receive timeout only ever ends an idle wait.  Also makes the kernel's
 * error messages short (no copy of the request): a parked DONE reads them
 * itself (send_unacked()).
 *
 * Return: 0 or a negative errno.
 */
int tlsockd_nl_set_idle_wait(struct tlsockd_nl *nl, unsigned int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
	int fd = nl_socket_get_fd(nl->sk), one = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)))
		return -errno;
	return 0;
}

/**
 * tlsockd_nl_wait() - sleep until the kernel announces a request to @nl
 * @nl: a parked worker's socket
 *
 * Any message ends the wait (READY, or tlsockd_nl_poke() at shutdown): the
 * caller then looks with ACCEPT.
 *
 * Return: true when a message came, false when the wait timed out.
 */
bool tlsockd_nl_wait(struct tlsockd_nl *nl)
{
	char buf[256];

	if (nl->woken) {
		nl->woken = false;
		return true;
	}
	/* a longer message is cut short; what it said does not matter */
	return recv(nl_socket_get_fd(nl->sk), buf, sizeof(buf), 0) >= 0;
}

/**
 * tlsockd_nl_poke() - end the tlsockd_nl_wait() of another thread
 * @nl: that thread's socket
 *
 * Sends it an empty netlink message from a throwaway socket (sending to a
 * port of another process's socket needs CAP_NET_ADMIN, which the daemon
 * has; without it the waiter still wakes when its wait times out).
 */
void tlsockd_nl_poke(struct tlsockd_nl *nl)
{
	struct nlmsghdr nlh = { .nlmsg_len = NLMSG_HDRLEN, .nlmsg_type = NLMSG_NOOP };
	struct sockaddr_nl to = { .nl_family = AF_NETLINK, .nl_pid = tlsockd_nl_port(nl) };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);

	if (fd < 0)
		return;
	sendto(fd, &nlh, sizeof(nlh), 0, (struct sockaddr *)&to, sizeof(to));
	close(fd);
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
		.cmd = TLSOCK_CMD_STATUS_GET,
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

/* --- transparent TLS rules (policy-add, policy-del, policy-get) --- */

static int parse_policy_id(struct nlattr **tb, void *arg)
{
	if (!tb[TLSOCK_A_POLICY_ID])
		return -EPROTO;
	*(uint32_t *)arg = nla_get_u32(tb[TLSOCK_A_POLICY_ID]);
	return 0;
}

static void ext_ack_on(struct tlsockd_nl *nl)
{
	int one = 1;

	/* a refused rule says why; the request is not echoed back */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
}

/**
 * tlsockd_nl_policy_add() - add a rule to our network namespace
 * @nl: socket
 * @rule: the rule (counters and id ignored)
 * @id: set to the kernel's id of the rule
 * @why: the kernel's reason on failure, if it gave one ("" else)
 * @whylen: size of @why
 *
 * Return: 0 or a negative errno (-EEXIST: the same rule is there).
 */
int tlsockd_nl_policy_add(struct tlsockd_nl *nl, const struct tlsockd_rule *rule, uint32_t *id,
			  char *why, size_t whylen)
{
	struct reply r = {
		.cmd = TLSOCK_CMD_POLICY_ADD,
		.parse = parse_policy_id,
		.arg = id,
		.why = why,
		.whylen = whylen,
	};
	struct nl_msg *msg;
	int err = -ENOMEM;

	why[0] = '\0';
	ext_ack_on(nl);
	msg = new_msg(nl, TLSOCK_CMD_POLICY_ADD, 512);
	if (!msg)
		return -ENOMEM;
	if (nla_put_u32(msg, TLSOCK_A_POLICY_ROLE, rule->role) ||
	    nla_put_u16(msg, TLSOCK_A_POLICY_PORT, rule->port) ||
	    (rule->family && nla_put(msg, TLSOCK_A_POLICY_ADDR, rule->family == AF_INET ? 4 : 16,
				     rule->addr)) ||
	    (rule->family && nla_put_u8(msg, TLSOCK_A_POLICY_PREFIX_LEN, rule->prefix)) ||
	    (rule->profile[0] && nla_put_string(msg, TLSOCK_A_POLICY_PROFILE, rule->profile)) ||
	    (rule->server_name[0] &&
	     nla_put_string(msg, TLSOCK_A_POLICY_SERVER_NAME, rule->server_name)) ||
	    (rule->cgroup && nla_put_u64(msg, TLSOCK_A_POLICY_CGROUP, rule->cgroup)) ||
	    (rule->origin && nla_put_u32(msg, TLSOCK_A_POLICY_ORIGIN, rule->origin)))
		goto out;
	err = transact(nl, msg, &r);
out:
	nlmsg_free(msg);
	return err;
}

/**
 * tlsockd_nl_policy_del() - delete rule @id, or every rule (@flush)
 * @nl: socket
 * @id: rule id (ignored with @flush)
 * @flush: delete every rule of the namespace
 * @origin: with @flush, only the rules of this TLSOCK_ORIGIN_*; 0: all
 *
 * Return: 0 or a negative errno (-ENOENT: no such rule).
 */
int tlsockd_nl_policy_del(struct tlsockd_nl *nl, uint32_t id, bool flush, uint32_t origin)
{
	struct reply r = { .cmd = TLSOCK_CMD_POLICY_DEL };
	struct nl_msg *msg;
	int err = -ENOMEM;

	msg = new_msg(nl, TLSOCK_CMD_POLICY_DEL, 16);
	if (!msg)
		return -ENOMEM;
	if (flush ? nla_put_flag(msg, TLSOCK_A_POLICY_FLUSH) :
		    nla_put_u32(msg, TLSOCK_A_POLICY_ID, id))
		goto out;
	if (flush && origin && nla_put_u32(msg, TLSOCK_A_POLICY_ORIGIN, origin))
		goto out;
	err = transact(nl, msg, &r);
out:
	nlmsg_free(msg);
	return err;
}

struct policy_walk {
	tlsockd_rule_fn fn;
	void *arg;
};

static int parse_policy(struct nlattr **tb, void *arg)
{
	struct policy_walk *w = arg;
	struct tlsockd_rule rule = { 0 };

	if (!tb[TLSOCK_A_POLICY_ID] || !tb[TLSOCK_A_POLICY_ROLE] || !tb[TLSOCK_A_POLICY_PORT])
		return -EPROTO;
	rule.id = nla_get_u32(tb[TLSOCK_A_POLICY_ID]);
	rule.role = nla_get_u32(tb[TLSOCK_A_POLICY_ROLE]);
	rule.port = nla_get_u16(tb[TLSOCK_A_POLICY_PORT]);
	if (tb[TLSOCK_A_POLICY_ADDR]) {
		rule.family = nla_len(tb[TLSOCK_A_POLICY_ADDR]) == 4 ? AF_INET : AF_INET6;
		memcpy(rule.addr, nla_data(tb[TLSOCK_A_POLICY_ADDR]),
		       nla_len(tb[TLSOCK_A_POLICY_ADDR]));
		rule.prefix = tb[TLSOCK_A_POLICY_PREFIX_LEN] ?
			      nla_get_u8(tb[TLSOCK_A_POLICY_PREFIX_LEN]) : 0;
	}
	if (tb[TLSOCK_A_POLICY_PROFILE])
		snprintf(rule.profile, sizeof(rule.profile), "%s",
			 nla_get_string(tb[TLSOCK_A_POLICY_PROFILE]));
	if (tb[TLSOCK_A_POLICY_SERVER_NAME])
		snprintf(rule.server_name, sizeof(rule.server_name), "%s",
			 nla_get_string(tb[TLSOCK_A_POLICY_SERVER_NAME]));
	if (tb[TLSOCK_A_POLICY_CGROUP])
		rule.cgroup = nla_get_u64(tb[TLSOCK_A_POLICY_CGROUP]);
	if (tb[TLSOCK_A_POLICY_ORIGIN])
		rule.origin = nla_get_u32(tb[TLSOCK_A_POLICY_ORIGIN]);
#define GET64(a, f) if (tb[a]) rule.f = nla_get_u64(tb[a])
	GET64(TLSOCK_A_POLICY_CONNECTIONS, connections);
	GET64(TLSOCK_A_POLICY_HANDSHAKES_OK, hs_ok);
	GET64(TLSOCK_A_POLICY_HANDSHAKES_FAILED, hs_failed);
	GET64(TLSOCK_A_POLICY_REFUSED, refused);
	GET64(TLSOCK_A_POLICY_SKIPPED, skipped);
	GET64(TLSOCK_A_POLICY_BYTES_IN, bytes_in);
	GET64(TLSOCK_A_POLICY_BYTES_OUT, bytes_out);
#undef GET64
	w->fn(&rule, w->arg);
	return 0;
}

/**
 * tlsockd_nl_policy_list() - call @fn for every rule of our namespace
 * @nl: socket
 * @fn: called once per rule, in the order they were added
 * @arg: its argument
 *
 * Return: 0 or a negative errno.
 */
int tlsockd_nl_policy_list(struct tlsockd_nl *nl, tlsockd_rule_fn fn, void *arg)
{
	struct policy_walk w = { .fn = fn, .arg = arg };
	struct reply r = {
		.cmd = TLSOCK_CMD_POLICY_GET,
		.parse = parse_policy,
		.arg = &w,
	};
	struct nl_msg *msg;
	int err;

	msg = new_msg(nl, TLSOCK_CMD_POLICY_GET, 0);
	if (!msg)
		return -ENOMEM;
	nlmsg_hdr(msg)->nlmsg_flags |= NLM_F_DUMP;
	err = transact(nl, msg, &r);
	nlmsg_free(msg);
	return err;
}

struct session_walk {
	tlsockd_session_fn fn;
	void *arg;
	const struct reply *r;
	struct tlsockd_session s;	/* 2 KiB: not on the callback's stack */
};

static void get_addr(const struct nlattr *a, struct sockaddr_storage *ss, socklen_t *len)
{
	if (!a || nla_len(a) > (int)sizeof(*ss))
		return;
	memcpy(ss, nla_data(a), nla_len(a));
	*len = nla_len(a);
}

static int parse_session(struct nlattr **tb, void *arg)
{
	struct session_walk *w = arg;
	struct tlsockd_session *s = &w->s;
	struct nlattr *a;
	size_t at = 0;
	int rem;

	if (!tb[TLSOCK_A_SESSION_RULE_ID] || !tb[TLSOCK_A_SESSION_ROLE] ||
	    !tb[TLSOCK_A_SESSION_STATE])
		return -EPROTO;
	memset(s, 0, sizeof(*s));
	s->rule_id = nla_get_u32(tb[TLSOCK_A_SESSION_RULE_ID]);
	s->role = nla_get_u32(tb[TLSOCK_A_SESSION_ROLE]);
	s->state = nla_get_u32(tb[TLSOCK_A_SESSION_STATE]);
	get_addr(tb[TLSOCK_A_SESSION_LOCAL_ADDR], &s->local, &s->local_len);
	get_addr(tb[TLSOCK_A_SESSION_PEER_ADDR], &s->peer, &s->peer_len);
	if (tb[TLSOCK_A_SESSION_ERROR])
		s->error = nla_get_u32(tb[TLSOCK_A_SESSION_ERROR]);
	if (tb[TLSOCK_A_SESSION_BYTES_IN])
		s->bytes_in = nla_get_u64(tb[TLSOCK_A_SESSION_BYTES_IN]);
	if (tb[TLSOCK_A_SESSION_BYTES_OUT])
		s->bytes_out = nla_get_u64(tb[TLSOCK_A_SESSION_BYTES_OUT]);
	if (tb[TLSOCK_A_SESSION_VERSION])
		s->version = nla_get_u16(tb[TLSOCK_A_SESSION_VERSION]);
	if (tb[TLSOCK_A_SESSION_CIPHER])
		s->cipher = nla_get_u16(tb[TLSOCK_A_SESSION_CIPHER]);
	s->verified = tb[TLSOCK_A_SESSION_PEER_VERIFIED];
	if (tb[TLSOCK_A_SESSION_PEER_SUBJECT])
		snprintf(s->subject, sizeof(s->subject), "%s",
			 nla_get_string(tb[TLSOCK_A_SESSION_PEER_SUBJECT]));
	/* every peer-san of the message (libnl's table keeps the last one only) */
	nla_for_each_attr(a, genlmsg_attrdata(nlmsg_data(nlmsg_hdr(w->r->cur)), 0),
			  genlmsg_attrlen(nlmsg_data(nlmsg_hdr(w->r->cur)), 0), rem) {
		int n;

		if (nla_type(a) != TLSOCK_A_SESSION_PEER_SAN || at >= sizeof(s->san))
			continue;
		n = snprintf(s->san + at, sizeof(s->san) - at, "%s%s", at ? ", " : "",
			     nla_get_string(a));
		at = n < 0 ? at : at + n;
	}
	w->fn(s, w->arg);
	return 0;
}

/**
 * tlsockd_nl_session_list() - call @fn for every live transparent session
 * @nl: socket
 * @fn: called once per session (its argument is valid during the call only)
 * @arg: its argument
 *
 * Return: 0 or a negative errno.
 */
int tlsockd_nl_session_list(struct tlsockd_nl *nl, tlsockd_session_fn fn, void *arg)
{
	struct session_walk *w;
	struct reply r = {
		.cmd = TLSOCK_CMD_SESSION_GET,
		.parse = parse_session,
	};
	struct nl_msg *msg;
	int err = -ENOMEM;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fn = fn;
	w->arg = arg;
	w->r = &r;
	r.arg = w;
	msg = new_msg(nl, TLSOCK_CMD_SESSION_GET, 0);
	if (!msg)
		goto out;
	nlmsg_hdr(msg)->nlmsg_flags |= NLM_F_DUMP;
	err = transact(nl, msg, &r);
	nlmsg_free(msg);
out:
	free(w);
	return err;
}
