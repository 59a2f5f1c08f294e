# SPDX-License-Identifier: GPL-2.0
# tlsock: the kernel module (objects and flags in Kbuild), the userspace programs and the tests.
#
#   make                 module + userspace programs
#   make check           build everything, boot the test VM, run every suite
#                        (SUITES="tlsock ktls" runs only those; see selftests/run-all.sh)
#   make check KERNEL=debug
#                        the same on the debug kernel (KASAN, lockdep, kmemleak, UBSAN, fault
#                        injection), built once and cached by selftests/vm/debug-kernel.sh;
#                        tlsock.ko for it is built under build/debug, apart from the default build
#   make check KERNEL=6.1
#                        the same on Debian 12's own 6.1 kernel (newest installed generic
#                        headers and image); tlsock.ko for it is built under build/k61
#   make check KERNEL=7  the same on the newest 7.x of Debian 13's backports, tlsock.ko built in a
#                        Debian 13 chroot (selftests/vm/k7.sh), under build/k7
#   make check-daemon    tlsockd's handshake code on this host, over loopback (no VM, seconds)
#   make fuzz            a long hostile-stream campaign in the VM (FUZZ_RECORDS, default 10^6)
#   make soak            an hour of managed sessions with KeyUpdates and daemon restarts (SOAK_SECS)
#   make check-ktls      the kTLS conformance suite against the kernel's own tls module
#   make bench           build and run the benchmark in one VM boot, under QEMU's icount
#                        (BENCH_ARGS="--parts bulk --dirs tx" passes options to tlsbench,
#                        BENCH_ARGS="--only redis" runs one part: see selftests/bench/run-bench.sh)
#   make bench-redis     only its transparent-TLS part: redis-benchmark against plain, tlsock
#                        by policy, Redis's native TLS and stunnel (REDIS_ARGS passes options to
#                        selftests/bench/redis-bench.sh)
#   make bench-load      the load benchmark in one VM boot: kernel memory per socket of plain TCP,
#                        kTLS and tlsock at LOAD_PAIRS connections each (default 10000), what
#                        closing them gives back, then a handshake flood past the caps
#                        (LOAD_ARGS passes options to selftests/bench/load-bench.sh)
#   make demo            boot the VM and run selftests/demo.sh
#   make deb             the Debian packages (tlsock-dkms, tlsockd, tlsock-dev) into build/deb
#   make check-pkg       the installed packages in the VM: DKMS's tlsock.ko, the packaged daemon
#                        started as its unit says, a managed handshake (selftests/pkg)
#   make install         install tlsock.ko (modules_install, depmod) and the userspace programs,
#                        under DESTDIR if set (PREFIX, SBINDIR, UNITDIR... as daemon/Makefile)
#   make style           checkpatch (from linux-source) or clang-format, advisory only
#
# KDIR is the kernel build tree to build against. It defaults to the running kernel's; when that
# has none (a machine running another kernel, like a build host), the newest installed Debian
# 6.12 generic headers are used (never -rt or -cloud ones, which may be installed beside them).

KDIR ?= /lib/modules/$(shell uname -r)/build
ifeq ($(origin KDIR),file)
ifeq ($(wildcard $(KDIR)/Makefile),)
KDIR := $(lastword $(shell ls -d /usr/src/linux-headers-6.12.*-amd64 2>/dev/null | \
		grep -Ev -- '-(rt|cloud)-amd64$$' | sort -V))
endif
endif
export KDIR

# Userspace directories with a Makefile of their own; selftests/Makefile covers selftests/*.
USER_DIRS := $(patsubst %/Makefile,%,$(wildcard daemon/Makefile)) selftests

VM := selftests/vm/run.sh
CHECK_TIMEOUT ?= 3600
BENCH_TIMEOUT ?= 3600
DEMO_TIMEOUT ?= 900
LOAD_TIMEOUT ?= 2400
LOAD_PAIRS ?= 10000
LINUX_SOURCE ?= /usr/src/linux-source-6.12.tar.xz
SUITES ?=

# The debug kernel: selftests/vm/debug-kernel.sh prints its paths (KDEBUG_IMAGE, KDEBUG_KDIR,
# KDEBUG_MODDIR) into DEBUG_ENV. kbuild writes objects next to the sources (6.12 has no MO=), so
# tlsock.ko for it is built from a copy of the module's sources in DEBUG_DIR.
KERNEL ?=
DEBUG_DIR := build/debug
DEBUG_ENV := $(DEBUG_DIR)/kernel.env
DEBUG_MOD_SOURCES := Kbuild kmod uapi
# The debug kernel runs the suites about 3-4 times slower: the VM's limit and each suite's.
DEBUG_CHECK_TIMEOUT ?= 7200
ifneq ($(filter-out debug 6.1 7,$(KERNEL)),)
$(error KERNEL=$(KERNEL): KERNEL=debug, 6.1 and 7 are known (or leave it unset for Debian's 6.12))
endif

# Debian 12's 6.1: the newest generic headers installed, and the image of the same release.
K61_DIR := build/k61
K61_KDIR = $(lastword $(shell ls -d /usr/src/linux-headers-6.1.*-amd64 2>/dev/null | \
		grep -Ev -- '-(rt|cloud)-amd64$$' | sort -V))
K61_RELEASE = $(patsubst linux-headers-%,%,$(notdir $(K61_KDIR)))

all: module userspace

module:
	@test -n "$(KDIR)" -a -f "$(KDIR)/Makefile" || \
		{ echo "no kernel build tree: set KDIR or run selftests/vm/install-deps.sh" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

userspace:
	@set -e; for d in $(USER_DIRS); do $(MAKE) -C $$d; done

selftests:
	$(MAKE) -C selftests

ifeq ($(KERNEL),debug)
check: userspace module-debug
	@. ./$(DEBUG_ENV) && $(VM) --tally --timeout $(DEBUG_CHECK_TIMEOUT) --timeout-scale 4 \
		--kernel "$$KDEBUG_IMAGE" --moddir "$$KDEBUG_MODDIR" --module $(DEBUG_DIR)/tlsock.ko \
		--log build/vm/debug-run-all.console.log -- selftests/run-all.sh $(SUITES)
else ifeq ($(KERNEL),)
check: all
	$(VM) --tally --timeout $(CHECK_TIMEOUT) -- selftests/run-all.sh $(SUITES)
else ifeq ($(KERNEL),7)
check: userspace module-7
	@. ./$(K7_ENV) && $(VM) --tally --timeout $(CHECK_TIMEOUT) --kernel "$$K7_IMAGE" \
		--moddir "$$K7_MODDIR" --module $(K7_DIR)/tlsock.ko \
		--log build/vm/k7-run-all.console.log -- selftests/run-all.sh $(SUITES)
else ifeq ($(KERNEL),6.1)
check: userspace module-6.1
	$(VM) --tally --timeout $(CHECK_TIMEOUT) --kernel /boot/vmlinuz-$(K61_RELEASE) \
		--module $(K61_DIR)/tlsock.ko --log build/vm/k61-run-all.console.log \
		-- selftests/run-all.sh $(SUITES)
endif

debug-kernel:
	@mkdir -p $(DEBUG_DIR)
	selftests/vm/debug-kernel.sh > $(DEBUG_ENV).tmp
	@mv $(DEBUG_ENV).tmp $(DEBUG_ENV)

# cp -a keeps the sources' times, so kbuild rebuilds only what changed since the last copy; the
# copy has no git history, so it is given the version (kmod/version.sh).
module-debug: debug-kernel
	@mkdir -p $(DEBUG_DIR)/mod
	cp -a $(DEBUG_MOD_SOURCES) $(DEBUG_DIR)/mod/
	sh kmod/version.sh > $(DEBUG_DIR)/mod/kmod/VERSION
	@. ./$(DEBUG_ENV) && $(MAKE) -C "$$KDEBUG_KDIR" M=$(CURDIR)/$(DEBUG_DIR)/mod modules
	cp $(DEBUG_DIR)/mod/tlsock.ko $(DEBUG_DIR)/tlsock.ko
	if [ -f $(DEBUG_DIR)/mod/tlsock_nicsim.ko ]; then cp $(DEBUG_DIR)/mod/tlsock_nicsim.ko $(DEBUG_DIR)/; fi

# tlsock.ko for Debian 12's 6.1 (make check KERNEL=6.1), from a copy of the sources like
# module-debug.
module-6.1:
	@test -n "$(K61_KDIR)" || \
		{ echo "no linux-headers-6.1.*-amd64: run selftests/vm/install-deps.sh" >&2; exit 1; }
	@mkdir -p $(K61_DIR)/mod
	cp -a $(DEBUG_MOD_SOURCES) $(K61_DIR)/mod/
	sh kmod/version.sh > $(K61_DIR)/mod/kmod/VERSION
	$(MAKE) -C "$(K61_KDIR)" M=$(CURDIR)/$(K61_DIR)/mod modules
	cp $(K61_DIR)/mod/tlsock.ko $(K61_DIR)/tlsock.ko
	if [ -f $(K61_DIR)/mod/tlsock_nicsim.ko ]; then cp $(K61_DIR)/mod/tlsock_nicsim.ko $(K61_DIR)/; fi

# Debian 13's newest 7.x from trixie-backports (make check KERNEL=7): its headers need Debian 13's
# compiler, so selftests/vm/k7.sh builds tlsock.ko in a Debian 13 chroot and unpacks the image.
K7_DIR := build/k7
K7_ENV := $(K7_DIR)/kernel.env
module-7:
	@mkdir -p $(K7_DIR)
	selftests/vm/k7.sh kernel $(K7_DIR) > $(K7_ENV).tmp
	@mv $(K7_ENV).tmp $(K7_ENV)

# tlsockd's handshakes over loopback on this machine: no module, no VM, a few seconds.
check-daemon:
	$(MAKE) -C selftests/daemon
	selftests/daemon/run-suite.sh

# A long hostile-stream campaign (at least FUZZ_RECORDS records) against kTLS as the oracle.
FUZZ_RECORDS ?= 1000000
FUZZ_TIMEOUT ?= 5400
fuzz: all
	$(MAKE) -C selftests/fuzz
	$(VM) --timeout $(FUZZ_TIMEOUT) -- selftests/fuzz/run-suite.sh --cases 0 --records-min $(FUZZ_RECORDS)

# A soak of managed sessions for SOAK_SECS (default an hour): KeyUpdates every few records,
# tlsockd restarted under live sessions, every byte compared (selftests/bench/soak.sh).
SOAK_SECS ?= 3600
soak: all
	$(VM) --timeout $(shell echo $$(($(SOAK_SECS) + 900))) -- selftests/bench/soak.sh -t $(SOAK_SECS)

# The conformance suite against the kernel's own kTLS (no tlsock): validates the harness.
check-ktls:
	$(MAKE) -C selftests/ktls
	$(VM) --no-tlsock --timeout $(CHECK_TIMEOUT) -- selftests/ktls/run-suite.sh --ulp tls

bench: all
	@test -f selftests/bench/Makefile || { echo "no selftests/bench yet" >&2; exit 1; }
	$(MAKE) -C selftests/bench
	$(VM) --icount --timeout $(BENCH_TIMEOUT) -- selftests/bench/run-bench.sh $(BENCH_ARGS)

bench-redis: all
	$(VM) --icount --timeout $(BENCH_TIMEOUT) -- selftests/bench/redis-bench.sh $(REDIS_ARGS)

# Memory, not speed: no --icount needed.
bench-load: all
	$(MAKE) -C selftests/bench
	$(VM) --timeout $(LOAD_TIMEOUT) -- selftests/bench/load-bench.sh --pairs $(LOAD_PAIRS) $(LOAD_ARGS)

demo: all
	@test -x selftests/demo.sh || { echo "no selftests/demo.sh yet" >&2; exit 1; }
	$(VM) --timeout $(DEMO_TIMEOUT) -- selftests/demo.sh

# Everything under DESTDIR (a staging tree for a package, or / by default): tlsock.ko under
# lib/modules/<release>/extra with the module index rebuilt there (depmod -b, as the kernel's own
# modules_install does), then the programs, unit, man pages, header and configuration.
KRELEASE = $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)
install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) modules_install
	depmod -b "$(or $(DESTDIR),/)" $(KRELEASE)
	@set -e; for d in $(patsubst %/Makefile,%,$(wildcard daemon/Makefile)); do \
		$(MAKE) -C $$d install; done

# dpkg-buildpackage writes next to the source tree, so it builds a copy of the tree's files
# (tracked and new, not ignored) in build/deb/src and the packages land in build/deb.
DEB_DIR := build/deb
deb:
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_DIR)/src
	git ls-files -z -co --exclude-standard | cpio -0 -pdm --quiet $(DEB_DIR)/src
	cd $(DEB_DIR)/src && dpkg-buildpackage -b -us -uc
	@ls $(DEB_DIR)/*.deb

# The VM boots Debian's 6.12 with the tlsock.ko that DKMS installed for it (the packages must be
# installed: apt-get install ./build/deb/*.deb, then dkms install for that kernel).
PKG_RELEASE = $(KRELEASE)
check-pkg: userspace
	@ko=$$(/sbin/modinfo -k $(PKG_RELEASE) -n tlsock 2>/dev/null) && \
	case "$$ko" in */updates/dkms/*) ;; *) false ;; esac || \
		{ echo "no DKMS-built tlsock.ko for $(PKG_RELEASE): install build/deb/*.deb" >&2; exit 1; }; \
	$(VM) --tally --timeout $(CHECK_TIMEOUT) --module "$$ko" \
		--log build/vm/pkg-run-all.console.log -- selftests/run-all.sh pkg

# checkpatch.pl and its data files come from Debian's linux-source tarball, like the selftest.
CHECKPATCH_DIR := build/checkpatch
STYLE_FILES = $(wildcard kmod/*.c kmod/*.h uapi/linux/*.h daemon/*.c daemon/*.h daemon/bpf/*.c \
		selftests/*/*.c selftests/*/*.h)

$(CHECKPATCH_DIR)/scripts/checkpatch.pl:
	@mkdir -p $(CHECKPATCH_DIR)
	@top=$$(tar -tJf $(LINUX_SOURCE) | head -n 1 | cut -d/ -f1) && \
		tar -xJf $(LINUX_SOURCE) -C $(CHECKPATCH_DIR) --strip-components=1 \
			$$top/scripts/checkpatch.pl $$top/scripts/spelling.txt \
			$$top/scripts/const_structs.checkpatch $$top/.clang-format

style:
	@if [ -r $(LINUX_SOURCE) ] && $(MAKE) -s $(CHECKPATCH_DIR)/scripts/checkpatch.pl; then \
		$(CHECKPATCH_DIR)/scripts/checkpatch.pl --no-tree --terse --show-types \
			--max-line-length=100 -f $(STYLE_FILES) || true; \
	elif command -v clang-format >/dev/null; then \
		clang-format --dry-run $(STYLE_FILES) || true; \
	else \
		echo "style: neither linux-source-6.12 (checkpatch) nor clang-format installed"; \
	fi

clean:
	@if [ -f "$(KDIR)/Makefile" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	@for d in $(USER_DIRS); do $(MAKE) -C $$d clean; done
	rm -rf build

.PHONY: all module userspace selftests check check-daemon check-pkg deb check-ktls debug-kernel module-debug module-6.1 module-7 bench bench-redis bench-load demo fuzz soak install style clean
