#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The book's load scripts, simple_load, scullp_load, scullv_load and their
# _unload, on both kinds of /dev: the guest's devtmpfs, where the kernel
# makes and removes the nodes, and a static /dev (a tmpfs over /dev, as on a
# machine without devtmpfs or udev), where the scripts must mknod them from
# /proc/devices with the driver's mode or the one asked for, make the
# /dev/scullp and /dev/scullv links, replace a stale node and remove them
# all at unload. The test runs in a private mount namespace so that its
# tmpfs /dev is nobody else's.

if [ "${1:-}" != --private ]; then
	exec unshare --mount --propagation private bash "$0" --private
fi
. "$LDD3_ROOT/tests/lib/tap.sh"
cd "$LDD3_ROOT" || exit 1

# The runner loaded the default modules: the scripts load their own.
for m in scullv scullp scull_core simple; do
	[ ! -d "/sys/module/$m" ] || rmmod "$m"
done

major() {
	awk -v m="$1" '$2 == m { print $1 }' /proc/devices
}

# node_is NODE MODULE MINOR OWNER:GROUP MODE: NODE is a character device
# with MODULE's major and that minor, owner, group and mode.
node_is() {
	[ -c "$1" ] &&
	[ "$(stat -c '%t:%T %U:%G %a' "$1")" = \
	  "$(printf '%x:%x' "$(major "$2")" "$3") $4 $5" ]
}

# gone NODE...: none of the NODEs exists, not even as a dangling link.
gone() {
	local n
	for n in "$@"; do
		[ ! -e "$n" ] && [ ! -L "$n" ] || return 1
	done
}

loaded() {
	[ -d "/sys/module/$1" ]
}

# reads_back WRITE_NODE READ_NODE: bytes written through one node read back
# through the other: both reach the same device of the driver.
reads_back() {
	echo book >"$1" && [ "$(head -c 4 "$2")" = book ]
}

# run_scripts WHERE: the scripts' whole life cycle; WHERE names the /dev.
run_scripts() {
	local where=$1 stat=root:root mode=600

	check "$where: simple_load" scripts/simple_load
	check "$where: /dev/simpler is minor 0 of simple's major, $stat $mode" \
		node_is /dev/simpler simple 0 "$stat" "$mode"
	check "$where: /dev/simplen is minor 1 of simple's major, $stat $mode" \
		node_is /dev/simplen simple 1 "$stat" "$mode"
	check "$where: what simplen writes, simpler reads" \
		reads_back /dev/simplen /dev/simpler
	check "$where: simple_unload" scripts/simple_unload
	check_fails "$where: simple is unloaded" loaded simple
	check "$where: /dev/simpler and /dev/simplen are gone" \
		gone /dev/simpler /dev/simplen

	check "$where: scullp_load scullp_devs=2" scripts/scullp_load scullp_devs=2
	check "$where: scull_core is loaded with scullp" loaded scull_core
	check "$where: /dev/scullp0 is minor 0 of scullp's major, $stat $mode" \
		node_is /dev/scullp0 scullp 0 "$stat" "$mode"
	check "$where: /dev/scullp1 is minor 1 of scullp's major" \
		node_is /dev/scullp1 scullp 1 "$stat" "$mode"
	check "$where: no /dev/scullp2 with scullp_devs=2" gone /dev/scullp2
	check "$where: /dev/scullp -> scullp0" \
		test "$(readlink /dev/scullp)" = scullp0
	check "$where: what /dev/scullp writes, /dev/scullp0 reads" \
		reads_back /dev/scullp /dev/scullp0

	# The book's group and mode, asked for.
	SCULL_GROUP=staff SCULL_MODE=664 check \
		"$where: SCULL_GROUP=staff SCULL_MODE=664 scullv_load" scripts/scullv_load
	for i in 0 3; do
		check "$where: /dev/scullv$i is minor $i of scullv's major, root:staff 664" \
			node_is "/dev/scullv$i" scullv "$i" root:staff 664
	done
	check "$where: /dev/scullv -> scullv0" \
		test "$(readlink /dev/scullv)" = scullv0

	check "$where: scullp_unload" scripts/scullp_unload
	check "$where: /dev/scullp and its nodes are gone" \
		gone /dev/scullp /dev/scullp0 /dev/scullp1
	check "$where: scull_core stays for scullv" loaded scull_core
	check "$where: scullv_unload" scripts/scullv_unload
	check "$where: /dev/scullv and its nodes are gone" \
		gone /dev/scullv /dev/scullv0 /dev/scullv3
	check_fails "$where: scull_core went with its last user" \
		loaded scull_core
}

# dev_is FSTYPE: the file system on top of /dev (the last of the mounts
# there in mountinfo, whose type follows " - ") is FSTYPE.
dev_is() {
	[ "$(awk '$5 == "/dev" { split($0, a, " - "); split(a[2], f, " ");
		t = f[1] } END { print t }' /proc/self/mountinfo)" = "$1" ]
}

check "/dev is devtmpfs" dev_is devtmpfs
run_scripts devtmpfs

# A static /dev, with only what a shell needs: the kernel still makes its
# nodes, in devtmpfs, where no one looks.
mount -t tmpfs -o mode=755 static-dev /dev
mknod -m 666 /dev/null c 1 3
check "/dev is now a plain tmpfs" dev_is tmpfs
# A stale node, with another device's numbers (/dev/null's), must go.
mknod -m 666 /dev/scullp0 c 1 3
run_scripts "static /dev"
SIMPLE_GROUP=staff SIMPLE_MODE=664 check \
	"static /dev: SIMPLE_GROUP=staff SIMPLE_MODE=664 simple_load" scripts/simple_load
check "static /dev: /dev/simplen is root:staff 664" \
	node_is /dev/simplen simple 1 root:staff 664
check "static /dev: simple_unload" scripts/simple_unload
tap_done
