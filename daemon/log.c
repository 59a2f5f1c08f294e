// SPDX-License-Identifier: GPL-2.0
/*
 * Logging to stderr (foreground) or syslog.  Thread-safe: one line per call.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "tlsockd.h"

static enum tlsockd_log_to log_to = TLSOCKD_LOG_STDERR;
static bool log_debug;

void tlsockd_log_init(enum tlsockd_log_to to, bool debug)
{
	log_to = to;
	log_debug = debug;
	if (to == TLSOCKD_LOG_SYSLOG)
		openlog("tlsockd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* @v in decimal, at least @width digits (zero-padded); returns the end */
static char *put_dec(char *p, unsigned long v, int width)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = '0' + v % 10;
		v /= 10;
	} while (v || n < width);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/*
 * "HH:MM:SS.mmm tlsockd PRIO: " then the message and a newline, formatted
 * once into one buffer and written with one write(): a line per handshake
 * must stay cheap, and one write keeps concurrent lines whole.
 */
static void log_stderr(const char *prio, const char *fmt, va_list ap)
{
	char line[1100], *p = line;
	size_t room;
	struct timespec ts;
	struct tm tm;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	p = put_dec(p, tm.tm_hour, 2);
	*p++ = ':';
	p = put_dec(p, tm.tm_min, 2);
	*p++ = ':';
	p = put_dec(p, tm.tm_sec, 2);
	*p++ = '.';
	p = put_dec(p, ts.tv_nsec / 1000000, 3);
	p = stpcpy(p, " tlsockd ");
	p = stpcpy(p, prio);
	p = stpcpy(p, ": ");
	/* the message is cut at 1023 bytes, as before */
	room = sizeof(line) - (p - line) - 1;
	if (room > 1024)
		room = 1024;
	n = vsnprintf(p, room, fmt, ap);
	if (n < 0)
		n = 0;
	p += (size_t)n < room ? (size_t)n : room - 1;
	*p++ = '\n';
	while (write(STDERR_FILENO, line, p - line) < 0 && errno == EINTR)
		;
}

void tlsockd_log(int prio, const char *fmt, ...)
{
	static const char *const names[] = {
		[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
		[LOG_ERR] = "error", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
		[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
	};
	char line[1024];
	va_list ap;

	if (prio == LOG_DEBUG && !log_debug)
		return;
	va_start(ap, fmt);
	if (log_to == TLSOCKD_LOG_SYSLOG) {
		vsnprintf(line, sizeof(line), fmt, ap);
		syslog(prio, "%s", line);
	} else {
		log_stderr(names[prio & 7], fmt, ap);
	}
	va_end(ap);
}

/* "EKEYREJECTED" for -EKEYREJECTED or EKEYREJECTED; "0" for 0 */
const char *tlsockd_errname(int err)
{
	const char *name;

	if (!err)
		return "0";
	name = strerrorname_np(err < 0 ? -err : err);
	return name ? name : "E?";
}
