// SPDX-License-Identifier: GPL-2.0
/*
 * Client-side resumption.
 *
 * The cache: resumption data keyed by profile and by what the client
 * checked its server against (the server_name, or the address and port;
 * see verify.c), a small table with least-recently-stored eviction.  A
 * TLS 1.2 session goes in when its handshake ends (its ticket came inside
 * the handshake).  An entry remembers when the full handshake it descends
 * from was made: no chain of resumptions outlives TLSOCKD_RESUME_LIFETIME.
 * A resumed session is verified again under the current credentials
 * (verify.c); one that fails is dropped from the cache.
 *
 * A TLS 1.3 ticket (NewSessionTicket) arrives after the handshake, when the
 * kernel already owns the record layer.  So the client session of a
 * finished TLS 1.3 handshake is held here for a short while (HELD_SECONDS,
 * at most HELD_SLOTS sessions), keyed by the kernel's request id; its DONE
 * names our listening netlink port, and the kernel forwards the decrypted
 * NewSessionTicket messages there (TICKET).  Each one is fed to the held
 * session with GnuTLS's handshake-message interface (gnutls_handshake_write
 * at the application level: after the initial negotiation GnuTLS processes
 * it as a post-handshake message, without any transport I/O once a
 * handshake read function is set), and the resulting resumption data goes
 * into the cache.  A held session never touches the socket again: its
 * transport is cut off.  Requests ids are only unique while the kernel
 * holds them; a ticket for an id we do not hold (daemon restarted, session
 * expired) is dropped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tlsockd.h"

#define RESUME_SLOTS	256
#define HELD_SLOTS	64
#define HELD_SECONDS	30

/* profile, NUL, server name or "[address]:port" */
#define KEY_SIZE	(TLSOCK_PROFILE_MAX + TLSOCK_SERVER_NAME_MAX + 8)

/**
 * struct slot - cached resumption data
 * @key: make_key()
 * @data: the session (holds its master secret: wiped)
 * @stored: tlsockd_now_ms() when stored (eviction)
 * @born: tlsockd_now_ms() of the full handshake the session descends from
 */
struct slot {
	char key[KEY_SIZE];
	gnutls_datum_t data;
	int64_t stored;
	int64_t born;
};

struct held {
	gnutls_session_t s;
	struct tlsockd_gen *gen;	/* the session uses its credentials */
	uint32_t id;
	char key[KEY_SIZE];
	int64_t born;
	int64_t until_ms;
};

static pthread_mutex_t resume_lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot slots[RESUME_SLOTS];	/* resume_lock */
static struct held held[HELD_SLOTS];	/* resume_lock */
static uint32_t ticket_port;		/* resume_lock */

static void slot_clear(struct slot *sl)
{
	tlsockd_secret_free(sl->data.data, sl->data.size);	/* wipes */
	memset(sl, 0, sizeof(*sl));
}

static void held_clear(struct held *h)
{
	if (h->s)
		gnutls_deinit(h->s);
	tlsockd_gen_put(h->gen);
	memset(h, 0, sizeof(*h));
}

static void make_key(char *key, size_t size, const char *profile, const char *name)
{
	size_t n = strlen(profile);

	memset(key, 0, size);
	memcpy(key, profile, n);	/* profile "\0" name: no ambiguity */
	strncpy(key + n + 1, name, size - n - 2);
}

static struct slot *find(const char *key, size_t size)
{
	int i;

	for (i = 0; i < RESUME_SLOTS; i++)
		if (slots[i].data.data && !memcmp(slots[i].key, key, size))
			return &slots[i];
	return NULL;
}

/* Take the resumption data of @s, if it has a ticket.  resume_lock held. */
static int store_locked(const char *key, gnutls_session_t s, int64_t born)
{
	struct slot *sl, *oldest;
	gnutls_datum_t data, copy;
	int i;

	if (!(gnutls_session_get_flags(s) & GNUTLS_SFLAGS_SESSION_TICKET))
		return -ENOENT;
	if (gnutls_session_get_data2(s, &data) < 0)
		return -ENOMEM;
	/* it holds the session's master secret: kept out of core dumps (secret.c) */
	copy.size = data.size;
	copy.data = tlsockd_secret_alloc(data.size);
	if (copy.data)
		memcpy(copy.data, data.data, data.size);
	gnutls_memset(data.data, 0, data.size);
	gnutls_free(data.data);
	if (!copy.data)
		return -ENOMEM;
	sl = find(key, KEY_SIZE);
	if (!sl) {
		oldest = &slots[0];
		for (i = 0; i < RESUME_SLOTS; i++) {
			if (!slots[i].data.data) {
				oldest = &slots[i];
				break;
			}
			if (slots[i].stored < oldest->stored)
				oldest = &slots[i];
		}
		sl = oldest;
	}
	slot_clear(sl);
	memcpy(sl->key, key, KEY_SIZE);
	sl->data = copy;
	sl->stored = tlsockd_now_ms();
	sl->born = born;
	return 0;
}

/**
 * tlsockd_resume_store() - cache the session of a finished TLS 1.2 handshake
 * @profile: profile name
 * @name: what the server was checked against (tlsockd_check_names())
 * @s: the session
 * @born: tlsockd_now_ms() of the full handshake @s descends from
 */
void tlsockd_resume_store(const char *profile, const char *name, gnutls_session_t s,
			  int64_t born)
{
	char key[KEY_SIZE];

	make_key(key, sizeof(key), profile, name);
	pthread_mutex_lock(&resume_lock);
	store_locked(key, s, born);
	pthread_mutex_unlock(&resume_lock);
}

/**
 * tlsockd_resume_load() - offer the cached session for @profile and @name
 * @profile: profile name
 * @name: what the server is checked against (tlsockd_check_names())
 * @s: client session, before its handshake
 *
 * Return: when the full handshake of the offered session was made, 0 when
 * none is offered.
 */
int64_t tlsockd_resume_load(const char *profile, const char *name, gnutls_session_t s)
{
	char key[KEY_SIZE];
	struct slot *sl;
	int64_t born = 0;

	make_key(key, sizeof(key), profile, name);
	pthread_mutex_lock(&resume_lock);
	sl = find(key, sizeof(key));
	if (sl && tlsockd_now_ms() - sl->born > TLSOCKD_RESUME_LIFETIME * 1000LL) {
		slot_clear(sl);
		sl = NULL;
	}
	if (sl && gnutls_session_set_data(s, sl->data.data, sl->data.size) >= 0)
		born = sl->born;
	pthread_mutex_unlock(&resume_lock);
	return born;
}

/**
 * tlsockd_resume_forget() - drop the cached session for @profile and @name
 * @profile: profile name
 * @name: what the server was checked against
 */
void tlsockd_resume_forget(const char *profile, const char *name)
{
	char key[KEY_SIZE];
	struct slot *sl;

	make_key(key, sizeof(key), profile, name);
	pthread_mutex_lock(&resume_lock);
	sl = find(key, sizeof(key));
	if (sl)
		slot_clear(sl);
	pthread_mutex_unlock(&resume_lock);
}

/* Held sessions must not read, write or log anything any more. */
static ssize_t no_pull(gnutls_transport_ptr_t p, void *buf, size_t len)
{
	(void)p, (void)buf, (void)len;
	errno = EIO;
	return -1;
}

static ssize_t no_push(gnutls_transport_ptr_t p, const void *buf, size_t len)
{
	(void)p, (void)buf, (void)len;
	errno = EIO;
	return -1;
}

static int no_pull_timeout(gnutls_transport_ptr_t p, unsigned int ms)
{
	(void)p, (void)ms;
	errno = EIO;
	return -1;
}

static ssize_t no_vec_push(gnutls_transport_ptr_t p, const giovec_t *iov, int n)
{
	(void)p, (void)iov, (void)n;
	errno = EIO;
	return -1;
}

static int no_keylog(gnutls_session_t s, const char *label, const gnutls_datum_t *secret)
{
	(void)s, (void)label, (void)secret;
	return 0;
}

/* Handshake messages the session would send: none is expected after a ticket. */
static int no_send(gnutls_session_t s, gnutls_record_encryption_level_t level,
		   gnutls_handshake_description_t type, const void *data, size_t len)
{
	(void)s, (void)level, (void)type, (void)data, (void)len;
	return GNUTLS_E_INVALID_REQUEST;
}

static void expire_locked(int64_t now)
{
	int i;

	for (i = 0; i < HELD_SLOTS; i++)
		if (held[i].s && held[i].until_ms <= now)
			held_clear(&held[i]);
}

/**
 * tlsockd_resume_hold() - keep a finished TLS 1.3 client session for its tickets
 * @gen: generation whose credentials @s uses (referenced while held)
 * @id: request id
 * @profile: profile name
 * @name: what the server was checked against (tlsockd_check_names())
 * @born: tlsockd_now_ms() of the full handshake @s descends from
 * @s: the session; on success it is ours (the caller must not use it again)
 * @port: set to the netlink port the kernel must send the tickets to
 *
 * Return: 0, or -ENOTCONN when no listening port is set (the session stays
 * the caller's).
 */
int tlsockd_resume_hold(const struct tlsockd_gen *gen, uint32_t id, const char *profile,
			const char *name, int64_t born, gnutls_session_t s, uint32_t *port)
{
	int64_t now = tlsockd_now_ms();
	struct held *h = NULL;
	int i;

	pthread_mutex_lock(&resume_lock);
	if (!ticket_port) {
		pthread_mutex_unlock(&resume_lock);
		return -ENOTCONN;
	}
	expire_locked(now);
	for (i = 0; i < HELD_SLOTS && !h; i++)
		if (held[i].s && held[i].id == id)
			h = &held[i];	/* an id the kernel reused: the old one is stale */
	for (i = 0; i < HELD_SLOTS && !h; i++)
		if (!held[i].s)
			h = &held[i];
	if (!h) {
		h = &held[0];	/* full: evict the oldest */
		for (i = 1; i < HELD_SLOTS; i++)
			if (held[i].until_ms < h->until_ms)
				h = &held[i];
	}
	held_clear(h);
	gnutls_session_set_ptr(s, NULL);
	gnutls_session_set_keylog_function(s, no_keylog);
	gnutls_transport_set_ptr(s, NULL);
	gnutls_transport_set_pull_function(s, no_pull);
	gnutls_transport_set_pull_timeout_function(s, no_pull_timeout);
	gnutls_transport_set_push_function(s, no_push);
	gnutls_transport_set_vec_push_function(s, no_vec_push);
	gnutls_handshake_set_read_function(s, no_send);
	/* its verification data lived on the handshake's stack (GnuTLS keeps the pointer) */
	gnutls_session_set_verify_function(s, NULL);
	h->s = s;
	h->gen = tlsockd_gen_ref(gen);
	h->id = id;
	make_key(h->key, sizeof(h->key), profile, name);
	h->born = born;
	h->until_ms = now + HELD_SECONDS * 1000;
	*port = ticket_port;
	pthread_mutex_unlock(&resume_lock);
	return 0;
}

/**
 * tlsockd_resume_release() - forget the session held for @id
 * @id: request id (its DONE failed: no ticket will come)
 */
void tlsockd_resume_release(uint32_t id)
{
	int i;

	pthread_mutex_lock(&resume_lock);
	for (i = 0; i < HELD_SLOTS; i++)
		if (held[i].s && held[i].id == id)
			held_clear(&held[i]);
	pthread_mutex_unlock(&resume_lock);
}

/**
 * tlsockd_resume_ticket() - a NewSessionTicket for the session held for @id
 * @id: request id
 * @msg: the handshake message, with its header
 * @len: bytes of @msg
 *
 * Return: 0 when the ticket is in the cache, -ENOENT when no session is
 * held for @id, -EPROTO when GnuTLS rejected the message (the session is
 * then dropped), or -ENOMEM.
 */
int tlsockd_resume_ticket(uint32_t id, const void *msg, size_t len)
{
	struct held *h = NULL;
	int i, ret, err;

	pthread_mutex_lock(&resume_lock);
	expire_locked(tlsockd_now_ms());
	for (i = 0; i < HELD_SLOTS; i++)
		if (held[i].s && held[i].id == id)
			h = &held[i];
	if (!h) {
		err = -ENOENT;
		goto out;
	}
	ret = gnutls_handshake_write(h->s, GNUTLS_ENCRYPTION_LEVEL_APPLICATION, msg, len);
	if (ret < 0) {
		held_clear(h);
		err = -EPROTO;
		goto out;
	}
	/* the session stays: a server may send more than one ticket */
	err = store_locked(h->key, h->s, h->born);
out:
	pthread_mutex_unlock(&resume_lock);
	return err;
}

/**
 * tlsockd_resume_set_port() - where tickets are to be sent, 0: nowhere
 * @port: netlink port of the listening socket
 *
 * Setting 0 also drops every held session.
 */
void tlsockd_resume_set_port(uint32_t port)
{
	int i;

	pthread_mutex_lock(&resume_lock);
	ticket_port = port;
	if (!port)
		for (i = 0; i < HELD_SLOTS; i++)
			held_clear(&held[i]);
	pthread_mutex_unlock(&resume_lock);
}

/** tlsockd_resume_expire() - drop held sessions whose time is up */
void tlsockd_resume_expire(void)
{
	pthread_mutex_lock(&resume_lock);
	expire_locked(tlsockd_now_ms());
	pthread_mutex_unlock(&resume_lock);
}

void tlsockd_resume_flush(void)
{
	int i;

	pthread_mutex_lock(&resume_lock);
	for (i = 0; i < RESUME_SLOTS; i++)
		slot_clear(&slots[i]);
	for (i = 0; i < HELD_SLOTS; i++)
		held_clear(&held[i]);
	pthread_mutex_unlock(&resume_lock);
}
