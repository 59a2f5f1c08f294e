// SPDX-License-Identifier: GPL-2.0
/*
 * A deterministic byte stream: byte @pos of the stream for @seed is a byte of a 64-bit mix of the
 * seed and pos / 8.  Both ends and the shell suite (through "ktls_peer gen") derive the same bytes
 * without sharing files; a misplaced, lost or repeated chunk shows as a mismatch.
 */
#include "peer.h"

static uint64_t mix(uint64_t seed, uint64_t block)
{
	uint64_t z = seed + (block + 1) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * Text streams are lines of 63 printable ASCII characters and a newline, for line-oriented peers
 * that treat data as C strings (gnutls-serv --echo).
 */
#define TEXT_LINE 64

static unsigned char pattern_byte(uint64_t word, uint64_t pos, bool text)
{
	unsigned char b = (unsigned char)(word >> (8 * (pos % 8)));

	if (!text)
		return b;
	if (pos % TEXT_LINE == TEXT_LINE - 1)
		return '\n';
	return (unsigned char)('!' + b % 94);
}

void tlsock_pattern_fill(uint64_t seed, bool text, uint64_t pos, unsigned char *buf, size_t len)
{
	uint64_t word = mix(seed, pos / 8);
	size_t i;

	for (i = 0; i < len; i++, pos++) {
		if (i && pos % 8 == 0)
			word = mix(seed, pos / 8);
		buf[i] = pattern_byte(word, pos, text);
	}
}

/* index of the first byte of @buf that differs from the stream at @pos, or @len */
size_t tlsock_pattern_check(uint64_t seed, bool text, uint64_t pos, const unsigned char *buf,
			    size_t len)
{
	uint64_t word = mix(seed, pos / 8);
	size_t i;

	for (i = 0; i < len; i++, pos++) {
		if (i && pos % 8 == 0)
			word = mix(seed, pos / 8);
		if (buf[i] != pattern_byte(word, pos, text))
			return i;
	}
	return len;
}
