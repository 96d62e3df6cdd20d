# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The project's modules, in load order, as Kbuild's obj-m lists them: the
# one definition the Makefile, dkms.conf and tests/harness/run-guest read.

# kbuild_modules [KBUILD]: the names, one line (default: ./Kbuild).
kbuild_modules() {
	sed -n 's/^obj-m := //p' "${1:-Kbuild}" | sed 's/\.o\b//g'
}
