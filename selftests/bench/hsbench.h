/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hsbench: handshakes per second and handshake latency, tlsock managed handshakes (through
 * tlsockd) against the same mutual-TLS handshake done in-process with GnuTLS.
 */
#ifndef TLSOCK_HSBENCH_H
#define TLSOCK_HSBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <gnutls/gnutls.h>

#define HB_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define HB_MAX_PAIRS		64
#define HB_SERVER_NAME		"server.test"
#define HB_TIMEOUT_MS		30000

enum hb_stack { HB_GNUTLS, HB_TLSOCK, HB_NSTACKS };

/* One protocol version: the GnuTLS priority string both stacks use, and what must come out. */
struct hb_version {
	const char *name;		/* "tls13" */
	const char *prio;		/* GnuTLS priority string, also written into tlsockd.conf */
	gnutls_protocol_t gnutls_version;
	uint16_t version;		/* TLS_1_x_VERSION */
	uint16_t cipher;		/* TLS_CIPHER_* */
};

extern const struct hb_version hb_versions[];
extern const size_t hb_nversions;

/* One measured case. */
struct hb_case {
	const struct hb_version *ver;
	bool resume;		/* session tickets on both ends, clients offer the last session */
	unsigned int pairs;	/* client/server thread pairs running at once */
};

/* What one client connection produced. */
struct hb_conn {
	uint64_t usec;		/* connect() to the server's first byte, both handshakes done */
	bool resumed;		/* the client saw a resumed session */
	bool server_resumed;	/* the server saw one */
};

/*
 * One end of one stack. A client handle lives for a whole run (it keeps the session to resume);
 * each call handles one connection on a connected socket and leaves it open.
 */
struct hb_stack_ops {
	const char *name;
	int (*init)(const char *pki, char *why, size_t whylen);
	void (*exit)(void);
	void *(*client_new)(const struct hb_case *c);
	void (*client_free)(void *cl);
	/* handshake, read the server's byte; fill @out (usec excluded) */
	int (*client)(void *cl, const struct hb_case *c, int fd, struct hb_conn *out,
		      char *why, size_t whylen);
	/*
	 * handshake, send one byte; *resumed from the server's view; *@state
	 * is what server_close() needs (NULL: nothing)
	 */
	int (*server)(const struct hb_case *c, int fd, bool *resumed, void **state, char *why,
		      size_t whylen);
	/*
	 * the server's end of a connection whose server() succeeded, once the
	 * client has closed and before the socket is: close_notify, as a
	 * tlsock socket sends it when closed (NULL: nothing to do)
	 */
	void (*server_close)(void *state);
};

extern const struct hb_stack_ops hb_gnutls_ops;
extern const struct hb_stack_ops hb_tlsock_ops;

/* Profile names in tlsockd.conf (hsbench --print-conf writes them). */
void hb_profile_name(char *buf, size_t size, const struct hb_case *c, bool server);

/* The outcome of one run of one case on one stack. */
struct hb_result {
	unsigned long conns;		/* timed connections */
	unsigned long resumed;		/* of which the client saw resumed */
	unsigned long served;		/* timed connections the servers completed */
	unsigned long server_resumed;	/* of which the server saw resumed */
	double seconds;
	double rate;			/* connections per second */
	double p50_ms, p99_ms, mean_ms;
	double pct_ms[6];		/* p10, p25, p75, p90, p95 and the maximum (--dist) */
	int err;			/* negative errno when the run failed */
	char why[256];
};

int hb_run(const struct hb_stack_ops *ops, const struct hb_case *c, double seconds,
	   unsigned int warmup, struct hb_result *res);

uint64_t hb_now_usec(void);

#endif /* TLSOCK_HSBENCH_H */
