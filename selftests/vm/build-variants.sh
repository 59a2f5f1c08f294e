#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build tlsock.ko against every kernel variant Debian ships for the supported series (generic,
# cloud, rt of 6.12 and 6.1, and of 7.x from Debian 13's backports through selftests/vm/k7.sh),
# newest release of each in the archive. The headers are downloaded
# and unpacked under build/variants, not installed (an installed linux-headers package pulls its
# kernel image in); the kbuild tools they point to are the installed ones, or unpacked too.
# One "ok"/"not ok" line per variant, then "N passed, N failed"; non-zero exit on a failure.
#
#   build-variants.sh [SERIES-REGEX...]   (default: 6.12 and 6.1, then 7.x)

set -u

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=$top/build/variants
root=$out/root
pass=0
fail=0

series=("$@")
with7=0
if [ ${#series[@]} = 0 ]; then
	series=('6\.12\.[0-9]+\+deb[0-9]+' '6\.1\.0-[0-9]+')
	with7=1
fi

# newest RELEASE-REGEX: the newest release matching it with a headers package in the archive
newest() {
	apt-cache search --names-only "^linux-headers-$1\$" |
		sed -En "s/^linux-headers-($1) .*/\1/p" | sort -V | tail -n 1
}

# unpack PKG: PKG's files under $root, unless it is installed (then the system's are used)
unpack() {
	local deb
	if dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; then
		return 0
	fi
	[ -e "$out/debs/$1.unpacked" ] && return 0
	(cd "$out/debs" && apt-get download "$1" >/dev/null 2>&1) || return 1
	deb=$(ls "$out/debs/$1"_*.deb 2>/dev/null | head -n 1)
	[ -n "$deb" ] && dpkg-deb -x "$deb" "$root" && touch "$out/debs/$1.unpacked"
}

# the linux-headers-* and linux-kbuild-* packages PKG depends on
header_deps() {
	apt-cache depends "$1" 2>/dev/null |
		sed -En 's/^ *\|?Depends: (linux-(headers|kbuild)-[^ ]+)$/\1/p'
}

# verdict RC RELEASE KO LOG: one TAP line; a build passes when it exited 0 and KO is for RELEASE
verdict() {
	if [ "$1" = 0 ] && /sbin/modinfo -F vermagic "$3" 2>/dev/null | grep -q "^$2 "; then
		echo "ok - tlsock.ko builds for $2"
		pass=$((pass + 1))
	else
		echo "not ok - tlsock.ko builds for $2 ($4)"
		grep -E 'error|Error' "$4" | head -n 5 | sed 's/^/# /'
		fail=$((fail + 1))
	fi
}

mkdir -p "$out/debs" "$root/usr/src" "$root/usr/lib"
for s in "${series[@]}"; do
	for flavour in amd64 cloud-amd64 rt-amd64; do
		rel=$(newest "$s-$flavour")
		if [ -z "$rel" ]; then
			echo "not ok - no $flavour headers of series $s in the archive"
			fail=$((fail + 1))
			continue
		fi
		pkg=linux-headers-$rel
		log=$out/$rel.log
		ok=1
		for p in "$pkg" $(header_deps "$pkg"); do
			unpack "$p" || { ok=0; echo "# cannot fetch $p" >> "$log"; }
		done
		kdir=/usr/src/$pkg
		if [ ! -e "$kdir/Makefile" ] && [ -e "$root$kdir/Makefile" ]; then
			kdir=$root$kdir
			# the headers name their common tree by absolute path, and their scripts by a
			# relative one into /usr/lib: point both into the unpacked tree, where a
			# package that is installed is linked to
			sed -i -E "s|^include (/usr/src/)|include $root\1|" "$kdir/Makefile"
			for k in /usr/lib/linux-kbuild-* /usr/src/linux-headers-*; do
				[ -e "$k" ] && [ ! -e "$root$k" ] && ln -sfn "$k" "$root$k"
			done
		fi
		src=$out/$rel/mod
		rm -rf "$src"
		mkdir -p "$src"
		cp -a "$top/Kbuild" "$top/kmod" "$top/uapi" "$src/"
		sh "$top/kmod/version.sh" > "$src/kmod/VERSION"
		[ $ok = 1 ] && make -C "$kdir" M="$src" modules >> "$log" 2>&1
		verdict $? "$rel" "$src/tlsock.ko" "$log"
	done
done
# 7.x: Debian 13's backports, built in a Debian 13 chroot (its headers need Debian 13's compiler)
if [ "$with7" = 1 ]; then
	for flavour in amd64 cloud-amd64 rt-amd64; do
		log=$out/7-$flavour.log
		if ! rel=$("$top/selftests/vm/k7.sh" release "$flavour" 2>"$log"); then
			echo "not ok - no $flavour headers of series 7.x ($log)"
			fail=$((fail + 1))
			continue
		fi
		"$top/selftests/vm/k7.sh" build "$rel" "$out/$rel" >> "$log" 2>&1
		verdict $? "$rel" "$out/$rel/tlsock.ko" "$log"
	done
fi
echo "$pass passed, $fail failed"
[ $fail = 0 ]
