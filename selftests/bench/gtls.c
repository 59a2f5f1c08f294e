// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace GnuTLS: a real TLS handshake on a loopback pair, and the negotiated client-to-server
 * keys in the kernel's layout. The server's certificate is a throwaway ECDSA P-256 one made at
 * start-up. (An external PSK would be simpler, but GnuTLS 3.7 binds it to SHA-256, which rules
 * out TLS_AES_256_GCM_SHA384.) The client does not verify it: nothing here is secret.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <gnutls/x509.h>

#include "bench.h"

#define TB_HS_TIMEOUT_MS 30000

static gnutls_certificate_credentials_t tb_ccred, tb_scred;

int tlsock_bench_errno(int gnutls_err)
{
	switch (gnutls_err) {
	case GNUTLS_E_MEMORY_ERROR:
		return -ENOMEM;
	case GNUTLS_E_PUSH_ERROR:
	case GNUTLS_E_PULL_ERROR:
		return -EIO;
	case GNUTLS_E_DECRYPTION_FAILED:
		return -EBADMSG;
	case GNUTLS_E_UNEXPECTED_PACKET_LENGTH:
	case GNUTLS_E_RECORD_OVERFLOW:
		return -EMSGSIZE;
	case GNUTLS_E_PREMATURE_TERMINATION:
		return -EPIPE;
	case GNUTLS_E_TIMEDOUT:
		return -ETIMEDOUT;
	}
	return -EPROTO;
}

/* A self-signed certificate for a fresh key, installed in the server credentials. */
static int tb_server_cert(void)
{
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	unsigned char serial = 1;
	time_t now = time(NULL);
	int ret;

	ret = gnutls_x509_privkey_init(&key);
	if (ret < 0)
		return ret;
	ret = gnutls_x509_crt_init(&crt);
	if (ret < 0)
		goto out_key;
	ret = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
					   GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
	if (ret >= 0)
		ret = gnutls_x509_crt_set_version(crt, 3);
	if (ret >= 0)
		ret = gnutls_x509_crt_set_serial(crt, &serial, sizeof(serial));
	if (ret >= 0)
		ret = gnutls_x509_crt_set_activation_time(crt, now - 3600);
	if (ret >= 0)
		ret = gnutls_x509_crt_set_expiration_time(crt, now + 86400);
	if (ret >= 0)
		ret = gnutls_x509_crt_set_dn(crt, "CN=tlsbench", NULL);
	if (ret >= 0)
		ret = gnutls_x509_crt_set_key(crt, key);
	if (ret >= 0)
		ret = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
	if (ret >= 0)
		ret = gnutls_certificate_set_x509_key(tb_scred, &crt, 1, key);	/* copies both */
	gnutls_x509_crt_deinit(crt);
out_key:
	gnutls_x509_privkey_deinit(key);	/* wipes the key */
	return ret;
}

int tlsock_bench_gtls_init(void)
{
	int ret;

	ret = gnutls_global_init();
	if (ret < 0)
		return tlsock_bench_errno(ret);
	ret = gnutls_certificate_allocate_credentials(&tb_ccred);
	if (ret < 0)
		goto err_global;
	ret = gnutls_certificate_allocate_credentials(&tb_scred);
	if (ret < 0)
		goto err_ccred;
	ret = tb_server_cert();
	if (ret < 0)
		goto err_scred;
	return 0;
err_scred:
	gnutls_certificate_free_credentials(tb_scred);
err_ccred:
	gnutls_certificate_free_credentials(tb_ccred);
err_global:
	gnutls_global_deinit();
	return tlsock_bench_errno(ret);
}

void tlsock_bench_gtls_deinit(void)
{
	gnutls_certificate_free_credentials(tb_scred);
	gnutls_certificate_free_credentials(tb_ccred);
	gnutls_global_deinit();
}

static int tb_session(const struct tlsock_bench_suite *s, int fd, int server, gnutls_session_t *out)
{
	gnutls_session_t gs;
	int ret;

	ret = gnutls_init(&gs, (server ? GNUTLS_SERVER : GNUTLS_CLIENT) | GNUTLS_NO_TICKETS);
	if (ret < 0)
		return tlsock_bench_errno(ret);
	ret = gnutls_priority_set_direct(gs, s->gnutls_prio, NULL);
	if (ret >= 0)
		ret = gnutls_credentials_set(gs, GNUTLS_CRD_CERTIFICATE,
					     server ? tb_scred : tb_ccred);
	if (ret < 0) {
		gnutls_deinit(gs);
		return tlsock_bench_errno(ret);
	}
	gnutls_transport_set_int(gs, fd);
	gnutls_handshake_set_timeout(gs, TB_HS_TIMEOUT_MS);
	*out = gs;
	return 0;
}

struct tb_hs {
	gnutls_session_t gs;
	int ret;
};

static void *tb_handshake(void *arg)
{
	struct tb_hs *h = arg;

	do
		h->ret = gnutls_handshake(h->gs);
	while (h->ret < 0 && !gnutls_error_is_fatal(h->ret));
	return NULL;
}

/* Handshake a client on cfd with a server on sfd; both sessions must agree on exactly suite s. */
int tlsock_bench_gtls_handshake(const struct tlsock_bench_suite *s, int cfd, int sfd,
				struct tlsock_bench_gtls_pair *p)
{
	struct tb_hs c = { 0 }, sv = { 0 };
	pthread_t th;
	int err;

	memset(p, 0, sizeof(*p));
	err = tb_session(s, cfd, 0, &c.gs);
	if (err)
		return err;
	err = tb_session(s, sfd, 1, &sv.gs);
	if (err)
		goto err_client;
	err = -pthread_create(&th, NULL, tb_handshake, &c);
	if (err)
		goto err_server;
	tb_handshake(&sv);
	if (sv.ret < 0)
		shutdown(sfd, SHUT_RDWR);	/* unblock the client */
	pthread_join(th, NULL);
	if (sv.ret < 0 || c.ret < 0) {
		err = tlsock_bench_errno(sv.ret < 0 ? sv.ret : c.ret);
		goto err_server;
	}
	if (gnutls_protocol_get_version(c.gs) != s->gnutls_version ||
	    gnutls_cipher_get(c.gs) != s->gnutls_cipher) {
		err = -EPROTO;
		goto err_server;
	}
	p->client = c.gs;
	p->server = sv.gs;
	err = gnutls_record_get_state(c.gs, 0, NULL, NULL, NULL, p->c2s_seq);
	if (err < 0) {
		err = tlsock_bench_errno(err);
		goto err_pair;
	}
	return 0;
err_pair:
	memset(p, 0, sizeof(*p));
err_server:
	gnutls_deinit(sv.gs);
err_client:
	gnutls_deinit(c.gs);
	return err;
}

void tlsock_bench_gtls_free(struct tlsock_bench_gtls_pair *p)
{
	if (p->client)
		gnutls_deinit(p->client);
	if (p->server)
		gnutls_deinit(p->server);
	memset(p, 0, sizeof(*p));
}

/*
 * The client's write keys as of the handshake, for a kernel receiver of what the client sends.
 * The server's read state must be the same keys, or the export is wrong.
 */
int tlsock_bench_gtls_c2s_crypto(const struct tlsock_bench_suite *s,
				 struct tlsock_bench_gtls_pair *p, struct tlsock_bench_crypto *c)
{
	gnutls_datum_t wkey, wiv, rkey, riv;
	unsigned char rseq[8];
	int ret;

	ret = gnutls_record_get_state(p->client, 0, NULL, &wiv, &wkey, NULL);
	if (ret >= 0)
		ret = gnutls_record_get_state(p->server, 1, NULL, &riv, &rkey, rseq);
	if (ret < 0)
		return tlsock_bench_errno(ret);
	if (wkey.size != rkey.size || memcmp(wkey.data, rkey.data, wkey.size) ||
	    wiv.size != riv.size || memcmp(wiv.data, riv.data, wiv.size) ||
	    memcmp(rseq, p->c2s_seq, sizeof(rseq)))
		return -EPROTO;
	return tlsock_bench_crypto_set(s, c, &wkey, &wiv, p->c2s_seq);
}

/* Put the server's read sequence back to the handshake's, to decrypt the same stream again. */
int tlsock_bench_gtls_rewind(struct tlsock_bench_gtls_pair *p)
{
	int ret = gnutls_record_set_state(p->server, 1, p->c2s_seq);

	return ret < 0 ? tlsock_bench_errno(ret) : 0;
}
