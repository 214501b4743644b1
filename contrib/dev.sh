#!/bin/bash
# contrib/dev.sh: the two commands a newcomer needs, on Debian 12.
#
#   bash contrib/dev.sh demo   install what is missing, build, and run civicast
#                              on embedded defaults against a private
#                              redis-server that it starts and stops
#   bash contrib/dev.sh test   install what is missing, then what CI runs:
#                              the whole test suite in a gcc ASan+UBSan build
#                              and in a clang build, every fuzz target for
#                              CIVICAST_FUZZ_SECS (default 20) seconds on its
#                              saved corpus, a sample of 30 mutants
#                              (tests/mutate.sh, 240 s at most), and make
#                              distcheck (whose plain build runs the
#                              Valgrind test); all with -Werror
#
# Builds go to build/<flavour>/ (out of tree).  Nothing is installed
# system-wide but the Debian packages below.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

PACKAGES="build-essential autoconf automake libtool pkg-config
libhiredis-dev libevent-dev libconfig-dev libcurl4-openssl-dev
libserialport-dev libjansson-dev libcmocka-dev libssl-dev
redis-server redis-tools python3 groff-base
gammu python3-gammu gammu-smsd clang libclang-rt-14-dev valgrind"

say() { printf '\n== %s\n' "$*"; }

deps() {
	local missing=() p
	for p in $PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		    grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing Debian packages: ${missing[*]}"
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
	    --no-install-recommends "${missing[@]}" >/dev/null
}

# build FLAVOUR [configure args...]: configure (again when configure
# changed; from an empty directory when the arguments did, since make
# rebuilds nothing for new CFLAGS) and make in build/FLAVOUR.
build() {
	local flavour=$1; shift
	if [ ! -x configure ] || [ configure.ac -nt configure ] ||
	    [ Makefile.am -nt Makefile.in ]; then
		say "autoreconf"
		autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
	fi
	if [ -f "build/$flavour/Makefile" ] &&
	    [ "$(cat "build/$flavour/.dev-args" 2>/dev/null)" != "$*" ]; then
		say "new configure arguments: emptying build/$flavour"
		rm -rf "build/$flavour"
	fi
	mkdir -p "build/$flavour"
	(
		cd "build/$flavour"
		if [ ! -f Makefile ] || [ "$top/configure" -nt Makefile ] ||
		    [ "$(cat .dev-args 2>/dev/null)" != "$*" ]; then
			say "configure $*"
			"$top/configure" -q "$@"
			echo "$*" >.dev-args
		fi
		say "make ($flavour)"
		make -s -j"$(nproc)" >/dev/null
	)
}

demo() {
	deps
	build default
	exec bash "$top/contrib/demo.sh" "$top/build/default"
}

# check FLAVOUR WHAT: make check in build/FLAVOUR, its summary and failures.
check() {
	local rc=0
	say "make check ($2)"
	(cd "build/$1" && make -s check -j"$(nproc)") || rc=$?
	summary "build/$1/test-suite.log" "$rc" "$2"
	return "$rc"
}

# stage NAME CMD...: run one CI stage, note its time and whether it failed;
# a failed stage does not stop the ones after it.
stage() {
	local name=$1 t0=$SECONDS rc=0
	shift
	"$@" || rc=$?
	times="$times$(printf '  %-30s %4d s%s' "$name" $((SECONDS - t0)) \
	    "$([ "$rc" -eq 0 ] || echo "  FAILED ($rc)")")
"
	[ "$rc" -eq 0 ] || failed="$failed $name"
	return 0
}

# Each stage first removes the log its summary line reads, so a stage
# that stops early is not counted with a previous run's results.  Stages
# run in an || list, where set -e is off: each step says || return.
san_stage() {
	rm -f build/sanitizers/test-suite.log
	build sanitizers --enable-sanitizers --enable-debug --enable-werror ||
	    return
	check sanitizers "gcc ASan+UBSan"
}

# DWARF 4: Valgrind 3.19 (Debian 12) cannot read clang 14's default
# DWARF 5, and the clang build runs the Valgrind test.
clang_stage() {
	rm -f build/clang/test-suite.log
	build clang CC=clang "CFLAGS=-g -gdwarf-4 -O2" --enable-werror || return
	check clang "clang"
}

fuzz_stage() {
	rm -f build/fuzz/fuzz.out
	build fuzz CC=clang --enable-fuzzing --enable-werror || return
	say "make the fuzz targets"
	(cd build/fuzz && make -s -j"$(nproc)" check TESTS= >/dev/null) ||
	    return
	say "fuzz each target for ${CIVICAST_FUZZ_SECS:-20} s"
	bash bench/fuzz.sh build/fuzz "${CIVICAST_FUZZ_SECS:-20}" 2>&1 |
	    tee build/fuzz/fuzz.out
	return "${PIPESTATUS[0]}"
}

# A small random sample of mutants (tests/mutate.sh, docs/testing.md),
# seeded by the commit so a run can be repeated; a report, not a gate.
mutate_stage() {
	local seed
	rm -f build/mutate.md build/mutate.out
	mkdir -p build
	seed=$(( 0x$(git rev-parse --short=7 HEAD 2>/dev/null || echo 1) ))
	bash tests/mutate.sh --sample "${CIVICAST_MUTANTS:-30}" --seed "$seed" \
	    --time-box "${CIVICAST_MUTATE_SECS:-240}" --report build/mutate.md \
	    2>&1 | tee build/mutate.out | tail -n 30
	return "${PIPESTATUS[0]}"
}

distcheck_stage() {
	rm -f build/dist/distcheck.log
	build dist --enable-werror || return
	say "make distcheck"
	(cd build/dist && make -s distcheck >distcheck.log 2>&1) || {
		tail -40 build/dist/distcheck.log
		echo "make distcheck failed; see build/dist/distcheck.log"
		return 1
	}
	grep -E '^civicast-.* archives ready for distribution' \
	    build/dist/distcheck.log || true
}

test_all() {
	local times="" failed=""
	deps
	stage "gcc ASan+UBSan make check" san_stage
	stage "clang make check" clang_stage
	stage "fuzz (clang libFuzzer)" fuzz_stage
	stage "mutation sample" mutate_stage
	stage "distcheck (valgrind)" distcheck_stage
	echo
	# Skips are named: the sanitizer build skips the valgrind test, which
	# the clang build and the plain build inside distcheck run.
	counts "gcc ASan+UBSan build" build/sanitizers/test-suite.log
	counts "clang build" build/clang/test-suite.log
	counts "distcheck build" build/dist/distcheck.log
	fuzzcounts build/fuzz/fuzz.out
	grep -h '^mutants:' build/mutate.out 2>/dev/null ||
	    echo "mutants: did not run"
	printf 'times:\n%s  %-30s %4d s\n' "$times" total "$SECONDS"
	# One plain line for every build's tests together.
	cat build/sanitizers/test-suite.log build/clang/test-suite.log \
	    build/dist/distcheck.log 2>/dev/null | awk '
	/^# PASS:/ { p += $3 } /^# SKIP:/ { s += $3 }
	/^# FAIL:/ { f += $3 } /^# XPASS:/ { f += $3 } /^# ERROR:/ { f += $3 }
	END { printf "total: %d passed, %d failed, %d skipped\n", p, f, s }'

	if [ -n "$failed" ]; then
		echo "FAILED:$failed"
		exit 1
	fi
}

# counts WHAT LOG: one line of the automake totals of LOG.
counts() {
	[ -f "$2" ] || { echo "tests ($1): did not run"; return 0; }
	awk -v what="$1" '
	/^# PASS:/ { p = $3 } /^# SKIP:/ { s = $3 }
	/^# FAIL:/ { f = $3 } /^# XPASS:/ { x = $3 } /^# ERROR:/ { e = $3 }
	END { printf "tests (%s): %d passed, %d skipped, %d failed\n",
	    what, p, s, f + x + e }
	' "$2"
	grep -h '^SKIP:' "$2" | sed 's/^/  /' || true
}

# fuzzcounts LOG: one line for the fuzz run bench/fuzz.sh wrote to LOG.
fuzzcounts() {
	[ -f "$1" ] || { echo "fuzz: did not run"; return 0; }
	awk '
	/^== fuzz-/ { n++; secs = $4 } / FAILED;/ { f++ }
	/^stat::number_of_executed_units:/ { runs += $2 }
	END { printf "fuzz (%d targets, %s each): %d runs, %d failed\n",
	    n, secs, runs, f }
	' "$1"
}

# summary LOG RC WHAT: print the automake summary and any failures.
summary() {
	local log=$1 rc=$2
	if [ -f "$log" ]; then
		awk '/^# TOTAL/ { p = 1 } p { print } /^# ERROR/ { exit }' "$log"
		if [ "$rc" -ne 0 ]; then
			echo "---- failures ($3):"
			grep -E '^(FAIL|ERROR):' "$log" || true
			local dir
			dir=$(dirname "$log")
			for f in $(grep -lE '^(FAIL|ERROR)' "$dir"/tests/*/*.log 2>/dev/null); do
				echo "---- $f"; tail -40 "$f"
			done
		fi
	fi
}

case "${1:-}" in
demo)	demo ;;
test)	test_all ;;
*)	echo "usage: bash contrib/dev.sh demo|test" >&2; exit 2 ;;
esac
