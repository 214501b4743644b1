/*
 * tmpl.c: message templates.
 *
 * tmpl_parse checks everything about a template once, when the set is
 * loaded, and splits the body into segments: literal text (with "$$"
 * already turned into "$") and variable references by index.  Rendering
 * then only copies segments and cleaned values into the output, which
 * matters because it runs once per recipient of a broadcast.
 */
#include "compat.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tmpl.h"
#include "utf8.h"
#include "util.h"
#include "xmalloc.h"

#define TMPL_MAX_FILE	65536	/* bytes of a template file */
#define TMPL_LITERAL	SIZE_MAX	/* segment var: literal text */
#define TMPL_SHOW	40	/* bytes of a bad name quoted in a cause */

struct tmpl_seg {
	size_t	off;		/* literal: offset in the literal text */
	size_t	len;
	size_t	var;		/* index in vars, or TMPL_LITERAL */
};

struct tmpl_compiled {
	char		*text;	/* literal bytes of all literal segments */
	struct tmpl_seg	*segs;
	size_t		 nsegs;
};

/* A body being compiled: the result plus the variables found. */
struct tmpl_build {
	struct tmpl_compiled	*c;
	char			**vars;
	unsigned int		 *varline;	/* line of each first use */
	size_t			  nvars;
};

struct tmpl_set {
	struct tmpl	**list;		/* sorted by name */
	size_t		  n;
};

static const char *tmpl_builtins[] = {
	"recipient_name", "district_name", "hotline", "department_name"
};

static void printflike(3, 4)
tmpl_error(char **cause, unsigned int line, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	xasprintf(cause, "%u: %s", line, msg);
	free(msg);
}

/*
 * 1 for characters that must never reach a phone: C0, DEL, C1, and the
 * Unicode line and paragraph separators, which some handsets show as
 * line breaks and others as boxes.
 */
static int
tmpl_control(unsigned int cp)
{
	return (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 ||
	    cp == 0x2029);
}

/* 1 when s (n bytes) is a name: [a-z0-9_]{1,TMPL_MAX_NAME}. */
static int
tmpl_name_ok(const char *s, size_t n)
{
	size_t	i;

	if (n == 0 || n > TMPL_MAX_NAME)
		return (0);
	for (i = 0; i < n; i++) {
		if ((s[i] < 'a' || s[i] > 'z') && (s[i] < '0' ||
		    s[i] > '9') && s[i] != '_')
			return (0);
	}
	return (1);
}

/*
 * How many bytes of s (n bytes) to quote in a cause: at most TMPL_SHOW,
 * cut at a character boundary so the cause stays valid UTF-8.
 */
static int
tmpl_show(const char *s, size_t n)
{
	if (n <= TMPL_SHOW)
		return ((int)n);
	n = TMPL_SHOW;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return ((int)n);
}

/* 1 when name is a variable civicast fills itself. */
int
tmpl_builtin_var(const char *name)
{
	size_t	i;

	for (i = 0; i < nitems(tmpl_builtins); i++) {
		if (strcmp(name, tmpl_builtins[i]) == 0)
			return (1);
	}
	return (0);
}

/*
 * Check that the whole text is UTF-8 without control characters other
 * than line ends, naming the line of the first problem.
 */
static int
tmpl_check_text(const char *text, size_t len, char **cause)
{
	const unsigned char	*s = (const unsigned char *)text;
	unsigned int		 line = 1, cp;
	size_t			 i = 0, n;

	while (i < len) {
		if (s[i] == '\n') {
			line++;
			i++;
			continue;
		}
		if ((n = utf8_decode(s + i, len - i, &cp)) == 0) {
			tmpl_error(cause, line, "not valid UTF-8");
			return (-1);
		}
		if (cp == '\r') {
			/* The usual case: the file was saved on Windows. */
			tmpl_error(cause, line, "carriage return (save the "
			    "file with Unix line ends)");
			return (-1);
		}
		if (tmpl_control(cp)) {
			tmpl_error(cause, line, "control character U+%04X",
			    cp);
			return (-1);
		}
		i += n;
	}
	return (0);
}

/* Free a compiled body. */
static void
tmpl_compiled_free(struct tmpl_compiled *c)
{
	if (c == NULL)
		return;
	free(c->text);
	free(c->segs);
	free(c);
}

/* Append a segment. */
static void
tmpl_add_seg(struct tmpl_compiled *c, size_t off, size_t len, size_t var)
{
	c->segs = xreallocarray(c->segs, c->nsegs + 1, sizeof *c->segs);
	c->segs[c->nsegs].off = off;
	c->segs[c->nsegs].len = len;
	c->segs[c->nsegs].var = var;
	c->nsegs++;
}

/* Index of variable name (n bytes), added on first use. */
static int
tmpl_add_var(struct tmpl_build *b, const char *name, size_t n,
    unsigned int line, size_t *idx, char **cause)
{
	size_t	i;

	for (i = 0; i < b->nvars; i++) {
		if (strlen(b->vars[i]) == n &&
		    memcmp(b->vars[i], name, n) == 0) {
			*idx = i;
			return (0);
		}
	}
	if (b->nvars == TMPL_MAX_VARS) {
		tmpl_error(cause, line, "more than %d different variables",
		    TMPL_MAX_VARS);
		return (-1);
	}
	b->vars = xreallocarray(b->vars, b->nvars + 1, sizeof *b->vars);
	b->varline = xreallocarray(b->varline, b->nvars + 1,
	    sizeof *b->varline);
	b->vars[b->nvars] = xstrndup(name, n);
	b->varline[b->nvars] = line;
	*idx = b->nvars++;
	return (0);
}

/* Free what a build holds. */
static void
tmpl_build_free(struct tmpl_build *b)
{
	size_t	i;

	tmpl_compiled_free(b->c);
	for (i = 0; i < b->nvars; i++)
		free(b->vars[i]);
	free(b->vars);
	free(b->varline);
	memset(b, 0, sizeof *b);
}

/*
 * Split a body (already checked to be clean UTF-8) into segments and
 * collect its variables.  line is the file line the body starts on.
 */
static int
tmpl_compile(const char *body, size_t len, unsigned int line,
    struct tmpl_build *b, char **cause)
{
	struct tmpl_compiled	*c;
	const char		*p = body, *end = body + len, *name, *close;
	const char		*eol;
	size_t			 used = 0, start = 0, idx, n;

	memset(b, 0, sizeof *b);
	c = b->c = xcalloc(1, sizeof *c);
	c->text = xmalloc(len + 1);

	while (p < end) {
		switch (*p) {
		case '\n':
			line++;
			break;
		case '{':
		case '}':
			/* Almost always a variable with its $ forgotten. */
			tmpl_error(cause, line, "'%c' outside ${...} (write "
			    "a variable as ${name})", *p);
			goto fail;
		case '$':
			if (p + 1 < end && p[1] == '$') {
				c->text[used++] = '$';
				p += 2;
				continue;
			}
			if (p + 1 == end || p[1] != '{') {
				tmpl_error(cause, line, "lone $ (write $$ "
				    "for a dollar sign)");
				goto fail;
			}
			name = p + 2;
			if ((eol = memchr(name, '\n', end - name)) == NULL)
				eol = end;
			if ((close = memchr(name, '}', eol - name)) == NULL) {
				tmpl_error(cause, line, "unterminated ${");
				goto fail;
			}
			n = (size_t)(close - name);
			if (n == 0) {
				tmpl_error(cause, line, "empty variable ${}");
				goto fail;
			}
			if (!tmpl_name_ok(name, n)) {
				tmpl_error(cause, line, "bad variable name "
				    "${%.*s%s} (1 to %d of a-z, 0-9 and _)",
				    tmpl_show(name, n), name,
				    (size_t)tmpl_show(name, n) < n ? "..." :
				    "", TMPL_MAX_NAME);
				goto fail;
			}
			if (tmpl_add_var(b, name, n, line, &idx, cause) != 0)
				goto fail;
			if (used != start)
				tmpl_add_seg(c, start, used - start,
				    TMPL_LITERAL);
			tmpl_add_seg(c, 0, 0, idx);
			start = used;
			p = close + 1;
			continue;
		}
		c->text[used++] = *p++;
	}
	if (used != start)
		tmpl_add_seg(c, start, used - start, TMPL_LITERAL);
	c->text[used] = '\0';
	return (0);

fail:
	tmpl_build_free(b);
	return (-1);
}

/* Parse "# params:" into t (one name per comma). */
static int
tmpl_parse_params(struct tmpl *t, const char *v, size_t vlen,
    unsigned int line, char **cause)
{
	const char	*p = v, *end = v + vlen, *comma, *s, *e;
	size_t		 i, n;

	if (vlen == 0)
		return (0);
	for (;;) {
		if ((comma = memchr(p, ',', end - p)) == NULL)
			comma = end;
		s = p;
		e = comma;
		while (s < e && *s == ' ')
			s++;
		while (e > s && e[-1] == ' ')
			e--;
		n = (size_t)(e - s);
		if (n == 0) {
			tmpl_error(cause, line, "empty name in params");
			return (-1);
		}
		if (!tmpl_name_ok(s, n)) {
			tmpl_error(cause, line, "bad parameter name '%.*s' "
			    "(1 to %d of a-z, 0-9 and _)", tmpl_show(s, n), s,
			    TMPL_MAX_NAME);
			return (-1);
		}
		for (i = 0; i < t->nparams; i++) {
			if (strlen(t->params[i]) == n &&
			    memcmp(t->params[i], s, n) == 0) {
				tmpl_error(cause, line, "params lists '%.*s' "
				    "twice", (int)n, s);
				return (-1);
			}
		}
		if (t->nparams == TMPL_MAX_VARS) {
			tmpl_error(cause, line, "more than %d params",
			    TMPL_MAX_VARS);
			return (-1);
		}
		t->params = xreallocarray(t->params, t->nparams + 1,
		    sizeof *t->params);
		t->params[t->nparams++] = xstrndup(s, n);
		if (comma == end)
			return (0);
		p = comma + 1;
	}
}

/* 1 when name (n bytes) is one of the template's params. */
static int
tmpl_has_param(const struct tmpl *t, const char *name, size_t n)
{
	size_t	i;

	for (i = 0; i < t->nparams; i++) {
		if (strlen(t->params[i]) == n &&
		    memcmp(t->params[i], name, n) == 0)
			return (1);
	}
	return (0);
}

/*
 * Check an "# example:" line: "name=value; name=value" giving a
 * non-empty value to every parameter and nothing else.
 */
static int
tmpl_check_example(const struct tmpl *t, const char *v, size_t vlen,
    unsigned int line, char **cause)
{
	const char	*p = v, *end = v + vlen, *sep, *eq;
	size_t		 i, n, seen = 0;
	unsigned char	 got[TMPL_MAX_VARS];

	memset(got, 0, sizeof got);
	while (p < end) {
		sep = p;
		while ((sep = memchr(sep, ';', end - sep)) != NULL &&
		    (sep + 1 == end || sep[1] != ' '))
			sep++;
		if (sep == NULL)
			sep = end;
		if ((eq = memchr(p, '=', sep - p)) == NULL) {
			tmpl_error(cause, line, "example entry '%.*s' is not "
			    "name=value", tmpl_show(p, sep - p), p);
			return (-1);
		}
		n = (size_t)(eq - p);
		for (i = 0; i < t->nparams; i++) {
			if (strlen(t->params[i]) == n &&
			    memcmp(t->params[i], p, n) == 0)
				break;
		}
		if (i == t->nparams) {
			tmpl_error(cause, line, "example gives '%.*s' which "
			    "params does not list", tmpl_show(p, n), p);
			return (-1);
		}
		if (got[i]) {
			tmpl_error(cause, line, "example gives '%s' twice",
			    t->params[i]);
			return (-1);
		}
		if (eq + 1 == sep) {
			tmpl_error(cause, line, "example gives '%s' no value",
			    t->params[i]);
			return (-1);
		}
		got[i] = 1;
		seen++;
		p = sep == end ? end : sep + 2;
	}
	if (seen != t->nparams) {
		for (i = 0; got[i]; i++)
			/* nothing */;
		tmpl_error(cause, line, "example has no value for '%s'",
		    t->params[i]);
		return (-1);
	}
	return (0);
}

/* Store a header value (category or description) once. */
static int
tmpl_header_once(char **field, const char *key, const char *v, size_t vlen,
    unsigned int line, char **cause)
{
	if (*field != NULL) {
		tmpl_error(cause, line, "second '# %s:' line", key);
		return (-1);
	}
	if (vlen == 0) {
		tmpl_error(cause, line, "empty %s", key);
		return (-1);
	}
	*field = xstrndup(v, vlen);
	return (0);
}

/*
 * Parse one header line (without its newline, starting with '#') into t.
 * Examples are only remembered: they are checked once params is known.
 */
static int
tmpl_header(struct tmpl *t, const char *s, size_t len, unsigned int line,
    unsigned int *pline, const char **ex, size_t *exlen, unsigned int *exline,
    size_t *nex, char **cause)
{
	const char	*p = s + 1, *end = s + len, *key;
	size_t		 klen, vlen;

	while (p < end && *p == ' ')
		p++;
	key = p;
	while (p < end && *p != ':' && *p != ' ')
		p++;
	klen = (size_t)(p - key);
	if (klen == 0 || p == end || *p != ':') {
		tmpl_error(cause, line, "header line is not '# key: value'");
		return (-1);
	}
	p++;
	while (p < end && *p == ' ')
		p++;
	while (end > p && end[-1] == ' ')
		end--;
	vlen = (size_t)(end - p);

	if (klen == 8 && memcmp(key, "category", 8) == 0)
		return (tmpl_header_once(&t->category, "category", p, vlen,
		    line, cause));
	if (klen == 11 && memcmp(key, "description", 11) == 0)
		return (tmpl_header_once(&t->description, "description", p,
		    vlen, line, cause));
	if (klen == 6 && memcmp(key, "params", 6) == 0) {
		if (*pline != 0) {
			tmpl_error(cause, line, "second '# params:' line");
			return (-1);
		}
		*pline = line;
		return (tmpl_parse_params(t, p, vlen, line, cause));
	}
	if (klen == 7 && memcmp(key, "example", 7) == 0) {
		/* Each example has its own line, so no more than lines. */
		ex[*nex] = p;
		exlen[*nex] = vlen;
		exline[*nex] = line;
		(*nex)++;
		return (0);
	}
	tmpl_error(cause, line, "unknown header key '%.*s'",
	    tmpl_show(key, klen), key);
	return (-1);
}

/*
 * Check that params lists exactly the body's own variables, naming the
 * first difference.
 */
static int
tmpl_check_params(const struct tmpl *t, const struct tmpl_build *b,
    unsigned int pline, char **cause)
{
	size_t	i, j;

	for (i = 0; i < t->nparams; i++) {
		if (tmpl_builtin_var(t->params[i])) {
			tmpl_error(cause, pline, "params lists '%s' which "
			    "civicast fills itself", t->params[i]);
			return (-1);
		}
		for (j = 0; j < b->nvars; j++) {
			if (strcmp(t->params[i], b->vars[j]) == 0)
				break;
		}
		if (j == b->nvars) {
			tmpl_error(cause, pline, "params lists '%s' which "
			    "the body does not use", t->params[i]);
			return (-1);
		}
	}
	for (j = 0; j < b->nvars; j++) {
		if (tmpl_builtin_var(b->vars[j]))
			continue;
		if (!tmpl_has_param(t, b->vars[j], strlen(b->vars[j]))) {
			tmpl_error(cause, b->varline[j], "body uses ${%s} "
			    "which params does not list", b->vars[j]);
			return (-1);
		}
	}
	return (0);
}

/* Parse one template from text. */
struct tmpl *
tmpl_parse(const char *name, const char *text, size_t len, char **cause)
{
	struct tmpl		 *t;
	struct tmpl_build	  b;
	const char		 *p, *end, *nl, *body, **ex = NULL;
	size_t			  blen, i, nex = 0, *exlen = NULL, nlines = 1;
	unsigned int		  line = 1, bline, *exline = NULL;
	unsigned int		  pline = 0;

	*cause = NULL;
	if (name == NULL || !tmpl_name_ok(name, strlen(name))) {
		tmpl_error(cause, 1, "bad template name '%.*s' (1 to %d of "
		    "a-z, 0-9 and _)", name == NULL ? 0 :
		    tmpl_show(name, strlen(name)), name == NULL ? "" : name,
		    TMPL_MAX_NAME);
		return (NULL);
	}
	if (text == NULL)
		text = "";
	/* Windows editors add a BOM; it is not part of anything. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;
		len -= 3;
	}
	if (tmpl_check_text(text, len, cause) != 0)
		return (NULL);

	t = xcalloc(1, sizeof *t);
	t->name = xstrdup(name);
	p = text;
	end = text + len;
	for (nl = p; (nl = memchr(nl, '\n', end - nl)) != NULL; nl++)
		nlines++;
	ex = xreallocarray(NULL, nlines, sizeof *ex);
	exlen = xreallocarray(NULL, nlines, sizeof *exlen);
	exline = xreallocarray(NULL, nlines, sizeof *exline);

	/* The header: the lines at the top that start with '#'. */
	while (p < end && *p == '#') {
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			nl = end;
		if (tmpl_header(t, p, (size_t)(nl - p), line, &pline,
		    ex, exlen, exline, &nex, cause) != 0)
			goto fail;
		p = nl == end ? end : nl + 1;
		line++;
	}

	/* The body: the rest without its final newline. */
	body = p;
	bline = line;
	blen = (size_t)(end - p);
	if (blen > 0 && body[blen - 1] == '\n')
		blen--;
	if (blen == 0) {
		tmpl_error(cause, bline, "no body after the header");
		goto fail;
	}
	if (blen > TMPL_MAX_BODY) {
		tmpl_error(cause, bline, "body longer than %d bytes",
		    TMPL_MAX_BODY);
		goto fail;
	}
	if (body[0] == '\n') {
		/* It would be sent: the README warns about exactly this. */
		tmpl_error(cause, bline, "blank line between the header and "
		    "the body");
		goto fail;
	}
	for (i = 0; i < blen; i++) {
		if (body[i] != '\n')
			continue;
		line++;
		if (i + 1 == blen) {
			tmpl_error(cause, line, "blank line at the end of the "
			    "body");
			goto fail;
		}
		if (body[i + 1] == '#') {
			tmpl_error(cause, line, "header line after the body");
			goto fail;
		}
	}

	if (tmpl_compile(body, blen, bline, &b, cause) != 0)
		goto fail;
	if (tmpl_check_params(t, &b, pline, cause) != 0) {
		tmpl_build_free(&b);
		goto fail;
	}
	for (i = 0; i < nex; i++) {
		if (tmpl_check_example(t, ex[i], exlen[i], exline[i],
		    cause) != 0) {
			tmpl_build_free(&b);
			goto fail;
		}
	}
	free(ex);
	free(exlen);
	free(exline);

	t->body = xstrndup(body, blen);
	t->vars = b.vars;
	t->nvars = b.nvars;
	t->compiled = b.c;
	free(b.varline);
	return (t);

fail:
	free(ex);
	free(exlen);
	free(exline);
	tmpl_free(t);
	return (NULL);
}

/* Free a template. */
void
tmpl_free(struct tmpl *t)
{
	size_t	i;

	if (t == NULL)
		return;
	free(t->name);
	free(t->category);
	free(t->description);
	for (i = 0; i < t->nparams; i++)
		free(t->params[i]);
	free(t->params);
	free(t->body);
	for (i = 0; i < t->nvars; i++)
		free(t->vars[i]);
	free(t->vars);
	tmpl_compiled_free(t->compiled);
	free(t);
}

static int
tmpl_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* The NAME.txt file names of dir, sorted; -1 if it cannot be read. */
static int
tmpl_list_dir(const char *dir, char ***files, size_t *nfiles, char **cause)
{
	struct dirent	*de;
	DIR		*d;
	size_t		 n;

	*files = NULL;
	*nfiles = 0;
	if ((d = opendir(dir)) == NULL) {
		xasprintf(cause, "%s: %s", dir, strerror(errno));
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		/* Hidden files are editor leftovers, not templates. */
		if (de->d_name[0] == '.' || n <= 4 ||
		    strcmp(de->d_name + n - 4, ".txt") != 0)
			continue;
		*files = xreallocarray(*files, *nfiles + 1, sizeof **files);
		(*files)[(*nfiles)++] = xstrdup(de->d_name);
	}
	closedir(d);
	/* Sorted, so the set is in name order and errors come in order. */
	if (*nfiles > 1)
		qsort(*files, *nfiles, sizeof **files, tmpl_cmp);
	return (0);
}

/* Load every NAME.txt of dir. */
struct tmpl_set *
tmpl_set_load(const char *dir, char **cause)
{
	struct tmpl_set	 *set;
	struct tmpl	 *t;
	struct buf	  errs;
	char		**files, *path, *text, *name, *why;
	const char	 *slash;
	size_t		  nfiles, i, len;

	*cause = NULL;
	if (tmpl_list_dir(dir, &files, &nfiles, cause) != 0)
		return (NULL);
	slash = (*dir != '\0' && dir[strlen(dir) - 1] == '/') ? "" : "/";
	set = xcalloc(1, sizeof *set);
	buf_init(&errs, 0);
	for (i = 0; i < nfiles; i++) {
		xasprintf(&path, "%s%s%s", dir, slash, files[i]);
		if (util_read_file(path, TMPL_MAX_FILE, &text, &len,
		    &why) != 0) {
			/* Already "PATH: reason": there is no line. */
			buf_printf(&errs, "%s\n", why);
			free(why);
			free(path);
			continue;
		}
		name = xstrndup(files[i], strlen(files[i]) - 4);
		if ((t = tmpl_parse(name, text, len, &why)) == NULL) {
			buf_printf(&errs, "%s:%s\n", path, why);
			free(why);
		} else {
			set->list = xreallocarray(set->list, set->n + 1,
			    sizeof *set->list);
			set->list[set->n++] = t;
		}
		free(name);
		free(text);
		free(path);
	}
	for (i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);

	if (errs.len != 0) {
		errs.data[--errs.len] = '\0';	/* the last newline */
		*cause = buf_steal(&errs);
		tmpl_set_free(set);
		return (NULL);
	}
	buf_free(&errs);
	return (set);
}

/* Free a set. */
void
tmpl_set_free(struct tmpl_set *set)
{
	size_t	i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++)
		tmpl_free(set->list[i]);
	free(set->list);
	free(set);
}

/* The template of that name, or NULL. */
const struct tmpl *
tmpl_find(const struct tmpl_set *set, const char *name)
{
	size_t	lo = 0, hi, mid;
	int	c;

	if (set == NULL || name == NULL)
		return (NULL);
	hi = set->n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(name, set->list[mid]->name);
		if (c == 0)
			return (set->list[mid]);
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (NULL);
}

/* Number of templates. */
size_t
tmpl_count(const struct tmpl_set *set)
{
	return (set == NULL ? 0 : set->n);
}

/* The i-th template in name order, or NULL. */
const struct tmpl *
tmpl_get(const struct tmpl_set *set, size_t i)
{
	if (set == NULL || i >= set->n)
		return (NULL);
	return (set->list[i]);
}

/*
 * Append a value with control characters and invalid UTF-8 bytes left
 * out.  Clean runs are appended whole, so a typical value costs one
 * scan and one copy.
 */
static int
tmpl_add_value(struct buf *out, const char *value)
{
	const unsigned char	*s = (const unsigned char *)value;
	const unsigned char	*run = s;
	unsigned int		 cp;
	size_t			 n;

	while (*s != '\0') {
		if (*s >= 0x20 && *s < 0x7f) {
			s++;
			continue;
		}
		n = utf8_decode(s, 4, &cp);
		if (n != 0 && !tmpl_control(cp)) {
			s += n;
			continue;
		}
		if (s != run && buf_add(out, run, (size_t)(s - run)) != 0)
			return (-1);
		s += n == 0 ? 1 : n;
		run = s;
	}
	if (s != run && buf_add(out, run, (size_t)(s - run)) != 0)
		return (-1);
	return (0);
}

/* Render a compiled body whose variables are vars[]. */
static int
tmpl_render_compiled(const struct tmpl_compiled *c, char **vars,
    size_t nvars, const char *(*lookup)(void *, const char *), void *arg,
    struct buf *out, char **cause)
{
	const char		*vals[TMPL_MAX_VARS];
	const struct tmpl_seg	*seg;
	size_t			 i, saved = out->len;

	/* Every value first: a missing one must not leave half a text. */
	for (i = 0; i < nvars; i++) {
		if ((vals[i] = lookup(arg, vars[i])) == NULL) {
			xasprintf(cause, "missing value for ${%s}", vars[i]);
			return (-1);
		}
	}
	for (i = 0; i < c->nsegs; i++) {
		seg = &c->segs[i];
		if (seg->var == TMPL_LITERAL) {
			if (buf_add(out, c->text + seg->off, seg->len) != 0)
				goto toolong;
		} else if (tmpl_add_value(out, vals[seg->var]) != 0)
			goto toolong;
	}
	return (0);

toolong:
	out->len = saved;
	if (out->data != NULL)
		out->data[saved] = '\0';
	xasprintf(cause, "message longer than %zu bytes", out->max);
	return (-1);
}

/* Render into out; nothing is left in out on failure. */
int
tmpl_render(const struct tmpl *t, const char *(*lookup)(void *,
    const char *), void *arg, struct buf *out, char **cause)
{
	struct tmpl_build	b;
	char			*why;
	int			 rc;

	*cause = NULL;
	if (t->compiled != NULL)
		return (tmpl_render_compiled(t->compiled, t->vars, t->nvars,
		    lookup, arg, out, cause));

	/* Filled in by hand, not by tmpl_parse: compile a copy. */
	if (t->body == NULL) {
		*cause = xstrdup("template has no body");
		return (-1);
	}
	if (tmpl_check_text(t->body, strlen(t->body), &why) != 0 ||
	    tmpl_compile(t->body, strlen(t->body), 1, &b, &why) != 0) {
		xasprintf(cause, "bad template body: %s", why);
		free(why);
		return (-1);
	}
	rc = tmpl_render_compiled(b.c, b.vars, b.nvars, lookup, arg, out,
	    cause);
	tmpl_build_free(&b);
	return (rc);
}
