/*
 * audience.c: build and check an audience query (pure).
 */
#include "compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audience.h"
#include "conf.h"
#include "util.h"
#include "xmalloc.h"

/* Check and dedupe a list of district codes in place; -1 with cause. */
static int
audience_check_districts(const struct district_table *dt, const char *what,
    char **v, size_t *n, char **cause)
{
	const char	*why;
	size_t		 i, j, k;

	if (*n > AUDIENCE_MAX_ITEMS) {
		xasprintf(cause, "%s: more than %d codes", what,
		    AUDIENCE_MAX_ITEMS);
		return (-1);
	}
	for (i = k = 0; i < *n; i++) {
		if (!district_shape_ok(v[i])) {
			xasprintf(cause, "%s: '%.20s' is not a district code "
			    "of 2, 4, 6, 9 or 12 digits", what, v[i]);
			return (-1);
		}
		if (district_check(dt, v[i], &why) != 0) {
			xasprintf(cause, "%s: %s: %s", what, v[i], why);
			return (-1);
		}
		for (j = 0; j < k; j++) {
			if (strcmp(v[j], v[i]) == 0)
				break;
		}
		if (j < k) {
			free(v[i]);
			v[i] = NULL;
			continue;
		}
		v[k++] = v[i];
	}
	*n = k;
	return (0);
}

/* Check a query's lists (groups to ids, districts known); -1 with cause. */
int
audience_query_check(struct audience_query *q, const struct conf *conf,
    const struct district_table *dt, const char *prefix, char **cause)
{
	const struct conf_group	*g;
	char			 what[64];
	size_t			 i, j, k;

	if (q->ngroups > AUDIENCE_MAX_ITEMS) {
		xasprintf(cause, "%sgroups: more than %d", prefix,
		    AUDIENCE_MAX_ITEMS);
		return (-1);
	}
	for (i = k = 0; i < q->ngroups; i++) {
		g = conf_group_find(conf, q->groups[i]);
		for (j = 0; g == NULL && j < conf->ngroups; j++) {
			/* Lists typed by people carry display names too. */
			if (strcmp(conf->groups[j].name, q->groups[i]) == 0)
				g = &conf->groups[j];
		}
		if (g == NULL) {
			if (util_utf8_clean(q->groups[i]) &&
			    strlen(q->groups[i]) < 64)
				xasprintf(cause, "%sgroups: unknown group '%s'",
				    prefix, q->groups[i]);
			else
				xasprintf(cause, "%sgroups: unknown group",
				    prefix);
			return (-1);
		}
		for (j = 0; j < k; j++) {
			if (strcmp(q->groups[j], g->id) == 0)
				break;
		}
		free(q->groups[i]);
		q->groups[i] = NULL;
		if (j == k)
			q->groups[k++] = xstrdup(g->id);
	}
	q->ngroups = k;
	snprintf(what, sizeof what, "%sdistricts", prefix);
	if (audience_check_districts(dt, what, q->districts, &q->ndistricts,
	    cause) != 0)
		return (-1);
	snprintf(what, sizeof what, "%sexclude_districts", prefix);
	return (audience_check_districts(dt, what, q->exclude, &q->nexclude,
	    cause));
}

/* Fill q from typed lists, checking groups and districts; -1 with cause. */
int
audience_query_make(struct audience_query *q, const struct conf *conf,
    const struct district_table *dt, const char *groups, const char *match,
    const char *districts, const char *exclude, char **cause)
{
	memset(q, 0, sizeof *q);
	if (match == NULL || strcmp(match, "any") == 0)
		q->match_all = 0;
	else if (strcmp(match, "all") == 0)
		q->match_all = 1;
	else {
		xasprintf(cause, "match: must be 'any' or 'all'");
		return (-1);
	}
	/* No groups, or "*": every registered resident (area-wide). */
	if (groups != NULL && strcmp(groups, "*") != 0)
		q->ngroups = util_split(groups, ",;|", &q->groups);
	if (districts != NULL)
		q->ndistricts = util_split(districts, ",;| ", &q->districts);
	if (exclude != NULL)
		q->nexclude = util_split(exclude, ",;| ", &q->exclude);
	if (audience_query_check(q, conf, dt, "", cause) != 0) {
		audience_query_free(q);
		return (-1);
	}
	return (0);
}

/* Free the lists of a query. */
void
audience_query_free(struct audience_query *q)
{
	util_split_free(q->groups, q->ngroups);
	util_split_free(q->districts, q->ndistricts);
	util_split_free(q->exclude, q->nexclude);
	memset(q, 0, sizeof *q);
}

/* Free the breakdowns of a result. */
void
audience_result_free(struct audience_result *r)
{
	size_t	i;

	for (i = 0; i < r->nby_district; i++)
		free(r->by_district[i].key);
	for (i = 0; i < r->nby_group; i++)
		free(r->by_group[i].key);
	free(r->by_district);
	free(r->by_group);
	memset(r, 0, sizeof *r);
}
