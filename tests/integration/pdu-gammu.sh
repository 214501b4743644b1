#!/bin/sh
# SMS-SUBMIT PDUs cross-checked with an independent decoder: each text is
# encoded by tests/pdutool and decoded by python-gammu (libGammu) in
# tests/pdu-gammu.py.  No Redis needed.  Skipped when /usr/bin/python3
# cannot import gammu (apt-get install python3-gammu).
. "$top_srcdir/tests/lib.sh"

PY=/usr/bin/python3
PDUTOOL="$top_builddir/tests/pdutool"
if ! [ -x "$PY" ] || ! "$PY" -c 'import gammu' >/dev/null 2>&1; then
	echo "SKIP: $PY cannot import gammu (apt-get install python3-gammu)"
	exit 77
fi
[ -x "$PDUTOOL" ] || fail "no $PDUTOOL"

N_FAIL=0

# rep STRING N: STRING N times.
rep() {
	r= i=0
	while [ $i -lt "$2" ]; do
		r="$r$1"
		i=$((i + 1))
	done
	printf '%s' "$r"
}

# check DESC [pdutool options] NUMBER TEXT
check() {
	desc=$1
	shift
	if "$PY" "$top_srcdir/tests/pdu-gammu.py" "$PDUTOOL" "$@" \
	    >"$T/out" 2>&1; then
		ok "$desc"
	else
		echo "not ok - $desc"
		sed 's/^/#   /' "$T/out"
		N_FAIL=$((N_FAIL + 1))
	fi
}

M=13800138000
ZH="请于今日下午三时到村委会领取防汛物资。"	# 19 characters
EXT='€[]{}~|^\'

check "ASCII short" $M "hello"
check "ASCII 160 characters, one part" $M "$(rep a 160)"
check "ASCII 161 characters, two parts" -R 7 $M "$(rep a 161)"
check "ASCII three parts" -R 200 $M "$(rep 'Flood warning. ' 25)"
check "ASCII three parts, 16-bit reference" -16 -R 51966 $M \
    "$(rep 'Flood warning. ' 25)"
check "all GSM extension characters" $M "$EXT"
check "all GSM extension characters, long" -R 3 $M "$(rep "$EXT" 20)"
check "escape pair at septet 153 moves on" -R 9 $M "$(rep a 152)€$(rep b 10)"
check "escape pair at septet 152, 16-bit reference" -16 -R 300 $M \
    "$(rep a 151)€$(rep b 10)"
check "GSM default alphabet, non-ASCII" $M "£¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà@\$"
check "line feed and carriage return" $M "line one
line two"
check "Chinese short" $M "$ZH"
check "Chinese 70 characters, one part" $M "$(rep 中 70)"
check "Chinese 71 characters, two parts" -R 71 $M "$(rep 中 71)"
check "Chinese three parts" -R 255 $M "$(rep "$ZH" 9)"
check "Chinese three parts, 16-bit reference" -16 -R 65535 $M \
    "$(rep "$ZH" 9)"
check "non-BMP character at unit 67 moves on" -R 1 $M \
    "$(rep 中 66)𠮷$(rep 中 10)"
check "non-BMP character at unit 66, 16-bit reference" -16 -R 2 $M \
    "$(rep 中 65)𠮷$(rep 中 10)"
check "emoji at part boundaries" -R 5 $M "$(rep '通知😀' 60)"
check "emoji short" $M "ok 😀"
check "national number" -n $M "hello"
check "national number, Chinese, two parts" -n -R 4 $M "$(rep 中 100)"
check "number with +" +8613800138000 "hello"
check "short code" 12345 "hello"
check "status report requested" -r $M "hello"
check "status report requested, long" -r -R 6 $M "$(rep 中 100)"
check "validity 5 minutes" -v 5 $M "hello"
check "validity 61 minutes rounds up" -v 61 $M "hello"
check "validity one day" -v 1440 $M "hello"
check "validity one week, SRR, SMSC" -r -s -v 10080 $M "hello"
check "validity 31 days becomes 5 weeks" -v 44640 $M "$(rep 中 80)"
check "validity past 63 weeks" -v 700000 $M "hello"
check "SMSC address" -s $M "$(rep "$ZH" 4)"
check "empty text" $M ""

echo "pdu-gammu.sh: $N_OK passed, $N_FAIL failed"
[ $N_FAIL -eq 0 ] || exit 1
