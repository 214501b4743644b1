/*
 * caltime.h: the civil calendar (proleptic Gregorian, no leap seconds)
 * as pure arithmetic: a date and time of day with its offset from UTC
 * <-> seconds since the epoch, days since 1970-01-01, validation.  No
 * time zone database: what needs the local zone's rules (quiet hours,
 * a day's end under DST) asks localtime_r/mktime, and caltime only does
 * the arithmetic around them (caltime_tm_offset).
 */
#ifndef CIVICAST_CALTIME_H
#define CIVICAST_CALTIME_H

#include <time.h>

#define CALTIME_OFF_MAX		(24 * 3600 - 1)	/* |off| below a day */

/* A civil date and time as read in a zone off seconds east of UTC. */
struct caltime {
	long long	year;		/* 2026 */
	int		mon;		/* 1-12 */
	int		mday;		/* 1-31 */
	int		hour;		/* 0-23 */
	int		min;		/* 0-59 */
	int		sec;		/* 0-59 */
	int		off;		/* seconds east of UTC: +08:00 is 28800 */
};

/* 1 for a leap year. */
int		 caltime_leap(long long year);
/* Days in month mon (1-12) of year; 0 for a month out of range. */
int		 caltime_mdays(long long year, int mon);
/* Days from 1970-01-01 to year-mon-mday (negative before); no checks. */
long long	 caltime_days(long long year, int mon, int mday);
/* The date of a day counted from 1970-01-01. */
void		 caltime_civil(long long days, long long *year, int *mon,
		    int *mday);
/* 0 Sunday ... 6 Saturday, of a day counted from 1970-01-01. */
int		 caltime_weekday(long long days);
/* 0 when every field is in range; -1 with why (a static string). */
int		 caltime_valid(const struct caltime *, const char **why);
/* The instant (s since the epoch, UTC) of valid fields; -1 with why. */
int		 caltime_to_epoch(const struct caltime *, long long *t,
		    const char **why);
/* The fields of instant t read off seconds east of UTC. */
void		 caltime_from_epoch(long long t, int off, struct caltime *);
/*
 * A struct tm's fields read as UTC (timegm without normalising): -1
 * when a field is out of range.
 */
int		 caltime_timegm(const struct tm *, long long *t);
/*
 * The offset from UTC (s) that localtime_r() applied when it turned t
 * into tm: the fields counted as UTC, less t.
 */
long long	 caltime_tm_offset(const struct tm *, long long t);

#endif
