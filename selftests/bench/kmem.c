// SPDX-License-Identifier: GPL-2.0
/*
 * A reading of the kernel's memory that counts objects, not pages, wherever it can, because
 * page-level counters move in steps much larger than one socket's share:
 *  - every slab cache is shrunk first (/sys/kernel/slab/X/shrink flushes the per-CPU slabs back
 *    to the node lists), so /proc/slabinfo's active_objs x objsize is exact: "slab";
 *  - the rest of the kernel's pages, MemTotal - MemFree - Buffers - Cached - AnonPages - Slab,
 *    with the pages parked on the per-CPU free lists (/proc/zoneinfo "count:") counted as free:
 *    large kmallocs, skb data, page tables, stacks: "pages".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kmem.h"

#define TB_RESIDUE_WAIT_S	15
#define TB_RESIDUE_STEP_KB	8

/* Flush every cache's per-CPU slabs so that slabinfo counts objects exactly. */
static int tb_shrink_slabs(void)
{
	DIR *d = opendir("/sys/kernel/slab");
	struct dirent *e;
	char path[512];
	int fd, err = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", e->d_name);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			err = -errno;
			break;
		}
		if (write(fd, "1", 1) != 1)
			err = -errno;
		close(fd);
		if (err)
			break;
	}
	closedir(d);
	return err;
}

/* Bytes in live objects of all caches: sum of active_objs * objsize. */
static int tb_slabinfo(double *kb)
{
	FILE *f = fopen("/proc/slabinfo", "re");
	unsigned long long active, total, size;
	char line[512], name[128];
	double sum = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%127s %llu %llu %llu", name, &active, &total, &size) == 4)
			sum += (double)active * size;
	fclose(f);
	*kb = sum / 1024;
	return sum > 0 ? 0 : -EPROTO;
}

/* Pages waiting on the per-CPU free lists, in KiB. */
static int tb_pcp_kb(long long *kb)
{
	FILE *f = fopen("/proc/zoneinfo", "re");
	long long pages = 0, v;
	char line[256];

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %lld", &v) == 1)
			pages += v;
	fclose(f);
	*kb = pages * (sysconf(_SC_PAGESIZE) / 1024);
	return 0;
}

/**
 * tlsock_bench_kmem_read() - read the kernel's memory now
 * @m: where the two parts go, in KiB
 *
 * Shrinks every slab cache first (root only). Return: 0 or a negative errno.
 */
int tlsock_bench_kmem_read(struct tlsock_bench_kmem *m)
{
	long long total = -1, freekb = -1, buffers = -1, cached = -1, anon = -1, slab = -1;
	long long v, pcp = 0;
	char line[256], key[64];
	FILE *f;
	int err;

	err = tb_shrink_slabs();
	if (!err)
		err = tb_slabinfo(&m->slab_kb);
	if (!err)
		err = tb_pcp_kb(&pcp);
	if (err)
		return err;
	f = fopen("/proc/meminfo", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63[^:]: %lld", key, &v) != 2)
			continue;
		if (!strcmp(key, "MemTotal"))
			total = v;
		else if (!strcmp(key, "MemFree"))
			freekb = v;
		else if (!strcmp(key, "Buffers"))
			buffers = v;
		else if (!strcmp(key, "Cached"))
			cached = v;
		else if (!strcmp(key, "AnonPages"))
			anon = v;
		else if (!strcmp(key, "Slab"))
			slab = v;
	}
	fclose(f);
	if (total < 0 || freekb < 0 || buffers < 0 || cached < 0 || anon < 0 || slab < 0)
		return -EPROTO;
	m->pages_kb = total - freekb - pcp - buffers - cached - anon - slab;
	return 0;
}

/**
 * tlsock_bench_kmem_read_settled() - a reading once it stops falling
 * @m: the reading
 *
 * For a reading after close: contexts freed with kfree_rcu() or call_rcu()
 * leave their slabs some time after the gauges came back (RCU batches them, lazily), and a
 * reading taken too early would count them as residue. Re-read every second, up to
 * TB_RESIDUE_WAIT_S times, while the total still falls by more than TB_RESIDUE_STEP_KB.
 *
 * Return: 0 or a negative errno.
 */
int tlsock_bench_kmem_read_settled(struct tlsock_bench_kmem *m)
{
	struct tlsock_bench_kmem next;
	struct timespec sec = { 1, 0 };
	int err, i;

	err = tlsock_bench_kmem_read(m);
	for (i = 0; !err && i < TB_RESIDUE_WAIT_S; i++) {
		nanosleep(&sec, NULL);
		err = tlsock_bench_kmem_read(&next);
		if (err)
			break;
		if (tlsock_bench_kmem_kb(&next) > tlsock_bench_kmem_kb(m) - TB_RESIDUE_STEP_KB) {
			*m = next;
			break;
		}
		*m = next;
	}
	return err;
}

/**
 * tlsock_bench_slabs_read() - snapshot every slab cache's live bytes
 * @s: where they go
 *
 * Call right after tlsock_bench_kmem_read(), which shrank the caches, for exact figures.
 * Return: 0, or a negative errno; caches past TB_SLABS_MAX are left out.
 */
int tlsock_bench_slabs_read(struct tlsock_bench_slabs *s)
{
	FILE *f = fopen("/proc/slabinfo", "re");
	unsigned long long active, total, size;
	char line[512], name[48];

	if (!f)
		return -errno;
	s->n = 0;
	while (s->n < TB_SLABS_MAX && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%47s %llu %llu %llu", name, &active, &total, &size) != 4)
			continue;
		memcpy(s->c[s->n].name, name, sizeof(name));
		s->c[s->n].kb = (double)active * size / 1024;
		s->n++;
	}
	fclose(f);
	return s->n ? 0 : -EPROTO;
}

/**
 * tlsock_bench_slabs_grew() - the caches that grew most from @a to @b
 * @a: earlier snapshot
 * @b: later snapshot
 * @top: up to @n of them, largest growth first
 * @n: room in @top
 *
 * Return: how many of @top were filled (only caches that grew count).
 */
unsigned int tlsock_bench_slabs_grew(const struct tlsock_bench_slabs *a,
				     const struct tlsock_bench_slabs *b,
				     struct tlsock_bench_slab_delta *top, unsigned int n)
{
	unsigned int i, j, k, got = 0;
	double d;

	for (i = 0; i < b->n; i++) {
		d = b->c[i].kb;
		for (j = 0; j < a->n; j++)
			if (!strcmp(a->c[j].name, b->c[i].name)) {
				d -= a->c[j].kb;
				break;
			}
		if (d <= 0)
			continue;
		/* insertion into the sorted top n */
		for (k = got; k > 0 && top[k - 1].kib < d; k--)
			if (k < n)
				top[k] = top[k - 1];
		if (k >= n)
			continue;
		snprintf(top[k].name, sizeof(top[k].name), "%s", b->c[i].name);
		top[k].kib = d;
		if (got < n)
			got++;
	}
	return got;
}
