# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# What simple_load, scullp_load, scullv_load and their _unload scripts
# share: the device nodes, on machines with or without devtmpfs and udev.
#
# Where /dev is devtmpfs (the kernel's own /dev, which udev needs) the
# kernel creates a driver's nodes, mode 0600 owner root as the drivers ask,
# and removes them at unload. On a static /dev, as in the book's days, the
# scripts do it as the book's did: the major number from /proc/devices,
# mknod, and rm at unload; with the same mode 0600 owner root, so that a
# node is the same whoever made it. A group and mode given to the load
# script apply to the nodes either way (the book's: staff or wheel, 664).

# The top of the tree, where the modules are built (the scripts are in
# its scripts/ folder).
ldd3_dir=$(dirname "$0")/..

# ldd3_nodes MODULE GROUP MODE NODE...: make /dev/NODE a character device
# of MODULE's major and of minor 0 for the first NODE, 1 for the next...,
# unless the kernel (or udev) made it so already; a node with other numbers
# (stale, from an earlier load) is replaced. Then chgrp GROUP and chmod MODE
# unless they are empty.
ldd3_nodes() {
	ldd3_module=$1 ldd3_group=$2 ldd3_mode=$3
	shift 3
	# Under udev, let it finish with the new devices first.
	if command -v udevadm >/dev/null 2>&1; then
		udevadm settle 2>/dev/null || true
	fi
	ldd3_major=$(awk -v m="$ldd3_module" '$2 == m { print $1 }' /proc/devices)
	if [ -z "$ldd3_major" ]; then
		echo "$0: no major number for $ldd3_module in /proc/devices" >&2
		return 1
	fi
	ldd3_minor=0
	for ldd3_node in "$@"; do
		ldd3_node=/dev/$ldd3_node
		if [ ! -c "$ldd3_node" ] || [ "$(stat -L -c '%t %T' "$ldd3_node")" != \
		     "$(printf '%x %x' "$ldd3_major" "$ldd3_minor")" ]; then
			rm -f "$ldd3_node"
			mknod -m 600 "$ldd3_node" c "$ldd3_major" "$ldd3_minor" ||
				return 1
		fi
		if [ -n "$ldd3_group" ]; then
			chgrp "$ldd3_group" "$ldd3_node" || return 1
		fi
		if [ -n "$ldd3_mode" ]; then
			chmod "$ldd3_mode" "$ldd3_node" || return 1
		fi
		ldd3_minor=$((ldd3_minor + 1))
	done
}

# ldd3_nodes_remove NODE...: after rmmod, remove what is left of /dev/NODE
# (nothing on devtmpfs; the script's own nodes and links on a static /dev).
ldd3_nodes_remove() {
	for ldd3_node in "$@"; do
		if [ -c "/dev/$ldd3_node" ] || [ -L "/dev/$ldd3_node" ]; then
			rm -f "/dev/$ldd3_node"
		fi
	done
}

# ldd3_insmod MODULE [PARAM=VALUE...]: load MODULE.ko from the top of the
# tree; where the scripts are installed without the modules beside them
# (the Debian package), the installed module, with modprobe.
ldd3_insmod() {
	ldd3_ko=$1
	shift
	if [ -f "$ldd3_dir/$ldd3_ko.ko" ]; then
		insmod "$ldd3_dir/$ldd3_ko.ko" "$@"
	else
		modprobe "$ldd3_ko" "$@"
	fi
}

# scull_load NAME [PARAM=VALUE...]: load scull_core.ko (unless loaded) and
# NAME.ko (scullp or scullv; see ldd3_insmod) with the
# parameters, make the nodes NAME0 .. NAME<NAME_devs - 1> (group
# SCULL_GROUP, mode SCULL_MODE) and, as the book's scripts did, the link
# /dev/NAME -> NAME0.
scull_load() {
	scull_name=$1
	shift
	if [ ! -d /sys/module/scull_core ]; then
		ldd3_insmod scull_core || return 1
	fi
	ldd3_insmod "$scull_name" "$@" || return 1
	scull_devs=$(cat "/sys/module/$scull_name/parameters/${scull_name}_devs") ||
		return 1
	scull_nodes=
	scull_i=0
	while [ "$scull_i" -lt "$scull_devs" ]; do
		scull_nodes="$scull_nodes $scull_name$scull_i"
		scull_i=$((scull_i + 1))
	done
	# shellcheck disable=SC2086 # one word a node
	ldd3_nodes "$scull_name" "${SCULL_GROUP:-}" "${SCULL_MODE:-}" \
		$scull_nodes || return 1
	ln -sf "${scull_name}0" "/dev/$scull_name"
}

# scull_unload NAME: remove NAME.ko, its link and any node left, then
# scull_core.ko if no other module uses it. Fails (EBUSY) while a device
# is open or mapped.
scull_unload() {
	rmmod "$1" || return 1
	# shellcheck disable=SC2046 # the nodes left, one word each
	ldd3_nodes_remove "$1" $(cd /dev && ls -d "$1"[0-9]* 2>/dev/null)
	if [ -d /sys/module/scull_core ] &&
	   [ "$(cat /sys/module/scull_core/refcnt)" = 0 ]; then
		rmmod scull_core
	fi
}
