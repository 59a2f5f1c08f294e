// SPDX-License-Identifier: GPL-2.0
/*
 * Transparent TLS rules as text, for tlsockctl and tlsockd.conf:
 *
 *   client DEST:PORT [profile NAME] [server-name NAME] [cgroup PATH]
 *   server LOCAL:PORT [profile NAME] [cgroup PATH]
 *
 * DEST (the address connected to) and LOCAL (the address connections come
 * in on) are "*" (any address), an IPv4 address or network (10.0.0.0/8),
 * or an IPv6 one in brackets ([2001:db8::/32]).  PATH is a cgroup v2
 * directory, absolute or relative to /sys/fs/cgroup: the rule then covers
 * only processes in that cgroup and below.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tlsockd.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

static int fail(char *why, size_t whylen, int err, const char *fmt, const char *arg)
{
	snprintf(why, whylen, fmt, arg);
	return err;
}

/* "ADDR[/PREFIX]" without brackets into @rule. */
static int parse_net(char *s, struct tlsockd_rule *rule)
{
	char *slash = strchr(s, '/');
	int max;
	long n;
	char *e;

	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, s, rule->addr) == 1) {
		rule->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, s, rule->addr) == 1) {
		rule->family = AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	rule->prefix = max;
	if (slash) {
		n = strtol(slash + 1, &e, 10);
		if (!slash[1] || *e || n < 0 || n > max)
			return -EINVAL;
		rule->prefix = n;
	}
	return 0;
}

static int parse_dest(const char *arg, struct tlsockd_rule *rule, char *why, size_t whylen)
{
	char buf[128], *port, *host = buf;
	long n;
	char *e;

	if (strlen(arg) >= sizeof(buf))
		return fail(why, whylen, -EINVAL, "destination \"%s\" is too long", arg);
	strcpy(buf, arg);
	port = strrchr(buf, ':');
	if (!port || (buf[0] == '[' && (port == buf || port[-1] != ']')))
		return fail(why, whylen, -EINVAL,
			    "destination \"%s\": ADDR:PORT, [IPV6]:PORT or *:PORT", arg);
	*port++ = '\0';
	n = strtol(port, &e, 10);
	if (!*port || *e || n < 1 || n > 65535)
		return fail(why, whylen, -EINVAL, "bad port in \"%s\"", arg);
	rule->port = n;
	if (buf[0] == '[') {
		host = buf + 1;
		host[strlen(host) - 1] = '\0';
		if (strchr(host, ':') == NULL)
			return fail(why, whylen, -EINVAL, "brackets are for IPv6: \"%s\"", arg);
	}
	if (!strcmp(host, "*")) {
		rule->family = 0;
		return 0;
	}
	if (parse_net(host, rule) || (buf[0] != '[' && rule->family == AF_INET6))
		return fail(why, whylen, -EINVAL, "bad address in \"%s\"", arg);
	return 0;
}

static int parse_cgroup(const char *arg, struct tlsockd_rule *rule, char *why, size_t whylen)
{
	char path[4096];
	struct stat st;

	if (!strncmp(arg, CGROUP_ROOT "/", strlen(CGROUP_ROOT) + 1) || !strcmp(arg, CGROUP_ROOT))
		snprintf(path, sizeof(path), "%s", arg);
	else
		snprintf(path, sizeof(path), CGROUP_ROOT "/%s", arg[0] == '/' ? arg + 1 : arg);
	if (stat(path, &st) || !S_ISDIR(st.st_mode))
		return fail(why, whylen, -ENOENT, "no cgroup directory %s", path);
	/* a cgroup v2 id is its directory's inode number */
	rule->cgroup = st.st_ino;
	return 0;
}

/**
 * tlsockd_rule_parse() - a rule from its words
 * @argc: number of words
 * @argv: the words ("client", DEST:PORT, then keyword/value pairs)
 * @rule: filled in
 * @why: what is wrong, on failure
 * @whylen: size of @why
 *
 * Return: 0 or a negative errno.
 */
int tlsockd_rule_parse(int argc, char **argv, struct tlsockd_rule *rule, char *why,
		       size_t whylen)
{
	int i, err;

	memset(rule, 0, sizeof(*rule));
	if (argc < 2)
		return fail(why, whylen, -EINVAL, "%s", "a rule is: client DEST:PORT "
			    "[profile NAME] [server-name NAME] [cgroup PATH], or server LOCAL:PORT "
			    "[profile NAME] [cgroup PATH]");
	if (!strcmp(argv[0], "client"))
		rule->role = TLSOCK_ROLE_CLIENT;
	else if (!strcmp(argv[0], "server"))
		rule->role = TLSOCK_ROLE_SERVER;
	else
		return fail(why, whylen, -EINVAL, "unknown role \"%s\" (client or server)", argv[0]);
	err = parse_dest(argv[1], rule, why, whylen);
	if (err)
		return err;
	for (i = 2; i < argc; i += 2) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			return fail(why, whylen, -EINVAL, "\"%s\" needs a value", k);
		if (!strcmp(k, "profile")) {
			if (strlen(v) >= sizeof(rule->profile))
				return fail(why, whylen, -EINVAL, "profile \"%s\" is too long", v);
			strcpy(rule->profile, v);
		} else if (!strcmp(k, "server-name") && rule->role == TLSOCK_ROLE_CLIENT) {
			if (strlen(v) >= sizeof(rule->server_name))
				return fail(why, whylen, -EINVAL, "server name \"%s\" is too long",
					    v);
			strcpy(rule->server_name, v);
		} else if (!strcmp(k, "cgroup")) {
			err = parse_cgroup(v, rule, why, whylen);
			if (err)
				return err;
		} else {
			return fail(why, whylen, -EINVAL, "unknown word \"%s\" (profile, "
				    "server-name, cgroup)", k);
		}
	}
	return 0;
}

/**
 * tlsockd_rule_dest() - @rule's destination as tlsockd_rule_parse() reads it
 * @rule: rule
 * @buf: output
 * @len: its size
 */
void tlsockd_rule_dest(const struct tlsockd_rule *rule, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "*";

	if (rule->family)
		inet_ntop(rule->family, rule->addr, a, sizeof(a));
	if (rule->family == AF_INET6)
		snprintf(buf, len, "[%s/%u]:%u", a, rule->prefix, rule->port);
	else if (rule->family == AF_INET)
		snprintf(buf, len, "%s/%u:%u", a, rule->prefix, rule->port);
	else
		snprintf(buf, len, "*:%u", rule->port);
}

/* more words than any rule has: "client D:P profile P server-name N cgroup C" is 8 */
#define RULE_WORDS_MAX	16

/**
 * tlsockd_rule_parse_line() - a rule from one line of text (tlsockd.conf)
 * @text: the words of tlsockd_rule_parse(), separated by spaces or tabs
 * @rule: filled in
 * @why: what is wrong, on failure
 * @whylen: size of @why
 *
 * Return: 0 or a negative errno.
 */
int tlsockd_rule_parse_line(const char *text, struct tlsockd_rule *rule, char *why,
			    size_t whylen)
{
	char *argv[RULE_WORDS_MAX], *copy, *save = NULL, *w;
	int argc = 0, err;

	copy = strdup(text);
	if (!copy)
		return fail(why, whylen, -ENOMEM, "%s", "out of memory");
	for (w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (argc == RULE_WORDS_MAX) {
			free(copy);
			return fail(why, whylen, -EINVAL, "%s", "too many words for a rule");
		}
		argv[argc++] = w;
	}
	err = tlsockd_rule_parse(argc, argv, rule, why, whylen);
	free(copy);
	return err;
}
