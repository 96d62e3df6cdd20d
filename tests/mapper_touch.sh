#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mapper --touch faults in every page and reports the faults (getrusage).
# The count tells how a driver maps: a fault handler (scullp, scullv,
# /dev/simplen, and /dev/zero's anonymous pages) takes one minor fault per
# page, remap_pfn_range at mmap time (/dev/simpler) takes none.

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

# scull maps the neighbours of a fault too (fault-around, scull_core's
# fault_around parameter, on by default, read at mmap): fewer faults than
# pages with it, exactly one per page without it.
param=/sys/module/scull_core/parameters/fault_around
around=$(cat "$param" 2>/dev/null)
trap 'rm -rf "$tmp"; [ -n "$around" ] && echo "$around" >"$param"' EXIT
for f in /dev/scullp0 /dev/scullp1 /dev/scullp2 /dev/scullp3 \
	 /dev/scullv0 /dev/scullv1 /dev/scullv2 /dev/scullv3; do
	if [ ! -c "$f" ] || [ ! -w "$param" ]; then
		not_ok "$f and $param exist"
		continue
	fi
	head -c $(((n + 1) * page)) /dev/zero >"$f"
	echo N >"$param"
	touch_faults "$f" 0 $n $n
	touch_faults "$f" $((page / 2)) $((n + 1)) $((n + 1))
	echo Y >"$param"
	got=$(mapper --touch "$f" 0 $((n * page)) 2>/dev/null)
	minor=$(echo "$got" | awk '{ print $4 }')
	check "mapper --touch $f with fault-around: 1..$((n - 1)) faults ($got)" \
		test "${got%%:*}" = "touched $n pages" -a "${minor:-0}" -ge 1 \
		-a "${minor:-0}" -lt $n
done

if [ -c /dev/simpler ]; then
	touch_faults /dev/simpler 0 $n 0
else
	not_ok "/dev/simpler exists"
fi
if [ -c /dev/simplen ]; then
	touch_faults /dev/simplen 0 $n $n
else
	not_ok "/dev/simplen exists"
fi

tap_done
