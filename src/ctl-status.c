/*
 * ctl-status.c: civicast status, civicast audit list.
 */
#include "compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <jansson.h>

#include "audit.h"
#include "conf.h"
#include "ctl.h"
#include "rblock.h"
#include "registry.h"
#include "util.h"

static int	status_show(struct ctl *, const struct cmdline_args *);
static int	audit_show(struct ctl *, const struct cmdline_args *);

static const struct cmdline_opt audit_opts[] = {
	{ "count", 'n', "N", CMDLINE_NUMBER, 1, 100000,
	  "the newest N entries (default 20)" },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

/* The status and audit command families. */
const struct ctl_cmd ctl_status_cmds[] = {
	{ "status", NULL, NULL, NULL, 0, 0, CTL_JSON,
	  "show the daemons sharing this Redis and the registry's size",
	  status_show },
	{ "audit", "list", audit_opts, NULL, 0, 0, CTL_JSON,
	  "show the newest entries of the audit stream", audit_show },
	{ NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL }
};

static long long
status_hlen(struct ctl *ctl, const char *key)
{
	struct registry	*reg = ctl_registry(ctl);
	redisReply	*r;
	char		*cause;
	long long	 n;

	r = redisCommand(reg->c, "HLEN %s%s", reg->prefix, key);
	if (rblock_check(reg->c, r, &cause) != 0)
		ctl_redis_fail(ctl, cause);
	n = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
	freeReplyObject(r);
	return (n);
}

static int
status_show(struct ctl *ctl, const struct cmdline_args *a)
{
	struct registry	*reg;
	redisReply	*r, *v;
	json_t		*daemons, *d;
	json_error_t	 jerr;
	long long	 residents, seen;
	char		*cause, when[40];
	size_t		 i;
	time_t		 now = time(NULL);

	reg = ctl_registry(ctl);
	if (registry_total(reg, &residents, &cause) != 0)
		ctl_redis_fail(ctl, cause);
	r = redisCommand(reg->c, "ZRANGE %sdaemons 0 -1 WITHSCORES",
	    reg->prefix);
	if (rblock_check(reg->c, r, &cause) != 0)
		ctl_redis_fail(ctl, cause);
	daemons = json_array();
	for (i = 0; i + 1 < r->elements; i += 2) {
		seen = strtoll(r->element[i + 1]->str, NULL, 10);
		v = redisCommand(reg->c, "GET %sdaemon:%s", reg->prefix,
		    r->element[i]->str);
		if (rblock_check(reg->c, v, &cause) != 0)
			ctl_redis_fail(ctl, cause);
		d = NULL;
		if (v->type == REDIS_REPLY_STRING)
			d = json_loads(v->str, 0, &jerr);
		if (d == NULL)
			d = json_pack("{s:s, s:s}", "instance",
			    r->element[i]->str, "state", "gone");
		json_object_set_new(d, "last_seen", json_integer(seen));
		json_array_append_new(daemons, d);
		freeReplyObject(v);
	}
	freeReplyObject(r);
	if (ctl->json) {
		ctl_json_print(json_pack("{s:s, s:o, s:I, s:I, s:I}",
		    "redis", rblock_where(ctl->conf), "daemons", daemons,
		    "residents", (json_int_t)residents,
		    "opted_out_phones", (json_int_t)status_hlen(ctl, "optout"),
		    "imported_districts",
		    (json_int_t)status_hlen(ctl, "districts")));
		return (CTL_OK);
	}
	printf("redis:     %s (prefix %s)\n", rblock_where(ctl->conf), reg->prefix);
	printf("residents: %lld\n", residents);
	printf("opt-outs:  %lld phones\n", status_hlen(ctl, "optout"));
	printf("districts: %lld imported\n", status_hlen(ctl, "districts"));
	if (json_array_size(daemons) == 0)
		printf("daemons:   none running\n");
	for (i = 0; i < json_array_size(daemons); i++) {
		d = json_array_get(daemons, i);
		seen = json_integer_value(json_object_get(d, "last_seen"));
		util_time_iso((time_t)seen, when, sizeof when);
		printf("daemon:    %s %s pid %lld %s (seen %llds ago, %s)\n",
		    json_string_value(json_object_get(d, "instance")),
		    json_string_value(json_object_get(d, "host")) != NULL ?
		    json_string_value(json_object_get(d, "host")) : "-",
		    (long long)json_integer_value(json_object_get(d, "pid")),
		    json_string_value(json_object_get(d, "state")),
		    (long long)(now - seen), when);
	}
	json_decref(daemons);
	return (CTL_OK);
}

struct audit_print {
	json_t	*arr;
};

static void
audit_print1(void *arg, const struct audit_entry *e)
{
	struct audit_print	*p = arg;
	json_t			*o;
	char			 when[40];
	size_t			 i;

	util_time_iso((time_t)(strtoll(e->id, NULL, 10) / 1000), when,
	    sizeof when);
	if (p->arr != NULL) {
		o = json_pack("{s:s, s:s}", "id", e->id, "time", when);
		for (i = 0; i + 1 < e->nfields; i += 2)
			json_object_set_new(o, e->fields[i],
			    json_string(e->fields[i + 1]));
		json_array_append_new(p->arr, o);
		return;
	}
	printf("%s", when);
	for (i = 0; i + 1 < e->nfields; i += 2) {
		/* An import batch names hundreds of residents: --json has all. */
		if (strlen(e->fields[i + 1]) > 72)
			printf(" %s=%.60s...", e->fields[i], e->fields[i + 1]);
		else
			printf(" %s=%s", e->fields[i], e->fields[i + 1]);
	}
	printf("\n");
}

static int
audit_show(struct ctl *ctl, const struct cmdline_args *a)
{
	struct audit_print	 p;
	struct registry		*reg;
	char			*cause;
	size_t			 count;

	count = (size_t)cmdline_number(a, "count", 20);
	reg = ctl_registry(ctl);
	p.arr = ctl->json ? json_array() : NULL;
	if (audit_list(reg->c, reg->prefix, count, audit_print1, &p,
	    &cause) != 0)
		ctl_redis_fail(ctl, cause);
	if (p.arr != NULL)
		ctl_json_print(p.arr);
	return (CTL_OK);
}
