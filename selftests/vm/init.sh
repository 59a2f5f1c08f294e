#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the test VM's initramfs (busybox, built by run.sh at run time).
# Mounts the host's root read-only over 9p, puts a writable overlay on it and tmpfs where tests
# write, mounts the results share at /run/tlsock-vm, then runs guest.sh chrooted into the host's
# root. Whatever happens, the VM powers off at the end; the verdict is in the results share.

/bin/busybox --install -s /bin
export PATH=/bin

root=/newroot
res=/run/tlsock-vm
p9="trans=virtio,version=9p2000.L,msize=262144"

halt() {
	echo "tlsock-vm init: $*"
	sync
	poweroff -f
	sleep 10
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

while read -r m; do
	insmod "/lib/vm/$m" || halt "insmod $m failed"
done < /lib/vm/order

mkdir -p /lower /rw
mount -t 9p -o "$p9,ro,cache=loose" hostroot /lower || halt "cannot mount the host root"
mount -t tmpfs -o mode=0755 tmpfs /rw
mkdir -p /rw/upper /rw/work
# The overlay makes every path writable (writes stay in the VM's memory); without overlayfs the
# host root is used read-only and only the tmpfs mounts below are writable.
if ! mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay "$root"; then
	echo "tlsock-vm init: no overlay, host root is read-only"
	mount --bind /lower "$root" || halt "cannot bind the host root"
fi

# A checkout under /tmp, /run or /var/tmp (run.sh lists it in /lib/vm/keep): held aside while
# tmpfs covers its parent, then moved back to the same path, writable like the rest.
# each_carried FUNC: FUNC N PATH for the Nth path listed
each_carried() {
	i=0
	while read -r p; do
		[ -n "$p" ] || continue
		i=$((i + 1))
		"$1" "$i" "$p"
	done < /lib/vm/keep
}
hold() {
	mkdir -p "/keep/$1"
	mount --bind "$root$2" "/keep/$1" || halt "cannot keep $2"
}
put_back() {
	mkdir -p "$root$2"
	mount --move "/keep/$1" "$root$2" || halt "cannot put $2 back"
}
each_carried hold

mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount -t devtmpfs devtmpfs "$root/dev"
mkdir -p "$root/dev/pts" "$root/dev/shm"
# What udev would add: bash's process substitution and many scripts need /dev/fd.
ln -sf /proc/self/fd "$root/dev/fd"
ln -sf /proc/self/fd/0 "$root/dev/stdin"
ln -sf /proc/self/fd/1 "$root/dev/stdout"
ln -sf /proc/self/fd/2 "$root/dev/stderr"
mount -t devpts -o gid=5,mode=0620,ptmxmode=0666 devpts "$root/dev/pts"
mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"
mount -t debugfs debugfs "$root/sys/kernel/debug"
# the cgroup v2 hierarchy systemd would mount: tlsockd's policy hooks hang on its root
mount -t cgroup2 cgroup2 "$root/sys/fs/cgroup" 2>/dev/null
mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
mount -t tmpfs -o mode=0755 tmpfs "$root/run"
[ -d "$root/var/tmp" ] && mount -t tmpfs -o mode=1777 tmpfs "$root/var/tmp"
mkdir -p "$root/run/lock" "$root$res"
mount -t 9p -o "$p9" results "$root$res" || halt "cannot mount the results share"

each_carried put_back

ip link set lo up
hostname tlsock-vm
# The kernel runs its module helper in this initramfs, not in the chroot: hand it a wrapper.
echo /bin/tlsock-modprobe > /proc/sys/kernel/modprobe

chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/root TERM=dumb LANG=C.UTF-8 /bin/bash "$res/guest.sh"
echo "tlsock-vm init: guest.sh exited $?"
umount "$root$res"
halt "done"
