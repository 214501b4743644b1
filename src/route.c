/*
 * route.c: which channels carry a message.
 *
 * Routes are tried in configuration order; the first whose conditions
 * all hold gives the channels.  With no routes at all every channel
 * carries everything; with routes and none matching, nothing does (the
 * caller reports the message as unroutable).
 */
#include "compat.h"

#include <string.h>

#include "carrier.h"
#include "conf.h"
#include "route.h"

/* 1 when s is one of the n strings in v. */
static int
route_has(char **v, size_t n, const char *s)
{
	size_t	i;

	if (s == NULL)
		return (0);
	for (i = 0; i < n; i++) {
		if (strcmp(v[i], s) == 0)
			return (1);
	}
	return (0);
}

/* 1 when one of the n prefixes in v is a prefix of code. */
static int
route_district(char **v, size_t n, const char *code)
{
	size_t	i;

	if (code == NULL || *code == '\0')
		return (0);
	for (i = 0; i < n; i++) {
		if (strcmp(v[i], "*") == 0 ||
		    strncmp(code, v[i], strlen(v[i])) == 0)
			return (1);
	}
	return (0);
}

/* 1 when every condition of r holds for msg. */
static int
route_matches(const struct conf_route *r, const struct route_msg *msg)
{
	if ((unsigned int)msg->prio >= PRIO_COUNT ||
	    (r->priorities & PRIO_BIT(msg->prio)) == 0)
		return (0);
	if (r->departments != NULL &&
	    !route_has(r->departments, r->ndepartments, msg->department))
		return (0);
	if (r->districts != NULL &&
	    !route_district(r->districts, r->ndistricts, msg->district))
		return (0);
	if (r->carriers != NULL && (msg->carrier == CARRIER_UNKNOWN ||
	    !route_has(r->carriers, r->ncarriers, carrier_name(msg->carrier))))
		return (0);
	return (1);
}

/* Fill pick with the channels for msg, in order of preference. */
void
route_select(const struct conf *conf, const struct route_msg *msg,
    struct route_pick *pick)
{
	const struct conf_route		*r;
	const struct conf_channel	*c;
	size_t				 i, j;

	memset(pick, 0, sizeof *pick);
	pick->route = -1;
	if (conf->nroutes == 0) {
		for (i = 0; i < conf->nchannels; i++) {
			if (pick->n == nitems(pick->channels))
				break;
			pick->channels[pick->n++] = &conf->channels[i];
		}
		return;
	}
	for (i = 0; i < conf->nroutes; i++) {
		r = &conf->routes[i];
		if (!route_matches(r, msg))
			continue;
		pick->route = (int)i;
		pick->spread = r->spread;
		for (j = 0; j < r->nchannels; j++) {
			if (pick->n == nitems(pick->channels))
				break;
			c = conf_channel_find(conf, r->channels[j]);
			if (c != NULL)
				pick->channels[pick->n++] = c;
		}
		return;
	}
}
