# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Cross-building the modules for Debian's arm64 kernels on this amd64
# machine. An arm64 linux-headers package holds the kernel's arm64 headers
# and config; its scripts/ is a link into linux-kbuild-VER, the host tools
# (fixdep, modpost), which the amd64 linux-headers of the same version
# already bring for amd64. So its files are unpacked (not installed) where
# those of the amd64 headers are, beside them:
#   - this machine's suite: under $LDD3_CACHE/arm64/VER, with links to the
#     installed linux-kbuild and -common headers;
#   - another suite: in its build chroot (tests/harness/lib/suites.sh).
# The cross compiler is the one the headers name (their .kernelvariables
# say $(CROSS_COMPILE)gcc-N): Debian's gcc-N-aarch64-linux-gnu.
# Sourced after tests/harness/lib/cache.sh.

LDD3_ARM64_MAKE="ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-"

# arm64_kernel SUITE [FLAVOUR]: the version of SUITE's arm64 kernel of
# FLAVOUR (arm64, the default, or arm64-16k), as its amd64 kernel's
# version with the flavour for -amd64, when the suite has its headers.
arm64_kernel() {
	local suite=$1 flavour=${2:-arm64} amd64 ver
	amd64=$(suite_kernel "$suite") || exit 2
	ver=${amd64%-amd64}-$flavour
	suite_update "$suite" arm64
	suite_arch_apt arm64 "$suite" apt-cache show "linux-headers-$ver" \
		>/dev/null 2>&1 || return 1
	echo "$ver"
}

# arm64_kdir SUITE VER: unpack linux-headers-VER (arm64) once, install its
# cross compiler, and print the KDIR that builds modules for it with
# "make KDIR=... $LDD3_ARM64_MAKE".
arm64_kdir() {
	local suite=$1 ver=$2 root src chroot=
	if [ "$suite" = "$(host_suite)" ]; then
		root=$LDD3_CACHE/arm64/$ver
	else
		root=$(suite_chroot "$suite" "$(suite_kernel "$suite")") || exit 2
		chroot=1
	fi
	src=$root/usr/src/linux-headers-$ver
	mkdir -p "$root" "$LDD3_CACHE/arm64" || die "cannot create $root"
	(
		flock 9
		[ -e "$src/.ldd3-complete" ] && exit 0
		arm64_unpack "$suite" "$ver" "$root" "$chroot" >"$root.log" 2>&1 ||
			{ tail -n 20 "$root.log" >&2; exit 1; }
		touch "$src/.ldd3-complete"
	) 9>"$LDD3_CACHE/arm64/$ver.lock" ||
		die "cannot prepare the arm64 headers $ver"
	if [ -n "$chroot" ]; then
		write_kdir "$root" "$ver"
		echo "$LDD3_CACHE/kdir/$ver"
	else
		echo "$src"
	fi
}

# arm64_unpack SUITE VER ROOT CHROOT: arm64_kdir's work, under its lock.
arm64_unpack() {
	local suite=$1 ver=$2 root=$3 chroot=$4 tmp src kbuild cc
	src=$root/usr/src/linux-headers-$ver
	# Only its usr/src: its lib/modules/VER/build would replace a merged
	# /usr's /lib link with a directory.
	tmp=$(mktemp -d "$LDD3_CACHE/tmp.XXXXXX") || return 1
	rm -rf "$src"
	mkdir -p "$root/usr/src" &&
		unpack_debs arm64 "$suite" "$tmp" "linux-headers-$ver" &&
		mv "$tmp/usr/src/linux-headers-$ver" "$src" ||
		{ rm -rf "$tmp"; return 1; }
	rm -rf "$tmp"
	if [ -z "$chroot" ]; then
		# scripts/ -> ../../lib/linux-kbuild-X/scripts: the installed one.
		kbuild=$(readlink "$src/scripts") || return 1
		kbuild=${kbuild#../../lib/}
		kbuild=${kbuild%/scripts}
		[ -d "/usr/lib/$kbuild" ] || {
			echo "/usr/lib/$kbuild is missing: the amd64 headers of the same version bring it"
			return 1
		}
		mkdir -p "$root/usr/lib" && ln -sfn "/usr/lib/$kbuild" "$root/usr/lib/$kbuild"
	fi
	cc=$(sed -n 's/^CC = .*(CROSS_COMPILE)\(gcc-[0-9]*\).*/\1/p' "$src/.kernelvariables")
	[ -n "$cc" ] || { echo "no gcc-N in $src/.kernelvariables"; return 1; }
	if [ -n "$chroot" ]; then
		in_chroot "$root" apt-get -q update &&
		DEBIAN_FRONTEND=noninteractive in_chroot "$root" apt-get install \
			-y -q "$cc-aarch64-linux-gnu" && in_chroot "$root" apt-get clean
	else
		dpkg-query -W -f '${Status}\n' "$cc-aarch64-linux-gnu" 2>/dev/null |
			grep -q 'install ok installed' ||
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
				--no-install-recommends "$cc-aarch64-linux-gnu"
	fi
}

# arm64_busybox: the arm64 busybox of this machine's suite (busybox-static,
# unpacked once), the userland of the arm64 test VM's initramfs.
arm64_busybox() {
	local suite dir ver
	suite=$(host_suite)
	suite_update "$suite" arm64
	ver=$(suite_arch_apt arm64 "$suite" apt-cache show busybox-static 2>/dev/null |
		sed -n 's/^Version: //p' | head -n 1)
	[ -n "$ver" ] || die "no arm64 busybox-static in $suite"
	dir=$LDD3_CACHE/arm64/busybox-${ver#*:}
	if [ ! -x "$dir/bin/busybox" ]; then
		rm -rf "$dir"
		unpack_debs arm64 "$suite" "$dir" "busybox-static=$ver" ||
			die "cannot fetch the arm64 busybox-static $ver"
	fi
	echo "$dir/bin/busybox"
}

# arm64_build_modules KDIR DIR LOG: build a copy of the module tree in DIR
# (objects for arm64 must not mix with the tree's own) against KDIR, with
# W=1; the output goes to LOG.
arm64_build_modules() {
	local kdir=$1 dir=$2 log=$3
	rm -rf "$dir"
	mkdir -p "$dir" &&
		cp -r Kbuild Makefile dkms.conf ./*.c include "$dir/" || return 1
	# shellcheck disable=SC2086
	make -s -C "$dir" modules KDIR="$kdir" $LDD3_ARM64_MAKE W=1 >"$log" 2>&1
}

# arm64_build_progs DIR LOG [TEST...]: misc-progs (mapper, skelbuf) and
# the named tests/TEST.c, linked statically for the arm64 guest's busybox
# userland, in DIR/misc-progs and DIR/tests/bin.
arm64_build_progs() {
	local dir=$1 log=$2 ksft t
	shift 2
	ksft=$(kselftest_dir) || return 1
	mkdir -p "$dir" && rm -rf "$dir/misc-progs" "$dir/tests" &&
		cp -r misc-progs include "$dir/" && mkdir "$dir/tests" &&
		cp -r tests/Makefile tests/include "$dir/tests/" || return 1
	for t in "$@"; do
		cp "tests/$t.c" "$dir/tests/" || return 1
	done
	make -s -C "$dir/misc-progs" clean >/dev/null &&
	make -s -C "$dir/misc-progs" CC=aarch64-linux-gnu-gcc LDFLAGS=-static \
		>"$log" 2>&1 &&
	make -s -C "$dir/tests" CC=aarch64-linux-gnu-gcc LDFLAGS=-static \
		KSFT_DIR="$ksft" >>"$log" 2>&1
}

# What the guest tests run, for the arm64 userland below: the shells and
# tools of tests/*.sh and tests/harness/run-guest (getconf is libc-bin's),
# python3 (scull_clients, simple_ivshmem), gdb (debugger_gdb), fio
# (bench_faults), trinity (trinity_scull), capsh (simple_ivshmem) and
# hexdump.
LDD3_ARM64_PACKAGES="base-passwd bash dash coreutils findutils grep sed gawk
	diffutils util-linux mount libc-bin procps kmod bsdextrautils libcap2-bin
	python3 gdb fio trinity"

# arm64_userland: an arm64 root for the whole guest suite on an arm64
# kernel (tests/harness/vm --root): LDD3_ARM64_PACKAGES of this machine's
# suite for arm64 and everything they depend on, downloaded by apt with an
# empty package database and unpacked (no arm64 program runs on this
# machine, so no maintainer script runs) into a merged-/usr tree. Made
# once per suite and package list; prints its directory.
arm64_userland() {
	local suite key dir
	suite=$(host_suite)
	suite_update "$suite" arm64
	key=$(echo "$suite $LDD3_ARM64_PACKAGES" | sha256sum | cut -c1-12)
	dir=$LDD3_CACHE/arm64/userland-$suite-$key
	mkdir -p "$LDD3_CACHE/arm64" || die "cannot create $LDD3_CACHE/arm64"
	(
		flock 9
		[ -e "$dir/.ldd3-complete" ] && exit 0
		echo "Fetching the arm64 userland ($suite) into $dir" >&2
		arm64_unpack_userland "$suite" "$dir" >"$dir.log" 2>&1 ||
			{ tail -n 20 "$dir.log" >&2; exit 1; }
		touch "$dir/.ldd3-complete"
	) 9>"$dir.lock" || die "cannot make the arm64 userland"
	echo "$dir"
}

# arm64_unpack_userland SUITE DIR: arm64_userland's work, under its lock.
arm64_unpack_userland() {
	local suite=$1 dir=$2 tmp deb
	tmp=$(mktemp -d "$LDD3_CACHE/tmp.XXXXXX") || return 1
	mkdir -p "$tmp/archives/partial" && : >"$tmp/status" &&
		chmod 755 "$tmp" && chown -R _apt "$tmp/archives" 2>/dev/null
	# shellcheck disable=SC2086
	suite_arch_apt arm64 "$suite" apt-get -y -o Debug::NoLocking=1 \
		-o Dir::State::status="$tmp/status" \
		-o Dir::Cache::archives="$tmp/archives/" \
		install --download-only --no-install-recommends \
		$LDD3_ARM64_PACKAGES || { rm -rf "$tmp"; return 1; }
	rm -rf "$dir"
	mkdir -p "$dir/usr/bin" "$dir/usr/sbin" "$dir/usr/lib" "$dir/etc" \
		"$dir/root" "$dir/tmp" "$dir/var/tmp" || return 1
	for d in bin sbin lib; do
		ln -s "usr/$d" "$dir/$d" || return 1
	done
	for deb in "$tmp"/archives/*.deb; do
		dpkg-deb --fsys-tarfile "$deb" |
			tar -x --keep-directory-symlink -C "$dir" ||
			{ rm -rf "$tmp"; return 1; }
	done
	rm -rf "$tmp"
	# What the packages' scripts would have made: the accounts (base-passwd),
	# /bin/sh (dash) and awk (gawk, through update-alternatives).
	cp "$dir/usr/share/base-passwd/passwd.master" "$dir/etc/passwd" &&
		cp "$dir/usr/share/base-passwd/group.master" "$dir/etc/group" &&
		ln -sfn gawk "$dir/usr/bin/awk" || return 1
	[ -e "$dir/bin/sh" ] || ln -s dash "$dir/bin/sh"
}

# arm64_build_tree KDIR DIR LOG: a copy of the whole tree in DIR, its
# modules built for arm64 against KDIR with W=1 and its user programs and
# tests cross-compiled (linked against the arm64 userland's libc), for
# tests/harness/run --arch. The make output goes to LOG (the programs'
# warnings are errors: a warning there is the modules').
arm64_build_tree() {
	local kdir=$1 dir=$2 log=$3 ksft
	ksft=$(kselftest_dir) || return 1
	rm -rf "$dir" && mkdir -p "$dir" || return 1
	tar -c --exclude=./.git --exclude=./tests/out . | tar -x -C "$dir" &&
		make -s -C "$dir" clean KDIR=/nonexistent >/dev/null || return 1
	# shellcheck disable=SC2086
	make -s -C "$dir" modules KDIR="$kdir" $LDD3_ARM64_MAKE W=1 >"$log" 2>&1 &&
		make -s -C "$dir" progs CC=aarch64-linux-gnu-gcc >>"$log" 2>&1 &&
		make -s -C "$dir/tests" CC=aarch64-linux-gnu-gcc \
			KSFT_DIR="$ksft" >>"$log" 2>&1
}
