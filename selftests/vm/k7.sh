#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Linux 7.x from Debian 13's backports (trixie-backports) on this Debian 12 machine. Its headers
# need Debian 13's compiler and kbuild tools (built against Debian 13's libc), so tlsock.ko is
# built inside a Debian 13 chroot (debootstrap, minbase) kept in $TLSOCK_K7_ROOT (default
# /var/cache/tlsock/trixie); the kernel image is only unpacked, never installed, and the VM
# (run.sh) boots it like the debug kernel, with the host's root as userspace.
#
#   k7.sh release [FLAVOUR]      the newest 7.x release of FLAVOUR (amd64, cloud-amd64,
#                                rt-amd64) in trixie-backports
#   k7.sh build RELEASE OUTDIR   build tlsock.ko against RELEASE's headers into OUTDIR/tlsock.ko
#   k7.sh kernel OUTDIR          the newest generic 7.x: tlsock.ko into OUTDIR, the image and a
#                                module tree with depmod run under $TLSOCK_K7_ROOT/boot; the
#                                last lines of stdout are K7_RELEASE=, K7_IMAGE= and K7_MODDIR=
#
# Progress goes to stderr. The chroot is made on first use (about 2 minutes and 400 MB).

set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
root=${TLSOCK_K7_ROOT:-/var/cache/tlsock/trixie}
mirror=${TLSOCK_DEBIAN_MIRROR:-http://deb.debian.org/debian}

say() { echo "k7: $*" >&2; }
die() { say "$*"; exit 1; }
# in_root CMD...: CMD in the chroot, with /proc (objtool reads it) mounted in a mount namespace of
# its own, so nothing stays mounted afterwards
in_root() {
	unshare -m --propagation private sh -c 'mount --bind /proc "$0/proc" && exec chroot "$0" "$@"' \
		"$root" env DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"
}

# The chroot, with trixie-backports, a compiler and binutils (the headers' kbuild pulls gcc in;
# `as` comes from binutils, which --no-install-recommends leaves out).
ensure_root() {
	if [ ! -x "$root/usr/bin/apt-get" ]; then
		command -v debootstrap >/dev/null || die "debootstrap missing: run selftests/vm/install-deps.sh"
		say "making a Debian 13 chroot in $root"
		rm -rf "$root"
		mkdir -p "$(dirname "$root")"
		debootstrap --variant=minbase trixie "$root" "$mirror" >&2 || die "debootstrap failed"
	fi
	echo "deb $mirror trixie-backports main" > "$root/etc/apt/sources.list.d/backports.list"
	if [ ! -e "$root/var/lib/apt/lists/.tlsock-updated" ] ||
	   [ -n "$(find "$root/var/lib/apt/lists/.tlsock-updated" -mmin +720)" ]; then
		in_root apt-get update -q >&2 || die "apt-get update in the chroot failed"
		touch "$root/var/lib/apt/lists/.tlsock-updated"
	fi
	in_root apt-get install -y -q --no-install-recommends make binutils >&2 ||
		die "cannot install make and binutils in the chroot"
}

newest() {
	in_root apt-cache search --names-only "^linux-headers-7\.[0-9.]+\+deb[0-9]+-$1\$" |
		sed -En "s/^linux-headers-(7\.[0-9.]+\+deb[0-9]+-$1) .*/\1/p" | sort -V | tail -n 1
}

# build RELEASE OUTDIR
build() {
	local rel=$1 out=$2 src=/build/tlsock-$1
	in_root apt-get install -y -q --no-install-recommends -t trixie-backports \
		"linux-headers-$rel" >&2 || die "cannot install linux-headers-$rel in the chroot"
	rm -rf "${root:?}$src"
	mkdir -p "$root$src" "$out"
	cp -a "$top/Kbuild" "$top/kmod" "$top/uapi" "$root$src/"
	sh "$top/kmod/version.sh" > "$root$src/kmod/VERSION"
	in_root make -C "/usr/src/linux-headers-$rel" M="$src" modules >&2 ||
		die "tlsock.ko does not build for $rel"
	cp "$root$src/tlsock.ko" "$out/tlsock.ko"
	if [ -f "$root$src/tlsock_nicsim.ko" ]; then cp "$root$src/tlsock_nicsim.ko" "$out/"; fi
}

# The image of RELEASE, unpacked (not installed) under $root/boot/RELEASE, its module tree indexed.
kernel() {
	local rel=$1 dir=$root/boot/$1 deb
	if [ ! -e "$dir/.unpacked" ]; then
		rm -rf "$dir"
		mkdir -p "$dir/debs"
		# apt-get download writes into the chroot's working directory, its /. 7.x in
		# backports splits the image into linux-binary (vmlinuz), linux-modules and
		# linux-base; older packaging has it all in linux-image-RELEASE-unsigned.
		rm -f "$root"/linux-*.deb
		in_root apt-get download -q "linux-binary-$rel" "linux-modules-$rel" "linux-base-$rel" >&2 ||
			in_root apt-get download -q "linux-image-$rel-unsigned" >&2 ||
			die "cannot download the image of $rel"
		mv "$root"/linux-*.deb "$dir/debs/"
		for deb in "$dir"/debs/*.deb; do
			dpkg-deb -x "$deb" "$dir/root" || die "cannot unpack $deb"
		done
		# merged /usr: the modules (and, in the split packaging, the image) in usr/lib/modules
		[ -e "$dir/root/lib" ] || ln -s usr/lib "$dir/root/lib"
		[ -e "$dir/root/boot/vmlinuz-$rel" ] ||
			{ mkdir -p "$dir/root/boot" &&
			  ln -s "../lib/modules/$rel/vmlinuz" "$dir/root/boot/vmlinuz-$rel"; }
		[ -e "$dir/root/boot/vmlinuz-$rel" ] || die "no vmlinuz for $rel in the image packages"
		/sbin/depmod -b "$dir/root" "$rel" || die "depmod for $rel failed"
		touch "$dir/.unpacked"
	fi
	echo "K7_RELEASE=$rel"
	echo "K7_IMAGE=$dir/root/boot/vmlinuz-$rel"
	echo "K7_MODDIR=$dir/root/lib/modules/$rel"
}

[ "$(id -u)" = 0 ] || die "needs root (chroot)"
case "${1:-}" in
release)
	ensure_root
	rel=$(newest "${2:-amd64}")
	[ -n "$rel" ] || die "no 7.x ${2:-amd64} headers in trixie-backports"
	echo "$rel"
	;;
build)
	[ $# = 3 ] || die "usage: k7.sh build RELEASE OUTDIR"
	ensure_root
	build "$2" "$3"
	;;
kernel)
	[ $# = 2 ] || die "usage: k7.sh kernel OUTDIR"
	ensure_root
	rel=$(newest amd64)
	[ -n "$rel" ] || die "no 7.x amd64 headers in trixie-backports"
	build "$rel" "$2"
	kernel "$rel"
	;;
*)
	die "usage: k7.sh release [FLAVOUR] | build RELEASE OUTDIR | kernel OUTDIR"
	;;
esac
