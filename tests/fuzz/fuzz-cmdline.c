/*
 * fuzz-cmdline.c: a command line of arbitrary words against an option
 * table with every kind of option.
 *
 * The input is split at newlines into at most 30 words after the
 * command's name.  Properties: the parser returns 0, 1 or -1; -1 always
 * with a cause; on 0 every required option was given, every number is in
 * its range, every repeated option kept each value, and the operands are
 * within the command's bounds and are words of the input.
 */
#include "compat.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct cmdline_opt opts[] = {
	{ "id", 'i', "ID", CMDLINE_REQUIRED, 0, 0, "required" },
	{ "dry-run", 'n', NULL, 0, 0, 0, "a switch" },
	{ "limit", 0, "N", CMDLINE_NUMBER, 1, 10000, "a number" },
	{ "after", 'a', "RID", CMDLINE_NUMBER, 0, 9223372036854775806LL,
	  "a big number" },
	{ "param", 'P', "K=V", CMDLINE_REPEAT, 0, 0, "repeated" },
	{ "count", 0, "N", CMDLINE_NUMBER | CMDLINE_REPEAT, -5, 5, "both" },
	{ NULL, 0, NULL, 0, 0, 0, NULL }
};

#define WORDS	32

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct cmdline_args	 a;
	const char * const	*v;
	char			*copy, *p, *nl, *argv[WORDS + 1], *orig[WORDS];
	char			*cause = NULL;
	int			 argc = 0, r, i, j, found;
	size_t			 k, n;

	copy = malloc(len + 1);
	if (copy == NULL)
		return (0);
	memcpy(copy, data, len);
	copy[len] = '\0';
	argv[argc++] = (char *)"cmd";
	for (p = copy; argc < WORDS && p != NULL; p = nl) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		argv[argc++] = p;
	}
	argv[argc] = NULL;
	memcpy(orig, argv, sizeof orig);	/* getopt permutes argv */

	r = cmdline_parse(opts, 0, 2, argc, argv, &a, &cause);
	if (r == -1) {
		if (cause == NULL || *cause == '\0')
			abort();
		free(cause);
		free(copy);
		return (0);
	}
	if (r != 0 && r != 1)
		abort();
	if (r == 0) {
		if (cmdline_given(&a, "id") < 1 ||
		    cmdline_string(&a, "id", NULL) == NULL)
			abort();
		if (cmdline_given(&a, "limit") &&
		    (cmdline_number(&a, "limit", 0) < 1 ||
		    cmdline_number(&a, "limit", 0) > 10000))
			abort();
		if (cmdline_number(&a, "after", 0) < 0)
			abort();
		n = cmdline_list(&a, "param", &v);
		if (n != (size_t)cmdline_given(&a, "param"))
			abort();
		for (k = 0; k < n; k++) {
			if (v[k] == NULL)
				abort();
		}
		if (n > 0 && v[n] != NULL)
			abort();
		if (cmdline_number(&a, "count", 0) < -5 ||
		    cmdline_number(&a, "count", 0) > 5)
			abort();
		if (a.argc < 0 || a.argc > 2)
			abort();
		for (i = 0; i < a.argc; i++) {
			found = 0;
			for (j = 1; j < argc; j++)
				found |= orig[j] == a.argv[i];
			if (!found)
				abort();
		}
	}
	cmdline_free(&a);
	free(copy);
	return (0);
}
