// SPDX-License-Identifier: GPL-2.0
/*
 * tlsock_hold: keep TLS socket pairs open for the shell tests.
 *
 *   tlsock_hold SPEC...      SPEC = ULP[/PEER_ULP]:VERSION:CIPHER
 *                            e.g. tlsock:1.3:aes-gcm-256, tlsock/tls:1.2:chacha20-poly1305
 *
 * Each SPEC becomes a loopback TCP pair whose ends carry the ULPs named
 * (the peer defaults to the same one), with keys set in both directions.
 * It prints one line per pair, "pair N ULP PEER_ULP PORT PEER_PORT",
 * then "ready", and then reads commands from stdin:
 *
 *   check    send a verified burst both ways on every pair; prints "ok" or
 *            "fail PAIR: reason"
 *   quit     (or end of input) close everything and exit 0
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "lib.h"

#define HOLD_MAX_PAIRS	16
#define HOLD_BURST	32768

struct hold_pair {
	char ulp[32], peer_ulp[32];
	int a, b;
	struct tlsock_keys k_ab, k_ba;
};

static const uint16_t hold_ciphers[] = {
	TLS_CIPHER_AES_GCM_128, TLS_CIPHER_AES_GCM_256, TLS_CIPHER_AES_CCM_128,
	TLS_CIPHER_CHACHA20_POLY1305,
};

static int hold_parse(const char *spec, struct hold_pair *p, uint16_t *version, uint16_t *cipher)
{
	char buf[128], *ulp, *ver, *name, *peer;
	size_t i;

	if (snprintf(buf, sizeof(buf), "%s", spec) >= (int)sizeof(buf))
		return -EINVAL;
	ulp = strtok(buf, ":");
	ver = strtok(NULL, ":");
	name = strtok(NULL, ":");
	if (!ulp || !ver || !name || strtok(NULL, ":"))
		return -EINVAL;
	peer = strchr(ulp, '/');
	if (peer)
		*peer++ = 0;
	if (snprintf(p->ulp, sizeof(p->ulp), "%s", ulp) >= (int)sizeof(p->ulp) ||
	    snprintf(p->peer_ulp, sizeof(p->peer_ulp), "%s", peer ? peer : ulp) >=
	    (int)sizeof(p->peer_ulp))
		return -EINVAL;
	if (!strcmp(ver, "1.2"))
		*version = TLS_1_2_VERSION;
	else if (!strcmp(ver, "1.3"))
		*version = TLS_1_3_VERSION;
	else
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(hold_ciphers); i++) {
		if (!strcmp(tlsock_suite_find(hold_ciphers[i])->name, name)) {
			*cipher = hold_ciphers[i];
			return 0;
		}
	}
	return -EINVAL;
}

static int hold_open(const char *spec, struct hold_pair *p)
{
	uint16_t version, cipher;
	int err;

	p->a = p->b = -1;
	err = hold_parse(spec, p, &version, &cipher);
	if (err)
		return err;
	err = tlsock_keys_init(&p->k_ab, version, cipher);
	if (!err)
		err = tlsock_keys_init(&p->k_ba, version, cipher);
	if (!err)
		err = tlsock_tcp_pair(AF_INET, 0, &p->a, &p->b);
	if (!err)
		err = tlsock_attach(p->a, p->ulp);
	if (!err)
		err = tlsock_attach(p->b, p->peer_ulp);
	if (!err)
		err = tlsock_set_keys(p->a, true, &p->k_ab);
	if (!err)
		err = tlsock_set_keys(p->b, false, &p->k_ab);
	if (!err)
		err = tlsock_set_keys(p->b, true, &p->k_ba);
	if (!err)
		err = tlsock_set_keys(p->a, false, &p->k_ba);
	return err;
}

static int hold_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (getsockname(fd, (struct sockaddr *)&sin, &len))
		return -errno;
	return ntohs(sin.sin_port);
}

/* One verified burst from @from to @to. */
static int hold_burst(int from, int to, uint8_t *buf)
{
	uint64_t seed = tlsock_pat_seed();
	ssize_t n;

	tlsock_pat_fill(seed, 0, buf, HOLD_BURST);
	n = tlsock_write_all(from, buf, HOLD_BURST);
	if (n < 0)
		return n;
	memset(buf, 0, HOLD_BURST);
	n = tlsock_read_full(to, buf, HOLD_BURST);
	if (n < 0)
		return n;
	if (n != HOLD_BURST)
		return -EPIPE;
	return tlsock_pat_check(seed, 0, buf, HOLD_BURST) < 0 ? 0 : -EBADMSG;
}

static int hold_check(struct hold_pair *pairs, int n, int *bad)
{
	static uint8_t buf[HOLD_BURST];
	int i, err;

	for (i = 0; i < n; i++) {
		*bad = i;
		err = hold_burst(pairs[i].a, pairs[i].b, buf);
		if (!err)
			err = hold_burst(pairs[i].b, pairs[i].a, buf);
		if (err)
			return err;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct hold_pair pairs[HOLD_MAX_PAIRS] = {};
	char line[64];
	int i, n = argc - 1, err, bad = 0, rc = 0;

	if (n < 1 || n > HOLD_MAX_PAIRS) {
		fprintf(stderr, "usage: %s ULP[/PEER_ULP]:VERSION:CIPHER...\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < n; i++) {
		err = hold_open(argv[i + 1], &pairs[i]);
		if (err) {
			fprintf(stderr, "tlsock_hold: %s: %s\n", argv[i + 1], strerror(-err));
			n = i + 1;
			rc = 1;
			goto out;
		}
		printf("pair %d %s %s %d %d\n", i, pairs[i].ulp, pairs[i].peer_ulp,
		       hold_port(pairs[i].a), hold_port(pairs[i].b));
	}
	printf("ready\n");

	while (fgets(line, sizeof(line), stdin)) {
		if (!strcmp(line, "check\n")) {
			err = hold_check(pairs, n, &bad);
			if (err)
				printf("fail %d: %s\n", bad, strerror(-err));
			else
				printf("ok\n");
			continue;
		}
		if (!strcmp(line, "quit\n"))
			break;
		printf("fail: unknown command\n");
	}
out:
	for (i = 0; i < n; i++) {
		if (pairs[i].a >= 0)
			close(pairs[i].a);
		if (pairs[i].b >= 0)
			close(pairs[i].b);
		tlsock_keys_wipe(&pairs[i].k_ab);
		tlsock_keys_wipe(&pairs[i].k_ba);
	}
	return rc;
}
