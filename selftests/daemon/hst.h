/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hs_test: tlsockd's handshake code on the host, without tlsock.ko.  A
 * client and a server run tlsockd_handshake() on the two ends of a loopback
 * TCP connection, in two threads; the tests check what each end would have
 * reported to the kernel in DONE.
 */
#ifndef HST_H
#define HST_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "../../daemon/tlsockd.h"

/* pki.c: certificates made at run time with certtool, and tlsockd.conf files */
extern char hst_dir[];
#define HST_LABEL63 "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk"
#define HST_LONG_SAN_LEN 253	/* manysan's first SAN: 3 labels of 63, one of 61 */
int hst_pki_make(void);
int hst_gen(const char *conf_text, struct tlsockd_gen **out);
int hst_write(const char *name, const char *text);

/* pair.c */
/**
 * struct hst_pair - one connection: what each end is told to do
 * @cgen: client's configuration generation
 * @sgen: server's
 * @cprofile: client profile
 * @sprofile: server profile
 * @server_name: the client's expected server name ("" = check the address)
 * @addr: IPv4 address the server listens on (default 127.0.0.1)
 * @mapped: the client connects from an IPv6 socket to ::ffff:@addr
 * @c: client outcome
 * @s: server outcome
 * @c_alert: TLS 1.3: the alert the client's kernel would read after a
 *	handshake the client completed (-1: none)
 */
struct hst_pair {
	const struct tlsockd_gen *cgen;
	const struct tlsockd_gen *sgen;
	const char *cprofile;
	const char *sprofile;
	const char *server_name;
	const char *addr;
	bool mapped;
	struct tlsockd_result c;
	struct tlsockd_result s;
	int c_alert;
};

int hst_run(struct hst_pair *p);

/* Each handshake's timeout_ms. */
#define HST_TIMEOUT_MS	5000

int hst_request(struct tlsockd_request *req, int fd, uint32_t role, const char *profile,
		const char *name);

/* One end of a connection, its handshake run in a thread. */
struct hst_end {
	pthread_t thread;
	const struct tlsockd_gen *gen;
	struct tlsockd_request req;
	struct tlsockd_result *res;
};

int hst_end_start(struct hst_end *e, const struct tlsockd_gen *gen, int fd, uint32_t role,
		  const char *profile, const char *name, struct tlsockd_result *res);
int hst_connect(const char *addr, const char *src, bool mapped, int *cfd, int *sfd);

/* hst_main.c: assertions; a failed one prints "# ..." and fails the test */
extern bool hst_failed;
extern bool hst_verbose;
void hst_check(bool ok, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
#define CHECK(cond, ...) hst_check((cond), __FILE__, __LINE__, __VA_ARGS__)
void hst_show(const char *who, const struct tlsockd_result *r);
pid_t hst_tlsockd_start(const char *conf, const char *notify);
bool hst_wait_exit(pid_t pid, int ms, int *st);


/* A pair over 127.0.0.1 with the shared generation on both ends. */
#define HST_PAIR(cp, sp, name) { .cgen = hst_base, .sgen = hst_base, .cprofile = (cp), \
				 .sprofile = (sp), .server_name = (name) }

/* Run @p; false (and the test failed) when the test could not run it. */
#define RUN(p) ({							\
	int __err = hst_run(p);						\
	CHECK(!__err, "cannot run the handshakes: %s", strerror(-__err)); \
	!__err;								\
})

/* Both ends succeeded, each as resumed as @res says (the test fails otherwise). */
bool hst_both_ok(const struct hst_pair *p, bool res);

#endif /* HST_H */
