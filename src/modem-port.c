/*
 * modem-port.c: the modem's serial port on the loop: opening it (the
 * configured device, or the IMEI scan), writing a command and awaiting
 * its answer with a timeout, the tokenizer's lines (answers, echo, URCs,
 * the "> " prompt) and the helpers that read answers.  The states are in
 * modem.c's comment.
 */
#include "compat.h"

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "at.h"
#include "buf.h"
#include "conf.h"
#include "log.h"
#include "modem-int.h"
#include "serial.h"
#include "util.h"
#include "xmalloc.h"

static void	modem_line(void *, const struct at_line *);

/* Forget the command text (wiping the PIN). */
void
modem_wipe_cmd(struct modem *m)
{
	if (m->secret) {
		explicit_bzero(m->cmd, sizeof m->cmd);
		m->secret = 0;
	}
	m->cmd[0] = '\0';
}

/*
 * The command in progress, for logs: never the PIN, and never the PDU,
 * which holds the recipient's number (as swapped digits that the log's
 * phone masking would not recognise).
 */
const char *
modem_cmd_name(const struct modem *m)
{
	if (m->secret)
		return ("AT+CPIN=");
	if (strncasecmp(m->cmd, "AT", 2) != 0)
		return ("the PDU");
	return (m->cmd);
}

/* Forget the command in progress (its answer will be ignored). */
void
modem_cmd_cancel(struct modem *m)
{
	m->answer = NULL;
	evtimer_del(m->ev_cmd);
	modem_wipe_cmd(m);
}

/* A write failed: next port when scanning, else the modem is down. */
void
modem_port_failed(struct modem *m, const char *why)
{
	if (m->probing)
		modem_probe_next(m);
	else
		modem_down(m, why);
}

/* Send cmd (without "\r") and wait up to ms for its answer. */
void
modem_cmd_full(struct modem *m, const char *cmd, long ms,
    modem_answer_fn *fn, int secret)
{
	const char	*why;

	modem_wipe_cmd(m);
	strlcpy(m->cmd, cmd, sizeof m->cmd);
	m->secret = secret;
	buf_reset(&m->info);
	m->answer = fn;
	if (!secret)
		log_debug("modem %s: > %s", modem_id(m), cmd);
	util_timer_ms(m->ev_cmd, ms);
	if (serial_write(m->port, cmd, strlen(cmd), &why) != 0 ||
	    serial_write(m->port, "\r", 1, &why) != 0)
		modem_port_failed(m, why);
	/* Nothing after this: modem_down may have finished a message. */
}

/* modem_cmd_full() for a command that holds no secret. */
void
modem_cmd(struct modem *m, const char *cmd, long ms, modem_answer_fn *fn)
{
	modem_cmd_full(m, cmd, ms, fn, 0);
}

/*
 * Is this line the modem echoing what we wrote?  ATE0 is sent early but
 * echo is tolerated anyway: the first commands of INIT run with echo on,
 * some modems turn it back on after ATZ, and a modem that was reset
 * behind our back starts with it on.  The PDU's echo ends with the ^Z.
 */
static int
modem_is_echo(const struct modem *m, const char *text)
{
	size_t	n = strlen(m->cmd);

	if (n == 0 || strncmp(text, m->cmd, n) != 0)
		return (0);
	return (text[n] == '\0' || (text[n] == '\x1a' && text[n + 1] == '\0'));
}

/* The first answer line starting with prefix, after it; or NULL. */
const char *
modem_info(const struct modem *m, const char *prefix, char *out,
    size_t len)
{
	const char	*p, *end;
	size_t		 k = strlen(prefix), n;

	if (m->info.data == NULL)
		return (NULL);
	for (p = m->info.data; *p != '\0'; p = end + (*end == '\n')) {
		end = strchr(p, '\n');
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) >= k && strncmp(p, prefix, k) == 0) {
			p += k;
			while (*p == ' ')
				p++;
			n = end - p;
			if (n >= len)
				n = len - 1;
			memcpy(out, p, n);
			out[n] = '\0';
			return (out);
		}
	}
	return (NULL);
}

/* Integers of "a,b,c" into v; returns how many. */
int
modem_ints(const char *s, int *v, int max)
{
	char	*end;
	long	 l;
	int	 n = 0;

	while (n < max) {
		while (*s == ' ')
			s++;
		l = strtol(s, &end, 10);
		if (end == s)
			break;
		v[n++] = (int)l;
		s = end;
		while (*s == ' ')
			s++;
		if (*s != ',')
			break;
		s++;
	}
	return (n);
}

/* The first run of at least min digits in s into out, or -1. */
int
modem_digits(const char *s, size_t min, char *out, size_t len)
{
	size_t	n;

	while (*s != '\0') {
		n = strspn(s, "0123456789");
		if (n >= min && n < len) {
			memcpy(out, s, n);
			out[n] = '\0';
			return (0);
		}
		s += n > 0 ? n : 1;
	}
	return (-1);
}

/* The text between the first pair of double quotes, or -1. */
int
modem_quoted(const char *s, char *out, size_t len)
{
	const char	*a, *b;
	size_t		 n;

	if ((a = strchr(s, '"')) == NULL || (b = strchr(a + 1, '"')) == NULL)
		return (-1);
	n = b - a - 1;
	if (n >= len)
		n = len - 1;
	memcpy(out, a + 1, n);
	out[n] = '\0';
	return (0);
}

/* How a command ended, as text for errors and logs. */
const char *
modem_ans_text(const struct modem *m, enum modem_ans ans, int code,
    char *buf, size_t len)
{
	switch (ans) {
	case ANS_OK:
		return ("OK");
	case ANS_CMS:
		snprintf(buf, len, "+CMS ERROR: %d (%s)", code,
		    at_cms_text(code));
		return (buf);
	case ANS_CME:
		snprintf(buf, len, "+CME ERROR: %d", code);
		return (buf);
	case ANS_PROMPT:
		return ("a \"> \" prompt");
	case ANS_TIMEOUT:
		return ("no answer");
	default:
		return ("ERROR");
	}
}

/* Forget the ports of the IMEI scan. */
void
modem_cands_free(struct modem *m)
{
	while (m->ncands > 0)
		free(m->cands[--m->ncands]);
	free(m->cands);
	m->cands = NULL;
	m->icand = 0;
}

/* Close the port; the command in progress is cancelled. */
void
modem_close(struct modem *m)
{
	modem_cmd_cancel(m);
	if (m->port != NULL) {
		serial_close(m->port);
		m->port = NULL;
	}
}

/* Drop the port being probed and try the next one, from the loop. */
void
modem_probe_next(struct modem *m)
{
	modem_close(m);
	modem_set_state(m, MODEM_OPENING);
	util_timer_ms(m->ev_step, 0);
}

/* The ports the scan globs match now, into m->cands. */
static void
modem_scan(struct modem *m)
{
	static const char *const defaults[] = {
		"/dev/ttyUSB*", "/dev/ttyACM*"
	};
	const struct conf_channel	*cc = m->ch->conf;
	const char *const		*pats;
	glob_t				 g;
	size_t				 i, n;
	int				 flags = 0;

	if (cc->nscan > 0) {
		pats = (const char *const *)cc->scan;
		n = cc->nscan;
	} else {
		pats = defaults;
		n = nitems(defaults);
	}
	memset(&g, 0, sizeof g);
	for (i = 0; i < n; i++) {
		if (glob(pats[i], flags, NULL, &g) == 0 || g.gl_pathc > 0)
			flags = GLOB_APPEND;
	}
	m->cands = xreallocarray(NULL, g.gl_pathc + 1, sizeof *m->cands);
	for (i = 0; i < g.gl_pathc; i++)
		m->cands[m->ncands++] = xstrdup(g.gl_pathv[i]);
	globfree(&g);
	m->icand = 0;
}

static void
modem_read(void *arg, const char *data, size_t len)
{
	struct modem	*m = arg;

	modem_enter(m);
	if (!m->dying)
		at_feed(&m->at, data, len, modem_line, m);
	modem_leave(m);
}

static void
modem_port_error(void *arg, const char *why)
{
	struct modem	*m = arg;

	modem_enter(m);
	if (!m->dying) {
		if (m->probing) {
			log_debug("modem %s: %s: %s", modem_id(m), m->devpath,
			    why);
			modem_probe_next(m);
		} else
			modem_down(m, why);
	}
	modem_leave(m);
}

/* Watch a freshly opened port. */
static void
modem_attach(struct modem *m, struct serial *s)
{
	m->port = s;
	free(m->devpath);
	m->devpath = xstrdup(serial_path(s));
	at_parser_reset(&m->at);
	serial_attach(s, m->base, modem_read, modem_port_error, m);
}

/*
 * OPENING: the configured device, or the next port of the IMEI scan.
 * Runs from ev_step only, never inside the tokenizer's callback.
 */
void
modem_open(struct modem *m)
{
	const struct conf_channel	*cc = m->ch->conf;
	struct serial			*s;
	char				*cause = NULL, *why;
	size_t				 n;

	modem_set_state(m, MODEM_OPENING);
	if (cc->device != NULL) {
		if ((s = serial_open(cc->device, m->baud, &cause)) == NULL) {
			modem_down(m, cause);
			free(cause);
			return;
		}
		modem_attach(m, s);
		m->probing = 0;
		modem_init_start(m);
		return;
	}

	if (m->cands == NULL)
		modem_scan(m);
	while (m->icand < m->ncands) {
		s = serial_open(m->cands[m->icand++], m->baud, &cause);
		if (s == NULL) {
			/* Locked ports are other channels' modems. */
			log_debug("modem %s: scan: %s", modem_id(m), cause);
			free(cause);
			cause = NULL;
			continue;
		}
		log_debug("modem %s: scan: asking %s for its IMEI",
		    modem_id(m), serial_path(s));
		modem_attach(m, s);
		m->probing = 1;
		m->step = STEP_ESC;
		modem_step_run(m);
		return;
	}
	n = m->ncands;
	modem_cands_free(m);
	xasprintf(&why, "IMEI %s not found on %zu port%s", cc->imei, n,
	    n == 1 ? "" : "s");
	modem_down(m, why);
	free(why);
}

/* libevent: the command's answer did not come in time. */
void
modem_cmd_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct modem	*m = arg;
	modem_answer_fn	*fn = m->answer;

	modem_enter(m);
	if (!m->dying && fn != NULL) {
		m->answer = NULL;
		log_debug("modem %s: no answer to %s", modem_id(m),
		    modem_cmd_name(m));
		fn(m, ANS_TIMEOUT, 0);
	}
	modem_leave(m);
}

/* The tokenizer's lines. */
static void
modem_line(void *arg, const struct at_line *l)
{
	struct modem	*m = arg;
	modem_answer_fn	*fn;
	enum modem_ans	 ans;

	/* Bytes of a port closed in this very read are ignored. */
	if (m->dying || m->port == NULL)
		return;
	switch (l->kind) {
	case AT_CDS:
		modem_cds(m, l);
		return;
	case AT_URC:
		log_debug("modem %s: URC %s%s", modem_id(m), l->text,
		    l->pdu != NULL ? " (PDU ignored)" : "");
		return;
	case AT_INFO:
		if (m->answer == NULL) {
			log_debug("modem %s: unexpected \"%s\"", modem_id(m),
			    l->text);
			return;
		}
		if (modem_is_echo(m, l->text))
			return;
		if (m->info.len > 0)
			buf_add(&m->info, "\n", 1);
		buf_add(&m->info, l->text, l->len);
		return;
	case AT_PROMPT:
		if (m->answer == NULL) {
			log_debug("modem %s: unexpected prompt", modem_id(m));
			return;
		}
		m->answer(m, ANS_PROMPT, 0);
		return;
	case AT_OK:
		ans = ANS_OK;
		break;
	case AT_CMS_ERROR:
		ans = ANS_CMS;
		break;
	case AT_CME_ERROR:
		ans = ANS_CME;
		break;
	default:
		ans = ANS_ERROR;
		break;
	}
	if (m->answer == NULL) {
		log_debug("modem %s: stray \"%s\"", modem_id(m), l->text);
		return;
	}
	fn = m->answer;
	m->answer = NULL;
	evtimer_del(m->ev_cmd);
	if (!m->secret)
		log_debug("modem %s: < %s", modem_id(m), l->text);
	fn(m, ans, l->code);
}
