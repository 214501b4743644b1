/*
 * intake.h: disclosure events in: the stream, its consumer group, the
 * dead-letter stream and the Pub/Sub bridge.
 */
#ifndef CIVICAST_INTAKE_H
#define CIVICAST_INTAKE_H

#include <stddef.h>
#include <time.h>

struct daemon;
struct intake;
struct scripts;
struct stage_res;

#define INTAKE_GROUP		"civicastd"	/* the consumer group */

/*
 * Set up intake on the daemon's connection; accepted(arg) is called for
 * each newly accepted event (to wake the fan-out).
 */
struct intake	*intake_new(struct daemon *, struct scripts *,
		    const struct stage_res *, void (*accepted)(void *),
		    void *arg);
/* Free it. */
void		 intake_free(struct intake *);
/* Redis (re)connected and scripts loaded: (re)start reading. */
void		 intake_connected(struct intake *);
/* The configuration was reloaded. */
void		 intake_reloaded(struct intake *);

#endif
