#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The handshake benchmark, run inside the VM (tlsock.ko loaded, the tree built): makes a
# throwaway PKI (ECDSA P-256 CA, server.test and client certificates), starts its own tlsockd
# with the profiles `hsbench --print-conf` writes (pinned to the CPU hsbench uses), runs hsbench
# against it and prints what the daemon logged. Arguments go to hsbench (hsbench --help); add
# --daemon-log to see the daemon's whole log. Exit status is hsbench's (0: everything measured).
#
#   selftests/vm/run.sh --timeout 900 -- selftests/bench/hs-bench.sh [--seconds 2 --reps 3 ...]

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
hsbench=${HSBENCH:-$here/hsbench}
tlsockd=${TLSOCKD:-$top/daemon/tlsockd}
tlsockctl=$top/daemon/tlsockctl
dpid=
work=
show_log=0
cpu=0
args=()

while [ $# -gt 0 ]; do
	case $1 in
	--daemon-log) show_log=1 ;;
	--cpu) cpu=$2; args+=("$1" "$2"); shift ;;
	*) args+=("$1") ;;
	esac
	shift
done

cleanup() {
	if [ -n "$dpid" ]; then
		kill "$dpid" 2>/dev/null
		wait "$dpid" 2>/dev/null
	fi
	[ -n "$work" ] && rm -rf "$work"
}
trap cleanup EXIT

die() {
	echo "hs-bench: $*" >&2
	exit 1
}

wait_for() {	# wait_for SECONDS CMD...
	local t=$(($1 * 20))

	shift
	until "$@" >/dev/null 2>&1; do
		t=$((t - 1))
		[ $t -gt 0 ] || return 1
		sleep 0.05
	done
}

mkpki() {	# mkpki DIR
	local d=$1

	mkdir -p "$d" || return 1
	key() {
		certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 \
			--outfile "$d/$1.key" >/dev/null 2>&1
	}
	key ca && printf 'cn = "hsbench CA"\nca\ncert_signing_key\nexpiration_days = 2\n' \
		>"$d/ca.tmpl" &&
	certtool --generate-self-signed --load-privkey "$d/ca.key" --template "$d/ca.tmpl" \
		--outfile "$d/ca.pem" >/dev/null 2>&1 || return 1
	leaf() {	# leaf NAME CN USAGE
		key "$1" &&
		printf 'cn = "%s"\ndns_name = "%s"\n%s\nsigning_key\nexpiration_days = 2\n' \
			"$2" "$2" "$3" >"$d/$1.tmpl" &&
		certtool --generate-certificate --load-privkey "$d/$1.key" \
			--load-ca-certificate "$d/ca.pem" --load-ca-privkey "$d/ca.key" \
			--template "$d/$1.tmpl" --outfile "$d/$1.pem" >/dev/null 2>&1
	}
	leaf server server.test tls_www_server && leaf client client.test tls_www_client
}

[ "$(id -u)" = 0 ] || die "needs root (tlsockd needs CAP_NET_ADMIN)"
[ -d /sys/module/tlsock ] || die "tlsock.ko is not loaded"
for b in "$hsbench" "$tlsockd" "$tlsockctl"; do
	[ -x "$b" ] || die "$b is missing: build first (make all; make -C selftests/bench)"
done
if "$tlsockctl" status 2>/dev/null | grep -q '^daemon: listening'; then
	die "another tlsockd listens in this namespace: stop it first"
fi
ip link set lo up 2>/dev/null
# the accelerated AEADs, as udev loads them: the record layer's byte goes through them
for m in aesni_intel ghash_clmulni_intel; do
	modprobe -q "$m" 2>/dev/null
done

work=$(mktemp -d /tmp/hs-bench.XXXXXX) || die "mktemp"
mkpki "$work/pki" || die "certtool could not make the PKI"
{
	printf '[daemon]\n; 8 client and 8 server handshakes at once at --pairs 8\n'
	printf 'workers = 16\nlog = stderr\n'
	printf '; every peer is 127.0.0.1: no limit per peer address (tlsockd.conf(5))\n'
	printf 'max_per_peer = 0\n'
	"$hsbench" --pki "$work/pki" --print-conf
} >"$work/tlsockd.conf"
"$tlsockd" -t -c "$work/tlsockd.conf" >/dev/null 2>&1 ||
	die "tlsockd refuses the configuration: $("$tlsockd" -t -c "$work/tlsockd.conf" 2>&1)"

pin=()
[ "$cpu" -ge 0 ] 2>/dev/null && pin=(taskset -c "$cpu")
"${pin[@]}" "$tlsockd" -f -c "$work/tlsockd.conf" >"$work/tlsockd.log" 2>&1 &
dpid=$!
wait_for 10 sh -c "'$tlsockctl' status | grep -q '^daemon: listening'" ||
	die "tlsockd did not start: $(tail -n 5 "$work/tlsockd.log")"
echo "hs-bench: tlsockd pid $dpid, 16 workers${pin:+, pinned to CPU $cpu like hsbench}"
if [ "${TLSOCK_VM_ICOUNT:-0}" = 1 ]; then
	echo "hs-bench: timing: virtual time (QEMU icount)"
elif [ "${TLSOCK_VM:-0}" = 1 ]; then
	echo "hs-bench: timing: guest clock follows the host clock: host load adds noise"
fi

"$hsbench" --pki "$work/pki" "${args[@]}"
rc=$?

kill "$dpid" 2>/dev/null
wait "$dpid" 2>/dev/null
dpid=
log=$work/tlsockd.log
echo "hs-bench: tlsockd logged $(grep -c ': ok version' "$log") successful handshakes" \
	"($(grep -c 'resumed yes' "$log") resumed), $(grep -c ': failed ' "$log") failed"
grep -E ': failed |refused' "$log" | head -n 5 | sed 's/^/hs-bench: tlsockd: /'
[ $show_log = 1 ] && sed 's/^/tlsockd: /' "$log"
echo "hs-bench: hsbench exit status $rc"
exit $rc
