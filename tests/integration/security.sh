#!/bin/sh
# Who may publish what: forged, unsigned, replayed, out-of-scope and
# oversize events are rejected with the rule they broke and nothing is
# sent; one department cannot reach another's groups or districts; the
# two-person rule for large events (the publisher may not approve), the
# emergency fast path, audit entries; no full phone number in the logs.
. "$top_srcdir/tests/lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
redis_start

mock_start
head -c 32 /dev/urandom > "$T/mzj.key"
chmod 600 "$T/mzj.key"
head -c 48 /dev/urandom > "$T/yjj.key"
chmod 600 "$T/yjj.key"

write_conf <<EOF
departments = (
  { id = "mzj"; name = "嵊州市民政局"; signature = "【嵊州民政】";
    key_file = "$T/mzj.key"; hotline = "0575-83022222";
    groups = [ "elderly", "disabled" ]; districts = [ "330683" ];
    templates = [ "subsidy_notice" ]; max_audience = 50; },
  { id = "yjj"; name = "嵊州市应急管理局"; signature = "【嵊州应急】";
    key_file = "$T/yjj.key"; hotline = "0575-83033333";
    priorities = [ "emergency", "urgent" ]; } );
channels = ( { id = "http1"; type = "http";
    url = "http://127.0.0.1:$(cat "$T/port")/send";
    body = "to=\${to}&text=\${text}&ref=\${ref}"; rate = "100/s"; } );
security = { approval_over = 3; };
EOF
# lib.sh marks test departments unsigned; these two sign.
sed -i 's/ unsigned = true;//' "$CONF"

cat > "$T/res.csv" <<'CSV'
id,phone,district,groups,name
a1,13800134001,330683102,elderly,一
a2,13800134002,330683102,elderly,二
a3,13800134003,330683102,disabled,三
a4,13800134004,330683102,tekun,四
a5,13800134005,330683001,elderly,五
b1,13800134006,330102001,elderly,杭一
CSV
expect_rc 0 cc resident import "$T/res.csv"
daemon_start

NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
OLD=$(date -u -d '-2 days' +%Y-%m-%dT%H:%M:%SZ)
LATER=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
P='"params":{"title":"t","detail":"d","effective_date":"x","action":"a"}'
ev() { # ID GROUPS DISTRICT [SENT] [PRIORITY] [TEMPLATE]
	printf '{"id":"%s","department":"mzj","sent":"%s","kind":"alert","priority":"%s","audience":{"groups":[%s],"districts":["%s"]},"template":"%s",%s,"expires":"%s"}' \
	    "$1" "${4:-$NOW}" "${5:-routine}" "$2" "$3" \
	    "${6:-subsidy_notice}" "$P" "$LATER"
}
sign() { hmac_sign "$1" "$2"; }	# KEYFILE JSON
xadd() { # JSON SIG [PUBLISHER]
	rcli XADD t:events '*' event "$1" sig "$2" publisher "${3:-tester}" \
	    >/dev/null
}
dead() {
	rcli XRANGE t:events:rejected - + > "$T/dead"
}
rejected_n() {
	[ "$(rcli XLEN t:events:rejected)" -ge "$1" ]
}

# 1. Forged and unsigned events: the right signature of the very event
# that is accepted later (ok1, section 2) with one character changed at
# the start, the middle and the end; truncated; one longer; upper-case
# (signatures are lowercase hex); the same bytes under the other
# department's key; the right key over other bytes; empty; absent.  The
# right value is computed here with python3's hmac, not civicast's code.
J_OK1=$(ev ok1 '"elderly"' 330683102)
GOOD=$(sign "$T/mzj.key" "$J_OK1")
expect_eq "python3's HMAC-SHA256 is 64 lowercase hex digits" \
    "$(printf '%s' "$GOOD" | tr -d 0-9a-f | wc -c | tr -d ' ')/${#GOOD}" "0/64"
flip() { # SIG POS: the digit at POS (0-based) changed to another one
	python3 -c 'import sys
s, i = sys.argv[1], int(sys.argv[2])
print(s[:i] + ("0" if s[i] != "0" else "1") + s[i + 1:])' "$1" "$2"
}
n0=$(rcli XLEN t:events:rejected)
: > "$T/forged"
for forged in "$(flip "$GOOD" 0)" "$(flip "$GOOD" 31)" "$(flip "$GOOD" 32)" \
    "$(flip "$GOOD" 63)" "$(printf '%s' "$GOOD" | cut -c1-63)" \
    "$(printf '%s' "$GOOD" | cut -c1-32)" "${GOOD}0" \
    "$(printf '%s' "$GOOD" | tr a-f A-F)" "$(sign "$T/yjj.key" "$J_OK1")" \
    "$(sign "$T/mzj.key" "$J_OK1 ")"; do
	[ "$forged" != "$GOOD" ] || fail "a forged signature is the right one"
	echo "$forged" >> "$T/forged"
	xadd "$J_OK1" "$forged"
done
xadd "$J_OK1" ""
rcli XADD t:events '*' event "$J_OK1" >/dev/null
nforged=$(($(wc -l < "$T/forged") + 2))
wait_for rejected_n $((n0 + nforged))
# Each rejected entry, in order: its sig field and its reason.
rcli XRANGE t:events:rejected - + > "$T/dead"
python3 - "$T/dead" "$T/forged" "$n0" <<'PY' || fail "forged signatures"
import re, sys
lines = open(sys.argv[1]).read().split("\n")
want = [l for l in open(sys.argv[2]).read().split("\n") if l]
skip = int(sys.argv[3])
entries, cur = [], None
i = 0
while i < len(lines):
    if re.fullmatch(r"\d+-\d+", lines[i]):
        cur = {}
        entries.append(cur)
        i += 1
        continue
    if cur is not None and i + 1 < len(lines):
        cur[lines[i]] = lines[i + 1]
        i += 2
    else:
        i += 1
got = entries[skip:]
assert len(got) == len(want) + 2, (len(got), len(want))
bad = "sig: does not match the event (department mzj's key)"
missing = "sig: missing; department mzj signs its events"
for e, sig in zip(got, want):
    assert e.get("sig") == sig, (e.get("sig"), sig)
    assert e.get("reason") == bad, (sig, e.get("reason"))
for e in got[len(want):]:
    assert e.get("sig", "") == "", e
    assert e.get("reason") == missing, e.get("reason")
print("%d forged signatures rejected, 2 missing ones" % len(want))
PY
expect_eq "nothing accepted from a forged or missing signature" \
    "$(rcli HLEN t:ev:ids)" 0
ok "forged (one character off, truncated, longer, upper-case, other key or bytes), empty and absent signatures are rejected"

# 2. Replays: an old sent time; the same accepted event again.
n=$(rcli XLEN t:events:rejected)
j=$(ev r1 '"elderly"' 330683102 "$OLD")
xadd "$j" "$(sign "$T/mzj.key" "$j")"
wait_for rejected_n $((n + 1))
dead
expect_grep "is more than 86400 s ago (security.max_age): a replay?" "$T/dead"
# The right signature of the event the forgeries were made from.
xadd "$J_OK1" "$GOOD"
done1() { [ "$(rcli HGET t:ev:1 state)" = done ]; }
wait_for done1
expect_eq "the rightly signed event is accepted as mzj/ok1" \
    "$(rcli HGET t:ev:ids mzj/ok1)" 1
xadd "$J_OK1" "$GOOD"
# A barrier behind the duplicate in the stream (to a5 alone): once it is
# sent and the outbox is idle, a broadcast duplicate would show.
jb=$(ev bar1 '"elderly"' 330683001)
xadd "$jb" "$(sign "$T/mzj.key" "$jb")"
doneb1() { [ "$(rcli HGET t:ev:2 state)" = done ]; }
wait_for doneb1
wait_for outbox_idle
expect_eq "the duplicate made no event" "$(rcli HGET t:ev:ids mzj/bar1)" 2
expect_eq "the duplicate is counted" "$(rcli HGET t:ev:1 duplicates)" 1
expect_eq "the signed event went once to each phone, the barrier once" \
    "$(python3 -c 'import json, sys
print(sorted(json.loads(l)["to"] for l in open(sys.argv[1])))' "$T/mock.jsonl")" \
    "['13800134001', '13800134002', '13800134005']"
ok "replays: old events rejected, duplicates never sent twice"

# 3. Scopes: another department's groups and districts, a priority, a
# template it may not use, an audience over its maximum.
n=$(rcli XLEN t:events:rejected)
for spec in 's1|"tekun"|330683102|routine|subsidy_notice' \
    's2|"elderly"|330102|routine|subsidy_notice' \
    's3|"elderly"|330683102|emergency|subsidy_notice' \
    's4||330683102|routine|subsidy_notice'; do
	IFS='|' read -r id g d pr t <<EOF2
$spec
EOF2
	j=$(ev "$id" "$g" "$d" "$NOW" "$pr" "$t")
	xadd "$j" "$(sign "$T/mzj.key" "$j")"
done
wait_for rejected_n $((n + 4))
dead
expect_grep "scope: department mzj may not reach group 'tekun' (departments.\[\].groups)" "$T/dead"
expect_grep "scope: department mzj may not reach district 330102 (departments.\[\].districts)" "$T/dead"
expect_grep "scope: department mzj may not send emergency messages" "$T/dead"
expect_grep "scope: department mzj may not send to every resident" "$T/dead"
sed -i 's/max_audience = 50;/max_audience = 2;/' "$CONF"
kill -HUP "$DPID"
wait_for grep -q "configuration reloaded" "$T/daemon.log"
j=$(ev s5 '"elderly","disabled"' 330683)
xadd "$j" "$(sign "$T/mzj.key" "$j")"
wait_for rejected_n $((n + 5))
dead
expect_grep "over department mzj's max_audience of 2" "$T/dead"
sed -i 's/max_audience = 2;/max_audience = 50;/' "$CONF"
kill -HUP "$DPID"
ok "out-of-scope events rejected with the exact rule"

# 4. Oversize.
big=$(python3 -c 'print("x" * 17000)')
j=$(ev o1 '"elderly"' 330683102 "$NOW" routine "$big")
xadd "$j" "$(sign "$T/mzj.key" "$j")"
wait_for grep -q "larger than 16384 bytes" "$T/daemon.log"
wait_for outbox_idle
expect_eq "nothing sent for rejected events" \
    "$(wc -l < "$T/mock.jsonl" | tr -d ' ')" 3
ok "oversize events rejected; nothing sent for any rejected event"

# 5. The two-person rule: over 3 phones waits for approval; another
# operator than its (signed) publisher approves it.  tests/integration/
# approval.sh tests the rule itself: self-approval, forged publishers,
# races, cancel and expiry.
j=$(ev big1 '"elderly","disabled"' 330683 | sed 's/^{/{"publisher":"alice",/')
xadd "$j" "$(sign "$T/mzj.key" "$j")" alice
pending() { [ "$(rcli SCARD t:events:pending)" -ge 1 ]; }
wait_for pending
e=$(rcli SMEMBERS t:events:pending | head -1)
expect_eq "pending" "$(rcli HGET "t:ev:$e" state)" pending_approval
expect_eq "its publisher verified" "$(rcli HGET "t:ev:$e" publisher_verified)" 1
expect_rc 0 cc event approve --department mzj big1
expect_grep "approved by" "$T/out"
doneb() { [ "$(rcli HGET "t:ev:$e" state)" = done ]; }
wait_for doneb
expect_eq "sent after approval" "$(rcli HGET "t:ev:$e" n:sent)" 4
expect_rc 0 cc audit list --count 5
expect_grep "action=event-approve" "$T/out"
expect_grep "publisher=alice" "$T/out"
ok "two-person rule: another operator approves; approval is audited"

j=$(ev big2 '"elderly","disabled"' 330683)
xadd "$j" "$(sign "$T/mzj.key" "$j")" alice
pend2() { [ "$(rcli SISMEMBER t:events:pending "$((e + 1))")" = 1 ]; }
wait_for pend2
expect_rc 0 cc event reject --department mzj --reason "wrong text" big2
expect_eq "rejected event cancelled" "$(rcli HGET "t:ev:$((e + 1))" state)" cancelled
expect_eq "its reason" "$(rcli HGET "t:ev:$((e + 1))" reason)" "wrong text"
ok "event reject by another operator"

# 6. The emergency fast path: sent at once, flagged for review.
ej=$(printf '{"id":"w1","department":"yjj","sent":"%s","kind":"alert","priority":"emergency","audience":{"districts":["330683"]},"template":"disaster_warning","params":{"issuer":"气象台","time":"10时","hazard":"暴雨","level":"红色","impact":"大雨","advice":"转移"},"expires":"%s"}' "$NOW" "$LATER")
xadd "$ej" "$(sign "$T/yjj.key" "$ej")"
ew() { rcli HGET "t:ev:$((e + 2))" state | grep -q done; }
wait_for ew
expect_eq "flagged for review" "$(rcli HGET "t:ev:$((e + 2))" review)" needed
cc event status --department yjj w1 > "$T/st" 2>&1
expect_grep "^review: needed" "$T/st"
ok "emergency fast path: sent without waiting, flagged for review"

kill "$DPID"
wait "$DPID" 2>/dev/null || true
if grep -E '1380013[0-9]{4}' "$T/daemon.log" "$T/dead"; then
	fail "a full phone number in a log or dead-letter reason"
fi
ok "no full phone number in the daemon's log or dead letters"
no_sanitizer_reports "$T/daemon.log"
echo "security.sh: $N_OK passed, 0 failed"
