/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of tlsock's own selftests: key material, sockets, a userspace
 * TLS record layer (GnuTLS AEAD) to play a hostile or independent peer,
 * the /proc/net/tlsock_stat counters, INET_DIAG and a data pattern.
 *
 * Every function returns 0 (or a length) on success and a negative errno
 * on failure; none of them prints.
 */
#ifndef TLSOCK_SELFTEST_LIB_H
#define TLSOCK_SELFTEST_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/tls.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(arr) (sizeof(arr) / sizeof((arr)[0]))
#endif

#ifndef SOL_TLS
#define SOL_TLS 282
#endif
#ifndef TCP_ULP
#define TCP_ULP 31
#endif

#define TLSOCK_HDR_LEN		5
#define TLSOCK_TAG_LEN		16
#define TLSOCK_MAX_PAYLOAD	16384
/* largest record plus slack for tests that go beyond it */
#define TLSOCK_REC_BUF		(TLSOCK_MAX_PAYLOAD + 512)

#define TLSOCK_CT_CCS		20
#define TLSOCK_CT_ALERT		21
#define TLSOCK_CT_HANDSHAKE	22
#define TLSOCK_CT_DATA		23

/* Receive timeout put on every test socket: a hang becomes EAGAIN. */
#define TLSOCK_IO_TIMEOUT_S	15

/* Big enough for any struct tls12_crypto_info_* and a few bytes more. */
union tlsock_ci {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 aes_gcm_128;
	struct tls12_crypto_info_aes_gcm_256 aes_gcm_256;
	struct tls12_crypto_info_aes_ccm_128 aes_ccm_128;
	struct tls12_crypto_info_chacha20_poly1305 chacha20_poly1305;
	unsigned char raw[128];
};

/**
 * struct tlsock_suite - what the tests need to know about one TLS_CIPHER_*
 * @cipher: TLS_CIPHER_* value
 * @name: the name `ss` prints for it
 * @info_len: size of its struct tls12_crypto_info_*
 * @key_len: key bytes
 * @salt_len: salt bytes (0 for ChaCha20-Poly1305)
 * @iv_len: bytes of the iv field
 * @key_off, @salt_off, @iv_off, @seq_off: field offsets in the struct
 * @gnutls_alg: gnutls_cipher_algorithm_t of the AEAD
 */
struct tlsock_suite {
	uint16_t cipher;
	const char *name;
	size_t info_len;
	size_t key_len;
	size_t salt_len;
	size_t iv_len;
	size_t key_off, salt_off, iv_off, seq_off;
	int gnutls_alg;
};

/* Keys of one direction. */
struct tlsock_keys {
	uint16_t version;
	const struct tlsock_suite *suite;
	uint8_t key[32];
	uint8_t salt[4];
	uint8_t iv[12];
	uint8_t seq[8];
};

/* keys.c */
const struct tlsock_suite *tlsock_suite_find(uint16_t cipher);
int tlsock_keys_init(struct tlsock_keys *k, uint16_t version, uint16_t cipher);
size_t tlsock_keys_info(const struct tlsock_keys *k, union tlsock_ci *ci);
void tlsock_keys_wipe(struct tlsock_keys *k);
bool tlsock_is_13(const struct tlsock_keys *k);
size_t tlsock_prepend_len(const struct tlsock_keys *k);
size_t tlsock_overhead(const struct tlsock_keys *k);

/* net.c */
int tlsock_netns_enter(void);
int tlsock_userns_enter(void);
int tlsock_tcp_pair(int family, int bufsize, int *a, int *b);
int tlsock_tcp_listener(int family, int *fd, uint16_t *port);
int tlsock_tcp_connect(int family, uint16_t port, int *fd);
int tlsock_set_timeouts(int fd, int seconds);
int tlsock_attach(int fd, const char *ulp);
int tlsock_set_keys(int fd, bool tx, const struct tlsock_keys *k);
ssize_t tlsock_write_all(int fd, const void *buf, size_t len);
ssize_t tlsock_read_full(int fd, void *buf, size_t len);
ssize_t tlsock_send_type(int fd, uint8_t type, const void *buf, size_t len, int flags);
ssize_t tlsock_recv_type(int fd, uint8_t *type, void *buf, size_t len, int flags);
int tlsock_set_nonblock(int fd, bool on);
int tlsock_wait_readable(int fd, int timeout_ms);

/* record.c: a userspace TLS record layer, one direction */
struct tlsock_urec {
	struct tlsock_keys keys;
	uint64_t seq;
	void *aead;
};

/**
 * struct tlsock_rec_spec - how to build a record
 * @type: content type (TLS 1.3: the inner type byte)
 * @outer: header type; 0 means the regular one
 * @pad: TLS 1.3 zero padding after the inner type
 * @seq: use this sequence number instead of the next one (and do not advance)
 * @use_seq: @seq is valid
 */
struct tlsock_rec_spec {
	uint8_t type;
	uint8_t outer;
	size_t pad;
	uint64_t seq;
	bool use_seq;
};

int tlsock_urec_init(struct tlsock_urec *u, const struct tlsock_keys *k);
void tlsock_urec_free(struct tlsock_urec *u);
ssize_t tlsock_urec_seal(struct tlsock_urec *u, const struct tlsock_rec_spec *spec,
			 const void *data, size_t len, uint8_t *out, size_t size);
ssize_t tlsock_urec_open(struct tlsock_urec *u, const uint8_t *rec, size_t len, uint8_t *type,
			 uint8_t *out, size_t size);
ssize_t tlsock_rec_total(const uint8_t *buf, size_t have);

/* stat.c */
int tlsock_stat_get(const char *name, long *value);
int tlsock_stat_all_zero(void);
bool tlsock_kernel_before(int major, int minor);

/* diag.c */
struct tlsock_ulp_info {
	char name[32];
	bool has_tls;
	int version;	/* -1 when absent */
	int cipher;	/* -1 when absent */
	int txconf;	/* -1 when absent */
	int rxconf;	/* -1 when absent */
	bool zc_ro_tx;
	bool rx_no_pad;
};
int tlsock_diag_ulp(int fd, struct tlsock_ulp_info *info);

/* pattern.c */
void tlsock_pat_fill(uint64_t seed, uint64_t off, void *buf, size_t len);
ssize_t tlsock_pat_check(uint64_t seed, uint64_t off, const void *buf, size_t len);
uint64_t tlsock_pat_seed(void);

#endif /* TLSOCK_SELFTEST_LIB_H */
