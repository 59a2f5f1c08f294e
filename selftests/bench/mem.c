// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel memory held by idle connected sockets with TLS keys in both directions.
 *
 * Method: open `pairs` loopback connections, attach the stack to both ends with TX and RX keys,
 * exchange one 64-byte message each way (so lazily built receive and transmit state exists, as
 * on any live connection), let the system settle, and compare the kernel's memory with the
 * reading taken just before opening them. A warm-up round of the same sockets runs first, so slab
 * caches, crypto transforms and per-task page fragments already exist; the program allocates
 * nothing of its own while measuring (the fd table is sized beforehand).
 *
 * A reading (kmem.c) has two parts, live slab objects and the kernel's other pages.
 * Their sum is the figure reported. Plain TCP sockets measured the same way give TCP's share;
 * the difference is what the TLS layer costs. The caller takes the median of several runs.
 *
 * Then every socket is closed and, once the stack's gauges (below) are back where they started,
 * a third reading gives the residue: what the run left behind in the kernel. The gauges count
 * live sockets in the stack's own terms: the reference count of the ULP's module, which
 * tcp_set_ulp() takes once per socket and the ULP's cleanup drops, and tlsock's TlsockCurrTx and
 * TlsockCurrRx. At the peak each must have risen by exactly the number of sockets; after close
 * each must be back to its value before the run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define TB_WARM_PAIRS	16
#define TB_SETTLE_MS	500
#define TB_DRAIN_MS	20000	/* longest wait for the gauges to come back after close */

const char *const tlsock_bench_gauge_name[TB_NGAUGES] = {
	[TB_G_MODREF] = "module_refcnt",
	[TB_G_CURR_TX] = "TlsockCurrTx",
	[TB_G_CURR_RX] = "TlsockCurrRx",
};

static void tb_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void tb_settle(void)
{
	tb_sleep_ms(TB_SETTLE_MS);
}

static int tb_read_long(const char *path, long *v)
{
	FILE *f = fopen(path, "re");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%ld", v) == 1;
	fclose(f);
	return ok ? 0 : -EPROTO;
}

/* Counter @name of /proc/net/tlsock_stat ("Name value" lines). */
static int tb_tlsock_stat(const char *name, long *v)
{
	FILE *f = fopen("/proc/net/tlsock_stat", "re");
	char line[256], key[128];
	int err = -ENOENT;
	long x;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%127s %ld", key, &x) == 2 && !strcmp(key, name)) {
			*v = x;
			err = 0;
			break;
		}
	fclose(f);
	return err;
}

/* Read the gauges of @stack into g[]; returns the bit mask of those read. */
static unsigned int tb_gauges(enum tlsock_bench_stack stack, long *g)
{
	unsigned int mask = 0;
	char path[64];
	int i;

	for (i = 0; i < TB_NGAUGES; i++)
		g[i] = -1;
	if (stack != TB_KTLS && stack != TB_TLSOCK)
		return 0;
	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", tlsock_bench_ulp(stack));
	if (!tb_read_long(path, &g[TB_G_MODREF]))
		mask |= 1u << TB_G_MODREF;
	if (stack != TB_TLSOCK)
		return mask;
	if (!tb_tlsock_stat(tlsock_bench_gauge_name[TB_G_CURR_TX], &g[TB_G_CURR_TX]))
		mask |= 1u << TB_G_CURR_TX;
	if (!tb_tlsock_stat(tlsock_bench_gauge_name[TB_G_CURR_RX], &g[TB_G_CURR_RX]))
		mask |= 1u << TB_G_CURR_RX;
	return mask;
}

/*
 * Wait (up to TB_DRAIN_MS) until every gauge is back at base[]: the sockets' contexts are freed
 * after RCU grace periods and work items, not by close() itself. Leaves the last values in g[].
 * Returns 0, or -EBUSY when some gauge never came back.
 */
static int tb_drain(enum tlsock_bench_stack stack, unsigned int mask, const long *base, long *g)
{
	unsigned int waited = 0, i, same;

	for (;;) {
		tb_gauges(stack, g);
		for (same = 1, i = 0; i < TB_NGAUGES; i++)
			if (mask & 1u << i && g[i] != base[i])
				same = 0;
		if (same)
			return 0;
		if (waited >= TB_DRAIN_MS)
			return -EBUSY;
		tb_sleep_ms(100);
		waited += 100;
	}
}

static int tb_exchange(int a, int b)
{
	struct tlsock_bench_ep ea = { a, NULL }, eb = { b, NULL };
	uint8_t out[64], in[64];
	int err;

	memset(out, 0x42, sizeof(out));
	err = tlsock_bench_ep_send(&ea, out, sizeof(out));
	if (!err)
		err = tlsock_bench_ep_recv_all(&eb, in, sizeof(in));
	if (!err)
		err = tlsock_bench_ep_send(&eb, out, sizeof(out));
	if (!err)
		err = tlsock_bench_ep_recv_all(&ea, in, sizeof(in));
	if (!err && memcmp(in, out, sizeof(in)))
		err = -EBADMSG;
	return err;
}

/* Open n pairs into fds[2n] (client, server alternating), TLS both ways, one exchange each. */
static int tb_open(enum tlsock_bench_stack stack, int lfd, const struct tlsock_bench_crypto *c,
		   unsigned int n, int *fds)
{
	unsigned int i;
	int err = 0;

	for (i = 0; i < 2 * n; i++)
		fds[i] = -1;
	for (i = 0; !err && i < n; i++) {
		err = tlsock_bench_connect(lfd, &fds[2 * i], &fds[2 * i + 1]);
		if (!err)
			err = tlsock_bench_kern_setup(fds[2 * i], stack, 1, 1, c);
		if (!err)
			err = tlsock_bench_kern_setup(fds[2 * i + 1], stack, 1, 1, c);
		if (!err)
			err = tb_exchange(fds[2 * i], fds[2 * i + 1]);
	}
	return err;
}

/* Reset rather than close gracefully: no TIME_WAIT leftovers to expire during a later reading. */
static void tb_close(int *fds, unsigned int n)
{
	struct linger lg = { 1, 0 };
	unsigned int i;

	for (i = 0; i < 2 * n; i++) {
		if (fds[i] < 0)
			continue;
		setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fds[i]);
	}
}

/*
 * Room for @need descriptors, and a file table already that large: the kernel grows it on
 * demand, and a table grown while measuring would count as the sockets' memory (and stay, as
 * residue of the first run).
 */
static int tb_nofile(unsigned int need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	if (rl.rlim_cur < need) {
		if (rl.rlim_max < need)
			rl.rlim_max = need;
		rl.rlim_cur = need;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			return -errno;
	}
	if (dup2(STDERR_FILENO, need - 1) < 0)
		return -errno;
	close(need - 1);
	return 0;
}

/* stack is TB_PLAIN, TB_KTLS or TB_TLSOCK. Both directions of a pair share keys s. */
int tlsock_bench_mem(enum tlsock_bench_stack stack, const struct tlsock_bench_suite *s,
		     unsigned int pairs, struct tlsock_bench_mem_res *res)
{
	long g0[TB_NGAUGES], g1[TB_NGAUGES], g2[TB_NGAUGES];
	struct tlsock_bench_slabs *sl;
	struct tlsock_bench_crypto c;
	struct tlsock_bench_kmem m0, m1, m2;
	int *fds, lfd, err, i;

	memset(res, 0, sizeof(*res));
	if (stack == TB_GNUTLS || !pairs)
		return res->err = -EINVAL;
	err = tb_nofile(2 * (pairs + TB_WARM_PAIRS) + 64);
	if (err)
		goto out;
	fds = calloc(2 * (pairs + TB_WARM_PAIRS), sizeof(*fds));
	sl = calloc(3, sizeof(*sl));	/* per-cache snapshots before, at the peak, after */
	if (!fds || !sl) {
		err = -ENOMEM;
		goto out_free;
	}
	err = tlsock_bench_crypto_random(s, &c);
	if (err)
		goto out_free;
	err = tlsock_bench_listen(&lfd);
	if (err)
		goto out_wipe;
	/* the gauges before anything of this run, then what the warm-up must give back */
	res->gauges = tb_gauges(stack, g0);
	err = tb_open(stack, lfd, &c, TB_WARM_PAIRS, fds);
	tb_close(fds, TB_WARM_PAIRS);
	if (!err)
		err = tb_drain(stack, res->gauges, g0, g1);
	if (err)
		goto out_listen;
	tb_settle();
	err = tlsock_bench_kmem_read(&m0);
	if (!err)
		err = tlsock_bench_slabs_read(&sl[0]);
	if (err)
		goto out_listen;
	err = tb_open(stack, lfd, &c, pairs, fds);
	if (!err) {
		tb_settle();
		err = tlsock_bench_kmem_read(&m1);
		if (!err)
			err = tlsock_bench_slabs_read(&sl[1]);
		tb_gauges(stack, g1);
	}
	tb_close(fds, pairs);
	if (err)
		goto out_listen;
	/* a gauge that never comes back shows in gauge_left */
	tb_drain(stack, res->gauges, g0, g2);
	tb_settle();
	err = tlsock_bench_kmem_read_settled(&m2);
	if (!err)
		err = tlsock_bench_slabs_read(&sl[2]);
	if (err)
		goto out_listen;
	res->npeak_top = tlsock_bench_slabs_grew(&sl[0], &sl[1], res->peak_top, TB_MEM_TOP);
	res->nresidue_top = tlsock_bench_slabs_grew(&sl[0], &sl[2], res->residue_top, TB_MEM_TOP);
	for (i = 0; i < TB_NGAUGES; i++) {
		if (!(res->gauges & 1u << i))
			continue;
		res->gauge_peak[i] = g1[i] - g0[i];
		res->gauge_left[i] = g2[i] - g0[i];
	}
	res->sockets = 2 * pairs;
	res->slab_kib = (m1.slab_kb - m0.slab_kb) / res->sockets;
	res->pages_kib = (m1.pages_kb - m0.pages_kb) / res->sockets;
	res->kernel_kib = res->slab_kib + res->pages_kib;
	res->residue_kib = m2.slab_kb + m2.pages_kb - m0.slab_kb - m0.pages_kb;
	res->residue_slab_kib = m2.slab_kb - m0.slab_kb;
	/* every gauge counted every socket, and came back */
	res->gauges_ok = 1;
	for (i = 0; i < TB_NGAUGES; i++)
		if (res->gauges & 1u << i &&
		    (res->gauge_peak[i] != res->sockets || res->gauge_left[i]))
			res->gauges_ok = 0;
out_listen:
	close(lfd);
out_wipe:
	tlsock_bench_crypto_wipe(&c);
out_free:
	free(sl);
	free(fds);
out:
	res->err = err;
	return err;
}
