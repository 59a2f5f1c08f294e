# SPDX-License-Identifier: GPL-2.0
# The libraries tlsockd builds against; included by daemon/Makefile and selftests/daemon/Makefile.

PKG_CONFIG ?= pkg-config
PKGS := gnutls libnl-genl-3.0 inih
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS))
ifeq ($(PKG_LIBS),)
$(error pkg-config cannot find $(PKGS): install libgnutls28-dev libnl-genl-3-dev libinih-dev)
endif
