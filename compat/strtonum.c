/* strtonum: a base-10 integer in [min, max], or 0 with *errstr set. */
#include "compat.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

long long
strtonum(const char *s, long long min, long long max, const char **errstr)
{
	long long	 v;
	char		*end;
	int		 saved = errno;

	if (errstr != NULL)
		*errstr = NULL;
	if (min > max) {
		if (errstr != NULL)
			*errstr = "invalid";
		return (0);
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (s == end || *end != '\0') {
		if (errstr != NULL)
			*errstr = "invalid";
		v = 0;
	} else if ((v == LLONG_MIN && errno == ERANGE) || v < min) {
		if (errstr != NULL)
			*errstr = "too small";
		v = 0;
	} else if ((v == LLONG_MAX && errno == ERANGE) || v > max) {
		if (errstr != NULL)
			*errstr = "too large";
		v = 0;
	}
	errno = saved;
	return (v);
}
