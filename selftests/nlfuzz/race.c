// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzzer's races: the model of model.c cannot say which of two threads
 * wins, so here each answer only has to be one the contract allows for a
 * message of its kind whoever wins, within a bound (no hang), and every
 * request must look consistent to its application (pending without keys,
 * established with both directions, failed with an errno below 512 and no
 * keys).  The application thread makes requests with short timeouts and
 * closes them at random; two hostile daemon threads claim them, complete
 * them (well or badly, or after they timed out), name ids at random, and
 * now and then close their netlink socket as a daemon that dies does.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/tlsock.h>
#include <sys/socket.h>

#include "nlfuzz.h"

#define NF_RACE_APPS	24
#define NF_RACE_MINE	16

struct nf_race {
	uint16_t family;
	int stop;			/* __atomic */
	uint32_t top_id;		/* __atomic: ids given out so far, about */
	pthread_mutex_t lock;
	int failed;
	char why[1024];
	struct nf_race_stats st;	/* lock */
};

static void nf_race_fail(struct nf_race *r, const char *fmt, const char *what, int err)
{
	pthread_mutex_lock(&r->lock);
	if (!r->failed++)
		snprintf(r->why, sizeof(r->why), fmt, what, err, strerror(-err));
	pthread_mutex_unlock(&r->lock);
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELAXED);
}

static bool nf_race_stopped(struct nf_race *r)
{
	return __atomic_load_n(&r->stop, __ATOMIC_RELAXED);
}

/* Send @m on @d and read its answer: 0 or -errno of the ack, or the reply's id; -ETIME on a hang. */
static int nf_race_xfer(struct tlsock_fd *d, const struct nf_msg *m, uint32_t *id)
{
	static __thread struct nf_wire wire;
	struct tlsock_fd_ack ack;
	const void *v;
	size_t len;
	int err, fd;

	nf_msg_encode(m, tlsock_fd_next_seq(d), &wire);
	err = tlsock_fd_send_raw(d, wire.buf, wire.sent);
	if (err)
		return err;
	err = tlsock_fd_wait_ack(d, wire.seq, 10000, &ack);
	if (err)
		return -ETIME;
	if (ack.replied && m->cmd == TLSOCK_CMD_ACCEPT) {
		v = tlsock_fd_find_attr(ack.reply, ack.reply_len, TLSOCK_A_ACCEPT_SOCKFD, &len);
		if (v && len == sizeof(fd)) {
			memcpy(&fd, v, sizeof(fd));
			close(fd);
		}
		v = tlsock_fd_find_attr(ack.reply, ack.reply_len, TLSOCK_A_ACCEPT_REQ_ID, &len);
		if (v && len == sizeof(*id))
			memcpy(id, v, sizeof(*id));
	}
	return ack.err;
}

struct nf_race_daemon {
	struct nf_race *r;
	uint64_t seed;
};

static const uint16_t nf_race_ciphers[] = {
	TLS_CIPHER_AES_GCM_128, TLS_CIPHER_AES_GCM_256, TLS_CIPHER_CHACHA20_POLY1305,
};

static void *nf_race_daemon(void *arg)
{
	struct nf_race_daemon *dm = arg;
	struct nf_race *r = dm->r;
	uint32_t mine[NF_RACE_MINE], id = 0;
	unsigned int nmine = 0, k;
	struct tlsock_fd d;
	struct nf_ids ids = { 0 };
	static __thread struct nf_msg m;
	struct nf_rng g;
	int err;

	nf_seed(&g, dm->seed);
	if (tlsock_fd_open(&d, false)) {
		nf_race_fail(r, "%s: %d (%s)", "daemon socket", -EIO);
		return NULL;
	}
	while (!nf_race_stopped(r)) {
		k = nf_below(&g, 100);
		if (k < 30 && nmine < NF_RACE_MINE) {
			nf_msg_init(&m, r->family, TLSOCK_CMD_ACCEPT);
			if (nf_chance(&g, 30))
				nf_msg_add(&m, TLSOCK_A_ACCEPT_PARK, NULL, 0);
			err = nf_race_xfer(&d, &m, &id);
			if (!err)
				mine[nmine++] = id;
			else if (err != -EAGAIN)
				nf_race_fail(r, "%s: %d (%s)", "ACCEPT", err);
		} else if (k < 75 && nmine) {
			/* one of ours, well or badly; it may have timed out or closed meanwhile */
			k = nf_below(&g, nmine);
			id = mine[k];
			mine[k] = mine[--nmine];
			nf_msg_init(&m, r->family, TLSOCK_CMD_DONE);
			if (nf_chance(&g, 50)) {
				nf_msg_done_ok(&m, id, nf_chance(&g, 50) ? TLS_1_3_VERSION :
					       TLS_1_2_VERSION,
					       nf_race_ciphers[nf_below(&g, ARRAY_SIZE(nf_race_ciphers))],
					       &g);
				if (nf_chance(&g, 30))
					nf_msg_find(&m, TLSOCK_A_DONE_RX_CRYPTO)->len -= 1;
			} else {
				nf_msg_add_u32(&m, TLSOCK_A_DONE_REQ_ID, id);
				nf_msg_add_u32(&m, TLSOCK_A_DONE_STATUS, 1 + nf_below(&g, 200));
			}
			if (nf_chance(&g, 20))
				nf_msg_add(&m, TLSOCK_A_DONE_PARK, NULL, 0);
			err = nf_race_xfer(&d, &m, &id);
			if (err && err != -EINVAL && err != -ENOENT)
				nf_race_fail(r, "%s: %d (%s)", "DONE of a claimed request", err);
			pthread_mutex_lock(&r->lock);
			r->st.done[err == 0 ? 0 : err == -EINVAL ? 1 : 2]++;
			pthread_mutex_unlock(&r->lock);
		} else if (k < 92) {
			/* anyone's, or nobody's: never ours, so never a success */
			id = __atomic_load_n(&r->top_id, __ATOMIC_RELAXED);
			id = id > 30 ? id - nf_below(&g, 30) : 1 + nf_below(&g, 30);
			for (k = 0; k < nmine && mine[k] != id; k++)
				;
			if (k < nmine)
				continue;
			ids.n = 1;
			ids.id[0] = id;
			nf_gen(&g, r->family, &ids, &m);
			if (m.cmd == TLSOCK_CMD_ACCEPT || m.cmd == TLSOCK_CMD_STATUS_GET ||
			    nf_msg_find(&m, TLSOCK_A_DONE_REQ_ID) == NULL || m.len_mode)
				continue;
			memcpy(nf_msg_find(&m, TLSOCK_A_DONE_REQ_ID)->val, &id, 4);
			err = nf_race_xfer(&d, &m, &id);
			if (!err && m.cmd == TLSOCK_CMD_DONE && m.flags & NLM_F_REQUEST &&
			    m.type == r->family)
				nf_race_fail(r, "%s: %d (%s)", "DONE of a request not ours succeeded",
					     err);
			else if (err == -ETIME)
				nf_race_fail(r, "%s: %d (%s)", "random DONE", err);
		} else if (k < 97) {
			nf_msg_init(&m, r->family, TLSOCK_CMD_STATUS_GET);
			err = nf_race_xfer(&d, &m, &id);
			if (err)
				nf_race_fail(r, "%s: %d (%s)", "STATUS_GET", err);
		} else {
			/* the daemon dies with its claims: they fail with EOWNERDEAD */
			tlsock_fd_close(&d);
			nmine = 0;
			pthread_mutex_lock(&r->lock);
			r->st.deaths++;
			pthread_mutex_unlock(&r->lock);
			if (tlsock_fd_open(&d, false)) {
				nf_race_fail(r, "%s: %d (%s)", "daemon socket again", -EIO);
				break;
			}
		}
		pthread_mutex_lock(&r->lock);
		r->st.msgs++;
		pthread_mutex_unlock(&r->lock);
	}
	tlsock_fd_close(&d);
	return NULL;
}

/* What an application may see of its request at any moment. */
static int nf_race_look(int fd, struct nf_race_stats *st)
{
	const uint32_t keys = TLSOCK_INFO_F_TX | TLSOCK_INFO_F_RX;
	struct tlsock_info info;
	socklen_t len = sizeof(info);

	if (getsockopt(fd, SOL_TLSOCK, TLSOCK_INFO, &info, &len))
		return -errno;
	switch (info.state) {
	case TLSOCK_STATE_PENDING:
		return info.flags & keys ? -EPROTO : 0;
	case TLSOCK_STATE_ESTABLISHED:
		st->established++;
		return (info.flags & keys) == keys && !info.error ? 0 : -EPROTO;
	case TLSOCK_STATE_FAILED:
		st->failed++;
		return !(info.flags & keys) && info.error && info.error < 512 ? 0 : -EPROTO;
	}
	return -EPROTO;
}

/**
 * nf_race_run() - race requests, timeouts, closes and hostile daemons
 * @family: family id
 * @seed: seeds the daemons' generators
 * @ms: how long
 * @st: what happened
 * @why: on failure, the first thing that went wrong
 * @size: room in @why
 *
 * Return: 0, or -1 with @why filled.
 */
int nf_race_run(uint16_t family, uint64_t seed, int ms, struct nf_race_stats *st, char *why,
		size_t size)
{
	struct tlsock_handshake req = { .role = TLSOCK_ROLE_CLIENT };
	static struct nf_race r;
	struct nf_race_daemon dm[2];
	int app[NF_RACE_APPS], peer[NF_RACE_APPS];
	struct timespec end, now;
	pthread_t t[2];
	struct nf_rng g;
	int i, err;

	memset(&r, 0, sizeof(r));
	r.family = family;
	pthread_mutex_init(&r.lock, NULL);
	for (i = 0; i < NF_RACE_APPS; i++)
		app[i] = peer[i] = -1;
	for (i = 0; i < 2; i++) {
		dm[i].r = &r;
		dm[i].seed = seed * 2 + i;
		if (pthread_create(&t[i], NULL, nf_race_daemon, &dm[i])) {
			snprintf(why, size, "pthread_create");
			return -1;
		}
	}
	nf_seed(&g, seed);
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += ms / 1000;
	while (!nf_race_stopped(&r)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end.tv_sec)
			break;
		i = nf_below(&g, NF_RACE_APPS);
		if (app[i] >= 0) {
			err = nf_race_look(app[i], &r.st);
			if (err) {
				nf_race_fail(&r, "%s: %d (%s)", "a request looked inconsistent", err);
				break;
			}
			if (nf_chance(&g, 60)) {
				close(app[i]);
				close(peer[i]);
				app[i] = -1;
			}
			continue;
		}
		if (tlsock_tcp_pair(AF_INET, 0, &app[i], &peer[i]) || tlsock_attach(app[i], "tlsock") ||
		    tlsock_set_nonblock(app[i], true)) {
			nf_race_fail(&r, "%s: %d (%s)", "a socket pair", -EIO);
			break;
		}
		req.timeout_ms = 20 + nf_below(&g, 400);
		if (setsockopt(app[i], SOL_TLSOCK, TLSOCK_HANDSHAKE, &req, sizeof(req)) &&
		    errno != EINPROGRESS && errno != EBUSY) {
			nf_race_fail(&r, "%s: %d (%s)", "a request", -errno);
			break;
		}
		__atomic_add_fetch(&r.top_id, 1, __ATOMIC_RELAXED);
		r.st.requests++;
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < NF_RACE_APPS; i++) {
		if (app[i] < 0)
			continue;
		err = r.failed ? 0 : nf_race_look(app[i], &r.st);
		if (err)
			nf_race_fail(&r, "%s: %d (%s)", "a request looked inconsistent", err);
		close(app[i]);
		close(peer[i]);
	}
	*st = r.st;
	if (r.failed)
		snprintf(why, size, "%s", r.why);
	pthread_mutex_destroy(&r.lock);
	return r.failed ? -1 : 0;
}
