/*
 * retention.h: message records of finished events are removed once
 * older than retention_days; the event, its counts and its reach stay
 * (src/lua/retention.lua does the work in Redis).
 */
#ifndef CIVICAST_RETENTION_H
#define CIVICAST_RETENTION_H

#include <hiredis/hiredis.h>

struct daemon;
struct retention;
struct scripts;

/* Start the daemon's purge: a minute after start, then every hour. */
struct retention *retention_new(struct daemon *, struct scripts *);
/* Stop it and free it (after the loop ended). */
void	 retention_free(struct retention *);

/*
 * Purge now, on a synchronous connection: the message records of every
 * finished event accepted before cutoff_ms.  Adds the events purged and the records removed to
 * *events and *messages; with verbose, prints a line per event.
 * -1 with cause (what was purged before the failure stays purged).
 */
int	 retention_purge_sync(redisContext *, const char *prefix,
	    long long cutoff_ms, int verbose,
	    unsigned long *events, unsigned long *messages, char **cause);

#endif
