# SPDX-License-Identifier: GPL-2.0
#
# make            build simple.ko, scull_core.ko, scullp.ko, scullv.ko,
#                 skel.ko and misc-progs/mapper against KDIR
# make demo       boot a Debian kernel under QEMU and replay the book's sessions
# make bench      the fault benchmark in QEMU (bench/run; docs/performance.md)
# make matrix     the whole suite on every kernel of the matrix, then on the
#                 debug kernel, one table
# make check      what CI runs: the whole suite in QEMU on 6.1 and 7.3, build
#                 and load tests on the other kernels (tests/harness/check)
# make install    install the modules into /lib/modules/KVER/extra and
#                 run depmod (INSTALL_MOD_PATH=DIR: into DIR/lib/modules)
# make uninstall  remove them again and run depmod
# make check-debug  the suite on a debug kernel (KASAN, lockdep, kmemleak...)
# make stress     the seeded stress test alone, STRESS_SECONDS (60) long;
#                 STRESS_SEED=N replays a run; KERNEL=VER|VMLINUZ picks the
#                 kernel, DEBUG=1 the debug kernel (as check-debug does)
# make fuzz       trinity against scullp0 and scullv0; FUZZ_OPS (20000)
#                 calls, FUZZ_SEED=N replays, KERNEL=VER|VMLINUZ picks the
#                 kernel, DEBUG=1 the debug kernel
# make load       insmod the modules into the running kernel (root)
# make unload     rmmod them
# make clean      remove every build product

KDIR ?= /lib/modules/$(shell uname -r)/build
# The modules, in load order: Kbuild's obj-m, their one definition.
MODULES := $(patsubst %.o,%,$(shell sed -n 's/^obj-m := //p' Kbuild))

.PHONY: all modules progs kdir clean demo check load unload

all: modules progs

kdir:
	@if [ ! -f "$(KDIR)/Makefile" ]; then \
		echo "make: no kernel build tree in $(KDIR); install your kernel's headers (Debian: apt-get install linux-headers-$$(uname -r)) or pass KDIR=/path/to/kernel/build." >&2; \
		exit 2; \
	fi

modules: kdir
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

progs:
	$(MAKE) -C misc-progs
	$(MAKE) -C bench

demo:
	tests/harness/demo

check:
	tests/harness/check

.PHONY: bench
bench:
	bench/run

.PHONY: check-debug stress
check-debug:
	tests/harness/check-debug

# KEY=value words of the kernel command line reach the guest test as its
# environment (tests/harness/run --append, LDD3_VM_APPEND).
STRESS_SECONDS ?= 60
STRESS_ENV = LDD3_STRESS_SECONDS=$(STRESS_SECONDS) \
	LDD3_TEST_TIMEOUT=$$(($(STRESS_SECONDS) + 300)) \
	$(if $(STRESS_SEED),LDD3_STRESS_SEED=$(STRESS_SEED))
stress:
	LDD3_VM_APPEND="$(STRESS_ENV)" \
	LDD3_VM_TIMEOUT=$$(($(STRESS_SECONDS) + 1200)) \
	$(if $(DEBUG),tests/harness/check-debug,tests/harness/run $(if $(KERNEL),--kernel $(KERNEL))) \
		scull_stress

.PHONY: fuzz
FUZZ_OPS ?= 20000
fuzz:
	tests/harness/fuzz --ops $(FUZZ_OPS) $(if $(FUZZ_SEED),--seed $(FUZZ_SEED)) \
		$(if $(KERNEL),--kernel $(KERNEL)) $(if $(DEBUG),--debug)

# make matrix: build and test every supported kernel, print a table.
.PHONY: matrix
matrix:
	tests/harness/check --all

# The release KDIR builds for (what uname -r says on that kernel; Debian's
# include/config/kernel.release has the upstream version instead).
KVER ?= $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
INSTALL_MOD_DIR ?= extra
moddir = $(INSTALL_MOD_PATH)/lib/modules/$(KVER)/$(INSTALL_MOD_DIR)
# Kbuild's own depmod step skips trees without System.map (Debian's headers).
depmod = depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) -a $(KVER)

.PHONY: install uninstall kver
kver:
	@test -n "$(KVER)" || { echo "make: cannot tell the kernel release of $(KDIR); pass KVER=" >&2; exit 2; }

install: modules kver
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) modules_install
	$(depmod)

uninstall: kver
	rm -f $(patsubst %,$(moddir)/%.ko*,$(MODULES))
	[ ! -d $(moddir) ] || rmdir --ignore-fail-on-non-empty $(moddir)
	$(depmod)

load: modules
	for m in $(MODULES); do insmod ./$$m.ko || exit 1; done

unload:
	for m in $(call reverse,$(MODULES)); do \
		if [ -d /sys/module/$$m ]; then rmmod $$m || exit 1; fi; \
	done

clean:
	if [ -f "$(KDIR)/Makefile" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -f *.o *.ko *.mod *.mod.c .*.cmd modules.order Module.symvers
	$(MAKE) -C misc-progs clean
	$(MAKE) -C bench clean
	$(MAKE) -C tests clean

reverse = $(if $(1),$(call reverse,$(wordlist 2,$(words $(1)),$(1))) $(firstword $(1)))
