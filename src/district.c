/*
 * district.c: China's administrative divisions in one sorted array.
 *
 * The CLI loads the whole shipped table (44,703 rows) for every command
 * that checks a district, inside a 50 ms budget, so a load is one read,
 * one pass and a few allocations: the file buffer (names point into it),
 * the array of divisions and the children buffer.
 *
 * A code's ancestors are its prefixes and every level has a fixed width,
 * so in strcmp order each division comes right after its parent and a
 * whole subtree is one contiguous run.  Lookups and children are binary
 * searches over that run.
 */
#include "compat.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "district.h"
#include "log.h"
#include "utf8.h"
#include "xmalloc.h"

/* Longest name district_table_add accepts, in bytes. */
#define DISTRICT_NAME_MAX	64
/* Largest table file read; the shipped one is 1.7 MB. */
#define DISTRICT_FILE_MAX	(64 * 1024 * 1024)
#define DISTRICT_HEADER		"code,name,parent,level"
#define DISTRICT_SHAPE_MSG \
	"district code must be 2, 4, 6, 9 or 12 digits"

struct district_table {
	struct district		 *v;		/* sorted by code */
	size_t			  n;
	size_t			  cap;
	/*
	 * What district_children() returns: always as long as v, so no call
	 * allocates, and reused by every call.
	 */
	const struct district	**kids;
	/* File buffers and added names that the entries' names point into. */
	char			**owned;
	size_t			  nowned;
	size_t			  ownedcap;
};

/* A row and its line, to sort an unsorted file and still say where. */
struct district_row {
	struct district	 d;
	size_t		 line;
};

static const char *district_levels[DISTRICT_NLEVELS] = {
	"province", "prefecture", "county", "township", "village"
};
static const size_t district_lens[DISTRICT_NLEVELS] = { 2, 4, 6, 9, 12 };

/* Level index (0 province to 4 village) of a code length, or -1. */
static int
district_level(size_t len)
{
	switch (len) {
	case 2:
		return (0);
	case 4:
		return (1);
	case 6:
		return (2);
	case 9:
		return (3);
	case 12:
		return (4);
	}
	return (-1);
}

/* 1 when the len bytes at s are a code: all ASCII digits, a valid length. */
static int
district_shape_okn(const char *s, size_t len)
{
	size_t	i;

	if (district_level(len) == -1)
		return (0);
	for (i = 0; i < len; i++) {
		/* Not isdigit(): some locales accept more than 0-9. */
		if (s[i] < '0' || s[i] > '9')
			return (0);
	}
	return (1);
}

/* 1 when code is all digits of length 2, 4, 6, 9 or 12. */
int
district_shape_ok(const char *code)
{
	if (code == NULL)
		return (0);
	return (district_shape_okn(code, strnlen(code, DISTRICT_BUFSIZE)));
}

/* Length of the parent code for a code of this length (0 for provinces). */
size_t
district_parent_len(size_t len)
{
	int	k = district_level(len);

	if (k <= 0)
		return (0);
	return (district_lens[k - 1]);
}

/* English level name for a code length; "?" for a bad length. */
const char *
district_level_name(size_t len)
{
	int	k = district_level(len);

	if (k == -1)
		return ("?");
	return (district_levels[k]);
}

/*
 * Fill out with the code and its ancestors, province first; returns how
 * many (1 to 5), or 0 when the code has a bad shape.
 */
size_t
district_prefixes(const char *code,
    char out[DISTRICT_NLEVELS][DISTRICT_BUFSIZE])
{
	int	k, i;

	if (!district_shape_ok(code))
		return (0);
	k = district_level(strlen(code));
	for (i = 0; i <= k; i++) {
		memcpy(out[i], code, district_lens[i]);
		out[i][district_lens[i]] = '\0';
	}
	return ((size_t)k + 1);
}

/* Why the len bytes at s are not a usable name, or NULL. */
static const char *
district_name_error(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	const unsigned char	*end = p + len;
	unsigned int		 cp;
	size_t			 n;

	if (len == 0)
		return ("empty name");
	while (p < end) {
		if ((n = utf8_decode(p, (size_t)(end - p), &cp)) == 0)
			return ("name is not valid UTF-8");
		/* C0, DEL and the C1 controls (U+0080 to U+009F). */
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return ("name contains a control character");
		p += n;
	}
	return (NULL);
}

/*
 * First index whose code's first n bytes compare greater than or equal to
 * key's (strictly greater when after is set).  Cutting every code to n
 * bytes keeps the strcmp order, so this is a plain binary search.
 */
static size_t
district_bound(const struct district_table *t, const char *key, size_t n,
    int after)
{
	size_t	lo = 0, hi = t->n, mid;
	int	c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strncmp(t->v[mid].code, key, n);
		if (c < 0 || (after && c == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo);
}

/* The division whose code is the first len bytes of code, or NULL. */
static const struct district *
district_findn(const struct district_table *t, const char *code, size_t len)
{
	char	key[DISTRICT_BUFSIZE];

	if (len > DISTRICT_MAXLEN)
		return (NULL);
	memcpy(key, code, len);
	key[len] = '\0';
	return (district_find(t, key));
}

/* The division with exactly this code, or NULL. */
const struct district *
district_find(const struct district_table *t, const char *code)
{
	size_t	i;

	if (code == NULL || strnlen(code, DISTRICT_BUFSIZE) > DISTRICT_MAXLEN)
		return (NULL);
	i = district_bound(t, code, DISTRICT_BUFSIZE, 0);
	if (i < t->n && strcmp(t->v[i].code, code) == 0)
		return (&t->v[i]);
	return (NULL);
}

/* An empty table. */
struct district_table *
district_table_new(void)
{
	struct district_table	*t;

	t = xcalloc(1, sizeof *t);
	return (t);
}

/* Free a table. */
void
district_table_free(struct district_table *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nowned; i++)
		free(t->owned[i]);
	free(t->owned);
	free(t->kids);
	free(t->v);
	free(t);
}

/* Number of divisions in the table. */
size_t
district_table_count(const struct district_table *t)
{
	return (t->n);
}

/* Keep p until the table is freed. */
static void
district_own(struct district_table *t, char *p)
{
	if (t->nowned == t->ownedcap) {
		t->ownedcap = t->ownedcap == 0 ? 8 : t->ownedcap * 2;
		t->owned = xreallocarray(t->owned, t->ownedcap,
		    sizeof *t->owned);
	}
	t->owned[t->nowned++] = p;
}

/* Make room for at least want divisions; kids grows with v. */
static void
district_reserve(struct district_table *t, size_t want)
{
	size_t	cap = t->cap;

	if (want <= cap && t->kids != NULL)
		return;
	if (cap < 16)
		cap = 16;
	while (cap < want)
		cap *= 2;
	t->v = xreallocarray(t->v, cap, sizeof *t->v);
	t->kids = xreallocarray(t->kids, cap, sizeof *t->kids);
	t->cap = cap;
}

/*
 * Read a whole regular file into one NUL-terminated buffer sized by
 * fstat.  Not through struct buf: that would copy through a bounce
 * buffer and regrow several times, and the size is capped here anyway.
 */
static int
district_read(const char *path, char **out, size_t *outlen, char **cause)
{
	struct stat	 st;
	char		*data;
	size_t		 size, len = 0;
	ssize_t		 r;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		close(fd);
		return (-1);
	}
	if (!S_ISREG(st.st_mode)) {
		xasprintf(cause, "%s: not a regular file", path);
		close(fd);
		return (-1);
	}
	if (st.st_size > DISTRICT_FILE_MAX) {
		xasprintf(cause, "%s: file too large", path);
		close(fd);
		return (-1);
	}
	size = (size_t)st.st_size;
	data = xmalloc(size + 1);
	while (len < size) {
		r = read(fd, data + len, size - len);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			xasprintf(cause, "%s: %s", path, strerror(errno));
			free(data);
			close(fd);
			return (-1);
		}
		/* Shrunk since fstat: take what is there. */
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	data[len] = '\0';
	*out = data;
	*outlen = len;
	return (0);
}

/*
 * Parse the row at p (the file ends at end) into d and point *next past
 * its newline.  The comma after the name becomes its NUL so d->name
 * points into the file buffer.  Returns NULL or why the row is bad
 * (allocated).
 */
static char *
district_parse_row(char *p, char *end, struct district *d, char **next)
{
	char		*comma[3] = { NULL, NULL, NULL };
	char		*q, *c1, *c2, *c3, *parent, *level;
	const char	*why, *want;
	size_t		 nc = 0, len, plen;
	int		 quoted = 0;
	char		*msg;

	/* One scan finds the line end, the commas and any quote. */
	for (q = p; q < end && *q != '\n'; q++) {
		if (*q == ',') {
			if (nc < nitems(comma))
				comma[nc] = q;
			nc++;
		} else if (*q == '"')
			quoted = 1;
	}
	*next = q < end ? q + 1 : end;
	/* CRLF from Windows editors is harmless: drop the CR. */
	if (q > p && q[-1] == '\r')
		q--;
	/* Blank lines would break "row i is on line i + 2". */
	if (q == p)
		return (xstrdup("empty line"));
	/*
	 * The table is generated, not exported from Excel, so no field is
	 * quoted; a quote means a file this strict reader would misread.
	 */
	if (quoted)
		return (xstrdup("quoted fields are not supported"));
	if (nc != nitems(comma))
		return (xstrdup("expected 4 fields: code,name,parent,level"));
	c1 = comma[0];
	c2 = comma[1];
	c3 = comma[2];
	end = q;

	len = (size_t)(c1 - p);
	if (!district_shape_okn(p, len))
		return (xstrdup(DISTRICT_SHAPE_MSG));
	memcpy(d->code, p, len);
	d->code[len] = '\0';
	d->len = (unsigned char)len;

	/*
	 * Names are not held to DISTRICT_NAME_MAX here: the shipped table has
	 * NBS names of up to 72 bytes (development zones) and they are facts.
	 */
	if ((why = district_name_error(c1 + 1, (size_t)(c2 - c1 - 1))) != NULL)
		return (xstrdup(why));
	*c2 = '\0';
	d->name = c1 + 1;

	parent = c2 + 1;
	plen = district_parent_len(len);
	if ((size_t)(c3 - parent) != plen || memcmp(parent, p, plen) != 0) {
		if (plen == 0)
			return (xstrdup("a province's parent must be empty"));
		xasprintf(&msg, "parent must be %.*s, the code's prefix one "
		    "level up", (int)plen, p);
		return (msg);
	}

	level = c3 + 1;
	want = district_level_name(len);
	if ((size_t)(end - level) != strlen(want) ||
	    memcmp(level, want, strlen(want)) != 0) {
		xasprintf(&msg, "level must be \"%s\" for a %zu-digit code",
		    want, len);
		return (msg);
	}
	return (NULL);
}

static int
district_row_cmp(const void *a, const void *b)
{
	const struct district_row	*ra = a, *rb = b;

	return (strcmp(ra->d.code, rb->d.code));
}

/*
 * Sort rows that came out of order, keeping their lines for messages.
 * Returns the rows (v itself is sorted too), or NULL with *why and *line
 * for a duplicate code.
 */
static struct district_row *
district_sort(struct district *v, size_t n, char **why, size_t *line)
{
	struct district_row	*rows;
	size_t			 i, a, b;

	rows = xreallocarray(NULL, n, sizeof *rows);
	for (i = 0; i < n; i++) {
		rows[i].d = v[i];
		rows[i].line = i + 2;
	}
	qsort(rows, n, sizeof *rows, district_row_cmp);
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(rows[i - 1].d.code, rows[i].d.code) == 0) {
			a = rows[i - 1].line;
			b = rows[i].line;
			*line = a > b ? a : b;
			xasprintf(why, "duplicate code %s (also on line %zu)",
			    rows[i].d.code, a > b ? b : a);
			free(rows);
			return (NULL);
		}
		v[i] = rows[i].d;
	}
	return (rows);
}

/*
 * Check that every sorted row's parent is known, in the rows or in the
 * table, and that no row is already in the table.  In sorted order the
 * last row seen one level up is the parent if the parent is there at
 * all: everything between a division and its child is the division's
 * descendant, so no check needs a search.  rows gives the lines of an
 * unsorted file (NULL: row i is on line i + 2).
 */
static int
district_check_rows(const struct district_table *t, const struct district *v,
    size_t n, const struct district_row *rows, char **why, size_t *line)
{
	const struct district	*last[DISTRICT_NLEVELS] = { NULL };
	const struct district	*d, *up;
	size_t			 i, plen;
	int			 k;

	for (i = 0; i < n; i++) {
		d = &v[i];
		if ((k = district_level(d->len)) == -1)
			fatalx("%s: bad length %u", __func__, d->len);
		last[k] = d;
		if (t->n != 0 && district_find(t, d->code) != NULL) {
			xasprintf(why, "code %s is already in the table",
			    d->code);
			goto bad;
		}
		if (k == 0)
			continue;
		plen = district_lens[k - 1];
		up = last[k - 1];
		if (up != NULL && memcmp(up->code, d->code, plen) == 0)
			continue;
		if (district_findn(t, d->code, plen) != NULL)
			continue;
		xasprintf(why, "unknown parent %.*s", (int)plen, d->code);
		goto bad;
	}
	return (0);

bad:
	*line = rows != NULL ? rows[i].line : i + 2;
	return (-1);
}

/* Merge the sorted rows v (allocated for cap) into the table. */
static void
district_merge(struct district_table *t, struct district *v, size_t n,
    size_t cap)
{
	struct district	*m;
	size_t		 i = 0, j = 0, k = 0;

	if (t->n == 0) {
		free(t->v);
		t->v = v;
		t->n = n;
		t->cap = cap;
		t->kids = xreallocarray(t->kids, cap, sizeof *t->kids);
		return;
	}
	m = xreallocarray(NULL, t->n + n, sizeof *m);
	while (i < t->n && j < n) {
		if (strcmp(t->v[i].code, v[j].code) < 0)
			m[k++] = t->v[i++];
		else
			m[k++] = v[j++];
	}
	while (i < t->n)
		m[k++] = t->v[i++];
	while (j < n)
		m[k++] = v[j++];
	free(t->v);
	free(v);
	t->v = m;
	t->n = t->cap = k;
	t->kids = xreallocarray(t->kids, k, sizeof *t->kids);
}

/*
 * Parse the file in data into a new sorted array of rows, checked against
 * the table (which is not changed).  Returns -1 with *why and *line.
 */
static int
district_parse(const struct district_table *t, char *data, size_t len,
    struct district **out, size_t *outn, size_t *outcap, char **why,
    size_t *line)
{
	char			*p = data, *end = data + len, *nl, *eol;
	struct district		*v;
	struct district_row	*rows = NULL;
	size_t			 n = 0, cap;
	int			 sorted = 1, c;

	/* Excel's "CSV UTF-8" starts with a BOM: allow one. */
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;

	*line = 1;
	nl = memchr(p, '\n', (size_t)(end - p));
	eol = nl != NULL ? nl : end;
	if (eol > p && eol[-1] == '\r')
		eol--;
	if ((size_t)(eol - p) != strlen(DISTRICT_HEADER) ||
	    memcmp(p, DISTRICT_HEADER, strlen(DISTRICT_HEADER)) != 0) {
		*why = xstrdup("expected header \"" DISTRICT_HEADER "\"");
		return (-1);
	}
	p = nl != NULL ? nl + 1 : end;

	/*
	 * Shipped rows average 38 bytes, so this guess holds the whole table
	 * in one allocation; shorter rows only cost a regrowth.
	 */
	cap = len / 32 + 64;
	v = xreallocarray(NULL, cap, sizeof *v);

	while (p < end) {
		(*line)++;
		if (n == cap) {
			cap *= 2;
			v = xreallocarray(v, cap, sizeof *v);
		}
		if ((*why = district_parse_row(p, end, &v[n], &p)) != NULL)
			goto fail;
		if (n > 0 && sorted) {
			c = strcmp(v[n - 1].code, v[n].code);
			if (c == 0) {
				xasprintf(why, "duplicate code %s (also on "
				    "line %zu)", v[n].code, *line - 1);
				goto fail;
			}
			if (c > 0)
				sorted = 0;
		}
		n++;
	}

	/* The shipped table is sorted; sort only what is not. */
	if (!sorted && (rows = district_sort(v, n, why, line)) == NULL)
		goto fail;
	if (district_check_rows(t, v, n, rows, why, line) != 0)
		goto fail;
	free(rows);
	*out = v;
	*outn = n;
	*outcap = cap;
	return (0);

fail:
	free(rows);
	free(v);
	return (-1);
}

/*
 * Load a "code,name,parent,level" CSV, adding its rows to the table.  A
 * bad row fails the whole load with "FILE:LINE: reason" and leaves the
 * table as it was.
 */
int
district_table_load(struct district_table *t, const char *path,
    char **cause)
{
	struct district	*v;
	char		*data, *why;
	size_t		 len, n, cap, line;

	if (district_read(path, &data, &len, cause) != 0)
		return (-1);
	if (district_parse(t, data, len, &v, &n, &cap, &why, &line) != 0) {
		xasprintf(cause, "%s:%zu: %s", path, line, why);
		free(why);
		free(data);
		return (-1);
	}
	district_merge(t, v, n, cap);
	district_own(t, data);
	return (0);
}

/*
 * Add a division, or rename it when the code is known.  Insertion keeps
 * the array sorted with one memmove: adds are operator commands, a few at
 * a time, and even 1000 villages into the full table cost well under a
 * second, while a lazily sorted overflow would make const lookups write.
 */
int
district_table_add(struct district_table *t, const char *code,
    const char *name, char **cause)
{
	struct district	*d;
	const char	*why;
	char		*copy;
	size_t		 len, plen, i;

	if (!district_shape_ok(code)) {
		*cause = xstrdup(DISTRICT_SHAPE_MSG);
		return (-1);
	}
	if (name == NULL)
		name = "";
	if ((why = district_name_error(name, strlen(name))) != NULL) {
		*cause = xstrdup(why);
		return (-1);
	}
	if (strlen(name) > DISTRICT_NAME_MAX) {
		xasprintf(cause, "name longer than %d bytes",
		    DISTRICT_NAME_MAX);
		return (-1);
	}

	len = strlen(code);
	i = district_bound(t, code, DISTRICT_BUFSIZE, 0);
	if (i < t->n && strcmp(t->v[i].code, code) == 0) {
		copy = xstrdup(name);
		district_own(t, copy);
		t->v[i].name = copy;
		return (0);
	}
	plen = district_parent_len(len);
	if (plen != 0 && district_findn(t, code, plen) == NULL) {
		xasprintf(cause, "unknown parent %.*s", (int)plen, code);
		return (-1);
	}

	district_reserve(t, t->n + 1);
	memmove(&t->v[i + 1], &t->v[i], (t->n - i) * sizeof *t->v);
	d = &t->v[i];
	memcpy(d->code, code, len + 1);
	d->len = (unsigned char)len;
	copy = xstrdup(name);
	district_own(t, copy);
	d->name = copy;
	t->n++;
	return (0);
}

/*
 * 0 when code is known, or is a village whose township is known: villages
 * are not in the shipped table, so a village is as good as its township.
 */
int
district_check(const struct district_table *t, const char *code,
    const char **cause)
{
	size_t	len;

	if (!district_shape_ok(code)) {
		if (cause != NULL)
			*cause = DISTRICT_SHAPE_MSG;
		return (-1);
	}
	if (district_find(t, code) != NULL)
		return (0);
	len = strlen(code);
	if (len == DISTRICT_MAXLEN &&
	    district_findn(t, code, district_parent_len(len)) != NULL)
		return (0);
	if (cause != NULL)
		*cause = "unknown district code";
	return (-1);
}

/*
 * The direct children of code ("" for the provinces), sorted.  *out is a
 * buffer owned by the table, valid until the next district_children(),
 * district_table_add(), district_table_load() or district_table_free() on
 * that table; the pointers in it die with the same calls.
 */
size_t
district_children(const struct district_table *t, const char *code,
    const struct district ***out)
{
	const struct district	*d;
	size_t			 len, clen, i, n = 0;

	*out = t->kids;
	len = strlen(code);
	if (len == 0)
		clen = district_lens[0];
	else {
		if (!district_shape_ok(code) || len == DISTRICT_MAXLEN)
			return (0);
		clen = district_lens[district_level(len) + 1];
	}

	/* The subtree of code is the run of codes starting with it. */
	i = district_bound(t, code, len, 0);
	while (i < t->n && strncmp(t->v[i].code, code, len) == 0) {
		d = &t->v[i];
		if (d->len < clen) {
			i++;		/* code itself */
			continue;
		}
		if (d->len == clen)
			t->kids[n++] = d;
		/* Jump over this child's own subtree. */
		i = district_bound(t, d->code, clen, 1);
	}
	return (n);
}
