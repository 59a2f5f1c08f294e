// SPDX-License-Identifier: GPL-2.0
/*
 * Managed handshakes (SOL_TLSOCK) and the "tlsock" generic netlink family.
 *
 * Placeholder: every hook exists so the module links; the upcall itself is
 * added next.
 */
#include "tlsock.h"

int tlsock_hs_setsockopt(struct sock *sk, int optname, sockptr_t optval, unsigned int optlen)
{
	return -ENOPROTOOPT;
}

int tlsock_hs_getsockopt(struct sock *sk, int optname, char __user *optval, int __user *optlen)
{
	return -ENOPROTOOPT;
}

int tlsock_hs_gate(struct sock *sk, struct tlsock_ctx *ctx, bool nonblock, long *timeo)
{
	if (!ctx->hs)
		return 0;
	return -EIO;
}

__poll_t tlsock_hs_poll(struct sock *sk, struct tlsock_ctx *ctx, __poll_t mask)
{
	return mask;
}

void tlsock_hs_close(struct sock *sk, struct tlsock_ctx *ctx)
{
}

int tlsock_hs_init(void)
{
	return 0;
}

void tlsock_hs_exit(void)
{
}
