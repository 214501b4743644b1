/*
 * fuzz-csv.c: encoding detection and the CSV reader on arbitrary bytes.
 *
 * Properties: the reader always ends, never reads out of bounds, gives
 * non-decreasing line numbers, and every error comes with a cause.
 */
#include "compat.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct csv_reader	 rd;
	struct csv_record	 rec;
	enum csv_encoding	 enc;
	char			*text, *cause;
	size_t			 textlen, i, records = 0;
	unsigned long		 last = 0;
	int			 r;

	if (csv_to_utf8((const char *)data, len, &text, &textlen, &enc,
	    &cause) != 0) {
		if (cause == NULL)
			abort();
		free(cause);
		return (0);
	}
	if (strlen(text) != textlen)
		abort();
	csv_reader_init(&rd, text, textlen);
	while ((r = csv_next(&rd, &rec, &cause)) != 0) {
		if (++records > textlen + 1)
			abort();	/* no progress */
		if (r == -1) {
			if (cause == NULL)
				abort();
			free(cause);
			continue;
		}
		if (rec.line < last)
			abort();
		last = rec.line;
		for (i = 0; i < rec.nfields; i++)
			(void)strlen(rec.fields[i]);
		if (records == 1)
			(void)csv_column(&rec, "phone");
	}
	csv_reader_free(&rd);
	free(text);
	return (0);
}
