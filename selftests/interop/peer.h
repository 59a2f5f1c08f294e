/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ktls_peer: a TLS endpoint that runs the handshake with GnuTLS in userspace and then hands the
 * record layer to the kernel through SOL_TLS, the way the kTLS integrations of GnuTLS and OpenSSL
 * do.  Used to test tlsock against unmodified TLS stacks.
 */
#ifndef TLSOCK_INTEROP_PEER_H
#define TLSOCK_INTEROP_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <gnutls/gnutls.h>

/* TLS record content types (RFC 8446, section 5.1) */
#define TLSOCK_REC_ALERT	21
#define TLSOCK_REC_HANDSHAKE	22
#define TLSOCK_REC_DATA		23

/* largest record payload we may see from the kernel, with room to spare */
#define TLSOCK_RX_BUF_SIZE	(64 * 1024)

enum tlsock_peer_role {
	TLSOCK_PEER_CLIENT,
	TLSOCK_PEER_SERVER,
};

/* one AEAD cipher as the test names it, as GnuTLS names it and as the kernel names it */
struct tlsock_cipher {
	const char *name;		/* command-line name */
	const char *priority;		/* GnuTLS priority token */
	gnutls_cipher_algorithm_t gnutls;
	unsigned short kernel;		/* TLS_CIPHER_* */
	size_t key_size;
	size_t iv_size;			/* nonce part kept in crypto_info.iv */
	size_t salt_size;		/* nonce part kept in crypto_info.salt */
};

struct tlsock_peer_opts {
	enum tlsock_peer_role role;
	const char *host;		/* client: connect to; server: bind to */
	const char *port;
	const char *ulp;		/* "tlsock", "tls", or "none" (keep GnuTLS' record layer) */
	unsigned int version;		/* TLS_1_2_VERSION or TLS_1_3_VERSION */
	const struct tlsock_cipher *cipher;
	const char *ca_file;		/* client: trust anchors; the server name is verified */
	const char *server_name;
	const char *cert_file;		/* server: certificate chain and key */
	const char *key_file;
	size_t send_len;		/* bytes we send, pattern send_seed */
	size_t recv_len;		/* bytes we expect, pattern recv_seed */
	uint64_t send_seed;
	uint64_t recv_seed;
	size_t chunk;			/* bytes per send() call */
	bool text;			/* printable patterns */
	unsigned int timeout_s;		/* bound on every blocking step */
	unsigned int offload_delay_ms;	/* pause between handshake and hand-off */
};

/* the kernel hand-off of one session */
struct tlsock_peer_conn {
	int fd;
	gnutls_session_t session;
	gnutls_certificate_credentials_t cred;
	bool kernel;			/* the kernel owns the record layer */

	/* handshake transport: hands GnuTLS one record at a time */
	unsigned char hdr[5];
	size_t hdr_got;			/* header bytes read from the socket */
	size_t hdr_given;		/* header bytes handed to GnuTLS */
	size_t body_left;		/* record body bytes not read yet */
	bool pull_timed_out;		/* a socket read hit SO_RCVTIMEO */

	/* receive side after the hand-off */
	unsigned char *rx_buf;
	size_t rx_off;
	size_t rx_len;
	bool peer_eof;			/* TCP FIN or close_notify seen */
	bool peer_close_notify;		/* close_notify alert seen */
	unsigned int post_hs_msgs;	/* post-handshake handshake messages skipped */
	int queued;			/* bytes in the socket when the kernel took over */

	/* what went wrong, for the top level to explain */
	const char *what;
	int gnutls_err;
	int alert;			/* alert description received, or -1 */
	int hs_type;			/* unexpected post-handshake message type, or -1 */
	size_t bad_offset;		/* first mismatching byte of the received stream */
};

/* ciphers.c */
const struct tlsock_cipher *tlsock_cipher_by_name(const char *name);
const struct tlsock_cipher *tlsock_cipher_by_gnutls(gnutls_cipher_algorithm_t algo);
void tlsock_cipher_list(char *buf, size_t len);

/* net.c */
int tlsock_net_connect(const char *host, const char *port, unsigned int timeout_s, int *fdp);
int tlsock_net_accept(const char *host, const char *port, unsigned int timeout_s, int *fdp);
int tlsock_net_set_timeouts(int fd, unsigned int timeout_s);

/* handshake.c */
int tlsock_handshake(struct tlsock_peer_conn *conn, const struct tlsock_peer_opts *opts);
void tlsock_handshake_free(struct tlsock_peer_conn *conn);

/* offload.c */
int tlsock_offload(struct tlsock_peer_conn *conn, const char *ulp);

/* record.c */
ssize_t tlsock_record_send(struct tlsock_peer_conn *conn, const void *buf, size_t len);
ssize_t tlsock_record_recv(struct tlsock_peer_conn *conn, void *buf, size_t len);
int tlsock_record_close_notify(struct tlsock_peer_conn *conn);

/* pattern.c */
void tlsock_pattern_fill(uint64_t seed, bool text, uint64_t pos, unsigned char *buf, size_t len);
size_t tlsock_pattern_check(uint64_t seed, bool text, uint64_t pos, const unsigned char *buf,
			    size_t len);

/* exchange.c */
int tlsock_exchange(struct tlsock_peer_conn *conn, const struct tlsock_peer_opts *opts);

#endif /* TLSOCK_INTEROP_PEER_H */
