// SPDX-License-Identifier: GPL-2.0
/*
 * TLSOCK_INFO: after a managed handshake the kernel knows what was negotiated and who the
 * peer is (as tlsockd verified it). No TLS library is needed to ask.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/tls.h>		/* TLS_1_3_VERSION, TLS_CIPHER_* */
#include <linux/tlsock.h>	/* SOL_TLSOCK, TLSOCK_INFO, struct tlsock_info */

#include "demo.h"

static const char *cipher_name(unsigned int cipher)
{
	switch (cipher) {
	case TLS_CIPHER_AES_GCM_128:		return "AES-128-GCM";
	case TLS_CIPHER_AES_GCM_256:		return "AES-256-GCM";
	case TLS_CIPHER_CHACHA20_POLY1305:	return "ChaCha20-Poly1305";
	case TLS_CIPHER_AES_CCM_128:		return "AES-128-CCM";
	default:				return "none";
	}
}

void demo_print_info(const char *who, int fd)
{
	struct tlsock_info info;
	socklen_t len = sizeof(info);
	const char *san;

	memset(&info, 0, sizeof(info));
	if (getsockopt(fd, SOL_TLSOCK, TLSOCK_INFO, &info, &len)) {
		perror("getsockopt(TLSOCK_INFO)");
		return;
	}
	printf("%s: TLSOCK_INFO\n", who);
	printf("  version        %s\n", info.version == TLS_1_3_VERSION ? "TLS 1.3" :
	       info.version == TLS_1_2_VERSION ? "TLS 1.2" : "none");
	printf("  cipher         %s\n", cipher_name(info.cipher));
	printf("  peer verified  %s\n", info.flags & TLSOCK_INFO_F_PEER_VERIFIED ? "yes" : "no");
	printf("  peer subject   %s\n", info.peer_subject[0] ? info.peer_subject : "-");
	/* the subjectAltNames follow each other, each NUL-terminated; "" ends the list */
	for (san = info.peer_san; san < info.peer_san + sizeof(info.peer_san) && *san;
	     san += strlen(san) + 1)
		printf("  peer SAN       %s\n", san);
	printf("  resumed        %s\n", info.flags & TLSOCK_INFO_F_RESUMED ? "yes" : "no");
	printf("  handshake      %.1f ms\n", info.handshake_usec / 1000.0);
}
