# SPDX-License-Identifier: GPL-2.0
#
# Shell helpers for scripts that run tlsockd against a test PKI (sourced, not run).
# Sets top (the checkout), tlsockd, tlsockctl (the tree's programs) and param (tlsock.ko's
# parameters). The caller sets work, a private scratch directory (mktemp -d), before it calls
# the helpers. start_daemon sets dpid, the daemon's pid; the daemon logs to $work/tlsockd.log.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tlsockd=$top/daemon/tlsockd
tlsockctl=$top/daemon/tlsockctl
param=/sys/module/tlsock/parameters

# wait_for SECONDS CMD...: until CMD succeeds (polled every 0.1 s); 1 on timeout
wait_for() {
	local t=$(($1 * 10))
	shift
	while ! "$@" >/dev/null 2>&1; do
		t=$((t - 1))
		[ $t -le 0 ] && return 1
		sleep 0.1
	done
}

# listening PORT: a TCP socket listens on PORT
listening() {
	ss -ltnH "sport = :$1" | grep -q .
}

# mkpki [CA-NAME]: an ECDSA CA and two leaves under $work/pki: server (server.test and
# 127.0.0.1, server auth) and client (client.test, client auth), 30 days
mkpki() {
	local d=$work/pki ca_name=${1:-tlsock test CA}
	mkdir -p "$d" && cd "$d" || return 1
	key() { certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 \
		--outfile "$1.key" >/dev/null 2>&1; }
	key ca &&
	printf 'cn = "%s"\nca\ncert_signing_key\nexpiration_days = 30\n' "$ca_name" >ca.tmpl &&
	certtool --generate-self-signed --load-privkey ca.key --template ca.tmpl \
		--outfile ca.pem >/dev/null 2>&1 &&
	leaf() {	# leaf NAME CN USAGE EXTRA
		key "$1" &&
		printf 'cn = "%s"\ndns_name = "%s"\n%s\nsigning_key\nexpiration_days = 30\n%s\n' \
			"$2" "$2" "$3" "$4" >"$1.tmpl" &&
		certtool --generate-certificate --load-privkey "$1.key" --load-ca-certificate \
			ca.pem --load-ca-privkey ca.key --template "$1.tmpl" \
			--outfile "$1.pem" >/dev/null 2>&1
	}
	leaf server server.test tls_www_server 'ip_address = "127.0.0.1"' &&
	leaf client client.test tls_www_client ''
	local rc=$?
	cd - >/dev/null
	return $rc
}

# start_daemon: tlsockd -f -c $work/tlsockd.conf in the background, until it serves: it
# listens (tlsockctl wait-ready) and it logged "ready (...)" (tlsockd(8))
start_daemon() {
	local from
	from=$(cat "$work/tlsockd.log" 2>/dev/null | wc -l)
	"$tlsockd" -f -c "$work/tlsockd.conf" >>"$work/tlsockd.log" 2>&1 &
	dpid=$!
	"$tlsockctl" wait-ready -t 20 >/dev/null &&
		wait_for 20 sh -c "tail -n +$((from + 1)) '$work/tlsockd.log' | grep -q ': ready ('"
}

# mkdata FILE BYTES: text data (some peers echo lines), base64 lines of 76 characters
mkdata() {
	head -c $(($2 * 3 / 4 + 100)) /dev/urandom | base64 -w 76 2>/dev/null | head -c "$2" >"$1"
}
