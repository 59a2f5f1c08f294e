#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test VM, chrooted into the host's root (see init.sh). Reads the job run.sh
# wrote into the results share, loads the accelerated crypto modules and tlsock.ko, runs the
# command, then checks the kernel: tlsock must unload and dmesg must be clean. Writes the
# verdict file last; run.sh treats a missing verdict as a failure. On a kernel with kmemleak (the
# debug kernel, selftests/vm/debug-kernel.sh) the leak scan is part of the verdict too.

set -u
res=/run/tlsock-vm
# shellcheck source=/dev/null
. "$res/job"

# dmesg lines that fail a run, whatever the command's exit code: the generic ones, then what the
# debug kernel's checkers print (KASAN, UBSAN, lockdep, kmemleak, might_sleep).
bad_re='WARNING|BUG|refcount|leak|Oops|KASAN|general protection'
bad_re+='|UBSAN|kmemleak|possible circular|inconsistent lock state|possible recursive locking'
bad_re+='|suspicious RCU usage|sleeping function called|lock held when returning'
kmemleak=/sys/kernel/debug/kmemleak
crypto_mods=(aesni_intel ghash_clmulni_intel chacha_x86_64 poly1305_x86_64
	     gcm ccm chacha20poly1305)

say() { echo "tlsock-vm: $*"; }

modprobe_vm() {
	if [ -d "$res/depmod" ]; then
		/sbin/modprobe -d "$res/depmod" "$@"
	else
		/sbin/modprobe "$@"
	fi
}

# The command's own modprobe (the suites load kTLS's tls module as their oracle) must use the
# same module tree: a debug kernel's has no /lib/modules/<release> on the host.
if [ -d "$res/depmod" ]; then
	mkdir -p "$res/bin" &&
		printf '#!/bin/sh\nexec /sbin/modprobe -d %s "$@"\n' "$res/depmod" >"$res/bin/modprobe" &&
		chmod +x "$res/bin/modprobe" && export PATH="$res/bin:$PATH"
fi

setup_failed=
insmod_state=skipped
cmd_rc=

# kmemleak: forget what booting left behind (scan, then clear what it found); only objects
# allocated from here on can fail the run. Objects younger than 5 s are never reported, hence
# the pause before the final scans.
kmemleak_scan() {
	echo scan > "$kmemleak" && sleep 6 && echo scan > "$kmemleak"
}

kmemleak_state=off
if [ -w "$kmemleak" ]; then
	kmemleak_state=clean
	if ! kmemleak_scan || ! echo clear > "$kmemleak"; then
		say "kmemleak: the scan at job start failed"
		kmemleak_state=failed
	fi
fi

# Everything the kernel logs from here on is scanned at the end.
echo "tlsock-vm: job start" > /dev/kmsg

for m in "${crypto_mods[@]}"; do
	# 7.x merged some of these into lib/crypto (built in, no module of that name): only a module
	# the kernel's tree has must load
	if ! modprobe_vm -n -q "$m" 2>/dev/null; then
		say "$m: no such module in this kernel (built in or merged), not loaded"
		continue
	fi
	if ! modprobe_vm "$m"; then
		say "modprobe $m failed"
		setup_failed="modprobe $m"
	fi
done

for m in "${JOB_MODULES[@]}"; do
	if ! modprobe_vm "$m"; then
		say "modprobe $m failed"
		setup_failed="modprobe $m"
	fi
done

if [ -n "$JOB_TLSOCK_KO" ]; then
	insmod_state=failed
	deps=$(/sbin/modinfo -F depends "$JOB_TLSOCK_KO" 2>/dev/null | tr ',' ' ')
	# shellcheck disable=SC2086 # a list of module names
	if [ -n "$deps" ] && ! modprobe_vm -a $deps; then
		say "modprobe of tlsock's dependencies ($deps) failed"
	elif /sbin/insmod "$JOB_TLSOCK_KO"; then
		insmod_state=ok
	fi
	[ "$insmod_state" = ok ] || setup_failed="insmod $JOB_TLSOCK_KO"
fi

export TLSOCK_VM=1 TLSOCK_VM_RESULTS=$res TLSOCK_KO=$JOB_TLSOCK_KO
[ "${JOB_ICOUNT:-0}" = 0 ] || export TLSOCK_VM_ICOUNT=1
[ "${JOB_TIMEOUT_SCALE:-1}" = 1 ] || export TLSOCK_TIMEOUT_SCALE=$JOB_TIMEOUT_SCALE
if [ -z "$setup_failed" ]; then
	say "running: ${JOB_CMD[*]}"
	start=$(date +%s)
	(cd "$JOB_CWD" && exec "${JOB_CMD[@]}") < /dev/null
	cmd_rc=$?
	say "command exited $cmd_rc after $(($(date +%s) - start)) s"
else
	say "setup failed ($setup_failed): command not run"
fi

# Before rmmod, so a leak's backtrace still names tlsock's functions; again after it below, for
# what the module's exit path left behind.
kmemleak_check() {
	[ "$kmemleak_state" = clean ] || return 0
	if ! kmemleak_scan; then
		say "kmemleak: scan failed ($1)"
		kmemleak_state=failed
		return 0
	fi
	cat "$kmemleak" > "$res/kmemleak.log.tmp"
	if [ -s "$res/kmemleak.log.tmp" ]; then
		kmemleak_state=leaks
		say "kmemleak ($1): $(grep -c '^unreferenced object' "$res/kmemleak.log.tmp") leaks"
		cat "$res/kmemleak.log.tmp"
		{ echo "# $1"; cat "$res/kmemleak.log.tmp"; } >> "$res/kmemleak.log"
	fi
	rm -f "$res/kmemleak.log.tmp"
}

kmemleak_check "after the command"

# rmmod_retry MODULE: unload it, retrying for 10 s (sockets still closing, FIN_WAIT or TIME_WAIT
# with a ULP, may pin it for a moment); says why when it cannot
rmmod_retry() {
	for _ in $(seq 50); do
		/sbin/rmmod "$1" 2>/dev/null && return 0
		sleep 0.2
	done
	say "rmmod $1 failed: $(/sbin/rmmod "$1" 2>&1)"
	return 1
}

rmmod_state=skipped
# tlsock_nicsim.ko (the offload suite loads it): its devices and their offload contexts must go
# with it; it holds the kernel's tls module, not tlsock
nicsim_rmmod=skipped
if [ -d /sys/module/tlsock_nicsim ]; then
	nicsim_rmmod=failed
	rmmod_retry tlsock_nicsim && nicsim_rmmod=ok && say "rmmod tlsock_nicsim: ok"
fi
if [ "$insmod_state" = ok ]; then
	rmmod_state=failed
	rmmod_retry tlsock && rmmod_state=ok
fi
# the verdict's rmmod covers both modules
[ "$nicsim_rmmod" = failed ] && rmmod_state=failed
if [ "$rmmod_state" = ok ]; then
	# What TCP still holds (time-wait, orphans, children of adopted listeners) is destroyed now,
	# with the module gone: a pointer one of them kept into it faults here, in this run.
	ss -K -t -a >/dev/null 2>&1
	say "destroyed after rmmod: $(ss -Htan | wc -l) TCP sockets left"
fi

kmemleak_check "after rmmod tlsock"

dmesg > "$res/dmesg.log" 2>&1
sed -n '/tlsock-vm: job start/,$p' "$res/dmesg.log" | grep -E "$bad_re" > "$res/dmesg.bad"
if [ -s "$res/dmesg.bad" ]; then
	dmesg_state=dirty
	say "dmesg has lines matching /$bad_re/:"
	cat "$res/dmesg.bad"
else
	dmesg_state=clean
fi

{
	echo "setup=${setup_failed:-ok}"
	echo "insmod=$insmod_state"
	echo "rc=${cmd_rc:-none}"
	echo "rmmod=$rmmod_state"
	echo "dmesg=$dmesg_state"
	echo "kmemleak=$kmemleak_state"
} > "$res/verdict.tmp"
sync
mv "$res/verdict.tmp" "$res/verdict"
sync
