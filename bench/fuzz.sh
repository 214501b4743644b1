#!/bin/sh
# bench/fuzz.sh BUILD_DIR [SECONDS [TARGET...]]: run each libFuzzer target
# (default: every tests/fuzz/fuzz-*.c) for SECONDS (default 60), starting
# from its saved corpus tests/fuzz/corpus/<target>/.  CI runs it (contrib/
# dev.sh test) with CIVICAST_FUZZ_SECS seconds each.
#
# New interesting inputs go to BUILD_DIR/fuzz-corpus/<target>/; copy the
# ones worth keeping into tests/fuzz/corpus/<target>/ so every `make check`
# replays them.  A crash, a leak, a timeout (an input over 10 s) or an
# out-of-memory fails the run: the sanitizer report is printed, and the
# input is kept in BUILD_DIR/fuzz-crashes/ and shown in hex.  Exit 0 when
# every target ran clean, 1 when one failed, 2 on a usage error.
#
# The build must be configured with clang and --enable-fuzzing:
#   mkdir -p build/fuzz && cd build/fuzz &&
#   CC=clang ../../configure --enable-fuzzing && make check TESTS=
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: bench/fuzz.sh BUILD_DIR [SECONDS [TARGET...]]}
secs=${2:-60}
[ $# -gt 2 ] && shift 2 || set --
case $secs in
''|*[!0-9]*) echo "bench/fuzz.sh: SECONDS must be a number" >&2; exit 2 ;;
esac
if [ $# -eq 0 ]; then
	for src in "$top"/tests/fuzz/fuzz-*.c; do
		t=${src##*/fuzz-}
		set -- "$@" "${t%.c}"
	done
fi
# Leaks inside libraries (see the file) are not ours to fix.
LSAN_OPTIONS="suppressions=$top/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
crashes="$build/fuzz-crashes"
mkdir -p "$crashes"
status=0
failed=""
for t in "$@"; do
	bin="$build/tests/fuzz/fuzz-$t"
	[ -x "$bin" ] || { echo "no $bin: build with --enable-fuzzing" >&2; exit 2; }
	[ -d "$top/tests/fuzz/corpus/$t" ] ||
	    { echo "no saved corpus tests/fuzz/corpus/$t" >&2; exit 2; }
	mkdir -p "$build/fuzz-corpus/$t"
	log="$build/fuzz-$t.log"
	echo "== fuzz-$t for ${secs}s"
	# Artifacts are named <target>-crash-<sha1> (or leak-, timeout-,
	# oom-); clear a previous run's so what is listed is this run's.
	rm -f "$crashes/$t"-*
	if "$bin" -max_total_time="$secs" -timeout=10 -print_final_stats=1 \
	    -artifact_prefix="$crashes/$t-" \
	    "$build/fuzz-corpus/$t" "$top/tests/fuzz/corpus/$t" \
	    >"$log" 2>&1; then
		grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+[[:space:]]*DONE)' \
		    "$log" || true
		continue
	fi
	status=1
	failed="$failed fuzz-$t"
	# The report, from its first line (libFuzzer's log is long before).
	echo "fuzz-$t FAILED; from $log:"
	awk '/ERROR: |runtime error|deadly signal|ALARM: |out-of-memory/ \
	    { p = 1 } p && n++ < 60' "$log" | grep . || tail -40 "$log"
	for a in "$crashes/$t"-*; do
		[ -f "$a" ] || continue
		echo "-- input kept in $a ($(wc -c <"$a") bytes; replay: $bin $a):"
		od -A d -t x1z "$a" | head -32
	done
done
[ $status -eq 0 ] || echo "fuzzing failed:$failed"
exit $status
