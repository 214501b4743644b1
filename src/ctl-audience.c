/*
 * ctl-audience.c: civicast audience count.
 */
#include "compat.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audience.h"
#include "conf.h"
#include "ctl.h"
#include "district.h"
#include "registry.h"

static int	audience_count(struct ctl *, int, char **);

/* The audience command family. */
const struct ctl_cmd ctl_audience_cmds[] = {
	{ "audience", "count",
	  "[--groups G1,G2|*] [--match any|all] [--districts D1,D2] "
	  "[--exclude-districts D3,..] [--ignore-optout] [--json]",
	  "count the distinct phones a message would reach", audience_count },
	{ NULL, NULL, NULL, NULL, NULL }
};

/* Keep option ch in a when it is an audience option; 1 when it was. */
int
ctl_audience_opt(int ch, struct ctl_audience *a)
{
	switch (ch) {
	case 'g':
		a->groups = optarg;
		return (1);
	case 'm':
		a->match = optarg;
		return (1);
	case 'd':
		a->districts = optarg;
		return (1);
	case 'x':
		a->exclude = optarg;
		return (1);
	}
	return (0);
}

/* The query from a's options; exits 2 with the reason when they are bad. */
void
ctl_audience_query(struct ctl *ctl, const struct ctl_audience *a,
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
	if (audience_query_make(q, ctl_conf(ctl), dt, a->groups,
	    a->match, a->districts, a->exclude, &cause) != 0) {
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
audience_count(struct ctl *ctl, int argc, char **argv)
{
	static const struct option lo[] = {
		CTL_AUDIENCE_OPTIONS,
		{ "ignore-optout", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const struct ctl_cmd	*cmd = &ctl_audience_cmds[0];
	const struct district	*d;
	const struct conf_group	*g;
	struct ctl_audience	 a = { NULL, NULL, NULL, NULL };
	struct audience_query	 q;
	struct audience_result	 res;
	struct district_table	*dt;
	char			*cause;
	size_t			 i;
	int			 ch, ignore = 0;

	while ((ch = ctl_getopt(cmd, argc, argv, "h", lo)) != -1) {
		if (!ctl_audience_opt(ch, &a) && ch == 'o')
			ignore = 1;
	}
	ctl_nargs(cmd, argc - optind, 0, 0);
	ctl_audience_query(ctl, &a, &q);
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
