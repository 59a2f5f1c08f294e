// SPDX-License-Identifier: GPL-2.0
/*
 * One handshake: a GnuTLS session on the application's socket, configured
 * from the request's profile, verified, and turned into the crypto state
 * the kernel installs.  The session never sends or reads application data
 * and never sends close_notify: once DONE is sent the kernel owns the
 * connection.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tlsockd.h"

static const gnutls_certificate_request_t auth_request[] = {
	[TLSOCKD_AUTH_NONE] = GNUTLS_CERT_IGNORE,
	[TLSOCKD_AUTH_OPTIONAL] = GNUTLS_CERT_REQUEST,
	[TLSOCKD_AUTH_REQUIRE] = GNUTLS_CERT_REQUIRE,
};

static bool is_ip_literal(const char *name)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1;
}

/**
 * struct check - what this handshake checks its peer against
 * @vname: client: the name the certificate must match
 * @ckey: client: the session cache key (tlsockd_check_names())
 * @vd: typed data of the verification (points into @vname)
 * @nvd: entries of @vd
 * @born: client: when the session resumed from the cache was first made
 */
struct check {
	char vname[TLSOCK_SERVER_NAME_MAX];
	char ckey[TLSOCK_SERVER_NAME_MAX + 8];
	gnutls_typed_vdata_st vd[2];
	unsigned int nvd;
	int64_t born;
};

static int session_setup(gnutls_session_t s, const struct tlsockd_profile *p,
			 const struct tlsockd_request *req, struct check *ck)
{
	const struct tlsockd_profile_conf *pc = p->conf;
	int ret;

	ret = gnutls_priority_set(s, p->prio);
	if (ret >= 0)
		ret = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, p->cred);
	if (ret < 0)
		return -ENOMEM;

	if (req->role == TLSOCK_ROLE_SERVER) {
		gnutls_certificate_server_set_request(s, auth_request[pc->client_auth]);
		/* "optional" accepts a client without a certificate: verify_again() */
		if (pc->client_auth == TLSOCKD_AUTH_REQUIRE && pc->verify)
			gnutls_session_set_verify_cert2(s, ck->vd, ck->nvd, 0);
		if (pc->tickets)
			return tlsockd_profile_tickets(p, s);
		return 0;
	}

	if (req->server_name[0] && !is_ip_literal(req->server_name) &&
	    gnutls_server_name_set(s, GNUTLS_NAME_DNS, req->server_name,
				   strlen(req->server_name)) < 0)
		return -ENOMEM;
	if (pc->verify) {
		if (!ck->vname[0])
			return -EINVAL;	/* nothing to check the certificate against */
		gnutls_session_set_verify_cert2(s, ck->vd, ck->nvd, 0);
	}
	if (pc->tickets)
		ck->born = tlsockd_resume_load(pc->name, ck->ckey, s);
	return 0;
}

/* The alert that tells the peer why a finished handshake is refused. */
static gnutls_alert_description_t refusal_alert(int err)
{
	switch (err) {
	case -ENOKEY:
		return GNUTLS_A_CERTIFICATE_REQUIRED;
	case -EKEYREVOKED:
		return GNUTLS_A_CERTIFICATE_REVOKED;
	case -EKEYEXPIRED:
		return GNUTLS_A_CERTIFICATE_EXPIRED;
	default:
		return GNUTLS_A_BAD_CERTIFICATE;
	}
}

/* Handshake errors GnuTLS did not already signal to the peer. */
static bool needs_alert(int gerr)
{
	switch (gerr) {
	case GNUTLS_E_FATAL_ALERT_RECEIVED:
	case GNUTLS_E_PUSH_ERROR:
	case GNUTLS_E_PULL_ERROR:
	case GNUTLS_E_PREMATURE_TERMINATION:
	case GNUTLS_E_TIMEDOUT:
		return false;
	default:
		return true;
	}
}

/*
 * The alerts GnuTLS would choose badly.  A certificate refused says why,
 * as after the handshake.  A certificate missing says so: certificate_
 * required in TLS 1.3, handshake_failure in TLS 1.2, which has no alert of
 * its own for it (RFC 5246 7.4.6), where GnuTLS sends decode_error.
 */
static bool own_alert(gnutls_session_t s, int gerr, int status, gnutls_alert_description_t *a)
{
	switch (gerr) {
	case GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR:
	case GNUTLS_E_CERTIFICATE_ERROR:
		*a = refusal_alert(-status);
		return true;
	case GNUTLS_E_NO_CERTIFICATE_FOUND:
	case GNUTLS_E_CERTIFICATE_REQUIRED:
		*a = gnutls_protocol_get_version(s) == GNUTLS_TLS1_3 ?
		     GNUTLS_A_CERTIFICATE_REQUIRED : GNUTLS_A_HANDSHAKE_FAILURE;
		return true;
	default:
		return false;
	}
}

/**
 * tlsockd_handshake() - run the handshake of @req
 * @gen: configuration generation (referenced by the caller)
 * @req: the claimed request
 * @res: outcome: status 0 with keys and identity, or a positive errno and
 *	a reason; the caller wipes it
 */
void tlsockd_handshake(const struct tlsockd_gen *gen, const struct tlsockd_request *req,
		       struct tlsockd_result *res)
{
	bool server = req->role == TLSOCK_ROLE_SERVER, has_cert = false;
	const struct tlsockd_profile *p;
	gnutls_alert_description_t alert;
	gnutls_session_t s = NULL;
	struct tlsockd_io io;
	struct check ck = {};
	unsigned int flags;
	int ret, err;

	res->server = server;
	p = tlsockd_gen_profile(gen, req->profile);
	if (!p) {
		res->status = ENOENT;
		snprintf(res->reason, sizeof(res->reason), "no profile \"%s\"", req->profile);
		return;
	}
	if (server && !p->has_cert) {
		res->status = ENOKEY;
		snprintf(res->reason, sizeof(res->reason), "profile %s has no certificate",
			 p->conf->name);
		return;
	}

	/*
	 * A client sends its profile's one certificate whenever the server asks
	 * for one, even when the issuers the server names do not include its
	 * own: the server then says why it refuses it, where GnuTLS would send
	 * none and the server could only say that none came.
	 */
	flags = server ? GNUTLS_SERVER : GNUTLS_CLIENT | GNUTLS_FORCE_CLIENT_CERT;
	if (!p->conf->tickets)
		flags |= GNUTLS_NO_TICKETS;
	if (gnutls_init(&s, flags) < 0) {
		res->status = ENOMEM;
		return;
	}
	if (!server)
		tlsockd_check_names(req, ck.vname, sizeof(ck.vname), ck.ckey, sizeof(ck.ckey));
	ck.nvd = tlsockd_verify_init(ck.vd, server, ck.vname);
	err = session_setup(s, p, req, &ck);
	if (err) {
		res->status = -err;
		snprintf(res->reason, sizeof(res->reason), "session setup: %s", strerror(-err));
		goto out;
	}
	tlsockd_keys_keylog(s, res);
	tlsockd_io_init(&io, req->fd, req->timeout_ms, gen->conf->idle_ms);
	tlsockd_io_attach(&io, s);
	gnutls_handshake_set_timeout(s, req->timeout_ms ? req->timeout_ms : 1);

	do {
		ret = gnutls_handshake(s);
	} while (ret < 0 && !gnutls_error_is_fatal(ret));
	if (ret < 0) {
		res->status = tlsockd_gnutls_errno(s, ret, &io, res->reason, sizeof(res->reason));
		if (own_alert(s, ret, res->status, &alert))
			gnutls_alert_send(s, GNUTLS_AL_FATAL, alert);
		else if (needs_alert(ret))
			gnutls_alert_send_appropriate(s, ret);
		goto out;
	}
	if (gnutls_record_check_pending(s)) {
		/* cannot happen with the record-bounded reads; never lose data */
		res->status = EPROTO;
		snprintf(res->reason, sizeof(res->reason), "data buffered past the handshake");
		goto out;
	}

	res->resumed = gnutls_session_is_resumed(s);
	if (res->resumed || (server && p->conf->client_auth == TLSOCKD_AUTH_OPTIONAL)) {
		err = tlsockd_verify_again(s, p, server, ck.vd, ck.nvd, &has_cert, res->reason,
					   sizeof(res->reason));
		if (err) {
			res->status = -err;
			gnutls_alert_send(s, GNUTLS_AL_FATAL, refusal_alert(err));
			if (!server && res->resumed)
				tlsockd_resume_forget(p->conf->name, ck.ckey);
			goto out;
		}
	} else {
		/* GnuTLS verified the peer inside the handshake where it had to */
		unsigned int n = 0;

		has_cert = gnutls_certificate_get_peers(s, &n) && n;
	}
	err = tlsockd_keys_extract(s, server, res);
	if (err) {
		res->status = -err;
		snprintf(res->reason, sizeof(res->reason), "%s",
			 err == -EPROTONOSUPPORT ? "negotiated cipher not implemented by the kernel" :
						   "cannot extract the keys");
		goto out;
	}
	res->verified = p->conf->verify && has_cert &&
			(!server || p->conf->client_auth != TLSOCKD_AUTH_NONE);
	/* an unverified peer has no identity to report (uapi: "" if not verified) */
	err = res->verified ? tlsockd_peer_identity(s, res) : 0;
	if (err) {
		res->status = -err;
		snprintf(res->reason, sizeof(res->reason), "cannot read the peer certificate");
		goto out;
	}
	if (!ck.born || !res->resumed)
		ck.born = tlsockd_now_ms();
	if (!server && p->conf->tickets && res->version == TLS_1_2_VERSION)
		tlsockd_resume_store(p->conf->name, ck.ckey, s, ck.born);
	/* TLS 1.3: the ticket comes later, through the kernel (resume.c) */
	if (!server && p->conf->tickets && res->version == TLS_1_3_VERSION &&
	    !tlsockd_resume_hold(gen, req->id, p->conf->name, ck.ckey, ck.born, s,
				 &res->ticket_portid))
		s = NULL;
out:
	if (s)
		gnutls_deinit(s);
}
