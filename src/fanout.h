/*
 * fanout.h: an accepted event's audience into rendered messages.
 */
#ifndef CIVICAST_FANOUT_H
#define CIVICAST_FANOUT_H

#include <stddef.h>

struct fanout;
struct pipeline;

/* Set up the fan-out worker of a pipeline. */
struct fanout	*fanout_new(struct pipeline *);
/* Free it. */
void		 fanout_free(struct fanout *);
/* An event may be waiting: look soon. */
void		 fanout_kick(struct fanout *);

#endif
