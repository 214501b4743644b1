#!/bin/sh
# bench/fuzz.sh BUILD_DIR [SECONDS]: run every libFuzzer target for SECONDS
# (default 60) each, starting from the saved corpus.  New interesting inputs
# go to BUILD_DIR/fuzz-corpus/<target>; copy the ones worth keeping into
# tests/fuzz/corpus/<target>/ so every `make check` replays them.
#
# The build must be configured with clang and --enable-fuzzing:
#   mkdir -p build/fuzz && cd build/fuzz &&
#   CC=clang ../../configure --enable-fuzzing && make check TESTS=
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: bench/fuzz.sh BUILD_DIR [SECONDS]}
secs=${2:-60}
status=0
# Leaks inside libraries (see the file) are not ours to fix.
LSAN_OPTIONS="suppressions=$top/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
for t in phone csv conf tmpl bevent pdu at; do
	bin="$build/tests/fuzz/fuzz-$t"
	[ -x "$bin" ] || { echo "no $bin: build with --enable-fuzzing" >&2; exit 2; }
	mkdir -p "$build/fuzz-corpus/$t"
	echo "== fuzz-$t for ${secs}s"
	"$bin" -max_total_time="$secs" -print_final_stats=1 \
	    -artifact_prefix="$build/fuzz-corpus/crash-$t-" \
	    "$build/fuzz-corpus/$t" "$top/tests/fuzz/corpus/$t" \
	    2>"$build/fuzz-$t.log" || status=1
	grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ *DONE)' \
	    "$build/fuzz-$t.log" || tail -20 "$build/fuzz-$t.log"
done
exit $status
