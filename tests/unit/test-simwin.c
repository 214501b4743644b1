/*
 * test-simwin.c: the SIM's sliding windows on a simulated clock: per
 * second, minute, hour and day, the instant a part leaves its window,
 * several windows at once, a sweep of limits driven by a greedy sender,
 * and replaying saved part times after a restart.
 */
#include "compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "simwin.h"

#define S	1000LL
#define MIN	(60 * S)
#define HOUR	(60 * MIN)
#define DAY	(24 * HOUR)

static void
one(struct simwin_set *s, unsigned long count, unsigned long period)
{
	const char	*why = NULL;

	simwin_init(s);
	assert_int_equal(simwin_add(s, count, period, &why), 1);
}

static void
test_empty(void **state)
{
	struct simwin_set	 s;
	const char		*why = NULL;
	int			 i;

	(void)state;
	simwin_init(&s);
	assert_int_equal(simwin_add(&s, 0, 60, &why), 0);
	assert_int_equal(simwin_add(&s, 10, 0, &why), 0);
	assert_int_equal(simwin_add(&s, SIMWIN_COUNT_MAX + 1, 86400, &why),
	    -1);
	assert_non_null(why);
	assert_int_equal(s.n, 0);
	for (i = 0; i < 1000; i++) {
		assert_int_equal(simwin_wait(&s, i * S), 0);
		simwin_record(&s, i * S);
	}
	assert_int_equal(simwin_horizon(&s), 0);
	assert_int_equal(simwin_depth(&s), 0);
	simwin_free(&s);
	assert_null(s.w);
}

/* 3/s: the fourth part waits for the first to leave, not a tick more. */
static void
test_second(void **state)
{
	struct simwin_set	s;

	(void)state;
	one(&s, 3, 1);
	simwin_record(&s, 10000);
	assert_int_equal(simwin_wait(&s, 10000), 0);
	simwin_record(&s, 10100);
	simwin_record(&s, 10200);
	assert_int_equal(simwin_wait(&s, 10200), 800);
	assert_int_equal(simwin_wait(&s, 10999), 1);
	assert_int_equal(simwin_wait(&s, 11000), 0);
	/* The edge: a part sent at t counts until t + period, excluded. */
	assert_int_equal(simwin_used(&s.w[0], 10999), 3);
	assert_int_equal(simwin_used(&s.w[0], 11000), 2);
	assert_int_equal(simwin_used(&s.w[0], 11100), 1);
	assert_int_equal(simwin_used(&s.w[0], 11200), 0);
	simwin_record(&s, 11000);
	/* Now the oldest is the one of 10100. */
	assert_int_equal(simwin_wait(&s, 11000), 100);
	assert_int_equal(simwin_used(&s.w[0], 11000), 3);
	simwin_free(&s);
}

/* 10/min, 200/hour, 500/day, each alone, at the edge of its window. */
static void
test_minute_hour_day(void **state)
{
	static const struct {
		unsigned long	count, period;
		long long	ms;
	} t[] = {
		{ 10, 60, MIN }, { 200, 3600, HOUR }, { 500, 86400, DAY }
	};
	struct simwin_set	s;
	long long		now;
	size_t			i, k;

	(void)state;
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		one(&s, t[i].count, t[i].period);
		now = 5 * DAY + 17;
		for (k = 0; k < t[i].count; k++) {
			assert_int_equal(simwin_wait(&s, now + (long long)k), 0);
			simwin_record(&s, now + (long long)k);
		}
		/* Full: the first part leaves at now + period. */
		assert_int_equal(simwin_used(&s.w[0], now + (long long)k - 1),
		    t[i].count);
		assert_int_equal(simwin_wait(&s, now + (long long)k),
		    t[i].ms - (long long)k);
		assert_int_equal(simwin_wait(&s, now + t[i].ms - 1), 1);
		assert_int_equal(simwin_wait(&s, now + t[i].ms), 0);
		assert_int_equal(simwin_used(&s.w[0], now + t[i].ms),
		    t[i].count - 1);
		assert_int_equal(simwin_horizon(&s), t[i].ms);
		assert_int_equal(simwin_depth(&s), t[i].count);
		simwin_free(&s);
	}
}

/* 3/s and 5/min together: the larger wait wins. */
static void
test_several(void **state)
{
	struct simwin_set	 s;
	const char		*why = NULL;
	long long		 now = 0;
	int			 sent = 0;

	(void)state;
	simwin_init(&s);
	assert_int_equal(simwin_add(&s, 3, 1, &why), 1);
	assert_int_equal(simwin_add(&s, 5, 60, &why), 1);
	while (simwin_wait(&s, now) == 0) {
		simwin_record(&s, now);
		sent++;
	}
	assert_int_equal(sent, 3);
	assert_int_equal(simwin_wait(&s, now), S);
	now += S;
	while (simwin_wait(&s, now) == 0) {
		simwin_record(&s, now);
		sent++;
	}
	assert_int_equal(sent, 5);
	/* The minute now, though the second has room. */
	assert_int_equal(simwin_wait(&s, now), MIN - S);
	assert_int_equal(simwin_wait(&s, MIN), 0);
	assert_int_equal(simwin_horizon(&s), MIN);
	assert_int_equal(simwin_depth(&s), 5);
	simwin_free(&s);
}

/*
 * A greedy sender over a sweep of limits: it sends whenever the windows
 * allow and otherwise sleeps exactly the wait.  Over k periods it sends
 * exactly k x count parts, and no window of the period's length ever
 * holds more than count of them.
 */
static void
test_sweep(void **state)
{
	static const struct {
		unsigned long	count, period;
	} t[] = {
		{ 1, 1 }, { 2, 1 }, { 7, 1 }, { 30, 1 }, { 1, 60 }, { 7, 60 },
		{ 10, 60 }, { 59, 60 }, { 61, 60 }, { 1, 3600 }, { 200, 3600 },
		{ 333, 3600 }, { 1, 86400 }, { 500, 86400 }, { 999, 86400 }
	};
	struct simwin_set	 s;
	long long		*at, now, end, period, w;
	size_t			 i, n, lo, hi, max, periods = 6;

	(void)state;
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		one(&s, t[i].count, t[i].period);
		period = (long long)t[i].period * 1000;
		at = calloc(t[i].count * periods + 1, sizeof *at);
		assert_non_null(at);
		now = 123456789;
		end = now + (long long)periods * period;
		n = 0;
		while (now < end) {
			if ((w = simwin_wait(&s, now)) > 0) {
				now += w;
				continue;
			}
			assert_true(n < t[i].count * periods);
			simwin_record(&s, now);
			at[n++] = now;
			assert_true(simwin_used(&s.w[0], now) <= t[i].count);
		}
		assert_int_equal(n, t[i].count * periods);
		/* The most parts in any window (t - period, t]. */
		max = 0;
		for (lo = 0, hi = 0; hi < n; hi++) {
			while (at[lo] <= at[hi] - period)
				lo++;
			if (hi - lo + 1 > max)
				max = hi - lo + 1;
		}
		assert_int_equal(max, t[i].count);
		free(at);
		simwin_free(&s);
	}
}

/* Saved part times replayed into new windows give the same answers. */
static void
test_restore(void **state)
{
	struct simwin_set	 a, b;
	const char		*why = NULL;
	long long		 times[40], now;
	size_t			 i, n = 0;

	(void)state;
	simwin_init(&a);
	simwin_init(&b);
	assert_int_equal(simwin_add(&a, 4, 10, &why), 1);
	assert_int_equal(simwin_add(&a, 9, 60, &why), 1);
	assert_int_equal(simwin_add(&b, 4, 10, &why), 1);
	assert_int_equal(simwin_add(&b, 9, 60, &why), 1);
	for (now = 0; n < 12; now += 1500) {
		if (simwin_wait(&a, now) > 0)
			continue;
		simwin_record(&a, now);
		times[n++] = now;
	}
	assert_int_equal(simwin_restore(&b, times, n), n);
	for (now = times[n - 1]; now < times[n - 1] + 2 * MIN; now += 250) {
		assert_int_equal(simwin_wait(&b, now), simwin_wait(&a, now));
		for (i = 0; i < a.n; i++)
			assert_int_equal(simwin_used(&b.w[i], now),
			    simwin_used(&a.w[i], now));
	}
	assert_true(simwin_wait(&b, times[n - 1]) > 0);
	simwin_free(&b);

	/* A time out of order is skipped. */
	assert_int_equal(simwin_add(&b, 4, 10, &why), 1);
	times[0] = 5000;
	times[1] = 4000;
	times[2] = 6000;
	assert_int_equal(simwin_restore(&b, times, 3), 2);
	assert_int_equal(simwin_used(&b.w[0], 6000), 2);
	simwin_free(&a);
	simwin_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_second),
		cmocka_unit_test(test_minute_hour_day),
		cmocka_unit_test(test_several),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_restore),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
