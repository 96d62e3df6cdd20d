#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The modules on arm64: Debian's arm64 kernels of the test kernel's suite
# (arm64, and arm64-16k where the suite has it) boot under
# qemu-system-aarch64 -M virt (tests/harness/vm), load the cross-built
# modules, map each device with mapper and read back what was written
# through write(), run skelbuf (dma_mmap_coherent: what the device writes
# the program reads, and the reverse), refuse SKEL_ALLOC_REMAP_PFN with
# EOPNOTSUPP (skel's device is not DMA-coherent there, so its coherent
# buffers are an uncached remap outside the linear map), and unload, with
# a clean kernel log, report skel's device as not DMA-coherent and pass
# tests/skel_cached.c (cached buffers, whose sync calls do cache
# maintenance there). The guest's userland is the initramfs's arm64
# busybox; mapper, skelbuf and skel_cached are linked statically for it.

cd "$(dirname "$0")/../.." || exit 1
. tests/lib/arm64.sh

# The guest's job, in busybox sh: TAP lines "ok N what" / "not ok N what".
# $1: the page size the kernel must use, in kB; then the modules in load
# order.
guest='
kb=$1
shift
n=0
t() {
	what=$1
	shift
	n=$((n + 1))
	if "$@"; then echo "ok $n $what"; else echo "not ok $n $what"; fi
}
t "the page size is $kb KiB" grep -q "^KernelPageSize: *$kb kB" /proc/self/smaps
for m in "$@"; do
	t "insmod $m.ko" insmod "$m.ko"
done
head -c 65536 /dev/urandom >/pattern
# node: write the pattern with write(), read it back through mmap.
for node in simpler simplen scullp0 scullv0; do
	dd if=/pattern of=/dev/$node bs=65536 count=1 2>/dev/null
	misc-progs/mapper /dev/$node 0 65536 >/mapped 2>/dev/null
	t "/dev/$node: mmap reads what write() wrote" cmp -s /pattern /mapped
done
t "skelbuf 65536: the device and the program see each other'"'"'s writes" \
	misc-progs/skelbuf 65536
misc-progs/skelbuf --remap-pfn 65536 >/remap 2>&1
t "skelbuf --remap-pfn is refused with EOPNOTSUPP" \
	grep -q "SKEL_IOCALLOC.*: Operation not supported$" /remap
cat /remap
t "skel reports its device as not DMA-coherent" \
	grep -qx 0 /sys/class/misc/skel/dma_coherent
tests/bin/skel_cached >/cached 2>&1
t "skel_cached: cached buffers change owners by SKEL_IOCSYNC" test $? = 0
sed "s/^/# /" /cached
for m in $(echo "$@" | tr " " "\n" | tac); do
	t "rmmod $m" rmmod "$m"
done
'

# arm64_load VER: build for arm64 kernel VER, boot it, run the job.
arm64_load() {
	local ver=$1 kdir dir=tests/out/arm64/$1 out kb=4 modules

	[ "${ver%-16k}" = "$ver" ] || kb=16
	if ! kdir=$(arm64_kdir "$suite" "$ver" 2>"$log") ||
	   ! arm64_build_modules "$kdir" "$dir" "$log" ||
	   ! arm64_build_progs "$dir" "$log" skel_cached; then
		sed 's/^/# /' "$log" | tail -n 20
		not_ok "$ver: the modules and programs cross-build"
		return
	fi
	out=$dir/guest.tap
	modules=$(kbuild_modules Kbuild)
	# shellcheck disable=SC2086
	(cd "$dir" && "$OLDPWD/tests/harness/vm" --kernel "$ver" -- \
		sh -c "$guest" sh "$kb" $modules) >"$out" 2>"$log"
	check "$ver: the guest ends with status 0 and a clean kernel log" \
		test $? = 0
	sed 's/^/# /' "$log" | head -n 40
	tap_relay "$ver" "$out"
	grep -q "^ok .*rmmod skel" "$out" ||
		not_ok "$ver: the job ran to its end"
}

each_arm64_kernel arm64_load
tap_done
