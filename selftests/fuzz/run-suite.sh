#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The hostile-stream fuzzer: every seed of the corpus, then a short campaign of random seeds
# (TLSOCK_FUZZ_CASES, default 3000) with a seed of its own each run. TAP on stdout. Needs root,
# tlsock.ko loaded and the kernel's tls module loadable (kTLS is the oracle). `make fuzz` runs
# a long campaign (10^6 records) through this same script.
#
#   run-suite.sh [stream_fuzz options...]
#
# Binary: next to this script (kselftest install), else build/fuzz; or TLSOCK_BIN_DIR.

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=${TLSOCK_BIN_DIR:-$here}/stream_fuzz
[ -x "$bin" ] || bin=$(cd "$here/../.." && pwd)/build/fuzz/stream_fuzz

echo "TAP version 13"
if [ ! -d /sys/module/tlsock ]; then
	echo "not ok 1 - fuzz: module tlsock is not loaded"
	echo "1..1"
	exit 1
fi
if [ ! -x "$bin" ]; then
	echo "not ok 1 - fuzz: stream_fuzz not built (make -C selftests/fuzz)"
	echo "1..1"
	exit 1
fi
if [ ! -d /sys/module/tls ] && ! modprobe tls 2>/dev/null; then
	echo "not ok 1 - fuzz: the kernel's tls module (the oracle) cannot be loaded"
	echo "1..1"
	exit 1
fi
exec "$bin" --replay "$here/corpus/seeds" --cases "${TLSOCK_FUZZ_CASES:-3000}" "$@"
