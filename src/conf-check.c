/*
 * conf-check.c: the problems of a civicast.conf, collected with their
 * lines and sorted, and what one key alone cannot say: references
 * between sections, a modem's device or IMEI, redis credentials.  Also
 * which keys of a new conf need a restart to take effect.
 */
#include "compat.h"

#include <ctype.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "conf-int.h"
#include "conf-table.h"
#include "sign.h"
#include "util.h"
#include "xmalloc.h"

#define CONF_ERRORS_MAX		100	/* garbage has said enough by then */

static void printflike(4, 0)
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

/* Report a problem: the file is not used. */
void printflike(3, 4)
conf_err(struct conf_ctx *ctx, const config_setting_t *s, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	conf_vadd(ctx, 0, s, fmt, ap);
	va_end(ap);
}

/* Report something accepted but worth saying. */
void printflike(3, 4)
conf_warn(struct conf_ctx *ctx, const config_setting_t *s, const char *fmt,
    ...)
{
	va_list	ap;

	va_start(ap, fmt);
	conf_vadd(ctx, 1, s, fmt, ap);
	va_end(ap);
}

/* Errors in file order; the cross-section checks run after the walk. */
void
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

/* A key in prefix close to an unknown name, or NULL. */
const char *
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

/* Report ids that appear twice in a list. */
void
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

/* Report misused "*" and unknown groups in departments. */
void
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

/*
 * The secret files the configuration names (departments' key_file,
 * channels' pin_file, redis.password_file) against the rules every read
 * applies (conf_secret_check): what passes here is what civicastd will
 * read, so a bad file is named at its line now, not per event later.
 */
void
conf_check_secrets(struct conf_ctx *ctx, struct conf *conf)
{
	const config_setting_t	*s;
	char			*why;
	size_t			 i;
	int			 missing;

	for (i = 0; i < conf->ndepartments; i++) {
		if (conf->departments[i].key_file == NULL)
			continue;
		if (conf_secret_check(conf->departments[i].key_file,
		    SIGN_KEY_MIN, &why) == 0)
			continue;
		missing = access(conf->departments[i].key_file, F_OK) != 0;
		s = conf_at(ctx, "departments", i, "key_file", -1);
		conf_err(ctx, s, "departments[%zu].key_file: %s%s%s", i, why,
		    missing ? "; civicast key generate " : "",
		    missing ? conf->departments[i].id : "");
		free(why);
	}
	for (i = 0; i < conf->nchannels; i++) {
		if (conf->channels[i].pin_file == NULL)
			continue;
		if (conf_secret_check(conf->channels[i].pin_file, 1,
		    &why) == 0)
			continue;
		s = conf_at(ctx, "channels", i, "pin_file", -1);
		conf_err(ctx, s, "channels[%zu].pin_file: %s", i, why);
		free(why);
	}
	if (conf->redis_password_file != NULL &&
	    conf_secret_check(conf->redis_password_file, 1, &why) != 0) {
		s = ctx->cfg != NULL ? config_lookup(ctx->cfg,
		    "redis.password_file") : NULL;
		conf_err(ctx, s, "redis.password_file: %s", why);
		free(why);
	}
}

/* Warnings only once the file is otherwise good: they are advice. */
void
conf_warn_departments(struct conf_ctx *ctx, struct conf *conf)
{
	struct conf_department	*d;
	size_t			 i;

	for (i = 0; i < conf->ndepartments; i++) {
		d = &conf->departments[i];
		if (d->key_file == NULL && d->unsigned_ok)
			conf_warn(ctx, conf_at(ctx, "departments", i, NULL, -1),
			    "department \"%s\" is unsigned: anyone who can "
			    "write to Redis can publish in its name "
			    "(development only)", d->id);
		else if (d->key_file == NULL)
			conf_warn(ctx, conf_at(ctx, "departments", i, NULL, -1),
			    "department \"%s\" has no key_file: its events "
			    "are all rejected (set key_file, or unsigned = true "
			    "for development)", d->id);
	}
}

static int
conf_has(const config_setting_t *e, const char *key)
{
	return (config_setting_get_member(e, key) != NULL);
}

/* Check what a channel of each type needs. */
void
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

/* Report unknown channels and departments in routes. */
void
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

/* Redis credentials and lone numeric pairs: errors, or (warn) an open server. */
void
conf_check_redis(struct conf_ctx *ctx, struct conf *conf, int warn)
{
	const config_setting_t	*s = NULL;

	if (ctx->cfg != NULL)
		s = config_lookup(ctx->cfg, "redis.user");
	if (!warn && conf->redis_user != NULL &&
	    conf->redis_password_file == NULL)
		conf_err(ctx, s, "redis.user: needs redis.password_file");
	if (!warn && conf->recipient_routine.count != 0 &&
	    conf->recipient_routine.period != 86400)
		conf_err(ctx, ctx->cfg != NULL ? config_lookup(ctx->cfg,
		    "limits.recipient_routine") : NULL,
		    "limits.recipient_routine: must be a count per day, "
		    "e.g. \"3/day\"");
	if (!warn && conf->recipient_urgent.count != 0 &&
	    conf->recipient_urgent.period != 86400)
		conf_err(ctx, ctx->cfg != NULL ? config_lookup(ctx->cfg,
		    "limits.recipient_urgent") : NULL,
		    "limits.recipient_urgent: must be a count per day, "
		    "e.g. \"5/day\"");
	if (!warn && (conf->quiet_priorities & PRIO_BIT(PRIO_EMERGENCY)))
		conf_err(ctx, ctx->cfg != NULL ? config_lookup(ctx->cfg,
		    "quiet_hours.priorities") : NULL,
		    "quiet_hours.priorities: emergency messages are never held");
	if (!warn && conf->outbox_retry_min > conf->outbox_retry_max) {
		s = ctx->cfg != NULL ? config_lookup(ctx->cfg,
		    "outbox.retry_min") : NULL;
		conf_err(ctx, s, "outbox.retry_min: %d is more than "
		    "outbox.retry_max (%d)", conf->outbox_retry_min,
		    conf->outbox_retry_max);
	}
	if (!warn || conf->redis_socket != NULL ||
	    conf->redis_password_file != NULL ||
	    util_is_loopback(conf->redis_host))
		return;
	if (ctx->cfg != NULL)
		s = config_lookup(ctx->cfg, "redis.host");
	conf_warn(ctx, s, "redis.host: \"%s\" is not loopback and there is "
	    "no redis.password_file: anyone on the network can read the "
	    "registry", conf->redis_host);
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

/*
 * The restart keys whose storage a reload swaps: leaves at the top or in a
 * group, and whole lists (their elements move with them).  One test for
 * conf_restart_keys() and conf_keep_restart(), so what a reload warns
 * about is what it keeps.
 */
static int
conf_is_restart_leaf(const struct conf_key *k)
{
	return (k->apply == CONF_RESTART && k->type != CONF_T_GROUP &&
	    strstr(k->path, ".[]") == NULL);
}

/* How many bytes a row of this type takes at its offset. */
static size_t
conf_type_size(enum conf_type type)
{
	switch (type) {
	case CONF_T_STRING:
		return (sizeof (char *));
	case CONF_T_INT:
	case CONF_T_BOOL:
	case CONF_T_ENUM:
		return (sizeof (int));
	case CONF_T_ULONG:
		return (sizeof (unsigned long));
	case CONF_T_PRIOLIST:
		return (sizeof (unsigned int));
	case CONF_T_RATE:
		return (sizeof (struct conf_rate));
	case CONF_T_STRARRAY:
		return (sizeof (char **));
	case CONF_T_LIST:
		return (sizeof (void *));
	case CONF_T_GROUP:
		break;
	}
	return (0);
}

static void
conf_swap_bytes(char *a, char *b, size_t len)
{
	char	t;

	while (len-- > 0) {
		t = *a;
		*a++ = *b;
		*b++ = t;
	}
}

/*
 * Keep the restart-only values in force across a reload.  Swapping rather
 * than copying means no deep copy and no double free: the old conf, about
 * to be freed, takes the unused new values.
 */
void
conf_keep_restart(struct conf *new, struct conf *old)
{
	const struct conf_key	*table, *k;
	size_t			 ntable, i;

	table = conf_table(&ntable);
	for (i = 0; i < ntable; i++) {
		k = &table[i];
		if (!conf_is_restart_leaf(k))
			continue;
		conf_swap_bytes((char *)new + k->off, (char *)old + k->off,
		    conf_type_size(k->type));
		if (k->type == CONF_T_STRARRAY || k->type == CONF_T_LIST)
			conf_swap_bytes((char *)new + k->noff,
			    (char *)old + k->noff, sizeof (size_t));
	}
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
		if (!conf_is_restart_leaf(k))
			continue;
		if (!conf_same(table, ntable, k, (const char *)old,
		    (const char *)new))
			names[n++] = k->path;
	}
	return (n);
}
