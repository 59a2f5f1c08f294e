// SPDX-License-Identifier: GPL-2.0
/*
 * One run of one case: @pairs client threads, each with a server thread of its own behind its
 * own loopback listener, for a fixed time.
 *
 * A client connection is timed from just before connect() until the client holds the first
 * byte the server sent after its handshake: TCP set-up, both ends' handshakes (certificates
 * checked both ways) and one record, the moment both ends can talk. The rate counts those
 * connections over the time from the common start to the last one's end. Each pair first makes
 * a few untimed connections (warm-up; with resumption they leave a session to resume).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "hsbench.h"

struct pair {
	const struct hb_stack_ops *ops;
	const struct hb_case *c;
	pthread_barrier_t *start;
	double seconds;
	unsigned int warmup;
	int lfd;
	struct sockaddr_in addr;
	bool timed;		/* set by the client once its warm-up is over */
	pthread_t client_thread, server_thread;
	/* client's */
	uint64_t *usec;
	size_t n, cap;
	unsigned long resumed;
	uint64_t t_start, t_end;
	int err;
	char why[200];
	/* server's */
	unsigned long served, served_resumed;
	int server_err;
	char server_why[200];
};

uint64_t hb_now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void *server_main(void *arg)
{
	struct pair *p = arg;
	char buf[sizeof(p->server_why)];
	bool resumed, timed;
	int fd, err, one = 1;
	void *state;

	for (;;) {
		fd = accept(p->lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break;	/* the listener was shut down: the run is over */
		}
		/* set before the client's connect(), so before this accept() returned */
		timed = __atomic_load_n(&p->timed, __ATOMIC_ACQUIRE);
		/* no Nagle on either end: a flight split in two writes must not wait for an ACK */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		resumed = false;
		state = NULL;
		err = p->ops->server(p->c, fd, &resumed, &state, buf, sizeof(buf));
		if (err && !p->server_err) {
			p->server_err = err;
			snprintf(p->server_why, sizeof(p->server_why), "%s", buf);
		}
		if (!err && timed) {
			p->served++;
			p->served_resumed += resumed;
		}
		if (!err) {
			/* the client closes once it has the byte: wait for that, then close */
			while (recv(fd, buf, sizeof(buf), 0) > 0)
				;
			if (p->ops->server_close)
				p->ops->server_close(state);
		}
		close(fd);
	}
	return NULL;
}

static int one_conn(struct pair *p, void *cl, struct hb_conn *conn)
{
	uint64_t t0 = hb_now_usec();
	int fd, one = 1, err;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&p->addr, sizeof(p->addr))) {
		err = -errno;
		snprintf(p->why, sizeof(p->why), "connect: %s", strerror(errno));
		close(fd);
		return err;
	}
	err = p->ops->client(cl, p->c, fd, conn, p->why, sizeof(p->why));
	conn->usec = hb_now_usec() - t0;
	close(fd);
	return err;
}

static int push(struct pair *p, uint64_t v)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 1024;
		uint64_t *u = realloc(p->usec, cap * sizeof(*u));

		if (!u)
			return -ENOMEM;
		p->usec = u;
		p->cap = cap;
	}
	p->usec[p->n++] = v;
	return 0;
}

static void *client_main(void *arg)
{
	struct pair *p = arg;
	struct hb_conn conn;
	uint64_t deadline;
	unsigned int i;
	void *cl;
	int err = 0;

	cl = p->ops->client_new(p->c);
	if (!cl)
		err = -ENOMEM;
	for (i = 0; !err && i < p->warmup; i++)
		err = one_conn(p, cl, &conn);
	/* everyone starts together, failed or not, so that nobody waits forever */
	pthread_barrier_wait(p->start);
	__atomic_store_n(&p->timed, true, __ATOMIC_RELEASE);
	p->t_start = hb_now_usec();
	deadline = p->t_start + (uint64_t)(p->seconds * 1e6);
	while (!err && hb_now_usec() < deadline) {
		memset(&conn, 0, sizeof(conn));
		err = one_conn(p, cl, &conn);
		if (!err)
			err = push(p, conn.usec);
		p->resumed += conn.resumed;
	}
	p->t_end = hb_now_usec();
	p->err = err;
	if (cl)
		p->ops->client_free(cl);
	return NULL;
}

static int listener(struct pair *p)
{
	socklen_t len = sizeof(p->addr);

	p->lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (p->lfd < 0)
		return -errno;
	memset(&p->addr, 0, sizeof(p->addr));
	p->addr.sin_family = AF_INET;
	p->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(p->lfd, (struct sockaddr *)&p->addr, len) || listen(p->lfd, 64) ||
	    getsockname(p->lfd, (struct sockaddr *)&p->addr, &len))
		return -errno;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Percentile @q of sorted @v (nearest rank). */
static double pct_ms(const uint64_t *v, size_t n, double q)
{
	size_t k = (size_t)(q * n + 0.999999);

	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1] / 1000.0;
}

static void summarize(struct pair *ps, unsigned int n, struct hb_result *res)
{
	uint64_t t0 = UINT64_MAX, t1 = 0, *all;
	unsigned long served = 0;
	double sum = 0;
	size_t total = 0, k, i;

	for (i = 0; i < n; i++) {
		total += ps[i].n;
		res->resumed += ps[i].resumed;
		res->server_resumed += ps[i].served_resumed;
		served += ps[i].served;
		t0 = ps[i].t_start < t0 ? ps[i].t_start : t0;
		t1 = ps[i].t_end > t1 ? ps[i].t_end : t1;
	}
	res->conns = total;
	res->served = served;
	res->seconds = (t1 - t0) / 1e6;
	if (!total) {
		res->err = -EIO;
		snprintf(res->why, sizeof(res->why), "no connection completed");
		return;
	}
	all = malloc(total * sizeof(*all));
	if (!all) {
		res->err = -ENOMEM;
		return;
	}
	for (i = 0, k = 0; i < n; i++) {
		memcpy(all + k, ps[i].usec, ps[i].n * sizeof(*all));
		k += ps[i].n;
	}
	qsort(all, total, sizeof(*all), cmp_u64);
	for (k = 0; k < total; k++)
		sum += all[k];
	res->mean_ms = sum / total / 1000.0;
	res->p50_ms = pct_ms(all, total, 0.50);
	res->p99_ms = pct_ms(all, total, 0.99);
	res->pct_ms[0] = pct_ms(all, total, 0.10);
	res->pct_ms[1] = pct_ms(all, total, 0.25);
	res->pct_ms[2] = pct_ms(all, total, 0.75);
	res->pct_ms[3] = pct_ms(all, total, 0.90);
	res->pct_ms[4] = pct_ms(all, total, 0.95);
	res->pct_ms[5] = all[total - 1] / 1000.0;
	res->rate = res->seconds > 0 ? total / res->seconds : 0;
	free(all);
}

/**
 * hb_run() - run case @c on stack @ops
 * @ops: the stack
 * @c: the case
 * @seconds: timed part of the run
 * @warmup: untimed connections per pair first
 * @res: outcome (res->err < 0 when a connection failed; res->why says why)
 *
 * Return: 0 or a negative errno.
 */
int hb_run(const struct hb_stack_ops *ops, const struct hb_case *c, double seconds,
	   unsigned int warmup, struct hb_result *res)
{
	pthread_barrier_t start;
	struct pair *ps;
	unsigned int i, started = 0;
	int err = 0;

	memset(res, 0, sizeof(*res));
	ps = calloc(c->pairs, sizeof(*ps));
	if (!ps)
		return -ENOMEM;
	pthread_barrier_init(&start, NULL, c->pairs);
	for (i = 0; i < c->pairs; i++) {
		ps[i].ops = ops;
		ps[i].c = c;
		ps[i].start = &start;
		ps[i].seconds = seconds;
		ps[i].warmup = warmup;
		err = listener(&ps[i]);
		if (err)
			goto out;
	}
	for (i = 0; i < c->pairs; i++) {
		if (pthread_create(&ps[i].server_thread, NULL, server_main, &ps[i]))
			break;
		if (pthread_create(&ps[i].client_thread, NULL, client_main, &ps[i])) {
			shutdown(ps[i].lfd, SHUT_RDWR);
			pthread_join(ps[i].server_thread, NULL);
			break;
		}
		started++;
	}
	if (started < c->pairs) {
		/* the barrier cannot be met: nothing to do but report it */
		fprintf(stderr, "hsbench: cannot start threads\n");
		exit(1);
	}
	for (i = 0; i < c->pairs; i++) {
		pthread_join(ps[i].client_thread, NULL);
		shutdown(ps[i].lfd, SHUT_RDWR);
		pthread_join(ps[i].server_thread, NULL);
	}
	summarize(ps, c->pairs, res);
	for (i = 0; i < c->pairs; i++) {
		if (ps[i].err && !res->err) {
			res->err = ps[i].err;
			snprintf(res->why, sizeof(res->why), "client: %s", ps[i].why);
		}
		if (ps[i].server_err && !res->err) {
			res->err = ps[i].server_err;
			snprintf(res->why, sizeof(res->why), "server: %s", ps[i].server_why);
		}
	}
out:
	for (i = 0; i < c->pairs; i++) {
		if (ps[i].lfd > 0)
			close(ps[i].lfd);
		free(ps[i].usec);
	}
	pthread_barrier_destroy(&start);
	free(ps);
	return err ? err : res->err;
}
