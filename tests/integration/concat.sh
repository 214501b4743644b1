#!/bin/sh
# Concatenation references: long messages sent one after the other by
# the same modem carry different references (UDH IEI 0x00, 8 bits), so
# a phone never joins parts of two messages.  Over 256 messages the
# 8-bit reference must wrap (255 -> 0) and still never repeat within 256
# messages; a second event to the same phones right after takes new ones.
# The modem simulator records every PDU it received, decoded.
#
# The driver's first reference is (time ^ pid) & 0xff and cannot be set,
# so the wrap is reached by sending 260 messages (2 parts each).
. "$top_srcdir/tests/lib.sh"
MODEMSIM="$top_builddir/tests/modemsim"
command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
[ -x "$MODEMSIM" ] || fail "$MODEMSIM not built"
redis_start

SIM="$T/sim"
mkdir -p "$SIM"
"$MODEMSIM" -d "$SIM" -n 1 -l "$T/sim.jsonl" 2>"$T/sim.err" &
TEST_PIDS="$TEST_PIDS $!"
wait_for test -f "$SIM/modemsim.pid"

write_conf <<EOF
departments = ( { id = "mzj"; name = "嵊州市民政局"; signature = "【嵊州民政】";
    hotline = "0575-83022222"; } );
channels = ( { id = "m0"; type = "modem"; device = "$SIM/ttySIM0";
    rate = "100/s"; reports = false; } );
outbox = { retry_min = 1; retry_max = 2; max_attempts = 5; };
limits = { recipient_routine = "10/day"; };
EOF
N=260
{
	echo "id,phone,district,groups,name"
	i=0
	while [ $i -lt $N ]; do
		printf 'c%03d,13800137%03d,330683102,elderly,\n' $i $i
		i=$((i + 1))
	done
	# Three phones for the second event, in another village.
	for i in 1 2 3; do
		printf 'd%03d,13800137%03d,330683105,elderly,\n' $i $i
	done
} > "$T/res.csv"
expect_rc 0 cc resident import "$T/res.csv"

daemon_start
wait_for grep -q "modem m0: up" "$T/daemon.log"

field() {
	rcli HGET "t:ev:$1" "$2"
}
finished() {
	[ "$(field "$1" state)" = done ]
}
# wait_long E: up to 120 s for event E (260 two-part sends).
wait_long() {
	j=0
	until finished "$1"; do
		j=$((j + 1))
		[ $j -lt 1200 ] || fail "event $1 not done after 120 s"
		sleep 0.1
	done
}
P="--param title=两项补贴标准调整 --param effective_date=12月1日 --param action=无需申请"
DETAIL="detail=根据省市有关规定，自2026年12月1日起，困难残疾人生活补贴和重度残疾人护理补贴标准同步提高，补贴资金按月发放。"
expect_rc 0 cc publish --id c1 --department mzj --template subsidy_notice \
    --districts 330683102 --param "$DETAIL" $P
wait_long 1
expect_eq "all $N sent" "$(field 1 n:sent)" "$N"
# The same three phones again, right after: new references.
expect_rc 0 cc publish --id c2 --department mzj --template subsidy_notice \
    --districts 330683105 --param "$DETAIL" $P
wait_for finished 2
expect_eq "the second event sent" "$(field 2 n:sent)" 3

python3 - "$T/sim.jsonl" "$N" <<'PY' || fail "concatenation references"
import json, sys
n = int(sys.argv[2])
parts = [json.loads(l) for l in open(sys.argv[1])]
parts = [p for p in parts if "event" not in p and p["modem"] == 0]
# One modem sends one message at a time: its parts are consecutive.
msgs, cur = [], None
for p in parts:
    c = p["concat"]
    assert c is not None, "a long text must be multipart: %r" % p["text"]
    if c["seq"] == 1:
        cur = {"ref": c["ref"], "total": c["total"], "number": p["number"],
               "seqs": []}
        msgs.append(cur)
    assert cur is not None and cur["number"] == p["number"], p
    assert c["ref"] == cur["ref"], "parts of one message differ: %r" % p
    assert c["total"] == cur["total"], p
    cur["seqs"].append(c["seq"])
for m in msgs:
    assert m["seqs"] == list(range(1, m["total"] + 1)), m
assert len(msgs) == n + 3, len(msgs)
refs = [m["ref"] for m in msgs]
assert all(0 <= r <= 255 for r in refs), "not an 8-bit reference"
# No reference used again within 256 messages of the same modem.
for i in range(len(refs)):
    for j in range(i + 1, min(i + 256, len(refs))):
        assert refs[i] != refs[j], \
            "messages %d and %d share reference %d" % (i, j, refs[i])
wraps = [i for i in range(1, len(refs)) if refs[i] < refs[i - 1]]
assert wraps, "no wrap seen in %d messages" % len(refs)
i = wraps[0]
print("%d messages, references %d..%d, wrap %d -> %d at message %d; "
      "the second event's: %s" % (len(refs), refs[0], refs[n - 1],
      refs[i - 1], refs[i], i, refs[n:]))
# The same phones got two messages: different references.
by_phone = {}
for m in msgs:
    by_phone.setdefault(m["number"], []).append(m["ref"])
twice = {k: v for k, v in by_phone.items() if len(v) > 1}
assert len(twice) == 3, twice
for k, v in twice.items():
    assert len(set(v)) == len(v), (k, v)
PY
ok "different references for consecutive long messages, across the 8-bit wrap"

kill "$DPID"
wait "$DPID" 2>/dev/null || true
no_sanitizer_reports "$T/daemon.log"
echo "concat.sh: $N_OK passed, 0 failed"
