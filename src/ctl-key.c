/*
 * ctl-key.c: civicast key generate.
 *
 * A department's key (departments.[].key_file) is 32 random bytes from
 * the kernel; civicastd and the department's publishers key HMAC-SHA256
 * event signatures with it (src/sign.c, docs/events.md).  The file is
 * created with mode 0600 whatever the umask, never through a symbolic
 * link, and never overwritten in place: --force writes a temporary file
 * in the same directory and renames it over the old key, so a reader sees
 * either the old key or the new one, whole.  The key is never printed.
 */
#include "compat.h"

#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "ctl.h"
#include "sign.h"
#include "xmalloc.h"

#define KEY_LEN		32	/* bytes written */

#if KEY_LEN < SIGN_KEY_MIN
#error "KEY_LEN is shorter than civicastd accepts"
#endif

#ifndef HAVE_EXPLICIT_BZERO
/* A memset the compiler cannot drop as a dead store. */
static void *(*volatile key_memset)(void *, int, size_t) = memset;

static void
explicit_bzero(void *p, size_t n)
{
	key_memset(p, 0, n);
}
#endif

static int	key_generate(struct ctl *, const struct cmdline_args *);

static const struct cmdline_opt key_generate_opts[] = {
	{ "force", 'f', NULL, 0, 0, 0,
	  "replace a key that exists (publishers must get the new one)" },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

/* The key command family. */
const struct ctl_cmd ctl_key_cmds[] = {
	{ "key", "generate", key_generate_opts, "DEPARTMENT", 1, 1, 0,
	  "write a new random signing key to the department's key_file "
	  "(mode 0600)", key_generate },
	{ NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL }
};

/* Fill buf from getrandom(2); -1 with errno set. */
static int
key_random(unsigned char *buf, size_t len)
{
	size_t	have = 0;
	ssize_t	n;

	while (have < len) {
		n = getrandom(buf + have, len - have, 0);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		have += (size_t)n;
	}
	return (0);
}

/* Write all of buf to fd and fsync it; -1 with errno set. */
static int
key_write(int fd, const unsigned char *buf, size_t len)
{
	size_t	have = 0;
	ssize_t	n;

	while (have < len) {
		n = write(fd, buf + have, len - have);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		have += (size_t)n;
	}
	return (fsync(fd));
}

/* fsync the directory holding path, so a rename survives a crash. */
static void
key_sync_dir(const char *path)
{
	char	*dir, *slash;
	int	 fd;

	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	fd = open(slash != NULL ? dir : ".",
	    O_RDONLY|O_DIRECTORY|O_CLOEXEC);
	if (fd != -1) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

static int
key_generate(struct ctl *ctl, const struct cmdline_args *a)
{
	const struct conf_department	*d;
	struct conf			*conf;
	struct stat			 sb;
	unsigned char			 key[KEY_LEN];
	const char			*path;
	char				*tmp = NULL;
	int				 force, fd, saved, have_old = 0;
	int				 said = 0;

	force = cmdline_given(a, "force");
	conf = ctl_conf(ctl);
	if ((d = conf_department_find(conf, a->argv[0])) == NULL) {
		ctl_warnx("no department '%s' in %s", a->argv[0],
		    conf->path != NULL ? conf->path : "the configuration");
		return (CTL_FAIL);
	}
	if (d->key_file == NULL) {
		ctl_warnx("department '%s' has no key_file in %s; set "
		    "departments.[].key_file (an absolute path) first", d->id,
		    conf->path != NULL ? conf->path : "the configuration");
		return (CTL_FAIL);
	}
	path = d->key_file;

	if (!force) {
		fd = open(path, O_CREAT|O_EXCL|O_WRONLY|O_NOFOLLOW|O_CLOEXEC,
		    0600);
		if (fd == -1 && errno == EEXIST) {
			ctl_warnx("%s: exists; use --force to replace the key "
			    "of %s (its publishers then need the new one)",
			    path, d->id);
			return (CTL_FAIL);
		}
	} else {
		if (lstat(path, &sb) == 0) {
			if (!S_ISREG(sb.st_mode)) {
				ctl_warnx("%s: not a regular file; not "
				    "replaced", path);
				return (CTL_FAIL);
			}
			have_old = 1;
		} else if (errno != ENOENT) {
			ctl_warnx("%s: %s", path, strerror(errno));
			return (CTL_FAIL);
		}
		/* mkostemp: O_CREAT|O_EXCL, mode 0600, a fresh name. */
		xasprintf(&tmp, "%s.new.XXXXXX", path);
		fd = mkostemp(tmp, O_CLOEXEC);
	}
	if (fd == -1) {
		ctl_warnx("%s: %s", tmp != NULL ? tmp : path, strerror(errno));
		free(tmp);
		return (CTL_FAIL);
	}
	/* Whatever the umask and the directory's default ACL did: 0600. */
	if (fchmod(fd, 0600) == -1)
		goto fail;
	/* A replaced key keeps the owner civicastd reads it as. */
	if (have_old && (sb.st_uid != geteuid() || sb.st_gid != getegid()) &&
	    fchown(fd, sb.st_uid, sb.st_gid) == -1) {
		saved = errno;
		ctl_warnx("%s: cannot keep owner %lu:%lu of the old key: %s",
		    path, (unsigned long)sb.st_uid, (unsigned long)sb.st_gid,
		    strerror(saved));
		said = 1;
		goto fail;
	}
	if (key_random(key, sizeof key) == -1 ||
	    key_write(fd, key, sizeof key) == -1) {
		saved = errno;
		explicit_bzero(key, sizeof key);
		errno = saved;
		goto fail;
	}
	explicit_bzero(key, sizeof key);
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (tmp != NULL && rename(tmp, path) == -1)
		goto fail;
	key_sync_dir(path);
	printf("wrote a new key for %s to %s (%d bytes, mode 0600); "
	    "publishers of %s need it too\n", d->id, path, KEY_LEN, d->id);
	if (!have_old && geteuid() == 0)
		printf("note: %s is owned by root; chown it to the user "
		    "civicastd runs as\n", path);
	free(tmp);
	return (CTL_OK);

fail:
	if (!said)
		saved = errno;
	if (fd != -1)
		close(fd);
	/* Never leave a partial key behind: not the new file, not the tmp. */
	(void)unlink(tmp != NULL ? tmp : path);
	if (!said)
		ctl_warnx("%s: %s", tmp != NULL ? tmp : path,
		    strerror(saved));
	free(tmp);
	return (CTL_FAIL);
}
