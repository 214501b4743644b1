/*
 * fuzz-phone.c: phone normalisation and log masking on arbitrary bytes.
 *
 * Properties: a number that normalises is canonical and normalises to
 * itself; a masked log line keeps its length and holds no 11-digit
 * mobile number any more.
 */
#include "compat.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "phone.h"
#include "xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char		 out[PHONE_BUFSIZE], again[PHONE_BUFSIZE];
	char		 masked[PHONE_BUFSIZE];
	char		*s;
	const char	*cause;
	size_t		 i, run;

	s = xmalloc(len + 1);
	memcpy(s, data, len);
	s[len] = '\0';
	if (phone_normalize(s, out, &cause) == 0) {
		if (!phone_is_canonical(out))
			abort();
		if (phone_normalize(out, again, &cause) != 0 ||
		    strcmp(out, again) != 0)
			abort();
		phone_mask(out, masked);
		if (strlen(masked) != PHONE_LEN || strstr(masked, "****") !=
		    masked + 3)
			abort();
	} else {
		/* A refusal says why, and never echoes the number's digits. */
		if (cause == NULL)
			abort();
		for (i = 0; cause[i] != '\0'; i++) {
			if (isdigit((unsigned char)cause[i]) &&
			    strspn(cause + i, "0123456789") >= 3)
				abort();
		}
	}

	len = strlen(s);
	log_mask_phones(s);
	if (strlen(s) != len)
		abort();
	for (i = 0; s[i] != '\0'; i += run == 0 ? 1 : run) {
		run = 0;
		while (isdigit((unsigned char)s[i + run]))
			run++;
		if (run == 11 && s[i] == '1')
			abort();
	}
	free(s);
	return (0);
}
