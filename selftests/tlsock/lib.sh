# SPDX-License-Identifier: GPL-2.0
# Shared by tlsock's shell tests: run tlsock_hold as a coprocess and talk to it.
# Functions print nothing on success; failures say why on stdout and return 1.

bindir=${TLSOCK_BIN_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/tlsock}
hold_bin=$bindir/tlsock_hold

# hold_start NAME SPEC...: start tlsock_hold; sets NAME_pid, NAME_in, NAME_out and
# NAME_ports (the first end's local port of each pair).
hold_start() {
	local name=$1 line pid in out ports=()
	shift
	[ -x "$hold_bin" ] || { echo "$hold_bin not built"; return 1; }
	# (bash warns when an earlier coproc still runs: that is intended here)
	{ coproc HOLD { exec "$hold_bin" "$@" 2>&1; }; } 2>/dev/null
	pid=$HOLD_PID
	# coproc descriptors vanish with the next coproc: keep copies
	exec {out}<&"${HOLD[0]}" {in}>&"${HOLD[1]}"
	while IFS= read -r -t 60 line <&"$out"; do
		case $line in
		ready) break ;;
		"pair "*) set -- $line; ports+=("$5") ;;
		*) echo "$name: $line"; wait "$pid"; return 1 ;;
		esac
	done
	[ "$line" = ready ] || { echo "$name: tlsock_hold did not get ready"; return 1; }
	printf -v "${name}_pid" %s "$pid"
	printf -v "${name}_in" %s "$in"
	printf -v "${name}_out" %s "$out"
	eval "${name}_ports=(${ports[*]})"
}

# hold_check NAME: a verified exchange in both directions on every pair.
hold_check() {
	local in=${1}_in out=${1}_out line
	echo check >&"${!in}" || { echo "$1: tlsock_hold is gone"; return 1; }
	IFS= read -r -t 120 line <&"${!out}"
	[ "$line" = ok ] || { echo "$1: check: ${line:-no answer}"; return 1; }
}

# hold_stop NAME: close the sockets and wait for tlsock_hold to exit.
hold_stop() {
	local pid=${1}_pid in=${1}_in out=${1}_out
	local ifd=${!in} ofd=${!out}
	echo quit >&"$ifd" 2>/dev/null
	wait "${!pid}" 2>/dev/null
	exec {ifd}>&- {ofd}<&-
}
