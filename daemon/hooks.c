// SPDX-License-Identifier: GPL-2.0
/*
 * The cgroup hooks of transparent TLS policies (bpf/policy.bpf.c): attach,
 * detach, and whether they are attached.
 *
 * Each program hangs on the cgroup v2 root through a BPF link, pinned in
 * bpffs:
 *
 *	/sys/fs/bpf/tlsock/connect4	cgroup/connect4 on /sys/fs/cgroup
 *	/sys/fs/bpf/tlsock/connect6	cgroup/connect6 on /sys/fs/cgroup
 *	/sys/fs/bpf/tlsock/post_bind4	cgroup/post_bind4 on /sys/fs/cgroup
 *	/sys/fs/bpf/tlsock/post_bind6	cgroup/post_bind6 on /sys/fs/cgroup
 *
 * The pin holds the attachment: it outlives the process that made it, and
 * the kernel detaches a link once its pin and its last descriptor are gone.
 * Attaching again while a link is pinned swaps the link's program in place
 * (BPF_LINK_UPDATE), so a new build takes over without a moment in which a
 * connect() goes unhooked, and the hook never runs twice for one connect().
 *
 * Attach and detach take an exclusive flock on the pin directory, so that
 * two of them at once cannot both find no pin and attach two links.
 *
 * libbpf's messages go to the debug log (tlsockd -d); its print callback is
 * process-wide, so these functions are for one thread at a time.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <linux/magic.h>
#include <bpf/libbpf.h>

#include "tlsockd.h"
#include "policy.skel.h"

#define BPFFS		"/sys/fs/bpf"
#define PIN_DIR		BPFFS "/tlsock"
#define CGROUP_ROOT	"/sys/fs/cgroup"
#define KFUNC		"bpf_tlsock_connect"

enum { HOOK_CONNECT4, HOOK_CONNECT6, HOOK_POST_BIND4, HOOK_POST_BIND6, NR_HOOKS };

static const char *const pin_path[NR_HOOKS] = {
	[HOOK_CONNECT4] = PIN_DIR "/connect4",
	[HOOK_CONNECT6] = PIN_DIR "/connect6",
	[HOOK_POST_BIND4] = PIN_DIR "/post_bind4",
	[HOOK_POST_BIND6] = PIN_DIR "/post_bind6",
};

/* libbpf said, during the last load, that no BTF of the kernel has KFUNC */
static bool kfunc_missing;

__attribute__((format(printf, 2, 0)))
static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char msg[TLSOCKD_LINE_MAX];
	va_list copy;
	size_t n;

	if (strstr(fmt, "extern (func ksym) '%s': not found")) {
		va_copy(copy, ap);
		if (!strcmp(va_arg(copy, const char *), KFUNC))
			kfunc_missing = true;
		va_end(copy);
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	if (n)
		tlsockd_log(LOG_DEBUG, "%s", msg);
	return 0;
}

/* bpffs at BPFFS, mounted now if something else (or nothing) is there. */
static int bpffs_mount(void)
{
	struct statfs sfs;

	if (statfs(BPFFS, &sfs))
		return -errno;
	if (sfs.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", BPFFS, "bpf", 0, NULL))
		return -errno;
	return 0;
}

/*
 * Open PIN_DIR, made first (mode 0700) when @create, and hold an exclusive
 * flock on it until @*fd is closed.  A directory that a detach removed while
 * we waited for the lock is left for a new one.  -ENOENT: there is none
 * (and @create is false).
 */
static int pin_dir_lock(bool create, int *fd)
{
	struct stat st;
	int tries, err;

	for (tries = 0; tries < 8; tries++) {
		if (create && mkdir(PIN_DIR, 0700) && errno != EEXIST)
			return -errno;
		*fd = open(PIN_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (*fd < 0)
			return -errno;
		if (flock(*fd, LOCK_EX) || fstat(*fd, &st)) {
			err = -errno;
			close(*fd);
			return err;
		}
		if (st.st_nlink)
			return 0;
		close(*fd);
	}
	return -EAGAIN;
}

/* Kernel release older than @major.@minor (false when uname cannot say). */
static bool kernel_before(int major, int minor, char *release, size_t len)
{
	struct utsname u;
	int ma, mi;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	snprintf(release, len, "%s", u.release);
	return ma < major || (ma == major && mi < minor);
}

static bool exists(const char *path)
{
	struct stat st;

	return !stat(path, &st);
}

/* One line on why the programs did not load; @err is the skeleton load's. */
static void explain_load(int err, char *why, size_t whylen)
{
	char release[65];

	if (!exists("/sys/kernel/btf/vmlinux")) {
		snprintf(why, whylen, "the kernel has no kfunc " KFUNC
			 ": it has no BTF at all (/sys/kernel/btf/vmlinux)");
	} else if (err == -ESRCH || kfunc_missing) {
		if (!exists("/sys/module/tlsock"))
			snprintf(why, whylen, "the kernel has no kfunc " KFUNC
				 ": tlsock.ko is not loaded");
		else if (!exists("/sys/kernel/btf/tlsock"))
			snprintf(why, whylen, "the kernel has no kfunc " KFUNC
				 ": tlsock.ko was built without BTF (no pahole at build time?)");
		else
			snprintf(why, whylen, "the kernel has no kfunc " KFUNC
				 ": the loaded tlsock.ko does not provide it (an older build?)");
	} else if (err == -EPERM) {
		snprintf(why, whylen, "loading the cgroup programs: %s (needs CAP_BPF or CAP_SYS_ADMIN)",
			 strerror(-err));
	} else if (kernel_before(6, 7, release, sizeof(release))) {
		snprintf(why, whylen, "the kernel has no kfunc " KFUNC
			 " for cgroup programs: %s is older than 6.7, whose cgroup programs cannot call kfuncs",
			 release);
	} else if (err == -EACCES) {
		snprintf(why, whylen, "loading the cgroup programs: %s (the kernel refused kfunc "
			 KFUNC " for them: tlsock.ko did not register it for cgroup programs?)",
			 strerror(-err));
	} else {
		snprintf(why, whylen, "loading the cgroup programs: %s", strerror(-err));
	}
}

/*
 * Hang @prog on the cgroup @cgfd through the link pinned at @pin: the pinned
 * link's program is replaced when there is one, else a new link is made and
 * pinned.  Our descriptor goes either way; the pin keeps the link.
 */
static int attach_one(struct bpf_program *prog, const char *pin, int cgfd, char *why,
		      size_t whylen)
{
	struct bpf_link *link;
	int err;

	link = bpf_link__open(pin);
	if (link) {
		err = bpf_link__update_program(link, prog);
		if (err != -ENOLINK) {
			if (err)
				snprintf(why, whylen, "replacing the program of %s: %s", pin,
					 strerror(-err));
			goto out;
		}
		/* detached behind our back (bpftool link detach): a new link replaces it */
		bpf_link__destroy(link);
		link = NULL;
		if (unlink(pin)) {
			err = -errno;
			snprintf(why, whylen, "removing the detached link %s: %s", pin,
				 strerror(-err));
			goto out;
		}
	} else if (errno != ENOENT) {
		err = -errno;
		snprintf(why, whylen, "opening %s: %s", pin, strerror(-err));
		goto out;
	}

	link = bpf_program__attach_cgroup(prog, cgfd);
	if (!link) {
		err = -errno;
		snprintf(why, whylen, "attaching %s to " CGROUP_ROOT ": %s",
			 bpf_program__section_name(prog), strerror(-err));
		goto out;
	}
	err = bpf_link__pin(link, pin);
	if (err)
		snprintf(why, whylen, "pinning %s: %s", pin, strerror(-err));
out:
	bpf_link__destroy(link);
	return err;
}

/**
 * tlsock_hooks_attach() - attach the connect and post_bind hooks to the cgroup v2 root
 * @why: on failure, one line saying what failed
 * @whylen: size of @why
 *
 * Mounts bpffs on /sys/fs/bpf if it is not there, makes /sys/fs/bpf/tlsock,
 * loads the programs and attaches each through a link pinned there; a link
 * already pinned gets the new program in place.  Calling it again leaves one
 * attachment per hook.  Needs CAP_SYS_ADMIN (bpffs, cgroup attach).
 *
 * Return: 0, or a negative errno with @why filled in.
 */
int tlsock_hooks_attach(char *why, size_t whylen)
{
	struct tlsock_policy *skel = NULL;
	struct bpf_program *prog[NR_HOOKS];
	int dfd = -1, cgfd = -1, err, i;
	struct statfs sfs;

	libbpf_set_print(libbpf_log);
	err = bpffs_mount();
	if (err) {
		snprintf(why, whylen, "mounting bpffs on " BPFFS ": %s", strerror(-err));
		goto out;
	}
	err = pin_dir_lock(true, &dfd);
	if (err) {
		snprintf(why, whylen, PIN_DIR ": %s", strerror(-err));
		goto out;
	}
	cgfd = open(CGROUP_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0 || fstatfs(cgfd, &sfs)) {
		err = -errno;
		snprintf(why, whylen, CGROUP_ROOT ": %s", strerror(-err));
		goto out;
	}
	if (sfs.f_type != CGROUP2_SUPER_MAGIC) {
		err = -EOPNOTSUPP;
		snprintf(why, whylen, CGROUP_ROOT " is not a cgroup v2 root (cgroup v1 or hybrid)");
		goto out;
	}

	skel = tlsock_policy__open();
	if (!skel) {
		err = -errno;
		snprintf(why, whylen, "opening the cgroup programs: %s", strerror(-err));
		goto out;
	}
	kfunc_missing = false;
	err = tlsock_policy__load(skel);
	if (err) {
		explain_load(err, why, whylen);
		goto out;
	}
	prog[HOOK_CONNECT4] = skel->progs.tlsock_connect4;
	prog[HOOK_CONNECT6] = skel->progs.tlsock_connect6;
	prog[HOOK_POST_BIND4] = skel->progs.tlsock_post_bind4;
	prog[HOOK_POST_BIND6] = skel->progs.tlsock_post_bind6;
	for (i = 0; i < NR_HOOKS; i++) {
		err = attach_one(prog[i], pin_path[i], cgfd, why, whylen);
		if (err)
			goto out;
	}
out:
	tlsock_policy__destroy(skel);
	if (cgfd >= 0)
		close(cgfd);
	if (dfd >= 0)
		close(dfd);
	return err;
}

/**
 * tlsock_hooks_detach() - detach the hooks
 *
 * Removes every pin and /sys/fs/bpf/tlsock; the kernel detaches each link
 * when its pin was the last reference.  What is already gone is no error.
 *
 * Return: 0 or a negative errno.
 */
int tlsock_hooks_detach(void)
{
	int dfd = -1, err, i;

	err = pin_dir_lock(false, &dfd);
	if (err) {
		if (err == -ENOENT)
			err = 0;
		goto out;
	}
	for (i = 0; i < NR_HOOKS; i++) {
		if (unlink(pin_path[i]) && errno != ENOENT) {
			err = -errno;
			goto out;
		}
	}
	if (rmdir(PIN_DIR) && errno != ENOENT)
		err = -errno;
out:
	if (dfd >= 0)
		close(dfd);
	return err;
}

/**
 * tlsock_hooks_attached() - whether the hooks are attached
 *
 * Looks for the pins only: a pin is a link the kernel keeps attached.  The
 * pins can only be seen where /sys/fs/bpf is the bpffs they were made in:
 * a mount namespace with a sysfs of its own (ip netns exec mounts one) has
 * a plain directory there, and so has a system where nothing mounted bpffs
 * yet (tlsock_hooks_attach() mounts it).  From there nobody can tell.
 *
 * Return: 1 when every hook is pinned, 0 when none is, -ENOLINK when
 * only some are, -EMEDIUMTYPE when /sys/fs/bpf is not a bpffs, or another
 * negative errno (-ENOENT: no /sys/fs/bpf; -EACCES without the right to look).
 */
int tlsock_hooks_attached(void)
{
	struct statfs sfs;
	int i, n = 0;

	if (statfs(BPFFS, &sfs))
		return -errno;
	if (sfs.f_type != BPF_FS_MAGIC)
		return -EMEDIUMTYPE;
	for (i = 0; i < NR_HOOKS; i++) {
		if (exists(pin_path[i]))
			n++;
		else if (errno != ENOENT)
			return -errno;
	}
	return n == NR_HOOKS ? 1 : n ? -ENOLINK : 0;
}

/**
 * tlsock_hooks_explain() - what a tlsock_hooks_attached() result other than 1 means
 * @state: its return value
 * @buf: the words, a clause to put after "the cgroup hooks: " or the like
 * @len: size of @buf
 *
 * Return: true when the hooks are known to be missing (attaching them is the
 * remedy), false when this process cannot tell (@buf then says why).
 */
bool tlsock_hooks_explain(int state, char *buf, size_t len)
{
	switch (state) {
	case 0:
		snprintf(buf, len, "they are not attached: no link is pinned in " PIN_DIR);
		return true;
	case -ENOLINK:
		snprintf(buf, len, "only some of them are attached: links are missing in " PIN_DIR);
		return true;
	case -EMEDIUMTYPE:
		snprintf(buf, len, "whether they are attached cannot be told here: " BPFFS
			 " is not a bpffs in this mount namespace (none was mounted yet, or "
			 "this namespace has a sysfs of its own, as under ip netns exec)");
		return false;
	default:
		snprintf(buf, len, "whether they are attached cannot be told here: " BPFFS
			 ": %s", strerror(-state));
		return false;
	}
}
