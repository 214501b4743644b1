#!/bin/sh
# confdoc.sh: the man pages say what the configuration table says
# (make check).  The table (src/conf-table.c, printed by tests/conftable)
# is the one place that decides what a SIGHUP reloads; this checks:
#  1. civicast.conf(5) documents every key of the table and no other, each
#     with the table's type and "reload" or "restart" (its own, or its
#     section's: ".Ss intake Pq group, reload");
#  2. civicastd(8)'s SIGHUP entry lists, between its reload-keys and
#     restart-keys comment marks, the keys that reload and those that need
#     a restart, summarised as the table gives them: "intake.*" for a
#     group whose keys all reload, a list by its name, a key by its path.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
LC_ALL=C
export LC_ALL
me=confdoc.sh
tool="$top_builddir/tests/conftable"
conf5="$top_srcdir/man/civicast.conf.5"
daemon8="$top_srcdir/man/civicastd.8"
t=$(mktemp -d "${TMPDIR:-/tmp}/confdoc.XXXXXX") || exit 1
trap 'rm -rf "$t"' EXIT
status=0

"$tool" >"$t/table" || { echo "$me: $tool failed"; exit 1; }
[ -s "$t/table" ] || { echo "$me: $tool printed nothing"; exit 1; }

# 1. civicast.conf(5): "PATH TYPE APPLY" for every key it documents.
awk '
function pq(s, what,    n, f, i, type, apply) {
	n = split(s, f, /, */)
	type = f[1]
	apply = ""
	for (i = 2; i <= n; i++)
		if (f[i] == "reload" || f[i] == "restart")
			apply = f[i]
	return type "\t" apply
}
/^\.Sh FILES/ { exit }
/^\.Ss / {
	sect = prefix = sectapply = ""
	if ($0 !~ / Pq /)
		next
	name = $2
	split(pq(substr($0, index($0, " Pq ") + 4)), v, "\t")
	sectapply = v[2]
	prefix = name (v[1] == "list" ? ".[]." : ".")
	print name "\t" v[1] "\t" (v[2] == "" ? "?" : v[2]) "\t" FNR
	next
}
/^\.It Ic [a-z_]+ Pq / {
	split(pq(substr($0, index($0, " Pq ") + 4)), v, "\t")
	apply = v[2] != "" ? v[2] : sectapply
	print prefix $3 "\t" v[1] "\t" (apply == "" ? "?" : apply) "\t" FNR
}
' "$conf5" >"$t/man"

# Rows of the table with no own apply word for a mixed group are "?" in
# the man page; the table still has one (a group's own row), so compare
# groups without it.
awk -F'\t' -v me="$me" -v page="$conf5" '
NR == FNR { type[$1] = $2; apply[$1] = $3; order[++n] = $1; next }
{
	seen[$1] = 1
	if (!($1 in type)) {
		printf "%s: %s:%d documents %s, which is not in the table\n",
		    me, page, $4, $1
		bad = 1
		next
	}
	if ($2 != type[$1]) {
		printf "%s: %s:%d: %s is %s in the table, the page says %s\n",
		    me, page, $4, $1, type[$1], $2
		bad = 1
	}
	if ($3 == "?" && type[$1] == "group")
		next
	if ($3 != apply[$1]) {
		printf "%s: %s:%d: %s is %s in the table, the page says %s\n",
		    me, page, $4, $1, apply[$1], $3 == "?" ? "neither reload nor restart" : $3
		bad = 1
	}
}
END {
	for (i = 1; i <= n; i++)
		if (!(order[i] in seen)) {
			printf "%s: %s is not in %s\n", me, order[i], page
			bad = 1
		}
	exit bad
}
' "$t/table" "$t/man" || status=1

# 2. civicastd(8): the summary the table gives, against the marked lists.
awk -F'\t' '
{ path[++n] = $1; type[$1] = $2; apply[$1] = $3 }
END {
	for (i = 1; i <= n; i++) {
		p = path[i]
		if (p ~ /\./)
			continue
		if (type[p] != "group") {
			print apply[p] "\t" p
			continue
		}
		mixed = 0
		for (j = 1; j <= n; j++)
			if (index(path[j], p ".") == 1 && apply[path[j]] != apply[p])
				mixed = 1
		if (!mixed) {
			print apply[p] "\t" p ".*"
			continue
		}
		for (j = 1; j <= n; j++)
			if (index(path[j], p ".") == 1)
				print apply[path[j]] "\t" path[j]
	}
}
' "$t/table" | sort >"$t/want"
awk '
/^\.\\" (reload|restart)-keys: begin/ { what = $2; sub(/-keys:/, "", what); next }
/^\.\\" (reload|restart)-keys: end/ { what = ""; next }
what != "" && /^\.Cm / { k = $2; print what "\t" k }
' "$daemon8" | sort >"$t/got"
if ! grep -q . "$t/got"; then
	echo "$me: no reload-keys / restart-keys marks in $daemon8"
	status=1
elif ! cmp -s "$t/want" "$t/got"; then
	echo "$me: $daemon8 SIGHUP lists differ from the table (- table, + page):"
	diff "$t/want" "$t/got" | sed -n 's/^</  -/p; s/^>/  +/p'
	status=1
fi

if [ $status -eq 0 ]; then
	echo "$me: $(wc -l <"$t/table" | tr -d ' ') keys; 2 passed, 0 failed"
fi
exit $status
