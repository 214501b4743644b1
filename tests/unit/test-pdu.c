/*
 * test-pdu.c: SMS-SUBMIT and SMS-STATUS-REPORT PDUs, with vectors
 * worked out by hand from 3GPP TS 23.040 and 23.038.
 */
#include "compat.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "pdu.h"
#include "xmalloc.h"

#define M	"13800138000"
/* TP-DA of M as international: 13 digits (0x0D), TOA 0x91, 86 13 80 01
 * 38 00 0 swapped per octet, F filling the last high nibble. */
#define DA_INTL	"0D91683108108300F0"

/* n copies of unit, then tail. */
static char *
repeat(const char *unit, size_t n, const char *tail)
{
	struct buf	b;
	size_t		i;

	buf_init(&b, 0);
	for (i = 0; i < n; i++)
		buf_adds(&b, unit);
	buf_adds(&b, tail);
	return (buf_steal(&b));
}

/* Encode, which must work; the number of parts. */
static size_t
encode(const char *number, const char *text, const struct pdu_opts *o,
    struct pdu_part *parts)
{
	struct pdu_opts	 def;
	size_t		 n;
	char		*cause = NULL;

	if (o == NULL) {
		memset(&def, 0, sizeof def);
		o = &def;
	}
	if (pdu_encode_submit(number, text, o, parts, PDU_MAX_PARTS, &n,
	    &cause) != 0)
		fail_msg("encode failed: %s", cause);
	assert_null(cause);
	return (n);
}

/* Encode, which must fail with a cause starting with want. */
static void
encode_fails(const char *number, const char *text,
    const struct pdu_opts *o, size_t maxparts, const char *want)
{
	struct pdu_opts	 def;
	struct pdu_part	 parts[PDU_MAX_PARTS];
	size_t		 n = 99;
	char		*cause = NULL;

	if (o == NULL) {
		memset(&def, 0, sizeof def);
		o = &def;
	}
	assert_int_equal(pdu_encode_submit(number, text, o, parts, maxparts,
	    &n, &cause), -1);
	assert_non_null(cause);
	if (strncmp(cause, want, strlen(want)) != 0)
		fail_msg("cause \"%s\", want \"%s\"", cause, want);
	assert_int_equal(n, 0);
	free(cause);
}

/* Decode an SMS-SUBMIT, which must work. */
static void
decode(const char *hex, struct pdu_submit *ps)
{
	char	*cause = NULL;

	if (pdu_decode_submit(hex, ps, &cause) != 0)
		fail_msg("decode failed: %s (%s)", cause, hex);
	assert_null(cause);
}

/* Decoding must fail with a cause that contains want. */
static void
decode_fails(const char *hex, const char *want)
{
	struct pdu_submit	 ps;
	struct pdu_status	 st;
	char			*cause = NULL;

	assert_int_equal(pdu_decode_submit(hex, &ps, &cause), -1);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("cause \"%s\", want \"%s\" (%s)", cause, want, hex);
	free(cause);
	assert_null(ps.text);
	assert_null(ps.septets);
	cause = NULL;
	assert_int_equal(pdu_decode_status(hex, &st, &cause), -1);
	assert_non_null(cause);
	free(cause);
}

static void
test_hello(void **state)
{
	struct pdu_part		p[PDU_MAX_PARTS];
	struct pdu_submit	ps;

	/*
	 * 00: SMSC from the SIM; 01: SMS-SUBMIT, no VP/SRR/UDHI; 00: MR;
	 * DA; 00 PID; 00 DCS GSM 7-bit; 05 septets; then h e l l o
	 * (68 65 6C 6C 6F) packed LSB first: 68|65<<7 = E8, 65>>1|6C<<6
	 * = 32, 6C>>2|6C<<5 = 9B, 6C>>3|6F<<4 = FD, 6F>>4 = 06.
	 */
	assert_int_equal(encode(M, "hello", NULL, p), 1);
	assert_string_equal(p[0].hex, "0001" "00" DA_INTL "0000" "05"
	    "E8329BFD06");
	/* 1 + 1 + 9 (DA) + 1 + 1 + 1 + 5 octets after the SMSC field. */
	assert_int_equal(p[0].tpdu_len, 19);

	decode(p[0].hex, &ps);
	assert_string_equal(ps.smsc, "");
	assert_string_equal(ps.number, "+8613800138000");
	assert_int_equal(ps.toa, 0x91);
	assert_int_equal(ps.coding, PDU_GSM7);
	assert_int_equal(ps.vpf, 0);
	assert_false(ps.srr);
	assert_false(ps.concat);
	assert_string_equal(ps.text, "hello");
	assert_int_equal(ps.nseptets, 5);
	assert_memory_equal(ps.septets, "hello", 5);	/* ASCII = GSM */
	pdu_submit_free(&ps);
}

static void
test_hellohello(void **state)
{
	struct pdu_part		p[PDU_MAX_PARTS];
	struct pdu_opts		o;
	struct pdu_submit	ps;

	/*
	 * The textbook example: to +46708251358 (11 digits 0x0B, 0x91,
	 * 64 07 28 15 53 F8), first octet 11 (relative VP), VP AA = 4 days
	 * (166 + 4), "hellohello" packs to E8329BFD4697D9EC37.
	 */
	memset(&o, 0, sizeof o);
	o.vp_minutes = 4 * 1440;
	assert_int_equal(encode("+46708251358", "hellohello", &o, p), 1);
	assert_string_equal(p[0].hex,
	    "0011000B916407281553F80000AA0AE8329BFD4697D9EC37");
	assert_int_equal(p[0].tpdu_len, 23);
	decode(p[0].hex, &ps);
	assert_string_equal(ps.number, "+46708251358");
	assert_int_equal(ps.vpf, 2);
	assert_int_equal(ps.vp, 0xaa);
	assert_string_equal(ps.text, "hellohello");
	pdu_submit_free(&ps);
}

static void
test_numbers(void **state)
{
	struct pdu_part		p[PDU_MAX_PARTS];
	struct pdu_opts		o;
	struct pdu_submit	ps;

	memset(&o, 0, sizeof o);
	/* National: 11 digits (0B), TOA A1 (TON 2, NPI 1), 1 3 8 0 0 1 3
	 * 8 0 0 0 swapped: 31 08 10 83 00 F0. */
	o.numtype = PDU_NATIONAL;
	encode(M, "hi", &o, p);
	assert_string_equal(p[0].hex, "0001000BA13108108300F0000002E834");
	decode(p[0].hex, &ps);
	assert_string_equal(ps.number, M);
	assert_int_equal(ps.toa, 0xa1);
	pdu_submit_free(&ps);

	/* A '+' number is international whatever numtype says. */
	encode("+8613800138000", "hi", &o, p);
	assert_string_equal(p[0].hex, "0001" "00" DA_INTL "000002E834");

	/* A short code is not a mobile number: unknown TON (81), 21 43 F5. */
	o.numtype = PDU_INTERNATIONAL;
	encode("12345", "hi", &o, p);
	assert_string_equal(p[0].hex, "00010005812143F5000002E834");

	/* SMSC: 8 octets (TOA + 7), 91, 86 13 80 05 71 50 0. */
	o.smsc = "+8613800571500";
	encode(M, "hi", &o, p);
	assert_string_equal(p[0].hex, "0891683108501705F0" "01" "00"
	    DA_INTL "000002E834");
	assert_int_equal(p[0].tpdu_len, 16);
	decode(p[0].hex, &ps);
	assert_string_equal(ps.smsc, "+8613800571500");
	pdu_submit_free(&ps);

	o.smsc = NULL;
	encode_fails("1380013800a", "hi", &o, PDU_MAX_PARTS, "number is not");
	encode_fails("", "hi", &o, PDU_MAX_PARTS, "number is empty");
	encode_fails("+", "hi", &o, PDU_MAX_PARTS, "number is empty");
	encode_fails("++86", "hi", &o, PDU_MAX_PARTS, "number is not");
	encode_fails("123456789012345678901", "hi", &o, PDU_MAX_PARTS,
	    "number longer than 20");
	/* 20 digits fit: 0x14 digits, 10 octets. */
	encode("+12345678901234567890", "hi", &o, p);
	assert_string_equal(p[0].hex,
	    "000100149121436587092143658709000002E834");
	o.smsc = "+86 138";
	encode_fails(M, "hi", &o, PDU_MAX_PARTS, "SMSC is not");
}

static void
test_vp_srr(void **state)
{
	static const struct {
		int	minutes;
		int	vp;
	} v[] = {
		{ 1, 0x00 },	/* rounds up to 5 minutes: (0+1)*5 */
		{ 5, 0x00 },
		{ 6, 0x01 },	/* 10 minutes */
		{ 60, 0x0b },	/* (11+1)*5 */
		{ 720, 0x8f },	/* 143: 12 hours */
		{ 721, 0x90 },	/* 144: 12 h 30 min */
		{ 1440, 0xa7 },	/* 167: 12 h + 24 * 30 min */
		{ 1441, 0xa8 },	/* 168: 2 days */
		{ 10080, 0xad },	/* 173: 7 days */
		{ 43200, 0xc4 },	/* 196: 30 days */
		{ 43201, 0xc5 },	/* 197: 5 weeks */
		{ 750, 0x90 },		/* 144: 12 h 30 min exactly */
		{ 751, 0x91 },		/* 145: 13 hours */
		{ 2880, 0xa8 },		/* 168: 2 days exactly */
		{ 2881, 0xa9 },		/* 169: 3 days */
		{ 41761, 0xc4 },	/* 196: 30 days */
		{ 50400, 0xc5 },	/* 197: 5 weeks exactly */
		{ 50401, 0xc6 },	/* 198: 6 weeks */
		{ 635039, 0xff },	/* 255: 63 weeks */
		{ 635040, 0xff },	/* 255: 63 weeks */
		{ 635041, 0xff },	/* longer: the longest there is */
		{ 999999, 0xff },	/* longer: the longest there is */
	};
	struct pdu_part		p[PDU_MAX_PARTS];
	struct pdu_opts		o;
	struct pdu_submit	ps;
	char			want[64];
	size_t			i;

	memset(&o, 0, sizeof o);
	for (i = 0; i < nitems(v); i++) {
		o.vp_minutes = v[i].minutes;
		encode(M, "hi", &o, p);
		/* First octet 11: TP-VPF 10 (relative) in bits 4-3. */
		snprintf(want, sizeof want, "0011" "00" DA_INTL "0000%02X"
		    "02E834", v[i].vp);
		assert_string_equal(p[0].hex, want);
		decode(p[0].hex, &ps);
		assert_int_equal(ps.vp, v[i].vp);
		pdu_submit_free(&ps);
	}
	o.vp_minutes = -1;
	encode_fails(M, "hi", &o, PDU_MAX_PARTS, "negative validity");

	/* TP-SRR is bit 5: 01 | 20 = 21. */
	memset(&o, 0, sizeof o);
	o.srr = 1;
	encode(M, "hi", &o, p);
	assert_string_equal(p[0].hex, "0021" "00" DA_INTL "000002E834");
	decode(p[0].hex, &ps);
	assert_true(ps.srr);
	pdu_submit_free(&ps);
}

static void
test_gsm_long(void **state)
{
	struct pdu_part		p[PDU_MAX_PARTS];
	struct pdu_opts		o;
	struct pdu_submit	ps;
	char			*s;

	memset(&o, 0, sizeof o);
	o.ref = 0x1a7;		/* only the low 8 bits go in an 8-bit ref */

	/* 160 septets fill one SMS: UDL A0, 140 octets, no UDH. */
	s = repeat("a", 160, "");
	assert_int_equal(encode(M, s, &o, p), 1);
	assert_int_equal(strlen(p[0].hex), 2 * (1 + 13 + 1 + 140));
	assert_memory_equal(p[0].hex, "0001" "00" DA_INTL "0000A0", 30);
	free(s);

	/*
	 * 161: 153 + 8 septets.  First octet 41 (UDHI).  UDH 05 00 03 A7
	 * 02 0n is 6 octets = 48 bits; one fill bit brings the text to
	 * septet 7, so UDL = 7 + 153 = 160 (A0) and 7 + 8 = 15 (0F).
	 * Part 2's text: the fill bit 0, then 'a' = 1100001 LSB first, so
	 * octet 6 is 0x61 << 1 = C2.
	 */
	s = repeat("a", 161, "");
	assert_int_equal(encode(M, s, &o, p), 2);
	assert_memory_equal(p[0].hex, "0041" "00" DA_INTL "0000A0"
	    "050003A70201C2", 44);
	assert_int_equal(p[0].tpdu_len, 13 + 1 + 140);
	assert_string_equal(p[1].hex, "0041" "00" DA_INTL "00000F"
	    "050003A70202" "C2E170381C0E8701");
	decode(p[0].hex, &ps);
	assert_true(ps.concat);
	assert_int_equal(ps.ref, 0xa7);
	assert_int_equal(ps.total, 2);
	assert_int_equal(ps.seq, 1);
	assert_int_equal(ps.nseptets, 153);
	pdu_submit_free(&ps);
	decode(p[1].hex, &ps);
	assert_int_equal(ps.seq, 2);
	assert_string_equal(ps.text, "aaaaaaaa");
	pdu_submit_free(&ps);

	/*
	 * 16-bit reference: UDH 06 08 04 01 A7 02 0n is 7 octets = 56
	 * bits = 8 septets exactly, no fill: 152 septets a part.
	 */
	o.ref16 = 1;
	assert_int_equal(encode(M, s, &o, p), 2);
	assert_memory_equal(p[0].hex, "0041" "00" DA_INTL "0000A0"
	    "06080401A70201", 44);
	decode(p[0].hex, &ps);
	assert_int_equal(ps.ref, 0x1a7);
	assert_int_equal(ps.nseptets, 152);
	pdu_submit_free(&ps);
	/* Part 2: 9 septets, no fill: 61 | 61<<7 = E1 in octet 7. */
	assert_string_equal(p[1].hex, "0041" "00" DA_INTL "000011"
	    "06080401A70202" "E170381C0E87C361");
	free(s);

	/* 3 parts need maxparts 3. */
	s = repeat("a", 307, "");
	o.ref16 = 0;
	assert_int_equal(encode(M, s, &o, p), 3);
	encode_fails(M, s, &o, 2, "text needs 3 parts, more than 2");
	free(s);
	/* More than 255 parts cannot be numbered at all. */
	s = repeat("a", 153 * 255 + 1, "");
	{
		struct pdu_part	*many;
		size_t		 n;
		char		*cause = NULL;

		many = calloc(300, sizeof *many);
		assert_non_null(many);
		assert_int_equal(pdu_encode_submit(M, s, &o, many, 300, &n,
		    &cause), -1);
		assert_string_equal(cause, "text needs 256 parts, more than "
		    "255");
		free(cause);
		free(many);
	}
	free(s);
}

static void
test_escape(void **state)
{
	struct pdu_part		p[PDU_MAX_PARTS];
	struct pdu_submit	ps;
	char			*s;

	/*
	 * € is ESC 65: 1B | 65<<7 = 9B, 65>>1 = 32; UDL 2.  [ ] { } are
	 * 1B3C 1B3E 1B28 1B29 (23.038 6.2.1.1).
	 */
	encode(M, "\xe2\x82\xac", NULL, p);
	assert_string_equal(p[0].hex, "0001" "00" DA_INTL "0000029B32");
	encode(M, "\xe2\x82\xac[]{}", NULL, p);
	assert_string_equal(p[0].hex, "0001" "00" DA_INTL "00000A"
	    "9BF286B7F16D509B14");
	decode(p[0].hex, &ps);
	assert_string_equal(ps.text, "\xe2\x82\xac[]{}");
	assert_int_equal(ps.nseptets, 10);
	assert_memory_equal(ps.septets, "\x1b\x65\x1b\x3c\x1b\x3e\x1b\x28"
	    "\x1b\x29", 10);
	pdu_submit_free(&ps);

	/* ~ | ^ \ and the rest of the extension table. */
	encode(M, "~|^\\", NULL, p);
	decode(p[0].hex, &ps);
	assert_int_equal(ps.nseptets, 8);
	assert_memory_equal(ps.septets, "\x1b\x3d\x1b\x40\x1b\x14\x1b\x2f",
	    8);
	assert_string_equal(ps.text, "~|^\\");
	pdu_submit_free(&ps);

	/*
	 * 152 'a' then €: the pair would be septets 153 and 154, so it
	 * starts part 2; part 1 is 152 septets (UDL 7 + 152 = 159).
	 */
	s = repeat("a", 152, "\xe2\x82\xac" "bbbbbbbbbb");
	assert_int_equal(encode(M, s, NULL, p), 2);
	decode(p[0].hex, &ps);
	assert_int_equal(ps.nseptets, 152);
	assert_memory_equal(p[0].hex + 28, "9F", 2);	/* UDL 159 */
	pdu_submit_free(&ps);
	decode(p[1].hex, &ps);
	assert_int_equal(ps.nseptets, 12);
	assert_int_equal(ps.septets[0], 0x1b);
	assert_int_equal(ps.septets[1], 0x65);
	assert_string_equal(ps.text, "\xe2\x82\xac" "bbbbbbbbbb");
	pdu_submit_free(&ps);
	free(s);

	/* 151 'a' then €: it ends part 1 exactly at 153. */
	s = repeat("a", 151, "\xe2\x82\xac" "bbbbbbbbbb");
	assert_int_equal(encode(M, s, NULL, p), 2);
	decode(p[0].hex, &ps);
	assert_int_equal(ps.nseptets, 153);
	pdu_submit_free(&ps);
	free(s);

	/* Non-ASCII GSM characters: £ is septet 01, Δ 10, é 05. */
	encode(M, "\xc2\xa3\xce\x94\xc3\xa9", NULL, p);
	decode(p[0].hex, &ps);
	assert_int_equal(ps.coding, PDU_GSM7);
	assert_memory_equal(ps.septets, "\x01\x10\x05", 3);
	assert_string_equal(ps.text, "\xc2\xa3\xce\x94\xc3\xa9");
	pdu_submit_free(&ps);

	/* LF and CR are GSM (0A, 0D); a lone ESC decodes as a space and
	 * an escape the table lacks as the base character (23.038). */
	encode(M, "a\r\nb", NULL, p);
	decode(p[0].hex, &ps);
	assert_memory_equal(ps.septets, "a\x0d\x0a" "b", 4);
	assert_string_equal(ps.text, "a\r\nb");
	pdu_submit_free(&ps);
	/*
	 * Septets 1B 61 ("ESC a") and a trailing 1B: "a ".  1B | 61<<7 =
	 * 9B, 61>>1 | 1B<<6 = F0, 1B>>2 = 06.
	 */
	decode("0001000BA13108108300F0000003" "9BF006", &ps);
	assert_memory_equal(ps.septets, "\x1b\x61\x1b", 3);
	assert_string_equal(ps.text, "a ");
	pdu_submit_free(&ps);
}

static void
test_ucs2(void **state)
{
	struct pdu_part		p[PDU_MAX_PARTS];
	struct pdu_submit	ps;
	char			*s;

	/* 你好: U+4F60 U+597D big-endian, DCS 08, UDL 4 octets. */
	assert_int_equal(encode(M, "\xe4\xbd\xa0\xe5\xa5\xbd", NULL, p), 1);
	assert_string_equal(p[0].hex, "0001" "00" DA_INTL "0008044F60597D");
	assert_int_equal(p[0].tpdu_len, 18);
	decode(p[0].hex, &ps);
	assert_int_equal(ps.coding, PDU_UCS2);
	assert_string_equal(ps.text, "\xe4\xbd\xa0\xe5\xa5\xbd");
	assert_null(ps.septets);
	pdu_submit_free(&ps);

	/* One non-GSM character makes the whole text UCS-2: "a中". */
	encode(M, "a\xe4\xb8\xad", NULL, p);
	assert_string_equal(p[0].hex, "0001" "00" DA_INTL "000804"
	    "00614E2D");

	/* 70 units: one part, UDL 8C (140). */
	s = repeat("\xe4\xb8\xad", 70, "");
	assert_int_equal(encode(M, s, NULL, p), 1);
	assert_memory_equal(p[0].hex + 26, "088C4E2D", 8);
	free(s);

	/* 71: 67 + 4; UDL 6 + 134 = 140 (8C), 6 + 8 = 14 (0E). */
	s = repeat("\xe4\xb8\xad", 71, "");
	assert_int_equal(encode(M, s, NULL, p), 2);
	assert_memory_equal(p[0].hex, "0041" "00" DA_INTL "00088C"
	    "0500030002014E2D", 46);
	assert_string_equal(p[1].hex, "0041" "00" DA_INTL "00080E"
	    "050003000202" "4E2D4E2D4E2D4E2D");
	decode(p[0].hex, &ps);
	assert_true(ps.concat);
	assert_int_equal(ps.seq, 1);
	pdu_submit_free(&ps);
	free(s);

	/*
	 * 𠮷 U+20BB7 is D842 DFB7 (0x10BB7 >> 10 = 0x42, & 0x3FF = 0x3B7).
	 * After 66 units it would take units 67 and 68: it moves to part
	 * 2, part 1 ends at 66 units (UDL 6 + 132 = 138, 8A).
	 */
	s = repeat("\xe4\xb8\xad", 66, "\xf0\xa0\xae\xb7"
	    "\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad");
	assert_int_equal(encode(M, s, NULL, p), 2);
	assert_memory_equal(p[0].hex + 26, "088A", 4);
	/* Part 2: the pair and 3 units, 6 + 10 = 16 octets (10). */
	assert_string_equal(p[1].hex, "0041" "00" DA_INTL "000810"
	    "050003000202" "D842DFB74E2D4E2D4E2D");
	decode(p[1].hex, &ps);
	assert_string_equal(ps.text, "\xf0\xa0\xae\xb7\xe4\xb8\xad"
	    "\xe4\xb8\xad\xe4\xb8\xad");
	pdu_submit_free(&ps);
	free(s);

	/* 16-bit reference: 7-octet UDH, (140 - 7) / 2 = 66 units. */
	{
		struct pdu_opts	o;

		memset(&o, 0, sizeof o);
		o.ref16 = 1;
		o.ref = 0xbeef;
		s = repeat("\xe4\xb8\xad", 71, "");
		assert_int_equal(encode(M, s, &o, p), 2);
		/* UDL 7 + 132 = 139 (8B). */
		assert_memory_equal(p[0].hex, "0041" "00" DA_INTL "00088B"
		    "060804BEEF0201", 44);
		decode(p[1].hex, &ps);
		assert_int_equal(ps.ref, 0xbeef);
		/* 71 - 66: five left for part 2. */
		assert_string_equal(ps.text, "\xe4\xb8\xad\xe4\xb8\xad"
		    "\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad");
		pdu_submit_free(&ps);
		free(s);
	}
}

/*
 * Code points at the edges of the UTF-8 lengths and of the BMP, both
 * ways: UCS-2 units decoded to UTF-8, and UTF-8 encoded to units.
 */
static void
test_utf8_edges(void **state)
{
	/* U+007F U+0080 U+07FF U+0800 U+FFFF, U+10000 as D800 DC00. */
	static const char	*units = "007F008007FF0800FFFFD800DC00";
	static const char	*utf8 = "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80"
	    "\xef\xbf\xbf\xf0\x90\x80\x80";
	struct pdu_part		 p[PDU_MAX_PARTS];
	struct pdu_submit	 ps;
	char			 hex[128];

	snprintf(hex, sizeof hex, "0001" "00" DA_INTL "0008%02X%s",
	    (unsigned int)strlen(units) / 2, units);
	decode(hex, &ps);
	assert_string_equal(ps.text, utf8);
	pdu_submit_free(&ps);

	/* Encoding: U+FFFF is one unit, U+10000 a pair; U+07FF, U+0800. */
	encode(M, "\xef\xbf\xbf\xf0\x90\x80\x80\xdf\xbf\xe0\xa0\x80",
	    NULL, p);
	assert_string_equal(p[0].hex, "0001" "00" DA_INTL "00080A"
	    "FFFFD800DC0007FF0800");
	decode(p[0].hex, &ps);
	assert_string_equal(ps.text, "\xef\xbf\xbf\xf0\x90\x80\x80"
	    "\xdf\xbf\xe0\xa0\x80");
	pdu_submit_free(&ps);
}

/* The edges of the control characters refused. */
static void
test_control_edges(void **state)
{
	struct pdu_part	p[PDU_MAX_PARTS];

	encode_fails(M, "\x1f", NULL, PDU_MAX_PARTS, "control character "
	    "U+001F at byte 0");
	encode_fails(M, "ab\x7f", NULL, PDU_MAX_PARTS, "control character "
	    "U+007F at byte 2");
	encode_fails(M, "\xc2\x80", NULL, PDU_MAX_PARTS, "control character "
	    "U+0080");
	encode_fails(M, "\xc2\x9f", NULL, PDU_MAX_PARTS, "control character "
	    "U+009F");
	/*
	 * Space, tilde, line ends (GSM) and U+00A0 (UCS-2) go.  Septets
	 * 20, 1B 3D (~ is an extension character), 0A, 0D packed: A0 4D
	 * 4F D1 00.
	 */
	encode(M, " ~\n\r", NULL, p);
	assert_string_equal(p[0].hex, "0001" "00" DA_INTL "000005"
	    "A04D4FD100");
	encode(M, "\xc2\xa0", NULL, p);
	assert_string_equal(p[0].hex, "0001" "00" DA_INTL "00080200A0");
}

/* Decoding at the edges: hex case, SMSC forms, digit counts, UDH. */
static void
test_decode_edges(void **state)
{
	struct pdu_submit	 ps;
	struct pdu_part		 p[PDU_MAX_PARTS];
	char			 hex[256];

	/* Lower-case hex digits are hex digits. */
	decode("0001000ba13108108300f0001002e834", &ps);
	assert_string_equal(ps.number, "13800138000");
	assert_string_equal(ps.text, "hi");
	pdu_submit_free(&ps);
	decode_fails("g001000BA13108108300F0000002E834", "bad hex digit at 0");
	decode_fails("0001000BA13108108300F0000002E83x", "bad hex digit at 31");

	/* An SMSC of 8 octets: TOA 91, +8613800571500. */
	decode("0891683108501705F0" "01000BA13108108300F0000002E834", &ps);
	assert_string_equal(ps.smsc, "+8613800571500");
	assert_string_equal(ps.text, "hi");
	pdu_submit_free(&ps);
	/* An SMSC length of 0x10 is more than the PDU holds. */
	decode_fails("1001000BA13108108300F0000002E834", "truncated in SMSC");
	/* A TOA and no digits says nothing; a plain TOA has no '+'. */
	decode("0191" "01000BA13108108300F0000002E834", &ps);
	assert_string_equal(ps.smsc, "");
	assert_string_equal(ps.text, "hi");
	pdu_submit_free(&ps);
	decode("07813108501705F0" "01000BA13108108300F0000002E834", &ps);
	assert_string_equal(ps.smsc, "13800571500");
	pdu_submit_free(&ps);

	/* Truncated just after the TP-DA length, and in its digits. */
	decode_fails("0001", "PDU truncated in TP-MR");
	decode_fails("000100", "PDU truncated in TP-DA");
	decode_fails("0001000B", "PDU truncated in TP-DA");
	decode_fails("0001000BA1310810", "PDU truncated in TP-DA");

	/* An even number of digits: no filler; 20 digits, not 21. */
	encode("+861380013800", "hi", NULL, p);
	decode(p[0].hex, &ps);
	assert_string_equal(ps.number, "+861380013800");
	pdu_submit_free(&ps);
	encode("+12345678901234567890", "hi", NULL, p);
	decode(p[0].hex, &ps);
	assert_string_equal(ps.number, "+12345678901234567890");
	pdu_submit_free(&ps);
	snprintf(hex, sizeof hex, "0001" "00" "1591" "2143658709214365870921"
	    "0000" "02E834");
	decode_fails(hex, "TP-DA longer than 20 digits");

	/* DCS 11: class 1 without compression, GSM. */
	decode("0001000BA13108108300F0001102E834", &ps);
	assert_string_equal(ps.text, "hi");
	pdu_submit_free(&ps);

	/*
	 * UDH 07: concatenation 00 03 55 02 01, then an empty element 70
	 * at the very end; UCS-2 "M".  One byte short, or one octet left
	 * for a whole element, is an error.
	 */
	decode("0041000BA13108108300F00008" "0A" "07" "0003550201" "7000"
	    "004D", &ps);
	assert_int_equal(ps.ref, 0x55);
	assert_int_equal(ps.seq, 1);
	assert_string_equal(ps.text, "M");
	pdu_submit_free(&ps);
	decode_fails("0041000BA13108108300F00008" "0A" "07" "0003550201"
	    "7001" "004D", "longer than the UDH");
	decode_fails("0041000BA13108108300F00008" "09" "06" "0003550201"
	    "70" "004D", "UDH truncated in an element");
}

/* UCS-2 text of n octets (hex ud) decoded to want. */
static void
ucs2_is(const char *ud, const char *want)
{
	struct pdu_submit	 ps;
	char			 hex[128];

	snprintf(hex, sizeof hex, "0001000BA13108108300F00008%02X%s",
	    (unsigned int)strlen(ud) / 2, ud);
	decode(hex, &ps);
	if (strcmp(ps.text, want) != 0)
		fail_msg("%s: got \"%s\"", ud, ps.text);
	pdu_submit_free(&ps);
}

/* Surrogates at their edges, odd lengths, concatenation numbers. */
static void
test_ucs2_edges(void **state)
{
	struct pdu_part		 p[PDU_MAX_PARTS];
	struct pdu_submit	 ps;
	struct pdu_opts		 o;
	char			*s;

	decode_fails("0001000BA13108108300F0000803004D00", "odd number of "
	    "UCS-2 octets");
	ucs2_is("D7FF", "\xed\x9f\xbf");		/* not a surrogate */
	ucs2_is("E000", "\xee\x80\x80");
	ucs2_is("D800", "\xef\xbf\xbd");		/* high, at the end */
	ucs2_is("DBFF0041", "\xef\xbf\xbd" "A");	/* high, not low */
	ucs2_is("D800DBFF", "\xef\xbf\xbd\xef\xbf\xbd");
	ucs2_is("DC00", "\xef\xbf\xbd");		/* low alone */
	ucs2_is("DFFF", "\xef\xbf\xbd");
	ucs2_is("D800E000", "\xef\xbf\xbd\xee\x80\x80");
	ucs2_is("D800DC00", "\xf0\x90\x80\x80");	/* U+10000 */
	ucs2_is("DBFFDFFF", "\xf4\x8f\xbf\xbf");	/* U+10FFFF */
	ucs2_is("DBFFDC00", "\xf4\x8f\xb0\x80");	/* U+10FC00 */
	ucs2_is("D800DFFF", "\xf0\x90\x8f\xbf");	/* U+103FF */

	/* 16-bit references: part 1 of 2 says 2 parts, part 1. */
	memset(&o, 0, sizeof o);
	o.ref16 = 1;
	o.ref = 0x1234;
	s = repeat("a", 200, "");
	assert_int_equal(encode(M, s, &o, p), 2);
	decode(p[0].hex, &ps);
	assert_true(ps.concat);
	assert_int_equal(ps.ref, 0x1234);
	assert_int_equal(ps.total, 2);
	assert_int_equal(ps.seq, 1);
	pdu_submit_free(&ps);
	free(s);

	/* Concatenation numbers: 1 of 1 is kept; 0, or past the count,
	 * is no concatenation at all. */
	decode("0041000BA13108108300F00008" "08" "05" "0003550101" "004D", &ps);
	assert_true(ps.concat);
	assert_int_equal(ps.ref, 0x55);
	assert_int_equal(ps.total, 1);
	assert_int_equal(ps.seq, 1);
	pdu_submit_free(&ps);
	decode("0041000BA13108108300F00008" "08" "05" "0003550303" "004D", &ps);
	assert_true(ps.concat);
	assert_int_equal(ps.seq, 3);
	pdu_submit_free(&ps);
	decode("0041000BA13108108300F00008" "08" "05" "0003550001" "004D", &ps);
	assert_false(ps.concat);
	assert_int_equal(ps.ref, 0);
	assert_int_equal(ps.total, 0);
	assert_int_equal(ps.seq, 0);
	pdu_submit_free(&ps);
	decode("0041000BA13108108300F00008" "08" "05" "0003550200" "004D", &ps);
	assert_false(ps.concat);
	assert_int_equal(ps.ref, 0);
	pdu_submit_free(&ps);
	decode("0041000BA13108108300F00008" "08" "05" "0003550203" "004D", &ps);
	assert_false(ps.concat);
	assert_int_equal(ps.total, 0);
	assert_int_equal(ps.seq, 0);
	assert_string_equal(ps.text, "M");
	pdu_submit_free(&ps);

	/* A UDH filling the user data exactly, an empty one, one too long. */
	decode("0041000BA13108108300F00008" "06" "05" "0003550201", &ps);
	assert_true(ps.concat);
	assert_string_equal(ps.text, "");
	pdu_submit_free(&ps);
	decode("0041000BA13108108300F00008" "03" "00" "004D", &ps);
	assert_false(ps.concat);
	assert_string_equal(ps.text, "M");
	pdu_submit_free(&ps);
	decode("0041000BA13108108300F00008" "01" "00", &ps);
	assert_string_equal(ps.text, "");
	pdu_submit_free(&ps);
	decode_fails("0041000BA13108108300F00008" "06" "06" "0003550201",
	    "UDH longer than the user data");
	decode_fails("0041000BA13108108300F00008" "00", "UDH longer than the "
	    "user data");
}

/* What the third run of tests/mutate.sh showed no test looked at. */
static void
test_decode_more(void **state)
{
	struct pdu_submit	 ps;
	struct pdu_status	 st;
	struct pdu_part		*many;
	char			*hex, *s, *cause = NULL;
	size_t			 n;

	/* TP-MR is kept; the TP-MTI of what is not a submit is named. */
	decode("00012A0BA13108108300F0000002E834", &ps);
	assert_int_equal(ps.mr, 0x2a);
	pdu_submit_free(&ps);
	decode_fails("00062A0BA13108108300F0000002E834",
	    "not an SMS-SUBMIT (TP-MTI 2)");
	/* An alphanumeric address, whatever its numbering plan. */
	decode_fails("0001000BD13108108300F0000002E834", "alphanumeric TP-DA");
	decode_fails("0001000BD03108108300F0000002E834", "alphanumeric TP-DA");
	/* DCS C0 and D0: message waiting groups, GSM 7-bit. */
	decode("0001000BA13108108300F000C002E834", &ps);
	assert_string_equal(ps.text, "hi");
	pdu_submit_free(&ps);
	decode("0001000BA13108108300F000D002E834", &ps);
	assert_int_equal(ps.coding, PDU_GSM7);
	pdu_submit_free(&ps);
	/* GSM: a UDH and no text at all; no UD at all. */
	decode("0041000BA13108108300F00000" "07" "05000355020100", &ps);
	assert_true(ps.concat);
	assert_string_equal(ps.text, "");
	assert_int_equal(ps.nseptets, 0);
	pdu_submit_free(&ps);
	decode("0001000BA13108108300F0000000", &ps);
	assert_string_equal(ps.text, "");
	pdu_submit_free(&ps);
	/* Not a high surrogate just below; not a low one just above. */
	ucs2_is("D7FFDC00", "\xed\x9f\xbf\xef\xbf\xbd");
	ucs2_is("DC00DC00", "\xef\xbf\xbd\xef\xbf\xbd");
	/* The longest hex the decoder takes is read, not refused. */
	hex = repeat("00", 256 - 16, "");
	s = xmalloc(strlen(hex) + 64);
	snprintf(s, strlen(hex) + 64, "0001000BA13108108300F0000002E834%s",
	    hex);
	decode_fails(s, "240 octets after the user data");
	free(s);
	free(hex);
	hex = repeat("00", 257, "");
	decode_fails(hex, "PDU longer than 256 octets");
	free(hex);

	/* A caller's limit under 255 parts is the limit. */
	many = xcalloc(254, sizeof *many);
	s = repeat("a", 254 * 153 + 1, "");
	encode_fails(M, s, NULL, 254, "text needs 255 parts, more than 254");
	free(s);
	s = repeat("a", 254 * 153, "");
	assert_int_equal(pdu_encode_submit(M, s, &(struct pdu_opts){ 0 },
	    many, 254, &n, &cause), 0);
	assert_int_equal(n, 254);
	free(s);
	free(many);

	/* Reports: a bad SMSC, a report cut in its recipient. */
	memset(&st, 0, sizeof st);
	strlcpy(st.recipient, M, sizeof st.recipient);
	st.scts = st.dt = 1709267696;
	s = xmalloc(PDU_HEX_MAX);
	assert_int_equal(pdu_encode_status(&st, "x", s, PDU_HEX_MAX, NULL,
	    &cause), -1);
	assert_non_null(cause);
	free(cause);
	free(s);
	assert_int_equal(pdu_decode_status("00062A0D91", &st, &cause), -1);
	assert_string_equal(cause, "PDU truncated in TP-RA");
	free(cause);

	/* The canonical side of a match is 11 digits, 9 among them. */
	assert_true(pdu_number_match("13900139999", "+8613900139999"));
	assert_false(pdu_number_match("a3800138000", "a3800138000"));
	assert_false(pdu_number_match("1380013800a", "1380013800a"));
}

/* Parts filled to the last septet, and the limits on their number. */
static void
test_part_edges(void **state)
{
	struct pdu_part		 two[2], *many;
	struct pdu_submit	 ps;
	struct pdu_opts		 o;
	size_t			 n = 0;
	char			*s, *cause = NULL;

	/* 306 septets: two full parts of 153 (UDL A0 with the UDH). */
	s = repeat("a", 306, "");
	memset(&o, 0, sizeof o);
	assert_int_equal(pdu_encode_submit(M, s, &o, two, 2, &n, &cause), 0);
	assert_int_equal(n, 2);
	decode(two[1].hex, &ps);
	assert_int_equal(ps.total, 2);
	assert_int_equal(ps.seq, 2);
	assert_int_equal(strlen(ps.text), 153);
	pdu_submit_free(&ps);
	free(s);
	/* One more septet needs a third part. */
	s = repeat("a", 307, "");
	encode_fails(M, s, NULL, 2, "text needs 3 parts, more than 2");
	free(s);

	/* Never more than 255 parts, however many the caller allows. */
	many = xcalloc(300, sizeof *many);
	s = repeat("a", 255 * 153, "");
	assert_int_equal(pdu_encode_submit(M, s, &o, many, 300, &n, &cause),
	    0);
	assert_int_equal(n, 255);
	decode(many[254].hex, &ps);
	assert_int_equal(ps.total, 255);
	assert_int_equal(ps.seq, 255);
	pdu_submit_free(&ps);
	free(s);
	s = repeat("a", 255 * 153 + 1, "");
	encode_fails(M, s, NULL, 300, "text needs 256 parts, more than 255");
	free(s);
	free(many);
}

/* The SMSC given to the encoder: international or not. */
static void
test_encode_smsc(void **state)
{
	struct pdu_part	p[PDU_MAX_PARTS];
	struct pdu_opts	o;

	memset(&o, 0, sizeof o);
	o.smsc = "+8613800571500";
	encode(M, "hi", &o, p);
	assert_string_equal(p[0].hex, "0891683108501705F0" "0100"
	    DA_INTL "000002E834");
	o.smsc = "13800571500";
	encode(M, "hi", &o, p);
	assert_string_equal(p[0].hex, "07813108501705F0" "0100"
	    DA_INTL "000002E834");
}

static void
test_bad_text(void **state)
{
	struct pdu_part	p[PDU_MAX_PARTS];

	encode_fails(M, "a\xff", NULL, PDU_MAX_PARTS, "invalid UTF-8");
	encode_fails(M, "\xc0\xaf", NULL, PDU_MAX_PARTS, "invalid UTF-8");
	encode_fails(M, "\xed\xa0\x80", NULL, PDU_MAX_PARTS, "invalid UTF-8");
	encode_fails(M, "\xe4\xb8", NULL, PDU_MAX_PARTS, "invalid UTF-8");
	encode_fails(M, "a\tb", NULL, PDU_MAX_PARTS, "control character "
	    "U+0009");
	encode_fails(M, "a\x1b", NULL, PDU_MAX_PARTS, "control character");
	encode_fails(M, "\x0c", NULL, PDU_MAX_PARTS, "control character");
	encode_fails(M, "\xc2\x85", NULL, PDU_MAX_PARTS, "control character");
	/* The empty text is one empty SMS. */
	assert_int_equal(encode(M, "", NULL, p), 1);
	assert_string_equal(p[0].hex, "0001" "00" DA_INTL "000000");
}

static void
test_decode_dcs(void **state)
{
	struct pdu_submit	ps;

	/* DCS 04: 8-bit data, given back as hex. */
	decode("0001000BA13108108300F0000403DEAD01", &ps);
	assert_int_equal(ps.coding, PDU_8BIT);
	assert_string_equal(ps.text, "DEAD01");
	pdu_submit_free(&ps);
	/* DCS 10: general group, class 0, GSM 7-bit; 18: class 0 UCS-2. */
	decode("0001000BA13108108300F0001002E834", &ps);
	assert_string_equal(ps.text, "hi");
	pdu_submit_free(&ps);
	decode("0001000BA13108108300F00018024E2D", &ps);
	assert_string_equal(ps.text, "\xe4\xb8\xad");
	pdu_submit_free(&ps);
	/* F1: data coding/message class group, GSM, class 1; F4 8-bit. */
	decode("0001000BA13108108300F000F102E834", &ps);
	assert_string_equal(ps.text, "hi");
	pdu_submit_free(&ps);
	decode("0001000BA13108108300F000F40101", &ps);
	assert_int_equal(ps.coding, PDU_8BIT);
	pdu_submit_free(&ps);
	/* 4x: marked for automatic deletion, same bits as 0x. */
	decode("0001000BA13108108300F0004802004D", &ps);
	assert_string_equal(ps.text, "M");
	pdu_submit_free(&ps);
	/* E0: message waiting, store, UCS-2. */
	decode("0001000BA13108108300F000E002004D", &ps);
	assert_string_equal(ps.text, "M");
	pdu_submit_free(&ps);
	/* Compressed (bit 5), reserved alphabet 11, reserved groups. */
	decode_fails("0001000BA13108108300F0002002E834", "compressed");
	decode_fails("0001000BA13108108300F0000C02E834", "reserved DCS");
	decode_fails("0001000BA13108108300F0008002E834", "reserved DCS");

	/* A lone high surrogate and U+0000 become U+FFFD. */
	decode("0001000BA13108108300F0000804D8000000", &ps);
	assert_string_equal(ps.text, "\xef\xbf\xbd\xef\xbf\xbd");
	pdu_submit_free(&ps);

	/* Enhanced and absolute VP (VPF 01, 11) are 7 octets, skipped. */
	decode("0009000BA13108108300F00000" "01020304050607" "02E834", &ps);
	assert_int_equal(ps.vpf, 1);
	assert_string_equal(ps.text, "hi");
	pdu_submit_free(&ps);
	decode("0019000BA13108108300F00000" "42301021436523" "02E834", &ps);
	assert_int_equal(ps.vpf, 3);
	pdu_submit_free(&ps);
}

static void
test_decode_udh(void **state)
{
	struct pdu_submit	ps;

	/*
	 * Other elements are skipped: UDH 0A, 0A 03 xx xx xx (text
	 * formatting), 00 03 55 03 02: ref 0x55, part 2 of 3; 11
	 * octets = 88 bits, 3 fill bits to septet 13; UDL 14, one 'A'
	 * (41) at bit 91: octet 11 = 41 << 3 = 08, octet 12 = 41 >> 5.
	 */
	decode("0041000BA13108108300F000000E"
	    "0A" "0A03000000" "0003550302" "0802", &ps);
	assert_true(ps.concat);
	assert_int_equal(ps.ref, 0x55);
	assert_int_equal(ps.total, 3);
	assert_int_equal(ps.seq, 2);
	assert_string_equal(ps.text, "A");
	pdu_submit_free(&ps);

	/* Part 0, or part 4 of 3, is no concatenation (9.2.3.24.1). */
	decode("0041000BA13108108300F00008080500035503004E2D", &ps);
	assert_false(ps.concat);
	assert_string_equal(ps.text, "\xe4\xb8\xad");
	pdu_submit_free(&ps);
	decode("0041000BA13108108300F00008080500035503044E2D", &ps);
	assert_false(ps.concat);
	pdu_submit_free(&ps);

	/* UDHL past the user data, an element past the UDH. */
	decode_fails("0041000BA13108108300F000080405000355", "UDH longer");
	decode_fails("0041000BA13108108300F0000804030004AA", "longer than "
	    "the UDH");
	decode_fails("0041000BA13108108300F00008050400020102", "concatenation "
	    "element 00 of length 2");
	/* GSM: UDHL 5 (6 octets, 7 septets) with UDL 6 septets. */
	decode_fails("0041000BA13108108300F0000006050003550302",
	    "UDH longer");
	decode_fails("0041000BA13108108300F0000003010000", "UDH truncated");
	decode_fails("0041000BA13108108300F0000000", "UDH longer");
}

static void
test_decode_bad(void **state)
{
	decode_fails("", "empty");
	decode_fails("0", "odd number");
	decode_fails("0001000BA13108108300F0000002E83", "odd number");
	decode_fails("0001000BA13108108300F0000002E8G4", "bad hex digit");
	decode_fails("0001000BA13108108300F0000002E8 4", "bad hex digit");
	decode_fails("00", "truncated in first octet");
	decode_fails("0801", "truncated in SMSC");
	decode_fails("0001", "truncated in TP-MR");
	decode_fails("000100", "truncated in TP-DA");
	decode_fails("0001000BA1310810", "truncated in TP-DA");
	decode_fails("0001000BA13108108300F0", "truncated in TP-PID");
	decode_fails("0001000BA13108108300F00000", "truncated in TP-UDL");
	decode_fails("0011000BA13108108300F000000002E8", "TP-UDL says");
	/* UDL 3 septets need 3 octets. */
	decode_fails("0001000BA13108108300F0000003E834", "TP-UDL says");
	decode_fails("0001000BA13108108300F00000A1E834", "more than 160");
	decode_fails("0001000BA13108108300F000088D4E2D", "more than 140");
	decode_fails("0001000BA13108108300F0000002E83400", "after the user");
	decode_fails("0001000BA13108108300F00008034E2D00", "odd number of "
	    "UCS-2");
	/* 21 digits; F in the middle; alphanumeric TON 5. */
	decode_fails("000100159131080810830000F01111110000", "longer than 20");
	decode_fails("0001000BA131F8108300F0000002E834", "filler");
	decode_fails("0001000BD03108108300F0000002E834", "alphanumeric");
	decode_fails("0002000BA13108108300F0000002E834", "not an SMS-SUBMIT");
	decode_fails("00FF", "not an SMS-SUBMIT");
	{
		char	*s = repeat("00", PDU_HEX_MAX, "");

		decode_fails(s, "PDU longer");
		free(s);
	}
}

static void
test_status(void **state)
{
	struct pdu_status	st, back;
	char			hex[PDU_HEX_MAX], *cause = NULL;
	size_t			tl;

	memset(&st, 0, sizeof st);
	st.mr = 0x2a;
	strlcpy(st.recipient, "+8613800138000", sizeof st.recipient);
	st.scts = 1709267696;	/* 2024-03-01 04:34:56 UTC */
	st.dt = 1709267710;	/* 14 s later */
	st.status = 0x00;
	/*
	 * 00 SMSC; 06: TP-MTI 10 with TP-MMS 1 (no more messages), SRQ 0;
	 * MR 2A; RA 0D 91 ...; SCTS 12:34:56 in UTC+8 on 24-03-01: 42 30
	 * 10 21 43 65, zone +32 quarters: 23; DT ends 21 53 01 23; ST 00.
	 */
	assert_int_equal(pdu_encode_status(&st, NULL, hex, sizeof hex, &tl,
	    &cause), 0);
	assert_string_equal(hex, "00062A" DA_INTL "42301021436523"
	    "42301021530123" "00");
	assert_int_equal(tl, 1 + 1 + 9 + 7 + 7 + 1);
	assert_int_equal(pdu_decode_status(hex, &back, &cause), 0);
	assert_int_equal(back.mr, 0x2a);
	assert_string_equal(back.recipient, "+8613800138000");
	assert_int_equal(back.scts, st.scts);
	assert_int_equal(back.dt, st.dt);
	assert_int_equal(back.status, 0);

	/* Round trips of the other statuses, with an SMSC and national. */
	strlcpy(st.recipient, M, sizeof st.recipient);
	st.status = 0x20;
	assert_int_equal(pdu_encode_status(&st, "+8613800571500", hex,
	    sizeof hex, &tl, &cause), 0);
	assert_memory_equal(hex, "0891683108501705F0062A0B81", 26);
	assert_int_equal(tl, 1 + 1 + 8 + 7 + 7 + 1);
	assert_int_equal(pdu_decode_status(hex, &back, &cause), 0);
	assert_string_equal(back.recipient, M);
	assert_int_equal(back.status, 0x20);
	st.status = 0x41;
	assert_int_equal(pdu_encode_status(&st, NULL, hex, sizeof hex, &tl,
	    &cause), 0);
	assert_int_equal(pdu_decode_status(hex, &back, &cause), 0);
	assert_int_equal(back.status, 0x41);
	assert_int_equal(back.scts, st.scts);

	/* Leap day and the end of a year. */
	st.scts = 1709164800;	/* 2024-02-29 00:00:00 UTC */
	st.dt = 1735660799;	/* 2024-12-31 15:59:59 UTC = 23:59:59 +8 */
	assert_int_equal(pdu_encode_status(&st, NULL, hex, sizeof hex, &tl,
	    &cause), 0);
	assert_memory_equal(hex + 22, "42209280000023" "42211332959523",
	    28);
	assert_int_equal(pdu_decode_status(hex, &back, &cause), 0);
	assert_int_equal(back.scts, st.scts);
	assert_int_equal(back.dt, st.dt);

	/* Too small a buffer, a bad recipient, a year before 2000. */
	assert_int_equal(pdu_encode_status(&st, NULL, hex, 10, &tl, &cause),
	    -1);
	free(cause);
	strlcpy(st.recipient, "x", sizeof st.recipient);
	assert_int_equal(pdu_encode_status(&st, NULL, hex, sizeof hex, &tl,
	    &cause), -1);
	free(cause);
	strlcpy(st.recipient, M, sizeof st.recipient);
	st.scts = 0;
	assert_int_equal(pdu_encode_status(&st, NULL, hex, sizeof hex, &tl,
	    &cause), -1);
	assert_string_equal(cause, "TP-SCTS outside 2000-2099");
	free(cause);
}

/* Encode a report at t (both times), check its SCTS and the way back. */
static void
status_at(time_t t, const char *want)
{
	struct pdu_status	st, back;
	char			hex[PDU_HEX_MAX], *cause = NULL;

	memset(&st, 0, sizeof st);
	st.mr = 1;
	strlcpy(st.recipient, "+8613800138000", sizeof st.recipient);
	st.scts = st.dt = t;
	if (pdu_encode_status(&st, NULL, hex, sizeof hex, NULL, &cause) != 0)
		fail_msg("%lld: %s", (long long)t, cause);
	if (strncmp(hex + 24, want, 14) != 0)
		fail_msg("%lld: SCTS %.14s, want %s", (long long)t, hex + 24,
		    want);
	memset(&back, 0xff, sizeof back);
	assert_int_equal(pdu_decode_status(hex, &back, &cause), 0);
	assert_int_equal(back.scts, t);
	assert_int_equal(back.dt, t);
	assert_int_equal(back.mr, 1);
	assert_int_equal(back.status, 0);
	assert_string_equal(back.recipient, "+8613800138000");
}

/* A report whose SCTS is scts decodes to t, or fails (t == -1). */
static void
status_scts_is(const char *scts, time_t t)
{
	struct pdu_status	st;
	char			hex[PDU_HEX_MAX], *cause = NULL;

	snprintf(hex, sizeof hex, "00062A" DA_INTL "%s" "42301021436523" "00",
	    scts);
	if (t == -1) {
		assert_int_equal(pdu_decode_status(hex, &st, &cause), -1);
		assert_string_equal(cause, "bad TP-SCTS");
		free(cause);
		return;
	}
	assert_int_equal(pdu_decode_status(hex, &st, &cause), 0);
	assert_int_equal(st.scts, t);
}

/* The calendar's edges, the zone, and the limits of a report. */
static void
test_status_edges(void **state)
{
	struct pdu_status	 st;
	struct pdu_submit	 ps;
	char			 hex[PDU_HEX_MAX], *cause = NULL;

	status_at(946656000, "00101000000023");		/* 2000-01-01 00:00 +8 */
	status_at(978278400, "10101000000023");		/* 2001-01-01 */
	status_at(951796800, "00209221000023");		/* 2000-02-29 12:00 */
	status_at(1078027200, "40209221000023");	/* 2004-02-29 */
	status_at(1582948800, "02209221000023");	/* 2020-02-29 */
	status_at(4102416000 - 1, "99211332959523");	/* 2099-12-31 23:59:59 */

	memset(&st, 0, sizeof st);
	strlcpy(st.recipient, "+8613800138000", sizeof st.recipient);
	st.scts = 946656000 - 1;
	st.dt = 946656000;
	assert_int_equal(pdu_encode_status(&st, NULL, hex, sizeof hex, NULL,
	    &cause), -1);
	assert_string_equal(cause, "TP-SCTS outside 2000-2099");
	free(cause);
	st.scts = 4102416000 - 1;
	st.dt = 4102416000;
	assert_int_equal(pdu_encode_status(&st, NULL, hex, sizeof hex, NULL,
	    &cause), -1);
	assert_string_equal(cause, "TP-DT outside 2000-2099");
	free(cause);

	/* TP-MR and TP-ST are octets. */
	st.dt = st.scts;
	st.mr = 255;
	st.status = 255;
	assert_int_equal(pdu_encode_status(&st, NULL, hex, sizeof hex, NULL,
	    &cause), 0);
	st.mr = 256;
	assert_int_equal(pdu_encode_status(&st, NULL, hex, sizeof hex, NULL,
	    &cause), -1);
	assert_string_equal(cause, "TP-MR or TP-ST past 255");
	free(cause);
	st.mr = 255;
	st.status = 256;
	assert_int_equal(pdu_encode_status(&st, NULL, hex, sizeof hex, NULL,
	    &cause), -1);
	assert_string_equal(cause, "TP-MR or TP-ST past 255");
	free(cause);
	/* 27 octets: 55 bytes of hex with the NUL, not one less. */
	st.status = 0;
	assert_int_equal(pdu_encode_status(&st, NULL, hex, 55, NULL, &cause),
	    0);
	assert_int_equal(strlen(hex), 54);
	assert_int_equal(pdu_encode_status(&st, NULL, hex, 54, NULL, &cause),
	    -1);
	assert_string_equal(cause, "hex buffer too small");
	free(cause);

	/* Leap days that are not, digits that are not, zones. */
	status_scts_is("30209221000023", -1);		/* 2003-02-29 */
	status_scts_is("00209221000023", 951796800);	/* 2000-02-29 */
	status_scts_is("0A101000000023", -1);		/* month 0xA0 */
	status_scts_is("00A01000000023", -1);
	status_scts_is("001010000000A3", -1);		/* zone 0x3A */
	status_scts_is("42301021436591", 1709267696 + 11700);	/* +4:45 */
	status_scts_is("4230102143652B", 1709267696 + 16 * 3600); /* -8:00 */

	/* Truncation where each field starts; not a report. */
	assert_int_equal(pdu_decode_status("0006", &st, &cause), -1);
	assert_string_equal(cause, "PDU truncated in TP-MR");
	free(cause);
	snprintf(hex, sizeof hex, "00032A" DA_INTL "42301021436523"
	    "42301021436523" "00");
	assert_int_equal(pdu_decode_status(hex, &st, &cause), -1);
	assert_string_equal(cause, "not an SMS-STATUS-REPORT (TP-MTI 3)");
	free(cause);
	decode_fails("0001000BA13108108300F000", "PDU truncated in TP-DCS");
	decode_fails("0011000BA13108108300F00000", "PDU truncated in TP-VP");

	/* Freeing a decoded SMS-SUBMIT leaves nothing behind. */
	decode("0001000BA13108108300F0000002E834", &ps);
	assert_non_null(ps.septets);
	pdu_submit_free(&ps);
	assert_null(ps.text);
	assert_null(ps.septets);
	assert_int_equal(ps.nseptets, 0);
}

static void
test_status_decode(void **state)
{
	struct pdu_status	st;
	char			*cause = NULL;

	/*
	 * As a modem gives it in +CDS: SMSC +27381000015, first octet 06,
	 * MR 2A, RA +46708251358, SCTS 23-01-12 08:00:00 zone 8A: sign bit
	 * 8 set, tens 2 (low nibble & 7), units 8: -28 quarters = -7 h,
	 * so 15:00:00 UTC; DT 5 s later; ST 41; then a TP-PI 00, ignored.
	 */
	assert_int_equal(pdu_decode_status("07917283010010F5" "062A"
	    "0B916407281553F8" "3210218000008A" "3210218000508A" "41" "00",
	    &st, &cause), 0);
	assert_int_equal(st.mr, 0x2a);
	assert_string_equal(st.recipient, "+46708251358");
	assert_int_equal(st.scts, 1673535600);
	assert_int_equal(st.dt, 1673535605);
	assert_int_equal(st.status, 0x41);

	/* Broken ones. */
	assert_int_equal(pdu_decode_status("00062A0B916407281553F8"
	    "32102180000000", &st, &cause), -1);
	assert_non_null(strstr(cause, "truncated in TP-DT"));
	free(cause);
	/* Month 13. */
	assert_int_equal(pdu_decode_status("00062A0B916407281553F8"
	    "32312180000000" "32102180000000" "00", &st, &cause), -1);
	assert_string_equal(cause, "bad TP-SCTS");
	free(cause);
	/* February 30th; a nibble past 9. */
	assert_int_equal(pdu_decode_status("00062A0B916407281553F8"
	    "32200380000000" "32102180000000" "00", &st, &cause), -1);
	free(cause);
	assert_int_equal(pdu_decode_status("00062A0B916407281553F8"
	    "32102180000000" "321021800000A0" "00", &st, &cause), -1);
	assert_string_equal(cause, "bad TP-DT");
	free(cause);
	assert_int_equal(pdu_decode_status("00062A0B916407281553F8"
	    "32102180000000" "32102180000000", &st, &cause), -1);
	assert_non_null(strstr(cause, "TP-ST"));
	free(cause);
	/* An SMS-SUBMIT is not a report. */
	assert_int_equal(pdu_decode_status("0001000BA13108108300F0000002E834",
	    &st, &cause), -1);
	assert_non_null(strstr(cause, "not an SMS-STATUS-REPORT"));
	free(cause);
}

static void
test_status_class(void **state)
{
	assert_int_equal(pdu_status_class(0x00), 0);	/* delivered */
	assert_int_equal(pdu_status_class(0x02), 0);	/* replaced */
	assert_int_equal(pdu_status_class(0x1f), 0);
	assert_int_equal(pdu_status_class(0x20), 1);	/* congestion */
	assert_int_equal(pdu_status_class(0x3f), 1);
	assert_int_equal(pdu_status_class(0x40), -1);	/* remote proc. */
	assert_int_equal(pdu_status_class(0x41), -1);	/* incompatible */
	assert_int_equal(pdu_status_class(0x62), -1);	/* gave up */
	assert_int_equal(pdu_status_class(0xff), -1);
}

static void
test_number_match(void **state)
{
	assert_true(pdu_number_match(M, "8613800138000"));
	assert_true(pdu_number_match(M, "+8613800138000"));
	assert_true(pdu_number_match(M, M));
	assert_true(pdu_number_match(M, "008613800138000"));
	assert_false(pdu_number_match(M, "13800138001"));
	assert_false(pdu_number_match(M, "+13800138000"));
	assert_false(pdu_number_match(M, "+8513800138000"));
	assert_false(pdu_number_match(M, "0013800138000"));
	assert_false(pdu_number_match(M, "86138001380000"));
	assert_false(pdu_number_match(M, ""));
	assert_false(pdu_number_match("", ""));
	assert_false(pdu_number_match("1380013800x", "1380013800x"));
}

/* Every part of many texts decodes back to its share of the text. */
static void
test_round_trip(void **state)
{
	static const char	*texts[] = {
		"a", "hello world", "\xe2\x82\xac",
		"\xe8\xaf\xb7\xe4\xba\x8e\xe4\xbb\x8a\xe6\x97\xa5",
		"ok \xf0\x9f\x98\x80", "{[~]}|^\\",
	};
	struct pdu_part		p[PDU_MAX_PARTS];
	struct pdu_opts		o;
	struct pdu_submit	ps;
	struct buf		b;
	size_t			i, k, n, rep;
	char			*s, *joined;

	memset(&o, 0, sizeof o);
	o.ref = 77;
	for (i = 0; i < nitems(texts); i++) {
		/* At most 223 * 16 septets: 24 parts. */
		for (rep = 1; rep < 250; rep += 37) {
			s = repeat(texts[i], rep, "");
			o.ref16 = rep % 2;
			n = encode(M, s, &o, p);
			buf_init(&b, 0);
			for (k = 0; k < n; k++) {
				decode(p[k].hex, &ps);
				assert_int_equal(ps.concat, n > 1);
				if (n > 1)
					assert_int_equal(ps.seq, k + 1);
				buf_adds(&b, ps.text);
				pdu_submit_free(&ps);
			}
			joined = buf_steal(&b);
			assert_string_equal(joined, s);
			free(joined);
			free(s);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_hellohello),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_vp_srr),
		cmocka_unit_test(test_gsm_long),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_ucs2),
		cmocka_unit_test(test_bad_text),
		cmocka_unit_test(test_utf8_edges),
		cmocka_unit_test(test_decode_edges),
		cmocka_unit_test(test_part_edges),
		cmocka_unit_test(test_ucs2_edges),
		cmocka_unit_test(test_status_edges),
		cmocka_unit_test(test_decode_more),
		cmocka_unit_test(test_encode_smsc),
		cmocka_unit_test(test_control_edges),
		cmocka_unit_test(test_decode_dcs),
		cmocka_unit_test(test_decode_udh),
		cmocka_unit_test(test_decode_bad),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_status_decode),
		cmocka_unit_test(test_status_class),
		cmocka_unit_test(test_number_match),
		cmocka_unit_test(test_round_trip),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
