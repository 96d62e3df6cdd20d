#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make install" and "make uninstall" with INSTALL_MOD_PATH: the modules go
# to lib/modules/VER/extra under it with a modules.dep (scullp and scullv
# need scull_core), the test VM loads them from there with modprobe
# (tests/lib/modprobe_vm.sh), and "make uninstall" takes them away again.

cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/harness/lib/cache.sh
. tests/lib/modprobe_vm.sh
ver=${LDD3_KERNEL_RELEASE:?tests/harness/run sets LDD3_KERNEL_RELEASE}
kdir=${LDD3_KDIR:?tests/harness/run sets LDD3_KDIR}

if [ ! -f "$kdir/include/generated/utsrelease.h" ]; then
	ok "make install # SKIP $kdir builds in a chroot of another suite: this machine's suite only"
	tap_done
	exit
fi

tmp=$(mktemp -d /var/tmp/ldd3-install.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
mods=$tmp/lib/modules/$ver
# Kbuild lists foo.ko before 6.2 and foo.o since.
built=$(sed 's|.*/||; s|\.k\?o$||' modules.order)

# W=1 as tests/harness/run built the tree: nothing is rebuilt.
check "make install INSTALL_MOD_PATH=DIR" \
	quiet make install W=1 KDIR="$kdir" INSTALL_MOD_PATH="$tmp"
for m in $built; do
	check "$m.ko is installed in DIR/lib/modules/$ver/extra" \
		test -f "$mods/extra/$m.ko"
done
for m in scullp scullv; do
	check "modules.dep: $m needs scull_core" \
		grep -qx "extra/$m.ko: extra/scull_core.ko" "$mods/modules.dep"
done

modprobe_in_vm "make install" "$tmp" extra

check "make uninstall INSTALL_MOD_PATH=DIR" \
	quiet make uninstall KDIR="$kdir" INSTALL_MOD_PATH="$tmp"
check_fails "no module is left in extra" test -e "$mods/extra"
check "depmod ran again: modules.dep forgets them" \
	bash -c '[ -f "$1" ] && ! grep -q extra/ "$1"' - "$mods/modules.dep"
tap_done
