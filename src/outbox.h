/*
 * outbox.h: messages from the outbox to channels, and results back
 * (the state machine itself is src/lua/outbox.lua).
 */
#ifndef CIVICAST_OUTBOX_H
#define CIVICAST_OUTBOX_H

struct daemon;
struct outbox;
struct scripts;
struct stage_res;

/* Set up the outbox worker for the channels of res (timers, stop hook). */
struct outbox	*outbox_new(struct daemon *, struct scripts *,
		    const struct stage_res *);
/* Free it (after the loop ended). */
void		 outbox_free(struct outbox *);
/* Redis (re)connected and the scripts are loaded: resume work. */
void		 outbox_connected(struct outbox *);
/* There may be new messages: take some soon. */
void		 outbox_kick(struct outbox *);
struct channel;
struct channel_report;
/* A channel's delivery report (channel_report_cb): record it. */
void		 outbox_report(void *arg, struct channel *,
		    const struct channel_report *);

/*
 * Milliseconds to wait after failed attempt number `attempt` (1, 2, ...):
 * retry_min doubled per attempt, capped at retry_max (both seconds), with
 * "equal jitter" (half fixed, half rnd in [0,1) of it) so that a failed
 * burst does not come back as a burst; at least retry_after_ms when the
 * provider asked for it (-1: it did not).
 */
long long	 outbox_backoff(int attempt, long retry_after_ms, int retry_min,
		    int retry_max, double rnd);

#endif
