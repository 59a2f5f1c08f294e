// SPDX-License-Identifier: GPL-2.0
/*
 * hs_test: tlsockd's handshake code, tested on the host (TAP).
 *
 *   hs_test [-v] [NAME...]     -v: show the outcome of every handshake
 *
 * Needs certtool (gnutls-bin) and openssl; no module, no root, no network
 * but loopback (127.0.0.1 and 127.0.0.2).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/wait.h>

#include "hst.h"
#include "tests.h"

bool hst_failed;
bool hst_verbose;

void hst_check(bool ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return;
	hst_failed = true;
	printf("# %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* One outcome as a TAP comment. */
void hst_show(const char *who, const struct tlsockd_result *r)
{
	printf("#   %s: status %s%s%s%s resumed %d verified %d subject \"%s\" nsan %u\n", who,
	       tlsockd_errname(r->status), r->reason[0] ? " (" : "", r->reason,
	       r->reason[0] ? ")" : "", r->resumed, r->verified, r->subject, r->nsan);
}

bool hst_both_ok(const struct hst_pair *p, bool res)
{
	bool ok = !p->c.status && !p->s.status && p->c.resumed == res && p->s.resumed == res;

	CHECK(ok, "expected both ends to succeed, %s", res ? "resumed" : "not resumed");
	if (!ok) {
		hst_show("client", &p->c);
		hst_show("server", &p->s);
	}
	return ok;
}

/* The daemon next to this test program: ../../daemon/tlsockd. */
static int tlsockd_path(char *buf, size_t size)
{
	char exe[256], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return -errno;
	exe[n] = 0;
	slash = strrchr(exe, '/');
	if (slash)
		*slash = 0;
	snprintf(buf, size, "%s/../../daemon/tlsockd", exe);
	return access(buf, X_OK) ? -errno : 0;
}

/**
 * hst_tlsockd_start() - run ../../daemon/tlsockd -f -c @conf, as a supervisor would
 * @conf: configuration file
 * @notify: $NOTIFY_SOCKET for it, or NULL
 *
 * Its signals are unblocked and default, its standard error is /dev/null;
 * it exits 127 if it cannot be run.
 *
 * Return: its pid, or a negative errno.
 */
pid_t hst_tlsockd_start(const char *conf, const char *notify)
{
	char daemon[300];
	sigset_t none;
	pid_t pid;
	int fd;

	if (tlsockd_path(daemon, sizeof(daemon)))
		return -ENOENT;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid)
		return pid;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGHUP, SIG_DFL);
	if (notify)
		setenv("NOTIFY_SOCKET", notify, 1);
	fd = open("/dev/null", O_WRONLY);
	dup2(fd, STDERR_FILENO);
	execl(daemon, "tlsockd", "-f", "-c", conf, (char *)NULL);
	_exit(127);
}

/* Wait up to @ms for @pid; true when it exited (status in @st). */
bool hst_wait_exit(pid_t pid, int ms, int *st)
{
	for (; ms > 0; ms -= 10) {
		if (waitpid(pid, st, WNOHANG) == pid)
			return true;
		usleep(10000);
	}
	return false;
}

static const struct hst_test *const tests[] = {
#define HST_TEST(name) &hst_##name,
#include "tests.def"
#undef HST_TEST
};

#define NTESTS (sizeof(tests) / sizeof(tests[0]))

static bool selected(const char *name, int argc, char **argv)
{
	int i;

	if (!argc)
		return true;
	for (i = 0; i < argc; i++)
		if (!strcmp(argv[i], name))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	unsigned int i, n = 0, failed = 0, planned = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);	/* a peer or a child that went away is an outcome */
	if (argc > 1 && !strcmp(argv[1], "-v")) {
		hst_verbose = true;
		argc--, argv++;
	}
	argc--, argv++;
	for (i = 0; i < NTESTS; i++)
		planned += selected(tests[i]->name, argc, argv);
	printf("1..%u\n", planned);
	if (gnutls_global_init() < 0 || hst_setup()) {
		printf("Bail out! setup failed\n");
		return 1;
	}
	for (i = 0; i < NTESTS; i++) {
		if (!selected(tests[i]->name, argc, argv))
			continue;
		hst_failed = false;
		tests[i]->run();
		n++;
		if (hst_failed)
			failed++;
		printf("%sok %u %s\n", hst_failed ? "not " : "", n, tests[i]->name);
	}
	hst_teardown();
	printf("# %u passed, %u failed\n", n - failed, failed);
	return failed ? 1 : 0;
}
