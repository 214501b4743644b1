/*
 * cmdline.c: parse a command line against its option table.
 *
 * getopt_long() does the scanning (GNU order: options may follow the
 * operands, "--" ends them); this file builds its tables from struct
 * cmdline_opt and turns what it found into values, numbers and causes.
 */
#include "compat.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "log.h"
#include "xmalloc.h"

#define CMDLINE_LONG	256	/* getopt_long's value of option i: 256 + i */

static size_t
cmdline_count(const struct cmdline_opt *opts)
{
	size_t	n = 0;

	while (opts != NULL && opts[n].name != NULL)
		n++;
	if (n > CMDLINE_MAX)
		fatalx("cmdline: %zu options, more than %d", n, CMDLINE_MAX);
	return (n);
}

/* The index of option name; a name not in the table is a bug. */
static size_t
cmdline_index(const struct cmdline_args *a, const char *name)
{
	size_t	i;

	for (i = 0; a->opts != NULL && a->opts[i].name != NULL; i++) {
		if (strcmp(a->opts[i].name, name) == 0)
			return (i);
	}
	fatalx("cmdline: no option --%s in this command's table", name);
}

/* Keep the value of option i; -1 with a cause when it is no number. */
static int
cmdline_take(struct cmdline_args *a, size_t i, const char *value,
    char **cause)
{
	const struct cmdline_opt	*o = &a->opts[i];
	const char			*errstr;
	size_t				 n = (size_t)a->count[i];

	if (o->flags & CMDLINE_NUMBER) {
		a->number[i] = strtonum(value, o->min, o->max, &errstr);
		if (errstr != NULL) {
			xasprintf(cause, "--%s: '%.40s' is %s (%lld-%lld)",
			    o->name, value, errstr, o->min, o->max);
			return (-1);
		}
	}
	if (o->flags & CMDLINE_REPEAT) {
		a->values[i] = xreallocarray(a->values[i], n + 2,
		    sizeof *a->values[i]);
		a->values[i][n] = value;
		a->values[i][n + 1] = NULL;
	}
	a->value[i] = value;
	a->count[i]++;
	return (0);
}

/*
 * The cause of getopt_long's '?': a switch given a value ("--all=1", which
 * getopt reports like an unknown option), or an unknown option.
 */
static void
cmdline_unknown(const struct cmdline_opt *opts, size_t n, const char *word,
    int letter, char **cause)
{
	const char	*eq;
	size_t		 i;

	if (strncmp(word, "--", 2) == 0 && (eq = strchr(word, '=')) != NULL) {
		for (i = 0; i < n; i++) {
			if (strlen(opts[i].name) == (size_t)(eq - word - 2) &&
			    strncmp(opts[i].name, word + 2,
			    (size_t)(eq - word - 2)) == 0) {
				xasprintf(cause, "--%s: takes no value",
				    opts[i].name);
				return;
			}
		}
	}
	if (strncmp(word, "--", 2) != 0 && letter > 0 && letter < 128)
		xasprintf(cause, "unknown option '-%c'", letter);
	else
		xasprintf(cause, "unknown option '%.40s'", word);
}

/* Parse argv against opts; 0, 1 for --help, or -1 with a cause. */
int
cmdline_parse(const struct cmdline_opt *opts, int nmin, int nmax, int argc,
    char **argv, struct cmdline_args *a, char **cause)
{
	struct option	 lo[CMDLINE_MAX + 2];
	char		 shorts[2 * CMDLINE_MAX + 4], *p = shorts;
	size_t		 n = cmdline_count(opts), i;
	int		 ch;

	memset(a, 0, sizeof *a);
	a->opts = opts;
	/* ":" first: a missing value returns ':' and we say which. */
	*p++ = ':';
	*p++ = 'h';
	for (i = 0; i < n; i++) {
		lo[i].name = opts[i].name;
		lo[i].has_arg = opts[i].arg != NULL ? required_argument :
		    no_argument;
		lo[i].flag = NULL;
		lo[i].val = CMDLINE_LONG + (int)i;
		if (opts[i].letter != 0) {
			*p++ = opts[i].letter;
			if (opts[i].arg != NULL)
				*p++ = ':';
		}
	}
	*p = '\0';
	lo[n].name = "help";
	lo[n].has_arg = no_argument;
	lo[n].flag = NULL;
	lo[n].val = 'h';
	memset(&lo[n + 1], 0, sizeof lo[n + 1]);

	optind = 0;	/* GNU: start afresh, argv[0] is the command */
	opterr = 0;	/* the cause says it, with the command's usage */
	while ((ch = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		if (ch == 'h')
			return (1);
		if (ch == ':') {
			i = (size_t)(optopt - CMDLINE_LONG);
			if (optopt >= CMDLINE_LONG && i < n)
				xasprintf(cause, "--%s needs a value (%s)",
				    opts[i].name, opts[i].arg);
			else
				xasprintf(cause, "-%c needs a value", optopt);
			goto fail;
		}
		if (ch == '?') {
			cmdline_unknown(opts, n, argv[optind - 1], optopt,
			    cause);
			goto fail;
		}
		if (ch >= CMDLINE_LONG)
			i = (size_t)(ch - CMDLINE_LONG);
		else {
			for (i = 0; i < n && opts[i].letter != ch; i++)
				;
		}
		if (cmdline_take(a, i, optarg, cause) != 0)
			goto fail;
	}
	for (i = 0; i < n; i++) {
		if ((opts[i].flags & CMDLINE_REQUIRED) && a->count[i] == 0) {
			xasprintf(cause, "--%s is required", opts[i].name);
			goto fail;
		}
	}
	a->argc = argc - optind;
	a->argv = argv + optind;
	if (a->argc < nmin || a->argc > nmax) {
		if (nmax == 0)
			xasprintf(cause, "unexpected argument '%.40s'",
			    a->argv[0]);
		else if (a->argc > nmax)
			xasprintf(cause, "too many arguments (at most %d)",
			    nmax);
		else
			xasprintf(cause, "missing argument (%d expected)",
			    nmin);
		goto fail;
	}
	return (0);
fail:
	cmdline_free(a);
	return (-1);
}

/* Free what cmdline_parse() kept. */
void
cmdline_free(struct cmdline_args *a)
{
	size_t	i;

	for (i = 0; i < CMDLINE_MAX; i++) {
		free(a->values[i]);
		a->values[i] = NULL;
	}
}

/* How many times option name was given. */
int
cmdline_given(const struct cmdline_args *a, const char *name)
{
	return (a->count[cmdline_index(a, name)]);
}

/* Option name's last value, or def. */
const char *
cmdline_string(const struct cmdline_args *a, const char *name,
    const char *def)
{
	size_t	i = cmdline_index(a, name);

	return (a->count[i] > 0 ? a->value[i] : def);
}

/* A CMDLINE_NUMBER option's value, or def. */
long long
cmdline_number(const struct cmdline_args *a, const char *name, long long def)
{
	size_t	i = cmdline_index(a, name);

	if (!(a->opts[i].flags & CMDLINE_NUMBER))
		fatalx("cmdline: --%s is not a number option", name);
	return (a->count[i] > 0 ? a->number[i] : def);
}

/* A CMDLINE_REPEAT option's values in order; returns how many. */
size_t
cmdline_list(const struct cmdline_args *a, const char *name,
    const char * const **values)
{
	size_t	i = cmdline_index(a, name);

	if (!(a->opts[i].flags & CMDLINE_REPEAT))
		fatalx("cmdline: --%s is not a repeated option", name);
	*values = a->values[i];
	return ((size_t)a->count[i]);
}

/* The options' part of a usage line, to f. */
void
cmdline_synopsis(FILE *f, const struct cmdline_opt *opts)
{
	const struct cmdline_opt	*o;
	int				 req;

	for (o = opts; o != NULL && o->name != NULL; o++) {
		req = (o->flags & CMDLINE_REQUIRED) != 0;
		fprintf(f, "%s%s--%s%s%s%s%s", o == opts ? "" : " ",
		    req ? "" : "[", o->name, o->arg != NULL ? " " : "",
		    o->arg != NULL ? o->arg : "", req ? "" : "]",
		    (o->flags & CMDLINE_REPEAT) ? "..." : "");
	}
}

/* One line per option with its help, to f. */
void
cmdline_describe(FILE *f, const struct cmdline_opt *opts)
{
	const struct cmdline_opt	*o;
	char				 left[64];

	for (o = opts; o != NULL && o->name != NULL; o++) {
		if (o->letter != 0)
			snprintf(left, sizeof left, "-%c, --%s%s%s", o->letter,
			    o->name, o->arg != NULL ? " " : "",
			    o->arg != NULL ? o->arg : "");
		else
			snprintf(left, sizeof left, "--%s%s%s", o->name,
			    o->arg != NULL ? " " : "", o->arg != NULL ? o->arg : "");
		fprintf(f, "  %-28s %s", left, o->help);
		if (o->flags & CMDLINE_NUMBER)
			fprintf(f, " (%lld-%lld)", o->min, o->max);
		if (o->flags & CMDLINE_REQUIRED)
			fprintf(f, "; required");
		if (o->flags & CMDLINE_REPEAT)
			fprintf(f, "; may be repeated");
		fputc('\n', f);
	}
}
