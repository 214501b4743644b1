/*
 * utf8.c: strict UTF-8 decoding.
 *
 * Strict means RFC 3629: no overlong forms, no surrogates, nothing past
 * U+10FFFF.  Why strict: GB18030 text often looks like UTF-8 to a lax
 * check, and an overlong form can smuggle a control character past a
 * filter.  Text bound for a phone, a template or the registry is checked
 * here, the same way everywhere.
 */
#include "compat.h"

#include "utf8.h"

/*
 * Decode the character of at most n bytes at s into *cp; its length, or
 * 0 when it is not valid.  It stops at the first byte that is not a
 * continuation, so a NUL-terminated string may be passed with n = 4.
 */
size_t
utf8_decode(const unsigned char *s, size_t n, unsigned int *cp)
{
	unsigned int	c = s[0], min;
	size_t		need, i;

	if (c < 0x80) {
		*cp = c;
		return (1);
	}
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		c &= 0x07;
		min = 0x10000;
	} else
		return (0);
	if (n < need)
		return (0);
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return (0);
	*cp = c;
	return (need);
}

/* Length of the valid UTF-8 prefix of s: len when all of it is valid. */
size_t
utf8_valid(const unsigned char *s, size_t len)
{
	unsigned int	cp;
	size_t		i = 0, n;

	while (i < len) {
		if ((n = utf8_decode(s + i, len - i, &cp)) == 0)
			return (i);
		i += n;
	}
	return (len);
}
