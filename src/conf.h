/*
 * conf.h: civicast.conf (libconfig syntax) loaded into a struct conf.
 *
 * The schema is a table (conf-table.c): every key with its type, range,
 * default, and whether a SIGHUP reload applies it (CONF_RELOAD) or it
 * needs a restart (CONF_RESTART).  conf_load() reports every problem of a
 * file, not just the first, each as "FILE:LINE: reason".
 */
#ifndef CIVICAST_CONF_H
#define CIVICAST_CONF_H

#include <stddef.h>

#include "compat.h"
#include "secret.h"

#define CONF_PREFIX_DEFAULT	"civicast:"
#define CONF_TIMEZONE_DEFAULT	"Asia/Shanghai"

/* Priorities, as a bit set where a set of them is allowed. */
enum prio {
	PRIO_EMERGENCY = 0,
	PRIO_URGENT,
	PRIO_ROUTINE,
	PRIO_COUNT
};
#define PRIO_BIT(p)	(1U << (p))
#define PRIO_ALL	(PRIO_BIT(PRIO_EMERGENCY) | PRIO_BIT(PRIO_URGENT) | \
			 PRIO_BIT(PRIO_ROUTINE))

/*
 * Seconds an event's `sent` may lie ahead of the clock: the event
 * contract's limit (broadcast.c), and security.max_ahead's largest value.
 */
#define CONF_CLOCK_SKEW	300

/* A rate such as "200/s", "10/min", "500/day". */
struct conf_rate {
	unsigned long	count;		/* 0: unlimited */
	unsigned long	period;		/* seconds */
};

struct conf_group {
	char		*id;		/* [a-z0-9_]{1,32} */
	char		*name;		/* display name, e.g. 老年人 */
	int		 line;
};

struct conf_department {
	char		*id;		/* [a-z0-9_-]{1,32} */
	char		*name;
	char		*signature;	/* 【...】 included */
	char		*hotline;
	char		*key_file;	/* NULL: none */
	char	       **groups;	/* allowed groups; "*" = all */
	size_t		 ngroups;
	char	       **districts;	/* allowed district prefixes; "*" = all */
	size_t		 ndistricts;
	unsigned int	 priorities;	/* PRIO_BIT set; default routine|urgent */
	unsigned long	 max_audience;	/* 0: no limit */
	unsigned long	 budget_day;	/* SMS segments a day; 0: no limit */
	unsigned long	 budget_month;	/* SMS segments a month; 0: no limit */
	char	       **templates;	/* allowed templates; NULL: any */
	size_t		 ntemplates;
	int		 unsigned_ok;	/* accept events without a signature */
	int		 line;
};

enum channel_type {
	CHANNEL_HTTP,
	CHANNEL_MODEM
};

struct conf_channel {
	char		*id;
	enum channel_type type;
	struct conf_rate rate;
	/* type = "http" */
	char		*driver;	/* "generic" */
	char		*url;
	char		*method;	/* GET or POST */
	char		*body;
	char		*content_type;
	char	       **headers;	/* "Name: value" */
	size_t		 nheaders;
	int		 concurrency;
	int		 timeout;	/* seconds, total per request */
	/* type = "modem" */
	char		*device;
	char		*imei;
	int		 baud;
	char		*pin_file;
	char	       **limits;	/* more rates, e.g. "500/day" */
	size_t		 nlimits;
	char	       **scan;		/* globs searched for the imei */
	size_t		 nscan;
	char		*smsc;
	int		 reports;	/* request status reports */
	int		 validity;	/* minutes; 0: none */
	int		 numtype;	/* enum pdu_numtype */
	int		 burst;		/* messages over the rate at once; 0: auto */
	int		 line;
};

struct conf_route {
	char	       **channels;	/* channel ids, in order of preference */
	size_t		 nchannels;
	unsigned int	 priorities;	/* PRIO_BIT set this route applies to */
	char	       **departments;	/* NULL: any */
	size_t		 ndepartments;
	char	       **districts;	/* district prefixes; NULL: any */
	size_t		 ndistricts;
	char	       **carriers;	/* "mobile", "unicom", "telecom"; NULL: any */
	size_t		 ncarriers;
	int		 spread;	/* use every channel at once, not in turn */
	int		 line;
};

struct conf {
	char		*path;		/* NULL: embedded defaults */

	/* redis (restart) */
	char		*redis_host;
	int		 redis_port;
	char		*redis_socket;	/* when set, used instead of host/port */
	char		*redis_password_file;
	char		*redis_user;	/* ACL user, with password_file */
	char		*redis_prefix;
	int		 redis_db;
	int		 redis_timeout;	/* ms, connect and command */

	/* daemon */
	int		 log_level;	/* enum log_level (reload) */
	char		*instance;	/* default: hostname (restart) */
	char		*pidfile;	/* (restart) */

	/* intake: how events are read (reload) */
	char		*pubsub_channel; /* NULL: <prefix>publish */
	int		 intake_batch;	/* entries per XREADGROUP */
	int		 intake_claim_idle; /* s before a pending entry is taken over */

	/* outbox: how messages are handed to channels (reload) */
	int		 outbox_lease;	/* s a message may stay with a channel */
	int		 outbox_max_attempts;
	int		 outbox_retry_min; /* s before the first retry */
	int		 outbox_retry_max; /* s cap on the backoff */
	int		 outbox_batch;	/* messages taken per round trip */
	int		 outbox_unknown_resend; /* s; 0: never resend unknowns */
	int		 message_max_chars; /* longest message, in characters */

	/* limits (reload) */
	struct conf_rate recipient_routine; /* per phone, e.g. 3/day */
	struct conf_rate recipient_urgent;

	/* quiet hours (reload) */
	int		 quiet_enabled;
	char		*quiet_start;	/* "21:00" */
	char		*quiet_end;	/* "08:00" */
	unsigned int	 quiet_priorities; /* PRIO_BIT set held back */
	char		*carriers_file;	/* mobile number ranges (reload) */

	/* security (reload) */
	int		 max_age;	/* s an event's `sent` may be in the past */
	int		 max_ahead;	/* s it may be in the future */
	unsigned long	 approval_over;	/* audiences above need approval; 0: none */
	char	       **approval_categories;
	size_t		 napproval_categories;
	int		 approval_emergency_fast; /* emergencies go, then review */
	char	       **approvers;	/* who may approve; NULL: anyone */
	size_t		 napprovers;
	int		 retention_days; /* final message records kept */

	char		*timezone;	/* (reload) */
	char		*templates_dir;	/* (reload) */
	char		*districts_file; /* shipped district table (reload) */

	struct conf_group	*groups;	/* (reload) */
	size_t			 ngroups;
	struct conf_department	*departments;	/* (reload) */
	size_t			 ndepartments;
	struct conf_channel	*channels;	/* (restart) */
	size_t			 nchannels;
	struct conf_route	*routes;	/* (reload) */
	size_t			 nroutes;
};

/* The problems found in a file: each "FILE:LINE: reason" (or "FILE: reason"). */
struct conf_errors {
	char		**msgs;
	size_t		  n;
	char		**warnings;	/* accepted but worth saying */
	size_t		  nwarnings;
};

/*
 * Load and validate path (NULL: the embedded defaults, which always
 * validate).  Returns the new conf, or NULL with every problem in errs.
 * Warnings may be filled in either case.
 */
struct conf	*conf_load(const char *path, struct conf_errors *errs);
/*
 * conf_load, and every secret file the configuration names must pass
 * the rules civicastd reads it with (owner-only, owned by this user,
 * key length): for `civicast config check`, `civicastd -n`, start-up
 * and reload; other commands use conf_load, since an operator's CLI
 * need not be able to read the daemon's secrets.
 */
struct conf	*conf_load_checked(const char *path, struct conf_errors *errs);
/* Free a conf. */
void		 conf_free(struct conf *);
/* Free the messages in errs (errs itself is the caller's). */
void		 conf_errors_free(struct conf_errors *);
/*
 * Names of keys whose value differs between old and new and that need a
 * restart to take effect; returns how many were written into names
 * (each a static string such as "redis.host" or "channels").
 */
size_t		 conf_restart_keys(const struct conf *old, const struct conf *new,
		    const char **names, size_t max);
/*
 * Swap the value of every restart key (as conf_restart_keys() knows them)
 * between new and old, so new carries the running values.
 */
void		 conf_keep_restart(struct conf *new, struct conf *old);

/* The group with this id, or NULL. */
const struct conf_group *conf_group_find(const struct conf *, const char *id);
/* The department with this id, or NULL. */
const struct conf_department *conf_department_find(const struct conf *,
		    const char *id);
/* The channel with this id, or NULL. */
const struct conf_channel *conf_channel_find(const struct conf *,
		    const char *id);

/* Parse "200/s", "10/min", "60/hour", "500/day"; -1 with cause. */
int		 conf_rate_parse(const char *, struct conf_rate *, const char **cause);
/* Parse "emergency", "urgent" or "routine"; -1 when unknown. */
int		 conf_prio_parse(const char *);
/* Name of a priority. */
const char	*conf_prio_name(enum prio);

#endif
