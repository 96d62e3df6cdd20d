# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Which tests a run selects: the GLOBs of tests/harness/run and run-guest
# (e.g. 'simple_*'), matched against a test's name without its .c or .sh.

# selected NAME [GLOB...]: true if NAME matches a GLOB, or if none is given.
selected() {
	local name=$1 g

	shift
	[ $# -eq 0 ] && return 0
	for g in "$@"; do
		# shellcheck disable=SC2053
		[[ $name == $g ]] && return 0
	done
	return 1
}
