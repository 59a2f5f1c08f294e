#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fault injection: every allocation on tlsock's key, record, handshake and ticket paths failed
# once (fault_drive). TAP on stdout. Needs root, tlsock.ko and a kernel with fault injection
# (failslab, fail_page_alloc, the stack-trace filter): `make check KERNEL=debug`. Its settings
# say so (requires=fault-injection): run-all.sh does not select it on other kernels.
#
# Binary: next to this script (kselftest install), else build/fault; or TLSOCK_BIN_DIR.

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=${TLSOCK_BIN_DIR:-$here}/fault_drive
[ -x "$bin" ] || bin=$(cd "$here/../.." && pwd)/build/fault/fault_drive

if [ ! -d /sys/module/tlsock ] || [ ! -x "$bin" ]; then
	echo "TAP version 13"
	echo "not ok 1 - fault: tlsock.ko not loaded or fault_drive not built"
	echo "1..1"
	exit 1
fi
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug 2>/dev/null
exec "$bin"
