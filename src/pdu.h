/*
 * pdu.h: SMS PDUs (3GPP TS 23.040, alphabets TS 23.038; pure code,
 * unit-tested, cross-checked with python-gammu, fuzzed).
 *
 * Encoding: SMS-SUBMIT TPDUs for AT+CMGS in PDU mode (AT+CMGF=0), split
 * into concatenated parts with a UDH when the text is long.  Decoding:
 * SMS-SUBMIT (for the modem simulator and round trips) and
 * SMS-STATUS-REPORT (the +CDS the driver matches to messages).
 *
 * Hex strings include the SMSC address octets in front, as AT+CMGS
 * takes them; tpdu_len is the length in octets without them, the number
 * AT+CMGS=<len> wants.
 */
#ifndef CIVICAST_PDU_H
#define CIVICAST_PDU_H

#include <stddef.h>
#include <time.h>

#define PDU_MAX_PARTS		32
#define PDU_HEX_MAX		(2 * (12 + 164) + 1)	/* SMSC + TPDU, hex */
#define PDU_NUMBER_MAX		24

enum pdu_numtype {
	PDU_INTERNATIONAL,	/* TON 1, NPI 1 (0x91): 8613800138000 */
	PDU_NATIONAL		/* TON 2, NPI 1 (0xA1): 13800138000 */
};

enum pdu_coding {
	PDU_GSM7 = 0,
	PDU_8BIT = 4,
	PDU_UCS2 = 8
};

struct pdu_opts {
	enum pdu_numtype	 numtype;
	int			 srr;		/* request a status report */
	int			 vp_minutes;	/* relative validity; 0: none */
	int			 ref16;		/* 16-bit concatenation reference */
	unsigned int		 ref;		/* concatenation reference */
	const char		*smsc;		/* "+8613800571500"; NULL: the SIM's */
};

struct pdu_part {
	char		hex[PDU_HEX_MAX];
	size_t		tpdu_len;
};

/*
 * Encode text (UTF-8) to number (canonical 11 digits, or digits with a
 * leading '+') as one or more SMS-SUBMIT parts: GSM 7-bit when every
 * character allows it (extension characters as escape pairs, never split
 * across parts), else UCS-2 (surrogate pairs never split).  One part
 * holds 160 septets / 70 units; parts of a long text 153 / 67 (less with
 * a 16-bit reference).  -1 with *cause (invalid UTF-8, too many parts,
 * bad number).
 */
int	 pdu_encode_submit(const char *number, const char *text,
	    const struct pdu_opts *, struct pdu_part *parts, size_t maxparts,
	    size_t *nparts, char **cause);

struct pdu_submit {
	char		 smsc[PDU_NUMBER_MAX];	/* "" when the SIM's */
	char		 number[PDU_NUMBER_MAX]; /* "+86..." when international */
	int		 toa;		/* type of address octet */
	unsigned int	 mr;		/* TP-MR */
	int		 srr;
	int		 vpf;		/* 0 none, 2 relative, 1/3 other */
	int		 vp;		/* the relative VP octet */
	enum pdu_coding	 coding;
	int		 concat;	/* a concatenation UDH is present */
	unsigned int	 ref;
	unsigned int	 total;
	unsigned int	 seq;
	char		*text;		/* UTF-8, allocated */
	unsigned char	*septets;	/* GSM7: the septets, allocated */
	size_t		 nseptets;
};

/* Decode an SMS-SUBMIT (hex, SMSC octets first); -1 with *cause. */
int	 pdu_decode_submit(const char *hex, struct pdu_submit *, char **cause);
/* Free what a decoded SMS-SUBMIT holds. */
void	 pdu_submit_free(struct pdu_submit *);

struct pdu_status {
	unsigned int	 mr;
	char		 recipient[PDU_NUMBER_MAX];	/* as in the report */
	time_t		 scts;		/* when the SMSC took the message */
	time_t		 dt;		/* when the status was reached */
	unsigned int	 status;	/* TP-ST */
};

/* Encode an SMS-STATUS-REPORT (hex, SMSC octets first) into hex. */
int	 pdu_encode_status(const struct pdu_status *, const char *smsc,
	    char *hex, size_t len, size_t *tpdu_len, char **cause);
/* Decode an SMS-STATUS-REPORT (hex, SMSC octets first); -1 with cause. */
int	 pdu_decode_status(const char *hex, struct pdu_status *, char **cause);
/*
 * What a TP-ST says: 0 delivered (0x00-0x1F), 1 still trying
 * (0x20-0x3F), -1 failed for good (0x40 and up).
 */
int	 pdu_status_class(unsigned int st);
/* 1 when the canonical 11-digit number and a report's recipient agree. */
int	 pdu_number_match(const char *canonical, const char *recipient);

#endif
