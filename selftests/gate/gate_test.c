// SPDX-License-Identifier: GPL-2.0
/*
 * The handshake gate under attack.  A stand-in daemon (../lib/fake_daemon.c)
 * claims each managed handshake, so a test decides when DONE arrives and
 * what it says, while application calls are already blocked on the socket
 * and a hostile peer writes whatever it likes.  The rule checked everywhere:
 * no byte reaches the application except through the record layer, and
 * every call ends with data or a clear errno.
 *
 * Every test runs in a network namespace of its own, where the stand-in is
 * the only daemon.  The stand-in is a child process: the process that
 * claimed a request passes the gate, the application's must not.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <linux/io_uring.h>
#include <linux/sockios.h>
#include <linux/tlsock.h>

#include "kselftest_harness.h"
#include "lib.h"
#include "fake_daemon.h"

#ifndef SOL_TLSOCK
#define SOL_TLSOCK 287
#endif
#ifndef TCP_ZEROCOPY_RECEIVE
#define TCP_ZEROCOPY_RECEIVE 35
#endif

/* What a hostile peer writes where a record belongs: plausible plaintext. */
static const char raw_bytes[56] = "GET /account HTTP/1.1\r\nHost: bank\r\nCookie: s=0123456\r\n";
static const char secret[56] = "the real application data, sealed in one TLS record...";

enum gate_op {
	OP_RECV, OP_PEEK, OP_WAITALL, OP_READ, OP_READV, OP_RECVMMSG,
	OP_SPLICE, OP_SENDFILE, OP_SEND, OP_SPLICE_IN, OP_URING_RECV, OP_URING_SEND,
};

/* One application call, run in a thread of its own so that it can block. */
struct call {
	pthread_t th;
	int fd;
	enum gate_op op;
	size_t len;
	int flags;
	pid_t tid;
	volatile int entered;
	volatile int finished;
	ssize_t ret;
	int err;
	uint8_t buf[TLSOCK_REC_BUF];
};

static ssize_t call_via_pipe(struct call *c, bool from_socket)
{
	int p[2];
	ssize_t n = -1, got = 0;

	if (pipe(p))
		return -1;
	if (from_socket) {
		c->entered = 1;
		n = splice(c->fd, NULL, p[1], NULL, c->len, 0);
		if (n > 0)
			got = read(p[0], c->buf, n);
		if (n > 0 && got != n)
			n = -1;
	} else {
		if (write(p[1], c->buf, c->len) == (ssize_t)c->len) {
			c->entered = 1;
			n = splice(p[0], NULL, c->fd, NULL, c->len, 0);
		}
	}
	c->err = errno;
	close(p[0]);
	close(p[1]);
	return n;
}

/*
 * One io_uring operation (IORING_OP_RECV or IORING_OP_SEND) on c->fd, through
 * a ring of its own made with the raw system calls.  io_uring first tries the
 * call without blocking and, on EAGAIN, waits for the socket's poll to report
 * readiness, then retries from its own context: a path of its own through the
 * gate.  The thread sleeps in io_uring_enter() until the completion.
 */
static ssize_t call_uring(struct call *c, uint8_t opcode)
{
	struct io_uring_params p = { 0 };
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	size_t sq_size, cq_size;
	void *sq = MAP_FAILED, *cq = MAP_FAILED, *sqes = MAP_FAILED;
	unsigned int *tail, *head;
	ssize_t n = -1;
	int fd;

	fd = syscall(__NR_io_uring_setup, 2, &p);
	if (fd < 0) {
		c->err = errno;
		return -1;
	}
	sq_size = p.sq_off.array + p.sq_entries * sizeof(__u32);
	cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP)
		sq_size = cq_size = sq_size > cq_size ? sq_size : cq_size;
	sq = mmap(NULL, sq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
		  IORING_OFF_SQ_RING);
	cq = p.features & IORING_FEAT_SINGLE_MMAP ? sq :
	     mmap(NULL, cq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
		  IORING_OFF_CQ_RING);
	sqes = mmap(NULL, p.sq_entries * sizeof(*sqe), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED) {
		c->err = errno;
		goto out;
	}
	sqe = sqes;
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = opcode;
	sqe->fd = c->fd;
	sqe->addr = (unsigned long)c->buf;
	sqe->len = c->len;
	sqe->msg_flags = c->flags;
	((__u32 *)((char *)sq + p.sq_off.array))[0] = 0;
	tail = (unsigned int *)((char *)sq + p.sq_off.tail);
	__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);

	c->entered = 1;
	if (syscall(__NR_io_uring_enter, fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0) {
		c->err = errno;
		goto out;
	}
	head = (unsigned int *)((char *)cq + p.cq_off.head);
	tail = (unsigned int *)((char *)cq + p.cq_off.tail);
	if (*head == __atomic_load_n(tail, __ATOMIC_ACQUIRE)) {
		c->err = EIO;		/* woken without a completion */
		goto out;
	}
	cqe = (struct io_uring_cqe *)((char *)cq + p.cq_off.cqes) +
	      (*head & *(unsigned int *)((char *)cq + p.cq_off.ring_mask));
	n = cqe->res < 0 ? -1 : cqe->res;
	c->err = cqe->res < 0 ? -cqe->res : 0;
	__atomic_store_n(head, *head + 1, __ATOMIC_RELEASE);
out:
	if (sqes != MAP_FAILED)
		munmap(sqes, p.sq_entries * sizeof(*sqe));
	if (cq != MAP_FAILED && cq != sq)
		munmap(cq, cq_size);
	if (sq != MAP_FAILED)
		munmap(sq, sq_size);
	close(fd);
	return n;
}

/* sendfile() from the socket, into a pipe (a socket's data cannot go to a regular file). */
static ssize_t call_sendfile(struct call *c)
{
	int p[2];
	ssize_t n;

	if (pipe(p))
		return -1;
	c->entered = 1;
	n = sendfile(p[1], c->fd, NULL, c->len);
	c->err = errno;
	if (n > 0 && read(p[0], c->buf, n) != n)
		n = -1;
	close(p[0]);
	close(p[1]);
	return n;
}

static void *call_run(void *arg)
{
	struct call *c = arg;
	struct iovec iov = { .iov_base = c->buf, .iov_len = c->len };
	struct mmsghdr mm = { .msg_hdr = { .msg_iov = &iov, .msg_iovlen = 1 } };

	c->tid = syscall(SYS_gettid);
	errno = 0;
	switch (c->op) {
	case OP_SPLICE:
	case OP_SPLICE_IN:
		c->ret = call_via_pipe(c, c->op == OP_SPLICE);
		c->finished = 1;
		return NULL;
	case OP_SENDFILE:
		c->ret = call_sendfile(c);
		c->finished = 1;
		return NULL;
	case OP_URING_RECV:
	case OP_URING_SEND:
		c->ret = call_uring(c, c->op == OP_URING_RECV ? IORING_OP_RECV : IORING_OP_SEND);
		c->finished = 1;
		return NULL;
	default:
		break;
	}
	c->entered = 1;
	switch (c->op) {
	case OP_RECV:
		c->ret = recv(c->fd, c->buf, c->len, c->flags);
		break;
	case OP_PEEK:
		c->ret = recv(c->fd, c->buf, c->len, MSG_PEEK | c->flags);
		break;
	case OP_WAITALL:
		c->ret = recv(c->fd, c->buf, c->len, MSG_WAITALL | c->flags);
		break;
	case OP_READ:
		c->ret = read(c->fd, c->buf, c->len);
		break;
	case OP_READV:
		c->ret = readv(c->fd, &iov, 1);
		break;
	case OP_RECVMMSG:
		c->ret = recvmmsg(c->fd, &mm, 1, 0, NULL);
		if (c->ret == 1)
			c->ret = mm.msg_len;
		break;
	case OP_SEND:
		c->ret = send(c->fd, c->buf, c->len, c->flags);
		break;
	default:
		c->ret = -1;
		errno = EINVAL;
	}
	c->err = errno;
	c->finished = 1;
	return NULL;
}

/*
 * Wait until the call's thread sleeps in the kernel (its /proc state is S).
 * -EALREADY: the call returned without blocking.
 */
static int call_wait_blocked(struct call *c)
{
	char path[64], st[256];
	int i;

	for (i = 0; i < 5000; i++) {
		FILE *f;
		char *p;

		if (c->finished)
			return -EALREADY;
		if (c->entered) {
			snprintf(path, sizeof(path), "/proc/self/task/%d/stat", c->tid);
			f = fopen(path, "r");
			if (f) {
				p = fgets(st, sizeof(st), f) ? strrchr(st, ')') : NULL;
				fclose(f);
				if (p && p[1] == ' ' && p[2] == 'S')
					return 0;
			}
		}
		usleep(1000);
	}
	return -ETIMEDOUT;
}

static int call_start(struct call *c, int fd, enum gate_op op, size_t len)
{
	c->fd = fd;
	c->op = op;
	c->len = len;
	c->entered = 0;
	c->finished = 0;
	c->tid = 0;
	if (pthread_create(&c->th, NULL, call_run, c))
		return -EAGAIN;
	return call_wait_blocked(c);
}

/* The application's TLSOCK_HANDSHAKE, blocking in a thread of its own. */
struct hs_call {
	pthread_t th;
	int fd;
	int timeout_ms;		/* 0: 20 s */
	int ret;
	int err;
	bool started;
};

static void *hs_run(void *arg)
{
	struct hs_call *h = arg;
	struct tlsock_handshake req = {
		.role = TLSOCK_ROLE_CLIENT,
		.timeout_ms = h->timeout_ms ?: 20000,
	};

	h->ret = setsockopt(h->fd, SOL_TLSOCK, TLSOCK_HANDSHAKE, &req, sizeof(req));
	h->err = h->ret ? errno : 0;
	return NULL;
}

FIXTURE(gate) {
	struct tlsock_fdp d;
	int app, peer;
	uint32_t id;
	struct hs_call hs;
	struct tlsock_keys app_tx, app_rx;
	struct tlsock_urec to_app;	/* the peer seals with the app's RX keys */
	struct tlsock_urec from_app;	/* and opens with its TX keys */
	uint8_t rec[TLSOCK_REC_BUF];
};

FIXTURE_VARIANT(gate) {
	uint16_t version;
	uint16_t cipher;
	size_t secret_len;
};

FIXTURE_VARIANT_ADD(gate, tls13_aes_gcm_128) {
	.version = TLS_1_3_VERSION, .cipher = TLS_CIPHER_AES_GCM_128, .secret_len = 32,
};
FIXTURE_VARIANT_ADD(gate, tls13_aes_gcm_256) {
	.version = TLS_1_3_VERSION, .cipher = TLS_CIPHER_AES_GCM_256, .secret_len = 48,
};
FIXTURE_VARIANT_ADD(gate, tls13_chacha20) {
	.version = TLS_1_3_VERSION, .cipher = TLS_CIPHER_CHACHA20_POLY1305, .secret_len = 32,
};
FIXTURE_VARIANT_ADD(gate, tls12_aes_gcm_128) {
	.version = TLS_1_2_VERSION, .cipher = TLS_CIPHER_AES_GCM_128, .secret_len = 0,
};

FIXTURE_SETUP(gate)
{
	self->app = self->peer = -1;
	self->hs.started = false;
	ASSERT_EQ(0, tlsock_netns_enter());
	ASSERT_EQ(0, tlsock_fdp_spawn(&self->d));
	ASSERT_EQ(0, tlsock_tcp_pair(AF_INET, 0, &self->app, &self->peer));
	ASSERT_EQ(0, tlsock_attach(self->app, "tlsock"));
	ASSERT_EQ(0, tlsock_keys_init(&self->app_tx, variant->version, variant->cipher));
	ASSERT_EQ(0, tlsock_keys_init(&self->app_rx, variant->version, variant->cipher));
	ASSERT_EQ(0, tlsock_urec_init(&self->to_app, &self->app_rx));
	ASSERT_EQ(0, tlsock_urec_init(&self->from_app, &self->app_tx));
}

FIXTURE_TEARDOWN(gate)
{
	/* the daemon goes first: an unfinished request then fails and frees the thread */
	tlsock_fdp_stop(&self->d);
	if (self->hs.started)
		pthread_join(self->hs.th, NULL);
	if (self->app >= 0)
		close(self->app);
	if (self->peer >= 0)
		close(self->peer);
	tlsock_urec_free(&self->to_app);
	tlsock_urec_free(&self->from_app);
	tlsock_keys_wipe(&self->app_tx);
	tlsock_keys_wipe(&self->app_rx);
}

/* The application asks for a handshake; the stand-in claims it. */
static void gate_claim(struct __test_metadata *_metadata, FIXTURE_DATA(gate) *self)
{
	self->hs.fd = self->app;
	ASSERT_EQ(0, pthread_create(&self->hs.th, NULL, hs_run, &self->hs));
	self->hs.started = true;
	ASSERT_EQ(0, tlsock_fdp_accept(&self->d, &self->id, 5000));
}

static void gate_done_msg(const FIXTURE_VARIANT(gate) *variant, FIXTURE_DATA(gate) *self,
			  struct tlsock_fd_done *done)
{
	memset(done, 0, sizeof(*done));
	tlsock_fd_done_keys(done, &self->app_tx, &self->app_rx);
	done->secret_len = variant->secret_len;
	memset(done->secret_tx, 0x5a, sizeof(done->secret_tx));
	memset(done->secret_rx, 0xa5, sizeof(done->secret_rx));
	done->verified = true;
}

/* DONE with the test's keys; the application's TLSOCK_HANDSHAKE returns 0. */
static void gate_done(struct __test_metadata *_metadata, const FIXTURE_VARIANT(gate) *variant,
		      FIXTURE_DATA(gate) *self)
{
	struct tlsock_fd_done done;

	gate_done_msg(variant, self, &done);
	ASSERT_EQ(0, tlsock_fdp_done(&self->d, self->id, &done));
	memset(&done, 0, sizeof(done));
	ASSERT_EQ(0, pthread_join(self->hs.th, NULL));
	self->hs.started = false;
	ASSERT_EQ(0, self->hs.ret) TH_LOG("handshake: %s", strerror(self->hs.err));
}

/* The stand-in finishes with an error; the application's call returns it. */
static void gate_fail(struct __test_metadata *_metadata, FIXTURE_DATA(gate) *self, int status,
		      int want)
{
	struct tlsock_fd_done done = { .status = status };

	ASSERT_EQ(0, tlsock_fdp_done(&self->d, self->id, &done));
	ASSERT_EQ(0, pthread_join(self->hs.th, NULL));
	self->hs.started = false;
	ASSERT_EQ(-1, self->hs.ret);
	ASSERT_EQ(want, self->hs.err);
}

/* The peer writes one record of @len bytes of @data, sealed for the application. */
static void peer_send_record(struct __test_metadata *_metadata, FIXTURE_DATA(gate) *self,
			     const void *data, size_t len)
{
	struct tlsock_rec_spec spec = { .type = TLSOCK_CT_DATA };
	ssize_t n = tlsock_urec_seal(&self->to_app, &spec, data, len, self->rec,
				     sizeof(self->rec));

	ASSERT_GT(n, 0);
	ASSERT_EQ(n, tlsock_write_all(self->peer, self->rec, n));
}

/* The peer reads one record from the application and opens it. */
static ssize_t peer_recv_record(struct __test_metadata *_metadata, FIXTURE_DATA(gate) *self,
				uint8_t *out, size_t size)
{
	uint8_t hdr[TLSOCK_HDR_LEN], type;
	ssize_t total;

	if (tlsock_read_full(self->peer, hdr, sizeof(hdr)) != sizeof(hdr))
		return -EIO;
	total = tlsock_rec_total(hdr, sizeof(hdr));
	if (total <= TLSOCK_HDR_LEN || total > (ssize_t)sizeof(self->rec))
		return -EBADMSG;
	memcpy(self->rec, hdr, sizeof(hdr));
	if (tlsock_read_full(self->peer, self->rec + sizeof(hdr), total - sizeof(hdr)) !=
	    total - (ssize_t)sizeof(hdr))
		return -EIO;
	return tlsock_urec_open(&self->from_app, self->rec, total, &type, out, size);
}

/* Wait until @n bytes sit in the application socket's TCP queue. */
static int wait_inq(int fd, int n)
{
	int i, q;

	for (i = 0; i < 5000; i++) {
		if (ioctl(fd, SIOCINQ, &q))
			return -errno;
		if (q >= n)
			return 0;
		usleep(1000);
	}
	return -ETIMEDOUT;
}

/*
 * A read of kind @op blocks in the gate; the hostile peer writes raw bytes;
 * DONE installs keys.  The reader must get an error from the record layer,
 * never the raw bytes.
 */
static void reader_raw(struct __test_metadata *_metadata, const FIXTURE_VARIANT(gate) *variant,
		       FIXTURE_DATA(gate) *self, enum gate_op op)
{
	static struct call c;

	gate_claim(_metadata, self);
	ASSERT_EQ(0, call_start(&c, self->app, op, sizeof(raw_bytes)))
		TH_LOG("returned %zd (%s) without waiting", c.ret, strerror(c.err));
	ASSERT_EQ(sizeof(raw_bytes), write(self->peer, raw_bytes, sizeof(raw_bytes)));
	ASSERT_EQ(0, wait_inq(self->app, sizeof(raw_bytes)));
	gate_done(_metadata, variant, self);
	ASSERT_EQ(0, pthread_join(c.th, NULL));
	EXPECT_EQ(-1, c.ret) {
		TH_LOG("a reader released by DONE got %zd raw bytes: \"%.*s\"", c.ret,
		       (int)(c.ret > 0 ? c.ret : 0), c.buf);
	}
	EXPECT_NE(0, c.err);
	EXPECT_NE(EAGAIN, c.err);
}

/* The same, but the peer sends a real record after DONE: the reader gets its plaintext. */
static void reader_record(struct __test_metadata *_metadata,
			  const FIXTURE_VARIANT(gate) *variant, FIXTURE_DATA(gate) *self,
			  enum gate_op op)
{
	static struct call c;

	gate_claim(_metadata, self);
	ASSERT_EQ(0, call_start(&c, self->app, op, sizeof(secret)))
		TH_LOG("returned %zd (%s) without waiting", c.ret, strerror(c.err));
	gate_done(_metadata, variant, self);
	peer_send_record(_metadata, self, secret, sizeof(secret));
	ASSERT_EQ(0, pthread_join(c.th, NULL));
	ASSERT_EQ(sizeof(secret), c.ret) TH_LOG("errno %s", strerror(c.err));
	EXPECT_EQ(0, memcmp(c.buf, secret, sizeof(secret)));
}

#define GATE_READ_TESTS(name, op)						\
TEST_F(gate, name##_blocked_raw_bytes) { reader_raw(_metadata, variant, self, op); }	\
TEST_F(gate, name##_blocked_then_record) { reader_record(_metadata, variant, self, op); }

GATE_READ_TESTS(recv, OP_RECV)
GATE_READ_TESTS(peek, OP_PEEK)
GATE_READ_TESTS(waitall, OP_WAITALL)
GATE_READ_TESTS(read, OP_READ)
GATE_READ_TESTS(readv, OP_READV)
GATE_READ_TESTS(recvmmsg, OP_RECVMMSG)
GATE_READ_TESTS(splice, OP_SPLICE)
GATE_READ_TESTS(sendfile, OP_SENDFILE)
GATE_READ_TESTS(io_uring_recv, OP_URING_RECV)

/* A writer blocked in the gate: its bytes leave as one record under the handshake's keys. */
static void writer_blocked(struct __test_metadata *_metadata,
			   const FIXTURE_VARIANT(gate) *variant, FIXTURE_DATA(gate) *self,
			   enum gate_op op)
{
	static struct call c;
	uint8_t out[TLSOCK_REC_BUF];

	gate_claim(_metadata, self);
	memcpy(c.buf, secret, sizeof(secret));
	ASSERT_EQ(0, call_start(&c, self->app, op, sizeof(secret)))
		TH_LOG("returned %zd (%s) without waiting", c.ret, strerror(c.err));
	gate_done(_metadata, variant, self);
	ASSERT_EQ(0, pthread_join(c.th, NULL));
	ASSERT_EQ(sizeof(secret), c.ret) TH_LOG("errno %s", strerror(c.err));
	ASSERT_EQ(sizeof(secret), peer_recv_record(_metadata, self, out, sizeof(out)));
	EXPECT_EQ(0, memcmp(out, secret, sizeof(secret)));
}

TEST_F(gate, send_blocked) { writer_blocked(_metadata, variant, self, OP_SEND); }
TEST_F(gate, splice_in_blocked) { writer_blocked(_metadata, variant, self, OP_SPLICE_IN); }
TEST_F(gate, io_uring_send_blocked) { writer_blocked(_metadata, variant, self, OP_URING_SEND); }

/*
 * Every way a handshake can end without keys, under a call of every kind
 * blocked in the gate, with raw bytes from the peer waiting for readers:
 * the call ends, with an errno (or end of stream after its own shutdown),
 * never with those bytes, and a writer's bytes never reach the wire.
 */
enum gate_end { END_FAILED, END_TIMEOUT, END_DAEMON_DIES, END_SHUTDOWN, END_COUNT };
static const char *const end_names[] = { "failed", "timed out", "daemon died", "shutdown" };
static const int end_errno[] = { EKEYREJECTED, ETIMEDOUT, EOWNERDEAD, 0 };

/* A new application socket and peer, and a new stand-in daemon. */
static int gate_renew(FIXTURE_DATA(gate) *self)
{
	tlsock_fdp_stop(&self->d);
	close(self->app);
	close(self->peer);
	self->app = self->peer = -1;
	if (tlsock_fdp_spawn(&self->d) || tlsock_tcp_pair(AF_INET, 0, &self->app, &self->peer))
		return -1;
	return tlsock_attach(self->app, "tlsock");
}

static bool op_writes(enum gate_op op)
{
	return op == OP_SEND || op == OP_SPLICE_IN || op == OP_URING_SEND;
}

static void call_ends(struct __test_metadata *_metadata, FIXTURE_DATA(gate) *self,
		      enum gate_op op)
{
	static struct call c;
	int e;

	for (e = 0; e < END_COUNT; e++) {
		struct tlsock_fd_done fail = { .status = EKEYREJECTED };
		uint8_t wire[4096];
		bool ended;
		ssize_t n;
		int r;

		if (e)
			ASSERT_EQ(0, gate_renew(self));
		self->hs.timeout_ms = e == END_TIMEOUT || e == END_SHUTDOWN ? 500 : 0;
		gate_claim(_metadata, self);
		if (op_writes(op))
			memcpy(c.buf, secret, sizeof(secret));
		r = call_start(&c, self->app, op, sizeof(raw_bytes));
		/*
		 * The short deadline (the gate does not end at the application's
		 * shutdown: the call waits for the handshake's end) may pass
		 * before the call is seen asleep on a slow kernel: then it ended
		 * on its own, and is checked all the same.
		 */
		ended = r == -EALREADY && self->hs.timeout_ms;
		if (!ended)
			ASSERT_EQ(0, r) TH_LOG("%s: returned %zd (%s) without waiting",
					       end_names[e], c.ret, strerror(c.err));
		if (!op_writes(op) && !ended) {
			ASSERT_EQ(sizeof(raw_bytes), write(self->peer, raw_bytes,
							   sizeof(raw_bytes)));
		}
		switch (e) {
		case END_FAILED:
			ASSERT_EQ(0, tlsock_fdp_done(&self->d, self->id, &fail));
			break;
		case END_DAEMON_DIES:
			ASSERT_EQ(0, tlsock_fdp_close_nl(&self->d));
			break;
		case END_SHUTDOWN:
			if (!ended)
				ASSERT_EQ(0, shutdown(self->app, SHUT_RDWR));
			break;
		}
		ASSERT_EQ(0, pthread_join(c.th, NULL));
		ASSERT_EQ(0, pthread_join(self->hs.th, NULL));
		self->hs.started = false;
		EXPECT_EQ(-1, self->hs.ret) TH_LOG("%s: the handshake succeeded", end_names[e]);
		if (end_errno[e]) {
			EXPECT_EQ(end_errno[e], self->hs.err) TH_LOG("%s", end_names[e]);
		}

		/* the call: an errno, or after its own shutdown the end of the stream */
		if (c.ret > 0) {
			TH_LOG("%s: the call returned %zd: \"%.*s\"", end_names[e], c.ret,
			       (int)c.ret, c.buf);
			EXPECT_LE(c.ret, 0);
		} else if (c.ret == 0) {
			EXPECT_EQ(END_SHUTDOWN, e) TH_LOG("%s: 0, end of stream", end_names[e]);
		} else if (end_errno[e]) {
			EXPECT_EQ(end_errno[e], c.err)
				TH_LOG("%s: errno %s", end_names[e], strerror(c.err));
		} else {
			EXPECT_NE(EAGAIN, c.err) TH_LOG("%s", end_names[e]);
		}
		/* nothing of a writer's in the clear on the wire */
		n = recv(self->peer, wire, sizeof(wire), MSG_DONTWAIT);
		if (n > 0) {
			EXPECT_EQ(NULL, memmem(wire, n, secret, 16))
				TH_LOG("%s: plaintext on the wire", end_names[e]);
		}
	}
}

#define GATE_END_TESTS(name, op)						\
TEST_F(gate, name##_handshake_ends) { call_ends(_metadata, self, op); }

GATE_END_TESTS(recv, OP_RECV)
GATE_END_TESTS(peek, OP_PEEK)
GATE_END_TESTS(waitall, OP_WAITALL)
GATE_END_TESTS(read, OP_READ)
GATE_END_TESTS(readv, OP_READV)
GATE_END_TESTS(recvmmsg, OP_RECVMMSG)
GATE_END_TESTS(splice, OP_SPLICE)
GATE_END_TESTS(sendfile, OP_SENDFILE)
GATE_END_TESTS(io_uring_recv, OP_URING_RECV)
GATE_END_TESTS(send, OP_SEND)
GATE_END_TESTS(splice_in, OP_SPLICE_IN)
GATE_END_TESTS(io_uring_send, OP_URING_SEND)

/* poll during the handshake: no readiness, whatever the peer writes */
TEST_F(gate, poll_hides_raw_bytes)
{
	struct pollfd p = { .fd = self->app, .events = POLLIN | POLLOUT };

	gate_claim(_metadata, self);
	ASSERT_EQ(sizeof(raw_bytes), write(self->peer, raw_bytes, sizeof(raw_bytes)));
	ASSERT_EQ(0, wait_inq(self->app, sizeof(raw_bytes)));
	ASSERT_EQ(0, poll(&p, 1, 0));
	gate_done(_metadata, variant, self);
	/* the raw bytes are no record: the stream fails, and says so */
	ASSERT_EQ(1, poll(&p, 1, 5000));
	EXPECT_EQ(-1, recv(self->app, self->rec, sizeof(self->rec), MSG_DONTWAIT));
	EXPECT_NE(EAGAIN, errno);
}

/* Readers blocked when the daemon dies get its errno, nothing else. */
TEST_F(gate, daemon_dies_under_reader)
{
	static struct call c;

	gate_claim(_metadata, self);
	ASSERT_EQ(0, call_start(&c, self->app, OP_RECV, sizeof(raw_bytes)));
	ASSERT_EQ(sizeof(raw_bytes), write(self->peer, raw_bytes, sizeof(raw_bytes)));
	ASSERT_EQ(0, wait_inq(self->app, sizeof(raw_bytes)));
	ASSERT_EQ(0, tlsock_fdp_close_nl(&self->d));
	ASSERT_EQ(0, pthread_join(c.th, NULL));
	EXPECT_EQ(-1, c.ret);
	EXPECT_EQ(EOWNERDEAD, c.err);
	ASSERT_EQ(0, pthread_join(self->hs.th, NULL));
	self->hs.started = false;
	EXPECT_EQ(EOWNERDEAD, self->hs.err);
}

/* A failed handshake: the blocked reader gets the daemon's errno, later calls too. */
TEST_F(gate, failure_reaches_reader)
{
	static struct call c;

	gate_claim(_metadata, self);
	ASSERT_EQ(0, call_start(&c, self->app, OP_RECV, sizeof(raw_bytes)));
	ASSERT_EQ(sizeof(raw_bytes), write(self->peer, raw_bytes, sizeof(raw_bytes)));
	gate_fail(_metadata, self, EKEYREJECTED, EKEYREJECTED);
	ASSERT_EQ(0, pthread_join(c.th, NULL));
	EXPECT_EQ(-1, c.ret);
	EXPECT_EQ(EKEYREJECTED, c.err);
	EXPECT_EQ(-1, recv(self->app, self->rec, sizeof(self->rec), MSG_DONTWAIT));
	EXPECT_EQ(EKEYREJECTED, errno);
	EXPECT_EQ(-1, send(self->app, secret, sizeof(secret), MSG_DONTWAIT));
	EXPECT_EQ(EKEYREJECTED, errno);
}

/* A plain reader already inside TCP when the handshake is asked for: refused. */
TEST_F(gate, request_refused_under_plain_reader)
{
	static struct call c;
	struct tlsock_handshake req = { .role = TLSOCK_ROLE_CLIENT, .timeout_ms = 5000 };

	ASSERT_EQ(0, call_start(&c, self->app, OP_RECV, sizeof(raw_bytes)));
	EXPECT_EQ(-1, setsockopt(self->app, SOL_TLSOCK, TLSOCK_HANDSHAKE, &req, sizeof(req)));
	EXPECT_EQ(EBUSY, errno);
	/* the plain connection is untouched: the reader gets what was sent in the clear */
	ASSERT_EQ(sizeof(raw_bytes), write(self->peer, raw_bytes, sizeof(raw_bytes)));
	ASSERT_EQ(0, pthread_join(c.th, NULL));
	EXPECT_EQ(sizeof(raw_bytes), c.ret);
}

/* SOL_TLS keys from the application: refused from the request to the end. */
TEST_F(gate, sol_tls_refused)
{
	union tlsock_ci ci;
	size_t len = tlsock_keys_info(&self->app_tx, &ci);
	socklen_t glen = sizeof(ci);

	gate_claim(_metadata, self);
	EXPECT_EQ(-1, setsockopt(self->app, SOL_TLS, TLS_TX, &ci, len));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(-1, setsockopt(self->app, SOL_TLS, TLS_RX, &ci, len));
	EXPECT_EQ(EBUSY, errno);
	/* nor the daemon's descriptor: the keys travel in DONE */
	EXPECT_EQ(-EBUSY, tlsock_fdp_setsockopt(&self->d, SOL_TLS, TLS_RX, &ci, len));
	gate_done(_metadata, variant, self);
	EXPECT_EQ(-1, setsockopt(self->app, SOL_TLS, TLS_TX, &ci, len));
	EXPECT_EQ(EBUSY, errno);
	/* and the session's keys are not shown to the application */
	EXPECT_EQ(-1, getsockopt(self->app, SOL_TLS, TLS_TX, &ci, &glen));
	EXPECT_EQ(EPERM, errno);
	/* the session still works with the keys DONE gave */
	peer_send_record(_metadata, self, secret, sizeof(secret));
	ASSERT_EQ(sizeof(secret), recv(self->app, self->rec, sizeof(self->rec), 0));
	EXPECT_EQ(0, memcmp(self->rec, secret, sizeof(secret)));
}

/* DONE with a kernel-internal errno (ERESTARTSYS, EIOCBQUEUED) is refused (policy: ERANGE). */
TEST_F(gate, done_internal_errno_refused)
{
	static const uint32_t bad[] = { 512, 529, 4095, 70000 };
	struct tlsock_fd_done done = { 0 };
	struct tlsock_info info;
	socklen_t ilen = sizeof(info);
	size_t i;

	gate_claim(_metadata, self);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		done.status = bad[i];
		EXPECT_EQ(-ERANGE, tlsock_fdp_done(&self->d, self->id, &done))
			TH_LOG("status %u", bad[i]);
	}
	/* the request is still the daemon's to finish */
	ASSERT_EQ(0, getsockopt(self->app, SOL_TLSOCK, TLSOCK_INFO, &info, &ilen));
	EXPECT_EQ(TLSOCK_STATE_PENDING, info.state);
	gate_fail(_metadata, self, EPROTO, EPROTO);
}

/* TLS 1.3 secrets must be as long as the suite's hash; TLS 1.2 has none. */
TEST_F(gate, done_secret_length_checked)
{
	struct tlsock_fd_done done;

	gate_claim(_metadata, self);
	gate_done_msg(variant, self, &done);
	done.secret_len = variant->secret_len == 32 ? 48 : 32;
	EXPECT_EQ(-EINVAL, tlsock_fdp_done(&self->d, self->id, &done));
	ASSERT_EQ(0, pthread_join(self->hs.th, NULL));
	self->hs.started = false;
	EXPECT_EQ(-1, self->hs.ret);
	EXPECT_EQ(EIO, self->hs.err);
	EXPECT_EQ(-1, recv(self->app, self->rec, sizeof(self->rec), MSG_DONTWAIT));
}

/* TCP_ZEROCOPY_RECEIVE would map TCP's raw queue: refused, and so is mmap. */
TEST_F(gate, zerocopy_receive_refused)
{
	struct tcp_zerocopy_receive zc = { 0 };
	socklen_t zlen = sizeof(zc);
	void *map;

	map = mmap(NULL, 65536, PROT_READ, MAP_SHARED, self->app, 0);
	EXPECT_EQ(MAP_FAILED, map);
	if (map != MAP_FAILED)
		munmap(map, 65536);
	EXPECT_EQ(-1, getsockopt(self->app, IPPROTO_TCP, TCP_ZEROCOPY_RECEIVE, &zc, &zlen));
	EXPECT_EQ(EOPNOTSUPP, errno);
}

/* An urgent byte mid-stream (MSG_OOB): the stream fails, it does not hang. */
TEST_F(gate, urgent_byte_fails_stream)
{
	struct pollfd p = { .fd = self->app, .events = POLLIN };

	gate_claim(_metadata, self);
	gate_done(_metadata, variant, self);
	ASSERT_EQ(0, tlsock_set_timeouts(self->app, 3));
	peer_send_record(_metadata, self, secret, sizeof(secret));
	ASSERT_EQ(1, send(self->peer, "!", 1, MSG_OOB));
	peer_send_record(_metadata, self, secret, sizeof(secret));
	ASSERT_EQ(sizeof(secret), recv(self->app, self->rec, sizeof(self->rec), 0));
	/* the next record lies behind the urgent byte */
	ASSERT_EQ(1, poll(&p, 1, 3000));
	EXPECT_EQ(-1, recv(self->app, self->rec, sizeof(self->rec), 0));
	EXPECT_EQ(EPROTO, errno);
}

struct writer {
	pthread_t th;
	FIXTURE_DATA(gate) *self;
	int records;
	int err;
};

static void *write_records(void *arg)
{
	struct writer *w = arg;
	struct tlsock_rec_spec spec = { .type = TLSOCK_CT_DATA };
	static uint8_t plain[TLSOCK_MAX_PAYLOAD], rec[TLSOCK_REC_BUF];
	int i;

	for (i = 0; i < w->records; i++) {
		ssize_t n;

		tlsock_pat_fill(7, (uint64_t)i * sizeof(plain), plain, sizeof(plain));
		n = tlsock_urec_seal(&w->self->to_app, &spec, plain, sizeof(plain), rec,
				     sizeof(rec));
		if (n < 0 || tlsock_write_all(w->self->peer, rec, n) != n) {
			w->err = EIO;
			break;
		}
	}
	return NULL;
}

/* MSG_PEEK far past the first record holds no more than the receive buffer. */
TEST_F(gate, peek_memory_bounded)
{
	const int records = 96;
	const size_t total = (size_t)records * TLSOCK_MAX_PAYLOAD;
	int rcvbuf = 65536, eff;
	socklen_t elen = sizeof(eff);
	struct writer w = { .self = self, .records = records };
	uint8_t *buf = malloc(total);
	size_t got = 0;
	ssize_t n;

	ASSERT_NE(NULL, buf);
	gate_claim(_metadata, self);
	gate_done(_metadata, variant, self);
	ASSERT_EQ(0, setsockopt(self->app, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)));
	ASSERT_EQ(0, getsockopt(self->app, SOL_SOCKET, SO_RCVBUF, &eff, &elen));
	ASSERT_EQ(0, pthread_create(&w.th, NULL, write_records, &w));

	n = recv(self->app, buf, total, MSG_PEEK | MSG_WAITALL);
	ASSERT_GT(n, 0) TH_LOG("peek: %s", strerror(errno));
	/* the receive buffer, one record being assembled and one in hand */
	EXPECT_LE((size_t)n, (size_t)eff + 2 * TLSOCK_REC_BUF)
		TH_LOG("a peek held %zd bytes with SO_RCVBUF %d", n, eff);

	/* nothing was lost: every byte arrives in order */
	while (got < total) {
		n = recv(self->app, buf + got, total - got, 0);
		ASSERT_GT(n, 0) TH_LOG("after %zu: %s", got, strerror(errno));
		got += n;
	}
	ASSERT_EQ(0, pthread_join(w.th, NULL));
	EXPECT_EQ(0, w.err);
	EXPECT_EQ(-1, tlsock_pat_check(7, 0, buf, total));
	free(buf);
}

/* TCP's memory in pages (the "mem" of /proc/net/sockstat's TCP line); -1 if unreadable. */
static long tcp_mem_pages(void)
{
	char line[256];
	long pages = -1;
	FILE *f = fopen("/proc/net/sockstat", "r");

	while (f && fgets(line, sizeof(line), f)) {
		char *m = strstr(line, " mem ");

		if (!strncmp(line, "TCP:", 4) && m)
			pages = atol(m + 5);
	}
	if (f)
		fclose(f);
	return pages;
}

/*
 * What a peek holds is charged to the socket like TCP's own receive queue
 * (which it left): TCP's memory counter shows it while it is held and drops
 * again once it is read.  The counter is batched per CPU (up to 256 pages
 * each), so the peek holds far more than that: 8 MiB.
 */
TEST_F(gate, peek_memory_charged)
{
	const int records = 512;
	const size_t total = (size_t)records * TLSOCK_MAX_PAYLOAD;
	const long held_pages = total / 4096;
	int rcvbuf = 2 * total;
	struct writer w = { .self = self, .records = records };
	uint8_t *buf = malloc(total);
	long before, peeked, after;
	size_t got = 0;
	ssize_t n;

	ASSERT_NE(NULL, buf);
	gate_claim(_metadata, self);
	gate_done(_metadata, variant, self);
	ASSERT_EQ(0, setsockopt(self->app, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)));
	before = tcp_mem_pages();
	ASSERT_LE(0, before);
	ASSERT_EQ(0, pthread_create(&w.th, NULL, write_records, &w));

	n = recv(self->app, buf, total, MSG_PEEK | MSG_WAITALL);
	ASSERT_EQ((ssize_t)total, n) TH_LOG("peek: %s", strerror(errno));
	ASSERT_EQ(0, pthread_join(w.th, NULL));
	EXPECT_EQ(0, w.err);
	peeked = tcp_mem_pages();
	EXPECT_GE(peeked - before, held_pages / 2)
		TH_LOG("a peek holding %ld pages raised TCP's memory by %ld pages", held_pages,
		       peeked - before);

	while (got < total) {
		n = recv(self->app, buf + got, total - got, 0);
		ASSERT_GT(n, 0) TH_LOG("after %zu: %s", got, strerror(errno));
		got += n;
	}
	EXPECT_EQ(-1, tlsock_pat_check(7, 0, buf, total));
	after = tcp_mem_pages();
	EXPECT_LT(after - before, held_pages / 2)
		TH_LOG("%ld pages still charged after the held records were read",
		       after - before);
	free(buf);
}

TEST_HARNESS_MAIN
