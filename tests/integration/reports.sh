#!/bin/sh
# Failed delivery reports: the simulated modem answers each send with a
# +CDS status report whose TP-ST says it failed, for good (0x41) or
# after a temporary "still trying" report (0x30, then the final 0x62).
# The messages end `failed` with the report's status recorded, and the
# event's delivered counts do not move; a 0x00 report delivers.
# (HTTP providers send no delivery reports yet: nothing to test there.)
. "$top_srcdir/tests/lib.sh"
MODEMSIM="$top_builddir/tests/modemsim"
command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
[ -x "$MODEMSIM" ] || fail "$MODEMSIM not built"
redis_start

SIM="$T/sim"
mkdir -p "$SIM"
mkfifo "$T/ctl"
"$MODEMSIM" -d "$SIM" -n 1 -l "$T/sim.jsonl" --report-delay 100 \
    --control "$T/ctl" 2>"$T/sim.err" &
SIMPID=$!
TEST_PIDS="$TEST_PIDS $SIMPID"
wait_for test -f "$SIM/modemsim.pid"
exec 7>"$T/ctl"
# fault LINE: a fault through the FIFO, once the simulator logged it.
fault() {
	n=$(grep -c '"event":"fault"' "$T/sim.jsonl" || true)
	echo "$*" >&7
	taken() {
		[ "$(grep -c '"event":"fault"' "$T/sim.jsonl" || true)" -gt "$n" ]
	}
	wait_for taken
}

write_conf <<EOF
departments = ( { id = "mzj"; name = "嵊州市民政局"; signature = "【嵊州民政】";
    hotline = "0575-83022222"; } );
channels = ( { id = "m0"; type = "modem"; device = "$SIM/ttySIM0";
    rate = "600/min"; } );
outbox = { retry_min = 1; retry_max = 2; max_attempts = 5; };
limits = { recipient_routine = "10/day"; };
EOF
cat > "$T/res.csv" <<'CSV'
id,phone,district,groups,name
r1,13800136001,330683102,elderly,一
r2,13800136002,330683102,elderly,二
r3,13800136003,330683102,elderly,三
CSV
expect_rc 0 cc resident import "$T/res.csv"

daemon_start
wait_for grep -q "modem m0: up" "$T/daemon.log"

field() {
	rcli HGET "t:ev:$1" "$2"
}
n_is() { # E STATE N
	[ "$(field "$1" "n:$2")" = "$3" ]
}
# publish ID: a 2-part routine message to the three phones.
publish() { # ID
	expect_rc 0 cc publish --id "$1" --department mzj \
	    --template subsidy_notice --districts 330683102 \
	    --param title=标题 --param detail=内容 \
	    --param effective_date=12月1日 --param action=无需申请
}
# check_failed E ID DETAIL: E's 3 messages failed with report DETAIL,
# nothing delivered, in the counts, the reach and event status.
check_failed() {
	for r in $(rcli --scan --pattern "t:msg:$1:*"); do
		expect_eq "$r failed" "$(rcli HGET "$r" state)" failed
		expect_eq "$r: the report's status is recorded" \
		    "$(rcli HGET "$r" report)" "$3"
	done
	expect_eq "event $1: three messages" \
	    "$(rcli --scan --pattern "t:msg:$1:*" | wc -l | tr -d ' ')" 3
	expect_eq "event $1: delivered count did not move" \
	    "$(field "$1" n:delivered)" ""
	expect_eq "event $1: nothing left sent" "$(field "$1" n:sent)" 0
	cc event status --json --department mzj "$2" > "$T/st.json"
	expect_eq "event $1: status --json" "$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
m = d["messages_by_state"]
r = d["reach_by_district"]["330683102"]
print(m.get("failed"), m.get("delivered", 0), r.get("delivered", 0),
      r.get("sent"))' "$T/st.json")" "3 0 0 3"
	cc event status --department mzj "$2" > "$T/st" 2>&1
	expect_grep "^targeted 3 phones, 3 messages:.* failed 3" "$T/st"
}

# 1. Failed for good: TP-ST 0x41 (permanent error, 0x40-0x5F).
fault "0 report:0x41"
publish f1
wait_for n_is 1 failed 3
check_failed 1 f1 "TP-ST 0x41"
ok "a permanent failure report (TP-ST 0x41) fails the message"

# 2. Temporary: "still trying" (0x30) first, then the final temporary
# error (0x62, 0x60-0x7F: the SC gave up).  The first changes nothing.
fault "0 report:0x30,0x62"
publish f2
final_reports() { # the simulator sent the 0x62 report for all 6 parts
	[ "$(grep -c '"event":"report".*"st":98' "$T/sim.jsonl")" -ge 6 ]
}
wait_for final_reports
wait_for n_is 2 failed 3
check_failed 2 f2 "TP-ST 0x62"
ok "still trying (0x30), then a final temporary error (0x62): failed"

# 3. The same phones delivered (TP-ST 0x00): only that event's count moves.
fault "0 clear"
publish d1
wait_for n_is 3 delivered 3
expect_eq "delivered: each message's report" \
    "$(for r in $(rcli --scan --pattern 't:msg:3:*'); do rcli HGET "$r" report; done | sort -u)" \
    "TP-ST 0x00"
for e in 1 2; do
	expect_eq "event $e still has nothing delivered" \
	    "$(field "$e" n:delivered)/$(field "$e" n:failed)" "/3"
	expect_eq "event $e's reach has nothing delivered" \
	    "$(rcli HGET "t:ev:$e:reach" d:d:330683102)" ""
done
expect_eq "event 3's reach: delivered" \
    "$(rcli HGET "t:ev:3:reach" d:d:330683102)" 3
ok "a delivery report (0x00) delivers; failed events stay at 0 delivered"

kill "$DPID"
wait "$DPID" 2>/dev/null || true
no_sanitizer_reports "$T/daemon.log"
exec 7>&-
kill "$SIMPID" 2>/dev/null || true
echo "reports.sh: $N_OK passed, 0 failed"
