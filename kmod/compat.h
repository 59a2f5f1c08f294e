/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-version differences live here (and whole functions that differ in
 * compat.c) and nowhere else.  Kbuild force-includes this file into every
 * object of tlsock.ko.
 *
 * Features are chosen by what the kernel tree provides, not by its version
 * alone: Debian backports pieces of newer kernels into its 6.1 series.  Kbuild
 * probes the tree's headers and defines TLSOCK_HAVE_* for what it finds; the
 * shims below fill the gaps.  Supported: Debian 12's 6.1, Debian 12/13's 6.12
 * and Debian 13's 7.x (backports).
 */
#ifndef _TLSOCK_COMPAT_H
#define _TLSOCK_COMPAT_H

#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "tlsock supports Linux 6.1 and newer"
#endif

#include <linux/mm.h>
#include <linux/sockptr.h>
#include <linux/uio.h>
#include <net/genetlink.h>
#include <net/sock.h>

/*
 * Before 6.2 a generic netlink family has no split operations; struct
 * genl_ops carries a policy per operation too, and a family that leaves
 * resv_start_op at 0 validates every operation strictly, as split ones are.
 */
#ifdef TLSOCK_HAVE_GENL_SPLIT_OPS
#define TLSOCK_GENL_OPS(o)	.split_ops = (o), .n_split_ops = ARRAY_SIZE(o)
#else
#define genl_split_ops		genl_ops
#ifndef GENL_CMD_CAP_DO
#define GENL_CMD_CAP_DO		0
#endif
#ifndef GENL_CMD_CAP_DUMP
#define GENL_CMD_CAP_DUMP	0
#endif
#define TLSOCK_GENL_OPS(o)	.ops = (o), .n_ops = ARRAY_SIZE(o)
#endif

/* 7.x: the address of proto.connect is a struct sockaddr_unsized */
#ifdef TLSOCK_HAVE_SOCKADDR_UNSIZED
#define tlsock_connect_addr	sockaddr_unsized
#else
#define tlsock_connect_addr	sockaddr
#endif

/* 6.2: formatted extack messages; before, the message goes without its arguments */
#ifndef GENL_SET_ERR_MSG_FMT
#define GENL_SET_ERR_MSG_FMT(info, msg, ...)	GENL_SET_ERR_MSG(info, msg)
#endif

#ifndef nla_for_each_attr_type
#define nla_for_each_attr_type(pos, type, head, len, rem)	\
	nla_for_each_attr(pos, head, len, rem)			\
		if (nla_type(pos) == (type))
#endif

#ifndef TLSOCK_HAVE_COPY_STRUCT_FROM_SOCKPTR
/* an extensible struct: shorter is zero-filled, longer must end in zeroes (E2BIG) */
static inline int tlsock_copy_struct_from_sockptr(void *dst, size_t ksize, sockptr_t src,
						  size_t usize)
{
	size_t common = min(ksize, usize);

	if (!sockptr_is_kernel(src))
		return copy_struct_from_user(dst, ksize, src.user, usize);
	if (usize > ksize && memchr_inv((const u8 *)src.kernel + ksize, 0, usize - ksize))
		return -E2BIG;
	memcpy(dst, src.kernel, common);
	if (ksize > common)
		memset((u8 *)dst + common, 0, ksize - common);
	return 0;
}

#define copy_struct_from_sockptr tlsock_copy_struct_from_sockptr
#endif

#ifndef TLSOCK_HAVE_SK_WAKE_ASYNC_RCU
/* sk_wake_async() takes the RCU read lock itself: nesting it is fine */
#define sk_wake_async_rcu(sk, how, band)	sk_wake_async(sk, how, band)
#endif

#ifndef TLSOCK_HAVE_SKB_FRAGS_READABLE
/* no device memory (unreadable frags) before 6.12 */
static inline bool skb_frags_readable(const struct sk_buff *skb)
{
	return true;
}
#endif

/*
 * Zero-copy sealing and opening pin the application's pages.  Without
 * iov_iter_extract_pages() (before 6.3) only page references can be taken,
 * which a concurrent fork can leave pointing at the wrong copy of a page:
 * those kernels copy instead.
 */
#ifdef TLSOCK_HAVE_EXTRACT_PAGES
#define TLSOCK_CAN_PIN	true
static inline ssize_t tlsock_pin_pages(struct iov_iter *i, struct page ***pages, size_t max,
				       unsigned int maxpages, size_t *off)
{
	return iov_iter_extract_pages(i, pages, max, maxpages, 0, off);
}

static inline void tlsock_unpin_pages(struct page **pages, unsigned long n, bool dirty)
{
	if (dirty)
		unpin_user_pages_dirty_lock(pages, n, true);
	else
		unpin_user_pages(pages, n);
}
#else
#define TLSOCK_CAN_PIN	false
static inline ssize_t tlsock_pin_pages(struct iov_iter *i, struct page ***pages, size_t max,
				       unsigned int maxpages, size_t *off)
{
	return -EOPNOTSUPP;
}

static inline void tlsock_unpin_pages(struct page **pages, unsigned long n, bool dirty)
{
}
#endif

/* Without MSG_SPLICE_PAGES, TCP copies the sealed record out of its pages. */
#ifndef MSG_SPLICE_PAGES
#define MSG_SPLICE_PAGES	0
#endif

#ifdef TLSOCK_HAVE_SENDPAGE
int tlsock_sendpage(struct sock *sk, struct page *page, int offset, size_t size, int flags);
int tlsock_no_sendpage_locked(struct sock *sk, struct page *page, int offset, size_t size,
			      int flags);
#endif

/*
 * In 7.x (not 6.12) struct proto's recvmsg has no addr_len (TCP only wrote it for the
 * error queue).  tlsock_recvmsg() takes and passes on what the tree has:
 *	int tlsock_recvmsg(struct sock *sk, ..., int flags TLSOCK_ADDR_LEN_DECL)
 *	ctx->sk_proto->recvmsg(sk, msg, len, flags TLSOCK_ADDR_LEN)
 */
#ifdef TLSOCK_HAVE_RECVMSG_ADDR_LEN
#define TLSOCK_ADDR_LEN_DECL	, int *addr_len
#define TLSOCK_ADDR_LEN		, addr_len
#else
#define TLSOCK_ADDR_LEN_DECL
#define TLSOCK_ADDR_LEN
#endif

/*
 * In 7.x (not 6.12) a ULP's get_info and get_info_size are told whether the reader
 * has CAP_NET_ADMIN; tlsock reports the same to everyone.
 */
#ifdef TLSOCK_HAVE_ULP_INFO_NET_ADMIN
#define TLSOCK_ULP_INFO_DECL	, bool net_admin
#else
#define TLSOCK_ULP_INFO_DECL
#endif

/* After 6.12 a file's count is a file_ref_t (f_ref), no longer f_count. */
#ifdef TLSOCK_HAVE_FILE_REF
#define tlsock_file_get_unless_zero(f)	file_ref_get(&(f)->f_ref)
#else
#define tlsock_file_get_unless_zero(f)	atomic_long_inc_not_zero(&(f)->f_count)
#endif

/*
 * After 6.12 the bulk page allocator filling an array is alloc_pages_bulk();
 * before, that name took a list as well and the array form was
 * alloc_pages_bulk_array().
 */
#ifdef TLSOCK_HAVE_ALLOC_PAGES_BULK_ARRAY
#define tlsock_alloc_pages_bulk(gfp, n, pages)	alloc_pages_bulk_array(gfp, n, pages)
#else
#define tlsock_alloc_pages_bulk(gfp, n, pages)	alloc_pages_bulk(gfp, n, pages)
#endif

#endif /* _TLSOCK_COMPAT_H */
