#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# simple.ko from the shell: the buffer starts zeroed, dd/cmp/od work on both
# nodes (read, write, llseek, bounded by the region), mapper's mappings log
# exactly one book line "Simple VMA open, virt %lx, phys %pa" and one
# "Simple VMA close." each, modinfo describes every parameter, load refuses
# bad parameters with a clear message, and a 64 MiB buffer works (the C
# tests simple_mmap and simple_vma run again at that size).

. "$LDD3_ROOT/tests/lib/tap.sh"
cd "$LDD3_ROOT" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
page=$(getconf PAGESIZE)
mib=$((1024 * 1024))

# reload [PARAM=VALUE...]: simple.ko again with these parameters.
reload() {
	rmmod simple 2>/dev/null
	insmod simple.ko "$@"
}

# mark: write a unique marker into the kernel log; since_mark: the log after it.
mark() {
	marker="simple_rw marker $$.$RANDOM"
	echo "$marker" >/dev/kmsg
}
since_mark() {
	dmesg | sed -n "/$marker/,\$p"
}

# (no <(...) here: the test VM's /dev has no /dev/fd)
log_has() {
	since_mark | grep -q "$1"
}
modinfo_has() {
	modinfo simple.ko | grep -qE "$1"
}

# refused WHY PARAMS...: insmod fails and the log explains WHY.
refused() {
	local why=$1
	shift
	rmmod simple 2>/dev/null
	mark
	check_fails "insmod simple $* is refused" insmod simple.ko "$@"
	check "... and the log says \"$why\"" log_has "simple: .*$why"
}

# rw_session SIZE: dd, cmp and od over a region of SIZE bytes.
rw_session() {
	local size=$1 n

	check "$size bytes: /dev/simpler reads as zeros after load" \
		cmp -n "$size" /dev/simpler /dev/zero
	check "$size bytes: /dev/simplen reads as zeros after load" \
		cmp -n "$size" /dev/simplen /dev/zero
	n=$(wc -c </dev/simpler)
	check "$size bytes: read() stops at the end of the region ($n)" \
		test "$n" = "$size"

	head -c "$size" /dev/urandom >"$tmp/pattern"
	check "$size bytes: dd writes the whole region through /dev/simpler" \
		dd if="$tmp/pattern" of=/dev/simpler bs=64k status=none
	check "$size bytes: cmp: /dev/simplen reads back what was written" \
		cmp "$tmp/pattern" /dev/simplen
	od -Ax -tx1 -j $((size - 3 * page + 5)) -N 100 /dev/simplen >"$tmp/od.dev"
	od -Ax -tx1 -j $((size - 3 * page + 5)) -N 100 "$tmp/pattern" >"$tmp/od.file"
	check "$size bytes: od at an offset (llseek) agrees with the file" \
		cmp "$tmp/od.dev" "$tmp/od.file"
	check "$size bytes: dd seek= writes one page in the middle" \
		dd if=/dev/zero of=/dev/simplen bs="$page" seek=1 count=1 \
		conv=notrunc status=none
	check "$size bytes: ... which reads back as zeros through simpler" \
		cmp -n "$page" -i "$page:0" /dev/simpler /dev/zero
	check "$size bytes: ... and nothing else changed" \
		cmp -n "$page" /dev/simpler "$tmp/pattern"
	check_fails "$size bytes: a write at the end fails (no space)" \
		dd if=/dev/zero of=/dev/simpler bs="$page" \
		seek=$((size / page)) count=1 status=none 2>/dev/null
	n=$(dd if=/dev/simplen bs="$page" skip=$((size / page)) count=1 \
		status=none | wc -c)
	check "$size bytes: a read at the end returns nothing" test "$n" = 0
	n=$(dd if=/dev/zero of=/dev/simpler bs=$((2 * page)) \
		seek=$((size / page / 2 - 1)) count=2 2>&1 | grep -c 'No space')
	check "$size bytes: a write across the end is cut there, then ENOSPC" \
		test "$n" = 1
}

# book_lines NODE: one mapper run logs exactly one open and one close line.
book_lines() {
	local node=$1 opens closes

	# Every line, whatever the rate of the ones before.
	echo N >/sys/module/simple/parameters/vma_log_limit
	mark
	mapper "$node" 0 "$page" >/dev/null 2>&1
	echo Y >/sys/module/simple/parameters/vma_log_limit
	opens=$(since_mark | grep -cE '\] Simple VMA open, virt [0-9a-f]+, phys 0x[0-9a-f]+$')
	closes=$(since_mark | grep -cE '\] Simple VMA close\.$')
	check "mapper $node: one \"Simple VMA open, virt .., phys ..\" line" \
		test "$opens" = 1
	check "mapper $node: one \"Simple VMA close.\" line" test "$closes" = 1
}

for p in simple_major size phys_start phys_size phys_wc; do
	check "modinfo describes parameter $p" modinfo_has "^parm: +$p:.{20,}"
done
for f in description author license version; do
	check "modinfo has a $f" modinfo_has "^$f: +."
done

rw_session $((1 * mib))
book_lines /dev/simpler
book_lines /dev/simplen
check "without CAP_SYS_RAWIO, the RAM buffer still opens" \
	capsh --drop=cap_sys_rawio -- -c 'head -c 1 /dev/simpler >/dev/null'

refused "size=0 refused" size=0
refused "size=2147483648 refused" size=$((2048 * mib))
refused "refused: the window must be .*page aligned" \
	phys_start=0xfe001800 phys_size=0x1000
refused "refused: the window must be .*page aligned" \
	phys_start=0xfe000000 phys_size=0x1800
refused "refused: the window must be non-empty" phys_start=0xfe000000
# A page of the first System RAM range (0x1000 up on x86, 0x40000000 on
# arm64's virt machine).
ram=$(sed -n 's/^ *\([0-9a-f]*\)-[0-9a-f]* : System RAM$/\1/p' /proc/iomem | head -n 1)
ram=$(printf '0x%x' $(((0x${ram:-0} + page - 1) / page * page)))
refused "refused: the window overlaps System RAM" \
	phys_start="$ram" phys_size="$page"
refused "refused: the window must be .*addressable" \
	phys_start=0xfffffffffffff000 phys_size=0x2000

rounded=$(((5000 + page - 1) / page * page))
check "a size that is not a page multiple is rounded up" reload size=5000
check "... to $rounded bytes (sysfs)" \
	test "$(cat /sys/module/simple/parameters/size)" = "$rounded"
check "... and the nodes have that size" \
	test "$(wc -c </dev/simplen)" = "$rounded"

check "simple loads with a 64 MiB buffer" reload size=$((64 * mib))
diag "$(dmesg | grep 'simple: .*byte buffer' | tail -n 1)"
rw_session $((64 * mib))
for t in simple_mmap simple_vma; do
	if tests/bin/$t >"$tmp/$t.log" 2>&1; then
		ok "$t passes with a 64 MiB buffer"
	else
		sed 's/^/# /' "$tmp/$t.log"
		not_ok "$t passes with a 64 MiB buffer"
	fi
done

check "simple loads again with default parameters" reload
tap_done
