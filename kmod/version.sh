#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Print tlsock's version, the one string that MODULE_VERSION, tlsockd --version, tlsockctl
# --version, the man pages and the packages carry. In order:
#   1. kmod/VERSION, written into trees that have no git history (the DKMS source under
#      /usr/src, a release tarball); never committed;
#   2. the newest v<version> tag: 0.2.0 on the tag, 0.2.0+3.gabc1234 three commits past it;
#   3. no tag reachable (a shallow clone): debian/changelog's upstream version, and +g<commit>
#      when there is a commit to name.
top=$(cd "$(dirname "$0")/.." && pwd)

if [ -s "$top/kmod/VERSION" ]; then
	head -n 1 "$top/kmod/VERSION"
	exit 0
fi
if d=$(git -C "$top" describe --tags --match 'v[0-9]*' 2>/dev/null); then
	# v0.2.0-3-gabc1234 -> 0.2.0+3.gabc1234 (sorts after 0.2.0, as dpkg and DKMS want)
	echo "$d" | sed -E 's/^v//; s/-([0-9]+)-(g[0-9a-f]+)$/+\1.\2/'
	exit 0
fi
v=$(sed -nE '1s/^[a-z0-9.+-]+ \(([^)-]+)(-[^)]*)?\).*/\1/p' "$top/debian/changelog" 2>/dev/null)
[ -n "$v" ] || v=0
if c=$(git -C "$top" rev-parse --short=7 HEAD 2>/dev/null); then
	v="$v+g$c"
fi
echo "$v"
