#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# simple's RAM buffer is zero before anyone can see it, even when the kernel
# does not zero allocations itself: boot with init_on_alloc=0, fill a 64 MiB
# buffer with 0xff, unload (its pages go back, dirty, to the allocator),
# load again and read the new buffer through read() (/dev/simpler) and
# through a mapping (mapper on /dev/simplen).

cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
kernel=${LDD3_KERNEL:+--kernel $LDD3_KERNEL}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# shellcheck disable=SC2016
guest='
set -e
grep -qw init_on_alloc=0 /proc/cmdline
size=$((64 * 1024 * 1024))
insmod simple.ko size=$size
head -c $size /dev/zero | tr "\0" "\377" >/dev/simpler
if cmp -s -n $size /dev/simplen /dev/zero; then
	echo "the 0xff fill did not reach the buffer"
	exit 1
fi
rmmod simple
insmod simple.ko size=$size
echo "read() of the new buffer:"
cmp -n $size /dev/simpler /dev/zero
echo "a mapping of the new buffer:"
mapper /dev/simplen 0 $size 2>/dev/null | cmp -n $size - /dev/zero
rmmod simple
'
# shellcheck disable=SC2086
if tests/harness/vm $kernel --append init_on_alloc=0 -- bash -c "$guest" \
	>"$out" 2>&1; then
	ok "with init_on_alloc=0, a new simple buffer reads as zeros (read and mmap)"
else
	sed 's/^/# /' "$out"
	not_ok "with init_on_alloc=0, a new simple buffer reads as zeros (read and mmap)"
fi
tap_done
