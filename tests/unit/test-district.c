/*
 * test-district.c: the district table against the shipped NBS data.
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

#include "district.h"
#include "xmalloc.h"

#define SHAPE_MSG	"district code must be 2, 4, 6, 9 or 12 digits"

/* The shipped table, loaded fresh for each test that needs it. */
static int
setup_table(void **state)
{
	struct district_table	*t;
	const char		*top;
	char			*path, *cause = NULL;

	if ((top = getenv("top_srcdir")) == NULL)
		top = ".";
	xasprintf(&path, "%s/data/divisions-cn.csv", top);
	t = district_table_new();
	if (district_table_load(t, path, &cause) != 0) {
		print_error("%s\n", cause);
		free(cause);
		free(path);
		district_table_free(t);
		return (-1);
	}
	free(path);
	*state = t;
	return (0);
}

static int
teardown_table(void **state)
{
	district_table_free(*state);
	return (0);
}

/* Write text to a new temporary file; path must hold 64 bytes. */
static void
write_temp(char *path, const char *text)
{
	FILE	*f;
	int	 fd;

	strlcpy(path, "/tmp/test-district.XXXXXX", 64);
	fd = mkstemp(path);
	assert_true(fd != -1);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Load text from a temporary file into t; returns the load's result. */
static int
load_text(struct district_table *t, const char *text, char **cause)
{
	char	path[64];
	int	rc;

	write_temp(path, text);
	rc = district_table_load(t, path, cause);
	unlink(path);
	return (rc);
}

/* Assert that text fails to load with ":LINE: reason" in the cause. */
static void
assert_load_fails(const char *text, const char *where)
{
	struct district_table	*t = district_table_new();
	char			*cause = NULL;

	assert_int_equal(load_text(t, text, &cause), -1);
	assert_non_null(cause);
	if (strstr(cause, where) == NULL)
		fail_msg("cause \"%s\" lacks \"%s\"", cause, where);
	/* A failed load leaves the table as it was. */
	assert_int_equal(district_table_count(t), 0);
	free(cause);
	district_table_free(t);
}

static void
test_shape(void **state)
{
	const char	*good[] = { "33", "3306", "330683", "330683102",
			    "330683102001" };
	const char	*bad[] = { "", "3", "330", "33068", "3306831",
			    "33068310", "3306831020", "33068310200",
			    "3306831020011", "33a6", "abcd", " 33", "33 ",
			    "-33", "+3306", "３３", "33\n" };
	size_t		 i;

	for (i = 0; i < nitems(good); i++)
		assert_int_equal(district_shape_ok(good[i]), 1);
	for (i = 0; i < nitems(bad); i++) {
		if (district_shape_ok(bad[i]))
			fail_msg("\"%s\" accepted", bad[i]);
	}
	assert_int_equal(district_shape_ok(NULL), 0);
}

static void
test_levels(void **state)
{
	assert_int_equal(district_parent_len(12), 9);
	assert_int_equal(district_parent_len(9), 6);
	assert_int_equal(district_parent_len(6), 4);
	assert_int_equal(district_parent_len(4), 2);
	assert_int_equal(district_parent_len(2), 0);
	assert_int_equal(district_parent_len(5), 0);
	assert_string_equal(district_level_name(2), "province");
	assert_string_equal(district_level_name(4), "prefecture");
	assert_string_equal(district_level_name(6), "county");
	assert_string_equal(district_level_name(9), "township");
	assert_string_equal(district_level_name(12), "village");
	assert_string_equal(district_level_name(7), "?");
}

static void
test_prefixes(void **state)
{
	char	out[DISTRICT_NLEVELS][DISTRICT_BUFSIZE];

	assert_int_equal(district_prefixes("330683102", out), 4);
	assert_string_equal(out[0], "33");
	assert_string_equal(out[1], "3306");
	assert_string_equal(out[2], "330683");
	assert_string_equal(out[3], "330683102");

	assert_int_equal(district_prefixes("330683102001", out), 5);
	assert_string_equal(out[3], "330683102");
	assert_string_equal(out[4], "330683102001");

	assert_int_equal(district_prefixes("33", out), 1);
	assert_string_equal(out[0], "33");

	assert_int_equal(district_prefixes("33068", out), 0);
}

static void
test_load_real(void **state)
{
	struct district_table	*t = *state;
	const struct district	*d;

	assert_int_equal(district_table_count(t), 44703);

	d = district_find(t, "3306");
	assert_non_null(d);
	assert_string_equal(d->name, "绍兴市");
	assert_int_equal(d->len, 4);
	d = district_find(t, "330683");
	assert_non_null(d);
	assert_string_equal(d->name, "嵊州市");
	d = district_find(t, "330683102");
	assert_non_null(d);
	assert_string_equal(d->name, "崇仁镇");
	assert_int_equal(d->len, 9);

	/* First and last rows. */
	d = district_find(t, "11");
	assert_non_null(d);
	assert_string_equal(d->name, "北京市");
	assert_non_null(district_find(t, "65"));

	/* Codes are not dense. */
	assert_null(district_find(t, "330683004"));
	assert_null(district_find(t, "3306831"));
	assert_null(district_find(t, ""));
	assert_null(district_find(t, "3306831020011"));
}

static void
test_children(void **state)
{
	struct district_table	*t = *state;
	const struct district	**kids;
	const char		*counties[] = { "330602", "330603", "330604",
				    "330624", "330681", "330683" };
	size_t			 n, i;

	/* 31 mainland provinces; the NBS table has no 71, 81 or 82. */
	n = district_children(t, "", &kids);
	assert_int_equal(n, 31);
	assert_string_equal(kids[0]->code, "11");
	assert_string_equal(kids[30]->code, "65");
	for (i = 0; i < n; i++) {
		assert_int_equal(kids[i]->len, 2);
		if (i > 0)
			assert_true(strcmp(kids[i - 1]->code,
			    kids[i]->code) < 0);
	}
	assert_null(district_find(t, "71"));
	assert_null(district_find(t, "81"));
	assert_null(district_find(t, "82"));

	n = district_children(t, "3306", &kids);
	assert_int_equal(n, nitems(counties));
	for (i = 0; i < n; i++)
		assert_string_equal(kids[i]->code, counties[i]);
	assert_string_equal(kids[5]->name, "嵊州市");

	n = district_children(t, "33", &kids);
	assert_int_equal(n, 11);
	assert_string_equal(kids[5]->code, "3306");

	n = district_children(t, "330683", &kids);
	assert_int_equal(n, 15);
	assert_string_equal(kids[0]->code, "330683001");
	assert_string_equal(kids[0]->name, "剡湖街道");

	/* No villages shipped; nothing under a village; bad shapes. */
	assert_int_equal(district_children(t, "330683102", &kids), 0);
	assert_int_equal(district_children(t, "330683102001", &kids), 0);
	assert_int_equal(district_children(t, "33068", &kids), 0);
	assert_int_equal(district_children(t, "99", &kids), 0);
}

static void
test_check(void **state)
{
	struct district_table	*t = *state;
	const char		*cause;
	const char		*bad[] = { "33068", "33068310", "3306831020",
				    "33068310200", "3306831020011", "abcdef",
				    "3306a3", "", "33 06" };
	size_t			 i;

	assert_int_equal(district_check(t, "33", &cause), 0);
	assert_int_equal(district_check(t, "3306", &cause), 0);
	assert_int_equal(district_check(t, "330683102", &cause), 0);
	/* A village is valid by its township. */
	assert_int_equal(district_check(t, "330683102001", &cause), 0);

	cause = NULL;
	assert_int_equal(district_check(t, "330683999001", &cause), -1);
	assert_string_equal(cause, "unknown district code");
	cause = NULL;
	assert_int_equal(district_check(t, "330683999", &cause), -1);
	assert_string_equal(cause, "unknown district code");
	cause = NULL;
	assert_int_equal(district_check(t, "71", &cause), -1);
	assert_string_equal(cause, "unknown district code");

	for (i = 0; i < nitems(bad); i++) {
		cause = NULL;
		assert_int_equal(district_check(t, bad[i], &cause), -1);
		assert_string_equal(cause, SHAPE_MSG);
	}
}

static void
test_add(void **state)
{
	struct district_table	*t = *state;
	const struct district	**kids;
	const struct district	*d;
	char			*cause = NULL, name[80];
	size_t			 n;

	n = district_table_count(t);

	/* Villages under a township, added out of order. */
	assert_int_equal(district_table_add(t, "330683102003", "丙村",
	    &cause), 0);
	assert_int_equal(district_table_add(t, "330683102001", "甲村",
	    &cause), 0);
	assert_int_equal(district_table_add(t, "330683102002", "乙村",
	    &cause), 0);
	assert_int_equal(district_table_count(t), n + 3);
	assert_int_equal(district_children(t, "330683102", &kids), 3);
	assert_string_equal(kids[0]->code, "330683102001");
	assert_string_equal(kids[0]->name, "甲村");
	assert_string_equal(kids[1]->code, "330683102002");
	assert_string_equal(kids[2]->code, "330683102003");
	/* The township's neighbours are still found. */
	assert_int_equal(district_children(t, "330683", &kids), 15);
	assert_non_null(district_find(t, "330683103"));

	/* Rename. */
	assert_int_equal(district_table_add(t, "330683", "嵊州", &cause), 0);
	assert_int_equal(district_table_count(t), n + 3);
	d = district_find(t, "330683");
	assert_non_null(d);
	assert_string_equal(d->name, "嵊州");

	/* A province needs no parent; then its prefecture may follow. */
	assert_int_equal(district_table_add(t, "71", "台湾省", &cause), 0);
	assert_int_equal(district_table_add(t, "7101", "台北市", &cause), 0);
	assert_int_equal(district_children(t, "", &kids), 32);
	assert_string_equal(kids[31]->code, "71");

	/* Unknown parents. */
	assert_int_equal(district_table_add(t, "330683999001", "某村",
	    &cause), -1);
	assert_string_equal(cause, "unknown parent 330683999");
	free(cause);
	assert_int_equal(district_table_add(t, "8101", "某地", &cause), -1);
	assert_string_equal(cause, "unknown parent 81");
	free(cause);
	assert_null(district_find(t, "8101"));

	/* Bad shapes and names. */
	assert_int_equal(district_table_add(t, "33068", "某地", &cause), -1);
	assert_string_equal(cause, SHAPE_MSG);
	free(cause);
	assert_int_equal(district_table_add(t, "330683102004", "", &cause),
	    -1);
	assert_string_equal(cause, "empty name");
	free(cause);
	assert_int_equal(district_table_add(t, "330683102004", "a\tb",
	    &cause), -1);
	assert_string_equal(cause, "name contains a control character");
	free(cause);
	assert_int_equal(district_table_add(t, "330683102004", "\xc2\x85",
	    &cause), -1);
	assert_string_equal(cause, "name contains a control character");
	free(cause);
	assert_int_equal(district_table_add(t, "330683102004", "村\xff",
	    &cause), -1);
	assert_string_equal(cause, "name is not valid UTF-8");
	free(cause);
	assert_int_equal(district_table_add(t, "330683102004", "\xc0\xae",
	    &cause), -1);
	assert_string_equal(cause, "name is not valid UTF-8");
	free(cause);
	assert_int_equal(district_table_add(t, "330683102004",
	    "\xed\xa0\x80", &cause), -1);
	assert_string_equal(cause, "name is not valid UTF-8");
	free(cause);

	/* 64 bytes is the limit. */
	memset(name, 'x', 65);
	name[65] = '\0';
	assert_int_equal(district_table_add(t, "330683102004", name,
	    &cause), -1);
	assert_string_equal(cause, "name longer than 64 bytes");
	free(cause);
	name[64] = '\0';
	assert_int_equal(district_table_add(t, "330683102004", name,
	    &cause), 0);
	assert_int_equal(district_table_count(t), n + 6);
}

/* Many villages in reverse order: the table stays sorted and findable. */
static void
test_add_many(void **state)
{
	struct district_table	*t = *state;
	const struct district	**kids;
	char			*cause = NULL, code[DISTRICT_BUFSIZE];
	size_t			 n, i;
	int			 v;

	n = district_table_count(t);
	for (v = 999; v >= 1; v--) {
		snprintf(code, sizeof code, "330683102%03d", v);
		assert_int_equal(district_table_add(t, code, "村", &cause), 0);
	}
	assert_int_equal(district_table_count(t), n + 999);
	assert_int_equal(district_children(t, "330683102", &kids), 999);
	for (i = 1; i < 999; i++)
		assert_true(strcmp(kids[i - 1]->code, kids[i]->code) < 0);
	assert_non_null(district_find(t, "330683102500"));
	assert_non_null(district_find(t, "330683103"));
	assert_int_equal(district_children(t, "330683", &kids), 15);
	assert_int_equal(district_children(t, "", &kids), 31);
}

static void
test_empty(void **state)
{
	struct district_table	*t = district_table_new();
	const struct district	**kids;
	const char		*cause;
	char			*err = NULL;

	assert_int_equal(district_table_count(t), 0);
	assert_null(district_find(t, "33"));
	assert_int_equal(district_children(t, "", &kids), 0);
	assert_int_equal(district_check(t, "33", &cause), -1);
	assert_string_equal(cause, "unknown district code");
	assert_int_equal(district_table_add(t, "3306", "绍兴市", &err), -1);
	assert_string_equal(err, "unknown parent 33");
	free(err);
	assert_int_equal(district_table_add(t, "33", "浙江省", &err), 0);
	assert_int_equal(district_table_add(t, "3306", "绍兴市", &err), 0);
	assert_int_equal(district_children(t, "33", &kids), 1);
	district_table_free(t);
}

static void
test_load_small(void **state)
{
	struct district_table	*t = district_table_new();
	const struct district	**kids;
	const struct district	*d;
	char			*cause = NULL;

	/* BOM, CRLF, no final newline, rows out of order. */
	assert_int_equal(load_text(t,
	    "\xef\xbb\xbf" "code,name,parent,level\r\n"
	    "3306,绍兴市,33,prefecture\r\n"
	    "33,浙江省,,province\r\n"
	    "330683102,崇仁镇,330683,township\r\n"
	    "330683,嵊州市,3306,county\r\n"
	    "330602,越城区,3306,county", &cause), 0);
	assert_int_equal(district_table_count(t), 5);
	d = district_find(t, "330602");
	assert_non_null(d);
	assert_string_equal(d->name, "越城区");
	assert_int_equal(district_children(t, "3306", &kids), 2);
	assert_string_equal(kids[0]->code, "330602");
	assert_string_equal(kids[1]->code, "330683");

	/* A second file adds villages under the first one's townships. */
	assert_int_equal(load_text(t,
	    "code,name,parent,level\n"
	    "330683102002,乙村,330683102,village\n"
	    "330683102001,甲村,330683102,village\n", &cause), 0);
	assert_int_equal(district_table_count(t), 7);
	assert_int_equal(district_children(t, "330683102", &kids), 2);
	assert_string_equal(kids[0]->name, "甲村");

	/* ... but may not repeat a code already there. */
	assert_int_equal(load_text(t,
	    "code,name,parent,level\n"
	    "330683102003,丙村,330683102,village\n"
	    "330683102001,甲村,330683102,village\n", &cause), -1);
	assert_non_null(strstr(cause,
	    ":3: code 330683102001 is already in the table"));
	free(cause);
	assert_int_equal(district_table_count(t), 7);

	/* A header alone is an empty table. */
	district_table_free(t);
	t = district_table_new();
	assert_int_equal(load_text(t, "code,name,parent,level\n", &cause), 0);
	assert_int_equal(district_table_count(t), 0);
	district_table_free(t);
}

static void
test_load_bad(void **state)
{
	struct district_table	*t;
	char			*cause = NULL;

	assert_load_fails("", ":1: expected header");
	assert_load_fails("code,name,parent\n11,北京市,\n", ":1: expected "
	    "header");
	assert_load_fails("code,name,parent,level\n"
	    "11,北京市,,province\n"
	    "1101,市辖区,11,prefecture\n"
	    "110101,东城区,1102,county\n", ":4: parent must be 1101");
	assert_load_fails("code,name,parent,level\n"
	    "11,北京市,,province\n"
	    "11010,东城区,1101,county\n", ":3: " SHAPE_MSG);
	assert_load_fails("code,name,parent,level\n"
	    "11,北京市,,province\n"
	    "11x1,市辖区,11,prefecture\n", ":3: " SHAPE_MSG);
	assert_load_fails("code,name,parent,level\n"
	    "11,北京市,,province\n"
	    "1101,市辖区,11\n", ":3: expected 4 fields");
	assert_load_fails("code,name,parent,level\n"
	    "11,北京市,,province,x\n", ":2: expected 4 fields");
	assert_load_fails("code,name,parent,level\n"
	    "11,北京市,1,province\n", ":2: a province's parent must be "
	    "empty");
	assert_load_fails("code,name,parent,level\n"
	    "11,北京市,,province\n"
	    "1101,市辖区,11,county\n", ":3: level must be \"prefecture\"");
	assert_load_fails("code,name,parent,level\n"
	    "11,北京市,,province\n"
	    "1101,,11,prefecture\n", ":3: empty name");
	assert_load_fails("code,name,parent,level\n"
	    "11,北京\xe5,,province\n", ":2: name is not valid UTF-8");
	assert_load_fails("code,name,parent,level\n"
	    "11,北京\x7f市,,province\n", ":2: name contains a control");
	assert_load_fails("code,name,parent,level\n"
	    "11,\"北京市\",,province\n", ":2: quoted fields");
	assert_load_fails("code,name,parent,level\n"
	    "11,北京市,,province\n"
	    "\n"
	    "1101,市辖区,11,prefecture\n", ":3: empty line");
	assert_load_fails("code,name,parent,level\n"
	    "11,北京市,,province\n"
	    "11,北京市,,province\n",
	    ":3: duplicate code 11 (also on line 2)");
	/* Sorted file: the parent must come first. */
	assert_load_fails("code,name,parent,level\n"
	    "11,北京市,,province\n"
	    "1101,市辖区,11,prefecture\n"
	    "110101,东城区,1101,county\n"
	    "3306,绍兴市,33,prefecture\n", ":5: unknown parent 33");
	/* Unsorted file: lines survive the sort. */
	assert_load_fails("code,name,parent,level\n"
	    "1101,市辖区,11,prefecture\n"
	    "11,北京市,,province\n"
	    "110102,西城区,1101,county\n"
	    "110201,某区,1102,county\n", ":5: unknown parent 1102");
	assert_load_fails("code,name,parent,level\n"
	    "1101,市辖区,11,prefecture\n"
	    "11,北京市,,province\n"
	    "1101,市辖区,11,prefecture\n",
	    ":4: duplicate code 1101 (also on line 2)");

	/* The cause names the file; missing files say why. */
	t = district_table_new();
	assert_int_equal(district_table_load(t, "/nonexistent/d.csv",
	    &cause), -1);
	assert_string_equal(cause,
	    "/nonexistent/d.csv: No such file or directory");
	free(cause);
	assert_int_equal(district_table_load(t, "/tmp", &cause), -1);
	assert_string_equal(cause, "/tmp: not a regular file");
	free(cause);
	district_table_free(t);
}

/* The whole cause is "FILE:LINE: reason". */
static void
test_load_cause(void **state)
{
	struct district_table	*t = district_table_new();
	char			 path[64], *cause = NULL, *want;

	write_temp(path, "code,name,parent,level\n"
	    "33,浙江省,,province\n"
	    "3306,绍兴市,33,prefecture\n"
	    "330683,嵊州市,3305,county\n");
	assert_int_equal(district_table_load(t, path, &cause), -1);
	xasprintf(&want, "%s:4: parent must be 3306, the code's prefix one "
	    "level up", path);
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	unlink(path);
	district_table_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test_setup_teardown(test_load_real, setup_table,
		    teardown_table),
		cmocka_unit_test_setup_teardown(test_children, setup_table,
		    teardown_table),
		cmocka_unit_test_setup_teardown(test_check, setup_table,
		    teardown_table),
		cmocka_unit_test_setup_teardown(test_add, setup_table,
		    teardown_table),
		cmocka_unit_test_setup_teardown(test_add_many, setup_table,
		    teardown_table),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_load_small),
		cmocka_unit_test(test_load_bad),
		cmocka_unit_test(test_load_cause),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
