/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The netlink fuzzer: mutated ACCEPT, DONE, STATUS_GET and other messages of
 * the "tlsock" family, sent by root, by an unprivileged user, by uid 0
 * without CAP_NET_ADMIN and by root of a user namespace, each checked
 * against a model of what the kernel must answer (model.c) and of what it
 * must do to the requests of the namespace (world.c).  msg.c builds and
 * mutates the messages; race.c races them against timeouts and closes,
 * where only the set of allowed answers is known.
 */
#ifndef TLSOCK_NLFUZZ_H
#define TLSOCK_NLFUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib.h"
#include "fake_daemon.h"

#ifndef SOL_TLSOCK
#define SOL_TLSOCK 287
#endif

/* A seeded generator (xorshift64*): the same seed gives the same campaign. */
struct nf_rng {
	uint64_t s;
};

void nf_seed(struct nf_rng *r, uint64_t seed);
uint32_t nf_rand(struct nf_rng *r);
uint32_t nf_below(struct nf_rng *r, uint32_t n);
bool nf_chance(struct nf_rng *r, unsigned int percent);

#define NF_ATTRS_MAX	24
#define NF_VAL_MAX	1100
#define NF_WIRE_MAX	16384

/**
 * struct nf_attr - one attribute before encoding
 * @type: nla_type, flag bits (NLA_F_NESTED, NLA_F_NET_BYTEORDER) included
 * @nla_len: value written as nla_len; -1: the true one (header plus @len)
 * @len: bytes of @val sent
 * @val: the value
 */
struct nf_attr {
	uint16_t type;
	int32_t nla_len;
	uint16_t len;
	uint8_t val[NF_VAL_MAX];
};

/* How nlmsg_len relates to the bytes sent (struct nf_msg.len_mode). */
enum nf_len_mode {
	NF_LEN_EXACT,		/* nlmsg_len is the length sent */
	NF_LEN_CUT,		/* attributes cut short by len_arg bytes, nlmsg_len follows */
	NF_LEN_CLAIM_MORE,	/* nlmsg_len claims len_arg bytes more than sent */
	NF_LEN_TINY,		/* nlmsg_len below a netlink header */
	NF_LEN_SHORT_GENL,	/* nlmsg_len covers part of the genetlink header only */
	NF_LEN_TAIL,		/* len_arg (< 16) stray bytes after the message */
};

/**
 * struct nf_msg - one message before encoding
 * @type: nlmsg_type
 * @flags: nlmsg_flags
 * @cmd: genetlink command
 * @version: genetlink version byte
 * @reserved: genetlink reserved field
 * @len_mode: enum nf_len_mode
 * @len_arg: its argument
 * @n: attributes in @a
 * @a: the attributes, in order
 */
struct nf_msg {
	uint16_t type;
	uint16_t flags;
	uint8_t cmd;
	uint8_t version;
	uint16_t reserved;
	int len_mode;
	uint32_t len_arg;
	unsigned int n;
	struct nf_attr a[NF_ATTRS_MAX];
};

/* A message as sent: @sent bytes of @buf. */
struct nf_wire {
	size_t sent;
	uint32_t seq;
	uint8_t buf[NF_WIRE_MAX + 64] __attribute__((aligned(4)));
};

/* msg.c */
void nf_msg_init(struct nf_msg *m, uint16_t family, uint8_t cmd);
struct nf_attr *nf_msg_add(struct nf_msg *m, uint16_t type, const void *val, size_t len);
struct nf_attr *nf_msg_add_u32(struct nf_msg *m, uint16_t type, uint32_t v);
struct nf_attr *nf_msg_add_u16(struct nf_msg *m, uint16_t type, uint16_t v);
struct nf_attr *nf_msg_find(struct nf_msg *m, uint16_t type);
void nf_msg_drop(struct nf_msg *m, unsigned int i);
size_t nf_crypto_info(uint16_t version, uint16_t cipher, struct nf_rng *r, uint8_t *out);
void nf_msg_done_ok(struct nf_msg *m, uint32_t id, uint16_t version, uint16_t cipher,
		    struct nf_rng *r);
void nf_msg_encode(const struct nf_msg *m, uint32_t seq, struct nf_wire *w);
void nf_msg_describe(const struct nf_msg *m, char *out, size_t size);

/* Request ids a generated DONE may name (world.c fills it): all, and the sender's own. */
struct nf_ids {
	unsigned int n;
	uint32_t id[64];
	unsigned int nown;
	uint32_t own[16];
};

void nf_gen(struct nf_rng *r, uint16_t family, const struct nf_ids *ids, struct nf_msg *m);

/* model.c */

/* Who sends: what the kernel's permission checks see. */
enum nf_who {
	NF_ROOT,		/* CAP_NET_ADMIN in the initial user namespace */
	NF_UNPRIV,		/* no capability over the namespace of the socket */
	NF_USERNS_OWN,		/* root of a user namespace that owns the socket's netns */
};

/* What became of a request (struct nf_req.state). */
enum nf_state {
	NF_QUEUED,		/* waiting for a daemon */
	NF_CLAIMED,		/* claimed by socket @owner */
	NF_ESTABLISHED,		/* a DONE installed keys */
	NF_FAILED,		/* failed with @err */
	NF_GONE,		/* closed by the test: the id is stale */
};

/* The real daemon's socket index: never a fuzzing sender. */
#define NF_SOCK_REAL	100

/**
 * struct nf_req - a request of the namespace, as the model knows it
 * @id: request id (ids are given out 1, 2, 3... in a fresh namespace)
 * @state: enum nf_state
 * @owner: socket index that claimed it (NF_SOCK_REAL for the real daemon)
 * @err: positive errno of a failure
 * @maybe: a DONE whose outcome depends on the kernel's crypto (SM4, ARIA)
 *	reached it: established or failed, either is right
 * @app: the application's socket (-1 once closed)
 * @peer: its TCP peer
 */
struct nf_req {
	uint32_t id;
	int state;
	int owner;
	int err;
	bool maybe;
	int app;
	int peer;
};

#define NF_REQS_MAX	1024

#define NF_RULES_MAX	32

/**
 * struct nf_world - the requests of the test's network namespace
 * @family: id of the "tlsock" family
 * @next_id: id the next request gets
 * @n: entries in @req, oldest first (the order of the kernel's queue)
 * @req: the requests made in the namespace (the oldest closed ones are
 *	forgotten when room runs out: an id the world does not know is not
 *	pending, which is all the model needs to know of them)
 * @nrules: entries in @rules
 * @rules: how many messages each rule of the model decided (coverage)
 */
struct nf_world {
	uint16_t family;
	uint32_t next_id;
	unsigned int n;
	struct nf_req req[NF_REQS_MAX];
	unsigned int nrules;
	struct {
		const char *why;
		unsigned int n;
	} rules[NF_RULES_MAX];
};

/* What the kernel must do with one message (nf_model()). */
enum nf_answer {
	NF_A_NONE,		/* dropped by netlink: no ack at all */
	NF_A_ERR,		/* an ack with exactly @err */
	NF_A_POLICY,		/* refused by the attribute policy: EINVAL or ERANGE */
	NF_A_MAYBE,		/* keys of a cipher the kernel may lack: 0 or an errno */
};

/**
 * struct nf_expect - the model's verdict on one message
 * @answer: enum nf_answer
 * @err: NF_A_ERR: the ack's error (0 or a negative errno)
 * @claim: ACCEPT that succeeds: index of the request it claims, else -1
 * @target: DONE that reaches a request it owns: its index, else -1
 * @state: @target's state afterwards
 * @state_err: @target's error afterwards
 * @why: the rule that decided
 */
struct nf_expect {
	int answer;
	int err;
	int claim;
	int target;
	int state;
	int state_err;
	const char *why;
};

void nf_model(const struct nf_world *w, int who, int sock, const struct nf_wire *m,
	      struct nf_expect *x);

/* world.c */
int nf_world_init(struct nf_world *w, uint16_t family);
int nf_world_request(struct nf_world *w, uint32_t timeout_ms);
void nf_world_ids(const struct nf_world *w, int sock, struct nf_ids *ids);
int nf_world_check(struct nf_world *w, char *why, size_t size);
void nf_world_close(struct nf_world *w, int i);
void nf_world_close_all(struct nf_world *w, int keep);
int nf_send(struct nf_world *w, struct tlsock_fd *d, int who, int sock, const struct nf_msg *m,
	    char *why, size_t size);

/**
 * struct nf_victim - a request of the test claimed by the real daemon, that
 * no fuzzed message may touch; completed at the end of each batch
 * @idx: its index in the world
 * @tx: keys the application's socket will send with
 * @rx: keys it will receive with
 */
struct nf_victim {
	int idx;
	struct tlsock_keys tx;
	struct tlsock_keys rx;
};

int nf_victim_start(struct nf_world *w, struct tlsock_fdp *real, struct nf_victim *v);
int nf_victim_finish(struct nf_world *w, struct tlsock_fdp *real, struct nf_victim *v,
		     char *why, size_t size);

/* race.c */

/**
 * struct nf_race_stats - what a race did
 * @requests: requests the application made
 * @msgs: messages the daemons sent
 * @deaths: netlink sockets the daemons closed with claims
 * @done: DONEs of claimed requests answered 0, EINVAL, ENOENT
 * @established: looks at an established request
 * @failed: looks at a failed request
 */
struct nf_race_stats {
	unsigned int requests;
	unsigned int msgs;
	unsigned int deaths;
	unsigned int done[3];
	unsigned int established;
	unsigned int failed;
};

int nf_race_run(uint16_t family, uint64_t seed, int ms, struct nf_race_stats *st, char *why,
		size_t size);

#endif /* TLSOCK_NLFUZZ_H */
