# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# TAP for shell tests, the same format kselftest_harness.h prints:
#   check "what is asserted" CMD [ARG...]        ok when CMD exits 0
#   check_fails "what is asserted" CMD [ARG...]  ok when CMD exits non-zero
#   ok "what"; not_ok "what"; diag "text"; tap_done
#   quiet CMD [ARG...]     runs CMD; its output is shown, as diagnostics,
#                          only if it fails (for check "what" quiet CMD)
#   tap_relay PREFIX FILE    the TAP results in FILE (a guest's) as this
#                            test's own, each named "PREFIX: what"
# The plan is printed at the end (TAP allows that); tap_done exits 1 if any
# assertion failed.

tap_n=0
tap_failed=0

ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n $*"
}

not_ok() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n $*"
}

diag() {
	echo "# $*"
}

check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

check_fails() {
	local what=$1
	shift
	if "$@"; then not_ok "$what"; else ok "$what"; fi
}

quiet() {
	local out

	out=$("$@" 2>&1) || { sed 's/^/# /' <<<"$out"; return 1; }
}

tap_relay() {
	local prefix=$1 line

	while IFS= read -r line; do
		case $line in
		"ok "*) ok "$prefix: $(sed -E 's/^ok [0-9]+ //' <<<"$line")" ;;
		"not ok "*) not_ok "$prefix: $(sed -E 's/^not ok [0-9]+ //' <<<"$line")" ;;
		1..*) ;;
		*) diag "$line" ;;
		esac
	done <"$2"
}

tap_done() {
	echo "1..$tap_n"
	[ "$tap_failed" = 0 ]
}
