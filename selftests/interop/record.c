// SPDX-License-Identifier: GPL-2.0
/*
 * Application I/O after the hand-off.  With the kernel owning the record layer this is plain
 * send()/recvmsg() on the socket; record types other than application data travel in SOL_TLS
 * control messages.  With ulp "none" GnuTLS keeps the record layer (a control for the test).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <gnutls/gnutls.h>
#include <linux/tls.h>

#include "peer.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

/* TLS 1.3 handshake message types that may follow the handshake */
#define HS_NEW_SESSION_TICKET	4
#define HS_KEY_UPDATE		24

#define ALERT_CLOSE_NOTIFY	0
#define ALERT_LEVEL_WARNING	1

static ssize_t user_send(struct tlsock_peer_conn *conn, const void *buf, size_t len)
{
	ssize_t n;

	do {
		n = gnutls_record_send(conn->session, buf, len);
	} while (n == GNUTLS_E_INTERRUPTED);
	if (n >= 0)
		return n;
	/* called from the sending thread: leave conn's error fields to the receiver */
	return n == GNUTLS_E_AGAIN ? -ETIMEDOUT : -ECONNRESET;
}

/* send all of @buf in one call to the record layer, continuing after partial sends */
ssize_t tlsock_record_send(struct tlsock_peer_conn *conn, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		if (conn->kernel) {
			n = send(conn->fd, p + done, len - done, MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return errno == EAGAIN ? -ETIMEDOUT : -errno;
		} else {
			n = user_send(conn, p + done, len - done);
			if (n < 0)
				return n;
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/*
 * Post-handshake handshake records (TLS 1.3 NewSessionTicket) are skipped.  A KeyUpdate would need
 * new keys this program cannot derive, so it ends the test.
 */
static int handshake_record(struct tlsock_peer_conn *conn, const unsigned char *p, size_t len)
{
	size_t off = 0, body;

	while (off + 4 <= len) {
		body = (size_t)p[off + 1] << 16 | (size_t)p[off + 2] << 8 | p[off + 3];
		if (p[off] != HS_NEW_SESSION_TICKET) {
			conn->hs_type = p[off];
			conn->what = p[off] == HS_KEY_UPDATE ? "peer sent KeyUpdate" :
				     "unexpected post-handshake message";
			return p[off] == HS_KEY_UPDATE ? -EKEYEXPIRED : -EPROTO;
		}
		conn->post_hs_msgs++;
		off += 4 + body;
	}
	return 0;
}

static int alert_record(struct tlsock_peer_conn *conn, const unsigned char *p, size_t len)
{
	if (len != 2) {
		conn->what = "malformed alert record";
		return -EBADMSG;
	}
	conn->alert = p[1];
	if (p[1] != ALERT_CLOSE_NOTIFY) {
		conn->what = "peer sent an alert";
		return -ECONNABORTED;
	}
	conn->peer_close_notify = true;
	conn->peer_eof = true;
	return 0;
}

/* one recvmsg(): returns data bytes, 0 for a record that carried none, or -errno */
static ssize_t kernel_fill(struct tlsock_peer_conn *conn)
{
	unsigned char cbuf[CMSG_SPACE(sizeof(unsigned char))];
	struct iovec iov = { .iov_base = conn->rx_buf, .iov_len = TLSOCK_RX_BUF_SIZE };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg;
	int type = -1, ret;
	ssize_t n;

	do {
		n = recvmsg(conn->fd, &msg, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		conn->what = "recvmsg";
		return errno == EAGAIN ? -ETIMEDOUT : -errno;
	}
	if (msg.msg_flags & MSG_CTRUNC) {
		conn->what = "recvmsg: control message truncated";
		return -EIO;
	}
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg))
		if (cmsg->cmsg_level == SOL_TLS && cmsg->cmsg_type == TLS_GET_RECORD_TYPE)
			type = *CMSG_DATA(cmsg);

	if (type < 0) {
		/* no record at all: TCP end of stream */
		if (n == 0)
			conn->peer_eof = true;
		return n;
	}
	switch (type) {
	case TLSOCK_REC_DATA:
		return n;
	case TLSOCK_REC_HANDSHAKE:
		ret = handshake_record(conn, conn->rx_buf, (size_t)n);
		break;
	case TLSOCK_REC_ALERT:
		ret = alert_record(conn, conn->rx_buf, (size_t)n);
		break;
	default:
		conn->what = "unexpected record type";
		ret = -EPROTO;
		break;
	}
	return ret;
}

static ssize_t user_fill(struct tlsock_peer_conn *conn)
{
	ssize_t n;

	/* GnuTLS says AGAIN after consuming a post-handshake message: retry unless it timed out */
	conn->pull_timed_out = false;
	do {
		n = gnutls_record_recv(conn->session, conn->rx_buf, TLSOCK_RX_BUF_SIZE);
	} while (n == GNUTLS_E_INTERRUPTED || (n == GNUTLS_E_AGAIN && !conn->pull_timed_out));
	if (n >= 0) {
		if (n == 0) {
			conn->peer_eof = true;
			conn->peer_close_notify = true;
		}
		return n;
	}
	if (n == GNUTLS_E_PREMATURE_TERMINATION) {
		conn->peer_eof = true;
		return 0;
	}
	conn->gnutls_err = (int)n;
	conn->what = "gnutls_record_recv";
	return n == GNUTLS_E_AGAIN ? -ETIMEDOUT : -EPROTO;
}

/**
 * tlsock_record_recv() - read application data
 *
 * Return: bytes read, 0 once the peer closed (close_notify or end of stream), or -errno.
 */
ssize_t tlsock_record_recv(struct tlsock_peer_conn *conn, void *buf, size_t len)
{
	ssize_t n;

	while (conn->rx_off == conn->rx_len) {
		if (conn->peer_eof)
			return 0;
		n = conn->kernel ? kernel_fill(conn) : user_fill(conn);
		if (n < 0)
			return n;
		conn->rx_off = 0;
		conn->rx_len = (size_t)n;
	}
	if (len > conn->rx_len - conn->rx_off)
		len = conn->rx_len - conn->rx_off;
	memcpy(buf, conn->rx_buf + conn->rx_off, len);
	conn->rx_off += len;
	return (ssize_t)len;
}

/* a close_notify alert: through a TLS_SET_RECORD_TYPE control message on the kernel's socket */
int tlsock_record_close_notify(struct tlsock_peer_conn *conn)
{
	unsigned char alert[2] = { ALERT_LEVEL_WARNING, ALERT_CLOSE_NOTIFY };
	unsigned char cbuf[CMSG_SPACE(sizeof(unsigned char))];
	struct iovec iov = { .iov_base = alert, .iov_len = sizeof(alert) };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg;
	ssize_t n;
	int ret;

	if (!conn->kernel) {
		do {
			ret = gnutls_bye(conn->session, GNUTLS_SHUT_WR);
		} while (ret == GNUTLS_E_INTERRUPTED);
		if (ret < 0) {
			conn->gnutls_err = ret;
			return -ECONNRESET;
		}
		return 0;
	}

	memset(cbuf, 0, sizeof(cbuf));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_TLS;
	cmsg->cmsg_type = TLS_SET_RECORD_TYPE;
	cmsg->cmsg_len = CMSG_LEN(sizeof(unsigned char));
	*CMSG_DATA(cmsg) = TLSOCK_REC_ALERT;

	do {
		n = sendmsg(conn->fd, &msg, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == sizeof(alert) ? 0 : -EIO;
}
