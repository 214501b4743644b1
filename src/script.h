/*
 * script.h: the Lua operations civicast runs inside Redis, each declared
 * once (script, name, arguments), and the one runner daemon and CLI
 * share: EVALSHA with the script loaded once per connection and loaded
 * again when Redis answers NOSCRIPT (a restart, SCRIPT FLUSH).
 *
 * Every call is checked against its declaration before it leaves: the
 * number of arguments (fixed ones, then whole groups of a repeated
 * tail) and those declared integers.  A call that does not match is a
 * bug in civicast, not bad input, and stops the program (fatalx).
 */
#ifndef CIVICAST_SCRIPT_H
#define CIVICAST_SCRIPT_H

#include <stddef.h>

#include <hiredis/hiredis.h>

struct rconn;
struct scripts;

enum script_id {
	SCRIPT_REGISTRY,	/* src/lua/registry.lua */
	SCRIPT_OUTBOX,		/* src/lua/outbox.lua */
	SCRIPT_RETENTION,	/* src/lua/retention.lua */
	SCRIPT_COUNT
};

/*
 * One operation: ARGV[1] is the key prefix, ARGV[2] the name, then args
 * (space-separated names; a trailing '#' marks an integer, '?' an
 * optional last argument), then each: a group repeated any number of
 * times ("*": any strings at all).  No KEYS: every key is built from the
 * prefix inside the script.
 */
struct script_op {
	enum script_id	 script;
	const char	*name;
	const char	*args;
	const char	*each;		/* NULL: none */
};

/* The declaration of op in script, or NULL. */
const struct script_op *script_op_find(enum script_id, const char *op);
/* Every declared operation (for tests and docs); *n is set. */
const struct script_op *script_ops(size_t *n);
/* The file name of a script ("outbox.lua"). */
const char	*script_name(enum script_id);
/* Check argc arguments against a declaration; -1 with cause. */
int		 script_op_check(const struct script_op *, int argc,
		    const char **argv, const size_t *lens, char **cause);

typedef void	script_cb(struct rconn *, redisReply *, void *);

/*
 * The scripts of one asynchronous connection: scripts_load() on every
 * (re)connect loads them all and calls ready(arg) when the last is in;
 * scripts_lost() when the connection goes.
 */
struct scripts	*scripts_new(struct rconn *, const char *prefix,
		    void (*ready)(void *), void *arg);
/* Free it. */
void		 scripts_free(struct scripts *);
/* Load every script (again). */
void		 scripts_load(struct scripts *);
/* The connection was lost: nothing runs until the next load. */
void		 scripts_lost(struct scripts *);
/* 1 once every script is loaded on the current connection. */
int		 scripts_ready(const struct scripts *);
/*
 * Run op of script: EVALSHA sha 0 prefix op argv...  (lens NULL: C
 * strings).  Returns -1 when not ready (cb is then not called).  A
 * NOSCRIPT answer makes the scripts load again; cb sees that answer.
 */
int		 script_eval(struct scripts *, enum script_id, const char *op,
		    int argc, const char **argv, const size_t *lens,
		    script_cb *cb, void *arg);

/*
 * The same on a synchronous connection (the CLI, civicast event purge):
 * loads the script on first use and once more on NOSCRIPT.  Returns the
 * reply (the caller frees it), or NULL with cause for a Redis error or
 * an error reply.
 */
redisReply	*script_eval_sync(redisContext *, const char *prefix,
		    enum script_id, const char *op, int argc,
		    const char **argv, const size_t *lens, char **cause);

/*
 * Append the same command to c's output buffer without waiting (a
 * pipelined import reads the replies later, and treats NOSCRIPT as a
 * restart of Redis in the middle).  -1 with cause.
 */
int		 script_append_sync(redisContext *, const char *prefix,
		    enum script_id, const char *op, int argc,
		    const char **argv, const size_t *lens, char **cause);

#endif
