// SPDX-License-Identifier: GPL-2.0
/*
 * A reproducible byte stream for bulk transfers: byte i of the stream of
 * @seed depends only on (seed, i), so writers and readers may cut it into
 * any chunks and the reader still knows what each byte must be.
 */
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "lib.h"

static uint64_t tlsock_mix(uint64_t x)
{
	/* splitmix64 finaliser */
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t tlsock_pat_word(uint64_t seed, uint64_t block)
{
	return tlsock_mix(seed ^ tlsock_mix(block));
}

void tlsock_pat_fill(uint64_t seed, uint64_t off, void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t i = 0;

	while (i < len) {
		uint64_t pos = off + i;
		uint64_t w = tlsock_pat_word(seed, pos / 8);
		unsigned int b;

		for (b = pos % 8; b < 8 && i < len; b++, i++)
			p[i] = w >> (8 * b);
	}
}

/* Index of the first byte that differs from the stream, or -1. */
ssize_t tlsock_pat_check(uint64_t seed, uint64_t off, const void *buf, size_t len)
{
	uint8_t want[4096];
	const uint8_t *p = buf;
	size_t done = 0;

	while (done < len) {
		size_t n = len - done < sizeof(want) ? len - done : sizeof(want);
		size_t i;

		tlsock_pat_fill(seed, off + done, want, n);
		if (memcmp(want, p + done, n)) {
			for (i = 0; i < n; i++)
				if (want[i] != p[done + i])
					return done + i;
		}
		done += n;
	}
	return -1;
}

uint64_t tlsock_pat_seed(void)
{
	uint64_t seed;

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint64_t)time(NULL) * 0x2545f4914f6cdd1dULL;
	return seed;
}
