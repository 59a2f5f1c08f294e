// SPDX-License-Identifier: GPL-2.0
/*
 * Keeping keys out of core dumps.
 *
 * The daemon makes itself non-dumpable at start (no core file, no ptrace
 * by unprivileged users, /proc/PID files owned by root), and the memory
 * that holds keys of its own (the results of the workers, which carry the
 * negotiated keys, the session ticket keys, and the client's cached
 * sessions with their master secrets) comes from pages marked
 * MADV_DONTDUMP, locked in memory where the limit allows.  GnuTLS's own
 * session state is not covered by the latter: non-dumpable covers it.
 */
#include <errno.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include "tlsockd.h"

/**
 * tlsockd_no_dump() - make the process non-dumpable
 *
 * Return: 0 or a negative errno.
 */
int tlsockd_no_dump(void)
{
	return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) ? -errno : 0;
}

/**
 * tlsockd_secret_alloc() - zeroed memory for keys, left out of core dumps
 * @size: bytes
 *
 * Return: the memory (free with tlsockd_secret_free()), or NULL.
 */
void *tlsockd_secret_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (madvise(p, size, MADV_DONTDUMP)) {
		munmap(p, size);
		return NULL;
	}
	mlock(p, size);		/* best effort: RLIMIT_MEMLOCK may refuse */
	return p;
}

/**
 * tlsockd_secret_free() - wipe and release memory of tlsockd_secret_alloc()
 * @p: the memory, or NULL
 * @size: bytes, as allocated
 */
void tlsockd_secret_free(void *p, size_t size)
{
	if (!p)
		return;
	gnutls_memset(p, 0, size);
	munmap(p, size);
}
