#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Third-party clients of the scull devices: Python's mmap module, fio's
# mmap engine with crc32c verification, the book's mapper session; rmmod is
# refused while a device is mapped; the load/unload scripts.

. "$LDD3_ROOT/tests/lib/tap.sh"
cd "$LDD3_ROOT" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- Python mmap ----------------------------------------------------------
for dev in scullp0 scullv0; do
	check "python mmap: $dev round trip (write, map, modify, flush, read)" \
		python3 - "/dev/$dev" <<'PY'
import mmap, os, sys
path = sys.argv[1]
size = 3 * 65536 + 1000
data = bytes((i * 7 + i // 4096) & 0xff for i in range(size))
with open(path, "wb") as f:          # write-only open: truncates
    f.write(data)
fd = os.open(path, os.O_RDWR)
m = mmap.mmap(fd, size)
assert m[:] == data, "mapping differs from what was written"
m[100:105] = b"PYTHON"[:5]
m[size - 5:] = b"tail!"
m.flush()                            # msync(MS_SYNC)
with open(path, "rb") as f:
    back = f.read()
assert back[100:105] == b"PYTHO" and back[-5:] == b"tail!", back[-5:]
m.close()
os.close(fd)
PY
	# A second mapping past the end: SIGBUS kills the interpreter.
	python3 -c '
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
m = mmap.mmap(fd, 4 * 65536 + 4096)
m[4 * 65536 + 10]
' "/dev/$dev" 2>/dev/null
	check "python mmap: reading past the end of $dev dies of SIGBUS" \
		test $? = $((128 + 7))
done

# --- fio, mmap engine, crc32c verification ---------------------------------
for dev in scullp0 scullv0; do
	# Pre-fill: the mmap engine needs the device to have its size.
	check "fio: pre-fill $dev with 8 MiB" \
		dd if=/dev/zero of="/dev/$dev" bs=1M count=8 status=none
	# (--verify_state_save=0: the working directory is read-only)
	job=(--name=scull --filename="/dev/$dev" --ioengine=mmap --size=8M
	     --bs=64k --rw=randwrite --verify=crc32c --randrepeat=1
	     --verify_fatal=1 --verify_state_save=0 --output="$tmp/fio.out")
	diag "$(date +%T) fio on $dev"
	if fio "${job[@]}" --do_verify=1; then
		ok "fio: mmap randwrite + crc32c verify on $dev"
	else
		sed 's/^/# /' "$tmp/fio.out"
		not_ok "fio: mmap randwrite + crc32c verify on $dev"
	fi
	diag "$(date +%T) fio verify_only on $dev"
	if fio "${job[@]}" --verify_only; then
		ok "fio: a second run verifies the data it left in $dev"
	else
		sed 's/^/# /' "$tmp/fio.out"
		not_ok "fio: a second run verifies the data it left in $dev"
	fi
	diag "$(date +%T) overwrite $dev"
	dd if=/dev/zero of="/dev/$dev" bs=1M count=8 status=none
	diag "$(date +%T) fio verify_only on overwritten $dev"
	check_fails "fio: verification fails once $dev is overwritten" \
		fio "${job[@]}" --verify_only
	dd if=/dev/null of="/dev/$dev" status=none
done

diag "$(date +%T) fio done"

# --- the book's mapper session (15.2.6.1) ----------------------------------
if command -v mapper >/dev/null; then
	ls -l /dev >/dev/scullp0
	mapper /dev/scullp0 0 140 >"$tmp/mapped" 2>/dev/null
	head -c 140 /dev/scullp0 >"$tmp/read"
	check "mapper /dev/scullp0 0 140 shows what was written" \
		cmp "$tmp/mapped" "$tmp/read"
	dd if=/dev/null of=/dev/scullp0 status=none
else
	not_ok "mapper is in PATH"
fi

# --- rmmod while mapped ---------------------------------------------------
for mod in scullp scullv; do
	mkfifo "$tmp/ready.$mod" "$tmp/go.$mod"
	echo data >"/dev/${mod}1"
	python3 -c '
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
m = mmap.mmap(fd, 4096)
os.close(fd)                       # only the mapping pins the module now
open(sys.argv[2], "w").write("x")
open(sys.argv[3]).read()
m.close()
' "/dev/${mod}1" "$tmp/ready.$mod" "$tmp/go.$mod" &
	pid=$!
	cat "$tmp/ready.$mod" >/dev/null
	check_fails "rmmod $mod is refused while /dev/${mod}1 is mapped" \
		rmmod "$mod"
	check "$mod is still loaded" test -d "/sys/module/$mod"
	echo go >"$tmp/go.$mod"
	wait "$pid"
	check "rmmod $mod succeeds once the mapping is gone" rmmod "$mod"
	check "/dev/${mod}0 is gone after rmmod" test ! -e "/dev/${mod}0"
done

# --- load and unload scripts ----------------------------------------------
for mod in scullp scullv; do
	check "${mod}_load ${mod}_order=2 loads the module" \
		scripts/"${mod}_load" "${mod}_order=2"
	check "/dev/${mod}0 has mode 0600" \
		test "$(stat -c %a "/dev/${mod}0")" = 600
	check "/dev/${mod}3 exists" test -c "/dev/${mod}3"
	check "/dev/$mod points at ${mod}0" \
		test "$(readlink "/dev/$mod")" = "${mod}0"
	check "the parameter reached the devices" \
		grep -q "^${mod}1: .* order 2," "/proc/${mod}mem"
	check "${mod}_unload removes the module and the link" \
		bash -c "scripts/${mod}_unload && [ ! -e /dev/$mod ] && [ ! -d /sys/module/$mod ]"
done
check "scull_core is unloaded with the last of them" test ! -d /sys/module/scull_core
check "the modules load again with their defaults" \
	bash -c 'scripts/scullp_load && scripts/scullv_load'
rm -f /dev/scullp /dev/scullv
tap_done
