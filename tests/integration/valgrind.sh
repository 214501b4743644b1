#!/bin/sh
# tests/integration/valgrind.sh: civicastd and civicast under Valgrind
# (memcheck): one broadcast end to end through the mock HTTP provider, a
# SIGHUP reload and a clean SIGTERM, then CLI commands; no invalid read or
# write, no use of uninitialised memory, no definite or indirect leak.
#
# Skipped (77) where valgrind is not installed and in a sanitizer build
# (ASan and Valgrind cannot share a process).  Library false positives, if
# any, are suppressed narrowly in tests/valgrind.supp.
. "$top_srcdir/tests/lib.sh"
MOCKPROV="$top_builddir/tests/mockprov"

command -v valgrind >/dev/null 2>&1 || {
	echo "SKIP: valgrind not installed (apt-get install valgrind)"
	exit 77
}
for b in "$CIVICASTD" "$CIVICAST"; do
	if { nm "$b"; nm -D "$b"; } 2>/dev/null | grep -q -E '__(asan|msan|tsan)_init'; then
		echo "SKIP: $b is a sanitizer build"
		exit 77
	fi
done

SUPP="$top_srcdir/tests/valgrind.supp"
VG="valgrind --error-exitcode=99 --leak-check=full"
VG="$VG --show-leak-kinds=definite,indirect"
VG="$VG --errors-for-leak-kinds=definite,indirect --track-fds=no -q"
[ -f "$SUPP" ] && VG="$VG --suppressions=$SUPP"
VGLOG="$T/valgrind.log"

# vg_clean LOG WHAT: fail when memcheck reported anything that matters.
VG_BAD='Invalid (read|write|free)|uninitialised|definitely lost|indirectly lost|Mismatched free|Source and destination overlap'
vg_clean() {
	# No log is no evidence: valgrind writes one even when clean.
	[ -f "$1" ] || fail "valgrind: $2: no log $1"
	if grep -q -E "$VG_BAD" "$1"; then
		grep -E -B2 -A25 "$VG_BAD" "$1" | head -120 >&2
		fail "valgrind: $2"
	fi
	ok "valgrind: $2: no invalid access, uninitialised use or leak"
}

# vg_cc WANT WHAT ARGS...: run civicast ARGS under valgrind.
vg_cc() {
	want=$1; what=$2; shift 2
	set +e
	$VG --log-file="$T/vg-cc.log" "$CIVICAST" -c "$CONF" "$@" \
	    >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	[ "$rc" = "$want" ] || {
		cat "$T/out" "$T/err" "$T/vg-cc.log" >&2
		fail "civicast $*: exit $rc under valgrind, want $want"
	}
	cat "$T/vg-cc.log" >> "$VGLOG"
	vg_clean "$T/vg-cc.log" "civicast $what"
}

# vg_wait SECONDS CMD...: like wait_for, for a program ~20x slower.
vg_wait() {
	n=$(($1 * 10)); shift
	i=0
	until "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -ge "$n" ]; then
			cat "$VGLOG" >&2 2>/dev/null || true
			fail "timed out waiting for: $*"
		fi
		if [ -n "${DPID:-}" ] && ! kill -0 "$DPID" 2>/dev/null; then
			cat "$VGLOG" >&2 2>/dev/null || true
			fail "civicastd died while waiting for: $*"
		fi
		sleep 0.1
	done
}

redis_start

rm -f "$T/port"
"$MOCKPROV" -p 0 -l "$T/mock.jsonl" -f "$T/port" &
MOCK_PID=$!
TEST_PIDS="$TEST_PIDS $MOCK_PID"
wait_for test -s "$T/port"
PORT=$(cat "$T/port")

write_conf <<EOF
departments = ( { id = "mzj"; name = "嵊州市民政局"; signature = "【嵊州民政】";
    hotline = "0575-83022222"; } );
channels = ( { id = "http1"; type = "http"; driver = "generic";
    url = "http://127.0.0.1:$PORT/send"; method = "POST";
    body = "to=\${to}&text=\${text}&ref=\${ref}"; rate = "200/s";
    concurrency = 4; timeout = 10; } );
routes = ( { channels = [ "http1" ]; } );
outbox = { retry_min = 1; retry_max = 2; max_attempts = 50; lease = 60; };
EOF
# The department publishes unsigned (lib.sh may have said so already).
grep -q 'unsigned = true' "$CONF" ||
    sed -i 's/\(hotline = "[^"]*";\)/\1 unsigned = true;/' "$CONF"

cat > "$T/res.csv" <<'CSV'
id,phone,district,groups,name
a1,13800130001,330683102,elderly,张一
a2,13800130002,330683102,disabled,李二
a3,13800130003,330683001,elderly,王三
a4,13800130004,330602001,elderly,赵四
CSV
cat > "$T/res2.csv" <<'CSV'
id,phone,district,groups,name
b1,13800130011,330683102,elderly,钱一
b2,not-a-phone,330683102,elderly,孙二
CSV

# 1. The CLI: an import (the registry's Lua, CSV, GB18030 detection) and
# an audience count (bitmaps, districts).
vg_cc 0 "resident import" resident import "$T/res.csv"
expect_grep "4 added" "$T/out"
vg_cc 1 "resident import with a bad row" resident import "$T/res2.csv"
expect_grep "1 added, 0 updated, 0 unchanged, 1 rejected" "$T/out"
vg_cc 0 "audience count" audience count --groups elderly,disabled \
    --districts 330683
expect_grep "^4 phones" "$T/out"
if "$CIVICAST" key generate --help >/dev/null 2>&1; then
	sed 's|\(hotline = "[^"]*";\)|\1 key_file = "'"$T"'/mzj.key";|' \
	    "$CONF" > "$T/keyed.conf"
	CONF_SAVED=$CONF; CONF=$T/keyed.conf
	vg_cc 0 "key generate" key generate mzj
	vg_cc 0 "key generate --force" key generate --force mzj
	vg_cc 1 "key generate over an existing key" key generate mzj
	CONF=$CONF_SAVED
fi

# 2. The daemon: start, one broadcast, a reload, a stop.
DLOG="$T/daemon.log"
: > "$DLOG"
$VG --log-file="$T/vg-d.log" "$CIVICASTD" -d -c "$CONF" 2>>"$DLOG" &
DPID=$!
TEST_PIDS="$TEST_PIDS $DPID"
vg_wait 60 grep -q "subscribed to" "$DLOG"
ok "civicastd is up under valgrind"

P1="--param title=困难残疾人生活补贴标准调整 --param detail=每人每月提高50元 --param effective_date=12月1日 --param action=无需申请，自动发放"
expect_rc 0 cc publish --id e1 --department mzj --template subsidy_notice \
    --groups elderly,disabled --districts 330683 $P1
expect_grep "published mzj/e1" "$T/out"
ev_done() {
	[ "$(rcli HGET t:ev:1 state)" = done ]
}
vg_wait 60 ev_done
expect_eq "messages sent" "$(rcli HGET t:ev:1 n:sent)" 4
expect_eq "mock requests" "$(wc -l < "$T/mock.jsonl" | tr -d ' ')" 4

kill -HUP "$DPID"
vg_wait 60 grep -q "configuration reloaded" "$DLOG"
ok "SIGHUP reload under valgrind"

kill -TERM "$DPID"
set +e
i=0
while kill -0 "$DPID" 2>/dev/null && [ $i -lt 600 ]; do
	sleep 0.1; i=$((i + 1))
done
wait "$DPID"
rc=$?
set -e
DPID=
cat "$T/vg-d.log" >> "$VGLOG"
[ "$rc" = 0 ] || {
	cat "$T/vg-d.log" >&2
	fail "civicastd exited $rc under valgrind (99: memcheck errors)"
}
ok "civicastd exits 0 on SIGTERM"
grep -q "stopped" "$DLOG" || fail "no 'stopped' in the daemon's log"
vg_clean "$T/vg-d.log" "civicastd"

kill "$MOCK_PID" 2>/dev/null || true
wait "$MOCK_PID" 2>/dev/null || true
echo "valgrind.sh: $N_OK passed, 0 failed"
