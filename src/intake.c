/*
 * intake.c: read disclosure events from the stream and accept or reject
 * each one, durably, exactly once.
 *
 * Events are read with a consumer group (INTAKE_GROUP), so several
 * daemons split them.  An entry is acknowledged only after its outcome is
 * recorded in Redis: accepted (outbox.lua accept, which also finds
 * duplicates by department and id) or rejected (the entry and the reason
 * appended to <prefix>events:rejected, in one MULTI with the XACK).  A
 * daemon that dies leaves its entries pending: it reads its own pending
 * entries first when it comes back, and any daemon claims entries left
 * idle longer than intake.claim_idle (XAUTOCLAIM).
 *
 * Publishers that can only PUBLISH send {"event": ..., "sig": ...} to a
 * Pub/Sub channel; each message is appended to the stream at once.
 * Pub/Sub delivers nothing while nobody is subscribed: the stream is the
 * durable way in (docs/events.md says so).
 */
#include "compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <jansson.h>

#include "broadcast.h"
#include "buf.h"
#include "conf.h"
#include "daemon.h"
#include "intake.h"
#include "log.h"
#include "script.h"
#include "stage.h"
#include "rconn.h"
#include "sign.h"
#include "util.h"
#include "verdict.h"
#include "xmalloc.h"

#define INTAKE_POLL_MS		100	/* idle stream poll */
#define INTAKE_CLAIM_MS		10000	/* XAUTOCLAIM period */
#define INTAKE_MAX_FIELDS	16

struct intake_entry {
	char	*sid;
	char	*fields[INTAKE_MAX_FIELDS * 2];
	size_t	 lens[INTAKE_MAX_FIELDS * 2];
	size_t	 nfields;	/* names and values */
	int	 deleted;	/* XAUTOCLAIM/pending of a deleted entry */
};

struct intake {
	struct daemon		*d;
	struct scripts		*sc;
	const struct stage_res	*res;
	stage_wake_cb		*wake;		/* the fan-out: an event accepted */
	void			*wake_arg;
	struct event		*ev_poll;
	struct event		*ev_claim;
	struct rconn		*sub;
	char			*sub_channel;
	char			*stream;
	char			*dead;

	int			 busy;		/* reading or processing */
	int			 own_done;	/* own pending entries read */

	struct intake_entry	*batch;
	size_t			 nbatch;
	size_t			 ibatch;
	int			 batch_full;

	struct broadcast		 ev;
	int			 have_ev;
	struct buf		 text;
	unsigned long		 accepted;
	unsigned long		 rejected;
	unsigned long		 duplicates;
};

static void	intake_read(struct intake *);
static void	intake_process_next(struct intake *);

static struct conf *
intake_conf(struct intake *in)
{
	return (in->d->conf);
}

static const char *
intake_field(const struct intake_entry *e, const char *name, size_t *len)
{
	size_t	i;

	for (i = 0; i + 1 < e->nfields; i += 2) {
		if (strcmp(e->fields[i], name) == 0) {
			if (len != NULL)
				*len = e->lens[i + 1];
			return (e->fields[i + 1]);
		}
	}
	return (NULL);
}

static void
intake_batch_free(struct intake *in)
{
	size_t	i, j;

	for (i = 0; i < in->nbatch; i++) {
		free(in->batch[i].sid);
		for (j = 0; j < in->batch[i].nfields; j++)
			free(in->batch[i].fields[j]);
	}
	free(in->batch);
	in->batch = NULL;
	in->nbatch = in->ibatch = 0;
}

/* Take the entries of an XREADGROUP/XAUTOCLAIM entry list. */
static void
intake_batch_take(struct intake *in, redisReply *list)
{
	struct intake_entry	*e;
	redisReply		*item, *kv;
	size_t			 i, j;

	in->batch = xcalloc(list->elements + 1, sizeof *in->batch);
	for (i = 0; i < list->elements; i++) {
		item = list->element[i];
		if (item->type != REDIS_REPLY_ARRAY || item->elements != 2 ||
		    item->element[0]->type != REDIS_REPLY_STRING)
			continue;
		e = &in->batch[in->nbatch++];
		e->sid = xstrdup(item->element[0]->str);
		kv = item->element[1];
		if (kv->type != REDIS_REPLY_ARRAY) {
			e->deleted = 1;
			continue;
		}
		for (j = 0; j < kv->elements && j < INTAKE_MAX_FIELDS * 2;
		    j++) {
			if (kv->element[j]->type != REDIS_REPLY_STRING)
				continue;
			e->lens[e->nfields] = kv->element[j]->len;
			e->fields[e->nfields++] = xstrndup(kv->element[j]->str,
			    kv->element[j]->len);
		}
		e->nfields -= e->nfields % 2;
	}
}

static void
intake_entry_done(struct intake *in)
{
	if (in->have_ev) {
		broadcast_free(&in->ev);
		in->have_ev = 0;
	}
	in->ibatch++;
	intake_process_next(in);
}

static void
intake_acked(struct rconn *rc, redisReply *r, void *arg)
{
	struct intake	*in = arg;

	if (r == NULL) {
		/* Connection lost: the entry stays pending and comes back. */
		in->busy = 0;
		intake_batch_free(in);
		return;
	}
	intake_entry_done(in);
}

static void
intake_ack(struct intake *in, const struct intake_entry *e)
{
	if (rconn_command(in->d->rc, intake_acked, in, "XACK %s %s %s",
	    in->stream, INTAKE_GROUP, e->sid) != 0) {
		in->busy = 0;
		intake_batch_free(in);
	}
}

/* Dead-letter an entry with its reason, atomically with its XACK. */
static void
intake_reject(struct intake *in, const struct intake_entry *e,
    const char *reason)
{
	struct rconn	*rc = in->d->rc;
	const char	*argv[INTAKE_MAX_FIELDS * 2 + 12];
	size_t		 lens[INTAKE_MAX_FIELDS * 2 + 12];
	char		*why, when[40];
	size_t		 argc = 0, i;

	/* Reasons may quote input: no phone number leaves in clear. */
	why = xstrdup(reason);
	log_mask_phones(why);
	log_warnx("intake: entry %s rejected: %s", e->sid, why);
	in->rejected++;
	broadcast_time_format(time(NULL), when, sizeof when);
	argv[argc] = "XADD";
	lens[argc++] = 4;
	argv[argc] = in->dead;
	lens[argc++] = strlen(in->dead);
	argv[argc] = "*";
	lens[argc++] = 1;
	for (i = 0; i < e->nfields; i++) {
		argv[argc] = e->fields[i];
		lens[argc++] = e->lens[i];
	}
	argv[argc] = "reason";
	lens[argc++] = 6;
	argv[argc] = why;
	lens[argc++] = strlen(why);
	argv[argc] = "stream_id";
	lens[argc++] = 9;
	argv[argc] = e->sid;
	lens[argc++] = strlen(e->sid);
	argv[argc] = "rejected_at";
	lens[argc++] = 11;
	argv[argc] = when;
	lens[argc++] = strlen(when);
	if (rconn_command(rc, NULL, NULL, "MULTI") != 0 ||
	    rconn_command_argv(rc, NULL, NULL, (int)argc, argv, lens) != 0 ||
	    rconn_command(rc, NULL, NULL, "XACK %s %s %s", in->stream,
	    INTAKE_GROUP, e->sid) != 0 ||
	    rconn_command(rc, intake_acked, in, "EXEC") != 0) {
		in->busy = 0;
		intake_batch_free(in);
	}
	free(why);
}

static void
intake_accepted(struct rconn *rc, redisReply *r, void *arg)
{
	struct intake		*in = arg;
	struct intake_entry	*e = &in->batch[in->ibatch];
	const char		*status;
	char			*why;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
		if (r != NULL && r->type == REDIS_REPLY_ERROR)
			log_warnx("intake: entry %s: accept: %s", e->sid,
			    r->str);
		/* Not recorded: leave it pending; it comes back. */
		in->busy = 0;
		intake_batch_free(in);
		util_timer_ms(in->ev_poll, 1000);
		return;
	}
	status = r->element[0]->str;
	if (strcmp(status, "noref") == 0) {
		xasprintf(&why, "references: no event '%s' of department %s",
		    in->ev.references, in->ev.department);
		intake_reject(in, e, why);
		free(why);
		return;
	}
	if (strcmp(status, "new") == 0) {
		in->accepted++;
		log_info("intake: event %s/%s accepted as %s (%s, %s)",
		    in->ev.department, in->ev.id, r->element[1]->str,
		    broadcast_kind_name(in->ev.kind),
		    conf_prio_name(in->ev.priority));
		in->wake(in->wake_arg);
	} else if (strcmp(status, "duplicate") == 0) {
		in->duplicates++;
		log_info("intake: event %s/%s is a duplicate of %s; not "
		    "broadcast again", in->ev.department, in->ev.id,
		    r->element[1]->str);
	}
	intake_ack(in, e);
}

static void	intake_process_checked(struct intake *,
		    struct intake_entry *);

struct intake_auth {
	const struct intake_entry	*e;
	const char			*json;
	size_t				 len;
};

/*
 * Authenticity, for verdict_event: the signature, a lowercase hex
 * HMAC-SHA256 of the exact event bytes with the department's key.
 * -1 with the rule broken in *cause.
 */
static int
intake_auth(void *arg, const struct conf_department *d, char **cause)
{
	struct intake_auth	*a = arg;
	const char		*sig;
	char			*why;
	size_t			 siglen = 0;
	int			 rc;

	sig = intake_field(a->e, "sig", &siglen);
	if (d->key_file != NULL) {
		if (sig == NULL || siglen == 0) {
			xasprintf(cause, "sig: missing; department %s signs "
			    "its events", d->id);
			return (-1);
		}
		rc = sign_verify_file(d->key_file, a->json, a->len, sig, siglen,
		    &why);
		if (rc == -1) {
			xasprintf(cause, "sig: cannot check it: %s", why);
			free(why);
			return (-1);
		}
		if (rc != 0) {
			xasprintf(cause, "sig: does not match the event "
			    "(department %s's key)", d->id);
			return (-1);
		}
	} else if (!d->unsigned_ok) {
		xasprintf(cause, "sig: department %s has no key_file and is "
		    "not configured unsigned", d->id);
		return (-1);
	}
	return (0);
}

/*
 * Who published it, and whether that is vouched for: the event's own
 * `publisher` is covered by a verified signature; a stream field, or
 * anything in an unsigned event, is only a claim (docs/events.md).  A
 * claim that contradicts the signed name is a forgery.  -1 with cause.
 */
static int
intake_publisher(const struct intake_entry *e, const struct broadcast *ev,
    const struct conf_department *d, const char **who, int *verified,
    char **cause)
{
	const char	*claim = intake_field(e, "publisher", NULL);

	*verified = d->key_file != NULL && ev->publisher != NULL;
	if (*verified && claim != NULL && strcmp(claim, ev->publisher) != 0) {
		xasprintf(cause, "publisher: the stream field names another "
		    "publisher than the signed event");
		return (-1);
	}
	if (ev->publisher != NULL)
		*who = ev->publisher;
	else
		*who = claim != NULL ? claim : "";
	return (0);
}

static void
intake_known(struct rconn *rc, redisReply *r, void *arg)
{
	struct intake		*in = arg;
	struct intake_entry	*e = &in->batch[in->ibatch];

	if (r == NULL) {
		in->busy = 0;
		intake_batch_free(in);
		return;
	}
	/*
	 * Accepted before a crash kept us from acknowledging it: ack it
	 * now, without checking it again (its expiry may have passed, the
	 * configuration changed: it is being broadcast all the same).
	 */
	if (r->type == REDIS_REPLY_STRING) {
		log_info("intake: entry %s was accepted as event %s before; "
		    "acknowledged", e->sid, r->str);
		intake_ack(in, e);
		return;
	}
	intake_process_checked(in, e);
}

/* Check one entry and accept or reject it. */
static void
intake_process(struct intake *in, struct intake_entry *e)
{
	if (!in->own_done) {
		/* Read again (ours before a restart, or claimed). */
		if (rconn_command(in->d->rc, intake_known, in,
		    "HGET %sev:sids %s", intake_conf(in)->redis_prefix,
		    e->sid) != 0) {
			in->busy = 0;
			intake_batch_free(in);
		}
		return;
	}
	intake_process_checked(in, e);
}

static void
intake_process_checked(struct intake *in, struct intake_entry *e)
{
	struct conf	*conf = intake_conf(in);
	struct intake_auth	 auth;
	const char		*json, *sig, *publisher, *argv[16];
	char			*cause, now[24], nb[24], exp[24];
	size_t			 len;
	int			 personal, verified;

	if (e->deleted) {
		/* Trimmed from the stream before it was read: nothing to do. */
		intake_ack(in, e);
		return;
	}
	if ((json = intake_field(e, "event", &len)) == NULL) {
		intake_reject(in, e, "no 'event' field");
		return;
	}
	auth.e = e;
	auth.json = json;
	auth.len = len;
	if (verdict_event(json, len, conf, in->res->dt, in->res->tmpls,
	    time(NULL), intake_auth, &auth, &in->ev, &in->text, &personal,
	    &cause) != 0) {
		intake_reject(in, e, cause);
		free(cause);
		return;
	}
	in->have_ev = 1;
	if (intake_publisher(e, &in->ev, conf_department_find(conf,
	    in->ev.department), &publisher, &verified, &cause) != 0) {
		intake_reject(in, e, cause);
		free(cause);
		return;
	}
	sig = intake_field(e, "sig", NULL);
	snprintf(now, sizeof now, "%lld", util_now_ms());
	snprintf(nb, sizeof nb, "%lld", (long long)in->ev.not_before * 1000);
	snprintf(exp, sizeof exp, "%lld", (long long)in->ev.expires * 1000);
	argv[0] = in->ev.department;
	argv[1] = in->ev.id;
	argv[2] = e->sid;
	argv[3] = broadcast_kind_name(in->ev.kind);
	argv[4] = conf_prio_name(in->ev.priority);
	argv[5] = in->ev.references != NULL ? in->ev.references : "";
	argv[6] = json;
	argv[7] = sig != NULL ? sig : "";
	argv[8] = now;
	argv[9] = nb;
	argv[10] = exp;
	/* Text shared by every message: the body alone; see take(). */
	argv[11] = "";
	argv[12] = "";
	argv[13] = in->ev.template != NULL ? in->ev.template : "";
	argv[14] = publisher;
	argv[15] = verified ? "1" : "0";
	if (in->ev.kind != BROADCAST_CANCEL) {
		const struct conf_department *d;

		d = conf_department_find(conf, in->ev.department);
		argv[12] = d->signature;
		if (!personal)
			argv[11] = in->text.data + strlen(d->signature);
	}
	if (script_eval(in->sc, SCRIPT_OUTBOX, "accept", 16, argv, NULL,
	    intake_accepted, in) != 0) {
		in->busy = 0;
		intake_batch_free(in);
	}
}

static void
intake_process_next(struct intake *in)
{
	int	full = in->batch_full;

	if (in->ibatch < in->nbatch) {
		intake_process(in, &in->batch[in->ibatch]);
		return;
	}
	intake_batch_free(in);
	in->busy = 0;
	if (full && !daemon_stopping(in->d))
		intake_read(in);
	else
		util_timer_ms(in->ev_poll, INTAKE_POLL_MS);
}

static void
intake_got(struct rconn *rc, redisReply *r, void *arg)
{
	struct intake	*in = arg;
	redisReply	*list = NULL;

	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		if (r != NULL) {
			log_warnx("intake: %s", r->str);
			/* The group is gone (stream deleted): make it again. */
			if (strncmp(r->str, "NOGROUP", 7) == 0)
				intake_connected(in);
		}
		in->busy = 0;
		util_timer_ms(in->ev_poll, 1000);
		return;
	}
	/* [[stream, [[id, [f, v...]]...]]] or nil */
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
	    r->element[0]->type == REDIS_REPLY_ARRAY &&
	    r->element[0]->elements == 2)
		list = r->element[0]->element[1];
	if (list == NULL || list->type != REDIS_REPLY_ARRAY ||
	    list->elements == 0) {
		in->busy = 0;
		if (!in->own_done) {
			in->own_done = 1;	/* now the new entries */
			intake_read(in);
		} else
			util_timer_ms(in->ev_poll, INTAKE_POLL_MS);
		return;
	}
	in->batch_full = list->elements >=
	    (size_t)intake_conf(in)->intake_batch || !in->own_done;
	intake_batch_take(in, list);
	intake_process_next(in);
}

/* Read a batch: this consumer's pending entries first, then new ones. */
static void
intake_read(struct intake *in)
{
	struct conf	*conf = intake_conf(in);

	if (in->busy || !scripts_ready(in->sc) || daemon_stopping(in->d))
		return;
	in->busy = 1;
	if (rconn_command(in->d->rc, intake_got, in,
	    "XREADGROUP GROUP %s %s COUNT %d STREAMS %s %s", INTAKE_GROUP,
	    conf->instance, conf->intake_batch, in->stream,
	    in->own_done ? ">" : "0") != 0)
		in->busy = 0;
}

static void
intake_poll_cb(evutil_socket_t fd, short events, void *arg)
{
	intake_read(arg);
}

static void
intake_claimed(struct rconn *rc, redisReply *r, void *arg)
{
	struct intake	*in = arg;

	util_timer_ms(in->ev_claim, INTAKE_CLAIM_MS);
	/* [next, [[id, fields]...], [deleted...]] */
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
	    r->element[1]->type != REDIS_REPLY_ARRAY ||
	    r->element[1]->elements == 0)
		return;
	log_info("intake: took over %zu entries left pending by another "
	    "daemon", r->element[1]->elements);
	/*
	 * They are this consumer's pending entries now: read them through
	 * the pending path, in order, like our own after a restart.
	 */
	in->own_done = 0;
	intake_read(in);
}

static void
intake_claim_cb(evutil_socket_t fd, short events, void *arg)
{
	struct intake	*in = arg;
	struct conf	*conf = intake_conf(in);

	if (!scripts_ready(in->sc) || daemon_stopping(in->d) ||
	    rconn_command(in->d->rc, intake_claimed, in,
	    "XAUTOCLAIM %s %s %s %lld 0-0 COUNT %d JUSTID", in->stream,
	    INTAKE_GROUP, conf->instance,
	    (long long)conf->intake_claim_idle * 1000,
	    conf->intake_batch) != 0)
		util_timer_ms(in->ev_claim, INTAKE_CLAIM_MS);
}

static void
intake_grouped(struct rconn *rc, redisReply *r, void *arg)
{
	struct intake	*in = arg;

	if (r != NULL && r->type == REDIS_REPLY_ERROR &&
	    strncmp(r->str, "BUSYGROUP", 9) != 0)
		log_warnx("intake: XGROUP CREATE: %s", r->str);
	in->own_done = 0;
	intake_read(in);
}

/* Redis (re)connected and scripts loaded: (re)start reading. */
void
intake_connected(struct intake *in)
{
	/*
	 * From id 0: events published before any daemon ever ran are read
	 * too.  An existing group keeps its position (BUSYGROUP).
	 */
	rconn_command(in->d->rc, intake_grouped, in,
	    "XGROUP CREATE %s %s 0 MKSTREAM", in->stream, INTAKE_GROUP);
}

/* A Pub/Sub message: append it to the stream, or dead-letter it. */
static void
intake_pubsub(struct rconn *rc, const char *payload, size_t len, void *arg)
{
	struct intake	*in = arg;
	json_t		*o, *ev = NULL, *sig = NULL;
	json_error_t	 jerr;
	char		*why = NULL;

	o = json_loadb(payload, len, 0, &jerr);
	if (o == NULL)
		xasprintf(&why, "pubsub: not JSON: %s", jerr.text);
	else if (!json_is_object(o) ||
	    !json_is_string(ev = json_object_get(o, "event")))
		xasprintf(&why, "pubsub: not an object with an 'event' string");
	else if ((sig = json_object_get(o, "sig")) != NULL &&
	    !json_is_string(sig))
		xasprintf(&why, "pubsub: 'sig' is not a string");
	if (why != NULL) {
		char	when[40];

		log_mask_phones(why);
		log_warnx("intake: %s", why);
		broadcast_time_format(time(NULL), when, sizeof when);
		rconn_command(in->d->rc, NULL, NULL,
		    "XADD %s * payload %b reason %s rejected_at %s", in->dead,
		    payload, len, why, when);
		free(why);
		json_decref(o);
		return;
	}
	if (sig != NULL)
		rconn_command(in->d->rc, NULL, NULL,
		    "XADD %s * event %b sig %s", in->stream,
		    json_string_value(ev), json_string_length(ev),
		    json_string_value(sig));
	else
		rconn_command(in->d->rc, NULL, NULL, "XADD %s * event %b",
		    in->stream, json_string_value(ev), json_string_length(ev));
	json_decref(o);
	util_timer_ms(in->ev_poll, 0);
}

static char *
intake_channel(const struct conf *conf)
{
	char	*ch;

	if (conf->pubsub_channel != NULL)
		return (xstrdup(conf->pubsub_channel));
	xasprintf(&ch, "%spublish", conf->redis_prefix);
	return (ch);
}

/* The configuration was reloaded. */
void
intake_reloaded(struct intake *in)
{
	char	*ch = intake_channel(intake_conf(in));

	if (strcmp(ch, in->sub_channel) != 0) {
		log_info("intake: Pub/Sub channel %s (was %s)", ch,
		    in->sub_channel);
		free(in->sub_channel);
		in->sub_channel = ch;
		/* The old subscription ends with this connection. */
		rconn_free(in->sub);
		in->sub = rconn_new(in->d->base, intake_conf(in));
		rconn_subscribe(in->sub, in->sub_channel, intake_pubsub, in);
	} else
		free(ch);
}

static int
intake_stop(struct daemon *d, void *arg)
{
	struct intake	*in = arg;

	/* No new events; the one in hand finishes on its own. */
	evtimer_del(in->ev_poll);
	evtimer_del(in->ev_claim);
	return (0);
}

/* Set up intake. */
struct intake *
intake_new(struct daemon *d, struct scripts *sc, const struct stage_res *res,
    stage_wake_cb *wake, void *arg)
{
	struct intake	*in;
	struct conf	*conf = d->conf;

	in = xcalloc(1, sizeof *in);
	in->d = d;
	in->sc = sc;
	in->res = res;
	in->wake = wake;
	in->wake_arg = arg;
	buf_init(&in->text, 16384);
	xasprintf(&in->stream, "%sevents", conf->redis_prefix);
	xasprintf(&in->dead, "%sevents:rejected", conf->redis_prefix);
	in->ev_poll = evtimer_new(d->base, intake_poll_cb, in);
	in->ev_claim = evtimer_new(d->base, intake_claim_cb, in);
	if (in->ev_poll == NULL || in->ev_claim == NULL)
		fatalx("intake: evtimer_new");
	util_timer_ms(in->ev_claim, INTAKE_CLAIM_MS);
	in->sub_channel = intake_channel(conf);
	in->sub = rconn_new(d->base, conf);
	rconn_subscribe(in->sub, in->sub_channel, intake_pubsub, in);
	daemon_on_stop(d, intake_stop, in);
	return (in);
}

/* Free it. */
void
intake_free(struct intake *in)
{
	intake_batch_free(in);
	if (in->have_ev)
		broadcast_free(&in->ev);
	rconn_free(in->sub);
	buf_free(&in->text);
	free(in->sub_channel);
	free(in->stream);
	free(in->dead);
	event_free(in->ev_poll);
	event_free(in->ev_claim);
	free(in);
}
