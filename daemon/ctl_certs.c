// SPDX-License-Identifier: GPL-2.0
/*
 * tlsockctl certs: every certificate a profile uses (its chain and its own
 * trust anchors), with the days left until it expires.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <gnutls/x509.h>

#include "tlsockctl.h"

/* Print the certificates of @path; returns 1 if one expires within @warn_days. */
static int show_file(const char *what, const char *path, int warn_days)
{
	gnutls_x509_crt_t *crts = NULL;
	unsigned int n = 0, i;
	gnutls_datum_t data;
	int ret, rc = 0;

	ret = gnutls_load_file(path, &data);
	if (ret < 0) {
		printf("  %-5s %s: cannot read: %s\n", what, path, gnutls_strerror(ret));
		return 1;
	}
	ret = gnutls_x509_crt_list_import2(&crts, &n, &data, GNUTLS_X509_FMT_PEM, 0);
	gnutls_free(data.data);
	if (ret < 0) {
		printf("  %-5s %s: %s\n", what, path, gnutls_strerror(ret));
		return 1;
	}
	for (i = 0; i < n; i++) {
		time_t exp = gnutls_x509_crt_get_expiration_time(crts[i]);
		long days = (long)((exp - time(NULL)) / 86400);
		char date[32] = "?";
		gnutls_datum_t dn = {};
		struct tm tm;

		if (gmtime_r(&exp, &tm))
			strftime(date, sizeof(date), "%Y-%m-%d", &tm);
		gnutls_x509_crt_get_dn3(crts[i], &dn, 0);
		printf("  %-5s %s\n        subject %s\n        expires %s (%ld days)%s\n", what,
		       path, dn.data ? (char *)dn.data : "?", date, days,
		       exp < time(NULL) ? "  EXPIRED" :
		       days < warn_days ? "  WARNING: expires soon" : "");
		if (exp < time(NULL) || days < warn_days)
			rc = 1;
		gnutls_free(dn.data);
		gnutls_x509_crt_deinit(crts[i]);
		what = "";
	}
	gnutls_free(crts);
	return rc;
}

int tlsockctl_certs(const struct tlsockd_conf *conf, int warn_days)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < conf->nprofiles; i++) {
		const struct tlsockd_profile_conf *p = &conf->profiles[i];

		printf("%s\n", p->name);
		if (p->cert)
			rc |= show_file("cert", p->cert, warn_days);
		if (p->ca)
			rc |= show_file("ca", p->ca, warn_days);
		if (!p->cert && !p->ca)
			printf("  (no certificate; system trust store)\n");
	}
	return rc;
}
