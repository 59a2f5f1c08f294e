#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tlsock demo, run inside the test VM by `make demo`. Two parts:
#
# 1. The record layer. An unmodified `openssl s_server` talks TLS 1.3 with a client whose
#    handshake runs in userspace (GnuTLS, in selftests/interop/ktls_peer) and whose record layer
#    then runs in the kernel: after the handshake the client attaches the "tlsock" TCP ULP and
#    hands the keys over with setsockopt(SOL_TLS, TLS_TX/TLS_RX). From then on it only calls
#    send() and recv() with plaintext; tlsock.ko frames, seals, parses and opens every record.
#
# 2. Managed handshakes. A small C server and client (selftests/demo/) that link no TLS library
#    talk mutual TLS after one setsockopt(SOL_TLSOCK, TLSOCK_HANDSHAKE) each: tlsockd performs
#    the handshakes, the kernel owns the sessions, TLSOCK_INFO tells each end what it got. Then
#    an unmodified `openssl s_client` with a client certificate talks to the same C server.
#
# 3. Transparent TLS by policy. An unmodified redis-server and redis-cli, started with their
#    plain-TCP options only, talk mutual TLS because two rules say so: a server rule on
#    redis-server's port, a client rule for connections to it (tlsockctl policy add, the cgroup
#    hooks of tlsockctl hooks attach). tcpdump shows TLS records and no plaintext; TLSOCK_INFO,
#    read off both programs' sockets with pidfd_getfd(), names the peer each end verified.

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
peer=${KTLS_PEER:-$here/interop/ktls_peer}
demo=${DEMO_DIR:-$here/demo}
tlsockd=$here/../daemon/tlsockd
tlsockctl=$here/../daemon/tlsockctl
port=4433
port2=4434
port3=6380
tmp=
srv=
cli=
dmn=
dsrv=
rds=
blp=
cap=
hooked=

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

cleanup()
{
	exec 3>&- 2>/dev/null
	[ -n "$cli" ] && kill "$cli" 2>/dev/null
	[ -n "$srv" ] && kill "$srv" 2>/dev/null
	[ -n "$dsrv" ] && kill "$dsrv" 2>/dev/null
	[ -n "$blp" ] && kill "$blp" 2>/dev/null
	[ -n "$rds" ] && kill "$rds" 2>/dev/null
	[ -n "$cap" ] && kill "$cap" 2>/dev/null
	if [ -n "$hooked" ]; then	# rmmod tlsock needs the rules and the hooks gone
		"$tlsockctl" policy del all >/dev/null 2>&1
		"$tlsockctl" hooks detach >/dev/null 2>&1
	fi
	[ -n "$dmn" ] && kill "$dmn" 2>/dev/null
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
for b in "$demo/demo_server" "$demo/demo_client" "$demo/demo_peek" "$tlsockd" "$tlsockctl"; do
	[ -x "$b" ] || die "$b is missing (make all)"
done
tmp=$(mktemp -d) || die "mktemp"

step "Part 1: the record layer. tlsock.ko is loaded and registered as a TCP upper-layer protocol"
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
	step "Part 1 done: the client exchanged TLS records with OpenSSL without linking a TLS record layer"
else
	step "Part 1: the client failed (exit $rc)"
fi

# --- Part 2: managed handshakes ----------------------------------------------------------------

# show_new FILE: print the lines FILE got since the last call for it
declare -A shown
show_new()
{
	local from=$((${shown[$1]:-0} + 1))

	sed -n "${from},\$p" "$1" | sed 's/^/  /'
	shown[$1]=$(wc -l < "$1")
}

# cert NAME TEMPLATE [--ca]: an ECDSA P-256 key and a certificate, signed by the demo CA
cert()
{
	local d=$tmp/pki

	certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 \
		--outfile "$d/$1.key" >/dev/null 2>&1 || return 1
	printf '%b' "$2" > "$d/$1.tmpl"
	if [ "${3:-}" = --ca ]; then
		certtool --generate-self-signed --load-privkey "$d/$1.key" \
			--template "$d/$1.tmpl" --outfile "$d/$1.pem" >/dev/null 2>&1
	else
		certtool --generate-certificate --load-privkey "$d/$1.key" \
			--load-ca-certificate "$d/ca.pem" --load-ca-privkey "$d/ca.key" \
			--template "$d/$1.tmpl" --outfile "$d/$1.pem" >/dev/null 2>&1
	fi
}

step "Part 2: managed handshakes. demo_server and demo_client link no TLS library"
for b in demo_server demo_client; do
	echo "  $b: $(ldd "$demo/$b" | grep -cE 'libgnutls|libssl|libcrypto') TLS libraries linked"
done
echo "  each calls setsockopt(TCP_ULP, \"tlsock\"), then setsockopt(SOL_TLSOCK, TLSOCK_HANDSHAKE)"

step "A throwaway CA, a server certificate (localhost) and a client certificate (certtool)"
mkdir "$tmp/pki" || die "mkdir"
cert ca 'cn = "tlsock demo CA"\nca\ncert_signing_key\nexpiration_days = 1\n' --ca &&
cert server 'cn = "localhost"\ndns_name = "localhost"\nip_address = "127.0.0.1"\ntls_www_server\nsigning_key\nexpiration_days = 1\n' &&
cert client 'cn = "demo client"\nemail = "client@demo.test"\ntls_www_client\nsigning_key\nexpiration_days = 1\n' ||
	die "certtool could not make the certificates"
for n in server client; do
	echo "  $n: $(openssl x509 -in "$tmp/pki/$n.pem" -noout -subject)," \
		"$(openssl x509 -in "$tmp/pki/$n.pem" -noout -ext subjectAltName | tail -n 1 |
		   sed 's/^ *//')"
done

step "tlsockd.conf: one profile per end; the server requires a client certificate"
printf '%s\n' "[daemon]" "workers = 4" "log = stderr" "" \
	"[profile demo-server]" "cert = $tmp/pki/server.pem" "key = $tmp/pki/server.key" \
	"ca = $tmp/pki/ca.pem" "client_auth = require" "" \
	"[profile demo-client]" "cert = $tmp/pki/client.pem" "key = $tmp/pki/client.key" \
	"ca = $tmp/pki/ca.pem" > "$tmp/tlsockd.conf"
sed -e "s|$tmp/pki/||" -e 's/^/  /' "$tmp/tlsockd.conf"
"$tlsockd" -f -c "$tmp/tlsockd.conf" > "$tmp/tlsockd.log" 2>&1 &
dmn=$!
wait_for "'$tlsockctl' status 2>/dev/null | grep -q '^daemon: listening'" 100 ||
	die "tlsockd did not start: $(tail -n 3 "$tmp/tlsockd.log")"
echo "  started: tlsockd -f -c tlsockd.conf"
"$tlsockctl" status | sed -n '1,3s/^/  /p'

rc2=0
step "demo_server on port $port2 (4 connections, one handshake setsockopt each)"
"$demo/demo_server" "$port2" 4 > "$tmp/dserver.out" 2>&1 &
dsrv=$!
wait_for "ss -Hltn 'sport = :$port2' | grep -q LISTEN" 100 || die "demo_server did not start"
show_new "$tmp/dserver.out"

step "demo_client: mutual TLS, the server's certificate checked against \"localhost\""
"$demo/demo_client" "$port2" localhost > "$tmp/dclient.out" 2>&1 || rc2=1
sed 's/^/  /' "$tmp/dclient.out"
wait_for "[ \$(grep -c '^demo_server: received' '$tmp/dserver.out') -ge 1 ]" 50
echo "  --- meanwhile in demo_server:"
show_new "$tmp/dserver.out"

step "demo_client again: tlsockd offers the session it kept. Resumed?"
"$demo/demo_client" "$port2" localhost "hello again" > "$tmp/dclient.out" 2>&1 || rc2=1
grep -E 'resumed|handshake |received' "$tmp/dclient.out" | sed 's/^/  /'
wait_for "[ \$(grep -c '^demo_server: received' '$tmp/dserver.out') -ge 2 ]" 50
echo "  --- demo_server:"
show_new "$tmp/dserver.out" > "$tmp/dserver.new"
grep -E 'resumed|handshake |received|failed' "$tmp/dserver.new"
grep -q 'resumed  *yes' "$tmp/dclient.out" ||
	echo "  (not resumed: no session ticket reached tlsockd before this connection)"

step "Unmodified openssl s_client, with the client certificate, talks to the same C server"
printf 'hello from openssl s_client\n' |
	timeout 20 openssl s_client -connect "127.0.0.1:$port2" -servername localhost \
		-verify_hostname localhost -CAfile "$tmp/pki/ca.pem" -verify_return_error \
		-cert "$tmp/pki/client.pem" -key "$tmp/pki/client.key" -brief -ign_eof \
		> "$tmp/sclient.out" 2>&1 || rc2=1
grep -v 'Requested Signature Algorithms' "$tmp/sclient.out" | sed 's/^/  /'
grep -q 'hello CN=demo client' "$tmp/sclient.out" || rc2=1
wait_for "[ \$(grep -c '^demo_server: received' '$tmp/dserver.out') -ge 3 ]" 50
echo "  --- demo_server:"
show_new "$tmp/dserver.out"

step "openssl s_client WITHOUT a client certificate: refused, nothing reaches demo_server"
printf 'let me in\n' |
	timeout 20 openssl s_client -connect "127.0.0.1:$port2" -servername localhost \
		-CAfile "$tmp/pki/ca.pem" -brief -ign_eof > "$tmp/sclient2.out" 2>&1
grep -m1 -iE 'alert|error' "$tmp/sclient2.out" | cut -c1-120 | sed 's/^/  s_client: /'
wait "$dsrv"
dsrv=
rds=
blp=
cap=
hooked=
echo "  --- demo_server:"
show_new "$tmp/dserver.out"
grep -q 'handshake failed: Required key not available' "$tmp/dserver.out" || rc2=1
grep -q 'let me in' "$tmp/dserver.out" && rc2=1

step "tlsockd's log: each handshake it performed (role, version, cipher, resumed, peer)"
sed -nE 's/^.*(req [0-9]+ )/\1/; s/ peer 127\.0\.0\.1:[0-9]+//; s/ profile [^:]*:/:/;
	s/ san [^ ]*//; /^req /p' "$tmp/tlsockd.log" | sed 's/^/  /'
kill "$dmn" 2>/dev/null
wait "$dmn" 2>/dev/null
dmn=

if [ "$rc2" = 0 ]; then
	step "Part 2 done: mutual TLS between programs that link no TLS library, and with OpenSSL"
else
	step "Part 2 FAILED"
	tail -n 20 "$tmp/tlsockd.log" | sed 's/^/  tlsockd: /'
fi

# --- Part 3: transparent TLS by policy -----------------------------------------------------------

rc3=0
step "Part 3: transparent TLS by policy. redis-server and redis-cli, unmodified, plain TCP only"
echo "  redis-server --port $port3 (no --tls-port) and redis-cli -p $port3 (no --tls): neither"
echo "  is told about TLS; two rules and tlsockd (the same profiles as part 2) make it mutual TLS"
"$tlsockd" -f -c "$tmp/tlsockd.conf" > "$tmp/tlsockd3.log" 2>&1 &
dmn=$!
wait_for "'$tlsockctl' status 2>/dev/null | grep -q '^daemon: listening'" 100 ||
	die "tlsockd did not start: $(tail -n 3 "$tmp/tlsockd3.log")"

step "tlsockctl hooks attach: cgroup BPF programs on connect and post_bind, for every process"
hooked=1
out=$("$tlsockctl" hooks attach 2>&1) ||
	die "tlsockctl hooks attach: $out (policy_hooks=$(cat \
		/sys/module/tlsock/parameters/policy_hooks 2>/dev/null))"
[ -n "$out" ] && echo "$out" | sed 's/^/  /'
echo "  pinned in /sys/fs/bpf/tlsock: $(cd /sys/fs/bpf/tlsock && echo *)"

step "Two rules: redis-server's port takes mutual TLS; connections to it make mutual TLS"
sid=$("$tlsockctl" policy add server "127.0.0.1:$port3" profile demo-server) ||
	die "policy add server"
cid=$("$tlsockctl" policy add client "127.0.0.1:$port3" profile demo-client \
	server-name localhost) || die "policy add client"
echo "  \$ tlsockctl policy add server 127.0.0.1:$port3 profile demo-server"
echo "  $sid"
echo "  \$ tlsockctl policy add client 127.0.0.1:$port3 profile demo-client server-name localhost"
echo "  $cid"
echo "  \$ tlsockctl policy list"
"$tlsockctl" policy list | sed 's/^/  /'

step "redis-server on plain port $port3, and tcpdump on lo (port $port3)"
redis-server --port "$port3" --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp" \
	--logfile "$tmp/redis.log" &
rds=$!
wait_for "ss -Hltn 'sport = :$port3' | grep -q LISTEN" 100 || die "redis-server did not start"
echo "  redis-server pid $rds: $(grep -o 'Ready to accept connections.*' "$tmp/redis.log")"
tcpdump -i lo --immediate-mode -U -s 0 -w "$tmp/redis.pcap" "tcp port $port3" \
	2> "$tmp/tcpdump.err" &
cap=$!
wait_for "grep -q 'listening on' '$tmp/tcpdump.err'" 100 || die "tcpdump did not start"

step "redis-cli SET and GET, as if there were no TLS"
value="hello from a plain redis-cli, plaintext-marker-demo"
echo "  \$ redis-cli -p $port3 SET greeting \"$value\""
out=$(timeout 30 redis-cli -p "$port3" SET greeting "$value" 2>&1)
echo "  $out"
[ "$out" = OK ] || rc3=1
echo "  \$ redis-cli -p $port3 GET greeting"
out=$(timeout 30 redis-cli -p "$port3" GET greeting 2>&1)
echo "  $out"
[ "$out" = "$value" ] || rc3=1

step "A connection held open (redis-cli BLPOP waits), as ss -ti shows it at both ends"
timeout 60 redis-cli -p "$port3" BLPOP demo-queue 30 > "$tmp/blpop.out" 2>&1 &
blp=$!
wait_for "redis-cli -p $port3 CLIENT LIST 2>/dev/null | grep -q cmd=blpop" 300 ||
	{ rc3=1; echo "  BLPOP never reached redis-server"; }
ss -Htni "sport = :$port3 or dport = :$port3" | grep -v LISTEN | sed 's/^[[:space:]]*/  /'

step "TLSOCK_INFO of both programs' sockets (demo_peek takes them with pidfd_getfd)"
blp_pid=$(pgrep -P "$blp" -x redis-cli || echo "$blp")
"$demo/demo_peek" "$blp_pid" | sed 's/^/  /'
[ "${PIPESTATUS[0]}" = 0 ] || rc3=1
"$demo/demo_peek" "$rds" | sed 's/^/  /'
[ "${PIPESTATUS[0]}" = 0 ] || rc3=1

echo "  \$ redis-cli -p $port3 LPUSH demo-queue wake-up"
echo "  $(timeout 30 redis-cli -p "$port3" LPUSH demo-queue wake-up 2>&1)"
wait "$blp"
blp=
echo "  the BLPOP client got: $(tr '\n' ' ' < "$tmp/blpop.out")"
grep -q wake-up "$tmp/blpop.out" || rc3=1

step "The capture: every stream is TLS records from its first byte, no plaintext in it"
sleep 0.5
kill "$cap" 2>/dev/null
wait "$cap" 2>/dev/null
cap=
echo "  $(tcpdump -r "$tmp/redis.pcap" 2>/dev/null | wc -l) packets captured; the records of the" \
	"first four connections' streams:"
python3 "$here/policy/tlscap.py" --list "$tmp/redis.pcap" "$port3" plaintext-marker-demo \
	greeting BLPOP wake-up > "$tmp/tlscap.out"
v=$?
grep '^  ' "$tmp/tlscap.out" | head -n 8
echo "  verdict: $(grep -v '^  ' "$tmp/tlscap.out")"
[ "$v" = 0 ] || rc3=1
echo "  \"greeting\", \"plaintext-marker-demo\" in the capture: $(grep -ac \
	-e greeting -e plaintext-marker-demo "$tmp/redis.pcap") packets"

step "The rules' counters: connections covered, handshakes ok and failed, bytes in and out"
"$tlsockctl" policy list | sed 's/^/  /'

step "tlsockd's log: both ends' handshakes, with the peer identity each verified"
sed -nE 's/^.*(req [0-9]+ )/\1/; s/ peer 127\.0\.0\.1:[0-9]+//; s/ profile [^:]*:/:/;
	s/ san [^ ]*//; /^req /p' "$tmp/tlsockd3.log" | head -n 6 | sed 's/^/  /'

"$tlsockctl" policy del all > /dev/null
"$tlsockctl" hooks detach > /dev/null
hooked=
kill "$rds" "$dmn" 2>/dev/null
wait "$rds" "$dmn" 2>/dev/null
rds=
dmn=

if [ "$rc3" = 0 ]; then
	step "Part 3 done: unmodified redis-server and redis-cli spoke mutual TLS, chosen by policy"
else
	step "Part 3 FAILED"
	tail -n 20 "$tmp/tlsockd3.log" | sed 's/^/  tlsockd: /'
fi
[ "$rc" = 0 ] && [ "$rc2" = 0 ] && [ "$rc3" = 0 ]
