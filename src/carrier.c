/*
 * carrier.c: the carrier of a Chinese mobile number, by prefix.
 *
 * The table (data/carriers.csv) is a few dozen rows of 3- to 7-digit
 * prefixes.  A load reads the file once and builds a decimal trie in one
 * array; a lookup walks at most 7 digits of the number and keeps the
 * last carrier seen, so the longest prefix wins.
 */
#include "compat.h"

#include <stdlib.h>
#include <string.h>

#include "carrier.h"
#include "util.h"
#include "xmalloc.h"

#define CARRIER_HEADER		"prefix,carrier"
#define CARRIER_PREFIX_MIN	3
#define CARRIER_PREFIX_MAX	7
/* Largest table file read; the shipped one is about 1 KB. */
#define CARRIER_FILE_MAX	(1024 * 1024)

struct carrier_node {
	unsigned int	 next[10];	/* node index; 0: none (0 is root) */
	unsigned char	 carrier;	/* enum carrier; 0: none here */
	size_t		 line;		/* the row that set it */
};

struct carrier_table {
	struct carrier_node	*v;
	size_t			 n;
	size_t			 cap;
};

static const char *carrier_names[] = {
	"unknown", "mobile", "unicom", "telecom", "broadnet"
};

/* "mobile", "unicom", "telecom", "broadnet" or "unknown". */
const char *
carrier_name(enum carrier c)
{
	if ((size_t)c >= nitems(carrier_names))
		return ("unknown");
	return (carrier_names[c]);
}

/* Parse a name as above; -1 when unknown. */
int
carrier_parse(const char *s)
{
	size_t	i;

	if (s == NULL)
		return (-1);
	for (i = 1; i < nitems(carrier_names); i++) {
		if (strcmp(s, carrier_names[i]) == 0)
			return ((int)i);
	}
	return (-1);
}

/* Parse the len bytes at s as a carrier name; -1 when unknown. */
static int
carrier_parsen(const char *s, size_t len)
{
	size_t	i;

	for (i = 1; i < nitems(carrier_names); i++) {
		if (strlen(carrier_names[i]) == len &&
		    memcmp(s, carrier_names[i], len) == 0)
			return ((int)i);
	}
	return (-1);
}

/* A new node; returns its index. */
static unsigned int
carrier_node_new(struct carrier_table *t)
{
	if (t->n == t->cap) {
		t->cap = t->cap == 0 ? 128 : t->cap * 2;
		t->v = xreallocarray(t->v, t->cap, sizeof *t->v);
	}
	memset(&t->v[t->n], 0, sizeof t->v[t->n]);
	return ((unsigned int)t->n++);
}

/*
 * Add a prefix of len digits; returns 0, or the line of an earlier row
 * with the same prefix.
 */
static size_t
carrier_add(struct carrier_table *t, const char *p, size_t len, int c,
    size_t line)
{
	unsigned int	i = 0, k;
	size_t		j;

	for (j = 0; j < len; j++) {
		if ((k = t->v[i].next[p[j] - '0']) == 0) {
			k = carrier_node_new(t);
			t->v[i].next[p[j] - '0'] = k;
		}
		i = k;
	}
	if (t->v[i].carrier != 0)
		return (t->v[i].line);
	t->v[i].carrier = (unsigned char)c;
	t->v[i].line = line;
	return (0);
}

/* Why the row from p to end (no newline) is bad, or NULL. */
static char *
carrier_row(struct carrier_table *t, const char *p, const char *end,
    size_t line)
{
	const char	*comma;
	size_t		 len, i, dup;
	int		 c;
	char		*msg;

	if ((comma = memchr(p, ',', (size_t)(end - p))) == NULL)
		return (xstrdup("expected 2 fields: prefix,carrier"));
	if (memchr(comma + 1, ',', (size_t)(end - comma - 1)) != NULL)
		return (xstrdup("expected 2 fields: prefix,carrier"));
	len = (size_t)(comma - p);
	if (len < CARRIER_PREFIX_MIN || len > CARRIER_PREFIX_MAX)
		return (xstrdup("prefix must be 3 to 7 digits"));
	for (i = 0; i < len; i++) {
		/* Not isdigit(): some locales accept more than 0-9. */
		if (p[i] < '0' || p[i] > '9')
			return (xstrdup("prefix must be 3 to 7 digits"));
	}
	if (p[0] != '1')
		return (xstrdup("prefix must start with 1"));
	c = carrier_parsen(comma + 1, (size_t)(end - comma - 1));
	if (c == -1) {
		xasprintf(&msg, "unknown carrier \"%.*s\" (known: mobile, "
		    "unicom, telecom, broadnet)", (int)(end - comma - 1 > 32 ?
		    32 : end - comma - 1), comma + 1);
		return (msg);
	}
	if ((dup = carrier_add(t, p, len, c, line)) != 0) {
		xasprintf(&msg, "duplicate prefix %.*s (first on line %zu)",
		    (int)len, p, dup);
		return (msg);
	}
	return (NULL);
}

/* Load "prefix,carrier" rows (header first); NULL with "FILE:LINE: reason". */
struct carrier_table *
carrier_load(const char *path, char **cause)
{
	struct carrier_table	*t;
	char			*data, *p, *end, *eol, *q, *why;
	size_t			 len, line = 0, rows = 0;
	int			 header = 0;

	if (util_read_file(path, CARRIER_FILE_MAX, &data, &len, cause) != 0)
		return (NULL);
	t = xcalloc(1, sizeof *t);
	carrier_node_new(t);
	p = data;
	end = data + len;
	while (p < end) {
		line++;
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		q = eol;
		/* CRLF from Windows editors is harmless: drop the CR. */
		if (q > p && q[-1] == '\r')
			q--;
		if (q == p || *p == '#') {
			p = eol + 1;
			continue;
		}
		if (!header) {
			if ((size_t)(q - p) != strlen(CARRIER_HEADER) ||
			    memcmp(p, CARRIER_HEADER, (size_t)(q - p)) != 0) {
				xasprintf(cause, "%s:%zu: expected header "
				    "\"%s\"", path, line, CARRIER_HEADER);
				goto fail;
			}
			header = 1;
		} else {
			if (memchr(p, '\0', (size_t)(q - p)) != NULL) {
				xasprintf(cause, "%s:%zu: NUL byte", path,
				    line);
				goto fail;
			}
			if ((why = carrier_row(t, p, q, line)) != NULL) {
				xasprintf(cause, "%s:%zu: %s", path, line, why);
				free(why);
				goto fail;
			}
			rows++;
		}
		p = eol + 1;
	}
	if (!header) {
		xasprintf(cause, "%s:%zu: expected header \"%s\"", path,
		    line == 0 ? 1 : line, CARRIER_HEADER);
		goto fail;
	}
	if (rows == 0) {
		xasprintf(cause, "%s: no prefixes", path);
		goto fail;
	}
	free(data);
	return (t);

fail:
	free(data);
	carrier_free(t);
	return (NULL);
}

/* Free a table. */
void
carrier_free(struct carrier_table *t)
{
	if (t == NULL)
		return;
	free(t->v);
	free(t);
}

/* The carrier of a canonical 11-digit number (longest prefix wins). */
enum carrier
carrier_of(const struct carrier_table *t, const char *phone)
{
	unsigned int	i = 0;
	size_t		j;
	int		c = CARRIER_UNKNOWN;

	if (t == NULL || phone == NULL)
		return (CARRIER_UNKNOWN);
	for (j = 0; j < CARRIER_PREFIX_MAX; j++) {
		if (phone[j] < '0' || phone[j] > '9')
			break;
		if ((i = t->v[i].next[phone[j] - '0']) == 0)
			break;
		if (t->v[i].carrier != 0)
			c = t->v[i].carrier;
	}
	return ((enum carrier)c);
}
