/*
 * registry.h: the resident registry in Redis (see src/lua/registry.lua
 * for the key layout).
 */
#ifndef CIVICAST_REGISTRY_H
#define CIVICAST_REGISTRY_H

#include <stddef.h>

#include <hiredis/hiredis.h>

#include "resident.h"

struct conf;
struct audience_query;
struct audience_result;

/* Records are stored in hashes of this many (see registry.lua). */
#define REGISTRY_BUCKET		128

enum registry_change {
	REGISTRY_UNCHANGED = 0,
	REGISTRY_ADDED = 1,
	REGISTRY_UPDATED = 2
};

struct registry {
	redisContext		*c;
	const struct conf	*conf;
	const char		*prefix;
	const char		*user;		/* OS user, for the audit stream */
	/* Pipelined upserts (registry_upsert_*). */
	size_t			 inflight;	/* batches sent, replies unread */
	size_t			*inflight_n;	/* rows per batch in flight */
	size_t			 inflight_cap;
};

/* Connect to Redis for conf and load the registry script; -1 with cause. */
int	 registry_open(struct registry *, const struct conf *, char **cause);
/* Drop the connection. */
void	 registry_close(struct registry *);

/*
 * Send a batch of residents to be added or updated (by external id),
 * audited as coming `via` "import" or "cli", without waiting:
 * up to `window` batches stay in flight.  Each finished batch's per-row
 * results are passed to done(arg, rows, results, n).  -1 with cause on a
 * Redis error (earlier batches may have been applied; upserts are
 * idempotent, so running the same rows again is safe).
 */
int	 registry_upsert_send(struct registry *, const struct resident *rows,
	    size_t n, const char *via, size_t window,
	    void (*done)(void *, const enum registry_change *, size_t),
	    void *arg, char **cause);
/* Wait for every batch in flight; -1 with cause. */
int	 registry_upsert_flush(struct registry *,
	    void (*done)(void *, const enum registry_change *, size_t),
	    void *arg, char **cause);
/* Add or update one resident now; *change says which. -1 with cause. */
int	 registry_upsert_one(struct registry *, const struct resident *,
	    const char *via, enum registry_change *change, char **cause);

/* Read a resident by external id: 1 found, 0 unknown, -1 with cause. */
int	 registry_get(struct registry *, const char *id, struct resident *,
	    char **cause);
/* Read a resident by rid: 1 found, 0 gone, -1 with cause. */
int	 registry_get_rid(struct registry *, unsigned long rid,
	    struct resident *, char **cause);
/* Remove a resident by external id: 1 removed, 0 unknown, -1 with cause. */
int	 registry_remove(struct registry *, const char *id, char **cause);

/* Opt a phone out (on=1) or back in (on=0): 1 changed, 0 already so. */
int	 registry_optout(struct registry *, const char *phone, int on,
	    char **cause);
/*
 * The opted-out phones: calls fn(arg, phone, since, user) for each.
 * -1 with cause.
 */
int	 registry_optout_list(struct registry *,
	    void (*fn)(void *, const char *, long long, const char *),
	    void *arg, char **cause);

/* Count an audience (see audience.h); -1 with cause. */
int	 registry_count(struct registry *, const struct audience_query *,
	    struct audience_result *, char **cause);
/*
 * Up to limit matching rids >= from, in order, into rids; *n is how many.
 * -1 with cause.
 */
int	 registry_match(struct registry *, const struct audience_query *,
	    unsigned long from, size_t limit, unsigned long *rids, size_t *n,
	    char **cause);
/* Residents registered in each district code (by prefix); -1 with cause. */
int	 registry_district_counts(struct registry *, const char **codes,
	    size_t n, long long *counts, char **cause);
/* Residents in the registry; -1 with cause. */
int	 registry_total(struct registry *, long long *, char **cause);

/* Read the district overlay (imported divisions) into the table. */
int	 registry_districts_load(struct registry *, struct district_table *,
	    char **cause);
/* Store an imported division (add or rename) and audit it. */
int	 registry_district_put(struct registry *, const char *code,
	    const char *name, char **cause);

#endif
