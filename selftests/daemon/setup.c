// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration most tests share.  Server profiles are named for what
 * they demand; each test has client profiles of its own, because the
 * client session cache is shared by the whole process.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "hst.h"
#include "tests.h"

struct tlsockd_gen *hst_base;

#define TLS12 "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:-CIPHER-ALL:" \
	      "+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-GCM:-MAC-ALL:+AEAD:-GROUP-ALL:" \
	      "+GROUP-EC-ALL"

#define SRV(name, cert, auth, extra) \
	"[profile " name "]\ncert = @/" cert ".pem\nkey = @/" cert ".key\nca = @/ca.pem\n" \
	"client_auth = " auth "\n" extra "\n"
#define CLI(name, extra) "[profile " name "]\nca = @/ca.pem\n" extra "\n"
#define CERT(c) "cert = @/" c ".pem\nkey = @/" c ".key\n"

static const char base_conf[] =
	"[daemon]\nworkers = 2\nlog = stderr\n\n"
	SRV("srv", "server", "require", "")
	SRV("srv12", "server", "require", "priority = " TLS12 "\n")
	SRV("open", "server", "none", "")
	SRV("open12", "server", "none", "priority = " TLS12 "\n")
	SRV("opt", "server", "optional", "")
	SRV("opt-crl", "server", "optional", "crl = @/crl.pem\n")
	SRV("cauth-srv", "cauth", "none", "")
	SRV("noeku-srv", "noeku", "none", "")
	SRV("nl-srv", "nl", "none", "")
	SRV("revs-srv", "revs", "none", "")
	SRV("manysan-srv", "manysan", "none", "")
	CLI("base13", CERT("client"))
	CLI("base12", CERT("client"))
	CLI("res13", CERT("client"))
	CLI("res12", CERT("client"))
	CLI("f1a", "")
	CLI("f1b", "")
	CLI("f2a", "")
	CLI("f2b", "")
	CLI("f4a", "")
	CLI("f4b", CERT("sauth"))
	CLI("f4c", "")
	CLI("f5a", "")
	CLI("f5b", CERT("client"))
	CLI("f5c", CERT("revc"))
	CLI("nover", "verify = no\n")
	CLI("mapped", "")
	CLI("nl", "")
	CLI("manysan", "")
	CLI("dump12", CERT("client"))
	CLI("f11a", "")
	CLI("f11b", "")
	CLI("f11c", CERT("alien"))
	CLI("f11d", CERT("alien"))
	"[profile f11e]\nca = @/ca2.pem\n"
	CLI("f11f", "crl = @/crl.pem\n");

/**
 * hst_setup() - PKI, the shared generation
 *
 * Return: 0 or a negative errno.
 */
int hst_setup(void)
{
	int err;

	err = hst_pki_make();
	if (err) {
		printf("# cannot make the PKI in %s (certtool, openssl)\n", hst_dir);
		return err;
	}
	/* TLS 1.3 client sessions are held for their tickets only with a port */
	tlsockd_resume_set_port(1);
	return hst_gen(base_conf, &hst_base);
}

void hst_teardown(void)
{
	char cmd[128];

	tlsockd_gen_put(hst_base);
	tlsockd_resume_flush();
	tlsockd_peer_cache_flush();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", hst_dir);
	if (system(cmd))
		printf("# cannot remove %s\n", hst_dir);
}
