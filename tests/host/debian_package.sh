#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian package (debian/): dpkg-buildpackage -us -uc -b of a copy of
# the tree builds ldd3-mmap-dkms and ldd3-mmap-utils, lintian reports no
# error and no warning, each package holds what docs/install.md says, one
# version runs through debian/changelog, dkms.conf and the packages, and
# the module sources the dkms package installs build on their own, with
# that version in modinfo. The package does not depend on the kernel under
# test: it is checked once, with the machine's own kernel.

cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/harness/lib/cache.sh
. tests/lib/debian_package.sh

default_ver=$(default_kernel_version)
if [ "${LDD3_KERNEL_RELEASE:-}" != "$default_ver" ]; then
	ok "the Debian package # SKIP it does not depend on the kernel: checked with $default_ver"
	tap_done
	exit
fi
for tool in dpkg-buildpackage dh lintian; do
	command -v "$tool" >/dev/null ||
		not_ok "$tool is installed (tests/harness/setup installs it)"
done

tmp=$(mktemp -d /var/tmp/ldd3-deb.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' dkms.conf)
changelog=$(dpkg-parsechangelog -S Version)
check "debian/changelog's version ($changelog) is dkms.conf's ($version)" \
	test -n "$version" -a "$changelog" = "$version"

if build_debian_packages "$tmp"; then
	ok "dpkg-buildpackage -us -uc -b builds the packages"
else
	sed 's/^/# /' "$tmp/build.log"
	not_ok "dpkg-buildpackage -us -uc -b builds the packages"
fi
changes=$tmp/ldd3-mmap_${version}_$(dpkg --print-architecture).changes
dkms_deb=$tmp/ldd3-mmap-dkms_${version}_all.deb
utils_deb=$(compgen -G "$tmp/ldd3-mmap-utils_${version}_*.deb" | head -n 1)
check "lintian reports no error and no warning on the .changes" \
	quiet lintian --fail-on error,warning "$changes"

# has DEB PATH: the package DEB holds PATH.
has() {
	dpkg-deb -c "$1" | awk '{ print $6 }' | grep -qx "\./${2#/}"
}
src=/usr/src/ldd3-mmap-$version
for f in dkms.conf Kbuild include/kernel_compat.h \
	$(sed -n 's/^obj-m := //p' Kbuild | sed 's/\.o\b/.c/g'); do
	check "ldd3-mmap-dkms holds $src/$f" has "$dkms_deb" "$src/$f"
done
check "ldd3-mmap-dkms holds the udev rule in /usr/lib/udev/rules.d" \
	has "$dkms_deb" /usr/lib/udev/rules.d/99-ldd3-mmap.rules
check_fails "ldd3-mmap-dkms loads nothing at boot (no modules-load.d)" \
	sh -c "dpkg-deb -c '$dkms_deb' | grep -q modules-load.d"
check "ldd3-mmap-dkms depends on dkms" \
	sh -c "dpkg-deb -f '$dkms_deb' Depends | grep -qw dkms"
for f in /usr/bin/mapper /usr/bin/skelbuf /usr/share/man/man1/mapper.1.gz \
	/usr/share/man/man1/skelbuf.1.gz /usr/share/ldd3-mmap/scripts/scullp_load \
	/usr/share/ldd3-mmap/scripts/ldd3_load.sh; do
	check "ldd3-mmap-utils holds $f" has "$utils_deb" "$f"
done
for deb in "$dkms_deb" "$utils_deb"; do
	check "$(basename "$deb") has version $version" \
		test "$(dpkg-deb -f "$deb" Version)" = "$version"
done

# The packaged sources alone build the modules, with the version.
dpkg-deb -x "$dkms_deb" "$tmp/root"
check "the packaged sources build against $LDD3_KERNEL_RELEASE" \
	quiet make -C "$LDD3_KDIR" M="$tmp/root$src" modules
for ko in "$tmp/root$src"/*.ko; do
	check "modinfo $(basename "$ko"): version $version" \
		test "$(/sbin/modinfo -F version "$ko")" = "$version"
done
tap_done
