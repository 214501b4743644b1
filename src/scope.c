/*
 * scope.c: what a department may publish.
 */
#include "compat.h"

#include <stdlib.h>
#include <string.h>

#include "broadcast.h"
#include "conf.h"
#include "scope.h"
#include "xmalloc.h"

static int
scope_any(char **list, size_t n)
{
	return (n == 0 || (n == 1 && strcmp(list[0], "*") == 0));
}

static int
scope_has(char **list, size_t n, const char *s)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (strcmp(list[i], s) == 0)
			return (1);
	}
	return (0);
}

/* The id of a group named by id or display name, or NULL. */
static const char *
scope_group_id(const struct conf *conf, const char *g)
{
	const struct conf_group	*cg;
	size_t			 i;

	if ((cg = conf_group_find(conf, g)) != NULL)
		return (cg->id);
	for (i = 0; i < conf->ngroups; i++) {
		if (strcmp(conf->groups[i].name, g) == 0)
			return (conf->groups[i].id);
	}
	return (NULL);
}

/* 0 when the department may send the event; -1 with cause. */
int
scope_check(const struct broadcast *ev, const struct conf *conf,
    const struct conf_department *d, char **cause)
{
	const struct audience_query	*q = &ev->audience;
	const char			*id;
	size_t				 i, j;

	if ((d->priorities & PRIO_BIT(ev->priority)) == 0) {
		xasprintf(cause, "scope: department %s may not send %s "
		    "messages (departments.[].priorities)", d->id,
		    conf_prio_name(ev->priority));
		return (-1);
	}
	if (ev->kind == BROADCAST_CANCEL)
		return (0);
	if (d->ntemplates > 0 && !scope_has(d->templates, d->ntemplates,
	    ev->template)) {
		xasprintf(cause, "scope: department %s may not use template "
		    "'%s' (departments.[].templates)", d->id, ev->template);
		return (-1);
	}
	if (!scope_any(d->groups, d->ngroups)) {
		/* Everyone in the districts includes groups it may not reach. */
		if (q->ngroups == 0) {
			xasprintf(cause, "scope: department %s may not send to "
			    "every resident (no audience.groups); it may "
			    "reach only its groups (departments.[].groups)",
			    d->id);
			return (-1);
		}
		for (i = 0; i < q->ngroups; i++) {
			id = scope_group_id(conf, q->groups[i]);
			if (id == NULL || !scope_has(d->groups, d->ngroups,
			    id)) {
				xasprintf(cause, "scope: department %s may not "
				    "reach group '%s' (departments.[].groups)",
				    d->id, q->groups[i]);
				return (-1);
			}
		}
	}
	if (!scope_any(d->districts, d->ndistricts)) {
		for (i = 0; i < q->ndistricts; i++) {
			for (j = 0; j < d->ndistricts; j++) {
				if (strncmp(q->districts[i], d->districts[j],
				    strlen(d->districts[j])) == 0)
					break;
			}
			if (j == d->ndistricts) {
				xasprintf(cause, "scope: department %s may not "
				    "reach district %s (departments.[]."
				    "districts)", d->id, q->districts[i]);
				return (-1);
			}
		}
	}
	return (0);
}
