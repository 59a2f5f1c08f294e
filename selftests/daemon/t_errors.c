// SPDX-License-Identifier: GPL-2.0
/*
 * Finding 11 of issue 9: the errors an application gets are the ones
 * tlsock(7) documents.  A client without the certificate a server requires
 * gets ENOKEY; a client certificate is sent even when the server names
 * other issuers, and the server's refusal says why.
 *
 * In TLS 1.3 the client's handshake completes before the server reads the
 * client's certificate: the client learns of a refusal from the alert that
 * follows, which its kernel reads (the c_alert of the pair).
 *
 * And a supervisor learns when tlsockd serves: READY=1 on $NOTIFY_SOCKET.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "hst.h"
#include "tests.h"

#define A_BAD_CERTIFICATE	42
#define A_CERTIFICATE_REQUIRED	116

/*
 * A handshake the server refuses with @serr; the client ends with @cerr (0:
 * its handshake completes, TLS 1.3) and then reads the alert @alert (-1:
 * none, its handshake failed).
 */
static void refused(const char *cp, const char *sp, int serr, int cerr, int alert)
{
	struct hst_pair p = HST_PAIR(cp, sp, "server.test");

	if (!RUN(&p))
		return;
	CHECK(p.s.status == serr, "server: %s (%s); expected %s", tlsockd_errname(p.s.status),
	      p.s.reason, tlsockd_errname(serr));
	CHECK(p.c.status == cerr, "client: %s (%s); expected %s", tlsockd_errname(p.c.status),
	      p.c.reason, tlsockd_errname(cerr));
	CHECK(p.c_alert == alert, "client reads alert %d after its handshake; expected %d",
	      p.c_alert, alert);
}

/* TLS 1.2: the server refuses the client's Certificate message before the client's Finished. */
static void f11_no_cert_required_tls12(void)
{
	refused("f11a", "srv12", ENOKEY, ENOKEY, -1);
}
HST_DEFINE(f11_no_cert_required_tls12);

/* TLS 1.3: the client completes, then reads certificate_required. */
static void f11_no_cert_required_tls13(void)
{
	refused("f11b", "srv", ENOKEY, 0, A_CERTIFICATE_REQUIRED);
}
HST_DEFINE(f11_no_cert_required_tls13);

/*
 * The client's certificate comes from ca2, which the server neither names
 * nor trusts: sent anyway, it is refused for its unknown issuer.
 */
static void f11_issuer_not_named_tls12(void)
{
	refused("f11c", "srv12", EKEYREJECTED, EKEYREJECTED, -1);
}
HST_DEFINE(f11_issuer_not_named_tls12);

static void f11_issuer_not_named_tls13(void)
{
	refused("f11d", "srv", EKEYREJECTED, 0, A_BAD_CERTIFICATE);
}
HST_DEFINE(f11_issuer_not_named_tls13);

/* The server learns why the client refused its certificate: untrusted here. */
static void f11_refusal_reaches_server(void)
{
	refused("f11e", "open12", EKEYREJECTED, EKEYREJECTED, -1);
}
HST_DEFINE(f11_refusal_reaches_server);

/* ... and revoked, in TLS 1.3 this time. */
static void f11_revocation_reaches_server(void)
{
	refused("f11f", "revs-srv", EKEYREVOKED, EKEYREVOKED, -1);
}
HST_DEFINE(f11_revocation_reaches_server);

/* A datagram socket to play systemd's end of $NOTIFY_SOCKET; @name: "@..." for abstract. */
static int notify_listen(const char *name, char *env, size_t envlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t alen;
	int fd;

	if (name[0] == '@') {
		snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1, "%s.%d", name + 1, getpid());
		alen = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(sun.sun_path + 1);
		snprintf(env, envlen, "@%s", sun.sun_path + 1);
	} else {
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", hst_dir, name);
		alen = sizeof(sun);
		snprintf(env, envlen, "%s", sun.sun_path);
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sun, alen)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The next datagram within @ms, NUL-terminated; -1 if none. */
static ssize_t notify_recv(int fd, char *buf, size_t size, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 };
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recv(fd, buf, size - 1, 0);
	buf[n > 0 ? n : 0] = 0;
	return n;
}

/* tlsockd_notify() reaches a socket named by a path and an abstract one. */
static void f11_notify_socket(void)
{
	static const char *const names[] = { "notify.sock", "@tlsockd-hst-notify" };
	char env[128], buf[256];
	unsigned int i;
	int fd, err;

	for (i = 0; i < 2; i++) {
		fd = notify_listen(names[i], env, sizeof(env));
		if (fd < 0) {
			CHECK(false, "%s: %s", names[i], strerror(errno));
			continue;
		}
		setenv("NOTIFY_SOCKET", env, 1);
		err = tlsockd_notify("READY=1\nSTATUS=test");
		CHECK(!err, "%s: %s", env, strerror(-err));
		CHECK(notify_recv(fd, buf, sizeof(buf), 1000) > 0 &&
		      !strcmp(buf, "READY=1\nSTATUS=test"), "%s received \"%s\"", env, buf);
		close(fd);
	}
	unsetenv("NOTIFY_SOCKET");
	CHECK(!tlsockd_notify("READY=1"), "without NOTIFY_SOCKET");
}
HST_DEFINE(f11_notify_socket);

/*
 * tlsockd started as systemd would (Type=notify): READY=1 once it serves,
 * STOPPING=1 on SIGTERM.  Without tlsock.ko (the host) it cannot serve:
 * it must exit 1 and never say READY=1.  With it (the test VM) it says both.
 */
static void f11_daemon_says_ready(void)
{
	char conf[128], env[128], buf[256];
	int fd, st = 0, waited;
	bool ready = false, exited = false;
	pid_t pid;

	fd = notify_listen("ready.sock", env, sizeof(env));
	if (fd < 0 || hst_write("ready.conf", "[daemon]\nworkers = 2\nlog = stderr\n")) {
		CHECK(false, "setup: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	snprintf(conf, sizeof(conf), "%s/ready.conf", hst_dir);
	pid = hst_tlsockd_start(conf, env);
	if (pid < 0) {
		CHECK(false, "cannot start tlsockd: %s", strerror(-pid));
		close(fd);
		return;
	}
	for (waited = 0; waited < 5000 && !exited; waited += 50) {
		ready = notify_recv(fd, buf, sizeof(buf), 50) > 0;
		if (ready)
			break;
		exited = waitpid(pid, &st, WNOHANG) == pid;
	}
	if (!ready) {
		/* it must have exited for want of tlsock.ko, and said nothing */
		CHECK(exited && WIFEXITED(st) && WEXITSTATUS(st) == 1 &&
		      notify_recv(fd, buf, sizeof(buf), 10) <= 0,
		      "tlsockd neither said READY=1 nor exited 1 (said \"%s\")", buf);
		printf("# tlsockd exited without READY=1 (no tlsock.ko here)\n");
		goto out;
	}
	CHECK(strstr(buf, "READY=1") && strstr(buf, "STATUS=ready (2 workers, 1 profiles)"),
	      "tlsockd said \"%s\"", buf);
	kill(pid, SIGTERM);
	CHECK(notify_recv(fd, buf, sizeof(buf), 5000) > 0 && strstr(buf, "STOPPING=1"),
	      "on SIGTERM tlsockd said \"%s\"", buf);
	exited = hst_wait_exit(pid, 5000, &st);
	CHECK(exited && WIFEXITED(st) && !WEXITSTATUS(st), "tlsockd did not exit 0 on SIGTERM");
out:
	if (!exited) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	close(fd);
}
HST_DEFINE(f11_daemon_says_ready);
