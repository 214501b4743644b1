#!/bin/sh
# Retention: civicast event purge removes the message records of finished
# events and keeps their counts, reach and listing; events still to be
# sent are left alone; the purge is audited and may be run again.
. "$top_srcdir/tests/lib.sh"
MOCKPROV="$top_builddir/tests/mockprov"
redis_start

rm -f "$T/port"
"$MOCKPROV" -p 0 -l "$T/mock.jsonl" -f "$T/port" &
MOCK_PID=$!
TEST_PIDS="$TEST_PIDS $MOCK_PID"
wait_for test -s "$T/port"
PORT=$(cat "$T/port")

write_conf <<EOF
departments = ( { id = "mzj"; name = "嵊州市民政局"; signature = "【嵊州民政】";
    hotline = "0575-83022222"; } );
channels = ( { id = "http1"; type = "http"; driver = "generic";
    url = "http://127.0.0.1:$PORT/send"; method = "POST";
    body = "to=\${to}&text=\${text}&ref=\${ref}"; rate = "200/s";
    concurrency = 8; timeout = 5; } );
routes = ( { channels = [ "http1" ]; } );
EOF

"$CIVICASTD" -d -c "$CONF" 2>>"$T/daemon.log" &
DPID=$!
TEST_PIDS="$TEST_PIDS $DPID"
wait_for grep -q "subscribed to" "$T/daemon.log"

# ev_field ID FIELD: one field of event status --json (a.b for nested).
ev_field() {
	cc event status --json --department mzj "$1" > "$T/st.json"
	python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    d = d[k]
print(d)' "$T/st.json" "$2"
}
ev_is() {
	[ "$(ev_field "$1" "$2")" = "$3" ]
}
# msgs E: how many message records event E has.
msgs() {
	rcli --scan --pattern "t:msg:$1:*" | wc -l | tr -d ' '
}

cat > "$T/res.csv" <<'CSV'
id,phone,district,groups,name
a1,13800130001,330683102,elderly,张一
a2,13800130002,330683102,elderly,李二
a3,13800130003,330683001,elderly,王三
CSV
expect_rc 0 cc resident import "$T/res.csv"

P1="--param title=困难残疾人生活补贴标准调整 --param detail=每人每月提高50元 --param effective_date=12月1日 --param action=无需申请，自动发放"
LATER=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)

# 1. A finished event and one waiting for its not_before.
expect_rc 0 cc publish --id e1 --department mzj --template subsidy_notice \
    --groups elderly --districts 330683 $P1
wait_for ev_is e1 state done
expect_eq "e1 sent" "$(ev_field e1 messages_by_state.sent)" 3
expect_eq "e1 has message records" "$(msgs 1)" 3
expect_rc 0 cc publish --id e2 --department mzj --template subsidy_notice \
    --groups elderly --districts 330683 --not-before "$LATER" $P1
wait_for ev_is e2 state scheduled
expect_eq "e2 has message records" "$(msgs 2)" 3

# 2. The configured retention (180 days) purges nothing this recent.
expect_rc 0 cc event purge
expect_grep "purged 0 message records of 0 events" "$T/out"
expect_eq "default retention keeps e1" "$(msgs 1)" 3
ok "event purge without --older-than keeps recent events"

# 3. --older-than 0: every finished event now.
expect_rc 0 cc event purge --older-than 0
expect_grep "purged 3 message records of 1 events" "$T/out"
expect_eq "e1 records gone" "$(msgs 1)" 0
expect_eq "e1 n:sent kept" "$(rcli HGET t:ev:1 n:sent)" 3
expect_eq "e1 messages kept" "$(rcli HGET t:ev:1 messages)" 3
expect_eq "e1 reach kept" "$(rcli EXISTS t:ev:1:reach)" 1
expect_eq "e1 marked" "$(rcli HGET t:ev:1 purged_messages)" 3
expect_eq "e1 listed" "$(rcli ZSCORE t:events:list 1 | grep -c .)" 1
expect_eq "scheduled e2 not purged" "$(msgs 2)" 3
expect_eq "e2 not marked" "$(rcli HEXISTS t:ev:2 purged_messages)" 0
expect_eq "e2 still scheduled" "$(ev_field e2 state)" scheduled

# 4. What people look at is as before.
expect_rc 0 cc event status --department mzj e1
expect_grep "targeted 3 phones, 3 messages: sent 3" "$T/out"
expect_grep "330683102" "$T/out"
expect_eq "status: sent" "$(ev_field e1 messages_by_state.sent)" 3
expect_eq "status: reach" \
    "$(ev_field e1 reach_by_district.330683102.sent)" 2
expect_rc 0 cc event list
expect_grep "3/3 sent" "$T/out"
ok "a purged event keeps its counts, reach and listing"

# 5. Audited; a second run finds nothing to do.
expect_rc 0 cc audit list --count 5
expect_grep "action=purge" "$T/out"
expect_grep "messages=3" "$T/out"
expect_rc 0 cc --json event purge --older-than 0
expect_eq "second run" "$(json_get "$T/out" messages)" 0
expect_eq "second run: events" "$(json_get "$T/out" events)" 0
expect_rc 2 cc event purge --older-than -1
expect_rc 2 cc event purge extra

# 6. A cancelled event's records go too, once it is drained.
expect_rc 0 cc event cancel --department mzj e2
wait_for ev_is e2 messages_by_state.cancelled 3
expect_rc 0 cc event purge --older-than 0
expect_grep "purged 3 message records of 1 events" "$T/out"
expect_eq "e2 records gone" "$(msgs 2)" 0
expect_eq "e2 cancelled kept" "$(ev_field e2 messages_by_state.cancelled)" 3
expect_eq "nothing sent for e2" "$(wc -l < "$T/mock.jsonl" | tr -d ' ')" 3

kill "$DPID" 2>/dev/null || true
wait "$DPID" 2>/dev/null || true
kill "$MOCK_PID" 2>/dev/null || true
wait "$MOCK_PID" 2>/dev/null || true
no_sanitizer_reports "$T/daemon.log"
echo "retention.sh: $N_OK passed, 0 failed"
