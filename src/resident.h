/*
 * resident.h: a resident of the registry, validated from typed input
 * (pure code, unit-tested).
 */
#ifndef CIVICAST_RESIDENT_H
#define CIVICAST_RESIDENT_H

#include "district.h"
#include "phone.h"

#define RESIDENT_ID_MAX		64
#define RESIDENT_NAME_MAX	96	/* bytes of UTF-8: 32 CJK characters */
#define RESIDENT_GROUPS_MAX	16
#define RESIDENT_GROUPS_SIZE	(RESIDENT_GROUPS_MAX * 33 + 1)

struct conf;

struct resident {
	char		id[RESIDENT_ID_MAX + 1];
	char		phone[PHONE_BUFSIZE];
	char		district[DISTRICT_BUFSIZE];
	char		groups[RESIDENT_GROUPS_SIZE];	/* sorted, ';'-joined */
	char		name[RESIDENT_NAME_MAX + 1];	/* "" when none */
	int		optout;		/* the phone is opted out */
	unsigned long	rid;		/* dense registry index, 0 if unsaved */
};

/*
 * Fill r from typed fields, checking each: the id (1-64 printable
 * characters, no white space), the phone (normalised), the district
 * (known, or a village of a known township), the groups (ids or display
 * names of configured groups, separated by ';', '|' or ',', possibly
 * none), the optional name.  Returns 0, or -1 with *cause naming the
 * field and the reason (never the phone number itself).
 */
int	 resident_make(struct resident *r, const struct conf *,
	    const struct district_table *, const char *id, const char *phone,
	    const char *district, const char *groups, const char *name,
	    char **cause);
/*
 * Resolve a list of group ids or display names into sorted, ';'-joined
 * ids in out; "" stays "".  -1 with cause for an unknown group.
 */
int	 resident_groups(const struct conf *, const char *list, char *out,
	    size_t outlen, char **cause);

#endif
