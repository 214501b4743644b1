/*
 * rblock.c: synchronous connections to Redis for the CLI and start-up checks.
 */
#include "compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "conf.h"
#include "rblock.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

/* Where conf says Redis is, for messages. */
const char *
rblock_where(const struct conf *conf)
{
	static char	where[512];

	if (conf->redis_socket != NULL)
		snprintf(where, sizeof where, "unix:%s", conf->redis_socket);
	else
		snprintf(where, sizeof where, "%s:%d", conf->redis_host,
		    conf->redis_port);
	return (where);
}

/* Check a reply: -1 with *cause when missing or an error reply. */
int
rblock_check(redisContext *c, redisReply *r, char **cause)
{
	if (r == NULL) {
		xasprintf(cause, "redis: %s", c->errstr[0] != '\0' ?
		    c->errstr : "connection lost");
		return (-1);
	}
	if (r->type == REDIS_REPLY_ERROR) {
		xasprintf(cause, "redis: %s", r->str);
		return (-1);
	}
	return (0);
}

/* AUTH with the password file (and ACL user); -1 with cause. */
static int
db_auth(redisContext *c, const struct conf *conf, char **cause)
{
	redisReply	*r;
	char		*secret;
	size_t		 len;
	int		 rc;

	if (conf_secret_read(conf->redis_password_file, &secret, &len,
	    cause) != 0)
		return (-1);
	if (conf->redis_user != NULL)
		r = redisCommand(c, "AUTH %s %b", conf->redis_user, secret,
		    len);
	else
		r = redisCommand(c, "AUTH %b", secret, len);
	conf_secret_free(secret, len);
	rc = rblock_check(c, r, cause);
	if (r != NULL)
		freeReplyObject(r);
	return (rc);
}

/* Connect synchronously as conf says; NULL with *cause on failure. */
redisContext *
rblock_connect(const struct conf *conf, char **cause)
{
	redisContext	*c;
	redisReply	*r;
	struct timeval	 tv;

	tv.tv_sec = conf->redis_timeout / 1000;
	tv.tv_usec = (conf->redis_timeout % 1000) * 1000;
	if (conf->redis_socket != NULL)
		c = redisConnectUnixWithTimeout(conf->redis_socket, tv);
	else
		c = redisConnectWithTimeout(conf->redis_host, conf->redis_port,
		    tv);
	if (c == NULL) {
		xasprintf(cause, "redis %s: out of memory", rblock_where(conf));
		return (NULL);
	}
	if (c->err) {
		xasprintf(cause, "redis %s: %s", rblock_where(conf), c->errstr);
		redisFree(c);
		return (NULL);
	}
	redisSetTimeout(c, tv);
	if (conf->redis_password_file != NULL) {
		if (db_auth(c, conf, cause) != 0) {
			redisFree(c);
			return (NULL);
		}
	} else if (conf->redis_socket == NULL &&
	    !util_is_loopback(conf->redis_host))
		log_warnx("redis %s: connecting without a password to a "
		    "non-loopback address; set redis.password_file",
		    rblock_where(conf));
	if (conf->redis_db != 0) {
		r = redisCommand(c, "SELECT %d", conf->redis_db);
		if (rblock_check(c, r, cause) != 0) {
			if (r != NULL)
				freeReplyObject(r);
			redisFree(c);
			return (NULL);
		}
		freeReplyObject(r);
	}
	return (c);
}
