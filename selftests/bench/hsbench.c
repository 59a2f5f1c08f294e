// SPDX-License-Identifier: GPL-2.0
/*
 * hsbench: handshakes per second and connection set-up latency (p50, p99) of tlsock's managed
 * handshakes through a running tlsockd, against the same mutual-TLS handshake done in-process
 * with GnuTLS. Same certificates, same priority string (one version, one cipher, one group),
 * same concurrency, with and without resumption. A benchmark, not a test: hs-bench.sh starts
 * the daemon with the profiles `hsbench --print-conf` writes and runs it in the VM.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/tls.h>
#include <linux/tlsock.h>

#include "hsbench.h"

#define PRIO_COMMON ":-KX-ALL:+ECDHE-ECDSA:-CIPHER-ALL:+AES-128-GCM:-MAC-ALL:+AEAD:" \
		    "-GROUP-ALL:+GROUP-X25519"

const struct hb_version hb_versions[] = {
	{ "tls13", "NORMAL:-VERS-ALL:+VERS-TLS1.3" PRIO_COMMON, GNUTLS_TLS1_3, TLS_1_3_VERSION,
	  TLS_CIPHER_AES_GCM_128 },
	{ "tls12", "NORMAL:-VERS-ALL:+VERS-TLS1.2" PRIO_COMMON, GNUTLS_TLS1_2, TLS_1_2_VERSION,
	  TLS_CIPHER_AES_GCM_128 },
};
const size_t hb_nversions = HB_ARRAY_SIZE(hb_versions);

static const struct hb_stack_ops *const stacks[HB_NSTACKS] = {
	[HB_GNUTLS] = &hb_gnutls_ops,
	[HB_TLSOCK] = &hb_tlsock_ops,
};

#define MAX_CASES	32
#define MAX_REPS	20

struct opts {
	const char *pki;
	bool print_conf;
	bool stack_on[HB_NSTACKS];
	bool ver_on[HB_ARRAY_SIZE(hb_versions)];
	bool resume_on[2];
	unsigned int pairs[4];
	unsigned int npairs;
	double seconds;
	unsigned int reps;
	unsigned int warmup;
	int cpu;
	const char *summary;
	bool dist;
};

static void usage(int rc)
{
	fprintf(rc ? stderr : stdout,
		"usage: hsbench --pki DIR [options]      measure (tlsockd must run with the profiles)\n"
		"       hsbench --pki DIR --print-conf    the tlsockd.conf profiles it needs\n"
		"  --stacks LIST    gnutls,tlsock (default both)\n"
		"  --versions LIST  tls13,tls12 (default both)\n"
		"  --resume LIST    no,yes (default both)\n"
		"  --pairs LIST     concurrent client/server pairs, e.g. 1,8 (default)\n"
		"  --seconds S      timed part of each run (default 2)\n"
		"  --reps N         repetitions, interleaved across stacks (default 3)\n"
		"  --warmup N       untimed connections per pair before each run (default 2)\n"
		"  --cpu N          pin to CPU N, -1: do not pin (default 0; pin tlsockd alike)\n"
		"  --summary FILE   also write the key=value lines to FILE\n"
		"  --dist           also print each run's latency distribution (p10 to max)\n"
		"PKI DIR holds ca.pem, server.pem/.key (server.test), client.pem/.key.\n");
	exit(rc);
}

static bool in_list(const char *list, const char *word)
{
	char buf[128], *tok, *save;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (!strcmp(tok, word))
			return true;
	return false;
}

static void parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "pki", required_argument, NULL, 'k' },
		{ "print-conf", no_argument, NULL, 'C' },
		{ "stacks", required_argument, NULL, 's' },
		{ "versions", required_argument, NULL, 'v' },
		{ "resume", required_argument, NULL, 'r' },
		{ "pairs", required_argument, NULL, 'p' },
		{ "seconds", required_argument, NULL, 't' },
		{ "reps", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "summary", required_argument, NULL, 'S' },
		{ "dist", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *st = "gnutls,tlsock", *ve = "tls13,tls12", *re = "no,yes", *pa = "1,8";
	char buf[64], *tok, *save;
	size_t i;
	int c;

	*o = (struct opts){ .seconds = 2, .reps = 3, .warmup = 2, .cpu = 0 };
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'k':
			o->pki = optarg;
			break;
		case 'C':
			o->print_conf = true;
			break;
		case 's':
			st = optarg;
			break;
		case 'v':
			ve = optarg;
			break;
		case 'r':
			re = optarg;
			break;
		case 'p':
			pa = optarg;
			break;
		case 't':
			o->seconds = atof(optarg);
			break;
		case 'n':
			o->reps = atoi(optarg);
			break;
		case 'w':
			o->warmup = atoi(optarg);
			break;
		case 'c':
			o->cpu = atoi(optarg);
			break;
		case 'S':
			o->summary = optarg;
			break;
		case 'D':
			o->dist = true;
			break;
		case 'h':
			usage(0);
			break;
		default:
			usage(2);
		}
	}
	if (!o->pki || optind != argc || o->seconds <= 0 || !o->reps || o->reps > MAX_REPS)
		usage(2);
	for (i = 0; i < HB_NSTACKS; i++)
		o->stack_on[i] = in_list(st, stacks[i]->name);
	for (i = 0; i < hb_nversions; i++)
		o->ver_on[i] = in_list(ve, hb_versions[i].name);
	o->resume_on[0] = in_list(re, "no");
	o->resume_on[1] = in_list(re, "yes");
	snprintf(buf, sizeof(buf), "%s", pa);
	for (tok = strtok_r(buf, ",", &save); tok && o->npairs < HB_ARRAY_SIZE(o->pairs);
	     tok = strtok_r(NULL, ",", &save)) {
		c = atoi(tok);
		if (c < 1 || c > HB_MAX_PAIRS)
			usage(2);
		o->pairs[o->npairs++] = c;
	}
	if (!o->npairs)
		usage(2);
}

/* The tlsockd.conf profiles hs_tlsock.c asks for: the same settings as hs_gnutls.c. */
static void print_conf(const char *pki)
{
	struct hb_case c;
	char name[TLSOCK_PROFILE_MAX];
	size_t v;
	int r, srv;

	printf("; written by hsbench --print-conf: the same priority strings, certificates and\n"
	       "; ticket settings as its in-process GnuTLS baseline\n");
	for (v = 0; v < hb_nversions; v++) {
		for (r = 0; r < 2; r++) {
			for (srv = 1; srv >= 0; srv--) {
				c = (struct hb_case){ .ver = &hb_versions[v], .resume = r };
				hb_profile_name(name, sizeof(name), &c, srv);
				printf("\n[profile %s]\ncert = %s/%s.pem\nkey = %s/%s.key\n"
				       "ca = %s/ca.pem\npriority = %s\ntickets = %s\n", name,
				       pki, srv ? "server" : "client", pki,
				       srv ? "server" : "client", pki, c.ver->prio,
				       r ? "yes" : "no");
				if (srv)
					printf("client_auth = require\n");
			}
		}
	}
}

struct cell {
	struct hb_result runs[MAX_REPS];
	unsigned int nruns;
};

static const struct hb_result *best(const struct cell *cl)
{
	const struct hb_result *b = NULL;
	unsigned int i;

	for (i = 0; i < cl->nruns; i++)
		if (!cl->runs[i].err && (!b || cl->runs[i].rate > b->rate))
			b = &cl->runs[i];
	return b;
}

/* Largest best-to-worst gap of the rates, as a fraction of the best. */
static double noise(const struct cell *cl)
{
	double lo = 0, hi = 0;
	unsigned int i;

	for (i = 0; i < cl->nruns; i++) {
		if (cl->runs[i].err)
			continue;
		if (!lo || cl->runs[i].rate < lo)
			lo = cl->runs[i].rate;
		if (cl->runs[i].rate > hi)
			hi = cl->runs[i].rate;
	}
	return hi ? (hi - lo) / hi : 0;
}

static void case_name(char *buf, size_t size, const struct hb_case *c)
{
	snprintf(buf, size, "%s.%s.c%u", c->ver->name, c->resume ? "resumed" : "full", c->pairs);
}

static double frac(unsigned long a, unsigned long b)
{
	return b ? (double)a / b : 0;
}

/* A resumption case counts only when (nearly) every connection of the stack resumed. */
static bool all_resumed(const struct hb_result *r)
{
	return r->conns && r->resumed * 100 >= r->conns * 99 &&
	       r->server_resumed * 100 >= r->served * 99;
}

static int report(const struct opts *o, const struct hb_case *cases, size_t ncases,
		  struct cell cells[][HB_NSTACKS])
{
	const struct hb_result *g, *t;
	unsigned int met = 0, judged = 0, unresumed = 0;
	FILE *sum = NULL;
	char name[64], line[256];
	size_t i;

	if (o->summary)
		sum = fopen(o->summary, "w");
	printf("\nhandshakes: mutual TLS, ECDSA P-256 certificates, X25519, AES-128-GCM;"
	       " best of %u runs of %.1f s\n", o->reps, o->seconds);
	printf("%-20s %9s %9s %6s   %15s %15s %6s   %-17s %5s\n", "case", "gnutls/s", "tlsock/s",
	       "rate", "gnutls p50/p99", "tlsock p50/p99", "p99", "resumed g | t", "noise");
	for (i = 0; i < ncases; i++) {
		const struct hb_case *c = &cases[i];
		double nz = noise(&cells[i][HB_GNUTLS]);
		char gl[32], tl[32], rs[32];

		if (noise(&cells[i][HB_TLSOCK]) > nz)
			nz = noise(&cells[i][HB_TLSOCK]);
		case_name(name, sizeof(name), c);
		g = o->stack_on[HB_GNUTLS] ? best(&cells[i][HB_GNUTLS]) : NULL;
		t = o->stack_on[HB_TLSOCK] ? best(&cells[i][HB_TLSOCK]) : NULL;
		snprintf(gl, sizeof(gl), g ? "%.1f/%.1f ms" : "-", g ? g->p50_ms : 0,
			 g ? g->p99_ms : 0);
		snprintf(tl, sizeof(tl), t ? "%.1f/%.1f ms" : "-", t ? t->p50_ms : 0,
			 t ? t->p99_ms : 0);
		snprintf(rs, sizeof(rs), "%s%3.0f%% | %3.0f%%", "", g ? 100 * frac(g->resumed, g->conns)
			 : 0, t ? 100 * frac(t->resumed, t->conns) : 0);
		printf("%-20s %9.1f %9.1f %5.2fx   %15s %15s %5.2fx   %-17s %4.0f%%\n", name,
		       g ? g->rate : 0, t ? t->rate : 0, g && t && g->rate ? t->rate / g->rate : 0,
		       gl, tl, g && t && g->p99_ms ? t->p99_ms / g->p99_ms : 0,
		       c->resume ? rs : "-", 100 * nz);
		if (sum) {
			const struct hb_result *rr[HB_NSTACKS] = { g, t };
			int s;

			for (s = 0; s < HB_NSTACKS; s++) {
				if (!rr[s])
					continue;
				fprintf(sum, "hs.%s.%s.rate=%.1f\nhs.%s.%s.p50_ms=%.2f\n"
					"hs.%s.%s.p99_ms=%.2f\nhs.%s.%s.resumed=%.2f\n"
					"hs.%s.%s.server_resumed=%.2f\nhs.%s.%s.conns=%lu\n",
					name, stacks[s]->name, rr[s]->rate, name, stacks[s]->name,
					rr[s]->p50_ms, name, stacks[s]->name, rr[s]->p99_ms, name,
					stacks[s]->name, frac(rr[s]->resumed, rr[s]->conns), name,
					stacks[s]->name, frac(rr[s]->server_resumed, rr[s]->served),
					name, stacks[s]->name, rr[s]->conns);
			}
			if (g && t)
				fprintf(sum, "hs.%s.tlsock_vs_gnutls.rate=%.2f\n"
					"hs.%s.tlsock_vs_gnutls.p99=%.2f\n", name, t->rate / g->rate,
					name, t->p99_ms / g->p99_ms);
		}
	}
	printf("\n");
	for (i = 0; i < ncases; i++) {
		const struct hb_case *c = &cases[i];
		bool ok;

		g = best(&cells[i][HB_GNUTLS]);
		t = best(&cells[i][HB_TLSOCK]);
		if (!g || !t)
			continue;
		case_name(name, sizeof(name), c);
		if (c->resume && !all_resumed(g)) {
			printf("%s: the GnuTLS baseline resumed only %lu of %lu: no resumption "
			       "figure\n", name, g->resumed, g->conns);
			unresumed++;
			continue;
		}
		if (c->resume && !all_resumed(t)) {
			printf("%s: tlsock NOT resumed (client %lu of %lu, server %lu of %lu): "
			       "these are full handshakes against resumed ones\n", name, t->resumed,
			       t->conns, t->server_resumed, t->served);
			unresumed++;
			continue;
		}
		judged++;
		ok = t->rate >= 0.8 * g->rate && t->p99_ms <= 1.5 * g->p99_ms;
		met += ok;
		snprintf(line, sizeof(line), "%s: rate %.2fx, p99 %.2fx: %s", name, t->rate / g->rate,
			 t->p99_ms / g->p99_ms, ok ? "target met" : "target NOT met");
		printf("%s\n", line);
	}
	printf("target (tlsock >= 0.80x the in-process rate, p99 <= 1.50x): met in %u of %u "
	       "cases%s\n", met, judged, unresumed ? ", resumption not measurable in the rest" :
	       "");
	if (sum) {
		fprintf(sum, "hs.target_met=%u\nhs.target_judged=%u\nhs.not_resumed=%u\n", met,
			judged, unresumed);
		fclose(sum);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct cell cells[MAX_CASES][HB_NSTACKS];
	struct hb_case cases[MAX_CASES];
	char why[256] = "", name[64];
	size_t ncases = 0, v, i;
	unsigned int rep, k;
	int r, s, err, failed = 0;
	struct opts o;

	parse(argc, argv, &o);
	if (o.print_conf) {
		print_conf(o.pki);
		return 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (o.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(o.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			fprintf(stderr, "hsbench: cannot pin to CPU %d: %s\n", o.cpu, strerror(errno));
	}
	gnutls_global_init();
	for (s = 0; s < HB_NSTACKS; s++) {
		if (!o.stack_on[s])
			continue;
		err = stacks[s]->init(o.pki, why, sizeof(why));
		if (err) {
			fprintf(stderr, "hsbench: %s: %s (%s)\n", stacks[s]->name, why,
				strerror(-err));
			return 1;
		}
	}
	for (v = 0; v < hb_nversions; v++)
		for (r = 0; r < 2; r++)
			for (k = 0; k < o.npairs; k++)
				if (o.ver_on[v] && o.resume_on[r] && ncases < MAX_CASES)
					cases[ncases++] = (struct hb_case){
						.ver = &hb_versions[v], .resume = r,
						.pairs = o.pairs[k] };

	printf("hsbench: %zu cases x %u reps, %.1f s each, %s\n", ncases, o.reps, o.seconds,
	       o.cpu >= 0 ? "pinned to one CPU" : "not pinned");
	for (rep = 0; rep < o.reps; rep++) {
		for (i = 0; i < ncases; i++) {
			for (k = 0; k < HB_NSTACKS; k++) {
				/* alternate which stack goes first, so host noise hits both alike */
				s = (k + rep + i) % HB_NSTACKS;
				struct cell *cl = &cells[i][s];
				struct hb_result *res = &cl->runs[cl->nruns];

				if (!o.stack_on[s])
					continue;
				hb_run(stacks[s], &cases[i], o.seconds, o.warmup, res);
				cl->nruns++;
				case_name(name, sizeof(name), &cases[i]);
				if (res->err) {
					failed++;
					printf("run %u %-18s %-6s FAILED: %s (%s)\n", rep + 1, name,
					       stacks[s]->name, res->why, strerror(-res->err));
					continue;
				}
				printf("run %u %-18s %-6s %7.1f/s p50 %6.1f ms p99 %6.1f ms "
				       "(%lu conns, resumed %lu, server resumed %lu of %lu)\n",
				       rep + 1, name, stacks[s]->name, res->rate, res->p50_ms,
				       res->p99_ms, res->conns, res->resumed, res->server_resumed,
				       res->served);
				if (o.dist)
					printf("run %u %-18s %-6s ms: p10 %.1f p25 %.1f p50 %.1f "
					       "p75 %.1f p90 %.1f p95 %.1f p99 %.1f max %.1f\n",
					       rep + 1, name, stacks[s]->name, res->pct_ms[0],
					       res->pct_ms[1], res->p50_ms, res->pct_ms[2],
					       res->pct_ms[3], res->pct_ms[4], res->p99_ms,
					       res->pct_ms[5]);
			}
		}
	}
	report(&o, cases, ncases, cells);
	for (s = 0; s < HB_NSTACKS; s++)
		if (o.stack_on[s])
			stacks[s]->exit();
	gnutls_global_deinit();
	if (failed)
		printf("hsbench: %d runs FAILED\n", failed);
	return failed ? 1 : 0;
}
