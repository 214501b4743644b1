/*
 * audience.c: build and check an audience query (pure).
 */
#include "compat.h"

#include <stdlib.h>
#include <string.h>

#include "audience.h"
#include "conf.h"
#include "util.h"
#include "xmalloc.h"

/* Check and dedupe a list of district codes; -1 with cause. */
static int
audience_districts(const struct district_table *dt, const char *what,
    const char *list, char ***out, size_t *nout, char **cause)
{
	char		**v;
	const char	 *why;
	size_t		  n, i, j, k;

	*out = NULL;
	*nout = 0;
	if (list == NULL)
		return (0);
	n = util_split(list, ",;| ", &v);
	if (n > AUDIENCE_MAX_ITEMS) {
		xasprintf(cause, "%s: more than %d codes", what,
		    AUDIENCE_MAX_ITEMS);
		util_split_free(v, n);
		return (-1);
	}
	for (i = k = 0; i < n; i++) {
		if (!district_shape_ok(v[i])) {
			xasprintf(cause, "%s: '%.20s' is not a district code "
			    "of 2, 4, 6, 9 or 12 digits", what, v[i]);
			util_split_free(v, n);
			return (-1);
		}
		if (district_check(dt, v[i], &why) != 0) {
			xasprintf(cause, "%s: %s: %s", what, v[i], why);
			util_split_free(v, n);
			return (-1);
		}
		for (j = 0; j < k; j++) {
			if (strcmp(v[j], v[i]) == 0)
				break;
		}
		if (j < k) {
			free(v[i]);
			continue;
		}
		v[k++] = v[i];
	}
	*out = v;
	*nout = k;
	return (0);
}

/* Fill q from typed lists, checking groups and districts; -1 with cause. */
int
audience_query_make(struct audience_query *q, const struct conf *conf,
    const struct district_table *dt, const char *groups, const char *match,
    const char *districts, const char *exclude, char **cause)
{
	const struct conf_group	 *g;
	char			**v;
	size_t			  n, i, j;

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
	if (groups != NULL && strspn(groups, " \t") != strlen(groups) &&
	    strcmp(groups, "*") != 0) {
		n = util_split(groups, ",;|", &v);
		if (n > AUDIENCE_MAX_ITEMS) {
			xasprintf(cause, "groups: more than %d",
			    AUDIENCE_MAX_ITEMS);
			util_split_free(v, n);
			return (-1);
		}
		q->groups = xcalloc(n + 1, sizeof *q->groups);
		for (i = 0; i < n; i++) {
			g = conf_group_find(conf, v[i]);
			for (j = 0; g == NULL && j < conf->ngroups; j++) {
				if (strcmp(conf->groups[j].name, v[i]) == 0)
					g = &conf->groups[j];
			}
			if (g == NULL) {
				if (util_utf8_clean(v[i]) && strlen(v[i]) < 64)
					xasprintf(cause, "groups: unknown group "
					    "'%s'", v[i]);
				else
					xasprintf(cause, "groups: unknown group");
				util_split_free(v, n);
				audience_query_free(q);
				return (-1);
			}
			for (j = 0; j < q->ngroups; j++) {
				if (strcmp(q->groups[j], g->id) == 0)
					break;
			}
			if (j == q->ngroups)
				q->groups[q->ngroups++] = xstrdup(g->id);
		}
		util_split_free(v, n);
	}
	if (audience_districts(dt, "districts", districts, &q->districts,
	    &q->ndistricts, cause) != 0 ||
	    audience_districts(dt, "exclude-districts", exclude, &q->exclude,
	    &q->nexclude, cause) != 0) {
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
