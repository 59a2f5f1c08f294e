/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tlsbench: side-by-side performance of plain TCP, in-kernel kTLS, tlsock and userspace GnuTLS
 * over loopback. Shared types and the functions each file provides.
 */
#ifndef TLSOCK_BENCH_H
#define TLSOCK_BENCH_H

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/socket.h>
#include <linux/tls.h>
#include <gnutls/gnutls.h>

#include "kmem.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define TB_RECORD	16384		/* full TLS record payload, also the application chunk */
#define TB_MAX_RECORD	(TB_RECORD + 256)	/* payload plus any header, type byte and tag */

enum tlsock_bench_stack { TB_PLAIN, TB_KTLS, TB_TLSOCK, TB_GNUTLS, TB_NSTACKS };
enum tlsock_bench_mode { TB_TX, TB_RX, TB_E2E, TB_NMODES };

extern const char *const tlsock_bench_stack_name[TB_NSTACKS];
extern const char *const tlsock_bench_mode_name[TB_NMODES];

/* One protocol version and cipher, as each of the four stacks names it. */
struct tlsock_bench_suite {
	const char *name;		/* "aes128gcm-tls13" */
	const char *gnutls_prio;	/* GnuTLS priority string selecting exactly this suite */
	gnutls_cipher_algorithm_t gnutls_cipher;
	gnutls_protocol_t gnutls_version;
	uint16_t version;		/* TLS_1_2_VERSION or TLS_1_3_VERSION */
	uint16_t cipher_type;		/* TLS_CIPHER_* */
};

extern const struct tlsock_bench_suite tlsock_bench_suites[];
extern const size_t tlsock_bench_nsuites;

/* The kernel's crypto state for one direction, ready for setsockopt(SOL_TLS, TLS_TX/TLS_RX). */
struct tlsock_bench_crypto {
	union {
		struct tls_crypto_info info;
		struct tls12_crypto_info_aes_gcm_128 gcm128;
		struct tls12_crypto_info_aes_gcm_256 gcm256;
		struct tls12_crypto_info_aes_ccm_128 ccm128;
		struct tls12_crypto_info_chacha20_poly1305 chacha;
	} u;
	socklen_t len;
};

/* The fields of one cipher's crypto_info, wherever that cipher's layout puts them. */
struct tlsock_bench_keyview {
	unsigned char *iv, *key, *salt, *seq;
	size_t iv_len, key_len, salt_len;
};

/* The receiving end of a TX-bound case: record framing seen so far, and the first record. */
struct tlsock_bench_wire {
	uint8_t hdr[5];
	size_t hdr_len;		/* header bytes of the current record seen */
	size_t body_left;	/* bytes of the current record's body still to come */
	uint64_t records;	/* whole records seen */
	uint8_t *first;		/* copy of the first record, header included */
	size_t first_len;
};

/* Where application bytes go: a kernel socket (plain or with a ULP) or a GnuTLS session on it. */
struct tlsock_bench_ep {
	int fd;
	gnutls_session_t gs;	/* NULL unless the GnuTLS stack */
};

/* A pre-built run of valid records (one direction), replayed raw by a plain sender. */
struct tlsock_bench_stream {
	uint8_t *buf;
	size_t len;
	size_t *rec_end;	/* rec_end[i]: offset just past record i */
	size_t nrec;
};

/* A GnuTLS session pair after a real handshake, plus the client-to-server keys it agreed. */
struct tlsock_bench_gtls_pair {
	gnutls_session_t client;
	gnutls_session_t server;
	unsigned char c2s_seq[8];	/* client write sequence right after the handshake */
};

struct tlsock_bench_opts {
	double seconds;		/* duration of each bulk case */
	unsigned int reps;	/* repetitions of each case, interleaved across stacks; best kept */
	size_t rx_mib;		/* size of the pre-built RX stream, MiB of plaintext */
	unsigned int rtt_iters;
	unsigned int mem_pairs;
	unsigned int mem_reps;	/* runs per stack of the memory measure; 0: max(3, reps) */
	const struct tlsock_bench_suite *rtt_suite;
	const struct tlsock_bench_suite *mem_suite;
	unsigned int stacks;	/* bit mask of enum tlsock_bench_stack */
	unsigned int parts;	/* bit mask: 1 bulk, 2 rtt, 4 mem */
	unsigned int suites;	/* bit mask over tlsock_bench_suites[] */
	unsigned int modes;	/* bit mask of enum tlsock_bench_mode (bulk directions) */
	const char *summary_path;
};

/* Outcome of one bulk case. */
struct tlsock_bench_bulk_res {
	int err;		/* 0 or -errno */
	uint64_t bytes;		/* plaintext bytes that crossed */
	double secs;
	double mbps;		/* plaintext MB/s, 1 MB = 10^6 bytes */
	double worst_mbps;	/* slowest of the repetitions, to show the noise */
};

struct tlsock_bench_rtt_res {
	int err;
	unsigned int iters;
	double mean_us, p50_us, p99_us;
};

/*
 * Gauges that count live sockets of a stack, read before, at the peak and after close:
 * the reference count of the ULP's module (tcp_set_ulp takes one per socket, its cleanup drops
 * it) and, for tlsock, TlsockCurrTx/TlsockCurrRx of /proc/net/tlsock_stat. -1 when unreadable.
 */
enum tlsock_bench_gauge { TB_G_MODREF, TB_G_CURR_TX, TB_G_CURR_RX, TB_NGAUGES };

extern const char *const tlsock_bench_gauge_name[TB_NGAUGES];

#define TB_MEM_TOP	6

struct tlsock_bench_mem_res {
	int err;
	unsigned int sockets;
	double kernel_kib;	/* per socket: slab_kib + pages_kib */
	double slab_kib;	/* per socket: live slab objects */
	double pages_kib;	/* per socket: other kernel pages */
	double residue_kib;	/* whole run: kernel memory above the baseline once all closed */
	double residue_slab_kib;	/* the slab part of it */
	long gauge_peak[TB_NGAUGES];	/* at the peak minus before; 0 where not read */
	long gauge_left[TB_NGAUGES];	/* after close minus before */
	unsigned int gauges;	/* bit mask of the gauges read */
	/* the slab caches that grew most: at the peak (whole run, KiB) and after close */
	struct tlsock_bench_slab_delta peak_top[TB_MEM_TOP], residue_top[TB_MEM_TOP];
	unsigned int npeak_top, nresidue_top;
	int gauges_ok;		/* each rose by exactly `sockets` and came back to its start */
};

#define TB_MAX_SUITES	8
#define TB_RTT_SIZES	2
#define TB_NOT_RUN	(-ENODATA)	/* result slot never measured */

extern const size_t tlsock_bench_rtt_size[TB_RTT_SIZES];

/* Everything one run measured; err == TB_NOT_RUN where a case was not run. */
struct tlsock_bench_results {
	int ktls_missing;		/* -errno of the kTLS probe, 0 if usable */
	unsigned int stacks;		/* stacks actually measured */
	unsigned int suites;		/* bit mask over tlsock_bench_suites[] */
	struct tlsock_bench_bulk_res plain[TB_NMODES];
	struct tlsock_bench_bulk_res bulk[TB_MAX_SUITES][TB_NMODES][TB_NSTACKS];
	struct tlsock_bench_rtt_res rtt[TB_RTT_SIZES][TB_NSTACKS];
	struct tlsock_bench_mem_res mem[TB_NSTACKS];
	unsigned int mem_reps;
};

/* report.c */
void tlsock_bench_report(FILE *out, const struct tlsock_bench_opts *o,
			 const struct tlsock_bench_results *r);
void tlsock_bench_summary(FILE *out, const struct tlsock_bench_opts *o,
			  const struct tlsock_bench_results *r);
const char *tlsock_bench_strerr(int err);

/* pin.c */
extern int tlsock_bench_cpu[2];	/* CPU of the sender/client (0) and receiver/echo (1), -1 free */
int tlsock_bench_pin(int role);

/* clock.c */
double tlsock_bench_now(void);

/* net.c */
int tlsock_bench_listen(int *lfd);
int tlsock_bench_connect(int lfd, int *cfd, int *sfd);
int tlsock_bench_tcp_pair(int *cfd, int *sfd);
int tlsock_bench_send_all(int fd, const void *buf, size_t len);
int tlsock_bench_nodelay(int fd);

/* io.c */
int tlsock_bench_ep_send(const struct tlsock_bench_ep *ep, const void *buf, size_t len);
ssize_t tlsock_bench_ep_recv(const struct tlsock_bench_ep *ep, void *buf, size_t len);
int tlsock_bench_ep_recv_all(const struct tlsock_bench_ep *ep, void *buf, size_t len);

/* pattern.c */
void tlsock_bench_pattern_fill(uint8_t *buf, size_t len, uint64_t off);
int tlsock_bench_pattern_check(const uint8_t *buf, size_t len, uint64_t off);

/* kern.c */
const char *tlsock_bench_ulp(enum tlsock_bench_stack stack);
int tlsock_bench_crypto_view(struct tlsock_bench_crypto *c, struct tlsock_bench_keyview *v);
int tlsock_bench_crypto_random(const struct tlsock_bench_suite *s, struct tlsock_bench_crypto *c);
int tlsock_bench_crypto_set(const struct tlsock_bench_suite *s, struct tlsock_bench_crypto *c,
			    const gnutls_datum_t *key, const gnutls_datum_t *iv,
			    const unsigned char seq[8]);
void tlsock_bench_crypto_wipe(struct tlsock_bench_crypto *c);
int tlsock_bench_attach(int fd, enum tlsock_bench_stack stack);
int tlsock_bench_set_key(int fd, int dir, const struct tlsock_bench_crypto *c);
int tlsock_bench_kern_setup(int fd, enum tlsock_bench_stack stack, int tx, int rx,
			    const struct tlsock_bench_crypto *c);
int tlsock_bench_stack_probe(enum tlsock_bench_stack stack);

/* gtls.c */
int tlsock_bench_gtls_init(void);
void tlsock_bench_gtls_deinit(void);
int tlsock_bench_gtls_handshake(const struct tlsock_bench_suite *s, int cfd, int sfd,
				struct tlsock_bench_gtls_pair *p);
void tlsock_bench_gtls_free(struct tlsock_bench_gtls_pair *p);
int tlsock_bench_gtls_c2s_crypto(const struct tlsock_bench_suite *s,
				 struct tlsock_bench_gtls_pair *p, struct tlsock_bench_crypto *c);
int tlsock_bench_gtls_rewind(struct tlsock_bench_gtls_pair *p);
int tlsock_bench_errno(int gnutls_err);

/* wire.c */
int tlsock_bench_wire_init(struct tlsock_bench_wire *w);
void tlsock_bench_wire_free(struct tlsock_bench_wire *w);
int tlsock_bench_wire_feed(struct tlsock_bench_wire *w, const uint8_t *p, size_t n);
int tlsock_bench_wire_check(struct tlsock_bench_wire *w, const struct tlsock_bench_suite *s,
			    const struct tlsock_bench_crypto *c, const uint8_t *expect,
			    size_t expect_len);

/* stream.c */
int tlsock_bench_stream_build(gnutls_session_t sender, size_t nrec, struct tlsock_bench_stream *st);
void tlsock_bench_stream_free(struct tlsock_bench_stream *st);

/* bulk.c */
struct tlsock_bench_rx_src {
	const struct tlsock_bench_stream *stream;
	const struct tlsock_bench_crypto *crypto;	/* its keys, for kernel receivers */
	struct tlsock_bench_gtls_pair *gtls;	/* session pair whose client built the stream */
};
int tlsock_bench_bulk(enum tlsock_bench_stack stack, enum tlsock_bench_mode mode,
		      const struct tlsock_bench_suite *s, const struct tlsock_bench_rx_src *src,
		      double seconds, struct tlsock_bench_bulk_res *res);

/* rtt.c */
int tlsock_bench_rtt(enum tlsock_bench_stack stack, const struct tlsock_bench_suite *s,
		     size_t msg, unsigned int iters, struct tlsock_bench_rtt_res *res);

/* mem.c */
int tlsock_bench_mem(enum tlsock_bench_stack stack, const struct tlsock_bench_suite *s,
		     unsigned int pairs, struct tlsock_bench_mem_res *res);

/* suites.c */
const struct tlsock_bench_suite *tlsock_bench_suite_find(const char *name);

#endif /* TLSOCK_BENCH_H */
