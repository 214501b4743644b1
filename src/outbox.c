/*
 * outbox.c: hand queued messages to channels and record their results.
 *
 * The worker takes a batch of due messages (outbox.lua take: emergency
 * first, events of one priority in turn) as large as the channels' free
 * slots, hands each to a channel, and writes the results back in batches
 * (outbox.lua done).  A taken message carries a lease in Redis; leases of
 * messages still with a channel are renewed, so only a dead (or cut off)
 * daemon's messages go back to the queue: at its own restart at once, or
 * by any other daemon once the lease has run out unrenewed.
 * Those are the only messages that may be sent twice.
 *
 * Why results are batched: one Lua call per result would cost a round
 * trip per message; a batch is flushed when it is large or 10 ms old.
 * Until then a result lives only here: a crash before the flush leaves
 * the message leased, so it is requeued and sent again (see above).
 */
#include "compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "channel.h"
#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "outbox.h"
#include "phone.h"
#include "script.h"
#include "stage.h"
#include "rconn.h"
#include "util.h"
#include "xmalloc.h"

#include "outbox-int.h"

static void	outbox_flush(struct outbox *);

/* Milliseconds to wait after failed attempt number `attempt`. */
long long
outbox_backoff(int attempt, long retry_after_ms, int retry_min,
    int retry_max, double rnd)
{
	long long	delay, cap = (long long)retry_max * 1000;
	int		i;

	if (attempt < 1)
		attempt = 1;
	delay = (long long)retry_min * 1000;
	for (i = 1; i < attempt && delay < cap; i++)
		delay *= 2;
	if (delay > cap)
		delay = cap;
	delay = delay / 2 + (long long)(rnd * (double)(delay / 2));
	if (retry_after_ms > delay)
		delay = retry_after_ms;
	return (delay);
}

/* The configuration in force. */
struct conf *
outbox_conf(struct outbox *ob)
{
	return (ob->d->conf);
}

/* Free a job. */
void
outbox_job_free(struct outbox_job *job)
{
	free(job->id);
	free(job->phone);
	free(job->text);
	free(job->dept);
	free(job->district);
	free(job->avoid);
	free(job);
}

/* Queue a result for the next done call. */
void
outbox_result_add(struct outbox *ob, const char *id, const char *result,
    const char *chan, const char *ref, const char *error,
    long long retry_at, int reports)
{
	struct outbox_result	*r;

	if (ob->nres == ob->capres) {
		ob->capres = ob->capres == 0 ? 64 : ob->capres * 2;
		ob->res = xreallocarray(ob->res, ob->capres, sizeof *ob->res);
	}
	r = &ob->res[ob->nres++];
	r->id = xstrdup(id);
	r->result = xstrdup(result);
	r->chan = xstrdup(chan != NULL ? chan : "");
	r->ref = xstrdup(ref != NULL ? ref : "");
	/* Errors may quote a provider's body: keep them short. */
	r->error = xstrndup(error != NULL ? error : "", 200);
	snprintf(r->retry_at, sizeof r->retry_at, "%lld", retry_at);
	r->reports = reports;
	if (ob->nres >= OUTBOX_FLUSH_MAX)
		outbox_flush(ob);
	else if (!evtimer_pending(ob->ev_flush, NULL))
		util_timer_ms(ob->ev_flush, OUTBOX_FLUSH_MS);
}

static void
outbox_maybe_stopped(struct outbox *ob)
{
	if (ob->stopping && ob->stop_busy && ob->njobs == 0 &&
	    ob->nres == 0 && !ob->flushing) {
		ob->stop_busy = 0;
		log_info("outbox: all messages handed over and recorded");
		daemon_stop_done(ob->d);
	}
}

/*
 * Keep count of a channel's temporary failures in a row: after
 * OUTBOX_FAILS of them the channel is set aside (its traffic goes to the
 * next channel of its routes) for a time that doubles each time, up to
 * OUTBOX_ASIDE_MAX; the first message after that is the probe.
 */
static void
outbox_health(struct outbox *ob, struct channel *ch, enum send_result r)
{
	struct outbox_chan	*c = &ob->chans[ch - ob->sres->chans];
	long long		 aside;

	if (r == SEND_OK || r == SEND_PERMFAIL) {
		if (c->level > 0)
			log_info("outbox: channel %s works again",
			    ch->conf->id);
		c->fails = c->level = 0;
		return;
	}
	if (++c->fails < OUTBOX_FAILS)
		return;
	aside = OUTBOX_ASIDE_MIN << (c->level < 5 ? c->level : 5);
	if (aside > OUTBOX_ASIDE_MAX)
		aside = OUTBOX_ASIDE_MAX;
	c->failing_until = util_now_ms() + aside;
	c->level++;
	c->fails = 0;
	log_warnx("outbox: channel %s: %d failures in a row; set aside for "
	    "%lld s, its messages go to the next channel of their routes",
	    ch->conf->id, OUTBOX_FAILS, aside / 1000);
}

/* A channel has finished with a message. */
void
outbox_sent(void *arg, const struct channel_msg *msg,
    const struct channel_result *res)
{
	struct outbox_job	*job = arg;
	struct outbox		*ob = job->ob;
	struct conf		*conf = outbox_conf(ob);
	char			 masked[PHONE_BUFSIZE];
	long long		 retry_at = 0;

	phone_mask(job->phone, masked);
	outbox_health(ob, job->chan, res->result);
	switch (res->result) {
	case SEND_OK:
		log_debug("outbox: %s to %s via %s: sent%s%s", job->id, masked,
		    job->chan->conf->id, res->provider_ref != NULL ? ", ref " :
		    "", res->provider_ref != NULL ? res->provider_ref : "");
		break;
	case SEND_TEMPFAIL:
		if (job->attempts < conf->outbox_max_attempts)
			retry_at = util_now_ms() + outbox_backoff(job->attempts,
			    res->retry_after, conf->outbox_retry_min,
			    conf->outbox_retry_max, drand48());
		log_info("outbox: %s to %s via %s: attempt %d failed (%s)%s",
		    job->id, masked, job->chan->conf->id, job->attempts,
		    res->error != NULL ? res->error : "temporary",
		    retry_at != 0 ? "; will retry" : "; giving up");
		break;
	case SEND_PERMFAIL:
		log_info("outbox: %s to %s via %s: failed: %s", job->id,
		    masked, job->chan->conf->id,
		    res->error != NULL ? res->error : "permanent");
		break;
	case SEND_UNKNOWN:
		log_warnx("outbox: %s to %s via %s: outcome unknown (%s); "
		    "not resent", job->id, masked, job->chan->conf->id,
		    res->error != NULL ? res->error : "?");
		break;
	}
	outbox_result_add(ob, job->id, channel_result_name(res->result),
	    job->chan->conf->id, res->provider_ref, res->error, retry_at,
	    job->chan->ops->reports);
	TAILQ_REMOVE(&ob->jobs, job, entry);
	ob->njobs--;
	outbox_job_free(job);
	outbox_kick(ob);
	outbox_maybe_stopped(ob);
}

static void
outbox_flushed(struct rconn *rc, redisReply *r, void *arg)
{
	struct outbox	*ob = arg;

	ob->flushing = 0;
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		/*
		 * Not recorded: the results stay here and go again with the
		 * next flush (done is idempotent: it only touches messages
		 * this instance still holds).
		 */
		if (r != NULL)
			log_warnx("outbox: done: %s", r->str);
		util_timer_ms(ob->ev_flush, 500);
		return;
	}
	outbox_maybe_stopped(ob);
	if (ob->nres > 0)
		outbox_flush(ob);
}

/* Write the pending results (all of them, in one call). */
static void
outbox_flush(struct outbox *ob)
{
	const char	**argv;
	size_t		  i, argc = 0, n;

	if (ob->flushing || ob->nres == 0 || !scripts_ready(ob->sc))
		return;
	n = ob->nres;
	argv = xcalloc(2 + n * 7, sizeof *argv);
	argv[argc++] = outbox_conf(ob)->instance;
	argv[argc++] = NULL;		/* now, below */
	for (i = 0; i < n; i++) {
		argv[argc++] = ob->res[i].id;
		argv[argc++] = ob->res[i].result;
		argv[argc++] = ob->res[i].chan;
		argv[argc++] = ob->res[i].ref;
		argv[argc++] = ob->res[i].error;
		argv[argc++] = ob->res[i].retry_at;
		argv[argc++] = ob->res[i].reports ? "1" : "0";
	}
	{
		char	now[24];

		snprintf(now, sizeof now, "%lld", util_now_ms());
		argv[1] = now;
		if (script_eval(ob->sc, SCRIPT_OUTBOX, "done", (int)argc,
		    argv, NULL, outbox_flushed, ob) != 0) {
			free(argv);
			util_timer_ms(ob->ev_flush, 500);
			return;
		}
	}
	free(argv);
	ob->flushing = 1;
	/* hiredis copied the arguments: the batch can go. */
	for (i = 0; i < n; i++) {
		free(ob->res[i].id);
		free(ob->res[i].result);
		free(ob->res[i].chan);
		free(ob->res[i].ref);
		free(ob->res[i].error);
	}
	ob->nres = 0;
}

static void
outbox_reported(struct rconn *rc, redisReply *r, void *arg)
{
	if (r != NULL && r->type == REDIS_REPLY_ERROR)
		log_warnx("outbox: report: %s", r->str);
}

/* A channel's delivery report: record it. */
void
outbox_report(void *arg, struct channel *ch, const struct channel_report *rep)
{
	struct outbox	*ob = arg;
	const char	*argv[6];
	char		 now[24], masked[PHONE_BUFSIZE];

	if (rep->state == 0)
		return;		/* the network is still trying */
	phone_mask(rep->to, masked);
	/* Every part of a long SMS is reported: debug, not info. */
	log_debug("outbox: report via %s for ref %s to %s: %s (%s)",
	    ch->conf->id, rep->ref, masked, rep->state > 0 ? "delivered" :
	    "failed", rep->detail != NULL ? rep->detail : "-");
	snprintf(now, sizeof now, "%lld", util_now_ms());
	argv[0] = now;
	argv[1] = ch->conf->id;
	argv[2] = rep->ref;
	argv[3] = rep->to;
	argv[4] = rep->state > 0 ? "1" : "-1";
	argv[5] = rep->detail != NULL ? rep->detail : "";
	/*
	 * Not connected: the report is lost, and the message stays "sent"
	 * (or "unknown").  Reports are best effort in GSM too.
	 */
	if (script_eval(ob->sc, SCRIPT_OUTBOX, "report", 6, argv, NULL,
	    outbox_reported, ob) != 0)
		log_warnx("outbox: report for ref %s not recorded: Redis down",
		    rep->ref);
}

static void
outbox_flush_cb(evutil_socket_t fd, short events, void *arg)
{
	outbox_flush(arg);
}

static void
outbox_drained(struct rconn *rc, redisReply *r, void *arg)
{
	struct outbox	*ob = arg;

	/* More left: the next tick goes on. */
	if (r != NULL && r->type == REDIS_REPLY_INTEGER && r->integer > 0)
		util_timer_ms(ob->ev_tick, 0);
}

static void
outbox_draining(struct rconn *rc, redisReply *r, void *arg)
{
	struct outbox	*ob = arg;
	const char	*argv[3];
	char		 now[24], max[24];
	size_t		 i;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return;
	snprintf(now, sizeof now, "%lld", util_now_ms());
	snprintf(max, sizeof max, "%d", OUTBOX_DRAIN_MAX);
	for (i = 0; i < r->elements; i++) {
		argv[0] = r->element[i]->str;
		argv[1] = now;
		argv[2] = max;
		script_eval(ob->sc, SCRIPT_OUTBOX, "drain", 3, argv, NULL,
		    outbox_drained, ob);
	}
}

static void
outbox_owners(struct rconn *rc, redisReply *r, void *arg)
{
	struct outbox	*ob = arg;
	const char	*argv[3], *me = outbox_conf(ob)->instance;
	char		 now[24];
	size_t		 i;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return;
	snprintf(now, sizeof now, "%lld", util_now_ms());
	for (i = 0; i < r->elements; i++) {
		if (strcmp(r->element[i]->str, me) == 0)
			continue;
		/*
		 * Another instance's expired leases: its lease ran out
		 * without renewal, so it is dead or cut off from Redis;
		 * either way it can no longer record a result for them.
		 */
		argv[0] = r->element[i]->str;
		argv[1] = now;
		argv[2] = "0";
		script_eval(ob->sc, SCRIPT_OUTBOX, "requeue", 3, argv, NULL,
		    NULL, NULL);
	}
}

/* Extend the leases of the messages this process has with channels. */
static void
outbox_renew(struct outbox *ob)
{
	struct conf		*conf = outbox_conf(ob);
	struct outbox_job	*job;
	const char		**argv;
	char			 now[24], lease[24];
	size_t			 argc = 0;

	if (ob->njobs == 0)
		return;
	argv = xcalloc(3 + ob->njobs, sizeof *argv);
	snprintf(now, sizeof now, "%lld", util_now_ms());
	snprintf(lease, sizeof lease, "%lld",
	    (long long)conf->outbox_lease * 1000);
	argv[argc++] = conf->instance;
	argv[argc++] = now;
	argv[argc++] = lease;
	TAILQ_FOREACH(job, &ob->jobs, entry)
		argv[argc++] = job->id;
	script_eval(ob->sc, SCRIPT_OUTBOX, "renew", (int)argc, argv, NULL,
	    NULL, NULL);
	free(argv);
}

static void
outbox_tick_cb(evutil_socket_t fd, short events, void *arg)
{
	struct outbox	*ob = arg;
	struct conf	*conf = outbox_conf(ob);
	const char	*argv[2];
	char		 now[24], resend[24];
	unsigned int	 renew_every;

	util_timer_ms(ob->ev_tick, OUTBOX_TICK_MS);
	if (!scripts_ready(ob->sc))
		return;
	ob->ticks++;
	snprintf(now, sizeof now, "%lld", util_now_ms());
	snprintf(resend, sizeof resend, "%lld",
	    (long long)conf->outbox_unknown_resend * 1000);
	argv[0] = now;
	argv[1] = resend;
	script_eval(ob->sc, SCRIPT_OUTBOX, "tick", 2, argv, NULL, NULL,
	    NULL);
	rconn_command(ob->d->rc, outbox_draining, ob,
	    "SMEMBERS %sevents:draining", conf->redis_prefix);
	renew_every = (unsigned int)conf->outbox_lease / 3;
	if (renew_every == 0)
		renew_every = 1;
	if (ob->ticks % renew_every == 0)
		outbox_renew(ob);
	if (ob->ticks % 5 == 0)
		rconn_command(ob->d->rc, outbox_owners, ob,
		    "SMEMBERS %sinflight:owners", conf->redis_prefix);
	outbox_kick(ob);
}

static void
outbox_recovered(struct rconn *rc, redisReply *r, void *arg)
{
	struct outbox	*ob = arg;

	if (r == NULL || r->type != REDIS_REPLY_INTEGER)
		return;		/* the next connect tries again */
	if (r->integer > 0) {
		log_info("outbox: %lld messages in flight when this instance "
		    "last stopped are queued again", r->integer);
		outbox_connected(ob);	/* a thousand at a time */
		return;
	}
	ob->recovered = 1;
	outbox_kick(ob);
}

/* Redis (re)connected and the scripts are loaded: resume work. */
void
outbox_connected(struct outbox *ob)
{
	const char	*argv[3];
	char		 now[24];

	if (ob->recovered) {
		outbox_flush(ob);
		outbox_kick(ob);
		return;
	}
	/*
	 * Once per process: whatever this instance held before it started
	 * was in flight when it stopped or crashed.  It is not known
	 * whether those went out; they go again (the one case of a
	 * possible duplicate).
	 */
	snprintf(now, sizeof now, "%lld", util_now_ms());
	argv[0] = outbox_conf(ob)->instance;
	argv[1] = now;
	argv[2] = "1";
	script_eval(ob->sc, SCRIPT_OUTBOX, "requeue", 3, argv, NULL,
	    outbox_recovered, ob);
}

static int
outbox_stop(struct daemon *d, void *arg)
{
	struct outbox	*ob = arg;

	ob->stopping = 1;
	outbox_flush(ob);
	if (ob->njobs == 0 && ob->nres == 0 && !ob->flushing)
		return (0);
	log_info("outbox: waiting for %zu messages with channels", ob->njobs);
	ob->stop_busy = 1;
	return (1);
}

/* Set up the outbox worker: messages to the channels of res. */
struct outbox *
outbox_new(struct daemon *d, struct scripts *sc, const struct stage_res *res)
{
	struct outbox	*ob;

	ob = xcalloc(1, sizeof *ob);
	ob->d = d;
	ob->sc = sc;
	ob->sres = res;
	ob->nchans = res->nchans;
	ob->chans = xcalloc(res->nchans + 1, sizeof *ob->chans);
	TAILQ_INIT(&ob->jobs);
	ob->ev_take = evtimer_new(d->base, dispatch_round_cb, ob);
	ob->ev_tick = evtimer_new(d->base, outbox_tick_cb, ob);
	ob->ev_flush = evtimer_new(d->base, outbox_flush_cb, ob);
	if (ob->ev_take == NULL || ob->ev_tick == NULL || ob->ev_flush == NULL)
		fatalx("outbox: evtimer_new");
	util_timer_ms(ob->ev_tick, OUTBOX_TICK_MS);
	srand48((long)util_now_ms() ^ (long)getpid());
	daemon_on_stop(d, outbox_stop, ob);
	return (ob);
}

/* Free it (after the loop ended). */
void
outbox_free(struct outbox *ob)
{
	struct outbox_job	*job;
	size_t			 i;

	while ((job = TAILQ_FIRST(&ob->jobs)) != NULL) {
		TAILQ_REMOVE(&ob->jobs, job, entry);
		outbox_job_free(job);
	}
	for (i = 0; i < ob->nres; i++) {
		free(ob->res[i].id);
		free(ob->res[i].result);
		free(ob->res[i].chan);
		free(ob->res[i].ref);
		free(ob->res[i].error);
	}
	free(ob->res);
	for (i = 0; i < ob->nadmit; i++)
		outbox_job_free(ob->admit[i]);
	free(ob->admit);
	free(ob->chans);
	event_free(ob->ev_take);
	event_free(ob->ev_tick);
	event_free(ob->ev_flush);
	free(ob);
}

/*
 * There may be new messages or free slots: take some soon (on the next
 * loop pass: the slots freed in the same pass share one take).
 */
void
outbox_kick(struct outbox *ob)
{
	struct timeval	tv = { 0, 0 };

	/* A pending idle poll is brought forward; a pending kick stays. */
	if (!ob->taking && !ob->kicked) {
		ob->kicked = 1;
		evtimer_add(ob->ev_take, &tv);
	}
}
