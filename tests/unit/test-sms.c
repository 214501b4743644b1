/*
 * test-sms.c: SMS coding, length and segment counts.
 */
#include "compat.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sms.h"

/* Measure s, which must be valid; check coding, units and segments. */
static void
check(const char *s, size_t len, enum sms_coding coding, size_t chars,
    size_t units, size_t segments)
{
	struct sms_len	 sl;
	const char	*cause = NULL;

	if (sms_measure(s, len, &sl, &cause) != 0)
		fail_msg("rejected: %s", cause);
	assert_int_equal(sl.coding, coding);
	assert_int_equal(sl.chars, chars);
	assert_int_equal(sl.units, units);
	assert_int_equal(sl.segments, segments);
}

/* n copies of the UTF-8 text unit, then tail. */
static char *
repeat(const char *unit, size_t n, const char *tail)
{
	struct buf	b;
	size_t		i;

	buf_init(&b, 0);
	for (i = 0; i < n; i++)
		buf_adds(&b, unit);
	buf_adds(&b, tail);
	return (buf_steal(&b));
}

/* As check(), on n1 copies of u1, then mid, then n2 copies of u2. */
static void
check_mix(const char *u1, size_t n1, const char *mid, const char *u2,
    size_t n2, enum sms_coding coding, size_t chars, size_t units,
    size_t segments)
{
	char	*a, *b, *s;

	a = repeat(u1, n1, mid);
	b = repeat(u2, n2, "");
	s = repeat(a, 1, b);
	check(s, strlen(s), coding, chars, units, segments);
	free(s);
	free(b);
	free(a);
}

/* As check(), on repeat(unit, n, tail). */
static void
check_rep(const char *unit, size_t n, const char *tail,
    enum sms_coding coding, size_t chars, size_t units, size_t segments)
{
	char	*s;

	s = repeat(unit, n, tail);
	check(s, strlen(s), coding, chars, units, segments);
	free(s);
}

static void
test_ascii(void **state)
{
	check("", 0, SMS_GSM7, 0, 0, 1);
	check("Hello", 5, SMS_GSM7, 5, 5, 1);
	check_rep("a", 160, "", SMS_GSM7, 160, 160, 1);
	check_rep("a", 161, "", SMS_GSM7, 161, 161, 2);
	check_rep("a", 306, "", SMS_GSM7, 306, 306, 2);
	check_rep("a", 307, "", SMS_GSM7, 307, 307, 3);
	/* @ $ _ LF CR are in the alphabet, at other codes than ASCII. */
	check("@$_\n\r", 5, SMS_GSM7, 5, 5, 1);
	/* The backtick is not. */
	check("a`b", 3, SMS_UCS2, 3, 3, 1);
}

static void
test_escape(void **state)
{
	check("\xe2\x82\xac", 3, SMS_GSM7, 1, 2, 1);		/* € */
	check("[]{}\\~^|\f", 9, SMS_GSM7, 9, 18, 1);
	/* 159 + an escape is 161 septets: two parts. */
	check_rep("a", 158, "\xe2\x82\xac", SMS_GSM7, 159, 160, 1);
	check_rep("a", 159, "\xe2\x82\xac", SMS_GSM7, 160, 161, 2);
	/* 152 plain then an escape pair still fits one SMS. */
	check_rep("a", 152, "\xe2\x82\xac", SMS_GSM7, 153, 154, 1);
	/*
	 * In a long one the pair does not fit in the first part's last
	 * septet, so it opens the second: 306 septets that a division
	 * would put in 2 parts need 3.
	 */
	check_mix("a", 152, "\xe2\x82\xac", "x", 151, SMS_GSM7, 153 + 151,
	    154 + 151, 2);
	check_mix("a", 152, "\xe2\x82\xac", "x", 152, SMS_GSM7, 153 + 152,
	    154 + 152, 3);
	/* 151 plain then the pair fills the first part exactly. */
	check_mix("a", 151, "\xe2\x82\xac", "x", 153, SMS_GSM7, 152 + 153,
	    153 + 153, 2);
	check_rep("\xe2\x82\xac", 153, "", SMS_GSM7, 153, 306, 3);
}

static void
test_latin(void **state)
{
	int	esc;

	check("\xc2\xa3\xc2\xa5\xc3\xa8", 6, SMS_GSM7, 3, 3, 1); /* £¥è */
	check("\xce\x94\xce\xa9\xc3\x87\xc2\xbf\xc3\xa0", 10, SMS_GSM7, 5, 5,
	    1);						/* ΔΩÇ¿à */
	/* ç (small) and ê are not in the default alphabet. */
	check("\xc3\xa7", 2, SMS_UCS2, 1, 1, 1);
	check("\xc3\xaa", 2, SMS_UCS2, 1, 1, 1);

	assert_true(sms_gsm7_char('A', &esc));
	assert_int_equal(esc, 0);
	assert_true(sms_gsm7_char(0x20ac, &esc));
	assert_int_equal(esc, 1);
	assert_true(sms_gsm7_char('{', NULL));
	assert_false(sms_gsm7_char(0x1b, &esc));
	assert_false(sms_gsm7_char('\t', &esc));
	assert_false(sms_gsm7_char(0x4e2d, &esc));
	assert_false(sms_gsm7_char(0xffffffffU, &esc));
	assert_string_equal(sms_coding_name(SMS_GSM7), "GSM 7-bit");
	assert_string_equal(sms_coding_name(SMS_UCS2), "UCS-2");
}

/* Every printable ASCII character but the backtick is GSM. */
static void
test_table(void **state)
{
	unsigned int	cp;
	int		esc, n = 0, nesc = 0;

	for (cp = 0x20; cp < 0x7f; cp++) {
		if (cp == '`') {
			assert_false(sms_gsm7_char(cp, &esc));
			continue;
		}
		assert_true(sms_gsm7_char(cp, &esc));
		nesc += esc;
	}
	assert_int_equal(nesc, 8);	/* [ \ ] ^ { | } ~ */
	for (cp = 0; cp < 0x2200; cp++)
		n += sms_gsm7_char(cp, NULL);
	/* 127 basic characters (ESC is none) and 10 extension ones. */
	assert_int_equal(n, 137);
}

static void
test_chinese(void **state)
{
	/* 中: 3 bytes, one UTF-16 unit. */
	check_rep("\xe4\xb8\xad", 70, "", SMS_UCS2, 70, 70, 1);
	check_rep("\xe4\xb8\xad", 71, "", SMS_UCS2, 71, 71, 2);
	check_rep("\xe4\xb8\xad", 134, "", SMS_UCS2, 134, 134, 2);
	check_rep("\xe4\xb8\xad", 135, "", SMS_UCS2, 135, 135, 3);
	/* One Chinese character makes the whole text UCS-2. */
	check_rep("a", 69, "\xe4\xb8\xad", SMS_UCS2, 70, 70, 1);
	check_rep("a", 70, "\xe4\xb8\xad", SMS_UCS2, 71, 71, 2);
	check("Dear \xe5\xbc\xa0", 8, SMS_UCS2, 6, 6, 1);
}

static void
test_astral(void **state)
{
	/* 𠮷 (U+20BB7), a character of some names: a surrogate pair. */
	check("\xf0\xa0\xae\xb7", 4, SMS_UCS2, 1, 2, 1);
	check_rep("\xe4\xb8\xad", 68, "\xf0\xa0\xae\xb7", SMS_UCS2, 69, 70,
	    1);
	check_rep("\xe4\xb8\xad", 69, "\xf0\xa0\xae\xb7", SMS_UCS2, 70, 71,
	    2);
	/*
	 * 66 units then a pair: the pair would straddle units 67 and 68,
	 * so it starts the second part, and 134 units need 3 parts.
	 */
	check_mix("\xe4\xb8\xad", 66, "\xf0\xa0\xae\xb7", "\xe4\xb8\xad", 65,
	    SMS_UCS2, 66 + 1 + 65, 133, 2);
	check_mix("\xe4\xb8\xad", 66, "\xf0\xa0\xae\xb7", "\xe4\xb8\xad", 66,
	    SMS_UCS2, 66 + 1 + 66, 134, 3);
	/* 65 units then the pair: it ends the first part exactly. */
	check_mix("\xe4\xb8\xad", 65, "\xf0\xa0\xae\xb7", "\xe4\xb8\xad", 67,
	    SMS_UCS2, 65 + 1 + 67, 134, 2);
	/* An emoji is never GSM. */
	check("ok \xf0\x9f\x98\x80", 7, SMS_UCS2, 4, 5, 1);
}

static void
test_invalid(void **state)
{
	static const char	*bad[] = {
		"\xff", "a\x80", "\xc3", "\xe4\xb8", "\xc0\xaf",
		"\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe0\x80\xaf",
		"\xf0\x80\x80\xaf", "\xe4\xb8\xad\xe4\xb8"
	};
	struct sms_len	 sl;
	const char	*cause;
	size_t		 i;

	for (i = 0; i < nitems(bad); i++) {
		cause = NULL;
		if (sms_measure(bad[i], strlen(bad[i]), &sl, &cause) != -1)
			fail_msg("case %zu accepted", i);
		assert_non_null(cause);
	}
	/* A NUL inside the length is a character, not the end. */
	check("a\0b", 3, SMS_UCS2, 3, 3, 1);
	/* Only len bytes are read. */
	check("abc\xff", 3, SMS_GSM7, 3, 3, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_latin),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_chinese),
		cmocka_unit_test(test_astral),
		cmocka_unit_test(test_invalid),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
