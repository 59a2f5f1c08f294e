#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Transparent TLS under an unmodified application: redis-benchmark against an unmodified
# redis-server, four ways, side by side in one boot (run inside the VM: tlsock.ko loaded, the
# tree built):
#
#   plain    plain TCP, the baseline
#   tlsock   the same plain programs; a client rule covers redis-benchmark's connections, a
#            server rule redis-server's port: mutual TLS made by tlsock.ko and tlsockd
#   native   Redis's own TLS: redis-server --tls-port, redis-benchmark --tls (OpenSSL)
#   stunnel  plain redis-benchmark -> stunnel client -> stunnel server -> plain redis-server
#
# Every configuration uses the same throwaway ECDSA P-256 PKI and requires client certificates.
# Two shapes: persistent connections (-k 1, the requests of one connection one after the other,
# -P 1), and a new connection per request (-k 0: every request pays TCP's and TLS's set-up). Each
# run is repeated --reps times, the configurations interleaved; the report gives the median of
# ops/s, p50 and p99 latency and each one's ratio to plain. Under emulation only the ratios mean
# something. A configuration that cannot run is reported as FAILED and makes the exit status 1.
#
#   selftests/vm/run.sh --icount --timeout 900 -- selftests/bench/redis-bench.sh [options]
#
#   --requests N     requests per test with persistent connections (default 8000)
#   --conn-requests N  requests per test with -k 0, one connection each (default 150)
#   --clients N      parallel connections (redis-benchmark -c, default 4)
#   --tests LIST     redis-benchmark tests with persistent connections (-t, default set,get)
#   --conn-tests LIST  the same with -k 0 (default get: a handshake costs the same whatever
#                    the command)
#   --reps N         runs of each configuration and shape (default 3)
#   --configs LIST   which of plain,tlsock,native,stunnel (default all; plain always runs)
#   --shapes LIST    persistent,conn (default both)
#   --cpu N          pin everything (redis, the benchmark, stunnel, tlsockd) to CPU N (default 0;
#                    -1: no pinning). Under emulation a wake-up across vCPUs costs milliseconds
#                    of host scheduling, which would swamp what is measured.
#   --daemon-log     print tlsockd's log at the end

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/tlsenv.sh
. "$here/../lib/tlsenv.sh"

requests=8000
conn_requests=150
clients=4
tests='set,get'
conn_tests='get'
reps=3
configs=plain,tlsock,native,stunnel
shapes=persistent,conn
cpu=0
show_log=0

usage() {
	sed -n '/^#   selftests\/vm/,/^$/s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--requests) requests=$2; shift ;;
	--conn-requests) conn_requests=$2; shift ;;
	--clients) clients=$2; shift ;;
	--tests) tests=$2; shift ;;
	--conn-tests) conn_tests=$2; shift ;;
	--reps) reps=$2; shift ;;
	--configs) configs=$2; shift ;;
	--shapes) shapes=$2; shift ;;
	--cpu) cpu=$2; shift ;;
	--daemon-log) show_log=1 ;;
	-h|--help) usage ;;
	*) echo "redis-bench: unknown option $1" >&2; usage ;;
	esac
	shift
done

say() { echo "redis-bench: $*"; }
die() {
	echo "redis-bench: $*" >&2
	exit 1
}
# loud() MSG: a line that must not be missed in a long log
loud() { echo "redis-bench: !!!!! $* !!!!!"; }

# Pin this shell; everything it starts inherits the CPU.
if [ "$cpu" -ge 0 ] 2>/dev/null; then
	taskset -pc "$cpu" $$ >/dev/null || die "taskset: cannot pin to CPU $cpu"
fi

# configuration -> port the benchmark talks to; the plain redis-server behind stunnel and the
# stunnel server have ports of their own
declare -A port=([plain]=26001 [tlsock]=26002 [native]=26003 [stunnel]=26006)
stunnel_srv_port=26005
stunnel_redis_port=26004

work=
dpid=
pids=()

cleanup() {
	local p
	if [ -n "$dpid" ]; then
		"$tlsockctl" policy del all >/dev/null 2>&1
		"$tlsockctl" hooks detach >/dev/null 2>&1
	fi
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null
	wait 2>/dev/null
	[ -n "$work" ] && [ -z "${REDIS_BENCH_KEEP:-}" ] && rm -rf "$work"
}
trap cleanup EXIT

declare -A want failed_cfg
for c in ${configs//,/ }; do
	[ -n "${port[$c]:-}" ] || die "unknown configuration $c (plain,tlsock,native,stunnel)"
	want[$c]=1
done
want[plain]=1
order=()
for c in plain tlsock native stunnel; do
	[ -n "${want[$c]:-}" ] && order+=("$c")
done

for b in redis-server redis-benchmark redis-cli stunnel4 certtool; do
	command -v "$b" >/dev/null || die "$b is missing (selftests/vm/install-deps.sh)"
done
if [ -n "${want[tlsock]:-}" ]; then
	[ "$(id -u)" = 0 ] || die "needs root (tlsockd, the cgroup hooks)"
	[ -d /sys/module/tlsock ] || die "tlsock.ko is not loaded"
	if [ ! -x "$tlsockd" ] || [ ! -x "$tlsockctl" ]; then
		die "tlsockd or tlsockctl is missing (make all)"
	fi
	if "$tlsockctl" status 2>/dev/null | grep -q '^daemon: listening'; then
		die "another tlsockd listens in this namespace: stop it first"
	fi
fi
ip link set lo up 2>/dev/null
# -k 0 leaves a socket in TIME_WAIT per request, on the benchmark's side
sysctl -qw net.ipv4.tcp_tw_reuse=1 2>/dev/null ||
	say "note: could not set net.ipv4.tcp_tw_reuse=1"

work=$(mktemp -d /tmp/redis-bench.XXXXXX) || die "mktemp"
mkpki || die "certtool could not make the PKI"
pki=$work/pki

# redis_start NAME PORT ARGS...: a redis-server without persistence, until PORT listens
redis_start() {
	local name=$1 p=$2
	shift 2
	redis-server --bind 127.0.0.1 --save "" --appendonly no --dir "$work" \
		--logfile "$work/redis-$name.log" "$@" &
	pids+=($!)
	wait_for 10 listening "$p"
}

broken() {	# broken CONFIG WHY: the configuration cannot run; say so
	failed_cfg[$1]=$2
	loud "$1 CANNOT RUN: $2"
}

# --- set-up -----------------------------------------------------------------------------
say "redis $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p'), $(stunnel4 -version 2>&1 |
	sed -n '/^stunnel /{s/ on .*//p;q}'), tlsock $("$tlsockctl" version 2>/dev/null | tr '\n' ' ')"
say "pinned to CPU ${cpu/#-1/none}; CPUs online: $(cat /sys/devices/system/cpu/online)"
if [ "${TLSOCK_VM_ICOUNT:-0}" = 1 ]; then
	say "timing: virtual time (QEMU icount)"
elif [ "${TLSOCK_VM:-0}" = 1 ]; then
	say "timing: guest clock follows the host clock: host load adds noise"
fi

redis_start plain "${port[plain]}" --port "${port[plain]}" || broken plain "redis-server does not listen"

if [ -n "${want[tlsock]:-}" ]; then
	cat >"$work/tlsockd.conf" <<-EOF
	[daemon]
	workers = 8
	log = stderr
	; every peer is 127.0.0.1
	max_per_peer = 0

	[profile client]
	cert = $pki/client.pem
	key = $pki/client.key
	ca = $pki/ca.pem

	[profile server]
	cert = $pki/server.pem
	key = $pki/server.key
	ca = $pki/ca.pem
	client_auth = require
	EOF
	if ! start_daemon; then
		broken tlsock "tlsockd does not start: $(tail -n 3 "$work/tlsockd.log")"
	elif ! out=$("$tlsockctl" hooks attach 2>&1); then
		broken tlsock "tlsockctl hooks attach: $out"
	elif ! srule=$("$tlsockctl" policy add server "127.0.0.1:${port[tlsock]}" \
			profile server 2>&1) ||
	     ! crule=$("$tlsockctl" policy add client "127.0.0.1:${port[tlsock]}" \
			profile client server-name server.test 2>&1); then
		broken tlsock "tlsockctl policy add: $srule $crule"
	elif ! redis_start tlsock "${port[tlsock]}" --port "${port[tlsock]}"; then
		broken tlsock "redis-server does not listen"
	else
		"$tlsockctl" policy list | sed 's/^/redis-bench: rule /'
	fi
fi

if [ -n "${want[native]:-}" ]; then
	redis_start native "${port[native]}" --port 0 --tls-port "${port[native]}" --tls-cert-file "$pki/server.pem" \
		--tls-key-file "$pki/server.key" --tls-ca-cert-file "$pki/ca.pem" \
		--tls-auth-clients yes || broken native "redis-server --tls-port does not listen"
fi

if [ -n "${want[stunnel]:-}" ]; then
	# the same settings on both ends as the others have: TLS 1.2 or later, the peer verified
	# against the test CA (the server's name too), a client certificate required, and
	# TCP_NODELAY as redis and hiredis set it on their own sockets. Its log goes to a file only:
	# without a syslog daemon, syslog() would write every line to the console.
	for side in server client; do
		{
			printf 'foreground = yes\nsyslog = no\npid =\ndebug = info\n'
			printf 'socket = l:TCP_NODELAY=1\nsocket = r:TCP_NODELAY=1\n\n'
			if [ $side = server ]; then
				printf '[redis-tls]\naccept = 127.0.0.1:%s\nconnect = 127.0.0.1:%s\n' \
					"$stunnel_srv_port" "$stunnel_redis_port"
				printf 'cert = %s\nkey = %s\n' "$pki/server.pem" "$pki/server.key"
			else
				printf '[redis-plain]\nclient = yes\naccept = 127.0.0.1:%s\n' \
					"${port[stunnel]}"
				printf 'connect = 127.0.0.1:%s\n' "$stunnel_srv_port"
				printf 'cert = %s\nkey = %s\n' "$pki/client.pem" "$pki/client.key"
				printf 'checkHost = server.test\n'
			fi
			printf 'CAfile = %s\nverifyChain = yes\nrequireCert = yes\n' "$pki/ca.pem"
			printf 'sslVersionMin = TLSv1.2\n'
		} >"$work/stunnel-$side.conf"
	done
	if ! redis_start stunnel "$stunnel_redis_port" --port "$stunnel_redis_port"; then
		broken stunnel "the redis-server behind stunnel does not listen"
	else
		for side in server client; do
			stunnel4 "$work/stunnel-$side.conf" >"$work/stunnel-$side.log" 2>&1 &
			pids+=($!)
		done
		if ! wait_for 10 listening "$stunnel_srv_port" ||
		   ! wait_for 10 listening "${port[stunnel]}"; then
			broken stunnel "stunnel does not listen: $(tail -n 3 "$work"/stunnel-*.log)"
		fi
	fi
fi

# Each configuration answers one PING before anything is timed (stunnel, tlsock: through TLS).
for c in "${order[@]}"; do
	[ -n "${failed_cfg[$c]:-}" ] && continue
	tls=()
	[ "$c" = native ] && tls=(--tls --cacert "$pki/ca.pem" --cert "$pki/client.pem"
				--key "$pki/client.key" --sni server.test)
	out=$(timeout 30 redis-cli -p "${port[$c]}" "${tls[@]}" PING 2>&1)
	[ "$out" = PONG ] || broken "$c" "redis-cli PING: $out"
done
if [ -n "${want[tlsock]:-}" ] && [ -z "${failed_cfg[tlsock]:-}" ]; then
	ok=$("$tlsockctl" policy list | grep -A1 "^$crule: " | sed -n 's/.* ok \([0-9]*\).*/\1/p')
	[ "${ok:-0}" -ge 1 ] ||
		broken tlsock "the PING did not go through the client rule's handshake (ok ${ok:-?})"
fi

# --- runs -------------------------------------------------------------------------------
declare -A tests_of=([persistent]=$tests [conn]=$conn_tests)

# cpu_ticks: "BUSY TOTAL" jiffies of the pinned CPU (of all CPUs when not pinned) so far
cpu_ticks() {
	local name=cpu
	[ "$cpu" -ge 0 ] 2>/dev/null && name=cpu$cpu
	awk -v n="$name" '$1 == n {
		t = 0
		for (i = 2; i <= NF; i++)
			t += $i
		print t - $5 - $6, t
	}' /proc/stat
}

# bench CONFIG SHAPE REP: one redis-benchmark run, CSV into $work/res/SHAPE.CONFIG.REP and the
# CPU's busy share during the run (percent) into the same file plus .cpu
mkdir "$work/res"
bench() {
	local c=$1 shape=$2 rep=$3 args out rc t before
	t=${tests_of[$shape]}
	args=(-p "${port[$c]}" -t "$t" -c "$clients" -P 1 --csv)
	if [ "$shape" = persistent ]; then
		args+=(-n "$requests")
	else
		args+=(-n "$conn_requests" -k 0)
	fi
	[ "$c" = native ] && args+=(--tls --cacert "$pki/ca.pem" --cert "$pki/client.pem"
				  --key "$pki/client.key" --sni server.test)
	out=$work/res/$shape.$c.$rep
	before=$(cpu_ticks)
	timeout 600 redis-benchmark "${args[@]}" >"$out" 2>"$out.err"
	rc=$?
	echo "$before $(cpu_ticks)" |
		awk '{ if ($4 > $2) printf "%.0f\n", 100 * ($3 - $1) / ($4 - $2) }' >"$out.cpu"
	# a run counts when it exits 0 and reports every test (redis-benchmark goes on after
	# errors on some connections; it then prints them on stderr)
	if [ $rc != 0 ] || [ "$(grep -c '^"[A-Z]' "$out")" != "$(tr ',' '\n' <<<"$t" | wc -l)" ] ||
	   grep -qi error "$out.err"; then
		broken "$c" "redis-benchmark ($shape, run $rep) exit $rc: $(grep -v '^"test"' "$out" |
			head -n 2) $(grep -v Keepalive "$out.err" | head -n 3)"
		return 1
	fi
}

t0=$(date +%s)
for shape in ${shapes//,/ }; do
	case $shape in persistent|conn) ;; *) die "unknown shape $shape" ;; esac
	for rep in $(seq "$reps"); do
		for c in "${order[@]}"; do
			[ -n "${failed_cfg[$c]:-}" ] && continue
			bench "$c" "$shape" "$rep"
		done
	done
	say "$shape runs done after $(($(date +%s) - t0)) s"
done

# --- report -----------------------------------------------------------------------------
# median SHAPE CONFIG TEST COLUMN: the median over the runs of a CSV column (2 rps, 5 p50, 7 p99)
median() {
	cat "$work/res/$1.$2".[0-9]* 2>/dev/null | awk -F'","' -v t="\"$3" -v c="$4" '
		$1 == t { gsub(/"/, "", $c); v[n++] = $c + 0 }
		END {
			if (!n)
				exit
			asort(v)
			printf "%.3f\n", n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
		}'
}

# cpu_median SHAPE CONFIG: the median busy percentage of the CPU over the runs
cpu_median() {
	cat "$work/res/$1.$2".[0-9]*.cpu 2>/dev/null | sort -n |
		awk '{ v[n++] = $1 } END { if (n) print v[int((n - 1) / 2)] "%" }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b; else printf "-" }'; }

rc=0
declare -A res
for shape in ${shapes//,/ }; do
	echo
	if [ "$shape" = persistent ]; then
		say "PERSISTENT connections: -n $requests -c $clients -P 1, median of $reps runs"
	else
		say "NEW CONNECTION PER REQUEST: -k 0 -n $conn_requests -c $clients -P 1," \
			"median of $reps runs (ops/s = connections/s)"
	fi
	[ "$shape" = conn ] && say "(-k 0 latencies are not comparable: with tlsock the benchmark" \
		"only sees its socket writable once TLS is up, so they leave the handshake out)"
	printf 'redis-bench: %-8s %-4s %10s %7s %9s %7s %9s %7s %5s\n' config test ops/s x-plain \
		p50-ms x-plain p99-ms x-plain cpu
	for t in ${tests_of[$shape]//,/ }; do
		T=${t^^}
		pr=$(median "$shape" plain "$T" 2)
		p50=$(median "$shape" plain "$T" 5)
		p99=$(median "$shape" plain "$T" 7)
		for c in "${order[@]}"; do
			if [ -n "${failed_cfg[$c]:-}" ]; then
				printf 'redis-bench: %-8s %-4s FAILED: %s\n' "$c" "$T" "${failed_cfg[$c]}"
				continue
			fi
			r=$(median "$shape" "$c" "$T" 2)
			l50=$(median "$shape" "$c" "$T" 5)
			l99=$(median "$shape" "$c" "$T" 7)
			printf 'redis-bench: %-8s %-4s %10s %7s %9s %7s %9s %7s %5s\n' "$c" "$T" \
				"$r" "$(ratio "$r" "$pr")" "$l50" "$(ratio "$l50" "$p50")" "$l99" \
				"$(ratio "$l99" "$p99")" "$(cpu_median "$shape" "$c")"
			res[$shape.$c.$t.rps]=$r
			res[$shape.$c.$t.p50]=$l50
		done
	done
done

# The issue's targets, and -k 0 against the faster userspace TLS
echo
val() { echo "${res[$1]:-}"; }
for t in $(tr ',' '\n' <<<"$tests,$conn_tests" | sort -u); do
	T=${t^^}
	if [[ ",$shapes," == *,persistent,* ]] && [[ ",$tests," == *",$t,"* ]] &&
	   [ -n "${want[tlsock]:-}" ]; then
		if [ -n "${failed_cfg[tlsock]:-}" ]; then
			loud "target $T: tlsock did not run"
		else
			x=$(ratio "$(val "persistent.tlsock.$t.rps")" "$(val "persistent.plain.$t.rps")")
			y=$(ratio "$(val "persistent.tlsock.$t.p50")" "$(val "persistent.plain.$t.p50")")
			v1=$(awk -v x="$x" 'BEGIN { print (x >= 0.85) ? "met" : "NOT MET" }')
			v2=$(awk -v y="$y" 'BEGIN { print (y <= 1.2) ? "met" : "NOT MET" }')
			say "target $T persistent: tlsock ops/s ${x}x plain (>= 0.85: $v1)," \
				"p50 ${y}x plain (<= 1.2: $v2)"
		fi
	fi
	if [[ ",$shapes," == *,conn,* ]] && [[ ",$conn_tests," == *",$t,"* ]] &&
	   [ -n "${want[tlsock]:-}" ] &&
	   [ -z "${failed_cfg[tlsock]:-}" ]; then
		best=''
		bestc=''
		for c in native stunnel; do
			if [ -z "${want[$c]:-}" ] || [ -n "${failed_cfg[$c]:-}" ]; then
				continue
			fi
			r=$(val "conn.$c.$t.rps")
			if [ -z "$best" ] || awk -v a="$r" -v b="$best" 'BEGIN { exit !(a > b) }'; then
				best=$r bestc=$c
			fi
		done
		if [ -n "$best" ]; then
			say "-k 0 $T: tlsock $(val "conn.tlsock.$t.rps") connections/s =" \
				"$(ratio "$(val "conn.tlsock.$t.rps")" "$best")x the faster userspace TLS" \
				"($bestc, $best/s)"
		else
			loud "-k 0 $T: no userspace TLS configuration ran to compare tlsock with"
		fi
	fi
done

if [ -n "${want[tlsock]:-}" ] && [ -z "${failed_cfg[tlsock]:-}" ]; then
	echo
	say "tlsock rules after the runs:"
	"$tlsockctl" policy list | sed 's/^/redis-bench:   /'
	log=$work/tlsockd.log
	say "tlsockd: $(grep -c ': ok version' "$log") handshakes ok" \
		"($(grep -c 'resumed yes' "$log") resumed), $(grep -c ': failed ' "$log") failed;" \
		"negotiated: $(grep -o 'ok version [^ ]* cipher [^ ]*' "$log" | sort | uniq -c |
		sort -rn | head -n 2 | sed 's/^ *//' | tr '\n' ';')"
	# redis-benchmark closes the connections still being made when a -k 0 test ends: their
	# handshakes fail with the request gone, and the rules count them as failed
	grep -E ': failed |refused' "$log" | head -n 5 | sed 's/^/redis-bench: tlsockd: /'
	[ $show_log = 1 ] && sed 's/^/tlsockd: /' "$log"
fi
if [ -n "${want[stunnel]:-}" ] && [ -z "${failed_cfg[stunnel]:-}" ]; then
	say "stunnel client: $(grep -c 'TLS connected: previous session reused' "$work/stunnel-client.log")" \
		"sessions reused of $(grep -c 'TLS connected' "$work/stunnel-client.log") connected"
fi

for c in "${order[@]}"; do
	if [ -n "${failed_cfg[$c]:-}" ]; then
		loud "$c FAILED: ${failed_cfg[$c]}"
		rc=1
	fi
done
say "done in $(($(date +%s) - t0)) s, exit status $rc"
exit $rc
