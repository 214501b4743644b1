/*
 * csv.h: an RFC 4180 CSV reader for what people export from Excel
 * (pure code, unit-tested and fuzzed).
 */
#ifndef CIVICAST_CSV_H
#define CIVICAST_CSV_H

#include <stddef.h>

enum csv_encoding {
	CSV_UTF8,
	CSV_UTF8_BOM,
	CSV_GB18030		/* also covers GBK and GB2312 */
};

/*
 * Turn the raw bytes of a file into UTF-8 without a BOM. Valid UTF-8
 * (with or without BOM) is copied; anything else is decoded as GB18030;
 * bytes valid in neither fail with a cause naming the line and byte.
 * *out is NUL-terminated and must be freed.
 */
int	 csv_to_utf8(const char *data, size_t len, char **out, size_t *outlen,
	    enum csv_encoding *enc, char **cause);
/* Name of an encoding, for messages. */
const char *csv_encoding_name(enum csv_encoding);

struct csv_record {
	char		**fields;	/* NUL-terminated, owned by the reader */
	size_t		  nfields;
	unsigned long	  line;		/* line where the record starts */
};

struct csv_reader {
	const char	 *p;
	const char	 *end;
	unsigned long	  line;
	char		 *store;	/* field bytes of the current record */
	size_t		  storecap;
	size_t		 *offs;		/* field offsets into store */
	char		**fields;
	size_t		  fieldcap;
};

/* Start reading records from UTF-8 text (not copied: keep it alive). */
void	 csv_reader_init(struct csv_reader *, const char *data, size_t len);
/*
 * Read the next record into rec (valid until the next call).  Returns 1
 * for a record, 0 at the end, -1 for a malformed record (unterminated or
 * stray quote): *cause says why and where, and the reader has moved past
 * the bad record so the caller may go on.  Blank lines are skipped.
 * CRLF and LF line ends are both accepted; quoted fields may hold commas,
 * doubled quotes and line breaks.
 */
int	 csv_next(struct csv_reader *, struct csv_record *rec, char **cause);
/* Free what the reader allocated. */
void	 csv_reader_free(struct csv_reader *);
/* Index of the column named name in a header record (trimmed, case-insensitive), or -1. */
int	 csv_column(const struct csv_record *header, const char *name);

#endif
