/*
 * test-log.c: phone masking in log lines, levels.
 */
#include "compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"

static void
mask_is(const char *in, const char *want)
{
	char	buf[256];

	strlcpy(buf, in, sizeof buf);
	log_mask_phones(buf);
	assert_string_equal(buf, want);
}

static void
test_mask_plain(void **state)
{
	mask_is("13800138000", "138****8000");
	mask_is("to 13800138000 failed", "to 138****8000 failed");
	mask_is("a=13800138000,b=13912345678",
	    "a=138****8000,b=139****5678");
	mask_is("phone:13800138000.", "phone:138****8000.");
}

static void
test_mask_typed(void **state)
{
	mask_is("+8613800138000", "+86138****8000");
	mask_is("008613800138000", "0086138****8000");
	mask_is("8613800138000", "86138****8000");
	mask_is("138 0013 8000", "138 **** 8000");
	mask_is("138-0013-8000", "138-****-8000");
	mask_is("+86 138-0013-8000", "+86 138-****-8000");
}

static void
test_mask_leaves_others(void **state)
{
	/* District codes, counts and times are not phone numbers. */
	mask_is("district 330683102001", "district 330683102001");
	mask_is("330683102", "330683102");
	mask_is("1000000 rows", "1000000 rows");
	mask_is("138001380001", "138001380001");	/* 12 digits */
	mask_is("23800138000", "23800138000");		/* not 1... */
	mask_is("2026-11-27 16:05:00", "2026-11-27 16:05:00");
	mask_is("", "");
	mask_is("no digits", "no digits");
}

static void
test_levels(void **state)
{
	assert_int_equal(log_level_parse("debug"), LOG_LEVEL_DEBUG);
	assert_int_equal(log_level_parse("error"), LOG_LEVEL_ERROR);
	assert_int_equal(log_level_parse("loud"), -1);
	assert_string_equal(log_level_name(LOG_LEVEL_WARN), "warn");
	log_setlevel(LOG_LEVEL_WARN);
	assert_int_equal(log_getlevel(), LOG_LEVEL_WARN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mask_plain),
		cmocka_unit_test(test_mask_typed),
		cmocka_unit_test(test_mask_leaves_others),
		cmocka_unit_test(test_levels),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
