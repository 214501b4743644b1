/*
 * test-caltime.c: the one calendar: leap years, month lengths, days
 * since the epoch both ways (checked against the C library's timegm and
 * gmtime_r over four centuries), weekdays, validation at every edge,
 * UTC offsets such as a status report's SCTS carries, and the offset
 * localtime_r applied (POSIX TZ strings, no zone database needed).
 */
#include "compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "caltime.h"

static void
test_leap_mdays(void **state)
{
	(void)state;
	assert_false(caltime_leap(1900));
	assert_true(caltime_leap(2000));
	assert_true(caltime_leap(2024));
	assert_false(caltime_leap(2026));
	assert_false(caltime_leap(2100));
	assert_true(caltime_leap(1600));
	assert_int_equal(caltime_mdays(2024, 2), 29);
	assert_int_equal(caltime_mdays(2100, 2), 28);
	assert_int_equal(caltime_mdays(2026, 1), 31);
	assert_int_equal(caltime_mdays(2026, 4), 30);
	assert_int_equal(caltime_mdays(2026, 12), 31);
	assert_int_equal(caltime_mdays(2026, 0), 0);
	assert_int_equal(caltime_mdays(2026, 13), 0);
}

/* Every day from 1900 to 2299 against timegm and gmtime_r. */
static void
test_days_sweep(void **state)
{
	struct tm	 tm, g;
	long long	 y, days, expect = -25567, yy;	/* 1900-01-01 */
	int		 m, d, mm, dd;
	time_t		 t;

	(void)state;
	for (y = 1900; y < 2300; y++) {
		for (m = 1; m <= 12; m++) {
			for (d = 1; d <= caltime_mdays(y, m); d++) {
				days = caltime_days(y, m, d);
				assert_int_equal(days, expect);
				caltime_civil(days, &yy, &mm, &dd);
				assert_int_equal(yy, y);
				assert_int_equal(mm, m);
				assert_int_equal(dd, d);
				memset(&tm, 0, sizeof tm);
				tm.tm_year = (int)y - 1900;
				tm.tm_mon = m - 1;
				tm.tm_mday = d;
				t = timegm(&tm);
				assert_int_equal((long long)t, days * 86400);
				assert_non_null(gmtime_r(&t, &g));
				assert_int_equal(caltime_weekday(days),
				    g.tm_wday);
				expect++;
			}
		}
	}
	assert_int_equal(caltime_days(1970, 1, 1), 0);
	assert_int_equal(caltime_days(2000, 1, 1), 10957);
	assert_int_equal(caltime_days(1969, 12, 31), -1);
	assert_int_equal(caltime_weekday(0), 4);	/* a Thursday */
	assert_int_equal(caltime_weekday(-1), 3);
}

static void
fields(struct caltime *c, long long y, int mo, int d, int h, int mi,
    int s, int off)
{
	c->year = y;
	c->mon = mo;
	c->mday = d;
	c->hour = h;
	c->min = mi;
	c->sec = s;
	c->off = off;
}

static void
test_valid(void **state)
{
	struct caltime	 c;
	const char	*why = NULL;
	long long	 t;

	(void)state;
	fields(&c, 2024, 2, 29, 23, 59, 59, 0);
	assert_int_equal(caltime_valid(&c, &why), 0);
	c.year = 2023;
	assert_int_equal(caltime_valid(&c, &why), -1);
	assert_string_equal(why, "day out of range");
	assert_int_equal(caltime_to_epoch(&c, &t, &why), -1);
	fields(&c, 2026, 4, 31, 0, 0, 0, 0);
	assert_int_equal(caltime_valid(&c, &why), -1);
	fields(&c, 2026, 4, 0, 0, 0, 0, 0);
	assert_int_equal(caltime_valid(&c, &why), -1);
	fields(&c, 2026, 0, 1, 0, 0, 0, 0);
	assert_int_equal(caltime_valid(&c, &why), -1);
	assert_string_equal(why, "month out of range");
	fields(&c, 2026, 13, 1, 0, 0, 0, 0);
	assert_int_equal(caltime_valid(&c, &why), -1);
	fields(&c, 2026, 1, 1, 24, 0, 0, 0);
	assert_int_equal(caltime_valid(&c, &why), -1);
	assert_string_equal(why, "hour out of range");
	fields(&c, 2026, 1, 1, 0, 60, 0, 0);
	assert_int_equal(caltime_valid(&c, &why), -1);
	fields(&c, 2026, 1, 1, 0, 0, 60, 0);
	assert_int_equal(caltime_valid(&c, &why), -1);
	assert_string_equal(why, "second out of range (no leap seconds)");
	fields(&c, 2026, 1, 1, 0, 0, -1, 0);
	assert_int_equal(caltime_valid(&c, &why), -1);
	fields(&c, 2026, 1, 1, 0, 0, 0, CALTIME_OFF_MAX);
	assert_int_equal(caltime_valid(&c, &why), 0);
	c.off = -CALTIME_OFF_MAX;
	assert_int_equal(caltime_valid(&c, &why), 0);
	c.off = 86400;
	assert_int_equal(caltime_valid(&c, &why), -1);
	assert_string_equal(why, "UTC offset out of range");
	c.off = -86400;
	assert_int_equal(caltime_valid(&c, &why), -1);
}

/* The same instant read in +08:00 (an SCTS from a Chinese SMSC), UTC, -05:00. */
static void
test_offsets(void **state)
{
	struct caltime	 c;
	const char	*why = NULL;
	long long	 a, b, d, utc = caltime_days(2026, 12, 2) * 86400;

	(void)state;
	fields(&c, 2026, 12, 2, 8, 0, 0, 8 * 3600);
	assert_int_equal(caltime_to_epoch(&c, &a, &why), 0);
	fields(&c, 2026, 12, 2, 0, 0, 0, 0);
	assert_int_equal(caltime_to_epoch(&c, &b, &why), 0);
	fields(&c, 2026, 12, 1, 19, 0, 0, -5 * 3600);
	assert_int_equal(caltime_to_epoch(&c, &d, &why), 0);
	assert_int_equal(a, utc);
	assert_int_equal(b, utc);
	assert_int_equal(d, utc);
	/* Across a year: 2026-12-31 23:30 UTC is 2027-01-01 07:30 in CST. */
	caltime_from_epoch(caltime_days(2026, 12, 31) * 86400 + 23 * 3600 +
	    1800, 8 * 3600, &c);
	assert_int_equal(c.year, 2027);
	assert_int_equal(c.mon, 1);
	assert_int_equal(c.mday, 1);
	assert_int_equal(c.hour, 7);
	assert_int_equal(c.min, 30);
	assert_int_equal(c.off, 8 * 3600);
	/* Before the epoch. */
	caltime_from_epoch(-1, 0, &c);
	assert_int_equal(c.year, 1969);
	assert_int_equal(c.mon, 12);
	assert_int_equal(c.mday, 31);
	assert_int_equal(c.hour, 23);
	assert_int_equal(c.min, 59);
	assert_int_equal(c.sec, 59);
}

/* from_epoch then to_epoch gives the instant back, for many offsets. */
static void
test_round_trip(void **state)
{
	struct caltime	 c;
	struct tm	 g;
	const char	*why = NULL;
	long long	 t, back;
	unsigned long	 x = 12345;
	time_t		 tt;
	int		 i, off;

	(void)state;
	for (i = 0; i < 200000; i++) {
		x = x * 6364136223846793005UL + 1442695040888963407UL;
		t = (long long)(x >> 20) % (400LL * 366 * 86400) -
		    70LL * 366 * 86400;
		off = (int)((x >> 8) % 97) * 900 - 48 * 900;	/* -12h..+12h */
		caltime_from_epoch(t, off, &c);
		assert_int_equal(caltime_valid(&c, &why), 0);
		assert_int_equal(caltime_to_epoch(&c, &back, &why), 0);
		assert_int_equal(back, t);
		tt = (time_t)t;
		assert_non_null(gmtime_r(&tt, &g));
		caltime_from_epoch(t, 0, &c);
		assert_int_equal(c.year, g.tm_year + 1900LL);
		assert_int_equal(c.mon, g.tm_mon + 1);
		assert_int_equal(c.mday, g.tm_mday);
		assert_int_equal(c.hour, g.tm_hour);
		assert_int_equal(c.min, g.tm_min);
		assert_int_equal(c.sec, g.tm_sec);
		assert_int_equal(caltime_timegm(&g, &back), 0);
		assert_int_equal(back, t);
	}
}

static void
test_timegm(void **state)
{
	struct tm	tm;
	long long	t;

	(void)state;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = 94;
	tm.tm_mon = 10;
	tm.tm_mday = 6;
	tm.tm_hour = 8;
	tm.tm_min = 49;
	tm.tm_sec = 37;
	assert_int_equal(caltime_timegm(&tm, &t), 0);
	assert_int_equal(t, 784111777);		/* RFC 9110's example date */
	/* No normalising: what timegm would turn into 1 December. */
	tm.tm_mday = 31;
	assert_int_equal(caltime_timegm(&tm, &t), -1);
	tm.tm_mday = 6;
	tm.tm_sec = 60;
	assert_int_equal(caltime_timegm(&tm, &t), -1);
}

static void
set_tz(const char *tz)
{
	assert_int_equal(setenv("TZ", tz, 1), 0);
	tzset();
}

/* The offset localtime_r applied: fixed zones and both sides of DST. */
static void
test_tm_offset(void **state)
{
	struct tm	 tm;
	time_t		 t;

	(void)state;
	t = (time_t)(caltime_days(2026, 7, 1) * 86400 + 12 * 3600);
	set_tz("CST-8");
	assert_non_null(localtime_r(&t, &tm));
	assert_int_equal(caltime_tm_offset(&tm, (long long)t), 8 * 3600);
	set_tz("UTC0");
	assert_non_null(localtime_r(&t, &tm));
	assert_int_equal(caltime_tm_offset(&tm, (long long)t), 0);
	set_tz("EST5EDT,M3.2.0,M11.1.0");
	assert_non_null(localtime_r(&t, &tm));
	assert_int_equal(caltime_tm_offset(&tm, (long long)t), -4 * 3600);
	t = (time_t)(caltime_days(2026, 1, 15) * 86400);
	assert_non_null(localtime_r(&t, &tm));
	assert_int_equal(caltime_tm_offset(&tm, (long long)t), -5 * 3600);
	set_tz("NPT-5:45");
	assert_non_null(localtime_r(&t, &tm));
	assert_int_equal(caltime_tm_offset(&tm, (long long)t),
	    5 * 3600 + 45 * 60);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leap_mdays),
		cmocka_unit_test(test_days_sweep),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_timegm),
		cmocka_unit_test(test_tm_offset),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
