// SPDX-License-Identifier: GPL-2.0
/*
 * ktls_peer: TLS client or server whose handshake runs in userspace (GnuTLS) and whose record
 * layer then runs in the kernel (TCP ULP "tlsock", or mainline kTLS "tls" for reference).
 *
 *   ktls_peer client -p PORT [options]     connect, exchange the patterns, close
 *   ktls_peer server -p PORT [options]     accept one connection, same
 *   ktls_peer gen SIZE SEED [text]         write SIZE bytes of pattern SEED to stdout
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <linux/tls.h>

#include "peer.h"

#define MAX_LEN (256UL << 20)

static void usage(FILE *f)
{
	char ciphers[128];

	tlsock_cipher_list(ciphers, sizeof(ciphers));
	fprintf(f,
		"usage: ktls_peer client|server -p PORT [options]\n"
		"       ktls_peer gen SIZE SEED [text]\n"
		"  -H, --host ADDR        connect to / listen on ADDR (127.0.0.1)\n"
		"  -p, --port PORT        TCP port\n"
		"  -u, --ulp NAME         tlsock (default), tls, or none (GnuTLS record layer)\n"
		"  -V, --tls VER          1.2 or 1.3 (1.3)\n"
		"  -c, --cipher NAME      %s\n"
		"      --ca FILE          client: trust anchors (PEM)\n"
		"      --name NAME        client: server name to send and verify (localhost)\n"
		"      --cert FILE        server: certificate (PEM)\n"
		"      --key FILE         server: private key (PEM)\n"
		"  -s, --send SIZE        bytes to send (0); K and M suffixes allowed\n"
		"  -r, --recv SIZE        bytes expected from the peer (0)\n"
		"      --send-seed N      pattern of the bytes sent (1)\n"
		"      --recv-seed N      pattern of the bytes expected (2)\n"
		"      --chunk SIZE       bytes per send() call (the whole send size)\n"
		"      --text             patterns of 64-byte text lines (line-oriented peers)\n"
		"  -t, --timeout SEC      bound on every blocking step (30)\n"
		"      --offload-delay MS wait between handshake and hand-off, so that the peer's\n"
		"                         first records are queued in the socket before TLS_RX (0)\n",
		ciphers);
}

static int parse_size(const char *s, size_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	if (*end == 'K' || *end == 'k') {
		v <<= 10;
		end++;
	} else if (*end == 'M' || *end == 'm') {
		v <<= 20;
		end++;
	}
	if (*end || v > MAX_LEN)
		return -EINVAL;
	*out = (size_t)v;
	return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno || end == s || *end ? -EINVAL : 0;
}

enum {
	OPT_CA = 256,
	OPT_NAME,
	OPT_CERT,
	OPT_KEY,
	OPT_SEND_SEED,
	OPT_RECV_SEED,
	OPT_CHUNK,
	OPT_TEXT,
	OPT_OFFLOAD_DELAY,
};

static const struct option long_opts[] = {
	{ "host", required_argument, NULL, 'H' },
	{ "port", required_argument, NULL, 'p' },
	{ "ulp", required_argument, NULL, 'u' },
	{ "tls", required_argument, NULL, 'V' },
	{ "cipher", required_argument, NULL, 'c' },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "send", required_argument, NULL, 's' },
	{ "recv", required_argument, NULL, 'r' },
	{ "send-seed", required_argument, NULL, OPT_SEND_SEED },
	{ "recv-seed", required_argument, NULL, OPT_RECV_SEED },
	{ "chunk", required_argument, NULL, OPT_CHUNK },
	{ "text", no_argument, NULL, OPT_TEXT },
	{ "offload-delay", required_argument, NULL, OPT_OFFLOAD_DELAY },
	{ "timeout", required_argument, NULL, 't' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_opt(struct tlsock_peer_opts *o, int c, const char *arg)
{
	size_t v;

	switch (c) {
	case 'H':
		o->host = arg;
		return 0;
	case 'p':
		o->port = arg;
		return 0;
	case 'u':
		o->ulp = arg;
		return 0;
	case 'V':
		if (!strcmp(arg, "1.2"))
			o->version = TLS_1_2_VERSION;
		else if (!strcmp(arg, "1.3"))
			o->version = TLS_1_3_VERSION;
		else
			return -EINVAL;
		return 0;
	case 'c':
		o->cipher = tlsock_cipher_by_name(arg);
		return o->cipher ? 0 : -EINVAL;
	case OPT_CA:
		o->ca_file = arg;
		return 0;
	case OPT_NAME:
		o->server_name = arg;
		return 0;
	case OPT_CERT:
		o->cert_file = arg;
		return 0;
	case OPT_KEY:
		o->key_file = arg;
		return 0;
	case 's':
		return parse_size(arg, &o->send_len);
	case 'r':
		return parse_size(arg, &o->recv_len);
	case OPT_SEND_SEED:
		return parse_u64(arg, &o->send_seed);
	case OPT_RECV_SEED:
		return parse_u64(arg, &o->recv_seed);
	case OPT_CHUNK:
		if (parse_size(arg, &v) || !v)
			return -EINVAL;
		o->chunk = v;
		return 0;
	case OPT_TEXT:
		o->text = true;
		return 0;
	case OPT_OFFLOAD_DELAY:
		if (parse_size(arg, &v) || v > 60000)
			return -EINVAL;
		o->offload_delay_ms = (unsigned int)v;
		return 0;
	case 't':
		if (parse_size(arg, &v) || !v || v > 3600)
			return -EINVAL;
		o->timeout_s = (unsigned int)v;
		return 0;
	default:
		return -EINVAL;
	}
}

static int parse_args(struct tlsock_peer_opts *o, int argc, char **argv)
{
	int c;

	if (!strcmp(argv[1], "client"))
		o->role = TLSOCK_PEER_CLIENT;
	else if (!strcmp(argv[1], "server"))
		o->role = TLSOCK_PEER_SERVER;
	else
		return -EINVAL;

	optind = 2;
	while ((c = getopt_long(argc, argv, "H:p:u:V:c:s:r:t:h", long_opts, NULL)) != -1) {
		if (c == 'h')
			return -EINVAL;
		if (parse_opt(o, c, optarg)) {
			fprintf(stderr, "ktls_peer: bad value for option -%c/%d: %s\n",
				c < 256 ? c : '-', c, optarg ? optarg : "");
			return -EINVAL;
		}
	}
	if (optind != argc || !o->port)
		return -EINVAL;
	if (strcmp(o->ulp, "tlsock") && strcmp(o->ulp, "tls") && strcmp(o->ulp, "none"))
		return -EINVAL;
	if (o->role == TLSOCK_PEER_CLIENT && !o->ca_file)
		return -EINVAL;
	if (o->role == TLSOCK_PEER_SERVER && (!o->cert_file || !o->key_file))
		return -EINVAL;
	if (!o->chunk)
		o->chunk = o->send_len ? o->send_len : 1;
	return 0;
}

static int gen(const char *size, const char *seed, bool text)
{
	unsigned char buf[64 * 1024];
	size_t len, pos, n, off;
	uint64_t s;
	ssize_t w;

	if (parse_size(size, &len) || parse_u64(seed, &s))
		return -EINVAL;
	for (pos = 0; pos < len; pos += n) {
		n = len - pos < sizeof(buf) ? len - pos : sizeof(buf);
		tlsock_pattern_fill(s, text, pos, buf, n);
		for (off = 0; off < n; off += (size_t)w) {
			w = write(STDOUT_FILENO, buf + off, n - off);
			if (w < 0 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w <= 0)
				return -errno;
		}
	}
	return 0;
}

static int run(struct tlsock_peer_conn *conn, const struct tlsock_peer_opts *o, const char **step)
{
	int ret;

	*step = o->role == TLSOCK_PEER_CLIENT ? "connect" : "accept";
	if (o->role == TLSOCK_PEER_CLIENT)
		ret = tlsock_net_connect(o->host, o->port, o->timeout_s, &conn->fd);
	else
		ret = tlsock_net_accept(o->host, o->port, o->timeout_s, &conn->fd);
	if (ret)
		return ret;
	*step = "handshake";
	ret = tlsock_handshake(conn, o);
	if (ret)
		return ret;
	if (o->offload_delay_ms) {
		struct timespec ts = {
			.tv_sec = o->offload_delay_ms / 1000,
			.tv_nsec = (long)(o->offload_delay_ms % 1000) * 1000000L,
		};

		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
	}
	*step = "hand-off to the kernel";
	ret = tlsock_offload(conn, o->ulp);
	if (ret)
		return ret;
	*step = "data exchange";
	return tlsock_exchange(conn, o);
}

static void report(const struct tlsock_peer_conn *conn, const struct tlsock_peer_opts *o,
		   const char *step, int ret)
{
	const char *role = o->role == TLSOCK_PEER_CLIENT ? "client" : "server";
	const char *ver = o->version == TLS_1_3_VERSION ? "TLS1.3" : "TLS1.2";

	if (!ret) {
		printf("ktls_peer: %s ulp=%s %s %s: %d byte(s) queued at hand-off, sent %zu, received %zu, skipped %u post-handshake message(s), peer closed with %s\n",
		       role, o->ulp, ver, o->cipher->name, conn->queued, o->send_len, o->recv_len,
		       conn->post_hs_msgs, conn->peer_close_notify ? "close_notify" : "FIN");
		return;
	}
	fprintf(stderr, "ktls_peer: %s ulp=%s %s %s: %s failed: %s%s%s", role, o->ulp, ver,
		o->cipher->name, step, conn->what ? conn->what : "", conn->what ? ": " : "",
		strerror(-ret));
	if (conn->gnutls_err)
		fprintf(stderr, " (GnuTLS: %s)", gnutls_strerror(conn->gnutls_err));
	if (conn->alert >= 0)
		fprintf(stderr, " (alert %d)", conn->alert);
	if (conn->hs_type >= 0)
		fprintf(stderr, " (handshake message type %d)", conn->hs_type);
	if (ret == -EILSEQ || (ret == -ECONNRESET && !strcmp(step, "data exchange")))
		fprintf(stderr, " (at received byte %zu)", conn->bad_offset);
	fputc('\n', stderr);
}

int main(int argc, char **argv)
{
	struct tlsock_peer_opts o = {
		.host = "127.0.0.1",
		.ulp = "tlsock",
		.version = TLS_1_3_VERSION,
		.cipher = tlsock_cipher_by_name("aes-128-gcm"),
		.server_name = "localhost",
		.send_seed = 1,
		.recv_seed = 2,
		.timeout_s = 30,
	};
	struct tlsock_peer_conn conn = { .fd = -1, .alert = -1, .hs_type = -1 };
	const char *step = "setup";
	int ret;

	if (argc >= 2 && !strcmp(argv[1], "gen")) {
		if (argc < 4 || argc > 5 || (argc == 5 && strcmp(argv[4], "text"))) {
			usage(stderr);
			return 2;
		}
		ret = gen(argv[2], argv[3], argc == 5);
		if (ret)
			fprintf(stderr, "ktls_peer: gen: %s\n", strerror(-ret));
		return ret ? 1 : 0;
	}
	if (argc < 2 || parse_args(&o, argc, argv)) {
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);

	conn.rx_buf = malloc(TLSOCK_RX_BUF_SIZE);
	ret = conn.rx_buf ? run(&conn, &o, &step) : -ENOMEM;
	report(&conn, &o, step, ret);

	tlsock_handshake_free(&conn);
	if (conn.fd >= 0)
		close(conn.fd);
	free(conn.rx_buf);
	return ret ? 1 : 0;
}
