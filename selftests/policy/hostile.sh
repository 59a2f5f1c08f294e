#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Transparent TLS by policy, as an attacker and real software see it (TAP).  run-suite.sh sources
# this file with its daemon running, its hooks attached and its helpers defined; run on its own
# (hostile.sh [-v]) it sets that up itself and prints its own plan.
#
#   - MariaDB (the server speaks first), both ends transparent, and an SMTP-like banner server;
#   - failures: the daemon killed mid-handshake, a handshake timing out (daemon stopped, peer
#     silent), a client that sends nothing, more handshakes than hs_max_pending, a rule deleted
#     mid-handshake, plaintext clients sending hostile bytes to a transparent server, a plain
#     server answering a transparent client in plaintext: each application sees its error and
#     never a plaintext byte of its peer;
#   - rules added and deleted while connect() and accept() loops run;
#   - SO_REUSEPORT groups, listeners handed over by SCM_RIGHTS or fork, dual-stack listeners;
#   - adopted listeners closed while their rule is deleted.
#
# Each success is captured (TLS records from the first byte, no plaintext marker); afterwards no
# handshake may be left pending and the module's counters must add up.

hostile_plan=56

# hs_counts: "PENDING ACTIVE" handshakes of this namespace, as tlsockctl status reports them
hs_counts() {
	"$tlsockctl" status 2>/dev/null |
		sed -n 's/^handshakes: \([0-9]*\) pending, \([0-9]*\) in progress.*/\1 \2/p'
}

# stat_of NAME: a counter of /proc/net/tlsock_stat
stat_of() {
	awk -v k="$1" '$1 == k { print $2 }' /proc/net/tlsock_stat
}

# settled: no handshake unfinished, and every one requested ended as ok, failed or timed out
settled() {
	[ "$(hs_counts)" = "0 0" ] &&
	[ "$(stat_of TlsockHandshakeRequested)" = $(($(stat_of TlsockHandshakeOk) + \
		$(stat_of TlsockHandshakeFailed) + $(stat_of TlsockHandshakeTimeout))) ]
}

settled_detail() {
	echo "handshakes (pending, in progress): $(hs_counts)"
	grep Handshake /proc/net/tlsock_stat
}

# cap_check_only to|from PORT MARKER...: cap_check for one direction (the other end is no TLS end)
cap_check_only() {
	local d=$1 p=$2
	shift 2
	sleep 0.5
	kill "$cap_pid" 2>/dev/null
	wait "$cap_pid" 2>/dev/null
	cap_pid=
	python3 "$tlscap" --only "$d" "$work/cap.pcap" "$p" "$@"
}

# sink [ARGS...]: sink_server.py on $port logging to $work/sink.$port, until it listens
sink() {
	rm -f "$work/ready.$port"
	python3 "$here/sink_server.py" --port $port --ready "$work/ready.$port" \
		--log "$work/sink.$port" "$@" &
	wait_for 10 test -e "$work/ready.$port"
}

# sink_lines N: wait for N lines in the sink's log, then print them sorted, one per line
sink_lines() {
	wait_for 40 sh -c "[ \$(cat '$work/sink.$port' 2>/dev/null | wc -l) -ge $1 ]"
	sort "$work/sink.$port" 2>/dev/null
}

# hs_is "PENDING ACTIVE": hs_counts says so
hs_is() {
	[ "$(hs_counts)" = "$1" ]
}

stop_daemon() {
	kill -STOP "$dpid"
}

cont_daemon() {
	kill -CONT "$dpid"
}

# tls_to TEXT: tls_client.py with the client certificate to 127.0.0.1:$port
tls_to() {
	timeout 30 python3 "$here/tls_client.py" "${2:-127.0.0.1}" $port "$pki/ca.pem" \
		"$pki/client.pem" "$pki/client.key" "$1" 2>&1
}

client_rule() {
	"$tlsockctl" policy add client "127.0.0.1:$port" profile client server-name server.test
}

server_rule() {
	"$tlsockctl" policy add server "${1:-*}:$port" profile server
}

hostile_tests() {
	local out v t0 i rid sid bad line what how holder

	# --- H1. MariaDB: server-first greeting, both ends unmodified and transparent -------
	next_port
	mkdir -p "$work/mariadb"
	if mariadb-install-db --no-defaults --datadir="$work/mariadb/data" --user=root \
		--auth-root-authentication-method=normal --skip-test-db \
		>"$work/mariadb/install.log" 2>&1; then
		ok "mariadb-install-db makes a datadir on the guest's tmpfs"
	else
		not_ok "mariadb-install-db makes a datadir on the guest's tmpfs" \
			"$(tail -n 10 "$work/mariadb/install.log")"
	fi
	server_rule >/dev/null
	client_rule >/dev/null
	mariadbd --no-defaults --datadir="$work/mariadb/data" --user=root --port=$port \
		--bind-address=127.0.0.1 --socket="$work/mariadb/sock" --skip-grant-tables \
		--skip-log-bin --skip-name-resolve --innodb-buffer-pool-size=16M \
		--pid-file="$work/mariadb/pid" >"$work/mariadb/server.log" 2>&1 &
	wait_for 60 listening $port
	cap_start $port
	out=$(timeout 60 mariadb -h 127.0.0.1 -P $port -u root --skip-ssl -N -B \
		-e "SELECT CONCAT('plaintext-marker-', 'maria-', 6*7)" 2>&1)
	check "mariadb client and mariadbd, both transparent: a query's result" \
		"plaintext-marker-maria-42" "$out" "$(tail -n 5 "$work/mariadb/server.log")"
	head -c 48000 /dev/urandom | base64 -w 0 >"$work/mariadb/val"
	printf 'plaintext-marker-mariabig' >>"$work/mariadb/val"
	out=$(printf "SELECT LENGTH('%s'), MD5('%s'), REPEAT('plaintext-marker-mariarep', 3000);\n" \
		"$(cat "$work/mariadb/val")" "$(cat "$work/mariadb/val")" |
		timeout 60 mariadb -h 127.0.0.1 -P $port -u root --skip-ssl -N -B 2>&1)
	v="$(stat -c %s "$work/mariadb/val") $(md5sum <"$work/mariadb/val" | cut -d' ' -f1)"
	check "mariadb: a 64 KB query and a 75 KB result through TLS" "$v 75000" \
		"$(awk '{ print $1, $2, length($3) }' <<<"$out")" "${out:0:300}"
	v=$(cap_check $port plaintext-marker-maria plaintext-marker-mariabig \
		plaintext-marker-mariarep)
	check "mariadb capture: TLS only, both ways" ok "${v%% *}" "$v"
	kill "$(cat "$work/mariadb/pid" 2>/dev/null)" 2>/dev/null
	"$tlsockctl" policy del all >/dev/null

	# --- H2. an SMTP-like server speaks first; a transparent client only reads ---------
	next_port
	server_rule >/dev/null
	client_rule >/dev/null
	python3 "$here/banner_server.py" --port $port --count 4 --ready "$work/ready.$port" \
		--log "$work/smtp.$port" &
	wait_for 10 test -e "$work/ready.$port"
	cap_start $port
	out=$(timeout 30 python3 "$client" read 127.0.0.1 $port 2>&1)
	check "SMTP-like banner server behind a server rule: the reading client gets the greeting" \
		"220 mail.test ESMTP plaintext-marker-smtp ready" "$(tr -d '\r' <<<"$out")"
	out=$(timeout 30 python3 "$client" smtp 127.0.0.1 $port 2>&1)
	check "... and an SMTP dialogue: greeting, EHLO, NOOP, QUIT, each after its reply" \
		"220 mail.test ESMTP plaintext-marker-smtp ready|250-mail.test greets you|250-SIZE 1048576|250 8BITMIME|250 OK plaintext-marker-noop|221 mail.test closing" \
		"$out"
	v=$(cap_check $port plaintext-marker-smtp plaintext-marker-noop EHLO)
	check "SMTP capture: TLS only" ok "${v%% *}" "$v"
	check "the server read the commands" "- EHLO NOOP QUIT" \
		"$(sort "$work/smtp.$port" | tr '\n' ' ' | sed 's/ $//')"
	# busybox nc writes its commands at once, half-closes (shutdown SHUT_WR) at the end of its
	# input, then reads: the server never reads the close_notify before the FIN, so its close()
	# resets; its last replies must leave first
	cap_start $port
	out=$(printf 'EHLO client.test\r\nNOOP\r\nQUIT\r\n' |
		timeout 30 busybox nc -w 5 127.0.0.1 $port 2>&1 | tr -d '\r' | tr '\n' '|')
	sleep 1
	kill "$cap_pid"
	wait "$cap_pid" 2>/dev/null
	cap_pid=
	check "a client that half-closes after its commands (busybox nc) reads every reply" \
		"220 mail.test ESMTP plaintext-marker-smtp ready|250-mail.test greets you|250-SIZE 1048576|250 8BITMIME|250 OK plaintext-marker-noop|221 mail.test closing|" \
		"$out" "$(tcpdump -nn -r "$work/cap.pcap" 2>/dev/null)"
	# shutdown(SHUT_WR) before the handshake is done: the FIN waits for TLS (it would
	# end the handshake), and the client still reads the greeting, as with plain TCP.
	# The daemon is stopped meanwhile, so that the shutdown surely comes first.
	stop_daemon
	timeout 30 python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
s.shutdown(socket.SHUT_WR)
try:
    print(s.recv(4096).decode().strip())
except OSError as e:
    print("error", e)' $port >"$work/halfclose.out" 2>&1 &
	sleep 1
	cont_daemon
	wait_for 30 test -s "$work/halfclose.out"
	out=$(cat "$work/halfclose.out")
	check "a client that half-closes before TLS is up still reads the greeting" \
		"220 mail.test ESMTP plaintext-marker-smtp ready" "$out"
	"$tlsockctl" policy del all >/dev/null

	# --- H3. the daemon killed mid-handshake, handshakes timing out ------------------
	set_param hs_timeout_ms 3000
	next_port
	client_rule >/dev/null
	sink --count 4 --wait 60			# a peer that never answers
	cap_start $port
	timeout 30 python3 "$client" echo 127.0.0.1 $port "plaintext-marker-killed" \
		>"$work/killed.out" 2>&1 &
	wait_for 10 hs_is "0 1"
	kill -KILL "$dpid"
	wait "$dpid" 2>/dev/null
	dpid=
	wait_for 10 test -s "$work/killed.out"
	check "tlsockd SIGKILLed while it runs the handshake: ECONNRESET" "errno ECONNRESET" \
		"$(cat "$work/killed.out")"
	v=$(cap_check $port plaintext-marker-killed)
	check "daemon killed: nothing in plaintext" ok "${v%% *}" "$v"
	start_daemon || bail "tlsockd restarts" "$(tail -n 20 "$work/tlsockd.log")"

	stop_daemon
	t0=$(date +%s)
	out=$(timeout 30 python3 "$client" echo 127.0.0.1 $port "plaintext-marker-stopped" 2>&1)
	check "tlsockd stopped (SIGSTOP): the handshake times out, ECONNRESET" "errno ECONNRESET" \
		"$out"
	check "... after hs_timeout_ms (3 s), not later than 10 s" yes \
		"$([ $(($(date +%s) - t0)) -le 10 ] && echo yes)"
	out=$(timeout 30 python3 "$client" nbecho 127.0.0.1 $port "plaintext-marker-nbstopped" 2>&1)
	check "... a non-blocking connect: poll() wakes with an error, SO_ERROR is ECONNRESET" \
		"errno ECONNRESET" "$out"
	cont_daemon

	i=$(stat_of TlsockHandshakeTimeout)
	cap_start $port
	t0=$(date +%s)
	out=$(timeout 30 python3 "$client" echo 127.0.0.1 $port "plaintext-marker-silent" 2>&1)
	check "a silent server: the handshake times out, ECONNRESET, within 10 s" "errno ECONNRESET 1" \
		"$out $(($(date +%s) - t0 <= 10))"
	check "the timeout is counted (TlsockHandshakeTimeout)" $((i + 1)) \
		"$(stat_of TlsockHandshakeTimeout)"
	v=$(cap_check_only to $port plaintext-marker-silent)
	check "silent server: the client's side carries TLS only" ok "${v%% *}" "$v"
	"$tlsockctl" policy del all >/dev/null

	# --- H4. a client that connects to a transparent server and sends nothing --------
	set_param hs_first_byte_ms 1000
	next_port
	server_rule >/dev/null
	sink --count 1 --wait 60 --banner "220 plaintext-marker-idle"
	t0=$(date +%s)
	out=$(timeout 30 python3 "$here/hostile_client.py" 127.0.0.1 $port nothing 30 2>&1)
	check "an idle client of a transparent server: reset, nothing read" \
		"got 0 first - end errno ECONNRESET" "$out"
	line=$(sink_lines 1)
	check "... its server application got an error, no byte, no hang" \
		"conn 0 got 0 first - end errno ECONNRESET tls failed" "$line"
	check "... within hs_first_byte_ms and hs_timeout_ms, not 30 s" yes \
		"$([ $(($(date +%s) - t0)) -le 12 ] && echo yes)"
	"$tlsockctl" policy del all >/dev/null

	# --- H5. more handshakes than hs_max_pending -----------------------------------
	set_param hs_timeout_ms 20000
	set_param hs_max_pending 3
	next_port
	client_rule >/dev/null
	py_server --cert "$pki/server.pem" --key "$pki/server.key" --ca "$pki/ca.pem" --count 3
	stop_daemon
	for i in 1 2 3 4 5 6 7 8; do
		timeout 60 python3 "$client" echo 127.0.0.1 $port "flood$i" >"$work/flood.$i" 2>&1 &
	done
	wait_for 30 sh -c "[ \$(cat $work/flood.* | grep -c ECONNRESET) -ge 5 ]"
	check "8 connects, hs_max_pending 3, daemon stopped: 3 wait, 5 are reset at once" \
		"5 3 0" "$(cat "$work"/flood.* | grep -c ECONNRESET) $(hs_counts)"
	cont_daemon
	wait_for 40 sh -c "[ \$(cat $work/flood.* | wc -l) -ge 8 ]"
	check "... the daemon back: the 3 waiting ones get their TLS session" \
		"3" "$(cat "$work"/flood.* | grep -c '^[1-8]doolf$')" \
		"$(cat "$work"/flood.*)"
	"$tlsockctl" policy del all >/dev/null

	next_port
	server_rule >/dev/null
	set_param hs_first_byte_ms 5000
	sink --count 6 --wait 60
	# six idle connections at once, from one process: the cap must hold, whatever the timing
	timeout 30 python3 -c '
import socket, sys, time
conns = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(6)]
time.sleep(15)' $port >/dev/null 2>&1 &
	holder=$!
	out=$(sink_lines 6 | sed 's/^conn 0 got 0 first - end errno ECONNRESET tls failed$/reset/' |
		uniq -c | awk '{ $1 = $1; print }' | tr '\n' ',')
	check "6 idle clients of a transparent server, cap 3: 3 accept()s fail with ECONNABORTED, 3 are reset" \
		"3 accept errno ECONNABORTED,3 reset," "$out"
	kill "$holder" 2>/dev/null
	restore_params
	set_param hs_timeout_ms 20000
	"$tlsockctl" policy del all >/dev/null

	# --- H6. a rule deleted mid-handshake -----------------------------------------
	next_port
	rid=$(client_rule)
	s_server $port
	stop_daemon
	timeout 40 python3 "$client" echo 127.0.0.1 $port "plaintext-marker-middel" \
		>"$work/middel.out" 2>&1 &
	wait_for 20 hs_is "1 0"
	"$tlsockctl" policy del "$rid"
	cont_daemon
	wait_for 30 test -s "$work/middel.out"
	check "a client rule deleted while its handshake waits: the request runs on, TLS" \
		"leddim-rekram-txetnialp" "$(cat "$work/middel.out")"

	next_port
	sid=$(server_rule)
	sink --count 1 --wait 30 --reply pong
	stop_daemon
	tls_to "plaintext-marker-srvdel" >"$work/srvdel.out" &
	wait_for 20 hs_is "1 0"
	"$tlsockctl" policy del "$sid"
	cont_daemon
	wait_for 30 test -s "$work/srvdel.out"
	check "a server rule deleted while an accepted child's handshake runs: it goes on, TLS" \
		"pong TLSv1.3 | conn 0 got 24 first 706c61696e746578742d6d61726b6572 end eof tls established" \
		"$(cat "$work/srvdel.out") | $(sink_lines 1)"

	next_port
	sid=$(server_rule)
	sink --count 1 --wait 30 --reply "plaintext-marker-queued" --accept-after "$work/go.$port"
	cap_start $port
	timeout 30 python3 "$here/hostile_client.py" 127.0.0.1 $port http 20 \
		>"$work/queued.out" 2>&1 &
	wait_for 10 sh -c "ss -tnH state established '( sport = :$port )' | grep -q ."
	"$tlsockctl" policy del "$sid"
	touch "$work/go.$port"
	check "a server rule deleted while a plaintext child waits in the backlog: accepted, read nothing" \
		"conn 0 got 0 first - end errno ECONNRESET tls none" "$(sink_lines 1)"
	wait_for 30 test -s "$work/queued.out"
	v=$(cap_check_only from $port plaintext-marker-queued)
	# the server's side sent no payload at all: tlscap.py finds nothing to check
	check "... the client was reset and got nothing from the server" "reset no payload" \
		"$(grep -q 'got 0 first - end errno ECONNRESET' "$work/queued.out" && echo reset) ${v:0:10}" \
		"$(cat "$work/queued.out")" "$v"

	# --- H7. plaintext clients sending hostile bytes to a transparent server ----------
	set_param hs_timeout_ms 3000
	next_port
	server_rule >/dev/null
	sink --count 3 --wait 30 --reply "plaintext-marker-answer"
	cap_start $port
	bad=
	for what in garbage http hello; do
		out=$(timeout 30 python3 "$here/hostile_client.py" 127.0.0.1 $port $what 20 2>&1)
		# at most TLS records (an alert) before the reset, never the application's words
		case $out in
		"got 0 first - end errno ECONNRESET"|"got "*" first 15"*" end errno ECONNRESET"|\
		"got "*" first 15"*" end eof") ;;
		*) bad="$bad $what: $out;" ;;
		esac
	done
	check "garbage, an HTTP request, a truncated ClientHello: each client is refused with TLS or a reset" \
		"" "$bad"
	check "... the server application read none of it" \
		"conn 0 got 0 first - end errno ECONNRESET tls failed|conn 0 got 0 first - end errno ECONNRESET tls failed|conn 0 got 0 first - end errno ECONNRESET tls failed|" \
		"$(sink_lines 3 | tr '\n' '|')"
	v=$(cap_check_only from $port plaintext-marker-answer)
	check "... and its side of the wire is TLS only" ok "${v%% *}" "$v"
	"$tlsockctl" policy del all >/dev/null

	# --- H8. a plain server answers a transparent client in plaintext -----------------
	next_port
	client_rule >/dev/null
	sink --count 2 --wait 30 --banner "220 plaintext-banner-of-a-plain-server" \
		--reply "HTTP/1.0 400 plaintext-reply-of-a-plain-server"
	cap_start $port
	out="$(timeout 30 python3 "$client" read 127.0.0.1 $port 2>&1) |"
	out="$out $(timeout 30 python3 "$client" echo 127.0.0.1 $port "plaintext-marker-toplain" 2>&1)"
	check "a plain server's banner and reply never reach a transparent client: ECONNRESET" \
		"errno ECONNRESET | errno ECONNRESET" "$out"
	v=$(cap_check_only to $port plaintext-marker-toplain)
	check "... its side of the wire is TLS only" ok "${v%% *}" "$v"
	# (a daemon that finds the banner first may fail before its ClientHello: nothing read)
	check "... the plain server read at most ClientHellos, never the client's words" 0 \
		"$(sink_lines 2 | grep -vc '^conn 0 got \(0 first -\|[0-9]* first 1603\)')" \
		"$(cat "$work/sink.$port")"
	"$tlsockctl" policy del all >/dev/null
	restore_params
	wait_for 30 settled
	check "after the failures: no handshake left pending, every one counted once" 0 $? \
		"$(settled_detail)"

	# --- H9. rules added and deleted while connect() and accept() loops run -----------
	next_port
	next_port
	out=$(timeout 200 python3 "$here/race.py" --port $((port - 1)) --secs 8 \
		--tlsockctl "$tlsockctl" 2>&1)
	line=$(head -n 1 <<<"$out")
	echo "# race: $line"
	check "8 s of rules changing under blocking, non-blocking and epoll connect()/accept(): no violation, no hang" \
		"violations 0 hung 0" "$(sed -n 's/.*\(violations [0-9]* hung [0-9]*\)$/\1/p' <<<"$line")" \
		"$out"
	check "... both kinds of session happened (TLS both ends, plain both ends)" yes \
		"$(awk '{ print ($4 > 0 && $6 > 0) ? "yes" : "no" }' <<<"$line")" "$line"
	"$tlsockctl" policy del all >/dev/null
	wait_for 40 settled
	check "after the race: nothing pending, counters add up" 0 $? "$(settled_detail)"
	check "after the race: no session counted as open" "0 0" \
		"$(stat_of TlsockCurrTx) $(stat_of TlsockCurrRx)" "$(cat /proc/net/tlsock_stat)"

	# --- H10. SO_REUSEPORT, handed-over listeners, dual-stack ---------------------------
	next_port
	sid=$(server_rule)
	sink --count 16 --listeners 2 --reply pong
	cap_start $port
	# all at once: tlsockd keeps one of its four workers for clients, and the server
	# handshakes beyond the other three wait in the kernel's queue (the role filter of
	# ACCEPT), none claimed only to be refused with EBUSY
	for i in $(seq 16); do
		tls_to "plaintext-marker-reuse" >"$work/reuse.$i" &
	done
	wait_for 60 sh -c "[ \$(cat $work/reuse.* | wc -l) -ge 16 ]"
	check "an SO_REUSEPORT group of 2 behind a server rule: 16 TLS clients answered" 16 \
		"$(cat "$work"/reuse.* | grep -c '^pong TLSv1.3$')" "$(cat "$work"/reuse.*)"
	out=$(sink_lines 16)
	check "... both listeners took connections, every one TLS" "yes 16" \
		"$(grep -q '^conn 0' <<<"$out" && grep -q '^conn 1' <<<"$out" && echo yes) $(grep -c 'tls established$' <<<"$out")" \
		"$out"
	v=$(cap_check $port plaintext-marker-reuse pong)
	check "SO_REUSEPORT capture: TLS only" ok "${v%% *}" "$v"
	check "the rule counts the 16 connections, all handshakes ok" "16 16" \
		"$(rule_counter "$sid" connections) $(rule_counter "$sid" ok)"
	"$tlsockctl" policy del all >/dev/null

	# handed_over WHAT TAG: a TLS client of the port: the one process that accepts gets TLS
	handed_over() {
		local out v
		cap_start $port
		out=$(tls_to "plaintext-marker-$2")
		check "$1: TLS to the process that accepts" "pong TLSv1.3 | conn 0 tls established" \
			"$out | $(sink_lines 1 | sed 's/ got [0-9]* first [0-9a-f]* end eof//')"
		v=$(cap_check $port "plaintext-marker-$2" pong)
		check "$1, capture: TLS only" ok "${v%% *}" "$v"
		"$tlsockctl" policy del all >/dev/null
	}
	for how in scm fork; do
		next_port
		server_rule >/dev/null
		sink --count 1 --handoff $how --reply pong
		handed_over "a listener handed over by $how" $how
	done

	# systemd socket activation, as systemd does it: the listener is bound by one process
	# (systemd-socket-activate) and served by the program it starts on the first connection;
	# the rule comes before the bind (the hook adopts it) or after (the rule's walk does)
	for when in before after; do
		next_port
		[ $when = before ] && server_rule >/dev/null
		systemd-socket-activate -l 127.0.0.1:$port python3 "$here/sink_server.py" \
			--port $port --handoff systemd --count 1 --reply pong \
			--log "$work/sink.$port" >/dev/null 2>&1 &
		wait_for 10 sh -c "ss -Hltn 'sport = :$port' | grep -q ."
		[ $when = after ] && server_rule >/dev/null
		handed_over "a socket-activated listener, rule $when its bind" sd$when
	done

	next_port
	server_rule >/dev/null
	sink --count 2 --host :: --reply pong
	cap_start $port
	out="$(tls_to "plaintext-marker-dual") | $(tls_to "v6" ::1)"
	check "a dual-stack listener (::, not V6ONLY): an IPv4(-mapped) and an IPv6 client, TLS" \
		"pong TLSv1.3 | pong TLSv1.3" "$out"
	v=$(cap_check $port plaintext-marker-dual pong)
	check "dual-stack capture: TLS only" ok "${v%% *}" "$v"
	"$tlsockctl" policy del all >/dev/null

	next_port
	server_rule 127.0.0.1 >/dev/null
	sink --count 2 --host :: --reply pong
	out="$(tls_to "mapped") | $(timeout 30 python3 "$client" echo ::1 $port "v6plain" 2>&1)"
	check "an IPv4 rule on a dual-stack listener covers IPv4-mapped children only" \
		"pong TLSv1.3 | pong" "$out" "$(cat "$work/sink.$port")"
	"$tlsockctl" policy del all >/dev/null

	# --- H11. adopted listeners closed while their rule is deleted -------------------
	next_port
	out=$(timeout 300 python3 "$here/close_race.py" --port $port --rounds 30 \
		--tlsockctl "$tlsockctl" 2>&1)
	check "30 rounds: 16 adopted listeners closed while their rule is deleted" "rounds 30" "$out"

	wait_for 30 settled
	check "at the end: nothing pending, counters add up" 0 $? "$(settled_detail)"
}

# --- run on its own -------------------------------------------------------------------
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	# shellcheck source=env.sh
	. "$here/env.sh"
	plan=$hostile_plan
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
	port=24000
	[ -d /sys/module/tlsock ] || bail "tlsock.ko is loaded"
	mkpki || bail "test PKI"
	mkconf
	start_daemon || bail "tlsockd starts" "$(tail -n 20 "$work/tlsockd.log")"
	"$tlsockctl" hooks attach >/dev/null 2>&1 || bail "tlsockctl hooks attach"
	hostile_tests
	"$tlsockctl" policy del all
	"$tlsockctl" hooks detach >/dev/null
	[ $n = $plan ] || echo "# plan $plan but $n tests ran"
	echo "1..$plan"
	exit $((failed != 0))
fi
