// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel record layers: attach the ULP ("tls" for mainline kTLS, "tlsock" for ours) and hand
 * it the crypto state through SOL_TLS, exactly as a kTLS application does.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

const char *tlsock_bench_ulp(enum tlsock_bench_stack stack)
{
	return stack == TB_KTLS ? "tls" : stack == TB_TLSOCK ? "tlsock" : NULL;
}

#define TB_VIEW(c, f, salt_p, salt_n)						\
	((struct tlsock_bench_keyview){ (c)->u.f.iv, (c)->u.f.key, salt_p, (c)->u.f.rec_seq,	\
					sizeof((c)->u.f.iv), sizeof((c)->u.f.key), salt_n })

/* Where the fields of c's cipher live, and c->len; -EINVAL for a cipher we do not know. */
int tlsock_bench_crypto_view(struct tlsock_bench_crypto *c, struct tlsock_bench_keyview *v)
{
	switch (c->u.info.cipher_type) {
	case TLS_CIPHER_AES_GCM_128:
		*v = TB_VIEW(c, gcm128, c->u.gcm128.salt, sizeof(c->u.gcm128.salt));
		c->len = sizeof(c->u.gcm128);
		return 0;
	case TLS_CIPHER_AES_GCM_256:
		*v = TB_VIEW(c, gcm256, c->u.gcm256.salt, sizeof(c->u.gcm256.salt));
		c->len = sizeof(c->u.gcm256);
		return 0;
	case TLS_CIPHER_AES_CCM_128:
		*v = TB_VIEW(c, ccm128, c->u.ccm128.salt, sizeof(c->u.ccm128.salt));
		c->len = sizeof(c->u.ccm128);
		return 0;
	case TLS_CIPHER_CHACHA20_POLY1305:
		*v = TB_VIEW(c, chacha, NULL, 0);
		c->len = sizeof(c->u.chacha);
		return 0;
	}
	return -EINVAL;
}

static int tb_layout(const struct tlsock_bench_suite *s, struct tlsock_bench_crypto *c,
		     struct tlsock_bench_keyview *l)
{
	memset(c, 0, sizeof(*c));
	c->u.info.version = s->version;
	c->u.info.cipher_type = s->cipher_type;
	return tlsock_bench_crypto_view(c, l);
}

/* Fresh random keys at sequence 0, for cases with no handshake (as the kernel selftest does). */
int tlsock_bench_crypto_random(const struct tlsock_bench_suite *s, struct tlsock_bench_crypto *c)
{
	struct tlsock_bench_keyview l;
	int err;

	err = tb_layout(s, c, &l);
	if (err)
		return err;
	if (getrandom(l.key, l.key_len, 0) != (ssize_t)l.key_len ||
	    getrandom(l.iv, l.iv_len, 0) != (ssize_t)l.iv_len ||
	    (l.salt_len && getrandom(l.salt, l.salt_len, 0) != (ssize_t)l.salt_len)) {
		tlsock_bench_crypto_wipe(c);
		return -EIO;
	}
	return 0;
}

/*
 * The state GnuTLS reports for one direction, in the kernel's layout. TLS 1.3 and ChaCha20 use a
 * 12-byte static IV: the first 4 bytes are the kernel's salt (none for ChaCha20). TLS 1.2 AES-GCM
 * and AES-CCM have a 4-byte implicit salt; the 8-byte explicit nonce travels in each record, and
 * the sender starts it at the sequence number, as GnuTLS and OpenSSL do.
 */
int tlsock_bench_crypto_set(const struct tlsock_bench_suite *s, struct tlsock_bench_crypto *c,
			    const gnutls_datum_t *key, const gnutls_datum_t *iv,
			    const unsigned char seq[8])
{
	struct tlsock_bench_keyview l;
	int err;

	err = tb_layout(s, c, &l);
	if (err)
		return err;
	if (key->size != l.key_len)
		goto bad;
	memcpy(l.key, key->data, l.key_len);
	memcpy(l.seq, seq, 8);
	if (iv->size == l.salt_len + l.iv_len) {
		memcpy(l.salt, iv->data, l.salt_len);
		memcpy(l.iv, iv->data + l.salt_len, l.iv_len);
	} else if (s->version == TLS_1_2_VERSION && iv->size == l.salt_len && l.iv_len == 8) {
		memcpy(l.salt, iv->data, l.salt_len);
		memcpy(l.iv, seq, 8);
	} else {
		goto bad;
	}
	return 0;
bad:
	tlsock_bench_crypto_wipe(c);
	return -EPROTO;
}

void tlsock_bench_crypto_wipe(struct tlsock_bench_crypto *c)
{
	explicit_bzero(c, sizeof(*c));
}

int tlsock_bench_attach(int fd, enum tlsock_bench_stack stack)
{
	const char *ulp = tlsock_bench_ulp(stack);

	if (!ulp)
		return -EINVAL;
	return setsockopt(fd, IPPROTO_TCP, TCP_ULP, ulp, strlen(ulp)) ? -errno : 0;
}

/* dir is TLS_TX or TLS_RX. */
int tlsock_bench_set_key(int fd, int dir, const struct tlsock_bench_crypto *c)
{
	return setsockopt(fd, SOL_TLS, dir, &c->u, c->len) ? -errno : 0;
}

/* Attach the stack's ULP to fd and install c for the directions asked; nothing for plain. */
int tlsock_bench_kern_setup(int fd, enum tlsock_bench_stack stack, int tx, int rx,
			    const struct tlsock_bench_crypto *c)
{
	int err;

	if (stack != TB_KTLS && stack != TB_TLSOCK)
		return 0;
	if (!tx && !rx)
		return 0;
	err = tlsock_bench_attach(fd, stack);
	if (!err && tx)
		err = tlsock_bench_set_key(fd, TLS_TX, c);
	if (!err && rx)
		err = tlsock_bench_set_key(fd, TLS_RX, c);
	return err;
}

/*
 * Is the stack usable here? For tlsock the module itself must be loaded (no autoloading behind
 * the benchmark's back): -ENOENT if /sys/module/tlsock is missing. Then the ULP must attach to a
 * connected socket and take AES-128-GCM TLS 1.3 keys in both directions.
 */
int tlsock_bench_stack_probe(enum tlsock_bench_stack stack)
{
	struct tlsock_bench_crypto c;
	int cfd, sfd, err;

	if (stack != TB_KTLS && stack != TB_TLSOCK)
		return 0;
	if (stack == TB_TLSOCK && access("/sys/module/tlsock", F_OK))
		return -ENOENT;
	err = tlsock_bench_tcp_pair(&cfd, &sfd);
	if (err)
		return err;
	err = tlsock_bench_crypto_random(&tlsock_bench_suites[0], &c);
	if (!err)
		err = tlsock_bench_kern_setup(cfd, stack, 1, 1, &c);
	tlsock_bench_crypto_wipe(&c);
	close(cfd);
	close(sfd);
	return err;
}
