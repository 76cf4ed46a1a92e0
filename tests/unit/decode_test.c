/*
 * decode_test.c - charset detection and normalisation (decode_text).
 *
 * The GB18030 and UTF-16 inputs are made here with iconv from real text of
 * the seed report, so the expected result is always "the same text as the
 * UTF-8 original". Every case checks the chosen charset, the exact code
 * points, and the U+FFFD count reported in doc->warnings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "decode.h"
#include "doc.h"
#include "parse.h"
#include "testutil.h"

#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEED "examples/reports/shaoguan-2020-fazhi.txt"
#define TITLE_TEXT "韶关市人民政府关于2020年度法治政府\n建设工作的报告"

/* Decode and return the text as UTF-8 (caller frees); *docp keeps the doc. */
static char *
decode(const void *data, size_t len, const char *hint, struct doc **docp)
{
	struct doc *doc = doc_new();
	assert_int_equal(decode_text(doc, data, len, hint), 0);
	*docp = doc;
	return text_utf8(&doc->text, 0, doc->text.len);
}

/* Decode and check the text, the charset and the number of warnings. */
static void
expect_decoded(const void *data, size_t len, const char *hint, const char *text,
	       const char *charset, size_t nwarnings)
{
	struct doc *doc;
	char *got = decode(data, len, hint, &doc);
	char why[512] = "";

	if (strcmp(got, text) != 0)
		snprintf(why, sizeof(why), "text \"%s\", expected \"%s\"", got, text);
	else if (strcmp(doc->charset, charset) != 0)
		snprintf(why, sizeof(why), "charset %s, expected %s", doc->charset, charset);
	else if (doc->nwarnings != nwarnings)
		snprintf(why, sizeof(why), "%zu warnings, expected %zu", doc->nwarnings, nwarnings);
	free(got);
	doc_free(&doc);
	if (why[0])
		fail_msg("%s", why); /* after freeing: a failure leaks nothing */
}

/* Convert UTF-8 text to charset with iconv; caller frees, *outlen set. */
static char *
convert(const char *charset, const char *text, size_t *outlen)
{
	iconv_t cd = iconv_open(charset, "UTF-8");
	assert_true(cd != (iconv_t)-1);
	size_t inleft = strlen(text), cap = inleft * 4 + 8, oleft = cap;
	char *out = malloc(cap), *in = (char *)text, *o = out;
	assert_non_null(out);
	assert_int_not_equal(iconv(cd, &in, &inleft, &o, &oleft), (size_t)-1);
	iconv_close(cd);
	*outlen = cap - oleft;
	return out;
}

/* The two title lines and the first sentence of the seed report (UTF-8). */
static char *
seed_sample(void)
{
	char *all = testutil_read_file(SEED, NULL);
	assert_non_null(all);
	const char *s = strstr(all, "2020年，我市");
	assert_non_null(s);
	const char *e = strstr(s, "。");
	assert_non_null(e);
	struct buf b = {0};
	buf_puts(&b, TITLE_TEXT "\n");
	buf_append(&b, s, (size_t)(e - s) + strlen("。"));
	free(all);
	return buf_take(&b);
}

static void
test_utf8_plain_and_bom(void **state)
{
	(void)state;
	const char *s = "韶关市人民政府 2020年";

	expect_decoded(s, strlen(s), NULL, s, "UTF-8", 0);
	expect_decoded("\xEF\xBB\xBF"
		       "abc\xE4\xB8\xAD",
		       9, NULL, "abc中", "UTF-8", 0);
	/* a BOM-only file is empty text */
	expect_decoded("\xEF\xBB\xBF", 3, NULL, "", "UTF-8", 0);
	/* a hint of utf-8 (any case) decodes strictly as UTF-8 */
	expect_decoded(s, strlen(s), "UTF8", s, "UTF-8", 0);
}

static void
test_gb18030_fallback_on_seed_text(void **state)
{
	(void)state;
	char *utf8 = seed_sample();
	size_t len;
	char *gb = convert("GB18030", utf8, &len);

	assert_true(len < strlen(utf8)); /* two bytes a character, not three */
	assert_true(decode_utf8_invalid((const unsigned char *)gb, len) > 0);
	expect_decoded(gb, len, NULL, utf8, "GB18030", 0);

	/* the charset from Content-Type is used as given */
	char err[128] = "";
	struct doc *doc = parse_document((const unsigned char *)gb, len, "text/plain; charset=GBK",
					 err, sizeof(err));
	assert_non_null(doc);
	assert_string_equal(doc->charset, "GBK");
	assert_string_equal(doc->title, "韶关市人民政府关于2020年度法治政府建设工作的报告");
	doc_free(&doc);
	free(gb);
	free(utf8);
}

static void
test_utf16_with_bom(void **state)
{
	(void)state;
	/* the seed text plus a character outside the BMP (a surrogate pair) */
	char *seed = seed_sample();
	struct buf src = {0};
	buf_puts(&src, seed);
	buf_puts(&src, "𠮷");
	static const struct {
		const char *charset;
		const char *bom;
	} forms[] = {{"UTF-16LE", "\xFF\xFE"}, {"UTF-16BE", "\xFE\xFF"}};

	for (size_t i = 0; i < 2; i++) {
		size_t len;
		char *body = convert(forms[i].charset, src.data, &len);
		struct buf in = {0};
		buf_append(&in, forms[i].bom, 2);
		buf_append(&in, body, len);
		expect_decoded(in.data, in.len, NULL, src.data, forms[i].charset, 0);
		/*
		 * A Content-Type hint comes before the BOM (issue #4), but GB18030
		 * does not fit these bytes: the BOM's charset wins, with a warning.
		 */
		expect_decoded(in.data, in.len, "GB18030", src.data, forms[i].charset, 1);
		buf_release(&in);
		free(body);
	}
	buf_release(&src);
	free(seed);
}

static void
test_utf16_truncated_tail(void **state)
{
	(void)state;
	/* an odd byte at the end: one U+FFFD, counted */
	expect_decoded("\xFF\xFE"
		       "a\0b",
		       5, NULL, "a\xEF\xBF\xBD", "UTF-16LE", 1);
}

/*
 * Regression (decode.c, decode_iconv, fixed): after an invalid UTF-16 code unit the
 * decoder skips one byte, not one two-byte unit, so every following
 * character is decoded out of step. Input: FF FE 'a' 00 'b' 00 00 D8 'c' 00
 * 'd' 00 (UTF-16LE "ab", a lone high surrogate, "cd") decodes to
 * "ab\uFFFD揘搀\uFFFD" with 2 replacements instead of "ab\uFFFDcd" with 1.
 */
static void
test_utf16_lone_surrogate_keeps_step(void **state)
{
	(void)state;
	static const unsigned char le[] = {0xFF, 0xFE, 'a', 0, 'b', 0, 0x00, 0xD8, 'c', 0, 'd', 0};
	static const unsigned char be[] = {0xFE, 0xFF, 0, 'a', 0, 'b', 0xDC, 0x00, 0, 'c', 0, 'd'};

	expect_decoded(le, sizeof(le), NULL,
		       "ab\xEF\xBF\xBD"
		       "cd",
		       "UTF-16LE", 1);
	expect_decoded(be, sizeof(be), NULL,
		       "ab\xEF\xBF\xBD"
		       "cd",
		       "UTF-16BE", 1);
}

static void
test_invalid_bytes_become_fffd(void **state)
{
	(void)state;
	struct doc *doc;

	/* one stray byte in UTF-8 text: UTF-8 stays the better guess */
	char *got = decode("韶关市\xFF人民政府", strlen("韶关市\xFF人民政府"), NULL, &doc);
	assert_string_equal(got, "韶关市\xEF\xBF\xBD人民政府");
	assert_string_equal(doc->charset, "UTF-8");
	assert_int_equal(doc->nwarnings, 1);
	assert_string_equal(doc->warnings[0],
			    "1 invalid byte sequence in UTF-8 replaced with U+FFFD");
	free(got);
	doc_free(&doc);

	/* overlong NUL (2 bytes) and a UTF-8 encoded surrogate (3): one U+FFFD a byte */
	got = decode("a\xC0\x80"
		     "b\xED\xA0\x80"
		     "c",
		     8, "utf-8", &doc);
	assert_string_equal(got, "a\xEF\xBF\xBD\xEF\xBF\xBD"
				 "b"
				 "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
				 "c");
	assert_int_equal(doc->text.len, 8);
	assert_int_equal(doc->nwarnings, 1);
	assert_string_equal(doc->warnings[0],
			    "5 invalid byte sequences in UTF-8 replaced with U+FFFD");
	free(got);
	doc_free(&doc);

	/* a U+FFFD already in valid input is text, not a decoding error */
	expect_decoded("x\xEF\xBF\xBDy", 5, NULL, "x\xEF\xBF\xBDy", "UTF-8", 0);
}

static void
test_utf8_invalid_counter(void **state)
{
	(void)state;
	assert_int_equal(decode_utf8_invalid((const unsigned char *)"plain", 5), 0);
	assert_int_equal(decode_utf8_invalid((const unsigned char *)"中文", 6), 0);
	assert_int_equal(decode_utf8_invalid((const unsigned char *)"\xF0\x9F\x98\x80", 4), 0);
	assert_int_equal(decode_utf8_invalid((const unsigned char *)"\xFF\xFE", 2), 2);
	assert_int_equal(decode_utf8_invalid((const unsigned char *)"\xE4\xB8", 2), 2);
	assert_int_equal(decode_utf8_invalid((const unsigned char *)"\xF4\x90\x80\x80", 4), 4);
	assert_int_equal(decode_utf8_invalid((const unsigned char *)"\xC1\xBF", 2), 2);
}

static void
test_unknown_charset_hint(void **state)
{
	(void)state;
	struct doc *doc = doc_new();

	assert_int_equal(decode_text(doc, (const unsigned char *)"abc", 3, "x-no-such-charset"),
			 -1);
	assert_null(doc->charset);
	assert_int_equal(doc->text.len, 0);
	assert_int_equal(doc->nwarnings, 1);
	assert_string_equal(doc->warnings[0], "unknown charset 'x-no-such-charset'");
	doc_free(&doc);
}

static void
test_line_ends(void **state)
{
	(void)state;
	expect_decoded("a\r\nb\r\n\r\nc", 9, NULL, "a\nb\n\nc", "UTF-8", 0);
	expect_decoded("a\rb\r", 4, NULL, "a\nb\n", "UTF-8", 0); /* old Mac */
	expect_decoded("a\n\rb", 4, NULL, "a\n\nb", "UTF-8", 0); /* LF CR: two breaks */
}

static void
test_fullwidth_normalised(void **state)
{
	(void)state;
	const char *in = "２０２０年１２月，办结率８６％，ＡＢＣ级ｘｙｚ";
	expect_decoded(in, strlen(in), NULL, "2020年12月，办结率86%，ABC级xyz", "UTF-8", 0);
	/* full-width punctuation other than ％ is kept: markers rely on it */
	in = "１．（一）：";
	expect_decoded(in, strlen(in), NULL, "1．（一）：", "UTF-8", 0);
}

static void
test_controls_and_spaces(void **state)
{
	(void)state;
	/* C0 controls, DEL, ZWSP and inner BOMs go; tab, LF and U+3000 stay; NBSP is a space */
	const char in[] = "a\x01\x1F"
			  "b\x7F\tc\xE2\x80\x8B"
			  "d\xEF\xBB\xBF"
			  "e\xC2\xA0"
			  "f\xE3\x80\x80g";
	expect_decoded(in, sizeof(in) - 1, NULL, "ab\tcde f\xE3\x80\x80g", "UTF-8", 0);
	/* a line holding only a ZWSP joins a sentence it cut, not two paragraphs */
	const char *cut = "74.4\n\xE2\x80\x8B\n万亿元。\n\xE2\x80\x8B\n二、";
	expect_decoded(cut, strlen(cut), NULL, "74.4万亿元。\n\n二、", "UTF-8", 0);

	struct doc *doc;
	char *got = decode("x\0y", 3, NULL, &doc);
	assert_string_equal(got, "xy"); /* NUL is a control character too */
	assert_int_equal(doc->text.len, 2);
	free(got);
	doc_free(&doc);
}

static void
test_empty_input(void **state)
{
	(void)state;
	struct doc *doc;
	char *got = decode("", 0, NULL, &doc);

	assert_string_equal(got, "");
	assert_int_equal(doc->text.len, 0);
	assert_string_equal(doc->charset, "UTF-8");
	assert_int_equal(doc->nwarnings, 0);
	free(got);
	doc_free(&doc);

	/* and through the whole parser: no title, no sections, no metrics */
	char err[64] = "";
	doc = parse_document((const unsigned char *)"", 0, NULL, err, sizeof(err));
	assert_non_null(doc);
	assert_null(doc->title);
	assert_int_equal(doc->nsections, 0);
	assert_int_equal(doc->nmetrics, 0);
	doc_free(&doc);
}

static void
test_decode_twice_replaces_text(void **state)
{
	(void)state;
	struct doc *doc = doc_new();

	assert_int_equal(decode_text(doc, (const unsigned char *)"first", 5, NULL), 0);
	assert_int_equal(decode_text(doc,
				     (const unsigned char *)"\xFF\xFE"
							    "x\0",
				     4, NULL),
			 0);
	assert_int_equal(doc->text.len, 1);
	assert_int_equal(doc->text.cp[0], 'x');
	assert_string_equal(doc->charset, "UTF-16LE");
	doc_free(&doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_utf8_plain_and_bom),
	    cmocka_unit_test(test_gb18030_fallback_on_seed_text),
	    cmocka_unit_test(test_utf16_with_bom),
	    cmocka_unit_test(test_utf16_truncated_tail),
	    cmocka_unit_test(test_utf16_lone_surrogate_keeps_step),
	    cmocka_unit_test(test_invalid_bytes_become_fffd),
	    cmocka_unit_test(test_utf8_invalid_counter),
	    cmocka_unit_test(test_unknown_charset_hint),
	    cmocka_unit_test(test_line_ends),
	    cmocka_unit_test(test_fullwidth_normalised),
	    cmocka_unit_test(test_controls_and_spaces),
	    cmocka_unit_test(test_empty_input),
	    cmocka_unit_test(test_decode_twice_replaces_text),
	};
	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
