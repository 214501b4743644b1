/*
 * ctl-event.c: civicast publish, civicast event list|status|cancel|watch.
 */
#include "compat.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <jansson.h>

#include "audit.h"
#include "conf.h"
#include "ctl.h"
#include "rblock.h"
#include "registry.h"
#include "script.h"
#include "util.h"
#include "xmalloc.h"


static int	event_list(struct ctl *, const struct cmdline_args *);
static int	event_status(struct ctl *, const struct cmdline_args *);
static int	event_cancel(struct ctl *, const struct cmdline_args *);
static int	event_watch(struct ctl *, const struct cmdline_args *);
static int	event_approve(struct ctl *, const struct cmdline_args *);
static redisReply *event_outbox_eval(struct ctl *, const char *, int,
		    const char **);

/* --department D: which department's event ID is, when several use it. */
#define EVENT_DEPT_OPT \
	{ "department", 0, "D", 0, 0, 0, \
	  "the department whose event ID is meant (when several use it)" }

static const struct cmdline_opt event_list_opts[] = {
	{ "department", 0, "D", 0, 0, 0, "only this department's events" },
	{ "limit", 0, "N", CMDLINE_NUMBER, 1, 10000,
	  "the newest N events (default 20)" },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

static const struct cmdline_opt event_id_opts[] = {
	EVENT_DEPT_OPT,
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

static const struct cmdline_opt event_reject_opts[] = {
	EVENT_DEPT_OPT,
	{ "reason", 0, "TEXT", CMDLINE_REQUIRED, 0, 0,
	  "why, for the publisher and the audit stream" },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

/* The event command family. */
const struct ctl_cmd ctl_event_cmds[] = {
	{ "event", "list", event_list_opts, NULL, 0, 0, CTL_JSON,
	  "list the newest events and their progress", event_list },
	{ "event", "status", event_id_opts, "ID", 1, 1, CTL_JSON,
	  "an event's messages by state, and its reach by district and group",
	  event_status },
	{ "event", "cancel", event_id_opts, "ID", 1, 1, 0,
	  "stop every message of an event not yet handed to a channel",
	  event_cancel },
	{ "event", "watch", event_id_opts, "ID", 1, 1, 0,
	  "follow an event's progress until it is done", event_watch },
	{ "event", "approve", event_id_opts, "ID", 1, 1, 0,
	  "approve an event waiting for a second operator (not its publisher)",
	  event_approve },
	{ "event", "reject", event_reject_opts, "ID", 1, 1, 0,
	  "turn down an event waiting for approval (not by its publisher)",
	  event_approve },
	{ NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL }
};

static const char *event_states[] = {
	"queued", "sending", "sent", "delivered", "failed", "expired",
	"cancelled", "unknown"
};

/* An id as a MATCH pattern that matches only itself. */
static char *
event_glob_escape(const char *id)
{
	char	*out, *p;

	out = p = xcalloc(2 * strlen(id) + 1, 1);
	for (; *id != '\0'; id++) {
		if (strchr("*?[]\\", *id) != NULL)
			*p++ = '\\';
		*p++ = *id;
	}
	return (out);
}

/* The event number of ID ("dept/id", or id with --department); 0: none. */
static long long
event_find(struct ctl *ctl, const char *dept, const char *id)
{
	struct registry	*reg = ctl_registry(ctl);
	redisReply	*r;
	char		*cause, *key = NULL, cursor[32] = "0", *pattern;
	long long	 e = 0;
	size_t		 i, found = 0;

	if (dept != NULL)
		xasprintf(&key, "%s/%s", dept, id);
	else if (strchr(id, '/') != NULL)
		key = xstrdup(id);
	if (key != NULL) {
		r = redisCommand(reg->c, "HGET %sev:ids %s", reg->prefix, key);
		free(key);
		if (rblock_check(reg->c, r, &cause) != 0)
			ctl_redis_fail(ctl, cause);
		if (r->type == REDIS_REPLY_STRING)
			e = strtoll(r->str, NULL, 10);
		freeReplyObject(r);
		return (e);
	}
	/* An id alone: look through every department's. */
	pattern = event_glob_escape(id);
	do {
		r = redisCommand(reg->c, "HSCAN %sev:ids %s MATCH */%s "
		    "COUNT 1000", reg->prefix, cursor, pattern);
		if (rblock_check(reg->c, r, &cause) != 0)
			ctl_redis_fail(ctl, cause);
		strlcpy(cursor, r->element[0]->str, sizeof cursor);
		for (i = 0; i + 1 < r->element[1]->elements; i += 2) {
			e = strtoll(r->element[1]->element[i + 1]->str, NULL,
			    10);
			found++;
		}
		freeReplyObject(r);
	} while (strcmp(cursor, "0") != 0);
	free(pattern);
	if (found > 1) {
		ctl_warnx("event %s: several departments use this id; give "
		    "--department or DEPT/ID", id);
		exit(CTL_USAGE);
	}
	return (e);
}

/* An event's hash as a JSON object (counters as integers). */
static json_t *
event_load(struct ctl *ctl, long long e)
{
	struct registry	*reg = ctl_registry(ctl);
	redisReply	*r;
	json_t		*o;
	char		*cause;
	const char	*k, *v;
	size_t		 i;

	r = redisCommand(reg->c, "HGETALL %sev:%lld", reg->prefix, e);
	if (rblock_check(reg->c, r, &cause) != 0)
		ctl_redis_fail(ctl, cause);
	if (r->elements == 0) {
		freeReplyObject(r);
		return (NULL);
	}
	o = json_object();
	json_object_set_new(o, "event", json_integer(e));
	for (i = 0; i + 1 < r->elements; i += 2) {
		k = r->element[i]->str;
		v = r->element[i + 1]->str;
		if (strcmp(k, "json") == 0 || strcmp(k, "sig") == 0 ||
		    strcmp(k, "text") == 0 || strcmp(k, "active") == 0 ||
		    strcmp(k, "cursor") == 0)
			continue;
		if (strncmp(k, "n:", 2) == 0 || strcmp(k, "targeted") == 0 ||
		    strcmp(k, "messages") == 0 || strcmp(k, "residents") == 0 ||
		    strcmp(k, "optedout") == 0 ||
		    strcmp(k, "duplicates") == 0 ||
		    strcmp(k, "accepted") == 0 || strcmp(k, "expires") == 0 ||
		    strcmp(k, "not_before") == 0 || strcmp(k, "stopped") == 0)
			json_object_set_new(o, k, json_integer(strtoll(v, NULL,
			    10)));
		else
			json_object_set_new(o, k, json_string(v));
	}
	freeReplyObject(r);
	return (o);
}

static long long
event_n(json_t *o, const char *state)
{
	char	key[32];

	snprintf(key, sizeof key, "n:%s", state);
	return (json_integer_value(json_object_get(o, key)));
}

/* Messages in a final state. */
static long long
event_finished(json_t *o)
{
	return (event_n(o, "sent") + event_n(o, "delivered") +
	    event_n(o, "failed") + event_n(o, "expired") +
	    event_n(o, "cancelled") + event_n(o, "unknown"));
}

static int
event_list(struct ctl *ctl, const struct cmdline_args *a)
{
	struct registry	*reg;
	redisReply	*r;
	json_t		*arr, *o;
	const char	*dept;
	char		*cause, when[40];
	long long	 limit;
	size_t		 i;

	dept = cmdline_string(a, "department", NULL);
	limit = cmdline_number(a, "limit", 20);
	reg = ctl_registry(ctl);
	r = redisCommand(reg->c, "ZREVRANGE %sevents:list 0 %lld",
	    reg->prefix, limit - 1);
	if (rblock_check(reg->c, r, &cause) != 0)
		ctl_redis_fail(ctl, cause);
	arr = json_array();
	for (i = 0; i < r->elements; i++) {
		o = event_load(ctl, strtoll(r->element[i]->str, NULL, 10));
		if (o == NULL)
			continue;
		if (dept != NULL && strcmp(dept, json_string_value(
		    json_object_get(o, "dept"))) != 0) {
			json_decref(o);
			continue;
		}
		json_array_append_new(arr, o);
	}
	freeReplyObject(r);
	if (ctl->json) {
		ctl_json_print(arr);
		return (CTL_OK);
	}
	if (json_array_size(arr) == 0)
		printf("no events\n");
	for (i = 0; i < json_array_size(arr); i++) {
		o = json_array_get(arr, i);
		util_time_iso((time_t)(json_integer_value(json_object_get(o,
		    "accepted")) / 1000), when, sizeof when);
		printf("%-5lld %s %-8s %-6s %-9s %-10s %lld/%lld sent, %lld "
		    "failed  %s/%s\n",
		    (long long)json_integer_value(json_object_get(o, "event")),
		    when, json_string_value(json_object_get(o, "kind")),
		    json_string_value(json_object_get(o, "priority")),
		    json_string_value(json_object_get(o, "state")),
		    json_string_value(json_object_get(o, "template")) != NULL ?
		    json_string_value(json_object_get(o, "template")) : "-",
		    event_n(o, "sent") + event_n(o, "delivered"),
		    (long long)json_integer_value(json_object_get(o,
		    "messages")), event_n(o, "failed"),
		    json_string_value(json_object_get(o, "dept")),
		    json_string_value(json_object_get(o, "id")));
	}
	json_decref(arr);
	return (CTL_OK);
}

/* The event that [--department D] ID names; exits 1 when there is none. */
static long long
event_arg(struct ctl *ctl, const struct cmdline_args *a)
{
	long long	 e;

	e = event_find(ctl, cmdline_string(a, "department", NULL), a->argv[0]);
	if (e == 0) {
		ctl_warnx("event %s: no such event", a->argv[0]);
		exit(CTL_FAIL);
	}
	return (e);
}

/* The reach hash as {district: {t,s,d}, ...} and {group: ...}. */
static void
event_reach(struct ctl *ctl, long long e, json_t *districts, json_t *groups)
{
	struct registry	*reg = ctl_registry(ctl);
	redisReply	*r;
	json_t		*into, *entry;
	const char	*k, *what;
	char		*cause, kind[16];
	size_t		 i;

	r = redisCommand(reg->c, "HGETALL %sev:%lld:reach", reg->prefix, e);
	if (rblock_check(reg->c, r, &cause) != 0)
		ctl_redis_fail(ctl, cause);
	for (i = 0; i + 1 < r->elements; i += 2) {
		/* "t:d:330683102": targeted, by district. */
		k = r->element[i]->str;
		if (strlen(k) < 5 || k[1] != ':' || k[3] != ':')
			continue;
		into = k[2] == 'd' ? districts : groups;
		what = k[0] == 't' ? "targeted" : k[0] == 's' ? "sent" :
		    "delivered";
		strlcpy(kind, what, sizeof kind);
		if ((entry = json_object_get(into, k + 4)) == NULL) {
			entry = json_pack("{s:i, s:i, s:i}", "targeted", 0,
			    "sent", 0, "delivered", 0);
			json_object_set_new(into, k + 4, entry);
		}
		json_object_set_new(entry, kind, json_integer(
		    strtoll(r->element[i + 1]->str, NULL, 10)));
	}
	freeReplyObject(r);
}

static void
event_reach_print(const char *title, json_t *t, struct ctl *ctl, int dist)
{
	const struct district	*d;
	const struct conf_group	*g;
	const char		*key, *name;
	json_t			*v;

	if (json_object_size(t) == 0)
		return;
	printf("%-28s %9s %9s %9s\n", title, "targeted", "sent", "delivered");
	json_object_foreach(t, key, v) {
		name = "";
		if (dist && (d = district_find(ctl_districts(ctl), key)) !=
		    NULL)
			name = d->name;
		if (!dist && (g = conf_group_find(ctl->conf, key)) != NULL)
			name = g->name;
		printf("  %-12s %-13s %9lld %9lld %9lld\n", key, name,
		    (long long)json_integer_value(json_object_get(v,
		    "targeted")),
		    (long long)json_integer_value(json_object_get(v, "sent")),
		    (long long)json_integer_value(json_object_get(v,
		    "delivered")));
	}
}

static int
event_status(struct ctl *ctl, const struct cmdline_args *a)
{
	json_t		*o, *districts, *groups, *counts;
	long long	 e;
	size_t		 i;

	e = event_arg(ctl, a);
	if ((o = event_load(ctl, e)) == NULL) {
		ctl_warnx("event %lld: gone", e);
		return (CTL_FAIL);
	}
	districts = json_object();
	groups = json_object();
	event_reach(ctl, e, districts, groups);
	if (ctl->json) {
		counts = json_object();
		for (i = 0; i < nitems(event_states); i++)
			json_object_set_new(counts, event_states[i],
			    json_integer(event_n(o, event_states[i])));
		json_object_set_new(o, "messages_by_state", counts);
		json_object_set_new(o, "reach_by_district", districts);
		json_object_set_new(o, "reach_by_group", groups);
		ctl_json_print(o);
		return (CTL_OK);
	}
	printf("event %lld: %s/%s, %s %s, %s\n", e,
	    json_string_value(json_object_get(o, "dept")),
	    json_string_value(json_object_get(o, "id")),
	    json_string_value(json_object_get(o, "priority")),
	    json_string_value(json_object_get(o, "kind")),
	    json_string_value(json_object_get(o, "state")));
	printf("targeted %lld phones, %lld messages:",
	    (long long)json_integer_value(json_object_get(o, "targeted")),
	    (long long)json_integer_value(json_object_get(o, "messages")));
	for (i = 0; i < nitems(event_states); i++) {
		if (event_n(o, event_states[i]) != 0)
			printf(" %s %lld", event_states[i],
			    event_n(o, event_states[i]));
	}
	printf("\n");
	if (json_is_string(json_object_get(o, "held")))
		printf("held: routine messages wait for the %s\n",
		    json_string_value(json_object_get(o, "held")));
	if (json_is_string(json_object_get(o, "review")))
		printf("review: %s (an emergency sent without approval)\n",
		    json_string_value(json_object_get(o, "review")));
	if (json_object_get(o, "duplicates") != NULL)
		printf("duplicates received: %lld\n",
		    (long long)json_integer_value(json_object_get(o,
		    "duplicates")));
	event_reach_print("by district", districts, ctl, 1);
	event_reach_print("by group", groups, ctl, 0);
	json_decref(districts);
	json_decref(groups);
	json_decref(o);
	return (CTL_OK);
}

static int
event_cancel(struct ctl *ctl, const struct cmdline_args *a)
{
	struct registry	*reg;
	redisReply	*r;
	json_t		*o;
	const char	*v[3];
	char		*cause, now[24];
	long long	 e;

	e = event_arg(ctl, a);
	reg = ctl_registry(ctl);
	if ((o = event_load(ctl, e)) == NULL) {
		ctl_warnx("event %lld: gone", e);
		return (CTL_FAIL);
	}
	snprintf(now, sizeof now, "%lld", util_now_ms());
	v[0] = json_string_value(json_object_get(o, "dept"));
	v[1] = json_string_value(json_object_get(o, "id"));
	v[2] = now;
	r = event_outbox_eval(ctl, "cancel", 3, v);
	if (audit_append(reg->c, reg->prefix, reg->user, "event-cancel",
	    &cause, "event", json_string_value(json_object_get(o, "id")),
	    "department", json_string_value(json_object_get(o, "dept")),
	    NULL) != 0)
		ctl_redis_fail(ctl, cause);
	if (strcmp(r->str, "cancelled") == 0)
		printf("event %s/%s cancelled: no message not yet handed to a "
		    "channel will be sent\n",
		    json_string_value(json_object_get(o, "dept")),
		    json_string_value(json_object_get(o, "id")));
	else
		printf("event %s/%s is already %s\n",
		    json_string_value(json_object_get(o, "dept")),
		    json_string_value(json_object_get(o, "id")), r->str);
	freeReplyObject(r);
	json_decref(o);
	return (CTL_OK);
}

/*
 * The reason an event was dead-lettered, looking at the newest rejected
 * entries for one whose event JSON has this id (and department); NULL
 * when none.
 */
static char *
event_rejected(struct ctl *ctl, const char *dept, const char *id)
{
	struct registry	*reg = ctl_registry(ctl);
	redisReply	*r, *kv;
	json_t		*o;
	json_error_t	 jerr;
	const char	*ev, *why;
	char		*cause, *out = NULL;
	size_t		 i, j;

	r = redisCommand(reg->c, "XREVRANGE %sevents:rejected + - COUNT 200",
	    reg->prefix);
	if (rblock_check(reg->c, r, &cause) != 0)
		ctl_redis_fail(ctl, cause);
	for (i = 0; i < r->elements && out == NULL; i++) {
		kv = r->element[i]->element[1];
		ev = why = NULL;
		for (j = 0; j + 1 < kv->elements; j += 2) {
			if (strcmp(kv->element[j]->str, "event") == 0)
				ev = kv->element[j + 1]->str;
			else if (strcmp(kv->element[j]->str, "reason") == 0)
				why = kv->element[j + 1]->str;
		}
		if (ev == NULL || why == NULL ||
		    (o = json_loads(ev, 0, &jerr)) == NULL)
			continue;
		if (json_is_string(json_object_get(o, "id")) &&
		    strcmp(json_string_value(json_object_get(o, "id")),
		    id) == 0 && (dept == NULL ||
		    (json_is_string(json_object_get(o, "department")) &&
		    strcmp(json_string_value(json_object_get(o, "department")),
		    dept) == 0)))
			out = xstrdup(why);
		json_decref(o);
	}
	freeReplyObject(r);
	return (out);
}

/* Wait (up to a minute) for civicastd to accept or reject an event. */
static long long
event_wait_accepted(struct ctl *ctl, const char *dept, const char *id)
{
	long long	 e;
	char		*why, *d = NULL, *slash;
	int		 i, said = 0;

	if (dept == NULL && (slash = strchr(id, '/')) != NULL) {
		d = xstrndup(id, (size_t)(slash - id));
		dept = d;
		id = slash + 1;
	}
	for (i = 0; i < 600; i++) {
		if ((e = event_find(ctl, dept, id)) != 0) {
			free(d);
			return (e);
		}
		if ((why = event_rejected(ctl, dept, id)) != NULL) {
			ctl_warnx("event %s was rejected: %s", id, why);
			exit(CTL_FAIL);
		}
		if (!said) {
			fprintf(stderr, "waiting for civicastd to accept "
			    "event %s...\n", id);
			said = 1;
		}
		usleep(100000);
	}
	ctl_warnx("event %s: not accepted within a minute; is civicastd "
	    "running? (civicast status)", id);
	exit(CTL_FAIL);
}

static int
event_watch(struct ctl *ctl, const struct cmdline_args *a)
{
	json_t		*o;
	const char	*state;
	long long	 e, total, fin;
	int		 tty = isatty(STDOUT_FILENO), pct, i, last = -1;

	/* Right after publish the daemon may not have read it yet. */
	e = event_wait_accepted(ctl, cmdline_string(a, "department", NULL),
	    a->argv[0]);
	for (;;) {
		if ((o = event_load(ctl, e)) == NULL) {
			ctl_warnx("event %lld: gone", e);
			return (CTL_FAIL);
		}
		state = json_string_value(json_object_get(o, "state"));
		total = json_integer_value(json_object_get(o, "messages"));
		fin = event_finished(o);
		pct = total > 0 ? (int)(fin * 100 / total) : 0;
		if (tty) {
			printf("\r[");
			for (i = 0; i < 30; i++)
				putchar(i < pct * 30 / 100 ? '#' : ' ');
			printf("] %3d%% %lld/%lld sent %lld failed %lld "
			    "%-10s", pct, fin, total, event_n(o, "sent") +
			    event_n(o, "delivered"), event_n(o, "failed"),
			    state);
			fflush(stdout);
		} else if (pct / 10 != last) {
			last = pct / 10;
			printf("%3d%% %lld/%lld %s\n", pct, fin, total, state);
			fflush(stdout);
		}
		if ((strcmp(state, "done") == 0 ||
		    strcmp(state, "cancelled") == 0 ||
		    strcmp(state, "expired") == 0) &&
		    event_n(o, "queued") == 0 && event_n(o, "sending") == 0)
			break;
		json_decref(o);
		usleep(500000);
	}
	if (tty)
		printf("\n");
	printf("event %lld %s: %lld sent, %lld failed, %lld expired, %lld "
	    "cancelled, %lld unknown\n", e, state, event_n(o, "sent") +
	    event_n(o, "delivered"), event_n(o, "failed"),
	    event_n(o, "expired"), event_n(o, "cancelled"),
	    event_n(o, "unknown"));
	json_decref(o);
	return (CTL_OK);
}

/*
 * An operation of outbox.lua on the CLI's connection (script.c loads
 * the script).  Exits 3 on a Redis error.
 */
static redisReply *
event_outbox_eval(struct ctl *ctl, const char *op, int argc,
    const char **argv)
{
	struct registry	*reg = ctl_registry(ctl);
	redisReply	*r;
	char		*cause;

	if ((r = script_eval_sync(reg->c, reg->prefix, SCRIPT_OUTBOX, op, argc,
	    argv, NULL, &cause)) == NULL)
		ctl_redis_fail(ctl, cause);
	return (r);
}

/* 1 when user may approve or reject (security.approvers, if set). */
static int
event_may_decide(const struct conf *conf, const char *user)
{
	size_t	i;

	if (conf->napprovers == 0)
		return (1);
	for (i = 0; i < conf->napprovers; i++) {
		if (strcmp(conf->approvers[i], user) == 0)
			return (1);
	}
	return (0);
}

/*
 * event approve / event reject: the two-person rule.  The decision is
 * one operation of outbox.lua (approve, reject), atomic against another
 * operator's decision, a cancel and expiry; the OS user running this is
 * the operator, and the event's publisher may not decide on it (two
 * different operators must approve when nothing vouches for who
 * published it).  Every decision is audited.
 */
static int
event_approve(struct ctl *ctl, const struct cmdline_args *a)
{
	struct registry		*reg;
	redisReply		*r;
	json_t			*o;
	const char		*dept, *reason = NULL, *pub, *status, *id;
	const char		*v[4], *detail;
	char			*cause, now[24], en[24];
	long long		 e;
	int			 approve, rc = CTL_FAIL;

	approve = strcmp(ctl->cmd->name, "approve") == 0;
	dept = cmdline_string(a, "department", NULL);
	id = a->argv[0];
	if (!approve && *(reason = cmdline_string(a, "reason", "")) == '\0') {
		ctl_warnx("event reject: --reason must say why");
		return (CTL_USAGE);
	}
	if ((e = event_find(ctl, dept, id)) == 0) {
		ctl_warnx("event %s: no such event", id);
		return (CTL_FAIL);
	}
	reg = ctl_registry(ctl);
	if (!event_may_decide(ctl_conf(ctl), reg->user)) {
		ctl_warnx("%s is not in security.approvers: only they may %s "
		    "events", reg->user, approve ? "approve" : "reject");
		return (CTL_FAIL);
	}
	if ((o = event_load(ctl, e)) == NULL) {
		ctl_warnx("event %lld: gone", e);
		return (CTL_FAIL);
	}
	snprintf(now, sizeof now, "%lld", util_now_ms());
	snprintf(en, sizeof en, "%lld", e);
	v[0] = en;
	v[1] = reg->user;
	v[2] = now;
	v[3] = reason;
	r = event_outbox_eval(ctl, approve ? "approve" : "reject",
	    approve ? 3 : 4, v);
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_STRING) {
		ctl_warnx("event %s: unexpected reply from Redis", id);
		goto out;
	}
	status = r->element[0]->str;
	detail = r->element[1]->str;
	pub = json_string_value(json_object_get(o, "publisher"));
	if (strcmp(status, "state") == 0) {
		ctl_warnx("event %s is %s, not waiting for approval", id,
		    detail);
		goto out;
	}
	if (strcmp(status, "unknown") == 0) {
		ctl_warnx("event %s: gone", id);
		goto out;
	}
	if (strcmp(status, "self") == 0) {
		ctl_warnx("event %s was published by %s: another operator "
		    "must %s it (the two-person rule)", id, detail,
		    approve ? "approve" : "reject");
		goto out;
	}
	if (strcmp(status, "again") == 0) {
		ctl_warnx("event %s: %s approved it already; its publisher "
		    "is not verified, so a second, different operator must "
		    "approve it too", id, detail);
		goto out;
	}
	if (audit_append(reg->c, reg->prefix, reg->user, approve ?
	    "event-approve" : "event-reject", &cause, "event",
	    json_string_value(json_object_get(o, "id")), "department",
	    json_string_value(json_object_get(o, "dept")), "publisher",
	    pub != NULL ? pub : "", "reason", reason != NULL ? reason : "",
	    "outcome", status, NULL) != 0)
		ctl_redis_fail(ctl, cause);
	if (strcmp(status, "first") == 0)
		printf("event %s/%s approved by %s; its publisher is not "
		    "verified, so it waits for a second operator's "
		    "approval\n", json_string_value(json_object_get(o,
		    "dept")), json_string_value(json_object_get(o, "id")),
		    reg->user);
	else
		printf("event %s/%s %s by %s%s%s\n",
		    json_string_value(json_object_get(o, "dept")),
		    json_string_value(json_object_get(o, "id")),
		    approve ? "approved" : "rejected", reg->user,
		    *detail != '\0' ? " after " : "", detail);
	rc = CTL_OK;
out:
	freeReplyObject(r);
	json_decref(o);
	return (rc);
}
