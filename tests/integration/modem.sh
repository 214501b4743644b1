#!/bin/sh
# civicastd with a pool of simulated GSM modems (tests/modemsim on ptys):
# a Chinese multipart broadcast spread over the modems and confirmed by
# status reports; then faults (error codes, URC noise, MR wrap, a modem
# unplugged mid-broadcast) that lose nothing and duplicate nothing but
# messages recorded as unknown.
. "$top_srcdir/tests/lib.sh"
MODEMSIM="$top_builddir/tests/modemsim"
command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
[ -x "$MODEMSIM" ] || fail "$MODEMSIM not built"
redis_start

SIM="$T/sim"
mkdir -p "$SIM"
mkfifo "$T/ctl"
"$MODEMSIM" -d "$SIM" -n 3 -l "$T/sim.jsonl" --latency 40 \
    --report-delay 200 --control "$T/ctl" 2>"$T/sim.err" &
SIMPID=$!
TEST_PIDS="$TEST_PIDS $SIMPID"
wait_for test -f "$SIM/modemsim.pid"
# Keep the FIFO open for writing so each echo is not an end of file.
exec 7>"$T/ctl"
fault() {
	echo "$*" >&7
}

write_conf <<EOF
departments = ( { id = "mzj"; name = "嵊州市民政局"; signature = "【嵊州民政】";
    hotline = "0575-83022222"; } );
channels = (
  { id = "m0"; type = "modem"; device = "$SIM/ttySIM0"; rate = "600/min"; },
  { id = "m1"; type = "modem"; device = "$SIM/ttySIM1"; rate = "600/min"; },
  { id = "m2"; type = "modem"; device = "$SIM/ttySIM2"; rate = "600/min"; } );
outbox = { retry_min = 1; retry_max = 2; max_attempts = 20; lease = 30; };
EOF

cat > "$T/res.csv" <<'CSV'
id,phone,district,groups,name
CSV
i=0
while [ $i -lt 30 ]; do
	printf 'r%02d,138001300%02d,330683102,elderly,居民%02d\n' $i $i $i \
	    >> "$T/res.csv"
	i=$((i + 1))
done
expect_rc 0 cc resident import "$T/res.csv"

"$CIVICASTD" -d -c "$CONF" 2>"$T/daemon.log" &
DPID=$!
TEST_PIDS="$TEST_PIDS $DPID"
modems_up() {
	[ "$(grep -c 'modem m[0-9]: up' "$T/daemon.log")" -ge 3 ]
}
wait_for modems_up
ok "three modems initialised"

field() {
	rcli HGET "t:ev:$1" "$2"
}
finished() {
	s=$(field "$1" state)
	[ "$s" = done ]
}
all_delivered() {
	[ "$(field "$1" n:delivered)" = "$(field "$1" messages)" ]
}

LONG="根据省市有关规定，自2026年12月1日起，困难残疾人生活补贴和重度残疾人护理补贴标准同步提高，补贴资金按月发放到您的社会保障卡，请注意查收并妥善保管卡片和密码。"
expect_rc 0 cc publish --id m1 --department mzj --template subsidy_notice \
    --districts 330683102 --param title=两项补贴标准调整 \
    --param "detail=$LONG" --param effective_date=12月1日 \
    --param action=无需申请
wait_for finished 1
python3 - "$T/sim.jsonl" <<'PY' || fail "multipart broadcast"
import json, sys, collections
msgs = collections.defaultdict(dict)
modems = set()
for l in open(sys.argv[1]):
    m = json.loads(l)
    if "event" in m:
        continue
    c = m["concat"]
    assert c is not None, "a long text must be multipart"
    assert m["coding"] == "ucs2", m["coding"]
    msgs[(m["modem"], m["number"], c["ref"])][c["seq"]] = (c["total"], m["text"])
    modems.add(m["modem"])
numbers = collections.Counter(k[1] for k in msgs)
assert len(numbers) == 30, len(numbers)
assert all(n == 1 for n in numbers.values()), "a phone got two messages"
for k, parts in msgs.items():
    total = list(parts.values())[0][0]
    assert total >= 2 and sorted(parts) == list(range(1, total + 1)), (k, parts)
    text = "".join(parts[s][1] for s in sorted(parts))
    assert text.startswith("【嵊州民政】居民"), text
    assert text.endswith("咨询投诉电话：0575-83022222。"), text
assert len(modems) == 3, modems
print("30 phones, %d parts each, over %d modems" % (total, len(modems)))
PY
ok "a Chinese multipart broadcast over three modems, one message per phone"
wait_for all_delivered 1
expect_eq "delivered by status reports" "$(field 1 n:delivered)" 30
ok "status reports mark every message delivered"

# The state in Redis is rewritten every 2 s: "sending" may outlive the
# last send by that long, so wait for "ready" rather than expect it.
listed() {
	cc modem list > "$T/out" 2>&1 &&
	    [ "$(grep -c '^m[0-9]' "$T/out")" = 3 ] && grep -q "m0 *ready" "$T/out"
}
wait_for listed
expect_grep "m0 *ready" "$T/out"
expect_grep "86123456000000" "$T/out"
expect_eq "three modems listed" "$(grep -c '^m[0-9]' "$T/out")" 3
ok "civicast modem list"

# Faults: m0 answers +CMS ERROR 500 (temporary) to every send, m1 is
# noisy, m2's references wrap; then m1 is unplugged for a while.
fault "0 cms:500"
fault "1 urc-noise"
fault "2 mr-wrap"
: > "$T/sim2.start"
n0=$(wc -l < "$T/sim.jsonl")
expect_rc 0 cc publish --id m2 --department mzj --template subsidy_notice \
    --districts 330683102 --param title=第二批 \
    --param "detail=$LONG" --param effective_date=12月1日 \
    --param action=无需申请
sent_some() {
	[ "$(field 2 n:sent)" -ge 5 ] 2>/dev/null
}
wait_for sent_some
fault "1 unplug:2"
wait_for finished 2
unknown=$(field 2 n:unknown)
unknown=${unknown:-0}
failed=$(field 2 n:failed)
expect_eq "nothing failed" "${failed:-0}" 0
tail -n +"$((n0 + 1))" "$T/sim.jsonl" > "$T/sim2.jsonl"
python3 - "$T/sim2.jsonl" "$unknown" <<'PY' || fail "faults"
import json, sys, collections
unknown = int(sys.argv[2])
complete = collections.Counter()
parts = collections.defaultdict(dict)
rejected = 0
for l in open(sys.argv[1]):
    m = json.loads(l)
    if m.get("event") == "rejected":
        rejected += 1
    if "event" in m:
        continue
    c = m["concat"]
    parts[(m["modem"], m["number"], c["ref"])][c["seq"]] = c["total"]
for (modem, number, ref), p in parts.items():
    total = list(p.values())[0]
    if sorted(p) == list(range(1, total + 1)):
        complete[number] += 1
dups = sum(n - 1 for n in complete.values())
print("%d phones with a whole message; %d duplicates, %d unknown; "
      "%d sends refused" % (len(complete), dups, unknown, rejected))
# A message whose outcome is unknown is not resent (outbox.unknown_resend
# is 0): its phone may have nothing; every other phone has its message.
assert len(complete) + unknown >= 30, "a phone lost its message"
assert dups <= unknown, "duplicates beyond the unknown ones"
assert rejected > 0, "the error fault never fired"
PY
expect_grep "modem m1: down" "$T/daemon.log"
ok "faults: nothing lost, duplicates only among unknown outcomes"
expect_grep "quarantine" "$T/daemon.log"
ok "the failing modem is quarantined; its messages went elsewhere"

# The operator's policy for unknown outcomes: resend after a while.
if [ "$unknown" -gt 0 ]; then
	fault "all clear"
	sed -i 's/lease = 30; };/lease = 30; unknown_resend = 1; };/' "$CONF"
	kill -HUP "$DPID"
	no_unknown() {
		u=$(field 2 n:unknown)
		[ "${u:-0}" = 0 ] && finished 2
	}
	wait_for no_unknown
	tail -n +"$((n0 + 1))" "$T/sim.jsonl" > "$T/sim3.jsonl"
	python3 - "$T/sim3.jsonl" <<'PY' || fail "resend of unknown"
import json, sys, collections
parts = collections.defaultdict(dict)
for l in open(sys.argv[1]):
    m = json.loads(l)
    if "event" in m:
        continue
    c = m["concat"]
    parts[(m["modem"], m["number"], c["ref"])][c["seq"]] = c["total"]
whole = {k[1] for k, p in parts.items()
         if sorted(p) == list(range(1, list(p.values())[0] + 1))}
assert len(whole) == 30, len(whole)
PY
	ok "outbox.unknown_resend: an unknown outcome is sent again"
fi

kill "$DPID"
wait "$DPID" 2>/dev/null || true
if grep -E '1380013[0-9]{4}' "$T/daemon.log"; then
	fail "a full phone number in the log"
fi
no_sanitizer_reports "$T/daemon.log"
exec 7>&-
kill "$SIMPID" 2>/dev/null || true
echo "modem.sh: $N_OK passed, 0 failed"
