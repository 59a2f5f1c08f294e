// SPDX-License-Identifier: GPL-2.0
/*
 * Client-side session cache for resumption, keyed by profile and server
 * name: a small table with least-recently-stored eviction.  Only TLS 1.2
 * sessions with a ticket are stored for now: a TLS 1.3 ticket arrives after
 * the handshake, when the kernel already owns the connection.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tlsockd.h"

#define RESUME_SLOTS	256
#define RESUME_MAX_AGE	3600	/* seconds */

struct slot {
	char key[TLSOCK_PROFILE_MAX + TLSOCK_SERVER_NAME_MAX + 1];
	gnutls_datum_t data;
	time_t stored;
};

static pthread_mutex_t resume_lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot slots[RESUME_SLOTS];	/* resume_lock */

static void slot_clear(struct slot *sl)
{
	if (sl->data.data) {
		gnutls_memset(sl->data.data, 0, sl->data.size);
		gnutls_free(sl->data.data);
	}
	memset(sl, 0, sizeof(*sl));
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

void tlsockd_resume_store(const char *profile, const char *name, gnutls_session_t s)
{
	char key[sizeof(slots[0].key)];
	struct slot *sl, *oldest;
	gnutls_datum_t data;
	int i;

	if (!(gnutls_session_get_flags(s) & GNUTLS_SFLAGS_SESSION_TICKET))
		return;
	if (gnutls_session_get_data2(s, &data) < 0)
		return;
	make_key(key, sizeof(key), profile, name);

	pthread_mutex_lock(&resume_lock);
	sl = find(key, sizeof(key));
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
	memcpy(sl->key, key, sizeof(key));
	sl->data = data;
	sl->stored = time(NULL);
	pthread_mutex_unlock(&resume_lock);
}

void tlsockd_resume_load(const char *profile, const char *name, gnutls_session_t s)
{
	char key[sizeof(slots[0].key)];
	struct slot *sl;

	make_key(key, sizeof(key), profile, name);
	pthread_mutex_lock(&resume_lock);
	sl = find(key, sizeof(key));
	if (sl && time(NULL) - sl->stored > RESUME_MAX_AGE) {
		slot_clear(sl);
		sl = NULL;
	}
	if (sl)
		gnutls_session_set_data(s, sl->data.data, sl->data.size);
	pthread_mutex_unlock(&resume_lock);
}

void tlsockd_resume_flush(void)
{
	int i;

	pthread_mutex_lock(&resume_lock);
	for (i = 0; i < RESUME_SLOTS; i++)
		slot_clear(&slots[i]);
	pthread_mutex_unlock(&resume_lock);
}
