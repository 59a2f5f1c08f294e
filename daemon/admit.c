// SPDX-License-Identifier: GPL-2.0
/*
 * Admission: whether a claimed request may hold a worker for its handshake.
 *
 * A handshake holds its worker until it ends, and the pool is small and
 * shared by every role and profile.  So a peer may not take it all:
 *
 *  - Server handshakes leave "client_workers" workers of the pool to
 *    clients: outgoing connections of this host never wait behind the
 *    peers that connect to it.  Client handshakes may use the whole pool.
 *    The last "client_workers" workers claim client requests only
 *    (tlsockd_admit_roles(), the kernel's role filter of ACCEPT), so server
 *    requests beyond the others wait in the kernel's queue, which has its
 *    own cap and timeout, and none is claimed only to be refused.
 *  - A server runs at most "max_per_peer" handshakes at once with one
 *    peer address; IPv6 peers count by their /64, the least a site gets.
 *
 * A request over the peer limit fails at once with EBUSY, before any byte
 * of its handshake: it costs the worker a DONE, not a handshake.  So does
 * a server request over the role budget, which only a reload that shrinks
 * the budget while server handshakes run can let through.  The kernel
 * has already made a server's peer speak first (hs_first_byte_ms) and caps
 * each user's pending requests (hs_max_pending_user); the transport cuts
 * a peer that stops sending (handshake_idle_ms, transport.c).
 *
 * The counts are the daemon's, under adm.lock; the limits are read from
 * the configuration each handshake runs with, so a reload changes them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "tlsockd.h"

/**
 * struct peer_slot - server handshakes in progress with one address
 * @af: AF_INET or AF_INET6, 0: free
 * @addr: the address (IPv6: its /64, the rest zero)
 * @n: handshakes
 */
struct peer_slot {
	int af;
	uint8_t addr[16];
	unsigned int n;
};

static struct {
	pthread_mutex_t lock;
	unsigned int workers;		/* pool size, 0: no pool (no role budget) */
	unsigned int servers;		/* lock: server handshakes admitted */
	struct peer_slot peers[TLSOCKD_MAX_WORKERS];	/* lock */
} adm = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

/**
 * tlsockd_admit_init() - the pool the budgets divide
 * @workers: worker threads
 */
void tlsockd_admit_init(unsigned int workers)
{
	pthread_mutex_lock(&adm.lock);
	adm.workers = workers;
	pthread_mutex_unlock(&adm.lock);
}

/**
 * tlsockd_admit_reserve() - workers that server handshakes leave to clients
 * @conf: configuration
 * @workers: pool size
 *
 * Return: "client_workers" if the file says, else a quarter of the pool
 * (rounded up); never the whole pool.
 */
unsigned int tlsockd_admit_reserve(const struct tlsockd_conf *conf, unsigned int workers)
{
	unsigned int r;

	if (workers < 2)
		return 0;
	r = conf->client_workers >= 0 ? (unsigned int)conf->client_workers : (workers + 3) / 4;
	return r < workers ? r : workers - 1;
}

/**
 * tlsockd_admit_roles() - the requests worker @index may claim
 * @conf: the configuration in force
 * @index: the worker's place in the pool, from 0
 *
 * Return: 0 (any role) for the first workers, TLSOCK_ROLE_CLIENT for the
 * last tlsockd_admit_reserve() of them: at most the others ever hold
 * server handshakes.
 */
uint32_t tlsockd_admit_roles(const struct tlsockd_conf *conf, unsigned int index)
{
	unsigned int workers;

	pthread_mutex_lock(&adm.lock);
	workers = adm.workers;
	pthread_mutex_unlock(&adm.lock);
	if (!workers || index < workers - tlsockd_admit_reserve(conf, workers))
		return 0;
	return TLSOCK_ROLE_CLIENT;
}

/* The address a limit counts: the request's, an IPv6 one cut to its /64; false if none. */
static bool peer_key(const struct tlsockd_request *req, struct peer_slot *key)
{
	const void *addr;
	uint16_t port;

	memset(key, 0, sizeof(*key));
	if (!tlsockd_peer_ip(req, &key->af, &addr, &port))
		return false;
	memcpy(key->addr, addr, key->af == AF_INET ? 4 : 8);
	return true;
}

/* The slot of @key, or a free one to take it (NULL if none). */
static struct peer_slot *peer_find(const struct peer_slot *key, bool add)
{
	struct peer_slot *free_slot = NULL;
	unsigned int i;

	for (i = 0; i < TLSOCKD_MAX_WORKERS; i++) {
		struct peer_slot *ps = &adm.peers[i];

		if (ps->af == key->af && !memcmp(ps->addr, key->addr, sizeof(ps->addr)))
			return ps;
		if (!ps->af && !free_slot)
			free_slot = ps;
	}
	if (!add || !free_slot)
		return NULL;
	*free_slot = *key;
	return free_slot;
}

/**
 * tlsockd_admit() - may @req hold a worker for its handshake?
 * @conf: the configuration the handshake would run with
 * @req: the claimed request
 * @why: the reason for the log when not
 * @whylen: size of @why
 *
 * Admitted, @req must end with tlsockd_admit_end().
 *
 * Return: 0, or -EBUSY when a budget is spent.
 */
int tlsockd_admit(const struct tlsockd_conf *conf, const struct tlsockd_request *req,
		  char *why, size_t whylen)
{
	struct peer_slot key, *ps = NULL;
	unsigned int budget;
	int err = 0;

	if (req->role != TLSOCK_ROLE_SERVER)
		return 0;
	pthread_mutex_lock(&adm.lock);
	budget = adm.workers ? adm.workers - tlsockd_admit_reserve(conf, adm.workers) : 0;
	if (budget && adm.servers >= budget) {
		snprintf(why, whylen, "all %u workers for server handshakes are busy "
			 "(client_workers keeps %u for clients)", budget, adm.workers - budget);
		err = -EBUSY;
		goto out;
	}
	/* counted with or without a limit, so that a reload may set one */
	if (peer_key(req, &key)) {
		ps = peer_find(&key, true);
		if (!ps || (conf->max_per_peer && ps->n >= conf->max_per_peer)) {
			snprintf(why, whylen, "%u handshakes in progress with this peer "
				 "(max_per_peer)", ps ? ps->n : TLSOCKD_MAX_WORKERS);
			err = -EBUSY;
			goto out;
		}
	}
	if (ps)
		ps->n++;
	adm.servers++;
out:
	pthread_mutex_unlock(&adm.lock);
	return err;
}

/**
 * tlsockd_admit_end() - the handshake of an admitted request ended
 * @req: the request
 */
void tlsockd_admit_end(const struct tlsockd_request *req)
{
	struct peer_slot key, *ps;

	if (req->role != TLSOCK_ROLE_SERVER)
		return;
	pthread_mutex_lock(&adm.lock);
	adm.servers--;
	if (peer_key(req, &key)) {
		ps = peer_find(&key, false);
		if (ps && !--ps->n)
			ps->af = 0;
	}
	pthread_mutex_unlock(&adm.lock);
}
