/*
 * log.c: levelled logging to stderr or syslog, with phone masking.
 */
#include "compat.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static int		 log_foreground = 1;
static enum log_level	 log_level = LOG_LEVEL_INFO;

static const char *log_names[] = { "error", "warn", "info", "debug" };

/* Start logging: foreground to stderr, else syslog as ident. */
void
log_init(int foreground, enum log_level level, const char *ident)
{
	log_foreground = foreground;
	log_level = level;
	tzset();
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* Change the level at run time. */
void
log_setlevel(enum log_level level)
{
	log_level = level;
}

/* The level in force. */
enum log_level
log_getlevel(void)
{
	return (log_level);
}

/* Parse a level name; -1 when unknown. */
int
log_level_parse(const char *name)
{
	size_t	i;

	for (i = 0; i < nitems(log_names); i++) {
		if (strcmp(name, log_names[i]) == 0)
			return ((int)i);
	}
	return (-1);
}

/* Name of a level. */
const char *
log_level_name(enum log_level level)
{
	if ((size_t)level >= nitems(log_names))
		return ("?");
	return (log_names[level]);
}

/*
 * Collect up to 11 digits starting at s, skipping single spaces or dashes
 * between digit groups; returns the number of bytes consumed, and the
 * positions of the digits in pos[].
 */
static size_t
log_phone_digits(const char *s, size_t pos[11], size_t *ndigits)
{
	size_t	i = 0, n = 0;

	while (s[i] != '\0' && n < 11) {
		if (isdigit((unsigned char)s[i])) {
			pos[n++] = i++;
			continue;
		}
		if ((s[i] == ' ' || s[i] == '-') && n > 0 &&
		    isdigit((unsigned char)s[i + 1])) {
			i++;
			continue;
		}
		break;
	}
	*ndigits = n;
	return (i);
}

/* Mask every Chinese mobile number in s, in place. */
void
log_mask_phones(char *s)
{
	size_t	i = 0, used, n, pos[11], k;

	while (s[i] != '\0') {
		if (!isdigit((unsigned char)s[i]) ||
		    (i > 0 && isdigit((unsigned char)s[i - 1]))) {
			i++;
			continue;
		}
		/* Skip a country prefix: 0086, 86 (the + is not a digit). */
		k = i;
		if (strncmp(s + k, "0086", 4) == 0)
			k += 4;
		else if (strncmp(s + k, "86", 2) == 0)
			k += 2;
		while (k > i && (s[k] == ' ' || s[k] == '-'))
			k++;
		if (k != i && s[k] != '1')
			k = i;
		used = log_phone_digits(s + k, pos, &n);
		if (n == 11 && s[k + pos[0]] == '1' &&
		    !isdigit((unsigned char)s[k + used])) {
			for (n = 3; n < 7; n++)
				s[k + pos[n]] = '*';
			i = k + used;
			continue;
		}
		/* Not a phone: skip the whole digit run. */
		while (isdigit((unsigned char)s[i]))
			i++;
	}
}

static void printflike(3, 0)
log_vwrite(int priority, const char *prefix, const char *fmt, va_list ap)
{
	char		 line[2048];
	struct tm	 tm;
	time_t		 now;
	char		 stamp[32];
	int		 saved = errno;

	vsnprintf(line, sizeof line, fmt, ap);
	log_mask_phones(line);
	if (log_foreground) {
		now = time(NULL);
		localtime_r(&now, &tm);
		strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(stderr, "%s %s%s\n", stamp, prefix, line);
		fflush(stderr);
	} else
		syslog(priority, "%s%s", prefix, line);
	errno = saved;
}

/* Warning with strerror(errno) appended. */
void
log_warn(const char *fmt, ...)
{
	char	 msg[1024];
	va_list	 ap;
	int	 saved = errno;

	if (log_level < LOG_LEVEL_WARN)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* The message is already formatted: write it through "%s". */
	errno = saved;
	log_warnx("%s: %s", msg, strerror(saved));
}

static void printflike(3, 4)
log_plain(int priority, const char *prefix, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(priority, prefix, fmt, ap);
	va_end(ap);
}

/* Warning. */
void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	if (log_level < LOG_LEVEL_WARN)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, "warning: ", fmt, ap);
	va_end(ap);
}

/* Informational message. */
void
log_info(const char *fmt, ...)
{
	va_list	ap;

	if (log_level < LOG_LEVEL_INFO)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_INFO, "", fmt, ap);
	va_end(ap);
}

/* Debug message. */
void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (log_level < LOG_LEVEL_DEBUG)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, "debug: ", fmt, ap);
	va_end(ap);
}

/* Error with strerror(errno), then exit(1). */
void
fatal(const char *fmt, ...)
{
	char	 msg[1024];
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_plain(LOG_CRIT, "fatal: ", "%s: %s", msg, strerror(saved));
	exit(1);
}

/* Error, then exit(1). */
void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, "fatal: ", fmt, ap);
	va_end(ap);
	exit(1);
}
