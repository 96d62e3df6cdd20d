#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Debian's gdb reads and writes a running process's mappings of the
# devices, VM_PFNMAP ones (/dev/simpler, /dev/skel) included: attached with
# -p, "x/8xb ADDR" prints the bytes the mapping holds, and a "set" on a
# shared writable mapping changes them (the process sees it), while on a
# read-only mapping gdb says it cannot access the memory and nothing
# changes. The target is python3: it maps 4 KiB of the node, prints the
# mapping's address and first 8 bytes, and prints them again when told.
# Where the core never asks vm_ops->access (no CONFIG_HAVE_IOREMAP_PROT:
# Debian's 5.10 arm64 kernel; tests/debugger_access.c), gdb cannot reach
# a VM_PFNMAP mapping at all: it says so and changes nothing.

. "$LDD3_ROOT/tests/lib/tap.sh"

# On the debug kernel (tests/harness/check-debug sets LDD3_DEBUG_KERNEL)
# the 10 gdb attaches take minutes; tests/debugger_access.c exercises the same
# ->access paths there.
if [ -n "${LDD3_DEBUG_KERNEL:-}" ]; then
	ok "gdb on every kind of mapping # SKIP the debug kernel: its 10 gdb attaches took 486 s there (measured beside two other VMs); debugger_access covers ->access"
	tap_done
	exit
fi

target_py='
import fcntl, mmap, os, struct, sys
node, prot = sys.argv[1:3]
fd = os.open(node, os.O_RDWR)
off = 0
if node == "/dev/skel":
    # SKEL_IOCALLOC of one page: struct skel_alloc is size, flags, id, offset.
    a = bytearray(struct.pack("QIIQ", 4096, 0, 0, 0))
    fcntl.ioctl(fd, 0xC0186B40, a)
    off = struct.unpack("QIIQ", a)[3]
else:
    os.pwrite(fd, bytes(range(0xa0, 0xa8)), 0)
m = mmap.mmap(fd, 4096, mmap.MAP_SHARED,
              mmap.PROT_READ | (mmap.PROT_WRITE if prot == "rw" else 0),
              offset=off)
if prot == "rw":
    m[0:8] = bytes(range(0xb0, 0xb8))
addr = next(l.split("-")[0] for l in open("/proc/self/maps") if node in l)
print(addr, m[0:8].hex(), flush=True)
sys.stdin.readline()
print(m[0:8].hex(), flush=True)
sys.stdin.readline()
'

gdb_at() {
	local pid=$1
	shift
	timeout 120 gdb -nx -batch -iex 'set debuginfod enabled off' \
		-p "$pid" "$@" 2>&1
}

# The 8 bytes gdb's "x/8xb 0x$1" printed, as one hex string.
gdb_bytes() {
	sed -n "s/^0x0*$1:\s*//p" | tr -d ' \t' | sed 's/0x//g'
}

reach_pfnmap=1
if [ ! -r "${LDD3_KCONFIG:-}" ]; then
	not_ok "the kernel's config is readable (LDD3_KCONFIG)"
elif ! grep -q '^CONFIG_HAVE_IOREMAP_PROT=y' "$LDD3_KCONFIG"; then
	reach_pfnmap=0
	diag "no CONFIG_HAVE_IOREMAP_PROT: /dev/simpler and /dev/skel are out of gdb's reach"
fi

for case in /dev/simpler:rw /dev/simpler:r /dev/skel:rw /dev/skel:r /dev/scullp0:rw; do
	node=${case%:*} prot=${case#*:}
	coproc TARGET { exec python3 -c "$target_py" "$node" "$prot"; }
	read -r -t 60 addr bytes <&"${TARGET[0]}"
	if [ -z "${addr:-}" ]; then
		not_ok "$node ($prot): the target maps it"
		continue
	fi
	reach=$reach_pfnmap
	[ "$node" != /dev/scullp0 ] || reach=1
	out=$(gdb_at "$TARGET_PID" -ex "x/8xb 0x$addr")
	got=$(gdb_bytes "$addr" <<<"$out")
	if [ "$reach" = 1 ]; then
		check "$node ($prot): gdb -p reads the 8 bytes the mapping holds" \
			test "$got" = "$bytes"
	else
		check "$node ($prot): gdb -p cannot read it (no ->access fallback)" \
			grep -q 'Cannot access memory' <<<"$out"
	fi
	[ "$got" = "$bytes" ] || [ "$reach" = 0 ] ||
		diag "the mapping at $addr holds $bytes; gdb said: $(tail -n 3 <<<"$out")"
	out=$(gdb_at "$TARGET_PID" -ex "set {unsigned char}0x$addr = 0x5a")
	echo >&"${TARGET[1]}"
	read -r -t 60 after <&"${TARGET[0]}"
	if [ "$prot" = rw ] && [ "$reach" = 1 ]; then
		check "$node ($prot): a set through gdb changes the mapping" \
			test "${after:-}" = "5a${bytes:2}"
	else
		check "$node ($prot): a set through gdb is refused" \
			grep -q 'Cannot access memory' <<<"$out"
		check "$node ($prot): ... and the mapping is unchanged" \
			test "${after:-}" = "$bytes"
	fi
	echo >&"${TARGET[1]}"
	wait "$TARGET_PID"
done
tap_done
