#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Memory of a scull device is zero before anyone can see it, even when the
# kernel does not zero allocations itself: boot with init_on_alloc=0 and
# check unwritten quanta through read() and through a mapping
# (tests/bin/scull_pages, scull_rw), at the default orders and at order 2.

cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
kernel=${LDD3_KERNEL:+--kernel $LDD3_KERNEL}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# shellcheck disable=SC2016
guest='
set -e
grep -qw init_on_alloc=0 /proc/cmdline
insmod scull_core.ko
insmod scullp.ko
insmod scullv.ko
tests/bin/scull_pages
tests/bin/scull_rw
rmmod scullv scullp
insmod scullp.ko scullp_order=2
insmod scullv.ko scullv_order=2
tests/bin/scull_pages
rmmod scullv scullp scull_core
'
# shellcheck disable=SC2086
if tests/harness/vm --quiet $kernel --append init_on_alloc=0 -- bash -c "$guest" \
	>"$out" 2>&1; then
	ok "with init_on_alloc=0, unwritten scull memory reads as zeros"
else
	sed 's/^/# /' "$out"
	not_ok "with init_on_alloc=0, unwritten scull memory reads as zeros"
fi
tap_done
