/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Transparent TLS policies: the rule table (policy.c) and the cgroup BPF
 * hook that applies it (policy_bpf.c).
 */
#ifndef _TLSOCK_POLICY_H
#define _TLSOCK_POLICY_H

#include <linux/socket.h>
#include <net/sock.h>

/* policy.c */
int tlsock_policy_connect(struct sock *sk, struct sockaddr *uaddr, int len);
int tlsock_policy_init(void);
void tlsock_policy_exit(void);

/* policy_bpf.c: true once the kfuncs are registered (read-only parameter policy_hooks) */
extern bool tlsock_policy_hooks;
void tlsock_policy_bpf_init(void);

#endif /* _TLSOCK_POLICY_H */
