/*
 * pipeline.c: start the broadcast pipeline inside civicastd and keep its
 * shared pieces (templates, district table, channels, Lua scripts)
 * current across reconnects and reloads.
 */
#include "compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <jansson.h>

#include "carrier.h"
#include "channel.h"
#include "conf.h"
#include "drivers.h"
#include "daemon.h"
#include "rblock.h"
#include "district.h"
#include "fanout.h"
#include "http.h"
#include "intake.h"
#include "log.h"
#include "outbox.h"
#include "pipeline.h"
#include "rconn.h"
#include "registry.h"
#include "retention.h"
#include "script.h"
#include "tmpl.h"
#include "util.h"
#include "xmalloc.h"
#include "buf.h"

static void
pipeline_report(void *arg, struct channel *ch,
    const struct channel_report *rep)
{
	struct pipeline	*p = arg;

	if (p->ob != NULL)
		outbox_report(p->ob, ch, rep);
}

/*
 * The modems' SIM windows in Redis (channel_sim): every part sent is
 * recorded by outbox.lua sim_add, and a modem that becomes READY gets its
 * SIM's recent part times from sim_times.  A load asked before the
 * scripts are in, or lost with the connection, waits in p->sims and goes
 * when they are ready again: the modem sends nothing until it is done.
 */
struct pipeline_sim {
	struct pipeline		*p;
	struct channel		*ch;
	char			*id;
	long long		 horizon;
	size_t			 depth;
	channel_sim_done_cb	*done;
	int			 asked;		/* in flight */
	struct pipeline_sim	*next;
};

static void	pipeline_sim_ask(struct pipeline_sim *);

static void
pipeline_sim_sent(void *arg, const char *id, long long ms, long long horizon,
    size_t depth)
{
	struct pipeline	*p = arg;
	const char	*argv[4];
	char		 ms_s[24], hz[24], dp[24];

	snprintf(ms_s, sizeof ms_s, "%lld", ms);
	snprintf(hz, sizeof hz, "%lld", horizon);
	snprintf(dp, sizeof dp, "%zu", depth);
	argv[0] = id;
	argv[1] = ms_s;
	argv[2] = hz;
	argv[3] = dp;
	if (script_eval(p->sc, SCRIPT_OUTBOX, "sim_add", 4, argv, NULL, NULL,
	    NULL) != 0)
		log_warnx("pipeline: a part sent is not counted in Redis "
		    "(not connected); a restart may forget it");
}

static void
pipeline_sim_unlink(struct pipeline_sim *s)
{
	struct pipeline_sim	**pp;

	for (pp = &s->p->sims; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	free(s->id);
	free(s);
}

static void
pipeline_sim_loaded(struct rconn *rc, redisReply *r, void *arg)
{
	struct pipeline_sim	*s = arg;
	long long		*times;
	size_t			 i, n = 0;

	s->asked = 0;
	if (r == NULL)
		return;		/* connection lost: asked again when ready */
	if (r->type != REDIS_REPLY_ARRAY) {
		log_warnx("pipeline: channel %s: SIM windows not loaded: %s",
		    s->ch->conf->id, r->type == REDIS_REPLY_ERROR ? r->str :
		    "unexpected reply");
		s->done(s->ch, NULL, 0);
		pipeline_sim_unlink(s);
		return;
	}
	times = xcalloc(r->elements + 1, sizeof *times);
	for (i = 0; i < r->elements; i++) {
		if (r->element[i]->type == REDIS_REPLY_INTEGER)
			times[n++] = r->element[i]->integer;
	}
	s->done(s->ch, times, n);
	free(times);
	pipeline_sim_unlink(s);
}

static void
pipeline_sim_ask(struct pipeline_sim *s)
{
	const char	*argv[4];
	char		 now[24], hz[24], dp[24];

	if (s->asked || !scripts_ready(s->p->sc))
		return;
	snprintf(now, sizeof now, "%lld", util_now_ms());
	snprintf(hz, sizeof hz, "%lld", s->horizon);
	snprintf(dp, sizeof dp, "%zu", s->depth);
	argv[0] = s->id;
	argv[1] = now;
	argv[2] = hz;
	argv[3] = dp;
	if (script_eval(s->p->sc, SCRIPT_OUTBOX, "sim_times", 4, argv, NULL,
	    pipeline_sim_loaded, s) == 0)
		s->asked = 1;
}

static void
pipeline_sim_load(void *arg, struct channel *ch, const char *id,
    long long horizon, size_t depth, channel_sim_done_cb *done)
{
	struct pipeline		*p = arg;
	struct pipeline_sim	*s;

	s = xcalloc(1, sizeof *s);
	s->p = p;
	s->ch = ch;
	s->id = xstrdup(id);
	s->horizon = horizon;
	s->depth = depth;
	s->done = done;
	s->next = p->sims;
	p->sims = s;
	pipeline_sim_ask(s);
}

static const struct channel_sim pipeline_sim = {
	pipeline_sim_sent,
	pipeline_sim_load
};

/* Wake-ups between stages: intake -> fanout -> outbox. */
static void
pipeline_wake_fanout(void *arg)
{
	struct pipeline	*p = arg;

	fanout_kick(p->fo);
}

static void
pipeline_wake_outbox(void *arg)
{
	struct pipeline	*p = arg;

	outbox_kick(p->ob);
}

/* Every script is loaded on this connection: the stages may run. */
static void
pipeline_ready(void *arg)
{
	struct pipeline		*p = arg;
	struct pipeline_sim	*s;

	for (s = p->sims; s != NULL; s = s->next)
		pipeline_sim_ask(s);
	intake_connected(p->in);
	outbox_connected(p->ob);
	fanout_kick(p->fo);
}

static void
pipeline_connected(struct rconn *rc, void *arg)
{
	struct pipeline	*p = arg;

	scripts_load(p->sc);
}

static void
pipeline_lost(struct rconn *rc, void *arg)
{
	struct pipeline	*p = arg;

	scripts_lost(p->sc);
}

/*
 * Every PIPELINE_STATUS_S seconds each channel that can tell its state
 * (modems) writes it to <prefix>channel:<id> (JSON, expiring, so a
 * channel whose daemon is gone disappears) for `civicast modem list`.
 */
#define PIPELINE_STATUS_S	2

static void
pipeline_status_cb(evutil_socket_t fd, short events, void *arg)
{
	struct pipeline	*p = arg;
	struct conf	*conf = p->d->conf;
	struct timeval	 tv = { PIPELINE_STATUS_S, 0 };
	json_t		*o;
	char		*s;
	size_t		 i;

	evtimer_add(p->ev_status, &tv);
	if (!scripts_ready(p->sc))
		return;
	for (i = 0; i < p->res.nchans; i++) {
		if (p->res.chans[i].ops->status == NULL ||
		    (o = p->res.chans[i].ops->status(&p->res.chans[i])) == NULL)
			continue;
		json_object_set_new(o, "instance", json_string(conf->instance));
		json_object_set_new(o, "type",
		    json_string(p->res.chans[i].ops->type));
		json_object_set_new(o, "seen", json_integer(time(NULL)));
		s = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		rconn_command(p->d->rc, NULL, NULL, "SET %schannel:%s %s EX %d",
		    conf->redis_prefix, p->res.chans[i].conf->id, s,
		    PIPELINE_STATUS_S * 5);
		rconn_command(p->d->rc, NULL, NULL, "SADD %schannels %s",
		    conf->redis_prefix, p->res.chans[i].conf->id);
		free(s);
	}
}

/*
 * The district table: the shipped file and the divisions imported into
 * Redis.  Without Redis at hand, the shipped file alone (a reload or a
 * restart picks up the imports later).
 */
static struct district_table *
pipeline_districts(const struct conf *conf, char **cause)
{
	struct district_table	*dt;
	struct registry		 reg;
	char			*why;

	dt = district_table_new();
	if (district_table_load(dt, conf->districts_file, cause) != 0) {
		district_table_free(dt);
		return (NULL);
	}
	if (registry_open(&reg, conf, &why) != 0) {
		log_warnx("pipeline: imported districts not loaded: %s", why);
		free(why);
		return (dt);
	}
	if (registry_districts_load(&reg, dt, &why) != 0) {
		log_warnx("pipeline: imported districts: %s", why);
		free(why);
	}
	registry_close(&reg);
	return (dt);
}

static void
pipeline_reloaded(struct daemon *d, void *arg)
{
	struct pipeline		*p = arg;
	struct tmpl_set		*t;
	struct district_table	*dt;
	struct carrier_table	*c;
	char			*cause;

	if ((t = tmpl_set_load(d->conf->templates_dir, &cause)) == NULL) {
		log_warnx("reload: templates not reloaded, the old ones stay "
		    "in force:\n%s", cause);
		free(cause);
	} else {
		tmpl_set_free(p->res.tmpls);
		p->res.tmpls = t;
		log_info("reload: %zu templates", tmpl_count(t));
	}
	if ((dt = pipeline_districts(d->conf, &cause)) == NULL) {
		log_warnx("reload: district table not reloaded: %s", cause);
		free(cause);
	} else {
		district_table_free(p->res.dt);
		p->res.dt = dt;
	}
	if ((c = carrier_load(d->conf->carriers_file, &cause)) == NULL) {
		log_warnx("reload: carriers not reloaded: %s", cause);
		free(cause);
	} else {
		carrier_free(p->res.carriers);
		p->res.carriers = c;
	}
	intake_reloaded(p->in);
}

/* 1 when a route picks channels by carrier (and needs the table). */
static int
pipeline_by_carrier(const struct conf *conf)
{
	size_t	i;

	for (i = 0; i < conf->nroutes; i++) {
		if (conf->routes[i].ncarriers > 0)
			return (1);
	}
	return (0);
}

/* Check what the configuration names, without Redis. */
int
pipeline_check(const struct conf *conf, char **cause)
{
	const struct conf_channel	*cc;
	struct district_table		*dt;
	struct carrier_table		*cr;
	struct tmpl_set			*t;
	struct http_request		 req;
	struct channel_msg		 msg;
	struct buf			 out;
	char				*why;
	size_t				 i;

	buf_init(&out, 0);
	if ((t = tmpl_set_load(conf->templates_dir, &why)) == NULL) {
		buf_printf(&out, "templates_dir: %s\n", why);
		free(why);
	} else
		tmpl_set_free(t);
	dt = district_table_new();
	if (district_table_load(dt, conf->districts_file, &why) != 0) {
		buf_printf(&out, "districts_file: %s\n", why);
		free(why);
	}
	district_table_free(dt);
	if ((cr = carrier_load(conf->carriers_file, &why)) == NULL) {
		if (pipeline_by_carrier(conf))
			buf_printf(&out, "carriers_file: %s\n", why);
		free(why);
	} else
		carrier_free(cr);
	memset(&msg, 0, sizeof msg);
	msg.id = "1:1";
	msg.to = "13800138000";
	msg.text = "test";
	msg.signature = "";
	for (i = 0; i < conf->nchannels; i++) {
		cc = &conf->channels[i];
		if (drivers_find(cc->type == CHANNEL_HTTP ? "http" :
		    "modem") == NULL) {
			buf_printf(&out, "channel %s: type %s is not available "
			    "in this version\n", cc->id,
			    cc->type == CHANNEL_HTTP ? "http" : "modem");
			continue;
		}
		if (cc->type != CHANNEL_HTTP)
			continue;
		/* A ${name} the driver does not know fails every send. */
		if (prov_generic_request(cc, &msg, &req, &why) != 0) {
			buf_printf(&out, "channel %s: %s\n", cc->id, why);
			free(why);
			continue;
		}
		http_request_free(&req);
	}
	if (out.len == 0) {
		buf_free(&out);
		return (0);
	}
	out.data[--out.len] = '\0';		/* the last newline */
	*cause = buf_steal(&out);
	return (-1);
}

/* Load templates and districts, start the channels and the three parts. */
int
pipeline_start(struct pipeline *p, struct daemon *d, char **cause)
{
	const struct channel_ops	*ops;
	struct conf			*conf = d->conf;
	struct channel			*ch;
	char				*why;
	size_t				 i;

	memset(p, 0, sizeof *p);
	p->d = d;
	if ((p->res.tmpls = tmpl_set_load(conf->templates_dir, &why)) ==
	    NULL) {
		xasprintf(cause, "templates:\n%s", why);
		free(why);
		return (-1);
	}
	if ((p->res.dt = pipeline_districts(conf, &why)) == NULL) {
		xasprintf(cause, "district table: %s", why);
		free(why);
		return (-1);
	}
	if ((p->res.carriers = carrier_load(conf->carriers_file, &why)) ==
	    NULL) {
		/* Only routes by carrier need the table. */
		if (pipeline_by_carrier(conf)) {
			xasprintf(cause, "carriers: %s", why);
			free(why);
			return (-1);
		}
		log_warnx("carriers: %s (no route uses carriers)", why);
		free(why);
	}
	p->res.chans = xcalloc(conf->nchannels + 1, sizeof *p->res.chans);
	for (i = 0; i < conf->nchannels; i++) {
		const char *type = conf->channels[i].type == CHANNEL_HTTP ?
		    "http" : "modem";

		if ((ops = drivers_find(type)) == NULL) {
			xasprintf(cause, "channel %s: type %s is not "
			    "available in this version", conf->channels[i].id,
			    type);
			return (-1);
		}
		ch = &p->res.chans[p->res.nchans];
		ch->conf = &conf->channels[i];
		ch->ops = ops;
		/* The outbox is made below; reports come only once it runs. */
		ch->report = pipeline_report;
		ch->report_arg = p;
		ch->sim = &pipeline_sim;
		ch->sim_arg = p;
		if (ops->init(ch, d->base, &why) != 0) {
			xasprintf(cause, "channel %s: %s", ch->conf->id, why);
			free(why);
			return (-1);
		}
		p->res.nchans++;
	}
	if (p->res.nchans == 0)
		log_warnx("pipeline: no channels configured: events are "
		    "accepted and queued, nothing is sent");
	log_info("pipeline: %zu templates, %zu districts, %zu channels",
	    tmpl_count(p->res.tmpls), district_table_count(p->res.dt),
	    p->res.nchans);
	p->sc = scripts_new(d->rc, conf->redis_prefix, pipeline_ready, p);
	p->in = intake_new(d, p->sc, &p->res, pipeline_wake_fanout, p);
	p->fo = fanout_new(d, p->sc, &p->res, pipeline_wake_outbox, p);
	p->ob = outbox_new(d, p->sc, &p->res);
	p->rt = retention_new(d, p->sc);
	if ((p->ev_status = evtimer_new(d->base, pipeline_status_cb, p)) ==
	    NULL)
		fatalx("pipeline: evtimer_new");
	pipeline_status_cb(-1, 0, p);
	rconn_on_connect(d->rc, pipeline_connected, p);
	rconn_on_lost(d->rc, pipeline_lost, p);
	daemon_on_reload(d, pipeline_reloaded, p);
	return (0);
}

/* Free everything (after the loop has ended). */
void
pipeline_free(struct pipeline *p)
{
	size_t	i;

	if (p->in != NULL)
		intake_free(p->in);
	if (p->fo != NULL)
		fanout_free(p->fo);
	if (p->ob != NULL)
		outbox_free(p->ob);
	if (p->rt != NULL)
		retention_free(p->rt);
	if (p->ev_status != NULL)
		event_free(p->ev_status);
	for (i = 0; i < p->res.nchans; i++)
		p->res.chans[i].ops->fini(&p->res.chans[i]);
	free(p->res.chans);
	if (p->res.tmpls != NULL)
		tmpl_set_free(p->res.tmpls);
	if (p->res.dt != NULL)
		district_table_free(p->res.dt);
	if (p->res.carriers != NULL)
		carrier_free(p->res.carriers);
	scripts_free(p->sc);
	while (p->sims != NULL)
		pipeline_sim_unlink(p->sims);
}
