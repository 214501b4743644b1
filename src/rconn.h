/*
 * rconn.h: the daemon's asynchronous Redis connection.
 *
 * One hiredis async context on the daemon's libevent loop.  The
 * connection is made as the configuration says (unix socket or
 * host:port), authenticated (AUTH with redis.password_file and the
 * optional ACL user) and switched to redis.db before it counts as
 * connected.  When it is lost, rconn reconnects on its own with
 * exponential backoff and jitter, logging one line per change of state.
 *
 * Later subsystems register with rconn_on_connect() to (re)start their
 * work after every (re)connect, and with rconn_on_lost() to stop it.
 * Commands are refused (-1) while not connected: the caller keeps its
 * work in Redis and retries after the next connect.
 *
 * A command that gets no reply for redis.timeout milliseconds drops the
 * connection (the peer is hung), so blocking commands (BLPOP, XREAD
 * BLOCK) must not be sent on an rconn.
 */
#ifndef CIVICAST_RCONN_H
#define CIVICAST_RCONN_H

#include <stddef.h>
#include <stdarg.h>

#include <hiredis/hiredis.h>

struct conf;
struct event_base;
struct rconn;

/*
 * A reply.  r is NULL when the connection went away before the reply
 * came; rc is NULL when the rconn itself is being freed (do not use it
 * then, only release arg).  r belongs to hiredis: copy what you keep.
 */
typedef void	rconn_reply_cb(struct rconn *rc, redisReply *r, void *arg);
/*
 * A change of state: connected (after AUTH and SELECT) or lost.  A hook
 * may send commands but must not free the rconn.
 */
typedef void	rconn_state_cb(struct rconn *rc, void *arg);
/* A Pub/Sub message's payload. */
typedef void	rconn_message_cb(struct rconn *rc, const char *payload,
		    size_t len, void *arg);

/*
 * Create the connection for conf's redis.* settings (copied: a reload
 * does not change them).  The first attempt is made once the loop runs.
 */
struct rconn	*rconn_new(struct event_base *, const struct conf *);
/* Close the connection (pending callbacks get rc and r NULL) and free. */
void		 rconn_free(struct rconn *);
/* 1 when connected, authenticated and on the right database. */
int		 rconn_connected(const struct rconn *);
/* Where Redis is, for messages: "unix:/path" or "host:port". */
const char	*rconn_where(const struct rconn *);
/* Call cb after every (re)connect; any number of callbacks, in order. */
void		 rconn_on_connect(struct rconn *, rconn_state_cb *, void *);
/* Call cb after every loss of an established connection. */
void		 rconn_on_lost(struct rconn *, rconn_state_cb *, void *);

/*
 * Send a command (hiredis format: %s, %b with a length, %d...); cb may be
 * NULL.  Returns -1 when not connected (cb is not called).
 */
int		 rconn_command(struct rconn *, rconn_reply_cb *cb, void *arg,
		    const char *fmt, ...);
/*
 * Subscribe to a Pub/Sub channel, now and after every reconnection; the
 * connection then carries nothing else (Redis refuses other commands on
 * it).  Replaces an earlier subscription's channel for the next
 * (re)connection.
 */
void		 rconn_subscribe(struct rconn *, const char *channel,
		    rconn_message_cb *, void *arg);
/* rconn_command with a va_list. */
int		 rconn_vcommand(struct rconn *, rconn_reply_cb *cb, void *arg,
		    const char *fmt, va_list);
/* Send a command as an argument vector (argvlen NULL: strlen each). */
int		 rconn_command_argv(struct rconn *, rconn_reply_cb *cb,
		    void *arg, int argc, const char **argv,
		    const size_t *argvlen);

#endif
