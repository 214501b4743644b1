#!/bin/sh
# resident import: encodings, CRLF, quoting, bad rows with line numbers,
# upsert by id, re-import changing nothing, --dry-run.
. "$top_srcdir/tests/lib.sh"
redis_start
write_conf </dev/null

# UTF-8 with BOM and CRLF line ends, quoted fields, a name with a comma.
printf '\357\273\277id,phone,district,groups,name\r\n' > "$T/a.csv"
printf 'u1,13800130001,330683102,elderly,"王,一"\r\n' >> "$T/a.csv"
printf 'u2,"+86 138-0013-0002",330683001,"elderly|disabled",王二\r\n' >> "$T/a.csv"
printf 'u3,0086 13800130003,330683102001,,"王""三"""\r\n' >> "$T/a.csv"
expect_rc 0 cc resident import "$T/a.csv"
expect_grep "3 rows (UTF-8 with BOM): 3 added, 0 updated, 0 unchanged, 0 rejected" "$T/out"
expect_rc 0 cc resident show u1
expect_grep "王,一" "$T/out"
expect_rc 0 cc resident show u3
expect_grep 'name:      王"三"' "$T/out"
ok "UTF-8 with BOM, CRLF, quoted fields"

# Re-import: nothing changes, nothing is audited again.
before=$(rcli XLEN t:audit)
expect_rc 0 cc resident import "$T/a.csv"
expect_grep "0 added, 0 updated, 3 unchanged, 0 rejected" "$T/out"
expect_eq "audit unchanged by re-import" "$(rcli XLEN t:audit)" "$before"

# GB18030 (what Excel saves in China), columns in another order.
printf 'name,groups,district,phone,id\n李四,残疾人,330683102,13800130004,u4\n张三,elderly,330683102,13800130001,u1\n' \
    | iconv -f UTF-8 -t GB18030 > "$T/gb.csv"
expect_rc 0 cc resident import "$T/gb.csv"
expect_grep "2 rows (GB18030): 1 added, 1 updated, 0 unchanged, 0 rejected" "$T/out"
expect_rc 0 cc resident show u4
expect_grep "李四" "$T/out"
expect_grep "disabled 残疾人" "$T/out"
ok "GB18030 file, upsert by id"

# Bad rows are reported with their line and reason; good rows import.
cat > "$T/bad.csv" <<'CSV'
id,phone,district,groups,name
b1,13800130011,330683102,elderly,好
b2,12345,330683102,elderly,短号
b3,13800130013,330683999,elderly,无此镇
b4,13800130014,330683102,nosuch,无此组
b5,13800130015,33068310,elderly,坏代码
b6,13800130016,330683102,elderly,"未闭合
b7,13800130017,330683102,elderly,好
b7,13800130018,330683102,elderly,重复
b8,13800130019,330683102
CSV
expect_rc 1 cc resident import "$T/bad.csv"
expect_grep "bad.csv:3: phone" "$T/err"
expect_grep "bad.csv:4: district 330683999: unknown district" "$T/err"
expect_grep "bad.csv:5: groups: unknown group 'nosuch'" "$T/err"
expect_grep "bad.csv:6: district: must be" "$T/err"
expect_grep "bad.csv:7: quoted field never closed" "$T/err"
grep -q "13800130012" "$T/err" && fail "an error message holds a phone"
expect_grep "1 added" "$T/out"
ok "bad rows reported with line numbers; the good row imported"

cat > "$T/bad2.csv" <<'CSV'
id,phone,district,groups,name
d1,13800130021,330683102,elderly,好
d1,13800130022,330683102,elderly,重复
d2,13800130023,330683102
CSV
expect_rc 1 cc resident import "$T/bad2.csv"
expect_grep "bad2.csv:3: id d1 already given on line 2" "$T/err"
expect_grep "bad2.csv:4: 3 fields where the header has 5" "$T/err"
ok "duplicate ids and short rows"

# Missing columns fail the whole file.
printf 'id,phone,groups\nx,13800130031,elderly\n' > "$T/nocol.csv"
expect_rc 1 cc resident import "$T/nocol.csv"
expect_grep "missing: district" "$T/err"

# Bytes that are neither UTF-8 nor GB18030.
printf 'id,phone,district,groups\nz1,13800130041,330683102,\377\377\n' > "$T/bin.csv"
expect_rc 1 cc resident import "$T/bin.csv"
expect_grep "line 2" "$T/err"
ok "missing columns and undecodable bytes"

# --dry-run validates and writes nothing.
n=$(rcli BITCOUNT t:bm:all)
printf 'id,phone,district,groups\nq1,13800130051,330683102,elderly\nq2,1,330683102,elderly\n' > "$T/dry.csv"
expect_rc 1 cc resident import --dry-run "$T/dry.csv"
expect_grep "1 valid, 1 rejected" "$T/out"
expect_eq "dry run wrote nothing" "$(rcli BITCOUNT t:bm:all)" "$n"
ok "--dry-run"

expect_rc 0 cc resident import --json "$T/a.csv"
expect_eq "json summary" "$(json_get "$T/out" rows)" 3
expect_rc 1 cc resident import "$T/nonexistent.csv"
expect_grep "No such file" "$T/err"
ok "json summary; missing file"

echo "import.sh: $N_OK passed, 0 failed"
