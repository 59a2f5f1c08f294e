// SPDX-License-Identifier: GPL-2.0
/*
 * The smaller findings of issue 9 (item 6): logging, the configuration
 * file, key files, process hardening, netlink.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

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

/*
 * A SIGHUP while the daemon loads its configuration.  The trust store is a
 * FIFO, so the test knows when the daemon is loading: its open() of the
 * FIFO for writing returns.  The configuration names the FIFO through a
 * symlink, pointed at the real file before the load goes on, so a reload
 * reads that.  Without tlsock.ko the daemon then exits 1; with it (in the
 * VM) it runs until told to stop.  Either way the SIGHUP must not kill it.
 */
static void f6_sighup_during_startup(void)
{
	char fifo[128], link[128], tmp[128], conf[128], ca[128], buf[4096];
	int fd = -1, cafd = -1, st = 0;
	pid_t pid = -1;
	ssize_t n;

	snprintf(fifo, sizeof(fifo), "%s/ca.fifo", hst_dir);
	snprintf(link, sizeof(link), "%s/ca.link", hst_dir);
	snprintf(tmp, sizeof(tmp), "%s/ca.link.new", hst_dir);
	snprintf(conf, sizeof(conf), "%s/hup.conf", hst_dir);
	snprintf(ca, sizeof(ca), "%s/ca.pem", hst_dir);
	if (mkfifo(fifo, 0600) || symlink(fifo, link) || symlink(ca, tmp) ||
	    hst_write("hup.conf", "[daemon]\nworkers = 1\nlog = stderr\n"
		      "[profile default]\nca = @/ca.link\n")) {
		CHECK(false, "setup: %s", strerror(errno));
		return;
	}
	pid = hst_tlsockd_start(conf, NULL);
	if (pid < 0) {
		CHECK(false, "cannot start tlsockd: %s", strerror(-pid));
		return;
	}
	fd = open(fifo, O_WRONLY);	/* returns once the daemon opened it: it is loading */
	cafd = open(ca, O_RDONLY);
	if (fd < 0 || cafd < 0 || rename(tmp, link)) {
		CHECK(false, "feeding the trust store: %s", strerror(errno));
		goto out;
	}
	kill(pid, SIGHUP);
	usleep(20000);
	while ((n = read(cafd, buf, sizeof(buf))) > 0)
		if (write(fd, buf, n) != n)
			break;
	close(fd);
	fd = -1;
	if (!hst_wait_exit(pid, 3000, &st)) {
		kill(pid, SIGTERM);	/* it runs: tlsock.ko is loaded */
		if (!hst_wait_exit(pid, 5000, &st)) {
			CHECK(false, "tlsockd does not stop on SIGTERM");
			goto out;
		}
	}
	pid = -1;
	CHECK(!WIFSIGNALED(st) || WTERMSIG(st) != SIGHUP, "tlsockd was killed by SIGHUP");
	CHECK(!WIFEXITED(st) || WEXITSTATUS(st) != 127, "cannot run tlsockd");
out:
	if (fd >= 0)
		close(fd);
	if (cafd >= 0)
		close(cafd);
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
}
HST_DEFINE(f6_sighup_during_startup);

/* kB of writable private mappings marked MADV_DONTDUMP ("dd"; [vvar] has it too). */
static long dontdump_kb(void)
{
	long kb = 0, size = 0;
	char line[512];
	bool rw = false;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strchr(line, '-') && strstr(line, " rw-p ")) {
			rw = true;
		} else if (!strncmp(line, "Size:", 5)) {
			size = strtol(line + 5, NULL, 10);
		} else if (!strncmp(line, "VmFlags:", 8)) {
			if (rw && strstr(line, " dd"))
				kb += size;
			rw = false;
		}
	}
	fclose(f);
	return kb;
}

/*
 * Keys stay out of core dumps: ticket keys and cached client sessions in
 * MADV_DONTDUMP pages, and no dumps at all.
 */
static void f6_keys_not_dumped(void)
{
	struct hst_pair p = HST_PAIR("dump12", "srv12", "server.test");
	long before = dontdump_kb(), after;

	/* hst_base has server profiles with tickets: each has a ticket key */
	CHECK(before > 0, "no memory is left out of core dumps (%ld kB)", before);
	/* a TLS 1.2 client caches its session (master secret) at once */
	if (RUN(&p) && hst_both_ok(&p, false)) {
		after = dontdump_kb();
		CHECK(after > before, "the cached session is not in MADV_DONTDUMP memory "
		      "(%ld kB, %ld kB before)", after, before);
	}
	CHECK(!tlsockd_no_dump() && prctl(PR_GET_DUMPABLE) == 0, "still dumpable");
	prctl(PR_SET_DUMPABLE, 1);	/* /proc/self stays readable for the tests after */
}
HST_DEFINE(f6_keys_not_dumped);

/* Parse @text as tlsockd.conf; expect failure with @what, at tlsockd.conf:@line. */
static void conf_refused(const char *text, int line, const char *what)
{
	struct tlsockd_conf *conf = NULL;
	char path[128], at[32], why[512] = "";
	int err;

	if (hst_write("bad.conf", text)) {
		CHECK(false, "cannot write bad.conf");
		return;
	}
	snprintf(path, sizeof(path), "%s/bad.conf", hst_dir);
	snprintf(at, sizeof(at), "bad.conf:%d: ", line);
	err = tlsockd_conf_read(path, &conf, why, sizeof(why));
	CHECK(err && strstr(why, at) && strstr(why, what), "%s (%s); expected %s\"%s\"",
	      err ? "refused" : "accepted", why, at, what);
	if (!err) {
		const struct tlsockd_profile_conf *pc = tlsockd_conf_profile(conf, "p");

		if (pc)
			printf("#   [profile p] verify = %s\n", pc->verify ? "yes" : "no");
		tlsockd_conf_free(conf);
	}
}

/* A line too long for libinih must not be read as two lines. */
static void f6_conf_long_line(void)
{
	char text[512];
	int n;

	n = snprintf(text, sizeof(text), "[profile p]\nca = %s/ca.pem", hst_dir);
	/* libinih reads 199 bytes at once: pad the line to them, then more */
	memset(text + n, ' ', 12 + 199 - n);
	snprintf(text + 12 + 199, sizeof(text) - 12 - 199, "verify = no\n");
	conf_refused(text, 2, "line longer than");
}
HST_DEFINE(f6_conf_long_line);

static void f6_conf_repeated_key(void)
{
	conf_refused("[profile p]\nverify = yes\nca = system\n\n[profile q]\nverify = yes\n"
		     "[profile p]\nverify = no\n", 8, "given again");
}
HST_DEFINE(f6_conf_repeated_key);

/* A private key that others may read is refused, with a clear reason; group read is allowed. */
static void f6_key_permissions(void)
{
	struct tlsockd_gen *gen = NULL;
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "cp %s/client.key %s/loose.key && chmod 644 %s/loose.key && "
		 "cp %s/client.key %s/group.key && chmod 640 %s/group.key",
		 hst_dir, hst_dir, hst_dir, hst_dir, hst_dir, hst_dir);
	if (system(cmd)) {
		CHECK(false, "cannot make loose.key and group.key");
		return;
	}
	printf("# expected:\n");
	CHECK(hst_gen("[profile p]\ncert = @/client.pem\nkey = @/loose.key\n", &gen) == -EACCES,
	      "a key of mode 0644 was accepted");
	tlsockd_gen_put(gen);
	gen = NULL;
	CHECK(hst_gen("[profile p]\ncert = @/client.pem\nkey = @/group.key\n", &gen) == 0,
	      "a key of mode 0640 (group ssl-cert, as Debian ships them) was refused");
	tlsockd_gen_put(gen);
}
HST_DEFINE(f6_key_permissions);

/* A TICKET as the kernel would send it; @src: the sending port; @id_len: bytes of REQ_ID. */
static struct nl_msg *ticket_msg(uint32_t src, int id_len, size_t msg_len)
{
	struct sockaddr_nl from = { .nl_family = AF_NETLINK, .nl_pid = src };
	static uint8_t nst[TLSOCK_TICKET_MSG_MAX + 16] = { 4 };
	uint32_t id = 77;
	struct nl_msg *msg = nlmsg_alloc_size(2 * TLSOCK_TICKET_MSG_MAX);

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, 0, 0, 30, 0, 0, TLSOCK_CMD_TICKET, TLSOCK_FAMILY_VERSION) ||
	    nla_put(msg, TLSOCK_A_TICKET_REQ_ID, id_len, &id) ||
	    nla_put(msg, TLSOCK_A_TICKET_MSG, msg_len, nst)) {
		nlmsg_free(msg);
		return NULL;
	}
	nlmsg_set_src(msg, &from);
	return msg;
}

static int parse_ticket(uint32_t src, int id_len, size_t msg_len)
{
	struct nl_msg *msg = ticket_msg(src, id_len, msg_len);
	const void *data;
	uint32_t id = 0;
	size_t len = 0;
	int err;

	if (!msg)
		return -ENOMEM;
	err = tlsockd_nl_parse_ticket(msg, &id, &data, &len);
	if (!err && (id != 77 || len != msg_len))
		err = -EBADMSG;
	nlmsg_free(msg);
	return err;
}

/* TICKET only from the kernel (port 0), and only as the policy says. */
static void f6_nl_ticket_checked(void)
{
	int err;

	err = parse_ticket(0, 4, 200);
	CHECK(!err, "the kernel's TICKET: %s", strerror(-err));
	err = parse_ticket(4242, 4, 200);
	CHECK(err == -EPERM, "a TICKET from port 4242: %s", strerror(-err));
	err = parse_ticket(0, 1, 200);
	CHECK(err == -EPROTO, "a 1-byte request id: %s", strerror(-err));
	err = parse_ticket(0, 4, TLSOCK_TICKET_MSG_MAX + 1);
	CHECK(err == -EPROTO, "a message over TLSOCK_TICKET_MSG_MAX: %s", strerror(-err));
	err = parse_ticket(0, 4, 2);
	CHECK(err == -EPROTO, "a 2-byte message: %s", strerror(-err));
}
HST_DEFINE(f6_nl_ticket_checked);
