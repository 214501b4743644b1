/*
 * test-scope.c: what a department may publish (scope.c): priorities,
 * templates, groups (by id or display name) and district prefixes.
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

#include "broadcast.h"
#include "conf.h"
#include "scope.h"

static struct conf_group groups[] = {
	{ (char *)"elderly", (char *)"老年人", 0 },
	{ (char *)"disabled", (char *)"残疾人", 0 },
	{ (char *)"dibao", (char *)"低保对象", 0 },
};

static char *tmpls[] = { (char *)"subsidy_notice", (char *)"dibao_review" };
static char *dgroups[] = { (char *)"elderly", (char *)"disabled" };
static char *ddistricts[] = { (char *)"330683", (char *)"330602001" };
static char *star[] = { (char *)"*" };

struct fix {
	struct conf		conf;
	struct conf_department	d;
	struct broadcast		ev;
	char		       *qg[4];
	char		       *qd[4];
};

static int
setup(void **state)
{
	static struct fix	f;

	memset(&f, 0, sizeof f);
	f.conf.groups = groups;
	f.conf.ngroups = 3;
	f.d.id = (char *)"mzj";
	f.d.priorities = PRIO_BIT(PRIO_ROUTINE) | PRIO_BIT(PRIO_URGENT);
	f.ev.kind = BROADCAST_ALERT;
	f.ev.priority = PRIO_ROUTINE;
	f.ev.template = (char *)"subsidy_notice";
	f.ev.audience.groups = f.qg;
	f.ev.audience.districts = f.qd;
	*state = &f;
	return (0);
}

/* scope_check, with the cause (or NULL) in *cause. */
static int
check(struct fix *f, char **cause)
{
	*cause = NULL;
	return (scope_check(&f->ev, &f->conf, &f->d, cause));
}

static void
expect_ok(struct fix *f)
{
	char	*cause;

	assert_int_equal(check(f, &cause), 0);
	assert_null(cause);
}

static void
expect_fail(struct fix *f, const char *want)
{
	char	*cause;

	assert_int_equal(check(f, &cause), -1);
	assert_non_null(cause);
	assert_string_equal(cause, want);
	free(cause);
}

static void
test_priorities(void **state)
{
	struct fix	*f = *state;

	expect_ok(f);
	f->ev.priority = PRIO_URGENT;
	expect_ok(f);
	f->ev.priority = PRIO_EMERGENCY;
	expect_fail(f, "scope: department mzj may not send emergency "
	    "messages (departments.[].priorities)");
	/* A cancel is checked for its priority too, and for nothing else. */
	f->ev.kind = BROADCAST_CANCEL;
	expect_fail(f, "scope: department mzj may not send emergency "
	    "messages (departments.[].priorities)");
	f->d.priorities = PRIO_BIT(PRIO_EMERGENCY);
	f->d.templates = tmpls;
	f->d.ntemplates = 2;
	f->ev.template = NULL;
	f->d.groups = dgroups;
	f->d.ngroups = 2;
	expect_ok(f);
	f->ev.kind = BROADCAST_UPDATE;
	f->ev.template = (char *)"heat_warning";
	expect_fail(f, "scope: department mzj may not use template "
	    "'heat_warning' (departments.[].templates)");
	f->ev.priority = PRIO_ROUTINE;
	f->d.priorities = PRIO_BIT(PRIO_URGENT);
	expect_fail(f, "scope: department mzj may not send routine "
	    "messages (departments.[].priorities)");
}

static void
test_templates(void **state)
{
	struct fix	*f = *state;

	/* No list: any template. */
	f->ev.template = (char *)"heat_warning";
	expect_ok(f);
	f->d.templates = tmpls;
	f->d.ntemplates = 2;
	expect_fail(f, "scope: department mzj may not use template "
	    "'heat_warning' (departments.[].templates)");
	f->ev.template = (char *)"subsidy_notice";
	expect_ok(f);
	f->ev.template = (char *)"dibao_review";
	expect_ok(f);
	/* The last of the list counts; one entry is a list too. */
	f->d.ntemplates = 1;
	expect_fail(f, "scope: department mzj may not use template "
	    "'dibao_review' (departments.[].templates)");
}

static void
test_groups(void **state)
{
	struct fix	*f = *state;

	/* No group limit, or "*": every resident may be reached. */
	expect_ok(f);
	f->d.groups = star;
	f->d.ngroups = 1;
	expect_ok(f);
	f->d.groups = dgroups;
	f->d.ngroups = 2;
	expect_fail(f, "scope: department mzj may not send to every resident "
	    "(no audience.groups); it may reach only its groups "
	    "(departments.[].groups)");
	f->qg[0] = (char *)"elderly";
	f->ev.audience.ngroups = 1;
	expect_ok(f);
	f->qg[1] = (char *)"残疾人";	/* by display name */
	f->ev.audience.ngroups = 2;
	expect_ok(f);
	f->qg[0] = (char *)"老年人";	/* the first group's display name */
	expect_ok(f);
	f->qg[0] = (char *)"elderly";
	f->qg[2] = (char *)"dibao";
	f->ev.audience.ngroups = 3;
	expect_fail(f, "scope: department mzj may not reach group 'dibao' "
	    "(departments.[].groups)");
	f->qg[2] = (char *)"低保对象";
	expect_fail(f, "scope: department mzj may not reach group '低保对象' "
	    "(departments.[].groups)");
	f->qg[0] = (char *)"nosuch";
	f->ev.audience.ngroups = 1;
	expect_fail(f, "scope: department mzj may not reach group 'nosuch' "
	    "(departments.[].groups)");
	/* "*" among others is a group name, not everyone. */
	f->qg[0] = (char *)"elderly";
	f->d.groups = (char *[]){ (char *)"*", (char *)"dibao" };
	f->d.ngroups = 2;
	expect_fail(f, "scope: department mzj may not reach group 'elderly' "
	    "(departments.[].groups)");
}

static void
test_districts(void **state)
{
	struct fix	*f = *state;

	f->qd[0] = (char *)"330683102";
	f->ev.audience.ndistricts = 1;
	expect_ok(f);
	f->d.districts = star;
	f->d.ndistricts = 1;
	expect_ok(f);
	f->d.districts = ddistricts;
	f->d.ndistricts = 2;
	expect_ok(f);
	f->qd[0] = (char *)"330683";
	expect_ok(f);
	f->qd[1] = (char *)"330602001007";
	f->ev.audience.ndistricts = 2;
	expect_ok(f);
	f->qd[1] = (char *)"330602";	/* wider than the department's */
	expect_fail(f, "scope: department mzj may not reach district 330602 "
	    "(departments.[].districts)");
	f->qd[1] = (char *)"3306";
	expect_fail(f, "scope: department mzj may not reach district 3306 "
	    "(departments.[].districts)");
	f->qd[0] = (char *)"330602002";
	f->ev.audience.ndistricts = 1;
	expect_fail(f, "scope: department mzj may not reach district "
	    "330602002 (departments.[].districts)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_priorities, setup),
		cmocka_unit_test_setup(test_templates, setup),
		cmocka_unit_test_setup(test_groups, setup),
		cmocka_unit_test_setup(test_districts, setup),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
