// SPDX-License-Identifier: GPL-2.0
/*
 * hs_peer: one end of a managed-handshake test.  It links no TLS library:
 * TLS is one setsockopt(SOL_TLSOCK, TLSOCK_HANDSHAKE) away.
 *
 *   hs_peer server -p PORT [options]    accept one connection, handshake
 *   hs_peer client -p PORT [options]    connect, handshake
 *   hs_peer sink -p PORT [-r FILE]      plain TCP: accept one connection and
 *                                       report what arrived (never answers)
 *
 * Options:
 *   -P PROFILE   profile ("" = default)        -n NAME    server name
 *   -t MS        handshake timeout             -N         non-blocking socket
 *   -b BYTES     data to exchange after the handshake (client sends, server
 *                checks and sends back, client checks; default 65536)
 *   -e ERRNOS    expect the handshake to fail with one of ERRNOS (names,
 *                comma-separated: ECONNREFUSED,ECONNRESET), or "fail": any error
 *   -E           client: the server echoes (gnutls-serv --echo): send text lines
 *                (BYTES a multiple of 64) and expect them back
 *   -F           expect the handshake to succeed and the data exchange to fail
 *   -X ERRNOS    with -F: the exchange must fail with one of these errnos
 *                (TLS 1.3: a server rejects the client after the client's
 *                handshake is complete).  A client whose write fails with
 *                ECONNRESET or EPIPE (the server's reset came first) still
 *                reads, and the read's errno is the exchange's
 *   -r FILE      server/sink: create FILE once listening
 *   -D FILE      server: create FILE once the connection is closed
 *   -i           print TLSOCK_INFO
 *   -g           check the gate: before the handshake finishes, a
 *                non-blocking recv/send must fail with EAGAIN (needs -N)
 *   -c           close the socket right after starting a non-blocking handshake
 *   -k N         client: open N connections with non-blocking handshakes,
 *                report each outcome, keep them open until stdin closes
 *   -x SECRET    sink: fail if SECRET shows up in what arrived
 *   -W FILE      after the handshake, wait until FILE exists before the data
 *                exchange (the daemon can be restarted meanwhile)
 *
 * Exit status: 0 when the outcome is the expected one, 1 otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/tls.h>
#include <linux/tlsock.h>

struct opts {
	const char *mode;
	int port;
	const char *profile;
	const char *name;
	unsigned int timeout_ms;
	bool nonblock;
	size_t bytes;
	const char *expect;	/* NULL: success */
	bool exchange_fails;
	const char *exchange_expect;
	bool echo;
	const char *ready;
	bool info;
	bool gate;
	bool close_early;
	int many;
	const char *secret;
	const char *wait_file;
	const char *done_file;
};

static const struct {
	const char *name;
	int err;
} errnames[] = {
	{ "ESRCH", ESRCH }, { "EBUSY", EBUSY }, { "ETIMEDOUT", ETIMEDOUT },
	{ "EOWNERDEAD", EOWNERDEAD }, { "ENOTCONN", ENOTCONN }, { "EISCONN", EISCONN },
	{ "EKEYREJECTED", EKEYREJECTED }, { "EKEYEXPIRED", EKEYEXPIRED },
	{ "EKEYREVOKED", EKEYREVOKED }, { "ENXIO", ENXIO }, { "ENOKEY", ENOKEY },
	{ "EPROTONOSUPPORT", EPROTONOSUPPORT }, { "ECONNREFUSED", ECONNREFUSED },
	{ "ECONNRESET", ECONNRESET }, { "EPROTO", EPROTO }, { "EBADMSG", EBADMSG },
	{ "ENOENT", ENOENT }, { "EIO", EIO }, { "EINVAL", EINVAL }, { "E2BIG", E2BIG },
	{ "EALREADY", EALREADY }, { "EINPROGRESS", EINPROGRESS }, { "EAGAIN", EAGAIN },
	{ "ECANCELED", ECANCELED }, { "EPIPE", EPIPE },
};

static const char *errname(int err)
{
	size_t i;

	for (i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].err == err)
			return errnames[i].name;
	return err ? strerror(err) : "0";
}

/* Is @err one of the comma-separated names in @list ("fail": any error)? */
static bool expected(const char *list, int err)
{
	char buf[256], *tok, *save;

	if (!list)
		return !err;
	if (!strcmp(list, "fail"))
		return err;
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (err && !strcmp(tok, errname(err)))
			return true;
	return false;
}

static void usage(void)
{
	fprintf(stderr, "usage: hs_peer server|client|sink -p PORT [-P PROFILE] [-n NAME] "
			"[-t MS] [-N] [-b BYTES] [-e ERRNOS] [-F] [-X ERRNOS] [-E] [-r FILE] "
			"[-D FILE] [-i] [-g] [-c] [-k N] [-x SECRET] [-W FILE]\n");
	exit(2);
}

static int listen_on(const struct opts *o)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(o->port) };
	int fd, one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 64))
		return -errno;
	if (o->ready) {
		FILE *f = fopen(o->ready, "w");

		if (f)
			fclose(f);
	}
	return fd;
}

static int connect_to(const struct opts *o)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(o->port) };
	int fd;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -errno;
	}
	return fd;
}

static void fill_req(const struct opts *o, struct tlsock_handshake *req, bool server)
{
	memset(req, 0, sizeof(*req));
	req->role = server ? TLSOCK_ROLE_SERVER : TLSOCK_ROLE_CLIENT;
	req->timeout_ms = o->timeout_ms;
	snprintf(req->profile, sizeof(req->profile), "%s", o->profile);
	snprintf(req->server_name, sizeof(req->server_name), "%s", o->name);
}

/* Check that the application's I/O is held back while the handshake runs. */
static int check_gate(int fd)
{
	char c = 'x';

	if (recv(fd, &c, 1, MSG_DONTWAIT) != -1 || errno != EAGAIN) {
		fprintf(stderr, "gate: recv during the handshake did not fail with EAGAIN (%s)\n",
			errname(errno));
		return -1;
	}
	if (send(fd, "plaintext!", 10, MSG_DONTWAIT) != -1 || errno != EAGAIN) {
		fprintf(stderr, "gate: send during the handshake did not fail with EAGAIN (%s)\n",
			errname(errno));
		return -1;
	}
	return 0;
}

/* Start the handshake; returns 0 or a positive errno. */
static int handshake(const struct opts *o, int fd, bool server)
{
	struct tlsock_handshake req;
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0;

	if (setsockopt(fd, SOL_TCP, TCP_ULP, "tlsock", sizeof("tlsock")))
		return errno;
	fill_req(o, &req, server);
	if (o->nonblock)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (!setsockopt(fd, SOL_TLSOCK, TLSOCK_HANDSHAKE, &req, sizeof(req)))
		return 0;
	if (errno != EINPROGRESS || !o->nonblock)
		return errno;

	if (o->gate && check_gate(fd))
		return EIO;
	if (o->close_early)
		return EINPROGRESS;
	if (poll(&pfd, 1, 60000) != 1)
		return ETIME;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return errno;
	if (!err && !(pfd.revents & POLLOUT))
		return EIO;	/* neither writable nor failed */
	return err;
}

/*
 * A buffer that ends before the identity strings gets exactly that much,
 * the same as the first bytes of a whole read.
 */
static void print_info_head(int fd, const struct tlsock_info *whole)
{
	const socklen_t head = offsetof(struct tlsock_info, peer_subject);
	struct tlsock_info info;
	socklen_t len = head;

	memset(&info, 0xa5, sizeof(info));
	if (getsockopt(fd, SOL_TLSOCK, TLSOCK_INFO, &info, &len)) {
		printf("info-head: getsockopt: %s\n", errname(errno));
		return;
	}
	/* the handshake duration is the only field that may not be read twice alike */
	info.handshake_usec = whole->handshake_usec;
	printf("info-head: len=%s fields=%s rest=%s\n", len == head ? "ok" : "wrong",
	       memcmp(&info, whole, head) ? "differ" : "same",
	       info.peer_subject[0] == (char)0xa5 ? "untouched" : "written");
}

static void print_info(int fd)
{
	struct tlsock_info info;
	socklen_t len = sizeof(info);
	const char *san;

	memset(&info, 0, sizeof(info));
	if (getsockopt(fd, SOL_TLSOCK, TLSOCK_INFO, &info, &len)) {
		printf("info: getsockopt: %s\n", errname(errno));
		return;
	}
	printf("info: state=%u error=%s version=%s cipher=%u verified=%d resumed=%d "
	       "usec=%llu subject=\"%s\"", info.state, errname(info.error),
	       info.version == TLS_1_3_VERSION ? "1.3" : info.version == TLS_1_2_VERSION ?
	       "1.2" : "none", info.cipher, !!(info.flags & TLSOCK_INFO_F_PEER_VERIFIED),
	       !!(info.flags & TLSOCK_INFO_F_RESUMED), (unsigned long long)info.handshake_usec,
	       info.peer_subject);
	for (san = info.peer_san; *san && san < info.peer_san + sizeof(info.peer_san);
	     san += strlen(san) + 1)
		printf(" san=\"%s\"", san);
	printf("\n");
	print_info_head(fd, &info);
}

/* gnutls-serv --echo works on text lines: printable bytes, a newline every 64 */
static bool text_pattern;

static unsigned char pattern(size_t i, bool server)
{
	if (text_pattern)
		return i % 64 == 63 ? '\n' : 'a' + (i * 7 + (i >> 6)) % 26;
	return (unsigned char)((i * 7 + (server ? 3 : 11)) ^ (i >> 9));
}

static int send_all(int fd, size_t n, bool server)
{
	unsigned char buf[16384];
	size_t done = 0, i, chunk;
	ssize_t r;

	while (done < n) {
		chunk = n - done < sizeof(buf) ? n - done : sizeof(buf);
		for (i = 0; i < chunk; i++)
			buf[i] = pattern(done + i, server);
		r = send(fd, buf, chunk, 0);
		if (r < 0) {
			if (errno == EAGAIN) {
				struct pollfd p = { .fd = fd, .events = POLLOUT };

				poll(&p, 1, 1000);
				continue;
			}
			return -errno;
		}
		done += r;
	}
	return 0;
}

static int recv_all(int fd, size_t n, bool server)
{
	unsigned char buf[16384];
	size_t done = 0, i;
	ssize_t r;

	while (done < n) {
		r = recv(fd, buf, n - done < sizeof(buf) ? n - done : sizeof(buf), 0);
		if (r < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			poll(&p, 1, 1000);
			continue;
		}
		if (r <= 0)
			return r ? -errno : -EPIPE;
		for (i = 0; i < (size_t)r; i++) {
			if (buf[i] != pattern(done + i, server)) {
				fprintf(stderr, "data mismatch at byte %zu\n", done + i);
				return -EBADMSG;
			}
		}
		done += r;
	}
	return 0;
}

/* Data both ways after the handshake, checked end to end. */
static int exchange(const struct opts *o, int fd, bool server)
{
	int err;

	if (server) {
		err = recv_all(fd, o->bytes, false);
		if (!err)
			err = send_all(fd, o->bytes, true);
	} else {
		err = send_all(fd, o->bytes, false);
		if (o->exchange_fails && (err == -ECONNRESET || err == -EPIPE)) {
			/* the reset only ends the connection; why it ended is in the stream */
			fprintf(stderr, "exchange: write %s, then read\n", errname(-err));
			err = 0;
		}
		if (!err)
			err = recv_all(fd, o->bytes, !o->echo);
	}
	if (err)
		fprintf(stderr, "exchange: %s\n", errname(-err));
	return err;
}

/* Handshake outcome against the expectation; then data, then info. */
static int run_peer(const struct opts *o, int fd, bool server)
{
	int err = handshake(o, fd, server);

	printf("%s: handshake %s\n", server ? "server" : "client", err ? errname(err) : "ok");
	if (o->info)
		print_info(fd);
	if (o->close_early)
		return err == EINPROGRESS ? 0 : 1;
	if (!expected(o->expect, err)) {
		fprintf(stderr, "%s: expected %s, got %s\n", server ? "server" : "client",
			o->expect ? o->expect : "success", errname(err));
		return 1;
	}
	if (err) {
		/* a failed handshake keeps failing: never plaintext */
		if (send(fd, o->secret ? o->secret : "plaintext", 9, MSG_DONTWAIT) >= 0) {
			fprintf(stderr, "send after a failed handshake succeeded\n");
			return 1;
		}
		return 0;
	}
	if (o->wait_file) {
		while (access(o->wait_file, F_OK))
			usleep(20000);
	}
	if (o->exchange_fails) {
		err = exchange(o, fd, server);
		if (!err) {
			fprintf(stderr, "the data exchange should have failed\n");
			return 1;
		}
		if (o->exchange_expect && !expected(o->exchange_expect, -err)) {
			fprintf(stderr, "the data exchange failed with %s, expected %s\n",
				errname(-err), o->exchange_expect);
			return 1;
		}
		return 0;
	}
	return exchange(o, fd, server) ? 1 : 0;
}

static int run_server(const struct opts *o)
{
	int lfd, fd, rc;

	lfd = listen_on(o);
	if (lfd < 0) {
		fprintf(stderr, "listen: %s\n", strerror(-lfd));
		return 1;
	}
	fd = accept(lfd, NULL, NULL);
	close(lfd);
	if (fd < 0)
		return 1;
	rc = run_peer(o, fd, true);
	close(fd);
	if (o->done_file) {
		int dfd = open(o->done_file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

		if (dfd < 0)
			return 1;
		close(dfd);
	}
	return rc;
}

static int run_client(const struct opts *o)
{
	int fd, rc;

	fd = connect_to(o);
	if (fd < 0) {
		fprintf(stderr, "connect: %s\n", strerror(-fd));
		return 1;
	}
	rc = run_peer(o, fd, false);
	close(fd);
	return rc;
}

/* -k N: N non-blocking handshakes at once; outcome of each, then wait. */
static int run_many(const struct opts *o)
{
	struct tlsock_handshake req;
	int i, fds[256], rc = 0;
	char c;

	fill_req(o, &req, false);
	for (i = 0; i < o->many && i < 256; i++) {
		fds[i] = connect_to(o);
		if (fds[i] < 0 ||
		    setsockopt(fds[i], SOL_TCP, TCP_ULP, "tlsock", sizeof("tlsock"))) {
			fprintf(stderr, "connection %d: %s\n", i, strerror(errno));
			return 1;
		}
		fcntl(fds[i], F_SETFL, O_NONBLOCK);
		if (setsockopt(fds[i], SOL_TLSOCK, TLSOCK_HANDSHAKE, &req, sizeof(req)))
			printf("conn %d: %s\n", i, errname(errno));
		else
			printf("conn %d: ok\n", i);
	}
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	while (i--)
		close(fds[i]);
	return rc;
}

/* Plain TCP server that never answers: report what arrived. */
static int run_sink(const struct opts *o)
{
	unsigned char buf[65536];
	size_t have = 0;
	int lfd, fd;
	ssize_t r;

	lfd = listen_on(o);
	if (lfd < 0)
		return 1;
	/* the listener stays open: more connections wait in its backlog */
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return 1;
	while (have < sizeof(buf) && (r = recv(fd, buf + have, sizeof(buf) - have, 0)) > 0)
		have += r;
	close(fd);
	close(lfd);
	printf("sink: %zu bytes, first %02x %02x\n", have, have ? buf[0] : 0,
	       have > 1 ? buf[1] : 0);
	if (have && buf[0] != 0x16) {
		fprintf(stderr, "sink: the first byte is not a TLS handshake record\n");
		return 1;
	}
	if (o->secret && memmem(buf, have, o->secret, strlen(o->secret))) {
		fprintf(stderr, "sink: plaintext \"%s\" crossed the wire\n", o->secret);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .profile = "", .name = "", .bytes = 65536 };
	int opt;

	if (argc < 2)
		usage();
	o.mode = argv[1];
	optind = 2;
	while ((opt = getopt(argc, argv, "p:P:n:t:Nb:e:FX:Er:igck:x:W:D:")) != -1) {
		switch (opt) {
		case 'p': o.port = atoi(optarg); break;
		case 'P': o.profile = optarg; break;
		case 'n': o.name = optarg; break;
		case 't': o.timeout_ms = atoi(optarg); break;
		case 'N': o.nonblock = true; break;
		case 'b': o.bytes = strtoul(optarg, NULL, 0); break;
		case 'e': o.expect = optarg; break;
		case 'F': o.exchange_fails = true; break;
		case 'X': o.exchange_expect = optarg; break;
		case 'E': o.echo = true; break;
		case 'r': o.ready = optarg; break;
		case 'i': o.info = true; break;
		case 'g': o.gate = true; break;
		case 'c': o.close_early = true; break;
		case 'k': o.many = atoi(optarg); break;
		case 'x': o.secret = optarg; break;
		case 'W': o.wait_file = optarg; break;
		case 'D': o.done_file = optarg; break;
		default: usage();
		}
	}
	if (!o.port)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	text_pattern = o.echo;
	if (!strcmp(o.mode, "server"))
		return run_server(&o);
	if (!strcmp(o.mode, "client"))
		return o.many ? run_many(&o) : run_client(&o);
	if (!strcmp(o.mode, "sink"))
		return run_sink(&o);
	usage();
	return 2;
}
