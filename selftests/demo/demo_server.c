// SPDX-License-Identifier: GPL-2.0
/*
 * demo_server: a TCP server that speaks mutual TLS and links no TLS library.
 *
 *   demo_server PORT [CONNECTIONS]
 *
 * For each connection it attaches tlsock and asks for a handshake with one setsockopt; tlsockd
 * performs it with the certificate of its profile "demo-server" and requires and verifies a
 * client certificate (see the tlsockd.conf written by demo.sh). Then it prints what TLSOCK_INFO
 * reports, reads one line and answers it, with plain recv() and send(): the kernel encrypts.
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

static void serve(int fd)
{
	struct tlsock_handshake req = {
		.role = TLSOCK_ROLE_SERVER,
		.profile = "demo-server",	/* a section of tlsockd.conf */
		.timeout_ms = 10000,
	};
	struct tlsock_info info;
	socklen_t len = sizeof(info);
	char line[512], reply[2048];
	ssize_t n;

	/* 1. Make it a tlsock socket: attach the "tlsock" TCP upper-layer protocol. */
	if (setsockopt(fd, SOL_TCP, TCP_ULP, "tlsock", sizeof("tlsock"))) {
		perror("demo_server: TCP_ULP tlsock");
		return;
	}
	/*
	 * 2. Ask for the handshake. The socket is blocking, so this returns once TLS is up in
	 * both directions, or fails with an errno that says why (ENOKEY: the client sent no
	 * certificate, EKEYREJECTED: one we do not trust...). No byte crosses in plaintext.
	 */
	if (setsockopt(fd, SOL_TLSOCK, TLSOCK_HANDSHAKE, &req, sizeof(req))) {
		printf("demo_server: handshake failed: %s\n", strerror(errno));
		return;
	}
	/* 3. What was negotiated, and who the client is. */
	demo_print_info("demo_server", fd);

	/* 4. From here on, plain recv() and send(): tlsock.ko opens and seals the records. */
	n = recv(fd, line, sizeof(line) - 1, 0);
	if (n <= 0) {
		printf("demo_server: recv: %s\n", n ? strerror(errno) : "connection closed");
		return;
	}
	line[n] = 0;
	line[strcspn(line, "\r\n")] = 0;
	printf("demo_server: received \"%s\"\n", line);

	memset(&info, 0, sizeof(info));
	getsockopt(fd, SOL_TLSOCK, TLSOCK_INFO, &info, &len);
	snprintf(reply, sizeof(reply), "hello %s, you said \"%s\"\n",
		 info.peer_subject[0] ? info.peer_subject : "stranger", line);
	if (send(fd, reply, strlen(reply), MSG_NOSIGNAL) < 0)
		perror("demo_server: send");
	/* close() sends TLS close_notify, then the TCP FIN */
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	int lfd, fd, one = 1, i, count;

	if (argc < 2) {
		fprintf(stderr, "usage: demo_server PORT [CONNECTIONS]\n");
		return 2;
	}
	addr.sin_port = htons(atoi(argv[1]));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	count = argc > 2 ? atoi(argv[2]) : 1;
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* an ordinary TCP listener: nothing TLS-specific here */
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) || listen(lfd, 8)) {
		perror("demo_server: listen");
		return 1;
	}
	printf("demo_server: listening on 127.0.0.1:%s\n", argv[1]);
	for (i = 0; i < count; i++) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			perror("demo_server: accept");
			return 1;
		}
		serve(fd);
		close(fd);
	}
	close(lfd);
	return 0;
}
