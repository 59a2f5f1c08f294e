// SPDX-License-Identifier: GPL-2.0
/*
 * Finding 11 of issue 9: the errors an application gets are the ones
 * tlsock(7) documents.  A client without the certificate a server requires
 * gets ENOKEY; a client certificate is sent even when the server names
 * other issuers, and the server's refusal says why.
 *
 * In TLS 1.3 the client's handshake completes before the server reads the
 * client's certificate: the client learns of a refusal from the alert that
 * follows, which its kernel reads (the c_alert of the pair).
 */
#include <errno.h>

#include "hst.h"
#include "tests.h"

#define A_BAD_CERTIFICATE	42
#define A_CERTIFICATE_REQUIRED	116

/* TLS 1.2: the server refuses the client's Certificate message before the client's Finished. */
static void f11_no_cert_required_tls12(void)
{
	struct hst_pair p = HST_PAIR("f11a", "srv12", "server.test");

	if (!RUN(&p))
		return;
	CHECK(p.s.status == ENOKEY, "server: %s (%s); expected ENOKEY",
	      tlsockd_errname(p.s.status), p.s.reason);
	CHECK(p.c.status == ENOKEY, "client: %s (%s); expected ENOKEY",
	      tlsockd_errname(p.c.status), p.c.reason);
}
HST_DEFINE(f11_no_cert_required_tls12);

/* TLS 1.3: the client completes, then reads certificate_required. */
static void f11_no_cert_required_tls13(void)
{
	struct hst_pair p = HST_PAIR("f11b", "srv", "server.test");

	if (!RUN(&p))
		return;
	CHECK(p.s.status == ENOKEY, "server: %s (%s); expected ENOKEY",
	      tlsockd_errname(p.s.status), p.s.reason);
	CHECK(!p.c.status, "client: %s (%s); expected its handshake to complete",
	      tlsockd_errname(p.c.status), p.c.reason);
	CHECK(p.c_alert == A_CERTIFICATE_REQUIRED,
	      "client reads alert %d after its handshake; expected certificate_required (%d)",
	      p.c_alert, A_CERTIFICATE_REQUIRED);
}
HST_DEFINE(f11_no_cert_required_tls13);

/* The client's certificate comes from ca2, which the server neither names nor trusts. */
static void f11_issuer_not_named_tls12(void)
{
	struct hst_pair p = HST_PAIR("f11c", "srv12", "server.test");

	if (!RUN(&p))
		return;
	CHECK(p.s.status == EKEYREJECTED, "server: %s (%s); expected EKEYREJECTED (the "
	      "certificate sent, its issuer unknown)", tlsockd_errname(p.s.status), p.s.reason);
	CHECK(p.c.status == EKEYREJECTED, "client: %s (%s); expected EKEYREJECTED",
	      tlsockd_errname(p.c.status), p.c.reason);
}
HST_DEFINE(f11_issuer_not_named_tls12);

static void f11_issuer_not_named_tls13(void)
{
	struct hst_pair p = HST_PAIR("f11d", "srv", "server.test");

	if (!RUN(&p))
		return;
	CHECK(p.s.status == EKEYREJECTED, "server: %s (%s); expected EKEYREJECTED (the "
	      "certificate sent, its issuer unknown)", tlsockd_errname(p.s.status), p.s.reason);
	CHECK(!p.c.status, "client: %s (%s); expected its handshake to complete",
	      tlsockd_errname(p.c.status), p.c.reason);
	CHECK(p.c_alert == A_BAD_CERTIFICATE, "client reads alert %d after its handshake; "
	      "expected bad_certificate (%d)", p.c_alert, A_BAD_CERTIFICATE);
}
HST_DEFINE(f11_issuer_not_named_tls13);
