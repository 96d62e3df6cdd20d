# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# What tests/host/modules_arm64_*.sh share: the test kernel's suite
# ($suite), a scratch log ($log), and each_arm64_kernel FN, which calls
# FN VER for each arm64 kernel of the suite (arm64, and arm64-16k where
# the suite has it). Sourced from the top of the tree.

. tests/lib/tap.sh
. tests/harness/lib/cache.sh
. tests/harness/lib/arm64.sh
. tests/harness/lib/modules.sh
suite=$(kernel_suite "${LDD3_KERNEL_RELEASE:?tests/harness/run sets LDD3_KERNEL_RELEASE}")
log=$(mktemp)
trap 'rm -f "$log"; rm -rf tests/out/arm64' EXIT

each_arm64_kernel() {
	local fn=$1 flavour ver
	for flavour in arm64 arm64-16k; do
		if ver=$(arm64_kernel "$suite" "$flavour" 2>"$log"); then
			"$fn" "$ver"
		elif [ "$flavour" = arm64 ]; then
			sed 's/^/# /' "$log"
			not_ok "$suite has an arm64 kernel"
		else
			diag "$suite has no $flavour kernel"
		fi
	done
}
