#!/bin/bash
# contrib/dev.sh: the two commands a newcomer needs, on Debian 12.
#
#   bash contrib/dev.sh demo   install what is missing, build, and run civicast
#                              on embedded defaults against a private
#                              redis-server that it starts and stops
#   bash contrib/dev.sh test   install what is missing, build with ASan+UBSan,
#                              run the whole test suite, then make distcheck
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

# build FLAVOUR [configure args...]: configure and make in build/FLAVOUR.
build() {
	local flavour=$1; shift
	if [ ! -x configure ] || [ configure.ac -nt configure ] ||
	    [ Makefile.am -nt Makefile.in ]; then
		say "autoreconf"
		autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
	fi
	mkdir -p "build/$flavour"
	(
		cd "build/$flavour"
		if [ ! -f Makefile ] || [ "$top/configure" -nt Makefile ]; then
			say "configure $*"
			"$top/configure" -q "$@"
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

test_all() {
	deps
	build sanitizers --enable-sanitizers --enable-debug
	say "make check (ASan+UBSan)"
	local rc=0
	(cd build/sanitizers && make -s check -j"$(nproc)") || rc=$?
	summary build/sanitizers/test-suite.log "$rc" "make check"
	[ "$rc" -eq 0 ] || exit "$rc"
	say "make distcheck"
	build default
	(cd build/default && make -s distcheck >distcheck.log 2>&1) || {
		tail -40 build/default/distcheck.log
		echo "make distcheck failed; see build/default/distcheck.log"
		exit 1
	}
	grep -E '^civicast-.* archives ready for distribution' \
	    build/default/distcheck.log || true
	echo
	# Skips are named: the sanitizer build skips the valgrind test, which
	# the plain build inside distcheck runs.
	counts "ASan+UBSan build" build/sanitizers/test-suite.log
	counts "distcheck build" build/default/distcheck.log
}

# counts WHAT LOG: one line of the automake totals of LOG.
counts() {
	awk -v what="$1" '
	/^# PASS:/ { p = $3 } /^# SKIP:/ { s = $3 }
	/^# FAIL:/ { f = $3 } /^# XPASS:/ { x = $3 } /^# ERROR:/ { e = $3 }
	END { printf "tests (%s): %d passed, %d skipped, %d failed\n",
	    what, p, s, f + x + e }
	' "$2"
	grep -h '^SKIP:' "$2" | sed 's/^/  /' || true
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
