/*
 * test-carrier.c: number ranges against the shipped data/carriers.csv.
 */
#include "compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "carrier.h"
#include "xmalloc.h"

/* The shipped table, loaded fresh for each test that needs it. */
static int
setup_table(void **state)
{
	struct carrier_table	*t;
	const char		*top;
	char			*path, *cause = NULL;

	if ((top = getenv("top_srcdir")) == NULL || *top == '\0')
		top = ".";
	xasprintf(&path, "%s/data/carriers.csv", top);
	if ((t = carrier_load(path, &cause)) == NULL) {
		print_error("%s\n", cause);
		free(cause);
		free(path);
		return (-1);
	}
	free(path);
	*state = t;
	return (0);
}

static int
teardown_table(void **state)
{
	carrier_free(*state);
	return (0);
}

/* Write text to a new temporary file; path must hold 64 bytes. */
static void
write_temp(char *path, const char *text)
{
	FILE	*f;
	int	 fd;

	strlcpy(path, "/tmp/test-carrier.XXXXXX", 64);
	fd = mkstemp(path);
	assert_true(fd != -1);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Assert that text fails to load with exactly "PATH:where" as cause. */
static void
assert_load_fails(const char *text, const char *where)
{
	struct carrier_table	*t;
	char			 path[64], *cause = NULL, *want;

	write_temp(path, text);
	t = carrier_load(path, &cause);
	unlink(path);
	assert_null(t);
	assert_non_null(cause);
	xasprintf(&want, "%s:%s", path, where);
	if (strcmp(cause, want) != 0)
		fail_msg("cause \"%s\", want \"%s\"", cause, want);
	free(want);
	free(cause);
}

/* Assert the carrier of every number starting with one of the prefixes. */
static void
expect(const struct carrier_table *t, enum carrier want,
    const char *const *prefixes, size_t n)
{
	char	phone[12];
	size_t	i, len;

	for (i = 0; i < n; i++) {
		len = strlen(prefixes[i]);
		memcpy(phone, prefixes[i], len);
		memset(phone + len, len % 2 == 0 ? '0' : '9', 11 - len);
		phone[11] = '\0';
		if (carrier_of(t, phone) != want)
			fail_msg("%s: %s, want %s", phone,
			    carrier_name(carrier_of(t, phone)),
			    carrier_name(want));
	}
}

static void
test_names(void **state)
{
	assert_string_equal(carrier_name(CARRIER_UNKNOWN), "unknown");
	assert_string_equal(carrier_name(CARRIER_MOBILE), "mobile");
	assert_string_equal(carrier_name(CARRIER_UNICOM), "unicom");
	assert_string_equal(carrier_name(CARRIER_TELECOM), "telecom");
	assert_string_equal(carrier_name(CARRIER_BROADNET), "broadnet");
	assert_string_equal(carrier_name((enum carrier)42), "unknown");
	assert_int_equal(carrier_parse("mobile"), CARRIER_MOBILE);
	assert_int_equal(carrier_parse("unicom"), CARRIER_UNICOM);
	assert_int_equal(carrier_parse("telecom"), CARRIER_TELECOM);
	assert_int_equal(carrier_parse("broadnet"), CARRIER_BROADNET);
	assert_int_equal(carrier_parse("unknown"), -1);
	assert_int_equal(carrier_parse("Mobile"), -1);
	assert_int_equal(carrier_parse(""), -1);
	assert_int_equal(carrier_parse(NULL), -1);
}

static void
test_shipped(void **state)
{
	static const char *const mobile[] = {
		"1340", "1341", "1345", "1348", "135", "136", "137", "138",
		"139", "147", "148", "150", "151", "152", "157", "158", "159",
		"165", "1703", "1705", "1706", "172", "178", "182", "183",
		"184", "187", "188", "195", "197", "198"
	};
	static const char *const unicom[] = {
		"130", "131", "132", "145", "146", "155", "156", "166", "167",
		"1704", "1707", "1708", "1709", "171", "175", "176", "185",
		"186", "196"
	};
	static const char *const telecom[] = {
		"133", "1349", "149", "153", "162", "1700", "1701", "1702",
		"173", "17400", "17403", "17405", "177", "180", "181", "189",
		"190", "191", "193", "199"
	};
	static const char *const broadnet[] = { "192" };
	/* Unallocated, IoT, MIIT emergency, Inmarsat, not mobile at all. */
	static const char *const unknown[] = {
		"140", "141", "142", "143", "144", "154", "160", "161", "163",
		"164", "168", "169", "17406", "17409", "1741", "1745", "1749",
		"179", "194", "100", "120", "200", "999"
	};
	struct carrier_table	*t = *state;

	expect(t, CARRIER_MOBILE, mobile, nitems(mobile));
	expect(t, CARRIER_UNICOM, unicom, nitems(unicom));
	expect(t, CARRIER_TELECOM, telecom, nitems(telecom));
	expect(t, CARRIER_BROADNET, broadnet, nitems(broadnet));
	expect(t, CARRIER_UNKNOWN, unknown, nitems(unknown));

	/* Whole numbers, as phone_normalize leaves them. */
	assert_int_equal(carrier_of(t, "13800138000"), CARRIER_MOBILE);
	assert_int_equal(carrier_of(t, "13412345678"), CARRIER_MOBILE);
	assert_int_equal(carrier_of(t, "13492345678"), CARRIER_TELECOM);
	assert_int_equal(carrier_of(t, "17012345678"), CARRIER_TELECOM);
	assert_int_equal(carrier_of(t, "17032345678"), CARRIER_MOBILE);
	assert_int_equal(carrier_of(t, "17042345678"), CARRIER_UNICOM);
	assert_int_equal(carrier_of(t, "17052345678"), CARRIER_MOBILE);
	assert_int_equal(carrier_of(t, "17092345678"), CARRIER_UNICOM);
	assert_int_equal(carrier_of(t, "17400012345"), CARRIER_TELECOM);
	assert_int_equal(carrier_of(t, "17412345678"), CARRIER_UNKNOWN);
	assert_int_equal(carrier_of(t, "18612345678"), CARRIER_UNICOM);
	assert_int_equal(carrier_of(t, "18912345678"), CARRIER_TELECOM);
	assert_int_equal(carrier_of(t, "19212345678"), CARRIER_BROADNET);
	/* Short or odd input never reads past the end. */
	assert_int_equal(carrier_of(t, "13"), CARRIER_UNKNOWN);
	assert_int_equal(carrier_of(t, "138"), CARRIER_MOBILE);
	assert_int_equal(carrier_of(t, ""), CARRIER_UNKNOWN);
	assert_int_equal(carrier_of(t, "+8613800138000"), CARRIER_UNKNOWN);
	assert_int_equal(carrier_of(t, NULL), CARRIER_UNKNOWN);
	assert_int_equal(carrier_of(NULL, "13800138000"), CARRIER_UNKNOWN);
}

static void
test_longest(void **state)
{
	struct carrier_table	*t;
	char			 path[64], *cause = NULL;

	write_temp(path, "# comment first\r\n"
	    "prefix,carrier\r\n"
	    "\r\n"
	    "134,mobile\r\n"
	    "# a comment between rows\n"
	    "1349,telecom\n"
	    "1349876,unicom\n"
	    "13498,broadnet");
	t = carrier_load(path, &cause);
	unlink(path);
	if (t == NULL)
		fail_msg("%s", cause);
	assert_int_equal(carrier_of(t, "13412345678"), CARRIER_MOBILE);
	assert_int_equal(carrier_of(t, "13491345678"), CARRIER_TELECOM);
	assert_int_equal(carrier_of(t, "13498045678"), CARRIER_BROADNET);
	assert_int_equal(carrier_of(t, "13498765678"), CARRIER_UNICOM);
	assert_int_equal(carrier_of(t, "13498775678"), CARRIER_BROADNET);
	assert_int_equal(carrier_of(t, "13512345678"), CARRIER_UNKNOWN);
	carrier_free(t);
}

static void
test_bad(void **state)
{
	struct carrier_table	*t;
	char			*cause = NULL;

	assert_load_fails("", "1: expected header \"prefix,carrier\"");
	assert_load_fails("# only a comment\n",
	    "1: expected header \"prefix,carrier\"");
	assert_load_fails("134,mobile\n",
	    "1: expected header \"prefix,carrier\"");
	assert_load_fails("# c\nprefix;carrier\n",
	    "2: expected header \"prefix,carrier\"");
	assert_load_fails("prefix,carrier\n", " no prefixes");
	assert_load_fails("prefix,carrier\n134,mobile\n13a,mobile\n",
	    "3: prefix must be 3 to 7 digits");
	assert_load_fails("prefix,carrier\n13,mobile\n",
	    "2: prefix must be 3 to 7 digits");
	assert_load_fails("prefix,carrier\n13800138,mobile\n",
	    "2: prefix must be 3 to 7 digits");
	assert_load_fails("prefix,carrier\n,mobile\n",
	    "2: prefix must be 3 to 7 digits");
	assert_load_fails("prefix,carrier\n 134,mobile\n",
	    "2: prefix must be 3 to 7 digits");
	assert_load_fails("prefix,carrier\n234,mobile\n",
	    "2: prefix must start with 1");
	assert_load_fails("prefix,carrier\n134\n",
	    "2: expected 2 fields: prefix,carrier");
	assert_load_fails("prefix,carrier\n134,mobile,x\n",
	    "2: expected 2 fields: prefix,carrier");
	assert_load_fails("prefix,carrier\n134,cmcc\n",
	    "2: unknown carrier \"cmcc\" (known: mobile, unicom, telecom, "
	    "broadnet)");
	assert_load_fails("prefix,carrier\n134,unknown\n",
	    "2: unknown carrier \"unknown\" (known: mobile, unicom, telecom, "
	    "broadnet)");
	assert_load_fails("prefix,carrier\n134,Mobile \n",
	    "2: unknown carrier \"Mobile \" (known: mobile, unicom, telecom, "
	    "broadnet)");
	assert_load_fails("prefix,carrier\n134,mobile\n# c\n\n135,mobile\n"
	    "134,telecom\n", "6: duplicate prefix 134 (first on line 2)");

	t = carrier_load("/nonexistent/carriers.csv", &cause);
	assert_null(t);
	assert_non_null(strstr(cause, "/nonexistent/carriers.csv: "));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_shipped, setup_table,
		    teardown_table),
		cmocka_unit_test(test_longest),
		cmocka_unit_test(test_bad),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
