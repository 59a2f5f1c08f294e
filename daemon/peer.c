// SPDX-License-Identifier: GPL-2.0
/*
 * The peer as the handshake established it: subject and subjectAltNames of
 * its certificate, and its address for the log.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <gnutls/x509.h>

#include "tlsockd.h"

/* One SAN, whole or not at all: a cut name would be another name. */
static void add_san(struct tlsockd_result *res, const char *prefix, const char *val)
{
	int n;

	if (res->nsan == TLSOCKD_MAX_SAN) {
		res->san_truncated = true;
		return;
	}
	n = snprintf(res->san[res->nsan], sizeof(res->san[0]), "%s:%s", prefix, val);
	if (n < 0 || (size_t)n >= sizeof(res->san[0])) {
		res->san_truncated = true;
		return;
	}
	res->nsan++;
}

/*
 * Every SAN that fits, in certificate order; san_truncated says some did
 * not (too long for TLSOCK_SAN_MAX, more than TLSOCKD_MAX_SAN, or more
 * than SAN_SCAN entries).  Other name types (directory names...) are not
 * reported, and do not count as a truncation.
 */
#define SAN_SCAN	64

static void collect_sans(gnutls_x509_crt_t crt, struct tlsockd_result *res)
{
	char buf[TLSOCK_SAN_MAX + 1], ip[INET6_ADDRSTRLEN];
	unsigned int i;
	size_t size;
	int type;

	for (i = 0; i < SAN_SCAN; i++) {
		size = sizeof(buf) - 1;
		type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &size, NULL);

		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return;
		if (type < 0) {
			res->san_truncated = true;	/* too long or undecodable */
			continue;
		}
		buf[size] = 0;
		switch (type) {
		case GNUTLS_SAN_DNSNAME:
			add_san(res, "DNS", buf);
			break;
		case GNUTLS_SAN_RFC822NAME:
			add_san(res, "email", buf);
			break;
		case GNUTLS_SAN_URI:
			add_san(res, "URI", buf);
			break;
		case GNUTLS_SAN_IPADDRESS:
			if (size == 4 || size == 16) {
				inet_ntop(size == 4 ? AF_INET : AF_INET6, buf, ip, sizeof(ip));
				add_san(res, "IP", ip);
			}
			break;
		}
	}
	size = sizeof(buf) - 1;
	if (gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &size, NULL) !=
	    GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		res->san_truncated = true;	/* more than SAN_SCAN */
}

/**
 * tlsockd_peer_identity() - subject and SANs of the peer's certificate
 * @s: session whose handshake completed
 * @res: result; subject, san, nsan and san_truncated are filled
 *
 * Return: 0 (also when the peer sent no certificate) or a negative errno.
 */
int tlsockd_peer_identity(gnutls_session_t s, struct tlsockd_result *res)
{
	const gnutls_datum_t *certs;
	unsigned int ncerts = 0;
	gnutls_x509_crt_t crt;
	gnutls_datum_t dn;
	int ret;

	certs = gnutls_certificate_get_peers(s, &ncerts);
	if (!certs || !ncerts)
		return 0;
	if (tlsockd_peer_cache_get(&certs[0], res))
		return 0;
	if (gnutls_x509_crt_init(&crt) < 0)
		return -ENOMEM;
	ret = gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER);
	if (ret < 0) {
		gnutls_x509_crt_deinit(crt);
		return -EPROTO;
	}
	if (gnutls_x509_crt_get_dn3(crt, &dn, 0) == 0) {
		snprintf(res->subject, sizeof(res->subject), "%s", dn.data);
		gnutls_free(dn.data);
	}
	collect_sans(crt, res);
	gnutls_x509_crt_deinit(crt);
	tlsockd_peer_cache_put(&certs[0], res);
	return 0;
}

/**
 * tlsockd_format_addr() - "192.0.2.1:443" or "[2001:db8::1]:443"
 * @ss: address
 * @len: its length (0: unknown)
 * @buf: output
 * @size: size of @buf
 */
void tlsockd_format_addr(const struct sockaddr_storage *ss, socklen_t len, char *buf,
			 size_t size)
{
	char ip[INET6_ADDRSTRLEN];

	if (len >= sizeof(struct sockaddr_in) && ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;
		const uint8_t *a = (const uint8_t *)&in->sin_addr;
		char *p = buf;
		int i;

		/* by hand: this runs for every logged handshake, printf costs more than it */
		if (size < sizeof("255.255.255.255:65535")) {
			snprintf(buf, size, "?");
			return;
		}
		for (i = 0; i < 4; i++) {
			p = tlsockd_put_dec(p, a[i], 1);
			*p++ = i < 3 ? '.' : ':';
		}
		p = tlsockd_put_dec(p, ntohs(in->sin_port), 1);
		*p = 0;
	} else if (len >= sizeof(struct sockaddr_in6) && ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, size, "[%s]:%u", ip, ntohs(in6->sin6_port));
	} else {
		snprintf(buf, size, "?");
	}
}
