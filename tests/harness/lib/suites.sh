# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The kernel matrix: each supported kernel is the current amd64 kernel of a
# Debian suite. The machine's own suite builds on the host with its installed
# headers; every other suite gets, under $LDD3_CACHE:
#   apt/SUITE/      a private apt configuration (lists and downloads), used
#                   to find the suite's kernel and to fetch its image;
#   chroots/SUITE/  a minimal debootstrap chroot with the suite's compiler
#                   and linux-headers-VER: modules for VER build there;
#   kdir/VER/       a Makefile that stands for a kernel build tree: it runs
#                   "make -C /usr/src/linux-headers-VER M=DIR ..." inside the
#                   chroot, with DIR bind-mounted at the same path, so
#                   "make KDIR=$LDD3_CACHE/kdir/VER" works like any KDIR.
# The archive's address is read at run time from this machine's own apt
# sources, never written into the project. Sourced by tests/harness/lib/cache.sh.

LDD3_SUITES=(bullseye bookworm trixie sid experimental)
LDD3_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
# What a build chroot holds besides linux-headers-VER. perl: W=1 runs
# scripts/kernel-doc, a perl script until 6.17 (minbase has perl-base only).
# sparse: tests/host/lint.sh runs C=2 on every kernel. dkms:
# tests/host/modules_debian_package.sh installs the package in an overlay
# of the chroot, offline.
LDD3_CHROOT_PACKAGES="gcc make libc6-dev bc libelf-dev kmod perl sparse dkms"
# Package lists older than this (minutes) are refreshed; until then a run
# downloads nothing.
LDD3_APT_MAX_AGE=${LDD3_APT_MAX_AGE:-1440}

host_suite() {
	(. /etc/os-release && echo "${VERSION_CODENAME:-}")
}

# archive_uri: the URI of the main Debian archive in this machine's apt
# sources (the entry serving its own suite), or $LDD3_MIRROR.
archive_uri() {
	local host uri
	if [ -n "${LDD3_MIRROR:-}" ]; then
		echo "$LDD3_MIRROR"
		return
	fi
	host=$(host_suite)
	uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk -v want="$host" '
		function flush() {
			if (!found && types ~ /(^| )deb( |$)/ &&
			    enabled != "no" && uris != "" &&
			    (" " suites " ") ~ (" " want " ")) {
				split(uris, u, " "); print u[1]; found = 1
			}
			types = suites = uris = enabled = ""
		}
		/^[ \t]*#/ { next }
		/^[ \t]*$/ { flush(); next }
		/^Types:/ { sub(/^Types:[ \t]*/, ""); types = $0 }
		/^URIs:/ { sub(/^URIs:[ \t]*/, ""); uris = $0 }
		/^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
		/^Enabled:/ { enabled = $2 }
		END { flush() }')
	if [ -z "$uri" ]; then
		uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
			2>/dev/null | sed 's/\[[^]]*\]//' |
			awk -v want="$host" '$1 == "deb" && $3 == want { print $2; exit }')
	fi
	[ -n "$uri" ] || die "no Debian archive for '$host' in /etc/apt/sources.list.d (set LDD3_MIRROR)"
	echo "$uri"
}

is_matrix_suite() {
	local s
	for s in "${LDD3_SUITES[@]}"; do
		[ "$s" = "$1" ] && return 0
	done
	return 1
}

# The snapshot this machine reaches is dated: sid's and experimental's
# Release files have expired there. Signatures are still checked.
suite_apt_options() {
	case $1 in
	sid|experimental) echo "-o Acquire::Check-Valid-Until=false" ;;
	esac
}

# apt_dir SUITE [ARCH]: the private apt state of SUITE's ARCH (amd64).
apt_dir() {
	case ${2:-amd64} in
	amd64) echo "$LDD3_CACHE/apt/$1" ;;
	*) echo "$LDD3_CACHE/apt/$1-$2" ;;
	esac
}

# suite_apt SUITE apt-get|apt-cache ARGS...: apt with the suite's private
# configuration. It reads no host source and changes no host state.
suite_apt() {
	suite_arch_apt amd64 "$@"
}

# suite_arch_apt ARCH SUITE apt-get|apt-cache ARGS...: the same for the
# suite's ARCH packages (their lists are kept apart).
suite_arch_apt() {
	local arch=$1 suite=$2 prog=$3 d src
	d=$(apt_dir "$suite" "$arch")
	src=(-o Dir::Etc::sourcelist="$d/sources.list" -o Dir::Etc::sourceparts="$d/none")
	# This machine's own suite: its sources, security updates included
	# (they carry its current kernel).
	[ "$suite" != "$(host_suite)" ] ||
		src=(-o Dir::Etc::sourcelist=/etc/apt/sources.list
		     -o Dir::Etc::sourceparts=/etc/apt/sources.list.d)
	shift 3
	# shellcheck disable=SC2046
	"$prog" -q "${src[@]}" -o Dir::Etc::preferencesparts="$d/none" \
		-o Dir::State="$d/state" -o Dir::Cache="$d/cache" \
		-o APT::Architecture="$arch" -o APT::Architectures="$arch" \
		$(suite_apt_options "$suite") "$@"
}

# suite_update SUITE [ARCH]: fetch the suite's package lists (of ARCH,
# default amd64) when missing, stale or pointing at another archive.
suite_update() {
	local suite=$1 arch=${2:-amd64} d line
	d=$(apt_dir "$suite" "$arch")
	if [ "$suite" = "$(host_suite)" ]; then
		line="# this machine's sources: $(cat /etc/apt/sources.list \
			/etc/apt/sources.list.d/* 2>/dev/null | sha256sum | cut -c1-12)"
	else
		line="deb [signed-by=$LDD3_KEYRING] $(archive_uri) $suite main" || exit 2
	fi
	mkdir -p "$d/state/lists/partial" "$d/cache/archives/partial" "$d/none" ||
		die "cannot create $d"
	(
		flock 9
		if [ "$(cat "$d/sources.list" 2>/dev/null)" != "$line" ]; then
			echo "$line" >"$d/sources.list"
			rm -f "$d/.updated"
		fi
		[ -n "$(find "$d/.updated" -mmin -"$LDD3_APT_MAX_AGE" 2>/dev/null)" ] &&
			exit 0
		echo "Fetching the $suite $arch package lists" >&2
		suite_arch_apt "$arch" "$suite" apt-get update >"$d/update.log" 2>&1 ||
			{ cat "$d/update.log" >&2; exit 1; }
		# Remember the suite's kernel: apt-cache takes seconds.
		suite_arch_apt "$arch" "$suite" apt-cache depends "linux-image-$arch" 2>/dev/null |
			sed -n "s/^ *Depends: linux-image-\([0-9].*-$arch\)\$/\1/p" |
			head -n 1 >"$d/kernel"
		touch "$d/.updated"
	) 9>"$d.lock" || die "apt-get update for $suite ($arch) failed"
}

# unpack_debs ARCH SUITE DEST PKG...: download the packages of SUITE's
# ARCH (this machine's own apt for its suite's amd64 ones) and unpack them
# into DEST, without installing them or running their scripts.
unpack_debs() {
	local arch=$1 suite=$2 dest=$3 tmp deb
	shift 3
	tmp=$(mktemp -d "$LDD3_CACHE/tmp.XXXXXX") || return 1
	# apt downloads as user _apt
	chmod 755 "$tmp" && chown _apt "$tmp" 2>/dev/null
	if [ "$arch" = amd64 ] && [ "$suite" = "$(host_suite)" ]; then
		(cd "$tmp" && apt-get download -q "$@" >"$tmp.log" 2>&1)
	else
		(cd "$tmp" && suite_arch_apt "$arch" "$suite" apt-get download "$@" >"$tmp.log" 2>&1)
	fi || { cat "$tmp.log" >&2; rm -rf "$tmp" "$tmp.log"; return 1; }
	rm -f "$tmp.log"
	mkdir -p "$dest" || { rm -rf "$tmp"; return 1; }
	for deb in "$tmp"/*.deb; do
		dpkg-deb -x "$deb" "$dest" || { rm -rf "$tmp"; return 1; }
	done
	rm -rf "$tmp"
}

# suite_kernel SUITE: the version that the suite's linux-image-amd64 depends
# on (e.g. 7.2.13+deb14-amd64 on sid, 7.3-amd64 on experimental).
suite_kernel() {
	local suite=$1 ver
	if [ "$suite" = "$(host_suite)" ]; then
		ver=$(default_kernel_version)
	else
		suite_update "$suite"
		ver=$(cat "$(apt_dir "$suite")/kernel")
	fi
	[ -n "$ver" ] || die "cannot tell which linux-image-amd64 $suite has"
	echo "$ver"
}

# version_matches ARG VER: ARG names VER exactly, without its Debian
# "+debNN" tag (7.2.13-amd64), or by major.minor (7.2, 5.10, 6.1).
version_matches() {
	local arg=$1 ver=$2
	[ "$arg" = "$ver" ] && return 0
	[ "$arg" = "$(echo "$ver" | sed 's/+deb[0-9]*-/-/')" ] && return 0
	[ "$arg" = "$(echo "$ver" | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p')" ]
}

# resolve_kernel [ARG]: print "SUITE VERSION" for a suite name, a version
# of a matrix kernel, or nothing (the host suite's kernel). Any other
# version is taken as one of the host suite's own kernels.
resolve_kernel() {
	local arg=${1:-} s v
	if [ -z "$arg" ]; then
		arg=$(host_suite)
	fi
	if is_matrix_suite "$arg" || [ "$arg" = "$(host_suite)" ]; then
		v=$(suite_kernel "$arg") || exit 2
		echo "$arg $v"
		return
	fi
	for s in "${LDD3_SUITES[@]}"; do
		v=$(suite_kernel "$s") || exit 2
		if version_matches "$arg" "$v"; then
			echo "$s $v"
			return
		fi
	done
	echo "$(host_suite) $arg"
}

# kernel_suite VER: the suite whose current kernel is VER (the host suite
# when none is).
kernel_suite() {
	resolve_kernel "$1" | cut -d' ' -f1
}

# kernel_arch VER: the Debian architecture of kernel VER, from its flavour.
kernel_arch() {
	case $1 in
	*-arm64 | *-arm64-16k) echo arm64 ;;
	*) echo amd64 ;;
	esac
}

# kernel_amd64 VER: the amd64 kernel built from the same source as VER
# (VER itself for an amd64 kernel): 6.1.0-57-arm64 -> 6.1.0-57-amd64.
kernel_amd64() {
	case $1 in
	*-arm64-16k) echo "${1%-arm64-16k}-amd64" ;;
	*-arm64) echo "${1%-arm64}-amd64" ;;
	*) echo "$1" ;;
	esac
}

# kernel_packages SUITE VER [ARCH]: what holds VER's image and modules. sid
# and later split linux-image-VER into linux-binary-VER (vmlinuz),
# linux-modules-VER and linux-base-VER (modules.builtin, modules.order:
# without them modprobe cannot tell a built-in module from a missing one).
kernel_packages() {
	local suite=$1 ver=$2 arch=${3:-amd64}
	if [ "$arch" = amd64 ] && [ "$suite" = "$(host_suite)" ]; then
		apt-cache show "linux-binary-$ver" >/dev/null 2>&1
	else
		suite_arch_apt "$arch" "$suite" apt-cache show "linux-binary-$ver" >/dev/null 2>&1
	fi && { echo "linux-base-$ver linux-binary-$ver linux-modules-$ver"; return; }
	echo "linux-image-$ver"
}

# in_chroot ROOT CMD...: run CMD in ROOT with /proc mounted (objtool needs
# it). The mount lives in a private namespace and dies with CMD.
in_chroot() {
	unshare --mount --propagation private -- sh -c \
		'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$@"
}

# suite_chroot SUITE VER: create (once) the suite's build chroot, install
# linux-headers-VER in it (again when the suite's kernel changes), and
# write the kdir/VER wrapper. Prints the chroot's path.
suite_chroot() {
	local suite=$1 ver=$2 root="$LDD3_CACHE/chroots/$1" base=$1 uri
	uri=$(archive_uri) || exit 2
	[ "$suite" = experimental ] && base=sid
	mkdir -p "$LDD3_CACHE/chroots" || die "cannot create $LDD3_CACHE/chroots"
	(
		flock 9
		if [ ! -e "$root/.ldd3-complete" ]; then
			echo "Creating the $suite build chroot in $root" >&2
			rm -rf "$root"
			debootstrap --variant=minbase --keyring="$LDD3_KEYRING" \
				--include="$(echo "$LDD3_CHROOT_PACKAGES" | tr ' ' ,)" \
				"$base" "$root" "$uri" >"$root.log" 2>&1 ||
				{ tail -n 20 "$root.log" >&2; exit 1; }
			if [ "$suite" = experimental ]; then
				echo "deb $uri experimental main" >>"$root/etc/apt/sources.list"
			fi
			{
				echo 'APT::Install-Recommends "false";'
				[ -z "$(suite_apt_options "$suite")" ] ||
					echo 'Acquire::Check-Valid-Until "false";'
			} >"$root/etc/apt/apt.conf.d/50ldd3"
			touch "$root/.ldd3-complete"
		fi
		# .ldd3-kernel: "VER PACKAGES..." installed; either may change.
		old=$(cut -d' ' -f1 "$root/.ldd3-kernel" 2>/dev/null)
		if [ "$(cat "$root/.ldd3-kernel" 2>/dev/null)" != "$ver $LDD3_CHROOT_PACKAGES" ]; then
			echo "Installing linux-headers-$ver in the $suite chroot" >&2
			[ "$old" != "$ver" ] || old=
			# shellcheck disable=SC2086
			{
				in_chroot "$root" apt-get -q update &&
				DEBIAN_FRONTEND=noninteractive in_chroot "$root" \
					apt-get install -y -q "linux-headers-$ver" \
					$LDD3_CHROOT_PACKAGES &&
				if [ -n "$old" ]; then
					in_chroot "$root" apt-get purge -y -q \
						"linux-headers-$old" &&
					in_chroot "$root" apt-get autoremove -y -q
				fi &&
				in_chroot "$root" apt-get clean
			} >"$root.log" 2>&1 || { tail -n 20 "$root.log" >&2; exit 1; }
			echo "$ver $LDD3_CHROOT_PACKAGES" >"$root/.ldd3-kernel"
		fi
		write_kdir "$root" "$ver"
	) 9>"$root.lock" || die "cannot prepare the $suite build chroot"
	echo "$root"
}

# write_kdir ROOT VER: the kdir/VER wrapper Makefile. GNU make passes the
# caller's flags and variables (M=, W=1, C=2, -s) to the inner make through
# MAKEFLAGS; the chroot sees the module directory at the same path.
write_kdir() {
	local root=$1 ver=$2 dir="$LDD3_CACHE/kdir/$2"
	mkdir -p "$dir" || die "cannot create $dir"
	cat >"$dir/Makefile.tmp" <<EOF
# Generated by tests/harness/lib/suites.sh: the build tree of $ver lives in the
# chroot $root; this runs the kernel's make there.
ROOT := $root
KVER := $ver
goals := \$(or \$(MAKECMDGOALS),modules)
.PHONY: \$(goals)
\$(firstword \$(goals)):
	@test -n "\$(M)" || { echo "\$(CURDIR): only M=DIR builds are supported" >&2; exit 2; }
	+@unshare --mount --propagation private -- sh -ec 'r=\$\$1 m=\$\$2 k=\$\$3; shift 3; \\
		mount -t proc proc "\$\$r/proc"; mkdir -p "\$\$r\$\$m"; \\
		mount --bind "\$\$m" "\$\$r\$\$m"; \\
		exec chroot "\$\$r" make -C "/usr/src/linux-headers-\$\$k" "\$\$@"' \\
		sh "\$(ROOT)" "\$(abspath \$(M))" "\$(KVER)" \$(goals)
\$(if \$(word 2,\$(goals)),\$(wordlist 2,\$(words \$(goals)),\$(goals))):
	@:
EOF
	mv "$dir/Makefile.tmp" "$dir/Makefile"
}

# kernel_symvers VER: the Module.symvers of VER's headers (in the suite's
# build chroot for a kernel that is not this machine's suite's).
kernel_symvers() {
	local root

	if [ -f "$LDD3_CACHE/kdir/$1/Makefile" ]; then
		root=$(sed -n 's/^ROOT := //p' "$LDD3_CACHE/kdir/$1/Makefile")
		echo "$root/usr/src/linux-headers-$1/Module.symvers"
	else
		echo "/usr/src/linux-headers-$1/Module.symvers"
	fi
}

# kernel_kdir VER: the KDIR to build modules for VER.
kernel_kdir() {
	if [ -f "$LDD3_CACHE/kdir/$1/Makefile" ]; then
		echo "$LDD3_CACHE/kdir/$1"
	else
		echo "/usr/src/linux-headers-$1"
	fi
}
