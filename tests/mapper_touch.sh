#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mapper --touch faults in every page and reports the faults (getrusage).
# The count tells how a driver maps: a fault handler (scullp, scullv,
# /dev/simplen, and /dev/zero's anonymous pages) takes one minor fault per
# page, or fewer with fault-around; remap_pfn_range at mmap time
# (/dev/simpler) takes none.

. "$LDD3_ROOT/tests/lib/mapper.sh"
n=16

# touch_faults FILE OFFSET PAGES MINOR: --touch reports PAGES pages and
# MINOR minor faults, no major fault.
touch_faults() {
	local f=$1 o=$2 pages=$3 minor=$4 got exp

	exp="touched $pages pages: $minor minor faults, 0 major faults"
	got=$(mapper --touch "$f" "$o" $((n * page)) 2>/dev/null)
	check "mapper --touch $f $o $((n * page)): $minor minor faults" \
		test "$got" = "$exp"
	[ "$got" = "$exp" ] || diag "got: $got"
}

touch_faults /dev/zero 0 $n $n
touch_faults /dev/zero 1 $((n + 1)) $((n + 1))

# a regular file: the page cache maps neighbours too (fault-around), so
# at least one fault and at most one per page
head -c $((n * page)) /dev/urandom >"$tmp/file"
got=$(mapper --touch "$tmp/file" 0 $((n * page)) 2>/dev/null)
minor=$(echo "$got" | awk '{ print $4 }')
check "mapper --touch on a file: $n pages, 1..$n minor faults ($got)" \
	test "${got%%:*}" = "touched $n pages" -a "${minor:-0}" -ge 1 \
	-a "${minor:-0}" -le $n

# scull and /dev/simplen map the neighbours of a read fault too
# (fault-around: the fault_around parameter of scull_core and of simple, on
# by default, read at mmap): fewer faults than pages with it, exactly one
# per page without it.
params=(/sys/module/scull_core/parameters/fault_around
	/sys/module/simple/parameters/fault_around)
saved=()
for p in "${params[@]}"; do
	saved+=("$(cat "$p" 2>/dev/null)")
done
restore_params() {
	local i

	for i in "${!params[@]}"; do
		[ -z "${saved[i]}" ] || echo "${saved[i]}" >"${params[i]}"
	done
}
trap 'rm -rf "$tmp"; restore_params' EXIT

# fault_around_faults FILE PARAM: one fault per page with PARAM off, from a
# page boundary or not; fewer with it on.
fault_around_faults() {
	local f=$1 param=$2 got minor

	if [ ! -c "$f" ] || [ ! -w "$param" ]; then
		not_ok "$f and $param exist"
		return
	fi
	echo N >"$param"
	touch_faults "$f" 0 $n $n
	touch_faults "$f" $((page / 2)) $((n + 1)) $((n + 1))
	echo Y >"$param"
	got=$(mapper --touch "$f" 0 $((n * page)) 2>/dev/null)
	minor=$(echo "$got" | awk '{ print $4 }')
	check "mapper --touch $f with fault-around: 1..$((n - 1)) faults ($got)" \
		test "${got%%:*}" = "touched $n pages" -a "${minor:-0}" -ge 1 \
		-a "${minor:-0}" -lt $n
}

for f in /dev/scullp0 /dev/scullp1 /dev/scullp2 /dev/scullp3 \
	 /dev/scullv0 /dev/scullv1 /dev/scullv2 /dev/scullv3; do
	[ ! -c "$f" ] || head -c $(((n + 1) * page)) /dev/zero >"$f"
	fault_around_faults "$f" "${params[0]}"
done
fault_around_faults /dev/simplen "${params[1]}"

if [ -c /dev/simpler ]; then
	touch_faults /dev/simpler 0 $n 0
else
	not_ok "/dev/simpler exists"
fi

tap_done
