#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The handshake gate and upcall under attack: the kselftest_harness binaries gate_test and
# upcall_test, one TAP stream on stdout. Needs root and tlsock.ko loaded; every test makes its
# own network namespace, in which a stand-in daemon (selftests/lib/fake_daemon.c) is the only
# one, so a running tlsockd does not interfere.
#
#   run-suite.sh [HARNESS-FILTERS...]     (passed to both binaries: -f FIXTURE, -t TEST, ...)
#
# Binaries: next to this script (kselftest install), else build/gate; or TLSOCK_BIN_DIR.

set -u
shopt -s lastpipe

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bindir=${TLSOCK_BIN_DIR:-$here}
[ -x "$bindir/gate_test" ] || bindir=$(cd "$here/../.." && pwd)/build/gate

echo "TAP version 13"
if [ ! -d /sys/module/tlsock ]; then
	echo "not ok 1 - gate: module tlsock is not loaded"
	echo "1..1"
	exit 1
fi

count=0
failed=0
for prog in gate_test upcall_test; do
	if [ ! -x "$bindir/$prog" ]; then
		count=$((count + 1))
		failed=$((failed + 1))
		echo "not ok $count - gate: $prog not built (make -C selftests/gate)"
		continue
	fi
	rc=
	# renumber each binary's results into one stream; keep its diagnostics as they are
	{ "$bindir/$prog" "$@" 2>&1; echo "#gate-rc $?"; } | while IFS= read -r line; do
		case $line in
		"TAP version"* | 1..*) ;;
		"#gate-rc "*) rc=${line#\#gate-rc } ;;
		"ok "*) count=$((count + 1)); echo "ok $count ${line#ok [0-9]* }" ;;
		"not ok "*)
			count=$((count + 1)); failed=$((failed + 1))
			echo "not ok $count ${line#not ok [0-9]* }" ;;
		*) echo "$line" ;;
		esac
	done
	if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then
		count=$((count + 1))
		failed=$((failed + 1))
		echo "not ok $count - $prog exited ${rc:-?} without a failing result"
	fi
done
echo "1..$count"
echo "# gate suite: $((count - failed)) passed, $failed failed"
[ "$failed" = 0 ]
