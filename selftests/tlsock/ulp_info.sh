#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `ss -ti` shows a configured tlsock socket as "tcp-ulp-tlsock" with its version, cipher and
# direction states (the same attributes the kernel's tls ULP reports, so ss decodes them).
# The cipher names checked are the ones iproute2 knows; tlsock_test's stats.diag_info checks
# every cipher through INET_DIAG directly.

set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

fail() {
	echo "FAIL: $*"
	exit 1
}

command -v ss >/dev/null || fail "ss (iproute2) not found"

# expect PORT WORD...: the ss line of the socket bound to PORT has every WORD, in order
expect() {
	local port=$1 out re
	shift
	out=$(ss -tinH state established "( sport = :$port )" | tr -s ' \t\n' ' ')
	echo "port $port: $out"
	re=$(printf '%s.*' "$@")
	[[ $out =~ ${re%.\*} ]] || fail "ss shows no \"$*\" for port $port"
}

hold_start h tlsock:1.3:aes-gcm-256 tlsock:1.2:aes-gcm-128 tlsock:1.2:chacha20-poly1305 \
	tlsock/tls:1.3:aes-gcm-128 || fail "cannot hold sockets"
hold_check h || fail "exchange failed"
# shellcheck disable=SC2154 # set by hold_start
expect "${h_ports[0]}" tcp-ulp-tlsock "version: 1.3" "cipher: aes-gcm-256" "rxconf: sw" \
	"txconf: sw"
expect "${h_ports[1]}" tcp-ulp-tlsock "version: 1.2" "cipher: aes-gcm-128" "rxconf: sw" \
	"txconf: sw"
expect "${h_ports[2]}" tcp-ulp-tlsock "version: 1.2" "rxconf: sw" "txconf: sw"
expect "${h_ports[3]}" tcp-ulp-tlsock "version: 1.3" "cipher: aes-gcm-128"
hold_stop h
echo "ss shows tlsock's ULP information"
