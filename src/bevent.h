/*
 * bevent.h: a department's broadcast event, as published to
 * <prefix>events (pure code, unit-tested and fuzzed; the contract is
 * docs/events.md).
 *
 * ("bevent", not "event": libevent owns struct event.)
 */
#ifndef CIVICAST_BEVENT_H
#define CIVICAST_BEVENT_H

#include <stddef.h>
#include <time.h>

#include "audience.h"
#include "conf.h"

/* Limits of the contract (docs/events.md). */
#define BEVENT_MAX_JSON		16384	/* bytes of the event field */
#define BEVENT_MAX_ID		64	/* printable ASCII */
#define BEVENT_MAX_CATEGORY	32	/* [a-z0-9_] */
#define BEVENT_MAX_PUBLISHER	32	/* a user name: [A-Za-z0-9._-] */
#define BEVENT_MAX_PARAMS	32
#define BEVENT_MAX_PARAM_NAME	32	/* [a-z0-9_] */
#define BEVENT_MAX_PARAM_VALUE	1024	/* bytes of UTF-8 */
#define BEVENT_MAX_LIFETIME	(31 * 86400)	/* expires - sent, seconds */
#define BEVENT_CLOCK_SKEW	CONF_CLOCK_SKEW	/* seconds `sent` may be ahead */

enum bevent_kind {
	BEVENT_ALERT,
	BEVENT_UPDATE,
	BEVENT_CANCEL
};

struct bevent_param {
	char	*name;
	char	*value;
};

struct bevent {
	char			*id;
	char			*department;
	time_t			 sent;
	enum bevent_kind	 kind;
	char			*references;	/* update/cancel: an earlier id */
	char			*category;	/* NULL when absent */
	char			*publisher;	/* user name; NULL when absent */
	enum prio		 priority;
	struct audience_query	 audience;	/* lists as given, unchecked */
	char			*template;	/* NULL for a cancel */
	struct bevent_param	*params;
	size_t			 nparams;
	time_t			 not_before;	/* 0: at once */
	time_t			 expires;	/* 0: none given */
};

/*
 * Parse the event field (JSON) into ev: syntax, types, required fields,
 * formats (RFC 3339 times with an offset, enum values, id and name
 * shapes) and size limits.  -1 with *cause naming the field, e.g.
 * "audience.groups[1]: must be a string".
 */
int	 bevent_parse(const char *json, size_t len, struct bevent *ev,
	    char **cause);
/*
 * Check a parsed event against the configuration, the district table and
 * the templates, at time now: unknown department, group, district or
 * template; a template parameter the event does not give; times in the
 * past or out of order (expires after now and after not_before; sent not
 * ahead of now by more than BEVENT_CLOCK_SKEW; the lifetime at most
 * BEVENT_MAX_LIFETIME).  Scopes and signatures are checked elsewhere.
 * -1 with *cause.
 */
struct district_table;
struct tmpl_set;
int	 bevent_check(const struct bevent *, const struct conf *,
	    const struct district_table *, const struct tmpl_set *,
	    time_t now, char **cause);
/* The value of a parameter, or NULL. */
const char *bevent_param(const struct bevent *, const char *name);
/* Free what ev holds (not ev itself). */
void	 bevent_free(struct bevent *);
/* "alert", "update", "cancel". */
const char *bevent_kind_name(enum bevent_kind);
/* Parse an RFC 3339 time ("2026-11-27T16:05:00+08:00"); -1 if malformed. */
int	 bevent_time_parse(const char *, time_t *);
/* Format a time as RFC 3339 in local time into buf. */
const char *bevent_time_format(time_t, char *buf, size_t len);

#endif
