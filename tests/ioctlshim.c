/*
 * ioctlshim.c: an LD_PRELOAD object that gives a pseudo-terminal
 * modem-control lines, for tests/integration/serialport.sh.
 *
 * Why: src/serial.c opens a real tty with libserialport and anything
 * else with plain termios.  The simulator (tests/modemsim) only makes
 * ptys, so the libserialport path would go untested.  Two things stop
 * libserialport 0.1.1 (Debian 12) on a pty:
 *
 *  - sp_get_port_by_name() wants /dev/NAME with a /sys/class/tty/NAME
 *    entry.  The test bind-mounts the pty slave over an existing
 *    /dev/ttySn inside a private mount namespace (unshare -m), so the
 *    name passes and the real node is never touched.
 *  - sp_open() reads the lines with TIOCMGET and sets DTR/RTS with
 *    TIOCMBIS/TIOCMBIC; a pty has no modem-control lines and answers
 *    ENOTTY, so sp_open() fails.  That is what this object fixes.
 *
 * ioctl() is wrapped: TIOCMGET, TIOCMSET, TIOCMBIS and TIOCMBIC go to
 * the real ioctl first; when it fails with ENOTTY or EINVAL on a
 * terminal (a pty), the lines are emulated instead: a per-descriptor
 * set of bits, where TIOCMGET answers DSR|CTS|CD (a modem that is on and
 * has carrier) plus what was set.  The set starts as DTR|RTS, because
 * the kernel raises both when a real serial port is opened (and
 * libserialport keeps the lines as it finds them).  Every other request,
 * and these four on a device that has the lines, are passed through
 * unchanged (dlsym(RTLD_NEXT, "ioctl")).  A descriptor's set starts
 * afresh when the number comes back for another file (a new device or
 * inode).  No locking: the test program is single-threaded.
 *
 * Build: cc -shared -fPIC -o ioctlshim.so tests/ioctlshim.c -ldl
 * Use:   LD_PRELOAD=/path/to/ioctlshim.so program ...
 * With IOCTLSHIM_DEBUG set in the environment, each emulated call is
 * reported on stderr, with the lines after it:
 *	ioctlshim: fd 3 TIOCMBIC RTS -> DTR|CTS|CD|DSR
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* RTLD_NEXT */
#endif

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

typedef int	ioctl_fn(int, unsigned long, ...);

#define SHIM_MAXFD	1024
#define SHIM_ALWAYS	(TIOCM_DSR | TIOCM_CTS | TIOCM_CD)
#define SHIM_OPEN	(TIOCM_DTR | TIOCM_RTS)

static struct shim_line {
	int	used;
	dev_t	dev;
	ino_t	ino;
	int	bits;	/* set with TIOCMSET/TIOCMBIS, cleared with TIOCMBIC */
} shim_lines[SHIM_MAXFD];

static ioctl_fn	*shim_real;

static ioctl_fn *
shim_next(void)
{
	if (shim_real == NULL) {
		*(void **)&shim_real = dlsym(RTLD_NEXT, "ioctl");
		if (shim_real == NULL) {
			fprintf(stderr, "ioctlshim: dlsym(ioctl): %s\n",
			    dlerror());
			abort();
		}
	}
	return (shim_real);
}

static const char *
shim_name(unsigned long request)
{
	switch (request) {
	case TIOCMGET:
		return ("TIOCMGET");
	case TIOCMSET:
		return ("TIOCMSET");
	case TIOCMBIS:
		return ("TIOCMBIS");
	case TIOCMBIC:
		return ("TIOCMBIC");
	default:
		return ("?");
	}
}

/* Print bits as "DTR|RTS|CTS|CD|DSR" ("0" when none) on stderr. */
static void
shim_print_bits(int bits)
{
	static const struct {
		int		 bit;
		const char	*name;
	} names[] = {
		{ TIOCM_LE, "LE" }, { TIOCM_DTR, "DTR" }, { TIOCM_RTS, "RTS" },
		{ TIOCM_ST, "ST" }, { TIOCM_SR, "SR" }, { TIOCM_CTS, "CTS" },
		{ TIOCM_CD, "CD" }, { TIOCM_RI, "RI" }, { TIOCM_DSR, "DSR" }
	};
	size_t	i;
	int	first = 1;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (bits & names[i].bit) {
			fprintf(stderr, "%s%s", first ? "" : "|",
			    names[i].name);
			bits &= ~names[i].bit;
			first = 0;
		}
	}
	if (bits != 0)
		fprintf(stderr, "%s0x%x", first ? "" : "|", (unsigned)bits);
	else if (first)
		fputs("0", stderr);
}

/* The emulated lines of fd, NULL when fd is not a terminal. */
static struct shim_line *
shim_line(int fd)
{
	struct termios		 tio;
	struct stat		 sb;
	struct shim_line	*l;

	if (fd < 0 || fd >= SHIM_MAXFD || fstat(fd, &sb) != 0 ||
	    !S_ISCHR(sb.st_mode) || shim_next()(fd, TCGETS, &tio) != 0)
		return (NULL);
	l = &shim_lines[fd];
	if (!l->used || l->dev != sb.st_rdev || l->ino != sb.st_ino) {
		l->used = 1;
		l->dev = sb.st_rdev;
		l->ino = sb.st_ino;
		l->bits = SHIM_OPEN;
	}
	return (l);
}

/* Emulate request on fd; -1 (errno kept) when fd is no terminal. */
static int
shim_emulate(int fd, unsigned long request, int *arg)
{
	struct shim_line	*l;
	int			 saved = errno;

	if (arg == NULL || (l = shim_line(fd)) == NULL) {
		errno = saved;
		return (-1);
	}
	switch (request) {
	case TIOCMGET:
		*arg = l->bits | SHIM_ALWAYS;
		break;
	case TIOCMSET:
		l->bits = *arg;
		break;
	case TIOCMBIS:
		l->bits |= *arg;
		break;
	case TIOCMBIC:
		l->bits &= ~*arg;
		break;
	}
	if (getenv("IOCTLSHIM_DEBUG") != NULL) {
		fprintf(stderr, "ioctlshim: fd %d %s ", fd, shim_name(request));
		if (request != TIOCMGET) {
			shim_print_bits(*arg);
			fputs(" ", stderr);
		}
		fputs("-> ", stderr);
		shim_print_bits(l->bits | SHIM_ALWAYS);
		fputs("\n", stderr);
	}
	errno = saved;
	return (0);
}

/* ioctl(2), as glibc declares it; see the comment at the top. */
int
ioctl(int fd, unsigned long request, ...)
{
	va_list	 ap;
	void	*arg;
	int	 rc;

	/* Every ioctl takes at most one argument, a word or a pointer. */
	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);

	rc = shim_next()(fd, request, arg);
	if (rc == -1 && (errno == ENOTTY || errno == EINVAL) &&
	    (request == TIOCMGET || request == TIOCMSET ||
	    request == TIOCMBIS || request == TIOCMBIC) &&
	    shim_emulate(fd, request, arg) == 0)
		return (0);
	return (rc);
}
