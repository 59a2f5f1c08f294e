/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the two demo programs share: printing what getsockopt(SOL_TLSOCK, TLSOCK_INFO) says
 * about a socket's TLS session.
 */
#ifndef TLSOCK_DEMO_H
#define TLSOCK_DEMO_H

void demo_print_info(const char *who, int fd);

#endif /* TLSOCK_DEMO_H */
