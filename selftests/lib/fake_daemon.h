/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A stand-in for tlsockd that speaks the "tlsock" generic netlink family
 * directly (raw netlink, no libnl): the tests claim a request themselves and
 * decide exactly what DONE says and when, so they can race the kernel's
 * state changes against the application's calls and send DONE messages no
 * real daemon would.
 *
 * Functions return 0 (or a length) or a negative errno; none prints.
 */
#ifndef TLSOCK_FAKE_DAEMON_H
#define TLSOCK_FAKE_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib.h"

/**
 * struct tlsock_fd - one netlink socket of the stand-in daemon
 * @nl: NETLINK_GENERIC socket
 * @family: id of the "tlsock" family
 * @group: id of its "tlsockd" multicast group
 * @portid: our port id
 * @seq: last sequence number used
 */
struct tlsock_fd {
	int nl;
	uint16_t family;
	uint32_t group;
	uint32_t portid;
	uint32_t seq;
};

/**
 * struct tlsock_fd_done - what a DONE message carries
 * @status: positive errno, or 0 for success (then the rest is sent)
 * @version: TLS_1_2_VERSION or TLS_1_3_VERSION
 * @cipher: TLS_CIPHER_*
 * @tx: transmit crypto_info, @tx_len bytes of it
 * @rx: receive crypto_info, @rx_len bytes of it
 * @secret_len: bytes of each traffic secret; 0: none sent
 * @secret_tx: TLS 1.3 transmit traffic secret
 * @secret_rx: TLS 1.3 receive traffic secret
 * @verified: send the PEER_VERIFIED flag
 * @subject: peer subject, or NULL
 * @ticket_portid: netlink port for the session's tickets; 0: none
 */
struct tlsock_fd_done {
	uint32_t status;
	uint16_t version;
	uint16_t cipher;
	union tlsock_ci tx;
	union tlsock_ci rx;
	size_t tx_len;
	size_t rx_len;
	size_t secret_len;
	uint8_t secret_tx[64];
	uint8_t secret_rx[64];
	bool verified;
	const char *subject;
	uint32_t ticket_portid;
};

/* An attribute buffer for hand-made messages. */
struct tlsock_fd_attrs {
	size_t len;
	uint8_t buf[4096];
};

/**
 * struct tlsock_fd_ack - the kernel's answer to one raw message
 * @err: error of the ack: 0 or a negative errno
 * @replied: a reply message came before the ack
 * @reply_len: bytes of its attributes in @reply (cut at the buffer's size)
 * @reply: the reply's attributes
 */
struct tlsock_fd_ack {
	int err;
	bool replied;
	size_t reply_len;
	uint8_t reply[4096];
};

int tlsock_fd_open(struct tlsock_fd *d, bool join);
int tlsock_fd_open_at(struct tlsock_fd *d, bool join, uint32_t portid);
int tlsock_fd_wait_msg(struct tlsock_fd *d, int timeout_ms, uint8_t *cmd);
void tlsock_fd_drain(struct tlsock_fd *d);
void tlsock_fd_close(struct tlsock_fd *d);
int tlsock_fd_attr(struct tlsock_fd_attrs *a, uint16_t type, const void *data, size_t len);
int tlsock_fd_attr_u32(struct tlsock_fd_attrs *a, uint16_t type, uint32_t v);
int tlsock_fd_request(struct tlsock_fd *d, uint8_t cmd, const struct tlsock_fd_attrs *a,
		      void *reply, size_t *reply_len);
const void *tlsock_fd_find_attr(const void *attrs, size_t len, uint16_t type, size_t *alen);
int tlsock_fd_accept(struct tlsock_fd *d, uint32_t *id, int *sockfd);

/* Raw messages, for the netlink fuzzer: any header and bytes; the ack read apart. */
size_t tlsock_fd_put_hdr(void *buf, uint16_t type, uint16_t flags, uint32_t seq, uint8_t cmd,
			 size_t alen);
uint32_t tlsock_fd_next_seq(struct tlsock_fd *d);
int tlsock_fd_send_raw(struct tlsock_fd *d, const void *msg, size_t len);
int tlsock_fd_wait_ack(struct tlsock_fd *d, uint32_t seq, int timeout_ms,
		       struct tlsock_fd_ack *ack);
int tlsock_fd_accept_wait(struct tlsock_fd *d, uint32_t *id, int *sockfd, int timeout_ms);
void tlsock_fd_done_keys(struct tlsock_fd_done *done, const struct tlsock_keys *tx,
			 const struct tlsock_keys *rx);
int tlsock_fd_send_done(struct tlsock_fd *d, uint32_t id, const struct tlsock_fd_done *done);

/*
 * The stand-in run in a child process of its own.  The kernel lets the
 * process that claimed a request pass the gate (its handshake I/O is what
 * the application waits for), so a test whose application threads must be
 * held back cannot be that process.  The child claims, answers and closes on
 * command; the claimed socket's descriptor stays in the child.  Before each
 * command it drops what piled up on its netlink socket (a READY per request
 * it did not claim), so the kernel's answer finds room there.
 */
struct tlsock_fdp {
	int pid;
	int ctl;
};

int tlsock_fdp_spawn(struct tlsock_fdp *p);
int tlsock_fdp_accept(struct tlsock_fdp *p, uint32_t *id, int timeout_ms);
int tlsock_fdp_done(struct tlsock_fdp *p, uint32_t id, const struct tlsock_fd_done *done);
int tlsock_fdp_close_nl(struct tlsock_fdp *p);
int tlsock_fdp_setsockopt(struct tlsock_fdp *p, int level, int name, const void *val,
			  unsigned int len);
void tlsock_fdp_stop(struct tlsock_fdp *p);

#endif /* TLSOCK_FAKE_DAEMON_H */
