#!/bin/sh
# bench/pipeline.sh: benchmark the broadcast pipeline (publish -> stream ->
# civicastd intake, fan-out, outbox -> HTTP provider) on loopback.
#
# usage: bench/pipeline.sh [BUILDDIR]
#
#   BUILDDIR   a build tree holding src/civicast, src/civicastd and
#              tests/mockprov (make tests/mockprov); default: the source
#              tree.  An -O2 out-of-tree build such as /tmp/pbench is meant.
#
# Environment:
#   N          residents of the fan-out test (default 100000)
#   RUNS       runs of each timed test (default 3)
#   N_FAST     messages of the instant-provider throughput test (20000)
#   N_SLOW     messages of the 20 ms provider throughput test (10000)
#   CONC       channel concurrency and rawclient -c (32)
#   N_BIG      residents of the memory test (1000000)
#   BIG_SECS   longest the memory test watches the broadcast (60)
#   PHASES     which tests to run, of "fanout throughput memory" (all)
#   PROFILE    if 1, Redis logs every command (slowlog-log-slower-than 0)
#              and each run prints the time per Lua script op (enqueue,
#              expand, take, done) and per command; this costs Redis time
#              (fan-out ~5% slower), so headline figures are taken without
#   RAWCLIENT  bench/rawclient binary (default BUILDDIR/rawclient, else it
#              is compiled into the temp directory with cc and libcurl)
#
# What it does: starts a private redis-server on a unix socket in a temp
# directory (no TCP port, no persistence) and tests/mockprov on 127.0.0.1
# (port 0: the kernel picks one), generates synthetic residents of 3306
# (bench/gen-residents.py, made-up phones), and measures:
#   1. fanout: XADD -> every message of a city-wide event of N residents
#      queued.  The event carries --not-before one hour ahead, so the
#      fan-out runs in full (messages rendered and queued, the event goes
#      resolving -> scheduled) but nothing is sent: the outbox takes only
#      active events, so no sending competes with the fan-out for CPU.  The
#      time is from the event's stream id (Redis' clock at XADD) to the
#      first poll (every 5 ms) that sees messages = targeted and the state
#      past "resolving"; the daemon's own "N messages queued in M ms" line
#      is printed too.
#   2. throughput: civicastd -> mockprov vs. bench/rawclient -> the same
#      mockprov, alternating, RUNS pairs, provider latency 0 and 20 ms.
#      Both rates are requests / (last - first request time_ms in the mock's
#      JSON log) over the same log, so the measure is the same.  rawclient
#      posts the same form body (the text of a civicast message).  Every
#      civicast run is checked: state done, n:sent = messages = targeted,
#      one request per message in the mock's log, no lease left.
#   3. memory: N_BIG residents, one broadcast to all of them against an
#      instant mock (logging to /dev/null); civicastd's VmRSS/VmHWM every
#      200 ms until the event is done or BIG_SECS pass; Redis used_memory
#      before the publish and when the fan-out is complete.
# It prints figures and "met"/"MISSED" per target; it asserts nothing.
# Every process it starts is stopped, and the temp directory deleted, on
# exit (trap).  Needs python3, redis-server, redis-cli, cc and libcurl.
set -eu

top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$top_srcdir/bench/lib.sh"
BUILDDIR=$top_srcdir
for arg in "$@"; do
	case $arg in
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) echo "pipeline.sh: unknown option $arg" >&2; exit 2 ;;
	*) BUILDDIR=$arg ;;
	esac
done
: "${N:=100000}"
: "${RUNS:=3}"
: "${N_FAST:=20000}"
: "${N_SLOW:=10000}"
: "${CONC:=32}"
: "${N_BIG:=1000000}"
: "${BIG_SECS:=60}"
: "${PHASES:=fanout throughput memory}"
CIVICAST=$BUILDDIR/src/civicast
CIVICASTD=$BUILDDIR/src/civicastd
MOCKPROV=$BUILDDIR/tests/mockprov
for b in "$CIVICAST" "$CIVICASTD" "$MOCKPROV"; do
	[ -x "$b" ] || { echo "pipeline.sh: no $b (make; make tests/mockprov)" >&2; exit 2; }
done
for c in redis-server redis-cli python3; do
	command -v $c >/dev/null 2>&1 || { echo "pipeline.sh: $c not installed" >&2; exit 2; }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/civicast-pbench.XXXXXX")
SOCK="$T/redis.sock"
CONF="$T/civicast.conf"
PREFIX="bench:"
INSTANCE="bench"
DPID=""
MPID=""

cleanup() {
	stop "$DPID"
	stop "$MPID"
	redis_stop
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "${RAWCLIENT:-}" ]; then
	:
elif [ -x "$BUILDDIR/rawclient" ]; then
	RAWCLIENT=$BUILDDIR/rawclient
else
	RAWCLIENT=$T/rawclient
	# shellcheck disable=SC2046 # pkg-config's flags split on purpose
	cc -O2 -o "$RAWCLIENT" "$top_srcdir/bench/rawclient.c" \
	    $(pkg-config --cflags --libs libcurl)
fi

redis_start
: "${PROFILE:=0}"
if [ "$PROFILE" = 1 ]; then
	# Every command in the slow log, for the time per Lua script op.
	redis-cli -s "$SOCK" CONFIG SET slowlog-log-slower-than 0 >/dev/null
	redis-cli -s "$SOCK" CONFIG SET slowlog-max-len 1000000 >/dev/null
fi

info() {
	rcli INFO "$1" | tr -d '\r' | sed -n "s/^$2://p"
}

# The helper: a small RESP client polling an event (no redis module
# needed), the mock log reader and /proc readers.
cp "$top_srcdir/bench/resp.py" "$T/"
cat > "$T/rp.py" <<'PY'
import json, statistics, sys, time

from resp import R, cpu_seconds

def used_memory(r):
    for l in r.cmd("INFO", "memory").splitlines():
        if l.startswith("used_memory:"):
            return int(l.split(":")[1])

def proc_status(pid):
    d = {}
    try:
        for l in open("/proc/%s/status" % pid):
            k, _, v = l.partition(":")
            if k in ("VmRSS", "VmHWM"):
                d[k] = int(v.split()[0])
    except OSError:
        pass
    return d

def cpu(pids):
    print(" ".join("%.2f" % cpu_seconds(p) for p in pids))

# watch SOCK PREFIX DEPT/ID UNTIL(queued|done) INTERVAL TIMEOUT [PID]
def watch(sock, prefix, key, until, interval, timeout, pid=None):
    r = R(sock)
    t_start = time.time()
    e = None
    while e is None:
        e = r.cmd("HGET", prefix + "ev:ids", key)
        if e is None:
            if time.time() - t_start > timeout:
                print(json.dumps({"error": "event never accepted"}))
                return
            time.sleep(0.002)
    k = prefix + "ev:" + e
    res = {"e": e, "queued_ms": None, "done_ms": None, "peak_rss_kb": 0,
           "samples": 0, "mem_queued": None, "rss_queued_kb": None}
    t0 = None
    while True:
        sid, msgs, tgt, st, sent = r.cmd("HMGET", k, "stream_id", "messages",
                                         "targeted", "state", "n:sent")
        now = time.time()
        if t0 is None and sid:
            t0 = int(sid.split("-")[0]) / 1000.0
        if pid:
            s = proc_status(pid)
            res["samples"] += 1
            res["peak_rss_kb"] = max(res["peak_rss_kb"], s.get("VmRSS", 0))
            res["hwm_kb"] = s.get("VmHWM", res.get("hwm_kb", 0))
        msgs, tgt, sent = int(msgs or 0), int(tgt or 0), int(sent or 0)
        if (res["queued_ms"] is None and tgt > 0 and msgs == tgt and
                st not in (None, "resolving")):
            res["queued_ms"] = (now - t0) * 1000
            if until != "queued":
                res["mem_queued"] = used_memory(r)
                if pid:
                    res["rss_queued_kb"] = proc_status(pid).get("VmRSS")
        if st in ("done", "cancelled", "expired") and res["done_ms"] is None:
            res["done_ms"] = (now - t0) * 1000
        res.update(state=st, targeted=tgt, messages=msgs, sent=sent,
                   elapsed=now - (t0 or t_start))
        if until == "queued" and res["queued_ms"] is not None:
            break
        if until == "done" and res["done_ms"] is not None:
            break
        if now - t_start > timeout:
            res["timeout"] = True
            break
        time.sleep(interval)
    print(json.dumps(res))

# mock LOG OFFSET EXPECT TIMEOUT: requests logged after byte OFFSET.
def mock(log, off, expect, timeout):
    t_start = time.time()
    while True:
        with open(log, "rb") as f:
            f.seek(off)
            lines = [json.loads(l) for l in f.read().splitlines() if l.strip()]
        reqs = [l for l in lines if "time_ms" in l and "event" not in l]
        if len(reqs) >= expect or time.time() - t_start > timeout:
            break
        time.sleep(0.1)
    ts = [l["time_ms"] for l in reqs]
    refs = [l.get("ref") for l in reqs]
    span = (max(ts) - min(ts)) if ts else 0
    body = reqs[0].get("body", "") if reqs else ""
    text = body.split("&text=", 1)[1].split("&ref=", 1)[0] if "&text=" in body else ""
    print(json.dumps({"n": len(reqs), "distinct": len(set(refs)),
        "span_ms": span, "rate": len(reqs) * 1000.0 / span if span else 0,
        "bodylen": len(body), "text": text,
        "max_conc": max([l.get("concurrent", 0) for l in reqs] or [0])}))

# slowlog SOCK MESSAGES: every command since the last SLOWLOG RESET (the
# log keeps all with slowlog-log-slower-than 0), EVALSHA by script op.
def slowlog(sock, msgs):
    r = R(sock)
    ent = r.cmd("SLOWLOG", "GET", "-1")
    r.cmd("SLOWLOG", "RESET")
    agg = {}
    for e in ent:
        args = e[3]
        name = args[0].lower()
        if name in ("evalsha", "eval") and len(args) > 4:
            name = "lua " + args[4]
        elif name in ("slowlog", "info", "hmget", "hget", "config"):
            continue
        c, u = agg.get(name, (0, 0))
        agg[name] = (c + 1, u + int(e[2]))
    # Commands a script runs are logged too: they are part of its time.
    tot = sum(u for n, (c, u) in agg.items() if n.startswith("lua "))
    for name, (c, u) in sorted(agg.items(), key=lambda x: -x[1][1])[:6]:
        print("        %-14s %7d calls %8.1f ms %7.0f us/call %6.1f msgs/call "
              "%5.1f us/msg (%2.0f%% of Lua time%s)" % (name, c, u / 1000,
              u / c, msgs / c, u / msgs, u * 100 / tot if tot else 0,
              "" if name.startswith("lua ") else ", inside it"))

cmd = sys.argv[1]
if cmd == "slowlog":
    slowlog(sys.argv[2], int(sys.argv[3]))
elif cmd == "watch":
    a = sys.argv[2:]
    watch(a[0], a[1], a[2], a[3], float(a[4]), float(a[5]),
          a[6] if len(a) > 6 else None)
elif cmd == "mock":
    mock(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
elif cmd == "cpu":
    cpu(sys.argv[2:])
elif cmd == "field":          # field JSONFILE KEY
    v = json.load(open(sys.argv[2])).get(sys.argv[3])
    print("" if v is None else v)
elif cmd == "median":         # median X...
    print("%.1f" % statistics.median(float(x) for x in sys.argv[2:]))
PY
rp() {
	python3 "$T/rp.py" "$@"
}
jf() {
	rp field "$@"
}

# conf_with PORT: the config, with the mock as the only channel.
conf_with() {
	{
		echo "redis = { socket = \"$SOCK\"; prefix = \"$PREFIX\"; };"
		echo "daemon = { log_level = \"info\"; instance = \"$INSTANCE\"; };"
		echo "districts_file = \"$top_srcdir/data/divisions-cn.csv\";"
		echo "templates_dir = \"$top_srcdir/templates\";"
		cat <<EOF
groups = ( { id = "elderly"; name = "老年人"; },
  { id = "disabled"; name = "残疾人"; },
  { id = "low_income"; name = "低收入农户"; },
  { id = "dibao"; name = "低保对象"; },
  { id = "tekun"; name = "特困人员"; } );
departments = ( { id = "mzj"; name = "嵊州市民政局"; signature = "【嵊州民政】";
    hotline = "0575-83022222"; unsigned = true; } );
channels = ( { id = "http1"; type = "http"; driver = "generic";
    url = "http://127.0.0.1:$1/send"; method = "POST";
    body = "to=\${to}&text=\${text}&ref=\${ref}"; rate = "1000000/s";
    concurrency = $CONC; timeout = 10; } );
outbox = { lease = 60; };
# Benchmarks run at any hour and send to the same phones again and again.
quiet_hours = { enabled = false; };
limits = { recipient_routine = "1000000/day"; recipient_urgent = "1000000/day"; };
EOF
	} > "$CONF"
}
cc() {
	"$CIVICAST" -c "$CONF" "$@"
}

# mock_start LOG ARGS...: a mock provider on 127.0.0.1; its port in $PORT.
mock_start() {
	ml=$1
	shift
	rm -f "$T/port"
	"$MOCKPROV" -p 0 -l "$ml" -f "$T/port" "$@" 2>>"$T/mock.err" &
	MPID=$!
	i=0
	while [ ! -s "$T/port" ]; do
		i=$((i + 1))
		[ $i -lt 200 ] || { echo "pipeline.sh: mockprov did not start" >&2; exit 1; }
		sleep 0.05
	done
	PORT=$(cat "$T/port")
}
daemon_start() {
	: > "$T/daemon.log"
	"$CIVICASTD" -d -c "$CONF" 2>>"$T/daemon.log" &
	DPID=$!
	i=0
	while ! grep -q "subscribed to" "$T/daemon.log"; do
		i=$((i + 1))
		[ $i -lt 200 ] || { echo "pipeline.sh: civicastd did not start" >&2; cat "$T/daemon.log" >&2; exit 1; }
		sleep 0.05
	done
}
# fresh_registry COUNT: an empty Redis with COUNT residents (daemon down).
fresh_registry() {
	stop "$DPID"; DPID=""
	rcli FLUSHALL >/dev/null
	python3 "$top_srcdir/bench/gen-residents.py" -n "$1" \
	    --divisions "$top_srcdir/data/divisions-cn.csv" -o "$T/res.csv"
	t0=$(date +%s.%N)
	cc resident import "$T/res.csv" >/dev/null 2>"$T/import.err"
	t1=$(date +%s.%N)
	rm -f "$T/res.csv"
	printf '  registry: %s residents imported in %.1f s\n' "$1" \
	    "$(python3 -c "print($t1 - $t0)")"
}
SEQ=0
# publish ID [ARGS...]: a city-wide subsidy notice to everyone.
publish() {
	id=$1
	shift
	cc publish --id "$id" --department mzj --template subsidy_notice \
	    --districts 3306 --param title=标题 --param detail=内容 \
	    --param effective_date=12月1日 --param action=无需申请 "$@" \
	    >/dev/null
}
evalsha() {
	rcli INFO commandstats | tr -d '\r' |
	    sed -n 's/^cmdstat_evalsha:calls=\([0-9]*\),usec=\([0-9]*\),.*/\1 \2/p'
}

echo "== civicast pipeline benchmark"
echo "date:      $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "commit:    $(git -C "$top_srcdir" rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "build:     $BUILDDIR"
echo "machine:   $(nproc) CPUs, $(uname -sr); redis $(redis-server --version | cut -d' ' -f3 | cut -d= -f2)"
echo "note:      redis-server, civicastd, mockprov and the client share these CPUs"
echo

case " $PHASES " in *" fanout "*)
echo "== 1. fan-out: XADD -> all messages queued, $N residents, city-wide"
mock_start "$T/mock0.jsonl"
conf_with "$PORT"
fresh_registry "$N"
daemon_start
LATER=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
ms=""
for r in $(seq 1 "$RUNS"); do
	SEQ=$((SEQ + 1))
	rcli SLOWLOG RESET >/dev/null
	set -- $(rp cpu "$DPID" "$RPID")
	c0d=$1 c0r=$2
	rp watch "$SOCK" "$PREFIX" "mzj/fo$SEQ" queued 0.005 120 > "$T/w.json" &
	wp=$!
	publish "fo$SEQ" --not-before "$LATER"
	wait "$wp" || true
	set -- $(rp cpu "$DPID" "$RPID")
	c1d=$1 c1r=$2
	e=$(jf "$T/w.json" e)
	q=$(jf "$T/w.json" queued_ms)
	i=0
	while ! grep -q "fanout: event $e .*messages queued in" "$T/daemon.log" && [ $i -lt 100 ]; do
		sleep 0.05; i=$((i + 1))
	done
	line=$(grep "fanout: event $e .*messages queued in" "$T/daemon.log" | sed 's/.*: \([0-9]* messages queued in [0-9]* ms\).*/\1/')
	printf '  run %d: event %s: targeted %s, messages %s, state %s: XADD -> queued %.0f ms; daemon: "%s"\n' \
	    "$r" "$e" "$(jf "$T/w.json" targeted)" "$(jf "$T/w.json" messages)" \
	    "$(jf "$T/w.json" state)" "${q:-0}" "$line"
	echo "        cpu s: civicastd $(python3 -c "print('%.2f' % ($c1d - $c0d))"), redis $(python3 -c "print('%.2f' % ($c1r - $c0r))")"
	[ "$PROFILE" != 1 ] || rp slowlog "$SOCK" "$(jf "$T/w.json" messages)"
	ms="$ms ${q:-999999}"
done
grep "phones from" "$T/daemon.log" | tail -1 | sed 's/^.*fanout:/  resolve: fanout:/'
# shellcheck disable=SC2086
med=$(rp median $ms)
echo "  median XADD -> all queued: $med ms  target <= 2000 ms: $(verdict "$med" le 2000)"
stop "$DPID"; DPID=""
stop "$MPID"; MPID=""
echo
;; esac

# tp_pair LATENCY MESSAGES: RUNS alternating pairs civicast / rawclient.
tp_pair() {
	lat=$1 want=$2 target=$3
	mlog="$T/mock-lat$lat.jsonl"
	mock_start "$mlog" --latency "$lat"
	conf_with "$PORT"
	fresh_registry "$want"
	daemon_start
	cr="" rr="" cd="" text=""
	for r in $(seq 1 "$RUNS"); do
		SEQ=$((SEQ + 1))
		off=$(stat -c %s "$mlog" 2>/dev/null || echo 0)
		set -- $(rp cpu "$DPID" "$RPID" "$MPID")
		c0d=$1 c0r=$2 c0m=$3
		set -- $(evalsha)
		ev0=${1:-0} evu0=${2:-0}
		rcli SLOWLOG RESET >/dev/null
		rp watch "$SOCK" "$PREFIX" "mzj/tp$SEQ" done 0.02 600 > "$T/w.json" &
		wp=$!
		publish "tp$SEQ"
		wait "$wp" || true
		msgs=$(jf "$T/w.json" messages)
		rp mock "$mlog" "$off" "$msgs" 30 > "$T/m.json"
		set -- $(rp cpu "$DPID" "$RPID" "$MPID")
		c1d=$1 c1r=$2 c1m=$3
		set -- $(evalsha)
		ev1=${1:-0} evu1=${2:-0}
		e=$(jf "$T/w.json" e)
		sent=$(jf "$T/w.json" sent)
		left=$(rcli ZCARD "${PREFIX}inflight:$INSTANCE")
		ok=yes
		[ "$(jf "$T/w.json" state)" = done ] || ok="NO (state $(jf "$T/w.json" state))"
		[ "$sent" = "$msgs" ] && [ "$msgs" = "$(jf "$T/w.json" targeted)" ] || ok="NO (sent $sent of $msgs)"
		[ "$(jf "$T/m.json" distinct)" = "$msgs" ] && [ "$(jf "$T/m.json" n)" = "$msgs" ] ||
		    ok="NO (mock: $(jf "$T/m.json" n) requests, $(jf "$T/m.json" distinct) distinct)"
		[ "$left" = 0 ] || ok="NO ($left leases left)"
		rate=$(jf "$T/m.json" rate)
		cr="$cr $rate"
		cd="$cd $(jf "$T/w.json" done_ms)"
		python3 - "$r" "$e" "$msgs" "$rate" "$(jf "$T/m.json" span_ms)" \
		    "$(jf "$T/w.json" done_ms)" "$ok" "$c0d" "$c1d" "$c0r" "$c1r" \
		    "$c0m" "$c1m" "$ev0" "$ev1" "$evu0" "$evu1" "$(jf "$T/m.json" max_conc)" <<'PY'
import sys
a = sys.argv[1:]
n = int(a[2]); span = float(a[4]) / 1000
calls, usec = int(a[14]) - int(a[13]), int(a[16]) - int(a[15])
print("  run %s civicast:  event %s, %d msgs, %5.0f/s over the mock's %.2f s "
      "(publish->done %.2f s), tracked: %s" %
      (a[0], a[1], n, float(a[3]), span, float(a[5]) / 1000, a[6]))
print("        cpu s: civicastd %.2f, redis %.2f, mock %.2f; evalsha %d calls "
      "(%.1f msgs/call), %.0f us/call, %.2f s in Lua; mock max concurrent %s" %
      (float(a[8]) - float(a[7]), float(a[10]) - float(a[9]),
       float(a[12]) - float(a[11]), calls, n / calls if calls else 0,
       usec / calls if calls else 0, usec / 1e6, a[17]))
PY
		[ "$PROFILE" != 1 ] || rp slowlog "$SOCK" "$msgs"
		[ -n "$text" ] || text=$(jf "$T/m.json" text)
		off=$(stat -c %s "$mlog")
		set -- $(rp cpu "$RPID" "$MPID")
		c0r=$1 c0m=$2
		"$RAWCLIENT" -u "http://127.0.0.1:$PORT/send" -n "$msgs" -c "$CONC" \
		    --to 13800000001 --text "$text" > "$T/raw.out" || true
		rp mock "$mlog" "$off" "$msgs" 30 > "$T/m.json"
		set -- $(rp cpu "$RPID" "$MPID")
		rate=$(jf "$T/m.json" rate)
		rr="$rr $rate"
		printf '  run %d rawclient: %d reqs, %5.0f/s over the mock'"'"'s %.2f s (%s); cpu s: mock %.2f; body %s B\n' \
		    "$r" "$(jf "$T/m.json" n)" "$rate" \
		    "$(python3 -c "print($(jf "$T/m.json" span_ms) / 1000)")" \
		    "$(sed 's/^rawclient: //; s/, concurrency.*rate/: own rate/' "$T/raw.out")" \
		    "$(python3 -c "print($2 - $c0m)")" "$(jf "$T/m.json" bodylen)"
	done
	# shellcheck disable=SC2086
	mc=$(rp median $cr)
	# shellcheck disable=SC2086
	mr=$(rp median $rr)
	ratio=$(python3 -c "print('%.0f' % ($mc * 100 / $mr))")
	echo "  median: civicast $mc/s, rawclient $mr/s: civicast at $ratio% of rawclient  target >= $target%: $(verdict "$ratio" ge "$target")"
	stop "$DPID"; DPID=""
	stop "$MPID"; MPID=""
}

case " $PHASES " in *" throughput "*)
echo "== 2a. throughput, instant provider (--latency 0), concurrency $CONC, $N_FAST residents"
tp_pair 0 "$N_FAST" 40
echo
echo "== 2b. throughput, 20 ms provider (--latency 20), concurrency $CONC, $N_SLOW residents"
tp_pair 20 "$N_SLOW" 80
echo
;; esac

case " $PHASES " in *" memory "*)
echo "== 3. daemon memory, $N_BIG residents, instant provider (mock logs to /dev/null)"
mock_start /dev/null --latency 0
conf_with "$PORT"
fresh_registry "$N_BIG"
daemon_start
mem0=$(info memory used_memory)
echo "  civicastd at start: $(grep -E 'VmRSS' /proc/"$DPID"/status | tr -s ' \t' ' ')"
SEQ=$((SEQ + 1))
rp watch "$SOCK" "$PREFIX" "mzj/big$SEQ" done 0.2 "$BIG_SECS" "$DPID" > "$T/w.json" &
wp=$!
publish "big$SEQ"
wait "$wp" || true
python3 - "$T/w.json" "$mem0" <<'PY'
import json, sys
w, mem0 = json.load(open(sys.argv[1])), int(sys.argv[2])
peak = max(w["peak_rss_kb"], w.get("hwm_kb", 0)) / 1024
print("  event %s: targeted %d, messages %d, sent %d, state %s after %.1f s%s" %
      (w["e"], w["targeted"], w["messages"], w["sent"], w["state"], w["elapsed"],
       " (stopped watching)" if w.get("timeout") else ""))
if w["queued_ms"]:
    print("  fan-out complete (all %d queued) at %.1f s" % (w["messages"], w["queued_ms"] / 1000))
print("  delivery rate: %.0f msgs/s (sent / time since XADD)" % (w["sent"] / w["elapsed"]))
print("  civicastd peak RSS %.1f MB (max VmRSS of %d samples every 200 ms: %.1f MB; VmHWM %.1f MB)"
      "  target <= 150 MB: %s" % (peak, w["samples"], w["peak_rss_kb"] / 1024,
      w.get("hwm_kb", 0) / 1024, "met" if peak <= 150 else "MISSED"))
if w["mem_queued"]:
    print("  redis used_memory %.1f MB before -> %.1f MB with all queued: %.0f bytes per message" %
          (mem0 / 1e6, w["mem_queued"] / 1e6, (w["mem_queued"] - mem0) / w["messages"]))
PY
mem1=$(info memory used_memory)
python3 -c "import sys; a,b,n=map(int,sys.argv[1:]); print('  redis used_memory at the end %.1f MB: %.0f bytes per message' % (b/1e6, (b-a)/max(n,1)))" \
    "$mem0" "$mem1" "$(jf "$T/w.json" messages)"
grep -E "phones from|messages queued in" "$T/daemon.log" | tail -2 | sed 's/^.*fanout:/  daemon: fanout:/'
;; esac
