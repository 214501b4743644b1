/*
 * outbox-int.h: what outbox.c (results, leases, the clock) and
 * dispatch.c (taking messages, routing, limits) share.  Not for anyone
 * else.
 */
#ifndef CIVICAST_OUTBOX_INT_H
#define CIVICAST_OUTBOX_INT_H

#include <sys/queue.h>

#include "conf.h"

#define OUTBOX_FLUSH_MS		10	/* results wait at most this */
#define OUTBOX_FLUSH_MAX	256	/* results per done call */
#define OUTBOX_IDLE_MS		200	/* poll for new messages when idle */
#define OUTBOX_TICK_MS		1000
#define OUTBOX_DRAIN_MAX	1000	/* stopped messages closed per call */
#define OUTBOX_FAILS		5	/* failures in a row set a channel aside */
#define OUTBOX_ASIDE_MIN	10000	/* ms, doubling each time */
#define OUTBOX_ASIDE_MAX	300000

struct channel;
struct event;
struct daemon;
struct scripts;
struct stage_res;
struct channel_msg;
struct channel_result;

struct outbox_job {
	struct outbox		*ob;
	char			*id;		/* "E:R" */
	char			*phone;
	char			*text;
	char			*dept;
	char			*district;
	char			*avoid;		/* the channel that failed it */
	int			 attempts;
	int			 segments;
	enum prio		 prio;
	struct channel		*chan;
	TAILQ_ENTRY(outbox_job)	 entry;
};
TAILQ_HEAD(outbox_jobs, outbox_job);

struct outbox_result {
	char	*id;
	char	*result;
	char	*chan;
	char	*ref;
	char	*error;
	char	 retry_at[24];
	int	 reports;
};

/* What the scheduler knows of a channel (index as in pipeline chans). */
struct outbox_chan {
	unsigned int	 fails;		/* temporary failures in a row */
	unsigned int	 level;		/* times it was set aside in a row */
	long long	 failing_until;	/* ms; set aside until then */
	long long	 allow;		/* messages its rate allows this round */
	long long	 wait;		/* ms until it allows one, when 0 */
	long long	 used;		/* given to it this round */
};

struct outbox {
	struct daemon		*d;
	struct scripts		*sc;
	const struct stage_res	*sres;	/* channels, carriers */
	struct event		*ev_take;
	struct event		*ev_tick;
	struct event		*ev_flush;
	int			 taking;
	int			 kicked;	/* ev_take armed by a kick */
	int			 flushing;
	int			 recovered;	/* own old leases requeued */
	int			 stopping;
	int			 stop_busy;
	unsigned int		 ticks;

	struct outbox_jobs	 jobs;		/* with channels */
	size_t			 njobs;
	struct outbox_job	**admit;	/* routed, being admitted */
	size_t			 nadmit;

	struct outbox_chan	*chans;
	size_t			 nchans;

	struct outbox_result	*res;
	size_t			 nres;
	size_t			 capres;
};

struct conf	*outbox_conf(struct outbox *);
void		 outbox_job_free(struct outbox_job *);
void		 outbox_result_add(struct outbox *, const char *id,
		    const char *result, const char *chan, const char *ref,
		    const char *error, long long retry_at, int reports);
void		 outbox_sent(void *arg, const struct channel_msg *,
		    const struct channel_result *);
void		 dispatch_round(struct outbox *);
void		 dispatch_round_cb(int, short, void *);
void		 dispatch_idle(struct outbox *);

#endif
