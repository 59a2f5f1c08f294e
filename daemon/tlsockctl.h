/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TLSOCKCTL_H
#define TLSOCKCTL_H

#include "tlsockd.h"

int tlsockctl_certs(const struct tlsockd_conf *conf, int warn_days);
int tlsockctl_policy(const char *conf_path, int argc, char **argv);
int tlsockctl_sessions(const char *conf_path, int argc, char **argv);

#endif /* TLSOCKCTL_H */
