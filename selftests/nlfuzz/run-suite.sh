#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The netlink fuzzer: mutated ACCEPT, DONE, STATUS_GET and stray commands of the "tlsock" family
# from root, an unprivileged user and root of a user namespace, each held to a model of what the
# kernel must answer and do (nlfuzz_test, a kselftest_harness binary). TAP on stdout. Needs root
# and tlsock.ko; every test makes its own network namespace with a stand-in daemon in it, so a
# running tlsockd does not interfere.
#
#   run-suite.sh [HARNESS-FILTERS...]     (-f FIXTURE, -t TEST, ... as the harness takes them)
#
# The campaign's seed and length: NLFUZZ_SEED (default fixed, printed) and NLFUZZ_MSGS (20000).
# Binary: next to this script (kselftest install), else build/nlfuzz; or TLSOCK_BIN_DIR.

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=${TLSOCK_BIN_DIR:-$here}/nlfuzz_test
[ -x "$bin" ] || bin=$(cd "$here/../.." && pwd)/build/nlfuzz/nlfuzz_test

if [ ! -d /sys/module/tlsock ] || [ ! -x "$bin" ]; then
	echo "TAP version 13"
	echo "not ok 1 - nlfuzz: tlsock.ko not loaded or nlfuzz_test not built" \
	     "(make -C selftests/nlfuzz)"
	echo "1..1"
	exit 1
fi
# No rule may be added (they would change the sockets the fuzzer's world is made of): policy-add
# of a good rule then fails with ENOSPC, which the model expects.
max=/sys/module/tlsock/parameters/policy_max
saved=$(cat "$max")
echo 0 >"$max"
"$bin" "$@" 2>&1
rc=$?
echo "$saved" >"$max"
exit $rc
