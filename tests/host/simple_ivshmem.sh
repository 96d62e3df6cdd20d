#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# simple.ko on real device memory: the X-server story of LDD3 15.2 (a
# process mapping device memory) as a test. QEMU gets an ivshmem-plain PCI
# device (1af4:1110) whose shared-memory BAR 2 is backed by a file on the
# host. In the guest this script (run again with --guest) finds BAR 2 in
# sysfs, loads simple with phys_start/phys_size set to it, checks the
# physical-window rules (CAP_SYS_RAWIO, MAP_PRIVATE, no mremap growth; the C
# tests simple_mmap and simple_vma in that mode), and writes a pattern
# through /dev/simpler (first half) and /dev/simplen (second half), uncached
# and then write-combining. Back on the host the backing file must hold
# exactly that pattern.
# Runs with --arch: tests/harness/run --arch arm64 boots the arm64 kernel
# with the device on the virt machine's PCIe bus, in the tree cross-built
# for it (LDD3_ARCH_TREE) and its userland (LDD3_ARCH_ROOT).

cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
size=$((1024 * 1024))
half=$((size / 2))

# write_pattern FILE: write FILE's first half through an mmap of
# /dev/simpler and its second half through an mmap of /dev/simplen.
write_pattern() {
	python3 - "$1" "$half" <<-'EOF'
	import mmap, os, sys
	data = open(sys.argv[1], 'rb').read()
	half = int(sys.argv[2])
	for node, off in (('/dev/simpler', 0), ('/dev/simplen', half)):
	    fd = os.open(node, os.O_RDWR)
	    m = mmap.mmap(fd, half, mmap.MAP_SHARED,
	                  mmap.PROT_READ | mmap.PROT_WRITE, offset=off)
	    m[:] = data[off:off + half]
	    m.close()
	    os.close(fd)
	EOF
}

# The guest half: TAP lines, which the host half relays.
guest() {
	local dir=$1 start end flags dev res wc logs

	logs=$(mktemp -d)	# the guest's /tmp: the host root is read-only

	for dev in /sys/bus/pci/devices/*; do
		if [ "$(cat "$dev/vendor")" = 0x1af4 ] &&
		   [ "$(cat "$dev/device")" = 0x1110 ]; then
			res=$dev/resource
		fi
	done
	if [ -z "${res:-}" ]; then
		not_ok "the guest has an ivshmem-plain device (1af4:1110)"
		tap_done
		return
	fi
	ok "the guest has an ivshmem-plain device (1af4:1110)"
	# sysfs "resource": one "start end flags" line per BAR, BAR 2 third.
	read -r start end flags <<<"$(sed -n 3p "$res")"
	diag "BAR 2: $start-$end flags $flags"
	check "BAR 2 is $size bytes" test $((end - start + 1)) = "$size"

	for wc in 0 1; do
		rmmod simple 2>/dev/null
		check "insmod simple phys_start=$start phys_size=$size phys_wc=$wc" \
			insmod simple.ko phys_start="$start" phys_size="$size" \
			phys_wc="$wc"
		check "the window is claimed in /proc/iomem" \
			grep -q ' : simple$' /proc/iomem
		check_fails "without CAP_SYS_RAWIO, open fails" \
			capsh --drop=cap_sys_rawio -- -c 'exec 3</dev/simpler'
		check "... with EPERM (Operation not permitted)" \
			sh -c "capsh --drop=cap_sys_rawio -- -c 'exec 3</dev/simplen' 2>&1 | grep -q 'Operation not permitted'"
		check "with CAP_SYS_RAWIO, open works" \
			sh -c 'exec 3</dev/simplen'
		if [ "$wc" = 0 ]; then
			for t in simple_mmap simple_vma simple_pfnmap; do
				if tests/bin/$t >"$logs/$t.log" 2>&1; then
					ok "$t passes on device memory"
				else
					sed 's/^/# /' "$logs/$t.log"
					not_ok "$t passes on device memory"
				fi
			done
		fi
		check "write the pattern through mmap of simpler and simplen" \
			write_pattern "$dir/pattern.$wc"
		check "read() of /dev/simpler returns the pattern" \
			cmp /dev/simpler "$dir/pattern.$wc"
		check "read() of /dev/simplen returns the pattern" \
			cmp /dev/simplen "$dir/pattern.$wc"
	done
	check "rmmod simple" rmmod simple
	check_fails "the window is released" grep -q ' : simple$' /proc/iomem
	tap_done
}

if [ "${1:-}" = --guest ]; then
	guest "$2"
	exit
fi

# The host half. The guest sees the tree (with --root, nothing else of
# the host): the patterns go under its tests/out.
vm=$PWD/tests/harness/vm
vm_args=(${LDD3_KERNEL:+--kernel "$LDD3_KERNEL"})
if [ -n "${LDD3_ARCH_TREE:-}" ]; then
	cd "$LDD3_ARCH_TREE" || exit 1
	export LDD3_ROOT=$PWD
	vm_args+=(--root "$LDD3_ARCH_ROOT")
fi
mkdir -p tests/out || exit 1
dir=$(mktemp -d "$PWD/tests/out/simple_ivshmem.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir"
truncate -s "$size" "$dir/shm"
head -c "$size" /dev/urandom >"$dir/pattern.0"
head -c "$size" /dev/urandom >"$dir/pattern.1"

"$vm" "${vm_args[@]}" --timeout 600 \
	--qemu-arg -object \
	--qemu-arg "memory-backend-file,id=hm,share=on,mem-path=$dir/shm,size=$size" \
	--qemu-arg -device --qemu-arg ivshmem-plain,memdev=hm \
	-- bash tests/host/simple_ivshmem.sh --guest "$dir" >"$dir/guest.log" 2>&1
rc=$?
tap_relay guest "$dir/guest.log"
check "the VM ran the guest half with a clean kernel log (tests/harness/vm: $rc)" \
	test "$rc" = 0
check "the host file backing BAR 2 holds exactly the last pattern" \
	cmp "$dir/shm" "$dir/pattern.1"
tap_done
