/*
 * channel.h: the interface every delivery channel implements (HTTP
 * providers now, GSM modems later).
 *
 * A channel takes one message at a time through send(); the result comes
 * back later through the done callback, on the event loop.  Drivers only
 * report what happened (enum send_result); outbox.c alone decides to
 * retry, fail or move a message to another channel.
 */
#ifndef CIVICAST_CHANNEL_H
#define CIVICAST_CHANNEL_H

#include <stddef.h>

struct conf_channel;
struct event_base;

enum send_result {
	SEND_OK,		/* accepted by the provider or network */
	SEND_TEMPFAIL,		/* not sent; try again later (maybe elsewhere) */
	SEND_PERMFAIL,		/* not sent and never will be (bad number...) */
	SEND_UNKNOWN		/* may or may not have been sent: never resend blindly */
};

struct channel_msg {
	const char	*id;		/* outbox message id, also ${ref} */
	const char	*to;		/* canonical 11-digit number */
	const char	*text;		/* full text, signature included */
	const char	*signature;	/* 【...】 alone, for providers that add it */
};

struct channel_result {
	enum send_result	 result;
	const char		*provider_ref;	/* the provider's message id, or NULL */
	long			 retry_after;	/* ms the provider asked to wait, or -1 */
	const char		*error;		/* for the log and the outbox, or NULL */
};

typedef void	channel_done_cb(void *arg, const struct channel_msg *,
		    const struct channel_result *);

/*
 * A delivery report that came later, on its own (an SMS status report,
 * a provider's receipt): ref and to are what send() reported for the
 * message (provider_ref) and its number.  outbox.c finds the message.
 */
struct channel_report {
	const char	*ref;
	const char	*to;		/* canonical number */
	int		 state;		/* 1 delivered, -1 failed, 0 pending */
	const char	*detail;	/* for the log and the outbox */
};

struct channel;

typedef void	channel_report_cb(void *arg, struct channel *,
		    const struct channel_report *);

struct channel_ops {
	const char	*type;		/* "http" */
	int		 reports;	/* sends delivery reports later */
	/* Set up on the loop; -1 with cause. */
	int		(*init)(struct channel *, struct event_base *,
			    char **cause);
	/*
	 * Start sending; the message's strings are copied.  Returns 0, or
	 * -1 when the channel has no free slot (the caller keeps it).
	 * done() is always called later, never from within send().
	 */
	int		(*send)(struct channel *, const struct channel_msg *,
			    channel_done_cb *, void *arg);
	/* How many more messages send() would take now. */
	size_t		(*capacity)(struct channel *);
	/* Messages handed over and not done yet. */
	size_t		(*inflight)(struct channel *);
	/* Abandon everything in flight (done is not called) and free. */
	void		(*fini)(struct channel *);
	/*
	 * Optional: the channel's state for `civicast modem list` and
	 * status, as a JSON object (a json_t *, new reference), or NULL.
	 */
	void		*(*status)(struct channel *);
	/*
	 * Optional: 0 when the channel cannot send at all for now (a modem
	 * down, quarantined, unhealthy), as opposed to merely busy or at its
	 * rate: routing then falls back to the next channel.  NULL: always up.
	 */
	int		(*up)(struct channel *);
};

/*
 * A modem's SIM windows kept in Redis, so that its caps survive a restart
 * (pipeline.c provides these; a channel without them keeps its counts in
 * memory only).  sent: a part went at ms, to count in the windows of SIM
 * id (kept horizon ms, the newest depth).  load: the SIM's part times
 * still inside horizon, oldest first, handed to done once Redis answers
 * (later, never from within load).
 */
typedef void	channel_sim_done_cb(struct channel *, const long long *times,
		    size_t n);
struct channel_sim {
	void	(*sent)(void *arg, const char *id, long long ms,
		    long long horizon, size_t depth);
	void	(*load)(void *arg, struct channel *, const char *id,
		    long long horizon, size_t depth, channel_sim_done_cb *);
};

struct channel {
	const struct conf_channel	*conf;
	const struct channel_ops	*ops;
	void				*priv;
	/* Set before init(); may be NULL. */
	channel_report_cb		*report;
	void				*report_arg;
	const struct channel_sim	*sim;		/* NULL: memory only */
	void				*sim_arg;
};

/* "ok", "tempfail", "permfail", "unknown". */
const char	*channel_result_name(enum send_result);

#endif
