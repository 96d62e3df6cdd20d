#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The book's mapper sessions (LDD3 15.2.6) on every device node, with
# /dev/zero and a regular file as references: what mapper prints must be
# exactly what read() returns, with the book's line on standard error.
#
#   ls -l /dev > /dev/scullp0
#   mapper /dev/scullp0 0 140      the first 140 bytes
#   mapper /dev/scullp0 8192 200   bytes 8192..8391

. "$LDD3_ROOT/tests/lib/mapper.sh"

# book_line FILE OFFSET END: the line the book prints on standard error.
book_line() {
	printf 'mapped "%s" from %d (0x%08x) to %d (0x%08x)\n' \
		"$1" "$2" "$2" "$3" "$3"
}

# session FILE OFFSET LENGTH: mapper prints bytes OFFSET..OFFSET+LENGTH-1
# of what read() returns (dd), and the book's line.
session() {
	local f=$1 o=$2 l=$3

	run "$f" "$o" "$l"
	check "mapper $f $o $l: exit status 0" test "$rc" = 0
	check "mapper $f $o $l: the book's line on standard error" \
		same_as "$err" book_line "$f" "$o" $((o + l))
	check "mapper $f $o $l: the bytes read() returns there" \
		same_as "$out" dd if="$f" bs=1 skip="$o" count="$l" status=none
}

# fill FILE: write ls -l /dev into FILE as the book does; the guest's /dev
# is short, so repeat the listing (in one open) until it covers 8392 bytes.
fill() {
	local f=$1

	ls -l /dev >"$f"
	if [ "$(wc -c <"$f")" -lt 8392 ]; then
		for _ in 1 2 3 4 5 6 7 8; do ls -l /dev; done >"$f"
	fi
}

# A device that grows by write(): the book's sessions, an unaligned range
# and the whole content.
grown_by_write() {
	local f=$1 size

	if [ "${f#/dev/}" != "$f" ] && [ ! -c "$f" ]; then
		not_ok "$f exists"
		return
	fi
	# the book's first command, exactly, and its first session
	ls -l /dev >"$f"
	size=$(wc -c <"$f")
	session "$f" 0 140
	# /dev is shorter here than on the book's machine: offset 8192 may
	# lie past the last page (SIGBUS), or in the last page's tail, which
	# reads as zeros (with 16 KiB pages, 8192 is inside the first page).
	if [ $(((size + page - 1) / page * page)) -le 8192 ]; then
		run "$f" 8192 200
		check "mapper $f 8192 200 with $size bytes: SIGBUS, status 3" \
			test "$rc" = 3
		check "mapper $f 8192 200 with $size bytes: nothing written" \
			test ! -s "$out"
	elif [ "$size" -le 8192 ]; then
		run "$f" 8192 200
		check "mapper $f 8192 200 with $size bytes, in the last page: status 0" \
			test "$rc" = 0
		check "mapper $f 8192 200 with $size bytes, in the last page: zeros" \
			same_as "$out" head -c 200 /dev/zero
	fi
	fill "$f"
	size=$(wc -c <"$f")
	diag "$f holds $size bytes"
	session "$f" 8192 200
	session "$f" 5000 3000
	session "$f" $((size - 1)) 1
	run "$f" 0 "$size"
	check "mapper $f 0 $size: all of it, as read() returns it" \
		cmp "$out" "$f"
}

# simple: a zeroed 1 MiB buffer, mapped whole.
zeroed_buffer() {
	local f=$1 mib=$((1024 * 1024))

	if [ ! -c "$f" ]; then
		not_ok "$f exists"
		return
	fi
	run "$f" 0 140
	check "mapper $f 0 140: exit status 0" test "$rc" = 0
	check "mapper $f 0 140: the book's line on standard error" \
		same_as "$err" book_line "$f" 0 140
	check "mapper $f 0 140: zeros" same_as "$out" head -c 140 /dev/zero
	run "$f" 8192 200
	check "mapper $f 8192 200: the book's line on standard error" \
		same_as "$err" book_line "$f" 8192 8392
	check "mapper $f 8192 200: zeros" same_as "$out" head -c 200 /dev/zero
	run "$f" 0 $mib
	check "mapper $f 0 1MiB: exit status 0" test "$rc" = 0
	check "mapper $f 0 1MiB: 1 MiB of zeros" \
		same_as "$out" head -c $mib /dev/zero
	run --hex "$f" 0 0x100000
	check "mapper --hex $f 0 0x100000: one zero line, folded" \
		same_as "$out" hexdump -C -n $mib /dev/zero
	run "$f" 0 $((mib + 1))
	check "mapper $f 0 1MiB+1: past the buffer, refused: status 2" \
		test "$rc" = 2
	check "mapper $f 0 1MiB+1: the errno text" \
		grep -q 'Invalid argument' "$err"
	run --shared "$f" 4097 4000
	check "mapper --shared $f 4097 4000: zeros" \
		same_as "$out" head -c 4000 /dev/zero
}

# references first: a regular file (tmpfs) and /dev/zero
grown_by_write "$tmp/listing"
run /dev/zero 8192 200
check "mapper /dev/zero 8192 200: the book's line" \
	same_as "$err" book_line /dev/zero 8192 8392
check "mapper /dev/zero 8192 200: zeros" same_as "$out" head -c 200 /dev/zero

for f in /dev/scullp0 /dev/scullp1 /dev/scullp2 /dev/scullp3 \
	 /dev/scullv0 /dev/scullv1 /dev/scullv2 /dev/scullv3; do
	grown_by_write "$f"
done
for f in /dev/simpler /dev/simplen; do
	zeroed_buffer "$f"
done

tap_done
