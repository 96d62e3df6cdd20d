#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DKMS, as the README tells a user: "dkms add" of this tree, "dkms build"
# and "dkms install" for the test kernel with Debian's dkms, then modprobe
# of the installed modules in the test VM (tests/lib/modprobe_vm.sh), then
# "dkms remove". Everything lands in a scratch directory: --sourcetree,
# --dkmstree and --installtree stand for /usr/src, /var/lib/dkms and
# /lib/modules, --no-depmod keeps depmod off the host's module tree, and the
# signing key dkms generates goes there too (dkms takes mok_signing_key and
# mok_certificate from the environment when /etc/dkms/framework.conf does
# not set them). The host's dkms, source and module trees must not change.

cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/harness/lib/cache.sh
. tests/lib/modprobe_vm.sh
ver=${LDD3_KERNEL_RELEASE:?tests/harness/run sets LDD3_KERNEL_RELEASE}

if [ ! -f "/lib/modules/$ver/build/Makefile" ]; then
	ok "dkms # SKIP dkms builds against /lib/modules/$ver/build: this machine's suite only"
	tap_done
	exit
fi
if ! command -v dkms >/dev/null; then
	not_ok "dkms is installed (tests/harness/setup installs it)"
	tap_done
	exit
fi

tmp=$(mktemp -d /var/tmp/ldd3-dkms.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
log=$tmp/log
mods=$tmp/root/lib/modules/$ver
mkdir -p "$tmp/src" "$tmp/dkms" "$mods" "$tmp/tmp"
export TMPDIR=$tmp/tmp mok_signing_key=$tmp/mok.key mok_certificate=$tmp/mok.pub
dkms=(dkms --sourcetree "$tmp/src" --dkmstree "$tmp/dkms"
      --installtree "$tmp/root/lib/modules")
name=$(sed -n 's/^PACKAGE_NAME="\(.*\)"$/\1/p' dkms.conf)
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' dkms.conf)

# What of the host dkms could touch: names, types and times of the files.
host_state() {
	find /var/lib/dkms /etc/dkms "/lib/modules/$ver" /usr/src/"$name"-* \
		-printf '%p %y %T@\n' 2>/dev/null
}
before=$(host_state)

# matches GLOB: some file matches GLOB.
matches() {
	compgen -G "$1" >/dev/null
}

# dkms.conf reads the modules from Kbuild: it must name every module the
# build makes (modules.order), no more.
listed=$(bash -c '. ./dkms.conf && printf "%s\n" "${BUILT_MODULE_NAME[@]}"' | sort)
built=$(sed 's|.*/||; s|\.ko$||' modules.order | sort)
if [ -n "$built" ] && [ "$listed" = "$built" ]; then
	ok "dkms.conf lists the modules the build makes: ${built//$'\n'/ }"
else
	diag "dkms.conf: ${listed//$'\n'/ }; modules.order: ${built//$'\n'/ }"
	not_ok "dkms.conf lists the modules the build makes"
fi

check "dkms add ." quiet "${dkms[@]}" add "$PWD"
check "dkms build $name/$version -k $ver" \
	quiet "${dkms[@]}" build "$name/$version" -k "$ver"
check "dkms install $name/$version -k $ver" \
	quiet "${dkms[@]}" install "$name/$version" -k "$ver" --no-depmod
"${dkms[@]}" status >"$log" 2>&1
check "dkms status: $name/$version, $ver: installed" \
	grep -q "^$name/$version, $ver, [^:]*: installed" "$log"
for m in $built; do
	ko=$mods/updates/dkms/$m.ko
	check "$m.ko is installed in updates/dkms, built for $ver" \
		test "$(/sbin/modinfo -F vermagic "$ko" 2>/dev/null | cut -d' ' -f1)" = "$ver"
done

modprobe_in_vm "DKMS" "$tmp/root" updates/dkms

check "dkms remove $name/$version --all" \
	quiet "${dkms[@]}" remove "$name/$version" --all --no-depmod
check_fails "no module is left in updates/dkms" \
	matches "$mods/updates/dkms/*.ko*"
after=$(host_state)
if [ "$before" = "$after" ]; then
	ok "the host's /var/lib/dkms, /lib/modules/$ver and /usr/src are untouched"
else
	diff <(echo "$before") <(echo "$after") | sed 's/^/# /'
	not_ok "the host's /var/lib/dkms, /lib/modules/$ver and /usr/src are untouched"
fi
tap_done
