// SPDX-License-Identifier: GPL-2.0
/*
 * The smaller findings of issue 9 (item 6): logging, the configuration
 * file, key files, process hardening, netlink.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

#include "hst.h"
#include "tests.h"

/* What tlsockd logs while @fn runs, NUL-terminated, in @buf. */
static int capture_log(void (*fn)(const void *), const void *arg, char *buf, size_t size)
{
	int saved, fd, err = 0;
	ssize_t n;

	fd = open(hst_dir, O_TMPFILE | O_RDWR, 0600);
	if (fd < 0)
		return -errno;
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	if (saved < 0 || dup2(fd, STDERR_FILENO) < 0) {
		err = -errno;
		goto out;
	}
	fn(arg);
	dup2(saved, STDERR_FILENO);
	n = pread(fd, buf, size - 1, 0);
	if (n < 0)
		err = -errno;
	else
		buf[n] = 0;
out:
	if (saved >= 0)
		close(saved);
	close(fd);
	return err;
}

static void log_identity(const void *arg)
{
	const struct tlsockd_result *r = arg;
	struct tlsockd_line l;

	tlsockd_log(LOG_NOTICE, "identity \"%s\"", r->subject);
	tlsockd_line_init(&l);
	tlsockd_line_str(&l, "identity \"");
	tlsockd_line_str(&l, r->subject);
	tlsockd_line_str(&l, "\"");
	tlsockd_log_line(LOG_INFO, &l);
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* A newline in a certificate's subject must not start a log line of its own. */
static void f6_log_escapes_control(void)
{
	struct hst_pair p = HST_PAIR("nl", "nl-srv", "");
	char buf[4096];

	if (!RUN(&p) || !hst_both_ok(&p, false))
		return;
	CHECK(strchr(p.c.subject, '\n'), "the subject \"%s\" has no newline", p.c.subject);
	if (capture_log(log_identity, &p.c, buf, sizeof(buf))) {
		CHECK(false, "cannot capture the log");
		return;
	}
	CHECK(count_lines(buf) == 2 && strstr(buf, "evil\\x0aforged"),
	      "two lines expected, each with evil\\x0aforged:\n%s", buf);
}
HST_DEFINE(f6_log_escapes_control);
