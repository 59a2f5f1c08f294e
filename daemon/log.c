// SPDX-License-Identifier: GPL-2.0
/*
 * Logging to stderr (foreground) or syslog.  Thread-safe: one line per call.
 *
 * Messages carry strings from the network (a peer's subject, a server name),
 * so every control character is written as \xHH: no peer can end a line and
 * forge the next one.
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

/**
 * tlsockd_put_dec() - @v in decimal at @p, at least @width digits (zero-padded)
 * @p: room for up to 20 digits (or @width)
 * @v: value
 * @width: fewest digits
 *
 * Return: the end of the digits (no NUL is written).
 */
char *tlsockd_put_dec(char *p, unsigned long long v, int width)
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

static const char *const prio_names[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
	[LOG_ERR] = "error", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

/*
 * Copy @msg to @out with control characters as \xHH, cut at @size bytes
 * (never inside an escape).  Return: bytes written.
 */
static size_t escape(char *out, size_t size, const char *msg, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = msg[i];

		if (c >= 0x20 && c != 0x7f) {
			if (n + 1 > size)
				break;
			out[n++] = c;
			continue;
		}
		if (n + 4 > size)
			break;
		out[n++] = '\\';
		out[n++] = 'x';
		out[n++] = hex[c >> 4];
		out[n++] = hex[c & 15];
	}
	return n;
}

/*
 * "HH:MM:SS.mmm tlsockd PRIO: " then the message and a newline in one
 * buffer, written with one write(): a line per handshake must stay cheap,
 * and one write keeps concurrent lines whole.
 */
static void emit(int prio, const char *msg, size_t len)
{
	char line[1100], *p = line;
	struct timespec ts;
	struct tm tm;

	if (log_to == TLSOCKD_LOG_SYSLOG) {
		char esc[TLSOCKD_LINE_MAX];

		len = escape(esc, sizeof(esc), msg, len);
		syslog(prio, "%.*s", (int)len, esc);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	p = tlsockd_put_dec(p, tm.tm_hour, 2);
	*p++ = ':';
	p = tlsockd_put_dec(p, tm.tm_min, 2);
	*p++ = ':';
	p = tlsockd_put_dec(p, tm.tm_sec, 2);
	*p++ = '.';
	p = tlsockd_put_dec(p, ts.tv_nsec / 1000000, 3);
	p = stpcpy(p, " tlsockd ");
	p = stpcpy(p, prio_names[prio & 7]);
	p = stpcpy(p, ": ");
	/* the message is cut at 1023 bytes */
	p += escape(p, TLSOCKD_LINE_MAX - 1, msg, len);
	*p++ = '\n';
	while (write(STDERR_FILENO, line, p - line) < 0 && errno == EINTR)
		;
}

void tlsockd_log(int prio, const char *fmt, ...)
{
	char msg[TLSOCKD_LINE_MAX];
	va_list ap;
	int n;

	if (prio == LOG_DEBUG && !log_debug)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	emit(prio, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
}

/**
 * tlsockd_line_str() - append @s to @l, as much as fits
 * @l: line started with tlsockd_line_init()
 * @s: string
 */
void tlsockd_line_str(struct tlsockd_line *l, const char *s)
{
	size_t n = strnlen(s, sizeof(l->buf) - 1 - l->len);

	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

/**
 * tlsockd_line_dec() - append @v in decimal to @l, as much as fits
 * @l: line
 * @v: value
 */
void tlsockd_line_dec(struct tlsockd_line *l, unsigned long long v)
{
	char tmp[24], *end = tlsockd_put_dec(tmp, v, 1);

	*end = 0;
	tlsockd_line_str(l, tmp);
}

/**
 * tlsockd_log_line() - log a line built with tlsockd_line_str()/_dec()
 * @prio: LOG_* priority
 * @l: the line
 *
 * The same output as tlsockd_log(), without printf's cost: for the line
 * every handshake logs.
 */
void tlsockd_log_line(int prio, const struct tlsockd_line *l)
{
	if (prio == LOG_DEBUG && !log_debug)
		return;
	emit(prio, l->buf, l->len);
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
