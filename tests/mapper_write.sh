#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mapper --shared --write stores standard input through a shared mapping:
# read() and a second mapping must see exactly those bytes, the bytes
# around them must not change, and a range past the end of a device must
# fail with SIGBUS (status 3) before anything is stored.

. "$LDD3_ROOT/tests/lib/mapper.sh"
head -c 10000 /dev/urandom >"$tmp/pattern"

# round_trip FILE: FILE holds 4 pages of zeros; store the pattern at 100.
round_trip() {
	local f=$1 what

	what="mapper --shared --write $f 100 10000"
	run --shared --write "$f" 100 10000 <"$tmp/pattern"
	check "$what: exit status 0 (got $rc)" test "$rc" = 0
	check "$what: reports 10000 bytes" grep -q '^wrote 10000 bytes' "$err"
	check "$what: read() returns the pattern" \
		same_as "$tmp/pattern" dd if="$f" bs=1 skip=100 count=10000 \
		status=none
	head -c 100 "$f" >"$tmp/head"
	tail -c +10101 "$f" >"$tmp/tail"
	run "$f" 100 10000
	check "$what: a private mapping shows the pattern" \
		cmp "$tmp/pattern" "$out"
	check "$what: the 100 bytes before it are unchanged" \
		same_as "$tmp/head" head -c 100 /dev/zero
	check "$what: the bytes after it are unchanged" \
		same_as "$tmp/tail" head -c $((4 * page - 10100)) /dev/zero
	check "$what: the size is unchanged" test "$(wc -c <"$f")" = $((4 * page))

	what="mapper --shared --write $f past its end"
	cat "$f" >"$tmp/before"
	run --shared --write "$f" $((3 * page)) $((2 * page)) <"$tmp/pattern"
	check "$what: exit status 3 (got $rc)" test "$rc" = 3
	check "$what: names offset $((4 * page))" \
		grep -q "SIGBUS.* offset $((4 * page)) " "$err"
	check "$what: nothing was stored" cmp "$f" "$tmp/before"
}

# references: a regular file (tmpfs)
head -c $((4 * page)) /dev/zero >"$tmp/file"
round_trip "$tmp/file"
run --write "$tmp/file" 0 10 </dev/null
check "--write without --shared is a usage error" test "$rc" = 1

for f in /dev/scullp0 /dev/scullp1 /dev/scullp2 /dev/scullp3 \
	 /dev/scullv0 /dev/scullv1 /dev/scullv2 /dev/scullv3; do
	if [ ! -c "$f" ]; then
		not_ok "$f exists"
		continue
	fi
	head -c $((4 * page)) /dev/zero >"$f"
	round_trip "$f"
done

# simple: one buffer behind both nodes, written through one, read through
# the other, in place: it must not grow.
if [ -c /dev/simpler ] && [ -c /dev/simplen ]; then
	for w in simpler simplen; do
		[ $w = simpler ] && r=simplen || r=simpler
		head -c 10000 /dev/urandom >"$tmp/pattern"
		run --shared --write /dev/$w $((page + 1)) 10000 <"$tmp/pattern"
		check "mapper --shared --write /dev/$w: exit status 0 (got $rc)" \
			test "$rc" = 0
		run --shared /dev/$w $((page + 1)) 10000
		check "/dev/$w: a shared mapping reads the pattern back" \
			cmp "$out" "$tmp/pattern"
		run "/dev/$r" $((page + 1)) 10000
		check "/dev/$r: a private mapping of the other node shows it" \
			cmp "$out" "$tmp/pattern"
		run /dev/$w 0 $((page + 1))
		check "/dev/$w: the bytes before it are still zeros" \
			same_as "$out" head -c $((page + 1)) /dev/zero
	done
else
	not_ok "/dev/simpler and /dev/simplen exist"
fi

tap_done
