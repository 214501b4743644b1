#!/bin/sh
# config check: every problem with FILE:LINE, warnings, the shipped
# example, embedded defaults, and civicastd -n agreeing with the CLI.
. "$top_srcdir/tests/lib.sh"
D="$top_srcdir/tests/data/conf"

expect_rc 1 "$CIVICAST" -c "$D/five.conf" config check
expect_grep "five.conf: 5 problems" "$T/err"
expect_grep "five.conf:3:" "$T/err"
expect_grep "five.conf:4:" "$T/err"
expect_grep "five.conf:7:" "$T/err"
expect_grep "orphans" "$T/err"
expect_grep "10/week" "$T/err"
ok "config check reports all five problems with lines"

expect_rc 1 "$CIVICAST" config check -c "$D/syntax.conf"
expect_grep "syntax.conf:[0-9]*:" "$T/err"
ok "syntax errors with their line (-c after the command)"

# The shipped example, pointed at this tree's data, is valid.
sed -e "s|^# districts_file = .*|districts_file = \"$top_srcdir/data/divisions-cn.csv\";|" \
    -e "s|^# templates_dir = .*|templates_dir = \"$top_srcdir/templates\";|" \
    -e "s|^# carriers_file = .*|carriers_file = \"$top_srcdir/data/carriers.csv\";|" \
    "$top_srcdir/etc/civicast.conf.example" > "$T/example.conf"
expect_rc 0 "$CIVICAST" -c "$T/example.conf" config check
expect_grep "OK" "$T/out"
ok "etc/civicast.conf.example is valid"

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
	expect_rc 0 "$CIVICASTD" -n -c "$T/example.conf"
	ok "civicastd -n agrees"
fi

echo "config.sh: $N_OK passed, 0 failed"
