/*
 * civicastd.c: the civicast daemon's main: options, configuration,
 * pidfile, daemonising, then the loop in daemon.c.
 */
#include "compat.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "pipeline.h"
#include "util.h"
#include "xmalloc.h"

#ifndef CIVICAST_CONF
#define CIVICAST_CONF	"/etc/civicast/civicast.conf"
#endif

static void
usage(FILE *f)
{
	fprintf(f, "usage: civicastd [-dhnVv] [-c file] [-p pidfile]\n"
	    "  -c file     configuration file (default %s)\n"
	    "  -d          stay in the foreground and log to stderr\n"
	    "  -h          show this help\n"
	    "  -n          check the configuration and exit\n"
	    "  -p pidfile  pidfile (overrides daemon.pidfile)\n"
	    "  -V          show the version\n"
	    "  -v          log debug messages\n", CIVICAST_CONF);
}

/*
 * Open and lock the pidfile.  flock() rather than fcntl(): the lock
 * belongs to the open file, so the child of daemon(3) keeps it, and it
 * can be taken before daemonising, while errors still reach the terminal.
 * Returns the descriptor, or -1 with *cause.
 */
static int
pidfile_open(const char *path, char **cause)
{
	char	 other[32];
	ssize_t	 n;
	int	 fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return (fd);
	if (errno != EWOULDBLOCK) {
		xasprintf(cause, "%s: lock: %s", path, strerror(errno));
		close(fd);
		return (-1);
	}
	n = pread(fd, other, sizeof other - 1, 0);
	other[n > 0 ? n : 0] = '\0';
	other[strcspn(other, "\n")] = '\0';
	xasprintf(cause, "%s is locked by pid %s: another civicastd is "
	    "running", path, other[0] != '\0' ? other : "?");
	close(fd);
	return (-1);
}

/* Write our pid into the locked pidfile (after daemonising). */
static void
pidfile_write(int fd, const char *path)
{
	char	 line[32];
	int	 len;

	len = snprintf(line, sizeof line, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 ||
	    pwrite(fd, line, (size_t)len, 0) != (ssize_t)len)
		fatal("%s", path);
}

/* Print the problems and warnings of a conf_load to stderr. */
static void
print_errors(const struct conf_errors *errs)
{
	size_t	i;

	for (i = 0; i < errs->n; i++)
		fprintf(stderr, "%s\n", errs->msgs[i]);
	for (i = 0; i < errs->nwarnings; i++)
		fprintf(stderr, "warning: %s\n", errs->warnings[i]);
}

/* civicastd: check the configuration, daemonise, run the loop. */
int
main(int argc, char **argv)
{
	struct conf_errors	 errs;
	struct conf		*conf;
	struct daemon		*d;
	struct pipeline		 pl;
	const char		*path = NULL, *pidpath = NULL;
	char			*cause, *pidcopy = NULL, *confcopy = NULL;
	size_t			 i;
	int			 ch, fg = 0, check = 0, verbose = 0;
	int			 defaults = 0, pidfd = -1, status;

	while ((ch = getopt(argc, argv, "c:dhnp:Vv")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			fg = 1;
			break;
		case 'h':
			usage(stdout);
			return (0);
		case 'n':
			check = 1;
			break;
		case 'p':
			pidpath = optarg;
			break;
		case 'V':
			printf("civicastd %s\n", PACKAGE_VERSION);
			return (0);
		case 'v':
			verbose = 1;
			break;
		default:
			usage(stderr);
			return (2);
		}
	}
	if (optind != argc) {
		usage(stderr);
		return (2);
	}

	/* Without -c, a missing default file means the embedded defaults. */
	if (path == NULL) {
		path = CIVICAST_CONF;
		if (access(path, F_OK) != 0 && errno == ENOENT) {
			path = NULL;
			defaults = 1;
		}
	}

	/* stderr until daemonised: start-up errors reach the terminal. */
	log_init(1, verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO, "civicastd");

	memset(&errs, 0, sizeof errs);
	conf = conf_load_checked(path, &errs);
	/* What the file names must work too, before detaching. */
	if (conf != NULL && pipeline_check(conf, &cause) != 0) {
		fprintf(stderr, "civicastd: %s\n", cause);
		free(cause);
		conf_free(conf);
		conf_errors_free(&errs);
		return (1);
	}
	if (check) {
		print_errors(&errs);
		conf_errors_free(&errs);
		if (conf == NULL)
			return (1);
		conf_free(conf);
		printf("civicastd: configuration OK%s\n", defaults ?
		    " (no " CIVICAST_CONF ": embedded defaults)" : "");
		return (0);
	}
	if (conf == NULL) {
		print_errors(&errs);
		fprintf(stderr, "civicastd: %zu problem%s in %s; not "
		    "starting\n", errs.n, errs.n == 1 ? "" : "s",
		    path != NULL ? path : "the embedded defaults");
		conf_errors_free(&errs);
		return (1);
	}
	if (!verbose)
		log_setlevel((enum log_level)conf->log_level);
	util_set_timezone(conf->timezone);

	if (pidpath == NULL)
		pidpath = conf->pidfile;
	if (pidpath != NULL && (pidfd = pidfile_open(pidpath, &cause)) == -1) {
		fprintf(stderr, "civicastd: %s\n", cause);
		free(cause);
		conf_errors_free(&errs);
		conf_free(conf);
		return (1);
	}
	/*
	 * daemon(3) moves to /: make both paths absolute, for the unlink at
	 * exit and for reading the file again on SIGHUP.  pidpath may also
	 * point into conf, which the daemon owns and may replace.
	 */
	if (pidpath != NULL && (pidcopy = realpath(pidpath, NULL)) == NULL)
		pidcopy = xstrdup(pidpath);
	if (path != NULL && (confcopy = realpath(path, NULL)) != NULL)
		path = confcopy;

	/* Warnings to the terminal now, and to syslog once daemonised. */
	for (i = 0; i < errs.nwarnings; i++)
		log_warnx("%s", errs.warnings[i]);
	if (!fg) {
		if (daemon(0, 0) != 0)
			fatal("daemon");
		log_init(0, log_getlevel(), "civicastd");
		for (i = 0; i < errs.nwarnings; i++)
			log_warnx("%s", errs.warnings[i]);
	}
	conf_errors_free(&errs);
	if (pidfd != -1)
		pidfile_write(pidfd, pidcopy);
	if (defaults)
		log_info("no %s: running on the embedded defaults",
		    CIVICAST_CONF);

	d = daemon_create(conf, path, fg, verbose);
	if (pipeline_start(&pl, d, &cause) != 0)
		fatalx("%s", cause);
	status = daemon_run(d);
	daemon_disconnect(d);
	pipeline_free(&pl);
	daemon_free(d);

	if (pidfd != -1) {
		if (unlink(pidcopy) != 0 && errno != ENOENT)
			log_warn("%s", pidcopy);
		close(pidfd);
	}
	free(pidcopy);
	free(confcopy);
	return (status);
}
