/*
 * util.h: small helpers shared by the daemon and the CLI.
 */
#ifndef CIVICAST_UTIL_H
#define CIVICAST_UTIL_H

#include <stddef.h>
#include <time.h>

struct event;

/* The login name of the invoking OS user (for audit records). */
const char	*util_user(void);
/* Read a whole file of at most max bytes; NUL-terminated; -1 with cause. */
int		 util_read_file(const char *path, size_t max, char **out,
		    size_t *len, char **cause);
/* Trim ASCII white space at both ends, in place; returns s. */
char		*util_trim(char *s);
/*
 * Split s on any of the separator characters into trimmed, non-empty
 * parts (allocated strings in an allocated array); returns the count.
 */
size_t		 util_split(const char *s, const char *seps, char ***out);
/* Free what util_split returned. */
void		 util_split_free(char **, size_t);
/* 1 when s holds valid UTF-8 without control characters. */
int		 util_utf8_clean(const char *s);
/* Format a unix time as ISO 8601 local time into buf. */
const char	*util_time_iso(time_t, char *buf, size_t len);
/* 1 when host is a loopback address (127/8, ::1) or "localhost". */
int		 util_is_loopback(const char *host);
/* Make tz (e.g. "Asia/Shanghai") the zone of local times. */
void		 util_set_timezone(const char *tz);
/* Current time in milliseconds since the epoch. */
long long	 util_now_ms(void);
/* Arm a timer to fire in ms milliseconds. */
void		 util_timer_ms(struct event *, long ms);

#endif
