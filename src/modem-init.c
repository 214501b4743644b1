/*
 * modem-init.c: bringing a modem up and keeping it healthy: the INIT
 * sequence (wake-up, SIM and PIN, PDU mode, reports, identity), the
 * health check every 30 s, the score, quarantine with its backoff, and
 * DOWN with reopening (replug).  The steps and their timeouts are the
 * table in docs/internals/modem.md.
 */
#include "compat.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "at.h"
#include "buf.h"
#include "conf.h"
#include "log.h"
#include "modem-int.h"
#include "secret.h"
#include "serial.h"
#include "util.h"
#include "xmalloc.h"

static void	modem_init_answer(struct modem *, enum modem_ans, int);
static void	modem_health_answer(struct modem *, enum modem_ans, int);

/* Capacity 0 for a while, then INIT again. */
void
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

/*
 * The port is gone: close it, settle the message in progress, reopen
 * later.  Logged once when the modem goes down, at debug level while it
 * stays down.
 */
void
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

/*
 * Health: 50 for being registered, up to 40 for the signal (20 when the
 * modem says 99, unknown), 10 for answering at all, less 10 for each
 * error in a row.  For people and `civicast modem list`; capacity looks
 * at registration and the state, not at the score.
 */
int
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

/* Up, registered and not erring too much: may send. */
int
modem_healthy(const struct modem *m)
{
	return ((m->state == MODEM_READY || m->state == MODEM_SENDING) &&
	    m->registered && m->errors < MODEM_ERRORS_MAX);
}

/* INIT from the wake-up on, on the port already open. */
void
modem_init_start(struct modem *m)
{
	modem_cmd_cancel(m);
	modem_set_state(m, MODEM_INIT);
	m->pin_sent = 0;
	m->step = STEP_ESC;
	modem_step_run(m);
}

/* Issue the command of m->step. */
void
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
	modem_sim_seed(m);
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
void
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

/* libevent: a delay or backoff ended. */
void
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
