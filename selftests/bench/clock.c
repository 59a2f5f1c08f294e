// SPDX-License-Identifier: GPL-2.0
/* The one clock every measurement uses. */
#include <time.h>

#include "bench.h"

/* Seconds on CLOCK_MONOTONIC: shared by all threads, never stepped. */
double tlsock_bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}
