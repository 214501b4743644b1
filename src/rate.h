/*
 * rate.h: a channel's rate as exact integer GCRA arithmetic, with the
 * clock injected (pure code, unit-tested).  The shared limiter runs in
 * Redis (src/lua/outbox.lua: allow, admit); this is its reference: the
 * parameters handed to it, and the same algorithm in C.
 */
#ifndef CIVICAST_RATE_H
#define CIVICAST_RATE_H

#include <stddef.h>

/*
 * count messages per period ms: one every period/count ms exactly.  Time
 * is counted in ms plus "ticks" of 1/count ms, so the interval is period
 * ticks and the tolerance burst * period ticks, all integers.
 */
struct rate {
	long long	period;		/* ms; 1000 (s) to 86400000 (day) */
	long long	count;		/* 1 to 1000000; 0: no limit */
	long long	burst;		/* messages beyond one at once */
};

/* A theoretical arrival time: ms + rem/count ms, 0 <= rem < count. */
struct rate_tat {
	long long	ms;
	long long	rem;
};

/* The longest state string, "<ms>+<rem>/<count>", with its NUL. */
#define RATE_STATE_LEN	64

/*
 * From a configured rate (count per period seconds; count 0: none) and
 * burst (the whole burst; 0: count/10, at least 1).  1 when there is a
 * limit, 0 when there is none.
 */
int	 rate_init(struct rate *, unsigned long count, unsigned long period,
	     long burst);
/*
 * How many messages may go at ms now (nothing consumed); when none, 0
 * and *wait the ms until one may (at least 1).
 */
long long rate_allow(const struct rate *, const struct rate_tat *,
	     long long now, long long *wait);
/* Consume one message at ms now (allowed or not); the key's PX in ms. */
long long rate_take(const struct rate *, struct rate_tat *, long long now);
/* rate_allow and, when allowed, rate_take: 1 when it may go, else 0. */
int	 rate_admit(const struct rate *, struct rate_tat *, long long now,
	     long long *wait);
/* The state as the Lua limiter stores it: "<ms>" or "<ms>+<rem>/<count>". */
void	 rate_state_format(const struct rate *, const struct rate_tat *,
	     char *, size_t);
/*
 * A stored state back (NULL: none); one kept for another count or not
 * understood rounds up to the next whole ms, or none.
 */
void	 rate_state_parse(const struct rate *, const char *,
	     struct rate_tat *);

#endif
