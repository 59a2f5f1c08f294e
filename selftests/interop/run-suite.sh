#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Interop suite: tlsock's record layer against unmodified TLS stacks.
#
# ktls_peer runs the handshake with GnuTLS in userspace and hands the keys to the kernel through
# SOL_TLS (TCP ULP "tlsock"); from then on the kernel frames, seals, parses and opens every record.
# Its peers are stock `openssl s_server`, `gnutls-serv`, `openssl s_client` and `gnutls-cli`.
# Every case checks the bytes end to end in both directions: ktls_peer verifies what it receives
# against a deterministic pattern, and the peer's output is compared with the pattern it was sent.
#
# Runs as root in the test VM with tlsock.ko loaded; prints TAP.  Fails (does not skip) when tlsock
# is not loaded.  Cases with mainline kTLS (ULP "tls") run last, only if the tls module loads, as a
# reference for the test program itself: the tlsock cases run before this suite loads tls, and
# the module is unloaded again at exit if this suite loaded it.
#
# Environment:
#   KTLS_PEER=path         ktls_peer binary (default: next to this script; build with make)
#   INTEROP_TIMEOUT=sec    bound on each process of a case (default 60)
#   INTEROP_FILTER=regex   run only the cases whose name matches (others are reported as skipped)
#   INTEROP_ULP=none       development only: run the tlsock cases with GnuTLS' userspace record
#                          layer instead (no kernel needed); the module check is then skipped

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
peer=${KTLS_PEER:-$here/ktls_peer}
tmo=${INTEROP_TIMEOUT:-60}
filter=${INTEROP_FILTER:-}
ulp_main=${INTEROP_ULP:-tlsock}

versions=(1.2 1.3)
ciphers=(aes-128-gcm aes-256-gcm chacha20-poly1305 aes-128-ccm)

tmp=
pids=()
tls_loaded_here=0

# end whatever a case left running
reap()
{
	local p

	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null
	done
	pids=()
}

cleanup()
{
	reap
	if [ "$tls_loaded_here" = 1 ]; then
		modprobe -r tls 2>/dev/null
	fi
	if [ -n "$tmp" ]; then
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT

# ---- helpers ---------------------------------------------------------------------------------

# deadline helpers: every wait below is bounded
deadline_after() { echo $((SECONDS + $1)); }

# listening on TCP port $1 (IPv4 or IPv6), from /proc: needs no ss/netstat
port_listening()
{
	local hex

	hex=$(printf '%04X' "$1")
	grep -Eq "^ *[0-9]+: [0-9A-F]+:$hex [0-9A-F]+:0000 0A " \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null
}

port_in_use()
{
	local hex

	hex=$(printf '%04X' "$1")
	grep -Eq "^ *[0-9]+: [0-9A-F]+:$hex " /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

next_port=$((20000 + $$ % 20000))
# sets $port to a TCP port nobody uses
pick_port()
{
	while port_in_use "$next_port"; do
		next_port=$((next_port + 1))
	done
	port=$next_port
	next_port=$((next_port + 1))
}

# wait until port $1 listens, giving up if pid $2 exits or after $tmo seconds
wait_listen()
{
	local end

	end=$(deadline_after "$tmo")
	until port_listening "$1"; do
		if ! kill -0 "$2" 2>/dev/null; then
			echo "server exited before listening on port $1"
			return 1
		fi
		if [ "$SECONDS" -ge "$end" ]; then
			echo "port $1 not listening after ${tmo}s"
			return 1
		fi
		sleep 0.05
	done
}

file_size() { stat -c %s "$1" 2>/dev/null || echo 0; }

# Feed file $1 to a peer's stdin and keep stdin open until the peer has written $2 bytes to file
# $3 (or pid $4 exited, or the timeout): stock s_server ends the session when its stdin ends.
feed_and_hold()
{
	local end

	cat "$1" || return 1
	end=$(deadline_after "$tmo")
	while [ "$(file_size "$3")" -lt "$2" ] && kill -0 "$4" 2>/dev/null &&
	      [ "$SECONDS" -lt "$end" ]; do
		sleep 0.05
	done
}

# start "$@" in the background with stdin, stdout and stderr from/to files $1 $2 $3, bounded by
# the timeout and killed at exit; sets $bg_pid.  The redirections happen in the background child:
# opening a fifo there cannot block the suite.
spawn()
{
	local in=$1 out=$2 err=$3

	shift 3
	timeout "$tmo" "$@" < "$in" > "$out" 2> "$err" &
	bg_pid=$!
	pids+=("$bg_pid")
}

# compare file $1 with $2 bytes of pattern $3
same_as_pattern()
{
	local got

	got=$(file_size "$1")
	if [ "$got" != "$2" ]; then
		echo "$1: $got bytes, expected $2"
		return 1
	fi
	if ! "$peer" gen "$2" "$3" | cmp -s - "$1"; then
		echo "$1: content differs from pattern $3"
		return 1
	fi
}

# TLS 1.3 servers send NewSessionTicket after the handshake: with the kernel's record layer they
# reach ktls_peer as handshake records through TLS_GET_RECORD_TYPE, which it must have skipped
saw_tickets()	# ulp version output-file
{
	[ "$1" != none ] && [ "$2" = 1.3 ] || return 0
	grep -Eq 'skipped [1-9][0-9]* post-handshake' "$3" && return 0
	echo "no post-handshake record reached ktls_peer: TLS_GET_RECORD_TYPE path not exercised"
	return 1
}

# with the "queued" profile, records must have been waiting in the socket at the hand-off
saw_queued()	# profile output-file
{
	[ "$1" = queued ] || return 0
	grep -Eq ': [1-9][0-9]* byte\(s\) queued at hand-off' "$2" && return 0
	echo "nothing was queued in the socket at the hand-off: peer too slow?"
	return 1
}

# ---- peers' cipher names ---------------------------------------------------------------------

ossl_cipher_args()	# version cipher
{
	local v=$1 c=$2

	if [ "$v" = 1.3 ]; then
		case $c in
		aes-128-gcm) echo "-tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256" ;;
		aes-256-gcm) echo "-tls1_3 -ciphersuites TLS_AES_256_GCM_SHA384" ;;
		chacha20-poly1305) echo "-tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256" ;;
		aes-128-ccm) echo "-tls1_3 -ciphersuites TLS_AES_128_CCM_SHA256" ;;
		esac
	else
		case $c in
		aes-128-gcm) echo "-tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256" ;;
		aes-256-gcm) echo "-tls1_2 -cipher ECDHE-ECDSA-AES256-GCM-SHA384" ;;
		chacha20-poly1305) echo "-tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305" ;;
		aes-128-ccm) echo "-tls1_2 -cipher ECDHE-ECDSA-AES128-CCM" ;;
		esac
	fi
}

gnutls_priority()	# version cipher
{
	local p

	case $2 in
	aes-128-gcm) p=AES-128-GCM ;;
	aes-256-gcm) p=AES-256-GCM ;;
	chacha20-poly1305) p=CHACHA20-POLY1305 ;;
	aes-128-ccm) p=AES-128-CCM ;;
	esac
	echo "NORMAL:-VERS-ALL:+VERS-TLS$1:-CIPHER-ALL:+$p"
}

# ---- data profiles: bytes ktls_peer sends, bytes it receives, bytes per send() -----------------

# "queued" waits a second between handshake and hand-off, so that the peer's first records are
# already in the socket when TLS_RX is set: the kernel must take them over from the TCP queue.
profile()	# name -> sets send_len recv_len chunk delay
{
	delay=0
	case $1 in
	small) send_len=1; recv_len=1; chunk=1 ;;
	large) send_len=1048576; recv_len=1048576; chunk=1048576 ;;
	records) send_len=65536; recv_len=65536; chunk=100 ;;
	queued) send_len=65536; recv_len=65536; chunk=65536; delay=1000 ;;
	esac
}

# ---- cases -----------------------------------------------------------------------------------
# Each case runs in its own directory $d, prints diagnostics on stdout and returns non-zero on
# failure.  Seeds differ per direction so that a reflected stream cannot pass for the real one.

# ktls_peer client -> openssl s_server (stdin: what it sends us, stdout: what it got from us)
case_client_openssl()	# ulp version cipher profile host
{
	local ulp=$1 v=$2 c=$3 host=$5 srv rc=0

	profile "$4"
	pick_port
	"$peer" gen "$recv_len" 22 > "$d/to-peer.in" || return 1
	mkfifo "$d/stdin" || return 1
	# shellcheck disable=SC2046
	spawn "$d/stdin" "$d/peer.out" "$d/peer.err" \
		openssl s_server -accept "[$host]:$port" -naccept 1 -quiet \
		-cert "$certs/srv.pem" -key "$certs/srv.key" $(ossl_cipher_args "$v" "$c")
	srv=$bg_pid
	feed_and_hold "$d/to-peer.in" "$send_len" "$d/peer.out" "$srv" > "$d/stdin" &
	pids+=("$!")
	wait_listen "$port" "$srv" || rc=1
	if [ $rc = 0 ]; then
		timeout "$tmo" "$peer" client -H "$host" -p "$port" -u "$ulp" -V "$v" -c "$c" \
			--ca "$certs/ca.pem" --name localhost -t "$tmo" --chunk "$chunk" \
			-s "$send_len" -r "$recv_len" --send-seed 11 --recv-seed 22 \
			--offload-delay "$delay" > "$d/client.out" 2>&1 || rc=1
		cat "$d/client.out"
		[ $rc = 1 ] || saw_tickets "$ulp" "$v" "$d/client.out" || rc=1
		[ $rc = 1 ] || saw_queued "$4" "$d/client.out" || rc=1
	fi
	wait "$srv" 2>/dev/null
	same_as_pattern "$d/peer.out" "$send_len" 11 || rc=1
	[ $rc = 0 ] || sed 's/^/openssl s_server: /' "$d/peer.err" | tail -n 5
	return $rc
}

# ktls_peer client -> gnutls-serv --echo: everything we send comes back re-encrypted by GnuTLS.
# The echo server works on text lines: the patterns are 64-byte lines, so the small profile sends
# one line, one byte per record.
case_client_gnutls()	# ulp version cipher profile host
{
	local ulp=$1 v=$2 c=$3 host=$5 srv rc=0

	profile "$4"
	[ "$send_len" -ge 64 ] || send_len=64
	pick_port
	spawn /dev/null "$d/peer.out" "$d/peer.err" \
		gnutls-serv --echo -p "$port" --x509certfile "$certs/srv.pem" \
		--x509keyfile "$certs/srv.key" --priority "$(gnutls_priority "$v" "$c")"
	srv=$bg_pid
	wait_listen "$port" "$srv" || rc=1
	if [ $rc = 0 ]; then
		timeout "$tmo" "$peer" client -H "$host" -p "$port" -u "$ulp" -V "$v" -c "$c" \
			--ca "$certs/ca.pem" --name localhost -t "$tmo" --chunk "$chunk" --text \
			-s "$send_len" -r "$send_len" --send-seed 33 --recv-seed 33 \
			--offload-delay "$delay" > "$d/client.out" 2>&1 || rc=1
		cat "$d/client.out"
		[ $rc = 1 ] || saw_tickets "$ulp" "$v" "$d/client.out" || rc=1
	fi
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	# our close_notify went out through TLS_SET_RECORD_TYPE: GnuTLS must have seen a clean close
	if grep -q 'non-properly terminated' "$d/peer.out" "$d/peer.err"; then
		echo "gnutls-serv: the connection was closed without close_notify"
		rc=1
	fi
	[ $rc = 0 ] || cat "$d/peer.out" "$d/peer.err" | grep -iE 'error|fail|alert' |
		sed 's/^/gnutls-serv: /' | tail -n 5
	return $rc
}

# start ktls_peer server for a case; sets $srv
start_server()	# ulp version cipher host
{
	spawn /dev/null "$d/server.out" "$d/server.err" \
		"$peer" server -H "$4" -p "$port" -u "$1" -V "$2" -c "$3" -t "$tmo" \
		--cert "$certs/srv.pem" --key "$certs/srv.key" \
		-s "$recv_len" -r "$send_len" --chunk "$chunk" --send-seed 44 --recv-seed 55 \
		--offload-delay "$delay"
	srv=$bg_pid
}

# the peer client's input is held open until it has received everything, like for s_server
case_server_openssl()	# ulp version cipher profile host
{
	local ulp=$1 v=$2 c=$3 host=$5 srv cli rc=0

	profile "$4"
	pick_port
	"$peer" gen "$send_len" 55 > "$d/to-peer.in" || return 1
	mkfifo "$d/stdin" || return 1
	start_server "$ulp" "$v" "$c" "$host"
	wait_listen "$port" "$srv" || rc=1
	if [ $rc = 0 ]; then
		# shellcheck disable=SC2046
		spawn "$d/stdin" "$d/peer.out" "$d/peer.err" \
			openssl s_client -connect "[$host]:$port" -quiet -nocommands \
			-servername localhost -verify_hostname localhost -verify_return_error \
			-CAfile "$certs/ca.pem" $(ossl_cipher_args "$v" "$c")
		cli=$bg_pid
		feed_and_hold "$d/to-peer.in" "$recv_len" "$d/peer.out" "$cli" > "$d/stdin" &
		pids+=("$!")
		wait "$cli" || { echo "openssl s_client exited with $?"; rc=1; }
	fi
	wait "$srv" || rc=1
	cat "$d/server.out" "$d/server.err"
	[ $rc = 1 ] || saw_queued "$4" "$d/server.out" || rc=1
	same_as_pattern "$d/peer.out" "$recv_len" 44 || rc=1
	[ $rc = 0 ] || sed 's/^/openssl s_client: /' "$d/peer.err" | tail -n 5
	return $rc
}

case_server_gnutls()	# ulp version cipher profile host
{
	local ulp=$1 v=$2 c=$3 host=$5 srv cli rc=0

	profile "$4"
	pick_port
	"$peer" gen "$send_len" 55 > "$d/to-peer.in" || return 1
	mkfifo "$d/stdin" || return 1
	start_server "$ulp" "$v" "$c" "$host"
	wait_listen "$port" "$srv" || rc=1
	if [ $rc = 0 ]; then
		spawn "$d/stdin" "$d/peer.out" "$d/peer.err" \
			gnutls-cli --logfile "$d/peer.log" -p "$port" --x509cafile "$certs/ca.pem" \
			--sni-hostname localhost --verify-hostname localhost \
			--priority "$(gnutls_priority "$v" "$c")" "$host"
		cli=$bg_pid
		feed_and_hold "$d/to-peer.in" "$recv_len" "$d/peer.out" "$cli" > "$d/stdin" &
		pids+=("$!")
		wait "$cli" || { echo "gnutls-cli exited with $?"; rc=1; }
	fi
	wait "$srv" || rc=1
	cat "$d/server.out" "$d/server.err"
	[ $rc = 1 ] || saw_queued "$4" "$d/server.out" || rc=1
	same_as_pattern "$d/peer.out" "$recv_len" 44 || rc=1
	[ $rc = 0 ] || cat "$d/peer.log" "$d/peer.err" 2>/dev/null | grep -iE 'error|fail|alert' |
		sed 's/^/gnutls-cli: /' | tail -n 5
	return $rc
}

# ---- plan ------------------------------------------------------------------------------------

names=()
cmds=()
kinds=()	# main | ref

add()		# kind name cmd...
{
	kinds+=("$1")
	names+=("$2")
	cmds+=("${*:3}")
}

# every peer, version and cipher with small and large messages; many small records and records
# queued before the hand-off with one cipher per version; IPv6 once on each side
plan_peer_cases()	# kind ulp
{
	local kind=$1 ulp=$2 v c p

	for v in "${versions[@]}"; do
		for c in "${ciphers[@]}"; do
			p="small large"
			[ "$c" != aes-128-gcm ] || p="$p records queued"
			for p in $p; do
				add "$kind" "$ulp client TLS$v $c to openssl s_server, $p" \
					case_client_openssl "$ulp" "$v" "$c" "$p" 127.0.0.1
				add "$kind" "$ulp client TLS$v $c to gnutls-serv, $p" \
					case_client_gnutls "$ulp" "$v" "$c" "$p" 127.0.0.1
				add "$kind" "$ulp server TLS$v $c for openssl s_client, $p" \
					case_server_openssl "$ulp" "$v" "$c" "$p" 127.0.0.1
				add "$kind" "$ulp server TLS$v $c for gnutls-cli, $p" \
					case_server_gnutls "$ulp" "$v" "$c" "$p" 127.0.0.1
			done
		done
	done
	add "$kind" "$ulp client TLS1.3 aes-128-gcm to openssl s_server over IPv6, large" \
		case_client_openssl "$ulp" 1.3 aes-128-gcm large ::1
	add "$kind" "$ulp server TLS1.2 aes-256-gcm for gnutls-cli over IPv6, large" \
		case_server_gnutls "$ulp" 1.2 aes-256-gcm large ::1
}

# mainline kTLS runs the same program: every version and cipher as a client, one server per version
plan_reference_cases()
{
	local v c

	for v in "${versions[@]}"; do
		for c in "${ciphers[@]}"; do
			add ref "reference: tls client TLS$v $c to openssl s_server, large" \
				case_client_openssl tls "$v" "$c" large 127.0.0.1
		done
		add ref "reference: tls server TLS$v aes-128-gcm for gnutls-cli, large" \
			case_server_gnutls tls "$v" aes-128-gcm large 127.0.0.1
	done
}

plan_peer_cases main "$ulp_main"
plan_reference_cases

# ---- setup -----------------------------------------------------------------------------------

first_case=3
echo "TAP version 13"
echo "1..$((${#names[@]} + first_case - 1))"

fatal_setup()
{
	local i

	echo "not ok 1 - setup: $1"
	echo "# $2"
	echo "not ok 2 - tlsock module loaded # setup failed"
	for i in "${!names[@]}"; do
		echo "not ok $((i + first_case)) - ${names[$i]} # setup failed"
	done
	exit 1
}

tmp=$(mktemp -d /tmp/tlsock-interop.XXXXXX) || fatal_setup "mktemp" "no temporary directory"
certs=$tmp/certs

make_certs()
{
	mkdir -p "$certs" || return 1
	cat > "$certs/ca.tmpl" <<-EOF
		cn = "tlsock interop test CA"
		ca
		cert_signing_key
		expiration_days = 2
	EOF
	cat > "$certs/srv.tmpl" <<-EOF
		cn = "localhost"
		dns_name = "localhost"
		ip_address = "127.0.0.1"
		ip_address = "::1"
		tls_www_server
		signing_key
		encryption_key
		expiration_days = 2
	EOF
	# ECDSA: TLS 1.2 defines AES-128-CCM suites for ECDHE-ECDSA but not for ECDHE-RSA
	certtool --generate-privkey --key-type ecdsa --curve secp256r1 --no-text \
		--outfile "$certs/ca.key" &&
	certtool --generate-self-signed --load-privkey "$certs/ca.key" \
		--template "$certs/ca.tmpl" --outfile "$certs/ca.pem" &&
	certtool --generate-privkey --key-type ecdsa --curve secp256r1 --no-text \
		--outfile "$certs/srv.key" &&
	certtool --generate-certificate --load-privkey "$certs/srv.key" \
		--load-ca-certificate "$certs/ca.pem" --load-ca-privkey "$certs/ca.key" \
		--template "$certs/srv.tmpl" --outfile "$certs/srv.pem"
}

for tool in openssl gnutls-serv gnutls-cli certtool timeout mkfifo cmp stat; do
	command -v "$tool" > /dev/null || fatal_setup "tools" "$tool not found"
done
[ -x "$peer" ] || fatal_setup "ktls_peer" "$peer missing: run make -C $here"
make_certs > "$tmp/certs.log" 2>&1 ||
	fatal_setup "certificates" "$(tail -n 3 "$tmp/certs.log" | tr '\n' ' ')"
echo "ok 1 - setup: ktls_peer, peers and certificates"

passed=1
failed=0
skipped=0

tlsock_loaded=1
if [ "$ulp_main" != tlsock ]; then
	echo "ok 2 - tlsock module loaded # SKIP INTEROP_ULP=$ulp_main (development run)"
	skipped=$((skipped + 1))
elif [ -d /sys/module/tlsock ]; then
	echo "ok 2 - tlsock module loaded"
	passed=$((passed + 1))
else
	tlsock_loaded=0
	echo "not ok 2 - tlsock module loaded"
	failed=$((failed + 1))
fi

# The tls module, when this suite loads it, stays loaded only for the reference cases at the end.
reference=1
ref_why=
ref_ready=0
prepare_reference()
{
	ref_ready=1
	[ -d /sys/module/tls ] && return 0
	if modprobe tls 2>/dev/null && [ -d /sys/module/tls ]; then
		tls_loaded_here=1
		return 0
	fi
	reference=0
	ref_why="tls module not available"
}

# ---- run -------------------------------------------------------------------------------------

for i in "${!names[@]}"; do
	n=$((i + first_case))
	name=${names[$i]}
	if [ -n "$filter" ] && ! [[ $name =~ $filter ]]; then
		echo "ok $n - $name # SKIP filtered out"
		skipped=$((skipped + 1))
		continue
	fi
	if [ "${kinds[$i]}" = main ] && [ "$tlsock_loaded" = 0 ]; then
		echo "not ok $n - $name # tlsock module not loaded"
		failed=$((failed + 1))
		continue
	fi
	if [ "${kinds[$i]}" = ref ]; then
		[ "$ref_ready" = 1 ] || prepare_reference
		if [ "$reference" = 0 ]; then
			echo "ok $n - $name # SKIP $ref_why"
			skipped=$((skipped + 1))
			continue
		fi
	fi
	d=$tmp/case$n
	mkdir -p "$d"
	# shellcheck disable=SC2086
	if ${cmds[$i]} > "$d/diag" 2>&1; then
		echo "ok $n - $name"
		passed=$((passed + 1))
	else
		echo "not ok $n - $name"
		sed 's/^/# /' "$d/diag"
		failed=$((failed + 1))
	fi
	reap
	rm -rf "$d"
done

echo "# interop: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
