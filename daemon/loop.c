// SPDX-License-Identifier: GPL-2.0
/*
 * tlsockd's event loop and handshake workers.
 *
 * Concurrency model
 *
 * The main thread owns the listening netlink socket (group "tlsockd") and
 * a signalfd, and never runs a handshake.  A fixed pool of worker threads
 * (tlsockd.conf "workers") runs them.  Each worker has its own netlink
 * socket, because the kernel accepts DONE only from the socket that sent
 * the ACCEPT, and libnl sockets are not shared between threads.
 *
 * An idle worker parks its socket in the kernel (the PARK flag of its
 * ACCEPT, or of the DONE that ends its handshake) and sleeps in recv on
 * it.  The kernel announces each new request with a READY unicast to one
 * parked socket, most recently parked first, so exactly one idle worker
 * wakes and claims it with ACCEPT: no relay through the main thread, no
 * herd.  A worker that finds nothing parks again.  When every worker is
 * busy the kernel multicasts READY instead, which only the main thread
 * hears; the requests wait in the kernel's queue (it has its own cap and
 * timeout), and a worker that parks while one is queued is told at once.
 * Idle waits end after a second anyway, and the worker then sweeps the
 * queue with ACCEPT: a safety net for a lost READY.  A worker runs each
 * handshake to completion with blocking I/O bounded by the request's
 * deadline (transport.c), closes its descriptor for the socket and reports
 * DONE.  So at most "workers" handshakes run at once.  There is no fork
 * per handshake, and every handshake uses the
 * credentials loaded once per configuration generation (creds.c).
 *
 * Since a handshake holds its worker until it ends, the peers must not be
 * able to hold them all.  Three bounds, each at a different point:
 *
 *  - Before a worker is taken at all: the kernel hands a server's request
 *    over only once its peer sent a byte (hs_first_byte_ms), and caps each
 *    user's pending requests (hs_max_pending_user).
 *  - Which requests a worker claims (admit.c): server handshakes may hold
 *    all workers but "client_workers", so outgoing connections of this
 *    host always find one.  The last "client_workers" workers tell the
 *    kernel they take clients only (the role filter of ACCEPT and of a
 *    parking DONE); server requests beyond the others' capacity wait in
 *    the kernel's queue rather than being claimed and refused.
 *  - When a worker has claimed a request (admit.c, before any byte of the
 *    handshake): at most "max_per_peer" server handshakes may be with one
 *    peer address.  A request over it is failed at once with EBUSY: a
 *    DONE, not a handshake, and the worker goes on to the next request.
 *  - While the handshake runs (transport.c): each record of the peer must
 *    arrive whole within "handshake_idle_ms" of the last progress, so a
 *    peer that goes quiet, or trickles, is cut with ETIMEDOUT long before
 *    the request's deadline.
 *
 * A worker so held by a hostile peer is held for handshake_idle_ms per
 * record at most; a worker refusing a request is held for a DONE.
 *
 * At start the main thread loads the configuration, joins the group (from
 * then on the kernel queues requests for us instead of failing them with
 * ESRCH), starts the workers and waits until each has parked once, and
 * adds the transparent TLS rules of the file (policy.c; one refused rule
 * and the daemon exits with none of them left); then, and only then, it
 * logs "ready (...)" and tells a supervisor READY=1 (notify.c).  At a
 * clean stop it deletes those rules again, first of all.
 *
 * SIGHUP, or a change to the configuration file or to a certificate, key,
 * trust store or CRL it names (inotify, watch.c), makes the main thread
 * load a new generation and publish it; each
 * handshake holds a reference on the generation it started with, so live
 * handshakes are not disturbed.  The rules stay those of the start: a
 * reload whose rules differ says they take effect at the next start.  SIGTERM/SIGINT close the listening socket
 * (new requests then fail at once with ESRCH), let every worker finish the
 * handshake it runs, and exit.  Sockets whose handshake completed belong to
 * the kernel and do not depend on the daemon at all.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>

#include "tlsockd.h"

struct worker {
	pthread_t thread;
	struct tlsockd_nl *nl;
	struct tlsockd_result *res;	/* reused by each handshake, wiped after each */
	unsigned int index;		/* in the pool: which roles it takes (admit.c) */
	bool parked;			/* its first ACCEPT returned (own thread only) */
};

static struct {
	pthread_mutex_t lock;
	unsigned int nworkers;
	unsigned int parked;	/* lock: workers whose first ACCEPT returned */
	bool stop;		/* lock */
} pool = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

/* Longest idle wait of a worker: how often it sweeps the queue regardless. */
#define IDLE_WAIT_MS	1000

static bool stopping(void)
{
	bool stop;

	pthread_mutex_lock(&pool.lock);
	stop = pool.stop;
	pthread_mutex_unlock(&pool.lock);
	return stop;
}

static const char *role_name(uint32_t role)
{
	return role == TLSOCK_ROLE_SERVER ? "server" : "client";
}

/* @ms: whole milliseconds (the clock's resolution; no floating point to format) */
static void log_result(const struct tlsockd_request *req, const struct tlsockd_result *res,
		       long long ms, int kerr)
{
	char peer[64], rule[24] = "";

	tlsockd_format_addr(&req->peer, req->peer_len, peer, sizeof(peer));
	if (!res->status && !kerr) {
		/* the line of every handshake, built without printf (see log.c) */
		struct tlsockd_line l;

		tlsockd_line_init(&l);
		tlsockd_line_str(&l, "req ");
		tlsockd_line_dec(&l, req->id);
		if (req->rule_id) {
			tlsockd_line_str(&l, " rule ");
			tlsockd_line_dec(&l, req->rule_id);
		}
		tlsockd_line_str(&l, req->role == TLSOCK_ROLE_SERVER ? " server peer " :
								      " client peer ");
		tlsockd_line_str(&l, peer);
		tlsockd_line_str(&l, " profile ");
		tlsockd_line_str(&l, req->profile[0] ? req->profile : "default");
		tlsockd_line_str(&l, " name \"");
		tlsockd_line_str(&l, req->server_name);
		tlsockd_line_str(&l, "\": ok version ");
		tlsockd_line_str(&l, res->version_name);
		tlsockd_line_str(&l, " cipher ");
		tlsockd_line_str(&l, res->cipher_name);
		tlsockd_line_str(&l, res->resumed ? " resumed yes" : " resumed no");
		tlsockd_line_str(&l, res->verified ? " verified yes" : " verified no");
		tlsockd_line_str(&l, " identity \"");
		tlsockd_line_str(&l, res->subject);
		tlsockd_line_str(&l, "\"");
		if (res->nsan) {
			tlsockd_line_str(&l, " san ");
			tlsockd_line_str(&l, res->san[0]);
		}
		tlsockd_line_str(&l, " duration ");
		tlsockd_line_dec(&l, ms > 0 ? ms : 0);
		tlsockd_line_str(&l, " ms");
		tlsockd_log_line(LOG_INFO, &l);
		return;
	}
	if (req->rule_id)
		snprintf(rule, sizeof(rule), " rule %u", req->rule_id);
	if (res->status) {
		tlsockd_log(LOG_NOTICE,
			    "req %u%s %s peer %s profile %s name \"%s\": failed %s (%s) "
			    "duration %lld ms%s%s",
			    req->id, rule, role_name(req->role), peer,
			    req->profile[0] ? req->profile : "default", req->server_name,
			    tlsockd_errname(res->status), res->reason[0] ? res->reason : "-", ms,
			    kerr ? ", kernel: " : "", kerr ? tlsockd_errname(kerr) : "");
		return;
	}
	tlsockd_log(LOG_NOTICE,
		    "req %u%s %s peer %s: handshake ok (%s %s) but the kernel refused it: %s "
		    "duration %lld ms",
		    req->id, rule, role_name(req->role), peer, res->version_name, res->cipher_name,
		    kerr == -ENOENT ? "request gone (timed out or socket closed)" :
				      tlsockd_errname(kerr), ms);
}

static void serve(struct worker *w, const struct tlsockd_request *req)
{
	struct tlsockd_result *res = w->res;
	struct tlsockd_gen *gen;
	int64_t t0 = tlsockd_now_ms();
	int err, kerr;

	tlsockd_result_reset(res);
	gen = tlsockd_gen_get();
	if (!gen) {
		close(req->fd);
		res->status = ENOMEM;
		tlsockd_nl_done(w->nl, req->id, res, true);
		return;
	}
	err = tlsockd_admit(gen->conf, req, res->reason, sizeof(res->reason));
	if (err) {
		res->status = -err;	/* at once: the worker is not held */
	} else {
		tlsockd_handshake(gen, req, res);
		tlsockd_admit_end(req);
	}
	/*
	 * Done with the socket before DONE: the application holds it until DONE
	 * wakes it (if it closed it meanwhile, the request is cancelled either
	 * way), so this never releases it.  Closed after DONE, this descriptor
	 * was often the last one: the application's close then left the
	 * close_notify and FIN to this worker, sent only once it ran again.
	 */
	close(req->fd);
	/* idle from here on: parked with the same message, for the roles it takes now */
	tlsockd_nl_set_role_filter(w->nl, tlsockd_admit_roles(gen->conf, w->index));
	kerr = tlsockd_nl_done(w->nl, req->id, res, true);
	if (res->ticket_portid && (kerr || res->status))
		tlsockd_resume_release(req->id);	/* no ticket will come */
	log_result(req, res, tlsockd_now_ms() - t0, kerr);
	tlsockd_result_wipe(res);
	tlsockd_gen_put(gen);
}

/*
 * A handshake is a few short bursts of work on the path of a connection's
 * set-up: ask the scheduler for a short slice (EEVDF, Linux 6.12), which
 * gives the worker an earlier deadline when it wakes, not a larger share.
 * Older kernels ignore it or refuse it; either way nothing else changes.
 */
#define WORKER_SLICE_NS	200000

/* struct sched_attr of <linux/sched/types.h>, version 0 (that header clashes with glibc's) */
struct worker_sched_attr {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
};

static void worker_short_slice(void)
{
	struct worker_sched_attr attr = {
		.size = sizeof(attr),
		.sched_policy = SCHED_OTHER,
		.sched_runtime = WORKER_SLICE_NS,
	};

	errno = 0;
	attr.sched_nice = getpriority(PRIO_PROCESS, 0);
	if (!errno)
		syscall(SYS_sched_setattr, 0, &attr, 0);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct tlsockd_request req;
	struct tlsockd_gen *gen;
	int err;

	worker_short_slice();
	while (!stopping()) {
		gen = tlsockd_gen_get();
		if (gen) {
			tlsockd_nl_set_role_filter(w->nl, tlsockd_admit_roles(gen->conf, w->index));
			tlsockd_gen_put(gen);
		}
		err = tlsockd_nl_accept(w->nl, &req, true);
		if (!w->parked && (!err || err == -EAGAIN)) {
			/* the kernel knows this worker now: READYs find it */
			w->parked = true;
			pthread_mutex_lock(&pool.lock);
			pool.parked++;
			pthread_mutex_unlock(&pool.lock);
		}
		if (!err)
			serve(w, &req);	/* closes req.fd */
		else if (err != -EAGAIN)
			tlsockd_log(LOG_ERR, "accept: %s", strerror(-err));
		/* parked (by ACCEPT or DONE): READY, a poke or the timeout ends it */
		tlsockd_nl_wait(w->nl);
	}
	return NULL;
}

static int watch_fd = -1;
/* the generation whose configuration's rules are in the kernel (policy.c) */
static struct tlsockd_gen *rules_gen;

static int reload(const char *path)
{
	struct tlsockd_conf *conf;
	struct tlsockd_gen *gen;
	char why[512] = "";
	int err;

	err = tlsockd_conf_read(path, &conf, why, sizeof(why));
	if (!err)
		err = tlsockd_gen_load(conf, &gen, why, sizeof(why));
	if (err) {
		tlsockd_log(LOG_ERR, "reload of %s failed, keeping the running configuration: %s",
			    path, why);
		return err;
	}
	if (watch_fd >= 0)
		tlsockd_watch_set(watch_fd, gen->conf, path);
	tlsockd_log(LOG_NOTICE, "configuration reloaded from %s (%zu profiles)", path,
		    gen->conf->nprofiles);
	if (rules_gen && !tlsockd_policy_same(rules_gen->conf, gen->conf))
		tlsockd_log(LOG_WARNING, "the rules of [policy] in %s changed: the %zu rules of the "
			    "start stay in place; the new ones take effect when tlsockd restarts",
			    path, rules_gen->conf->nrules);
	tlsockd_gen_publish(gen);
	return 0;
}

static int start_workers(struct worker *ws, unsigned int n)
{
	unsigned int i;
	int err;

	for (i = 0; i < n; i++) {
		ws[i].index = i;
		ws[i].res = tlsockd_secret_alloc(sizeof(*ws[i].res));
		if (!ws[i].res)
			return -ENOMEM;
		err = tlsockd_nl_open(&ws[i].nl, false);
		if (!err)
			err = tlsockd_nl_set_idle_wait(ws[i].nl, IDLE_WAIT_MS);
		if (err) {
			tlsockd_nl_close(ws[i].nl);
			ws[i].nl = NULL;
			return err;
		}
		err = -pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]);
		if (err) {
			tlsockd_nl_close(ws[i].nl);
			ws[i].nl = NULL;
			return err;
		}
	}
	return 0;
}

static void stop_workers(struct worker *ws, unsigned int n)
{
	unsigned int i;

	pthread_mutex_lock(&pool.lock);
	pool.stop = true;
	pthread_mutex_unlock(&pool.lock);
	for (i = 0; i < n; i++)
		if (ws[i].nl)
			tlsockd_nl_poke(ws[i].nl);
	for (i = 0; i < n; i++) {
		if (ws[i].nl) {
			pthread_join(ws[i].thread, NULL);
			tlsockd_nl_close(ws[i].nl);
		}
		tlsockd_secret_free(ws[i].res, sizeof(*ws[i].res));
	}
}

/* Longest wait for the workers to park at start, before ready is said anyway. */
#define PARK_WAIT_MS	5000

/* Until every worker has parked once (READYs reach them), PARK_WAIT_MS at most. */
static void wait_parked(void)
{
	unsigned int parked = 0;
	int waited;

	for (waited = 0; waited < PARK_WAIT_MS; waited += 5) {
		pthread_mutex_lock(&pool.lock);
		parked = pool.parked;
		pthread_mutex_unlock(&pool.lock);
		if (parked == pool.nworkers)
			break;
		usleep(5000);
	}
	if (parked != pool.nworkers)
		tlsockd_log(LOG_WARNING, "only %u of %u workers parked after %d ms", parked,
			    pool.nworkers, PARK_WAIT_MS);
}

/*
 * Ready: the configuration is loaded, the listening socket is in the group
 * (requests are queued for us from then on, not failed with ESRCH), every
 * worker is parked and the file's rules are in.  Say so once, in the log and
 * to the supervisor (systemd, Type=notify).
 */
static void say_ready(const struct tlsockd_gen *gen)
{
	char msg[96], state[128];
	int err;

	snprintf(msg, sizeof(msg), "ready (%u workers, %zu profiles)", pool.nworkers,
		 gen->conf->nprofiles);
	snprintf(state, sizeof(state), "READY=1\nSTATUS=%s", msg);
	tlsockd_log(LOG_NOTICE, "%s", msg);
	err = tlsockd_notify(state);
	if (err)
		tlsockd_log(LOG_WARNING, "cannot notify $NOTIFY_SOCKET: %s", strerror(-err));
}

/* The kernel forwarded a TLS 1.3 NewSessionTicket of a client socket. */
static void on_ticket(uint32_t id, const void *msg, size_t len)
{
	int err = tlsockd_resume_ticket(id, msg, len);

	if (!err)
		tlsockd_log(LOG_INFO, "req %u: TLS 1.3 session ticket stored for resumption", id);
	else
		tlsockd_log(LOG_INFO, "req %u: TLS 1.3 session ticket dropped: %s", id,
			    err == -ENOENT ? "no session held (expired)" :
			    err == -EPROTO ? "rejected by GnuTLS" : strerror(-err));
}

/* A file changed: reload a little later, once the writer is done. */
#define RELOAD_DELAY_MS 500

static int event_loop(struct tlsockd_nl *listen, int sfd, const char *conf_path)
{
	struct pollfd pfd[3] = {
		{ .fd = tlsockd_nl_fd(listen), .events = POLLIN },
		{ .fd = sfd, .events = POLLIN },
		{ .fd = watch_fd, .events = POLLIN },
	};
	int64_t reload_at = 0, now;
	struct signalfd_siginfo si;
	bool overrun;
	int n, wait_ms;

	for (;;) {
		wait_ms = 1000;
		if (reload_at) {
			now = tlsockd_now_ms();
			if (now >= reload_at) {
				reload_at = 0;
				tlsockd_log(LOG_NOTICE, "a configuration file changed");
				reload(conf_path);
				continue;
			}
			if (reload_at - now < wait_ms)
				wait_ms = reload_at - now;
		}
		n = poll(pfd, 3, wait_ms);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n == 0) {
			tlsockd_resume_expire();
			continue;
		}
		if (pfd[2].revents && tlsockd_watch_changed(watch_fd))
			reload_at = tlsockd_now_ms() + RELOAD_DELAY_MS;
		/*
		 * Multicast READYs only say that every worker is busy; each
		 * parks when done and is told then.  Read them for the tickets.
		 */
		if (pfd[0].revents)
			tlsockd_nl_ready(listen, &overrun, on_ticket);
		if (pfd[1].revents && read(sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGHUP) {
				reload(conf_path);
				continue;
			}
			tlsockd_log(LOG_NOTICE, "signal %d: stopping", si.ssi_signo);
			return 0;
		}
	}
}

/**
 * tlsockd_run() - run the daemon until SIGTERM/SIGINT
 * @conf: parsed configuration (owned from now on)
 * @conf_path: file to re-read on SIGHUP
 *
 * Return: 0 or a negative errno.
 */
int tlsockd_run(struct tlsockd_conf *conf, const char *conf_path)
{
	struct tlsockd_nl *listen = NULL;
	struct worker *ws = NULL;
	struct tlsockd_gen *gen;
	char why[512] = "";
	sigset_t mask;
	int sfd = -1, err;

	pool.nworkers = conf->workers;
	tlsockd_admit_init(pool.nworkers);
	err = tlsockd_gen_load(conf, &gen, why, sizeof(why));
	if (err) {
		tlsockd_log(LOG_ERR, "%s", why);
		return err;
	}
	watch_fd = tlsockd_watch_open();
	if (watch_fd >= 0)
		tlsockd_watch_set(watch_fd, gen->conf, conf_path);
	tlsockd_gen_publish(gen);

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);	/* inherited by the workers */
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		err = -errno;
		goto out;
	}

	/* READY messages that arrive before the workers run wait in the socket */
	err = tlsockd_nl_open(&listen, true);
	if (err) {
		tlsockd_log(LOG_ERR, "joining group %s of family %s: %s%s", TLSOCK_MCGRP_TLSOCKD,
			    TLSOCK_FAMILY_NAME, strerror(-err),
			    err == -ENOENT ? " (is tlsock.ko loaded?)" :
			    err == -EPERM ? " (CAP_NET_ADMIN needed)" : "");
		goto out;
	}
	err = -ENOMEM;
	ws = calloc(pool.nworkers, sizeof(*ws));
	if (!ws)
		goto out_listen;
	err = start_workers(ws, pool.nworkers);
	if (err) {
		tlsockd_log(LOG_ERR, "starting workers: %s", strerror(-err));
		goto out_workers;
	}
	/* the listening socket also receives the TLS 1.3 tickets (resume.c) */
	tlsockd_resume_set_port(tlsockd_nl_port(listen));
	tlsockd_log(LOG_INFO, "configuration %s", conf_path);
	wait_parked();
	/* rules last: a connection they cover finds a daemon ready for it */
	err = tlsockd_policy_apply(gen->conf);
	if (err)
		goto out_workers;
	rules_gen = tlsockd_gen_ref(gen);
	say_ready(gen);

	err = event_loop(listen, sfd, conf_path);
	tlsockd_notify("STOPPING=1");
	/* first: new connections are plain TCP again rather than failing without us */
	tlsockd_policy_remove(rules_gen->conf);
	tlsockd_gen_put(rules_gen);
	rules_gen = NULL;
out_workers:
	/* new requests now fail at once instead of waiting for us */
	tlsockd_resume_set_port(0);
	tlsockd_nl_close(listen);
	listen = NULL;
	stop_workers(ws, pool.nworkers);
out_listen:
	tlsockd_nl_close(listen);
out:
	free(ws);
	if (sfd >= 0)
		close(sfd);
	if (watch_fd >= 0)
		close(watch_fd);
	tlsockd_gen_publish(NULL);
	tlsockd_resume_flush();
	tlsockd_peer_cache_flush();
	return err;
}
