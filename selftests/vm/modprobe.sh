#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# /proc/sys/kernel/modprobe of the test VM: the kernel calls it inside the initramfs, so run the
# host's modprobe chrooted into the host's root (against the guest kernel's module tree, or the
# depmod tree run.sh built when /lib/modules/<release> has no modules.dep).
res=/run/tlsock-vm
if [ -d "/newroot$res/depmod" ]; then
	exec /bin/chroot /newroot /sbin/modprobe -d "$res/depmod" "$@"
fi
exec /bin/chroot /newroot /sbin/modprobe "$@"
