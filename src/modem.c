/*
 * modem.c: the "modem" channel: one GSM modem on a serial port, AT
 * commands in PDU mode (3GPP TS 27.005/27.007), on the libevent loop.
 * This file is the channel glue (channel_ops, capacity, status, the
 * modem's life); modem-port.c writes commands and reads their answers,
 * modem-init.c runs INIT, health checks, quarantine and replug,
 * modem-send.c the send state machine, SIM windows and status reports.
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

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "conf.h"
#include "log.h"
#include "modem.h"
#include "modem-int.h"
#include "util.h"
#include "xmalloc.h"

static const char *modem_state_names[] = {
	"opening", "init", "ready", "sending", "down", "quarantined"
};

/* The channel id, for logs. */
const char *
modem_id(const struct modem *m)
{
	return (m->ch->conf->id != NULL ? m->ch->conf->id : "modem");
}

/* Enter from libevent: fini() inside only marks the modem dead. */
void
modem_enter(struct modem *m)
{
	m->depth++;
}

static void
modem_free(struct modem *m)
{
	modem_close(m);
	if (m->job != NULL)
		modem_job_free(m->job);
	modem_cands_free(m);
	event_free(m->ev_cmd);
	event_free(m->ev_step);
	event_free(m->ev_health);
	event_free(m->ev_rate);
	event_free(m->ev_start);
	simwin_free(&m->wins);
	at_parser_free(&m->at);
	buf_free(&m->info);
	free(m->devpath);
	free(m);
}

/* Leave a libevent entry; 1 when the modem was freed. */
int
modem_leave(struct modem *m)
{
	if (--m->depth == 0 && m->dying) {
		modem_free(m);
		return (1);
	}
	return (0);
}

/* Set last_error, for status(). */
void
modem_set_error(struct modem *m, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(m->last_error, sizeof m->last_error, fmt, ap);
	va_end(ap);
}

/* Move to state s (logged at debug level). */
void
modem_set_state(struct modem *m, enum modem_state s)
{
	if (m->state != s)
		log_debug("modem %s: %s -> %s", modem_id(m),
		    modem_state_names[m->state], modem_state_names[s]);
	m->state = s;
}

/* How many more messages send() would take now: 1 or 0. */
static size_t
modem_capacity(struct channel *ch)
{
	struct modem	*m = ch->priv;
	long long	 wait;

	if (m == NULL || m->dying || m->state != MODEM_READY ||
	    m->job != NULL || m->answer != NULL || !modem_healthy(m) ||
	    m->sim_loading)
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
	    cc->device != NULL ? cc->device : cc->imei, m->baud, m->wins.n,
	    m->wins.n == 1 ? "" : "s");
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
