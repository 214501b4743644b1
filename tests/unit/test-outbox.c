/*
 * test-outbox.c: the retry backoff.
 */
#include "compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "outbox.h"

static void
test_doubles_then_caps(void **state)
{
	/* rnd 0.999..: the top of the jitter range, retry_min 5 s. */
	assert_int_equal(outbox_backoff(1, -1, 5, 600, 0.0), 2500);
	assert_int_equal(outbox_backoff(2, -1, 5, 600, 0.0), 5000);
	assert_int_equal(outbox_backoff(3, -1, 5, 600, 0.0), 10000);
	assert_int_equal(outbox_backoff(8, -1, 5, 600, 0.0), 300000);
	assert_int_equal(outbox_backoff(30, -1, 5, 600, 0.0), 300000);
	assert_true(outbox_backoff(30, -1, 5, 600, 0.999999) < 600000);
	assert_true(outbox_backoff(30, -1, 5, 600, 0.999999) > 599000);
}

static void
test_jitter_range(void **state)
{
	long long	lo, hi;
	double		r;

	for (r = 0.0; r < 1.0; r += 0.125) {
		lo = outbox_backoff(4, -1, 5, 600, r);
		/* 40 s: between 20 s and 40 s. */
		assert_true(lo >= 20000);
		assert_true(lo < 40000);
	}
	hi = outbox_backoff(4, -1, 5, 600, 0.5);
	assert_int_equal(hi, 30000);
}

static void
test_retry_after(void **state)
{
	/* The provider's Retry-After wins when longer. */
	assert_int_equal(outbox_backoff(1, 120000, 5, 600, 0.0), 120000);
	assert_int_equal(outbox_backoff(5, 1000, 5, 600, 0.0), 40000);
	/* Attempt 0 or less counts as the first. */
	assert_int_equal(outbox_backoff(0, -1, 5, 600, 0.0), 2500);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doubles_then_caps),
		cmocka_unit_test(test_jitter_range),
		cmocka_unit_test(test_retry_after),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
