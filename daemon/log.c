// SPDX-License-Identifier: GPL-2.0
/*
 * Logging to stderr (foreground) or syslog.  Thread-safe: one line per call.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

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
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);

	if (log_to == TLSOCKD_LOG_SYSLOG) {
		syslog(prio, "%s", line);
	} else {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		fprintf(stderr, "%02d:%02d:%02d.%03ld tlsockd %s: %s\n", tm.tm_hour, tm.tm_min,
			tm.tm_sec, ts.tv_nsec / 1000000, names[prio & 7], line);
	}
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
