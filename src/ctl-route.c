/*
 * ctl-route.c: civicast route test.
 *
 * Shows which route the daemon would take for a message to one phone and
 * the channels it would try, with each channel's state when a running
 * civicastd publishes it (<prefix>channel:<id>; modems do, HTTP channels
 * do not).  Redis is optional here: without it the states show as "-".
 */
#include "compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <jansson.h>

#include "carrier.h"
#include "conf.h"
#include "ctl.h"
#include "rblock.h"
#include "district.h"
#include "phone.h"
#include "registry.h"
#include "route.h"
#include "xmalloc.h"

static int	route_test(struct ctl *, const struct cmdline_args *);

static const struct cmdline_opt route_test_opts[] = {
	{ "priority", 0, "P", 0, 0, 0,
	  "emergency, urgent or routine (the default)" },
	{ "department", 0, "D", 0, 0, 0,
	  "the publishing department, for routes that match on it" },
	{ "district", 0, "CODE", 0, 0, 0,
	  "the resident's division, for routes that match on it" },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

/* The route command family. */
const struct ctl_cmd ctl_route_cmds[] = {
	{ "route", "test", route_test_opts, "PHONE", 1, 1, CTL_JSON,
	  "show the route and channels a message to PHONE would take",
	  route_test },
	{ NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL }
};

/*
 * The state a daemon publishes for channel id (allocated), or NULL when
 * none does or Redis is not reachable.
 */
static char *
route_state(struct ctl *ctl, const char *id)
{
	redisReply	*r;
	json_t		*o;
	json_error_t	 jerr;
	const char	*s;
	char		*state = NULL;

	if (!ctl->reg_open)
		return (NULL);
	r = redisCommand(ctl->reg.c, "GET %schannel:%s", ctl->reg.prefix, id);
	if (r == NULL)
		return (NULL);
	if (r->type == REDIS_REPLY_STRING &&
	    (o = json_loads(r->str, 0, &jerr)) != NULL) {
		s = json_string_value(json_object_get(o, "state"));
		if (s != NULL)
			state = xstrdup(s);
		json_decref(o);
	}
	freeReplyObject(r);
	return (state);
}

/* Open Redis for the channel states; a failure only costs the states. */
static void
route_open(struct ctl *ctl)
{
	char	*cause;

	if (ctl->reg_open)
		return;
	if (registry_open(&ctl->reg, ctl_conf(ctl), &cause) != 0) {
		ctl_warnx("channel states unavailable: %s", cause);
		free(cause);
		return;
	}
	ctl->reg_open = 1;
}

static const char *
route_type(const struct conf_channel *c)
{
	return (c->type == CHANNEL_MODEM ? "modem" : "http");
}

static int
route_test(struct ctl *ctl, const struct cmdline_args *a)
{
	const struct conf_route	*r = NULL;
	struct conf		*conf;
	struct carrier_table	*ct;
	struct route_msg	 msg;
	struct route_pick	 pick;
	const char		*priority, *department, *district, *why;
	char			 phone[PHONE_BUFSIZE], masked[PHONE_BUFSIZE];
	char			*cause, *state;
	json_t			*o, *chans;
	size_t			 i;
	int			 p;

	priority = cmdline_string(a, "priority", "routine");
	department = cmdline_string(a, "department", NULL);
	district = cmdline_string(a, "district", NULL);
	if (phone_normalize(a->argv[0], phone, &why) != 0) {
		ctl_warnx("phone: %s", why);
		return (CTL_USAGE);
	}
	if ((p = conf_prio_parse(priority)) == -1) {
		ctl_warnx("--priority: \"%s\" must be emergency, urgent or "
		    "routine", priority);
		return (CTL_USAGE);
	}
	if (district != NULL && !district_shape_ok(district)) {
		ctl_warnx("--district: \"%s\" must be 2, 4, 6, 9 or 12 digits",
		    district);
		return (CTL_USAGE);
	}
	conf = ctl_conf(ctl);
	if (department != NULL &&
	    conf_department_find(conf, department) == NULL) {
		ctl_warnx("--department: unknown department \"%s\"",
		    department);
		return (CTL_USAGE);
	}
	if ((ct = carrier_load(conf->carriers_file, &cause)) == NULL) {
		ctl_warnx("carriers: %s", cause);
		free(cause);
		return (CTL_FAIL);
	}
	memset(&msg, 0, sizeof msg);
	msg.prio = (enum prio)p;
	msg.department = department;
	msg.district = district != NULL ? district : "";
	msg.carrier = carrier_of(ct, phone);
	carrier_free(ct);
	route_select(conf, &msg, &pick);
	if (pick.route >= 0)
		r = &conf->routes[pick.route];
	phone_mask(phone, masked);
	if (pick.n > 0)
		route_open(ctl);

	if (ctl->json) {
		chans = json_array();
		for (i = 0; i < pick.n; i++) {
			state = route_state(ctl, pick.channels[i]->id);
			json_array_append_new(chans, json_pack(
			    "{s:s, s:s, s:o}", "id", pick.channels[i]->id,
			    "type", route_type(pick.channels[i]),
			    "state", state != NULL ? json_string(state) :
			    json_null()));
			free(state);
		}
		o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:b, s:o}",
		    "phone", masked,
		    "carrier", carrier_name(msg.carrier),
		    "priority", conf_prio_name(msg.prio),
		    "department", department != NULL ?
		    json_string(department) : json_null(),
		    "district", district != NULL ? json_string(district) :
		    json_null(),
		    "route", r != NULL ? json_integer(pick.route) : json_null(),
		    "line", r != NULL ? json_integer(r->line) : json_null(),
		    "spread", pick.spread,
		    "channels", chans);
		ctl_json_print(o);
		return (pick.n > 0 ? CTL_OK : CTL_FAIL);
	}

	printf("phone       %s (%s)\n", masked, carrier_name(msg.carrier));
	printf("priority    %s\n", conf_prio_name(msg.prio));
	printf("department  %s\n", department != NULL ? department : "-");
	printf("district    %s\n", district != NULL ? district : "-");
	if (r != NULL)
		printf("route       routes[%d], %s:%d\n", pick.route,
		    conf->path != NULL ? conf->path : "(defaults)", r->line);
	else if (conf->nroutes == 0)
		printf("route       no routes configured: every channel\n");
	else
		printf("route       none of %zu routes matches\n",
		    conf->nroutes);
	if (pick.n == 0) {
		printf("channels    none\n");
		ctl_warnx("no channel would take this message");
		return (CTL_FAIL);
	}
	printf("channels    %s\n", pick.spread ? "spread, all at once" :
	    "in turn");
	for (i = 0; i < pick.n; i++) {
		state = route_state(ctl, pick.channels[i]->id);
		printf("  %2zu  %-16s %-6s %s\n", i + 1, pick.channels[i]->id,
		    route_type(pick.channels[i]), state != NULL ? state : "-");
		free(state);
	}
	return (CTL_OK);
}
