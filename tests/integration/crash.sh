#!/bin/sh
# kill -9 of civicastd in the middle of a 10,000-message broadcast, once
# while fanning out and once while sending: after a restart every
# targeted phone gets its message, and the only duplicates are messages
# that were in flight (leased to a channel) at the moment of the crash.
. "$top_srcdir/tests/lib.sh"
MOCKPROV="$top_builddir/tests/mockprov"
command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
redis_start

"$MOCKPROV" -p 0 -l "$T/mock.jsonl" -f "$T/port" --latency 3 &
TEST_PIDS="$TEST_PIDS $!"
wait_for test -s "$T/port"
PORT=$(cat "$T/port")
write_conf <<EOF
departments = ( { id = "mzj"; name = "嵊州市民政局"; signature = "【嵊州民政】";
    hotline = "0575-83022222"; } );
channels = ( { id = "http1"; type = "http"; driver = "generic";
    url = "http://127.0.0.1:$PORT/send"; method = "POST";
    body = "to=\${to}&text=\${text}&ref=\${ref}"; rate = "1000/s";
    concurrency = 16; timeout = 5; } );
outbox = { lease = 30; };
EOF

python3 "$top_srcdir/bench/gen-residents.py" -n 10000 --seed 3 \
    --divisions "$top_srcdir/data/divisions-cn.csv" -o "$T/res.csv"
expect_rc 0 cc resident import "$T/res.csv"

start() {
	"$CIVICASTD" -d -c "$CONF" 2>>"$T/daemon.log" &
	DPID=$!
	TEST_PIDS="$TEST_PIDS $DPID"
}
field() {
	rcli HGET "t:ev:$1" "$2"
}
sent_at_least() {
	[ "$(field "$1" n:sent)" -ge "$2" ] 2>/dev/null
}
all_sent() {
	t=$(field "$1" targeted)
	[ -n "$t" ] && [ "$t" -gt 0 ] && [ "$(field "$1" n:sent)" = "$t" ]
}
# check E INFLIGHT: every targeted phone got its message; duplicates at
# most INFLIGHT.
check() {
	python3 - "$T/mock.jsonl" "$1" "$2" "$(field "$1" targeted)" <<'PY'
import json, sys
log, e, inflight, targeted = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
refs = [json.loads(l)["ref"] for l in open(log)]
mine = [r for r in refs if r.startswith(e + ":")]
distinct = len(set(mine))
dups = len(mine) - distinct
print("event %s: %d targeted, %d distinct messages, %d requests, %d duplicates, %d in flight at the crash"
      % (e, targeted, distinct, len(mine), dups, inflight))
assert distinct == targeted, "a targeted phone got nothing"
assert dups <= inflight, "more duplicates than messages in flight"
PY
}

# 1. Crash while sending.
start
expect_rc 0 cc publish --id big1 --department mzj --template subsidy_notice \
    --districts 3306 --param title=标题 --param detail=内容 \
    --param effective_date=12月1日 --param action=无需申请
wait_for sent_at_least 1 2000
kill -9 "$DPID"
wait "$DPID" 2>/dev/null || true
inflight=$(rcli ZCARD t:inflight:test)
echo "killed at $(field 1 n:sent) sent, $inflight in flight"
# Otherwise the crash came after the broadcast and tested nothing.
[ "$(field 1 n:sent)" -lt "$(field 1 messages)" ] ||
    fail "all $(field 1 messages) sent before the kill"
start
wait_for all_sent 1
check 1 "$inflight" || fail "crash while sending"
expect_eq "event done" "$(field 1 state)" done
expect_eq "nothing left in flight" "$(rcli ZCARD t:inflight:test)" 0
ok "kill -9 while sending: all delivered, duplicates only from in-flight"
kill "$DPID"; wait "$DPID" 2>/dev/null || true

# 2. Crash while fanning out (messages being created).
start
wait_for grep -q "subscribed" "$T/daemon.log"
expect_rc 0 cc publish --id big2 --department mzj --template subsidy_notice \
    --districts 3306 --param title=标题二 --param detail=内容 \
    --param effective_date=12月1日 --param action=无需申请
# The cursor is the next resident to look at; -1 once the fan-out ended.
fanning() {
	c=$(field 2 cursor)
	[ -n "$c" ] && [ "$c" != 0 ] && [ "$c" != -1 ]
}
wait_for fanning
kill -9 "$DPID"
wait "$DPID" 2>/dev/null || true
echo "killed with the fan-out at resident $(field 2 cursor), $(field 2 messages) messages made"
[ "$(field 2 cursor)" != -1 ] || fail "the fan-out ended before the kill"
inflight=$(rcli ZCARD t:inflight:test)
start
wait_for all_sent 2
expect_eq "messages made once" "$(field 2 messages)" "$(field 2 targeted)"
check 2 "$inflight" || fail "crash while fanning out"
ok "kill -9 while fanning out: each message made once, all delivered"
kill "$DPID"; wait "$DPID" 2>/dev/null || true
no_sanitizer_reports "$T/daemon.log"

echo "crash.sh: $N_OK passed, 0 failed"
