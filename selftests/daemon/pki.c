// SPDX-License-Identifier: GPL-2.0
/*
 * The test PKI, made at run time in a temporary directory, and the
 * configuration files the tests load.
 *
 *   ca          the trust anchor of every profile
 *   server      server.test, IP 127.0.0.1, serverAuth
 *   client      client.test, clientAuth
 *   cauth       like server, but clientAuth only (a client's certificate)
 *   sauth       like client, but serverAuth only (a server's certificate)
 *   noeku       like server, no extended key usage at all
 *   revc        a client certificate, revoked in crl.pem
 *   revs        a server certificate, revoked in crl.pem
 *   nl          IP 127.0.0.1, serverAuth, a newline in its subject (openssl)
 *   manysan     server.test, serverAuth; SANs: a 253-byte DNS name, n0.test to
 *               n19.test, server.test (more than a DONE can carry)
 *   ca2         another trust anchor, which no profile trusts
 *   alien       like client, issued by ca2: a server names another issuer
 *
 * ECDSA P-256 keys: certtool makes the whole set in well under a second.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hst.h"

char hst_dir[64];

static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd))
		return -E2BIG;
	return system(cmd) == 0 ? 0 : -EIO;
}

/**
 * hst_write() - write @text to @name in the test directory
 * @name: file name
 * @text: contents; every "@" becomes the directory's path
 *
 * Return: 0 or a negative errno.
 */
int hst_write(const char *name, const char *text)
{
	char path[256];
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "%s/%s", hst_dir, name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	for (; *text; text++) {
		if (*text == '@')
			fputs(hst_dir, f);
		else
			fputc(*text, f);
	}
	if (fclose(f))
		err = -errno;
	return err;
}

static int key(const char *name)
{
	return sh("cd %s && certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 "
		  "--no-text --outfile %s.key >/dev/null 2>&1 && chmod 600 %s.key",
		  hst_dir, name, name);
}

/* A self-signed trust anchor @name.pem, key @name.key, named @cn. */
static int anchor(const char *name, const char *cn)
{
	char file[32], tmpl[160];
	int err;

	err = key(name);
	if (err)
		return err;
	snprintf(file, sizeof(file), "%s.tmpl", name);
	snprintf(tmpl, sizeof(tmpl), "cn = \"%s\"\nca\ncert_signing_key\ncrl_signing_key\n"
		 "expiration_days = 30\n", cn);
	err = hst_write(file, tmpl);
	if (err)
		return err;
	return sh("cd %s && certtool --generate-self-signed --load-privkey %s.key "
		  "--template %s.tmpl --outfile %s.pem >/dev/null 2>&1", hst_dir, name, name, name);
}

/* @tmpl: template lines, "\n"-separated; issued by the anchor @ca */
static int cert_by(const char *ca, const char *name, const char *tmpl)
{
	char file[32];
	int err;

	err = key(name);
	if (err)
		return err;
	snprintf(file, sizeof(file), "%s.tmpl", name);
	err = hst_write(file, tmpl);
	if (err)
		return err;
	return sh("cd %s && certtool --generate-certificate --load-privkey %s.key "
		  "--load-ca-certificate %s.pem --load-ca-privkey %s.key --template %s.tmpl "
		  "--outfile %s.pem >/dev/null 2>&1", hst_dir, name, ca, ca, name, name);
}

static int cert(const char *name, const char *tmpl)
{
	return cert_by("ca", name, tmpl);
}

#define VALID	"expiration_days = 30\nsigning_key\n"
#define SERVER	"cn = \"server.test\"\ndns_name = \"server.test\"\nip_address = \"127.0.0.1\"\n"
#define CLIENT	"cn = \"client.test\"\nemail = \"client@example.test\"\n"

/* The certificate with more SANs than are reported, one of them too long. */
static int manysan(void)
{
	char tmpl[2048], *p = tmpl, *end = tmpl + sizeof(tmpl);
	int i;

	p += snprintf(p, end - p, "cn = \"server.test\"\ndns_name = \"");
	for (i = 0; i < 3; i++)
		p += snprintf(p, end - p, "%.63s.", HST_LABEL63);
	p += snprintf(p, end - p, "%.61s\"\n", HST_LABEL63);
	for (i = 0; i < 20; i++)
		p += snprintf(p, end - p, "dns_name = \"n%d.test\"\n", i);
	snprintf(p, end - p, "dns_name = \"server.test\"\n" VALID "tls_www_server\n");
	return cert("manysan", tmpl);
}

/**
 * hst_pki_make() - make the temporary directory and the PKI in it
 *
 * Return: 0 or a negative errno.
 */
int hst_pki_make(void)
{
	int err;

	snprintf(hst_dir, sizeof(hst_dir), "/tmp/tlsockd-hst.XXXXXX");
	if (!mkdtemp(hst_dir))
		return -errno;
	err = anchor("ca", "hst CA");
	if (!err)
		err = anchor("ca2", "hst other CA");
	if (!err)
		err = cert_by("ca2", "alien", CLIENT VALID "tls_www_client\n");
	if (!err)
		err = cert("server", SERVER VALID "tls_www_server\n");
	if (!err)
		err = cert("client", CLIENT VALID "tls_www_client\n");
	if (!err)
		err = cert("cauth", SERVER VALID "tls_www_client\n");
	if (!err)
		err = cert("sauth", CLIENT VALID "tls_www_server\n");
	if (!err)
		err = cert("noeku", SERVER VALID);
	if (!err)
		err = cert("revc", CLIENT VALID "tls_www_client\nserial = 4242\n");
	if (!err)
		err = cert("revs", SERVER VALID "tls_www_server\nserial = 4243\n");
	if (!err)
		err = manysan();
	if (!err)
		err = hst_write("crl.tmpl", "expiration_days = 30\n");
	if (!err)
		err = sh("cd %s && cat revc.pem revs.pem >revoked.pem && "
			 "certtool --generate-crl --load-ca-privkey ca.key --load-ca-certificate "
			 "ca.pem --load-certificate revoked.pem --template crl.tmpl "
			 "--outfile crl.pem >/dev/null 2>&1", hst_dir);
	if (!err)
		err = hst_write("nl.ext", "extendedKeyUsage=serverAuth\n"
				"subjectAltName=IP:127.0.0.1\n");
	if (!err)
		err = sh("cd %s && openssl ecparam -name prime256v1 -genkey -noout -out nl.key && "
			 "chmod 600 nl.key && openssl req -new -key nl.key -subj "
			 "\"/CN=evil$(printf '\\nforged'): line\" -out nl.csr && "
			 "openssl x509 -req -in nl.csr -CA ca.pem -CAkey ca.key -set_serial 77 "
			 "-days 30 -extfile nl.ext -out nl.pem >/dev/null 2>&1", hst_dir);
	return err;
}

/**
 * hst_gen() - load a configuration generation from @conf_text
 * @conf_text: tlsockd.conf contents ("@" is the PKI directory)
 * @out: the generation (tlsockd_gen_put() it)
 *
 * Return: 0 or a negative errno (the reason is printed as a TAP comment).
 */
int hst_gen(const char *conf_text, struct tlsockd_gen **out)
{
	struct tlsockd_conf *conf;
	char path[128], why[512] = "";
	int err;

	err = hst_write("tlsockd.conf", conf_text);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/tlsockd.conf", hst_dir);
	err = tlsockd_conf_read(path, &conf, why, sizeof(why));
	if (!err)
		err = tlsockd_gen_load(conf, out, why, sizeof(why));
	if (err)
		printf("# configuration: %s\n", why);
	return err;
}
