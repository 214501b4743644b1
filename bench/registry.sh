#!/bin/sh
# bench/registry.sh: benchmark the resident registry at city scale.
#
# usage: bench/registry.sh [--shuffle] [BUILDDIR]
#
#   BUILDDIR   a build tree holding src/civicast (default: the source tree;
#              an out-of-tree build such as /tmp/b works too)
#   --shuffle  import the rows in random order instead of by district (the
#              worst case for locality of the dense resident ids)
#
# Environment:
#   CIVICAST   the civicast binary (overrides BUILDDIR/src/civicast)
#   N          residents to generate (default 1000000)
#   RUNS       runs per timed query (default 21)
#   KEEP_CSV   if set, the generated CSV is left at this path
#
# What it does: starts a private redis-server on a unix socket in a temp
# directory (no TCP port, no persistence), writes a civicast config for
# it, generates N synthetic residents of 3306 绍兴市 (bench/gen-residents.py),
# and times:
#   * resident import of the file (wall clock, rows/s), and a second import
#     of the same file (every row unchanged);
#   * audience count, RUNS times each, for a county, a township and a
#     city-wide query: the whole command's wall time, process start, config
#     and district table load included;
#   * resident show RUNS times, as the baseline cost of one civicast
#     process that does a single small Redis round trip.
# It prints Redis used_memory per resident and the Lua script's cost per
# call from INFO commandstats.  It prints figures; it asserts nothing (it
# says whether each target was met).  Needs python3 and redis-server;
# uses hyperfine for the query timings if it is installed.
set -eu

top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$top_srcdir/bench/lib.sh"
SHUFFLE=""
BUILDDIR=$top_srcdir
for arg in "$@"; do
	case $arg in
	--shuffle) SHUFFLE=--shuffle ;;
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) echo "registry.sh: unknown option $arg" >&2; exit 2 ;;
	*) BUILDDIR=$arg ;;
	esac
done
: "${CIVICAST:=$BUILDDIR/src/civicast}"
: "${N:=1000000}"
: "${RUNS:=21}"

[ -x "$CIVICAST" ] || { echo "registry.sh: no civicast at $CIVICAST" >&2; exit 2; }
command -v redis-server >/dev/null 2>&1 ||
    { echo "registry.sh: redis-server not installed" >&2; exit 2; }
command -v python3 >/dev/null 2>&1 ||
    { echo "registry.sh: python3 not installed" >&2; exit 2; }

T=$(mktemp -d "${TMPDIR:-/tmp}/civicast-bench.XXXXXX")
SOCK="$T/redis.sock"
CONF="$T/civicast.conf"
CSV="$T/residents.csv"
PREFIX="bench:"

cleanup() {
	redis_stop
	if [ -n "${KEEP_CSV:-}" ] && [ -f "$CSV" ]; then
		mv "$CSV" "$KEEP_CSV"
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

redis_start

# info SECTION FIELD: one field of INFO SECTION.
info() {
	rcli INFO "$1" | tr -d '\r' | sed -n "s/^$2://p"
}

# evalsha_stats: "calls usec_per_call" of EVALSHA since the last RESETSTAT.
evalsha_stats() {
	rcli INFO commandstats | tr -d '\r' |
	    sed -n 's/^cmdstat_evalsha:calls=\([0-9]*\),usec=[0-9]*,usec_per_call=\([0-9.]*\).*/\1 \2/p'
}

{
	echo "redis = { socket = \"$SOCK\"; prefix = \"$PREFIX\"; };"
	echo "daemon = { log_level = \"info\"; instance = \"bench\"; };"
	echo "districts_file = \"$top_srcdir/data/divisions-cn.csv\";"
	echo "templates_dir = \"$top_srcdir/templates\";"
	echo 'groups = ( { id = "elderly"; name = "老年人"; },'
	echo '  { id = "disabled"; name = "残疾人"; },'
	echo '  { id = "low_income"; name = "低收入农户"; },'
	echo '  { id = "dibao"; name = "低保对象"; },'
	echo '  { id = "tekun"; name = "特困人员"; } );'
} > "$CONF"

cc() {
	"$CIVICAST" -c "$CONF" "$@"
}

now() {
	python3 -c 'import time; print("%.6f" % time.time())'
}

# elapsed START END: seconds between two now()s.
elapsed() {
	python3 -c 'import sys; print("%.2f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$1" "$2"
}

# timeit LABEL TARGET_MS CMD...: RUNS wall-clock timings of CMD (after one
# warm-up run); prints median/min/max in ms and whether the median met
# TARGET_MS (0: no target).
timeit() {
	label=$1 target=$2
	shift 2
	if command -v hyperfine >/dev/null 2>&1; then
		cmd=""
		for a in "$@"; do
			cmd="$cmd '$a'"
		done
		hyperfine -N -w 1 -r "$RUNS" --export-json "$T/hf.json" \
		    "$cmd" >/dev/null 2>&1
		python3 - "$T/hf.json" "$label" "$target" <<'PY'
import json, statistics, sys
t = [x * 1000 for x in json.load(open(sys.argv[1]))["results"][0]["times"]]
med, target = statistics.median(t), float(sys.argv[3])
verdict = "" if target == 0 else \
    ("  target <= %g ms: %s" % (target, "met" if med <= target else "MISSED"))
print("%-34s median %7.1f ms  min %7.1f  max %7.1f  (n=%d, hyperfine)%s" %
      (sys.argv[2], med, min(t), max(t), len(t), verdict))
PY
		return
	fi
	python3 - "$RUNS" "$label" "$target" "$@" <<'PY'
import os, statistics, subprocess, sys, time
runs, label, target, cmd = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4:]
null = open(os.devnull, "w")
subprocess.run(cmd, stdout=null, stderr=null, check=True)     # warm-up
t = []
for _ in range(runs):
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=null, stderr=null, check=True)
    t.append((time.perf_counter() - t0) * 1000)
med = statistics.median(t)
verdict = "" if target == 0 else \
    ("  target <= %g ms: %s" % (target, "met" if med <= target else "MISSED"))
print("%-34s median %7.1f ms  min %7.1f  max %7.1f  (n=%d)%s" %
      (label, med, min(t), max(t), len(t), verdict))
PY
}

# cmdstats [PER]: the commands run since the last RESETSTAT (those the
# Lua script calls are counted too), by total time; PER: calls per query.
cmdstats() {
	rcli INFO commandstats | tr -d '\r' | python3 -c '
import re, sys
per = int(sys.argv[1]) if len(sys.argv) > 1 else 0
rows = []
for l in sys.stdin:
    m = re.match(r"cmdstat_(\w+):calls=(\d+),usec=(\d+),usec_per_call=([\d.]+)", l)
    if m:
        rows.append((m.group(1), int(m.group(2)), int(m.group(3)), float(m.group(4))))
ev = sum(r[2] for r in rows if r[0] in ("evalsha", "eval"))
for name, calls, usec, upc in sorted(rows, key=lambda r: -r[2])[:9]:
    if name in ("evalsha", "eval", "info", "config", "scan", "memory"):
        continue
    if per:
        print("      %-10s %9.0f calls/query %7.2f ms/query  (%2.0f%% of script time)" %
              (name, calls / per, usec / per / 1000, usec * 100 / ev if ev else 0))
        continue
    print("      %-10s %9d calls %9.1f ms %6.2f us/call%s" % (name, calls,
        usec / 1000, upc, "  (%2.0f%% of script time)" % (usec * 100 / ev) if ev else ""))
' "$@"
}

# memory_breakdown: MEMORY USAGE summed by kind of key.
memory_breakdown() {
	rcli --scan --pattern "${PREFIX}*" > "$T/keys"
	python3 - "$T/keys" "$PREFIX" <<'PY' > "$T/memcmds"
import sys
for k in open(sys.argv[1]):
    k = k.rstrip("\n")
    if k:
        print("MEMORY USAGE %s SAMPLES 0" % k)
PY
	rcli < "$T/memcmds" > "$T/memsizes"
	python3 - "$T/keys" "$T/memsizes" "$PREFIX" <<'PY'
import collections, sys
keys = [k.rstrip("\n") for k in open(sys.argv[1]) if k.strip()]
sizes = [l.strip() for l in open(sys.argv[2])]
p = sys.argv[3]
kind = collections.OrderedDict()
def kind_of(k):
    k = k[len(p):]
    if k.startswith("bm:d:"):
        return "bm:d:<code> (%d-digit)" % len(k[5:])
    if k.startswith("bm:g:"):
        return "bm:g:<group>"
    if k.startswith("bm:"):
        return k
    if k.startswith("set:d:"):
        return "set:d:<village> sets"
    if k.startswith("r:") and k[2:].isdigit():
        return "r:<bucket> record hashes"
    return k
tot = collections.defaultdict(int)
cnt = collections.defaultdict(int)
for k, s in zip(keys, sizes):
    if not s.isdigit():
        continue
    tot[kind_of(k)] += int(s)
    cnt[kind_of(k)] += 1
for k in sorted(tot, key=lambda x: -tot[x]):
    print("  %-28s %8d keys %10.1f MB" % (k, cnt[k], tot[k] / 1e6))
PY
}

echo "== civicast registry benchmark"
echo "date:      $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "commit:    $(git -C "$top_srcdir" rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "binary:    $CIVICAST"
echo "machine:   $(nproc) CPUs, $(uname -sr); $(redis-server --version | cut -d' ' -f3)"
echo "residents: $N${SHUFFLE:+ (shuffled rows)}"
echo

t0=$(now)
python3 "$top_srcdir/bench/gen-residents.py" -n "$N" $SHUFFLE -o "$CSV"
t1=$(now)
echo "generate:  $(elapsed "$t0" "$t1") s, $(($(wc -c < "$CSV") / 1024 / 1024)) MiB CSV"

mem0=$(info memory used_memory)
rcli CONFIG RESETSTAT >/dev/null
t0=$(now)
cc resident import "$CSV" 2>"$T/import.err" | sed 's/^/  /'
t1=$(now)
secs=$(elapsed "$t0" "$t1")
# shellcheck disable=SC2046 # "calls usec" split on purpose
set -- $(evalsha_stats)
python3 - "$N" "$secs" "${1:-0}" "${2:-0}" <<'PY'
import sys
n, s, calls, upc = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
print("import:    %.2f s, %.0f rows/s  target <= 15 s for 1M rows: %s" %
      (s, n / s, "met" if s * 1e6 / n <= 15 else "MISSED"))
if calls:
    print("           Lua upsert: %d calls of ~%d rows, %.0f us/call, "
          "%.1f us/row, %.2f s inside Redis (%.0f%% of wall time)" %
          (calls, round(n / calls), upc, upc * calls / n,
           upc * calls / 1e6, upc * calls / 1e6 / s * 100))
PY
echo "           commands inside the script (INFO commandstats):"
cmdstats
mem1=$(info memory used_memory)
python3 - "$N" "$mem0" "$mem1" <<'PY'
import sys
n, a, b = map(int, sys.argv[1:])
print("memory:    used_memory %.1f MB -> %.1f MB: %.0f bytes per resident" %
      (a / 1e6, b / 1e6, (b - a) / n))
PY
echo "memory by key kind (MEMORY USAGE):"
memory_breakdown
echo

echo "audience counts (results):"
q_county="--groups elderly,disabled --districts 330683"
q_town="--groups elderly --districts 330683102"
q_city="--districts 3306"
for q in "$q_county" "$q_town" "$q_city"; do
	# shellcheck disable=SC2086
	printf '  %-48s %s\n' "$q" "$(cc --json audience count $q | tr -d '\n' | tr -s ' ')"
done
echo

echo "timings (whole command, $RUNS runs after a warm-up):"
timeit "resident show R0000001 (baseline)" 0 \
    "$CIVICAST" -c "$CONF" resident show R0000001
for q in county town city; do
	case $q in
	county) tgt=50; args=$q_county; label="count county 330683 eld,dis" ;;
	town) tgt=50; args=$q_town; label="count township 330683102 eld" ;;
	city) args=$q_city; label="count city 3306 everyone"; tgt=0 ;;
	esac
	rcli CONFIG RESETSTAT >/dev/null
	# shellcheck disable=SC2086
	timeit "$label" "$tgt" "$CIVICAST" -c "$CONF" audience count $args
	# shellcheck disable=SC2046 # "calls usec" split on purpose
	set -- $(evalsha_stats)
	echo "    Lua count script: ${2:-?} us/call inside Redis (${1:-0} calls); per call:"
	cmdstats "${1:-1}"

done
printf 'redis latency (PING round trip, 1 s): '
timeout 5 redis-cli -s "$SOCK" --latency --raw -i 1 2>/dev/null |
    awk '{ printf "min %s max %s avg %s ms over %s pings\n", $1, $2, $3, $4; exit }' ||
    echo "n/a"
echo

rcli CONFIG RESETSTAT >/dev/null
t0=$(now)
cc resident import "$CSV" 2>>"$T/import.err" | sed 's/^/  /'
t1=$(now)
secs=$(elapsed "$t0" "$t1")
# shellcheck disable=SC2046 # "calls usec" split on purpose
set -- $(evalsha_stats)
python3 - "$N" "$secs" "${1:-0}" "${2:-0}" <<'PY'
import sys
n, s, calls, upc = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
print("re-import (unchanged): %.2f s, %.0f rows/s; Lua %.0f us/call, %.2f s inside Redis" %
      (s, n / s, upc, upc * calls / 1e6))
PY
if [ -s "$T/import.err" ]; then
	echo "import warnings:"
	head -5 "$T/import.err"
fi
