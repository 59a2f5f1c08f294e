// SPDX-License-Identifier: GPL-2.0
/*
 * Full handshakes and resumption, and findings 1-3 of issue 9: a resumed
 * session must satisfy everything the profile it resumes into demands,
 * under the credentials loaded now, and only for the peer it was verified
 * for.
 */
#include <errno.h>

#include "hst.h"
#include "tests.h"

static void full(const char *cp, const char *sp)
{
	struct hst_pair p = HST_PAIR(cp, sp, "server.test");

	if (!RUN(&p) || !hst_both_ok(&p, false))
		return;
	CHECK(p.c.verified && p.s.verified, "both ends verified");
	CHECK(!strcmp(p.c.subject, "CN=server.test"), "client sees \"%s\"", p.c.subject);
	CHECK(!strcmp(p.s.subject, "CN=client.test"), "server sees \"%s\"", p.s.subject);
	CHECK(!p.c.san_truncated && !p.s.san_truncated, "SANs reported as truncated");
}

static void full_tls13(void)
{
	full("base13", "srv");
}
HST_DEFINE(full_tls13);

static void full_tls12(void)
{
	full("base12", "srv12");
}
HST_DEFINE(full_tls12);

static void resume(const char *cp, const char *sp)
{
	struct hst_pair p = HST_PAIR(cp, sp, "server.test");

	if (!RUN(&p) || !hst_both_ok(&p, false) || !RUN(&p) || !hst_both_ok(&p, true))
		return;
	CHECK(p.c.verified && p.s.verified, "both ends verified");
	CHECK(!strcmp(p.c.subject, "CN=server.test"), "client sees \"%s\"", p.c.subject);
	CHECK(!strcmp(p.s.subject, "CN=client.test"), "server sees \"%s\"", p.s.subject);
}

static void resume_tls13(void)
{
	resume("res13", "srv");
}
HST_DEFINE(resume_tls13);

static void resume_tls12(void)
{
	resume("res12", "srv12");
}
HST_DEFINE(resume_tls12);

/*
 * Finding 1: a client without a certificate gets a ticket from a profile
 * that does not ask for one, then offers it to a profile that requires one.
 */
static void cross_profile(const char *cp, const char *open, const char *strict)
{
	struct hst_pair p = HST_PAIR(cp, open, "server.test");

	if (!RUN(&p) || !hst_both_ok(&p, false) || !RUN(&p) || !hst_both_ok(&p, true))
		return;		/* the ticket must work where it was issued */
	p.sprofile = strict;
	if (!RUN(&p))
		return;
	CHECK(p.s.status == ENOKEY, "server: %s, resumed %d, verified %d; expected ENOKEY",
	      tlsockd_errname(p.s.status), p.s.resumed, p.s.verified);
	CHECK(!p.s.resumed, "resumed into a profile that requires a client certificate");
}

static void f1_cross_profile_resume_tls13(void)
{
	cross_profile("f1a", "open", "srv");
}
HST_DEFINE(f1_cross_profile_resume_tls13);

static void f1_cross_profile_resume_tls12(void)
{
	cross_profile("f1b", "open12", "srv12");
}
HST_DEFINE(f1_cross_profile_resume_tls12);

/*
 * Finding 2: no server_name, so the client checks the peer's address; a
 * session made with 127.0.0.1 must not resume with 127.0.0.2, whose full
 * handshake fails the check (the certificate names 127.0.0.1 only).
 */
static void other_address(const char *cp, const char *sp)
{
	struct hst_pair p = HST_PAIR(cp, sp, "");

	if (!RUN(&p) || !hst_both_ok(&p, false))
		return;
	CHECK(p.c.verified, "client verified 127.0.0.1");
	p.addr = "127.0.0.2";
	if (!RUN(&p))
		return;
	CHECK(p.c.status == ENXIO, "client: %s, resumed %d, verified %d as \"%s\"; "
	      "expected ENXIO", tlsockd_errname(p.c.status), p.c.resumed, p.c.verified,
	      p.c.subject);
}

static void f2_resume_other_address_tls13(void)
{
	other_address("f2a", "open");
}
HST_DEFINE(f2_resume_other_address_tls13);

static void f2_resume_other_address_tls12(void)
{
	other_address("f2b", "open12");
}
HST_DEFINE(f2_resume_other_address_tls12);

#define F3_CLIENT(extra) "[profile f3c]\nca = @/ca.pem\ncert = @/revc.pem\nkey = @/revc.key\n" \
	"[profile f3k]\nca = @/ca.pem\ncert = @/client.pem\nkey = @/client.key\n" \
	"[profile f3s]\nca = @/ca.pem\n" extra
#define F3_SERVER(extra) "[profile crl]\ncert = @/server.pem\nkey = @/server.key\n" \
	"ca = @/ca.pem\nclient_auth = require\n" extra \
	"[profile revs]\ncert = @/revs.pem\nkey = @/revs.key\nca = @/ca.pem\n"

/*
 * A full handshake and a resumed one under the configuration @before, then
 * one after a reload to @after: of the client's configuration if
 * @client_reloads, else of the server's.  The caller checks @p then.
 */
static void after_reload(struct hst_pair *p, const char *before, const char *after,
			 bool client_reloads, void (*check)(const struct hst_pair *p))
{
	struct tlsockd_gen *g1 = NULL, *g2 = NULL;

	if (hst_gen(before, &g1) || hst_gen(after, &g2)) {
		CHECK(false, "configurations");
		goto out;
	}
	p->cgen = p->sgen = g1;
	if (!RUN(p) || !hst_both_ok(p, false) || !RUN(p) || !hst_both_ok(p, true))
		goto out;
	if (client_reloads)
		p->cgen = g2;
	else
		p->sgen = g2;
	if (RUN(p))
		check(p);
out:
	tlsockd_gen_put(g1);
	tlsockd_gen_put(g2);
}

static void server_revoked_client(const struct hst_pair *p)
{
	CHECK(p->s.status == EKEYREVOKED, "server: %s, resumed %d, verified %d; "
	      "expected EKEYREVOKED", tlsockd_errname(p->s.status), p->s.resumed, p->s.verified);
}

/* Finding 3: the server reloads with a CRL that revokes the client. */
static void f3_server_resume_after_crl_reload(void)
{
	struct hst_pair p = { .cprofile = "f3c", .sprofile = "crl", .server_name = "server.test" };

	after_reload(&p, F3_CLIENT("") F3_SERVER(""), F3_CLIENT("") F3_SERVER("crl = @/crl.pem\n"),
		     false, server_revoked_client);
}
HST_DEFINE(f3_server_resume_after_crl_reload);

static void client_revoked_server(const struct hst_pair *p)
{
	CHECK(p->c.status == EKEYREVOKED, "client: %s, resumed %d, verified %d; "
	      "expected EKEYREVOKED", tlsockd_errname(p->c.status), p->c.resumed, p->c.verified);
}

/* Finding 3: the client reloads with a CRL that revokes the server. */
static void f3_client_resume_after_crl_reload(void)
{
	struct hst_pair p = { .cprofile = "f3s", .sprofile = "revs", .server_name = "server.test" };

	after_reload(&p, F3_CLIENT("") F3_SERVER(""), F3_CLIENT("crl = @/crl.pem\n") F3_SERVER(""),
		     true, client_revoked_server);
}
HST_DEFINE(f3_client_resume_after_crl_reload);

static void full_again(const struct hst_pair *p)
{
	hst_both_ok(p, false);
}

/* Finding 3: a reload starts with new ticket keys. */
static void f3_ticket_key_per_generation(void)
{
	struct hst_pair p = { .cprofile = "f3k", .sprofile = "crl", .server_name = "server.test" };

	after_reload(&p, F3_CLIENT("") F3_SERVER(""), F3_CLIENT("") F3_SERVER(""), false,
		     full_again);
}
HST_DEFINE(f3_ticket_key_per_generation);
