// SPDX-License-Identifier: GPL-2.0
/*
 * The baseline: the same mutual-TLS handshake done in-process with GnuTLS, configured as
 * tlsockd configures its sessions (daemon/handshake.c): the same priority string, credentials
 * loaded once and shared, the client verifying the server's certificate against the server name
 * and the server requiring and verifying a client certificate, tickets off unless the case
 * resumes (GNUTLS_NO_TICKETS), one server ticket key. A resuming client offers the session of
 * its previous connection, as tlsockd's client cache does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hsbench.h"

static gnutls_certificate_credentials_t server_cred, client_cred;
static gnutls_priority_t prio[8];	/* per hb_versions entry */
static gnutls_datum_t ticket_key;

struct client {
	gnutls_datum_t session;		/* last session, to offer next time */
};

static int load(gnutls_certificate_credentials_t *cred, const char *pki, const char *who,
		char *why, size_t whylen)
{
	char ca[512], cert[512], key[512];
	int ret;

	snprintf(ca, sizeof(ca), "%s/ca.pem", pki);
	snprintf(cert, sizeof(cert), "%s/%s.pem", pki, who);
	snprintf(key, sizeof(key), "%s/%s.key", pki, who);
	if (gnutls_certificate_allocate_credentials(cred) < 0)
		return -ENOMEM;
	ret = gnutls_certificate_set_x509_trust_file(*cred, ca, GNUTLS_X509_FMT_PEM);
	if (!ret)
		ret = GNUTLS_E_NO_CERTIFICATE_FOUND;
	if (ret > 0)
		ret = gnutls_certificate_set_x509_key_file2(*cred, cert, key, GNUTLS_X509_FMT_PEM,
							    NULL, 0);
	if (ret < 0) {
		snprintf(why, whylen, "%s credentials from %s: %s", who, pki,
			 gnutls_strerror(ret));
		return -EINVAL;
	}
	return 0;
}

static int gt_init(const char *pki, char *why, size_t whylen)
{
	size_t i;
	int err;

	err = load(&server_cred, pki, "server", why, whylen);
	if (!err)
		err = load(&client_cred, pki, "client", why, whylen);
	if (err)
		return err;
	for (i = 0; i < hb_nversions && i < HB_ARRAY_SIZE(prio); i++) {
		if (gnutls_priority_init2(&prio[i], hb_versions[i].prio, NULL, 0) < 0) {
			snprintf(why, whylen, "priority %s", hb_versions[i].prio);
			return -EINVAL;
		}
	}
	return gnutls_session_ticket_key_generate(&ticket_key) < 0 ? -ENOMEM : 0;
}

static void gt_exit(void)
{
	size_t i;

	for (i = 0; i < HB_ARRAY_SIZE(prio); i++)
		if (prio[i])
			gnutls_priority_deinit(prio[i]);
	if (server_cred)
		gnutls_certificate_free_credentials(server_cred);
	if (client_cred)
		gnutls_certificate_free_credentials(client_cred);
	if (ticket_key.data) {
		gnutls_memset(ticket_key.data, 0, ticket_key.size);
		gnutls_free(ticket_key.data);
	}
}

static void *gt_client_new(const struct hb_case *c)
{
	(void)c;
	return calloc(1, sizeof(struct client));
}

static void forget(gnutls_datum_t *d)
{
	if (d->data) {
		gnutls_memset(d->data, 0, d->size);
		gnutls_free(d->data);
	}
	d->data = NULL;
	d->size = 0;
}

static void gt_client_free(void *p)
{
	struct client *cl = p;

	forget(&cl->session);
	free(cl);
}

static int handshake(gnutls_session_t s, char *why, size_t whylen)
{
	int ret;

	do {
		ret = gnutls_handshake(s);
	} while (ret < 0 && !gnutls_error_is_fatal(ret));
	if (ret < 0) {
		snprintf(why, whylen, "handshake: %s", gnutls_strerror(ret));
		return -EPROTO;
	}
	return 0;
}

/* The negotiated version and cipher must be the case's. */
static int check_suite(gnutls_session_t s, const struct hb_case *c, char *why, size_t whylen)
{
	if (gnutls_protocol_get_version(s) == c->ver->gnutls_version &&
	    gnutls_cipher_get(s) == GNUTLS_CIPHER_AES_128_GCM)
		return 0;
	snprintf(why, whylen, "negotiated %s %s, not the case's",
		 gnutls_protocol_get_name(gnutls_protocol_get_version(s)),
		 gnutls_cipher_get_name(gnutls_cipher_get(s)));
	return -EPROTO;
}

static gnutls_priority_t prio_of(const struct hb_case *c)
{
	return prio[c->ver - hb_versions];
}

static int gt_client(void *p, const struct hb_case *c, int fd, struct hb_conn *out,
		     char *why, size_t whylen)
{
	struct client *cl = p;
	gnutls_session_t s;
	char byte;
	int ret, err;

	if (gnutls_init(&s, GNUTLS_CLIENT | (c->resume ? 0 : GNUTLS_NO_TICKETS)) < 0)
		return -ENOMEM;
	err = -ENOMEM;
	if (gnutls_priority_set(s, prio_of(c)) < 0 ||
	    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, client_cred) < 0 ||
	    gnutls_server_name_set(s, GNUTLS_NAME_DNS, HB_SERVER_NAME, strlen(HB_SERVER_NAME)) < 0)
		goto out;
	gnutls_session_set_verify_cert(s, HB_SERVER_NAME, 0);
	if (c->resume && cl->session.data)
		gnutls_session_set_data(s, cl->session.data, cl->session.size);
	gnutls_transport_set_int(s, fd);
	err = handshake(s, why, whylen);
	if (!err)
		err = check_suite(s, c, why, whylen);
	if (err)
		goto out;
	do {
		ret = gnutls_record_recv(s, &byte, 1);
	} while (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED);
	if (ret != 1) {
		snprintf(why, whylen, "reading the server's byte: %s",
			 ret ? gnutls_strerror(ret) : "EOF");
		err = -EPROTO;
		goto out;
	}
	out->resumed = gnutls_session_is_resumed(s);
	if (c->resume) {
		/* TLS 1.3: the tickets came before the byte, so this session holds one */
		forget(&cl->session);
		gnutls_session_get_data2(s, &cl->session);
	}
	/* close_notify before the close, as a tlsock socket sends it */
	gnutls_bye(s, GNUTLS_SHUT_WR);
out:
	gnutls_deinit(s);
	return err;
}

static int gt_server(const struct hb_case *c, int fd, bool *resumed, void **state, char *why,
		     size_t whylen)
{
	gnutls_session_t s;
	int ret, err;

	if (gnutls_init(&s, GNUTLS_SERVER | (c->resume ? 0 : GNUTLS_NO_TICKETS)) < 0)
		return -ENOMEM;
	err = -ENOMEM;
	if (gnutls_priority_set(s, prio_of(c)) < 0 ||
	    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, server_cred) < 0)
		goto out;
	gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
	gnutls_session_set_verify_cert(s, NULL, 0);
	if (c->resume && gnutls_session_ticket_enable_server(s, &ticket_key) < 0)
		goto out;
	gnutls_transport_set_int(s, fd);
	err = handshake(s, why, whylen);
	if (!err)
		err = check_suite(s, c, why, whylen);
	if (err)
		goto out;
	do {
		ret = gnutls_record_send(s, "!", 1);
	} while (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED);
	if (ret != 1) {
		snprintf(why, whylen, "sending the byte: %s", gnutls_strerror(ret));
		err = -EPROTO;
		goto out;
	}
	*resumed = gnutls_session_is_resumed(s);
	*state = s;	/* gt_server_close() ends it */
	return 0;
out:
	gnutls_deinit(s);
	return err;
}

/* close_notify, as tlsock sends when the socket closes (RFC 8446 6.1), then the session goes */
static void gt_server_close(void *state)
{
	gnutls_session_t s = state;

	gnutls_bye(s, GNUTLS_SHUT_WR);
	gnutls_deinit(s);
}

const struct hb_stack_ops hb_gnutls_ops = {
	.name = "gnutls",
	.init = gt_init,
	.exit = gt_exit,
	.client_new = gt_client_new,
	.client_free = gt_client_free,
	.client = gt_client,
	.server = gt_server,
	.server_close = gt_server_close,
};
