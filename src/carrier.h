/*
 * carrier.h: which mobile carrier a Chinese number belongs to, from a
 * table of number-range prefixes (data/carriers.csv: prefix,carrier).
 * Numbers that moved carrier keep their range: routing by carrier is a
 * cost and reach preference, never a guarantee.
 */
#ifndef CIVICAST_CARRIER_H
#define CIVICAST_CARRIER_H

#include <stddef.h>

enum carrier {
	CARRIER_UNKNOWN = 0,
	CARRIER_MOBILE,		/* 中国移动 */
	CARRIER_UNICOM,		/* 中国联通 */
	CARRIER_TELECOM,	/* 中国电信 */
	CARRIER_BROADNET	/* 中国广电 */
};

struct carrier_table;

/* Load "prefix,carrier" rows (header first); -1 with "FILE:LINE: reason". */
struct carrier_table *carrier_load(const char *path, char **cause);
/* Free a table. */
void	 carrier_free(struct carrier_table *);
/* The carrier of a canonical 11-digit number (longest prefix wins). */
enum carrier carrier_of(const struct carrier_table *, const char *phone);
/* "mobile", "unicom", "telecom", "broadnet" or "unknown". */
const char *carrier_name(enum carrier);
/* Parse a name as above; -1 when unknown. */
int	 carrier_parse(const char *);

#endif
