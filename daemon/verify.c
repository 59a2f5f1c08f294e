// SPDX-License-Identifier: GPL-2.0
/*
 * What a peer is checked against, and the checks GnuTLS does not do by
 * itself inside the handshake.
 *
 * A full handshake verifies the peer inside GnuTLS (gnutls_session_set_
 * verify_cert2): the chain against the profile's trust store and CRL, the
 * key purpose of the role (serverAuth for a server, clientAuth for a
 * client; a certificate without extended key usage serves both), and, for
 * a client, the name.  A resumed session skips all of that: its peer
 * certificate comes back from the ticket or the session cache, checked
 * under whatever credentials and profile issued it.  So a resumed session
 * is checked again here, against the credentials and the profile of this
 * handshake.  So is a client of a server whose client_auth is "optional":
 * GnuTLS's own check fails a client that sends no certificate, which
 * "optional" accepts (unverified).
 *
 * The name a client checks is the request's server_name, else the peer's
 * address (an IPv4 peer of a dual-stack socket as IPv4).  The client's
 * session cache is keyed by exactly that: the server_name, or the address
 * and port (resume.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <gnutls/x509.h>

#include "tlsockd.h"

/**
 * tlsockd_peer_ip() - the peer's address, an IPv4-mapped IPv6 address unwrapped
 * @req: the request
 * @af: set to AF_INET or AF_INET6
 * @addr: set to the address (4 or 16 bytes) inside @req
 * @port: set to the port
 *
 * Return: false if the request has no IP address.
 */
bool tlsockd_peer_ip(const struct tlsockd_request *req, int *af, const void **addr,
		     uint16_t *port)
{
	const struct sockaddr_storage *ss = &req->peer;

	if (ss->ss_family == AF_INET && req->peer_len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const void *)ss;

		*af = AF_INET;
		*addr = &in->sin_addr;
		*port = ntohs(in->sin_port);
		return true;
	}
	if (ss->ss_family == AF_INET6 && req->peer_len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const void *)ss;

		*port = ntohs(in6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			*af = AF_INET;
			*addr = &in6->sin6_addr.s6_addr[12];
		} else {
			*af = AF_INET6;
			*addr = &in6->sin6_addr;
		}
		return true;
	}
	return false;
}

/**
 * tlsockd_check_names() - what a client checks its peer against
 * @req: the request
 * @vname: set to the name the certificate must match ("" if none)
 * @vsize: size of @vname
 * @ckey: set to the session cache key: the server_name, or "ADDR:PORT"
 *	("[ADDR]:PORT" for IPv6) when the address is what is checked
 * @csize: size of @ckey
 */
void tlsockd_check_names(const struct tlsockd_request *req, char *vname, size_t vsize,
			 char *ckey, size_t csize)
{
	char ip[INET6_ADDRSTRLEN];
	const void *addr;
	uint16_t port;
	int af;

	vname[0] = ckey[0] = 0;
	if (req->server_name[0]) {
		snprintf(vname, vsize, "%s", req->server_name);
		snprintf(ckey, csize, "%s", req->server_name);
		return;
	}
	if (!tlsockd_peer_ip(req, &af, &addr, &port) || !inet_ntop(af, addr, ip, sizeof(ip)))
		return;
	snprintf(vname, vsize, "%s", ip);
	snprintf(ckey, csize, af == AF_INET ? "%s:%u" : "[%s]:%u", ip, port);
}

/**
 * tlsockd_verify_init() - what the peer of @server's end is checked for
 * @vd: the typed data; must live as long as the handshake
 * @server: the local end is the server (the peer needs clientAuth)
 * @vname: client: the name to check (see tlsockd_check_names())
 *
 * Return: entries of @vd used.
 */
unsigned int tlsockd_verify_init(gnutls_typed_vdata_st vd[2], bool server, const char *vname)
{
	unsigned int n = 0;

	vd[n].type = GNUTLS_DT_KEY_PURPOSE_OID;
	vd[n].data = (void *)(server ? GNUTLS_KP_TLS_WWW_CLIENT : GNUTLS_KP_TLS_WWW_SERVER);
	vd[n++].size = 0;
	if (!server) {
		vd[n].type = GNUTLS_DT_DNS_HOSTNAME;
		vd[n].data = (void *)vname;
		vd[n++].size = 0;
	}
	return n;
}

/**
 * tlsockd_verify_again() - check the peer of a finished handshake ourselves
 * @s: session (resumed, or a server's with client_auth optional)
 * @p: the profile of this handshake
 * @server: the local end is the server
 * @vd: from tlsockd_verify_init()
 * @nvd: its entries
 * @has_cert: set when the peer has a certificate
 * @why: the reason of a failure
 * @whylen: size of @why
 *
 * What the profile demands: a certificate (a client always needs one from
 * its server when it verifies; a server when client_auth is "require"),
 * and a certificate that verifies under the current credentials, unless
 * the profile says "verify = no" or a server ignores client certificates.
 *
 * Return: 0, -ENOKEY without a required certificate, or the negative errno
 * of the failed verification.
 */
int tlsockd_verify_again(gnutls_session_t s, const struct tlsockd_profile *p, bool server,
			 gnutls_typed_vdata_st *vd, unsigned int nvd, bool *has_cert, char *why,
			 size_t whylen)
{
	const struct tlsockd_profile_conf *pc = p->conf;
	unsigned int ncerts = 0, status = 0;
	gnutls_datum_t txt;
	int ret;

	*has_cert = gnutls_certificate_get_peers(s, &ncerts) && ncerts;
	if (server && pc->client_auth == TLSOCKD_AUTH_NONE)
		return 0;
	if (!*has_cert) {
		if (server ? pc->client_auth == TLSOCKD_AUTH_REQUIRE : pc->verify) {
			snprintf(why, whylen, "the peer has no certificate");
			return -ENOKEY;
		}
		return 0;
	}
	if (!pc->verify)
		return 0;
	ret = gnutls_certificate_verify_peers(s, vd, nvd, &status);
	if (ret < 0) {
		snprintf(why, whylen, "verification: %s", gnutls_strerror(ret));
		return -EKEYREJECTED;
	}
	if (!status)
		return 0;
	if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &txt, 0) == 0) {
		snprintf(why, whylen, "%s", txt.data);
		gnutls_free(txt.data);
	}
	return -tlsockd_verify_errno(status);
}
