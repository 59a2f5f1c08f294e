#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once) and cache the debug kernel of `make check KERNEL=debug`: Debian's linux-source-6.12
# configured from `make allnoconfig` plus selftests/vm/debug.config (KASAN, lockdep, kmemleak,
# UBSAN, fault injection; 9p, virtio, the crypto and networking the suites use, built in), so
# that tlsock's suites run under the kernel's checkers in the test VM (selftests/vm/run.sh).
#
#   selftests/vm/debug-kernel.sh [--rebuild]
#
#   --rebuild   remove this source version's and fragment's cache entry first
#
# The cache entry is $TLSOCK_KDEBUG_CACHE/<source version>-<fragment hash>/ (default cache:
# /var/cache/tlsock/kdebug), outside the checkout; a changed fragment or a new linux-source
# package gets a new entry, so an entry is never stale. Inside it:
#   src/                        the configured and built tree: KDIR for tlsock.ko
#   vmlinuz-<release>           the kernel image (run.sh --kernel)
#   mods/lib/modules/<release>  `make modules_install` output with depmod run (run.sh --moddir):
#                               modules.builtin lets modprobe accept the built-in crypto and 9p
#   build.log                   the build's output
# The first call takes about 10-20 minutes on 2 cores; later calls return at once. On success
# the last three lines of stdout are KDEBUG_IMAGE=, KDEBUG_KDIR= and KDEBUG_MODDIR= (progress
# goes to stderr), so callers can `eval` them or pick one with sed.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fragment=$here/debug.config
cache_root=${TLSOCK_KDEBUG_CACHE:-/var/cache/tlsock/kdebug}
source_pkg=linux-source-6.12
jobs=2

die() {
	echo "debug-kernel: $*" >&2
	exit 1
}

say() {
	echo "debug-kernel: $*" >&2
}

# The installed linux-source package's version and its tarball.
source_version() {
	dpkg-query -W -f '${Version}' "$source_pkg" 2>/dev/null ||
		die "$source_pkg is not installed (apt-get install $source_pkg, or run selftests/vm/install-deps.sh)"
}

source_tarball() {
	local t
	t=$(dpkg -L "$source_pkg" | grep -E '^/usr/src/linux-source-.*\.tar\.xz$' | head -n 1)
	[ -n "$t" ] && [ -r "$t" ] || die "$source_pkg lists no readable /usr/src/linux-source-*.tar.xz"
	echo "$t"
}

check_tools() {
	local t
	for t in make gcc flex bison bc perl xz tar sha256sum; do
		command -v "$t" > /dev/null ||
			die "$t missing (apt-get install build-essential flex bison bc libelf-dev libssl-dev)"
	done
	[ -r /usr/include/libelf.h ] || die "libelf.h missing (apt-get install libelf-dev)"
	[ -r /usr/include/openssl/ssl.h ] || die "openssl headers missing (apt-get install libssl-dev)"
}

# make in the tree, output to build.log; on failure the log's tail names the cause.
kmake() {
	if ! nice -n 10 make -C "$src" ARCH=x86_64 "$@" >> "$dir/build.log" 2>&1; then
		tail -n 40 "$dir/build.log" >&2
		die "make $* failed (whole log: $dir/build.log)"
	fi
}

extract() {
	[ -f "$dir/.extracted" ] && return
	say "extracting $tarball into $src"
	rm -rf "$src" "$src.partial"
	mkdir -p "$src.partial"
	tar -xJf "$tarball" -C "$src.partial" --strip-components=1
	mv "$src.partial" "$src"
	touch "$dir/.extracted"
}

# Every line of the fragment must be in the final .config: an option whose dependencies are not
# met is silently dropped by kconfig, and a checker that is not there cannot report anything.
verify_config() {
	local line sym missing=()
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			grep -qxF "$line" "$src/.config" || missing+=("$line")
			;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			sym=${sym%% *}
			! grep -q "^$sym=" "$src/.config" || missing+=("$line")
			;;
		esac
	done < "$fragment"
	if [ "${#missing[@]}" -gt 0 ]; then
		printf '  %s\n' "${missing[@]}" >&2
		die "these lines of $fragment did not survive olddefconfig (missing dependency?)"
	fi
}

configure() {
	[ -f "$dir/.configured" ] && return
	say "configuring: allnoconfig + $(basename "$fragment")"
	kmake KCONFIG_ALLCONFIG="$fragment" allnoconfig
	kmake olddefconfig
	verify_config
	cp "$fragment" "$dir/debug.config"
	touch "$dir/.configured"
}

build() {
	local start
	start=$(date +%s)
	say "building with make -j$jobs (log: $dir/build.log)"
	kmake -j"$jobs" all
	say "built in $(($(date +%s) - start)) s"
}

install_tree() {
	local release
	release=$(make -s -C "$src" ARCH=x86_64 kernelrelease)
	[ -n "$release" ] || die "make kernelrelease printed nothing"
	rm -rf "$dir/mods"
	kmake INSTALL_MOD_PATH="$dir/mods" modules_install
	[ -s "$dir/mods/lib/modules/$release/modules.builtin" ] ||
		die "modules_install left no modules.builtin under $dir/mods"
	cp "$src/arch/x86/boot/bzImage" "$dir/vmlinuz-$release"
	{
		echo "KDEBUG_IMAGE=$dir/vmlinuz-$release"
		echo "KDEBUG_KDIR=$src"
		echo "KDEBUG_MODDIR=$dir/mods/lib/modules/$release"
	} > "$dir/paths"
}

main() {
	local version key rebuild=0

	case ${1:-} in
	--rebuild) rebuild=1 ;;
	'') ;;
	*) sed -n '/^#   selftests/,/^#   --rebuild/s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac

	[ -r "$fragment" ] || die "$fragment missing"
	version=$(source_version)
	key=${version//[^A-Za-z0-9.+_-]/_}-$(sha256sum "$fragment" | cut -c1-12)
	dir=$cache_root/$key
	src=$dir/src

	mkdir -p "$cache_root" 2>/dev/null && [ -w "$cache_root" ] ||
		die "cannot write $cache_root (run as root, or set TLSOCK_KDEBUG_CACHE)"
	# One build per entry at a time; a second caller waits and then finds it done.
	exec {lockfd}>> "$cache_root/$key.lock"
	flock "$lockfd"

	[ "$rebuild" = 0 ] || rm -rf "$dir"
	if [ ! -f "$dir/done" ]; then
		check_tools
		tarball=$(source_tarball)
		mkdir -p "$dir"
		extract
		configure
		build
		install_tree
		touch "$dir/done"
	fi
	cat "$dir/paths"
}

main "$@"
