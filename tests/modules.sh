#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Module life cycle: the runner has loaded simple, scull_core, scullp,
# scullv and skel. Their nodes exist with the intended modes, the modules unload
# cleanly, the nodes go with them, and they load again.

. "$LDD3_ROOT/tests/lib/tap.sh"
cd "$LDD3_ROOT" || exit 1

# node MODE: a root-owned character device with exactly that mode.
node_is() {
	[ -c "$1" ] && [ "$(stat -c '%U %a' "$1")" = "root $2" ]
}

for m in simple scull_core scullp scullv skel; do
	check "$m is loaded" test -d "/sys/module/$m"
done
for n in simpler simplen; do
	check "/dev/$n exists, root-only (0600): it exposes physical memory" \
		node_is "/dev/$n" 600
done
for i in 0 1 2 3; do
	for d in scullp scullv; do
		check "/dev/$d$i exists with mode 0600" node_is "/dev/$d$i" 600
	done
done
check "/dev/skel exists, root-only (0600): it exposes DMA memory" \
	node_is /dev/skel 600

for m in skel scullv scullp scull_core simple; do
	check "rmmod $m succeeds" rmmod "$m"
done
check_fails "no module is left" grep -qE '^(simple|scull_core|scullp|scullv|skel) ' /proc/modules
check_fails "the nodes are gone" ls /dev/simpler /dev/simplen /dev/scullp0 /dev/scullv0 /dev/skel
check_fails "scullp cannot load without scull_core" insmod scullp.ko
for m in simple scull_core scullp scullv skel; do
	check "insmod $m succeeds again" insmod "$m.ko"
done
check "the nodes are back" ls /dev/simpler /dev/simplen /dev/scullp3 /dev/scullv3 /dev/skel
tap_done
