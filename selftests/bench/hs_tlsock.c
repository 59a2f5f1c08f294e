// SPDX-License-Identifier: GPL-2.0
/*
 * tlsock managed handshakes: both ends attach the ULP and ask for the handshake with one
 * setsockopt; the running tlsockd performs both (client and server profiles written by
 * `hsbench --print-conf`). Both ends then check TLSOCK_INFO: the case's version and cipher,
 * the peer verified, and whether the session was resumed. The byte goes through the kernel's
 * record layer. Nothing here links a TLS library; GnuTLS is the daemon's.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <linux/tls.h>
#include <linux/tlsock.h>

#include "hsbench.h"

/**
 * hb_profile_name() - the tlsockd.conf profile of one end of @c
 * @buf: output
 * @size: size of @buf
 * @c: the case
 * @server: the server's profile, else the client's
 */
void hb_profile_name(char *buf, size_t size, const struct hb_case *c, bool server)
{
	snprintf(buf, size, "hb-%s-%s%s", server ? "srv" : "cli", c->ver->name,
		 c->resume ? "-tix" : "");
}

static int tl_init(const char *pki, char *why, size_t whylen)
{
	int fd, err = 0;

	(void)pki;
	/* the ULP must be there; whether tlsockd runs shows at the first handshake (ESRCH) */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_TCP, TCP_ULP, "tlsock", sizeof("tlsock")) && errno == ENOENT) {
		err = -ENOENT;
		snprintf(why, whylen, "the tlsock ULP is not registered (tlsock.ko not loaded)");
	}
	close(fd);
	return err;
}

static void tl_exit(void)
{
}

static void *tl_client_new(const struct hb_case *c)
{
	(void)c;
	return malloc(1);	/* the session cache is tlsockd's */
}

static void tl_client_free(void *cl)
{
	free(cl);
}

static int handshake(const struct hb_case *c, int fd, bool server, struct tlsock_info *info,
		     char *why, size_t whylen)
{
	struct tlsock_handshake req = {
		.role = server ? TLSOCK_ROLE_SERVER : TLSOCK_ROLE_CLIENT,
		.timeout_ms = HB_TIMEOUT_MS,
	};
	/* version, cipher and flags: the identity strings that follow are not needed here */
	socklen_t len = offsetof(struct tlsock_info, peer_subject);

	hb_profile_name(req.profile, sizeof(req.profile), c, server);
	if (!server)
		snprintf(req.server_name, sizeof(req.server_name), "%s", HB_SERVER_NAME);
	if (setsockopt(fd, SOL_TCP, TCP_ULP, "tlsock", sizeof("tlsock")) ||
	    setsockopt(fd, SOL_TLSOCK, TLSOCK_HANDSHAKE, &req, sizeof(req))) {
		snprintf(why, whylen, "%s handshake (profile %s): %s", server ? "server" : "client",
			 req.profile, strerror(errno));
		return -errno;
	}
	memset(info, 0, sizeof(*info));
	if (getsockopt(fd, SOL_TLSOCK, TLSOCK_INFO, info, &len))
		return -errno;
	if (len != offsetof(struct tlsock_info, peer_subject))
		return -EPROTO;
	if (info->version != c->ver->version || info->cipher != c->ver->cipher ||
	    !(info->flags & TLSOCK_INFO_F_PEER_VERIFIED)) {
		snprintf(why, whylen, "TLSOCK_INFO: version %#x cipher %u flags %#x, expected "
			 "version %#x cipher %u and the peer verified", info->version, info->cipher,
			 info->flags, c->ver->version, c->ver->cipher);
		return -EPROTO;
	}
	return 0;
}

static int tl_client(void *cl, const struct hb_case *c, int fd, struct hb_conn *out,
		     char *why, size_t whylen)
{
	struct tlsock_info info;
	char byte;
	ssize_t n;
	int err;

	(void)cl;
	err = handshake(c, fd, false, &info, why, whylen);
	if (err)
		return err;
	do {
		n = recv(fd, &byte, 1, 0);
	} while (n < 0 && errno == EINTR);
	if (n != 1) {
		snprintf(why, whylen, "reading the server's byte: %s", n ? strerror(errno) : "EOF");
		return n ? -errno : -EPIPE;
	}
	out->resumed = info.flags & TLSOCK_INFO_F_RESUMED;
	return 0;
}

static int tl_server(const struct hb_case *c, int fd, bool *resumed, void **state, char *why,
		     size_t whylen)
{
	struct tlsock_info info;
	int err;

	(void)state;	/* the kernel sends close_notify when the socket closes */
	err = handshake(c, fd, true, &info, why, whylen);
	if (err)
		return err;
	if (send(fd, "!", 1, MSG_NOSIGNAL) != 1) {
		snprintf(why, whylen, "sending the byte: %s", strerror(errno));
		return -errno;
	}
	*resumed = info.flags & TLSOCK_INFO_F_RESUMED;
	return 0;
}

const struct hb_stack_ops hb_tlsock_ops = {
	.name = "tlsock",
	.init = tl_init,
	.exit = tl_exit,
	.client_new = tl_client_new,
	.client_free = tl_client_free,
	.client = tl_client,
	.server = tl_server,
};
