/*
 * conf-load.c: load civicast.conf by walking the libconfig tree against the
 * key table in conf-table.c.  What one key alone cannot say (references
 * between sections, a modem's device or IMEI, ...) is checked in
 * conf-check.c; secret files are read in secret.c.
 *
 * Every problem is collected rather than returned at the first one, so a
 * single `civicast config check` names them all.
 */
#include "compat.h"

#include <errno.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "conf-int.h"
#include "conf-table.h"
#include "xmalloc.h"

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

/* Whether path is a key directly inside prefix ("" is the top level). */
const char *
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

/* Whether s is an array or a list. */
int
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
	const char		 *v, *why = NULL;
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
int
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
		/* A default rate is written as in the file: "3/day". */
		if (k->sdef != NULL) {
			const char	*why;

			if (conf_rate_parse(k->sdef, (struct conf_rate *)(base +
			    k->off), &why) != 0)
				fatalx("conf: default %s of %s: %s", k->sdef,
				    k->path, why);
		}
		break;		/* else zeroed: unlimited */
	case CONF_T_LIST:
		break;		/* zeroed: empty */
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

static struct conf *
conf_load_flags(const char *path, struct conf_errors *errs, int secrets)
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
	if (secrets)
		conf_check_secrets(&ctx, conf);
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

/* Load and validate path (NULL: the embedded defaults). */
struct conf *
conf_load(const char *path, struct conf_errors *errs)
{
	return (conf_load_flags(path, errs, 0));
}

/* Load and validate path and the secret files it names. */
struct conf *
conf_load_checked(const char *path, struct conf_errors *errs)
{
	return (conf_load_flags(path, errs, 1));
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
