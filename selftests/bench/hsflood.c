// SPDX-License-Identifier: GPL-2.0
/*
 * hsflood: managed-handshake requests beyond the module's caps (module parameters
 * hs_max_pending, per network namespace, and hs_max_pending_user, per user), against a stand-in
 * daemon (../lib/fake_daemon.c) that listens on the "tlsockd" group but answers nothing unless
 * this program tells it to. Nothing is timed: it counts.
 *
 * In a network namespace of its own (so the caps and counters are this run's alone):
 *  1. one user, the flooder, asks for --flood handshakes: past its share every request must be
 *     refused with EBUSY at once;
 *  2. another user asks for one while the flooder holds its share: it must be queued, and once
 *     the daemon claims and completes it, the socket carries records both ways;
 *  3. --users more users ask for --per-user handshakes each: each is held to its share, and all
 *     of them together to the namespace's cap;
 *  4. everything is closed: no request left (STATUS_GET shows none pending or active, ACCEPT
 *     finds none), tlsock's module reference count back where it was, the handshake counters
 *     add up (requested = ok + failed + timeout), the flooder's share free again, and the
 *     kernel's memory back near its reading before the run.
 * The kernel charges a request to the effective uid of the caller of TLSOCK_HANDSHAKE, so the
 * sockets are made and kept by this process (root) and each user's requests are made by a
 * short-lived child with that user's ids. Every request is non-blocking, client role, with the
 * longest timeout, so no request ends on its own during the run.
 *
 * Exit status: 0 everything as expected, 1 otherwise (the FAIL lines say what).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/tlsock.h>

#include "lib.h"
#include "fake_daemon.h"
#include "kmem.h"

#ifndef SOL_TLSOCK
#define SOL_TLSOCK 287
#endif

#define HF_PARAM_DIR	"/sys/module/tlsock/parameters/"
#define HF_DRAIN_MS	20000	/* longest wait for requests and sockets to go after close */
#define HF_WARM		8	/* requests made and closed before the first memory reading */
#define HF_MAX_USERS	64

struct hf_pair {
	int app;	/* the socket that asks for the handshake (ULP tlsock, non-blocking) */
	int peer;	/* the other end, plain unless the handshake completes */
	int res;	/* what TLSOCK_HANDSHAKE said: -EINPROGRESS when queued */
};

/* Requests of one user, and what the caps let through. */
struct hf_user {
	uid_t uid;
	unsigned int asked, queued, busy, other;
	unsigned int expect;	/* queued, by the caps */
};

static struct hf_pair *hf_pairs;
static unsigned int hf_npairs, hf_room;
static int hf_failed;
static unsigned int hf_cap, hf_cap_user;	/* the module's parameters */
static unsigned int hf_live, hf_live_user[HF_MAX_USERS + 2];	/* linked, as the caps see it */

static void hf_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void hf_fail(const char *fmt, ...)
{
	va_list ap;

	hf_failed = 1;
	fputs("hsflood: FAIL: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

static int hf_param(const char *name, unsigned int *v)
{
	char path[128];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), HF_PARAM_DIR "%s", name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	ok = fscanf(f, "%u", v) == 1;
	fclose(f);
	return ok ? 0 : -EPROTO;
}

static int hf_modref(long *v)
{
	FILE *f = fopen("/sys/module/tlsock/refcnt", "re");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%ld", v) == 1;
	fclose(f);
	return ok ? 0 : -EPROTO;
}

static void hf_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* n more connected pairs; the app end carries the ULP and is non-blocking. */
static int hf_open(unsigned int n)
{
	struct hf_pair *p;
	unsigned int i;
	int err;

	if (hf_npairs + n > hf_room) {
		p = realloc(hf_pairs, (hf_npairs + n) * sizeof(*p));
		if (!p)
			return -ENOMEM;
		hf_pairs = p;
		hf_room = hf_npairs + n;
	}
	for (i = 0; i < n; i++) {
		p = &hf_pairs[hf_npairs];
		err = tlsock_tcp_pair(AF_INET, 0, &p->app, &p->peer);
		if (err)
			return err;
		hf_npairs++;
		p->res = 0;
		err = tlsock_attach(p->app, "tlsock");
		if (!err)
			err = tlsock_set_nonblock(p->app, true);
		if (err)
			return err;
	}
	return 0;
}

/* Reset rather than close gracefully: no FIN_WAIT or TIME_WAIT leftovers in the last reading. */
static void hf_close_from(unsigned int first)
{
	struct linger lg = { 1, 0 };
	unsigned int i;

	for (i = first; i < hf_npairs; i++) {
		setsockopt(hf_pairs[i].app, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		setsockopt(hf_pairs[i].peer, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(hf_pairs[i].app);
		close(hf_pairs[i].peer);
	}
	hf_npairs = first;
}

/*
 * Pairs [first, first + n) ask for a handshake as @uid, from a child with that user's ids;
 * each pair's res gets the answer. Returns 0 or a negative errno of the machinery.
 */
static int hf_request_as(uid_t uid, unsigned int first, unsigned int n)
{
	struct tlsock_handshake req = {
		.role = TLSOCK_ROLE_CLIENT, .timeout_ms = TLSOCK_TIMEOUT_MAX_MS,
	};
	unsigned int i, got = 0;
	int fds[2], status, r;
	ssize_t k;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -errno;
	}
	if (!pid) {
		close(fds[0]);
		if (setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
			_exit(2);
		for (i = first; i < first + n; i++) {
			r = setsockopt(hf_pairs[i].app, SOL_TLSOCK, TLSOCK_HANDSHAKE, &req,
				       sizeof(req)) ? -errno : 0;
			if (write(fds[1], &r, sizeof(r)) != sizeof(r))
				_exit(3);
		}
		_exit(0);
	}
	close(fds[1]);
	while (got < n) {
		k = read(fds[0], &r, sizeof(r));
		if (k != sizeof(r))
			break;
		hf_pairs[first + got++].res = r;
	}
	close(fds[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) || got != n)
		return -ECHILD;
	return 0;
}

/*
 * One user's turn: n new pairs, n requests. Counts what came back, and what the caps should
 * have let through (the requests of one user come one after the other, so it is exact).
 */
static int hf_user_turn(struct hf_user *u, unsigned int slot, unsigned int n)
{
	unsigned int first = hf_npairs, i;
	int err;

	err = hf_open(n);
	if (!err)
		err = hf_request_as(u->uid, first, n);
	if (err)
		return err;
	u->asked = n;
	u->queued = u->busy = u->other = u->expect = 0;
	for (i = first; i < first + n; i++) {
		if (hf_pairs[i].res == -EINPROGRESS)
			u->queued++;
		else if (hf_pairs[i].res == -EBUSY)
			u->busy++;
		else
			u->other++;
		if (hf_live < hf_cap && hf_live_user[slot] < hf_cap_user) {
			hf_live++;
			hf_live_user[slot]++;
			u->expect++;
		}
	}
	printf("hsflood: uid %u asked %u: %u queued, %u EBUSY, %u other (the caps allow %u)\n",
	       u->uid, u->asked, u->queued, u->busy, u->other, u->expect);
	if (u->queued != u->expect || u->other) {
		hf_fail("uid %u: %u queued and %u other errors, expected %u queued", u->uid,
			u->queued, u->other, u->expect);
		for (i = first; i < first + n; i++)
			if (hf_pairs[i].res != -EINPROGRESS && hf_pairs[i].res != -EBUSY) {
				printf("hsflood: first other answer: %s\n", strerror(-hf_pairs[i].res));
				break;
			}
	}
	return 0;
}

/*
 * Throw away the READY announcements queued on the daemon's socket: they hold memory, and on a
 * full socket the kernel's answer to our next request would be dropped.
 */
static void hf_drain_daemon(struct tlsock_fd *d)
{
	uint8_t cmd;
	int err;

	do {
		err = tlsock_fd_wait_msg(d, 0, &cmd);
	} while (err != -ETIMEDOUT);
}

/* Pending and active requests in this namespace, from the daemon's side. */
static int hf_status(struct tlsock_fd *d, unsigned int *pending, unsigned int *active)
{
	uint8_t reply[1024];
	size_t rlen = sizeof(reply), len;
	const void *p, *a;
	int err;

	hf_drain_daemon(d);
	err = tlsock_fd_request(d, TLSOCK_CMD_STATUS_GET, NULL, reply, &rlen);
	if (err)
		return err;
	p = tlsock_fd_find_attr(reply, rlen, TLSOCK_A_STATUS_PENDING, &len);
	if (!p || len != sizeof(*pending))
		return -EPROTO;
	a = tlsock_fd_find_attr(reply, rlen, TLSOCK_A_STATUS_ACTIVE, &len);
	if (!a || len != sizeof(*active))
		return -EPROTO;
	memcpy(pending, p, sizeof(*pending));
	memcpy(active, a, sizeof(*active));
	return 0;
}

/* Wait until no request is left and tlsock's refcount is back to @ref0. */
static int hf_settle(struct tlsock_fd *d, long ref0, unsigned int *pending,
		     unsigned int *active, long *ref)
{
	unsigned int waited;
	int err;

	for (waited = 0;; waited += 100) {
		err = hf_status(d, pending, active);
		if (!err)
			err = hf_modref(ref);
		if (err)
			return err;
		if (!*pending && !*active && *ref == ref0)
			return 0;
		if (waited >= HF_DRAIN_MS)
			return -EBUSY;
		hf_sleep_ms(100);
	}
}

static int hf_tcp_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &len))
		return -errno;
	return ntohs(a.sin_port);
}

/*
 * The daemon claims requests, oldest first, until it holds @target's; the others stay claimed
 * and unanswered. Then it completes that one with keys, and the pair exchanges a record each
 * way (the peer given the matching keys). Returns 0 when all of that worked.
 */
static int hf_complete(struct tlsock_fd *d, struct hf_pair *target, unsigned int *claimed)
{
	struct tlsock_keys tx, rx;
	struct tlsock_fd_done done = { 0 };
	struct tlsock_info info;
	socklen_t ilen;
	int port, fd, err, i;
	uint32_t id;
	char c;

	port = hf_tcp_port(target->app);
	if (port < 0)
		return port;
	hf_drain_daemon(d);
	for (*claimed = 0;; ) {
		err = tlsock_fd_accept(d, &id, &fd);
		if (err)
			return err;
		++*claimed;
		err = hf_tcp_port(fd);
		close(fd);
		if (err == port)
			break;
		if (err < 0)
			return err;
	}
	err = tlsock_keys_init(&tx, TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128);
	if (!err)
		err = tlsock_keys_init(&rx, TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128);
	if (err)
		return err;
	tlsock_fd_done_keys(&done, &tx, &rx);
	err = tlsock_fd_send_done(d, id, &done);
	explicit_bzero(&done, sizeof(done));
	if (err)
		goto out;
	for (i = 0; i < 100; i++) {
		ilen = sizeof(info);
		if (getsockopt(target->app, SOL_TLSOCK, TLSOCK_INFO, &info, &ilen)) {
			err = -errno;
			goto out;
		}
		if (info.state != TLSOCK_STATE_PENDING)
			break;
		hf_sleep_ms(50);
	}
	if (info.state != TLSOCK_STATE_ESTABLISHED) {
		err = info.state == TLSOCK_STATE_FAILED ? -(int)info.error : -ETIMEDOUT;
		goto out;
	}
	/* the peer's transmit keys are the application's receive keys, and the other way */
	err = tlsock_attach(target->peer, "tlsock");
	if (!err)
		err = tlsock_set_keys(target->peer, true, &rx);
	if (!err)
		err = tlsock_set_keys(target->peer, false, &tx);
	if (!err)
		err = tlsock_set_nonblock(target->app, false);
	if (err)
		goto out;
	if (tlsock_write_all(target->app, "q", 1) != 1 || tlsock_read_full(target->peer, &c, 1) != 1 ||
	    c != 'q' || tlsock_write_all(target->peer, "a", 1) != 1 ||
	    tlsock_read_full(target->app, &c, 1) != 1 || c != 'a')
		err = -EIO;
out:
	tlsock_keys_wipe(&tx);
	tlsock_keys_wipe(&rx);
	return err;
}

/* Counters of this namespace's /proc/net/tlsock_stat. */
struct hf_stats {
	long requested, ok, failed, timeout, curr_tx, curr_rx;
};

static int hf_stats(struct hf_stats *s)
{
	int err;

	err = tlsock_stat_get("TlsockHandshakeRequested", &s->requested);
	if (!err)
		err = tlsock_stat_get("TlsockHandshakeOk", &s->ok);
	if (!err)
		err = tlsock_stat_get("TlsockHandshakeFailed", &s->failed);
	if (!err)
		err = tlsock_stat_get("TlsockHandshakeTimeout", &s->timeout);
	if (!err)
		err = tlsock_stat_get("TlsockCurrTx", &s->curr_tx);
	if (!err)
		err = tlsock_stat_get("TlsockCurrRx", &s->curr_rx);
	return err;
}

static int hf_nofile(unsigned int need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	if (rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max < need)
		rl.rlim_max = need;
	rl.rlim_cur = need;
	return setrlimit(RLIMIT_NOFILE, &rl) ? -errno : 0;
}

static void hf_usage(FILE *f)
{
	fprintf(f,
		"usage: hsflood [options]   (root, tlsock.ko loaded)\n"
		"  --flood N      requests of the flooding user (default 1000)\n"
		"  --users U      more users after it (default 4, at most %d)\n"
		"  --per-user M   requests of each of them (default 100)\n"
		"  --uid-base B   the flooder's uid; the others follow it (default 20000)\n",
		HF_MAX_USERS);
}

static int hf_parse(int argc, char **argv, unsigned int *flood, unsigned int *users,
		    unsigned int *per_user, uid_t *uid_base)
{
	static const struct option lo[] = {
		{ "flood", required_argument, NULL, 'f' },
		{ "users", required_argument, NULL, 'u' },
		{ "per-user", required_argument, NULL, 'p' },
		{ "uid-base", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	long v;
	int c;

	*flood = 1000;
	*users = 4;
	*per_user = 100;
	*uid_base = 20000;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (c == 'h')
			return 1;
		if (c == '?')
			return -EINVAL;
		v = atol(optarg);
		if (v < (c == 'u' ? 0 : 1) || v > (c == 'b' ? 60000 : 100000))
			return -EINVAL;
		if (c == 'f')
			*flood = v;
		else if (c == 'u')
			*users = v;
		else if (c == 'p')
			*per_user = v;
		else
			*uid_base = v;
	}
	if (optind != argc || *users > HF_MAX_USERS)
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int flood, nusers, per_user, claimed = 0, pending, active, i, total = 0;
	struct tlsock_bench_kmem m0, m1, m2;
	struct hf_user users[HF_MAX_USERS + 2];
	struct tlsock_fd d = { .nl = -1 };
	struct hf_stats st;
	long ref0, ref;
	uid_t uid_base;
	int err;

	err = hf_parse(argc, argv, &flood, &nusers, &per_user, &uid_base);
	if (err) {
		hf_usage(err > 0 ? stdout : stderr);
		return err > 0 ? 0 : 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	err = hf_param("hs_max_pending", &hf_cap);
	if (!err)
		err = hf_param("hs_max_pending_user", &hf_cap_user);
	if (!err)
		err = hf_nofile(2 * (flood + 1 + nusers * per_user + HF_WARM + 1) + 64);
	if (!err)
		err = tlsock_netns_enter();
	if (!err)
		err = tlsock_fd_open(&d, true);
	if (err) {
		printf("hsflood: FAIL: set-up (tlsock loaded? root?): %s\n", strerror(-err));
		return 1;
	}
	printf("hsflood: caps: hs_max_pending %u per namespace, hs_max_pending_user %u per user\n",
	       hf_cap, hf_cap_user);
	printf("hsflood: a stand-in daemon listens and answers nothing unless told\n");

	/* warm-up: the first requests' slab caches and the like, then the baseline */
	users[0].uid = uid_base;
	err = hf_modref(&ref0);
	if (!err)
		err = hf_open(HF_WARM);
	if (!err)
		err = hf_request_as(uid_base, 0, HF_WARM);
	hf_close_from(0);
	if (err)
		goto fatal;
	err = hf_settle(&d, ref0, &pending, &active, &ref);
	if (err)
		goto fatal;
	err = hf_stats(&st);
	if (err)
		goto fatal;
	total = st.requested;
	hf_drain_daemon(&d);
	err = tlsock_bench_kmem_read(&m0);
	if (err)
		goto fatal;

	/* 1: the flooder */
	err = hf_user_turn(&users[0], 0, flood);
	if (err)
		goto fatal;
	total += flood;

	/* 2: another user, while the flooder holds its share; the daemon completes it */
	users[1].uid = uid_base + 1;
	err = hf_user_turn(&users[1], 1, 1);
	if (err)
		goto fatal;
	total++;
	if (users[1].queued == 1) {
		err = hf_complete(&d, &hf_pairs[hf_npairs - 1], &claimed);
		if (err)
			hf_fail("uid %u's handshake did not complete: %s", users[1].uid,
				strerror(-err));
		else
			printf("hsflood: uid %u's handshake went through: daemon claimed %u requests to reach it, completed it, one record each way\n",
			       users[1].uid, claimed);
		hf_live--;
		hf_live_user[1]--;
	}

	/* 3: more users, up to the namespace's cap and past it */
	for (i = 0; i < nusers; i++) {
		users[2 + i].uid = uid_base + 2 + i;
		err = hf_user_turn(&users[2 + i], 2 + i, per_user);
		if (err)
			goto fatal;
		total += per_user;
	}
	err = hf_status(&d, &pending, &active);
	if (err)
		goto fatal;
	tlsock_bench_kmem_read(&m1);
	printf("hsflood: at the peak: %u requests pending, %u claimed by the daemon (%u linked expected), %u sockets open\n",
	       pending, active, hf_live, 2 * hf_npairs);
	if (pending + active != hf_live)
		hf_fail("the module holds %u requests, the caps allow %u", pending + active,
			hf_live);

	/* 4: close everything; nothing may stay */
	hf_close_from(0);
	err = hf_settle(&d, ref0, &pending, &active, &ref);
	if (err && err != -EBUSY)
		goto fatal;
	printf("hsflood: after close: %u pending, %u claimed, tlsock refcnt %+ld\n", pending,
	       active, ref - ref0);
	if (err)
		hf_fail("requests or sockets left after close");
	hf_drain_daemon(&d);
	err = tlsock_fd_accept(&d, &(uint32_t){ 0 }, &(int){ -1 });
	if (err != -EAGAIN)
		hf_fail("ACCEPT after close: %s, expected EAGAIN (nothing left)", strerror(-err));
	err = hf_stats(&st);
	if (err)
		goto fatal;
	printf("hsflood: counters: requested %ld (made %u), ok %ld, failed %ld, timeout %ld, curr tx/rx %ld/%ld\n",
	       st.requested, total, st.ok, st.failed, st.timeout, st.curr_tx, st.curr_rx);
	if (st.requested != total || st.requested != st.ok + st.failed + st.timeout ||
	    st.ok != (users[1].queued == 1) || st.timeout || st.curr_tx || st.curr_rx)
		hf_fail("the counters do not add up");

	/* the flooder's share is free again */
	err = hf_open(1);
	if (!err)
		err = hf_request_as(uid_base, 0, 1);
	if (err)
		goto fatal;
	if (hf_pairs[0].res != -EINPROGRESS)
		hf_fail("the flooder's next request after close: %s, expected EINPROGRESS",
			strerror(-hf_pairs[0].res));
	else
		printf("hsflood: the flooder's share is free again: a new request is queued\n");
	hf_close_from(0);
	err = hf_settle(&d, ref0, &pending, &active, &ref);
	if (err)
		goto fatal;
	hf_drain_daemon(&d);
	hf_sleep_ms(500);
	err = tlsock_bench_kmem_read_settled(&m2);
	if (err)
		goto fatal;
	printf("hsflood: kernel memory: %.0f KiB above the start at the peak, %.0f KiB after close (residue)\n",
	       tlsock_bench_kmem_kb(&m1) - tlsock_bench_kmem_kb(&m0),
	       tlsock_bench_kmem_kb(&m2) - tlsock_bench_kmem_kb(&m0));

	printf("\n== Summary (key=value) ==\n");
	printf("flood.cap=%u\nflood.cap_user=%u\n", hf_cap, hf_cap_user);
	for (i = 0; i < nusers + 2; i++)
		printf("flood.uid%u.asked=%u\nflood.uid%u.queued=%u\nflood.uid%u.ebusy=%u\n",
		       users[i].uid, users[i].asked, users[i].uid, users[i].queued, users[i].uid,
		       users[i].busy);
	printf("flood.other_user_through=%s\n", users[1].queued == 1 && st.ok == 1 ? "yes" : "no");
	printf("flood.peak_kib=%.0f\nflood.residue_kib=%.0f\n",
	       tlsock_bench_kmem_kb(&m1) - tlsock_bench_kmem_kb(&m0),
	       tlsock_bench_kmem_kb(&m2) - tlsock_bench_kmem_kb(&m0));
	printf("flood.verdict=%s\n", hf_failed ? "FAIL" : "ok");
	tlsock_fd_close(&d);
	free(hf_pairs);
	return hf_failed;
fatal:
	printf("hsflood: FAIL: %s\n", strerror(-err));
	hf_close_from(0);
	tlsock_fd_close(&d);
	free(hf_pairs);
	return 1;
}
