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
 * templates and district table, the channels, and the Lua script ids.
 */
#ifndef CIVICAST_PIPELINE_H
#define CIVICAST_PIPELINE_H

#include <stddef.h>

#include <hiredis/hiredis.h>

struct channel;
struct carrier_table;
struct conf;
struct event;
struct daemon;
struct district_table;
struct fanout;
struct intake;
struct outbox;
struct retention;
struct rconn;
struct tmpl_set;

enum pipeline_script {
	SCRIPT_REGISTRY,
	SCRIPT_OUTBOX,
	SCRIPT_RETENTION,
	SCRIPT_COUNT
};

struct pipeline {
	struct daemon		*d;
	struct tmpl_set		*tmpls;
	struct district_table	*dt;
	struct carrier_table	*carriers;
	struct channel		*chans;
	size_t			 nchans;
	char			 sha[SCRIPT_COUNT][41];
	int			 ready;		/* scripts loaded on this connection */

	struct intake		*in;
	struct fanout		*fo;
	struct outbox		*ob;
	struct retention	*rt;
	struct event		*ev_status;	/* channel states to Redis */
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
/*
 * Run an operation of a Lua script: EVALSHA sha 0 prefix op args...
 * (args as strings, argc of them).  Returns -1 when Redis is not
 * connected; cb then is not called.
 */
int	 pipeline_eval(struct pipeline *, enum pipeline_script, const char *op,
	    int argc, const char **argv, const size_t *argvlen,
	    void (*cb)(struct rconn *, redisReply *, void *), void *arg);

#endif
