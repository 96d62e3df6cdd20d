#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# misc-progs/skelbuf, the /dev/skel client the README's session shows: each
# step prints what it must (the device's bytes read through the mapping,
# the program's bytes read by the device, EFAULT outside the mapping, the
# buffer alive after SKEL_IOCFREE until munmap), it exits 0, with either
# way of mapping; with --export, the dma-buf's mapping holds the same bytes
# and keeps the buffer after munmap and close of /dev/skel, until it
# closes; bad arguments get a plain message and their exit status.

. "$LDD3_ROOT/tests/lib/tap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
page=$(getconf PAGESIZE)
size=$(((10000 + page - 1) / page * page))	# skelbuf 10000, rounded up to pages

# says WHAT LINE: skelbuf's output holds LINE exactly.
says() {
	check "$1: prints '$2'" grep -qxF -- "$2" "$tmp/out"
}

# run_ok ARGS...: skelbuf ARGS, its output in $tmp/out, named $what; it
# exits 0 and writes nothing on standard error.
run_ok() {
	local rc

	what="skelbuf $*"
	skelbuf "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	sed 's/^/# /' "$tmp/out" "$tmp/err"
	check "$what: exit status 0 (got $rc)" test "$rc" = 0
	check "$what: nothing on standard error" test ! -s "$tmp/err"
}

# remap_refused ARGS...: where skel's device is not DMA-coherent (arm64),
# skelbuf --remap-pfn ARGS must fail: SKEL_IOCALLOC says EOPNOTSUPP.
remap_refused() {
	local rc

	[ "$how" = --remap-pfn ] && [ "$(cat /sys/class/misc/skel/dma_coherent)" = 0 ] ||
		return 1
	skelbuf "$how" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	check "skelbuf $how $*: refused where the device is not DMA-coherent, status 1 (got $rc)" \
		test "$rc" = 1
	check "skelbuf $how $*: says SKEL_IOCALLOC: Operation not supported" \
		grep -q '^skelbuf: SKEL_IOCALLOC.*: Operation not supported$' "$tmp/err"
	return 0
}

for how in "" --remap-pfn; do
	remap_refused 10000 && continue
	run_ok $how 10000
	check "$what: the size is rounded up to pages" \
		grep -q "^SKEL_IOCALLOC 10000 bytes: buffer [0-9]*, $size bytes, mmap offset 0x" "$tmp/out"
	says "$what" "zero bytes in the new buffer: $size of $size"
	says "$what" "bytes as the device wrote them: $size of $size"
	says "$what" "the program wrote; bytes the device read as written: $size of $size"
	says "$what" "SKEL_IOCDEVWRITE into the program's own stack: Bad address"
	says "$what" "the mapping still holds the program's bytes: $size of $size"
	check "$what: after SKEL_IOCFREE the mapping keeps the buffer" \
		test "$(grep -A1 -x 'SKEL_IOCFREE buffer [0-9]* while it is mapped' "$tmp/out" |
			tail -n 1)" = "driver: buffers 1, bytes $size, mappings 1"
	check "$what: after munmap nothing is left" \
		test "$(tail -n 1 "$tmp/out")" = "driver: buffers 0, bytes 0, mappings 0"
done

for how in "" --remap-pfn; do
	remap_refused --export 10000 && continue
	run_ok $how --export 10000
	check "$what: SKEL_IOCEXPORT gives a dma-buf fd" \
		grep -q "^SKEL_IOCEXPORT buffer [0-9]*: dma-buf fd [0-9]*$" "$tmp/out"
	says "$what" "the dma-buf's mapping holds the program's bytes: $size of $size"
	check "$what: after munmap and close of /dev/skel the dma-buf keeps the buffer" \
		test "$(grep -B1 -x 'munmap and close of the dma-buf' "$tmp/out" |
			head -n 1)" = "the dma-buf's mapping still holds the program's bytes: $size of $size"
	check "$what: the counters show it, then nothing" \
		test "$(grep '^driver: ' "$tmp/out" | tail -n 2 | tr '\n' /)" = \
		"driver: buffers 1, bytes $size, mappings 1, exports 1/driver: buffers 0, bytes 0, mappings 0, exports 0/"
done

# bad ARGS... STATUS MESSAGE: skelbuf ARGS fails with STATUS and MESSAGE.
bad() {
	local status=$1 message=$2 rc
	shift 2

	skelbuf "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	check "skelbuf $*: exit status $status (got $rc)" test "$rc" = "$status"
	check "skelbuf $*: says '$message'" grep -qF -- "$message" "$tmp/err"
	check "skelbuf $*: nothing on standard output" test ! -s "$tmp/out"
}
bad 2 "usage: skelbuf [--remap-pfn] [--export] SIZE"
bad 2 "usage: skelbuf [--remap-pfn] [--export] SIZE" --exprot 10
bad 2 "not a size in bytes: '12k'" 12k
bad 2 "not a size in bytes: '-1'" -1
bad 1 "SKEL_IOCALLOC of 0 bytes: Invalid argument" 0
bad 1 "SKEL_IOCALLOC of $((4 * 1024 * 1024 + 1)) bytes: Invalid argument" \
	$((4 * 1024 * 1024 + 1))
check "the failed runs leave no buffer" \
	test "$(cat /sys/class/misc/skel/buffers)" = 0

tap_done
