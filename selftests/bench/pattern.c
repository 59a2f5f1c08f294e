// SPDX-License-Identifier: GPL-2.0
/*
 * A cheap check that the receiver got the right plaintext in the right order: the 8-byte word at
 * every 4 KiB boundary of the byte stream holds that boundary's offset. Writing and checking four
 * words per 16 KiB costs nothing next to the copy and the crypto, so it stays on while timing.
 */
#include <errno.h>
#include <string.h>

#include "bench.h"

#define TB_STRIDE 4096u

void tlsock_bench_pattern_fill(uint8_t *buf, size_t len, uint64_t off)
{
	uint64_t o = (off + TB_STRIDE - 1) & ~(uint64_t)(TB_STRIDE - 1);

	for (; o + sizeof(o) <= off + len; o += TB_STRIDE)
		memcpy(buf + (o - off), &o, sizeof(o));
}

/* Return 0 when every whole marker word inside [off, off + len) is right, else -EBADMSG. */
int tlsock_bench_pattern_check(const uint8_t *buf, size_t len, uint64_t off)
{
	uint64_t o = (off + TB_STRIDE - 1) & ~(uint64_t)(TB_STRIDE - 1);
	uint64_t v;

	for (; o + sizeof(o) <= off + len; o += TB_STRIDE) {
		memcpy(&v, buf + (o - off), sizeof(v));
		if (v != o)
			return -EBADMSG;
	}
	return 0;
}
