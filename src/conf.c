/*
 * conf.c: load civicast.conf by walking the libconfig tree against the
 * key table in conf-table.c, then check what one key alone cannot say
 * (references between sections, a modem's device or IMEI, ...).
 *
 * Every problem is collected rather than returned at the first one, so a
 * single `civicast config check` names them all.
 */
#include "compat.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <limits.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "conf-table.h"
#include "xmalloc.h"

#define CONF_ERRORS_MAX		100	/* garbage has said enough by then */
#define CONF_SECRET_MAX		4096

struct conf_ctx {
	const char		*file;
	config_t		*cfg;		/* NULL: embedded defaults */
	struct conf_errors	*errs;
	int			*lines;		/* each error's line, to sort */
	const struct conf_key	*table;
	size_t			 ntable;
	int			 full;		/* CONF_ERRORS_MAX reached */
};

/* The built-in groups, used when the file has no "groups" list. */
static const struct {
	const char	*id;
	const char	*name;
} conf_builtin_groups[] = {
	{ "elderly",	"老年人" },
	{ "disabled",	"残疾人" },
	{ "low_income",	"低收入农户" },
	{ "dibao",	"低保对象" },
	{ "tekun",	"特困人员" },
	{ "orphans",	"孤儿" },
	{ "veterans",	"优抚对象" },
};

static const char *conf_prio_names[] = { "emergency", "urgent", "routine" };

static const struct {
	const char	*name;
	unsigned long	 seconds;
} conf_periods[] = {
	{ "s", 1 }, { "sec", 1 }, { "second", 1 },
	{ "min", 60 }, { "minute", 60 },
	{ "hour", 3600 }, { "h", 3600 },
	{ "day", 86400 }, { "d", 86400 },
};

#ifndef HAVE_EXPLICIT_BZERO
/* A memset the compiler cannot drop as a dead store. */
static void *(*volatile conf_memset)(void *, int, size_t) = memset;

static void
explicit_bzero(void *p, size_t n)
{
	conf_memset(p, 0, n);
}
#endif

static void
conf_vadd(struct conf_ctx *ctx, int warning, const config_setting_t *s,
    const char *fmt, va_list ap)
{
	struct conf_errors	*errs = ctx->errs;
	const char		*file = ctx->file;
	char			*reason, *msg;
	int			 line = 0;

	if (s != NULL) {
		line = config_setting_source_line(s);
		/* Settings from an @include name their own file. */
		if (config_setting_source_file(s) != NULL)
			file = config_setting_source_file(s);
	}
	xvasprintf(&reason, fmt, ap);
	if (line > 0)
		xasprintf(&msg, "%s:%d: %s", file, line, reason);
	else
		xasprintf(&msg, "%s: %s", file, reason);
	free(reason);

	if (warning) {
		errs->warnings = xreallocarray(errs->warnings,
		    errs->nwarnings + 1, sizeof *errs->warnings);
		errs->warnings[errs->nwarnings++] = msg;
		return;
	}
	if (ctx->full) {
		free(msg);
		return;
	}
	if (errs->n == CONF_ERRORS_MAX) {
		free(msg);
		xasprintf(&msg, "%s: too many problems, stopping here", file);
		line = INT_MAX;
		ctx->full = 1;
	}
	errs->msgs = xreallocarray(errs->msgs, errs->n + 1, sizeof *errs->msgs);
	ctx->lines = xreallocarray(ctx->lines, errs->n + 1, sizeof *ctx->lines);
	ctx->lines[errs->n] = line;
	errs->msgs[errs->n++] = msg;
}

static void printflike(3, 4)
conf_err(struct conf_ctx *ctx, const config_setting_t *s, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	conf_vadd(ctx, 0, s, fmt, ap);
	va_end(ap);
}

static void printflike(3, 4)
conf_warn(struct conf_ctx *ctx, const config_setting_t *s, const char *fmt,
    ...)
{
	va_list	ap;

	va_start(ap, fmt);
	conf_vadd(ctx, 1, s, fmt, ap);
	va_end(ap);
}

/* Errors in file order; the cross-section checks run after the walk. */
static void
conf_sort_errors(struct conf_ctx *ctx)
{
	struct conf_errors	*errs = ctx->errs;
	size_t			 i, j;
	char			*msg;
	int			 line;

	for (i = 1; i < errs->n; i++) {
		msg = errs->msgs[i];
		line = ctx->lines[i];
		for (j = i; j > 0 && ctx->lines[j - 1] > line; j--) {
			errs->msgs[j] = errs->msgs[j - 1];
			ctx->lines[j] = ctx->lines[j - 1];
		}
		errs->msgs[j] = msg;
		ctx->lines[j] = line;
	}
}

/* Optimal string alignment distance, case-insensitive, for hints. */
static size_t
conf_distance(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b), i, j, d[33][33], best;

	if (la > 32 || lb > 32)
		return (SIZE_MAX);
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			best = d[i - 1][j - 1] +
			    (tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]));
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return (d[la][lb]);
}

/* Whether candidate is close enough to word to suggest it. */
static int
conf_close(const char *word, const char *candidate)
{
	size_t	limit = strlen(candidate) / 3;

	if (limit < 1)
		limit = 1;
	return (conf_distance(word, candidate) <= limit);
}

/* Whether path is a key directly inside prefix ("" is the top level). */
static const char *
conf_child(const char *path, const char *prefix)
{
	size_t	len = strlen(prefix);

	if (len != 0) {
		if (strncmp(path, prefix, len) != 0 || path[len] != '.')
			return (NULL);
		path += len + 1;
	}
	if (strchr(path, '.') != NULL)
		return (NULL);
	return (path);
}

static const char *
conf_hint(struct conf_ctx *ctx, const char *prefix, const char *name)
{
	const char	*leaf;
	size_t		 i;

	for (i = 0; i < ctx->ntable; i++) {
		leaf = conf_child(ctx->table[i].path, prefix);
		if (leaf != NULL && conf_close(name, leaf))
			return (leaf);
	}
	return (NULL);
}

static const char *
conf_setting_type_name(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_GROUP:
		return ("group");
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return ("integer");
	case CONFIG_TYPE_FLOAT:
		return ("float");
	case CONFIG_TYPE_STRING:
		return ("string");
	case CONFIG_TYPE_BOOL:
		return ("boolean");
	case CONFIG_TYPE_ARRAY:
		return ("array");
	case CONFIG_TYPE_LIST:
		return ("list");
	}
	return ("nothing");
}

static void
conf_wrong_type(struct conf_ctx *ctx, const config_setting_t *s,
    const char *dpath, enum conf_type want)
{
	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		conf_err(ctx, s, "%s: wrong type: expected %s, found string "
		    "\"%.80s\"", dpath, conf_type_name(want),
		    config_setting_get_string(s));
	else
		conf_err(ctx, s, "%s: wrong type: expected %s, found %s",
		    dpath, conf_type_name(want), conf_setting_type_name(s));
}

static int
conf_is_array(const config_setting_t *s)
{
	return (config_setting_type(s) == CONFIG_TYPE_ARRAY ||
	    config_setting_type(s) == CONFIG_TYPE_LIST);
}

static int
conf_count_ok(struct conf_ctx *ctx, const struct conf_key *k,
    const config_setting_t *s, const char *dpath, int n)
{
	if (n < k->min) {
		if (n == 0)
			conf_err(ctx, s, "%s: must not be empty", dpath);
		else
			conf_err(ctx, s, "%s: needs at least %lld elements",
			    dpath, k->min);
		return (0);
	}
	if (n > k->max) {
		conf_err(ctx, s, "%s: %d elements, at most %lld allowed",
		    dpath, n, k->max);
		return (0);
	}
	return (1);
}

static const char *
conf_string_ok(struct conf_ctx *ctx, const struct conf_key *k,
    const config_setting_t *s, const char *dpath)
{
	const char	*v, *why;
	long long	 len;

	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		conf_wrong_type(ctx, s, dpath, CONF_T_STRING);
		return (NULL);
	}
	v = config_setting_get_string(s);
	len = (long long)strlen(v);
	if (len == 0 && k->min > 0) {
		conf_err(ctx, s, "%s: must not be empty", dpath);
		return (NULL);
	}
	if (k->max > 0 && len > k->max) {
		conf_err(ctx, s, "%s: too long (%lld bytes, at most %lld)",
		    dpath, len, k->max);
		return (NULL);
	}
	if (len < k->min) {
		conf_err(ctx, s, "%s: too short (%lld bytes, at least %lld)",
		    dpath, len, k->min);
		return (NULL);
	}
	if (k->check != NULL && (why = k->check(v)) != NULL) {
		conf_err(ctx, s, "%s: \"%.80s\" %s", dpath, v, why);
		return (NULL);
	}
	return (v);
}

static void	conf_walk(struct conf_ctx *, const config_setting_t *,
		    const char *, const char *, char *, int);

static void
conf_set_strarray(struct conf_ctx *ctx, const struct conf_key *k,
    const config_setting_t *s, const char *dpath, char *base)
{
	const config_setting_t	 *e;
	const char		 *v, *why;
	char			**array;
	int			  n, i;
	size_t			  good = 0;

	if (!conf_is_array(s)) {
		conf_wrong_type(ctx, s, dpath, k->type);
		return;
	}
	n = config_setting_length(s);
	if (!conf_count_ok(ctx, k, s, dpath, n) || n == 0)
		return;
	array = xcalloc((size_t)n, sizeof *array);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, (unsigned int)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			conf_err(ctx, e, "%s[%d]: expected a string, found %s",
			    dpath, i, conf_setting_type_name(e));
			continue;
		}
		v = config_setting_get_string(e);
		if (*v == '\0' || (k->check != NULL &&
		    (why = k->check(v)) != NULL)) {
			conf_err(ctx, e, "%s[%d]: \"%.80s\" %s", dpath, i, v,
			    *v == '\0' ? "must not be empty" : why);
			continue;
		}
		array[good++] = xstrdup(v);
	}
	/* Keep only good elements: a failed file is never used anyway. */
	*(char ***)(base + k->off) = array;
	*(size_t *)(base + k->noff) = good;
}

static void
conf_set_priolist(struct conf_ctx *ctx, const struct conf_key *k,
    const config_setting_t *s, const char *dpath, char *base)
{
	const config_setting_t	*e;
	const char		*v;
	unsigned int		 bits = 0;
	int			 n, i, p;

	if (!conf_is_array(s)) {
		conf_wrong_type(ctx, s, dpath, k->type);
		return;
	}
	n = config_setting_length(s);
	if (!conf_count_ok(ctx, k, s, dpath, n))
		return;
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, (unsigned int)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			conf_err(ctx, e, "%s[%d]: expected a priority name, "
			    "found %s", dpath, i, conf_setting_type_name(e));
			continue;
		}
		v = config_setting_get_string(e);
		if ((p = conf_prio_parse(v)) == -1) {
			conf_err(ctx, e, "%s[%d]: unknown priority \"%.80s\" "
			    "(emergency, urgent or routine)", dpath, i, v);
			continue;
		}
		bits |= PRIO_BIT(p);
	}
	*(unsigned int *)(base + k->off) = bits;
}

/* CONF_HTTP or CONF_MODEM for a channel whose type is good, else 0. */
static int
conf_channel_kind(const config_setting_t *e)
{
	const config_setting_t	*t;
	const char		*type;

	if (e == NULL || config_setting_type(e) != CONFIG_TYPE_GROUP)
		return (0);
	t = config_setting_get_member(e, "type");
	if (t == NULL || config_setting_type(t) != CONFIG_TYPE_STRING)
		return (0);
	type = config_setting_get_string(t);
	if (strcmp(type, "http") == 0)
		return (CONF_HTTP);
	if (strcmp(type, "modem") == 0)
		return (CONF_MODEM);
	return (0);
}

static void
conf_set_list(struct conf_ctx *ctx, const struct conf_key *k,
    const config_setting_t *s, const char *dpath, char *base)
{
	const config_setting_t	*e;
	char			*elems, *elem, *tprefix, *epath;
	int			 n, i, kind;

	/* An empty [] is an array to libconfig; take it as an empty list. */
	if (config_setting_type(s) != CONFIG_TYPE_LIST &&
	    (config_setting_type(s) != CONFIG_TYPE_ARRAY ||
	    config_setting_length(s) != 0)) {
		conf_wrong_type(ctx, s, dpath, k->type);
		return;
	}
	n = config_setting_length(s);
	if (!conf_count_ok(ctx, k, s, dpath, n) || n == 0)
		return;
	elems = xcalloc((size_t)n, k->size);
	*(void **)(base + k->off) = elems;
	*(size_t *)(base + k->noff) = (size_t)n;

	xasprintf(&tprefix, "%s.[]", k->path);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, (unsigned int)i);
		elem = elems + (size_t)i * k->size;
		*(int *)(elem + k->lineoff) = config_setting_source_line(e);
		xasprintf(&epath, "%s[%d]", dpath, i);
		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			conf_err(ctx, e, "%s: wrong type: expected group "
			    "{ ... }, found %s", epath,
			    conf_setting_type_name(e));
			free(epath);
			continue;
		}
		/* Which of the type-specific channel keys apply. */
		kind = conf_channel_kind(e);
		conf_walk(ctx, e, tprefix, epath, elem, kind);
		free(epath);
	}
	free(tprefix);
}

static void
conf_set(struct conf_ctx *ctx, const struct conf_key *k,
    const config_setting_t *s, const char *dpath, char *base)
{
	struct conf_rate	 rate;
	const char		*v, *cause;
	long long		 n;
	size_t			 i;

	switch (k->type) {
	case CONF_T_STRING:
		if ((v = conf_string_ok(ctx, k, s, dpath)) != NULL) {
			free(*(char **)(base + k->off));
			*(char **)(base + k->off) = xstrdup(v);
		}
		break;
	case CONF_T_INT:
	case CONF_T_ULONG:
		if (config_setting_type(s) != CONFIG_TYPE_INT &&
		    config_setting_type(s) != CONFIG_TYPE_INT64) {
			conf_wrong_type(ctx, s, dpath, k->type);
			break;
		}
		n = config_setting_get_int64(s);
		if (n < k->min || n > k->max) {
			conf_err(ctx, s, "%s: %lld is out of range "
			    "(%lld to %lld)", dpath, n, k->min, k->max);
			break;
		}
		if (k->type == CONF_T_INT)
			*(int *)(base + k->off) = (int)n;
		else
			*(unsigned long *)(base + k->off) = (unsigned long)n;
		break;
	case CONF_T_BOOL:
		if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
			conf_wrong_type(ctx, s, dpath, k->type);
			break;
		}
		*(int *)(base + k->off) = config_setting_get_bool(s);
		break;
	case CONF_T_ENUM:
		if (config_setting_type(s) != CONFIG_TYPE_STRING) {
			conf_wrong_type(ctx, s, dpath, k->type);
			break;
		}
		v = config_setting_get_string(s);
		for (i = 0; k->names[i] != NULL; i++) {
			if (strcmp(v, k->names[i]) == 0)
				break;
		}
		if (k->names[i] == NULL) {
			conf_err(ctx, s, "%s: \"%.80s\" is not %s", dpath, v,
			    k->help);
			break;
		}
		*(int *)(base + k->off) = (int)i;
		break;
	case CONF_T_STRARRAY:
		conf_set_strarray(ctx, k, s, dpath, base);
		break;
	case CONF_T_RATE:
		if (config_setting_type(s) != CONFIG_TYPE_STRING) {
			conf_wrong_type(ctx, s, dpath, k->type);
			break;
		}
		v = config_setting_get_string(s);
		if (conf_rate_parse(v, &rate, &cause) != 0) {
			conf_err(ctx, s, "%s: bad rate \"%.80s\": %s", dpath, v,
			    cause);
			break;
		}
		*(struct conf_rate *)(base + k->off) = rate;
		break;
	case CONF_T_PRIOLIST:
		conf_set_priolist(ctx, k, s, dpath, base);
		break;
	case CONF_T_GROUP:
		if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
			conf_wrong_type(ctx, s, dpath, k->type);
			break;
		}
		conf_walk(ctx, s, k->path, dpath, base, 0);
		break;
	case CONF_T_LIST:
		conf_set_list(ctx, k, s, dpath, base);
		break;
	}
}

static void
conf_default(const struct conf_key *k, char *base)
{
	char	**array;

	switch (k->type) {
	case CONF_T_STRING:
		if (k->sdef != NULL)
			*(char **)(base + k->off) = xstrdup(k->sdef);
		break;
	case CONF_T_INT:
	case CONF_T_BOOL:
	case CONF_T_ENUM:
		*(int *)(base + k->off) = (int)k->idef;
		break;
	case CONF_T_ULONG:
		*(unsigned long *)(base + k->off) = (unsigned long)k->idef;
		break;
	case CONF_T_PRIOLIST:
		*(unsigned int *)(base + k->off) = (unsigned int)k->idef;
		break;
	case CONF_T_STRARRAY:
		if (k->sdef != NULL) {
			array = xcalloc(1, sizeof *array);
			array[0] = xstrdup(k->sdef);
			*(char ***)(base + k->off) = array;
			*(size_t *)(base + k->noff) = 1;
		}
		break;
	case CONF_T_RATE:
	case CONF_T_LIST:
		break;		/* zeroed: unlimited, empty */
	case CONF_T_GROUP:
		break;		/* the caller walks its keys */
	}
}

/*
 * Walk the members of group s (NULL: none, defaults only) whose keys are
 * tprefix.* in the table, storing into base; dprefix names the group in
 * messages.  kind is CONF_HTTP or CONF_MODEM inside a channel of known
 * type, else 0.
 */
static void
conf_walk(struct conf_ctx *ctx, const config_setting_t *s,
    const char *tprefix, const char *dprefix, char *base, int kind)
{
	const config_setting_t	*m;
	const struct conf_key	*k;
	const char		*name, *hint, *leaf;
	char			*tpath, *dpath;
	unsigned char		*seen;
	int			 i, n;
	size_t			 j;

	seen = xcalloc(ctx->ntable, 1);
	n = (s != NULL) ? config_setting_length(s) : 0;
	for (i = 0; i < n; i++) {
		m = config_setting_get_elem(s, (unsigned int)i);
		name = config_setting_name(m);
		if (*tprefix == '\0') {
			tpath = xstrdup(name);
			dpath = xstrdup(name);
		} else {
			xasprintf(&tpath, "%s.%s", tprefix, name);
			xasprintf(&dpath, "%s.%s", dprefix, name);
		}
		k = conf_table_find(tpath);
		if (k == NULL) {
			hint = conf_hint(ctx, tprefix, name);
			conf_err(ctx, m, "%s%sunknown key \"%s\"%s%s%s",
			    dprefix, *dprefix != '\0' ? ": " : "", name,
			    hint != NULL ? " (did you mean \"" : "",
			    hint != NULL ? hint : "",
			    hint != NULL ? "\"?)" : "");
		} else if ((k->flags & (CONF_HTTP|CONF_MODEM)) != 0 &&
		    kind != 0 && (k->flags & kind) == 0) {
			seen[k - ctx->table] = 1;
			conf_err(ctx, m, "%s: only for type = \"%s\" channels",
			    dpath, (k->flags & CONF_HTTP) ? "http" : "modem");
		} else {
			seen[k - ctx->table] = 1;
			conf_set(ctx, k, m, dpath, base);
		}
		free(tpath);
		free(dpath);
	}

	for (j = 0; j < ctx->ntable; j++) {
		k = &ctx->table[j];
		if (seen[j] || (leaf = conf_child(k->path, tprefix)) == NULL)
			continue;
		if (k->flags & CONF_REQUIRED) {
			if (*dprefix != '\0')
				conf_err(ctx, s, "%s: missing required key "
				    "\"%s\"", dprefix, leaf);
			else
				conf_err(ctx, s, "missing required key \"%s\"",
				    leaf);
			continue;
		}
		if ((k->flags & (CONF_HTTP|CONF_MODEM)) != 0 &&
		    (k->flags & kind) == 0)
			continue;
		if (k->type == CONF_T_GROUP)
			conf_walk(ctx, NULL, k->path, k->path, base, 0);
		else
			conf_default(k, base);
	}
	free(seen);
}

/* Free what the rows inside tprefix hold in base. */
static void
conf_free_walk(const struct conf_key *table, size_t ntable,
    const char *tprefix, char *base)
{
	const struct conf_key	 *k;
	char			**array, *elems, *tp;
	size_t			  i, j, n;

	for (i = 0; i < ntable; i++) {
		k = &table[i];
		if (conf_child(k->path, tprefix) == NULL)
			continue;
		switch (k->type) {
		case CONF_T_STRING:
			free(*(char **)(base + k->off));
			break;
		case CONF_T_STRARRAY:
			array = *(char ***)(base + k->off);
			n = *(size_t *)(base + k->noff);
			for (j = 0; j < n; j++)
				free(array[j]);
			free(array);
			break;
		case CONF_T_GROUP:
			conf_free_walk(table, ntable, k->path, base);
			break;
		case CONF_T_LIST:
			elems = *(char **)(base + k->off);
			n = *(size_t *)(base + k->noff);
			xasprintf(&tp, "%s.[]", k->path);
			for (j = 0; j < n; j++)
				conf_free_walk(table, ntable, tp,
				    elems + j * k->size);
			free(tp);
			free(elems);
			break;
		default:
			break;
		}
	}
}

/* Free a conf. */
void
conf_free(struct conf *conf)
{
	const struct conf_key	*table;
	size_t			 ntable;

	if (conf == NULL)
		return;
	table = conf_table(&ntable);
	conf_free_walk(table, ntable, "", (char *)conf);
	free(conf->path);
	free(conf);
}

/* Free the messages in errs. */
void
conf_errors_free(struct conf_errors *errs)
{
	size_t	i;

	if (errs == NULL)
		return;
	for (i = 0; i < errs->n; i++)
		free(errs->msgs[i]);
	for (i = 0; i < errs->nwarnings; i++)
		free(errs->warnings[i]);
	free(errs->msgs);
	free(errs->warnings);
	errs->msgs = errs->warnings = NULL;
	errs->n = errs->nwarnings = 0;
}

/*
 * The most precise setting there is for list[i].key[j] (j -1: the key,
 * key NULL: the element), for its line in a message.
 */
static const config_setting_t *
conf_at(struct conf_ctx *ctx, const char *list, size_t i, const char *key,
    int j)
{
	const config_setting_t	*s, *t;

	if (ctx->cfg == NULL)
		return (NULL);
	if ((s = config_lookup(ctx->cfg, list)) == NULL)
		return (NULL);
	if ((t = config_setting_get_elem(s, (unsigned int)i)) == NULL)
		return (s);
	s = t;
	if (key == NULL || (t = config_setting_get_member(s, key)) == NULL)
		return (s);
	s = t;
	if (j < 0 || (t = config_setting_get_elem(s, (unsigned int)j)) == NULL)
		return (s);
	return (t);
}

/*
 * The index in the file of element j of an array whose bad elements
 * were dropped; approximate only when some were.
 */
static int
conf_elem_index(struct conf_ctx *ctx, const char *list, size_t i,
    const char *key, const char *value)
{
	const config_setting_t	*s;
	const char		*v;
	int			 j, n;

	s = conf_at(ctx, list, i, key, -1);
	if (s == NULL || !conf_is_array(s))
		return (-1);
	n = config_setting_length(s);
	for (j = 0; j < n; j++) {
		v = config_setting_get_string_elem(s, (unsigned int)j);
		if (v != NULL && strcmp(v, value) == 0)
			return (j);
	}
	return (-1);
}

static void
conf_check_dups(struct conf_ctx *ctx, const char *list, const char *what,
    char *elems, size_t n, size_t size, size_t idoff, size_t lineoff)
{
	const char	*a, *b;
	size_t		 i, j;

	for (i = 1; i < n; i++) {
		a = *(char **)(elems + i * size + idoff);
		if (a == NULL)
			continue;
		for (j = 0; j < i; j++) {
			b = *(char **)(elems + j * size + idoff);
			if (b != NULL && strcmp(a, b) == 0) {
				conf_err(ctx, conf_at(ctx, list, i, "id", -1),
				    "%s[%zu].id: duplicate %s id \"%s\" "
				    "(first at line %d)", list, i, what, a,
				    *(int *)(elems + j * size + lineoff));
				break;
			}
		}
	}
}

/* "*" means all, so it makes no sense next to anything else. */
static int
conf_check_star(struct conf_ctx *ctx, const char *list, size_t i,
    const char *key, char **array, size_t n)
{
	size_t	j;

	for (j = 0; j < n; j++) {
		if (strcmp(array[j], "*") == 0 && n > 1) {
			conf_err(ctx, conf_at(ctx, list, i, key, -1),
			    "%s[%zu].%s: \"*\" (all) must be alone", list, i,
			    key);
			return (1);
		}
	}
	return (0);
}

static void
conf_check_departments(struct conf_ctx *ctx, struct conf *conf)
{
	struct conf_department	*d;
	const struct conf_group	*g;
	const char		*hint;
	size_t			 i, j, k;
	int			 idx;

	for (i = 0; i < conf->ndepartments; i++) {
		d = &conf->departments[i];
		conf_check_star(ctx, "departments", i, "districts",
		    d->districts, d->ndistricts);
		if (conf_check_star(ctx, "departments", i, "groups",
		    d->groups, d->ngroups))
			continue;
		for (j = 0; j < d->ngroups; j++) {
			if (strcmp(d->groups[j], "*") == 0 ||
			    conf_group_find(conf, d->groups[j]) != NULL)
				continue;
			hint = NULL;
			for (k = 0; k < conf->ngroups; k++) {
				g = &conf->groups[k];
				if (g->id != NULL &&
				    conf_close(d->groups[j], g->id)) {
					hint = g->id;
					break;
				}
			}
			idx = conf_elem_index(ctx, "departments", i, "groups",
			    d->groups[j]);
			conf_err(ctx, conf_at(ctx, "departments", i, "groups",
			    idx), "departments[%zu].groups[%d]: unknown group "
			    "\"%s\"%s%s%s", i, idx, d->groups[j],
			    hint != NULL ? " (did you mean \"" : "",
			    hint != NULL ? hint : "",
			    hint != NULL ? "\"?)" : "");
		}
	}
}

/* Warnings only once the file is otherwise good: they are advice. */
static void
conf_warn_departments(struct conf_ctx *ctx, struct conf *conf)
{
	struct conf_department	*d;
	size_t			 i;

	for (i = 0; i < conf->ndepartments; i++) {
		d = &conf->departments[i];
		if (d->key_file == NULL)
			conf_warn(ctx, conf_at(ctx, "departments", i, NULL, -1),
			    "department \"%s\" has no key_file: events from "
			    "it are accepted unsigned", d->id);
	}
}

static int
conf_has(const config_setting_t *e, const char *key)
{
	return (config_setting_get_member(e, key) != NULL);
}

static void
conf_check_channels(struct conf_ctx *ctx, struct conf *conf)
{
	struct conf_channel	*c;
	const config_setting_t	*e;
	size_t			 i;

	for (i = 0; i < conf->nchannels; i++) {
		c = &conf->channels[i];
		e = conf_at(ctx, "channels", i, NULL, -1);
		/*
		 * Look at the file, not at c: a key that was there but bad
		 * has been reported already and is NULL in c.
		 */
		switch (conf_channel_kind(e)) {
		case CONF_HTTP:
			if (!conf_has(e, "url"))
				conf_err(ctx, e, "channels[%zu]: an http "
				    "channel needs \"url\"", i);
			if (c->method != NULL &&
			    strcmp(c->method, "GET") == 0 && c->body != NULL)
				conf_err(ctx, conf_at(ctx, "channels", i,
				    "body", -1), "channels[%zu].body: only "
				    "sent with method = \"POST\"", i);
			/* The generic driver's form, as the example shows. */
			if (c->method != NULL &&
			    strcmp(c->method, "POST") == 0 && c->body == NULL)
				c->body = xstrdup("to=${to}&text=${text}"
				    "&ref=${ref}");
			break;
		case CONF_MODEM:
			if (conf_has(e, "device") && conf_has(e, "imei"))
				conf_err(ctx, e, "channels[%zu]: a modem has "
				    "\"device\" or \"imei\", not both", i);
			else if (!conf_has(e, "device") && !conf_has(e, "imei"))
				conf_err(ctx, e, "channels[%zu]: a modem needs "
				    "\"device\" or \"imei\"", i);
			break;
		}
	}
}

static void
conf_check_routes(struct conf_ctx *ctx, struct conf *conf)
{
	struct conf_route	*r;
	size_t			 i, j;
	int			 idx;

	for (i = 0; i < conf->nroutes; i++) {
		r = &conf->routes[i];
		for (j = 0; j < r->nchannels; j++) {
			if (conf_channel_find(conf, r->channels[j]) != NULL)
				continue;
			idx = conf_elem_index(ctx, "routes", i, "channels",
			    r->channels[j]);
			conf_err(ctx, conf_at(ctx, "routes", i, "channels",
			    idx), "routes[%zu].channels[%d]: unknown channel "
			    "\"%s\"", i, idx, r->channels[j]);
		}
		for (j = 0; j < r->ndepartments; j++) {
			if (conf_department_find(conf, r->departments[j]) !=
			    NULL)
				continue;
			idx = conf_elem_index(ctx, "routes", i, "departments",
			    r->departments[j]);
			conf_err(ctx, conf_at(ctx, "routes", i, "departments",
			    idx), "routes[%zu].departments[%d]: unknown "
			    "department \"%s\"", i, idx, r->departments[j]);
		}
		if (conf_check_star(ctx, "routes", i, "districts",
		    r->districts, r->ndistricts))
			continue;
		/* struct conf_route says "any" with NULL, not with "*". */
		if (r->ndistricts == 1 && strcmp(r->districts[0], "*") == 0) {
			free(r->districts[0]);
			free(r->districts);
			r->districts = NULL;
			r->ndistricts = 0;
		}
	}
}

static int
conf_is_loopback(const char *host)
{
	return (strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 ||
	    strncmp(host, "127.", 4) == 0);
}

static void
conf_check_redis(struct conf_ctx *ctx, struct conf *conf, int warn)
{
	const config_setting_t	*s = NULL;

	if (ctx->cfg != NULL)
		s = config_lookup(ctx->cfg, "redis.user");
	if (!warn && conf->redis_user != NULL &&
	    conf->redis_password_file == NULL)
		conf_err(ctx, s, "redis.user: needs redis.password_file");
	if (!warn || conf->redis_socket != NULL ||
	    conf->redis_password_file != NULL ||
	    conf_is_loopback(conf->redis_host))
		return;
	if (ctx->cfg != NULL)
		s = config_lookup(ctx->cfg, "redis.host");
	conf_warn(ctx, s, "redis.host: \"%s\" is not loopback and there is "
	    "no redis.password_file: anyone on the network can read the "
	    "registry", conf->redis_host);
}

static void
conf_add_builtin_groups(struct conf *conf)
{
	size_t	i, n = nitems(conf_builtin_groups);

	conf->groups = xcalloc(n, sizeof *conf->groups);
	for (i = 0; i < n; i++) {
		conf->groups[i].id = xstrdup(conf_builtin_groups[i].id);
		conf->groups[i].name = xstrdup(conf_builtin_groups[i].name);
	}
	conf->ngroups = n;
}

static char *
conf_hostname(void)
{
	char	host[256];

	if (gethostname(host, sizeof host) != 0 || host[0] == '\0')
		return (xstrdup("civicast"));
	host[sizeof host - 1] = '\0';
	return (xstrdup(host));
}

static int
conf_read(struct conf_ctx *ctx, const char *path)
{
	FILE		*f;
	char		*dir, *slash;
	const char	*file;
	int		 line;

	if ((f = fopen(path, "r")) == NULL) {
		conf_err(ctx, NULL, "cannot open: %s", strerror(errno));
		return (-1);
	}
	/* @include "x.conf" is relative to the file, not to the cwd. */
	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		config_set_include_dir(ctx->cfg, *dir != '\0' ? dir : "/");
	}
	free(dir);
	if (!config_read(ctx->cfg, f)) {
		fclose(f);
		if (config_error_type(ctx->cfg) == CONFIG_ERR_FILE_IO) {
			conf_err(ctx, NULL, "cannot read: %s",
			    config_error_text(ctx->cfg));
			return (-1);
		}
		file = config_error_file(ctx->cfg);
		line = config_error_line(ctx->cfg);
		free(ctx->errs->msgs);
		ctx->errs->msgs = xcalloc(1, sizeof *ctx->errs->msgs);
		xasprintf(&ctx->errs->msgs[0], "%s:%d: %s",
		    file != NULL ? file : path, line,
		    config_error_text(ctx->cfg));
		ctx->errs->n = 1;
		return (-1);
	}
	fclose(f);
	return (0);
}

/* Load and validate path (NULL: the embedded defaults). */
struct conf *
conf_load(const char *path, struct conf_errors *errs)
{
	struct conf		*conf;
	struct conf_errors	 scratch;
	struct conf_ctx		 ctx;
	config_t		 cfg;

	if (errs == NULL)
		errs = &scratch;
	memset(errs, 0, sizeof *errs);
	memset(&ctx, 0, sizeof ctx);
	ctx.file = path;
	ctx.errs = errs;
	ctx.table = conf_table(&ctx.ntable);

	conf = xcalloc(1, sizeof *conf);
	if (path == NULL) {
		conf_walk(&ctx, NULL, "", "", (char *)conf, 0);
		conf_add_builtin_groups(conf);
		conf->instance = conf_hostname();
		return (conf);
	}
	conf->path = xstrdup(path);

	config_init(&cfg);
	ctx.cfg = &cfg;
	if (conf_read(&ctx, path) != 0)
		goto fail;

	conf_walk(&ctx, config_root_setting(&cfg), "", "", (char *)conf, 0);
	if (config_lookup(&cfg, "groups") == NULL)
		conf_add_builtin_groups(conf);
	if (conf->instance == NULL)
		conf->instance = conf_hostname();

	conf_check_dups(&ctx, "groups", "group", (char *)conf->groups,
	    conf->ngroups, sizeof *conf->groups,
	    offsetof(struct conf_group, id), offsetof(struct conf_group, line));
	conf_check_dups(&ctx, "departments", "department",
	    (char *)conf->departments, conf->ndepartments,
	    sizeof *conf->departments, offsetof(struct conf_department, id),
	    offsetof(struct conf_department, line));
	conf_check_dups(&ctx, "channels", "channel", (char *)conf->channels,
	    conf->nchannels, sizeof *conf->channels,
	    offsetof(struct conf_channel, id),
	    offsetof(struct conf_channel, line));
	conf_check_departments(&ctx, conf);
	conf_check_channels(&ctx, conf);
	conf_check_routes(&ctx, conf);
	conf_check_redis(&ctx, conf, 0);
	if (errs->n != 0)
		goto fail;

	conf_warn_departments(&ctx, conf);
	conf_check_redis(&ctx, conf, 1);
	config_destroy(&cfg);
	free(ctx.lines);
	return (conf);

fail:
	conf_sort_errors(&ctx);
	config_destroy(&cfg);
	free(ctx.lines);
	conf_free(conf);
	if (errs == &scratch)
		conf_errors_free(&scratch);
	return (NULL);
}

static int
conf_same_string(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == b);
	return (strcmp(a, b) == 0);
}

static int	conf_same_walk(const struct conf_key *, size_t, const char *,
		    const char *, const char *);

/* Whether the values of row k are the same in a and b. */
static int
conf_same(const struct conf_key *table, size_t ntable,
    const struct conf_key *k, const char *a, const char *b)
{
	const struct conf_rate	 *ra, *rb;
	char			**sa, **sb, *tp;
	size_t			  na, nb, i;
	int			  same;

	switch (k->type) {
	case CONF_T_STRING:
		return (conf_same_string(*(char *const *)(a + k->off),
		    *(char *const *)(b + k->off)));
	case CONF_T_INT:
	case CONF_T_BOOL:
	case CONF_T_ENUM:
		return (*(const int *)(a + k->off) ==
		    *(const int *)(b + k->off));
	case CONF_T_ULONG:
		return (*(const unsigned long *)(a + k->off) ==
		    *(const unsigned long *)(b + k->off));
	case CONF_T_PRIOLIST:
		return (*(const unsigned int *)(a + k->off) ==
		    *(const unsigned int *)(b + k->off));
	case CONF_T_RATE:
		ra = (const struct conf_rate *)(a + k->off);
		rb = (const struct conf_rate *)(b + k->off);
		return (ra->count == rb->count && ra->period == rb->period);
	case CONF_T_STRARRAY:
		sa = *(char **const *)(a + k->off);
		sb = *(char **const *)(b + k->off);
		na = *(const size_t *)(a + k->noff);
		nb = *(const size_t *)(b + k->noff);
		if (na != nb)
			return (0);
		for (i = 0; i < na; i++) {
			if (strcmp(sa[i], sb[i]) != 0)
				return (0);
		}
		return (1);
	case CONF_T_GROUP:
		return (conf_same_walk(table, ntable, k->path, a, b));
	case CONF_T_LIST:
		na = *(const size_t *)(a + k->noff);
		nb = *(const size_t *)(b + k->noff);
		if (na != nb)
			return (0);
		xasprintf(&tp, "%s.[]", k->path);
		same = 1;
		for (i = 0; i < na && same; i++)
			same = conf_same_walk(table, ntable, tp,
			    *(char *const *)(a + k->off) + i * k->size,
			    *(char *const *)(b + k->off) + i * k->size);
		free(tp);
		return (same);
	}
	return (0);
}

static int
conf_same_walk(const struct conf_key *table, size_t ntable,
    const char *tprefix, const char *a, const char *b)
{
	size_t	i;

	for (i = 0; i < ntable; i++) {
		if (conf_child(table[i].path, tprefix) != NULL &&
		    !conf_same(table, ntable, &table[i], a, b))
			return (0);
	}
	return (1);
}

/* Names of keys that differ between old and new and need a restart. */
size_t
conf_restart_keys(const struct conf *old, const struct conf *new,
    const char **names, size_t max)
{
	const struct conf_key	*table, *k;
	size_t			 ntable, i, n = 0;

	table = conf_table(&ntable);
	for (i = 0; i < ntable && n < max; i++) {
		k = &table[i];
		/* Leaves at the top or in a group; whole restart lists. */
		if (strstr(k->path, ".[]") != NULL)
			continue;
		if (k->apply != CONF_RESTART || k->type == CONF_T_GROUP)
			continue;
		if (!conf_same(table, ntable, k, (const char *)old,
		    (const char *)new))
			names[n++] = k->path;
	}
	return (n);
}

/* The group with this id, or NULL. */
const struct conf_group *
conf_group_find(const struct conf *conf, const char *id)
{
	size_t	i;

	for (i = 0; i < conf->ngroups; i++) {
		if (conf->groups[i].id != NULL &&
		    strcmp(conf->groups[i].id, id) == 0)
			return (&conf->groups[i]);
	}
	return (NULL);
}

/* The department with this id, or NULL. */
const struct conf_department *
conf_department_find(const struct conf *conf, const char *id)
{
	size_t	i;

	for (i = 0; i < conf->ndepartments; i++) {
		if (conf->departments[i].id != NULL &&
		    strcmp(conf->departments[i].id, id) == 0)
			return (&conf->departments[i]);
	}
	return (NULL);
}

/* The channel with this id, or NULL. */
const struct conf_channel *
conf_channel_find(const struct conf *conf, const char *id)
{
	size_t	i;

	for (i = 0; i < conf->nchannels; i++) {
		if (conf->channels[i].id != NULL &&
		    strcmp(conf->channels[i].id, id) == 0)
			return (&conf->channels[i]);
	}
	return (NULL);
}

/* Parse "200/s", "10/min", "60/hour", "500/day"; -1 with cause. */
int
conf_rate_parse(const char *s, struct conf_rate *rate, const char **cause)
{
	const char	*slash, *why;
	char		 digits[16];
	long long	 count;
	size_t		 len, i;

	if ((slash = strchr(s, '/')) == NULL) {
		*cause = "not COUNT/PERIOD, such as \"200/s\"";
		return (-1);
	}
	len = (size_t)(slash - s);
	for (i = 0; i < len; i++) {
		/* strtonum would take "+5" and " 5"; say digits only. */
		if (s[i] < '0' || s[i] > '9') {
			*cause = "the count must be digits";
			return (-1);
		}
	}
	if (len == 0 || len >= sizeof digits) {
		*cause = len == 0 ? "the count is missing" :
		    "the count must be 1 to 1000000";
		return (-1);
	}
	memcpy(digits, s, len);
	digits[len] = '\0';
	count = strtonum(digits, 1, 1000000, &why);
	if (why != NULL) {
		*cause = "the count must be 1 to 1000000";
		return (-1);
	}
	for (i = 0; i < nitems(conf_periods); i++) {
		if (strcmp(slash + 1, conf_periods[i].name) == 0) {
			rate->count = (unsigned long)count;
			rate->period = conf_periods[i].seconds;
			*cause = NULL;
			return (0);
		}
	}
	*cause = "the period must be s, min, hour or day";
	return (-1);
}

/* Parse a priority name; -1 when unknown. */
int
conf_prio_parse(const char *s)
{
	size_t	i;

	for (i = 0; i < nitems(conf_prio_names); i++) {
		if (strcmp(s, conf_prio_names[i]) == 0)
			return ((int)i);
	}
	return (-1);
}

/* Name of a priority. */
const char *
conf_prio_name(enum prio p)
{
	if ((size_t)p >= nitems(conf_prio_names))
		return ("?");
	return (conf_prio_names[p]);
}

/* Read a secret file that only its owner can read. */
int
conf_secret_read(const char *path, char **out, size_t *len, char **cause)
{
	struct stat	 sb;
	char		*buf;
	size_t		 have = 0;
	ssize_t		 n;
	int		 fd;

	*out = NULL;
	*len = 0;
	/* O_NONBLOCK: opening a FIFO must not hang before the check. */
	fd = open(path, O_RDONLY|O_NONBLOCK|O_NOCTTY|O_CLOEXEC);
	if (fd == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	/* fstat, not stat: what is checked is what is read. */
	if (fstat(fd, &sb) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		close(fd);
		return (-1);
	}
	if (!S_ISREG(sb.st_mode)) {
		xasprintf(cause, "%s: not a regular file", path);
		close(fd);
		return (-1);
	}
	if ((sb.st_mode & 077) != 0) {
		xasprintf(cause, "%s: mode %04o lets group or others at the "
		    "secret; run chmod 600 %s", path,
		    (unsigned int)(sb.st_mode & 07777), path);
		close(fd);
		return (-1);
	}
	if (sb.st_size > CONF_SECRET_MAX) {
		xasprintf(cause, "%s: larger than %d bytes", path,
		    CONF_SECRET_MAX);
		close(fd);
		return (-1);
	}

	/* One byte more than allowed, to notice a file that grew. */
	buf = xmalloc(CONF_SECRET_MAX + 2);
	for (;;) {
		n = read(fd, buf + have, CONF_SECRET_MAX + 1 - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		if (have > CONF_SECRET_MAX)
			break;
	}
	if (n == -1 || have > CONF_SECRET_MAX) {
		if (n == -1)
			xasprintf(cause, "%s: %s", path, strerror(errno));
		else
			xasprintf(cause, "%s: larger than %d bytes", path,
			    CONF_SECRET_MAX);
		close(fd);
		explicit_bzero(buf, CONF_SECRET_MAX + 2);
		free(buf);
		return (-1);
	}
	close(fd);
	while (have > 0 && (buf[have - 1] == '\n' || buf[have - 1] == '\r'))
		have--;
	buf[have] = '\0';
	if (have == 0) {
		xasprintf(cause, "%s: empty", path);
		explicit_bzero(buf, CONF_SECRET_MAX + 2);
		free(buf);
		return (-1);
	}
	*out = buf;
	*len = have;
	return (0);
}

/* explicit_bzero and free a secret. */
void
conf_secret_free(char *s, size_t len)
{
	if (s == NULL)
		return;
	/* Wipe the whole string even if the caller's len is short. */
	if (strlen(s) > len)
		len = strlen(s);
	explicit_bzero(s, len);
	free(s);
}
