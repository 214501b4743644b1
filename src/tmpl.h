/*
 * tmpl.h: message templates (pure code, unit-tested and fuzzed).
 *
 * A template is templates/NAME.txt, UTF-8.  Header lines at the top start
 * with '#': "# category: C", "# params: a,b,c", "# description: ...",
 * "# example: a=1; b=2".  The rest (without its final newline) is the
 * body, where ${name} is replaced by a value: an event parameter, a
 * recipient field (recipient_name, district_name) or a department field
 * (hotline, department_name).  Values are inserted as text, with control
 * characters removed, never interpreted: a value holding "${x}" stays
 * as it is.  "$$" is a literal "$".  civicast puts the department's
 * 【signature】 before every message; templates never carry it.
 */
#ifndef CIVICAST_TMPL_H
#define CIVICAST_TMPL_H

#include <stddef.h>

#include "buf.h"

#define TMPL_MAX_BODY		2048	/* bytes of a template body */
#define TMPL_MAX_VARS		64
#define TMPL_MAX_NAME		32	/* bytes of a variable or template name */

/* The variables civicast provides itself, besides event parameters. */
#define TMPL_RECIPIENT_VARS	{ "recipient_name", "district_name" }
#define TMPL_DEPARTMENT_VARS	{ "hotline", "department_name" }

struct tmpl {
	char	 *name;		/* file name without .txt: [a-z0-9_]{1,32} */
	char	 *category;	/* from the header, or NULL */
	char	 *description;
	char	**params;	/* from "# params:", as declared */
	size_t	  nparams;
	char	 *body;
	char	**vars;		/* variables the body uses, each once, in order */
	size_t	  nvars;

	/*
	 * Private to tmpl.c: the body split into literal and variable
	 * segments once by tmpl_parse, so that tmpl_render (once per
	 * recipient) never scans the body again.  A struct tmpl filled in
	 * by hand may leave it NULL; tmpl_render then compiles a copy.
	 */
	void	 *compiled;
};

/* A directory of templates. */
struct tmpl_set;

/*
 * Parse one template (name without .txt) from text.  Checks the name, the
 * header, UTF-8, the ${...} syntax (unterminated, empty or bad names), the
 * body size, and that "# params:" lists exactly the body's variables
 * other than the recipient and department ones.  -1 with *cause as
 * "LINE: reason".
 */
struct tmpl	*tmpl_parse(const char *name, const char *text, size_t len,
		    char **cause);
/* Free a template. */
void		 tmpl_free(struct tmpl *);

/*
 * Load every NAME.txt of dir (other files are ignored).  A template that
 * fails to parse fails the load, with "DIR/NAME.txt:LINE: reason" for
 * each bad file in *cause (one per line).
 */
struct tmpl_set	*tmpl_set_load(const char *dir, char **cause);
/* Free a set. */
void		 tmpl_set_free(struct tmpl_set *);
/* The template of that name, or NULL. */
const struct tmpl *tmpl_find(const struct tmpl_set *, const char *name);
/* Number of templates; the i-th in name order. */
size_t		 tmpl_count(const struct tmpl_set *);
const struct tmpl *tmpl_get(const struct tmpl_set *, size_t i);

/* 1 when name is a variable civicast fills itself (recipient, department). */
int		 tmpl_builtin_var(const char *name);

/*
 * Render into out (appended; its cap bounds the result).  lookup(arg,
 * name) returns a variable's value or NULL.  A variable without a value
 * fails the whole render (-1, *cause names it); so does exceeding out's
 * cap.  Nothing half-rendered is left in out on failure.
 */
int		 tmpl_render(const struct tmpl *,
		    const char *(*lookup)(void *, const char *), void *arg,
		    struct buf *out, char **cause);

#endif
