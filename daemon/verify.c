// SPDX-License-Identifier: GPL-2.0
/*
 * What a peer is checked against.
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

#include "tlsockd.h"

/* The peer's address with an IPv4-mapped IPv6 address unwrapped; false if none. */
static bool peer_ip(const struct tlsockd_request *req, int *af, const void **addr,
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
	if (!peer_ip(req, &af, &addr, &port) || !inet_ntop(af, addr, ip, sizeof(ip)))
		return;
	snprintf(vname, vsize, "%s", ip);
	snprintf(ckey, csize, af == AF_INET ? "%s:%u" : "[%s]:%u", ip, port);
}
