/*
 * retention.c: remove the message records of finished events once they
 * are older than retention_days, keeping the events' counts and reach.
 *
 * A run asks retention.lua for a page of candidates (events accepted
 * before the cutoff, over, not purged yet), then purges them together
 * with repeated SCAN steps over the message keys: one walk of the
 * keyspace serves a whole page of events.  Calls go one at a time on
 * the daemon's connection and each does bounded work, so neither Redis
 * nor the outbox waits on a purge for long.  Everything is idempotent:
 * a run cut short (a lost connection, a stop) is finished by the next.
 */
#include "compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "conf.h"
#include "daemon.h"
#include "rblock.h"
#include "log.h"
#include "script.h"
#include "rconn.h"
#include "retention.h"
#include "util.h"
#include "xmalloc.h"

#define RETENTION_FIRST_S	60	/* first run after start */
#define RETENTION_EVERY_S	3600
#define RETENTION_EVENTS	100	/* events purged by one keyspace walk */
#define RETENTION_SCAN		"500"	/* SCAN COUNT of one purge call */
#define RETENTION_DAY_MS	86400000LL

struct retention {
	struct daemon	 *d;
	struct scripts	 *sc;
	struct event	 *ev;
	int		  busy;		/* a run is going on */
	int		  days;		/* retention_days of this run */
	char		  now[24];	/* ms, this run's */
	char		  cutoff[24];	/* ms: accepted before it goes */
	long long	  next;		/* events:list rank to go on from */
	char		  cursor[32];	/* of the keyspace walk */
	char		**evs;		/* the events being purged */
	size_t		  nevs;
};

static void	retention_candidates(struct retention *);
static void	retention_purge(struct retention *);

static void
retention_arm(struct retention *rt, int s)
{
	struct timeval	tv = { s, 0 };

	evtimer_add(rt->ev, &tv);
}

static void
retention_evs_free(struct retention *rt)
{
	size_t	i;

	for (i = 0; i < rt->nevs; i++)
		free(rt->evs[i]);
	free(rt->evs);
	rt->evs = NULL;
	rt->nevs = 0;
}

/* The run is over (done or given up: the next one takes it up). */
static void
retention_end(struct retention *rt)
{
	retention_evs_free(rt);
	rt->busy = 0;
}

/* 0 when a reply is an array of at least min elements, else logs. */
static int
retention_reply_ok(redisReply *r, size_t min)
{
	if (r == NULL) {
		log_debug("retention: Redis connection lost; next run later");
		return (-1);
	}
	if (r->type == REDIS_REPLY_ERROR) {
		log_warnx("retention: %s", r->str);
		return (-1);
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements < min) {
		log_warnx("retention: unexpected reply from retention.lua");
		return (-1);
	}
	return (0);
}

static void
retention_candidates_done(struct rconn *rc, redisReply *r, void *arg)
{
	struct retention	*rt = arg;
	size_t			 i;

	if (rc == NULL)
		return;		/* the daemon is being freed, rt already is */
	if (retention_reply_ok(r, 1) != 0 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER) {
		retention_end(rt);
		return;
	}
	rt->next = r->element[0]->integer;
	rt->evs = xcalloc(r->elements, sizeof *rt->evs);
	for (i = 1; i < r->elements; i++) {
		if (r->element[i]->type == REDIS_REPLY_STRING)
			rt->evs[rt->nevs++] = xstrdup(r->element[i]->str);
	}
	if (rt->nevs > 0) {
		strlcpy(rt->cursor, "0", sizeof rt->cursor);
		retention_purge(rt);
	} else if (rt->next != 0) {
		retention_evs_free(rt);
		retention_candidates(rt);
	} else
		retention_end(rt);
}

/* Ask for the next page of events to purge. */
static void
retention_candidates(struct retention *rt)
{
	const char	*argv[4];
	char		 max[16], from[24];

	snprintf(max, sizeof max, "%d", RETENTION_EVENTS);
	if (rt->next > 0)
		snprintf(from, sizeof from, "%lld", rt->next);
	else
		strlcpy(from, "-", sizeof from);
	argv[0] = rt->now;
	argv[1] = rt->cutoff;
	argv[2] = max;
	argv[3] = from;
	if (script_eval(rt->sc, SCRIPT_RETENTION, "candidates", 4, argv, NULL,
	    retention_candidates_done, rt) != 0)
		retention_end(rt);
}

static void
retention_purged(struct rconn *rc, redisReply *r, void *arg)
{
	struct retention	*rt = arg;
	redisReply		*e, *n;
	size_t			 i;

	if (rc == NULL)
		return;		/* the daemon is being freed, rt already is */
	if (retention_reply_ok(r, 2) != 0 ||
	    r->element[0]->type != REDIS_REPLY_STRING) {
		retention_end(rt);
		return;
	}
	strlcpy(rt->cursor, r->element[0]->str, sizeof rt->cursor);
	if (strcmp(rt->cursor, "0") != 0) {
		retention_purge(rt);
		return;
	}
	for (i = 2; i + 1 < r->elements; i += 2) {
		e = r->element[i];
		n = r->element[i + 1];
		if (e->type != REDIS_REPLY_STRING ||
		    n->type != REDIS_REPLY_STRING)
			continue;
		log_info("retention: event %s: %s message records older than "
		    "%d days purged; its counts are kept", e->str, n->str,
		    rt->days);
	}
	retention_evs_free(rt);
	if (rt->next != 0)
		retention_candidates(rt);
	else
		retention_end(rt);
}

/* One step of the keyspace walk for the events in rt->evs. */
static void
retention_purge(struct retention *rt)
{
	const char	**argv;
	size_t		  i, argc = 0;

	argv = xcalloc(3 + rt->nevs, sizeof *argv);
	argv[argc++] = rt->cursor;
	argv[argc++] = RETENTION_SCAN;
	argv[argc++] = rt->now;
	for (i = 0; i < rt->nevs; i++)
		argv[argc++] = rt->evs[i];
	if (script_eval(rt->sc, SCRIPT_RETENTION, "purge", (int)argc, argv,
	    NULL, retention_purged, rt) != 0)
		retention_end(rt);
	free(argv);
}

static void
retention_cb(evutil_socket_t fd, short events, void *arg)
{
	struct retention	*rt = arg;
	long long		 now;

	if (!scripts_ready(rt->sc)) {
		retention_arm(rt, RETENTION_FIRST_S);
		return;
	}
	retention_arm(rt, RETENTION_EVERY_S);
	if (rt->busy)
		return;		/* the last run is still going */
	rt->busy = 1;
	rt->days = rt->d->conf->retention_days;
	now = util_now_ms();
	snprintf(rt->now, sizeof rt->now, "%lld", now);
	snprintf(rt->cutoff, sizeof rt->cutoff, "%lld",
	    now - rt->days * RETENTION_DAY_MS);
	rt->next = 0;
	retention_candidates(rt);
}

/* Start the daemon's purge: a minute after start, then every hour. */
struct retention *
retention_new(struct daemon *d, struct scripts *sc)
{
	struct retention	*rt;

	rt = xcalloc(1, sizeof *rt);
	rt->d = d;
	rt->sc = sc;
	if ((rt->ev = evtimer_new(d->base, retention_cb, rt)) == NULL)
		fatalx("retention: evtimer_new");
	retention_arm(rt, RETENTION_FIRST_S);
	return (rt);
}

/* Stop it and free it (after the loop ended). */
void
retention_free(struct retention *rt)
{
	if (rt == NULL)
		return;
	event_free(rt->ev);
	retention_evs_free(rt);
	free(rt);
}

/* An operation of retention.lua on a synchronous connection. */
static redisReply *
retention_eval(redisContext *c, const char *prefix, const char *op,
    size_t argc, const char **args, char **cause)
{
	redisReply	*r;

	if ((r = script_eval_sync(c, prefix, SCRIPT_RETENTION, op, (int)argc,
	    args, NULL, cause)) == NULL)
		return (NULL);
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1) {
		freeReplyObject(r);
		xasprintf(cause, "retention.lua %s: unexpected reply", op);
		return (NULL);
	}
	return (r);
}

/* Purge the events of one candidates reply (r->element[1...]). */
static int
retention_sync_page(redisContext *c, const char *prefix,
    const char *now, redisReply *cand, int verbose, unsigned long *events,
    unsigned long *messages, char **cause)
{
	const char	**argv;
	redisReply	 *r, *e, *n;
	char		  cursor[32] = "0";
	size_t		  i, argc;

	argv = xcalloc(3 + cand->elements, sizeof *argv);
	for (;;) {
		argc = 0;
		argv[argc++] = cursor;
		argv[argc++] = RETENTION_SCAN;
		argv[argc++] = now;
		for (i = 1; i < cand->elements; i++)
			argv[argc++] = cand->element[i]->str;
		if ((r = retention_eval(c, prefix, "purge", argc, argv,
		    cause)) == NULL) {
			free(argv);
			return (-1);
		}
		if (r->element[0]->type != REDIS_REPLY_STRING) {
			freeReplyObject(r);
			free(argv);
			xasprintf(cause, "retention.lua purge: unexpected "
			    "reply");
			return (-1);
		}
		strlcpy(cursor, r->element[0]->str, sizeof cursor);
		if (strcmp(cursor, "0") == 0)
			break;
		freeReplyObject(r);
	}
	free(argv);
	for (i = 2; i + 1 < r->elements; i += 2) {
		e = r->element[i];
		n = r->element[i + 1];
		if (e->type != REDIS_REPLY_STRING ||
		    n->type != REDIS_REPLY_STRING)
			continue;
		(*events)++;
		*messages += strtoul(n->str, NULL, 10);
		if (verbose)
			printf("event %s: %s message records purged\n",
			    e->str, n->str);
	}
	freeReplyObject(r);
	return (0);
}

/* Purge now, on a synchronous connection. */
int
retention_purge_sync(redisContext *c, const char *prefix,
    long long cutoff_ms, int verbose,
    unsigned long *events, unsigned long *messages, char **cause)
{
	const char	*argv[4];
	redisReply	*r;
	char		 now[24], cutoff[24], max[16], from[24] = "-";
	long long	 next;
	size_t		 i;

	snprintf(now, sizeof now, "%lld", util_now_ms());
	snprintf(cutoff, sizeof cutoff, "%lld", cutoff_ms);
	snprintf(max, sizeof max, "%d", RETENTION_EVENTS);
	do {
		argv[0] = now;
		argv[1] = cutoff;
		argv[2] = max;
		argv[3] = from;
		if ((r = retention_eval(c, prefix, "candidates", 4,
		    argv, cause)) == NULL)
			return (-1);
		next = r->element[0]->integer;
		for (i = 0; i < r->elements; i++) {
			if (r->element[i]->type != (i == 0 ?
			    REDIS_REPLY_INTEGER : REDIS_REPLY_STRING)) {
				freeReplyObject(r);
				xasprintf(cause, "retention.lua candidates: "
				    "unexpected reply");
				return (-1);
			}
		}
		if (r->elements > 1 && retention_sync_page(c, prefix,
		    now, r, verbose, events, messages, cause) != 0) {
			freeReplyObject(r);
			return (-1);
		}
		freeReplyObject(r);
		snprintf(from, sizeof from, "%lld", next);
	} while (next != 0);
	return (0);
}
