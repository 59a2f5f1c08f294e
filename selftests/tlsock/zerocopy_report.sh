#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Where zero-copy cannot pin pages (a kernel without iov_iter_extract_pages(), before 6.3:
# Debian 12's 6.1) it copies, and says so: the read-only parameter zerocopy_pin is N there and Y
# elsewhere, it cannot be changed, and `tlsockctl status` prints the matching line.

set -u
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
param=/sys/module/tlsock/parameters/zerocopy_pin
fail() { echo "FAIL: $*"; exit 1; }

[ -r "$param" ] || fail "no $param"
# what the running kernel has, not its version: pinning needs iov_iter_extract_pages()
if grep -qw iov_iter_extract_pages /proc/kallsyms; then
	want=Y line="zero-copy: pins the application's pages"
else
	want=N line="zero-copy: copies: this kernel cannot pin pages (before 6.3)"
fi
got=$(cat "$param")
echo "$(uname -r): zerocopy_pin=$got"
[ "$got" = "$want" ] || fail "zerocopy_pin is $got on $(uname -r), expected $want"
if { echo N > "$param"; } 2>/dev/null || { echo Y > "$param"; } 2>/dev/null; then
	fail "zerocopy_pin could be written"
fi
[ "$(cat "$param")" = "$want" ] || fail "zerocopy_pin changed"
out=$("$top/daemon/tlsockctl" status 2>&1)
echo "$out" | grep -qxF "$line" || fail "tlsockctl status lacks '$line': $out"
echo "tlsockctl status: $line"
