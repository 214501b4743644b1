#!/bin/sh
# http.sh: the http channel (tests/chansend) against tests/mockprov.
#
# Needs no Redis: redis_start is never called.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

MOCKPROV="$top_builddir/tests/mockprov"
CHANSEND="$top_builddir/tests/chansend"
for b in "$MOCKPROV" "$CHANSEND"; do
	[ -x "$b" ] || fail "$b not built"
done
command -v python3 >/dev/null 2>&1 || {
	echo "SKIP: python3 not installed"
	exit 77
}

NUM=13800138001
MOCK_PID=""
PORT=""
MOCK_N=0

# mock_start ARGS...: a fresh mockprov logging to $MLOG, port in $PORT.
mock_start() {
	MOCK_N=$((MOCK_N + 1))
	MLOG="$T/mock$MOCK_N.jsonl"
	rm -f "$T/port"
	"$MOCKPROV" -p 0 -l "$MLOG" -f "$T/port" "$@" 2>"$T/mock.err" &
	MOCK_PID=$!
	TEST_PIDS="$TEST_PIDS $MOCK_PID"
	wait_for test -s "$T/port"
	PORT=$(cat "$T/port")
	URL="http://127.0.0.1:$PORT/send"
}

# mock_stop: SIGTERM, and wait for the exit line in $MLOG.
mock_stop() {
	kill -TERM "$MOCK_PID"
	wait "$MOCK_PID" || fail "mockprov exited $?"
	MOCK_PID=""
}

# send ARGS...: chansend into $T/out; fails the test unless it exits 0.
send() {
	rc=0
	"$CHANSEND" "$@" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" = 0 ] || {
		cat "$T/out" "$T/err" >&2
		fail "chansend $*: exit $rc"
	}
}

# field N: the Nth field of the first result line.
field() {
	grep -v '^#' "$T/out" | head -n 1 | cut -d ' ' -f "$1"
}

# logq EXPR: a python expression over L (the request lines of $MLOG)
# and X (its exit line).
logq() {
	python3 - "$MLOG" "$1" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
L = [l for l in lines if "event" not in l]
X = ([l for l in lines if l.get("event") == "exit"] or [{}])[0]
print(eval(sys.argv[2]))
PY
}

# 1. A form body: to, text and ref arrive decoded, Chinese intact.
TEXT='【民政局】今晚有暴雨，请勿外出 & 50%=ok+1?'
mock_start
send -u "$URL" -b 'to=${to}&text=${text}&ref=${ref}' --to "$NUM" \
    --text "$TEXT"
expect_eq "form: result" "$(field 2)" "ok"
mock_stop
expect_eq "form: content type" "$(logq 'L[0]["content_type"]')" \
    "application/x-www-form-urlencoded"
expect_eq "form: to" "$(logq 'L[0]["to"]')" "$NUM"
expect_eq "form: text" "$(logq 'L[0]["text"]')" "$TEXT"
expect_eq "form: ref" "$(logq 'L[0]["ref"]')" "m1"

# 2. A JSON body: quotes, backslashes and control characters escaped.
TEXT=$(printf 'say "hi"\\now\n\tline2 老人')
mock_start
send -u "$URL" -t application/json \
    -b '{"to":"${to}","text":"${text}","ref":"${ref}"}' --text "$TEXT"
expect_eq "json: result" "$(field 2)" "ok"
mock_stop
body_text() {
	python3 -c 'import json, sys
b = json.loads(open(sys.argv[1], encoding="utf-8").readline())["body"]
v = json.loads(b)
print(v["text"] == sys.argv[2] and v["ref"] == "m1" and
    "\\u000a" in b and "\\u0009" in b and "\\\"hi\\\"" in b)' "$MLOG" "$TEXT"
}
expect_eq "json: body parses back to the text" "$(body_text)" "True"

# 3. 503 with Retry-After: tempfail, the delay in ms.
mock_start --script 503 --retry-after 7
send -u "$URL"
expect_eq "503: tempfail" "$(field 2)" "tempfail"
expect_eq "503: Retry-After in ms" "$(field 4)" "7000"
expect_grep 'HTTP 503: {"error":"mock 503"}' "$T/out"
mock_stop

# 4. 400: permfail.
mock_start --script 400
send -u "$URL"
expect_eq "400: permfail" "$(field 2)" "permfail"
mock_stop

# 5. 200 with {"id":...}: the provider's reference.
mock_start --script "503x1,200"
send -u "$URL" -n 2 -c 1
expect_eq "200: provider ref" \
    "$(grep '^m2 ' "$T/out" | cut -d ' ' -f 2,3)" "ok mock-2"
mock_stop

# 6. Connection refused: tempfail.  Nobody listens on port 1 (it would
# take root to), so the connect is refused at once.
send -u "http://127.0.0.1:1/send"
expect_eq "refused: tempfail" "$(field 2)" "tempfail"

# 7. A reply slower than the timeout: unknown, never ok or tempfail.
mock_start --latency 2500
send -u "$URL" -T 1 -n 2
expect_eq "timeout: unknown" \
    "$(grep -v '^#' "$T/out" | cut -d ' ' -f 2 | sort -u)" "unknown"
mock_stop

# 8. Concurrency: 200 requests of 50 ms at 8 in flight take ~1.3 s, not
# 10 s, and the mock never sees more than 8 at once.
mock_start --latency 50
send -u "$URL" -c 8 -n 200
ms=$(sed -n 's/.*elapsed_ms \([0-9]*\).*/\1/p' "$T/out")
[ "$(grep -c '^m[0-9]* ok ' "$T/out")" = 200 ] || fail "concurrency: not all ok"
[ "$ms" -lt 5000 ] || fail "concurrency: 200 x 50 ms took $ms ms"
ok "concurrency: 200 x 50 ms at -c 8 in $ms ms"
mock_stop
seen='max([X["max_concurrent"]] + [l["concurrent"] for l in L])'
expect_eq "concurrency: at most 8 in flight" "$(logq "$seen <= 8")" "True"
expect_eq "concurrency: more than 1 in flight" \
    "$(logq 'X["max_concurrent"] > 1')" "True"

# 9. Keep-alive: the 200 requests above used a handful of connections.
conns=$(logq 'X["connections"]')
[ "$conns" -le 16 ] || fail "keep-alive: $conns connections for 200 requests"
ok "keep-alive: $conns connections for 200 requests"

# 10. --fail-phone picks one number out; GET puts the fields in the URL.
mock_start --fail-phone "$NUM:400"
send -u "http://127.0.0.1:$PORT/get?to=\${to}&msg=\${text}" -m GET \
    --to "$NUM" --text "a&b"
expect_eq "GET: fail-phone permfail" "$(field 2)" "permfail"
mock_stop
expect_eq "GET: query encoded" "$(logq 'L[0]["uri"]')" \
    "/get?to=$NUM&msg=a%26b"

echo "http.sh: $N_OK passed, 0 failed"
