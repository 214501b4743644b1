/*
 * ctl-modem.c: civicast modem list.
 *
 * Each daemon writes the state of its modems to <prefix>channel:<id>
 * every few seconds (src/pipeline.c); a modem whose daemon is gone
 * drops out when its entry expires.
 */
#include "compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <jansson.h>

#include "ctl.h"
#include "rblock.h"
#include "registry.h"

static int	modem_list(struct ctl *, const struct cmdline_args *);

/* The modem command family. */
const struct ctl_cmd ctl_modem_cmds[] = {
	{ "modem", "list", NULL, NULL, 0, 0, CTL_JSON,
	  "each modem's state, signal, registration, IMEI, operator and counts",
	  modem_list },
	{ NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL }
};

static const char *
modem_s(json_t *o, const char *k)
{
	const char	*v = json_string_value(json_object_get(o, k));

	return (v != NULL ? v : "-");
}

static long long
modem_i(json_t *o, const char *k)
{
	return (json_integer_value(json_object_get(o, k)));
}

static int
modem_list(struct ctl *ctl, const struct cmdline_args *a)
{
	struct registry	*reg;
	redisReply	*r, *v;
	json_t		*arr, *o;
	json_error_t	 jerr;
	char		*cause;
	size_t		 i;

	reg = ctl_registry(ctl);
	r = redisCommand(reg->c, "SMEMBERS %schannels", reg->prefix);
	if (rblock_check(reg->c, r, &cause) != 0)
		ctl_redis_fail(ctl, cause);
	arr = json_array();
	for (i = 0; i < r->elements; i++) {
		v = redisCommand(reg->c, "GET %schannel:%s", reg->prefix,
		    r->element[i]->str);
		if (rblock_check(reg->c, v, &cause) != 0)
			ctl_redis_fail(ctl, cause);
		if (v->type == REDIS_REPLY_STRING &&
		    (o = json_loads(v->str, 0, &jerr)) != NULL) {
			if (strcmp(modem_s(o, "type"), "modem") == 0)
				json_array_append_new(arr, o);
			else
				json_decref(o);
		}
		freeReplyObject(v);
	}
	freeReplyObject(r);
	if (ctl->json) {
		ctl_json_print(arr);
		return (CTL_OK);
	}
	if (json_array_size(arr) == 0)
		printf("no modems reported by a running civicastd\n");
	else
		printf("%-8s %-12s %-16s %-14s %-6s %-4s %6s %6s %6s %s\n",
		    "modem", "state", "imei", "operator", "signal", "reg",
		    "sent", "failed", "unknwn", "instance");
	for (i = 0; i < json_array_size(arr); i++) {
		o = json_array_get(arr, i);
		printf("%-8s %-12s %-16s %-14s %-6lld %-4s %6lld %6lld %6lld %s"
		    "%s%s\n", modem_s(o, "id"), modem_s(o, "state"),
		    modem_s(o, "imei"), modem_s(o, "operator"),
		    modem_i(o, "signal"),
		    json_is_true(json_object_get(o, "registered")) ? "yes" :
		    "no", modem_i(o, "sent"), modem_i(o, "failed"),
		    modem_i(o, "unknown"), modem_s(o, "instance"),
		    json_is_string(json_object_get(o, "last_error")) ?
		    "  last error: " : "", json_is_string(json_object_get(o,
		    "last_error")) ? modem_s(o, "last_error") : "");
	}
	json_decref(arr);
	return (CTL_OK);
}
