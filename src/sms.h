/*
 * sms.h: how long a text is as SMS (pure code, unit-tested).
 *
 * A text that the GSM 7-bit default alphabet and its extension table can
 * carry (3GPP TS 23.038) is sent as GSM 7-bit: 160 septets in one SMS,
 * 153 per part of a concatenated one, extension characters (€ [ ] { } \ ~
 * ^ | and form feed) costing two.  Anything else is UCS-2: 70 UTF-16
 * units in one SMS, 67 per part, a character outside the BMP (rare
 * characters in names, emoji) costing two.  Chinese text is always UCS-2.
 */
#ifndef CIVICAST_SMS_H
#define CIVICAST_SMS_H

#include <stddef.h>

enum sms_coding {
	SMS_GSM7,
	SMS_UCS2
};

struct sms_len {
	enum sms_coding	coding;
	size_t		chars;		/* characters (Unicode code points) */
	size_t		units;		/* septets (GSM7) or UTF-16 units (UCS2) */
	size_t		segments;	/* SMS needed, 1 for an empty text */
};

/* Measure UTF-8 text; -1 with *cause for invalid UTF-8. */
int	 sms_measure(const char *text, size_t len, struct sms_len *,
	    const char **cause);
/* "GSM 7-bit" or "UCS-2". */
const char *sms_coding_name(enum sms_coding);
/* 1 when the code point is in the GSM default alphabet or extension. */
int	 sms_gsm7_char(unsigned int cp, int *escaped);
/*
 * The septet for a code point, *escaped 1 when it is in the extension
 * table (sent after the 0x1b escape); -1 when GSM 7-bit cannot carry it.
 */
int	 sms_gsm7_septet(unsigned int cp, unsigned char *septet, int *escaped);
/*
 * The code point of a septet, from the extension table when escaped; an
 * escaped septet the extension table lacks gives the default alphabet's
 * character and 0x1b itself a space (TS 23.038 6.2.1.1).
 */
unsigned int sms_gsm7_decode(unsigned char septet, int escaped);

#endif
