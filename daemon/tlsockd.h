/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tlsockd: the handshake daemon of tlsock.  Shared declarations.
 *
 * Functions return 0 or a negative errno; only main() and the event loop
 * print, through tlsockd_log().
 */
#ifndef TLSOCKD_H
#define TLSOCKD_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <pthread.h>
#include <sys/socket.h>
#include <gnutls/gnutls.h>
#include <linux/tls.h>
#include <linux/tlsock.h>

#define TLSOCKD_CONF_DEFAULT	"/etc/tlsock/tlsockd.conf"
#define TLSOCKD_MAX_WORKERS	256

/* log.c */
enum tlsockd_log_to { TLSOCKD_LOG_STDERR, TLSOCKD_LOG_SYSLOG };
void tlsockd_log_init(enum tlsockd_log_to to, bool debug);
void tlsockd_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Longest logged message, without the time and priority prefix. */
#define TLSOCKD_LINE_MAX	1024

/* A log line built piece by piece (log.c): the per-handshake line skips printf. */
struct tlsockd_line {
	size_t len;
	char buf[TLSOCKD_LINE_MAX];
};

static inline void tlsockd_line_init(struct tlsockd_line *l)
{
	l->len = 0;
}

char *tlsockd_put_dec(char *p, unsigned long long v, int width);
void tlsockd_line_str(struct tlsockd_line *l, const char *s);
void tlsockd_line_dec(struct tlsockd_line *l, unsigned long long v);
void tlsockd_log_line(int prio, const struct tlsockd_line *l);
const char *tlsockd_errname(int err);

/* config.c: the parsed file, before anything is loaded */
enum tlsockd_client_auth { TLSOCKD_AUTH_NONE, TLSOCKD_AUTH_OPTIONAL, TLSOCKD_AUTH_REQUIRE };

/**
 * struct tlsockd_profile_conf - one [profile NAME] section
 * @name: profile name ("default" for the default profile)
 * @cert: certificate chain file (PEM), or NULL
 * @key: private key file (PEM), or NULL
 * @ca: trust anchors file, or NULL for the system store
 * @crl: CRL file (PEM), or NULL
 * @client_auth: servers: whether to ask for / require a client certificate
 * @min_version: GNUTLS_TLS1_2 or GNUTLS_TLS1_3
 * @ciphers: space-separated cipher names (see tlsockd.conf(5)), or NULL
 * @priority: full GnuTLS priority string (overrides the rest), or NULL
 * @tickets: session tickets / resumption on
 * @verify: verify the peer (false only when the file says "verify = no")
 */
struct tlsockd_profile_conf {
	char *name;
	char *cert;
	char *key;
	char *ca;
	char *crl;
	enum tlsockd_client_auth client_auth;
	int min_version;
	char *ciphers;
	char *priority;
	bool tickets;
	bool verify;
};

struct tlsockd_rule;

/* [daemon] defaults: server handshakes in progress with one peer, idle time of a peer */
#define TLSOCKD_MAX_PER_PEER	8
#define TLSOCKD_IDLE_MS		3000
#define TLSOCKD_IDLE_MIN_MS	100

/**
 * struct tlsockd_conf - /etc/tlsock/tlsockd.conf
 * @path: where it was read from
 * @workers: handshake threads
 * @client_workers: workers that server handshakes leave to clients; -1:
 *	the default (tlsockd_admit_reserve())
 * @max_per_peer: server handshakes in progress with one peer address (an
 *	IPv6 /64), 0: no limit
 * @idle_ms: longest wait for the peer's next record, 0: only the deadline
 * @log_syslog: log to syslog (else stderr); -1 when the file does not say
 * @profiles: profiles, in file order
 * @nprofiles: entries in @profiles
 * @rules: the transparent TLS rules of [policy] (rule = ...), in file order
 * @nrules: entries in @rules
 */
struct tlsockd_conf {
	char *path;
	unsigned int workers;
	int client_workers;
	unsigned int max_per_peer;
	unsigned int idle_ms;
	int log_syslog;
	struct tlsockd_profile_conf *profiles;
	size_t nprofiles;
	struct tlsockd_conf_rule *rules;
	size_t nrules;
};

int tlsockd_conf_read(const char *path, struct tlsockd_conf **out, char *why, size_t whylen);
void tlsockd_conf_free(struct tlsockd_conf *conf);
const struct tlsockd_profile_conf *tlsockd_conf_profile(const struct tlsockd_conf *conf,
							const char *name);
const char *tlsockd_auth_name(enum tlsockd_client_auth a);

/* creds.c: loaded credentials, one generation per (re)load */
struct tlsockd_stek;

/**
 * struct tlsockd_profile - a loaded profile
 * @conf: its section of the file
 * @cred: certificate, key, trust store, CRL
 * @prio: priority cache
 * @has_cert: @cred holds a certificate of our own
 * @stek: this profile's session ticket key (creds.c): a ticket of one
 *	profile, or of an earlier generation, never resumes into another
 */
struct tlsockd_profile {
	const struct tlsockd_profile_conf *conf;
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	bool has_cert;
	struct tlsockd_stek *stek;
};

/**
 * struct tlsockd_gen - a loaded configuration, shared by handshakes
 * @refs: references (the current pointer holds one, each handshake one)
 * @conf: the file it was loaded from
 * @profiles: loaded profiles, same order as @conf->profiles
 */
struct tlsockd_gen {
	int refs;
	struct tlsockd_conf *conf;
	struct tlsockd_profile *profiles;
};

int tlsockd_gen_load(struct tlsockd_conf *conf, struct tlsockd_gen **out, char *why,
		     size_t whylen);
struct tlsockd_gen *tlsockd_gen_get(void);
struct tlsockd_gen *tlsockd_gen_ref(const struct tlsockd_gen *gen);
void tlsockd_gen_put(struct tlsockd_gen *gen);
void tlsockd_gen_publish(struct tlsockd_gen *gen);
const struct tlsockd_profile *tlsockd_gen_profile(const struct tlsockd_gen *gen,
						  const char *name);
int tlsockd_profile_tickets(const struct tlsockd_profile *p, gnutls_session_t s);

/*
 * Longest life of resumption, in seconds, counted from the full handshake a
 * session descends from (RFC 8446 4.6.1 allows 7 days): the lifetime of the
 * server's tickets and of its ticket key, and of a client's cached session.
 */
#define TLSOCKD_RESUME_LIFETIME	(6 * 3600)

/* resume.c: client session cache keyed by profile and what was checked
 * (server name, or address and port), and the TLS 1.3 client sessions held
 * for their tickets */
void tlsockd_resume_store(const char *profile, const char *name, gnutls_session_t s,
			  int64_t born);
int64_t tlsockd_resume_load(const char *profile, const char *name, gnutls_session_t s);
void tlsockd_resume_forget(const char *profile, const char *name);
void tlsockd_resume_flush(void);
int tlsockd_resume_hold(const struct tlsockd_gen *gen, uint32_t id, const char *profile,
			const char *name, int64_t born, gnutls_session_t s, uint32_t *port);
void tlsockd_resume_release(uint32_t id);
int tlsockd_resume_ticket(uint32_t id, const void *msg, size_t len);
void tlsockd_resume_set_port(uint32_t port);
void tlsockd_resume_expire(void);

/* policy.c: tlsockd.conf's rules in the kernel while the daemon runs */
int tlsockd_policy_hooks(const struct tlsockd_conf *conf);
int tlsockd_policy_apply(const struct tlsockd_conf *conf);
void tlsockd_policy_remove(const struct tlsockd_conf *conf);
bool tlsockd_policy_same(const struct tlsockd_conf *a, const struct tlsockd_conf *b);

/* nl.c: the "tlsock" generic netlink family */
struct tlsockd_nl;

/**
 * struct tlsockd_request - a claimed request (ACCEPT reply)
 * @id: request id
 * @fd: the application's socket, a descriptor of ours (O_CLOEXEC)
 * @role: TLSOCK_ROLE_*
 * @flags: TLSOCK_HS_F_*
 * @timeout_ms: time left
 * @profile: profile name ("" = default)
 * @server_name: expected server name (clients)
 * @peer: remote address
 * @peer_len: bytes of @peer (0 if unknown)
 * @rule_id: the transparent TLS rule that made the request, 0 for an
 *	application's own
 */
struct tlsockd_request {
	uint32_t id;
	int fd;
	uint32_t role;
	uint32_t flags;
	uint32_t timeout_ms;
	char profile[TLSOCK_PROFILE_MAX];
	char server_name[TLSOCK_SERVER_NAME_MAX];
	struct sockaddr_storage peer;
	socklen_t peer_len;
	uint32_t rule_id;
};

union tlsockd_crypto_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 aes_gcm_128;
	struct tls12_crypto_info_aes_gcm_256 aes_gcm_256;
	struct tls12_crypto_info_aes_ccm_128 aes_ccm_128;
	struct tls12_crypto_info_chacha20_poly1305 chacha20_poly1305;
};

#define TLSOCKD_MAX_SAN	16

/**
 * struct tlsockd_result - what DONE reports
 * @status: 0 or a positive errno
 * @version: TLS_1_2_VERSION / TLS_1_3_VERSION
 * @cipher: TLS_CIPHER_*
 * @tx: transmit crypto_info
 * @rx: receive crypto_info
 * @info_len: bytes of @tx and @rx
 * @secret_len: TLS 1.3 traffic secret length, 0 for TLS 1.2
 * @secret_tx: transmit traffic secret
 * @secret_rx: receive traffic secret
 * @verified: the peer's certificate was verified
 * @resumed: the session was resumed
 * @subject: peer subject DN
 * @san: peer subjectAltNames ("DNS:...", "IP:...", "email:...", "URI:...")
 * @nsan: entries in @san
 * @san_truncated: the peer has SANs that are not in @san
 * @version_name: for the log
 * @cipher_name: for the log
 * @reason: for the log: what failed
 * @server: the local end is the server (maps client/server secrets to tx/rx)
 * @secrets_seen: bit 0: @secret_tx captured, bit 1: @secret_rx captured
 * @ticket_portid: TLS 1.3 client: our port for the peer's tickets, 0: none
 *
 * Holds keys: wiped with tlsockd_result_wipe() on every path.
 */
struct tlsockd_result {
	int status;
	uint16_t version;
	uint16_t cipher;
	union tlsockd_crypto_info tx;
	union tlsockd_crypto_info rx;
	unsigned int info_len;
	unsigned int secret_len;
	uint8_t secret_tx[TLSOCK_SECRET_MAX];
	uint8_t secret_rx[TLSOCK_SECRET_MAX];
	bool verified;
	bool resumed;
	unsigned int nsan;
	bool san_truncated;
	const char *version_name;
	const char *cipher_name;
	char reason[160];
	bool server;
	unsigned int secrets_seen;
	uint32_t ticket_portid;
	/* last: tlsockd_result_reset() clears only what precedes them */
	char subject[TLSOCK_SUBJECT_MAX + 1];
	char san[TLSOCKD_MAX_SAN][TLSOCK_SAN_MAX + 1];
};

void tlsockd_result_reset(struct tlsockd_result *res);
void tlsockd_result_wipe(struct tlsockd_result *res);

int tlsockd_nl_open(struct tlsockd_nl **out, bool listen);
void tlsockd_nl_close(struct tlsockd_nl *nl);
int tlsockd_nl_fd(struct tlsockd_nl *nl);
uint32_t tlsockd_nl_port(struct tlsockd_nl *nl);
typedef void (*tlsockd_ticket_fn)(uint32_t id, const void *msg, size_t len);
int tlsockd_nl_ready(struct tlsockd_nl *nl, bool *overrun, tlsockd_ticket_fn on_ticket);
int tlsockd_nl_accept(struct tlsockd_nl *nl, struct tlsockd_request *req, bool park);
int tlsockd_nl_done(struct tlsockd_nl *nl, uint32_t id, const struct tlsockd_result *res,
		    bool park);
int tlsockd_nl_set_idle_wait(struct tlsockd_nl *nl, unsigned int ms);
void tlsockd_nl_set_role_filter(struct tlsockd_nl *nl, uint32_t role);
bool tlsockd_nl_wait(struct tlsockd_nl *nl);
void tlsockd_nl_poke(struct tlsockd_nl *nl);

/* nl_parse.c: validation of what the kernel sends */
struct nl_msg;
struct nlattr;
bool tlsockd_nl_from_kernel(struct nl_msg *msg);
int tlsockd_nl_parse(struct nl_msg *msg, uint8_t cmd, struct nlattr **tb);
int tlsockd_nl_parse_ticket(struct nl_msg *msg, uint32_t *id, const void **data, size_t *len);

/**
 * struct tlsockd_status - STATUS_GET reply
 */
struct tlsockd_status {
	uint32_t pending;
	uint32_t active;
	uint32_t max_pending;
	uint32_t default_timeout;
	uint32_t listeners;
};
int tlsockd_nl_status(struct tlsockd_nl *nl, struct tlsockd_status *st);

/**
 * struct tlsockd_rule - a transparent TLS rule (uapi/tlsock.yaml, policy-*)
 * @id: the kernel's id (policy-get)
 * @role: TLSOCK_ROLE_CLIENT
 * @family: AF_INET or AF_INET6 for a network in @addr, 0 for any address
 * @addr: the network, 4 or 16 bytes
 * @prefix: bits of @addr that match
 * @port: destination port
 * @cgroup: cgroup v2 id the rule is limited to, 0 for none
 * @profile: tlsockd.conf profile ("" for "default")
 * @server_name: name the server's certificate must carry
 * @origin: TLSOCK_ORIGIN_ADMIN (tlsockctl) or TLSOCK_ORIGIN_DAEMON (tlsockd.conf)
 * @connections: counters (policy-get)
 * @bytes_in: TCP payload bytes of the rule's ended sessions, received
 * @bytes_out: and sent (acknowledged)
 */
struct tlsockd_rule {
	uint32_t id;
	uint32_t role;
	int family;
	uint8_t addr[16];
	uint8_t prefix;
	uint16_t port;
	uint64_t cgroup;
	char profile[TLSOCK_PROFILE_MAX];
	char server_name[TLSOCK_SERVER_NAME_MAX];
	uint32_t origin;
	uint64_t connections, hs_ok, hs_failed, refused, skipped;
	uint64_t bytes_in, bytes_out;
};

/**
 * struct tlsockd_conf_rule - one "rule =" line of tlsockd.conf's [policy]
 * @rule: the rule, parsed (origin TLSOCK_ORIGIN_DAEMON)
 * @line: its line in the file, for messages
 * @text: the rule as written, for messages
 */
struct tlsockd_conf_rule {
	struct tlsockd_rule rule;
	int line;
	char *text;
};

typedef void (*tlsockd_rule_fn)(const struct tlsockd_rule *rule, void *arg);
int tlsockd_nl_policy_add(struct tlsockd_nl *nl, const struct tlsockd_rule *rule, uint32_t *id,
			  char *why, size_t whylen);
int tlsockd_nl_policy_del(struct tlsockd_nl *nl, uint32_t id, bool flush, uint32_t origin);
int tlsockd_nl_policy_list(struct tlsockd_nl *nl, tlsockd_rule_fn fn, void *arg);

/**
 * struct tlsockd_session - a live transparent session (session-get)
 * @rule_id: the rule that made it
 * @role: TLSOCK_ROLE_*
 * @local: local address
 * @local_len: bytes of @local
 * @peer: remote address
 * @peer_len: bytes of @peer
 * @state: TLSOCK_STATE_*
 * @error: positive errno of a failed handshake
 * @version: TLS version, once established
 * @cipher: TLS_CIPHER_*, once established
 * @verified: the peer's certificate was verified
 * @subject: the peer's subject DN
 * @san: the peer's subjectAltNames, ", "-separated
 * @bytes_in: TCP payload bytes received so far
 * @bytes_out: TCP payload bytes sent and acknowledged so far
 */
struct tlsockd_session {
	uint32_t rule_id;
	uint32_t role;
	struct sockaddr_storage local;
	socklen_t local_len;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	uint32_t state;
	uint32_t error;
	uint16_t version;
	uint16_t cipher;
	bool verified;
	char subject[TLSOCK_SUBJECT_MAX + 1];
	char san[1024];
	uint64_t bytes_in, bytes_out;
};
typedef void (*tlsockd_session_fn)(const struct tlsockd_session *s, void *arg);
int tlsockd_nl_session_list(struct tlsockd_nl *nl, tlsockd_session_fn fn, void *arg);

/* rule.c: a rule as text ("client 10.0.0.0/8:6379 profile P server-name N cgroup PATH") */
int tlsockd_rule_parse(int argc, char **argv, struct tlsockd_rule *rule, char *why,
		       size_t whylen);
int tlsockd_rule_parse_line(const char *text, struct tlsockd_rule *rule, char *why,
			    size_t whylen);
void tlsockd_rule_dest(const struct tlsockd_rule *rule, char *buf, size_t len);

/* transport.c: the socket as GnuTLS sees it */

/**
 * struct tlsockd_io - transport state of one handshake
 * @fd: socket
 * @deadline_ms: CLOCK_MONOTONIC milliseconds at which I/O gives up
 * @idle_ms: longest wait for the peer's next record, 0: none but the deadline
 * @idle_at: CLOCK_MONOTONIC milliseconds at which a peer that sent no
 *	further record is cut
 * @hdr: header of the record being read
 * @hdr_have: bytes of @hdr read so far
 * @body_left: bytes of the current record's body not read yet
 * @err: errno of the last failed transport call (for the errno mapping)
 * @idle: @err is ETIMEDOUT because the peer was idle, not the deadline
 */
struct tlsockd_io {
	int fd;
	int64_t deadline_ms;
	unsigned int idle_ms;
	int64_t idle_at;
	uint8_t hdr[5];
	unsigned int hdr_have;
	unsigned int body_left;
	int err;
	bool idle;
};

void tlsockd_io_init(struct tlsockd_io *io, int fd, uint32_t timeout_ms, uint32_t idle_ms);
void tlsockd_io_attach(struct tlsockd_io *io, gnutls_session_t s);
int64_t tlsockd_now_ms(void);

/* errmap.c */
int tlsockd_gnutls_errno(gnutls_session_t s, int gerr, const struct tlsockd_io *io,
			 char *why, size_t whylen);
int tlsockd_verify_errno(unsigned int status);

/* keys.c */
int tlsockd_keys_extract(gnutls_session_t s, bool server, struct tlsockd_result *res);
void tlsockd_keys_keylog(gnutls_session_t s, struct tlsockd_result *res);

/* peer.c */
int tlsockd_peer_identity(gnutls_session_t s, struct tlsockd_result *res);
void tlsockd_format_addr(const struct sockaddr_storage *ss, socklen_t len, char *buf,
			 size_t size);

/* secret.c */
int tlsockd_no_dump(void);
void *tlsockd_secret_alloc(size_t size);
void tlsockd_secret_free(void *p, size_t size);

/* verify.c */
bool tlsockd_peer_ip(const struct tlsockd_request *req, int *af, const void **addr,
		     uint16_t *port);
void tlsockd_check_names(const struct tlsockd_request *req, char *vname, size_t vsize,
			 char *ckey, size_t csize);
unsigned int tlsockd_verify_init(gnutls_typed_vdata_st vd[2], bool server, const char *vname);
int tlsockd_verify_again(gnutls_session_t s, const struct tlsockd_profile *p, bool server,
			 gnutls_typed_vdata_st *vd, unsigned int nvd, bool *has_cert, char *why,
			 size_t whylen);

/* peer_cache.c */
bool tlsockd_peer_cache_get(const gnutls_datum_t *der, struct tlsockd_result *res);
void tlsockd_peer_cache_put(const gnutls_datum_t *der, const struct tlsockd_result *res);
void tlsockd_peer_cache_flush(void);

/* admit.c: which claimed requests get a worker */
void tlsockd_admit_init(unsigned int workers);
unsigned int tlsockd_admit_reserve(const struct tlsockd_conf *conf, unsigned int workers);
uint32_t tlsockd_admit_roles(const struct tlsockd_conf *conf, unsigned int index);
int tlsockd_admit(const struct tlsockd_conf *conf, const struct tlsockd_request *req,
		  char *why, size_t whylen);
void tlsockd_admit_end(const struct tlsockd_request *req);

/* notify.c */
int tlsockd_notify(const char *state);

/* handshake.c */
void tlsockd_handshake(const struct tlsockd_gen *gen, const struct tlsockd_request *req,
		       struct tlsockd_result *res);

/* watch.c */
int tlsockd_watch_open(void);
void tlsockd_watch_set(int ifd, const struct tlsockd_conf *conf, const char *conf_path);
bool tlsockd_watch_changed(int ifd);

/* hooks.c: the cgroup connect4/connect6 hooks of transparent policies (bpf/policy.bpf.c) */
int tlsock_hooks_attach(char *why, size_t whylen);
int tlsock_hooks_detach(void);
int tlsock_hooks_attached(void);
bool tlsock_hooks_explain(int state, char *buf, size_t len);

/* loop.c */
int tlsockd_run(struct tlsockd_conf *conf, const char *conf_path);

#endif /* TLSOCKD_H */
