/*
 * test-phone.c: phone number normalisation and masking.
 *
 * Every number here is in the 1380013xxxx style (or otherwise made up),
 * never a real person's.
 */
#include "compat.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "phone.h"

struct good {
	const char	*in;
	const char	*want;
};

struct bad {
	const char	*in;
	const char	*cause;		/* substring expected in the cause */
};

/* 1 when s holds a run of at least n digits. */
static int
digit_run(const char *s, size_t n)
{
	size_t	run = 0;

	for (; *s != '\0'; s++) {
		run = (*s >= '0' && *s <= '9') ? run + 1 : 0;
		if (run >= n)
			return (1);
	}
	return (0);
}

static void
check_good(const struct good *t, size_t n)
{
	char		 out[PHONE_BUFSIZE];
	const char	*cause;
	size_t		 i;

	for (i = 0; i < n; i++) {
		cause = NULL;
		if (phone_normalize(t[i].in, out, &cause) != 0)
			fail_msg("case %zu \"%s\": rejected: %s", i, t[i].in,
			    cause);
		assert_null(cause);
		assert_string_equal(out, t[i].want);
		assert_true(phone_is_canonical(out));
	}
}

static void
check_bad(const struct bad *t, size_t n)
{
	char		 out[PHONE_BUFSIZE];
	const char	*cause;
	size_t		 i;

	for (i = 0; i < n; i++) {
		cause = NULL;
		if (phone_normalize(t[i].in, out, &cause) == 0)
			fail_msg("case %zu \"%s\": accepted as %s", i, t[i].in,
			    out);
		assert_non_null(cause);
		if (strstr(cause, t[i].cause) == NULL)
			fail_msg("case %zu \"%s\": cause \"%s\", want \"%s\"",
			    i, t[i].in, cause, t[i].cause);
		/* The cause never repeats the digits it was given. */
		assert_false(digit_run(cause, 3));
		assert_string_equal(out, "");
	}
}

static void
test_plain(void **state)
{
	static const struct good t[] = {
		{ "13800138000", "13800138000" },
		{ "13800138123", "13800138123" },
		{ "  13800138000  ", "13800138000" },
		{ "\t13800138000\r\n", "13800138000" },
	};

	check_good(t, nitems(t));
}

static void
test_grouped(void **state)
{
	static const struct good t[] = {
		{ "138 0013 8000", "13800138000" },
		{ "138-0013-8000", "13800138000" },
		{ "138 0013-8000", "13800138000" },
		{ "1380 013 8000", "13800138000" },
		{ " 138 0013 8000 ", "13800138000" },
	};

	check_good(t, nitems(t));
}

static void
test_country_code(void **state)
{
	static const struct good t[] = {
		{ "+86 138-0013-8000", "13800138000" },
		{ "+8613800138000", "13800138000" },
		{ "+86 13800138000", "13800138000" },
		{ "+86-138 0013 8000", "13800138000" },
		{ "008613800138000", "13800138000" },
		{ "0086 138 0013 8000", "13800138000" },
		{ "8613800138000", "13800138000" },
		{ "86-138-0013-8000", "13800138000" },
		{ "86 13800138000", "13800138000" },
		{ "(+86)13800138000", "13800138000" },
		{ "(+86) 138 0013 8000", "13800138000" },
		{ "(+86)-138-0013-8000", "13800138000" },
		{ "(86)13800138000", "13800138000" },
		{ "(0086) 13800138000", "13800138000" },
	};

	check_good(t, nitems(t));
}

static void
test_full_width(void **state)
{
	static const struct good t[] = {
		/* １３８００１３８０００ */
		{ "\xef\xbc\x91\xef\xbc\x93\xef\xbc\x98\xef\xbc\x90"
		  "\xef\xbc\x90\xef\xbc\x91\xef\xbc\x93\xef\xbc\x98"
		  "\xef\xbc\x90\xef\xbc\x90\xef\xbc\x90", "13800138000" },
		/* ＋８６　138 0013 8000 (full-width plus and space) */
		{ "\xef\xbc\x8b\xef\xbc\x98\xef\xbc\x96\xe3\x80\x80"
		  "138 0013 8000", "13800138000" },
		/* Mixed widths, full-width dashes and parentheses. */
		{ "\xef\xbc\x88+86\xef\xbc\x89"
		  "138\xef\xbc\x8d" "0013\xef\xbc\x8d" "8000", "13800138000" },
		/* Ideographic spaces around, a no-break space inside. */
		{ "\xe3\x80\x80" "138\xc2\xa0" "0013 8000\xe3\x80\x80",
		  "13800138000" },
	};

	check_good(t, nitems(t));
}

static void
test_ranges(void **state)
{
	static const struct good t[] = {
		{ "13000138000", "13000138000" },
		{ "13900138000", "13900138000" },
		{ "14500138000", "14500138000" },
		{ "14900138000", "14900138000" },
		{ "15000138000", "15000138000" },
		{ "15300138000", "15300138000" },
		{ "15500138000", "15500138000" },
		{ "16200138000", "16200138000" },
		{ "16500138000", "16500138000" },
		{ "16600138000", "16600138000" },
		{ "16700138000", "16700138000" },
		{ "17000138000", "17000138000" },
		{ "17800138000", "17800138000" },
		{ "18000138000", "18000138000" },
		{ "18900138000", "18900138000" },
		{ "19000138000", "19000138000" },
		{ "19300138000", "19300138000" },
		{ "19500138000", "19500138000" },
		{ "19900138000", "19900138000" },
	};
	static const struct bad b[] = {
		{ "14000138000", "prefix" },
		{ "14400138000", "prefix" },
		{ "15400138000", "prefix" },
		{ "16000138000", "prefix" },
		{ "16100138000", "prefix" },
		{ "16300138000", "prefix" },
		{ "16400138000", "prefix" },
		{ "16800138000", "prefix" },
		{ "16900138000", "prefix" },
		{ "17900138000", "prefix" },
		{ "19400138000", "prefix" },
	};

	check_good(t, nitems(t));
	check_bad(b, nitems(b));
}

static void
test_reject_shape(void **state)
{
	static const struct bad t[] = {
		{ "", "empty" },
		{ "   ", "empty" },
		{ "\xe3\x80\x80", "empty" },
		{ "1380013800", "wrong number of digits" },
		{ "138001380001", "wrong number of digits" },
		{ "1", "wrong number of digits" },
		{ "+86", "wrong number of digits" },
		{ "+86 1380013800", "wrong number of digits" },
		{ "861380013800", "wrong number of digits" },
		{ "00861380013800", "wrong number of digits" },
		{ "(+86)1380013800", "wrong number of digits" },
		{ "23800138000", "must start with 1" },
		{ "93800138000", "must start with 1" },
		{ "+86 23800138000", "must start with 1" },
		{ "12800138000", "second digit" },
		{ "11800138000", "second digit" },
		{ "10800138000", "second digit" },
		{ "1380013800000000000000000", "too many digits" },
	};

	check_bad(t, nitems(t));
}

static void
test_reject_landline_foreign(void **state)
{
	static const struct bad t[] = {
		{ "010-12345678", "landline" },
		{ "01012345678", "landline" },
		{ "0755-1234567", "landline" },
		{ "021 12345678", "landline" },
		{ "013800138000", "landline" },
		{ "+1 415 555 0100", "country code" },
		{ "+14155550100", "country code" },
		{ "+44 20 7946 0000", "country code" },
		{ "+852 9123 4567", "country code" },
		{ "001 415 555 0100", "country code" },
		{ "00852 9123 4567", "country code" },
		{ "(+1) 4155550100", "country code" },
		{ "(+852)91234567", "country code" },
	};

	check_bad(t, nitems(t));
}

static void
test_reject_junk(void **state)
{
	static const struct bad t[] = {
		{ "abc", "letters" },
		{ "1380013800O", "letters" },
		{ "138OO138000", "letters" },
		{ "tel:13800138000", "letters" },
		{ "13800138000x", "letters" },
		/* Full-width letter Ａ. */
		{ "1380013800\xef\xbc\xa1", "letters" },
		{ "138.0013.8000", "unexpected character" },
		{ "138/0013/8000", "unexpected character" },
		{ "13800138000;", "unexpected character" },
		{ "138_0013_8000", "unexpected character" },
		{ "\xe6\x89\x8b\xe6\x9c\xba 13800138000", "unexpected" },
		{ "++8613800138000", "more than one plus" },
		{ "+86+13800138000", "more than one plus" },
		{ "+86 138 0013 8000 +", "more than one plus" },
		{ "138+00138000", "plus sign" },
		{ "13800138000+", "plus sign" },
		{ "+", "no digits" },
		{ "-", "space or dash" },
		{ "138  0013 8000", "space or dash" },
		{ "138--0013-8000", "space or dash" },
		{ "138 -0013 8000", "space or dash" },
		{ "-13800138000", "space or dash" },
		{ "13800138000-", "space or dash" },
		{ "+ 86 13800138000", "space or dash" },
		{ "(+86)  13800138000", "space or dash" },
		{ "(+86 13800138000", "parenthesis" },
		{ "+86) 13800138000", "parenthesis" },
		{ "() 13800138000", "parenthesis" },
		{ "138(0013)8000", "parenthesis" },
		{ "13800138000()", "parenthesis" },
	};

	check_bad(t, nitems(t));
}

static void
test_reject_long_input(void **state)
{
	char		 in[256], out[PHONE_BUFSIZE];
	const char	*cause = NULL;

	memset(in, ' ', sizeof in - 1);
	in[sizeof in - 1] = '\0';
	memcpy(in + 100, "13800138000", 11);
	/* Surrounding space does not count towards the limit... */
	assert_int_equal(phone_normalize(in, out, &cause), 0);
	assert_string_equal(out, "13800138000");

	/* ...but a long run of junk is refused without looking further. */
	memset(in, '1', sizeof in - 1);
	assert_int_equal(phone_normalize(in, out, &cause), -1);
	assert_string_equal(cause, "number too long");
}

static void
test_mask(void **state)
{
	char	out[PHONE_BUFSIZE];

	phone_mask("13800138000", out);
	assert_string_equal(out, "138****8000");
	phone_mask("19912345678", out);
	assert_string_equal(out, "199****5678");

	/* Not canonical: masked whole rather than risk showing digits. */
	phone_mask("138 0013 8000", out);
	assert_string_equal(out, "***********");
	phone_mask("1380013800", out);
	assert_string_equal(out, "***********");
	phone_mask("", out);
	assert_string_equal(out, "***********");
	phone_mask(NULL, out);
	assert_string_equal(out, "***********");
}

static void
test_is_canonical(void **state)
{
	assert_true(phone_is_canonical("13800138000"));
	assert_true(phone_is_canonical("19900138000"));
	assert_false(phone_is_canonical(""));
	assert_false(phone_is_canonical(NULL));
	assert_false(phone_is_canonical("1380013800"));
	assert_false(phone_is_canonical("138001380000"));
	assert_false(phone_is_canonical("138 0013 8000"));
	assert_false(phone_is_canonical("+8613800138000"));
	assert_false(phone_is_canonical("8613800138000"));
	assert_false(phone_is_canonical("1380013800a"));
	assert_false(phone_is_canonical("12800138000"));
	assert_false(phone_is_canonical("14000138000"));
	assert_false(phone_is_canonical("01012345678"));
}

static void
test_cause_never_echoes(void **state)
{
	static const char	*in[] = {
		"13800138abc", "+1 13800138000", "1380013800",
		"138..0013..8000", "010-13800138", "++13800138000"
	};
	char			 out[PHONE_BUFSIZE];
	const char		*cause;
	size_t			 i;

	for (i = 0; i < nitems(in); i++) {
		cause = NULL;
		assert_int_equal(phone_normalize(in[i], out, &cause), -1);
		assert_non_null(cause);
		assert_null(strstr(cause, "138"));
		assert_null(strstr(cause, in[i]));
	}
}

/* The edges of the character classes, ASCII and full-width. */
static void
test_class_edges(void **state)
{
	static const struct good	good[] = {
		/* Full-width 0 and 9 (U+FF10, U+FF19). */
		{ "\xef\xbc\x91\xef\xbc\x93\xef\xbc\x99\xef\xbc\x90"
		  "\xef\xbc\x90\xef\xbc\x91\xef\xbc\x93\xef\xbc\x90"
		  "\xef\xbc\x90\xef\xbc\x90\xef\xbc\x99", "13900130009" },
		/* The ideographic space and the no-break space separate. */
		{ "138\xe3\x80\x80" "0013\xc2\xa0" "8000", "13800138000" },
	};
	static const struct bad		bad[] = {
		{ "1380013800a", "letters" },
		{ "1380013800z", "letters" },
		{ "1380013800A", "letters" },
		{ "1380013800Z", "letters" },
		{ "1380013800`", "unexpected character" },
		{ "1380013800{", "unexpected character" },
		{ "1380013800@", "unexpected character" },
		{ "1380013800[", "unexpected character" },
		{ "1380013800/", "unexpected character" },
		{ "1380013800:", "unexpected character" },
		/* U+FF21 U+FF3A U+FF41 U+FF5A are letters, their neighbours not. */
		{ "1380013800\xef\xbc\xa1", "letters" },
		{ "1380013800\xef\xbc\xba", "letters" },
		{ "1380013800\xef\xbd\x81", "letters" },
		{ "1380013800\xef\xbd\x9a", "letters" },
		{ "1380013800\xef\xbc\xa0", "unexpected character" },
		{ "1380013800\xef\xbc\xbb", "unexpected character" },
		{ "1380013800\xef\xbd\x80", "unexpected character" },
		{ "1380013800\xef\xbd\x9b", "unexpected character" },
		{ "1380013800\xef\xbe\x81", "unexpected character" },
		{ "1380013800\xee\xbd\x81", "unexpected character" },
		/* Full-width / and : beside the digits. */
		{ "1380013800\xef\xbc\x8f", "unexpected character" },
		{ "1380013800\xef\xbc\x9a", "unexpected character" },
		/* U+3001, U+3040 and U+2000-ish bytes are no spaces. */
		{ "138\xe3\x80\x81" "00138000", "unexpected character" },
		{ "138\xe3\x81\x80" "00138000", "unexpected character" },
		{ "138\xe2\x80\x80" "00138000", "unexpected character" },
		{ "138\xc2\xa1" "00138000", "unexpected character" },
	};

	(void)state;
	check_good(good, sizeof good / sizeof good[0]);
	check_bad(bad, sizeof bad / sizeof bad[0]);
}

/* A masked number is written whole, whatever the buffer held. */
static void
test_mask_dirty(void **state)
{
	char	out[PHONE_BUFSIZE];

	(void)state;
	memset(out, 'x', sizeof out);
	phone_mask("123", out);
	assert_string_equal(out, "***********");
	memset(out, 'x', sizeof out);
	phone_mask("13800138000", out);
	assert_string_equal(out, "138****8000");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_grouped),
		cmocka_unit_test(test_country_code),
		cmocka_unit_test(test_full_width),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_reject_shape),
		cmocka_unit_test(test_reject_landline_foreign),
		cmocka_unit_test(test_reject_junk),
		cmocka_unit_test(test_reject_long_input),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_is_canonical),
		cmocka_unit_test(test_cause_never_echoes),
		cmocka_unit_test(test_class_edges),
		cmocka_unit_test(test_mask_dirty),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
