/*
 * daemon.h: the life cycle of civicastd.
 *
 * One struct daemon holds the event loop, the configuration in force, the
 * Redis connection, the signal events and the heartbeat.  Subsystems
 * (event intake, outbox workers) hang off it: they read d->conf, send on
 * d->rc, check daemon_stopping() before taking new work, and register a
 * stop hook to drain or park what is in flight.
 *
 * Heartbeat: every DAEMON_HEARTBEAT seconds while connected,
 *	SET <prefix>daemon:<instance> {"instance","host","pid","version",
 *	    "started","seen","state"} EX DAEMON_HEARTBEAT_TTL
 *	ZADD <prefix>daemons <now> <instance>
 * and at a clean stop, DEL and ZREM.
 */
#ifndef CIVICAST_DAEMON_H
#define CIVICAST_DAEMON_H

#include <time.h>

#define DAEMON_HEARTBEAT	5	/* s between heartbeats */
#define DAEMON_HEARTBEAT_TTL	15	/* s the key outlives a silent daemon */
#define DAEMON_STOP_DEADLINE	10	/* s the stop hooks get to park work */

struct conf;
struct daemon;
struct event;
struct event_base;
struct rconn;

/*
 * A stop hook: stop taking work and drain or park what is in flight.
 * Return 0 when done, or 1 when busy: then call daemon_stop_done() once
 * finished.  After DAEMON_STOP_DEADLINE seconds the daemon goes on anyway.
 */
typedef int	daemon_stop_cb(struct daemon *, void *arg);
/* Called after a successful reload, with d->conf the new configuration. */
typedef void	daemon_reload_cb(struct daemon *, void *arg);

struct daemon_stop_hook {
	daemon_stop_cb		*cb;
	void			*arg;
};

struct daemon_reload_hook {
	daemon_reload_cb	*cb;
	void			*arg;
};

struct daemon {
	struct event_base	*base;
	struct conf		*conf;		/* in force */
	char			*conf_path;	/* NULL: embedded defaults */
	struct rconn		*rc;
	int			 foreground;	/* logging to stderr */
	int			 force_debug;	/* -v: debug, whatever conf */

	char			*host;		/* this machine */
	time_t			 started;
	char			*hb_key;	/* <prefix>daemon:<instance> */
	char			*hb_set;	/* <prefix>daemons */
	int			 hb_failing;	/* last heartbeat failed */

	struct event		*ev_hup;
	struct event		*ev_term;
	struct event		*ev_int;
	struct event		*ev_usr1;
	struct event		*ev_heartbeat;
	struct event		*ev_stop;	/* stop deadlines */

	int			 stopping;	/* no new work once set */
	int			 finishing;	/* hooks done or given up */
	unsigned int		 stop_pending;	/* hooks still busy */

	struct daemon_stop_hook	*stop_hooks;
	size_t			 nstop_hooks;
	struct daemon_reload_hook *reload_hooks;
	size_t			 nreload_hooks;
};

/*
 * Set up the daemon around a loaded conf (which it takes over): event
 * base, Redis connection, signals, heartbeat.  path is the file to read
 * again on SIGHUP (NULL: the embedded defaults).
 */
struct daemon	*daemon_create(struct conf *conf, const char *path,
		    int foreground, int force_debug);
/* Run the loop until the stop sequence ends; returns the exit status. */
int		 daemon_run(struct daemon *);
/* Free everything (closes the Redis connection). */
void		 daemon_disconnect(struct daemon *);
void		 daemon_free(struct daemon *);

/* Register a stop hook, called in order of registration. */
void		 daemon_on_stop(struct daemon *, daemon_stop_cb *, void *);
/* A busy stop hook has finished. */
void		 daemon_stop_done(struct daemon *);
/* Register a reload hook. */
void		 daemon_on_reload(struct daemon *, daemon_reload_cb *, void *);
/* 1 once the stop sequence has begun: take no new work. */
int		 daemon_stopping(const struct daemon *);

/* Begin the stop sequence (why: "SIGTERM"...); a second call exits now. */
void		 daemon_stop(struct daemon *, const char *why);
/* Read the configuration again and apply what may change at run time. */
void		 daemon_reload(struct daemon *);

#endif
