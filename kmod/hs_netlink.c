// SPDX-License-Identifier: GPL-2.0
/*
 * Managed handshakes, netlink side: the "tlsock" generic netlink family
 * (uapi/tlsock.yaml; policies and op table generated in genl.c), the
 * per-namespace request lists, and the daemon-exit notifier.
 *
 * A request is announced with READY: unicast to one parked port if any,
 * else multicast on group "tlsockd".  A daemon thread with nothing to do
 * parks its port (the PARK flag of ACCEPT or DONE) and sleeps in recv on
 * it, so each request wakes exactly one idle thread, with no relay through
 * a listening thread.  The most recently parked port is woken first (its
 * thread is the likeliest to be cache-hot).  A port leaves the parked set
 * when it is woken, claims a request or is released.  A port may take
 * one role only (ROLE_FILTER of ACCEPT or DONE: a daemon whose server
 * handshakes are at their budget leaves those queued here rather than
 * claim and refuse them); a request is announced to the most recently
 * parked port taking only its role, else to the most recently parked one
 * taking any, so the ports that can take servers are kept for them.  A
 * daemon claims the oldest request (of its role) with ACCEPT and receives
 * the application's
 * socket as a new descriptor: the very same open file, so the daemon's
 * descriptor keeps the socket alive until the daemon closes it.  DONE is
 * accepted only from the netlink port that claimed the request.  When that
 * port is released (the daemon closed it or died) every request it held
 * fails with EOWNERDEAD.
 *
 * A TLS 1.3 server sends NewSessionTickets after the handshake, when the
 * kernel owns the record layer.  If DONE named a ticket port, the receive
 * path copies each ticket (at most TLSOCK_TICKETS_MAX per socket, each at
 * most TLSOCK_TICKET_MSG_MAX bytes, TLSOCK_HS_TICKETS_INFLIGHT in flight
 * overall) and a work item unicasts it there as TICKET.  Nothing waits for
 * the daemon: if the port is gone (daemon restarted) or its buffer is full,
 * the ticket is dropped.  A ticket is no key (the resumption secret it needs
 * never leaves the daemon), but our copy is wiped anyway.
 */
#include <linux/file.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <linux/workqueue.h>
#include <net/genetlink.h>
#include <net/netns/generic.h>

#include "hs.h"
#include "genl.h"

/* ynl-gen-c.py (6.12) does not render multicast-group flags: set them here */
static const struct genl_multicast_group tlsock_hs_mcgrps[] = {
	[TLSOCK_NLGRP_TLSOCKD] = {
		.name = TLSOCK_MCGRP_TLSOCKD,
		.flags = GENL_MCAST_CAP_NET_ADMIN,
	},
};

/* the one family of the module: policy.c's commands are in tlsock_nl_ops too */
struct genl_family tlsock_genl_family __ro_after_init = {
	.name		= TLSOCK_FAMILY_NAME,
	.version	= TLSOCK_FAMILY_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	TLSOCK_GENL_OPS(tlsock_nl_ops),
	.mcgrps		= tlsock_hs_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(tlsock_hs_mcgrps),
};

static unsigned int tlsock_hs_net_id __read_mostly;

/* The header of a reply to @info's request, with its command. */
static void *tlsock_hs_reply_put(struct sk_buff *msg, struct genl_info *info)
{
	return genlmsg_put(msg, info->snd_portid, info->snd_seq, &tlsock_genl_family, 0,
			   info->genlhdr->cmd);
}

#define TLSOCK_HS_TICKETS_INFLIGHT	256

/* tickets being forwarded; drained (destroy_workqueue) before unload */
static struct workqueue_struct *tlsock_hs_wq;
static atomic_t tlsock_hs_tickets_inflight = ATOMIC_INIT(0);

/**
 * tlsock_hs_pernet() - upcall state of a network namespace
 * @net: namespace
 *
 * Return: the namespace's state (always present while the module is loaded).
 */
struct tlsock_hs_net *tlsock_hs_pernet(struct net *net)
{
	return net_generic(net, tlsock_hs_net_id);
}

/**
 * tlsock_hs_has_daemon() - does a daemon listen in @net?
 * @net: namespace
 *
 * Return: true when a socket of @net is in group "tlsockd".
 */
bool tlsock_hs_has_daemon(struct net *net)
{
	return genl_has_listeners(&tlsock_genl_family, net, TLSOCK_NLGRP_TLSOCKD) > 0;
}

static struct sk_buff *tlsock_hs_ready_msg(u32 id)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(nla_total_size(sizeof(u32)), GFP_KERNEL);
	if (!msg)
		return NULL;
	hdr = genlmsg_put(msg, 0, 0, &tlsock_genl_family, 0, TLSOCK_CMD_READY);
	if (!hdr || nla_put_u32(msg, TLSOCK_A_ACCEPT_REQ_ID, id)) {
		nlmsg_free(msg);
		return NULL;
	}
	genlmsg_end(msg, hdr);
	return msg;
}

/* Drop entry @i of the parked set.  hn->lock held. */
static void tlsock_hs_unpark_at(struct tlsock_hs_net *hn, unsigned int i)
{
	hn->nr_parked--;
	memmove(&hn->parked[i], &hn->parked[i + 1], (hn->nr_parked - i) * sizeof(hn->parked[0]));
	memmove(&hn->parked_role[i], &hn->parked_role[i + 1],
		(hn->nr_parked - i) * sizeof(hn->parked_role[0]));
}

/* Drop @portid from the parked set.  hn->lock held. */
static void tlsock_hs_unpark_locked(struct tlsock_hs_net *hn, u32 portid)
{
	unsigned int i;

	lockdep_assert_held(&hn->lock);
	for (i = 0; i < hn->nr_parked; i++) {
		if (hn->parked[i] != portid)
			continue;
		tlsock_hs_unpark_at(hn, i);
		return;
	}
}

static void tlsock_hs_unpark(struct tlsock_hs_net *hn, u32 portid)
{
	spin_lock(&hn->lock);
	tlsock_hs_unpark_locked(hn, portid);
	spin_unlock(&hn->lock);
}

/* ROLE_FILTER of ACCEPT or DONE (range checked by the policy); absent: any */
static u32 tlsock_hs_filter(const struct nlattr *attr)
{
	return attr ? nla_get_u32(attr) : TLSOCK_ROLE_UNSPEC;
}

/* Does a port taking @filter take a request of @role? */
static bool tlsock_hs_role_ok(u32 filter, u32 role)
{
	return filter == TLSOCK_ROLE_UNSPEC || filter == role;
}

/*
 * The port to announce a request of @role to, taken out of the set; 0 if
 * none: the most recently parked one taking only @role, else the most
 * recently parked one taking any role.
 */
static u32 tlsock_hs_unpark_for(struct tlsock_hs_net *hn, u32 role)
{
	unsigned int i, any = UINT_MAX;
	u32 portid = 0;

	spin_lock(&hn->lock);
	for (i = hn->nr_parked; i-- > 0;) {
		if (hn->parked_role[i] == role)
			break;
		if (hn->parked_role[i] == TLSOCK_ROLE_UNSPEC && any == UINT_MAX)
			any = i;
	}
	if (i == UINT_MAX)
		i = any;
	if (i != UINT_MAX) {
		portid = hn->parked[i];
		tlsock_hs_unpark_at(hn, i);
	}
	spin_unlock(&hn->lock);
	return portid;
}

enum tlsock_hs_park_result {
	TLSOCK_HS_PARKED,	/* READY will come when a request does */
	TLSOCK_HS_PARK_PENDING,	/* a request waits: claim it instead */
	TLSOCK_HS_PARK_FULL,	/* not parked: the daemon polls */
};

/*
 * Park @portid, taking requests of @filter, unless one is pending (one
 * ACCEPT with @filter could claim).  Under the lock that link() takes to
 * queue, so a request is either seen here or finds the port in the set
 * when it is announced.
 */
static enum tlsock_hs_park_result tlsock_hs_park(struct tlsock_hs_net *hn, u32 portid,
						 u32 filter, u32 *first_id)
{
	enum tlsock_hs_park_result ret = TLSOCK_HS_PARKED;
	struct tlsock_hs *hs;

	spin_lock(&hn->lock);
	list_for_each_entry(hs, &hn->queue, node) {
		/* one whose file is being released is about to be cancelled */
		if (!file_count(hs->sk->sk_socket->file) ||
		    test_bit(TLSOCK_HS_AWAIT_DATA, &hs->bits) ||
		    !tlsock_hs_role_ok(filter, hs->req.role))
			continue;
		*first_id = hs->id;
		ret = TLSOCK_HS_PARK_PENDING;
		goto out;
	}
	/* parked again: the newest filter counts, and so does the newest place */
	tlsock_hs_unpark_locked(hn, portid);
	if (hn->nr_parked == ARRAY_SIZE(hn->parked)) {
		ret = TLSOCK_HS_PARK_FULL;
	} else {
		hn->parked[hn->nr_parked] = portid;
		hn->parked_role[hn->nr_parked++] = filter;
	}
out:
	spin_unlock(&hn->lock);
	return ret;
}

/**
 * tlsock_hs_notify() - announce request @id to the daemons of @net
 * @net: namespace
 * @id: request id
 * @role: its role, which the parked port chosen must take
 *
 * Context: process context.
 * Return: 0, or -ESRCH when nobody listens.  Other delivery failures (every
 * daemon's receive buffer is full) are not the request's failure: the
 * daemon notices the overrun (ENOBUFS) and drains the queue with ACCEPT.
 */
int tlsock_hs_notify(struct net *net, u32 id, u32 role)
{
	struct tlsock_hs_net *hn = tlsock_hs_pernet(net);
	struct sk_buff *msg;
	u32 portid;
	int err;

	/* one idle thread; a port that is gone (or full) loses its turn */
	while ((portid = tlsock_hs_unpark_for(hn, role))) {
		msg = tlsock_hs_ready_msg(id);
		if (!msg)
			return 0;	/* the daemon's periodic ACCEPT finds the request */
		if (!genlmsg_unicast(net, msg, portid))
			return 0;
	}
	msg = tlsock_hs_ready_msg(id);
	if (!msg)
		return 0;
	err = genlmsg_multicast_netns(&tlsock_genl_family, net, msg, 0, TLSOCK_NLGRP_TLSOCKD,
				      GFP_KERNEL);
	/*
	 * Delivered to nobody: either nobody listens, or every listener's
	 * buffer is full.  A busy daemon is no missing daemon: the request
	 * stays queued for its ACCEPT (or its timeout).
	 */
	if (err == -ESRCH && !tlsock_hs_has_daemon(net))
		return -ESRCH;
	return 0;
}

/*
 * Unfinished requests of @uid in @hn.  hn->lock held; at most
 * hs_max_pending entries to walk.
 */
static unsigned int tlsock_hs_user_count(struct tlsock_hs_net *hn, kuid_t uid)
{
	struct tlsock_hs *hs;
	unsigned int n = 0;

	lockdep_assert_held(&hn->lock);
	list_for_each_entry(hs, &hn->queue, node)
		n += uid_eq(hs->uid, uid);
	list_for_each_entry(hs, &hn->active, node)
		n += uid_eq(hs->uid, uid);
	return n;
}

/**
 * tlsock_hs_link() - give a new request an id and queue it
 * @hs: request
 *
 * Context: process context.
 * Return: 0, or -EBUSY when the namespace or the requesting user is at its
 * cap (or out of ids).
 */
int tlsock_hs_link(struct tlsock_hs *hs)
{
	struct tlsock_hs_net *hn = hs->hn;
	int err;

	err = xa_alloc_cyclic(&hn->ids, &hs->id, hs, XA_LIMIT(1, U32_MAX), &hn->next_id,
			      GFP_KERNEL);
	if (err < 0)
		return err == -ENOMEM ? err : -EBUSY;

	spin_lock(&hn->lock);
	if (hn->nr_queued + hn->nr_active >= READ_ONCE(tlsock_hs_max_pending) ||
	    tlsock_hs_user_count(hn, hs->uid) >= READ_ONCE(tlsock_hs_max_pending_user)) {
		spin_unlock(&hn->lock);
		xa_erase(&hn->ids, hs->id);
		return -EBUSY;
	}
	refcount_inc(&hs->ref);		/* being linked */
	list_add_tail(&hs->node, &hn->queue);
	hs->where = TLSOCK_HS_QUEUED;
	hn->nr_queued++;
	spin_unlock(&hn->lock);
	return 0;
}

/* Take @hs off its list.  hn->lock held.  Returns true if it was linked. */
static bool tlsock_hs_unlink_locked(struct tlsock_hs_net *hn, struct tlsock_hs *hs)
{
	lockdep_assert_held(&hn->lock);
	switch (hs->where) {
	case TLSOCK_HS_QUEUED:
		hn->nr_queued--;
		break;
	case TLSOCK_HS_ACTIVE:
		hn->nr_active--;
		break;
	default:
		return false;
	}
	list_del_init(&hs->node);
	hs->where = TLSOCK_HS_UNLINKED;
	hs->owner_portid = 0;
	xa_erase(&hn->ids, hs->id);
	return true;
}

/**
 * tlsock_hs_unlink() - a request finished: forget it
 * @hs: request
 *
 * Context: any context that may take a spinlock; the caller holds a
 * reference besides the one being dropped here.
 */
void tlsock_hs_unlink(struct tlsock_hs *hs)
{
	struct tlsock_hs_net *hn = hs->hn;
	bool was;

	spin_lock(&hn->lock);
	was = tlsock_hs_unlink_locked(hn, hs);
	spin_unlock(&hn->lock);
	if (was)
		tlsock_hs_put(hs);
}

/*
 * A reference on the socket's file, unless the file is already being
 * released (then close is about to cancel the request).  hn->lock held,
 * @hs linked: close has not run tlsock_hs_close() yet, so the socket still
 * has its struct socket and file.
 */
static struct file *tlsock_hs_file_get(struct tlsock_hs *hs)
{
	struct file *file = hs->sk->sk_socket->file;

	lockdep_assert_held(&hs->hn->lock);
	return tlsock_file_get_unless_zero(file) ? file : NULL;
}

/* Move the oldest claimable request of @filter to the active list, for @portid. */
static struct tlsock_hs *tlsock_hs_next(struct tlsock_hs_net *hn, u32 portid, u32 filter,
					struct file **filep)
{
	struct tlsock_hs *hs;

	spin_lock(&hn->lock);
	list_for_each_entry(hs, &hn->queue, node) {
		/* a server's request is claimable once its peer spoke */
		if (test_bit(TLSOCK_HS_AWAIT_DATA, &hs->bits) ||
		    !tlsock_hs_role_ok(filter, hs->req.role))
			continue;
		*filep = tlsock_hs_file_get(hs);
		if (!*filep)
			continue;
		list_move_tail(&hs->node, &hn->active);
		hs->where = TLSOCK_HS_ACTIVE;
		hs->owner_portid = portid;
		hn->nr_queued--;
		hn->nr_active++;
		refcount_inc(&hs->ref);
		spin_unlock(&hn->lock);
		return hs;
	}
	spin_unlock(&hn->lock);
	return NULL;
}

static int tlsock_hs_put_addr(struct sk_buff *msg, int type, struct socket *sock, bool peer)
{
	struct sockaddr_storage ss = {};
	int len;

	len = peer ? kernel_getpeername(sock, (struct sockaddr *)&ss) :
		     kernel_getsockname(sock, (struct sockaddr *)&ss);
	if (len < 0)
		return 0;	/* not connected any more: the handshake will say so */
	return nla_put(msg, type, len, &ss);
}

static struct sk_buff *tlsock_hs_accept_reply(struct tlsock_hs *hs, struct socket *sock,
					      struct genl_info *info, int fd)
{
	const struct tlsock_handshake *req = &hs->req;
	long left = (long)(hs->deadline - jiffies);
	struct sk_buff *msg;
	void *hdr;

	/* sized to fit: the buffer is zeroed on allocation (init_on_alloc) */
	msg = genlmsg_new(6 * nla_total_size(sizeof(u32)) +
			  nla_total_size(strnlen(req->profile, sizeof(req->profile)) + 1) +
			  nla_total_size(strnlen(req->server_name, sizeof(req->server_name)) + 1) +
			  2 * nla_total_size(sizeof(struct sockaddr_storage)), GFP_KERNEL);
	if (!msg)
		return NULL;
	hdr = tlsock_hs_reply_put(msg, info);
	if (!hdr)
		goto err;
	if (nla_put_u32(msg, TLSOCK_A_ACCEPT_REQ_ID, hs->id) ||
	    nla_put_s32(msg, TLSOCK_A_ACCEPT_SOCKFD, fd) ||
	    nla_put_u32(msg, TLSOCK_A_ACCEPT_ROLE, req->role) ||
	    nla_put_u32(msg, TLSOCK_A_ACCEPT_FLAGS, req->flags) ||
	    nla_put_u32(msg, TLSOCK_A_ACCEPT_TIMEOUT, left > 0 ? jiffies_to_msecs(left) : 0) ||
	    nla_put_string(msg, TLSOCK_A_ACCEPT_PROFILE, req->profile) ||
	    nla_put_string(msg, TLSOCK_A_ACCEPT_SERVER_NAME, req->server_name) ||
	    tlsock_hs_put_addr(msg, TLSOCK_A_ACCEPT_PEER_ADDR, sock, true) ||
	    tlsock_hs_put_addr(msg, TLSOCK_A_ACCEPT_LOCAL_ADDR, sock, false))
		goto err;
	/* a rule's connection: the daemon logs which rule */
	if (hs->caller && hs->caller->rule_id &&
	    nla_put_u32(msg, TLSOCK_A_ACCEPT_RULE_ID, hs->caller->rule_id(hs->caller_priv)))
		goto err;
	genlmsg_end(msg, hdr);
	return msg;
err:
	nlmsg_free(msg);
	return NULL;
}

int tlsock_nl_accept_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct tlsock_hs_net *hn = tlsock_hs_pernet(genl_info_net(info));
	bool park = nla_get_flag(info->attrs[TLSOCK_A_ACCEPT_PARK]);
	u32 filter = tlsock_hs_filter(info->attrs[TLSOCK_A_ACCEPT_ROLE_FILTER]);
	struct tlsock_hs *hs;
	struct sk_buff *msg;
	struct file *file;
	u32 first_id;
	int fd, err;

	for (;;) {
		hs = tlsock_hs_next(hn, info->snd_portid, filter, &file);
		if (!hs) {
			/* one queued meanwhile: look again rather than sleep on it */
			if (park && tlsock_hs_park(hn, info->snd_portid, filter, &first_id) ==
				    TLSOCK_HS_PARK_PENDING)
				continue;
			return -EAGAIN;
		}
		if (!tlsock_hs_claim(hs))
			break;
		/* it finished meanwhile (timeout): try the next one */
		fput(file);
		tlsock_hs_put(hs);
	}
	/* busy now: a parked port (woken by a timeout of its own) is no longer idle */
	tlsock_hs_unpark(hn, info->snd_portid);

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		err = fd;
		goto fail;
	}
	err = -ENOMEM;
	msg = tlsock_hs_accept_reply(hs, sock_from_file(file), info, fd);
	if (!msg)
		goto fail_fd;
	err = genlmsg_reply(msg, info);
	if (err)
		goto fail_fd;
	fd_install(fd, file);	/* takes our file reference */
	tlsock_hs_put(hs);
	return 0;

fail_fd:
	put_unused_fd(fd);
fail:
	/* the daemon never saw this request: fail it rather than lose it */
	tlsock_hs_fail(hs, -EIO);
	fput(file);
	tlsock_hs_put(hs);
	return err;
}

/* Look up request @id claimed by @portid; references on it and its file. */
static int tlsock_hs_find(struct tlsock_hs_net *hn, u32 id, u32 portid,
			  struct tlsock_hs **hsp, struct file **filep)
{
	struct tlsock_hs *hs;
	int err = 0;

	spin_lock(&hn->lock);
	hs = xa_load(&hn->ids, id);
	if (!hs || hs->where == TLSOCK_HS_UNLINKED) {
		err = -ENOENT;
	} else if (hs->where != TLSOCK_HS_ACTIVE || hs->owner_portid != portid) {
		err = -EPERM;
	} else {
		*filep = tlsock_hs_file_get(hs);
		if (*filep)
			refcount_inc(&hs->ref);
		else
			err = -ENOENT;
	}
	spin_unlock(&hn->lock);
	*hsp = hs;
	return err;
}

static int tlsock_hs_get_crypto(const struct nlattr *a, union tlsock_crypto_info *ci,
				unsigned int *len)
{
	/* the policy checks nothing: see uapi/tlsock.yaml */
	if (!a || nla_len(a) < sizeof(ci->info) || nla_len(a) > sizeof(*ci))
		return -EINVAL;
	*len = nla_len(a);
	memcpy(ci, nla_data(a), *len);
	return 0;
}

/* Collect the repeated PEER_SAN attributes, NUL-separated. */
static void tlsock_hs_get_san(struct genl_info *info, struct tlsock_hs_result *res)
{
	size_t room = sizeof(res->san) - 1;	/* the final empty entry */
	size_t at = 0;
	struct nlattr *a;
	int rem;

	nla_for_each_attr_type(a, TLSOCK_A_DONE_PEER_SAN, genlmsg_data(info->genlhdr),
			       genlmsg_len(info->genlhdr), rem) {
		size_t n = strnlen(nla_data(a), nla_len(a));

		if (!n)
			continue;
		if (at + n + 1 > room) {
			res->flags |= TLSOCK_INFO_F_SAN_TRUNCATED;
			break;
		}
		memcpy(res->san + at, nla_data(a), n);
		at += n + 1;
	}
}

static int tlsock_hs_parse_done(struct genl_info *info, struct tlsock_hs_result *res)
{
	struct nlattr **tb = info->attrs;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, TLSOCK_A_DONE_VERSION) ||
	    GENL_REQ_ATTR_CHECK(info, TLSOCK_A_DONE_CIPHER))
		return -EINVAL;
	res->version = nla_get_u16(tb[TLSOCK_A_DONE_VERSION]);
	res->cipher = nla_get_u16(tb[TLSOCK_A_DONE_CIPHER]);
	err = tlsock_hs_get_crypto(tb[TLSOCK_A_DONE_TX_CRYPTO], &res->tx, &res->tx_len);
	if (err)
		return err;
	err = tlsock_hs_get_crypto(tb[TLSOCK_A_DONE_RX_CRYPTO], &res->rx, &res->rx_len);
	if (err)
		return err;

	if (tb[TLSOCK_A_DONE_TX_SECRET] || tb[TLSOCK_A_DONE_RX_SECRET]) {
		const struct nlattr *t = tb[TLSOCK_A_DONE_TX_SECRET];
		const struct nlattr *r = tb[TLSOCK_A_DONE_RX_SECRET];

		if (!t || !r || nla_len(t) != nla_len(r) || nla_len(t) < 32 ||
		    nla_len(t) > TLSOCK_SECRET_MAX)
			return -EINVAL;
		res->secret_len = nla_len(t);
		memcpy(res->secret_tx, nla_data(t), res->secret_len);
		memcpy(res->secret_rx, nla_data(r), res->secret_len);
	}

	if (nla_get_flag(tb[TLSOCK_A_DONE_PEER_VERIFIED]))
		res->flags |= TLSOCK_INFO_F_PEER_VERIFIED;
	if (nla_get_flag(tb[TLSOCK_A_DONE_RESUMED]))
		res->flags |= TLSOCK_INFO_F_RESUMED;
	if (tb[TLSOCK_A_DONE_PEER_SUBJECT])
		res->subject = nla_data(tb[TLSOCK_A_DONE_PEER_SUBJECT]);
	tlsock_hs_get_san(info, res);
	/* the daemon left SANs out (too many or too long for a PEER_SAN) */
	if (nla_get_flag(tb[TLSOCK_A_DONE_PEER_SAN_TRUNCATED]))
		res->flags |= TLSOCK_INFO_F_SAN_TRUNCATED;
	if (tb[TLSOCK_A_DONE_TICKET_PORTID])
		res->ticket_portid = nla_get_u32(tb[TLSOCK_A_DONE_TICKET_PORTID]);
	return 0;
}

/* Keys also sit in the request message: wipe them there too when we can. */
static void tlsock_hs_wipe_attrs(struct sk_buff *skb, struct genl_info *info)
{
	int hdr = GENL_HDRLEN + tlsock_genl_family.hdrsize;
	struct nlattr *nla;
	int rem;

	if (skb_cloned(skb))
		return;	/* shared with a netlink tap: not ours to write */
	/* every copy: a key attribute given twice is parsed as the last one */
	nlmsg_for_each_attr(nla, info->nlhdr, hdr, rem) {
		switch (nla_type(nla)) {
		case TLSOCK_A_DONE_TX_CRYPTO:
		case TLSOCK_A_DONE_RX_CRYPTO:
		case TLSOCK_A_DONE_TX_SECRET:
		case TLSOCK_A_DONE_RX_SECRET:
			memzero_explicit(nla_data(nla), nla_len(nla));
			break;
		}
	}
}

/* DONE asked to park the sender: a pending request wakes it at once. */
static void tlsock_hs_done_park(struct tlsock_hs_net *hn, struct genl_info *info)
{
	u32 filter = tlsock_hs_filter(info->attrs[TLSOCK_A_DONE_ROLE_FILTER]);
	struct sk_buff *msg;
	u32 first_id;

	if (tlsock_hs_park(hn, info->snd_portid, filter, &first_id) != TLSOCK_HS_PARK_PENDING)
		return;
	/* queued before the ack (or error): the daemon sees it while it reads that */
	msg = tlsock_hs_ready_msg(first_id);
	if (msg)
		genlmsg_unicast(genl_info_net(info), msg, info->snd_portid);
}

int tlsock_nl_done_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct tlsock_hs_net *hn = tlsock_hs_pernet(genl_info_net(info));
	struct tlsock_hs_result *res = NULL;
	struct file *file = NULL;
	struct tlsock_hs *hs;
	int status, err;

	/*
	 * Park first: completing wakes the application, which may run before
	 * this returns and ask for its next handshake.  Parked already, this
	 * worker gets that READY itself, instead of the main thread a multicast.
	 */
	if (nla_get_flag(info->attrs[TLSOCK_A_DONE_PARK]))
		tlsock_hs_done_park(hn, info);
	if (GENL_REQ_ATTR_CHECK(info, TLSOCK_A_DONE_REQ_ID) ||
	    GENL_REQ_ATTR_CHECK(info, TLSOCK_A_DONE_STATUS)) {
		err = -EINVAL;
		goto out_wipe;
	}
	err = tlsock_hs_find(hn, nla_get_u32(info->attrs[TLSOCK_A_DONE_REQ_ID]),
			     info->snd_portid, &hs, &file);
	if (err)
		goto out_wipe;

	/* the policy keeps it below the kernel-internal codes (ERESTARTSYS...) */
	status = -(int)nla_get_u32(info->attrs[TLSOCK_A_DONE_STATUS]);
	if (!status) {
		err = -ENOMEM;
		res = kzalloc(sizeof(*res), GFP_KERNEL);
		if (!res)
			goto out_put;
		err = tlsock_hs_parse_done(info, res);
		if (err) {
			NL_SET_ERR_MSG(info->extack, "incomplete or inconsistent crypto state");
			goto out_put;
		}
		/* remembered until that port is released (tlsock_hs_netlink_event()) */
		if (res->ticket_portid &&
		    xa_err(xa_store(&hn->ticket_ports, res->ticket_portid, xa_mk_value(1),
				    GFP_KERNEL)))
			res->ticket_portid = 0;
	}
	err = tlsock_hs_complete(hs, status, res);

out_put:
	if (err && err != -ENOENT)
		tlsock_hs_fail(hs, -EIO);	/* a broken DONE fails the request */
	fput(file);
	tlsock_hs_put(hs);
out_wipe:
	kfree_sensitive(res);
	tlsock_hs_wipe_attrs(skb, info);
	return err;
}

/**
 * tlsock_hs_ticket_alloc() - room for a NewSessionTicket to forward
 * @len: message length, at most TLSOCK_TICKET_MSG_MAX
 *
 * Context: any; does not sleep.
 * Return: the ticket (fill @msg, then tlsock_hs_ticket_send()), or NULL
 * when too many are in flight or memory is short: the ticket is dropped.
 */
struct tlsock_hs_ticket *tlsock_hs_ticket_alloc(u32 len)
{
	struct tlsock_hs_ticket *t;

	if (atomic_inc_return(&tlsock_hs_tickets_inflight) > TLSOCK_HS_TICKETS_INFLIGHT)
		goto drop;
	t = kmalloc(struct_size(t, msg, len), GFP_ATOMIC | __GFP_NOWARN);
	if (!t)
		goto drop;
	t->len = len;
	return t;
drop:
	atomic_dec(&tlsock_hs_tickets_inflight);
	return NULL;
}

static void tlsock_hs_ticket_free(struct tlsock_hs_ticket *t)
{
	put_net(t->net);
	kfree_sensitive(t);
	atomic_dec(&tlsock_hs_tickets_inflight);
}

static void tlsock_hs_ticket_work(struct work_struct *work)
{
	struct tlsock_hs_ticket *t = container_of(work, struct tlsock_hs_ticket, work);
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(nla_total_size(sizeof(u32)) + nla_total_size(t->len), GFP_KERNEL);
	if (!msg)
		goto out;
	hdr = genlmsg_put(msg, 0, 0, &tlsock_genl_family, 0, TLSOCK_CMD_TICKET);
	if (!hdr || nla_put_u32(msg, TLSOCK_A_TICKET_REQ_ID, t->id) ||
	    nla_put(msg, TLSOCK_A_TICKET_MSG, t->len, t->msg)) {
		nlmsg_free(msg);
		goto out;
	}
	genlmsg_end(msg, hdr);
	/*
	 * Only to a port a daemon named in DONE and that was not released
	 * since: a port id freed by a daemon that exited may be bound by anyone.
	 * The port may also be full: the ticket is simply lost.
	 */
	if (xa_load(&tlsock_hs_pernet(t->net)->ticket_ports, t->portid))
		genlmsg_unicast(t->net, msg, t->portid);
	else
		nlmsg_free(msg);
out:
	tlsock_hs_ticket_free(t);
}

/**
 * tlsock_hs_ticket_send() - queue @t for the daemon that owns @hs's session
 * @net: namespace of the socket
 * @hs: finished request with a ticket port
 * @t: from tlsock_hs_ticket_alloc(), filled; consumed
 *
 * Context: any; does not sleep.  Socket lock held (for @hs's fields).
 */
void tlsock_hs_ticket_send(struct net *net, struct tlsock_hs *hs, struct tlsock_hs_ticket *t)
{
	INIT_WORK(&t->work, tlsock_hs_ticket_work);
	t->net = get_net(net);
	t->portid = hs->ticket_portid;
	t->id = hs->id;
	queue_work(tlsock_hs_wq, &t->work);
}

int tlsock_nl_status_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct tlsock_hs_net *hn = tlsock_hs_pernet(net);
	unsigned int queued, active;
	struct sk_buff *msg;
	void *hdr;

	/*
	 * The operation has no attributes, hence no policy.  7.x's genetlink
	 * core refuses any payload after the header of such an operation,
	 * 6.12's passes it on unread: refuse it here, so every kernel answers
	 * alike.
	 */
	if (nlmsg_attrlen(info->nlhdr, GENL_HDRLEN)) {
		GENL_SET_ERR_MSG(info, "STATUS_GET takes no attributes");
		return -EINVAL;
	}

	spin_lock(&hn->lock);
	queued = hn->nr_queued;
	active = hn->nr_active;
	spin_unlock(&hn->lock);

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = tlsock_hs_reply_put(msg, info);
	if (!hdr ||
	    nla_put_u32(msg, TLSOCK_A_STATUS_PENDING, queued) ||
	    nla_put_u32(msg, TLSOCK_A_STATUS_ACTIVE, active) ||
	    nla_put_u32(msg, TLSOCK_A_STATUS_MAX_PENDING, READ_ONCE(tlsock_hs_max_pending)) ||
	    nla_put_u32(msg, TLSOCK_A_STATUS_DEFAULT_TIMEOUT, READ_ONCE(tlsock_hs_timeout_ms)) ||
	    nla_put_u32(msg, TLSOCK_A_STATUS_LISTENERS, tlsock_hs_has_daemon(net))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* Fail every request claimed by a netlink port that is going away. */
static int tlsock_hs_netlink_event(struct notifier_block *nb, unsigned long event, void *ptr)
{
	struct netlink_notify *n = ptr;
	struct tlsock_hs_net *hn;
	struct tlsock_hs *hs;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC || !n->portid)
		return NOTIFY_DONE;
	hn = tlsock_hs_pernet(n->net);
	/* a later socket may get the same port id: it did not park, nor was it named for tickets */
	tlsock_hs_unpark(hn, n->portid);
	xa_erase(&hn->ticket_ports, n->portid);

	for (;;) {
		bool found = false;

		spin_lock(&hn->lock);
		list_for_each_entry(hs, &hn->active, node) {
			if (hs->owner_portid != n->portid)
				continue;
			/* no DONE can match any more, and we do not find it again */
			hs->owner_portid = 0;
			refcount_inc(&hs->ref);
			found = true;
			break;
		}
		spin_unlock(&hn->lock);
		if (!found)
			break;
		tlsock_hs_fail(hs, -EOWNERDEAD);
		tlsock_hs_put(hs);
	}
	return NOTIFY_DONE;
}

static struct notifier_block tlsock_hs_netlink_nb = {
	.notifier_call = tlsock_hs_netlink_event,
};

static int __net_init tlsock_hs_net_init(struct net *net)
{
	struct tlsock_hs_net *hn = tlsock_hs_pernet(net);

	spin_lock_init(&hn->lock);
	INIT_LIST_HEAD(&hn->queue);
	INIT_LIST_HEAD(&hn->active);
	xa_init_flags(&hn->ids, XA_FLAGS_ALLOC1);
	xa_init(&hn->ticket_ports);
	return 0;
}

static void __net_exit tlsock_hs_net_exit(struct net *net)
{
	struct tlsock_hs_net *hn = tlsock_hs_pernet(net);

	/* user sockets pin their namespace: nothing can be linked here */
	WARN_ON_ONCE(!list_empty(&hn->queue) || !list_empty(&hn->active));
	xa_destroy(&hn->ids);
	xa_destroy(&hn->ticket_ports);
}

static struct pernet_operations tlsock_hs_net_ops = {
	.init	= tlsock_hs_net_init,
	.exit	= tlsock_hs_net_exit,
	.id	= &tlsock_hs_net_id,
	.size	= sizeof(struct tlsock_hs_net),
};

/**
 * tlsock_hs_netlink_init() - register namespace state, family and notifier
 *
 * Return: 0 or a negative errno.
 */
int tlsock_hs_netlink_init(void)
{
	int err;

	tlsock_hs_wq = alloc_workqueue("tlsock_ticket", WQ_UNBOUND, 0);
	if (!tlsock_hs_wq)
		return -ENOMEM;
	err = register_pernet_subsys(&tlsock_hs_net_ops);
	if (err)
		goto err_wq;
	err = genl_register_family(&tlsock_genl_family);
	if (err)
		goto err_pernet;
	err = netlink_register_notifier(&tlsock_hs_netlink_nb);
	if (err)
		goto err_family;
	return 0;

err_family:
	genl_unregister_family(&tlsock_genl_family);
err_pernet:
	unregister_pernet_subsys(&tlsock_hs_net_ops);
err_wq:
	destroy_workqueue(tlsock_hs_wq);
	return err;
}

/**
 * tlsock_hs_netlink_exit() - undo tlsock_hs_netlink_init()
 */
void tlsock_hs_netlink_exit(void)
{
	netlink_unregister_notifier(&tlsock_hs_netlink_nb);
	/* no socket is left to queue a ticket; send or drop the rest */
	destroy_workqueue(tlsock_hs_wq);
	genl_unregister_family(&tlsock_genl_family);
	unregister_pernet_subsys(&tlsock_hs_net_ops);
}
