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
#include "daemon.h"
#include "db.h"
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
#include "tmpl.h"
#include "xmalloc.h"

#include "registry-lua.h"
#include "buf.h"

static const char *const pipeline_scripts[SCRIPT_COUNT] = {
	lua_registry,
	lua_outbox,
	lua_retention
};

static void	pipeline_load_scripts(struct pipeline *);

static void
pipeline_report(void *arg, struct channel *ch,
    const struct channel_report *rep)
{
	struct pipeline	*p = arg;

	if (p->ob != NULL)
		outbox_report(p->ob, ch, rep);
}

struct pipeline_call {
	struct pipeline	*p;
	void		(*cb)(struct rconn *, redisReply *, void *);
	void		*arg;
};

static void
pipeline_evaled(struct rconn *rc, redisReply *r, void *arg)
{
	struct pipeline_call	*call = arg;
	struct pipeline		*p = call->p;

	if (r != NULL && r->type == REDIS_REPLY_ERROR &&
	    strncmp(r->str, "NOSCRIPT", 8) == 0 && p->ready) {
		/* Redis lost its script cache (a restart, SCRIPT FLUSH). */
		log_warnx("pipeline: scripts gone from Redis; loading again");
		p->ready = 0;
		pipeline_load_scripts(p);
	}
	if (call->cb != NULL)
		call->cb(rc, r, call->arg);
	free(call);
}

/* Run an operation of a Lua script; -1 when Redis is not connected. */
int
pipeline_eval(struct pipeline *p, enum pipeline_script script,
    const char *op, int argc, const char **argv, const size_t *argvlen,
    void (*cb)(struct rconn *, redisReply *, void *), void *arg)
{
	struct pipeline_call	 *call;
	const char		**av;
	size_t			 *lens = NULL;
	int			  i, rv;

	if (!p->ready)
		return (-1);
	av = xcalloc((size_t)argc + 5, sizeof *av);
	if (argvlen != NULL)
		lens = xcalloc((size_t)argc + 5, sizeof *lens);
	av[0] = "EVALSHA";
	av[1] = p->sha[script];
	av[2] = "0";
	av[3] = p->d->conf->redis_prefix;
	av[4] = op;
	for (i = 0; i < argc; i++)
		av[i + 5] = argv[i];
	if (lens != NULL) {
		for (i = 0; i < 5; i++)
			lens[i] = strlen(av[i]);
		for (i = 0; i < argc; i++)
			lens[i + 5] = argvlen[i];
	}
	call = xmalloc(sizeof *call);
	call->p = p;
	call->cb = cb;
	call->arg = arg;
	rv = rconn_command_argv(p->d->rc, pipeline_evaled, call, argc + 5, av,
	    lens);
	if (rv != 0)
		free(call);
	free(av);
	free(lens);
	return (rv);
}

static void
pipeline_script_loaded(struct rconn *rc, redisReply *r, void *arg)
{
	struct pipeline	*p = arg;
	size_t		 i;

	if (r == NULL || r->type != REDIS_REPLY_STRING || r->len != 40) {
		if (r != NULL && r->type == REDIS_REPLY_ERROR)
			log_warnx("pipeline: SCRIPT LOAD: %s", r->str);
		return;		/* the next (re)connect tries again */
	}
	for (i = 0; i < SCRIPT_COUNT; i++) {
		if (p->sha[i][0] == '\0') {
			memcpy(p->sha[i], r->str, 40);
			p->sha[i][40] = '\0';
			break;
		}
	}
	if (i + 1 < SCRIPT_COUNT)
		return;
	p->ready = 1;
	intake_connected(p->in);
	outbox_connected(p->ob);
	fanout_kick(p->fo);
}

/* Load every script, in order; the last reply makes the pipeline ready. */
static void
pipeline_load_scripts(struct pipeline *p)
{
	size_t	i;

	p->ready = 0;
	for (i = 0; i < SCRIPT_COUNT; i++)
		p->sha[i][0] = '\0';
	for (i = 0; i < SCRIPT_COUNT; i++)
		rconn_command(p->d->rc, pipeline_script_loaded, p,
		    "SCRIPT LOAD %s", pipeline_scripts[i]);
}

static void
pipeline_connected(struct rconn *rc, void *arg)
{
	pipeline_load_scripts(arg);
}

static void
pipeline_lost(struct rconn *rc, void *arg)
{
	struct pipeline	*p = arg;

	p->ready = 0;
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
	if (!p->ready)
		return;
	for (i = 0; i < p->nchans; i++) {
		if (p->chans[i].ops->status == NULL ||
		    (o = p->chans[i].ops->status(&p->chans[i])) == NULL)
			continue;
		json_object_set_new(o, "instance", json_string(conf->instance));
		json_object_set_new(o, "type",
		    json_string(p->chans[i].ops->type));
		json_object_set_new(o, "seen", json_integer(time(NULL)));
		s = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		rconn_command(p->d->rc, NULL, NULL, "SET %schannel:%s %s EX %d",
		    conf->redis_prefix, p->chans[i].conf->id, s,
		    PIPELINE_STATUS_S * 5);
		rconn_command(p->d->rc, NULL, NULL, "SADD %schannels %s",
		    conf->redis_prefix, p->chans[i].conf->id);
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
		tmpl_set_free(p->tmpls);
		p->tmpls = t;
		log_info("reload: %zu templates", tmpl_count(t));
	}
	if ((dt = pipeline_districts(d->conf, &cause)) == NULL) {
		log_warnx("reload: district table not reloaded: %s", cause);
		free(cause);
	} else {
		district_table_free(p->dt);
		p->dt = dt;
	}
	if ((c = carrier_load(d->conf->carriers_file, &cause)) == NULL) {
		log_warnx("reload: carriers not reloaded: %s", cause);
		free(cause);
	} else {
		carrier_free(p->carriers);
		p->carriers = c;
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
		if (channel_ops_find(cc->type == CHANNEL_HTTP ? "http" :
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
	if ((p->tmpls = tmpl_set_load(conf->templates_dir, &why)) == NULL) {
		xasprintf(cause, "templates:\n%s", why);
		free(why);
		return (-1);
	}
	if ((p->dt = pipeline_districts(conf, &why)) == NULL) {
		xasprintf(cause, "district table: %s", why);
		free(why);
		return (-1);
	}
	if ((p->carriers = carrier_load(conf->carriers_file, &why)) == NULL) {
		/* Only routes by carrier need the table. */
		if (pipeline_by_carrier(conf)) {
			xasprintf(cause, "carriers: %s", why);
			free(why);
			return (-1);
		}
		log_warnx("carriers: %s (no route uses carriers)", why);
		free(why);
	}
	p->chans = xcalloc(conf->nchannels + 1, sizeof *p->chans);
	for (i = 0; i < conf->nchannels; i++) {
		const char *type = conf->channels[i].type == CHANNEL_HTTP ?
		    "http" : "modem";

		if ((ops = channel_ops_find(type)) == NULL) {
			xasprintf(cause, "channel %s: type %s is not "
			    "available in this version", conf->channels[i].id,
			    type);
			return (-1);
		}
		ch = &p->chans[p->nchans];
		ch->conf = &conf->channels[i];
		ch->ops = ops;
		/* The outbox is made below; reports come only once it runs. */
		ch->report = pipeline_report;
		ch->report_arg = p;
		if (ops->init(ch, d->base, &why) != 0) {
			xasprintf(cause, "channel %s: %s", ch->conf->id, why);
			free(why);
			return (-1);
		}
		p->nchans++;
	}
	if (p->nchans == 0)
		log_warnx("pipeline: no channels configured: events are "
		    "accepted and queued, nothing is sent");
	log_info("pipeline: %zu templates, %zu districts, %zu channels",
	    tmpl_count(p->tmpls), district_table_count(p->dt), p->nchans);
	p->in = intake_new(p);
	p->fo = fanout_new(p);
	p->ob = outbox_new(p);
	p->rt = retention_new(p);
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
	for (i = 0; i < p->nchans; i++)
		p->chans[i].ops->fini(&p->chans[i]);
	free(p->chans);
	if (p->tmpls != NULL)
		tmpl_set_free(p->tmpls);
	if (p->dt != NULL)
		district_table_free(p->dt);
	if (p->carriers != NULL)
		carrier_free(p->carriers);
}
