#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Soak: managed tlsock sessions, round after round for SECONDS, with KeyUpdates every few records
# and tlsockd restarted under live sessions. A benchmark-style target (`make soak`), not a test
# suite: it is long, and CI does not run it. Needs root, tlsock.ko loaded, the tree built.
#
#   soak.sh [-t SECONDS] [-p PAIRS] [-r REKEY_RECORDS]
#
# A round: PAIRS client/server pairs of sess_peer (selftests/session) handshake through tlsockd
# (mutual TLS 1.3), then stream 256 KiB to 4 MiB both ways at once; once every pair has
# handshaken, tlsockd is killed and started again while the data flows (the kernel alone runs an
# established session: its KeyUpdates must not need the daemon). Every byte is compared.
#
# The end: a summary line "soak: R rounds, S sessions, B MiB each way, K KeyUpdates, D daemon
# restarts, F failed" and the module's counters; exit 0 only when nothing failed, no decryption
# or rekey error was counted and no tlsock socket is left open (TlsockCurrTx/Rx back to where
# they were). Leaks and kernel reports are the VM runner's verdict (kmemleak on the debug kernel).

set -u
trap '' PIPE

# shellcheck source=../lib/tlsenv.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tlsenv.sh"
peer=$top/selftests/session/sess_peer
secs=3600
pairs=4
rekey=32

while getopts "t:p:r:" o; do
	case $o in
	t) secs=$OPTARG ;;
	p) pairs=$OPTARG ;;
	r) rekey=$OPTARG ;;
	*) echo "usage: soak.sh [-t SECONDS] [-p PAIRS] [-r REKEY_RECORDS]" >&2; exit 2 ;;
	esac
done

work=$(mktemp -d /tmp/tlsock-soak.XXXXXX)
dpid=
saved_rekey=

cleanup() {
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	[ -n "$saved_rekey" ] && echo "$saved_rekey" >"$param/rekey_records"
	jobs -p | xargs -r kill 2>/dev/null
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

die() {
	echo "soak: $*"
	tail -n 20 "$work/tlsockd.log" 2>/dev/null | sed 's/^/# tlsockd: /'
	exit 1
}

stat_of() {	# stat_of NAME: counter NAME of /proc/net/tlsock_stat
	sed -n "s/^$1[[:space:]]*//p" /proc/net/tlsock_stat
}

[ "$(id -u)" = 0 ] || die "needs root"
[ -x "$tlsockd" ] && [ -x "$tlsockctl" ] && [ -x "$peer" ] || die "not built (make)"
[ -w "$param/rekey_records" ] || die "tlsock.ko is not loaded"
"$tlsockctl" status 2>/dev/null | grep -q '^daemon: listening' && die "another tlsockd runs here"
ip link set lo up 2>/dev/null

mkpki "tlsock soak CA" || die "certtool failed"
cat >"$work/tlsockd.conf" <<EOF
[daemon]
workers = 4
log = stderr

[profile server]
cert = $work/pki/server.pem
key = $work/pki/server.key
ca = $work/pki/ca.pem
client_auth = require

[profile client]
cert = $work/pki/client.pem
key = $work/pki/client.key
ca = $work/pki/ca.pem
EOF
start_daemon || die "tlsockd does not start"
saved_rekey=$(cat "$param/rekey_records")
echo "$rekey" >"$param/rekey_records"

sizes=(262144 1048576 4194304)
for s in "${sizes[@]}"; do
	mkdata "$work/d$s" "$s"
done

curr_tx0=$(stat_of TlsockCurrTx)
curr_rx0=$(stat_of TlsockCurrRx)
ku0=$(stat_of TlsockTxRekeyOk)
dec0=$(stat_of TlsockDecryptError)
err0=$(( $(stat_of TlsockTxRekeyError) + $(stat_of TlsockRxRekeyError) ))

rounds=0 sessions=0 failed=0 restarts=0 bytes=0 port=23000
end=$(($(date +%s) + secs))
while [ "$(date +%s)" -lt "$end" ]; do
	rounds=$((rounds + 1))
	pids=()
	for i in $(seq 1 "$pairs"); do
		port=$((port + 1))
		[ $port -gt 60000 ] && port=23001
		a=${sizes[$((RANDOM % ${#sizes[@]}))]}
		b=${sizes[$((RANDOM % ${#sizes[@]}))]}
		rm -f "$work/ready.$i" "$work/s.$i" "$work/c.$i" "$work/sp.$i" "$work/cp.$i"
		"$peer" server -p $port -r "$work/ready.$i" -P server -s "$work/d$b" \
			-o "$work/s.$i" -b "$a" >"$work/sp.$i" 2>&1 &
		pids+=($!)
		wait_for 20 test -e "$work/ready.$i" || { failed=$((failed + 1)); continue; }
		"$peer" client -p $port -P client -n server.test -s "$work/d$a" -o "$work/c.$i" \
			-b "$b" >"$work/cp.$i" 2>&1 &
		pids+=($!)
		echo "$a $b" >"$work/want.$i"
	done
	# both ends of every pair through the handshake: the daemon goes away under live sessions
	if wait_for 60 sh -c "[ \$(cat $work/cp.* $work/sp.* 2>/dev/null | grep -c '^handshake ok') \
			-ge $((2 * pairs)) ]"
	then
		kill "$dpid" && wait "$dpid" 2>/dev/null
		restarts=$((restarts + 1))
		start_daemon || die "tlsockd does not start again (restart $restarts)"
	fi
	for p in "${pids[@]}"; do
		wait "$p" || true
	done
	for i in $(seq 1 "$pairs"); do
		[ -e "$work/want.$i" ] || continue
		read -r a b <"$work/want.$i"
		rm -f "$work/want.$i"
		sessions=$((sessions + 1))
		if cmp -s "$work/d$a" "$work/s.$i" && cmp -s "$work/d$b" "$work/c.$i"; then
			bytes=$((bytes + a + b))
		else
			failed=$((failed + 1))
			echo "# round $rounds pair $i: data differs"
			sed 's/^/#   server: /' "$work/sp.$i"
			sed 's/^/#   client: /' "$work/cp.$i"
		fi
	done
	if [ $((rounds % 20)) = 0 ]; then
		echo "# $rounds rounds, $sessions sessions, $failed failed," \
		     "$(($(stat_of TlsockTxRekeyOk) - ku0)) KeyUpdates"
	fi
done

# the last sockets close asynchronously (close_notify, TCP teardown): give them a moment
wait_for 10 sh -c "[ \$(sed -n 's/^TlsockCurrTx[[:space:]]*//p' /proc/net/tlsock_stat) = $curr_tx0 ]"
ku=$(($(stat_of TlsockTxRekeyOk) - ku0))
dec=$(($(stat_of TlsockDecryptError) - dec0))
err=$(($(stat_of TlsockTxRekeyError) + $(stat_of TlsockRxRekeyError) - err0))
left_tx=$(($(stat_of TlsockCurrTx) - curr_tx0))
left_rx=$(($(stat_of TlsockCurrRx) - curr_rx0))
echo "soak: $rounds rounds, $sessions sessions, $((bytes / 2097152)) MiB each way," \
     "$ku KeyUpdates, $restarts daemon restarts, $failed failed"
echo "soak: decryption errors $dec, rekey errors $err, tlsock sockets left open tx $left_tx rx $left_rx"
[ "$failed" = 0 ] && [ "$dec" = 0 ] && [ "$err" = 0 ] && [ "$left_tx" = 0 ] && [ "$left_rx" = 0 ] &&
	[ "$sessions" -gt 0 ]
