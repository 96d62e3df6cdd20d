#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The figures of bench/mmap_bench that are exact (minor fault counts from
# getrusage, never timings), in its quick mode: 4 MiB per mapping, placed
# at a 2 MiB aligned address, so the counts do not depend on where mmap put
# the range.
#  - /dev/simpler is mapped whole by mmap: no fault when touched;
#  - /dev/simplen and scull without fault-around: one fault per page;
#  - simplen and scullp1 (order 9) with fault-around: one fault per 2 MiB
#    where the kernel maps their folios with PMD entries (6.16+, 4 KiB
#    pages);
#  - with fault-around: at most one fault per 64 KiB window, reading or
#    writing (a write fault in a shared mapping maps its window), also in
#    the first page of every page table (scull_vma_fault maps the window
#    when ->map_pages could not; simplen maps it from ->fault), in the
#    table and, for scull, in the scaling figure;
#  - the scaling ratio is reported for scullp and scullv.

. "$LDD3_ROOT/tests/lib/tap.sh"
bench=$LDD3_ROOT/bench/mmap_bench
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# Quick mode maps 4 MiB; simple's default region is 1 MiB.
rmmod simple && insmod "$LDD3_ROOT/simple.ko" size=$((4 << 20)) ||
	not_ok "simple.ko reloads with size=4M"

"$bench" --quick >"$out" 2>&1
rc=$?
check "mmap_bench --quick exits with status 0 (got $rc)" test "$rc" = 0
[ "$rc" = 0 ] || sed 's/^/# /' "$out"

# figure FIGURE TARGET FA KEY: the value of KEY on that "bench" line.
figure() {
	awk -v f="figure=$1" -v t="target=$2" -v a="fault_around=$3" -v k="$4=" '
		$1 == "bench" && $2 == f && $3 == t && $4 == a {
			for (i = 5; i <= NF; i++)
				if (index($i, k) == 1)
					print substr($i, length(k) + 1)
		}' "$out"
}

page=$(getconf PAGESIZE)
window=$(((64 << 10) / page))
want=$(((4 << 20) / page))
pages=$(figure read_touch_faults simpler - pages)
check "the table covers $want pages (got ${pages:-none})" test "${pages:-0}" = "$want"
pages=${pages:-$want}

# fault_count FIGURE TARGET FA OP LIMIT: the worst run's count OP LIMIT.
fault_count() {
	local got

	got=$(figure "$1" "$2" "$3" max)
	check "$2 (fault_around $3) $1: $got $4 $5" \
		test -n "$got" -a "${got:-0}" "$4" "$5"
}

fault_count read_touch_faults simpler - -eq 0
fault_count write_touch_faults simpler - -eq 0
# Where the kernel maps a driver's 2 MiB folio with one PMD entry (6.16+,
# transparent huge pages "always", as Debian ships them), simplen and
# scullp1 (order 9) take one fault per 2 MiB; elsewhere fault-around's.
# A page table holds page / 8 entries, so a PMD maps 512 pages (order 9,
# 2 MiB) only with 4 KiB pages: with 16 KiB pages it maps 32 MiB, more than
# these mappings.
IFS=. read -r major minor _ <<<"$(uname -r)"
minor=${minor%%[!0-9]*}
if [ $((major * 100 + minor)) -ge 616 ] && [ $((page / 8)) -eq 512 ] &&
	grep -q '\[always\]' /sys/kernel/mm/transparent_hugepage/enabled; then
	huge_faults=$((pages / 512))
	echo "# PMD mappings expected: $huge_faults faults for $pages pages"
else
	huge_faults=
	echo "# no PMD mappings on this kernel: fault-around's counts"
fi
for dev in simplen scullp1; do
	for fig in read_touch_faults write_touch_faults; do
		if [ -n "$huge_faults" ]; then
			fault_count "$fig" "$dev" 1 -eq "$huge_faults"
		else
			fault_count "$fig" "$dev" 1 -le $((pages / window))
		fi
	done
done
fault_count read_touch_faults scullp1 0 -eq "$pages"
fault_count write_touch_faults scullp1 0 -eq "$pages"

for dev in simplen scullp0 scullv0; do
	fault_count read_touch_faults "$dev" 1 -le $((pages / window))
	fault_count read_touch_faults "$dev" 0 -eq "$pages"
	fault_count write_touch_faults "$dev" 1 -le $((pages / window))
	fault_count write_touch_faults "$dev" 0 -eq "$pages"
done

# Scaling: the last 1 MiB of devices of 1, 2 and 4 MiB.
scale_pages=$(((1 << 20) / page))
for m in scullp scullv; do
	for d in 1 2 3; do
		fault_count scale_read_touch_faults "$m$d" 1 -le $((scale_pages / window))
		fault_count scale_read_touch_faults "$m$d" 0 -eq "$scale_pages"
	done
	for fa in 1 0; do
		ratio=$(figure scale_ratio "$m" "$fa" median)
		check "scaling ratio of $m (fault_around $fa) is reported: ${ratio:-none}" \
			awk -v r="$ratio" 'BEGIN { exit !(r + 0 > 0) }'
	done
done

for m in scull_core simple; do
	check "$m's parameter fault_around is left as it was (Y)" \
		grep -qx Y "/sys/module/$m/parameters/fault_around"
done
check "scullp and scullv are left with their default order (scullp1 had 9)" \
	test -z "$(grep -v ' order 0,' /proc/scullpmem; grep -v ' order 4,' /proc/scullvmem)"
check "scullp and scullv are left empty, with their default qset" \
	test -z "$(grep -v 'size 0, qset 500,' /proc/scullpmem /proc/scullvmem)"

tap_done
