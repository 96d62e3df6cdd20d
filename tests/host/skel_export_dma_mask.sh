#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# An importer whose DMA mask stops below a skel buffer cannot attach to its
# dma-buf (EINVAL), and nothing else happens: no DMA API warning, no bounce
# buffer, nothing left behind. One whose mask reaches it attaches. The
# importer is tests/host/dmabuf_importer, a test module (no importer Debian
# ships has a mask below 4 GiB), built against the test kernel.

cd "$(dirname "$0")/../.."
. tests/lib/tap.sh
kernel=${LDD3_KERNEL:+--kernel $LDD3_KERNEL}
kdir=${LDD3_KDIR:?tests/harness/run sets LDD3_KDIR}
src=tests/host/dmabuf_importer
# Built in a copy with the compat header beside it: another suite's kernel
# builds in a chroot that sees only the module's own directory.
dir=tests/out/dmabuf_importer
out=$(mktemp)
rm -rf "$dir"
mkdir -p "$dir"
cp "$src/Kbuild" "$src/dmabuf_importer.c" include/kernel_compat.h "$dir/"

make -s -C "$kdir" M="$PWD/$dir" W=1 modules >"$out" 2>&1
rc=$?
[ "$rc" = 0 ] || sed 's/^/# /' "$out" | head -20
check "dmabuf_importer.ko builds" test "$rc" = 0
check_fails "dmabuf_importer.ko builds without a warning" grep -q 'warning:' "$out"
cc -Wall -Wextra -Werror -D_GNU_SOURCE -I include -I tests/include \
	-o "$dir/attach_probe" "$src/attach_probe.c"
check "attach_probe builds" test $? = 0

# attach BITS WANT: boot, load skel and the importer with a BITS-bit mask,
# attach; the probe must print WANT and leave nothing, in a clean kernel log.
attach() {
	# shellcheck disable=SC2086
	tests/harness/vm $kernel -- sh -c \
		"insmod skel.ko && insmod $dir/dmabuf_importer.ko dma_bits=$1 && $dir/attach_probe" \
		>"$out" 2>&1
	check "a $1-bit importer: the guest ends with status 0 and a clean kernel log" \
		test $? = 0
	sed 's/^/# /' "$out" | head -20
	check "a $1-bit importer: attach gives $2" grep -qxF "attach: $2" "$out"
	check "a $1-bit importer: no buffer or dma-buf is left" \
		grep -qxF "left: 0 buffers, 0 exports" "$out"
}
# 12 bits reach the first page only, which no kernel gives out.
attach 12 "Invalid argument"
attach 32 0

rm -rf "$dir" "$out"
tap_done
