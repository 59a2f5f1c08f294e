// SPDX-License-Identifier: GPL-2.0
/*
 * tlsock's own selftests of the record layer: what the kernel's
 * tools/testing/selftests/net/tls.c does not cover.
 *
 *   wire     records tlsock writes are read by the kernel's kTLS and the
 *            other way round (needs the "tls" module)
 *   hostile  a plain TCP peer writes records a userspace AEAD built, then
 *            breaks them: errors, never plaintext that did not authenticate
 *   sockopt  the SOL_TLS option matrix, run against tlsock and kTLS alike
 *   ulp      attaching the ULP where it does not belong
 *   stats    /proc/net/tlsock_stat per network namespace, and INET_DIAG
 *   bulk     large verified transfers, tiny windows, peek, splice, sendfile
 *
 * Every test runs in a network namespace of its own (so the counters of
 * /proc/net/tlsock_stat start at zero) and over loopback TCP.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "lib.h"
#include "kselftest_harness.h"

#define ULP_TLSOCK	"tlsock"
#define ULP_KTLS	"tls"

/* The 2 versions x 4 ciphers every record-layer fixture runs with. */
#define TLSOCK_VARIANT(fix, name, ver, ciph)				\
	FIXTURE_VARIANT_ADD(fix, name) {				\
		.version = (ver),					\
		.cipher = (ciph),					\
	};

#define TLSOCK_VARIANTS(fix)						\
	TLSOCK_VARIANT(fix, tls12_aes_gcm_128, TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128) \
	TLSOCK_VARIANT(fix, tls12_aes_gcm_256, TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_256) \
	TLSOCK_VARIANT(fix, tls12_chacha20, TLS_1_2_VERSION, TLS_CIPHER_CHACHA20_POLY1305) \
	TLSOCK_VARIANT(fix, tls12_aes_ccm_128, TLS_1_2_VERSION, TLS_CIPHER_AES_CCM_128) \
	TLSOCK_VARIANT(fix, tls13_aes_gcm_128, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128) \
	TLSOCK_VARIANT(fix, tls13_aes_gcm_256, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_256) \
	TLSOCK_VARIANT(fix, tls13_chacha20, TLS_1_3_VERSION, TLS_CIPHER_CHACHA20_POLY1305) \
	TLSOCK_VARIANT(fix, tls13_aes_ccm_128, TLS_1_3_VERSION, TLS_CIPHER_AES_CCM_128)

/* @call must return -1 with errno @want. */
#define ASSERT_FAILS(call, want) do {						\
	long __ret;								\
	int __err;								\
	errno = 0;								\
	__ret = (call);								\
	__err = errno;								\
	ASSERT_EQ(-1, __ret)							\
		TH_LOG("%s returned %ld, wanted failure with %s", #call, __ret,	\
		       strerror(want));						\
	ASSERT_EQ(want, __err)							\
		TH_LOG("%s failed with %s, wanted %s", #call, strerror(__err),	\
		       strerror(want));						\
} while (0)

/* @call must return 0 (a -errno helper or a syscall). */
#define ASSERT_OK(call) do {							\
	long __ret = (call);							\
	int __err = __ret == -1 ? errno : (int)-__ret;				\
	ASSERT_EQ(0, __ret) TH_LOG("%s: %s", #call, strerror(__err));		\
} while (0)

/* ------------------------------------------------------------------------ */
/* shared helpers                                                           */
/* ------------------------------------------------------------------------ */

static long stat_of(struct __test_metadata *_metadata, const char *name)
{
	long v = -1;
	int err = tlsock_stat_get(name, &v);

	ASSERT_EQ(0, err) TH_LOG("/proc/net/tlsock_stat %s: %s", name, strerror(-err));
	return v;
}

static void enter_netns(struct __test_metadata *_metadata)
{
	int err = tlsock_netns_enter();

	ASSERT_EQ(0, err) TH_LOG("unshare(CLONE_NEWNET) / lo up: %s", strerror(-err));
}

static void attach(struct __test_metadata *_metadata, int fd, const char *ulp)
{
	int err = tlsock_attach(fd, ulp);

	ASSERT_EQ(0, err) TH_LOG("setsockopt(TCP_ULP, \"%s\"): %s%s", ulp, strerror(-err),
				 strcmp(ulp, ULP_KTLS) ? "" :
				 " (the kernel's tls module must be loadable: modprobe tls)");
}

static void set_keys(struct __test_metadata *_metadata, int fd, bool tx,
		     const struct tlsock_keys *k)
{
	int err = tlsock_set_keys(fd, tx, k);

	ASSERT_EQ(0, err) TH_LOG("setsockopt(SOL_TLS, %s): %s", tx ? "TLS_TX" : "TLS_RX",
				 strerror(-err));
}

static void new_keys(struct __test_metadata *_metadata, struct tlsock_keys *k,
		     uint16_t version, uint16_t cipher)
{
	ASSERT_OK(tlsock_keys_init(k, version, cipher));
}

/* Send @len bytes as one send(); all must be accepted. */
static void send_ok(struct __test_metadata *_metadata, int fd, const void *buf, size_t len,
		    int flags)
{
	ssize_t n = send(fd, buf, len, flags | MSG_NOSIGNAL);

	ASSERT_EQ((ssize_t)len, n) TH_LOG("send(%zu): %s", len, n < 0 ? strerror(errno) : "short");
}

/* Read exactly @len bytes and compare them with @want. */
static void recv_expect(struct __test_metadata *_metadata, int fd, const void *want, size_t len)
{
	char *buf = malloc(len + 1);
	ssize_t n;

	ASSERT_NE(NULL, buf);
	n = tlsock_read_full(fd, buf, len);
	ASSERT_EQ((ssize_t)len, n) TH_LOG("read %zd of %zu bytes: %s", n, len,
					  n < 0 ? strerror(-n) : "end of stream");
	ASSERT_EQ(0, memcmp(buf, want, len)) TH_LOG("received bytes differ from those sent");
	free(buf);
}

/* One recvmsg with a cmsg buffer: @want bytes of record type @type exactly. */
static void recv_record(struct __test_metadata *_metadata, int fd, uint8_t type,
			const void *want, size_t len)
{
	char buf[TLSOCK_REC_BUF];
	uint8_t got_type;
	ssize_t n;

	n = tlsock_recv_type(fd, &got_type, buf, sizeof(buf), 0);
	ASSERT_EQ((ssize_t)len, n) TH_LOG("recvmsg: %s", n < 0 ? strerror(-n) : "wrong length");
	ASSERT_EQ(type, got_type);
	ASSERT_EQ(0, memcmp(buf, want, len));
}

/* Plaintext still flows both ways (nothing configured on either end). */
static void plain_works(struct __test_metadata *_metadata, int a, int b)
{
	static const char ab[] = "plain a to b", ba[] = "plain b to a";

	send_ok(_metadata, a, ab, sizeof(ab), 0);
	recv_expect(_metadata, b, ab, sizeof(ab));
	send_ok(_metadata, b, ba, sizeof(ba), 0);
	recv_expect(_metadata, a, ba, sizeof(ba));
}

/* @tx (TLS_TX set) reaches @rx (TLS_RX set with the same keys). */
static void tls_flows(struct __test_metadata *_metadata, int tx, int rx)
{
	char msg[3000];

	tlsock_pat_fill(tlsock_pat_seed(), 0, msg, sizeof(msg));
	send_ok(_metadata, tx, msg, sizeof(msg), 0);
	send_ok(_metadata, tx, msg, 17, 0);
	recv_expect(_metadata, rx, msg, sizeof(msg));
	recv_expect(_metadata, rx, msg, 17);
}

/* Pattern pumps run in threads: no ASSERT in there, results are checked after. */
struct pump {
	int fd;
	uint64_t seed;
	size_t len;
	size_t max_chunk;
	int flags;
	ssize_t done;		/* bytes moved, or -errno */
	ssize_t bad_at;		/* reader: first wrong byte, -1 if none */
	pthread_t thread;
};

static void *pump_write(void *arg)
{
	struct pump *p = arg;
	size_t cap = p->max_chunk ? p->max_chunk : 65536;
	uint8_t *buf = malloc(cap);
	size_t off = 0, step = 0;

	p->done = -ENOMEM;
	if (!buf)
		return NULL;
	while (off < p->len) {
		/* vary the sizes so record boundaries fall everywhere */
		size_t n = 1 + (step++ * 7919 + 13) % cap;
		ssize_t w;

		if (n > p->len - off)
			n = p->len - off;
		tlsock_pat_fill(p->seed, off, buf, n);
		w = tlsock_write_all(p->fd, buf, n);
		if (w < 0) {
			p->done = w;
			free(buf);
			return NULL;
		}
		off += n;
	}
	p->done = off;
	free(buf);
	return NULL;
}

static void *pump_read(void *arg)
{
	struct pump *p = arg;
	size_t cap = p->max_chunk ? p->max_chunk : 65536;
	uint8_t *buf = malloc(cap);
	size_t off = 0;

	p->bad_at = -1;
	p->done = -ENOMEM;
	if (!buf)
		return NULL;
	while (off < p->len) {
		size_t want = p->len - off < cap ? p->len - off : cap;
		ssize_t n = recv(p->fd, buf, want, p->flags);
		ssize_t bad;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			p->done = n < 0 ? -errno : (ssize_t)off;
			free(buf);
			return NULL;
		}
		bad = tlsock_pat_check(p->seed, off, buf, n);
		if (bad >= 0) {
			p->bad_at = off + bad;
			p->done = off + n;
			free(buf);
			return NULL;
		}
		off += n;
	}
	p->done = off;
	free(buf);
	return NULL;
}

static void pump_start(struct __test_metadata *_metadata, struct pump *p, bool writer)
{
	ASSERT_EQ(0, pthread_create(&p->thread, NULL, writer ? pump_write : pump_read, p));
}

static void pump_join_writer(struct __test_metadata *_metadata, struct pump *p)
{
	pthread_join(p->thread, NULL);
	ASSERT_EQ((ssize_t)p->len, p->done) TH_LOG("writer: %s",
						   p->done < 0 ? strerror(-p->done) : "short");
}

static void pump_join_reader(struct __test_metadata *_metadata, struct pump *p)
{
	pthread_join(p->thread, NULL);
	ASSERT_EQ(-1, p->bad_at) TH_LOG("byte %zd differs (seed %#llx)", p->bad_at,
					(unsigned long long)p->seed);
	ASSERT_EQ((ssize_t)p->len, p->done) TH_LOG("reader: %s",
						   p->done < 0 ? strerror(-p->done) : "short");
}

/* ------------------------------------------------------------------------ */
/* wire: tlsock and the kernel's kTLS read each other's records             */
/* ------------------------------------------------------------------------ */

FIXTURE(wire) {
	int tx, rx;
	struct tlsock_keys k;
	bool tlsock_tx;		/* else tlsock is the receiver */
};

FIXTURE_VARIANT(wire) {
	uint16_t version;
	uint16_t cipher;
};

TLSOCK_VARIANTS(wire)

FIXTURE_SETUP(wire)
{
	self->tx = self->rx = -1;
	enter_netns(_metadata);
	ASSERT_OK(tlsock_tcp_pair(AF_INET, 0, &self->tx, &self->rx));
	new_keys(_metadata, &self->k, variant->version, variant->cipher);
}

FIXTURE_TEARDOWN(wire)
{
	if (self->tx >= 0)
		close(self->tx);
	if (self->rx >= 0)
		close(self->rx);
	tlsock_keys_wipe(&self->k);
}

static void wire_attach(struct __test_metadata *_metadata, FIXTURE_DATA(wire) *self,
			bool tlsock_tx)
{
	self->tlsock_tx = tlsock_tx;
	attach(_metadata, self->tx, tlsock_tx ? ULP_TLSOCK : ULP_KTLS);
	attach(_metadata, self->rx, tlsock_tx ? ULP_KTLS : ULP_TLSOCK);
	set_keys(_metadata, self->tx, true, &self->k);
	set_keys(_metadata, self->rx, false, &self->k);
}

/* Records tlsock sealed (tlsock TX) or opened (tlsock RX) in this namespace. */
static long wire_records(struct __test_metadata *_metadata, FIXTURE_DATA(wire) *self)
{
	return stat_of(_metadata, self->tlsock_tx ? "TlsockTxRecords" : "TlsockRxRecords");
}

/*
 * tlsock fills records to 16 KiB exactly as asked; kTLS may cut a record
 * short when it runs out of send buffer, so with kTLS sealing only a lower
 * bound holds.
 */
static void wire_expect_records(struct __test_metadata *_metadata, FIXTURE_DATA(wire) *self,
				long want)
{
	long got = wire_records(_metadata, self);

	if (self->tlsock_tx) {
		ASSERT_EQ(want, got);
	} else {
		ASSERT_LE(want, got);
	}
}

static void wire_small(struct __test_metadata *_metadata, FIXTURE_DATA(wire) *self,
		       bool tlsock_tx)
{
	static const size_t sizes[] = { 1, 2, 7, 100, 1000, 4095, 4096, 4097 };
	uint64_t seed = tlsock_pat_seed();
	char buf[4097];
	size_t i, off = 0;

	wire_attach(_metadata, self, tlsock_tx);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		tlsock_pat_fill(seed, off, buf, sizes[i]);
		send_ok(_metadata, self->tx, buf, sizes[i], 0);
		/* one record at a time: the receiver sees exactly this send */
		recv_expect(_metadata, self->rx, buf, sizes[i]);
		off += sizes[i];
	}
	EXPECT_EQ((long)i, wire_records(_metadata, self));
}

static void wire_full(struct __test_metadata *_metadata, FIXTURE_DATA(wire) *self,
		      bool tlsock_tx)
{
	/* a full record, one byte more, several full ones and a tail */
	static const size_t sizes[] = { 16384, 16385, 3 * 16384 + 5 };
	static const long records[] = { 1, 2, 4 };
	uint64_t seed = tlsock_pat_seed();
	struct pump r = { .seed = seed };
	char *buf = malloc(3 * 16384 + 5);
	size_t i, total = 0;
	long want = 0;

	ASSERT_NE(NULL, buf);
	wire_attach(_metadata, self, tlsock_tx);
	for (i = 0; i < 3; i++)
		total += sizes[i];
	r.fd = self->rx;
	r.len = total;
	pump_start(_metadata, &r, false);
	total = 0;
	for (i = 0; i < 3; i++) {
		tlsock_pat_fill(seed, total, buf, sizes[i]);
		send_ok(_metadata, self->tx, buf, sizes[i], 0);
		total += sizes[i];
		want += records[i];
	}
	pump_join_reader(_metadata, &r);
	wire_expect_records(_metadata, self, want);
	free(buf);
}

static void wire_many(struct __test_metadata *_metadata, FIXTURE_DATA(wire) *self,
		      bool tlsock_tx)
{
	struct pump w = { .seed = tlsock_pat_seed(), .len = 2 * 1024 * 1024 + 77,
			  .max_chunk = 20000 };
	struct pump r = w;

	wire_attach(_metadata, self, tlsock_tx);
	w.fd = self->tx;
	r.fd = self->rx;
	r.max_chunk = 3000;
	pump_start(_metadata, &r, false);
	pump_start(_metadata, &w, true);
	pump_join_writer(_metadata, &w);
	pump_join_reader(_metadata, &r);
	EXPECT_LE(w.len / 16384, wire_records(_metadata, self));
}

static void wire_msg_more(struct __test_metadata *_metadata, FIXTURE_DATA(wire) *self,
			  bool tlsock_tx)
{
	uint64_t seed = tlsock_pat_seed();
	char buf[40000];
	size_t off;
	long base;

	wire_attach(_metadata, self, tlsock_tx);
	tlsock_pat_fill(seed, 0, buf, sizeof(buf));

	/* three sends, one record */
	send_ok(_metadata, self->tx, buf, 3, MSG_MORE);
	send_ok(_metadata, self->tx, buf + 3, 4, MSG_MORE);
	send_ok(_metadata, self->tx, buf + 7, 2, 0);
	recv_expect(_metadata, self->rx, buf, 9);
	ASSERT_EQ(1, wire_records(_metadata, self));

	/* 40 sends of 1000 bytes, all but the last with MSG_MORE: 16384 + 16384 + 7232 */
	for (off = 0; off < sizeof(buf); off += 1000)
		send_ok(_metadata, self->tx, buf + off, 1000,
			off + 1000 < sizeof(buf) ? MSG_MORE : 0);
	recv_expect(_metadata, self->rx, buf, sizeof(buf));
	wire_expect_records(_metadata, self, 1 + 3);
	base = wire_records(_metadata, self);

	/* a control record closes the data record MSG_MORE kept open */
	send_ok(_metadata, self->tx, "pending", 7, MSG_MORE);
	ASSERT_EQ(3, tlsock_send_type(self->tx, TLSOCK_CT_HANDSHAKE, "hs!", 3, 0));
	recv_record(_metadata, self->rx, TLSOCK_CT_DATA, "pending", 7);
	recv_record(_metadata, self->rx, TLSOCK_CT_HANDSHAKE, "hs!", 3);
	ASSERT_EQ(base + 2, wire_records(_metadata, self));
}

static void wire_control(struct __test_metadata *_metadata, FIXTURE_DATA(wire) *self,
			 bool tlsock_tx)
{
	static const char alert[2] = { 1, 0 };	/* warning, close_notify */
	char hs[300];

	wire_attach(_metadata, self, tlsock_tx);
	tlsock_pat_fill(tlsock_pat_seed(), 0, hs, sizeof(hs));
	/*
	 * One well-formed handshake message, a Finished (type 20): random bytes
	 * could begin with 24, a KeyUpdate, after which a TLS 1.3 tlsock
	 * receiver rightly reads EKEYEXPIRED (1 run in 256 failed so).
	 */
	hs[0] = 20;
	hs[1] = 0;
	hs[2] = (sizeof(hs) - 4) >> 8;
	hs[3] = (sizeof(hs) - 4) & 0xff;

	send_ok(_metadata, self->tx, "first", 5, 0);
	ASSERT_EQ((ssize_t)sizeof(hs), tlsock_send_type(self->tx, TLSOCK_CT_HANDSHAKE, hs,
							sizeof(hs), 0));
	ASSERT_EQ(2, tlsock_send_type(self->tx, TLSOCK_CT_ALERT, alert, 2, 0));
	ASSERT_EQ(4, tlsock_send_type(self->tx, TLSOCK_CT_DATA, "data", 4, 0));
	send_ok(_metadata, self->tx, "last", 4, 0);

	/* records of different types are never merged into one read */
	recv_record(_metadata, self->rx, TLSOCK_CT_DATA, "first", 5);
	recv_record(_metadata, self->rx, TLSOCK_CT_HANDSHAKE, hs, sizeof(hs));
	recv_record(_metadata, self->rx, TLSOCK_CT_ALERT, alert, 2);
	recv_expect(_metadata, self->rx, "datalast", 8);
	ASSERT_EQ(5, wire_records(_metadata, self));
}

/* Both ends report the same record sequence through getsockopt. */
static void wire_seq_state(struct __test_metadata *_metadata, FIXTURE_DATA(wire) *self,
			   bool tlsock_tx)
{
	const struct tlsock_suite *s = self->k.suite;
	union tlsock_ci ci_tx, ci_rx, set;
	socklen_t len;
	uint64_t seq = 0;
	int i;

	wire_attach(_metadata, self, tlsock_tx);
	for (i = 0; i < 5; i++) {
		send_ok(_metadata, self->tx, "x", 1, 0);
		recv_expect(_metadata, self->rx, "x", 1);
	}
	len = s->info_len;
	ASSERT_OK(getsockopt(self->tx, SOL_TLS, TLS_TX, &ci_tx, &len));
	ASSERT_EQ(s->info_len, len);
	len = s->info_len;
	ASSERT_OK(getsockopt(self->rx, SOL_TLS, TLS_RX, &ci_rx, &len));
	ASSERT_EQ(s->info_len, len);

	tlsock_keys_info(&self->k, &set);
	for (i = 0; i < 8; i++)
		seq = (seq << 8) | self->k.seq[i];
	seq += 5;
	for (i = 7; i >= 0; i--, seq >>= 8)
		set.raw[s->seq_off + i] = seq & 0xff;
	EXPECT_EQ(0, memcmp(ci_tx.raw + s->seq_off, set.raw + s->seq_off, 8))
		TH_LOG("TX rec_seq is not the initial one plus 5 records");
	EXPECT_EQ(0, memcmp(ci_rx.raw + s->seq_off, set.raw + s->seq_off, 8))
		TH_LOG("RX rec_seq is not the initial one plus 5 records");
	EXPECT_EQ(0, memcmp(ci_tx.raw + s->key_off, set.raw + s->key_off, s->key_len));
	EXPECT_EQ(0, memcmp(ci_rx.raw + s->key_off, set.raw + s->key_off, s->key_len));
	EXPECT_EQ(0, memcmp(ci_tx.raw + s->salt_off, set.raw + s->salt_off, s->salt_len));
	EXPECT_EQ(self->k.version, ci_tx.info.version);
	EXPECT_EQ(self->k.suite->cipher, ci_rx.info.cipher_type);
	explicit_bzero(&set, sizeof(set));
	explicit_bzero(&ci_tx, sizeof(ci_tx));
	explicit_bzero(&ci_rx, sizeof(ci_rx));
}

#define WIRE_BOTH(name)								\
	TEST_F(wire, tlsock_to_ktls_##name) { wire_##name(_metadata, self, true); }	\
	TEST_F(wire, ktls_to_tlsock_##name) { wire_##name(_metadata, self, false); }

WIRE_BOTH(small)
WIRE_BOTH(full)
WIRE_BOTH(msg_more)
WIRE_BOTH(control)
WIRE_BOTH(seq_state)

TEST_F_TIMEOUT(wire, tlsock_to_ktls_many, 180) { wire_many(_metadata, self, true); }
TEST_F_TIMEOUT(wire, ktls_to_tlsock_many, 180) { wire_many(_metadata, self, false); }

/* One kTLS end, one tlsock end, both directions at once. */
TEST_F_TIMEOUT(wire, mixed_bidir, 180)
{
	struct tlsock_keys back;
	struct pump w1 = { .seed = tlsock_pat_seed(), .len = 1024 * 1024 + 1 };
	struct pump w2 = { .seed = tlsock_pat_seed(), .len = 1024 * 1024 + 3 };
	struct pump r1 = w1, r2 = w2;

	new_keys(_metadata, &back, self->k.version, self->k.suite->cipher);
	wire_attach(_metadata, self, true);
	set_keys(_metadata, self->rx, true, &back);
	set_keys(_metadata, self->tx, false, &back);
	w1.fd = self->tx;
	r1.fd = self->rx;
	w2.fd = self->rx;
	r2.fd = self->tx;
	pump_start(_metadata, &r1, false);
	pump_start(_metadata, &r2, false);
	pump_start(_metadata, &w1, true);
	pump_start(_metadata, &w2, true);
	pump_join_writer(_metadata, &w1);
	pump_join_writer(_metadata, &w2);
	pump_join_reader(_metadata, &r1);
	pump_join_reader(_metadata, &r2);
	tlsock_keys_wipe(&back);
}

/* What tlsock puts on the wire opens with an independent (userspace) AEAD. */
TEST_F(wire, tlsock_records_open_in_userspace)
{
	static const size_t sizes[] = { 1, 500, 16384 };
	uint64_t seed = tlsock_pat_seed();
	uint8_t *rec = malloc(TLSOCK_REC_BUF), *pt = malloc(TLSOCK_REC_BUF);
	uint8_t *want = malloc(TLSOCK_REC_BUF);
	struct tlsock_urec u;
	size_t i, total;
	uint8_t type;

	ASSERT_NE(NULL, rec);
	ASSERT_NE(NULL, pt);
	ASSERT_NE(NULL, want);
	attach(_metadata, self->tx, ULP_TLSOCK);
	set_keys(_metadata, self->tx, true, &self->k);
	ASSERT_OK(tlsock_urec_init(&u, &self->k));

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		ssize_t n;

		total = sizes[i] + tlsock_overhead(&self->k);
		tlsock_pat_fill(seed, i, want, sizes[i]);
		send_ok(_metadata, self->tx, want, sizes[i], 0);
		/* the plain TCP receiver sees exactly one record of the expected size */
		ASSERT_EQ((ssize_t)total, tlsock_read_full(self->rx, rec, total));
		ASSERT_EQ(TLSOCK_CT_DATA, rec[0]);
		ASSERT_EQ(3, rec[1]);
		ASSERT_EQ(3, rec[2]);
		n = tlsock_urec_open(&u, rec, total, &type, pt, TLSOCK_REC_BUF);
		ASSERT_EQ((ssize_t)sizes[i], n) TH_LOG("record %zu does not open: %s", i,
						       n < 0 ? strerror(-n) : "wrong length");
		ASSERT_EQ(TLSOCK_CT_DATA, type);
		ASSERT_EQ(0, memcmp(pt, want, sizes[i]));
	}

	/* a control record: TLS 1.3 hides the type inside, TLS 1.2 shows it */
	ASSERT_EQ(3, tlsock_send_type(self->tx, TLSOCK_CT_HANDSHAKE, "abc", 3, 0));
	total = 3 + tlsock_overhead(&self->k);
	ASSERT_EQ((ssize_t)total, tlsock_read_full(self->rx, rec, total));
	ASSERT_EQ(tlsock_is_13(&self->k) ? TLSOCK_CT_DATA : TLSOCK_CT_HANDSHAKE, rec[0]);
	ASSERT_EQ(3, tlsock_urec_open(&u, rec, total, &type, pt, TLSOCK_REC_BUF));
	ASSERT_EQ(TLSOCK_CT_HANDSHAKE, type);
	ASSERT_EQ(0, memcmp(pt, "abc", 3));
	tlsock_urec_free(&u);
	free(rec);
	free(pt);
	free(want);
}

/*
 * sendfile() and splice() into a tlsock socket put records on the wire, never the file's bytes:
 * a child feeds a memfd with sendfile and a pipe with splice (zero-copy off and on), the plain
 * TCP receiver opens every record in userspace and gets the pattern back, nothing else.  On 6.1
 * this is the sendpage path (kmod/compat.c), on 6.12 MSG_SPLICE_PAGES.
 */
TEST_F_TIMEOUT(wire, sendfile_and_splice_are_records, 180)
{
	const size_t chunk = (256 << 10) + 123;	/* per sendfile and per splice, each zc setting */
	const size_t len = 4 * chunk;
	uint64_t seed = tlsock_pat_seed();
	uint8_t *rec = malloc(TLSOCK_REC_BUF), *pt = malloc(TLSOCK_REC_BUF);
	struct tlsock_urec u;
	size_t got = 0;
	int status;
	pid_t pid;

	ASSERT_NE(NULL, rec);
	ASSERT_NE(NULL, pt);
	attach(_metadata, self->tx, ULP_TLSOCK);
	set_keys(_metadata, self->tx, true, &self->k);
	ASSERT_OK(tlsock_urec_init(&u, &self->k));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		uint8_t *buf = malloc(chunk);
		unsigned int zc;
		size_t off = 0;
		int fd, p[2];

		fd = memfd_create("tlsock-wire", MFD_CLOEXEC);
		if (!buf || fd < 0 || pipe(p))
			_exit(10);
		for (zc = 0; zc <= 1; zc++) {
			off_t foff = 0;
			size_t done = 0;

			if (setsockopt(self->tx, SOL_TLS, TLS_TX_ZEROCOPY_RO, &zc, sizeof(zc)))
				_exit(11);
			tlsock_pat_fill(seed, off, buf, chunk);
			if (pwrite(fd, buf, chunk, 0) != (ssize_t)chunk)
				_exit(12);
			while ((size_t)foff < chunk)
				if (sendfile(self->tx, fd, &foff, chunk - foff) <= 0)
					_exit(13);
			off += chunk;
			tlsock_pat_fill(seed, off, buf, chunk);
			while (done < chunk) {
				size_t n = chunk - done < 65536 ? chunk - done : 65536;
				ssize_t in = write(p[1], buf + done, n), s;

				if (in <= 0)
					_exit(14);
				for (s = 0; s < in;) {
					ssize_t m = splice(p[0], NULL, self->tx, NULL, in - s, 0);

					if (m <= 0)
						_exit(15);
					s += m;
				}
				done += in;
			}
			off += chunk;
		}
		_exit(0);
	}

	while (got < len) {
		unsigned int rlen;
		uint8_t type;
		ssize_t n;

		ASSERT_EQ(5, tlsock_read_full(self->rx, rec, 5)) TH_LOG("wire ends at %zu", got);
		ASSERT_EQ(TLSOCK_CT_DATA, rec[0]) TH_LOG("not a record header at plaintext %zu", got);
		ASSERT_EQ(3, rec[1]);
		ASSERT_EQ(3, rec[2]);
		rlen = rec[3] << 8 | rec[4];
		ASSERT_GE(TLSOCK_REC_BUF - 5, rlen);
		ASSERT_EQ((ssize_t)rlen, tlsock_read_full(self->rx, rec + 5, rlen));
		n = tlsock_urec_open(&u, rec, rlen + 5, &type, pt, TLSOCK_REC_BUF);
		ASSERT_LE(0, n) TH_LOG("record at plaintext %zu does not open: %s", got,
				       strerror(-n));
		ASSERT_EQ(TLSOCK_CT_DATA, type);
		ASSERT_GE(len - got, (size_t)n);
		ASSERT_EQ(-1, tlsock_pat_check(seed, got, pt, n)) TH_LOG("wrong data at %zu", got);
		got += n;
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("sender: status %#x", status);
	tlsock_urec_free(&u);
	free(rec);
	free(pt);
}

/* ------------------------------------------------------------------------ */
/* hostile: a plain TCP peer writes records into a tlsock RX socket         */
/* ------------------------------------------------------------------------ */

FIXTURE(hostile) {
	int peer, sk;
	struct tlsock_keys k;
	struct tlsock_urec u;
	uint8_t *rec;
	uint8_t *buf;
};

FIXTURE_VARIANT(hostile) {
	uint16_t version;
	uint16_t cipher;
};

TLSOCK_VARIANTS(hostile)

FIXTURE_SETUP(hostile)
{
	self->peer = self->sk = -1;
	self->rec = malloc(4 * TLSOCK_REC_BUF);
	self->buf = malloc(4 * TLSOCK_REC_BUF);
	ASSERT_NE(NULL, self->rec);
	ASSERT_NE(NULL, self->buf);
	enter_netns(_metadata);
	ASSERT_OK(tlsock_tcp_pair(AF_INET, 0, &self->peer, &self->sk));
	/* every write of the peer leaves at once: records arrive split as written */
	ASSERT_OK(setsockopt(self->peer, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int)));
	new_keys(_metadata, &self->k, variant->version, variant->cipher);
	attach(_metadata, self->sk, ULP_TLSOCK);
	set_keys(_metadata, self->sk, false, &self->k);
	ASSERT_OK(tlsock_urec_init(&self->u, &self->k));
}

FIXTURE_TEARDOWN(hostile)
{
	if (self->peer >= 0)
		close(self->peer);
	if (self->sk >= 0)
		close(self->sk);
	tlsock_urec_free(&self->u);
	tlsock_keys_wipe(&self->k);
	free(self->rec);
	free(self->buf);
}

static size_t h_seal(struct __test_metadata *_metadata, FIXTURE_DATA(hostile) *self,
		     const struct tlsock_rec_spec *spec, const void *data, size_t len, uint8_t *out)
{
	ssize_t n = tlsock_urec_seal(&self->u, spec, data, len, out, 2 * TLSOCK_REC_BUF);

	ASSERT_LT(0, n) TH_LOG("userspace seal: %s", strerror(-n));
	return n;
}

static size_t h_seal_data(struct __test_metadata *_metadata, FIXTURE_DATA(hostile) *self,
			  const void *data, size_t len, uint8_t *out)
{
	struct tlsock_rec_spec spec = { .type = TLSOCK_CT_DATA };

	return h_seal(_metadata, self, &spec, data, len, out);
}

static void h_write(struct __test_metadata *_metadata, FIXTURE_DATA(hostile) *self,
		    const void *buf, size_t len)
{
	ASSERT_EQ((ssize_t)len, tlsock_write_all(self->peer, buf, len));
}

/* A valid record goes through: proves keys and sealer before the bad part. */
static void h_good(struct __test_metadata *_metadata, FIXTURE_DATA(hostile) *self)
{
	static const char msg[] = "a record that authenticates";
	size_t n = h_seal_data(_metadata, self, msg, sizeof(msg), self->rec);

	h_write(_metadata, self, self->rec, n);
	recv_expect(_metadata, self->sk, msg, sizeof(msg));
}

static void h_expect_error(struct __test_metadata *_metadata, FIXTURE_DATA(hostile) *self,
			   int err)
{
	ASSERT_FAILS(recv(self->sk, self->buf, TLSOCK_REC_BUF, 0), err);
}

/*
 * After a fatal error nothing more is ever returned as plaintext: not a
 * valid record written afterwards, not after the peer closes.  The late
 * records carry both sequence numbers a receiver that skipped the bad
 * record could expect: the bad record's own and the next one.
 */
static void h_expect_dead(struct __test_metadata *_metadata, FIXTURE_DATA(hostile) *self)
{
	static const char late[] = "must never be delivered";
	struct tlsock_rec_spec again = {
		.type = TLSOCK_CT_DATA,
		.seq = self->u.seq - 1,
		.use_seq = true,
	};
	size_t n = h_seal(_metadata, self, &again, late, sizeof(late), self->rec);
	ssize_t got;
	int i;

	n += h_seal_data(_metadata, self, late, sizeof(late), self->rec + n);
	h_write(_metadata, self, self->rec, n);
	usleep(50000);
	got = recv(self->sk, self->buf, TLSOCK_REC_BUF, MSG_DONTWAIT);
	ASSERT_EQ(-1, got) TH_LOG("recv returned %zd bytes after a fatal error", got);
	ASSERT_OK(shutdown(self->peer, SHUT_WR));
	for (i = 0; i < 3; i++) {
		got = recv(self->sk, self->buf, TLSOCK_REC_BUF, 0);
		ASSERT_GE(0, got) TH_LOG("recv returned %zd bytes after a fatal error", got);
	}
}

/* An authentication failure sticks: every later read fails, poll shows it. */
static void h_expect_sticky(struct __test_metadata *_metadata, FIXTURE_DATA(hostile) *self,
			    int err)
{
	struct pollfd pfd = { .fd = self->sk, .events = POLLIN };

	h_expect_error(_metadata, self, err);
	h_expect_error(_metadata, self, err);
	ASSERT_FAILS(recv(self->sk, self->buf, 10, MSG_PEEK | MSG_DONTWAIT), err);
	ASSERT_EQ(1, poll(&pfd, 1, 1000));
	ASSERT_TRUE(pfd.revents & POLLERR) TH_LOG("poll revents %#x: no POLLERR", pfd.revents);
	h_expect_error(_metadata, self, err);
	h_expect_dead(_metadata, self);
}

/*
 * Valid record with one bit flipped at @off (negative: from the end), or
 * with a length field one less than the real length (@shorten).
 */
static void h_corrupt_len(struct __test_metadata *_metadata, FIXTURE_DATA(hostile) *self,
			  size_t len, long off, uint8_t mask, bool shorten)
{
	char *msg = malloc(len);
	size_t n;

	ASSERT_NE(NULL, msg);
	h_good(_metadata, self);
	tlsock_pat_fill(7, 0, msg, len);
	n = h_seal_data(_metadata, self, msg, len, self->rec);
	free(msg);
	if (off < 0)
		off += n;
	self->rec[off] ^= mask;
	if (shorten) {
		unsigned int len = ((self->rec[3] << 8) | self->rec[4]) - 1;

		self->rec[3] = len >> 8;
		self->rec[4] = len & 0xff;
	}
	h_write(_metadata, self, self->rec, n);
	h_expect_error(_metadata, self, EBADMSG);
	h_expect_sticky(_metadata, self, EBADMSG);
	ASSERT_EQ(1, stat_of(_metadata, "TlsockDecryptError"));
}

/* A small record: opened in place. */
static void h_corrupt(struct __test_metadata *_metadata, FIXTURE_DATA(hostile) *self, long off,
		      uint8_t mask, bool shorten)
{
	h_corrupt_len(_metadata, self, 200, off, mask, shorten);
}

/* Sizes with TLS 1.3 padding; everything arrives intact. */
TEST_F(hostile, valid_records)
{
	static const size_t sizes[] = { 1, 2, 100, 4096, 8191, 16000, 5000, 16384 };
	static const size_t pads[] = { 0, 1, 7, 200, 0, 300, 1000, 0 };
	uint64_t seed = tlsock_pat_seed();
	char *data = malloc(16384);
	ssize_t got;
	size_t i;

	ASSERT_NE(NULL, data);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct tlsock_rec_spec spec = { .type = TLSOCK_CT_DATA, .pad = pads[i] };
		size_t n;

		tlsock_pat_fill(seed, i << 20, data, sizes[i]);
		n = h_seal(_metadata, self, &spec, data, sizes[i], self->rec);
		h_write(_metadata, self, self->rec, n);
		/* a buffer of exactly the plaintext, then one with room for the record */
		if (i % 2) {
			recv_expect(_metadata, self->sk, data, sizes[i]);
			continue;
		}
		got = recv(self->sk, self->buf, TLSOCK_REC_BUF, 0);
		ASSERT_EQ((ssize_t)sizes[i], got);
		ASSERT_EQ(0, memcmp(self->buf, data, sizes[i]));
	}
	ASSERT_EQ((long)i, stat_of(_metadata, "TlsockRxRecords"));
	free(data);
}

/* The peer writes one record of the largest payload, a pattern from @seed, kept in @data. */
static void h_write_max(struct __test_metadata *_metadata, FIXTURE_DATA(hostile) *self,
			uint64_t seed, char *data)
{
	size_t n;

	tlsock_pat_fill(seed, 0, data, TLSOCK_MAX_PAYLOAD);
	n = h_seal_data(_metadata, self, data, TLSOCK_MAX_PAYLOAD, self->rec);
	ASSERT_EQ(TLSOCK_MAX_PAYLOAD + tlsock_overhead(&self->k), n);
	h_write(_metadata, self, self->rec, n);
}

/* The largest record the protocol allows is accepted. */
TEST_F(hostile, max_payload)
{
	char *data = malloc(TLSOCK_MAX_PAYLOAD);

	ASSERT_NE(NULL, data);
	h_write_max(_metadata, self, 99, data);
	recv_expect(_metadata, self->sk, data, TLSOCK_MAX_PAYLOAD);
	free(data);
}

/* One byte of payload too many: EMSGSIZE from the length alone. */
TEST_F(hostile, oversize_record)
{
	char *data = malloc(TLSOCK_MAX_PAYLOAD + 1);
	size_t n;

	ASSERT_NE(NULL, data);
	memset(data, 'x', TLSOCK_MAX_PAYLOAD + 1);
	h_good(_metadata, self);
	n = h_seal_data(_metadata, self, data, TLSOCK_MAX_PAYLOAD + 1, self->rec);
	h_write(_metadata, self, self->rec, n);
	h_expect_error(_metadata, self, EMSGSIZE);
	h_expect_dead(_metadata, self);
	free(data);
}

/* A header announcing the largest possible length (no body follows). */
TEST_F(hostile, huge_length)
{
	static const uint8_t hdr[] = { TLSOCK_CT_DATA, 3, 3, 0xff, 0xff };

	h_good(_metadata, self);
	h_write(_metadata, self, hdr, sizeof(hdr));
	h_expect_error(_metadata, self, EMSGSIZE);
	h_expect_dead(_metadata, self);
}

/* A length too short to hold even the tag: EBADMSG. */
TEST_F(hostile, short_length)
{
	size_t min = tlsock_prepend_len(&self->k) - TLSOCK_HDR_LEN + TLSOCK_TAG_LEN;
	uint8_t hdr[TLSOCK_HDR_LEN + 64] = { TLSOCK_CT_DATA, 3, 3, 0, min - 1 };

	h_good(_metadata, self);
	h_write(_metadata, self, hdr, TLSOCK_HDR_LEN + min - 1);
	h_expect_error(_metadata, self, EBADMSG);
	h_expect_dead(_metadata, self);
}

/* The record version must be 3,3 for TLS 1.2 and 1.3 alike: EINVAL. */
TEST_F(hostile, bad_version)
{
	size_t n;

	h_good(_metadata, self);
	n = h_seal_data(_metadata, self, "data", 4, self->rec);
	self->rec[2] = 1;	/* 3,1: TLS 1.0 */
	h_write(_metadata, self, self->rec, n);
	h_expect_error(_metadata, self, EINVAL);
	h_expect_dead(_metadata, self);
}

/* Plain text where records belong. */
TEST_F(hostile, garbage)
{
	static const char http[] = "GET / HTTP/1.1\r\nHost: example\r\n\r\n";

	h_write(_metadata, self, http, sizeof(http) - 1);
	h_expect_error(_metadata, self, EINVAL);
	h_expect_dead(_metadata, self);
	ASSERT_EQ(1, stat_of(_metadata, "TlsockRxParseError"));
	ASSERT_EQ(0, stat_of(_metadata, "TlsockRxRecords"));
}

/* A record cut short by the peer's FIN: end of stream or an error, never data. */
TEST_F(hostile, truncated_then_close)
{
	char msg[1000];
	ssize_t got;
	size_t n;

	tlsock_pat_fill(3, 0, msg, sizeof(msg));
	n = h_seal_data(_metadata, self, msg, sizeof(msg), self->rec);
	h_write(_metadata, self, self->rec, n - 10);
	usleep(50000);
	ASSERT_FAILS(recv(self->sk, self->buf, TLSOCK_REC_BUF, MSG_DONTWAIT), EAGAIN);
	ASSERT_OK(shutdown(self->peer, SHUT_WR));
	got = recv(self->sk, self->buf, TLSOCK_REC_BUF, 0);
	ASSERT_GE(0, got) TH_LOG("recv returned %zd bytes of a truncated record", got);
	got = recv(self->sk, self->buf, TLSOCK_REC_BUF, 0);
	ASSERT_GE(0, got);
	ASSERT_EQ(0, stat_of(_metadata, "TlsockRxRecords"));
}

/* Only part of a header, then FIN. */
TEST_F(hostile, truncated_header_then_close)
{
	static const uint8_t part[] = { TLSOCK_CT_DATA, 3, 3 };
	ssize_t got;

	h_good(_metadata, self);
	h_write(_metadata, self, part, sizeof(part));
	ASSERT_OK(shutdown(self->peer, SHUT_WR));
	got = recv(self->sk, self->buf, TLSOCK_REC_BUF, 0);
	ASSERT_GE(0, got) TH_LOG("recv returned %zd bytes", got);
}

TEST_F(hostile, bitflip_header_type)
{
	h_corrupt(_metadata, self, 0, 0x01, false);
}

/* TLS 1.2 AES-GCM/CCM: the explicit nonce; otherwise the first ciphertext byte. */
TEST_F(hostile, bitflip_nonce)
{
	h_corrupt(_metadata, self, TLSOCK_HDR_LEN, 0x80, false);
}

TEST_F(hostile, bitflip_ciphertext)
{
	h_corrupt(_metadata, self, tlsock_prepend_len(&self->k) + 100, 0x10, false);
}

TEST_F(hostile, bitflip_tag)
{
	h_corrupt(_metadata, self, -1, 0x01, false);
}

/* The length says one byte less: the record no longer authenticates. */
TEST_F(hostile, length_minus_one)
{
	h_corrupt(_metadata, self, 0, 0, true);
}

/*
 * Full records read into a buffer with room for them are decrypted from
 * TCP's queue straight into the reader's pages; a failure there must end
 * the same way as in place, with nothing delivered.
 */
TEST_F(hostile, bitflip_ciphertext_large)
{
	h_corrupt_len(_metadata, self, TLSOCK_MAX_PAYLOAD, tlsock_prepend_len(&self->k) + 9000,
		      0x04, false);
}

TEST_F(hostile, bitflip_tag_large)
{
	h_corrupt_len(_metadata, self, TLSOCK_MAX_PAYLOAD, -1, 0x80, false);
}

/* Full records written in small pieces that arrive one by one: read whole, intact. */
TEST_F(hostile, large_records_in_pieces)
{
	uint64_t seed = tlsock_pat_seed();
	size_t total = 4 * TLSOCK_MAX_PAYLOAD, wire = 0, n;
	char *want = malloc(total);
	ssize_t got;
	int i;

	ASSERT_NE(NULL, want);
	tlsock_pat_fill(seed, 0, want, total);
	for (i = 0; i < 4; i++)
		wire += h_seal_data(_metadata, self, want + i * TLSOCK_MAX_PAYLOAD,
				    TLSOCK_MAX_PAYLOAD, self->rec + wire);
	for (n = 0; n < wire; n += 700) {
		h_write(_metadata, self, self->rec + n, wire - n < 700 ? wire - n : 700);
		if (n % 2800 == 0)
			usleep(500);
	}
	for (i = 0; i < 4; i++) {
		got = tlsock_read_full(self->sk, self->buf, TLSOCK_MAX_PAYLOAD);
		ASSERT_EQ(TLSOCK_MAX_PAYLOAD, got);
		ASSERT_EQ(0, memcmp(self->buf, want + i * TLSOCK_MAX_PAYLOAD, TLSOCK_MAX_PAYLOAD))
			TH_LOG("record %d differs", i);
	}
	ASSERT_EQ(4, stat_of(_metadata, "TlsockRxRecords"));
	free(want);
}

/* The peer's FIN right behind a full record: the record, then end of stream. */
TEST_F(hostile, large_record_then_fin)
{
	char *data = malloc(TLSOCK_MAX_PAYLOAD);

	ASSERT_NE(NULL, data);
	h_write_max(_metadata, self, 5, data);
	ASSERT_OK(shutdown(self->peer, SHUT_WR));
	usleep(20000);
	ASSERT_EQ(TLSOCK_MAX_PAYLOAD, recv(self->sk, self->buf, TLSOCK_REC_BUF, 0));
	ASSERT_EQ(0, memcmp(self->buf, data, TLSOCK_MAX_PAYLOAD));
	ASSERT_EQ(0, recv(self->sk, self->buf, TLSOCK_REC_BUF, 0));
	free(data);
}

/* Sealed with another key. */
TEST_F(hostile, wrong_key)
{
	struct tlsock_keys other;
	struct tlsock_urec u2;
	size_t n;

	h_good(_metadata, self);
	new_keys(_metadata, &other, self->k.version, self->k.suite->cipher);
	memcpy(other.seq, self->k.seq, sizeof(other.seq));
	ASSERT_OK(tlsock_urec_init(&u2, &other));
	u2.seq = self->u.seq;
	n = tlsock_urec_seal(&u2, &(struct tlsock_rec_spec){ .type = TLSOCK_CT_DATA }, "abc", 3,
			     self->rec, TLSOCK_REC_BUF);
	ASSERT_LT(0, (ssize_t)n);
	h_write(_metadata, self, self->rec, n);
	h_expect_error(_metadata, self, EBADMSG);
	h_expect_sticky(_metadata, self, EBADMSG);
	tlsock_urec_free(&u2);
	tlsock_keys_wipe(&other);
}

/* The same record twice: the second has the wrong sequence number. */
TEST_F(hostile, replay)
{
	static const char msg[] = "replay me";
	size_t n = h_seal_data(_metadata, self, msg, sizeof(msg), self->rec);

	h_write(_metadata, self, self->rec, n);
	h_write(_metadata, self, self->rec, n);
	recv_expect(_metadata, self->sk, msg, sizeof(msg));
	h_expect_error(_metadata, self, EBADMSG);
	h_expect_sticky(_metadata, self, EBADMSG);
}

/* Two records swapped. */
TEST_F(hostile, reordered)
{
	uint8_t *second = self->rec + 2 * TLSOCK_REC_BUF;
	size_t n1, n2;

	h_good(_metadata, self);
	n1 = h_seal_data(_metadata, self, "one", 3, self->rec);
	n2 = h_seal_data(_metadata, self, "two", 3, second);
	h_write(_metadata, self, second, n2);
	h_write(_metadata, self, self->rec, n1);
	h_expect_error(_metadata, self, EBADMSG);
	h_expect_sticky(_metadata, self, EBADMSG);
}

/*
 * TLS 1.3: a record whose inner plaintext is all zeros has no content type
 * (RFC 8446 5.4): EBADMSG.  TLS 1.2 has no inner type: zeros are data.
 */
TEST_F(hostile, all_zero_plaintext)
{
	static const char zeros[64];
	struct tlsock_rec_spec spec = { .type = 0, .pad = 30 };
	size_t n;

	h_good(_metadata, self);
	if (!tlsock_is_13(&self->k))
		spec.type = TLSOCK_CT_DATA;
	n = h_seal(_metadata, self, &spec, zeros, sizeof(zeros), self->rec);
	h_write(_metadata, self, self->rec, n);
	if (tlsock_is_13(&self->k)) {
		h_expect_error(_metadata, self, EBADMSG);
		h_expect_sticky(_metadata, self, EBADMSG);
	} else {
		recv_expect(_metadata, self->sk, zeros, sizeof(zeros));
	}
}

/*
 * TLS 1.3 records are always application_data outside (RFC 8446 5.2); one
 * with another outer type is refused, whatever its size (large records may
 * take another decryption path).  TLS 1.2 takes the type from the header:
 * such a record arrives as a control record.
 */
static void h_outer_type(struct __test_metadata *_metadata, FIXTURE_DATA(hostile) *self,
			 size_t len)
{
	struct tlsock_rec_spec spec = { .type = TLSOCK_CT_HANDSHAKE };
	char *data = malloc(len);
	size_t n;

	ASSERT_NE(NULL, data);
	tlsock_pat_fill(len, 0, data, len);
	h_good(_metadata, self);
	if (tlsock_is_13(&self->k)) {
		spec.type = TLSOCK_CT_DATA;
		spec.outer = TLSOCK_CT_HANDSHAKE;
	}
	n = h_seal(_metadata, self, &spec, data, len, self->rec);
	h_write(_metadata, self, self->rec, n);
	if (tlsock_is_13(&self->k)) {
		h_expect_error(_metadata, self, EBADMSG);
		h_expect_sticky(_metadata, self, EBADMSG);
	} else {
		recv_record(_metadata, self->sk, TLSOCK_CT_HANDSHAKE, data, len);
	}
	free(data);
}

TEST_F(hostile, outer_type)
{
	h_outer_type(_metadata, self, 40);
}

TEST_F(hostile, outer_type_large)
{
	h_outer_type(_metadata, self, 8000);
}

/* A valid record, then a bad header: the plaintext first, then the error. */
TEST_F(hostile, valid_then_garbage)
{
	static const uint8_t junk[] = { TLSOCK_CT_DATA, 3, 1, 0, 40 };
	static const char msg[] = "good before bad";
	size_t n = h_seal_data(_metadata, self, msg, sizeof(msg), self->rec);

	memcpy(self->rec + n, junk, sizeof(junk));
	memset(self->rec + n + sizeof(junk), 0xa5, 40);
	/* one write: both arrive together */
	h_write(_metadata, self, self->rec, n + sizeof(junk) + 40);
	usleep(50000);
	ASSERT_EQ((ssize_t)sizeof(msg), recv(self->sk, self->buf, TLSOCK_REC_BUF, 0));
	ASSERT_EQ(0, memcmp(self->buf, msg, sizeof(msg)));
	h_expect_error(_metadata, self, EINVAL);
	h_expect_dead(_metadata, self);
}

/* A valid record, then one that does not authenticate. */
TEST_F(hostile, valid_then_bad_tag)
{
	static const char msg[] = "good before bad";
	size_t n1 = h_seal_data(_metadata, self, msg, sizeof(msg), self->rec);
	size_t n2 = h_seal_data(_metadata, self, msg, sizeof(msg), self->rec + n1);

	self->rec[n1 + n2 - 1] ^= 0x40;
	h_write(_metadata, self, self->rec, n1 + n2);
	usleep(50000);
	ASSERT_EQ((ssize_t)sizeof(msg), recv(self->sk, self->buf, TLSOCK_REC_BUF, 0));
	ASSERT_EQ(0, memcmp(self->buf, msg, sizeof(msg)));
	h_expect_error(_metadata, self, EBADMSG);
	h_expect_sticky(_metadata, self, EBADMSG);
}

/* Zero-length data records carry nothing: skipped, never a 0 (EOF) read. */
TEST_F(hostile, zero_length_records)
{
	uint8_t *p = self->rec;
	ssize_t got;
	int i;

	for (i = 0; i < 3; i++)
		p += h_seal_data(_metadata, self, "", 0, p);
	p += h_seal_data(_metadata, self, "hello", 5, p);
	for (i = 0; i < 2; i++)
		p += h_seal_data(_metadata, self, "", 0, p);
	p += h_seal_data(_metadata, self, "world", 5, p);
	h_write(_metadata, self, self->rec, p - self->rec);
	recv_expect(_metadata, self->sk, "helloworld", 10);

	/* only an empty record waiting: nothing to read, not end of stream */
	p = self->rec;
	p += h_seal_data(_metadata, self, "", 0, p);
	h_write(_metadata, self, self->rec, p - self->rec);
	usleep(100000);
	got = recv(self->sk, self->buf, TLSOCK_REC_BUF, MSG_DONTWAIT);
	ASSERT_EQ(-1, got) TH_LOG("recv returned %zd on an empty record", got);
	ASSERT_EQ(EAGAIN, errno);

	/* the stream still works afterwards */
	p = self->rec;
	p += h_seal_data(_metadata, self, "after", 5, p);
	h_write(_metadata, self, self->rec, p - self->rec);
	recv_expect(_metadata, self->sk, "after", 5);
	ASSERT_OK(shutdown(self->peer, SHUT_WR));
	ASSERT_EQ(0, recv(self->sk, self->buf, TLSOCK_REC_BUF, 0));
}

/* Many records in one TCP write, then one record a byte at a time. */
TEST_F(hostile, fragmented_stream)
{
	uint64_t seed = tlsock_pat_seed();
	char *data = malloc(64 * 1024), *want = malloc(64 * 1024);
	size_t off = 0, total = 0, n;
	uint8_t *p = self->rec;
	int i;

	ASSERT_NE(NULL, data);
	ASSERT_NE(NULL, want);
	tlsock_pat_fill(seed, 0, want, 64 * 1024);
	for (i = 0; i < 40; i++) {
		size_t len = 1 + (i * 37) % 300;

		p += h_seal_data(_metadata, self, want + total, len, p);
		total += len;
	}
	h_write(_metadata, self, self->rec, p - self->rec);
	recv_expect(_metadata, self->sk, want, total);

	/* odd-sized pieces that cut headers, nonces and tags */
	p = self->rec;
	for (i = 0; i < 10; i++) {
		size_t len = 500 + i * 123;

		p += h_seal_data(_metadata, self, want + total + off, len, p);
		off += len;
	}
	for (n = 0; n < (size_t)(p - self->rec);) {
		size_t piece = 1 + (n * 13) % 97;

		if (piece > (size_t)(p - self->rec) - n)
			piece = p - self->rec - n;
		h_write(_metadata, self, self->rec + n, piece);
		n += piece;
		if (n % 7 == 0)
			usleep(1000);
	}
	recv_expect(_metadata, self->sk, want + total, off);
	total += off;

	/* a byte at a time */
	n = h_seal_data(_metadata, self, want + total, 300, self->rec);
	for (off = 0; off < n; off++) {
		h_write(_metadata, self, self->rec + off, 1);
		if (off + 1 < n) {
			ASSERT_FAILS(recv(self->sk, self->buf, 300, MSG_DONTWAIT), EAGAIN);
		}
	}
	recv_expect(_metadata, self->sk, want + total, 300);
	free(data);
	free(want);
}

/* ------------------------------------------------------------------------ */
/* sockopt: the SOL_TLS matrix, against tlsock and the kernel's kTLS        */
/* ------------------------------------------------------------------------ */

/*
 * The same expectations run against kTLS ("ktls_" variants) to show they
 * are mainline's.  One deliberate difference: TLS 1.3 keys may be set
 * again on tlsock (rekey), 6.12's kTLS says EBUSY.
 */
FIXTURE(sockopt) {
	int a, b;
	struct tlsock_keys k;	/* a -> b */
	struct tlsock_keys k2;	/* b -> a */
	bool ktls;
};

FIXTURE_VARIANT(sockopt) {
	const char *ulp;
	uint16_t version;
	uint16_t cipher;
};

#define SOCKOPT_VARIANT(name, u, ver, ciph)				\
	FIXTURE_VARIANT_ADD(sockopt, name) {				\
		.ulp = (u),						\
		.version = (ver),					\
		.cipher = (ciph),					\
	};

#define SOCKOPT_VARIANTS(prefix, u)					\
	SOCKOPT_VARIANT(prefix##_tls12_aes_gcm_128, u, TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128) \
	SOCKOPT_VARIANT(prefix##_tls12_aes_gcm_256, u, TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_256) \
	SOCKOPT_VARIANT(prefix##_tls12_chacha20, u, TLS_1_2_VERSION, TLS_CIPHER_CHACHA20_POLY1305) \
	SOCKOPT_VARIANT(prefix##_tls12_aes_ccm_128, u, TLS_1_2_VERSION, TLS_CIPHER_AES_CCM_128) \
	SOCKOPT_VARIANT(prefix##_tls13_aes_gcm_128, u, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128) \
	SOCKOPT_VARIANT(prefix##_tls13_aes_gcm_256, u, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_256) \
	SOCKOPT_VARIANT(prefix##_tls13_chacha20, u, TLS_1_3_VERSION, TLS_CIPHER_CHACHA20_POLY1305) \
	SOCKOPT_VARIANT(prefix##_tls13_aes_ccm_128, u, TLS_1_3_VERSION, TLS_CIPHER_AES_CCM_128)

SOCKOPT_VARIANTS(tlsock, ULP_TLSOCK)
SOCKOPT_VARIANTS(ktls, ULP_KTLS)

FIXTURE_SETUP(sockopt)
{
	self->a = self->b = -1;
	self->ktls = !strcmp(variant->ulp, ULP_KTLS);
	enter_netns(_metadata);
	ASSERT_OK(tlsock_tcp_pair(AF_INET, 0, &self->a, &self->b));
	new_keys(_metadata, &self->k, variant->version, variant->cipher);
	new_keys(_metadata, &self->k2, variant->version, variant->cipher);
	attach(_metadata, self->a, variant->ulp);
	attach(_metadata, self->b, variant->ulp);
}

FIXTURE_TEARDOWN(sockopt)
{
	if (self->a >= 0)
		close(self->a);
	if (self->b >= 0)
		close(self->b);
	tlsock_keys_wipe(&self->k);
	tlsock_keys_wipe(&self->k2);
}

/* A cipher other than the variant's (with another struct size). */
static uint16_t other_cipher(uint16_t cipher)
{
	return cipher == TLS_CIPHER_AES_GCM_256 ? TLS_CIPHER_AES_GCM_128 : TLS_CIPHER_AES_GCM_256;
}

static uint16_t other_version(uint16_t version)
{
	return version == TLS_1_2_VERSION ? TLS_1_3_VERSION : TLS_1_2_VERSION;
}

/* Configure a -> b with k and check records flow. */
static void so_tls_works(struct __test_metadata *_metadata, FIXTURE_DATA(sockopt) *self)
{
	set_keys(_metadata, self->a, true, &self->k);
	set_keys(_metadata, self->b, false, &self->k);
	tls_flows(_metadata, self->a, self->b);
}

TEST_F(sockopt, optlen_off_by_one)
{
	union tlsock_ci ci;
	socklen_t len = tlsock_keys_info(&self->k, &ci);
	int opt;

	for (opt = TLS_TX; opt <= TLS_RX; opt++) {
		ASSERT_FAILS(setsockopt(self->a, SOL_TLS, opt, &ci, len - 1), EINVAL);
		ASSERT_FAILS(setsockopt(self->a, SOL_TLS, opt, &ci, len + 1), EINVAL);
	}
	plain_works(_metadata, self->a, self->b);
	so_tls_works(_metadata, self);
}

TEST_F(sockopt, optlen_short_and_long)
{
	static char big[4096];
	socklen_t lens[] = { 0, 1, sizeof(struct tls_crypto_info) - 1,
			     sizeof(struct tls_crypto_info), sizeof(union tlsock_ci),
			     sizeof(big) };
	size_t i;
	int opt;

	tlsock_keys_info(&self->k, (union tlsock_ci *)big);
	for (opt = TLS_TX; opt <= TLS_RX; opt++)
		for (i = 0; i < ARRAY_SIZE(lens); i++)
			ASSERT_FAILS(setsockopt(self->a, SOL_TLS, opt, big, lens[i]), EINVAL);
	plain_works(_metadata, self->a, self->b);
	so_tls_works(_metadata, self);
}

TEST_F(sockopt, null_optval)
{
	union tlsock_ci ci;
	socklen_t len = tlsock_keys_info(&self->k, &ci);

	ASSERT_FAILS(setsockopt(self->a, SOL_TLS, TLS_TX, NULL, len), EINVAL);
	ASSERT_FAILS(setsockopt(self->a, SOL_TLS, TLS_RX, NULL, len), EINVAL);
	ASSERT_FAILS(setsockopt(self->a, SOL_TLS, TLS_TX_ZEROCOPY_RO, NULL, sizeof(int)),
		     EINVAL);
	plain_works(_metadata, self->a, self->b);
	so_tls_works(_metadata, self);
}

TEST_F(sockopt, bad_version)
{
	static const uint16_t versions[] = { 0, 0x0300, 0x0301, 0x0302, 0x0305, 0x0403, 0xffff };
	union tlsock_ci ci;
	socklen_t len;
	size_t i;
	int opt;

	for (opt = TLS_TX; opt <= TLS_RX; opt++) {
		for (i = 0; i < ARRAY_SIZE(versions); i++) {
			len = tlsock_keys_info(&self->k, &ci);
			ci.info.version = versions[i];
			ASSERT_FAILS(setsockopt(self->a, SOL_TLS, opt, &ci, len), EINVAL);
		}
	}
	plain_works(_metadata, self->a, self->b);
	so_tls_works(_metadata, self);
}

TEST_F(sockopt, bad_cipher)
{
	static const uint16_t ciphers[] = { 0, 1, 50, 59, 100, 0xffff,
					    TLS_CIPHER_AES_GCM_128, TLS_CIPHER_AES_GCM_256,
					    TLS_CIPHER_CHACHA20_POLY1305 };
	union tlsock_ci ci;
	socklen_t len;
	size_t i;
	int opt;

	for (opt = TLS_TX; opt <= TLS_RX; opt++) {
		for (i = 0; i < ARRAY_SIZE(ciphers); i++) {
			const struct tlsock_suite *s = tlsock_suite_find(ciphers[i]);

			/* a known cipher is bad only with another struct's length */
			if (s && s->info_len == self->k.suite->info_len)
				continue;
			len = tlsock_keys_info(&self->k, &ci);
			ci.info.cipher_type = ciphers[i];
			ASSERT_FAILS(setsockopt(self->a, SOL_TLS, opt, &ci, len), EINVAL);
		}
	}
	plain_works(_metadata, self->a, self->b);
	so_tls_works(_metadata, self);
}

/* ARIA exists only for TLS 1.2. */
TEST_F(sockopt, aria_with_tls13)
{
	struct tls12_crypto_info_aria_gcm_128 a128 = {
		.info = { .version = TLS_1_3_VERSION, .cipher_type = TLS_CIPHER_ARIA_GCM_128 },
	};
	struct tls12_crypto_info_aria_gcm_256 a256 = {
		.info = { .version = TLS_1_3_VERSION, .cipher_type = TLS_CIPHER_ARIA_GCM_256 },
	};
	int opt;

	for (opt = TLS_TX; opt <= TLS_RX; opt++) {
		ASSERT_FAILS(setsockopt(self->a, SOL_TLS, opt, &a128, sizeof(a128)), EINVAL);
		ASSERT_FAILS(setsockopt(self->a, SOL_TLS, opt, &a256, sizeof(a256)), EINVAL);
	}
	plain_works(_metadata, self->a, self->b);
	so_tls_works(_metadata, self);
}

/* The second direction must use the version and cipher of the first. */
static void so_mismatch(struct __test_metadata *_metadata, FIXTURE_DATA(sockopt) *self,
			bool tx_first)
{
	struct tlsock_keys ov, oc;

	new_keys(_metadata, &ov, other_version(self->k.version), self->k.suite->cipher);
	new_keys(_metadata, &oc, self->k.version, other_cipher(self->k.suite->cipher));

	/* a sends with k and receives with k2, in the order asked */
	set_keys(_metadata, self->a, tx_first, tx_first ? &self->k : &self->k2);
	ASSERT_EQ(-EINVAL, tlsock_set_keys(self->a, !tx_first, &ov));
	ASSERT_EQ(-EINVAL, tlsock_set_keys(self->a, !tx_first, &oc));
	set_keys(_metadata, self->a, !tx_first, tx_first ? &self->k2 : &self->k);

	set_keys(_metadata, self->b, false, &self->k);
	set_keys(_metadata, self->b, true, &self->k2);
	tls_flows(_metadata, self->a, self->b);
	tls_flows(_metadata, self->b, self->a);
	tlsock_keys_wipe(&ov);
	tlsock_keys_wipe(&oc);
}

TEST_F(sockopt, mismatch_tx_then_rx)
{
	so_mismatch(_metadata, self, true);
}

TEST_F(sockopt, mismatch_rx_then_tx)
{
	so_mismatch(_metadata, self, false);
}

/*
 * kTLS after 6.12 (seen on 7.3) takes new TLS 1.3 keys (rekey; another
 * version or cipher: EINVAL), as tlsock always did, and knows optname 5
 * (TLS_TX_MAX_PAYLOAD_LEN).  The ktls_* variants hold the model to the
 * running kTLS, so they expect what it does.
 */
static bool ktls_after_6_12(void)
{
	return !tlsock_kernel_before(6, 13);
}

/* TLS 1.3 keys may be replaced (tlsock; kTLS after 6.12), TLS 1.2 keys are set once. */
static bool so_rekeys(const FIXTURE_DATA(sockopt) *self)
{
	return tlsock_is_13(&self->k) && (!self->ktls || ktls_after_6_12());
}

TEST_F(sockopt, set_twice)
{
	int want = so_rekeys(self) ? 0 : -EBUSY;

	set_keys(_metadata, self->a, true, &self->k);
	ASSERT_EQ(want, tlsock_set_keys(self->a, true, &self->k));
	set_keys(_metadata, self->b, false, &self->k);
	ASSERT_EQ(want, tlsock_set_keys(self->b, false, &self->k));
	tls_flows(_metadata, self->a, self->b);
}

/* New keys must keep version and cipher: EINVAL where TLS 1.3 rekeys, else EBUSY. */
TEST_F(sockopt, rekey_other_cipher_or_version)
{
	int want = so_rekeys(self) ? -EINVAL : -EBUSY;
	struct tlsock_keys ov, oc;

	new_keys(_metadata, &ov, other_version(self->k.version), self->k.suite->cipher);
	new_keys(_metadata, &oc, self->k.version, other_cipher(self->k.suite->cipher));
	set_keys(_metadata, self->a, true, &self->k);
	set_keys(_metadata, self->b, false, &self->k);
	ASSERT_EQ(want, tlsock_set_keys(self->a, true, &oc));
	ASSERT_EQ(want, tlsock_set_keys(self->b, false, &oc));
	ASSERT_EQ(tlsock_is_13(&self->k) ? want : -EBUSY, tlsock_set_keys(self->a, true, &ov));
	ASSERT_EQ(tlsock_is_13(&self->k) ? want : -EBUSY, tlsock_set_keys(self->b, false, &ov));
	tls_flows(_metadata, self->a, self->b);
	tlsock_keys_wipe(&ov);
	tlsock_keys_wipe(&oc);
}

static unsigned int so_get_zc(struct __test_metadata *_metadata, int fd)
{
	unsigned int v = 0xdead;
	socklen_t len = sizeof(v);

	ASSERT_OK(getsockopt(fd, SOL_TLS, TLS_TX_ZEROCOPY_RO, &v, &len));
	ASSERT_EQ(sizeof(v), len);
	return v;
}

TEST_F(sockopt, zerocopy_ro)
{
	unsigned int v;
	char big[8] = {};
	socklen_t len;

	ASSERT_EQ(0, so_get_zc(_metadata, self->a));
	v = 1;
	ASSERT_OK(setsockopt(self->a, SOL_TLS, TLS_TX_ZEROCOPY_RO, &v, sizeof(v)));
	ASSERT_EQ(1, so_get_zc(_metadata, self->a));
	v = 0;
	ASSERT_OK(setsockopt(self->a, SOL_TLS, TLS_TX_ZEROCOPY_RO, &v, sizeof(v)));
	ASSERT_EQ(0, so_get_zc(_metadata, self->a));
	v = 1;
	ASSERT_OK(setsockopt(self->a, SOL_TLS, TLS_TX_ZEROCOPY_RO, &v, sizeof(v)));
	v = 2;
	ASSERT_FAILS(setsockopt(self->a, SOL_TLS, TLS_TX_ZEROCOPY_RO, &v, sizeof(v)), EINVAL);
	ASSERT_EQ(1, so_get_zc(_metadata, self->a));

	/* only exactly an unsigned int will do, both ways */
	ASSERT_FAILS(setsockopt(self->a, SOL_TLS, TLS_TX_ZEROCOPY_RO, big, 3), EINVAL);
	ASSERT_FAILS(setsockopt(self->a, SOL_TLS, TLS_TX_ZEROCOPY_RO, big, 5), EINVAL);
	ASSERT_FAILS(setsockopt(self->a, SOL_TLS, TLS_TX_ZEROCOPY_RO, big, 8), EINVAL);
	ASSERT_EQ(1, so_get_zc(_metadata, self->a));
	len = 3;
	ASSERT_FAILS(getsockopt(self->a, SOL_TLS, TLS_TX_ZEROCOPY_RO, big, &len), EINVAL);
	len = 8;
	ASSERT_FAILS(getsockopt(self->a, SOL_TLS, TLS_TX_ZEROCOPY_RO, big, &len), EINVAL);

	plain_works(_metadata, self->a, self->b);
	so_tls_works(_metadata, self);
	ASSERT_EQ(1, so_get_zc(_metadata, self->a));
}

static int so_get_no_pad(int fd, socklen_t *len)
{
	char buf[8] = { 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55 };
	int v;

	if (getsockopt(fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, buf, len))
		return -errno;
	memcpy(&v, buf, sizeof(v));
	return v;
}

TEST_F(sockopt, expect_no_pad)
{
	uint32_t v = 1;
	uint32_t big[2] = { 1, 0 };
	socklen_t len = sizeof(v);

	/* no RX keys yet */
	ASSERT_FAILS(setsockopt(self->b, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &v, sizeof(v)), EINVAL);
	ASSERT_EQ(-EINVAL, so_get_no_pad(self->b, &len));

	set_keys(_metadata, self->a, true, &self->k);
	set_keys(_metadata, self->b, false, &self->k);
	/* TX alone does not make it possible */
	ASSERT_FAILS(setsockopt(self->a, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &v, sizeof(v)), EINVAL);

	if (!tlsock_is_13(&self->k)) {
		/* TLS 1.2 records have no padding to expect */
		ASSERT_FAILS(setsockopt(self->b, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &v, sizeof(v)),
			     EINVAL);
		v = 0;
		ASSERT_FAILS(setsockopt(self->b, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &v, sizeof(v)),
			     EINVAL);
		len = sizeof(v);
		ASSERT_EQ(-EINVAL, so_get_no_pad(self->b, &len));
		tls_flows(_metadata, self->a, self->b);
		return;
	}

	len = sizeof(v);
	ASSERT_EQ(0, so_get_no_pad(self->b, &len));
	ASSERT_OK(setsockopt(self->b, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &v, sizeof(v)));
	len = sizeof(v);
	ASSERT_EQ(1, so_get_no_pad(self->b, &len));
	ASSERT_EQ(sizeof(v), len);
	len = 8;
	ASSERT_EQ(1, so_get_no_pad(self->b, &len));
	ASSERT_EQ(sizeof(v), len);
	len = 3;
	ASSERT_EQ(-EINVAL, so_get_no_pad(self->b, &len));

	v = 2;
	ASSERT_FAILS(setsockopt(self->b, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &v, sizeof(v)), EINVAL);
	ASSERT_FAILS(setsockopt(self->b, SOL_TLS, TLS_RX_EXPECT_NO_PAD, big, 3), EINVAL);
	/* longer is fine as long as the rest is zero */
	big[0] = 0;
	ASSERT_OK(setsockopt(self->b, SOL_TLS, TLS_RX_EXPECT_NO_PAD, big, sizeof(big)));
	len = sizeof(v);
	ASSERT_EQ(0, so_get_no_pad(self->b, &len));
	big[0] = 1;
	big[1] = 1;
	ASSERT_FAILS(setsockopt(self->b, SOL_TLS, TLS_RX_EXPECT_NO_PAD, big, sizeof(big)),
		     EINVAL);
	len = sizeof(v);
	ASSERT_EQ(0, so_get_no_pad(self->b, &len));
	v = 1;
	ASSERT_OK(setsockopt(self->b, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &v, sizeof(v)));
	tls_flows(_metadata, self->a, self->b);
}

TEST_F(sockopt, unknown_optname)
{
	static const int names[] = { 0, 5, 6, 99, -1 };
	int v = 0;
	socklen_t len;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (names[i] == 5 && self->ktls && ktls_after_6_12())
			continue;	/* TLS_TX_MAX_PAYLOAD_LEN there */
		len = sizeof(v);
		ASSERT_FAILS(setsockopt(self->a, SOL_TLS, names[i], &v, sizeof(v)), ENOPROTOOPT);
		ASSERT_FAILS(getsockopt(self->a, SOL_TLS, names[i], &v, &len), ENOPROTOOPT);
	}
	plain_works(_metadata, self->a, self->b);
	so_tls_works(_metadata, self);
	ASSERT_FAILS(setsockopt(self->b, SOL_TLS, 99, &v, sizeof(v)), ENOPROTOOPT);
	tls_flows(_metadata, self->a, self->b);
}

/* getsockopt of the crypto state: sizes, before and after configuration. */
static void so_get_crypto(struct __test_metadata *_metadata, FIXTURE_DATA(sockopt) *self,
			  int fd, int opt)
{
	const struct tlsock_suite *s = self->k.suite;
	union tlsock_ci want, got;
	socklen_t len;

	tlsock_keys_info(&self->k, &want);

	memset(&got, 0, sizeof(got));
	len = sizeof(struct tls_crypto_info);
	ASSERT_OK(getsockopt(fd, SOL_TLS, opt, &got, &len));
	ASSERT_EQ(sizeof(struct tls_crypto_info), len);
	ASSERT_EQ(self->k.version, got.info.version);
	ASSERT_EQ(s->cipher, got.info.cipher_type);
	ASSERT_EQ(0, got.raw[sizeof(struct tls_crypto_info)]) TH_LOG("wrote past optlen");

	memset(&got, 0, sizeof(got));
	len = s->info_len;
	ASSERT_OK(getsockopt(fd, SOL_TLS, opt, &got, &len));
	ASSERT_EQ(s->info_len, len);
	ASSERT_EQ(0, memcmp(&got, &want, s->info_len)) TH_LOG("crypto state differs from set");

	len = s->info_len - 1;
	ASSERT_FAILS(getsockopt(fd, SOL_TLS, opt, &got, &len), EINVAL);
	len = s->info_len + 1;
	ASSERT_FAILS(getsockopt(fd, SOL_TLS, opt, &got, &len), EINVAL);
	len = sizeof(struct tls_crypto_info) - 1;
	ASSERT_FAILS(getsockopt(fd, SOL_TLS, opt, &got, &len), EINVAL);
	len = s->info_len;
	ASSERT_FAILS(getsockopt(fd, SOL_TLS, opt, NULL, &len), EINVAL);
	explicit_bzero(&want, sizeof(want));
	explicit_bzero(&got, sizeof(got));
}

TEST_F(sockopt, getsockopt_crypto)
{
	union tlsock_ci ci;
	socklen_t len = sizeof(ci);

	ASSERT_FAILS(getsockopt(self->a, SOL_TLS, TLS_TX, &ci, &len), EBUSY);
	len = sizeof(ci);
	ASSERT_FAILS(getsockopt(self->b, SOL_TLS, TLS_RX, &ci, &len), EBUSY);
	set_keys(_metadata, self->a, true, &self->k);
	set_keys(_metadata, self->b, false, &self->k);
	so_get_crypto(_metadata, self, self->a, TLS_TX);
	so_get_crypto(_metadata, self, self->b, TLS_RX);
	/* the other directions are still unset */
	len = sizeof(ci);
	ASSERT_FAILS(getsockopt(self->a, SOL_TLS, TLS_RX, &ci, &len), EBUSY);
	len = sizeof(ci);
	ASSERT_FAILS(getsockopt(self->b, SOL_TLS, TLS_TX, &ci, &len), EBUSY);
	tls_flows(_metadata, self->a, self->b);
}

/* ------------------------------------------------------------------------ */
/* ulp: attaching where it does not belong                                   */
/* ------------------------------------------------------------------------ */

FIXTURE(ulp) {
	int a, b;
	struct tlsock_keys k;
};

FIXTURE_VARIANT(ulp) {
	const char *name;
	const char *other;
};

FIXTURE_VARIANT_ADD(ulp, tlsock) {
	.name = ULP_TLSOCK,
	.other = ULP_KTLS,
};

FIXTURE_VARIANT_ADD(ulp, ktls) {
	.name = ULP_KTLS,
	.other = ULP_TLSOCK,
};

FIXTURE_SETUP(ulp)
{
	self->a = self->b = -1;
	enter_netns(_metadata);
	new_keys(_metadata, &self->k, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128);
}

FIXTURE_TEARDOWN(ulp)
{
	if (self->a >= 0)
		close(self->a);
	if (self->b >= 0)
		close(self->b);
	tlsock_keys_wipe(&self->k);
}

static void ulp_tls_works(struct __test_metadata *_metadata, FIXTURE_DATA(ulp) *self)
{
	set_keys(_metadata, self->a, true, &self->k);
	set_keys(_metadata, self->b, false, &self->k);
	tls_flows(_metadata, self->a, self->b);
}

TEST_F(ulp, listening_socket)
{
	uint16_t port;
	int l;

	ASSERT_OK(tlsock_tcp_listener(AF_INET, &l, &port));
	ASSERT_FAILS(setsockopt(l, IPPROTO_TCP, TCP_ULP, variant->name,
				strlen(variant->name) + 1), ENOTCONN);
	/* the listener still accepts, and what it accepts takes the ULP */
	ASSERT_OK(tlsock_tcp_connect(AF_INET, port, &self->a));
	self->b = accept(l, NULL, NULL);
	ASSERT_LE(0, self->b);
	ASSERT_OK(tlsock_set_timeouts(self->b, TLSOCK_IO_TIMEOUT_S));
	ASSERT_OK(tlsock_set_timeouts(self->a, TLSOCK_IO_TIMEOUT_S));
	plain_works(_metadata, self->a, self->b);
	attach(_metadata, self->a, variant->name);
	attach(_metadata, self->b, variant->name);
	ulp_tls_works(_metadata, self);
	close(l);
}

TEST_F(ulp, unconnected_socket)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	uint16_t port;
	int l;

	self->a = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, self->a);
	ASSERT_FAILS(setsockopt(self->a, IPPROTO_TCP, TCP_ULP, variant->name,
				strlen(variant->name) + 1), ENOTCONN);
	/* the same socket connects afterwards and takes the ULP then */
	ASSERT_OK(tlsock_tcp_listener(AF_INET, &l, &port));
	sin.sin_port = htons(port);
	ASSERT_OK(connect(self->a, (struct sockaddr *)&sin, sizeof(sin)));
	self->b = accept(l, NULL, NULL);
	ASSERT_LE(0, self->b);
	ASSERT_OK(tlsock_set_timeouts(self->a, TLSOCK_IO_TIMEOUT_S));
	ASSERT_OK(tlsock_set_timeouts(self->b, TLSOCK_IO_TIMEOUT_S));
	plain_works(_metadata, self->a, self->b);
	attach(_metadata, self->a, variant->name);
	attach(_metadata, self->b, variant->name);
	ulp_tls_works(_metadata, self);
	close(l);
}

TEST_F(ulp, attach_twice)
{
	ASSERT_OK(tlsock_tcp_pair(AF_INET, 0, &self->a, &self->b));
	attach(_metadata, self->a, variant->name);
	attach(_metadata, self->b, variant->name);
	ASSERT_EQ(-EEXIST, tlsock_attach(self->a, variant->name));
	ASSERT_EQ(-EEXIST, tlsock_attach(self->a, variant->other));
	set_keys(_metadata, self->a, true, &self->k);
	ASSERT_EQ(-EEXIST, tlsock_attach(self->a, variant->name));
	set_keys(_metadata, self->b, false, &self->k);
	tls_flows(_metadata, self->a, self->b);
}

TEST_F(ulp, unknown_name)
{
	ASSERT_OK(tlsock_tcp_pair(AF_INET, 0, &self->a, &self->b));
	ASSERT_EQ(-ENOENT, tlsock_attach(self->a, "tlsock-none"));
	plain_works(_metadata, self->a, self->b);
	attach(_metadata, self->a, variant->name);
	attach(_metadata, self->b, variant->name);
	ulp_tls_works(_metadata, self);
}

/* With the ULP but no keys, both directions are plain TCP. */
TEST_F_TIMEOUT(ulp, passthrough, 120)
{
	struct pump w1 = { .seed = tlsock_pat_seed(), .len = 300000 };
	struct pump w2 = { .seed = tlsock_pat_seed(), .len = 200001 };
	struct pump r1 = w1, r2 = w2;

	ASSERT_OK(tlsock_tcp_pair(AF_INET, 0, &self->a, &self->b));
	attach(_metadata, self->a, variant->name);
	attach(_metadata, self->b, variant->name);
	plain_works(_metadata, self->a, self->b);
	w1.fd = r2.fd = self->a;
	w2.fd = r1.fd = self->b;
	pump_start(_metadata, &r1, false);
	pump_start(_metadata, &r2, false);
	pump_start(_metadata, &w1, true);
	pump_start(_metadata, &w2, true);
	pump_join_writer(_metadata, &w1);
	pump_join_writer(_metadata, &w2);
	pump_join_reader(_metadata, &r1);
	pump_join_reader(_metadata, &r2);
}

/* TX on one side only: the other direction stays plaintext. */
TEST_F(ulp, one_direction)
{
	ASSERT_OK(tlsock_tcp_pair(AF_INET, 0, &self->a, &self->b));
	attach(_metadata, self->a, variant->name);
	attach(_metadata, self->b, variant->name);
	ulp_tls_works(_metadata, self);
	send_ok(_metadata, self->b, "plain back", 10, 0);
	recv_expect(_metadata, self->a, "plain back", 10);
	tls_flows(_metadata, self->a, self->b);
}

TEST_F(ulp, ipv6)
{
	struct tlsock_keys back;

	ASSERT_OK(tlsock_tcp_pair(AF_INET6, 0, &self->a, &self->b));
	attach(_metadata, self->a, variant->name);
	attach(_metadata, self->b, variant->name);
	new_keys(_metadata, &back, self->k.version, self->k.suite->cipher);
	set_keys(_metadata, self->b, true, &back);
	set_keys(_metadata, self->a, false, &back);
	ulp_tls_works(_metadata, self);
	tls_flows(_metadata, self->b, self->a);
	tlsock_keys_wipe(&back);
}

/* ------------------------------------------------------------------------ */
/* stats: /proc/net/tlsock_stat and INET_DIAG                               */
/* ------------------------------------------------------------------------ */

FIXTURE(stats) {
	int a, b;
	struct tlsock_keys k;
};

FIXTURE_VARIANT(stats) {
	uint16_t version;
	uint16_t cipher;
};

TLSOCK_VARIANTS(stats)

FIXTURE_SETUP(stats)
{
	self->a = self->b = -1;
	enter_netns(_metadata);
	ASSERT_OK(tlsock_tcp_pair(AF_INET, 0, &self->a, &self->b));
	new_keys(_metadata, &self->k, variant->version, variant->cipher);
}

FIXTURE_TEARDOWN(stats)
{
	if (self->a >= 0)
		close(self->a);
	if (self->b >= 0)
		close(self->b);
	tlsock_keys_wipe(&self->k);
}

static void stats_expect(struct __test_metadata *_metadata, long tx, long rx, long cur_tx,
			 long cur_rx, long tx_recs, long rx_recs)
{
	EXPECT_EQ(tx, stat_of(_metadata, "TlsockTx"));
	EXPECT_EQ(rx, stat_of(_metadata, "TlsockRx"));
	EXPECT_EQ(cur_tx, stat_of(_metadata, "TlsockCurrTx"));
	EXPECT_EQ(cur_rx, stat_of(_metadata, "TlsockCurrRx"));
	EXPECT_EQ(tx_recs, stat_of(_metadata, "TlsockTxRecords"));
	EXPECT_EQ(rx_recs, stat_of(_metadata, "TlsockRxRecords"));
}

TEST_F(stats, counters)
{
	static const char *const names[] = {
		"TlsockCurrTx", "TlsockCurrRx", "TlsockTx", "TlsockRx", "TlsockTxRecords",
		"TlsockRxRecords", "TlsockDecryptError", "TlsockRxParseError",
		"TlsockTxRekeyOk", "TlsockTxRekeyError", "TlsockRxRekeyOk",
		"TlsockRxRekeyError", "TlsockRxRekeyReceived",
	};
	struct tlsock_keys k2;
	char msg[100] = "counted";
	size_t i;
	int want;

	/* a fresh namespace starts at zero, and every counter is there */
	ASSERT_EQ(0, tlsock_stat_all_zero());
	for (i = 0; i < ARRAY_SIZE(names); i++)
		ASSERT_EQ(0, stat_of(_metadata, names[i]));

	attach(_metadata, self->a, ULP_TLSOCK);
	attach(_metadata, self->b, ULP_TLSOCK);
	ASSERT_EQ(0, tlsock_stat_all_zero()) TH_LOG("attaching alone moved a counter");
	set_keys(_metadata, self->a, true, &self->k);
	set_keys(_metadata, self->b, false, &self->k);
	stats_expect(_metadata, 1, 1, 1, 1, 0, 0);

	for (i = 0; i < 5; i++)
		send_ok(_metadata, self->a, msg, sizeof(msg), 0);
	for (i = 0; i < 5; i++)
		recv_expect(_metadata, self->b, msg, sizeof(msg));
	stats_expect(_metadata, 1, 1, 1, 1, 5, 5);

	/* new keys on both ends: TLS 1.3 only */
	new_keys(_metadata, &k2, self->k.version, self->k.suite->cipher);
	want = tlsock_is_13(&self->k) ? 0 : -EBUSY;
	ASSERT_EQ(want, tlsock_set_keys(self->a, true, &k2));
	ASSERT_EQ(want, tlsock_set_keys(self->b, false, &k2));
	EXPECT_EQ(want ? 0 : 1, stat_of(_metadata, "TlsockTxRekeyOk"));
	EXPECT_EQ(want ? 0 : 1, stat_of(_metadata, "TlsockRxRekeyOk"));
	tlsock_keys_wipe(&k2);
	send_ok(_metadata, self->a, msg, sizeof(msg), 0);
	recv_expect(_metadata, self->b, msg, sizeof(msg));
	stats_expect(_metadata, 1, 1, 1, 1, 6, 6);
	EXPECT_EQ(0, stat_of(_metadata, "TlsockDecryptError"));

	/* closing gives the gauges back; the totals stay */
	close(self->a);
	self->a = -1;
	stats_expect(_metadata, 1, 1, 0, 1, 6, 6);
	close(self->b);
	self->b = -1;
	stats_expect(_metadata, 1, 1, 0, 0, 6, 6);
}

TEST_F(stats, decrypt_error)
{
	struct tlsock_urec u;
	uint8_t rec[256];
	ssize_t n1, n2;
	char buf[64];

	attach(_metadata, self->b, ULP_TLSOCK);
	set_keys(_metadata, self->b, false, &self->k);
	ASSERT_OK(tlsock_urec_init(&u, &self->k));
	n1 = tlsock_urec_seal(&u, &(struct tlsock_rec_spec){ .type = TLSOCK_CT_DATA }, "ok", 2,
			      rec, sizeof(rec));
	ASSERT_LT(0, n1);
	n2 = tlsock_urec_seal(&u, &(struct tlsock_rec_spec){ .type = TLSOCK_CT_DATA }, "no", 2,
			      rec + n1, sizeof(rec) - n1);
	ASSERT_LT(0, n2);
	rec[n1 + n2 - 3] ^= 4;
	ASSERT_EQ(n1 + n2, tlsock_write_all(self->a, rec, n1 + n2));
	recv_expect(_metadata, self->b, "ok", 2);
	ASSERT_FAILS(recv(self->b, buf, sizeof(buf), 0), EBADMSG);
	stats_expect(_metadata, 0, 1, 0, 1, 0, 1);
	EXPECT_EQ(1, stat_of(_metadata, "TlsockDecryptError"));
	EXPECT_EQ(0, stat_of(_metadata, "TlsockRxParseError"));
	close(self->b);
	self->b = -1;
	stats_expect(_metadata, 0, 1, 0, 0, 0, 1);
	tlsock_urec_free(&u);
}

/* Another namespace has counters of its own. */
TEST_F(stats, per_netns)
{
	pid_t pid;
	int status;

	attach(_metadata, self->a, ULP_TLSOCK);
	attach(_metadata, self->b, ULP_TLSOCK);
	set_keys(_metadata, self->a, true, &self->k);
	set_keys(_metadata, self->b, false, &self->k);
	tls_flows(_metadata, self->a, self->b);
	stats_expect(_metadata, 1, 1, 1, 1, 2, 2);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int a, b, code = 0;
		long v = -1;

		if (tlsock_netns_enter())
			_exit(10);
		if (tlsock_stat_all_zero())
			_exit(11);
		/* activity here must not show in the parent's namespace */
		if (tlsock_tcp_pair(AF_INET, 0, &a, &b) || tlsock_attach(a, ULP_TLSOCK) ||
		    tlsock_set_keys(a, true, &self->k))
			_exit(12);
		if (send(a, "x", 1, 0) != 1)
			code = 13;
		else if (tlsock_stat_get("TlsockCurrTx", &v) || v != 1)
			code = 14;
		else if (tlsock_stat_get("TlsockTxRecords", &v) || v != 1)
			code = 15;
		_exit(code);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("child namespace check %d failed",
						 WEXITSTATUS(status));
	stats_expect(_metadata, 1, 1, 1, 1, 2, 2);
}

/* What `ss -ti` shows: ULP name, version, cipher and the direction states. */
TEST_F(stats, diag_info)
{
	struct tlsock_ulp_info info;
	unsigned int one = 1;

	ASSERT_OK(tlsock_diag_ulp(self->a, &info));
	ASSERT_STREQ("", info.name);

	attach(_metadata, self->a, ULP_TLSOCK);
	attach(_metadata, self->b, ULP_TLSOCK);
	ASSERT_OK(tlsock_diag_ulp(self->a, &info));
	ASSERT_STREQ(ULP_TLSOCK, info.name);
	ASSERT_TRUE(info.has_tls);
	EXPECT_EQ(-1, info.version);
	EXPECT_EQ(-1, info.cipher);
	EXPECT_EQ(TLS_CONF_BASE, info.txconf);
	EXPECT_EQ(TLS_CONF_BASE, info.rxconf);

	set_keys(_metadata, self->a, true, &self->k);
	set_keys(_metadata, self->b, false, &self->k);
	ASSERT_OK(setsockopt(self->a, SOL_TLS, TLS_TX_ZEROCOPY_RO, &one, sizeof(one)));
	ASSERT_OK(tlsock_diag_ulp(self->a, &info));
	ASSERT_STREQ(ULP_TLSOCK, info.name);
	EXPECT_EQ(self->k.version, info.version);
	EXPECT_EQ(self->k.suite->cipher, info.cipher);
	EXPECT_EQ(TLS_CONF_SW, info.txconf);
	EXPECT_EQ(TLS_CONF_BASE, info.rxconf);
	EXPECT_TRUE(info.zc_ro_tx);
	EXPECT_FALSE(info.rx_no_pad);

	if (tlsock_is_13(&self->k)) {
		ASSERT_OK(setsockopt(self->b, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &one, sizeof(one)));
	}
	ASSERT_OK(tlsock_diag_ulp(self->b, &info));
	ASSERT_STREQ(ULP_TLSOCK, info.name);
	EXPECT_EQ(self->k.version, info.version);
	EXPECT_EQ(self->k.suite->cipher, info.cipher);
	EXPECT_EQ(TLS_CONF_BASE, info.txconf);
	EXPECT_EQ(TLS_CONF_SW, info.rxconf);
	EXPECT_FALSE(info.zc_ro_tx);
	EXPECT_EQ(tlsock_is_13(&self->k), info.rx_no_pad);
	tls_flows(_metadata, self->a, self->b);
}

/* ------------------------------------------------------------------------ */
/* bulk: large verified transfers, small windows, peek, splice               */
/* ------------------------------------------------------------------------ */

FIXTURE(bulk) {
	int a, b;
	struct tlsock_keys k;	/* a -> b */
	struct tlsock_keys k2;	/* b -> a */
};

FIXTURE_VARIANT(bulk) {
	uint16_t version;
	uint16_t cipher;
};

TLSOCK_VARIANTS(bulk)

FIXTURE_SETUP(bulk)
{
	self->a = self->b = -1;
	enter_netns(_metadata);
	new_keys(_metadata, &self->k, variant->version, variant->cipher);
	new_keys(_metadata, &self->k2, variant->version, variant->cipher);
}

FIXTURE_TEARDOWN(bulk)
{
	if (self->a >= 0)
		close(self->a);
	if (self->b >= 0)
		close(self->b);
	tlsock_keys_wipe(&self->k);
	tlsock_keys_wipe(&self->k2);
}

/* A tlsock pair with both directions configured. */
static void bulk_pair(struct __test_metadata *_metadata, FIXTURE_DATA(bulk) *self, int bufsize)
{
	ASSERT_OK(tlsock_tcp_pair(AF_INET, bufsize, &self->a, &self->b));
	attach(_metadata, self->a, ULP_TLSOCK);
	attach(_metadata, self->b, ULP_TLSOCK);
	set_keys(_metadata, self->a, true, &self->k);
	set_keys(_metadata, self->b, false, &self->k);
	set_keys(_metadata, self->b, true, &self->k2);
	set_keys(_metadata, self->a, false, &self->k2);
}

TEST_F_TIMEOUT(bulk, bidir_8m, 600)
{
	struct pump w1 = { .seed = tlsock_pat_seed(), .len = 8 << 20 };
	struct pump w2 = { .seed = tlsock_pat_seed(), .len = (8 << 20) + 1 };
	struct pump r1 = w1, r2 = w2;

	bulk_pair(_metadata, self, 0);
	w1.fd = r2.fd = self->a;
	w2.fd = r1.fd = self->b;
	r1.max_chunk = 100000;
	pump_start(_metadata, &r1, false);
	pump_start(_metadata, &r2, false);
	pump_start(_metadata, &w1, true);
	pump_start(_metadata, &w2, true);
	pump_join_writer(_metadata, &w1);
	pump_join_writer(_metadata, &w2);
	pump_join_reader(_metadata, &r1);
	pump_join_reader(_metadata, &r2);
	EXPECT_LE((long)((w1.len + w2.len) / 16384), stat_of(_metadata, "TlsockTxRecords"));
	EXPECT_EQ(stat_of(_metadata, "TlsockTxRecords"), stat_of(_metadata, "TlsockRxRecords"));
}

/* One direction of a non-blocking transfer. */
struct nb_dir {
	int from, to;
	uint64_t seed;
	size_t len, sent, rcvd;
};

static int nb_send(struct nb_dir *d, uint8_t *buf)
{
	size_t n = d->len - d->sent;
	ssize_t w;

	if (n > 40000)
		n = 40000;	/* more than a record and more than the window */
	tlsock_pat_fill(d->seed, d->sent, buf, n);
	w = send(d->from, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (w < 0)
		return errno == EAGAIN ? 0 : -errno;
	d->sent += w;
	return 0;
}

/* Returns -EBADMSG on wrong data, -EPIPE on a premature end of stream. */
static int nb_recv(struct nb_dir *d, uint8_t *buf, size_t size)
{
	ssize_t n = recv(d->to, buf, size, MSG_DONTWAIT);

	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (!n)
		return -EPIPE;
	if (tlsock_pat_check(d->seed, d->rcvd, buf, n) >= 0)
		return -EBADMSG;
	d->rcvd += n;
	return 0;
}

/* Tiny socket buffers, non-blocking, poll-driven, both directions. */
TEST_F_TIMEOUT(bulk, tiny_window_nonblock, 240)
{
	struct nb_dir d[2];
	uint8_t *buf = malloc(65536);
	int rcvbuf = 0;
	socklen_t len = sizeof(rcvbuf);

	ASSERT_NE(NULL, buf);
	bulk_pair(_metadata, self, 4096);
	ASSERT_OK(getsockopt(self->b, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len));
	ASSERT_GT(TLSOCK_MAX_PAYLOAD, rcvbuf) TH_LOG("SO_RCVBUF %d is not small", rcvbuf);
	ASSERT_OK(tlsock_set_nonblock(self->a, true));
	ASSERT_OK(tlsock_set_nonblock(self->b, true));
	d[0] = (struct nb_dir){ .from = self->a, .to = self->b, .seed = tlsock_pat_seed(),
				.len = 1 << 20 };
	d[1] = (struct nb_dir){ .from = self->b, .to = self->a, .seed = tlsock_pat_seed(),
				.len = 300000 };

	while (d[0].rcvd < d[0].len || d[1].rcvd < d[1].len) {
		struct pollfd pfd[2];
		int i, n;

		for (i = 0; i < 2; i++) {
			/* pfd[i] is d[i].from, which also receives d[!i] */
			pfd[i].fd = d[i].from;
			pfd[i].events = (d[i].sent < d[i].len ? POLLOUT : 0) |
					(d[!i].rcvd < d[!i].len ? POLLIN : 0);
			pfd[i].revents = 0;
		}
		n = poll(pfd, 2, 10000);
		ASSERT_LT(0, n) TH_LOG("stalled: a->b sent %zu got %zu, b->a sent %zu got %zu",
				       d[0].sent, d[0].rcvd, d[1].sent, d[1].rcvd);
		for (i = 0; i < 2; i++) {
			ASSERT_FALSE(pfd[i].revents & (POLLERR | POLLNVAL))
				TH_LOG("revents %#x", pfd[i].revents);
			if (pfd[i].revents & POLLOUT) {
				ASSERT_OK(nb_send(&d[i], buf));
			}
			if (pfd[i].revents & (POLLIN | POLLHUP)) {
				ASSERT_OK(nb_recv(&d[!i], buf, 65536));
			}
		}
	}
	free(buf);
}

TEST_F(bulk, peek_across_records)
{
	char buf[20000], want[10000];
	uint8_t type;
	ssize_t n;
	int i;

	bulk_pair(_metadata, self, 0);
	send_ok(_metadata, self->a, "aaa", 3, 0);
	send_ok(_metadata, self->a, "bbbb", 4, 0);
	send_ok(_metadata, self->a, "cc", 2, 0);

	ASSERT_EQ(9, recv(self->b, buf, 9, MSG_PEEK | MSG_WAITALL));
	ASSERT_EQ(0, memcmp(buf, "aaabbbbcc", 9));
	/* peeking again sees the same */
	ASSERT_EQ(9, recv(self->b, buf, 9, MSG_PEEK | MSG_WAITALL));
	ASSERT_EQ(0, memcmp(buf, "aaabbbbcc", 9));
	ASSERT_EQ(2, recv(self->b, buf, 2, 0));
	ASSERT_EQ(0, memcmp(buf, "aa", 2));
	n = recv(self->b, buf, sizeof(buf), MSG_PEEK);
	ASSERT_LE(1, n);
	ASSERT_GE(7, n);
	ASSERT_EQ(0, memcmp(buf, "abbbbcc", n));
	ASSERT_EQ(7, recv(self->b, buf, 7, MSG_PEEK | MSG_WAITALL));
	ASSERT_EQ(0, memcmp(buf, "abbbbcc", 7));
	ASSERT_EQ(7, recv(self->b, buf, 7, MSG_WAITALL));
	ASSERT_EQ(0, memcmp(buf, "abbbbcc", 7));
	ASSERT_FAILS(recv(self->b, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	ASSERT_FAILS(recv(self->b, buf, sizeof(buf), MSG_DONTWAIT | MSG_PEEK), EAGAIN);

	/* ten records peeked whole, then read in other cuts */
	tlsock_pat_fill(tlsock_pat_seed(), 0, want, sizeof(want));
	for (i = 0; i < 10; i++)
		send_ok(_metadata, self->a, want + i * 1000, 1000, 0);
	ASSERT_EQ(10000, recv(self->b, buf, 10000, MSG_PEEK | MSG_WAITALL));
	ASSERT_EQ(0, memcmp(buf, want, 10000));
	ASSERT_EQ(1500, recv(self->b, buf, 1500, MSG_WAITALL));
	ASSERT_EQ(0, memcmp(buf, want, 1500));
	ASSERT_EQ(8500, recv(self->b, buf, 8500, MSG_PEEK | MSG_WAITALL));
	ASSERT_EQ(0, memcmp(buf, want + 1500, 8500));
	recv_expect(_metadata, self->b, want + 1500, 8500);

	/* a peek stops where the record type changes */
	send_ok(_metadata, self->a, "x", 1, 0);
	ASSERT_EQ(2, tlsock_send_type(self->a, TLSOCK_CT_HANDSHAKE, "yy", 2, 0));
	send_ok(_metadata, self->a, "z", 1, 0);
	ASSERT_EQ(1, tlsock_recv_type(self->b, &type, buf, sizeof(buf), MSG_PEEK));
	ASSERT_EQ(TLSOCK_CT_DATA, type);
	ASSERT_EQ('x', buf[0]);
	recv_record(_metadata, self->b, TLSOCK_CT_DATA, "x", 1);
	ASSERT_EQ(2, tlsock_recv_type(self->b, &type, buf, sizeof(buf), MSG_PEEK));
	ASSERT_EQ(TLSOCK_CT_HANDSHAKE, type);
	ASSERT_EQ(0, memcmp(buf, "yy", 2));
	recv_record(_metadata, self->b, TLSOCK_CT_HANDSHAKE, "yy", 2);
	recv_record(_metadata, self->b, TLSOCK_CT_DATA, "z", 1);
}

/* pipe -> tlsock socket with splice, alternating SPLICE_F_MORE. */
TEST_F_TIMEOUT(bulk, splice_to_socket, 180)
{
	struct pump r = { .seed = tlsock_pat_seed(), .len = (1 << 20) + 333 };
	uint8_t *buf = malloc(65536);
	size_t off = 0, step = 0;
	int p[2];

	ASSERT_NE(NULL, buf);
	bulk_pair(_metadata, self, 0);
	ASSERT_OK(pipe(p));
	r.fd = self->b;
	pump_start(_metadata, &r, false);
	while (off < r.len) {
		size_t n = 1 + (step * 7919) % 60000, left;

		if (n > r.len - off)
			n = r.len - off;
		tlsock_pat_fill(r.seed, off, buf, n);
		ASSERT_EQ((ssize_t)n, write(p[1], buf, n));
		for (left = n; left;) {
			unsigned int fl = (step & 1) && off + n < r.len ? SPLICE_F_MORE : 0;
			ssize_t s = splice(p[0], NULL, self->a, NULL, left, fl);

			ASSERT_LT(0, s) TH_LOG("splice to socket: %s", strerror(errno));
			left -= s;
		}
		off += n;
		step++;
	}
	pump_join_reader(_metadata, &r);
	close(p[0]);
	close(p[1]);
	free(buf);
}

/* tlsock socket -> pipe with splice. */
TEST_F_TIMEOUT(bulk, splice_from_socket, 180)
{
	struct pump w = { .seed = tlsock_pat_seed(), .len = (1 << 20) + 333 };
	uint8_t *buf = malloc(65536);
	size_t off = 0;
	int p[2];

	ASSERT_NE(NULL, buf);
	bulk_pair(_metadata, self, 0);
	ASSERT_OK(pipe(p));
	w.fd = self->a;
	pump_start(_metadata, &w, true);
	while (off < w.len) {
		ssize_t s = splice(self->b, NULL, p[1], NULL, 65536, 0), got;

		ASSERT_LT(0, s) TH_LOG("splice from socket at %zu: %s", off,
				       s ? strerror(errno) : "end of stream");
		ASSERT_GE(TLSOCK_MAX_PAYLOAD, s) TH_LOG("one splice spans records");
		got = read(p[0], buf, s);
		ASSERT_EQ(s, got);
		ASSERT_EQ(-1, tlsock_pat_check(w.seed, off, buf, s)) TH_LOG("wrong data at %zu",
									     off);
		off += s;
	}
	pump_join_writer(_metadata, &w);
	close(p[0]);
	close(p[1]);
	free(buf);
}

/* sendfile from a file, with TLS_TX_ZEROCOPY_RO off and on. */
TEST_F_TIMEOUT(bulk, sendfile, 180)
{
	const size_t len = (1 << 20) + 4097;
	uint8_t *buf = malloc(len);
	unsigned int zc;
	int fd;

	ASSERT_NE(NULL, buf);
	bulk_pair(_metadata, self, 0);
	fd = memfd_create("tlsock-sendfile", MFD_CLOEXEC);
	ASSERT_LE(0, fd);
	for (zc = 0; zc <= 1; zc++) {
		struct pump r = { .fd = self->b, .seed = tlsock_pat_seed(), .len = len };
		off_t off = 0;

		ASSERT_OK(setsockopt(self->a, SOL_TLS, TLS_TX_ZEROCOPY_RO, &zc, sizeof(zc)));
		tlsock_pat_fill(r.seed, 0, buf, len);
		ASSERT_EQ((ssize_t)len, pwrite(fd, buf, len, 0));
		pump_start(_metadata, &r, false);
		while ((size_t)off < len) {
			ssize_t s = sendfile(self->a, fd, &off, len - off);

			ASSERT_LT(0, s) TH_LOG("sendfile (zerocopy %u): %s", zc, strerror(errno));
		}
		pump_join_reader(_metadata, &r);
	}
	close(fd);
	free(buf);
}

/* Records spliced out of one tlsock socket and into another. */
TEST_F_TIMEOUT(bulk, splice_relay, 180)
{
	struct pump w = { .seed = tlsock_pat_seed(), .len = (1 << 20) + 77 };
	struct pump r = w;
	struct tlsock_keys k3;
	size_t moved = 0;
	int c, d, p[2];

	bulk_pair(_metadata, self, 0);
	/* second connection c -> d, fed from b */
	ASSERT_OK(tlsock_tcp_pair(AF_INET, 0, &c, &d));
	attach(_metadata, c, ULP_TLSOCK);
	attach(_metadata, d, ULP_TLSOCK);
	new_keys(_metadata, &k3, self->k.version, self->k.suite->cipher);
	set_keys(_metadata, c, true, &k3);
	set_keys(_metadata, d, false, &k3);
	ASSERT_OK(pipe(p));
	w.fd = self->a;
	r.fd = d;
	pump_start(_metadata, &r, false);
	pump_start(_metadata, &w, true);
	while (moved < w.len) {
		ssize_t in = splice(self->b, NULL, p[1], NULL, 65536, 0), left;

		ASSERT_LT(0, in) TH_LOG("splice in at %zu: %s", moved,
					in ? strerror(errno) : "end of stream");
		for (left = in; left;) {
			ssize_t out = splice(p[0], NULL, c, NULL, left, 0);

			ASSERT_LT(0, out) TH_LOG("splice out: %s", strerror(errno));
			left -= out;
		}
		moved += in;
	}
	pump_join_writer(_metadata, &w);
	pump_join_reader(_metadata, &r);
	close(c);
	close(d);
	close(p[0]);
	close(p[1]);
	tlsock_keys_wipe(&k3);
}

TEST_HARNESS_MAIN
