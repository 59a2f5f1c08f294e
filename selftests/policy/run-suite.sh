#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Transparent TLS by policy (TAP).  Client rules: unmodified programs that only know plain TCP
# (plain_client.py, busybox nc, redis-cli) connect to a destination a rule covers; tlsock.ko,
# through the cgroup hooks tlsockctl attaches, makes each connection a mutual TLS session run by
# tlsockd, against ordinary userspace TLS servers (openssl s_server, Python's ssl, redis-server's
# tls-port).  Server rules: unmodified plain servers (tls_server.py --plain, redis-server) accept
# only mutual TLS clients (Python's ssl, openssl s_client, redis-cli --tls), and both ends
# transparent at once.  Every session is captured: the capture must parse as TLS records
# from the first payload byte of each direction and hold no plaintext marker.  Failures (an
# untrusted server, a wrong name, no daemon, TCP Fast Open data) must reach the application as
# errors with nothing in plaintext on the wire.  Rules stay in their network namespace and
# cgroup.  hostile.sh adds MariaDB, an SMTP-like server, the failures an attacker can cause, rules
# changing under connect() and accept() loops, and SO_REUSEPORT, handed-over and dual-stack
# listeners.  Needs root, tlsock.ko loaded, cgroup v2 on /sys/fs/cgroup and the tree built.
#
#   run-suite.sh [-v]     -v: show the daemon's log at the end

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=env.sh
. "$here/env.sh"

# shellcheck source=hostile.sh
. "$here/hostile.sh"
# TLSOCK_POLICY_HOSTILE=0 leaves hostile.sh's part out (the plan says so): for the debug kernel,
# where the whole suite would take an hour
hostile=${TLSOCK_POLICY_HOSTILE:-1}
plan=$((72 + (hostile == 1 ? hostile_plan : 0)))
n=0
failed=0
dpid=
cap_pid=
netns=tlsock-pol-$$
cg=/sys/fs/cgroup/tlsock-pol-$$
work=$(mktemp -d /tmp/tlsock-pol.XXXXXX)

# shellcheck source=helpers.sh
. "$here/helpers.sh"
trap cleanup EXIT

# --- 0. set-up ------------------------------------------------------------------------
[ -d /sys/module/tlsock ] || bail "tlsock.ko is loaded"
check "tlsock.ko has its BPF hooks (policy_hooks=Y)" Y "$(cat "$param/policy_hooks" 2>&1)"
mkpki || bail "test PKI"
mkconf
start_daemon || bail "tlsockd starts" "$(tail -n 20 "$work/tlsockd.log")"

out=$("$tlsockctl" hooks attach 2>&1)
check "tlsockctl hooks attach" 0 $? "$out"
"$tlsockctl" hooks attach >/dev/null 2>&1
links=$(ls /sys/fs/bpf/tlsock 2>/dev/null | tr '\n' ' ')
check "attaching twice leaves one link per hook" "connect4 connect6 post_bind4 post_bind6 " "$links"

next_port
id=$("$tlsockctl" policy add client "127.0.0.1:$port" profile client server-name server.test 2>&1)
check "policy add prints the rule's id" 1 "$([[ $id =~ ^[0-9]+$ ]] && echo 1)" "$id"

out=$("$tlsockctl" policy add client "127.0.0.1:$port" profile client server-name server.test 2>&1)
rc=$?
check "the same rule again: EEXIST naming the rule" "1 yes" \
	"$rc $(grep -q "exists: id $id" <<<"$out" && echo yes)" "$out"

bad=0
for r in "client 10.0.0.1/8:443" "client 10.0.0.0/33:443" "client 10.0.0.0/8:0" \
	 "client [::1]:99999" "client 127.0.0.1:443 colour blue" "listener 127.0.0.1:443" \
	 "client 127.0.0.1:443 profile bad/name" "server *:443 server-name x.test"; do
	# shellcheck disable=SC2086
	if "$tlsockctl" policy add $r >"$work/bad.out" 2>&1; then
		bad=$((bad + 1))
		echo "# accepted: $r"
	elif ! [ -s "$work/bad.out" ]; then
		bad=$((bad + 1))
		echo "# refused without a word: $r"
	fi
done
check "malformed rules are refused, each with a message" 0 "$bad"

out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$tlsockctl" policy add client \
	127.0.0.2:9 2>&1)
check "an unprivileged user cannot add a rule" "yes" \
	"$(grep -q "Operation not permitted" <<<"$out" && echo yes)" "$out"

# --- 1. an unmodified client, blocking connect, mutual TLS with openssl s_server ----
s_server $port || bail "openssl s_server listens"
cap_start $port || bail "tcpdump starts" "$(cat "$work/cap.err")"
out=$(timeout 30 python3 "$client" echo 127.0.0.1 $port "plaintext-marker-one" 2>&1)
check "plain client through a client rule gets the TLS server's answer" \
	"eno-rekram-txetnialp" "$out" "$(tail -n 5 "$work/s_server.$port")"
v=$(cap_check $port plaintext-marker-one eno-rekram-txetnialp)
check "its capture: TLS records from the first byte both ways, no plaintext" ok "${v%% *}" "$v"
check "s_server verified the client certificate tlsockd presented" yes \
	"$(grep -q "Verification: OK" "$work/s_server.$port" && echo yes)"

# --- 2. non-blocking connect and poll: writable only once TLS is up -----------------
out=$(timeout 30 python3 "$client" nbecho 127.0.0.1 $port "plaintext-marker-two" 2>&1)
check "non-blocking connect, poll(POLLOUT), then plain I/O: TLS" "owt-rekram-txetnialp" "$out"

# a statically linked client (busybox's nc): nothing in the process to hook, the kernel does it
file -L /bin/busybox | grep -q "statically linked" || echo "# /bin/busybox is not static"
out=$(printf 'static-marker\n' | timeout 30 busybox nc -w 3 127.0.0.1 $port 2>&1)
check "a statically linked client (busybox nc): TLS" "rekram-citats" "$out"

# --- 3. TCP Fast Open ---------------------------------------------------------------
echo 3 >/proc/sys/net/ipv4/tcp_fastopen
cap_start $port
out=$(timeout 30 python3 "$client" fastopen 127.0.0.1 $port "plaintext-marker-tfo" 2>&1)
check "sendto(MSG_FASTOPEN) to a covered destination: EOPNOTSUPP" "errno EOPNOTSUPP" \
	"$(sed 's/ENOTSUP$/EOPNOTSUPP/' <<<"$out")"
out=$(timeout 30 python3 "$client" fastopen-connect 127.0.0.1 $port "plaintext-marker-tfo2" 2>&1)
check "TCP_FASTOPEN_CONNECT on a covered socket: Fast Open is dropped, TLS as usual" \
	"2oft-rekram-txetnialp" "$out"
v=$(cap_check $port plaintext-marker-tfo plaintext-marker-tfo2)
check "no Fast Open data on the wire" ok "${v%% *}" "$v"
check "rule counters: 4 connections, 4 handshakes ok, 1 refused" "4 4 1" \
	"$(rule_counter "$id" connections) $(rule_counter "$id" ok) $(rule_counter "$id" refused)" \
	"$("$tlsockctl" policy list)"

# --- 4. server speaks first, client only reads (Python ssl server, mutual TLS) -------
next_port
"$tlsockctl" policy add client "127.0.0.1:$port" profile client server-name server.test >/dev/null
py_server --cert "$pki/server.pem" --key "$pki/server.key" --ca "$pki/ca.pem" \
	--banner "220 plaintext-marker-banner"
cap_start $port
out=$(timeout 30 python3 "$client" read 127.0.0.1 $port 2>&1)
check "server-first protocol: a client that only reads gets the banner" \
	"220 plaintext-marker-banner" "$out"
v=$(cap_check $port plaintext-marker-banner)
check "banner capture: TLS only" ok "${v%% *}" "$v"

# --- 5. IPv6, and IPv4-mapped destinations ------------------------------------------
next_port
"$tlsockctl" policy add client "[::1]:$port" profile client server-name server.test >/dev/null
py_server --host ::1 --cert "$pki/server.pem" --key "$pki/server.key" --ca "$pki/ca.pem"
out=$(timeout 30 python3 "$client" echo ::1 $port "v6" 2>&1)
check "IPv6 rule: TLS" "6v tls TLSv1.3 peer client.test" "$out $(head -n 1 "$work/srv.$port")"
next_port
"$tlsockctl" policy add client "127.0.0.0/8:$port" profile client server-name server.test >/dev/null
py_server --cert "$pki/server.pem" --key "$pki/server.key" --ca "$pki/ca.pem"
out=$(timeout 30 python3 "$client" echo ::ffff:127.0.0.1 $port "mapped" 2>&1)
check "IPv4 rule covers an IPv6 socket's IPv4-mapped destination" \
	"deppam tls TLSv1.3 peer client.test" "$out $(head -n 1 "$work/srv.$port")"

# --- 6. failures reach the application as errors, nothing in plaintext ---------------
next_port
fid=$("$tlsockctl" policy add client "127.0.0.1:$port" profile client server-name server.test)
mkdir -p "$work/other" && (work=$work/other mkpki "another CA") || bail "second PKI"
(openssl s_server -accept $port -rev -cert "$work/other/pki/server.pem" \
	-key "$work/other/pki/server.key" </dev/null >"$work/s_server.$port" 2>&1) &
wait_for 10 listening $port
cap_start $port
out=$(timeout 30 python3 "$client" echo 127.0.0.1 $port "plaintext-marker-untrusted" 2>&1)
check "untrusted server: the application gets ECONNRESET" "errno ECONNRESET" "$out"
v=$(cap_check $port plaintext-marker-untrusted)
check "untrusted server: nothing in plaintext" ok "${v%% *}" "$v"
check "the rule counts the failed handshake" 1 "$(rule_counter "$fid" "failed")"

next_port
"$tlsockctl" policy add client "127.0.0.1:$port" profile client server-name other.test >/dev/null
s_server $port
out=$(timeout 30 python3 "$client" echo 127.0.0.1 $port "plaintext-marker-name" 2>&1)
check "server certificate of another name: ECONNRESET" "errno ECONNRESET" "$out"

next_port
"$tlsockctl" policy add client "127.0.0.1:$port" profile client server-name server.test >/dev/null
s_server $port
kill "$dpid" && wait "$dpid" 2>/dev/null
dpid=
cap_start $port
out=$(timeout 30 python3 "$client" echo 127.0.0.1 $port "plaintext-marker-nodaemon" 2>&1)
check "no daemon: ECONNRESET, not a plaintext connection" "errno ECONNRESET" "$out"
v=$(cap_check $port plaintext-marker-nodaemon)
check "no daemon: nothing in plaintext" "yes" \
	"$(grep -q plaintext-marker "$work/cap.pcap" || echo yes)" "$v"
start_daemon || bail "tlsockd restarts" "$(tail -n 20 "$work/tlsockd.log")"

# --- 7. rules change: sessions carry on, new connections follow ---------------------
next_port
hid=$("$tlsockctl" policy add client "127.0.0.1:$port" profile client server-name server.test)
s_server $port
timeout 40 python3 "$client" hold 127.0.0.1 $port "held" 3 >"$work/hold.out" 2>&1 &
hold=$!
wait_for 10 grep -q "CONNECTION ESTABLISHED" "$work/s_server.$port"
sleep 0.5
"$tlsockctl" policy del "$hid"
wait "$hold"
check "deleting the rule leaves its session working" "dleh dleh" "$(cat "$work/hold.out")"
pkill -f "accept $port" 2>/dev/null
next_port
py_server --plain
out=$(timeout 30 python3 "$client" echo 127.0.0.1 $port "uncovered" 2>&1)
check "a destination no rule covers stays plain TCP" "derevocnu plain" \
	"$out $(head -n 1 "$work/srv.$port")"

# --- 8. scope: another network namespace, another cgroup ---------------------------
next_port
"$tlsockctl" policy add client "127.0.0.1:$port" profile client server-name server.test >/dev/null
ip netns add "$netns" && ip -n "$netns" link set lo up
py_server --netns "$netns" --plain
out=$(ip netns exec "$netns" timeout 30 python3 "$client" echo 127.0.0.1 $port "netns" 2>&1)
check "a rule of one network namespace leaves another's sockets alone" "snten plain" \
	"$out $(head -n 1 "$work/srv.$port")"

next_port
mkdir "$cg.a" "$cg.b"
cid=$(echo "$cg.a" | sed 's|/sys/fs/cgroup/||')
"$tlsockctl" policy add client "127.0.0.1:$port" profile client server-name server.test \
	cgroup "$cid" >/dev/null
py_server --plain --count 1
out=$(sh -c "echo \$\$ >$cg.b/cgroup.procs && exec timeout 30 python3 '$client' echo 127.0.0.1 $port cgb" 2>&1)
check "a rule scoped to a cgroup leaves a process of another cgroup alone" "bgc plain" \
	"$out $(head -n 1 "$work/srv.$port")"
next_port
"$tlsockctl" policy add client "127.0.0.1:$port" profile client server-name server.test \
	cgroup "$cid" >/dev/null
s_server $port
out=$(sh -c "echo \$\$ >$cg.a/cgroup.procs && exec timeout 30 python3 '$client' echo 127.0.0.1 $port cga" 2>&1)
check "... and covers a process in its cgroup" "agc" "$out"

# --- 9. redis-cli (plain) against redis-server's own TLS port, mutual TLS ----------------
next_port
"$tlsockctl" policy add client "127.0.0.1:$port" profile client server-name server.test >/dev/null
redis-server --port 0 --tls-port $port --bind 127.0.0.1 --tls-cert-file "$pki/server.pem" \
	--tls-key-file "$pki/server.key" --tls-ca-cert-file "$pki/ca.pem" --tls-auth-clients yes \
	--save "" --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
wait_for 10 listening $port
cap_start $port
bad=
for size in 1 100 16383 16384 65537 1048576; do
	head -c $((size - 1)) /dev/zero | tr '\0' 'r' >"$work/val"
	printf 'x' >>"$work/val"
	[ $size = 100 ] && printf 'plaintext-marker-redis' | dd of="$work/val" conv=notrunc 2>/dev/null
	r=$(timeout 60 redis-cli -h 127.0.0.1 -p $port -x SET "k$size" <"$work/val" 2>&1)
	timeout 60 redis-cli -h 127.0.0.1 -p $port --raw GET "k$size" 2>&1 | head -c "$size" >"$work/got"
	[ "$r" = OK ] && cmp -s "$work/val" "$work/got" || bad="$bad $size($r)"
done
check "redis-cli SET/GET of 1 B to 1 MiB through redis-server's tls-port" "" "$bad" \
	"$(tail -n 5 "$work/redis.log")"
v=$(cap_check $port plaintext-marker-redis)
check "redis capture: TLS only" ok "${v%% *}" "$v"

# --- 10. server rules: unmodified plain servers behind mutual TLS ---------------------
tls_client=$here/tls_client.py
next_port
sid=$("$tlsockctl" policy add server "*:$port" profile server 2>&1)
check "a server rule is added" 1 "$([[ $sid =~ ^[0-9]+$ ]] && echo 1)" "$sid"
py_server --plain --count 3
cap_start $port
out=$(timeout 30 python3 "$tls_client" 127.0.0.1 $port "$pki/ca.pem" "$pki/client.pem" \
	"$pki/client.key" "plaintext-marker-srv" 2>&1)
check "a plain server bound after the rule: a TLS client with a certificate gets its answer" \
	"vrs-rekram-txetnialp TLSv1.3 plain" "$out $(head -n 1 "$work/srv.$port")"
v=$(cap_check $port plaintext-marker-srv)
check "server side capture: TLS only" ok "${v%% *}" "$v"
out=$(timeout 30 python3 "$tls_client" 127.0.0.1 $port "$pki/ca.pem" "no-cert" 2>&1)
check "a client without a certificate is refused" "error" "${out%% *}" "$out"
out=$(printf 'via-s_client\n' | timeout 8 openssl s_client -connect 127.0.0.1:$port -quiet \
	-cert "$pki/client.pem" -key "$pki/client.key" -CAfile "$pki/ca.pem" 2>/dev/null)
check "openssl s_client against the transparent server" "tneilc_s-aiv" "$out"

next_port
py_server --plain --count 1
"$tlsockctl" policy add server "127.0.0.1:$port" profile server >/dev/null
out=$(timeout 30 python3 "$tls_client" 127.0.0.1 $port "$pki/ca.pem" "$pki/client.pem" \
	"$pki/client.key" "adopted" 2>&1)
check "a server listening before its rule is adopted: TLS" "detpoda TLSv1.3" "$out"

# A thread already in TCP's accept() when its listener is adopted takes the next child with
# TCP's operations.  A hostile plain client's bytes must not reach it through a first read
# that is not recv(): splice(2), or TCP_ZEROCOPY_RECEIVE's copy buffer.
for how in splice zerocopy; do
	next_port
	timeout 40 python3 "$here/first_read.py" --port $port --ready "$work/ready.$port" \
		--how $how >"$work/first.$port" 2>&1 &
	fpid=$!
	wait_for 10 test -e "$work/ready.$port"
	sleep 0.3
	"$tlsockctl" policy add server "127.0.0.1:$port" profile server >/dev/null
	timeout 20 python3 "$client" echo 127.0.0.1 $port "plaintext-marker-first" >/dev/null 2>&1 &
	wait $fpid
	out=$(cat "$work/first.$port")
	check "taken by a thread in accept() before adoption, a plain client: $how reads nothing" \
		error "${out%% *}" "$out"
done

next_port
"$tlsockctl" policy add server "*:$port" profile server >/dev/null
"$tlsockctl" policy add client "127.0.0.1:$port" profile client server-name server.test >/dev/null
py_server --plain --count 1 --banner "220 plaintext-marker-both"
cap_start $port
out=$(timeout 30 python3 "$client" read 127.0.0.1 $port 2>&1)
check "both ends transparent, the server speaks first: the client reads its banner" \
	"220 plaintext-marker-both" "$out"
v=$(cap_check $port plaintext-marker-both)
check "both ends transparent: TLS only on the wire" ok "${v%% *}" "$v"

next_port
rsid=$("$tlsockctl" policy add server "*:$port" profile server)
redis-server --port $port --bind 127.0.0.1 --save "" --appendonly no --dir "$work" \
	>"$work/redis2.log" 2>&1 &
wait_for 10 listening $port
out=$(timeout 30 redis-cli -p $port --tls --cacert "$pki/ca.pem" --cert "$pki/client.pem" \
	--key "$pki/client.key" SET k v 2>&1; timeout 30 redis-cli -p $port --tls \
	--cacert "$pki/ca.pem" --cert "$pki/client.pem" --key "$pki/client.key" GET k 2>&1)
check "redis-server (plain) behind a server rule, redis-cli --tls" "OK v" "$(echo $out)"
rcid=$("$tlsockctl" policy add client "127.0.0.1:$port" profile client server-name server.test)
cap_start $port
head -c 300000 /dev/zero | tr '\0' 'q' >"$work/val"
printf 'plaintext-marker-redis2' >>"$work/val"
r=$(timeout 60 redis-cli -p $port -x SET big <"$work/val" 2>&1)
timeout 60 redis-cli -p $port --raw GET big 2>&1 | head -c "$(stat -c %s "$work/val")" >"$work/got"
check "redis-cli and redis-server both unmodified, both transparent: SET/GET 300 KB" "OK same" \
	"$r $(cmp -s "$work/val" "$work/got" && echo same)"
v=$(cap_check $port plaintext-marker-redis2)
check "redis both ends: TLS only on the wire" ok "${v%% *}" "$v"
"$tlsockctl" policy del "$rcid"
"$tlsockctl" policy del "$rsid"
out=$(timeout 30 redis-cli -p $port PING 2>&1)
check "the server rule deleted: the listener is plain TCP again" "PONG" "$out"

# --- 11. rules in tlsockd.conf: loaded at start, removed at a clean stop ----------------
daemon_rules() {	# rules tlsockd added from its file
	"$tlsockctl" policy list | grep -c "(tlsockd.conf)"
}
admin_rules() {		# rules tlsockctl added
	"$tlsockctl" policy list | grep "^[0-9]*: " | grep -vc "(tlsockd.conf)"
}
rule_of() {		# rule_of PORT: id of the file's rule for PORT
	"$tlsockctl" policy list | grep "(tlsockd.conf)" | grep ":$1 profile" | cut -d: -f1
}
with_rules() {		# with_rules FILE RULE...: tlsockd.conf with a [policy] of RULEs in FILE
	local f=$1 r
	shift
	mkconf
	[ "$f" = "$work/tlsockd.conf" ] || cp "$work/tlsockd.conf" "$f"
	printf '\n[policy]\n' >>"$f"
	for r in "$@"; do
		printf 'rule = %s\n' "$r" >>"$f"
	done
}
kill "$dpid" && wait "$dpid" 2>/dev/null
dpid=
next_port
cport=$port
next_port
sport=$port
crule="client 127.0.0.1:$cport profile client server-name server.test"
srule="server *:$sport profile server"

with_rules "$work/bad.conf" "$crule" "client 127.0.0.1:$cport colour blue"
line=$(grep -n "colour blue" "$work/bad.conf" | cut -d: -f1)
out=$(timeout 30 "$tlsockd" -f -c "$work/bad.conf" 2>&1)
rc=$?
check "a bad rule in tlsockd.conf: the daemon does not start, and names file and line" \
	"1 yes" "$rc $(grep -q "bad.conf:$line: rule .*colour" <<<"$out" && echo yes)" "$out"
check "... and none of the file's rules is added" 0 "$(daemon_rules)"

aid=$("$tlsockctl" policy add $srule)
with_rules "$work/tlsockd.conf" "$crule" "$srule"
line=$(grep -n "^rule = server" "$work/tlsockd.conf" | cut -d: -f1)
out=$(timeout 30 "$tlsockd" -f -c "$work/tlsockd.conf" 2>&1)
rc=$?
check "a rule the kernel refuses (tlsockctl's already): no start, file and line named, no rule left" \
	"1 yes 0" "$rc $(grep -q "tlsockd.conf:$line: rule .*refused by the kernel" <<<"$out" &&
	echo yes) $(daemon_rules)" "$out"
"$tlsockctl" policy del "$aid"

# Without the cgroup hooks the kernel would take the rules and leave new connections and
# listeners plain: tlsockd refuses to start with rules then, and tlsockctl warns.
"$tlsockctl" hooks detach >/dev/null
out=$(timeout 30 "$tlsockd" -f -c "$work/tlsockd.conf" 2>&1)
rc=$?
want="rules in \[policy\] need the cgroup hooks: run tlsockctl hooks attach or enable tlsock-hooks"
check "without the hooks, tlsockd with [policy] rules refuses to start, saying why; no rule added" \
	"1 yes 0" "$rc $(grep -q "$want" <<<"$out" && echo yes) $(daemon_rules)" "$out"
# ip netns exec mounts a sysfs of its own: no bpffs at /sys/fs/bpf, the pins cannot be seen
out=$(ip netns exec "$netns" timeout 30 "$tlsockd" -f -c "$work/tlsockd.conf" 2>&1)
rc=$?
check "where /sys/fs/bpf is no bpffs (ip netns exec), tlsockd with rules refuses, naming it" \
	"1 yes" "$rc $(grep -q "cannot be told here: /sys/fs/bpf is not a bpffs" <<<"$out" &&
	echo yes)" "$out"
"$tlsockctl" policy add client "127.0.0.9:$cport" profile client server-name server.test \
	>"$work/add.out" 2>"$work/add.err"
rc=$?
wid=$(cat "$work/add.out")
check "without the hooks, policy add warns on stderr, exits 0 and prints only the id" "0 1 yes" \
	"$rc $([[ $wid =~ ^[0-9]+$ ]] && echo 1) $(grep -q "^tlsockctl: warning: rule $wid .*not attached" \
	"$work/add.err" && echo yes)" "$(cat "$work/add.out" "$work/add.err")"
[[ $wid =~ ^[0-9]+$ ]] && "$tlsockctl" policy del "$wid"
out=$("$tlsockctl" hooks attach 2>&1) || bail "tlsockctl hooks attach again" "$out"

admins=$(admin_rules)
start_daemon || bail "tlsockd starts with rules" "$(tail -n 20 "$work/tlsockd.log")"
check "tlsockd adds the rules of its file at start" 2 "$(daemon_rules)" "$("$tlsockctl" policy list)"
crid=$(rule_of "$cport")
srid=$(rule_of "$sport")
s_server $cport
timeout 40 python3 "$client" hold 127.0.0.1 $cport "sess" 4 >"$work/hold.out" 2>&1 &
hold=$!
wait_for 10 sh -c "'$tlsockctl' sessions | grep -q ':$cport rule $crid established'"
out=$("$tlsockctl" sessions 2>&1)
check "tlsockctl sessions lists the live session: addresses, rule, TLS, verified peer" yes \
	"$(grep -A 1 "^client 127.0.0.1:[0-9]* -> 127.0.0.1:$cport rule $crid established TLS1.3 " \
	<<<"$out" | grep -q 'peer verified ".*server.test' && echo yes)" "$out"
live=$(grep -A 2 "^client 127.0.0.1:[0-9]* -> 127.0.0.1:$cport rule $crid " <<<"$out" |
	sed -n 's/^    bytes in \([0-9]*\) out \([0-9]*\)$/\1 \2/p')
list=$("$tlsockctl" policy list)
check "a live session's bytes: in the session list, and in its rule's (a handshake's worth)" yes \
	"$(read -r i o <<<"$live"; [ "${i:-0}" -gt 1000 ] && [ "${o:-0}" -gt 300 ] &&
	[ "$(rule_counter $crid "bytes in")" -ge "$i" ] && echo yes)" "$out" "$list"
wait "$hold"
check "a connection the file's client rule covers: TLS" "sses sses" "$(cat "$work/hold.out")"
wait_for 10 sh -c "! '$tlsockctl' sessions | grep -q ':$cport rule'"
out=$("$tlsockctl" sessions 2>&1)
check "closed, the session leaves the list" "" "$(grep ":$cport rule" <<<"$out")" "$out"
list=$("$tlsockctl" policy list)
check "closed, its bytes stay with its rule: no fewer than while live, and more out (4 records)" \
	yes "$(read -r i o <<<"$live"; [ "$(rule_counter $crid "bytes in")" -ge "${i:-1}" ] &&
	[ "$(rule_counter $crid out)" -gt "${o:-0}" ] && echo yes)" "$live" "$list"
check "tlsockd's log line of the handshake names the rule" yes \
	"$(grep -q "req [0-9]* rule $crid client peer [^ ]*:$cport .*: ok" "$work/tlsockd.log" &&
	echo yes)" "$(grep "peer [^ ]*:$cport" "$work/tlsockd.log")"

port=$sport
py_server --plain --count 3
out=$(timeout 30 python3 "$tls_client" 127.0.0.1 $sport "$pki/ca.pem" "$pki/client.pem" \
	"$pki/client.key" "cfgsrv" 2>&1)
check "the file's server rule: a plain server behind mutual TLS" "vrsgfc TLSv1.3 plain" \
	"$out $(head -n 1 "$work/srv.$sport")"
check "... and the server handshake's log line names its rule" yes \
	"$(grep -q "req [0-9]* rule $srid server peer .*: ok .*client.test" "$work/tlsockd.log" &&
	echo yes)" "$(grep " rule $srid " "$work/tlsockd.log")"

kill "$dpid" && wait "$dpid" 2>/dev/null
dpid=
check "a clean stop removes the file's rules and leaves tlsockctl's" "0 $admins" \
	"$(daemon_rules) $(admin_rules)" "$("$tlsockctl" policy list)"
out=$(timeout 30 python3 "$client" echo 127.0.0.1 $sport "afterstop" 2>&1)
check "the listener the file's rule adopted serves plain TCP again, unbroken" "potsretfa 2" \
	"$out $(grep -c '^plain' "$work/srv.$sport")"

start_daemon || bail "tlsockd restarts with rules" "$(tail -n 20 "$work/tlsockd.log")"
check "restarted: the file's rules are back, once each" 2 "$(daemon_rules)"
kill -9 "$dpid"
wait "$dpid" 2>/dev/null
dpid=
check "a killed daemon leaves its rules in place (fail closed)" 2 "$(daemon_rules)"
start_daemon || bail "tlsockd starts after a kill" "$(tail -n 20 "$work/tlsockd.log")"
check "the next start replaces them: no duplicate, no EEXIST" 2 "$(daemon_rules)" \
	"$("$tlsockctl" policy list)"

"$tlsockctl" policy flush daemon
check "policy flush daemon removes the file's rules only" "0 $admins" \
	"$(daemon_rules) $(admin_rules)"
"$tlsockctl" policy flush
check "policy flush removes every rule" "no rules" "$("$tlsockctl" policy list 2>&1)"

# --- 12. MariaDB, a banner server, attacks, races, listener groups (hostile.sh) ------
# the daemon again without the file's rules
kill "$dpid" && wait "$dpid" 2>/dev/null
dpid=
mkconf
start_daemon || bail "tlsockd restarts without rules" "$(tail -n 20 "$work/tlsockd.log")"
"$tlsockctl" policy del all >/dev/null
[ "$hostile" = 1 ] && hostile_tests

# The server closes first: its end lingers in TIME_WAIT, made from a child of an adopted
# listener.  (After rmmod the VM destroys what TCP still holds: none of it may point into
# the module.)
next_port
"$tlsockctl" policy add server "*:$port" profile server >/dev/null
py_server --plain --count 1 --banner "221 bye" --close
out=$(timeout 30 python3 "$tls_client" 127.0.0.1 $port "$pki/ca.pem" "$pki/client.pem" \
	"$pki/client.key" - --banner-only 2>&1)
sleep 1
tw=$(ss -Htan state time-wait "( sport = :$port )" | wc -l)
check "the transparent server closes first: its end waits in TIME_WAIT" "221 bye TLSv1.3 yes" \
	"$out $([ "$tw" -ge 1 ] && echo yes)"

# --- 13. taking it all away -----------------------------------------------------------
"$tlsockctl" policy del all
check "policy del all empties the table" "no rules" "$("$tlsockctl" policy list 2>&1)"
"$tlsockctl" hooks detach >/dev/null
check "hooks detach removes the pinned links" "" "$(ls /sys/fs/bpf/tlsock 2>/dev/null)"

[ $n = $plan ] || echo "# plan $plan but $n tests ran"
echo "1..$plan"
exit $((failed != 0))
