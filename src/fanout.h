/*
 * fanout.h: an accepted event's audience into rendered messages.
 */
#ifndef CIVICAST_FANOUT_H
#define CIVICAST_FANOUT_H

#include <stddef.h>

struct daemon;
struct fanout;
struct scripts;
struct stage_res;

/*
 * Set up the fan-out worker on the daemon's connection; queued(arg) is
 * called when messages were queued (to wake the outbox).
 */
struct fanout	*fanout_new(struct daemon *, struct scripts *,
		    const struct stage_res *, void (*queued)(void *),
		    void *arg);
/* Free it. */
void		 fanout_free(struct fanout *);
/* An event may be waiting: look soon. */
void		 fanout_kick(struct fanout *);

#endif
