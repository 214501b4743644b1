#!/bin/sh
# includes.sh: the include graph of src/ must be a DAG (make check).
#
#   tests/includes.sh              self-test, then check $top_srcdir/src
#   tests/includes.sh DIR          check DIR only
#   tests/includes.sh --self-test  check the checker on made-up trees
#
# The graph is drawn at module level: src/foo.c, src/foo.h and its private
# header src/foo-int.h are one module, and `#include "x.h"` in any of them
# adds the edge foo -> x.  A module's own headers are no edge.  compat.h and the generated
# registry-lua.h are leaves: their own includes are not followed.
# <system> headers and quoted names that are no file of DIR are not
# modules.  Includes are read whatever #if they sit under: an edge that
# only some builds take still ties the two modules together.
#
# Exit 0 with the count of modules and edges when the graph is a DAG.
# Otherwise exit 1 and print, for every edge on a cycle, the shortest
# cycle through it (each cycle once), then those edges with every file
# and line that makes each: removing one edge of every cycle listed
# does not yet mean no cycle is left, so run it again.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
LC_ALL=C
export LC_ALL
me=includes.sh

# check DIR: print the verdict on DIR's graph; exit status 0 or 1.
check() {
	set -- "$1"/*.c "$1"/*.h
	awk -v me="$me" '
	function module(path) {
		sub(/.*\//, "", path)
		sub(/\.[ch]$/, "", path)
		sub(/-int$/, "", path)
		return path
	}
	BEGIN {
		leaf["compat"] = 1
		leaf["registry-lua"] = 1
		for (i = 1; i < ARGC; i++)
			if (ARGV[i] !~ /\*\.[ch]$/)
				node[module(ARGV[i])] = 1
			else
				ARGV[i] = ""
		for (m in leaf)
			known[m] = 1
	}
	FNR == 1 { from = module(FILENAME) }
	/^[ \t]*#[ \t]*include[ \t]*"/ {
		if (from in leaf)
			next
		to = $0
		sub(/^[^"]*"/, "", to)
		sub(/".*/, "", to)
		to = module(to)
		if (to == from || (!(to in node) && !(to in known)))
			next
		node[to] = 1
		if ((from, to) in site) {
			site[from, to] = site[from, to] ", " FILENAME ":" FNR
			next
		}
		site[from, to] = FILENAME ":" FNR
		succ[from] = succ[from] " " to
		pred[to] = pred[to] " " from
		nout[from]++
		nedges++
	}
	END {
		# Peel off modules that include nothing left; what stays is
		# on a cycle or leads into one.
		n = 0
		for (m in node) {
			nnodes++
			if (nout[m] == 0)
				queue[n++] = m
		}
		for (q = 0; q < n; q++) {
			gone[queue[q]] = 1
			k = split(pred[queue[q]], p, " ")
			for (i = 1; i <= k; i++)
				if (--nout[p[i]] == 0)
					queue[n++] = p[i]
		}
		if (n == nnodes) {
			printf "%s: %d modules, %d edges, no cycle\n", me,
			    nnodes, nedges
			exit 0
		}
		ncycles = 0
		printf "%s: the include graph has cycles:\n", me
		fflush()
		bysite = "sort"
		cyc = "sort -n | sed \"s/^[0-9]* /  /\""
		for (e in site) {
			split(e, uv, SUBSEP)
			u = uv[1]
			v = uv[2]
			if ((u in gone) || (v in gone))
				continue
			path = shortest(v, u)
			if (path == "")
				continue
			onedge[e] = 1
			key = canon(path)
			if (key in seen)
				continue
			seen[key] = 1
			ncycles++
			k = split(key, c, " ")
			line = c[1]
			for (i = 2; i <= k; i++)
				line = line " -> " c[i]
			print k " " line " -> " c[1] | cyc
		}
		close(cyc)
		printf "%s: edges on a cycle (from -> to: file:line):\n", me
		fflush()
		for (e in onedge) {
			split(e, uv, SUBSEP)
			print "  " uv[1] " -> " uv[2] ": " site[e] | bysite
		}
		close(bysite)
		printf "%s: %d modules, %d edges, %d cycles\n", me, nnodes,
		    nedges, ncycles
		exit 1
	}
	# shortest(A, B): "A ... B" by breadth first among the modules left,
	# or "" when B is not reachable from A.
	function shortest(a, b,    head, tail, fifo, prev, cur, k, s, i, r) {
		split("", prev)
		head = tail = 0
		fifo[tail++] = a
		prev[a] = ""
		while (head < tail) {
			cur = fifo[head++]
			if (cur == b) {
				r = b
				while (prev[cur] != "") {
					cur = prev[cur]
					r = cur " " r
				}
				return r
			}
			k = split(succ[cur], s, " ")
			for (i = 1; i <= k; i++)
				if (!(s[i] in gone) && !(s[i] in prev)) {
					prev[s[i]] = cur
					fifo[tail++] = s[i]
				}
		}
		return ""
	}
	# canon("A B C"): the same cycle, rotated to start at its least name.
	function canon(list,    k, c, i, j, best, r) {
		k = split(list, c, " ")
		best = 1
		for (i = 2; i <= k; i++)
			if (c[i] < c[best])
				best = i
		r = c[best]
		for (j = 1; j < k; j++)
			r = r " " c[(best - 1 + j) % k + 1]
		return r
	}
	' "$@"
}

# selftest: a made-up DAG passes with the right counts, made-up cycles
# fail and are named, leaves and own headers add no edge.
selftest() {
	d=$(mktemp -d "${TMPDIR:-/tmp}/includes.XXXXXX") || exit 1
	trap 'rm -rf "$d"' EXIT
	mkdir "$d/dag" "$d/cyc"
	printf '#include "compat.h"\n#include "a.h"\n#include "b.h"\n#include <stdio.h>\n#include "registry-lua.h"\n#include "nosuch.h"\n' >"$d/dag/a.c"
	: >"$d/dag/a.h"
	printf '#include "b.h"\n#include "c.h"\n' >"$d/dag/b.c"
	printf '#include "c.h"\n' >"$d/dag/b.h"
	printf '#include "b.h"\n#include "c.h"\n' >"$d/dag/b-int.h"
	printf '#include <stddef.h>\n' >"$d/dag/c.h"
	printf '#include "a.h"\n' >"$d/dag/compat.h"
	printf '  #  include "c.h" /* spaced */\n' >"$d/dag/d.c"
	cp "$d/dag/"* "$d/cyc/"
	printf '#include "c.h"\n#include "a.h"\n' >"$d/cyc/c.c"
	printf '#include "f.h"\n#include "f.h"\n' >"$d/cyc/e.h"
	printf '#include "e.h"\n' >"$d/cyc/f.c"
	pass=0
	fail=0

	out=$(check "$d/dag")
	rc=$?
	if [ $rc -eq 0 ] &&
	    [ "$out" = "$me: 6 modules, 5 edges, no cycle" ]; then
		pass=$((pass + 1))
	else
		echo "self-test: the DAG gave $rc:"
		echo "$out"
		fail=$((fail + 1))
	fi

	out=$(check "$d/cyc")
	rc=$?
	if [ $rc -eq 1 ] &&
	    echo "$out" | grep -qx '  a -> b -> c -> a' &&
	    echo "$out" | grep -qx '  e -> f -> e' &&
	    echo "$out" | grep -qx "  c -> a: $d/cyc/c.c:2" &&
	    echo "$out" | grep -qx "  e -> f: $d/cyc/e.h:1, $d/cyc/e.h:2" &&
	    echo "$out" | grep -qx "$me: 8 modules, 8 edges, 2 cycles"; then
		pass=$((pass + 1))
	else
		echo "self-test: the cycles gave $rc:"
		echo "$out"
		fail=$((fail + 1))
	fi
	echo "$me --self-test: $pass passed, $fail failed"
	rm -rf "$d"
	trap - EXIT
	[ $fail -eq 0 ]
}

case "${1:-}" in
--self-test)
	selftest ;;
-*)
	echo "usage: $me [--self-test | DIR]" >&2
	exit 2 ;;
"")
	selftest || exit 1
	cd "$top_srcdir" && check src ;;
*)
	check "$1" ;;
esac
