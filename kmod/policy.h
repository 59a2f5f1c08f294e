/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Transparent TLS policies: the rule table (policy.c) and the cgroup BPF
 * hook that applies it (policy_bpf.c).
 */
#ifndef _TLSOCK_POLICY_H
#define _TLSOCK_POLICY_H

#include <linux/socket.h>
#include <net/sock.h>

struct tlsock_rule;

/**
 * struct tlsock_listen - a listening socket a server rule adopted
 * @node: entry in its namespace's list of adopted listeners (policy.c's lock)
 * @ref: the listener's context holds one; accept() holds one while it works
 * @sk: the listener; not referenced: it is unlinked before the socket goes
 * @rule: the rule that adopted it (referenced)
 * @stopping: being given back to TCP: accept() aborts the children it takes
 * @rcu: deferred free
 */
struct tlsock_listen {
	struct list_head node;
	refcount_t ref;
	struct sock *sk;
	struct tlsock_rule *rule;
	bool stopping;
	struct rcu_head rcu;
};

/* policy.c */
int tlsock_policy_connect(struct sock *sk, struct sockaddr *uaddr, int len);
int tlsock_policy_bind(struct sock *sk);
int tlsock_policy_accepted(struct tlsock_listen *lst, struct sock *child);
void tlsock_listen_put(struct tlsock_listen *lst);
void tlsock_listen_closed(struct tlsock_listen *lst);
int tlsock_policy_init(void);
void tlsock_policy_exit(void);

/* policy_bpf.c: true once the kfuncs are registered (read-only parameter policy_hooks) */
extern bool tlsock_policy_hooks;
void tlsock_policy_bpf_init(void);

#endif /* _TLSOCK_POLICY_H */
