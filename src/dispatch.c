/*
 * dispatch.c: one round of handing messages to channels.
 *
 *   allow   ask the shared limiter (outbox.lua allow) how many messages
 *           each rate-limited channel may send now;
 *   take    lease that many due messages (outbox.lua take: emergency
 *           first, events of one priority in turn, priorities in their
 *           quiet hours left waiting);
 *   route   give each a channel: the first route that matches it
 *           (route.c), its channels in order or spread, skipping those
 *           that are full, out of rate, set aside after failures, or
 *           that failed this message last time;
 *   admit   check and consume, atomically and shared by every daemon,
 *           the channel's rate, the recipient's daily cap and the
 *           department's budget (outbox.lua admit);
 *   send    hand it to the channel.
 *
 * A message that may not go now is deferred: back to the outbox with the
 * time it may (outbox.lua done, result "defer"), not counted as an
 * attempt.  When nothing may go, the next round is timed for when a
 * channel's rate allows one again: a limit never makes a busy loop.
 */
#include "compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "carrier.h"
#include "channel.h"
#include "conf.h"
#include "log.h"
#include "outbox.h"
#include "outbox-int.h"
#include "script.h"
#include "stage.h"
#include "quiet.h"
#include "rate.h"
#include "rconn.h"
#include "route.h"
#include "sms.h"
#include "util.h"
#include "xmalloc.h"

#define DISPATCH_NOROUTE_MS	30000	/* a message no route takes waits */
#define DISPATCH_ASIDE_MS	1000	/* ... all its channels unavailable */
#define DISPATCH_WAIT_MIN	2	/* ms: shortest wait for a rate */

/*
 * A channel's rate as the limiter's parameters (src/rate.c): whole
 * numbers only, the interval being period/count ms exactly, and the
 * burst as rate_init counts it.  0 when the channel has no rate.
 */
static int
dispatch_gcra(const struct conf_channel *cc, struct rate *r)
{
	return (rate_init(r, cc->rate.count, cc->rate.period, cc->burst));
}

/* Its period, count and burst for outbox.lua allow and admit, in own. */
static void
dispatch_gcra_args(const struct rate *r, const char **argv, size_t *argc,
    char **own, size_t *nown)
{
	xasprintf(&own[*nown], "%lld", r->period);
	argv[(*argc)++] = own[(*nown)++];
	xasprintf(&own[*nown], "%lld", r->count);
	argv[(*argc)++] = own[(*nown)++];
	xasprintf(&own[*nown], "%lld", r->burst);
	argv[(*argc)++] = own[(*nown)++];
}

/* Local day and month keys, and when they end (ms). */
struct dispatch_windows {
	char		day[16];
	char		month[16];
	long long	day_end;
	long long	month_end;
};

static void
dispatch_windows(long long now_ms, struct dispatch_windows *w)
{
	struct tm	tm, next;
	time_t		t = (time_t)(now_ms / 1000);

	localtime_r(&t, &tm);
	strftime(w->day, sizeof w->day, "%Y%m%d", &tm);
	strftime(w->month, sizeof w->month, "%Y%m", &tm);
	next = tm;
	next.tm_mday++;
	next.tm_hour = next.tm_min = next.tm_sec = 0;
	next.tm_isdst = -1;
	w->day_end = (long long)mktime(&next) * 1000;
	next = tm;
	next.tm_mon++;
	next.tm_mday = 1;
	next.tm_hour = next.tm_min = next.tm_sec = 0;
	next.tm_isdst = -1;
	w->month_end = (long long)mktime(&next) * 1000;
}

/* 0 when channel i cannot send at all for now: routes fall back. */
static int
dispatch_up(struct outbox *ob, size_t i, long long now)
{
	struct channel	*ch = &ob->sres->chans[i];

	if (ob->chans[i].failing_until > now)
		return (0);
	return (ch->ops->up == NULL || ch->ops->up(ch));
}

/* 1 when channel i may be given a message this round. */
static int
dispatch_usable(struct outbox *ob, size_t i, long long now)
{
	struct channel		*ch = &ob->sres->chans[i];
	struct outbox_chan	*c = &ob->chans[i];

	if (c->failing_until > now)
		return (0);
	if (c->used >= c->allow)
		return (0);
	/*
	 * The slots given this round are not taken until the sends after
	 * admission: count them, or two messages would share a modem's one
	 * slot and the second come back, its admission spent.
	 */
	return ((long long)ch->ops->capacity(ch) > c->used);
}

static size_t
dispatch_index(struct outbox *ob, const struct conf_channel *cc)
{
	size_t	i;

	for (i = 0; i < ob->sres->nchans; i++) {
		if (ob->sres->chans[i].conf == cc)
			return (i);
	}
	return ((size_t)-1);
}

/*
 * Give a job a channel; 0, or -1 with *defer_at (ms) and *why when none
 * can take it now.
 */
static int
dispatch_route(struct outbox *ob, struct outbox_job *job, long long now,
    long long *defer_at, const char **why)
{
	struct route_msg	 rm;
	struct route_pick	 pick;
	size_t			 k, i, best = (size_t)-1;
	long long		 wait = -1, left, bestleft = -1;
	int			 pass;

	rm.prio = job->prio;
	rm.department = job->dept;
	rm.district = job->district;
	rm.carrier = ob->sres->carriers != NULL ?
	    carrier_of(ob->sres->carriers, job->phone) : CARRIER_UNKNOWN;
	route_select(outbox_conf(ob), &rm, &pick);
	if (pick.n == 0) {
		*defer_at = now + DISPATCH_NOROUTE_MS;
		*why = "no route takes this message";
		return (-1);
	}
	/* No routes at all: the channels are one pool, used at once. */
	if (pick.route < 0)
		pick.spread = 1;
	/* Pass 0 avoids the channel that failed it last; pass 1 does not. */
	for (pass = 0; pass < 2 && best == (size_t)-1; pass++) {
		for (k = 0; k < pick.n; k++) {
			if ((i = dispatch_index(ob, pick.channels[k])) ==
			    (size_t)-1)
				continue;
			if (pass == 0 && job->avoid != NULL &&
			    strcmp(job->avoid, pick.channels[k]->id) == 0)
				continue;
			if (!dispatch_usable(ob, i, now)) {
				if (ob->chans[i].allow <= ob->chans[i].used &&
				    ob->chans[i].wait > 0 &&
				    (wait < 0 || ob->chans[i].wait < wait))
					wait = ob->chans[i].wait;
				/*
				 * In turn: a channel that is up but busy or at
				 * its rate is waited for; only one that cannot
				 * send at all passes its messages on.
				 */
				if (!pick.spread && dispatch_up(ob, i, now))
					break;
				continue;
			}
			if (!pick.spread) {
				best = i;
				break;
			}
			/* Spread: the one with the most room left. */
			left = ob->chans[i].allow - ob->chans[i].used;
			if (left > bestleft) {
				bestleft = left;
				best = i;
			}
		}
	}
	if (best == (size_t)-1) {
		if (wait > 0) {
			/* The round after the rate's wait takes it again. */
			*defer_at = 0;
			*why = "channel rate";
		} else if (k < pick.n) {
			/* Its channel is up but busy: back to the front. */
			*defer_at = 0;
			*why = "channel busy";
		} else {
			*defer_at = now + DISPATCH_ASIDE_MS;
			*why = "no channel of its route available";
		}
		return (-1);
	}
	job->chan = &ob->sres->chans[best];
	ob->chans[best].used++;
	return (0);
}

static void
dispatch_send(struct outbox *ob, struct outbox_job *job)
{
	struct channel_msg	msg;

	msg.id = job->id;
	msg.to = job->phone;
	msg.text = job->text;
	msg.signature = NULL;
	if (job->chan->ops->send(job->chan, &msg, outbox_sent, job) == 0) {
		TAILQ_INSERT_TAIL(&ob->jobs, job, entry);
		ob->njobs++;
		return;
	}
	/* No free slot after all: back to the queue, no attempt counted. */
	outbox_result_add(ob, job->id, "requeue", "", "", "", 0, 0);
	outbox_job_free(job);
}

/*
 * Back to the front of its queue, no attempt counted: for a wait of the
 * channel's own (its rate, a busy slot) that the next round times.  Why
 * not the retry queue: a message there leaves its priority's queue, and a
 * routine one would then overtake an emergency still waiting there.
 */
static void
dispatch_requeue(struct outbox *ob, struct outbox_job *job)
{
	outbox_result_add(ob, job->id, "requeue", "", "", "", 0, 0);
	outbox_job_free(job);
}

static void
dispatch_defer(struct outbox *ob, struct outbox_job *job, long long at,
    const char *why)
{
	log_debug("outbox: %s waits %lld ms: %s", job->id,
	    at - util_now_ms(), why);
	outbox_result_add(ob, job->id, "defer", "", "", why, at, 0);
	outbox_job_free(job);
}

static void
dispatch_admitted(struct rconn *rc, redisReply *r, void *arg)
{
	struct outbox		*ob = arg;
	struct outbox_job	*job;
	static const char	*whys[] = { "", "channel rate",
				    "recipient's daily limit",
				    "department budget" };
	long long		 code, at;
	size_t			 i;

	ob->taking = 0;
	for (i = 0; i < ob->nadmit; i++) {
		job = ob->admit[i];
		if (r == NULL || r->type != REDIS_REPLY_ARRAY ||
		    r->elements != ob->nadmit * 2) {
			/* Not admitted: try again in a moment. */
			dispatch_defer(ob, job, util_now_ms() + 1000,
			    "limits unavailable");
			continue;
		}
		code = r->element[i * 2]->integer;
		at = r->element[i * 2 + 1]->integer;
		if (code == 0)
			dispatch_send(ob, job);
		else if (code == 1)
			dispatch_requeue(ob, job);
		else
			dispatch_defer(ob, job, at, whys[code >= 1 &&
			    code <= 3 ? code : 0]);
	}
	if (r != NULL && r->type == REDIS_REPLY_ERROR)
		log_warnx("outbox: admit: %s", r->str);
	ob->nadmit = 0;
	outbox_kick(ob);
}

/* Admit the routed jobs of this round. */
static void
dispatch_admit(struct outbox *ob)
{
	struct conf		 *conf = outbox_conf(ob);
	struct dispatch_windows	  w;
	const struct conf_department *d;
	struct outbox_job	 *job;
	const char		**argv;
	char			**own;
	size_t			  argc = 0, nown = 0, i;
	struct rate		  r;
	unsigned long		  rcap;
	long long		  now = util_now_ms();

	if (ob->nadmit == 0) {
		ob->taking = 0;
		outbox_kick(ob);
		return;
	}
	dispatch_windows(now, &w);
	argv = xcalloc(5 + ob->nadmit * 12, sizeof *argv);
	own = xcalloc(5 + ob->nadmit * 8, sizeof *own);
	xasprintf(&own[nown], "%lld", now);
	argv[argc++] = own[nown++];
	argv[argc++] = w.day;
	argv[argc++] = w.month;
	xasprintf(&own[nown], "%lld", w.day_end);
	argv[argc++] = own[nown++];
	xasprintf(&own[nown], "%lld", w.month_end);
	argv[argc++] = own[nown++];
	for (i = 0; i < ob->nadmit; i++) {
		job = ob->admit[i];
		dispatch_gcra(job->chan->conf, &r);	/* count 0: none */
		rcap = 0;
		if (job->prio == PRIO_ROUTINE)
			rcap = conf->recipient_routine.count;
		else if (job->prio == PRIO_URGENT)
			rcap = conf->recipient_urgent.count;
		d = conf_department_find(conf, job->dept);
		argv[argc++] = job->id;
		argv[argc++] = job->chan->conf->id;
		dispatch_gcra_args(&r, argv, &argc, own, &nown);
		argv[argc++] = job->phone;
		argv[argc++] = conf_prio_name(job->prio);
		argv[argc++] = job->dept;
		xasprintf(&own[nown], "%d %lu %lu %lu", job->segments, rcap,
		    d != NULL ? d->budget_day : 0UL,
		    d != NULL ? d->budget_month : 0UL);
		/* Four numbers in one buffer: split in place. */
		{
			char	*p = own[nown++], *q;
			int	 k;

			for (k = 0; k < 4; k++) {
				q = strsep(&p, " ");
				argv[argc++] = q;
			}
		}
	}
	if (script_eval(ob->sc, SCRIPT_OUTBOX, "admit", (int)argc, argv,
	    NULL, dispatch_admitted, ob) != 0)
		dispatch_admitted(NULL, NULL, ob);
	for (i = 0; i < nown; i++)
		free(own[i]);
	free(own);
	free(argv);
}

static void
dispatch_took(struct rconn *rc, redisReply *r, void *arg)
{
	struct outbox		*ob = arg;
	struct outbox_job	*job;
	struct sms_len		 sl;
	const char		*why;
	long long		 now = util_now_ms(), at;
	size_t			 i, n = 0;
	int			 p;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		if (r != NULL && r->type == REDIS_REPLY_ERROR)
			log_warnx("outbox: take: %s", r->str);
		ob->taking = 0;
		dispatch_idle(ob);
		return;
	}
	ob->admit = xreallocarray(ob->admit, r->elements / 8 + 1,
	    sizeof *ob->admit);
	ob->nadmit = 0;
	for (i = 0; i + 7 < r->elements; i += 8) {
		job = xcalloc(1, sizeof *job);
		job->ob = ob;
		job->id = xstrdup(r->element[i]->str);
		job->phone = xstrdup(r->element[i + 1]->str);
		job->text = xstrdup(r->element[i + 2]->type ==
		    REDIS_REPLY_STRING ? r->element[i + 2]->str : "");
		job->attempts = (int)r->element[i + 3]->integer;
		p = conf_prio_parse(r->element[i + 4]->str);
		job->prio = p >= 0 ? (enum prio)p : PRIO_ROUTINE;
		job->dept = xstrdup(r->element[i + 5]->type ==
		    REDIS_REPLY_STRING ? r->element[i + 5]->str : "");
		job->district = xstrdup(r->element[i + 6]->type ==
		    REDIS_REPLY_STRING ? r->element[i + 6]->str : "");
		if (r->element[i + 7]->type == REDIS_REPLY_STRING &&
		    r->element[i + 7]->len > 0)
			job->avoid = xstrdup(r->element[i + 7]->str);
		job->segments = sms_measure(job->text, strlen(job->text), &sl,
		    &why) == 0 ? (int)sl.segments : 1;
		n++;
		if (dispatch_route(ob, job, now, &at, &why) != 0) {
			if (at == 0)
				dispatch_requeue(ob, job);
			else
				dispatch_defer(ob, job, at, why);
			continue;
		}
		ob->admit[ob->nadmit++] = job;
	}
	if (n == 0) {
		/* Nothing due: a new message or a finished send kicks us. */
		ob->taking = 0;
		dispatch_idle(ob);
		return;
	}
	log_debug("outbox: took %zu messages", n);
	dispatch_admit(ob);
}

/* The priorities held back now, as "routine,urgent" (or ""). */
static void
dispatch_held(struct outbox *ob, char *out, size_t len)
{
	struct quiet	 q;
	char		*cause;
	time_t		 now = time(NULL);
	int		 p;

	out[0] = '\0';
	if (quiet_from_conf(outbox_conf(ob), &q, &cause) != 0) {
		free(cause);	/* config check refuses it: not reached */
		return;
	}
	for (p = PRIO_URGENT; p < PRIO_COUNT; p++) {
		if (!quiet_holds(&q, (enum prio)p, now))
			continue;
		if (out[0] != '\0')
			strlcat(out, ",", len);
		strlcat(out, conf_prio_name((enum prio)p), len);
	}
}

static void
dispatch_take(struct outbox *ob, size_t max)
{
	struct conf	*conf = outbox_conf(ob);
	const char	*argv[5];
	char		 now[24], lease[24], smax[24], held[64];

	if (max > (size_t)conf->outbox_batch)
		max = (size_t)conf->outbox_batch;
	snprintf(now, sizeof now, "%lld", util_now_ms());
	snprintf(lease, sizeof lease, "%lld",
	    (long long)conf->outbox_lease * 1000);
	snprintf(smax, sizeof smax, "%zu", max);
	dispatch_held(ob, held, sizeof held);
	argv[0] = conf->instance;
	argv[1] = now;
	argv[2] = lease;
	argv[3] = smax;
	argv[4] = held;
	if (script_eval(ob->sc, SCRIPT_OUTBOX, "take", 5, argv, NULL,
	    dispatch_took, ob) != 0) {
		ob->taking = 0;
		dispatch_idle(ob);
	}
}

/*
 * Mark the channels messages would go to now: every channel of a spread
 * route, the first channel that is up of a route in turn, every channel
 * when no route is configured.  Only their room counts: a second channel
 * kept for failover must not make us take messages its route's first
 * channel has no room for.
 */
static void
dispatch_live(struct outbox *ob, long long now, char *live)
{
	const struct conf	*conf = outbox_conf(ob);
	const struct conf_route	*rt;
	const struct conf_channel *cc;
	size_t			 r, k, i;

	memset(live, conf->nroutes == 0, ob->sres->nchans);
	for (r = 0; r < conf->nroutes; r++) {
		rt = &conf->routes[r];
		for (k = 0; k < rt->nchannels; k++) {
			if ((cc = conf_channel_find(conf, rt->channels[k])) ==
			    NULL || (i = dispatch_index(ob, cc)) == (size_t)-1)
				continue;
			if (!dispatch_up(ob, i, now))
				continue;
			live[i] = 1;
			if (!rt->spread)
				break;
		}
	}
}

/* Free slots of the live channels, their rates as last told. */
static size_t
dispatch_room(struct outbox *ob, long long now, long long *wait)
{
	struct outbox_chan	*c;
	struct channel		*ch;
	size_t			 i, cap, n = 0;
	long long		 left;
	char			*live;

	*wait = -1;
	live = xcalloc(ob->sres->nchans + 1, 1);
	dispatch_live(ob, now, live);
	for (i = 0; i < ob->sres->nchans; i++) {
		ch = &ob->sres->chans[i];
		c = &ob->chans[i];
		if (!live[i] || c->failing_until > now)
			continue;
		cap = ch->ops->capacity(ch);
		left = c->allow;
		if (left <= 0) {
			if (c->wait > 0 && (*wait < 0 || c->wait < *wait))
				*wait = c->wait;
			continue;
		}
		n += cap < (size_t)left ? cap : (size_t)left;
	}
	free(live);
	return (n);
}

static void
dispatch_allowed(struct rconn *rc, redisReply *r, void *arg)
{
	struct outbox	*ob = arg;
	struct rate	 rate;
	long long	 wait, now = util_now_ms();
	size_t		 i, k = 0, room;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		if (r != NULL && r->type == REDIS_REPLY_ERROR)
			log_warnx("outbox: allow: %s", r->str);
		ob->taking = 0;
		dispatch_idle(ob);
		return;
	}
	for (i = 0; i < ob->sres->nchans; i++) {
		ob->chans[i].used = 0;
		ob->chans[i].wait = 0;
		if (!dispatch_gcra(ob->sres->chans[i].conf, &rate)) {
			ob->chans[i].allow = 1LL << 40;	/* no rate */
			continue;
		}
		if (k + 1 >= r->elements)
			break;
		ob->chans[i].allow = r->element[k]->integer;
		ob->chans[i].wait = r->element[k + 1]->integer;
		k += 2;
	}
	room = dispatch_room(ob, now, &wait);
	if (room == 0) {
		ob->taking = 0;
		/*
		 * Wake when a rate lets one through, not before; when the
		 * channels are only busy, a finished send kicks us, and the
		 * idle poll covers one that finished during this round.
		 */
		if (wait > 0) {
			ob->kicked = 0;
			util_timer_ms(ob->ev_take, wait < DISPATCH_WAIT_MIN ?
			    DISPATCH_WAIT_MIN : wait);
		} else
			dispatch_idle(ob);
		return;
	}
	dispatch_take(ob, room);
}

/* Take as many due messages as the channels have room and rate for. */
void
dispatch_round(struct outbox *ob)
{
	const char	**argv;
	char		**own;
	struct rate	  r;
	size_t		  i, argc = 0, nown = 0, cap = 0;

	if (ob->taking || ob->stopping || !scripts_ready(ob->sc) || !ob->recovered)
		return;
	for (i = 0; i < ob->sres->nchans; i++)
		cap += ob->sres->chans[i].ops->capacity(&ob->sres->chans[i]);
	if (cap == 0)
		return;		/* a finished send kicks us */
	argv = xcalloc(1 + ob->sres->nchans * 4, sizeof *argv);
	own = xcalloc(1 + ob->sres->nchans * 3, sizeof *own);
	xasprintf(&own[nown], "%lld", util_now_ms());
	argv[argc++] = own[nown++];
	for (i = 0; i < ob->sres->nchans; i++) {
		if (!dispatch_gcra(ob->sres->chans[i].conf, &r))
			continue;
		argv[argc++] = ob->sres->chans[i].conf->id;
		dispatch_gcra_args(&r, argv, &argc, own, &nown);
	}
	ob->taking = 1;
	if (script_eval(ob->sc, SCRIPT_OUTBOX, "allow", (int)argc, argv,
	    NULL, dispatch_allowed, ob) != 0) {
		ob->taking = 0;
		dispatch_idle(ob);
	}
	for (i = 0; i < nown; i++)
		free(own[i]);
	free(own);
	free(argv);
}

/* Look again after a while: nothing was there, or Redis is away. */
void
dispatch_idle(struct outbox *ob)
{
	ob->kicked = 0;
	util_timer_ms(ob->ev_take, OUTBOX_IDLE_MS);
}

/* The take timer: a kick, an idle poll, or a rate's wait is over. */
void
dispatch_round_cb(evutil_socket_t fd, short events, void *arg)
{
	struct outbox	*ob = arg;

	ob->kicked = 0;
	dispatch_round(ob);
}
