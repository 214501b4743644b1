#!/bin/sh
# civicast help VERB, civicast completion bash and civicast(1) agree with
# the command table: the usage and options of the command asked for, a
# completion script that offers every command, option and listed value,
# and a man page entry that shows every option a command accepts.
. "$top_srcdir/tests/lib.sh"

expect_rc 0 "$CIVICAST" help event approve
expect_grep "^usage: civicast event approve \[--department D\] ID$" "$T/out"
expect_eq "help event approve: one command" "$(grep -c '^usage:' "$T/out")" 1
expect_rc 0 "$CIVICAST" help event
expect_eq "help event: every event command" "$(grep -c '^usage: civicast event ' "$T/out")" 7
expect_rc 0 "$CIVICAST" help publish
expect_grep "^usage: civicast publish --department D" "$T/out"
expect_rc 2 "$CIVICAST" help nosuch
expect_grep "help: no command nosuch" "$T/err"
expect_rc 2 "$CIVICAST" help event nosuch
ok "civicast help VERB prints that command's usage, and fails on an unknown one"

command -v bash >/dev/null 2>&1 || { echo "SKIP: no bash"; exit 77; }
expect_rc 0 "$CIVICAST" completion bash
cp "$T/out" "$T/comp.sh"
bash -n "$T/comp.sh" || fail "the completion script is not valid bash"
complete_words() {	# CWORD WORDS...: what _civicast offers
	cw=$1; shift
	bash -c '. "$1"; shift; cw=$1; shift; COMP_WORDS=("$@"); COMP_CWORD=$cw
	    _civicast; printf "%s\n" "${COMPREPLY[@]}"' sh "$T/comp.sh" "$cw" "$@"
}
expect_eq "completes a family" "$(complete_words 1 civicast eve)" event
expect_eq "completes a command" "$(complete_words 2 civicast event app)" approve
expect_eq "the command in another table" "$(complete_words 2 civicast event pur)" purge
expect_eq "completes an option" "$(complete_words 2 civicast publish --dry)" --dry-run
expect_eq "an option of a subcommand" "$(complete_words 3 civicast route test --pri)" --priority
# Every command of civicast help is offered.
"$CIVICAST" help | awk '/^  [a-z]/ { print $1, ($2 ~ /^[a-z]+$/ ? $2 : "") }' > "$T/cmds"
[ -s "$T/cmds" ] || fail "civicast help listed no command"
while read -r fam sub; do
	expect_eq "family $fam offered" \
	    "$(complete_words 1 civicast "$fam" | grep -cx "$fam")" 1 >/dev/null
	if [ -n "$sub" ]; then
		expect_eq "$fam $sub offered" \
		    "$(complete_words 2 civicast "$fam" "$sub" | grep -cx "$sub")" 1 >/dev/null
	fi
done < "$T/cmds"
ok "civicast completion bash offers every command and their options"
# The options each command's table row declares are the ones its entry in
# civicast(1) shows: the man page's synopsis of the command (its .It line,
# or .It Xo ... .Xc) names each one as "Fl \-NAME".
MAN=$top_srcdir/man/civicast.1
man_synopsis() {	# FAMILY [COMMAND]: that command's synopsis lines
	awk -v want="$*" '
	    /^\.It Xo/ { xo = 1; buf = ""; next }
	    xo && /^\.Xc/ { xo = 0; if (found) { print buf; exit } next }
	    xo { if (buf == "" && $0 ~ ("^\\.Ic " want "( |$)")) found = 1;
		buf = buf "\n" $0; next }
	    $0 ~ ("^\\.It Ic " want "( |$)") { print; exit }' "$MAN"
}
checked=0
while read -r fam sub; do
	syn=$(man_synopsis $fam $sub)
	[ -n "$syn" ] || fail "civicast(1) has no entry for '$fam $sub'"
	"$CIVICAST" help $fam $sub > "$T/opts" || fail "help $fam $sub"
	for opt in $(sed -n 's/^  \(-., \)\{0,1\}--\([a-z-]*\).*/\2/p' "$T/opts"); do
		printf '%s\n' "$syn" | grep -q "Fl \\\\-$opt\( \|$\)" ||
		    fail "civicast(1) '$fam $sub' does not show --$opt"
		checked=$((checked + 1))
	done
done < "$T/cmds"
[ "$checked" -gt 40 ] || fail "only $checked options checked against civicast(1)"
ok "civicast(1) shows each of the $checked options of the command table"

# An option whose value is one of a list completes to that list.
expect_eq "the values of --match" "$(complete_words 3 civicast publish --match '' | sort | tr '\n' ' ')" "all any "
echo "help.sh: $N_OK passed, 0 failed"
