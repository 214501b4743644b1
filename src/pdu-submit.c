/*
 * pdu-submit.c: SMS-SUBMIT PDUs (3GPP TS 23.040), text in the GSM 7-bit
 * default alphabet or UCS-2 (3GPP TS 23.038): encoding with
 * segmentation, and decoding (for the modem simulator and round trips).
 *
 * Encoding decisions:
 *  - Text is strict UTF-8.  Control characters are refused except LF
 *    and CR, which the GSM default alphabet has (0x0a, 0x0d) and which
 *    are plain units in UCS-2; form feed, although in the extension
 *    table, is refused like the other C0/C1 controls.
 *  - A number with a leading '+' is international (TOA 0x91).  Without
 *    it, PDU_NATIONAL sends the digits as they are (0xA1); for
 *    PDU_INTERNATIONAL a canonical 11-digit mobile number gets the
 *    country code 86 (0x91) and any other digit string (a short code
 *    such as 12345) goes out with an unknown type of number (0x81).
 *  - A validity period past 63 weeks is sent as 63 weeks, the longest
 *    a relative TP-VP can say.
 *
 * Decoding takes untrusted bytes (the modem simulator, the fuzzer): every
 * length is checked against the octets there are.  8-bit user data is
 * returned as text in upper-case hex, since it need not be text at all;
 * a lone UTF-16 surrogate or U+0000 in UCS-2 becomes U+FFFD.
 */
#include "compat.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "pdu.h"
#include "pdu-int.h"
#include "sms.h"
#include "utf8.h"
#include "xmalloc.h"

#define PDU_UD_MAX	140	/* TP-UD octets (23.040 9.2.3.16) */
#define PDU_GSM7_MAX	160	/* septets in 140 octets */
#define PDU_UCS2_MAX	70	/* UTF-16 units in 140 octets */
#define PDU_ESC		0x1b	/* the GSM escape to the extension table */

/* One character of the text as the septets or UTF-16 units it costs. */
struct pdu_char {
	unsigned int	cp;
	uint16_t	u[2];
	uint8_t		n;
};

/* What every part of one message shares. */
struct pdu_enc {
	char		 da[PDU_DIGITS_MAX + 1];
	int		 datoa;
	char		 sc[PDU_DIGITS_MAX + 1];
	int		 sctoa;		/* 0: no SMSC, "00" */
	int		 vp;		/* -1: no TP-VP */
	int		 srr;
	int		 gsm;
	int		 ref16;
	unsigned int	 ref;
	size_t		 total;
};

/*
 * The relative TP-VP octet for a validity in minutes, rounded up to the
 * next value it can say (23.040 9.2.3.12.1): 0-143 are 5-minute steps
 * up to 12 hours, 144-167 half hours up to 24 hours, 168-196 days up to
 * 30 days, 197-255 weeks up to 63 weeks.
 */
static int
pdu_vp_octet(long m)
{
	if (m <= 720)
		return ((int)((m + 4) / 5 - 1));
	if (m <= 1440)
		return ((int)(143 + (m - 720 + 29) / 30));
	if (m <= 30 * 1440)
		return ((int)(166 + (m + 1439) / 1440));
	if (m <= 63 * 10080)
		return ((int)(192 + (m + 10079) / 10080));
	return (255);
}

/* Append a code point as UTF-8. */
static void
pdu_put_utf8(struct buf *b, unsigned int cp)
{
	unsigned char	u[4];
	size_t		n;

	if (cp < 0x80) {
		u[0] = cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = 0xc0 | cp >> 6;
		u[1] = 0x80 | (cp & 0x3f);
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = 0xe0 | cp >> 12;
		u[1] = 0x80 | ((cp >> 6) & 0x3f);
		u[2] = 0x80 | (cp & 0x3f);
		n = 3;
	} else {
		u[0] = 0xf0 | cp >> 18;
		u[1] = 0x80 | ((cp >> 12) & 0x3f);
		u[2] = 0x80 | ((cp >> 6) & 0x3f);
		u[3] = 0x80 | (cp & 0x3f);
		n = 4;
	}
	buf_add(b, u, n);
}

/*
 * Split text into characters, each with the septets (when every
 * character is GSM) or UTF-16 units it costs.
 */
static int
pdu_chars(const char *text, struct pdu_char **out, size_t *nout, int *gsm,
    char **cause)
{
	const unsigned char	*s = (const unsigned char *)text;
	struct pdu_char		*c;
	size_t			 len = strlen(text), i = 0, n = 0, k;
	unsigned int		 cp;
	unsigned char		 sep;
	int			 esc;

	c = xreallocarray(NULL, len + 1, sizeof *c);
	*gsm = 1;
	while (i < len) {
		if ((k = utf8_decode(s + i, len - i, &cp)) == 0) {
			xasprintf(cause, "invalid UTF-8 at byte %zu", i);
			free(c);
			return (-1);
		}
		if ((cp < 0x20 && cp != '\n' && cp != '\r') ||
		    (cp >= 0x7f && cp <= 0x9f)) {
			xasprintf(cause, "control character U+%04X at byte %zu",
			    cp, i);
			free(c);
			return (-1);
		}
		if (*gsm && sms_gsm7_septet(cp, &sep, &esc) == -1)
			*gsm = 0;
		c[n++].cp = cp;
		i += k;
	}
	for (i = 0; i < n; i++) {
		cp = c[i].cp;
		if (*gsm) {
			(void)sms_gsm7_septet(cp, &sep, &esc);
			/* An extension character is ESC then its septet. */
			if (esc) {
				c[i].u[0] = PDU_ESC;
				c[i].u[1] = sep;
				c[i].n = 2;
			} else {
				c[i].u[0] = sep;
				c[i].n = 1;
			}
		} else if (cp > 0xffff) {
			/* Outside the BMP: a surrogate pair (UTF-16). */
			c[i].u[0] = 0xd800 | ((cp - 0x10000) >> 10);
			c[i].u[1] = 0xdc00 | ((cp - 0x10000) & 0x3ff);
			c[i].n = 2;
		} else {
			c[i].u[0] = cp;
			c[i].n = 1;
		}
	}
	*out = c;
	*nout = n;
	return (0);
}

/* The end of the part that starts at character start, filled greedily. */
static size_t
pdu_fill(const struct pdu_char *c, size_t n, size_t start, size_t cap)
{
	size_t	used = 0;

	while (start < n && used + c[start].n <= cap)
		used += c[start++].n;
	return (start);
}

/* Write a septet at bit position bit, least significant bit first. */
static void
pdu_put7(unsigned char *ud, size_t bit, unsigned int s)
{
	size_t	o = bit / 8, sh = bit % 8;

	ud[o] |= (unsigned char)(s << sh);
	if (sh > 1)
		ud[o + 1] |= (unsigned char)(s >> (8 - sh));
}

/* Build one SMS-SUBMIT part from n characters. */
static void
pdu_build(const struct pdu_enc *e, const struct pdu_char *c, size_t n,
    size_t seq, struct pdu_part *part)
{
	unsigned char	 o[12 + 164], *ud;
	size_t		 len = 0, smsclen, udhl = 0, udlpos, i, j, bit, k;
	unsigned int	 fo;

	memset(o, 0, sizeof o);
	/* SMSC: length 0 means the SIM's (27.005 3.3.1 / 24.011 8.2.5.1). */
	if (e->sctoa == 0)
		o[len++] = 0;
	else {
		k = pdu_semi(o + len + 2, e->sc);
		o[len] = (unsigned char)(1 + k);	/* TOA + digits */
		o[len + 1] = (unsigned char)e->sctoa;
		len += 2 + k;
	}
	smsclen = len;

	/*
	 * First octet (23.040 9.2.2.2): TP-MTI 01 SMS-SUBMIT, TP-RD 0,
	 * TP-VPF 10 relative (bits 4-3), TP-SRR bit 5, TP-UDHI bit 6,
	 * TP-RP 0.
	 */
	fo = 0x01;
	if (e->vp >= 0)
		fo |= 0x10;
	if (e->srr)
		fo |= 0x20;
	if (e->total > 1)
		fo |= 0x40;
	o[len++] = fo;
	o[len++] = 0;	/* TP-MR: AT+CMGS has the modem assign it */
	/* TP-DA: length in digits, not octets (23.040 9.1.2.5). */
	o[len++] = (unsigned char)strlen(e->da);
	o[len++] = (unsigned char)e->datoa;
	len += pdu_semi(o + len, e->da);
	o[len++] = 0x00;			/* TP-PID: plain SMS */
	o[len++] = e->gsm ? 0x00 : 0x08;	/* TP-DCS, 23.038 4 */
	if (e->vp >= 0)
		o[len++] = (unsigned char)e->vp;
	udlpos = len++;
	ud = o + len;

	if (e->total > 1) {
		/* 23.040 9.2.3.24.1 (IEI 00) and 9.2.3.24.8 (IEI 08). */
		if (e->ref16) {
			ud[0] = 6;
			ud[1] = 0x08;
			ud[2] = 4;
			ud[3] = (e->ref >> 8) & 0xff;
			ud[4] = e->ref & 0xff;
			udhl = 7;
		} else {
			ud[0] = 5;
			ud[1] = 0x00;
			ud[2] = 3;
			ud[3] = e->ref & 0xff;
			udhl = 6;
		}
		ud[udhl - 2] = (unsigned char)e->total;
		ud[udhl - 1] = (unsigned char)seq;
	}

	if (e->gsm) {
		/*
		 * The text starts on a septet boundary after the UDH
		 * (23.040 9.2.3.24), so old phones that ignore the UDH still
		 * see whole septets: fill bits pad the UDH out to them.
		 */
		bit = udhl * 8 + (7 - (udhl * 8) % 7) % 7;
		for (i = 0; i < n; i++) {
			for (j = 0; j < c[i].n; j++) {
				pdu_put7(ud, bit, c[i].u[j]);
				bit += 7;
			}
		}
		/* TP-UDL counts septets, the UDH and fill included. */
		o[udlpos] = (unsigned char)(bit / 7);
		len += (bit + 7) / 8;
	} else {
		/* UCS-2 goes big-endian (23.038 6.2.3). */
		k = udhl;
		for (i = 0; i < n; i++) {
			for (j = 0; j < c[i].n; j++) {
				ud[k++] = c[i].u[j] >> 8;
				ud[k++] = c[i].u[j] & 0xff;
			}
		}
		o[udlpos] = (unsigned char)k;	/* octets for UCS-2 */
		len += k;
	}
	part->tpdu_len = len - smsclen;
	pdu_hex(o, len, part->hex);
}

/* Encode text to number as SMS-SUBMIT parts. */
int
pdu_encode_submit(const char *number, const char *text,
    const struct pdu_opts *opts, struct pdu_part *parts, size_t maxparts,
    size_t *nparts, char **cause)
{
	struct pdu_enc	 e;
	struct pdu_char	*c;
	char		 digits[PDU_DIGITS_MAX + 1];
	size_t		 nc, i, units = 0, cap, need, limit, start, end;
	int		 plus;

	*nparts = 0;
	*cause = NULL;
	memset(&e, 0, sizeof e);
	if (pdu_number(number, digits, &plus, "number", cause) != 0)
		return (-1);
	if (plus) {
		strlcpy(e.da, digits, sizeof e.da);
		e.datoa = 0x91;
	} else if (opts->numtype == PDU_NATIONAL) {
		strlcpy(e.da, digits, sizeof e.da);
		e.datoa = 0xa1;
	} else if (strlen(digits) == 11 && digits[0] == '1') {
		/* A canonical mainland mobile number: country code 86. */
		e.da[0] = '8';
		e.da[1] = '6';
		strlcpy(e.da + 2, digits, sizeof e.da - 2);
		e.datoa = 0x91;
	} else {
		strlcpy(e.da, digits, sizeof e.da);
		e.datoa = 0x81;
	}
	if (opts->smsc != NULL) {
		if (pdu_number(opts->smsc, e.sc, &plus, "SMSC", cause) != 0)
			return (-1);
		e.sctoa = plus ? 0x91 : 0x81;
	}
	if (opts->vp_minutes < 0) {
		xasprintf(cause, "negative validity period: %d",
		    opts->vp_minutes);
		return (-1);
	}
	e.vp = opts->vp_minutes > 0 ? pdu_vp_octet(opts->vp_minutes) : -1;
	e.srr = opts->srr != 0;
	e.ref16 = opts->ref16 != 0;
	e.ref = opts->ref;

	if (pdu_chars(text, &c, &nc, &e.gsm, cause) != 0)
		return (-1);
	for (i = 0; i < nc; i++)
		units += c[i].n;
	if (units <= (e.gsm ? PDU_GSM7_MAX : PDU_UCS2_MAX)) {
		need = 1;
		cap = units;
	} else {
		/*
		 * The UDH takes 6 octets with an 8-bit reference, 7 with a
		 * 16-bit one: 7 or 8 septets with fill (153 or 152 left),
		 * or 134 or 133 octets, 67 or 66 units.
		 */
		i = e.ref16 ? 7 : 6;
		if (e.gsm)
			cap = PDU_GSM7_MAX - (i * 8 + 6) / 7;
		else
			cap = (PDU_UD_MAX - i) / 2;
		need = 0;
		for (start = 0; start < nc; start = end) {
			end = pdu_fill(c, nc, start, cap);
			need++;
		}
	}
	/* TP-UDH counts parts in one octet (23.040 9.2.3.24.1). */
	limit = maxparts < 255 ? maxparts : 255;
	if (need > limit) {
		xasprintf(cause, "text needs %zu parts, more than %zu", need,
		    limit);
		free(c);
		return (-1);
	}
	e.total = need;
	start = 0;
	for (i = 0; i < need; i++) {
		end = pdu_fill(c, nc, start, cap);
		pdu_build(&e, c + start, end - start, i + 1, &parts[i]);
		start = end;
	}
	free(c);
	*nparts = need;
	return (0);
}

/*
 * The alphabet of a TP-DCS (23.038 4): the general data coding groups
 * 00xx and 01xx (bit 5 compression, bit 4 class meaning, bits 3-2 the
 * alphabet, bits 1-0 the class), message waiting 1100-1110, and the
 * data coding/message class group 1111.
 */
static int
pdu_dcs(unsigned int dcs, enum pdu_coding *coding, char **cause)
{
	switch (dcs >> 6) {
	case 0:
	case 1:
		if (dcs & 0x20) {
			xasprintf(cause, "compressed text (DCS %02X) not "
			    "supported", dcs);
			return (-1);
		}
		switch ((dcs >> 2) & 3) {
		case 0:
			*coding = PDU_GSM7;
			return (0);
		case 1:
			*coding = PDU_8BIT;
			return (0);
		case 2:
			*coding = PDU_UCS2;
			return (0);
		}
		break;
	default:
		switch (dcs >> 4) {
		case 0xc:
		case 0xd:
			*coding = PDU_GSM7;
			return (0);
		case 0xe:
			*coding = PDU_UCS2;
			return (0);
		case 0xf:
			/* Bit 3 is reserved; bit 2 says 8-bit data. */
			*coding = (dcs & 0x04) ? PDU_8BIT : PDU_GSM7;
			return (0);
		}
		break;
	}
	xasprintf(cause, "reserved DCS %02X", dcs);
	return (-1);
}

/* The septet at bit position bit, least significant bit first. */
static unsigned char
pdu_get7(const unsigned char *ud, size_t bit)
{
	size_t		o = bit / 8, sh = bit % 8;
	unsigned int	v = ud[o] >> sh;

	if (sh > 1)
		v |= (unsigned int)ud[o + 1] << (8 - sh);
	return (v & 0x7f);
}

/*
 * Parse a UDH (23.040 9.2.3.24): information elements of IEI, length,
 * data.  Concatenation (IEI 00, 8-bit reference; 08, 16-bit) is kept;
 * other elements are skipped.
 */
static int
pdu_udh(const unsigned char *h, size_t hl, struct pdu_submit *ps,
    char **cause)
{
	size_t	i = 0, iel;

	while (i < hl) {
		if (hl - i < 2) {
			*cause = xstrdup("UDH truncated in an element");
			return (-1);
		}
		iel = h[i + 1];
		if (hl - i - 2 < iel) {
			xasprintf(cause, "UDH element %02X longer than the UDH",
			    h[i]);
			return (-1);
		}
		if ((h[i] == 0x00 && iel != 3) || (h[i] == 0x08 && iel != 4)) {
			xasprintf(cause, "concatenation element %02X of length "
			    "%zu", h[i], iel);
			return (-1);
		}
		if (h[i] == 0x00) {
			ps->concat = 1;
			ps->ref = h[i + 2];
			ps->total = h[i + 3];
			ps->seq = h[i + 4];
		} else if (h[i] == 0x08) {
			ps->concat = 1;
			ps->ref = (unsigned int)h[i + 2] << 8 | h[i + 3];
			ps->total = h[i + 4];
			ps->seq = h[i + 5];
		}
		i += 2 + iel;
	}
	/* 9.2.3.24.1: a count or number of 0, or past the count, is ignored. */
	if (ps->concat && (ps->total == 0 || ps->seq == 0 ||
	    ps->seq > ps->total)) {
		ps->concat = 0;
		ps->ref = ps->total = ps->seq = 0;
	}
	return (0);
}

/* GSM 7-bit septets to UTF-8, escape pairs to the extension table. */
static char *
pdu_gsm7_text(const unsigned char *s, size_t n)
{
	struct buf	b;
	size_t		i;

	buf_init(&b, 0);
	for (i = 0; i < n; i++) {
		if (s[i] != PDU_ESC)
			pdu_put_utf8(&b, sms_gsm7_decode(s[i], 0));
		else if (i + 1 < n)
			pdu_put_utf8(&b, sms_gsm7_decode(s[++i], 1));
		else
			pdu_put_utf8(&b, ' ');	/* a lone escape at the end */
	}
	return (buf_steal(&b));
}

/* UCS-2 (UTF-16 BE, as phones send it) to UTF-8. */
static char *
pdu_ucs2_text(const unsigned char *p, size_t n)
{
	struct buf	b;
	size_t		i;
	unsigned int	u, v;

	buf_init(&b, 0);
	for (i = 0; i + 1 < n; i += 2) {
		u = (unsigned int)p[i] << 8 | p[i + 1];
		if (u >= 0xd800 && u <= 0xdbff && i + 3 < n) {
			v = (unsigned int)p[i + 2] << 8 | p[i + 3];
			if (v >= 0xdc00 && v <= 0xdfff) {
				u = 0x10000 + ((u - 0xd800) << 10) +
				    (v - 0xdc00);
				i += 2;
			}
		}
		if (u == 0 || (u >= 0xd800 && u <= 0xdfff))
			u = 0xfffd;
		pdu_put_utf8(&b, u);
	}
	return (buf_steal(&b));
}

/* Decode the TP-UD of an SMS-SUBMIT: UDH, then text. */
static int
pdu_get_ud(struct pdu_rd *r, int udhi, struct pdu_submit *ps, char **cause)
{
	const unsigned char	*ud;
	size_t			 udl, octets, hdr = 0, skip, i;
	int			 v;
	char			*hex;

	if ((v = pdu_octet(r, "TP-UDL", cause)) == -1)
		return (-1);
	udl = v;
	/* TP-UDL is in septets for GSM 7-bit, else octets (9.2.3.16). */
	if (ps->coding == PDU_GSM7) {
		if (udl > PDU_GSM7_MAX) {
			xasprintf(cause, "TP-UDL %zu septets, more than %d",
			    udl, PDU_GSM7_MAX);
			return (-1);
		}
		octets = (udl * 7 + 7) / 8;
	} else {
		if (udl > PDU_UD_MAX) {
			xasprintf(cause, "TP-UDL %zu octets, more than %d",
			    udl, PDU_UD_MAX);
			return (-1);
		}
		octets = udl;
	}
	if (r->len - r->off < octets) {
		xasprintf(cause, "TP-UDL says %zu octets, %zu there", octets,
		    r->len - r->off);
		return (-1);
	}
	ud = pdu_take(r, octets, "TP-UD", cause);
	if (r->off != r->len) {
		xasprintf(cause, "%zu octets after the user data",
		    r->len - r->off);
		return (-1);
	}
	if (udhi) {
		if (octets == 0 || (size_t)ud[0] + 1 > octets) {
			*cause = xstrdup("UDH longer than the user data");
			return (-1);
		}
		hdr = (size_t)ud[0] + 1;
		if (pdu_udh(ud + 1, ud[0], ps, cause) != 0)
			return (-1);
	}

	switch (ps->coding) {
	case PDU_GSM7:
		/* The text starts at the septet after the UDH and fill. */
		skip = (hdr * 8 + 6) / 7;
		if (skip > udl) {
			*cause = xstrdup("UDH longer than the user data");
			return (-1);
		}
		ps->nseptets = udl - skip;
		ps->septets = xmalloc(ps->nseptets + 1);
		for (i = 0; i < ps->nseptets; i++)
			ps->septets[i] = pdu_get7(ud, (skip + i) * 7);
		ps->text = pdu_gsm7_text(ps->septets, ps->nseptets);
		break;
	case PDU_UCS2:
		if ((octets - hdr) % 2 != 0) {
			*cause = xstrdup("odd number of UCS-2 octets");
			return (-1);
		}
		ps->text = pdu_ucs2_text(ud + hdr, octets - hdr);
		break;
	case PDU_8BIT:
		hex = xmalloc(2 * (octets - hdr) + 1);
		pdu_hex(ud + hdr, octets - hdr, hex);
		ps->text = hex;
		break;
	}
	return (0);
}

/* Decode an SMS-SUBMIT. */
int
pdu_decode_submit(const char *hex, struct pdu_submit *ps, char **cause)
{
	unsigned char	 o[PDU_OCTETS_MAX];
	struct pdu_rd	 r;
	int		 fo, v;

	*cause = NULL;
	memset(ps, 0, sizeof *ps);
	memset(&r, 0, sizeof r);
	r.p = o;
	if (pdu_unhex(hex, o, sizeof o, &r.len, cause) != 0)
		return (-1);
	if (pdu_get_smsc(&r, ps->smsc, cause) != 0)
		return (-1);
	if ((fo = pdu_octet(&r, "first octet", cause)) == -1)
		return (-1);
	if ((fo & 0x03) != 0x01) {
		xasprintf(cause, "not an SMS-SUBMIT (TP-MTI %d)", fo & 0x03);
		return (-1);
	}
	ps->vpf = (fo >> 3) & 3;
	ps->srr = (fo & 0x20) != 0;
	if ((v = pdu_octet(&r, "TP-MR", cause)) == -1)
		goto fail;
	ps->mr = v;
	if (pdu_get_addr(&r, ps->number, &ps->toa, "TP-DA", cause) != 0)
		goto fail;
	if (pdu_octet(&r, "TP-PID", cause) == -1)
		goto fail;
	if ((v = pdu_octet(&r, "TP-DCS", cause)) == -1)
		goto fail;
	if (pdu_dcs(v, &ps->coding, cause) != 0)
		goto fail;
	/* TP-VP: one octet relative, seven enhanced or absolute. */
	if (ps->vpf == 2) {
		if ((v = pdu_octet(&r, "TP-VP", cause)) == -1)
			goto fail;
		ps->vp = v;
	} else if (ps->vpf != 0) {
		if (pdu_take(&r, 7, "TP-VP", cause) == NULL)
			goto fail;
	}
	if (pdu_get_ud(&r, (fo & 0x40) != 0, ps, cause) != 0)
		goto fail;
	return (0);

fail:
	pdu_submit_free(ps);
	return (-1);
}

/* Free what a decoded SMS-SUBMIT holds. */
void
pdu_submit_free(struct pdu_submit *ps)
{
	free(ps->text);
	free(ps->septets);
	ps->text = NULL;
	ps->septets = NULL;
	ps->nseptets = 0;
}
