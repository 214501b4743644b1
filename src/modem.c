/*
 * modem.c: the "modem" channel: one GSM modem on a serial port, AT
 * commands in PDU mode (3GPP TS 27.005/27.007), on the libevent loop.
 *
 * Why a state machine, and this one.  A modem is a slow, single-threaded
 * peer that answers one command at a time, interleaves unsolicited
 * lines (URCs) with its answers, can hang, reset, lose its network or be
 * unplugged at any moment.  Nothing here blocks: every command is written
 * and its answer awaited on the loop, and every wait has a timeout, so a
 * silent modem is noticed instead of stalling the daemon.
 *
 *	OPENING ──► INIT ──► READY ◄──► SENDING
 *	   ▲          │        │           │
 *	   │          ▼        ▼           ▼
 *	  DOWN      QUARANTINED ──► INIT (again)
 *	(the port lost, from any state)
 *
 *  OPENING	open the configured device, or find the modem by IMEI: each
 *		port matching the scan globs is opened, woken and asked
 *		AT+CGSN, and closed unless it is the one.
 *  INIT	wake-up (ESC and Ctrl-Z leave a "> " prompt a crashed run
 *		may have left, then "AT" until OK), ATZ, ATE0, AT+CMEE=1,
 *		the SIM (AT+CPIN?, the PIN once), PDU mode, status reports
 *		(AT+CNMI), the service centre, IMEI, IMSI, operator, signal
 *		and registration.  A step that fails for a reason that is
 *		the modem's or the SIM's quarantines it.
 *  READY	capacity 1 while registered, under every rate limit and not
 *		busy with a health check.  Every 30 s: AT+CSQ and AT+CREG?,
 *		which double as the keep-alive.
 *  SENDING	one message, part after part: AT+CMGS=<len>, the "> "
 *		prompt, the PDU and Ctrl-Z, then "+CMGS: <mr>" and OK.
 *  QUARANTINED	capacity 0 for a backoff (30 s doubling to 10 min), then
 *		INIT again: probe-based recovery after a modem-class error
 *		or a streak of errors.
 *  DOWN	the port is gone (EOF, EIO, write error, the device node
 *		vanished): reopened after 1 s doubling to 60 s, then INIT.
 *
 * The one rule that matters most: once the PDU and its Ctrl-Z have been
 * written, the network may have the message whatever happens next, so a
 * timeout, a plain ERROR or an unplug after that point is SEND_UNKNOWN,
 * never TEMPFAIL: a resend could reach the phone twice.  The result then
 * carries the predicted message reference (the last TP-MR seen plus one)
 * so a status report can still settle it.
 *
 * send() only queues the message and activates an event: all work, and
 * every done() call, happens from the loop.  A done() or report callback
 * may call send() or fini(); every entry from libevent counts itself in
 * m->depth and fini() inside one only marks the modem dead (as http.c).
 */
#include "compat.h"

#include <sys/stat.h>

#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "at.h"
#include "buf.h"
#include "channel.h"
#include "conf.h"
#include "log.h"
#include "modem.h"
#include "pdu.h"
#include "phone.h"
#include "secret.h"
#include "serial.h"
#include "util.h"
#include "xmalloc.h"

#define MODEM_BAUD_DEFAULT	115200

/* Timeouts, ms. */
#define MODEM_T_WAKE		2000	/* "AT" during the wake-up */
#define MODEM_T_CMD		5000	/* most commands */
#define MODEM_T_SLOW		15000	/* AT+COPS?, AT+CPIN?: network, SIM */
#define MODEM_T_PROMPT		10000	/* AT+CMGS until "> " */
#define MODEM_T_CMGS		60000	/* PDU written until +CMGS and OK */
#define MODEM_ESC_WAIT		500	/* after ESC, Ctrl-Z: let it settle */
#define MODEM_PIN_WAIT		3000	/* after the PIN: the SIM starts up */
#define MODEM_WAKE_TRIES	3

#define MODEM_HEALTH_EVERY	30	/* s between health checks */
#define MODEM_DOWN_MIN		1000	/* ms, reopen backoff */
#define MODEM_DOWN_MAX		60000
#define MODEM_QUAR_MIN		30000	/* ms, quarantine backoff */
#define MODEM_QUAR_MAX		600000
#define MODEM_ERRORS_MAX	5	/* errors in a row before quarantine */
#define MODEM_RING_MAX		100000	/* a larger limit is never reached */

enum modem_state {
	MODEM_OPENING,
	MODEM_INIT,
	MODEM_READY,
	MODEM_SENDING,
	MODEM_DOWN,
	MODEM_QUARANTINED
};

static const char *modem_state_names[] = {
	"opening", "init", "ready", "sending", "down", "quarantined"
};

/* How a command ended (or the prompt, which does not end it). */
enum modem_ans {
	ANS_OK,
	ANS_ERROR,		/* ERROR, NO CARRIER... */
	ANS_CMS,
	ANS_CME,
	ANS_PROMPT,
	ANS_TIMEOUT
};

enum modem_step {
	STEP_ESC,
	STEP_AT,
	STEP_ATZ,
	STEP_ATE0,
	STEP_CMEE,
	STEP_CPIN,
	STEP_CPIN_SET,
	STEP_CMGF,
	STEP_CSMS,
	STEP_CNMI,
	STEP_CNMI_FALLBACK,
	STEP_CSCA_SET,
	STEP_CSCA,
	STEP_CGSN,
	STEP_CIMI,
	STEP_COPS,
	STEP_CSQ,
	STEP_CREG,
	STEP_HEALTH_CSQ,
	STEP_HEALTH_CREG
};

/*
 * A sliding window: the times (ms) of the last rate.count parts sent, in
 * a ring.  The limit is reached when the ring is full and its oldest
 * entry is still inside the window.
 */
struct modem_limit {
	struct conf_rate	 rate;
	long long		*ring;
	size_t			 head;		/* next; the oldest when full */
	size_t			 n;
};

/* The message in progress. */
struct modem_job {
	struct channel_msg	 msg;		/* our copies */
	channel_done_cb		*cb;
	void			*arg;
	struct pdu_part		*parts;
	size_t			 nparts;
	size_t			 cur;		/* part being sent */
	size_t			 nok;		/* parts confirmed by +CMGS */
	int			 cur_written;	/* cur's PDU and ^Z written */
	int			 mr;		/* TP-MR of the last part */
};

struct modem;
typedef void	modem_answer_fn(struct modem *, enum modem_ans, int code);

struct modem {
	struct channel		*ch;
	struct event_base	*base;
	enum modem_state	 state;
	struct serial		*port;
	struct at_parser	 at;
	char			*devpath;	/* last device opened */
	int			 baud;

	/* The command in progress. */
	char			 cmd[PDU_HEX_MAX + 64];	/* for echo */
	int			 secret;	/* cmd holds the PIN */
	modem_answer_fn		*answer;	/* NULL: none in progress */
	struct buf		 info;		/* its answer lines */
	enum modem_step		 step;
	int			 tries;

	/* Finding the modem by IMEI. */
	int			 probing;
	char		       **cands;
	size_t			 ncands;
	size_t			 icand;

	struct event		*ev_cmd;	/* the command's timeout */
	struct event		*ev_step;	/* delays, backoffs, reopen */
	struct event		*ev_health;
	struct event		*ev_rate;
	struct event		*ev_start;	/* start the queued message */
	long			 down_ms;
	long			 quar_ms;
	int			 pin_sent;	/* in this INIT */
	int			 pin_bad;	/* never send the PIN again */
	int			 down_logged;	/* until READY again */

	/* What the modem told us. */
	char			 imei[32];
	char			 imsi[32];
	char			 oper[64];
	char			 smsc[32];
	int			 csq;		/* 0-31, 99 unknown */
	int			 creg;		/* -1 unknown */
	int			 registered;
	int			 mr_last;	/* last TP-MR seen, -1 none */
	int			 mr_guess;	/* MR guessed for an unknown */
	char			 guess_id[64];	/* that message */
	unsigned int		 ref8;		/* concatenation reference */

	unsigned long		 sent;
	unsigned long		 failed;
	unsigned long		 unknown;
	unsigned long		 reports;
	int			 errors;	/* in a row */
	char			 last_error[256];

	struct modem_job	*job;
	struct modem_limit	*limits;
	size_t			 nlimits;
	int			 rate_logged;

	int			 depth;
	int			 dying;
};

static void	modem_free(struct modem *);
static void	modem_open(struct modem *);
static void	modem_down(struct modem *, const char *);
static void	modem_init_start(struct modem *);
static void	modem_step_run(struct modem *);
static void	modem_init_answer(struct modem *, enum modem_ans, int);
static void	modem_health_answer(struct modem *, enum modem_ans, int);
static void	modem_cmgs_answer(struct modem *, enum modem_ans, int);
static void	modem_probe_next(struct modem *);
static void	modem_line(void *, const struct at_line *);

static const char *
modem_id(const struct modem *m)
{
	return (m->ch->conf->id != NULL ? m->ch->conf->id : "modem");
}

static void
modem_enter(struct modem *m)
{
	m->depth++;
}

/* Leave a libevent entry; 1 when the modem was freed. */
static int
modem_leave(struct modem *m)
{
	if (--m->depth == 0 && m->dying) {
		modem_free(m);
		return (1);
	}
	return (0);
}

static void printflike(2, 3)
modem_set_error(struct modem *m, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(m->last_error, sizeof m->last_error, fmt, ap);
	va_end(ap);
}

static void
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
static const char *
modem_cmd_name(const struct modem *m)
{
	if (m->secret)
		return ("AT+CPIN=");
	if (strncasecmp(m->cmd, "AT", 2) != 0)
		return ("the PDU");
	return (m->cmd);
}

/* Forget the command in progress (its answer will be ignored). */
static void
modem_cmd_cancel(struct modem *m)
{
	m->answer = NULL;
	evtimer_del(m->ev_cmd);
	modem_wipe_cmd(m);
}

/* A write failed: next port when scanning, else the modem is down. */
static void
modem_port_failed(struct modem *m, const char *why)
{
	if (m->probing)
		modem_probe_next(m);
	else
		modem_down(m, why);
}

/* Send cmd (without "\r") and wait up to ms for its answer. */
static void
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

static void
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
static const char *
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
static int
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
static int
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
static int
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

static const char *
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

/*
 * Health: 50 for being registered, up to 40 for the signal (20 when the
 * modem says 99, unknown), 10 for answering at all, less 10 for each
 * error in a row.  For people and `civicast modem list`; capacity looks
 * at registration and the state, not at the score.
 */
static int
modem_score(const struct modem *m)
{
	int	s;

	if (m->state != MODEM_READY && m->state != MODEM_SENDING)
		return (0);
	s = 10 + (m->registered ? 50 : 0);
	if (m->csq < 0 || m->csq > 31)
		s += 20;
	else
		s += m->csq * 40 / 31;
	s -= 10 * m->errors;
	return (s < 0 ? 0 : (s > 100 ? 100 : s));
}

static int
modem_healthy(const struct modem *m)
{
	return ((m->state == MODEM_READY || m->state == MODEM_SENDING) &&
	    m->registered && m->errors < MODEM_ERRORS_MAX);
}

/*
 * Rate limits.  In memory and per modem: a restart forgets the windows
 * (erring towards sending), and two daemons sharing a SIM do not see
 * each other's sends.  Limits shared through Redis come in a later
 * issue.  Every part counts, as operators count SMS, not messages; a
 * multipart message may overshoot a limit by its extra parts.
 */
static int
modem_limits_init(struct modem *m, char **cause)
{
	const struct conf_channel	*cc = m->ch->conf;
	struct conf_rate		 r;
	const char			*why;
	size_t				 i;

	m->limits = xreallocarray(NULL, cc->nlimits + 1, sizeof *m->limits);
	for (i = 0; i <= cc->nlimits; i++) {
		if (i == 0)
			r = cc->rate;
		else if (conf_rate_parse(cc->limits[i - 1], &r, &why) != 0) {
			xasprintf(cause, "channel %s: bad limit \"%s\": %s",
			    modem_id(m), cc->limits[i - 1], why);
			return (-1);
		}
		if (r.count == 0 || r.period == 0)
			continue;
		if (r.count > MODEM_RING_MAX) {
			log_debug("modem %s: limit %lu/%lus ignored: a modem "
			    "never sends that much", modem_id(m), r.count,
			    r.period);
			continue;
		}
		m->limits[m->nlimits].rate = r;
		m->limits[m->nlimits].ring = xreallocarray(NULL, r.count,
		    sizeof *m->limits[m->nlimits].ring);
		m->limits[m->nlimits].head = 0;
		m->limits[m->nlimits].n = 0;
		m->nlimits++;
	}
	return (0);
}

/* ms until every limit allows one more part; 0 when they do now. */
static long long
modem_rate_wait(const struct modem *m, long long now)
{
	const struct modem_limit	*l;
	long long			 wait = 0, w;
	size_t				 i;

	for (i = 0; i < m->nlimits; i++) {
		l = &m->limits[i];
		if (l->n < l->rate.count)
			continue;
		w = l->ring[l->head] + (long long)l->rate.period * 1000 - now;
		if (w > wait)
			wait = w;
	}
	return (wait);
}

static void
modem_rate_record(struct modem *m)
{
	struct modem_limit	*l;
	long long		 now = util_now_ms();
	size_t			 i;

	for (i = 0; i < m->nlimits; i++) {
		l = &m->limits[i];
		l->ring[l->head] = now;
		l->head = (l->head + 1) % l->rate.count;
		if (l->n < l->rate.count)
			l->n++;
	}
}

/* libevent: a rate window has room again. */
static void
modem_rate_cb(evutil_socket_t fd, short what, void *arg)
{
	struct modem	*m = arg;

	m->rate_logged = 0;
	log_debug("modem %s: rate window open again", modem_id(m));
	/* The outbox's next tick finds the capacity. */
}

static void
modem_job_free(struct modem_job *job)
{
	free((char *)job->msg.id);
	free((char *)job->msg.to);
	free((char *)job->msg.text);
	free((char *)job->msg.signature);
	free(job->parts);
	free(job);
}

/*
 * Settle the result of a message taken off the modem: the caller has
 * already moved the modem to its next state, and returns right after
 * (done may call send() or fini()).
 *
 * maybe_went: the current part's PDU was written and its fate is not
 * known.  Then, or when earlier parts went, the result is SEND_UNKNOWN
 * whatever the failure was: part of the message may be on the phone.
 */
static void
modem_job_done(struct modem *m, struct modem_job *job, enum send_result r,
    int maybe_went, const char *error)
{
	struct channel_result	 res;
	char			 ref[16], masked[PHONE_BUFSIZE];
	int			 mr = -1;

	if (r == SEND_OK)
		mr = job->mr;
	else if (maybe_went) {
		r = SEND_UNKNOWN;
		/*
		 * The modem numbers messages itself, one TP-MR after the
		 * other: had this one gone, it got the next.  A status
		 * report carrying it settles the message.
		 */
		if (m->mr_last >= 0) {
			mr = (m->mr_last + 1) & 0xff;
			m->mr_last = mr;
			m->mr_guess = mr;
			strlcpy(m->guess_id, job->msg.id, sizeof m->guess_id);
		}
	} else if (job->nok > 0) {
		r = SEND_UNKNOWN;
		mr = job->mr;
	}

	switch (r) {
	case SEND_OK:
		m->sent++;
		break;
	case SEND_UNKNOWN:
		m->unknown++;
		break;
	default:
		m->failed++;
		break;
	}
	if (r != SEND_OK && error != NULL)
		modem_set_error(m, "%s", error);

	memset(&res, 0, sizeof res);
	res.result = r;
	res.retry_after = -1;
	res.error = error;
	if (mr >= 0) {
		snprintf(ref, sizeof ref, "%d", mr);
		res.provider_ref = ref;
	}
	phone_mask(job->msg.to, masked);
	log_debug("modem %s: %s to %s: %s%s%s%s%s", modem_id(m), job->msg.id,
	    masked, channel_result_name(r), mr >= 0 ? " mr " : "",
	    mr >= 0 ? ref : "", error != NULL ? ": " : "",
	    error != NULL ? error : "");
	if (!m->dying)
		job->cb(job->arg, &job->msg, &res);
	modem_job_free(job);
}

static struct modem_job *
modem_job_take(struct modem *m)
{
	struct modem_job	*job = m->job;

	m->job = NULL;
	return (job);
}

static void
modem_set_state(struct modem *m, enum modem_state s)
{
	if (m->state != s)
		log_debug("modem %s: %s -> %s", modem_id(m),
		    modem_state_names[m->state], modem_state_names[s]);
	m->state = s;
}

/* Capacity 0 for a while, then INIT again. */
static void
modem_quarantine(struct modem *m, const char *why)
{
	modem_cmd_cancel(m);
	m->probing = 0;
	modem_set_error(m, "%s", why);
	log_warnx("modem %s: quarantined for %lds: %s", modem_id(m),
	    m->quar_ms / 1000, why);
	modem_set_state(m, MODEM_QUARANTINED);
	util_timer_ms(m->ev_step, m->quar_ms);
	m->quar_ms = m->quar_ms * 2 > MODEM_QUAR_MAX ? MODEM_QUAR_MAX :
	    m->quar_ms * 2;
}

/* An INIT step failed because of the modem or the SIM. */
static void
modem_fault(struct modem *m, const char *why)
{
	m->errors++;
	modem_quarantine(m, why);
}

static void
modem_cands_free(struct modem *m)
{
	while (m->ncands > 0)
		free(m->cands[--m->ncands]);
	free(m->cands);
	m->cands = NULL;
	m->icand = 0;
}

static void
modem_close(struct modem *m)
{
	modem_cmd_cancel(m);
	if (m->port != NULL) {
		serial_close(m->port);
		m->port = NULL;
	}
}

/*
 * The port is gone: close it, settle the message in progress, reopen
 * later.  Logged once when the modem goes down, at debug level while it
 * stays down.
 */
static void
modem_down(struct modem *m, const char *why)
{
	struct modem_job	*job = modem_job_take(m);
	char			*error = NULL;
	int			 maybe;

	modem_close(m);
	modem_cands_free(m);
	evtimer_del(m->ev_step);
	m->probing = 0;
	m->registered = 0;
	modem_set_error(m, "down (%s)", why);
	if (!m->down_logged)
		log_warnx("modem %s: down (%s); retrying", modem_id(m), why);
	else
		log_debug("modem %s: still down (%s); retrying in %lds",
		    modem_id(m), why, m->down_ms / 1000);
	m->down_logged = 1;
	modem_set_state(m, MODEM_DOWN);
	util_timer_ms(m->ev_step, m->down_ms);
	m->down_ms = m->down_ms * 2 > MODEM_DOWN_MAX ? MODEM_DOWN_MAX :
	    m->down_ms * 2;
	if (job != NULL) {
		maybe = job->cur_written;
		xasprintf(&error, "modem down (%s)%s", why, maybe ?
		    " after the PDU was written" : "");
		modem_job_done(m, job, SEND_TEMPFAIL, maybe, error);
		free(error);
	}
}

/* Drop the port being probed and try the next one, from the loop. */
static void
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
static void
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

/* INIT from the wake-up on, on the port already open. */
static void
modem_init_start(struct modem *m)
{
	modem_cmd_cancel(m);
	modem_set_state(m, MODEM_INIT);
	m->pin_sent = 0;
	m->step = STEP_ESC;
	modem_step_run(m);
}

/* Issue the command of m->step. */
static void
modem_step_run(struct modem *m)
{
	const struct conf_channel	*cc = m->ch->conf;
	char				 cmd[128], *pin = NULL, *cause = NULL;
	const char			*why;
	size_t				 len = 0;

	switch (m->step) {
	case STEP_ESC:
		/*
		 * A run that died between "> " and the PDU leaves the modem
		 * waiting for the PDU, where "AT" is just more PDU text.
		 * ESC abandons the message; a lone Ctrl-Z in command mode
		 * is ignored (it ends the prompt of modems that do not take
		 * ESC, where nothing valid was typed, so nothing is sent).
		 * The CR ends that line of junk: a modem that collects a
		 * command line up to CR and ignores one without the "AT"
		 * prefix (V.250 5.2.1) would otherwise read "\x1b\x1aAT" as
		 * our first command and stay silent.
		 */
		if (serial_write(m->port, "\x1b\x1a\r", 3, &why) != 0) {
			modem_port_failed(m, why);
			return;
		}
		m->step = STEP_AT;
		m->tries = 0;
		util_timer_ms(m->ev_step, MODEM_ESC_WAIT);
		return;
	case STEP_AT:
		if (m->tries == 0) {
			/* What the ESC and ^Z stirred up is noise. */
			serial_discard(m->port);
			at_parser_reset(&m->at);
		}
		modem_cmd(m, "AT", MODEM_T_WAKE, modem_init_answer);
		return;
	case STEP_ATZ:
		modem_cmd(m, "ATZ", MODEM_T_CMD, modem_init_answer);
		return;
	case STEP_ATE0:
		modem_cmd(m, "ATE0", MODEM_T_CMD, modem_init_answer);
		return;
	case STEP_CMEE:
		/* Numeric +CMS/+CME codes: at_cms_class() needs them. */
		modem_cmd(m, "AT+CMEE=1", MODEM_T_CMD, modem_init_answer);
		return;
	case STEP_CPIN:
		modem_cmd(m, "AT+CPIN?", MODEM_T_SLOW, modem_init_answer);
		return;
	case STEP_CPIN_SET:
		if (conf_secret_read(cc->pin_file, &pin, &len, &cause) != 0) {
			xasprintf(&pin, "PIN file: %s", cause);
			free(cause);
			modem_fault(m, pin);
			free(pin);
			return;
		}
		if (len < 4 || len > 8 || strspn(pin, "0123456789") != len) {
			conf_secret_free(pin, len);
			m->pin_bad = 1;
			modem_fault(m, "PIN file does not hold 4 to 8 digits");
			return;
		}
		snprintf(cmd, sizeof cmd, "AT+CPIN=\"%s\"", pin);
		conf_secret_free(pin, len);
		log_debug("modem %s: > AT+CPIN=\"****\"", modem_id(m));
		modem_cmd_full(m, cmd, MODEM_T_SLOW, modem_init_answer, 1);
		explicit_bzero(cmd, sizeof cmd);
		return;
	case STEP_CMGF:
		modem_cmd(m, "AT+CMGF=0", MODEM_T_CMD, modem_init_answer);
		return;
	case STEP_CSMS:
		/*
		 * Phase 2 behaviour: with AT+CSMS=0 a +CDS needs no +CNMA
		 * acknowledgement (TS 27.005 3.4.1), so nothing is sent back
		 * for a report.  Some modems know only one service: ERROR
		 * is tolerated.
		 */
		modem_cmd(m, "AT+CSMS=0", MODEM_T_CMD, modem_init_answer);
		return;
	case STEP_CNMI:
		/*
		 * mode 2 (buffer URCs while the link is busy), mt 1 (new
		 * messages stored, +CMTI), bm 0, ds 1 (status reports as
		 * +CDS with the PDU), bfr 0.
		 */
		modem_cmd(m, "AT+CNMI=2,1,0,1,0", MODEM_T_CMD,
		    modem_init_answer);
		return;
	case STEP_CNMI_FALLBACK:
		/* Some modems (older Huawei) refuse mode 2: mode 1. */
		modem_cmd(m, "AT+CNMI=1,1,0,1,0", MODEM_T_CMD,
		    modem_init_answer);
		return;
	case STEP_CSCA_SET:
		snprintf(cmd, sizeof cmd, "AT+CSCA=\"%s\",%d", cc->smsc,
		    cc->smsc[0] == '+' ? 145 : 129);
		modem_cmd(m, cmd, MODEM_T_CMD, modem_init_answer);
		return;
	case STEP_CSCA:
		modem_cmd(m, "AT+CSCA?", MODEM_T_CMD, modem_init_answer);
		return;
	case STEP_CGSN:
		modem_cmd(m, "AT+CGSN", MODEM_T_CMD, modem_init_answer);
		return;
	case STEP_CIMI:
		modem_cmd(m, "AT+CIMI", MODEM_T_CMD, modem_init_answer);
		return;
	case STEP_COPS:
		modem_cmd(m, "AT+COPS?", MODEM_T_SLOW, modem_init_answer);
		return;
	case STEP_CSQ:
		modem_cmd(m, "AT+CSQ", MODEM_T_CMD, modem_init_answer);
		return;
	case STEP_CREG:
		modem_cmd(m, "AT+CREG?", MODEM_T_CMD, modem_init_answer);
		return;
	case STEP_HEALTH_CSQ:
		modem_cmd(m, "AT+CSQ", MODEM_T_CMD, modem_health_answer);
		return;
	case STEP_HEALTH_CREG:
		modem_cmd(m, "AT+CREG?", MODEM_T_CMD, modem_health_answer);
		return;
	}
}

static void
modem_next(struct modem *m, enum modem_step step)
{
	m->step = step;
	modem_step_run(m);
}

/* Parse the answer of AT+CSQ. */
static void
modem_parse_csq(struct modem *m)
{
	char	v[64];
	int	n[2];

	if (modem_info(m, "+CSQ:", v, sizeof v) != NULL &&
	    modem_ints(v, n, 2) >= 1)
		m->csq = n[0];
}

/*
 * Parse the answer of AT+CREG?: "+CREG: <n>,<stat>[,...]"; a lone
 * number is an unsolicited "+CREG: <stat>".  1 (home) and 5 (roaming)
 * are registered.  Logs a change.
 */
static void
modem_parse_creg(struct modem *m, int quiet)
{
	char	v[128];
	int	n[2], k, was = m->registered;

	if (modem_info(m, "+CREG:", v, sizeof v) == NULL ||
	    (k = modem_ints(v, n, 2)) < 1)
		return;
	m->creg = k == 2 ? n[1] : n[0];
	m->registered = m->creg == 1 || m->creg == 5;
	if (quiet || was == m->registered)
		return;
	if (m->registered)
		log_info("modem %s: registered again", modem_id(m));
	else
		log_warnx("modem %s: registration lost (stat %d); not sending "
		    "until it returns", modem_id(m), m->creg);
}

static void
modem_ready(struct modem *m)
{
	modem_cands_free(m);
	m->probing = 0;
	m->errors = 0;
	m->down_ms = MODEM_DOWN_MIN;
	m->down_logged = 0;
	modem_set_state(m, MODEM_READY);
	log_info("modem %s: up, IMEI %s, %s, signal %d%s", modem_id(m),
	    m->imei[0] != '\0' ? m->imei : "?",
	    m->oper[0] != '\0' ? m->oper : "no operator", m->csq,
	    m->registered ? "" : ", not registered");
}

/* The answers of INIT (and of the IMEI scan). */
static void
modem_init_answer(struct modem *m, enum modem_ans ans, int code)
{
	const struct conf_channel	*cc = m->ch->conf;
	char				 v[128], t[64], *why;

	if (ans == ANS_PROMPT)
		return;		/* stray; the command times out */
	if (ans == ANS_TIMEOUT && m->step != STEP_AT) {
		if (m->probing) {
			modem_probe_next(m);
			return;
		}
		snprintf(v, sizeof v, "no answer to %.64s",
		    modem_cmd_name(m));
		if (m->step == STEP_CPIN_SET)
			m->pin_bad = 1;
		modem_fault(m, v);
		return;
	}

	switch (m->step) {
	case STEP_AT:
		if (ans == ANS_OK) {
			modem_next(m, m->probing ? STEP_CGSN : STEP_ATZ);
			return;
		}
		if (++m->tries < MODEM_WAKE_TRIES) {
			modem_step_run(m);
			return;
		}
		if (m->probing) {
			log_debug("modem %s: scan: %s does not answer AT",
			    modem_id(m), m->devpath);
			modem_probe_next(m);
		} else
			modem_fault(m, "no answer to AT");
		return;
	case STEP_ATZ:
		modem_next(m, STEP_ATE0);
		return;
	case STEP_ATE0:
		modem_next(m, STEP_CMEE);
		return;
	case STEP_CMEE:
		modem_next(m, STEP_CPIN);
		return;
	case STEP_CPIN:
		if (ans != ANS_OK || modem_info(m, "+CPIN:", v,
		    sizeof v) == NULL) {
			xasprintf(&why, "SIM: AT+CPIN? answered %s",
			    modem_ans_text(m, ans, code, t, sizeof t));
			modem_fault(m, why);
			free(why);
			return;
		}
		util_trim(v);
		if (strcmp(v, "READY") == 0) {
			modem_next(m, STEP_CMGF);
			return;
		}
		if (strcmp(v, "SIM PIN") != 0) {
			xasprintf(&why, "SIM: %s", v);
			modem_fault(m, why);
			free(why);
			return;
		}
		/*
		 * Three wrong PINs lock a SIM (then only the PUK helps): the
		 * PIN is tried once per INIT, and never again after the SIM
		 * refused it, until the daemon restarts.
		 */
		if (m->pin_sent)
			m->pin_bad = 1;
		if (m->pin_bad)
			modem_fault(m, "SIM PIN refused before; not trying it "
			    "again (fix pin_file and restart)");
		else if (cc->pin_file == NULL)
			modem_fault(m, "SIM wants a PIN and no pin_file "
			    "is set");
		else
			modem_next(m, STEP_CPIN_SET);
		return;
	case STEP_CPIN_SET:
		modem_wipe_cmd(m);
		if (ans != ANS_OK) {
			m->pin_bad = 1;
			xasprintf(&why, "SIM PIN refused: %s; not trying it "
			    "again", modem_ans_text(m, ans, code, t, sizeof t));
			modem_fault(m, why);
			free(why);
			return;
		}
		m->pin_sent = 1;
		/* The SIM needs a moment before SMS commands work. */
		m->step = STEP_CPIN;
		util_timer_ms(m->ev_step, MODEM_PIN_WAIT);
		return;
	case STEP_CMGF:
		if (ans != ANS_OK) {
			modem_fault(m, "no PDU mode (AT+CMGF=0)");
			return;
		}
		modem_next(m, STEP_CSMS);
		return;
	case STEP_CSMS:
		modem_next(m, cc->reports ? STEP_CNMI : cc->smsc != NULL ?
		    STEP_CSCA_SET : STEP_CSCA);
		return;
	case STEP_CNMI:
		if (ans != ANS_OK) {
			modem_next(m, STEP_CNMI_FALLBACK);
			return;
		}
		modem_next(m, cc->smsc != NULL ? STEP_CSCA_SET : STEP_CSCA);
		return;
	case STEP_CNMI_FALLBACK:
		if (ans != ANS_OK)
			log_warnx("modem %s: AT+CNMI refused: no delivery "
			    "reports", modem_id(m));
		modem_next(m, cc->smsc != NULL ? STEP_CSCA_SET : STEP_CSCA);
		return;
	case STEP_CSCA_SET:
		if (ans != ANS_OK)
			log_warnx("modem %s: cannot set the service centre; "
			    "the SIM's is used", modem_id(m));
		modem_next(m, STEP_CSCA);
		return;
	case STEP_CSCA:
		if (ans == ANS_OK && modem_info(m, "+CSCA:", v,
		    sizeof v) != NULL && modem_quoted(v, m->smsc,
		    sizeof m->smsc) == 0)
			log_debug("modem %s: service centre %s", modem_id(m),
			    m->smsc);
		modem_next(m, STEP_CGSN);
		return;
	case STEP_CGSN:
		/* "+CGSN: 86..." on some modems, bare digits on most. */
		t[0] = '\0';
		if (ans == ANS_OK && m->info.data != NULL)
			modem_digits(m->info.data, 14, t, 20);
		if (m->probing) {
			if (t[0] == '\0' || strcmp(t, cc->imei) != 0) {
				log_debug("modem %s: scan: %s has IMEI %s",
				    modem_id(m), m->devpath,
				    t[0] != '\0' ? t : "?");
				modem_probe_next(m);
				return;
			}
			log_info("modem %s: IMEI %s found on %s", modem_id(m),
			    t, m->devpath);
			m->probing = 0;
			modem_cands_free(m);
			modem_set_state(m, MODEM_INIT);
			m->pin_sent = 0;
			modem_next(m, STEP_ATZ);
			return;
		}
		if (t[0] == '\0') {
			modem_fault(m, "no IMEI (AT+CGSN)");
			return;
		}
		if (cc->imei != NULL && strcmp(t, cc->imei) != 0) {
			xasprintf(&why, "IMEI is %s, not %s: wrong device?", t,
			    cc->imei);
			modem_fault(m, why);
			free(why);
			return;
		}
		strlcpy(m->imei, t, sizeof m->imei);
		modem_next(m, STEP_CIMI);
		return;
	case STEP_CIMI:
		m->imsi[0] = '\0';
		if (ans == ANS_OK && m->info.data != NULL)
			modem_digits(m->info.data, 6, m->imsi, sizeof m->imsi);
		modem_next(m, STEP_COPS);
		return;
	case STEP_COPS:
		m->oper[0] = '\0';
		if (ans == ANS_OK && modem_info(m, "+COPS:", v,
		    sizeof v) != NULL)
			modem_quoted(v, m->oper, sizeof m->oper);
		modem_next(m, STEP_CSQ);
		return;
	case STEP_CSQ:
		if (ans == ANS_OK)
			modem_parse_csq(m);
		modem_next(m, STEP_CREG);
		return;
	case STEP_CREG:
		if (ans == ANS_OK)
			modem_parse_creg(m, 1);
		modem_ready(m);
		return;
	default:
		return;
	}
}

/* libevent: every 30 s, AT+CSQ and AT+CREG? while idle. */
static void
modem_health_cb(evutil_socket_t fd, short what, void *arg)
{
	struct modem	*m = arg;
	struct stat	 sb;

	modem_enter(m);
	if (!m->dying && m->state == MODEM_READY && m->job == NULL &&
	    m->answer == NULL) {
		/*
		 * A USB modem unplugged while idle may go unnoticed until
		 * the next write: look for its device node too.
		 */
		if (m->devpath != NULL && stat(m->devpath, &sb) != 0)
			modem_down(m, "device gone");
		else
			modem_next(m, STEP_HEALTH_CSQ);
	}
	modem_leave(m);
}

static void
modem_health_answer(struct modem *m, enum modem_ans ans, int code)
{
	if (ans == ANS_PROMPT)
		return;
	if (ans == ANS_TIMEOUT) {
		/* Out of step or hung: wake it up and start over. */
		m->errors++;
		modem_set_error(m, "no answer to %s", modem_cmd_name(m));
		log_warnx("modem %s: no answer to %s; reinitialising",
		    modem_id(m), modem_cmd_name(m));
		modem_init_start(m);
		return;
	}
	if (ans != ANS_OK) {
		m->errors++;
		modem_set_error(m, "%s answered ERROR", modem_cmd_name(m));
		if (m->errors >= MODEM_ERRORS_MAX)
			modem_quarantine(m, "too many errors in a row");
		return;
	}
	if (m->step == STEP_HEALTH_CSQ) {
		modem_parse_csq(m);
		modem_next(m, STEP_HEALTH_CREG);
		return;
	}
	modem_parse_creg(m, 0);
}

/* libevent: the command's answer did not come in time. */
static void
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

/* libevent: a delay or backoff ended. */
static void
modem_step_cb(evutil_socket_t fd, short what, void *arg)
{
	struct modem	*m = arg;

	modem_enter(m);
	if (!m->dying) {
		if (m->port == NULL)
			modem_open(m);
		else if (m->state == MODEM_QUARANTINED)
			modem_init_start(m);
		else if (m->port != NULL)
			modem_step_run(m);
	}
	modem_leave(m);
}

/* Start the part job->cur: AT+CMGS=<len>. */
static void
modem_part_start(struct modem *m)
{
	struct modem_job	*job = m->job;
	char			 cmd[32];

	job->cur_written = 0;
	snprintf(cmd, sizeof cmd, "AT+CMGS=%zu", job->parts[job->cur].tpdu_len);
	modem_cmd(m, cmd, MODEM_T_PROMPT, modem_cmgs_answer);
}

/* libevent: start the message send() queued. */
static void
modem_start_cb(evutil_socket_t fd, short what, void *arg)
{
	struct modem		*m = arg;
	struct modem_job	*job;
	struct pdu_opts		 opts;
	char			*cause = NULL, *error;

	modem_enter(m);
	if (m->dying || (job = m->job) == NULL ||
	    m->state != MODEM_SENDING) {
		modem_leave(m);
		return;
	}
	memset(&opts, 0, sizeof opts);
	opts.numtype = m->ch->conf->numtype == PDU_NATIONAL ? PDU_NATIONAL :
	    PDU_INTERNATIONAL;
	opts.srr = m->ch->conf->reports;
	opts.vp_minutes = m->ch->conf->validity;
	opts.ref = m->ref8++ & 0xff;
	opts.smsc = NULL;	/* the SIM's, or the one AT+CSCA set */
	job->parts = xcalloc(PDU_MAX_PARTS, sizeof *job->parts);
	if (pdu_encode_submit(job->msg.to, job->msg.text, &opts, job->parts,
	    PDU_MAX_PARTS, &job->nparts, &cause) != 0) {
		/* The text or number itself: no modem can send it. */
		xasprintf(&error, "cannot encode: %s", cause);
		free(cause);
		modem_set_state(m, MODEM_READY);
		modem_job_done(m, modem_job_take(m), SEND_PERMFAIL, 0, error);
		free(error);
		modem_leave(m);
		return;
	}
	modem_part_start(m);
	modem_leave(m);
}

/*
 * A part failed.  maybe_went: its PDU was written and its fate is
 * unknown.  recover: 0 back to READY, 1 INIT again (out of step), 2
 * quarantine (the modem's fault).
 */
static void
modem_send_failed(struct modem *m, enum send_result r, int maybe_went,
    const char *error, int recover)
{
	struct modem_job	*job = modem_job_take(m);

	if (r != SEND_PERMFAIL)
		m->errors++;
	if (recover == 0 && m->errors >= MODEM_ERRORS_MAX)
		recover = 2;
	switch (recover) {
	case 0:
		modem_set_state(m, MODEM_READY);
		break;
	case 1:
		log_warnx("modem %s: %s; reinitialising", modem_id(m), error);
		modem_init_start(m);
		break;
	default:
		modem_quarantine(m, error);
		break;
	}
	if (job != NULL)
		modem_job_done(m, job, r, maybe_went, error);
}

/* The answers to AT+CMGS, before and after the PDU. */
static void
modem_cmgs_answer(struct modem *m, enum modem_ans ans, int code)
{
	struct modem_job	*job = m->job;
	struct pdu_part		*p;
	enum at_errclass	 cls;
	enum send_result	 r;
	const char		*why;
	char			 t[80], v[64], *error;
	int			 mr[1], recover;

	if (job == NULL)
		return;
	p = &job->parts[job->cur];

	if (!job->cur_written) {
		if (ans == ANS_PROMPT) {
			/* Echo of the PDU, if any, ends with the ^Z. */
			modem_wipe_cmd(m);
			strlcpy(m->cmd, p->hex, sizeof m->cmd);
			util_timer_ms(m->ev_cmd, MODEM_T_CMGS);
			modem_rate_record(m);
			if (serial_write(m->port, p->hex, strlen(p->hex),
			    &why) != 0 || serial_write(m->port, "\x1a", 1,
			    &why) != 0) {
				/* No ^Z reached the modem: nothing went. */
				modem_down(m, why);
				return;
			}
			/*
			 * From here on the message may go.  The ^Z may still
			 * sit in our buffer or the tty's, but that cannot be
			 * told from its being on the wire: err on UNKNOWN.
			 */
			job->cur_written = 1;
			return;
		}
		/*
		 * No prompt: the modem refused AT+CMGS itself, so nothing
		 * of this part went.  A timeout leaves it out of step (a
		 * late prompt would swallow the next command): INIT again,
		 * whose ESC cancels such a prompt.
		 */
		recover = ans == ANS_TIMEOUT ? 1 : 0;
		r = SEND_TEMPFAIL;
		if ((ans == ANS_CMS && at_cms_class(code) == AT_ERR_MODEM) ||
		    (ans == ANS_CME && at_cme_class(code) == AT_ERR_MODEM))
			recover = 2;
		xasprintf(&error, "AT+CMGS answered %s instead of the prompt",
		    modem_ans_text(m, ans, code, t, sizeof t));
		modem_send_failed(m, r, 0, error, recover);
		free(error);
		return;
	}

	switch (ans) {
	case ANS_PROMPT:
		return;
	case ANS_OK:
		if (modem_info(m, "+CMGS:", v, sizeof v) != NULL &&
		    modem_ints(v, mr, 1) == 1 && mr[0] >= 0 && mr[0] <= 255)
			job->mr = mr[0];
		else {
			/* OK without +CMGS: it went; guess its TP-MR. */
			job->mr = m->mr_last >= 0 ? (m->mr_last + 1) & 0xff :
			    -1;
			log_debug("modem %s: OK without +CMGS", modem_id(m));
		}
		/*
		 * The modem gave the next message the TP-MR predicted for an
		 * unknown one: that one most likely never went (and a report
		 * for this MR is this message's).  Only worth a log line:
		 * the unknown result stands, for an operator to settle.
		 */
		if (job->mr >= 0 && job->mr == m->mr_guess)
			log_warnx("modem %s: TP-MR %d given again: %s "
			    "(unknown) most likely did not go", modem_id(m),
			    job->mr, m->guess_id);
		m->mr_guess = -1;
		if (job->mr >= 0)
			m->mr_last = job->mr;
		job->nok++;
		job->cur++;
		job->cur_written = 0;
		m->errors = 0;
		m->quar_ms = MODEM_QUAR_MIN;
		if (job->cur < job->nparts) {
			modem_part_start(m);
			return;
		}
		modem_set_state(m, MODEM_READY);
		modem_job_done(m, modem_job_take(m), SEND_OK, 0, NULL);
		return;
	case ANS_CMS:
	case ANS_CME:
		/* A definite refusal: this part did not go. */
		cls = ans == ANS_CMS ? at_cms_class(code) : at_cme_class(code);
		r = cls == AT_ERR_PERMANENT ? SEND_PERMFAIL : SEND_TEMPFAIL;
		xasprintf(&error, "%s (%s)", modem_ans_text(m, ans, code, t,
		    sizeof t), at_errclass_name(cls));
		modem_send_failed(m, r, 0, error, cls == AT_ERR_MODEM ? 2 : 0);
		free(error);
		return;
	case ANS_TIMEOUT:
		modem_send_failed(m, SEND_UNKNOWN, 1, "no answer after the PDU "
		    "was written", 1);
		return;
	default:
		/*
		 * A plain ERROR says nothing about whether the network took
		 * the message (some modems answer ERROR to a lost network
		 * acknowledgement).
		 */
		modem_send_failed(m, SEND_UNKNOWN, 1, "ERROR after the PDU "
		    "was written", 0);
		return;
	}
}

/*
 * A status report (+CDS, TS 23.040 9.2.2.3).  No +CNMA: with AT+CSMS=0
 * (phase 2) the modem acknowledges reports itself; a modem that still
 * wants one would answer later commands with +CMS ERROR 340, which
 * shows in last_error.
 */
static void
modem_cds(struct modem *m, const struct at_line *l)
{
	struct channel_report	 rep;
	struct pdu_status	 st;
	char			 to[PDU_NUMBER_MAX], ref[16], detail[32];
	char			 masked[PHONE_BUFSIZE], canon[PHONE_BUFSIZE];
	char			*cause = NULL;
	const char		*why;
	int			 cls;

	if (l->pdu == NULL)
		return;
	if (pdu_decode_status(l->pdu, &st, &cause) != 0) {
		log_warnx("modem %s: bad status report: %s", modem_id(m),
		    cause);
		free(cause);
		return;
	}
	m->reports++;
	cls = pdu_status_class(st.status);
	if (phone_normalize(st.recipient, canon, &why) == 0)
		strlcpy(to, canon, sizeof to);
	else
		strlcpy(to, st.recipient, sizeof to);
	snprintf(ref, sizeof ref, "%u", st.mr);
	snprintf(detail, sizeof detail, "TP-ST 0x%02x", st.status);
	memset(&rep, 0, sizeof rep);
	rep.ref = ref;
	rep.to = to;
	/* Still trying (0x20-0x3F) is pending: the outbox waits on. */
	rep.state = cls == 0 ? 1 : (cls > 0 ? 0 : -1);
	rep.detail = detail;
	if (phone_is_canonical(to))
		phone_mask(to, masked);
	else
		strlcpy(masked, "?", sizeof masked);
	log_debug("modem %s: status report mr %s to %s: %s", modem_id(m),
	    ref, masked, detail);
	if (m->ch->report != NULL)
		m->ch->report(m->ch->report_arg, m->ch, &rep);
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

/* How many more messages send() would take now: 1 or 0. */
static size_t
modem_capacity(struct channel *ch)
{
	struct modem	*m = ch->priv;
	long long	 wait;

	if (m == NULL || m->dying || m->state != MODEM_READY ||
	    m->job != NULL || m->answer != NULL || !modem_healthy(m))
		return (0);
	if ((wait = modem_rate_wait(m, util_now_ms())) > 0) {
		if (!evtimer_pending(m->ev_rate, NULL))
			util_timer_ms(m->ev_rate, (long)wait);
		if (!m->rate_logged)
			log_info("modem %s: rate limit reached; next send in "
			    "%llds", modem_id(m), (wait + 999) / 1000);
		m->rate_logged = 1;
		return (0);
	}
	return (1);
}

/* 0 when the modem cannot send for now (not merely busy). */
static int
modem_up(struct channel *ch)
{
	struct modem	*m = ch->priv;

	return (m != NULL && !m->dying && (m->state == MODEM_READY ||
	    m->state == MODEM_SENDING) && modem_healthy(m));
}

/* Messages handed over and not done yet. */
static size_t
modem_inflight(struct channel *ch)
{
	struct modem	*m = ch->priv;

	return (m != NULL && m->job != NULL ? 1 : 0);
}

/* Queue msg; -1 when the modem cannot take it now. */
static int
modem_send(struct channel *ch, const struct channel_msg *msg,
    channel_done_cb *cb, void *arg)
{
	struct modem		*m = ch->priv;
	struct modem_job	*job;

	if (modem_capacity(ch) == 0)
		return (-1);
	job = xcalloc(1, sizeof *job);
	job->cb = cb;
	job->arg = arg;
	job->mr = -1;
	job->msg.id = xstrdup(msg->id != NULL ? msg->id : "");
	job->msg.to = xstrdup(msg->to != NULL ? msg->to : "");
	job->msg.text = xstrdup(msg->text != NULL ? msg->text : "");
	job->msg.signature = xstrdup(msg->signature != NULL ?
	    msg->signature : "");
	m->job = job;
	modem_set_state(m, MODEM_SENDING);
	/* done() is never called from here: everything runs on the loop. */
	event_active(m->ev_start, EV_TIMEOUT, 1);
	return (0);
}

/* The modem's state as a JSON object. */
static void *
modem_status(struct channel *ch)
{
	struct modem	*m = ch->priv;
	const char	*imei;

	if (m == NULL)
		return (NULL);
	imei = m->imei[0] != '\0' ? m->imei : m->ch->conf->imei;
	return (json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:i, s:b, s:b, s:i, "
	    "s:I, s:I, s:I, s:I, s:i, s:s?}",
	    "id", modem_id(m),
	    "state", modem_state_names[m->state],
	    "device", m->devpath != NULL ? m->devpath : m->ch->conf->device,
	    "imei", imei,
	    "operator", m->oper[0] != '\0' ? m->oper : NULL,
	    "signal", m->csq,
	    "registered", m->registered,
	    "healthy", modem_healthy(m),
	    "score", modem_score(m),
	    "sent", (json_int_t)m->sent,
	    "failed", (json_int_t)m->failed,
	    "unknown", (json_int_t)m->unknown,
	    "reports", (json_int_t)m->reports,
	    "errors_in_a_row", m->errors,
	    "last_error", m->last_error[0] != '\0' ? m->last_error : NULL));
}

static void
modem_free(struct modem *m)
{
	size_t	i;

	modem_close(m);
	if (m->job != NULL)
		modem_job_free(m->job);
	modem_cands_free(m);
	event_free(m->ev_cmd);
	event_free(m->ev_step);
	event_free(m->ev_health);
	event_free(m->ev_rate);
	event_free(m->ev_start);
	for (i = 0; i < m->nlimits; i++)
		free(m->limits[i].ring);
	free(m->limits);
	at_parser_free(&m->at);
	buf_free(&m->info);
	free(m->devpath);
	free(m);
}

/* Close the port and free; done is not called. */
static void
modem_fini(struct channel *ch)
{
	struct modem	*m = ch->priv;

	if (m == NULL)
		return;
	ch->priv = NULL;
	m->dying = 1;
	if (m->depth == 0)
		modem_free(m);
	/* Else the outermost libevent entry frees it (modem_leave). */
}

/* Set the modem up on base; it opens from the loop.  -1 with cause. */
static int
modem_init(struct channel *ch, struct event_base *base, char **cause)
{
	const struct conf_channel	*cc = ch->conf;
	struct modem			*m;
	struct timeval			 tv;

	if (cc->device == NULL && cc->imei == NULL) {
		xasprintf(cause, "channel %s: neither device nor imei",
		    cc->id);
		return (-1);
	}
	m = xcalloc(1, sizeof *m);
	m->ch = ch;
	m->base = base;
	m->baud = cc->baud > 0 ? cc->baud : MODEM_BAUD_DEFAULT;
	m->csq = 99;
	m->creg = -1;
	m->mr_last = -1;
	m->mr_guess = -1;
	m->down_ms = MODEM_DOWN_MIN;
	m->quar_ms = MODEM_QUAR_MIN;
	/*
	 * The concatenation reference starts somewhere else after every
	 * restart, so a phone does not join parts of two messages.
	 */
	m->ref8 = (unsigned int)(time(NULL) ^ getpid()) & 0xff;
	at_parser_init(&m->at);
	buf_init(&m->info, 4096);
	if (modem_limits_init(m, cause) != 0) {
		at_parser_free(&m->at);
		buf_free(&m->info);
		while (m->nlimits > 0)
			free(m->limits[--m->nlimits].ring);
		free(m->limits);
		free(m);
		return (-1);
	}
	m->ev_cmd = evtimer_new(base, modem_cmd_timeout, m);
	m->ev_step = evtimer_new(base, modem_step_cb, m);
	m->ev_health = event_new(base, -1, EV_PERSIST, modem_health_cb, m);
	m->ev_rate = evtimer_new(base, modem_rate_cb, m);
	m->ev_start = evtimer_new(base, modem_start_cb, m);
	if (m->ev_cmd == NULL || m->ev_step == NULL || m->ev_health == NULL ||
	    m->ev_rate == NULL || m->ev_start == NULL)
		fatalx("evtimer_new failed");
	tv.tv_sec = MODEM_HEALTH_EVERY;
	tv.tv_usec = 0;
	event_add(m->ev_health, &tv);
	m->state = MODEM_OPENING;
	util_timer_ms(m->ev_step, 0);
	ch->priv = m;
	log_debug("channel %s: modem, %s%s, %d baud, %zu limit%s",
	    modem_id(m), cc->device != NULL ? "device " : "imei ",
	    cc->device != NULL ? cc->device : cc->imei, m->baud, m->nlimits,
	    m->nlimits == 1 ? "" : "s");
	return (0);
}

const struct channel_ops modem_channel_ops = {
	.type = "modem",
	.reports = 1,
	.up = modem_up,
	.init = modem_init,
	.send = modem_send,
	.capacity = modem_capacity,
	.inflight = modem_inflight,
	.fini = modem_fini,
	.status = modem_status
};
