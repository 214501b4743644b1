/*
 * rconn.c: the daemon's asynchronous Redis connection, with reconnects.
 *
 * States:
 *
 *	WAIT ----(retry timer)----> HANDSHAKE ----(PING reply)----> READY
 *	  ^                            |                              |
 *	  +------(failure, backoff)----+<-----(loss, backoff)---------+
 *
 * An attempt opens the socket and queues AUTH, SELECT and PING at once:
 * hiredis writes them when the non-blocking connect completes, and the
 * PING reply (the last) makes the connection READY.  A connect timer of
 * redis.timeout ms covers the whole handshake.  While READY, a watchdog
 * of redis.timeout ms runs whenever replies are outstanding and is pushed
 * back by every reply; if it fires the peer is hung and the connection is
 * dropped.
 *
 * hiredis frees its context itself after a failed connect or a lost
 * connection, and calls every pending reply callback with a NULL reply.
 * So rc->ac is cleared before anything else happens, and every hiredis
 * callback checks that its context is still rc->ac (and ac->data still
 * rc: rconn_free() clears it) before touching rc.  redisAsyncFree() is
 * never called from hiredis' connect or disconnect callbacks, where it
 * would free the context under hiredis' feet; inside a reply callback
 * hiredis defers it until the callback returns.
 *
 * Logging: one line per change of state seen from outside (connected,
 * lost, cannot connect at start-up); failed retries are debug only.
 */
#include "compat.h"

#include <sys/time.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

#include "conf.h"
#include "rblock.h"
#include "log.h"
#include "rconn.h"
#include "util.h"
#include "xmalloc.h"

#define RCONN_BACKOFF_MIN	250	/* ms, first retry delay (at most) */
#define RCONN_BACKOFF_MAX	30000	/* ms, cap */
#define RCONN_STABLE		30	/* s up before the backoff resets */

enum rconn_state {
	RCONN_WAIT,		/* no socket; retry timer pending */
	RCONN_HANDSHAKE,	/* connecting, AUTH/SELECT/PING queued */
	RCONN_READY
};

struct rconn_hook {
	rconn_state_cb	*cb;
	void		*arg;
};

struct rconn {
	struct event_base	*base;
	redisAsyncContext	*ac;		/* NULL in WAIT */
	enum rconn_state	 state;

	/* Copied from the conf: restart-only values. */
	char			*host;
	int			 port;
	char			*socket;
	char			*password_file;
	char			*user;
	int			 db;
	int			 timeout;	/* ms; 0: none */
	char			*where;

	struct event		*ev_retry;
	struct event		*ev_connect;	/* handshake timeout */
	struct event		*ev_stable;	/* resets the backoff */
	struct event		*ev_watchdog;	/* reply timeout */

	unsigned int		 failures;	/* since the last stable link */
	unsigned int		 attempt;	/* in this outage, for debug */
	int			 ever_up;
	int			 down_logged;	/* this outage is logged */
	time_t			 down_since;
	unsigned int		 inflight;	/* replies awaited (READY) */
	uint64_t		 rnd;		/* jitter; not for secrets */

	/*
	 * Pub/Sub: this connection then carries nothing else, and logs its
	 * ups and downs at debug level only: the main connection already
	 * says when Redis comes and goes, once.
	 */
	int			 quiet;
	char			*sub_channel;
	rconn_message_cb	*sub_cb;
	void			*sub_arg;

	struct rconn_hook	*on_connect;
	size_t			 non_connect;
	struct rconn_hook	*on_lost;
	size_t			 non_lost;
};

/* One command in flight: the caller's callback. */
struct rconn_call {
	rconn_reply_cb	*cb;
	void		*arg;
};

static void	rconn_attempt(struct rconn *);
static void	rconn_fail(struct rconn *, const char *);

static const char rconn_step_auth[] = "AUTH";
static const char rconn_step_select[] = "SELECT";
static const char rconn_step_ping[] = "PING";

/* xorshift64: enough to spread reconnects of many daemons apart. */
static unsigned long
rconn_random(struct rconn *rc)
{
	rc->rnd ^= rc->rnd << 13;
	rc->rnd ^= rc->rnd >> 7;
	rc->rnd ^= rc->rnd << 17;
	return ((unsigned long)(rc->rnd >> 11));
}

/*
 * The next retry delay in ms: the ceiling doubles from RCONN_BACKOFF_MIN
 * with every failure up to RCONN_BACKOFF_MAX, and the delay is half the
 * ceiling plus a random part of the other half ("equal jitter"), so it is
 * never near zero (no busy loop) and daemons restarted together spread.
 */
static long
rconn_backoff(struct rconn *rc)
{
	long		ceiling = RCONN_BACKOFF_MIN;
	unsigned int	i;

	for (i = 1; i < rc->failures && ceiling < RCONN_BACKOFF_MAX; i++)
		ceiling *= 2;
	if (ceiling > RCONN_BACKOFF_MAX)
		ceiling = RCONN_BACKOFF_MAX;
	return (ceiling / 2 + (long)(rconn_random(rc) %
	    (unsigned long)(ceiling / 2 + 1)));
}

static void
rconn_run_hooks(struct rconn *rc, struct rconn_hook *hooks, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		hooks[i].cb(rc, hooks[i].arg);
}

/*
 * The connection is gone (or never came): log as the state machine says,
 * tell the on_lost hooks if it was up, and schedule the next attempt.
 * rc->ac must already be NULL.
 */
static void
rconn_down(struct rconn *rc, const char *cause)
{
	int	was_ready = (rc->state == RCONN_READY);
	long	delay;

	rc->state = RCONN_WAIT;
	rc->inflight = 0;
	evtimer_del(rc->ev_connect);
	evtimer_del(rc->ev_stable);
	evtimer_del(rc->ev_watchdog);

	if (was_ready) {
		if (rc->quiet)
			log_debug("redis %s: subscriber lost: %s", rc->where,
			    cause);
		else
			log_warnx("redis %s: connection lost: %s; "
			    "reconnecting", rc->where, cause);
		rc->down_since = time(NULL);
		rc->attempt = 0;
	} else if (!rc->down_logged) {
		if (rc->quiet)
			log_debug("redis %s: subscriber cannot connect: %s",
			    rc->where, cause);
		else
			log_warnx("redis %s: cannot connect: %s; will keep "
			    "trying", rc->where, cause);
		rc->down_since = time(NULL);
	} else
		log_debug("redis %s: attempt %u failed: %s", rc->where,
		    rc->attempt, cause);
	rc->down_logged = 1;

	rc->failures++;
	delay = rconn_backoff(rc);
	log_debug("redis %s: next attempt in %ld ms", rc->where, delay);
	util_timer_ms(rc->ev_retry, delay);

	if (was_ready)
		rconn_run_hooks(rc, rc->on_lost, rc->non_lost);
}

/* Drop the connection ourselves (timeout, handshake error) and go down. */
static void
rconn_fail(struct rconn *rc, const char *cause)
{
	redisAsyncContext	*ac = rc->ac;

	rc->ac = NULL;
	rconn_down(rc, cause);
	/* Pending callbacks now run with a NULL reply and see rc->ac != ac. */
	if (ac != NULL)
		redisAsyncFree(ac);
}

/*
 * hiredis: a Pub/Sub reply.  The callback stays registered for the life
 * of the subscription, so its privdata is the rconn itself, not a call to
 * free.  Why the watchdog ignores it: a subscribed connection waits for
 * messages that may never come, which is not a hung peer.
 */
static void
rconn_sub_cb(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct rconn	*rc = ac->data;
	redisReply	*r = reply;

	if (rc == NULL || rc->ac != ac || r == NULL ||
	    r->type != REDIS_REPLY_ARRAY || r->elements != 3)
		return;
	if (r->element[0]->type == REDIS_REPLY_STRING &&
	    strcmp(r->element[0]->str, "message") == 0 &&
	    r->element[2]->type == REDIS_REPLY_STRING && rc->sub_cb != NULL)
		rc->sub_cb(rc, r->element[2]->str, r->element[2]->len,
		    rc->sub_arg);
}

static void
rconn_resubscribe(struct rconn *rc)
{
	if (redisAsyncCommand(rc->ac, rconn_sub_cb, NULL, "SUBSCRIBE %s",
	    rc->sub_channel) != REDIS_OK)
		log_warnx("redis %s: cannot subscribe to %s", rc->where,
		    rc->sub_channel);
	else
		log_info("redis %s: subscribed to %s", rc->where,
		    rc->sub_channel);
}

/* Subscribe to a channel, now and after every reconnection. */
void
rconn_subscribe(struct rconn *rc, const char *channel, rconn_message_cb *cb,
    void *arg)
{
	free(rc->sub_channel);
	rc->sub_channel = xstrdup(channel);
	rc->quiet = 1;
	rc->sub_cb = cb;
	rc->sub_arg = arg;
	if (rc->state == RCONN_READY && rc->ac != NULL)
		rconn_resubscribe(rc);
}

static void
rconn_ready(struct rconn *rc)
{
	struct timeval	tv = { RCONN_STABLE, 0 };
	time_t		down;

	rc->state = RCONN_READY;
	rc->inflight = 0;
	evtimer_del(rc->ev_connect);
	evtimer_add(rc->ev_stable, &tv);
	if (rc->quiet)
		log_debug("redis %s: subscriber connected", rc->where);
	else if (rc->down_logged) {
		down = time(NULL) - rc->down_since;
		log_info("redis %s: connected (was down %lld s)", rc->where,
		    (long long)down);
	} else
		log_info("redis %s: connected", rc->where);
	rc->ever_up = 1;
	rc->down_logged = 0;
	rc->attempt = 0;
	if (rc->sub_channel != NULL)
		rconn_resubscribe(rc);
	rconn_run_hooks(rc, rc->on_connect, rc->non_connect);
}

/* hiredis: the non-blocking connect finished. */
static void
rconn_connect_cb(const redisAsyncContext *ac, int status)
{
	struct rconn	*rc = ac->data;

	if (rc == NULL || rc->ac != ac)
		return;
	if (status == REDIS_OK) {
		log_debug("redis %s: socket open, handshake", rc->where);
		return;
	}
	/* hiredis frees ac when this returns. */
	rc->ac = NULL;
	rconn_down(rc, ac->errstr[0] != '\0' ? ac->errstr : "connect failed");
}

/* hiredis: an established connection closed (lost, or freed by us). */
static void
rconn_disconnect_cb(const redisAsyncContext *ac, int status)
{
	struct rconn	*rc = ac->data;

	if (rc == NULL || rc->ac != ac)
		return;
	rc->ac = NULL;
	if (status == REDIS_OK)
		rconn_down(rc, "closed by the server");
	else
		rconn_down(rc, ac->errstr[0] != '\0' ? ac->errstr :
		    "connection error");
}

/* hiredis: a handshake reply; privdata names the step. */
static void
rconn_handshake_cb(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct rconn	*rc = ac->data;
	redisReply	*r = reply;
	const char	*step = privdata;
	char		*cause;

	if (rc == NULL || rc->ac != ac || rc->state != RCONN_HANDSHAKE)
		return;
	if (r == NULL)
		return;		/* the disconnect callback deals with it */
	if (r->type == REDIS_REPLY_ERROR) {
		xasprintf(&cause, "%s: %s", step, r->str);
		rconn_fail(rc, cause);
		free(cause);
		return;
	}
	if (step == rconn_step_ping)
		rconn_ready(rc);
}

/*
 * Read the password and queue AUTH on a fresh context; the secret is
 * wiped at once (hiredis' copy in its output buffer goes with the write).
 */
static int
rconn_auth(struct rconn *rc, char **cause)
{
	char	*secret;
	size_t	 len;
	int	 error;

	if (conf_secret_read(rc->password_file, &secret, &len, cause) != 0)
		return (-1);
	if (rc->user != NULL)
		error = redisAsyncCommand(rc->ac, rconn_handshake_cb,
		    (void *)rconn_step_auth, "AUTH %s %b", rc->user, secret,
		    len);
	else
		error = redisAsyncCommand(rc->ac, rconn_handshake_cb,
		    (void *)rconn_step_auth, "AUTH %b", secret, len);
	conf_secret_free(secret, len);
	if (error != REDIS_OK) {
		*cause = xstrdup("cannot queue AUTH");
		return (-1);
	}
	return (0);
}

/* One connection attempt. */
static void
rconn_attempt(struct rconn *rc)
{
	redisAsyncContext	*ac;
	char			*cause = NULL;

	rc->attempt++;
	log_debug("redis %s: connecting (attempt %u)", rc->where, rc->attempt);
	if (rc->socket != NULL)
		ac = redisAsyncConnectUnix(rc->socket);
	else
		ac = redisAsyncConnect(rc->host, rc->port);
	if (ac == NULL)
		fatalx("redis %s: out of memory", rc->where);
	rc->state = RCONN_HANDSHAKE;
	if (ac->err) {
		/* A unix socket fails at once (ENOENT, ECONNREFUSED). */
		xasprintf(&cause, "%s", ac->errstr);
		redisAsyncFree(ac);
		rconn_down(rc, cause);
		free(cause);
		return;
	}
	rc->ac = ac;
	ac->data = rc;
	if (rc->socket == NULL)
		redisEnableKeepAlive(&ac->c);	/* notice a vanished peer */
	if (redisLibeventAttach(ac, rc->base) != REDIS_OK ||
	    redisAsyncSetConnectCallback(ac, rconn_connect_cb) != REDIS_OK ||
	    redisAsyncSetDisconnectCallback(ac, rconn_disconnect_cb) !=
	    REDIS_OK)
		fatalx("redis %s: cannot attach to the event loop", rc->where);
	if (rc->timeout > 0)
		util_timer_ms(rc->ev_connect, rc->timeout);

	if (rc->password_file != NULL && rconn_auth(rc, &cause) != 0)
		goto fail;
	if (rc->db != 0 && redisAsyncCommand(ac, rconn_handshake_cb,
	    (void *)rconn_step_select, "SELECT %d", rc->db) != REDIS_OK) {
		cause = xstrdup("cannot queue SELECT");
		goto fail;
	}
	/* Last: its reply means all went through, and catches NOAUTH. */
	if (redisAsyncCommand(ac, rconn_handshake_cb, (void *)rconn_step_ping,
	    "PING") != REDIS_OK) {
		cause = xstrdup("cannot queue PING");
		goto fail;
	}
	return;

fail:
	/* Not inside a hiredis callback here, so freeing ac is safe. */
	rconn_fail(rc, cause);
	free(cause);
}

static void
rconn_retry_cb(evutil_socket_t fd, short events, void *arg)
{
	rconn_attempt(arg);
}

static void
rconn_connect_timeout_cb(evutil_socket_t fd, short events, void *arg)
{
	struct rconn	*rc = arg;
	char		*cause;

	xasprintf(&cause, "no answer within %d ms", rc->timeout);
	rconn_fail(rc, cause);
	free(cause);
}

static void
rconn_watchdog_cb(evutil_socket_t fd, short events, void *arg)
{
	struct rconn	*rc = arg;
	char		*cause;

	xasprintf(&cause, "no reply within %d ms", rc->timeout);
	rconn_fail(rc, cause);
	free(cause);
}

static void
rconn_stable_cb(evutil_socket_t fd, short events, void *arg)
{
	struct rconn	*rc = arg;

	/* Up long enough: the next outage starts from the shortest delay. */
	rc->failures = 0;
}

/* Create the connection for conf's redis.* settings. */
struct rconn *
rconn_new(struct event_base *base, const struct conf *conf)
{
	struct rconn	*rc;
	struct timeval	 now, zero = { 0, 0 };

	rc = xcalloc(1, sizeof *rc);
	rc->base = base;
	rc->state = RCONN_WAIT;
	if (conf->redis_socket != NULL)
		rc->socket = xstrdup(conf->redis_socket);
	else
		rc->host = xstrdup(conf->redis_host);
	rc->port = conf->redis_port;
	if (conf->redis_password_file != NULL)
		rc->password_file = xstrdup(conf->redis_password_file);
	if (conf->redis_user != NULL)
		rc->user = xstrdup(conf->redis_user);
	rc->db = conf->redis_db;
	rc->timeout = conf->redis_timeout;
	rc->where = xstrdup(rblock_where(conf));

	gettimeofday(&now, NULL);
	rc->rnd = ((uint64_t)now.tv_sec << 20) ^ (uint64_t)now.tv_usec ^
	    ((uint64_t)getpid() << 40) ^ 0x9e3779b97f4a7c15ULL;

	rc->ev_retry = evtimer_new(base, rconn_retry_cb, rc);
	rc->ev_connect = evtimer_new(base, rconn_connect_timeout_cb, rc);
	rc->ev_stable = evtimer_new(base, rconn_stable_cb, rc);
	rc->ev_watchdog = evtimer_new(base, rconn_watchdog_cb, rc);
	if (rc->ev_retry == NULL || rc->ev_connect == NULL ||
	    rc->ev_stable == NULL || rc->ev_watchdog == NULL)
		fatalx("rconn: cannot create timers");

	if (rc->password_file == NULL && rc->host != NULL &&
	    !util_is_loopback(rc->host))
		log_warnx("redis %s: connecting without a password to a "
		    "non-loopback address; set redis.password_file",
		    rc->where);

	/* First attempt from the loop, after every hook is registered. */
	evtimer_add(rc->ev_retry, &zero);
	return (rc);
}

/* Close the connection and free. */
void
rconn_free(struct rconn *rc)
{
	redisAsyncContext	*ac;

	if (rc == NULL)
		return;
	if ((ac = rc->ac) != NULL) {
		/*
		 * Callbacks still pending (now, or after the reply callback
		 * we may be in) see ac->data NULL: rc is gone.
		 */
		rc->ac = NULL;
		ac->data = NULL;
		redisAsyncFree(ac);
		log_debug("redis %s: closed", rc->where);
	}
	event_free(rc->ev_retry);
	event_free(rc->ev_connect);
	event_free(rc->ev_stable);
	event_free(rc->ev_watchdog);
	free(rc->host);
	free(rc->socket);
	free(rc->password_file);
	free(rc->user);
	free(rc->where);
	free(rc->sub_channel);
	free(rc->on_connect);
	free(rc->on_lost);
	free(rc);
}

/* 1 when connected, authenticated and on the right database. */
int
rconn_connected(const struct rconn *rc)
{
	return (rc != NULL && rc->state == RCONN_READY);
}

/* Where Redis is, for messages. */
const char *
rconn_where(const struct rconn *rc)
{
	return (rc->where);
}

/* Call cb after every (re)connect. */
void
rconn_on_connect(struct rconn *rc, rconn_state_cb *cb, void *arg)
{
	rc->on_connect = xreallocarray(rc->on_connect, rc->non_connect + 1,
	    sizeof *rc->on_connect);
	rc->on_connect[rc->non_connect].cb = cb;
	rc->on_connect[rc->non_connect].arg = arg;
	rc->non_connect++;
}

/* Call cb after every loss of an established connection. */
void
rconn_on_lost(struct rconn *rc, rconn_state_cb *cb, void *arg)
{
	rc->on_lost = xreallocarray(rc->on_lost, rc->non_lost + 1,
	    sizeof *rc->on_lost);
	rc->on_lost[rc->non_lost].cb = cb;
	rc->on_lost[rc->non_lost].arg = arg;
	rc->non_lost++;
}

/* hiredis: a reply to a caller's command. */
static void
rconn_call_cb(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct rconn		*rc = ac->data;
	struct rconn_call	*call = privdata;

	/* Book-keeping first: the caller may free rc. */
	if (rc != NULL && rc->ac == ac && reply != NULL &&
	    rc->state == RCONN_READY && rc->inflight > 0) {
		if (--rc->inflight == 0)
			evtimer_del(rc->ev_watchdog);
		else if (rc->timeout > 0)
			util_timer_ms(rc->ev_watchdog, rc->timeout);
	}
	if (call->cb != NULL)
		call->cb(rc, reply, call->arg);
	free(call);
}

static struct rconn_call *
rconn_call_new(struct rconn *rc, rconn_reply_cb *cb, void *arg)
{
	struct rconn_call	*call;

	call = xmalloc(sizeof *call);
	call->cb = cb;
	call->arg = arg;
	return (call);
}

/* A command was queued: count it and arm the watchdog if idle before. */
static void
rconn_sent(struct rconn *rc)
{
	if (rc->inflight++ == 0 && rc->timeout > 0)
		util_timer_ms(rc->ev_watchdog, rc->timeout);
}

/* rconn_command with a va_list. */
int
rconn_vcommand(struct rconn *rc, rconn_reply_cb *cb, void *arg,
    const char *fmt, va_list ap)
{
	struct rconn_call	*call;

	if (rc == NULL || rc->state != RCONN_READY || rc->ac == NULL)
		return (-1);
	call = rconn_call_new(rc, cb, arg);
	if (redisvAsyncCommand(rc->ac, rconn_call_cb, call, fmt, ap) !=
	    REDIS_OK) {
		free(call);
		return (-1);
	}
	rconn_sent(rc);
	return (0);
}

/* Send a command; -1 when not connected. */
int
rconn_command(struct rconn *rc, rconn_reply_cb *cb, void *arg,
    const char *fmt, ...)
{
	va_list	ap;
	int	rv;

	va_start(ap, fmt);
	rv = rconn_vcommand(rc, cb, arg, fmt, ap);
	va_end(ap);
	return (rv);
}

/* Send a command as an argument vector. */
int
rconn_command_argv(struct rconn *rc, rconn_reply_cb *cb, void *arg,
    int argc, const char **argv, const size_t *argvlen)
{
	struct rconn_call	*call;

	if (rc == NULL || rc->state != RCONN_READY || rc->ac == NULL)
		return (-1);
	call = rconn_call_new(rc, cb, arg);
	if (redisAsyncCommandArgv(rc->ac, rconn_call_cb, call, argc, argv,
	    argvlen) != REDIS_OK) {
		free(call);
		return (-1);
	}
	rconn_sent(rc);
	return (0);
}
