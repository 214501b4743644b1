/*
 * test-csv.c: encoding detection and the CSV reader.
 */
#include "compat.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "csv.h"
#include "xmalloc.h"

/*
 * Read every record of text and render them as "LINE:f1|f2;" with
 * errors as "E<cause>;", so one string comparison checks the lot.
 */
static char *
parse_all(const char *text, size_t len, unsigned long *lastline)
{
	struct csv_reader	 r;
	struct csv_record	 rec;
	struct buf		 b;
	char			*cause;
	size_t			 i;
	int			 rc, guard = 0;

	buf_init(&b, 0);
	csv_reader_init(&r, text, len);
	while ((rc = csv_next(&r, &rec, &cause)) != 0) {
		assert_true(++guard < 1000);
		if (rc == -1) {
			buf_printf(&b, "E%s;", cause);
			free(cause);
			continue;
		}
		assert_int_equal(rc, 1);
		buf_printf(&b, "%lu:", rec.line);
		for (i = 0; i < rec.nfields; i++)
			buf_printf(&b, "%s%s", i == 0 ? "" : "|",
			    rec.fields[i]);
		buf_adds(&b, ";");
	}
	/* The end is sticky. */
	assert_int_equal(csv_next(&r, &rec, &cause), 0);
	if (lastline != NULL)
		*lastline = r.line;
	csv_reader_free(&r);
	return (buf_steal(&b));
}

static void
check_parse(const char *text, const char *want)
{
	char	*got;

	got = parse_all(text, strlen(text), NULL);
	assert_string_equal(got, want);
	free(got);
}

static void
check_utf8(const char *in, size_t len, const char *want,
    enum csv_encoding wantenc)
{
	char			*out, *cause = NULL;
	size_t			 outlen;
	enum csv_encoding	 enc;

	if (csv_to_utf8(in, len, &out, &outlen, &enc, &cause) != 0)
		fail_msg("rejected: %s", cause);
	assert_int_equal(enc, wantenc);
	assert_string_equal(out, want);
	assert_int_equal(outlen, strlen(want));
	free(out);
}

static void
check_not_utf8(const char *in, size_t len, const char *want)
{
	char			*out = (char *)"x", *cause = NULL;
	size_t			 outlen;
	enum csv_encoding	 enc;

	assert_int_equal(csv_to_utf8(in, len, &out, &outlen, &enc, &cause),
	    -1);
	assert_null(out);
	assert_non_null(cause);
	assert_string_equal(cause, want);
	free(cause);
}

static void
test_utf8_plain(void **state)
{
	static const char	s[] = "姓名,手机\n张三,13800138000\n";

	check_utf8(s, sizeof s - 1, s, CSV_UTF8);
	check_utf8("", 0, "", CSV_UTF8);
	check_utf8("a", 1, "a", CSV_UTF8);
	/* Four-byte UTF-8 (U+1F600) is fine. */
	check_utf8("\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80", CSV_UTF8);
	/* A BOM that is not at the start is data. */
	check_utf8("a\xef\xbb\xbf", 4, "a\xef\xbb\xbf", CSV_UTF8);
}

static void
test_utf8_bom(void **state)
{
	static const char	s[] =
	    "\xef\xbb\xbf姓名,手机\r\n张三,13800138000\r\n";

	check_utf8(s, sizeof s - 1, "姓名,手机\r\n张三,13800138000\r\n",
	    CSV_UTF8_BOM);
	check_utf8("\xef\xbb\xbf", 3, "", CSV_UTF8_BOM);
}

static void
test_gb18030(void **state)
{
	static const char	excel[] =
	    "\xd0\xd5\xc3\xfb,\xca\xd6\xbb\xfa\r\n"
	    "\xd5\xc5\xc8\xfd,13800138000\r\n";

	/* "张三" in GBK. */
	check_utf8("\xd5\xc5\xc8\xfd", 4, "张三", CSV_GB18030);
	/* "姓名,手机 / 张三,13800138000" as Excel saves it in China. */
	check_utf8(excel, sizeof excel - 1,
	    "姓名,手机\r\n张三,13800138000\r\n", CSV_GB18030);
	/* A four-byte GB18030 sequence: U+20000. */
	check_utf8("\xd5\xc5\x95\x32\x82\x36", 6, "张\xf0\xa0\x80\x80",
	    CSV_GB18030);
	/* The GB18030 BOM is dropped like the UTF-8 one. */
	check_utf8("\x84\x31\x95\x33\xd5\xc5\xc8\xfd", 8, "张三",
	    CSV_GB18030);
}

static void
test_utf8_strict(void **state)
{
	/*
	 * Overlong and surrogate forms are not UTF-8, whatever GB18030
	 * then makes of them.
	 */
	static const char	*bad[] = {
		"\xc0\xaf",		/* overlong '/' */
		"\xc1\xbf",		/* overlong */
		"\xe0\x80\xaf",		/* overlong, three bytes */
		"\xf0\x80\x80\xaf",	/* overlong, four bytes */
		"\xed\xa0\x80",		/* U+D800 */
		"\xed\xbf\xbf",		/* U+DFFF */
		"\xf4\x90\x80\x80",	/* above U+10FFFF */
		"\xf5\x80\x80\x80",
		"\xe5\xbc\xa0\xe4",	/* truncated */
	};
	char			*out, *cause;
	size_t			 i, outlen;
	enum csv_encoding	 enc;

	for (i = 0; i < nitems(bad); i++) {
		cause = NULL;
		out = NULL;
		if (csv_to_utf8(bad[i], strlen(bad[i]), &out, &outlen, &enc,
		    &cause) == 0) {
			if (enc != CSV_GB18030)
				fail_msg("case %zu taken as %s", i,
				    csv_encoding_name(enc));
			free(out);
		} else
			free(cause);
	}
	/* The edges of the valid ranges are accepted. */
	check_utf8("\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf\xc2\x80", 12,
	    "\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf\xc2\x80", CSV_UTF8);
}

static void
test_invalid_bytes(void **state)
{
	static const char	s1[] = "a,b\nc,d\n\xff\xfe\n";
	static const char	s2[] = "name\n13800138000,ok\x80\n";
	static const char	s3[] = "\xd5\xc5\xc8";
	static const char	s4[] = "中\nabc\nx\xff\n";

	check_not_utf8(s1, sizeof s1 - 1,
	    "line 3, byte 1: not valid UTF-8 or GB18030");
	check_not_utf8(s2, sizeof s2 - 1,
	    "line 2, byte 15: not valid UTF-8 or GB18030");
	/*
	 * UTF-8 that goes wrong late: GB18030 stops at once (at "\xad\n"),
	 * but the error names where UTF-8 decoding stopped.
	 */
	check_not_utf8(s4, sizeof s4 - 1,
	    "line 3, byte 2: not valid UTF-8 or GB18030");
	/* GB18030 cut short at the end of the file. */
	check_not_utf8(s3, sizeof s3 - 1,
	    "line 1, byte 3: not valid UTF-8 or GB18030");
}

static void
test_nul(void **state)
{
	static const char	s[] = "a,b\nc\0d\n";
	static const char	u16[] = "\xff\xfe" "a\0,\0b\0";

	check_not_utf8(s, sizeof s - 1, "line 2, byte 2: NUL byte "
	    "(not a text file, or saved as UTF-16)");
	check_not_utf8(u16, sizeof u16 - 1, "line 1, byte 4: NUL byte "
	    "(not a text file, or saved as UTF-16)");
}

static void
test_encoding_name(void **state)
{
	assert_string_equal(csv_encoding_name(CSV_UTF8), "UTF-8");
	assert_string_equal(csv_encoding_name(CSV_UTF8_BOM), "UTF-8 with BOM");
	assert_string_equal(csv_encoding_name(CSV_GB18030), "GB18030");
}

static void
test_line_ends(void **state)
{
	check_parse("a,b\nc,d\n", "1:a|b;2:c|d;");
	check_parse("a,b\r\nc,d\r\n", "1:a|b;2:c|d;");
	/* The last line needs no line end. */
	check_parse("a,b\nc,d", "1:a|b;2:c|d;");
	check_parse("a,b\r\nc,d", "1:a|b;2:c|d;");
	check_parse("x", "1:x;");
	/* Old Mac Excel ends lines with a lone CR. */
	check_parse("a,b\rc,d\r", "1:a|b;2:c|d;");
	check_parse("a\r\nb\nc\rd", "1:a;2:b;3:c;4:d;");
	/* Lone CRs inside quotes count as lines too. */
	check_parse("\"a\rb\r\",x\ry\r", "1:a\rb\r|x;4:y;");
}

static void
test_blank_lines(void **state)
{
	check_parse("", "");
	check_parse("\n\r\n\n", "");
	check_parse("a\n\n\r\nb\n\n", "1:a;4:b;");
	check_parse("\n\na", "3:a;");
	/* Only empty lines are skipped: spaces make a one-field record. */
	check_parse("a\n  \nb\n", "1:a;2:  ;3:b;");
	/* A line with just a comma is two empty fields. */
	check_parse(",\n", "1:|;");
}

static void
test_quoted(void **state)
{
	check_parse("\"a,b\",c\n", "1:a,b|c;");
	check_parse("\"a\",\"b\"\r\n\"c\",\"d\"", "1:a|b;2:c|d;");
	check_parse("\"say \"\"hi\"\"\",x\n", "1:say \"hi\"|x;");
	check_parse("\"\"\"\"\n", "1:\";");
	check_parse("\"\"\"a\"\"\",\"b\"\"\"\"c\"\n", "1:\"a\"|b\"\"c;");
	check_parse("\"\",x\n", "1:|x;");
	check_parse("x,\"\"", "1:x|;");
	/* Not trimmed: callers trim. */
	check_parse(" a , \"b\"\n", "E" "line 1: quote inside a field that "
	    "does not start with one;");
	check_parse(" a ,b \n", "1: a |b ;");
}

static void
test_empty_fields(void **state)
{
	check_parse(",,\n", "1:||;");
	check_parse("a,,b\n", "1:a||b;");
	check_parse("a,b,\n", "1:a|b|;");
	check_parse("a,b,\r\n", "1:a|b|;");
	check_parse("a,b,", "1:a|b|;");
	check_parse("a,\"\",", "1:a||;");
}

static void
test_embedded_newline(void **state)
{
	static const char	s[] =
	    "id,note\n"
	    "1,\"two\nlines\"\n"
	    "2,x\n"
	    "3,\"a\r\nb\"\r\n"
	    "4,\"\n\n\"\n"
	    "5,\"\"\"q\"\"\nq\"\n"
	    "6,y";
	char			*got;
	unsigned long		 last;

	got = parse_all(s, sizeof s - 1, &last);
	assert_string_equal(got,
	    "1:id|note;"
	    "2:1|two\nlines;"
	    "4:2|x;"
	    "5:3|a\r\nb;"
	    "7:4|\n\n;"
	    "10:5|\"q\"\nq;"
	    "12:6|y;");
	assert_int_equal(last, 12);
	free(got);
}

static void
test_unterminated(void **state)
{
	static const char	s[] = "a,b\nc,\"open\nd,e\nf\n";
	static const char	s2[] = "a\n\"x\"\"y\nz\n";
	char			*got;
	unsigned long		 last;

	got = parse_all(s, sizeof s - 1, &last);
	assert_string_equal(got, "1:a|b;Eline 2: quoted field never closed;");
	/* The reader stopped at the end and counted every line. */
	assert_int_equal(last, 5);
	free(got);

	got = parse_all(s2, sizeof s2 - 1, &last);
	assert_string_equal(got, "1:a;Eline 2: quoted field never closed;");
	assert_int_equal(last, 4);
	free(got);

	check_parse("\"", "Eline 1: quoted field never closed;");
}

static void
test_stray_quote(void **state)
{
	/* A quote in the middle of an unquoted field. */
	check_parse("a,b\nc,d\"x,e\nf,g\n",
	    "1:a|b;Eline 2: quote inside a field that does not start with "
	    "one;3:f|g;");
	check_parse("ab\"\r\nf,g\r\n",
	    "Eline 1: quote inside a field that does not start with one;"
	    "2:f|g;");
	/* The bad line is the last one. */
	check_parse("a\nb\"", "1:a;Eline 2: quote inside a field that does "
	    "not start with one;");
	/* Junk after a closing quote. */
	check_parse("\"abc\"x,1\nok,2\n",
	    "Eline 1: text after the closing quote of a field;2:ok|2;");
	check_parse("h\n\"abc\" ,1\r\nok,2\r\n",
	    "1:h;Eline 2: text after the closing quote of a field;3:ok|2;");
	/* After an embedded line break, the line is where the error is. */
	check_parse("\"a\nb\"x,1\nok,2\n",
	    "Eline 2: text after the closing quote of a field;3:ok|2;");
	check_parse("1,\"a\nb\",c\"d\n2,e\n",
	    "Eline 2: quote inside a field that does not start with one;"
	    "3:2|e;");
	/* Several bad records in a row, each reported. */
	check_parse("a\"\nb\"\n\"c\"d\ne\n",
	    "Eline 1: quote inside a field that does not start with one;"
	    "Eline 2: quote inside a field that does not start with one;"
	    "Eline 3: text after the closing quote of a field;4:e;");
}

static void
test_bom_in_reader(void **state)
{
	check_parse("\xef\xbb\xbf" "a,b\n", "1:a|b;");
}

static void
test_reuse(void **state)
{
	struct csv_reader	 r;
	struct csv_record	 rec;
	struct buf		 b;
	char			*text, *cause = NULL, *store;
	size_t			 i, storecap, fieldcap;

	buf_init(&b, 0);
	for (i = 0; i < 1000; i++)
		buf_printf(&b, "1380013%04zu,\"name, %zu\",x\r\n", i, i);
	csv_reader_init(&r, b.data, b.len);
	assert_int_equal(csv_next(&r, &rec, &cause), 1);
	store = r.store;
	storecap = r.storecap;
	fieldcap = r.fieldcap;
	for (i = 1; i < 1000; i++) {
		assert_int_equal(csv_next(&r, &rec, &cause), 1);
		assert_int_equal(rec.nfields, 3);
		assert_int_equal(rec.line, i + 1);
		assert_int_equal(strtoul(rec.fields[0] + 7, NULL, 10), i);
		assert_string_equal(rec.fields[2], "x");
		/* No allocation once the buffers fit a record. */
		assert_ptr_equal(r.store, store);
		assert_int_equal(r.storecap, storecap);
		assert_int_equal(r.fieldcap, fieldcap);
	}
	assert_int_equal(csv_next(&r, &rec, &cause), 0);
	csv_reader_free(&r);
	csv_reader_free(&r);
	text = buf_steal(&b);
	free(text);
}

static void
test_big_record(void **state)
{
	struct csv_reader	 r;
	struct csv_record	 rec;
	struct buf		 b;
	char			*cause = NULL, want[512];
	size_t			 i;

	/* Enough fields and bytes to move the buffers while reading. */
	buf_init(&b, 0);
	for (i = 0; i < 300; i++) {
		memset(want, 'a' + (int)(i % 26), 300);
		want[300] = '\0';
		buf_printf(&b, "%s\"%s\"\"\"", i == 0 ? "" : ",", want);
	}
	buf_adds(&b, "\nz\n");
	csv_reader_init(&r, b.data, b.len);
	assert_int_equal(csv_next(&r, &rec, &cause), 1);
	assert_int_equal(rec.nfields, 300);
	for (i = 0; i < 300; i++) {
		memset(want, 'a' + (int)(i % 26), 300);
		want[300] = '"';
		want[301] = '\0';
		assert_string_equal(rec.fields[i], want);
	}
	assert_int_equal(csv_next(&r, &rec, &cause), 1);
	assert_int_equal(rec.line, 2);
	assert_string_equal(rec.fields[0], "z");
	csv_reader_free(&r);
	buf_free(&b);
}

static void
test_column(void **state)
{
	char			 f0[] = "\xef\xbb\xbf Name ", f1[] = "PHONE";
	char			 f2[] = "\t手机 ", f4[] = "", f5[] = "name2";
	char			 f3[] = "\xe3\x80\x80区划\xe3\x80\x80";
	char			*f[] = { f0, f1, f2, f3, f4, f5 };
	struct csv_record	 h = { f, nitems(f), 1 };

	assert_int_equal(csv_column(&h, "name"), 0);
	assert_int_equal(csv_column(&h, "NAME"), 0);
	assert_int_equal(csv_column(&h, "Phone"), 1);
	assert_int_equal(csv_column(&h, "phone "), 1);
	assert_int_equal(csv_column(&h, "手机"), 2);
	assert_int_equal(csv_column(&h, "区划"), 3);
	assert_int_equal(csv_column(&h, "name2"), 5);
	assert_int_equal(csv_column(&h, "nam"), -1);
	assert_int_equal(csv_column(&h, "missing"), -1);
	assert_int_equal(csv_column(&h, "区"), -1);
	/* The first empty column. */
	assert_int_equal(csv_column(&h, ""), 4);
	h.nfields = 0;
	assert_int_equal(csv_column(&h, "name"), -1);
}

static void
test_gb18030_file(void **state)
{
	static const char	 s[] = "\xd0\xd5\xc3\xfb,\xca\xd6\xbb\xfa\r\n"
	    "\"\xd5\xc5\xc8\xfd\",138 0013 8000\r\n"
	    "\xcd\xf5\xce\xe5,\"13800138001\"\r\n";
	struct csv_reader	 r;
	struct csv_record	 rec;
	char			*text, *cause = NULL;
	size_t			 len;
	enum csv_encoding	 enc;
	int			 name, phone;

	assert_int_equal(csv_to_utf8(s, sizeof s - 1, &text, &len, &enc,
	    &cause), 0);
	assert_int_equal(enc, CSV_GB18030);
	csv_reader_init(&r, text, len);
	assert_int_equal(csv_next(&r, &rec, &cause), 1);
	name = csv_column(&rec, "姓名");
	phone = csv_column(&rec, "手机");
	assert_int_equal(name, 0);
	assert_int_equal(phone, 1);
	assert_int_equal(csv_next(&r, &rec, &cause), 1);
	assert_string_equal(rec.fields[name], "张三");
	assert_string_equal(rec.fields[phone], "138 0013 8000");
	assert_int_equal(csv_next(&r, &rec, &cause), 1);
	assert_string_equal(rec.fields[name], "王五");
	assert_string_equal(rec.fields[phone], "13800138001");
	assert_int_equal(rec.line, 3);
	assert_int_equal(csv_next(&r, &rec, &cause), 0);
	csv_reader_free(&r);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_plain),
		cmocka_unit_test(test_utf8_bom),
		cmocka_unit_test(test_gb18030),
		cmocka_unit_test(test_utf8_strict),
		cmocka_unit_test(test_invalid_bytes),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_encoding_name),
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_blank_lines),
		cmocka_unit_test(test_quoted),
		cmocka_unit_test(test_empty_fields),
		cmocka_unit_test(test_embedded_newline),
		cmocka_unit_test(test_unterminated),
		cmocka_unit_test(test_stray_quote),
		cmocka_unit_test(test_bom_in_reader),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_big_record),
		cmocka_unit_test(test_column),
		cmocka_unit_test(test_gb18030_file),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
