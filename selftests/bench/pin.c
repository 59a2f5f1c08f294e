// SPDX-License-Identifier: GPL-2.0
/*
 * CPU placement of the two ends of a case. By default both the sending (or client) thread and
 * the receiving (or echo) thread run on CPU 0. Under QEMU's software emulation on a shared host,
 * waking a thread on the other vCPU takes milliseconds, and how many depends on what else the
 * host is running: split across vCPUs, round trips measure the host's scheduler (about 4 ms
 * whatever the stack) and bulk runs swing by half between repetitions. On one vCPU the two ends
 * take turns, every case measures the CPU cost of moving its bytes through its stack (sealing,
 * copying, opening, the TCP work in between), and repetitions agree within a few percent.
 * --cpus A,B splits them for machines where cross-CPU wake-ups are cheap.
 */
#include <errno.h>
#include <sched.h>

#include "bench.h"

int tlsock_bench_cpu[2] = { 0, 0 };

/* Pin the calling thread to the CPU of its role (0 sender/client, 1 receiver/echo), if any. */
int tlsock_bench_pin(int role)
{
	cpu_set_t set;
	int cpu = tlsock_bench_cpu[role];

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}
