/*
 * at.h: the AT command dialogue's response side (3GPP TS 27.005/27.007;
 * pure code, unit-tested and fuzzed): a tokenizer that turns the bytes a
 * modem sends into lines, and the table that classifies +CMS/+CME error
 * codes.
 *
 * Modems interleave unsolicited result codes (URCs: +CMTI, +CDS, RING,
 * Huawei ^BOOT/^RSSI ...) with the answer to the command in progress, may
 * echo the command, may answer with numeric result codes (ATV0), and send
 * the "> " prompt of AT+CMGS without a line end.  The tokenizer reports
 * each line with its kind and leaves the dialogue to the driver.
 */
#ifndef CIVICAST_AT_H
#define CIVICAST_AT_H

#include <stddef.h>

#include "buf.h"

#define AT_LINE_MAX	1024	/* a longer line is cut and flagged */

enum at_kind {
	AT_OK,			/* OK, or numeric 0 */
	AT_ERROR,		/* ERROR, or numeric 4 */
	AT_CMS_ERROR,		/* +CMS ERROR: <code> (code in .code, -1: text) */
	AT_CME_ERROR,		/* +CME ERROR: <code> */
	AT_PROMPT,		/* "> " of AT+CMGS */
	AT_FINAL_OTHER,		/* NO CARRIER, BUSY, NO ANSWER, NO DIALTONE */
	AT_URC,			/* unsolicited: see at_urc_prefixes */
	AT_INFO,		/* any other line: a command's answer or echo */
	AT_CDS			/* +CDS: <len> with its PDU (in .pdu) */
};

struct at_line {
	enum at_kind	 kind;
	const char	*text;		/* the line, without CR/LF, NUL-ended */
	size_t		 len;
	int		 code;		/* CMS/CME code, numeric result code */
	const char	*pdu;		/* AT_CDS: the hex PDU line */
	int		 truncated;	/* longer than AT_LINE_MAX */
};

struct at_parser {
	struct buf	 line;		/* bytes of the line being read */
	struct buf	 cds;		/* +CDS header waiting for its PDU */
	int		 want_pdu;	/* the next line is a +CDS PDU */
	int		 numeric;	/* ATV0 result codes expected */
	int		 truncated;
};

typedef void	at_line_cb(void *arg, const struct at_line *);

/* Start a parser. */
void	 at_parser_init(struct at_parser *);
/* Free it. */
void	 at_parser_free(struct at_parser *);
/* Forget a partial line (after a reopen or an abort). */
void	 at_parser_reset(struct at_parser *);
/*
 * Feed bytes as they come; cb is called for every complete line and for
 * the "> " prompt.  Empty lines are skipped.
 */
void	 at_feed(struct at_parser *, const char *data, size_t len,
	    at_line_cb *cb, void *arg);

enum at_errclass {
	AT_ERR_PERMANENT,	/* this message can never go (bad number...) */
	AT_ERR_TEMPORARY,	/* try later, maybe on another modem */
	AT_ERR_MODEM		/* the modem or SIM is at fault: stop using it */
};

/* Class of a +CMS ERROR code (TS 27.005 3.2.5), documented in at.c. */
enum at_errclass at_cms_class(int code);
/* Class of a +CME ERROR code (TS 27.007 9.2). */
enum at_errclass at_cme_class(int code);
/* Short text of a +CMS ERROR code, for logs ("unknown error" if none). */
const char	*at_cms_text(int code);
/* Name of a class: "permanent", "temporary", "modem". */
const char	*at_errclass_name(enum at_errclass);

#endif
