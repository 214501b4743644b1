/*
 * pdu-report.c: SMS-STATUS-REPORT PDUs (3GPP TS 23.040 9.2.2.3), the
 * +CDS a modem hands over when a message reached the phone or failed:
 * decoding for the driver, encoding for the modem simulator and tests.
 *
 *  - Status reports are encoded with SMSC timestamps in China Standard
 *    Time (+08:00), as a Chinese SMSC would send them.
 *  - Timestamps are read with their own offset from UTC and made UTC by
 *    caltime.c, the one calendar of the tree.
 */
#include "compat.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "caltime.h"
#include "pdu.h"
#include "pdu-int.h"
#include "xmalloc.h"

#define PDU_CST		(8 * 3600)	/* China Standard Time, UTC+8 */

/* A semi-octet pair as a number: the low nibble is the tens digit. */
static int
pdu_bcd(unsigned int o)
{
	if ((o & 0x0f) > 9 || (o >> 4) > 9)
		return (-1);
	return ((o & 0x0f) * 10 + (o >> 4));
}

/*
 * A timestamp of TP-SCTS or TP-DT (23.040 9.2.3.11): year (of 2000),
 * month, day, hour, minute, second as semi-octets, then the offset from
 * GMT in quarters of an hour.  Why the last octet is read apart: its
 * sign is bit 3, the high bit of the tens digit, which 23.040 leaves
 * only three bits (0-7 tens of quarters), so it is no plain BCD pair.
 * The fields are local time in that offset; caltime makes them UTC.
 */
static int
pdu_get_time(struct pdu_rd *r, time_t *t, const char *what, char **cause)
{
	const unsigned char	*p;
	struct caltime		 c;
	const char		*why;
	long long		 s;
	int			 f[6], i, q;

	if ((p = pdu_take(r, 7, what, cause)) == NULL)
		return (-1);
	for (i = 0; i < 6; i++) {
		if ((f[i] = pdu_bcd(p[i])) == -1)
			goto bad;
	}
	if ((p[6] >> 4) > 9)
		goto bad;
	q = (p[6] & 0x07) * 10 + (p[6] >> 4);
	if (p[6] & 0x08)
		q = -q;
	c.year = 2000 + f[0];
	c.mon = f[1];
	c.mday = f[2];
	c.hour = f[3];
	c.min = f[4];
	c.sec = f[5];
	c.off = q * 900;
	if (caltime_to_epoch(&c, &s, &why) != 0)
		goto bad;
	*t = (time_t)s;
	return (0);

bad:
	xasprintf(cause, "bad %s", what);
	return (-1);
}

/* Write a timestamp in China Standard Time. */
static int
pdu_put_time(unsigned char *o, time_t t, const char *what, char **cause)
{
	struct caltime	c;
	int		f[6], i, q = PDU_CST / 900;

	caltime_from_epoch((long long)t, PDU_CST, &c);
	/* The year has two digits: 2000-2099 in this century's reading. */
	if (c.year < 2000 || c.year > 2099) {
		xasprintf(cause, "%s outside 2000-2099", what);
		return (-1);
	}
	f[0] = (int)(c.year - 2000);
	f[1] = c.mon;
	f[2] = c.mday;
	f[3] = c.hour;
	f[4] = c.min;
	f[5] = c.sec;
	for (i = 0; i < 6; i++)
		o[i] = (unsigned char)((f[i] % 10) << 4 | f[i] / 10);
	o[6] = (unsigned char)((q % 10) << 4 | q / 10);	/* positive */
	return (0);
}

/* Encode an SMS-STATUS-REPORT into hex. */
int
pdu_encode_status(const struct pdu_status *st, const char *smsc,
    char *hex, size_t len, size_t *tpdu_len, char **cause)
{
	unsigned char	 o[64];
	char		 digits[PDU_DIGITS_MAX + 1];
	size_t		 n = 0, smsclen, k;
	int		 plus;

	*cause = NULL;
	if (smsc == NULL)
		o[n++] = 0;
	else {
		if (pdu_number(smsc, digits, &plus, "SMSC", cause) != 0)
			return (-1);
		k = pdu_semi(o + 2, digits);
		o[0] = (unsigned char)(1 + k);
		o[1] = plus ? 0x91 : 0x81;
		n = 2 + k;
	}
	smsclen = n;
	if (st->mr > 255 || st->status > 255) {
		*cause = xstrdup("TP-MR or TP-ST past 255");
		return (-1);
	}
	/*
	 * First octet (23.040 9.2.2.3): TP-MTI 10 SMS-STATUS-REPORT,
	 * TP-MMS 1 (no more messages waiting), TP-SRQ 0 (the report is
	 * for an SMS-SUBMIT), no TP-UDHI.
	 */
	o[n++] = 0x06;
	o[n++] = (unsigned char)st->mr;
	if (pdu_number(st->recipient, digits, &plus, "recipient", cause) != 0)
		return (-1);
	o[n++] = (unsigned char)strlen(digits);
	o[n++] = plus ? 0x91 : 0x81;
	n += pdu_semi(o + n, digits);
	if (pdu_put_time(o + n, st->scts, "TP-SCTS", cause) != 0)
		return (-1);
	n += 7;
	if (pdu_put_time(o + n, st->dt, "TP-DT", cause) != 0)
		return (-1);
	n += 7;
	o[n++] = (unsigned char)st->status;
	if (len < 2 * n + 1) {
		*cause = xstrdup("hex buffer too small");
		return (-1);
	}
	pdu_hex(o, n, hex);
	if (tpdu_len != NULL)
		*tpdu_len = n - smsclen;
	return (0);
}

/* Decode an SMS-STATUS-REPORT. */
int
pdu_decode_status(const char *hex, struct pdu_status *st, char **cause)
{
	unsigned char	 o[PDU_OCTETS_MAX];
	char		 smsc[PDU_NUMBER_MAX];
	struct pdu_rd	 r;
	int		 fo, v;

	*cause = NULL;
	memset(st, 0, sizeof *st);
	memset(&r, 0, sizeof r);
	r.p = o;
	if (pdu_unhex(hex, o, sizeof o, &r.len, cause) != 0)
		return (-1);
	if (pdu_get_smsc(&r, smsc, cause) != 0)
		return (-1);
	if ((fo = pdu_octet(&r, "first octet", cause)) == -1)
		return (-1);
	if ((fo & 0x03) != 0x02) {
		xasprintf(cause, "not an SMS-STATUS-REPORT (TP-MTI %d)",
		    fo & 0x03);
		return (-1);
	}
	if ((v = pdu_octet(&r, "TP-MR", cause)) == -1)
		return (-1);
	st->mr = v;
	if (pdu_get_addr(&r, st->recipient, NULL, "TP-RA", cause) != 0)
		return (-1);
	if (pdu_get_time(&r, &st->scts, "TP-SCTS", cause) != 0)
		return (-1);
	if (pdu_get_time(&r, &st->dt, "TP-DT", cause) != 0)
		return (-1);
	if ((v = pdu_octet(&r, "TP-ST", cause)) == -1)
		return (-1);
	st->status = v;
	/* TP-PI, TP-PID, TP-DCS, TP-UD may follow (9.2.2.3); not needed. */
	return (0);
}

/* What a TP-ST says (23.040 9.2.3.15). */
int
pdu_status_class(unsigned int st)
{
	if (st <= 0x1f)
		return (0);	/* short message transaction completed */
	if (st <= 0x3f)
		return (1);	/* temporary error, SC still trying */
	return (-1);		/* permanent, or temporary and given up */
}

/* 1 when the canonical 11-digit number and a report's recipient agree. */
int
pdu_number_match(const char *canonical, const char *recipient)
{
	const char	*r = recipient;
	size_t		 i;

	if (strlen(canonical) != 11)
		return (0);
	for (i = 0; i < 11; i++) {
		if (canonical[i] < '0' || canonical[i] > '9')
			return (0);
	}
	/* "+86", "0086" (the international prefix) or "86" in front. */
	if (r[0] == '+')
		r++;
	else if (r[0] == '0' && r[1] == '0')
		r += 2;
	if (strlen(r) == 13 && r[0] == '8' && r[1] == '6')
		r += 2;
	else if (r != recipient)
		return (0);	/* international, but not China */
	return (strcmp(r, canonical) == 0);
}
