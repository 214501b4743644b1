/*
 * sms.c: how long a text is as SMS (3GPP TS 23.038 and 23.040).
 *
 * A concatenated SMS spends 6 bytes of each part on its user data
 * header, leaving 153 septets or 67 UTF-16 units.  A character is never
 * split between parts: an escape and the extension character after it
 * stay together, and so do the two halves of a surrogate pair.  Parts
 * are therefore counted by filling them greedily, character by
 * character, not by dividing the total.
 */
#include "compat.h"

#include <stdint.h>
#include <string.h>

#include "sms.h"
#include "utf8.h"

#define SMS_GSM7_SINGLE	160
#define SMS_GSM7_PART	153
#define SMS_UCS2_SINGLE	70
#define SMS_UCS2_PART	67

/* 0x1b is the escape to the extension table, not a character. */
#define SMS_GSM7_ESC	0x1b
#define SMS_NONE	0xffffffffU

/* The GSM 7-bit default alphabet: code point of each septet. */
static const uint32_t sms_gsm7_basic[128] = {
	0x0040, 0x00a3, 0x0024, 0x00a5, 0x00e8, 0x00e9, 0x00f9, 0x00ec,
	/*   @      £       $       ¥       è       é       ù       ì  */
	0x00f2, 0x00c7, 0x000a, 0x00d8, 0x00f8, 0x000d, 0x00c5, 0x00e5,
	/*   ò      Ç       LF      Ø       ø       CR      Å       å  */
	0x0394, 0x005f, 0x03a6, 0x0393, 0x039b, 0x03a9, 0x03a0, 0x03a8,
	/*   Δ      _       Φ       Γ       Λ       Ω       Π       Ψ  */
	0x03a3, 0x0398, 0x039e, SMS_NONE, 0x00c6, 0x00e6, 0x00df, 0x00c9,
	/*   Σ      Θ       Ξ       ESC     Æ       æ       ß       É  */
	0x0020, 0x0021, 0x0022, 0x0023, 0x00a4, 0x0025, 0x0026, 0x0027,
	/*  SP      !       "       #       ¤       %       &       '  */
	0x0028, 0x0029, 0x002a, 0x002b, 0x002c, 0x002d, 0x002e, 0x002f,
	0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037,
	0x0038, 0x0039, 0x003a, 0x003b, 0x003c, 0x003d, 0x003e, 0x003f,
	0x00a1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
	/*   ¡      A ...                                              */
	0x0048, 0x0049, 0x004a, 0x004b, 0x004c, 0x004d, 0x004e, 0x004f,
	0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,
	0x0058, 0x0059, 0x005a, 0x00c4, 0x00d6, 0x00d1, 0x00dc, 0x00a7,
	/*   X      Y       Z       Ä       Ö       Ñ       Ü       §  */
	0x00bf, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067,
	/*   ¿      a ...                                              */
	0x0068, 0x0069, 0x006a, 0x006b, 0x006c, 0x006d, 0x006e, 0x006f,
	0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
	0x0078, 0x0079, 0x007a, 0x00e4, 0x00f6, 0x00f1, 0x00fc, 0x00e0
	/*   x      y       z       ä       ö       ñ       ü       à  */
};

/* The extension table: sent as ESC then the septet, so two septets. */
static const struct {
	uint8_t		code;
	uint32_t	cp;
} sms_gsm7_ext[] = {
	{ 0x0a, 0x000c },	/* form feed (page break) */
	{ 0x14, 0x005e },	/* ^ */
	{ 0x28, 0x007b },	/* { */
	{ 0x29, 0x007d },	/* } */
	{ 0x2f, 0x005c },	/* \ */
	{ 0x3c, 0x005b },	/* [ */
	{ 0x3d, 0x007e },	/* ~ */
	{ 0x3e, 0x005d },	/* ] */
	{ 0x40, 0x007c },	/* | */
	{ 0x65, 0x20ac }	/* € */
};

/*
 * The septet for a code point, -1 when GSM 7-bit cannot carry it;
 * *escaped is 1 for the extension table.  Most of printable ASCII sits
 * at its own code, which is checked first.
 */
static int
sms_gsm7_lookup(unsigned int cp, int *escaped)
{
	size_t	i;

	*escaped = 0;
	if (cp < 128 && sms_gsm7_basic[cp] == cp)
		return ((int)cp);
	if (cp > 0x10ffff)
		return (-1);
	for (i = 0; i < nitems(sms_gsm7_basic); i++) {
		if (i != SMS_GSM7_ESC && sms_gsm7_basic[i] == cp)
			return ((int)i);
	}
	for (i = 0; i < nitems(sms_gsm7_ext); i++) {
		if (sms_gsm7_ext[i].cp == cp) {
			*escaped = 1;
			return (sms_gsm7_ext[i].code);
		}
	}
	return (-1);
}

/* 1 when the code point is in the GSM default alphabet or extension. */
int
sms_gsm7_char(unsigned int cp, int *escaped)
{
	int	esc;

	if (sms_gsm7_lookup(cp, &esc) == -1)
		esc = -1;
	if (escaped != NULL)
		*escaped = esc == 1;
	return (esc != -1);
}

/* The septet for a code point; -1 when GSM 7-bit cannot carry it. */
int
sms_gsm7_septet(unsigned int cp, unsigned char *septet, int *escaped)
{
	int	s, esc;

	if ((s = sms_gsm7_lookup(cp, &esc)) == -1)
		return (-1);
	*septet = (unsigned char)s;
	if (escaped != NULL)
		*escaped = esc;
	return (0);
}

/* The code point of a septet, escaped or not. */
unsigned int
sms_gsm7_decode(unsigned char septet, int escaped)
{
	size_t	i;

	septet &= 0x7f;
	if (escaped) {
		for (i = 0; i < nitems(sms_gsm7_ext); i++) {
			if (sms_gsm7_ext[i].code == septet)
				return (sms_gsm7_ext[i].cp);
		}
	}
	/*
	 * 0x1b escaped once more would reach a further extension table;
	 * none is defined, and 23.038 6.2.1.1 says to show a space.
	 */
	if (septet == SMS_GSM7_ESC)
		return (0x20);
	return (sms_gsm7_basic[septet]);
}

/* "GSM 7-bit" or "UCS-2". */
const char *
sms_coding_name(enum sms_coding coding)
{
	switch (coding) {
	case SMS_GSM7:
		return ("GSM 7-bit");
	case SMS_UCS2:
		return ("UCS-2");
	}
	return ("unknown");
}

/* Put a character of cost units into greedily filled parts of size part. */
static void
sms_fill(size_t *parts, size_t *room, size_t cost, size_t part)
{
	if (*parts == 0 || *room < cost) {
		(*parts)++;
		*room = part;
	}
	*room -= cost;
}

/* Measure UTF-8 text. */
int
sms_measure(const char *text, size_t len, struct sms_len *sl,
    const char **cause)
{
	const unsigned char	*s = (const unsigned char *)text;
	size_t			 i = 0, n, cost;
	size_t			 septets = 0, gparts = 0, groom = 0;
	size_t			 units = 0, uparts = 0, uroom = 0;
	unsigned int		 cp;
	int			 gsm = 1, esc;

	memset(sl, 0, sizeof *sl);
	/* Both codings are followed at once; GSM is dropped when it fails. */
	while (i < len) {
		if ((n = utf8_decode(s + i, len - i, &cp)) == 0) {
			if (cause != NULL)
				*cause = "invalid UTF-8";
			return (-1);
		}
		i += n;
		sl->chars++;

		cost = cp > 0xffff ? 2 : 1;
		units += cost;
		sms_fill(&uparts, &uroom, cost, SMS_UCS2_PART);

		if (gsm && sms_gsm7_lookup(cp, &esc) == -1)
			gsm = 0;
		if (gsm) {
			cost = esc ? 2 : 1;
			septets += cost;
			sms_fill(&gparts, &groom, cost, SMS_GSM7_PART);
		}
	}

	if (gsm) {
		sl->coding = SMS_GSM7;
		sl->units = septets;
		sl->segments = septets <= SMS_GSM7_SINGLE ? 1 : gparts;
	} else {
		sl->coding = SMS_UCS2;
		sl->units = units;
		sl->segments = units <= SMS_UCS2_SINGLE ? 1 : uparts;
	}
	return (0);
}
