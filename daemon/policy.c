// SPDX-License-Identifier: GPL-2.0
/*
 * The transparent TLS rules of tlsockd.conf ([policy], "rule = ..."): in
 * the kernel while the daemon runs, in the daemon's network namespace.
 *
 * The kernel marks each rule with its origin.  tlsockd adds its rules as
 * TLSOCK_ORIGIN_DAEMON; tlsockctl's are TLSOCK_ORIGIN_ADMIN.  tlsockd
 * deletes its own with one policy-del (flush, origin daemon), so it needs
 * no memory of ids and never touches the administrator's rules:
 *
 *  - at start, before adding its rules, in case a daemon before it died
 *    (SIGKILL, a crash) with its rules in place: a restart never finds its
 *    own rules there twice;
 *  - at start again if any rule is refused (a duplicate of a tlsockctl
 *    rule, no BPF hooks, policy_max): the daemon then exits, and nothing
 *    of its configuration is left half applied;
 *  - at a clean stop: the connections the rules covered are plain TCP
 *    again, adopted listeners given back to TCP; live sessions go on.
 *
 * A configuration without rules touches none of this: a daemon whose
 * file has no [policy] leaves the daemon rules of the namespace alone
 * (another tlsockd of the namespace may own them).
 *
 * Rules act only through the cgroup hooks (hooks.c, tlsockctl hooks attach,
 * tlsock-hooks.service).  Without them the kernel takes the rules and new
 * connections and new listeners stay plain TCP: a daemon with rules
 * therefore does not start unless it sees the hooks attached.
 */
#include <errno.h>
#include <string.h>
#include <syslog.h>

#include "tlsockd.h"

/**
 * tlsockd_policy_hooks() - may the configuration's rules be added?
 * @conf: configuration
 *
 * A configuration with rules needs the cgroup hooks attached.  When this
 * process cannot see whether they are (/sys/fs/bpf is not the bpffs
 * holding the pins: a mount namespace of its own, as ip netns exec makes),
 * the answer is no as well: rules that might be inert are not added.
 *
 * Return: 0, or a negative errno once the reason is logged.
 */
int tlsockd_policy_hooks(const struct tlsockd_conf *conf)
{
	char why[384];
	int state;

	if (!conf->nrules)
		return 0;
	state = tlsock_hooks_attached();
	if (state == 1)
		return 0;
	if (tlsock_hooks_explain(state, why, sizeof(why)))
		tlsockd_log(LOG_ERR, "%s: rules in [policy] need the cgroup hooks: run tlsockctl "
			    "hooks attach or enable tlsock-hooks.service (%s)", conf->path, why);
	else
		tlsockd_log(LOG_ERR, "%s: rules in [policy] need the cgroup hooks, and %s: run "
			    "tlsockctl hooks attach, and start tlsockd where /sys/fs/bpf is the "
			    "host's bpffs (nsenter --net=, not ip netns exec)", conf->path, why);
	return state < 0 ? state : -ENOLINK;
}

static int remove_all(struct tlsockd_nl *nl)
{
	return tlsockd_nl_policy_del(nl, 0, true, TLSOCK_ORIGIN_DAEMON);
}

/**
 * tlsockd_policy_apply() - add the configuration's rules, all or none
 * @conf: configuration
 *
 * Logs what it does and, on failure, the file and line of the rule the
 * kernel refused.
 *
 * Return: 0, or a negative errno with no rule of the daemon's left.
 */
int tlsockd_policy_apply(const struct tlsockd_conf *conf)
{
	struct tlsockd_nl *nl;
	char why[256];
	uint32_t id;
	size_t i;
	int err;

	if (!conf->nrules)
		return 0;
	err = tlsockd_nl_open(&nl, false);
	if (err) {
		tlsockd_log(LOG_ERR, "%s: rules: %s", conf->path, strerror(-err));
		return err;
	}
	err = remove_all(nl);
	if (err) {
		tlsockd_log(LOG_ERR, "%s: rules: removing an earlier daemon's rules: %s",
			    conf->path, strerror(-err));
		goto out;
	}
	for (i = 0; i < conf->nrules; i++) {
		const struct tlsockd_conf_rule *r = &conf->rules[i];

		err = tlsockd_nl_policy_add(nl, &r->rule, &id, why, sizeof(why));
		if (err) {
			tlsockd_log(LOG_ERR, "%s:%d: rule \"%s\" refused by the kernel: %s%s%s",
				    conf->path, r->line, r->text, strerror(-err),
				    why[0] ? ": " : "", why);
			/* none of ours stays: the daemon does not start */
			remove_all(nl);
			goto out;
		}
		tlsockd_log(LOG_INFO, "%s:%d: rule %u: %s", conf->path, r->line, id, r->text);
	}
	tlsockd_log(LOG_NOTICE, "%zu rule%s of %s added", conf->nrules,
		    conf->nrules == 1 ? "" : "s", conf->path);
out:
	tlsockd_nl_close(nl);
	return err;
}

/**
 * tlsockd_policy_remove() - delete the daemon's rules (clean stop)
 * @conf: configuration the rules came from
 */
void tlsockd_policy_remove(const struct tlsockd_conf *conf)
{
	struct tlsockd_nl *nl;
	int err;

	if (!conf->nrules)
		return;
	err = tlsockd_nl_open(&nl, false);
	if (!err) {
		err = remove_all(nl);
		tlsockd_nl_close(nl);
	}
	if (err)
		tlsockd_log(LOG_ERR, "removing the rules of %s: %s (tlsockctl policy flush "
			    "daemon removes them)", conf->path, strerror(-err));
	else
		tlsockd_log(LOG_NOTICE, "rules of %s removed", conf->path);
}

/**
 * tlsockd_policy_same() - do @a and @b have the same rules, in the same order?
 * @a: a configuration
 * @b: another
 *
 * Return: true if so (compared as written, after the words were split).
 */
bool tlsockd_policy_same(const struct tlsockd_conf *a, const struct tlsockd_conf *b)
{
	size_t i;

	if (a->nrules != b->nrules)
		return false;
	for (i = 0; i < a->nrules; i++) {
		const struct tlsockd_rule *x = &a->rules[i].rule, *y = &b->rules[i].rule;

		if (x->role != y->role || x->family != y->family || x->prefix != y->prefix ||
		    x->port != y->port || x->cgroup != y->cgroup ||
		    memcmp(x->addr, y->addr, sizeof(x->addr)) ||
		    strcmp(x->profile, y->profile) || strcmp(x->server_name, y->server_name))
			return false;
	}
	return true;
}
