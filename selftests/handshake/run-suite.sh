#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Managed handshakes through tlsockd, end to end (TAP).  Needs root, tlsock.ko
# loaded, and the tree built (daemon/tlsockd, daemon/tlsockctl, hs_peer).
# Starts its own tlsockd with a generated PKI; every peer is hs_peer, which
# links no TLS library.  Runs on 127.0.0.1 in the current network namespace.
#
#   run-suite.sh [-v]     -v: show the daemon's log at the end

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/tap.sh
. "$here/../lib/tap.sh"
top=$(cd "$here/../.." && pwd)
tlsockd=$top/daemon/tlsockd
tlsockctl=$top/daemon/tlsockctl
peer=$here/hs_peer
param=/sys/module/tlsock/parameters
verbose=0
[ "${1:-}" = "-v" ] && verbose=1

plan=75
n=0
failed=0
dpid=
saved_cap=
work=$(mktemp -d /tmp/tlsock-hs.XXXXXX)

cleanup() {
	[ -n "$dpid" ] && kill -CONT "$dpid" 2>/dev/null
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	[ -n "$saved_cap" ] && echo "$saved_cap" >"$param/hs_max_pending"
	jobs -p | xargs -r kill 2>/dev/null
	wait 2>/dev/null
	if [ $verbose = 1 ] || [ $failed != 0 ]; then
		sed 's/^/# tlsockd: /' "$work/tlsockd.log" 2>/dev/null | tail -n 60
	fi
	rm -rf "$work"
}
trap cleanup EXIT


# check NAME CMD...: one test, passes when CMD exits 0
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$name"
	else
		not_ok "$name" "$out"
	fi
}


wait_for() {	# wait_for SECONDS CMD...: until CMD succeeds
	local t=$(($1 * 20))
	shift
	while ! "$@" >/dev/null 2>&1; do
		t=$((t - 1))
		[ $t -le 0 ] && return 1
		sleep 0.05
	done
}

port=21000
next_port() {
	port=$((port + 1))
}

# pair NAME SERVER_ARGS -- CLIENT_ARGS: run both ends, both must meet their -e
pair() {
	local name=$1 sargs=() cargs=() ready out sout cout spid rc=0
	shift
	while [ "$1" != "--" ]; do sargs+=("$1"); shift; done
	shift
	cargs=("$@")
	next_port
	ready=$work/ready.$port
	"$peer" server -p $port -r "$ready" "${sargs[@]}" >"$work/s.$port" 2>&1 &
	spid=$!
	if ! wait_for 10 test -e "$ready"; then
		kill $spid 2>/dev/null
		not_ok "$name" "server did not start"
		return
	fi
	"$peer" client -p $port "${cargs[@]}" >"$work/c.$port" 2>&1 || rc=1
	wait $spid || rc=1
	if [ $rc = 0 ]; then
		ok "$name"
	else
		not_ok "$name" "server: $(cat "$work/s.$port")" "client: $(cat "$work/c.$port")"
	fi
}

# sink_verdict NAME: the sink started last ($spid) saw only TLS, no secret
sink_verdict() {
	if wait $spid && grep -q '^sink: ' "$work/sink.$port"; then
		ok "$1"
	else
		not_ok "$1" "$(cat "$work/sink.$port")"
	fi
}

# grep_out PATTERN FILE-KIND: the last pair's client (c) or server (s) output matches
grep_out() {
	grep -q -- "$1" "$work/$2.$port"
}

# --- PKI -------------------------------------------------------------------
mkpki() {
	local d=$work/pki
	mkdir -p "$d" && cd "$d" || return 1
	key() { certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 \
		--outfile "$1.key" >/dev/null 2>&1; }
	ca() {	# ca NAME CN
		key "$1"
		printf 'cn = "%s"\nca\ncert_signing_key\ncrl_signing_key\nexpiration_days = 30\n' \
			"$2" >"$1.tmpl"
		certtool --generate-self-signed --load-privkey "$1.key" --template "$1.tmpl" \
			--outfile "$1.pem" >/dev/null 2>&1
	}
	leaf() {	# leaf NAME CA CN USAGE [EXTRA]
		key "$1"
		printf 'cn = "%s"\ndns_name = "%s"\n%s\nsigning_key\nexpiration_days = 30\n%s\n' \
			"$3" "$3" "$4" "${5:-}" >"$1.tmpl"
		certtool --generate-certificate --load-privkey "$1.key" --load-ca-certificate \
			"$2.pem" --load-ca-privkey "$2.key" --template "$1.tmpl" \
			--outfile "$1.pem" >/dev/null 2>&1
	}
	ca ca "tlsock test CA" &&
	ca evilca "untrusted CA" &&
	leaf server ca server.test tls_www_server 'ip_address = "127.0.0.1"' &&
	leaf client ca client.test tls_www_client 'email = "client@example.test"' &&
	leaf evil evilca server.test tls_www_server &&
	leaf revoked ca server.test tls_www_server 'serial = 4242' &&
	key expired &&
	printf '%s\n' 'cn = "server.test"' 'dns_name = "server.test"' tls_www_server \
		signing_key 'activation_date = "2020-01-01 00:00:00"' \
		'expiration_date = "2020-06-01 00:00:00"' >expired.tmpl &&
	certtool --generate-certificate --load-privkey expired.key --load-ca-certificate ca.pem \
		--load-ca-privkey ca.key --template expired.tmpl --outfile expired.pem \
		>/dev/null 2>&1 &&
	printf 'expiration_days = 30\n' >crl.tmpl &&
	certtool --generate-crl --load-ca-privkey ca.key --load-ca-certificate ca.pem \
		--load-certificate revoked.pem --template crl.tmpl --outfile crl.pem \
		>/dev/null 2>&1
	local rc=$?
	cd - >/dev/null
	return $rc
}

TLS12='NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:-CIPHER-ALL:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-GCM:+AES-128-CCM:-MAC-ALL:+AEAD:-GROUP-ALL:+GROUP-EC-ALL'

mkconf() {
	local p=$work/pki
	cat >"$work/tlsockd.conf" <<-EOF
	[daemon]
	workers = 8
	log = stderr

	; tickets off except in the *-tix profiles: the ticket tests are explicit
	[profile server]
	cert = $p/server.pem
	key = $p/server.key
	ca = $p/ca.pem
	client_auth = require
	tickets = no

	[profile server12]
	cert = $p/server.pem
	key = $p/server.key
	ca = $p/ca.pem
	client_auth = require
	tickets = no
	priority = $TLS12

	[profile server-tix]
	cert = $p/server.pem
	key = $p/server.key
	ca = $p/ca.pem
	client_auth = require
	tickets = yes

	[profile server12-tix]
	cert = $p/server.pem
	key = $p/server.key
	ca = $p/ca.pem
	client_auth = require
	tickets = yes
	priority = $TLS12

	[profile client-tix]
	cert = $p/client.pem
	key = $p/client.key
	ca = $p/ca.pem
	tickets = yes

	; TLS 1.3 resumption: own profiles, so each test has its own cache entry
	[profile client13-tix]
	cert = $p/client.pem
	key = $p/client.key
	ca = $p/ca.pem
	tickets = yes

	[profile client13-gs]
	cert = $p/client.pem
	key = $p/client.key
	ca = $p/ca.pem
	tickets = yes

	[profile client13-rs]
	cert = $p/client.pem
	key = $p/client.key
	ca = $p/ca.pem
	tickets = yes

	[profile client13-notix]
	cert = $p/client.pem
	key = $p/client.key
	ca = $p/ca.pem
	tickets = no

	[profile evil]
	cert = $p/evil.pem
	key = $p/evil.key
	tickets = no

	[profile expired]
	cert = $p/expired.pem
	key = $p/expired.key
	tickets = no

	[profile revoked]
	cert = $p/revoked.pem
	key = $p/revoked.key
	tickets = no

	[profile client]
	cert = $p/client.pem
	key = $p/client.key
	ca = $p/ca.pem

	[profile client-crl]
	cert = $p/client.pem
	key = $p/client.key
	ca = $p/ca.pem
	crl = $p/crl.pem

	[profile anon]
	ca = $p/ca.pem

	[profile client13]
	cert = $p/client.pem
	key = $p/client.key
	ca = $p/ca.pem
	min_version = 1.3
	EOF
	local c
	for c in aes-128-gcm aes-256-gcm chacha20-poly1305 aes-128-ccm; do
		printf '\n[profile c-%s]\ncert = %s\nkey = %s\nca = %s\nciphers = %s\n' \
			"$c" "$p/client.pem" "$p/client.key" "$p/ca.pem" "$c" >>"$work/tlsockd.conf"
	done
}

# until it serves: it listens (tlsockctl wait-ready), and it logged "ready (...)" (tlsockd(8))
start_daemon() {
	local from
	from=$(wc -l <"$work/tlsockd.log" 2>/dev/null || echo 0)
	"$tlsockd" -f -c "$work/tlsockd.conf" >>"$work/tlsockd.log" 2>&1 &
	dpid=$!
	"$tlsockctl" wait-ready -t 10 >/dev/null &&
		wait_for 10 sh -c "tail -n +$((from + 1)) '$work/tlsockd.log' | grep -q ': ready ('"
}

stop_daemon() {	# stop_daemon [SIGNAL]
	[ -z "$dpid" ] && return 0
	kill -"${1:-TERM}" "$dpid" 2>/dev/null
	wait "$dpid" 2>/dev/null
	dpid=
}

status_field() {	# status_field pending|in progress
	"$tlsockctl" status | sed -n "s/^handshakes: \([0-9]*\) pending, \([0-9]*\) in progress.*/\1 \2/p"
}

idle() {
	[ "$(status_field)" = "0 0" ]
}

# TLS 1.3 tickets tlsockd logged (forwarded by the kernel), stored or dropped
tickets_logged() {	# tickets_logged stored|dropped|any [FROM_LINE]
	local what=$1
	[ "$what" = any ] && what=
	tail -n +"${2:-1}" "$work/tlsockd.log" | grep -c "session ticket $what"
}

# wait_tickets N: until more than N tickets were stored
wait_tickets() {
	wait_for 10 sh -c "[ \$(grep -c 'session ticket stored' '$work/tlsockd.log') -gt $1 ]"
}

# --- the tests -----------------------------------------------------------------
echo "TAP version 13"
echo "1..$plan"

[ "$(id -u)" = 0 ] || bail "running as root"
[ -x "$tlsockd" ] && [ -x "$tlsockctl" ] && [ -x "$peer" ] ||
	bail "programs built" "missing tlsockd, tlsockctl or hs_peer: run make"
ip link set lo up 2>/dev/null
if out=$("$tlsockctl" status 2>&1); then
	ok "tlsock.ko loaded, genl family tlsock present"
else
	bail "tlsock.ko loaded, genl family tlsock present" "$out"
fi
mkpki || bail "test PKI generated with certtool"
mkconf
check "tlsockd -t accepts the configuration" "$tlsockd" -t -c "$work/tlsockd.conf"

# no daemon: fail at once, nothing in plaintext
if "$tlsockctl" status | grep -q '^daemon: listening'; then
	bail "no other tlsockd runs in this namespace"
fi
next_port
"$peer" sink -p $port -r "$work/ready.$port" -x SECRET-1 >"$work/sink.$port" 2>&1 &
spid=$!
wait_for 10 test -e "$work/ready.$port"
t0=$(date +%s%N)
if out=$("$peer" client -p $port -n server.test -P client -e ESRCH -x SECRET-1 2>&1); then
	ms=$((($(date +%s%N) - t0) / 1000000))
	if [ $ms -lt 2000 ]; then
		ok "no daemon: ESRCH at once (${ms} ms)"
	else
		not_ok "no daemon: ESRCH at once" "took $ms ms"
	fi
else
	not_ok "no daemon: ESRCH at once" "$out"
fi
sink_verdict "no daemon: nothing but TLS on the wire, no plaintext"

start_daemon || bail "tlsockd starts and listens" "$(tail -n 20 "$work/tlsockd.log")"
ok "tlsockd starts and listens"

# mutual TLS 1.3, blocking, data both ways
t0=$(($(wc -l <"$work/tlsockd.log") + 1))
pair "mutual TLS 1.3: handshake, 1 MiB each way" \
	-P server -i -b 1048576 -- -P client -n server.test -i -b 1048576
# one line per end, every field where it belongs (the line is built without printf;
# the first SAN only)
log_c="client peer 127\\.0\\.0\\.1:$port profile client name \"server\\.test\": ok version TLS1\\.3"
log_c="$log_c cipher [A-Z0-9-]+ resumed no verified yes identity \"CN=server\\.test\""
log_c="$log_c san DNS:server\\.test duration [0-9]+ ms$"
log_s="server peer 127\\.0\\.0\\.1:[0-9]+ profile server name \"\": ok version TLS1\\.3"
log_s="$log_s cipher [A-Z0-9-]+ resumed no verified yes identity \"CN=client\\.test\""
log_s="$log_s san DNS:client\\.test duration [0-9]+ ms$"
logged_both() {	# a worker logs right after DONE, maybe after the peers exited
	tail -n +"$t0" "$work/tlsockd.log" | grep -qE "tlsockd info: req [0-9]+ $log_c" &&
	tail -n +"$t0" "$work/tlsockd.log" | grep -qE "tlsockd info: req [0-9]+ $log_s"
}
if wait_for 10 logged_both; then
	ok "tlsockd logs both handshakes: peer, profile, name, version, cipher, identity, SAN"
else
	not_ok "tlsockd logs both handshakes: peer, profile, name, version, cipher, identity, SAN" \
		"$(tail -n +"$t0" "$work/tlsockd.log")"
fi
if grep_out 'version=1.3' c && grep_out 'verified=1' c && grep_out 'subject="CN=server.test"' c &&
   grep_out 'san="DNS:server.test"' c; then
	ok "client TLSOCK_INFO: TLS 1.3, server verified, subject and SAN"
else
	not_ok "client TLSOCK_INFO: TLS 1.3, server verified, subject and SAN" "$(cat "$work/c.$port")"
fi
if grep_out 'info-head: len=ok fields=same rest=untouched' c; then
	ok "client TLSOCK_INFO read short of the identity: those bytes exactly, nothing more"
else
	not_ok "client TLSOCK_INFO read short of the identity: those bytes exactly, nothing more" \
		"$(cat "$work/c.$port")"
fi
if grep_out 'verified=1' s && grep_out 'subject="CN=client.test"' s &&
   grep_out 'san="email:client@example.test"' s; then
	ok "server TLSOCK_INFO: client certificate verified, subject and SAN"
else
	not_ok "server TLSOCK_INFO: client certificate verified, subject and SAN" \
		"$(cat "$work/s.$port")"
fi

pair "mutual TLS 1.2: handshake and data" -P server12 -i -- -P client -n server.test -i
if grep_out 'version=1.2' c && grep_out 'version=1.2' s; then
	ok "TLS 1.2 negotiated on both ends"
else
	not_ok "TLS 1.2 negotiated on both ends" "$(cat "$work/c.$port")"
fi

for c in aes-128-gcm aes-256-gcm chacha20-poly1305 aes-128-ccm; do
	pair "TLS 1.3 $c: keys installed, data checked" -P server -- -P c-$c -n server.test
	pair "TLS 1.2 $c: keys installed, data checked" -P server12 -- -P c-$c -n server.test
done

# TLS 1.3 NewSessionTickets arrive after the handshake: the kernel forwards
# them to tlsockd, the data stream never sees them
pair "TLS 1.3 server sending tickets: data flows past the NewSessionTickets" \
	-P server-tix -- -P client-tix -n server.test
pair "TLS 1.2 with tickets: full handshake" -P server12-tix -i -- -P client-tix -n server.test -i
if grep_out 'resumed=0' c; then
	ok "first TLS 1.2 handshake not resumed"
else
	not_ok "first TLS 1.2 handshake not resumed" "$(cat "$work/c.$port")"
fi
pair "TLS 1.2 with tickets: second handshake" -P server12-tix -i -- -P client-tix -n server.test -i
if grep_out 'resumed=1' c && grep_out 'resumed=1' s && grep_out 'verified=1' c; then
	ok "second TLS 1.2 handshake resumed, peer still verified"
else
	not_ok "second TLS 1.2 handshake resumed, peer still verified" \
		"$(cat "$work/c.$port" "$work/s.$port")"
fi

# TLS 1.3 resumption between two tlsock sockets: the client's ticket goes
# kernel -> tlsockd (TICKET) -> held GnuTLS session -> resumption cache
t0=$(tickets_logged stored)
pair "TLS 1.3 tickets: full handshake, data intact" \
	-P server-tix -i -- -P client13-tix -n server.test -i
if grep_out 'resumed=0' c && grep_out 'resumed=0' s && wait_tickets "$t0"; then
	ok "first TLS 1.3 handshake full, its ticket reached tlsockd through the kernel"
else
	not_ok "first TLS 1.3 handshake full, its ticket reached tlsockd through the kernel" \
		"$(cat "$work/c.$port" "$work/s.$port")" "$(tail -n 5 "$work/tlsockd.log")"
fi
pair "TLS 1.3 tickets: second handshake, data intact" \
	-P server-tix -i -- -P client13-tix -n server.test -i
if grep_out 'resumed=1' c && grep_out 'resumed=1' s && grep_out 'version=1.3' c &&
   grep_out 'verified=1' c; then
	ok "second TLS 1.3 handshake resumed (TLSOCK_INFO on both ends), server still verified"
else
	not_ok "second TLS 1.3 handshake resumed (TLSOCK_INFO on both ends), server still verified" \
		"$(cat "$work/c.$port" "$work/s.$port")"
fi

# tickets off in a profile: nothing forwarded, nothing resumed
t0=$(($(wc -l <"$work/tlsockd.log") + 1))
pair "tickets off in the client profile: first handshake" \
	-P server-tix -i -- -P client13-notix -n server.test -i
pair "tickets off in the client profile: second handshake" \
	-P server-tix -i -- -P client13-notix -n server.test -i
if grep_out 'resumed=0' c && grep_out 'resumed=0' s && [ "$(tickets_logged any "$t0")" = 0 ]; then
	ok "tickets off in the client profile: no ticket forwarded, no resumption"
else
	not_ok "tickets off in the client profile: no ticket forwarded, no resumption" \
		"$(cat "$work/c.$port")" "$(tail -n +"$t0" "$work/tlsockd.log")"
fi
# client13-tix holds a ticket of server-tix now; "server" has tickets off
pair "tickets off in the server profile: handshake" -P server -i -- -P client13-tix -n server.test -i
if grep_out 'resumed=0' c && grep_out 'resumed=0' s; then
	ok "tickets off in the server profile: the client's ticket is not accepted"
else
	not_ok "tickets off in the server profile: the client's ticket is not accepted" \
		"$(cat "$work/c.$port" "$work/s.$port")"
fi

# interop: an unmodified gnutls-serv (echo mode, client certificate required)
gnutls_serv() {	# gnutls_serv NAME [PRIORITY]
	local p=$work/pki gpid out
	next_port
	gnutls-serv --echo -p $port --x509certfile "$p/server.pem" --x509keyfile "$p/server.key" \
		--x509cafile "$p/ca.pem" --require-client-cert ${2:+--priority="$2"} \
		>"$work/gs.$port" 2>&1 &
	gpid=$!
	if ! wait_for 10 sh -c "ss -ltn | grep -q ':$port '"; then
		kill $gpid 2>/dev/null
		not_ok "$1" "gnutls-serv did not start: $(cat "$work/gs.$port")"
		return
	fi
	if out=$("$peer" client -p $port -P client -n server.test -E -b 262144 -i 2>&1); then
		ok "$1"
	else
		not_ok "$1" "$out" "$(tail -n 5 "$work/gs.$port")"
	fi
	kill $gpid 2>/dev/null
	wait $gpid 2>/dev/null
}
if command -v gnutls-serv >/dev/null; then
	gnutls_serv "interop: tlsock client, gnutls-serv TLS 1.3 (sends tickets), echo checked"
	gnutls_serv "interop: tlsock client, gnutls-serv TLS 1.2, echo checked" "$TLS12"
else
	not_ok "interop: gnutls-serv installed (gnutls-bin)"
	not_ok "interop: gnutls-serv installed (gnutls-bin)"
fi

# interop: TLS 1.3 resumption against gnutls-serv's own tickets
gnutls_serv_resume() {
	local p=$work/pki gpid out t0
	next_port
	gnutls-serv --echo -p $port --x509certfile "$p/server.pem" --x509keyfile "$p/server.key" \
		--x509cafile "$p/ca.pem" --require-client-cert >"$work/gs.$port" 2>&1 &
	gpid=$!
	if ! wait_for 10 sh -c "ss -ltn | grep -q ':$port '"; then
		kill $gpid 2>/dev/null
		not_ok "$1" "gnutls-serv did not start: $(cat "$work/gs.$port")"
		not_ok "$2" "gnutls-serv did not start"
		return
	fi
	t0=$(tickets_logged stored)
	if out=$("$peer" client -p $port -P client13-gs -n server.test -E -b 4096 -i 2>&1) &&
	   echo "$out" | grep -q 'resumed=0' && wait_tickets "$t0"; then
		ok "$1"
	else
		not_ok "$1" "$out" "$(tail -n 5 "$work/gs.$port")" "$(tail -n 3 "$work/tlsockd.log")"
	fi
	if out=$("$peer" client -p $port -P client13-gs -n server.test -E -b 65536 -i 2>&1) &&
	   echo "$out" | grep -q 'resumed=1' && echo "$out" | grep -q 'version=1.3'; then
		ok "$2"
	else
		not_ok "$2" "$out" "$(tail -n 5 "$work/gs.$port")"
	fi
	kill $gpid 2>/dev/null
	wait $gpid 2>/dev/null
}
if command -v gnutls-serv >/dev/null; then
	gnutls_serv_resume "interop: gnutls-serv TLS 1.3, full handshake, its ticket reached tlsockd" \
		"interop: gnutls-serv TLS 1.3, second connection resumed, echo checked"
else
	not_ok "interop: gnutls-serv installed (gnutls-bin)"
	not_ok "interop: gnutls-serv installed (gnutls-bin)"
fi

pair "non-blocking client: EINPROGRESS, I/O held back (EAGAIN), POLLOUT, data" \
	-P server -- -P client -n server.test -N -g
pair "non-blocking server and client" -P server -N -- -P client -n server.test -N
pair "empty server_name: verified against the peer address" -P server -- -P client -i
# the server sees the client's alert, which says why its certificate was refused
# (bad_certificate, certificate_expired, certificate_revoked: tlsock(7)), or the
# reset of the client's close when the rest of the server's flight was still unread
pair "untrusted CA: client EKEYREJECTED" -P evil -e EKEYREJECTED,ECONNRESET -- \
	-P client -n server.test -e EKEYREJECTED
pair "wrong name: client ENXIO" -P server -e EKEYREJECTED,ECONNRESET -- \
	-P client -n wrong.test -e ENXIO
pair "expired certificate: client EKEYEXPIRED" -P expired -e EKEYEXPIRED,ECONNRESET -- \
	-P client -n server.test -e EKEYEXPIRED
pair "revoked by CRL: client EKEYREVOKED" -P revoked -e EKEYREVOKED,ECONNRESET -- \
	-P client-crl -n server.test -e EKEYREVOKED
# TLS 1.3: the client's handshake is complete before the server checks it
pair "client certificate missing where required: server ENOKEY, client's first read ENOKEY (TLS 1.3)" \
	-P server -e ENOKEY -- -P anon -n server.test -F -X ENOKEY
# ... also when the server's reset arrives before the client's first write: that write fails
# (ECONNRESET or EPIPE), the alert still waits in the stream for the read after it
rm -f "$work/srv-closed"
pair "client certificate missing, the client writes after the server's reset: its read still ENOKEY" \
	-P server -e ENOKEY -D "$work/srv-closed" -- -P anon -n server.test -W "$work/srv-closed" \
	-F -X ENOKEY
pair "version below the minimum: EPROTONOSUPPORT" -P server12 -e EPROTONOSUPPORT -- \
	-P client13 -n server.test -e EPROTONOSUPPORT
pair "unknown profile: ENOENT" -P server -e fail -- -P nosuch -n server.test -e ENOENT

# the daemon stopped (SIGSTOP): requests queue up, unclaimed
kill -STOP "$dpid"
next_port
"$peer" sink -p $port -r "$work/ready.$port" -x SECRET-2 >"$work/sink.$port" 2>&1 &
spid=$!
wait_for 10 test -e "$work/ready.$port"
t0=$(date +%s%N)
if out=$("$peer" client -p $port -n server.test -P client -t 1000 -e ETIMEDOUT -x SECRET-2 2>&1)
then
	ms=$((($(date +%s%N) - t0) / 1000000))
	if [ $ms -ge 900 ] && [ $ms -lt 4000 ]; then
		ok "unclaimed request times out: ETIMEDOUT after ${ms} ms (timeout 1000)"
	else
		not_ok "unclaimed request times out after its timeout" "took $ms ms"
	fi
else
	not_ok "unclaimed request times out after its timeout" "$out"
fi
sink_verdict "timed-out socket: no plaintext on the wire"

saved_cap=$(cat "$param/hs_max_pending")
echo 3 >"$param/hs_max_pending"
next_port
"$peer" sink -p $port -r "$work/ready.$port" >/dev/null 2>&1 &
spid=$!
wait_for 10 test -e "$work/ready.$port"
# the sink accepts one connection; the others wait in its backlog: fine here
exec {hold}> >(exec "$peer" client -p $port -n server.test -P client -k 5 \
	>"$work/many.$port" 2>&1)
wait_for 10 sh -c "[ \$(grep -c '^conn' '$work/many.$port') = 5 ]"
if [ "$(grep -c 'EINPROGRESS' "$work/many.$port")" = 3 ] &&
   [ "$(grep -c 'EBUSY' "$work/many.$port")" = 2 ]; then
	ok "per-namespace cap: 3 pending, the next ones EBUSY"
else
	not_ok "per-namespace cap: 3 pending, the next ones EBUSY" "$(cat "$work/many.$port")"
fi
if [ "$(status_field)" = "3 0" ]; then
	ok "tlsockctl status shows the 3 pending requests"
else
	not_ok "tlsockctl status shows the 3 pending requests" "$("$tlsockctl" status)"
fi
exec {hold}>&-
if wait_for 5 idle; then
	ok "closing the sockets cancels their pending requests"
else
	not_ok "closing the sockets cancels their pending requests" "$("$tlsockctl" status)"
fi
echo "$saved_cap" >"$param/hs_max_pending"
saved_cap=
kill $spid 2>/dev/null
wait $spid 2>/dev/null

next_port
"$peer" sink -p $port -r "$work/ready.$port" >/dev/null 2>&1 &
spid=$!
wait_for 10 test -e "$work/ready.$port"
check "non-blocking handshake, socket closed at once" \
	"$peer" client -p $port -n server.test -P client -N -c
if wait_for 5 idle; then
	ok "the closed socket's request is gone"
else
	not_ok "the closed socket's request is gone" "$("$tlsockctl" status)"
fi
wait $spid 2>/dev/null

# the rules for daemons, checked over raw netlink while tlsockd sleeps
probe=$here/nl_probe.py
# (the script comes on stdin, from / : nobody need not be able to read the checkout, which may
# be a clone under a 0700 home)
out=$(cd / && setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	--bounding-set=-all python3 - accept <"$probe" 2>&1)
if [ "$out" = "accept: EPERM" ]; then
	ok "ACCEPT without CAP_NET_ADMIN: EPERM"
else
	not_ok "ACCEPT without CAP_NET_ADMIN: EPERM" "$out"
fi
check "DONE for a request that does not exist: ENOENT" python3 "$probe" unknown
next_port
"$peer" sink -p $port -r "$work/ready.$port" >/dev/null 2>&1 &
spid=$!
wait_for 10 test -e "$work/ready.$port"
"$peer" client -p $port -n server.test -P client -t 20000 -e EPROTO >"$work/c.probe" 2>&1 &
cpid=$!
wait_for 10 sh -c "[ \"\$('$tlsockctl' status | sed -n 's/^handshakes: \([0-9]*\) pending.*/\1/p')\" = 1 ]"
check "DONE only from the netlink socket that claimed the request (else EPERM)" \
	python3 "$probe" steal
if wait $cpid; then
	ok "the application gets the status the daemon reported (EPROTO)"
else
	not_ok "the application gets the status the daemon reported (EPROTO)" "$(cat "$work/c.probe")"
fi
kill $spid 2>/dev/null
wait $spid 2>/dev/null
out=$(python3 "$probe" roles 2>&1)
if [ $? = 0 ]; then
	ok "ACCEPT's role filter: a socket taking clients only is neither told of nor given a server's request"
else
	not_ok "ACCEPT's role filter: a socket taking clients only is neither told of nor given a server's request" "$out"
fi
kill -CONT "$dpid"

# daemon killed while it holds a request: the client learns within a second
next_port
"$peer" sink -p $port -r "$work/ready.$port" -x SECRET-3 >"$work/sink.$port" 2>&1 &
spid=$!
wait_for 10 test -e "$work/ready.$port"
"$peer" client -p $port -n server.test -P client -t 30000 -e EOWNERDEAD -x SECRET-3 \
	>"$work/c.kill" 2>&1 &
cpid=$!
if wait_for 10 sh -c "[ \"\$('$tlsockctl' status | sed -n 's/.* \([0-9]*\) in progress.*/\1/p')\" = 1 ]"
then
	t0=$(date +%s%N)
	stop_daemon KILL
	if wait $cpid; then
		ms=$((($(date +%s%N) - t0) / 1000000))
		if [ $ms -lt 1500 ]; then
			ok "daemon killed mid-handshake: EOWNERDEAD after ${ms} ms"
		else
			not_ok "daemon killed mid-handshake: EOWNERDEAD within a second" "$ms ms"
		fi
	else
		not_ok "daemon killed mid-handshake: EOWNERDEAD within a second" "$(cat "$work/c.kill")"
	fi
else
	kill $cpid
	not_ok "daemon killed mid-handshake: EOWNERDEAD within a second" \
		"the daemon never claimed the request" "$("$tlsockctl" status)"
fi
sink_verdict "killed daemon: no plaintext on the wire"

start_daemon || bail "tlsockd restarts" "$(tail -n 20 "$work/tlsockd.log")"
ok "tlsockd restarts"

# an established TLS connection survives a daemon restart
next_port
go=$work/go.$port
"$peer" server -p $port -r "$work/ready.$port" -P server -W "$go" >"$work/s.$port" 2>&1 &
spid=$!
wait_for 10 test -e "$work/ready.$port"
"$peer" client -p $port -P client -n server.test -W "$go" >"$work/c.$port" 2>&1 &
cpid=$!
if wait_for 20 sh -c "grep -q 'handshake ok' '$work/c.$port' && grep -q 'handshake ok' '$work/s.$port'"
then
	stop_daemon TERM
	start_daemon
	touch "$go"
	if wait $cpid && wait $spid; then
		ok "established connection keeps working across a daemon restart"
	else
		not_ok "established connection keeps working across a daemon restart" \
			"$(cat "$work/c.$port" "$work/s.$port")"
	fi
else
	touch "$go"
	kill $cpid $spid 2>/dev/null
	not_ok "established connection keeps working across a daemon restart" \
		"$(cat "$work/c.$port" "$work/s.$port")"
fi

pair "handshake after the restart" -P server -- -P client -n server.test

# a ticket for a socket whose daemon restarted goes nowhere, harmlessly
next_port
go=$work/go.$port
"$peer" server -p $port -r "$work/ready.$port" -P server-tix -W "$go" >"$work/s.$port" 2>&1 &
spid=$!
wait_for 10 test -e "$work/ready.$port"
"$peer" client -p $port -P client13-rs -n server.test -W "$go" >"$work/c.$port" 2>&1 &
cpid=$!
if wait_for 20 sh -c "grep -q 'handshake ok' '$work/c.$port' && grep -q 'handshake ok' '$work/s.$port'"
then
	stop_daemon TERM
	l0=$(($(wc -l <"$work/tlsockd.log") + 1))
	start_daemon
	touch "$go"	# the client reads now: its ticket is forwarded to the old port
	if wait $cpid && wait $spid; then
		ok "ticket after a daemon restart: the connection's data intact"
	else
		not_ok "ticket after a daemon restart: the connection's data intact" \
			"$(cat "$work/c.$port" "$work/s.$port")"
	fi
	if [ "$(tickets_logged any "$l0")" = 0 ]; then
		ok "ticket after a daemon restart: dropped, the new daemon never saw it"
	else
		not_ok "ticket after a daemon restart: dropped, the new daemon never saw it" \
			"$(tail -n +"$l0" "$work/tlsockd.log")"
	fi
else
	touch "$go"
	kill $cpid $spid 2>/dev/null
	not_ok "ticket after a daemon restart: the connection's data intact" \
		"$(cat "$work/c.$port" "$work/s.$port")"
	not_ok "ticket after a daemon restart: dropped, the new daemon never saw it"
fi
t0=$(tickets_logged stored)
pair "after the restart: full TLS 1.3 handshake" -P server-tix -i -- -P client13-rs -n server.test -i
if grep_out 'resumed=0' c && wait_tickets "$t0"; then
	ok "after the restart: no session carried over, the new ticket stored"
else
	not_ok "after the restart: no session carried over, the new ticket stored" \
		"$(cat "$work/c.$port")" "$(tail -n 5 "$work/tlsockd.log")"
fi

# reloads: SIGHUP, and a configuration file replaced on disk (inotify)
kill -HUP "$dpid"
if wait_for 10 grep -q 'configuration reloaded' "$work/tlsockd.log"; then
	pair "SIGHUP reloads the configuration, handshakes go on" -P server -- \
		-P client -n server.test
else
	not_ok "SIGHUP reloads the configuration, handshakes go on" "$(tail -n 5 "$work/tlsockd.log")"
fi
cp "$work/tlsockd.conf" "$work/tlsockd.conf.new"
echo "; edited" >>"$work/tlsockd.conf.new"
mv "$work/tlsockd.conf.new" "$work/tlsockd.conf"
if wait_for 10 grep -q 'a configuration file changed' "$work/tlsockd.log" &&
   wait_for 10 sh -c "[ \$(grep -c 'configuration reloaded' '$work/tlsockd.log') -ge 2 ]"; then
	ok "a configuration file replaced on disk is reloaded"
else
	not_ok "a configuration file replaced on disk is reloaded" "$(tail -n 5 "$work/tlsockd.log")"
fi
if wait_for 5 idle; then
	ok "no request left behind"
else
	not_ok "no request left behind" "$("$tlsockctl" status)"
fi
if grep -q '^TlsockHandshakeOk' /proc/net/tlsock_stat &&
   [ "$(sed -n 's/^TlsockHandshakeOk[[:space:]]*//p' /proc/net/tlsock_stat)" -gt 0 ]; then
	ok "/proc/net/tlsock_stat counts successful handshakes"
else
	not_ok "/proc/net/tlsock_stat counts successful handshakes" "$(cat /proc/net/tlsock_stat)"
fi

stop_daemon TERM
if grep -q 'failed' "$work/tlsockd.log" && grep -q 'ok version TLS1.3' "$work/tlsockd.log"; then
	ok "tlsockd logged successes and failures"
else
	not_ok "tlsockd logged successes and failures" "$(tail -n 5 "$work/tlsockd.log")"
fi

[ $n = $plan ] || echo "# planned $plan tests, ran $n"
[ $failed = 0 ] && [ $n = $plan ]
