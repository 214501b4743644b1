/*
 * cmdline.h: a command's options declared once, parsed from argv.
 *
 * A command lists what it accepts as a table of struct cmdline_opt; the
 * parser, the usage line, the option list of "civicast help" and the bash
 * completion are all made from that table, so they cannot disagree. The
 * parser is pure (argv in, a struct out, a cause on error): it prints
 * nothing and never exits.
 */
#ifndef CIVICAST_CMDLINE_H
#define CIVICAST_CMDLINE_H

#include <stddef.h>
#include <stdio.h>

#include "compat.h"

#define CMDLINE_REQUIRED	0x1	/* the option must be given */
#define CMDLINE_REPEAT		0x2	/* may be given again; every value kept */
#define CMDLINE_NUMBER		0x4	/* an integer in [min, max] */

#define CMDLINE_MAX		24	/* options of one command */

/* One option; a table of them ends with a NULL name. */
struct cmdline_opt {
	const char	*name;		/* long name, without "--" */
	char		 letter;	/* a short form (-n), or 0 */
	const char	*arg;		/* the value's name in usage; NULL: a switch */
	int		 flags;		/* CMDLINE_* */
	long long	 min, max;	/* CMDLINE_NUMBER: the accepted range */
	const char	*help;		/* one line */
};

/* What one command line said, by the option table's order. */
struct cmdline_args {
	const struct cmdline_opt *opts;
	int		 argc;		/* the operands left */
	char		**argv;
	int		 count[CMDLINE_MAX];	/* times each option was given */
	const char	*value[CMDLINE_MAX];	/* its last value */
	long long	 number[CMDLINE_MAX];	/* CMDLINE_NUMBER: that value */
	const char	**values[CMDLINE_MAX];	/* CMDLINE_REPEAT: every value */
};

/*
 * Parse argv (argv[0] is the command's name) against opts, and check that
 * nmin..nmax operands remain. Returns 0, 1 when -h or --help was given
 * (nothing else is checked then), or -1 with a cause naming the option.
 */
int	 cmdline_parse(const struct cmdline_opt *opts, int nmin, int nmax,
	    int argc, char **argv, struct cmdline_args *, char **cause);
/* Free what cmdline_parse() kept. */
void	 cmdline_free(struct cmdline_args *);
/* How many times option name was given (0: not at all). */
int	 cmdline_given(const struct cmdline_args *, const char *name);
/* Option name's last value, or def when it was not given. */
const char *cmdline_string(const struct cmdline_args *, const char *name,
	    const char *def);
/* A CMDLINE_NUMBER option's value, or def when it was not given. */
long long cmdline_number(const struct cmdline_args *, const char *name,
	    long long def);
/* A CMDLINE_REPEAT option's values in the order given; returns how many. */
size_t	 cmdline_list(const struct cmdline_args *, const char *name,
	    const char * const **values);
/* The options' part of a usage line ("--id ID [--dry-run] ..."), to f. */
void	 cmdline_synopsis(FILE *f, const struct cmdline_opt *opts);
/* One line per option with its help, indented, to f. */
void	 cmdline_describe(FILE *f, const struct cmdline_opt *opts);

#endif
