/*
 * simwin.h: per-SIM send counters over sliding windows ("10/min",
 * "200/hour", "500/day"), a pure core: every function takes the time
 * (ms) from its caller, so tests drive it with a simulated clock and the
 * modem driver with util_now_ms().  The counts can be saved as the times
 * of the parts sent and replayed after a restart (simwin_restore).
 */
#ifndef CIVICAST_SIMWIN_H
#define CIVICAST_SIMWIN_H

#include <stddef.h>

#define SIMWIN_COUNT_MAX	100000	/* a modem never sends more */

/*
 * One window: the times (ms) of the last count parts, in a ring.  The
 * limit is reached while the ring is full and its oldest entry is still
 * inside the window: a part sent at t counts until t + period (that
 * instant included, the window is (now - period, now]).
 */
struct simwin {
	unsigned long	 count;		/* parts allowed per period */
	unsigned long	 period;	/* seconds */
	long long	*ring;
	size_t		 head;		/* next; the oldest when full */
	size_t		 n;
};

/* Every window of one SIM. */
struct simwin_set {
	struct simwin	*w;
	size_t		 n;
};

/* An empty set: no limit. */
void		 simwin_init(struct simwin_set *);
/* Free the windows; the set is empty again. */
void		 simwin_free(struct simwin_set *);
/*
 * Add a window of count parts per period seconds: 1 when added, 0 when
 * it limits nothing (count or period 0), -1 with why when it cannot be
 * kept (count above SIMWIN_COUNT_MAX).
 */
int		 simwin_add(struct simwin_set *, unsigned long count,
		    unsigned long period, const char **why);
/* ms until every window allows one more part; 0 when they do at now. */
long long	 simwin_wait(const struct simwin_set *, long long now);
/* Count one part sent at now in every window. */
void		 simwin_record(struct simwin_set *, long long now);
/* Parts of w sent inside its window at now (at most w->count). */
size_t		 simwin_used(const struct simwin *, long long now);
/* The longest window, ms: older parts no longer count anywhere. */
long long	 simwin_horizon(const struct simwin_set *);
/* The largest count: more saved parts than this are never needed. */
size_t		 simwin_depth(const struct simwin_set *);
/*
 * Replay saved part times (ascending; others are skipped) into empty
 * windows, as if each had been recorded then.  Returns how many were
 * taken.
 */
size_t		 simwin_restore(struct simwin_set *, const long long *,
		    size_t);

#endif
