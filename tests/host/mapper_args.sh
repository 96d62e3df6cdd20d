#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# misc-progs/mapper on the host, against regular files and /dev/zero (no
# module needed): argument parsing, the book's stderr line, unaligned
# offsets, exit statuses, SIGBUS past the end of a file, the options, and
# the man page.

cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
mapper=$PWD/misc-progs/mapper
if [ ! -x "$mapper" ]; then
	not_ok "misc-progs/mapper is built (make progs)"
	tap_done
	exit
fi

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
out=$dir/out
err=$dir/err
page=$(getconf PAGESIZE)

# run ARGS...: run mapper, stdout in $out, stderr in $err, status in $rc.
run() {
	"$mapper" "$@" >"$out" 2>"$err"
	rc=$?
}

# usage_refused WHAT ARGS...: exit 1, a message, the usage line, no output.
usage_refused() {
	local what=$1
	shift
	run "$@"
	check "$what: exit status 1" test "$rc" = 1
	check "$what: says what is wrong and prints the usage" \
		grep -q '^Usage: mapper ' "$err"
	check "$what: nothing on standard output" test ! -s "$out"
}

head -c $((5 * page + 123)) /dev/urandom >"$dir/file"
size=$(stat -c %s "$dir/file")

# ---- arguments
usage_refused "no arguments"
usage_refused "two arguments" "$dir/file" 0
usage_refused "four arguments" "$dir/file" 0 1 2
usage_refused "LENGTH 0" "$dir/file" 0 0
usage_refused "LENGTH 0x0" "$dir/file" 0 0x0
usage_refused "trailing junk in LENGTH" "$dir/file" 0 12abc
usage_refused "trailing junk in OFFSET" "$dir/file" 4k 1
usage_refused "a bare 0x" "$dir/file" 0x 1
usage_refused "8 is not an octal digit" "$dir/file" 0 08
usage_refused "an empty OFFSET" "$dir/file" "" 1
usage_refused "a negative LENGTH" "$dir/file" 0 -5
check "a negative LENGTH is named as negative" grep -q negative "$err"
usage_refused "a negative OFFSET after --" -- "$dir/file" -4096 1
check "a negative OFFSET is named as negative" grep -q negative "$err"
usage_refused "a LENGTH that overflows a long" "$dir/file" 0 \
	99999999999999999999
check "an overflowing value is named as too large" grep -q 'too large' "$err"
usage_refused "OFFSET + LENGTH overflowing" "$dir/file" \
	0x7fffffffffffffff 1
usage_refused "an unknown option" --frobnicate "$dir/file" 0 1
usage_refused "--write without --shared" --write "$dir/file" 0 1
usage_refused "--hex with --touch" --hex --touch "$dir/file" 0 1

run -h
check "-h: exit status 0" test "$rc" = 0
for o in --shared --write --hex --touch --help; do
	check "-h documents $o" grep -q -e "$o" "$out"
done

# ---- the book's output, byte for byte
run "$dir/file" 0 140
check "mapper FILE 0 140: exit status 0" test "$rc" = 0
check "mapper FILE 0 140: the book's line on standard error" \
	test "$(cat "$err")" = \
	"mapped \"$dir/file\" from 0 (0x00000000) to 140 (0x0000008c)"
check "mapper FILE 0 140: the first 140 bytes" \
	cmp "$out" <(dd if="$dir/file" bs=140 count=1 status=none)
run "$dir/file" 8192 200
check "mapper FILE 8192 200: the book's line on standard error" \
	test "$(cat "$err")" = \
	"mapped \"$dir/file\" from 8192 (0x00002000) to 8392 (0x000020c8)"
check "mapper FILE 8192 200: bytes 8192..8391" \
	cmp "$out" <(dd if="$dir/file" bs=1 skip=8192 count=200 status=none)

# hex and octal arguments mean what %li means
run "$dir/file" 0x2000 0310
check "OFFSET 0x2000 LENGTH 0310 is 8192 200" \
	test "$(cat "$err")" = \
	"mapped \"$dir/file\" from 8192 (0x00002000) to 8392 (0x000020c8)"
check "OFFSET 0x2000 LENGTH 0310: bytes 8192..8391" \
	cmp "$out" <(dd if="$dir/file" bs=1 skip=8192 count=200 status=none)

# unaligned offsets and lengths, across page boundaries, up to the end
ok=1
for o in 1 $((page - 1)) $page $((page + 7)) $((3 * page + 5)); do
	for l in 1 $((page - 1)) $((page + 1)) $((size - o)); do
		run "$dir/file" "$o" "$l"
		if [ "$rc" != 0 ] || ! cmp -s "$out" \
		   <(dd if="$dir/file" bs=1 skip="$o" count="$l" status=none); then
			diag "mapper FILE $o $l differs from dd (status $rc)"
			ok=0
		fi
	done
done
check "unaligned OFFSET/LENGTH pairs match dd byte for byte" test $ok = 1

run /dev/zero 3 $((3 * page))
check "/dev/zero from an unaligned offset: zeros" \
	cmp "$out" <(head -c $((3 * page)) /dev/zero)

# ---- standard output: a pipe read in small pieces gets every byte
"$mapper" "$dir/file" 0 "$size" 2>/dev/null | dd bs=7 status=none >"$out"
check "a pipe read 7 bytes at a time gets the whole file" \
	cmp "$out" "$dir/file"

# ---- SIGBUS: whole pages past the end of a file
end=$(((size + page - 1) / page * page))
run "$dir/file" 0 $((end + page))
check "past the end of a file: exit status 3" test "$rc" = 3
check "past the end of a file: names SIGBUS and the page past the end" \
	grep -q "SIGBUS.* offset $end (0x$(printf %08x $end))" "$err"
check "past the end of a file: nothing written before the fault" \
	test ! -s "$out"
check "past the end of a file: no 'Bus error' from the shell" \
	test "$rc" != 135
run "$dir/file" $((end + 5)) 10
check "a range wholly past the end: exit status 3 and the offset" \
	grep -q "SIGBUS.* offset $((end + 5)) " "$err"

# ---- system errors: status 2 and the errno text
run "$dir/missing" 0 1
check "a missing file: exit status 2" test "$rc" = 2
check "a missing file: the errno text" \
	grep -q 'No such file or directory' "$err"
run "$dir" 0 1
check "a directory cannot be mapped: exit status 2" test "$rc" = 2
check "a directory: the mmap errno text" grep -q 'cannot map.*: ' "$err"
run /dev/zero 0 0x7fffffffffff0000
check "an impossible LENGTH: exit status 2" test "$rc" = 2
check "an impossible LENGTH: the errno text" \
	grep -q 'Cannot allocate memory' "$err"
chmod 444 "$dir/file"
if [ "$(id -u)" != 0 ]; then
	run --shared --write "$dir/file" 0 1 </dev/null
	check "--write to a read-only file: exit status 2" test "$rc" = 2
fi
chmod 644 "$dir/file"

# ---- --hex is hexdump -C with file offsets
ok=1
for pair in 0:1 0:16 1:17 100:1000 $((page - 3)):$((page + 40)); do
	o=${pair%:*}
	l=${pair#*:}
	if ! cmp -s <("$mapper" --hex "$dir/file" "$o" "$l" 2>/dev/null) \
	     <(hexdump -C -s "$o" -n "$l" "$dir/file"); then
		diag "--hex $o $l differs from hexdump -C"
		ok=0
	fi
done
check "--hex matches hexdump -C -s OFFSET -n LENGTH" test $ok = 1
check "--hex folds repeated lines like hexdump -C" \
	cmp <("$mapper" -x /dev/zero 5 100000 2>/dev/null) \
	<(hexdump -C -s 5 -n 100000 /dev/zero)

# ---- --write round trip through a shared mapping
cp "$dir/file" "$dir/copy"
head -c 5000 /dev/urandom >"$dir/pattern"
run --shared --write "$dir/copy" 3000 5000 <"$dir/pattern"
check "--write: exit status 0" test "$rc" = 0
check "--write: reports the bytes copied" grep -q '^wrote 5000 bytes' "$err"
check "--write: read() sees the data" \
	cmp "$dir/pattern" <(dd if="$dir/copy" bs=1 skip=3000 count=5000 \
	status=none)
check "--write: the bytes before it are unchanged" \
	cmp <(head -c 3000 "$dir/copy") <(head -c 3000 "$dir/file")
check "--write: the bytes after it are unchanged" \
	cmp <(tail -c +8001 "$dir/copy") <(tail -c +8001 "$dir/file")
check "--write: a second mapping reads the data back" \
	cmp <("$mapper" -s "$dir/copy" 3000 5000 2>/dev/null) "$dir/pattern"
run --shared --write "$dir/copy" 0 100 </dev/null
check "--write with empty standard input copies nothing" \
	grep -q '^wrote 0 bytes' "$err"
run --shared --write "$dir/copy" $((end + 1)) 10 <"$dir/pattern"
check "--write past the end of a file: exit status 3" test "$rc" = 3

# ---- --touch counts the faults
pages=16
run --touch /dev/zero 0 $((pages * page))
check "--touch /dev/zero: exit status 0" test "$rc" = 0
check "--touch /dev/zero: one minor fault per page" \
	grep -qx "touched $pages pages: $pages minor faults, 0 major faults" \
	"$out"
run --touch /dev/zero 1 $((pages * page))
check "--touch from an unaligned offset touches one more page" \
	grep -q "^touched $((pages + 1)) pages: $((pages + 1)) minor faults" \
	"$out"
run --touch "$dir/file" 0 "$size"
# shellcheck disable=SC2016
check "--touch on a file: at least one fault, at most one per page" \
	awk '$2 == 6 && $4 >= 1 && $4 <= 6 { found = 1 }
	     END { exit !found }' "$out"

# ---- the man page renders without warnings
man_err=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l misc-progs/mapper.1 \
	2>&1 >"$out")
check "mapper.1 renders with man -l" test -s "$out"
check "mapper.1 renders without groff warnings" test -z "$man_err"
for o in --shared --write --hex --touch --help; do
	check "mapper.1 documents $o" grep -q -e "$o" "$out"
done

tap_done
