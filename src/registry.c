/*
 * registry.c: the resident registry in Redis.
 *
 * Writes and audience queries run as one Lua script (src/lua/registry.lua)
 * so each is atomic against every other civicast process on the Redis.
 * Imports pipeline batches of rows through it: the client parses the next
 * batch while Redis applies the previous ones.
 */
#include "compat.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "audience.h"
#include "conf.h"
#include "rblock.h"
#include "district.h"
#include "phone.h"
#include "registry.h"
#include "script.h"
#include "util.h"
#include "xmalloc.h"

/* Arguments of one registry.lua operation being built. */
struct registry_args {
	const char	**argv;
	size_t		 *len;
	size_t		  n;
	size_t		  cap;
	const char	 *op;
	char		  now[32];
};

static void
registry_arg(struct registry_args *a, const char *s)
{
	if (a->n == a->cap) {
		a->cap = a->cap == 0 ? 64 : a->cap * 2;
		a->argv = xreallocarray(a->argv, a->cap, sizeof *a->argv);
		a->len = xreallocarray(a->len, a->cap, sizeof *a->len);
	}
	a->argv[a->n] = s;
	a->len[a->n++] = strlen(s);
}

static void
registry_args_free(struct registry_args *a)
{
	free(a->argv);
	free(a->len);
	memset(a, 0, sizeof *a);
}

/* Start the arguments of operation op of registry.lua. */
static void
registry_args_start(struct registry *reg, struct registry_args *a,
    const char *op)
{
	memset(a, 0, sizeof *a);
	snprintf(a->now, sizeof a->now, "%lld", (long long)time(NULL));
	a->op = op;
}

/* Run a built call synchronously (script.c loads the script). */
static redisReply *
registry_call(struct registry *reg, struct registry_args *a, char **cause)
{
	return (script_eval_sync(reg->c, reg->prefix, SCRIPT_REGISTRY, a->op,
	    (int)a->n, a->argv, a->len, cause));
}

/* Connect to Redis for conf; -1 with cause. */
int
registry_open(struct registry *reg, const struct conf *conf, char **cause)
{
	memset(reg, 0, sizeof *reg);
	reg->conf = conf;
	reg->prefix = conf->redis_prefix;
	reg->user = util_user();
	if ((reg->c = rblock_connect(conf, cause)) == NULL)
		return (-1);
	return (0);
}

/* Drop the connection. */
void
registry_close(struct registry *reg)
{
	if (reg->c != NULL)
		redisFree(reg->c);
	free(reg->inflight_n);
	memset(reg, 0, sizeof *reg);
}

static void
registry_upsert_args(struct registry *reg, struct registry_args *a,
    const struct resident *rows, size_t n, const char *via, char *nbuf,
    size_t nlen)
{
	size_t	i;

	registry_args_start(reg, a, "upsert");
	registry_arg(a, reg->user);
	registry_arg(a, a->now);
	registry_arg(a, via);
	snprintf(nbuf, nlen, "%zu", n);
	registry_arg(a, nbuf);
	for (i = 0; i < n; i++) {
		registry_arg(a, rows[i].id);
		registry_arg(a, rows[i].phone);
		registry_arg(a, rows[i].district);
		registry_arg(a, rows[i].groups);
		registry_arg(a, rows[i].name);
	}
}

/* Turn an upsert reply into per-row changes; -1 with cause. */
static int
registry_upsert_reply(redisReply *r, size_t n, enum registry_change **out,
    char **cause)
{
	size_t	i;

	if (r->type != REDIS_REPLY_ARRAY || r->elements != n) {
		xasprintf(cause, "redis: unexpected reply to upsert");
		return (-1);
	}
	*out = xcalloc(n, sizeof **out);
	for (i = 0; i < n; i++) {
		if (r->element[i]->type != REDIS_REPLY_INTEGER) {
			free(*out);
			xasprintf(cause, "redis: unexpected reply to upsert");
			return (-1);
		}
		(*out)[i] = (enum registry_change)r->element[i]->integer;
	}
	return (0);
}

/* Read the oldest batch reply in flight and report it. */
static int
registry_upsert_read(struct registry *reg,
    void (*done)(void *, const enum registry_change *, size_t), void *arg,
    char **cause)
{
	enum registry_change	*changes;
	redisReply		*r = NULL;
	size_t			 n;
	int			 rc;

	n = reg->inflight_n[0];
	memmove(reg->inflight_n, reg->inflight_n + 1,
	    (reg->inflight - 1) * sizeof *reg->inflight_n);
	reg->inflight--;
	if (redisGetReply(reg->c, (void **)&r) != REDIS_OK)
		r = NULL;
	if (r != NULL && r->type == REDIS_REPLY_ERROR &&
	    strncmp(r->str, "NOSCRIPT", 8) == 0) {
		freeReplyObject(r);
		xasprintf(cause, "redis: the server restarted during the "
		    "import; run it again (re-importing is safe)");
		return (-1);
	}
	if (rblock_check(reg->c, r, cause) != 0) {
		if (r != NULL)
			freeReplyObject(r);
		return (-1);
	}
	rc = registry_upsert_reply(r, n, &changes, cause);
	freeReplyObject(r);
	if (rc != 0)
		return (-1);
	done(arg, changes, n);
	free(changes);
	return (0);
}

/* Send a batch of residents to be upserted, keeping a window in flight. */
int
registry_upsert_send(struct registry *reg, const struct resident *rows,
    size_t n, const char *via, size_t window,
    void (*done)(void *, const enum registry_change *, size_t), void *arg,
    char **cause)
{
	struct registry_args	a;
	char			nbuf[32];

	if (n == 0)
		return (0);
	if (window == 0)
		window = 1;
	while (reg->inflight >= window) {
		if (registry_upsert_read(reg, done, arg, cause) != 0)
			return (-1);
	}
	registry_upsert_args(reg, &a, rows, n, via, nbuf, sizeof nbuf);
	if (script_append_sync(reg->c, reg->prefix, SCRIPT_REGISTRY, a.op,
	    (int)a.n, a.argv, a.len, cause) != 0) {
		registry_args_free(&a);
		return (-1);
	}
	registry_args_free(&a);
	if (reg->inflight == reg->inflight_cap) {
		reg->inflight_cap = reg->inflight_cap == 0 ? 8 :
		    reg->inflight_cap * 2;
		reg->inflight_n = xreallocarray(reg->inflight_n,
		    reg->inflight_cap, sizeof *reg->inflight_n);
	}
	reg->inflight_n[reg->inflight++] = n;
	/* Push the bytes out now so Redis works while we parse. */
	if (reg->inflight == 1 || reg->inflight >= window) {
		int	wdone = 0;

		while (!wdone) {
			if (redisBufferWrite(reg->c, &wdone) != REDIS_OK) {
				xasprintf(cause, "redis: %s", reg->c->errstr);
				return (-1);
			}
		}
	}
	return (0);
}

/* Wait for every batch in flight; -1 with cause. */
int
registry_upsert_flush(struct registry *reg,
    void (*done)(void *, const enum registry_change *, size_t), void *arg,
    char **cause)
{
	while (reg->inflight > 0) {
		if (registry_upsert_read(reg, done, arg, cause) != 0)
			return (-1);
	}
	return (0);
}

/* Add or update one resident now. */
int
registry_upsert_one(struct registry *reg, const struct resident *res,
    const char *via, enum registry_change *change, char **cause)
{
	struct registry_args	 a;
	enum registry_change	*changes;
	redisReply		*r;
	char			 nbuf[32];
	int			 rc;

	registry_upsert_args(reg, &a, res, 1, via, nbuf, sizeof nbuf);
	r = registry_call(reg, &a, cause);
	registry_args_free(&a);
	if (r == NULL)
		return (-1);
	rc = registry_upsert_reply(r, 1, &changes, cause);
	freeReplyObject(r);
	if (rc != 0)
		return (-1);
	*change = changes[0];
	free(changes);
	return (0);
}

/*
 * Fill res from a record "id US phone US district US groups US name"
 * (US = 0x1f; see registry.lua).  -1 when it is malformed.
 */
static int
registry_decode(struct resident *res, const char *rec, size_t len)
{
	struct {
		char	*dst;
		size_t	 size;
	} f[] = {
		{ res->id, sizeof res->id },
		{ res->phone, sizeof res->phone },
		{ res->district, sizeof res->district },
		{ res->groups, sizeof res->groups },
		{ res->name, sizeof res->name },
	};
	const char	*p = rec, *end = rec + len, *us;
	size_t		 i, n;

	for (i = 0; i < nitems(f); i++) {
		us = memchr(p, 0x1f, (size_t)(end - p));
		n = (us != NULL ? us : end) - p;
		if (n >= f[i].size)
			return (-1);
		memcpy(f[i].dst, p, n);
		f[i].dst[n] = '\0';
		if (us == NULL)
			return (i == nitems(f) - 1 ? 0 : -1);
		p = us + 1;
	}
	return (-1);
}

/* Read a resident by rid: 1 found, 0 gone, -1 with cause. */
int
registry_get_rid(struct registry *reg, unsigned long rid,
    struct resident *res, char **cause)
{
	redisReply	*r;

	memset(res, 0, sizeof *res);
	r = redisCommand(reg->c, "HGET %sr:%lu %lu", reg->prefix,
	    rid / REGISTRY_BUCKET, rid);
	if (rblock_check(reg->c, r, cause) != 0)
		goto fail;
	if (r->type != REDIS_REPLY_STRING) {
		freeReplyObject(r);
		return (0);
	}
	if (registry_decode(res, r->str, r->len) != 0) {
		xasprintf(cause, "registry: resident record %lu is malformed",
		    rid);
		goto fail;
	}
	res->rid = rid;
	freeReplyObject(r);
	r = redisCommand(reg->c, "HEXISTS %soptout %s", reg->prefix,
	    res->phone);
	if (rblock_check(reg->c, r, cause) != 0)
		goto fail;
	res->optout = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
	freeReplyObject(r);
	return (1);
fail:
	if (r != NULL)
		freeReplyObject(r);
	return (-1);
}

/* Read a resident by external id: 1 found, 0 unknown, -1 with cause. */
int
registry_get(struct registry *reg, const char *id, struct resident *res,
    char **cause)
{
	redisReply	*r;
	unsigned long	 rid;
	const char	*errstr;

	r = redisCommand(reg->c, "HGET %sres:ids %s", reg->prefix, id);
	if (rblock_check(reg->c, r, cause) != 0) {
		if (r != NULL)
			freeReplyObject(r);
		return (-1);
	}
	if (r->type != REDIS_REPLY_STRING) {
		freeReplyObject(r);
		memset(res, 0, sizeof *res);
		return (0);
	}
	rid = (unsigned long)strtonum(r->str, 1, LLONG_MAX, &errstr);
	freeReplyObject(r);
	if (errstr != NULL) {
		xasprintf(cause, "registry: resident %s has a bad index", id);
		return (-1);
	}
	return (registry_get_rid(reg, rid, res, cause));
}

/* Remove a resident by external id: 1 removed, 0 unknown, -1 with cause. */
int
registry_remove(struct registry *reg, const char *id, char **cause)
{
	struct registry_args	 a;
	redisReply		*r;
	int			 rc;

	registry_args_start(reg, &a, "remove");
	registry_arg(&a, reg->user);
	registry_arg(&a, id);
	r = registry_call(reg, &a, cause);
	registry_args_free(&a);
	if (r == NULL)
		return (-1);
	rc = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
	freeReplyObject(r);
	return (rc);
}

/* Opt a phone out (on=1) or back in (on=0): 1 changed, 0 already so. */
int
registry_optout(struct registry *reg, const char *phone, int on,
    char **cause)
{
	struct registry_args	 a;
	redisReply		*r;
	char			 masked[PHONE_BUFSIZE];
	int			 rc;

	phone_mask(phone, masked);
	registry_args_start(reg, &a, "optout");
	registry_arg(&a, reg->user);
	registry_arg(&a, a.now);
	registry_arg(&a, phone);
	registry_arg(&a, masked);
	registry_arg(&a, on ? "on" : "off");
	r = registry_call(reg, &a, cause);
	registry_args_free(&a);
	if (r == NULL)
		return (-1);
	rc = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
	freeReplyObject(r);
	return (rc);
}

/* Call fn for each opted-out phone; -1 with cause. */
int
registry_optout_list(struct registry *reg,
    void (*fn)(void *, const char *, long long, const char *), void *arg,
    char **cause)
{
	redisReply	*r, *page;
	char		 cursor[32] = "0";
	char		*user;
	long long	 since;
	size_t		 i;

	do {
		r = redisCommand(reg->c, "HSCAN %soptout %s COUNT 1000",
		    reg->prefix, cursor);
		if (rblock_check(reg->c, r, cause) != 0) {
			if (r != NULL)
				freeReplyObject(r);
			return (-1);
		}
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING) {
			freeReplyObject(r);
			xasprintf(cause, "redis: unexpected reply to HSCAN");
			return (-1);
		}
		strlcpy(cursor, r->element[0]->str, sizeof cursor);
		page = r->element[1];
		for (i = 0; i + 1 < page->elements; i += 2) {
			since = strtoll(page->element[i + 1]->str, &user, 10);
			if (*user == ' ')
				user++;
			fn(arg, page->element[i]->str, since, user);
		}
		freeReplyObject(r);
	} while (strcmp(cursor, "0") != 0);
	return (0);
}

static char *
registry_num(size_t n)
{
	char	*s;

	xasprintf(&s, "%zu", n);
	return (s);
}

/* Append the query arguments matching registry.lua's match(). */
static void
registry_query_args(struct registry_args *a, const struct audience_query *q,
    char *nums[3])
{
	size_t	i;

	registry_arg(a, q->match_all ? "all" : "any");
	registry_arg(a, q->ignore_optout ? "0" : "1");
	nums[0] = registry_num(q->ngroups);
	registry_arg(a, nums[0]);
	for (i = 0; i < q->ngroups; i++)
		registry_arg(a, q->groups[i]);
	nums[1] = registry_num(q->ndistricts);
	registry_arg(a, nums[1]);
	for (i = 0; i < q->ndistricts; i++)
		registry_arg(a, q->districts[i]);
	nums[2] = registry_num(q->nexclude);
	registry_arg(a, nums[2]);
	for (i = 0; i < q->nexclude; i++)
		registry_arg(a, q->exclude[i]);
}

static void
registry_nums_free(char *nums[3])
{
	free(nums[0]);
	free(nums[1]);
	free(nums[2]);
}

static long long
registry_int(redisReply *r)
{
	if (r->type == REDIS_REPLY_INTEGER)
		return (r->integer);
	if (r->type == REDIS_REPLY_STRING)
		return (strtoll(r->str, NULL, 10));
	return (0);
}

/* Count an audience; -1 with cause. */
int
registry_count(struct registry *reg, const struct audience_query *q,
    struct audience_result *res, char **cause)
{
	struct registry_args	  a;
	struct audience_count	**list;
	size_t			 *nlist;
	redisReply		 *r, *k;
	char			 *nums[3];
	size_t			  i;

	memset(res, 0, sizeof *res);
	registry_args_start(reg, &a, "count");
	registry_query_args(&a, q, nums);
	r = registry_call(reg, &a, cause);
	registry_args_free(&a);
	registry_nums_free(nums);
	if (r == NULL)
		return (-1);
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 4) {
		freeReplyObject(r);
		xasprintf(cause, "redis: unexpected reply to count");
		return (-1);
	}
	res->residents = registry_int(r->element[0]);
	res->optedout = registry_int(r->element[1]);
	res->phones = registry_int(r->element[2]);
	list = &res->by_district;
	nlist = &res->nby_district;
	for (i = 3; i < r->elements; i++) {
		k = r->element[i];
		if (k->type == REDIS_REPLY_STRING && strcmp(k->str, "|") == 0) {
			list = &res->by_group;
			nlist = &res->nby_group;
			continue;
		}
		if (i + 1 >= r->elements || k->type != REDIS_REPLY_STRING)
			break;
		*list = xreallocarray(*list, *nlist + 1, sizeof **list);
		(*list)[*nlist].key = xstrdup(k->str);
		(*list)[*nlist].phones = registry_int(r->element[++i]);
		(*nlist)++;
	}
	freeReplyObject(r);
	return (0);
}

/* Up to limit matching rids >= from; -1 with cause. */
int
registry_match(struct registry *reg, const struct audience_query *q,
    unsigned long from, size_t limit, unsigned long *rids, size_t *n,
    char **cause)
{
	struct registry_args	 a;
	redisReply		*r;
	char			*nums[3], fbuf[32], lbuf[32];
	size_t			 i;

	*n = 0;
	registry_args_start(reg, &a, "list");
	snprintf(fbuf, sizeof fbuf, "%lu", from);
	snprintf(lbuf, sizeof lbuf, "%zu", limit);
	registry_arg(&a, fbuf);
	registry_arg(&a, lbuf);
	registry_query_args(&a, q, nums);
	r = registry_call(reg, &a, cause);
	registry_args_free(&a);
	registry_nums_free(nums);
	if (r == NULL)
		return (-1);
	if (r->type != REDIS_REPLY_ARRAY || r->elements > limit) {
		freeReplyObject(r);
		xasprintf(cause, "redis: unexpected reply to list");
		return (-1);
	}
	for (i = 0; i < r->elements; i++)
		rids[i] = (unsigned long)registry_int(r->element[i]);
	*n = r->elements;
	freeReplyObject(r);
	return (0);
}

/* Residents registered in each district code; -1 with cause. */
int
registry_district_counts(struct registry *reg, const char **codes, size_t n,
    long long *counts, char **cause)
{
	redisReply	*r;
	size_t		 i, failed = 0;

	for (i = 0; i < n; i++) {
		/* Villages are sets, the levels above bitmaps (registry.lua). */
		if (strlen(codes[i]) == DISTRICT_MAXLEN)
			redisAppendCommand(reg->c, "SCARD %sset:d:%s",
			    reg->prefix, codes[i]);
		else
			redisAppendCommand(reg->c, "BITCOUNT %sbm:d:%s",
			    reg->prefix, codes[i]);
	}
	for (i = 0; i < n; i++) {
		r = NULL;
		if (redisGetReply(reg->c, (void **)&r) != REDIS_OK)
			r = NULL;
		if (!failed && rblock_check(reg->c, r, cause) != 0)
			failed = 1;
		counts[i] = r != NULL ? registry_int(r) : 0;
		if (r != NULL)
			freeReplyObject(r);
		if (r == NULL)
			return (-1);
	}
	return (failed ? -1 : 0);
}

/* Residents in the registry; -1 with cause. */
int
registry_total(struct registry *reg, long long *total, char **cause)
{
	redisReply	*r;

	r = redisCommand(reg->c, "BITCOUNT %sbm:all", reg->prefix);
	if (rblock_check(reg->c, r, cause) != 0) {
		if (r != NULL)
			freeReplyObject(r);
		return (-1);
	}
	*total = registry_int(r);
	freeReplyObject(r);
	return (0);
}

/* Read the district overlay into the table; -1 with cause. */
int
registry_districts_load(struct registry *reg, struct district_table *dt,
    char **cause)
{
	redisReply	*r;
	char		*added, *why;
	size_t		 i;
	int		 progress;

	r = redisCommand(reg->c, "HGETALL %sdistricts", reg->prefix);
	if (rblock_check(reg->c, r, cause) != 0) {
		if (r != NULL)
			freeReplyObject(r);
		return (-1);
	}
	if (r->elements == 0) {
		freeReplyObject(r);
		return (0);
	}
	/*
	 * Parents before children: a village may have been imported in the
	 * same file as its new township, and hash order is arbitrary, so go
	 * round until a pass adds nothing.
	 */
	added = xcalloc(r->elements, 1);
	do {
		progress = 0;
		for (i = 0; i + 1 < r->elements; i += 2) {
			if (added[i] ||
			    r->element[i]->type != REDIS_REPLY_STRING ||
			    r->element[i + 1]->type != REDIS_REPLY_STRING)
				continue;
			if (district_table_add(dt, r->element[i]->str,
			    r->element[i + 1]->str, &why) == 0) {
				added[i] = 1;
				progress = 1;
			} else
				free(why);
		}
	} while (progress);
	for (i = 0; i + 1 < r->elements; i += 2) {
		if (!added[i]) {
			xasprintf(cause, "registry: imported district %s has "
			    "no known parent", r->element[i]->type ==
			    REDIS_REPLY_STRING ? r->element[i]->str : "?");
			free(added);
			freeReplyObject(r);
			return (-1);
		}
	}
	free(added);
	freeReplyObject(r);
	return (0);
}

/* Store an imported division and audit it; -1 with cause. */
int
registry_district_put(struct registry *reg, const char *code,
    const char *name, char **cause)
{
	redisReply	*r;
	int		 rc;

	redisAppendCommand(reg->c, "MULTI");
	redisAppendCommand(reg->c, "HSET %sdistricts %s %s", reg->prefix,
	    code, name);
	redisAppendCommand(reg->c, "XADD %saudit * user %s action "
	    "district-import district %s", reg->prefix, reg->user, code);
	redisAppendCommand(reg->c, "EXEC");
	for (rc = 0; rc < 4; rc++) {
		r = NULL;
		if (redisGetReply(reg->c, (void **)&r) != REDIS_OK)
			r = NULL;
		if (rblock_check(reg->c, r, cause) != 0) {
			if (r != NULL)
				freeReplyObject(r);
			return (-1);
		}
		freeReplyObject(r);
	}
	return (0);
}
