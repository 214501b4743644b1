/*
 * pdu.c: what SMS-SUBMIT and SMS-STATUS-REPORT PDUs (3GPP TS 23.040)
 * share: numbers checked and written as semi-octets, hex in and out, and
 * a bounds-checked reader for the octets of an untrusted PDU (the modem
 * simulator's, the fuzzer's, a modem's +CDS) with its address fields.
 * pdu-submit.c encodes and decodes SMS-SUBMIT, pdu-report.c
 * SMS-STATUS-REPORT; the API of the three is pdu.h.
 *
 * Decoding takes untrusted bytes: every length is checked against the
 * octets there are.
 */
#include "compat.h"

#include <stdlib.h>
#include <string.h>

#include "pdu.h"
#include "pdu-int.h"
#include "xmalloc.h"

/*
 * Check a number: optional '+', then 1 to 20 digits.  The digits go to
 * out; *plus says whether there was a '+'.
 */
int
pdu_number(const char *in, char *out, int *plus, const char *what,
    char **cause)
{
	const char	*s = in;
	size_t		 n = 0;

	*plus = 0;
	if (*s == '+') {
		*plus = 1;
		s++;
	}
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9') {
			xasprintf(cause, "%s is not digits: %s", what, in);
			return (-1);
		}
		if (n == PDU_DIGITS_MAX) {
			xasprintf(cause, "%s longer than %d digits: %s", what,
			    PDU_DIGITS_MAX, in);
			return (-1);
		}
		out[n++] = *s;
	}
	out[n] = '\0';
	if (n == 0) {
		xasprintf(cause, "%s is empty", what);
		return (-1);
	}
	return (0);
}

/*
 * Digits as semi-octets (23.040 9.1.2.3): the first digit in the low
 * nibble, an odd count padded with 0xF in the last high nibble.
 */
size_t
pdu_semi(unsigned char *o, const char *digits)
{
	size_t	i, n = strlen(digits);

	for (i = 0; i < n; i++) {
		if (i % 2 == 0)
			o[i / 2] = 0xf0 | (digits[i] - '0');
		else
			o[i / 2] = (o[i / 2] & 0x0f) | (digits[i] - '0') << 4;
	}
	return ((n + 1) / 2);
}

/* Octets as upper-case hex. */
void
pdu_hex(const unsigned char *o, size_t n, char *hex)
{
	static const char	xd[] = "0123456789ABCDEF";
	size_t			i;

	for (i = 0; i < n; i++) {
		hex[2 * i] = xd[o[i] >> 4];
		hex[2 * i + 1] = xd[o[i] & 0x0f];
	}
	hex[2 * n] = '\0';
}

/* Hex to octets; -1 for odd length, bad digits, or too many. */
int
pdu_unhex(const char *hex, unsigned char *o, size_t max, size_t *len,
    char **cause)
{
	size_t	i, n;
	int	hi = 0, lo;

	n = strlen(hex);
	if (n == 0) {
		*cause = xstrdup("empty PDU");
		return (-1);
	}
	if (n % 2 != 0) {
		xasprintf(cause, "odd number of hex digits: %zu", n);
		return (-1);
	}
	if (n / 2 > max) {
		xasprintf(cause, "PDU longer than %zu octets", max);
		return (-1);
	}
	for (i = 0; i < n; i++) {
		if (hex[i] >= '0' && hex[i] <= '9')
			lo = hex[i] - '0';
		else if (hex[i] >= 'A' && hex[i] <= 'F')
			lo = hex[i] - 'A' + 10;
		else if (hex[i] >= 'a' && hex[i] <= 'f')
			lo = hex[i] - 'a' + 10;
		else {
			xasprintf(cause, "bad hex digit at %zu", i);
			return (-1);
		}
		if (i % 2 == 0)
			hi = lo;
		else
			o[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	*len = n / 2;
	return (0);
}

/* The next n octets, or NULL with *cause naming what was cut short. */
const unsigned char *
pdu_take(struct pdu_rd *r, size_t n, const char *what, char **cause)
{
	const unsigned char	*p;

	if (r->len - r->off < n) {
		xasprintf(cause, "PDU truncated in %s", what);
		return (NULL);
	}
	p = r->p + r->off;
	r->off += n;
	return (p);
}

/* The next octet, or -1 with *cause. */
int
pdu_octet(struct pdu_rd *r, const char *what, char **cause)
{
	const unsigned char	*p;

	if ((p = pdu_take(r, 1, what, cause)) == NULL)
		return (-1);
	return (*p);
}

/*
 * Semi-octet digits to text, '+' in front for an international TON
 * (23.040 9.1.2.5); 0xA-0xE are * # a b c (9.1.2.3).
 */
int
pdu_digits(const unsigned char *p, size_t ndigits, int toa, char *out,
    const char *what, char **cause)
{
	static const char	 map[] = "0123456789*#abc";
	size_t			 i, n = 0;
	unsigned int		 d;

	if ((toa & 0x70) == 0x50) {
		xasprintf(cause, "alphanumeric %s not supported", what);
		return (-1);
	}
	if (ndigits > PDU_DIGITS_MAX) {
		xasprintf(cause, "%s longer than %d digits", what,
		    PDU_DIGITS_MAX);
		return (-1);
	}
	if ((toa & 0x70) == 0x10)
		out[n++] = '+';
	for (i = 0; i < ndigits; i++) {
		d = i % 2 == 0 ? p[i / 2] & 0x0f : p[i / 2] >> 4;
		if (d == 0x0f) {
			xasprintf(cause, "filler in the middle of %s", what);
			return (-1);
		}
		out[n++] = map[d];
	}
	out[n] = '\0';
	return (0);
}

/* The SMSC field: an octet count, then TOA and semi-octets. */
int
pdu_get_smsc(struct pdu_rd *r, char *out, char **cause)
{
	const unsigned char	*p;
	size_t			 nd;
	int			 len;

	out[0] = '\0';
	if ((len = pdu_octet(r, "SMSC length", cause)) == -1)
		return (-1);
	if (len == 0)
		return (0);
	if ((p = pdu_take(r, len, "SMSC", cause)) == NULL)
		return (-1);
	if (len == 1)
		return (0);	/* a TOA and no digits: say nothing */
	/* The count is of octets, so an odd number ends in filler. */
	nd = 2 * (len - 1);
	if ((p[len - 1] >> 4) == 0x0f)
		nd--;
	return (pdu_digits(p + 1, nd, p[0], out, "SMSC", cause));
}

/* An address field (TP-DA, TP-RA): a digit count, TOA, semi-octets. */
int
pdu_get_addr(struct pdu_rd *r, char *out, int *toa, const char *what,
    char **cause)
{
	const unsigned char	*p;
	int			 nd, t;

	if ((nd = pdu_octet(r, what, cause)) == -1)
		return (-1);
	if ((t = pdu_octet(r, what, cause)) == -1)
		return (-1);
	if (toa != NULL)
		*toa = t;
	if ((p = pdu_take(r, (nd + 1) / 2, what, cause)) == NULL)
		return (-1);
	return (pdu_digits(p, nd, t, out, what, cause));
}
