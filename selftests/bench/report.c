// SPDX-License-Identifier: GPL-2.0
/*
 * The report: one table per metric with absolute values and tlsock's ratios against the other
 * stacks, then the same numbers as key=value lines for machines.
 *
 * Ratios are always tlsock divided by the other stack. For throughput higher is better; for
 * round-trip time and memory lower is better.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "bench.h"

const char *tlsock_bench_strerr(int err)
{
	const char *n = strerrorname_np(-err);

	return n ? n : "error";
}

static int tb_has(const struct tlsock_bench_results *r, enum tlsock_bench_stack st)
{
	return !!(r->stacks & 1u << st);
}

/* Ratio a/b, NAN when either side is missing. */
static double tb_ratio(int ea, double a, int eb, double b)
{
	return ea || eb || b <= 0 ? NAN : a / b;
}

static void tb_cell(FILE *out, int width, int err, double v, const char *fmt)
{
	char buf[32];

	if (err == TB_NOT_RUN)
		snprintf(buf, sizeof(buf), "-");
	else if (err)
		snprintf(buf, sizeof(buf), "FAIL:%s", tlsock_bench_strerr(err));
	else
		snprintf(buf, sizeof(buf), fmt, v);
	fprintf(out, " %*s", width, buf);
}

static void tb_rcell(FILE *out, int width, double v)
{
	char buf[32];

	if (isnan(v))
		snprintf(buf, sizeof(buf), "-");
	else
		snprintf(buf, sizeof(buf), "%.2fx", v);
	fprintf(out, " %*s", width, buf);
}

static const struct tlsock_bench_bulk_res *tb_bulk(const struct tlsock_bench_results *r,
						   size_t si, int mode, int st)
{
	return st == TB_PLAIN ? &r->plain[mode] : &r->bulk[si][mode][st];
}

/* Largest relative gap between best and worst repetition of any stack in a row. */
static double tb_noise(const struct tlsock_bench_results *r, size_t si, int mode)
{
	const struct tlsock_bench_bulk_res *x;
	double n = 0;
	int st;

	for (st = 0; st < TB_NSTACKS; st++) {
		x = tb_bulk(r, si, mode, st);
		if (!x->err && x->mbps > 0 && 1 - x->worst_mbps / x->mbps > n)
			n = 1 - x->worst_mbps / x->mbps;
	}
	return n;
}

static void tb_report_bulk(FILE *out, const struct tlsock_bench_opts *o,
			   const struct tlsock_bench_results *r)
{
	const struct tlsock_bench_bulk_res *t, *x;
	size_t si;
	int m, st;

	fprintf(out, "\n== Bulk throughput: plaintext MB/s, 16 KiB records, best of %u x %.1f s ==\n",
		o->reps, o->seconds);
	fprintf(out, "   tx: TLS sender -> plain receiver (sealing)\n");
	fprintf(out, "   rx: replayed records -> TLS receiver (opening)\n");
	fprintf(out, "   e2e: TLS sender -> TLS receiver\n");
	fprintf(out, "   noise: largest gap between a stack's best and worst run in the row\n");
	fprintf(out, "%-16s %-4s", "suite", "dir");
	for (st = 0; st < TB_NSTACKS; st++)
		fprintf(out, " %11s", tlsock_bench_stack_name[st]);
	fprintf(out, " %12s %12s %13s %6s\n", "tlsock/ktls", "tlsock/plain", "tlsock/gnutls",
		"noise");
	for (si = 0; si < tlsock_bench_nsuites; si++) {
		if (!(r->suites & 1u << si))
			continue;
		for (m = 0; m < TB_NMODES; m++) {
			if (!(o->modes & 1u << m))
				continue;
			fprintf(out, "%-16s %-4s", tlsock_bench_suites[si].name,
				tlsock_bench_mode_name[m]);
			for (st = 0; st < TB_NSTACKS; st++) {
				x = tb_bulk(r, si, m, st);
				tb_cell(out, 11, x->err, x->mbps, "%.1f");
			}
			t = tb_bulk(r, si, m, TB_TLSOCK);
			x = tb_bulk(r, si, m, TB_KTLS);
			tb_rcell(out, 12, tb_ratio(t->err, t->mbps, x->err, x->mbps));
			x = tb_bulk(r, si, m, TB_PLAIN);
			tb_rcell(out, 12, tb_ratio(t->err, t->mbps, x->err, x->mbps));
			x = tb_bulk(r, si, m, TB_GNUTLS);
			tb_rcell(out, 13, tb_ratio(t->err, t->mbps, x->err, x->mbps));
			fprintf(out, " %5.0f%%\n", 100 * tb_noise(r, si, m));
		}
	}
}

static void tb_report_rtt(FILE *out, const struct tlsock_bench_opts *o,
			  const struct tlsock_bench_results *r)
{
	const struct tlsock_bench_rtt_res *x, *t;
	int z, st;

	fprintf(out, "\n== Round trip: microseconds per echo, %s, %u iterations, best mean of %u ==\n",
		o->rtt_suite->name, o->rtt_iters, o->reps);
	fprintf(out, "%-6s %-7s %10s %10s %10s %16s %16s\n", "bytes", "stack", "mean", "p50", "p99",
		"tlsock/x mean", "tlsock/x p99");
	for (z = 0; z < TB_RTT_SIZES; z++) {
		t = &r->rtt[z][TB_TLSOCK];
		for (st = 0; st < TB_NSTACKS; st++) {
			x = &r->rtt[z][st];
			fprintf(out, "%-6zu %-7s", tlsock_bench_rtt_size[z],
				tlsock_bench_stack_name[st]);
			tb_cell(out, 10, x->err, x->mean_us, "%.1f");
			tb_cell(out, 10, x->err, x->p50_us, "%.1f");
			tb_cell(out, 10, x->err, x->p99_us, "%.1f");
			if (st == TB_TLSOCK) {
				fprintf(out, " %16s %16s\n", "", "");
				continue;
			}
			tb_rcell(out, 16, tb_ratio(t->err, t->mean_us, x->err, x->mean_us));
			tb_rcell(out, 16, tb_ratio(t->err, t->p99_us, x->err, x->p99_us));
			fputc('\n', out);
		}
	}
}

/* TLS's own share: the stack's memory minus plain TCP's. */
static double tb_tls_kib(const struct tlsock_bench_results *r, int st)
{
	const struct tlsock_bench_mem_res *p = &r->mem[TB_PLAIN], *x = &r->mem[st];

	return p->err || x->err ? NAN : x->kernel_kib - p->kernel_kib;
}

/* The same runs in bytes, and what closing every socket gave back. */
static void tb_report_residue(FILE *out, const struct tlsock_bench_results *r)
{
	const struct tlsock_bench_mem_res *x;
	int st, g;

	fprintf(out, "\n== The same in bytes, and after closing every socket ==\n");
	fprintf(out, "   residue: kernel memory above the reading before the run, all closed (KiB)\n");
	fprintf(out, "   gauges: rise at the peak / left after close (ULP module refcnt; tlsock\n");
	fprintf(out, "   also TlsockCurrTx, TlsockCurrRx): the rise must equal the sockets, 0 left\n");
	fprintf(out, "%-7s %8s %12s %12s %10s  %s\n", "stack", "sockets", "B/socket", "B/pair",
		"residue", "gauges");
	for (st = 0; st < TB_NSTACKS; st++) {
		if (st == TB_GNUTLS)
			continue;
		x = &r->mem[st];
		fprintf(out, "%-7s", tlsock_bench_stack_name[st]);
		if (x->err) {
			fprintf(out, " %s\n", x->err == TB_NOT_RUN ? "-" : tlsock_bench_strerr(x->err));
			continue;
		}
		fprintf(out, " %8u %12.0f %12.0f %10.0f ", x->sockets, x->kernel_kib * 1024,
			x->kernel_kib * 2048, x->residue_kib);
		if (!x->gauges)
			fprintf(out, " none");
		for (g = 0; g < TB_NGAUGES; g++)
			if (x->gauges & 1u << g)
				fprintf(out, " %s +%ld/%+ld", tlsock_bench_gauge_name[g],
					x->gauge_peak[g], x->gauge_left[g]);
		fprintf(out, "%s\n", x->gauges && !x->gauges_ok ? " INCONSISTENT" : "");
	}
	fprintf(out, "\n== Slab caches that grew most: at the peak (B/socket), after close (KiB) ==\n");
	for (st = 0; st < TB_NSTACKS; st++) {
		x = &r->mem[st];
		if (st == TB_GNUTLS || x->err || !x->sockets)
			continue;
		fprintf(out, "%-7s peak:   ", tlsock_bench_stack_name[st]);
		for (g = 0; g < (int)x->npeak_top; g++)
			fprintf(out, " %s %.0f", x->peak_top[g].name,
				x->peak_top[g].kib * 1024 / x->sockets);
		fprintf(out, "\n%-7s residue:", tlsock_bench_stack_name[st]);
		for (g = 0; g < (int)x->nresidue_top; g++)
			fprintf(out, " %s %.1f", x->residue_top[g].name, x->residue_top[g].kib);
		fputc('\n', out);
	}
}

static void tb_report_mem(FILE *out, const struct tlsock_bench_opts *o,
			  const struct tlsock_bench_results *r)
{
	const struct tlsock_bench_mem_res *x, *t = &r->mem[TB_TLSOCK];
	int st;

	fprintf(out, "\n== Kernel memory per idle socket: KiB, %u pairs, TX+RX keys, %s, median of %u ==\n",
		o->mem_pairs, o->mem_suite->name, r->mem_reps);
	fprintf(out, "   slab: live slab objects (caches shrunk first); pages: other kernel pages\n");
	fprintf(out, "   tls: total minus plain TCP's total\n");
	fprintf(out, "%-7s %10s %10s %10s %10s %16s %16s\n", "stack", "total", "slab", "pages",
		"tls", "tlsock/x total", "tlsock/x tls");
	for (st = 0; st < TB_NSTACKS; st++) {
		if (st == TB_GNUTLS)
			continue;
		x = &r->mem[st];
		fprintf(out, "%-7s", tlsock_bench_stack_name[st]);
		tb_cell(out, 10, x->err, x->kernel_kib, "%.2f");
		tb_cell(out, 10, x->err, x->slab_kib, "%.2f");
		tb_cell(out, 10, x->err, x->pages_kib, "%.2f");
		tb_cell(out, 10, st == TB_PLAIN ? TB_NOT_RUN : x->err, tb_tls_kib(r, st), "%.2f");
		if (st == TB_TLSOCK) {
			fputc('\n', out);
			continue;
		}
		tb_rcell(out, 16, tb_ratio(t->err, t->kernel_kib, x->err, x->kernel_kib));
		tb_rcell(out, 16, st == TB_PLAIN ? NAN :
			 tb_ratio(t->err, tb_tls_kib(r, TB_TLSOCK), x->err, tb_tls_kib(r, st)));
		fputc('\n', out);
	}
	tb_report_residue(out, r);
}

void tlsock_bench_report(FILE *out, const struct tlsock_bench_opts *o,
			 const struct tlsock_bench_results *r)
{
	if (r->ktls_missing)
		fprintf(out, "\n!! kTLS (ULP \"tls\") UNAVAILABLE (%s): no tlsock/ktls ratio\n",
			tlsock_bench_strerr(r->ktls_missing));
	if (o->parts & 1)
		tb_report_bulk(out, o, r);
	if (o->parts & 2)
		tb_report_rtt(out, o, r);
	if (o->parts & 4)
		tb_report_mem(out, o, r);
}

static void tb_kv(FILE *out, const char *key, int err, double v)
{
	if (err == TB_NOT_RUN)
		return;
	if (err)
		fprintf(out, "%s=FAIL:%s\n", key, tlsock_bench_strerr(err));
	else if (!isnan(v))
		fprintf(out, "%s=%.4g\n", key, v);
}

static void tb_summary_bulk(FILE *out, const struct tlsock_bench_results *r)
{
	static const int vs[] = { TB_KTLS, TB_PLAIN, TB_GNUTLS };
	const struct tlsock_bench_bulk_res *t, *x;
	double ratio, worst = NAN;
	char key[128];
	size_t si;
	int m, st, i;

	for (m = 0; m < TB_NMODES; m++) {
		snprintf(key, sizeof(key), "bulk.plain.%s.mbps", tlsock_bench_mode_name[m]);
		tb_kv(out, key, r->plain[m].err, r->plain[m].mbps);
	}
	for (si = 0; si < tlsock_bench_nsuites; si++) {
		if (!(r->suites & 1u << si))
			continue;
		for (m = 0; m < TB_NMODES; m++) {
			for (st = TB_KTLS; st < TB_NSTACKS; st++) {
				x = tb_bulk(r, si, m, st);
				snprintf(key, sizeof(key), "bulk.%s.%s.%s.mbps",
					 tlsock_bench_suites[si].name, tlsock_bench_mode_name[m],
					 tlsock_bench_stack_name[st]);
				tb_kv(out, key, x->err, x->mbps);
			}
			t = tb_bulk(r, si, m, TB_TLSOCK);
			for (i = 0; i < 3; i++) {
				x = tb_bulk(r, si, m, vs[i]);
				ratio = tb_ratio(t->err, t->mbps, x->err, x->mbps);
				snprintf(key, sizeof(key), "bulk.%s.%s.tlsock_vs_%s",
					 tlsock_bench_suites[si].name, tlsock_bench_mode_name[m],
					 tlsock_bench_stack_name[vs[i]]);
				tb_kv(out, key, 0, ratio);
				if (vs[i] == TB_KTLS && !isnan(ratio) && !(ratio >= worst))
					worst = ratio;
			}
			snprintf(key, sizeof(key), "bulk.%s.%s.noise", tlsock_bench_suites[si].name,
				 tlsock_bench_mode_name[m]);
			tb_kv(out, key, 0, tb_noise(r, si, m));
		}
	}
	tb_kv(out, "bulk.min_tlsock_vs_ktls", 0, worst);
}

static void tb_summary_rtt(FILE *out, const struct tlsock_bench_results *r)
{
	const struct tlsock_bench_rtt_res *x, *t;
	char key[128];
	int z, st;

	for (z = 0; z < TB_RTT_SIZES; z++) {
		t = &r->rtt[z][TB_TLSOCK];
		for (st = 0; st < TB_NSTACKS; st++) {
			x = &r->rtt[z][st];
#define TB_RTT_KV(field)							\
	do {									\
		snprintf(key, sizeof(key), "rtt.%zu.%s." #field,		\
			 tlsock_bench_rtt_size[z], tlsock_bench_stack_name[st]);	\
		tb_kv(out, key, x->err, x->field);				\
	} while (0)
			TB_RTT_KV(mean_us);
			TB_RTT_KV(p50_us);
			TB_RTT_KV(p99_us);
#undef TB_RTT_KV
			if (st == TB_TLSOCK)
				continue;
			snprintf(key, sizeof(key), "rtt.%zu.tlsock_vs_%s.mean",
				 tlsock_bench_rtt_size[z], tlsock_bench_stack_name[st]);
			tb_kv(out, key, 0, tb_ratio(t->err, t->mean_us, x->err, x->mean_us));
			snprintf(key, sizeof(key), "rtt.%zu.tlsock_vs_%s.p99",
				 tlsock_bench_rtt_size[z], tlsock_bench_stack_name[st]);
			tb_kv(out, key, 0, tb_ratio(t->err, t->p99_us, x->err, x->p99_us));
		}
	}
}

static void tb_summary_mem(FILE *out, const struct tlsock_bench_results *r)
{
	const struct tlsock_bench_mem_res *t = &r->mem[TB_TLSOCK], *k = &r->mem[TB_KTLS];
	const char *name;
	char key[128];
	int st;

	for (st = 0; st < TB_NSTACKS; st++) {
		if (st == TB_GNUTLS)
			continue;
		name = tlsock_bench_stack_name[st];
		snprintf(key, sizeof(key), "mem.%s.kernel_kib_per_socket", name);
		tb_kv(out, key, r->mem[st].err, r->mem[st].kernel_kib);
		snprintf(key, sizeof(key), "mem.%s.slab_kib_per_socket", name);
		tb_kv(out, key, r->mem[st].err, r->mem[st].slab_kib);
		snprintf(key, sizeof(key), "mem.%s.pages_kib_per_socket", name);
		tb_kv(out, key, r->mem[st].err, r->mem[st].pages_kib);
		snprintf(key, sizeof(key), "mem.%s.bytes_per_socket", name);
		tb_kv(out, key, r->mem[st].err, r->mem[st].kernel_kib * 1024);
		if (!r->mem[st].err)
			fprintf(out, "mem.%s.sockets=%u\n", name, r->mem[st].sockets);
		snprintf(key, sizeof(key), "mem.%s.residue_kib", name);
		tb_kv(out, key, r->mem[st].err, r->mem[st].residue_kib);
		snprintf(key, sizeof(key), "mem.%s.residue_slab_kib", name);
		tb_kv(out, key, r->mem[st].err, r->mem[st].residue_slab_kib);
		if (!r->mem[st].err && r->mem[st].gauges)
			fprintf(out, "mem.%s.gauges=%s\n", name,
				r->mem[st].gauges_ok ? "consistent" : "INCONSISTENT");
		if (st == TB_PLAIN)
			continue;
		snprintf(key, sizeof(key), "mem.%s.tls_kib_per_socket", name);
		tb_kv(out, key, 0, tb_tls_kib(r, st));
	}
	tb_kv(out, "mem.tlsock_vs_ktls.kernel", 0,
	      tb_ratio(t->err, t->kernel_kib, k->err, k->kernel_kib));
	tb_kv(out, "mem.tlsock_vs_ktls.tls", 0,
	      tb_ratio(t->err, tb_tls_kib(r, TB_TLSOCK), k->err, tb_tls_kib(r, TB_KTLS)));
}

void tlsock_bench_summary(FILE *out, const struct tlsock_bench_opts *o,
			  const struct tlsock_bench_results *r)
{
	int st;

	for (st = 0; st < TB_NSTACKS; st++)
		fprintf(out, "stack.%s=%s\n", tlsock_bench_stack_name[st],
			tb_has(r, st) ? "measured" :
			st == TB_KTLS && r->ktls_missing ? "unavailable" : "skipped");
	fprintf(out, "opts.seconds=%.2f\nopts.reps=%u\nopts.rx_mib=%zu\nopts.cpus=%d,%d\n",
		o->seconds, o->reps, o->rx_mib, tlsock_bench_cpu[0], tlsock_bench_cpu[1]);
	if (o->parts & 1)
		tb_summary_bulk(out, r);
	if (o->parts & 2)
		tb_summary_rtt(out, r);
	if (o->parts & 4)
		tb_summary_mem(out, r);
}
