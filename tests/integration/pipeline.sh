#!/bin/sh
# The broadcast pipeline end to end: civicast publish -> the events
# stream -> civicastd (intake, fan-out, outbox) -> the mock HTTP provider.
# Right recipients and texts, duplicates, rejections with reasons,
# cancel, update, expiry, Pub/Sub, emergencies and opt-outs.
. "$top_srcdir/tests/lib.sh"
MOCKPROV="$top_builddir/tests/mockprov"
redis_start

# mock_start ARGS: a mock provider; its port in $PORT, its log in $MLOG.
MOCK_N=0
mock_start() {
	MOCK_N=$((MOCK_N + 1))
	MLOG="$T/mock$MOCK_N.jsonl"
	rm -f "$T/port"
	"$MOCKPROV" -p 0 -l "$MLOG" -f "$T/port" "$@" &
	MOCK_PID=$!
	TEST_PIDS="$TEST_PIDS $MOCK_PID"
	wait_for test -s "$T/port"
	PORT=$(cat "$T/port")
}
mock_stop() {
	kill "$MOCK_PID" 2>/dev/null || true
	wait "$MOCK_PID" 2>/dev/null || true
}

# conf_with PORT: the test config, with the mock as the only channel.
conf_with() {
	write_conf <<EOF
departments = ( { id = "mzj"; name = "嵊州市民政局"; signature = "【嵊州民政】";
    hotline = "0575-83022222"; },
  { id = "yjj"; name = "嵊州市应急管理局"; signature = "【嵊州应急】";
    hotline = "0575-83033333"; priorities = [ "emergency", "urgent" ]; } );
channels = ( { id = "http1"; type = "http"; driver = "generic";
    url = "http://127.0.0.1:$1/send"; method = "POST";
    body = "to=\${to}&text=\${text}&ref=\${ref}"; rate = "200/s";
    concurrency = 8; timeout = 5; } );
routes = ( { channels = [ "http1" ]; } );
outbox = { retry_min = 1; retry_max = 2; max_attempts = 50; lease = 10; };
EOF
}

daemon_start() {
	"$CIVICASTD" -d -c "$CONF" 2>>"$T/daemon.log" &
	DPID=$!
	TEST_PIDS="$TEST_PIDS $DPID"
	wait_for grep -q "subscribed to" "$T/daemon.log"
}
daemon_stop() {
	kill "$DPID" 2>/dev/null || true
	wait "$DPID" 2>/dev/null || true
}

# event_json ID FIELD...: status --json of an event, one field.
ev_field() {
	cc event status --json --department "$1" "$2" > "$T/st.json"
	python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    d = d[k]
print(d)' "$T/st.json" "$3"
}
ev_is() {
	[ "$(ev_field "$1" "$2" "$3")" = "$4" ]
}
ev_done() {
	s=$(ev_field "$1" "$2" state)
	[ "$s" = done ] || [ "$s" = cancelled ] || [ "$s" = expired ]
}
# sent_to FILE: the distinct numbers a mock log received, sorted.
sent_to() {
	python3 -c 'import json,sys
print("\n".join(sorted({json.loads(l)["to"] for l in open(sys.argv[1])})))' "$1"
}

cat > "$T/res.csv" <<'CSV'
id,phone,district,groups,name
a1,13800130001,330683102,elderly,张一
a2,13800130002,330683102,disabled,李二
a3,13800130003,330683001,elderly,王三
a4,13800130004,330602001,elderly,赵四
c1,13800130009,330683102,elderly,钱九
c2,13800130009,330683001,disabled,钱九家属
o1,13800130005,330683102,elderly,孙五
n1,13800130006,330683102,,周六
CSV
mock_start
conf_with "$PORT"
expect_rc 0 cc resident import "$T/res.csv"
expect_rc 0 cc optout add 13800130005

P1="--param title=困难残疾人生活补贴标准调整 --param detail=每人每月提高50元 --param effective_date=12月1日 --param action=无需申请，自动发放"

# 1. --dry-run: the audience, a sample and the cost, nothing published.
expect_rc 0 cc publish --dry-run --department mzj --template subsidy_notice \
    --groups elderly,disabled --districts 330683 $P1
expect_grep "audience:  4 phones" "$T/out"
expect_grep "【嵊州民政】" "$T/out"
expect_grep "咨询投诉电话：0575-83022222。" "$T/out"
expect_grep "UCS-2, 2 segments per message" "$T/out"
expect_grep "cost:      8 segments" "$T/out"
expect_eq "dry run publishes nothing" "$(rcli XLEN t:events)" 0
ok "publish --dry-run"

daemon_start

# 2. A broadcast reaches exactly its audience, once per phone.
expect_rc 0 cc publish --id e1 --department mzj --template subsidy_notice \
    --groups elderly,disabled --districts 330683 $P1
expect_grep "published mzj/e1" "$T/out"
wait_for ev_done mzj e1
expect_eq "recipients" "$(sent_to "$MLOG" | tr '\n' ' ')" \
    "13800130001 13800130002 13800130003 13800130009 "
expect_eq "one request per phone" "$(wc -l < "$MLOG" | tr -d ' ')" 4
expect_eq "messages sent" "$(ev_field mzj e1 messages_by_state.sent)" 4
expect_eq "targeted" "$(ev_field mzj e1 targeted)" 4
expect_eq "state" "$(ev_field mzj e1 state)" done
python3 - "$MLOG" <<'PY' || fail "texts"
import json, sys
for l in open(sys.argv[1]):
    m = json.loads(l)
    t = m["text"]
    assert t.startswith("【嵊州民政】"), t
    assert t.endswith("咨询投诉电话：0575-83022222。"), t
    assert "每人每月提高50元" in t, t
    # Personal: the lowest resident of a shared phone names it.
    want = {"13800130001": "张一", "13800130002": "李二",
            "13800130003": "王三", "13800130009": "钱九"}[m["to"]]
    assert t.startswith("【嵊州民政】" + want + "您好"), t
    assert m["ref"].startswith("1:"), m
PY
ok "right recipients, personal texts with signature and hotline"
expect_rc 0 cc event status --department mzj e1
expect_grep "330683102" "$T/out"
expect_grep "崇仁镇" "$T/out"
expect_grep "elderly" "$T/out"
expect_eq "reach: targeted in 330683102" \
    "$(ev_field mzj e1 reach_by_district.330683102.targeted)" 3
expect_eq "reach: sent to disabled" \
    "$(ev_field mzj e1 reach_by_group.disabled.sent)" 2
ok "event status: counts and reach by district and group"

# 3. The same event again (another stream entry) is a duplicate.
json=$(rcli XRANGE t:events - + COUNT 1 | sed -n 3p)
rcli XADD t:events '*' event "$json" >/dev/null
# A barrier behind it in the stream, to a4 alone (in no other event's
# audience): once it is sent and the outbox is idle, whatever the
# duplicate would have sent is in the mock's log.  The log line alone
# comes before any sending.
expect_rc 0 cc publish --id bar1 --department mzj --template subsidy_notice \
    --groups elderly --districts 330602001 $P1
wait_for ev_done mzj bar1
wait_for outbox_idle
expect_eq "duplicates counted" "$(ev_field mzj e1 duplicates)" 1
expect_eq "the duplicate made no event" "$(rcli HGET t:ev:ids mzj/bar1)" 2
expect_eq "duplicate not sent: e1's 4 and the barrier's 1" \
    "$(sent_to "$MLOG" | tr '\n' ' ')/$(wc -l < "$MLOG" | tr -d ' ')" \
    "13800130001 13800130002 13800130003 13800130004 13800130009 /5"
ok "duplicates are acknowledged, counted and never sent"

# 4. Bad events go to the dead-letter stream with their reason.
NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
LATER=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
PAST=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
DEFP='{"title":"t","detail":"d","effective_date":"x","action":"a"}'
ev() { # ID DEPT GROUP DISTRICT TEMPLATE EXPIRES [PARAMS]
	params=${7:-$DEFP}
	printf '{"id":"%s","department":"%s","sent":"%s","kind":"alert","priority":"routine","audience":{"groups":["%s"],"districts":["%s"]},"template":"%s","params":%s,"expires":"%s"}' \
	    "$1" "$2" "$NOW" "$3" "$4" "$5" "$params" "$6"
}
rcli XADD t:events '*' event '{"id": "broken' >/dev/null
rcli XADD t:events '*' event "$(ev b1 nosuch elderly 330683 subsidy_notice "$LATER")" >/dev/null
rcli XADD t:events '*' event "$(ev b2 mzj nosuch 330683 subsidy_notice "$LATER")" >/dev/null
rcli XADD t:events '*' event "$(ev b3 mzj elderly 330683999 subsidy_notice "$LATER")" >/dev/null
rcli XADD t:events '*' event "$(ev b4 mzj elderly 330683 nosuch "$LATER")" >/dev/null
rcli XADD t:events '*' event "$(ev b5 mzj elderly 330683 subsidy_notice "$LATER" '{"title":"t"}')" >/dev/null
rcli XADD t:events '*' event "$(ev b6 mzj elderly 330683 subsidy_notice "$PAST")" >/dev/null
rcli XADD t:events '*' nothing here >/dev/null
dead_count() { [ "$(rcli XLEN t:events:rejected)" -ge 8 ]; }
wait_for dead_count
wait_for outbox_idle
rcli XRANGE t:events:rejected - + > "$T/dead"
expect_grep "JSON" "$T/dead"
expect_grep "unknown department 'nosuch'" "$T/dead"
expect_grep "unknown group 'nosuch'" "$T/dead"
expect_grep "330683999" "$T/dead"
expect_grep "unknown template 'nosuch'" "$T/dead"
expect_grep "params.detail: missing" "$T/dead"
expect_grep "expires" "$T/dead"
expect_grep "no 'event' field" "$T/dead"
expect_grep "stream_id" "$T/dead"
expect_eq "nothing sent for bad events" "$(wc -l < "$MLOG" | tr -d ' ')" 5
expect_eq "stream fully acknowledged" \
    "$(rcli XPENDING t:events civicastd | head -1)" 0
ok "rejected events dead-lettered with reasons, stream never blocked"

# 5. Cancel: an event waiting for its not_before is stopped.
expect_rc 0 cc publish --id e2 --department mzj --template subsidy_notice \
    --groups elderly --districts 330683 --not-before "$LATER" $P1
wait_for ev_is mzj e2 state scheduled
expect_rc 0 cc event cancel --department mzj e2
expect_grep "cancelled" "$T/out"
wait_for ev_is mzj e2 messages_by_state.cancelled 3
expect_eq "cancelled: nothing sent" "$(wc -l < "$MLOG" | tr -d ' ')" 5
expect_rc 0 cc audit list --count 5
expect_grep "action=event-cancel" "$T/out"
ok "event cancel stops every message not yet handed over"

# 6. Update: replaces a scheduled event; the new audience is used.
expect_rc 0 cc publish --id e3 --department mzj --template subsidy_notice \
    --groups elderly --districts 330683 --not-before "$LATER" $P1
wait_for ev_is mzj e3 state scheduled
expect_rc 0 cc publish --id e4 --kind update --references e3 \
    --department mzj --template subsidy_notice --groups disabled \
    --districts 330683 $P1
wait_for ev_done mzj e4
expect_eq "updated event cancelled" "$(ev_field mzj e3 state)" cancelled
expect_eq "update sent to its own audience" \
    "$(ev_field mzj e4 messages_by_state.sent)" 2
expect_eq "mock requests" "$(wc -l < "$MLOG" | tr -d ' ')" 7
rcli XADD t:events '*' event "{\"id\":\"u9\",\"department\":\"mzj\",\"sent\":\"$NOW\",\"kind\":\"cancel\",\"references\":\"nosuch\",\"priority\":\"routine\"}" >/dev/null
wait_for grep -q "no event 'nosuch'" "$T/daemon.log"
ok "update replaces an event; an unknown reference is rejected"

# 7. Emergency: opt-outs do not apply; Pub/Sub is bridged to the stream.
ej=$(printf '{"id":"w1","department":"yjj","sent":"%s","kind":"alert","priority":"emergency","audience":{"districts":["330683102"]},"template":"disaster_warning","params":{"issuer":"嵊州市气象台","time":"7月28日10时","hazard":"暴雨","level":"红色","impact":"预计未来3小时降雨100毫米","advice":"请立即转移到安全地带"},"expires":"%s"}' "$NOW" "$LATER")
payload=$(python3 -c 'import json,sys; print(json.dumps({"event": sys.argv[1], "sig": ""}))' "$ej")
rcli PUBLISH t:publish "$payload" >/dev/null
wait_for ev_done yjj w1
expect_eq "emergency reaches the opted-out phone" \
    "$(tail -n +8 "$MLOG" | grep -c 13800130005)" 1
expect_eq "area-wide: every resident of the township, once per phone" \
    "$(ev_field yjj w1 messages_by_state.sent)" 5
tail -n +8 "$MLOG" | head -1 | grep -q '【嵊州应急】嵊州市气象台' || fail "warning text"
ok "emergency via Pub/Sub: area-wide, opt-outs ignored"

# 8. Expiry: a provider that keeps failing; messages end as expired.
# The channel's URL needs a restart (channels are restart-only).
daemon_stop
mock_stop
mock_start --script 503
conf_with "$PORT"
daemon_start
SOON=$(date -u -d '+4 seconds' +%Y-%m-%dT%H:%M:%SZ)
expect_rc 0 cc publish --id e5 --department mzj --template subsidy_notice \
    --groups elderly --districts 330683001 --expires "$SOON" $P1
wait_for ev_done mzj e5
expect_eq "expired" "$(ev_field mzj e5 messages_by_state.expired)" 1
expect_eq "never sent" "$(ev_field mzj e5 messages_by_state.sent)" 0
[ "$(wc -l < "$MLOG" | tr -d ' ')" -ge 2 ] || fail "no retries"
ok "temporary failures retry with backoff until the event expires"

# 9. No full phone number in the daemon's log.
if grep -E '1380013[0-9]{4}' "$T/daemon.log"; then
	fail "a full phone number in the log"
fi
ok "log holds no full phone number"

daemon_stop
mock_stop
no_sanitizer_reports "$T/daemon.log"
echo "pipeline.sh: $N_OK passed, 0 failed"
