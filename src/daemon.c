/*
 * daemon.c: civicastd's life cycle: signals, reload, heartbeat, stop.
 *
 * Signals arrive as libevent events (evsignal), so every handler runs on
 * the loop like any other callback and may do real work.
 *
 * Stop sequence (SIGTERM, SIGINT):
 *	1. d->stopping = 1: subsystems take no new work;
 *	   the heartbeat says "stopping".
 *	2. Stop hooks drain or park their work; busy ones call
 *	   daemon_stop_done().  DAEMON_STOP_DEADLINE bounds the wait.
 *	3. DEL the heartbeat key, ZREM from the set, and when Redis answers
 *	   (or redis.timeout later) leave the loop.
 * A second SIGTERM or SIGINT at any point leaves the loop at once.
 * main() then frees the daemon (closing Redis) and removes the pidfile.
 */
#include "compat.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <jansson.h>

#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "util.h"
#include "rconn.h"
#include "xmalloc.h"

static void	daemon_finish(struct daemon *);

/* The instance name in force (conf-load.c defaults it to the host name). */
static const char *
daemon_instance(const struct daemon *d)
{
	if (d->conf->instance != NULL)
		return (d->conf->instance);
	return (d->host);
}

/* The heartbeat value: a JSON object, allocated (free()). */
static char *
daemon_heartbeat_json(struct daemon *d, const char *state, time_t now)
{
	json_t	*o;
	char	*s;

	o = json_pack("{s:s, s:s, s:I, s:s, s:I, s:I, s:s}",
	    "instance", daemon_instance(d),
	    "host", d->host,
	    "pid", (json_int_t)getpid(),
	    "version", PACKAGE_VERSION,
	    "started", (json_int_t)d->started,
	    "seen", (json_int_t)now,
	    "state", state);
	if (o == NULL)
		fatalx("heartbeat: cannot build the JSON object");
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s == NULL)
		fatalx("heartbeat: out of memory");
	return (s);
}

/* Reply to the heartbeat SET: log only when it starts or stops failing. */
static void
daemon_heartbeat_cb(struct rconn *rc, redisReply *r, void *arg)
{
	struct daemon	*d = arg;

	if (rc == NULL || r == NULL)
		return;		/* closing, or lost: rconn says so */
	if (r->type == REDIS_REPLY_ERROR) {
		if (!d->hb_failing)
			log_warnx("heartbeat: %s", r->str);
		d->hb_failing = 1;
	} else if (d->hb_failing) {
		log_info("heartbeat: working again");
		d->hb_failing = 0;
	}
}

/* Reply to the heartbeat ZADD: the SET reply speaks for both. */
static void
daemon_heartbeat_zadd_cb(struct rconn *rc, redisReply *r, void *arg)
{
	if (rc != NULL && r != NULL && r->type == REDIS_REPLY_ERROR)
		log_debug("heartbeat: ZADD: %s", r->str);
}

/* Write the heartbeat key and score, if connected. */
static void
daemon_heartbeat(struct daemon *d, const char *state)
{
	time_t	 now = time(NULL);
	char	*json;

	if (!rconn_connected(d->rc))
		return;
	json = daemon_heartbeat_json(d, state, now);
	rconn_command(d->rc, daemon_heartbeat_cb, d, "SET %s %s EX %d",
	    d->hb_key, json, DAEMON_HEARTBEAT_TTL);
	rconn_command(d->rc, daemon_heartbeat_zadd_cb, d, "ZADD %s %lld %s",
	    d->hb_set, (long long)now, daemon_instance(d));
	free(json);
}

static void
daemon_heartbeat_timer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct daemon	*d = arg;

	if (d->finishing)
		return;
	daemon_heartbeat(d, d->stopping ? "stopping" : "running");
}

/*
 * Reply to the GET of our heartbeat key on a new connection: a live key
 * written by another host or pid means two daemons share one instance
 * name, which would have them fight over the same work.  Then write our
 * own heartbeat.
 */
static void
daemon_check_cb(struct rconn *rc, redisReply *r, void *arg)
{
	struct daemon	*d = arg;
	json_t		*o;
	json_error_t	 jerr;
	const char	*host = NULL;
	json_int_t	 pid = 0, seen = 0;

	if (rc == NULL || r == NULL)
		return;
	if (r->type == REDIS_REPLY_STRING) {
		o = json_loadb(r->str, r->len, 0, &jerr);
		if (o == NULL || json_unpack(o, "{s:s, s:I, s?I}", "host",
		    &host, "pid", &pid, "seen", &seen) != 0)
			log_warnx("heartbeat key %s holds something else; "
			    "overwriting it", d->hb_key);
		else if (strcmp(host, d->host) == 0 &&
		    pid == (json_int_t)getpid())
			;	/* our own, from before a reconnect */
		else if (strcmp(host, d->host) == 0 && pid > 0 &&
		    pid <= INT_MAX && kill((pid_t)pid, 0) == -1 &&
		    errno == ESRCH)
			log_debug("heartbeat key %s: pid %lld is gone",
			    d->hb_key, (long long)pid);
		else {
			log_warnx("!!! instance \"%s\" is in use by pid %lld "
			    "on %s (seen %lld s ago): two daemons share one "
			    "instance name; give each its own "
			    "daemon.instance !!!", daemon_instance(d),
			    (long long)pid, host,
			    (long long)(time(NULL) - (time_t)seen));
		}
		if (o != NULL)
			json_decref(o);
	} else if (r->type == REDIS_REPLY_ERROR)
		log_warnx("heartbeat: GET %s: %s", d->hb_key, r->str);
	daemon_heartbeat(d, d->stopping ? "stopping" : "running");
}

/* rconn hook: (re)connected. */
static void
daemon_connected(struct rconn *rc, void *arg)
{
	struct daemon	*d = arg;

	if (d->finishing)
		return;
	if (rconn_command(rc, daemon_check_cb, d, "GET %s", d->hb_key) != 0)
		log_debug("heartbeat: cannot send GET");
}

/* Register a stop hook. */
void
daemon_on_stop(struct daemon *d, daemon_stop_cb *cb, void *arg)
{
	d->stop_hooks = xreallocarray(d->stop_hooks, d->nstop_hooks + 1,
	    sizeof *d->stop_hooks);
	d->stop_hooks[d->nstop_hooks].cb = cb;
	d->stop_hooks[d->nstop_hooks].arg = arg;
	d->nstop_hooks++;
}

/* Register a reload hook. */
void
daemon_on_reload(struct daemon *d, daemon_reload_cb *cb, void *arg)
{
	d->reload_hooks = xreallocarray(d->reload_hooks,
	    d->nreload_hooks + 1, sizeof *d->reload_hooks);
	d->reload_hooks[d->nreload_hooks].cb = cb;
	d->reload_hooks[d->nreload_hooks].arg = arg;
	d->nreload_hooks++;
}

/* 1 once the stop sequence has begun. */
int
daemon_stopping(const struct daemon *d)
{
	return (d->stopping);
}

/* Reply to the ZREM at stop: the last thing said to Redis. */
static void
daemon_unregistered(struct rconn *rc, redisReply *r, void *arg)
{
	struct daemon	*d = arg;

	if (rc == NULL)
		return;		/* freed: the loop is over already */
	if (r == NULL || r->type == REDIS_REPLY_ERROR)
		log_warnx("stop: could not remove the heartbeat; %s expires "
		    "in %d s", d->hb_key, DAEMON_HEARTBEAT_TTL);
	event_base_loopexit(d->base, NULL);
}

/* Step 3: unregister from Redis, then leave the loop. */
static void
daemon_finish(struct daemon *d)
{
	struct timeval	tv;

	if (d->finishing)
		return;
	d->finishing = 1;
	evtimer_del(d->ev_heartbeat);
	evtimer_del(d->ev_stop);
	if (rconn_connected(d->rc) &&
	    rconn_command(d->rc, NULL, NULL, "DEL %s", d->hb_key) == 0 &&
	    rconn_command(d->rc, daemon_unregistered, d, "ZREM %s %s",
	    d->hb_set, daemon_instance(d)) == 0) {
		/* rconn's watchdog should fire first; this is the backstop. */
		tv.tv_sec = d->conf->redis_timeout / 1000 + 1;
		tv.tv_usec = 0;
		evtimer_add(d->ev_stop, &tv);
		return;
	}
	log_info("stop: redis not connected; %s expires by itself",
	    d->hb_key);
	event_base_loopexit(d->base, NULL);
}

/* The stop timer: the hooks' deadline, then the unregister backstop. */
static void
daemon_stop_timer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct daemon	*d = arg;

	if (!d->finishing) {
		log_warnx("stop: %u subsystem(s) still busy after %d s; "
		    "going on", d->stop_pending, DAEMON_STOP_DEADLINE);
		d->stop_pending = 0;
		daemon_finish(d);
		return;
	}
	log_warnx("stop: no answer from redis; exiting");
	event_base_loopexit(d->base, NULL);
}

/* A busy stop hook has finished. */
void
daemon_stop_done(struct daemon *d)
{
	if (d->finishing || d->stop_pending == 0)
		return;
	if (--d->stop_pending == 0)
		daemon_finish(d);
}

/* Begin the stop sequence; a second call exits now. */
void
daemon_stop(struct daemon *d, const char *why)
{
	struct timeval	tv = { DAEMON_STOP_DEADLINE, 0 };
	size_t		i;
	unsigned int	busy;

	if (d->stopping) {
		log_warnx("%s during stop: exiting now", why);
		event_base_loopbreak(d->base);
		return;
	}
	log_info("stopping (%s)", why);
	d->stopping = 1;
	daemon_heartbeat(d, "stopping");

	/*
	 * Hold one count per hook plus one for this loop, and give back a
	 * hook's count when it returns 0: a busy hook that is done before
	 * it even returns (daemon_stop_done() from inside it) must not end
	 * the sequence before the later hooks have run.
	 */
	d->stop_pending = (unsigned int)d->nstop_hooks + 1;
	for (i = 0; i < d->nstop_hooks; i++) {
		if (d->stop_hooks[i].cb(d, d->stop_hooks[i].arg) == 0)
			d->stop_pending--;
	}
	busy = d->stop_pending - 1;
	if (busy != 0) {
		log_info("stop: waiting up to %d s for %u subsystem(s)",
		    DAEMON_STOP_DEADLINE, busy);
		evtimer_add(d->ev_stop, &tv);
	}
	daemon_stop_done(d);	/* drop the count held during the loop */
}

/*
 * Keep the restart-only values in force: the table's CONF_RESTART rows
 * (conf_keep_restart()).  The new routes were validated against the new
 * channels, which only a restart starts; if one names a channel that is
 * not running, keep the old routes too.
 */
static void
daemon_keep_restart(struct conf *new, struct conf *old)
{
	struct conf_route	*rt;
	size_t			 nrt, i, j;

	conf_keep_restart(new, old);
	for (i = 0; i < new->nroutes; i++) {
		for (j = 0; j < new->routes[i].nchannels; j++) {
			if (conf_channel_find(new,
			    new->routes[i].channels[j]) != NULL)
				continue;
			log_warnx("reload: routes name channel \"%s\", which "
			    "runs only after a restart; the old routes stay "
			    "in force until then", new->routes[i].channels[j]);
			rt = new->routes;
			new->routes = old->routes;
			old->routes = rt;
			nrt = new->nroutes;
			new->nroutes = old->nroutes;
			old->nroutes = nrt;
			return;
		}
	}
}

/* Read the configuration again and apply what may change at run time. */
void
daemon_reload(struct daemon *d)
{
	struct conf_errors	 errs;
	struct conf		*new, *old = d->conf;
	const char		*names[64];
	size_t			 i, n;

	memset(&errs, 0, sizeof errs);
	log_info("reloading %s", d->conf_path != NULL ? d->conf_path :
	    "the embedded defaults");
	new = conf_load_checked(d->conf_path, &errs);
	for (i = 0; i < errs.nwarnings; i++)
		log_warnx("%s", errs.warnings[i]);
	if (new == NULL) {
		for (i = 0; i < errs.n; i++)
			log_warnx("%s", errs.msgs[i]);
		log_warnx("configuration not reloaded: %zu problem%s; old "
		    "configuration stays in force", errs.n,
		    errs.n == 1 ? "" : "s");
		conf_errors_free(&errs);
		return;
	}
	conf_errors_free(&errs);

	n = conf_restart_keys(old, new, names, nitems(names));
	if (n > nitems(names))
		n = nitems(names);
	for (i = 0; i < n; i++)
		log_warnx("reload: %s needs a restart; the old value stays in "
		    "force until then", names[i]);
	daemon_keep_restart(new, old);

	if (!d->force_debug)
		log_setlevel((enum log_level)new->log_level);
	util_set_timezone(new->timezone);
	d->conf = new;
	conf_free(old);
	for (i = 0; i < d->nreload_hooks; i++)
		d->reload_hooks[i].cb(d, d->reload_hooks[i].arg);
	log_info("configuration reloaded");
}

static void
daemon_signal_cb(evutil_socket_t sig, short events, void *arg)
{
	struct daemon	*d = arg;

	switch (sig) {
	case SIGHUP:
		if (d->stopping)
			log_info("SIGHUP during stop: not reloading");
		else
			daemon_reload(d);
		break;
	case SIGTERM:
		daemon_stop(d, "SIGTERM");
		break;
	case SIGINT:
		daemon_stop(d, "SIGINT");
		break;
	case SIGUSR1:
		log_info("SIGUSR1: logging to %s, nothing to reopen",
		    d->foreground ? "stderr" : "syslog");
		break;
	}
}

static struct event *
daemon_signal(struct daemon *d, int sig)
{
	struct event	*ev;

	if ((ev = evsignal_new(d->base, sig, daemon_signal_cb, d)) == NULL ||
	    evsignal_add(ev, NULL) != 0)
		fatalx("cannot watch signal %d", sig);
	return (ev);
}

/* Set up the daemon around a loaded conf. */
struct daemon *
daemon_create(struct conf *conf, const char *path, int foreground,
    int force_debug)
{
	struct daemon		*d;
	struct sigaction	 sa;
	struct timeval		 tv = { DAEMON_HEARTBEAT, 0 };
	char			 host[HOST_NAME_MAX + 1];

	d = xcalloc(1, sizeof *d);
	d->conf = conf;
	if (path != NULL)
		d->conf_path = xstrdup(path);
	d->foreground = foreground;
	d->force_debug = force_debug;
	d->started = time(NULL);
	if (gethostname(host, sizeof host) != 0)
		strlcpy(host, "localhost", sizeof host);
	host[sizeof host - 1] = '\0';
	d->host = xstrdup(host);
	xasprintf(&d->hb_key, "%sdaemon:%s", conf->redis_prefix,
	    daemon_instance(d));
	xasprintf(&d->hb_set, "%sdaemons", conf->redis_prefix);

	/* A closed socket must be an EPIPE error, not death. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGPIPE, &sa, NULL) != 0)
		fatal("sigaction SIGPIPE");

	if ((d->base = event_base_new()) == NULL)
		fatalx("cannot create the event loop");
	d->ev_hup = daemon_signal(d, SIGHUP);
	d->ev_term = daemon_signal(d, SIGTERM);
	d->ev_int = daemon_signal(d, SIGINT);
	d->ev_usr1 = daemon_signal(d, SIGUSR1);

	d->ev_heartbeat = event_new(d->base, -1, EV_PERSIST,
	    daemon_heartbeat_timer_cb, d);
	d->ev_stop = evtimer_new(d->base, daemon_stop_timer_cb, d);
	if (d->ev_heartbeat == NULL || d->ev_stop == NULL)
		fatalx("cannot create timers");
	evtimer_add(d->ev_heartbeat, &tv);

	d->rc = rconn_new(d->base, conf);
	rconn_on_connect(d->rc, daemon_connected, d);
	return (d);
}

/* Run the loop until the stop sequence ends. */
int
daemon_run(struct daemon *d)
{
	log_info("civicastd %s started: instance %s, pid %ld, redis %s",
	    PACKAGE_VERSION, daemon_instance(d), (long)getpid(),
	    rconn_where(d->rc));
	if (event_base_dispatch(d->base) == -1)
		fatalx("event loop failed");
	log_info("stopped");
	return (0);
}

/*
 * Close Redis; pending replies are called back with rc NULL, so do it
 * while their owners (pipeline modules) still exist.
 */
void
daemon_disconnect(struct daemon *d)
{
	rconn_free(d->rc);
	d->rc = NULL;
}

/* Free everything. */
void
daemon_free(struct daemon *d)
{
	if (d == NULL)
		return;
	/* First: pending replies are called back (with rc NULL) into d. */
	rconn_free(d->rc);
	event_free(d->ev_hup);
	event_free(d->ev_term);
	event_free(d->ev_int);
	event_free(d->ev_usr1);
	event_free(d->ev_heartbeat);
	event_free(d->ev_stop);
	event_base_free(d->base);
	conf_free(d->conf);
	free(d->conf_path);
	free(d->host);
	free(d->hb_key);
	free(d->hb_set);
	free(d->stop_hooks);
	free(d->reload_hooks);
	free(d);
}
