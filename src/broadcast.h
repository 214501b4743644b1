/*
 * broadcast.h: a department's broadcast event, as published to
 * <prefix>events (pure code, unit-tested and fuzzed; the contract is
 * docs/events.md).
 *
 * ("broadcast", not "event": libevent owns struct event.)
 */
#ifndef CIVICAST_BROADCAST_H
#define CIVICAST_BROADCAST_H

#include <stddef.h>
#include <time.h>

#include "audience.h"
#include "conf.h"

/* Limits of the contract (docs/events.md). */
#define BROADCAST_MAX_JSON		16384	/* bytes of the event field */
#define BROADCAST_MAX_ID		64	/* printable ASCII */
#define BROADCAST_MAX_CATEGORY	32	/* [a-z0-9_] */
#define BROADCAST_MAX_PUBLISHER	32	/* a user name: [A-Za-z0-9._-] */
#define BROADCAST_MAX_PARAMS	32
#define BROADCAST_MAX_PARAM_NAME	32	/* [a-z0-9_] */
#define BROADCAST_MAX_PARAM_VALUE	1024	/* bytes of UTF-8 */
#define BROADCAST_MAX_LIFETIME	(31 * 86400)	/* expires - sent, seconds */
#define BROADCAST_CLOCK_SKEW	CONF_CLOCK_SKEW	/* seconds `sent` may be ahead */

enum broadcast_kind {
	BROADCAST_ALERT,
	BROADCAST_UPDATE,
	BROADCAST_CANCEL
};

struct broadcast_param {
	char	*name;
	char	*value;
};

struct broadcast {
	char			*id;
	char			*department;
	time_t			 sent;
	enum broadcast_kind	 kind;
	char			*references;	/* update/cancel: an earlier id */
	char			*category;	/* NULL when absent */
	char			*publisher;	/* user name; NULL when absent */
	enum prio		 priority;
	struct audience_query	 audience;	/* lists as given, unchecked */
	char			*template;	/* NULL for a cancel */
	struct broadcast_param	*params;
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
int	 broadcast_parse(const char *json, size_t len, struct broadcast *ev,
	    char **cause);
/*
 * Check a parsed event against the configuration, the district table and
 * the templates, at time now: unknown department, group, district or
 * template; a template parameter the event does not give; times in the
 * past or out of order (expires after now and after not_before; sent not
 * ahead of now by more than BROADCAST_CLOCK_SKEW; the lifetime at most
 * BROADCAST_MAX_LIFETIME).  Scopes and signatures are checked elsewhere.
 * -1 with *cause.
 */
struct district_table;
struct tmpl_set;
int	 broadcast_check(const struct broadcast *, const struct conf *,
	    const struct district_table *, const struct tmpl_set *,
	    time_t now, char **cause);
/* The value of a parameter, or NULL. */
const char *broadcast_param(const struct broadcast *, const char *name);
/* Free what ev holds (not ev itself). */
void	 broadcast_free(struct broadcast *);
/* "alert", "update", "cancel". */
const char *broadcast_kind_name(enum broadcast_kind);
/* Parse an RFC 3339 time ("2026-11-27T16:05:00+08:00"); -1 if malformed. */
int	 broadcast_time_parse(const char *, time_t *);
/* Format a time as RFC 3339 in local time into buf. */
const char *broadcast_time_format(time_t, char *buf, size_t len);

#endif
