#!/bin/sh
# district tree/show/import: shipped table, counts, villages, renames.
. "$top_srcdir/tests/lib.sh"
redis_start
write_conf </dev/null

cat > "$T/res.csv" <<'CSV'
id,phone,district,groups
a,13800130001,330683102,elderly
b,13800130002,330683102001,elderly
c,13800130003,330683001,disabled
d,13800130004,110101001,
CSV
expect_rc 0 cc resident import "$T/res.csv"

expect_rc 0 cc district tree
expect_grep "^33 *浙江省  3" "$T/out"
expect_grep "^11 *北京市  1" "$T/out"
grep -q "^44" "$T/out" && fail "empty province shown without --all"
expect_rc 0 cc district tree --all
expect_eq "31 provinces" "$(grep -c . "$T/out")" 31
ok "tree of provinces with counts"

expect_rc 0 cc district tree 330683
expect_grep "^330683 *嵊州市  3" "$T/out"
expect_grep "330683102 *崇仁镇  2" "$T/out"
expect_grep "330683001 *剡湖街道  1" "$T/out"
expect_rc 0 cc district tree --depth 3 33
expect_grep "330683102" "$T/out"
ok "tree under a county and deeper"

expect_rc 0 cc district show 330683102001
expect_grep "浙江省" "$T/out"
expect_grep "崇仁镇" "$T/out"
expect_grep "residents: 1" "$T/out"
expect_rc 1 cc district show 330683999
expect_grep "unknown district" "$T/err"
ok "show a village through its township"

# Import villages (and a rename); unknown parents are refused.
cat > "$T/v.csv" <<'CSV'
code,name
330683102001,崇仁村
330683102002,富润村
330683102,崇仁镇（新）
330683999001,无主村
CSV
expect_rc 1 cc district import "$T/v.csv"
expect_grep "2 added, 1 renamed, 0 unchanged, 1 rejected" "$T/out"
expect_grep "v.csv:5:" "$T/err"
expect_rc 0 cc district tree 330683102
expect_grep "崇仁镇（新）" "$T/out"
expect_grep "330683102001 *崇仁村  1" "$T/out"
expect_rc 0 cc district show --json 330683102001
expect_grep '"name": "崇仁村"' "$T/out"
ok "district import adds villages and renames"

# Unknown village codes stay refused, a re-import changes nothing.
expect_rc 1 cc district import "$T/v.csv"
expect_grep "0 added, 0 renamed, 3 unchanged, 1 rejected" "$T/out"
expect_rc 0 cc audit list --count 50
expect_grep "action=district-import" "$T/out"
ok "re-import; audited"

echo "district.sh: $N_OK passed, 0 failed"
