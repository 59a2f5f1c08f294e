// SPDX-License-Identifier: GPL-2.0
/*
 * Reused AEAD transforms.
 *
 * Every keyed direction needs a crypto_aead and a request for it, and
 * allocating them (algorithm lookup, the SIMD wrapper and its cryptd child,
 * the request) costs more than keying them.  A connection that lives for one
 * short exchange pays that four times.  So a released direction hands its
 * transform and request back here, per cipher suite, after its key schedule
 * has been overwritten with an all-zero key and the request's context
 * cleared; the next direction of the same suite takes them and sets its own
 * key.  A transform of one suite only ever holds keys of that suite's size,
 * so the zero key overwrites every byte of the old schedule.
 *
 * Rekeying needs a context that may sleep (some setkey paths allocate), so
 * only directions released where sleeping is allowed come back; the rest
 * are freed as before.  At most TLSOCK_AEAD_SPARE per suite are kept; all are freed at
 * unload.
 */
#include <linux/spinlock.h>
#include <crypto/aead.h>

#include "tlsock.h"

#define TLSOCK_AEAD_SPARE	8

struct tlsock_aead_spare {
	spinlock_t lock;
	unsigned int n;
	struct crypto_aead *aead[TLSOCK_AEAD_SPARE];
	struct aead_request *req[TLSOCK_AEAD_SPARE];
};

static struct tlsock_aead_spare tlsock_spares[TLSOCK_AEAD_SUITES];

/**
 * tlsock_aead_pool_init() - set the pools up
 */
void tlsock_aead_pool_init(void)
{
	int i;

	for (i = 0; i < TLSOCK_AEAD_SUITES; i++)
		spin_lock_init(&tlsock_spares[i].lock);
}

/**
 * tlsock_aead_take() - a keyless transform of suite @suite, if one is spare
 * @suite: index of the cipher suite (cipher.c)
 * @req: its request
 *
 * Return: the transform (authsize already set), or NULL.
 */
struct crypto_aead *tlsock_aead_take(unsigned int suite, struct aead_request **req)
{
	struct tlsock_aead_spare *s = &tlsock_spares[suite];
	struct crypto_aead *aead = NULL;

	spin_lock_bh(&s->lock);
	if (s->n) {
		s->n--;
		aead = s->aead[s->n];
		*req = s->req[s->n];
	}
	spin_unlock_bh(&s->lock);
	return aead;
}

/**
 * tlsock_aead_give() - hand a released direction's transform back
 * @suite: index of the cipher suite (cipher.c)
 * @key_len: the suite's key length
 * @aead: transform, keyed
 * @req: its request, idle
 *
 * Context: any; where it may not sleep nothing is kept.
 * Return: true when both were kept (wiped), false when the caller frees them.
 */
bool tlsock_aead_give(unsigned int suite, unsigned int key_len, struct crypto_aead *aead,
		      struct aead_request *req)
{
	static const u8 zero_key[32];
	struct tlsock_aead_spare *s = &tlsock_spares[suite];
	bool kept = false;

	/* setkey may sleep; TCP may destroy a socket with its lock (bh off) held */
	if (!preemptible() || key_len > sizeof(zero_key))
		return false;
	if (READ_ONCE(s->n) == TLSOCK_AEAD_SPARE)
		return false;
	if (crypto_aead_setkey(aead, zero_key, key_len))
		return false;
	/* every use sets tfm, callback and buffers again (tlsock_aead_crypt()) */
	memzero_explicit(req, sizeof(*req) + crypto_aead_reqsize(aead));

	spin_lock_bh(&s->lock);
	if (s->n < TLSOCK_AEAD_SPARE) {
		s->aead[s->n] = aead;
		s->req[s->n] = req;
		s->n++;
		kept = true;
	}
	spin_unlock_bh(&s->lock);
	return kept;
}

/**
 * tlsock_aead_pool_exit() - free every spare transform
 *
 * Context: module unload, after the last socket is gone.
 */
void tlsock_aead_pool_exit(void)
{
	int i;

	for (i = 0; i < TLSOCK_AEAD_SUITES; i++) {
		struct tlsock_aead_spare *s = &tlsock_spares[i];

		while (s->n) {
			s->n--;
			aead_request_free(s->req[s->n]);
			crypto_free_aead(s->aead[s->n]);
		}
	}
}
