// SPDX-License-Identifier: GPL-2.0
/*
 * The cgroup hooks of transparent TLS policies, client side: every connect()
 * of a TCP socket below the cgroup they are attached to (tlsockd attaches
 * them to the root, hooks.c) asks tlsock.ko, before the SYN, whether a
 * policy covers the destination.  The module decides and, when one does,
 * turns the socket into a TLS socket; these programs only carry its answer.
 *
 * Built with clang -target bpf into policy.bpf.o, embedded in tlsockd and
 * tlsockctl through bpftool's skeleton (policy.skel.h).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/*
 * In tlsock.ko, for BPF_PROG_TYPE_CGROUP_SOCK_ADDR programs (kernels 6.7 and
 * later let them call kfuncs).  0: let connect() go on (as a TLS socket or
 * not), else a negative errno to fail it with.  Not __weak: without it the
 * programs must not load at all, so that attaching them fails loudly.
 */
extern int bpf_tlsock_connect(struct bpf_sock_addr *ctx) __ksym;

/* In tlsock.ko too: the server rules, for a socket that just got its local port. */
extern int bpf_tlsock_bind(struct bpf_sock *ctx) __ksym;

/*
 * A cgroup sock_addr or sock program allows with 1 and refuses with 0; refused,
 * connect() or bind() fails with EPERM unless the program set another error.
 */
static __always_inline int tlsock_verdict(int ret)
{
	long err = ret;

	/*
	 * bpf_set_retval() takes an errno, and 7.x's verifier wants to see the
	 * range checked on the very register passed: opaque to the compiler, so
	 * that it does not test a 32-bit copy instead.
	 */
	asm volatile("" : "+r"(err));
	if (err >= 0)
		return 1;
	if (err < -4095)
		err = -1;
	bpf_set_retval(err);
	return 0;
}

SEC("cgroup/post_bind4")
int tlsock_post_bind4(struct bpf_sock *ctx)
{
	return tlsock_verdict(bpf_tlsock_bind(ctx));
}

SEC("cgroup/post_bind6")
int tlsock_post_bind6(struct bpf_sock *ctx)
{
	return tlsock_verdict(bpf_tlsock_bind(ctx));
}

SEC("cgroup/connect4")
int tlsock_connect4(struct bpf_sock_addr *ctx)
{
	return tlsock_verdict(bpf_tlsock_connect(ctx));
}

SEC("cgroup/connect6")
int tlsock_connect6(struct bpf_sock_addr *ctx)
{
	return tlsock_verdict(bpf_tlsock_connect(ctx));
}

char LICENSE[] SEC("license") = "GPL";
