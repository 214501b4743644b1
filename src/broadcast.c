/*
 * broadcast.c: parse and check a department's broadcast event (pure).
 *
 * broadcast_parse() looks at the event field alone: JSON syntax, types,
 * required fields, shapes and limits.  broadcast_check() looks at what the
 * event names: the department, groups, districts, template and its
 * parameters, and the times against the clock.  Both stop at the first
 * problem and name its field, so a publisher can fix it from the
 * message alone.  The contract is docs/events.md.
 */
#include "compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "audience.h"
#include "broadcast.h"
#include "conf.h"
#include "district.h"
#include "tmpl.h"
#include "util.h"
#include "xmalloc.h"

#define BROADCAST_MAX_NAME		32	/* department, template, category */
#define BROADCAST_MAX_GROUP	64	/* bytes of a group id or name */
#define BROADCAST_MAX_QUOTE	64	/* longest value echoed in a cause */

static const char *broadcast_kind_names[] = { "alert", "update", "cancel" };

/* Every key the contract knows, top level and inside "audience". */
static const char *broadcast_keys[] = {
	"id", "department", "sent", "kind", "references", "category",
	"priority", "audience", "template", "params", "not_before", "expires",
	"publisher"
};
static const char *broadcast_audience_keys[] = {
	"groups", "match", "districts", "exclude_districts"
};

/* 1 when s may be echoed back in a cause: short, UTF-8, no controls. */
static int
broadcast_quotable(const char *s)
{
	return (strlen(s) <= BROADCAST_MAX_QUOTE && util_utf8_clean(s));
}

/* 1 when s looks like a user name: 1 to 32 of [A-Za-z0-9._-]. */
static int
broadcast_user_ok(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		    s[i] == '-' || s[i] == '.')
			continue;
		return (0);
	}
	return (i > 0 && i <= BROADCAST_MAX_PUBLISHER);
}

/* 1 when s is 1 to max bytes of [a-z0-9_] (and '-' when dash is set). */
static int
broadcast_name_ok(const char *s, size_t max, int dash)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		    (dash && s[i] == '-'))
			continue;
		return (0);
	}
	return (i >= 1 && i <= max);
}

/* Check an event id (id or references); -1 with cause. */
static int
broadcast_id_ok(const char *what, const char *s, char **cause)
{
	size_t	i, len = strlen(s);

	if (len == 0) {
		xasprintf(cause, "%s: empty", what);
		return (-1);
	}
	if (len > BROADCAST_MAX_ID) {
		xasprintf(cause, "%s: longer than %d bytes", what,
		    BROADCAST_MAX_ID);
		return (-1);
	}
	for (i = 0; i < len; i++) {
		if (s[i] <= ' ' || s[i] > '~') {
			xasprintf(cause, "%s: must be printable ASCII without "
			    "spaces", what);
			return (-1);
		}
	}
	return (0);
}

/* Days from 1970-01-01 to a proleptic Gregorian date. */
static long long
broadcast_days(long long y, int m, int d)
{
	long long	era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468);
}

/* Number of days in a month. */
static int
broadcast_mdays(int y, int m)
{
	static const int	mdays[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return (29);
	return (mdays[m - 1]);
}

/* Read n digits at s into *v; -1 unless all n are digits. */
static int
broadcast_digits(const char *s, int n, int *v)
{
	int	i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		*v = *v * 10 + (s[i] - '0');
	}
	return (0);
}

/*
 * Parse "YYYY-MM-DDThh:mm:ss[.frac](Z|+hh:mm|-hh:mm)"; -1 with *why
 * saying what is wrong.  No locale, no time zone database: the fields
 * are counted into seconds and the offset subtracted.
 */
static int
broadcast_time_parse1(const char *s, time_t *t, const char **why)
{
	const char	*p;
	long long	 secs;
	int		 y, mo, d, h, mi, sec, oh, om, sign;

	if (broadcast_digits(s, 4, &y) != 0 || s[4] != '-' ||
	    broadcast_digits(s + 5, 2, &mo) != 0 || s[7] != '-' ||
	    broadcast_digits(s + 8, 2, &d) != 0) {
		*why = "date not YYYY-MM-DD";
		return (-1);
	}
	if (s[10] != 'T' && s[10] != 't') {
		*why = "no 'T' between date and time";
		return (-1);
	}
	if (broadcast_digits(s + 11, 2, &h) != 0 || s[13] != ':' ||
	    broadcast_digits(s + 14, 2, &mi) != 0) {
		*why = "time not hh:mm:ss";
		return (-1);
	}
	if (s[16] != ':') {
		*why = "seconds missing";
		return (-1);
	}
	if (broadcast_digits(s + 17, 2, &sec) != 0) {
		*why = "time not hh:mm:ss";
		return (-1);
	}
	if (mo < 1 || mo > 12) {
		*why = "month out of range";
		return (-1);
	}
	if (d < 1 || d > broadcast_mdays(y, mo)) {
		*why = "day out of range";
		return (-1);
	}
	if (h > 23) {
		*why = "hour out of range";
		return (-1);
	}
	if (mi > 59) {
		*why = "minute out of range";
		return (-1);
	}
	if (sec > 59) {
		*why = "second out of range (no leap seconds)";
		return (-1);
	}
	p = s + 19;
	if (*p == '.') {
		/* A fraction of a second: at least one digit, ignored. */
		if (p[1] < '0' || p[1] > '9') {
			*why = "no digits after '.'";
			return (-1);
		}
		p++;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		oh = om = 0;
		sign = 1;
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (broadcast_digits(p + 1, 2, &oh) != 0 || p[3] != ':' ||
		    broadcast_digits(p + 4, 2, &om) != 0) {
			*why = "offset not Z or +hh:mm or -hh:mm";
			return (-1);
		}
		if (oh > 23 || om > 59) {
			*why = "offset out of range";
			return (-1);
		}
		p += 6;
	} else {
		*why = "no offset (Z or +hh:mm or -hh:mm)";
		return (-1);
	}
	if (*p != '\0') {
		*why = "trailing characters";
		return (-1);
	}
	secs = broadcast_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	secs -= sign * (oh * 3600 + om * 60);
	if (sizeof(time_t) < sizeof(long long) &&
	    (secs > (long long)0x7fffffff || secs < -(long long)0x7fffffff)) {
		*why = "out of the range of this system's clock";
		return (-1);
	}
	*t = (time_t)secs;
	return (0);
}

/* Parse an RFC 3339 time with an explicit offset; -1 if malformed. */
int
broadcast_time_parse(const char *s, time_t *t)
{
	const char	*why;

	return (broadcast_time_parse1(s, t, &why));
}

/* Format a time as RFC 3339 in local time, with the local offset. */
const char *
broadcast_time_format(time_t t, char *buf, size_t len)
{
	struct tm	tm;
	long long	off;
	char		sign = '+';

	if (localtime_r(&t, &tm) == NULL) {
		strlcpy(buf, "?", len);
		return (buf);
	}
	/* The local offset is the local fields counted as if UTC, minus t. */
	off = broadcast_days(tm.tm_year + 1900LL, tm.tm_mon + 1, tm.tm_mday) *
	    86400 + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec -
	    (long long)t;
	if (off < 0) {
		sign = '-';
		off = -off;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%c%02lld:%02lld",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, sign, off / 3600, off / 60 % 60);
	return (buf);
}

/* "alert", "update", "cancel". */
const char *
broadcast_kind_name(enum broadcast_kind kind)
{
	if ((size_t)kind >= nitems(broadcast_kind_names))
		return ("?");
	return (broadcast_kind_names[kind]);
}

/* Member key of obj, with JSON null the same as absent. */
static json_t *
broadcast_get(json_t *obj, const char *key)
{
	json_t	*v;

	if ((v = json_object_get(obj, key)) == NULL || json_is_null(v))
		return (NULL);
	return (v);
}

/*
 * The string member key of obj in *out (borrowed), or NULL when absent or
 * null.  -1 with cause when it is another type.
 */
static int
broadcast_string(json_t *obj, const char *key, const char *what,
    const char **out, char **cause)
{
	json_t	*v;

	*out = NULL;
	if ((v = broadcast_get(obj, key)) == NULL)
		return (0);
	if (!json_is_string(v)) {
		xasprintf(cause, "%s: must be a string", what);
		return (-1);
	}
	*out = json_string_value(v);
	return (0);
}

/* Like broadcast_string, but absent is an error. */
static int
broadcast_required(json_t *obj, const char *key, const char *what,
    const char **out, char **cause)
{
	if (broadcast_string(obj, key, what, out, cause) != 0)
		return (-1);
	if (*out == NULL) {
		xasprintf(cause, "%s: missing", what);
		return (-1);
	}
	return (0);
}

/* Parse the time member key into *t (left alone when absent). */
static int
broadcast_time_member(json_t *obj, const char *key, time_t *t, char **cause)
{
	const char	*s, *why;

	if (broadcast_string(obj, key, key, &s, cause) != 0)
		return (-1);
	if (s == NULL)
		return (0);
	if (broadcast_time_parse1(s, t, &why) != 0) {
		if (broadcast_quotable(s))
			xasprintf(cause, "%s: '%s' is not an RFC 3339 time "
			    "(%s)", key, s, why);
		else
			xasprintf(cause, "%s: not an RFC 3339 time (%s)", key,
			    why);
		return (-1);
	}
	if (*t <= 0) {
		xasprintf(cause, "%s: not after 1970-01-01T00:00:00Z", key);
		return (-1);
	}
	return (0);
}

/* Reject any member of obj not in keys; -1 with cause naming it. */
static int
broadcast_known_keys(json_t *obj, const char *where, const char **keys,
    size_t nkeys, char **cause)
{
	const char	*key;
	json_t		*v;
	size_t		 i;

	json_object_foreach(obj, key, v) {
		for (i = 0; i < nkeys; i++) {
			if (strcmp(key, keys[i]) == 0)
				break;
		}
		if (i < nkeys)
			continue;
		if (broadcast_quotable(key))
			xasprintf(cause, "%sunknown key '%s'", where, key);
		else
			xasprintf(cause, "%sunknown key", where);
		return (-1);
	}
	return (0);
}

/*
 * Copy a JSON array of strings (audience.groups, ...) into *v, *n.  Absent
 * or null leaves an empty list.  district set: each must have the shape
 * of a district code.
 */
static int
broadcast_list(json_t *obj, const char *key, int district, char ***v,
    size_t *n, char **cause)
{
	json_t		*a, *e;
	const char	*s;
	size_t		 i;

	if ((a = broadcast_get(obj, key)) == NULL)
		return (0);
	if (!json_is_array(a)) {
		xasprintf(cause, "audience.%s: must be an array", key);
		return (-1);
	}
	if (json_array_size(a) > AUDIENCE_MAX_ITEMS) {
		xasprintf(cause, "audience.%s: more than %d", key,
		    AUDIENCE_MAX_ITEMS);
		return (-1);
	}
	json_array_foreach(a, i, e) {
		if (!json_is_string(e)) {
			xasprintf(cause, "audience.%s[%zu]: must be a string",
			    key, i);
			return (-1);
		}
		s = json_string_value(e);
		if (*s == '\0') {
			xasprintf(cause, "audience.%s[%zu]: empty", key, i);
			return (-1);
		}
		if (district && !district_shape_ok(s)) {
			if (broadcast_quotable(s))
				xasprintf(cause, "audience.%s[%zu]: '%s' is "
				    "not a district code of 2, 4, 6, 9 or 12 "
				    "digits", key, i, s);
			else
				xasprintf(cause, "audience.%s[%zu]: not a "
				    "district code of 2, 4, 6, 9 or 12 digits",
				    key, i);
			return (-1);
		}
		if (!district && strlen(s) > BROADCAST_MAX_GROUP) {
			xasprintf(cause, "audience.%s[%zu]: longer than %d "
			    "bytes", key, i, BROADCAST_MAX_GROUP);
			return (-1);
		}
		*v = xreallocarray(*v, *n + 1, sizeof **v);
		(*v)[(*n)++] = xstrdup(s);
	}
	return (0);
}

/* Parse the audience object of an alert or update. */
static int
broadcast_parse_audience(json_t *root, struct broadcast *ev, char **cause)
{
	struct audience_query	*q = &ev->audience;
	json_t			*obj;
	const char		*match;

	if ((obj = broadcast_get(root, "audience")) == NULL) {
		xasprintf(cause, "audience: missing");
		return (-1);
	}
	if (!json_is_object(obj)) {
		xasprintf(cause, "audience: must be an object");
		return (-1);
	}
	if (broadcast_known_keys(obj, "audience: ", broadcast_audience_keys,
	    nitems(broadcast_audience_keys), cause) != 0)
		return (-1);
	if (broadcast_list(obj, "groups", 0, &q->groups, &q->ngroups,
	    cause) != 0)
		return (-1);
	if (broadcast_string(obj, "match", "audience.match", &match,
	    cause) != 0)
		return (-1);
	if (match == NULL || strcmp(match, "any") == 0)
		q->match_all = 0;
	else if (strcmp(match, "all") == 0)
		q->match_all = 1;
	else {
		xasprintf(cause, "audience.match: must be 'any' or 'all'");
		return (-1);
	}
	if (broadcast_list(obj, "districts", 1, &q->districts, &q->ndistricts,
	    cause) != 0)
		return (-1);
	if (q->ndistricts == 0) {
		xasprintf(cause, "audience.districts: missing or empty (name "
		    "at least one district; the city's code for the whole "
		    "city)");
		return (-1);
	}
	if (broadcast_list(obj, "exclude_districts", 1, &q->exclude,
	    &q->nexclude, cause) != 0)
		return (-1);
	/* Emergency warnings reach residents who opted out. */
	q->ignore_optout = ev->priority == PRIO_EMERGENCY;
	return (0);
}

/* Parse the params object (absent or null: none). */
static int
broadcast_parse_params(json_t *root, struct broadcast *ev, char **cause)
{
	json_t		*obj, *v;
	const char	*name;
	size_t		 len;

	if ((obj = broadcast_get(root, "params")) == NULL)
		return (0);
	if (!json_is_object(obj)) {
		xasprintf(cause, "params: must be an object");
		return (-1);
	}
	if (json_object_size(obj) > BROADCAST_MAX_PARAMS) {
		xasprintf(cause, "params: more than %d", BROADCAST_MAX_PARAMS);
		return (-1);
	}
	ev->params = xcalloc(json_object_size(obj) + 1, sizeof *ev->params);
	json_object_foreach(obj, name, v) {
		if (!broadcast_name_ok(name, BROADCAST_MAX_PARAM_NAME, 0)) {
			if (broadcast_quotable(name))
				xasprintf(cause, "params: bad name '%s' (1-%d "
				    "of a-z, 0-9 and _)", name,
				    BROADCAST_MAX_PARAM_NAME);
			else
				xasprintf(cause, "params: bad name (1-%d of "
				    "a-z, 0-9 and _)", BROADCAST_MAX_PARAM_NAME);
			return (-1);
		}
		if (!json_is_string(v)) {
			xasprintf(cause, "params.%s: must be a string", name);
			return (-1);
		}
		/* jansson gives only valid UTF-8 without NUL bytes. */
		len = json_string_length(v);
		if (len > BROADCAST_MAX_PARAM_VALUE) {
			xasprintf(cause, "params.%s: longer than %d bytes",
			    name, BROADCAST_MAX_PARAM_VALUE);
			return (-1);
		}
		ev->params[ev->nparams].name = xstrdup(name);
		ev->params[ev->nparams].value = xstrdup(json_string_value(v));
		ev->nparams++;
	}
	return (0);
}

/* What a cancel must not carry: it only withdraws an earlier event. */
static int
broadcast_cancel_fields(json_t *root, char **cause)
{
	static const char	*keys[] = {
		"audience", "template", "params", "not_before", "expires"
	};
	size_t			 i;

	for (i = 0; i < nitems(keys); i++) {
		if (broadcast_get(root, keys[i]) != NULL) {
			xasprintf(cause, "%s: not allowed in a cancel",
			    keys[i]);
			return (-1);
		}
	}
	return (0);
}

/* Parse the fields of an already loaded JSON object into ev. */
static int
broadcast_parse_object(json_t *root, struct broadcast *ev, char **cause)
{
	const char	*s;
	int		 p;

	if (broadcast_known_keys(root, "", broadcast_keys, nitems(broadcast_keys),
	    cause) != 0)
		return (-1);

	if (broadcast_required(root, "id", "id", &s, cause) != 0 ||
	    broadcast_id_ok("id", s, cause) != 0)
		return (-1);
	ev->id = xstrdup(s);

	if (broadcast_required(root, "department", "department", &s,
	    cause) != 0)
		return (-1);
	if (!broadcast_name_ok(s, BROADCAST_MAX_NAME, 1)) {
		xasprintf(cause, "department: must be 1-%d of a-z, 0-9, _ "
		    "and -", BROADCAST_MAX_NAME);
		return (-1);
	}
	ev->department = xstrdup(s);

	if (broadcast_required(root, "sent", "sent", &s, cause) != 0 ||
	    broadcast_time_member(root, "sent", &ev->sent, cause) != 0)
		return (-1);

	if (broadcast_required(root, "kind", "kind", &s, cause) != 0)
		return (-1);
	if (strcmp(s, "alert") == 0)
		ev->kind = BROADCAST_ALERT;
	else if (strcmp(s, "update") == 0)
		ev->kind = BROADCAST_UPDATE;
	else if (strcmp(s, "cancel") == 0)
		ev->kind = BROADCAST_CANCEL;
	else {
		xasprintf(cause, "kind: must be alert, update or cancel");
		return (-1);
	}

	if (broadcast_string(root, "references", "references", &s, cause) != 0)
		return (-1);
	if (ev->kind == BROADCAST_ALERT && s != NULL) {
		xasprintf(cause, "references: must be null in an alert");
		return (-1);
	}
	if (ev->kind != BROADCAST_ALERT) {
		if (s == NULL) {
			xasprintf(cause, "references: missing (%s names "
			    "the id of the event it changes)",
			    ev->kind == BROADCAST_UPDATE ? "an update" :
			    "a cancel");
			return (-1);
		}
		if (broadcast_id_ok("references", s, cause) != 0)
			return (-1);
		if (strcmp(s, ev->id) == 0) {
			xasprintf(cause, "references: the event's own id");
			return (-1);
		}
		ev->references = xstrdup(s);
	}

	if (broadcast_string(root, "category", "category", &s, cause) != 0)
		return (-1);
	if (s != NULL) {
		if (!broadcast_name_ok(s, BROADCAST_MAX_CATEGORY, 0)) {
			xasprintf(cause, "category: must be 1-%d of a-z, 0-9 "
			    "and _", BROADCAST_MAX_CATEGORY);
			return (-1);
		}
		ev->category = xstrdup(s);
	}

	/*
	 * Who published it: inside the signed bytes, so that a signature
	 * vouches for it (the two-person rule rests on it); a user name.
	 */
	if (broadcast_string(root, "publisher", "publisher", &s, cause) != 0)
		return (-1);
	if (s != NULL) {
		if (!broadcast_user_ok(s)) {
			xasprintf(cause, "publisher: must be 1-%d of A-Z, a-z, "
			    "0-9, '.', '_' and '-' (a user name)",
			    BROADCAST_MAX_PUBLISHER);
			return (-1);
		}
		ev->publisher = xstrdup(s);
	}

	if (broadcast_required(root, "priority", "priority", &s, cause) != 0)
		return (-1);
	if ((p = conf_prio_parse(s)) == -1) {
		xasprintf(cause, "priority: must be emergency, urgent or "
		    "routine");
		return (-1);
	}
	ev->priority = (enum prio)p;

	if (ev->kind == BROADCAST_CANCEL)
		return (broadcast_cancel_fields(root, cause));

	if (broadcast_parse_audience(root, ev, cause) != 0)
		return (-1);

	if (broadcast_required(root, "template", "template", &s, cause) != 0)
		return (-1);
	if (!broadcast_name_ok(s, TMPL_MAX_NAME, 0)) {
		xasprintf(cause, "template: must be 1-%d of a-z, 0-9 and _",
		    TMPL_MAX_NAME);
		return (-1);
	}
	ev->template = xstrdup(s);

	if (broadcast_parse_params(root, ev, cause) != 0)
		return (-1);

	if (broadcast_time_member(root, "not_before", &ev->not_before,
	    cause) != 0)
		return (-1);
	if (broadcast_get(root, "expires") == NULL) {
		xasprintf(cause, "expires: missing (an %s is never sent "
		    "after it)", broadcast_kind_name(ev->kind));
		return (-1);
	}
	return (broadcast_time_member(root, "expires", &ev->expires, cause));
}

/* Copy jansson's error text, keeping it printable. */
static char *
broadcast_json_text(const char *text)
{
	char	*s;
	size_t	 i;

	s = xstrdup(text);
	if (util_utf8_clean(s))
		return (s);
	for (i = 0; s[i] != '\0'; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			s[i] = '?';
	}
	return (s);
}

/* Parse the event field (JSON) into ev; -1 with cause naming the field. */
int
broadcast_parse(const char *json, size_t len, struct broadcast *ev,
    char **cause)
{
	json_error_t	 err;
	json_t		*root;
	char		*text;
	int		 rc;

	memset(ev, 0, sizeof *ev);
	*cause = NULL;
	if (len > BROADCAST_MAX_JSON) {
		xasprintf(cause, "JSON: %zu bytes, more than %d", len,
		    BROADCAST_MAX_JSON);
		return (-1);
	}
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL) {
		text = broadcast_json_text(err.text);
		xasprintf(cause, "JSON: line %d column %d: %s", err.line,
		    err.column, text);
		free(text);
		return (-1);
	}
	if (!json_is_object(root)) {
		xasprintf(cause, "JSON: must be an object");
		json_decref(root);
		return (-1);
	}
	rc = broadcast_parse_object(root, ev, cause);
	json_decref(root);
	if (rc != 0)
		broadcast_free(ev);
	return (rc);
}

/* The group a name refers to: an id, or a display name. */
static const struct conf_group *
broadcast_group(const struct conf *conf, const char *name)
{
	const struct conf_group	*g;
	size_t			 i;

	if ((g = conf_group_find(conf, name)) != NULL)
		return (g);
	for (i = 0; i < conf->ngroups; i++) {
		if (conf->groups[i].name != NULL &&
		    strcmp(conf->groups[i].name, name) == 0)
			return (&conf->groups[i]);
	}
	return (NULL);
}

/* Check each district code of a list, naming the bad one by index. */
static int
broadcast_check_districts(const struct district_table *dt, const char *what,
    char **v, size_t n, char **cause)
{
	const char	*why;
	size_t		 i;

	for (i = 0; i < n; i++) {
		if (district_check(dt, v[i], &why) != 0) {
			xasprintf(cause, "audience.%s[%zu]: %s: %s", what, i,
			    v[i], why);
			return (-1);
		}
	}
	return (0);
}

/* Duplicate a list of strings. */
static char **
broadcast_dup_list(char **v, size_t n)
{
	char	**copy;
	size_t	  i;

	if (n == 0)
		return (NULL);
	copy = xcalloc(n, sizeof *copy);
	for (i = 0; i < n; i++)
		copy[i] = xstrdup(v[i]);
	return (copy);
}

/*
 * Check the audience: every element on its own first, so the cause names
 * its index, then the whole query through audience_query_check, on a
 * copy, because that normalises the lists and ev is not ours to change.
 */
static int
broadcast_check_audience(const struct broadcast *ev, const struct conf *conf,
    const struct district_table *dt, char **cause)
{
	const struct audience_query	*q = &ev->audience;
	struct audience_query		 copy;
	size_t				 i;
	int				 rc;

	for (i = 0; i < q->ngroups; i++) {
		if (broadcast_group(conf, q->groups[i]) != NULL)
			continue;
		if (broadcast_quotable(q->groups[i]))
			xasprintf(cause, "audience.groups[%zu]: unknown group "
			    "'%s'", i, q->groups[i]);
		else
			xasprintf(cause, "audience.groups[%zu]: unknown group",
			    i);
		return (-1);
	}
	if (broadcast_check_districts(dt, "districts", q->districts,
	    q->ndistricts, cause) != 0)
		return (-1);
	if (broadcast_check_districts(dt, "exclude_districts", q->exclude,
	    q->nexclude, cause) != 0)
		return (-1);

	copy = *q;
	copy.groups = broadcast_dup_list(q->groups, q->ngroups);
	copy.districts = broadcast_dup_list(q->districts, q->ndistricts);
	copy.exclude = broadcast_dup_list(q->exclude, q->nexclude);
	rc = audience_query_check(&copy, conf, dt, "audience.", cause);
	audience_query_free(&copy);
	return (rc);
}

/* Check the params against the template's variables. */
static int
broadcast_check_params(const struct broadcast *ev, const struct tmpl *t,
    char **cause)
{
	size_t	i, j;

	for (i = 0; i < t->nvars; i++) {
		if (tmpl_builtin_var(t->vars[i]))
			continue;
		if (broadcast_param(ev, t->vars[i]) == NULL) {
			xasprintf(cause, "params.%s: missing (template %s "
			    "uses ${%s})", t->vars[i], t->name, t->vars[i]);
			return (-1);
		}
	}
	for (i = 0; i < ev->nparams; i++) {
		if (tmpl_builtin_var(ev->params[i].name)) {
			xasprintf(cause, "params.%s: filled by civicast, not "
			    "by the event", ev->params[i].name);
			return (-1);
		}
		for (j = 0; j < t->nvars; j++) {
			if (strcmp(t->vars[j], ev->params[i].name) == 0)
				break;
		}
		if (j == t->nvars) {
			xasprintf(cause, "params.%s: not used by template %s",
			    ev->params[i].name, t->name);
			return (-1);
		}
	}
	return (0);
}

/* Check the times against each other and the clock. */
static int
broadcast_check_times(const struct broadcast *ev, time_t now, char **cause)
{
	char	buf[64];

	if (ev->sent > now && ev->sent - now > BROADCAST_CLOCK_SKEW) {
		xasprintf(cause, "sent: more than %d s in the future",
		    BROADCAST_CLOCK_SKEW);
		return (-1);
	}
	if (ev->kind == BROADCAST_CANCEL)
		return (0);
	if (ev->expires <= now) {
		xasprintf(cause, "expires: %s is in the past",
		    broadcast_time_format(ev->expires, buf, sizeof buf));
		return (-1);
	}
	if (ev->expires <= ev->sent) {
		xasprintf(cause, "expires: not after sent");
		return (-1);
	}
	if (ev->expires - ev->sent > BROADCAST_MAX_LIFETIME) {
		xasprintf(cause, "expires: more than %d days after sent",
		    BROADCAST_MAX_LIFETIME / 86400);
		return (-1);
	}
	if (ev->not_before != 0 && ev->not_before > ev->expires) {
		xasprintf(cause, "not_before: after expires");
		return (-1);
	}
	if (ev->not_before != 0 && ev->not_before == ev->expires) {
		xasprintf(cause, "not_before: equal to expires");
		return (-1);
	}
	return (0);
}

/* Check a parsed event against conf, districts, templates and now. */
int
broadcast_check(const struct broadcast *ev, const struct conf *conf,
    const struct district_table *dt, const struct tmpl_set *ts, time_t now,
    char **cause)
{
	const struct tmpl	*t;

	*cause = NULL;
	if (conf_department_find(conf, ev->department) == NULL) {
		xasprintf(cause, "department: unknown department '%s'",
		    ev->department);
		return (-1);
	}
	if (broadcast_check_times(ev, now, cause) != 0)
		return (-1);
	if (ev->kind == BROADCAST_CANCEL)
		return (0);
	if ((t = tmpl_find(ts, ev->template)) == NULL) {
		xasprintf(cause, "template: unknown template '%s'",
		    ev->template);
		return (-1);
	}
	if (broadcast_check_params(ev, t, cause) != 0)
		return (-1);
	return (broadcast_check_audience(ev, conf, dt, cause));
}

/* The value of a parameter, or NULL. */
const char *
broadcast_param(const struct broadcast *ev, const char *name)
{
	size_t	i;

	for (i = 0; i < ev->nparams; i++) {
		if (strcmp(ev->params[i].name, name) == 0)
			return (ev->params[i].value);
	}
	return (NULL);
}

/* Free what ev holds (not ev itself). */
void
broadcast_free(struct broadcast *ev)
{
	size_t	i;

	free(ev->id);
	free(ev->department);
	free(ev->references);
	free(ev->category);
	free(ev->publisher);
	free(ev->template);
	for (i = 0; i < ev->nparams; i++) {
		free(ev->params[i].name);
		free(ev->params[i].value);
	}
	free(ev->params);
	audience_query_free(&ev->audience);
	memset(ev, 0, sizeof *ev);
}
