/*
 * modem-int.h: what the files of the modem channel share (modem.c the
 * channel glue, modem-port.c the port and its commands, modem-init.c
 * INIT, health, quarantine and replug, modem-send.c the send state
 * machine, SIM windows and status reports).  Not for other modules: the
 * channel's public face is modem.h.  The design is the comment at the
 * top of modem.c and docs/internals/modem.md.
 */
#ifndef CIVICAST_MODEM_INT_H
#define CIVICAST_MODEM_INT_H

#include <stddef.h>

#include <event2/util.h>

#include "at.h"
#include "buf.h"
#include "channel.h"
#include "pdu.h"
#include "simwin.h"

struct serial;

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

/* The states of docs/internals/modem.md; status() names them. */
enum modem_state {
	MODEM_OPENING,
	MODEM_INIT,
	MODEM_READY,
	MODEM_SENDING,
	MODEM_DOWN,
	MODEM_QUARANTINED
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

/* The commands of INIT and of the health check, in order. */
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
/* What handles the answer of the command in progress. */
typedef void	modem_answer_fn(struct modem *, enum modem_ans, int code);

/* One modem channel's state, shared by the modem*.c files. */
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
	char			 sim_seeded[32]; /* SIM whose windows came from Redis */
	int			 sim_loading;	/* waiting for them: send nothing */
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
	struct simwin_set	 wins;		/* the SIM's rate limits */
	int			 rate_logged;

	int			 depth;
	int			 dying;
};

/* modem.c: the channel glue. */
/* The channel id, for logs. */
const char	*modem_id(const struct modem *);
/* Enter from libevent: fini() inside only marks the modem dead. */
void		 modem_enter(struct modem *);
/* Leave a libevent entry; 1 when the modem was freed. */
int		 modem_leave(struct modem *);
/* Set last_error, for status(). */
void		 modem_set_error(struct modem *, const char *, ...)
		    printflike(2, 3);
/* Move to state s (logged at debug level). */
void		 modem_set_state(struct modem *, enum modem_state);

/* modem-port.c: the port, commands and their answers. */
/* Forget the command text (wiping the PIN). */
void		 modem_wipe_cmd(struct modem *);
/* The command in progress, for logs: never the PIN or the PDU. */
const char	*modem_cmd_name(const struct modem *);
/* Forget the command in progress (its answer will be ignored). */
void		 modem_cmd_cancel(struct modem *);
/* A write failed: next port when scanning, else the modem is down. */
void		 modem_port_failed(struct modem *, const char *);
/* Send cmd (without "\r") and wait up to ms for its answer. */
void		 modem_cmd_full(struct modem *, const char *, long,
		    modem_answer_fn *, int);
/* modem_cmd_full() for a command that holds no secret. */
void		 modem_cmd(struct modem *, const char *, long,
		    modem_answer_fn *);
/* The first answer line starting with prefix, after it; or NULL. */
const char	*modem_info(const struct modem *, const char *, char *,
		    size_t);
/* Integers of "a,b,c" into v; returns how many. */
int		 modem_ints(const char *, int *, int);
/* The first run of at least min digits in s into out, or -1. */
int		 modem_digits(const char *, size_t, char *, size_t);
/* The text between the first pair of double quotes, or -1. */
int		 modem_quoted(const char *, char *, size_t);
/* How a command ended, as text for errors and logs. */
const char	*modem_ans_text(const struct modem *, enum modem_ans, int,
		    char *, size_t);
/* Forget the ports of the IMEI scan. */
void		 modem_cands_free(struct modem *);
/* Close the port; the command in progress is cancelled. */
void		 modem_close(struct modem *);
/* Drop the port being probed and try the next one, from the loop. */
void		 modem_probe_next(struct modem *);
/* OPENING: the configured device, or the next port of the scan. */
void		 modem_open(struct modem *);
/* libevent: the command's answer did not come in time. */
void		 modem_cmd_timeout(evutil_socket_t, short, void *);

/* modem-init.c: INIT, health, quarantine, down and replug. */
/* Capacity 0 for a while, then INIT again. */
void		 modem_quarantine(struct modem *, const char *);
/* The port is gone: settle the message in progress, reopen later. */
void		 modem_down(struct modem *, const char *);
/* INIT from the wake-up on, on the port already open. */
void		 modem_init_start(struct modem *);
/* Issue the command of m->step. */
void		 modem_step_run(struct modem *);
/* The health score, 0-100. */
int		 modem_score(const struct modem *);
/* Up, registered and not erring too much: may send. */
int		 modem_healthy(const struct modem *);
/* libevent: every 30 s, AT+CSQ and AT+CREG? while idle. */
void		 modem_health_cb(evutil_socket_t, short, void *);
/* libevent: a delay or backoff ended. */
void		 modem_step_cb(evutil_socket_t, short, void *);

/* modem-send.c: the send state machine, SIM windows, status reports. */
/* The SIM windows from the channel's rate and limits; -1 with cause. */
int		 modem_limits_init(struct modem *, char **);
/* ms until every SIM window allows one more part; 0 when they do now. */
long long	 modem_rate_wait(const struct modem *, long long);
/* libevent: a rate window has room again. */
void		 modem_rate_cb(evutil_socket_t, short, void *);
/* READY: seed the SIM windows from Redis, once per SIM in this process. */
void		 modem_sim_seed(struct modem *);
/* Count one part sent now, in memory and (when kept) in Redis. */
void		 modem_sim_record(struct modem *);
/* Free a message taken off the modem. */
void		 modem_job_free(struct modem_job *);
/* Settle a message taken off the modem: count it, call its done(). */
void		 modem_job_done(struct modem *, struct modem_job *,
		    enum send_result, int, const char *);
/* Take the message in progress off the modem (NULL if none). */
struct modem_job *modem_job_take(struct modem *);
/* libevent: start the message send() queued. */
void		 modem_start_cb(evutil_socket_t, short, void *);
/* A status report (+CDS): decode it and hand it to ch->report. */
void		 modem_cds(struct modem *, const struct at_line *);

#endif
