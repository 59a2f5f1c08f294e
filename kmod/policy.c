// SPDX-License-Identifier: GPL-2.0
/*
 * Transparent TLS policies: the rule table of each network namespace, its
 * netlink commands, and the decision taken for a connect() (the cgroup BPF
 * hook calls it through the kfunc in policy_bpf.c).
 *
 * A client rule names a destination (prefix and port), optionally a cgroup
 * subtree, and the profile and server name of the handshake.  A connect()
 * it covers gets the tlsock ULP before TCP sends its SYN, with a request
 * armed to start once the connection is established (handshake.c): the
 * application, which never heard of TLS, sees a TCP connection whose first
 * byte it may send or receive is protected.
 *
 * Rules are read under RCU by connect() and changed under pn->lock by
 * netlink.  A request holds a reference on the rule that made it, to count
 * its outcome; deleting the rule never touches it.
 *
 * Each connection a rule covers is a session (struct tlsock_policy_sess,
 * the private data of its request's caller), listed in the namespace's
 * pn->sessions from the moment the rule took it until its request is freed,
 * which is when the application closes the socket.  session-get dumps them.
 *
 * A rule records who added it (origin): tlsockctl ("admin") or tlsockd from
 * its configuration file ("daemon").  tlsockd deletes its own with a flush
 * limited to that origin, and leaves the administrator's alone.
 */
#include <linux/module.h>
#include <linux/cgroup.h>
#include <linux/in6.h>
#include <linux/xarray.h>
#include <net/genetlink.h>
#include <net/netns/generic.h>
#include <net/ipv6.h>
#include <net/tcp.h>

#include "hs.h"
#include "genl.h"
#include "policy.h"

static unsigned int tlsock_policy_max = 1024;
module_param_named(policy_max, tlsock_policy_max, uint, 0644);
MODULE_PARM_DESC(policy_max, "transparent TLS rules allowed per network namespace");

/**
 * struct tlsock_rule - one rule (immutable but for the counters)
 * @node: entry in tlsock_policy_net.rules (RCU)
 * @gone: entry in a list of rules being deleted (policy-del)
 * @ref: the table's reference and one per request made by the rule
 * @rcu: deferred free
 * @id: identifier in the namespace
 * @role: TLSOCK_ROLE_CLIENT or TLSOCK_ROLE_SERVER
 * @family: AF_INET or AF_INET6 as given, 0 for any address
 * @prefix: bits of @addr that match, counted on the IPv6 form
 * @addr: network, IPv4 as an IPv4-mapped IPv6 address: the destination of a
 *	client rule, the local address of a server rule
 * @port: destination (client) or local (server) port, network byte order
 * @cgroup: cgroup v2 id whose subtree the rule covers, 0 for all
 * @origin: TLSOCK_ORIGIN_ADMIN or TLSOCK_ORIGIN_DAEMON
 * @req: the handshake a covered connection runs
 * @connections: counters reported by policy-get
 * @hs_ok: see @connections
 * @hs_failed: see @connections
 * @refused: see @connections
 * @skipped: see @connections
 * @bytes_in: TCP payload bytes received by the rule's ended sessions
 * @bytes_out: TCP payload bytes sent and acknowledged by them
 */
struct tlsock_rule {
	struct list_head node;
	struct list_head gone;
	refcount_t ref;
	struct rcu_head rcu;
	u32 id;
	u8 role;
	u8 family;
	u8 prefix;
	u8 origin;
	__be16 port;
	struct in6_addr addr;
	u64 cgroup;
	struct tlsock_handshake req;
	atomic64_t connections;
	atomic64_t hs_ok;
	atomic64_t hs_failed;
	atomic64_t refused;
	atomic64_t skipped;
	atomic64_t bytes_in;
	atomic64_t bytes_out;
};

/**
 * struct tlsock_policy_net - rules of one network namespace
 * @lock: serialises changes of @rules, @count, @next_id and @listeners;
 *	taken inside a socket's lock, never around one
 * @rules: the rules, in the order added (RCU readers)
 * @count: rules in @rules
 * @next_id: identifier of the next rule
 * @listeners: struct tlsock_listen of the sockets server rules adopted
 * @sessions: id -> struct tlsock_policy_sess of the live sessions (its own
 *	lock, taken with bottom halves off: a request may be freed from any
 *	context a sock_put() runs in)
 * @next_session: cyclic allocation cursor of @sessions (its lock)
 */
struct tlsock_policy_net {
	struct mutex lock;
	struct list_head rules;
	unsigned int count;
	u32 next_id;
	/* a spinlock: a listener is adopted inside the post_bind hook too */
	spinlock_t listeners_lock;
	struct list_head listeners;
	struct xarray sessions;
	u32 next_session;
};

/**
 * struct tlsock_policy_sess - a connection a rule made TLS (caller_priv of
 *	its request, which owns it)
 * @rule: the rule (referenced)
 * @pn: the rules of the socket's namespace, which the socket pins
 * @sk: the socket; not referenced: the request holds it while this lives
 * @id: key in pn->sessions; 0 while not listed (or no memory to list it)
 * @rcu: deferred free
 */
struct tlsock_policy_sess {
	struct tlsock_rule *rule;
	struct tlsock_policy_net *pn;
	struct sock *sk;
	u32 id;
	struct rcu_head rcu;
};

static unsigned int tlsock_policy_net_id;

static struct tlsock_policy_net *tlsock_policy_pernet(struct net *net)
{
	return net_generic(net, tlsock_policy_net_id);
}

static void tlsock_rule_put(struct tlsock_rule *rule)
{
	if (refcount_dec_and_test(&rule->ref))
		kfree_rcu(rule, rcu);
}

/* A session for @rule (whose reference the caller hands over on success). */
static struct tlsock_policy_sess *tlsock_sess_alloc(struct tlsock_policy_net *pn,
						    struct tlsock_rule *rule, struct sock *sk,
						    gfp_t gfp)
{
	struct tlsock_policy_sess *sess = kzalloc(sizeof(*sess), gfp);

	if (!sess)
		return NULL;
	sess->rule = rule;
	sess->pn = pn;
	sess->sk = sk;
	return sess;
}

/*
 * List a session whose request owns it now.  Socket lock held, so the
 * request (freed only after close) cannot release it meanwhile.  A session
 * without memory to be listed still works; it is only missing from
 * session-get.
 */
static void tlsock_sess_list(struct tlsock_policy_sess *sess, gfp_t gfp)
{
	sock_owned_by_me(sess->sk);
	if (xa_alloc_cyclic_bh(&sess->pn->sessions, &sess->id, sess, XA_LIMIT(1, U32_MAX),
			       &sess->pn->next_session, gfp) < 0)
		sess->id = 0;
}

/* struct tlsock_hs_caller of requests made by a rule; @priv is the session */
static void tlsock_rule_hs_done(void *priv, int err)
{
	struct tlsock_policy_sess *sess = priv;

	atomic64_inc(err ? &sess->rule->hs_failed : &sess->rule->hs_ok);
}

static void tlsock_rule_hs_release(void *priv)
{
	struct tlsock_policy_sess *sess = priv;
	const struct tcp_sock *tp = tcp_sk(sess->sk);

	/* closed: TCP's counters are final (the request still holds the socket) */
	atomic64_add(READ_ONCE(tp->bytes_received), &sess->rule->bytes_in);
	atomic64_add(READ_ONCE(tp->bytes_acked), &sess->rule->bytes_out);

	if (sess->id)
		xa_erase_bh(&sess->pn->sessions, sess->id);
	tlsock_rule_put(sess->rule);
	/* session-get may still look at it (under the xarray's lock, then RCU-free) */
	kfree_rcu(sess, rcu);
}

static u32 tlsock_rule_hs_rule_id(void *priv)
{
	return ((struct tlsock_policy_sess *)priv)->rule->id;
}

static const struct tlsock_hs_caller tlsock_rule_caller = {
	.done		= tlsock_rule_hs_done,
	.release	= tlsock_rule_hs_release,
	.rule_id	= tlsock_rule_hs_rule_id,
};

static bool tlsock_prefix_match(const struct in6_addr *a, const struct in6_addr *net,
				unsigned int prefix)
{
	return !prefix || ipv6_prefix_equal(a, net, prefix);
}

static bool tlsock_cgroup_match(const struct sock *sk, u64 id)
{
#ifdef CONFIG_SOCK_CGROUP_DATA
	struct cgroup *cgrp;

	if (!id)
		return true;
	for (cgrp = sock_cgroup_ptr((struct sock_cgroup_data *)&sk->sk_cgrp_data); cgrp;
	     cgrp = cgroup_parent(cgrp))
		if (cgroup_id(cgrp) == id)
			return true;
	return false;
#else
	return !id;
#endif
}

/*
 * The most specific @role rule covering @dst:@port for @sk, referenced, or
 * NULL: the longest prefix wins, then a rule scoped to a cgroup.  @dst NULL
 * (a wildcard listener): any address matches.
 */
static struct tlsock_rule *tlsock_policy_find(struct tlsock_policy_net *pn, const struct sock *sk,
					      u8 role, const struct in6_addr *dst, __be16 port)
{
	struct tlsock_rule *rule, *best = NULL;

	rcu_read_lock();
	list_for_each_entry_rcu(rule, &pn->rules, node) {
		if (rule->port != port || rule->role != role ||
		    (dst && !tlsock_prefix_match(dst, &rule->addr, rule->prefix)) ||
		    !tlsock_cgroup_match(sk, rule->cgroup))
			continue;
		if (best && (rule->prefix < best->prefix ||
			     (rule->prefix == best->prefix && (!rule->cgroup || best->cgroup))))
			continue;
		best = rule;
	}
	if (best && !refcount_inc_not_zero(&best->ref))
		best = NULL;
	rcu_read_unlock();
	return best;
}

/* The destination of a connect() as an IPv6 address; false for other families. */
static bool tlsock_policy_dst(const struct sockaddr *uaddr, int len, struct in6_addr *dst,
			      __be16 *port)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)uaddr;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)uaddr;

	if (uaddr->sa_family == AF_INET && len >= (int)sizeof(*sin)) {
		ipv6_addr_set_v4mapped(sin->sin_addr.s_addr, dst);
		*port = sin->sin_port;
		return true;
	}
	if (uaddr->sa_family == AF_INET6 && len >= SIN6_LEN_RFC2133) {
		*dst = sin6->sin6_addr;
		*port = sin6->sin6_port;
		return true;
	}
	return false;
}

/**
 * tlsock_policy_connect() - apply the client rules to a connect()
 * @sk: the connecting socket
 * @uaddr: destination the application gave (already checked for length by
 *	the caller of the BPF hook)
 * @len: its length
 *
 * Called from the cgroup connect4/connect6 hook, before TCP sends the SYN.
 * A socket the rule covers leaves here with the tlsock ULP and an armed
 * handshake.  Sockets tlsock must not take over (another ULP, a sockmap,
 * not plain TCP) are left as they are and counted.  TCP Fast Open is taken
 * off a covered socket (TCP_FASTOPEN_CONNECT), and a sendto(MSG_FASTOPEN)
 * is refused: its data would ride in the SYN before any handshake.
 *
 * Context: process context, socket lock held (connect()), in a BPF program
 * under rcu_read_lock(): does not sleep.
 * Return: 0 to let connect() proceed, or a negative errno that fails it.
 */
int tlsock_policy_connect(struct sock *sk, struct sockaddr *uaddr, int len)
{
	struct tlsock_policy_net *pn = tlsock_policy_pernet(sock_net(sk));
	struct tlsock_policy_sess *sess;
	struct tlsock_rule *rule;
	struct in6_addr dst;
	__be16 port;
	int err;

	/* the common cases: no rule in this namespace, a datagram socket's connect() */
	if (list_empty(&pn->rules) || sk->sk_type != SOCK_STREAM ||
	    !tlsock_policy_dst(uaddr, len, &dst, &port))
		return 0;
	rule = tlsock_policy_find(pn, sk, TLSOCK_ROLE_CLIENT, &dst, port);
	if (!rule)
		return 0;

	err = 0;
	if (sk->sk_protocol != IPPROTO_TCP) {
		atomic64_inc(&rule->skipped);	/* MPTCP, for one */
		goto out;
	}
	sock_owned_by_me(sk);
	if (inet_csk(sk)->icsk_ulp_ops) {
		/* ours: a socket whose earlier connect() failed tries again, still armed */
		if (inet_csk(sk)->icsk_ulp_ops->owner == THIS_MODULE && tlsock_ctx(sk))
			goto out;
		atomic64_inc(&rule->skipped);
		goto out;
	}
	if (tcp_sk(sk)->fastopen_req) {
		atomic64_inc(&rule->refused);
		err = -EOPNOTSUPP;
		goto out;
	}
	/* the BPF hook runs its programs under rcu_read_lock(): no sleeping allocation of ours */
	sess = tlsock_sess_alloc(pn, rule, sk, GFP_ATOMIC | __GFP_NOWARN);
	err = sess ? tlsock_attach_armed(sk, &rule->req, &tlsock_rule_caller, sess) : -ENOMEM;
	if (err)
		kfree(sess);	/* the caller keeps it on failure */
	if (err == -EINVAL || err == -EOPNOTSUPP) {
		atomic64_inc(&rule->skipped);	/* in a sockmap, or operations not TCP's */
		err = 0;
		goto out;
	}
	if (err) {
		atomic64_inc(&rule->refused);
		goto out;
	}
	atomic64_inc(&rule->connections);
	tlsock_sess_list(sess, GFP_ATOMIC | __GFP_NOWARN);
	/* no data in the SYN: the connect() is an ordinary one */
	tcp_sk(sk)->fastopen_connect = 0;
	/* the request holds the rule now, through its session */
	rule = NULL;
out:
	if (rule)
		tlsock_rule_put(rule);
	return err;
}

/* --- server rules: adopted listeners, their children --- */

/* The local address of a bound socket as an IPv6 address; false for a wildcard. */
static bool tlsock_local_addr(const struct sock *sk, struct in6_addr *a)
{
	if (sk->sk_family == AF_INET) {
		ipv6_addr_set_v4mapped(sk->sk_rcv_saddr, a);
		return sk->sk_rcv_saddr != htonl(INADDR_ANY);
	}
#if IS_ENABLED(CONFIG_IPV6)
	*a = sk->sk_v6_rcv_saddr;
	return !ipv6_addr_any(a) &&
	       !(ipv6_addr_v4mapped(a) && a->s6_addr32[3] == htonl(INADDR_ANY));
#else
	return false;
#endif
}

static void tlsock_listen_free_rcu(struct rcu_head *head)
{
	kfree(container_of(head, struct tlsock_listen, rcu));
}

/**
 * tlsock_listen_put() - drop a reference on an adoption
 * @lst: adoption
 *
 * Context: any; the memory goes after an RCU grace period (accept() finds
 * it through the listener's context under RCU).
 */
void tlsock_listen_put(struct tlsock_listen *lst)
{
	if (!refcount_dec_and_test(&lst->ref))
		return;
	tlsock_rule_put(lst->rule);
	call_rcu(&lst->rcu, tlsock_listen_free_rcu);
}

/**
 * tlsock_listen_closed() - the adopted listener is closing or given back
 * @lst: its adoption; the listener's context drops its reference here
 *
 * Context: process context; the listener's lock may be held.
 */
void tlsock_listen_closed(struct tlsock_listen *lst)
{
	struct tlsock_policy_net *pn = tlsock_policy_pernet(sock_net(lst->sk));

	spin_lock(&pn->listeners_lock);
	list_del_init(&lst->node);
	spin_unlock(&pn->listeners_lock);
	tlsock_listen_put(lst);
}

/*
 * Adopt @sk for @rule (referenced by the caller, who keeps it).  Socket lock
 * held; sleeps only as @gfp allows (TLSOCK_GFP_HOOK in post_bind).
 */
static int tlsock_policy_adopt_one(struct tlsock_policy_net *pn, struct sock *sk,
				   struct tlsock_rule *rule, gfp_t gfp)
{
	struct tlsock_listen *lst;
	int err;

	lst = kzalloc(sizeof(*lst), gfp);
	if (!lst)
		return -ENOMEM;
	refcount_set(&lst->ref, 1);	/* the listener's context */
	lst->sk = sk;
	refcount_inc(&rule->ref);
	lst->rule = rule;
	INIT_LIST_HEAD(&lst->node);
	err = tlsock_attach_listener(sk, lst, gfp);
	if (err) {
		tlsock_rule_put(rule);
		kfree(lst);
		return err;
	}
	spin_lock(&pn->listeners_lock);
	list_add_tail(&lst->node, &pn->listeners);
	spin_unlock(&pn->listeners_lock);
	return 0;
}

/* A TCP socket of @net's listening hash @rule covers and nobody adopted yet. */
static bool tlsock_policy_wants(const struct tlsock_rule *rule, struct net *net, struct sock *sk)
{
	struct in6_addr a;

	if (!net_eq(sock_net(sk), net) || sk->sk_protocol != IPPROTO_TCP ||
	    READ_ONCE(inet_csk(sk)->icsk_ulp_ops) || htons(inet_sk(sk)->inet_num) != rule->port)
		return false;
	if (tlsock_local_addr(sk, &a) && !tlsock_prefix_match(&a, &rule->addr, rule->prefix))
		return false;
	return tlsock_cgroup_match(sk, rule->cgroup);
}

/*
 * A new server rule also covers the listeners that exist already: walk the
 * namespace's listening hash for them.  Children already in their accept
 * queues stay plain: they were connected before the rule.  (A socket bound
 * before the rule and listening only after this walk is not adopted.)
 */
static void tlsock_policy_adopt(struct net *net, struct tlsock_rule *rule)
{
	struct tlsock_policy_net *pn = tlsock_policy_pernet(net);
	struct inet_hashinfo *h = net->ipv4.tcp_death_row.hashinfo;
	unsigned int i;

	for (i = 0; i <= h->lhash2_mask; i++) {
		struct inet_listen_hashbucket *ilb = &h->lhash2[i];
		unsigned int tried = 0;

		for (;;) {
			struct hlist_nulls_node *node;
			struct sock *sk, *found = NULL;
			unsigned int pos = 0;
			int err;

			if (hlist_nulls_empty(&ilb->nulls_head))
				break;
			spin_lock(&ilb->lock);
			sk_nulls_for_each(sk, node, &ilb->nulls_head) {
				/* skip the ones tried already: a refused one stays there */
				if (pos++ < tried || !tlsock_policy_wants(rule, net, sk))
					continue;
				sock_hold(sk);
				found = sk;
				break;
			}
			spin_unlock(&ilb->lock);
			if (!found)
				break;
			tried = pos;
			lock_sock(found);
			err = -EINVAL;
			if (found->sk_state == TCP_LISTEN && tlsock_policy_wants(rule, net, found))
				err = tlsock_policy_adopt_one(pn, found, rule, GFP_KERNEL_ACCOUNT);
			release_sock(found);
			if (err == -EINVAL || err == -EOPNOTSUPP)
				atomic64_inc(&rule->skipped);
			sock_put(found);
			cond_resched();
		}
	}
}

/* Give back every listener @rule adopted (every adopted one: @rule NULL). */
static void tlsock_policy_release_listeners(struct tlsock_policy_net *pn, struct tlsock_rule *rule)
{
	for (;;) {
		struct tlsock_listen *lst, *found = NULL;

		spin_lock(&pn->listeners_lock);
		list_for_each_entry(lst, &pn->listeners, node) {
			if (rule && lst->rule != rule)
				continue;
			refcount_inc(&lst->ref);
			sock_hold(lst->sk);
			/* not found again, whatever the stop finds */
			list_del_init(&lst->node);
			found = lst;
			break;
		}
		spin_unlock(&pn->listeners_lock);
		if (!found)
			return;
		tlsock_listener_stop(found->sk, found);
		sock_put(found->sk);
		tlsock_listen_put(found);
	}
}

/**
 * tlsock_policy_bind() - apply the server rules to a socket just bound
 * @sk: a TCP socket that got its local port (cgroup post_bind4/6 hook)
 *
 * A socket a server rule covers is adopted: it may listen, and its
 * children become TLS sockets in accept().
 *
 * Context: process context, socket lock held (bind()), in a BPF program
 * under rcu_read_lock(): does not sleep.
 * Return: 0, or -ENOMEM to fail the bind().
 */
int tlsock_policy_bind(struct sock *sk)
{
	struct tlsock_policy_net *pn = tlsock_policy_pernet(sock_net(sk));
	struct tlsock_rule *rule;
	struct in6_addr a;
	bool specific;
	int err;

	if (list_empty(&pn->rules) || sk->sk_type != SOCK_STREAM)
		return 0;
	specific = tlsock_local_addr(sk, &a);
	/* inet_sport is set after the post_bind hooks run; inet_num before them */
	rule = tlsock_policy_find(pn, sk, TLSOCK_ROLE_SERVER, specific ? &a : NULL,
				  htons(inet_sk(sk)->inet_num));
	if (!rule)
		return 0;
	sock_owned_by_me(sk);
	err = -EINVAL;
	if (sk->sk_protocol == IPPROTO_TCP && !inet_csk(sk)->icsk_ulp_ops)
		err = tlsock_policy_adopt_one(pn, sk, rule, TLSOCK_GFP_HOOK);
	if (err == -ENOMEM) {
		atomic64_inc(&rule->refused);
	} else if (err) {
		atomic64_inc(&rule->skipped);
		err = 0;
	}
	tlsock_rule_put(rule);
	return err;
}

/**
 * tlsock_policy_accepted() - accept() took a child of an adopted listener
 * @lst: the listener's adoption (referenced by the caller), or NULL for a
 *	child that reached the application through TCP's accept()
 * @child: the child, on its new socket, whose operations are TCP's
 *
 * The rule that adopted the listener, or the best server rule for the
 * child's own local address, makes it a TLS server socket with its
 * handshake started.  A child no server rule covers (a rule for one address
 * of a wildcard listener) stays plain.
 *
 * Context: process context, the child's lock held.
 * Return: 0, or a negative errno: the caller resets the child and fails the
 * accept().
 */
int tlsock_policy_accepted(struct tlsock_listen *lst, struct sock *child)
{
	struct tlsock_policy_net *pn = tlsock_policy_pernet(sock_net(child));
	struct tlsock_rule *rule = lst ? lst->rule : NULL;
	struct tlsock_policy_sess *sess;
	struct in6_addr a;
	int err;

	tlsock_local_addr(child, &a);
	if (rule && tlsock_prefix_match(&a, &rule->addr, rule->prefix)) {
		refcount_inc(&rule->ref);
	} else {
		rule = tlsock_policy_find(pn, child, TLSOCK_ROLE_SERVER, &a, inet_sk(child)->inet_sport);
		if (!rule)
			return 0;
	}
	sess = tlsock_sess_alloc(pn, rule, child, GFP_KERNEL_ACCOUNT);
	if (!sess) {
		tlsock_rule_put(rule);
		return -ENOMEM;
	}
	err = tlsock_attach_child(child, &rule->req, &tlsock_rule_caller, sess);
	if (!err) {
		atomic64_inc(&rule->connections);
		tlsock_sess_list(sess, GFP_KERNEL_ACCOUNT);
	} else if (!tlsock_ctx(child) || !tlsock_ctx(child)->hs) {
		/* the request never took it */
		tlsock_rule_put(rule);
		kfree(sess);
	}
	return err;
}

/* --- netlink: policy-add, policy-del, policy-get --- */

/* Fill @rule from a policy-add request.  Returns 0 or -EINVAL (with extack). */
static int tlsock_policy_parse(struct genl_info *info, struct tlsock_rule *rule)
{
	struct nlattr **tb = info->attrs;
	unsigned int max = 0;
	u8 prefix;

	if (!tb[TLSOCK_A_POLICY_ROLE] || !tb[TLSOCK_A_POLICY_PORT]) {
		GENL_SET_ERR_MSG(info, "a rule needs role and port");
		return -EINVAL;
	}
	rule->role = nla_get_u32(tb[TLSOCK_A_POLICY_ROLE]);
	if (rule->role != TLSOCK_ROLE_CLIENT && rule->role != TLSOCK_ROLE_SERVER) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[TLSOCK_A_POLICY_ROLE], "role: client or server");
		return -EINVAL;
	}
	rule->port = htons(nla_get_u16(tb[TLSOCK_A_POLICY_PORT]));

	if (tb[TLSOCK_A_POLICY_ADDR]) {
		const struct nlattr *a = tb[TLSOCK_A_POLICY_ADDR];

		if (nla_len(a) == 4) {
			rule->family = AF_INET;
			ipv6_addr_set_v4mapped(nla_get_in_addr(a), &rule->addr);
			max = 32;
		} else if (nla_len(a) == 16) {
			rule->family = AF_INET6;
			rule->addr = nla_get_in6_addr(a);
			max = 128;
		} else {
			NL_SET_ERR_MSG_ATTR(info->extack, a, "addr is 4 or 16 bytes");
			return -EINVAL;
		}
	}
	prefix = tb[TLSOCK_A_POLICY_PREFIX_LEN] ? nla_get_u8(tb[TLSOCK_A_POLICY_PREFIX_LEN]) : max;
	if (prefix > max) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[TLSOCK_A_POLICY_PREFIX_LEN],
				    "prefix-len longer than addr (or no addr)");
		return -EINVAL;
	}
	/* counted on the IPv6 form, where an IPv4 network starts at bit 96 */
	rule->prefix = rule->family == AF_INET ? 96 + prefix : prefix;
	if (rule->prefix < 128) {
		struct in6_addr masked;

		ipv6_addr_prefix(&masked, &rule->addr, rule->prefix);
		if (!ipv6_addr_equal(&masked, &rule->addr)) {
			NL_SET_ERR_MSG_ATTR(info->extack, tb[TLSOCK_A_POLICY_ADDR],
					    "addr has bits set past prefix-len");
			return -EINVAL;
		}
	}

	if (tb[TLSOCK_A_POLICY_CGROUP])
		rule->cgroup = nla_get_u64(tb[TLSOCK_A_POLICY_CGROUP]);
	rule->origin = TLSOCK_ORIGIN_ADMIN;
	if (tb[TLSOCK_A_POLICY_ORIGIN]) {
		rule->origin = nla_get_u32(tb[TLSOCK_A_POLICY_ORIGIN]);
		if (rule->origin == TLSOCK_ORIGIN_UNSPEC) {
			NL_SET_ERR_MSG_ATTR(info->extack, tb[TLSOCK_A_POLICY_ORIGIN],
					    "origin: admin or daemon");
			return -EINVAL;
		}
	}
	rule->req.role = rule->role;
	if (tb[TLSOCK_A_POLICY_SERVER_NAME] && rule->role == TLSOCK_ROLE_SERVER) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[TLSOCK_A_POLICY_SERVER_NAME],
				    "server-name is for client rules");
		return -EINVAL;
	}
	if (tb[TLSOCK_A_POLICY_PROFILE])
		nla_strscpy(rule->req.profile, tb[TLSOCK_A_POLICY_PROFILE],
			    sizeof(rule->req.profile));
	if (tb[TLSOCK_A_POLICY_SERVER_NAME])
		nla_strscpy(rule->req.server_name, tb[TLSOCK_A_POLICY_SERVER_NAME],
			    sizeof(rule->req.server_name));
	/* the request a covered connection makes: the same checks as setsockopt's */
	if (tlsock_hs_validate(&rule->req)) {
		GENL_SET_ERR_MSG(info, "profile: letters, digits, '_', '-' and '.' only; "
				 "server-name: printable ASCII without spaces only");
		return -EINVAL;
	}
	return 0;
}

static bool tlsock_rule_same(const struct tlsock_rule *a, const struct tlsock_rule *b)
{
	return a->role == b->role && a->port == b->port && a->prefix == b->prefix &&
	       ipv6_addr_equal(&a->addr, &b->addr) && a->cgroup == b->cgroup;
}

static void *tlsock_policy_put_hdr(struct sk_buff *msg, u32 portid, u32 seq, int flags)
{
	return genlmsg_put(msg, portid, seq, &tlsock_genl_family, flags, TLSOCK_CMD_POLICY_GET);
}

int tlsock_nl_policy_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct tlsock_policy_net *pn = tlsock_policy_pernet(genl_info_net(info));
	struct tlsock_rule *rule, *r;
	struct sk_buff *msg;
	void *hdr;
	int err;

	if (!tlsock_policy_hooks) {
		GENL_SET_ERR_MSG(info,
				 "this tlsock.ko has no BPF hooks (built without BTF, or kernel before 6.7)");
		return -EOPNOTSUPP;
	}
	rule = kzalloc(sizeof(*rule), GFP_KERNEL_ACCOUNT);
	if (!rule)
		return -ENOMEM;
	err = tlsock_policy_parse(info, rule);
	if (err)
		goto err_free;
	refcount_set(&rule->ref, 1);	/* the table's */

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg) {
		err = -ENOMEM;
		goto err_free;
	}

	mutex_lock(&pn->lock);
	err = -ENOSPC;
	if (pn->count >= READ_ONCE(tlsock_policy_max)) {
		GENL_SET_ERR_MSG(info, "policy_max rules already");
		goto err_unlock;
	}
	list_for_each_entry(r, &pn->rules, node) {
		if (tlsock_rule_same(r, rule)) {
			GENL_SET_ERR_MSG_FMT(info, "the same rule exists: id %u", r->id);
			err = -EEXIST;
			goto err_unlock;
		}
	}
	rule->id = ++pn->next_id ?: ++pn->next_id;
	list_add_tail_rcu(&rule->node, &pn->rules);
	pn->count++;
	/* for the walk below, which needs no lock of ours */
	refcount_inc(&rule->ref);
	mutex_unlock(&pn->lock);

	if (rule->role == TLSOCK_ROLE_SERVER)
		tlsock_policy_adopt(genl_info_net(info), rule);
	tlsock_rule_put(rule);

	hdr = genlmsg_put_reply(msg, info, &tlsock_genl_family, 0, TLSOCK_CMD_POLICY_ADD);
	if (!hdr || nla_put_u32(msg, TLSOCK_A_POLICY_ID, rule->id)) {
		/* the rule is in: the caller finds it with policy-get */
		nlmsg_free(msg);
		return 0;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_unlock:
	mutex_unlock(&pn->lock);
	nlmsg_free(msg);
err_free:
	kfree(rule);
	return err;
}

/* Take @rule out of the table.  pn->lock held. */
static void tlsock_policy_unlink(struct tlsock_policy_net *pn, struct tlsock_rule *rule)
{
	lockdep_assert_held(&pn->lock);
	list_del_rcu(&rule->node);
	pn->count--;
	tlsock_rule_put(rule);
}

int tlsock_nl_policy_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct tlsock_policy_net *pn = tlsock_policy_pernet(genl_info_net(info));
	bool flush = nla_get_flag(info->attrs[TLSOCK_A_POLICY_FLUSH]);
	const struct nlattr *o = info->attrs[TLSOCK_A_POLICY_ORIGIN];
	struct tlsock_rule *rule, *tmp;
	u8 origin = 0;
	LIST_HEAD(gone);
	u32 id;

	if (flush == !!info->attrs[TLSOCK_A_POLICY_ID]) {
		GENL_SET_ERR_MSG(info, "policy-del takes either id or flush");
		return -EINVAL;
	}
	if (o) {
		origin = nla_get_u32(o);
		if (!flush || origin == TLSOCK_ORIGIN_UNSPEC) {
			NL_SET_ERR_MSG_ATTR(info->extack, o,
					    "origin (admin or daemon) goes with flush only");
			return -EINVAL;
		}
	}
	id = flush ? 0 : nla_get_u32(info->attrs[TLSOCK_A_POLICY_ID]);

	mutex_lock(&pn->lock);
	list_for_each_entry_safe(rule, tmp, &pn->rules, node) {
		if ((!flush && rule->id != id) || (origin && rule->origin != origin))
			continue;
		/* out of the table for connect() and bind() (RCU readers may still see it) */
		list_del_rcu(&rule->node);
		pn->count--;
		/* the table's reference travels on @gone until its listeners are given back */
		list_add_tail(&rule->gone, &gone);
		if (!flush)
			break;
	}
	mutex_unlock(&pn->lock);
	if (!flush && list_empty(&gone)) {
		GENL_SET_ERR_MSG_FMT(info, "no rule with id %u", id);
		return -ENOENT;
	}
	/* new connections are plain from here; the adopted listeners go back to TCP */
	list_for_each_entry_safe(rule, tmp, &gone, gone) {
		if (rule->role == TLSOCK_ROLE_SERVER)
			tlsock_policy_release_listeners(pn, rule);
		list_del(&rule->gone);
		tlsock_rule_put(rule);
	}
	return 0;
}

static int tlsock_policy_fill(struct sk_buff *msg, const struct tlsock_rule *rule)
{
	if (nla_put_u32(msg, TLSOCK_A_POLICY_ID, rule->id) ||
	    nla_put_u32(msg, TLSOCK_A_POLICY_ROLE, rule->role) ||
	    nla_put_u16(msg, TLSOCK_A_POLICY_PORT, ntohs(rule->port)) ||
	    nla_put_string(msg, TLSOCK_A_POLICY_PROFILE, rule->req.profile) ||
	    nla_put_string(msg, TLSOCK_A_POLICY_SERVER_NAME, rule->req.server_name) ||
	    nla_put_u64_64bit(msg, TLSOCK_A_POLICY_CONNECTIONS,
			      atomic64_read(&rule->connections), TLSOCK_A_POLICY_UNSPEC) ||
	    nla_put_u64_64bit(msg, TLSOCK_A_POLICY_HANDSHAKES_OK,
			      atomic64_read(&rule->hs_ok), TLSOCK_A_POLICY_UNSPEC) ||
	    nla_put_u64_64bit(msg, TLSOCK_A_POLICY_HANDSHAKES_FAILED,
			      atomic64_read(&rule->hs_failed), TLSOCK_A_POLICY_UNSPEC) ||
	    nla_put_u64_64bit(msg, TLSOCK_A_POLICY_REFUSED,
			      atomic64_read(&rule->refused), TLSOCK_A_POLICY_UNSPEC) ||
	    nla_put_u64_64bit(msg, TLSOCK_A_POLICY_SKIPPED,
			      atomic64_read(&rule->skipped), TLSOCK_A_POLICY_UNSPEC) ||
	    nla_put_u64_64bit(msg, TLSOCK_A_POLICY_BYTES_IN,
			      atomic64_read(&rule->bytes_in), TLSOCK_A_POLICY_UNSPEC) ||
	    nla_put_u64_64bit(msg, TLSOCK_A_POLICY_BYTES_OUT,
			      atomic64_read(&rule->bytes_out), TLSOCK_A_POLICY_UNSPEC) ||
	    nla_put_u32(msg, TLSOCK_A_POLICY_ORIGIN, rule->origin))
		return -EMSGSIZE;
	if (rule->cgroup &&
	    nla_put_u64_64bit(msg, TLSOCK_A_POLICY_CGROUP, rule->cgroup, TLSOCK_A_POLICY_UNSPEC))
		return -EMSGSIZE;
	if (rule->family == AF_INET &&
	    (nla_put_in_addr(msg, TLSOCK_A_POLICY_ADDR, rule->addr.s6_addr32[3]) ||
	     nla_put_u8(msg, TLSOCK_A_POLICY_PREFIX_LEN, rule->prefix - 96)))
		return -EMSGSIZE;
	if (rule->family == AF_INET6 &&
	    (nla_put_in6_addr(msg, TLSOCK_A_POLICY_ADDR, &rule->addr) ||
	     nla_put_u8(msg, TLSOCK_A_POLICY_PREFIX_LEN, rule->prefix)))
		return -EMSGSIZE;
	return 0;
}

/* cb->args[0]: id of the last rule dumped; rules are in ascending id order */
int tlsock_nl_policy_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct tlsock_policy_net *pn = tlsock_policy_pernet(sock_net(skb->sk));
	const struct tlsock_rule *rule;
	int err = 0;

	mutex_lock(&pn->lock);
	list_for_each_entry(rule, &pn->rules, node) {
		void *hdr;

		if (rule->id <= cb->args[0])
			continue;
		hdr = tlsock_policy_put_hdr(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
					    NLM_F_MULTI);
		if (!hdr) {
			err = -EMSGSIZE;
			break;
		}
		err = tlsock_policy_fill(skb, rule);
		if (err) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = rule->id;
	}
	mutex_unlock(&pn->lock);
	/* a full message ends this part of the dump; the next one resumes */
	if (err == -EMSGSIZE && skb->len)
		return skb->len;
	return err ?: skb->len;
}

/* --- netlink: session-get --- */

/* @sk's local or peer address as a struct sockaddr_in or sockaddr_in6.  Socket lock held. */
static int tlsock_sess_put_addr(struct sk_buff *msg, int type, const struct sock *sk, bool peer)
{
	if (sk->sk_family == AF_INET) {
		struct sockaddr_in sin = { .sin_family = AF_INET };

		sin.sin_addr.s_addr = peer ? sk->sk_daddr : sk->sk_rcv_saddr;
		sin.sin_port = peer ? sk->sk_dport : htons(sk->sk_num);
		return nla_put(msg, type, sizeof(sin), &sin);
	}
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6) {
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };

		sin6.sin6_addr = peer ? sk->sk_v6_daddr : sk->sk_v6_rcv_saddr;
		sin6.sin6_port = peer ? sk->sk_dport : htons(sk->sk_num);
		return nla_put(msg, type, sizeof(sin6), &sin6);
	}
#endif
	return 0;
}

/* The request's outcome so far.  Socket lock held (the result fields are its). */
static int tlsock_sess_put_state(struct sk_buff *msg, const struct tlsock_hs *hs)
{
	const char *san, *end = hs->san + sizeof(hs->san);

	sock_owned_by_me(hs->sk);
	switch (hs->state) {
	case TLSOCK_HS_FAILED:
		return nla_put_u32(msg, TLSOCK_A_SESSION_STATE, TLSOCK_STATE_FAILED) ||
		       nla_put_u32(msg, TLSOCK_A_SESSION_ERROR, -hs->err) ? -EMSGSIZE : 0;
	case TLSOCK_HS_DONE:
		break;
	default:
		return nla_put_u32(msg, TLSOCK_A_SESSION_STATE, TLSOCK_STATE_PENDING);
	}
	if (nla_put_u32(msg, TLSOCK_A_SESSION_STATE, TLSOCK_STATE_ESTABLISHED) ||
	    nla_put_u16(msg, TLSOCK_A_SESSION_VERSION, hs->version) ||
	    nla_put_u16(msg, TLSOCK_A_SESSION_CIPHER, hs->cipher))
		return -EMSGSIZE;
	if ((hs->flags & TLSOCK_INFO_F_PEER_VERIFIED) &&
	    nla_put_flag(msg, TLSOCK_A_SESSION_PEER_VERIFIED))
		return -EMSGSIZE;
	if (hs->subject[0] && nla_put_string(msg, TLSOCK_A_SESSION_PEER_SUBJECT, hs->subject))
		return -EMSGSIZE;
	/* NUL-separated, ended by an empty entry (or by the end of the array) */
	for (san = hs->san; san < end && *san; san += strnlen(san, end - san) + 1) {
		size_t n = strnlen(san, end - san);

		if (n == end - san)
			break;
		if (nla_put_string(msg, TLSOCK_A_SESSION_PEER_SAN, san))
			return -EMSGSIZE;
	}
	return 0;
}

/*
 * One session's message.  The socket is referenced by the caller; its lock
 * is taken here, with no lock of ours held (pn->lock and the xarray's nest
 * inside socket locks).  A socket closed meanwhile has no request any more:
 * nothing is written, and 0 returned.
 */
static int tlsock_sess_fill(struct sk_buff *msg, struct netlink_callback *cb, struct sock *sk,
			    u32 rule_id, u8 role)
{
	const struct tcp_ulp_ops *ulp;
	struct tlsock_ctx *ctx;
	void *hdr;
	int err = 0;

	lock_sock(sk);
	ulp = inet_csk(sk)->icsk_ulp_ops;
	ctx = ulp && ulp->owner == THIS_MODULE ? tlsock_ctx(sk) : NULL;
	if (!ctx || !ctx->hs)
		goto out;
	hdr = genlmsg_put(msg, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &tlsock_genl_family, NLM_F_MULTI, TLSOCK_CMD_SESSION_GET);
	if (!hdr) {
		err = -EMSGSIZE;
		goto out;
	}
	if (nla_put_u32(msg, TLSOCK_A_SESSION_RULE_ID, rule_id) ||
	    nla_put_u32(msg, TLSOCK_A_SESSION_ROLE, role) ||
	    tlsock_sess_put_addr(msg, TLSOCK_A_SESSION_LOCAL_ADDR, sk, false) ||
	    tlsock_sess_put_addr(msg, TLSOCK_A_SESSION_PEER_ADDR, sk, true) ||
	    nla_put_u64_64bit(msg, TLSOCK_A_SESSION_BYTES_IN, tcp_sk(sk)->bytes_received,
			      TLSOCK_A_SESSION_UNSPEC) ||
	    nla_put_u64_64bit(msg, TLSOCK_A_SESSION_BYTES_OUT, tcp_sk(sk)->bytes_acked,
			      TLSOCK_A_SESSION_UNSPEC) ||
	    tlsock_sess_put_state(msg, ctx->hs)) {
		genlmsg_cancel(msg, hdr);
		err = -EMSGSIZE;
		goto out;
	}
	genlmsg_end(msg, hdr);
out:
	release_sock(sk);
	return err;
}

/* cb->args[0]: id of the next session to look at; the xarray is walked in id order */
int tlsock_nl_session_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct tlsock_policy_net *pn = tlsock_policy_pernet(sock_net(skb->sk));
	unsigned long index = cb->args[0];
	int err = 0;

	for (;;) {
		struct tlsock_policy_sess *sess;
		struct sock *sk = NULL;
		u32 rule_id = 0;
		u8 role = 0;

		/* listed, a session's request holds its socket: a reference is safe to take */
		xa_lock_bh(&pn->sessions);
		sess = xa_find(&pn->sessions, &index, ULONG_MAX, XA_PRESENT);
		if (sess) {
			sk = sess->sk;
			sock_hold(sk);
			rule_id = sess->rule->id;
			role = sess->rule->role;
		}
		xa_unlock_bh(&pn->sessions);
		if (!sess)
			break;
		err = tlsock_sess_fill(skb, cb, sk, rule_id, role);
		sock_put(sk);
		if (err)
			break;
		cb->args[0] = ++index;
		cond_resched();
	}
	/* a full message ends this part of the dump; the next one resumes at cb->args[0] */
	if (err == -EMSGSIZE && skb->len)
		return skb->len;
	return err ?: skb->len;
}

static int __net_init tlsock_policy_net_init(struct net *net)
{
	struct tlsock_policy_net *pn = tlsock_policy_pernet(net);

	mutex_init(&pn->lock);
	INIT_LIST_HEAD(&pn->rules);
	spin_lock_init(&pn->listeners_lock);
	INIT_LIST_HEAD(&pn->listeners);
	xa_init_flags(&pn->sessions, XA_FLAGS_ALLOC1 | XA_FLAGS_LOCK_BH);
	return 0;
}

static void __net_exit tlsock_policy_net_exit(struct net *net)
{
	struct tlsock_policy_net *pn = tlsock_policy_pernet(net);
	struct tlsock_rule *rule, *tmp;

	/* its sockets are gone, adopted listeners with them */
	mutex_lock(&pn->lock);
	list_for_each_entry_safe(rule, tmp, &pn->rules, node)
		tlsock_policy_unlink(pn, rule);
	mutex_unlock(&pn->lock);
	mutex_destroy(&pn->lock);
	/* empty: every session's socket pinned the namespace */
	xa_destroy(&pn->sessions);
}

static struct pernet_operations tlsock_policy_net_ops = {
	.init	= tlsock_policy_net_init,
	.exit	= tlsock_policy_net_exit,
	.id	= &tlsock_policy_net_id,
	.size	= sizeof(struct tlsock_policy_net),
};

/**
 * tlsock_policy_init() - namespace state of the rules, then the BPF hooks
 *
 * A module without BPF hooks (policy_bpf.c) still loads: its policy-add
 * fails with EOPNOTSUPP and says why.
 *
 * Return: 0 or a negative errno.
 */
int tlsock_policy_init(void)
{
	int err;

	err = register_pernet_subsys(&tlsock_policy_net_ops);
	if (err)
		return err;
	tlsock_policy_bpf_init();
	return 0;
}

/**
 * tlsock_policy_exit() - undo tlsock_policy_init()
 *
 * No BPF program can call the kfunc any more: each one holds a reference
 * on the module.  Requests still holding rules are gone too (their sockets
 * pin the module), so every rule is freed here or by RCU.
 */
void tlsock_policy_exit(void)
{
	unregister_pernet_subsys(&tlsock_policy_net_ops);
}
