// SPDX-License-Identifier: GPL-2.0
/*
 * Whole functions that only some kernels need (see compat.h).
 */
#include <linux/bvec.h>
#include <linux/uio.h>

#include "tlsock.h"

#ifdef TLSOCK_HAVE_SENDPAGE
/**
 * tlsock_sendpage() - proto sendpage, on kernels that still have it (< 6.5)
 * @sk: tlsock socket
 * @page: page to send
 * @offset: where its bytes start
 * @size: how many
 * @flags: MSG_* flags, MSG_SENDPAGE_NOTLAST while more pages follow
 *
 * sendfile(), splice() and kernel_sendpage() reach a socket here, and TCP's
 * own sendpage would put the page on the wire as it is.  The page becomes the
 * source of a sendmsg instead, so it is sealed like any other data.
 *
 * Context: process context; takes the socket lock.
 * Return: bytes taken, or a negative errno.
 */
int tlsock_sendpage(struct sock *sk, struct page *page, int offset, size_t size, int flags)
{
	struct bio_vec bvec = { .bv_page = page, .bv_offset = offset, .bv_len = size };
	struct msghdr msg = { .msg_flags = flags & ~MSG_SENDPAGE_NOTLAST };

	if (flags & MSG_SENDPAGE_NOTLAST)
		msg.msg_flags |= MSG_MORE;
	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, &bvec, 1, size);
	return tlsock_sendmsg(sk, &msg, size);
}

/* proto_ops sendpage_locked: no kernel sender bypasses the record layer */
int tlsock_no_sendpage_locked(struct sock *sk, struct page *page, int offset, size_t size,
			      int flags)
{
	return -EOPNOTSUPP;
}
#endif
