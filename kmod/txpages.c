// SPDX-License-Identifier: GPL-2.0
/*
 * Recycled pages for TLS records.
 *
 * A sealed record's pages go to TCP, which keeps its own references until
 * the data is acknowledged (and, over loopback, read).  A fresh page costs
 * its zeroing on kernels with init_on_alloc, which is most of what sealing
 * costs beyond the cipher itself.  So the pages of a record that has been
 * fully handed to TCP are parked here, per CPU, and taken again for a later
 * record once TCP let go of them (the park's reference is the only one
 * left).  The receive side parks and takes its record pages the same way.
 * Parked pages hold nothing but records as they are on the wire (header,
 * ciphertext, tag): plaintext is wiped before pages come back
 * (tlsock_tx_discard_rec(), tlsock_rec_free()).
 *
 * The park is small and bounded (TLSOCK_TXP_SLOTS pages per CPU); when it is
 * full the oldest page is released to TCP's care.  It is emptied at unload.
 */
/* first: PREEMPT_RT's local_lock.h uses spinlock_t without including it */
#include <linux/spinlock.h>
#include <linux/local_lock.h>
#include <linux/mm.h>
#include <linux/percpu.h>

#include "tlsock.h"

#define TLSOCK_TXP_SLOTS	32

struct tlsock_txp {
	local_lock_t lock;
	unsigned int next;	/* slot to give up when all are taken */
	struct page *slot[TLSOCK_TXP_SLOTS];
};

static DEFINE_PER_CPU(struct tlsock_txp, tlsock_txp) = {
	.lock = INIT_LOCAL_LOCK(lock),
};

/**
 * tlsock_txp_get() - fill the empty entries of a page array
 * @pages: array; NULL entries are filled, from parked pages first
 * @n: entries of @pages
 * @gfp: allocation flags for what the park cannot give
 *
 * Context: any but hard interrupt (@gfp must fit it).
 * Return: entries of @pages filled (a prefix of it), @n unless memory ran out.
 */
int tlsock_txp_get(struct page **pages, int n, gfp_t gfp)
{
	struct tlsock_txp *p;
	unsigned long flags;
	int i, at = 0, got, last = -1;

	local_lock_irqsave(&tlsock_txp.lock, flags);
	p = this_cpu_ptr(&tlsock_txp);
	for (i = 0; i < TLSOCK_TXP_SLOTS && at < n; i++) {
		struct page *page = p->slot[i];

		/* only the park holds it: nothing can take a new reference now */
		if (!page || page_ref_count(page) != 1)
			continue;
		while (at < n && pages[at])
			at++;
		if (at == n)
			break;
		pages[at++] = page;
		p->slot[i] = NULL;
	}
	local_unlock_irqrestore(&tlsock_txp.lock, flags);
	/* the bulk allocator may stop short when the per-CPU lists run dry: go on while it moves */
	for (;;) {
		got = tlsock_alloc_pages_bulk(gfp | __GFP_NOWARN, n, pages);
		if (got >= n || got == last)
			return got;
		last = got;
	}
}

/**
 * tlsock_txp_put() - give up a record's page, parking it for reuse
 * @page: order-0 page holding no plaintext; the caller's reference moves
 *
 * Context: any but hard interrupt.
 */
void tlsock_txp_put(struct page *page)
{
	struct page *old = NULL;
	struct tlsock_txp *p;
	unsigned long flags;
	int i, k;

	local_lock_irqsave(&tlsock_txp.lock, flags);
	p = this_cpu_ptr(&tlsock_txp);
	for (i = 0; i < TLSOCK_TXP_SLOTS; i++)
		if (!p->slot[i])
			break;
	if (i == TLSOCK_TXP_SLOTS) {
		/* full: give up a page TCP still holds rather than one ready for use */
		for (k = 0; k < TLSOCK_TXP_SLOTS; k++) {
			i = (p->next + k) % TLSOCK_TXP_SLOTS;
			if (page_ref_count(p->slot[i]) != 1)
				break;
		}
		if (k == TLSOCK_TXP_SLOTS)
			i = p->next;
		p->next = (i + 1) % TLSOCK_TXP_SLOTS;
		old = p->slot[i];
	}
	p->slot[i] = page;
	local_unlock_irqrestore(&tlsock_txp.lock, flags);
	if (old)
		put_page(old);
}

/**
 * tlsock_txp_exit() - release every parked page
 *
 * Context: module unload, after the last socket is gone.
 */
void tlsock_txp_exit(void)
{
	int cpu, i;

	for_each_possible_cpu(cpu) {
		struct tlsock_txp *p = per_cpu_ptr(&tlsock_txp, cpu);

		for (i = 0; i < TLSOCK_TXP_SLOTS; i++) {
			if (p->slot[i])
				put_page(p->slot[i]);
			p->slot[i] = NULL;
		}
	}
}
