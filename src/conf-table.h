/*
 * conf-table.h: the schema of civicast.conf as a table of keys.
 *
 * Every key the file may hold is one row: its path ("redis.port",
 * "departments.[].max_audience"), type, range, default, whether a SIGHUP
 * reload applies it, and where conf-load.c stores it.  conf-load.c walks the
 * libconfig tree against these rows, so adding a key is adding a row (and
 * a field in struct conf).
 */
#ifndef CIVICAST_CONF_TABLE_H
#define CIVICAST_CONF_TABLE_H

#include <stddef.h>

#include "compat.h"

enum conf_type {
	CONF_T_STRING,		/* char * */
	CONF_T_INT,		/* int */
	CONF_T_ULONG,		/* unsigned long (from a non-negative int) */
	CONF_T_BOOL,		/* int, 0 or 1 */
	CONF_T_ENUM,		/* int: index of the string in names[] */
	CONF_T_STRARRAY,	/* char ** at off, size_t count at noff */
	CONF_T_RATE,		/* struct conf_rate, from "200/s" */
	CONF_T_PRIOLIST,	/* PRIO_BIT set, from [ "urgent" ] */
	CONF_T_GROUP,		/* { ... }: its keys share the base */
	CONF_T_LIST		/* ( { }, ... ): array at off, count at noff */
};

enum conf_apply {
	CONF_RELOAD,		/* SIGHUP applies a new value */
	CONF_RESTART		/* a new value needs a restart */
};

/* Row flags. */
#define CONF_REQUIRED	0x1	/* no default: the key must be there */
#define CONF_HTTP	0x2	/* channels: only for type = "http" */
#define CONF_MODEM	0x4	/* channels: only for type = "modem" */

struct conf_key {
	const char	*path;		/* "redis.port", "groups.[].id" */
	enum conf_type	 type;
	/*
	 * Int: the range.  String: the length in bytes.  String array and
	 * list: the number of elements.  Unused otherwise.
	 */
	long long	 min;
	long long	 max;
	const char	*sdef;		/* string default; array: one element */
	long long	 idef;		/* int, bool, enum, priorities default */
	enum conf_apply	 apply;
	int		 flags;
	const char	*help;		/* one line, for the man page and CLI */

	size_t		 off;		/* value, in struct conf or element */
	size_t		 noff;		/* string array, list: the count */
	size_t		 size;		/* list: size of one element */
	size_t		 lineoff;	/* list: the element's line field */
	const char *const *names;	/* enum: the accepted strings */
	/* Strings and array elements: NULL when fine, else the reason. */
	const char	*(*check)(const char *);
};

/* The table and its number of rows. */
const struct conf_key	*conf_table(size_t *n);
/* The row for a path such as "redis.port", or NULL. */
const struct conf_key	*conf_table_find(const char *path);
/* A type's name as the man page and error messages say it. */
const char		*conf_type_name(enum conf_type);

#endif
