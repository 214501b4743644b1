/*
 * conf-table.c: every key of civicast.conf, one row each.
 */
#include "compat.h"

#include <sys/stat.h>

#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "conf-table.h"
#include "xmalloc.h"

#ifndef CIVICAST_DATADIR
#define CIVICAST_DATADIR	"/usr/local/share/civicast"
#endif

#define ZONEINFO_DIR		"/usr/share/zoneinfo"

static const char *const conf_log_levels[] = {
	"error", "warn", "info", "debug", NULL	/* enum log_level order */
};
static const char *const conf_channel_types[] = {
	"http", "modem", NULL			/* enum channel_type order */
};
static const char *const conf_numtypes[] = {
	"international", "national", NULL	/* enum pdu_numtype order */
};

static int
conf_islower_digit(int c)
{
	return ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
}

static int
conf_isdigit(int c)
{
	return (c >= '0' && c <= '9');
}

static int
conf_isalnum(int c)
{
	return (conf_isdigit(c) || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'));
}

/* Valid UTF-8 without control characters (names shown to residents). */
static int
conf_utf8_ok(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n, i;
	unsigned int		 cp;

	while (*p != '\0') {
		if (*p < 0x20 || *p == 0x7f)
			return (0);
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0) {
			n = 1;
			cp = *p & 0x1f;
		} else if ((*p & 0xf0) == 0xe0) {
			n = 2;
			cp = *p & 0x0f;
		} else if ((*p & 0xf8) == 0xf0) {
			n = 3;
			cp = *p & 0x07;
		} else
			return (0);
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return (0);
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		/* Overlong forms, surrogates and beyond U+10FFFF. */
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return (0);
		p += n + 1;
	}
	return (1);
}

static const char *
check_group_id(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++) {
		if (!conf_islower_digit((unsigned char)s[i]) && s[i] != '_')
			return ("must be 1 to 32 of a-z, 0-9 and _");
	}
	if (i == 0 || i > 32)
		return ("must be 1 to 32 of a-z, 0-9 and _");
	return (NULL);
}

static const char *
check_group_ref(const char *s)
{
	if (strcmp(s, "*") == 0)
		return (NULL);
	return (check_group_id(s));
}

static const char *
check_id(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++) {
		if (!conf_islower_digit((unsigned char)s[i]) &&
		    s[i] != '_' && s[i] != '-')
			return ("must be 1 to 32 of a-z, 0-9, _ and -");
	}
	if (i == 0 || i > 32)
		return ("must be 1 to 32 of a-z, 0-9, _ and -");
	return (NULL);
}

/*
 * The daemon runs with / as its working directory, so a relative path
 * would silently mean something else there than in the shell.
 */
static const char *
check_abspath(const char *s)
{
	if (s[0] != '/')
		return ("must be an absolute path");
	if (strchr(s, '\n') != NULL)
		return ("must not contain a newline");
	return (NULL);
}

static const char *
check_word(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return ("must not contain spaces or control "
			    "characters");
	}
	return (NULL);
}

static const char *
check_instance(const char *s)
{
	for (; *s != '\0'; s++) {
		if (!conf_isalnum((unsigned char)*s) && *s != '_' &&
		    *s != '-' && *s != '.')
			return ("must be made of A-Z, a-z, 0-9, _, - and .");
	}
	return (NULL);
}

static const char *
check_timezone(const char *s)
{
	const char	*dir, *p;
	char		*path;
	struct stat	 sb;
	int		 found;

	for (p = s; *p != '\0'; p++) {
		if (!conf_isalnum((unsigned char)*p) && *p != '_' &&
		    *p != '-' && *p != '+' && *p != '/')
			return ("is not a zone name such as \"Asia/Shanghai\"");
		if ((p == s || p[-1] == '/') && (*p == '/' || *p == '.'))
			return ("is not a zone name such as \"Asia/Shanghai\"");
	}
	if (p == s || p[-1] == '/')
		return ("is not a zone name such as \"Asia/Shanghai\"");

	/* TZDIR is what glibc itself honours, and lets tests point away. */
	if ((dir = getenv("TZDIR")) == NULL || *dir == '\0')
		dir = ZONEINFO_DIR;
	xasprintf(&path, "%s/%s", dir, s);
	found = (stat(path, &sb) == 0 && S_ISREG(sb.st_mode));
	free(path);
	if (!found)
		return ("no such zone in " ZONEINFO_DIR
		    " (is tzdata installed?)");
	return (NULL);
}

static const char *
check_text(const char *s)
{
	if (!conf_utf8_ok(s))
		return ("must be UTF-8 without control characters");
	return (NULL);
}

#define SIG_OPEN	"【"	/* 3 bytes in UTF-8 */
#define SIG_CLOSE	"】"

/*
 * Carriers in China reject a message whose signature is not in 【】, so
 * catch it here rather than at the first broadcast.
 */
static const char *
check_signature(const char *s)
{
	size_t	len = strlen(s);

	if (!conf_utf8_ok(s))
		return ("must be UTF-8 without control characters");
	if (len <= 6 || strncmp(s, SIG_OPEN, 3) != 0 ||
	    strcmp(s + len - 3, SIG_CLOSE) != 0)
		return ("must be wrapped in 【】, e.g. \"【嵊州民政】\"");
	return (NULL);
}

static const char *
check_hotline(const char *s)
{
	size_t	digits = 0;

	for (; *s != '\0'; s++) {
		if (conf_isdigit((unsigned char)*s))
			digits++;
		else if (*s != '-' && *s != ' ')
			return ("must be digits, dashes and spaces only");
	}
	if (digits < 3)
		return ("must have at least 3 digits");
	return (NULL);
}

/* "*", or a division code prefix: province 2, city 4, county 6, ... */
static const char *
check_district(const char *s)
{
	size_t	len;

	if (strcmp(s, "*") == 0)
		return (NULL);
	for (len = 0; s[len] != '\0'; len++) {
		if (!conf_isdigit((unsigned char)s[len]))
			return ("must be \"*\" or a division code of "
			    "2, 4, 6, 9 or 12 digits");
	}
	if (len != 2 && len != 4 && len != 6 && len != 9 && len != 12)
		return ("must be \"*\" or a division code of "
		    "2, 4, 6, 9 or 12 digits");
	return (NULL);
}

static const char *
check_url(const char *s)
{
	if (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0)
		return ("must start with http:// or https://");
	return (check_word(s));
}

static const char *
check_method(const char *s)
{
	if (strcmp(s, "GET") != 0 && strcmp(s, "POST") != 0)
		return ("must be \"GET\" or \"POST\"");
	return (NULL);
}

static const char *
check_driver(const char *s)
{
	/* The only driver in this version; others add a row here. */
	if (strcmp(s, "generic") != 0)
		return ("is not a known driver (known: \"generic\")");
	return (NULL);
}

static const char *
check_content_type(const char *s)
{
	if (strchr(s, '/') == NULL || strpbrk(s, "\r\n") != NULL)
		return ("must be a media type such as \"application/json\"");
	return (NULL);
}

static const char *
check_header(const char *s)
{
	const char	*p;

	for (p = s; conf_isalnum((unsigned char)*p) || *p == '-'; p++)
		/* nothing */;
	if (p == s || *p != ':')
		return ("must be \"Name: value\"");
	if (strpbrk(s, "\r\n") != NULL)
		return ("must not contain a line break");
	return (NULL);
}

static const char *
check_rate(const char *s)
{
	struct conf_rate	 r;
	const char		*cause;

	if (conf_rate_parse(s, &r, &cause) != 0)
		return (cause);
	return (NULL);
}

static const char *
check_hhmm(const char *s)
{
	int	h, m;

	/* Exactly HH:MM: what quiet.c reads, nothing sscanf lets by. */
	if (strlen(s) != 5 || s[2] != ':' || s[0] < '0' || s[0] > '9' ||
	    s[1] < '0' || s[1] > '9' || s[3] < '0' || s[3] > '9' ||
	    s[4] < '0' || s[4] > '9')
		return ("must be HH:MM, 00:00 to 23:59");
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 23 || m > 59)
		return ("must be HH:MM, 00:00 to 23:59");
	return (NULL);
}

static const char *
check_carrier(const char *s)
{
	if (strcmp(s, "mobile") != 0 && strcmp(s, "unicom") != 0 &&
	    strcmp(s, "telecom") != 0 && strcmp(s, "broadnet") != 0)
		return ("must be mobile, unicom, telecom or broadnet");
	return (NULL);
}

static const char *
check_smsc(const char *s)
{
	size_t	i = s[0] == '+' ? 1 : 0;

	if (s[i] == '\0' || strlen(s + i) > 20)
		return ("must be digits, with an optional leading +");
	for (; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return ("must be digits, with an optional leading +");
	}
	return (NULL);
}

static const char *
check_imei(const char *s)
{
	size_t	len;

	for (len = 0; s[len] != '\0'; len++) {
		if (!conf_isdigit((unsigned char)s[len]))
			return ("must be 15 digits");
	}
	if (len != 15)
		return ("must be 15 digits");
	return (NULL);
}

#define C(f)	offsetof(struct conf, f)
#define G(f)	offsetof(struct conf_group, f)
#define D(f)	offsetof(struct conf_department, f)
#define H(f)	offsetof(struct conf_channel, f)
#define R(f)	offsetof(struct conf_route, f)

#define DEF_PRIO_DEPT	(PRIO_BIT(PRIO_ROUTINE) | PRIO_BIT(PRIO_URGENT))

static const struct conf_key conf_keys[] = {
	/* redis: a restart reconnects, a reload never does. */
	{ .path = "redis", .type = CONF_T_GROUP, .apply = CONF_RESTART,
	  .help = "Redis connection" },
	{ .path = "redis.host", .type = CONF_T_STRING, .min = 1, .max = 255,
	  .sdef = "127.0.0.1", .apply = CONF_RESTART, .off = C(redis_host),
	  .check = check_word, .help = "Redis host name or address" },
	{ .path = "redis.port", .type = CONF_T_INT, .min = 1, .max = 65535,
	  .idef = 6379, .apply = CONF_RESTART, .off = C(redis_port),
	  .help = "Redis TCP port" },
	{ .path = "redis.socket", .type = CONF_T_STRING, .min = 1,
	  .max = 107, .apply = CONF_RESTART, .off = C(redis_socket),
	  .check = check_abspath,
	  .help = "Redis Unix socket, used instead of host and port" },
	{ .path = "redis.password_file", .type = CONF_T_STRING, .min = 1,
	  .max = 4095, .apply = CONF_RESTART, .off = C(redis_password_file),
	  .check = check_abspath,
	  .help = "file holding the Redis password (mode 0600)" },
	{ .path = "redis.user", .type = CONF_T_STRING, .min = 1, .max = 64,
	  .apply = CONF_RESTART, .off = C(redis_user), .check = check_word,
	  .help = "Redis ACL user, with password_file" },
	{ .path = "redis.prefix", .type = CONF_T_STRING, .min = 1, .max = 64,
	  .sdef = CONF_PREFIX_DEFAULT, .apply = CONF_RESTART,
	  .off = C(redis_prefix), .check = check_word,
	  .help = "prefix of every Redis key" },
	{ .path = "redis.db", .type = CONF_T_INT, .min = 0, .max = 15,
	  .idef = 0, .apply = CONF_RESTART, .off = C(redis_db),
	  .help = "Redis database number" },
	{ .path = "redis.timeout", .type = CONF_T_INT, .min = 100,
	  .max = 60000, .idef = 2000, .apply = CONF_RESTART,
	  .off = C(redis_timeout),
	  .help = "Redis connect and command timeout, milliseconds" },

	{ .path = "daemon", .type = CONF_T_GROUP, .apply = CONF_RELOAD,
	  .help = "the daemon itself" },
	{ .path = "daemon.log_level", .type = CONF_T_ENUM,
	  .idef = 2 /* info */, .apply = CONF_RELOAD, .off = C(log_level),
	  .names = conf_log_levels,
	  .help = "error, warn, info or debug" },
	{ .path = "daemon.instance", .type = CONF_T_STRING, .min = 1,
	  .max = 64, .apply = CONF_RESTART, .off = C(instance),
	  .check = check_instance,
	  .help = "name of this gateway (default: the host name)" },
	{ .path = "daemon.pidfile", .type = CONF_T_STRING, .min = 1,
	  .max = 4095, .apply = CONF_RESTART, .off = C(pidfile),
	  .check = check_abspath, .help = "PID file (default: none)" },

	{ .path = "intake", .type = CONF_T_GROUP, .apply = CONF_RELOAD,
	  .help = "reading events from the stream" },
	{ .path = "intake.pubsub_channel", .type = CONF_T_STRING, .min = 1,
	  .max = 128, .apply = CONF_RELOAD, .off = C(pubsub_channel),
	  .check = check_word,
	  .help = "Pub/Sub channel bridged into the stream "
	  "(default: <prefix>publish)" },
	{ .path = "intake.batch", .type = CONF_T_INT, .min = 1, .max = 1000,
	  .idef = 16, .apply = CONF_RELOAD, .off = C(intake_batch),
	  .help = "stream entries read at a time" },
	{ .path = "intake.claim_idle", .type = CONF_T_INT, .min = 5,
	  .max = 3600, .idef = 60, .apply = CONF_RELOAD,
	  .off = C(intake_claim_idle),
	  .help = "seconds before another daemon's pending entry is taken over" },

	{ .path = "outbox", .type = CONF_T_GROUP, .apply = CONF_RELOAD,
	  .help = "handing messages to channels" },
	{ .path = "outbox.lease", .type = CONF_T_INT, .min = 5, .max = 3600,
	  .idef = 60, .apply = CONF_RELOAD, .off = C(outbox_lease),
	  .help = "seconds a message may stay with a channel before another "
	  "daemon may take it back" },
	{ .path = "outbox.max_attempts", .type = CONF_T_INT, .min = 1,
	  .max = 100, .idef = 8, .apply = CONF_RELOAD,
	  .off = C(outbox_max_attempts),
	  .help = "tries of a message before it fails" },
	{ .path = "outbox.retry_min", .type = CONF_T_INT, .min = 1,
	  .max = 3600, .idef = 5, .apply = CONF_RELOAD,
	  .off = C(outbox_retry_min),
	  .help = "seconds before the first retry (doubling after)" },
	{ .path = "outbox.retry_max", .type = CONF_T_INT, .min = 1,
	  .max = 86400, .idef = 600, .apply = CONF_RELOAD,
	  .off = C(outbox_retry_max), .help = "cap of the retry backoff" },
	{ .path = "outbox.batch", .type = CONF_T_INT, .min = 1, .max = 1000,
	  .idef = 128, .apply = CONF_RELOAD, .off = C(outbox_batch),
	  .help = "messages taken from the outbox per round trip" },
	{ .path = "outbox.unknown_resend", .type = CONF_T_INT, .min = 0,
	  .max = 604800, .idef = 0, .apply = CONF_RELOAD,
	  .off = C(outbox_unknown_resend),
	  .help = "seconds after which a message whose outcome is unknown "
	  "(no answer after it was handed over, and no report since) is "
	  "sent again; 0: never (no duplicate risk)" },
	{ .path = "limits", .type = CONF_T_GROUP, .apply = CONF_RELOAD,
	  .help = "limits per recipient (channels have their own rates)" },
	{ .path = "limits.recipient_routine", .type = CONF_T_RATE,
	  .sdef = "3/day", .apply = CONF_RELOAD, .off = C(recipient_routine),
	  .help = "routine messages one phone may get; more wait for the next "
	  "window (emergency messages are never limited)" },
	{ .path = "limits.recipient_urgent", .type = CONF_T_RATE,
	  .sdef = "5/day", .apply = CONF_RELOAD, .off = C(recipient_urgent),
	  .help = "urgent messages one phone may get" },
	{ .path = "quiet_hours", .type = CONF_T_GROUP, .apply = CONF_RELOAD,
	  .help = "hours when routine messages are held back" },
	{ .path = "quiet_hours.enabled", .type = CONF_T_BOOL, .idef = 1,
	  .apply = CONF_RELOAD, .off = C(quiet_enabled),
	  .help = "hold messages back in the quiet hours" },
	{ .path = "quiet_hours.start", .type = CONF_T_STRING, .min = 4,
	  .max = 5, .sdef = "21:00", .apply = CONF_RELOAD,
	  .off = C(quiet_start), .check = check_hhmm,
	  .help = "start, HH:MM in the configured timezone" },
	{ .path = "quiet_hours.end", .type = CONF_T_STRING, .min = 4,
	  .max = 5, .sdef = "08:00", .apply = CONF_RELOAD,
	  .off = C(quiet_end), .check = check_hhmm,
	  .help = "end, HH:MM (before start: the quiet hours span midnight)" },
	{ .path = "quiet_hours.priorities", .type = CONF_T_PRIOLIST,
	  .min = 0, .max = 2, .idef = PRIO_BIT(PRIO_ROUTINE),
	  .apply = CONF_RELOAD, .off = C(quiet_priorities),
	  .help = "priorities held back (default routine; never emergency)" },
	{ .path = "carriers_file", .type = CONF_T_STRING, .min = 1,
	  .max = 4095, .sdef = CIVICAST_DATADIR "/carriers.csv",
	  .apply = CONF_RELOAD, .off = C(carriers_file),
	  .check = check_abspath,
	  .help = "mobile number ranges of the carriers (CSV)" },
	{ .path = "security", .type = CONF_T_GROUP, .apply = CONF_RELOAD,
	  .help = "who may publish what" },
	{ .path = "security.max_age", .type = CONF_T_INT, .min = 60,
	  .max = 2592000, .idef = 86400, .apply = CONF_RELOAD,
	  .off = C(max_age),
	  .help = "seconds an event's sent time may lie in the past" },
	/* At most the parser's limit (CONF_CLOCK_SKEW), which checks first. */
	{ .path = "security.max_ahead", .type = CONF_T_INT, .min = 0,
	  .max = CONF_CLOCK_SKEW, .idef = 300, .apply = CONF_RELOAD,
	  .off = C(max_ahead),
	  .help = "seconds an event's sent time may lie in the future" },
	{ .path = "security.approval_over", .type = CONF_T_ULONG, .min = 0,
	  .max = 2147483647, .idef = 0, .apply = CONF_RELOAD,
	  .off = C(approval_over),
	  .help = "events reaching more phones wait for a second operator's "
	  "approval (0: none)" },
	{ .path = "security.approval_categories", .type = CONF_T_STRARRAY,
	  .min = 1, .max = 64, .apply = CONF_RELOAD,
	  .off = C(approval_categories), .noff = C(napproval_categories),
	  .check = check_word,
	  .help = "categories whose events always wait for approval" },
	{ .path = "security.approvers", .type = CONF_T_STRARRAY,
	  .min = 1, .max = 64, .apply = CONF_RELOAD,
	  .off = C(approvers), .noff = C(napprovers), .check = check_word,
	  .help = "user names who may approve or reject held events "
	  "(default: anyone but the publisher)" },
	{ .path = "security.approval_emergency_fast", .type = CONF_T_BOOL,
	  .idef = 1, .apply = CONF_RELOAD, .off = C(approval_emergency_fast),
	  .help = "emergencies go at once and are flagged for review" },
	{ .path = "retention_days", .type = CONF_T_INT, .min = 1,
	  .max = 3650, .idef = 180, .apply = CONF_RELOAD,
	  .off = C(retention_days),
	  .help = "days final message records are kept (event counts stay)" },
	{ .path = "message_max_chars", .type = CONF_T_INT, .min = 70,
	  .max = 2000, .idef = 500, .apply = CONF_RELOAD,
	  .off = C(message_max_chars),
	  .help = "longest message, signature included, in characters" },

	{ .path = "timezone", .type = CONF_T_STRING, .min = 1, .max = 64,
	  .sdef = CONF_TIMEZONE_DEFAULT, .apply = CONF_RELOAD,
	  .off = C(timezone), .check = check_timezone,
	  .help = "time zone for quiet hours and schedules" },
	{ .path = "templates_dir", .type = CONF_T_STRING, .min = 1,
	  .max = 4095, .sdef = CIVICAST_DATADIR "/templates",
	  .apply = CONF_RELOAD, .off = C(templates_dir),
	  .check = check_abspath, .help = "directory of message templates" },
	{ .path = "districts_file", .type = CONF_T_STRING, .min = 1,
	  .max = 4095, .sdef = CIVICAST_DATADIR "/divisions-cn.csv",
	  .apply = CONF_RELOAD, .off = C(districts_file),
	  .check = check_abspath,
	  .help = "table of administrative divisions (CSV)" },

	{ .path = "groups", .type = CONF_T_LIST, .min = 0, .max = 256,
	  .apply = CONF_RELOAD, .off = C(groups), .noff = C(ngroups),
	  .size = sizeof(struct conf_group), .lineoff = G(line),
	  .help = "groups of residents (default: the built-in seven)" },
	{ .path = "groups.[].id", .type = CONF_T_STRING, .min = 1, .max = 32,
	  .apply = CONF_RELOAD, .flags = CONF_REQUIRED, .off = G(id),
	  .check = check_group_id, .help = "group id, [a-z0-9_]{1,32}" },
	{ .path = "groups.[].name", .type = CONF_T_STRING, .min = 1,
	  .max = 128, .apply = CONF_RELOAD, .flags = CONF_REQUIRED,
	  .off = G(name), .check = check_text, .help = "display name" },

	{ .path = "departments", .type = CONF_T_LIST, .min = 0, .max = 1024,
	  .apply = CONF_RELOAD, .off = C(departments),
	  .noff = C(ndepartments), .size = sizeof(struct conf_department),
	  .lineoff = D(line), .help = "departments allowed to broadcast" },
	{ .path = "departments.[].id", .type = CONF_T_STRING, .min = 1,
	  .max = 32, .apply = CONF_RELOAD, .flags = CONF_REQUIRED,
	  .off = D(id), .check = check_id,
	  .help = "department id, [a-z0-9_-]{1,32}" },
	{ .path = "departments.[].name", .type = CONF_T_STRING, .min = 1,
	  .max = 128, .apply = CONF_RELOAD, .flags = CONF_REQUIRED,
	  .off = D(name), .check = check_text, .help = "full name" },
	{ .path = "departments.[].signature", .type = CONF_T_STRING,
	  .min = 1, .max = 96, .apply = CONF_RELOAD,
	  .flags = CONF_REQUIRED, .off = D(signature),
	  .check = check_signature, .help = "SMS signature, wrapped in 【】" },
	{ .path = "departments.[].hotline", .type = CONF_T_STRING, .min = 1,
	  .max = 32, .apply = CONF_RELOAD, .flags = CONF_REQUIRED,
	  .off = D(hotline), .check = check_hotline,
	  .help = "telephone number residents may call" },
	{ .path = "departments.[].key_file", .type = CONF_T_STRING,
	  .min = 1, .max = 4095, .apply = CONF_RELOAD, .off = D(key_file),
	  .check = check_abspath,
	  .help = "key that signs its events (mode 0600)" },
	{ .path = "departments.[].groups", .type = CONF_T_STRARRAY,
	  .min = 1, .max = 256, .sdef = "*", .apply = CONF_RELOAD,
	  .off = D(groups), .noff = D(ngroups), .check = check_group_ref,
	  .help = "groups it may address, or \"*\"" },
	{ .path = "departments.[].districts", .type = CONF_T_STRARRAY,
	  .min = 1, .max = 1024, .sdef = "*", .apply = CONF_RELOAD,
	  .off = D(districts), .noff = D(ndistricts),
	  .check = check_district,
	  .help = "division code prefixes it may address, or \"*\"" },
	{ .path = "departments.[].priorities", .type = CONF_T_PRIOLIST,
	  .min = 1, .max = 16, .idef = DEF_PRIO_DEPT, .apply = CONF_RELOAD,
	  .off = D(priorities), .help = "priorities it may use" },
	{ .path = "departments.[].max_audience", .type = CONF_T_ULONG,
	  .min = 0, .max = 2147483647, .idef = 0, .apply = CONF_RELOAD,
	  .off = D(max_audience),
	  .help = "largest audience of one broadcast, 0 for no limit" },
	{ .path = "departments.[].templates", .type = CONF_T_STRARRAY,
	  .min = 1, .max = 256, .apply = CONF_RELOAD, .off = D(templates),
	  .noff = D(ntemplates), .check = check_word,
	  .help = "templates it may use (default: all)" },
	{ .path = "departments.[].unsigned", .type = CONF_T_BOOL, .idef = 0,
	  .apply = CONF_RELOAD, .off = D(unsigned_ok),
	  .help = "accept its events without a signature (development only)" },
	{ .path = "departments.[].budget_day", .type = CONF_T_ULONG,
	  .min = 0, .max = 2147483647, .idef = 0, .apply = CONF_RELOAD,
	  .off = D(budget_day),
	  .help = "SMS segments a day; routine events wait over it; 0: none" },
	{ .path = "departments.[].budget_month", .type = CONF_T_ULONG,
	  .min = 0, .max = 2147483647, .idef = 0, .apply = CONF_RELOAD,
	  .off = D(budget_month),
	  .help = "SMS segments a month; routine events wait over it; "
	  "0: none" },

	/* Channels own sockets and serial ports: a restart reopens them. */
	{ .path = "channels", .type = CONF_T_LIST, .min = 0, .max = 256,
	  .apply = CONF_RESTART, .off = C(channels), .noff = C(nchannels),
	  .size = sizeof(struct conf_channel), .lineoff = H(line),
	  .help = "SMS gateways and modems" },
	{ .path = "channels.[].id", .type = CONF_T_STRING, .min = 1,
	  .max = 32, .apply = CONF_RESTART, .flags = CONF_REQUIRED,
	  .off = H(id), .check = check_id,
	  .help = "channel id, [a-z0-9_-]{1,32}" },
	{ .path = "channels.[].type", .type = CONF_T_ENUM,
	  .apply = CONF_RESTART, .flags = CONF_REQUIRED, .off = H(type),
	  .names = conf_channel_types, .help = "\"http\" or \"modem\"" },
	{ .path = "channels.[].rate", .type = CONF_T_RATE,
	  .apply = CONF_RESTART, .flags = CONF_REQUIRED, .off = H(rate),
	  .help = "most messages per period, e.g. \"200/s\", \"10/min\"" },
	{ .path = "channels.[].driver", .type = CONF_T_STRING, .min = 1,
	  .max = 32, .sdef = "generic", .apply = CONF_RESTART,
	  .flags = CONF_HTTP, .off = H(driver), .check = check_driver,
	  .help = "HTTP dialect of the gateway" },
	{ .path = "channels.[].url", .type = CONF_T_STRING, .min = 8,
	  .max = 2048, .apply = CONF_RESTART, .flags = CONF_HTTP,
	  .off = H(url), .check = check_url,
	  .help = "gateway URL; ${to} ${text} ${ref} are expanded" },
	{ .path = "channels.[].method", .type = CONF_T_STRING, .min = 3,
	  .max = 4, .sdef = "POST", .apply = CONF_RESTART,
	  .flags = CONF_HTTP, .off = H(method), .check = check_method,
	  .help = "\"GET\" or \"POST\"" },
	{ .path = "channels.[].body", .type = CONF_T_STRING, .min = 1,
	  .max = 8192, .apply = CONF_RESTART, .flags = CONF_HTTP,
	  .off = H(body),
	  .help = "POST body; ${to} ${text} ${ref} are expanded" },
	{ .path = "channels.[].content_type", .type = CONF_T_STRING,
	  .min = 3, .max = 128, .sdef = "application/x-www-form-urlencoded",
	  .apply = CONF_RESTART, .flags = CONF_HTTP, .off = H(content_type),
	  .check = check_content_type, .help = "Content-Type of the body" },
	{ .path = "channels.[].headers", .type = CONF_T_STRARRAY, .min = 0,
	  .max = 32, .apply = CONF_RESTART, .flags = CONF_HTTP,
	  .off = H(headers), .noff = H(nheaders), .check = check_header,
	  .help = "extra request headers, \"Name: value\"" },
	{ .path = "channels.[].concurrency", .type = CONF_T_INT, .min = 1,
	  .max = 1024, .idef = 8, .apply = CONF_RESTART, .flags = CONF_HTTP,
	  .off = H(concurrency), .help = "requests in flight at once" },
	{ .path = "channels.[].timeout", .type = CONF_T_INT, .min = 1,
	  .max = 300, .idef = 10, .apply = CONF_RESTART, .flags = CONF_HTTP,
	  .off = H(timeout), .help = "seconds per request, in total" },
	{ .path = "channels.[].device", .type = CONF_T_STRING, .min = 1,
	  .max = 4095, .apply = CONF_RESTART, .flags = CONF_MODEM,
	  .off = H(device), .check = check_abspath,
	  .help = "serial device of the modem" },
	{ .path = "channels.[].imei", .type = CONF_T_STRING, .min = 1,
	  .max = 32, .apply = CONF_RESTART, .flags = CONF_MODEM,
	  .off = H(imei), .check = check_imei,
	  .help = "IMEI of the modem, to find it on any port" },
	{ .path = "channels.[].baud", .type = CONF_T_INT, .min = 1200,
	  .max = 4000000, .idef = 115200, .apply = CONF_RESTART,
	  .flags = CONF_MODEM, .off = H(baud), .help = "serial speed" },
	{ .path = "channels.[].pin_file", .type = CONF_T_STRING, .min = 1,
	  .max = 4095, .apply = CONF_RESTART, .flags = CONF_MODEM,
	  .off = H(pin_file), .check = check_abspath,
	  .help = "file holding the SIM PIN (mode 0600)" },
	{ .path = "channels.[].burst", .type = CONF_T_INT, .min = 0,
	  .max = 100000, .idef = 0, .apply = CONF_RESTART, .off = H(burst),
	  .help = "messages the channel may send at once over its rate "
	  "(0: a tenth of the rate's count, at least 1)" },
	{ .path = "channels.[].limits", .type = CONF_T_STRARRAY, .min = 0,
	  .max = 8, .apply = CONF_RESTART, .flags = CONF_MODEM,
	  .off = H(limits), .noff = H(nlimits), .check = check_rate,
	  .help = "further limits of the SIM, e.g. [ \"200/hour\", "
	  "\"500/day\" ]" },
	{ .path = "channels.[].scan", .type = CONF_T_STRARRAY, .min = 0,
	  .max = 16, .apply = CONF_RESTART, .flags = CONF_MODEM,
	  .off = H(scan), .noff = H(nscan), .check = check_abspath,
	  .help = "ports (glob patterns) searched for the imei "
	  "(default /dev/ttyUSB* and /dev/ttyACM*)" },
	{ .path = "channels.[].smsc", .type = CONF_T_STRING, .min = 1,
	  .max = 24, .apply = CONF_RESTART, .flags = CONF_MODEM,
	  .off = H(smsc), .check = check_smsc,
	  .help = "service centre number (default: the SIM's)" },
	{ .path = "channels.[].reports", .type = CONF_T_BOOL, .idef = 1,
	  .apply = CONF_RESTART, .flags = CONF_MODEM, .off = H(reports),
	  .help = "ask for delivery status reports" },
	{ .path = "channels.[].validity", .type = CONF_T_INT, .min = 0,
	  .max = 10080, .idef = 1440, .apply = CONF_RESTART,
	  .flags = CONF_MODEM, .off = H(validity),
	  .help = "minutes the network keeps trying (0: its default)" },
	{ .path = "channels.[].numbers", .type = CONF_T_ENUM, .idef = 0,
	  .apply = CONF_RESTART, .flags = CONF_MODEM, .off = H(numtype),
	  .names = conf_numtypes,
	  .help = "\"international\" (+86...) or \"national\" numbers" },

	{ .path = "routes", .type = CONF_T_LIST, .min = 0, .max = 1024,
	  .apply = CONF_RELOAD, .off = C(routes), .noff = C(nroutes),
	  .size = sizeof(struct conf_route), .lineoff = R(line),
	  .help = "which channels carry which messages" },
	{ .path = "routes.[].channels", .type = CONF_T_STRARRAY, .min = 1,
	  .max = 64, .apply = CONF_RELOAD, .flags = CONF_REQUIRED,
	  .off = R(channels), .noff = R(nchannels), .check = check_id,
	  .help = "channel ids, in order of preference" },
	{ .path = "routes.[].priorities", .type = CONF_T_PRIOLIST, .min = 1,
	  .max = 16, .idef = PRIO_ALL, .apply = CONF_RELOAD,
	  .off = R(priorities),
	  .help = "priorities it carries (default: all)" },
	{ .path = "routes.[].departments", .type = CONF_T_STRARRAY, .min = 1,
	  .max = 1024, .apply = CONF_RELOAD, .off = R(departments),
	  .noff = R(ndepartments), .check = check_id,
	  .help = "departments it carries (default: all)" },
	{ .path = "routes.[].districts", .type = CONF_T_STRARRAY, .min = 1,
	  .max = 1024, .apply = CONF_RELOAD, .off = R(districts),
	  .noff = R(ndistricts), .check = check_district,
	  .help = "division code prefixes it carries (default: all)" },
	{ .path = "routes.[].carriers", .type = CONF_T_STRARRAY, .min = 1,
	  .max = 4, .apply = CONF_RELOAD, .off = R(carriers),
	  .noff = R(ncarriers), .check = check_carrier,
	  .help = "mobile carriers it carries: mobile, unicom, telecom, "
	  "broadnet (default: all)" },
	{ .path = "routes.[].spread", .type = CONF_T_BOOL, .idef = 0,
	  .apply = CONF_RELOAD, .off = R(spread),
	  .help = "spread messages over all its channels at once instead of "
	  "using them in order" },
};

/* The table and its number of rows. */
const struct conf_key *
conf_table(size_t *n)
{
	*n = nitems(conf_keys);
	return (conf_keys);
}

/* The row for a path, or NULL. */
const struct conf_key *
conf_table_find(const char *path)
{
	size_t	i;

	for (i = 0; i < nitems(conf_keys); i++) {
		if (strcmp(conf_keys[i].path, path) == 0)
			return (&conf_keys[i]);
	}
	return (NULL);
}

/* A type's name, as the man page and error messages say it. */
const char *
conf_type_name(enum conf_type type)
{
	switch (type) {
	case CONF_T_STRING:
	case CONF_T_ENUM:
		return ("string");
	case CONF_T_INT:
	case CONF_T_ULONG:
		return ("integer");
	case CONF_T_BOOL:
		return ("boolean");
	case CONF_T_STRARRAY:
		return ("array of strings");
	case CONF_T_RATE:
		return ("rate string");
	case CONF_T_PRIOLIST:
		return ("array of priorities");
	case CONF_T_GROUP:
		return ("group { ... }");
	case CONF_T_LIST:
		return ("list ( { ... }, ... )");
	}
	return ("?");
}
