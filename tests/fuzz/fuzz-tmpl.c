/*
 * fuzz-tmpl.c: template parsing and rendering on arbitrary bytes.
 *
 * The input is a template text and a value, split at the first NUL, or
 * without one at two thirds.  Properties: a template that parses renders
 * with every variable given that value (into a capped buffer: fitting
 * or "too long", nothing else), and the output never holds a control
 * character other than the body's own line ends, is valid UTF-8 and
 * stays within the cap; a failed render leaves the buffer as it was.
 */
#include "compat.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tmpl.h"
#include "util.h"
#include "xmalloc.h"

#define FUZZ_CAP	4096

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *
fuzz_lookup(void *arg, const char *name)
{
	return (arg);
}

/* 1 when s holds valid UTF-8 whose only control character is '\n'. */
static int
fuzz_clean(const char *s, size_t len)
{
	char	*copy, *p;
	int	 ok;

	/* util_utf8_clean refuses '\n', which a body may hold. */
	copy = xmalloc(len + 1);
	memcpy(copy, s, len);
	copy[len] = '\0';
	for (p = copy; (p = strchr(p, '\n')) != NULL; p++)
		*p = ' ';
	ok = util_utf8_clean(copy);
	free(copy);
	return (ok);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct tmpl	*t;
	struct buf	 out;
	const uint8_t	*nul;
	char		*text, *value, *cause;
	size_t		 tlen, vlen, i, j, own;
	int		 rc;

	if ((nul = memchr(data, '\0', len)) != NULL) {
		tlen = (size_t)(nul - data);
		vlen = len - tlen - 1;
	} else {
		tlen = len - len / 3;
		vlen = len - tlen;
	}
	text = xmalloc(tlen + 1);
	memcpy(text, data, tlen);
	text[tlen] = '\0';
	/* A value is a C string: it ends at its own first NUL, if any. */
	value = xmalloc(vlen + 1);
	memcpy(value, data + len - vlen, vlen);
	value[vlen] = '\0';

	cause = NULL;
	if ((t = tmpl_parse("fuzz", text, tlen, &cause)) == NULL) {
		if (cause == NULL || strchr(cause, ':') == NULL)
			abort();
		free(cause);
		goto out;
	}
	if (cause != NULL || strlen(t->body) > TMPL_MAX_BODY ||
	    t->nvars > TMPL_MAX_VARS)
		abort();
	/* params is exactly the body's variables but the builtin ones. */
	for (i = 0, own = 0; i < t->nvars; i++) {
		if (!tmpl_builtin_var(t->vars[i]))
			own++;
	}
	if (own != t->nparams)
		abort();
	for (i = 0; i < t->nparams; i++) {
		for (j = 0; j < t->nvars; j++) {
			if (strcmp(t->params[i], t->vars[j]) == 0)
				break;
		}
		if (j == t->nvars)
			abort();
	}

	buf_init(&out, FUZZ_CAP);
	buf_adds(&out, "x");
	rc = tmpl_render(t, fuzz_lookup, value, &out, &cause);
	if (rc == 0) {
		if (cause != NULL || out.len > FUZZ_CAP ||
		    strlen(out.data) != out.len)
			abort();
		if (!fuzz_clean(out.data, out.len))
			abort();
	} else {
		/* Every variable has a value: only the cap can fail it. */
		if (cause == NULL || strncmp(cause, "message longer", 14) != 0)
			abort();
		if (out.len != 1 || strcmp(out.data, "x") != 0)
			abort();
		free(cause);
	}
	buf_free(&out);
	tmpl_free(t);
out:
	free(value);
	free(text);
	return (0);
}
