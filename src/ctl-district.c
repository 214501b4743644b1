/*
 * ctl-district.c: civicast district tree|show|import.
 */
#include "compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "csv.h"
#include "ctl.h"
#include "district.h"
#include "registry.h"
#include "util.h"
#include "xmalloc.h"

#define DISTRICT_IMPORT_MAX	(64UL << 20)

static int	district_tree(struct ctl *, const struct cmdline_args *);
static int	district_show(struct ctl *, const struct cmdline_args *);
static int	district_import(struct ctl *, const struct cmdline_args *);

static const struct cmdline_opt district_tree_opts[] = {
	{ "depth", 0, "N", CMDLINE_NUMBER, 1, 5,
	  "levels to show under CODE (default 1)" },
	{ "all", 0, NULL, 0, 0, 0,
	  "also the divisions where no resident lives" },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

static const struct cmdline_opt district_import_opts[] = {
	{ "dry-run", 'n', NULL, 0, 0, 0,
	  "check the file and say what would change; change nothing" },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

/* The district command family. */
const struct ctl_cmd ctl_district_cmds[] = {
	{ "district", "tree", district_tree_opts, "[CODE]", 0, 1, CTL_JSON,
	  "print divisions under CODE (default: provinces) with resident counts",
	  district_tree },
	{ "district", "show", NULL, "CODE", 1, 1, CTL_JSON,
	  "show one division, its ancestors and resident count", district_show },
	{ "district", "import", district_import_opts, "FILE.csv", 1, 1, 0,
	  "add or rename divisions from a CSV file (code,name)",
	  district_import },
	{ NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL }
};

/* Print (or collect as JSON) the children of code down to depth levels. */
static int
district_walk(struct ctl *ctl, struct district_table *dt, const char *code,
    int depth, int indent, int all, json_t *into)
{
	const struct district	**kids, **copy;
	const char		**codes;
	long long		 *counts;
	json_t			 *node, *arr;
	char			 *cause;
	size_t			  n, i;

	n = district_children(dt, code, &kids);
	if (n == 0 || depth == 0)
		return (0);
	/* The children array is only valid until the next call: copy it. */
	copy = xcalloc(n, sizeof *copy);
	memcpy(copy, kids, n * sizeof *copy);
	codes = xcalloc(n, sizeof *codes);
	counts = xcalloc(n, sizeof *counts);
	for (i = 0; i < n; i++)
		codes[i] = copy[i]->code;
	if (registry_district_counts(ctl_registry(ctl), codes, n, counts,
	    &cause) != 0)
		ctl_redis_fail(ctl, cause);
	for (i = 0; i < n; i++) {
		if (!all && counts[i] == 0)
			continue;
		if (into != NULL) {
			arr = json_array();
			node = json_pack("{s:s, s:s, s:s, s:I, s:o}",
			    "code", copy[i]->code, "name", copy[i]->name,
			    "level", district_level_name(copy[i]->len),
			    "residents", (json_int_t)counts[i],
			    "children", arr);
			json_array_append_new(into, node);
			district_walk(ctl, dt, copy[i]->code, depth - 1, 0,
			    all, arr);
			continue;
		}
		printf("%*s%-12s %s  %lld\n", indent, "", copy[i]->code,
		    copy[i]->name, counts[i]);
		district_walk(ctl, dt, copy[i]->code, depth - 1, indent + 2,
		    all, NULL);
	}
	free(counts);
	free(codes);
	free(copy);
	return (0);
}

static int
district_tree(struct ctl *ctl, const struct cmdline_args *a)
{
	const struct district	*d = NULL;
	struct district_table	*dt;
	const char		*code = "", *why;
	const char		*codes[1];
	long long		 count;
	char			*cause;
	json_t			*root = NULL, *kids = NULL;
	int			 depth, all;

	depth = (int)cmdline_number(a, "depth", 1);
	all = cmdline_given(a, "all");
	dt = ctl_districts(ctl);
	if (a->argc == 1) {
		code = a->argv[0];
		if (district_check(dt, code, &why) != 0) {
			ctl_warnx("%s: %s", code, why);
			return (CTL_FAIL);
		}
		d = district_find(dt, code);
		codes[0] = code;
		if (registry_district_counts(ctl_registry(ctl), codes, 1,
		    &count, &cause) != 0)
			ctl_redis_fail(ctl, cause);
		if (ctl->json) {
			kids = json_array();
			root = json_pack("{s:s, s:s, s:s, s:I, s:o}",
			    "code", code, "name", d != NULL ? d->name : "",
			    "level", district_level_name(strlen(code)),
			    "residents", (json_int_t)count, "children", kids);
		} else
			printf("%-12s %s  %lld\n", code,
			    d != NULL ? d->name : "", count);
	} else if (ctl->json)
		root = kids = json_array();
	district_walk(ctl, dt, code, depth, a->argc == 1 ? 2 : 0, all, kids);
	if (root != NULL)
		ctl_json_print(root);
	return (CTL_OK);
}

static int
district_show(struct ctl *ctl, const struct cmdline_args *a)
{
	const struct district	*d;
	struct district_table	*dt;
	char			 pre[DISTRICT_NLEVELS][DISTRICT_BUFSIZE];
	const char		*codes[1], *why;
	long long		 count;
	char			*cause;
	json_t			*path;
	size_t			 n, i;

	dt = ctl_districts(ctl);
	if (district_check(dt, a->argv[0], &why) != 0) {
		ctl_warnx("%s: %s", a->argv[0], why);
		return (CTL_FAIL);
	}
	codes[0] = a->argv[0];
	if (registry_district_counts(ctl_registry(ctl), codes, 1, &count,
	    &cause) != 0)
		ctl_redis_fail(ctl, cause);
	n = district_prefixes(a->argv[0], pre);
	path = json_array();
	for (i = 0; i < n; i++) {
		d = district_find(dt, pre[i]);
		if (ctl->json)
			json_array_append_new(path, json_pack("{s:s, s:s, s:s}",
			    "code", pre[i], "name", d != NULL ? d->name : "",
			    "level", district_level_name(strlen(pre[i]))));
		else
			printf("%*s%-12s %-10s %s\n", (int)i * 2, "", pre[i],
			    district_level_name(strlen(pre[i])),
			    d != NULL ? d->name : "(village of a known township)");
	}
	if (ctl->json)
		ctl_json_print(json_pack("{s:s, s:o, s:I}", "code", a->argv[0],
		    "path", path, "residents", (json_int_t)count));
	else {
		json_decref(path);
		printf("residents: %lld\n", count);
	}
	return (CTL_OK);
}

static int
district_import(struct ctl *ctl, const struct cmdline_args *a)
{
	const struct district	*d;
	struct district_table	*dt;
	struct registry		*reg = NULL;
	struct csv_reader	 rd;
	struct csv_record	 rec;
	enum csv_encoding	 enc;
	char			*raw, *text, *cause, *code, *name;
	size_t			 rawlen, textlen;
	unsigned long		 added = 0, renamed = 0, same = 0, bad = 0;
	int			 r, dry, col_code, col_name, known;

	dry = cmdline_given(a, "dry-run");
	dt = ctl_districts(ctl);
	if (!dry)
		reg = ctl_registry(ctl);
	if (util_read_file(a->argv[0], DISTRICT_IMPORT_MAX, &raw, &rawlen,
	    &cause) != 0 ||
	    csv_to_utf8(raw, rawlen, &text, &textlen, &enc, &cause) != 0) {
		ctl_warnx("%s", cause);
		free(cause);
		return (CTL_FAIL);
	}
	free(raw);
	csv_reader_init(&rd, text, textlen);
	if (csv_next(&rd, &rec, &cause) != 1 ||
	    (col_code = csv_column(&rec, "code")) < 0 ||
	    (col_name = csv_column(&rec, "name")) < 0) {
		ctl_warnx("%s:1: the header must name the columns code and "
		    "name", a->argv[0]);
		csv_reader_free(&rd);
		free(text);
		return (CTL_FAIL);
	}
	while ((r = csv_next(&rd, &rec, &cause)) != 0) {
		if (r == -1) {
			fprintf(stderr, "%s:%lu: %s\n", a->argv[0], rec.line,
			    ctl_csv_reason(cause));
			free(cause);
			bad++;
			continue;
		}
		if ((size_t)col_code >= rec.nfields ||
		    (size_t)col_name >= rec.nfields) {
			fprintf(stderr, "%s:%lu: missing fields\n", a->argv[0],
			    rec.line);
			bad++;
			continue;
		}
		code = util_trim(rec.fields[col_code]);
		name = util_trim(rec.fields[col_name]);
		d = district_find(dt, code);
		known = d != NULL;
		if (known && strcmp(d->name, name) == 0) {
			same++;
			continue;
		}
		/* Add to the in-memory table first: it checks the parent. */
		if (district_table_add(dt, code, name, &cause) != 0) {
			fprintf(stderr, "%s:%lu: %s\n", a->argv[0], rec.line,
			    cause);
			free(cause);
			bad++;
			continue;
		}
		if (!dry && registry_district_put(reg, code, name,
		    &cause) != 0)
			ctl_redis_fail(ctl, cause);
		if (known)
			renamed++;
		else
			added++;
	}
	printf("%s: %lu added, %lu renamed, %lu unchanged, %lu rejected%s\n",
	    a->argv[0], added, renamed, same, bad,
	    dry ? " (dry run: nothing written)" : "");
	csv_reader_free(&rd);
	free(text);
	return (bad == 0 ? CTL_OK : CTL_FAIL);
}
