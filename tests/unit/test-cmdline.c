/*
 * test-cmdline.c: a command line parsed against its option table.
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

#include "cmdline.h"

static const struct cmdline_opt opts[] = {
	{ "id", 0, "ID", CMDLINE_REQUIRED, 0, 0, "the id" },
	{ "dry-run", 'n', NULL, 0, 0, 0, "change nothing" },
	{ "limit", 0, "N", CMDLINE_NUMBER, 1, 100, "at most N" },
	{ "param", 0, "K=V", CMDLINE_REPEAT, 0, 0, "a parameter" },
	{ "match", 0, "any|all", 0, 0, 0, "how" },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

/* Parse a NULL-terminated list of words (copied: getopt permutes). */
static int
parse(struct cmdline_args *a, char **cause, int nmin, int nmax, ...)
{
	static char	*argv[32];
	static char	 words[32][64];
	va_list		 ap;
	const char	*w;
	int		 argc = 0;

	va_start(ap, nmax);
	while ((w = va_arg(ap, const char *)) != NULL) {
		snprintf(words[argc], sizeof words[argc], "%s", w);
		argv[argc] = words[argc];
		argc++;
	}
	va_end(ap);
	argv[argc] = NULL;
	*cause = NULL;
	return (cmdline_parse(opts, nmin, nmax, argc, argv, a, cause));
}

static void
test_values(void **state)
{
	struct cmdline_args	 a;
	const char * const	*v;
	char			*cause;

	assert_int_equal(parse(&a, &cause, 1, 1, "cmd", "--id", "e1", "F",
	    "--limit=7", "-n", "--param", "a=1", "--param", "b=2", NULL), 0);
	assert_string_equal(cmdline_string(&a, "id", NULL), "e1");
	assert_int_equal(cmdline_given(&a, "dry-run"), 1);
	assert_int_equal(cmdline_number(&a, "limit", 50), 7);
	assert_int_equal(cmdline_list(&a, "param", &v), 2);
	assert_string_equal(v[0], "a=1");
	assert_string_equal(v[1], "b=2");
	assert_null(v[2]);
	/* Options may follow the operand (GNU order). */
	assert_int_equal(a.argc, 1);
	assert_string_equal(a.argv[0], "F");
	assert_string_equal(cmdline_string(&a, "match", "any"), "any");
	cmdline_free(&a);

	/* Defaults when absent; the last of a repeated plain option wins. */
	assert_int_equal(parse(&a, &cause, 0, 0, "cmd", "--id", "x", "--id",
	    "y", NULL), 0);
	assert_string_equal(cmdline_string(&a, "id", NULL), "y");
	assert_int_equal(cmdline_number(&a, "limit", 50), 50);
	assert_int_equal(cmdline_given(&a, "dry-run"), 0);
	assert_int_equal(cmdline_list(&a, "param", &v), 0);
	cmdline_free(&a);

	/* "--" ends the options: what follows is an operand. */
	assert_int_equal(parse(&a, &cause, 1, 1, "cmd", "--id", "x", "--",
	    "--limit", NULL), 0);
	assert_string_equal(a.argv[0], "--limit");
	cmdline_free(&a);
}

static void
test_help(void **state)
{
	struct cmdline_args	a;
	char			*cause;

	/* --help wins over a missing required option and operands. */
	assert_int_equal(parse(&a, &cause, 1, 1, "cmd", "--help", NULL), 1);
	cmdline_free(&a);
	assert_int_equal(parse(&a, &cause, 1, 1, "cmd", "-h", NULL), 1);
	cmdline_free(&a);
}

static void
expect_cause(const char *want, int nmin, int nmax, const char *w1,
    const char *w2, const char *w3)
{
	struct cmdline_args	 a;
	char			*cause;

	assert_int_equal(parse(&a, &cause, nmin, nmax, "cmd", w1, w2, w3,
	    NULL), -1);
	assert_non_null(cause);
	assert_string_equal(cause, want);
	free(cause);
}

static void
test_errors(void **state)
{
	expect_cause("--id is required", 0, 0, "-n", NULL, NULL);
	expect_cause("--limit: '0' is too small (1-100)", 0, 0, "--id", "x",
	    "--limit=0");
	expect_cause("--limit: '101' is too large (1-100)", 0, 0, "--id",
	    "x", "--limit=101");
	expect_cause("--limit: '7x' is invalid (1-100)", 0, 0, "--id", "x",
	    "--limit=7x");
	expect_cause("--id needs a value (ID)", 0, 0, "--id", NULL, NULL);
	expect_cause("unknown option '--nope'", 0, 0, "--nope", NULL, NULL);
	expect_cause("unknown option '-z'", 0, 0, "-z", NULL, NULL);
	expect_cause("--dry-run: takes no value", 0, 0, "--id", "x",
	    "--dry-run=1");
	expect_cause("unexpected argument 'F'", 0, 0, "--id", "x", "F");
	expect_cause("too many arguments (at most 1)", 0, 1, "--id=x", "F",
	    "G");
	expect_cause("missing argument (1 expected)", 1, 1, "--id", "x",
	    NULL);
}

static void
test_synopsis(void **state)
{
	char	*text = NULL;
	size_t	 len = 0;
	FILE	*f;

	assert_non_null(f = open_memstream(&text, &len));
	cmdline_synopsis(f, opts);
	fclose(f);
	assert_string_equal(text, "--id ID [--dry-run] [--limit N] "
	    "[--param K=V]... [--match any|all]");
	free(text);

	assert_non_null(f = open_memstream(&text, &len));
	cmdline_describe(f, opts);
	fclose(f);
	assert_non_null(strstr(text, "  --id ID "));
	assert_non_null(strstr(text, "the id; required\n"));
	assert_non_null(strstr(text, "  -n, --dry-run "));
	assert_non_null(strstr(text, "at most N (1-100)\n"));
	assert_non_null(strstr(text, "a parameter; may be repeated\n"));
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_synopsis),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
