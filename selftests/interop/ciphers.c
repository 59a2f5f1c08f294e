// SPDX-License-Identifier: GPL-2.0
/* The AEAD ciphers tlsock supports, under the names of the test, of GnuTLS and of the kernel. */
#include <stdio.h>
#include <string.h>

#include <linux/tls.h>

#include "peer.h"

static const struct tlsock_cipher ciphers[] = {
	{
		.name = "aes-128-gcm",
		.priority = "AES-128-GCM",
		.gnutls = GNUTLS_CIPHER_AES_128_GCM,
		.kernel = TLS_CIPHER_AES_GCM_128,
		.key_size = TLS_CIPHER_AES_GCM_128_KEY_SIZE,
		.iv_size = TLS_CIPHER_AES_GCM_128_IV_SIZE,
		.salt_size = TLS_CIPHER_AES_GCM_128_SALT_SIZE,
	},
	{
		.name = "aes-256-gcm",
		.priority = "AES-256-GCM",
		.gnutls = GNUTLS_CIPHER_AES_256_GCM,
		.kernel = TLS_CIPHER_AES_GCM_256,
		.key_size = TLS_CIPHER_AES_GCM_256_KEY_SIZE,
		.iv_size = TLS_CIPHER_AES_GCM_256_IV_SIZE,
		.salt_size = TLS_CIPHER_AES_GCM_256_SALT_SIZE,
	},
	{
		.name = "chacha20-poly1305",
		.priority = "CHACHA20-POLY1305",
		.gnutls = GNUTLS_CIPHER_CHACHA20_POLY1305,
		.kernel = TLS_CIPHER_CHACHA20_POLY1305,
		.key_size = TLS_CIPHER_CHACHA20_POLY1305_KEY_SIZE,
		.iv_size = TLS_CIPHER_CHACHA20_POLY1305_IV_SIZE,
		.salt_size = TLS_CIPHER_CHACHA20_POLY1305_SALT_SIZE,
	},
	{
		.name = "aes-128-ccm",
		.priority = "AES-128-CCM",
		.gnutls = GNUTLS_CIPHER_AES_128_CCM,
		.kernel = TLS_CIPHER_AES_CCM_128,
		.key_size = TLS_CIPHER_AES_CCM_128_KEY_SIZE,
		.iv_size = TLS_CIPHER_AES_CCM_128_IV_SIZE,
		.salt_size = TLS_CIPHER_AES_CCM_128_SALT_SIZE,
	},
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

const struct tlsock_cipher *tlsock_cipher_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ciphers); i++)
		if (!strcmp(ciphers[i].name, name))
			return &ciphers[i];
	return NULL;
}

const struct tlsock_cipher *tlsock_cipher_by_gnutls(gnutls_cipher_algorithm_t algo)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ciphers); i++)
		if (ciphers[i].gnutls == algo)
			return &ciphers[i];
	return NULL;
}

/* space-separated list of the names, for usage messages */
void tlsock_cipher_list(char *buf, size_t len)
{
	size_t i, used = 0;
	int n;

	if (len)
		buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(ciphers) && used < len; i++) {
		n = snprintf(buf + used, len - used, "%s%s", i ? " " : "", ciphers[i].name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}
