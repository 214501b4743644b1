#!/bin/sh
# modemsim.sh: the GSM modem simulator (tests/modemsim) against the real
# gammu client and a raw AT dialogue, to prove it talks like a modem.
#
# Needs no Redis; skipped (77) without gammu (Debian package gammu) or
# python3 (the raw dialogue and the JSON checks).
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

MODEMSIM="$top_builddir/tests/modemsim"
[ -x "$MODEMSIM" ] || fail "$MODEMSIM not built"
command -v gammu >/dev/null 2>&1 || {
	echo "SKIP: gammu not installed (apt-get install gammu)"
	exit 77
}
command -v python3 >/dev/null 2>&1 || {
	echo "SKIP: python3 not installed"
	exit 77
}

MLOG="$T/modemsim.jsonl"
FIFO="$T/control"
IMEI_BASE=86123456000010

# ctl LINE: a fault line through the control FIFO, then wait until the
# simulator has logged it.
ctl() {
	n=$(grep -c '"event":"fault"' "$MLOG" || true)
	echo "$1" > "$FIFO"
	i=0
	until [ "$(grep -c '"event":"fault"' "$MLOG" || true)" -gt "$n" ]; do
		i=$((i + 1))
		[ $i -lt 200 ] || fail "modemsim did not take \"$1\""
		sleep 0.05
	done
}

# replugs N: true once N modems came back after a hangup or unplug.
replugs() {
	[ "$(grep -c '"event":"replug"' "$MLOG" || true)" -ge "$1" ]
}

# rc_for DEV N: a gammurc for one simulated modem.
rc_for() {
	cat > "$T/gammurc.$2" <<EOF
[gammu]
port = $1
connection = at
use_locking = no
logfile = $T/gammu.$2.log
logformat = textall
EOF
}

# gm RC ARGS...: gammu with a deadline, output in $T/out, $T/err.
gm() {
	rc=$1; shift
	set +e
	timeout 20 gammu -c "$T/gammurc.$rc" "$@" >"$T/out" 2>"$T/err"
	GM_RC=$?
	set -e
}

# at DEV SEND...: write each SEND (python escapes: \r, \x1a) as its own
# write, read until $AT_FINALS (default 1) final results or a prompt, or
# $AT_WAIT seconds (default 3); prints the bytes read, escaped, and
# <EIO> when the modem went away.  The device stays raw, as drivers
# set it.
at() {
	AT_FINALS=${AT_FINALS:-1} AT_WAIT=${AT_WAIT:-3} python3 - "$@" <<'EOF'
import os, re, select, sys, termios, time, tty
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
tty.setraw(fd)
termios.tcflush(fd, termios.TCIOFLUSH)
got = b""
final = re.compile(rb"(\r\nOK\r\n|\r\nERROR\r\n|\+CM[ES] ERROR: [^\r]*\r\n"
    rb"|\r\n> $|^0\r$|\r4\r$)")
want = int(os.environ["AT_FINALS"])
gone = ""
try:
    for chunk in sys.argv[2:]:
        os.write(fd, chunk.encode().decode("unicode_escape").encode("latin-1"))
        time.sleep(0.05)
    deadline = time.time() + float(os.environ["AT_WAIT"])
    while time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            b = os.read(fd, 4096)
            if not b:
                gone = "<EIO>"
                break
            got += b
            if len(final.findall(got)) >= want:
                time.sleep(0.1)
                r, _, _ = select.select([fd], [], [], 0)
                if r:
                    got += os.read(fd, 4096)
                break
except OSError:
    gone = "<EIO>"
os.close(fd)
print(repr(got)[2:-1] + gone)
EOF
}

# jq_last FILTER: evaluate a python expression over the message lines
# of the log (list "msgs", events excluded) and print it.
jq_py() {
	python3 - "$MLOG" "$1" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
msgs = [l for l in lines if "event" not in l]
events = [l for l in lines if "event" in l]
print(eval(sys.argv[2]))
EOF
}

"$MODEMSIM" -d "$T" -n 2 -l "$MLOG" --imei-base "$IMEI_BASE" \
    --cnmi 2,1,0,1,0 --report-delay 200 --control "$FIFO" \
    2>"$T/modemsim.err" &
SIM_PID=$!
TEST_PIDS="$TEST_PIDS $SIM_PID"
wait_for test -s "$T/modemsim.pid"
[ -c "$T/ttySIM0" ] && [ -c "$T/ttySIM1" ] || fail "no ttySIM symlinks"
expect_eq "pid file holds the simulator's pid" "$(cat "$T/modemsim.pid")" \
    "$SIM_PID"

# --- the raw dialogue -------------------------------------------------
DEV="$T/ttySIM1"
expect_eq "echo is on at power-up" "$(at "$DEV" 'AT\r')" 'AT\r\r\nOK\r\n'
expect_eq "ATE0 turns echo off" "$(at "$DEV" 'ATE0\r' 'AT\r')" \
    'ATE0\r\r\nOK\r\n\r\nOK\r\n'
got=$(at "$DEV" 'at+cgsn\r')
imei=$(printf "%s\n" "$got" | sed -n 's/^\\r\\n\([0-9]*\)\\r\\n.*/\1/p')
expect_eq "lower-case AT+CGSN gives the IMEI" "$imei" "861234560000112"
expect_eq "the IMEI's Luhn check digit is valid" "$(python3 -c '
import sys
d = [int(c) for c in sys.argv[1]]
s = sum(x if i % 2 == 0 else (2 * x - 9 if 2 * x > 9 else 2 * x)
    for i, x in enumerate(d))
print(s % 10 == 0)' "$imei")" "True"
expect_eq "several commands on one line" \
    "$(at "$DEV" 'AT+CMGF=0;+CNMI=2,1,0,1,0;+CNMI?\r')" \
    '\r\n+CNMI: 2,1,0,1,0\r\n\r\nOK\r\n'
expect_eq "basic then extended without ';' (smstools)" \
    "$(at "$DEV" 'ATE0+CMEE=1\r\n' 'AT+CMEE?\r')" \
    '\r\nOK\r\n\r\n+CMEE: 1\r\n\r\nOK\r\n'
expect_eq "an unknown command is ERROR" "$(at "$DEV" 'AT+FOO\r')" \
    '\r\nERROR\r\n'
expect_eq "operator and signal" "$(at "$DEV" 'AT+COPS?;+CSQ;+CREG?\r')" \
    '\r\n+COPS: 0,0,"CHINA MOBILE"\r\n\r\n+CSQ: 20,99\r\n\r\n+CREG: 0,1\r\n\r\nOK\r\n'
expect_eq "AT+CMGS prompts, ESC aborts with OK" \
    "$(at "$DEV" 'AT+CMGS=17\r' '0011' '\x1b')" '\r\n> \r\nOK\r\n'
# "rep" to 13800138000 as gammu encodes it, TPDU 17 octets.
PDU=0891683108501705F011000B813108108300F00000FF03F2321C
expect_eq "a wrong AT+CMGS length is +CMS ERROR: 304" \
    "$(at "$DEV" 'AT+CMGS=18\r' "$PDU"'\x1a')" \
    '\r\n> \r\n+CMS ERROR: 304\r\n'
expect_eq "a PDU split over writes is one message" \
    "$(at "$DEV" 'AT+CMGS=17\r' 0891683108501705F011 000B8131081083 \
    00F00000FF03F2321C '\x1a')" '\r\n> \r\n+CMGS: 0\r\n\r\nOK\r\n'
expect_eq "it is logged decoded" \
    "$(jq_py 'msgs[-1]["modem"], msgs[-1]["number"], msgs[-1]["text"]')" \
    "(1, '13800138000', 'rep')"
expect_eq "ATV0 gives numeric result codes" "$(at "$DEV" 'ATV0\r')" \
    '0\r'
at "$DEV" 'ATV1\r' >/dev/null
ctl "1 pin:1234"
expect_eq "a PIN-locked SIM says so" "$(at "$DEV" 'AT+CPIN?;+CIMI\r')" \
    '\r\n+CPIN: SIM PIN\r\n\r\n+CME ERROR: 11\r\n'
expect_eq "a wrong PIN is refused" "$(at "$DEV" 'AT+CPIN="0000"\r')" \
    '\r\n+CME ERROR: 16\r\n'
expect_eq "the right PIN unlocks it, with the +CPIN: READY URC" \
    "$(AT_FINALS=2 at "$DEV" 'AT+CPIN=1234\r' 'AT+CPIN?\r')" \
    '\r\nOK\r\n\r\n+CPIN: READY\r\n\r\n+CPIN: READY\r\n\r\nOK\r\n'
expect_eq "Kannel's AT\\Q3 and ATH0 (its answer to RING)" \
    "$(at "$DEV" 'AT\\Q3;H0\r')" '\r\nOK\r\n'

# --- faults through the control FIFO -----------------------------------
ctl "1 mr-wrap"
expect_eq "mr-wrap: TP-MR runs 254, 255, 0" \
    "$(AT_FINALS=3 at "$DEV" 'AT+CMGS=17\r' "$PDU"'\x1a' \
    'AT+CMGS=17\r' "$PDU"'\x1a' 'AT+CMGS=17\r' "$PDU"'\x1a' |
    grep -o 'CMGS: [0-9]*' | tr '\n' ' ')" "CMGS: 254 CMGS: 255 CMGS: 0 "
ctl "1 error-but-sent@1"
expect_eq "error-but-sent: ERROR" \
    "$(at "$DEV" 'AT+CMGS=17\r' "$PDU"'\x1a')" '\r\n> \r\nERROR\r\n'
expect_eq "error-but-sent: logged as sent" \
    "$(jq_py 'msgs[-1]["mr"], msgs[-1]["fault"]')" "(1, 'error-but-sent')"
ctl "1 silent@1"
expect_eq "silent: no answer at all" \
    "$(AT_WAIT=1 at "$DEV" 'AT+CMGS=17\r' "$PDU"'\x1a')" '\r\n> '
expect_eq "silent: logged as sent; the modem answers after" \
    "$(jq_py 'msgs[-1]["mr"], msgs[-1]["fault"]')$(at "$DEV" 'AT\r')" \
    "(2, 'silent')"'\r\nOK\r\n'
ctl "1 latency:400"
t0=$(python3 -c 'import time; print(int(time.time() * 1000))')
expect_eq "latency: input is held while sending, then answered" \
    "$(AT_FINALS=2 at "$DEV" 'AT+CMGS=17\r' "$PDU"'\x1aAT+CSQ\r')" \
    '\r\n> \r\n+CMGS: 3\r\n\r\nOK\r\n\r\n+CSQ: 20,99\r\n\r\nOK\r\n'
t1=$(python3 -c 'import time; print(int(time.time() * 1000))')
[ $((t1 - t0)) -ge 400 ] || fail "latency: answered after $((t1 - t0)) ms"
ok "latency: +CMGS came after 400 ms"
ctl "1 clear"
# "rep" with TP-SRR set (first octet 0x31).
SRR_PDU=0891683108501705F031000B813108108300F00000FF03F2321C
ctl "1 report:0x41"
expect_eq "report: the send with TP-SRR" \
    "$(at "$DEV" 'AT+CMGS=17\r' "$SRR_PDU"'\x1a')" \
    '\r\n> \r\n+CMGS: 4\r\n\r\nOK\r\n'
wait_for grep -q '"event":"report".*"mr":4' "$MLOG"
expect_eq "report:0x41: the +CDS says failed (TP-ST 65)" \
    "$(jq_py '[e["st"] for e in events if e["event"] == "report"]')" "[65]"
ctl "1 no-report"
expect_eq "no-report: the send with TP-SRR" \
    "$(at "$DEV" 'AT+CMGS=17\r' "$SRR_PDU"'\x1a')" \
    '\r\n> \r\n+CMGS: 5\r\n\r\nOK\r\n'
# Reports come in order, --report-delay after their send: once the next
# message's report is in, the one for TP-MR 5 would have come before it.
ctl "1 report:0x30,0x62"
expect_eq "report:0x30,0x62: the send with TP-SRR" \
    "$(at "$DEV" 'AT+CMGS=17\r' "$SRR_PDU"'\x1a')" \
    '\r\n> \r\n+CMGS: 6\r\n\r\nOK\r\n'
wait_for grep -q '"event":"report".*"mr":6.*"st":98' "$MLOG"
expect_eq "no-report: no +CDS for TP-MR 5; two for TP-MR 6, in order" \
    "$(jq_py '[(e["mr"], e["st"]) for e in events if e["event"] == "report"]')" \
    "[(4, 65), (6, 48), (6, 98)]"
ctl "1 clear"
ctl "1 unplug:1"
[ ! -e "$DEV" ] || fail "unplug: the symlink is still there"
ok "unplug: the symlink goes"
wait_for test -c "$DEV"
expect_eq "unplug:1: back a second later, fresh (echo on, PIN asked)" \
    "$(at "$DEV" 'AT+CPIN?\r')" 'AT+CPIN?\r\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n'
AT_FINALS=2 at "$DEV" 'ATE0\r' 'AT+CPIN="1234"\r' >/dev/null
ctl "1 hangup@1"
# The pty goes with what was unread in it: only the drop is seen.
expect_eq "hangup@1: the driver sees the line drop" \
    "$(at "$DEV" 'AT+CMGS=17\r' "$PDU"'\x1a')" '<EIO>'
wait_for replugs 2
expect_eq "hangup: a new pty answers a second later" \
    "$(AT_FINALS=2 at "$DEV" 'ATE0\r' 'AT+CPIN=1234\r')" \
    'ATE0\r\r\nOK\r\n\r\nOK\r\n\r\n+CPIN: READY\r\n'

# --- the real gammu client --------------------------------------------
rc_for "$T/ttySIM0" 0
rc_for "$T/ttySIM1" 1
gm 0 --identify
[ "$GM_RC" = 0 ] || { cat "$T/out" "$T/err" >&2; fail "gammu --identify"; }
expect_grep "IMEI *: 861234560000104" "$T/out"
ok "gammu --identify shows the IMEI"
expect_grep "SIM IMSI *: 46000" "$T/out"
ok "gammu --identify shows the IMSI"

gm 0 sendsms TEXT 13800138000 -text "hello world"
[ "$GM_RC" = 0 ] || { cat "$T/out" "$T/err" >&2; fail "gammu sendsms"; }
expect_eq "gammu sendsms is recorded" \
    "$(jq_py '[msgs[-1][k] for k in ("modem","number","text","coding","concat")]')" \
    "[0, '13800138000', 'hello world', 'gsm7', None]"

gm 0 sendsms TEXT 13800138001 -unicode -text "你好，世界"
[ "$GM_RC" = 0 ] || { cat "$T/out" "$T/err" >&2; fail "gammu -unicode"; }
expect_eq "gammu -unicode is recorded as UCS-2" \
    "$(jq_py '[msgs[-1][k] for k in ("number","text","coding")]')" \
    "['13800138001', '你好，世界', 'ucs2']"

LONG=$(python3 -c 'print(" ".join("word%03d" % i for i in range(50)))')
gm 0 sendsms TEXT 13800138002 -len 400 -text "$LONG"
[ "$GM_RC" = 0 ] || { cat "$T/out" "$T/err" >&2; fail "gammu -len 400"; }
expect_eq "gammu -len 400 gives 3 parts, one reference, seq 1-3" \
    "$(jq_py 'len(set(m["concat"]["ref"] for m in msgs[-3:])), [(m["concat"]["total"], m["concat"]["seq"]) for m in msgs[-3:]]')" \
    "(1, [(3, 1), (3, 2), (3, 3)])"
expect_eq "the parts join to the text" \
    "$(jq_py '"".join(m["text"] for m in msgs[-3:])')" "$LONG"
expect_eq "each part got the next TP-MR" \
    "$(jq_py '[m["mr"] for m in msgs if m["modem"] == 0]')" "[0, 1, 2, 3, 4]"

# Modem 1 had echo turned off by the raw dialogue: gammu turns it on.
gm 1 sendsms TEXT 13800138003 -text "echo was off"
[ "$GM_RC" = 0 ] || { cat "$T/out" "$T/err" >&2; fail "gammu, echo off"; }
expect_eq "gammu copes with a modem left with echo off" \
    "$(jq_py '[msgs[-1][k] for k in ("modem","number","text")]')" \
    "[1, '13800138003', 'echo was off']"
expect_grep 'ATE1' "$T/gammu.1.log"
ok "gammu turned echo on again (ATE1)"

ctl "1 urc-noise"
gm 1 sendsms TEXT 13800138004 -text "noisy"
[ "$GM_RC" = 0 ] || { cat "$T/out" "$T/err" >&2; fail "gammu, urc-noise"; }
expect_eq "gammu copes with URCs around +CMGS (urc-noise)" \
    "$(jq_py 'msgs[-1]["text"]')" "noisy"
ctl "1 clear"

ctl "0 cms:500@1"
gm 0 sendsms TEXT 13800138005 -text "refused"
[ "$GM_RC" != 0 ] || fail "gammu succeeded against +CMS ERROR: 500"
ok "a +CMS ERROR fault makes gammu fail"
expect_eq "the refused message is logged as rejected, not sent" \
    "$(jq_py '[e["cms"] for e in events if e["event"] == "rejected"], msgs[-1]["text"]')" \
    "([500], 'noisy')"

gm 0 sendsms TEXT 13800138006 -report -text "with report"
[ "$GM_RC" = 0 ] || { cat "$T/out" "$T/err" >&2; fail "gammu -report"; }
expect_eq "gammu -report sets TP-SRR" "$(jq_py 'msgs[-1]["srr"]')" "True"
# Wait for modem 0's own report (modem 1's came earlier), not a time.
modem0_report() {
	[ "$(jq_py 'len([e for e in events if e["event"] == "report" and e["modem"] == 0])')" -ge 1 ]
}
wait_for modem0_report
expect_eq "a +CDS status report was sent for that TP-MR" \
    "$(jq_py '[(e["modem"], e["mr"], e["number"], e["st"]) for e in events if e["event"] == "report" and e["modem"] == 0] == [(0, msgs[-1]["mr"], "13800138006", 0)]')" \
    "True"
gm 0 --identify
[ "$GM_RC" = 0 ] || fail "gammu after a +CDS"
ok "gammu still works with the +CDS waiting on the line"

# --- hangup, signals ----------------------------------------------------
ctl "1 hangup"
wait_for replugs 3
expect_eq "after a hangup the modem answers again" \
    "$(at "$T/ttySIM1" 'AT\r')" 'AT\r\r\nOK\r\n'

kill -USR1 "$SIM_PID"
wait_for grep -q '"event":"counters"' "$MLOG"
expect_eq "SIGUSR1 logs the counters" \
    "$(jq_py '[(e["modem"], e["sent"], e["hangups"]) for e in events if e["event"] == "counters"]')" \
    "[(0, 6, 0), (1, 12, 2)]"

kill "$SIM_PID"
set +e
wait "$SIM_PID"
rc=$?
set -e
expect_eq "SIGTERM: exit 0" "$rc" 0
[ ! -e "$T/ttySIM0" ] && [ ! -e "$T/ttySIM1" ] && [ ! -e "$T/modemsim.pid" ] ||
    fail "symlinks or pid file left behind"
ok "SIGTERM removes the symlinks and the pid file"
expect_grep '"event":"exit"' "$MLOG"
ok "the log ends with the exit line"
no_sanitizer_reports "$T/modemsim.err"

echo "modemsim.sh: $N_OK passed, 0 failed"
