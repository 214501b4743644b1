/*
 * phone.h: Chinese mobile numbers (pure code, unit-tested and fuzzed).
 *
 * The canonical form is the 11-digit national number, "13800138000".
 */
#ifndef CIVICAST_PHONE_H
#define CIVICAST_PHONE_H

#include <stddef.h>

#define PHONE_LEN	11
#define PHONE_BUFSIZE	(PHONE_LEN + 1)

/*
 * Normalise a number as people type it (13800138000, 138 0013 8000,
 * +86 138-0013-8000, 0086..., 86..., full-width digits) into out.
 * Returns 0, or -1 with *cause saying why (never echoing the number).
 */
int	 phone_normalize(const char *in, char out[PHONE_BUFSIZE],
	    const char **cause);
/* Write the masked form of a canonical number (138****8000) into out. */
void	 phone_mask(const char *phone, char out[PHONE_BUFSIZE]);
/* 1 when s is already a canonical number. */
int	 phone_is_canonical(const char *s);

#endif
