// SPDX-License-Identifier: GPL-2.0
/*
 * The handshake upcall under attack: who may act as the daemon, what a busy
 * daemon means, how many requests one user or one idle peer may hold, where
 * session tickets may go, and DONE messages no real daemon would send.
 * Each test runs in a network namespace of its own with a stand-in daemon
 * (../lib/fake_daemon.c) as the only one there.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/tlsock.h>

#include "kselftest_harness.h"
#include "lib.h"
#include "fake_daemon.h"

#ifndef SOL_TLSOCK
#define SOL_TLSOCK 287
#endif

#define PARAM_DIR "/sys/module/tlsock/parameters/"

static int param_get(const char *name)
{
	char path[128], buf[32];
	int fd, n;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return atoi(buf);
}

static int param_set(const char *name, int v)
{
	char path[128], buf[32];
	int fd, n, ok;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d", v);
	ok = write(fd, buf, n) == n;
	close(fd);
	return ok ? 0 : -EIO;
}

/* A connected pair whose first socket has the ULP; *@app gets a non-blocking request. */
static int request_nb(int *app, int *peer, uint32_t role, uint32_t timeout_ms)
{
	struct tlsock_handshake req = { .role = role, .timeout_ms = timeout_ms };
	int err = tlsock_tcp_pair(AF_INET, 0, app, peer);

	if (err)
		return err;
	err = tlsock_attach(*app, "tlsock");
	if (!err)
		err = tlsock_set_nonblock(*app, true);
	if (err)
		return err;
	if (!setsockopt(*app, SOL_TLSOCK, TLSOCK_HANDSHAKE, &req, sizeof(req)))
		return 0;
	return -errno;
}

static int hs_state(int fd, int *error)
{
	struct tlsock_info info;
	socklen_t len = sizeof(info);

	if (getsockopt(fd, SOL_TLSOCK, TLSOCK_INFO, &info, &len))
		return -errno;
	*error = info.error;
	return info.state;
}

FIXTURE(upcall) {
	struct tlsock_fd d;
	int app[80], peer[80];
	int n;
};

FIXTURE_SETUP(upcall)
{
	self->n = 0;
	self->d.nl = -1;
	ASSERT_EQ(0, tlsock_netns_enter());
	ASSERT_EQ(0, tlsock_fd_open(&self->d, true));
}

FIXTURE_TEARDOWN(upcall)
{
	int i;

	tlsock_fd_close(&self->d);
	for (i = 0; i < self->n; i++) {
		close(self->app[i]);
		close(self->peer[i]);
	}
}

/* Add one pair with a non-blocking request; returns what the request said. */
static int upcall_request(FIXTURE_DATA(upcall) *self, uint32_t role, uint32_t timeout_ms)
{
	int err = request_nb(&self->app[self->n], &self->peer[self->n], role, timeout_ms);

	self->n++;
	return err;
}

/*
 * A daemon whose socket buffer is full is busy, not missing: the READY that
 * finds no room must not fail the request with ESRCH.
 */
TEST_F(upcall, full_daemon_buffer_queues)
{
	int small = 1, i, state, error;
	uint8_t cmd;
	bool overrun = false;

	ASSERT_EQ(0, setsockopt(self->d.nl, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)));
	for (i = 0; i < 24; i++) {
		ASSERT_EQ(-EINPROGRESS, upcall_request(self, TLSOCK_ROLE_CLIENT, 20000))
			TH_LOG("request %d", i);
		state = hs_state(self->app[i], &error);
		EXPECT_EQ(TLSOCK_STATE_PENDING, state)
			TH_LOG("request %d: state %d, error %s", i, state, strerror(error));
	}
	/* the buffer did overrun: the daemon is told so, and ACCEPT finds every request */
	for (;;) {
		int err = tlsock_fd_wait_msg(&self->d, 0, &cmd);

		if (err == -ETIMEDOUT)
			break;
		if (err == -ENOBUFS)
			overrun = true;
	}
	for (i = 0; i < 24; i++) {
		uint32_t id;
		int fd;

		ASSERT_EQ(0, tlsock_fd_accept(&self->d, &id, &fd)) TH_LOG("accept %d", i);
		close(fd);
	}
	EXPECT_TRUE(overrun);
}

/* One user's requests stop at its share; another user's still go through. */
TEST_F(upcall, per_user_share)
{
	int saved = param_get("hs_max_pending_user");
	int i, status;
	pid_t pid;

	ASSERT_GT(saved, 0);
	ASSERT_EQ(0, param_set("hs_max_pending_user", 8));
	for (i = 0; i < 8; i++)
		EXPECT_EQ(-EINPROGRESS, upcall_request(self, TLSOCK_ROLE_CLIENT, 20000));
	EXPECT_EQ(-EBUSY, upcall_request(self, TLSOCK_ROLE_CLIENT, 20000));

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		int a, p;

		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(2);
		_exit(request_nb(&a, &p, TLSOCK_ROLE_CLIENT, 20000) == -EINPROGRESS ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	param_set("hs_max_pending_user", saved);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("another user's request was refused (status %#x)", status);
}

/* A server's request is not claimable until its peer spoke, and not forever. */
TEST_F(upcall, server_waits_for_first_byte)
{
	int saved = param_get("hs_first_byte_ms");
	int state, error, fd, i;
	uint32_t id;

	ASSERT_GT(saved, 0);
	ASSERT_EQ(0, param_set("hs_first_byte_ms", 1500));
	EXPECT_EQ(-EINPROGRESS, upcall_request(self, TLSOCK_ROLE_SERVER, 20000));
	EXPECT_EQ(-EAGAIN, tlsock_fd_accept(&self->d, &id, &fd));
	/* the client's first bytes make it claimable */
	ASSERT_EQ(5, write(self->peer[0], "hello", 5));
	EXPECT_EQ(0, tlsock_fd_accept_wait(&self->d, &id, &fd, 5000));
	if (fd >= 0)
		close(fd);

	/* an idle peer: the request fails after hs_first_byte_ms, not timeout_ms */
	EXPECT_EQ(-EINPROGRESS, upcall_request(self, TLSOCK_ROLE_SERVER, 20000));
	for (i = 0; i < 100; i++) {
		state = hs_state(self->app[1], &error);
		if (state != TLSOCK_STATE_PENDING)
			break;
		EXPECT_EQ(-EAGAIN, tlsock_fd_accept(&self->d, &id, &fd));
		usleep(100 * 1000);
	}
	param_set("hs_first_byte_ms", saved);
	EXPECT_EQ(TLSOCK_STATE_FAILED, state);
	EXPECT_EQ(ETIMEDOUT, error);
	EXPECT_LT(i, 60) TH_LOG("failed only after %d ms", i * 100);
}

/*
 * The test VM runs the suites chrooted into the host's root, and a chrooted
 * process may not create a user namespace: this child takes init's root.
 */
static int own_root(void)
{
	if (chroot("/proc/1/root") || chdir("/"))
		return -errno;
	return 0;
}

/* What a user namespace's root (anyone) may do: not act as the daemon. */
TEST_F(upcall, userns_root_is_no_daemon)
{
	int status;
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (!pid) {
		struct tlsock_fd d;
		uint8_t reply[256];
		size_t rlen = sizeof(reply);
		uint32_t id;
		int fd;

		if (own_root())
			_exit(9);
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET))
			_exit(10);
		if (tlsock_fd_open(&d, false))
			_exit(11);
		if (tlsock_fd_accept(&d, &id, &fd) != -EPERM)
			_exit(12);
		/* its own namespace's status it may read */
		if (tlsock_fd_request(&d, TLSOCK_CMD_STATUS_GET, NULL, reply, &rlen))
			_exit(13);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* An unprivileged user may neither claim, complete nor read the status. */
TEST_F(upcall, unprivileged_refused)
{
	int status;
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (!pid) {
		struct tlsock_fd d;
		struct tlsock_fd_done done = { .status = EPROTO };
		uint8_t reply[256];
		size_t rlen = sizeof(reply);
		uint32_t id;
		int fd;

		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(10);
		if (tlsock_fd_open(&d, false))
			_exit(11);
		if (tlsock_fd_accept(&d, &id, &fd) != -EPERM)
			_exit(12);
		if (tlsock_fd_send_done(&d, 1, &done) != -EPERM)
			_exit(13);
		if (tlsock_fd_request(&d, TLSOCK_CMD_STATUS_GET, NULL, reply, &rlen) != -EPERM)
			_exit(14);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* Complete a TLS 1.3 client request claimed by @d with keys @k, tickets to @port. */
static int done_tls13(struct tlsock_fd *d, uint32_t id, const struct tlsock_keys *tx,
		      const struct tlsock_keys *rx, uint32_t port)
{
	struct tlsock_fd_done done = { 0 };

	tlsock_fd_done_keys(&done, tx, rx);
	done.secret_len = 32;
	done.ticket_portid = port;
	return tlsock_fd_send_done(d, id, &done);
}

/* The peer sends one NewSessionTicket handshake message, sealed. */
static int send_ticket(struct tlsock_urec *u, int fd)
{
	static const uint8_t nst[] = { 4, 0, 0, 12, 0, 0, 0, 60, 1, 2, 3, 4, 0, 0, 0, 0 };
	struct tlsock_rec_spec spec = { .type = TLSOCK_CT_HANDSHAKE };
	uint8_t rec[256];
	ssize_t n = tlsock_urec_seal(u, &spec, nst, sizeof(nst), rec, sizeof(rec));

	if (n < 0)
		return n;
	return tlsock_write_all(fd, rec, n) == n ? 0 : -EIO;
}

/* A non-blocking read once the record is there: the kernel takes control records on the way. */
static void read_control(int fd)
{
	char buf[64];

	tlsock_wait_readable(fd, 2000);
	recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
}

/* Tickets go to the port DONE named, and not to whoever binds that port id after it. */
TEST_F(upcall, ticket_port_not_inherited)
{
	struct tlsock_keys tx, rx;
	struct tlsock_urec u;
	struct tlsock_fd tp, thief;
	const uint32_t port = 0x7a11c0de;
	uint32_t id;
	uint8_t cmd;
	int fd;

	ASSERT_EQ(0, tlsock_keys_init(&tx, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128));
	ASSERT_EQ(0, tlsock_keys_init(&rx, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128));
	ASSERT_EQ(0, tlsock_urec_init(&u, &rx));
	ASSERT_EQ(0, tlsock_fd_open_at(&tp, false, port));
	ASSERT_EQ(-EINPROGRESS, upcall_request(self, TLSOCK_ROLE_CLIENT, 20000));
	ASSERT_EQ(0, tlsock_fd_accept(&self->d, &id, &fd));
	close(fd);
	ASSERT_EQ(0, done_tls13(&self->d, id, &tx, &rx, port));

	/* the named port gets the first ticket (control records are read by a reader) */
	ASSERT_EQ(0, send_ticket(&u, self->peer[0]));
	read_control(self->app[0]);
	ASSERT_EQ(0, tlsock_fd_wait_msg(&tp, 5000, &cmd));
	EXPECT_EQ(TLSOCK_CMD_TICKET, cmd);

	/* the daemon goes away; someone else takes its port id */
	tlsock_fd_close(&tp);
	ASSERT_EQ(0, tlsock_fd_open_at(&thief, false, port));
	ASSERT_EQ(0, send_ticket(&u, self->peer[0]));
	read_control(self->app[0]);
	EXPECT_EQ(-ETIMEDOUT, tlsock_fd_wait_msg(&thief, 1500, &cmd));
	tlsock_fd_close(&thief);
	tlsock_urec_free(&u);
	tlsock_keys_wipe(&tx);
	tlsock_keys_wipe(&rx);
}

/*
 * DONE messages no daemon should send, from the socket that claimed the
 * request: each gets an errno, none is taken for a success, and the request
 * ends failed (EIO) or stays the daemon's to finish.
 */
TEST_F(upcall, hostile_done_messages)
{
	struct tlsock_keys tx, rx;
	struct tlsock_fd_done good = { 0 }, st = { .status = EPROTO };
	struct tlsock_fd_attrs a;
	struct tlsock_fd d2;
	union tlsock_ci ci;
	uint32_t id, other;
	int fd, state, error = 0, i, err = -EINVAL;
	uint8_t junk[96];

	ASSERT_EQ(0, tlsock_keys_init(&tx, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128));
	ASSERT_EQ(0, tlsock_keys_init(&rx, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128));
	ASSERT_EQ(-EINPROGRESS, upcall_request(self, TLSOCK_ROLE_CLIENT, 20000));
	ASSERT_EQ(0, tlsock_fd_accept(&self->d, &id, &fd));
	close(fd);

	/* no attributes, no status, unknown and foreign ids */
	memset(&a, 0, sizeof(a));
	EXPECT_EQ(-EINVAL, tlsock_fd_request(&self->d, TLSOCK_CMD_DONE, &a, NULL, NULL));
	tlsock_fd_attr_u32(&a, TLSOCK_A_DONE_REQ_ID, id);
	EXPECT_EQ(-EINVAL, tlsock_fd_request(&self->d, TLSOCK_CMD_DONE, &a, NULL, NULL));
	memset(&a, 0, sizeof(a));
	tlsock_fd_attr_u32(&a, TLSOCK_A_DONE_REQ_ID, id + 1000);
	tlsock_fd_attr_u32(&a, TLSOCK_A_DONE_STATUS, 0);
	EXPECT_EQ(-ENOENT, tlsock_fd_request(&self->d, TLSOCK_CMD_DONE, &a, NULL, NULL));
	/* a request claimed by another socket is not ours to complete */
	ASSERT_EQ(-EINPROGRESS, upcall_request(self, TLSOCK_ROLE_CLIENT, 20000));
	ASSERT_EQ(0, tlsock_fd_open(&d2, false));
	ASSERT_EQ(0, tlsock_fd_accept(&d2, &other, &fd));
	close(fd);
	EXPECT_EQ(-EPERM, tlsock_fd_send_done(&self->d, other, &st));
	EXPECT_EQ(0, tlsock_fd_send_done(&d2, other, &st));
	tlsock_fd_close(&d2);

	/*
	 * Random attribute soup until the request ends: every message gets an
	 * errno (the policy's, or EINVAL with the request failed for good: a
	 * broken DONE fails it with EIO), a status soup may end it with that
	 * status, nothing makes it a success.
	 */
	for (i = 0; i < 3000; i++) {
		size_t n, len;

		memset(&a, 0, sizeof(a));
		tlsock_fd_attr_u32(&a, TLSOCK_A_DONE_REQ_ID, id);
		tlsock_fd_attr_u32(&a, TLSOCK_A_DONE_STATUS, 0);
		if (getrandom(junk, sizeof(junk), 0) != sizeof(junk))
			break;
		for (n = 0; n < 1 + junk[0] % 6; n++) {
			uint16_t type = 1 + junk[n + 1] % (TLSOCK_A_DONE_MAX + 2);

			len = junk[n + 8] % 72;
			tlsock_fd_attr(&a, type, junk + 16, len);
		}
		err = tlsock_fd_request(&self->d, TLSOCK_CMD_DONE, &a, NULL, NULL);
		state = hs_state(self->app[0], &error);
		if (state != TLSOCK_STATE_PENDING)
			break;
		EXPECT_NE(0, err) TH_LOG("soup %d accepted, request still pending", i);
	}
	EXPECT_NE(TLSOCK_STATE_ESTABLISHED, state) TH_LOG("soup %d was taken as success", i);
	if (state == TLSOCK_STATE_FAILED)
		EXPECT_TRUE(error > 0 && error < 512) TH_LOG("error %d", error);

	/* crypto_info one byte short of its cipher's: refused, the request fails with EIO */
	ASSERT_EQ(-EINPROGRESS, upcall_request(self, TLSOCK_ROLE_CLIENT, 20000));
	ASSERT_EQ(0, tlsock_fd_accept(&self->d, &id, &fd));
	close(fd);
	tlsock_fd_done_keys(&good, &tx, &rx);
	good.secret_len = 32;
	good.tx_len = tlsock_keys_info(&tx, &ci) - 1;
	EXPECT_EQ(-EINVAL, tlsock_fd_send_done(&self->d, id, &good));
	state = hs_state(self->app[self->n - 1], &error);
	EXPECT_EQ(TLSOCK_STATE_FAILED, state);
	EXPECT_EQ(EIO, error);
	tlsock_keys_wipe(&tx);
	tlsock_keys_wipe(&rx);
}

TEST_HARNESS_MAIN
