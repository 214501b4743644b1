/*
 * test-broadcast.c: the event contract (docs/events.md), parse and check.
 */
#include "compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "broadcast.h"
#include "buf.h"
#include "conf.h"
#include "district.h"
#include "tmpl.h"
#include "xmalloc.h"

/* The example of docs/events.md (subsidy_notice with its parameters). */
static const char example[] =
    "{\"id\": \"mzj-2026-0042\", \"department\": \"mzj\","
    " \"sent\": \"2026-11-27T16:05:00+08:00\", \"kind\": \"alert\","
    " \"references\": null, \"category\": \"subsidy\","
    " \"priority\": \"routine\","
    " \"audience\": {\"groups\": [\"elderly\", \"disabled\"],"
    " \"match\": \"any\", \"districts\": [\"330683102\"],"
    " \"exclude_districts\": []},"
    " \"template\": \"subsidy_notice\","
    " \"params\": {\"title\": \"困难群众价格临时补贴\","
    " \"detail\": \"发放标准调整为每人每月58元\","
    " \"effective_date\": \"12月1日\","
    " \"action\": \"已在领取的无需重新申请\"},"
    " \"not_before\": \"2026-11-28T08:00:00+08:00\","
    " \"expires\": \"2026-12-05T00:00:00+08:00\"}";

static const char cancel[] =
    "{\"id\": \"mzj-2026-0044\", \"department\": \"mzj\","
    " \"sent\": \"2026-11-27T16:05:00+08:00\", \"kind\": \"cancel\","
    " \"references\": \"mzj-2026-0042\", \"priority\": \"routine\"}";

static const char emergency[] =
    "{\"id\": \"mzj-2026-0050\", \"department\": \"mzj\","
    " \"sent\": \"2026-11-27T16:05:00+08:00\", \"kind\": \"alert\","
    " \"category\": \"disaster\", \"priority\": \"emergency\","
    " \"audience\": {\"districts\": [\"330683\"]},"
    " \"template\": \"disaster_warning\","
    " \"params\": {\"issuer\": \"嵊州市气象台\", \"time\": \"11月27日16时\","
    " \"hazard\": \"暴雨\", \"level\": \"红色\","
    " \"impact\": \"预计未来3小时将有100毫米以上降雨\","
    " \"advice\": \"请立即远离河道和山边\"},"
    " \"expires\": \"2026-11-28T04:00:00+08:00\"}";

static const char conf_text[] =
    "departments = (\n"
    "\t{\n"
    "\t\tid = \"mzj\";\n"
    "\t\tname = \"嵊州市民政局\";\n"
    "\t\tsignature = \"【嵊州民政】\";\n"
    "\t\thotline = \"0575-83022222\";\n"
    "\t}\n"
    ");\n";

static struct conf		*conf;
static struct district_table	*dt;
static struct tmpl_set		*ts;
static time_t			 now;	/* 2026-11-27T16:05:00+08:00 */

static int
setup(void **state)
{
	struct conf_errors	 errs;
	const char		*top;
	char			 dir[] = "/tmp/test-broadcast.XXXXXX";
	char			*path, *cause = NULL;
	FILE			*f;

	/* A fixed zone with no tzdata needed: China Standard Time. */
	setenv("TZ", "CST-8", 1);
	tzset();
	if ((top = getenv("top_srcdir")) == NULL || *top == '\0')
		top = ".";

	if (mkdtemp(dir) == NULL)
		return (-1);
	xasprintf(&path, "%s/civicast.conf", dir);
	if ((f = fopen(path, "w")) == NULL)
		return (-1);
	fputs(conf_text, f);
	fclose(f);
	memset(&errs, 0, sizeof errs);
	conf = conf_load(path, &errs);
	if (conf == NULL && errs.n > 0)
		print_error("%s\n", errs.msgs[0]);
	conf_errors_free(&errs);
	unlink(path);
	rmdir(dir);
	free(path);
	if (conf == NULL)
		return (-1);

	xasprintf(&path, "%s/data/divisions-cn.csv", top);
	dt = district_table_new();
	if (district_table_load(dt, path, &cause) != 0) {
		print_error("%s\n", cause);
		return (-1);
	}
	free(path);

	xasprintf(&path, "%s/templates", top);
	if ((ts = tmpl_set_load(path, &cause)) == NULL) {
		print_error("%s\n", cause);
		return (-1);
	}
	free(path);

	if (broadcast_time_parse("2026-11-27T16:05:00+08:00", &now) != 0)
		return (-1);
	return (0);
}

static int
teardown(void **state)
{
	conf_free(conf);
	district_table_free(dt);
	tmpl_set_free(ts);
	return (0);
}

/*
 * The text with the member at path ("audience.match") set to value (JSON
 * text, NULL to remove it); allocated.
 */
static char *
mutate(const char *text, const char *path, const char *value)
{
	json_error_t	 err;
	json_t		*root, *obj, *v;
	const char	*dot;
	char		*out, *sub;

	root = json_loads(text, 0, &err);
	assert_non_null(root);
	obj = root;
	if ((dot = strchr(path, '.')) != NULL) {
		sub = xstrndup(path, dot - path);
		obj = json_object_get(root, sub);
		free(sub);
		assert_non_null(obj);
		path = dot + 1;
	}
	if (value == NULL)
		json_object_del(obj, path);
	else {
		v = json_loads(value, JSON_DECODE_ANY, &err);
		assert_non_null(v);
		json_object_set_new(obj, path, v);
	}
	out = json_dumps(root, 0);
	assert_non_null(out);
	json_decref(root);
	return (out);
}

/* Parse text: want NULL expects success, else a cause containing want. */
static void
expect_parsed(const char *text, const char *want)
{
	struct broadcast	 ev;
	char		*cause = NULL;
	int		 rc;

	rc = broadcast_parse(text, strlen(text), &ev, &cause);
	if (want == NULL) {
		if (rc != 0)
			print_error("unexpected: %s\n", cause);
		assert_int_equal(rc, 0);
		assert_null(cause);
		broadcast_free(&ev);
		return;
	}
	if (rc == 0)
		print_error("parsed, expected \"%s\"\n", want);
	assert_int_equal(rc, -1);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		print_error("got \"%s\", expected \"%s\"\n", cause, want);
	assert_non_null(strstr(cause, want));
	free(cause);
}

/* Parse (must succeed) then check at t: want as for expect_parse. */
static void
expect_check_at(const char *text, time_t t, const char *want)
{
	struct broadcast	 ev;
	char		*cause = NULL;
	int		 rc;

	rc = broadcast_parse(text, strlen(text), &ev, &cause);
	if (rc != 0)
		print_error("parse: %s\n", cause);
	assert_int_equal(rc, 0);
	rc = broadcast_check(&ev, conf, dt, ts, t, &cause);
	broadcast_free(&ev);
	if (want == NULL) {
		if (rc != 0)
			print_error("unexpected: %s\n", cause);
		assert_int_equal(rc, 0);
		return;
	}
	if (rc == 0)
		print_error("checked, expected \"%s\"\n", want);
	assert_int_equal(rc, -1);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		print_error("got \"%s\", expected \"%s\"\n", cause, want);
	assert_non_null(strstr(cause, want));
	free(cause);
}

static void
expect_checked(const char *text, const char *want)
{
	expect_check_at(text, now, want);
}

/* Mutate the example and expect a parse failure. */
static void
expect_mutated(const char *base, const char *path, const char *value,
    const char *want)
{
	char	*text;

	text = mutate(base, path, value);
	expect_parsed(text, want);
	free(text);
}

/* Mutate and expect a check result. */
static void
expect_mutated_check(const char *base, const char *path, const char *value,
    const char *want)
{
	char	*text;

	text = mutate(base, path, value);
	expect_checked(text, want);
	free(text);
}

static time_t
at(const char *s)
{
	time_t	t;

	assert_int_equal(broadcast_time_parse(s, &t), 0);
	return (t);
}

static void
test_example(void **state)
{
	struct broadcast	 ev;
	char		*cause = NULL;

	assert_int_equal(broadcast_parse(example, strlen(example), &ev, &cause),
	    0);
	assert_string_equal(ev.id, "mzj-2026-0042");
	assert_string_equal(ev.department, "mzj");
	assert_int_equal(ev.sent, 1795766700);	/* 08:05:00Z */
	assert_int_equal(ev.kind, BROADCAST_ALERT);
	assert_null(ev.references);
	assert_string_equal(ev.category, "subsidy");
	assert_int_equal(ev.priority, PRIO_ROUTINE);
	assert_int_equal(ev.audience.ngroups, 2);
	assert_string_equal(ev.audience.groups[1], "disabled");
	assert_int_equal(ev.audience.match_all, 0);
	assert_int_equal(ev.audience.ignore_optout, 0);
	assert_int_equal(ev.audience.ndistricts, 1);
	assert_string_equal(ev.audience.districts[0], "330683102");
	assert_int_equal(ev.audience.nexclude, 0);
	assert_string_equal(ev.template, "subsidy_notice");
	assert_int_equal(ev.nparams, 4);
	assert_string_equal(broadcast_param(&ev, "effective_date"), "12月1日");
	assert_null(broadcast_param(&ev, "date"));
	assert_int_equal(ev.not_before, at("2026-11-28T00:00:00Z"));
	assert_int_equal(ev.expires, at("2026-12-04T16:00:00Z"));
	assert_int_equal(broadcast_check(&ev, conf, dt, ts, now, &cause), 0);
	assert_null(cause);
	broadcast_free(&ev);
	assert_null(ev.id);
}

static void
test_kinds(void **state)
{
	struct broadcast	 ev;
	char		*cause = NULL, *text;

	assert_string_equal(broadcast_kind_name(BROADCAST_ALERT), "alert");
	assert_string_equal(broadcast_kind_name(BROADCAST_UPDATE), "update");
	assert_string_equal(broadcast_kind_name(BROADCAST_CANCEL), "cancel");

	/* A cancel: no template, params, audience or times. */
	assert_int_equal(broadcast_parse(cancel, strlen(cancel), &ev, &cause),
	    0);
	assert_int_equal(ev.kind, BROADCAST_CANCEL);
	assert_string_equal(ev.references, "mzj-2026-0042");
	assert_null(ev.template);
	assert_int_equal(ev.expires, 0);
	assert_int_equal(broadcast_check(&ev, conf, dt, ts, now, &cause), 0);
	broadcast_free(&ev);
	expect_mutated(cancel, "template", "\"subsidy_notice\"",
	    "template: not allowed in a cancel");
	expect_mutated(cancel, "audience", "{}",
	    "audience: not allowed in a cancel");
	expect_mutated(cancel, "params", "{}",
	    "params: not allowed in a cancel");
	expect_mutated(cancel, "expires", "\"2026-12-05T00:00:00+08:00\"",
	    "expires: not allowed in a cancel");
	expect_mutated(cancel, "not_before", "\"2026-12-05T00:00:00+08:00\"",
	    "not_before: not allowed in a cancel");
	expect_mutated(cancel, "template", "null", NULL);
	expect_mutated(cancel, "references", NULL,
	    "references: missing (a cancel");
	expect_mutated(cancel, "references", "\"mzj-2026-0044\"",
	    "references: the event's own id");
	expect_mutated(cancel, "department", "\"abc\"", NULL);
	expect_mutated_check(cancel, "department", "\"abc\"",
	    "department: unknown department 'abc'");

	/* An update needs everything an alert needs, and references. */
	text = mutate(example, "kind", "\"update\"");
	expect_parsed(text, "references: missing (an update names the id");
	free(text);
	text = mutate(example, "kind", "\"update\"");
	expect_mutated_check(text, "references", "\"mzj-2026-0042-x\"", NULL);
	expect_mutated(text, "references", "\"a b\"",
	    "references: must be printable ASCII");
	free(text);
	text = mutate(example, "references", "\"mzj-2026-0041\"");
	expect_parsed(text, "references: must be null in an alert");
	free(text);
	expect_mutated(example, "kind", "\"warning\"",
	    "kind: must be alert, update or cancel");
	expect_mutated(example, "kind", NULL, "kind: missing");
}

static void
test_emergency(void **state)
{
	struct broadcast	 ev;
	char		*cause = NULL;

	assert_int_equal(broadcast_parse(emergency, strlen(emergency), &ev,
	    &cause), 0);
	assert_int_equal(ev.priority, PRIO_EMERGENCY);
	assert_int_equal(ev.audience.ngroups, 0);
	assert_int_equal(ev.audience.ignore_optout, 1);
	assert_int_equal(ev.not_before, 0);
	assert_int_equal(broadcast_check(&ev, conf, dt, ts, now, &cause), 0);
	broadcast_free(&ev);
}

static void
test_parse_rejects(void **state)
{
	char	long_id[BROADCAST_MAX_ID + 2], *v;

	memset(long_id, 'a', sizeof long_id);
	long_id[0] = '"';
	long_id[sizeof long_id - 1] = '\0';

	expect_mutated(example, "id", NULL, "id: missing");
	expect_mutated(example, "id", "\"\"", "id: empty");
	expect_mutated(example, "id", "\"a b\"",
	    "id: must be printable ASCII without spaces");
	expect_mutated(example, "id", "\"编号\"",
	    "id: must be printable ASCII without spaces");
	expect_mutated(example, "id", "42", "id: must be a string");
	expect_mutated(example, "id", "null", "id: missing");
	xasprintf(&v, "%s\"", long_id);	/* 64 a's: fine */
	expect_mutated(example, "id", v, NULL);
	free(v);
	xasprintf(&v, "%sa\"", long_id);	/* 65 */
	expect_mutated(example, "id", v, "id: longer than 64 bytes");
	free(v);
	expect_mutated(example, "department", "\"MZJ\"",
	    "department: must be 1-32 of a-z, 0-9, _ and -");
	expect_mutated(example, "department", "\"\"", "department: must be");
	expect_mutated(example, "department", NULL, "department: missing");
	expect_mutated(example, "sent", NULL, "sent: missing");
	expect_mutated(example, "sent", "\"2026-11-27 16:05:00+08:00\"",
	    "sent: '2026-11-27 16:05:00+08:00' is not an RFC 3339 time "
	    "(no 'T' between date and time)");
	expect_mutated(example, "sent", "\"2026-11-27T16:05:00\"",
	    "sent: '2026-11-27T16:05:00' is not an RFC 3339 time (no offset");
	expect_mutated(example, "sent", "1795766700", "sent: must be a string");
	expect_mutated(example, "category", "\"Subsidy\"",
	    "category: must be 1-32 of a-z, 0-9 and _");
	expect_mutated(example, "category", NULL, NULL);
	expect_mutated(example, "priority", "\"critical\"",
	    "priority: must be emergency, urgent or routine");
	expect_mutated(example, "priority", NULL, "priority: missing");
	expect_mutated(example, "foo", "1", "unknown key 'foo'");
	expect_mutated(example, "audience.foo", "1",
	    "audience: unknown key 'foo'");
	expect_mutated(example, "audience", NULL, "audience: missing");
	expect_mutated(example, "audience", "[]",
	    "audience: must be an object");
	expect_mutated(example, "audience.groups", "[\"elderly\", 3]",
	    "audience.groups[1]: must be a string");
	expect_mutated(example, "audience.groups", "\"elderly\"",
	    "audience.groups: must be an array");
	expect_mutated(example, "audience.groups", "[\"elderly\", \"\"]",
	    "audience.groups[1]: empty");
	expect_mutated(example, "audience.groups", NULL, NULL);
	expect_mutated(example, "audience.groups", "[]", NULL);
	expect_mutated(example, "audience.match", "\"some\"",
	    "audience.match: must be 'any' or 'all'");
	expect_mutated(example, "audience.match", NULL, NULL);
	expect_mutated(example, "audience.districts", "[]",
	    "audience.districts: missing or empty");
	expect_mutated(example, "audience.districts", NULL,
	    "audience.districts: missing or empty");
	expect_mutated(example, "audience.districts", "[\"330683\", \"3306x\"]",
	    "audience.districts[1]: '3306x' is not a district code");
	expect_mutated(example, "audience.exclude_districts", "[330683]",
	    "audience.exclude_districts[0]: must be a string");
	expect_mutated(example, "template", NULL, "template: missing");
	expect_mutated(example, "template", "\"Subsidy-Notice\"",
	    "template: must be 1-32 of a-z, 0-9 and _");
	expect_mutated(example, "params.effective_date", "12",
	    "params.effective_date: must be a string");
	expect_mutated(example, "params.Bad-Name", "\"x\"",
	    "params: bad name 'Bad-Name'");
	expect_mutated(example, "params", "[]", "params: must be an object");
	expect_mutated(example, "expires", NULL,
	    "expires: missing (an alert is never sent after it)");
	expect_mutated(example, "expires", "\"2026-02-29T00:00:00+08:00\"",
	    "(day out of range)");
	expect_mutated(example, "not_before", "\"2026-11-28T08:00:60+08:00\"",
	    "not_before: '2026-11-28T08:00:60+08:00' is not an RFC 3339 time "
	    "(second out of range");
	expect_mutated(example, "not_before", "\"1970-01-01T00:00:00Z\"",
	    "not_before: not after 1970-01-01T00:00:00Z");
	expect_mutated(example, "not_before", NULL, NULL);
}

static void
test_params_limits(void **state)
{
	struct buf	 b;
	char		*text, *v;
	int		 i;

	v = xmalloc(BROADCAST_MAX_PARAM_VALUE + 4);
	v[0] = '"';
	memset(v + 1, 'x', BROADCAST_MAX_PARAM_VALUE);
	strlcpy(v + 1 + BROADCAST_MAX_PARAM_VALUE, "\"", 2);
	expect_mutated(example, "params.title", v, NULL);
	strlcpy(v + BROADCAST_MAX_PARAM_VALUE, "xx\"", 4);
	expect_mutated(example, "params.title", v,
	    "params.title: longer than 1024 bytes");
	free(v);

	buf_init(&b, 0);
	buf_adds(&b, "{");
	for (i = 0; i <= BROADCAST_MAX_PARAMS; i++)
		buf_printf(&b, "%s\"p%d\": \"v\"", i ? ", " : "", i);
	buf_adds(&b, "}");
	text = mutate(example, "params", b.data);
	expect_parsed(text, "params: more than 32");
	free(text);
	buf_free(&b);
}

static void
test_json_errors(void **state)
{
	struct broadcast	 ev;
	char		*cause = NULL, *big;
	size_t		 len;

	expect_parsed("{\"id\": }", "JSON: line 1 column 8: ");
	expect_parsed("{\"id\": \"a\", \"id\": \"b\"}", "duplicate");
	expect_parsed("[1, 2]", "JSON: must be an object");
	expect_parsed("\"text\"", "JSON: line 1 column");
	expect_parsed("", "JSON: line");

	/* The size limit is on the bytes of the field, before parsing. */
	len = BROADCAST_MAX_JSON + 1;
	big = xmalloc(len);
	memset(big, ' ', len);
	assert_int_equal(broadcast_parse(big, len, &ev, &cause), -1);
	assert_string_equal(cause, "JSON: 16385 bytes, more than 16384");
	free(cause);
	free(big);

	/* A NUL inside the field is not JSON. */
	assert_int_equal(broadcast_parse("{}\0{}", 5, &ev, &cause), -1);
	assert_non_null(cause);
	free(cause);
}

static void
test_check_rejects(void **state)
{
	char	*text;

	expect_mutated_check(example, "department", "\"abc\"",
	    "department: unknown department 'abc'");
	expect_mutated_check(example, "template", "\"xyz\"",
	    "template: unknown template 'xyz'");
	expect_mutated_check(example, "audience.groups", "[\"elderly\", \"x\"]",
	    "audience.groups[1]: unknown group 'x'");
	expect_mutated_check(example, "audience.groups",
	    "[\"老年人\", \"elderly\"]", NULL);
	expect_mutated_check(example, "audience.districts",
	    "[\"330683\", \"330683999\"]", "audience.districts[1]: 330683999");
	expect_mutated_check(example, "audience.exclude_districts",
	    "[\"99\"]", "audience.exclude_districts[0]: 99");
	expect_mutated_check(example, "audience.exclude_districts",
	    "[\"330683102\"]", NULL);
	expect_mutated_check(example, "params.effective_date", NULL,
	    "params.effective_date: missing (template subsidy_notice uses "
	    "${effective_date})");
	expect_mutated_check(example, "params.date", "\"12月1日\"",
	    "params.date: not used by template subsidy_notice");
	expect_mutated_check(example, "params.hotline", "\"12345\"",
	    "params.hotline: filled by civicast");

	/* Times. */
	text = mutate(example, "sent", "\"2026-10-20T00:00:00+08:00\"");
	expect_mutated_check(text, "expires", "\"2026-11-01T00:00:00+08:00\"",
	    "expires: 2026-11-01T00:00:00+08:00 is in the past");
	free(text);
	expect_check_at(example, at("2026-12-05T00:00:00+08:00"),
	    "expires: 2026-12-05T00:00:00+08:00 is in the past");
	expect_check_at(example, at("2026-12-04T23:59:59+08:00"), NULL);
	expect_mutated_check(example, "not_before",
	    "\"2026-12-06T00:00:00+08:00\"", "not_before: after expires");
	expect_mutated_check(example, "not_before",
	    "\"2026-12-05T00:00:00+08:00\"", "not_before: equal to expires");
	expect_mutated_check(example, "not_before",
	    "\"2026-11-20T00:00:00+08:00\"", NULL);
	expect_mutated_check(example, "sent", "\"2026-11-27T16:10:00+08:00\"",
	    NULL);
	expect_mutated_check(example, "sent", "\"2026-11-27T16:10:01+08:00\"",
	    "sent: more than 300 s in the future");
	expect_mutated_check(cancel, "sent", "\"2026-11-27T08:10:01Z\"",
	    "sent: more than 300 s in the future");
	expect_mutated_check(example, "expires",
	    "\"2026-12-28T16:05:00+08:00\"", NULL);
	expect_mutated_check(example, "expires",
	    "\"2026-12-28T16:05:01+08:00\"",
	    "expires: more than 31 days after sent");
	text = mutate(example, "sent", "\"2026-11-27T16:09:00+08:00\"");
	expect_mutated_check(text, "expires", "\"2026-11-27T16:08:00+08:00\"",
	    "expires: not after sent");
	free(text);
}

/* broadcast_check leaves the event as it was (it checks a copy). */
static void
test_check_const(void **state)
{
	struct broadcast	 ev;
	char		*cause = NULL, *text;

	text = mutate(example, "audience.groups",
	    "[\"老年人\", \"elderly\", \"disabled\"]");
	assert_int_equal(broadcast_parse(text, strlen(text), &ev, &cause), 0);
	free(text);
	assert_int_equal(broadcast_check(&ev, conf, dt, ts, now, &cause), 0);
	assert_int_equal(ev.audience.ngroups, 3);
	assert_string_equal(ev.audience.groups[0], "老年人");
	assert_string_equal(ev.audience.groups[1], "elderly");
	broadcast_free(&ev);
}

static void
test_time_parse(void **state)
{
	time_t	t;

	assert_int_equal(broadcast_time_parse("1970-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(broadcast_time_parse("2026-11-27T08:05:00Z", &t), 0);
	assert_int_equal(t, 1795766700);
	assert_int_equal(broadcast_time_parse("2026-11-27T08:05:00z", &t), 0);
	assert_int_equal(t, 1795766700);
	assert_int_equal(broadcast_time_parse("2026-11-27t16:05:00+08:00", &t),
	    0);
	assert_int_equal(t, 1795766700);
	assert_int_equal(broadcast_time_parse("2026-11-27T02:35:00-05:30", &t),
	    0);
	assert_int_equal(t, 1795766700);
	assert_int_equal(broadcast_time_parse("2026-11-27T08:05:00-00:00", &t),
	    0);
	assert_int_equal(t, 1795766700);
	assert_int_equal(broadcast_time_parse("2026-11-27T16:05:00.999+08:00",
	    &t), 0);
	assert_int_equal(t, 1795766700);
	assert_int_equal(broadcast_time_parse("2026-11-27T16:05:00.1Z", &t), 0);
	assert_int_equal(t, 1795795500);
	assert_int_equal(broadcast_time_parse("2024-02-29T00:00:00Z", &t), 0);
	assert_int_equal(t, 1709164800);
	assert_int_equal(broadcast_time_parse("2000-02-29T23:59:59+00:00", &t),
	    0);
	assert_int_equal(t, 951868799);
	assert_int_equal(broadcast_time_parse("2026-12-31T23:59:59+14:00", &t),
	    0);
	assert_int_equal(t, 1798761599 - 14 * 3600);

	assert_int_equal(broadcast_time_parse("2026-11-27T16:05:00", &t), -1);
	assert_int_equal(broadcast_time_parse("2026-11-27T16:05+08:00", &t), -1);
	assert_int_equal(broadcast_time_parse("2026-11-27 16:05:00Z", &t), -1);
	assert_int_equal(broadcast_time_parse("2026-11-27", &t), -1);
	assert_int_equal(broadcast_time_parse("2026-13-01T00:00:00Z", &t), -1);
	assert_int_equal(broadcast_time_parse("2026-00-01T00:00:00Z", &t), -1);
	assert_int_equal(broadcast_time_parse("2026-04-31T00:00:00Z", &t), -1);
	assert_int_equal(broadcast_time_parse("2026-02-29T00:00:00Z", &t), -1);
	assert_int_equal(broadcast_time_parse("1900-02-29T00:00:00Z", &t), -1);
	assert_int_equal(broadcast_time_parse("2026-01-00T00:00:00Z", &t), -1);
	assert_int_equal(broadcast_time_parse("2026-12-31T23:59:60Z", &t), -1);
	assert_int_equal(broadcast_time_parse("2026-12-31T24:00:00Z", &t), -1);
	assert_int_equal(broadcast_time_parse("2026-12-31T23:60:00Z", &t), -1);
	assert_int_equal(broadcast_time_parse("2026-11-27T16:05:00.Z", &t), -1);
	assert_int_equal(broadcast_time_parse("2026-11-27T16:05:00+0800", &t),
	    -1);
	assert_int_equal(broadcast_time_parse("2026-11-27T16:05:00+08", &t), -1);
	assert_int_equal(broadcast_time_parse("2026-11-27T16:05:00+24:00", &t),
	    -1);
	assert_int_equal(broadcast_time_parse("2026-11-27T16:05:00+08:60", &t),
	    -1);
	assert_int_equal(broadcast_time_parse("2026-11-27T16:05:00Z ", &t), -1);
	assert_int_equal(broadcast_time_parse("2026-11-27T16:05:00ZZ", &t), -1);
	assert_int_equal(broadcast_time_parse("+2026-11-27T16:05:00Z", &t), -1);
	assert_int_equal(broadcast_time_parse("２０２６-11-27T16:05:00Z", &t), -1);
	assert_int_equal(broadcast_time_parse("", &t), -1);
}

static void
test_time_format(void **state)
{
	char	buf[64];
	time_t	t;

	assert_string_equal(broadcast_time_format(1795766700, buf, sizeof buf),
	    "2026-11-27T16:05:00+08:00");
	assert_int_equal(broadcast_time_parse(buf, &t), 0);
	assert_int_equal(t, 1795766700);

	setenv("TZ", "XYZ5:30", 1);	/* POSIX: 5:30 west, -05:30 */
	tzset();
	assert_string_equal(broadcast_time_format(1795766700, buf, sizeof buf),
	    "2026-11-27T02:35:00-05:30");
	assert_int_equal(broadcast_time_parse(buf, &t), 0);
	assert_int_equal(t, 1795766700);

	setenv("TZ", "UTC0", 1);
	tzset();
	assert_string_equal(broadcast_time_format(0, buf, sizeof buf),
	    "1970-01-01T00:00:00+00:00");

	setenv("TZ", "CST-8", 1);
	tzset();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_emergency),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_params_limits),
		cmocka_unit_test(test_json_errors),
		cmocka_unit_test(test_check_rejects),
		cmocka_unit_test(test_check_const),
		cmocka_unit_test(test_time_parse),
		cmocka_unit_test(test_time_format),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
