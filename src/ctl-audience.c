/*
 * ctl-audience.c: civicast audience count.
 */
#include "compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audience.h"
#include "conf.h"
#include "ctl.h"
#include "district.h"
#include "registry.h"

static int	audience_count(struct ctl *, const struct cmdline_args *);

static const struct cmdline_opt audience_count_opts[] = {
	CTL_AUDIENCE_OPTS,
	{ "ignore-optout", 0, NULL, 0, 0, 0,
	  "count opted-out phones too (as emergency warnings reach them)" },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

/* The audience command family. */
const struct ctl_cmd ctl_audience_cmds[] = {
	{ "audience", "count", audience_count_opts, NULL, 0, 0, CTL_JSON,
	  "count the distinct phones a message would reach", audience_count },
	{ NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL }
};

/* The query from the audience options; exits 2 with the reason when bad. */
void
ctl_audience_query(struct ctl *ctl, const struct cmdline_args *a,
    struct audience_query *q)
{
	struct district_table	*dt;
	char			*cause;

	/*
	 * ctl_districts() loads ctl->conf: call it before reading ctl->conf,
	 * not beside it in the argument list, whose order C leaves open
	 * (clang reads ctl->conf first, still NULL).
	 */
	dt = ctl_districts(ctl);
	if (audience_query_make(q, ctl_conf(ctl), dt,
	    cmdline_string(a, "groups", NULL), cmdline_string(a, "match", NULL),
	    cmdline_string(a, "districts", NULL),
	    cmdline_string(a, "exclude-districts", NULL), &cause) != 0) {
		ctl_warnx("%s", cause);
		free(cause);
		exit(CTL_USAGE);
	}
}

static json_t *
audience_breakdown(const struct audience_count *c, size_t n)
{
	json_t	*o = json_object();
	size_t	 i;

	for (i = 0; i < n; i++)
		json_object_set_new(o, c[i].key, json_integer(c[i].phones));
	return (o);
}

static int
audience_count(struct ctl *ctl, const struct cmdline_args *a)
{
	const struct district	*d;
	const struct conf_group	*g;
	struct audience_query	 q;
	struct audience_result	 res;
	struct district_table	*dt;
	char			*cause;
	size_t			 i;
	int			 ignore = cmdline_given(a, "ignore-optout");

	ctl_audience_query(ctl, a, &q);
	q.ignore_optout = ignore;
	dt = ctl_districts(ctl);
	if (registry_count(ctl_registry(ctl), &q, &res, &cause) != 0)
		ctl_redis_fail(ctl, cause);

	if (ctl->json) {
		ctl_json_print(json_pack("{s:I, s:I, s:I, s:b, s:o, s:o}",
		    "phones", (json_int_t)res.phones,
		    "residents", (json_int_t)res.residents,
		    "opted_out", (json_int_t)res.optedout,
		    "opt_outs_applied", !ignore,
		    "by_district", audience_breakdown(res.by_district,
		    res.nby_district),
		    "by_group", audience_breakdown(res.by_group,
		    res.nby_group)));
	} else {
		printf("%lld phones", res.phones);
		printf(" (%lld residents matched", res.residents);
		if (!ignore)
			printf(", %lld dropped by opt-outs", res.optedout);
		printf(")\n");
		for (i = 0; i < res.nby_district; i++) {
			d = district_find(dt, res.by_district[i].key);
			printf("  district %-12s %-16s %lld\n",
			    res.by_district[i].key, d != NULL ? d->name : "",
			    res.by_district[i].phones);
		}
		for (i = 0; i < res.nby_group; i++) {
			g = conf_group_find(ctl->conf, res.by_group[i].key);
			printf("  group    %-12s %-16s %lld\n",
			    res.by_group[i].key, g != NULL ? g->name : "",
			    res.by_group[i].phones);
		}
	}
	audience_result_free(&res);
	audience_query_free(&q);
	return (CTL_OK);
}
