#!/bin/sh
# The two-person rule itself: an event held for approval can be
# released only by another operator than its publisher, and only when
# a signature vouches for who that is (else two different operators);
# concurrent approvals release it once; approve after a cancel or after
# its expiry fails with a clear message; security.approvers limits who
# may decide.  The second operator is the user nobody (setpriv).
. "$top_srcdir/tests/lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
redis_start --unixsocketperm 777

mock_start
(umask 077; head -c 32 /dev/urandom > "$T/mzj.key")

write_conf <<EOF
departments = (
  { id = "mzj"; name = "嵊州市民政局"; signature = "【嵊州民政】";
    key_file = "$T/mzj.key"; hotline = "0575-83022222"; },
  { id = "dev"; name = "测试"; signature = "【测试】";
    hotline = "0575-83000000"; } );
channels = ( { id = "http1"; type = "http";
    url = "http://127.0.0.1:$(cat "$T/port")/send";
    body = "to=\${to}&text=\${text}&ref=\${ref}"; rate = "100/s"; } );
security = { approval_over = 1; };
limits = { recipient_routine = "100/day"; };
EOF
# mzj signs; dev stays unsigned (lib.sh's default).
sed -i '/id = "mzj"/,/hotline/ s/ unsigned = true;//' "$CONF"

cat > "$T/res.csv" <<'CSV'
id,phone,district,groups,name
a1,13800135001,330683102,elderly,一
a2,13800135002,330683102,elderly,二
a3,13800135003,330683102,disabled,三
CSV
expect_rc 0 cc resident import "$T/res.csv"
daemon_start

ME=$(id -un)
OTHER=""
# A second operator: nobody, when we may become it.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	chmod 755 "$T"
	chmod 644 "$CONF"
	OTHER=nobody
fi
as_other() {
	setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
	    "$CIVICAST" -c "$CONF" "$@"
}

NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
LATER=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
ev() {	# ID DEPT PUBLISHER(""=none) [EXPIRES]
	pub=""
	[ -n "$3" ] && pub="\"publisher\":\"$3\","
	printf '{"id":"%s","department":"%s","sent":"%s","kind":"alert",%s"priority":"routine","audience":{"groups":["elderly"],"districts":["330683"]},"template":"subsidy_notice","params":{"title":"t","detail":"d","effective_date":"x","action":"a"},"expires":"%s"}' \
	    "$1" "$2" "$NOW" "$pub" "${4:-$LATER}"
}
sign() { hmac_sign "$T/mzj.key" "$1"; }	# JSON, with mzj's key
n_ev=0
publish() {	# JSON [STREAM-PUBLISHER]: XADD, signed for mzj; sets $e
	case "$1" in
	*'"department":"mzj"'*)
		if [ -n "${2:-}" ]; then
			rcli XADD t:events '*' event "$1" sig "$(sign "$1")" \
			    publisher "$2" >/dev/null
		else
			rcli XADD t:events '*' event "$1" sig "$(sign "$1")" \
			    >/dev/null
		fi ;;
	*)
		if [ -n "${2:-}" ]; then
			rcli XADD t:events '*' event "$1" publisher "$2" >/dev/null
		else
			rcli XADD t:events '*' event "$1" >/dev/null
		fi ;;
	esac
	n_ev=$((n_ev + 1))
	e=$n_ev
}
state_is() { [ "$(rcli HGET "t:ev:$1" state)" = "$2" ]; }
held() { wait_for state_is "$1" pending_approval; }
sent_n() { wc -l < "$T/mock.jsonl" | tr -d ' '; }

# 1. Signed publisher: it may neither approve nor reject its own event.
publish "$(ev p1 mzj "$ME")"
held "$e"
expect_eq "verified publisher" "$(rcli HGET "t:ev:$e" publisher_verified)" 1
expect_rc 1 cc event approve --department mzj p1
expect_grep "published by $ME: another operator must approve it (the two-person rule)" "$T/err"
expect_rc 1 cc event reject --department mzj --reason mine p1
expect_grep "another operator must reject it" "$T/err"
expect_eq "still held" "$(rcli HGET "t:ev:$e" state)" pending_approval
ok "a signed publisher may not approve or reject its own event"

# 2. Forged: the signed bytes name no publisher, the stream field names
# someone else; the one who added it cannot release it alone.
publish "$(ev p2 mzj "")" alice
held "$e"
expect_eq "claim only" "$(rcli HGET "t:ev:$e" publisher_verified)" 0
expect_rc 0 cc event approve --department mzj p2
expect_grep "waits for a second operator" "$T/out"
expect_eq "still held after one approval" "$(rcli HGET "t:ev:$e" state)" pending_approval
expect_rc 1 cc event approve --department mzj p2
expect_grep "$ME approved it already" "$T/err"
expect_eq "still held after the same operator again" "$(rcli HGET "t:ev:$e" state)" pending_approval
expect_eq "nothing sent" "$(sent_n)" 0
ok "a forged publisher: self-approval counts once, never releases"

# 3. Empty publisher on an unsigned department: the same.
publish "$(ev p3 dev "")"
held "$e"
expect_rc 0 cc event approve --department dev p3
expect_rc 1 cc event approve --department dev p3
expect_eq "unsigned, empty publisher: held" "$(rcli HGET "t:ev:$e" state)" pending_approval
ok "an empty publisher: one operator cannot release it"

# 4. A stream field contradicting the signed publisher is a forgery.
nrej=$(rcli XLEN t:events:rejected)
publish "$(ev p4 mzj alice)" "$ME"
n_ev=$((n_ev - 1))	# rejected: no event number taken
rej() { [ "$(rcli XLEN t:events:rejected)" -gt "$nrej" ]; }
wait_for rej
rcli XRANGE t:events:rejected - + > "$T/dead"
expect_grep "publisher: the stream field names another publisher than the signed event" "$T/dead"
ok "a stream publisher that contradicts the signed one is rejected"

if [ -n "$OTHER" ]; then
	# 5. A second, different operator releases p2 and p3.
	expect_rc 0 as_other event approve --department mzj p2
	expect_grep "approved by nobody after $ME" "$T/out"
	expect_rc 0 as_other event approve --department dev p3
	wait_for state_is 2 done
	wait_for state_is 3 done
	expect_eq "p2 and p3 sent, twice 2 phones" "$(sent_n)" 4
	# And another operator may approve p1 at once (verified publisher).
	expect_rc 0 as_other event approve --department mzj p1
	wait_for state_is 1 done
	expect_eq "p1 sent" "$(sent_n)" 6
	ok "two different operators release an unverified event; one suffices for a verified one"
fi

# 6. Concurrent approvals release the event exactly once.
publish "$(ev c1 mzj alice)"
held "$e"
i=0
pids=""
while [ $i -lt 8 ]; do
	(set +e; "$CIVICAST" -c "$CONF" event approve --department mzj c1 \
	    >"$T/c.$i.out" 2>"$T/c.$i.err"; echo $? > "$T/c.$i.rc") &
	pids="$pids $!"
	i=$((i + 1))
done
for p in $pids; do
	wait "$p" || true
done
expect_eq "eight answers" "$(cat "$T"/c.*.rc | wc -l | tr -d ' ')" 8
expect_eq "exactly one approval succeeded" "$(grep -l '^0$' "$T"/c.*.rc | wc -l | tr -d ' ')" 1
expect_eq "the others say why" "$(grep -l 'not waiting for approval' "$T"/c.*.err | wc -l | tr -d ' ')" 7
wait_for state_is "$e" done
expect_eq "sent once" "$(rcli HGET "t:ev:$e" n:sent)" 2
expect_eq "two messages in all" "$(grep -c '"ref":"'"$e"':' "$T/mock.jsonl")" 2
ok "eight concurrent approvals release the event once"

# 7. Approve after cancel, reject after cancel.
publish "$(ev x1 mzj alice)"
held "$e"
expect_rc 0 cc event cancel --department mzj x1
expect_eq "cancelled" "$(rcli HGET "t:ev:$e" state)" cancelled
expect_eq "no longer pending" "$(rcli SISMEMBER t:events:pending "$e")" 0
expect_rc 1 cc event approve --department mzj x1
expect_grep "event x1 is cancelled, not waiting for approval" "$T/err"
expect_rc 1 cc event reject --department mzj --reason late x1
expect_grep "is cancelled, not waiting for approval" "$T/err"
expect_eq "still cancelled" "$(rcli HGET "t:ev:$e" state)" cancelled
ok "approve or reject after a cancel fails clearly and changes nothing"

# 8. A held event expires like any other: then it cannot be approved.
SOON=$(date -u -d '+6 seconds' +%Y-%m-%dT%H:%M:%SZ)
publish "$(ev t1 mzj alice "$SOON")"
held "$e"
i=0
until state_is "$e" expired; do
	i=$((i + 1))
	[ $i -lt 400 ] || fail "held event t1 never expired"
	sleep 0.05
done
expect_eq "no longer pending" "$(rcli SISMEMBER t:events:pending "$e")" 0
expect_rc 1 cc event approve --department mzj t1
expect_grep "event t1 is expired, not waiting for approval" "$T/err"
ok "a held event expires and cannot be approved after"

# 9. security.approvers: only those named may decide.
publish "$(ev q1 mzj alice)"
held "$e"
sed -i 's/security = { approval_over = 1; };/security = { approval_over = 1; approvers = [ "alice", "bob" ]; };/' "$CONF"
expect_rc 1 cc event approve --department mzj q1
expect_grep "$ME is not in security.approvers" "$T/err"
expect_rc 1 cc event reject --department mzj --reason x q1
expect_grep "is not in security.approvers" "$T/err"
expect_eq "q1 still held" "$(rcli HGET "t:ev:$e" state)" pending_approval
sed -i "s/approvers = \[ \"alice\", \"bob\" \]/approvers = [ \"$ME\" ]/" "$CONF"
expect_rc 0 cc event approve --department mzj q1
wait_for state_is "$e" done
ok "security.approvers limits who may approve or reject"

# Every decision is in the audit trail, with its outcome.
expect_rc 0 cc audit list --count 50
expect_grep "action=event-approve" "$T/out"
expect_grep "outcome=first" "$T/out"
expect_grep "outcome=approved" "$T/out"

kill "$DPID"
wait "$DPID" 2>/dev/null || true
no_sanitizer_reports "$T/daemon.log"
echo "approval.sh: $N_OK passed, 0 failed"
