# SPDX-License-Identifier: GPL-2.0
# Shared by the kselftest-harness suites (tlsock, gate): the helper library in selftests/lib
# (keys, sockets, a userspace record layer, counters, INET_DIAG, patterns, a raw-netlink
# stand-in for tlsockd), kselftest_harness.h and <linux/tls.h>.
#
# A suite's Makefile sets OUTPUT, includes this file and links $(LIB_OBJS). kselftest_harness.h
# and kselftest.h are extracted from Debian's linux-source tarball into $(OUTPUT)/include at
# build time; they are never committed. <linux/tls.h> is the target kernel's uapi header when
# its headers package is installed.

LIB_DIR := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
TOP := $(abspath $(LIB_DIR)/../..)
LINUX_SOURCE ?= /usr/src/linux-source-6.12.tar.xz

KDIR ?= $(lastword $(shell ls -d /usr/src/linux-headers-6.12.*-amd64 2>/dev/null | sort -V))
KHDR_COMMON ?= $(patsubst %-amd64,%-common,$(realpath $(KDIR)))
KERNEL_TLS_H := $(KHDR_COMMON)/include/uapi/linux/tls.h

CC ?= gcc
CFLAGS ?= -O2 -g
CFLAGS += -Wall -Werror -D_GNU_SOURCE -I$(OUTPUT)/include -I$(LIB_DIR) -I$(TOP)/uapi \
	  $(shell pkg-config --cflags gnutls 2>/dev/null)
LDLIBS += $(shell pkg-config --libs gnutls 2>/dev/null || echo -lgnutls) -lpthread

LIB_SRCS := keys.c net.c record.c stat.c diag.c pattern.c fake_daemon.c
# tlsock's own contract: a change of it rebuilds everything that includes it
UAPI_H := $(TOP)/uapi/linux/tlsock.h
LIB_OBJS := $(patsubst %.c,$(OUTPUT)/lib/%.o,$(LIB_SRCS))
HARNESS := $(OUTPUT)/include/kselftest_harness.h
TLS_H_STAMP := $(OUTPUT)/include/.tls_h

$(HARNESS):
	@test -r $(LINUX_SOURCE) || \
		{ echo "selftests: $(LINUX_SOURCE) missing (selftests/vm/install-deps.sh)" >&2; exit 1; }
	@mkdir -p $(OUTPUT)/include
	@echo "  EXTRACT kselftest_harness.h kselftest.h from $(LINUX_SOURCE)"
	@top=$$(tar -tJf $(LINUX_SOURCE) | head -n 1 | cut -d/ -f1) && \
		tar -xJf $(LINUX_SOURCE) -C $(OUTPUT)/include --strip-components=4 \
			$$top/tools/testing/selftests/kselftest_harness.h \
			$$top/tools/testing/selftests/kselftest.h
	@touch $@

$(TLS_H_STAMP): $(LIB_DIR)/lib.mk
	@mkdir -p $(OUTPUT)/include/linux
	@rm -f $(OUTPUT)/include/linux/tls.h
	@if [ -r "$(KERNEL_TLS_H)" ]; then ln -s "$(KERNEL_TLS_H)" $(OUTPUT)/include/linux/tls.h; fi
	@touch $@

$(OUTPUT)/lib/%.o: $(LIB_DIR)/%.c $(LIB_DIR)/lib.h $(LIB_DIR)/fake_daemon.h $(TLS_H_STAMP) $(UAPI_H)
	@mkdir -p $(OUTPUT)/lib
	$(CC) $(CFLAGS) -c -o $@ $<
