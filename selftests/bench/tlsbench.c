// SPDX-License-Identifier: GPL-2.0
/*
 * tlsbench: plain TCP, in-kernel kTLS (ULP "tls"), tlsock (ULP "tlsock") and userspace GnuTLS,
 * measured side by side in one run over loopback. Under emulation only the ratios mean anything.
 *
 * Order of work: probe the stacks (tlsock must be loaded; a missing kTLS is reported, not
 * hidden), then bulk throughput per suite and direction, small-message round trips, and idle
 * per-socket kernel memory. Repetitions of a case run interleaved across stacks, starting with a
 * different stack each time, so a burst of load on the host hits every stack alike; the best
 * run is kept (noise only ever slows a run down), the median for memory (noise goes both ways).
 *
 * Exit status: 0 all measured, 1 a case or the set-up failed (or tlsock is not loaded),
 * 2 everything else measured but kTLS was unavailable.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.h"

#define TB_TLS_STACKS ((1u << TB_KTLS) | (1u << TB_TLSOCK) | (1u << TB_GNUTLS))

const size_t tlsock_bench_rtt_size[TB_RTT_SIZES] = { 64, 1024 };

static void tb_usage(FILE *f)
{
	fprintf(f,
		"usage: tlsbench [options]\n"
		"  --seconds S      duration of each bulk case (default 1)\n"
		"  --reps N         runs of each case, interleaved across stacks (default 3)\n"
		"  --rx-mib N       MiB of plaintext in each pre-built RX stream (default 64)\n"
		"  --rtt-iters N    round trips per message size (default 2000)\n"
		"  --mem-pairs N    connected pairs for the memory measure (default 200)\n"
		"  --mem-reps N     runs of the memory measure per stack (default max(3, reps))\n"
		"  --suites LIST    comma list of suites (default all):");
	for (size_t i = 0; i < tlsock_bench_nsuites; i++)
		fprintf(f, " %s", tlsock_bench_suites[i].name);
	fprintf(f,
		"\n"
		"  --rtt-suite NAME suite of the round-trip and memory measures\n"
		"                   (default aes128gcm-tls13)\n"
		"  --stacks LIST    comma list of plain,ktls,tlsock,gnutls (default all; leaving\n"
		"                   out tlsock is for developing the benchmark, nothing else)\n"
		"  --parts LIST     comma list of bulk,rtt,mem (default all)\n"
		"  --dirs LIST      bulk directions, comma list of tx,rx,e2e (default all)\n"
		"  --summary FILE   also write the key=value summary to FILE\n"
		"  --cpus A,B|none  pin the sender/client thread to CPU A, the receiver/echo to B\n"
		"                   (default 0,0: see pin.c for why both ends share a CPU)\n");
}

/* Bit mask of the names in a comma list found in names[n]; -EINVAL on an unknown name. */
static long tb_mask(const char *list, const char *const *names, size_t n)
{
	char *dup = strdup(list), *tok, *save = NULL;
	long mask = 0;
	size_t i;

	if (!dup)
		return -ENOMEM;
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < n && strcmp(tok, names[i]); i++)
			;
		if (i == n) {
			mask = -EINVAL;
			break;
		}
		mask |= 1L << i;
	}
	free(dup);
	return mask;
}

static int tb_parse(int argc, char **argv, struct tlsock_bench_opts *o)
{
	static const char *const parts[] = { "bulk", "rtt", "mem" };
	static const struct option lo[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "reps", required_argument, NULL, 'r' },
		{ "rx-mib", required_argument, NULL, 'x' },
		{ "rtt-iters", required_argument, NULL, 'i' },
		{ "mem-pairs", required_argument, NULL, 'm' },
		{ "mem-reps", required_argument, NULL, 'M' },
		{ "suites", required_argument, NULL, 'S' },
		{ "rtt-suite", required_argument, NULL, 'R' },
		{ "stacks", required_argument, NULL, 'k' },
		{ "parts", required_argument, NULL, 'p' },
		{ "dirs", required_argument, NULL, 'd' },
		{ "summary", required_argument, NULL, 'o' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *names[TB_MAX_SUITES];
	long v;
	int c;
	size_t i;

	*o = (struct tlsock_bench_opts){
		.seconds = 1, .reps = 3, .rx_mib = 64, .rtt_iters = 2000, .mem_pairs = 200,
		.rtt_suite = &tlsock_bench_suites[0], .stacks = (1u << TB_NSTACKS) - 1, .parts = 7,
		.modes = (1u << TB_NMODES) - 1,
	};
	for (i = 0; i < tlsock_bench_nsuites; i++)
		names[i] = tlsock_bench_suites[i].name;
	o->suites = (1u << tlsock_bench_nsuites) - 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			o->seconds = atof(optarg);
			if (!(o->seconds > 0 && o->seconds <= 60))
				return -EINVAL;
			break;
		case 'r':
		case 'x':
		case 'i':
		case 'm':
			v = atol(optarg);
			if (v < 1 || v > 100000)
				return -EINVAL;
			if (c == 'r')
				o->reps = v;
			else if (c == 'x')
				o->rx_mib = v;
			else if (c == 'i')
				o->rtt_iters = v;
			else
				o->mem_pairs = v;
			break;
		case 'M':
			v = atol(optarg);
			if (v < 1 || v > 16)
				return -EINVAL;
			o->mem_reps = v;
			break;
		case 'S':
			v = tb_mask(optarg, names, tlsock_bench_nsuites);
			if (v <= 0)
				return -EINVAL;
			o->suites = v;
			break;
		case 'R':
			o->rtt_suite = tlsock_bench_suite_find(optarg);
			if (!o->rtt_suite)
				return -EINVAL;
			break;
		case 'k':
			v = tb_mask(optarg, tlsock_bench_stack_name, TB_NSTACKS);
			if (v <= 0)
				return -EINVAL;
			o->stacks = v;
			break;
		case 'p':
			v = tb_mask(optarg, parts, 3);
			if (v <= 0)
				return -EINVAL;
			o->parts = v;
			break;
		case 'd':
			v = tb_mask(optarg, tlsock_bench_mode_name, TB_NMODES);
			if (v <= 0)
				return -EINVAL;
			o->modes = v;
			break;
		case 'o':
			o->summary_path = optarg;
			break;
		case 'c':
			if (!strcmp(optarg, "none"))
				tlsock_bench_cpu[0] = tlsock_bench_cpu[1] = -1;
			else if (sscanf(optarg, "%d,%d", &tlsock_bench_cpu[0],
					&tlsock_bench_cpu[1]) != 2)
				return -EINVAL;
			break;
		case 'h':
			return 1;
		default:
			return -EINVAL;
		}
	}
	if (optind != argc)
		return -EINVAL;
	o->mem_suite = o->rtt_suite;
	return 0;
}

static int tb_failed;

static void tb_progress(const char *what, const char *stack, int err, const char *fmt, double v)
{
	if (err) {
		tb_failed = 1;
		fprintf(stderr, "tlsbench: %-28s %-7s FAILED: %s (%s)\n", what, stack,
			tlsock_bench_strerr(err), strerror(-err));
		return;
	}
	fprintf(stderr, "tlsbench: %-28s %-7s ", what, stack);
	fprintf(stderr, fmt, v);
	fputc('\n', stderr);
}

/* Keep the faster run and remember the slowest; a failure sticks. */
static void tb_keep_bulk(struct tlsock_bench_bulk_res *best, const struct tlsock_bench_bulk_res *x)
{
	double worst = best->err == TB_NOT_RUN || x->mbps < best->worst_mbps ? x->mbps :
		       best->worst_mbps;

	if (best->err == TB_NOT_RUN || (!best->err && (x->err || x->mbps > best->mbps)))
		*best = *x;
	best->worst_mbps = worst;
}

static void tb_keep_rtt(struct tlsock_bench_rtt_res *best, const struct tlsock_bench_rtt_res *x)
{
	if (best->err == TB_NOT_RUN || (!best->err && (x->err || x->mean_us < best->mean_us)))
		*best = *x;
}

/* The i-th of the measured TLS stacks, counting from a rotating start. */
static int tb_rotate(unsigned int mask, unsigned int start, unsigned int i)
{
	int order[TB_NSTACKS], n = 0, st;

	for (st = 0; st < TB_NSTACKS; st++)
		if (mask & 1u << st)
			order[n++] = st;
	return n ? order[(start + i) % n] : -1;
}

static unsigned int tb_count(unsigned int mask)
{
	return __builtin_popcount(mask);
}

/* One GnuTLS handshake per suite; its client encrypts the RX stream all receivers replay. */
static int tb_src_make(const struct tlsock_bench_suite *s, size_t nrec,
		       struct tlsock_bench_gtls_pair *p, struct tlsock_bench_stream *st,
		       struct tlsock_bench_crypto *c)
{
	int cfd, sfd, err;

	err = tlsock_bench_tcp_pair(&cfd, &sfd);
	if (err)
		return err;
	err = tlsock_bench_gtls_handshake(s, cfd, sfd, p);
	close(cfd);
	close(sfd);
	if (err)
		return err;
	err = tlsock_bench_gtls_c2s_crypto(s, p, c);
	if (!err)
		err = tlsock_bench_stream_build(p->client, nrec, st);
	if (err) {
		tlsock_bench_crypto_wipe(c);
		tlsock_bench_gtls_free(p);
	}
	return err;
}

static void tb_run_bulk(const struct tlsock_bench_opts *o, struct tlsock_bench_results *r)
{
	unsigned int tls = r->stacks & TB_TLS_STACKS, rep, i;
	struct tlsock_bench_bulk_res x;
	struct tlsock_bench_gtls_pair p;
	struct tlsock_bench_stream stream;
	struct tlsock_bench_crypto c;
	struct tlsock_bench_rx_src src = { &stream, &c, &p };
	char what[64];
	size_t si;
	int m, st, err;

	for (m = 0; r->stacks & 1u << TB_PLAIN && m < TB_NMODES; m++) {
		if (!(o->modes & 1u << m))
			continue;
		for (rep = 0; rep < o->reps; rep++) {
			tlsock_bench_bulk(TB_PLAIN, m, &tlsock_bench_suites[0], NULL, o->seconds,
					  &x);
			snprintf(what, sizeof(what), "bulk %s", tlsock_bench_mode_name[m]);
			tb_progress(what, "plain", x.err, "%.1f MB/s", x.mbps);
			tb_keep_bulk(&r->plain[m], &x);
		}
	}
	for (si = 0; si < tlsock_bench_nsuites; si++) {
		const struct tlsock_bench_suite *s = &tlsock_bench_suites[si];

		if (!(o->suites & 1u << si) || !tls)
			continue;
		r->suites |= 1u << si;
		/* only the rx direction replays the pre-built stream */
		err = TB_NOT_RUN;
		if (o->modes & 1u << TB_RX) {
			err = tb_src_make(s, o->rx_mib * (1024 * 1024 / TB_RECORD), &p, &stream,
					  &c);
			snprintf(what, sizeof(what), "rx stream %s", s->name);
			tb_progress(what, "gnutls", err, "%.0f MiB of records built", o->rx_mib);
		}
		for (m = 0; m < TB_NMODES; m++) {
			if (!(o->modes & 1u << m))
				continue;
			snprintf(what, sizeof(what), "bulk %s %s", s->name,
				 tlsock_bench_mode_name[m]);
			for (rep = 0; rep < o->reps; rep++) {
				for (i = 0; i < tb_count(tls); i++) {
					st = tb_rotate(tls, rep, i);
					if (m == TB_RX && err)
						x = (struct tlsock_bench_bulk_res){ .err = err };
					else
						tlsock_bench_bulk(st, m, s, &src, o->seconds, &x);
					tb_progress(what, tlsock_bench_stack_name[st], x.err,
						    "%.1f MB/s", x.mbps);
					tb_keep_bulk(&r->bulk[si][m][st], &x);
				}
			}
		}
		if (!err) {
			tlsock_bench_stream_free(&stream);
			tlsock_bench_crypto_wipe(&c);
			tlsock_bench_gtls_free(&p);
		}
	}
}

static void tb_run_rtt(const struct tlsock_bench_opts *o, struct tlsock_bench_results *r)
{
	struct tlsock_bench_rtt_res x;
	unsigned int rep, i;
	char what[64];
	int z, st;

	for (z = 0; z < TB_RTT_SIZES; z++) {
		snprintf(what, sizeof(what), "rtt %zu B %s", tlsock_bench_rtt_size[z],
			 o->rtt_suite->name);
		for (rep = 0; rep < o->reps; rep++) {
			for (i = 0; i < tb_count(r->stacks); i++) {
				st = tb_rotate(r->stacks, rep, i);
				tlsock_bench_rtt(st, o->rtt_suite, tlsock_bench_rtt_size[z],
						 o->rtt_iters, &x);
				tb_progress(what, tlsock_bench_stack_name[st], x.err,
					    "%.1f us mean", x.mean_us);
				tb_keep_rtt(&r->rtt[z][st], &x);
			}
		}
	}
}

/* Say what each gauge did; one that missed a socket or did not come back fails the run. */
static void tb_gauge_check(const char *what, int st, const struct tlsock_bench_mem_res *x)
{
	int g;

	if (x->err)
		return;
	for (g = 0; g < TB_NGAUGES; g++) {
		if (!(x->gauges & 1u << g))
			continue;
		fprintf(stderr, "tlsbench: %-28s %-7s %s +%ld at the peak (%u sockets), %+ld after close\n",
			what, tlsock_bench_stack_name[st], tlsock_bench_gauge_name[g],
			x->gauge_peak[g], x->sockets, x->gauge_left[g]);
	}
	if (!x->gauges_ok) {
		tb_failed = 1;
		fprintf(stderr, "tlsbench: %-28s %-7s FAILED: a gauge missed sockets or did not come back\n",
			what, tlsock_bench_stack_name[st]);
	}
}

static int tb_cmp_mem(const void *a, const void *b)
{
	double x = ((const struct tlsock_bench_mem_res *)a)->kernel_kib;
	double y = ((const struct tlsock_bench_mem_res *)b)->kernel_kib;

	return x < y ? -1 : x > y;
}

/* Keeps the run whose total is the median: noise in memory readings goes both ways. */
static void tb_run_mem(const struct tlsock_bench_opts *o, struct tlsock_bench_results *r)
{
	unsigned int kern = r->stacks & ~(1u << TB_GNUTLS), rep, i, n[TB_NSTACKS] = { 0 };
	struct tlsock_bench_mem_res runs[TB_NSTACKS][16], x;
	char what[64];
	int st;

	r->mem_reps = o->mem_reps ?: o->reps < 3 ? 3 : o->reps > 16 ? 16 : o->reps;
	snprintf(what, sizeof(what), "mem %u pairs", o->mem_pairs);
	for (rep = 0; rep < r->mem_reps; rep++) {
		for (i = 0; i < tb_count(kern); i++) {
			st = tb_rotate(kern, rep, i);
			tlsock_bench_mem(st, o->mem_suite, o->mem_pairs, &x);
			if (x.err)
				tb_progress(what, tlsock_bench_stack_name[st], x.err, "", 0);
			else
				fprintf(stderr, "tlsbench: %-28s %-7s %.2f KiB/socket (slab %.2f, pages %.2f), residue %.0f KiB (slab %.0f)\n",
					what, tlsock_bench_stack_name[st], x.kernel_kib, x.slab_kib,
					x.pages_kib, x.residue_kib, x.residue_slab_kib);
			tb_gauge_check(what, st, &x);
			if (x.err)
				r->mem[st] = x;
			else
				runs[st][n[st]++] = x;
		}
	}
	for (st = 0; st < TB_NSTACKS; st++) {
		if (!n[st] || r->mem[st].err != TB_NOT_RUN)
			continue;
		qsort(runs[st], n[st], sizeof(runs[st][0]), tb_cmp_mem);
		r->mem[st] = runs[st][n[st] / 2];
	}
}

static void tb_results_init(struct tlsock_bench_results *r)
{
	struct tlsock_bench_bulk_res *b = &r->bulk[0][0][0];
	size_t i;
	int st, m;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < sizeof(r->bulk) / sizeof(*b); i++)
		b[i].err = TB_NOT_RUN;
	for (m = 0; m < TB_NMODES; m++)
		r->plain[m].err = TB_NOT_RUN;
	for (st = 0; st < TB_NSTACKS; st++) {
		r->mem[st].err = TB_NOT_RUN;
		for (i = 0; i < TB_RTT_SIZES; i++)
			r->rtt[i][st].err = TB_NOT_RUN;
	}
}

/* Decide which stacks run. tlsock missing is fatal; kTLS missing is reported and skipped. */
static int tb_probe(const struct tlsock_bench_opts *o, struct tlsock_bench_results *r)
{
	int err;

	r->stacks = o->stacks;
	if (o->stacks & 1u << TB_TLSOCK) {
		err = tlsock_bench_stack_probe(TB_TLSOCK);
		if (err == -ENOENT) {
			fprintf(stderr, "tlsbench: FAIL: the tlsock module is not loaded (no /sys/module/tlsock)\n");
			return err;
		}
		if (err) {
			fprintf(stderr, "tlsbench: FAIL: tlsock is loaded but ULP \"tlsock\" with AES-128-GCM keys fails: %s\n",
				strerror(-err));
			return err;
		}
	}
	if (o->stacks & 1u << TB_KTLS) {
		err = tlsock_bench_stack_probe(TB_KTLS);
		if (err) {
			fprintf(stderr, "tlsbench: kTLS UNAVAILABLE: ULP \"tls\" cannot be used: %s\n",
				strerror(-err));
			fprintf(stderr, "tlsbench: is tls.ko loaded (modprobe tls)? kTLS is left out\n");
			r->ktls_missing = err;
			r->stacks &= ~(1u << TB_KTLS);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct tlsock_bench_results *r;
	struct tlsock_bench_opts o;
	struct utsname u;
	double t0 = tlsock_bench_now();
	FILE *f;
	int err, rc;

	err = tb_parse(argc, argv, &o);
	if (err) {
		tb_usage(err > 0 ? stdout : stderr);
		return err > 0 ? 0 : 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	r = malloc(sizeof(*r));
	if (!r) {
		fprintf(stderr, "tlsbench: out of memory\n");
		return 1;
	}
	tb_results_init(r);
	err = tlsock_bench_gtls_init();
	if (err) {
		fprintf(stderr, "tlsbench: GnuTLS initialisation failed: %s\n", strerror(-err));
		free(r);
		return 1;
	}
	err = tb_probe(&o, r);
	if (err)
		goto out;
	uname(&u);
	fprintf(stderr, "tlsbench: kernel %s %s, %ld CPUs, stacks:", u.release, u.machine,
		sysconf(_SC_NPROCESSORS_ONLN));
	for (int st = 0; st < TB_NSTACKS; st++)
		if (r->stacks & 1u << st)
			fprintf(stderr, " %s", tlsock_bench_stack_name[st]);
	fputc('\n', stderr);
	if (o.parts & 1)
		tb_run_bulk(&o, r);
	if (o.parts & 2)
		tb_run_rtt(&o, r);
	if (o.parts & 4)
		tb_run_mem(&o, r);

	printf("tlsbench report: kernel %s, %ld CPUs, %.0f s\n", u.release,
	       sysconf(_SC_NPROCESSORS_ONLN), tlsock_bench_now() - t0);
	printf("threads: sender/client on CPU %d, receiver/echo on CPU %d (-1: not pinned)\n",
	       tlsock_bench_cpu[0], tlsock_bench_cpu[1]);
	printf("ratios are tlsock / other stack\n");
	printf("for throughput higher is better, for time and memory lower is better\n");
	tlsock_bench_report(stdout, &o, r);
	printf("\n== Summary (key=value) ==\n");
	tlsock_bench_summary(stdout, &o, r);
	if (o.summary_path) {
		f = fopen(o.summary_path, "we");
		if (f) {
			tlsock_bench_summary(f, &o, r);
			if (fclose(f))
				f = NULL;
		}
		if (!f) {
			fprintf(stderr, "tlsbench: cannot write %s: %s\n", o.summary_path,
				strerror(errno));
			tb_failed = 1;
		}
	}
	if (tb_failed)
		fprintf(stderr, "tlsbench: FAIL: some cases failed (see FAILED lines above)\n");
	else if (r->ktls_missing)
		fprintf(stderr, "tlsbench: INCOMPLETE: kTLS was unavailable, no tlsock/ktls ratio\n");
out:
	rc = err || tb_failed ? 1 : r->ktls_missing ? 2 : 0;
	tlsock_bench_gtls_deinit();
	free(r);
	return rc;
}
