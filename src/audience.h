/*
 * audience.h: who a message reaches (pure part: the query and its checks).
 *
 * A resident matches when in the groups (any of them, or all with
 * match=all; no groups means everyone) and inside one of the districts
 * (by prefix; none means everywhere) and outside every excluded one.
 * The audience is the set of distinct phones of matching residents,
 * minus opted-out phones unless opt-outs are ignored (emergencies).
 */
#ifndef CIVICAST_AUDIENCE_H
#define CIVICAST_AUDIENCE_H

#include <stddef.h>

#include "district.h"

#define AUDIENCE_MAX_ITEMS	256

struct conf;

struct audience_query {
	int		  match_all;	/* 0: any group, 1: all groups */
	int		  ignore_optout;
	char		**groups;	/* group ids; none: every resident */
	size_t		  ngroups;
	char		**districts;	/* codes; none: everywhere */
	size_t		  ndistricts;
	char		**exclude;
	size_t		  nexclude;
};

struct audience_count {
	char		 *key;		/* district code or group id */
	long long	  phones;
};

struct audience_result {
	long long		 residents;	/* matched, before opt-outs */
	long long		 optedout;	/* residents dropped by opt-outs */
	long long		 phones;	/* the audience: distinct phones */
	struct audience_count	*by_district;
	size_t			 nby_district;
	struct audience_count	*by_group;
	size_t			 nby_group;
};

/*
 * Fill q from typed lists ("elderly,disabled" or "*"; "330683,3306"),
 * checking every group against conf and every district against the
 * table; match is "any" or "all" (NULL: any).  -1 with cause.
 */
int	 audience_query_make(struct audience_query *q, const struct conf *,
	    const struct district_table *, const char *groups,
	    const char *match, const char *districts, const char *exclude,
	    char **cause);
/*
 * Check a query whose lists were filled as given (an event's audience):
 * every group configured, every district known, list sizes; group
 * display names are replaced by ids, and duplicates dropped.  -1 with
 * *cause naming the list ("audience.groups: unknown group 'x'").
 */
int	 audience_query_check(struct audience_query *q, const struct conf *,
	    const struct district_table *, const char *prefix, char **cause);
/* Free the lists of a query. */
void	 audience_query_free(struct audience_query *);
/* Free the breakdowns of a result. */
void	 audience_result_free(struct audience_result *);

#endif
