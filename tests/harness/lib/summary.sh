# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The closing line of a run, "N passed, N failed[, N skipped]", which CI
# reads: tests/harness/run prints it for one kernel from its TAP results,
# tests/harness/check adds up those of every kernel it ran.

# summary_print PASSED FAILED SKIPPED: the line.
summary_print() {
	if [ "$3" -gt 0 ]; then
		echo "$1 passed, $2 failed, $3 skipped"
	else
		echo "$1 passed, $2 failed"
	fi
}

# summary_of_tap FILE: the line for the TAP results in FILE (a SKIP is an
# "ok" that counts as skipped, not passed).
summary_of_tap() {
	local ok skipped failed

	ok=$(grep -cE '^ *ok ' "$1")
	skipped=$(grep -cE '^ *ok .*# *SKIP' "$1")
	failed=$(grep -cE '^ *not ok ' "$1")
	summary_print $((ok - skipped)) "$failed" "$skipped"
}

# summary_fields LOG: "PASSED FAILED SKIPPED" from the last summary line
# of LOG; nothing if it has none.
summary_fields() {
	grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" 2>/dev/null | tail -n 1 |
		sed -E 's/^([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?$/\1 \2 \4/' |
		awk '{ print $1, $2, ($3 == "" ? 0 : $3) }'
}

# summary_of_logs LOG...: the line for all LOGs together; a log without a
# summary (a run that produced no result) counts as one failure.
summary_of_logs() {
	local log p f s passed=0 failed=0 skipped=0

	for log in "$@"; do
		read -r p f s < <(summary_fields "$log")
		if [ -z "${p:-}" ]; then
			failed=$((failed + 1))
			continue
		fi
		passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	done
	summary_print "$passed" "$failed" "$skipped"
}
