#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A page the driver cannot provide (past the end of a scull device, a hole
# in one, past the end of a file) raises SIGBUS: mapper must end with
# status 3 and a message naming the offset, and write nothing at all.
# /dev/zero, which has no end, is the reference that never faults.

. "$LDD3_ROOT/tests/lib/mapper.sh"

# faults WHAT OFFSET ARGS...: mapper ARGS faults at file offset OFFSET.
faults() {
	local what=$1 at=$2
	shift 2

	run "$@"
	check "$what: exit status 3 (got $rc)" test "$rc" = 3
	check "$what: the message names SIGBUS at offset $at" \
		grep -q "SIGBUS.* offset $at ($(printf '0x%08x' "$at"))" "$err"
	check "$what: nothing on standard output" test ! -s "$out"
}

# maps WHAT ARGS...: mapper ARGS succeeds.
maps() {
	local what=$1
	shift

	run "$@"
	check "$what: exit status 0 (got $rc)" test "$rc" = 0
}

scull() {
	local f=$1 size

	if [ ! -c "$f" ]; then
		not_ok "$f exists"
		return
	fi
	faults "$f, empty: 0 100" 0 "$f" 0 100
	faults "$f, empty: --touch 0 $page" 0 --touch "$f" 0 "$page"

	head -c $((3 * page + 100)) /dev/urandom >"$f"
	size=$((3 * page + 100))
	maps "$f, $size bytes: 0 $size" "$f" 0 $size
	check "$f: the bytes read() returns" cmp "$out" "$f"
	faults "$f, $size bytes: 0 $((4 * page + 1))" $((4 * page)) \
		"$f" 0 $((4 * page + 1))
	faults "$f, $size bytes: $((4 * page)) 10" $((4 * page)) \
		"$f" $((4 * page)) 10
	faults "$f, $size bytes: unaligned $((5 * page + 17)) 10" \
		$((5 * page + 17)) "$f" $((5 * page + 17)) 10
	faults "$f, $size bytes: --hex 0 $((8 * page))" $((4 * page)) \
		--hex "$f" 0 $((8 * page))
	faults "$f, $size bytes: --shared 0 $((8 * page))" $((4 * page)) \
		--shared "$f" 0 $((8 * page))
	faults "$f, $size bytes: --touch 0 $((8 * page))" $((4 * page)) \
		--touch "$f" 0 $((8 * page))

	# a hole: empty the device (a write-only open truncates; dd opens
	# read-write), then write only the quantum at 1 MiB: page 0 has none
	: >"$f"
	dd if=/dev/zero of="$f" bs="$page" seek=$((1048576 / page)) count=1 \
		conv=notrunc status=none
	faults "$f with a hole at 0: 0 $page" 0 "$f" 0 "$page"
	maps "$f: the written page at 1 MiB maps" "$f" 1048576 "$page"
	check "$f: the written page holds zeros" \
		same_as "$out" head -c "$page" /dev/zero
}

# references
head -c $((page + 10)) /dev/urandom >"$tmp/file"
maps "a file of $((page + 10)) bytes: 0 $((page + 10))" \
	"$tmp/file" 0 $((page + 10))
faults "a file of $((page + 10)) bytes: 0 $((3 * page))" $((2 * page)) \
	"$tmp/file" 0 $((3 * page))
maps "/dev/zero has no end: 0x7fff0000 100" /dev/zero 0x7fff0000 100

for f in /dev/scullp0 /dev/scullp1 /dev/scullp2 /dev/scullp3 \
	 /dev/scullv0 /dev/scullv1 /dev/scullv2 /dev/scullv3; do
	scull "$f"
done

tap_done
