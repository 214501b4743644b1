#!/bin/sh
# bench/schedule.sh: benchmark the shared rate limit: one channel limited
# to RATE (GCRA in Redis, src/lua/outbox.lua allow/admit, src/dispatch.c)
# shared by two civicastd instances, against an instant HTTP provider.
#
# usage: bench/schedule.sh [BUILDDIR]
#
#   BUILDDIR   a build tree holding src/civicast, src/civicastd and
#              tests/mockprov; default: the source tree.  An -O2
#              out-of-tree build such as /tmp/sbench is meant.
#
# Environment:
#   N          residents (distinct phones but ~3% shared; default 3500,
#              ~3,450 messages: ~69 s at 50/s)
#   RATE       the channel's rate (default "50/s")
#   BURST      the channel's burst (default unset: a tenth of the count)
#   CONC       the channel's concurrency (default 16)
#   SKIP       seconds after the first request before the steady window
#              (default 5)
#   SECS       length of the steady window in seconds (default 60)
#   LIMIT      the most requests allowed in any one-second window (55)
#   PROFILE    if 1, Redis logs every command (slowlog-log-slower-than 0)
#              and the run prints calls and time per Lua script op (allow,
#              take, admit, done, tick...); costs Redis time
#   LOG_LEVEL  the daemons' log_level (default "debug": their "via http1:
#              sent" lines tell which instance sent each message; "info"
#              measures the CPU without the debug logging, no shares)
#
# What it does: starts a private redis-server on a unix socket in a temp
# directory (no TCP port, no persistence), tests/mockprov on 127.0.0.1
# (instant replies), imports N generated residents (bench/gen-residents.py,
# made-up phones; recipient caps raised, quiet hours off) and starts TWO
# civicastd instances, "sched-a" and "sched-b", on the same Redis with the
# same config otherwise: one http channel, rate RATE, concurrency CONC.
# It publishes one city-wide broadcast and waits (bounded) until the event
# is done, then measures from the mock's JSON log (time_ms = when the
# request reached the mock):
#   1. the rate over the steady window [first + SKIP, first + SKIP + SECS)
#      (requests in it / SECS), and over the whole run (n - 1) / span;
#   2. the most requests in any one second: sliding (every [t, t + 1 s)
#      starting at a request) and aligned (whole seconds of time_ms), over
#      the whole run and over the steady window; windows above LIMIT;
#   3. the share of each instance (each request's ref, the message id,
#      matched to the daemons' debug "sent" lines);
#   4. scheduling overhead: CPU time (utime + stime, /proc/PID/stat) of
#      both daemons and of Redis (INFO cpu) from the publish to done,
#      per message; EVALSHA calls per message (INFO commandstats).
# Checked: state done, n:sent = messages = targeted, one request per
# message, no lease left.  It prints figures and "met"/"MISSED" per target
# and asserts nothing.  Every process it starts is stopped, and the temp
# directory deleted, on exit (trap).  Needs python3, redis-server and
# redis-cli.  A run takes ~75-80 s.
set -eu

top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$top_srcdir/bench/lib.sh"
BUILDDIR=$top_srcdir
for arg in "$@"; do
	case $arg in
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) echo "schedule.sh: unknown option $arg" >&2; exit 2 ;;
	*) BUILDDIR=$arg ;;
	esac
done
: "${N:=3500}"
: "${RATE:=50/s}"
: "${BURST:=}"
: "${CONC:=16}"
: "${SKIP:=5}"
: "${SECS:=60}"
: "${LIMIT:=55}"
: "${LOG_LEVEL:=debug}"
: "${PROFILE:=0}"
CIVICAST=$BUILDDIR/src/civicast
CIVICASTD=$BUILDDIR/src/civicastd
MOCKPROV=$BUILDDIR/tests/mockprov
for b in "$CIVICAST" "$CIVICASTD" "$MOCKPROV"; do
	[ -x "$b" ] || { echo "schedule.sh: no $b (make; make tests/mockprov)" >&2; exit 2; }
done
for c in redis-server redis-cli python3; do
	command -v $c >/dev/null 2>&1 || { echo "schedule.sh: $c not installed" >&2; exit 2; }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/civicast-sbench.XXXXXX")
SOCK="$T/redis.sock"
PREFIX="bench:"
INSTANCES="sched-a sched-b"
DPIDS=""
MPID=""

cleanup() {
	for p in $DPIDS; do
		stop "$p"
	done
	stop "$MPID"
	redis_stop
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

redis_start
if [ "$PROFILE" = 1 ]; then
	redis-cli -s "$SOCK" CONFIG SET slowlog-log-slower-than 0 >/dev/null
	redis-cli -s "$SOCK" CONFIG SET slowlog-max-len 2000000 >/dev/null
fi

# The helper: a small RESP client (no redis module needed), /proc and
# INFO readers, the watcher and the mock log analysis.
cp "$top_srcdir/bench/resp.py" "$T/"
cat > "$T/sp.py" <<'PY'
import json, re, sys, time

from resp import R, cpu_seconds

def info(r, section):
    d = {}
    for l in r.cmd("INFO", section).splitlines():
        k, _, v = l.partition(":")
        d[k] = v
    return d

# snap SOCK PID...: one JSON line: CPU seconds of each PID, Redis' own
# CPU (INFO cpu) and EVALSHA calls/usec (INFO commandstats), wall clock.
def snap(sock, pids):
    out = {"wall": time.time(),
           "pids": {p: cpu_seconds(p) for p in pids}}
    r = R(sock)
    c = info(r, "cpu")
    out["redis_cpu"] = float(c["used_cpu_sys"]) + float(c["used_cpu_user"])
    s = info(r, "commandstats").get("cmdstat_evalsha", "")
    m = re.match(r"calls=(\d+),usec=(\d+)", s)
    out["evalsha"] = [int(m.group(1)), int(m.group(2))] if m else [0, 0]
    print(json.dumps(out))

# watch SOCK PREFIX DEPT/ID TIMEOUT: poll the event every 0.25 s until
# done (or stopped) or TIMEOUT s; one JSON line.
def watch(sock, prefix, key, timeout):
    r = R(sock)
    t_start = time.time()
    e = None
    while e is None:
        e = r.cmd("HGET", prefix + "ev:ids", key)
        if e is None:
            if time.time() - t_start > 30:
                print(json.dumps({"error": "event never accepted"}))
                return
            time.sleep(0.01)
    k = prefix + "ev:" + e
    res = {"e": e, "queued_at": None}
    while True:
        msgs, tgt, st, sent = r.cmd("HMGET", k, "messages", "targeted",
                                    "state", "n:sent")
        msgs, tgt, sent = int(msgs or 0), int(tgt or 0), int(sent or 0)
        now = time.time()
        if (res["queued_at"] is None and tgt > 0 and msgs == tgt and
                st not in (None, "resolving")):
            res["queued_at"] = now
        res.update(state=st, targeted=tgt, messages=msgs, sent=sent,
                   elapsed=now - t_start)
        if st in ("done", "cancelled", "expired"):
            break
        if now - t_start > timeout:
            res["timeout"] = True
            break
        time.sleep(0.25)
    print(json.dumps(res))

# analyse MOCKLOG SKIP SECS LIMIT A:LOG B:LOG...
def analyse(log, skip, secs, limit, daemons):
    reqs = []
    for l in open(log):
        if l.strip():
            o = json.loads(l)
            if "time_ms" in o and "event" not in o:
                reqs.append(o)
    ts = sorted(o["time_ms"] for o in reqs)
    refs = [o.get("ref") for o in reqs]
    res = {"n": len(ts), "distinct": len(set(refs)),
           "max_conc": max([o.get("concurrent", 0) for o in reqs] or [0]),
           "conns": len(set(o.get("conn") for o in reqs))}
    if len(ts) < 2:
        print(json.dumps(res))
        return
    first, last = ts[0], ts[-1]
    w0, w1 = first + skip * 1000, first + (skip + secs) * 1000
    inw = [t for t in ts if w0 <= t < w1]
    res.update(first=first, span_ms=last - first,
               rate_all=(len(ts) - 1) * 1000.0 / (last - first),
               win_n=len(inw), win_rate=len(inw) / float(secs),
               win_complete=last >= w1)

    # Sliding: every window [t, t + 1000) starting at a request.
    def sliding(xs):
        best, bt, over, j = 0, None, 0, 0
        for i in range(len(xs)):
            while j < len(xs) and xs[j] < xs[i] + 1000:
                j += 1
            c = j - i
            if c > limit:
                over += 1
            if c > best:
                best, bt = c, xs[i]
        return best, bt, over
    def aligned(xs):
        per = {}
        for t in xs:
            per[t // 1000] = per.get(t // 1000, 0) + 1
        return per
    b, bt, over = sliding(ts)
    res.update(slide_max=b, slide_at=(bt - first) / 1000.0, slide_over=over)
    b, bt, over = sliding(inw)
    res.update(slide_max_win=b, slide_at_win=(bt - first) / 1000.0 if bt else 0,
               slide_over_win=over)
    per = aligned(ts)
    full = [c for s, c in per.items() if s != first // 1000 and s != last // 1000]
    res.update(al_max=max(per.values()), al_over=sum(1 for c in per.values() if c > limit),
               al_min_full=min(full) if full else 0,
               al_hist=sorted(per.values()))
    # The first second: the burst.
    res["first_1s"] = sum(1 for t in ts if t < first + 1000)
    gaps = sorted(b - a for a, b in zip(ts, ts[1:]))
    res.update(gap_med=gaps[len(gaps) // 2], gap_p99=gaps[int(len(gaps) * 0.99)],
               gap_max=gaps[-1], gap0=sum(1 for g in gaps if g == 0))
    # Where the long gaps (> 100 ms) are, seconds after the first request.
    res["long_gaps"] = [[(a - first) / 1000.0, b - a] for a, b in
                        zip(ts, ts[1:]) if b - a > 100][:10]
    # Which instance sent what: the debug "E:R to ... via CH: sent" lines.
    owner = {}
    for d in daemons:
        name, path = d.split(":", 1)
        pat = re.compile(r"outbox: (\d+:\d+) to .* via \S+: sent")
        for l in open(path, errors="replace"):
            m = pat.search(l)
            if m:
                owner[m.group(1)] = name
        res.setdefault("defers", {})[name] = sum(
            1 for l in open(path, errors="replace") if "waits" in l and
            "channel rate" in l)
        res.setdefault("takes", {})[name] = sum(
            1 for l in open(path, errors="replace") if "outbox: took" in l)
    share, share_w = {}, {}
    for o in reqs:
        who = owner.get(o.get("ref"), "?")
        share[who] = share.get(who, 0) + 1
        if w0 <= o["time_ms"] < w1:
            share_w[who] = share_w.get(who, 0) + 1
    res.update(share=share, share_win=share_w)
    print(json.dumps(res))

# slowlog SOCK MESSAGES: EVALSHA calls since the last SLOWLOG RESET, by
# script op (commands run inside a script are logged too: skipped).
def slowlog(sock, msgs):
    r = R(sock)
    ent = r.cmd("SLOWLOG", "GET", "-1")
    agg = {}
    for e in ent:
        args = e[3]
        if args[0].lower() in ("evalsha", "eval") and len(args) > 4:
            c, u = agg.get(args[4], (0, 0))
            agg[args[4]] = (c + 1, u + int(e[2]))
    for name, (c, u) in sorted(agg.items(), key=lambda x: -x[1][1]):
        print("  lua %-8s %6d calls (%5.2f per message) %8.1f ms %5.0f us/call %5.0f us/message" %
              (name, c, c / float(msgs), u / 1000.0, u / float(c), u / float(msgs)))

cmd = sys.argv[1]
if cmd == "slowlog":
    slowlog(sys.argv[2], int(sys.argv[3]))
elif cmd == "snap":
    snap(sys.argv[2], sys.argv[3:])
elif cmd == "watch":
    watch(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]))
elif cmd == "analyse":
    analyse(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]),
            int(sys.argv[5]), sys.argv[6:])
elif cmd == "field":          # field JSONFILE KEY
    v = json.load(open(sys.argv[2])).get(sys.argv[3])
    print("" if v is None else v)
elif cmd == "count":          # count RATE: messages per second of "50/s"
    n, _, u = sys.argv[2].partition("/")
    per = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60,
           "h": 3600, "hour": 3600}.get(u, 1)
    print(float(n) / per)
PY
sp() {
	python3 "$T/sp.py" "$@"
}
jf() {
	sp field "$@"
}
RPS=$(sp count "$RATE")

# conf INSTANCE: the config (only daemon.instance differs).
conf() {
	{
		echo "redis = { socket = \"$SOCK\"; prefix = \"$PREFIX\"; };"
		echo "daemon = { log_level = \"$LOG_LEVEL\"; instance = \"$1\"; };"
		echo "districts_file = \"$top_srcdir/data/divisions-cn.csv\";"
		echo "templates_dir = \"$top_srcdir/templates\";"
		burst=""
		[ -z "$BURST" ] || burst=" burst = $BURST;"
		cat <<EOF
groups = ( { id = "elderly"; name = "老年人"; },
  { id = "disabled"; name = "残疾人"; },
  { id = "low_income"; name = "低收入农户"; },
  { id = "dibao"; name = "低保对象"; },
  { id = "tekun"; name = "特困人员"; } );
departments = ( { id = "mzj"; name = "嵊州市民政局"; signature = "【嵊州民政】";
    hotline = "0575-83022222"; unsigned = true; } );
channels = ( { id = "http1"; type = "http"; driver = "generic";
    url = "http://127.0.0.1:$PORT/send"; method = "POST";
    body = "to=\${to}&text=\${text}&ref=\${ref}"; rate = "$RATE";$burst
    concurrency = $CONC; timeout = 10; } );
outbox = { lease = 60; };
# Benchmarks run at any hour and send to the same phones again and again.
quiet_hours = { enabled = false; };
limits = { recipient_routine = "1000/day"; };
EOF
	} > "$T/$1.conf"
}

# The mock: instant replies.
"$MOCKPROV" -p 0 -l "$T/mock.jsonl" -f "$T/port" 2>>"$T/mock.err" &
MPID=$!
i=0
while [ ! -s "$T/port" ]; do
	i=$((i + 1))
	[ $i -lt 200 ] || { echo "schedule.sh: mockprov did not start" >&2; exit 1; }
	sleep 0.05
done
PORT=$(cat "$T/port")
for inst in $INSTANCES; do
	conf "$inst"
done

commit=unknown
if [ -f "$top_srcdir/.git/HEAD" ]; then
	head=$(cat "$top_srcdir/.git/HEAD")
	case $head in
	"ref: "*) ref=${head#ref: }
		if [ -f "$top_srcdir/.git/$ref" ]; then
			commit=$(cut -c1-7 "$top_srcdir/.git/$ref")
		elif [ -f "$top_srcdir/.git/packed-refs" ]; then
			commit=$(grep " $ref\$" "$top_srcdir/.git/packed-refs" | cut -c1-7)
		fi ;;
	*) commit=$(echo "$head" | cut -c1-7) ;;
	esac
fi
echo "== civicast shared-rate benchmark: two instances, one channel at $RATE"
echo "date:      $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "commit:    ${commit:-unknown} (read from .git)"
echo "build:     $BUILDDIR"
echo "machine:   $(nproc) CPUs, $(uname -sr); redis $(redis-server --version | cut -d' ' -f3 | cut -d= -f2)"
echo "channel:   http1 rate $RATE, burst ${BURST:-default (a tenth)}, concurrency $CONC; instant mock"
echo "daemons:   $INSTANCES, log_level $LOG_LEVEL"

FIRST=$(echo "$INSTANCES" | cut -d' ' -f1)
python3 "$top_srcdir/bench/gen-residents.py" -n "$N" \
    --divisions "$top_srcdir/data/divisions-cn.csv" -o "$T/res.csv"
"$CIVICAST" -c "$T/$FIRST.conf" resident import "$T/res.csv" >/dev/null 2>"$T/import.err" || {
	echo "schedule.sh: import failed" >&2; cat "$T/import.err" >&2; exit 1; }
echo "registry:  $N residents imported"

for inst in $INSTANCES; do
	: > "$T/$inst.log"
	"$CIVICASTD" -d -c "$T/$inst.conf" 2>>"$T/$inst.log" &
	DPIDS="$DPIDS $!"
	i=0
	while ! grep -q "subscribed to" "$T/$inst.log"; do
		i=$((i + 1))
		[ $i -lt 200 ] || { echo "schedule.sh: civicastd $inst did not start" >&2; cat "$T/$inst.log" >&2; exit 1; }
		sleep 0.05
	done
done
# shellcheck disable=SC2086 # the list splits on purpose
set -- $DPIDS
DA=$1 DB=$2

# The longest wait: the broadcast at the rate, with room to spare.
TIMEOUT=$(python3 -c "print(int($N / $RPS * 1.5) + 60)")
[ "$PROFILE" != 1 ] || rcli SLOWLOG RESET >/dev/null
sp snap "$SOCK" "$DA" "$DB" "$RPID" > "$T/s0.json"
sp watch "$SOCK" "$PREFIX" mzj/sched1 "$TIMEOUT" > "$T/w.json" &
wp=$!
"$CIVICAST" -c "$T/$FIRST.conf" publish --id sched1 --department mzj \
    --template subsidy_notice --districts 3306 --param title=标题 \
    --param detail=内容 --param effective_date=12月1日 \
    --param action=无需申请 >/dev/null
echo "published: one city-wide broadcast; waiting (at most $TIMEOUT s) ..."
wait "$wp" || true
sp snap "$SOCK" "$DA" "$DB" "$RPID" > "$T/s1.json"
# The last "sent" lines may still be on their way to the logs.
sleep 0.5

msgs=$(jf "$T/w.json" messages)
ok=yes
[ "$(jf "$T/w.json" state)" = "done" ] || ok="NO (state $(jf "$T/w.json" state))"
[ "$(jf "$T/w.json" sent)" = "$msgs" ] && [ "$msgs" = "$(jf "$T/w.json" targeted)" ] ||
    ok="NO (sent $(jf "$T/w.json" sent) of $msgs)"
for inst in $INSTANCES; do
	left=$(rcli ZCARD "${PREFIX}inflight:$inst")
	[ "$left" = 0 ] || ok="NO ($left leases left with $inst)"
done
sp analyse "$T/mock.jsonl" "$SKIP" "$SECS" "$LIMIT" \
    "sched-a:$T/sched-a.log" "sched-b:$T/sched-b.log" > "$T/a.json"
python3 - "$T/w.json" "$T/a.json" "$T/s0.json" "$T/s1.json" "$DA" "$DB" \
    "$RPS" "$SKIP" "$SECS" "$LIMIT" "$ok" <<'PY'
import json, sys
w, a, s0, s1 = (json.load(open(f)) for f in sys.argv[1:5])
da, db = sys.argv[5], sys.argv[6]
rps, skip, secs, limit = float(sys.argv[7]), float(sys.argv[8]), float(sys.argv[9]), int(sys.argv[10])
ok = sys.argv[11]
def v(x):
    return "met" if x else "MISSED"
n = a["n"]
print("  event %s: targeted %d, messages %d, sent %d, state %s after %.1f s%s; checks: %s" %
      (w["e"], w["targeted"], w["messages"], w["sent"], w["state"], w["elapsed"],
       " (stopped waiting)" if w.get("timeout") else "", ok))
print("  mock: %d requests, %d distinct refs, %d connections, max %d concurrent" %
      (n, a["distinct"], a["conns"], a["max_conc"]))
if n < 2:
    sys.exit(0)
print("  first -> last request %.2f s: %.2f/s over the whole run ((n - 1) / span)" %
      (a["span_ms"] / 1000, a["rate_all"]))
dev = (a["win_rate"] - rps) * 100 / rps
print("  steady window [+%g s, +%g s): %d requests = %.2f/s, %+.2f%% of %g/s%s  target +-2%%: %s" %
      (skip, skip + secs, a["win_n"], a["win_rate"], dev, rps,
       "" if a["win_complete"] else " (INCOMPLETE: the run ended inside the window)",
       v(abs(dev) <= 2 and a["win_complete"])))
print("  max in any 1 s (sliding [t, t+1 s)): %d at +%.2f s (%d windows > %d); in the steady window %d (%d > %d)"
      "  target <= %d: %s" % (a["slide_max"], a["slide_at"], a["slide_over"], limit,
      a["slide_max_win"], a["slide_over_win"], limit, limit, v(a["slide_max"] <= limit)))
print("  max in an aligned second: %d (%d seconds > %d; full seconds min %d)  target <= %d: %s" %
      (a["al_max"], a["al_over"], limit, a["al_min_full"], limit, v(a["al_max"] <= limit)))
h = {}
for c in a["al_hist"]:
    h[c] = h.get(c, 0) + 1
print("  requests per aligned second (count x seconds): %s" %
      ", ".join("%dx%d" % (c, k) for c, k in sorted(h.items())))
print("  first second after the first request: %d; gaps between requests: median %d ms, p99 %d, max %d; %d gaps of 0 ms" %
      (a["first_1s"], a["gap_med"], a["gap_p99"], a["gap_max"], a["gap0"]))
if a["long_gaps"]:
    print("  gaps > 100 ms (at +s after the first request: ms): %s" %
          ", ".join("+%.2f: %d" % (t, g) for t, g in a["long_gaps"]))
if list(a.get("share", {})) == ["?"]:
    print("  share by instance: not known (needs LOG_LEVEL=debug)")
elif a.get("share"):
    tot = sum(a["share"].values())
    totw = sum(a.get("share_win", {}).values()) or 1
    print("  share by instance (from the daemons' debug lines): " + ", ".join(
        "%s %d (%.1f%%; window %.1f%%)" % (k, c, c * 100.0 / tot,
        a["share_win"].get(k, 0) * 100.0 / totw) for k, c in sorted(a["share"].items())))
    print("  rounds: %s; deferred for the channel rate: %s" % (
        ", ".join("%s %d takes" % kv for kv in sorted(a["takes"].items())),
        ", ".join("%s %d" % kv for kv in sorted(a["defers"].items()))))
m = max(w["sent"], 1)
cda = s1["pids"][da] - s0["pids"][da]
cdb = s1["pids"][db] - s0["pids"][db]
cr = s1["redis_cpu"] - s0["redis_cpu"]
calls = s1["evalsha"][0] - s0["evalsha"][0]
usec = s1["evalsha"][1] - s0["evalsha"][1]
wall = s1["wall"] - s0["wall"]
print("  CPU over %.1f s (publish -> done, fan-out included): civicastd %.2f s + %.2f s, redis %.2f s" %
      (wall, cda, cdb, cr))
print("  per message: civicastd %.0f us (both), redis %.0f us; EVALSHA %d calls = %.1f per message, %.0f us/call, %.0f us/message in Lua" %
      ((cda + cdb) * 1e6 / m, cr * 1e6 / m, calls, calls / float(m),
       usec / float(calls) if calls else 0, usec / float(m)))
PY
[ "$PROFILE" != 1 ] || sp slowlog "$SOCK" "$(jf "$T/w.json" sent)"
