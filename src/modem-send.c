/*
 * modem-send.c: sending one message, part after part (AT+CMGS, the
 * prompt, the PDU), settling its result by the SEND_UNKNOWN rule of
 * modem.c's comment, the SIM's rate windows (simwin.c) and the status
 * reports (+CDS) that come back later.
 */
#include "compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "at.h"
#include "conf.h"
#include "log.h"
#include "modem-int.h"
#include "pdu.h"
#include "phone.h"
#include "serial.h"
#include "simwin.h"
#include "util.h"
#include "xmalloc.h"

static void	modem_cmgs_answer(struct modem *, enum modem_ans, int);

/*
 * Rate limits: the SIM's sliding windows (simwin.c, pure).  In memory
 * and per modem: a restart forgets the windows (erring towards
 * sending), and two daemons sharing a SIM do not see each other's
 * sends; docs/internals/modem.md says how they are to be kept in Redis.
 * Every part counts, as operators count SMS, not messages; a multipart
 * message may overshoot a limit by its extra parts.
 */
int
modem_limits_init(struct modem *m, char **cause)
{
	const struct conf_channel	*cc = m->ch->conf;
	struct conf_rate		 r;
	const char			*why;
	size_t				 i;

	simwin_init(&m->wins);
	for (i = 0; i <= cc->nlimits; i++) {
		if (i == 0)
			r = cc->rate;
		else if (conf_rate_parse(cc->limits[i - 1], &r, &why) != 0) {
			xasprintf(cause, "channel %s: bad limit \"%s\": %s",
			    modem_id(m), cc->limits[i - 1], why);
			simwin_free(&m->wins);
			return (-1);
		}
		if (simwin_add(&m->wins, r.count, r.period, &why) == -1)
			log_debug("modem %s: limit %lu/%lus ignored: %s",
			    modem_id(m), r.count, r.period, why);
	}
	return (0);
}

/* ms until every SIM window allows one more part; 0 when they do now. */
long long
modem_rate_wait(const struct modem *m, long long now)
{
	return (simwin_wait(&m->wins, now));
}

/*
 * The SIM the windows count for: its IMSI, else the modem's IMEI.  The
 * caps are the SIM plan's, so they follow the SIM, not the port.
 */
static const char *
modem_sim_id(const struct modem *m)
{
	return (m->imsi[0] != '\0' ? m->imsi : m->imei);
}

static void
modem_sim_seeded(struct channel *ch, const long long *times, size_t n)
{
	struct modem	*m = ch->priv;
	size_t		 used;

	if (m == NULL || !m->sim_loading)
		return;
	used = simwin_restore(&m->wins, times, n);
	m->sim_loading = 0;
	if (used > 0)
		log_info("modem %s: %zu part%s sent through this SIM within "
		    "its limits' windows, counted again", modem_id(m), used,
		    used == 1 ? "" : "s");
}

/*
 * READY: the windows start from what Redis kept of this SIM, so that a
 * restart does not hand the SIM a fresh allowance.  Once per SIM in a
 * process: after a replug of the same SIM the windows in memory are
 * already right; another SIM in the modem starts from its own.  Nothing
 * is sent until Redis has answered (capacity 0 while sim_loading).
 */
void
modem_sim_seed(struct modem *m)
{
	struct channel	*ch = m->ch;
	const char	*id = modem_sim_id(m);
	char		*cause;

	if (ch->sim == NULL || m->wins.n == 0 || *id == '\0' ||
	    strcmp(id, m->sim_seeded) == 0)
		return;
	if (m->sim_seeded[0] != '\0') {
		/* Another SIM: the old one's counts are not its own. */
		simwin_free(&m->wins);
		if (modem_limits_init(m, &cause) != 0) {
			log_warnx("modem %s: %s", modem_id(m), cause);
			free(cause);
		}
	}
	strlcpy(m->sim_seeded, id, sizeof m->sim_seeded);
	m->sim_loading = 1;
	ch->sim->load(ch->sim_arg, ch, id, simwin_horizon(&m->wins),
	    simwin_depth(&m->wins), modem_sim_seeded);
}

/* Count one part sent now, in memory and (when kept) in Redis. */
void
modem_sim_record(struct modem *m)
{
	struct channel	*ch = m->ch;
	long long	 now = util_now_ms();

	simwin_record(&m->wins, now);
	if (ch->sim != NULL && m->wins.n > 0 && *modem_sim_id(m) != '\0')
		ch->sim->sent(ch->sim_arg, modem_sim_id(m), now,
		    simwin_horizon(&m->wins), simwin_depth(&m->wins));
}

/* libevent: a rate window has room again. */
void
modem_rate_cb(evutil_socket_t fd, short what, void *arg)
{
	struct modem	*m = arg;

	m->rate_logged = 0;
	log_debug("modem %s: rate window open again", modem_id(m));
	/* The outbox's next tick finds the capacity. */
}

/* Free a message taken off the modem. */
void
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
void
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

/* Take the message in progress off the modem (NULL if none). */
struct modem_job *
modem_job_take(struct modem *m)
{
	struct modem_job	*job = m->job;

	m->job = NULL;
	return (job);
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
void
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
			modem_sim_record(m);
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
void
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
