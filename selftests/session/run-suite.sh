#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Managed sessions after the handshake (TAP): TLS 1.3 KeyUpdate both ways,
# rekeying on the record limit (rekey_records), interop with unmodified
# OpenSSL and GnuTLS tools in both roles, KeyUpdates started by OpenSSL and
# GnuTLS, TLS 1.2 renegotiation refused.  Needs root, tlsock.ko loaded and the
# tree built (daemon/tlsockd, daemon/tlsockctl, sess_peer).  Starts its own
# tlsockd with a generated PKI; runs on 127.0.0.1 in the current namespace.
#
#   run-suite.sh [-v]     -v: show the daemon's log at the end

set -u
# a tool that died must not take the suite with it when we write to its stdin
trap '' PIPE

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/tlsenv.sh
. "$here/../lib/tlsenv.sh"
# shellcheck source=../lib/tap.sh
. "$here/../lib/tap.sh"
peer=$here/sess_peer
verbose=0
[ "${1:-}" = "-v" ] && verbose=1

plan=33
n=0
failed=0
dpid=
saved_rekey=
tool_pid=
tool_fd=
work=$(mktemp -d /tmp/tlsock-sess.XXXXXX)

cleanup() {
	[ -n "$tool_fd" ] && eval "exec $tool_fd>&-"
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	[ -n "$saved_rekey" ] && echo "$saved_rekey" >"$param/rekey_records"
	jobs -p | xargs -r kill 2>/dev/null
	wait 2>/dev/null
	if [ $verbose = 1 ] || [ $failed != 0 ]; then
		sed 's/^/# tlsockd: /' "$work/tlsockd.log" 2>/dev/null | tail -n 40
	fi
	rm -rf "$work"
}
trap cleanup EXIT


# verdict NAME CONDITION-STATUS DETAIL...: ok when the status is 0
verdict() {
	local name=$1 st=$2
	shift 2
	if [ "$st" = 0 ]; then
		ok "$name"
	else
		not_ok "$name" "$@"
	fi
}


port=22000
next_port() {
	port=$((port + 1))
}

# --- counters (/proc/net/tlsock_stat of this namespace) ----------------------
snap() {
	cp /proc/net/tlsock_stat "$work/stat.before"
}

delta() {	# delta NAME: change of counter NAME since snap
	local a b
	a=$(sed -n "s/^$1[[:space:]]*//p" "$work/stat.before")
	b=$(sed -n "s/^$1[[:space:]]*//p" /proc/net/tlsock_stat)
	echo $((b - a))
}

deltas() {
	local c
	for c in TlsockTxRecords TlsockRxRecords TlsockTxRekeyOk TlsockRxRekeyOk \
		 TlsockRxRekeyReceived TlsockTxRekeyError TlsockRxRekeyError TlsockDecryptError; do
		printf '%s=%s ' "$c" "$(delta $c)"
	done
}

set_rekey() {
	echo "$1" >"$param/rekey_records"
}

# --- tools fed through a FIFO ---------------------------------------------------
# tool_start NAME CMD...: run CMD with stdin from a FIFO the suite writes
# through fd $tool_fd; stdout in $work/NAME.out, stderr in $work/NAME.err
tool_start() {
	local name=$1
	shift
	rm -f "$work/$name.in"
	mkfifo "$work/$name.in"
	timeout -k 5 600 "$@" <"$work/$name.in" >"$work/$name.out" 2>"$work/$name.err" &
	tool_pid=$!
	exec {tool_fd}>"$work/$name.in"
}

tool_say() {	# tool_say LINE: one line to the tool's stdin
	printf '%s\n' "$1" >&"$tool_fd"
}

tool_feed() {	# tool_feed FILE: whole file, in the background (the tool reads at its pace)
	cat "$1" >&"$tool_fd" &
}

tool_close() {	# end the tool's stdin, wait for it to exit (at most $1 s); its status
	local t=$((${1:-60} * 10)) rc
	eval "exec $tool_fd>&-"
	tool_fd=
	while kill -0 "$tool_pid" 2>/dev/null; do
		t=$((t - 1))
		if [ $t -le 0 ]; then
			kill "$tool_pid" 2>/dev/null
			break
		fi
		sleep 0.1
	done
	wait "$tool_pid"
	rc=$?
	tool_pid=
	return $rc
}

tool_exited() {
	! kill -0 "$tool_pid" 2>/dev/null
}

# --- PKI, configuration, daemon ---------------------------------------------------
TLS12='NORMAL:-VERS-ALL:+VERS-TLS1.2'
TLS13='NORMAL:-VERS-ALL:+VERS-TLS1.3'

mkconf() {
	local p=$work/pki
	cat >"$work/tlsockd.conf" <<-EOF
	[daemon]
	workers = 4
	log = stderr

	[profile server]
	cert = $p/server.pem
	key = $p/server.key
	ca = $p/ca.pem
	client_auth = require

	[profile server12]
	cert = $p/server.pem
	key = $p/server.key
	ca = $p/ca.pem
	client_auth = require
	priority = $TLS12

	[profile client]
	cert = $p/client.pem
	key = $p/client.key
	ca = $p/ca.pem
	EOF
}

pki=$work/pki
size() {
	stat -c %s "$1"
}

# --- 1. tlsock <-> tlsock, both managed, KeyUpdates mid-stream ---------------------
# pair NAME LIMIT CLIENT-EXTRA...: 1 MiB each way at once, rekey_records = LIMIT
pair_rekey() {
	local name=$1 limit=$2 sp rc=0 d tx rx rr min
	shift 2
	next_port
	set_rekey "$limit"
	snap
	"$peer" server -p $port -r "$work/ready.$port" -P server -s "$work/m2" -o "$work/s.$port" \
		-b "$(size "$work/m1")" -i >"$work/sp.$port" 2>&1 &
	sp=$!
	if ! wait_for 20 test -e "$work/ready.$port"; then
		kill $sp 2>/dev/null
		not_ok "$name: data checked" "server did not start: $(cat "$work/sp.$port")"
		not_ok "$name: KeyUpdates sent and followed"
		return
	fi
	"$peer" client -p $port -P client -n server.test -s "$work/m1" -o "$work/c.$port" \
		-b "$(size "$work/m2")" -i "$@" >"$work/cp.$port" 2>&1 || rc=1
	wait $sp || rc=1
	d=$(deltas)
	if [ $rc = 0 ] && cmp -s "$work/m1" "$work/s.$port" && cmp -s "$work/m2" "$work/c.$port" &&
	   grep -q 'version 1.3' "$work/cp.$port"; then
		ok "$name: data checked"
	else
		not_ok "$name: data checked" "server: $(cat "$work/sp.$port")" \
			"client: $(cat "$work/cp.$port")" "$d"
	fi
	tx=$(delta TlsockTxRekeyOk)
	rx=$(delta TlsockRxRekeyOk)
	rr=$(delta TlsockTxRecords)
	# each key seals at most LIMIT records plus the KeyUpdate that retires it
	min=$((rr / (limit + 1) - 2))
	# a side that closes may send one last KeyUpdate the other no longer reads
	if [ "$tx" -ge "$min" ] && [ "$tx" -ge 8 ] && [ "$rx" -le "$tx" ] && [ "$rx" -ge $((tx - 2)) ] &&
	   [ "$(delta TlsockRxRekeyReceived)" = "$rx" ] &&
	   [ "$(delta TlsockTxRekeyError)" = 0 ] && [ "$(delta TlsockRxRekeyError)" = 0 ] &&
	   [ "$(delta TlsockDecryptError)" = 0 ]; then
		ok "$name: $tx KeyUpdates for $rr records, $rx followed by the reader"
	else
		not_ok "$name: KeyUpdates sent and followed" "$d" "want TxRekeyOk >= $min and >= 8"
	fi
}

# --- 2. interop with unmodified tools ------------------------------------------------
# check_own_rekeys LIMIT MSGFILE PEER DELTAS OK-FORMAT FAIL-NAME: tlsock sent at least one
# KeyUpdate per LIMIT+1 records (and 4 or more), and OpenSSL's -msg log shows every one of them.
check_own_rekeys() {
	local limit=$1 msgfile=$2 who=$3 d=$4 kus tx rr

	kus=$(grep -c '^<<< TLS 1.3, Handshake .*KeyUpdate' "$msgfile")
	tx=$(delta TlsockTxRekeyOk)
	rr=$(delta TlsockTxRecords)
	if [ "$tx" -ge $((rr / (limit + 1) - 1)) ] && [ "$tx" -ge 4 ] && [ "$kus" = "$tx" ]; then
		# shellcheck disable=SC2059
		ok "$(printf "$5" "$tx" "$rr")"
	else
		not_ok "$6" "KeyUpdates seen by $who: $kus" "$d"
	fi
}

# tlsock client -> openssl s_server (quiet: stdin is data, stdout what arrived)
ossl_server_bulk() {	# NAME VERSION-FLAG EXPECT-VERSION [LIMIT]
	local name=$1 vflag=$2 want=$3 limit=${4:-} rc=0 d
	next_port
	[ -n "$limit" ] && set_rekey "$limit"
	snap
	tool_start os openssl s_server -quiet -naccept 1 -accept $port -cert "$pki/server.pem" \
		-key "$pki/server.key" -CAfile "$pki/ca.pem" -Verify 1 -verify_return_error $vflag \
		-msg -msgfile "$work/os.msg"
	tool_feed "$work/s1"
	if ! wait_for 20 listening $port; then
		tool_close 5
		not_ok "$name" "s_server did not start: $(cat "$work/os.err")"
		return
	fi
	"$peer" client -p $port -P client -n server.test -s "$work/c1" -o "$work/c.$port" \
		-b "$(size "$work/s1")" -c 2048 -i >"$work/cp.$port" 2>&1 || rc=1
	# s_server leaves on our close_notify; its stdin ending earlier would cut it short
	wait_for 60 tool_exited
	tool_close 5 || true
	d=$(deltas)
	if [ $rc = 0 ] && grep -q "version $want" "$work/cp.$port" &&
	   cmp -s "$work/s1" "$work/c.$port" && cmp -s "$work/c1" "$work/os.out"; then
		ok "$name"
	else
		not_ok "$name" "client: $(cat "$work/cp.$port")" "s_server: $(tail -n 5 "$work/os.err")" \
			"received by s_server: $(size "$work/os.out") of $(size "$work/c1")" "$d"
	fi
	[ -z "$limit" ] && return
	check_own_rekeys "$limit" "$work/os.msg" s_server "$d" \
		"rekey_records=$limit: tlsock sent %s KeyUpdates on its own for %s records, s_server took all" \
		"rekey_records=$limit: tlsock sends KeyUpdates on its own, s_server takes them"
}

# openssl s_client -> tlsock server (quiet: -ign_eof, stdin is data)
ossl_client_bulk() {	# NAME VERSION-FLAG PROFILE EXPECT-VERSION [LIMIT [SERVER-EXTRA...]]
	local name=$1 vflag=$2 prof=$3 want=$4 limit=${5:-} rc=0 sp d
	shift 5 2>/dev/null || shift $#
	next_port
	[ -n "$limit" ] && set_rekey "$limit"
	snap
	"$peer" server -p $port -r "$work/ready.$port" -P "$prof" -s "$work/s1" \
		-o "$work/s.$port" -b "$(size "$cdata")" -i "$@" >"$work/sp.$port" 2>&1 &
	sp=$!
	if ! wait_for 20 test -e "$work/ready.$port"; then
		kill $sp 2>/dev/null
		not_ok "$name" "server did not start: $(cat "$work/sp.$port")"
		return
	fi
	timeout -k 5 300 openssl s_client -quiet -connect 127.0.0.1:$port -servername server.test \
		-verify_hostname server.test -CAfile "$pki/ca.pem" -verify_return_error \
		-cert "$pki/client.pem" -key "$pki/client.key" $vflag -msg -msgfile "$work/oc.msg" \
		<"$cdata" >"$work/oc.out" 2>"$work/oc.err" || rc=1
	wait $sp || rc=1
	d=$(deltas)
	if [ $rc = 0 ] && grep -q "version $want" "$work/sp.$port" &&
	   cmp -s "$cdata" "$work/s.$port" && cmp -s "$work/s1" "$work/oc.out"; then
		ok "$name"
	else
		not_ok "$name" "server: $(cat "$work/sp.$port")" "s_client: $(tail -n 5 "$work/oc.err")" \
			"received by s_client: $(size "$work/oc.out") of $(size "$work/s1")" "$d"
	fi
	[ -z "$limit" ] && return
	check_own_rekeys "$limit" "$work/oc.msg" s_client "$d" \
		"rekey_records=$limit, one send() of $(size "$work/s1") bytes: %s KeyUpdates for %s records, s_client took all" \
		"rekey_records=$limit, one large send(): a KeyUpdate every $limit records"
}

# tlsock client -> gnutls-serv --echo
gnutls_server_echo() {	# NAME PRIORITY EXPECT-VERSION
	local name=$1 prio=$2 want=$3 gpid rc=0
	next_port
	snap
	gnutls-serv --echo -p $port --x509certfile "$pki/server.pem" --x509keyfile "$pki/server.key" \
		--x509cafile "$pki/ca.pem" --require-client-cert --priority="$prio" \
		>"$work/gs.$port" 2>&1 &
	gpid=$!
	if ! wait_for 20 listening $port; then
		kill $gpid 2>/dev/null
		not_ok "$name" "gnutls-serv did not start: $(cat "$work/gs.$port")"
		return
	fi
	"$peer" client -p $port -P client -n server.test -s "$work/c1" -o "$work/c.$port" \
		-b "$(size "$work/c1")" -i >"$work/cp.$port" 2>&1 || rc=1
	kill $gpid 2>/dev/null
	wait $gpid 2>/dev/null
	if [ $rc = 0 ] && grep -q "version $want" "$work/cp.$port" &&
	   cmp -s "$work/c1" "$work/c.$port"; then
		ok "$name"
	else
		not_ok "$name" "client: $(cat "$work/cp.$port")" "gnutls-serv: $(tail -n 5 "$work/gs.$port")"
	fi
}

# gnutls-cli -> tlsock server; gnutls-cli's stdin stays open until the server is done
gnutls_client_bulk() {	# NAME PRIORITY PROFILE EXPECT-VERSION
	local name=$1 prio=$2 prof=$3 want=$4 sp rc=0
	next_port
	"$peer" server -p $port -r "$work/ready.$port" -P "$prof" -s "$work/s1" \
		-o "$work/s.$port" -b "$(size "$work/c1")" -i >"$work/sp.$port" 2>&1 &
	sp=$!
	if ! wait_for 20 test -e "$work/ready.$port"; then
		kill $sp 2>/dev/null
		not_ok "$name" "server did not start: $(cat "$work/sp.$port")"
		return
	fi
	tool_start gc gnutls-cli -p $port --x509cafile "$pki/ca.pem" --x509certfile "$pki/client.pem" \
		--x509keyfile "$pki/client.key" --verify-hostname server.test --priority="$prio" \
		--logfile="$work/gc.log" 127.0.0.1
	tool_feed "$work/c1"
	wait $sp || rc=1
	wait_for 60 tool_exited
	tool_close 5 || true
	if [ $rc = 0 ] && grep -q "version $want" "$work/sp.$port" &&
	   cmp -s "$work/c1" "$work/s.$port" && cmp -s "$work/s1" "$work/gc.out"; then
		ok "$name"
	else
		not_ok "$name" "server: $(cat "$work/sp.$port")" "gnutls-cli: $(tail -n 5 "$work/gc.log")" \
			"received by gnutls-cli: $(size "$work/gc.out") of $(size "$work/s1")"
	fi
}

# --- 3. KeyUpdates started by the peer ----------------------------------------------------
# Lines go to the tool one at a time: OpenSSL takes a command only when the
# letter is alone in what one read() returns, so each step waits for its effect.
seen() {	# seen FILE PATTERN [COUNT]: PATTERN occurs at least COUNT times in FILE
	[ "$(grep -c -- "$2" "$1" 2>/dev/null)" -ge "${3:-1}" ]
}

# openssl s_client (interactive) -> tlsock server echoing
ossl_client_ku() {
	local sp total d ok1=1 ok2=1 ok3=1 base
	next_port
	set_rekey 16777216
	total=$(( ${#L1} + ${#L2} + ${#L3} + 3 ))
	"$peer" server -p $port -r "$work/ready.$port" -P server -e -b $total -i \
		>"$work/sp.$port" 2>&1 &
	sp=$!
	wait_for 20 test -e "$work/ready.$port"
	snap
	tool_start ok openssl s_client -connect 127.0.0.1:$port -servername server.test \
		-verify_hostname server.test -CAfile "$pki/ca.pem" -verify_return_error \
		-cert "$pki/client.pem" -key "$pki/client.key" -tls1_3 -msg -msgfile "$work/ok.msg"
	tool_say "$L1"
	wait_for 60 seen "$work/ok.out" "$L1" || ok1=0
	tool_say k
	wait_for 30 seen "$work/ok.err" '^KEYUPDATE' || ok1=0
	tool_say "$L2"
	wait_for 60 seen "$work/ok.out" "$L2" || ok1=0
	if [ $ok1 = 1 ] && [ "$(delta TlsockRxRekeyOk)" = 1 ] && [ "$(delta TlsockTxRekeyOk)" = 0 ] &&
	   seen "$work/ok.msg" '^>>> TLS 1.3, Handshake .*KeyUpdate'; then
		ok "s_client 'k': tlsock follows OpenSSL's new key, data before and after intact"
	else
		not_ok "s_client 'k': tlsock follows OpenSSL's new key" "$(deltas)" \
			"s_client running: $(kill -0 $tool_pid 2>&1 && echo yes)" \
			"$(cat "$work/ok.err")" "$(tail -n 5 "$work/ok.out")" \
			"$(grep -i -E 'alert|keyupdate' "$work/ok.msg")" "$(cat "$work/sp.$port")"
	fi
	base=$(grep -c '^<<< TLS 1.3, Handshake .*KeyUpdate' "$work/ok.msg")
	tool_say K
	wait_for 30 seen "$work/ok.err" '^KEYUPDATE' 2 || ok2=0
	tool_say "$L3"
	wait_for 60 seen "$work/ok.out" "$L3" || ok2=0
	if [ $ok2 = 1 ] && [ "$(delta TlsockRxRekeyOk)" = 2 ] && [ "$(delta TlsockTxRekeyOk)" = 1 ] &&
	   seen "$work/ok.msg" '^<<< TLS 1.3, Handshake .*KeyUpdate' $((base + 1)); then
		ok "s_client 'K': tlsock answers with its own KeyUpdate, s_client decrypts our data after it"
	else
		not_ok "s_client 'K': tlsock answers with its own KeyUpdate" "$(deltas)" \
			"$(tail -n 5 "$work/ok.err")" "$(cat "$work/sp.$port")"
	fi
	wait $sp || ok3=0
	tool_close 30 || true
	d=$(deltas)
	if [ $ok3 = 1 ] && grep -q 'version 1.3' "$work/sp.$port" &&
	   [ "$(delta TlsockDecryptError)" = 0 ] && seen "$work/ok.msg" 'Alert.*close_notify'; then
		ok "s_client KeyUpdate session: every byte echoed, close_notify at the end"
	else
		not_ok "s_client KeyUpdate session ends cleanly" "$d" "$(cat "$work/sp.$port")"
	fi
}

# tlsock client echoing -> openssl s_server (interactive)
ossl_server_ku() {
	local total ok1=1 ok2=1 cp rc=0 base
	next_port
	set_rekey 16777216
	total=$(( ${#L1} + ${#L2} + ${#L3} + 3 ))
	snap
	tool_start oks openssl s_server -naccept 1 -accept $port -cert "$pki/server.pem" \
		-key "$pki/server.key" -CAfile "$pki/ca.pem" -Verify 1 -verify_return_error -tls1_3 \
		-msg -msgfile "$work/oks.msg"
	if ! wait_for 20 listening $port; then
		tool_close 5
		not_ok "s_server 'k'" "s_server did not start: $(cat "$work/oks.err")"
		not_ok "s_server 'K'"
		return
	fi
	"$peer" client -p $port -P client -n server.test -e -b $total -i >"$work/cp.$port" 2>&1 &
	cp=$!
	wait_for 60 seen "$work/oks.out" '^CIPHER is' || ok1=0
	tool_say "$L1"
	wait_for 60 seen "$work/oks.out" "$L1" || ok1=0
	tool_say k
	wait_for 10 seen "$work/oks.msg" '^>>> TLS 1.3, Handshake .*KeyUpdate' || sleep 1
	tool_say "$L2"
	wait_for 60 seen "$work/oks.out" "$L2" || ok1=0
	if [ $ok1 = 1 ] && [ "$(delta TlsockRxRekeyOk)" = 1 ] && [ "$(delta TlsockTxRekeyOk)" = 0 ]
	then
		ok "s_server 'k': tlsock client follows OpenSSL's new key, data intact"
	else
		not_ok "s_server 'k': tlsock client follows OpenSSL's new key" "$(deltas)" \
			"$(tail -n 8 "$work/oks.out")" "$(cat "$work/cp.$port")"
	fi
	base=$(grep -c '^<<< TLS 1.3, Handshake .*KeyUpdate' "$work/oks.msg")
	tool_say K
	wait_for 10 seen "$work/oks.msg" '^>>> TLS 1.3, Handshake .*KeyUpdate' 2 || sleep 1
	tool_say "$L3"
	wait_for 60 seen "$work/oks.out" "$L3" || ok2=0
	wait $cp || rc=1
	tool_close 30 || true
	if [ $ok2 = 1 ] && [ $rc = 0 ] && [ "$(delta TlsockRxRekeyOk)" = 2 ] &&
	   [ "$(delta TlsockTxRekeyOk)" = 1 ] &&
	   seen "$work/oks.msg" '^<<< TLS 1.3, Handshake .*KeyUpdate' $((base + 1)); then
		ok "s_server 'K': tlsock client answers with its own KeyUpdate, s_server decrypts after it"
	else
		not_ok "s_server 'K': tlsock client answers with its own KeyUpdate" "$(deltas)" \
			"$(tail -n 8 "$work/oks.out")" "$(cat "$work/cp.$port")"
	fi
}

# gnutls-cli --inline-commands: ^rekey1^ (own key only), ^rekey^ (asks the peer too)
gnutls_client_ku() {
	local sp total ok1=1 ok2=1 rc=0
	next_port
	set_rekey 16777216
	total=$(( ${#L1} + ${#L2} + ${#L3} + 3 ))
	"$peer" server -p $port -r "$work/ready.$port" -P server -e -b $total -i \
		>"$work/sp.$port" 2>&1 &
	sp=$!
	wait_for 20 test -e "$work/ready.$port"
	snap
	tool_start gk stdbuf -oL gnutls-cli -p $port --x509cafile "$pki/ca.pem" --x509certfile "$pki/client.pem" \
		--x509keyfile "$pki/client.key" --verify-hostname server.test --priority="$TLS13" \
		--inline-commands 127.0.0.1
	tool_say "$L1"
	wait_for 60 seen "$work/gk.out" "$L1" || ok1=0
	tool_say '^rekey1^'
	wait_for 30 seen "$work/gk.out" 'Rekey was completed' || ok1=0
	tool_say "$L2"
	wait_for 60 seen "$work/gk.out" "$L2" || ok1=0
	if [ $ok1 = 1 ] && [ "$(delta TlsockRxRekeyOk)" = 1 ] && [ "$(delta TlsockTxRekeyOk)" = 0 ]
	then
		ok "gnutls-cli ^rekey1^: tlsock follows GnuTLS's new key, data intact"
	else
		not_ok "gnutls-cli ^rekey1^: tlsock follows GnuTLS's new key" "$(deltas)" \
			"$(tail -n 5 "$work/gk.out")" "$(cat "$work/sp.$port")"
	fi
	tool_say '^rekey^'
	wait_for 30 seen "$work/gk.out" 'Rekey was completed' 2 || ok2=0
	tool_say "$L3"
	wait_for 60 seen "$work/gk.out" "$L3" || ok2=0
	wait $sp || rc=1
	tool_close 30 || true
	if [ $ok2 = 1 ] && [ $rc = 0 ] && [ "$(delta TlsockRxRekeyOk)" = 2 ] &&
	   [ "$(delta TlsockTxRekeyOk)" = 1 ]; then
		ok "gnutls-cli ^rekey^: tlsock answers with its own KeyUpdate, gnutls-cli decrypts after it"
	else
		not_ok "gnutls-cli ^rekey^: tlsock answers with its own KeyUpdate" "$(deltas)" \
			"$(tail -n 5 "$work/gk.out")" "$(cat "$work/sp.$port")"
	fi
}

# --- 5. TLS 1.2 renegotiation refused ---------------------------------------------------------
ossl_client_reneg() {
	local sp ok1=1 hellos
	next_port
	"$peer" server -p $port -r "$work/ready.$port" -P server12 -e -i -x ECONNRESET \
		>"$work/sp.$port" 2>&1 &
	sp=$!
	wait_for 20 test -e "$work/ready.$port"
	tool_start orn openssl s_client -connect 127.0.0.1:$port -servername server.test \
		-verify_hostname server.test -CAfile "$pki/ca.pem" -verify_return_error \
		-cert "$pki/client.pem" -key "$pki/client.key" -tls1_2 -msg -msgfile "$work/orn.msg"
	tool_say "$L1"
	wait_for 60 seen "$work/orn.out" "$L1" || ok1=0
	tool_say R
	wait_for 60 tool_exited || ok1=0
	tool_close 5 || true
	hellos=$(grep -c '^<<< TLS 1.2, Handshake .*ServerHello$' "$work/orn.msg")
	if [ $ok1 = 1 ] && seen "$work/orn.err" '^RENEGOTIATING' &&
	   seen "$work/orn.msg" '^<<< TLS 1.2, Alert .*warning no_renegotiation' &&
	   [ "$hellos" = 1 ]; then
		ok "s_client 'R' over TLS 1.2: refused with a no_renegotiation alert, no second handshake"
	else
		not_ok "s_client 'R' over TLS 1.2: refused with no_renegotiation" \
			"ServerHellos: $hellos" "$(grep -i alert "$work/orn.msg")" \
			"$(tail -n 5 "$work/orn.err")"
	fi
	if wait $sp && grep -q 'version 1.2' "$work/sp.$port"; then
		ok "tlsock server: OpenSSL's fatal alert after the refusal fails the socket (ECONNRESET)"
	else
		not_ok "tlsock server: OpenSSL's fatal alert after the refusal fails the socket" \
			"$(cat "$work/sp.$port")"
	fi
}

ossl_server_reneg() {
	local cp ok1=1
	next_port
	tool_start orns openssl s_server -naccept 1 -accept $port -cert "$pki/server.pem" \
		-key "$pki/server.key" -CAfile "$pki/ca.pem" -Verify 1 -verify_return_error -tls1_2 \
		-msg -msgfile "$work/orns.msg"
	if ! wait_for 20 listening $port; then
		tool_close 5
		not_ok "s_server 'r' over TLS 1.2" "s_server did not start: $(cat "$work/orns.err")"
		return
	fi
	"$peer" client -p $port -P client -n server.test -e -i -x ECONNRESET \
		>"$work/cp.$port" 2>&1 &
	cp=$!
	wait_for 60 seen "$work/orns.out" '^CIPHER is' || ok1=0
	tool_say "$L1"
	wait_for 60 seen "$work/orns.out" "$L1" || ok1=0
	tool_say r
	wait_for 60 sh -c "! kill -0 $cp" || ok1=0
	wait $cp || ok1=0
	tool_close 30 || true
	if [ $ok1 = 1 ] && grep -q 'version 1.2' "$work/cp.$port" &&
	   seen "$work/orns.msg" '^>>> TLS 1.2, Handshake .*HelloRequest' &&
	   seen "$work/orns.msg" '^<<< TLS 1.2, Alert .*warning no_renegotiation' &&
	   [ "$(grep -c '^<<< .*Handshake .*ClientHello' "$work/orns.msg")" = 1 ]; then
		ok "s_server 'r' over TLS 1.2: HelloRequest answered with no_renegotiation, no ClientHello"
	else
		not_ok "s_server 'r' over TLS 1.2: HelloRequest answered with no_renegotiation" \
			"$(grep -i -E 'alert|hello' "$work/orns.msg")" "$(cat "$work/cp.$port")"
	fi
}

# gnutls-cli retries the handshake after the warning, then gives up
gnutls_client_reneg() {
	local sp ok1=1
	next_port
	"$peer" server -p $port -r "$work/ready.$port" -P server12 -e -i -x ECONNRESET,eof \
		>"$work/sp.$port" 2>&1 &
	sp=$!
	wait_for 20 test -e "$work/ready.$port"
	tool_start grn stdbuf -oL gnutls-cli -p $port --x509cafile "$pki/ca.pem" \
		--x509certfile "$pki/client.pem" --x509keyfile "$pki/client.key" \
		--verify-hostname server.test --priority="$TLS12" --inline-commands 127.0.0.1
	tool_say "$L1"
	wait_for 60 seen "$work/grn.out" "$L1" || ok1=0
	tool_say '^renegotiate^'
	wait_for 60 seen "$work/grn.out" 'Received alert \[100\]' || ok1=0
	wait_for 60 tool_exited || ok1=0
	tool_close 5 || true
	wait $sp || ok1=0
	if [ $ok1 = 1 ] && grep -q 'version 1.2' "$work/sp.$port" &&
	   ! grep -q -i 'rehandshake was completed' "$work/grn.out"; then
		ok "gnutls-cli ^renegotiate^ over TLS 1.2: no_renegotiation, never completed"
	else
		not_ok "gnutls-cli ^renegotiate^ over TLS 1.2: refused with no_renegotiation" \
			"alerts: $(grep -c 'Received alert' "$work/grn.out")" \
			"$(grep -v 'Received alert' "$work/grn.out" | tail -n 8)" "$(cat "$work/sp.$port")"
	fi
}

# --- the tests ------------------------------------------------------------------------------
# TLSOCK_SESSION_ONLY="GROUP..." (rekey interop peer_ku limit reneg) runs a subset
# while developing; the plan line then comes last.
only=${TLSOCK_SESSION_ONLY:-}
want() {
	[ -z "$only" ] || [[ " $only " == *" $1 "* ]]
}

echo "TAP version 13"
[ -z "$only" ] && echo "1..$plan"

[ "$(id -u)" = 0 ] || bail "running as root"
[ -x "$tlsockd" ] && [ -x "$tlsockctl" ] && [ -x "$peer" ] ||
	bail "programs built" "missing tlsockd, tlsockctl or sess_peer: run make"
for t in openssl gnutls-cli gnutls-serv certtool ss; do
	command -v $t >/dev/null || bail "tools installed" "$t missing (selftests/vm/install-deps.sh)"
done
ip link set lo up 2>/dev/null
if [ -w "$param/rekey_records" ] && out=$("$tlsockctl" status 2>&1); then
	saved_rekey=$(cat "$param/rekey_records")
	ok "tlsock.ko loaded, rekey_records writable (now $saved_rekey)"
else
	bail "tlsock.ko loaded, rekey_records writable" "${out:-no $param/rekey_records}"
fi
if "$tlsockctl" status | grep -q '^daemon: listening'; then
	bail "no other tlsockd runs in this namespace"
fi
mkpki "tlsock session CA" || bail "test PKI generated with certtool"
mkconf
start_daemon || bail "tlsockd starts" "$(tail -n 20 "$work/tlsockd.log")"
ok "tlsockd starts with the test PKI"

mkdata "$work/m1" 1048576
mkdata "$work/m2" 1048576
mkdata "$work/c1" 262144
mkdata "$work/s1" 262144
mkdata "$work/big" 1048576
mkdata "$work/c-small" 4096
cdata=$work/c1
L1="before-$RANDOM-$RANDOM"
L2="after-first-$RANDOM-$RANDOM"
L3="after-second-$RANDOM-$RANDOM"

# 1. both ends tlsock: 1 MiB each way at once, small record limits
if want rekey; then
	pair_rekey "tlsock<->tlsock, rekey_records=16, 4 KiB sends" 16 -c 4096
	pair_rekey "tlsock<->tlsock, rekey_records=4, 1 KiB sends" 4 -c 1024
	pair_rekey "tlsock<->tlsock, rekey_records=4, client sends 1 MiB in one send()" 4 -1
	set_rekey 16777216
fi

# 2. interop, both roles, TLS 1.3 and 1.2, data both ways
if want interop; then
	ossl_server_bulk "tlsock client -> openssl s_server, TLS 1.3, 256 KiB each way" -tls1_3 1.3
	ossl_server_bulk "tlsock client -> openssl s_server, TLS 1.2, 256 KiB each way" -tls1_2 1.2
	ossl_client_bulk "openssl s_client -> tlsock server, TLS 1.3, 256 KiB each way" -tls1_3 server 1.3
	ossl_client_bulk "openssl s_client -> tlsock server, TLS 1.2, 256 KiB each way" -tls1_2 server 1.2
	gnutls_server_echo "tlsock client -> gnutls-serv --echo, TLS 1.3, 256 KiB echoed" "$TLS13" 1.3
	gnutls_server_echo "tlsock client -> gnutls-serv --echo, TLS 1.2, 256 KiB echoed" "$TLS12" 1.2
	gnutls_client_bulk "gnutls-cli -> tlsock server, TLS 1.3, 256 KiB each way" "$TLS13" server 1.3
	gnutls_client_bulk "gnutls-cli -> tlsock server, TLS 1.2, 256 KiB each way" "$TLS12" server 1.2
fi

# 3. KeyUpdates started by the peer
if want peer_ku; then
	ossl_client_ku
	ossl_server_ku
	gnutls_client_ku
fi

# 4. rekey_records: tlsock rekeys on its own, the unmodified peer keeps reading
if want limit; then
	ossl_server_bulk "tlsock client -> s_server, rekey_records=8, 2 KiB sends: data intact" \
		-tls1_3 1.3 8
	# s_client writes only a little meanwhile: the server reads nothing during its send()
	cp "$work/big" "$work/s1"
	cdata=$work/c-small
	ossl_client_bulk "s_client -> tlsock server, rekey_records=8, server sends 1 MiB in one send(): data intact" \
		-tls1_3 server 1.3 8 -1
	mkdata "$work/s1" 262144
	cdata=$work/c1
	set_rekey 16777216
fi

# 5. TLS 1.2 renegotiation refused
if want reneg; then
	ossl_client_reneg
	ossl_server_reneg
	gnutls_client_reneg
fi

# the whole run
if [ "$(sed -n 's/^TlsockTxRekeyError[[:space:]]*//p' /proc/net/tlsock_stat)" = 0 ] &&
   [ "$(sed -n 's/^TlsockRxRekeyError[[:space:]]*//p' /proc/net/tlsock_stat)" = 0 ]; then
	ok "no rekey errors in /proc/net/tlsock_stat"
else
	not_ok "no rekey errors in /proc/net/tlsock_stat" "$(cat /proc/net/tlsock_stat)"
fi
if [ "$("$tlsockctl" status | sed -n 's/^handshakes: \([0-9]*\) pending, \([0-9]*\) in progress.*/\1 \2/p')" = "0 0" ]; then
	ok "no handshake left pending"
else
	not_ok "no handshake left pending" "$("$tlsockctl" status)"
fi

[ -n "$only" ] && plan=$n && echo "1..$n"
[ $n = $plan ] || echo "# planned $plan tests, ran $n"
[ $failed = 0 ] && [ $n = $plan ]
