#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Load scullp and scullv with each scullp_order / scullv_order 0..4 and 9
# (the largest: 2 MiB quanta, PMD-mapped where the kernel can) and
# check, with tests/bin/scull_pages, that every page of their multi-page
# quanta maps the right bytes (single-page faults and fault-around, reads
# and writes) and that unwritten memory is zero. Leaves the modules loaded
# with their default parameters.

. "$LDD3_ROOT/tests/lib/tap.sh"
cd "$LDD3_ROOT" || exit 1
log=$(mktemp)
trap 'rm -f "$log"' EXIT

reload() {
	rmmod scullv 2>/dev/null
	rmmod scullp 2>/dev/null
	insmod scullp.ko "$@" && insmod scullv.ko "${@//scullp_/scullv_}"
}

for order in 0 1 2 3 4 9; do
	check "scullp and scullv load with order $order" \
		reload "scullp_order=$order"
	check "/proc/scullpmem shows order $order" \
		grep -q "^scullp0: .* order $order," /proc/scullpmem
	check "/proc/scullvmem shows order $order" \
		grep -q "^scullv0: .* order $order," /proc/scullvmem
	if tests/bin/scull_pages >"$log" 2>&1; then
		ok "order $order: every page of scullp0 and scullv0 maps the right bytes"
	else
		sed 's/^/# /' "$log"
		not_ok "order $order: every page of scullp0 and scullv0 maps the right bytes"
	fi
done

rmmod scullv
rmmod scullp
check_fails "scullp_order=10 (above the limit) is refused at load time" \
	insmod scullp.ko scullp_order=10
check_fails "scullv_qset=0 is refused at load time" \
	insmod scullv.ko scullv_qset=0
check "scullp loads again with its defaults" insmod scullp.ko
check "scullv loads again with its defaults" insmod scullv.ko
check "/proc/scullvmem shows the default order 4" \
	grep -q "^scullv0: .* order 4," /proc/scullvmem
tap_done
