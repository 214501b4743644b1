#!/bin/sh
# Replay every saved fuzz corpus through its target (make check).
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
LSAN_OPTIONS="suppressions=$top_srcdir/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
n=0
for src in "$top_srcdir"/tests/fuzz/fuzz-*.c; do
	t=${src##*/fuzz-}
	t=${t%.c}
	# Files, not the directory: libFuzzer runs files once, fuzzes directories.
	"$top_builddir/tests/fuzz/fuzz-$t" "$top_srcdir/tests/fuzz/corpus/$t"/*
	n=$((n + 1))
done
echo "replay.sh: $n passed, 0 failed"
