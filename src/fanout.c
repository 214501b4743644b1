/*
 * fanout.c: turn an accepted event's audience into messages.
 *
 * The audience is resolved once, as soon as the fan-out picks the event
 * up right after acceptance (registry.lua save_match keeps the matching
 * residents as a bitmap in ev:E:m, with the counts in the event's hash).  The fan-out then
 * walks it a chunk at a time (registry.lua expand: one resident per
 * phone), renders each message and adds the chunk to the outbox
 * (outbox.lua enqueue) together with the event's cursor.  A chunk is
 * applied whole or not at all, and one that starts anywhere but at the
 * cursor is refused, so a crash at any point resumes where the last
 * chunk ended and nothing is queued twice.  Only a bounded chunk is ever
 * in this process's memory, whatever the audience's size.
 *
 * Several daemons may share the work: an event is fanned out by whoever
 * holds its lock (ev:E:lock, a lease renewed per chunk).
 */
#include "compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "audience.h"
#include "broadcast.h"
#include "buf.h"
#include "conf.h"
#include "daemon.h"
#include "district.h"
#include "fanout.h"
#include "log.h"
#include "script.h"
#include "stage.h"
#include "rconn.h"
#include "sms.h"
#include "tmpl.h"
#include "util.h"
#include "verdict.h"
#include "xmalloc.h"

#define FANOUT_CHUNK		1000	/* residents per chunk */
#define FANOUT_POLL_MS		500
#define FANOUT_LOCK_MS		30000

struct fanout {
	struct daemon			*d;
	struct scripts			*sc;
	const struct stage_res		*res;
	stage_wake_cb			*queued;	/* wakes the outbox */
	void				*queued_arg;
	struct event			*ev_poll;
	int				 busy;

	char				*e;		/* event number */
	char				*cursor;
	char				*key;		/* ev:E:m */
	char				*lock;		/* ev:E:lock */
	struct broadcast			 ev;
	int				 have_ev;
	const struct conf_department	*dept;
	const struct tmpl		*tmpl;
	int				 personal;
	int				 approved;
	unsigned long			 made;
	long long			 started;
	struct buf			 text;
};

static void	fanout_next(struct fanout *);
static void	fanout_expand(struct fanout *);

static struct conf *
fanout_conf(struct fanout *fo)
{
	return (fo->d->conf);
}

static void
fanout_arm(struct fanout *fo, long ms)
{
	util_timer_ms(fo->ev_poll, ms);
}

/* An event may be waiting: look soon. */
void
fanout_kick(struct fanout *fo)
{
	if (!fo->busy)
		fanout_arm(fo, 0);
}

/* Forget the event in hand and look for the next one. */
static void
fanout_release(struct fanout *fo, int again)
{
	if (fo->lock != NULL)
		rconn_command(fo->d->rc, NULL, NULL, "DEL %s", fo->lock);
	free(fo->e);
	free(fo->cursor);
	free(fo->key);
	free(fo->lock);
	fo->e = fo->cursor = fo->key = fo->lock = NULL;
	if (fo->have_ev)
		broadcast_free(&fo->ev);
	fo->have_ev = 0;
	fo->busy = 0;
	fanout_arm(fo, again ? 0 : FANOUT_POLL_MS);
}

/* Stop an event that can no longer be fanned out here, saying why. */
static void
fanout_abandon(struct fanout *fo, const char *why)
{
	const char	*argv[4];
	char		 now[24];

	log_warnx("fanout: event %s (%s/%s) cancelled: %s", fo->e,
	    fo->have_ev ? fo->ev.department : "?",
	    fo->have_ev ? fo->ev.id : "?", why);
	/* Like a cancel: messages already queued are closed too. */
	snprintf(now, sizeof now, "%lld", util_now_ms());
	argv[0] = fo->e;
	argv[1] = "cancelled";
	argv[2] = now;
	argv[3] = why;
	script_eval(fo->sc, SCRIPT_OUTBOX, "stop", 4, argv, NULL, NULL,
	    NULL);
	fanout_release(fo, 1);
}

/* The township (or coarser) code a message counts under. */
static void
fanout_reach_district(const char *code, char *out, size_t len)
{
	strlcpy(out, code, len < 10 ? len : 10);
}

/* Groups a message counts under: the event's that the resident has. */
static void
fanout_reach_groups(const struct broadcast *ev, const char *groups, char *out,
    size_t len)
{
	char	**v;
	size_t	  n, i, j;

	out[0] = '\0';
	n = util_split(groups, ";", &v);
	for (i = 0; i < n; i++) {
		for (j = 0; j < ev->audience.ngroups; j++) {
			if (strcmp(v[i], ev->audience.groups[j]) == 0)
				break;
		}
		if (ev->audience.ngroups != 0 && j == ev->audience.ngroups)
			continue;
		/* Once each: a shared phone brings its residents' groups. */
		for (j = 0; j < i; j++) {
			if (strcmp(v[i], v[j]) == 0)
				break;
		}
		if (j < i)
			continue;
		if (out[0] != '\0')
			strlcat(out, ";", len);
		strlcat(out, v[i], len);
	}
	util_split_free(v, n);
}

static void
fanout_enqueued(struct rconn *rc, redisReply *r, void *arg)
{
	struct fanout	*fo = arg;

	if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
		/* Nothing applied: the chunk goes again from the cursor. */
		if (r != NULL && r->type == REDIS_REPLY_ERROR)
			log_warnx("fanout: event %s: enqueue: %s", fo->e,
			    r->str);
		fanout_release(fo, 0);
		return;
	}
	if (r->integer == -2) {
		log_info("fanout: event %s stopped while fanning out (%lu "
		    "messages queued)", fo->e, fo->made);
		fanout_release(fo, 1);
		return;
	}
	if (r->integer == -1) {
		/* Someone else applied this chunk: start over from Redis. */
		fanout_release(fo, 1);
		return;
	}
	fo->made += (unsigned long)r->integer;
	fo->queued(fo->queued_arg);
	if (strcmp(fo->cursor, "-1") == 0) {
		log_info("fanout: event %s (%s/%s): %lu messages queued in "
		    "%lld ms", fo->e, fo->ev.department, fo->ev.id, fo->made,
		    util_now_ms() - fo->started);
		fanout_release(fo, 1);
		return;
	}
	rconn_command(fo->d->rc, NULL, NULL, "PEXPIRE %s %d", fo->lock,
	    FANOUT_LOCK_MS);
	fanout_expand(fo);
}

/* Render a chunk of recipients and add it to the outbox. */
static void
fanout_expanded(struct rconn *rc, redisReply *r, void *arg)
{
	struct fanout	 *fo = arg;
	struct conf	 *conf;
	const char	**argv;
	char		**owned, *cause, next[32], now[24], dist[16];
	char		  groups[512];
	size_t		  argc = 0, nowned = 0, i, n;
	struct sms_len	  len;
	const char	 *why;
	int		  last;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 1) {
		if (r != NULL && r->type == REDIS_REPLY_ERROR)
			log_warnx("fanout: event %s: expand: %s", fo->e,
			    r->str);
		fanout_release(fo, 0);
		return;
	}
	conf = fanout_conf(fo);
	snprintf(next, sizeof next, "%lld", r->element[0]->integer);
	last = r->element[0]->integer < 0;
	snprintf(now, sizeof now, "%lld", util_now_ms());
	n = (r->elements - 1) / 5;
	argv = xcalloc(5 + n * 5, sizeof *argv);
	owned = xcalloc(n * 4 + 2, sizeof *owned);
	argv[argc++] = fo->e;
	argv[argc++] = fo->cursor;
	argv[argc++] = next;
	argv[argc++] = last ? "1" : "0";
	argv[argc++] = now;
	for (i = 1; i + 4 < r->elements; i += 5) {
		const char	*name = r->element[i + 2]->str;
		const char	*code = r->element[i + 3]->str;
		const char	*rgroups = r->element[i + 4]->str;
		char		*rid, *text = NULL;

		xasprintf(&rid, "%lld", r->element[i]->integer);
		if (fo->personal) {
			buf_reset(&fo->text);
			buf_adds(&fo->text, fo->dept->signature);
			if (verdict_render(fo->tmpl, &fo->ev, fo->dept,
			    fo->res->dt, name, code, &fo->text, &cause) != 0) {
				log_warnx("fanout: event %s: resident %s: %s",
				    fo->e, rid, cause);
				free(cause);
				free(rid);
				continue;
			}
			if (sms_measure(fo->text.data, fo->text.len, &len,
			    &why) != 0 || len.chars >
			    (size_t)conf->message_max_chars) {
				log_warnx("fanout: event %s: resident %s: "
				    "message over %d characters; skipped",
				    fo->e, rid, conf->message_max_chars);
				free(rid);
				continue;
			}
			text = xstrdup(fo->text.data);
		}
		fanout_reach_district(code, dist, sizeof dist);
		fanout_reach_groups(&fo->ev, rgroups, groups, sizeof groups);
		owned[nowned++] = rid;
		argv[argc++] = rid;
		argv[argc++] = r->element[i + 1]->str;
		if (text != NULL)
			owned[nowned++] = text;
		argv[argc++] = text != NULL ? text : "";
		owned[nowned++] = xstrdup(dist);
		argv[argc++] = owned[nowned - 1];
		owned[nowned++] = xstrdup(groups);
		argv[argc++] = owned[nowned - 1];
	}
	/* argv[1] is the chunk's start, the cursor until it is applied. */
	owned[nowned++] = fo->cursor;
	fo->cursor = xstrdup(next);
	if (script_eval(fo->sc, SCRIPT_OUTBOX, "enqueue", (int)argc, argv,
	    NULL, fanout_enqueued, fo) != 0)
		fanout_release(fo, 0);
	for (i = 0; i < nowned; i++)
		free(owned[i]);
	free(owned);
	free(argv);
}

static void
fanout_expand(struct fanout *fo)
{
	const char	*argv[3];
	char		 chunk[16];

	snprintf(chunk, sizeof chunk, "%d", FANOUT_CHUNK);
	argv[0] = fo->key;
	argv[1] = fo->cursor;
	argv[2] = chunk;
	if (script_eval(fo->sc, SCRIPT_REGISTRY, "expand", 3, argv, NULL,
	    fanout_expanded, fo) != 0)
		fanout_release(fo, 0);
}

/*
 * The audience is counted: a department's largest audience is a scope
 * (over it, the event is rejected like any other out of scope), and
 * large or sensitive events wait for a second operator (the two-person
 * rule) unless an emergency takes the fast path and is flagged for
 * review.  Returns 0 to go on fanning out, -1 when the event stops here.
 */
static int
fanout_gate(struct fanout *fo, long long targeted)
{
	struct conf		*conf = fanout_conf(fo);
	const char		*argv[4];
	char			*why, now[24], when[40];
	enum verdict_gate	 g;

	g = verdict_audience(&fo->ev, conf, fo->dept, targeted, fo->approved,
	    &why);
	snprintf(now, sizeof now, "%lld", util_now_ms());
	switch (g) {
	case VERDICT_GO:
		return (0);
	case VERDICT_REVIEW:
		log_warnx("fanout: event %s (%s/%s): emergency sent without "
		    "approval (%s); flagged for review", fo->e,
		    fo->ev.department, fo->ev.id, why);
		argv[0] = fo->e;
		argv[1] = why;
		script_eval(fo->sc, SCRIPT_OUTBOX, "review", 2, argv, NULL,
		    NULL, NULL);
		free(why);
		return (0);
	case VERDICT_REJECT:
		log_warnx("fanout: event %s (%s/%s) rejected: %s", fo->e,
		    fo->ev.department, fo->ev.id, why);
		broadcast_time_format(time(NULL), when, sizeof when);
		argv[0] = fo->e;
		argv[1] = now;
		argv[2] = when;
		argv[3] = why;
		script_eval(fo->sc, SCRIPT_OUTBOX, "refuse", 4, argv, NULL, NULL,
		    NULL);
		break;
	case VERDICT_HOLD:
		log_info("fanout: event %s (%s/%s): %s; waiting for approval "
		    "(civicast event approve)", fo->e, fo->ev.department,
		    fo->ev.id, why);
		argv[0] = fo->e;
		argv[1] = now;
		argv[2] = why;
		script_eval(fo->sc, SCRIPT_OUTBOX, "hold", 3, argv, NULL, NULL,
		    NULL);
		break;
	}
	free(why);
	fanout_release(fo, 1);
	return (-1);
}

static void
fanout_matched(struct rconn *rc, redisReply *r, void *arg)
{
	struct fanout	*fo = arg;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 3) {
		if (r != NULL && r->type == REDIS_REPLY_ERROR)
			log_warnx("fanout: event %s: audience: %s", fo->e,
			    r->str);
		fanout_release(fo, 0);
		return;
	}
	if (fanout_gate(fo, r->element[2]->type == REDIS_REPLY_INTEGER ?
	    r->element[2]->integer : strtoll(r->element[2]->type ==
	    REDIS_REPLY_STRING ? r->element[2]->str : "0", NULL, 10)) != 0)
		return;
	/* Integers when resolved now, strings when resumed. */
	if (r->element[0]->type == REDIS_REPLY_INTEGER)
		log_info("fanout: event %s (%s/%s): %lld phones from %lld "
		    "residents (%lld opted out)", fo->e, fo->ev.department,
		    fo->ev.id, r->element[2]->integer, r->element[0]->integer,
		    r->element[1]->integer);
	else
		log_info("fanout: event %s (%s/%s): resuming at resident %s",
		    fo->e, fo->ev.department, fo->ev.id, fo->cursor);
	fanout_expand(fo);
}

/* Build the save_match arguments for the event's audience. */
static void
fanout_save_match(struct fanout *fo)
{
	const struct audience_query	 *q = &fo->ev.audience;
	const char			**argv;
	char				  n[3][16];
	size_t				  argc = 0, i;

	char				 *evk;

	xasprintf(&evk, "%sev:%s", fanout_conf(fo)->redis_prefix, fo->e);
	argv = xcalloc(7 + q->ngroups + q->ndistricts + q->nexclude,
	    sizeof *argv);
	argv[argc++] = fo->key;
	argv[argc++] = evk;
	argv[argc++] = q->match_all ? "all" : "any";
	/* Opt-outs do not apply to emergencies. */
	argv[argc++] = fo->ev.priority == PRIO_EMERGENCY ? "0" : "1";
	snprintf(n[0], sizeof n[0], "%zu", q->ngroups);
	argv[argc++] = n[0];
	for (i = 0; i < q->ngroups; i++)
		argv[argc++] = q->groups[i];
	snprintf(n[1], sizeof n[1], "%zu", q->ndistricts);
	argv[argc++] = n[1];
	for (i = 0; i < q->ndistricts; i++)
		argv[argc++] = q->districts[i];
	snprintf(n[2], sizeof n[2], "%zu", q->nexclude);
	argv[argc++] = n[2];
	for (i = 0; i < q->nexclude; i++)
		argv[argc++] = q->exclude[i];
	if (script_eval(fo->sc, SCRIPT_REGISTRY, "save_match", (int)argc,
	    argv, NULL, fanout_matched, fo) != 0)
		fanout_release(fo, 0);
	free(argv);
	free(evk);
}

static void
fanout_loaded(struct rconn *rc, redisReply *r, void *arg)
{
	struct fanout	*fo = arg;
	struct conf	*conf = fanout_conf(fo);
	char		*cause;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 4 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_STRING) {
		fanout_release(fo, 0);
		return;
	}
	fo->approved = r->element[3]->type == REDIS_REPLY_STRING;
	if (r->element[2]->type != REDIS_REPLY_STRING ||
	    strcmp(r->element[2]->str, "resolving") != 0) {
		fanout_release(fo, 1);
		return;
	}
	fo->cursor = xstrdup(r->element[1]->str);
	if (broadcast_parse(r->element[0]->str, r->element[0]->len, &fo->ev,
	    &cause) != 0) {
		fanout_abandon(fo, cause);
		free(cause);
		return;
	}
	fo->have_ev = 1;
	/* The configuration may have changed since acceptance. */
	if ((fo->dept = conf_department_find(conf, fo->ev.department)) ==
	    NULL) {
		fanout_abandon(fo, "department no longer configured");
		return;
	}
	if ((fo->tmpl = tmpl_find(fo->res->tmpls, fo->ev.template)) == NULL) {
		fanout_abandon(fo, "template no longer installed");
		return;
	}
	if (audience_query_check(&fo->ev.audience, conf, fo->res->dt,
	    "audience.", &cause) != 0) {
		fanout_abandon(fo, cause);
		free(cause);
		return;
	}
	fo->personal = verdict_personal(fo->tmpl);
	fo->made = 0;
	fo->started = util_now_ms();
	fanout_save_match(fo);
}

static void
fanout_load(struct fanout *fo)
{
	struct conf	*conf = fanout_conf(fo);

	rconn_command(fo->d->rc, fanout_loaded, fo,
	    "HMGET %sev:%s json cursor state approved",
	    conf->redis_prefix, fo->e);
}

static void
fanout_holder(struct rconn *rc, redisReply *r, void *arg)
{
	struct fanout	*fo = arg;

	/*
	 * Our own instance name on the lock, while this process holds
	 * nothing: a lock left by this instance before a crash.  Take the
	 * event up again at once rather than wait for the lock to lapse.
	 */
	if (r != NULL && r->type == REDIS_REPLY_STRING &&
	    strcmp(r->str, fanout_conf(fo)->instance) == 0) {
		rconn_command(fo->d->rc, NULL, NULL, "PEXPIRE %s %d",
		    fo->lock, FANOUT_LOCK_MS);
		fanout_load(fo);
		return;
	}
	/* Taken by another daemon, or Redis went away. */
	free(fo->lock);
	fo->lock = NULL;
	fanout_release(fo, 0);
}

static void
fanout_locked(struct rconn *rc, redisReply *r, void *arg)
{
	struct fanout	*fo = arg;

	if (r != NULL && r->type == REDIS_REPLY_STATUS) {
		fanout_load(fo);
		return;
	}
	if (r == NULL || rconn_command(fo->d->rc, fanout_holder, fo,
	    "GET %s", fo->lock) != 0) {
		free(fo->lock);
		fo->lock = NULL;
		fanout_release(fo, 0);
	}
}

static void
fanout_listed(struct rconn *rc, redisReply *r, void *arg)
{
	struct fanout	*fo = arg;
	struct conf	*conf = fanout_conf(fo);

	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
		fanout_release(fo, 0);
		return;
	}
	/* Any one; the others wait their turn (or another daemon). */
	fo->e = xstrdup(r->element[0]->str);
	xasprintf(&fo->key, "%sev:%s:m", conf->redis_prefix, fo->e);
	xasprintf(&fo->lock, "%sev:%s:lock", conf->redis_prefix, fo->e);
	rconn_command(fo->d->rc, fanout_locked, fo,
	    "SET %s %s PX %d NX", fo->lock, conf->instance, FANOUT_LOCK_MS);
}

static void
fanout_next(struct fanout *fo)
{
	struct conf	*conf = fanout_conf(fo);

	if (fo->busy || !scripts_ready(fo->sc) || daemon_stopping(fo->d))
		return;
	fo->busy = 1;
	if (rconn_command(fo->d->rc, fanout_listed, fo,
	    "SRANDMEMBER %sevents:resolving 1", conf->redis_prefix) != 0)
		fanout_release(fo, 0);
}

static void
fanout_poll_cb(evutil_socket_t fd, short events, void *arg)
{
	fanout_next(arg);
}

/* Set up the fan-out worker. */
struct fanout *
fanout_new(struct daemon *d, struct scripts *sc, const struct stage_res *res,
    stage_wake_cb *queued, void *arg)
{
	struct fanout	*fo;

	fo = xcalloc(1, sizeof *fo);
	fo->d = d;
	fo->sc = sc;
	fo->res = res;
	fo->queued = queued;
	fo->queued_arg = arg;
	buf_init(&fo->text, 8192);
	if ((fo->ev_poll = evtimer_new(d->base, fanout_poll_cb, fo)) ==
	    NULL)
		fatalx("fanout: evtimer_new");
	fanout_arm(fo, FANOUT_POLL_MS);
	return (fo);
}

/* Free it. */
void
fanout_free(struct fanout *fo)
{
	free(fo->e);
	free(fo->cursor);
	free(fo->key);
	free(fo->lock);
	if (fo->have_ev)
		broadcast_free(&fo->ev);
	buf_free(&fo->text);
	event_free(fo->ev_poll);
	free(fo);
}
