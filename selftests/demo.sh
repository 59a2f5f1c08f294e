#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tlsock demo, run inside the test VM by `make demo`.
#
# An unmodified `openssl s_server` talks TLS 1.3 with a client whose handshake runs in userspace
# (GnuTLS, in selftests/interop/ktls_peer) and whose record layer then runs in the kernel: after
# the handshake the client attaches the "tlsock" TCP ULP and hands the keys over with
# setsockopt(SOL_TLS, TLS_TX/TLS_RX). From then on it only calls send() and recv() with
# plaintext; tlsock.ko frames, seals, parses and opens every record on the wire.

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
peer=${KTLS_PEER:-$here/interop/ktls_peer}
port=4433
tmp=
srv=
cli=

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

cleanup()
{
	exec 3>&- 2>/dev/null
	[ -n "$cli" ] && kill "$cli" 2>/dev/null
	[ -n "$srv" ] && kill "$srv" 2>/dev/null
	wait 2>/dev/null
	[ -n "$tmp" ] && rm -rf "$tmp"
}
trap cleanup EXIT

# wait until $1 succeeds, at most $2 tenths of a second
wait_for()
{
	local n=0

	until eval "$1"; do
		n=$((n + 1))
		[ "$n" -le "$2" ] || return 1
		sleep 0.1
	done
}

[ -d /sys/module/tlsock ] || die "tlsock.ko is not loaded"
[ -x "$peer" ] || die "$peer is missing (make -C selftests/interop)"
tmp=$(mktemp -d) || die "mktemp"

step "tlsock.ko is loaded and registered as a TCP upper-layer protocol"
echo "net.ipv4.tcp_available_ulp = $(cat /proc/sys/net/ipv4/tcp_available_ulp)"

step "A throwaway CA and a certificate for localhost (openssl)"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
	-keyout "$tmp/srv.key" -out "$tmp/srv.pem" 2>/dev/null || die "openssl req"
openssl x509 -in "$tmp/srv.pem" -noout -subject -enddate

step "Unmodified OpenSSL server: openssl s_server -tls1_3, TLS_AES_256_GCM_SHA384, port $port"
mkfifo "$tmp/stdin" || die "mkfifo"
openssl s_server -accept "127.0.0.1:$port" -naccept 1 -quiet -tls1_3 \
	-ciphersuites TLS_AES_256_GCM_SHA384 -cert "$tmp/srv.pem" -key "$tmp/srv.key" \
	< "$tmp/stdin" > "$tmp/server.out" 2> "$tmp/server.err" &
srv=$!
exec 3> "$tmp/stdin"
wait_for "ss -Hltn 'sport = :$port' | grep -q LISTEN" 100 || die "s_server did not start"

step "Client: GnuTLS handshake in userspace, then TCP_ULP \"tlsock\" + SOL_TLS keys; sends 4 KiB"
"$peer" client -p "$port" -V 1.3 -c aes-256-gcm --ca "$tmp/srv.pem" --name localhost \
	--text -s 4096 -r 1024 -t 60 > "$tmp/client.out" 2>&1 &
cli=$!
wait_for "[ \$(wc -c < '$tmp/server.out') -ge 4096 ]" 300 || die "s_server did not get the data"

step "The established connection as ss -ti shows it (tcp-ulp-tlsock, version, cipher)"
ss -Htni "dport = :$port" | sed 's/^[[:space:]]*/  /'

step "What openssl s_server decrypted (first lines of 4096 bytes sealed by tlsock.ko)"
head -n 3 "$tmp/server.out"
echo "  ... $(wc -c < "$tmp/server.out") bytes in all"

step "s_server answers 1 KiB; tlsock.ko opens the records and the client checks every byte"
"$peer" gen 1024 2 text >&3 || die "gen"
wait "$cli"
rc=$?
cli=
cat "$tmp/client.out"
exec 3>&-
wait "$srv" 2>/dev/null
srv=

step "Record counters of this network namespace (/proc/net/tlsock_stat)"
grep -E 'Tlsock(Tx|Rx)(Records)?[[:space:]]|DecryptError' /proc/net/tlsock_stat

if [ "$rc" = 0 ]; then
	step "Done: the client exchanged TLS records with OpenSSL without linking a TLS record layer"
else
	step "The client failed (exit $rc)"
fi
exit "$rc"
