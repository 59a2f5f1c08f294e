#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The installed Debian packages, as a user gets them (TAP): tlsock.ko as DKMS built it for this
# kernel, tlsockd and tlsockctl from /usr/sbin, started the way the packaged systemd unit says,
# and a managed mutual-TLS handshake through them. Needs root and the packages installed on the
# host whose root the VM shares (make check-pkg; .ci/run builds and installs them first). The
# cgroup hooks' unit (tlsock-hooks.service) attaches and detaches the pinned links. The
# VM's root is an overlay, so the configuration written here never reaches the host.

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
demo=$here/../demo
unit=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null)
unit=${unit:-/lib/systemd/system}/tlsockd.service
conf=/etc/tlsock/tlsockd.conf
port=4460
plan=20
n=0
failed=0
dpid=
spid=
work=$(mktemp -d /tmp/tlsock-pkg.XXXXXX)

cleanup() {
	# rmmod tlsock, at the VM's end, needs the hooks' programs gone
	/usr/sbin/tlsockctl hooks detach >/dev/null 2>&1
	[ -n "$spid" ] && kill "$spid" 2>/dev/null
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	if [ $failed != 0 ]; then
		sed 's/^/# tlsockd: /' "$work/tlsockd.log" 2>/dev/null | tail -n 30
	fi
	rm -rf "$work"
}
trap cleanup EXIT

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; [ -n "${2:-}" ] && echo "# $2"; }
check() {	# check NAME CMD...
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "$(echo "$out" | tail -n 3)"; fi
}
wait_for() {	# wait_for TENTHS CMD...
	local t=$1 i
	shift
	for ((i = 0; i < t; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
# unit_line KEY: the command of KEY= in the packaged unit (one line, no systemd specifiers used)
unit_line() { sed -n "s/^$1=//p" "$unit" | head -n 1; }

echo "1..$plan"

ver=$(dpkg-query -W -f='${Version}' tlsockd 2>/dev/null)
kver=$(uname -r)
check "tlsock-dkms, tlsockd and tlsock-dev $ver installed" \
	test -n "$ver" -a "$(dpkg-query -W -f='${Version}' tlsock-dkms 2>/dev/null)" = "$ver" \
	-a "$(dpkg-query -W -f='${Version}' tlsock-dev 2>/dev/null)" = "$ver"
check "DKMS built and installed tlsock $ver for $kver" \
	sh -c "dkms status -m tlsock -v '$ver' -k '$kver' | grep -q ': installed'"
path=$(modinfo -n tlsock 2>/dev/null)
check "modprobe finds DKMS's tlsock.ko ($path)" \
	sh -c "case '$path' in /lib/modules/$kver/updates/dkms/tlsock.ko*) exit 0;; esac; exit 1"
check "its MODULE_VERSION is the package's" test "$(modinfo -F version tlsock)" = "$ver"
check "DKMS signed it (signer: $(modinfo -F signer tlsock 2>/dev/null))" \
	test -n "$(modinfo -F signer tlsock 2>/dev/null)"
check "tlsockd --version and tlsockctl --version print $ver" \
	test "$(/usr/sbin/tlsockd --version)" = "tlsockd $ver" -a \
	"$(/usr/sbin/tlsockctl --version | head -n 1)" = "tlsockctl $ver"

# verify's status ignores lines it could not parse: any word from it is a failure
check "systemd-analyze verify accepts the packaged unit ($unit) without a word" \
	sh -c "out=\$(systemd-analyze verify '$unit' 2>&1) && [ -z \"\$out\" ] || { echo \"\$out\"; exit 1; }"
check "modules-load.d loads tlsock at boot" grep -qx tlsock /usr/lib/modules-load.d/tlsock.conf

# The shipped configuration passes the unit's own check, unchanged.
pre=$(unit_line ExecStartPre)
start=$(unit_line ExecStart)
check "the shipped $conf passes ExecStartPre ($pre)" sh -c "$pre"

# Nothing loaded: the daemon's netlink lookup must load the module (MODULE_ALIAS_GENL_FAMILY).
rmmod tlsock 2>/dev/null
check "tlsock.ko unloaded before the daemon starts" test ! -d /sys/module/tlsock

# A server and a client profile over a throwaway PKI, in the packaged path.
mkpki() {
	local d=$work/pki t
	mkdir -p "$d"
	for t in ca server client; do
		certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 \
			--outfile "$d/$t.key" >/dev/null 2>&1 || return 1
	done
	printf 'cn = "pkg CA"\nca\ncert_signing_key\nexpiration_days = 1\n' > "$d/ca.tmpl"
	printf 'cn = "localhost"\ndns_name = "localhost"\ntls_www_server\nsigning_key\nexpiration_days = 1\n' > "$d/server.tmpl"
	printf 'cn = "pkg client"\ntls_www_client\nsigning_key\nexpiration_days = 1\n' > "$d/client.tmpl"
	certtool --generate-self-signed --load-privkey "$d/ca.key" --template "$d/ca.tmpl" \
		--outfile "$d/ca.pem" >/dev/null 2>&1 || return 1
	for t in server client; do
		certtool --generate-certificate --load-privkey "$d/$t.key" --load-ca-certificate \
			"$d/ca.pem" --load-ca-privkey "$d/ca.key" --template "$d/$t.tmpl" \
			--outfile "$d/$t.pem" >/dev/null 2>&1 || return 1
	done
	chmod 0600 "$d"/*.key
	printf '%s\n' "[daemon]" "workers = 4" "" \
		"[profile demo-server]" "cert = $d/server.pem" "key = $d/server.key" \
		"ca = $d/ca.pem" "client_auth = require" "" \
		"[profile demo-client]" "cert = $d/client.pem" "key = $d/client.key" \
		"ca = $d/ca.pem" > "$conf"
}
if mkpki; then
	check "a mutual-TLS configuration in $conf passes ExecStartPre" sh -c "$pre"
else
	not_ok "a mutual-TLS configuration in $conf passes ExecStartPre" "certtool failed"
fi

# ExecStart as systemd runs it for Type=notify: READY=1 on $NOTIFY_SOCKET once it serves.
python3 - "$work/notify" > "$work/notify.out" 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
print(s.recv(4096).decode(), flush=True)
PY
spid=$!
wait_for 50 test -S "$work/notify"
# shellcheck disable=SC2086 # the unit's command line, split as systemd splits it (no quotes in it)
NOTIFY_SOCKET=$work/notify $start > "$work/tlsockd.log" 2>&1 &
dpid=$!
wait "$spid"
spid=
if grep -q 'READY=1' "$work/notify.out"; then ok "ExecStart ($start) notified READY=1"
else not_ok "ExecStart ($start) notified READY=1" "$(cat "$work/notify.out")"; fi
check "the daemon's netlink lookup loaded tlsock.ko" test -d /sys/module/tlsock
/usr/sbin/tlsockctl status > "$work/status" 2>&1
check "tlsockctl status: module $ver, daemon listening" \
	sh -c "grep -qx 'kernel: tlsock.ko loaded, version $ver' '$work/status' &&
	       grep -q '^daemon: listening' '$work/status' || { cat '$work/status'; exit 1; }"

"$demo/demo_server" "$port" 1 > "$work/server.out" 2>&1 &
srv=$!
wait_for 100 sh -c "ss -Hltn 'sport = :$port' | grep -q LISTEN"
"$demo/demo_client" "$port" localhost "packaged" > "$work/client.out" 2>&1
rc=$?
wait "$srv"
if [ $rc = 0 ] && grep -q 'peer verified  yes' "$work/client.out" &&
   grep -q 'peer verified  yes' "$work/server.out" &&
   grep -q 'received "packaged"' "$work/server.out"; then
	ok "a managed mutual-TLS handshake and data through the packaged daemon"
else
	not_ok "a managed mutual-TLS handshake and data through the packaged daemon" \
		"$(tail -n 4 "$work/client.out" "$work/server.out" | tr '\n' ' ')"
fi

# tlsock-hooks.service: its ExecStart and ExecStop as systemd runs them, within the unit's
# capability bounding set and with no new privileges (the VM has no systemd to apply the rest
# of its sandbox). bpffs is mounted first, as systemd does at boot: the unit may not mount it.
hooks=${unit%/*}/tlsock-hooks.service
check "systemd-analyze verify accepts the packaged $hooks without a word" \
	sh -c "out=\$(systemd-analyze verify '$hooks' 2>&1) && [ -z \"\$out\" ] || { echo \"\$out\"; exit 1; }"
check "tlsockd.service wants tlsock-hooks.service and starts after it" \
	sh -c "grep -qx 'Wants=tlsock-hooks.service' '$unit' && grep -qx 'After=tlsock-hooks.service' '$unit'"
bset=-all
for c in $(sed -n 's/^CapabilityBoundingSet=//p' "$hooks" 2>/dev/null); do
	c=${c#CAP_}
	bset="$bset,+${c,,}"
done
hooks_run() {	# hooks_run KEY: the unit's KEY= command, as the unit confines it
	local cmd
	cmd=$(sed -n "s/^$1=//p" "$hooks" 2>/dev/null | head -n 1)
	[ -n "$cmd" ] || { echo "no $1= in $hooks"; return 1; }
	# shellcheck disable=SC2086 # split as systemd splits it (no quotes in it)
	setpriv --bounding-set="$bset" --no-new-privs $cmd
}
pins() { ls /sys/fs/bpf/tlsock 2>/dev/null | tr '\n' ' '; }
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
/usr/sbin/tlsockctl hooks detach >/dev/null 2>&1
same() {	# same GOT WANT: GOT is WANT, else both are said
	[ "$1" = "$2" ] || { echo "want: $2"; echo "got:  $1"; return 1; }
}
out=$(hooks_run ExecStart 2>&1)
rc=$?
st=$(/usr/sbin/tlsockctl hooks status 2>&1)
check "its ExecStart, with only $bset, pins the four links" \
	same "$rc $(pins)| ${st%% (*}" "0 connect4 connect6 post_bind4 post_bind6 | hooks: attached"
[ "$rc" = 0 ] || echo "# ExecStart: $out"
out=$(hooks_run ExecStop 2>&1)
rc=$?
st=$(/usr/sbin/tlsockctl hooks status 2>&1)
check "its ExecStop removes them" \
	same "$rc $(pins)| $([ -e /sys/fs/bpf/tlsock ] && echo dir) $st" "0 |  hooks: not attached"
[ "$rc" = 0 ] || echo "# ExecStop: $out"
# what each capability of the set is for, said (not counted): the attach without it
for c in bpf net_admin sys_admin; do
	out=$(bset=${bset/,+$c/} hooks_run ExecStart 2>&1 | tail -n 1)
	echo "# without CAP_${c^^}: $out"
	/usr/sbin/tlsockctl hooks detach >/dev/null 2>&1
done

# ExecReload, then stop: the daemon reloads and exits cleanly on SIGTERM, as systemd would see.
kill -HUP "$dpid"
sleep 1
kill -0 "$dpid" 2>/dev/null && kill -TERM "$dpid"
wait "$dpid"
rc=$?
dpid=
check "reloaded (SIGHUP) and stopped (SIGTERM) with status 0" test "$rc" = 0

exit $((failed != 0))
