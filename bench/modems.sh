#!/bin/sh
# bench/modems.sh: benchmark the GSM modem channel (src/modem.c) on
# simulated modems (tests/modemsim, pseudo-terminals), and gammu-smsd on
# the same simulated modem for comparison.
#
# usage: bench/modems.sh [BUILDDIR]
#
#   BUILDDIR   a build tree holding src/civicast, src/civicastd and
#              tests/modemsim (all built by `make`); default: the source
#              tree.  An -O2 out-of-tree build such as /tmp/mbench is meant.
#
# Environment:
#   N          messages of the civicast broadcast (default 800; one
#              resident, one phone, one single-part message each)
#   MODEMS     simulated modems, one civicast channel each (8)
#   LATENCY    modemsim --latency: ms from Ctrl-Z to +CMGS (500)
#   RATE       each modem channel's rate (default "1000/min": not limiting)
#   REPORTS    channel `reports` (1: ask for status reports, the default
#              of the channel; 0: none)
#   GAMMU_N    messages for gammu-smsd (40); 0 skips the gammu phase
#   GAMMU_SECS longest gammu-smsd may run (default 30 + 2 s per message)
#   RUNS       civicast broadcasts, one after the other (1)
#   RAW_N      sends of the calibration client (40); 0 skips it
#   KEEP       if 1, the temp directory (logs, configs, spool) is kept
#
# What it does: starts a private redis-server on a unix socket in a temp
# directory (no TCP port, no persistence) and tests/modemsim with MODEMS
# modems behind $T/sim/ttySIM0..n-1 (ptys; nothing on the network),
# imports N residents with distinct made-up phones (13800000000 + k) in
# one township, configures one `type = "modem"` channel per simulated
# modem and measures:
#   1. aggregate throughput: a broadcast of N single-part messages
#      (air_quality_forecast: UCS-2, one segment).  From the simulator's
#      JSON log (time_ms = when the PDU reached the modem): N / (last send
#      - first send + LATENCY), i.e. including the last message's time on
#      its modem, against the physical limit MODEMS * 1000 / LATENCY.
#      N / (last - first) (which counts one interval per modem too many)
#      and publish -> event done (civicast publish to the first poll of
#      <prefix>ev:<n> that sees state done; polls every 20 ms) are shown
#      too.  Checked: one send per phone, every message sent.
#   2. daemon overhead per message beyond the simulated latency: per modem
#      the gap between consecutive sends minus LATENCY (median, p90, max
#      over all modems), and (last - first) / (N / MODEMS - 1) - LATENCY.
#      The gap is the whole cycle seen from the modem: +CMGS/OK -> done ->
#      outbox take from Redis -> AT+CMGS= -> "> " -> PDU -> Ctrl-Z, so it
#      includes the simulator's and the kernel's pty time too.
#   3. gammu-smsd (files backend, foreground, private config and spool
#      under the temp dir) on ttySIM0 after civicastd has stopped: GAMMU_N
#      messages with the same text injected with gammu-smsd-inject before
#      it starts; its per-modem rate and gaps from the same simulator log,
#      against civicast's per-modem figures.  Stopped with SIGTERM, under
#      `timeout` in any case.
# It prints figures and "met"/"MISSED" per target; it asserts nothing.
# Every process it starts is stopped, and the temp directory deleted, on
# exit (trap).  Needs python3, redis-server, redis-cli; gammu-smsd and
# gammu-smsd-inject (Debian package gammu-smsd) for phase 3.
set -eu

top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$top_srcdir/bench/lib.sh"
BUILDDIR=$top_srcdir
for arg in "$@"; do
	case $arg in
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) echo "modems.sh: unknown option $arg" >&2; exit 2 ;;
	*) BUILDDIR=$arg ;;
	esac
done
: "${N:=800}"
: "${MODEMS:=8}"
: "${LATENCY:=500}"
: "${RATE:=1000/min}"
: "${REPORTS:=1}"
: "${GAMMU_N:=40}"
: "${GAMMU_SECS:=$((30 + 2 * GAMMU_N))}"
: "${RUNS:=1}"
: "${RAW_N:=40}"
CIVICAST=$BUILDDIR/src/civicast
CIVICASTD=$BUILDDIR/src/civicastd
MODEMSIM=$BUILDDIR/tests/modemsim
for b in "$CIVICAST" "$CIVICASTD" "$MODEMSIM"; do
	[ -x "$b" ] || { echo "modems.sh: no $b (make)" >&2; exit 2; }
done
for c in redis-server redis-cli python3; do
	command -v $c >/dev/null 2>&1 || { echo "modems.sh: $c not installed" >&2; exit 2; }
done
if [ "$GAMMU_N" -gt 0 ]; then
	for c in gammu-smsd gammu-smsd-inject timeout; do
		command -v $c >/dev/null 2>&1 || {
			echo "modems.sh: $c not installed (apt-get install gammu-smsd), or GAMMU_N=0" >&2
			exit 2
		}
	done
fi
[ "$REPORTS" = 1 ] && REPORTS_CONF=true || REPORTS_CONF=false

T=$(mktemp -d "${TMPDIR:-/tmp}/civicast-mbench.XXXXXX")
SOCK="$T/redis.sock"
CONF="$T/civicast.conf"
SIMLOG="$T/sim.jsonl"
PREFIX="bench:"
INSTANCE="bench"
DPID=""
SPID=""
GPID=""

cleanup() {
	stop "$GPID"
	stop "$DPID"
	stop "$SPID"
	redis_stop
	if [ "${KEEP:-0}" = 1 ]; then
		echo "modems.sh: kept $T" >&2
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

redis_start

# The simulator: MODEMS modems, all sends in one JSON log.
mkdir "$T/sim"
"$MODEMSIM" -d "$T/sim" -n "$MODEMS" -l "$SIMLOG" --latency "$LATENCY" \
    2>"$T/sim.err" &
SPID=$!
i=0
while [ ! -s "$T/sim/modemsim.pid" ]; do
	i=$((i + 1))
	[ $i -lt 200 ] || { echo "modems.sh: modemsim did not start" >&2; cat "$T/sim.err" >&2; exit 1; }
	sleep 0.05
done

# The helper: a small RESP client watching an event, and the log readers.
cp "$top_srcdir/bench/resp.py" "$T/"
cat > "$T/mp.py" <<'PY'
import json, os, statistics, sys, time

from resp import R, cpu_seconds

def cpu(pids):
    print(" ".join("%.2f" % cpu_seconds(p) for p in pids))

# watch SOCK PREFIX DEPT/ID T0_MS TIMEOUT: until the event is done.
def watch(sock, prefix, key, t0_ms, timeout):
    r = R(sock)
    t0 = float(t0_ms) / 1000
    e = None
    while e is None:
        e = r.cmd("HGET", prefix + "ev:ids", key)
        if e is None:
            if time.time() - t0 > timeout:
                print(json.dumps({"error": "event never accepted"}))
                return
            time.sleep(0.005)
    k = prefix + "ev:" + e
    res = {"e": e, "done_ms": None}
    while True:
        tgt, st, sent, dlv, msgs = r.cmd("HMGET", k, "targeted", "state",
                                         "n:sent", "n:delivered", "messages")
        now = time.time()
        # reports turn sent into delivered (1 s after each send here)
        res.update(state=st, targeted=int(tgt or 0),
                   sent=int(sent or 0) + int(dlv or 0),
                   delivered=int(dlv or 0), messages=int(msgs or 0))
        if st in ("done", "cancelled", "expired"):
            res["done_ms"] = (now - t0) * 1000
            break
        if now - t0 > timeout:
            res["timeout"] = True
            break
        time.sleep(0.02)
    print(json.dumps(res))

def sends(log, off, modems=None):
    with open(log, "rb") as f:
        f.seek(off)
        lines = [json.loads(l) for l in f.read().splitlines() if l.strip()]
    return [l for l in lines if "event" not in l and "time_ms" in l and
            (modems is None or l["modem"] in modems)]

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]

# analyse LOG OFFSET MODEMS LATENCY PUBLISH_MS WATCH_JSON LABEL
def analyse(log, off, modems, lat, pub_ms, wjson, label):
    modems, lat = int(modems), float(lat)
    ss = sends(log, int(off), set(range(modems)))
    w = json.load(open(wjson)) if wjson != "-" else {}
    out = {"n": len(ss)}
    if not ss:
        print(json.dumps(out))
        return
    ts = [s["time_ms"] for s in ss]
    first, last = min(ts), max(ts)
    span = last - first
    per, gaps = {}, []
    for s in ss:
        per.setdefault(s["modem"], []).append(s["time_ms"])
    for m, t in per.items():
        t.sort()
        gaps += [b - a for a, b in zip(t, t[1:])]
    n = len(ss)
    phys = modems * 1000.0 / lat
    out.update(first=first, last=last, span_ms=span,
               distinct=len({s["number"] for s in ss}),
               parts=sum(1 for s in ss if s.get("concat")),
               coding=sorted({s["coding"] for s in ss}),
               text=ss[0]["text"], pdu=ss[0]["pdu"],
               gap_mean=statistics.mean(gaps) if gaps else 0,
               per_modem={str(m): len(t) for m, t in sorted(per.items())},
               rate_busy=n * 1000.0 / (span + lat),
               rate_span=n * 1000.0 / span if span else 0,
               phys=phys,
               pub_to_first_ms=first - float(pub_ms),
               gap_med=statistics.median(gaps) if gaps else 0,
               gap_p90=pct(gaps, 90) if gaps else 0,
               gap_max=max(gaps) if gaps else 0,
               gap_min=min(gaps) if gaps else 0,
               ngaps=len(gaps),
               per_modem_rate=statistics.median(
                   [(len(t) - 1) * 1000.0 / (t[-1] - t[0])
                    for t in per.values() if len(t) > 1 and t[-1] > t[0]]
                   or [0]),
               wall_per_msg=span / (n / float(modems) - 1)
                   if n > modems else 0)
    out["overhead_wall"] = out["wall_per_msg"] - lat
    out["overhead_gap"] = out["gap_med"] - lat
    out["brief_formula"] = span / (n / float(modems)) - lat
    out.update({"watch_" + k: v for k, v in w.items()})
    print(json.dumps(out))

# raw DEV COUNT PDU: the least a client can do on one modem: AT+CMGS=,
# prompt, PDU + Ctrl-Z, +CMGS/OK, at once again.  Measures the modem's
# real latency (Ctrl-Z written -> OK read) and the client's own time per
# cycle (OK read -> Ctrl-Z written).
def raw(dev, count, pdu):
    import select, termios, tty
    fd = os.open(dev, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    termios.tcflush(fd, termios.TCIOFLUSH)
    buf = b""
    def until(pats, t=10):
        nonlocal buf
        end = time.monotonic() + t
        while True:
            for p in pats:
                i = buf.find(p)
                if i >= 0:
                    buf = buf[i + len(p):]
                    return time.monotonic()
            r, _, _ = select.select([fd], [], [], max(0, end - time.monotonic()))
            if not r:
                raise RuntimeError("timeout waiting for %r, got %r" % (pats, buf))
            buf += os.read(fd, 4096)
    os.write(fd, b"\x1b\r")
    time.sleep(0.2)
    buf = b""
    os.write(fd, b"ATE0\r")
    until([b"OK\r\n"])
    smsc = int(pdu[:2], 16)
    tlen = len(pdu) // 2 - 1 - smsc
    lats, own = [], []
    t_ok = None
    for k in range(int(count)):
        os.write(fd, b"AT+CMGS=%d\r" % tlen)
        until([b"> "])
        os.write(fd, pdu.encode() + b"\x1a")
        t_z = time.monotonic()
        if t_ok is not None:
            own.append((t_z - t_ok) * 1000)
        t_ok = until([b"\r\nOK\r\n"], 70)
        lats.append((t_ok - t_z) * 1000)
    os.close(fd)
    print(json.dumps({"n": len(lats), "lat_med": statistics.median(lats),
        "lat_mean": statistics.mean(lats), "lat_min": min(lats),
        "lat_max": max(lats), "own_med": statistics.median(own or [0]),
        "own_mean": statistics.mean(own or [0])}))

cmd = sys.argv[1]
if cmd == "raw":
    raw(sys.argv[2], sys.argv[3], sys.argv[4])
elif cmd == "watch":
    a = sys.argv[2:]
    watch(a[0], a[1], a[2], a[3], float(a[4]))
elif cmd == "analyse":
    analyse(*sys.argv[2:9])
elif cmd == "count":           # count LOG OFFSET MODEM
    print(len(sends(sys.argv[2], int(sys.argv[3]), {int(sys.argv[4])})))
elif cmd == "cpu":
    cpu(sys.argv[2:])
elif cmd == "field":          # field JSONFILE KEY
    v = json.load(open(sys.argv[2])).get(sys.argv[3])
    print("" if v is None else v)
PY
mp() {
	python3 "$T/mp.py" "$@"
}
jf() {
	mp field "$@"
}
now_ms() {
	python3 -c 'import time; print(int(time.time() * 1000))'
}
fmt() { # FORMAT ARGS: printf through python (floats)
	python3 -c 'import sys; print(sys.argv[1] % tuple(float(x) for x in sys.argv[2:]))' "$@"
}

# The config: one modem channel per simulated modem.
{
	echo "redis = { socket = \"$SOCK\"; prefix = \"$PREFIX\"; };"
	echo "daemon = { log_level = \"info\"; instance = \"$INSTANCE\"; };"
	echo "districts_file = \"$top_srcdir/data/divisions-cn.csv\";"
	echo "templates_dir = \"$top_srcdir/templates\";"
	cat <<EOF
groups = ( { id = "elderly"; name = "老年人"; } );
departments = ( { id = "mzj"; name = "嵊州市民政局"; signature = "【嵊州民政】";
    hotline = "0575-83022222"; unsigned = true; } );
outbox = { lease = 120; };
# Benchmarks run at any hour: no quiet hours.
quiet_hours = { enabled = false; };
EOF
	echo "channels = ("
	m=0
	while [ $m -lt "$MODEMS" ]; do
		[ $m -eq 0 ] || echo "  ,"
		echo "  { id = \"m$m\"; type = \"modem\"; device = \"$T/sim/ttySIM$m\";"
		echo "    rate = \"$RATE\"; reports = $REPORTS_CONF; }"
		m=$((m + 1))
	done
	echo ");"
} > "$CONF"
cc() {
	"$CIVICAST" -c "$CONF" "$@"
}

# N residents, distinct phones, one township (崇仁镇).
python3 - "$N" > "$T/res.csv" <<'PY'
import sys
print("id,phone,district,groups,name")
for k in range(int(sys.argv[1])):
    print("r%d,%d,330683102,elderly,居民%d" % (k, 13800000000 + k, k))
PY
cc resident import "$T/res.csv" >/dev/null 2>"$T/import.err" ||
    { echo "modems.sh: import failed" >&2; cat "$T/import.err" >&2; exit 1; }

: > "$T/daemon.log"
"$CIVICASTD" -d -c "$CONF" 2>>"$T/daemon.log" &
DPID=$!
i=0
until grep -q "subscribed to" "$T/daemon.log" &&
    [ "$(grep -c 'modem m[0-9]*: up' "$T/daemon.log" || true)" -ge "$MODEMS" ]; do
	i=$((i + 1))
	[ $i -lt 600 ] || { echo "modems.sh: civicastd or its modems did not come up in 30 s" >&2; tail -20 "$T/daemon.log" >&2; exit 1; }
	kill -0 "$DPID" 2>/dev/null || { echo "modems.sh: civicastd exited" >&2; tail -20 "$T/daemon.log" >&2; exit 1; }
	sleep 0.05
done

PARAMS="--param area=我市 --param date=明天 --param quality=良 --param advice=无需防护"
publish() {
	cc publish --id "$1" --department mzj --template air_quality_forecast \
	    --groups elderly --districts 330683102 $PARAMS >/dev/null
}
cc publish --dry-run --department mzj --template air_quality_forecast \
    --groups elderly --districts 330683102 $PARAMS > "$T/dry.out" 2>&1 || true

# commit: HEAD of the source tree, read from .git (git itself not run).
commit() {
	g=$top_srcdir/.git
	h=$(cat "$g/HEAD" 2>/dev/null) || { echo unknown; return; }
	case $h in
	"ref: "*)
		r=${h#ref: }
		h=$(cat "$g/$r" 2>/dev/null ||
		    sed -n "s| $r\$||p" "$g/packed-refs" 2>/dev/null) || true ;;
	esac
	[ -n "$h" ] && echo "$h" | cut -c1-7 || echo unknown
}
echo "== civicast modem benchmark"
echo "date:      $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "commit:    $(commit)"
echo "build:     $BUILDDIR"
echo "machine:   $(nproc) CPUs, $(uname -sr); redis $(redis-server --version | cut -d' ' -f3 | cut -d= -f2)"
echo "setup:     $MODEMS simulated modems (ptys), --latency $LATENCY ms, rate \"$RATE\", reports $REPORTS_CONF"
echo "message:   $(grep -E 'audience:|UCS-2|GSM|segment' "$T/dry.out" | tr -s ' ' | tr '\n' ';' | sed 's/;$//')"
echo

run=1
CIV_RATE=""
while [ $run -le "$RUNS" ]; do
	echo "== 1-2. civicast: broadcast of $N messages over $MODEMS modems (run $run)"
	off=$(stat -c %s "$SIMLOG")
	# shellcheck disable=SC2046 # three numbers
	set -- $(mp cpu "$DPID" "$RPID" "$SPID")
	c0d=$1 c0r=$2 c0s=$3
	t0=$(now_ms)
	mp watch "$SOCK" "$PREFIX" "mzj/b$run" "$t0" \
	    "$((N * LATENCY * 3 / MODEMS / 1000 + 60))" > "$T/w.json" &
	wp=$!
	publish "b$run"
	wait "$wp" || true
	# the simulator logs each send when its PDU arrives: all there by now
	# shellcheck disable=SC2046 # three numbers
	set -- $(mp cpu "$DPID" "$RPID" "$SPID")
	c1d=$1 c1r=$2 c1s=$3
	mp analyse "$SIMLOG" "$off" "$MODEMS" "$LATENCY" "$t0" "$T/w.json" "civicast" > "$T/a.json"
	python3 - "$T/a.json" "$N" "$MODEMS" "$LATENCY" "$c0d" "$c1d" "$c0r" "$c1r" "$c0s" "$c1s" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
n, modems, lat = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
c = [float(x) for x in sys.argv[5:11]]
ok = []
if a.get("watch_state") != "done":
    ok.append("state %s" % a.get("watch_state"))
if a.get("watch_sent") != n or a.get("watch_targeted") != n:
    ok.append("sent %s of %s targeted" % (a.get("watch_sent"), a.get("watch_targeted")))
if a["n"] != n or a.get("distinct") != n:
    ok.append("simulator: %d sends, %s distinct numbers" % (a["n"], a.get("distinct")))
if a.get("parts"):
    ok.append("%d multipart sends" % a["parts"])
print("  event %s: state %s, targeted %s, sent %s (of which delivered %s); simulator: %d sends, %s distinct, coding %s, per modem %s; checked: %s" % (
    a.get("watch_e"), a.get("watch_state"), a.get("watch_targeted"),
    a.get("watch_sent"), a.get("watch_delivered"), a["n"], a.get("distinct"), ",".join(a.get("coding", [])),
    "/".join(str(v) for v in a.get("per_modem", {}).values()),
    "ok" if not ok else "NO (" + "; ".join(ok) + ")"))
if a["n"] < 2:
    sys.exit(0)
print("  first -> last send %.2f s; publish -> first send %.0f ms; publish -> done %.2f s" % (
    a["span_ms"] / 1000, a["pub_to_first_ms"], (a.get("watch_done_ms") or 0) / 1000))
print("  1. throughput %.2f msg/s = N / (last - first + latency) = %.1f%% of %.0f msg/s  target >= 97%%: %s" % (
    a["rate_busy"], a["rate_busy"] * 100 / a["phys"], a["phys"],
    "met" if a["rate_busy"] >= 0.97 * a["phys"] else "MISSED"))
print("     (N / (last - first) = %.2f msg/s, %.1f%%: one interval per modem too few in the span; N / (publish -> done) = %.2f msg/s)" % (
    a["rate_span"], a["rate_span"] * 100 / a["phys"],
    n * 1000.0 / a["watch_done_ms"] if a.get("watch_done_ms") else 0))
print("  2. overhead per message beyond %.0f ms: median gap %.1f ms (gap p90 %.0f, min %.0f, max %.0f ms over %d gaps); (last-first)/(N/%d-1) - latency = %.2f ms  target <= 2 ms: %s" % (
    lat, a["overhead_gap"], a["gap_p90"] - lat, a["gap_min"] - lat, a["gap_max"] - lat,
    a["ngaps"], modems, a["overhead_wall"],
    "met" if max(a["overhead_gap"], a["overhead_wall"]) <= 2 else "MISSED"))
print("     (the brief's (last-first)/(N/%d) - latency = %.2f ms is biased low by latency*%d/N = %.1f ms)" % (
    modems, a["brief_formula"], modems, lat * modems / n))
print("     per modem: median %.3f msg/s (sends - 1) / (its last - first)" % a["per_modem_rate"])
print("     cpu s during the run: civicastd %.2f, redis %.2f, modemsim %.2f; per message civicastd %.0f us" % (
    c[1] - c[0], c[3] - c[2], c[5] - c[4], (c[1] - c[0]) * 1e6 / n))
PY
	CIV_RATE=$(jf "$T/a.json" per_modem_rate)
	CIV_GAP=$(jf "$T/a.json" gap_med)
	TEXT=$(jf "$T/a.json" text)
	PDU=$(jf "$T/a.json" pdu)
	CIV_WALL=$(jf "$T/a.json" wall_per_msg)
	run=$((run + 1))
	echo
done
grep -E "warn|error|unknown|quarantin|down" "$T/daemon.log" | head -5 | sed 's/^/  daemon log: /' || true
stop "$DPID"; DPID=""

if [ "$RAW_N" -gt 0 ]; then
	echo "== 2b. calibration: a minimal AT client (python, raw pty) on ttySIM0, $RAW_N sends of the same PDU"
	off=$(stat -c %s "$SIMLOG")
	t0=$(now_ms)
	timeout 120 python3 "$T/mp.py" raw "$T/sim/ttySIM0" "$RAW_N" "$PDU" > "$T/raw.json"
	mp analyse "$SIMLOG" "$off" 1 "$LATENCY" "$t0" - raw > "$T/r.json"
	python3 - "$T/raw.json" "$T/r.json" "$LATENCY" "$CIV_GAP" "$CIV_WALL" <<'PY2'
import json, sys
w, a = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
lat, civ_gap, civ_wall = float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
print("  the modem's real latency (Ctrl-Z written -> OK read): median %.2f ms, mean %.2f (min %.2f, max %.2f) for --latency %.0f" % (
    w["lat_med"], w["lat_mean"], w["lat_min"], w["lat_max"], lat))
print("  the client's own time per cycle (OK read -> Ctrl-Z written): median %.2f ms, mean %.2f" % (w["own_med"], w["own_mean"]))
print("  its gaps in the simulator's log: median %.1f ms = latency + %.1f ms, mean latency + %.2f ms (min %+.0f, max %+.0f)" % (
    a["gap_med"], a["gap_med"] - lat, a["gap_mean"] - lat, a["gap_min"] - lat, a["gap_max"] - lat))
print("  civicast against the real latency: median gap - median latency = %.2f ms; mean (last-first)/(N/M-1) - mean latency = %.2f ms  target <= 2 ms: %s" % (
    civ_gap - w["lat_med"], civ_wall - w["lat_mean"],
    "met" if max(civ_gap - w["lat_med"], civ_wall - w["lat_mean"]) <= 2 else "MISSED"))
PY2
	echo
fi

[ "$GAMMU_N" -gt 0 ] || exit 0
echo "== 3. gammu-smsd $(gammu-smsd --version | sed -n 's/.*version //p' | head -1) (files backend) on ttySIM0, $GAMMU_N messages"
G="$T/gammu"
mkdir -p "$G/inbox" "$G/outbox" "$G/sent" "$G/error"
cat > "$G/smsdrc" <<EOF
[gammu]
device = $T/sim/ttySIM0
connection = at
use_locking = no

[smsd]
service = files
logfile = $G/smsd.log
debuglevel = 1
phoneid = sim0
inboxpath = $G/inbox/
outboxpath = $G/outbox/
sentsmspath = $G/sent/
errorsmspath = $G/error/
checksecurity = 0
checkbattery = 0
checksignal = 0
checknetwork = 0
statusfrequency = 0
receivefrequency = 3600
commtimeout = 1
deliveryreport = no
EOF
k=0
while [ $k -lt "$GAMMU_N" ]; do
	gammu-smsd-inject -c "$G/smsdrc" TEXT "$((13900000000 + k))" -unicode \
	    -text "$TEXT" >/dev/null 2>>"$G/inject.err" ||
	    { echo "modems.sh: gammu-smsd-inject failed" >&2; cat "$G/inject.err" >&2; exit 1; }
	k=$((k + 1))
done
off=$(stat -c %s "$SIMLOG")
t0=$(now_ms)
timeout -s TERM "$GAMMU_SECS" gammu-smsd -c "$G/smsdrc" >"$G/stdout" 2>&1 &
GPID=$!
i=0
while [ "$(mp count "$SIMLOG" "$off" 0)" -lt "$GAMMU_N" ]; do
	kill -0 "$GPID" 2>/dev/null || break
	sleep 0.25
done
stop "$GPID"; GPID=""
gdone=$(ls "$G/sent" | wc -l)
gerr=$(ls "$G/error" | wc -l)
mp analyse "$SIMLOG" "$off" 1 "$LATENCY" "$t0" - gammu > "$T/g.json"
python3 - "$T/g.json" "$GAMMU_N" "$LATENCY" "$gdone" "$gerr" "$CIV_RATE" "$CIV_GAP" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
n, lat = int(sys.argv[2]), float(sys.argv[3])
civ_rate, civ_gap = float(sys.argv[6] or 0), float(sys.argv[7] or 0)
print("  simulator: %d sends (%s distinct, coding %s); spool: %s sent, %s error" % (
    a["n"], a.get("distinct"), ",".join(a.get("coding", [])), sys.argv[4], sys.argv[5]))
if a["n"] < 2:
    sys.exit(0)
print("  start -> first send %.2f s; first -> last send %.2f s" % (a["pub_to_first_ms"] / 1000, a["span_ms"] / 1000))
print("  gammu-smsd: %.3f msg/s per modem ((sends - 1) / (last - first)); median gap %.0f ms = latency + %.0f ms (p90 +%.0f, min +%.0f, max +%.0f)" % (
    a["per_modem_rate"], a["gap_med"], a["gap_med"] - lat, a["gap_p90"] - lat,
    a["gap_min"] - lat, a["gap_max"] - lat))
if civ_rate:
    print("  civicast:   %.3f msg/s per modem; median gap %.1f ms = latency + %.1f ms" % (civ_rate, civ_gap, civ_gap - lat))
    print("  civicast per modem = %.2f x gammu-smsd; %d modems under gammu-smsd would give %.1f msg/s" % (
        civ_rate / a["per_modem_rate"], 8, 8 * a["per_modem_rate"]))
PY
grep -v -e "moved to" -e "No error" "$G/smsd.log" | grep -iE "error|fail" | head -3 | sed 's/^/  smsd log: /' || true
