/*
 * secret.c: read a secret file (a password, a key) that only its owner
 * can read, and wipe it when done.
 */
#include "compat.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "secret.h"
#include "xmalloc.h"

#define CONF_SECRET_MAX		4096

#ifndef HAVE_EXPLICIT_BZERO
/* A memset the compiler cannot drop as a dead store. */
static void *(*volatile secret_memset)(void *, int, size_t) = memset;

static void
explicit_bzero(void *p, size_t n)
{
	secret_memset(p, 0, n);
}
#endif

/*
 * The rules every secret file meets, checked on the open descriptor
 * (fstat, not stat: what is checked is what is read): a regular file,
 * no access for group or others, owned by the user reading it (a file
 * that only another user may change is not ours to trust), at most
 * CONF_SECRET_MAX bytes and at least min.  -1 with cause, which names
 * the fix.
 */
static int
secret_fd_check(int fd, const char *path, size_t min, char **cause)
{
	struct stat	 sb;

	if (fstat(fd, &sb) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (!S_ISREG(sb.st_mode)) {
		xasprintf(cause, "%s: not a regular file", path);
		return (-1);
	}
	if ((sb.st_mode & 077) != 0) {
		xasprintf(cause, "%s: mode %04o lets group or others at the "
		    "secret; run chmod 600 %s", path,
		    (unsigned int)(sb.st_mode & 07777), path);
		return (-1);
	}
	if (sb.st_uid != geteuid()) {
		xasprintf(cause, "%s: owned by uid %lu, not by uid %lu that "
		    "reads it; run chown %lu %s (or run as the user that "
		    "owns it)", path, (unsigned long)sb.st_uid,
		    (unsigned long)geteuid(), (unsigned long)geteuid(), path);
		return (-1);
	}
	if (sb.st_size > CONF_SECRET_MAX) {
		xasprintf(cause, "%s: larger than %d bytes", path,
		    CONF_SECRET_MAX);
		return (-1);
	}
	if (sb.st_size == 0 || (size_t)sb.st_size < min) {
		if (sb.st_size == 0)
			xasprintf(cause, "%s: empty", path);
		else
			xasprintf(cause, "%s: holds %lld bytes, a key needs at "
			    "least %zu (civicast key generate writes one)",
			    path, (long long)sb.st_size, min);
		return (-1);
	}
	return (0);
}

static int
secret_open(const char *path, char **cause)
{
	int	fd;

	/* O_NONBLOCK: opening a FIFO must not hang before the check. */
	fd = open(path, O_RDONLY|O_NONBLOCK|O_NOCTTY|O_CLOEXEC);
	if (fd == -1)
		xasprintf(cause, "%s: %s", path, strerror(errno));
	return (fd);
}

/* Check a secret file against the rules of every read, without reading. */
int
conf_secret_check(const char *path, size_t min, char **cause)
{
	int	fd, rc;

	if ((fd = secret_open(path, cause)) == -1)
		return (-1);
	rc = secret_fd_check(fd, path, min, cause);
	close(fd);
	return (rc);
}

/* Read a secret file that only its owner can read, byte for byte. */
int
conf_secret_read_raw(const char *path, char **out, size_t *len,
    char **cause)
{
	char		*buf;
	size_t		 have = 0;
	ssize_t		 n;
	int		 fd;

	*out = NULL;
	*len = 0;
	if ((fd = secret_open(path, cause)) == -1)
		return (-1);
	if (secret_fd_check(fd, path, 0, cause) != 0) {
		close(fd);
		return (-1);
	}

	/* One byte more than allowed, to notice a file that grew. */
	buf = xmalloc(CONF_SECRET_MAX + 2);
	for (;;) {
		n = read(fd, buf + have, CONF_SECRET_MAX + 1 - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		if (have > CONF_SECRET_MAX)
			break;
	}
	if (n == -1 || have > CONF_SECRET_MAX) {
		if (n == -1)
			xasprintf(cause, "%s: %s", path, strerror(errno));
		else
			xasprintf(cause, "%s: larger than %d bytes", path,
			    CONF_SECRET_MAX);
		close(fd);
		explicit_bzero(buf, CONF_SECRET_MAX + 2);
		free(buf);
		return (-1);
	}
	close(fd);
	buf[have] = '\0';
	if (have == 0) {
		xasprintf(cause, "%s: empty", path);
		explicit_bzero(buf, CONF_SECRET_MAX + 2);
		free(buf);
		return (-1);
	}
	*out = buf;
	*len = have;
	return (0);
}

/* Read a secret file, trailing newlines stripped (passwords, PINs). */
int
conf_secret_read(const char *path, char **out, size_t *len, char **cause)
{
	if (conf_secret_read_raw(path, out, len, cause) != 0)
		return (-1);
	while (*len > 0 && ((*out)[*len - 1] == '\n' ||
	    (*out)[*len - 1] == '\r'))
		(*out)[--*len] = '\0';
	if (*len == 0) {
		xasprintf(cause, "%s: empty", path);
		conf_secret_free(*out, 0);
		*out = NULL;
		return (-1);
	}
	return (0);
}

/* explicit_bzero and free a secret. */
void
conf_secret_free(char *s, size_t len)
{
	if (s == NULL)
		return;
	/* Wipe the whole string even if the caller's len is short. */
	if (strlen(s) > len)
		len = strlen(s);
	explicit_bzero(s, len);
	free(s);
}
