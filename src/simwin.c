/*
 * simwin.c: sliding windows of parts sent per SIM (pure: the caller
 * gives the time).  Why a ring of times and not a counter per fixed
 * interval: an operator's "200/hour" means no 200 parts in any hour,
 * and fixed intervals let twice the limit through across a boundary.
 * The ring costs 8 bytes per part allowed, bounded by SIMWIN_COUNT_MAX.
 */
#include "compat.h"

#include <stdlib.h>

#include "simwin.h"
#include "xmalloc.h"

/* An empty set: no limit. */
void
simwin_init(struct simwin_set *s)
{
	s->w = NULL;
	s->n = 0;
}

/* Free the windows; the set is empty again. */
void
simwin_free(struct simwin_set *s)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		free(s->w[i].ring);
	free(s->w);
	simwin_init(s);
}

/* Add a window of count parts per period seconds: 1, 0 (no limit), -1. */
int
simwin_add(struct simwin_set *s, unsigned long count, unsigned long period,
    const char **why)
{
	struct simwin	*w;

	if (count == 0 || period == 0)
		return (0);
	if (count > SIMWIN_COUNT_MAX) {
		*why = "a modem never sends that much";
		return (-1);
	}
	s->w = xreallocarray(s->w, s->n + 1, sizeof *s->w);
	w = &s->w[s->n++];
	w->count = count;
	w->period = period;
	w->ring = xreallocarray(NULL, count, sizeof *w->ring);
	w->head = 0;
	w->n = 0;
	return (1);
}

/* ms until every window allows one more part; 0 when they do at now. */
long long
simwin_wait(const struct simwin_set *s, long long now)
{
	const struct simwin	*w;
	long long		 wait = 0, t;
	size_t			 i;

	for (i = 0; i < s->n; i++) {
		w = &s->w[i];
		if (w->n < w->count)
			continue;
		t = w->ring[w->head] + (long long)w->period * 1000 - now;
		if (t > wait)
			wait = t;
	}
	return (wait);
}

/* Count one part sent at now in every window. */
void
simwin_record(struct simwin_set *s, long long now)
{
	struct simwin	*w;
	size_t		 i;

	for (i = 0; i < s->n; i++) {
		w = &s->w[i];
		w->ring[w->head] = now;
		w->head = (w->head + 1) % w->count;
		if (w->n < w->count)
			w->n++;
	}
}

/* Parts of w sent inside its window at now (at most w->count). */
size_t
simwin_used(const struct simwin *w, long long now)
{
	long long	 from = now - (long long)w->period * 1000;
	size_t		 i, k, used = 0;

	for (i = 0; i < w->n; i++) {
		/* The oldest entry is at head when full, at 0 otherwise. */
		k = (w->n == w->count ? w->head + i : i) % w->count;
		if (w->ring[k] > from && w->ring[k] <= now)
			used++;
	}
	return (used);
}

/* The longest window, ms. */
long long
simwin_horizon(const struct simwin_set *s)
{
	long long	 h = 0;
	size_t		 i;

	for (i = 0; i < s->n; i++) {
		if ((long long)s->w[i].period * 1000 > h)
			h = (long long)s->w[i].period * 1000;
	}
	return (h);
}

/* The largest count. */
size_t
simwin_depth(const struct simwin_set *s)
{
	size_t	d = 0, i;

	for (i = 0; i < s->n; i++) {
		if (s->w[i].count > d)
			d = s->w[i].count;
	}
	return (d);
}

/* Replay saved part times (ascending) into the windows. */
size_t
simwin_restore(struct simwin_set *s, const long long *t, size_t n)
{
	long long	 last = 0;
	size_t		 i, taken = 0;

	for (i = 0; i < n; i++) {
		/* Out of order would break the ring's oldest-first rule. */
		if (taken > 0 && t[i] < last)
			continue;
		simwin_record(s, t[i]);
		last = t[i];
		taken++;
	}
	return (taken);
}
