// SPDX-License-Identifier: GPL-2.0
/*
 * Fail every allocation tlsock makes, one at a time.
 *
 * The kernel's fault injection (failslab, fail_page_alloc) is limited to
 * call chains through tlsock.ko's code (require-start/-end, the module's
 * range in /proc/modules) and steered per thread with
 * /proc/thread-self/fail-nth: "fail the Nth allocation this thread makes
 * from now on".  For each scenario, N runs from 1 up until a run finishes
 * with the failure not consumed (every allocation on the path was failed
 * once).  Each run must end with the data intact or with an errno, never
 * hang (a watchdog process), never hand over wrong bytes; leaks and warnings are the VM
 * runner's verdict (kmemleak, dmesg) after the whole run.
 *
 * Scenarios:
 *   keys      SOL_TLS keys both ways, a record each way, a peek past two
 *             records, close (the application's thread)
 *   request   a managed handshake: the application's TLSOCK_HANDSHAKE
 *   done      ... the daemon's ACCEPT and DONE (key installation happens
 *             in the daemon's thread), then a record each way
 *   ticket    a TLS 1.3 client session receiving a NewSessionTicket
 *   child     a transparent server rule's child: accept() on a listener the
 *             rule adopted attaches tlsock and starts the server request
 *             (the application's thread); the stand-in daemon finishes it.
 *             accept() fails with ECONNABORTED, or the socket is TLS: the
 *             peer's plaintext is never read
 *
 * TAP on stdout, one result per scenario.  Needs root, tlsock.ko and a
 * kernel with CONFIG_FAULT_INJECTION, FAILSLAB, FAIL_PAGE_ALLOC and the
 * stack-trace filter (make check KERNEL=debug).
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/tlsock.h>

#include "lib.h"
#include "fake_daemon.h"

#ifndef SOL_TLSOCK
#define SOL_TLSOCK 287
#endif

#define FD_MAX_NTH	400

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ok;

	if (fd < 0)
		return -errno;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -EIO;
}

/* Fault injection only for call chains through tlsock.ko, for every GFP kind. */
static int fd_setup(void)
{
	static const char *const dirs[] = { "/sys/kernel/debug/failslab",
					    "/sys/kernel/debug/fail_page_alloc" };
	unsigned long base = 0, size = 0;
	char line[512], name[64], val[64];
	FILE *f = fopen("/proc/modules", "r");
	size_t i;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lu %*s %*s %*s %lx", name, &size, &base) == 3 &&
		    !strcmp(name, "tlsock"))
			break;
		else
			base = 0;
	fclose(f);
	if (!base || !size)
		return -ENOENT;
	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		char path[128];

		snprintf(path, sizeof(path), "%s/require-start", dirs[i]);
		snprintf(val, sizeof(val), "%#lx", base);
		if (write_str(path, val))
			return -ENOSYS;
		snprintf(path, sizeof(path), "%s/require-end", dirs[i]);
		snprintf(val, sizeof(val), "%#lx", base + size);
		write_str(path, val);
		snprintf(path, sizeof(path), "%s/stacktrace-depth", dirs[i]);
		write_str(path, "32");
		snprintf(path, sizeof(path), "%s/ignore-gfp-wait", dirs[i]);
		write_str(path, "N");
		snprintf(path, sizeof(path), "%s/verbose", dirs[i]);
		write_str(path, "0");
	}
	return 0;
}

/* Arm the Nth allocation of this thread; 0 disarms. */
static void fd_arm(int nth)
{
	char v[16];

	snprintf(v, sizeof(v), "%d", nth);
	write_str("/proc/thread-self/fail-nth", v);
}

/* True when the armed failure happened (the counter reached 0). */
static bool fd_fired(void)
{
	char v[16] = "";
	int fd = open("/proc/thread-self/fail-nth", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, v, sizeof(v) - 1) : -1;

	if (fd >= 0)
		close(fd);
	fd_arm(0);
	return n > 0 && atoi(v) == 0;
}

static const char msg[] = "sixteen bytes!!!then thirty-two bytes of a second record..";

/*
 * One exchange over keys set on @a (the kernel) and the peer @b (userspace
 * records).  Returns 0 when the bytes came through intact, -errno when a call
 * failed cleanly, -EILSEQ when wrong bytes came out.
 */
static int fd_exchange(int a, int b, struct tlsock_keys *ktx, struct tlsock_keys *krx)
{
	struct tlsock_rec_spec spec = { .type = TLSOCK_CT_DATA };
	struct tlsock_urec seal, open_;
	uint8_t rec[512], out[256], type;
	ssize_t n, total;
	int err = -EIO;

	if (tlsock_urec_init(&seal, krx))
		return -EIO;
	if (tlsock_urec_init(&open_, ktx)) {
		tlsock_urec_free(&seal);
		return -EIO;
	}
	/* peer -> kernel: two records, peeked past then read */
	n = tlsock_urec_seal(&seal, &spec, msg, 16, rec, sizeof(rec));
	total = n + tlsock_urec_seal(&seal, &spec, msg + 16, sizeof(msg) - 17, rec + n,
				     sizeof(rec) - n);
	if (tlsock_write_all(b, rec, total) != total)
		goto out;
	n = recv(a, out, sizeof(msg) - 1, MSG_PEEK | MSG_WAITALL);
	if (n < 0) {
		err = -errno;
		goto out;
	}
	if (n > 0 && memcmp(out, msg, n)) {
		err = -EILSEQ;
		goto out;
	}
	n = tlsock_read_full(a, out, sizeof(msg) - 1);
	if (n < 0) {
		err = n;
		goto out;
	}
	if (memcmp(out, msg, n)) {
		err = -EILSEQ;
		goto out;
	}
	/* kernel -> peer */
	if (send(a, msg, sizeof(msg) - 1, 0) < 0) {
		err = -errno;
		goto out;
	}
	n = tlsock_read_full(b, rec, 5);
	if (n != 5)
		goto out;
	total = tlsock_rec_total(rec, 5);
	if (total > (ssize_t)sizeof(rec) || tlsock_read_full(b, rec + 5, total - 5) != total - 5)
		goto out;
	n = tlsock_urec_open(&open_, rec, total, &type, out, sizeof(out));
	err = n == sizeof(msg) - 1 && !memcmp(out, msg, n) ? 0 : -EILSEQ;
out:
	tlsock_urec_free(&seal);
	tlsock_urec_free(&open_);
	return err;
}

enum fd_scenario { FD_KEYS, FD_REQUEST, FD_DONE, FD_TICKET, FD_CHILD, FD_NSCEN };
static const char *const fd_names[] = { "keys", "request", "done", "ticket", "child" };

/*
 * A server rule for 127.0.0.1:@port: it adopts the listener already there
 * (no BPF hook needed for that).  Returns the rule's id, or a negative errno.
 */
static int64_t fd_rule_add(uint16_t port)
{
	struct in_addr lo = { htonl(INADDR_LOOPBACK) };
	struct tlsock_fd_attrs a = { 0 };
	uint8_t reply[256];
	size_t rlen = sizeof(reply), len;
	struct tlsock_fd d;
	const void *vid;
	uint32_t id;
	uint8_t plen = 32;
	int err;

	if (tlsock_fd_open(&d, false))
		return -EIO;
	err = tlsock_fd_attr_u32(&a, TLSOCK_A_POLICY_ROLE, TLSOCK_ROLE_SERVER);
	if (!err)
		err = tlsock_fd_attr(&a, TLSOCK_A_POLICY_PORT, &port, sizeof(port));
	if (!err)
		err = tlsock_fd_attr(&a, TLSOCK_A_POLICY_ADDR, &lo, sizeof(lo));
	if (!err)
		err = tlsock_fd_attr(&a, TLSOCK_A_POLICY_PREFIX_LEN, &plen, sizeof(plen));
	if (!err)
		err = tlsock_fd_request(&d, TLSOCK_CMD_POLICY_ADD, &a, reply, &rlen);
	tlsock_fd_close(&d);
	if (err)
		return err;
	vid = tlsock_fd_find_attr(reply, rlen, TLSOCK_A_POLICY_ID, &len);
	if (!vid || len != sizeof(id))
		return -EPROTO;
	memcpy(&id, vid, sizeof(id));
	return id;
}

static void fd_rule_del(uint32_t id)
{
	struct tlsock_fd_attrs a = { 0 };
	struct tlsock_fd d;

	if (tlsock_fd_open(&d, false))
		return;
	if (!tlsock_fd_attr_u32(&a, TLSOCK_A_POLICY_ID, id))
		tlsock_fd_request(&d, TLSOCK_CMD_POLICY_DEL, &a, NULL, NULL);
	tlsock_fd_close(&d);
}

/*
 * The peer connects to a listener a server rule adopted; accept(), with the
 * @nth allocation failed, makes the child a TLS server.  *@a: the accepted
 * socket, or -1 and a negative errno (only ECONNABORTED is clean).
 */
static int fd_child(int nth, bool *fired, int *a, int *b, int64_t *rule)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int l, err = 0;

	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (struct sockaddr *)&sin, sizeof(sin)) || listen(l, 8) ||
	    getsockname(l, (struct sockaddr *)&sin, &len)) {
		err = -EIO;
		goto out;
	}
	*rule = fd_rule_add(ntohs(sin.sin_port));
	if (*rule < 0) {
		printf("# child: policy-add: %s\n", strerror((int)-*rule));
		err = -EIO;
		goto out;
	}
	*b = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*b < 0 || connect(*b, (struct sockaddr *)&sin, sizeof(sin))) {
		err = -EIO;
		goto out;
	}
	fd_arm(nth);
	*a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	err = *a < 0 ? -errno : 0;
	*fired = fd_fired();
	if (err && err != -ECONNABORTED) {
		printf("# child %d: accept() failed with %s, not ECONNABORTED\n", nth,
		       strerror(-err));
		err = -EUCLEAN;
	}
out:
	if (l >= 0)
		close(l);
	return err;
}

/* The daemon side of a managed run, in a child; @nth arms its own thread. */
static int fd_daemon(int ctl, int nth, const struct tlsock_keys *tx, const struct tlsock_keys *rx,
		     bool tls13)
{
	struct tlsock_fd d;
	struct tlsock_fd_done done = { 0 };
	uint32_t id;
	int sockfd, err, fired;

	if (tlsock_fd_open(&d, true))
		return 1;
	if (write(ctl, "r", 1) != 1)
		return 1;
	fd_arm(nth);
	err = tlsock_fd_accept_wait(&d, &id, &sockfd, 10000);
	if (!err) {
		tlsock_fd_done_keys(&done, tx, rx);
		done.secret_len = tls13 ? 32 : 0;
		done.ticket_portid = tls13 ? d.portid : 0;
		err = tlsock_fd_send_done(&d, id, &done);
		close(sockfd);
	}
	/* not armed (nth 0), the counter reads 0 as well: that is no failure */
	fired = fd_fired() && nth;
	/* a ticket scenario: keep the port open until the parent is done */
	if (write(ctl, fired ? "f" : "n", 1) == 1) {
		char c;

		if (read(ctl, &c, 1) < 0)
			err = -EIO;
	}
	tlsock_fd_close(&d);
	return 0;
}

/* One run of @s with the @nth allocation failed.  *@fired: the failure happened. */
static int fd_run(enum fd_scenario s, int nth, bool *fired)
{
	struct tlsock_handshake req = { .role = TLSOCK_ROLE_CLIENT, .timeout_ms = 10000 };
	struct tlsock_keys tx, rx;
	int a = -1, b = -1, sv[2] = { -1, -1 }, err = 0;
	int64_t rule = -1;
	bool tls13 = true;
	pid_t pid = -1;
	char c = 0;

	*fired = false;
	tlsock_keys_init(&tx, tls13 ? TLS_1_3_VERSION : TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128);
	tlsock_keys_init(&rx, tls13 ? TLS_1_3_VERSION : TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128);
	if (s != FD_CHILD && (tlsock_tcp_pair(AF_INET, 0, &a, &b) || tlsock_attach(a, "tlsock")))
		return -EIO;

	if (s == FD_KEYS) {
		fd_arm(nth);
		err = tlsock_set_keys(a, true, &tx);
		if (!err)
			err = tlsock_set_keys(a, false, &rx);
		if (!err)
			err = fd_exchange(a, b, &tx, &rx);
		*fired = fd_fired();
		goto out;
	}

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -EIO;
	pid = fork();
	if (pid < 0)
		return -EIO;
	if (!pid) {
		close(sv[0]);
		_exit(fd_daemon(sv[1], s == FD_DONE ? nth : 0, &tx, &rx, tls13));
	}
	close(sv[1]);
	if (read(sv[0], &c, 1) != 1)
		return -EIO;
	if (s == FD_REQUEST || s == FD_TICKET)
		fd_arm(nth);
	if (s == FD_CHILD) {
		/* armed for accept() alone */
		err = fd_child(nth, fired, &a, &b, &rule);
		if (err == -EIO)
			goto out;
	} else {
		err = setsockopt(a, SOL_TLSOCK, TLSOCK_HANDSHAKE, &req, sizeof(req)) ? -errno : 0;
	}
	/*
	 * A request that failed in the application's thread may never have been
	 * announced: the stand-in (not armed here) would wait its full 10 s.
	 */
	if (err && s != FD_DONE) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	/* a failed handshake leaves no keys behind, not even one direction's */
	if (err && a >= 0) {
		struct tlsock_info info = { 0 };
		socklen_t len = sizeof(info);

		if (getsockopt(a, SOL_TLSOCK, TLSOCK_INFO, &info, &len) ||
		    info.state == TLSOCK_STATE_ESTABLISHED ||
		    (info.flags & (TLSOCK_INFO_F_TX | TLSOCK_INFO_F_RX))) {
			printf("# %s %d: failed with %s, TLSOCK_INFO state %u flags %#x\n",
			       fd_names[s], nth, strerror(-err), info.state, info.flags);
			err = -EUCLEAN;
		}
	}
	if (!err && s == FD_TICKET) {
		static const uint8_t nst[] = { 4, 0, 0, 8, 0, 0, 0, 60, 1, 2, 3, 4 };
		struct tlsock_rec_spec spec = { .type = TLSOCK_CT_HANDSHAKE };
		struct tlsock_urec u;
		uint8_t rec[128];
		ssize_t n;

		if (!tlsock_urec_init(&u, &rx)) {
			n = tlsock_urec_seal(&u, &spec, nst, sizeof(nst), rec, sizeof(rec));
			if (n > 0)
				tlsock_write_all(b, rec, n);
			tlsock_urec_free(&u);
			/* the exchange's records come after the ticket */
			for (n = 7; n >= 0 && !++rx.seq[n]; n--)
				;
		}
	}
	if (!err)
		err = fd_exchange(a, b, &tx, &rx);
	if (s == FD_REQUEST || s == FD_TICKET)
		*fired = fd_fired();
	/* refused: the peer is reset or sees the end, never an answer in plaintext */
	if (s == FD_CHILD && err == -ECONNABORTED) {
		char c2;

		if (recv(b, &c2, 1, 0) > 0)
			err = -EILSEQ;
	}
	if (read(sv[0], &c, 1) == 1 && c == 'f')
		*fired = true;
out:
	if (sv[0] >= 0) {
		if (pid > 0 && write(sv[0], "x", 1) < 0)
			err = err ?: -EIO;
		close(sv[0]);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	if (rule >= 0)
		fd_rule_del(rule);
	tlsock_keys_wipe(&tx);
	tlsock_keys_wipe(&rx);
	return err;
}

/*
 * tlsock keeps up to 8 released AES-GCM-128 transforms per suite for reuse
 * (aead_pool.c): with spares there, keying allocates nothing and its
 * allocations are never failed.  Holding FD_DRAIN keyed sockets (two
 * directions each) through a run takes every spare, so each run keys from
 * fresh allocations.
 */
#define FD_DRAIN	5

static int fd_drain(int fds[2 * FD_DRAIN])
{
	struct tlsock_keys k;
	int i, err = 0;

	tlsock_keys_init(&k, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128);
	for (i = 0; i < FD_DRAIN; i++) {
		if (tlsock_tcp_pair(AF_INET, 0, &fds[2 * i], &fds[2 * i + 1]) ||
		    tlsock_attach(fds[2 * i], "tlsock") ||
		    tlsock_set_keys(fds[2 * i], true, &k) || tlsock_set_keys(fds[2 * i], false, &k))
			err = -EIO;
	}
	tlsock_keys_wipe(&k);
	return err;
}

static void fd_undrain(int fds[2 * FD_DRAIN])
{
	int i;

	for (i = 0; i < 2 * FD_DRAIN; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/*
 * The watchdog: a process of its own, since a run stuck in the kernel
 * (uninterruptible sleep) never sees a signal.  Each run writes a byte to
 * @hb; when none comes for FD_HANG_S seconds it prints the kernel stacks of
 * every task of the run's process group, asks the kernel to list its
 * blocked tasks (sysrq w, into the log the VM runner shows), and kills the
 * group.
 */
#define FD_HANG_S	90

static void fd_dump_stacks(pid_t pgrp)
{
	char path[64], line[256];
	struct dirent *de;
	DIR *proc = opendir("/proc");

	while (proc && (de = readdir(proc))) {
		pid_t pid = atoi(de->d_name);
		FILE *f;

		if (pid <= 0 || getpgid(pid) != pgrp || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stack", pid);
		f = fopen(path, "r");
		if (!f)
			continue;
		printf("# stuck task %d:\n", pid);
		while (fgets(line, sizeof(line), f))
			printf("#   %s", line);
		fclose(f);
	}
	if (proc)
		closedir(proc);
	fflush(stdout);
}

static pid_t fd_watchdog(int *hb)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid) {
		close(p[0]);
		*hb = p[1];
		return pid;
	}
	close(p[1]);
	for (;;) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		char buf[64];
		int n = poll(&pfd, 1, FD_HANG_S * 1000);

		if (n > 0) {
			if (read(p[0], buf, sizeof(buf)) <= 0)
				_exit(0);	/* the driver is done */
			continue;
		}
		printf("# a run hung: no data and no errno within %d s\n", FD_HANG_S);
		fd_dump_stacks(getpgrp());
		write_str("/proc/sysrq-trigger", "w");
		kill(0, SIGKILL);
		_exit(3);
	}
}

int main(void)
{
	int s, failed = 0, err, hb;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..%d\n", FD_NSCEN);
	err = tlsock_netns_enter();
	if (!err)
		err = fd_setup();
	if (err) {
		for (s = 0; s < FD_NSCEN; s++)
			printf("not ok %d - fault %s: no fault injection here (%s): needs "
			       "make check KERNEL=debug\n", s + 1, fd_names[s], strerror(-err));
		return 1;
	}
	setpgid(0, 0);
	signal(SIGPIPE, SIG_IGN);
	if (fd_watchdog(&hb) < 0) {
		printf("not ok 1 - fault: no watchdog (%s)\n", strerror(errno));
		return 1;
	}
	for (s = 0; s < FD_NSCEN; s++) {
		int nth, errors = 0, intact = 0, bad = 0, drain[2 * FD_DRAIN];
		bool fired = true;

		for (nth = 1; fired && nth <= FD_MAX_NTH; nth++) {
			struct timespec t0, t1;

			if (write(hb, "", 1) != 1)
				return 1;
			memset(drain, -1, sizeof(drain));
			if (fd_drain(drain)) {
				printf("not ok %d - fault %s: cannot hold the spare transforms\n",
				       s + 1, fd_names[s]);
				return 1;
			}
			clock_gettime(CLOCK_MONOTONIC, &t0);
			err = fd_run(s, nth, &fired);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			fd_undrain(drain);
			if (fired)
				printf("# %s %d: %s, %.1f s\n", fd_names[s], nth,
				       err ? strerror(-err) : "intact",
				       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
			if (!fired)
				break;	/* the path has fewer than nth allocations: done */
			if (err == -EILSEQ || err == -EUCLEAN) {
				printf("# %s: allocation %d failed: %s\n", fd_names[s], nth,
				       err == -EILSEQ ? "wrong bytes came out" :
				       "the failure was not clean (keys left behind, or accept() "
				       "without ECONNABORTED)");
				bad++;
			} else if (err) {
				errors++;
			} else {
				intact++;
			}
		}
		if (fired)
			bad++;	/* still failing at FD_MAX_NTH: the path never ended */
		/* a scenario whose path allocates nothing through tlsock tests nothing */
		if (nth - 1 < 2) {
			printf("# %s: no allocation of tlsock was reached: the filter is wrong\n",
			       fd_names[s]);
			bad++;
		}
		printf("%s %d - fault %s: %d allocations failed one by one: %d ended in an errno, "
		       "%d went through intact, %d wrong\n", bad ? "not ok" : "ok", s + 1,
		       fd_names[s], nth - 1, errors, intact, bad);
		failed += !!bad;
	}
	return failed ? 1 : 0;
}
