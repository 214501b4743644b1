/*
 * pipeline.h: the broadcast pipeline inside civicastd.
 *
 *   intake.c   the events stream (consumer group) and the Pub/Sub
 *              bridge: validate, accept or dead-letter, acknowledge
 *   fanout.c   an accepted event's audience, in resumable chunks, into
 *              rendered messages in the outbox
 *   outbox.c   messages to channels and results back: leases, retries
 *              with backoff, expiry, cancellation, crash recovery
 *
 * All state is in Redis (src/lua/outbox.lua describes it); what this
 * struct holds is what a process needs to do the work: the loaded
 * templates and district table, the channels (struct stage_res, which
 * the stages read and only this file writes), and the script runner.
 * The stages never see this struct: each is given the daemon, the
 * runner, the resources and a callback that wakes the next stage, so
 * no stage includes this header.
 */
#ifndef CIVICAST_PIPELINE_H
#define CIVICAST_PIPELINE_H

#include <stddef.h>

#include "stage.h"

struct channel;
struct carrier_table;
struct conf;
struct event;
struct daemon;
struct district_table;
struct fanout;
struct intake;
struct outbox;
struct pipeline_sim;
struct retention;
struct scripts;

struct pipeline {
	struct daemon		*d;
	struct stage_res	 res;		/* the stages read it; we swap it */
	struct scripts		*sc;		/* the Lua operations */

	struct intake		*in;
	struct fanout		*fo;
	struct outbox		*ob;
	struct retention	*rt;
	struct event		*ev_status;	/* channel states to Redis */
	struct pipeline_sim	*sims;		/* SIM window loads to send */
};

/*
 * Check what the configuration names, without Redis: the templates load,
 * the district table loads, every channel's type is available and its
 * request templates expand.  -1 with cause (one problem per line).
 */
int	 pipeline_check(const struct conf *, char **cause);
/* Load templates and districts, start the channels and the three parts. */
int	 pipeline_start(struct pipeline *, struct daemon *, char **cause);
/* Free everything (after the loop has ended). */
void	 pipeline_free(struct pipeline *);
#endif
