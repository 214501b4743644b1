#!/bin/sh
# config check: every problem with FILE:LINE, warnings, the shipped
# example, embedded defaults, and civicastd -n agreeing with the CLI.
. "$top_srcdir/tests/lib.sh"
D="$top_srcdir/tests/data/conf"

expect_rc 1 "$CIVICAST" -c "$D/five.conf" config check
expect_grep "five.conf: 6 problems" "$T/err"
expect_grep "five.conf:3:" "$T/err"
expect_grep "five.conf:4:" "$T/err"
expect_grep "five.conf:7:" "$T/err"
expect_grep "five.conf:16: departments\[0\].key_file: /etc/civicast/keys/mzj.key: No such file" "$T/err"
expect_grep "orphans" "$T/err"
expect_grep "10/week" "$T/err"
ok "config check reports all six problems with lines"

expect_rc 1 "$CIVICAST" config check -c "$D/syntax.conf"
expect_grep "syntax.conf:[0-9]*:" "$T/err"
ok "syntax errors with their line (-c after the command)"

# The shipped example, pointed at this tree's data, is valid.
sed -e "s|^# districts_file = .*|districts_file = \"$top_srcdir/data/divisions-cn.csv\";|" \
    -e "s|^# templates_dir = .*|templates_dir = \"$top_srcdir/templates\";|" \
    -e "s|^# carriers_file = .*|carriers_file = \"$top_srcdir/data/carriers.csv\";|" \
    -e "s|/etc/civicast/keys/mzj.key|$T/mzj.key|" \
    "$top_srcdir/etc/civicast.conf.example" > "$T/example.conf"
kline=$(grep -n "key_file = \"$T/mzj.key\"" "$T/example.conf" | cut -d: -f1)
[ -n "$kline" ] || fail "the example names no key_file for mzj"

# Its key file does not exist yet: named with its line and the fix.
expect_rc 1 "$CIVICAST" -c "$T/example.conf" config check
expect_grep "example.conf:$kline: departments\[0\].key_file: $T/mzj.key: No such file" "$T/err"
expect_grep "civicast key generate mzj" "$T/err"
ok "a missing key file is named with its line and the command that makes one"

(umask 077; head -c 32 /dev/urandom > "$T/mzj.key")
expect_rc 0 "$CIVICAST" -c "$T/example.conf" config check
expect_grep "OK" "$T/out"
ok "etc/civicast.conf.example is valid"

# Key files the daemon would refuse are refused here, by the same rules,
# by config check and civicastd -n alike (issue: a 0644 key passed).
keycheck() {	# WHAT PATTERN: both commands refuse, naming line and fix
	expect_rc 1 "$CIVICAST" -c "$T/example.conf" config check
	expect_grep "example.conf:$kline: departments\[0\].key_file: .*$2" "$T/err"
	if [ -x "$CIVICASTD" ]; then
		expect_rc 1 "$CIVICASTD" -n -c "$T/example.conf"
		expect_grep "example.conf:$kline: departments\[0\].key_file: .*$2" "$T/err"
	fi
	ok "$1 is refused by config check and civicastd -n"
}
for mode in 644 640 604 660 606 700; do
	chmod "$mode" "$T/mzj.key"
	if [ "$mode" = 700 ]; then
		# Owner-only, even executable, is fine: only group/other bits count.
		expect_rc 0 "$CIVICAST" -c "$T/example.conf" config check
		ok "a key file of mode 0700 passes"
	else
		keycheck "a key file of mode 0$mode" "mode 0$mode.*chmod 600 $T/mzj.key"
	fi
done
chmod 600 "$T/mzj.key"
(umask 077; head -c 16 /dev/urandom > "$T/short.key")
sed -i "s|$T/mzj.key|$T/short.key|" "$T/example.conf"
keycheck "a key of 16 bytes" "holds 16 bytes, a key needs at least 32"
rm -f "$T/short.key"; mkdir "$T/short.key"
keycheck "a directory as key file" "not a regular file"
rmdir "$T/short.key"
ln -s /dev/null "$T/short.key"
keycheck "a link to a device as key file" "not a regular file"
rm -f "$T/short.key"
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	(umask 077; head -c 32 /dev/urandom > "$T/short.key")
	chown nobody "$T/short.key"
	keycheck "a key file owned by another user" "owned by uid $(id -u nobody), not by uid 0.*chown 0"
	rm -f "$T/short.key"
fi
sed -i "s|$T/short.key|$T/mzj.key|" "$T/example.conf"

# pin_file and redis.password_file follow the same rules.
printf '1234\n' > "$T/m0.pin"; chmod 644 "$T/m0.pin"
sed -e "s|# pin_file = \"/etc/civicast/m0.pin\";|pin_file = \"$T/m0.pin\";|" \
    "$T/example.conf" > "$T/pin.conf"
grep -q "pin_file = \"$T/m0.pin\"" "$T/pin.conf" || fail "no pin_file line to enable"
pline=$(grep -n "pin_file = \"$T/m0.pin\"" "$T/pin.conf" | cut -d: -f1)
expect_rc 1 "$CIVICAST" -c "$T/pin.conf" config check
expect_grep "pin.conf:$pline: channels\[[0-9]*\].pin_file: .*mode 0644.*chmod 600" "$T/err"
chmod 600 "$T/m0.pin"
expect_rc 0 "$CIVICAST" -c "$T/pin.conf" config check
ok "a pin_file readable by others is refused, owner-only passes"

# A bad districts_file is caught too.
sed -e "s|^districts_file = .*|districts_file = \"$T/none.csv\";|" \
    "$T/example.conf" > "$T/nodist.conf"
expect_rc 1 "$CIVICAST" -c "$T/nodist.conf" config check
expect_grep "districts_file" "$T/err"
ok "a missing district table is reported"

expect_rc 1 "$CIVICAST" -c "$T/missing.conf" config check
ok "a missing explicit file fails"

if [ -x "$CIVICASTD" ]; then
	expect_rc 1 "$CIVICASTD" -n -c "$D/five.conf"
	expect_grep "five.conf:3:" "$T/err"
	expect_grep "five.conf:7:" "$T/err"
	expect_grep "five.conf:16:" "$T/err"
	expect_rc 0 "$CIVICASTD" -n -c "$T/example.conf"
	ok "civicastd -n agrees"
fi

echo "config.sh: $N_OK passed, 0 failed"
