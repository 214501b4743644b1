/*
 * test-script.c: the declarations of the Lua operations: calls are
 * checked against them, and they match the operations each script has.
 */
#include "compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "script.h"

#include "registry-lua.h"

static int
fits(enum script_id id, const char *op, int argc, const char **argv)
{
	const struct script_op	*o;
	char			*cause = NULL;
	int			 rc;

	o = script_op_find(id, op);
	assert_non_null(o);
	rc = script_op_check(o, argc, argv, NULL, &cause);
	if (rc != 0) {
		assert_non_null(cause);
		free(cause);
	}
	return (rc);
}

static void
test_fixed(void **state)
{
	const char	*ok[] = { "12", "alice", "1796230000000" };
	const char	*bad[] = { "12", "alice", "17962x" };
	const char	*neg[] = { "-3", "alice", "0" };

	assert_int_equal(fits(SCRIPT_OUTBOX, "approve", 3, ok), 0);
	assert_int_equal(fits(SCRIPT_OUTBOX, "approve", 2, ok), -1);
	assert_int_equal(fits(SCRIPT_OUTBOX, "approve", 0, ok), -1);
	assert_int_equal(fits(SCRIPT_OUTBOX, "approve", 3, bad), -1);
	assert_int_equal(fits(SCRIPT_OUTBOX, "approve", 3, neg), 0);
	/* One too many for an operation without a repeated group. */
	assert_int_equal(fits(SCRIPT_OUTBOX, "hold", 4,
	    (const char *[]){ "1", "2", "why", "x" }), -1);
}

static void
test_optional(void **state)
{
	assert_int_equal(fits(SCRIPT_OUTBOX, "tick", 1,
	    (const char *[]){ "5" }), 0);
	assert_int_equal(fits(SCRIPT_OUTBOX, "tick", 2,
	    (const char *[]){ "5", "600000" }), 0);
	assert_int_equal(fits(SCRIPT_OUTBOX, "tick", 2,
	    (const char *[]){ "5", "soon" }), -1);
	assert_int_equal(fits(SCRIPT_OUTBOX, "tick", 3,
	    (const char *[]){ "5", "6", "7" }), -1);
	assert_int_equal(fits(SCRIPT_OUTBOX, "tick", 0, NULL), -1);
}

static void
test_groups(void **state)
{
	const char	*a[] = { "1", "0", "3", "0", "99",
	    "1", "13800130001", "t", "330683", "elderly",
	    "2", "13800130002", "t", "330683", "elderly" };

	/* enqueue E FROM NEXT LAST NOW (R PHONE TEXT DISTRICT GROUPS)* */
	assert_int_equal(fits(SCRIPT_OUTBOX, "enqueue", 5, a), 0);
	assert_int_equal(fits(SCRIPT_OUTBOX, "enqueue", 10, a), 0);
	assert_int_equal(fits(SCRIPT_OUTBOX, "enqueue", 15, a), 0);
	assert_int_equal(fits(SCRIPT_OUTBOX, "enqueue", 14, a), -1);
	assert_int_equal(fits(SCRIPT_OUTBOX, "enqueue", 11, a), -1);
	assert_int_equal(fits(SCRIPT_OUTBOX, "enqueue", 4, a), -1);
	/* An integer of the repeated group is checked in every group. */
	a[10] = "x";
	assert_int_equal(fits(SCRIPT_OUTBOX, "enqueue", 10, a), 0);
	assert_int_equal(fits(SCRIPT_OUTBOX, "enqueue", 15, a), -1);
	/* "*": any strings after the fixed ones. */
	assert_int_equal(fits(SCRIPT_REGISTRY, "count", 0, a), 0);
	assert_int_equal(fits(SCRIPT_REGISTRY, "count", 7, a), 0);
	assert_int_equal(fits(SCRIPT_REGISTRY, "list", 1,
	    (const char *[]){ "0" }), -1);
}

static void
test_unknown(void **state)
{
	assert_null(script_op_find(SCRIPT_OUTBOX, "upsert"));
	assert_null(script_op_find(SCRIPT_REGISTRY, "accept"));
	assert_null(script_op_find(SCRIPT_OUTBOX, "nosuch"));
	assert_string_equal(script_name(SCRIPT_RETENTION), "retention.lua");
}

/* The names in a script's "local ops = { name = fn, ... }" table. */
static size_t
lua_ops(const char *src, char names[][32], size_t max)
{
	const char	*p, *end;
	size_t		 n = 0, len;

	p = strstr(src, "\nlocal ops = {");
	assert_non_null(p);
	p += strlen("\nlocal ops = {");
	end = strchr(p, '}');
	assert_non_null(end);
	while (p < end && n < max) {
		while (p < end && strchr(" \t\n,", *p) != NULL)
			p++;
		if (p >= end)
			break;
		len = strcspn(p, " =");
		assert_true(len < 32);
		memcpy(names[n], p, len);
		names[n++][len] = '\0';
		p = strchr(p, ',');
		if (p == NULL || p > end)
			break;
	}
	return (n);
}

/* Every Lua operation is declared, and every declaration has one. */
static void
test_declared(void **state)
{
	const char			*src[SCRIPT_COUNT] = { lua_registry,
					    lua_outbox, lua_retention };
	const struct script_op		*ops;
	char				 names[64][32];
	size_t				 n, nops, i, j, seen;

	ops = script_ops(&nops);
	for (i = 0; i < SCRIPT_COUNT; i++) {
		n = lua_ops(src[i], names, 64);
		assert_true(n > 1);
		for (j = 0; j < n; j++) {
			if (script_op_find((enum script_id)i, names[j]) == NULL)
				fail_msg("%s: operation %s is not declared in "
				    "script.c", script_name((enum script_id)i),
				    names[j]);
		}
		seen = 0;
		for (j = 0; j < nops; j++)
			seen += ops[j].script == (enum script_id)i;
		assert_int_equal(seen, n);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed),
		cmocka_unit_test(test_optional),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_declared),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
