#!/bin/sh
# Replay every saved fuzz corpus through its target (make check).
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
LSAN_OPTIONS="suppressions=$top_srcdir/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
n=0
for t in phone csv conf tmpl bevent pdu at; do
	# Files, not the directory: libFuzzer runs files once, fuzzes directories.
	"$top_builddir/tests/fuzz/fuzz-$t" "$top_srcdir/tests/fuzz/corpus/$t"/*
	n=$((n + 1))
done
echo "replay.sh: $n passed, 0 failed"
