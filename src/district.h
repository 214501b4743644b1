/*
 * district.h: China's administrative divisions (pure code, unit-tested).
 *
 * Codes are NBS statistical division codes.  The level comes from the
 * length alone: 2 province, 4 prefecture, 6 county, 9 township,
 * 12 village.  A code's parent is its prefix one level up; zeros are
 * never stripped to guess a level.
 */
#ifndef CIVICAST_DISTRICT_H
#define CIVICAST_DISTRICT_H

#include <stddef.h>

#define DISTRICT_MAXLEN		12
#define DISTRICT_BUFSIZE	(DISTRICT_MAXLEN + 1)
#define DISTRICT_NLEVELS	5

struct district {
	char		 code[DISTRICT_BUFSIZE];
	const char	*name;
	unsigned char	 len;		/* 2, 4, 6, 9 or 12 */
};

struct district_table;

/* An empty table. */
struct district_table *district_table_new(void);
/* Free a table. */
void	 district_table_free(struct district_table *);
/*
 * Load a "code,name,parent,level" CSV (header line first) such as the
 * shipped divisions-cn.csv.  Rows are checked (code shape, parent equal
 * to the code's prefix one level up); a bad row fails the load with
 * "FILE:LINE: reason".
 */
int	 district_table_load(struct district_table *, const char *path,
	    char **cause);
/*
 * Add a division, or rename it when the code is known.  The code must
 * have a valid shape and its parent must be known (provinces excepted).
 */
int	 district_table_add(struct district_table *, const char *code,
	    const char *name, char **cause);
/* Number of divisions in the table. */
size_t	 district_table_count(const struct district_table *);

/* 1 when code is all digits of length 2, 4, 6, 9 or 12. */
int	 district_shape_ok(const char *code);
/* Length of the parent code for a code of this length (0 for provinces). */
size_t	 district_parent_len(size_t len);
/* English level name for a code length: province, prefecture, ... */
const char *district_level_name(size_t len);
/*
 * Fill out with the code and each of its ancestors' codes, from the
 * province down to the code itself; returns how many (1 to 5).
 */
size_t	 district_prefixes(const char *code,
	    char out[DISTRICT_NLEVELS][DISTRICT_BUFSIZE]);

/* The division with exactly this code, or NULL. */
const struct district *district_find(const struct district_table *,
	    const char *code);
/*
 * 0 when code names a district residents may live in or a query may
 * target: a known code, or a 12-digit village whose township is known.
 * -1 with *cause otherwise.
 */
int	 district_check(const struct district_table *, const char *code,
	    const char **cause);
/*
 * The direct children of code (code "" for the provinces), sorted by
 * code; *out points into the table.  Returns how many.
 */
size_t	 district_children(const struct district_table *, const char *code,
	    const struct district ***out);

#endif
