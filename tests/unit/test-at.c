/*
 * test-at.c: the AT response tokenizer and the +CMS/+CME classes.
 */
#include "compat.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "at.h"
#include "buf.h"
#include "xmalloc.h"

static const char *kind_names[] = {
	"OK", "ERROR", "CMS", "CME", "PROMPT", "FINAL", "URC", "INFO", "CDS"
};

/*
 * Render each reported line as "KIND code [T]text[|pdu]\n", checking the
 * invariants every line must keep, so one string comparison checks a
 * whole dialogue.
 */
static void
render_cb(void *arg, const struct at_line *l)
{
	struct buf	*b = arg;

	assert_non_null(l->text);
	assert_int_equal(l->len, strlen(l->text));
	assert_true(l->len <= AT_LINE_MAX);
	assert_true((size_t)l->kind < nitems(kind_names));
	if (l->kind == AT_CDS)
		assert_non_null(l->pdu);
	if (l->pdu != NULL)
		assert_true(l->kind == AT_CDS || l->kind == AT_URC);
	buf_printf(b, "%s %d %s%s%s%s\n", kind_names[l->kind], l->code,
	    l->truncated ? "T" : "", l->text, l->pdu != NULL ? "|" : "",
	    l->pdu != NULL ? l->pdu : "");
}

/* Feed len bytes of s in chunks of step bytes (0: all at once). */
static char *
feed(const char *s, size_t len, size_t step, int numeric)
{
	struct at_parser	p;
	struct buf		b;
	size_t			off, n;

	buf_init(&b, 0);
	at_parser_init(&p);
	p.numeric = numeric;
	if (step == 0)
		step = len == 0 ? 1 : len;
	for (off = 0; off < len; off += n) {
		n = len - off < step ? len - off : step;
		at_feed(&p, s + off, n, render_cb, &b);
	}
	at_parser_free(&p);
	return (buf_steal(&b));
}

static void
check(const char *in, const char *want)
{
	char	*got;

	got = feed(in, strlen(in), 0, 0);
	assert_string_equal(got, want);
	free(got);
	got = feed(in, strlen(in), 1, 0);
	assert_string_equal(got, want);
	free(got);
}

static void
check_numeric(const char *in, const char *want)
{
	char	*got;

	got = feed(in, strlen(in), 1, 1);
	assert_string_equal(got, want);
	free(got);
}

/* A gammu-style start, a PDU send with Huawei noise, a status report. */
static const char dialogue[] =
    "ATE1\r\r\nOK\r\n"
    "\r\n^BOOT:22075183,0,0,0,75\r\n"
    "AT+CMEE=1\r\r\nOK\r\n"
    "AT+CPIN?\r\r\n+CPIN: READY\r\n\r\nOK\r\n"
    "AT+CSQ\r\r\n+CSQ: 18,99\r\n\r\nOK\r\n"
    "AT+CMGF=0\r\r\nOK\r\n"
    "AT+CMGS=23\r\r\n> "
    "0011000B916407281553F80000AA0AE8329BFD4697D9EC37\x1a"
    "\r\n^RSSI:17\r\n"
    "\r\n+CMGS: 12\r\n"
    "\r\n^HCSQ:\"LTE\",51,46,131,28\r\n"
    "\r\nOK\r\n"
    "\r\n+CDS: 25\r\n"
    "07913396050066F606750B913366224700F0\r\n"
    "AT+CMGS=23\r\r\n> 00\x1a\r\n+CMS ERROR: 500\r\n"
    "\r\n+CMTI: \"SM\",3\r\n";

static const char dialogue_want[] =
    "INFO 0 ATE1\n"
    "OK 0 OK\n"
    "URC 0 ^BOOT:22075183,0,0,0,75\n"
    "INFO 0 AT+CMEE=1\n"
    "OK 0 OK\n"
    "INFO 0 AT+CPIN?\n"
    "INFO 0 +CPIN: READY\n"
    "OK 0 OK\n"
    "INFO 0 AT+CSQ\n"
    "INFO 0 +CSQ: 18,99\n"
    "OK 0 OK\n"
    "INFO 0 AT+CMGF=0\n"
    "OK 0 OK\n"
    "INFO 0 AT+CMGS=23\n"
    "PROMPT 0 >\n"
    "INFO 0 0011000B916407281553F80000AA0AE8329BFD4697D9EC37\x1a\n"
    "URC 0 ^RSSI:17\n"
    "INFO 0 +CMGS: 12\n"
    "URC 0 ^HCSQ:\"LTE\",51,46,131,28\n"
    "OK 0 OK\n"
    "CDS 0 +CDS: 25|07913396050066F606750B913366224700F0\n"
    "INFO 0 AT+CMGS=23\n"
    "PROMPT 0 >\n"
    "INFO 0 00\x1a\n"
    "CMS 500 +CMS ERROR: 500\n"
    "URC 0 +CMTI: \"SM\",3\n";

static void
test_chunking(void **state)
{
	size_t	 steps[] = { 0, 1, 2, 3, 5, 7, 13, 64, 1000 };
	size_t	 i;
	char	*got;

	for (i = 0; i < nitems(steps); i++) {
		got = feed(dialogue, sizeof dialogue - 1, steps[i], 0);
		assert_string_equal(got, dialogue_want);
		free(got);
	}
}

static void
test_line_ends(void **state)
{
	check("OK\r\n", "OK 0 OK\n");
	check("OK\r", "OK 0 OK\n");
	check("OK\n", "OK 0 OK\n");
	check("OK\n\r", "OK 0 OK\n");
	check("\r\nOK\r\n\r\n\r\n", "OK 0 OK\n");
	check("A\rB\nC\r\nD\n\rE\r\r\r", "INFO 0 A\nINFO 0 B\nINFO 0 C\n"
	    "INFO 0 D\nINFO 0 E\n");
	/* Trailing blanks go; a line of blanks is empty. */
	check("OK  \r\n   \r\n\t\r\n", "OK 0 OK\n");
	/* No line end yet: nothing. */
	check("OK", "");
}

static void
test_echo(void **state)
{
	check("AT+CMGS=23\r\r\n> ", "INFO 0 AT+CMGS=23\nPROMPT 0 >\n");
	check("AT\rOK\r", "INFO 0 AT\nOK 0 OK\n");
	check("at+cmgf=0\r\r\nOK\r\n", "INFO 0 at+cmgf=0\nOK 0 OK\n");
}

static void
test_prompt(void **state)
{
	struct at_parser	p;
	struct buf		b;

	check("> ", "PROMPT 0 >\n");
	check(">\r\n", "PROMPT 0 >\n");
	check(">\r", "PROMPT 0 >\n");
	check("\r\n> ", "PROMPT 0 >\n");
	check("\r\n>", "");		/* undecided until the next byte */
	check(">abc\r\n", "INFO 0 >abc\n");
	check(" > \r\n", "INFO 0  >\n");
	check("OK > \r\n", "INFO 0 OK >\n");
	check("> > ", "PROMPT 0 >\nPROMPT 0 >\n");
	/* What follows the prompt on its line is a line of its own. */
	check("> 0011\x1a\r\n+CMGS: 5\r\n\r\nOK\r\n",
	    "PROMPT 0 >\nINFO 0 0011\x1a\nINFO 0 +CMGS: 5\nOK 0 OK\n");

	/* A NUL between '>' and the space is dropped. */
	buf_init(&b, 0);
	at_parser_init(&p);
	at_feed(&p, ">\0 ", 3, render_cb, &b);
	assert_string_equal(b.data, "PROMPT 0 >\n");
	at_parser_free(&p);
	buf_free(&b);

	/* Reported the moment the space arrives, not at a line end. */
	buf_init(&b, 0);
	at_parser_init(&p);
	at_feed(&p, "\r\n>", 3, render_cb, &b);
	assert_int_equal(b.len, 0);
	at_feed(&p, " ", 1, render_cb, &b);
	assert_string_equal(b.data, "PROMPT 0 >\n");
	at_parser_free(&p);
	buf_free(&b);
}

static void
test_numeric(void **state)
{
	check_numeric("0\r4\r3\r2\r7\r8\r6\r1\r",
	    "OK 0 0\nERROR 4 4\nFINAL 3 3\nURC 2 2\nFINAL 7 7\n"
	    "FINAL 8 8\nFINAL 6 6\nFINAL 1 1\n");
	/* Only whole known codes: an IMEI or an unknown digit is info. */
	check_numeric("\r\n351234567890123\r\n0\r5\r9\r00\r",
	    "INFO 0 351234567890123\nOK 0 0\nINFO 0 5\nINFO 0 9\n"
	    "INFO 0 00\n");
	/* Verbose codes still count (ATV0 not taken yet). */
	check_numeric("OK\r\n+CMS ERROR: 331\r\n",
	    "OK 0 OK\nCMS 331 +CMS ERROR: 331\n");
	/* Off: digits are info. */
	check("0\r4\r", "INFO 0 0\nINFO 0 4\n");
	/* Verbose forms carry the V.250 numbers too. */
	check("ERROR\r\nNO CARRIER\r\nBUSY\r\nNO ANSWER\r\nNO DIALTONE\r\n"
	    "CONNECT 9600\r\nRING\r\n",
	    "ERROR 4 ERROR\nFINAL 3 NO CARRIER\nFINAL 7 BUSY\n"
	    "FINAL 8 NO ANSWER\nFINAL 6 NO DIALTONE\n"
	    "FINAL 1 CONNECT 9600\nURC 2 RING\n");
}

/* The driver sets numeric from its callback once ATV0 is answered. */
static void
numeric_cb(void *arg, const struct at_line *l)
{
	struct at_parser	**pp = arg;

	if (l->kind == AT_OK)
		(*pp)->numeric = 1;
}

static void
test_numeric_switch(void **state)
{
	struct at_parser	 p, *pp = &p;
	struct buf		 b;
	const char		*in = "ATV0\r\r\nOK\r\n0\r";

	at_parser_init(&p);
	at_feed(&p, in, strlen(in), numeric_cb, &pp);
	assert_int_equal(p.numeric, 1);
	buf_init(&b, 0);
	at_feed(&p, "4\r", 2, render_cb, &b);
	assert_string_equal(b.data, "ERROR 4 4\n");
	buf_free(&b);
	at_parser_free(&p);
}

static void
test_errors(void **state)
{
	check("+CMS ERROR: 500\r\n", "CMS 500 +CMS ERROR: 500\n");
	check("+CMS ERROR:330\r\n", "CMS 330 +CMS ERROR:330\n");
	check("+CMS ERROR: 38 \r\n", "CMS 38 +CMS ERROR: 38\n");
	check("+CMS ERROR: SMSC address unknown\r\n",
	    "CMS -1 +CMS ERROR: SMSC address unknown\n");
	check("+CMS ERROR: 12a\r\n", "CMS -1 +CMS ERROR: 12a\n");
	check("+CMS ERROR: 99999999999\r\n",
	    "CMS -1 +CMS ERROR: 99999999999\n");
	check("+CMS ERROR:\r\n", "CMS -1 +CMS ERROR:\n");
	check("+CME ERROR: 10\r\n", "CME 10 +CME ERROR: 10\n");
	check("+CME ERROR: 0\r\n", "CME 0 +CME ERROR: 0\n");
	check("+CME ERROR: SIM not inserted\r\n",
	    "CME -1 +CME ERROR: SIM not inserted\n");
	/* Not an error line. */
	check("+CMS ERRORS\r\n", "INFO 0 +CMS ERRORS\n");
}

static void
test_urcs(void **state)
{
	check("+CMTI: \"SM\",1\r\n+CDSI: \"SR\",2\r\n+CUSD: 0,\"x\",15\r\n"
	    "^SIMST:1\r\n^DSFLOWRPT:0,0,0\r\n+PBREADY\r\n+QIND: SMS DONE\r\n",
	    "URC 0 +CMTI: \"SM\",1\nURC 0 +CDSI: \"SR\",2\n"
	    "URC 0 +CUSD: 0,\"x\",15\nURC 0 ^SIMST:1\n"
	    "URC 0 ^DSFLOWRPT:0,0,0\nURC 0 +PBREADY\n"
	    "URC 0 +QIND: SMS DONE\n");
	/* +CREG is also a query's answer: info, by choice. */
	check("+CREG: 0,1\r\n+CGREG: 1\r\n+CMGS: 7\r\n+CMTIX\r\n",
	    "INFO 0 +CREG: 0,1\nINFO 0 +CGREG: 1\nINFO 0 +CMGS: 7\n"
	    "INFO 0 +CMTIX\n");
}

/* Huawei reports in the middle of the answer to AT+CMGS. */
static void
test_huawei_noise(void **state)
{
	check("AT+CMGS=18\r\r\n\r\n^RSSI:20\r\n> "
	    "0001000B81\x1a\r\n^MODE:5,4\r\n\r\n^SRVST:2\r\n"
	    "\r\n+CMGS: 200\r\n\r\n^CEND:1,0,104,16\r\n\r\nOK\r\n",
	    "INFO 0 AT+CMGS=18\nURC 0 ^RSSI:20\nPROMPT 0 >\n"
	    "INFO 0 0001000B81\x1a\nURC 0 ^MODE:5,4\nURC 0 ^SRVST:2\n"
	    "INFO 0 +CMGS: 200\nURC 0 ^CEND:1,0,104,16\nOK 0 OK\n");
}

static void
test_cds(void **state)
{
	struct at_parser	p;
	struct buf		b;

	check("\r\n+CDS: 6\r\n\r\n\r\n0006AB\r\n",
	    "CDS 0 +CDS: 6|0006AB\n");
	/* Text mode: commas, no PDU follows. */
	check("+CDS: 6,12,\"+8613800000000\",145,\"24/01/01\",0\r\nOK\r\n",
	    "URC 0 +CDS: 6,12,\"+8613800000000\",145,\"24/01/01\",0\n"
	    "OK 0 OK\n");
	/* Not hex: the header alone, and the line is not swallowed. */
	check("+CDS: 6\r\nOK\r\n", "URC 0 +CDS: 6\nOK 0 OK\n");
	check("+CDS: 6\r\n> ", "URC 0 +CDS: 6\nPROMPT 0 >\n");
	/* +CMT and +CBM in PDU mode are paired too, as URCs. */
	check("+CMT: ,24\r\n07911326\r\n+CMT: \"a,b\",3\r\nABCD\r\n"
	    "+CBM: 88\r\n0011\r\n",
	    "URC 0 +CMT: ,24|07911326\nURC 0 +CMT: \"a,b\",3|ABCD\n"
	    "URC 0 +CBM: 88|0011\n");
	check("+CMT: \"+8613800000000\",,\"24/01/01,08:00:00+32\"\r\n"
	    "hello\r\n",
	    "URC 0 +CMT: \"+8613800000000\",,\"24/01/01,08:00:00+32\"\n"
	    "INFO 0 hello\n");

	/* The PDU in a later read: nothing until it is there. */
	buf_init(&b, 0);
	at_parser_init(&p);
	at_feed(&p, "\r\n+CDS: 25\r\n", 12, render_cb, &b);
	assert_int_equal(b.len, 0);
	at_feed(&p, "\r\n0791", 6, render_cb, &b);
	assert_int_equal(b.len, 0);
	at_feed(&p, "AB\r\nOK\r\n", 8, render_cb, &b);
	assert_string_equal(b.data, "CDS 0 +CDS: 25|0791AB\nOK 0 OK\n");
	/* A reset forgets a held header. */
	buf_reset(&b);
	at_feed(&p, "+CDS: 3\r\n", 9, render_cb, &b);
	at_parser_reset(&p);
	at_feed(&p, "ABCDEF\r\n", 8, render_cb, &b);
	assert_string_equal(b.data, "INFO 0 ABCDEF\n");
	at_parser_free(&p);
	buf_free(&b);
}

static void
test_long_line(void **state)
{
	struct buf	 in, want;
	char		*got, *line;
	size_t		 i;

	buf_init(&in, 0);
	for (i = 0; i < 5000; i++)
		buf_add(&in, i == 0 ? "+" : "A", 1);
	buf_adds(&in, "\r\nOK\r\n");
	line = xstrndup(in.data, AT_LINE_MAX);
	buf_init(&want, 0);
	buf_printf(&want, "INFO 0 T%s\nOK 0 OK\n", line);
	got = feed(in.data, in.len, 1, 0);
	assert_string_equal(got, want.data);
	free(got);
	got = feed(in.data, in.len, 0, 0);
	assert_string_equal(got, want.data);
	free(got);

	/* Exactly AT_LINE_MAX fits. */
	buf_reset(&want);
	buf_printf(&want, "INFO 0 %s\n", line);
	buf_reset(&in);
	buf_adds(&in, line);
	buf_adds(&in, "\n");
	got = feed(in.data, in.len, 7, 0);
	assert_string_equal(got, want.data);
	free(got);

	/* A cut header gets no PDU. */
	buf_reset(&in);
	buf_adds(&in, "+CDS: ");
	for (i = 0; i < 2000; i++)
		buf_adds(&in, "1");
	buf_adds(&in, "\r\nABCD\r\n");
	got = feed(in.data, in.len, 0, 0);
	assert_true(strncmp(got, "URC 0 T+CDS: 111", 16) == 0);
	assert_non_null(strstr(got, "\nINFO 0 ABCD\n"));
	free(got);

	free(line);
	buf_free(&in);
	buf_free(&want);
}

static void
test_nul(void **state)
{
	static const char	in[] = "\0O\0K\0\r\n\0\0\r\nER\0ROR\r\n\0";
	char			*got;

	got = feed(in, sizeof in - 1, 1, 0);
	assert_string_equal(got, "OK 0 OK\nERROR 4 ERROR\n");
	free(got);
	got = feed(in, sizeof in - 1, 0, 0);
	assert_string_equal(got, "OK 0 OK\nERROR 4 ERROR\n");
	free(got);
}

static void
test_reset(void **state)
{
	struct at_parser	p;
	struct buf		b;

	buf_init(&b, 0);
	at_parser_init(&p);
	at_feed(&p, "+CMGS: 1", 8, render_cb, &b);
	at_parser_reset(&p);
	at_feed(&p, "2\r\nOK\r\n", 7, render_cb, &b);
	assert_string_equal(b.data, "INFO 0 2\nOK 0 OK\n");
	at_parser_free(&p);
	buf_free(&b);
}

/* A driver that gives up on any URC (as after a reopen) resets in cb. */
static struct at_parser	*reset_parser;

static void
reset_cb(void *arg, const struct at_line *l)
{
	render_cb(arg, l);
	if (l->kind == AT_URC)
		at_parser_reset(reset_parser);
}

static void
test_reset_in_cb(void **state)
{
	struct at_parser	 p;
	struct buf		 b;
	const char		*in = "+CDS: 6\r\nOK\r\n> OK\r\n";

	buf_init(&b, 0);
	at_parser_init(&p);
	reset_parser = &p;
	/* The "OK" that flushed the header was reset away with it. */
	at_feed(&p, in, strlen(in), reset_cb, &b);
	at_feed(&p, "+CDS: 7\r\n> ", 11, reset_cb, &b);
	assert_string_equal(b.data, "URC 0 +CDS: 6\nPROMPT 0 >\nOK 0 OK\n"
	    "URC 0 +CDS: 7\nPROMPT 0 >\n");
	at_parser_free(&p);
	buf_free(&b);
}

static void
test_classes(void **state)
{
	static const struct {
		int			cms;
		enum at_errclass	class;
	} cms[] = {
		{ 1, AT_ERR_PERMANENT }, { 8, AT_ERR_PERMANENT },
		{ 10, AT_ERR_PERMANENT }, { 21, AT_ERR_PERMANENT },
		{ 27, AT_ERR_TEMPORARY }, { 28, AT_ERR_PERMANENT },
		{ 38, AT_ERR_TEMPORARY }, { 42, AT_ERR_TEMPORARY },
		{ 50, AT_ERR_MODEM }, { 69, AT_ERR_MODEM },
		{ 96, AT_ERR_PERMANENT }, { 127, AT_ERR_TEMPORARY },
		{ 0x80, AT_ERR_PERMANENT }, { 0xa0, AT_ERR_TEMPORARY },
		{ 0xc0, AT_ERR_TEMPORARY }, { 0xc1, AT_ERR_MODEM },
		{ 0xc3, AT_ERR_PERMANENT }, { 0xc5, AT_ERR_PERMANENT },
		{ 0xd0, AT_ERR_MODEM }, { 0xd4, AT_ERR_TEMPORARY },
		{ 0xff, AT_ERR_TEMPORARY }, { 300, AT_ERR_MODEM },
		{ 301, AT_ERR_TEMPORARY }, { 304, AT_ERR_PERMANENT },
		{ 310, AT_ERR_MODEM }, { 311, AT_ERR_MODEM },
		{ 314, AT_ERR_TEMPORARY }, { 322, AT_ERR_MODEM },
		{ 330, AT_ERR_MODEM }, { 331, AT_ERR_TEMPORARY },
		{ 332, AT_ERR_TEMPORARY }, { 500, AT_ERR_TEMPORARY },
		/* Unknown, reserved, manufacturer specific, text: temporary. */
		{ -1, AT_ERR_TEMPORARY }, { 0, AT_ERR_TEMPORARY },
		{ 2, AT_ERR_TEMPORARY }, { 0xe0, AT_ERR_TEMPORARY },
		{ 399, AT_ERR_TEMPORARY }, { 512, AT_ERR_TEMPORARY },
		{ 65535, AT_ERR_TEMPORARY }, { -2147483647 - 1,
		    AT_ERR_TEMPORARY },
	}, cme[] = {
		{ 0, AT_ERR_MODEM }, { 3, AT_ERR_MODEM },
		{ 10, AT_ERR_MODEM }, { 11, AT_ERR_MODEM },
		{ 12, AT_ERR_MODEM }, { 14, AT_ERR_TEMPORARY },
		{ 24, AT_ERR_PERMANENT }, { 30, AT_ERR_TEMPORARY },
		{ 31, AT_ERR_TEMPORARY }, { 100, AT_ERR_TEMPORARY },
		{ -1, AT_ERR_TEMPORARY }, { 9, AT_ERR_TEMPORARY },
		{ 999, AT_ERR_TEMPORARY },
	};
	size_t	i;

	for (i = 0; i < nitems(cms); i++) {
		if (at_cms_class(cms[i].cms) != cms[i].class)
			fail_msg("CMS %d: %s", cms[i].cms,
			    at_errclass_name(at_cms_class(cms[i].cms)));
	}
	for (i = 0; i < nitems(cme); i++) {
		if (at_cme_class(cme[i].cms) != cme[i].class)
			fail_msg("CME %d: %s", cme[i].cms,
			    at_errclass_name(at_cme_class(cme[i].cms)));
	}
	assert_string_equal(at_cms_text(330), "SMSC address unknown");
	assert_string_equal(at_cms_text(1), "unassigned (unallocated) number");
	assert_string_equal(at_cms_text(0xc5), "SM rejected, duplicate SM");
	assert_string_equal(at_cms_text(-1), "unknown error");
	assert_string_equal(at_cms_text(4242), "unknown error");
	assert_string_equal(at_errclass_name(AT_ERR_PERMANENT), "permanent");
	assert_string_equal(at_errclass_name(AT_ERR_TEMPORARY), "temporary");
	assert_string_equal(at_errclass_name(AT_ERR_MODEM), "modem");
}

/* Every code 0..600 has a class and a text, whatever it is. */
static void
test_classes_total(void **state)
{
	int	code;

	for (code = -5; code <= 600; code++) {
		assert_true(at_cms_class(code) <= AT_ERR_MODEM);
		assert_true(at_cme_class(code) <= AT_ERR_MODEM);
		assert_true(strlen(at_cms_text(code)) > 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chunking),
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_echo),
		cmocka_unit_test(test_prompt),
		cmocka_unit_test(test_numeric),
		cmocka_unit_test(test_numeric_switch),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_urcs),
		cmocka_unit_test(test_huawei_noise),
		cmocka_unit_test(test_cds),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_reset_in_cb),
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_classes_total),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
