/*
 * route.h: which channels carry a message (pure code, unit-tested).
 *
 * The first configured route whose conditions all hold is taken:
 * priorities, departments, district prefixes, carriers (an absent list
 * means any).  Its channels are tried in order (or, with spread, all at
 * once); the caller skips channels that are down, quarantined, failing
 * or full, and falls back along the list.  No route at all: every
 * channel, in configuration order.
 */
#ifndef CIVICAST_ROUTE_H
#define CIVICAST_ROUTE_H

#include <stddef.h>

#include "carrier.h"
#include "conf.h"

struct route_msg {
	enum prio	 prio;
	const char	*department;
	const char	*district;	/* the recipient's code; may be "" */
	enum carrier	 carrier;
};

struct route_pick {
	int		 route;		/* index in conf->routes, -1: none */
	int		 spread;
	size_t		 n;
	const struct conf_channel *channels[64];
};

/* Fill pick with the channels for msg, in order of preference. */
void	 route_select(const struct conf *, const struct route_msg *,
	    struct route_pick *);

#endif
