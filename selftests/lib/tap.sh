# SPDX-License-Identifier: GPL-2.0
#
# TAP lines for the shell suites (sourced, not run). The caller sets n=0, failed=0 and plan (the
# number of tests it will print) before the first test.
#
#   ok NAME                  one passing test
#   not_ok NAME [DETAIL...]  one failing test; each DETAIL (its last 25 lines) as "# " comments
#   bail NAME [DETAIL]       fail NAME, fail every test left in the plan, exit 1

ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}

not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	local l
	for l in "$@"; do
		printf '%s\n' "$l" | tail -n 25 | sed 's/^/# /'
	done
}

bail() {
	not_ok "$1" "${2:-}"
	while [ $n -lt $plan ]; do
		not_ok "skipped: $1"
	done
	exit 1
}
