#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lint gates: the kernel's checkpatch.pl --strict, its .clang-format and
# sparse (C=2) on the kernel code, cppcheck and clang-tidy on the user
# programs. A report of any of them is a failure. One exception, in the
# checkpatch loop: the compat header may use LINUX_VERSION_CODE; four in
# tests/lib/kernel-clang-format.

cd "$(dirname "$0")/../.."
. tests/lib/tap.sh
. tests/lib/cache.sh
kdir=${LDD3_KDIR:?tests/run sets LDD3_KDIR}
src=$PWD
# LDD3_LINT_KDIR: other headers for sparse, when the test kernel's own warn
# by themselves (tests/check-debug: the debug config's page-flags.h). The
# check then builds a copy, so that the test kernel's modules stay as built.
if [ -n "${LDD3_LINT_KDIR:-}" ]; then
	kdir=$LDD3_LINT_KDIR
	src=$(mktemp -d)
	cp -r Kbuild include ./*.c "$src"/
fi
ksft=$(kselftest_dir) || exit 2
checkpatch="$ksft/../../../scripts/checkpatch.pl"
out=$(mktemp)

kernel_sources=$(git ls-files '*.c' '*.h' | grep -vE '^(misc-progs|bench|tests/[^/]*\.c$)')
user_sources=$(ls misc-progs/*.c tests/*.c bench/*.c)

for f in $kernel_sources; do
	# The one exception: the compat header exists to test the kernel
	# version, which checkpatch flags for in-tree code (LINUX_VERSION_CODE)
	# and, as both sides are macros, as a constant on the left.
	ignore=
	[ "$f" = include/kernel_compat.h ] &&
		ignore=--ignore=LINUX_VERSION_CODE,CONSTANT_COMPARISON
	if perl "$checkpatch" --strict --no-tree --quiet --show-types $ignore \
		-f "$f" >"$out" 2>&1; then
		ok "checkpatch --strict: $f"
	else
		sed 's/^/# /' "$out"
		not_ok "checkpatch --strict: $f"
	fi
done

# The kernel's .clang-format, with clang-format 14, on the kernel code.
# Four exceptions (reasons in tests/lib/kernel-clang-format): line breaks
# stay the author's (checkpatch OPEN_ENDED_LINE), multi-line macros are not
# checked (LONG_LINE), the width of inner white space is not compared (tab
# alignment, unsupported by clang-format), a const pointer is "* const".
# tests/lib holds user-space headers of the tests, like tests/*.c: kselftest
# style, not the kernel's.
for f in $(echo "$kernel_sources" | grep -v '^tests/lib/'); do
	if tests/lib/kernel-clang-format "$ksft/../../../.clang-format" "$f" \
		>"$out" 2>&1; then
		ok "clang-format (the kernel's .clang-format): $f"
	else
		sed 's/^/# /' "$out"
		not_ok "clang-format (the kernel's .clang-format): $f"
	fi
done

# sparse runs on every file of a C=2 build; any line it prints is a report.
make -s -C "$kdir" M="$src" C=2 CHECK="sparse -Wsparse-all -Wno-declaration-after-statement" \
	modules >"$out" 2>&1
rc=$?
[ "$src" = "$PWD" ] || rm -rf "$src"
# Since 6.13 the kernel's Makefile drops C=2 with only a warning when
# scripts/checker-valid.sh finds no sparse it can use (a sparse that knows
# __typeof_unqual__, or the script itself, which Debian's headers packages
# of 7.2 and 7.3 lack). Then sparse did not run: say so, never "ok".
skipped=$(grep -m1 -o 'C=[0-9] specified, but .*' "$out")
if [ -n "$skipped" ]; then
	ok "sparse (C=2) reports nothing # SKIP the kernel's Makefile did not run it: $skipped"
elif [ $rc = 0 ] && ! grep -qE 'warning:|error:' "$out"; then
	ok "sparse (C=2) reports nothing"
else
	grep -E 'warning:|error:' "$out" | sort -u | head -30 | sed 's/^/# /'
	not_ok "sparse (C=2) reports nothing"
fi

if cppcheck --quiet --error-exitcode=1 --inline-suppr \
	--enable=warning,style,performance,portability \
	--suppress=missingIncludeSystem --suppress="*:$ksft/*" \
	-I include -I tests/lib -I "$ksft" \
	$user_sources >"$out" 2>&1; then
	ok "cppcheck reports nothing on the user programs"
else
	sed 's/^/# /' "$out" | head -30
	not_ok "cppcheck reports nothing on the user programs"
fi

# One file per run: clang-tidy 14 given all the files at once reported a
# va_list in mapper.c as uninitialized right after its va_start(), which it
# does not report on the file alone.
tidy_failed=0
for f in $user_sources; do
	clang-tidy --quiet \
		--checks='-*,clang-analyzer-*,bugprone-*,cert-err34-c,-bugprone-easily-swappable-parameters,-bugprone-reserved-identifier,-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling' \
		--warnings-as-errors='*' "$f" -- -D_GNU_SOURCE -I include \
		-I tests/lib -isystem "$ksft" >"$out" 2>&1 && continue
	grep -E 'warning:|error:' "$out" | head -30 | sed 's/^/# /'
	tidy_failed=1
done
if [ $tidy_failed = 0 ]; then
	ok "clang-tidy reports nothing on the user programs"
else
	not_ok "clang-tidy reports nothing on the user programs"
fi

rm -f "$out"
tap_done
