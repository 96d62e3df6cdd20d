#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The harness must never report a pass it did not see: a guest command's
# exit status reaches the host, and a kernel warning, a reported BUG or a
# hung guest fail the run even when the command itself succeeded.

cd "$(dirname "$0")/../.."
. tests/lib/tap.sh
kernel=${LDD3_KERNEL:+--kernel $LDD3_KERNEL}
kdir=${LDD3_KDIR:?tests/harness/run sets LDD3_KDIR}

vm() {
	# shellcheck disable=SC2086
	tests/harness/vm --quiet $kernel "$@" 2>"$err"
}
err=$(mktemp)

vm -- true
check "a guest command that succeeds passes" test $? = 0
vm -- sh -c 'exit 7'
check "a guest command's exit status reaches the host" test $? = 7

make -s -C "$kdir" M="$PWD/tests/host/crash_test" modules >/dev/null 2>&1 ||
	not_ok "crash_test.ko builds"
vm -- insmod tests/host/crash_test/crash_test.ko warn=1
rc=$?
check "a kernel WARNING in the guest fails the run" test "$rc" = 125
check "the failure shows the warning" grep -q 'WARNING:' "$err"
vm -- insmod tests/host/crash_test/crash_test.ko warn=0
check "the same module without the warning passes" test $? = 0

vm -- sh -c 'echo "BUG: injected report for the harness self-test" >/dev/kmsg'
check "a BUG line in the kernel log fails a run whose command succeeded" \
	test $? = 125

vm --timeout 30 -- sleep 600
rc=$?
check "a guest that hangs fails the run" test "$rc" = 125
check "the failure says the guest did not finish" grep -q 'did not finish' "$err"

make -s -C "$kdir" M="$PWD/tests/host/crash_test" clean >/dev/null 2>&1
rm -f "$err"
tap_done
