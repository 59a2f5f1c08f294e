// SPDX-License-Identifier: GPL-2.0
/*
 * tlsockctl policy: the transparent TLS rules of this network namespace.
 *
 *   tlsockctl policy add client DEST:PORT [profile P] [server-name N] [cgroup PATH]
 *   tlsockctl policy add server LOCAL:PORT [profile P] [cgroup PATH]
 *   tlsockctl policy del ID | all
 *   tlsockctl policy list
 *
 * Rules act only while the cgroup BPF hooks are attached (tlsockctl hooks
 * attach, or tlsockd when its configuration has rules): "add" says so when
 * they are not.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsockd.h"
#include "tlsockctl.h"

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
	char why[256];
	uint32_t id = 0;
	int err;

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
	err = tlsockd_nl_policy_del(nl, id, flush);
	if (err) {
		fprintf(stderr, "tlsockctl: policy del %s: %s\n", argv[0],
			err == -ENOENT ? "no such rule" : strerror(-err));
		return 1;
	}
	return 0;
}

static void print_rule(const struct tlsockd_rule *r, void *arg)
{
	char dest[80];

	tlsockd_rule_dest(r, dest, sizeof(dest));
	printf("%" PRIu32 ": %s %s profile %s", r->id,
	       r->role == TLSOCK_ROLE_SERVER ? "server" : "client", dest,
	       r->profile[0] ? r->profile : "default");
	if (r->role == TLSOCK_ROLE_CLIENT)
		printf(" server-name %s", r->server_name[0] ? r->server_name : "(peer address)");
	if (r->cgroup)
		printf(" cgroup-id %" PRIu64, r->cgroup);
	printf("\n    connections %" PRIu64 " handshakes ok %" PRIu64 " failed %" PRIu64
	       " refused %" PRIu64 " skipped %" PRIu64 "\n",
	       r->connections, r->hs_ok, r->hs_failed, r->refused, r->skipped);
	(*(unsigned int *)arg)++;
}

static int policy_list(struct tlsockd_nl *nl)
{
	unsigned int n = 0;
	int err;

	err = tlsockd_nl_policy_list(nl, print_rule, &n);
	if (err) {
		fprintf(stderr, "tlsockctl: policy list: %s\n", strerror(-err));
		return 1;
	}
	if (!n)
		printf("no rules\n");
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
		fprintf(stderr, "usage: tlsockctl policy add RULE | del ID|all | list\n");
		return 2;
	}
	if (open_nl(&nl))
		return 1;
	if (!strcmp(argv[1], "add"))
		rc = policy_add(nl, argc - 2, argv + 2);
	else if (!strcmp(argv[1], "del"))
		rc = policy_del(nl, argc - 2, argv + 2);
	else if (!strcmp(argv[1], "list") && argc == 2)
		rc = policy_list(nl);
	if (rc == 2)
		fprintf(stderr, "usage: tlsockctl policy add RULE | del ID|all | list\n");
	tlsockd_nl_close(nl);
	return rc;
}
