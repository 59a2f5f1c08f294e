/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One reading of the kernel's memory, object-exact where it can be (see kmem.c). Shared by
 * tlsbench's memory measure and hsflood's leak check.
 */
#ifndef TLSOCK_BENCH_KMEM_H
#define TLSOCK_BENCH_KMEM_H

struct tlsock_bench_kmem {
	double slab_kb;		/* live slab objects */
	double pages_kb;	/* kernel pages outside the slab */
};

int tlsock_bench_kmem_read(struct tlsock_bench_kmem *m);
int tlsock_bench_kmem_read_settled(struct tlsock_bench_kmem *m);

#define TB_SLABS_MAX	1024

/* Bytes in live objects of each slab cache, as /proc/slabinfo shows them. */
struct tlsock_bench_slabs {
	unsigned int n;
	struct {
		char name[48];
		double kb;
	} c[TB_SLABS_MAX];
};

/* How much one cache grew between two snapshots. */
struct tlsock_bench_slab_delta {
	char name[48];
	double kib;
};

int tlsock_bench_slabs_read(struct tlsock_bench_slabs *s);
unsigned int tlsock_bench_slabs_grew(const struct tlsock_bench_slabs *a,
				     const struct tlsock_bench_slabs *b,
				     struct tlsock_bench_slab_delta *top, unsigned int n);

static inline double tlsock_bench_kmem_kb(const struct tlsock_bench_kmem *m)
{
	return m->slab_kb + m->pages_kb;
}

#endif /* TLSOCK_BENCH_KMEM_H */
