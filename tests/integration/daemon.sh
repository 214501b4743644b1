#!/bin/sh
# tests/integration/daemon.sh: civicastd's life cycle against a private
# redis-server: config check, heartbeat, SIGHUP reloads (good, broken,
# restart-only key), surviving a Redis outage without spinning, the
# pidfile lock, and a clean SIGTERM.

. "$top_srcdir/tests/lib.sh"

LOG="$T/civicastd.log"
PIDF="$T/civicastd.pid"

# lines_since N PATTERN: how many log lines after line N match PATTERN.
lines_since() {
	tail -n +"$(($1 + 1))" "$LOG" | grep -c -- "$2" || true
}
log_lines() {
	wc -l < "$LOG" | tr -d ' '
}
# cpu_ticks PID: utime + stime (fields 14 and 15; after "comm) " they are
# the 12th and 13th).
cpu_ticks() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
hb_has_pid() {
	rcli GET t:daemon:test | grep -q '"pid"'
}
grep_log() {
	grep -q -- "$1" "$LOG"
}

redis_start
write_conf </dev/null

# 1. -n on a good config.
expect_rc 0 "$CIVICASTD" -n -c "$CONF"
expect_grep "civicastd: configuration OK" "$T/out"
ok "civicastd -n on a good config exits 0"

# 2. -n on a config with two errors: both reported with file:line.
cat > "$T/bad.conf" <<EOF
redis = { socket = "$REDIS_SOCK"; prefix = "t:"; port = 700000; };
daemon = { log_level = "loud"; instance = "test"; };
EOF
expect_rc 1 "$CIVICASTD" -n -c "$T/bad.conf"
expect_grep "bad.conf:1: .*redis.port" "$T/err"
expect_grep "bad.conf:2: .*daemon.log_level" "$T/err"
ok "civicastd -n reports both problems and exits 1"

# 3. Start in the foreground; the heartbeat appears.
"$CIVICASTD" -d -c "$CONF" -p "$PIDF" 2>"$LOG" &
DPID=$!
TEST_PIDS="$TEST_PIDS $DPID"
wait_for hb_has_pid
hb=$(rcli GET t:daemon:test)
case $hb in
*"\"pid\":$DPID"*'"state":"running"'*) ok "heartbeat key holds our pid" ;;
*) fail "heartbeat: $hb" ;;
esac
expect_eq "daemons set has the instance" \
    "$(rcli ZSCORE t:daemons test | grep -c '^[0-9]')" 1
expect_eq "pidfile holds the pid" "$(cat "$PIDF")" "$DPID"

# 4. A second daemon with the same pidfile is refused.
expect_rc 1 "$CIVICASTD" -d -c "$CONF" -p "$PIDF"
expect_grep "another civicastd is running" "$T/err"
kill -0 "$DPID" || fail "first daemon died"
ok "a second daemon on the same pidfile is refused"

# 5. SIGHUP with a valid change.
sed 's/log_level = "debug"/log_level = "info"/' "$CONF" > "$T/good.conf"
cp "$T/good.conf" "$CONF"
kill -HUP "$DPID"
wait_for grep_log "configuration reloaded"
ok "SIGHUP with a valid change: configuration reloaded"

# 6. SIGHUP with a broken file: reported, old config stays, heartbeat goes on.
printf 'redis = { socket = "x"\n' >> "$CONF"
kill -HUP "$DPID"
wait_for grep_log "configuration not reloaded"
expect_grep "$CONF:[0-9]*: " "$LOG"
rcli DEL t:daemon:test >/dev/null
wait_for hb_has_pid
ok "broken reload: problem logged, heartbeat goes on with the old config"

# 7. SIGHUP after changing redis.prefix: needs a restart, old prefix kept.
sed 's/prefix = "t:"/prefix = "u:"/' "$T/good.conf" > "$CONF"
kill -HUP "$DPID"
wait_for grep_log "reload: redis.prefix needs a restart"
# Reload hooks (templates, districts) run before the closing line.
reloaded_twice() {
	[ "$(lines_since 0 "configuration reloaded")" -ge 2 ]
}
wait_for reloaded_twice
n=$(lines_since 0 "configuration reloaded")
expect_eq "prefix change still reloads the rest" "$n" 2
cp "$T/good.conf" "$CONF"

# 8. SIGUSR1 is acknowledged.
kill -USR1 "$DPID"
wait_for grep_log "SIGUSR1"
ok "SIGUSR1 logged"

# 9. Redis goes away for 3 s: one "lost" line, no busy loop, then back.
mark=$(log_lines)
redis_stop
# Wait for the daemon to notice, then measure 3 s of it (the sleep is
# the measuring window, not a wait for something to happen).
lost_seen() {
	[ "$(lines_since "$mark" "connection lost")" -ge 1 ]
}
wait_for lost_seen
t0=$(cpu_ticks "$DPID")
sleep 3
t1=$(cpu_ticks "$DPID")
expect_eq "one 'lost' line while Redis is down" \
    "$(lines_since "$mark" "connection lost")" 1
[ $((t1 - t0)) -lt 50 ] || fail "CPU grew by $((t1 - t0)) ticks in 3 s"
ok "no busy loop while Redis is down ($((t1 - t0)) ticks)"
redis_start
wait_for hb_has_pid
expect_eq "one 'connected' line after Redis returns" \
    "$(lines_since "$mark" "redis [^ ]*: connected")" 1
expect_eq "still one 'lost' line" \
    "$(lines_since "$mark" "connection lost")" 1
# A fresh Redis: the heartbeat found above was written with the old prefix.
expect_eq "redis.prefix change not applied before a restart" \
    "$(rcli EXISTS u:daemon:test)" 0

# 10. SIGTERM: exit 0, heartbeat gone, pidfile removed.
kill -TERM "$DPID"
set +e
wait "$DPID"
rc=$?
set -e
expect_eq "SIGTERM: exit status" "$rc" 0
expect_eq "heartbeat key removed" "$(rcli EXISTS t:daemon:test)" 0
expect_eq "instance removed from the daemons set" \
    "$(rcli ZSCORE t:daemons test)" ""
[ ! -e "$PIDF" ] || fail "pidfile left behind"
ok "pidfile removed"
expect_grep "stopping (SIGTERM)" "$LOG"
no_sanitizer_reports "$LOG"

echo "daemon.sh: $N_OK passed, 0 failed"
