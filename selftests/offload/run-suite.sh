#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kTLS device offload through tlsock_nicsim.ko (docs/nicsim.md), TAP on stdout. Needs root, the
# kernel's tls module and tlsock_nicsim.ko: $TLSOCK_NICSIM_KO, else the one next to $TLSOCK_KO
# (the VM's tlsock.ko), else the one at the top of the tree; it is loaded if not loaded yet and
# left loaded (the VM's guest.sh unloads it and fails the run if it cannot).
#
# A nicsim pair: nsa here, its peer renamed nsb and moved into a namespace of its own. The
# sender (ktls_xfer.py) uses the kernel's own kTLS on nsa; with tls-hw-tx-offload on, the kernel
# offloads TLS_TX to nicsim, which must seal the records. The receiver in the namespace opens
# them with software kTLS (every tag checked) and compares every byte; a capture on nsb must not
# hold the plaintext marker the file is full of, and must hold it for plain TCP (the control).
#
#   run-suite.sh [-v]      -v: the transfers' and tcpdump's output as comments

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$here/../lib/tap.sh"
verbose=0
[ "${1:-}" = "-v" ] && verbose=1

xfer=$here/ktls_xfer.py
ko=${TLSOCK_NICSIM_KO:-}
if [ -z "$ko" ] && [ -n "${TLSOCK_KO:-}" ]; then
	ko=$(dirname "$TLSOCK_KO")/tlsock_nicsim.ko
fi
ko=${ko:-$top/tlsock_nicsim.ko}

ns=nicsim-peer-$$
tmp=$(mktemp -d)
marker=NICSIM-PLAINTEXT-MARKER-7f3a9c
port=40100
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	ip link del nsa 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

n=0
failed=0
plan=18
echo "TAP version 13"
echo "1..$plan"

tls_stat() {
	awk -v k="$1" '$1 == k { print $2 }' /proc/net/tls_stat
}

dev_stat() {
	ethtool -S nsa | awk -v k="$1:" '$1 == k { print $2 }'
}

in_ns() {
	ip netns exec "$ns" "$@"
}

# capture_start: tcpdump on nsb into $tmp/wire.pcap, returns once it listens
capture_start() {
	rm -f "$tmp/wire.pcap" "$tmp/tcpdump.log"
	# not through in_ns: $! must be tcpdump itself (ip netns exec execs it)
	ip netns exec "$ns" tcpdump -i nsb -U -B 16384 -s 0 -Z root -w "$tmp/wire.pcap" tcp \
		> "$tmp/tcpdump.log" 2>&1 &
	cap_pid=$!
	pids+=("$cap_pid")
	for _ in $(seq 100); do
		grep -q "listening on" "$tmp/tcpdump.log" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

capture_stop() {
	kill -TERM "$cap_pid" 2>/dev/null
	wait "$cap_pid" 2>/dev/null
	[ "$verbose" = 1 ] && sed 's/^/# tcpdump: /' "$tmp/tcpdump.log"
	return 0
}

# transfer ADDR CIPHER [FILE]: one transfer of FILE (default $tmp/data) from here to the namespace; output in
# $tmp/xfer.log; status 0 when both ends say the data arrived whole
transfer() {
	local addr=$1 cipher=$2 data=${3:-$tmp/data} rpid rc_r rc_s
	port=$((port + 1))
	ip netns exec "$ns" "$xfer" recv "$addr" "$port" "$data" --cipher "$cipher" \
		--seed "$port" > "$tmp/recv.log" 2>&1 &
	rpid=$!
	for _ in $(seq 100); do
		in_ns ss -Hltn "sport = :$port" | grep -q . && break
		sleep 0.1
	done
	timeout 240 "$xfer" send "$addr" "$port" "$data" --cipher "$cipher" --seed "$port" \
		> "$tmp/send.log" 2>&1
	rc_s=$?
	[ "$rc_s" = 0 ] || kill "$rpid" 2>/dev/null
	wait "$rpid"
	rc_r=$?
	cat "$tmp/send.log" "$tmp/recv.log" > "$tmp/xfer.log"
	[ "$verbose" = 1 ] && sed 's/^/# /' "$tmp/xfer.log"
	[ "$rc_s" = 0 ] && [ "$rc_r" = 0 ]
}

# The data: 4 MiB of random bytes with the marker every 4 KiB.
python3 - "$tmp/data" "$marker" <<'PY'
import os, sys
m = sys.argv[2].encode()
with open(sys.argv[1], "wb") as f:
    for _ in range(1024):
        f.write(m + os.urandom(4096 - len(m)))
PY

# 1: the module
if ! modprobe tls; then
	bail "nicsim: modprobe tls" "the kernel's tls module is needed"
fi
if [ -d /sys/module/tlsock_nicsim ] || /sbin/insmod "$ko" 2> "$tmp/insmod.log"; then
	ok "nicsim: tlsock_nicsim loaded"
else
	bail "nicsim: insmod $ko" "$(cat "$tmp/insmod.log")"
fi

# 2: the pair, its peer moved into a namespace
peer=
if ip link add nsa type nicsim 2> "$tmp/link.log"; then
	peer=$(ip -o link show nsa | sed -n 's/^[0-9]*: nsa@\([^:]*\):.*/\1/p')
fi
if [ -z "$peer" ] || ! ip netns add "$ns" || ! ip link set "$peer" name nsb ||
   ! ip link set nsb netns "$ns" ||
   ! ip addr add 10.77.0.1/24 dev nsa || ! ip addr add fd77::1/64 dev nsa nodad ||
   ! in_ns ip addr add 10.77.0.2/24 dev nsb || ! in_ns ip addr add fd77::2/64 dev nsb nodad ||
   ! ip link set nsa up || ! in_ns ip link set nsb up || ! in_ns ip link set lo up; then
	bail "pair: create, rename the peer, move it, address both ends" \
		"$(cat "$tmp/link.log"; ip -d link show nsa 2>&1)"
fi
# (no ping on the host: a small plain TCP transfer each way of addressing)
head -c 65536 "$tmp/data" > "$tmp/small"
if transfer 10.77.0.2 none "$tmp/small" && cp "$tmp/xfer.log" "$tmp/reach.log" &&
   transfer fd77::2 none "$tmp/small"; then
	ok "pair: nsa and its peer $peer (nsb, in a namespace) reach each other, IPv4 and IPv6"
else
	bail "pair: TCP across the pair" "$(cat "$tmp/reach.log" "$tmp/xfer.log" 2>/dev/null)"
fi

# 3: the feature
if ethtool -k nsa | grep -q '^tls-hw-tx-offload: on'; then
	ok "features: tls-hw-tx-offload is offered and on"
else
	not_ok "features: tls-hw-tx-offload is offered and on" "$(ethtool -k nsa | grep tls)"
fi

# 4: the control: without TLS the capture sees the marker (so its absence below means something)
if ! capture_start; then
	capture_stop
	not_ok "control: tcpdump did not start" "$(cat "$tmp/tcpdump.log")"
elif transfer 10.77.0.2 none; then
	capture_stop
	if grep -aqF "$marker" "$tmp/wire.pcap"; then
		ok "control: plain TCP arrives whole and the capture shows the marker"
	else
		not_ok "control: plain TCP: no marker in the capture" "$(ls -l "$tmp/wire.pcap")"
	fi
else
	capture_stop
	not_ok "control: plain TCP transfer" "$(cat "$tmp/xfer.log")"
fi

# offloaded NAME ADDR CIPHER: a kTLS transfer that the device must seal
offloaded() {
	local name=$1 addr=$2 cipher=$3 dev0 pk0 ctx0 dev1 pk1 ctx1 why=()
	dev0=$(tls_stat TlsTxDevice)
	pk0=$(dev_stat tx_tls_encrypted_packets)
	ctx0=$(dev_stat tx_tls_ctx)
	capture_start || why+=("tcpdump did not start")
	transfer "$addr" "$cipher" || why+=("transfer failed: $(cat "$tmp/xfer.log")")
	capture_stop
	dev1=$(tls_stat TlsTxDevice)
	pk1=$(dev_stat tx_tls_encrypted_packets)
	ctx1=$(dev_stat tx_tls_ctx)
	[ "$dev1" -gt "$dev0" ] || why+=("TlsTxDevice $dev0 -> $dev1: not offloaded")
	[ "$ctx1" -gt "$ctx0" ] || why+=("tx_tls_ctx $ctx0 -> $ctx1")
	[ "$pk1" -gt "$pk0" ] || why+=("tx_tls_encrypted_packets $pk0 -> $pk1")
	grep -aqF "$marker" "$tmp/wire.pcap" && why+=("plaintext marker on the wire")
	if [ "${#why[@]}" = 0 ]; then
		ok "$name: sealed by the device ($((pk1 - pk0)) packets), opened by software kTLS, every byte equal, no plaintext on the wire"
	else
		not_ok "$name" "${why[@]}" "$(ethtool -S nsa | grep tls)"
	fi
}

# 5-7
offloaded "TX offload AES-GCM-128 IPv4" 10.77.0.2 128
offloaded "TX offload AES-GCM-256 IPv4" 10.77.0.2 256
offloaded "TX offload AES-GCM-256 IPv6" fd77::2 256

# 8: offload off: the kernel's software path, over the same device
if ethtool -K nsa tls-hw-tx-offload off 2> "$tmp/ethtool.log"; then
	sw0=$(tls_stat TlsTxSw)
	dev0=$(tls_stat TlsTxDevice)
	capture_start
	transfer 10.77.0.2 128
	rc=$?
	capture_stop
	sw1=$(tls_stat TlsTxSw)
	dev1=$(tls_stat TlsTxDevice)
	if [ "$rc" = 0 ] && [ "$sw1" -gt "$sw0" ] && [ "$dev1" = "$dev0" ] &&
	   ! grep -aqF "$marker" "$tmp/wire.pcap"; then
		ok "offload off: software kTLS over the device, every byte equal"
	else
		not_ok "offload off: software kTLS over the device" "$(cat "$tmp/xfer.log")" \
			"TlsTxSw $sw0 -> $sw1, TlsTxDevice $dev0 -> $dev1"
	fi
	ethtool -K nsa tls-hw-tx-offload on
else
	not_ok "offload off: ethtool -K nsa tls-hw-tx-offload off" "$(cat "$tmp/ethtool.log")"
fi

# 9: random seeds, several transfers back to back, 128 again (new keys, new start sequences)
offloaded "TX offload AES-GCM-128 IPv4, second connection" 10.77.0.2 128

# 10: loss before the device (netem on nsa: TCP resends what the device never saw) and of the
# peer's ACKs (TCP resends what the device sealed already): segments out of order, records
# sealed again from the stack's record list
ooo0=$(dev_stat tx_tls_ooo)
if tc qdisc add dev nsa root netem loss 2% 2> "$tmp/tc.log" &&
   in_ns tc qdisc add dev nsb root netem loss 2% 2>> "$tmp/tc.log"; then
	offloaded "TX offload AES-GCM-128 IPv4 with 2% loss each way" 10.77.0.2 128
	ooo1=$(dev_stat tx_tls_ooo)
	if [ "$ooo1" -gt "$ooo0" ]; then
		ok "loss: the device saw $((ooo1 - ooo0)) segments out of order and sealed them"
	else
		not_ok "loss: no segment out of order reached the device (tx_tls_ooo $ooo0 -> $ooo1)"
	fi
	tc qdisc del dev nsa root
	in_ns tc qdisc del dev nsb root
else
	not_ok "loss: netem on both ends" "$(cat "$tmp/tc.log")"
	not_ok "loss: skipped, no netem"
fi

# midway NAME ACTION...: an offloaded AES-GCM-128 transfer of $tmp/big, during which ACTION runs
# once the device has sealed a few hundred frames of it; every byte must still arrive and no
# plaintext be on the wire. What the kernel counted is left in dev0/dev1, del0/del1.
midway() {
	local name=$1 pk0 tpid acted=no why=()
	shift
	dev0=$(tls_stat TlsTxDevice)
	del0=$(dev_stat tx_tls_del)
	pk0=$(dev_stat tx_tls_encrypted_packets)
	capture_start || why+=("tcpdump did not start")
	transfer 10.77.0.2 128 "$tmp/big" &
	tpid=$!
	for _ in $(seq 600); do
		[ "$(dev_stat tx_tls_encrypted_packets)" -gt $((pk0 + 300)) ] && break
		sleep 0.05
	done
	if kill -0 "$tpid" 2>/dev/null; then
		acted=yes
		"$@" || why+=("$* failed")
	fi
	wait "$tpid" || why+=("transfer failed: $(cat "$tmp/xfer.log")")
	# the transfer ran in a subshell: its port is not this shell's yet
	port=$((port + 1))
	capture_stop
	dev1=$(tls_stat TlsTxDevice)
	del1=$(dev_stat tx_tls_del)
	[ "$acted" = yes ] || why+=("the transfer ended before the action could run")
	[ "$dev1" -gt "$dev0" ] || why+=("TlsTxDevice $dev0 -> $dev1: not offloaded")
	grep -aqF "$marker" "$tmp/wire.pcap" && why+=("plaintext marker on the wire")
	if [ "${#why[@]}" = 0 ]; then
		ok "$name: every byte equal, no plaintext on the wire"
	else
		not_ok "$name" "${why[@]}" "$(ethtool -S nsa | grep tls)"
	fi
}

offload_off_on() {
	ethtool -K nsa tls-hw-tx-offload off && sleep 0.5 && ethtool -K nsa tls-hw-tx-offload on
}

down_up() {
	ip link set nsa down && sleep 0.5 && ip link set nsa up
}

for _ in 1 2; do cat "$tmp/data"; done > "$tmp/big"

# 12: tls-hw-tx-offload switched off and on in the middle of an offloaded connection: the
# socket stays on the device (the kernel checks the feature only when offload starts)
midway "offload off and on midway" offload_off_on

# 13-14: the device going down and up in the middle: the kernel takes the context back
# (tls_dev_del) and the socket goes on with the kernel's software fallback through the device
midway "device down and up midway" down_up
if [ "$del1" -gt "$del0" ]; then
	ok "device down: the kernel took the socket's context back (tx_tls_del $del0 -> $del1)"
else
	not_ok "device down: tx_tls_del $del0 -> $del1"
fi

# 15: every context the device was given is gone once the sockets are (sk_destruct runs late:
# wait for it)
for _ in $(seq 100); do
	[ "$(dev_stat tx_tls_ctx)" = "$(dev_stat tx_tls_del)" ] && break
	sleep 0.1
done
if [ "$(dev_stat tx_tls_ctx)" = "$(dev_stat tx_tls_del)" ] &&
   [ "$(dev_stat tx_tls_drop_err)" = 0 ]; then
	ok "contexts: every tls_dev_add had its tls_dev_del, no frame dropped for an error"
else
	not_ok "contexts: tls_dev_add/tls_dev_del and errors" "$(ethtool -S nsa)"
fi
[ "$verbose" = 1 ] && ethtool -S nsa | sed 's/^/# /'

# 16: deleting one end deletes both
ip link del nsa
if ! ip link show nsa > /dev/null 2>&1 && ! in_ns ip link show nsb > /dev/null 2>&1; then
	ok "pair: ip link del nsa removes nsb in its namespace too"
else
	not_ok "pair: ip link del nsa" "$(ip link; in_ns ip link)"
fi

# 17: a pair made with a named peer in a namespace (NICSIM_INFO_PEER over rtnetlink)
if "$here/nicsim_link.py" nsc nsd "$ns" > "$tmp/nl.log" 2>&1 &&
   ip link show nsc > /dev/null 2>&1 && in_ns ip link show nsd > /dev/null 2>&1 &&
   ip link del nsc && ! in_ns ip link show nsd > /dev/null 2>&1; then
	ok "pair: NICSIM_INFO_PEER names the peer and its namespace; ip link del removes both"
else
	not_ok "pair: NICSIM_INFO_PEER" "$(cat "$tmp/nl.log"; ip link; in_ns ip link)"
	ip link del nsc 2>/dev/null
fi

# 18: deleting the namespace that holds one end deletes the pair
ns2=nicsim-gone-$$
peer=
if ip link add nse type nicsim; then
	peer=$(ip -o link show nse | sed -n 's/^[0-9]*: nse@\([^:]*\):.*/\1/p')
fi
if [ -n "$peer" ] && ip netns add "$ns2" && ip link set "$peer" netns "$ns2" &&
   ip netns del "$ns2"; then
	for _ in $(seq 100); do
		ip link show nse > /dev/null 2>&1 || break
		sleep 0.1
	done
	if ! ip link show nse > /dev/null 2>&1; then
		ok "pair: deleting the peer's namespace deletes both ends"
	else
		not_ok "pair: nse still there after its peer's namespace was deleted" "$(ip link)"
		ip link del nse 2>/dev/null
	fi
else
	not_ok "pair: make nse, move its peer, delete the namespace" "$(ip link)"
	ip link del nse 2>/dev/null
	ip netns del "$ns2" 2>/dev/null
fi

echo "# offload suite: $((n - failed)) passed, $failed failed"
[ "$failed" = 0 ]
