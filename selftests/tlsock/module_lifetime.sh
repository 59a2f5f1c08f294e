#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Module lifetime, with the kernel's tls module loaded beside tlsock:
#  - tlsock, kTLS and mixed tlsock<->kTLS connections are active at once;
#  - while tlsock sockets exist, rmmod tlsock fails and the sockets keep working;
#  - once they are closed, rmmod succeeds, kTLS sockets are unaffected, the "tlsock" ULP is
#    gone; insmod $TLSOCK_KO brings it back and new sockets work.
# Run it last: it unloads tlsock (and leaves it loaded again for the runner's final check).

set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ko=${TLSOCK_KO:-}

fail() {
	echo "FAIL: $*"
	# whatever happened, leave tlsock loaded for the runner
	[ -d /sys/module/tlsock ] || { [ -n "$ko" ] && insmod "$ko"; }
	exit 1
}

# rmmod tlsock, retrying while closed sockets finish tearing down
unload() {
	local i
	for i in $(seq 50); do
		rmmod tlsock 2>/dev/null && return 0
		sleep 0.2
	done
	echo "rmmod: $(rmmod tlsock 2>&1); refcnt $(cat /sys/module/tlsock/refcnt 2>/dev/null)"
	return 1
}

[ -n "$ko" ] && [ -r "$ko" ] || fail "TLSOCK_KO does not name the module file"
[ -d /sys/module/tlsock ] || fail "tlsock is not loaded"
[ -d /sys/module/tls ] || modprobe tls || fail "cannot load the kernel's tls module"

hold_start a tlsock:1.3:aes-gcm-128 tls:1.3:aes-gcm-128 tlsock/tls:1.2:chacha20-poly1305 \
	tls/tlsock:1.3:aes-ccm-128 || fail "cannot open tlsock, kTLS and mixed sockets"
hold_check a || fail "tlsock and kTLS side by side"
refs=$(cat /sys/module/tlsock/refcnt)
echo "tlsock refcnt with 4 tlsock sockets open: $refs"
[ "$refs" -ge 4 ] || fail "tlsock sockets do not hold the module ($refs references)"

if out=$(rmmod tlsock 2>&1); then
	fail "rmmod tlsock succeeded with tlsock sockets open"
fi
echo "rmmod with sockets open: $out"
[ -d /sys/module/tlsock ] || fail "tlsock vanished although rmmod failed"
hold_check a || fail "sockets broken by the failed rmmod"

# kTLS-only sockets that must outlive tlsock's unload
hold_start k tls:1.2:aes-gcm-256 tls:1.3:chacha20-poly1305 || fail "cannot open kTLS sockets"
hold_stop a
unload || fail "rmmod tlsock failed after its sockets were closed"
[ ! -d /sys/module/tlsock ] || fail "tlsock still present after rmmod"
echo "tlsock unloaded"
hold_check k || fail "kTLS sockets broken by unloading tlsock"
# With tlsock installed in the module tree (the DKMS package), a privileged TCP_ULP "tlsock"
# would load it again by its alias; the kernel's module helper is turned off for this one check
# so that it sees the ULP gone, not the installed copy.
helper=/proc/sys/kernel/modprobe
saved_helper=$(cat "$helper")
echo /bin/false > "$helper" || fail "cannot turn off module autoloading"
out=$("$hold_bin" tlsock:1.3:aes-gcm-128 </dev/null 2>&1)
rc=$?
echo "$saved_helper" > "$helper" || fail "cannot restore $helper"
[ "$rc" != 0 ] || fail "a tlsock socket could be set up with the module unloaded"
[ ! -d /sys/module/tlsock ] || fail "tlsock was loaded again by TCP_ULP"
echo "without the module: $out"

insmod "$ko" || fail "insmod $ko"
[ -d /sys/module/tlsock ] || fail "tlsock not present after insmod"
echo "tlsock loaded again"
hold_start b tlsock:1.3:chacha20-poly1305 tlsock/tls:1.2:aes-gcm-128 tls/tlsock:1.3:aes-gcm-256 ||
	fail "cannot open sockets after reloading tlsock"
hold_check b || fail "tlsock after reload"
hold_check k || fail "kTLS sockets after reloading tlsock"
hold_stop b
hold_stop k
echo "module lifetime ok"
