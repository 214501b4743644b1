/*
 * test-buf.c: the capped buffer.
 */
#include "compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"

static void
test_grow(void **state)
{
	struct buf	b;
	int		i;

	buf_init(&b, 0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(buf_adds(&b, "0123456789"), 0);
	assert_int_equal(b.len, 10000);
	assert_int_equal(b.data[b.len], '\0');
	assert_int_equal(buf_printf(&b, "%d-%s", 42, "x"), 0);
	assert_string_equal(b.data + 10000, "42-x");
	buf_free(&b);
}

static void
test_cap(void **state)
{
	struct buf	 b;
	char		*s;

	buf_init(&b, 8);
	assert_int_equal(buf_adds(&b, "12345678"), 0);
	assert_int_equal(buf_add(&b, "9", 1), -1);
	assert_int_equal(b.len, 8);
	assert_string_equal(b.data, "12345678");
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_printf(&b, "%s", "too long for it"), -1);
	assert_int_equal(b.len, 0);
	s = buf_steal(&b);
	assert_string_equal(s, "");
	free(s);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grow),
		cmocka_unit_test(test_cap),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
