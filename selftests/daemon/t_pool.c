// SPDX-License-Identifier: GPL-2.0
/*
 * Finding 16 of issue 9: idle and slow peers must not hold every worker.
 *
 * The daemon's pool in small: a few threads take claimed requests in the
 * order they come, as workers take them from the kernel's queue, and each
 * does what serve() in loop.c does: admission (admit.c), then the
 * handshake.  Server requests come from peers that spoke once (as the
 * kernel requires: hs_first_byte_ms) and then go quiet, or trickle.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "hst.h"
#include "tests.h"

#define POOL_MAX	8

/**
 * struct job - a claimed request and what became of it
 * @req: the request (its descriptor is the worker's to close)
 * @res: outcome
 * @queued: when it was queued (CLOCK_MONOTONIC ms)
 * @took: ms from @queued to the end of its handshake (or its refusal)
 * @done: the worker is done with it (pool.lock)
 * @next: queue link (pool.lock)
 */
struct job {
	struct tlsockd_request req;
	struct tlsockd_result res;
	int64_t queued;
	int64_t took;
	bool done;
	struct job *next;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	const struct tlsockd_gen *gen;
	struct job *head;		/* lock */
	struct job **tail;		/* lock */
	bool stop;			/* lock */
	unsigned int n;
	pthread_t threads[POOL_MAX];
} pool = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

/* serve() of loop.c, but for the netlink messages */
static void pool_serve(struct job *j)
{
	int err;

	err = tlsockd_admit(pool.gen->conf, &j->req, j->res.reason, sizeof(j->res.reason));
	if (err) {
		j->res.status = -err;
	} else {
		tlsockd_handshake(pool.gen, &j->req, &j->res);
		tlsockd_admit_end(&j->req);
	}
	close(j->req.fd);
}

static void *pool_worker(void *arg)
{
	struct job *j;

	(void)arg;
	pthread_mutex_lock(&pool.lock);
	for (;;) {
		while (!pool.head && !pool.stop)
			pthread_cond_wait(&pool.cond, &pool.lock);
		if (!pool.head)
			break;
		j = pool.head;
		pool.head = j->next;
		if (!pool.head)
			pool.tail = &pool.head;
		pthread_mutex_unlock(&pool.lock);
		pool_serve(j);
		pthread_mutex_lock(&pool.lock);
		j->took = tlsockd_now_ms() - j->queued;
		j->done = true;
		pthread_cond_broadcast(&pool.cond);
	}
	pthread_mutex_unlock(&pool.lock);
	return NULL;
}

static int pool_start(const struct tlsockd_gen *gen, unsigned int n)
{
	int err = 0;

	pool.gen = gen;
	pool.head = NULL;
	pool.tail = &pool.head;
	pool.stop = false;
	tlsockd_admit_init(n);
	for (pool.n = 0; pool.n < n && !err; pool.n++)
		err = -pthread_create(&pool.threads[pool.n], NULL, pool_worker, NULL);
	return err;
}

/* Let the workers finish what is queued, and end them. */
static void pool_stop(void)
{
	unsigned int i;

	pthread_mutex_lock(&pool.lock);
	pool.stop = true;
	pthread_cond_broadcast(&pool.cond);
	pthread_mutex_unlock(&pool.lock);
	for (i = 0; i < pool.n; i++)
		pthread_join(pool.threads[i], NULL);
	pool.n = 0;
	tlsockd_admit_init(0);
}

static void pool_queue(struct job *j)
{
	pthread_mutex_lock(&pool.lock);
	j->queued = tlsockd_now_ms();
	j->done = false;
	j->next = NULL;
	*pool.tail = j;
	pool.tail = &j->next;
	pthread_cond_broadcast(&pool.cond);
	pthread_mutex_unlock(&pool.lock);
}

static bool job_done(struct job *j)
{
	bool done;

	pthread_mutex_lock(&pool.lock);
	done = j->done;
	pthread_mutex_unlock(&pool.lock);
	return done;
}

static void job_wait(struct job *j)
{
	pthread_mutex_lock(&pool.lock);
	while (!j->done)
		pthread_cond_wait(&pool.cond, &pool.lock);
	pthread_mutex_unlock(&pool.lock);
}

/*
 * A server request from a peer at @src that sent one byte (the start of a
 * record header) and nothing since.  @peer: the peer's end, the caller's.
 */
static int quiet_server(struct job *j, const char *src, int *peer)
{
	int sfd, err;

	err = hst_connect(NULL, src, false, peer, &sfd);
	if (!err && send(*peer, "\x16", 1, 0) != 1)
		err = -errno;
	if (!err)
		err = hst_request(&j->req, sfd, TLSOCK_ROLE_SERVER, "psrv", NULL);
	if (err) {
		if (sfd >= 0)
			close(sfd);
		return err;
	}
	tlsockd_result_reset(&j->res);
	return 0;
}

#define POOL_CONF(extra) "[daemon]\n" extra \
	"[profile psrv]\ncert = @/server.pem\nkey = @/server.key\nca = @/ca.pem\n" \
	"[profile pcli]\nca = @/ca.pem\ntickets = no\n"

#define QUIET	6	/* server requests that go quiet */

/*
 * More quiet peers than the pool has workers, then a client request: it
 * must get a worker at once and complete, where it waited for the quiet
 * ones' deadlines (5 s) before.
 */
static void f16_quiet_servers_leave_clients_a_worker(void)
{
	struct tlsockd_gen *gen = NULL;
	struct job *jobs = calloc(QUIET + 2, sizeof(*jobs)), *cj = &jobs[QUIET];
	struct tlsockd_result *remote = &jobs[QUIET + 1].res;
	int peers[QUIET], cfd = -1, sfd = -1, i, held = 0, busy = 0;
	struct hst_end srv;
	bool remote_run = false;

	for (i = 0; i < QUIET; i++)
		peers[i] = -1;
	if (!jobs || hst_gen(POOL_CONF("workers = 4\nhandshake_idle_ms = 1500\n"), &gen) ||
	    pool_start(gen, 4)) {
		CHECK(false, "setup");
		goto out;
	}
	for (i = 0; i < QUIET; i++) {
		if (quiet_server(&jobs[i], NULL, &peers[i])) {
			CHECK(false, "quiet peer %d: %s", i, strerror(errno));
			goto out_pool;
		}
		pool_queue(&jobs[i]);
	}
	/* the client's connection, its server end run elsewhere (another host) */
	if (hst_connect(NULL, NULL, false, &cfd, &sfd) ||
	    hst_request(&cj->req, cfd, TLSOCK_ROLE_CLIENT, "pcli", "server.test") ||
	    hst_end_start(&srv, gen, sfd, TLSOCK_ROLE_SERVER, "psrv", NULL, remote)) {
		CHECK(false, "client connection: %s", strerror(errno));
		goto out_pool;
	}
	remote_run = true;
	tlsockd_result_reset(&cj->res);
	pool_queue(cj);
	cfd = -1;	/* the worker's */
	job_wait(cj);
	/* slack for the test VM's emulated CPU: the quiet peers' deadline is 5000 ms */
	CHECK(!cj->res.status && cj->took < 3000, "client: %s (%s) after %lld ms; expected ok "
	      "within 3000 ms", tlsockd_errname(cj->res.status), cj->res.reason,
	      (long long)cj->took);
	for (i = 0; i < QUIET; i++) {
		job_wait(&jobs[i]);
		if (jobs[i].res.status == EBUSY && jobs[i].took < 1000) {
			busy++;
		} else if (jobs[i].res.status == ETIMEDOUT && jobs[i].took < 4000 &&
			   strstr(jobs[i].res.reason, "idle")) {
			held++;
		} else {
			CHECK(false, "quiet peer %d: %s (%s) after %lld ms", i,
			      tlsockd_errname(jobs[i].res.status), jobs[i].res.reason,
			      (long long)jobs[i].took);
		}
	}
	/* a quarter of 4 workers (1) is kept for clients */
	CHECK(held == 3 && busy == QUIET - 3, "%d quiet peers held a worker until cut, %d "
	      "refused at once; expected 3 and %d", held, busy, QUIET - 3);
out_pool:
	pool_stop();
	if (remote_run)
		pthread_join(srv.thread, NULL);
out:
	for (i = 0; i < QUIET; i++)
		if (peers[i] >= 0)
			close(peers[i]);
	if (cfd >= 0)
		close(cfd);
	if (sfd >= 0)
		close(sfd);
	tlsockd_gen_put(gen);
	if (jobs) {
		tlsockd_result_wipe(&cj->res);
		tlsockd_result_wipe(remote);
	}
	free(jobs);
}
HST_DEFINE(f16_quiet_servers_leave_clients_a_worker);

/* max_per_peer = 2: a third handshake with one address is refused; another address is not. */
static void f16_peer_over_limit_busy(void)
{
	static const char *const src[] = { "127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.3" };
	struct tlsockd_gen *gen = NULL;
	struct job *jobs = calloc(4, sizeof(*jobs));
	int peers[4] = { -1, -1, -1, -1 }, i, busy = 0;

	if (!jobs || hst_gen(POOL_CONF("workers = 8\nmax_per_peer = 2\n"
				       "handshake_idle_ms = 1000\n"), &gen) || pool_start(gen, 8)) {
		CHECK(false, "setup");
		goto out;
	}
	for (i = 0; i < 4; i++) {
		if (quiet_server(&jobs[i], src[i], &peers[i])) {
			CHECK(false, "quiet peer %d: %s", i, strerror(errno));
			break;
		}
		pool_queue(&jobs[i]);
	}
	for (; i > 0; i--)
		job_wait(&jobs[i - 1]);
	for (i = 0; i < 3; i++)
		busy += jobs[i].res.status == EBUSY;
	CHECK(busy == 1, "%d of 3 handshakes with 127.0.0.1 refused with EBUSY; expected 1",
	      busy);
	CHECK(jobs[3].res.status == ETIMEDOUT, "127.0.0.3: %s (%s); expected ETIMEDOUT "
	      "(admitted, then cut)", tlsockd_errname(jobs[3].res.status), jobs[3].res.reason);
	for (i = 0; i < 4; i++)
		if (jobs[i].res.status == EBUSY)
			CHECK(strstr(jobs[i].res.reason, "max_per_peer"), "reason: %s",
			      jobs[i].res.reason);
	pool_stop();
out:
	for (i = 0; i < 4; i++)
		if (peers[i] >= 0)
			close(peers[i]);
	tlsockd_gen_put(gen);
	free(jobs);
}
HST_DEFINE(f16_peer_over_limit_busy);

/*
 * A peer that trickles a ClientHello, a byte every 100 ms: never quiet for
 * long, but its record does not come whole within handshake_idle_ms.
 */
static void f16_trickling_peer_cut(void)
{
	static const uint8_t hdr[] = { 0x16, 0x03, 0x01, 0x02, 0x00 };	/* 512 bytes follow */
	struct tlsockd_gen *gen = NULL;
	struct job *j = calloc(1, sizeof(*j));
	int peer = -1, sfd = -1, sent = 0;

	if (!j || hst_gen(POOL_CONF("workers = 2\nhandshake_idle_ms = 1000\n"), &gen) ||
	    pool_start(gen, 2)) {
		CHECK(false, "setup");
		goto out;
	}
	if (hst_connect(NULL, NULL, false, &peer, &sfd) ||
	    hst_request(&j->req, sfd, TLSOCK_ROLE_SERVER, "psrv", NULL)) {
		CHECK(false, "connection: %s", strerror(errno));
		if (sfd >= 0)
			close(sfd);
		goto out_pool;
	}
	tlsockd_result_reset(&j->res);
	pool_queue(j);
	while (!job_done(j) && sent < 60) {
		uint8_t b = sent < (int)sizeof(hdr) ? hdr[sent] : 0;

		if (send(peer, &b, 1, MSG_NOSIGNAL) != 1)
			break;
		sent++;
		usleep(100000);
	}
	job_wait(j);
	CHECK(j->res.status == ETIMEDOUT && j->took < 4000 && strstr(j->res.reason, "idle"),
	      "server: %s (%s) after %lld ms and %d bytes; expected ETIMEDOUT (peer idle) "
	      "within 4000 ms", tlsockd_errname(j->res.status), j->res.reason,
	      (long long)j->took, sent);
out_pool:
	pool_stop();
out:
	if (peer >= 0)
		close(peer);
	tlsockd_gen_put(gen);
	free(j);
}
HST_DEFINE(f16_trickling_peer_cut);

/* Parse @text as tlsockd.conf: 0 and the configuration, or the error and why. */
static int conf_parse(const char *text, struct tlsockd_conf **conf, char *why, size_t whylen)
{
	char path[128];
	int err;

	*conf = NULL;
	err = hst_write("limits.conf", text);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/limits.conf", hst_dir);
	return tlsockd_conf_read(path, conf, why, whylen);
}

/* The [daemon] keys of finding 16: defaults, bounds, and the reserve they make. */
static void f16_conf_limits(void)
{
	struct tlsockd_conf *conf;
	char why[512] = "";
	int err;

	err = conf_parse("[daemon]\nworkers = 8\n", &conf, why, sizeof(why));
	CHECK(!err, "defaults: %s", why);
	if (!err) {
		CHECK(conf->max_per_peer == 8 && conf->idle_ms == 3000,
		      "max_per_peer %u handshake_idle_ms %u; expected 8 and 3000",
		      conf->max_per_peer, conf->idle_ms);
		CHECK(tlsockd_admit_reserve(conf, 8) == 2 && tlsockd_admit_reserve(conf, 1) == 0 &&
		      tlsockd_admit_reserve(conf, 2) == 1, "reserve of 8, 1, 2 workers: %u %u %u",
		      tlsockd_admit_reserve(conf, 8), tlsockd_admit_reserve(conf, 1),
		      tlsockd_admit_reserve(conf, 2));
		/* the pool's last two of eight take clients only; no pool, no filter */
		tlsockd_admit_init(8);
		CHECK(!tlsockd_admit_roles(conf, 0) && !tlsockd_admit_roles(conf, 5) &&
		      tlsockd_admit_roles(conf, 6) == TLSOCK_ROLE_CLIENT &&
		      tlsockd_admit_roles(conf, 7) == TLSOCK_ROLE_CLIENT,
		      "roles of workers 0, 5, 6, 7 of 8: %u %u %u %u", tlsockd_admit_roles(conf, 0),
		      tlsockd_admit_roles(conf, 5), tlsockd_admit_roles(conf, 6),
		      tlsockd_admit_roles(conf, 7));
		tlsockd_admit_init(0);
		CHECK(!tlsockd_admit_roles(conf, 7), "roles without a pool: %u",
		      tlsockd_admit_roles(conf, 7));
		tlsockd_conf_free(conf);
	}
	err = conf_parse("[daemon]\nworkers = 4\nclient_workers = 0\nmax_per_peer = 0\n"
			 "handshake_idle_ms = 0\n", &conf, why, sizeof(why));
	CHECK(!err, "all off: %s", why);
	if (!err) {
		CHECK(tlsockd_admit_reserve(conf, 4) == 0 && !conf->max_per_peer && !conf->idle_ms,
		      "reserve %u max_per_peer %u handshake_idle_ms %u; expected all 0",
		      tlsockd_admit_reserve(conf, 4), conf->max_per_peer, conf->idle_ms);
		tlsockd_conf_free(conf);
	}
	err = conf_parse("[daemon]\nworkers = 4\nclient_workers = 4\n", &conf, why, sizeof(why));
	CHECK(err && strstr(why, "client_workers"), "client_workers = workers: %s",
	      err ? why : "accepted");
	if (!err)
		tlsockd_conf_free(conf);
	err = conf_parse("[daemon]\nhandshake_idle_ms = 50\n", &conf, why, sizeof(why));
	CHECK(err && strstr(why, ":2: bad value"), "handshake_idle_ms = 50: %s",
	      err ? why : "accepted");
	if (!err)
		tlsockd_conf_free(conf);
}
HST_DEFINE(f16_conf_limits);
