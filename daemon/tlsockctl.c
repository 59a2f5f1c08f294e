// SPDX-License-Identifier: GPL-2.0
/*
 * tlsockctl: status of tlsock.ko and tlsockd, profiles, certificates, the
 * cgroup hooks of transparent policies.
 *
 *   tlsockctl [-c FILE] COMMAND [ARGS]
 *
 * Commands live in one table; each returns an exit status.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tlsockd.h"
#include "tlsockctl.h"
#include "version.h"

/* STATUS_GET; -ENOENT when tlsock.ko is not loaded. */
static int get_status(struct tlsockd_status *st)
{
	struct tlsockd_nl *nl;
	int err;

	err = tlsockd_nl_open(&nl, false);
	if (err)
		return err;
	err = tlsockd_nl_status(nl, st);
	tlsockd_nl_close(nl);
	return err;
}

/* The loaded module's MODULE_VERSION into @buf; false when it is not loaded (or too old to say). */
static bool module_version(char *buf, size_t len)
{
	FILE *f = fopen("/sys/module/tlsock/version", "r");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok && buf[0];
}

static int cmd_version(const char *conf_path, int argc, char **argv)
{
	char mod[64];

	printf("tlsockctl %s\n", TLSOCK_VERSION);
	printf("tlsock.ko %s\n", module_version(mod, sizeof(mod)) ? mod : "not loaded");
	return 0;
}

static int cmd_status(const char *conf_path, int argc, char **argv)
{
	char mod[64];
	struct tlsockd_status st;
	char line[256];
	FILE *f;
	int err, pin;

	err = get_status(&st);
	if (err == -ENOENT || err == -EPERM) {
		printf("kernel: tlsock.ko %s\n",
		       err == -ENOENT ? "not loaded" : strerror(-err));
		return 1;
	}
	if (err) {
		fprintf(stderr, "tlsockctl: status: %s\n", strerror(-err));
		return 1;
	}
	printf("kernel: tlsock.ko loaded, version %s\n",
	       module_version(mod, sizeof(mod)) ? mod : "unknown");
	printf("daemon: %s\n", st.listeners ? "listening (tlsockd running in this namespace)" :
					      "none listening: handshakes fail with ESRCH");
	printf("handshakes: %u pending, %u in progress, cap %u, default timeout %u ms\n",
	       st.pending, st.active, st.max_pending, st.default_timeout);
	f = fopen("/sys/module/tlsock/parameters/zerocopy_pin", "r");
	pin = f ? fgetc(f) : EOF;
	if (f)
		fclose(f);
	printf("zero-copy: %s\n", pin == 'Y' ? "pins the application's pages" :
		pin == 'N' ? "copies: this kernel cannot pin pages (before 6.3)" : "unknown");

	f = fopen("/proc/net/tlsock_stat", "r");
	if (!f)
		return 0;
	printf("counters:\n");
	while (fgets(line, sizeof(line), f))
		printf("  %s", line);
	fclose(f);
	return 0;
}

/*
 * Until a daemon listens: from then on requests are queued for it, not
 * failed with ESRCH.  The module may be loaded meanwhile.
 */
static int cmd_wait_ready(const char *conf_path, int argc, char **argv)
{
	struct tlsockd_status st;
	int opt, err, secs = 10, tries;
	char *e;

	optind = 1;
	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt != 't')
			return 2;
		secs = strtol(optarg, &e, 10);
		if (*e || secs < 0 || secs > 3600)
			return 2;
	}
	for (tries = secs * 20;; tries--) {	/* every 50 ms */
		err = get_status(&st);
		if (!err && st.listeners) {
			printf("daemon: listening\n");
			return 0;
		}
		if (err && err != -ENOENT) {
			fprintf(stderr, "tlsockctl: status: %s\n", strerror(-err));
			return 1;
		}
		if (tries <= 0)
			break;
		usleep(50000);
	}
	fprintf(stderr, "tlsockctl: %s after %d s\n", err ? "tlsock.ko not loaded" :
		"no daemon listening", secs);
	return 1;
}

static int load_conf(const char *path, struct tlsockd_conf **conf)
{
	char why[512] = "";
	int err;

	err = tlsockd_conf_read(path, conf, why, sizeof(why));
	if (err)
		fprintf(stderr, "tlsockctl: %s\n", why);
	return err;
}

static int cmd_profiles(const char *conf_path, int argc, char **argv)
{
	struct tlsockd_conf *conf;
	size_t i;

	if (load_conf(conf_path, &conf))
		return 1;
	for (i = 0; i < conf->nprofiles; i++) {
		const struct tlsockd_profile_conf *p = &conf->profiles[i];

		printf("%s\n", p->name);
		printf("  cert         %s\n", p->cert ? p->cert : "(none)");
		printf("  key          %s\n", p->key ? p->key : "(none)");
		printf("  ca           %s\n", p->ca ? p->ca : "system");
		printf("  crl          %s\n", p->crl ? p->crl : "(none)");
		printf("  client_auth  %s\n", tlsockd_auth_name(p->client_auth));
		printf("  min_version  %s\n", p->min_version == GNUTLS_TLS1_3 ? "1.3" : "1.2");
		printf("  ciphers      %s\n", p->priority ? "(priority string)" :
					      p->ciphers ? p->ciphers : "default (ECDHE + AEAD)");
		if (p->priority)
			printf("  priority     %s\n", p->priority);
		printf("  tickets      %s\n", p->tickets ? "yes" : "no");
		printf("  verify       %s\n", p->verify ? "yes" : "NO (peer not verified)");
	}
	tlsockd_conf_free(conf);
	return 0;
}

static int cmd_certs(const char *conf_path, int argc, char **argv)
{
	struct tlsockd_conf *conf;
	int warn_days = 30, opt, rc;

	optind = 1;
	while ((opt = getopt(argc, argv, "w:")) != -1) {
		if (opt != 'w')
			return 2;
		warn_days = atoi(optarg);
	}
	if (load_conf(conf_path, &conf))
		return 1;
	rc = tlsockctl_certs(conf, warn_days);
	tlsockd_conf_free(conf);
	return rc;
}

#define HOOKS_WHERE "connect4/6 and post_bind4/6 on /sys/fs/cgroup, pinned in /sys/fs/bpf/tlsock"

/* hooks attach|detach|status: exit 0 when done (status: when attached), 1 if not, 2 on usage */
static int cmd_hooks(const char *conf_path, int argc, char **argv)
{
	char why[384] = "";
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: tlsockctl hooks attach|detach|status\n");
		return 2;
	}
	if (!strcmp(argv[1], "attach")) {
		err = tlsock_hooks_attach(why, sizeof(why));
		if (err) {
			fprintf(stderr, "tlsockctl: hooks attach: %s\n", why);
			return 1;
		}
		printf("hooks: attached (" HOOKS_WHERE ")\n");
		return 0;
	}
	if (!strcmp(argv[1], "detach")) {
		err = tlsock_hooks_detach();
		if (err) {
			fprintf(stderr, "tlsockctl: hooks detach: %s\n", strerror(-err));
			return 1;
		}
		printf("hooks: detached\n");
		return 0;
	}
	if (!strcmp(argv[1], "status")) {
		err = tlsock_hooks_attached();
		if (err == 1) {
			printf("hooks: attached (" HOOKS_WHERE ")\n");
			return 0;
		}
		if (err == 0)
			printf("hooks: not attached\n");
		else if (err == -ENOLINK)
			printf("hooks: partly attached: tlsockctl hooks attach completes them\n");
		else {
			tlsock_hooks_explain(err, why, sizeof(why));
			fprintf(stderr, "tlsockctl: hooks status: %s\n", why);
		}
		return 1;
	}
	fprintf(stderr, "tlsockctl: hooks: unknown action \"%s\" (attach, detach, status)\n",
		argv[1]);
	return 2;
}

static int cmd_help(const char *conf_path, int argc, char **argv);

static const struct command {
	const char *name;
	const char *args;
	const char *help;
	int (*run)(const char *conf_path, int argc, char **argv);
} commands[] = {
	{ "status", "", "kernel module, daemon and handshake counters", cmd_status },
	{ "profiles", "", "profiles of the configuration file", cmd_profiles },
	{ "certs", "[-w DAYS]", "certificates of every profile and their expiry "
				"(warns under DAYS, default 30; exit 1 then)", cmd_certs },
	{ "wait-ready", "[-t SECS]", "wait until a daemon listens (default 10 s; exit 1 then)",
	  cmd_wait_ready },
	{ "hooks", "ACTION", "cgroup hooks of transparent policies: attach, detach or status",
	  cmd_hooks },
	{ "policy", "ACTION", "transparent TLS rules of this network namespace: add, del, "
			      "flush, list, sessions (tlsockctl(8))", tlsockctl_policy },
	{ "sessions", "", "live transparent TLS sessions (policy sessions)", tlsockctl_sessions },
	{ "version", "", "tlsockctl's version and the loaded module's", cmd_version },
	{ "help", "", "this text", cmd_help },
};

static int cmd_help(const char *conf_path, int argc, char **argv)
{
	size_t i;

	printf("usage: tlsockctl [-c FILE] COMMAND [ARGS] | -V\n"
	       "  -c FILE  configuration (default " TLSOCKD_CONF_DEFAULT ")\n"
	       "  -V       the version (also --version)\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf("  %-10s %-10s %s\n", commands[i].name, commands[i].args, commands[i].help);
	return 0;
}

int main(int argc, char **argv)
{
	const char *conf_path = TLSOCKD_CONF_DEFAULT;
	size_t i;
	int opt;

	if (argc == 2 && !strcmp(argv[1], "--version"))
		return cmd_version(conf_path, 0, NULL);
	while ((opt = getopt(argc, argv, "+c:hV")) != -1) {
		switch (opt) {
		case 'c':
			conf_path = optarg;
			break;
		case 'h':
			return cmd_help(conf_path, 0, NULL);
		case 'V':
			return cmd_version(conf_path, 0, NULL);
		default:
			cmd_help(conf_path, 0, NULL);
			return 2;
		}
	}
	if (optind == argc)
		return cmd_status(conf_path, 0, NULL);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[optind], commands[i].name))
			return commands[i].run(conf_path, argc - optind, argv + optind);
	fprintf(stderr, "tlsockctl: unknown command \"%s\"\n", argv[optind]);
	cmd_help(conf_path, 0, NULL);
	return 2;
}
