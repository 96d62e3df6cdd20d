#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lint gates: the kernel's checkpatch.pl --strict, its .clang-format and
# sparse (C=2) on the kernel code, cppcheck and clang-tidy on the user
# programs. A report of any of them is a failure. One exception, in the
# checkpatch loop: the compat header may use LINUX_VERSION_CODE; four in
# tests/host/kernel-clang-format.

cd "$(dirname "$0")/../.."
. tests/lib/tap.sh
. tests/harness/lib/cache.sh
kdir=${LDD3_KDIR:?tests/harness/run sets LDD3_KDIR}
src=$PWD
# LDD3_LINT_KDIR: other headers for sparse, when the test kernel's own warn
# by themselves (tests/harness/check-debug: the debug config's page-flags.h). The
# check then builds a copy, so that the test kernel's modules stay as built.
if [ -n "${LDD3_LINT_KDIR:-}" ]; then
	kdir=$LDD3_LINT_KDIR
	src=$(mktemp -d)
	cp -r Kbuild dkms.conf include ./*.c "$src"/
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
# Four exceptions (reasons in tests/host/kernel-clang-format): line breaks
# stay the author's (checkpatch OPEN_ENDED_LINE), multi-line macros are not
# checked (LONG_LINE), the width of inner white space is not compared (tab
# alignment, unsupported by clang-format), a const pointer is "* const".
# tests/include holds user-space headers of the tests, like tests/*.c: kselftest
# style, not the kernel's.
for f in $(echo "$kernel_sources" | grep -v '^tests/include/'); do
	if tests/host/kernel-clang-format "$ksft/../../../.clang-format" "$f" \
		>"$out" 2>&1; then
		ok "clang-format (the kernel's .clang-format): $f"
	else
		sed 's/^/# /' "$out"
		not_ok "clang-format (the kernel's .clang-format): $f"
	fi
done

# sparse runs on every file of a C=2 build; any line it prints is a report.
# Every warning sparse has, but two the kernel's own code trips by design:
# C99 declarations (allowed since 5.18's -std=gnu11) and sizeof(void),
# which 5.10's min() and max() evaluate (__is_constexpr) on every use.
sparse_flags="-Wsparse-all -Wno-declaration-after-statement -Wno-pointer-arith"
# sparse_reports DIR: the C=2 build of the modules in DIR, sparse's reports
# as "file:line:col: warning: text" lines, or the kernel's refusal to run it.
sparse_reports() {
	make -s -C "$kdir" M="$1" C=2 $force_check CHECK="sparse $sparse_flags" \
		modules 2>&1
	echo "exit status $?"
}
# Newer kernels' Makefiles (7.2 and 7.3 here; not 6.12's) run
# scripts/checker-valid.sh, which asks sparse to parse __typeof_unqual__,
# and drop C=2 with only a warning if that fails. Debian's headers packages
# of 7.2 and 7.3 leave the script out, so C=2 is always dropped there. Then
# ask sparse the script's question here, through Kbuild, with C=2 forced by
# KBUILD_CHECKSRC on the command line (where the Makefile's fallback
# assignment cannot change it): a module using __typeof_unqual__ and
# declaring a global without a prototype. Only if sparse ran (it reports
# the global) and gave no error is C=2 kept that way for our modules.
force_check=
sparse_reports "$src" >"$out"
if grep -q 'scripts/checker-valid.sh: No such file' "$out"; then
	probe=$(mktemp -d)
	cat >"$probe/probe.c" <<'EOF_PROBE'
// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>
int probe_undeclared;
int probe_unqual(const int *q);
int probe_unqual(const int *q)
{
	__typeof_unqual__(*q) v = *q;
	return v;
}
EXPORT_SYMBOL_GPL(probe_unqual);
MODULE_LICENSE("GPL");
EOF_PROBE
	echo 'obj-m := probe.o' >"$probe/Kbuild"
	make -s -C "$kdir" M="$probe" C=2 KBUILD_CHECKSRC=2 CHECK=sparse \
		modules >"$probe/out" 2>&1
	if grep -q 'error:' "$probe/out" ||
	   ! grep -q "probe\.c:.*'probe_undeclared' was not declared" "$probe/out"; then
		diag "sparse did not check the probe module cleanly: $(grep -E 'error:|probe\.c' "$probe/out" | head -n 3 | tr '\n' ';')"
	else
		diag "the kernel's headers lack scripts/checker-valid.sh; sparse passed its check here: C=2 kept with KBUILD_CHECKSRC=2"
		force_check=KBUILD_CHECKSRC=2
		sparse_reports "$src" >"$out"
	fi
	rm -rf "$probe"
fi
[ "$src" = "$PWD" ] || rm -rf "$src"
# What the kernel's own headers make this sparse say about an empty module
# (Debian's sparse 0.6.4 against 6.12: module_init() and EXPORT_SYMBOL()
# are "non-constant initializer for static object") is not ours, nor is a
# report located in the kernel's headers: such reports are left out, and
# listed.
ref=$(mktemp -d)
cat >"$ref/ref.c" <<'EOF_REF'
// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>
static int __init ref_init(void) { return 0; }
static void __exit ref_exit(void) { }
extern int ref_symbol;
int ref_symbol;
EXPORT_SYMBOL_GPL(ref_symbol);
module_init(ref_init);
module_exit(ref_exit);
MODULE_LICENSE("GPL");
EOF_REF
echo 'obj-m := ref.o' >"$ref/Kbuild"
baseline=$(sparse_reports "$ref" | grep -oE '(warning|error): .*' | sort -u)
rm -rf "$ref"
# Reports inside the kernel's headers are the kernel's too. Ours name a
# file under $src, absolute (6.12 and older) or relative to it (7.x).
theirs=$(grep -E '^/.*(warning|error):' "$out" | grep -v "^$src/" | sort -u)
ours=$(grep -E '(warning|error):' "$out" | grep -vE '^/' ;
	grep -E "^$src/.*(warning|error):" "$out")
ours=$(echo "$ours" | grep . | while IFS= read -r line; do
	msg=$(grep -oE '(warning|error): .*' <<<"$line")
	grep -qxF -- "$msg" <<<"$baseline" || echo "$line"
done)
[ -z "$baseline$theirs" ] ||
	diag "left out, the kernel's own (in its headers, or also given for an empty module): $(echo "$theirs" "$baseline" | tr '\n' ';')"
# If the kernel's Makefile still dropped C=2 (a sparse that cannot parse
# __typeof_unqual__), sparse did not run: say so, never "ok".
skipped=
[ -n "$force_check" ] ||
	skipped=$(grep -m1 -o 'C=[0-9] specified, but .*' "$out")
if [ -n "$skipped" ]; then
	ok "sparse (C=2) reports nothing # SKIP the kernel's Makefile did not run it: $skipped"
elif grep -q 'error:' "$out"; then
	# After its first error in a file sparse stops reporting warnings in
	# it: an error anywhere, even in the kernel's headers, leaves our code
	# unchecked.
	grep 'error:' "$out" | sort -u | head -10 | sed 's/^/# /'
	not_ok "sparse (C=2) reports nothing"
elif grep -qx 'exit status 0' "$out" && [ -z "$ours" ]; then
	ok "sparse (C=2) reports nothing"
else
	echo "$ours" | sort -u | head -30 | sed 's/^/# /'
	grep -q 'exit status 0' "$out" || tail -n 5 "$out" | sed 's/^/# /'
	not_ok "sparse (C=2) reports nothing"
fi

# The user programs build against this tree's headers and Debian's
# kselftest header, never the kernel under test: they are checked once,
# with the machine's own kernel, not again for every kernel.
default_ver=$(default_kernel_version)
if [ "${LDD3_KERNEL_RELEASE:-}" != "$default_ver" ]; then
	ok "cppcheck and clang-tidy on the user programs # SKIP they do not depend on the kernel: checked with $default_ver"
else
	if cppcheck --quiet --error-exitcode=1 --inline-suppr \
		--enable=warning,style,performance,portability \
		--suppress=missingIncludeSystem --suppress="*:$ksft/*" \
		-I include -I tests/include -I /usr/include/libdrm -I "$ksft" \
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
			-I tests/include -I /usr/include/libdrm -isystem "$ksft" >"$out" 2>&1 && continue
		grep -E 'warning:|error:' "$out" | head -30 | sed 's/^/# /'
		tidy_failed=1
	done
	if [ $tidy_failed = 0 ]; then
		ok "clang-tidy reports nothing on the user programs"
	else
		not_ok "clang-tidy reports nothing on the user programs"
	fi
fi

rm -f "$out"
tap_done
