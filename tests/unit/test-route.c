/*
 * test-route.c: route selection against a configuration from conf_load.
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
#include "conf.h"
#include "route.h"
#include "xmalloc.h"

#define CONF_DEPARTMENTS \
	"departments = (\n" \
	"  { id = \"mzj\"; name = \"嵊州市民政局\";\n" \
	"    signature = \"【嵊州民政】\";\n" \
	"    hotline = \"0575-83022222\"; },\n" \
	"  { id = \"yjj\"; name = \"嵊州市应急管理局\";\n" \
	"    signature = \"【嵊州应急】\";\n" \
	"    hotline = \"0575-83021111\";\n" \
	"    priorities = [ \"emergency\", \"urgent\", \"routine\" ]; }\n" \
	");\n"
#define CONF_CHANNELS \
	"channels = (\n" \
	"  { id = \"h1\"; type = \"http\"; url = \"https://a.example/s\";\n" \
	"    rate = \"100/s\"; },\n" \
	"  { id = \"h2\"; type = \"http\"; url = \"https://b.example/s\";\n" \
	"    rate = \"100/s\"; },\n" \
	"  { id = \"m0\"; type = \"modem\"; device = \"/dev/ttyUSB0\";\n" \
	"    rate = \"10/min\"; }\n" \
	");\n"

/* The first route is on line 19 of the file below, the third on 23. */
static const char conf_routes[] =
    CONF_DEPARTMENTS
    CONF_CHANNELS
    "routes = (\n"
    "  { channels = [ \"m0\", \"h1\" ]; priorities = [ \"emergency\" ];\n"
    "    spread = true; },\n"
    "  { channels = [ \"h2\" ]; departments = [ \"mzj\" ];\n"
    "    districts = [ \"3306\" ]; },\n"
    "  { channels = [ \"h1\" ]; carriers = [ \"telecom\" ]; },\n"
    "  { channels = [ \"h2\", \"m0\", \"h1\" ];\n"
    "    districts = [ \"4403\", \"33\" ]; },\n"
    "  { channels = [ \"h1\", \"h2\" ]; priorities = [ \"urgent\" ];\n"
    "    carriers = [ \"mobile\", \"unicom\" ]; }\n"
    ");\n";

static const char conf_none[] = CONF_DEPARTMENTS CONF_CHANNELS;

/* Load text as a configuration; fail the test on any problem. */
static struct conf *
load(const char *text)
{
	struct conf_errors	 errs;
	struct conf		*conf;
	FILE			*f;
	char			 path[64];
	size_t			 i;
	int			 fd;

	strlcpy(path, "/tmp/test-route.XXXXXX", sizeof path);
	fd = mkstemp(path);
	assert_true(fd != -1);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	memset(&errs, 0, sizeof errs);
	conf = conf_load(path, &errs);
	unlink(path);
	for (i = 0; i < errs.n; i++)
		print_error("%s\n", errs.msgs[i]);
	conf_errors_free(&errs);
	assert_non_null(conf);
	return (conf);
}

static int
setup_routes(void **state)
{
	*state = load(conf_routes);
	return (0);
}

static int
setup_none(void **state)
{
	*state = load(conf_none);
	return (0);
}

static int
teardown_conf(void **state)
{
	conf_free(*state);
	return (0);
}

/* Select for a message and check the route and the channel ids. */
static void
expect(const struct conf *conf, enum prio prio, const char *department,
    const char *district, enum carrier carrier, int route, int spread,
    const char *channels)
{
	struct route_msg	 msg;
	struct route_pick	 pick;
	char			 got[256];
	size_t			 i;

	memset(&msg, 0, sizeof msg);
	msg.prio = prio;
	msg.department = department;
	msg.district = district;
	msg.carrier = carrier;
	route_select(conf, &msg, &pick);
	got[0] = '\0';
	for (i = 0; i < pick.n; i++) {
		if (i > 0)
			strlcat(got, " ", sizeof got);
		strlcat(got, pick.channels[i]->id, sizeof got);
	}
	if (pick.route != route || strcmp(got, channels) != 0 ||
	    pick.spread != spread)
		fail_msg("%s/%s/%s/%s: route %d [%s] spread %d, want route %d "
		    "[%s] spread %d", conf_prio_name(prio),
		    department != NULL ? department : "-",
		    district != NULL ? district : "-", carrier_name(carrier),
		    pick.route, got, pick.spread, route, channels, spread);
}

static void
test_loaded(void **state)
{
	struct conf	*conf = *state;

	assert_int_equal(conf->nroutes, 5);
	assert_int_equal(conf->nchannels, 3);
	assert_int_equal(conf->routes[0].line, 19);
	assert_int_equal(conf->routes[2].line, 23);
	assert_null(conf->routes[0].carriers);
	assert_int_equal(conf->routes[2].ncarriers, 1);
}

static void
test_priority(void **state)
{
	struct conf	*conf = *state;

	/* Emergency takes the first route, spread over both channels. */
	expect(conf, PRIO_EMERGENCY, NULL, "", CARRIER_UNKNOWN, 0, 1,
	    "m0 h1");
	expect(conf, PRIO_EMERGENCY, "mzj", "330683", CARRIER_TELECOM, 0, 1,
	    "m0 h1");
	/* Urgent from nowhere in particular: the last route, by carrier. */
	expect(conf, PRIO_URGENT, NULL, "", CARRIER_MOBILE, 4, 0, "h1 h2");
	expect(conf, PRIO_URGENT, NULL, "", CARRIER_UNICOM, 4, 0, "h1 h2");
	/* Routine with nothing else matching: no channel at all. */
	expect(conf, PRIO_ROUTINE, NULL, "", CARRIER_MOBILE, -1, 0, "");
}

static void
test_department(void **state)
{
	struct conf	*conf = *state;

	/* Route 1 needs both the department and the district. */
	expect(conf, PRIO_ROUTINE, "mzj", "330683", CARRIER_MOBILE, 1, 0,
	    "h2");
	expect(conf, PRIO_URGENT, "mzj", "330683102", CARRIER_MOBILE, 1, 0,
	    "h2");
	/* Another department in the same district falls to route 3. */
	expect(conf, PRIO_ROUTINE, "yjj", "330683", CARRIER_MOBILE, 3, 0,
	    "h2 m0 h1");
	/* No department given never matches a department list. */
	expect(conf, PRIO_ROUTINE, NULL, "330683", CARRIER_MOBILE, 3, 0,
	    "h2 m0 h1");
}

static void
test_district(void **state)
{
	struct conf	*conf = *state;

	/* Prefixes: 33 and 4403 match their descendants, nothing else. */
	expect(conf, PRIO_ROUTINE, NULL, "33", CARRIER_MOBILE, 3, 0,
	    "h2 m0 h1");
	expect(conf, PRIO_ROUTINE, NULL, "440305", CARRIER_MOBILE, 3, 0,
	    "h2 m0 h1");
	expect(conf, PRIO_ROUTINE, NULL, "4404", CARRIER_MOBILE, -1, 0, "");
	expect(conf, PRIO_ROUTINE, NULL, "44", CARRIER_MOBILE, -1, 0, "");
	expect(conf, PRIO_ROUTINE, NULL, "3", CARRIER_MOBILE, -1, 0, "");
	/* mzj outside 3306 (but inside 33): route 3. */
	expect(conf, PRIO_ROUTINE, "mzj", "330102", CARRIER_MOBILE, 3, 0,
	    "h2 m0 h1");
	/* An unknown district ("" or NULL) never matches a district list. */
	expect(conf, PRIO_ROUTINE, "mzj", "", CARRIER_MOBILE, -1, 0, "");
	expect(conf, PRIO_ROUTINE, "mzj", NULL, CARRIER_MOBILE, -1, 0, "");
}

static void
test_carrier(void **state)
{
	struct conf	*conf = *state;

	/* Route 2 takes telecom, whatever the priority but emergency. */
	expect(conf, PRIO_ROUTINE, NULL, "", CARRIER_TELECOM, 2, 0, "h1");
	expect(conf, PRIO_URGENT, NULL, "", CARRIER_TELECOM, 2, 0, "h1");
	/* Order: route 1 comes first for mzj in 3306, even for telecom. */
	expect(conf, PRIO_ROUTINE, "mzj", "330683", CARRIER_TELECOM, 1, 0,
	    "h2");
	/* Telecom in 33 takes route 2, before route 3. */
	expect(conf, PRIO_ROUTINE, NULL, "330683", CARRIER_TELECOM, 2, 0,
	    "h1");
	/* Broadnet and unknown numbers never match a carrier list. */
	expect(conf, PRIO_URGENT, NULL, "", CARRIER_BROADNET, -1, 0, "");
	expect(conf, PRIO_URGENT, NULL, "", CARRIER_UNKNOWN, -1, 0, "");
	expect(conf, PRIO_URGENT, NULL, "4403", CARRIER_UNKNOWN, 3, 0,
	    "h2 m0 h1");
}

static void
test_unknown_channel(void **state)
{
	struct conf		*conf = *state;
	struct conf_route	*r = &conf->routes[3];

	/* conf_load refuses unknown ids; a channel gone is skipped anyway. */
	free(r->channels[1]);
	r->channels[1] = xstrdup("gone");
	expect(conf, PRIO_ROUTINE, NULL, "33", CARRIER_MOBILE, 3, 0,
	    "h2 h1");
}

static void
test_no_routes(void **state)
{
	struct conf	*conf = *state;

	assert_int_equal(conf->nroutes, 0);
	/* Every channel, in configuration order, for every message. */
	expect(conf, PRIO_ROUTINE, NULL, "", CARRIER_UNKNOWN, -1, 0,
	    "h1 h2 m0");
	expect(conf, PRIO_EMERGENCY, "yjj", "330683", CARRIER_TELECOM, -1, 0,
	    "h1 h2 m0");
	expect(conf, PRIO_URGENT, NULL, NULL, CARRIER_BROADNET, -1, 0,
	    "h1 h2 m0");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_loaded, setup_routes,
		    teardown_conf),
		cmocka_unit_test_setup_teardown(test_priority, setup_routes,
		    teardown_conf),
		cmocka_unit_test_setup_teardown(test_department, setup_routes,
		    teardown_conf),
		cmocka_unit_test_setup_teardown(test_district, setup_routes,
		    teardown_conf),
		cmocka_unit_test_setup_teardown(test_carrier, setup_routes,
		    teardown_conf),
		cmocka_unit_test_setup_teardown(test_unknown_channel,
		    setup_routes, teardown_conf),
		cmocka_unit_test_setup_teardown(test_no_routes, setup_none,
		    teardown_conf),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
