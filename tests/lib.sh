# tests/lib.sh: shared set-up for the integration tests (sourced).
#
# Starts a private redis-server on a unix socket in a temp directory,
# writes a config pointing at it, and cleans everything up on exit.
# Exit code 77 tells automake the test was skipped.

set -eu

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
CIVICAST="$top_builddir/src/civicast"
CIVICASTD="$top_builddir/src/civicastd"

T=$(mktemp -d "${TMPDIR:-/tmp}/civicast-test.XXXXXX")
REDIS_SOCK="$T/redis.sock"
CONF="$T/civicast.conf"
TEST_PIDS=""

cleanup() {
	rc=$?
	for p in $TEST_PIDS; do
		kill "$p" 2>/dev/null || true
	done
	# Every daemon's log, whatever the test: no full mobile number.
	phones=$(grep -E -o -h '(^|[^0-9])1[3-9][0-9]{9}([^0-9]|$)' \
	    "$T"/daemon*.log "$T"/civicastd.log "$T"/vg-d.log 2>/dev/null |
	    head -n 3 || true)
	if [ -n "$phones" ] && [ "$rc" -eq 0 ]; then
		echo "not ok - full phone number in a daemon's log:" $phones
		KEEP_TMP=1
		rc=1
	fi
	if [ -f "$T/redis.pid" ] && [ -z "${KEEP_TMP:-}" ]; then
		kill "$(cat "$T/redis.pid")" 2>/dev/null || true
	fi
	sleep 0.1
	# KEEP_TMP=1 keeps (and its Redis running) the test's directory (logs) for a post-mortem.
	if [ -n "${KEEP_TMP:-}" ]; then
		echo "kept $T" >&2
	else
		rm -rf "$T"
	fi
	exit "$rc"
}
trap cleanup EXIT

# Start redis-server on $REDIS_SOCK (no TCP port, no persistence); a
# test that needs it is skipped (77) where it is not installed.
redis_start() {
	command -v redis-server >/dev/null 2>&1 || {
		echo "SKIP: redis-server not installed (apt-get install redis-server)"
		exit 77
	}
	redis-server --port 0 --unixsocket "$REDIS_SOCK" --unixsocketperm 700 \
	    --save '' --appendonly no --daemonize yes \
	    --pidfile "$T/redis.pid" --logfile "$T/redis.log" --dir "$T" \
	    "$@" >/dev/null
	i=0
	while [ ! -S "$REDIS_SOCK" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "redis-server did not start"
		sleep 0.05
	done
}

redis_stop() {
	if [ -f "$T/redis.pid" ]; then
		kill "$(cat "$T/redis.pid")" 2>/dev/null || true
		i=0
		while [ -S "$REDIS_SOCK" ] && [ $i -lt 100 ]; do
			sleep 0.05; i=$((i + 1))
		done
	fi
}

rcli() {
	redis-cli -s "$REDIS_SOCK" "$@"
}

# Write a config for this test; extra libconfig text may follow on stdin.
write_conf() {
	{
		echo "redis = { socket = \"$REDIS_SOCK\"; prefix = \"t:\"; };"
		echo "daemon = { log_level = \"debug\"; instance = \"test\"; };"
		echo "districts_file = \"$top_srcdir/data/divisions-cn.csv\";"
		echo "templates_dir = \"$top_srcdir/templates\";"
		echo "carriers_file = \"$top_srcdir/data/carriers.csv\";"
		# Tests run at any hour: no quiet hours unless a test says so.
		echo "quiet_hours = { enabled = false; };"
		echo 'groups = ( { id = "elderly"; name = "老年人"; },'
		echo '  { id = "disabled"; name = "残疾人"; },'
		echo '  { id = "low_income"; name = "低收入农户"; },'
		echo '  { id = "dibao"; name = "低保对象"; },'
		echo '  { id = "tekun"; name = "特困人员"; } );'
		cat
	} > "$CONF"
	# Test departments publish unsigned unless a test gives a key_file.
	sed -i 's/\(hotline = "[^"]*";\)/\1 unsigned = true;/' "$CONF"
}

cc() {
	"$CIVICAST" -c "$CONF" "$@"
}

N_OK=0
fail() {
	echo "FAIL: $*" >&2
	if [ -f "$T/daemon.log" ]; then
		echo "---- last lines of the daemon's log:" >&2
		tail -n 30 "$T/daemon.log" >&2
	fi
	exit 1
}
ok() {
	N_OK=$((N_OK + 1))
	echo "ok $N_OK - $*"
}

# expect_eq WHAT GOT WANT
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got [$2], want [$3]"
	ok "$1"
}

# expect_rc WANT CMD...: run CMD, check its exit code.
expect_rc() {
	want=$1; shift
	set +e
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	[ "$rc" = "$want" ] || {
		cat "$T/out" "$T/err" >&2
		fail "$*: exit $rc, want $want"
	}
}

# expect_grep PATTERN FILE
expect_grep() {
	grep -q -- "$1" "$2" || { cat "$2" >&2; fail "no '$1' in $2"; }
}

# wait_for CMD...: retry CMD for up to 10 s.
wait_for() {
	i=0
	until "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 200 ] || fail "timed out waiting for: $*"
		sleep 0.05
	done
}

# outbox_idle: true when every daemon sharing the test's Redis (prefix
# "t:") has read and acknowledged every entry of the events stream, no
# event is being fanned out or drained, and no message is queued, in
# flight or waiting for a retry (an event left in an active:<prio> list
# with an empty queue sends nothing).  Events waiting for their
# not_before are not counted.  Use it (under wait_for) before asserting that
# something was NOT sent: a fixed sleep proves nothing on a busy machine.
outbox_idle() {
	last=$(rcli XREVRANGE t:events + - COUNT 1 | head -n 1)
	if [ -n "$last" ]; then
		[ "$(rcli XINFO GROUPS t:events | sed -n \
		    '/^last-delivered-id$/{n;p;q;}')" = "$last" ] || return 1
		[ "$(rcli XPENDING t:events civicastd | head -n 1)" = 0 ] ||
			return 1
	fi
	[ "$(rcli SCARD t:events:resolving)" = 0 ] || return 1
	[ "$(rcli SCARD t:events:draining)" = 0 ] || return 1
	[ "$(rcli ZCARD t:retry)" = 0 ] || return 1
	for k in $(rcli --scan --pattern 't:inflight:*'); do
		[ "$k" = t:inflight:owners ] && continue
		[ "$(rcli ZCARD "$k")" = 0 ] || return 1
	done
	for k in $(rcli --scan --pattern 't:evq:*'); do
		[ "$(rcli LLEN "$k")" = 0 ] || return 1
	done
	return 0
}

# mock_start: tests/mockprov on a free port of 127.0.0.1, every request
# logged to $T/mock.jsonl (empty to begin with), its port in $T/port.
mock_start() {
	"$top_builddir/tests/mockprov" -p 0 -l "$T/mock.jsonl" -f "$T/port" &
	TEST_PIDS="$TEST_PIDS $!"
	wait_for test -s "$T/port"
	: > "$T/mock.jsonl"
}

# daemon_start: civicastd on $CONF, logging to $T/daemon.log, its pid in
# $DPID; returns once it is subscribed (reading events).
daemon_start() {
	"$CIVICASTD" -d -c "$CONF" 2>"$T/daemon.log" &
	DPID=$!
	TEST_PIDS="$TEST_PIDS $DPID"
	wait_for grep -q "subscribed to" "$T/daemon.log"
}

# hmac_sign KEYFILE DATA: the signature civicast expects (lowercase hex
# HMAC-SHA256 of DATA keyed with the file's bytes), computed by python3's
# hmac, never by civicast's own code.
hmac_sign() {
	python3 -c 'import hmac, hashlib, sys
print(hmac.new(open(sys.argv[1], "rb").read(), sys.argv[2].encode(),
               hashlib.sha256).hexdigest())' "$1" "$2"
}

# json_get FILE KEY: a top-level value of a JSON file, as JSON.
json_get() {
	python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))[sys.argv[2]], ensure_ascii=False))' "$1" "$2"
}

# no_sanitizer_reports LOG: fail when an ASan/UBSan/LSan report is in a
# daemon's log (in a sanitizer build, the daemon's own stderr).
no_sanitizer_reports() {
	# A missing log would pass the grep below: it is not a clean one.
	[ -f "$1" ] || fail "no log $1 to look for sanitizer reports in"
	if grep -q -E 'Sanitizer|runtime error:' "$1"; then
		grep -E -A20 'Sanitizer|runtime error:' "$1" | head -40 >&2
		fail "sanitizer report in $1"
	fi
	ok "no sanitizer report in the daemon's log"
}
