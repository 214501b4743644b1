/*
 * at.c: the AT dialogue's response side: a tokenizer for the bytes a modem
 * sends, and the classification of +CMS/+CME ERROR codes.
 *
 * The tokenizer is a byte-at-a-time state machine, so the lines it reports
 * do not depend on how the bytes were split into reads: feeding a dialogue
 * one byte at a time or all at once gives the same callbacks.
 *
 * Choices the driver relies on (see docs/internals/at-errors.md):
 *  - A line ends at CR or LF; CRLF is a line end plus an empty line, and
 *    empty lines are skipped, so ATV1 ("\r\n<text>\r\n") and ATV0
 *    ("<text>\r") framing both work.  NUL bytes are dropped; trailing
 *    blanks are trimmed.
 *  - "> " at the start of a line is the AT+CMGS prompt, reported at once
 *    without waiting for a line end; ">" followed by a line end is one too.
 *    A '>' followed by anything else starts an ordinary line (">abc" is
 *    AT_INFO).  A lone '>' at the end of the bytes fed so far is held
 *    until the next byte says which it is: every modem we know sends the
 *    space in the same write, and deciding on the next byte keeps the
 *    result independent of read boundaries.
 *  - Verbose result codes are always recognised; the numeric ones (0..8)
 *    only while at_parser.numeric is set, and only as a whole line, so an
 *    IMEI or any other all-digit answer stays AT_INFO.  .code carries the
 *    V.250 number for result codes in both forms (OK 0, CONNECT 1, RING 2,
 *    NO CARRIER 3, ERROR 4, NO DIALTONE 6, BUSY 7, NO ANSWER 8), the error
 *    code for +CMS/+CME (-1 when the modem gave text), 0 otherwise.
 *  - CONNECT ends a command like NO CARRIER does, so it is AT_FINAL_OTHER.
 *  - +CREG, +CGREG, +CEREG, +C5GREG stay AT_INFO: they are URCs after
 *    AT+CREG=1 but also the answer to AT+CREG?, and the driver must see
 *    the answer as an answer.  The driver cannot tell an unsolicited one
 *    from the answer by its kind; it reads them by prefix.  The reverse
 *    holds for the prefixes in at_urc_prefixes that are also a query's
 *    answer (AT+CLIP?, AT^HCSQ?, AT+STIN?): the answer arrives as AT_URC.
 *  - A PDU-mode "+CDS: <len>" is held until its PDU line arrives and both
 *    are reported as one AT_CDS line.  "+CMT: [<alpha>],<len>" and
 *    "+CBM: <len>" are paired the same way but reported as AT_URC with
 *    .pdu set.  If the line after such a header is not hex (a modem that
 *    lost the PDU, or text mode) the header is reported alone (AT_URC,
 *    .pdu NULL) and the line is then read as usual, so an "OK" is never
 *    swallowed as a PDU.
 */
#include "compat.h"

#include <string.h>

#include "at.h"
#include "buf.h"

/*
 * Unsolicited result codes: a line starting with one of these is AT_URC.
 * Each prefix carries its ':' where the code has parameters, so "+CMT:"
 * does not match "+CMTI:".
 */
static const char *at_urc_prefixes[] = {
	/* 3GPP TS 27.005: incoming messages and status reports. */
	"+CMTI:", "+CMT:", "+CDSI:", "+CDS:", "+CBM:", "+CBMI:",
	/* 3GPP TS 27.007: calls, USSD, supplementary services, events. */
	"+CUSD:", "+CLIP:", "+CRING:", "RING", "+CCWA:", "+CSSI:", "+CSSU:",
	"+CIEV:", "+CGEV:", "+CTZV:", "+CTZE:", "+CTZEU:",
	/* SIM toolkit. */
	"+STIN:", "^STIN:", "+CUSATP:", "+CUSATEND",
	/* Huawei. */
	"^BOOT:", "^RSSI:", "^MODE:", "^SRVST:", "^SIMST:", "^HCSQ:",
	"^DSFLOWRPT:", "^CEND:", "^ORIG:", "^CONF:", "^CONN:",
	"^SMMEMFULL:", "^NDISSTAT:", "^NWTIME:",
	/* Quectel, SIMCom: start-up and phonebook readiness. */
	"+PBREADY", "+QIND:", "+QUSIM:", "RDY", "Call Ready", "SMS Ready",
	/* Cinterion, Sierra/Wavecom. */
	"^SYSSTART", "^SHUTDOWN", "+WIND:",
};

/* Verbose result codes other than OK/ERROR and their V.250 numbers. */
static const struct {
	const char	*text;
	enum at_kind	 kind;
	int		 code;
} at_results[] = {
	{ "OK",		AT_OK,		0 },
	{ "CONNECT",	AT_FINAL_OTHER,	1 },
	{ "RING",	AT_URC,		2 },
	{ "NO CARRIER",	AT_FINAL_OTHER,	3 },
	{ "ERROR",	AT_ERROR,	4 },
	{ "NO DIALTONE", AT_FINAL_OTHER, 6 },
	{ "BUSY",	AT_FINAL_OTHER,	7 },
	{ "NO ANSWER",	AT_FINAL_OTHER,	8 },
};

/* Which header, if any, the next line is the PDU of. */
enum at_hold {
	AT_HOLD_NONE,
	AT_HOLD_CDS,		/* report as AT_CDS */
	AT_HOLD_URC		/* +CMT, +CBM: report as AT_URC with .pdu */
};

static int
at_prefix(const char *s, const char *prefix)
{
	return (strncmp(s, prefix, strlen(prefix)) == 0);
}

/* s is one or more decimal digits and nothing else. */
static int
at_all_digits(const char *s)
{
	if (*s == '\0')
		return (0);
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return (0);
	}
	return (1);
}

/* s is one or more hex digits and nothing else. */
static int
at_all_hex(const char *s)
{
	if (*s == '\0')
		return (0);
	for (; *s != '\0'; s++) {
		if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'F') ||
		    (*s >= 'a' && *s <= 'f')))
			return (0);
	}
	return (1);
}

static const char *
at_skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return (s);
}

/*
 * The code after "+CMS ERROR:": a number of up to 9 digits, else -1 (the
 * modem was set to AT+CMEE=2 and gave text, or sent garbage).
 */
static int
at_error_code(const char *s)
{
	int	code = 0;

	s = at_skip_blanks(s);
	if (!at_all_digits(s) || strlen(s) > 9)
		return (-1);
	for (; *s != '\0'; s++)
		code = code * 10 + (*s - '0');
	return (code);
}

/*
 * Does this header announce a PDU on the next line?  Only the PDU-mode
 * forms do: "+CDS: <len>", "+CBM: <len>", "+CMT: [<alpha>],<len>".  The
 * text-mode forms have more commas or end in a quoted field.
 */
static enum at_hold
at_pdu_header(const char *s)
{
	const char	*q;

	if (at_prefix(s, "+CDS:"))
		return (at_all_digits(at_skip_blanks(s + 5)) ?
		    AT_HOLD_CDS : AT_HOLD_NONE);
	if (at_prefix(s, "+CBM:"))
		return (at_all_digits(at_skip_blanks(s + 5)) ?
		    AT_HOLD_URC : AT_HOLD_NONE);
	if (!at_prefix(s, "+CMT:"))
		return (AT_HOLD_NONE);
	s = at_skip_blanks(s + 5);
	if (*s == '"') {
		/* The alpha (phonebook name) may hold commas. */
		if ((q = strchr(s + 1, '"')) == NULL)
			return (AT_HOLD_NONE);
		s = q + 1;
	}
	if (*s != ',')
		return (AT_HOLD_NONE);
	return (at_all_digits(at_skip_blanks(s + 1)) ?
	    AT_HOLD_URC : AT_HOLD_NONE);
}

/* Fill in the kind and code of a complete line. */
static void
at_classify(const struct at_parser *p, struct at_line *l)
{
	const char	*s = l->text;
	size_t		 i;

	l->kind = AT_INFO;
	l->code = 0;
	for (i = 0; i < nitems(at_results); i++) {
		if (strcmp(s, at_results[i].text) == 0) {
			l->kind = at_results[i].kind;
			l->code = at_results[i].code;
			return;
		}
	}
	if (p->numeric && s[0] >= '0' && s[0] <= '9' && s[1] == '\0') {
		for (i = 0; i < nitems(at_results); i++) {
			if (at_results[i].code == s[0] - '0') {
				l->kind = at_results[i].kind;
				l->code = at_results[i].code;
				return;
			}
		}
		return;
	}
	/* "CONNECT 115200": the rate follows on some modems. */
	if (at_prefix(s, "CONNECT ")) {
		l->kind = AT_FINAL_OTHER;
		l->code = 1;
		return;
	}
	if (at_prefix(s, "+CMS ERROR:")) {
		l->kind = AT_CMS_ERROR;
		l->code = at_error_code(s + 11);
		return;
	}
	if (at_prefix(s, "+CME ERROR:")) {
		l->kind = AT_CME_ERROR;
		l->code = at_error_code(s + 11);
		return;
	}
	for (i = 0; i < nitems(at_urc_prefixes); i++) {
		if (at_prefix(s, at_urc_prefixes[i])) {
			l->kind = AT_URC;
			return;
		}
	}
}

/* Report the held +CDS/+CMT/+CBM header, with its PDU or alone. */
static void
at_emit_held(struct at_parser *p, const char *pdu, at_line_cb *cb,
    void *arg)
{
	struct at_line	l;

	memset(&l, 0, sizeof l);
	l.text = p->cds.data != NULL ? p->cds.data : "";
	l.len = p->cds.len;
	l.pdu = pdu;
	if (pdu != NULL && p->want_pdu == AT_HOLD_CDS)
		l.kind = AT_CDS;
	else
		l.kind = AT_URC;
	p->want_pdu = AT_HOLD_NONE;
	cb(arg, &l);
	buf_reset(&p->cds);
}

/* A line is complete: classify it, pair it, report it. */
static void
at_end_line(struct at_parser *p, at_line_cb *cb, void *arg)
{
	struct buf	*b = &p->line;
	struct at_line	 l;
	enum at_hold	 hold;

	while (b->len > 0 && (b->data[b->len - 1] == ' ' ||
	    b->data[b->len - 1] == '\t'))
		b->data[--b->len] = '\0';
	if (b->len == 0) {
		/* Empty lines separate, they say nothing (nor do blanks). */
		p->truncated = 0;
		return;
	}

	memset(&l, 0, sizeof l);
	l.text = b->data != NULL ? b->data : "";
	l.len = b->len;
	l.truncated = p->truncated;

	if (p->want_pdu != AT_HOLD_NONE) {
		if (!p->truncated && at_all_hex(l.text)) {
			at_emit_held(p, l.text, cb, arg);
			goto done;
		}
		at_emit_held(p, NULL, cb, arg);
		if (b->len != l.len)
			goto done;	/* cb called at_parser_reset */
	}

	at_classify(p, &l);
	if (l.kind == AT_URC && !l.truncated &&
	    (hold = at_pdu_header(l.text)) != AT_HOLD_NONE) {
		/* Cannot fail: the header fits AT_LINE_MAX as the line did. */
		buf_reset(&p->cds);
		if (buf_add(&p->cds, l.text, l.len) == 0) {
			p->want_pdu = hold;
			goto done;
		}
	}
	cb(arg, &l);
done:
	buf_reset(&p->line);
	p->truncated = 0;
}

/* The "> " prompt: report it (after a header that will get no PDU). */
static void
at_prompt(struct at_parser *p, at_line_cb *cb, void *arg)
{
	struct at_line	l;

	buf_reset(&p->line);
	p->truncated = 0;
	if (p->want_pdu != AT_HOLD_NONE)
		at_emit_held(p, NULL, cb, arg);
	memset(&l, 0, sizeof l);
	l.kind = AT_PROMPT;
	l.text = ">";
	l.len = 1;
	cb(arg, &l);
}

/* Start a parser. */
void
at_parser_init(struct at_parser *p)
{
	memset(p, 0, sizeof *p);
	buf_init(&p->line, AT_LINE_MAX);
	buf_init(&p->cds, AT_LINE_MAX);
}

/* Free it. */
void
at_parser_free(struct at_parser *p)
{
	buf_free(&p->line);
	buf_free(&p->cds);
	p->want_pdu = AT_HOLD_NONE;
	p->truncated = 0;
}

/* Forget a partial line and any header waiting for its PDU. */
void
at_parser_reset(struct at_parser *p)
{
	buf_reset(&p->line);
	buf_reset(&p->cds);
	p->want_pdu = AT_HOLD_NONE;
	p->truncated = 0;
}

/*
 * Feed bytes as they come; cb is called for every complete line and for
 * the prompt.  cb may change p->numeric (it applies from the next line)
 * or call at_parser_reset, but must not free the parser.
 */
void
at_feed(struct at_parser *p, const char *data, size_t len, at_line_cb *cb,
    void *arg)
{
	struct buf	*b = &p->line;
	size_t		 i;
	char		 c;

	for (i = 0; i < len; i++) {
		c = data[i];
		if (c == '\0')
			continue;	/* some modems pad with NULs */
		if (c == '\r' || c == '\n') {
			if (b->len == 1 && b->data[0] == '>' &&
			    !p->truncated)
				at_prompt(p, cb, arg);	/* ">" alone */
			else
				at_end_line(p, cb, arg);
			continue;
		}
		if (c == ' ' && b->len == 1 && b->data[0] == '>' &&
		    !p->truncated) {
			at_prompt(p, cb, arg);
			continue;
		}
		if (p->truncated)
			continue;	/* the rest of a cut line */
		if (buf_add(b, &c, 1) != 0)
			p->truncated = 1;
	}
}

/*
 * The error classes.  The driver's reaction to each:
 *  AT_ERR_PERMANENT: this message fails for good (the number, the content);
 *  AT_ERR_TEMPORARY: retry later, maybe on another modem;
 *  AT_ERR_MODEM: quarantine the modem (or SIM) and give the message to
 *  another one.
 * Codes not in a table are temporary: an unknown error must neither fail
 * a resident's message nor take a modem out of service.
 */
struct at_errinfo {
	int			 code;
	enum at_errclass	 class;
	const char		*text;
};

#define P	AT_ERR_PERMANENT
#define T	AT_ERR_TEMPORARY
#define M	AT_ERR_MODEM

/*
 * +CMS ERROR codes, 3GPP TS 27.005 3.2.5, sorted by code.
 *   1..127: RP causes of TS 24.011 8.2.5.4 (E.2), the network refusing the
 *           RP-DATA.  A few of TS 24.008 (31) that networks also send.
 * 128..255: TP-FCS failure causes of TS 23.040 9.2.3.22, the SC refusing
 *           the SMS-SUBMIT.
 * 300..500: errors of the ME, the SIM, the network link.
 * 512.. are manufacturer specific: temporary, like every unknown code.
 */
static const struct at_errinfo at_cms_table[] = {
	{ 1,	P, "unassigned (unallocated) number" },
	/*
	 * The sender's subscription is barred (out of credit, SMS not
	 * allowed): permanent as decided; the driver should quarantine a
	 * modem that fails many different recipients in a row.
	 */
	{ 8,	P, "operator determined barring" },
	{ 10,	P, "call barred" },
	{ 17,	T, "network failure" },
	{ 21,	P, "short message transfer rejected" },
	{ 22,	T, "congestion" },
	{ 27,	T, "destination out of service" },
	{ 28,	P, "unidentified subscriber" },
	{ 29,	P, "facility rejected" },
	{ 30,	P, "unknown subscriber" },
	{ 31,	T, "normal, unspecified" },
	{ 38,	T, "network out of order" },
	{ 41,	T, "temporary failure" },
	{ 42,	T, "congestion" },
	{ 47,	T, "resources unavailable, unspecified" },
	/* SMS not in this SIM's subscription: another SIM may have it. */
	{ 50,	M, "requested facility not subscribed" },
	{ 69,	M, "requested facility not implemented" },
	{ 81,	T, "invalid short message transfer reference value" },
	{ 95,	P, "semantically incorrect message" },
	{ 96,	P, "invalid mandatory information" },
	{ 97,	T, "message type non-existent or not implemented" },
	{ 98,	T, "message not compatible with protocol state" },
	{ 99,	T, "information element non-existent or not implemented" },
	{ 111,	T, "protocol error, unspecified" },
	{ 127,	T, "interworking, unspecified" },
	{ 0x80,	P, "telematic interworking not supported" },
	{ 0x81,	P, "short message type 0 not supported" },
	{ 0x82,	P, "cannot replace short message" },
	{ 0x8f,	P, "unspecified TP-PID error" },
	{ 0x90,	P, "data coding scheme (alphabet) not supported" },
	{ 0x91,	P, "message class not supported" },
	{ 0x9f,	P, "unspecified TP-DCS error" },
	{ 0xa0,	T, "command cannot be actioned" },
	{ 0xa1,	P, "command unsupported" },
	{ 0xaf,	P, "unspecified TP-Command error" },
	{ 0xb0,	P, "TPDU not supported" },
	{ 0xc0,	T, "SC busy" },
	{ 0xc1,	M, "no SC subscription" },
	{ 0xc2,	T, "SC system failure" },
	{ 0xc3,	P, "invalid SME address" },
	{ 0xc4,	P, "destination SME barred" },
	/*
	 * The SC already holds a message with this TP-MR for this number:
	 * an earlier attempt that looked failed (a timeout) got through.
	 * Sending again cannot help; the driver records the message as
	 * sent, not failed.
	 */
	{ 0xc5,	P, "SM rejected, duplicate SM" },
	{ 0xc6,	P, "TP-VPF not supported" },
	{ 0xc7,	P, "TP-VP not supported" },
	{ 0xd0,	M, "(U)SIM SMS storage full" },
	{ 0xd1,	M, "no SMS storage capability in (U)SIM" },
	{ 0xd2,	M, "error in MS" },
	{ 0xd3,	M, "memory capacity exceeded" },
	{ 0xd4,	T, "(U)SIM application toolkit busy" },
	{ 0xd5,	T, "(U)SIM data download error" },
	{ 0xff,	T, "unspecified error cause" },
	{ 300,	M, "ME failure" },
	{ 301,	T, "SMS service of ME reserved" },
	{ 302,	M, "operation not allowed" },
	{ 303,	M, "operation not supported" },
	/* Our PDU for this message is wrong; another modem will say so too. */
	{ 304,	P, "invalid PDU mode parameter" },
	{ 305,	P, "invalid text mode parameter" },
	{ 310,	M, "(U)SIM not inserted" },
	{ 311,	M, "(U)SIM PIN required" },
	{ 312,	M, "PH-(U)SIM PIN required" },
	{ 313,	M, "(U)SIM failure" },
	{ 314,	T, "(U)SIM busy" },
	{ 315,	M, "(U)SIM wrong" },
	{ 316,	M, "(U)SIM PUK required" },
	{ 317,	M, "(U)SIM PIN2 required" },
	{ 318,	M, "(U)SIM PUK2 required" },
	{ 320,	M, "memory failure" },
	{ 321,	T, "invalid memory index" },
	{ 322,	M, "memory full" },
	{ 330,	M, "SMSC address unknown" },
	/* Not registered: the driver also marks the modem unhealthy. */
	{ 331,	T, "no network service" },
	{ 332,	T, "network timeout" },
	{ 340,	T, "no +CNMA acknowledgement expected" },
	/* What many modems say for everything: do not blame the message. */
	{ 500,	T, "unknown error" },
};

/* +CME ERROR codes, 3GPP TS 27.007 9.2, sorted by code. */
static const struct at_errinfo at_cme_table[] = {
	{ 0,	M, "phone failure" },
	{ 1,	M, "no connection to phone" },
	{ 2,	T, "phone adaptor link reserved" },
	{ 3,	M, "operation not allowed" },
	{ 4,	M, "operation not supported" },
	{ 5,	M, "PH-SIM PIN required" },
	{ 6,	M, "PH-FSIM PIN required" },
	{ 7,	M, "PH-FSIM PUK required" },
	{ 10,	M, "SIM not inserted" },
	{ 11,	M, "SIM PIN required" },
	{ 12,	M, "SIM PUK required" },
	{ 13,	M, "SIM failure" },
	{ 14,	T, "SIM busy" },
	{ 15,	M, "SIM wrong" },
	{ 16,	M, "incorrect password" },
	{ 17,	M, "SIM PIN2 required" },
	{ 18,	M, "SIM PUK2 required" },
	{ 20,	M, "memory full" },
	{ 21,	T, "invalid index" },
	{ 22,	T, "not found" },
	{ 23,	M, "memory failure" },
	{ 24,	P, "text string too long" },
	{ 25,	P, "invalid characters in text string" },
	{ 26,	P, "dial string too long" },
	{ 27,	P, "invalid characters in dial string" },
	{ 30,	T, "no network service" },
	{ 31,	T, "network timeout" },
	/* Registration refused: this SIM cannot use the network. */
	{ 32,	M, "network not allowed, emergency calls only" },
	{ 40,	M, "network personalization PIN required" },
	{ 41,	M, "network personalization PUK required" },
	{ 42,	M, "network subset personalization PIN required" },
	{ 43,	M, "network subset personalization PUK required" },
	{ 44,	M, "service provider personalization PIN required" },
	{ 45,	M, "service provider personalization PUK required" },
	{ 46,	M, "corporate personalization PIN required" },
	{ 47,	M, "corporate personalization PUK required" },
	{ 48,	M, "hidden key required" },
	{ 49,	M, "EAP method not supported" },
	{ 50,	P, "incorrect parameters" },
	{ 100,	T, "unknown" },
	{ 103,	M, "illegal MS" },
	{ 106,	M, "illegal ME" },
	{ 107,	M, "GPRS services not allowed" },
	{ 111,	M, "PLMN not allowed" },
	{ 112,	M, "location area not allowed" },
	{ 113,	M, "roaming not allowed in this location area" },
	{ 132,	M, "service option not supported" },
	{ 133,	M, "requested service option not subscribed" },
	{ 134,	T, "service option temporarily out of order" },
	{ 148,	T, "unspecified GPRS error" },
	{ 149,	M, "PDP authentication failure" },
	{ 150,	M, "invalid mobile class" },
};

#undef P
#undef T
#undef M

static const struct at_errinfo *
at_err_find(const struct at_errinfo *t, size_t n, int code)
{
	size_t	lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (t[mid].code == code)
			return (&t[mid]);
		if (t[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (NULL);
}

/* Class of a +CMS ERROR code; unknown codes (and -1) are temporary. */
enum at_errclass
at_cms_class(int code)
{
	const struct at_errinfo	*e;

	e = at_err_find(at_cms_table, nitems(at_cms_table), code);
	return (e != NULL ? e->class : AT_ERR_TEMPORARY);
}

/* Class of a +CME ERROR code; unknown codes (and -1) are temporary. */
enum at_errclass
at_cme_class(int code)
{
	const struct at_errinfo	*e;

	e = at_err_find(at_cme_table, nitems(at_cme_table), code);
	return (e != NULL ? e->class : AT_ERR_TEMPORARY);
}

/* Short text of a +CMS ERROR code, "unknown error" if none. */
const char *
at_cms_text(int code)
{
	const struct at_errinfo	*e;

	e = at_err_find(at_cms_table, nitems(at_cms_table), code);
	return (e != NULL ? e->text : "unknown error");
}

/* Name of a class. */
const char *
at_errclass_name(enum at_errclass class)
{
	switch (class) {
	case AT_ERR_PERMANENT:
		return ("permanent");
	case AT_ERR_TEMPORARY:
		return ("temporary");
	case AT_ERR_MODEM:
		return ("modem");
	}
	return ("?");
}
