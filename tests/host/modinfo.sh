#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# modinfo of every module the build produced (modules.order): a description,
# an author, the GPL licence, the version defined once in dkms.conf, and a
# description for every parameter.

cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh

version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' dkms.conf)
check "dkms.conf defines PACKAGE_VERSION" test -n "$version"
# Kbuild lists foo.ko before 6.2 and foo.o since.
mapfile -t kos < <(sed 's|.*/||; s|\.k\?o$|.ko|' modules.order 2>/dev/null)
check "the build listed its modules in modules.order" test "${#kos[@]}" -gt 0

for ko in "${kos[@]}"; do
	info() { /sbin/modinfo -F "$1" "$ko"; }
	check "$ko was built" test -f "$ko"
	check "$ko: modinfo shows a description" test -n "$(info description)"
	check "$ko: modinfo shows an author" test -n "$(info author)"
	check "$ko: license is GPL" test "$(info license)" = GPL
	check "$ko: version is $version (dkms.conf)" \
		test "$(info version)" = "$version"
	# "-F parm" prints "name:description (type)" for every parameter,
	# with an empty description where MODULE_PARM_DESC is missing.
	params=() bare=()
	while IFS= read -r line; do
		rest=${line#*:}
		desc=${rest% (*)}
		params+=("${line%%:*}")
		[ -n "${desc// /}" ] || bare+=("${line%%:*}")
	done < <(info parm)
	if [ "${#params[@]}" != "$(info parmtype | wc -l)" ]; then
		not_ok "$ko: modinfo lists every parameter once"
	elif [ "${#bare[@]}" = 0 ]; then
		ok "$ko: every parameter has a description (${params[*]})"
	else
		not_ok "$ko: every parameter has a description (not: ${bare[*]})"
	fi
done
tap_done
