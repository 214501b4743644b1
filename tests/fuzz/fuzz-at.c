/*
 * fuzz-at.c: the AT response tokenizer on arbitrary bytes.
 *
 * The first byte picks numeric mode; the input is then fed twice, all at
 * once and in chunks whose sizes come from the input itself.  Properties:
 * every line is NUL-terminated with len == strlen(text) <= AT_LINE_MAX,
 * kinds and PDUs are consistent, both feeds report exactly the same lines
 * (the result never depends on read boundaries), and nothing leaks.
 */
#include "compat.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "at.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct digest {
	uint64_t	hash;
	size_t		lines;
};

static void
mix(struct digest *d, const void *p, size_t len)
{
	const unsigned char	*s = p;
	size_t			 i;

	for (i = 0; i < len; i++) {
		d->hash ^= s[i];
		d->hash *= 0x100000001b3ULL;	/* FNV-1a */
	}
}

static void
digest_cb(void *arg, const struct at_line *l)
{
	struct digest	*d = arg;
	int		 v[3];

	if (l->text == NULL || strlen(l->text) != l->len ||
	    l->len > AT_LINE_MAX)
		abort();
	if ((unsigned)l->kind > AT_CDS)
		abort();
	if (l->kind == AT_PROMPT && strcmp(l->text, ">") != 0)
		abort();
	if (l->kind != AT_PROMPT && l->len == 0)
		abort();	/* empty lines are skipped */
	if (l->kind == AT_CDS && l->pdu == NULL)
		abort();
	if (l->pdu != NULL && (l->kind != AT_CDS && l->kind != AT_URC))
		abort();
	if (l->pdu != NULL && (strlen(l->pdu) == 0 ||
	    strlen(l->pdu) > AT_LINE_MAX))
		abort();
	if (l->truncated != 0 && l->truncated != 1)
		abort();
	v[0] = (int)l->kind;
	v[1] = l->code;
	v[2] = l->truncated;
	mix(d, v, sizeof v);
	mix(d, l->text, l->len + 1);
	if (l->pdu != NULL)
		mix(d, l->pdu, strlen(l->pdu) + 1);
	d->lines++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct at_parser	 p;
	struct digest		 whole, chunked;
	const char		*s = (const char *)data;
	size_t			 off, n, k = 0;
	int			 numeric;

	if (len == 0)
		return (0);
	numeric = data[0] & 1;

	memset(&whole, 0, sizeof whole);
	at_parser_init(&p);
	p.numeric = numeric;
	at_feed(&p, s, len, digest_cb, &whole);
	at_parser_free(&p);

	memset(&chunked, 0, sizeof chunked);
	at_parser_init(&p);
	p.numeric = numeric;
	for (off = 0; off < len; off += n) {
		/* Sizes 0..15 from the input; 0 is an empty read. */
		n = data[k++ % len] & 0x0f;
		if (n == 0) {
			at_feed(&p, s + off, 0, digest_cb, &chunked);
			n = 1;
		}
		if (n > len - off)
			n = len - off;
		at_feed(&p, s + off, n, digest_cb, &chunked);
	}
	at_parser_free(&p);

	if (whole.hash != chunked.hash || whole.lines != chunked.lines)
		abort();
	return (0);
}
