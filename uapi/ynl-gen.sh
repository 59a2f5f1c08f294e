#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Regenerate (or, with --check, verify) the code derived from uapi/tlsock.yaml:
#   kmod/genl.c, kmod/genl.h   kernel policies and op table (ynl-gen-c.py output)
#   uapi/linux/tlsock.h        the block between "ynl-gen: begin" and "ynl-gen: end"
#
# The generator is the kernel's tools/net/ynl, taken at build time from
# Debian's linux-source-6.12 tarball (never committed); it is unpacked once
# into build/ynl.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
tar=${LINUX_SOURCE_TAR:-$(ls /usr/src/linux-source-6.*.tar.xz 2>/dev/null | sort -V | tail -n 1)}
cache=$top/build/ynl
check=0
[ "${1:-}" = "--check" ] && check=1

if [ ! -f "$cache/tools/net/ynl/ynl-gen-c.py" ]; then
	[ -n "$tar" ] && [ -f "$tar" ] || {
		echo "ynl-gen: linux-source tarball not found (set LINUX_SOURCE_TAR)" >&2
		exit 1
	}
	mkdir -p "$cache"
	tar -xJf "$tar" -C "$cache" --strip-components=1 --wildcards \
		'*/tools/net/ynl/*' '*/Documentation/netlink/genetlink*.yaml'
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# ynl-gen-c.py wants a kernel-like tree: MAINTAINERS at the root and the
# schema next to the spec's parent directory.
touch "$work/MAINTAINERS"
mkdir -p "$work/uapi"
cp "$cache"/Documentation/netlink/genetlink*.yaml "$work/"
cp "$top/uapi/tlsock.yaml" "$work/uapi/tlsock.yaml"
gen="python3 $cache/tools/net/ynl/ynl-gen-c.py --spec $work/uapi/tlsock.yaml"
(cd "$work" && $gen --mode kernel --header -o genl.h >/dev/null &&
	$gen --mode kernel --source -o genl.c >/dev/null &&
	$gen --mode uapi --header -o tlsock-uapi.h >/dev/null)

sed -n '/^#define TLSOCK_FAMILY_NAME/,/^#define TLSOCK_MCGRP_TLSOCKD/p' \
	"$work/tlsock-uapi.h" >"$work/block"
hdr=$top/uapi/linux/tlsock.h
sed -n '/^\/\* ynl-gen: begin \*\//,/^\/\* ynl-gen: end \*\//p' "$hdr" |
	sed '1d;$d' >"$work/block.cur"

if [ $check = 1 ]; then
	rc=0
	for f in genl.c genl.h; do
		cmp -s "$work/$f" "$top/kmod/$f" || { echo "ynl-gen: kmod/$f is stale" >&2; rc=1; }
	done
	cmp -s "$work/block" "$work/block.cur" ||
		{ echo "ynl-gen: uapi/linux/tlsock.h ynl block is stale" >&2; rc=1; }
	[ $rc = 0 ] && echo "ynl-gen: generated code is current"
	exit $rc
fi

cp "$work/genl.c" "$work/genl.h" "$top/kmod/"
awk -v blk="$work/block" '
	/^\/\* ynl-gen: begin \*\// { print; while ((getline l < blk) > 0) print l; skip = 1; next }
	/^\/\* ynl-gen: end \*\// { skip = 0 }
	!skip { print }' "$hdr" >"$work/hdr.new"
cp "$work/hdr.new" "$hdr"
echo "ynl-gen: regenerated kmod/genl.c kmod/genl.h uapi/linux/tlsock.h"
