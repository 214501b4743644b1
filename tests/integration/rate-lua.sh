#!/bin/sh
# rate-lua.sh: the channel limiter of src/lua/outbox.lua (allow, admit)
# against a real redis-server, on a simulated clock (NOW is an argument),
# over the sweep of tests/unit/test-rate.c: 1/day to 1000000/s, odd
# counts, with and without a burst.  At every look it must agree with an
# exact model of GCRA in Python integers (how many may go, how long to
# wait, the stored state, the key's PX), and over the window a greedy
# sender gets burst + rate * time, within 1.  Timestamps are realistic
# (~1.8e12 ms): a Lua number is a double, and a timestamp times a count
# would not be exact.
. "$top_srcdir/tests/lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
redis_start

# The old layout of the state, and state left by another rate: read,
# not trusted blindly (src/rate.c rate_state_parse).
SCRIPT=$(cat "$top_srcdir/src/lua/outbox.lua")
lua() {
	rcli EVAL "$SCRIPT" 0 t: "$@" | tr '\n' ' ' | sed 's/ $//'
}
# 3/s, burst 1 (no tolerance): a state on a whole ms, as before.
rcli SET t:rl:c:k1 1800000000100 >/dev/null
expect_eq "bare ms state: waits for it" "$(lua allow 1800000000000 k1 1000 3 0)" \
    "0 100"
# 333.33 ms after 1800000000100 + 1/3 ms.
lua admit 1800000000100 20261127 202611 0 0 x k1 1000 3 0 13800130001 \
    emergency d 1 0 0 0 >/dev/null
expect_eq "fraction stored as ms+rem/count" "$(rcli GET t:rl:c:k1)" \
    "1800000000433+1/3"
# PX 1334 (334 + 1000); the sweep below checks it exactly, pipelined.
pttl=$(rcli PTTL t:rl:c:k1)
[ "$pttl" -gt 1000 ] && [ "$pttl" -le 1334 ] || fail "PTTL $pttl"
ok "PX a whole number: TAT - now rounded up, plus a second"
# The same state read for 7/s (the rate changed): the next whole ms.
expect_eq "another count: rounded up" \
    "$(lua allow 1800000000433 k1 1000 7 0)" "0 1"
expect_eq "not understood: no state" \
    "$(rcli SET t:rl:c:k2 12.5x >/dev/null; lua allow 5 k2 1000 3 0)" "1 0"
expect_eq "count 0: no limit" "$(lua allow 5 k3 0 0 0)" "1099511627776 0"

python3 - "$REDIS_SOCK" "$top_srcdir/src/lua/outbox.lua" <<'PY' || fail "sweep"
import socket, sys

sock, script = sys.argv[1], open(sys.argv[2]).read()
s = socket.socket(socket.AF_UNIX)
s.connect(sock)
f = s.makefile("rb")

def enc(*a):
    out = [b"*%d\r\n" % len(a)]
    for x in a:
        x = x if isinstance(x, bytes) else str(x).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(x), x))
    return b"".join(out)

def read():
    l = f.readline()
    t, v = l[:1], l[1:-2]
    if t == b":":
        return int(v)
    if t == b"$":
        n = int(v)
        return None if n < 0 else f.read(n + 2)[:-2]
    if t == b"*":
        return [read() for _ in range(int(v))]
    if t == b"-":
        raise Exception(v.decode())
    return v

def cmd(*a):
    s.sendall(enc(*a))
    return read()

sha = cmd("SCRIPT", "LOAD", script).decode()
T0 = 1764633600000
RATES = [(1, 86400), (1, 3600), (7, 60), (60, 60), (3, 1), (300, 1),
         (333, 1), (1000, 1), (2000, 1), (100000, 1), (1000000, 1),
         (999, 60), (13, 3600), (1000000, 86400)]
BURSTS = [0, 1, 2, 7, 100]
CHUNK = 2000

class Model:
    """GCRA in plain ticks of 1/count ms, absolute: big integers."""
    def __init__(self, count, period, burst):
        self.c, self.p = count, period * 1000
        b = burst if burst > 0 else count // 10
        self.tol = max(b, 1) - 1        # what the daemon passes
        self.whole = self.tol + 1
        self.tau = self.tol * self.p
        self.tat = 0
    def tatp(self, now):
        # TAT, unless a whole ms or more behind now (src/rate.c).
        if self.tat <= (now - 1) * self.c:
            return now * self.c
        return self.tat
    def allow(self, now):
        d = self.tatp(now) - now * self.c
        if d > self.tau:
            return 0, -(-(d - self.tau) // self.c)
        return (self.tau - d) // self.p + 1, 0
    def take(self, now):
        self.tat = self.tatp(now) + self.p
    def state(self):
        ms, rem = divmod(self.tat, self.c)
        return ("%d" % ms) if rem == 0 else "%d+%d/%d" % (ms, rem, self.c)
    def px(self, now):
        return -(-(self.tat - now * self.c) // self.c) + 1000

def run(count, period, burst, mode, chan):
    m = Model(count, period, burst)
    key = "g:rl:c:" + chan
    args = [str(m.p), str(count), str(m.tol)]
    msg = enc("r:x", chan, *args, "13800130001", "emergency", "d", "1", "0",
              "0", "0")
    msg = msg[msg.index(b"\r\n") + 2:]
    # The longest step that loses nothing: the tolerance and a ms.
    maxstep = m.tol * m.p // count + 1
    w = max(3000 * m.p // count, 10 if mode == "wait" else 50 * maxstep)
    w = min(w, 300 * (maxstep if mode == "steps" else max(m.p // count, 1)))
    w = min(w, max(30000 * m.p // count, 1))
    prng = (count * 31 + period) ^ burst ^ 0x9e3779b97f4a7c15
    t, last, admitted = 0, 0, 0
    while t <= w:
        now = T0 + t
        n, wait = cmd("EVALSHA", sha, 0, "g:", "allow", now, chan, *args)
        assert (n, wait) == m.allow(now), (count, period, burst, t, n, wait,
                                             m.allow(now))
        while n > 0:
            k = min(n, CHUNK)
            # k that may go and, when that is all, one more that may not.
            extra = 1 if k == n else 0
            head = enc("EVALSHA", sha, 0, "g:", "admit", now, "20261127",
                       "202611", "0", "0")
            head = b"*%d\r\n" % (10 + 12 * (k + extra)) + \
                head[head.index(b"\r\n") + 2:]
            # The admit, then the state it left, pipelined.
            s.sendall(head + msg * (k + extra) + enc("GET", key) +
                      enc("PTTL", key) + enc("PERSIST", key))
            r, got, pttl, _ = read(), read().decode(), read(), read()
            for i in range(k):
                assert r[2 * i] == 0, (count, period, burst, t, i, r[2 * i])
                m.take(now)
            if extra:
                mw = m.allow(now)
                assert mw[0] == 0 and r[2 * k:] == [1, now + mw[1]], \
                    (count, period, burst, t, r[2 * k:], mw)
            admitted += k
            n -= k
            assert got == m.state(), (count, period, burst, t, got,
                                      m.state())
            # A whole-ms PX, as the model says; then PERSIST: no
            # real-time expiry of a simulated clock's state.
            assert m.px(now) - 100 < pttl <= m.px(now), (pttl, m.px(now))
        # Never more than burst + rate * t.
        assert admitted * m.p <= m.whole * m.p + t * count, \
            (count, period, burst, t, admitted)
        last = t
        if mode == "wait":
            t += m.allow(now)[1]
        else:
            prng ^= (prng << 13) & (2**64 - 1)
            prng ^= prng >> 7
            prng ^= (prng << 17) & (2**64 - 1)
            step = 1 + prng % maxstep
            if t < w and t + step > w:
                step = w - t
            t += step
    want = m.whole * m.p + last * count
    assert abs(admitted * m.p - want) <= m.p, \
        "%d/%ds burst %d %s: %d in %d ms, want %d +- 1" % (
            count, period, m.whole, mode, admitted, last, want // m.p)
    return admitted, last

n = 0
for count, period in RATES:
    for burst in BURSTS:
        for mode in ("wait", "steps"):
            n += 1
            got, last = run(count, period, burst, mode, "c%d" % n)
            print("%d/%ds burst %d: %d in %d simulated ms (%s)" % (
                count, period, burst, got, last, mode))
print("%d runs agree with the model and the bound" % n)
PY
ok "allow/admit over the sweep: exact, and burst + rate * time within 1"
echo "rate-lua.sh: $N_OK passed, 0 failed"
