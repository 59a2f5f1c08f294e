// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzzer's namespace: the requests it made (each an application socket
 * with a pending managed handshake), sending one message and holding the
 * kernel to the model's verdict, and the victim request of each batch that
 * the real daemon completes once the batch is over.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/tlsock.h>
#include <sys/socket.h>

#include "nlfuzz.h"

/* Longest wait for the kernel's answer to one message: longer is a hang. */
#define NF_ANSWER_MS	10000

int nf_world_init(struct nf_world *w, uint16_t family)
{
	memset(w, 0, sizeof(*w));
	w->family = family;
	w->next_id = 1;		/* a fresh namespace gives out 1, 2, 3... */
	return 0;
}

/**
 * nf_world_request() - a client socket asks for a managed handshake
 * @w: world
 * @timeout_ms: the request's timeout
 *
 * Return: the request's index, or a negative errno.
 */
int nf_world_request(struct nf_world *w, uint32_t timeout_ms)
{
	struct tlsock_handshake req = { .role = TLSOCK_ROLE_CLIENT, .timeout_ms = timeout_ms };
	struct nf_req *r;
	int err;

	if (w->n == NF_REQS_MAX)
		return -ENOSPC;
	r = &w->req[w->n];
	memset(r, 0, sizeof(*r));
	r->app = -1;
	r->peer = -1;
	err = tlsock_tcp_pair(AF_INET, 0, &r->app, &r->peer);
	if (!err)
		err = tlsock_attach(r->app, "tlsock");
	if (!err)
		err = tlsock_set_nonblock(r->app, true);
	if (!err && !setsockopt(r->app, SOL_TLSOCK, TLSOCK_HANDSHAKE, &req, sizeof(req)))
		err = -EPROTO;		/* no daemon could have finished it yet */
	else if (!err && errno != EINPROGRESS)
		err = -errno;
	if (err) {
		if (r->app >= 0)
			close(r->app);
		if (r->peer >= 0)
			close(r->peer);
		return err;
	}
	r->id = w->next_id++;
	r->state = NF_QUEUED;
	return w->n++;
}

/*
 * The ids the world knows (pending, finished, closed; the newest first) for a
 * generator to name, and those of the requests socket @sock claimed.
 */
void nf_world_ids(const struct nf_world *w, int sock, struct nf_ids *ids)
{
	unsigned int i;

	ids->n = 0;
	ids->nown = 0;
	for (i = w->n; i-- > 0;) {
		if (ids->n < ARRAY_SIZE(ids->id))
			ids->id[ids->n++] = w->req[i].id;
		if (w->req[i].state == NF_CLAIMED && w->req[i].owner == sock &&
		    ids->nown < ARRAY_SIZE(ids->own))
			ids->own[ids->nown++] = w->req[i].id;
	}
}

/* Close request @i's sockets: closing cancels it, its id goes stale. */
void nf_world_close(struct nf_world *w, int i)
{
	struct nf_req *r = &w->req[i];

	if (r->app >= 0)
		close(r->app);
	if (r->peer >= 0)
		close(r->peer);
	r->app = -1;
	r->peer = -1;
	r->state = NF_GONE;
}

/* Close every request but @keep (-1: all, and forget the oldest when room runs short). */
void nf_world_close_all(struct nf_world *w, int keep)
{
	const unsigned int remember = 32;
	unsigned int i;

	for (i = 0; i < w->n; i++)
		if ((int)i != keep && w->req[i].state != NF_GONE)
			nf_world_close(w, i);
	if (keep < 0 && w->n > NF_REQS_MAX / 2) {
		memmove(w->req, w->req + w->n - remember, remember * sizeof(w->req[0]));
		w->n = remember;
	}
}

static const char *const nf_state_names[] = {
	[NF_QUEUED] = "queued", [NF_CLAIMED] = "claimed", [NF_ESTABLISHED] = "established",
	[NF_FAILED] = "failed", [NF_GONE] = "gone",
};

/*
 * Every request the world still holds, seen by its application: pending
 * ones pending with no keys, established ones with both, failed ones with
 * the model's errno and no keys at all.
 */
int nf_world_check(struct nf_world *w, char *why, size_t size)
{
	const uint32_t keys = TLSOCK_INFO_F_TX | TLSOCK_INFO_F_RX;
	unsigned int i;

	for (i = 0; i < w->n; i++) {
		struct nf_req *r = &w->req[i];
		struct tlsock_info info;
		socklen_t len = sizeof(info);
		bool ok;

		if (r->state == NF_GONE)
			continue;
		if (getsockopt(r->app, SOL_TLSOCK, TLSOCK_INFO, &info, &len)) {
			snprintf(why, size, "request %u: TLSOCK_INFO: %s", r->id, strerror(errno));
			return -1;
		}
		switch (r->state) {
		case NF_QUEUED:
		case NF_CLAIMED:
			ok = info.state == TLSOCK_STATE_PENDING && !(info.flags & keys);
			break;
		case NF_ESTABLISHED:
			ok = info.state == TLSOCK_STATE_ESTABLISHED && (info.flags & keys) == keys;
			break;
		default:
			ok = info.state == TLSOCK_STATE_FAILED && !(info.flags & keys) &&
			     (r->maybe || info.error == (uint32_t)r->err);
			break;
		}
		if (r->maybe && info.state == TLSOCK_STATE_ESTABLISHED &&
		    (info.flags & keys) == keys)
			ok = true;
		if (!ok) {
			snprintf(why, size,
				 "request %u (%s, err %d): kernel says state %u error %u flags %#x",
				 r->id, nf_state_names[r->state], r->err, info.state, info.error,
				 info.flags);
			return -1;
		}
	}
	return 0;
}

/*
 * A message netlink must drop: a well-formed one after it must be the next
 * thing answered, with nothing for the dropped one before it.
 */
static int nf_expect_silence(struct tlsock_fd *d, uint32_t seq, char *why, size_t size)
{
	uint8_t buf[8192] __attribute__((aligned(4)));
	uint32_t probe = tlsock_fd_next_seq(d);
	struct pollfd p = { .fd = d->nl, .events = POLLIN };
	size_t len;
	ssize_t n;

	len = tlsock_fd_put_hdr(buf, d->family, NLM_F_REQUEST | NLM_F_ACK, probe,
				TLSOCK_CMD_STATUS_GET, 0);
	if (tlsock_fd_send_raw(d, buf, len)) {
		snprintf(why, size, "probe: send: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		struct nlmsghdr *nlh;
		size_t left;

		if (poll(&p, 1, NF_ANSWER_MS) == 0) {
			snprintf(why, size, "no answer to a probe within %d ms", NF_ANSWER_MS);
			return -1;
		}
		n = recv(d->nl, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0)
			continue;	/* an overrun, or EAGAIN: the ack still comes */
		left = n;
		for (nlh = (void *)buf; NLMSG_OK(nlh, left); nlh = NLMSG_NEXT(nlh, left)) {
			if (nlh->nlmsg_seq == seq) {
				snprintf(why, size, "answered a message netlink must drop");
				return -1;
			}
			if (nlh->nlmsg_seq == probe && nlh->nlmsg_type == NLMSG_ERROR)
				return 0;
		}
	}
}

/* An ACCEPT's reply: the claimed id and descriptor; the descriptor is closed. */
static int nf_accept_reply(const struct tlsock_fd_ack *ack, uint32_t *id)
{
	const void *vid, *vfd;
	size_t len;
	int fd;

	vfd = tlsock_fd_find_attr(ack->reply, ack->reply_len, TLSOCK_A_ACCEPT_SOCKFD, &len);
	if (vfd && len == sizeof(fd)) {
		memcpy(&fd, vfd, sizeof(fd));
		close(fd);
	}
	vid = tlsock_fd_find_attr(ack->reply, ack->reply_len, TLSOCK_A_ACCEPT_REQ_ID, &len);
	if (!vid || len != sizeof(*id) || !vfd)
		return -EPROTO;
	memcpy(id, vid, sizeof(*id));
	return 0;
}

/**
 * nf_send() - send @m and hold the kernel to the model
 * @w: world (the model's state; updated with what the message did)
 * @d: the sending socket
 * @who: enum nf_who of the sender
 * @sock: the sending socket's index
 * @m: the message
 * @why: on failure, what went wrong and the message
 * @size: room in @why
 *
 * Checks the answer (or its absence), what became of the request the
 * message reached, and every other request of the world.
 *
 * Return: 0, or -1 with @why filled.
 */
int nf_send(struct nf_world *w, struct tlsock_fd *d, int who, int sock, const struct nf_msg *m,
	    char *why, size_t size)
{
	static struct nf_wire wire;
	struct tlsock_fd_ack ack;
	struct nf_expect x;
	char desc[1536];
	bool ok = false;
	size_t at;
	uint32_t id;
	int err;

	nf_msg_encode(m, tlsock_fd_next_seq(d), &wire);
	nf_model(w, who, sock, &wire, &x);
	for (at = 0; at < w->nrules && w->rules[at].why != x.why; at++)
		;
	if (at < NF_RULES_MAX) {
		w->rules[at].why = x.why;
		w->rules[at].n++;
		w->nrules += at == w->nrules;
	}
	nf_msg_describe(m, desc, sizeof(desc));
	at = snprintf(why, size, "[%s] ", x.why);
	why += at < size ? at : size;
	size -= at < size ? at : size;

	err = tlsock_fd_send_raw(d, wire.buf, wire.sent);
	if (err) {
		snprintf(why, size, "send: %s; %s", strerror(-err), desc);
		return -1;
	}
	if (x.answer == NF_A_NONE) {
		if (nf_expect_silence(d, wire.seq, why, size))
			goto fail_desc;
		goto check;
	}
	err = tlsock_fd_wait_ack(d, wire.seq, NF_ANSWER_MS, &ack);
	if (err) {
		snprintf(why, size, "no answer (%s): a hang?; %s", strerror(-err), desc);
		return -1;
	}
	switch (x.answer) {
	case NF_A_ERR:
		ok = ack.err == x.err;
		break;
	case NF_A_POLICY:
		ok = ack.err == -EINVAL || ack.err == -ERANGE;
		break;
	case NF_A_MAYBE:
		ok = ack.err <= 0;
		break;
	}
	if (!ok) {
		snprintf(why, size, "answer %d (%s), expected %d; %s", ack.err,
			 strerror(-ack.err), x.err, desc);
		return -1;
	}
	if (x.claim >= 0) {
		if (nf_accept_reply(&ack, &id) || id != w->req[x.claim].id) {
			snprintf(why, size, "ACCEPT claimed id %u, expected %u; %s", id,
				 w->req[x.claim].id, desc);
			return -1;
		}
		w->req[x.claim].state = NF_CLAIMED;
		w->req[x.claim].owner = sock;
	} else if (ack.replied && m->cmd == TLSOCK_CMD_ACCEPT) {
		/* only ACCEPT's reply carries a descriptor (other replies reuse the number) */
		nf_accept_reply(&ack, &id);
		snprintf(why, size, "a socket was handed over unexpectedly (id %u); %s", id, desc);
		return -1;
	}
	if (x.answer == NF_A_MAYBE && x.target < 0) {
		/* the model knows the target: the DONE reached a request it owns */
		snprintf(why, size, "model: no target for a keys DONE; %s", desc);
		return -1;
	}
	if (x.target >= 0) {
		struct nf_req *r = &w->req[x.target];

		if (x.answer == NF_A_MAYBE) {
			r->state = ack.err ? NF_FAILED : NF_ESTABLISHED;
			r->maybe = true;
		} else {
			r->state = x.state;
			r->err = x.state_err;
		}
	}
check:
	if (!nf_world_check(w, why, size))
		return 0;
	at = strlen(why);
	snprintf(why + at, size - at, "; after: %s", desc);
	return -1;
fail_desc:
	at = strlen(why);
	snprintf(why + at, size - at, "; %s", desc);
	return -1;
}

static const char nf_to_app[] = "from the peer, sealed before the DONE";
static const char nf_to_peer[] = "from the application, after the DONE";

/**
 * nf_victim_start() - a request the real daemon claims, for the batch to leave alone
 * @w: world (nothing else may be queued)
 * @real: the real daemon
 * @v: filled
 *
 * The peer writes one record the application may read only once the keys
 * are in, and only decrypted.
 *
 * Return: 0 or a negative errno.
 */
int nf_victim_start(struct nf_world *w, struct tlsock_fdp *real, struct nf_victim *v)
{
	struct tlsock_rec_spec spec = { .type = TLSOCK_CT_DATA };
	struct tlsock_urec u;
	uint8_t rec[256];
	uint32_t id;
	ssize_t n;
	int err;

	err = tlsock_keys_init(&v->tx, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128);
	if (!err)
		err = tlsock_keys_init(&v->rx, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128);
	if (err)
		return err;
	v->idx = nf_world_request(w, 120000);
	if (v->idx < 0)
		return v->idx;
	err = tlsock_fdp_accept(real, &id, 5000);
	if (err)
		return err;
	if (id != w->req[v->idx].id)
		return -EPROTO;
	w->req[v->idx].state = NF_CLAIMED;
	w->req[v->idx].owner = NF_SOCK_REAL;

	err = tlsock_urec_init(&u, &v->rx);
	if (err)
		return err;
	n = tlsock_urec_seal(&u, &spec, nf_to_app, sizeof(nf_to_app), rec, sizeof(rec));
	tlsock_urec_free(&u);
	if (n < 0)
		return n;
	return tlsock_write_all(w->req[v->idx].peer, rec, n) == n ? 0 : -EIO;
}

/**
 * nf_victim_finish() - the victim is untouched, and completes
 * @w: world
 * @real: the real daemon that claimed it
 * @v: the victim
 * @why: on failure, what went wrong
 * @size: room in @why
 *
 * Still pending without keys; its application can neither read (the
 * peer's record waits) nor write, and nothing reached the peer.  The real
 * daemon's DONE then installs the keys: the application reads the peer's
 * record decrypted and its own bytes leave as a record the peer opens.
 *
 * Return: 0, or -1 with @why filled.
 */
int nf_victim_finish(struct nf_world *w, struct tlsock_fdp *real, struct nf_victim *v,
		     char *why, size_t size)
{
	struct tlsock_fd_done done = { 0 };
	struct nf_req *r = &w->req[v->idx];
	uint8_t buf[512], out[256], type;
	struct tlsock_urec u;
	ssize_t n, total;
	int err;

	if (nf_world_check(w, why, size))
		return -1;
	if (recv(r->app, buf, sizeof(buf), MSG_DONTWAIT) != -1 || errno != EAGAIN) {
		snprintf(why, size, "victim: the application read before the DONE");
		return -1;
	}
	if (send(r->app, "x", 1, MSG_DONTWAIT) != -1 || errno != EAGAIN) {
		snprintf(why, size, "victim: the application wrote before the DONE");
		return -1;
	}
	if (recv(r->peer, buf, sizeof(buf), MSG_DONTWAIT) != -1 || errno != EAGAIN) {
		snprintf(why, size, "victim: bytes reached the peer before the DONE");
		return -1;
	}

	tlsock_fd_done_keys(&done, &v->tx, &v->rx);
	done.secret_len = 32;
	err = tlsock_fdp_done(real, r->id, &done);
	memset(&done, 0, sizeof(done));
	if (err) {
		snprintf(why, size, "victim: the real DONE failed: %s", strerror(-err));
		return -1;
	}
	r->state = NF_ESTABLISHED;
	if (nf_world_check(w, why, size))
		return -1;

	n = tlsock_wait_readable(r->app, 5000) > 0 ? recv(r->app, buf, sizeof(buf), 0) : -1;
	if (n != sizeof(nf_to_app) || memcmp(buf, nf_to_app, sizeof(nf_to_app))) {
		snprintf(why, size, "victim: the peer's record did not arrive decrypted");
		return -1;
	}
	if (send(r->app, nf_to_peer, sizeof(nf_to_peer), 0) != sizeof(nf_to_peer)) {
		snprintf(why, size, "victim: write after the DONE: %s", strerror(errno));
		return -1;
	}
	total = sizeof(nf_to_peer) + TLSOCK_HDR_LEN + 1 + TLSOCK_TAG_LEN;
	if (tlsock_set_nonblock(r->peer, false) || tlsock_read_full(r->peer, buf, total) != total) {
		snprintf(why, size, "victim: the peer got no whole record");
		return -1;
	}
	if (memmem(buf, total, nf_to_peer, sizeof(nf_to_peer))) {
		snprintf(why, size, "victim: plaintext on the wire");
		return -1;
	}
	err = tlsock_urec_init(&u, &v->tx);
	if (err) {
		snprintf(why, size, "victim: record layer: %s", strerror(-err));
		return -1;
	}
	n = tlsock_urec_open(&u, buf, total, &type, out, sizeof(out));
	tlsock_urec_free(&u);
	if (n != sizeof(nf_to_peer) || type != TLSOCK_CT_DATA || memcmp(out, nf_to_peer, n)) {
		snprintf(why, size, "victim: the peer could not open the record (%zd)", n);
		return -1;
	}
	tlsock_keys_wipe(&v->tx);
	tlsock_keys_wipe(&v->rx);
	return 0;
}
