// SPDX-License-Identifier: GPL-2.0
/*
 * Identities of recently seen peer certificates.
 *
 * Decoding an X.509 certificate to read its subject and subjectAltNames
 * costs more than a whole resumed TLS 1.2 handshake, and the same few
 * certificates come back again and again (a resumed session carries the
 * certificate of its first handshake).  The identity is a pure function of
 * the certificate's DER bytes, so it is cached keyed by those bytes,
 * compared in full: a hit cannot hand one certificate's identity to
 * another.  Nothing here decides trust; GnuTLS verified the certificate
 * (or the session it resumes) before the identity is read.  Certificates
 * are public, so nothing needs wiping.
 */
#include <stdlib.h>
#include <string.h>

#include "tlsockd.h"

#define CACHE_SLOTS	64
#define CACHE_DER_MAX	16384	/* larger certificates are decoded every time */

struct entry {
	uint64_t used;		/* LRU stamp */
	size_t der_len;
	char *blob;		/* DER, then the subject and the SANs, NUL-terminated */
	const char *subject;
	const char *san[TLSOCKD_MAX_SAN];
	unsigned int nsan;
	bool san_truncated;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry cache[CACHE_SLOTS];	/* cache_lock */
static uint64_t clock_stamp;		/* cache_lock */

static struct entry *lookup_locked(const gnutls_datum_t *der)
{
	int i;

	/* two certificates differ early (serial number): a mismatch costs little */
	for (i = 0; i < CACHE_SLOTS; i++)
		if (cache[i].blob && cache[i].der_len == der->size &&
		    !memcmp(cache[i].blob, der->data, der->size))
			return &cache[i];
	return NULL;
}

/**
 * tlsockd_peer_cache_get() - the cached identity of a certificate
 * @der: the certificate
 * @res: on a hit, subject, san, nsan and san_truncated are filled
 *
 * Return: true on a hit.
 */
bool tlsockd_peer_cache_get(const gnutls_datum_t *der, struct tlsockd_result *res)
{
	struct entry *e;
	unsigned int i;

	pthread_mutex_lock(&cache_lock);
	e = lookup_locked(der);
	if (e) {
		e->used = ++clock_stamp;
		/* the strings came from a struct tlsockd_result: they fit */
		strcpy(res->subject, e->subject);
		for (i = 0; i < e->nsan; i++)
			strcpy(res->san[i], e->san[i]);
		res->nsan = e->nsan;
		res->san_truncated = e->san_truncated;
	}
	pthread_mutex_unlock(&cache_lock);
	return e;
}

/**
 * tlsockd_peer_cache_put() - remember the identity read from a certificate
 * @der: the certificate
 * @res: its subject, san, nsan and san_truncated
 *
 * Best effort: without memory, or for a very large certificate, nothing is
 * cached.
 */
void tlsockd_peer_cache_put(const gnutls_datum_t *der, const struct tlsockd_result *res)
{
	size_t len, sublen = strlen(res->subject) + 1, sanlen[TLSOCKD_MAX_SAN];
	struct entry *e;
	unsigned int i;
	char *blob, *p;

	if (der->size > CACHE_DER_MAX || res->nsan > TLSOCKD_MAX_SAN)
		return;
	len = der->size + sublen;
	for (i = 0; i < res->nsan; i++) {
		sanlen[i] = strlen(res->san[i]) + 1;
		len += sanlen[i];
	}
	blob = malloc(len);
	if (!blob)
		return;

	pthread_mutex_lock(&cache_lock);
	if (lookup_locked(der)) {		/* another worker was first */
		pthread_mutex_unlock(&cache_lock);
		free(blob);
		return;
	}
	e = &cache[0];
	for (i = 0; i < CACHE_SLOTS; i++) {
		if (!cache[i].blob) {
			e = &cache[i];
			break;
		}
		if (cache[i].used < e->used)
			e = &cache[i];
	}
	free(e->blob);
	memset(e, 0, sizeof(*e));
	memcpy(blob, der->data, der->size);
	p = blob + der->size;
	memcpy(p, res->subject, sublen);
	e->subject = p;
	p += sublen;
	for (i = 0; i < res->nsan; i++) {
		memcpy(p, res->san[i], sanlen[i]);
		e->san[i] = p;
		p += sanlen[i];
	}
	e->nsan = res->nsan;
	e->san_truncated = res->san_truncated;
	e->blob = blob;
	e->der_len = der->size;
	e->used = ++clock_stamp;
	pthread_mutex_unlock(&cache_lock);
}

/** tlsockd_peer_cache_flush() - forget every cached identity */
void tlsockd_peer_cache_flush(void)
{
	int i;

	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < CACHE_SLOTS; i++) {
		free(cache[i].blob);
		memset(&cache[i], 0, sizeof(cache[i]));
	}
	pthread_mutex_unlock(&cache_lock);
}
