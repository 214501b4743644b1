#!/bin/sh
# civicast help VERB and civicast completion bash come from the command
# table: the usage of the command asked for, and a completion script
# that offers every command and the options each usage names.
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
echo "help.sh: $N_OK passed, 0 failed"
