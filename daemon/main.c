// SPDX-License-Identifier: GPL-2.0
/*
 * tlsockd: performs TLS handshakes for tlsock sockets.
 *
 *   tlsockd [-f] [-d] [-t] [-c FILE]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "tlsockd.h"
#include "version.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tlsockd [-f] [-d] [-t] [-c FILE] | -V\n"
		"  -c FILE  configuration (default " TLSOCKD_CONF_DEFAULT ")\n"
		"  -f       stay in the foreground, log to stderr\n"
		"  -d       debug logging\n"
		"  -t       check the configuration (load every profile) and exit\n"
		"  -V       print the version (also --version) and exit\n");
}

static int daemonize(void)
{
	pid_t pid;
	int fd;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -errno;
	if (chdir("/") < 0)
		return -errno;
	fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		return -errno;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = TLSOCKD_CONF_DEFAULT;
	bool foreground = false, debug = false, test = false;
	struct tlsockd_conf *conf;
	struct tlsockd_gen *gen;
	char why[512] = "";
	sigset_t hup;
	int opt, err;

	/*
	 * A SIGHUP (systemctl reload) can come while we load: by default it
	 * would kill us, with a status systemd counts as a clean exit.  Held
	 * pending instead, it makes the event loop reload once it runs.
	 */
	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	sigprocmask(SIG_BLOCK, &hup, NULL);

	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("tlsockd %s\n", TLSOCK_VERSION);
		return 0;
	}
	while ((opt = getopt(argc, argv, "c:fdthV")) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'd':
			debug = true;
			break;
		case 't':
			test = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("tlsockd %s\n", TLSOCK_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	tlsockd_log_init(TLSOCKD_LOG_STDERR, debug);
	/* before any key is read: no core dump, no ptrace by mere users */
	err = tlsockd_no_dump();
	if (err) {
		tlsockd_log(LOG_ERR, "prctl(PR_SET_DUMPABLE): %s", strerror(-err));
		return 1;
	}
	err = gnutls_global_init();
	if (err < 0) {
		tlsockd_log(LOG_ERR, "gnutls: %s", gnutls_strerror(err));
		return 1;
	}
	err = tlsockd_conf_read(path, &conf, why, sizeof(why));
	if (err) {
		tlsockd_log(LOG_ERR, "%s", why);
		return 1;
	}
	if (test) {
		err = tlsockd_gen_load(conf, &gen, why, sizeof(why));
		if (err) {
			tlsockd_log(LOG_ERR, "%s", why);
			return 1;
		}
		printf("%s: ok, %zu profiles, %zu rules\n", path, gen->conf->nprofiles,
		       gen->conf->nrules);
		tlsockd_gen_put(gen);
		return 0;
	}

	/* before daemonizing, so that the reason reaches the terminal */
	if (tlsockd_policy_hooks(conf))
		return 1;
	if (!foreground && daemonize()) {
		tlsockd_log(LOG_ERR, "cannot daemonize: %s", strerror(errno));
		return 1;
	}
	if (conf->log_syslog == 1 || (conf->log_syslog == -1 && !foreground))
		tlsockd_log_init(TLSOCKD_LOG_SYSLOG, debug);

	err = tlsockd_run(conf, path);
	gnutls_global_deinit();
	return err ? 1 : 0;
}
