// SPDX-License-Identifier: GPL-2.0
/*
 * demo_client: a TCP client that speaks mutual TLS and links no TLS library.
 *
 *   demo_client PORT SERVER_NAME [MESSAGE]
 *
 * It connects to 127.0.0.1:PORT, attaches tlsock and asks for a handshake with one setsockopt:
 * tlsockd verifies the server's certificate against SERVER_NAME and presents the client
 * certificate of its profile "demo-client". Then it prints what TLSOCK_INFO reports, sends
 * MESSAGE and prints the answer, with plain send() and recv().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>	/* SOL_TCP, TCP_ULP */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/tlsock.h>	/* SOL_TLSOCK, TLSOCK_HANDSHAKE, struct tlsock_handshake */

#include "demo.h"

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	struct tlsock_handshake req = {
		.role = TLSOCK_ROLE_CLIENT,
		.profile = "demo-client",	/* a section of tlsockd.conf */
		.timeout_ms = 10000,
	};
	const char *msg = argc > 3 ? argv[3] : "hello from demo_client";
	char buf[1024];
	ssize_t n;
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: demo_client PORT SERVER_NAME [MESSAGE]\n");
		return 2;
	}
	addr.sin_port = htons(atoi(argv[1]));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* the name to verify the server's certificate against (and the SNI sent) */
	snprintf(req.server_name, sizeof(req.server_name), "%s", argv[2]);
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* an ordinary TCP connection first */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		perror("demo_client: connect");
		return 1;
	}
	/* 1. Attach the "tlsock" TCP upper-layer protocol... */
	if (setsockopt(fd, SOL_TCP, TCP_ULP, "tlsock", sizeof("tlsock"))) {
		perror("demo_client: TCP_ULP tlsock (is tlsock.ko loaded?)");
		return 1;
	}
	/*
	 * 2. ...and ask for the handshake: 0 once TLS is up, else an errno that says why
	 * (EKEYREJECTED: untrusted certificate, ENXIO: wrong name, ESRCH: no tlsockd...).
	 */
	if (setsockopt(fd, SOL_TLSOCK, TLSOCK_HANDSHAKE, &req, sizeof(req))) {
		printf("demo_client: handshake failed: %s\n", strerror(errno));
		return 1;
	}
	/* 3. What was negotiated, and who the server is. */
	demo_print_info("demo_client", fd);

	/* 4. Plain send() and recv(): the kernel seals and opens the TLS records. */
	snprintf(buf, sizeof(buf), "%s\n", msg);
	if (send(fd, buf, strlen(buf), 0) < 0) {
		perror("demo_client: send");
		return 1;
	}
	printf("demo_client: sent \"%s\"\n", msg);
	while ((n = recv(fd, buf, sizeof(buf) - 1, 0)) > 0) {
		buf[n] = 0;
		printf("demo_client: received %s", buf);
	}
	if (n < 0) {
		perror("demo_client: recv");
		return 1;
	}
	close(fd);
	return 0;
}
