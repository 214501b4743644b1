/*
 * quiet.c: quiet hours.
 *
 * A period is [start, end) in local minutes after midnight; end before
 * start spans midnight.  Whether t is quiet depends only on the local
 * wall clock at t, so the period ends at the first instant after t whose
 * local time reads end (or later, on the day the period ends).  That is
 * computed with mktime on the right day, trying both DST flags so that an
 * end time which occurs twice (autumn) takes its first occurrence and one
 * which does not occur at all (spring gap) is found by a search.
 */
#include "compat.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "quiet.h"
#include "xmalloc.h"

/* Parse "HH:MM" or "H:MM" into minutes after midnight; -1 when bad. */
static int
quiet_parse_hhmm(const char *s)
{
	int	h = 0, m;
	size_t	i = 0;

	if (s == NULL)
		return (-1);
	while (i < 2 && s[i] >= '0' && s[i] <= '9')
		h = h * 10 + (s[i++] - '0');
	if (i == 0 || s[i] != ':')
		return (-1);
	s += i + 1;
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' ||
	    s[2] != '\0')
		return (-1);
	m = (s[0] - '0') * 10 + (s[1] - '0');
	if (h > 23 || m > 59)
		return (-1);
	return (h * 60 + m);
}

/* From the configuration; -1 with cause for a malformed time. */
int
quiet_from_conf(const struct conf *conf, struct quiet *q, char **cause)
{
	int	start, end;

	memset(q, 0, sizeof *q);
	if ((start = quiet_parse_hhmm(conf->quiet_start)) == -1) {
		xasprintf(cause, "quiet_hours.start: \"%s\" must be HH:MM, "
		    "00:00 to 23:59", conf->quiet_start != NULL ?
		    conf->quiet_start : "");
		return (-1);
	}
	if ((end = quiet_parse_hhmm(conf->quiet_end)) == -1) {
		xasprintf(cause, "quiet_hours.end: \"%s\" must be HH:MM, "
		    "00:00 to 23:59", conf->quiet_end != NULL ?
		    conf->quiet_end : "");
		return (-1);
	}
	q->start = start;
	q->end = end;
	q->prios = conf->quiet_priorities & ~PRIO_BIT(PRIO_EMERGENCY);
	/* The same start and end: no quiet hours at all. */
	q->enabled = conf->quiet_enabled && start != end;
	return (0);
}

/* 1 when the local minute of day m lies in the quiet period. */
static int
quiet_in(const struct quiet *q, int m)
{
	if (q->start < q->end)
		return (m >= q->start && m < q->end);
	return (m >= q->start || m < q->end);
}

/* The local time of t; 0 when it cannot be broken down. */
static int
quiet_local(time_t t, struct tm *tm)
{
	return (localtime_r(&t, tm) != NULL);
}

/* 1 when the quiet period is in force at t, whatever the priority. */
static int
quiet_active(const struct quiet *q, time_t t)
{
	struct tm	tm;

	if (!q->enabled || q->start == q->end)
		return (0);
	if (!quiet_local(t, &tm))
		return (0);
	return (quiet_in(q, tm.tm_hour * 60 + tm.tm_min));
}

/* 1 when a message of priority p must wait at time t (never emergency). */
int
quiet_holds(const struct quiet *q, enum prio p, time_t t)
{
	if (p == PRIO_EMERGENCY || (unsigned int)p >= PRIO_COUNT)
		return (0);
	if ((q->prios & PRIO_BIT(p)) == 0)
		return (0);
	return (quiet_active(q, t));
}

/* Compare local (date, minute) of t with the day in day and minute m. */
static int
quiet_cmp(time_t t, const struct tm *day, int m)
{
	struct tm	tm;
	int		a, b;

	if (!quiet_local(t, &tm))
		return (1);
	if (tm.tm_year != day->tm_year)
		return (tm.tm_year < day->tm_year ? -1 : 1);
	if (tm.tm_mon != day->tm_mon)
		return (tm.tm_mon < day->tm_mon ? -1 : 1);
	if (tm.tm_mday != day->tm_mday)
		return (tm.tm_mday < day->tm_mday ? -1 : 1);
	a = tm.tm_hour * 60 + tm.tm_min;
	b = m;
	return (a < b ? -1 : a > b);
}

/*
 * When the quiet period holding t ends (local end time, DST-aware), or t
 * itself when t is not quiet.
 */
time_t
quiet_release(const struct quiet *q, time_t t)
{
	struct tm	now, day, tm;
	time_t		r, best = (time_t)-1, lo, hi, mid;
	int		m, isdst;

	if (!quiet_active(q, t) || !quiet_local(t, &now))
		return (t);
	m = now.tm_hour * 60 + now.tm_min;

	/* The day the period ends: tomorrow when it spans midnight from m. */
	day = now;
	if (q->start > q->end && m >= q->start)
		day.tm_mday++;
	/* Noon is never in a DST change: normalise the date there. */
	day.tm_hour = 12;
	day.tm_min = 0;
	day.tm_sec = 0;
	day.tm_isdst = -1;
	if (mktime(&day) == (time_t)-1)
		return (t);

	/* The first instant after t reading end on that day, if any. */
	for (isdst = 0; isdst <= 1; isdst++) {
		tm = day;
		tm.tm_hour = q->end / 60;
		tm.tm_min = q->end % 60;
		tm.tm_sec = 0;
		tm.tm_isdst = isdst;
		if ((r = mktime(&tm)) == (time_t)-1 || r <= t)
			continue;
		if (quiet_cmp(r, &day, q->end) != 0)
			continue;
		if (best == (time_t)-1 || r < best)
			best = r;
	}
	if (best != (time_t)-1)
		return (best);

	/*
	 * The end time falls in a spring-forward gap: the period ends when
	 * the clock jumps past it.  Local time only moves forward here, so
	 * search for the first second at or past end on that day.
	 */
	lo = t;
	hi = t + 2 * 86400 + 3600;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (quiet_cmp(mid, &day, q->end) >= 0)
			hi = mid;
		else
			lo = mid;
	}
	return (hi);
}
