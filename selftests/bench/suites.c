// SPDX-License-Identifier: GPL-2.0
/*
 * The protocol versions and ciphers the benchmark covers, named once for every stack:
 * GnuTLS priority strings for the userspace handshake, kernel constants for SOL_TLS.
 */
#include <string.h>

#include "bench.h"

#define TB_PRIO(vers, cipher) "NORMAL:-VERS-ALL:+VERS-" vers ":-CIPHER-ALL:+" cipher

const struct tlsock_bench_suite tlsock_bench_suites[] = {
	{ "aes128gcm-tls13", TB_PRIO("TLS1.3", "AES-128-GCM"), GNUTLS_CIPHER_AES_128_GCM,
	  GNUTLS_TLS1_3, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128 },
	{ "aes256gcm-tls13", TB_PRIO("TLS1.3", "AES-256-GCM"), GNUTLS_CIPHER_AES_256_GCM,
	  GNUTLS_TLS1_3, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_256 },
	{ "chacha20-tls13", TB_PRIO("TLS1.3", "CHACHA20-POLY1305"), GNUTLS_CIPHER_CHACHA20_POLY1305,
	  GNUTLS_TLS1_3, TLS_1_3_VERSION, TLS_CIPHER_CHACHA20_POLY1305 },
	{ "aes128ccm-tls13", TB_PRIO("TLS1.3", "AES-128-CCM"), GNUTLS_CIPHER_AES_128_CCM,
	  GNUTLS_TLS1_3, TLS_1_3_VERSION, TLS_CIPHER_AES_CCM_128 },
	{ "aes128gcm-tls12", TB_PRIO("TLS1.2", "AES-128-GCM"), GNUTLS_CIPHER_AES_128_GCM,
	  GNUTLS_TLS1_2, TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128 },
};

const size_t tlsock_bench_nsuites = ARRAY_SIZE(tlsock_bench_suites);

const char *const tlsock_bench_stack_name[TB_NSTACKS] = { "plain", "ktls", "tlsock", "gnutls" };
const char *const tlsock_bench_mode_name[TB_NMODES] = { "tx", "rx", "e2e" };

const struct tlsock_bench_suite *tlsock_bench_suite_find(const char *name)
{
	size_t i;

	for (i = 0; i < tlsock_bench_nsuites; i++)
		if (!strcmp(tlsock_bench_suites[i].name, name))
			return &tlsock_bench_suites[i];
	return NULL;
}
