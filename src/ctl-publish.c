/*
 * ctl-publish.c: civicast publish: build an event from options, run
 * civicastd's own decision on it (verdict.c), sign it and append it to
 * the events stream, or with --dry-run say what civicastd would do.
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

#include "audience.h"
#include "broadcast.h"
#include "buf.h"
#include "conf.h"
#include "ctl.h"
#include "rblock.h"
#include "phone.h"
#include "registry.h"
#include "sign.h"
#include "sms.h"
#include "tmpl.h"
#include "util.h"
#include "verdict.h"
#include "xmalloc.h"


static int	event_publish(struct ctl *, const struct cmdline_args *);

static const struct cmdline_opt publish_opts[] = {
	{ "department", 0, "D", CMDLINE_REQUIRED, 0, 0,
	  "the publishing department (its key signs the event)" },
	{ "template", 0, "T", 0, 0, 0,
	  "the template of the text (required unless --kind cancel)" },
	{ "districts", 0, "D1,D2", 0, 0, 0,
	  "the divisions to reach (required unless --kind cancel)" },
	{ "groups", 0, "G1,G2", 0, 0, 0,
	  "only residents in these groups (none: every resident)" },
	{ "match", 0, "any|all", 0, 0, 0,
	  "in any of the groups (the default) or in all of them" },
	{ "exclude-districts", 0, "D3", 0, 0, 0,
	  "but not in these divisions" },
	{ "priority", 0, "P", 0, 0, 0,
	  "emergency, urgent or routine (the default)" },
	{ "param", 0, "NAME=VALUE", CMDLINE_REPEAT, 0, 0,
	  "a parameter of the template" },
	{ "id", 0, "ID", 0, 0, 0,
	  "the event's id (default: department-time-pid); "
	  "publishing it again is a no-op" },
	{ "category", 0, "C", 0, 0, 0,
	  "a category for quiet hours and reports" },
	{ "not-before", 0, "TIME", 0, 0, 0,
	  "send from TIME on (ISO 8601)" },
	{ "expires", 0, "TIME", 0, 0, 0,
	  "send nothing after TIME (ISO 8601)" },
	{ "ttl", 0, "HOURS", CMDLINE_NUMBER, 1, 31 * 24,
	  "or: expire HOURS after now (default 24)" },
	{ "kind", 0, "update|cancel", 0, 0, 0,
	  "replace or cancel the event named by --references" },
	{ "references", 0, "ID", 0, 0, 0,
	  "the event an update or cancel is about" },
	{ "dry-run", 0, NULL, 0, 0, 0,
	  "run the daemon's checks and show audience and cost; send nothing" },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

/* The publish command. */
const struct ctl_cmd ctl_publish_cmds[] = {
	{ "publish", NULL, publish_opts, NULL, 0, 0, CTL_JSON,
	  "build, sign and publish a broadcast event (or show its cost with "
	  "--dry-run)", event_publish },
	{ NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL }
};

#define EVENT_TTL_DEFAULT	24	/* hours, when neither expires nor ttl */

struct publish {
	const char	*department;
	const char	*template;
	const char	*groups;
	const char	*match;
	const char	*districts;
	const char	*exclude;
	const char	*priority;
	const char	*category;
	const char	*id;
	const char	*kind;
	const char	*references;
	const char	*not_before;
	const char	*expires;
	long		 ttl;		/* hours */
	json_t		*params;
	int		 dry;
	char		 genid[BROADCAST_MAX_ID + 1];	/* when no --id */
};

/* A list "a,b;c" as a JSON array of strings. */
static json_t *
event_json_list(const char *list)
{
	json_t	*a = json_array();
	char	**v;
	size_t	  n, i;

	if (list == NULL || strcmp(list, "*") == 0)
		return (a);
	n = util_split(list, ",;| ", &v);
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	util_split_free(v, n);
	return (a);
}

/* The event JSON for the options given (compact, as published). */
static char *
event_build(struct publish *pb)
{
	json_t		*o, *aud;
	char		 when[40], *s;
	time_t		 now = time(NULL), exp;

	o = json_object();
	if (pb->id == NULL) {
		/* department-YYYYmmddHHMMSS-pid: unique enough per publisher. */
		strftime(when, sizeof when, "%Y%m%d%H%M%S", localtime(&now));
		snprintf(pb->genid, sizeof pb->genid, "%s-%s-%ld",
		    pb->department, when, (long)getpid());
		pb->id = pb->genid;
	}
	json_object_set_new(o, "id", json_string(pb->id));
	json_object_set_new(o, "department", json_string(pb->department));
	json_object_set_new(o, "sent", json_string(broadcast_time_format(now,
	    when, sizeof when)));
	json_object_set_new(o, "kind", json_string(pb->kind));
	if (strcmp(pb->kind, "alert") != 0)
		json_object_set_new(o, "references",
		    json_string(pb->references != NULL ? pb->references : ""));
	if (pb->category != NULL)
		json_object_set_new(o, "category", json_string(pb->category));
	json_object_set_new(o, "priority", json_string(pb->priority));
	/* Inside the signed bytes: the two-person rule rests on it. */
	json_object_set_new(o, "publisher", json_string(util_user()));
	if (strcmp(pb->kind, "cancel") != 0) {
		aud = json_object();
		json_object_set_new(aud, "groups", event_json_list(pb->groups));
		json_object_set_new(aud, "match", json_string(pb->match));
		json_object_set_new(aud, "districts",
		    event_json_list(pb->districts));
		json_object_set_new(aud, "exclude_districts",
		    event_json_list(pb->exclude));
		json_object_set_new(o, "audience", aud);
		if (pb->template != NULL)
			json_object_set_new(o, "template",
			    json_string(pb->template));
		json_object_set(o, "params", pb->params);
		if (pb->not_before != NULL)
			json_object_set_new(o, "not_before",
			    json_string(pb->not_before));
		if (pb->expires != NULL)
			json_object_set_new(o, "expires",
			    json_string(pb->expires));
		else {
			exp = now + pb->ttl * 3600;
			json_object_set_new(o, "expires", json_string(
			    broadcast_time_format(exp, when, sizeof when)));
		}
	}
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return (s);
}

/*
 * Count the audience as civicastd will (opt-outs ignored for an
 * emergency) and say what it does then (verdict_audience).  *why is
 * NULL for VERDICT_GO; the caller frees it and res.
 */
static enum verdict_gate
event_gate(struct ctl *ctl, struct broadcast *ev,
    const struct conf_department *dept, struct audience_result *res,
    char **why)
{
	struct registry		*reg = ctl_registry(ctl);
	struct audience_query	 q;
	char			*cause;

	/* Group display names become ids here, as the daemon does. */
	if (audience_query_check(&ev->audience, ctl->conf, ctl->dt,
	    "audience.", &cause) != 0) {
		ctl_warnx("event refused: %s", cause);
		free(cause);
		exit(CTL_FAIL);
	}
	q = ev->audience;
	q.ignore_optout = ev->priority == PRIO_EMERGENCY;
	if (registry_count(reg, &q, res, &cause) != 0)
		ctl_redis_fail(ctl, cause);
	return (verdict_audience(ev, ctl->conf, dept, res->phones, 0, why));
}

/* What the verdict means, for a person. */
static const char *
event_gate_text(enum verdict_gate g)
{
	switch (g) {
	case VERDICT_GO:
		return ("accepted: it is sent at once");
	case VERDICT_REVIEW:
		return ("accepted: sent at once without approval, flagged for "
		    "review");
	case VERDICT_HOLD:
		return ("accepted, then held until a second operator approves "
		    "it (civicast event approve)");
	case VERDICT_REJECT:
		return ("rejected");
	}
	return ("?");
}

/* Print what a broadcast would cost, and what civicastd would do. */
static int
event_dry_run(struct ctl *ctl, const char *json, struct broadcast *ev,
    struct buf *text, int personal, const struct audience_result *res,
    enum verdict_gate g, const char *why)
{
	struct registry		*reg = ctl_registry(ctl);
	struct audience_query	 q;
	struct resident		 r;
	struct sms_len		 sl;
	const struct tmpl	*t;
	struct tmpl_set		*tmpls;
	unsigned long		 rid;
	const char		*werr;
	char			*cause, masked[PHONE_BUFSIZE];
	size_t			 n = 0;
	int			 found = 0;

	q = ev->audience;
	q.ignore_optout = ev->priority == PRIO_EMERGENCY;
	/* A real recipient for the sample, when the text is personal. */
	if (personal && registry_match(reg, &q, 0, 1, &rid, &n, &cause) != 0)
		ctl_redis_fail(ctl, cause);
	if (n == 1 && registry_get_rid(reg, rid, &r, &cause) == 1)
		found = 1;
	if (found) {
		if ((tmpls = tmpl_set_load(ctl->conf->templates_dir,
		    &cause)) == NULL) {
			ctl_warnx("templates: %s", cause);
			free(cause);
			return (CTL_FAIL);
		}
		t = tmpl_find(tmpls, ev->template);
		buf_reset(text);
		buf_adds(text, conf_department_find(ctl->conf,
		    ev->department)->signature);
		if (verdict_render(t, ev, conf_department_find(ctl->conf,
		    ev->department), ctl->dt, r.name, r.district, text,
		    &cause) != 0) {
			ctl_warnx("%s", cause);
			free(cause);
		}
		tmpl_set_free(tmpls);
	}
	if (sms_measure(text->data, text->len, &sl, &werr) != 0) {
		ctl_warnx("text: %s", werr);
		return (CTL_FAIL);
	}
	if (ctl->json) {
		ctl_json_print(json_pack("{s:s, s:I, s:I, s:I, s:s, s:s, s:I, "
		    "s:I, s:I, s:s, s:s?, s:s}", "id", ev->id,
		    "phones", (json_int_t)res->phones,
		    "residents", (json_int_t)res->residents,
		    "opted_out", (json_int_t)res->optedout,
		    "sample", text->data,
		    "coding", sms_coding_name(sl.coding),
		    "characters", (json_int_t)sl.chars,
		    "segments_per_message", (json_int_t)sl.segments,
		    "segments_total", (json_int_t)(sl.segments * res->phones),
		    "verdict", verdict_gate_name(g), "reason", why,
		    "event", json));
	} else {
		printf("event %s/%s (dry run: nothing published)\n",
		    ev->department, ev->id);
		printf("verdict:   %s%s%s%s\n", event_gate_text(g),
		    why != NULL ? " (" : "", why != NULL ? why : "",
		    why != NULL ? ")" : "");
		printf("audience:  %lld phones (%lld residents matched, %lld "
		    "dropped by opt-outs%s)\n", res->phones, res->residents,
		    res->optedout, ev->priority == PRIO_EMERGENCY ?
		    "; emergency: opt-outs ignored" : "");
		if (found) {
			phone_mask(r.phone, masked);
			printf("sample to %s:\n", masked);
		} else
			printf("sample%s:\n", personal ?
			    " (no recipient: names left empty)" : "");
		printf("  %s\n", text->data);
		printf("length:    %zu characters, %s, %zu segment%s per "
		    "message%s\n", sl.chars, sms_coding_name(sl.coding),
		    sl.segments, sl.segments == 1 ? "" : "s",
		    personal ? " (names vary)" : "");
		printf("cost:      %lld segments in all\n",
		    (long long)sl.segments * res->phones);
	}
	if (g == VERDICT_REJECT) {
		ctl_warnx("event refused: %s", why);
		return (CTL_FAIL);
	}
	return (CTL_OK);
}

static int
event_publish(struct ctl *ctl, const struct cmdline_args *a)
{
	const struct conf_department	*dept;
	struct publish			 pb;
	struct broadcast			 ev;
	struct tmpl_set			*tmpls;
	struct registry			*reg;
	struct buf			 text;
	redisReply			*r;
	const char			*eq;
	const char * const		*params;
	struct audience_result		 res;
	enum verdict_gate		 g = VERDICT_GO;
	char				*json, *cause, *name, hex[SIGN_HEXLEN + 1];
	char				*why = NULL;
	size_t				 nparams, i;
	int				 personal, rc = CTL_OK, counted = 0;

	memset(&pb, 0, sizeof pb);
	pb.department = cmdline_string(a, "department", NULL);
	pb.template = cmdline_string(a, "template", NULL);
	pb.groups = cmdline_string(a, "groups", NULL);
	pb.match = cmdline_string(a, "match", "any");
	pb.districts = cmdline_string(a, "districts", NULL);
	pb.exclude = cmdline_string(a, "exclude-districts", NULL);
	pb.priority = cmdline_string(a, "priority", "routine");
	pb.category = cmdline_string(a, "category", NULL);
	pb.id = cmdline_string(a, "id", NULL);
	pb.kind = cmdline_string(a, "kind", "alert");
	pb.references = cmdline_string(a, "references", NULL);
	pb.not_before = cmdline_string(a, "not-before", NULL);
	pb.expires = cmdline_string(a, "expires", NULL);
	pb.ttl = (long)cmdline_number(a, "ttl", EVENT_TTL_DEFAULT);
	pb.dry = cmdline_given(a, "dry-run");
	pb.params = json_object();
	nparams = cmdline_list(a, "param", &params);
	for (i = 0; i < nparams; i++) {
		if ((eq = strchr(params[i], '=')) == NULL || eq == params[i]) {
			ctl_warnx("--param: NAME=VALUE, not '%.40s'",
			    params[i]);
			json_decref(pb.params);
			return (CTL_USAGE);
		}
		name = xstrndup(params[i], (size_t)(eq - params[i]));
		json_object_set_new(pb.params, name, json_string(eq + 1));
		free(name);
	}
	if ((dept = conf_department_find(ctl_conf(ctl), pb.department)) ==
	    NULL) {
		ctl_warnx("department %s is not configured", pb.department);
		return (CTL_FAIL);
	}
	json = event_build(&pb);
	json_decref(pb.params);

	/*
	 * The daemon's own decision (verdict.c), before anything leaves
	 * this machine: what it would reject is refused here with the same
	 * words; the signature is ours to make, so it is not checked.
	 */
	if ((tmpls = tmpl_set_load(ctl->conf->templates_dir, &cause)) ==
	    NULL) {
		ctl_warnx("templates: %s", cause);
		free(cause);
		free(json);
		return (CTL_FAIL);
	}
	buf_init(&text, 16384);
	if (verdict_event(json, strlen(json), ctl->conf, ctl_districts(ctl),
	    tmpls, time(NULL), NULL, NULL, &ev, &text, &personal,
	    &cause) != 0) {
		ctl_warnx("event refused: %s", cause);
		if (pb.dry && ctl->json)
			ctl_json_print(json_pack("{s:s, s:s, s:s, s:s}", "id",
			    pb.id, "verdict", "reject", "reason", cause,
			    "event", json));
		free(cause);
		tmpl_set_free(tmpls);
		buf_free(&text);
		free(json);
		return (CTL_FAIL);
	}
	tmpl_set_free(tmpls);
	memset(&res, 0, sizeof res);
	/* Its audience is counted when that can change the outcome. */
	if (ev.kind != BROADCAST_CANCEL && (pb.dry || dept->max_audience > 0 ||
	    ctl->conf->approval_over > 0 ||
	    (ev.category != NULL && ctl->conf->napproval_categories > 0))) {
		counted = 1;
		g = event_gate(ctl, &ev, dept, &res, &why);
	}
	if (pb.dry && ev.kind == BROADCAST_CANCEL) {
		printf("cancel of %s/%s: valid; it sends nothing (dry run: "
		    "nothing published)\n", ev.department, ev.references);
		rc = CTL_OK;
	} else if (pb.dry)
		rc = event_dry_run(ctl, json, &ev, &text, personal, &res, g,
		    why);
	else if (g == VERDICT_REJECT) {
		ctl_warnx("event refused: %s", why);
		rc = CTL_FAIL;
	}
	if (counted)
		audience_result_free(&res);
	broadcast_free(&ev);
	buf_free(&text);
	if (pb.dry || g == VERDICT_REJECT) {
		free(why);
		free(json);
		return (rc);
	}

	reg = ctl_registry(ctl);
	if (dept->key_file != NULL) {
		if (sign_file(dept->key_file, json, strlen(json), hex,
		    &cause) != 0) {
			ctl_warnx("signing: %s", cause);
			free(cause);
			free(why);
			free(json);
			return (CTL_FAIL);
		}
		r = redisCommand(reg->c, "XADD %sevents * event %s sig %s",
		    reg->prefix, json, hex);
	} else
		r = redisCommand(reg->c, "XADD %sevents * event %s",
		    reg->prefix, json);
	if (rblock_check(reg->c, r, &cause) != 0) {
		free(json);
		ctl_redis_fail(ctl, cause);
	}
	if (ctl->json)
		ctl_json_print(json_pack("{s:s, s:s, s:s, s:b}", "department",
		    pb.department, "id", pb.id, "stream_id", r->str,
		    "signed", dept->key_file != NULL));
	else {
		printf("published %s/%s as %s%s\n", pb.department, pb.id,
		    r->str, dept->key_file != NULL ? " (signed)" : "");
		if (g == VERDICT_HOLD)
			printf("it waits for a second operator's approval "
			    "(%s): civicast event approve %s/%s\n", why,
			    pb.department, pb.id);
		else if (g == VERDICT_REVIEW)
			printf("it goes at once without approval and is "
			    "flagged for review (%s)\n", why);
	}
	freeReplyObject(r);
	free(why);
	free(json);
	return (CTL_OK);
}

