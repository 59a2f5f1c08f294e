// SPDX-License-Identifier: GPL-2.0
/*
 * Loaded configuration generations.  Everything costly (certificate chains,
 * private keys, trust stores, CRLs, priority strings) is loaded once per
 * generation and shared read-only by every handshake; GnuTLS credentials
 * and priority caches are safe to share between threads once set up.
 *
 * A reload builds a complete new generation next to the current one and
 * only then publishes it; handshakes in flight keep the generation they
 * started with (a reference), so a reload never disturbs them and a broken
 * file never replaces a working one.
 *
 * Session tickets: each profile of each generation has a master key of its
 * own, so a ticket resumes only into the profile that issued it, and a
 * reload (a new trust store, CRL or client_auth) starts afresh.  A key is
 * replaced once it is TLSOCKD_RESUME_LIFETIME old: every ticket made with
 * it dies then, so no chain of resumptions outlives that, whatever the
 * tickets themselves say.  (GnuTLS derives the keys it encrypts with from
 * the master key and rotates those within its life.)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tlsockd.h"

static pthread_mutex_t gen_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tlsockd_gen *gen_cur;	/* gen_lock */

#define STEK_SIZE	64	/* what gnutls_session_ticket_key_generate() makes */

/**
 * struct tlsockd_stek - a profile's session ticket master key
 * @lock: protects @bytes and @born (handshakes of the generation share them)
 * @key: points to @bytes
 * @bytes: the key, in memory left out of core dumps (secret.c)
 * @born: tlsockd_now_ms() when @bytes was made
 */
struct tlsockd_stek {
	pthread_mutex_t lock;
	gnutls_datum_t key;
	uint8_t bytes[STEK_SIZE];
	int64_t born;
};

/* A new key in @st->bytes.  Caller holds @st->lock, or owns @st alone. */
static int stek_make(struct tlsockd_stek *st)
{
	gnutls_datum_t fresh = {};
	int err = 0;

	if (gnutls_session_ticket_key_generate(&fresh) < 0)
		return -ENOMEM;
	if (fresh.size == sizeof(st->bytes)) {
		memcpy(st->bytes, fresh.data, fresh.size);
		st->key.data = st->bytes;
		st->key.size = fresh.size;
		st->born = tlsockd_now_ms();
	} else {
		err = -EPROTO;
	}
	gnutls_memset(fresh.data, 0, fresh.size);
	gnutls_free(fresh.data);
	return err;
}

static void stek_free(struct tlsockd_stek *st)
{
	if (!st)
		return;
	pthread_mutex_destroy(&st->lock);
	tlsockd_secret_free(st, sizeof(*st));
}

static int stek_new(struct tlsockd_stek **out)
{
	struct tlsockd_stek *st = tlsockd_secret_alloc(sizeof(*st));
	int err;

	if (!st)
		return -ENOMEM;
	pthread_mutex_init(&st->lock, NULL);
	err = stek_make(st);
	if (err) {
		stek_free(st);
		return err;
	}
	*out = st;
	return 0;
}

/**
 * tlsockd_profile_tickets() - a server session issues and takes @p's tickets
 * @p: the server's profile
 * @s: server session
 *
 * Return: 0 or -ENOMEM.
 */
int tlsockd_profile_tickets(const struct tlsockd_profile *p, gnutls_session_t s)
{
	struct tlsockd_stek *st = p->stek;
	int err = 0;

	pthread_mutex_lock(&st->lock);
	if (tlsockd_now_ms() - st->born >= TLSOCKD_RESUME_LIFETIME * 1000LL) {
		err = stek_make(st);	/* overwrites the old key */
		if (err)
			goto out;
	}
	/* GnuTLS copies the key into the session */
	if (gnutls_session_ticket_enable_server(s, &st->key) < 0)
		err = -ENOMEM;
	else
		gnutls_db_set_cache_expiration(s, TLSOCKD_RESUME_LIFETIME);
out:
	pthread_mutex_unlock(&st->lock);
	return err;
}

static const struct {
	const char *name;
	const char *gnutls;
} cipher_names[] = {
	{ "aes-256-gcm", "+AES-256-GCM" },
	{ "chacha20-poly1305", "+CHACHA20-POLY1305" },
	{ "aes-128-gcm", "+AES-128-GCM" },
	{ "aes-128-ccm", "+AES-128-CCM" },
};

#define N_CIPHERS (sizeof(cipher_names) / sizeof(cipher_names[0]))

/* "+AES-256-GCM:+CHACHA20-POLY1305..." from the profile's cipher list */
static int cipher_tokens(const char *list, char *out, size_t size, char *why, size_t whylen)
{
	char buf[256], *tok, *save;
	size_t i, used = 0;

	out[0] = 0;
	if (!list) {
		for (i = 0; i < N_CIPHERS; i++)
			used += snprintf(out + used, size - used, ":%s", cipher_names[i].gnutls);
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
		for (i = 0; i < N_CIPHERS; i++)
			if (!strcmp(tok, cipher_names[i].name))
				break;
		if (i == N_CIPHERS) {
			snprintf(why, whylen, "unknown cipher \"%s\"", tok);
			return -EINVAL;
		}
		used += snprintf(out + used, size - used, ":%s", cipher_names[i].gnutls);
		if (used >= size)
			return -E2BIG;
	}
	if (!used) {
		snprintf(why, whylen, "empty cipher list");
		return -EINVAL;
	}
	return 0;
}

static int load_priority(const struct tlsockd_profile_conf *pc, gnutls_priority_t *prio,
			 char *why, size_t whylen)
{
	char str[512], ciphers[160];
	const char *errpos = NULL;
	int ret;

	if (pc->priority) {
		snprintf(str, sizeof(str), "%s", pc->priority);
	} else {
		ret = cipher_tokens(pc->ciphers, ciphers, sizeof(ciphers), why, whylen);
		if (ret)
			return ret;
		/* ECDHE key exchange and AEAD ciphers the kernel implements, only */
		snprintf(str, sizeof(str),
			 "NORMAL:-VERS-ALL:+VERS-TLS1.3%s:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:"
			 "-CIPHER-ALL%s:-MAC-ALL:+AEAD:-GROUP-ALL:+GROUP-EC-ALL",
			 pc->min_version == GNUTLS_TLS1_2 ? ":+VERS-TLS1.2" : "", ciphers);
	}
	ret = gnutls_priority_init2(prio, str, &errpos, 0);
	if (ret < 0) {
		snprintf(why, whylen, "priority \"%s\": %s at \"%s\"", str, gnutls_strerror(ret),
			 errpos ? errpos : "?");
		return -EINVAL;
	}
	return 0;
}

/*
 * A private key must not be open to everyone, nor writable by its group:
 * refuse it.  Group read stays allowed (Debian's root:ssl-cert 0640 keys).
 */
static int key_private(const char *key, char *why, size_t whylen)
{
	struct stat st;
	int err;

	if (stat(key, &st)) {
		err = -errno;
		snprintf(why, whylen, "key %s: %s", key, strerror(-err));
		return err;
	}
	if (st.st_mode & (S_IWGRP | S_IROTH | S_IWOTH)) {
		snprintf(why, whylen, "key %s is open to others or writable by its group "
			 "(mode %04o): chmod o=,g-w it", key, (unsigned int)(st.st_mode & 07777));
		return -EACCES;
	}
	return 0;
}

static int load_cred(const struct tlsockd_profile_conf *pc, struct tlsockd_profile *p,
		     char *why, size_t whylen)
{
	int ret;

	ret = gnutls_certificate_allocate_credentials(&p->cred);
	if (ret < 0)
		return -ENOMEM;
	if (pc->ca) {
		ret = gnutls_certificate_set_x509_trust_file(p->cred, pc->ca, GNUTLS_X509_FMT_PEM);
		if (ret <= 0) {
			snprintf(why, whylen, "ca %s: %s", pc->ca,
				 ret ? gnutls_strerror(ret) : "no certificate in file");
			return -EINVAL;
		}
	} else {
		ret = gnutls_certificate_set_x509_system_trust(p->cred);
		if (ret < 0) {
			snprintf(why, whylen, "system trust store: %s", gnutls_strerror(ret));
			return -EINVAL;
		}
	}
	if (pc->crl) {
		ret = gnutls_certificate_set_x509_crl_file(p->cred, pc->crl, GNUTLS_X509_FMT_PEM);
		if (ret < 0) {
			snprintf(why, whylen, "crl %s: %s", pc->crl, gnutls_strerror(ret));
			return -EINVAL;
		}
	}
	if (pc->cert) {
		ret = key_private(pc->key, why, whylen);
		if (ret)
			return ret;
		ret = gnutls_certificate_set_x509_key_file2(p->cred, pc->cert, pc->key,
							    GNUTLS_X509_FMT_PEM, NULL, 0);
		if (ret < 0) {
			snprintf(why, whylen, "cert %s / key %s: %s", pc->cert, pc->key,
				 gnutls_strerror(ret));
			return -EINVAL;
		}
		p->has_cert = true;
	}
	return 0;
}

static void gen_free(struct tlsockd_gen *gen)
{
	size_t i;

	if (!gen)
		return;
	for (i = 0; gen->profiles && i < gen->conf->nprofiles; i++) {
		if (gen->profiles[i].cred)
			gnutls_certificate_free_credentials(gen->profiles[i].cred);
		if (gen->profiles[i].prio)
			gnutls_priority_deinit(gen->profiles[i].prio);
		stek_free(gen->profiles[i].stek);
	}
	free(gen->profiles);
	tlsockd_conf_free(gen->conf);
	free(gen);
}

/**
 * tlsockd_gen_load() - load every profile of @conf
 * @conf: parsed configuration; owned by the generation from now on (also on
 *	failure, when it is freed)
 * @out: the new generation, one reference
 * @why: what failed
 * @whylen: size of @why
 *
 * Return: 0 or a negative errno.
 */
int tlsockd_gen_load(struct tlsockd_conf *conf, struct tlsockd_gen **out, char *why,
		     size_t whylen)
{
	struct tlsockd_gen *gen;
	char sub[256];
	size_t i;
	int err = -ENOMEM;

	gen = calloc(1, sizeof(*gen));
	if (!gen) {
		tlsockd_conf_free(conf);
		return -ENOMEM;
	}
	gen->refs = 1;
	gen->conf = conf;
	gen->profiles = calloc(conf->nprofiles, sizeof(*gen->profiles));
	if (!gen->profiles)
		goto err;

	for (i = 0; i < conf->nprofiles; i++) {
		const struct tlsockd_profile_conf *pc = &conf->profiles[i];
		struct tlsockd_profile *p = &gen->profiles[i];

		p->conf = pc;
		sub[0] = 0;
		err = load_priority(pc, &p->prio, sub, sizeof(sub));
		if (!err)
			err = load_cred(pc, p, sub, sizeof(sub));
		if (!err && pc->tickets && p->has_cert) {
			err = stek_new(&p->stek);
			if (err)
				snprintf(sub, sizeof(sub), "session ticket key: %s", strerror(-err));
		}
		if (err) {
			snprintf(why, whylen, "[profile %s] %s", pc->name, sub);
			goto err;
		}
	}
	*out = gen;
	return 0;

err:
	gen_free(gen);
	return err;
}

/**
 * tlsockd_gen_get() - reference the current generation
 *
 * Return: the generation (never NULL once one was published).
 */
struct tlsockd_gen *tlsockd_gen_get(void)
{
	struct tlsockd_gen *gen;

	pthread_mutex_lock(&gen_lock);
	gen = gen_cur;
	if (gen)
		gen->refs++;
	pthread_mutex_unlock(&gen_lock);
	return gen;
}

/**
 * tlsockd_gen_ref() - another reference on a generation the caller references
 * @gen: generation
 *
 * Return: @gen.  (Only the reference count changes: @gen stays read-only.)
 */
struct tlsockd_gen *tlsockd_gen_ref(const struct tlsockd_gen *gen)
{
	struct tlsockd_gen *g = (struct tlsockd_gen *)gen;

	pthread_mutex_lock(&gen_lock);
	g->refs++;
	pthread_mutex_unlock(&gen_lock);
	return g;
}

void tlsockd_gen_put(struct tlsockd_gen *gen)
{
	bool last;

	if (!gen)
		return;
	pthread_mutex_lock(&gen_lock);
	last = --gen->refs == 0;
	pthread_mutex_unlock(&gen_lock);
	if (last)
		gen_free(gen);
}

/**
 * tlsockd_gen_publish() - make @gen current (takes over its reference)
 * @gen: new generation, or NULL at exit
 */
void tlsockd_gen_publish(struct tlsockd_gen *gen)
{
	struct tlsockd_gen *old;

	pthread_mutex_lock(&gen_lock);
	old = gen_cur;
	gen_cur = gen;
	pthread_mutex_unlock(&gen_lock);
	tlsockd_gen_put(old);
}

const struct tlsockd_profile *tlsockd_gen_profile(const struct tlsockd_gen *gen, const char *name)
{
	const struct tlsockd_profile_conf *pc = tlsockd_conf_profile(gen->conf, name);

	return pc ? &gen->profiles[pc - gen->conf->profiles] : NULL;
}
