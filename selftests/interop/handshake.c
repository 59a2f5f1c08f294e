// SPDX-License-Identifier: GPL-2.0
/*
 * The userspace half: a GnuTLS handshake on the TCP socket that reads the socket one TLS record at
 * a time, so that whatever the peer sends after its last handshake record (application data,
 * tickets, alerts) stays in the socket for the kernel's record layer.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <gnutls/gnutls.h>
#include <linux/tls.h>

#include "peer.h"

#define REC_HDR_LEN 5

static ssize_t hs_push(gnutls_transport_ptr_t ptr, const void *buf, size_t len)
{
	struct tlsock_peer_conn *conn = ptr;
	ssize_t n;

	n = send(conn->fd, buf, len, MSG_NOSIGNAL);
	if (n < 0)
		gnutls_transport_set_errno(conn->session, errno);
	return n;
}

/*
 * Read the 5-byte record header first, then never more than the rest of that record.  A short
 * read is fine for GnuTLS; reading into the next record is what we must avoid.
 */
static ssize_t pull_error(struct tlsock_peer_conn *conn, int err)
{
	if (err == EAGAIN || err == EWOULDBLOCK)
		conn->pull_timed_out = true;
	gnutls_transport_set_errno(conn->session, err);
	return -1;
}

static ssize_t hs_pull(gnutls_transport_ptr_t ptr, void *buf, size_t len)
{
	struct tlsock_peer_conn *conn = ptr;
	size_t n;
	ssize_t r;

	if (conn->hdr_given == REC_HDR_LEN && !conn->body_left) {
		conn->hdr_got = 0;
		conn->hdr_given = 0;
	}
	while (conn->hdr_got < REC_HDR_LEN) {
		r = recv(conn->fd, conn->hdr + conn->hdr_got, REC_HDR_LEN - conn->hdr_got, 0);
		if (r < 0)
			return pull_error(conn, errno);
		if (r == 0)
			return conn->hdr_got ? pull_error(conn, ECONNRESET) : 0;
		conn->hdr_got += (size_t)r;
		if (conn->hdr_got == REC_HDR_LEN)
			conn->body_left = (size_t)conn->hdr[3] << 8 | conn->hdr[4];
	}
	if (conn->hdr_given < REC_HDR_LEN) {
		n = REC_HDR_LEN - conn->hdr_given;
		if (n > len)
			n = len;
		memcpy(buf, conn->hdr + conn->hdr_given, n);
		conn->hdr_given += n;
		return (ssize_t)n;
	}
	n = conn->body_left < len ? conn->body_left : len;
	r = recv(conn->fd, buf, n, 0);
	if (r < 0)
		return pull_error(conn, errno);
	if (r == 0 && n)
		return pull_error(conn, ECONNRESET);
	conn->body_left -= (size_t)r;
	return r;
}

static int hs_pull_timeout(gnutls_transport_ptr_t ptr, unsigned int ms)
{
	struct tlsock_peer_conn *conn = ptr;
	struct pollfd pfd = { .fd = conn->fd, .events = POLLIN };
	int ret;

	/* header bytes read but not handed over yet count as pending data */
	if (conn->hdr_got == REC_HDR_LEN && conn->hdr_given < REC_HDR_LEN)
		return 1;
	do {
		ret = poll(&pfd, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 : (int)ms);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		gnutls_transport_set_errno(conn->session, errno);
	return ret;
}

/* GnuTLS error -> errno, keeping the GnuTLS code for the top level's message */
static int gnutls_errno(struct tlsock_peer_conn *conn, int err)
{
	conn->gnutls_err = err;
	switch (err) {
	case GNUTLS_E_MEMORY_ERROR:
		return -ENOMEM;
	case GNUTLS_E_TIMEDOUT:
	case GNUTLS_E_AGAIN:
		return -ETIMEDOUT;
	case GNUTLS_E_PREMATURE_TERMINATION:
	case GNUTLS_E_PUSH_ERROR:
	case GNUTLS_E_PULL_ERROR:
		return -ECONNRESET;
	case GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR:
	case GNUTLS_E_CERTIFICATE_ERROR:
		return -EKEYREJECTED;
	case GNUTLS_E_FILE_ERROR:
		return -ENOENT;
	case GNUTLS_E_INVALID_REQUEST:
		return -EINVAL;
	case GNUTLS_E_NO_PRIORITIES_WERE_SET:
	case GNUTLS_E_NO_CIPHER_SUITES:
	case GNUTLS_E_UNSUPPORTED_VERSION_PACKET:
	case GNUTLS_E_INSUFFICIENT_CREDENTIALS:
		return -EPROTONOSUPPORT;
	default:
		return -EPROTO;
	}
}

static int set_credentials(struct tlsock_peer_conn *conn, const struct tlsock_peer_opts *opts)
{
	int ret;

	ret = gnutls_certificate_allocate_credentials(&conn->cred);
	if (ret < 0)
		return gnutls_errno(conn, ret);
	if (opts->role == TLSOCK_PEER_SERVER) {
		ret = gnutls_certificate_set_x509_key_file(conn->cred, opts->cert_file,
							   opts->key_file, GNUTLS_X509_FMT_PEM);
		if (ret < 0)
			return gnutls_errno(conn, ret);
	} else {
		ret = gnutls_certificate_set_x509_trust_file(conn->cred, opts->ca_file,
							     GNUTLS_X509_FMT_PEM);
		if (ret < 0)
			return gnutls_errno(conn, ret);
		if (ret == 0)
			return -ENOKEY;
	}
	ret = gnutls_credentials_set(conn->session, GNUTLS_CRD_CERTIFICATE, conn->cred);
	return ret < 0 ? gnutls_errno(conn, ret) : 0;
}

/* exactly one protocol version and one cipher, whatever the system-wide defaults say */
static int set_priority(struct tlsock_peer_conn *conn, const struct tlsock_peer_opts *opts)
{
	char prio[256];
	int ret;

	ret = snprintf(prio, sizeof(prio), "NORMAL:-VERS-ALL:+VERS-TLS1.%c:-CIPHER-ALL:+%s",
		       opts->version == TLS_1_3_VERSION ? '3' : '2', opts->cipher->priority);
	if (ret < 0 || (size_t)ret >= sizeof(prio))
		return -EINVAL;
	ret = gnutls_priority_set_direct(conn->session, prio, NULL);
	return ret < 0 ? gnutls_errno(conn, ret) : 0;
}

static int check_negotiated(struct tlsock_peer_conn *conn, const struct tlsock_peer_opts *opts)
{
	gnutls_protocol_t want = opts->version == TLS_1_3_VERSION ? GNUTLS_TLS1_3 : GNUTLS_TLS1_2;

	if (gnutls_protocol_get_version(conn->session) != want) {
		conn->what = "negotiated another TLS version";
		return -EPROTO;
	}
	if (gnutls_cipher_get(conn->session) != opts->cipher->gnutls) {
		conn->what = "negotiated another cipher";
		return -EPROTO;
	}
	/* nothing may be left inside GnuTLS: the kernel would never see it */
	if (gnutls_record_check_pending(conn->session)) {
		conn->what = "GnuTLS holds unread application data";
		return -EPROTO;
	}
	/* the socket is at a record boundary */
	if (conn->hdr_got != conn->hdr_given || conn->body_left) {
		conn->what = "handshake stopped inside a record";
		return -EPROTO;
	}
	return 0;
}

/**
 * tlsock_handshake() - run the TLS handshake of @opts on @conn->fd in userspace
 *
 * Return: 0 when the handshake completed with the requested version and cipher and nothing of the
 * peer's later records was read; -errno otherwise (@conn->gnutls_err holds a GnuTLS error code).
 */
int tlsock_handshake(struct tlsock_peer_conn *conn, const struct tlsock_peer_opts *opts)
{
	unsigned int flags = opts->role == TLSOCK_PEER_SERVER ? GNUTLS_SERVER : GNUTLS_CLIENT;
	int ret;

	ret = gnutls_init(&conn->session, flags);
	if (ret < 0) {
		conn->session = NULL;
		return gnutls_errno(conn, ret);
	}
	ret = set_priority(conn, opts);
	if (ret)
		return ret;
	ret = set_credentials(conn, opts);
	if (ret)
		return ret;
	if (opts->role == TLSOCK_PEER_CLIENT) {
		ret = gnutls_server_name_set(conn->session, GNUTLS_NAME_DNS, opts->server_name,
					     strlen(opts->server_name));
		if (ret < 0)
			return gnutls_errno(conn, ret);
		gnutls_session_set_verify_cert(conn->session, opts->server_name, 0);
	}

	gnutls_transport_set_ptr(conn->session, conn);
	gnutls_transport_set_push_function(conn->session, hs_push);
	gnutls_transport_set_pull_function(conn->session, hs_pull);
	gnutls_transport_set_pull_timeout_function(conn->session, hs_pull_timeout);
	gnutls_handshake_set_timeout(conn->session, opts->timeout_s * 1000);

	do {
		ret = gnutls_handshake(conn->session);
	} while (ret == GNUTLS_E_INTERRUPTED);
	if (ret < 0)
		return gnutls_errno(conn, ret);
	return check_negotiated(conn, opts);
}

void tlsock_handshake_free(struct tlsock_peer_conn *conn)
{
	if (conn->session)
		gnutls_deinit(conn->session);
	conn->session = NULL;
	if (conn->cred)
		gnutls_certificate_free_credentials(conn->cred);
	conn->cred = NULL;
}
