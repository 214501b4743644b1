/*
 * audit.h: the audit stream (<prefix>audit) of registry changes and
 * sensitive reads.  Entries never hold a phone number in clear.
 */
#ifndef CIVICAST_AUDIT_H
#define CIVICAST_AUDIT_H

#include <stddef.h>

#include <hiredis/hiredis.h>

struct audit_entry {
	char		  id[48];	/* stream id: milliseconds-sequence */
	const char	**fields;	/* name, value, name, value ... */
	size_t		  nfields;
};

/*
 * Append an entry: user and action, then name/value pairs (NULL
 * terminated).  -1 with cause.
 */
int	 audit_append(redisContext *, const char *prefix, const char *user,
	    const char *action, char **cause, ...);
/* Call fn for the newest `count` entries, oldest first; -1 with cause. */
int	 audit_list(redisContext *, const char *prefix, size_t count,
	    void (*fn)(void *, const struct audit_entry *), void *arg,
	    char **cause);

#endif
