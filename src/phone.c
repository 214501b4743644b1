/*
 * phone.c: Chinese mobile numbers.
 *
 * Input is what people type into a spreadsheet or a web form, so it is
 * first turned into a short string of tokens (ASCII digits, '+', '(',
 * ')', one kind of space, '-', and markers for letters and anything
 * else), folding full-width forms into ASCII.  The tokens are then
 * checked against a small grammar:
 *
 *	[ "(" [ "+" ] code ")" [ sep ] | "+" ] digit { [ sep ] digit }
 *
 * where sep is a single space or dash.  The digits left after the
 * country code must form an 11-digit number in a mobile range.
 *
 * Causes never include the number itself: they end up in logs and
 * import reports.
 */
#include "compat.h"

#include <string.h>

#include "phone.h"

/* Longest input, in tokens, worth looking at. */
#define PHONE_MAXTOKENS	64
/* Most digits kept: "0086" and 11 national digits, with room to spare. */
#define PHONE_MAXDIGITS	20

/* Token markers for what cannot be part of a number. */
#define PHONE_TOK_LETTER	'a'
#define PHONE_TOK_OTHER		'?'

/*
 * Third digits allowed after "1" and a second digit of 3 to 9: the
 * public mobile number ranges assigned by MIIT (the Ministry of
 * Industry and Information Technology):
 *
 *	13x, 14[5-9], 15[0-35-9], 16[2567], 17[0-8], 18x, 19[0-35-9]
 *
 * 140-144 are left out on purpose: they are data-only (IoT) ranges that
 * cannot receive SMS.  Update this table when MIIT opens a new range.
 */
static const char *phone_ranges[] = {
	"0123456789",		/* 13x */
	"56789",		/* 14[5-9] */
	"012356789",		/* 15[0-35-9] */
	"2567",			/* 16[2567] */
	"012345678",		/* 17[0-8] */
	"0123456789",		/* 18x */
	"012356789"		/* 19[0-35-9] */
};

static const char phone_foreign[] =
    "not a Chinese number (country code is not 86)";

/*
 * Read one character of s as a token and return the number of bytes it
 * used.  Full-width digits, plus, dash and parentheses (U+FF10-FF19,
 * U+FF0B, U+FF0D, U+FF08, U+FF09) fold to ASCII because Chinese input
 * methods produce them; the ideographic space (U+3000) and the no-break
 * space (U+00A0, from pasted web pages) fold to a space like tabs do.
 */
static size_t
phone_token(const unsigned char *s, char *tok)
{
	unsigned char	c = s[0];

	if (c >= '0' && c <= '9') {
		*tok = (char)c;
		return (1);
	}
	switch (c) {
	case '+':
	case '-':
	case '(':
	case ')':
		*tok = (char)c;
		return (1);
	case ' ':
	case '\t':
	case '\r':
	case '\n':
	case '\v':
	case '\f':
		*tok = ' ';
		return (1);
	}
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
		*tok = PHONE_TOK_LETTER;
		return (1);
	}
	if (c == 0xef && s[1] == 0xbc) {
		if (s[2] >= 0x90 && s[2] <= 0x99) {
			*tok = (char)('0' + (s[2] - 0x90));
			return (3);
		}
		switch (s[2]) {
		case 0x8b:
			*tok = '+';
			return (3);
		case 0x8d:
			*tok = '-';
			return (3);
		case 0x88:
			*tok = '(';
			return (3);
		case 0x89:
			*tok = ')';
			return (3);
		}
		/* Full-width Latin letters, U+FF21-FF3A and U+FF41-FF5A. */
		if (s[2] >= 0xa1 && s[2] <= 0xba) {
			*tok = PHONE_TOK_LETTER;
			return (3);
		}
	}
	if (c == 0xef && s[1] == 0xbd && s[2] >= 0x81 && s[2] <= 0x9a) {
		*tok = PHONE_TOK_LETTER;
		return (3);
	}
	if (c == 0xe3 && s[1] == 0x80 && s[2] == 0x80) {
		*tok = ' ';
		return (3);
	}
	if (c == 0xc2 && s[1] == 0xa0) {
		*tok = ' ';
		return (2);
	}
	/* Anything else: one byte at a time is enough to reject it. */
	*tok = PHONE_TOK_OTHER;
	return (1);
}

/* Check 11 national digits against the mobile ranges; NULL when good. */
static const char *
phone_check(const char *d)
{
	if (d[0] == '0')
		return ("landline number, not a mobile number");
	if (d[0] != '1')
		return ("not a mobile number (must start with 1)");
	if (d[1] < '3' || d[1] > '9')
		return ("not a mobile number (second digit must be 3 to 9)");
	if (strchr(phone_ranges[d[1] - '3'], d[2]) == NULL)
		return ("not a mobile number (prefix not in a mobile range)");
	return (NULL);
}

/*
 * Turn s into tokens without surrounding spaces; -1 when too long.  Runs
 * of spaces are only added once something follows them, and at most two
 * of them, which is enough for the grammar to see a doubled separator.
 */
static int
phone_tokenize(const char *in, char *tok, size_t *ntok)
{
	const unsigned char	*s = (const unsigned char *)in;
	size_t			 n = 0, spaces = 0;
	char			 t;

	while (*s != '\0') {
		s += phone_token(s, &t);
		if (t == ' ') {
			spaces++;
			continue;
		}
		if (n != 0 && spaces > 0) {
			if (n + 2 > PHONE_MAXTOKENS)
				return (-1);
			tok[n++] = ' ';
			if (spaces > 1)
				tok[n++] = ' ';
		}
		spaces = 0;
		if (n == PHONE_MAXTOKENS)
			return (-1);
		tok[n++] = t;
	}
	*ntok = n;
	return (0);
}

/* Normalise a number as people type it into 11 national digits. */
int
phone_normalize(const char *in, char out[PHONE_BUFSIZE], const char **cause)
{
	char		 tok[PHONE_MAXTOKENS], d[PHONE_MAXDIGITS];
	char		 code[PHONE_MAXDIGITS];
	size_t		 ntok, nd = 0, ncode = 0, i = 0, nplus = 0, start;
	int		 paren = 0, plus = 0;
	const char	*why;

	out[0] = '\0';
	if (in == NULL || phone_tokenize(in, tok, &ntok) != 0) {
		*cause = in == NULL ? "empty number" : "number too long";
		return (-1);
	}
	if (ntok == 0) {
		*cause = "empty number";
		return (-1);
	}

	/* Character classes first: they explain most bad input best. */
	for (i = 0; i < ntok; i++) {
		if (tok[i] == PHONE_TOK_LETTER) {
			*cause = "number contains letters";
			return (-1);
		}
		if (tok[i] == PHONE_TOK_OTHER) {
			*cause = "number contains an unexpected character";
			return (-1);
		}
		if (tok[i] == '+')
			nplus++;
	}
	if (nplus > 1) {
		*cause = "number has more than one plus sign";
		return (-1);
	}

	/* An optional "(+86)", "(86)" or "+" before the digits. */
	i = 0;
	if (tok[i] == '(') {
		paren = 1;
		i++;
	}
	if (i < ntok && tok[i] == '+') {
		plus = 1;
		i++;
	}
	if (paren) {
		while (i < ntok && tok[i] >= '0' && tok[i] <= '9' &&
		    ncode < sizeof code - 1)
			code[ncode++] = tok[i++];
		code[ncode] = '\0';
		if (i == ntok || tok[i] != ')' || ncode == 0) {
			*cause = "badly placed parenthesis in number";
			return (-1);
		}
		i++;
		if (strcmp(code, "86") != 0 &&
		    (plus || strcmp(code, "0086") != 0)) {
			*cause = phone_foreign;
			return (-1);
		}
		/* One separator may follow, as in "(+86) 138...". */
		if (i < ntok && (tok[i] == ' ' || tok[i] == '-'))
			i++;
	}

	/* Digits, with single separators between them. */
	start = i;
	for (; i < ntok; i++) {
		switch (tok[i]) {
		case ' ':
		case '-':
			/* Not doubled, not at an edge (tokens are trimmed). */
			if (i == start || tok[i - 1] < '0' ||
			    tok[i - 1] > '9' || i + 1 == ntok ||
			    tok[i + 1] < '0' || tok[i + 1] > '9') {
				*cause = "badly placed space or dash in number";
				return (-1);
			}
			continue;
		case '+':
			*cause = "badly placed plus sign in number";
			return (-1);
		case '(':
		case ')':
			*cause = "badly placed parenthesis in number";
			return (-1);
		}
		if (nd == sizeof d - 1) {
			*cause = "number has too many digits";
			return (-1);
		}
		d[nd++] = tok[i];
	}
	d[nd] = '\0';
	if (nd == 0) {
		*cause = "number has no digits";
		return (-1);
	}

	/* Strip the country code, or decide there is none. */
	start = 0;
	if (plus && !paren) {
		if (strncmp(d, "86", 2) != 0) {
			*cause = phone_foreign;
			return (-1);
		}
		start = 2;
	} else if (!paren) {
		if (strncmp(d, "00", 2) == 0) {
			if (strncmp(d, "0086", 4) != 0) {
				*cause = phone_foreign;
				return (-1);
			}
			start = 4;
		} else if (d[0] == '0') {
			*cause = "landline number, not a mobile number";
			return (-1);
		} else if (nd == PHONE_LEN + 2 && strncmp(d, "86", 2) == 0)
			start = 2;
	}
	if (nd - start != PHONE_LEN) {
		*cause = "wrong number of digits (a mobile number has 11)";
		return (-1);
	}
	if ((why = phone_check(d + start)) != NULL) {
		*cause = why;
		return (-1);
	}
	memcpy(out, d + start, PHONE_BUFSIZE);
	return (0);
}

/* Write the masked form of a canonical number (138****8000) into out. */
void
phone_mask(const char *phone, char out[PHONE_BUFSIZE])
{
	/* Anything else is masked whole: never risk leaking a number. */
	if (phone == NULL || !phone_is_canonical(phone)) {
		memset(out, '*', PHONE_LEN);
		out[PHONE_LEN] = '\0';
		return;
	}
	memcpy(out, phone, 3);
	memset(out + 3, '*', 4);
	memcpy(out + 7, phone + 7, 5);
}

/* 1 when s is already a canonical number. */
int
phone_is_canonical(const char *s)
{
	size_t	i;

	if (s == NULL)
		return (0);
	for (i = 0; i < PHONE_LEN; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (0);
	}
	if (s[PHONE_LEN] != '\0')
		return (0);
	return (phone_check(s) == NULL);
}
