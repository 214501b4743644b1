#!/bin/sh
# checksrc.sh: house rules the compiler does not check (make check).
#  - banned calls: strcpy strcat sprintf vsprintf gets atoi strtok signal
#  - a one-line comment above every non-static function definition
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
cd "$top_srcdir" || exit 1
status=0
files=$(ls src/*.c compat/*.c tests/*.c tests/unit/*.c tests/fuzz/*.c 2>/dev/null)

bad=$(grep -n -E '(^|[^a-z_])(strcpy|strcat|sprintf|vsprintf|gets|atoi|strtok|signal)[[:space:]]*\(' \
    $files | grep -v -E '(snprintf|vsnprintf|strlcpy|strlcat|sigaction|evsignal|/\*|^\S+:[0-9]+:\s*\*)')
if [ -n "$bad" ]; then
	echo "banned calls:"
	echo "$bad"
	status=1
fi

# A definition: a line "name(" at column 0 after a type line that is
# not static; the line above the type must close a comment.
nocomment=$(awk '
	FNR == 1 { prev2 = ""; prev = "" }
	/^[a-z_][a-z0-9_]*\(/ && prev !~ /static/ && prev !~ /^$/ &&
	    prev !~ /;$/ && prev2 !~ /\*\/[[:space:]]*$/ &&
	    FILENAME ~ /^src\// && $0 !~ /;[[:space:]]*$/ {
		print FILENAME ":" FNR ": " $0
	}
	{ prev2 = prev; prev = $0 }
' src/*.c compat/*.c)
if [ -n "$nocomment" ]; then
	echo "non-static functions without a comment above them:"
	echo "$nocomment"
	status=1
fi
[ $status -eq 0 ] && echo "checksrc.sh: 2 passed, 0 failed"
exit $status
