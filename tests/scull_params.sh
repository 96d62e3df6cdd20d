#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Module parameters out of range at insmod: scullp and scullv refuse to
# load with EINVAL, say why in one log line, and leave nothing behind (no
# major number in /proc/devices, no class, no /proc file, no node); they
# load again with their defaults. tests/harness/check-debug's kmemleak scan
# covers memory.

. "$LDD3_ROOT/tests/lib/tap.sh"
cd "$LDD3_ROOT" || exit 1

mark() {
	echo "ldd3-test-mark-$$-$1" >/dev/kmsg
}

# The kernel log since mark $1 has a line matching $2.
log_since_has() {
	dmesg | sed -n "/ldd3-test-mark-$$-$1/,\$p" | grep -qE "$2"
}

left_behind() {
	grep -qw "$1" /proc/devices || [ -e "/sys/class/$1" ] ||
		[ -e "/proc/${1}mem" ] || [ -e "/dev/${1}0" ]
}

rmmod scullv scullp 2>/dev/null
n=0
for m in scullp scullv; do
	for p in devs=0 devs=65 order=-1 order=10 qset=0 qset=65537 major=-1; do
		n=$((n + 1))
		mark $n
		out=$(insmod $m.ko "${m}_$p" 2>&1)
		rc=$?
		check "insmod $m ${m}_$p is refused" test $rc != 0
		check "... with EINVAL (Invalid parameters)" \
			grep -q 'Invalid parameters' <<<"$out"
		check "... and the log says what the limits are" \
			log_since_has $n "$m: devs must be 1\.\.64, order 0\.\.9, qset 1\.\.65536, major >= 0"
		check_fails "... and leaves nothing behind" left_behind $m
	done
	check "$m loads again with its defaults" insmod $m.ko
done
tap_done
