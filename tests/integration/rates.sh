#!/bin/sh
# rates.sh: channels whose emission interval is not a whole number of
# milliseconds send everything.  A 2000/s channel (0.5 ms) and a 300/s
# channel (3.333... ms) each carry a broadcast of some hundreds of
# residents to tests/mockprov: every message is sent, the slower channel
# keeps to its rate, and the limiter never hands Redis a fractional
# expiry (the daemon's log has no "not an integer" error).
. "$top_srcdir/tests/lib.sh"
MOCKPROV="$top_builddir/tests/mockprov"
command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
redis_start

NFAST=500
NSLOW=400
rm -f "$T/port"
"$MOCKPROV" -p 0 -l "$T/mock.jsonl" -f "$T/port" &
TEST_PIDS="$TEST_PIDS $!"
wait_for test -s "$T/port"
PORT=$(cat "$T/port")

# One department per channel, one route per department.
write_conf <<EOF
departments = ( { id = "mzj"; name = "嵊州市民政局"; signature = "【嵊州民政】";
    hotline = "0575-83022222"; },
  { id = "rsj"; name = "嵊州市人社局"; signature = "【嵊州人社】";
    hotline = "0575-83044444"; } );
channels = (
  { id = "fast"; type = "http"; url = "http://127.0.0.1:$PORT/fast";
    body = "to=\${to}&text=\${text}&ref=\${ref}"; rate = "2000/s";
    concurrency = 16; timeout = 5; },
  { id = "slow"; type = "http"; url = "http://127.0.0.1:$PORT/slow";
    body = "to=\${to}&text=\${text}&ref=\${ref}"; rate = "300/s";
    concurrency = 16; timeout = 5; } );
routes = ( { departments = [ "mzj" ]; channels = [ "fast" ]; },
  { departments = [ "rsj" ]; channels = [ "slow" ]; } );
outbox = { retry_min = 1; retry_max = 2; max_attempts = 50; };
EOF

echo "id,phone,district,groups,name" > "$T/res.csv"
i=0
while [ $i -lt $NFAST ]; do
	printf 'f%03d,1380013%04d,330683102,elderly,\n' $i $i >> "$T/res.csv"
	i=$((i + 1))
done
i=0
while [ $i -lt $NSLOW ]; do
	printf 's%03d,1380013%04d,330683001,elderly,\n' $i $((5000 + i)) \
	    >> "$T/res.csv"
	i=$((i + 1))
done
expect_rc 0 cc resident import "$T/res.csv"

"$CIVICASTD" -d -c "$CONF" 2>>"$T/daemon.log" &
DPID=$!
TEST_PIDS="$TEST_PIDS $DPID"
wait_for grep -q "subscribed to" "$T/daemon.log"

P="--param title=标题 --param detail=内容 --param effective_date=12月1日 --param action=无需申请"
expect_rc 0 cc publish --id f1 --department mzj --template subsidy_notice \
    --districts 330683102 $P
expect_rc 0 cc publish --id s1 --department rsj --template subsidy_notice \
    --districts 330683001 $P

field() {
	rcli HGET "t:ev:$1" "$2"
}
# Both events done, or the limiter's error in the log (the bug: no
# message of a fractional-interval channel would ever go).
settled() {
	{ [ "$(field 1 state)" = done ] && [ "$(field 2 state)" = done ]; } ||
	    grep -q "not an integer" "$T/daemon.log"
}
i=0
until settled; do
	i=$((i + 1))
	[ $i -lt 1200 ] || fail "broadcasts not done within 60 s: f1" \
	    "$(field 1 n:sent)/$NFAST sent, s1 $(field 2 n:sent)/$NSLOW sent"
	sleep 0.05
done
if grep -q "not an integer" "$T/daemon.log"; then
	grep -m 3 "not an integer" "$T/daemon.log" >&2
	fail "the limiter handed Redis a fractional number"
fi
ok "no 'not an integer' error in the daemon's log"

expect_eq "2000/s: audience" "$(field 1 targeted)" $NFAST
expect_eq "2000/s: every message sent" "$(field 1 n:sent)" $NFAST
expect_eq "300/s: audience" "$(field 2 targeted)" $NSLOW
expect_eq "300/s: every message sent" "$(field 2 n:sent)" $NSLOW

# The provider saw each phone once, through its department's channel;
# in no second did the 300/s channel carry more than its rate and burst
# (300 + 30 - 1 as admitted; 360 leaves room for the requests' own
# jitter, and 400 at once, unlimited, would still fail).
python3 - "$T/mock.jsonl" $NFAST $NSLOW <<'PY' || fail "per channel"
import json, sys
log, nfast, nslow = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
reqs = [json.loads(l) for l in open(log, encoding="utf-8")]
reqs = [r for r in reqs if "event" not in r]
by = {"/fast": [], "/slow": []}
for r in reqs:
    by[r["uri"]].append(r)
for uri, n, ev in (("/fast", nfast, "1:"), ("/slow", nslow, "2:")):
    got = by[uri]
    assert len(got) == n, (uri, len(got))
    assert len({r["to"] for r in got}) == n, uri
    assert all(r["ref"].startswith(ev) for r in got), uri
times = sorted(r["time_ms"] for r in by["/slow"])
worst, j = 0, 0
for i in range(len(times)):
    while times[i] - times[j] >= 1000:
        j += 1
    worst = max(worst, i - j + 1)
print("300/s: %d requests over %d ms, worst 1-second window %d" %
      (len(times), times[-1] - times[0], worst))
assert worst <= 360, worst
PY
ok "each phone once, through its channel; 300/s held"

kill "$DPID"
wait "$DPID" 2>/dev/null || true
no_sanitizer_reports "$T/daemon.log"
echo "rates.sh: $N_OK passed, 0 failed"
