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

/*
 * Generic netlink family "tlsock".  Commands (attributes as in
 * uapi/tlsock.yaml, which documents each one):
 *
 * TLSOCK_CMD_READY (kernel to daemons): a request is waiting.
 *	TLSOCK_A_ACCEPT_REQ_ID.  Unicast to one parked netlink socket (see
 *	_PARK below) if there is one, else multicast on group
 *	TLSOCK_MCGRP_TLSOCKD.
 * A daemon (ACCEPT, DONE) needs CAP_NET_ADMIN in the initial user namespace:
 * it hands keys and a "verified" peer to other processes' sockets, so root
 * of a user namespace (which any user can create, with a network namespace
 * of its own) may not act as one.  STATUS_GET needs CAP_NET_ADMIN in the
 * user namespace that owns the caller's network namespace.
 *
 * TLSOCK_CMD_ACCEPT (daemon, CAP_NET_ADMIN): claims the oldest pending
 *	request of the caller's network namespace; EAGAIN when there is none.
 *	The reply carries TLSOCK_A_ACCEPT_{REQ_ID, SOCKFD, ROLE, FLAGS, TIMEOUT,
 *	PROFILE, SERVER_NAME, PEER_ADDR, LOCAL_ADDR}; SOCKFD is a new
 *	O_CLOEXEC descriptor of the caller for the application's socket.  The
 *	daemon's own send/recv/poll on it bypass the handshake gate.
 *	With the flag TLSOCK_A_ACCEPT_PARK, a socket that finds nothing
 *	pending is parked: the next request is announced to it alone.
 * TLSOCK_CMD_DONE (daemon, CAP_NET_ADMIN): completes a request claimed by
 *	the same netlink socket (EPERM otherwise, ENOENT when the request is
 *	gone).  TLSOCK_A_DONE_REQ_ID and _STATUS (0 or a positive errno
 *	below 512: ERANGE for a kernel-internal code);
 *	with status 0 also _VERSION, _CIPHER, _TX_CRYPTO and _RX_CRYPTO
 *	(struct tls12_crypto_info_*), for TLS 1.3 _TX_SECRET and _RX_SECRET
 *	(as long as the suite's hash: 48 bytes for AES-256-GCM, else 32; none
 *	for TLS 1.2), and _PEER_VERIFIED, _RESUMED, _PEER_SUBJECT, _PEER_SAN
 *	(repeated), _PEER_SAN_TRUNCATED (the peer has SANs that no _PEER_SAN
 *	carries).  A DONE whose keys do not fit the version and cipher fails
 *	with EINVAL and fails the request with EIO (the connection is reset).
 *	A TLS 1.3 client may also carry _TICKET_PORTID: the netlink port that
 *	receives TLSOCK_CMD_TICKET for this socket.  With _PARK the socket
 *	parks (before the request completes, so a request its completion
 *	prompts is announced to it; a READY follows at once if one is pending).
 *	A daemon whose netlink socket closes fails every request it claimed
 *	with EOWNERDEAD.
 * TLSOCK_CMD_TICKET (unicast, kernel to the port named by DONE): the peer
 *	sent a NewSessionTicket after the handshake.  TLSOCK_A_TICKET_REQ_ID
 *	and _MSG (the plaintext handshake message with its header, at most
 *	TLSOCK_TICKET_MSG_MAX bytes; at most TLSOCK_TICKETS_MAX per socket).
 *	Dropped when the port is gone, and for good once the port was
 *	released: a port id a daemon freed may be bound by anyone.
 * TLSOCK_CMD_STATUS_GET (CAP_NET_ADMIN, see above): TLSOCK_A_STATUS_{PENDING, ACTIVE,
 *	MAX_PENDING, DEFAULT_TIMEOUT, LISTENERS} of the caller's namespace.
 *
 * The block below is kept identical to what tools/net/ynl/ynl-gen-c.py
 * renders from uapi/tlsock.yaml; uapi/ynl-gen.sh --check verifies it.
 */

/* ynl-gen: begin */
#define TLSOCK_FAMILY_NAME	"tlsock"
#define TLSOCK_FAMILY_VERSION	1

#define TLSOCK_CRYPTO_INFO_MAX	64
#define TLSOCK_SECRET_MAX	48
#define TLSOCK_SUBJECT_MAX	1023
#define TLSOCK_SAN_MAX		255
#define TLSOCK_TICKET_MSG_MAX	4096
#define TLSOCK_TICKETS_MAX	4

/**
 * enum tlsock_role - Handshake role of the local end (struct
 *   tlsock_handshake.role).
 */
enum tlsock_role {
	TLSOCK_ROLE_UNSPEC,
	TLSOCK_ROLE_CLIENT,
	TLSOCK_ROLE_SERVER,

	/* private: */
	__TLSOCK_ROLE_MAX,
	TLSOCK_ROLE_MAX = (__TLSOCK_ROLE_MAX - 1)
};

/**
 * enum tlsock_origin - Who added a transparent TLS rule. "admin" rules
 *   (tlsockctl policy add) stay until deleted; "daemon" rules come from
 *   tlsockd.conf and tlsockd deletes them again (policy-del with flush and
 *   origin) when it stops, and when it starts, in case a daemon before it died
 *   with its rules in place.
 */
enum tlsock_origin {
	TLSOCK_ORIGIN_UNSPEC,
	TLSOCK_ORIGIN_ADMIN,
	TLSOCK_ORIGIN_DAEMON,

	/* private: */
	__TLSOCK_ORIGIN_MAX,
	TLSOCK_ORIGIN_MAX = (__TLSOCK_ORIGIN_MAX - 1)
};

enum {
	TLSOCK_A_ACCEPT_UNSPEC,
	TLSOCK_A_ACCEPT_REQ_ID,
	TLSOCK_A_ACCEPT_SOCKFD,
	TLSOCK_A_ACCEPT_ROLE,
	TLSOCK_A_ACCEPT_FLAGS,
	TLSOCK_A_ACCEPT_TIMEOUT,
	TLSOCK_A_ACCEPT_PROFILE,
	TLSOCK_A_ACCEPT_SERVER_NAME,
	TLSOCK_A_ACCEPT_PEER_ADDR,
	TLSOCK_A_ACCEPT_LOCAL_ADDR,
	TLSOCK_A_ACCEPT_PARK,
	TLSOCK_A_ACCEPT_RULE_ID,
	TLSOCK_A_ACCEPT_ROLE_FILTER,

	__TLSOCK_A_ACCEPT_MAX,
	TLSOCK_A_ACCEPT_MAX = (__TLSOCK_A_ACCEPT_MAX - 1)
};

enum {
	TLSOCK_A_DONE_UNSPEC,
	TLSOCK_A_DONE_REQ_ID,
	TLSOCK_A_DONE_STATUS,
	TLSOCK_A_DONE_VERSION,
	TLSOCK_A_DONE_CIPHER,
	TLSOCK_A_DONE_TX_CRYPTO,
	TLSOCK_A_DONE_RX_CRYPTO,
	TLSOCK_A_DONE_TX_SECRET,
	TLSOCK_A_DONE_RX_SECRET,
	TLSOCK_A_DONE_PEER_VERIFIED,
	TLSOCK_A_DONE_RESUMED,
	TLSOCK_A_DONE_PEER_SUBJECT,
	TLSOCK_A_DONE_PEER_SAN,
	TLSOCK_A_DONE_TICKET_PORTID,
	TLSOCK_A_DONE_PARK,
	TLSOCK_A_DONE_PEER_SAN_TRUNCATED,
	TLSOCK_A_DONE_ROLE_FILTER,

	__TLSOCK_A_DONE_MAX,
	TLSOCK_A_DONE_MAX = (__TLSOCK_A_DONE_MAX - 1)
};

enum {
	TLSOCK_A_TICKET_UNSPEC,
	TLSOCK_A_TICKET_REQ_ID,
	TLSOCK_A_TICKET_MSG,

	__TLSOCK_A_TICKET_MAX,
	TLSOCK_A_TICKET_MAX = (__TLSOCK_A_TICKET_MAX - 1)
};

enum {
	TLSOCK_A_STATUS_UNSPEC,
	TLSOCK_A_STATUS_PENDING,
	TLSOCK_A_STATUS_ACTIVE,
	TLSOCK_A_STATUS_MAX_PENDING,
	TLSOCK_A_STATUS_DEFAULT_TIMEOUT,
	TLSOCK_A_STATUS_LISTENERS,

	__TLSOCK_A_STATUS_MAX,
	TLSOCK_A_STATUS_MAX = (__TLSOCK_A_STATUS_MAX - 1)
};

enum {
	TLSOCK_A_POLICY_UNSPEC,
	TLSOCK_A_POLICY_ID,
	TLSOCK_A_POLICY_ROLE,
	TLSOCK_A_POLICY_ADDR,
	TLSOCK_A_POLICY_PREFIX_LEN,
	TLSOCK_A_POLICY_PORT,
	TLSOCK_A_POLICY_PROFILE,
	TLSOCK_A_POLICY_SERVER_NAME,
	TLSOCK_A_POLICY_CGROUP,
	TLSOCK_A_POLICY_FLUSH,
	TLSOCK_A_POLICY_CONNECTIONS,
	TLSOCK_A_POLICY_HANDSHAKES_OK,
	TLSOCK_A_POLICY_HANDSHAKES_FAILED,
	TLSOCK_A_POLICY_REFUSED,
	TLSOCK_A_POLICY_SKIPPED,
	TLSOCK_A_POLICY_ORIGIN,
	TLSOCK_A_POLICY_BYTES_IN,
	TLSOCK_A_POLICY_BYTES_OUT,

	__TLSOCK_A_POLICY_MAX,
	TLSOCK_A_POLICY_MAX = (__TLSOCK_A_POLICY_MAX - 1)
};

enum {
	TLSOCK_A_SESSION_UNSPEC,
	TLSOCK_A_SESSION_RULE_ID,
	TLSOCK_A_SESSION_ROLE,
	TLSOCK_A_SESSION_LOCAL_ADDR,
	TLSOCK_A_SESSION_PEER_ADDR,
	TLSOCK_A_SESSION_STATE,
	TLSOCK_A_SESSION_VERSION,
	TLSOCK_A_SESSION_CIPHER,
	TLSOCK_A_SESSION_PEER_VERIFIED,
	TLSOCK_A_SESSION_PEER_SUBJECT,
	TLSOCK_A_SESSION_PEER_SAN,
	TLSOCK_A_SESSION_ERROR,
	TLSOCK_A_SESSION_BYTES_IN,
	TLSOCK_A_SESSION_BYTES_OUT,

	__TLSOCK_A_SESSION_MAX,
	TLSOCK_A_SESSION_MAX = (__TLSOCK_A_SESSION_MAX - 1)
};

enum {
	TLSOCK_CMD_UNSPEC,
	TLSOCK_CMD_READY,
	TLSOCK_CMD_ACCEPT,
	TLSOCK_CMD_DONE,
	TLSOCK_CMD_STATUS_GET,
	TLSOCK_CMD_TICKET,
	TLSOCK_CMD_POLICY_ADD,
	TLSOCK_CMD_POLICY_DEL,
	TLSOCK_CMD_POLICY_GET,
	TLSOCK_CMD_SESSION_GET,

	__TLSOCK_CMD_MAX,
	TLSOCK_CMD_MAX = (__TLSOCK_CMD_MAX - 1)
};

#define TLSOCK_MCGRP_TLSOCKD	"tlsockd"
/* ynl-gen: end */

#define TLSOCK_PROFILE_MAX	64	/* bytes, including the NUL */
#define TLSOCK_SERVER_NAME_MAX	256	/* bytes, including the NUL */
#define TLSOCK_TIMEOUT_MAX_MS	300000	/* longest timeout_ms accepted */

/* struct tlsock_handshake.flags: unknown bits are rejected with EINVAL */
#define TLSOCK_HS_F_ALL		0u

/**
 * struct tlsock_handshake - argument of setsockopt(SOL_TLSOCK, TLSOCK_HANDSHAKE)
 * @role: TLSOCK_ROLE_CLIENT or TLSOCK_ROLE_SERVER (enum tlsock_role below).
 * @flags: TLSOCK_HS_F_* bits; must be a subset of TLSOCK_HS_F_ALL.
 * @timeout_ms: handshake deadline, at most TLSOCK_TIMEOUT_MAX_MS; 0 selects
 *	the module default (parameter hs_timeout_ms, 10 s).
 * @reserved: must be zero.
 * @profile: NUL-terminated tlsockd.conf profile name ([A-Za-z0-9_.-]);
 *	"" means "default".
 * @server_name: NUL-terminated printable ASCII.  A client sends it as SNI
 *	and verifies the server certificate against it; an empty name makes
 *	the client verify against the peer's IP address.  Servers ignore it.
 *
 * The socket must be a connected TCP socket with the "tlsock" ULP and no
 * SOL_TLS keys.  The structure may grow at its end: the kernel accepts any
 * length from TLSOCK_HANDSHAKE_SIZE_VER0 on, treats missing bytes as zero
 * and refuses a longer structure whose extra bytes are not all zero (E2BIG).
 *
 * Outcome.  A blocking socket returns 0 once both directions carry TLS, or
 * fails with the handshake's errno.  A non-blocking socket (or an expired
 * SO_SNDTIMEO) returns EINPROGRESS; poll then reports POLLOUT on success or
 * POLLERR on failure and SO_ERROR holds the errno, as after connect().
 * Repeating the call while the handshake runs waits again (EALREADY when
 * non-blocking); after success it fails with EISCONN; after a failure it
 * returns that failure.  A signal interrupts the wait (EINTR) but not the
 * handshake.  Until the handshake succeeds the application's send, recv,
 * splice and sendfile wait (EAGAIN when non-blocking) and poll reports no
 * readiness; after a failure they return the failure.  A call that waited
 * continues on TLS once the keys are in: it never sees the peer's raw bytes.
 * The request is refused (EBUSY) while a send or receive of the application
 * is still inside TCP on the plain socket, and from the request on SOL_TLS
 * keys are refused (EBUSY) and not shown (EPERM).  The connection is
 * reset on failure: no application byte ever crosses it in plaintext.
 *
 * errno values of a failed handshake:
 *	ESRCH		no tlsockd listens in the socket's network namespace
 *	EBUSY		too many handshakes pending in the namespace (parameter
 *			hs_max_pending) or of the calling user there
 *			(hs_max_pending_user); or, with the connection left as it
 *			was, an application send/receive is still in progress
 *			on the plain socket; for a server, also when tlsockd
 *			refuses it at once (its workers for server handshakes
 *			are busy, or the peer's address has max_per_peer
 *			handshakes in progress)
 *	ETIMEDOUT	timeout_ms elapsed; for a server, also when the client
 *			sent nothing within hs_first_byte_ms (a server's
 *			request reaches a daemon only once its peer spoke);
 *			or the peer took longer than the daemon's
 *			handshake_idle_ms to send its next record
 *	EOWNERDEAD	the daemon that claimed the request exited
 *	ENOTCONN	the connection is not established (any more)
 *	EISCONN		SOL_TLS keys are already installed
 *	EKEYREJECTED	peer certificate not trusted (unknown issuer, bad
 *			signature, insecure algorithm, not a valid chain), or
 *			the peer refused ours (alert bad_certificate,
 *			unknown_ca, unsupported_certificate, certificate_unknown)
 *	EKEYEXPIRED	peer certificate (or an issuer) expired or not yet
 *			valid, or the peer says so of ours
 *	EKEYREVOKED	peer certificate revoked by a CRL, or the peer says so
 *			of ours
 *	ENXIO		peer certificate does not match server_name (or the
 *			peer's address)
 *	ENOKEY		the peer presented no certificate where one is
 *			required, or we had none to present to a peer that
 *			required one (TLS 1.2; a TLS 1.3 client learns it
 *			only after its handshake, from the server's alert:
 *			see tlsock(7))
 *	EPROTONOSUPPORT	no common protocol version, cipher suite or group
 *	ECONNREFUSED	the peer aborted the handshake with another fatal alert
 *	ECONNRESET	the peer closed the connection during the handshake
 *	EPROTO		malformed or unexpected handshake message
 *	EBADMSG		a handshake record failed to decrypt or verify
 *	ENOENT		the profile does not exist in tlsockd.conf
 *	EIO		any other daemon-side failure
 */
struct tlsock_handshake {
	__u32	role;
	__u32	flags;
	__u32	timeout_ms;
	__u32	reserved;
	char	profile[TLSOCK_PROFILE_MAX];
	char	server_name[TLSOCK_SERVER_NAME_MAX];
};

#define TLSOCK_HANDSHAKE_SIZE_VER0	16	/* role, flags, timeout_ms, reserved */

/* struct tlsock_info.state */
enum tlsock_state {
	TLSOCK_STATE_NONE = 0,		/* no managed handshake was requested */
	TLSOCK_STATE_PENDING = 1,	/* handshake requested, not finished */
	TLSOCK_STATE_ESTABLISHED = 2,	/* handshake done, keys installed */
	TLSOCK_STATE_FAILED = 3,	/* handshake failed; see @error */
	__TLSOCK_STATE_MAX,
};

/* struct tlsock_info.flags */
#define TLSOCK_INFO_F_PEER_VERIFIED	(1u << 0)	/* peer certificate verified */
#define TLSOCK_INFO_F_RESUMED		(1u << 1)	/* session was resumed */
#define TLSOCK_INFO_F_TX		(1u << 2)	/* transmit keys installed */
#define TLSOCK_INFO_F_RX		(1u << 3)	/* receive keys installed */
#define TLSOCK_INFO_F_SAN_TRUNCATED	(1u << 4)	/* peer_san lacks some of the peer's SANs */

/**
 * struct tlsock_info - result of getsockopt(SOL_TLSOCK, TLSOCK_INFO)
 * @state: enum tlsock_state.
 * @error: positive errno of a failed handshake, else 0.
 * @version: TLS_1_2_VERSION or TLS_1_3_VERSION (<linux/tls.h>), 0 if none.
 * @cipher: TLS_CIPHER_* of <linux/tls.h>, 0 if none.
 * @flags: TLSOCK_INFO_F_* bits.
 * @handshake_usec: microseconds from the request to the keys being installed.
 * @peer_subject: subject DN of the verified peer certificate, NUL-terminated
 *	("" if the peer was not verified or sent no certificate).
 * @peer_san: the peer's subjectAltNames, each NUL-terminated, one after the
 *	other; an empty string ends the list.
 *
 * Also usable on sockets configured with SOL_TLS directly (state NONE,
 * version, cipher and the TX/RX flags filled in).  The kernel copies at most
 * optlen bytes and returns the length it copied in optlen; a caller that
 * needs no identity passes offsetof(struct tlsock_info, peer_subject) and
 * the kernel does not build it.
 */
struct tlsock_info {
	__u32	state;
	__u32	error;
	__u16	version;
	__u16	cipher;
	__u32	flags;
	__u64	handshake_usec;
	char	peer_subject[TLSOCK_SUBJECT_MAX + 1];
	char	peer_san[1024];
};

#endif /* _UAPI_LINUX_TLSOCK_H */
