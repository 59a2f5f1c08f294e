#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel's own kTLS selftest (tools/testing/selftests/net/tls.c of Debian's 6.12 source),
# built by this directory's Makefile. TAP on stdout.
#
#   run-suite.sh [--ulp tlsock|tls] [--no-rekey] [-- HARNESS-FILTERS...]
#
#   --ulp tlsock   run tls_tlsock against tlsock.ko (default; every case, rekey included)
#   --ulp tls      run tls_ktls against the kernel's own tls module (validates the harness);
#                  6.12's kTLS lacks the rekey semantics those tests expect, so they are left out
#   --no-rekey     leave the rekey tests out
#
# SM4 and ARIA variants are always left out: Debian's kernel has no such crypto.
# $KTLS_ARGS (split on blanks) is appended to the harness arguments, e.g. KTLS_ARGS="-t recv_peek".

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ulp=tlsock
rekey=1
while [ $# -gt 0 ]; do
	case $1 in
	--ulp) ulp=$2; shift ;;
	--no-rekey) rekey=0 ;;
	--) shift; break ;;
	*) echo "usage: $0 [--ulp tlsock|tls] [--no-rekey] [-- FILTERS...]" >&2; exit 2 ;;
	esac
	shift
done

case $ulp in
tlsock) bin=tls_tlsock ;;
tls) bin=tls_ktls; rekey=0 ;;
*) echo "run-suite: unknown ULP $ulp" >&2; exit 2 ;;
esac

# Installed (kselftest install) next to this script, or built under build/ktls.
bindir=${KTLS_BIN_DIR:-}
if [ -z "$bindir" ]; then
	bindir=$here
	[ -x "$bindir/$bin" ] || bindir=$(cd "$here/../.." && pwd)/build/ktls
fi
if [ ! -x "$bindir/$bin" ]; then
	echo "1..1"
	echo "not ok 1 ktls: $bin not built (make -C selftests/ktls)"
	exit 1
fi

if [ "$ulp" = tls ]; then
	modprobe tls 2>/dev/null
	mod=tls
else
	mod=tlsock
fi
if [ ! -d "/sys/module/$mod" ]; then
	echo "1..1"
	echo "not ok 1 ktls: module $mod is not loaded"
	exit 1
fi

filters=(-V 13_sm4_gcm -V 13_sm4_ccm -V 12_aria_gcm -V 12_aria_gcm_256)
if [ "$rekey" = 0 ]; then
	for t in rekey_rx rekey_tx rekey rekey_fail rekey_peek splice_rekey rekey_peek_splice \
		 rekey_getsockopt rekey_poll_pending rekey_poll_delay; do
		filters+=(-T "$t")
	done
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT
read -r -a env_args <<< "${KTLS_ARGS:-}"
"$bindir/$bin" "${filters[@]}" "$@" ${env_args[@]+"${env_args[@]}"} 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}

# tls.c falls back to plain TCP when the ULP is missing and still reports most cases as passed.
if grep -q 'Failure setting TCP_ULP' "$out"; then
	echo "not ok - ktls: attaching the $ulp ULP failed, cases ran on plain TCP"
	rc=1
fi
exit "$rc"
