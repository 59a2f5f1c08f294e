// SPDX-License-Identifier: GPL-2.0
/*
 * One connection over loopback, both ends run by tlsockd's handshake code.
 *
 * The client and the server each run tlsockd_handshake() in a thread of
 * their own, on the two ends of a TCP connection, with requests built as
 * the kernel's ACCEPT would build them.  An end that fails shuts its socket
 * down, so the other never waits for the timeout.
 *
 * TLS 1.3 tickets come after the handshake, in records the kernel would
 * decrypt and forward (TICKET).  Here the test plays the kernel: it
 * decrypts the records waiting on the client's socket with the keys the
 * client's DONE carried and feeds each NewSessionTicket to
 * tlsockd_resume_ticket().  An alert among them (a TLS 1.3 server refuses
 * the client's certificate after the client's handshake completed) is
 * what the kernel would see on the client's first read: it is reported.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>
#include <gnutls/crypto.h>

#include "hst.h"

static uint32_t next_id = 1;

static void *end_main(void *arg)
{
	struct hst_end *e = arg;

	tlsockd_handshake(e->gen, &e->req, e->res);
	if (e->res->status)
		shutdown(e->req.fd, SHUT_RDWR);	/* the peer must not wait for us */
	return NULL;
}

/**
 * hst_request() - a request for @fd as the kernel's ACCEPT would make it
 * @req: filled in
 * @fd: the connected socket
 * @role: TLSOCK_ROLE_*
 * @profile: profile name, NULL for the default
 * @name: server name, NULL for none
 *
 * Return: 0 or a negative errno.
 */
int hst_request(struct tlsockd_request *req, int fd, uint32_t role, const char *profile,
		const char *name)
{
	memset(req, 0, sizeof(*req));
	req->id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
	req->fd = fd;
	req->role = role;
	req->timeout_ms = HST_TIMEOUT_MS;
	snprintf(req->profile, sizeof(req->profile), "%s", profile ? profile : "");
	snprintf(req->server_name, sizeof(req->server_name), "%s", name ? name : "");
	req->peer_len = sizeof(req->peer);
	if (getpeername(fd, (struct sockaddr *)&req->peer, &req->peer_len))
		return -errno;
	return 0;
}

/**
 * hst_end_start() - run one end's handshake in a thread of its own
 * @e: the end; pthread_join() its thread
 * @gen: configuration generation
 * @fd: the end's socket
 * @role: TLSOCK_ROLE_*
 * @profile: profile name, NULL for the default
 * @name: server name, NULL for none
 * @res: the outcome
 *
 * Return: 0 or a negative errno.
 */
int hst_end_start(struct hst_end *e, const struct tlsockd_gen *gen, int fd, uint32_t role,
		  const char *profile, const char *name, struct tlsockd_result *res)
{
	int err;

	e->gen = gen;
	e->res = res;
	err = hst_request(&e->req, fd, role, profile, name);
	if (err)
		return err;
	tlsockd_result_reset(res);
	return -pthread_create(&e->thread, NULL, end_main, e);
}

/* Read exactly @len bytes that are already queued. */
static int read_queued(int fd, uint8_t *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = recv(fd, buf, len, MSG_DONTWAIT);
		if (n <= 0)
			return -ENODATA;
		buf += n;
		len -= n;
	}
	return 0;
}

/* AEAD of the client's receive direction: key, 12-byte nonce base, record sequence */
static int rx_state(const struct tlsockd_result *r, gnutls_cipher_algorithm_t *alg,
		    gnutls_datum_t *key, uint8_t nonce[12], uint64_t *seq)
{
	const union tlsockd_crypto_info *ci = &r->rx;
	const uint8_t *rs;
	int i;

	switch (r->cipher) {
	case TLS_CIPHER_AES_GCM_128:
		*alg = GNUTLS_CIPHER_AES_128_GCM;
		key->data = (void *)ci->aes_gcm_128.key;
		key->size = sizeof(ci->aes_gcm_128.key);
		memcpy(nonce, ci->aes_gcm_128.salt, 4);
		memcpy(nonce + 4, ci->aes_gcm_128.iv, 8);
		rs = ci->aes_gcm_128.rec_seq;
		break;
	case TLS_CIPHER_AES_GCM_256:
		*alg = GNUTLS_CIPHER_AES_256_GCM;
		key->data = (void *)ci->aes_gcm_256.key;
		key->size = sizeof(ci->aes_gcm_256.key);
		memcpy(nonce, ci->aes_gcm_256.salt, 4);
		memcpy(nonce + 4, ci->aes_gcm_256.iv, 8);
		rs = ci->aes_gcm_256.rec_seq;
		break;
	case TLS_CIPHER_CHACHA20_POLY1305:
		*alg = GNUTLS_CIPHER_CHACHA20_POLY1305;
		key->data = (void *)ci->chacha20_poly1305.key;
		key->size = sizeof(ci->chacha20_poly1305.key);
		memcpy(nonce, ci->chacha20_poly1305.iv, 12);
		rs = ci->chacha20_poly1305.rec_seq;
		break;
	default:
		return -EPROTONOSUPPORT;
	}
	*seq = 0;
	for (i = 0; i < 8; i++)
		*seq = *seq << 8 | rs[i];
	return 0;
}

/* Feed the handshake messages of one decrypted record to the held session. */
static int feed_messages(uint32_t id, const uint8_t *p, size_t len)
{
	size_t mlen;
	int fed = 0;

	while (len >= 4) {
		mlen = 4 + ((size_t)p[1] << 16 | p[2] << 8 | p[3]);
		if (mlen > len)
			break;
		if (p[0] == 4 && !tlsockd_resume_ticket(id, p, mlen))	/* NewSessionTicket */
			fed++;
		p += mlen;
		len -= mlen;
	}
	return fed;
}

/**
 * after_handshake() - play the kernel for the records queued on a TLS 1.3 client
 * @fd: the client's socket
 * @id: the client's request id
 * @r: the client's outcome
 * @alert: set to the description of an alert among them, else left alone
 *
 * Return: tickets stored, or a negative errno.
 */
static int after_handshake(int fd, uint32_t id, const struct tlsockd_result *r, int *alert)
{
	gnutls_aead_cipher_hd_t h = NULL;
	gnutls_cipher_algorithm_t alg;
	uint8_t hdr[5], body[16384 + 256], plain[sizeof(body)], base[12], nonce[12];
	gnutls_datum_t key;
	uint64_t seq;
	size_t len, plen;
	int i, err, fed = 0;

	err = rx_state(r, &alg, &key, base, &seq);
	if (!err && gnutls_aead_cipher_init(&h, alg, &key) < 0)
		err = -ENOMEM;
	while (!err && !read_queued(fd, hdr, sizeof(hdr))) {
		len = hdr[3] << 8 | hdr[4];
		if (hdr[0] != 23 || len > sizeof(body) || len < 17 ||
		    read_queued(fd, body, len)) {
			err = -EPROTO;
			break;
		}
		memcpy(nonce, base, sizeof(nonce));
		for (i = 0; i < 8; i++)
			nonce[11 - i] ^= seq >> (8 * i);
		seq++;
		plen = sizeof(plain);
		if (gnutls_aead_cipher_decrypt(h, nonce, sizeof(nonce), hdr, sizeof(hdr), 16,
					       body, len, plain, &plen) < 0) {
			err = -EBADMSG;
			break;
		}
		while (plen && !plain[plen - 1])
			plen--;			/* padding, then the content type */
		if (plen && plain[plen - 1] == 22)
			fed += feed_messages(id, plain, plen - 1);
		if (plen == 3 && plain[plen - 1] == 21)
			*alert = plain[1];
	}
	if (h)
		gnutls_aead_cipher_deinit(h);
	gnutls_memset(plain, 0, sizeof(plain));
	return err ? err : fed;
}

/**
 * hst_connect() - a TCP connection over loopback
 * @addr: IPv4 address the server end listens on (NULL: 127.0.0.1)
 * @src: IPv4 address the client end binds to (NULL: the kernel's choice)
 * @mapped: the client connects from an IPv6 socket to ::ffff:@addr
 * @cfd: set to the client end
 * @sfd: set to the server end
 *
 * Return: 0 or a negative errno (the caller closes what is not -1).
 */
int hst_connect(const char *addr, const char *src, bool mapped, int *cfd, int *sfd)
{
	struct sockaddr_in sin = { .sin_family = AF_INET }, from = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	socklen_t len = sizeof(sin);
	int lfd, one = 1, err = 0;

	*cfd = *sfd = -1;
	inet_pton(AF_INET, addr ? addr : "127.0.0.1", &sin.sin_addr);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -errno;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) || listen(lfd, 4) ||
	    getsockname(lfd, (struct sockaddr *)&sin, &len)) {
		err = -errno;
		goto out;
	}
	if (mapped) {
		sin6.sin6_port = sin.sin_port;
		sin6.sin6_addr.s6_addr[10] = 0xff;
		sin6.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&sin6.sin6_addr.s6_addr[12], &sin.sin_addr, 4);
		*cfd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (*cfd < 0 || connect(*cfd, (struct sockaddr *)&sin6, sizeof(sin6)))
			err = -errno;
	} else {
		*cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (*cfd >= 0 && src) {
			inet_pton(AF_INET, src, &from.sin_addr);
			if (bind(*cfd, (struct sockaddr *)&from, sizeof(from)))
				err = -errno;
		}
		if (!err && (*cfd < 0 || connect(*cfd, (struct sockaddr *)&sin, sizeof(sin))))
			err = -errno;
	}
	if (!err) {
		*sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (*sfd < 0)
			err = -errno;
	}
out:
	close(lfd);
	return err;
}

/**
 * hst_run() - one connection: client and server handshakes
 * @p: what to run; @p->c and @p->s get the outcomes (wiped of keys on return)
 *
 * Return: 0 when both handshakes ran (whatever their outcome), or a
 * negative errno when the test itself could not run them.
 */
int hst_run(struct hst_pair *p)
{
	struct hst_end c, s;
	int cfd, sfd, err;

	err = hst_connect(p->addr, NULL, p->mapped, &cfd, &sfd);
	if (err)
		goto out;
	err = hst_end_start(&s, p->sgen, sfd, TLSOCK_ROLE_SERVER, p->sprofile, NULL, &p->s);
	if (err)
		goto out;
	err = hst_end_start(&c, p->cgen, cfd, TLSOCK_ROLE_CLIENT, p->cprofile, p->server_name, &p->c);
	if (err) {
		shutdown(sfd, SHUT_RDWR);
		pthread_join(s.thread, NULL);
		goto out;
	}
	pthread_join(c.thread, NULL);
	pthread_join(s.thread, NULL);
	p->c_alert = -1;
	if (!p->c.status && p->c.version == TLS_1_3_VERSION) {
		/* the kernel would now forward the tickets (or drop the held session) */
		if (after_handshake(cfd, c.req.id, &p->c, &p->c_alert) <= 0 &&
		    p->c.ticket_portid)
			tlsockd_resume_release(c.req.id);
	}
	if (hst_verbose) {
		hst_show("client", &p->c);
		hst_show("server", &p->s);
	}
out:
	tlsockd_result_wipe(&p->c);
	tlsockd_result_wipe(&p->s);
	if (cfd >= 0)
		close(cfd);
	if (sfd >= 0)
		close(sfd);
	return err;
}
