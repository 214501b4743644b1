/*
 * ctl-resident.c: civicast resident import|add|show|update|remove|list.
 */
#include "compat.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "audience.h"
#include "audit.h"
#include "conf.h"
#include "csv.h"
#include "ctl.h"
#include "district.h"
#include "phone.h"
#include "registry.h"
#include "resident.h"
#include "util.h"
#include "xmalloc.h"

#define IMPORT_MAX_FILE		(2UL << 30)	/* 2 GiB */
#define IMPORT_BATCH		500
#define IMPORT_WINDOW		4

static int	resident_import(struct ctl *, const struct cmdline_args *);
static int	resident_add(struct ctl *, const struct cmdline_args *);
static int	resident_show(struct ctl *, const struct cmdline_args *);
static int	resident_update(struct ctl *, const struct cmdline_args *);
static int	resident_remove(struct ctl *, const struct cmdline_args *);
static int	resident_list(struct ctl *, const struct cmdline_args *);

static const struct cmdline_opt resident_import_opts[] = {
	{ "dry-run", 'n', NULL, 0, 0, 0,
	  "check every row and count what would change; change nothing" },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

/* The fields of resident add (id, phone, district required) and update. */
#define RESIDENT_FIELDS(must) \
	{ "phone", 0, "PHONE", must, 0, 0, \
	  "a mainland mobile number (+86 and separators allowed)" }, \
	{ "district", 0, "CODE", must, 0, 0, \
	  "the division code of where the resident lives (6-12 digits)" }, \
	{ "groups", 0, "G1;G2", 0, 0, 0, \
	  "the groups of the configuration the resident is in" }, \
	{ "name", 0, "NAME", 0, 0, 0, "the resident's name" }

static const struct cmdline_opt resident_add_opts[] = {
	{ "id", 0, "ID", CMDLINE_REQUIRED, 0, 0,
	  "the registry's id of the resident" },
	RESIDENT_FIELDS(CMDLINE_REQUIRED),
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

static const struct cmdline_opt resident_update_opts[] = {
	RESIDENT_FIELDS(0),
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

static const struct cmdline_opt resident_show_opts[] = {
	{ "reveal", 'r', NULL, 0, 0, 0,
	  "show the whole phone number (written to the audit stream first)" },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

static const struct cmdline_opt resident_list_opts[] = {
	CTL_AUDIENCE_OPTS,
	{ "limit", 0, "N", CMDLINE_NUMBER, 1, 100000,
	  "at most N residents (default 50)" },
	{ "after", 0, "RID", CMDLINE_NUMBER, 0, LLONG_MAX - 1,
	  "those after registry number RID (the last one of a page)" },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

/* The resident command family. */
const struct ctl_cmd ctl_resident_cmds[] = {
	{ "resident", "import", resident_import_opts, "FILE.csv", 1, 1, 0,
	  "add or update residents from a CSV file (id,phone,district,groups[,name])",
	  resident_import },
	{ "resident", "add", resident_add_opts, NULL, 0, 0, 0,
	  "add one resident", resident_add },
	{ "resident", "show", resident_show_opts, "ID", 1, 1, CTL_JSON,
	  "show a resident (the phone masked unless --reveal, which is audited)",
	  resident_show },
	{ "resident", "update", resident_update_opts, "ID", 1, 1, 0,
	  "change a resident's fields", resident_update },
	{ "resident", "remove", NULL, "ID", 1, 1, 0,
	  "remove a resident", resident_remove },
	{ "resident", "list", resident_list_opts, NULL, 0, 0, CTL_JSON,
	  "list residents matching a query (phones masked)", resident_list },
	{ NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL }
};

/* ids seen in one import file, to report a repeated id. */
struct import_ids {
	char		**ids;
	unsigned long	 *lines;
	size_t		  cap;		/* a power of two */
	size_t		  n;
};

static uint64_t
import_hash(const char *s)
{
	uint64_t	h = 1469598103934665603ULL;	/* FNV-1a */

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return (h);
}

/* Remember id at line; returns the earlier line if it was seen, else 0. */
static unsigned long
import_ids_add(struct import_ids *t, const char *id, unsigned long line)
{
	size_t	i, j, oldcap;
	char	**oids;
	unsigned long *olines;

	if (t->n * 2 >= t->cap) {
		oids = t->ids;
		olines = t->lines;
		oldcap = t->cap;
		t->cap = t->cap == 0 ? 1024 : t->cap * 2;
		t->ids = xcalloc(t->cap, sizeof *t->ids);
		t->lines = xcalloc(t->cap, sizeof *t->lines);
		for (i = 0; i < oldcap; i++) {
			if (oids[i] == NULL)
				continue;
			j = import_hash(oids[i]) & (t->cap - 1);
			while (t->ids[j] != NULL)
				j = (j + 1) & (t->cap - 1);
			t->ids[j] = oids[i];
			t->lines[j] = olines[i];
		}
		free(oids);
		free(olines);
	}
	j = import_hash(id) & (t->cap - 1);
	while (t->ids[j] != NULL) {
		if (strcmp(t->ids[j], id) == 0)
			return (t->lines[j]);
		j = (j + 1) & (t->cap - 1);
	}
	t->ids[j] = xstrdup(id);
	t->lines[j] = line;
	t->n++;
	return (0);
}

static void
import_ids_free(struct import_ids *t)
{
	size_t	i;

	for (i = 0; i < t->cap; i++)
		free(t->ids[i]);
	free(t->ids);
	free(t->lines);
}

struct import_stats {
	unsigned long	added;
	unsigned long	updated;
	unsigned long	unchanged;
	unsigned long	rejected;
	unsigned long	valid;
};

static void
import_done(void *arg, const enum registry_change *c, size_t n)
{
	struct import_stats	*st = arg;
	size_t			 i;

	for (i = 0; i < n; i++) {
		switch (c[i]) {
		case REGISTRY_ADDED:
			st->added++;
			break;
		case REGISTRY_UPDATED:
			st->updated++;
			break;
		default:
			st->unchanged++;
			break;
		}
	}
}

static void
import_progress(size_t done, size_t total, unsigned long rows, int final)
{
	int	pct = total == 0 ? 100 : (int)((double)done * 100 / total);
	int	bar = pct / 4, i;

	fprintf(stderr, "\r[");
	for (i = 0; i < 25; i++)
		fputc(i < bar ? '#' : ' ', stderr);
	fprintf(stderr, "] %3d%% %lu rows", pct, rows);
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
}

static int
resident_import(struct ctl *ctl, const struct cmdline_args *a)
{
	struct conf		*conf;
	struct district_table	*dt;
	struct registry		*reg = NULL;
	struct csv_reader	 rd;
	struct csv_record	 rec;
	struct import_ids	 seen;
	struct import_stats	 st;
	struct resident		*batch;
	enum csv_encoding	 enc;
	const char		*path, *name;
	char			*raw, *text, *cause;
	size_t			 rawlen, textlen, nbatch = 0, ncols;
	int			 dry, r, tty;
	int			 col_id, col_phone, col_district, col_groups;
	int			 col_name;
	unsigned long		 first, rows = 0;

	dry = cmdline_given(a, "dry-run");
	path = a->argv[0];
	conf = ctl_conf(ctl);
	dt = ctl_districts(ctl);
	if (!dry)
		reg = ctl_registry(ctl);

	if (util_read_file(path, IMPORT_MAX_FILE, &raw, &rawlen, &cause) != 0) {
		ctl_warnx("%s", cause);
		free(cause);
		return (CTL_FAIL);
	}
	if (csv_to_utf8(raw, rawlen, &text, &textlen, &enc, &cause) != 0) {
		ctl_warnx("%s: %s", path, cause);
		free(cause);
		free(raw);
		return (CTL_FAIL);
	}
	free(raw);

	csv_reader_init(&rd, text, textlen);
	r = csv_next(&rd, &rec, &cause);
	if (r != 1) {
		if (r == -1) {
			ctl_warnx("%s: header: %s", path, cause);
			free(cause);
		} else
			ctl_warnx("%s: empty file", path);
		csv_reader_free(&rd);
		free(text);
		return (CTL_FAIL);
	}
	col_id = csv_column(&rec, "id");
	col_phone = csv_column(&rec, "phone");
	col_district = csv_column(&rec, "district");
	col_groups = csv_column(&rec, "groups");
	col_name = csv_column(&rec, "name");
	if (col_id < 0 || col_phone < 0 || col_district < 0 || col_groups < 0) {
		ctl_warnx("%s:%lu: the header must name the columns id, phone, "
		    "district and groups (name is optional); missing:%s%s%s%s",
		    path, rec.line, col_id < 0 ? " id" : "",
		    col_phone < 0 ? " phone" : "",
		    col_district < 0 ? " district" : "",
		    col_groups < 0 ? " groups" : "");
		csv_reader_free(&rd);
		free(text);
		return (CTL_FAIL);
	}
	ncols = rec.nfields;

	memset(&seen, 0, sizeof seen);
	memset(&st, 0, sizeof st);
	batch = xcalloc(IMPORT_BATCH, sizeof *batch);
	tty = isatty(STDERR_FILENO);
	for (;;) {
		r = csv_next(&rd, &rec, &cause);
		if (r == 0)
			break;
		rows++;
		if (tty && rows % 20000 == 0)
			import_progress((size_t)(rd.p - text), textlen, rows, 0);
		if (r == -1) {
			fprintf(stderr, "%s:%lu: %s\n", path, rec.line,
			    ctl_csv_reason(cause));
			free(cause);
			st.rejected++;
			continue;
		}
		if (rec.nfields != ncols) {
			fprintf(stderr, "%s:%lu: %zu fields where the header has "
			    "%zu\n", path, rec.line, rec.nfields, ncols);
			st.rejected++;
			continue;
		}
		name = col_name >= 0 ? util_trim(rec.fields[col_name]) : "";
		if (resident_make(&batch[nbatch], conf, dt,
		    util_trim(rec.fields[col_id]),
		    rec.fields[col_phone], util_trim(rec.fields[col_district]),
		    rec.fields[col_groups], name, &cause) != 0) {
			fprintf(stderr, "%s:%lu: %s\n", path, rec.line, cause);
			free(cause);
			st.rejected++;
			continue;
		}
		first = import_ids_add(&seen, batch[nbatch].id, rec.line);
		if (first != 0) {
			fprintf(stderr, "%s:%lu: id %s already given on line "
			    "%lu; row ignored\n", path, rec.line,
			    batch[nbatch].id, first);
			st.rejected++;
			continue;
		}
		st.valid++;
		if (++nbatch < IMPORT_BATCH)
			continue;
		if (!dry && registry_upsert_send(reg, batch, nbatch, "import",
		    IMPORT_WINDOW, import_done, &st, &cause) != 0)
			ctl_redis_fail(ctl, cause);
		nbatch = 0;
	}
	if (!dry && (registry_upsert_send(reg, batch, nbatch, "import",
	    IMPORT_WINDOW, import_done, &st, &cause) != 0 ||
	    registry_upsert_flush(reg, import_done, &st, &cause) != 0))
		ctl_redis_fail(ctl, cause);
	if (tty)
		import_progress(textlen, textlen, rows, 1);

	if (ctl->json) {
		ctl_json_print(json_pack("{s:s, s:s, s:b, s:i, s:i, s:i, s:i, "
		    "s:i}", "file", path, "encoding", csv_encoding_name(enc),
		    "dry_run", dry, "rows", (json_int_t)rows,
		    "added", (json_int_t)st.added,
		    "updated", (json_int_t)st.updated,
		    "unchanged", (json_int_t)st.unchanged,
		    "rejected", (json_int_t)st.rejected));
	} else if (dry) {
		printf("%s: %lu rows (%s): %lu valid, %lu rejected "
		    "(dry run: nothing written)\n", path, rows,
		    csv_encoding_name(enc), st.valid, st.rejected);
	} else {
		printf("%s: %lu rows (%s): %lu added, %lu updated, "
		    "%lu unchanged, %lu rejected\n", path, rows,
		    csv_encoding_name(enc), st.added, st.updated,
		    st.unchanged, st.rejected);
	}
	free(batch);
	import_ids_free(&seen);
	csv_reader_free(&rd);
	free(text);
	return (st.rejected == 0 ? CTL_OK : CTL_FAIL);
}

/* Validate and save a resident; prints what happened. */
static int
resident_save(struct ctl *ctl, const char *id, const char *phone,
    const char *district, const char *groups, const char *name)
{
	struct resident		 res;
	struct registry		*reg;
	enum registry_change	 change;
	char			*cause;

	if (resident_make(&res, ctl_conf(ctl), ctl_districts(ctl), id, phone,
	    district, groups, name, &cause) != 0) {
		ctl_warnx("resident %s: %s", id, cause);
		free(cause);
		return (CTL_FAIL);
	}
	reg = ctl_registry(ctl);
	if (registry_upsert_one(reg, &res, "cli", &change, &cause) != 0)
		ctl_redis_fail(ctl, cause);
	printf("resident %s %s\n", res.id, change == REGISTRY_ADDED ?
	    "added" : change == REGISTRY_UPDATED ? "updated" : "unchanged");
	return (CTL_OK);
}

static int
resident_add(struct ctl *ctl, const struct cmdline_args *a)
{
	struct resident		 old;
	const char		*id, *phone, *district, *groups, *name;
	char			*cause;
	int			 r;

	id = cmdline_string(a, "id", NULL);
	phone = cmdline_string(a, "phone", NULL);
	district = cmdline_string(a, "district", NULL);
	groups = cmdline_string(a, "groups", "");
	name = cmdline_string(a, "name", "");
	r = registry_get(ctl_registry(ctl), id, &old, &cause);
	if (r == -1)
		ctl_redis_fail(ctl, cause);
	if (r == 1) {
		ctl_warnx("resident %s already exists; use resident update", id);
		return (CTL_FAIL);
	}
	return (resident_save(ctl, id, phone, district, groups, name));
}

static int
resident_update(struct ctl *ctl, const struct cmdline_args *a)
{
	struct resident		 old;
	const char		*phone, *district, *groups, *name;
	char			*cause;
	int			 r;

	phone = cmdline_string(a, "phone", NULL);
	district = cmdline_string(a, "district", NULL);
	groups = cmdline_string(a, "groups", NULL);
	name = cmdline_string(a, "name", NULL);
	r = registry_get(ctl_registry(ctl), a->argv[0], &old, &cause);
	if (r == -1)
		ctl_redis_fail(ctl, cause);
	if (r == 0) {
		ctl_warnx("resident %s: no such resident", a->argv[0]);
		return (CTL_FAIL);
	}
	return (resident_save(ctl, old.id,
	    phone != NULL ? phone : old.phone,
	    district != NULL ? district : old.district,
	    groups != NULL ? groups : old.groups,
	    name != NULL ? name : old.name));
}

static int
resident_remove(struct ctl *ctl, const struct cmdline_args *a)
{
	char			*cause;
	int			 r;

	r = registry_remove(ctl_registry(ctl), a->argv[0], &cause);
	if (r == -1)
		ctl_redis_fail(ctl, cause);
	if (r == 0) {
		ctl_warnx("resident %s: no such resident", a->argv[0]);
		return (CTL_FAIL);
	}
	printf("resident %s removed\n", a->argv[0]);
	return (CTL_OK);
}

/* The display names of a ';'-joined group list, ", "-joined. */
static char *
resident_group_names(const struct conf *conf, const char *groups)
{
	const struct conf_group	 *g;
	char			**v, *out;
	size_t			  n, i, len = 1;

	n = util_split(groups, ";", &v);
	for (i = 0; i < n; i++)
		len += strlen(v[i]) + 64;
	out = xcalloc(1, len);
	for (i = 0; i < n; i++) {
		g = conf_group_find(conf, v[i]);
		if (i > 0)
			strlcat(out, ", ", len);
		strlcat(out, v[i], len);
		if (g != NULL) {
			strlcat(out, " ", len);
			strlcat(out, g->name, len);
		}
	}
	util_split_free(v, n);
	return (out);
}

static json_t *
resident_json(const struct resident *res, const char *phone,
    const struct district_table *dt)
{
	const struct district	*d;
	json_t			*groups;
	char			**v;
	size_t			  n, i;

	groups = json_array();
	n = util_split(res->groups, ";", &v);
	for (i = 0; i < n; i++)
		json_array_append_new(groups, json_string(v[i]));
	util_split_free(v, n);
	d = dt != NULL ? district_find(dt, res->district) : NULL;
	return (json_pack("{s:s, s:s, s:s, s:s?, s:s, s:o, s:b, s:I}",
	    "id", res->id, "name", res->name, "phone", phone,
	    "district_name", d != NULL ? d->name : NULL,
	    "district", res->district, "groups", groups,
	    "optout", res->optout, "rid", (json_int_t)res->rid));
}

static int
resident_show(struct ctl *ctl, const struct cmdline_args *a)
{
	const struct district	*d;
	struct district_table	*dt;
	struct registry		*reg;
	struct resident		 res;
	char			 masked[PHONE_BUFSIZE], *cause, *names;
	const char		*phone;
	int			 reveal, r;

	reveal = cmdline_given(a, "reveal");
	reg = ctl_registry(ctl);
	dt = ctl_districts(ctl);
	r = registry_get(reg, a->argv[0], &res, &cause);
	if (r == -1)
		ctl_redis_fail(ctl, cause);
	if (r == 0) {
		ctl_warnx("resident %s: no such resident", a->argv[0]);
		return (CTL_FAIL);
	}
	phone_mask(res.phone, masked);
	phone = masked;
	if (reveal) {
		/* Seeing a number is a sensitive read: audit it first. */
		if (audit_append(reg->c, reg->prefix, reg->user, "reveal",
		    &cause, "resident", res.id, NULL) != 0)
			ctl_redis_fail(ctl, cause);
		phone = res.phone;
	}
	if (ctl->json) {
		ctl_json_print(resident_json(&res, phone, dt));
		return (CTL_OK);
	}
	d = district_find(dt, res.district);
	if (d == NULL && strlen(res.district) == DISTRICT_MAXLEN) {
		/* A village known only through its township. */
		char	town[DISTRICT_BUFSIZE];

		strlcpy(town, res.district, 10);
		d = district_find(dt, town);
	}
	names = resident_group_names(ctl->conf, res.groups);
	printf("id:        %s\n", res.id);
	printf("name:      %s\n", res.name[0] != '\0' ? res.name : "-");
	/* The number goes out as is only after --reveal, audited above. */
	fputs("phone:     ", stdout);
	fputs(phone, stdout);
	fputc('\n', stdout);
	printf("district:  %s %s%s\n", res.district,
	    d != NULL && strcmp(d->code, res.district) != 0 ? "village of " :
	    "", d != NULL ? d->name : "");
	printf("groups:    %s\n", names[0] != '\0' ? names : "-");
	printf("opted out: %s\n", res.optout ? "yes" : "no");
	free(names);
	return (CTL_OK);
}

static int
resident_list(struct ctl *ctl, const struct cmdline_args *a)
{
	struct audience_query	 q;
	struct registry		*reg;
	struct district_table	*dt;
	struct resident		 res;
	unsigned long		*rids, after;
	char			 masked[PHONE_BUFSIZE], *cause;
	size_t			 limit, n, i;
	json_t			*arr = NULL;
	int			 r;

	limit = (size_t)cmdline_number(a, "limit", 50);
	after = (unsigned long)cmdline_number(a, "after", 0);
	reg = ctl_registry(ctl);
	ctl_audience_query(ctl, a, &q);
	q.ignore_optout = 1;
	dt = ctl_districts(ctl);	/* list every resident, opted out or not */
	rids = xcalloc(limit, sizeof *rids);
	if (registry_match(reg, &q, after + 1, limit, rids, &n, &cause) != 0)
		ctl_redis_fail(ctl, cause);
	if (ctl->json)
		arr = json_array();
	for (i = 0; i < n; i++) {
		r = registry_get_rid(reg, rids[i], &res, &cause);
		if (r == -1)
			ctl_redis_fail(ctl, cause);
		if (r == 0)
			continue;
		phone_mask(res.phone, masked);
		if (arr != NULL) {
			json_array_append_new(arr, resident_json(&res, masked,
			    dt));
			continue;
		}
		printf("%-8lu %-20s %-12s %-12s %-24s %s%s\n", res.rid, res.id,
		    masked, res.district, res.groups[0] != '\0' ?
		    res.groups : "-", res.name, res.optout ? " (opted out)" :
		    "");
	}
	if (arr != NULL)
		ctl_json_print(arr);
	else if (n == limit)
		printf("(more: --after %lu)\n", rids[n - 1]);
	free(rids);
	audience_query_free(&q);
	return (CTL_OK);
}
