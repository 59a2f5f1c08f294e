// SPDX-License-Identifier: GPL-2.0
/*
 * Round-trip time of small messages: the client sends msg bytes, an echo thread reads them whole
 * and sends them back, the client reads them whole. TCP_NODELAY on both ends, one TLS record per
 * message each way. Each iteration is timed on its own; a short warm-up is not counted.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

struct tb_echo {
	struct tlsock_bench_ep ep;
	size_t msg;
	int err;
};

static void *tb_echo(void *arg)
{
	struct tb_echo *e = arg;
	uint8_t *buf = malloc(e->msg);

	e->err = buf ? tlsock_bench_pin(1) : -ENOMEM;
	while (!e->err) {
		e->err = tlsock_bench_ep_recv_all(&e->ep, buf, e->msg);
		if (e->err == -EPIPE) {	/* the client is done */
			e->err = 0;
			break;
		}
		if (!e->err)
			e->err = tlsock_bench_ep_send(&e->ep, buf, e->msg);
	}
	shutdown(e->ep.fd, SHUT_RDWR);	/* an echo error must not leave the client waiting */
	free(buf);
	return NULL;
}

/* Kernel stacks: c2s keys on client TX / server RX, s2c keys the other way. */
static int tb_kern_pair(enum tlsock_bench_stack stack, const struct tlsock_bench_suite *s,
			int cfd, int sfd)
{
	struct tlsock_bench_crypto c2s, s2c;
	int err;

	err = tlsock_bench_crypto_random(s, &c2s);
	if (err)
		return err;
	err = tlsock_bench_crypto_random(s, &s2c);
	if (!err)
		err = tlsock_bench_attach(cfd, stack);
	if (!err)
		err = tlsock_bench_set_key(cfd, TLS_TX, &c2s);
	if (!err)
		err = tlsock_bench_set_key(cfd, TLS_RX, &s2c);
	if (!err)
		err = tlsock_bench_attach(sfd, stack);
	if (!err)
		err = tlsock_bench_set_key(sfd, TLS_RX, &c2s);
	if (!err)
		err = tlsock_bench_set_key(sfd, TLS_TX, &s2c);
	tlsock_bench_crypto_wipe(&c2s);
	tlsock_bench_crypto_wipe(&s2c);
	return err;
}

static int tb_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int tb_pingpong(const struct tlsock_bench_ep *ep, size_t msg, unsigned int warm,
		       unsigned int iters, double *us)
{
	uint8_t *out = malloc(msg), *in = malloc(msg);
	unsigned int i;
	double t;
	int err = out && in ? 0 : -ENOMEM;

	for (i = 0; !err && i < warm + iters; i++) {
		memset(out, (int)(i & 0xff), msg);
		t = tlsock_bench_now();
		err = tlsock_bench_ep_send(ep, out, msg);
		if (!err)
			err = tlsock_bench_ep_recv_all(ep, in, msg);
		t = tlsock_bench_now() - t;
		if (!err && memcmp(in, out, msg))
			err = -EBADMSG;
		if (i >= warm)
			us[i - warm] = t * 1e6;
	}
	free(out);
	free(in);
	return err;
}

int tlsock_bench_rtt(enum tlsock_bench_stack stack, const struct tlsock_bench_suite *s,
		     size_t msg, unsigned int iters, struct tlsock_bench_rtt_res *res)
{
	struct tlsock_bench_gtls_pair hs = { 0 };
	struct tlsock_bench_ep cli;
	struct tb_echo echo = { .msg = msg };
	unsigned int i, warm = iters / 10 < 200 ? iters / 10 : 200;
	double *us, sum = 0;
	pthread_t th;
	int cfd, sfd, err;

	memset(res, 0, sizeof(*res));
	us = calloc(iters ? iters : 1, sizeof(*us));
	if (!us) {
		err = -ENOMEM;
		goto out;
	}
	err = tlsock_bench_tcp_pair(&cfd, &sfd);
	if (err)
		goto out_free;
	cli = (struct tlsock_bench_ep){ cfd, NULL };
	echo.ep = (struct tlsock_bench_ep){ sfd, NULL };
	err = tlsock_bench_nodelay(cfd);
	if (!err)
		err = tlsock_bench_nodelay(sfd);
	if (!err && stack == TB_GNUTLS) {
		err = tlsock_bench_gtls_handshake(s, cfd, sfd, &hs);
		cli.gs = hs.client;
		echo.ep.gs = hs.server;
	} else if (!err && stack != TB_PLAIN) {
		err = tb_kern_pair(stack, s, cfd, sfd);
	}
	if (err)
		goto out_close;
	err = tlsock_bench_pin(0);
	if (!err)
		err = -pthread_create(&th, NULL, tb_echo, &echo);
	if (err)
		goto out_close;
	err = tb_pingpong(&cli, msg, warm, iters, us);
	shutdown(cfd, SHUT_WR);
	pthread_join(th, NULL);
	if (!err)
		err = echo.err;
	if (err)
		goto out_close;
	qsort(us, iters, sizeof(*us), tb_cmp);
	for (i = 0; i < iters; i++)
		sum += us[i];
	res->iters = iters;
	res->mean_us = sum / iters;
	res->p50_us = us[iters / 2];
	res->p99_us = us[(iters * 99 + 99) / 100 - 1];
out_close:
	close(cfd);
	close(sfd);
	tlsock_bench_gtls_free(&hs);
out_free:
	free(us);
out:
	res->err = err;
	return err;
}
