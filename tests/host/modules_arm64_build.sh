#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The modules cross-build for the arm64 kernels of the test kernel's Debian
# suite (arm64, and arm64-16k where the suite has it: 16 KiB pages), with
# the suite's own compiler for aarch64, with no warning under W=1, and are
# AArch64 objects for that kernel (tests/harness/lib/arm64.sh).

cd "$(dirname "$0")/../.." || exit 1
. tests/lib/arm64.sh

# arm64_build VER: build a copy of the module tree for arm64 kernel VER.
arm64_build() {
	local ver=$1 kdir dir=tests/out/arm64/$1 ko bad=

	if ! kdir=$(arm64_kdir "$suite" "$ver" 2>"$log"); then
		sed 's/^/# /' "$log"
		not_ok "linux-headers-$ver and its cross compiler are ready"
		return
	fi
	if ! arm64_build_modules "$kdir" "$dir" "$log"; then
		sed 's/^/# /' "$log" | tail -n 20
		not_ok "the modules build for $ver"
		return
	fi
	ok "the modules build for $ver"
	grep 'warning:' "$log" | sort -u | sed 's/^/# /'
	check_fails "the modules build for $ver without warnings under W=1" \
		grep -q 'warning:' "$log"
	for m in $(kbuild_modules Kbuild); do
		ko=$dir/$m.ko
		readelf -h "$ko" 2>/dev/null | grep -q 'Machine: *AArch64' &&
			modinfo -F vermagic "$ko" | grep -q "^$ver " ||
			{ diag "$ko: $(readelf -h "$ko" 2>&1 | grep Machine), vermagic $(modinfo -F vermagic "$ko" 2>&1)"; bad=1; }
	done
	check "every module is an AArch64 object for $ver" test -z "$bad"
}

each_arm64_kernel arm64_build
tap_done
