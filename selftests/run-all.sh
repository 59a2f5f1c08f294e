#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run every registered tlsock suite and count the results. Meant for the test VM
# (selftests/vm/run.sh -- selftests/run-all.sh) or any machine with tlsock.ko loaded.
#
#   run-all.sh [SUITE...]      (default: every suite; a suite is named by its directory)
#
# A suite registers itself by shipping an executable selftests/<name>/run-suite.sh that prints
# TAP or KTAP and exits non-zero on failure. Only top-level "ok"/"not ok" lines count (indented
# KTAP subtests are the suite's own detail). A SKIP is not a pass: it counts as failed. A suite
# that exits non-zero without a failing line, prints fewer results than its plan, or prints none,
# gets one failure more. A suite's time limit is "timeout=" in its directory's settings file, else
# the one in selftests/settings, multiplied by $TLSOCK_TIMEOUT_SCALE if set (a slower kernel).
# A suite whose settings say "requires=fault-injection" is only selected by default on a kernel
# with fault injection (make check KERNEL=debug); one that says "requires=packages" (the installed
# Debian packages, make check-pkg) or "requires=opt-in" (a suite not yet reliable enough for the
# default run) never by default; named, any of them runs.
#
# The last line is "N passed, N failed"; the exit status is non-zero unless N failed is 0 and at
# least one test passed. In the VM, running totals go to $TLSOCK_VM_RESULTS/tally.

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

setting() {
	sed -n "s/^$2=//p" "$1" 2>/dev/null | tail -n 1
}

default_timeout=$(setting "$here/settings" timeout)
default_timeout=${default_timeout:-3600}
timeout_scale=${TLSOCK_TIMEOUT_SCALE:-1}
[[ $timeout_scale =~ ^[1-9][0-9]*$ ]] || timeout_scale=1

total_pass=0
total_fail=0
summaries=()

write_tally() {
	if [ -n "${TLSOCK_VM_RESULTS:-}" ]; then
		echo "$total_pass $total_fail" > "$TLSOCK_VM_RESULTS/tally.tmp" &&
			mv "$TLSOCK_VM_RESULTS/tally.tmp" "$TLSOCK_VM_RESULTS/tally"
	fi
}

# Count one suite's TAP output; prints "pass fail skip planned" then one failing name per line.
count_tap() {
	awk '
	/^1\.\.[0-9]+/ { if (!planned) planned = substr($1, 4) + 0; next }
	/^(not )?ok( |$)/ {
		notok = ($1 == "not")
		line = $0
		directive = ""
		if (match(line, /[^\\]#[ \t]*[A-Za-z]+/)) {
			directive = toupper(substr(line, RSTART + 1, RLENGTH - 1))
			gsub(/[# \t]/, "", directive)
		}
		name = line
		sub(/^(not )?ok[ \t]*[0-9]*[ \t]*(- )?/, "", name)
		if (!notok && directive != "SKIP") { pass++; next }
		if (directive == "SKIP") { skip++; names[++n] = "SKIP " name }
		else { fail++; names[++n] = "FAIL " name }
		next
	}
	END {
		printf "%d %d %d %d\n", pass, fail, skip, planned
		for (i = 1; i <= n; i++)
			print names[i]
	}'
}

run_suite() {
	local name=$1 script=$2 limit out rc start secs pass fail skip planned counted extra
	local -a failed_names

	limit=$(setting "$(dirname "$script")/settings" timeout)
	limit=${limit:-$default_timeout}
	limit=$((limit * timeout_scale))
	out=$(mktemp)
	echo "# suite $name: $script (timeout $limit s)"
	start=$(date +%s)
	timeout -k 10 "$limit" "$script" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	secs=$(($(date +%s) - start))

	pass=0 fail=0 skip=0 planned=0 failed_names=()
	count_tap < "$out" > "$out.count"
	{
		read -r pass fail skip planned
		mapfile -t failed_names
	} < "$out.count"
	rm -f "$out" "$out.count"

	counted=$((pass + fail + skip))
	extra=()
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		extra+=("timed out after $limit s")
	elif [ "$rc" != 0 ] && [ "$fail" = 0 ] && [ "$skip" = 0 ]; then
		extra+=("exited $rc without a failing result")
	fi
	if [ "$counted" = 0 ]; then
		extra+=("printed no results")
	elif [ "$planned" -gt "$counted" ]; then
		fail=$((fail + planned - counted))
		failed_names+=("MISSING $((planned - counted)) of $planned planned results")
	fi
	fail=$((fail + ${#extra[@]}))
	fail=$((fail + skip))

	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	write_tally

	summaries+=("# suite $name: $pass passed, $fail failed ($skip of them skipped), $secs s")
	echo "${summaries[-1]}"
	for f in "${failed_names[@]}"; do
		echo "#   $f"
	done
	for e in "${extra[@]}"; do
		echo "#   FAIL suite $e"
	done
}

suites=()
if [ $# -gt 0 ]; then
	for s in "$@"; do
		suites+=("$here/$s/run-suite.sh")
	done
else
	for s in "$here"/*/run-suite.sh; do
		[ -x "$s" ] || continue
		# a suite that needs a kernel feature this one lacks is left to the runs that have it
		case $(setting "$(dirname "$s")/settings" requires) in
		fault-injection)
			if [ ! -e /proc/self/fail-nth ]; then
				echo "# suite $(basename "$(dirname "$s")"): needs fault injection" \
				     "(make check KERNEL=debug); not selected on this kernel"
				continue
			fi ;;
		packages)
			echo "# suite $(basename "$(dirname "$s")"): needs the Debian packages" \
			     "installed (make check-pkg); not selected by default"
			continue ;;
		opt-in)
			echo "# suite $(basename "$(dirname "$s")"): not selected by default yet" \
			     "(make check SUITES=$(basename "$(dirname "$s")"))"
			continue ;;
		esac
		suites+=("$s")
	done
fi

write_tally
if [ ! -d /sys/module/tlsock ]; then
	echo "not ok - tlsock module is not loaded"
	total_fail=$((total_fail + 1))
elif [ "${#suites[@]}" = 0 ]; then
	echo "not ok - no suites registered"
	total_fail=$((total_fail + 1))
else
	for s in "${suites[@]}"; do
		name=$(basename "$(dirname "$s")")
		if [ ! -x "$s" ]; then
			echo "not ok - suite $name: $s missing"
			total_fail=$((total_fail + 1))
			continue
		fi
		run_suite "$name" "$s"
	done
fi
write_tally

echo "# summary"
for s in "${summaries[@]}"; do
	echo "$s"
done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ] && [ "$total_pass" -gt 0 ]
