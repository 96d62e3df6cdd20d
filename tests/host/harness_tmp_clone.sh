#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The harness works from a clone anywhere, /tmp included: the guest mounts
# a tmpfs over /tmp, and the tree must stay visible at its own path there.
# A clone of HEAD in /tmp builds the modules, and a guest started from it
# finds its working directory and loads a module built there.

cd "$(dirname "$0")/../.."
. tests/lib/tap.sh
kernel=${LDD3_KERNEL:+--kernel $LDD3_KERNEL}
kdir=${LDD3_KDIR:?tests/harness/run sets LDD3_KDIR}

clone=$(mktemp -d /tmp/ldd3-clone.XXXXXX)
err=$(mktemp)
git clone -q . "$clone/tree" 2>"$err"
check "HEAD clones into $clone" test -f "$clone/tree/Makefile"
check "the clone in /tmp builds the modules" \
	make -s -C "$clone/tree" modules KDIR="$kdir"
# shellcheck disable=SC2086
(cd "$clone/tree" && tests/harness/vm --quiet $kernel -- \
	sh -c 'test "$(pwd)" = "$1" && insmod simple.ko && rmmod simple' \
	sh "$clone/tree") 2>"$err"
rc=$?
check "a guest started in the clone runs there and loads its module" \
	test "$rc" = 0
[ "$rc" = 0 ] || sed 's/^/# /' "$err" | head -n 20
rm -rf "$clone" "$err"
tap_done
