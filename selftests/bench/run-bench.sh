#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What `make bench` runs inside the VM (tlsock.ko already loaded by the VM runner), in three
# parts: tlsbench (load the kernel's own kTLS next to tlsock, show which crypto drivers serve
# the ciphers, run tlsbench and print its report), handshake (hs-bench.sh: handshakes through
# tlsockd against in-process GnuTLS) and redis (redis-bench.sh: redis-benchmark against plain,
# transparent tlsock, Redis's native TLS and a stunnel pair).
#
#   run-bench.sh [--only tlsbench,handshake,redis] [--redis-args "ARGS"] [TLSBENCH-ARGS...]
#
# --only picks the parts (default all three); --redis-args passes options to redis-bench.sh;
# every other argument goes to tlsbench (see tlsbench --help).
# Exit status: tlsbench's (0 all measured, 1 failure or tlsock not loaded, 2 no kTLS), or 1 when
# a later part failed and tlsbench did not.
set -u

here=$(dirname "$(readlink -f "$0")")
bin=${TLSBENCH:-$here/tlsbench}
only=tlsbench,handshake,redis
redis_args=
args=()

while [ $# -gt 0 ]; do
	case $1 in
	--only) only=$2; shift ;;
	--redis-args) redis_args=$2; shift ;;
	*) args+=("$1") ;;
	esac
	shift
done
for p in ${only//,/ }; do
	case $p in
	tlsbench|handshake|redis) ;;
	*) echo "run-bench: unknown part $p (tlsbench, handshake, redis)" >&2; exit 1 ;;
	esac
done
part() { [[ ",$only," == *",$1,"* ]]; }
rc=0

if part tlsbench && [ ! -x "$bin" ]; then
	echo "run-bench: $bin is missing: build it first (make -C selftests/bench)" >&2
	exit 1
fi

# The accelerated implementations, as udev would load them on real hardware; the VM runner
# normally did this already. Without them every stack falls back to generic C code.
for m in aesni_intel ghash_clmulni_intel chacha_x86_64 poly1305_x86_64; do
	modprobe -q "$m" 2>/dev/null || echo "run-bench: note: could not load $m" >&2
done

if ! modprobe tls; then
	echo "run-bench: modprobe tls FAILED: in-kernel kTLS is unavailable in this run" >&2
fi

echo "run-bench: modules: $(grep -oE '^(tls|tlsock) ' /proc/modules | tr -d ' ' | tr '\n' ' ')"
# Under QEMU's icount the guest clock counts executed instructions, so host load cannot skew a
# run; without it timings follow the host clock and the report's noise column shows the damage.
if [ "${TLSOCK_VM_ICOUNT:-0}" = 1 ]; then
	echo "run-bench: timing: virtual time (QEMU icount): repeatable, immune to host load"
elif [ "${TLSOCK_VM:-0}" = 1 ]; then
	echo "run-bench: timing: guest clock follows the host clock: host load adds noise"
fi
if part tlsbench; then
	"$bin" "${args[@]}"
	rc=$?
fi
# The driver the crypto API picked (highest priority) for each AEAD the kernel stacks used;
# the templates only show up in /proc/crypto once something has asked for them.
awk -F' *: ' '
	BEGIN {
		n = split("gcm(aes) rfc4106(gcm(aes)) ccm(aes) rfc7539(chacha20,poly1305)", w, " ")
		for (i = 1; i <= n; i++)
			want[w[i]] = 1
	}
	$1 == "name" { name = $2 }
	$1 == "driver" { drv = $2 }
	$1 == "priority" && (name in want) && (!(name in prio) || $2 + 0 > prio[name]) {
		prio[name] = $2 + 0
		best[name] = drv
	}
	END { for (n in best) printf "run-bench: crypto %s -> %s\n", n, best[n] }
' /proc/crypto | sort

part tlsbench && echo "run-bench: tlsbench exit status $rc"

# Handshakes through tlsockd against in-process GnuTLS, in the same boot.
if part handshake; then
	"$here/hs-bench.sh" || { [ "$rc" = 0 ] && rc=1; }
fi

# An unmodified redis-server and redis-benchmark: plain, tlsock by policy, native TLS, stunnel.
if part redis; then
	# shellcheck disable=SC2086 # --redis-args holds several options
	"$here/redis-bench.sh" $redis_args || { [ "$rc" = 0 ] && rc=1; }
fi
exit $rc
