#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A writer cannot take the machine down. Writing three times RAM into
# scullp0 and scullv0 ends with ENOSPC at scull_core's max_bytes (half of
# RAM by default) and no process OOM-killed; the guest still forks and
# allocates; emptying the device gives its pages back and uncharges
# every quantum (a fill to a lower max_bytes reaches it). The limits are
# writable by root at run time: max_device_bytes and max_bytes each stop a
# write with ENOSPC after what fitted, and what was written stays intact.
# (Sizes come from /proc/scull*mem: a node's stat size is 0. What a memory
# cgroup sees is tests/scull_memcg.c.)

. "$LDD3_ROOT/tests/lib/tap.sh"
cd "$LDD3_ROOT" || exit 1

params=/sys/module/scull_core/parameters
mib=$((1024 * 1024))
ram=$(awk '/^MemTotal:/ { print $2 * 1024 }' /proc/meminfo)

mark() {
	echo "ldd3-test-mark-$$-$1" >/dev/kmsg
}

# The kernel log since mark $1 has a line matching $2.
log_since_has() {
	dmesg | sed -n "/ldd3-test-mark-$$-$1/,\$p" | grep -qE "$2"
}

# Bytes of data device $1 (scullp0) holds, from /proc/scullpmem.
dev_size() {
	sed -n "s/^$1: size \([0-9]*\),.*/\1/p" "/proc/${1%%[0-9]*}mem"
}

dev_quanta() {
	sed -n "s/^$1: .*quanta \([0-9]*\),.*/\1/p" "/proc/${1%%[0-9]*}mem"
}

# Bytes of free memory once the caches are dropped, counting the pages on
# the per-CPU lists: MemAvailable leaves those out, and freeing half of RAM
# at once leaves tens of MiB there on 7.3.
free_bytes() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	awk -v page="$(getconf PAGESIZE)" \
		'$1 == "nr_free_pages" || $1 == "count:" { n += $2 } END { print n * page }' \
		/proc/zoneinfo
}

half=$(($(cat $params/max_bytes 2>/dev/null) / mib))
diag "RAM $((ram / mib)) MiB; max_bytes $half MiB, max_device_bytes $(($(cat $params/max_device_bytes) / mib)) MiB"
check "max_bytes defaults to half of RAM" \
	test "$half" -ge $((ram / mib / 2 - 64)) -a "$half" -le $((ram / mib / 2))
check "max_device_bytes defaults to half of RAM" \
	test "$half" -gt 0 -a "$(cat $params/max_device_bytes)" = "$(cat $params/max_bytes)"

# The debug kernel checks every page the writes allocate, which takes
# minutes for half of its RAM: tests/harness/check-debug lowers max_bytes
# (LDD3_SCULL_MAX_BYTES) for the 3x RAM writes; the path is the same.
default_all=$(cat $params/max_bytes)
if [ -n "${LDD3_SCULL_MAX_BYTES:-}" ]; then
	echo "$LDD3_SCULL_MAX_BYTES" >$params/max_bytes
	diag "max_bytes lowered to $((LDD3_SCULL_MAX_BYTES / mib)) MiB for the 3x RAM writes"
fi
for dev in scullp0 scullv0; do
	mark "$dev-3x"
	before=$(free_bytes)
	out=$(dd if=/dev/zero of=/dev/$dev bs=1M count=$((3 * ram / mib)) 2>&1)
	rc=$?
	size=$(dev_size $dev)
	diag "$dev: dd of 3x RAM: exit $rc, device holds $((size / mib)) MiB"
	check "$dev: writing 3x RAM fails" test $rc != 0
	check "$dev: ... with ENOSPC" grep -q 'No space left on device' <<<"$out"
	check "$dev: ... after max_bytes" \
		test "$size" -le "$(cat $params/max_bytes)" -a "$size" -ge $(($(cat $params/max_bytes) - 2 * mib))
	check_fails "$dev: ... and nothing was OOM-killed" \
		log_since_has "$dev-3x" 'Out of memory|oom-kill|invoked oom-killer'
	check "$dev: the guest still forks" sh -c 'true'
	check "$dev: ... and allocates 64 MiB" \
		dd if=/dev/zero of=/dev/null bs=64M count=1 status=none
	: >/dev/$dev
	check "$dev: emptying it frees every quantum" test "$(dev_quanta $dev)" = 0
	after=$(free_bytes)
	diag "$dev: free memory $((before / mib)) MiB before, $((after / mib)) MiB after"
	check "$dev: ... and gives its pages back (free memory within 32 MiB of before)" \
		test "$after" -ge $((before - 32 * mib))
	# A quantum left counted against max_bytes would stop a fill short of
	# it: a fill to a lower limit must reach that limit exactly.
	echo $((64 * mib)) >$params/max_bytes
	dd if=/dev/zero of=/dev/$dev bs=1M count=128 status=none 2>/dev/null
	check "$dev: ... and uncharges it all: a fill with max_bytes=64M holds 64 MiB" \
		test "$(dev_size $dev)" = $((64 * mib))
	: >/dev/$dev
	echo "${LDD3_SCULL_MAX_BYTES:-$default_all}" >$params/max_bytes
done
echo "$default_all" >$params/max_bytes

# Limits changed at run time.
old_dev=$(cat $params/max_device_bytes) old_all=$(cat $params/max_bytes)
head -c $((16 * mib)) /dev/urandom >/tmp/pattern
echo $((8 * mib)) >$params/max_device_bytes
out=$(dd if=/tmp/pattern of=/dev/scullp0 bs=1M 2>&1)
check "max_device_bytes=8M: a 16 MiB write fails with ENOSPC" \
	grep -q 'No space left on device' <<<"$out"
check "... after 8 MiB" test "$(dev_size scullp0)" = $((8 * mib))
check "... which are intact" cmp -n $((8 * mib)) /tmp/pattern /dev/scullp0
out=$(dd if=/tmp/pattern of=/dev/scullp0 bs=1M seek=8 conv=notrunc 2>&1)
check "... a write at the limit fails with ENOSPC at once" \
	grep -q '0+0 records out' <<<"$out"
echo "$old_dev" >$params/max_device_bytes

echo $((12 * mib)) >$params/max_bytes
out=$(dd if=/tmp/pattern of=/dev/scullv0 bs=1M 2>&1)
check "max_bytes=12M with 8 MiB in scullp0: a write to scullv0 fails with ENOSPC" \
	grep -q 'No space left on device' <<<"$out"
check "... after the 4 MiB left" test "$(dev_size scullv0)" = $((4 * mib))
check "... which are intact" cmp -n $((4 * mib)) /tmp/pattern /dev/scullv0
check "... and scullp0 still holds its 8 MiB" \
	cmp -n $((8 * mib)) /tmp/pattern /dev/scullp0
: >/dev/scullp0
check "emptying scullp0 makes room in scullv0 again" \
	dd if=/tmp/pattern of=/dev/scullv0 bs=1M count=8 status=none
echo "$old_all" >$params/max_bytes
: >/dev/scullv0
rm -f /tmp/pattern

tap_done
