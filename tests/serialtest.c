/*
 * serialtest.c: open a port with serial_open() and hold one AT exchange.
 *
 * usage: serialtest [-v] [-b BAUD] [-T TIMEOUT_MS] DEVICE [COMMAND]
 *
 * Opens DEVICE as the modem channel does (src/serial.c: libserialport for
 * a tty under /dev, termios otherwise), prints how it was opened and the
 * resolved path, writes COMMAND (default "AT") with a CR, reads with
 * poll(2) until a final result (OK, ERROR, +CME/+CMS ERROR) or the
 * timeout (default 5000 ms), prints the answer with CR and LF escaped,
 * and closes the port:
 *
 *	method libserialport
 *	path /dev/ttyS0
 *	answer AT\r\r\nOK\r\n
 *
 * Exit 0 on OK, 1 on anything else (the reason on stderr), 2 on usage.
 * -v logs at debug level to stderr (why libserialport was not used).
 * tests/integration/serialport.sh runs it on a pty bind-mounted over a
 * /dev/ttySn, with tests/ioctlshim.c preloaded.
 */
#include "compat.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "serial.h"
#include "util.h"
#include "xmalloc.h"

#define ANSWER_MAX	4096

static void
usage(FILE *f)
{
	fprintf(f, "usage: serialtest [-v] [-b BAUD] [-T TIMEOUT_MS] DEVICE "
	    "[COMMAND]\n");
}

static long long
number(const char *s, long long min, long long max, const char *what)
{
	const char	*errstr;
	long long	 v;

	v = strtonum(s, min, max, &errstr);
	if (errstr != NULL) {
		fprintf(stderr, "serialtest: %s \"%s\" is %s\n", what, s,
		    errstr);
		exit(2);
	}
	return (v);
}

/* Print data with CR, LF and other control bytes escaped. */
static void
print_escaped(const char *data, size_t len)
{
	size_t		i;
	unsigned char	c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)data[i];
		if (c == '\r')
			fputs("\\r", stdout);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\\')
			fputs("\\\\", stdout);
		else if (c < 0x20 || c == 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
}

/* 1: OK, -1: an error result, 0: no final result yet. */
static int
final_result(const char *s)
{
	if (strstr(s, "\r\nOK\r\n") != NULL)
		return (1);
	if (strstr(s, "\r\nERROR\r\n") != NULL ||
	    strstr(s, "+CME ERROR:") != NULL ||
	    strstr(s, "+CMS ERROR:") != NULL)
		return (-1);
	return (0);
}

/* Wait for fd to be ready for events until deadline; 0 on timeout. */
static int
wait_fd(int fd, short events, long long deadline)
{
	struct pollfd	pfd;
	long long	left;
	int		n;

	for (;;) {
		if ((left = deadline - util_now_ms()) <= 0)
			return (0);
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, (int)left);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			fprintf(stderr, "serialtest: poll: %s\n",
			    strerror(errno));
			exit(1);
		}
		return (n);
	}
}

int
main(int argc, char **argv)
{
	struct serial	*s;
	struct buf	 in;
	const char	*command = "AT", *why;
	char		*cause, *line, data[512];
	long long	 deadline;
	ssize_t		 n;
	int		 c, baud = 115200, timeout = 5000, verbose = 0, fd;
	int		 result = 0;

	while ((c = getopt(argc, argv, "b:hT:v")) != -1) {
		switch (c) {
		case 'b':
			baud = (int)number(optarg, 300, 4000000, "baud");
			break;
		case 'T':
			timeout = (int)number(optarg, 1, 600000, "timeout");
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || argc > 2) {
		usage(stderr);
		exit(2);
	}
	if (argc == 2)
		command = argv[1];

	log_init(1, verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARN, "serialtest");
	if ((s = serial_open(argv[0], baud, &cause)) == NULL) {
		fprintf(stderr, "serialtest: %s\n", cause);
		free(cause);
		exit(1);
	}
	printf("method %s\n", serial_method(s));
	printf("path %s\n", serial_path(s));
	fflush(stdout);
	fd = serial_fd(s);
	deadline = util_now_ms() + timeout;

	/* serial_write() keeps what the port does not take now. */
	xasprintf(&line, "%s\r", command);
	if (serial_write(s, line, strlen(line), &why) != 0) {
		fprintf(stderr, "serialtest: write: %s\n", why);
		exit(1);
	}
	free(line);
	while (serial_pending(s) > 0) {
		if (wait_fd(fd, POLLOUT, deadline) == 0) {
			fprintf(stderr, "serialtest: write timed out\n");
			exit(1);
		}
		if (serial_write(s, "", 0, &why) != 0) {
			fprintf(stderr, "serialtest: write: %s\n", why);
			exit(1);
		}
	}

	buf_init(&in, ANSWER_MAX);
	while (result == 0) {
		if (wait_fd(fd, POLLIN, deadline) == 0)
			break;
		n = read(fd, data, sizeof data);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			fprintf(stderr, "serialtest: read: %s\n",
			    n == 0 ? "EOF" : strerror(errno));
			break;
		}
		if (buf_add(&in, data, (size_t)n) != 0) {
			fprintf(stderr, "serialtest: answer too long\n");
			break;
		}
		result = final_result(in.data);
	}
	fputs("answer ", stdout);
	print_escaped(in.data != NULL ? in.data : "", in.len);
	putchar('\n');
	fflush(stdout);
	if (result == 0 && util_now_ms() >= deadline)
		fprintf(stderr, "serialtest: no final result in %d ms\n",
		    timeout);
	else if (result == -1)
		fprintf(stderr, "serialtest: the modem answered an error\n");

	serial_close(s);
	buf_free(&in);
	return (result == 1 ? 0 : 1);
}
