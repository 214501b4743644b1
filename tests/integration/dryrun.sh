#!/bin/sh
# civicast publish --dry-run says what civicastd does with the same
# event: for every reason the daemon rejects an event for, the dry run
# refuses it with the same words (and publish refuses it locally); an
# event the daemon holds for approval is announced as held; one it
# accepts, as accepted.  The dry run's event bytes are sent to the
# daemon, signed here (not by civicast), and the two verdicts compared.
. "$top_srcdir/tests/lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
redis_start

mock_start
(umask 077; head -c 32 /dev/urandom > "$T/mzj.key")

write_conf <<EOF
departments = (
  { id = "mzj"; name = "嵊州市民政局"; signature = "【嵊州民政】";
    key_file = "$T/mzj.key"; hotline = "0575-83022222";
    groups = [ "elderly", "disabled" ]; districts = [ "330683" ];
    templates = [ "subsidy_notice", "dibao_publicity" ];
    max_audience = 4; } );
channels = ( { id = "http1"; type = "http";
    url = "http://127.0.0.1:$(cat "$T/port")/send";
    body = "to=\${to}&text=\${text}&ref=\${ref}"; rate = "100/s"; } );
security = { approval_over = 2; approval_categories = [ "dibao" ]; };
message_max_chars = 120;
EOF
sed -i 's/ unsigned = true;//' "$CONF"

cat > "$T/res.csv" <<'CSV'
id,phone,district,groups,name
a1,13800136001,330683102,elderly,一
a2,13800136002,330683102,elderly,二
a3,13800136003,330683102,disabled,三
a4,13800136004,330683001,disabled,四
a5,13800136005,330683001,elderly;disabled,五
a6,13800136006,330683001,elderly,六
CSV
expect_rc 0 cc resident import "$T/res.csv"
daemon_start

P="--param title=t --param detail=d --param effective_date=x --param action=a"
jget() {	# FILE KEY
	python3 -c 'import json,sys; v=json.load(open(sys.argv[1])).get(sys.argv[2]); print("" if v is None else v)' "$1" "$2"
}
sign() { hmac_sign "$T/mzj.key" "$1"; }	# JSON, with mzj's key
# The daemon's verdict on JSON: "reject: REASON", "hold" or "go".
daemon_verdict() {
	nrej=$(rcli XLEN t:events:rejected)
	nacc=$(rcli GET t:ev:seq); nacc=${nacc:-0}
	rcli XADD t:events '*' event "$1" sig "$(sign "$1")" >/dev/null
	i=0
	while :; do
		if [ "$(rcli XLEN t:events:rejected)" -gt "$nrej" ]; then
			printf 'reject: %s\n' "$(rcli --raw XREVRANGE t:events:rejected + - COUNT 1 |
			    awk 'p { print; exit } $0 == "reason" { p = 1 }')"
			return
		fi
		e=$(rcli GET t:ev:seq); e=${e:-0}
		if [ "$e" -gt "$nacc" ]; then
			st=$(rcli HGET "t:ev:$e" state)
			case "$st" in
			pending_approval) echo hold; return ;;
			active|done) echo go; return ;;
			cancelled) ;;	# rejected at fan-out: its reason follows
			esac
		fi
		i=$((i + 1))
		[ $i -lt 400 ] || { echo "no verdict"; return; }
		sleep 0.05
	done
}
expect_fgrep() {	# STRING FILE: a fixed string (reasons hold [ ] and .)
	grep -qF -- "$1" "$2" || { cat "$2" >&2; fail "no '$1' in $2"; }
}
n=0
# compare VERDICT ARGS...: dry run and daemon agree; VERDICT is the dry run's
# verdict name; for reject, publish refuses it locally too, same words.
compare() {
	verdict=$1; shift
	n=$((n + 1))
	set +e
	"$CIVICAST" -c "$CONF" --json publish --dry-run --department mzj \
	    --id "d$n" "$@" >"$T/dry.json" 2>"$T/dry.err"
	rc=$?
	set -e
	got=$(jget "$T/dry.json" verdict)
	reason=$(jget "$T/dry.json" reason)
	[ "$verdict" != reject ] || [ -n "$reason" ] || fail "dry run $n: no reason"
	expect_eq "dry run $n: verdict" "$got" "$verdict"
	if [ "$verdict" = reject ]; then
		[ "$rc" = 1 ] || fail "dry run $n: exit $rc for a rejection"
		expect_fgrep "event refused: $reason" "$T/dry.err"
		expect_rc 1 cc publish --department mzj --id "p$n" "$@"
		expect_fgrep "event refused: $reason" "$T/err"
		# Nothing reached the stream.
		if rcli --raw XRANGE t:events - + | grep -q "\"id\":\"p$n\""; then
			fail "publish sent an event it refused"
		fi
	else
		[ "$rc" = 0 ] || fail "dry run $n: exit $rc for $verdict"
	fi
	dv=$(daemon_verdict "$(jget "$T/dry.json" event)")
	case "$verdict" in
	reject)	expect_eq "civicastd's reason for event $n" "$dv" "reject: $reason" ;;
	review)	expect_eq "civicastd's verdict on event $n" "$dv" go ;;
	*)	expect_eq "civicastd's verdict on event $n" "$dv" "$verdict" ;;
	esac
}

A="--districts 330683"
# Every rejection reason the daemon has, one event each.
compare reject --template heat_warning --param issuer=i --param time=t \
    --param level=l --param forecast=f --groups elderly $A		# template scope
compare reject --template subsidy_notice $P --groups elderly $A --priority emergency	# priority
compare reject --template subsidy_notice $P --groups tekun $A		# group scope
compare reject --template subsidy_notice $P --groups elderly --districts 330102	# district
compare reject --template subsidy_notice $P $A				# every resident
compare reject --template subsidy_notice $P --groups elderly,disabled $A	# max_audience 4 < 6
compare reject --template no_such_template $P --groups elderly $A	# unknown template
compare reject --template subsidy_notice $P --groups orphans $A		# unknown group
compare reject --template subsidy_notice $P --groups elderly --districts 999999	# unknown district
compare reject --template subsidy_notice --param title=t --groups elderly $A	# missing parameter
compare reject --template subsidy_notice --param title="$(python3 -c 'print("长" * 130)')" \
    --param detail=d --param effective_date=x --param action=a --groups elderly $A	# too long
compare reject --template subsidy_notice $P --groups elderly $A --expires 2020-01-01T00:00:00Z	# expired
compare reject --template subsidy_notice $P --groups elderly $A \
    --not-before "$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)" \
    --expires "$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)"	# out of order
ok "every rejection: the dry run, publish and civicastd give the same reason"

compare hold --template subsidy_notice $P --groups disabled $A		# 3 phones > approval_over 2
compare hold --template subsidy_notice $P --groups elderly --districts 330683102 \
    --category dibao						# a sensitive category
ok "held for approval: the dry run says so and civicastd holds it"

compare go --template subsidy_notice $P --groups elderly --districts 330683102	# 2 phones
ok "accepted: both agree"

# The text a dry run prints says the verdict, for a person.
expect_rc 1 cc publish --dry-run --department mzj --template heat_warning \
    --param issuer=i --param time=t --param level=l --param forecast=f \
    --groups elderly $A
expect_grep "event refused: scope: department mzj may not use template 'heat_warning'" "$T/err"
expect_rc 0 cc publish --dry-run --department mzj --template subsidy_notice $P --groups disabled $A
expect_grep "^verdict:   accepted, then held until a second operator approves it" "$T/out"
expect_grep "3 phones, over security.approval_over of 2" "$T/out"
expect_rc 0 cc publish --department mzj --template subsidy_notice $P --groups disabled $A
expect_grep "it waits for a second operator's approval" "$T/out"
ok "the dry run and publish tell a person what will happen"

kill "$DPID"
wait "$DPID" 2>/dev/null || true
no_sanitizer_reports "$T/daemon.log"
echo "dryrun.sh: $N_OK passed, 0 failed"
