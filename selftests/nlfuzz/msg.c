// SPDX-License-Identifier: GPL-2.0
/*
 * Messages of the netlink fuzzer: a seeded generator, building and encoding
 * messages whose every header field and attribute may lie, and the
 * structure-aware mutations of a campaign (nf_gen()).
 */
#include <stdio.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/tlsock.h>

#include "nlfuzz.h"

#define NF_ALIGN4(n)	(((n) + 3) & ~(size_t)3)

void nf_seed(struct nf_rng *r, uint64_t seed)
{
	r->s = seed ^ 0x9e3779b97f4a7c15ull;
	if (!r->s)
		r->s = 1;
}

uint32_t nf_rand(struct nf_rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return (r->s * 0x2545f4914f6cdd1dull) >> 32;
}

uint32_t nf_below(struct nf_rng *r, uint32_t n)
{
	return n ? nf_rand(r) % n : 0;
}

bool nf_chance(struct nf_rng *r, unsigned int percent)
{
	return nf_below(r, 100) < percent;
}

static void nf_fill(struct nf_rng *r, uint8_t *p, size_t len)
{
	while (len--)
		*p++ = nf_rand(r);
}

void nf_msg_init(struct nf_msg *m, uint16_t family, uint8_t cmd)
{
	m->type = family;
	m->flags = NLM_F_REQUEST | NLM_F_ACK;
	m->cmd = cmd;
	m->version = TLSOCK_FAMILY_VERSION;
	m->reserved = 0;
	m->len_mode = NF_LEN_EXACT;
	m->len_arg = 0;
	m->n = 0;
}

/* Append an attribute; NULL (nothing added) when the message is full. */
struct nf_attr *nf_msg_add(struct nf_msg *m, uint16_t type, const void *val, size_t len)
{
	struct nf_attr *a;

	if (m->n == NF_ATTRS_MAX || len > NF_VAL_MAX)
		return NULL;
	a = &m->a[m->n++];
	a->type = type;
	a->nla_len = -1;
	a->len = len;
	if (len)
		memcpy(a->val, val, len);
	return a;
}

struct nf_attr *nf_msg_add_u32(struct nf_msg *m, uint16_t type, uint32_t v)
{
	return nf_msg_add(m, type, &v, sizeof(v));
}

struct nf_attr *nf_msg_add_u16(struct nf_msg *m, uint16_t type, uint16_t v)
{
	return nf_msg_add(m, type, &v, sizeof(v));
}

/* The last attribute of @type (flag bits ignored), or NULL. */
struct nf_attr *nf_msg_find(struct nf_msg *m, uint16_t type)
{
	unsigned int i;

	for (i = m->n; i-- > 0;)
		if ((m->a[i].type & NLA_TYPE_MASK) == type)
			return &m->a[i];
	return NULL;
}

void nf_msg_drop(struct nf_msg *m, unsigned int i)
{
	if (i >= m->n)
		return;
	memmove(&m->a[i], &m->a[i + 1], (m->n - i - 1) * sizeof(m->a[0]));
	m->n--;
}

/*
 * A struct tls12_crypto_info_* of @cipher with random keys: its length, 0
 * for a cipher the tests' library does not know.
 */
size_t nf_crypto_info(uint16_t version, uint16_t cipher, struct nf_rng *r, uint8_t *out)
{
	const struct tlsock_suite *s = tlsock_suite_find(cipher);
	struct tls_crypto_info info = { .version = version, .cipher_type = cipher };

	if (!s)
		return 0;
	nf_fill(r, out, s->info_len);
	memcpy(out, &info, sizeof(info));
	return s->info_len;
}

/* A DONE the kernel takes: status 0, keys that fit @version and @cipher. */
void nf_msg_done_ok(struct nf_msg *m, uint32_t id, uint16_t version, uint16_t cipher,
		    struct nf_rng *r)
{
	uint8_t ci[TLSOCK_CRYPTO_INFO_MAX], secret[TLSOCK_SECRET_MAX];
	size_t len;

	nf_msg_add_u32(m, TLSOCK_A_DONE_REQ_ID, id);
	nf_msg_add_u32(m, TLSOCK_A_DONE_STATUS, 0);
	nf_msg_add_u16(m, TLSOCK_A_DONE_VERSION, version);
	nf_msg_add_u16(m, TLSOCK_A_DONE_CIPHER, cipher);
	len = nf_crypto_info(version, cipher, r, ci);
	nf_msg_add(m, TLSOCK_A_DONE_TX_CRYPTO, ci, len);
	len = nf_crypto_info(version, cipher, r, ci);
	nf_msg_add(m, TLSOCK_A_DONE_RX_CRYPTO, ci, len);
	if (version == TLS_1_3_VERSION) {
		len = cipher == TLS_CIPHER_AES_GCM_256 ? 48 : 32;
		nf_fill(r, secret, len);
		nf_msg_add(m, TLSOCK_A_DONE_TX_SECRET, secret, len);
		nf_fill(r, secret, len);
		nf_msg_add(m, TLSOCK_A_DONE_RX_SECRET, secret, len);
	}
	memset(ci, 0, sizeof(ci));
	memset(secret, 0, sizeof(secret));
}

/* Lay @m out as bytes; attributes that do not fit NF_WIRE_MAX are left out. */
void nf_msg_encode(const struct nf_msg *m, uint32_t seq, struct nf_wire *w)
{
	size_t at = NLMSG_HDRLEN + GENL_HDRLEN, len;
	struct nlmsghdr *nlh = (void *)w->buf;
	struct genlmsghdr *g;
	unsigned int i;

	for (i = 0; i < m->n; i++) {
		const struct nf_attr *a = &m->a[i];
		struct nlattr nla;

		if (at + NLA_HDRLEN + NF_ALIGN4(a->len) > NF_WIRE_MAX)
			break;
		nla.nla_type = a->type;
		nla.nla_len = a->nla_len >= 0 ? a->nla_len : NLA_HDRLEN + a->len;
		memcpy(w->buf + at, &nla, sizeof(nla));
		memset(w->buf + at + NLA_HDRLEN, 0, NF_ALIGN4(a->len));
		memcpy(w->buf + at + NLA_HDRLEN, a->val, a->len);
		at += NLA_HDRLEN + NF_ALIGN4(a->len);
	}
	len = at;
	tlsock_fd_put_hdr(w->buf, m->type, m->flags, seq, m->cmd, at - NLMSG_HDRLEN - GENL_HDRLEN);
	g = NLMSG_DATA(nlh);
	g->version = m->version;
	g->reserved = m->reserved;
	w->seq = seq;
	w->sent = len;

	switch (m->len_mode) {
	case NF_LEN_CUT:
		/* never into the headers: that is NF_LEN_SHORT_GENL */
		len -= m->len_arg < at - NLMSG_HDRLEN - GENL_HDRLEN ?
		       m->len_arg : at - NLMSG_HDRLEN - GENL_HDRLEN;
		nlh->nlmsg_len = len;
		w->sent = len;
		break;
	case NF_LEN_CLAIM_MORE:
		nlh->nlmsg_len = len + 1 + m->len_arg % 4096;
		break;
	case NF_LEN_TINY:
		nlh->nlmsg_len = m->len_arg % NLMSG_HDRLEN;
		break;
	case NF_LEN_SHORT_GENL:
		/* sent as short as it says: what follows would be parsed as another message */
		nlh->nlmsg_len = NLMSG_HDRLEN + m->len_arg % GENL_HDRLEN;
		w->sent = nlh->nlmsg_len;
		break;
	case NF_LEN_TAIL:
		/* stray bytes after the message, too few to be another one */
		memset(w->buf + len, 0xa5, NLMSG_HDRLEN);
		w->sent = len + m->len_arg % NLMSG_HDRLEN;
		break;
	}
}

/* One line per message for a failure report: header, then each attribute. */
void nf_msg_describe(const struct nf_msg *m, char *out, size_t size)
{
	size_t at;
	unsigned int i, j;

	at = snprintf(out, size, "type %u flags %#x cmd %u ver %u rsv %u len_mode %d/%u attrs:",
		      m->type, m->flags, m->cmd, m->version, m->reserved, m->len_mode,
		      m->len_arg);
	for (i = 0; i < m->n && at < size; i++) {
		const struct nf_attr *a = &m->a[i];

		at += snprintf(out + at, size - at, " [%#x len %u%s%d", a->type, a->len,
			       a->nla_len >= 0 ? " nla_len " : "", a->nla_len >= 0 ? a->nla_len : 0);
		for (j = 0; j < a->len && j < 8 && at < size; j++)
			at += snprintf(out + at, size - at, "%s%02x", j ? "" : " ", a->val[j]);
		if (at < size)
			at += snprintf(out + at, size - at, "%s]", a->len > 8 ? ".." : "");
	}
}

/* Values that sit on the edges of what the kernel checks. */
static const uint32_t nf_statuses[] = {
	0, 1, 5, 13, 110, 111, 126, 133, 255, 510, 511, 512, 513, 514, 515, 516, 517, 518, 519,
	520, 521, 522, 523, 524, 525, 526, 527, 528, 529, 530, 4095, 65535, 0x7fffffff,
	0x80000000, 0xfffffffb, 0xffffffff,
};

static const uint16_t nf_versions[] = {
	0, 0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0x0305, 0x0403, 0x7f1c, 0xffff,
};

static const uint16_t nf_ciphers[] = {
	0, 1, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 255, 0xffff,
};

static const uint16_t nf_good_ciphers[] = {
	TLS_CIPHER_AES_GCM_128, TLS_CIPHER_AES_GCM_256, TLS_CIPHER_AES_CCM_128,
	TLS_CIPHER_CHACHA20_POLY1305,
};

static uint32_t nf_pick_id(struct nf_rng *r, const struct nf_ids *ids)
{
	uint32_t top = 1;
	unsigned int i;

	for (i = 0; i < ids->n; i++)
		if (ids->id[i] >= top)
			top = ids->id[i] + 1;
	if (ids->nown && nf_chance(r, 40))
		return ids->own[nf_below(r, ids->nown)];
	switch (nf_below(r, 10)) {
	case 0:
		return 0;
	case 1:
		return top + nf_below(r, 1000);		/* never issued */
	case 2:
		return nf_chance(r, 50) ? 0xffffffff : nf_rand(r);
	default:
		return ids->n ? ids->id[nf_below(r, ids->n)] : top;
	}
}

/* A value of @len random bytes, or text when @text. */
static size_t nf_value(struct nf_rng *r, uint8_t *v, size_t len, bool text)
{
	size_t i;

	if (len > NF_VAL_MAX)
		len = NF_VAL_MAX;
	nf_fill(r, v, len);
	if (text)
		for (i = 0; i < len; i++)
			v[i] = 'a' + v[i] % 26;
	return len;
}

/* A length near the interesting ones: 0, the type's own, one off, big. */
static size_t nf_len_near(struct nf_rng *r, size_t own)
{
	static const int deltas[] = { -4, -2, -1, 1, 2, 4, 8, 16 };

	switch (nf_below(r, 5)) {
	case 0:
		return 0;
	case 1:
		return nf_below(r, NF_VAL_MAX + 1);
	case 2:
		return nf_below(r, 80);
	default: {
		int n = (int)own + deltas[nf_below(r, ARRAY_SIZE(deltas))];

		return n < 0 ? 0 : n;
	}
	}
}

/* Garbage that parses as attributes: what a nest would hold. */
static size_t nf_nested_garbage(struct nf_rng *r, uint8_t *v)
{
	size_t at = 0, len;
	unsigned int i, n = 1 + nf_below(r, 4);

	for (i = 0; i < n && at + 24 <= NF_VAL_MAX; i++) {
		struct nlattr nla;

		len = nf_below(r, 16);
		nla.nla_type = nf_below(r, 20) | (nf_chance(r, 30) ? NLA_F_NESTED : 0);
		nla.nla_len = NLA_HDRLEN + len;
		if (nf_chance(r, 10))
			nla.nla_len = nf_rand(r);
		memcpy(v + at, &nla, sizeof(nla));
		nf_fill(r, v + at + NLA_HDRLEN, NF_ALIGN4(len));
		at += NLA_HDRLEN + NF_ALIGN4(len);
	}
	return at;
}

/* One mutation of a DONE (or any message): structure-aware, then blind. */
static void nf_mutate(struct nf_rng *r, struct nf_msg *m, const struct nf_ids *ids)
{
	struct nf_attr *a = m->n ? &m->a[nf_below(r, m->n)] : NULL;
	uint8_t v[NF_VAL_MAX];
	size_t len;
	unsigned int i, k;

	switch (nf_below(r, 19)) {
	case 0:		/* a required or optional attribute goes missing */
		if (m->n)
			nf_msg_drop(m, nf_below(r, m->n));
		break;
	case 1:		/* twice, the same or another value */
		if (a && m->n < NF_ATTRS_MAX) {
			m->a[m->n] = *a;
			if (nf_chance(r, 50) && a->len)
				m->a[m->n].val[nf_below(r, a->len)] ^= 1 + nf_below(r, 255);
			m->n++;
		}
		break;
	case 2:		/* truncated or oversized */
		if (a) {
			len = nf_len_near(r, a->len);
			if (len > a->len)
				nf_fill(r, a->val + a->len, len - a->len);
			a->len = len;
		}
		break;
	case 3:		/* an unknown type, 0, or another known one */
		if (a) {
			k = nf_below(r, 4);
			a->type = k == 0 ? 0 : k == 1 ? TLSOCK_A_DONE_MAX + 1 + nf_below(r, 4) :
				  k == 2 ? nf_below(r, 0x4000) :
				  1 + nf_below(r, TLSOCK_A_DONE_MAX);
		}
		break;
	case 4:		/* a nest where none is expected */
		if (a) {
			a->type |= NLA_F_NESTED;
			if (nf_chance(r, 70))
				a->len = nf_nested_garbage(r, a->val);
		}
		break;
	case 5:
		if (a)
			a->type |= NLA_F_NET_BYTEORDER;
		break;
	case 6:		/* nla_len that lies */
		if (a) {
			k = nf_below(r, 3);
			a->nla_len = k == 0 ? nf_below(r, NLA_HDRLEN) :
				     k == 1 ? NLA_HDRLEN + a->len + 1 + nf_below(r, 64) :
				     NLA_HDRLEN + nf_below(r, a->len + 1);
		}
		break;
	case 7:
		a = nf_msg_find(m, TLSOCK_A_DONE_STATUS);
		if (a && a->len == 4) {
			uint32_t s = nf_statuses[nf_below(r, ARRAY_SIZE(nf_statuses))];

			memcpy(a->val, &s, 4);
		} else {
			nf_msg_add_u32(m, TLSOCK_A_DONE_STATUS,
				       nf_statuses[nf_below(r, ARRAY_SIZE(nf_statuses))]);
		}
		break;
	case 8:		/* the version, at the top or inside one crypto_info */
		k = nf_below(r, 3);
		a = nf_msg_find(m, k == 0 ? TLSOCK_A_DONE_VERSION :
				k == 1 ? TLSOCK_A_DONE_TX_CRYPTO : TLSOCK_A_DONE_RX_CRYPTO);
		if (a && a->len >= 2) {
			uint16_t ver = nf_versions[nf_below(r, ARRAY_SIZE(nf_versions))];

			memcpy(a->val, &ver, 2);
		}
		break;
	case 9:		/* the cipher, likewise */
		k = nf_below(r, 3);
		a = nf_msg_find(m, k == 0 ? TLSOCK_A_DONE_CIPHER :
				k == 1 ? TLSOCK_A_DONE_TX_CRYPTO : TLSOCK_A_DONE_RX_CRYPTO);
		if (a && a->len >= (k ? 4 : 2)) {
			uint16_t c = nf_ciphers[nf_below(r, ARRAY_SIZE(nf_ciphers))];

			memcpy(a->val + (k ? 2 : 0), &c, 2);
		}
		break;
	case 10:	/* a key length off by a little or a lot */
		a = nf_msg_find(m, nf_chance(r, 50) ? TLSOCK_A_DONE_TX_CRYPTO :
				TLSOCK_A_DONE_RX_CRYPTO);
		if (a) {
			static const int lens[] = { 0, 2, 3, 4, 39, 41, 55, 57, 64, 65, 128 };

			len = nf_chance(r, 50) ? lens[nf_below(r, ARRAY_SIZE(lens))] :
						 nf_len_near(r, a->len);
			if (len > a->len)
				nf_fill(r, a->val + a->len, len - a->len);
			a->len = len;
		}
		break;
	case 11:	/* secrets: one, none, unequal, off the hash length */
		k = nf_below(r, 3);
		if (k == 0) {
			a = nf_msg_find(m, nf_chance(r, 50) ? TLSOCK_A_DONE_TX_SECRET :
					TLSOCK_A_DONE_RX_SECRET);
			if (a)
				nf_msg_drop(m, a - m->a);
		} else {
			static const size_t lens[] = { 0, 16, 31, 32, 33, 47, 48, 49, 64 };

			len = lens[nf_below(r, ARRAY_SIZE(lens))];
			nf_value(r, v, len, false);
			a = nf_msg_find(m, k == 1 ? TLSOCK_A_DONE_TX_SECRET :
					TLSOCK_A_DONE_RX_SECRET);
			if (a) {
				memcpy(a->val, v, len);
				a->len = len;
			} else {
				nf_msg_add(m, k == 1 ? TLSOCK_A_DONE_TX_SECRET :
					   TLSOCK_A_DONE_RX_SECRET, v, len);
			}
		}
		break;
	case 12: {	/* subject: around its limit, without its NUL */
		static const size_t lens[] = { 0, 1, 2, 100, 1022, 1023, 1024, 1025 };

		len = nf_value(r, v, lens[nf_below(r, ARRAY_SIZE(lens))], true);
		if (len && nf_chance(r, 60))
			v[len - 1] = 0;
		if (len && nf_chance(r, 10))
			v[nf_below(r, len)] = 0;
		nf_msg_add(m, TLSOCK_A_DONE_PEER_SUBJECT, v, len);
		break;
	}
	case 13:	/* many subjectAltNames, around their limit */
		k = 1 + nf_below(r, 12);
		for (i = 0; i < k; i++) {
			static const size_t lens[] = { 0, 1, 7, 100, 254, 255, 256, 257 };

			len = nf_value(r, v, lens[nf_below(r, ARRAY_SIZE(lens))], true);
			if (len && nf_chance(r, 50))
				v[len - 1] = 0;
			nf_msg_add(m, TLSOCK_A_DONE_PEER_SAN, v, len);
		}
		break;
	case 14:
		nf_msg_add_u32(m, TLSOCK_A_DONE_TICKET_PORTID,
			       nf_chance(r, 50) ? nf_rand(r) : nf_below(r, 4));
		break;
	case 15: {	/* the flags, sometimes with a value they must not have */
		static const uint16_t flags[] = {
			TLSOCK_A_DONE_PEER_VERIFIED, TLSOCK_A_DONE_RESUMED, TLSOCK_A_DONE_PARK,
			TLSOCK_A_DONE_PEER_SAN_TRUNCATED,
		};

		len = nf_chance(r, 80) ? 0 : 1 + nf_below(r, 8);
		nf_value(r, v, len, false);
		nf_msg_add(m, flags[nf_below(r, ARRAY_SIZE(flags))], v, len);
		break;
	}
	case 16:	/* another request's id */
		a = nf_msg_find(m, TLSOCK_A_DONE_REQ_ID);
		if (a && a->len == 4) {
			uint32_t id = nf_pick_id(r, ids);

			memcpy(a->val, &id, 4);
		}
		break;
	case 17:	/* a random attribute */
		len = nf_value(r, v, nf_below(r, 72), false);
		nf_msg_add(m, nf_below(r, TLSOCK_A_DONE_MAX + 3), v, len);
		break;
	default:	/* flip bits in a value */
		if (a && a->len)
			for (k = 1 + nf_below(r, 3); k; k--)
				a->val[nf_below(r, a->len)] ^= 1 << nf_below(r, 8);
		break;
	}
}

/* The header lies: flags, family, reserved field, length, command. */
static void nf_mutate_header(struct nf_rng *r, struct nf_msg *m)
{
	static const uint16_t flags[] = {
		NLM_F_ACK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP,
		NLM_F_REQUEST | NLM_F_ACK | NLM_F_ROOT, NLM_F_REQUEST | NLM_F_ACK | NLM_F_EXCL,
		NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE, NLM_F_REQUEST | NLM_F_ACK | 0x8000,
		NLM_F_REQUEST | NLM_F_ACK | NLM_F_MULTI,
	};

	switch (nf_below(r, 6)) {
	case 0:
		m->flags = flags[nf_below(r, ARRAY_SIZE(flags))];
		break;
	case 1:		/* a control message type, or a family that cannot exist */
		m->type = nf_chance(r, 30) ? nf_below(r, NLMSG_MIN_TYPE) : 1100 + nf_below(r, 60000);
		break;
	case 2:
		m->reserved = 1 + nf_below(r, 0xffff);
		break;
	case 3:
		m->version = nf_rand(r);
		break;
	case 4:
		m->cmd = nf_rand(r);
		break;
	default:
		m->len_mode = 1 + nf_below(r, NF_LEN_TAIL);
		m->len_arg = nf_rand(r) % 64;
		break;
	}
}

/*
 * A policy-add (often a well-formed rule, then mutated), a policy-del, a
 * policy-get or session-get dump, with attribute garbage now and then.
 */
static void nf_gen_policy(struct nf_rng *r, uint16_t family, struct nf_msg *m)
{
	static const uint8_t net4[] = { 10, 0, 0, 0 };
	static const char *const names[] = { "", "db", "web.internal", "a b", "x/y", "ok-1.2_3" };
	uint8_t v[40];
	unsigned int i;
	size_t len;
	uint32_t u;
	uint16_t port;
	uint8_t prefix;

	switch (nf_below(r, 4)) {
	case 0:
	case 1:
		nf_msg_init(m, family, TLSOCK_CMD_POLICY_ADD);
		if (nf_chance(r, 85))
			nf_msg_add_u32(m, TLSOCK_A_POLICY_ROLE, nf_below(r, 4));
		if (nf_chance(r, 85)) {
			port = nf_chance(r, 10) ? 0 : 1 + nf_below(r, 65535);
			nf_msg_add(m, TLSOCK_A_POLICY_PORT, &port, sizeof(port));
		}
		if (nf_chance(r, 60)) {
			len = nf_chance(r, 80) ? sizeof(net4) : nf_below(r, 20);
			memcpy(v, net4, sizeof(net4));
			if (len > sizeof(net4))
				nf_value(r, v, len, false);
			nf_msg_add(m, TLSOCK_A_POLICY_ADDR, v, len);
		}
		if (nf_chance(r, 50)) {
			prefix = nf_chance(r, 70) ? 8 : nf_below(r, 256);
			nf_msg_add(m, TLSOCK_A_POLICY_PREFIX_LEN, &prefix, 1);
		}
		if (nf_chance(r, 40)) {
			const char *n = names[nf_below(r, ARRAY_SIZE(names))];

			nf_msg_add(m, nf_chance(r, 50) ? TLSOCK_A_POLICY_PROFILE :
				   TLSOCK_A_POLICY_SERVER_NAME, n, strlen(n) + 1);
		}
		if (nf_chance(r, 20))
			nf_msg_add_u32(m, TLSOCK_A_POLICY_ORIGIN, nf_below(r, 4));
		break;
	case 2:
		nf_msg_init(m, family, TLSOCK_CMD_POLICY_DEL);
		if (nf_chance(r, 60)) {
			u = nf_below(r, 5);
			nf_msg_add_u32(m, TLSOCK_A_POLICY_ID, u);
		}
		if (nf_chance(r, 50))
			nf_msg_add(m, TLSOCK_A_POLICY_FLUSH, NULL, 0);
		if (nf_chance(r, 30))
			nf_msg_add_u32(m, TLSOCK_A_POLICY_ORIGIN, nf_below(r, 4));
		break;
	default:
		nf_msg_init(m, family, nf_chance(r, 50) ? TLSOCK_CMD_POLICY_GET :
				       TLSOCK_CMD_SESSION_GET);
		if (nf_chance(r, 80))
			m->flags |= NLM_F_DUMP;
		break;
	}
	for (i = nf_chance(r, 20) ? 1 + nf_below(r, 2) : 0; i; i--) {
		len = nf_value(r, v, nf_below(r, 12), false);
		nf_msg_add(m, nf_below(r, TLSOCK_A_POLICY_MAX + 3), v, len);
	}
}

/**
 * nf_gen() - one message of a campaign
 * @r: generator
 * @family: family id
 * @ids: request ids worth naming
 * @m: filled
 *
 * Mostly DONE (from a well-formed one, a status-only one or nothing, then a
 * few mutations; the id often one the sender claimed), some ACCEPT and
 * STATUS_GET with attribute garbage, a few rules (policy-add, -del, -get),
 * a few commands the family does not take, and one in ten with a lying
 * header.
 */
void nf_gen(struct nf_rng *r, uint16_t family, const struct nf_ids *ids, struct nf_msg *m)
{
	uint8_t v[96];
	unsigned int k, i;
	size_t len;

	k = nf_below(r, 100);
	if (k < 70) {
		nf_msg_init(m, family, TLSOCK_CMD_DONE);
		switch (nf_below(r, 8)) {
		case 0:
		case 1:
		case 2:
		case 3:
			nf_msg_done_ok(m, nf_pick_id(r, ids),
				       nf_chance(r, 50) ? TLS_1_3_VERSION : TLS_1_2_VERSION,
				       nf_good_ciphers[nf_below(r, ARRAY_SIZE(nf_good_ciphers))], r);
			break;
		case 4:
		case 5:
			nf_msg_add_u32(m, TLSOCK_A_DONE_REQ_ID, nf_pick_id(r, ids));
			nf_msg_add_u32(m, TLSOCK_A_DONE_STATUS,
				       nf_statuses[nf_below(r, ARRAY_SIZE(nf_statuses))]);
			break;
		default:
			break;
		}
		for (i = nf_below(r, 4); i; i--)
			nf_mutate(r, m, ids);
	} else if (k < 85) {
		nf_msg_init(m, family, TLSOCK_CMD_ACCEPT);
		if (nf_chance(r, 40))
			nf_msg_add(m, TLSOCK_A_ACCEPT_PARK, NULL, 0);
		if (nf_chance(r, 20))	/* any, clients, servers, or out of range */
			nf_msg_add_u32(m, TLSOCK_A_ACCEPT_ROLE_FILTER, nf_below(r, 4));
		if (nf_chance(r, 30)) {
			len = nf_value(r, v, nf_below(r, 12), false);
			nf_msg_add(m, nf_below(r, TLSOCK_A_ACCEPT_MAX + 3), v, len);
		}
		if (nf_chance(r, 20))
			nf_mutate(r, m, ids);
	} else if (k < 94) {
		nf_msg_init(m, family, TLSOCK_CMD_STATUS_GET);
		for (i = nf_below(r, 3); i; i--) {
			len = nf_value(r, v, nf_below(r, 40), false);
			nf_msg_add(m, nf_below(r, 0x4000), v, len);
		}
	} else if (k < 97) {
		nf_gen_policy(r, family, m);
	} else {
		static const uint8_t cmds[] = {
			TLSOCK_CMD_UNSPEC, TLSOCK_CMD_READY, TLSOCK_CMD_TICKET, TLSOCK_CMD_MAX + 1,
			255,
		};

		nf_msg_init(m, family, cmds[nf_below(r, ARRAY_SIZE(cmds))]);
		nf_msg_add_u32(m, 1, nf_pick_id(r, ids));
	}
	if (nf_chance(r, 10))
		nf_mutate_header(r, m);
}
