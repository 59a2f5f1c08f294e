/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * tlsock: kernel TLS record layer with a userspace handshake daemon.
 *
 * This header is the public contract between tlsock.ko, tlsockd, tlsockctl
 * and applications.  Two APIs live on a tlsock socket:
 *
 *  1. kTLS compatibility: after setsockopt(fd, SOL_TCP, TCP_ULP, "tlsock")
 *     the SOL_TLS options of <linux/tls.h> (TLS_TX, TLS_RX,
 *     TLS_TX_ZEROCOPY_RO, TLS_RX_EXPECT_NO_PAD) and the
 *     TLS_SET_RECORD_TYPE / TLS_GET_RECORD_TYPE cmsgs behave as on
 *     mainline kTLS.  Nothing in this header is needed for that.
 *
 *  2. Managed handshakes: setsockopt(fd, SOL_TLSOCK, TLSOCK_HANDSHAKE, ...)
 *     asks tlsockd to run the handshake; TLSOCK_INFO reports the result.
 *
 * The generic netlink family "tlsock" (kernel <-> tlsockd) is described in
 * uapi/tlsock.yaml and its constants are defined further down.
 */
#ifndef _UAPI_LINUX_TLSOCK_H
#define _UAPI_LINUX_TLSOCK_H

#include <linux/types.h>

#define TLSOCK_ULP_NAME		"tlsock"

/* Socket-option level of tlsock's own options (not a protocol number). */
#define SOL_TLSOCK		0x746c73

/* SOL_TLSOCK option names */
#define TLSOCK_HANDSHAKE	1	/* set: struct tlsock_handshake */
#define TLSOCK_INFO		2	/* get: struct tlsock_info */

/* struct tlsock_handshake.role */
enum tlsock_role {
	TLSOCK_ROLE_UNSPEC = 0,
	TLSOCK_ROLE_CLIENT = 1,
	TLSOCK_ROLE_SERVER = 2,
	__TLSOCK_ROLE_MAX,
};

#define TLSOCK_PROFILE_MAX	64	/* bytes, including the NUL */
#define TLSOCK_SERVER_NAME_MAX	256	/* bytes, including the NUL */

/* struct tlsock_handshake.flags: unknown bits are rejected with EINVAL */
#define TLSOCK_HS_F_ALL		0u

/**
 * struct tlsock_handshake - argument of TLSOCK_HANDSHAKE
 * @role: TLSOCK_ROLE_CLIENT or TLSOCK_ROLE_SERVER.
 * @flags: TLSOCK_HS_F_* bits; must be a subset of TLSOCK_HS_F_ALL.
 * @timeout_ms: handshake deadline; 0 selects the module default.
 * @reserved: must be zero.
 * @profile: NUL-terminated tlsockd.conf profile name; "" means "default".
 * @server_name: NUL-terminated; a client sends it as SNI and verifies the
 *	server certificate against it.  Ignored for servers.
 *
 * The structure may grow at its end.  The kernel accepts a shorter, older
 * layout and a longer one whose extra bytes are all zero.
 */
struct tlsock_handshake {
	__u32	role;
	__u32	flags;
	__u32	timeout_ms;
	__u32	reserved;
	char	profile[TLSOCK_PROFILE_MAX];
	char	server_name[TLSOCK_SERVER_NAME_MAX];
};

#endif /* _UAPI_LINUX_TLSOCK_H */
