#!/bin/sh
# The shared limiter (src/lua/outbox.lua: allow, admit) against a real
# Redis with an injected clock: every call says what time it is, so the
# test walks the clock instead of sleeping.  Channel rates (GCRA with a
# burst), recipient daily caps, department budgets by day and month.
. "$top_srcdir/tests/lib.sh"
redis_start
SCRIPT=$(cat "$top_srcdir/src/lua/outbox.lua")
lua() {
	rcli EVAL "$SCRIPT" 0 t: "$@"
}
# admit1 NOW ID CHAN PERIOD COUNT BURST PHONE PRIO DEPT SEGS RCAP BDAY BMONTH:
# "code at" for one message (day 20261127 ends at 100000000).
admit1() {
	now=$1
	shift
	lua admit "$now" 20261127 202611 100000000 200000000 "$@" | tr '\n' ' ' |
	    sed 's/ $//'
}

# 1. GCRA: 10/s (one every 100 ms) with a burst of 2: three at once, then
# one per 100 ms; the fourth at once waits exactly until it conforms.
expect_eq "allow at rest" "$(lua allow 1000 c1 1000 10 2 | tr '\n' ' ')" "3 0 "
expect_eq "1st" "$(admit1 1000 1:1 c1 1000 10 2 13800130001 urgent d 1 0 0 0)" "0 0"
expect_eq "2nd" "$(admit1 1000 1:2 c1 1000 10 2 13800130002 urgent d 1 0 0 0)" "0 0"
expect_eq "3rd" "$(admit1 1000 1:3 c1 1000 10 2 13800130003 urgent d 1 0 0 0)" "0 0"
expect_eq "4th waits 100 ms" \
    "$(admit1 1000 1:4 c1 1000 10 2 13800130004 urgent d 1 0 0 0)" "1 1100"
expect_eq "allow says when" "$(lua allow 1000 c1 1000 10 2 | tr '\n' ' ')" "0 100 "
expect_eq "at 1100 it goes" \
    "$(admit1 1100 1:4 c1 1000 10 2 13800130004 urgent d 1 0 0 0)" "0 0"
ok "GCRA: burst, then one per interval"

# Greedy senders for 20 simulated seconds, one try per ms: no second
# holds more than rate + burst, and the long-run rate is the rate.
python3 - "$REDIS_SOCK" "$top_srcdir/src/lua/outbox.lua" <<'PY' || fail "GCRA long run"
import socket, sys
sock, script = sys.argv[1], open(sys.argv[2]).read()
s = socket.socket(socket.AF_UNIX); s.connect(sock); f = s.makefile("rb")
def cmd(*a):
    out = [b"*%d\r\n" % len(a)]
    for x in a:
        x = x if isinstance(x, bytes) else str(x).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(x), x))
    s.sendall(b"".join(out))
    return read()
def read():
    l = f.readline(); t = l[:1]; v = l[1:-2]
    if t == b":": return int(v)
    if t == b"$":
        n = int(v); return None if n < 0 else f.read(n + 2)[:-2]
    if t == b"*": return [read() for _ in range(int(v))]
    if t == b"-": raise Exception(v)
    return v
sha = cmd("SCRIPT", "LOAD", script).decode()
sent = []
# 50/s with a burst of 5: the daemon passes the tolerance, 4.
for now in range(10**6, 10**6 + 20000):
    r = cmd("EVALSHA", sha, 0, "g:", "admit", now, "20261127", "202611",
            10**9, 2 * 10**9, "1:%d" % now, "c", "1000", "50", "4",
            "13800130001", "emergency", "d", "1", "0", "0", "0")
    if r[0] == 0:
        sent.append(now)
per_s = {}
for t in sent:
    per_s[t // 1000] = per_s.get(t // 1000, 0) + 1
worst = 0
j = 0
for i in range(len(sent)):
    while sent[i] - sent[j] >= 1000:
        j += 1
    worst = max(worst, i - j + 1)
rate = len(sent) / 20.0
print("%d sent in 20 s (%.2f/s); worst 1-second window %d" %
      (len(sent), rate, worst))
assert abs(rate - 50) <= 1, rate
assert worst <= 54, worst
PY
ok "GCRA long run: 50/s held, no second above 55"

# 2. Recipient caps: two routine a day; the third waits for tomorrow;
# emergencies neither wait nor count.
expect_eq "r1" "$(admit1 5000 2:1 c2 0 0 0 13800130009 routine d 1 2 0 0)" "0 0"
expect_eq "r2" "$(admit1 5000 2:2 c2 0 0 0 13800130009 routine d 1 2 0 0)" "0 0"
expect_eq "r3 waits for the next day" \
    "$(admit1 5000 2:3 c2 0 0 0 13800130009 routine d 1 2 0 0)" "2 100000000"
expect_eq "emergency goes" \
    "$(admit1 5000 2:4 c2 0 0 0 13800130009 emergency d 1 2 0 0)" "0 0"
expect_eq "a new day" \
    "$(lua admit 100000001 20261128 202611 200000000 300000000 2:3 c2 0 0 0 13800130009 routine d 1 2 0 0 | tr '\n' ' ')" "0 0 "
expect_eq "urgent has its own cap" \
    "$(admit1 5000 2:5 c2 0 0 0 13800130009 urgent d 1 1 0 0)" "0 0"
ok "recipient caps per day and priority"

# 3. Budgets: 5 segments a day, 8 a month, for routine only.
rcli HSET t:ev:3 state active >/dev/null
expect_eq "b1" "$(admit1 6000 3:1 c3 0 0 0 13800130011 routine mz 3 0 5 8)" "0 0"
expect_eq "b2 over the day" \
    "$(admit1 6000 3:2 c3 0 0 0 13800130012 routine mz 3 0 5 8)" "3 100000000"
expect_eq "held shows on the event" "$(rcli HGET t:ev:3 held)" \
    "department budget"
expect_eq "urgent goes over budget" \
    "$(admit1 6000 3:3 c3 0 0 0 13800130013 urgent mz 3 0 5 8)" "0 0"
expect_eq "and counts" "$(rcli GET t:budget:mz:d:20261127)" 6
expect_eq "a message that goes clears held" "$(rcli HGET t:ev:3 held)" ""
expect_eq "next day, but the month is spent" \
    "$(lua admit 100000001 20261128 202611 200000000 300000000 3:2 c3 0 0 0 13800130012 routine mz 3 0 5 8 | tr '\n' ' ')" \
    "3 300000000 "
expect_eq "held again" "$(rcli HGET t:ev:3 held)" "department budget"
ok "department budgets by day and month"

echo "limits.sh: $N_OK passed, 0 failed"
