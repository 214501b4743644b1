/*
 * test-audience.c: the audience query, built from typed lists and
 * checked against the groups and districts (audience.c).
 */
#include "compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "audience.h"
#include "conf.h"
#include "district.h"
#include "xmalloc.h"

struct fix {
	struct conf		 conf;
	struct conf_group	 groups[3];
	struct district_table	*dt;
};

static int
setup(void **state)
{
	static const char	*codes[][2] = {
		{ "33", "浙江省" }, { "3306", "绍兴市" },
		{ "330683", "嵊州市" }, { "330602", "越城区" },
		{ "330683102", "崇仁镇" }, { "330683001", "剡湖街道" },
	};
	struct fix		*f;
	char			*cause = NULL;
	size_t			 i;

	f = xcalloc(1, sizeof *f);
	f->groups[0].id = (char *)"elderly";
	f->groups[0].name = (char *)"老年人";
	f->groups[1].id = (char *)"disabled";
	f->groups[1].name = (char *)"残疾人";
	f->groups[2].id = (char *)"dibao";
	f->groups[2].name = (char *)"低保对象";
	f->conf.groups = f->groups;
	f->conf.ngroups = 3;
	f->dt = district_table_new();
	for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		if (district_table_add(f->dt, codes[i][0], codes[i][1],
		    &cause) != 0) {
			print_error("%s\n", cause);
			free(cause);
			return (-1);
		}
	}
	*state = f;
	return (0);
}

static int
teardown(void **state)
{
	struct fix	*f = *state;

	district_table_free(f->dt);
	free(f);
	return (0);
}

/* Make a query; returns its status, the cause in *cause (or NULL). */
static int
make(struct fix *f, struct audience_query *q, const char *groups,
    const char *match, const char *districts, const char *exclude,
    char **cause)
{
	*cause = NULL;
	return (audience_query_make(q, &f->conf, f->dt, groups, match,
	    districts, exclude, cause));
}

static void
expect_fail(struct fix *f, const char *groups, const char *match,
    const char *districts, const char *exclude, const char *want)
{
	struct audience_query	 q;
	char			*cause;

	memset(&q, 0xa5, sizeof q);
	assert_int_equal(make(f, &q, groups, match, districts, exclude,
	    &cause), -1);
	assert_non_null(cause);
	assert_string_equal(cause, want);
	free(cause);
	/* A failed make leaves nothing to free. */
	assert_null(q.groups);
	assert_int_equal(q.ngroups, 0);
	assert_null(q.districts);
	assert_int_equal(q.ndistricts, 0);
	assert_null(q.exclude);
	assert_int_equal(q.nexclude, 0);
}

static void
test_match(void **state)
{
	struct fix		*f = *state;
	struct audience_query	 q;
	char			*cause;

	memset(&q, 0xa5, sizeof q);
	assert_int_equal(make(f, &q, NULL, NULL, NULL, NULL, &cause), 0);
	assert_null(cause);
	assert_int_equal(q.match_all, 0);
	assert_int_equal(q.ignore_optout, 0);
	assert_int_equal(q.ngroups, 0);
	assert_int_equal(q.ndistricts, 0);
	assert_int_equal(q.nexclude, 0);
	audience_query_free(&q);

	assert_int_equal(make(f, &q, "elderly", "any", NULL, NULL, &cause), 0);
	assert_int_equal(q.match_all, 0);
	audience_query_free(&q);
	assert_int_equal(make(f, &q, "elderly", "all", NULL, NULL, &cause), 0);
	assert_int_equal(q.match_all, 1);
	audience_query_free(&q);
	assert_int_equal(q.match_all, 0);
	assert_null(q.groups);

	expect_fail(f, "elderly", "ALL", NULL, NULL,
	    "match: must be 'any' or 'all'");
	expect_fail(f, "elderly", "", NULL, NULL,
	    "match: must be 'any' or 'all'");
	expect_fail(f, "elderly", "anyone", NULL, NULL,
	    "match: must be 'any' or 'all'");
}

static void
test_groups(void **state)
{
	struct fix		*f = *state;
	struct audience_query	 q;
	char			*cause;

	assert_int_equal(make(f, &q, "*", NULL, NULL, NULL, &cause), 0);
	assert_int_equal(q.ngroups, 0);
	audience_query_free(&q);

	assert_int_equal(make(f, &q, "disabled,elderly", NULL, NULL, NULL,
	    &cause), 0);
	assert_int_equal(q.ngroups, 2);
	assert_string_equal(q.groups[0], "disabled");
	assert_string_equal(q.groups[1], "elderly");
	audience_query_free(&q);

	/* Display names become ids; duplicates go, in either spelling. */
	assert_int_equal(make(f, &q, "老年人;dibao|elderly,低保对象,残疾人",
	    NULL, NULL, NULL, &cause), 0);
	assert_int_equal(q.ngroups, 3);
	assert_string_equal(q.groups[0], "elderly");
	assert_string_equal(q.groups[1], "dibao");
	assert_string_equal(q.groups[2], "disabled");
	audience_query_free(&q);

	expect_fail(f, "elderly,nosuch", NULL, NULL, NULL,
	    "groups: unknown group 'nosuch'");
	expect_fail(f, "nosuch,elderly", NULL, NULL, NULL,
	    "groups: unknown group 'nosuch'");
	/* A duplicate dropped before the error is not freed twice. */
	expect_fail(f, "elderly,老年人,nosuch", NULL, NULL, NULL,
	    "groups: unknown group 'nosuch'");
	/* A group name that cannot be shown as typed is not shown. */
	expect_fail(f, "bad\001name", NULL, NULL, NULL,
	    "groups: unknown group");
	expect_fail(f, "\xff\xfe", NULL, NULL, NULL, "groups: unknown group");
}

static void
test_group_name_length(void **state)
{
	struct fix	*f = *state;
	char		 name[80], want[128];

	/* Up to 63 bytes an unknown name is quoted, from 64 it is not. */
	memset(name, 'x', 63);
	name[63] = '\0';
	snprintf(want, sizeof want, "groups: unknown group '%s'", name);
	expect_fail(f, name, NULL, NULL, NULL, want);
	memset(name, 'x', 64);
	name[64] = '\0';
	expect_fail(f, name, NULL, NULL, NULL, "groups: unknown group");
}

static void
test_districts(void **state)
{
	struct fix		*f = *state;
	struct audience_query	 q;
	char			*cause;

	assert_int_equal(make(f, &q, NULL, NULL, "330683 3306;330683|33,3306",
	    "330683102", &cause), 0);
	assert_int_equal(q.ndistricts, 3);
	assert_string_equal(q.districts[0], "330683");
	assert_string_equal(q.districts[1], "3306");
	assert_string_equal(q.districts[2], "33");
	assert_int_equal(q.nexclude, 1);
	assert_string_equal(q.exclude[0], "330683102");
	audience_query_free(&q);
	assert_null(q.districts);
	assert_int_equal(q.ndistricts, 0);

	/* A village of a known township. */
	assert_int_equal(make(f, &q, NULL, NULL, "330683102001", NULL,
	    &cause), 0);
	assert_int_equal(q.ndistricts, 1);
	audience_query_free(&q);

	expect_fail(f, NULL, NULL, "330683,33068", NULL,
	    "districts: '33068' is not a district code of 2, 4, 6, 9 or 12 "
	    "digits");
	expect_fail(f, NULL, NULL, "123456789012345678901234", NULL,
	    "districts: '12345678901234567890' is not a district code of 2, "
	    "4, 6, 9 or 12 digits");
	expect_fail(f, NULL, NULL, "3306", "330683,3306x", "exclude_districts: "
	    "'3306x' is not a district code of 2, 4, 6, 9 or 12 digits");
	expect_fail(f, "elderly", NULL, NULL, "3306,44",
	    "exclude_districts: 44: unknown district code");
	expect_fail(f, NULL, NULL, "330683,330683,44", NULL,
	    "districts: 44: unknown district code");
}

static void
test_check_prefix(void **state)
{
	struct fix		*f = *state;
	struct audience_query	 q;
	char			*cause = NULL;

	memset(&q, 0, sizeof q);
	q.groups = xcalloc(2, sizeof *q.groups);
	q.groups[0] = xstrdup("残疾人");
	q.groups[1] = xstrdup("nobody");
	q.ngroups = 2;
	assert_int_equal(audience_query_check(&q, &f->conf, f->dt,
	    "audience.", &cause), -1);
	assert_string_equal(cause, "audience.groups: unknown group 'nobody'");
	free(cause);
	cause = NULL;
	audience_query_free(&q);

	q.districts = xcalloc(1, sizeof *q.districts);
	q.districts[0] = xstrdup("99");
	q.ndistricts = 1;
	assert_int_equal(audience_query_check(&q, &f->conf, f->dt,
	    "audience.", &cause), -1);
	assert_string_equal(cause, "audience.districts: 99: unknown district "
	    "code");
	free(cause);
	audience_query_free(&q);
}

/* A list of n copies of item, comma-separated. */
static char *
repeat(const char *item, size_t n)
{
	size_t	 len = strlen(item) + 1, i;
	char	*s;

	s = xmalloc(n * len + 1);
	for (i = 0; i < n; i++) {
		memcpy(s + i * len, item, len - 1);
		s[i * len + len - 1] = ',';
	}
	s[n * len - 1] = '\0';
	return (s);
}

static void
test_limits(void **state)
{
	struct fix		*f = *state;
	struct audience_query	 q;
	char			*cause, *s, want[64];

	s = repeat("elderly", AUDIENCE_MAX_ITEMS);
	assert_int_equal(make(f, &q, s, NULL, "33", NULL,
	    &cause), 0);
	assert_int_equal(q.ngroups, 1);
	audience_query_free(&q);
	free(s);
	s = repeat("elderly", AUDIENCE_MAX_ITEMS + 1);
	snprintf(want, sizeof want, "groups: more than %d",
	    AUDIENCE_MAX_ITEMS);
	expect_fail(f, s, NULL, NULL, NULL, want);
	free(s);

	s = repeat("3306", AUDIENCE_MAX_ITEMS);
	assert_int_equal(make(f, &q, NULL, NULL, s, s, &cause), 0);
	assert_int_equal(q.ndistricts, 1);
	assert_int_equal(q.nexclude, 1);
	audience_query_free(&q);
	free(s);
	s = repeat("3306", AUDIENCE_MAX_ITEMS + 1);
	snprintf(want, sizeof want, "districts: more than %d codes",
	    AUDIENCE_MAX_ITEMS);
	expect_fail(f, NULL, NULL, s, NULL, want);
	snprintf(want, sizeof want, "exclude_districts: more than %d codes",
	    AUDIENCE_MAX_ITEMS);
	expect_fail(f, NULL, NULL, "33", s, want);
	free(s);
}

static void
test_result_free(void **state)
{
	struct audience_result	r;

	(void)state;
	memset(&r, 0, sizeof r);
	r.phones = 5;
	r.nby_district = 2;
	r.by_district = xcalloc(2, sizeof *r.by_district);
	r.by_district[0].key = xstrdup("330683");
	r.by_district[1].key = xstrdup("3306");
	r.nby_group = 1;
	r.by_group = xcalloc(1, sizeof *r.by_group);
	r.by_group[0].key = xstrdup("elderly");
	audience_result_free(&r);	/* the sanitizer build sees a leak */
	assert_int_equal(r.phones, 0);
	assert_null(r.by_district);
	assert_int_equal(r.nby_district, 0);
	assert_null(r.by_group);
	assert_int_equal(r.nby_group, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_match, setup, teardown),
		cmocka_unit_test_setup_teardown(test_groups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_name_length, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_districts, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_check_prefix, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test(test_result_free),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
