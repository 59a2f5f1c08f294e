// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile-stream fuzzer with a differential oracle.
 *
 * One seed makes one case: a version and cipher, a reader mode and a byte
 * stream of records a hostile peer might send (boundary lengths, every
 * content type, TLS 1.3 padding, oversize and empty records, flipped bytes
 * anywhere, truncation, garbage), written in random pieces and ended with a
 * FIN.  The same bytes, in the same pieces, go to a socket with the kernel's
 * own kTLS and to a tlsock socket with the same keys; both are read the same
 * way.  The oracle: both deliver the same (type, bytes) sequence and end the
 * same way (EOF, or the same errno), and neither hangs.
 *
 * A second, tlsock-only pass ("property" cases) adds what has no kTLS
 * counterpart to compare with: urgent bytes, a reset mid-record, TLS 1.3
 * KeyUpdate storms.  There the oracle is: every read ends with data, EOF or
 * an errno, and the stream never hangs.
 *
 *   stream_fuzz [--cases N] [--seed S] [--records-min M] [--replay FILE] [--tlsock-only]
 *   stream_fuzz --dump SEED    (the case's stream only: no sockets, no module)
 *
 * TAP on stdout: one result per replayed seed (FILE holds one seed a line,
 * '#' comments) and one for the random campaign.  A failing seed is printed
 * so that it can be added to the corpus (selftests/fuzz/corpus).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "lib.h"

#define FZ_MAX_RECS	48
#define FZ_STREAM_MAX	(FZ_MAX_RECS * (TLSOCK_REC_BUF + 64))
#define FZ_EVENTS_MAX	(FZ_STREAM_MAX + 4096)
#define FZ_QUIET_MS	1500

struct fz_rng {
	uint64_t s;
};

static uint64_t fz_next(struct fz_rng *r)
{
	/* xorshift64* */
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545F4914F6CDD1DULL;
}

static uint32_t fz_below(struct fz_rng *r, uint32_t n)
{
	return n ? fz_next(r) % n : 0;
}

/* A length a hostile peer likes: boundaries more often than their share. */
static size_t fz_len(struct fz_rng *r)
{
	static const size_t edge[] = { 0, 1, 2, 15, 16, 17, 255, 256, 4095, 4096, 4097,
				       16383, TLSOCK_MAX_PAYLOAD };

	switch (fz_below(r, 4)) {
	case 0:
		return edge[fz_below(r, ARRAY_SIZE(edge))];
	case 1:
		return fz_below(r, TLSOCK_MAX_PAYLOAD + 1);
	default:
		return fz_below(r, 300);
	}
}

enum fz_end { FZ_END_FIN, FZ_END_RST };

struct fz_case {
	uint64_t seed;
	uint16_t version;
	uint16_t cipher;
	int mode;		/* reader mode, see fz_read() */
	bool property;		/* tlsock only: urgent, reset, KeyUpdate */
	bool outer_flip;	/* a TLS 1.3 record's outer content type was changed */
	enum fz_end end;
	size_t urgent_at;	/* offset of an urgent byte, or SIZE_MAX */
	size_t len;
	int records;
	int npieces;
	size_t pieces[256];
	uint8_t *stream;
};

/* What one receiver made of the stream. */
struct fz_result {
	size_t len;
	uint8_t *ev;		/* (type, 3-byte length, bytes)... merged by type */
	uint8_t last_type;
	size_t last_at;		/* where the last event's length field is */
	int end;		/* 0: EOF, > 0: errno, -1: hang */
	long records_read;
	bool empty_ctl;		/* an empty record of a type other than data came out */
};

static const uint16_t fz_suites[][2] = {
	{ TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128 },
	{ TLS_1_3_VERSION, TLS_CIPHER_CHACHA20_POLY1305 },
	{ TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_256 },
	{ TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128 },
	{ TLS_1_2_VERSION, TLS_CIPHER_CHACHA20_POLY1305 },
};

/* Keys are derived from the seed too, so a case replays byte for byte. */
static void fz_keys(struct fz_rng *r, struct tlsock_keys *k, uint16_t version, uint16_t cipher)
{
	size_t i;

	tlsock_keys_init(k, version, cipher);
	for (i = 0; i < sizeof(k->key); i++)
		k->key[i] = fz_next(r);
	for (i = 0; i < sizeof(k->salt); i++)
		k->salt[i] = fz_next(r);
	for (i = 0; i < sizeof(k->iv); i++)
		k->iv[i] = fz_next(r);
	memset(k->seq, 0, sizeof(k->seq));
}

/* Append one record (or what stands in its place) to the stream; false: stop here. */
static bool fz_record(struct fz_rng *r, struct fz_case *c, struct tlsock_urec *u)
{
	static uint8_t plain[TLSOCK_MAX_PAYLOAD + 64];
	struct tlsock_rec_spec spec = { .type = TLSOCK_CT_DATA };
	bool v13 = c->version == TLS_1_3_VERSION;
	uint8_t *out = c->stream + c->len;
	size_t len = fz_len(r), i;
	uint32_t what = fz_below(r, 100);
	bool fatal = false;
	ssize_t n;

	for (i = 0; i < len; i++)
		plain[i] = fz_next(r);
	if (what < 8) {
		/* a control record: alert, or a handshake message that is no KeyUpdate */
		spec.type = what < 4 ? TLSOCK_CT_ALERT : TLSOCK_CT_HANDSHAKE;
		len = spec.type == TLSOCK_CT_ALERT ? 2 : 4 + fz_below(r, 40);
		if (spec.type == TLSOCK_CT_HANDSHAKE) {
			plain[0] = 20;	/* Finished */
			plain[1] = 0;
			plain[2] = 0;
			plain[3] = len - 4;
		}
	} else if (what < 11 && c->property && v13) {
		/* KeyUpdate (tlsock stops opening records until new keys) */
		spec.type = TLSOCK_CT_HANDSHAKE;
		len = 5;
		memcpy(plain, "\x18\x00\x00\x01\x00", 5);
		fatal = true;
	} else if (what < 14) {
		len = TLSOCK_MAX_PAYLOAD + 1 + fz_below(r, 8);	/* oversize */
		fatal = true;
	} else if (what < 17 && v13) {
		spec.pad = fz_below(r, 3) ? fz_below(r, 64) : TLSOCK_MAX_PAYLOAD + 1 - len;
		fatal = len + spec.pad > TLSOCK_MAX_PAYLOAD;
	} else if (what < 19 && v13) {
		spec.type = 0;		/* no content type at all: all zero */
		for (i = 0; i < len; i++)
			plain[i] = 0;
		fatal = true;
	} else if (what < 21) {
		spec.type = 26 + fz_below(r, 200);	/* unknown content type */
		fatal = v13;
	}

	n = tlsock_urec_seal(u, &spec, plain, len, out, FZ_STREAM_MAX - c->len);
	if (n <= 0)
		return false;
	what = fz_below(r, 100);
	if (what < 5) {
		/* drawn in this order since the first corpus was found with it */
		int bit = fz_below(r, 8);
		size_t at = fz_below(r, n);

		out[at] ^= 1 << bit;				/* a flipped bit anywhere */
		/* kTLS authenticates TLS 1.3 records as if their outer type were 23 */
		c->outer_flip |= v13 && at == 0;
		fatal = true;
	} else if (what < 7) {
		n = 1 + fz_below(r, n - 1);			/* truncated, then the end */
		fatal = true;
	} else if (what < 8) {
		for (i = 0; i < (size_t)n; i++)			/* garbage of a record's length */
			out[i] = fz_next(r);
		fatal = true;
	}
	c->len += n;
	c->records++;
	return !fatal;
}

static int fz_build(struct fz_case *c, struct tlsock_keys *k, uint64_t seed, bool property)
{
	struct fz_rng r = { .s = seed * 0x9E3779B97F4A7C15ULL + 1 };
	struct tlsock_urec u;
	int want, i;

	memset(c, 0, sizeof(*c) - sizeof(c->stream));
	c->seed = seed;
	c->property = property;
	i = fz_below(&r, ARRAY_SIZE(fz_suites));
	c->version = fz_suites[i][0];
	c->cipher = fz_suites[i][1];
	c->mode = fz_below(&r, 5);
	c->urgent_at = SIZE_MAX;
	fz_keys(&r, k, c->version, c->cipher);
	if (tlsock_urec_init(&u, k))
		return -EIO;
	want = 1 + fz_below(&r, FZ_MAX_RECS);
	while (c->records < want && c->len + TLSOCK_REC_BUF + 64 < FZ_STREAM_MAX &&
	       fz_record(&r, c, &u))
		;
	tlsock_urec_free(&u);

	if (property) {
		c->end = fz_below(&r, 3) ? FZ_END_FIN : FZ_END_RST;
		if (fz_below(&r, 2) && c->len)
			c->urgent_at = fz_below(&r, c->len);
	}
	/* pieces: whole, single bytes now and then, random cuts */
	c->npieces = 0;
	for (size_t at = 0; at < c->len && c->npieces < (int)ARRAY_SIZE(c->pieces) - 1;) {
		size_t n = fz_below(&r, 4) ? 1 + fz_below(&r, 20000) : 1 + fz_below(&r, 6);

		if (n > c->len - at)
			n = c->len - at;
		c->pieces[c->npieces++] = n;
		at += n;
	}
	return 0;
}

static void fz_event(struct fz_result *res, uint8_t type, const uint8_t *buf, size_t n)
{
	size_t have;

	if (res->len + 4 + n > FZ_EVENTS_MAX)
		return;
	/*
	 * Consecutive bytes of one type merge: kTLS and tlsock may cut a stream
	 * of data differently, and once their cuts differ, the reads that follow
	 * (of random sizes) cut a control record differently too.  A read never
	 * spans two records of another type than data on either.
	 */
	if (type == res->last_type && res->len) {
		have = (res->ev[res->last_at] << 16) | (res->ev[res->last_at + 1] << 8) |
		       res->ev[res->last_at + 2];
		have += n;
		res->ev[res->last_at] = have >> 16;
		res->ev[res->last_at + 1] = have >> 8;
		res->ev[res->last_at + 2] = have;
		memcpy(res->ev + res->len, buf, n);
		res->len += n;
		return;
	}
	res->ev[res->len++] = type;
	res->last_at = res->len;
	res->ev[res->len++] = n >> 16;
	res->ev[res->len++] = n >> 8;
	res->ev[res->len++] = n;
	memcpy(res->ev + res->len, buf, n);
	res->len += n;
	res->last_type = type;
}

/*
 * One read in mode @mode.  Returns bytes (with *type), 0 at EOF, or -errno.
 *   0: recvmsg, 64 KiB     1: recvmsg, 1-97 bytes    2: MSG_PEEK then recvmsg
 *   3: MSG_WAITALL 3000    4: splice for data, recvmsg for the rest (and after a 0)
 */
static ssize_t fz_read(int fd, int mode, struct fz_rng *r, uint8_t *type, uint8_t *buf,
		       size_t size)
{
	static uint8_t peek[TLSOCK_REC_BUF];
	ssize_t n, m;
	int p[2];

	switch (mode) {
	case 1:
		return tlsock_recv_type(fd, type, buf, 1 + fz_below(r, 97), MSG_DONTWAIT);
	case 2:
		n = tlsock_recv_type(fd, type, peek, 1 + fz_below(r, sizeof(peek) - 1),
				     MSG_DONTWAIT | MSG_PEEK);
		if (!n && *type)	/* an empty record: the read takes it */
			return tlsock_recv_type(fd, type, buf, size, MSG_DONTWAIT);
		if (n <= 0)
			return n;
		m = tlsock_recv_type(fd, type, buf, n, MSG_DONTWAIT);
		if (m > 0 && memcmp(peek, buf, m))
			return -EILSEQ;		/* a peek that showed other bytes */
		return m;
	case 3:
		return tlsock_recv_type(fd, type, buf, 3000, MSG_WAITALL | MSG_DONTWAIT);
	case 4:
		if (pipe(p))
			return -errno;
		n = splice(fd, NULL, p[1], NULL, size, SPLICE_F_NONBLOCK);
		m = n < 0 ? -errno : n;
		if (n > 0 && read(p[0], buf, n) != n)
			m = -EIO;
		close(p[0]);
		close(p[1]);
		*type = TLSOCK_CT_DATA;
		/*
		 * EINVAL: a control record, which splice does not take and recvmsg
		 * does; or a stream error (a bad record header), which splice just
		 * reported, once: recvmsg then finds nothing, and the error stands.
		 */
		if (m == -EINVAL) {
			n = tlsock_recv_type(fd, type, buf, size, MSG_DONTWAIT);
			return n > 0 || (!n && *type) ? n : m;
		}
		/*
		 * And 0 is not always the end: kTLS's splice returns 0 for an empty
		 * data record it consumed (tlsock's skips it); recvmsg tells the two
		 * apart.
		 */
		if (!m)
			return tlsock_recv_type(fd, type, buf, size, MSG_DONTWAIT);
		return m;
	default:
		return tlsock_recv_type(fd, type, buf, size, MSG_DONTWAIT);
	}
}

/*
 * Read what is there now (@drain: until EOF, an error or FZ_QUIET_MS of
 * silence).  Returns true when the receiver is done.
 */
static bool fz_drain(int fd, int mode, struct fz_rng *r, struct fz_result *res, bool drain)
{
	static uint8_t buf[65536];
	int empty = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint8_t type = 0;
		ssize_t n = fz_read(fd, mode, r, &type, buf, sizeof(buf));

		if (n > 0) {
			fz_event(res, type ? type : TLSOCK_CT_DATA, buf, n);
			res->records_read++;
			continue;
		}
		/*
		 * 0 with a record type is no EOF: kTLS hands over an empty record of
		 * a control or unknown type that way (tlsock refuses them), and an
		 * empty data record to a peek.  Bounded, in case a receiver returned
		 * the same empty record forever.
		 */
		if (!n && type && empty++ < 64) {
			if (type != TLSOCK_CT_DATA) {
				fz_event(res, type, buf, 0);
				res->empty_ctl = true;
			}
			res->records_read++;
			continue;
		}
		if (n == 0) {
			res->end = 0;
			return true;
		}
		if (n != -EAGAIN) {
			res->end = -n;
			return true;
		}
		if (!drain)
			return false;
		if (poll(&p, 1, FZ_QUIET_MS) == 0) {
			res->end = -1;		/* nothing, no EOF, no error: a hang */
			return true;
		}
	}
}

struct fz_side {
	int rx, peer;
	struct fz_result res;
	bool done;
	struct fz_rng rng;
};

static int fz_side_open(struct fz_side *s, const char *ulp, const struct tlsock_keys *k,
			uint64_t seed)
{
	uint8_t *ev = s->res.ev;

	memset(&s->res, 0, sizeof(s->res));
	s->res.ev = ev;
	s->done = false;
	s->rng.s = seed ^ 0x5bd1e995;
	if (tlsock_tcp_pair(AF_INET, 0, &s->rx, &s->peer))
		return -EIO;
	if (tlsock_attach(s->rx, ulp) || tlsock_set_keys(s->rx, false, k) ||
	    tlsock_set_nonblock(s->rx, true))
		return -EIO;
	return 0;
}

static void fz_side_close(struct fz_side *s)
{
	close(s->rx);
	close(s->peer);
}

static void fz_write(struct fz_side *s, const struct fz_case *c, size_t at, size_t n)
{
	if (c->urgent_at >= at && c->urgent_at < at + n) {
		size_t before = c->urgent_at - at;

		tlsock_write_all(s->peer, c->stream + at, before);
		send(s->peer, c->stream + c->urgent_at, 1, MSG_OOB);
		tlsock_write_all(s->peer, c->stream + c->urgent_at + 1, n - before - 1);
		return;
	}
	tlsock_write_all(s->peer, c->stream + at, n);
}

static void fz_finish(struct fz_side *s, enum fz_end end)
{
	if (end == FZ_END_RST) {
		struct linger l = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(s->peer, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		close(s->peer);
		s->peer = open("/dev/null", O_RDONLY);
		return;
	}
	shutdown(s->peer, SHUT_WR);
}

/* Feed @c to the receivers in @sides (1 or 2), reading as the pieces arrive. */
static void fz_run(const struct fz_case *c, struct fz_side *sides, int nsides)
{
	size_t at = 0;
	int i, p;

	for (p = 0; p < c->npieces; p++) {
		/* a receiver that ended reads no more: writing on would only fill its buffer */
		for (i = 0; i < nsides; i++)
			if (!sides[i].done)
				fz_write(&sides[i], c, at, c->pieces[p]);
		at += c->pieces[p];
		for (i = 0; i < nsides; i++)
			if (!sides[i].done)
				sides[i].done = fz_drain(sides[i].rx, c->mode, &sides[i].rng,
							 &sides[i].res, false);
	}
	for (i = 0; i < nsides; i++)
		fz_finish(&sides[i], c->end);
	for (i = 0; i < nsides; i++)
		if (!sides[i].done)
			fz_drain(sides[i].rx, c->mode, &sides[i].rng, &sides[i].res, true);
}

static const char *fz_end_name(int end, char *buf, size_t size)
{
	if (end < 0)
		return "hang";
	if (!end)
		return "EOF";
	snprintf(buf, size, "%s", strerror(end));
	return buf;
}

static long fz_records, fz_known;

/*
 * Is @a's event sequence a prefix of @b's?  Its last event may be data that
 * @b's event carries more of (consecutive bytes of one type merge into one event).
 */
static bool fz_prefix(const struct fz_result *a, const struct fz_result *b)
{
	size_t at = 0, na, nb;

	while (at + 4 <= a->len) {
		if (at + 4 > b->len || a->ev[at] != b->ev[at])
			return false;
		na = (a->ev[at + 1] << 16) | (a->ev[at + 2] << 8) | a->ev[at + 3];
		nb = (b->ev[at + 1] << 16) | (b->ev[at + 2] << 8) | b->ev[at + 3];
		if (na > nb || (na < nb && at + 4 + na != a->len) ||
		    memcmp(a->ev + at + 4, b->ev + at + 4, na))
			return false;
		at += 4 + na;
	}
	return at == a->len;
}

/*
 * The error tlsock reports for a bad last record header that kTLS never
 * checks, or 0.  kTLS looks at a TLS 1.2 AES-GCM/CCM header only once the
 * 8-byte explicit nonce behind it has arrived too; tlsock judges the header
 * by its 5 bytes.  So when the stream ends between the two, kTLS sees a
 * truncated record (EOF, or the reset) where tlsock reports the header's
 * error: EMSGSIZE for a length past the largest record, EBADMSG for one
 * shorter than nonce and tag, EINVAL for a version other than 3,3.
 */
static int fz_early_header_error(const struct fz_case *c)
{
	const size_t overhead = 8 + 16;
	size_t at = 0, n;

	if (c->version != TLS_1_2_VERSION || c->cipher == TLS_CIPHER_CHACHA20_POLY1305)
		return 0;
	while (at + 5 <= c->len) {
		n = (c->stream[at + 3] << 8) | c->stream[at + 4];
		if (at + 5 + 8 > c->len)
			break;
		at += 5 + n;
	}
	if (at + 5 > c->len || at + 5 + 8 <= c->len)
		return 0;
	n = (c->stream[at + 3] << 8) | c->stream[at + 4];
	if (n > TLSOCK_MAX_PAYLOAD + overhead)
		return EMSGSIZE;
	if (n < overhead)
		return EBADMSG;
	if (c->stream[at + 1] != 3 || c->stream[at + 2] != 3)
		return EINVAL;
	return 0;
}

/*
 * Where tlsock is stricter than kTLS on purpose, it must stop with EBADMSG
 * at the record kTLS let through, having delivered what kTLS delivered
 * before it:
 *  - an empty record of a type other than data (RFC 8446 5.1, RFC 5246
 *    6.2.1; kTLS returns it as a 0-byte read, which looks like EOF);
 *  - a TLS 1.3 record whose outer type is not 23: the header is the AEAD's
 *    additional data (RFC 8446 5.2), kTLS authenticates with 23 in its place.
 * And where the stream ends inside a bad TLS 1.2 record's explicit nonce
 * (fz_early_header_error()), tlsock reports the bad header after the same
 * events as kTLS, which ends as at any truncated record.
 */
static bool fz_known_divergence(const struct fz_case *c, const struct fz_result *ktls,
				const struct fz_result *tlsock)
{
	int early = fz_early_header_error(c);

	if (early && (ktls->end == 0 || ktls->end == ECONNRESET) && tlsock->end == early &&
	    tlsock->len == ktls->len && !memcmp(tlsock->ev, ktls->ev, ktls->len))
		return true;
	if (!ktls->empty_ctl && !c->outer_flip)
		return false;
	return tlsock->end == EBADMSG && fz_prefix(tlsock, ktls);
}
/* The events one receiver saw, as (type, length) pairs. */
static void fz_dump(const char *who, const struct fz_result *res)
{
	size_t at = 0, n;
	int shown = 0;

	printf("#   %s:", who);
	while (at + 4 <= res->len && shown++ < 64) {
		n = (res->ev[at + 1] << 16) | (res->ev[at + 2] << 8) | res->ev[at + 3];
		printf(" %u/%zu", res->ev[at], n);
		at += 4 + n;
	}
	printf("%s\n", at < res->len ? " ..." : "");
}

/*
 * The stream as the writer built it, record by record: outer type, version
 * and length, then what a userspace receiver with the same keys makes of it
 * (inner type/length, or "bad").
 */
static void fz_dump_stream(const struct fz_case *c, const struct tlsock_keys *k)
{
	static uint8_t out[TLSOCK_REC_BUF];
	struct tlsock_urec u;
	bool opened = !tlsock_urec_init(&u, k);
	size_t at = 0, n;
	int shown = 0;

	printf("#   stream %zu bytes:", c->len);
	while (at + 5 <= c->len && shown++ < 64) {
		uint8_t type;
		ssize_t m = -1;

		n = (c->stream[at + 3] << 8) | c->stream[at + 4];
		if (opened && at + 5 + n <= c->len)
			m = tlsock_urec_open(&u, c->stream + at, 5 + n, &type, out, sizeof(out));
		printf(" [%02x %02x%02x %zu", c->stream[at], c->stream[at + 1], c->stream[at + 2], n);
		if (m >= 0)
			printf(" %u/%zd]", type, m);
		else
			printf(" bad]");
		at += 5 + n;
	}
	if (at != c->len)
		printf(" (the last header points %zd bytes past the end)", (ssize_t)(at - c->len));
	printf("\n");
	if (opened)
		tlsock_urec_free(&u);
}

/* Run one seed.  Returns 0, or -1 with the divergence printed as TAP comments. */
static int fz_case_run(uint64_t seed, bool property)
{
	static struct fz_case c;
	static struct fz_side sides[2];
	struct tlsock_keys k;
	char b1[64], b2[64];
	int err = 0;

	if (!c.stream) {
		c.stream = malloc(FZ_STREAM_MAX);
		sides[0].res.ev = malloc(FZ_EVENTS_MAX);
		sides[1].res.ev = malloc(FZ_EVENTS_MAX);
		if (!c.stream || !sides[0].res.ev || !sides[1].res.ev)
			return -1;
	}
	if (fz_build(&c, &k, seed, property))
		return -1;
	fz_records += c.records;

	if (property) {
		if (fz_side_open(&sides[0], "tlsock", &k, seed))
			goto setup;
		fz_run(&c, sides, 1);
		if (sides[0].res.end < 0) {
			printf("# seed %" PRIu64 " (property, mode %d): tlsock %s after %ld reads\n",
			       seed, c.mode, fz_end_name(sides[0].res.end, b1, sizeof(b1)),
			       sides[0].res.records_read);
			err = -1;
		}
		fz_side_close(&sides[0]);
		tlsock_keys_wipe(&k);
		return err;
	}

	if (fz_side_open(&sides[0], "tls", &k, seed) || fz_side_open(&sides[1], "tlsock", &k, seed))
		goto setup;
	fz_run(&c, sides, 2);
	if ((sides[0].res.end != sides[1].res.end || sides[0].res.len != sides[1].res.len ||
	     memcmp(sides[0].res.ev, sides[1].res.ev, sides[0].res.len)) &&
	    fz_known_divergence(&c, &sides[0].res, &sides[1].res)) {
		fz_known++;
	} else if (sides[0].res.end != sides[1].res.end || sides[0].res.len != sides[1].res.len ||
		   memcmp(sides[0].res.ev, sides[1].res.ev, sides[0].res.len) ||
		   sides[1].res.end < 0) {
		printf("# seed %" PRIu64 " (TLS 1.%d cipher %u, mode %d, %d records, %zu bytes): "
		       "kTLS %s with %zu event bytes, tlsock %s with %zu\n", seed,
		       c.version == TLS_1_3_VERSION ? 3 : 2, c.cipher, c.mode, c.records, c.len,
		       fz_end_name(sides[0].res.end, b1, sizeof(b1)), sides[0].res.len,
		       fz_end_name(sides[1].res.end, b2, sizeof(b2)), sides[1].res.len);
		fz_dump_stream(&c, &k);
		fz_dump("kTLS", &sides[0].res);
		fz_dump("tlsock", &sides[1].res);
		err = -1;
	}
	fz_side_close(&sides[0]);
	fz_side_close(&sides[1]);
	tlsock_keys_wipe(&k);
	return err;
setup:
	printf("# seed %" PRIu64 ": cannot set up the sockets (is the tls module loadable?)\n",
	       seed);
	tlsock_keys_wipe(&k);
	return -1;
}

/* --dump: what a seed writes, without running it. */
static int fz_dump_seed(uint64_t seed)
{
	static struct fz_case c;
	struct tlsock_keys k;

	c.stream = malloc(FZ_STREAM_MAX);
	if (!c.stream || fz_build(&c, &k, seed, seed % 4 == 3))
		return 1;
	printf("# seed %" PRIu64 ": TLS 1.%d cipher %u, mode %d, %d records, %zu bytes%s\n", seed,
	       c.version == TLS_1_3_VERSION ? 3 : 2, c.cipher, c.mode, c.records, c.len,
	       c.property ? ", property" : "");
	fz_dump_stream(&c, &k);
	tlsock_keys_wipe(&k);
	free(c.stream);
	return 0;
}

static int fz_replay(const char *file, int *count, bool property)
{
	char line[256];
	FILE *f = fopen(file, "r");
	int failed = 0;

	if (!f) {
		printf("not ok %d - corpus %s: %s\n", ++*count, file, strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *end;
		uint64_t seed;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		seed = strtoull(line, &end, 0);
		if (end == line)
			continue;
		if (fz_case_run(seed, property || seed % 4 == 3)) {
			printf("not ok %d - corpus seed %" PRIu64 "\n", ++*count, seed);
			failed++;
		} else {
			printf("ok %d - corpus seed %" PRIu64 "\n", ++*count, seed);
		}
	}
	fclose(f);
	return failed;
}

int main(int argc, char **argv)
{
	uint64_t seed = (uint64_t)time(NULL) * 2654435761u, s;
	long cases = 200, min_records = 0, done = 0, bad = 0;
	bool property_only = false;
	const char *replay[8];
	int nreplay = 0, count = 0, failed = 0, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--cases") && i + 1 < argc)
			cases = atol(argv[++i]);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--records-min") && i + 1 < argc)
			min_records = atol(argv[++i]);
		else if (!strcmp(argv[i], "--replay") && i + 1 < argc && nreplay < 8)
			replay[nreplay++] = argv[++i];
		else if (!strcmp(argv[i], "--tlsock-only"))
			property_only = true;
		else if (!strcmp(argv[i], "--dump") && i + 1 < argc)
			return fz_dump_seed(strtoull(argv[++i], NULL, 0));
		else {
			fprintf(stderr, "usage: %s [--cases N] [--seed S] [--records-min M] "
				"[--replay FILE]... [--tlsock-only] [--dump SEED]\n", argv[0]);
			return 2;
		}
	}
	if (tlsock_netns_enter()) {
		printf("1..1\nnot ok 1 - stream_fuzz: no network namespace (root?)\n");
		return 1;
	}
	for (i = 0; i < nreplay; i++)
		failed += fz_replay(replay[i], &count, property_only);

	printf("# campaign: first seed %" PRIu64 ", %ld cases%s\n", seed, cases,
	       min_records ? " or more" : "");
	fz_records = 0;
	fz_known = 0;
	for (s = seed; done < cases || fz_records < min_records; s++, done++) {
		/* one case in four checks tlsock alone with what kTLS cannot be compared on */
		bool property = property_only || (s % 4) == 3;

		if (fz_case_run(s, property)) {
			printf("# failing seed: %" PRIu64 "%s\n", s, property ? " (property)" : "");
			if (++bad >= 10)
				break;
		}
	}
	printf("%s %d - campaign: %ld cases, %ld records, %ld failing, %ld where tlsock is "
	       "stricter than kTLS on purpose\n", bad ? "not ok" : "ok", ++count, done, fz_records,
	       bad, fz_known);
	failed += !!bad;
	printf("1..%d\n", count);
	return failed ? 1 : 0;
}
