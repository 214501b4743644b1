/*
 * test-quiet.c: quiet hours, across midnight and DST changes.
 */
#include "compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "conf.h"
#include "quiet.h"

#define ROUTINE_ONLY	PRIO_BIT(PRIO_ROUTINE)
#define NOT_EMERGENCY	(PRIO_BIT(PRIO_ROUTINE) | PRIO_BIT(PRIO_URGENT))

static void
set_tz(const char *tz)
{
	assert_int_equal(setenv("TZ", tz, 1), 0);
	tzset();
}

/* A UTC instant, for exact expectations independent of TZ. */
static time_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm	tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return (timegm(&tm));
}

/* A local instant in the current TZ (not in a DST change). */
static time_t
local(int y, int mo, int d, int h, int mi, int s)
{
	struct tm	tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	tm.tm_isdst = -1;
	return (mktime(&tm));
}

/* A struct quiet from HH:MM strings, through quiet_from_conf. */
static void
make(struct quiet *q, const char *start, const char *end,
    unsigned int prios)
{
	struct conf	 conf;
	char		*cause = NULL;

	memset(&conf, 0, sizeof conf);
	conf.quiet_enabled = 1;
	conf.quiet_start = (char *)start;
	conf.quiet_end = (char *)end;
	conf.quiet_priorities = prios;
	if (quiet_from_conf(&conf, q, &cause) != 0)
		fail_msg("%s", cause);
}

static void
test_from_conf(void **state)
{
	struct conf	 conf;
	struct quiet	 q;
	const char	*bad[] = { "24:00", "23:60", "8:0", "ab:cd", "0800",
			    "08:00x", "08:00 ", "", ":00", "123:00", "-1:00" };
	char		*cause;
	size_t		 i;

	make(&q, "21:00", "08:00", ROUTINE_ONLY);
	assert_int_equal(q.enabled, 1);
	assert_int_equal(q.start, 21 * 60);
	assert_int_equal(q.end, 8 * 60);
	assert_int_equal(q.prios, ROUTINE_ONLY);
	make(&q, "8:05", "23:59", NOT_EMERGENCY);
	assert_int_equal(q.start, 8 * 60 + 5);
	assert_int_equal(q.end, 23 * 60 + 59);
	/* Emergency is dropped from the set, whatever the file says. */
	make(&q, "21:00", "08:00", PRIO_ALL);
	assert_int_equal(q.prios, NOT_EMERGENCY);
	/* start == end: no quiet hours. */
	make(&q, "08:00", "08:00", ROUTINE_ONLY);
	assert_int_equal(q.enabled, 0);

	memset(&conf, 0, sizeof conf);
	conf.quiet_enabled = 0;
	conf.quiet_start = (char *)"21:00";
	conf.quiet_end = (char *)"08:00";
	conf.quiet_priorities = ROUTINE_ONLY;
	assert_int_equal(quiet_from_conf(&conf, &q, &cause), 0);
	assert_int_equal(q.enabled, 0);

	conf.quiet_enabled = 1;
	for (i = 0; i < nitems(bad); i++) {
		cause = NULL;
		conf.quiet_start = (char *)bad[i];
		conf.quiet_end = (char *)"08:00";
		if (quiet_from_conf(&conf, &q, &cause) != -1)
			fail_msg("start \"%s\" accepted", bad[i]);
		assert_non_null(strstr(cause, "quiet_hours.start"));
		free(cause);
		cause = NULL;
		conf.quiet_start = (char *)"21:00";
		conf.quiet_end = (char *)bad[i];
		if (quiet_from_conf(&conf, &q, &cause) != -1)
			fail_msg("end \"%s\" accepted", bad[i]);
		assert_non_null(strstr(cause, "quiet_hours.end"));
		free(cause);
	}
	conf.quiet_end = NULL;
	assert_int_equal(quiet_from_conf(&conf, &q, &cause), -1);
	free(cause);
}

static void
test_midnight(void **state)
{
	struct quiet	q;
	time_t		t;

	set_tz("Asia/Shanghai");
	make(&q, "21:00", "08:00", ROUTINE_ONLY);
	/* Boundaries: start is quiet, end is not. */
	assert_int_equal(quiet_holds(&q, PRIO_ROUTINE,
	    local(2024, 6, 1, 20, 59, 59)), 0);
	assert_int_equal(quiet_holds(&q, PRIO_ROUTINE,
	    local(2024, 6, 1, 21, 0, 0)), 1);
	assert_int_equal(quiet_holds(&q, PRIO_ROUTINE,
	    local(2024, 6, 1, 23, 59, 59)), 1);
	assert_int_equal(quiet_holds(&q, PRIO_ROUTINE,
	    local(2024, 6, 2, 0, 0, 0)), 1);
	assert_int_equal(quiet_holds(&q, PRIO_ROUTINE,
	    local(2024, 6, 2, 7, 59, 59)), 1);
	assert_int_equal(quiet_holds(&q, PRIO_ROUTINE,
	    local(2024, 6, 2, 8, 0, 0)), 0);
	assert_int_equal(quiet_holds(&q, PRIO_ROUTINE,
	    local(2024, 6, 2, 12, 0, 0)), 0);

	/* Before midnight: tomorrow's 08:00 (CST is UTC+8, no DST). */
	t = local(2024, 6, 1, 23, 30, 17);
	assert_int_equal(t, utc(2024, 6, 1, 15, 30, 17));
	assert_int_equal(quiet_release(&q, t), utc(2024, 6, 2, 0, 0, 0));
	t = local(2024, 6, 1, 21, 0, 0);
	assert_int_equal(quiet_release(&q, t), utc(2024, 6, 2, 0, 0, 0));
	/* After midnight: today's 08:00. */
	t = local(2024, 6, 2, 0, 0, 0);
	assert_int_equal(quiet_release(&q, t), utc(2024, 6, 2, 0, 0, 0));
	t = local(2024, 6, 2, 7, 59, 59);
	assert_int_equal(quiet_release(&q, t), utc(2024, 6, 2, 0, 0, 0));
	/* Not quiet: t itself. */
	t = local(2024, 6, 2, 8, 0, 0);
	assert_int_equal(quiet_release(&q, t), t);
	t = local(2024, 6, 2, 20, 59, 59);
	assert_int_equal(quiet_release(&q, t), t);
	/* Across a month and a year end. */
	t = local(2024, 12, 31, 22, 0, 0);
	assert_int_equal(quiet_release(&q, t), utc(2025, 1, 1, 0, 0, 0));
	t = local(2024, 2, 28, 22, 0, 0);
	assert_int_equal(quiet_release(&q, t), utc(2024, 2, 29, 0, 0, 0));
}

static void
test_inside_day(void **state)
{
	struct quiet	q;
	time_t		t;

	set_tz("Asia/Shanghai");
	make(&q, "12:00", "14:00", ROUTINE_ONLY);
	assert_int_equal(quiet_holds(&q, PRIO_ROUTINE,
	    local(2024, 6, 1, 11, 59, 59)), 0);
	assert_int_equal(quiet_holds(&q, PRIO_ROUTINE,
	    local(2024, 6, 1, 12, 0, 0)), 1);
	assert_int_equal(quiet_holds(&q, PRIO_ROUTINE,
	    local(2024, 6, 1, 13, 59, 59)), 1);
	assert_int_equal(quiet_holds(&q, PRIO_ROUTINE,
	    local(2024, 6, 1, 14, 0, 0)), 0);
	assert_int_equal(quiet_holds(&q, PRIO_ROUTINE,
	    local(2024, 6, 1, 23, 0, 0)), 0);
	assert_int_equal(quiet_holds(&q, PRIO_ROUTINE,
	    local(2024, 6, 1, 3, 0, 0)), 0);

	t = local(2024, 6, 1, 12, 0, 0);
	assert_int_equal(quiet_release(&q, t), utc(2024, 6, 1, 6, 0, 0));
	t = local(2024, 6, 1, 13, 59, 59);
	assert_int_equal(quiet_release(&q, t), utc(2024, 6, 1, 6, 0, 0));
	t = local(2024, 6, 1, 14, 0, 0);
	assert_int_equal(quiet_release(&q, t), t);
	t = local(2024, 6, 1, 11, 0, 0);
	assert_int_equal(quiet_release(&q, t), t);
}

static void
test_start_equals_end(void **state)
{
	struct quiet	q;
	time_t		t;
	int		h;

	set_tz("Asia/Shanghai");
	make(&q, "08:00", "08:00", NOT_EMERGENCY);
	for (h = 0; h < 24; h++) {
		t = local(2024, 6, 1, h, 0, 0);
		assert_int_equal(quiet_holds(&q, PRIO_ROUTINE, t), 0);
		assert_int_equal(quiet_holds(&q, PRIO_URGENT, t), 0);
		assert_int_equal(quiet_release(&q, t), t);
	}
	/* Even built by hand with enabled set. */
	q.enabled = 1;
	t = local(2024, 6, 1, 8, 0, 0);
	assert_int_equal(quiet_holds(&q, PRIO_ROUTINE, t), 0);
	assert_int_equal(quiet_release(&q, t), t);
}

static void
test_priorities(void **state)
{
	struct quiet	q;
	time_t		t;

	set_tz("Asia/Shanghai");
	t = local(2024, 6, 1, 23, 0, 0);

	make(&q, "21:00", "08:00", ROUTINE_ONLY);
	assert_int_equal(quiet_holds(&q, PRIO_ROUTINE, t), 1);
	assert_int_equal(quiet_holds(&q, PRIO_URGENT, t), 0);
	assert_int_equal(quiet_holds(&q, PRIO_EMERGENCY, t), 0);

	make(&q, "21:00", "08:00", NOT_EMERGENCY);
	assert_int_equal(quiet_holds(&q, PRIO_ROUTINE, t), 1);
	assert_int_equal(quiet_holds(&q, PRIO_URGENT, t), 1);
	assert_int_equal(quiet_holds(&q, PRIO_EMERGENCY, t), 0);

	make(&q, "21:00", "08:00", 0);
	assert_int_equal(quiet_holds(&q, PRIO_ROUTINE, t), 0);
	assert_int_equal(quiet_holds(&q, PRIO_URGENT, t), 0);

	/* Emergency is never held, even by a hand-built set. */
	make(&q, "21:00", "08:00", PRIO_ALL);
	q.prios = PRIO_ALL;
	assert_int_equal(quiet_holds(&q, PRIO_EMERGENCY, t), 0);
	assert_int_equal(quiet_holds(&q, PRIO_ROUTINE, t), 1);

	/* Disabled: nothing held. */
	q.enabled = 0;
	assert_int_equal(quiet_holds(&q, PRIO_ROUTINE, t), 0);
	assert_int_equal(quiet_release(&q, t), t);
}

static void
test_dst_spring(void **state)
{
	struct quiet	q;
	time_t		t;

	/* Berlin, 2024-03-31 02:00 CET becomes 03:00 CEST (01:00 UTC). */
	set_tz("Europe/Berlin");
	make(&q, "21:00", "08:00", ROUTINE_ONLY);
	t = local(2024, 3, 30, 22, 0, 0);
	assert_int_equal(t, utc(2024, 3, 30, 21, 0, 0));
	assert_int_equal(quiet_holds(&q, PRIO_ROUTINE, t), 1);
	/* 08:00 CEST is 06:00 UTC: a night one hour shorter. */
	assert_int_equal(quiet_release(&q, t), utc(2024, 3, 31, 6, 0, 0));
	assert_int_equal(quiet_release(&q, t) - t, 9 * 3600);
	/* From after the change. */
	t = utc(2024, 3, 31, 1, 30, 0);		/* 03:30 CEST */
	assert_int_equal(quiet_release(&q, t), utc(2024, 3, 31, 6, 0, 0));
	assert_int_equal(quiet_holds(&q, PRIO_ROUTINE,
	    utc(2024, 3, 31, 5, 59, 59)), 1);
	assert_int_equal(quiet_holds(&q, PRIO_ROUTINE,
	    utc(2024, 3, 31, 6, 0, 0)), 0);

	/* An end inside the gap: the period ends when the clock jumps. */
	make(&q, "21:00", "02:30", ROUTINE_ONLY);
	t = utc(2024, 3, 31, 0, 15, 0);		/* 01:15 CET */
	assert_int_equal(quiet_holds(&q, PRIO_ROUTINE, t), 1);
	assert_int_equal(quiet_release(&q, t), utc(2024, 3, 31, 1, 0, 0));
	assert_int_equal(quiet_holds(&q, PRIO_ROUTINE,
	    utc(2024, 3, 31, 0, 59, 59)), 1);
	assert_int_equal(quiet_holds(&q, PRIO_ROUTINE,
	    utc(2024, 3, 31, 1, 0, 0)), 0);
}

static void
test_dst_autumn(void **state)
{
	struct quiet	q;
	time_t		t;

	/* Berlin, 2024-10-27 03:00 CEST becomes 02:00 CET (01:00 UTC). */
	set_tz("Europe/Berlin");
	make(&q, "21:00", "08:00", ROUTINE_ONLY);
	t = local(2024, 10, 26, 22, 0, 0);
	assert_int_equal(t, utc(2024, 10, 26, 20, 0, 0));
	/* 08:00 CET is 07:00 UTC: a night one hour longer. */
	assert_int_equal(quiet_release(&q, t), utc(2024, 10, 27, 7, 0, 0));
	assert_int_equal(quiet_release(&q, t) - t, 11 * 3600);
	t = utc(2024, 10, 27, 0, 30, 0);	/* 02:30 CEST */
	assert_int_equal(quiet_release(&q, t), utc(2024, 10, 27, 7, 0, 0));
	t = utc(2024, 10, 27, 1, 30, 0);	/* 02:30 CET */
	assert_int_equal(quiet_release(&q, t), utc(2024, 10, 27, 7, 0, 0));

	/* An end that happens twice: first 02:30 CEST, then 02:30 CET. */
	make(&q, "21:00", "02:30", ROUTINE_ONLY);
	t = utc(2024, 10, 26, 21, 0, 0);	/* 23:00 CEST */
	assert_int_equal(quiet_release(&q, t), utc(2024, 10, 27, 0, 30, 0));
	t = utc(2024, 10, 27, 0, 45, 0);	/* 02:45 CEST: not quiet */
	assert_int_equal(quiet_holds(&q, PRIO_ROUTINE, t), 0);
	assert_int_equal(quiet_release(&q, t), t);
	t = utc(2024, 10, 27, 1, 10, 0);	/* 02:10 CET: quiet again */
	assert_int_equal(quiet_holds(&q, PRIO_ROUTINE, t), 1);
	assert_int_equal(quiet_release(&q, t), utc(2024, 10, 27, 1, 30, 0));
}

static void
test_release_is_exact(void **state)
{
	struct quiet	q;
	struct tm	tm;
	time_t		t, r;
	const char	*zones[] = { "Asia/Shanghai", "Europe/Berlin",
			    "America/New_York", "UTC" };
	size_t		i;
	int		step;

	/* Every quarter hour of a year: the release is quiet's edge. */
	make(&q, "21:00", "08:00", ROUTINE_ONLY);
	for (i = 0; i < nitems(zones); i++) {
		set_tz(zones[i]);
		for (step = 0; step < 366 * 96; step += 7) {
			t = utc(2024, 1, 1, 0, 0, 0) + (time_t)step * 900;
			r = quiet_release(&q, t);
			if (!quiet_holds(&q, PRIO_ROUTINE, t)) {
				assert_int_equal(r, t);
				continue;
			}
			assert_true(r > t);
			assert_int_equal(quiet_holds(&q, PRIO_ROUTINE, r), 0);
			assert_int_equal(quiet_holds(&q, PRIO_ROUTINE, r - 1),
			    1);
			assert_non_null(localtime_r(&r, &tm));
			assert_int_equal(tm.tm_hour, 8);
			assert_int_equal(tm.tm_min, 0);
			assert_int_equal(tm.tm_sec, 0);
			if (r - t > 12 * 3600)
				fail_msg("%s %lld -> %lld", zones[i],
				    (long long)t, (long long)r);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_conf),
		cmocka_unit_test(test_midnight),
		cmocka_unit_test(test_inside_day),
		cmocka_unit_test(test_start_equals_end),
		cmocka_unit_test(test_priorities),
		cmocka_unit_test(test_dst_spring),
		cmocka_unit_test(test_dst_autumn),
		cmocka_unit_test(test_release_is_exact),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
