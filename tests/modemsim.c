/*
 * modemsim.c: a GSM modem simulator for the tests and the demo.
 *
 * usage: modemsim -d DIR [-n COUNT] [-l LOG.jsonl] [--latency MS]
 *	      [--imei-base N] [--mr-start N] [--report-delay MS]
 *	      [--cnmi M,MT,BM,DS,BFR] [--pin PIN] [--fault SPEC]...
 *	      [--control FIFO]
 *
 * Creates COUNT pseudo-terminals with symlinks DIR/ttySIM0..COUNT-1 to
 * their slave devices and writes DIR/modemsim.pid once they are ready.
 * Each one answers the AT dialogue of a SIMCom-like GSM modem on a China
 * Mobile SIM well enough for gammu, Kannel's at2 driver, smstools and the
 * civicast driver: identification, PIN, registration, signal, SMS in PDU
 * mode with AT+CMGS, status reports as +CDS.  Sent messages are decoded
 * and written as JSON lines to the log; faults (errors, silence, replugs)
 * are injected from the command line or a control FIFO.  See
 * docs/internals/modemsim.md.
 */
#include "compat.h"

#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <jansson.h>

#include "log.h"
#include "pdu.h"
#include "util.h"
#include "xmalloc.h"

#define MS_MANUFACTURER	"SIMCOM_Ltd"
#define MS_MODEL	"SIMCOM_SIM800"
#define MS_REVISION	"Revision:1418B04SIM800L24"
#define MS_OPERATOR	"CHINA MOBILE"
#define MS_OPERATOR_NUM	"46000"
#define MS_SMSC		"+8613800571500"
#define MS_LINE_MAX	1024		/* longer lines are dropped */
#define MS_ARGS_MAX	8
#define MS_SLOTS	50		/* SIM message slots we claim */
#define MS_REPORTS_MAX	4		/* status reports per message */

enum cmd_type {
	CMD_ACTION,			/* AT+CGMI */
	CMD_READ,			/* AT+CMEE? */
	CMD_TEST,			/* AT+CMEE=? */
	CMD_SET				/* AT+CMEE=1 */
};

enum mstate {
	MS_IDLE,			/* reading command lines */
	MS_PROMPT,			/* after "> ": reading a PDU */
	MS_BUSY				/* sending: input is buffered */
};

enum fault_kind {
	FAULT_CMS,
	FAULT_ERROR_SENT,
	FAULT_SILENT,
	FAULT_HANGUP
};

/* A fault that fires on sends: on the Nth one after it was set, or all. */
struct fault {
	enum fault_kind		 kind;
	int			 code;		/* FAULT_CMS */
	unsigned long		 at;		/* 0: every send */
	unsigned long		 seen;
	TAILQ_ENTRY(fault)	 entry;
};
TAILQ_HEAD(faults, fault);

struct modem;

/* A status report waiting for --report-delay. */
struct report {
	struct modem		*m;
	struct event		*ev;
	unsigned int		 mr;
	unsigned int		 st;
	char			 number[PDU_NUMBER_MAX];
	time_t			 scts;
	LIST_ENTRY(report)	 entry;
};

struct modem {
	int			 idx;
	char			 imei[16];
	char			 imsi[16];
	char			*link;		/* DIR/ttySIMn */
	char			 slave[128];
	int			 master;	/* -1 while unplugged */
	int			 slavefd;
	struct event		*rd;
	struct event		*wr;
	struct event		*busy;
	struct event		*replug;
	struct evbuffer		*in;
	struct evbuffer		*out;
	struct evbuffer		*answer;	/* sent when busy ends */
	enum mstate		 state;
	int			 silent;	/* the answer is swallowed */
	size_t			 cmgs_len;
	char			 pdu[PDU_HEX_MAX];
	size_t			 pdulen;
	int			 pdu_overflow;

	/* Settings a power cycle (ATZ, replug) resets. */
	int			 echo;
	int			 verbose;
	int			 cmee;
	int			 cmgf;
	int			 creg_n;
	int			 cgreg_n;
	int			 cops_format;
	int			 csms;
	int			 cnmi[5];
	char			 cscs[8];
	char			 csca[PDU_NUMBER_MAX];
	int			 csca_toa;
	char			 cpms[3][4];
	int			 locked;	/* SIM PIN asked */
	int			 cpin_urc;	/* +CPIN: READY due */

	/* Fault state. */
	char			 pin[16];	/* "": the SIM has none */
	long			 latency;
	int			 urc_noise;
	unsigned int		 noise_next;
	unsigned int		 report_st[MS_REPORTS_MAX];
	size_t			 nreport_st;	/* 0: one report, TP-ST 0 */
	int			 no_report;
	struct faults		 faults;

	unsigned int		 mr;		/* the next TP-MR */

	/* Counters for SIGUSR1. */
	unsigned long		 n_commands;
	unsigned long		 n_sends;	/* PDUs that came in */
	unsigned long		 n_sent;	/* recorded as sent */
	unsigned long		 n_rejected;
	unsigned long		 n_reports;
	unsigned long		 n_hangups;
	unsigned long		 n_unplugs;
};

static struct event_base	*base;
static FILE			*jlog;
static struct modem		*modems;
static int			 nmodems = 1;
static const char		*dir;
static char			*pidfile;
static long			 opt_latency;
static long			 report_delay = 1000;
static int			 cnmi_default[5] = { 0, 0, 0, 0, 0 };
static const char		*pin_default = "";
static LIST_HEAD(, report)	 reports = LIST_HEAD_INITIALIZER(reports);
static int			 ctl_fd = -1, ctl_wfd = -1;
static struct event		*ctl_ev;
static struct evbuffer		*ctl_in;

/* The URCs "urc-noise" scatters, as Huawei and SIMCom modems send them. */
static const char *noise_lines[] = {
	"+CMTI: \"SM\",3",
	"^RSSI:15",
	"^BOOT:20952633,0,0,0,75",
	"RING"
};

static void	modem_close(struct modem *);
static int	modem_open(struct modem *);
static void	process_input(struct modem *);

static void
usage(FILE *f)
{
	fprintf(f, "usage: modemsim -d DIR [-n COUNT] [-l LOG.jsonl] "
	    "[--latency MS] [--imei-base N]\n"
	    "\t[--mr-start N] [--report-delay MS] [--cnmi M,MT,BM,DS,BFR] "
	    "[--pin PIN]\n"
	    "\t[--fault SPEC]... [--control FIFO]\n");
}

static long long
number(const char *s, long long min, long long max, const char *what)
{
	const char	*errstr;
	long long	 v;

	v = strtonum(s, min, max, &errstr);
	if (errstr != NULL) {
		fprintf(stderr, "modemsim: %s \"%s\" is %s\n", what, s,
		    errstr);
		exit(2);
	}
	return (v);
}

static void
log_json(json_t *o)
{
	char	*line;

	if (jlog != NULL && (line = json_dumps(o, JSON_COMPACT)) != NULL) {
		fprintf(jlog, "%s\n", line);
		fflush(jlog);
		free(line);
	}
	json_decref(o);
}

/* A log line {"time_ms","event","modem"} to add fields to. */
static json_t *
event_json(const char *event, const struct modem *m)
{
	json_t	*o;

	o = json_object();
	json_object_set_new(o, "time_ms", json_integer(util_now_ms()));
	json_object_set_new(o, "event", json_string(event));
	if (m != NULL)
		json_object_set_new(o, "modem", json_integer(m->idx));
	return (o);
}

static void
set_timer(struct event *ev, long ms)
{
	struct timeval	tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ev, &tv);
}

/* The IMEI: 14 digits and the Luhn check digit. */
static void
make_imei(char *imei, size_t len, long long body)
{
	int	i, d, sum = 0;

	snprintf(imei, len, "%014lld", body);
	for (i = 0; i < 14; i++) {
		d = imei[i] - '0';
		if (i % 2 == 1 && (d *= 2) > 9)
			d -= 9;
		sum += d;
	}
	imei[14] = (char)('0' + (10 - sum % 10) % 10);
	imei[15] = '\0';
}

/* What a modem holds after power-on (and ATZ, which reloads profile 0). */
static void
modem_defaults(struct modem *m)
{
	/*
	 * Echo starts ON as on every real modem: gammu sends ATE1 anyway,
	 * Kannel and smstools send ATE0 and must cope with the echo of the
	 * commands before it.
	 */
	m->echo = 1;
	m->verbose = 1;
	m->cmee = 0;
	m->cmgf = 0;
	m->creg_n = 0;
	m->cgreg_n = 0;
	m->cops_format = 0;
	m->csms = 0;
	memcpy(m->cnmi, cnmi_default, sizeof m->cnmi);
	strlcpy(m->cscs, "IRA", sizeof m->cscs);
	strlcpy(m->csca, MS_SMSC, sizeof m->csca);
	m->csca_toa = 145;
	strlcpy(m->cpms[0], "SM", sizeof m->cpms[0]);
	strlcpy(m->cpms[1], "SM", sizeof m->cpms[1]);
	strlcpy(m->cpms[2], "SM", sizeof m->cpms[2]);
}

static void
out_raw(struct modem *m, const void *p, size_t len)
{
	if (m->master == -1)
		return;
	evbuffer_add(m->out, p, len);
	if (evbuffer_write(m->out, m->master) == -1 && errno != EAGAIN &&
	    errno != EINTR)
		log_debug("modem %d: write: %s", m->idx, strerror(errno));
	if (evbuffer_get_length(m->out) > 0)
		event_add(m->wr, NULL);
}

/* Where an answer goes: the wire, or the held answer while sending. */
static struct evbuffer *
sink(struct modem *m)
{
	return (m->state == MS_BUSY ? m->answer : NULL);
}

static void
emit(struct modem *m, const char *s, size_t len)
{
	struct evbuffer	*b;

	if ((b = sink(m)) != NULL)
		evbuffer_add(b, s, len);
	else
		out_raw(m, s, len);
}

/* An information response: "\r\nTEXT\r\n" (ATV1) or "TEXT\r\n" (ATV0). */
static void printflike(2, 3)
info(struct modem *m, const char *fmt, ...)
{
	va_list	 ap;
	char	*s, *line;
	int	 len;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	len = xasprintf(&line, "%s%s\r\n", m->verbose ? "\r\n" : "", s);
	emit(m, line, (size_t)len);
	free(line);
	free(s);
}

/* One line of urc-noise, when it is on. */
static void
noise(struct modem *m)
{
	if (!m->urc_noise)
		return;
	info(m, "%s", noise_lines[m->noise_next++ % nitems(noise_lines)]);
}

/* A final result code: OK (0) or ERROR (4), words or digits (ATV). */
static void
result(struct modem *m, int code)
{
	char	digit[2];

	if (m->verbose)
		info(m, "%s", code == 0 ? "OK" : "ERROR");
	else {
		/* ATV0: the digit and CR, no LF (V.250 5.7.1). */
		digit[0] = (char)('0' + code);
		digit[1] = '\r';
		emit(m, digit, 2);
	}
	noise(m);
}

static const char *
cme_text(int code)
{
	switch (code) {
	case 3:
		return ("operation not allowed");
	case 4:
		return ("operation not supported");
	case 10:
		return ("SIM not inserted");
	case 11:
		return ("SIM PIN required");
	case 16:
		return ("incorrect password");
	case 30:
		return ("no network service");
	default:
		return ("unknown");
	}
}

/* +CME ERROR as AT+CMEE asks: plain ERROR, a number, or words. */
static void
cme(struct modem *m, int code)
{
	if (m->cmee == 0)
		result(m, 4);
	else {
		if (m->cmee == 1)
			info(m, "+CME ERROR: %d", code);
		else
			info(m, "+CME ERROR: %s", cme_text(code));
		noise(m);
	}
}

/*
 * +CMS ERROR: 27.005 makes it the final result of SMS commands whatever
 * AT+CMEE says (gammu and Kannel parse the number either way).
 */
static void
cms(struct modem *m, int code)
{
	info(m, "+CMS ERROR: %d", code);
	noise(m);
}

/* Split AT arguments on commas outside quotes; quotes are stripped. */
static int
split_args(char *s, char **argv, int max)
{
	char	*p, *w;
	int	 n = 0, q = 0;

	if (s == NULL || *s == '\0')
		return (0);
	argv[n++] = w = p = s;
	for (; *p != '\0'; p++) {
		if (*p == '"')
			q = !q;
		else if (*p == ',' && !q) {
			*w++ = '\0';
			if (n == max)
				return (-1);
			argv[n++] = w;
		} else
			*w++ = *p;
	}
	*w = '\0';
	return (n);
}

/* An integer argument in [min, max]; -1 when it is not one. */
static int
int_arg(const char *s, int min, int max)
{
	const char	*errstr;
	long long	 v;

	if (s == NULL || *s == '\0')
		return (-1);
	v = strtonum(s, min, max, &errstr);
	return (errstr != NULL ? -1 : (int)v);
}

/* Commands a SIM PIN lock refuses with +CME ERROR: 11. */
static int
needs_sim(const char *name)
{
	static const char	*names[] = { "+CIMI", "+CMGS", "+CMGL",
	    "+CMGR", "+CMGD", "+CPMS", "+CSCA", "+CPBS", "+CPBR", "+CNUM" };
	size_t			 i;

	for (i = 0; i < nitems(names); i++) {
		if (strcmp(name, names[i]) == 0)
			return (1);
	}
	return (0);
}

static int
is_storage(const char *s)
{
	return (strcmp(s, "SM") == 0 || strcmp(s, "ME") == 0 ||
	    strcmp(s, "MT") == 0 || strcmp(s, "SR") == 0);
}

/*
 * Run one command; 0 when it succeeded, -1 when it answered an error, 1
 * when it left the modem waiting for a PDU (the rest of the line is
 * dropped, as modems do after AT+CMGS).
 */
static int
run_command(struct modem *m, const char *name, enum cmd_type type,
    char *arg, int num)
{
	char	*argv[MS_ARGS_MAX];
	int	 argc = 0, v, i;

	m->n_commands++;
	if (type == CMD_SET && (argc = split_args(arg, argv,
	    MS_ARGS_MAX)) < 0)
		goto error;
	if (m->locked && needs_sim(name)) {
		cme(m, 11);
		return (-1);
	}

	/* Basic commands: one letter (or &letter) and a number. */
	if (strcmp(name, "E") == 0 || strcmp(name, "V") == 0 ||
	    strcmp(name, "Q") == 0) {
		if (num > 1)
			goto error;
		if (name[0] == 'E')
			m->echo = num;
		else if (name[0] == 'V')
			m->verbose = num;
		return (0);
	}
	if (strcmp(name, "Z") == 0 || strcmp(name, "&F") == 0) {
		modem_defaults(m);
		return (0);
	}
	if (strcmp(name, "I") == 0) {
		/* SIMCom's ATI: the model and the revision. */
		info(m, "%s\r\n%s", MS_MODEL, MS_REVISION);
		return (0);
	}
	/*
	 * Line settings init strings carry (AT&D, AT&C, AT&K, ATS0=0, and
	 * Kannel's AT\Q3 flow control for Siemens); a USB modem has no
	 * lines.  Kannel answers every RING with ATH0: no call to end.
	 */
	if (strcmp(name, "&C") == 0 || strcmp(name, "&D") == 0 ||
	    strcmp(name, "&K") == 0 || strcmp(name, "&W") == 0 ||
	    strcmp(name, "X") == 0 || strcmp(name, "S") == 0 ||
	    strcmp(name, "L") == 0 || strcmp(name, "M") == 0 ||
	    strcmp(name, "H") == 0 || name[0] == '\\')
		return (0);

	if (type == CMD_TEST) {
		/* Kannel and gammu probe support with "=?" before use. */
		if (strcmp(name, "+CMGF") == 0)
			info(m, "+CMGF: (0-1)");
		else if (strcmp(name, "+CSQ") == 0)
			info(m, "+CSQ: (0-31,99),(0-7,99)");
		else if (strcmp(name, "+CREG") == 0 ||
		    strcmp(name, "+CGREG") == 0)
			info(m, "%s: (0-2)", name);
		else if (strcmp(name, "+CMEE") == 0)
			info(m, "+CMEE: (0-2)");
		else if (strcmp(name, "+CSCS") == 0)
			info(m, "+CSCS: (\"IRA\",\"GSM\",\"UCS2\")");
		else if (strcmp(name, "+CSMS") == 0)
			info(m, "+CSMS: (0-1)");
		else if (strcmp(name, "+CNMI") == 0)
			info(m, "+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)");
		else if (strcmp(name, "+CPMS") == 0)
			info(m, "+CPMS: (\"SM\",\"ME\",\"MT\",\"SR\"),"
			    "(\"SM\",\"ME\",\"MT\"),(\"SM\",\"ME\",\"MT\")");
		else if (strcmp(name, "+CMGL") == 0)
			info(m, m->cmgf ? "+CMGL: (\"REC UNREAD\","
			    "\"REC READ\",\"STO UNSENT\",\"STO SENT\",\"ALL\")"
			    : "+CMGL: (0-4)");
		else if (strcmp(name, "+CMGD") == 0)
			info(m, "+CMGD: (1-%d),(0-4)", MS_SLOTS);
		else if (strcmp(name, "+COPS") == 0)
			info(m, "+COPS: (2,\"%s\",\"CMCC\",\"%s\"),,(0-4),"
			    "(0-2)", MS_OPERATOR, MS_OPERATOR_NUM);
		else if (strcmp(name, "+CPBS") == 0)
			info(m, "+CPBS: (\"SM\",\"ON\",\"FD\")");
		else if (strcmp(name, "+CPBR") == 0)
			info(m, "+CPBR: (1-250),40,14");
		else if (strcmp(name, "+CFUN") == 0)
			info(m, "+CFUN: (0-1),(0-1)");
		else if (strcmp(name, "+CGSN") == 0 ||
		    strcmp(name, "+CGMI") == 0 || strcmp(name, "+CGMM") == 0 ||
		    strcmp(name, "+CGMR") == 0 || strcmp(name, "+CIMI") == 0 ||
		    strcmp(name, "+CMGS") == 0 || strcmp(name, "+CSCA") == 0 ||
		    strcmp(name, "+CPIN") == 0 || strcmp(name, "+CNMA") == 0 ||
		    strcmp(name, "+CMGR") == 0 || strcmp(name, "+CSMP") == 0)
			;
		else
			goto error;
		return (0);
	}

	if (strcmp(name, "+CGMI") == 0 || strcmp(name, "+GMI") == 0)
		info(m, "%s", MS_MANUFACTURER);
	else if (strcmp(name, "+CGMM") == 0 || strcmp(name, "+GMM") == 0)
		info(m, "%s", MS_MODEL);
	else if (strcmp(name, "+CGMR") == 0 || strcmp(name, "+GMR") == 0)
		info(m, "%s", MS_REVISION);
	else if (strcmp(name, "+CGSN") == 0 || strcmp(name, "+GSN") == 0)
		info(m, "%s", m->imei);
	else if (strcmp(name, "+GCAP") == 0)
		info(m, "+GCAP: +CGSM");
	else if (strcmp(name, "+CIMI") == 0)
		info(m, "%s", m->imsi);
	else if (strcmp(name, "+CSQ") == 0 && type == CMD_ACTION)
		info(m, "+CSQ: 20,99");
	else if (strcmp(name, "+CREG") == 0 || strcmp(name, "+CGREG") == 0) {
		int	*n = name[2] == 'R' ? &m->creg_n : &m->cgreg_n;

		if (type == CMD_SET) {
			if (argc != 1 || (v = int_arg(argv[0], 0, 2)) < 0)
				goto error;
			*n = v;
		} else if (type == CMD_READ) {
			/* Registered at home once the SIM is unlocked. */
			if (*n == 2 && !m->locked)
				info(m, "%s: 2,1,\"1A2B\",\"00C3\"", name);
			else
				info(m, "%s: %d,%d", name, *n,
				    m->locked ? 0 : 1);
		} else
			goto error;
	} else if (strcmp(name, "+COPS") == 0) {
		if (type == CMD_SET) {
			if (argc < 1 || int_arg(argv[0], 0, 4) < 0)
				goto error;
			if (argc >= 2 && (v = int_arg(argv[1], 0, 2)) >= 0)
				m->cops_format = v;
		} else if (type == CMD_READ) {
			if (m->locked)
				info(m, "+COPS: 0");
			else if (m->cops_format == 2)
				info(m, "+COPS: 0,2,\"%s\"", MS_OPERATOR_NUM);
			else
				info(m, "+COPS: 0,%d,\"%s\"", m->cops_format,
				    m->cops_format == 1 ? "CMCC" :
				    MS_OPERATOR);
		} else
			goto error;
	} else if (strcmp(name, "+CMEE") == 0) {
		if (type == CMD_SET) {
			if (argc != 1 || (v = int_arg(argv[0], 0, 2)) < 0)
				goto error;
			m->cmee = v;
		} else if (type == CMD_READ)
			info(m, "+CMEE: %d", m->cmee);
		else
			goto error;
	} else if (strcmp(name, "+CPIN") == 0) {
		if (type == CMD_READ)
			info(m, "+CPIN: %s", m->locked ? "SIM PIN" : "READY");
		else if (type == CMD_SET && argc >= 1) {
			if (!m->locked) {
				/* Entering a PIN nobody asked for. */
				cme(m, 3);
				return (-1);
			}
			if (strcmp(argv[0], m->pin) != 0) {
				cme(m, 16);
				return (-1);
			}
			m->locked = 0;
			m->cpin_urc = 1;
		} else
			goto error;
	} else if (strcmp(name, "+CFUN") == 0) {
		if (type == CMD_READ)
			info(m, "+CFUN: 1");
		else if (type != CMD_SET)
			goto error;
	} else if (strcmp(name, "+CMGF") == 0) {
		if (type == CMD_SET) {
			if (argc != 1 || (v = int_arg(argv[0], 0, 1)) < 0)
				goto error;
			m->cmgf = v;
		} else if (type == CMD_READ)
			info(m, "+CMGF: %d", m->cmgf);
		else
			goto error;
	} else if (strcmp(name, "+CSCS") == 0) {
		if (type == CMD_SET) {
			if (argc != 1 || (strcmp(argv[0], "IRA") != 0 &&
			    strcmp(argv[0], "GSM") != 0 &&
			    strcmp(argv[0], "UCS2") != 0))
				goto error;
			strlcpy(m->cscs, argv[0], sizeof m->cscs);
		} else if (type == CMD_READ)
			info(m, "+CSCS: \"%s\"", m->cscs);
		else
			goto error;
	} else if (strcmp(name, "+CSMS") == 0) {
		if (type == CMD_SET) {
			if (argc != 1 || (v = int_arg(argv[0], 0, 1)) < 0)
				goto error;
			m->csms = v;
			info(m, "+CSMS: 1,1,1");
		} else if (type == CMD_READ)
			info(m, "+CSMS: %d,1,1,1", m->csms);
		else
			goto error;
	} else if (strcmp(name, "+CNMI") == 0) {
		static const int	 maxv[5] = { 2, 3, 2, 2, 1 };

		if (type == CMD_SET) {
			int	 n[5];

			if (argc < 1 || argc > 5)
				goto error;
			memcpy(n, m->cnmi, sizeof n);
			for (i = 0; i < argc; i++) {
				if (*argv[i] == '\0')
					continue;
				if ((v = int_arg(argv[i], 0, maxv[i])) < 0)
					goto error;
				n[i] = v;
			}
			memcpy(m->cnmi, n, sizeof m->cnmi);
		} else if (type == CMD_READ)
			info(m, "+CNMI: %d,%d,%d,%d,%d", m->cnmi[0],
			    m->cnmi[1], m->cnmi[2], m->cnmi[3], m->cnmi[4]);
		else
			goto error;
	} else if (strcmp(name, "+CSCA") == 0) {
		if (type == CMD_SET) {
			if (argc < 1 || argc > 2 || *argv[0] == '\0' ||
			    strlen(argv[0]) >= sizeof m->csca)
				goto error;
			strlcpy(m->csca, argv[0], sizeof m->csca);
			m->csca_toa = argv[0][0] == '+' ? 145 : 129;
			if (argc == 2 &&
			    (m->csca_toa = int_arg(argv[1], 128, 255)) < 0)
				goto error;
		} else if (type == CMD_READ)
			info(m, "+CSCA: \"%s\",%d", m->csca, m->csca_toa);
		else
			goto error;
	} else if (strcmp(name, "+CPMS") == 0) {
		if (type == CMD_SET) {
			if (argc < 1 || argc > 3)
				goto error;
			for (i = 0; i < argc; i++) {
				if (!is_storage(argv[i])) {
					cms(m, 302);
					return (-1);
				}
				strlcpy(m->cpms[i], argv[i],
				    sizeof m->cpms[i]);
			}
			info(m, "+CPMS: 0,%d,0,%d,0,%d", MS_SLOTS, MS_SLOTS,
			    MS_SLOTS);
		} else if (type == CMD_READ)
			info(m, "+CPMS: \"%s\",0,%d,\"%s\",0,%d,\"%s\",0,%d",
			    m->cpms[0], MS_SLOTS, m->cpms[1], MS_SLOTS,
			    m->cpms[2], MS_SLOTS);
		else
			goto error;
	} else if (strcmp(name, "+CPBS") == 0) {
		/* gammu asks for the phonebook memories when identifying. */
		if (type == CMD_READ)
			info(m, "+CPBS: \"SM\",0,250");
		else if (type != CMD_SET)
			goto error;
	} else if (strcmp(name, "+CMGL") == 0) {
		/* The SIM is empty: no lines, then OK. */
		if (type == CMD_READ)
			goto error;
	} else if (strcmp(name, "+CMGD") == 0) {
		if (type != CMD_SET || argc < 1 ||
		    int_arg(argv[0], 0, MS_SLOTS) < 0)
			goto error;
	} else if (strcmp(name, "+CMGR") == 0) {
		/* Every slot is empty: invalid memory index. */
		cms(m, 321);
		return (-1);
	} else if (strcmp(name, "+CNMA") == 0 || strcmp(name, "+CNUM") == 0 ||
	    strcmp(name, "+CSDH") == 0 || strcmp(name, "+IFC") == 0) {
		/*
		 * Kannel sends AT+IFC=2,2 for flow control and acks a +CMT
		 * with AT+CNMA (27.005 wants one after a +CDS too, with
		 * AT+CSMS=1); nothing to do here.
		 */
		if (type == CMD_READ && strcmp(name, "+CSDH") == 0)
			info(m, "+CSDH: 0");
	} else if (strcmp(name, "+CSMP") == 0) {
		if (type == CMD_READ)
			info(m, "+CSMP: 17,167,0,0");
	} else if (strcmp(name, "+CMGS") == 0) {
		if (type != CMD_SET || argc != 1)
			goto error;
		/* Text mode is not emulated: civicast sends PDUs only. */
		if (m->cmgf != 0) {
			cms(m, 302);
			return (-1);
		}
		if ((v = int_arg(argv[0], 7, 164)) < 0) {
			cms(m, 304);
			return (-1);
		}
		m->cmgs_len = (size_t)v;
		m->pdulen = 0;
		m->pdu_overflow = 0;
		m->state = MS_PROMPT;
		/* The prompt is CR LF '>' space, no line end after it. */
		out_raw(m, "\r\n> ", 4);
		return (1);
	} else
		goto error;
	return (0);

error:
	result(m, 4);
	return (-1);
}

/* Run a command line (without its CR); answers go out as they come. */
static void
run_line(struct modem *m, char *line)
{
	char		*p, *start, *arg, name[32];
	enum cmd_type	 type;
	size_t		 n;
	int		 q = 0, num, rc;

	/* AT is case-insensitive; quoted arguments keep their case. */
	for (p = line; *p != '\0'; p++) {
		if (*p == '"')
			q = !q;
		else if (!q)
			*p = (char)toupper((unsigned char)*p);
	}
	if (strncmp(line, "AT", 2) != 0) {
		/*
		 * Modems ignore lines without the AT prefix: gammu starts
		 * with ESC CR to leave a PDU prompt it may have left open.
		 */
		return;
	}
	p = line + 2;
	for (;;) {
		while (*p == ' ' || *p == ';')
			p++;
		if (*p == '\0')
			break;
		arg = NULL;
		num = 0;
		type = CMD_ACTION;
		start = p;
		if (strchr("+^$%*", *p) != NULL) {
			/* Extended: +NAME, then ?, =?, =args up to ';'. */
			p++;
			while (isalnum((unsigned char)*p) || *p == '_')
				p++;
			n = (size_t)(p - start);
			if (*p == '=' && p[1] == '?') {
				type = CMD_TEST;
				p += 2;
			} else if (*p == '?') {
				type = CMD_READ;
				p++;
			} else if (*p == '=') {
				type = CMD_SET;
				arg = ++p;
				for (q = 0; *p != '\0' && (q || *p != ';');
				    p++) {
					if (*p == '"')
						q = !q;
				}
				if (*p == ';')
					*p++ = '\0';
			}
		} else if ((*p == '&' || *p == '\\') &&
		    isalpha((unsigned char)p[1])) {
			p += 2;
			n = 2;
			while (isdigit((unsigned char)*p))
				num = num * 10 + (*p++ - '0');
		} else if (*p == 'S' && isdigit((unsigned char)p[1])) {
			/* ATS0=0, ATS7?: accepted, not kept. */
			n = 1;
			p++;
			while (isdigit((unsigned char)*p))
				p++;
			if (*p == '?')
				p++;
			else if (*p == '=') {
				p++;
				while (isdigit((unsigned char)*p))
					p++;
			}
		} else if (isalpha((unsigned char)*p)) {
			p++;
			n = 1;
			while (isdigit((unsigned char)*p) && num < 1000)
				num = num * 10 + (*p++ - '0');
		} else {
			result(m, 4);
			return;
		}
		if (n >= sizeof name) {
			result(m, 4);
			return;
		}
		memcpy(name, start, n);
		name[n] = '\0';
		/* The name may still hold its '=': cut there. */
		if ((start = strpbrk(name, "=?")) != NULL)
			*start = '\0';
		if ((rc = run_command(m, name, type, arg, num)) != 0)
			return;
	}
	result(m, 0);
	if (m->cpin_urc) {
		/*
		 * SIMCom reports the unlocked SIM after the OK; Kannel's
		 * at2 waits for this line (up to 10 s) before going on.
		 */
		m->cpin_urc = 0;
		info(m, "+CPIN: READY");
	}
}

static void
answer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct modem	*m = arg;
	size_t		 len;

	m->state = MS_IDLE;
	len = evbuffer_get_length(m->answer);
	if (m->silent)
		evbuffer_drain(m->answer, len);
	else if (len > 0) {
		evbuffer_add_buffer(m->out, m->answer);
		out_raw(m, "", 0);
	}
	m->silent = 0;
	process_input(m);
}

static void
report_cb(evutil_socket_t fd, short what, void *arg)
{
	struct report		*r = arg;
	struct modem		*m = r->m;
	struct pdu_status	 st;
	json_t			*o;
	char			 hex[PDU_HEX_MAX], *cause = NULL;
	size_t			 tpdu_len;

	/*
	 * A URC never cuts into a command's answer or a PDU being typed
	 * (27.005 buffers them while the TA-TE link is reserved); retry.
	 */
	if (m->master == -1 || m->state != MS_IDLE) {
		set_timer(r->ev, 100);
		return;
	}
	memset(&st, 0, sizeof st);
	st.mr = r->mr;
	strlcpy(st.recipient, r->number, sizeof st.recipient);
	st.scts = r->scts;
	st.dt = time(NULL);
	st.status = r->st;
	if (pdu_encode_status(&st, NULL, hex, sizeof hex, &tpdu_len,
	    &cause) == -1) {
		log_warnx("modem %d: status report: %s", m->idx,
		    cause != NULL ? cause : "?");
		free(cause);
	} else {
		info(m, "+CDS: %zu\r\n%s", tpdu_len, hex);
		m->n_reports++;
		o = event_json("report", m);
		json_object_set_new(o, "imei", json_string(m->imei));
		json_object_set_new(o, "mr", json_integer(r->mr));
		json_object_set_new(o, "number", json_string(r->number));
		json_object_set_new(o, "st", json_integer(r->st));
		json_object_set_new(o, "pdu", json_string(hex));
		log_json(o);
	}
	LIST_REMOVE(r, entry);
	event_free(r->ev);
	free(r);
}

static void
drop_reports(struct modem *m)
{
	struct report	*r, *next;

	for (r = LIST_FIRST(&reports); r != NULL; r = next) {
		next = LIST_NEXT(r, entry);
		if (m != NULL && r->m != m)
			continue;
		LIST_REMOVE(r, entry);
		event_free(r->ev);
		free(r);
	}
}

static const char *
coding_name(enum pdu_coding c)
{
	switch (c) {
	case PDU_GSM7:
		return ("gsm7");
	case PDU_8BIT:
		return ("8bit");
	default:
		return ("ucs2");
	}
}

static int
hexdigits(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return (0);
	}
	return (1);
}

/* The value of two hex digits (checked already). */
static size_t
hexbyte(const char *s)
{
	char	two[3];

	two[0] = s[0];
	two[1] = s[1];
	two[2] = '\0';
	return ((size_t)strtoul(two, NULL, 16));
}

static void
hangup_cb(evutil_socket_t fd, short what, void *arg)
{
	struct modem	*m = arg;

	if (modem_open(m) == -1)
		log_warnx("modem %d: cannot come back", m->idx);
	else
		log_json(event_json("replug", m));
}

/* Pull the modem out; it comes back as a new pty after ms (-1: never). */
static void
unplug(struct modem *m, const char *why, long ms)
{
	json_t	*o;

	if (m->master == -1)
		return;
	modem_close(m);
	if (strcmp(why, "hangup") == 0)
		m->n_hangups++;
	else
		m->n_unplugs++;
	o = event_json(why, m);
	json_object_set_new(o, "back_ms", ms >= 0 ? json_integer(ms) :
	    json_null());
	log_json(o);
	if (ms >= 0)
		set_timer(m->replug, ms);
}

/* The fault that fires on this send, if any; one-shot ones go away. */
static struct fault *
fire_fault(struct modem *m, struct fault *buf)
{
	struct fault	*f, *next, *hit = NULL;

	for (f = TAILQ_FIRST(&m->faults); f != NULL; f = next) {
		next = TAILQ_NEXT(f, entry);
		f->seen++;
		if (f->at != 0 && f->seen != f->at)
			continue;
		if (hit == NULL) {
			*buf = *f;
			hit = buf;
		}
		if (f->at != 0) {
			TAILQ_REMOVE(&m->faults, f, entry);
			free(f);
		}
	}
	return (hit);
}

/* The PDU is in (Ctrl-Z came): decode, record, answer after latency. */
static void
submit(struct modem *m)
{
	struct pdu_submit	 sub;
	struct fault		 fbuf, *f;
	struct report		*r;
	json_t			*o, *c;
	char			*cause = NULL;
	size_t			 smsc_octets, i;
	unsigned int		 mr;

	m->pdu[m->pdulen] = '\0';
	m->state = MS_BUSY;
	m->n_sends++;
	memset(&sub, 0, sizeof sub);
	/*
	 * The length AT+CMGS gave counts the TPDU without the SMSC octets;
	 * a wrong one is what real modems reject as an invalid PDU.
	 */
	if (m->pdu_overflow || m->pdulen < 2 || m->pdulen % 2 != 0 ||
	    !hexdigits(m->pdu, m->pdulen) ||
	    (smsc_octets = hexbyte(m->pdu)) + 1 > m->pdulen / 2 ||
	    m->pdulen / 2 - 1 - smsc_octets != m->cmgs_len ||
	    pdu_decode_submit(m->pdu, &sub, &cause) == -1) {
		o = event_json("bad-pdu", m);
		json_object_set_new(o, "pdu", json_stringn(m->pdu,
		    m->pdulen));
		json_object_set_new(o, "cmgs_len",
		    json_integer((json_int_t)m->cmgs_len));
		json_object_set_new(o, "cause", cause != NULL ?
		    json_string(cause) : json_string("length"));
		log_json(o);
		free(cause);
		m->n_rejected++;
		cms(m, 304);
		goto out;
	}

	if ((f = fire_fault(m, &fbuf)) != NULL && f->kind == FAULT_HANGUP) {
		/* The USB replug takes the message with it. */
		pdu_submit_free(&sub);
		m->state = MS_IDLE;
		unplug(m, "hangup", 1000);
		return;
	}
	if (f != NULL && f->kind == FAULT_CMS) {
		m->n_rejected++;
		o = event_json("rejected", m);
		json_object_set_new(o, "imei", json_string(m->imei));
		json_object_set_new(o, "cms", json_integer(f->code));
		json_object_set_new(o, "number", json_string(sub.number));
		log_json(o);
		cms(m, f->code);
		pdu_submit_free(&sub);
		goto out;
	}

	/* The modem numbers the message itself, whatever TP-MR says. */
	mr = m->mr;
	m->mr = (m->mr + 1) & 0xff;
	m->n_sent++;
	o = json_object();
	json_object_set_new(o, "time_ms", json_integer(util_now_ms()));
	json_object_set_new(o, "modem", json_integer(m->idx));
	json_object_set_new(o, "imei", json_string(m->imei));
	json_object_set_new(o, "mr", json_integer(mr));
	json_object_set_new(o, "number", json_string(sub.number));
	json_object_set_new(o, "text", json_string(sub.text != NULL ?
	    sub.text : ""));
	json_object_set_new(o, "coding", json_string(coding_name(
	    sub.coding)));
	if (sub.concat) {
		c = json_object();
		json_object_set_new(c, "ref", json_integer(sub.ref));
		json_object_set_new(c, "total", json_integer(sub.total));
		json_object_set_new(c, "seq", json_integer(sub.seq));
		json_object_set_new(o, "concat", c);
	} else
		json_object_set_new(o, "concat", json_null());
	json_object_set_new(o, "srr", json_boolean(sub.srr));
	json_object_set_new(o, "vp", sub.vpf == 2 ? json_integer(sub.vp) :
	    json_null());
	json_object_set_new(o, "pdu", json_string(m->pdu));
	if (f != NULL)
		json_object_set_new(o, "fault", json_string(f->kind ==
		    FAULT_SILENT ? "silent" : "error-but-sent"));
	log_json(o);

	/* The network reports on it even when the modem's answer is lost. */
	/*
	 * One report per TP-ST of the report: fault, --report-delay apart:
	 * a "still trying" (0x20-0x3F) one may come before the final one.
	 */
	for (i = 0; sub.srr && (m->cnmi[3] == 1 || m->cnmi[3] == 2) &&
	    !m->no_report && i < (m->nreport_st > 0 ? m->nreport_st : 1);
	    i++) {
		r = xcalloc(1, sizeof *r);
		r->m = m;
		r->mr = mr;
		r->st = m->nreport_st > 0 ? m->report_st[i] : 0;
		r->scts = time(NULL);
		strlcpy(r->number, sub.number, sizeof r->number);
		r->ev = evtimer_new(base, report_cb, r);
		LIST_INSERT_HEAD(&reports, r, entry);
		set_timer(r->ev, report_delay * (long)(i + 1));
	}
	pdu_submit_free(&sub);

	if (f != NULL && f->kind == FAULT_SILENT)
		m->silent = 1;
	else if (f != NULL && f->kind == FAULT_ERROR_SENT)
		result(m, 4);
	else {
		/*
		 * Huawei sticks URCs anywhere, even between +CMGS and OK;
		 * a driver must take the OK as the end, not the next line.
		 */
		noise(m);
		info(m, "+CMGS: %u", mr);
		noise(m);
		result(m, 0);
	}
out:
	set_timer(m->busy, m->latency);
}

/* Work through buffered input until it runs out or the modem is busy. */
static void
process_input(struct modem *m)
{
	char	 line[MS_LINE_MAX + 1], c;
	size_t	 len, i, n;
	unsigned char	*p;

	while (m->master != -1 && m->state != MS_BUSY &&
	    (len = evbuffer_get_length(m->in)) > 0) {
		p = evbuffer_pullup(m->in, -1);
		if (m->state == MS_PROMPT) {
			for (i = 0; i < len; i++) {
				c = (char)p[i];
				if (c == 0x1a || c == 0x1b)
					break;
				if (c == '\r' || c == '\n')
					continue;
				if (m->pdulen < sizeof m->pdu - 1)
					m->pdu[m->pdulen++] = c;
				else
					m->pdu_overflow = 1;
			}
			/*
			 * Modems echo the PDU as it is typed; gammu's log
			 * shows it as "> 0891..." in the +CMGS reply.
			 */
			if (m->echo)
				out_raw(m, p, i);
			if (i == len) {
				evbuffer_drain(m->in, len);
				break;
			}
			evbuffer_drain(m->in, i + 1);
			if (c == 0x1b) {
				/* ESC: no message; 27.005 says OK. */
				m->state = MS_IDLE;
				result(m, 0);
			} else
				submit(m);
			continue;
		}
		/* One line: up to CR or LF (gammu CR, minicom CR LF). */
		for (i = 0; i < len && p[i] != '\r' && p[i] != '\n'; i++)
			;
		if (i == len) {
			if (len > MS_LINE_MAX)
				evbuffer_drain(m->in, len);
			break;
		}
		n = i + 1;
		if (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n')
			n++;
		/* Echo is of the bytes as they came, terminator included. */
		if (m->echo)
			out_raw(m, p, n);
		if (i <= MS_LINE_MAX) {
			memcpy(line, p, i);
			line[i] = '\0';
		} else
			line[0] = '\0';
		evbuffer_drain(m->in, n);
		if (line[0] != '\0')
			run_line(m, line);
	}
}

static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct modem	*m = arg;
	char		 buf[4096];
	ssize_t		 n;

	n = read(fd, buf, sizeof buf);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* We hold the slave open, so this is not a hangup. */
		log_warnx("modem %d: read: %s", m->idx, n == 0 ? "EOF" :
		    strerror(errno));
		return;
	}
	evbuffer_add(m->in, buf, (size_t)n);
	if (m->state != MS_BUSY)
		process_input(m);
}

static void
write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct modem	*m = arg;

	if (evbuffer_write(m->out, fd) == -1 && errno != EAGAIN &&
	    errno != EINTR) {
		log_debug("modem %d: write: %s", m->idx, strerror(errno));
		evbuffer_drain(m->out, evbuffer_get_length(m->out));
	}
	if (evbuffer_get_length(m->out) == 0)
		event_del(m->wr);
}

/* Point DIR/ttySIMn at the slave, atomically (a driver may be opening). */
static int
make_link(struct modem *m)
{
	char	*tmp;
	int	 rc = 0;

	xasprintf(&tmp, "%s/.ttySIM%d.tmp", dir, m->idx);
	unlink(tmp);
	if (symlink(m->slave, tmp) == -1 || rename(tmp, m->link) == -1) {
		log_warn("%s", m->link);
		unlink(tmp);
		rc = -1;
	}
	free(tmp);
	return (rc);
}

/* Plug the modem in: a fresh pty, fresh settings, the symlink to it. */
static int
modem_open(struct modem *m)
{
	struct termios	 tio;
	const char	*name;
	int		 fd, sfd;

	if ((fd = posix_openpt(O_RDWR | O_NOCTTY)) == -1 ||
	    grantpt(fd) == -1 || unlockpt(fd) == -1 ||
	    (name = ptsname(fd)) == NULL) {
		log_warn("posix_openpt");
		if (fd != -1)
			close(fd);
		return (-1);
	}
	strlcpy(m->slave, name, sizeof m->slave);
	/*
	 * Raw mode on the master sets the slave's termios: no echo or CR
	 * mapping by the line discipline before a client sets its own.
	 * We keep the slave open so that a client closing it does not
	 * leave the master reading EIO (and spinning the loop).
	 */
	if (tcgetattr(fd, &tio) == 0) {
		cfmakeraw(&tio);
		tcsetattr(fd, TCSANOW, &tio);
	}
	if ((sfd = open(m->slave, O_RDWR | O_NOCTTY)) == -1) {
		log_warn("%s", m->slave);
		close(fd);
		return (-1);
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	fcntl(sfd, F_SETFD, FD_CLOEXEC);
	m->master = fd;
	m->slavefd = sfd;
	m->rd = event_new(base, fd, EV_READ | EV_PERSIST, read_cb, m);
	m->wr = event_new(base, fd, EV_WRITE | EV_PERSIST, write_cb, m);
	event_add(m->rd, NULL);
	m->state = MS_IDLE;
	m->silent = 0;
	modem_defaults(m);
	/* A power cycle asks for the PIN again. */
	m->locked = m->pin[0] != '\0';
	if (make_link(m) == -1) {
		modem_close(m);
		return (-1);
	}
	return (0);
}

/* Unplug: the symlink goes, the client's fd sees a hangup. */
static void
modem_close(struct modem *m)
{
	if (m->master == -1)
		return;
	unlink(m->link);
	event_free(m->rd);
	event_free(m->wr);
	m->rd = m->wr = NULL;
	evtimer_del(m->busy);
	close(m->master);
	close(m->slavefd);
	m->master = m->slavefd = -1;
	evbuffer_drain(m->in, evbuffer_get_length(m->in));
	evbuffer_drain(m->out, evbuffer_get_length(m->out));
	evbuffer_drain(m->answer, evbuffer_get_length(m->answer));
	m->state = MS_IDLE;
	drop_reports(m);
}

/* Parse "cms:500@3" etc. into m's state; -1 when it is not a fault. */
static int
apply_fault(struct modem *m, const char *spec)
{
	struct fault	*f;
	const char	*errstr;
	char		*s, *at, *val;
	long long	 n = 0;
	unsigned long	 st;
	int		 rc = -1;

	s = xstrdup(spec);
	if ((at = strchr(s, '@')) != NULL) {
		*at++ = '\0';
		n = strtonum(at, 1, 1000000000, &errstr);
		if (errstr != NULL)
			goto out;
	}
	if ((val = strchr(s, ':')) != NULL)
		*val++ = '\0';
	if (strcmp(s, "cms") == 0 || strcmp(s, "error-but-sent") == 0 ||
	    strcmp(s, "silent") == 0 || (strcmp(s, "hangup") == 0 &&
	    at != NULL)) {
		f = xcalloc(1, sizeof *f);
		f->at = (unsigned long)n;
		if (strcmp(s, "cms") == 0) {
			f->kind = FAULT_CMS;
			if (val == NULL || (f->code = (int)strtonum(val, 0,
			    65535, &errstr), errstr != NULL)) {
				free(f);
				goto out;
			}
		} else if (val != NULL) {
			free(f);
			goto out;
		} else if (strcmp(s, "error-but-sent") == 0)
			f->kind = FAULT_ERROR_SENT;
		else if (strcmp(s, "silent") == 0)
			f->kind = FAULT_SILENT;
		else
			f->kind = FAULT_HANGUP;
		TAILQ_INSERT_TAIL(&m->faults, f, entry);
		rc = 0;
		goto out;
	}
	if (at != NULL)
		goto out;
	rc = 0;
	if (strcmp(s, "hangup") == 0 && val == NULL)
		unplug(m, "hangup", 1000);
	else if (strcmp(s, "unplug") == 0) {
		n = val != NULL ? strtonum(val, 0, 86400, &errstr) : 0;
		if (val != NULL && errstr != NULL)
			rc = -1;
		else
			unplug(m, "unplug", n > 0 ? (long)n * 1000 : -1);
	} else if (strcmp(s, "latency") == 0 && val != NULL) {
		m->latency = (long)strtonum(val, 0, 3600000, &errstr);
		rc = errstr != NULL ? -1 : 0;
	} else if (strcmp(s, "urc-noise") == 0 && val == NULL)
		m->urc_noise = 1;
	else if (strcmp(s, "mr-wrap") == 0 && val == NULL)
		m->mr = 254;
	else if (strcmp(s, "report") == 0 && val != NULL) {
		/* report:ST[,ST]...: one +CDS per TP-ST, in order. */
		m->nreport_st = 0;
		for (;;) {
			st = strtoul(val, &at, 0);
			if (at == val || st > 255 ||
			    m->nreport_st == MS_REPORTS_MAX) {
				rc = -1;
				break;
			}
			m->report_st[m->nreport_st++] = (unsigned int)st;
			if (*at != ',') {
				rc = *at != '\0' ? -1 : 0;
				break;
			}
			val = at + 1;
		}
		if (rc == -1)
			m->nreport_st = 0;
		m->no_report = 0;
	} else if (strcmp(s, "no-report") == 0 && val == NULL)
		m->no_report = 1;
	else if (strcmp(s, "pin") == 0 && val != NULL &&
	    strlen(val) >= 4 && strlen(val) <= 8 && hexdigits(val,
	    strlen(val))) {
		/* The SIM asks for it now (as after a power cycle). */
		strlcpy(m->pin, val, sizeof m->pin);
		m->locked = 1;
	} else if (strcmp(s, "clear") == 0 && val == NULL) {
		while ((f = TAILQ_FIRST(&m->faults)) != NULL) {
			TAILQ_REMOVE(&m->faults, f, entry);
			free(f);
		}
		m->latency = opt_latency;
		m->urc_noise = m->no_report = 0;
		m->nreport_st = 0;
	} else
		rc = -1;
out:
	free(s);
	return (rc);
}

/* "[INDEX|all] SPEC": apply to one modem or all; -1 when bad. */
static int
fault_line(const char *line)
{
	const char	*sp, *spec = line, *errstr;
	char		 idx[16];
	long long	 i, first = 0, last = nmodems - 1;
	json_t		*o;
	int		 rc = 0;

	while (*spec == ' ' || *spec == '\t')
		spec++;
	if ((sp = strpbrk(spec, " \t")) != NULL &&
	    (size_t)(sp - spec) < sizeof idx) {
		memcpy(idx, spec, (size_t)(sp - spec));
		idx[sp - spec] = '\0';
		if (strcmp(idx, "all") != 0) {
			first = last = strtonum(idx, 0, nmodems - 1, &errstr);
			if (errstr != NULL)
				return (-1);
		}
		spec = sp;
		while (*spec == ' ' || *spec == '\t')
			spec++;
	}
	for (i = first; i <= last && rc == 0; i++)
		rc = apply_fault(&modems[i], spec);
	o = event_json("fault", NULL);
	json_object_set_new(o, "spec", json_string(line));
	json_object_set_new(o, "ok", json_boolean(rc == 0));
	log_json(o);
	return (rc);
}

static void
control_cb(evutil_socket_t fd, short what, void *arg)
{
	char	*line;
	size_t	 len;

	if (evbuffer_read(ctl_in, fd, 4096) <= 0)
		return;
	while ((line = evbuffer_readln(ctl_in, &len, EVBUFFER_EOL_ANY)) !=
	    NULL) {
		if (len > 0 && line[0] != '#' && fault_line(line) == -1)
			log_warnx("control: bad fault \"%s\"", line);
		free(line);
	}
}

static void
control_open(const char *path)
{
	if (mkfifo(path, 0600) == -1 && errno != EEXIST)
		fatal("mkfifo %s", path);
	/* Our own writer keeps the FIFO from reading EOF between clients. */
	if ((ctl_fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1 ||
	    (ctl_wfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		fatal("%s", path);
	ctl_in = evbuffer_new();
	ctl_ev = event_new(base, ctl_fd, EV_READ | EV_PERSIST, control_cb,
	    NULL);
	event_add(ctl_ev, NULL);
}

static void
counters(void)
{
	struct modem	*m;
	json_t		*o;
	int		 i;

	for (i = 0; i < nmodems; i++) {
		m = &modems[i];
		o = event_json("counters", m);
		json_object_set_new(o, "imei", json_string(m->imei));
		json_object_set_new(o, "present", json_boolean(m->master !=
		    -1));
		json_object_set_new(o, "commands", json_integer(
		    (json_int_t)m->n_commands));
		json_object_set_new(o, "sends", json_integer(
		    (json_int_t)m->n_sends));
		json_object_set_new(o, "sent", json_integer(
		    (json_int_t)m->n_sent));
		json_object_set_new(o, "rejected", json_integer(
		    (json_int_t)m->n_rejected));
		json_object_set_new(o, "reports", json_integer(
		    (json_int_t)m->n_reports));
		json_object_set_new(o, "hangups", json_integer(
		    (json_int_t)m->n_hangups));
		json_object_set_new(o, "unplugs", json_integer(
		    (json_int_t)m->n_unplugs));
		json_object_set_new(o, "next_mr", json_integer(m->mr));
		log_json(o);
	}
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	if (sig == SIGUSR1)
		counters();
	else
		event_base_loopbreak(base);
}

static void
parse_cnmi(const char *s)
{
	char	*copy, *p, *item;
	int	 i = 0;

	copy = xstrdup(s);
	for (p = copy; (item = strsep(&p, ",")) != NULL && i < 5; i++)
		cnmi_default[i] = (int)number(item, 0, 3, "cnmi value");
	free(copy);
}

/* Parse the options, plug the modems in, run until SIGTERM. */
int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "latency", required_argument, NULL, 'L' },
		{ "imei-base", required_argument, NULL, 'I' },
		{ "mr-start", required_argument, NULL, 'M' },
		{ "report-delay", required_argument, NULL, 'R' },
		{ "cnmi", required_argument, NULL, 'C' },
		{ "pin", required_argument, NULL, 'P' },
		{ "fault", required_argument, NULL, 'F' },
		{ "control", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct event	*sigs[4];
	struct modem	*m;
	struct fault	*f;
	const char	*logpath = NULL, *ctlpath = NULL;
	char		**faults = NULL, *tmp;
	size_t		 nfaults = 0, i;
	long long	 imei_base = 86123456000000LL;
	unsigned int	 mr_start = 0;
	FILE		*fp;
	json_t		*o;
	int		 ch, k;

	log_init(1, LOG_LEVEL_INFO, "modemsim");
	while ((ch = getopt_long(argc, argv, "d:hl:n:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'n':
			nmodems = (int)number(optarg, 1, 64, "count");
			break;
		case 'l':
			logpath = optarg;
			break;
		case 'L':
			opt_latency = (long)number(optarg, 0, 3600000,
			    "latency");
			break;
		case 'I':
			imei_base = number(optarg, 10000000000000LL,
			    99999999999000LL, "imei base");
			break;
		case 'M':
			mr_start = (unsigned int)number(optarg, 0, 255,
			    "mr start");
			break;
		case 'R':
			report_delay = (long)number(optarg, 0, 3600000,
			    "report delay");
			break;
		case 'C':
			parse_cnmi(optarg);
			break;
		case 'P':
			pin_default = optarg;
			if (strlen(optarg) < 4 || strlen(optarg) > 8 ||
			    !hexdigits(optarg, strlen(optarg))) {
				fprintf(stderr, "modemsim: bad pin\n");
				return (2);
			}
			break;
		case 'F':
			faults = xreallocarray(faults, nfaults + 1,
			    sizeof *faults);
			faults[nfaults++] = optarg;
			break;
		case 'c':
			ctlpath = optarg;
			break;
		case 'h':
			usage(stdout);
			return (0);
		default:
			usage(stderr);
			return (2);
		}
	}
	if (dir == NULL || optind != argc) {
		usage(stderr);
		return (2);
	}
	if (logpath != NULL && (jlog = fopen(logpath, "a")) == NULL) {
		fprintf(stderr, "modemsim: %s: %s\n", logpath,
		    strerror(errno));
		return (1);
	}
	/* A client gone mid-write must not kill us. */
	{
		struct sigaction	sa;

		memset(&sa, 0, sizeof sa);
		sa.sa_handler = SIG_IGN;
		sigaction(SIGPIPE, &sa, NULL);
	}
	/*
	 * Precise timers: libevent's default monotonic clock on Linux is
	 * the coarse one (4 ms ticks here), which would blur --latency.
	 */
	{
		struct event_config	*cfg;

		if ((cfg = event_config_new()) == NULL ||
		    event_config_set_flag(cfg,
		    EVENT_BASE_FLAG_PRECISE_TIMER) != 0 ||
		    (base = event_base_new_with_config(cfg)) == NULL)
			fatalx("event_base_new");
		event_config_free(cfg);
	}

	modems = xcalloc((size_t)nmodems, sizeof *modems);
	for (k = 0; k < nmodems; k++) {
		m = &modems[k];
		m->idx = k;
		m->master = m->slavefd = -1;
		make_imei(m->imei, sizeof m->imei, imei_base + k);
		snprintf(m->imsi, sizeof m->imsi, "%s%010d", MS_OPERATOR_NUM,
		    1380000000 + k);
		xasprintf(&m->link, "%s/ttySIM%d", dir, k);
		m->in = evbuffer_new();
		m->out = evbuffer_new();
		m->answer = evbuffer_new();
		m->busy = evtimer_new(base, answer_cb, m);
		m->replug = evtimer_new(base, hangup_cb, m);
		m->latency = opt_latency;
		m->mr = mr_start;
		strlcpy(m->pin, pin_default, sizeof m->pin);
		TAILQ_INIT(&m->faults);
		if (modem_open(m) == -1)
			fatalx("cannot create modem %d", k);
	}
	for (i = 0; i < nfaults; i++) {
		if (fault_line(faults[i]) == -1) {
			fprintf(stderr, "modemsim: bad fault \"%s\"\n",
			    faults[i]);
			return (2);
		}
	}
	free(faults);
	if (ctlpath != NULL)
		control_open(ctlpath);

	sigs[0] = evsignal_new(base, SIGTERM, signal_cb, NULL);
	sigs[1] = evsignal_new(base, SIGINT, signal_cb, NULL);
	sigs[2] = evsignal_new(base, SIGHUP, signal_cb, NULL);
	sigs[3] = evsignal_new(base, SIGUSR1, signal_cb, NULL);
	for (i = 0; i < nitems(sigs); i++)
		evsignal_add(sigs[i], NULL);

	/* Written whole, then renamed: its presence says we are ready. */
	xasprintf(&pidfile, "%s/modemsim.pid", dir);
	xasprintf(&tmp, "%s.tmp", pidfile);
	if ((fp = fopen(tmp, "w")) == NULL)
		fatal("%s", tmp);
	fprintf(fp, "%ld\n", (long)getpid());
	if (fclose(fp) != 0 || rename(tmp, pidfile) != 0)
		fatal("%s", pidfile);
	free(tmp);
	o = event_json("start", NULL);
	json_object_set_new(o, "modems", json_integer(nmodems));
	json_object_set_new(o, "pid", json_integer(getpid()));
	log_json(o);

	event_base_dispatch(base);

	counters();
	log_json(event_json("exit", NULL));
	for (k = 0; k < nmodems; k++) {
		m = &modems[k];
		modem_close(m);
		event_free(m->busy);
		event_free(m->replug);
		evbuffer_free(m->in);
		evbuffer_free(m->out);
		evbuffer_free(m->answer);
		while ((f = TAILQ_FIRST(&m->faults)) != NULL) {
			TAILQ_REMOVE(&m->faults, f, entry);
			free(f);
		}
		free(m->link);
	}
	drop_reports(NULL);
	free(modems);
	unlink(pidfile);
	free(pidfile);
	if (ctl_ev != NULL) {
		event_free(ctl_ev);
		evbuffer_free(ctl_in);
		close(ctl_fd);
		close(ctl_wfd);
	}
	for (i = 0; i < nitems(sigs); i++)
		event_free(sigs[i]);
	event_base_free(base);
	if (jlog != NULL)
		fclose(jlog);
	return (0);
}
