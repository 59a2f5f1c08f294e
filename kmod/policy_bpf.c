// SPDX-License-Identifier: GPL-2.0
/*
 * The kfunc through which cgroup BPF programs apply tlsock's policies.
 *
 * tlsockd attaches two small programs (daemon/bpf/policy.bpf.c) to the
 * cgroup v2 root, on connect4 and connect6.  They run inside connect(),
 * with the socket locked and before TCP sends its SYN, and call
 * bpf_tlsock_connect() with their context.  The decision is the module's
 * (policy.c): the programs only carry the call, and turn a negative return
 * into the errno of connect().
 *
 * A kfunc lives in the module's BTF, so the module must be built with it
 * (pahole, and the kernel's vmlinux in the build tree, as Debian's 6.12
 * and 7.x headers have).  Without BTF, or on a kernel whose cgroup programs
 * cannot call module kfuncs (before 6.7: no hook for CGROUP_SOCK_ADDR),
 * nothing is registered, the read-only parameter policy_hooks says N and
 * policy-add fails with EOPNOTSUPP.  A loaded program that uses the kfunc
 * holds a reference on the module: tlsock cannot be unloaded while the
 * hooks are attached (tlsockctl hooks detach).
 */
#include <linux/module.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/filter.h>

#include "policy.h"

bool tlsock_policy_hooks;
module_param_named(policy_hooks, tlsock_policy_hooks, bool, 0444);
MODULE_PARM_DESC(policy_hooks,
		 "Y: cgroup BPF programs can call bpf_tlsock_connect() (transparent TLS policies)");

#ifdef TLSOCK_HAVE_KFUNC_FILTER

__bpf_kfunc_start_defs();

/**
 * bpf_tlsock_connect() - apply tlsock's client rules to a connect()
 * @ctx: the calling connect4/connect6 program's context
 *
 * Context: cgroup connect4/connect6 program: process context, socket lock
 * held, before the SYN.
 * Return: 0 to let the connect() go on (the socket may now be a TLS
 * socket), or a negative errno to fail it with.
 */
__bpf_kfunc int bpf_tlsock_connect(struct bpf_sock_addr *ctx)
{
	/* the verifier passes the kernel's context for the uapi one, as for skb kfuncs */
	struct bpf_sock_addr_kern *sa = (struct bpf_sock_addr_kern *)ctx;

	/* 7.x types it struct sockaddr_unsized; the length is uaddrlen either way */
	return tlsock_policy_connect(sa->sk, (struct sockaddr *)sa->uaddr, sa->uaddrlen);
}

/**
 * bpf_tlsock_bind() - apply tlsock's server rules to a socket just bound
 * @ctx: the calling post_bind4/post_bind6 program's context (the socket)
 *
 * Context: cgroup post_bind4/post_bind6 program: process context, socket
 * lock held, the local port taken.
 * Return: 0, or a negative errno to fail the bind() with.
 */
__bpf_kfunc int bpf_tlsock_bind(struct bpf_sock *ctx)
{
	/* a CGROUP_SOCK program's context is the socket itself */
	return tlsock_policy_bind((struct sock *)ctx);
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(tlsock_kfunc_ids)
BTF_ID_FLAGS(func, bpf_tlsock_connect)
BTF_ID_FLAGS(func, bpf_tlsock_bind)
BTF_KFUNCS_END(tlsock_kfunc_ids)

BTF_ID_LIST(tlsock_kfunc_by_name)
BTF_ID(func, bpf_tlsock_connect)
BTF_ID(func, bpf_tlsock_bind)

/* kfuncs are registered per hook, shared by every cgroup program type: narrow it */
static int tlsock_kfunc_filter(const struct bpf_prog *prog, u32 kfunc_id)
{
	enum bpf_attach_type at = prog->expected_attach_type;

	if (kfunc_id == tlsock_kfunc_by_name[0])
		return prog->type == BPF_PROG_TYPE_CGROUP_SOCK_ADDR &&
		       (at == BPF_CGROUP_INET4_CONNECT || at == BPF_CGROUP_INET6_CONNECT) ?
		       0 : -EACCES;
	if (kfunc_id == tlsock_kfunc_by_name[1])
		return prog->type == BPF_PROG_TYPE_CGROUP_SOCK &&
		       (at == BPF_CGROUP_INET4_POST_BIND || at == BPF_CGROUP_INET6_POST_BIND) ?
		       0 : -EACCES;
	return 0;	/* not ours */
}

static const struct btf_kfunc_id_set tlsock_kfunc_set = {
	.owner	= THIS_MODULE,
	.set	= &tlsock_kfunc_ids,
	.filter	= tlsock_kfunc_filter,
};

/**
 * tlsock_policy_bpf_init() - register the kfunc, if this module can
 *
 * register_btf_kfunc_id_set() succeeds without doing anything for a module
 * that has no BTF, so the BTF is checked first.
 */
void tlsock_policy_bpf_init(void)
{
	int err;

#ifdef CONFIG_DEBUG_INFO_BTF_MODULES
	if (!THIS_MODULE->btf_data_size) {
#else
	if (true) {	/* a kernel without module BTF (the debug kernel of make check) */
#endif
		pr_warn("tlsock: built without BTF: no transparent TLS policies\n");
		return;
	}
	/*
	 * Every cgroup program type shares one kfunc hook (BTF_KFUNC_HOOK_CGROUP):
	 * registered once, the set serves the post_bind (CGROUP_SOCK) programs too,
	 * and registering it again for CGROUP_SOCK would WARN.
	 */
	err = register_btf_kfunc_id_set(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, &tlsock_kfunc_set);
	if (err) {
		pr_warn("tlsock: registering the BPF kfunc failed (%d): no transparent TLS policies\n",
			err);
		return;
	}
	tlsock_policy_hooks = true;
}

#else /* !TLSOCK_HAVE_KFUNC_FILTER */

void tlsock_policy_bpf_init(void)
{
	pr_info("tlsock: this kernel's cgroup BPF programs cannot call module kfuncs: no transparent TLS policies\n");
}

#endif
