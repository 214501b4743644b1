#!/bin/sh
# Expiry of messages still waiting when their event expires: held back
# by a slow channel rate (1/s), by the quiet hours, or by the
# department's budget.  None is sent at or after `expires`: they end
# `expired`, the provider receives nothing after the expiry time, and
# `civicast event status` shows them expired.
. "$top_srcdir/tests/lib.sh"
MOCKPROV="$top_builddir/tests/mockprov"
command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
redis_start

"$MOCKPROV" -p 0 -l "$T/mock.jsonl" -f "$T/port" &
TEST_PIDS="$TEST_PIDS $!"
wait_for test -s "$T/port"

write_conf <<EOF
departments = ( { id = "mzj"; name = "嵊州市民政局"; signature = "【嵊州民政】";
    hotline = "0575-83022222"; },
  { id = "jyj"; name = "嵊州市教育局"; signature = "【嵊州教育】";
    hotline = "0575-83044444"; budget_day = 4; } );
channels = ( { id = "slow"; type = "http";
    url = "http://127.0.0.1:$(cat "$T/port")/send";
    body = "to=\${to}&text=\${text}&ref=\${ref}"; rate = "1/s"; burst = 1; } );
outbox = { retry_min = 1; retry_max = 2; max_attempts = 50; };
EOF
# Quiet hours around now (routine only, the default), in the
# configuration's timezone.
h=$(TZ=Asia/Shanghai date +%-H)
QUIET="quiet_hours = { start = \"$(printf '%02d:00' $(((h + 23) % 24)))\"; end = \"$(printf '%02d:00' $(((h + 2) % 24)))\"; };"
NOQUIET="quiet_hours = { enabled = false; };"
sed -i "s/^quiet_hours = .*/$QUIET/" "$CONF"

{
	echo "id,phone,district,groups,name"
	for i in 1 2 3 4 5 6 7 8 9 10; do	# the rate case
		printf 'r%02d,138001350%02d,330683102,elderly,\n' $i $i
	done
	for i in 1 2 3; do			# the quiet hours case
		printf 'q%02d,138001351%02d,330683105,elderly,\n' $i $i
	done
	for i in 1 2 3 4; do			# the budget case
		printf 'b%02d,138001352%02d,330683001,elderly,\n' $i $i
	done
} > "$T/res.csv"
expect_rc 0 cc resident import "$T/res.csv"

daemon_start

P="--param title=标题 --param detail=内容 --param effective_date=12月1日 --param action=无需申请"
field() {
	rcli HGET "t:ev:$1" "$2"
}
final_state() { # E: the event is done or expired
	s=$(field "$1" state)
	[ "$s" = done ] || [ "$s" = expired ]
}
# no_late E: nothing of event E reached the mock at or after its expires.
no_late() {
	python3 - "$T/mock.jsonl" "$1" "$(field "$1" expires)" <<'PY' ||
import json, sys
log, e, exp = sys.argv[1], sys.argv[2], int(sys.argv[3])
late = [json.loads(l)["time_ms"] - exp for l in open(log) if l.strip()
        and json.loads(l).get("ref", "").startswith(e + ":")]
late = [d for d in late if d >= 0]
assert not late, "sent %s ms after expires" % late
PY
		fail "event $1: sent after its expires"
	ok "event $1: nothing sent at or after expires"
}
# check_event E DEPT ID N: E's N messages are all sent or expired, at
# least one expired; nothing of it reached the mock at or after its
# expires; event status (human and --json) shows the expired ones.
check_event() {
	python3 - "$T/mock.jsonl" "$1" "$(field "$1" expires)" "$4" \
	    "$(field "$1" n:sent)" "$(field "$1" n:expired)" <<'PY' ||
import json, sys
log, e, exp, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
sent = int(sys.argv[5] or 0)
expired = int(sys.argv[6] or 0)
reqs = [json.loads(l) for l in open(log) if l.strip()]
mine = [r for r in reqs if r.get("ref", "").startswith(e + ":")]
late = [r["time_ms"] - exp for r in mine if r["time_ms"] >= exp]
print("event %s: %d sent, %d expired, %d requests, last %s ms before "
      "expires" % (e, sent, expired, len(mine),
                   min(exp - r["time_ms"] for r in mine) if mine else "-"))
assert not late, "sent %s ms after expires" % late
assert sent + expired == n, (sent, expired, n)
assert expired >= 1, "nothing was held until expiry"
assert len(mine) == sent, (len(mine), sent)
assert len({r["to"] for r in mine}) == len(mine), "a phone got two"
PY
		fail "event $1: messages sent after expiry or not expired"
	cc event status --json --department "$2" "$3" > "$T/st.json"
	expect_eq "event $1: status --json shows the expired messages" \
	    "$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["messages_by_state"].get("expired"))' \
	    "$T/st.json")" "$(field "$1" n:expired)"
	cc event status --department "$2" "$3" > "$T/st" 2>&1
	expect_grep "^targeted $4 phones, $4 messages:.* expired $(field "$1" n:expired)\b" "$T/st"
	# Every message hash agrees with the counts.
	n_exp=0
	for k in $(rcli --scan --pattern "t:msg:$1:*"); do
		s=$(rcli HGET "$k" state)
		case $s in
		expired) n_exp=$((n_exp + 1)) ;;
		sent) ;;
		*) fail "$k is $s, not sent or expired" ;;
		esac
	done
	expect_eq "event $1: expired messages in msg hashes" "$n_exp" \
	    "$(field "$1" n:expired)"
}

# 1 and 2, at once: an urgent event of 10 at 1/s (not held by the quiet
# hours) expiring in 5 s; a routine one of 3 in the quiet hours.
SOON=$(date -u -d '+5 seconds' +%Y-%m-%dT%H:%M:%SZ)
expect_rc 0 cc publish --id slow1 --department mzj --priority urgent \
    --template subsidy_notice --districts 330683102 --expires "$SOON" $P
expect_rc 0 cc publish --id quiet1 --department mzj \
    --template subsidy_notice --districts 330683105 --expires "$SOON" $P
wait_for final_state 1
no_late 1
wait_for final_state 2
# Everything settled: nothing queued, in flight or waiting for a retry
# that could still go out.
wait_for outbox_idle
expect_eq "the slow event expired" "$(field 1 state)" expired
check_event 1 mzj slow1 10
ok "held by the channel's rate: expired at expires, nothing sent after"
expect_eq "the quiet-hours event expired" "$(field 2 state)" expired
expect_eq "quiet hours: all 3 expired" "$(field 2 n:expired)" 3
check_event 2 mzj quiet1 3
ok "held by the quiet hours: expired at expires, nothing sent"

# 3. The budget (4 segments a day; a message takes 2): two go, the other
# two wait for tomorrow, after expires: expired.
sed -i "s/^quiet_hours = .*/$NOQUIET/" "$CONF"
kill -HUP "$DPID"
wait_for grep -q "configuration reloaded" "$T/daemon.log"
SOON=$(date -u -d '+6 seconds' +%Y-%m-%dT%H:%M:%SZ)
expect_rc 0 cc publish --id budget1 --department jyj \
    --template subsidy_notice --districts 330683001 --expires "$SOON" $P
wait_for final_state 3
wait_for outbox_idle
check_event 3 jyj budget1 4
expect_eq "budget: two within it" "$(field 3 n:sent)" 2
expect_eq "budget: the event says why it was held" "$(field 3 held)" \
    "department budget"
ok "held by the department's budget: expired, nothing sent over it"

kill "$DPID"
wait "$DPID" 2>/dev/null || true
no_sanitizer_reports "$T/daemon.log"
echo "expiry.sh: $N_OK passed, 0 failed"
