/*
 * rblock.h: blocking (synchronous) connections to Redis, the one state
 * store, for the CLI and for start-up checks.  The daemon's asynchronous
 * connection is rconn.h's: it lives on the libevent loop and reconnects
 * with backoff.
 */
#ifndef CIVICAST_RBLOCK_H
#define CIVICAST_RBLOCK_H

#include <hiredis/hiredis.h>

struct conf;

/*
 * Connect synchronously as conf says (unix socket or host:port, timeout,
 * AUTH with the password file and optional ACL user, SELECT db).  Warns
 * on stderr when a password-less connection goes to a non-loopback
 * address.  Returns NULL with *cause on failure.
 */
redisContext	*rblock_connect(const struct conf *, char **cause);
/*
 * Check a reply: -1 with *cause (allocated) when r is NULL (connection
 * error, from c->errstr) or a Redis error reply.
 */
int		 rblock_check(redisContext *c, redisReply *r, char **cause);
/* Where conf says Redis is, for messages: "unix:/path" or "host:port". */
const char	*rblock_where(const struct conf *);

#endif
