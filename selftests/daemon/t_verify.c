// SPDX-License-Identifier: GPL-2.0
/*
 * Peer verification: findings 4 and 5 of issue 9 (key purpose, optional
 * client authentication) and the identity an unverified peer gets.
 */
#include <errno.h>

#include "hst.h"
#include "tests.h"

/* Finding 4: a certificate for client authentication only, used by a server. */
static void f4_client_cert_as_server(void)
{
	struct hst_pair p = HST_PAIR("f4a", "cauth-srv", "server.test");

	if (!RUN(&p))
		return;
	CHECK(p.c.status == EKEYREJECTED, "client: %s, verified %d; expected EKEYREJECTED",
	      tlsockd_errname(p.c.status), p.c.verified);
}
HST_DEFINE(f4_client_cert_as_server);

/* Finding 4: a certificate for server authentication only, used by a client. */
static void f4_server_cert_as_client(void)
{
	struct hst_pair p = HST_PAIR("f4b", "srv", "server.test");

	if (!RUN(&p))
		return;
	CHECK(p.s.status == EKEYREJECTED, "server: %s, verified %d; expected EKEYREJECTED",
	      tlsockd_errname(p.s.status), p.s.verified);
}
HST_DEFINE(f4_server_cert_as_client);

/* A certificate without any extended key usage serves either role. */
static void f4_no_eku_accepted(void)
{
	struct hst_pair p = HST_PAIR("f4c", "noeku-srv", "server.test");

	if (RUN(&p) && hst_both_ok(&p, false))
		CHECK(p.c.verified, "client verified the server");
}
HST_DEFINE(f4_no_eku_accepted);

/* Finding 5: client_auth = optional accepts a client without a certificate, unverified. */
static void f5_optional_without_cert(void)
{
	struct hst_pair p = HST_PAIR("f5a", "opt", "server.test");

	if (!RUN(&p) || !hst_both_ok(&p, false))
		return;
	CHECK(!p.s.verified && !p.s.subject[0] && !p.s.nsan,
	      "server: verified %d subject \"%s\" nsan %u; expected nothing", p.s.verified,
	      p.s.subject, p.s.nsan);
	if (RUN(&p) && hst_both_ok(&p, true))
		CHECK(!p.s.verified, "resumed: server reports the client verified");
}
HST_DEFINE(f5_optional_without_cert);

static void f5_optional_with_cert(void)
{
	struct hst_pair p = HST_PAIR("f5b", "opt", "server.test");

	if (!RUN(&p) || !hst_both_ok(&p, false))
		return;
	CHECK(p.s.verified && !strcmp(p.s.subject, "CN=client.test"),
	      "server: verified %d subject \"%s\"", p.s.verified, p.s.subject);
	if (RUN(&p) && hst_both_ok(&p, true))
		CHECK(p.s.verified, "resumed: server does not report the client verified");
}
HST_DEFINE(f5_optional_with_cert);

/* client_auth = optional still verifies a certificate that is sent */
static void f5_optional_revoked_cert(void)
{
	struct hst_pair p = HST_PAIR("f5c", "opt-crl", "server.test");

	if (RUN(&p))
		CHECK(p.s.status == EKEYREVOKED, "server: %s verified %d; expected EKEYREVOKED",
		      tlsockd_errname(p.s.status), p.s.verified);
}
HST_DEFINE(f5_optional_revoked_cert);

/* verify = no: the peer is not verified, so it has no identity to report */
static void f6_verify_no_reports_nothing(void)
{
	struct hst_pair p = HST_PAIR("nover", "open", "server.test");

	if (RUN(&p) && hst_both_ok(&p, false))
		CHECK(!p.c.verified && !p.c.subject[0] && !p.c.nsan,
		      "client: verified %d subject \"%s\" nsan %u; expected nothing",
		      p.c.verified, p.c.subject, p.c.nsan);
}
HST_DEFINE(f6_verify_no_reports_nothing);

/* An IPv4 peer reached through a dual-stack socket is checked as IPv4. */
static void f6_v4mapped_peer(void)
{
	struct hst_pair p = HST_PAIR("mapped", "open", "");

	p.mapped = true;
	if (RUN(&p) && hst_both_ok(&p, false))
		CHECK(p.c.verified, "client did not verify ::ffff:127.0.0.1 as 127.0.0.1");
}
HST_DEFINE(f6_v4mapped_peer);

/*
 * More SANs than a DONE carries, and one too long for TLSOCK_SAN_MAX: the
 * ones reported are whole, and the truncation is flagged.
 */
static void f6_san_truncated(void)
{
	struct hst_pair p = HST_PAIR("manysan", "manysan-srv", "server.test");
	char want[32];
	unsigned int i;

	if (!RUN(&p) || !hst_both_ok(&p, false))
		return;
	CHECK(p.c.nsan == TLSOCKD_MAX_SAN, "%u SANs reported", p.c.nsan);
	for (i = 0; i < p.c.nsan; i++) {
		snprintf(want, sizeof(want), "DNS:n%u.test", i);
		CHECK(!strcmp(p.c.san[i], want), "SAN %u is \"%s\", expected \"%s\"", i,
		      p.c.san[i], want);
	}
	CHECK(p.c.san_truncated, "truncation not flagged");
}
HST_DEFINE(f6_san_truncated);
