/*
 * csv.c: an RFC 4180 CSV reader for what people export from Excel.
 *
 * Excel in China saves "CSV (Comma delimited)" in the ANSI code page,
 * which is GBK (936), and "CSV UTF-8" with a BOM.  csv_to_utf8() turns
 * either into plain UTF-8 first, so the reader only ever sees UTF-8.
 *
 * The reader does not copy the text; it copies each record's field bytes
 * into one buffer it owns (quoted fields need their doubled quotes undone
 * and every field needs a NUL), which grows to the longest record and is
 * then reused, so steady-state reading allocates nothing.
 */
#include "compat.h"

#include <errno.h>
#include <iconv.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csv.h"
#include "utf8.h"
#include "xmalloc.h"

/* Bytes that end an unquoted field or make it malformed. */
static const unsigned char csv_special[256] = {
	['\n'] = 1, ['\r'] = 1, [','] = 1, ['"'] = 1
};

/* Line (from 1) and byte within that line (from 1) of offset off. */
static void
csv_where(const char *data, size_t off, unsigned long *line, size_t *col)
{
	const char	*p = data, *end = data + off, *nl;

	*line = 1;
	while ((nl = memchr(p, '\n', end - p)) != NULL) {
		(*line)++;
		p = nl + 1;
	}
	*col = (size_t)(end - p) + 1;
}

/*
 * Decode GB18030 into a new UTF-8 string.  Returns 0, or -1 with *bad
 * set to the offset of the first byte that does not decode (-1 with
 * *bad == SIZE_MAX when iconv itself fails).
 */
static int
csv_from_gb18030(const char *data, size_t len, char **out, size_t *outlen,
    size_t *bad)
{
	iconv_t	 cd;
	char	*in = (char *)data, *buf, *o;
	size_t	 inleft = len, cap, oleft, done;

	*bad = SIZE_MAX;
	if ((cd = iconv_open("UTF-8", "GB18030")) == (iconv_t)-1)
		return (-1);
	/* Two GB18030 bytes make at most three UTF-8 ones. */
	cap = len + len / 2 + 16;
	buf = xmalloc(cap);
	o = buf;
	oleft = cap - 1;
	while (inleft > 0) {
		if (iconv(cd, &in, &inleft, &o, &oleft) != (size_t)-1)
			break;
		if (errno == E2BIG) {
			done = (size_t)(o - buf);
			cap *= 2;
			buf = xreallocarray(buf, 1, cap);
			o = buf + done;
			oleft = cap - done - 1;
			continue;
		}
		if (errno == EILSEQ || errno == EINVAL)
			*bad = (size_t)(in - data);
		free(buf);
		iconv_close(cd);
		return (-1);
	}
	iconv_close(cd);
	*o = '\0';
	*out = buf;
	*outlen = (size_t)(o - buf);
	return (0);
}

/* Turn the raw bytes of a file into UTF-8 without a BOM; free *cause. */
int
csv_to_utf8(const char *data, size_t len, char **out, size_t *outlen,
    enum csv_encoding *enc, char **cause)
{
	const unsigned char	*s = (const unsigned char *)data;
	const char		*nul;
	size_t			 good, bad, col;
	unsigned long		 line;

	*out = NULL;
	*outlen = 0;
	if (len == 0) {
		*out = xstrdup("");
		*enc = CSV_UTF8;
		return (0);
	}

	/* Spreadsheets never write NUL: this is a binary or UTF-16 file. */
	if ((nul = memchr(data, '\0', len)) != NULL) {
		csv_where(data, (size_t)(nul - data), &line, &col);
		xasprintf(cause, "line %lu, byte %zu: NUL byte (not a text "
		    "file, or saved as UTF-16)", line, col);
		return (-1);
	}

	if ((good = utf8_valid(s, len)) == len) {
		*enc = CSV_UTF8;
		if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
			*enc = CSV_UTF8_BOM;
			data += 3;
			len -= 3;
		}
		*out = xmalloc(len + 1);
		memcpy(*out, data, len);
		(*out)[len] = '\0';
		*outlen = len;
		return (0);
	}

	if (csv_from_gb18030(data, len, out, outlen, &bad) == 0) {
		*enc = CSV_GB18030;
		/* GB18030 has a BOM too (84 31 95 33, U+FEFF): drop it. */
		if (*outlen >= 3 && memcmp(*out, "\xef\xbb\xbf", 3) == 0) {
			memmove(*out, *out + 3, *outlen - 3 + 1);
			*outlen -= 3;
		}
		return (0);
	}
	if (bad == SIZE_MAX) {
		xasprintf(cause, "cannot convert from GB18030: %s",
		    strerror(errno));
		return (-1);
	}

	/*
	 * Name the place where the more successful of the two decodings
	 * stopped: that is most likely the file's real encoding.
	 */
	if (good > bad)
		bad = good;
	csv_where(data, bad, &line, &col);
	xasprintf(cause, "line %lu, byte %zu: not valid UTF-8 or GB18030",
	    line, col);
	return (-1);
}

/* Name of an encoding, for messages. */
const char *
csv_encoding_name(enum csv_encoding enc)
{
	switch (enc) {
	case CSV_UTF8:
		return ("UTF-8");
	case CSV_UTF8_BOM:
		return ("UTF-8 with BOM");
	case CSV_GB18030:
		return ("GB18030");
	}
	return ("unknown");
}

/* Start reading records from UTF-8 text (not copied: keep it alive). */
void
csv_reader_init(struct csv_reader *r, const char *data, size_t len)
{
	if (data == NULL)
		data = "";
	r->p = data;
	r->end = data + len;
	/* Text that did not come through csv_to_utf8 may keep its BOM. */
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		r->p += 3;
	r->line = 1;
	r->store = NULL;
	r->storecap = 0;
	r->offs = NULL;
	r->fields = NULL;
	r->fieldcap = 0;
}

/* Make room for n more bytes after used in the store. */
static void
csv_store_reserve(struct csv_reader *r, size_t used, size_t n)
{
	size_t	want = used + n;

	if (want <= r->storecap)
		return;
	if (r->storecap == 0)
		r->storecap = 256;
	while (r->storecap < want)
		r->storecap *= 2;
	r->store = xreallocarray(r->store, 1, r->storecap);
}

/* Make room for field number nf (from 0). */
static void
csv_fields_reserve(struct csv_reader *r, size_t nf)
{
	if (nf < r->fieldcap)
		return;
	r->fieldcap = r->fieldcap == 0 ? 16 : r->fieldcap * 2;
	r->offs = xreallocarray(r->offs, r->fieldcap, sizeof *r->offs);
	r->fields = xreallocarray(r->fields, r->fieldcap, sizeof *r->fields);
}

/*
 * Step over one line end at p (LF, CRLF, or a lone CR as old Mac Excel
 * writes) and count it; p must point at '\r' or '\n'.
 */
static const char *
csv_eol(struct csv_reader *r, const char *p)
{
	if (*p == '\r' && p + 1 < r->end && p[1] == '\n')
		p++;
	r->line++;
	return (p + 1);
}

/* Count the line ends in [p, end) the way csv_eol() does. */
static void
csv_count_lines(struct csv_reader *r, const char *p, const char *end)
{
	for (; p < end; p++) {
		if (*p == '\n')
			r->line++;
		else if (*p == '\r' && (p + 1 == end || p[1] != '\n'))
			r->line++;
	}
}

/*
 * After a malformed field, skip to the start of the next physical line
 * so that one bad row costs one record and the caller can go on.
 */
static void
csv_skip_line(struct csv_reader *r, const char *p)
{
	while (p < r->end && *p != '\n' && *p != '\r')
		p++;
	if (p < r->end)
		p = csv_eol(r, p);
	r->p = p;
}

/*
 * Read a quoted field starting after its opening quote at p, appending
 * its bytes at *used.  Returns where it ends (after the closing quote),
 * or NULL when the text ends first (with every line counted).
 */
static const char *
csv_quoted(struct csv_reader *r, const char *p, size_t *used)
{
	const char	*q;
	size_t		 n;

	for (;;) {
		if ((q = memchr(p, '"', r->end - p)) == NULL) {
			csv_count_lines(r, p, r->end);
			return (NULL);
		}
		n = (size_t)(q - p);
		csv_store_reserve(r, *used, n + 1);
		memcpy(r->store + *used, p, n);
		*used += n;
		csv_count_lines(r, p, q);
		p = q + 1;
		if (p < r->end && *p == '"') {
			/* A doubled quote stands for one quote. */
			r->store[(*used)++] = '"';
			p++;
			continue;
		}
		return (p);
	}
}

/* Read the next record into rec (valid until the next call); free *cause. */
int
csv_next(struct csv_reader *r, struct csv_record *rec, char **cause)
{
	const char	*p = r->p, *end = r->end, *q;
	size_t		 nf = 0, used = 0, i, n;
	unsigned long	 qline;

	rec->fields = NULL;
	rec->nfields = 0;

	/*
	 * Skip empty lines.  A line holding only spaces is a record with
	 * one field of spaces: the reader does not trim, callers do.
	 */
	while (p < end && (*p == '\n' || *p == '\r'))
		p = csv_eol(r, p);
	if (p == end) {
		r->p = p;
		return (0);
	}
	rec->line = r->line;

	for (;;) {
		csv_fields_reserve(r, nf);
		r->offs[nf] = used;
		if (p < end && *p == '"') {
			qline = r->line;
			if ((q = csv_quoted(r, p + 1, &used)) == NULL) {
				/* Nothing after it can be trusted: stop. */
				r->p = end;
				xasprintf(cause, "line %lu: quoted field "
				    "never closed", qline);
				return (-1);
			}
			p = q;
			if (p < end && !csv_special[(unsigned char)*p]) {
				xasprintf(cause, "line %lu: text after the "
				    "closing quote of a field", r->line);
				csv_skip_line(r, p);
				return (-1);
			}
		} else {
			q = p;
			while (q < end && !csv_special[(unsigned char)*q])
				q++;
			if (q < end && *q == '"') {
				xasprintf(cause, "line %lu: quote inside a "
				    "field that does not start with one",
				    r->line);
				csv_skip_line(r, q);
				return (-1);
			}
			n = (size_t)(q - p);
			csv_store_reserve(r, used, n + 1);
			memcpy(r->store + used, p, n);
			used += n;
			p = q;
		}
		csv_store_reserve(r, used, 1);
		r->store[used++] = '\0';
		nf++;
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		/* End of the text, or of the line. */
		if (p < end)
			p = csv_eol(r, p);
		break;
	}
	r->p = p;

	/* Only now: the store may have moved while the record grew. */
	for (i = 0; i < nf; i++)
		r->fields[i] = r->store + r->offs[i];
	rec->fields = r->fields;
	rec->nfields = nf;
	return (1);
}

/* Free what the reader allocated. */
void
csv_reader_free(struct csv_reader *r)
{
	free(r->store);
	free(r->offs);
	free(r->fields);
	r->store = NULL;
	r->offs = NULL;
	r->fields = NULL;
	r->storecap = r->fieldcap = 0;
}

/*
 * Step over spaces at one end of [*s, *e): ASCII white space, the
 * ideographic space U+3000 that Chinese input methods type, and a BOM
 * left over from a file that skipped csv_to_utf8.
 */
static void
csv_trim(const char **s, const char **e)
{
	const unsigned char	*a = (const unsigned char *)*s;
	const unsigned char	*b = (const unsigned char *)*e;

	for (;;) {
		if (a < b && (*a == ' ' || (*a >= '\t' && *a <= '\r')))
			a++;
		else if (b - a >= 3 && a[0] == 0xe3 && a[1] == 0x80 &&
		    a[2] == 0x80)
			a += 3;
		else if (b - a >= 3 && a[0] == 0xef && a[1] == 0xbb &&
		    a[2] == 0xbf)
			a += 3;
		else
			break;
	}
	for (;;) {
		if (a < b && (b[-1] == ' ' || (b[-1] >= '\t' && b[-1] <= '\r')))
			b--;
		else if (b - a >= 3 && b[-3] == 0xe3 && b[-2] == 0x80 &&
		    b[-1] == 0x80)
			b -= 3;
		else
			break;
	}
	*s = (const char *)a;
	*e = (const char *)b;
}

/* Index of the column named name in a header record, or -1. */
int
csv_column(const struct csv_record *header, const char *name)
{
	const char	*ns, *ne, *fs, *fe;
	size_t		 i;

	ns = name;
	ne = name + strlen(name);
	csv_trim(&ns, &ne);
	for (i = 0; i < header->nfields && i < INT_MAX; i++) {
		fs = header->fields[i];
		fe = fs + strlen(fs);
		csv_trim(&fs, &fe);
		if (fe - fs == ne - ns &&
		    strncasecmp(fs, ns, (size_t)(ne - ns)) == 0)
			return ((int)i);
	}
	return (-1);
}
