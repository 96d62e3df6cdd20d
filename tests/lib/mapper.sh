# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# What the mapper tests share: TAP, a scratch directory removed at exit,
# and two ways to run mapper and compare what it printed.

. "$LDD3_ROOT/tests/lib/tap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/out
err=$tmp/err
page=$(getconf PAGESIZE)

# run ARGS...: mapper's stdout in $out, stderr in $err, status in $rc.
run() {
	mapper "$@" >"$out" 2>"$err"
	rc=$?
}

# same_as FILE CMD...: FILE holds exactly what CMD prints (no process
# substitution: the guest's /dev has no /dev/fd).
same_as() {
	local file=$1
	shift

	"$@" >"$tmp/expected" && cmp "$file" "$tmp/expected"
}
