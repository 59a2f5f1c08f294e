// SPDX-License-Identifier: GPL-2.0
/*
 * The netlink fuzzer (see nlfuzz.h): every test runs in a network namespace
 * of its own, where a stand-in daemon in a child process (the "real"
 * daemon) claims one victim request per batch and two root sockets of the
 * test (S0, S1) play hostile daemons that claim decoy requests of their own.
 * Each message is held to the model (model.c): the exact errno where the
 * contract fixes one, no answer where netlink must drop it, the requests
 * it reaches in the state the contract says and every other one untouched.
 * After each batch the victim is still pending, its application has read and
 * written nothing, and the real daemon's DONE completes it: the peer's
 * record arrives decrypted and the application's bytes leave sealed.
 *
 *   header_shapes      lying netlink and genetlink headers
 *   done_shapes        48 DONE messages one by one: lengths, duplicates, missing
 *                      and unknown attributes, nests, keys, secrets, status
 *   request_ids        ids 0, never issued, finished, cancelled, timed out,
 *                      claimed by another socket, of another namespace
 *   unprivileged_*, userns_*, root_without_net_admin, opener_unprivileged
 *                      senders without CAP_NET_ADMIN in the initial user
 *                      namespace, then a random batch from each
 *   race               requests timing out and closing while hostile daemons
 *                      claim, complete and die (race.c)
 *   campaign           seeded random messages from every kind of sender
 *                      (NLFUZZ_SEED, NLFUZZ_MSGS (20000); the seed is printed)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/tlsock.h>

#include "kselftest_harness.h"
#include "nlfuzz.h"

#define NF_DEFAULT_SEED		0x746c736f636bull
#define NF_DEFAULT_MSGS		20000
#define NF_BATCH		125
#define NF_NOBODY		65534

/* Expectations of hand-written cases besides an errno. */
#define NF_X_NONE	1	/* no answer at all */
#define NF_X_POLICY	2	/* refused by the policy: EINVAL or ERANGE */

FIXTURE(nlfuzz) {
	struct nf_world w;
	struct tlsock_fdp real;
	struct tlsock_fd s[2];
	struct nf_victim v;
	char why[4096];
};

FIXTURE_SETUP(nlfuzz)
{
	self->real.pid = -1;
	self->real.ctl = -1;
	self->s[0].nl = -1;
	self->s[1].nl = -1;
	ASSERT_EQ(0, tlsock_netns_enter());
	ASSERT_EQ(0, tlsock_fdp_spawn(&self->real));
	ASSERT_EQ(0, tlsock_fd_open(&self->s[0], false));
	ASSERT_EQ(0, tlsock_fd_open(&self->s[1], false));
	nf_world_init(&self->w, self->s[0].family);
}

FIXTURE_TEARDOWN(nlfuzz)
{
	nf_world_close_all(&self->w, -1);
	tlsock_fd_close(&self->s[0]);
	tlsock_fd_close(&self->s[1]);
	tlsock_fdp_stop(&self->real);
}

/*
 * A hand-written case: the model must agree with the test's own reading of
 * the contract (@want: 0, a negative errno, NF_X_NONE or NF_X_POLICY), and
 * the kernel with the model.
 */
static int nf_case(struct nf_world *w, struct tlsock_fd *d, int who, int sock,
		   const struct nf_msg *m, int want, char *why, size_t size)
{
	static struct nf_wire wire;
	struct nf_expect x;
	int got;

	nf_msg_encode(m, 1, &wire);
	nf_model(w, who, sock, &wire, &x);
	got = x.answer == NF_A_NONE ? NF_X_NONE : x.answer == NF_A_POLICY ? NF_X_POLICY : x.err;
	if (got != want) {
		snprintf(why, size, "model says %d (%s), the case %d", got, x.why, want);
		return -1;
	}
	return nf_send(w, d, who, sock, m, why, size);
}

/* A new request that socket @sock claims with a plain ACCEPT; its index. */
static int nf_decoy(struct nf_world *w, struct tlsock_fd *d, int sock, char *why, size_t size)
{
	struct nf_msg m;
	int i = nf_world_request(w, 120000);

	if (i < 0) {
		snprintf(why, size, "request: %s", strerror(-i));
		return -1;
	}
	nf_msg_init(&m, w->family, TLSOCK_CMD_ACCEPT);
	if (nf_send(w, d, NF_ROOT, sock, &m, why, size))
		return -1;
	if (w->req[i].state != NF_CLAIMED || w->req[i].owner != sock) {
		snprintf(why, size, "the ACCEPT claimed another request");
		return -1;
	}
	return i;
}

/* A DONE that completes request @id with keys of @version and @cipher. */
static void nf_done(struct nf_msg *m, uint16_t family, uint32_t id, uint16_t version,
		    uint16_t cipher)
{
	struct nf_rng r;

	nf_seed(&r, id);
	nf_msg_init(m, family, TLSOCK_CMD_DONE);
	nf_msg_done_ok(m, id, version, cipher, &r);
}

static void nf_done_status(struct nf_msg *m, uint16_t family, uint32_t id, uint32_t status)
{
	nf_msg_init(m, family, TLSOCK_CMD_DONE);
	nf_msg_add_u32(m, TLSOCK_A_DONE_REQ_ID, id);
	nf_msg_add_u32(m, TLSOCK_A_DONE_STATUS, status);
}

TEST_F_TIMEOUT(nlfuzz, header_shapes, 120)
{
	static const struct {
		const char *name;
		uint8_t cmd;
		uint16_t type;		/* 0: the family */
		uint16_t flags;		/* 0: request and ack */
		uint16_t reserved;
		uint8_t version;
		int len_mode;
		uint32_t len_arg;
		int want;
	} cases[] = {
		{ "not a request", TLSOCK_CMD_ACCEPT, 0, NLM_F_ACK, 0, 1, 0, 0, 0 },
		{ "control type", TLSOCK_CMD_ACCEPT, NLMSG_DONE, 0, 0, 1, 0, 0, 0 },
		{ "unknown family", TLSOCK_CMD_ACCEPT, 1100, 0, 0, 1, 0, 0, -ENOENT },
		{ "short genl header", TLSOCK_CMD_ACCEPT, 0, 0, 0, 1, NF_LEN_SHORT_GENL, 2,
		  -EINVAL },
		{ "reserved set", TLSOCK_CMD_STATUS_GET, 0, 0, 7, 1, 0, 0, -EINVAL },
		{ "excl flag", TLSOCK_CMD_ACCEPT, 0, NLM_F_REQUEST | NLM_F_ACK | NLM_F_EXCL, 0, 1,
		  0, 0, -EINVAL },
		{ "half a dump", TLSOCK_CMD_DONE, 0, NLM_F_REQUEST | NLM_F_ACK | NLM_F_ROOT, 0, 1,
		  0, 0, -EINVAL },
		{ "dump", TLSOCK_CMD_STATUS_GET, 0, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, 0, 1,
		  0, 0, -EOPNOTSUPP },
		{ "cmd unspec", TLSOCK_CMD_UNSPEC, 0, 0, 0, 1, 0, 0, -EOPNOTSUPP },
		{ "cmd ready", TLSOCK_CMD_READY, 0, 0, 0, 1, 0, 0, -EOPNOTSUPP },
		{ "cmd ticket", TLSOCK_CMD_TICKET, 0, 0, 0, 1, 0, 0, -EOPNOTSUPP },
		{ "cmd past the last", TLSOCK_CMD_MAX + 1, 0, 0, 0, 1, 0, 0, -EOPNOTSUPP },
		{ "cmd 255", 255, 0, 0, 0, 1, 0, 0, -EOPNOTSUPP },
		{ "longer than sent", TLSOCK_CMD_ACCEPT, 0, 0, 0, 1, NF_LEN_CLAIM_MORE, 40,
		  NF_X_NONE },
		{ "shorter than a header", TLSOCK_CMD_ACCEPT, 0, 0, 0, 1, NF_LEN_TINY, 9,
		  NF_X_NONE },
		{ "stray tail", TLSOCK_CMD_STATUS_GET, 0, 0, 0, 1, NF_LEN_TAIL, 11, 0 },
		{ "version 0", TLSOCK_CMD_STATUS_GET, 0, 0, 0, 0, 0, 0, 0 },
		{ "status with an attribute", TLSOCK_CMD_STATUS_GET, 0, 0, 0, 1, 0, 0, -EINVAL },
		{ "version 255", TLSOCK_CMD_ACCEPT, 0, 0, 0, 255, 0, 0, -EAGAIN },
	};
	struct nf_msg m;
	unsigned int i;

	ASSERT_EQ(0, nf_victim_start(&self->w, &self->real, &self->v));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		nf_msg_init(&m, self->w.family, cases[i].cmd);
		if (cases[i].type)
			m.type = cases[i].type;
		if (cases[i].flags)
			m.flags = cases[i].flags;
		m.reserved = cases[i].reserved;
		m.version = cases[i].version;
		m.len_mode = cases[i].len_mode;
		m.len_arg = cases[i].len_arg;
		nf_msg_add_u32(&m, TLSOCK_A_DONE_REQ_ID, self->w.req[self->v.idx].id);
		if (cases[i].cmd == TLSOCK_CMD_ACCEPT && cases[i].want == -EAGAIN)
			m.n = 0;	/* a plain ACCEPT, nothing pending */
		if (cases[i].cmd == TLSOCK_CMD_STATUS_GET && !cases[i].want)
			m.n = 0;	/* STATUS_GET takes no attributes */
		EXPECT_EQ(0, nf_case(&self->w, &self->s[0], NF_ROOT, 0, &m, cases[i].want,
				     self->why, sizeof(self->why)))
			TH_LOG("%s: %s", cases[i].name, self->why);
	}
	ASSERT_EQ(0, nf_victim_finish(&self->w, &self->real, &self->v, self->why,
				      sizeof(self->why))) TH_LOG("%s", self->why);
}

/* How a hand-written DONE case changes a valid DONE (nf_done_shape()). */
enum nf_shape {
	NF_SH_VALID13, NF_SH_VALID12_CHACHA, NF_SH_VALID13_GCM256, NF_SH_STATUS, NF_SH_STATUS_511,
	NF_SH_NO_STATUS, NF_SH_NO_ID, NF_SH_ID_SHORT, NF_SH_ID_LONG, NF_SH_TYPE_16, NF_SH_TYPE_0,
	NF_SH_TYPE_TOP, NF_SH_NESTED, NF_SH_CUT, NF_SH_NLA_LEN_SHORT, NF_SH_NLA_LEN_LONG,
	NF_SH_DUP_ID_OWN_LAST, NF_SH_DUP_ID_VICTIM_LAST, NF_SH_DUP_TX_GOOD_LAST, NF_SH_NO_VERSION,
	NF_SH_NO_CIPHER, NF_SH_NO_RX, NF_SH_VERSION_11, NF_SH_CIPHER_UNKNOWN, NF_SH_CIPHER_SPLIT,
	NF_SH_TX_39, NF_SH_TX_57, NF_SH_TX_3, NF_SH_RX_39, NF_SH_RX_41, NF_SH_RX_55, NF_SH_RX_VERSION,
	NF_SH_ONE_SECRET, NF_SH_SECRET_31, NF_SH_SECRET_49, NF_SH_SECRETS_UNEQUAL,
	NF_SH_SECRETS_12, NF_SH_GCM256_SECRET_32, NF_SH_SUBJECT_NO_NUL, NF_SH_SUBJECT_1024,
	NF_SH_SUBJECT_1023, NF_SH_SAN_256, NF_SH_SAN_EMPTY, NF_SH_SAN_MANY, NF_SH_FLAG_VALUE,
	NF_SH_PARK, NF_SH_TICKET_PORT, NF_SH_BYTEORDER,
	NF_SH_COUNT
};

static const struct {
	const char *name;
	int want;	/* 0, -errno or NF_X_POLICY */
	int state;	/* the decoy afterwards */
	int err;
} nf_shapes[NF_SH_COUNT] = {
	[NF_SH_VALID13] = { "valid TLS 1.3 AES-GCM-128", 0, NF_ESTABLISHED, 0 },
	[NF_SH_VALID12_CHACHA] = { "valid TLS 1.2 ChaCha20", 0, NF_ESTABLISHED, 0 },
	[NF_SH_VALID13_GCM256] = { "valid TLS 1.3 AES-GCM-256", 0, NF_ESTABLISHED, 0 },
	[NF_SH_STATUS] = { "status EPROTO", 0, NF_FAILED, EPROTO },
	[NF_SH_STATUS_511] = { "status 511", 0, NF_FAILED, 511 },
	[NF_SH_NO_STATUS] = { "no status", -EINVAL, NF_CLAIMED, 0 },
	[NF_SH_NO_ID] = { "no id", -EINVAL, NF_CLAIMED, 0 },
	[NF_SH_ID_SHORT] = { "id of 2 bytes", NF_X_POLICY, NF_CLAIMED, 0 },
	[NF_SH_ID_LONG] = { "id of 8 bytes", NF_X_POLICY, NF_CLAIMED, 0 },
	[NF_SH_TYPE_16] = { "unknown type 16", NF_X_POLICY, NF_CLAIMED, 0 },
	[NF_SH_TYPE_0] = { "type 0", NF_X_POLICY, NF_CLAIMED, 0 },
	[NF_SH_TYPE_TOP] = { "type 0x3fff", NF_X_POLICY, NF_CLAIMED, 0 },
	[NF_SH_NESTED] = { "nested garbage in tx-crypto", NF_X_POLICY, NF_CLAIMED, 0 },
	[NF_SH_CUT] = { "last attribute cut short", NF_X_POLICY, NF_CLAIMED, 0 },
	[NF_SH_NLA_LEN_SHORT] = { "nla_len below a header", NF_X_POLICY, NF_CLAIMED, 0 },
	[NF_SH_NLA_LEN_LONG] = { "nla_len past the message", NF_X_POLICY, NF_CLAIMED, 0 },
	[NF_SH_DUP_ID_OWN_LAST] = { "victim's id, then its own", 0, NF_ESTABLISHED, 0 },
	[NF_SH_DUP_ID_VICTIM_LAST] = { "its own id, then the victim's", -EPERM, NF_CLAIMED, 0 },
	[NF_SH_DUP_TX_GOOD_LAST] = { "a short tx-crypto, then a good one", 0, NF_ESTABLISHED, 0 },
	[NF_SH_NO_VERSION] = { "no version", -EINVAL, NF_FAILED, EIO },
	[NF_SH_NO_CIPHER] = { "no cipher", -EINVAL, NF_FAILED, EIO },
	[NF_SH_NO_RX] = { "no rx-crypto", -EINVAL, NF_FAILED, EIO },
	[NF_SH_VERSION_11] = { "TLS 1.1 everywhere", -EINVAL, NF_FAILED, EIO },
	[NF_SH_CIPHER_UNKNOWN] = { "cipher 0xffff everywhere", -EINVAL, NF_FAILED, EIO },
	[NF_SH_CIPHER_SPLIT] = { "tx and rx of two ciphers", -EINVAL, NF_FAILED, EIO },
	[NF_SH_TX_39] = { "tx-crypto one byte short", -EINVAL, NF_FAILED, EIO },
	[NF_SH_TX_57] = { "tx-crypto past the largest", -EINVAL, NF_FAILED, EIO },
	[NF_SH_TX_3] = { "tx-crypto of 3 bytes", -EINVAL, NF_FAILED, EIO },
	[NF_SH_RX_39] = { "rx-crypto one byte short", -EINVAL, NF_FAILED, EIO },
	[NF_SH_RX_41] = { "rx-crypto one byte long", -EINVAL, NF_FAILED, EIO },
	[NF_SH_RX_55] = { "rx-crypto of 55 bytes", -EINVAL, NF_FAILED, EIO },
	[NF_SH_RX_VERSION] = { "rx-crypto of TLS 1.2", -EINVAL, NF_FAILED, EIO },
	[NF_SH_ONE_SECRET] = { "one secret only", -EINVAL, NF_FAILED, EIO },
	[NF_SH_SECRET_31] = { "secrets of 31 bytes", -EINVAL, NF_FAILED, EIO },
	[NF_SH_SECRET_49] = { "secrets of 49 bytes", -EINVAL, NF_FAILED, EIO },
	[NF_SH_SECRETS_UNEQUAL] = { "secrets of 32 and 48 bytes", -EINVAL, NF_FAILED, EIO },
	[NF_SH_SECRETS_12] = { "secrets with TLS 1.2", -EINVAL, NF_FAILED, EIO },
	[NF_SH_GCM256_SECRET_32] = { "AES-GCM-256 with 32-byte secrets", -EINVAL, NF_FAILED,
				     EIO },
	[NF_SH_SUBJECT_NO_NUL] = { "subject without its NUL", NF_X_POLICY, NF_CLAIMED, 0 },
	[NF_SH_SUBJECT_1024] = { "subject of 1024 bytes", NF_X_POLICY, NF_CLAIMED, 0 },
	[NF_SH_SUBJECT_1023] = { "subject of 1023 bytes", 0, NF_ESTABLISHED, 0 },
	[NF_SH_SAN_256] = { "a SAN of 256 bytes", NF_X_POLICY, NF_CLAIMED, 0 },
	[NF_SH_SAN_EMPTY] = { "an empty SAN", NF_X_POLICY, NF_CLAIMED, 0 },
	[NF_SH_SAN_MANY] = { "twelve SANs of 255 bytes", 0, NF_ESTABLISHED, 0 },
	[NF_SH_FLAG_VALUE] = { "peer-verified with a value", NF_X_POLICY, NF_CLAIMED, 0 },
	[NF_SH_PARK] = { "park with a valid DONE", 0, NF_ESTABLISHED, 0 },
	[NF_SH_TICKET_PORT] = { "ticket port nobody holds", 0, NF_ESTABLISHED, 0 },
	[NF_SH_BYTEORDER] = { "byte-order flag on the id", 0, NF_ESTABLISHED, 0 },
};

/* Build shape @sh of a DONE for request @id (@victim: an id the sender does not own). */
static void nf_done_shape(struct nf_msg *m, uint16_t family, int sh, uint32_t id,
			  uint32_t victim)
{
	uint8_t v[1100];
	struct nf_attr *a;
	uint16_t u16;
	int i;

	memset(v, 'a', sizeof(v));
	switch (sh) {
	case NF_SH_VALID12_CHACHA:
		nf_done(m, family, id, TLS_1_2_VERSION, TLS_CIPHER_CHACHA20_POLY1305);
		return;
	case NF_SH_VALID13_GCM256:
	case NF_SH_GCM256_SECRET_32:
		nf_done(m, family, id, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_256);
		if (sh == NF_SH_GCM256_SECRET_32) {
			nf_msg_find(m, TLSOCK_A_DONE_TX_SECRET)->len = 32;
			nf_msg_find(m, TLSOCK_A_DONE_RX_SECRET)->len = 32;
		}
		return;
	case NF_SH_STATUS:
		nf_done_status(m, family, id, EPROTO);
		return;
	case NF_SH_STATUS_511:
		nf_done_status(m, family, id, 511);
		return;
	case NF_SH_SECRETS_12:
		nf_done(m, family, id, TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128);
		nf_msg_add(m, TLSOCK_A_DONE_TX_SECRET, v, 32);
		nf_msg_add(m, TLSOCK_A_DONE_RX_SECRET, v, 32);
		return;
	case NF_SH_VERSION_11:
	case NF_SH_CIPHER_UNKNOWN:
		nf_done(m, family, id, TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128);
		u16 = sh == NF_SH_VERSION_11 ? 0x0302 : 0xffff;
		memcpy(nf_msg_find(m, sh == NF_SH_VERSION_11 ? TLSOCK_A_DONE_VERSION :
				   TLSOCK_A_DONE_CIPHER)->val, &u16, 2);
		memcpy(nf_msg_find(m, TLSOCK_A_DONE_TX_CRYPTO)->val +
		       (sh == NF_SH_VERSION_11 ? 0 : 2), &u16, 2);
		memcpy(nf_msg_find(m, TLSOCK_A_DONE_RX_CRYPTO)->val +
		       (sh == NF_SH_VERSION_11 ? 0 : 2), &u16, 2);
		return;
	}
	nf_done(m, family, id, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128);
	switch (sh) {
	case NF_SH_NO_STATUS:
		nf_msg_drop(m, nf_msg_find(m, TLSOCK_A_DONE_STATUS) - m->a);
		break;
	case NF_SH_NO_ID:
		nf_msg_drop(m, nf_msg_find(m, TLSOCK_A_DONE_REQ_ID) - m->a);
		break;
	case NF_SH_ID_SHORT:
		nf_msg_find(m, TLSOCK_A_DONE_REQ_ID)->len = 2;
		break;
	case NF_SH_ID_LONG:
		nf_msg_find(m, TLSOCK_A_DONE_REQ_ID)->len = 8;
		break;
	case NF_SH_TYPE_16:
		nf_msg_add_u32(m, TLSOCK_A_DONE_MAX + 1, 1);
		break;
	case NF_SH_TYPE_0:
		nf_msg_add_u32(m, 0, 1);
		break;
	case NF_SH_TYPE_TOP:
		nf_msg_add(m, 0x3fff, v, 5);
		break;
	case NF_SH_NESTED:
		a = nf_msg_find(m, TLSOCK_A_DONE_TX_CRYPTO);
		a->type |= NLA_F_NESTED;
		/* a nest holding one u32 attribute of type 1 and a stray byte */
		memcpy(a->val, "\x08\x00\x01\x00\x01\x00\x00\x00\x05\x00\x09\x80\xff", 13);
		a->len = 13;
		break;
	case NF_SH_CUT:
		m->len_mode = NF_LEN_CUT;
		m->len_arg = 5;
		break;
	case NF_SH_NLA_LEN_SHORT:
		nf_msg_find(m, TLSOCK_A_DONE_RX_SECRET)->nla_len = 2;
		break;
	case NF_SH_NLA_LEN_LONG:
		nf_msg_find(m, TLSOCK_A_DONE_RX_SECRET)->nla_len = 200;
		break;
	case NF_SH_DUP_ID_OWN_LAST:
		memcpy(m->a[0].val, &victim, 4);
		nf_msg_add_u32(m, TLSOCK_A_DONE_REQ_ID, id);
		break;
	case NF_SH_DUP_ID_VICTIM_LAST:
		nf_msg_add_u32(m, TLSOCK_A_DONE_REQ_ID, victim);
		break;
	case NF_SH_DUP_TX_GOOD_LAST:
		a = nf_msg_find(m, TLSOCK_A_DONE_TX_CRYPTO);
		m->a[m->n] = *a;
		m->n++;
		a->len = 20;
		break;
	case NF_SH_NO_VERSION:
		nf_msg_drop(m, nf_msg_find(m, TLSOCK_A_DONE_VERSION) - m->a);
		break;
	case NF_SH_NO_CIPHER:
		nf_msg_drop(m, nf_msg_find(m, TLSOCK_A_DONE_CIPHER) - m->a);
		break;
	case NF_SH_NO_RX:
		nf_msg_drop(m, nf_msg_find(m, TLSOCK_A_DONE_RX_CRYPTO) - m->a);
		break;
	case NF_SH_CIPHER_SPLIT:
		u16 = TLS_CIPHER_AES_CCM_128;
		memcpy(nf_msg_find(m, TLSOCK_A_DONE_RX_CRYPTO)->val + 2, &u16, 2);
		break;
	case NF_SH_TX_39:
		nf_msg_find(m, TLSOCK_A_DONE_TX_CRYPTO)->len = 39;
		break;
	case NF_SH_TX_57:
		nf_msg_find(m, TLSOCK_A_DONE_TX_CRYPTO)->len = 57;
		break;
	case NF_SH_TX_3:
		nf_msg_find(m, TLSOCK_A_DONE_TX_CRYPTO)->len = 3;
		break;
	case NF_SH_RX_39:
	case NF_SH_RX_41:
		/* the transmit keys are fine: nothing may be installed all the same */
		nf_msg_find(m, TLSOCK_A_DONE_RX_CRYPTO)->len = sh == NF_SH_RX_39 ? 39 : 41;
		break;
	case NF_SH_RX_55:
		nf_msg_find(m, TLSOCK_A_DONE_RX_CRYPTO)->len = 55;
		break;
	case NF_SH_RX_VERSION:
		u16 = TLS_1_2_VERSION;
		memcpy(nf_msg_find(m, TLSOCK_A_DONE_RX_CRYPTO)->val, &u16, 2);
		break;
	case NF_SH_ONE_SECRET:
		nf_msg_drop(m, nf_msg_find(m, TLSOCK_A_DONE_RX_SECRET) - m->a);
		break;
	case NF_SH_SECRET_31:
	case NF_SH_SECRET_49:
		nf_msg_find(m, TLSOCK_A_DONE_TX_SECRET)->len = sh == NF_SH_SECRET_31 ? 31 : 49;
		nf_msg_find(m, TLSOCK_A_DONE_RX_SECRET)->len = sh == NF_SH_SECRET_31 ? 31 : 49;
		break;
	case NF_SH_SECRETS_UNEQUAL:
		nf_msg_find(m, TLSOCK_A_DONE_RX_SECRET)->len = 48;
		break;
	case NF_SH_SUBJECT_NO_NUL:
		nf_msg_add(m, TLSOCK_A_DONE_PEER_SUBJECT, "CN=x", 4);
		break;
	case NF_SH_SUBJECT_1024:
	case NF_SH_SUBJECT_1023:
		i = sh == NF_SH_SUBJECT_1024 ? 1024 : 1023;
		v[i] = 0;
		nf_msg_add(m, TLSOCK_A_DONE_PEER_SUBJECT, v, i + 1);
		v[i] = 'a';
		break;
	case NF_SH_SAN_256:
		nf_msg_add(m, TLSOCK_A_DONE_PEER_SAN, v, 256);
		break;
	case NF_SH_SAN_EMPTY:
		nf_msg_add(m, TLSOCK_A_DONE_PEER_SAN, v, 0);
		break;
	case NF_SH_SAN_MANY:
		for (i = 0; i < 12; i++)
			nf_msg_add(m, TLSOCK_A_DONE_PEER_SAN, v, 255);
		nf_msg_add(m, TLSOCK_A_DONE_PEER_SAN_TRUNCATED, NULL, 0);
		break;
	case NF_SH_FLAG_VALUE:
		nf_msg_add(m, TLSOCK_A_DONE_PEER_VERIFIED, v, 1);
		break;
	case NF_SH_PARK:
		nf_msg_add(m, TLSOCK_A_DONE_PARK, NULL, 0);
		break;
	case NF_SH_TICKET_PORT:
		nf_msg_add_u32(m, TLSOCK_A_DONE_TICKET_PORTID, 0x51ee9);
		break;
	case NF_SH_BYTEORDER:
		nf_msg_find(m, TLSOCK_A_DONE_REQ_ID)->type |= NLA_F_NET_BYTEORDER;
		break;
	}
}

TEST_F_TIMEOUT(nlfuzz, done_shapes, 120)
{
	struct nf_world *w = &self->w;
	uint32_t victim;
	struct nf_msg m;
	int sh, i = -1, st;
	uint32_t s;

	ASSERT_EQ(0, nf_victim_start(w, &self->real, &self->v));
	victim = w->req[self->v.idx].id;
	for (sh = 0; sh < NF_SH_COUNT; sh++) {
		/* a fresh decoy when the last one finished */
		if (i < 0 || w->req[i].state != NF_CLAIMED) {
			if (i >= 0)
				nf_world_close(w, i);
			i = nf_decoy(w, &self->s[0], 0, self->why, sizeof(self->why));
			ASSERT_LE(0, i) TH_LOG("%s", self->why);
		}
		nf_done_shape(&m, w->family, sh, w->req[i].id, victim);
		EXPECT_EQ(0, nf_case(w, &self->s[0], NF_ROOT, 0, &m, nf_shapes[sh].want,
				     self->why, sizeof(self->why)))
			TH_LOG("%s: %s", nf_shapes[sh].name, self->why);
		EXPECT_EQ(nf_shapes[sh].state, w->req[i].state) TH_LOG("%s", nf_shapes[sh].name);
		if (nf_shapes[sh].state == NF_FAILED)
			EXPECT_EQ(nf_shapes[sh].err, w->req[i].err) TH_LOG("%s", nf_shapes[sh].name);
	}
	/* statuses the application must never see: the kernel-internal ones and beyond */
	if (w->req[i].state != NF_CLAIMED) {
		nf_world_close(w, i);
		i = nf_decoy(w, &self->s[0], 0, self->why, sizeof(self->why));
		ASSERT_LE(0, i) TH_LOG("%s", self->why);
	}
	for (s = 512; s <= 530; s++) {
		nf_done_status(&m, w->family, w->req[i].id, s);
		EXPECT_EQ(0, nf_case(w, &self->s[0], NF_ROOT, 0, &m, NF_X_POLICY, self->why,
				     sizeof(self->why))) TH_LOG("status %u: %s", s, self->why);
	}
	for (st = 0; st < 3; st++) {
		static const uint32_t huge[] = { 0x7fffffff, 0x80000000, 0xffffffff };

		nf_done_status(&m, w->family, w->req[i].id, huge[st]);
		EXPECT_EQ(0, nf_case(w, &self->s[0], NF_ROOT, 0, &m, NF_X_POLICY, self->why,
				     sizeof(self->why))) TH_LOG("status %#x: %s", huge[st], self->why);
	}
	EXPECT_EQ(NF_CLAIMED, w->req[i].state);
	ASSERT_EQ(0, nf_victim_finish(w, &self->real, &self->v, self->why, sizeof(self->why)))
		TH_LOG("%s", self->why);
}

/* Wait for request @i to fail on its own (its timeout); the model learns it. */
static int nf_wait_failed(struct nf_world *w, int i, int err, int ms)
{
	struct tlsock_info info;
	socklen_t len;

	for (; ms > 0; ms -= 50) {
		len = sizeof(info);
		if (getsockopt(w->req[i].app, SOL_TLSOCK, TLSOCK_INFO, &info, &len))
			return -errno;
		if (info.state == TLSOCK_STATE_FAILED) {
			w->req[i].state = NF_FAILED;
			w->req[i].err = info.error;
			return (int)info.error == err ? 0 : -EPROTO;
		}
		usleep(50 * 1000);
	}
	return -ETIMEDOUT;
}

TEST_F_TIMEOUT(nlfuzz, request_ids, 120)
{
	struct nf_world *w = &self->w;
	static struct nf_world other;
	struct tlsock_fd ob = { .nl = -1 };
	int home, d2, d3, late, i, k;
	uint32_t victim;
	struct nf_msg m;

	ASSERT_EQ(0, nf_victim_start(w, &self->real, &self->v));
	victim = w->req[self->v.idx].id;
	d2 = nf_decoy(w, &self->s[0], 0, self->why, sizeof(self->why));
	ASSERT_LE(0, d2) TH_LOG("%s", self->why);
	d3 = nf_world_request(w, 120000);
	ASSERT_LE(0, d3);

	/*
	 * Another namespace with more requests than ours, all claimed by its own
	 * daemon: its ids are numbers ours has too, and some ours has not.
	 */
	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, home);
	ASSERT_EQ(0, tlsock_netns_enter());
	ASSERT_EQ(0, tlsock_fd_open(&ob, true));
	nf_world_init(&other, ob.family);
	for (k = 0; k < 8; k++) {
		i = nf_decoy(&other, &ob, 0, self->why, sizeof(self->why));
		ASSERT_LE(0, i) TH_LOG("other namespace: %s", self->why);
	}
	ASSERT_EQ(0, setns(home, CLONE_NEWNET));
	close(home);

	/* ours: 0, never issued, the other namespace's only, the victim, a queued one */
	nf_done_status(&m, w->family, 0, EPROTO);
	EXPECT_EQ(0, nf_case(w, &self->s[0], NF_ROOT, 0, &m, -ENOENT, self->why,
			     sizeof(self->why))) TH_LOG("id 0: %s", self->why);
	nf_done_status(&m, w->family, w->next_id + 1000, EPROTO);
	EXPECT_EQ(0, nf_case(w, &self->s[0], NF_ROOT, 0, &m, -ENOENT, self->why,
			     sizeof(self->why))) TH_LOG("never issued: %s", self->why);
	nf_done_status(&m, w->family, 0xffffffff, EPROTO);
	EXPECT_EQ(0, nf_case(w, &self->s[0], NF_ROOT, 0, &m, -ENOENT, self->why,
			     sizeof(self->why))) TH_LOG("id 0xffffffff: %s", self->why);
	nf_done_status(&m, w->family, other.req[other.n - 1].id, EPROTO);
	EXPECT_EQ(0, nf_case(w, &self->s[0], NF_ROOT, 0, &m, -ENOENT, self->why,
			     sizeof(self->why))) TH_LOG("another namespace's id: %s", self->why);
	nf_done(&m, w->family, victim, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128);
	EXPECT_EQ(0, nf_case(w, &self->s[0], NF_ROOT, 0, &m, -EPERM, self->why,
			     sizeof(self->why))) TH_LOG("the victim: %s", self->why);
	nf_done_status(&m, w->family, w->req[d3].id, EPROTO);
	EXPECT_EQ(0, nf_case(w, &self->s[0], NF_ROOT, 0, &m, -EPERM, self->why,
			     sizeof(self->why))) TH_LOG("a queued one: %s", self->why);
	/* S1 on S0's request */
	nf_done_status(&m, w->family, w->req[d2].id, EPROTO);
	EXPECT_EQ(0, nf_case(w, &self->s[1], NF_ROOT, 1, &m, -EPERM, self->why,
			     sizeof(self->why))) TH_LOG("another socket's: %s", self->why);

	/* the other namespace's daemon on the same numbers: its own requests only */
	nf_done_status(&m, other.family, w->req[d2].id, ECONNRESET);
	EXPECT_EQ(0, nf_case(&other, &ob, NF_ROOT, 0, &m, 0, self->why, sizeof(self->why)))
		TH_LOG("other namespace, id %u: %s", w->req[d2].id, self->why);
	nf_done(&m, other.family, victim, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128);
	EXPECT_EQ(0, nf_case(&other, &ob, NF_ROOT, 0, &m, 0, self->why, sizeof(self->why)))
		TH_LOG("other namespace, the victim's id %u: %s", victim, self->why);
	EXPECT_EQ(0, nf_world_check(w, self->why, sizeof(self->why))) TH_LOG("%s", self->why);
	EXPECT_EQ(0, nf_world_check(&other, self->why, sizeof(self->why)))
		TH_LOG("%s", self->why);
	nf_world_close_all(&other, -1);
	tlsock_fd_close(&ob);

	/* finished: once more after its DONE */
	nf_done_status(&m, w->family, w->req[d2].id, EPROTO);
	EXPECT_EQ(0, nf_case(w, &self->s[0], NF_ROOT, 0, &m, 0, self->why, sizeof(self->why)))
		TH_LOG("%s", self->why);
	EXPECT_EQ(0, nf_case(w, &self->s[0], NF_ROOT, 0, &m, -ENOENT, self->why,
			     sizeof(self->why))) TH_LOG("finished: %s", self->why);
	/* cancelled: its application closed it before anyone claimed it */
	nf_world_close(w, d3);
	nf_msg_init(&m, w->family, TLSOCK_CMD_ACCEPT);
	EXPECT_EQ(0, nf_case(w, &self->s[0], NF_ROOT, 0, &m, -EAGAIN, self->why,
			     sizeof(self->why))) TH_LOG("cancelled, then ACCEPT: %s", self->why);
	nf_done_status(&m, w->family, w->req[d3].id, EPROTO);
	EXPECT_EQ(0, nf_case(w, &self->s[0], NF_ROOT, 0, &m, -ENOENT, self->why,
			     sizeof(self->why))) TH_LOG("cancelled: %s", self->why);
	/* timed out in the hands of S1 */
	late = nf_world_request(w, 1500);
	ASSERT_LE(0, late);
	nf_msg_init(&m, w->family, TLSOCK_CMD_ACCEPT);
	ASSERT_EQ(0, nf_case(w, &self->s[1], NF_ROOT, 1, &m, 0, self->why, sizeof(self->why)))
		TH_LOG("%s", self->why);
	ASSERT_EQ(0, nf_wait_failed(w, late, ETIMEDOUT, 10000));
	nf_done(&m, w->family, w->req[late].id, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128);
	EXPECT_EQ(0, nf_case(w, &self->s[1], NF_ROOT, 1, &m, -ENOENT, self->why,
			     sizeof(self->why))) TH_LOG("timed out: %s", self->why);

	ASSERT_EQ(0, nf_victim_finish(w, &self->real, &self->v, self->why, sizeof(self->why)))
		TH_LOG("%s", self->why);
	/* and the victim's id, finished now, belongs to nobody */
	nf_done_status(&m, w->family, victim, EPROTO);
	EXPECT_EQ(0, nf_case(w, &self->s[0], NF_ROOT, 0, &m, -ENOENT, self->why,
			     sizeof(self->why))) TH_LOG("the finished victim: %s", self->why);
}

/* Senders without the daemon's privilege (enum nf_ident). */
enum nf_ident {
	NF_ID_UNPRIV_OWN,	/* setresuid(nobody), its own socket */
	NF_ID_UNPRIV_INHERITED,	/* root's socket, then setresuid(nobody) */
	NF_ID_USERNS_OWN,	/* root of a new user namespace, a socket in its new netns */
	NF_ID_USERNS_INHERITED,	/* root's socket of our netns, then a new user namespace */
	NF_ID_ROOT_NO_NET_ADMIN,	/* uid 0 without CAP_NET_ADMIN, its own socket */
	NF_ID_COUNT
};

static const char *const nf_ident_names[] = {
	[NF_ID_UNPRIV_OWN] = "unprivileged user, own socket",
	[NF_ID_UNPRIV_INHERITED] = "unprivileged user, root's socket",
	[NF_ID_USERNS_OWN] = "user namespace root, own namespaces",
	[NF_ID_USERNS_INHERITED] = "user namespace root, root's socket",
	[NF_ID_ROOT_NO_NET_ADMIN] = "uid 0 without CAP_NET_ADMIN",
};

/* Keep uid 0, lose CAP_NET_ADMIN (effective and permitted): it is the capability that counts. */
static int nf_drop_net_admin(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct c[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &h, c))
		return -errno;
	c[CAP_TO_INDEX(CAP_NET_ADMIN)].effective &= ~CAP_TO_MASK(CAP_NET_ADMIN);
	c[CAP_TO_INDEX(CAP_NET_ADMIN)].permitted &= ~CAP_TO_MASK(CAP_NET_ADMIN);
	return syscall(SYS_capset, &h, c) ? -errno : 0;
}

/*
 * The fixed messages of an unprivileged sender: claim, complete the victim
 * and a decoy, read the status, join the daemons' group.  Then @count random
 * ones.  Prints what failed; 0 or -1.
 */
static int nf_hostile(struct nf_world *w, struct tlsock_fd *d, int who, bool join_refused,
		      uint64_t seed, int count, const char *name)
{
	static char why[4096];
	struct nf_rng r;
	struct nf_ids ids;
	struct nf_msg m;
	unsigned int i;
	int n;

	if (join_refused &&
	    (!setsockopt(d->nl, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &d->group,
			 sizeof(d->group)) || errno != EPERM)) {
		fprintf(stderr, "# %s: joined the daemons' group\n", name);
		return -1;
	}
	nf_msg_init(&m, w->family, TLSOCK_CMD_ACCEPT);
	if (nf_case(w, d, who, -1, &m, -EPERM, why, sizeof(why)))
		goto fail;
	nf_msg_add(&m, TLSOCK_A_ACCEPT_PARK, NULL, 0);
	if (nf_case(w, d, who, -1, &m, -EPERM, why, sizeof(why)))
		goto fail;
	for (i = 0; i < w->n; i++) {
		if (w->req[i].state != NF_CLAIMED && w->req[i].state != NF_QUEUED)
			continue;
		nf_done(&m, w->family, w->req[i].id, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128);
		if (nf_case(w, d, who, -1, &m, -EPERM, why, sizeof(why)))
			goto fail;
		nf_done_status(&m, w->family, w->req[i].id, EPROTO);
		if (nf_case(w, d, who, -1, &m, -EPERM, why, sizeof(why)))
			goto fail;
	}
	nf_msg_init(&m, w->family, TLSOCK_CMD_STATUS_GET);
	if (nf_case(w, d, who, -1, &m, who == NF_USERNS_OWN ? 0 : -EPERM, why, sizeof(why)))
		goto fail;

	nf_seed(&r, seed);
	for (n = 0; n < count; n++) {
		nf_world_ids(w, -1, &ids);
		nf_gen(&r, w->family, &ids, &m);
		if (nf_send(w, d, who, -1, &m, why, sizeof(why))) {
			fprintf(stderr, "# %s: random message %d of seed %llu: %s\n", name, n,
			       (unsigned long long)seed, why);
			return -1;
		}
	}
	return 0;
fail:
	fprintf(stderr, "# %s: %s\n", name, why);
	return -1;
}

/* Run nf_hostile() as sender @ident in a child; 0 when every answer was right. */
static int nf_hostile_child(struct nf_world *w, int ident, uint64_t seed, int count)
{
	struct tlsock_fd root = { .nl = -1 };
	int status, err, who = NF_UNPRIV;
	struct tlsock_fd d;
	pid_t pid;

	if (ident == NF_ID_UNPRIV_INHERITED || ident == NF_ID_USERNS_INHERITED) {
		err = tlsock_fd_open(&root, false);
		if (err)
			return err;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		switch (ident) {
		case NF_ID_UNPRIV_OWN:
		case NF_ID_UNPRIV_INHERITED:
			if (setresgid(NF_NOBODY, NF_NOBODY, NF_NOBODY) ||
			    setresuid(NF_NOBODY, NF_NOBODY, NF_NOBODY))
				_exit(10);
			break;
		case NF_ID_ROOT_NO_NET_ADMIN:
			if (nf_drop_net_admin())
				_exit(13);
			break;
		default:
			err = tlsock_userns_enter();
			if (err) {
				fprintf(stderr, "# %s: %s\n", nf_ident_names[ident], strerror(-err));
				_exit(11);
			}
			break;
		}
		if (ident == NF_ID_UNPRIV_OWN || ident == NF_ID_USERNS_OWN ||
		    ident == NF_ID_ROOT_NO_NET_ADMIN) {
			if (tlsock_fd_open(&d, false))
				_exit(12);
		} else {
			d = root;
		}
		if (ident == NF_ID_USERNS_OWN)
			who = NF_USERNS_OWN;
		_exit(nf_hostile(w, &d, who, ident != NF_ID_USERNS_OWN, seed, count,
				 nf_ident_names[ident]) ? 1 : 0);
	}
	tlsock_fd_close(&root);
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EPERM;
}

/* A victim, a decoy claimed by S0 and one queued, then sender @ident. */
static void nf_hostile_batch(struct __test_metadata *_metadata, FIXTURE_DATA(nlfuzz) *self,
			     int ident, uint64_t seed, int count)
{
	struct nf_world *w = &self->w;

	nf_world_close_all(w, -1);
	ASSERT_EQ(0, nf_victim_start(w, &self->real, &self->v));
	ASSERT_LE(0, nf_decoy(w, &self->s[0], 0, self->why, sizeof(self->why)))
		TH_LOG("%s", self->why);
	ASSERT_LE(0, nf_world_request(w, 120000));
	EXPECT_EQ(0, nf_hostile_child(w, ident, seed, count)) TH_LOG("%s", nf_ident_names[ident]);
	/* the child's model saw no change; the kernel agrees */
	EXPECT_EQ(0, nf_world_check(w, self->why, sizeof(self->why))) TH_LOG("%s", self->why);
	ASSERT_EQ(0, nf_victim_finish(w, &self->real, &self->v, self->why, sizeof(self->why)))
		TH_LOG("%s", self->why);
}

TEST_F_TIMEOUT(nlfuzz, unprivileged_own_socket, 120)
{
	nf_hostile_batch(_metadata, self, NF_ID_UNPRIV_OWN, 11, 150);
}

TEST_F_TIMEOUT(nlfuzz, unprivileged_inherited_socket, 120)
{
	nf_hostile_batch(_metadata, self, NF_ID_UNPRIV_INHERITED, 12, 150);
}

TEST_F_TIMEOUT(nlfuzz, userns_own_namespaces, 120)
{
	nf_hostile_batch(_metadata, self, NF_ID_USERNS_OWN, 13, 150);
}

TEST_F_TIMEOUT(nlfuzz, userns_inherited_socket, 120)
{
	nf_hostile_batch(_metadata, self, NF_ID_USERNS_INHERITED, 14, 150);
}

TEST_F_TIMEOUT(nlfuzz, root_without_net_admin, 120)
{
	nf_hostile_batch(_metadata, self, NF_ID_ROOT_NO_NET_ADMIN, 16, 150);
}

/* A descriptor from a child over a unix socket. */
static int nf_recv_fd(int sock)
{
	char c, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &mh, 0) != 1)
		return -EIO;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -EIO;
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	return fd;
}

static int nf_send_fd(int sock, int fd)
{
	char c = 0, cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	return sendmsg(sock, &mh, 0) == 1 ? 0 : -errno;
}

/*
 * Root writes on a socket an unprivileged user opened and handed over (a
 * confused deputy): the opener's missing privilege is enough for EPERM.
 */
TEST_F_TIMEOUT(nlfuzz, opener_unprivileged, 120)
{
	struct nf_world *w = &self->w;
	struct tlsock_fd d;
	int sv[2], status;
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (setresgid(NF_NOBODY, NF_NOBODY, NF_NOBODY) ||
		    setresuid(NF_NOBODY, NF_NOBODY, NF_NOBODY) || tlsock_fd_open(&d, false))
			_exit(1);
		_exit(nf_send_fd(sv[1], d.nl) ? 2 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	d = self->s[0];
	d.nl = nf_recv_fd(sv[0]);
	d.seq = 0;
	ASSERT_LE(0, d.nl);
	close(sv[0]);
	close(sv[1]);

	ASSERT_EQ(0, nf_victim_start(w, &self->real, &self->v));
	ASSERT_LE(0, nf_decoy(w, &self->s[0], 0, self->why, sizeof(self->why)))
		TH_LOG("%s", self->why);
	ASSERT_LE(0, nf_world_request(w, 120000));
	EXPECT_EQ(0, nf_hostile(w, &d, NF_UNPRIV, false, 15, 150, "unprivileged opener"));
	tlsock_fd_close(&d);
	ASSERT_EQ(0, nf_victim_finish(w, &self->real, &self->v, self->why, sizeof(self->why)))
		TH_LOG("%s", self->why);
}

/*
 * Requests with short timeouts made and closed by the application while two
 * hostile daemons claim, complete, name ids at random and die: answers the
 * contract allows whoever wins, consistent requests, and the victim (claimed
 * before the race by the real daemon) untouched and completing after it.
 */
TEST_F_TIMEOUT(nlfuzz, race, 120)
{
	struct nf_race_stats st;

	ASSERT_EQ(0, nf_victim_start(&self->w, &self->real, &self->v));
	EXPECT_EQ(0, nf_race_run(self->w.family, 21, 8000, &st, self->why, sizeof(self->why)))
		TH_LOG("%s", self->why);
	TH_LOG("race: %u requests, %u messages, %u daemon deaths; DONEs of claimed requests "
	       "0: %u, EINVAL: %u, ENOENT: %u; seen established %u, failed %u", st.requests,
	       st.msgs, st.deaths, st.done[0], st.done[1], st.done[2], st.established,
	       st.failed);
	ASSERT_EQ(0, nf_victim_finish(&self->w, &self->real, &self->v, self->why,
				      sizeof(self->why))) TH_LOG("%s", self->why);
}

static uint64_t nf_env(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : dflt;
}

/*
 * The campaign: batches of NF_BATCH random messages.  Four of nine batches
 * come from S0 and S1 (root; each claims decoys of its own, so a DONE may
 * reach its own request, the other's, the victim or none), the others from
 * each kind of unprivileged sender.  A new queued request now and then keeps
 * ACCEPT busy.
 */
TEST_F_TIMEOUT(nlfuzz, campaign, 900)
{
	uint64_t seed = nf_env("NLFUZZ_SEED", NF_DEFAULT_SEED);
	int total = nf_env("NLFUZZ_MSGS", NF_DEFAULT_MSGS);
	struct nf_world *w = &self->w;
	int sent = 0, batch, n, k;
	struct nf_ids ids;
	struct nf_rng r;
	struct nf_msg m;

	TH_LOG("campaign: seed %llu (NLFUZZ_SEED), %d messages (NLFUZZ_MSGS)",
	       (unsigned long long)seed, total);
	nf_seed(&r, seed);
	for (batch = 0; sent < total; batch++) {
		int kind = batch % (4 + NF_ID_COUNT);

		if (kind >= 4) {
			nf_hostile_batch(_metadata, self, kind - 4, seed + batch, NF_BATCH);
			ASSERT_EQ(0, _metadata->exit_code)
				TH_LOG("seed %llu batch %d", (unsigned long long)seed, batch);
			sent += NF_BATCH;
			continue;
		}
		nf_world_close_all(w, -1);
		ASSERT_EQ(0, nf_victim_start(w, &self->real, &self->v));
		for (k = 0; k < 3; k++)
			ASSERT_LE(0, nf_decoy(w, &self->s[k % 2], k % 2, self->why,
					      sizeof(self->why))) TH_LOG("%s", self->why);
		ASSERT_LE(0, nf_world_request(w, 120000));
		ASSERT_LE(0, nf_world_request(w, 120000));
		for (n = 0; n < NF_BATCH; n++, sent++) {
			k = nf_below(&r, 2);
			if (nf_chance(&r, 4))
				ASSERT_LE(0, nf_world_request(w, 120000));
			nf_world_ids(w, k, &ids);
			nf_gen(&r, w->family, &ids, &m);
			ASSERT_EQ(0, nf_send(w, &self->s[k], NF_ROOT, k, &m, self->why,
					     sizeof(self->why)))
				TH_LOG("seed %llu batch %d message %d (S%d): %s",
				       (unsigned long long)seed, batch, n, k, self->why);
		}
		ASSERT_EQ(0, nf_victim_finish(w, &self->real, &self->v, self->why,
					      sizeof(self->why)))
			TH_LOG("seed %llu batch %d: %s", (unsigned long long)seed, batch,
			       self->why);
	}
	TH_LOG("campaign: %d messages in %d batches; root's, by the rule that decided:", sent,
	       batch);
	for (n = 0; n < (int)w->nrules; n++)
		TH_LOG("%7u  %s", w->rules[n].n, w->rules[n].why);
}

TEST_HARNESS_MAIN
