/*
 * script.c: the Lua operations, declared once, and the runner.
 *
 * The declarations below are the contract between C and each Lua
 * operation (the Lua side documents the same list above each function).
 * Keep them in the order of the scripts.
 */
#include "compat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "rblock.h"
#include "log.h"
#include "rconn.h"
#include "script.h"
#include "xmalloc.h"

#include "registry-lua.h"

#define SCRIPT_MAX_ARGS	32	/* declared names per operation */

static const struct script_op script_table[] = {
	/* registry.lua: residents, groups, districts, opt-outs. */
	{ SCRIPT_REGISTRY, "upsert", "user now# via n#",
	  "id phone district groups name" },
	{ SCRIPT_REGISTRY, "remove", "user id", NULL },
	{ SCRIPT_REGISTRY, "optout", "user now# phone masked switch", NULL },
	{ SCRIPT_REGISTRY, "count", "", "*" },
	{ SCRIPT_REGISTRY, "list", "from# limit#", "*" },
	{ SCRIPT_REGISTRY, "save_match", "key evkey", "*" },
	{ SCRIPT_REGISTRY, "expand", "key from# limit#", NULL },

	/* outbox.lua: events and messages, every state transition. */
	{ SCRIPT_OUTBOX, "accept", "dept id sid kind priority ref json sig "
	  "now# not_before# expires# text signature template publisher "
	  "verified#", NULL },
	{ SCRIPT_OUTBOX, "enqueue", "e# from# next# last# now#",
	  "r# phone text district groups" },
	{ SCRIPT_OUTBOX, "take", "instance now# lease# max# quiet", NULL },
	{ SCRIPT_OUTBOX, "done", "instance now#",
	  "id result channel ref error retry_at reports#" },
	{ SCRIPT_OUTBOX, "requeue", "instance now# all#", NULL },
	{ SCRIPT_OUTBOX, "renew", "instance now# lease#", "id" },
	{ SCRIPT_OUTBOX, "tick", "now# resend_unknown_ms#?", NULL },
	{ SCRIPT_OUTBOX, "drain", "e# now# max#", NULL },
	/* Rates in whole numbers (src/rate.c): no fraction reaches PX. */
	{ SCRIPT_OUTBOX, "allow", "now#", "channel period# count# burst#" },
	{ SCRIPT_OUTBOX, "admit", "now# day month day_end# month_end#",
	  "id channel period# count# burst# phone priority dept segments# "
	  "rcap# budget_day# budget_month#" },
	{ SCRIPT_OUTBOX, "report", "now#", "channel ref phone state# detail" },
	{ SCRIPT_OUTBOX, "stop", "e# state now# reason", NULL },
	{ SCRIPT_OUTBOX, "cancel", "dept id now#", NULL },
	{ SCRIPT_OUTBOX, "refuse", "e# now# when reason", NULL },
	{ SCRIPT_OUTBOX, "hold", "e# now# why", NULL },
	{ SCRIPT_OUTBOX, "review", "e# why", NULL },
	{ SCRIPT_OUTBOX, "approve", "e# user now#", NULL },
	{ SCRIPT_OUTBOX, "reject", "e# user now# reason", NULL },
	{ SCRIPT_OUTBOX, "sim_add", "id ms# horizon# depth#", NULL },
	{ SCRIPT_OUTBOX, "sim_times", "id now# horizon# depth#", NULL },

	/* retention.lua: message records of finished events. */
	{ SCRIPT_RETENTION, "candidates", "now# cutoff# max# from", NULL },
	{ SCRIPT_RETENTION, "purge", "cursor count# now#", "e#" },
};

static const char *const script_sources[SCRIPT_COUNT] = {
	lua_registry,
	lua_outbox,
	lua_retention
};

static const char *const script_names[SCRIPT_COUNT] = {
	"registry.lua",
	"outbox.lua",
	"retention.lua"
};

/* The file name of a script. */
const char *
script_name(enum script_id id)
{
	if ((size_t)id >= SCRIPT_COUNT)
		return ("?");
	return (script_names[id]);
}

/* Every declared operation. */
const struct script_op *
script_ops(size_t *n)
{
	*n = nitems(script_table);
	return (script_table);
}

/* The declaration of op in script, or NULL. */
const struct script_op *
script_op_find(enum script_id id, const char *op)
{
	size_t	i;

	for (i = 0; i < nitems(script_table); i++) {
		if (script_table[i].script == id &&
		    strcmp(script_table[i].name, op) == 0)
			return (&script_table[i]);
	}
	return (NULL);
}

/* Split a list of names into words; returns how many. */
static size_t
script_words(const char *list, char words[][32], size_t max)
{
	size_t	n = 0, len;

	while (list != NULL && *list != '\0' && n < max) {
		while (*list == ' ')
			list++;
		if (*list == '\0')
			break;
		len = strcspn(list, " ");
		if (len >= sizeof words[0])
			len = sizeof words[0] - 1;
		memcpy(words[n], list, len);
		words[n++][len] = '\0';
		list += strcspn(list, " ");
	}
	return (n);
}

/* 1 when the argument is a decimal integer (an optional '-'). */
static int
script_is_int(const char *s, size_t len)
{
	size_t	i = 0;

	if (len > 0 && s[0] == '-')
		i = 1;
	if (i == len || len - i > 19)
		return (0);
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (0);
	}
	return (1);
}

/*
 * A declaration taken apart once: its names, which are integers, the
 * optional last one, the repeated group ("*": anything).  Calls run on
 * the outbox's hot path, so the strings are not parsed at every call.
 */
struct script_shape {
	int		 parsed;
	char		 fixed[SCRIPT_MAX_ARGS][32], each[SCRIPT_MAX_ARGS][32];
	unsigned char	 fint[SCRIPT_MAX_ARGS], eint[SCRIPT_MAX_ARGS];
	size_t		 nfixed, neach, nopt;
	int		 any;
};

static struct script_shape script_shapes[nitems(script_table)];

/* Strip the marks off a name; 1 when it was marked an integer. */
static int
script_name_int(char *word)
{
	size_t	wl = strlen(word);

	if (wl > 0 && word[wl - 1] == '?')
		word[--wl] = '\0';
	if (wl > 0 && word[wl - 1] == '#') {
		word[--wl] = '\0';
		return (1);
	}
	return (0);
}

static void
script_shape_parse(const struct script_op *op, struct script_shape *sh)
{
	size_t	i;

	sh->nfixed = script_words(op->args, sh->fixed, SCRIPT_MAX_ARGS);
	sh->neach = script_words(op->each, sh->each, SCRIPT_MAX_ARGS);
	sh->any = sh->neach == 1 && strcmp(sh->each[0], "*") == 0;
	sh->nopt = sh->nfixed > 0 && sh->fixed[sh->nfixed - 1][strlen(
	    sh->fixed[sh->nfixed - 1]) - 1] == '?';
	for (i = 0; i < sh->nfixed; i++)
		sh->fint[i] = (unsigned char)script_name_int(sh->fixed[i]);
	for (i = 0; i < sh->neach; i++)
		sh->eint[i] = (unsigned char)script_name_int(sh->each[i]);
	sh->parsed = 1;
}

static int
script_arg_check(const struct script_op *op, const char *name, int isint,
    int i, const char **argv, const size_t *lens, char **cause)
{
	size_t	len;

	if (!isint)
		return (0);
	len = lens != NULL ? lens[i] : strlen(argv[i]);
	if (script_is_int(argv[i], len))
		return (0);
	xasprintf(cause, "%s %s: argument %d (%s) is not an integer: "
	    "\"%.*s\"", script_name(op->script), op->name, i + 1, name,
	    (int)(len > 40 ? 40 : len), argv[i]);
	return (-1);
}

/* Check argc arguments against a declaration; -1 with cause. */
int
script_op_check(const struct script_op *op, int argc, const char **argv,
    const size_t *lens, char **cause)
{
	struct script_shape	 local, *sh = &local;
	size_t			 i, k;

	/* A row of the table keeps its shape; another is parsed here. */
	if (op >= script_table && op < script_table + nitems(script_table))
		sh = &script_shapes[op - script_table];
	if (sh == &local || !sh->parsed)
		script_shape_parse(op, sh);
	if (argc < 0 || (size_t)argc < sh->nfixed - sh->nopt ||
	    (sh->neach == 0 && (size_t)argc > sh->nfixed) ||
	    (sh->neach > 0 && !sh->any && (size_t)argc >= sh->nfixed &&
	    ((size_t)argc - sh->nfixed) % sh->neach != 0)) {
		xasprintf(cause, "%s %s: %d arguments do not fit \"%s%s%s%s\"",
		    script_name(op->script), op->name, argc, op->args,
		    op->each != NULL ? " (" : "",
		    op->each != NULL ? op->each : "",
		    op->each != NULL ? ")*" : "");
		return (-1);
	}
	for (i = 0; i < (size_t)argc; i++) {
		if (i < sh->nfixed) {
			if (script_arg_check(op, sh->fixed[i], sh->fint[i],
			    (int)i, argv, lens, cause) != 0)
				return (-1);
		} else if (!sh->any) {
			k = (i - sh->nfixed) % sh->neach;
			if (script_arg_check(op, sh->each[k], sh->eint[k],
			    (int)i, argv, lens, cause) != 0)
				return (-1);
		}
	}
	return (0);
}

/* A call that does not fit its declaration is civicast's bug. */
static void
script_must_fit(enum script_id id, const char *name, int argc,
    const char **argv, const size_t *lens)
{
	const struct script_op	*op;
	char			*cause;

	if ((op = script_op_find(id, name)) == NULL)
		fatalx("script: %s has no operation %s", script_name(id),
		    name);
	if (script_op_check(op, argc, argv, lens, &cause) != 0)
		fatalx("script: %s", cause);
}

/* The command: EVALSHA sha 0 prefix op argv... */
static void
script_command(const char *sha, const char *prefix, const char *op,
    int argc, const char **argv, const size_t *lens, const char ***avp,
    size_t **lensp)
{
	const char	**av;
	size_t		 *ln;
	int		  i;

	av = xcalloc((size_t)argc + 5, sizeof *av);
	ln = xcalloc((size_t)argc + 5, sizeof *ln);
	av[0] = "EVALSHA";
	av[1] = sha;
	av[2] = "0";
	av[3] = prefix;
	av[4] = op;
	for (i = 0; i < 5; i++)
		ln[i] = strlen(av[i]);
	for (i = 0; i < argc; i++) {
		av[i + 5] = argv[i];
		ln[i + 5] = lens != NULL ? lens[i] : strlen(argv[i]);
	}
	*avp = av;
	*lensp = ln;
}

struct scripts {
	struct rconn	*rc;
	char		*prefix;
	char		 sha[SCRIPT_COUNT][41];
	int		 ready;
	unsigned int	 generation;	/* loads started */
	void		(*ready_cb)(void *);
	void		*arg;
};

struct script_load {
	struct scripts	*s;
	enum script_id	 id;
	unsigned int	 generation;
};

struct script_call {
	struct scripts	*s;
	script_cb	*cb;
	void		*arg;
};

/* Set up the scripts of an asynchronous connection. */
struct scripts *
scripts_new(struct rconn *rc, const char *prefix, void (*ready)(void *),
    void *arg)
{
	struct scripts	*s;

	s = xcalloc(1, sizeof *s);
	s->rc = rc;
	s->prefix = xstrdup(prefix);
	s->ready_cb = ready;
	s->arg = arg;
	return (s);
}

/* Free it. */
void
scripts_free(struct scripts *s)
{
	if (s == NULL)
		return;
	free(s->prefix);
	free(s);
}

/* 1 once every script is loaded. */
int
scripts_ready(const struct scripts *s)
{
	return (s->ready);
}

/* The connection was lost. */
void
scripts_lost(struct scripts *s)
{
	s->ready = 0;
}

static void
scripts_loaded(struct rconn *rc, redisReply *r, void *arg)
{
	struct script_load	*l = arg;
	struct scripts		*s = l->s;
	size_t			 i;

	/* A reply to an older load (a reconnect came between): ignore. */
	if (l->generation != s->generation) {
		free(l);
		return;
	}
	if (r == NULL || r->type != REDIS_REPLY_STRING || r->len != 40) {
		if (r != NULL && r->type == REDIS_REPLY_ERROR)
			log_warnx("script: SCRIPT LOAD %s: %s",
			    script_name(l->id), r->str);
		free(l);
		return;		/* the next (re)connect tries again */
	}
	memcpy(s->sha[l->id], r->str, 40);
	s->sha[l->id][40] = '\0';
	free(l);
	for (i = 0; i < SCRIPT_COUNT; i++) {
		if (s->sha[i][0] == '\0')
			return;
	}
	s->ready = 1;
	if (s->ready_cb != NULL)
		s->ready_cb(s->arg);
}

/* Load every script (again). */
void
scripts_load(struct scripts *s)
{
	struct script_load	*l;
	size_t			 i;

	s->ready = 0;
	s->generation++;
	for (i = 0; i < SCRIPT_COUNT; i++)
		s->sha[i][0] = '\0';
	for (i = 0; i < SCRIPT_COUNT; i++) {
		l = xcalloc(1, sizeof *l);
		l->s = s;
		l->id = (enum script_id)i;
		l->generation = s->generation;
		if (rconn_command(s->rc, scripts_loaded, l, "SCRIPT LOAD %s",
		    script_sources[i]) != 0)
			free(l);
	}
}

static void
script_evaled(struct rconn *rc, redisReply *r, void *arg)
{
	struct script_call	*call = arg;
	struct scripts		*s = call->s;

	if (r != NULL && r->type == REDIS_REPLY_ERROR &&
	    strncmp(r->str, "NOSCRIPT", 8) == 0 && s->ready) {
		/* Redis lost its script cache (a restart, SCRIPT FLUSH). */
		log_warnx("script: scripts gone from Redis; loading again");
		scripts_load(s);
	}
	if (call->cb != NULL)
		call->cb(rc, r, call->arg);
	free(call);
}

/* Run op of script; -1 when not ready. */
int
script_eval(struct scripts *s, enum script_id id, const char *op, int argc,
    const char **argv, const size_t *lens, script_cb *cb, void *arg)
{
	struct script_call	 *call;
	const char		**av;
	size_t			 *ln;
	int			  rv;

	script_must_fit(id, op, argc, argv, lens);
	if (!s->ready)
		return (-1);
	script_command(s->sha[id], s->prefix, op, argc, argv, lens, &av, &ln);
	call = xmalloc(sizeof *call);
	call->s = s;
	call->cb = cb;
	call->arg = arg;
	rv = rconn_command_argv(s->rc, script_evaled, call, argc + 5, av, ln);
	if (rv != 0)
		free(call);
	free(av);
	free(ln);
	return (rv);
}

/*
 * The synchronous side keeps one id per script for the process: a CLI
 * talks to one Redis, and a wrong id costs one NOSCRIPT and a load.
 */
static char	script_sync_sha[SCRIPT_COUNT][41];

static int
script_sync_load(redisContext *c, enum script_id id, char **cause)
{
	redisReply	*r;

	r = redisCommand(c, "SCRIPT LOAD %s", script_sources[id]);
	if (rblock_check(c, r, cause) != 0) {
		if (r != NULL)
			freeReplyObject(r);
		return (-1);
	}
	if (r->type != REDIS_REPLY_STRING || r->len != 40) {
		xasprintf(cause, "redis: unexpected reply to SCRIPT LOAD %s",
		    script_name(id));
		freeReplyObject(r);
		return (-1);
	}
	memcpy(script_sync_sha[id], r->str, 40);
	script_sync_sha[id][40] = '\0';
	freeReplyObject(r);
	return (0);
}

/* Run op of script on a synchronous connection; NULL with cause. */
redisReply *
script_eval_sync(redisContext *c, const char *prefix, enum script_id id,
    const char *op, int argc, const char **argv, const size_t *lens,
    char **cause)
{
	redisReply	 *r = NULL;
	const char	**av;
	size_t		 *ln;
	int		  tries;

	script_must_fit(id, op, argc, argv, lens);
	for (tries = 0; tries < 2; tries++) {
		if ((script_sync_sha[id][0] == '\0' || tries > 0) &&
		    script_sync_load(c, id, cause) != 0)
			return (NULL);
		script_command(script_sync_sha[id], prefix, op, argc, argv,
		    lens, &av, &ln);
		r = redisCommandArgv(c, argc + 5, av, ln);
		free(av);
		free(ln);
		if (r != NULL && r->type == REDIS_REPLY_ERROR &&
		    strncmp(r->str, "NOSCRIPT", 8) == 0 && tries == 0) {
			/* Redis restarted or SCRIPT FLUSH: load it again. */
			freeReplyObject(r);
			r = NULL;
			continue;
		}
		break;
	}
	if (rblock_check(c, r, cause) != 0) {
		if (r != NULL)
			freeReplyObject(r);
		return (NULL);
	}
	return (r);
}

/* Append op of script to c's output buffer (pipelining); -1 with cause. */
int
script_append_sync(redisContext *c, const char *prefix, enum script_id id,
    const char *op, int argc, const char **argv, const size_t *lens,
    char **cause)
{
	const char	**av;
	size_t		 *ln;
	int		  rc;

	script_must_fit(id, op, argc, argv, lens);
	if (script_sync_sha[id][0] == '\0' &&
	    script_sync_load(c, id, cause) != 0)
		return (-1);
	script_command(script_sync_sha[id], prefix, op, argc, argv, lens, &av,
	    &ln);
	rc = redisAppendCommandArgv(c, argc + 5, av, ln);
	free(av);
	free(ln);
	if (rc != REDIS_OK) {
		xasprintf(cause, "redis: %s", c->errstr);
		return (-1);
	}
	return (0);
}
