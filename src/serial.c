/*
 * serial.c: a serial port (or a pseudo-terminal) on the libevent loop.
 *
 * Two ways to open a device, chosen per device after resolving symlinks
 * (udev's /dev/serial/by-id/... and the simulator's DIR/ttySIMn are
 * links):
 *
 *  - libserialport, for a real tty: a path under /dev that is not a
 *    /dev/pts/N pseudo-terminal.  It knows the quirks of USB serial
 *    drivers and sets the line up completely (8N1, no flow control, raw).
 *  - plain termios, for everything else and as a fallback.  libserialport
 *    0.1.1 (Debian 12) refuses a name outside /dev or without an entry in
 *    /sys/class/tty, and its sp_open() fails on a pty because TIOCMGET
 *    answers ENOTTY there.  The fallback does the same set-up by hand and
 *    tolerates ENOTTY from the modem-control ioctls.  Why the fallback was
 *    taken is logged at debug level, once per open.
 *
 * Either way the descriptor ends up non-blocking and is watched with a
 * persistent EV_READ; EV_WRITE is added only while output waits.  A port
 * that goes away (USB unplug, the simulator killed) shows up as read()
 * returning 0 or failing with EIO, or write() failing with EIO: the
 * error callback says so and the owner closes the port.
 *
 * Callbacks may close the port: after calling one, nothing here touches
 * the struct serial again.
 */
#include "compat.h"

#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <event2/event.h>
#include <libserialport.h>

#include "buf.h"
#include "log.h"
#include "serial.h"
#include "xmalloc.h"

#define SERIAL_READ_MAX		4096
#define SERIAL_PENDING_MAX	(64 * 1024)	/* unsent output kept */

struct serial {
	char			*path;		/* resolved */
	int			 fd;
	struct sp_port		*sp;		/* NULL: opened with termios */
	struct event		*ev_read;
	struct event		*ev_write;
	struct buf		 out;		/* not yet written */
	serial_read_cb		*read_cb;
	serial_error_cb		*error_cb;
	void			*arg;
};

/* A short name for errno, for "modem m0: down (EIO)". */
static const char *
serial_errname(int error)
{
	switch (error) {
	case EIO:
		return ("EIO");
	case ENXIO:
		return ("ENXIO");
	case ENODEV:
		return ("ENODEV");
	case EBADF:
		return ("EBADF");
	case EPIPE:
		return ("EPIPE");
	default:
		return (strerror(error));
	}
}

static speed_t
serial_speed(int baud)
{
	static const struct {
		int	baud;
		speed_t	speed;
	} speeds[] = {
		{ 1200, B1200 }, { 2400, B2400 }, { 4800, B4800 },
		{ 9600, B9600 }, { 19200, B19200 }, { 38400, B38400 },
		{ 57600, B57600 }, { 115200, B115200 }, { 230400, B230400 },
		{ 460800, B460800 }, { 921600, B921600 },
		{ 1000000, B1000000 }, { 2000000, B2000000 },
		{ 3000000, B3000000 }, { 4000000, B4000000 }
	};
	size_t	i;

	for (i = 0; i < nitems(speeds); i++) {
		if (speeds[i].baud == baud)
			return (speeds[i].speed);
	}
	return (B0);
}

/* Open with libserialport; -1 with cause (the caller falls back). */
static int
serial_open_sp(struct serial *s, int baud, char **cause)
{
	struct sp_port	*sp;
	enum sp_return	 rc;
	char		*msg;
	int		 fd = -1;

	if (sp_get_port_by_name(s->path, &sp) != SP_OK) {
		msg = sp_last_error_message();
		xasprintf(cause, "sp_get_port_by_name: %s", msg);
		sp_free_error_message(msg);
		return (-1);
	}
	if ((rc = sp_open(sp, SP_MODE_READ_WRITE)) != SP_OK) {
		msg = sp_last_error_message();
		xasprintf(cause, "sp_open: %s", msg);
		sp_free_error_message(msg);
		sp_free_port(sp);
		return (-1);
	}
	if (sp_set_baudrate(sp, baud) != SP_OK ||
	    sp_set_bits(sp, 8) != SP_OK ||
	    sp_set_parity(sp, SP_PARITY_NONE) != SP_OK ||
	    sp_set_stopbits(sp, 1) != SP_OK ||
	    sp_set_flowcontrol(sp, SP_FLOWCONTROL_NONE) != SP_OK ||
	    sp_get_port_handle(sp, &fd) != SP_OK || fd < 0) {
		msg = sp_last_error_message();
		xasprintf(cause, "libserialport set-up: %s", msg);
		sp_free_error_message(msg);
		sp_close(sp);
		sp_free_port(sp);
		return (-1);
	}
	s->sp = sp;
	s->fd = fd;
	return (0);
}

/* Open with plain termios; -1 with cause. */
static int
serial_open_termios(struct serial *s, int baud, char **cause)
{
	struct termios	 tio;
	speed_t		 speed;
	int		 fd, bits;

	if ((speed = serial_speed(baud)) == B0) {
		xasprintf(cause, "%s: unsupported speed %d", s->path, baud);
		return (-1);
	}
	if ((fd = open(s->path, O_RDWR|O_NOCTTY|O_NONBLOCK|O_CLOEXEC)) ==
	    -1) {
		xasprintf(cause, "%s: %s", s->path, strerror(errno));
		return (-1);
	}
	if (!isatty(fd)) {
		xasprintf(cause, "%s: not a terminal", s->path);
		close(fd);
		return (-1);
	}
	if (tcgetattr(fd, &tio) != 0) {
		xasprintf(cause, "%s: tcgetattr: %s", s->path,
		    strerror(errno));
		close(fd);
		return (-1);
	}
	cfmakeraw(&tio);
	tio.c_cflag |= CLOCAL | CREAD;
	tio.c_cflag &= ~(CSTOPB | PARENB | CRTSCTS);
	tio.c_iflag &= ~(IXON | IXOFF | IXANY);
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	if (cfsetspeed(&tio, speed) != 0 || tcsetattr(fd, TCSANOW,
	    &tio) != 0) {
		xasprintf(cause, "%s: tcsetattr: %s", s->path,
		    strerror(errno));
		close(fd);
		return (-1);
	}
	/*
	 * Raise DTR and RTS: many modems ignore commands with DTR low.  A
	 * pty has no modem-control lines and answers ENOTTY (or EINVAL):
	 * nothing to raise there, so that is not an error.
	 */
	bits = TIOCM_DTR | TIOCM_RTS;
	if (ioctl(fd, TIOCMBIS, &bits) != 0 && errno != ENOTTY &&
	    errno != EINVAL)
		log_debug("serial %s: TIOCMBIS: %s", s->path,
		    strerror(errno));
	s->fd = fd;
	return (0);
}

/* Open path at baud; NULL with cause. */
struct serial *
serial_open(const char *path, int baud, char **cause)
{
	struct serial	*s;
	char		 real[PATH_MAX], *why = NULL;
	int		 flags, use_sp;

	if (realpath(path, real) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (NULL);
	}
	s = xcalloc(1, sizeof *s);
	s->path = xstrdup(real);
	s->fd = -1;
	buf_init(&s->out, SERIAL_PENDING_MAX);

	use_sp = strncmp(real, "/dev/", 5) == 0 &&
	    strncmp(real, "/dev/pts/", 9) != 0;
	if (!use_sp)
		log_debug("serial %s: termios (%s)", real,
		    strncmp(real, "/dev/", 5) != 0 ? "outside /dev, which "
		    "libserialport refuses" : "a pseudo-terminal, which "
		    "libserialport cannot open");
	else if (serial_open_sp(s, baud, &why) != 0) {
		log_debug("serial %s: termios (libserialport failed: %s)",
		    real, why);
		free(why);
		use_sp = 0;
	}
	if (!use_sp && serial_open_termios(s, baud, cause) != 0) {
		buf_free(&s->out);
		free(s->path);
		free(s);
		return (NULL);
	}

	/*
	 * libserialport may leave the descriptor blocking; the loop needs
	 * it non-blocking either way.
	 */
	if ((flags = fcntl(s->fd, F_GETFL)) == -1 ||
	    fcntl(s->fd, F_SETFL, flags | O_NONBLOCK) == -1) {
		xasprintf(cause, "%s: fcntl: %s", real, strerror(errno));
		serial_close(s);
		return (NULL);
	}
	/*
	 * One talker per modem: an AT dialogue cannot be shared, and an
	 * IMEI scan must not probe a port another channel is using.
	 */
	if (flock(s->fd, LOCK_EX | LOCK_NB) != 0) {
		xasprintf(cause, "%s: %s", real, errno == EWOULDBLOCK ?
		    "in use (locked)" : strerror(errno));
		serial_close(s);
		return (NULL);
	}
	/* Old bytes (a previous owner's answers) would confuse us. */
	tcflush(s->fd, TCIOFLUSH);
	log_debug("serial %s: open at %d (%s)", real, baud,
	    serial_method(s));
	return (s);
}

static void
serial_read_ev(evutil_socket_t fd, short what, void *arg)
{
	struct serial	*s = arg;
	char		 data[SERIAL_READ_MAX];
	ssize_t		 n;

	n = read(s->fd, data, sizeof data);
	if (n > 0) {
		s->read_cb(s->arg, data, (size_t)n);
		return;		/* s may be gone */
	}
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	s->error_cb(s->arg, n == 0 ? "EOF" : serial_errname(errno));
}

/* Write what waits; -1 with why when the port broke. */
static int
serial_flush(struct serial *s, const char **why)
{
	ssize_t	n;

	while (s->out.len > 0) {
		n = write(s->fd, s->out.data, s->out.len);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			*why = serial_errname(errno);
			return (-1);
		}
		memmove(s->out.data, s->out.data + n, s->out.len - n);
		s->out.len -= n;
		s->out.data[s->out.len] = '\0';
	}
	if (s->ev_write != NULL) {
		if (s->out.len > 0)
			event_add(s->ev_write, NULL);
		else
			event_del(s->ev_write);
	}
	return (0);
}

static void
serial_write_ev(evutil_socket_t fd, short what, void *arg)
{
	struct serial	*s = arg;
	const char	*why;

	if (serial_flush(s, &why) != 0)
		s->error_cb(s->arg, why);
}

/* Watch the port on base. */
void
serial_attach(struct serial *s, struct event_base *base,
    serial_read_cb *read_cb, serial_error_cb *error_cb, void *arg)
{
	s->read_cb = read_cb;
	s->error_cb = error_cb;
	s->arg = arg;
	s->ev_read = event_new(base, s->fd, EV_READ | EV_PERSIST,
	    serial_read_ev, s);
	s->ev_write = event_new(base, s->fd, EV_WRITE, serial_write_ev, s);
	if (s->ev_read == NULL || s->ev_write == NULL)
		fatalx("event_new failed");
	event_add(s->ev_read, NULL);
}

/* Write len bytes, keeping what the port does not take now. */
int
serial_write(struct serial *s, const void *data, size_t len,
    const char **why)
{
	if (buf_add(&s->out, data, len) != 0) {
		*why = "output overflow";
		return (-1);
	}
	return (serial_flush(s, why));
}

/* Bytes not yet taken by the port. */
size_t
serial_pending(const struct serial *s)
{
	return (s->out.len);
}

/* Drop unread input and unsent output. */
void
serial_discard(struct serial *s)
{
	tcflush(s->fd, TCIOFLUSH);
	buf_reset(&s->out);
	if (s->ev_write != NULL)
		event_del(s->ev_write);
}

/* The resolved device path. */
const char *
serial_path(const struct serial *s)
{
	return (s->path);
}

/* The file descriptor. */
int
serial_fd(const struct serial *s)
{
	return (s->fd);
}

/* How the port was opened. */
const char *
serial_method(const struct serial *s)
{
	return (s->sp != NULL ? "libserialport" : "termios");
}

/* Close and free. */
void
serial_close(struct serial *s)
{
	if (s == NULL)
		return;
	if (s->ev_read != NULL)
		event_free(s->ev_read);
	if (s->ev_write != NULL)
		event_free(s->ev_write);
	if (s->sp != NULL) {
		sp_close(s->sp);	/* closes s->fd */
		sp_free_port(s->sp);
	} else if (s->fd != -1)
		close(s->fd);
	buf_free(&s->out);
	free(s->path);
	free(s);
}
