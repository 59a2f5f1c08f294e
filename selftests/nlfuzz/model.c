// SPDX-License-Identifier: GPL-2.0
/*
 * What the kernel must answer to one message, and what it must do to the
 * namespace's requests: the fuzzer's oracle.  Written from the contract
 * (uapi/tlsock.yaml, uapi/linux/tlsock.h, tlsock(7)) and from the order in
 * which netlink, generic netlink and the attribute policies check a
 * message, then what the ACCEPT and DONE handlers decide:
 *
 *   netlink     a length that does not fit the datagram: dropped, no ack;
 *               no NLM_F_REQUEST or a control type: acked with 0
 *   genetlink   another family: ENOENT; no room for its header, reserved
 *               bits or ambiguous flags: EINVAL; a command the family
 *               does not take (or a dump): EOPNOTSUPP; ACCEPT and DONE
 *               without CAP_NET_ADMIN in the initial user namespace (held
 *               by the sender and the socket's opener), STATUS_GET without
 *               it over the socket's namespace: EPERM
 *   policy      unknown or zero types, wrong lengths, nests, strings over
 *               their limits, a status from 512 on: EINVAL or ERANGE
 *   ACCEPT      claims the oldest pending request, else EAGAIN
 *   DONE        no id or status: EINVAL; an id not pending: ENOENT; one
 *               the sending socket did not claim: EPERM; a status: 0 and
 *               the request fails with it; keys that do not fit together:
 *               EINVAL and the request fails with EIO; else established
 *   POLICY_ADD  (CAP_NET_ADMIN over the namespace, as STATUS_GET) no BPF
 *               hooks in the module: EOPNOTSUPP; a rule that does not
 *               parse (origin 0 included): EINVAL; else ENOSPC, as the
 *               suite runs with the module's policy_max at 0 (no rule may
 *               change the sockets the fuzzer's world is made of)
 *   POLICY_DEL  id and flush both or neither: EINVAL; an origin without
 *               flush, or origin 0: EINVAL; an id: ENOENT (there is no
 *               rule); flush: 0
 *   POLICY_GET  a dump only: NLMSG_DONE with 0 (no rule), EINVAL for
 *               attributes on 7.x, whose core refuses them without a policy
 *   SESSION_GET as POLICY_GET (no rule, so no session)
 */
#include <errno.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/tlsock.h>

#include "nlfuzz.h"

#define NF_ALIGN4(n)	(((n) + 3) & ~(size_t)3)

/* The kernel's union of every struct tls12_crypto_info_*: its largest member. */
#define NF_CRYPTO_UNION	56

enum nf_pol {
	NF_P_NONE,	/* no policy entry: refused */
	NF_P_U32,
	NF_P_STATUS,	/* u32 at most 511 */
	NF_P_U16,
	NF_P_BINARY,
	NF_P_FLAG,
	NF_P_NUL_STRING,
	NF_P_STRING,
	NF_P_U8_MAX128,		/* policy-add prefix-len */
	NF_P_U16_MIN1,		/* policy-add port */
	NF_P_U32_MAX2,		/* policy-add role, policy-add/-del origin */
	NF_P_U64,
	NF_P_PROFILE,		/* NUL-terminated, at most 63 */
	NF_P_NAME,		/* NUL-terminated, at most 255 */
};

static const unsigned char nf_done_policy[TLSOCK_A_DONE_MAX + 1] = {
	[TLSOCK_A_DONE_REQ_ID] = NF_P_U32,
	[TLSOCK_A_DONE_STATUS] = NF_P_STATUS,
	[TLSOCK_A_DONE_VERSION] = NF_P_U16,
	[TLSOCK_A_DONE_CIPHER] = NF_P_U16,
	[TLSOCK_A_DONE_TX_CRYPTO] = NF_P_BINARY,
	[TLSOCK_A_DONE_RX_CRYPTO] = NF_P_BINARY,
	[TLSOCK_A_DONE_TX_SECRET] = NF_P_BINARY,
	[TLSOCK_A_DONE_RX_SECRET] = NF_P_BINARY,
	[TLSOCK_A_DONE_PEER_VERIFIED] = NF_P_FLAG,
	[TLSOCK_A_DONE_RESUMED] = NF_P_FLAG,
	[TLSOCK_A_DONE_PEER_SUBJECT] = NF_P_NUL_STRING,
	[TLSOCK_A_DONE_PEER_SAN] = NF_P_STRING,
	[TLSOCK_A_DONE_TICKET_PORTID] = NF_P_U32,
	[TLSOCK_A_DONE_PARK] = NF_P_FLAG,
	[TLSOCK_A_DONE_PEER_SAN_TRUNCATED] = NF_P_FLAG,
	[TLSOCK_A_DONE_ROLE_FILTER] = NF_P_U32_MAX2,
};

static const unsigned char nf_accept_policy[TLSOCK_A_ACCEPT_MAX + 1] = {
	[TLSOCK_A_ACCEPT_PARK] = NF_P_FLAG,
	[TLSOCK_A_ACCEPT_ROLE_FILTER] = NF_P_U32_MAX2,
};

/* kmod/genl.c: the maxattr of policy-add and policy-del is origin */
static const unsigned char nf_padd_policy[TLSOCK_A_POLICY_ORIGIN + 1] = {
	[TLSOCK_A_POLICY_ROLE] = NF_P_U32_MAX2,
	[TLSOCK_A_POLICY_ADDR] = NF_P_BINARY,
	[TLSOCK_A_POLICY_PREFIX_LEN] = NF_P_U8_MAX128,
	[TLSOCK_A_POLICY_PORT] = NF_P_U16_MIN1,
	[TLSOCK_A_POLICY_PROFILE] = NF_P_PROFILE,
	[TLSOCK_A_POLICY_SERVER_NAME] = NF_P_NAME,
	[TLSOCK_A_POLICY_CGROUP] = NF_P_U64,
	[TLSOCK_A_POLICY_ORIGIN] = NF_P_U32_MAX2,
};

static const unsigned char nf_pdel_policy[TLSOCK_A_POLICY_ORIGIN + 1] = {
	[TLSOCK_A_POLICY_ID] = NF_P_U32,
	[TLSOCK_A_POLICY_FLUSH] = NF_P_FLAG,
	[TLSOCK_A_POLICY_ORIGIN] = NF_P_U32_MAX2,
};

/* An attribute as the handler sees it: the last one of its type. */
struct nf_seen {
	const uint8_t *val;
	size_t len;
};

static uint32_t nf_u32(const struct nf_seen *s)
{
	uint32_t v;

	memcpy(&v, s->val, sizeof(v));
	return v;
}

static uint16_t nf_u16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * Strict validation of an attribute stream against @pol (maxtype @max):
 * 0, or the errno class of the first refusal (-EINVAL or -ERANGE; the
 * caller accepts either).  @tb gets the last attribute of each type.
 */
static int nf_validate(const uint8_t *p, long len, const unsigned char *pol, unsigned int max,
		       struct nf_seen *tb)
{
	long rem = len;

	memset(tb, 0, sizeof(*tb) * (max + 1));
	while (rem >= NLA_HDRLEN) {
		struct nlattr nla;
		const uint8_t *v = p + NLA_HDRLEN;
		unsigned int type;
		size_t alen, n, lim;

		memcpy(&nla, p, sizeof(nla));
		if (nla.nla_len < NLA_HDRLEN || nla.nla_len > rem)
			break;
		type = nla.nla_type & NLA_TYPE_MASK;
		alen = nla.nla_len - NLA_HDRLEN;
		if (!type || type > max || pol[type] == NF_P_NONE)
			return -EINVAL;
		if ((pol[type] == NF_P_U32 || pol[type] == NF_P_STATUS) && alen != 4)
			return -EINVAL;
		if ((pol[type] == NF_P_U16 || pol[type] == NF_P_U16_MIN1) && alen != 2)
			return -EINVAL;
		if ((pol[type] == NF_P_U32_MAX2 && alen != 4) ||
		    (pol[type] == NF_P_U8_MAX128 && alen != 1) || (pol[type] == NF_P_U64 && alen != 8))
			return -EINVAL;
		if (nla.nla_type & NLA_F_NESTED)
			return -EINVAL;
		switch (pol[type]) {
		case NF_P_FLAG:
			if (alen)
				return -ERANGE;
			break;
		case NF_P_STATUS:
			if (nf_u32(&(struct nf_seen){ v, alen }) > 511)
				return -ERANGE;
			break;
		case NF_P_NUL_STRING:
		case NF_P_PROFILE:
		case NF_P_NAME:
			lim = pol[type] == NF_P_PROFILE ? 63 : pol[type] == NF_P_NAME ? 255 :
			      TLSOCK_SUBJECT_MAX;
			n = alen < lim + 1 ? alen : lim + 1;
			if (!n || !memchr(v, 0, n))
				return -EINVAL;
			/* then as a string of at most lim */
			if (alen - (v[alen - 1] == 0) > lim)
				return -ERANGE;
			break;
		case NF_P_U8_MAX128:
			if (v[0] > 128)
				return -ERANGE;
			break;
		case NF_P_U16_MIN1:
			if (!nf_u16(v))
				return -ERANGE;
			break;
		case NF_P_U32_MAX2:
			if (nf_u32(&(struct nf_seen){ v, alen }) > 2)
				return -ERANGE;
			break;
		case NF_P_STRING:
			if (!alen || alen - (v[alen - 1] == 0) > TLSOCK_SAN_MAX)
				return -ERANGE;
			break;
		}
		tb[type].val = v;
		tb[type].len = alen;
		p += NF_ALIGN4(nla.nla_len);
		rem -= NF_ALIGN4(nla.nla_len);
	}
	return rem > 0 ? -EINVAL : 0;
}

static size_t nf_info_len(uint16_t cipher)
{
	switch (cipher) {
	case TLS_CIPHER_AES_GCM_128:
	case TLS_CIPHER_AES_CCM_128:
	case TLS_CIPHER_SM4_GCM:
	case TLS_CIPHER_SM4_CCM:
	case TLS_CIPHER_ARIA_GCM_128:
		return 40;
	case TLS_CIPHER_AES_GCM_256:
	case TLS_CIPHER_CHACHA20_POLY1305:
	case TLS_CIPHER_ARIA_GCM_256:
		return 56;
	}
	return 0;
}

enum nf_keys {
	NF_KEYS_BAD,
	NF_KEYS_OK,
	NF_KEYS_MAYBE,		/* fit, on a cipher the kernel's crypto may lack */
};

/* Do the keys of a status-0 DONE fit together (both directions, before anything is installed)? */
static int nf_keys(const struct nf_seen *tb)
{
	const struct nf_seen *tx = &tb[TLSOCK_A_DONE_TX_CRYPTO], *rx = &tb[TLSOCK_A_DONE_RX_CRYPTO];
	const struct nf_seen *ts = &tb[TLSOCK_A_DONE_TX_SECRET], *rs = &tb[TLSOCK_A_DONE_RX_SECRET];
	size_t secret = 0, want, info;
	uint16_t ver, cipher;

	if (!tb[TLSOCK_A_DONE_VERSION].val || !tb[TLSOCK_A_DONE_CIPHER].val)
		return NF_KEYS_BAD;
	ver = nf_u16(tb[TLSOCK_A_DONE_VERSION].val);
	cipher = nf_u16(tb[TLSOCK_A_DONE_CIPHER].val);
	if (!tx->val || !rx->val || tx->len < 4 || rx->len < 4 || tx->len > NF_CRYPTO_UNION ||
	    rx->len > NF_CRYPTO_UNION)
		return NF_KEYS_BAD;
	if (ts->val || rs->val) {
		if (!ts->val || !rs->val || ts->len != rs->len || ts->len < 32 ||
		    ts->len > TLSOCK_SECRET_MAX)
			return NF_KEYS_BAD;
		secret = ts->len;
	}
	if (nf_u16(tx->val) != ver || nf_u16(rx->val) != ver || nf_u16(tx->val + 2) != cipher ||
	    nf_u16(rx->val + 2) != cipher)
		return NF_KEYS_BAD;
	want = ver != TLS_1_3_VERSION ? 0 : cipher == TLS_CIPHER_AES_GCM_256 ? 48 : 32;
	if (secret != want)
		return NF_KEYS_BAD;
	if (ver != TLS_1_2_VERSION && ver != TLS_1_3_VERSION)
		return NF_KEYS_BAD;
	info = nf_info_len(cipher);
	if (!info || tx->len != info || rx->len != info)
		return NF_KEYS_BAD;
	if ((cipher == TLS_CIPHER_ARIA_GCM_128 || cipher == TLS_CIPHER_ARIA_GCM_256) &&
	    ver != TLS_1_2_VERSION)
		return NF_KEYS_BAD;
	if (cipher >= TLS_CIPHER_SM4_GCM && cipher <= TLS_CIPHER_ARIA_GCM_256)
		return NF_KEYS_MAYBE;
	return NF_KEYS_OK;
}

/*
 * Before 6.2 (operations, not split operations) the genetlink core checks an
 * operation's permission before it looks for a dump handler: a dump of ACCEPT,
 * DONE or STATUS_GET from a sender without the permission is EPERM there,
 * EOPNOTSUPP later.
 */
static bool nf_perm_before_dump(void)
{
	return tlsock_kernel_before(6, 2);
}

/* The commands of rules and sessions: CAP_NET_ADMIN over the namespace */
static bool nf_policy_cmd(uint8_t cmd)
{
	return cmd == TLSOCK_CMD_POLICY_ADD || cmd == TLSOCK_CMD_POLICY_DEL ||
	       cmd == TLSOCK_CMD_POLICY_GET || cmd == TLSOCK_CMD_SESSION_GET;
}

/* The family's dumps: the others are requests only */
static bool nf_dump_cmd(uint8_t cmd)
{
	return cmd == TLSOCK_CMD_POLICY_GET || cmd == TLSOCK_CMD_SESSION_GET;
}

/* Whether @who lacks the permission of command @cmd (as the checks below say). */
static bool nf_denied(int who, uint8_t cmd)
{
	return cmd == TLSOCK_CMD_STATUS_GET || nf_policy_cmd(cmd) ? who == NF_UNPRIV :
								     who != NF_ROOT;
}

/* The module has its BPF hooks (parameter policy_hooks): policy-add goes past its first check. */
static bool nf_policy_hooks(void)
{
	static int hooks = -1;

	if (hooks < 0) {
		FILE *f = fopen("/sys/module/tlsock/parameters/policy_hooks", "r");

		hooks = f && fgetc(f) == 'Y';
		if (f)
			fclose(f);
	}
	return hooks;
}

static bool nf_name_ok(const struct nf_seen *a, bool profile)
{
	size_t i;

	for (i = 0; i < a->len && a->val[i]; i++) {
		uint8_t c = a->val[i];
		bool ok = profile ? (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
				    (c >= 'A' && c <= 'Z') || c == '_' || c == '-' || c == '.' :
				    c > ' ' && c < 0x7f;

		if (!ok)
			return false;
	}
	return true;
}


static void nf_answer(struct nf_expect *x, int answer, int err, const char *why)
{
	x->answer = answer;
	x->err = err;
	x->why = why;
}

/* policy-add past its policy: kmod/policy.c's checks, in their order */
static void nf_model_policy_add(const struct nf_seen *tb, struct nf_expect *x)
{
	const struct nf_seen *addr = &tb[TLSOCK_A_POLICY_ADDR];
	unsigned int max = 0, prefix, bit;
	uint32_t role;

	if (!nf_policy_hooks())
		return nf_answer(x, NF_A_ERR, -EOPNOTSUPP, "POLICY_ADD: the module has no BPF hooks");
	if (!tb[TLSOCK_A_POLICY_ROLE].val || !tb[TLSOCK_A_POLICY_PORT].val)
		return nf_answer(x, NF_A_ERR, -EINVAL, "POLICY_ADD without role or port");
	role = nf_u32(&tb[TLSOCK_A_POLICY_ROLE]);
	if (role != TLSOCK_ROLE_CLIENT && role != TLSOCK_ROLE_SERVER)
		return nf_answer(x, NF_A_ERR, -EINVAL, "POLICY_ADD with role 0");
	if (addr->val) {
		if (addr->len == 4)
			max = 32;
		else if (addr->len == 16)
			max = 128;
		else
			return nf_answer(x, NF_A_ERR, -EINVAL, "POLICY_ADD: addr neither 4 nor 16 bytes");
	}
	prefix = tb[TLSOCK_A_POLICY_PREFIX_LEN].val ? tb[TLSOCK_A_POLICY_PREFIX_LEN].val[0] : max;
	if (prefix > max)
		return nf_answer(x, NF_A_ERR, -EINVAL, "POLICY_ADD: prefix-len longer than addr");
	for (bit = prefix; addr->val && bit < max; bit++)
		if (addr->val[bit / 8] & (0x80 >> (bit % 8)))
			return nf_answer(x, NF_A_ERR, -EINVAL, "POLICY_ADD: bits set past prefix-len");
	if (tb[TLSOCK_A_POLICY_ORIGIN].val && !nf_u32(&tb[TLSOCK_A_POLICY_ORIGIN]))
		return nf_answer(x, NF_A_ERR, -EINVAL, "POLICY_ADD with origin 0");
	if (tb[TLSOCK_A_POLICY_PROFILE].val && !nf_name_ok(&tb[TLSOCK_A_POLICY_PROFILE], true))
		return nf_answer(x, NF_A_ERR, -EINVAL, "POLICY_ADD: a profile name with bad bytes");
	if (tb[TLSOCK_A_POLICY_SERVER_NAME].val && role == TLSOCK_ROLE_SERVER)
		return nf_answer(x, NF_A_ERR, -EINVAL, "POLICY_ADD: server-name on a server rule");
	if (tb[TLSOCK_A_POLICY_SERVER_NAME].val &&
	    !nf_name_ok(&tb[TLSOCK_A_POLICY_SERVER_NAME], false))
		return nf_answer(x, NF_A_ERR, -EINVAL, "POLICY_ADD: a server name with bad bytes");
	nf_answer(x, NF_A_ERR, -ENOSPC, "POLICY_ADD of a good rule: policy_max is 0");
}

static void nf_model_accept(const struct nf_world *w, int sock, const struct nf_seen *tb,
			    struct nf_expect *x)
{
	unsigned int i;

	/* the world's requests are all clients' */
	if (tb[TLSOCK_A_ACCEPT_ROLE_FILTER].val &&
	    nf_u32(&tb[TLSOCK_A_ACCEPT_ROLE_FILTER]) == TLSOCK_ROLE_SERVER)
		return nf_answer(x, NF_A_ERR, -EAGAIN, "ACCEPT of servers only: none pending");
	for (i = 0; i < w->n; i++) {
		if (w->req[i].state != NF_QUEUED)
			continue;
		x->claim = i;
		(void)sock;
		nf_answer(x, NF_A_ERR, 0, "ACCEPT claims the oldest pending request");
		return;
	}
	nf_answer(x, NF_A_ERR, -EAGAIN, "ACCEPT with nothing pending");
}

static void nf_model_done(const struct nf_world *w, int sock, const struct nf_seen *tb,
			  struct nf_expect *x)
{
	const struct nf_req *r = NULL;
	uint32_t id, status;
	unsigned int i;

	if (!tb[TLSOCK_A_DONE_REQ_ID].val || !tb[TLSOCK_A_DONE_STATUS].val) {
		nf_answer(x, NF_A_ERR, -EINVAL, "DONE without its id or status");
		return;
	}
	id = nf_u32(&tb[TLSOCK_A_DONE_REQ_ID]);
	for (i = 0; i < w->n; i++) {
		if (w->req[i].id == id &&
		    (w->req[i].state == NF_QUEUED || w->req[i].state == NF_CLAIMED)) {
			r = &w->req[i];
			break;
		}
	}
	if (!r) {
		nf_answer(x, NF_A_ERR, -ENOENT, "DONE for an id that is not pending");
		return;
	}
	if (r->state != NF_CLAIMED || r->owner != sock) {
		nf_answer(x, NF_A_ERR, -EPERM, "DONE for a request the socket did not claim");
		return;
	}
	x->target = i;
	status = nf_u32(&tb[TLSOCK_A_DONE_STATUS]);
	if (status) {
		x->state = NF_FAILED;
		x->state_err = status;
		nf_answer(x, NF_A_ERR, 0, "DONE with a status fails the request with it");
		return;
	}
	switch (nf_keys(tb)) {
	case NF_KEYS_OK:
		x->state = NF_ESTABLISHED;
		nf_answer(x, NF_A_ERR, 0, "DONE with keys that fit");
		break;
	case NF_KEYS_MAYBE:
		nf_answer(x, NF_A_MAYBE, 0, "DONE with keys of SM4 or ARIA");
		break;
	default:
		x->state = NF_FAILED;
		x->state_err = EIO;
		nf_answer(x, NF_A_ERR, -EINVAL, "DONE with keys that do not fit: EINVAL, the request fails with EIO");
		break;
	}
}

/**
 * nf_model() - what the kernel must do with message @m
 * @w: the namespace's requests
 * @who: enum nf_who of the sender
 * @sock: the sending socket's index (who claimed what)
 * @m: the message as sent
 * @x: the verdict
 */
void nf_model(const struct nf_world *w, int who, int sock, const struct nf_wire *m,
	      struct nf_expect *x)
{
	const struct nlmsghdr *nlh = (const void *)m->buf;
	const struct genlmsghdr *g = NLMSG_DATA(nlh);
	struct nf_seen tb[TLSOCK_A_DONE_MAX + TLSOCK_A_POLICY_MAX + 1];
	const uint8_t *attrs = m->buf + NLMSG_HDRLEN + GENL_HDRLEN;
	long alen = (long)nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	uint16_t flags = nlh->nlmsg_flags;
	int err;

	memset(x, 0, sizeof(*x));
	x->claim = -1;
	x->target = -1;

	if (nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > m->sent)
		return nf_answer(x, NF_A_NONE, 0, "netlink drops a length that does not fit");
	if (!(flags & NLM_F_REQUEST))
		return nf_answer(x, NF_A_ERR, 0, "not a request: acked, not handled");
	if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
		return nf_answer(x, NF_A_ERR, 0, "a control message: acked, not handled");
	if (nlh->nlmsg_type != w->family)
		return nf_answer(x, NF_A_ERR, -ENOENT, "no such family");
	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return nf_answer(x, NF_A_ERR, -EINVAL, "no room for the genetlink header");
	if (g->reserved)
		return nf_answer(x, NF_A_ERR, -EINVAL, "genetlink reserved field set");
	if ((flags & NLM_F_DUMP) == NLM_F_DUMP)
		flags &= ~NLM_F_DUMP;
	if (flags & ~(NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO))
		return nf_answer(x, NF_A_ERR, -EINVAL, "reserved or ambiguous nlmsg_flags");
	/* POLICY_GET and SESSION_GET are dumps; the others are requests only */
	if (((nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP) != nf_dump_cmd(g->cmd)) {
		if (nf_perm_before_dump() &&
		    (g->cmd == TLSOCK_CMD_ACCEPT || g->cmd == TLSOCK_CMD_DONE ||
		     g->cmd == TLSOCK_CMD_STATUS_GET || nf_policy_cmd(g->cmd)) &&
		    nf_denied(who, g->cmd))
			return nf_answer(x, NF_A_ERR, -EPERM,
					 "a dump refused by the operation's permission (before 6.2)");
		return nf_answer(x, NF_A_ERR, -EOPNOTSUPP,
				 nf_dump_cmd(g->cmd) ? "POLICY_GET and SESSION_GET are dumps only" :
				 "the family has no other dumps");
	}
	if (g->cmd != TLSOCK_CMD_ACCEPT && g->cmd != TLSOCK_CMD_DONE &&
	    g->cmd != TLSOCK_CMD_STATUS_GET && !nf_policy_cmd(g->cmd))
		return nf_answer(x, NF_A_ERR, -EOPNOTSUPP, "a command the family does not take");
	if (nf_policy_cmd(g->cmd) && who == NF_UNPRIV)
		return nf_answer(x, NF_A_ERR, -EPERM,
				 "POLICY_* need CAP_NET_ADMIN over the namespace");
	if (nf_dump_cmd(g->cmd)) {
		if (alen > 0 && !tlsock_kernel_before(7, 0))
			return nf_answer(x, NF_A_ERR, -EINVAL, "a dump with attributes (7.x)");
		return nf_answer(x, NF_A_ERR, 0, "POLICY_GET or SESSION_GET: a dump of nothing");
	}
	if (g->cmd == TLSOCK_CMD_POLICY_ADD) {
		err = nf_validate(attrs, alen, nf_padd_policy, TLSOCK_A_POLICY_ORIGIN, tb);
		if (err)
			return nf_answer(x, NF_A_POLICY, err, "POLICY_ADD refused by its policy");
		return nf_model_policy_add(tb, x);
	}
	if (g->cmd == TLSOCK_CMD_POLICY_DEL) {
		err = nf_validate(attrs, alen, nf_pdel_policy, TLSOCK_A_POLICY_ORIGIN, tb);
		if (err)
			return nf_answer(x, NF_A_POLICY, err, "POLICY_DEL refused by its policy");
		if (!tb[TLSOCK_A_POLICY_FLUSH].val == !tb[TLSOCK_A_POLICY_ID].val)
			return nf_answer(x, NF_A_ERR, -EINVAL, "POLICY_DEL with id and flush, or neither");
		if (tb[TLSOCK_A_POLICY_ORIGIN].val &&
		    (!tb[TLSOCK_A_POLICY_FLUSH].val || !nf_u32(&tb[TLSOCK_A_POLICY_ORIGIN])))
			return nf_answer(x, NF_A_ERR, -EINVAL,
					 "POLICY_DEL with origin but no flush, or origin 0");
		if (tb[TLSOCK_A_POLICY_FLUSH].val)
			return nf_answer(x, NF_A_ERR, 0, "POLICY_DEL flush of no rule");
		return nf_answer(x, NF_A_ERR, -ENOENT, "POLICY_DEL of an id that is no rule");
	}
	if (g->cmd == TLSOCK_CMD_STATUS_GET) {
		if (who == NF_UNPRIV)
			return nf_answer(x, NF_A_ERR, -EPERM,
					 "STATUS_GET needs CAP_NET_ADMIN over the namespace");
		if (alen > 0)
			return nf_answer(x, NF_A_ERR, -EINVAL, "STATUS_GET with attributes");
		return nf_answer(x, NF_A_ERR, 0, "STATUS_GET");
	}
	if (who != NF_ROOT)
		return nf_answer(x, NF_A_ERR, -EPERM,
				 "ACCEPT and DONE need CAP_NET_ADMIN in the initial user namespace");
	if (g->cmd == TLSOCK_CMD_ACCEPT) {
		err = nf_validate(attrs, alen, nf_accept_policy, TLSOCK_A_ACCEPT_MAX, tb);
		if (err)
			return nf_answer(x, NF_A_POLICY, err, "ACCEPT refused by its policy");
		return nf_model_accept(w, sock, tb, x);
	}
	err = nf_validate(attrs, alen, nf_done_policy, TLSOCK_A_DONE_MAX, tb);
	if (err)
		return nf_answer(x, NF_A_POLICY, err, "DONE refused by its policy");
	nf_model_done(w, sock, tb, x);
}
