// SPDX-License-Identifier: GPL-2.0
/*
 * tlsockctl policy: the transparent TLS rules of this network namespace.
 *
 *   tlsockctl policy add client DEST:PORT [profile P] [server-name N] [cgroup PATH]
 *   tlsockctl policy add server LOCAL:PORT [profile P] [cgroup PATH]
 *   tlsockctl policy del ID | all
 *   tlsockctl policy flush [admin | daemon]
 *   tlsockctl policy list
 *   tlsockctl policy sessions       (also: tlsockctl sessions)
 *
 * Rules act only while the cgroup BPF hooks are attached (tlsockctl hooks
 * attach, tlsock-hooks.service): "add" warns on stderr when they are not,
 * or when it cannot tell, and still adds the rule (a script may attach the
 * hooks next).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsockd.h"
#include "tlsockctl.h"

#define USAGE "usage: tlsockctl policy add RULE | del ID|all | flush [admin|daemon] | list | " \
	      "sessions\n"

static int open_nl(struct tlsockd_nl **nl)
{
	int err = tlsockd_nl_open(nl, false);

	if (err)
		fprintf(stderr, "tlsockctl: policy: %s\n",
			err == -ENOENT ? "tlsock.ko is not loaded" : strerror(-err));
	return err;
}

static int policy_add(struct tlsockd_nl *nl, int argc, char **argv)
{
	struct tlsockd_rule rule;
	char why[384];
	uint32_t id = 0;
	int err, state;

	err = tlsockd_rule_parse(argc, argv, &rule, why, sizeof(why));
	if (err) {
		fprintf(stderr, "tlsockctl: policy add: %s\n", why);
		return err == -EOPNOTSUPP ? 1 : 2;
	}
	err = tlsockd_nl_policy_add(nl, &rule, &id, why, sizeof(why));
	if (err) {
		fprintf(stderr, "tlsockctl: policy add: %s%s%s\n", strerror(-err),
			why[0] ? ": " : "", why);
		return 1;
	}
	printf("%" PRIu32 "\n", id);
	state = tlsock_hooks_attached();
	if (state != 1) {
		fflush(stdout);
		tlsock_hooks_explain(state, why, sizeof(why));
		fprintf(stderr, "tlsockctl: warning: rule %" PRIu32 " acts only through the cgroup "
			"hooks, and %s: new connections and listeners stay plain TCP until "
			"tlsockctl hooks attach (or tlsock-hooks.service) attaches them\n", id, why);
	}
	return 0;
}

static int policy_del(struct tlsockd_nl *nl, int argc, char **argv)
{
	bool flush;
	char *e;
	unsigned long id = 0;
	int err;

	if (argc != 1)
		return 2;
	flush = !strcmp(argv[0], "all");
	if (!flush) {
		id = strtoul(argv[0], &e, 10);
		if (!argv[0][0] || *e || !id || id > UINT32_MAX)
			return 2;
	}
	err = tlsockd_nl_policy_del(nl, id, flush, 0);
	if (err) {
		fprintf(stderr, "tlsockctl: policy del %s: %s\n", argv[0],
			err == -ENOENT ? "no such rule" : strerror(-err));
		return 1;
	}
	return 0;
}

/* "flush": every rule, or every rule of one origin */
static int policy_flush(struct tlsockd_nl *nl, int argc, char **argv)
{
	uint32_t origin = 0;
	int err;

	if (argc > 1)
		return 2;
	if (argc == 1 && !strcmp(argv[0], "admin"))
		origin = TLSOCK_ORIGIN_ADMIN;
	else if (argc == 1 && !strcmp(argv[0], "daemon"))
		origin = TLSOCK_ORIGIN_DAEMON;
	else if (argc == 1)
		return 2;
	err = tlsockd_nl_policy_del(nl, 0, true, origin);
	if (err) {
		fprintf(stderr, "tlsockctl: policy flush: %s\n", strerror(-err));
		return 1;
	}
	return 0;
}

/* The live sessions' bytes per rule (the kernel's rule counts ended sessions only). */
struct live_bytes {
	size_t n, cap;
	struct {
		uint32_t rule_id;
		uint64_t in, out;
	} *v;
	bool oom;
	unsigned int nrules;	/* rules printed */
};

static void add_live(const struct tlsockd_session *s, void *arg)
{
	struct live_bytes *lb = arg;
	size_t i;

	for (i = 0; i < lb->n && lb->v[i].rule_id != s->rule_id; i++)
		;
	if (i == lb->n) {
		if (lb->n == lb->cap) {
			size_t cap = lb->cap ? 2 * lb->cap : 16;
			void *v = realloc(lb->v, cap * sizeof(*lb->v));

			if (!v) {
				lb->oom = true;
				return;
			}
			lb->v = v;
			lb->cap = cap;
		}
		lb->v[lb->n].rule_id = s->rule_id;
		lb->v[lb->n].in = 0;
		lb->v[lb->n].out = 0;
		lb->n++;
	}
	lb->v[i].in += s->bytes_in;
	lb->v[i].out += s->bytes_out;
}

static void print_rule(const struct tlsockd_rule *r, void *arg)
{
	struct live_bytes *lb = arg;
	uint64_t in = r->bytes_in, out = r->bytes_out;
	char dest[80];
	size_t i;

	tlsockd_rule_dest(r, dest, sizeof(dest));
	printf("%" PRIu32 ": %s %s profile %s", r->id,
	       r->role == TLSOCK_ROLE_SERVER ? "server" : "client", dest,
	       r->profile[0] ? r->profile : "default");
	if (r->role == TLSOCK_ROLE_CLIENT)
		printf(" server-name %s", r->server_name[0] ? r->server_name : "(peer address)");
	if (r->cgroup)
		printf(" cgroup-id %" PRIu64, r->cgroup);
	if (r->origin == TLSOCK_ORIGIN_DAEMON)
		printf(" (tlsockd.conf)");
	for (i = 0; i < lb->n; i++) {
		if (lb->v[i].rule_id == r->id) {
			in += lb->v[i].in;
			out += lb->v[i].out;
		}
	}
	printf("\n    connections %" PRIu64 " handshakes ok %" PRIu64 " failed %" PRIu64
	       " refused %" PRIu64 " skipped %" PRIu64 " bytes in %" PRIu64 " out %" PRIu64
	       "\n", r->connections, r->hs_ok, r->hs_failed, r->refused, r->skipped, in, out);
	lb->nrules++;
}

static int policy_list(struct tlsockd_nl *nl)
{
	struct live_bytes lb = {};
	unsigned int n = 0;
	int err;

	/*
	 * The kernel counts a rule's bytes when a session ends; the live ones
	 * come from the session list, read first (a session that ends between
	 * the two reads is counted twice, never missed).
	 */
	err = tlsockd_nl_session_list(nl, add_live, &lb);
	if (!err && lb.oom)
		err = -ENOMEM;
	if (!err)
		err = tlsockd_nl_policy_list(nl, print_rule, &lb);
	n = lb.nrules;
	free(lb.v);
	if (err) {
		fprintf(stderr, "tlsockctl: policy list: %s\n", strerror(-err));
		return 1;
	}
	if (!n)
		printf("no rules\n");
	return 0;
}

/* "ADDR:PORT" or "[ADDR6]:PORT" */
static void format_addr(const struct sockaddr_storage *ss, socklen_t len, char *buf, size_t size)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	char a[INET6_ADDRSTRLEN];

	if (len >= sizeof(*sin) && ss->ss_family == AF_INET &&
	    inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a)))
		snprintf(buf, size, "%s:%u", a, ntohs(sin->sin_port));
	else if (len >= sizeof(*sin6) && ss->ss_family == AF_INET6 &&
		 inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a)))
		snprintf(buf, size, "[%s]:%u", a, ntohs(sin6->sin6_port));
	else
		snprintf(buf, size, "?");
}

static const char *version_name(uint16_t v)
{
	return v == TLS_1_3_VERSION ? "TLS1.3" : v == TLS_1_2_VERSION ? "TLS1.2" : "?";
}

static const char *cipher_name(uint16_t c)
{
	switch (c) {
	case TLS_CIPHER_AES_GCM_128:
		return "AES-128-GCM";
	case TLS_CIPHER_AES_GCM_256:
		return "AES-256-GCM";
	case TLS_CIPHER_CHACHA20_POLY1305:
		return "CHACHA20-POLY1305";
	case TLS_CIPHER_AES_CCM_128:
		return "AES-128-CCM";
	}
	return "?";
}

/* One session: a line of addresses, rule and state; a line of the peer's identity. */
static void print_session(const struct tlsockd_session *s, void *arg)
{
	char local[64], peer[64];

	format_addr(&s->local, s->local_len, local, sizeof(local));
	format_addr(&s->peer, s->peer_len, peer, sizeof(peer));
	printf("%s %s -> %s rule %" PRIu32 " ", s->role == TLSOCK_ROLE_SERVER ? "server" : "client",
	       local, peer, s->rule_id);
	if (s->state == TLSOCK_STATE_ESTABLISHED)
		printf("established %s %s\n    peer %s \"%s\"%s%s\n", version_name(s->version),
		       cipher_name(s->cipher), s->verified ? "verified" : "not verified", s->subject,
		       s->san[0] ? " san " : "", s->san);
	else if (s->state == TLSOCK_STATE_FAILED)
		printf("failed %s\n", strerror(s->error));
	else
		printf("handshaking\n");
	printf("    bytes in %" PRIu64 " out %" PRIu64 "\n", s->bytes_in, s->bytes_out);
	(*(unsigned int *)arg)++;
}

static int policy_sessions(struct tlsockd_nl *nl)
{
	unsigned int n = 0;
	int err;

	err = tlsockd_nl_session_list(nl, print_session, &n);
	if (err) {
		fprintf(stderr, "tlsockctl: sessions: %s\n", strerror(-err));
		return 1;
	}
	if (!n)
		printf("no sessions\n");
	return 0;
}

/**
 * tlsockctl_policy() - the "policy" command
 * @conf_path: unused
 * @argc: words from "policy" on
 * @argv: the words
 *
 * Return: exit status (2: usage).
 */
int tlsockctl_policy(const char *conf_path, int argc, char **argv)
{
	struct tlsockd_nl *nl;
	int rc = 2;

	(void)conf_path;
	if (argc < 2) {
		fprintf(stderr, USAGE);
		return 2;
	}
	if (open_nl(&nl))
		return 1;
	if (!strcmp(argv[1], "add"))
		rc = policy_add(nl, argc - 2, argv + 2);
	else if (!strcmp(argv[1], "del"))
		rc = policy_del(nl, argc - 2, argv + 2);
	else if (!strcmp(argv[1], "flush"))
		rc = policy_flush(nl, argc - 2, argv + 2);
	else if (!strcmp(argv[1], "list") && argc == 2)
		rc = policy_list(nl);
	else if (!strcmp(argv[1], "sessions") && argc == 2)
		rc = policy_sessions(nl);
	if (rc == 2)
		fprintf(stderr, USAGE);
	tlsockd_nl_close(nl);
	return rc;
}

/**
 * tlsockctl_sessions() - the "sessions" command: "policy sessions"
 * @conf_path: unused
 * @argc: words from "sessions" on
 * @argv: the words
 *
 * Return: exit status (2: usage).
 */
int tlsockctl_sessions(const char *conf_path, int argc, char **argv)
{
	char *args[] = { "policy", "sessions", NULL };

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: tlsockctl sessions\n");
		return 2;
	}
	return tlsockctl_policy(conf_path, 2, args);
}
