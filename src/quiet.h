/*
 * quiet.h: quiet hours, when routine (and optionally urgent) messages
 * are held back (pure code, unit-tested with an injected clock).  Times
 * are local to the configured timezone (util_set_timezone sets TZ).
 */
#ifndef CIVICAST_QUIET_H
#define CIVICAST_QUIET_H

#include <time.h>

#include "conf.h"

struct quiet {
	int		enabled;
	int		start;		/* minutes after midnight */
	int		end;		/* minutes; before start: spans midnight */
	unsigned int	prios;		/* PRIO_BIT set held back */
};

/* From the configuration; -1 with cause for a malformed time. */
int	 quiet_from_conf(const struct conf *, struct quiet *, char **cause);
/* 1 when a message of priority p must wait at time t (never emergency). */
int	 quiet_holds(const struct quiet *, enum prio p, time_t t);
/*
 * When the quiet period holding t ends (local end time, DST-aware), or t
 * itself when t is not quiet.
 */
time_t	 quiet_release(const struct quiet *, time_t t);

#endif
