/*
 * pdu-int.h: what the PDU files share (pdu.c the octets, hex and
 * addresses both kinds of PDU carry; pdu-submit.c SMS-SUBMIT with the
 * GSM 7-bit and UCS-2 alphabets; pdu-report.c SMS-STATUS-REPORT and its
 * timestamps).  Not for other modules: their API is pdu.h.
 */
#ifndef CIVICAST_PDU_INT_H
#define CIVICAST_PDU_INT_H

#include <stddef.h>

#define PDU_DIGITS_MAX	20	/* address digits (23.040 9.1.2.5) */
#define PDU_OCTETS_MAX	256	/* decoder input, generous */

/* Reads octets with bounds checks. */
struct pdu_rd {
	const unsigned char	*p;
	size_t			 len;
	size_t			 off;
};

/* Check a number ('+' then 1 to 20 digits) into digits; -1 with cause. */
int		 pdu_number(const char *, char *, int *, const char *,
		    char **);
/* Digits as semi-octets; returns the octets written. */
size_t		 pdu_semi(unsigned char *, const char *);
/* Octets as upper-case hex. */
void		 pdu_hex(const unsigned char *, size_t, char *);
/* Hex to octets; -1 with cause. */
int		 pdu_unhex(const char *, unsigned char *, size_t, size_t *,
		    char **);
/* The next n octets, or NULL with cause. */
const unsigned char *pdu_take(struct pdu_rd *, size_t, const char *,
		    char **);
/* The next octet, or -1 with cause. */
int		 pdu_octet(struct pdu_rd *, const char *, char **);
/* Semi-octet digits to text; -1 with cause. */
int		 pdu_digits(const unsigned char *, size_t, int, char *,
		    const char *, char **);
/* The SMSC field; -1 with cause. */
int		 pdu_get_smsc(struct pdu_rd *, char *, char **);
/* An address field (TP-DA, TP-RA); -1 with cause. */
int		 pdu_get_addr(struct pdu_rd *, char *, int *, const char *,
		    char **);

#endif
