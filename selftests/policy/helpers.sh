# SPDX-License-Identifier: GPL-2.0
#
# Helpers of the policy suite's scripts (sourced, not run): run-suite.sh and hostile.sh. The
# caller sources ../lib/tlsenv.sh and ../lib/tap.sh first and sets work, netns, cg, verbose,
# server, tlscap, n, failed and plan; cleanup is its EXIT trap.

saved_params=()

# set_param NAME VALUE: a tlsock.ko parameter until cleanup (which puts the old value back)
set_param() {
	saved_params+=("$1=$(cat "$param/$1")")
	echo "$2" >"$param/$1"
}

restore_params() {
	local i kv

	for ((i = ${#saved_params[@]} - 1; i >= 0; i--)); do
		kv=${saved_params[$i]}
		echo "${kv#*=}" >"$param/${kv%%=*}"
	done
	saved_params=()
}

cleanup() {
	[ -n "$cap_pid" ] && kill "$cap_pid" 2>/dev/null
	restore_params
	"$tlsockctl" policy del all >/dev/null 2>&1
	"$tlsockctl" hooks detach >/dev/null 2>&1
	[ -n "$dpid" ] && kill -CONT "$dpid" 2>/dev/null
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	jobs -p | xargs -r kill 2>/dev/null
	wait 2>/dev/null
	ip netns del "$netns" 2>/dev/null
	[ -d "$cg.a" ] && rmdir "$cg.a" 2>/dev/null
	[ -d "$cg.b" ] && rmdir "$cg.b" 2>/dev/null
	if [ $verbose = 1 ] || [ $failed != 0 ]; then
		sed 's/^/# tlsockd: /' "$work/tlsockd.log" 2>/dev/null | tail -n 40
	fi
	rm -rf "$work"
}


# check NAME EXPECTED ACTUAL [DETAIL...]: ok when ACTUAL is EXPECTED
check() {
	local name=$1 want=$2 got=$3
	shift 3
	if [ "$got" = "$want" ]; then
		ok "$name"
	else
		not_ok "$name" "expected: $want" "got: $got" "$@"
	fi
}


port=23000
next_port() {
	port=$((port + 1))
}

pki=$work/pki

mkconf() {
	cat >"$work/tlsockd.conf" <<-EOF2
	[daemon]
	workers = 4
	log = stderr

	[profile client]
	cert = $pki/client.pem
	key = $pki/client.key
	ca = $pki/ca.pem

	[profile server]
	cert = $pki/server.pem
	key = $pki/server.key
	ca = $pki/ca.pem
	client_auth = require
	EOF2
}

# --- capture of one port on lo ------------------------------------------------------
cap_start() {	# cap_start PORT: tcpdump on lo until cap_check
	rm -f "$work/cap.pcap" "$work/cap.err"
	tcpdump -i lo --immediate-mode -U -s 0 -w "$work/cap.pcap" "tcp port $1" 2>"$work/cap.err" &
	cap_pid=$!
	wait_for 10 grep -q "listening on" "$work/cap.err"
}

cap_check() {	# cap_check PORT MARKER...: stop the capture; prints tlscap.py's verdict
	local p=$1
	shift
	sleep 0.5
	kill "$cap_pid" 2>/dev/null
	wait "$cap_pid" 2>/dev/null
	cap_pid=
	python3 "$tlscap" "$work/cap.pcap" "$p" "$@"
}

# s_server PORT [EXTRA...]: openssl's server, mutual TLS, reverses lines (-rev), until killed
s_server() {
	local p=$1
	shift
	(openssl s_server -accept "$p" -rev -cert "$pki/server.pem" \
		-key "$pki/server.key" -CAfile "$pki/ca.pem" -Verify 1 -verify_return_error \
		"$@" </dev/null >"$work/s_server.$p" 2>&1) &
	wait_for 10 listening "$p"
}

# py_server [--netns NS] ARGS...: tls_server.py on $port with ARGS, logging to $work/srv.$port,
# in the background until it listens
py_server() {
	local pre=()

	if [ "$1" = --netns ]; then
		pre=(ip netns exec "$2")
		shift 2
	fi
	"${pre[@]}" python3 "$server" --port $port --ready "$work/ready.$port" \
		--log "$work/srv.$port" "$@" &
	wait_for 10 test -e "$work/ready.$port"
}

rule_counter() {	# rule_counter ID WORD: the number after WORD in rule ID's counter line
	"$tlsockctl" policy list | grep -A 1 "^$1: " | tail -n 1 | sed -n "s/.* $2 \([0-9]*\).*/\1/p"
}

