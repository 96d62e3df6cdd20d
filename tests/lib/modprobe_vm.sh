# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# For host tests that install the modules into a scratch root (DKMS, make
# install): prove in the test VM that modprobe loads them from there.
# Needs tests/lib/tap.sh and tests/harness/lib/cache.sh sourced, cwd = tree root.

# modprobe_in_vm WHAT TREE DIR [MAPPER [SCRIPTS]]: boot the test kernel ($LDD3_KERNEL), run
# tests/harness/lib/modprobe-guest there and report its results as this test's own,
# each prefixed with WHAT. The kernel's headers give Module.symvers;
# MAPPER, a mapper binary, is run there on /dev/scullp0, and the load
# scripts installed in SCRIPTS on scullp.
modprobe_in_vm() {
	local what=$1 tree=$2 dir=$3 mapper=${4:-} scripts=${5:-} kroot out rc

	if [ -f "$LDD3_KERNEL" ]; then
		ok "$what: modprobe in the VM # SKIP $LDD3_KERNEL was built here (the debug kernel): it has no overlayfs for the install tree and no package; Debian's kernels run this"
		return
	fi
	kroot=$(kernel_root "$LDD3_KERNEL") || {
		not_ok "$what: the test kernel's modules are unpacked"
		return
	}
	out=$(mktemp)
	tests/harness/vm --kernel "$LDD3_KERNEL" -- \
		tests/harness/lib/modprobe-guest "$tree" "$kroot" "$dir" \
		"$(kernel_symvers "$LDD3_KERNEL_RELEASE")" ${mapper:+"$mapper"} \
		${scripts:+"$scripts"} >"$out" 2>&1
	rc=$?
	tap_relay "$what" "$out"
	rm -f "$out"
	check "$what: the guest ends with status 0 and a clean kernel log" \
		test "$rc" = 0
}
