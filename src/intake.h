/*
 * intake.h: disclosure events in: the stream, its consumer group, the
 * dead-letter stream and the Pub/Sub bridge.
 */
#ifndef CIVICAST_INTAKE_H
#define CIVICAST_INTAKE_H

#include <stddef.h>
#include <time.h>

struct intake;
struct pipeline;

#define INTAKE_GROUP		"civicastd"	/* the consumer group */

/* Set up intake for a pipeline. */
struct intake	*intake_new(struct pipeline *);
/* Free it. */
void		 intake_free(struct intake *);
/* Redis (re)connected and scripts loaded: (re)start reading. */
void		 intake_connected(struct intake *);
/* The configuration was reloaded. */
void		 intake_reloaded(struct intake *);

#endif
