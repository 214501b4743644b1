#!/bin/bash
# contrib/demo.sh BUILD_DIR: civicast on embedded defaults, end to end,
# against a private redis-server that it starts and stops itself.
# Run it through `bash contrib/dev.sh demo`, which builds first.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build/default}
CIVICAST="$build/src/civicast"
CIVICASTD="$build/src/civicastd"

T=$(mktemp -d "${TMPDIR:-/tmp}/civicast-demo.XXXXXX")
DPID=""
cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null || true
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

# Embedded defaults, but for where Redis is and where this tree's data is.
cat > "$T/civicast.conf" <<CONF
redis = { socket = "$T/redis.sock"; };
districts_file = "$top/data/divisions-cn.csv";
templates_dir = "$top/templates";
CONF
export CIVICAST_CONF="$T/civicast.conf"
cat "$CIVICAST_CONF"
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

step "civicastd: start, heartbeat, reload, stop"
"$CIVICASTD" -d -c "$CIVICAST_CONF" 2> "$T/civicastd.log" &
DPID=$!
for _ in $(seq 100); do
	"$CIVICAST" status 2>/dev/null | grep -q "running" && break
	sleep 0.1
done
run "$CIVICAST" status
kill -HUP "$DPID"; sleep 0.5
kill -TERM "$DPID"; wait "$DPID" && echo "civicastd exited 0"
DPID=""
sed 's/^/  log: /' "$T/civicastd.log"

step "done: redis-server stopped, $T removed"
