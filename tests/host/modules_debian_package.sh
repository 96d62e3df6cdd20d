#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian package installed as a user installs it: "apt-get install" of
# the two .debs (built from a copy of the tree) in a Debian root that has
# dkms and the test kernel's headers makes DKMS build the modules for that
# kernel; the test VM then modprobes them from there, the package's
# mapper maps /dev/scullp0 and its load scripts load and unload scullp;
# "apt-get purge" removes the modules, DKMS's
# record of them, the udev rule and the tools.
#
# The root is a scratch overlay: of this machine's own root for its own
# suite, of the suite's build chroot for the others (tests/harness/lib/suites.sh;
# it holds dkms and linux-headers-VER). apt-get downloads nothing: all that
# the packages need is installed already. Only the overlay's upper layer,
# under /var/tmp, changes.

cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/harness/lib/cache.sh
. tests/lib/debian_package.sh
. tests/lib/modprobe_vm.sh
ver=${LDD3_KERNEL_RELEASE:?tests/harness/run sets LDD3_KERNEL_RELEASE}

if [ -f "$LDD3_KERNEL" ]; then
	ok "the Debian package # SKIP $LDD3_KERNEL was built here (the debug kernel): no Debian headers package; Debian's kernels run this"
	tap_done
	exit
fi
lower=
if [ -f "/lib/modules/$ver/build/Makefile" ]; then
	lower=/
else
	for c in "$LDD3_CACHE"/chroots/*/; do
		[ "$(cut -d' ' -f1 "$c.ldd3-kernel" 2>/dev/null)" = "$ver" ] &&
			lower=${c%/}
	done
fi
if [ -z "$lower" ]; then
	not_ok "a Debian root with linux-headers-$ver (tests/harness/setup makes it)"
	tap_done
	exit
fi
diag "installing into an overlay of $lower"

tmp=$(mktemp -d /var/tmp/ldd3-debinst.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/upper/ldd3-debs" "$tmp/work" "$tmp/root" "$tmp/pkg"
log=$tmp/log

# in_root CMD...: run CMD chrooted in the overlay, with /proc, /dev and a
# fresh /tmp; its output goes to $log, shown if it fails.
in_root() {
	unshare --mount --propagation private -- sh -ec '
		l=$1 t=$2
		shift 2
		mount -t overlay overlay \
			-o "lowerdir=$l,upperdir=$t/upper,workdir=$t/work" "$t/root"
		mount -t proc proc "$t/root/proc"
		mount --rbind /dev "$t/root/dev"
		mount -t tmpfs tmpfs "$t/root/tmp"
		exec chroot "$t/root" env DEBIAN_FRONTEND=noninteractive "$@"' \
		sh "$lower" "$tmp" "$@" >"$log" 2>&1 || {
		sed 's/^/# /' "$log"
		return 1
	}
}

version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' dkms.conf)
if ! build_debian_packages "$tmp/pkg"; then
	sed 's/^/# /' "$tmp/pkg/build.log"
	not_ok "dpkg-buildpackage -us -uc -b builds the packages"
	tap_done
	exit
fi
cp "$tmp"/pkg/ldd3-mmap-dkms_*_all.deb "$tmp/upper/ldd3-debs/"
# ldd3-mmap-utils is built against this machine's libc: an older suite's
# (bullseye's) cannot take it, and gets the dkms package alone.
utils=$(compgen -G "$tmp/pkg/ldd3-mmap-utils_*_$(dpkg --print-architecture).deb")
need=$(dpkg-deb -f "$utils" Depends | grep -o 'libc6 (>= [^)]*)' | sed 's/.*>= //; s/)//')
have=$(dpkg-query --admindir="$lower/var/lib/dpkg" -W -f '${Version}' libc6)
mapper= scripts=
if dpkg --compare-versions "$have" ge "$need"; then
	cp "$utils" "$tmp/upper/ldd3-debs/"
	mapper=$tmp/upper/usr/bin/mapper
	scripts=$tmp/upper/usr/share/ldd3-mmap/scripts
else
	ok "ldd3-mmap-utils installs # SKIP built here, it needs libc6 >= $need; this root has $have"
fi
# Where the root's /lib/modules is: under usr/ once /lib is a link to it.
tree=$tmp/upper
[ ! -L "$lower/lib" ] || tree=$tree/usr
mods=lib/modules/$ver/updates/dkms

check "apt-get install $(cd "$tmp/upper/ldd3-debs" && echo ./*.deb)" \
	in_root sh -c 'apt-get install -y -q /ldd3-debs/*.deb'
check "dkms status: ldd3-mmap $version for $ver is installed" \
	in_root sh -c "dkms status ldd3-mmap |
		grep -F -e 'ldd3-mmap/$version, $ver, ' -e 'ldd3-mmap, $version, $ver, ' |
		grep -q ': installed'"
# (compressed as the kernel's own modules are: .ko.xz on 6.12)
for m in $(sed -n 's/^obj-m := //p' Kbuild | sed 's/\.o\b//g'); do
	ko=$(compgen -G "$tree/$mods/$m.ko*" | head -n 1)
	check "DKMS built $m.ko for $ver, version $version" \
		test "$(/sbin/modinfo -F version "${ko:-$m.ko}" 2>/dev/null)" = "$version"
done
check "the udev rule is installed" \
	test -f "$tmp/upper/usr/lib/udev/rules.d/99-ldd3-mmap.rules"
# (DKMS's own depmod run leaves no modules.dep in a root without the
# kernel's modules: depmod is run here before modinfo.)
check "modinfo -k $ver scullp finds the installed module" \
	in_root sh -c "depmod -a '$ver' && modinfo -k '$ver' scullp"

modprobe_in_vm "package" "$tree" updates/dkms ${mapper:+"$mapper" "$scripts"}

check "apt-get purge ldd3-mmap-dkms ldd3-mmap-utils" \
	in_root apt-get purge -y -q ldd3-mmap-dkms ldd3-mmap-utils
check "modinfo -k $ver scullp finds nothing after the purge" \
	in_root sh -c "depmod -a '$ver' && ! modinfo -k '$ver' scullp"
check "dkms status lists no ldd3-mmap" \
	in_root sh -c '! dkms status ldd3-mmap | grep -q .'
check "the modules, their sources, the udev rule and the tools are gone" \
	in_root sh -c "! ls /$mods/*.ko /usr/src/ldd3-mmap-* \
		/usr/lib/udev/rules.d/99-ldd3-mmap.rules /usr/bin/mapper \
		/usr/bin/skelbuf 2>/dev/null | grep -q ."
check "this machine has neither the packages nor their files" \
	sh -c "! dpkg -s ldd3-mmap-dkms ldd3-mmap-utils >/dev/null 2>&1 &&
		! ls -d /usr/src/ldd3-mmap-* /var/lib/dkms/ldd3-mmap \
		/usr/lib/udev/rules.d/99-ldd3-mmap.rules 2>/dev/null | grep -q ."
tap_done
