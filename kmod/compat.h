/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-version differences live here and nowhere else.  Kbuild
 * force-includes this file into every object of tlsock.ko.  The module
 * targets Linux 6.12; older kernels (6.1) get their shims here later.
 */
#ifndef _TLSOCK_COMPAT_H
#define _TLSOCK_COMPAT_H

#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
#error "tlsock currently supports Linux 6.12 and newer; add shims to kmod/compat.h"
#endif

#endif /* _TLSOCK_COMPAT_H */
