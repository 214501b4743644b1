/*
 * ctl-purge.c: civicast event purge, retention at once: the message
 * records of finished events are removed, their counts and reach kept.
 */
#include "compat.h"

#include <stdio.h>
#include <stdlib.h>

#include <hiredis/hiredis.h>
#include <jansson.h>

#include "audit.h"
#include "conf.h"
#include "ctl.h"
#include "rblock.h"
#include "registry.h"
#include "retention.h"
#include "util.h"
#include "xmalloc.h"


static int	purge_run(struct ctl *, const struct cmdline_args *);

static const struct cmdline_opt purge_opts[] = {
	{ "older-than", 0, "DAYS", CMDLINE_NUMBER, 0, 3650,
	  "events accepted more than DAYS ago (default: retention_days)" },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

/* The event purge command. */
const struct ctl_cmd ctl_purge_cmds[] = {
	{ "event", "purge", purge_opts, NULL, 0, 0, CTL_JSON,
	  "remove the message records of finished events accepted more than "
	  "DAYS ago (default: retention_days); their counts stay",
	  purge_run },
	{ NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL }
};

#define PURGE_DAY_MS	86400000LL

static int
purge_run(struct ctl *ctl, const struct cmdline_args *a)
{
	struct registry		*reg;
	unsigned long		 events = 0, messages = 0;
	char			*cause, *why = NULL, days_s[16];
	char			 events_s[24], messages_s[24];
	long long		 days;
	int			 rc;

	days = cmdline_number(a, "older-than", -1);
	if (days == -1)
		days = ctl_conf(ctl)->retention_days;
	reg = ctl_registry(ctl);
	rc = retention_purge_sync(reg->c, reg->prefix,
	    util_now_ms() - days * PURGE_DAY_MS, !ctl->json, &events,
	    &messages, &why);
	/* What was removed is audited, a run cut short included. */
	snprintf(days_s, sizeof days_s, "%lld", days);
	snprintf(events_s, sizeof events_s, "%lu", events);
	snprintf(messages_s, sizeof messages_s, "%lu", messages);
	if (audit_append(reg->c, reg->prefix, reg->user, "purge", &cause,
	    "older_than_days", days_s, "events", events_s, "messages",
	    messages_s, "result", rc == 0 ? "done" : "interrupted",
	    NULL) != 0) {
		free(why);
		ctl_redis_fail(ctl, cause);
	}
	if (rc != 0) {
		ctl_warnx("purge interrupted after %lu message records of %lu "
		    "events (run it again to finish)", messages, events);
		ctl_redis_fail(ctl, why);
	}
	if (ctl->json)
		ctl_json_print(json_pack("{s:I, s:I, s:I}", "older_than_days",
		    (json_int_t)days, "events", (json_int_t)events, "messages",
		    (json_int_t)messages));
	else
		printf("purged %lu message records of %lu events\n", messages,
		    events);
	return (CTL_OK);
}
