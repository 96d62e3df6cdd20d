# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# For the host tests of the Debian package: build it as a user would.
# Needs cwd = tree root.

# build_debian_packages DIR: copy the tree's files (tracked, and new ones
# not ignored, as a fresh clone has them) to DIR/src and run
# "dpkg-buildpackage -us -uc -b" there; the packages land in DIR. Its
# output goes to DIR/build.log. Returns dpkg-buildpackage's status.
build_debian_packages() {
	local dir=$1

	mkdir -p "$dir/src" || return 1
	git ls-files -z --cached --others --exclude-standard |
		xargs -0 cp --parents -t "$dir/src" || return 1
	(cd "$dir/src" && dpkg-buildpackage -us -uc -b) >"$dir/build.log" 2>&1
}
