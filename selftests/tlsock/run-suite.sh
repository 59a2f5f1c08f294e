#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tlsock's own record-layer suite: the kselftest_harness binary tlsock_test, then the shell
# tests ulp_info.sh, zerocopy_report.sh and, last because it unloads and reloads tlsock, module_lifetime.sh.
# TAP on stdout; the plan comes last. Needs root, tlsock.ko loaded, and the kernel's tls
# module loadable (the kTLS interop tests fail, they do not skip, when it is not).
#
#   run-suite.sh [--harness-only | --shell-only] [-- HARNESS-FILTERS...]
#
# HARNESS-FILTERS are tlsock_test's own options (-f FIXTURE, -v VARIANT, -t TEST, ...).
# Binaries: next to this script (kselftest install), else build/tlsock; or TLSOCK_BIN_DIR.

set -u
shopt -s lastpipe

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
run_harness=1
run_shell=1
while [ $# -gt 0 ]; do
	case $1 in
	--harness-only) run_shell=0 ;;
	--shell-only) run_harness=0 ;;
	--) shift; break ;;
	*) echo "usage: $0 [--harness-only | --shell-only] [-- FILTERS...]" >&2; exit 2 ;;
	esac
	shift
done

bindir=${TLSOCK_BIN_DIR:-}
if [ -z "$bindir" ]; then
	bindir=$here
	[ -x "$bindir/tlsock_test" ] || bindir=$(cd "$here/../.." && pwd)/build/tlsock
fi
export TLSOCK_BIN_DIR=$bindir

echo "TAP version 13"
if [ ! -d /sys/module/tlsock ]; then
	echo "not ok 1 - tlsock: module tlsock is not loaded"
	echo "1..1"
	exit 1
fi
if [ ! -x "$bindir/tlsock_test" ] || [ ! -x "$bindir/tlsock_hold" ]; then
	echo "not ok 1 - tlsock: tlsock_test/tlsock_hold not built (make -C selftests/tlsock)"
	echo "1..1"
	exit 1
fi

# The interop and sockopt tests compare with the kernel's own kTLS.
if [ ! -d /sys/module/tls ] && ! modprobe tls 2>/dev/null; then
	echo "# modprobe tls failed: every test that needs kTLS will fail"
fi

count=0
failed=0
planned=0

if [ "$run_harness" = 1 ]; then
	hrc=
	{ "$bindir/tlsock_test" "$@" 2>&1; echo "#tlsock-rc $?"; } | while IFS= read -r line; do
		case $line in
		"TAP version"*) ;;
		1..*) planned=${line#1..} ;;
		"#tlsock-rc "*) hrc=${line#\#tlsock-rc } ;;
		"ok "*) count=$((count + 1)); echo "$line" ;;
		"not ok "*) count=$((count + 1)); failed=$((failed + 1)); echo "$line" ;;
		*) echo "$line" ;;
		esac
	done
	if [ "$hrc" != 0 ] && [ "$failed" = 0 ]; then
		count=$((count + 1))
		failed=$((failed + 1))
		echo "not ok $count - tlsock_test exited ${hrc:-?} without a failing result"
	fi
	[ "$planned" -ge "$count" ] || planned=$count
fi

# One TAP result per shell test, its output as comments.
shell_test() {
	local name=$1 rc

	count=$((count + 1))
	planned=$((planned + 1))
	"$here/$name" 2>&1 | sed 's/^/# /'
	rc=${PIPESTATUS[0]}
	if [ "$rc" = 0 ]; then
		echo "ok $count - ${name%.sh}"
	else
		failed=$((failed + 1))
		echo "not ok $count - ${name%.sh} (exit $rc)"
	fi
}

if [ "$run_shell" = 1 ]; then
	shell_test ulp_info.sh
	shell_test zerocopy_report.sh
	shell_test module_lifetime.sh
fi

echo "1..$planned"
echo "# tlsock suite: $((count - failed)) passed, $failed failed"
[ "$failed" = 0 ] && [ "$count" = "$planned" ]
