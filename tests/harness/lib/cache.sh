# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Where downloads and unpacked kernels live: outside the clone, keyed by
# version, so a second run downloads nothing. Sourced by the test scripts.

LDD3_CACHE=${LDD3_CACHE:-/var/cache/ldd3-mmap}

die() {
	echo "${0##*/}: $*" >&2
	exit 2
}

# The kernel that `linux-image-amd64` of this machine's own suite depends
# on, e.g. 6.1.0-56-amd64 on bookworm.
default_kernel_version() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\([0-9].*-amd64\)$/\1/p' |
		head -n 1
}

. "$(dirname "${BASH_SOURCE[0]}")/suites.sh"

# kernel_root VER: unpack Debian's packages of kernel VER (linux-image-VER,
# or linux-binary-VER and linux-modules-VER; from whichever suite of the
# matrix has it) without running their hooks, under the cache, with a
# modules.dep, and print the directory.
kernel_root() {
	local ver=$1 dir="$LDD3_CACHE/kernels/$1"

	if [ ! -e "$dir/.complete" ]; then
		local suite pkgs arch
		arch=$(kernel_arch "$ver")
		# An arm64 kernel is in the suite of its amd64 twin.
		suite=$(kernel_suite "$(kernel_amd64 "$ver")") || exit 2
		[ "$arch" = amd64 ] || suite_update "$suite" "$arch"
		pkgs=$(kernel_packages "$suite" "$ver" "$arch")
		echo "Fetching $pkgs ($suite) into $dir" >&2
		rm -rf "$dir"
		# shellcheck disable=SC2086
		unpack_debs "$arch" "$suite" "$dir/root" $pkgs ||
			die "cannot fetch and unpack $pkgs"
		# Merged-/usr packages: depmod and modprobe -d look in ROOT/lib.
		if [ ! -e "$dir/root/lib" ] && [ -d "$dir/root/usr/lib/modules" ]; then
			ln -s usr/lib "$dir/root/lib"
		fi
		depmod -b "$dir/root" "$ver" || die "depmod failed for $ver"
		touch "$dir/.complete"
	fi
	echo "$dir/root"
}

# kernel_image VER: the bootable image inside kernel_root.
kernel_image() {
	local root
	root=$(kernel_root "$1") || exit 2
	for f in "$root/boot/vmlinuz-$1" "$root/usr/lib/modules/$1/vmlinuz" \
		 "$root/lib/modules/$1/vmlinuz"; do
		[ -f "$f" ] && { echo "$f"; return; }
	done
	die "no vmlinuz in $root"
}

# kselftest_dir: kselftest_harness.h and checkpatch.pl come from Debian's
# linux-source-6.1 tarball; extract just those files once per version.
kselftest_dir() {
	local ver dir="$LDD3_CACHE/linux-source-6.1"

	ver=$(dpkg-query -W -f '${Version}' linux-source-6.1 2>/dev/null) ||
		die "linux-source-6.1 is not installed (run tests/harness/setup)"
	if [ "$(cat "$dir/.version" 2>/dev/null)" != "$ver" ] ||
	   [ ! -f "$dir/.clang-format" ]; then
		echo "Extracting kselftest, checkpatch and .clang-format from linux-source-6.1 $ver" >&2
		rm -rf "$dir"
		mkdir -p "$dir"
		tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$dir" \
			--strip-components=1 \
			linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
			linux-source-6.1/tools/testing/selftests/kselftest.h \
			linux-source-6.1/scripts/checkpatch.pl \
			linux-source-6.1/scripts/spelling.txt \
			linux-source-6.1/scripts/const_structs.checkpatch \
			linux-source-6.1/.clang-format ||
			die "cannot extract from /usr/src/linux-source-6.1.tar.xz"
		echo "$ver" >"$dir/.version"
	fi
	echo "$dir/tools/testing/selftests"
}
