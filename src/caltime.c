/*
 * caltime.c: civil date and time <-> seconds since the epoch, pure.
 *
 * Days are counted with the era arithmetic of H. Hinnant's
 * days_from_civil/civil_from_days ("chrono-compatible low-level date
 * algorithms"): years are shifted to start in March so the leap day is
 * the last of the year, and 400-year eras of 146097 days make it exact
 * for any year, before 1970 too, with no loop and no table.
 */
#include "compat.h"

#include <time.h>

#include "caltime.h"

/* Floor division, for negative days and instants. */
static long long
caltime_fdiv(long long a, long long b)
{
	return (a / b - (a % b != 0 && (a < 0) != (b < 0)));
}

/* 1 for a leap year. */
int
caltime_leap(long long year)
{
	return ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0);
}

/* Days in month mon (1-12) of year; 0 for a month out of range. */
int
caltime_mdays(long long year, int mon)
{
	static const int	days[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (mon < 1 || mon > 12)
		return (0);
	return (days[mon - 1] + (mon == 2 && caltime_leap(year)));
}

/* Days from 1970-01-01 to year-mon-mday. */
long long
caltime_days(long long year, int mon, int mday)
{
	long long	y = year - (mon <= 2), era, yoe, doy, doe;

	era = caltime_fdiv(y, 400);
	yoe = y - era * 400;				/* 0-399 */
	doy = (153 * (mon > 2 ? mon - 3 : mon + 9) + 2) / 5 + mday - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;	/* 0-146096 */
	return (era * 146097 + doe - 719468);
}

/* The date of a day counted from 1970-01-01. */
void
caltime_civil(long long days, long long *year, int *mon, int *mday)
{
	long long	z = days + 719468, era, doe, yoe, doy, mp;

	era = caltime_fdiv(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	*mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	*year = yoe + era * 400 + (*mon <= 2);
}

/* 0 Sunday ... 6 Saturday; 1970-01-01 was a Thursday. */
int
caltime_weekday(long long days)
{
	return ((int)(days - caltime_fdiv(days + 4, 7) * 7 + 4));
}

/* 0 when every field is in range; -1 with why. */
int
caltime_valid(const struct caltime *c, const char **why)
{
	if (c->mon < 1 || c->mon > 12)
		*why = "month out of range";
	else if (c->mday < 1 || c->mday > caltime_mdays(c->year, c->mon))
		*why = "day out of range";
	else if (c->hour < 0 || c->hour > 23)
		*why = "hour out of range";
	else if (c->min < 0 || c->min > 59)
		*why = "minute out of range";
	else if (c->sec < 0 || c->sec > 59)
		*why = "second out of range (no leap seconds)";
	else if (c->off < -CALTIME_OFF_MAX || c->off > CALTIME_OFF_MAX)
		*why = "UTC offset out of range";
	else
		return (0);
	return (-1);
}

/* The instant of valid fields; -1 with why. */
int
caltime_to_epoch(const struct caltime *c, long long *t, const char **why)
{
	if (caltime_valid(c, why) != 0)
		return (-1);
	/* The fields are local time: ahead of UTC by off. */
	*t = caltime_days(c->year, c->mon, c->mday) * 86400 +
	    c->hour * 3600 + c->min * 60 + c->sec - c->off;
	return (0);
}

/* The fields of instant t read off seconds east of UTC. */
void
caltime_from_epoch(long long t, int off, struct caltime *c)
{
	long long	s = t + off, days, rem;

	days = caltime_fdiv(s, 86400);
	rem = s - days * 86400;
	caltime_civil(days, &c->year, &c->mon, &c->mday);
	c->hour = (int)(rem / 3600);
	c->min = (int)(rem / 60 % 60);
	c->sec = (int)(rem % 60);
	c->off = off;
}

/* A struct tm's fields read as UTC; -1 when one is out of range. */
int
caltime_timegm(const struct tm *tm, long long *t)
{
	struct caltime	 c;
	const char	*why;

	c.year = tm->tm_year + 1900LL;
	c.mon = tm->tm_mon + 1;
	c.mday = tm->tm_mday;
	c.hour = tm->tm_hour;
	c.min = tm->tm_min;
	c.sec = tm->tm_sec;
	c.off = 0;
	return (caltime_to_epoch(&c, t, &why));
}

/* The offset from UTC that localtime_r() applied when it made tm of t. */
long long
caltime_tm_offset(const struct tm *tm, long long t)
{
	return (caltime_days(tm->tm_year + 1900LL, tm->tm_mon + 1,
	    tm->tm_mday) * 86400 + tm->tm_hour * 3600 + tm->tm_min * 60 +
	    tm->tm_sec - t);
}
