// SPDX-License-Identifier: GPL-2.0
/*
 * The tests' stand-in for tlsockd: raw generic netlink (see fake_daemon.h).
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/tlsock.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "fake_daemon.h"

#define NLA_ALIGN4(n)	(((n) + 3) & ~(size_t)3)

int tlsock_fd_attr(struct tlsock_fd_attrs *a, uint16_t type, const void *data, size_t len)
{
	struct nlattr nla = { .nla_len = NLA_HDRLEN + len, .nla_type = type };

	if (a->len + NLA_HDRLEN + NLA_ALIGN4(len) > sizeof(a->buf) || len > 0xffff - NLA_HDRLEN)
		return -E2BIG;
	memcpy(a->buf + a->len, &nla, sizeof(nla));
	memset(a->buf + a->len + NLA_HDRLEN, 0, NLA_ALIGN4(len));
	if (len)
		memcpy(a->buf + a->len + NLA_HDRLEN, data, len);
	a->len += NLA_HDRLEN + NLA_ALIGN4(len);
	return 0;
}

int tlsock_fd_attr_u32(struct tlsock_fd_attrs *a, uint16_t type, uint32_t v)
{
	return tlsock_fd_attr(a, type, &v, sizeof(v));
}

const void *tlsock_fd_find_attr(const void *attrs, size_t len, uint16_t type, size_t *alen)
{
	const uint8_t *p = attrs;

	while (len >= NLA_HDRLEN) {
		const struct nlattr *nla = (const void *)p;
		size_t step = NLA_ALIGN4(nla->nla_len);

		if (nla->nla_len < NLA_HDRLEN || nla->nla_len > len)
			return NULL;
		if ((nla->nla_type & NLA_TYPE_MASK) == type) {
			*alen = nla->nla_len - NLA_HDRLEN;
			return p + NLA_HDRLEN;
		}
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	return NULL;
}

/**
 * tlsock_fd_put_hdr() - write a netlink and genetlink header
 * @buf: at least NLMSG_HDRLEN + GENL_HDRLEN bytes
 * @type: nlmsg_type (a family id)
 * @flags: nlmsg_flags
 * @seq: sequence number
 * @cmd: genetlink command
 * @alen: bytes of attributes that will follow the headers
 *
 * Return: the message length written into nlmsg_len.
 */
size_t tlsock_fd_put_hdr(void *buf, uint16_t type, uint16_t flags, uint32_t seq, uint8_t cmd,
			 size_t alen)
{
	struct nlmsghdr *nlh = buf;
	struct genlmsghdr *g = NLMSG_DATA(nlh);

	memset(buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	nlh->nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN + alen;
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	g->cmd = cmd;
	g->version = 1;
	return nlh->nlmsg_len;
}

/* A fresh sequence number for a message of @d (never 0, the kernel's own messages' one). */
uint32_t tlsock_fd_next_seq(struct tlsock_fd *d)
{
	if (!++d->seq)
		++d->seq;
	return d->seq;
}

/* Send @len bytes as they are: one datagram, whatever its headers say. */
int tlsock_fd_send_raw(struct tlsock_fd *d, const void *msg, size_t len)
{
	return send(d->nl, msg, len, 0) < 0 ? -errno : 0;
}

/**
 * tlsock_fd_wait_ack() - read up to the ack of message @seq
 * @d: daemon socket
 * @seq: sequence number of the message
 * @timeout_ms: longest wait for each datagram; negative: no limit
 * @ack: filled with the ack's error and the attributes of a reply, if any
 *
 * Messages of other sequence numbers (READY, TICKET, stale acks) are
 * skipped, and so is a receive buffer overrun.
 *
 * Return: 0 when the ack came, -ETIMEDOUT when nothing came for @timeout_ms,
 * or another negative errno of recv.
 */
int tlsock_fd_wait_ack(struct tlsock_fd *d, uint32_t seq, int timeout_ms,
		       struct tlsock_fd_ack *ack)
{
	uint8_t buf[8192] __attribute__((aligned(4)));
	struct pollfd p = { .fd = d->nl, .events = POLLIN };
	struct nlmsghdr *nlh;
	ssize_t n;

	ack->err = 0;
	ack->replied = false;
	ack->reply_len = 0;
	for (;;) {
		size_t left;

		if (poll(&p, 1, timeout_ms) == 0)
			return -ETIMEDOUT;
		n = recv(d->nl, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)
				continue;	/* multicast overrun: our ack still comes */
			return -errno;
		}
		left = n;
		for (nlh = (void *)buf; NLMSG_OK(nlh, left); nlh = NLMSG_NEXT(nlh, left)) {
			size_t len;

			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nlh);

				ack->err = e->error;
				return 0;
			}
			/* the end of a dump: its status, as an ack's */
			if (nlh->nlmsg_type == NLMSG_DONE) {
				if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
					memcpy(&ack->err, NLMSG_DATA(nlh), sizeof(int));
				return 0;
			}
			if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
				continue;
			len = nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
			if (len > sizeof(ack->reply))
				len = sizeof(ack->reply);
			memcpy(ack->reply, (uint8_t *)NLMSG_DATA(nlh) + GENL_HDRLEN, len);
			ack->reply_len = len;
			ack->replied = true;
		}
	}
}

/*
 * Send one request on family @family and read up to its ack.  The attributes
 * of a reply (if any) land in @reply.  Returns 0 or the negative errno of the
 * ack.  Multicast READY messages met on the way are skipped.
 */
static int tlsock_fd_xfer(struct tlsock_fd *d, uint16_t family, uint8_t cmd, const void *attrs,
			  size_t alen, void *reply, size_t *reply_len)
{
	uint8_t buf[8192] __attribute__((aligned(4)));
	struct tlsock_fd_ack ack;
	uint32_t seq = tlsock_fd_next_seq(d);
	size_t len;
	int err;

	if (NLMSG_HDRLEN + GENL_HDRLEN + alen > sizeof(buf))
		return -E2BIG;
	len = tlsock_fd_put_hdr(buf, family, NLM_F_REQUEST | NLM_F_ACK, seq, cmd, alen);
	memcpy(buf + NLMSG_HDRLEN + GENL_HDRLEN, attrs, alen);
	err = tlsock_fd_send_raw(d, buf, len);
	if (!err)
		err = tlsock_fd_wait_ack(d, seq, -1, &ack);
	if (err)
		return err;
	if (reply && reply_len && ack.replied) {
		if (ack.reply_len < *reply_len)
			*reply_len = ack.reply_len;
		memcpy(reply, ack.reply, *reply_len);
	}
	err = ack.err;
	memset(&ack, 0, sizeof(ack));
	return err;
}

/* Family and multicast group ids of "tlsock". */
static int tlsock_fd_resolve(struct tlsock_fd *d)
{
	struct tlsock_fd_attrs a = { 0 };
	uint8_t reply[4096];
	size_t rlen = sizeof(reply), glen, len;
	const uint8_t *groups, *p;
	const void *v;
	int err;

	tlsock_fd_attr(&a, CTRL_ATTR_FAMILY_NAME, TLSOCK_FAMILY_NAME, sizeof(TLSOCK_FAMILY_NAME));
	err = tlsock_fd_xfer(d, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, a.buf, a.len, reply, &rlen);
	if (err)
		return err;
	v = tlsock_fd_find_attr(reply, rlen, CTRL_ATTR_FAMILY_ID, &len);
	if (!v || len != sizeof(uint16_t))
		return -EPROTO;
	memcpy(&d->family, v, sizeof(d->family));
	groups = tlsock_fd_find_attr(reply, rlen, CTRL_ATTR_MCAST_GROUPS, &glen);
	if (!groups)
		return -EPROTO;
	/* nested: one nest per group holding its name and id */
	for (p = groups; glen >= NLA_HDRLEN;) {
		const struct nlattr *nest = (const void *)p;
		size_t nlen = nest->nla_len - NLA_HDRLEN, step = NLA_ALIGN4(nest->nla_len);
		const void *name = tlsock_fd_find_attr(p + NLA_HDRLEN, nlen, CTRL_ATTR_MCAST_GRP_NAME,
						       &len);

		if (name && !strcmp(name, TLSOCK_MCGRP_TLSOCKD)) {
			v = tlsock_fd_find_attr(p + NLA_HDRLEN, nlen, CTRL_ATTR_MCAST_GRP_ID, &len);
			if (!v || len != sizeof(uint32_t))
				return -EPROTO;
			memcpy(&d->group, v, sizeof(d->group));
			return 0;
		}
		if (nest->nla_len < NLA_HDRLEN || step >= glen)
			break;
		p += step;
		glen -= step;
	}
	return -ENOENT;
}

/**
 * tlsock_fd_open_at() - open a daemon socket bound to a chosen port
 * @d: state to fill
 * @join: join the "tlsockd" group, which is what makes the kernel see a daemon
 * @portid: netlink port id to bind, 0 for one the kernel picks
 */
int tlsock_fd_open_at(struct tlsock_fd *d, bool join, uint32_t portid)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_pid = portid };
	socklen_t slen = sizeof(sa);
	int err;

	memset(d, 0, sizeof(*d));
	d->nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (d->nl < 0)
		return -errno;
	if (bind(d->nl, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(d->nl, (struct sockaddr *)&sa, &slen)) {
		err = -errno;
		goto fail;
	}
	d->portid = sa.nl_pid;
	err = tlsock_fd_resolve(d);
	if (err)
		goto fail;
	if (join && setsockopt(d->nl, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &d->group,
			       sizeof(d->group))) {
		err = -errno;
		goto fail;
	}
	return 0;
fail:
	close(d->nl);
	d->nl = -1;
	return err;
}

/* tlsock_fd_open_at() with a port the kernel picks. */
int tlsock_fd_open(struct tlsock_fd *d, bool join)
{
	return tlsock_fd_open_at(d, join, 0);
}

/*
 * Wait up to @timeout_ms for a message the kernel sends on its own (READY,
 * TICKET); its genetlink command goes to *@cmd.  -ETIMEDOUT when none came.
 */
int tlsock_fd_wait_msg(struct tlsock_fd *d, int timeout_ms, uint8_t *cmd)
{
	uint8_t buf[8192] __attribute__((aligned(4)));
	struct pollfd p = { .fd = d->nl, .events = POLLIN };
	struct nlmsghdr *nlh = (void *)buf;
	ssize_t n;

	if (poll(&p, 1, timeout_ms) != 1)
		return -ETIMEDOUT;
	n = recv(d->nl, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	if (!NLMSG_OK(nlh, (size_t)n) || nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return -EPROTO;
	*cmd = ((struct genlmsghdr *)NLMSG_DATA(nlh))->cmd;
	return 0;
}

/*
 * Read and drop whatever piled up on @d (READY floods, overrun notices): a
 * full receive buffer would drop the kernel's answer to our next request.
 */
void tlsock_fd_drain(struct tlsock_fd *d)
{
	uint8_t buf[8192] __attribute__((aligned(4)));

	while (recv(d->nl, buf, sizeof(buf), MSG_DONTWAIT) >= 0 || errno == ENOBUFS)
		;
}

void tlsock_fd_close(struct tlsock_fd *d)
{
	if (d->nl >= 0)
		close(d->nl);
	d->nl = -1;
}

/**
 * tlsock_fd_request() - one request of the tlsock family
 * @d: daemon socket
 * @cmd: TLSOCK_CMD_*
 * @a: attributes, or NULL
 * @reply: where the reply's attributes go, or NULL
 * @reply_len: in: room; out: bytes
 */
int tlsock_fd_request(struct tlsock_fd *d, uint8_t cmd, const struct tlsock_fd_attrs *a,
		      void *reply, size_t *reply_len)
{
	return tlsock_fd_xfer(d, d->family, cmd, a ? a->buf : NULL, a ? a->len : 0, reply,
			      reply_len);
}

/**
 * tlsock_fd_accept() - claim the oldest pending request
 * @d: daemon socket
 * @id: its id
 * @sockfd: the application's socket, as a descriptor of ours
 *
 * Return: 0, -EAGAIN when nothing is pending, or another negative errno.
 */
int tlsock_fd_accept(struct tlsock_fd *d, uint32_t *id, int *sockfd)
{
	uint8_t reply[1024];
	size_t rlen = sizeof(reply), len;
	const void *vid, *vfd;
	int err;

	err = tlsock_fd_request(d, TLSOCK_CMD_ACCEPT, NULL, reply, &rlen);
	if (err)
		return err;
	vid = tlsock_fd_find_attr(reply, rlen, TLSOCK_A_ACCEPT_REQ_ID, &len);
	if (!vid || len != sizeof(*id))
		return -EPROTO;
	vfd = tlsock_fd_find_attr(reply, rlen, TLSOCK_A_ACCEPT_SOCKFD, &len);
	if (!vfd || len != sizeof(*sockfd))
		return -EPROTO;
	memcpy(id, vid, sizeof(*id));
	memcpy(sockfd, vfd, sizeof(*sockfd));
	return 0;
}

/* tlsock_fd_accept(), retried every few milliseconds for up to @timeout_ms. */
int tlsock_fd_accept_wait(struct tlsock_fd *d, uint32_t *id, int *sockfd, int timeout_ms)
{
	struct timespec pause = { .tv_nsec = 2 * 1000 * 1000 };
	int err, waited;

	for (waited = 0;; waited += 2) {
		err = tlsock_fd_accept(d, id, sockfd);
		if (err != -EAGAIN || waited >= timeout_ms)
			return err;
		nanosleep(&pause, NULL);
	}
}

/* Fill @done with the crypto_infos of @tx and @rx (the version and cipher of @tx). */
void tlsock_fd_done_keys(struct tlsock_fd_done *done, const struct tlsock_keys *tx,
			 const struct tlsock_keys *rx)
{
	done->version = tx->version;
	done->cipher = tx->suite->cipher;
	done->tx_len = tlsock_keys_info(tx, &done->tx);
	done->rx_len = tlsock_keys_info(rx, &done->rx);
}

/**
 * tlsock_fd_send_done() - complete request @id
 * @d: the socket that claimed it
 * @id: request id
 * @done: what to report
 *
 * Return: the kernel's answer (0 or a negative errno).
 */
int tlsock_fd_send_done(struct tlsock_fd *d, uint32_t id, const struct tlsock_fd_done *done)
{
	struct tlsock_fd_attrs a = { 0 };
	int err;

	tlsock_fd_attr_u32(&a, TLSOCK_A_DONE_REQ_ID, id);
	tlsock_fd_attr_u32(&a, TLSOCK_A_DONE_STATUS, done->status);
	if (!done->status) {
		tlsock_fd_attr(&a, TLSOCK_A_DONE_VERSION, &done->version, sizeof(done->version));
		tlsock_fd_attr(&a, TLSOCK_A_DONE_CIPHER, &done->cipher, sizeof(done->cipher));
		tlsock_fd_attr(&a, TLSOCK_A_DONE_TX_CRYPTO, &done->tx, done->tx_len);
		tlsock_fd_attr(&a, TLSOCK_A_DONE_RX_CRYPTO, &done->rx, done->rx_len);
		if (done->secret_len) {
			tlsock_fd_attr(&a, TLSOCK_A_DONE_TX_SECRET, done->secret_tx,
				       done->secret_len);
			tlsock_fd_attr(&a, TLSOCK_A_DONE_RX_SECRET, done->secret_rx,
				       done->secret_len);
		}
		if (done->verified)
			tlsock_fd_attr(&a, TLSOCK_A_DONE_PEER_VERIFIED, NULL, 0);
		if (done->subject)
			tlsock_fd_attr(&a, TLSOCK_A_DONE_PEER_SUBJECT, done->subject,
				       strlen(done->subject) + 1);
		if (done->ticket_portid)
			tlsock_fd_attr_u32(&a, TLSOCK_A_DONE_TICKET_PORTID, done->ticket_portid);
	}
	err = tlsock_fd_request(d, TLSOCK_CMD_DONE, &a, NULL, NULL);
	memset(&a, 0, sizeof(a));
	return err;
}

enum tlsock_fdp_op {
	TLSOCK_FDP_ACCEPT = 1,
	TLSOCK_FDP_DONE,
	TLSOCK_FDP_CLOSE_NL,
	TLSOCK_FDP_SETSOCKOPT,
};

/* One command to the child; the answer is an int (0 or -errno) and an id. */
struct tlsock_fdp_cmd {
	int op;
	uint32_t id;
	int timeout_ms;
	int level;
	int name;
	unsigned int len;
	uint8_t val[128];
	struct tlsock_fd_done done;
};

struct tlsock_fdp_ans {
	int err;
	uint32_t id;
};

static void tlsock_fdp_child(int ctl)
{
	struct tlsock_fdp_cmd cmd;
	struct tlsock_fdp_ans ans;
	struct tlsock_fd d;
	int sockfd = -1;

	ans.err = tlsock_fd_open(&d, true);
	ans.id = 0;
	if (write(ctl, &ans, sizeof(ans)) != sizeof(ans) || ans.err)
		_exit(1);
	while (read(ctl, &cmd, sizeof(cmd)) == sizeof(cmd)) {
		ans.err = 0;
		if (d.nl >= 0)
			tlsock_fd_drain(&d);
		switch (cmd.op) {
		case TLSOCK_FDP_ACCEPT:
			if (sockfd >= 0)
				close(sockfd);
			sockfd = -1;
			ans.err = tlsock_fd_accept_wait(&d, &ans.id, &sockfd, cmd.timeout_ms);
			break;
		case TLSOCK_FDP_DONE:
			cmd.done.subject = NULL;	/* a pointer of the parent's */
			ans.err = tlsock_fd_send_done(&d, cmd.id, &cmd.done);
			break;
		case TLSOCK_FDP_CLOSE_NL:
			tlsock_fd_close(&d);
			break;
		case TLSOCK_FDP_SETSOCKOPT:
			if (sockfd < 0 || cmd.len > sizeof(cmd.val))
				ans.err = -EBADF;
			else if (setsockopt(sockfd, cmd.level, cmd.name, cmd.val, cmd.len))
				ans.err = -errno;
			break;
		default:
			ans.err = -EINVAL;
		}
		memset(&cmd, 0, sizeof(cmd));
		if (write(ctl, &ans, sizeof(ans)) != sizeof(ans))
			break;
	}
	_exit(0);
}

/**
 * tlsock_fdp_spawn() - start the stand-in in a child process
 * @p: handle to fill
 *
 * The child lives in the caller's network namespace and has joined the
 * daemon group when this returns 0.
 */
int tlsock_fdp_spawn(struct tlsock_fdp *p)
{
	struct tlsock_fdp_ans ans;
	int sv[2];

	p->pid = -1;
	p->ctl = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	p->pid = fork();
	if (p->pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -EAGAIN;
	}
	if (!p->pid) {
		close(sv[0]);
		tlsock_fdp_child(sv[1]);
	}
	close(sv[1]);
	p->ctl = sv[0];
	if (read(p->ctl, &ans, sizeof(ans)) != sizeof(ans))
		return -EIO;
	return ans.err;
}

static int tlsock_fdp_call(struct tlsock_fdp *p, struct tlsock_fdp_cmd *cmd, uint32_t *id)
{
	struct tlsock_fdp_ans ans;
	ssize_t n = write(p->ctl, cmd, sizeof(*cmd));

	memset(cmd, 0, sizeof(*cmd));
	if (n != sizeof(*cmd) || read(p->ctl, &ans, sizeof(ans)) != sizeof(ans))
		return -EIO;
	if (id)
		*id = ans.id;
	return ans.err;
}

/* The child claims the oldest request, retrying for up to @timeout_ms. */
int tlsock_fdp_accept(struct tlsock_fdp *p, uint32_t *id, int timeout_ms)
{
	struct tlsock_fdp_cmd cmd = { .op = TLSOCK_FDP_ACCEPT, .timeout_ms = timeout_ms };

	return tlsock_fdp_call(p, &cmd, id);
}

/* The child sends DONE (@done->subject is not carried over). */
int tlsock_fdp_done(struct tlsock_fdp *p, uint32_t id, const struct tlsock_fd_done *done)
{
	struct tlsock_fdp_cmd cmd = { .op = TLSOCK_FDP_DONE, .id = id, .done = *done };

	return tlsock_fdp_call(p, &cmd, NULL);
}

/* The child closes its netlink socket, as a daemon that dies does. */
int tlsock_fdp_close_nl(struct tlsock_fdp *p)
{
	struct tlsock_fdp_cmd cmd = { .op = TLSOCK_FDP_CLOSE_NL };

	return tlsock_fdp_call(p, &cmd, NULL);
}

/* setsockopt on the child's descriptor of the claimed socket. */
int tlsock_fdp_setsockopt(struct tlsock_fdp *p, int level, int name, const void *val,
			  unsigned int len)
{
	struct tlsock_fdp_cmd cmd = {
		.op = TLSOCK_FDP_SETSOCKOPT, .level = level, .name = name, .len = len,
	};

	if (len > sizeof(cmd.val))
		return -E2BIG;
	memcpy(cmd.val, val, len);
	return tlsock_fdp_call(p, &cmd, NULL);
}

/* End the child: its sockets close, as when a daemon exits. */
void tlsock_fdp_stop(struct tlsock_fdp *p)
{
	if (p->ctl >= 0)
		close(p->ctl);
	p->ctl = -1;
	if (p->pid > 0)
		waitpid(p->pid, NULL, 0);
	p->pid = -1;
}
