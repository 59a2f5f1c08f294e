#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot Debian's 6.12 kernel under QEMU (software emulation), load the accelerated crypto modules
# and tlsock.ko, run one command in the host's root (shared read-only over 9p), then check that
# tlsock unloads and dmesg is clean. One verdict: exit 0 only if everything passed.
#
#   selftests/vm/run.sh [options] -- CMD [ARGS...]
#
#   --no-tlsock        do not load tlsock.ko (e.g. to run a suite against the kernel's kTLS)
#   --module PATH      tlsock.ko to load (default: tlsock.ko at the top of the tree)
#   --modprobe MOD     also modprobe MOD before the command (repeatable, e.g. --modprobe tls)
#   --timeout S        whole-run limit in seconds, boot included (default 900)
#   --timeout-scale N  the command sees TLSOCK_TIMEOUT_SCALE=N: selftests/run-all.sh multiplies
#                      each suite's time limit by it (a slower kernel, e.g. the debug kernel)
#   --tally            the command writes "PASSED FAILED" to $TLSOCK_VM_RESULTS/tally; print
#                      "N passed, N failed" last, counting VM-level failures as failed
#   --quiet            keep the guest console in the log only; print its tail on failure
#   --kernel PATH      kernel image (default: $TLSOCK_KERNEL, else the one tlsock.ko is built for,
#                      else the newest generic /boot/vmlinuz-6.12.*-amd64); its name must be
#                      vmlinuz-RELEASE
#   --moddir DIR       the kernel's module tree, with depmod run (default: /lib/modules/RELEASE, or
#                      $TLSOCK_KERNEL_MODDIR), e.g. the debug kernel's (selftests/vm/debug-kernel.sh)
#   --icount           run QEMU with -icount shift=1,sleep=off: the guest clock counts executed
#                      instructions, so timings repeat whatever the host's load (benchmarks);
#                      the command sees TLSOCK_VM_ICOUNT=1
#   --log FILE         console log (default: build/vm/NAME.console.log, NAME from the command,
#                      e.g. ktls-run-suite; the guest's dmesg lands next to it as NAME.dmesg.log)
#   --keep             keep the work directory (results share) and print its path
#
# CMD runs as root in the current directory with TLSOCK_VM=1, TLSOCK_KO and TLSOCK_VM_RESULTS (a
# directory shared with the host) in its environment. The guest sees the host's files at the same
# paths, but its /tmp, /run and /var/tmp are fresh tmpfs (a checkout or working directory there
# is carried over), and writes elsewhere stay in the VM.
# VM runs are serialized on /tmp/tlsock-vm.lock (re-entrant: a caller already holding it is fine).

set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
vmdir=$top/selftests/vm

load_tlsock=1
module=$top/tlsock.ko
timeout=900
timeout_scale=1
tally=0
quiet=0
kernel=${TLSOCK_KERNEL:-}
moddir=${TLSOCK_KERNEL_MODDIR:-}
log=
keep=0
icount=0
extra_mods=()

die() {
	echo "vm: $*" >&2
	exit 2
}

usage() {
	sed -n '/^#   selftests/,/^# VM runs/s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--no-tlsock) load_tlsock=0 ;;
	--module) module=$(realpath "$2"); shift ;;
	--modprobe) extra_mods+=("$2"); shift ;;
	--timeout) timeout=$2; shift ;;
	--timeout-scale) timeout_scale=$2; shift ;;
	--tally) tally=1 ;;
	--quiet) quiet=1 ;;
	--kernel) kernel=$2; shift ;;
	--moddir) moddir=$(realpath "$2"); shift ;;
	--log) log=$2; shift ;;
	--keep) keep=1 ;;
	--icount) icount=1 ;;
	--) shift; break ;;
	-h|--help) usage ;;
	*) usage ;;
	esac
	shift
done
[ $# -gt 0 ] || usage
[[ $timeout =~ ^[0-9]+$ ]] || die "--timeout needs seconds"
[[ $timeout_scale =~ ^[1-9][0-9]*$ ]] || die "--timeout-scale needs a whole number from 1"

# One log per kind of job, so a bench run does not overwrite the log of the suite run before it.
if [ -z "$log" ]; then
	name=$(basename "$1")
	name=${name%.sh}
	dir=$(basename "$(dirname "$1")")
	case $dir in
	.|/|'') ;;
	*) name=$dir-$name ;;
	esac
	log=$top/build/vm/${name//[^A-Za-z0-9_.-]/_}.console.log
fi

# The guest's /tmp, /run and /var/tmp are its own tmpfs. A checkout (or working directory) under
# them is carried over those mounts (init.sh, from the initramfs's /lib/vm/keep); other paths
# there are not the host's.
hidden_path() {
	case $1/ in
	/tmp/*|/run/*|/var/tmp/*) return 0 ;;
	esac
	return 1
}
carry=()
cwd=$(pwd -P)
for p in "$top" "$cwd"; do
	hidden_path "$p" || continue
	case $p in
	*$'\n'*) die "$p: a path with a newline cannot be shared with the VM" ;;
	esac
	# a working directory inside the checkout comes with it
	[ "$p" != "$top" ] && case $p/ in "$top"/*) continue ;; esac
	carry+=("$p")
done
# shared_path PATH: PATH is the same file in the guest
shared_path() {
	local k
	hidden_path "$1" || return 0
	for k in ${carry[@]+"${carry[@]}"}; do
		case $1 in "$k"/*) return 0 ;; esac
	done
	return 1
}

# --- kernel, modules, tlsock.ko ---------------------------------------------------------------
# By default the kernel tlsock.ko was built for, else the newest generic 6.12 image (an -rt or
# -cloud image installed beside it is never picked by accident).
if [ -z "$kernel" ] && [ "$load_tlsock" = 1 ] && [ -r "$module" ]; then
	vermagic=$(/sbin/modinfo -F vermagic "$module" | cut -d' ' -f1)
	[ -r "/boot/vmlinuz-$vermagic" ] && kernel=/boot/vmlinuz-$vermagic
fi
if [ -z "$kernel" ]; then
	kernel=$(ls /boot/vmlinuz-6.12.*-amd64 2>/dev/null | grep -Ev -- '-(rt|cloud)-amd64$' |
		 sort -V | tail -n 1)
	[ -n "$kernel" ] || die "no /boot/vmlinuz-6.12.*-amd64: run selftests/vm/install-deps.sh"
fi
[ -r "$kernel" ] || die "cannot read $kernel"
release=${kernel##*/vmlinuz-}
[ "$release" != "$kernel" ] || die "$kernel: the kernel image's name must be vmlinuz-RELEASE"
if [ -z "$moddir" ]; then
	moddir=/lib/modules/$release
	[ -d "$moddir/kernel" ] ||
		die "$moddir/kernel missing (linux-image-$release-unsigned not installed?)"
else
	[ "$(basename "$moddir")" = "$release" ] || die "--moddir $moddir is not a tree for $release"
	[ -s "$moddir/modules.dep" ] && [ -f "$moddir/modules.builtin" ] ||
		die "$moddir has no modules.dep or modules.builtin (make modules_install there)"
	shared_path "$(realpath "$moddir")" || die "$moddir is under a path the VM does not share"
fi

if [ "$load_tlsock" = 1 ]; then
	[ -r "$module" ] || die "$module not built (make module)"
	shared_path "$(realpath "$module")" || die "$module is under a path the VM does not share"
	vermagic=$(/sbin/modinfo -F vermagic "$module" | cut -d' ' -f1)
	[ "$vermagic" = "$release" ] ||
		die "$module is built for $vermagic, the VM boots $release (set KDIR or --kernel)"
else
	module=
fi

busybox=$(command -v busybox || true)
[ -n "$busybox" ] || die "busybox missing (apt-get install busybox-static)"
if readelf -l "$busybox" 2>/dev/null | grep -q 'Requesting program interpreter'; then
	die "$busybox is dynamically linked: install busybox-static"
fi
command -v qemu-system-x86_64 > /dev/null || die "qemu-system-x86_64 missing (qemu-system-x86)"

# --- serialize VM runs ------------------------------------------------------------------------
lock=/tmp/tlsock-vm.lock
lock_held_by_ancestor() {
	local ino pid p
	ino=$(stat -c %i "$lock")
	for pid in $(awk -v ino="$ino" '$2 == "FLOCK" { n = split($6, a, ":"); if (a[n] == ino) print $5 }' \
			/proc/locks); do
		p=$$
		while [ "$p" -gt 1 ]; do
			[ "$p" = "$pid" ] && return 0
			p=$(awk '{ print $4 }' "/proc/$p/stat" 2>/dev/null || echo 1)
		done
	done
	return 1
}
exec {lockfd}>> "$lock"
if ! flock -n "$lockfd"; then
	if lock_held_by_ancestor; then
		exec {lockfd}>&-
	else
		echo "vm: waiting for $lock (another VM run)" >&2
		flock "$lockfd"
	fi
fi

# --- work directory: initramfs and the results share -------------------------------------------
work=$(mktemp -d /tmp/tlsock-vm.XXXXXX)
cleanup() {
	if [ "$keep" = 1 ]; then
		echo "vm: work directory kept: $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
share=$work/share
initrd=$work/initrd
mkdir -p "$share" "$initrd"/{bin,lib/vm,proc,sys,dev,newroot}

depmod_base=()
if [ "$moddir" != "/lib/modules/$release" ]; then
	# A module tree of its own (a kernel built here): the guest's modprobe uses it through the
	# same -d base as below; the link resolves inside the guest, which sees the host's paths.
	mkdir -p "$share/depmod/lib/modules"
	ln -s "$moddir" "$share/depmod/lib/modules/$release"
	depmod_base=(-d "$share/depmod")
elif [ ! -s "$moddir/modules.dep" ]; then
	# No depmod output on the host for this release: build one for the guest's modprobe
	# (modprobe.sh and guest.sh use it when it exists).
	d=$share/depmod/lib/modules/$release
	mkdir -p "$d"
	ln -s "$moddir/kernel" "$d/kernel"
	cp "$moddir"/modules.{order,builtin,builtin.modinfo} "$d/" 2>/dev/null || true
	/sbin/depmod -b "$share/depmod" "$release" || die "depmod for $release failed"
	depmod_base=(-d "$share/depmod")
fi

cp "$busybox" "$initrd/bin/busybox"
ln -s busybox "$initrd/bin/sh"
cp "$vmdir/init.sh" "$initrd/init"
cp "$vmdir/modprobe.sh" "$initrd/bin/tlsock-modprobe"
chmod 755 "$initrd/init" "$initrd/bin/tlsock-modprobe"
# 9p over virtio (and the virtio PCI transport, a module on 6.1, built in on 6.12) and overlayfs,
# decompressed so busybox's insmod can load them; nothing to load for what the kernel has built
# in (modprobe says "builtin NAME").
boot_mods=$(/sbin/modprobe ${depmod_base[@]+"${depmod_base[@]}"} -S "$release" --show-depends -a \
		virtio_pci 9p 9pnet_virtio overlay) || die "cannot resolve the 9p modules of $release"
: > "$initrd/lib/vm/order"
awk '$1 == "insmod" && !seen[$2]++ { print $2 }' <<< "$boot_mods" |
	while read -r ko; do
		name=$(basename "$ko")
		name=${name%.xz}
		name=${name%.zst}
		name=${name%.gz}
		case $ko in
		*.xz) xz -dc "$ko" > "$initrd/lib/vm/$name" ;;
		*.zst) zstd -qdc "$ko" > "$initrd/lib/vm/$name" ;;
		*.gz) gzip -dc "$ko" > "$initrd/lib/vm/$name" ;;
		*) cp "$ko" "$initrd/lib/vm/$name" ;;
		esac
		echo "$name" >> "$initrd/lib/vm/order"
	done
printf '%s\n' ${carry[@]+"${carry[@]}"} > "$initrd/lib/vm/keep"
(cd "$initrd" && find . | cpio --quiet -o -H newc | gzip -1) > "$work/initrd.img"

cp "$vmdir/guest.sh" "$share/guest.sh"
{
	printf 'JOB_TLSOCK_KO=%q\n' "$module"
	printf 'JOB_CWD=%q\n' "$cwd"
	printf 'JOB_ICOUNT=%q\n' "$icount"
	printf 'JOB_TIMEOUT_SCALE=%q\n' "$timeout_scale"
	printf 'JOB_MODULES=('
	for m in ${extra_mods[@]+"${extra_mods[@]}"}; do
		printf '%q ' "$m"
	done
	printf ')\nJOB_CMD=('
	printf '%q ' "$@"
	printf ')\n'
} > "$share/job"

# --- boot -------------------------------------------------------------------------------------
mkdir -p "$(dirname "$log")"
cmdline="console=ttyS0 loglevel=5 panic_on_warn=1 oops=panic panic=-1 mitigations=off"
qemu=(qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 2G -nographic -no-reboot
	-kernel "$kernel" -initrd "$work/initrd.img" -append "$cmdline"
	-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=$share,mount_tag=results,security_model=none,multidevs=remap"
	-nic none)
# Virtual time: instructions, not the host clock, drive the guest's clock (see selftests/bench).
[ "$icount" = 0 ] || qemu+=(-icount "shift=1,sleep=off")

start=$(date +%s)
set +e
if [ "$quiet" = 1 ]; then
	timeout -k 10 "$timeout" "${qemu[@]}" < /dev/null 2>&1 | stdbuf -oL tr -d '\r' > "$log"
else
	timeout -k 10 "$timeout" "${qemu[@]}" < /dev/null 2>&1 | stdbuf -oL tr -d '\r' | tee "$log"
fi
qemu_rc=${PIPESTATUS[0]}
set -e
elapsed=$(($(date +%s) - start))
# The guest's dmesg and kmemleak report land next to the console log: NAME.dmesg.log, ...
side_log() {
	local base=${log%.log}
	echo "${base%.console}.$1.log"
}
[ ! -f "$share/dmesg.log" ] || cp "$share/dmesg.log" "$(side_log dmesg)"
rm -f "$(side_log kmemleak)"
[ ! -f "$share/kmemleak.log" ] || cp "$share/kmemleak.log" "$(side_log kmemleak)"

# The first kernel report (KASAN, UBSAN, lockdep, BUG, WARNING) in the console log, from its
# first line on: what a failed run on the debug kernel is about.
report_re='BUG:|WARNING:|UBSAN:|KASAN|possible circular|inconsistent lock state|Kernel panic'
print_first_report() {
	local first
	# guest.sh's own lines quote the patterns: they are not reports
	first=$(grep -n -E "$report_re" "$log" | grep -v '^[0-9]*:tlsock-vm' | head -n 1 | cut -d: -f1)
	[ -n "$first" ] || return 0
	echo "vm: first kernel report in $log (line $first):" >&2
	sed -n "${first},$((first + 79))p" "$log" >&2
}

# --- verdict ----------------------------------------------------------------------------------
fail=()
declare -A v=()
if [ -f "$share/verdict" ]; then
	while IFS='=' read -r key val; do
		v[$key]=$val
	done < "$share/verdict"
fi

if [ "$qemu_rc" = 124 ] || [ "$qemu_rc" = 137 ]; then
	fail+=("timeout: no result within $timeout s")
elif [ "$qemu_rc" != 0 ]; then
	fail+=("qemu exited $qemu_rc")
fi
if [ ! -f "$share/verdict" ]; then
	if grep -q 'Kernel panic' "$log"; then
		fail+=("kernel panic (see $log)")
	elif [ "${#fail[@]}" = 0 ]; then
		fail+=("the VM stopped without a verdict (see $log)")
	fi
else
	[ "${v[setup]}" = ok ] || fail+=("setup: ${v[setup]}")
	[ "${v[rmmod]}" != failed ] || fail+=("rmmod tlsock failed")
	[ "${v[dmesg]}" = clean ] || fail+=("dmesg: $(head -n 3 "$share/dmesg.bad" | tr '\n' ' ')")
	case ${v[kmemleak]:-off} in
	clean|off) ;;
	leaks) fail+=("kmemleak: $(grep -c '^unreferenced object' "$share/kmemleak.log") suspected leaks (see $(side_log kmemleak))") ;;
	*) fail+=("kmemleak: ${v[kmemleak]}") ;;
	esac
fi
cmd_failed=0
if [ -f "$share/verdict" ] && [ "${v[rc]}" != 0 ] && [ "${v[setup]}" = ok ]; then
	cmd_failed=1
fi

if [ "$quiet" = 1 ] && { [ "${#fail[@]}" -gt 0 ] || [ "$cmd_failed" = 1 ]; }; then
	echo "vm: last lines of the console ($log):" >&2
	tail -n 60 "$log" >&2
fi
if [ "${#fail[@]}" -gt 0 ]; then
	print_first_report
	if [ "${v[kmemleak]:-}" = leaks ]; then
		echo "vm: kmemleak's first reports:" >&2
		head -n 60 "$share/kmemleak.log" >&2
	fi
fi
for f in "${fail[@]}"; do
	echo "vm: FAIL: $f" >&2
done
[ "$cmd_failed" = 0 ] || echo "vm: command exited ${v[rc]}" >&2
echo "vm: $release, ${elapsed} s" >&2

if [ "$tally" = 1 ]; then
	passed=0
	failed=0
	if [ -f "$share/tally" ]; then
		read -r passed failed < "$share/tally"
	else
		echo "vm: FAIL: the command wrote no tally" >&2
		failed=1
	fi
	failed=$((failed + ${#fail[@]}))
	# A command that failed without counting it still fails the run.
	if [ "$cmd_failed" = 1 ] && [ "$failed" = 0 ]; then
		failed=1
	fi
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
	exit
fi
[ "${#fail[@]}" = 0 ] && [ "$cmd_failed" = 0 ]
