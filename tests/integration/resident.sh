#!/bin/sh
# Resident add/show/update/remove/list, opt-outs, audit, exit codes.
. "$top_srcdir/tests/lib.sh"
redis_start
write_conf </dev/null

expect_rc 0 cc resident add --id r1 --phone "+86 138-0013-8000" \
    --district 330683102 --groups "elderly;disabled" --name 张三
expect_grep "resident r1 added" "$T/out"
ok "add with a typed +86 number"

expect_rc 1 cc resident add --id r1 --phone 13800138001 --district 330683102
expect_grep "already exists" "$T/err"
ok "add refuses an existing id"

expect_rc 0 cc resident show r1
expect_grep "138\*\*\*\*8000" "$T/out"
expect_grep "崇仁镇" "$T/out"
expect_grep "disabled 残疾人, elderly 老年人" "$T/out"
grep -q 13800138000 "$T/out" && fail "show printed a full number"
ok "show masks the phone"

expect_rc 0 cc resident show --reveal r1
expect_grep "13800138000" "$T/out"
expect_rc 0 cc audit list --count 1
expect_grep "action=reveal" "$T/out"
expect_grep "resident=r1" "$T/out"
ok "show --reveal shows the number and is audited"

expect_rc 0 cc resident show --json r1
expect_eq "json groups" "$(json_get "$T/out" groups)" '["disabled", "elderly"]'

expect_rc 1 cc resident add --id r2 --phone 12345 --district 330683102
expect_grep "phone" "$T/err"
expect_rc 1 cc resident add --id r2 --phone 13800138002 --district 330683999
expect_grep "unknown district" "$T/err"
expect_rc 1 cc resident add --id r2 --phone 13800138002 --district 3306831
expect_grep "2, 4, 6, 9 or 12 digits" "$T/err"
expect_rc 1 cc resident add --id r2 --phone 13800138002 --district 330683102 \
    --groups nosuch
expect_grep "unknown group 'nosuch'" "$T/err"
expect_rc 1 cc resident add --id "a b" --phone 13800138002 --district 330683102
expect_grep "id:" "$T/err"
ok "bad fields are refused with the field named"

expect_rc 0 cc resident add --id r2 --phone 13800138002 \
    --district 330683102001 --groups 低保对象
ok "a village of a known township is accepted; display names map to ids"

expect_rc 0 cc resident update r2 --groups "dibao|tekun"
expect_grep "updated" "$T/out"
expect_rc 0 cc resident update r2 --groups "tekun;dibao"
expect_grep "unchanged" "$T/out"
ok "update, and an update that changes nothing"

expect_rc 0 cc audience count --groups tekun --json
expect_grep '"phones": 1' "$T/out"

expect_rc 0 cc resident list
expect_grep "r1" "$T/out"
expect_grep "r2" "$T/out"
grep -q 1380013800 "$T/out" && fail "list printed a full number"
ok "list masks phones"

expect_rc 0 cc optout add "138 0013 8002"
expect_grep "138\*\*\*\*8002 opted out" "$T/out"
expect_rc 0 cc optout add 13800138002
expect_grep "already" "$T/out"
expect_rc 0 cc optout list
expect_grep "138\*\*\*\*8002" "$T/out"
expect_rc 0 cc resident show r2
expect_grep "opted out: yes" "$T/out"
expect_rc 0 cc audience count --groups tekun --json
expect_grep '"phones": 0' "$T/out"
expect_rc 0 cc audience count --groups tekun --ignore-optout --json
expect_grep '"phones": 1' "$T/out"
expect_rc 0 cc optout remove 13800138002
expect_rc 0 cc audience count --groups tekun --json
expect_grep '"phones": 1' "$T/out"
ok "opt-outs apply by phone and can be lifted"

expect_rc 0 cc resident remove r2
expect_rc 1 cc resident remove r2
expect_rc 1 cc resident show r2
expect_rc 0 cc audience count --groups tekun --json
expect_grep '"phones": 0' "$T/out"
ok "remove clears the resident from every index"

# The audit stream records changes without a phone in clear.
expect_rc 0 cc audit list --count 100
expect_grep "action=add via=cli count=1 residents=r1" "$T/out"
expect_grep "action=update via=cli count=1 residents=r2(groups)" "$T/out"
expect_grep "action=remove" "$T/out"
expect_grep "action=optout-add" "$T/out"
rcli XRANGE t:audit - + | grep -q 1380013800 && fail "audit holds a number"
ok "audit stream has the changes and no number"

# Exit codes: usage 2, unreachable Redis 3, --help 0 on stdout.
expect_rc 2 cc resident add --id x
expect_rc 2 cc resident frobnicate
expect_rc 0 cc resident add --help
expect_grep "usage: civicast resident add" "$T/out"
expect_rc 0 "$CIVICAST" resident show -c "$CONF" r1
ok "-c after the command"
redis_stop
expect_rc 3 cc resident show r1
expect_grep "redis" "$T/err"
ok "exit codes 0/1/2/3"

echo "resident.sh: $N_OK passed, 0 failed"
