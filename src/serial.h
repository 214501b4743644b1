/*
 * serial.h: the byte transport under the AT dialogue of a GSM modem: a
 * serial port (or a pseudo-terminal, for the modem simulator) opened
 * raw and non-blocking, read and written from the libevent loop.
 */
#ifndef CIVICAST_SERIAL_H
#define CIVICAST_SERIAL_H

#include <stddef.h>

struct event_base;
struct serial;

/* Bytes that arrived; the port may be closed from inside. */
typedef void	serial_read_cb(void *arg, const char *data, size_t len);
/*
 * The port is gone or broken (end of file, EIO, hang-up): why is
 * "EIO", "EOF"...  The port must be closed (it may be, from inside).
 */
typedef void	serial_error_cb(void *arg, const char *why);

/*
 * Open path (symlinks resolved) at baud, 8N1, no flow control, raw,
 * non-blocking, with an exclusive flock() so that two channels (or two
 * daemons) never talk to one modem at once.  NULL with cause.
 */
struct serial	*serial_open(const char *path, int baud, char **cause);
/* Watch the port on base; read and error callbacks with arg. */
void		 serial_attach(struct serial *, struct event_base *,
		    serial_read_cb *, serial_error_cb *, void *arg);
/*
 * Write len bytes: what the port does not take now is kept and sent
 * when it can (EV_WRITE).  -1 with *why ("EIO"...) when the port broke:
 * the caller closes it.
 */
int		 serial_write(struct serial *, const void *, size_t,
		    const char **why);
/* Bytes written with serial_write() and not yet taken by the port. */
size_t		 serial_pending(const struct serial *);
/* Drop unread input and unsent output (after a wake-up or an abort). */
void		 serial_discard(struct serial *);
/* The resolved device path. */
const char	*serial_path(const struct serial *);
/* The file descriptor. */
int		 serial_fd(const struct serial *);
/* "libserialport" or "termios": how the port was opened. */
const char	*serial_method(const struct serial *);
/* Close the port and free it; no callback is called afterwards. */
void		 serial_close(struct serial *);

#endif
