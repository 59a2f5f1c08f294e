// SPDX-License-Identifier: GPL-2.0
/*
 * sess_peer: one end of a managed TLS session test.  The handshake is done
 * by tlsockd (setsockopt TLSOCK_HANDSHAKE); afterwards the kernel alone runs
 * the session (KeyUpdate, alerts, close_notify), which is what is tested.
 *
 *   sess_peer client|server -p PORT [options]
 *
 * After the handshake the peer streams in both directions at once
 * (non-blocking socket, poll): it sends FILE and stores what arrives.
 *
 *   -P PROFILE  tlsockd profile         -n NAME   server name (client)
 *   -r FILE     server: create FILE once listening
 *   -s FILE     send the contents of FILE
 *   -o FILE     write what arrives to FILE
 *   -b BYTES    stop reading after BYTES arrived (default: read to the end)
 *   -e          echo: send back what arrives (instead of -s)
 *   -c CHUNK    bytes per send() (default 16384)
 *   -1          send FILE with one blocking send() before reading
 *   -x ENDS     expect the stream to end in one of these ways (comma-separated):
 *               "eof" (close_notify or FIN) or an errno name (ECONNRESET...);
 *               default: BYTES arrive
 *   -i          print the negotiated version
 *   -T SECS     give up after SECS without progress (default 120)
 *
 * It prints "sent N", "received N" and "end: eof|ERRNO|done".  Exit status 0
 * when the session went as expected.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/tls.h>
#include <linux/tlsock.h>

struct opts {
	bool server;
	int port;
	const char *profile;
	const char *name;
	const char *ready;
	const char *send_file;
	const char *out_file;
	long long want;		/* -1: to the end */
	bool echo;
	size_t chunk;
	bool one_send;
	const char *end;
	bool info;
	int idle_secs;
};

struct buf {
	unsigned char *data;
	size_t len, off, cap;
};

static const char *errname(int err)
{
	switch (err) {
	case ECONNRESET: return "ECONNRESET";
	case EPROTO: return "EPROTO";
	case EBADMSG: return "EBADMSG";
	case EPIPE: return "EPIPE";
	case EIO: return "EIO";
	case EKEYEXPIRED: return "EKEYEXPIRED";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EMSGSIZE: return "EMSGSIZE";
	case ENOTCONN: return "ENOTCONN";
	default: return strerror(err);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: sess_peer client|server -p PORT [-P PROFILE] [-n NAME] [-r FILE] "
			"[-s FILE] [-o FILE] [-b BYTES] [-e] [-c CHUNK] [-1] [-x END] [-i] "
			"[-T SECS]\n");
	exit(2);
}

static int load(const char *path, struct buf *b)
{
	struct stat st;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st))
		return -errno;
	b->cap = st.st_size;
	b->data = malloc(b->cap ? b->cap : 1);
	if (!b->data) {
		close(fd);
		return -ENOMEM;
	}
	while (b->len < b->cap) {
		r = read(fd, b->data + b->len, b->cap - b->len);
		if (r <= 0)
			break;
		b->len += r;
	}
	close(fd);
	return b->len == b->cap ? 0 : -EIO;
}

static int grow(struct buf *b, size_t more)
{
	unsigned char *p;

	if (b->len + more <= b->cap)
		return 0;
	b->cap = (b->len + more) * 2;
	p = realloc(b->data, b->cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	return 0;
}

static int endpoint(const struct opts *o)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(o->port) };
	int fd, lfd, one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -errno;
	if (!o->server) {
		if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
			close(fd);
			return -errno;
		}
		return fd;
	}
	lfd = fd;
	if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 4)) {
		close(lfd);
		return -errno;
	}
	if (o->ready)
		close(open(o->ready, O_WRONLY | O_CREAT, 0644));
	fd = accept(lfd, NULL, NULL);
	close(lfd);
	return fd < 0 ? -errno : fd;
}

static int handshake(const struct opts *o, int fd)
{
	struct tlsock_handshake req;

	if (setsockopt(fd, SOL_TCP, TCP_ULP, "tlsock", sizeof("tlsock")))
		return -errno;
	memset(&req, 0, sizeof(req));
	req.role = o->server ? TLSOCK_ROLE_SERVER : TLSOCK_ROLE_CLIENT;
	req.timeout_ms = 60000;
	snprintf(req.profile, sizeof(req.profile), "%s", o->profile);
	snprintf(req.server_name, sizeof(req.server_name), "%s", o->name);
	if (setsockopt(fd, SOL_TLSOCK, TLSOCK_HANDSHAKE, &req, sizeof(req)))
		return -errno;
	if (o->info) {
		struct tlsock_info info;
		socklen_t len = sizeof(info);

		memset(&info, 0, sizeof(info));
		if (getsockopt(fd, SOL_TLSOCK, TLSOCK_INFO, &info, &len))
			return -errno;
		printf("version %s\n", info.version == TLS_1_3_VERSION ? "1.3" :
		       info.version == TLS_1_2_VERSION ? "1.2" : "none");
	}
	return 0;
}

/* Both directions at once; returns 0, or the errno the stream ended with. */
static int stream(const struct opts *o, int fd, struct buf *tx, struct buf *rx)
{
	bool rx_done = o->want == 0, eof = false;
	int err = 0;

	if (o->one_send && tx->len) {
		ssize_t r = send(fd, tx->data, tx->len, MSG_NOSIGNAL);

		if (r < 0)
			return errno;
		tx->off = r;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	for (;;) {
		bool tx_left = tx->off < tx->len;
		struct pollfd p = { .fd = fd };
		ssize_t r;

		if (rx_done && (!tx_left || err))
			break;
		if (!rx_done)
			p.events |= POLLIN;
		if (tx_left)
			p.events |= POLLOUT;
		r = poll(&p, 1, o->idle_secs * 1000);
		if (r == 0)
			return ETIMEDOUT;
		if (r < 0)
			return errno;
		if (!rx_done && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
			if (grow(rx, 65536))
				return ENOMEM;
			r = recv(fd, rx->data + rx->len, rx->cap - rx->len, 0);
			if (r > 0) {
				rx->len += r;
				if (o->echo) {
					if (grow(tx, r))
						return ENOMEM;
					memcpy(tx->data + tx->len, rx->data + rx->len - r, r);
					tx->len += r;
				}
				if (o->want >= 0 && (long long)rx->len >= o->want)
					rx_done = true;
			} else if (r == 0) {
				eof = true;
				rx_done = true;
			} else if (errno != EAGAIN) {
				err = errno;
				rx_done = true;
			}
		}
		if (tx->off < tx->len && (p.revents & POLLOUT)) {
			size_t n = tx->len - tx->off;

			r = send(fd, tx->data + tx->off, n < o->chunk ? n : o->chunk, MSG_NOSIGNAL);
			if (r > 0)
				tx->off += r;
			else if (r < 0 && errno != EAGAIN)
				return errno;
		}
	}
	if (err)
		return err;
	return eof ? -1 : 0;
}

/* Is @word one of the comma-separated words of @list? */
static bool one_of(const char *word, const char *list)
{
	size_t len = strlen(word);

	while (*list) {
		if (!strncmp(list, word, len) && (list[len] == ',' || !list[len]))
			return true;
		list = strchrnul(list, ',');
		if (*list)
			list++;
	}
	return false;
}

int main(int argc, char **argv)
{
	struct opts o = { .profile = "", .name = "", .want = -1, .chunk = 16384,
			  .idle_secs = 120 };
	struct buf tx = { 0 }, rx = { 0 };
	const char *end;
	int fd, opt, rc = 1, err;

	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "server"))
		o.server = true;
	else if (strcmp(argv[1], "client"))
		usage();
	optind = 2;
	while ((opt = getopt(argc, argv, "p:P:n:r:s:o:b:ec:1x:iT:")) != -1) {
		switch (opt) {
		case 'p': o.port = atoi(optarg); break;
		case 'P': o.profile = optarg; break;
		case 'n': o.name = optarg; break;
		case 'r': o.ready = optarg; break;
		case 's': o.send_file = optarg; break;
		case 'o': o.out_file = optarg; break;
		case 'b': o.want = strtoll(optarg, NULL, 0); break;
		case 'e': o.echo = true; break;
		case 'c': o.chunk = strtoul(optarg, NULL, 0); break;
		case '1': o.one_send = true; break;
		case 'x': o.end = optarg; break;
		case 'i': o.info = true; break;
		case 'T': o.idle_secs = atoi(optarg); break;
		default: usage();
		}
	}
	if (!o.port || !o.chunk)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (o.send_file && (err = load(o.send_file, &tx))) {
		fprintf(stderr, "%s: %s\n", o.send_file, strerror(-err));
		return 1;
	}
	fd = endpoint(&o);
	if (fd < 0) {
		fprintf(stderr, "%s: %s\n", o.server ? "listen/accept" : "connect", strerror(-fd));
		goto out;
	}
	err = handshake(&o, fd);
	if (err) {
		fprintf(stderr, "handshake: %s\n", errname(-err));
		close(fd);
		goto out;
	}
	printf("handshake ok\n");
	err = stream(&o, fd, &tx, &rx);
	end = err < 0 ? "eof" : err ? errname(err) : "done";
	printf("sent %zu\nreceived %zu\nend: %s\n", tx.off, rx.len, end);
	if (o.out_file) {
		FILE *f = fopen(o.out_file, "w");

		if (!f || fwrite(rx.data, 1, rx.len, f) != rx.len || fclose(f)) {
			fprintf(stderr, "%s: cannot write\n", o.out_file);
			close(fd);
			goto out;
		}
	}
	/* close() sends close_notify */
	close(fd);
	if (o.end)
		rc = one_of(end, o.end) ? 0 : 1;
	else
		rc = err > 0 || (o.want >= 0 && (long long)rx.len != o.want) ? 1 : 0;
	if (tx.off != tx.len && !o.end)
		rc = 1;
	if (rc)
		fprintf(stderr, "unexpected end: %s (wanted %s)\n", end, o.end ? o.end : "done");
out:
	free(tx.data);
	free(rx.data);
	return rc;
}
