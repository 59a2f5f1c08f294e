#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What `make bench-load` runs inside the VM (tlsock.ko already loaded by the VM runner): the
# load and scale benchmark. Memory only, no timing.
#  1. tlsbench's memory measure at scale: --pairs connected pairs (default 10000, so 20000
#     sockets) of plain TCP, kTLS and tlsock, one after the other in this boot, TX+RX keys and a
#     record each way on every socket; bytes per socket, the tlsock/kTLS ratio, what closing
#     them all gave back, and the ULP's gauges (module refcnt, TlsockCurrTx/Rx) at the peak and
#     after close.
#  2. hsflood: handshake requests past hs_max_pending_user and hs_max_pending from one user and
#     from several, against a stand-in daemon that does not answer; then everything closed.
#
#   load-bench.sh [--pairs N] [--mem-reps R] [--flood-args "ARGS"]
#
# Exit status: 0 both parts as expected, 1 otherwise (2 from tlsbench: kTLS unavailable).
set -u

here=$(dirname "$(readlink -f "$0")")
pairs=10000
reps=1
flood_args=

while [ $# -gt 0 ]; do
	case $1 in
	--pairs) pairs=$2; shift ;;
	--mem-reps) reps=$2; shift ;;
	--flood-args) flood_args=$2; shift ;;
	*) echo "usage: load-bench.sh [--pairs N] [--mem-reps R] [--flood-args \"ARGS\"]" >&2
	   exit 1 ;;
	esac
	shift
done

for b in tlsbench hsflood; do
	if [ ! -x "$here/$b" ]; then
		echo "load-bench: $here/$b is missing: build it first (make -C selftests/bench)" >&2
		exit 1
	fi
done
for m in aesni_intel ghash_clmulni_intel chacha_x86_64 poly1305_x86_64; do
	modprobe -q "$m" 2>/dev/null || echo "load-bench: note: could not load $m" >&2
done
modprobe tls || echo "load-bench: modprobe tls FAILED: in-kernel kTLS is unavailable" >&2

echo "load-bench: $(grep -E '^(MemTotal|MemAvailable)' /proc/meminfo | tr -s ' ' | tr '\n' ' ')"
echo "load-bench: part 1: $pairs pairs per stack, memory runs per stack: $reps"
"$here/tlsbench" --parts mem --stacks plain,ktls,tlsock --mem-pairs "$pairs" \
	--mem-reps "$reps"
rc=$?
echo "load-bench: tlsbench exit status $rc"
echo "load-bench: /proc/net/tlsock_stat after part 1:"
sed 's/^/load-bench:   /' /proc/net/tlsock_stat

echo "load-bench: part 2: handshake flood"
# shellcheck disable=SC2086 # the options are words
"$here/hsflood" $flood_args
frc=$?
echo "load-bench: hsflood exit status $frc"
[ "$rc" = 0 ] && rc=$frc
exit "$rc"
