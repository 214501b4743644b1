#!/bin/bash
# contrib/demo.sh BUILD_DIR: civicast on embedded defaults, end to end,
# against a private redis-server, a mock SMS provider and two simulated
# GSM modems that it starts and stops itself.
# Run it through `bash contrib/dev.sh demo`, which builds first.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build/default}
CIVICAST="$build/src/civicast"
CIVICASTD="$build/src/civicastd"
MOCKPROV="$build/tests/mockprov"
MODEMSIM="$build/tests/modemsim"

T=$(mktemp -d "${TMPDIR:-/tmp}/civicast-demo.XXXXXX")
DPID=""
MPID=""
SPID=""
cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null || true
	[ -n "$MPID" ] && kill "$MPID" 2>/dev/null || true
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null || true
	[ -f "$T/redis.pid" ] && kill "$(cat "$T/redis.pid")" 2>/dev/null || true
	sleep 0.2
	rm -rf "$T"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "a private redis-server on $T/redis.sock"
redis-server --port 0 --unixsocket "$T/redis.sock" --unixsocketperm 700 \
    --save '' --appendonly no --daemonize yes --pidfile "$T/redis.pid" \
    --logfile "$T/redis.log" --dir "$T" >/dev/null
for _ in $(seq 100); do [ -S "$T/redis.sock" ] && break; sleep 0.05; done

step "a mock SMS provider on 127.0.0.1 (it records what it is sent)"
"$MOCKPROV" -p 0 -l "$T/provider.jsonl" -f "$T/port" &
MPID=$!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
PORT=$(cat "$T/port")
echo "listening on port $PORT"

step "two simulated GSM modems on pseudo-terminals (AT commands, PDU mode)"
mkdir "$T/sim"
"$MODEMSIM" -d "$T/sim" -n 2 -l "$T/sim.jsonl" --latency 30 \
    --report-delay 300 2> "$T/sim.err" &
SPID=$!
for _ in $(seq 100); do [ -f "$T/sim/modemsim.pid" ] && break; sleep 0.05; done
ls -l "$T/sim"/ttySIM* | sed 's/^/  /'

# Embedded defaults, but for where Redis is, where this tree's data is,
# two departments, and the channels: the mock provider for notices, the
# county's own modems besides it for emergencies.
cat > "$T/civicast.conf" <<CONF
redis = { socket = "$T/redis.sock"; };
districts_file = "$top/data/divisions-cn.csv";
templates_dir = "$top/templates";
carriers_file = "$top/data/carriers.csv";
# The demo may run at night: no quiet hours for it.
quiet_hours = { enabled = false; };
departments = (
  { id = "mzj"; name = "嵊州市民政局"; signature = "【嵊州民政】";
    hotline = "0575-83022222"; key_file = "$T/mzj.key";
    groups = [ "elderly", "disabled", "dibao" ]; districts = [ "330683" ]; },
  { id = "yjj"; name = "嵊州市应急管理局"; signature = "【嵊州应急】";
    hotline = "0575-83033333"; priorities = [ "emergency", "urgent" ];
    unsigned = true; } );
security = { approval_over = 100000; };
channels = ( { id = "mock"; type = "http"; driver = "generic";
    url = "http://127.0.0.1:$PORT/send"; method = "POST";
    body = "to=\${to}&text=\${text}&ref=\${ref}"; rate = "200/s";
    concurrency = 16; },
  { id = "m0"; type = "modem"; device = "$T/sim/ttySIM0"; rate = "600/min"; },
  { id = "m1"; type = "modem"; device = "$T/sim/ttySIM1"; rate = "600/min"; } );
routes = (
  { priorities = [ "emergency" ]; channels = [ "m0", "m1", "mock" ];
    spread = true; },
  { channels = [ "mock" ]; } );
CONF
export CIVICAST_CONF="$T/civicast.conf"
cat "$CIVICAST_CONF"
step "a signing key for 嵊州民政 (its events are HMAC-signed)"
run "$CIVICAST" key generate mzj
run "$CIVICAST" config check

step "20,000 synthetic residents of 绍兴市 (phones are made up)"
python3 "$top/bench/gen-residents.py" -n 20000 --seed 7 \
    --divisions "$top/data/divisions-cn.csv" -o "$T/shaoxing.csv"
head -4 "$T/shaoxing.csv" | sed -E 's/(1[3-9][0-9])[0-9]{4}([0-9]{4})/\1****\2/'
run "$CIVICAST" resident import "$T/shaoxing.csv"

step "a township's list as Excel saves it in China (GB18030), with two bad rows"
iconv -f UTF-8 -t GB18030 > "$T/chongren.csv" <<'CSV'
id,name,phone,district,groups
CR-001,王阿婆,+86 138-0013-8001,330683102,老年人;低保对象
CR-002,李大伯,138 0013 8002,330683102001,elderly|disabled
CR-003,赵某,12345,330683102,elderly
CR-004,钱某,13800138004,330683999,elderly
CSV
run "$CIVICAST" resident import "$T/chongren.csv" || true

step "who would a notice reach?"
run "$CIVICAST" audience count --groups elderly,disabled --districts 330683
run "$CIVICAST" audience count --groups elderly --match any \
    --districts 330683102 --json
run "$CIVICAST" audience count --districts 3306 --exclude-districts 330602

step "opt-outs, masked output, the audit trail"
run "$CIVICAST" optout add "138-0013-8002"
run "$CIVICAST" resident show CR-002
run "$CIVICAST" audience count --groups elderly,disabled --districts 330683102
run "$CIVICAST" audit list --count 4

step "districts with resident counts"
run "$CIVICAST" district tree --depth 1 330683 | head -12

step "civicastd: start it, publish a notice, watch it go out"
"$CIVICASTD" -d -c "$CIVICAST_CONF" 2> "$T/civicastd.log" &
DPID=$!
for _ in $(seq 100); do
	"$CIVICAST" status 2>/dev/null | grep -q " running (seen" && break
	sleep 0.1
done
# Modems report their state to Redis every 2 s; wait for both to be ready.
for _ in $(seq 100); do
	[ "$("$CIVICAST" modem list | grep -c ' ready ')" -ge 2 ] && break
	sleep 0.1
done
run "$CIVICAST" status
run "$CIVICAST" modem list
P="--param title=2026年困难残疾人生活补贴标准调整 --param detail=每人每月提高50元
    --param effective_date=12月1日 --param action=无需申请，按月自动发放"
run "$CIVICAST" publish --dry-run --department mzj --template subsidy_notice \
    --groups disabled,elderly --match all --districts 330683 $P
run "$CIVICAST" publish --id mzj-2026-0042 --department mzj \
    --template subsidy_notice --groups disabled,elderly --match all \
    --districts 330683 $P
run "$CIVICAST" event watch mzj-2026-0042
run "$CIVICAST" event status mzj-2026-0042

step "an area-wide emergency warning (opt-outs do not apply)"
run "$CIVICAST" publish --id yjj-2026-0007 --department yjj --priority emergency \
    --template disaster_warning --districts 330683102 \
    --param issuer=嵊州市气象台 --param time=7月28日10时 --param hazard=暴雨 \
    --param level=红色 --param impact=预计未来3小时降雨100毫米以上 \
    --param advice=请立即转移到安全地带
run "$CIVICAST" event watch yjj-2026-0007
run "$CIVICAST" event list

step "what the modems sent (first three SMS-SUBMIT PDUs, numbers masked here)"
python3 - "$T/sim.jsonl" <<'PY'
import json, sys
n = 0
by = {}
for l in open(sys.argv[1]):
    m = json.loads(l)
    if "text" not in m or "event" in m:	# reports, rejections, start
        continue
    by[m["modem"]] = by.get(m["modem"], 0) + 1
    if n < 3:
        c = m.get("concat")
        part = " (part %d of %d)" % (c["seq"], c["total"]) if c else ""
        num = m["number"][3:] if m["number"].startswith("+86") else m["number"]
        print("  ttySIM%d to %s****%s %s%s: %s" % (m["modem"], num[:3],
              num[-4:], m["coding"], part, m["text"]))
        n += 1
print("  ... PDUs sent per modem:", ", ".join(
    "ttySIM%d %d" % (k, v) for k, v in sorted(by.items())))
PY
sleep 2.5	# the modems' state in Redis is refreshed every 2 s
run "$CIVICAST" modem list

step "what the provider received (first three, numbers masked here)"
head -3 "$T/provider.jsonl" | python3 -c '
import json, sys
for l in sys.stdin:
    m = json.loads(l)
    print("  to %s****%s  %s" % (m["to"][:3], m["to"][-4:], m["text"]))'
echo "  ... $(wc -l < "$T/provider.jsonl") requests in all"

step "stop: SIGTERM finishes what is in flight and exits 0"
kill -TERM "$DPID"; wait "$DPID" && echo "civicastd exited 0"
DPID=""
grep -v 'debug' "$T/civicastd.log" | sed 's/^/  log: /' | tail -15

step "done: redis-server, the modems and the mock provider stopped, $T removed"
