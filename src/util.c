/*
 * util.c: small helpers shared by the daemon and the CLI.
 */
#include "compat.h"

#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "utf8.h"
#include "util.h"
#include "xmalloc.h"

/* The login name of the invoking OS user. */
const char *
util_user(void)
{
	static char	 name[64];
	struct passwd	*pw;

	if (name[0] != '\0')
		return (name);
	/* The real uid: sudo civicast still records the operator's uid. */
	if ((pw = getpwuid(getuid())) != NULL)
		strlcpy(name, pw->pw_name, sizeof name);
	else
		snprintf(name, sizeof name, "uid%lu", (unsigned long)getuid());
	return (name);
}

/* Read a whole file of at most max bytes; -1 with cause. */
int
util_read_file(const char *path, size_t max, char **out, size_t *len,
    char **cause)
{
	struct stat	 st;
	char		*p;
	size_t		 have = 0, cap;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		xasprintf(cause, "%s: not a regular file", path);
		close(fd);
		return (-1);
	}
	if ((size_t)st.st_size > max) {
		xasprintf(cause, "%s: larger than %zu bytes", path, max);
		close(fd);
		return (-1);
	}
	cap = (size_t)st.st_size + 1;
	p = xmalloc(cap);
	for (;;) {
		if (have + 1 == cap) {
			if (cap > max) {
				xasprintf(cause, "%s: larger than %zu bytes",
				    path, max);
				free(p);
				close(fd);
				return (-1);
			}
			cap *= 2;
			p = xreallocarray(p, 1, cap);
		}
		n = read(fd, p + have, cap - have - 1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			xasprintf(cause, "%s: %s", path, strerror(errno));
			free(p);
			close(fd);
			return (-1);
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	close(fd);
	p[have] = '\0';
	*out = p;
	*len = have;
	return (0);
}

/* Trim ASCII white space at both ends, in place. */
char *
util_trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\n'))
		*--e = '\0';
	return (s);
}

/* Split s on separators into trimmed non-empty parts. */
size_t
util_split(const char *s, const char *seps, char ***out)
{
	char	**v = NULL, *copy, *p, *part;
	size_t	  n = 0;

	copy = xstrdup(s);
	p = copy;
	while (p != NULL) {
		part = strsep(&p, seps);
		part = util_trim(part);
		if (*part == '\0')
			continue;
		v = xreallocarray(v, n + 1, sizeof *v);
		v[n++] = xstrdup(part);
	}
	free(copy);
	*out = v;
	return (n);
}

/* Free what util_split returned. */
void
util_split_free(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* 1 when s holds valid UTF-8 without control characters (C0, DEL, C1). */
int
util_utf8_clean(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 len = strlen(s), i = 0, n;
	unsigned int		 cp;

	while (i < len) {
		if ((n = utf8_decode(p + i, len - i, &cp)) == 0)
			return (0);
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return (0);
		i += n;
	}
	return (1);
}

/* Format a unix time as ISO 8601 local time. */
const char *
util_time_iso(time_t t, char *buf, size_t len)
{
	struct tm	tm;

	localtime_r(&t, &tm);
	if (strftime(buf, len, "%Y-%m-%dT%H:%M:%S%z", &tm) == 0)
		strlcpy(buf, "?", len);
	return (buf);
}

/* Current time in milliseconds since the epoch. */
long long
util_now_ms(void)
{
	struct timeval	tv;

	gettimeofday(&tv, NULL);
	return ((long long)tv.tv_sec * 1000 + tv.tv_usec / 1000);
}

/* Arm a timer to fire in ms milliseconds. */
void
util_timer_ms(struct event *ev, long ms)
{
	struct timeval	tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ev, &tv);
}

/* Make tz the zone of local times (logs, CLI output, quiet hours). */
void
util_set_timezone(const char *tz)
{
	/*
	 * Deployments run on servers kept in UTC, but every time an operator
	 * reads (and, later, quiet hours) is in the configured zone.
	 */
	if (tz == NULL || setenv("TZ", tz, 1) != 0)
		return;
	tzset();
}

/* 1 when host is a loopback address or "localhost". */
int
util_is_loopback(const char *host)
{
	struct in_addr	a4;
	struct in6_addr	a6;

	if (strcmp(host, "localhost") == 0)
		return (1);
	if (inet_pton(AF_INET, host, &a4) == 1)
		return ((ntohl(a4.s_addr) >> 24) == 127);
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return (IN6_IS_ADDR_LOOPBACK(&a6));
	return (0);
}
