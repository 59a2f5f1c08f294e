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

static inline double tlsock_bench_kmem_kb(const struct tlsock_bench_kmem *m)
{
	return m->slab_kb + m->pages_kb;
}

#endif /* TLSOCK_BENCH_KMEM_H */
