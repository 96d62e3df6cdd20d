#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Which mmap path the running kernel takes, seen with the function tracer.
# On 7.1 and later the core calls f_op->mmap_prepare and then
# vm_ops->mapped (the first "VMA open"); before 7.1 the driver's classic
# .mmap runs (remap_pfn_range() in it, for /dev/simpler) and counts the
# VMA itself. /dev/simpler on a buffer of several chunks keeps .mmap on
# every kernel (one remap_pfn_range per chunk). The traces and behaviour
# are the same either way: the other tests prove that part.

. "$LDD3_ROOT/tests/lib/tap.sh"
cd "$LDD3_ROOT" || exit 1
tracing=/sys/kernel/tracing
mib=$((1024 * 1024))

IFS=.- read -r major minor _ <<<"$(uname -r)"
if [ "$major" -gt 7 ] || { [ "$major" -eq 7 ] && [ "$minor" -ge 1 ]; }; then
	modern=1
	diag "$(uname -r): mmap_prepare expected"
else
	modern=0
	diag "$(uname -r): .mmap expected"
fi

mountpoint -q "$tracing" || mount -t tracefs nodev "$tracing" ||
	{ not_ok "tracefs mounts"; tap_done; exit 1; }
# The debug kernel is built without the function tracer.
if [ ! -r "$tracing/available_tracers" ]; then
	not_ok "tracefs lists the available tracers"
	tap_done
	exit 1
fi
if ! grep -qw function "$tracing/available_tracers"; then
	ok "which mmap path runs # SKIP this kernel has no function tracer (CONFIG_FUNCTION_TRACER); Debian's kernels run this"
	tap_done
	exit
fi

functions=(simple_remap_mmap simple_remap_mmap_prepare simple_fault_mmap
	simple_fault_mmap_prepare simple_vma_mapped scull_mmap
	scull_mmap_prepare scull_vma_mapped)

# traced CMD...: run CMD with the function tracer on the functions above;
# print the names of those that ran, one per line.
traced() {
	local f

	echo 0 >"$tracing/tracing_on"
	echo nop >"$tracing/current_tracer"
	: >"$tracing/set_ftrace_filter"
	for f in "${functions[@]}"; do
		# A function this kernel's build does not have is refused.
		echo "$f" >>"$tracing/set_ftrace_filter" 2>/dev/null
	done
	echo function >"$tracing/current_tracer"
	: >"$tracing/trace"
	echo 1 >"$tracing/tracing_on"
	"$@" >/dev/null 2>&1
	echo 0 >"$tracing/tracing_on"
	sed -n 's/^.*: \([a-z_]*\) <-.*$/\1/p' "$tracing/trace" | sort -u
	echo nop >"$tracing/current_tracer"
	: >"$tracing/set_ftrace_filter"
}

# expect WHAT CMD... -- [+|-]FUNCTION...: for CMD, each +FUNCTION ran and
# no -FUNCTION ran. (A static function called once may be inlined into its
# caller, so only functions called through pointers are named.)
expect() {
	local what=$1 got f bad=
	shift
	local cmd=()
	while [ "$1" != -- ]; do
		cmd+=("$1")
		shift
	done
	shift
	got=$(traced "${cmd[@]}")
	for f in "$@"; do
		case $f in
		+*) grep -qx "${f#+}" <<<"$got" || bad="$bad ${f#+} did not run;" ;;
		-*) grep -qx "${f#-}" <<<"$got" && bad="$bad ${f#-} ran;" ;;
		esac
	done
	if [ -z "$bad" ]; then
		ok "$what"
	else
		diag "ran: ${got//$'\n'/ };$bad"
		not_ok "$what"
	fi
}

if [ $modern = 1 ]; then
	expect "/dev/simpler (one chunk): mmap_prepare, then ->mapped" \
		mapper /dev/simpler 0 4096 -- +simple_remap_mmap_prepare \
		+simple_vma_mapped -simple_remap_mmap
	expect "/dev/simplen: mmap_prepare, then ->mapped" \
		mapper /dev/simplen 0 4096 -- +simple_fault_mmap_prepare \
		+simple_vma_mapped -simple_fault_mmap
else
	expect "/dev/simpler (one chunk): .mmap, no ->mapped" \
		mapper /dev/simpler 0 4096 -- +simple_remap_mmap \
		-simple_vma_mapped
	expect "/dev/simplen: .mmap, no ->mapped" \
		mapper /dev/simplen 0 4096 -- +simple_fault_mmap \
		-simple_vma_mapped
fi

head -c 8192 /dev/urandom >/dev/scullp0
if [ $modern = 1 ]; then
	expect "/dev/scullp0: mmap_prepare, then ->mapped" \
		mapper /dev/scullp0 0 4096 -- +scull_mmap_prepare \
		+scull_vma_mapped -scull_mmap
else
	expect "/dev/scullp0: .mmap, no ->mapped" \
		mapper /dev/scullp0 0 4096 -- +scull_mmap -scull_vma_mapped
fi
: >/dev/scullp0

rmmod simple && insmod simple.ko size=$((64 * mib))
check "simple loads with a 64 MiB buffer in several chunks" \
	sh -c "dmesg | tail -n 5 | grep -qE 'simple: $((64 * mib)) byte buffer in ([2-9]|[1-9][0-9]+) contiguous chunk'"
expect "/dev/simpler (chunked): .mmap on every kernel, no ->mapped" \
	mapper /dev/simpler $((3 * mib)) $((2 * mib)) -- \
	+simple_remap_mmap -simple_vma_mapped -simple_remap_mmap_prepare
rmmod simple && insmod simple.ko
tap_done
