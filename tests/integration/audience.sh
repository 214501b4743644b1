#!/bin/sh
# Audience semantics: groups any/all, districts by prefix, exclusions,
# shared phones counted once and only through a matching resident,
# opt-outs, residents with no groups, and the JSON breakdown.
. "$top_srcdir/tests/lib.sh"
redis_start
write_conf </dev/null

# 330683 嵊州市: 330683102 崇仁镇, 330683001 剡湖街道; 330602 越城区.
cat > "$T/res.csv" <<'CSV'
id,phone,district,groups,name
a1,13800130001,330683102,elderly,甲
a2,13800130002,330683102,elderly;disabled,乙
a3,13800130003,330683001,disabled,丙
a4,13800130004,330602001,elderly,丁
a5,13800130005,330683102001,dibao,戊
c1,13800130009,330683102,elderly,carer-1
c2,13800130009,330683001,disabled,carer-2
c3,13800130009,330602001,low_income,carer-3
n1,13800130010,330683102,,no-groups
CSV
expect_rc 0 cc resident import "$T/res.csv"

count() {
	cc audience count --json "$@" > "$T/c.json"
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["phones"])' "$T/c.json"
}

expect_eq "everyone" "$(count)" 7
expect_eq "everyone in 330683" "$(count --districts 330683)" 6
expect_eq "groups '*' in 330683" "$(count --groups '*' --districts 330683)" 6
expect_eq "elderly" "$(count --groups elderly)" 4
expect_eq "elderly in 3306" "$(count --groups elderly --districts 3306)" 4
expect_eq "elderly in 330683" "$(count --groups elderly --districts 330683)" 3
expect_eq "elderly,disabled any in 330683" \
    "$(count --groups elderly,disabled --districts 330683)" 4
expect_eq "elderly,disabled all" \
    "$(count --groups elderly,disabled --match all)" 1
expect_eq "township 330683102" "$(count --districts 330683102)" 5
expect_eq "village 330683102001" "$(count --districts 330683102001)" 1
expect_eq "330683 minus 330683102" \
    "$(count --districts 330683 --exclude-districts 330683102)" 2
expect_eq "two districts" "$(count --districts 330683001,330602)" 3
# The carer's phone matches only through a resident who matches:
# low_income lives in 330602, so low_income in 330683 is nobody.
expect_eq "shared phone through a non-matching resident" \
    "$(count --groups low_income --districts 330683)" 0
expect_eq "shared phone counted once" \
    "$(count --groups elderly,disabled,low_income)" 5
expect_eq "dibao by display name" "$(count --groups 低保对象)" 1

expect_rc 0 cc audience count --groups elderly,disabled \
    --districts 330683102,330683001 --json
python3 - "$T/out" <<'PY' || fail "breakdown"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["phones"] == 4, d
assert d["residents"] == 5, d
assert d["by_district"] == {"330683102": 3, "330683001": 2}, d
assert d["by_group"] == {"elderly": 3, "disabled": 3}, d
PY
ok "JSON breakdown by district and group"

expect_rc 0 cc optout add 13800130009
expect_eq "opted-out shared phone" "$(count --groups elderly)" 3
expect_eq "ignoring opt-outs" "$(count --groups elderly --ignore-optout)" 4

expect_rc 0 cc optout remove 13800130009

# Moving a carer's phone away and removing a resident keep the
# shared-phone index exact.
expect_rc 0 cc resident update c2 --phone 13800130020
expect_eq "after a phone change" "$(count --groups elderly,disabled)" 6
expect_eq "shared rids" "$(rcli BITCOUNT t:bm:shared)" 2
expect_rc 0 cc resident remove c1
expect_eq "after a removal" "$(count)" 8
expect_eq "low_income alone on the phone" "$(count --groups low_income)" 1
expect_eq "no shared rids left" "$(rcli BITCOUNT t:bm:shared)" 0
expect_eq "no shared phones left" "$(rcli HLEN t:res:sphone)" 0
expect_rc 0 cc resident update c3 --phone 13800130001
expect_eq "a phone becomes shared" "$(rcli HLEN t:res:sphone)" 2
expect_eq "counted once" "$(count --groups elderly,low_income)" 3

expect_rc 2 cc audience count --groups nosuch
expect_grep "unknown group" "$T/err"
expect_rc 2 cc audience count --districts 330683999
expect_grep "unknown district" "$T/err"
expect_rc 2 cc audience count --match some
ok "bad queries are refused"

expect_rc 0 cc audience count --groups elderly --districts 330683
expect_grep "phones" "$T/out"
expect_grep "嵊州市" "$T/out"
ok "human output"

echo "audience.sh: $N_OK passed, 0 failed"
