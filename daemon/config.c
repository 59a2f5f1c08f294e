// SPDX-License-Identifier: GPL-2.0
/*
 * /etc/tlsock/tlsockd.conf: INI, parsed with libinih.
 *
 *   [daemon]            workers, client_workers, max_per_peer, handshake_idle_ms,
 *                       log
 *   [profile NAME]      cert, key, ca, crl, client_auth, min_version, ciphers,
 *                       priority, tickets, verify
 *   [policy]            rule (any number of them: one transparent TLS rule
 *                       each, in tlsockctl's syntax, rule.c)
 *
 * Unknown sections or keys are errors, so a typo never weakens a profile;
 * so is a key given twice in a section (which one meant what?) and a line
 * longer than libinih reads at once (it would read the rest as a line of
 * its own: "ca = ...<spaces>verify = no" would turn verification off).
 * A "default" profile (system trust store, no certificate) exists even when
 * the file does not define one.  tlsockd.conf(5) documents every key.
 */
#include <errno.h>
#include <stdarg.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "tlsockd.h"

/**
 * struct parse - state of one parse
 * @conf: what the file says so far
 * @why: the first error
 * @whylen: size of @why
 * @err: the first error's negative errno, 0 while none
 * @seen: "section\0key" of every key read so far
 * @nseen: entries in @seen
 * @f: the file
 * @line: read_line()'s buffer (getline)
 * @linesize: size of @line
 * @lineno: number of the line read last
 */
struct parse {
	struct tlsockd_conf *conf;
	char *why;
	size_t whylen;
	int err;
	char **seen;
	size_t nseen;
	FILE *f;
	char *line;
	size_t linesize;
	int lineno;
};

/* Set the first error. */
static void parse_error(struct parse *ps, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void parse_error(struct parse *ps, int err, const char *fmt, ...)
{
	va_list ap;

	if (ps->err)
		return;
	ps->err = err;
	va_start(ap, fmt);
	vsnprintf(ps->why, ps->whylen, fmt, ap);
	va_end(ap);
}

/*
 * libinih's line reader (fgets semantics, @num bytes with the NUL).  A
 * longer line is an error; libinih is handed an unclosed section header in
 * its place, so it reports this line's number.
 */
static char *read_line(char *str, int num, void *stream)
{
	struct parse *ps = stream;
	ssize_t n = getline(&ps->line, &ps->linesize, ps->f);

	if (n < 0)
		return NULL;
	ps->lineno++;
	if (n && ps->line[n - 1] == '\n')
		n--;
	if (n > num - 2) {
		parse_error(ps, -E2BIG, "line longer than %d characters", num - 2);
		snprintf(str, num, "[\n");
		return str;
	}
	memcpy(str, ps->line, n);
	str[n] = '\n';
	str[n + 1] = 0;
	return str;
}

/* -EEXIST when @section has @k already, else remember it. */
static int key_once(struct parse *ps, const char *section, const char *k)
{
	size_t slen = strlen(section) + 1, klen = strlen(k) + 1, i;
	char **seen, *e;

	for (i = 0; i < ps->nseen; i++)
		if (!strcmp(ps->seen[i], section) && !strcmp(ps->seen[i] + slen, k))
			return -EEXIST;
	seen = realloc(ps->seen, (ps->nseen + 1) * sizeof(*seen));
	if (!seen)
		return -ENOMEM;
	ps->seen = seen;
	e = malloc(slen + klen);
	if (!e)
		return -ENOMEM;
	memcpy(e, section, slen);
	memcpy(e + slen, k, klen);
	ps->seen[ps->nseen++] = e;
	return 0;
}

static const char *const auth_names[] = {
	[TLSOCKD_AUTH_NONE] = "none",
	[TLSOCKD_AUTH_OPTIONAL] = "optional",
	[TLSOCKD_AUTH_REQUIRE] = "require",
};

const char *tlsockd_auth_name(enum tlsockd_client_auth a)
{
	return auth_names[a];
}

static void profile_defaults(struct tlsockd_profile_conf *p)
{
	p->client_auth = TLSOCKD_AUTH_NONE;
	p->min_version = GNUTLS_TLS1_2;
	p->tickets = true;
	p->verify = true;
}

static struct tlsockd_profile_conf *profile_add(struct tlsockd_conf *conf, const char *name)
{
	struct tlsockd_profile_conf *p;

	p = realloc(conf->profiles, (conf->nprofiles + 1) * sizeof(*p));
	if (!p)
		return NULL;
	conf->profiles = p;
	p = &conf->profiles[conf->nprofiles];
	memset(p, 0, sizeof(*p));
	p->name = strdup(name);
	if (!p->name)
		return NULL;
	profile_defaults(p);
	conf->nprofiles++;
	return p;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1") ||
	    !strcasecmp(v, "on")) {
		*out = true;
		return 0;
	}
	if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0") ||
	    !strcasecmp(v, "off")) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

static int set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
	return *dst ? 0 : -ENOMEM;
}

static int profile_key(struct tlsockd_profile_conf *p, const char *k, const char *v)
{
	size_t i;

	if (!strcmp(k, "cert"))
		return set_str(&p->cert, v);
	if (!strcmp(k, "key"))
		return set_str(&p->key, v);
	if (!strcmp(k, "ca")) {
		if (!strcmp(v, "system")) {
			free(p->ca);
			p->ca = NULL;
			return 0;
		}
		return set_str(&p->ca, v);
	}
	if (!strcmp(k, "crl"))
		return set_str(&p->crl, v);
	if (!strcmp(k, "ciphers"))
		return set_str(&p->ciphers, v);
	if (!strcmp(k, "priority"))
		return set_str(&p->priority, v);
	if (!strcmp(k, "tickets"))
		return parse_bool(v, &p->tickets);
	if (!strcmp(k, "verify"))
		return parse_bool(v, &p->verify);
	if (!strcmp(k, "client_auth")) {
		for (i = 0; i < sizeof(auth_names) / sizeof(auth_names[0]); i++) {
			if (!strcmp(v, auth_names[i])) {
				p->client_auth = i;
				return 0;
			}
		}
		return -EINVAL;
	}
	if (!strcmp(k, "min_version")) {
		if (!strcmp(v, "1.2"))
			p->min_version = GNUTLS_TLS1_2;
		else if (!strcmp(v, "1.3"))
			p->min_version = GNUTLS_TLS1_3;
		else
			return -EINVAL;
		return 0;
	}
	return -ENOENT;
}

/* A whole number from @min to @max. */
static int parse_uint(const char *v, unsigned long min, unsigned long max, unsigned int *out)
{
	char *end;
	unsigned long n;

	if (*v < '0' || *v > '9')
		return -EINVAL;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || n < min || n > max)
		return -EINVAL;
	*out = n;
	return 0;
}

static int daemon_key(struct tlsockd_conf *conf, const char *k, const char *v)
{
	unsigned int n;
	int err;

	if (!strcmp(k, "workers"))
		return parse_uint(v, 1, TLSOCKD_MAX_WORKERS, &conf->workers);
	if (!strcmp(k, "client_workers")) {
		err = parse_uint(v, 0, TLSOCKD_MAX_WORKERS - 1, &n);
		if (!err)
			conf->client_workers = n;
		return err;
	}
	if (!strcmp(k, "max_per_peer"))
		return parse_uint(v, 0, TLSOCKD_MAX_WORKERS, &conf->max_per_peer);
	if (!strcmp(k, "handshake_idle_ms")) {
		err = parse_uint(v, 0, TLSOCK_TIMEOUT_MAX_MS, &conf->idle_ms);
		if (!err && conf->idle_ms && conf->idle_ms < TLSOCKD_IDLE_MIN_MS)
			err = -EINVAL;
		return err;
	}
	if (!strcmp(k, "log")) {
		if (!strcmp(v, "syslog"))
			conf->log_syslog = 1;
		else if (!strcmp(v, "stderr"))
			conf->log_syslog = 0;
		else
			return -EINVAL;
		return 0;
	}
	return -ENOENT;
}

/* A "rule =" of [policy]: parsed now, so a bad one stops the file at its line. */
static int policy_key(struct parse *ps, const char *k, const char *v)
{
	struct tlsockd_conf *conf = ps->conf;
	struct tlsockd_conf_rule *r;
	char why[256];
	int err;

	if (strcmp(k, "rule"))
		return -ENOENT;
	r = realloc(conf->rules, (conf->nrules + 1) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	conf->rules = r;
	r = &conf->rules[conf->nrules];
	memset(r, 0, sizeof(*r));
	err = tlsockd_rule_parse_line(v, &r->rule, why, sizeof(why));
	if (err) {
		parse_error(ps, err == -ENOMEM ? err : -EINVAL, "rule \"%s\": %s", v, why);
		return err;
	}
	r->rule.origin = TLSOCK_ORIGIN_DAEMON;
	r->line = ps->lineno;
	r->text = strdup(v);
	if (!r->text)
		return -ENOMEM;
	conf->nrules++;
	return 0;
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= TLSOCK_PROFILE_MAX)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static int on_entry(void *user, const char *section, const char *k, const char *v)
{
	struct parse *ps = user;
	struct tlsockd_conf *conf = ps->conf;
	int err = -ENOENT;

	if (ps->err)
		return 0;	/* report the first error only */
	if (!strcmp(section, "policy")) {
		/* one "rule" line per rule: the one key that may repeat */
		err = policy_key(ps, k, v);
		if (err == -ENOENT)
			parse_error(ps, -EINVAL, "unknown key \"%s\" in [policy] (rule = ...)", k);
		else if (err)
			parse_error(ps, err, "out of memory");
		return !err;
	}
	err = key_once(ps, section, k);
	if (err) {
		if (err == -EEXIST)
			parse_error(ps, -EINVAL, "\"%s\" given again in [%s] (or continued on an "
				    "indented line)", k, section);
		else
			parse_error(ps, err, "out of memory");
		return 0;
	}
	if (!strcmp(section, "daemon")) {
		err = daemon_key(conf, k, v);
	} else if (!strncmp(section, "profile ", 8)) {
		const char *name = section + 8;
		struct tlsockd_profile_conf *p;

		if (!name_ok(name)) {
			snprintf(ps->why, ps->whylen, "bad profile name \"%s\"", name);
			ps->err = -EINVAL;
			return 0;
		}
		p = (struct tlsockd_profile_conf *)tlsockd_conf_profile(conf, name);
		if (!p)
			p = profile_add(conf, name);
		err = p ? profile_key(p, k, v) : -ENOMEM;
	} else {
		snprintf(ps->why, ps->whylen, "unknown section [%s]", section);
		ps->err = -EINVAL;
		return 0;
	}
	if (err == -ENOENT)
		snprintf(ps->why, ps->whylen, "unknown key \"%s\" in [%s]", k, section);
	else if (err)
		snprintf(ps->why, ps->whylen, "bad value \"%s\" for %s in [%s]", v, k, section);
	if (err) {
		ps->err = err == -ENOENT ? -EINVAL : err;
		return 0;
	}
	return 1;
}

/* Every problem a profile can have that does not need its files loaded. */
static int conf_check(struct tlsockd_conf *conf, char *why, size_t whylen)
{
	size_t i;

	if (conf->client_workers >= 0 && (unsigned int)conf->client_workers >= conf->workers) {
		snprintf(why, whylen, "[daemon]: client_workers (%d) must leave server handshakes "
			 "a worker: fewer than workers (%u)", conf->client_workers, conf->workers);
		return -EINVAL;
	}
	for (i = 0; i < conf->nprofiles; i++) {
		struct tlsockd_profile_conf *p = &conf->profiles[i];

		if (!p->cert != !p->key) {
			snprintf(why, whylen, "[profile %s]: cert and key go together", p->name);
			return -EINVAL;
		}
	}
	for (i = 0; i < conf->nrules; i++) {
		const struct tlsockd_conf_rule *r = &conf->rules[i];

		if (!tlsockd_conf_profile(conf, r->rule.profile)) {
			snprintf(why, whylen, "%s:%d: rule \"%s\": no [profile %s] in the file",
				 conf->path, r->line, r->text, r->rule.profile);
			return -EINVAL;
		}
	}
	return 0;
}

/**
 * tlsockd_conf_read() - parse the configuration file
 * @path: file
 * @out: the configuration (free with tlsockd_conf_free())
 * @why: human-readable reason on failure
 * @whylen: size of @why
 *
 * Return: 0 or a negative errno.
 */
int tlsockd_conf_read(const char *path, struct tlsockd_conf **out, char *why, size_t whylen)
{
	struct tlsockd_conf *conf;
	struct parse ps = { .why = why, .whylen = whylen };
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int err, line;
	size_t i;

	conf = calloc(1, sizeof(*conf));
	if (!conf)
		return -ENOMEM;
	conf->path = strdup(path);
	conf->log_syslog = -1;
	conf->workers = ncpu > 0 ? (ncpu * 8 > 64 ? 64 : ncpu * 8) : 8;
	conf->client_workers = -1;
	conf->max_per_peer = TLSOCKD_MAX_PER_PEER;
	conf->idle_ms = TLSOCKD_IDLE_MS;
	ps.conf = conf;
	err = -ENOMEM;
	if (!conf->path)
		goto out;

	ps.f = fopen(path, "re");
	if (!ps.f) {
		err = -errno;
		snprintf(why, whylen, "%s: cannot read: %s", path, strerror(-err));
		goto out;
	}
	line = ini_parse_stream(read_line, &ps, on_entry, &ps);
	if (line == 0 && ferror(ps.f)) {
		err = -EIO;
		snprintf(why, whylen, "%s: cannot read: %s", path, strerror(-err));
		goto out;
	}
	if (line < 0) {
		err = -ENOMEM;
		snprintf(why, whylen, "%s: out of memory", path);
		goto out;
	}
	if (line > 0) {
		char msg[256];

		err = ps.err ?: -EINVAL;
		if (!ps.err)
			snprintf(ps.why, ps.whylen, "syntax error");
		snprintf(msg, sizeof(msg), "%s:%d: %s", path, line, why);
		snprintf(why, whylen, "%s", msg);
		goto out;
	}
	if (!tlsockd_conf_profile(conf, "default") && !profile_add(conf, "default"))
		goto out;
	err = conf_check(conf, why, whylen);
	if (err)
		goto out;
	err = 0;
	*out = conf;
	conf = NULL;
out:
	tlsockd_conf_free(conf);
	for (i = 0; i < ps.nseen; i++)
		free(ps.seen[i]);
	free(ps.seen);
	free(ps.line);
	if (ps.f)
		fclose(ps.f);
	return err;
}

void tlsockd_conf_free(struct tlsockd_conf *conf)
{
	size_t i;

	if (!conf)
		return;
	for (i = 0; i < conf->nprofiles; i++) {
		struct tlsockd_profile_conf *p = &conf->profiles[i];

		free(p->name);
		free(p->cert);
		free(p->key);
		free(p->ca);
		free(p->crl);
		free(p->ciphers);
		free(p->priority);
	}
	free(conf->profiles);
	for (i = 0; i < conf->nrules; i++)
		free(conf->rules[i].text);
	free(conf->rules);
	free(conf->path);
	free(conf);
}

/**
 * tlsockd_conf_profile() - find a profile by name
 * @conf: configuration
 * @name: profile name; "" means "default"
 *
 * Return: the profile or NULL.
 */
const struct tlsockd_profile_conf *tlsockd_conf_profile(const struct tlsockd_conf *conf,
							const char *name)
{
	size_t i;

	if (!*name)
		name = "default";
	for (i = 0; i < conf->nprofiles; i++)
		if (!strcmp(conf->profiles[i].name, name))
			return &conf->profiles[i];
	return NULL;
}
