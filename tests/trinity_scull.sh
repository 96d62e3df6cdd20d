#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Debian's trinity against /dev/scullp0 and /dev/scullv0 only (never a node
# that maps memory the driver does not own): LDD3_TRINITY_OPS random calls
# with seed LDD3_TRINITY_SEED, made by 4 children. The calls are the ones
# that reach the drivers: mmap, mremap, munmap, mprotect, madvise, msync,
# read/write and their vector and positional forms, lseek, ioctl. Only
# trinity's file provider is on (it is named "pseudo"; given -V it opens
# the victim directory and the nodes in it, nothing else), so its fds are
# the two scull nodes and that directory. The test checks that trinity
# opened the nodes and that its calls changed what they hold: a run that
# never reaches the drivers fails. Afterwards no VMA is left and
# (tests/harness/run-guest) every module
# unloads and kmemleak finds nothing; tests/harness/vm fails the run on any kernel
# report. Run by tests/harness/fuzz (make fuzz) on the debug kernel; in the suite,
# without LDD3_TRINITY_OPS, it is skipped and says so.

. "$LDD3_ROOT/tests/lib/tap.sh"

if [ -z "${LDD3_TRINITY_OPS:-}" ]; then
	ok "trinity on scullp0 and scullv0 # SKIP make fuzz runs it (LDD3_TRINITY_OPS unset)"
	tap_done
	exit
fi
ops=$LDD3_TRINITY_OPS
seed=${LDD3_TRINITY_SEED:-1}
calls=(mmap mremap munmap mprotect madvise msync read write readv writev
       pread64 pwrite64 preadv pwritev lseek ioctl)

# trinity takes one victim path: a directory holding the two nodes.
victims=$(mktemp -d)
trap 'rm -rf "$victims"' EXIT
for n in scullp0 scullv0; do
	mknod "$victims/$n" c "$((0x$(stat -c %t "/dev/$n")))" \
		"$((0x$(stat -c %T "/dev/$n")))"
done
# Some data to map; trinity's own writes and truncating opens follow.
head -c 1048576 /dev/urandom >/dev/scullp0
head -c 1048576 /dev/urandom >/dev/scullv0
# What the nodes hold: their sizes and their first MiB (a write at a huge
# offset makes a node huge and sparse: never read it whole).
contents() {
	grep -E '^scull[pv]0:' /proc/scullpmem /proc/scullvmem
	head -c 1048576 /dev/scullp0 | sha256sum
	head -c 1048576 /dev/scullv0 | sha256sum
}
before=$(contents)

args=(--dangerous -q -l off -N "$ops" -s "$seed" -C 4 -V "$victims"
      --enable-fds=pseudo)
for c in "${calls[@]}"; do
	args+=(-c "$c")
done
diag "trinity ${args[*]}"
(cd "$victims" && trinity "${args[@]}") >/tmp/trinity.log 2>&1
rc=$?
tail -n 15 /tmp/trinity.log | sed 's/^/# /'
check "trinity made $ops calls (exit $rc)" test $rc = 0
check "trinity opened the nodes in $victims" \
	grep -qE "Added [1-9][0-9]* filenames from $victims" /tmp/trinity.log
after=$(contents)
check "trinity's calls changed what scullp0 and scullv0 hold" \
	test "$before" != "$after"
check "trinity's children have exited" \
	sh -c '! pgrep -x trinity-c[0-9]* >/dev/null && ! pgrep -x trinity >/dev/null'
diag "$(grep -E '^scull.0' /proc/scullpmem /proc/scullvmem)"
check "no VMA is left after trinity" \
	sh -c "! grep -q 'vmas [1-9]' /proc/scullpmem /proc/scullvmem"
tap_done
