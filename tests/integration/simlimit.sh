#!/bin/sh
# A modem's SIM limits survive a restart of civicastd: under "2/hour",
# two short messages go, the third waits; after civicastd is restarted
# the SIM's two parts are counted again (from Redis) and the third still
# waits, where a fresh allowance would have sent it at once.
. "$top_srcdir/tests/lib.sh"
MODEMSIM="$top_builddir/tests/modemsim"
command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
[ -x "$MODEMSIM" ] || fail "$MODEMSIM not built"
redis_start

SIM="$T/sim"
mkdir -p "$SIM"
"$MODEMSIM" -d "$SIM" -n 1 -l "$T/sim.jsonl" --latency 20 2>"$T/sim.err" &
TEST_PIDS="$TEST_PIDS $!"
wait_for test -f "$SIM/modemsim.pid"

write_conf <<EOF
departments = ( { id = "mzj"; name = "嵊州市民政局"; signature = "【嵊州民政】";
    hotline = "0575-83022222"; } );
channels = (
  { id = "m0"; type = "modem"; device = "$SIM/ttySIM0"; rate = "600/min";
    limits = [ "2/hour" ]; } );
EOF
cat > "$T/res.csv" <<'CSV'
id,phone,district,groups,name
s1,13800137001,330683102,elderly,一
s2,13800137002,330683102,elderly,二
s3,13800137003,330683102,elderly,三
CSV
expect_rc 0 cc resident import "$T/res.csv"
daemon_start
wait_for grep -q "modem m0: up" "$T/daemon.log"

sent() {	# messages the simulated modem received (reports are events)
	python3 -c 'import json, sys
print(sum(1 for l in open(sys.argv[1]) if "event" not in json.loads(l)))' \
	    "$T/sim.jsonl"
}
field() { rcli HGET "t:ev:$1" "$2"; }
expect_rc 0 cc publish --id s1 --department mzj --template subsidy_notice \
    --districts 330683102 --param title=补贴 --param detail=标准 \
    --param effective_date=1日 --param action=无需申请
# Two parts go, then the SIM's hourly cap holds the third.
two_sent() { [ "$(field 1 n:sent)" = 2 ]; }
wait_for two_sent
wait_for grep -q "modem m0: rate limit reached" "$T/daemon.log"
expect_eq "two messages at the modem" "$(sent)" 2
expect_eq "the third queued" "$(field 1 n:queued)" 1
sim=$(rcli --scan --pattern 't:sim:*' | grep -v ':n$' | head -n 1)
[ -n "$sim" ] || fail "no SIM window key in Redis"
expect_eq "two parts kept for the SIM" "$(rcli ZCARD "$sim")" 2
ttl=$(rcli PTTL "$sim")
[ "$ttl" -gt 3590000 ] && [ "$ttl" -le 3601000 ] ||
    fail "the SIM's parts expire in $ttl ms, not after the hour"
ok "2/hour: two parts sent and kept in Redis, the third waits"

# Restart: the counts come back from Redis, the third still waits.
kill "$DPID"
wait "$DPID" 2>/dev/null || true
mv "$T/daemon.log" "$T/daemon-1.log"
daemon_start
wait_for grep -q "modem m0: up" "$T/daemon.log"
# Either the cap holds, or (a fresh allowance) the third goes.
held_or_sent() {
	grep -q "modem m0: rate limit reached" "$T/daemon.log" ||
	    [ "$(sent)" -ge 3 ]
}
wait_for held_or_sent
expect_eq "still two messages at the modem" "$(sent)" 2
expect_grep "modem m0: 2 parts sent through this SIM within its limits' windows, counted again" "$T/daemon.log"
expect_eq "still queued after the restart" "$(field 1 n:queued)" 1
expect_eq "still two parts kept" "$(rcli ZCARD "$sim")" 2
ok "after a restart the SIM's cap still holds"

kill "$DPID"
wait "$DPID" 2>/dev/null || true
no_sanitizer_reports "$T/daemon.log"
echo "simlimit.sh: $N_OK passed, 0 failed"
