/*
 * bounds_test.c - what a hostile body may cost the parser: `reportpipe
 * parse` refuses input above max_bytes (a file, a pipe, a config's
 * [fetch] max_bytes), and a PDF whose streams inflate past pdf.h's limits
 * is refused before poppler reads it.
 *
 * The bombs are made here with zlib: a few hundred KB that inflate to
 * hundreds of MB. Nothing is timed; bench/ measures speed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "digest.h"
#include "doc.h"
#include "doc_json.h"
#include "parse.h"
#include "pdf.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define EX_USAGE 64
#define EX_DATAERR 65

static char dir[] = "/tmp/bounds_test_XXXXXX";

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	int rc;
	free(testutil_run(&rc, "rm -rf %s", dir));
	return 0;
}

/* A text file of exactly len bytes under dir; returns its path (static). */
static const char *
text_file(const char *name, size_t len)
{
	static char path[512];
	static const char line[] = "全年办理行政复议案件120件，同比增长5%。\n";
	struct buf b = {0};
	while (b.len < len)
		buf_append(&b, line, sizeof(line) - 1);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(testutil_write_file(path, b.data, len), 0);
	buf_release(&b);
	return path;
}

static void
test_parse_refuses_file_over_max_bytes(void **state)
{
	(void)state;
	int rc;
	const char *bin = testutil_bin();
	const char *over = text_file("over.txt", 1025);
	char *out = testutil_run(&rc, "%s parse --max-bytes 1KiB %s", bin, over);
	print_message("1025 bytes, --max-bytes 1KiB: exit %d: %s", rc, out);
	assert_int_equal(rc, EX_DATAERR);
	assert_non_null(strstr(out, "larger than max_bytes (1024 bytes)"));
	free(out);

	/* the limit itself is allowed */
	const char *at = text_file("at.txt", 1024);
	out = testutil_run(&rc, "%s parse --max-bytes 1024 --format text %s", bin, at);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "120"));
	free(out);

	/* a limit that is no size */
	out = testutil_run(&rc, "%s parse --max-bytes 1KiBs %s", bin, at);
	assert_int_equal(rc, EX_USAGE);
	assert_non_null(strstr(out, "--max-bytes"));
	free(out);
	out = testutil_run(&rc, "%s parse --max-bytes 0 %s", bin, at);
	assert_int_equal(rc, EX_USAGE);
	free(out);
}

static void
test_parse_refuses_stdin_over_max_bytes(void **state)
{
	(void)state;
	int rc;
	const char *bin = testutil_bin();
	const char *over = text_file("over.txt", 1025);
	char *out = testutil_run(&rc, "cat %s | %s parse --max-bytes 1KiB -", over, bin);
	assert_int_equal(rc, EX_DATAERR);
	assert_non_null(strstr(out, "-: larger than max_bytes (1024 bytes)"));
	free(out);

	/*
	 * An endless pipe: parse stops reading at the limit and refuses, so the
	 * writer ends on a broken pipe instead of parse buffering without end.
	 */
	out = testutil_run(&rc, "yes 全年办理行政复议案件120件。 | %s parse --max-bytes 64KiB -",
			   bin);
	assert_int_equal(rc, EX_DATAERR);
	assert_non_null(strstr(out, "larger than max_bytes (65536 bytes)"));
	free(out);

	out = testutil_run(&rc, "head -c 1024 %s | %s parse --max-bytes 1KiB --format text -", over,
			   bin);
	assert_int_equal(rc, 0);
	free(out);
}

static void
test_parse_max_bytes_from_config(void **state)
{
	(void)state;
	int rc;
	char conf[512];
	const char *bin = testutil_bin();
	snprintf(conf, sizeof(conf), "%s/small.conf", dir);
	const char *text = "[fetch]\nmax_bytes = 1KiB\n";
	assert_int_equal(testutil_write_file(conf, text, strlen(text)), 0);
	const char *over = text_file("over.txt", 1025);

	char *out = testutil_run(&rc, "%s parse --config %s %s", bin, conf, over);
	assert_int_equal(rc, EX_DATAERR);
	assert_non_null(strstr(out, "larger than max_bytes (1024 bytes)"));
	free(out);
	out = testutil_run(&rc, "REPORTPIPE_CONFIG=%s %s parse %s", conf, bin, over);
	assert_int_equal(rc, EX_DATAERR);
	free(out);
	/* --max-bytes wins over the config */
	out = testutil_run(&rc, "%s parse --config %s --max-bytes 2KiB --format text %s", bin, conf,
			   over);
	assert_int_equal(rc, 0);
	free(out);
}

static void
test_parse_json_in_slices_same_bytes(void **state)
{
	(void)state;
	/* some 45 000 metrics: streamed, the bytes json-c prints doc_to_json()'s tree as */
	const char *path = text_file("many.txt", 1400000);
	char *abs = realpath(path, NULL);
	size_t len;
	char *data = testutil_read_file(path, &len);
	char err[256], sha[DIGEST_HEX_LEN + 1];
	struct doc *doc = parse_document((const unsigned char *)data, len, NULL, err, sizeof(err));
	assert_non_null(doc);
	print_message("%zu metrics\n", doc->nmetrics);
	assert_true(doc->nmetrics > 40000);
	digest_sha256_hex(data, len, sha);
	doc->sha256 = strdup(sha);
	struct buf url = {0};
	buf_printf(&url, "file://%s", abs);
	doc->url = buf_take(&url);
	struct json_object *o = doc_to_json(doc);
	struct buf want = {0};
	buf_puts(&want, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
	buf_putc(&want, '\n');
	json_object_put(o);
	doc_free(&doc);

	int rc;
	char *out = testutil_run(&rc, "%s parse %s", testutil_bin(), path);
	assert_int_equal(rc, 0);
	if (strcmp(out, want.data) != 0) {
		size_t i = 0;
		while (out[i] && out[i] == want.data[i])
			i++;
		fail_msg("differs at byte %zu of %zu: '%.60s' for '%.60s'", i, want.len, out + i,
			 want.data + i);
	}
	free(out);
	buf_release(&want);
	free(data);
	free(abs);
}

/* Compress len bytes of c with zlib at level 9, into out. */
static void
deflate_fill(struct buf *out, int c, size_t len)
{
	z_stream z = {0};
	unsigned char in[65536], chunk[65536];
	memset(in, c, sizeof(in));
	assert_int_equal(deflateInit(&z, 9), Z_OK);
	int flush;
	do {
		size_t n = len < sizeof(in) ? len : sizeof(in);
		len -= n;
		flush = len == 0 ? Z_FINISH : Z_NO_FLUSH;
		z.next_in = in;
		z.avail_in = (uInt)n;
		do {
			z.next_out = chunk;
			z.avail_out = sizeof(chunk);
			assert_int_not_equal(deflate(&z, flush), Z_STREAM_ERROR);
			buf_append(out, chunk, sizeof(chunk) - z.avail_out);
		} while (z.avail_out == 0);
	} while (flush != Z_FINISH);
	deflateEnd(&z);
}

/* Compress data with zlib, into out. */
static void
deflate_buf(struct buf *out, const void *data, size_t len)
{
	uLongf n = compressBound((uLong)len);
	buf_reserve(out, n);
	assert_int_equal(compress2((Bytef *)out->data + out->len, &n, data, (uLong)len, 9), Z_OK);
	out->len += n;
}

/*
 * A PDF of two pages: the first says "Annual report 2020" in Helvetica, the
 * second's content stream is stream (already encoded, with filter as its
 * /Filter value). With a correct cross-reference table.
 */
static void
make_pdf(struct buf *pdf, const char *filter, const struct buf *stream)
{
	static const char page1[] = "BT /F1 12 Tf 72 700 Td (Annual report 2020) Tj ET\n";
	size_t off[8];
	int obj = 0;

	buf_puts(pdf, "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n");
	off[++obj] = pdf->len;
	buf_puts(pdf, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
	off[++obj] = pdf->len;
	buf_puts(pdf, "2 0 obj\n<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>\nendobj\n");
	for (int p = 3; p <= 4; p++) {
		off[++obj] = pdf->len;
		buf_printf(pdf,
			   "%d 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
			   "/Resources << /Font << /F1 7 0 R >> >> /Contents %d 0 R >>\nendobj\n",
			   p, p + 2);
	}
	off[++obj] = pdf->len;
	buf_printf(pdf, "5 0 obj\n<< /Length %zu >>\nstream\n%sendstream\nendobj\n",
		   sizeof(page1) - 1, page1);
	off[++obj] = pdf->len;
	buf_printf(pdf, "6 0 obj\n<< /Length %zu /Filter %s >>\nstream\n", stream->len, filter);
	buf_append(pdf, stream->data, stream->len);
	buf_puts(pdf, "\nendstream\nendobj\n");
	off[++obj] = pdf->len;
	buf_puts(pdf, "7 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n");
	size_t xref = pdf->len;
	buf_printf(pdf, "xref\n0 %d\n0000000000 65535 f \n", obj + 1);
	for (int i = 1; i <= obj; i++)
		buf_printf(pdf, "%010zu 00000 n \n", off[i]);
	buf_printf(pdf, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n", obj + 1,
		   xref);
}

static struct doc *
parse_pdf(const struct buf *pdf, char *err, size_t errlen)
{
	err[0] = '\0';
	struct doc *doc = parse_document((const unsigned char *)pdf->data, pdf->len,
					 "application/pdf", err, errlen);
	if (doc == NULL)
		assert_true(err[0] != '\0');
	return doc;
}

static void
test_pdf_within_limits_parses(void **state)
{
	(void)state;
	/* a second page of 4 MB of spaces, then text: well within the limits */
	struct buf raw = {0}, z = {0}, pdf = {0};
	for (size_t i = 0; i < (4u << 20); i++)
		buf_putc(&raw, ' ');
	buf_puts(&raw, "BT /F1 12 Tf 72 600 Td (Second page) Tj ET\n");
	deflate_buf(&z, raw.data, raw.len);
	make_pdf(&pdf, "/FlateDecode", &z);
	char err[256];
	struct doc *doc = parse_pdf(&pdf, err, sizeof(err));
	if (doc == NULL)
		fail_msg("refused: %s", err);
	char *t = text_utf8(&doc->text, 0, doc->text.len);
	assert_non_null(strstr(t, "Annual report 2020"));
	assert_non_null(strstr(t, "Second page"));
	free(t);
	doc_free(&doc);
	buf_release(&raw);
	buf_release(&z);
	buf_release(&pdf);
}

static void
test_pdf_inflate_bomb_refused(void **state)
{
	(void)state;
	/* a content stream of four times the limit of one stream, in spaces */
	const size_t big = 4 * (size_t)PDF_STREAM_MAX;
	struct buf z = {0}, pdf = {0};
	deflate_fill(&z, ' ', big);
	make_pdf(&pdf, "/FlateDecode", &z);
	print_message("bomb: %zu bytes of PDF, a stream of %zu MiB\n", pdf.len, big >> 20);

	char err[256];
	struct doc *doc = parse_pdf(&pdf, err, sizeof(err));
	print_message("parse: %s\n", doc ? "parsed" : err);
	doc_free(&doc);
	assert_non_null(strstr(err, "object 6"));
	assert_non_null(strstr(err, "inflates to more than 64 MiB"));

	/* the same through the command: refused, with the reason */
	char path[512];
	int rc;
	snprintf(path, sizeof(path), "%s/bomb.pdf", dir);
	assert_int_equal(testutil_write_file(path, pdf.data, pdf.len), 0);
	char *out = testutil_run(&rc, "%s parse %s", testutil_bin(), path);
	assert_int_equal(rc, EX_DATAERR);
	assert_non_null(strstr(out, "inflates to more than 64 MiB"));
	free(out);
	buf_release(&z);
	buf_release(&pdf);
}

/* ASCII85 of data, with its "~>". */
static void
a85_encode(struct buf *out, const unsigned char *data, size_t len)
{
	for (size_t i = 0; i < len; i += 4) {
		size_t n = len - i < 4 ? len - i : 4;
		unsigned long v = 0;
		for (size_t k = 0; k < 4; k++)
			v = v << 8 | (k < n ? data[i + k] : 0);
		char g[5];
		for (int k = 4; k >= 0; k--, v /= 85)
			g[k] = (char)('!' + v % 85);
		buf_append(out, g, n + 1);
	}
	buf_puts(out, "~>");
}

static void
hex_encode(struct buf *out, const unsigned char *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf_printf(out, "%02x%s", data[i], i % 32 == 31 ? "\n" : "");
	buf_putc(out, '>');
}

/* LZW codes, written as PDF's LZWDecode (EarlyChange 1) reads them. */
struct lzw {
	struct buf *out;
	unsigned long bits;
	int nbits, next, first;
};

static void
lzw_code(struct lzw *z, int code)
{
	int width = z->next + 1 >= 2048	  ? 12
		    : z->next + 1 >= 1024 ? 11
		    : z->next + 1 >= 512  ? 10
					  : 9;
	z->bits = z->bits << width | (unsigned long)code;
	z->nbits += width;
	while (z->nbits >= 8) {
		buf_putc(z->out, (char)(z->bits >> (z->nbits - 8)));
		z->nbits -= 8;
	}
	if (code == 256) {
		z->next = 258;
		z->first = 1;
	} else if (z->first) {
		z->first = 0;
	} else {
		z->next++;
	}
}

static void
lzw_end(struct lzw *z)
{
	lzw_code(z, 257);
	if (z->nbits > 0)
		buf_putc(z->out, (char)(z->bits << (8 - z->nbits)));
}

/* Text as LZW of literal codes only: valid, and no smaller. */
static void
lzw_literal(struct buf *out, const char *text)
{
	struct lzw z = {out, 0, 0, 258, 1};
	lzw_code(&z, 256);
	for (const char *p = text; *p; p++)
		lzw_code(&z, (unsigned char)*p);
	lzw_end(&z);
}

/* An LZW bomb: each code names the entry it makes, a run one space longer each time. */
static void
lzw_bomb(struct buf *out, size_t want)
{
	struct lzw z = {out, 0, 0, 258, 1};
	size_t n = 0;
	while (n < want) {
		lzw_code(&z, 256);
		lzw_code(&z, ' ');
		for (size_t run = 2; z.next < 4094 && n < want; run++) {
			lzw_code(&z, z.next);
			n += run;
		}
	}
	lzw_end(&z);
}

static void
expect_refused(const char *filter, const struct buf *stream, const char *why)
{
	struct buf pdf = {0};
	char err[256];
	make_pdf(&pdf, filter, stream);
	struct doc *doc = parse_pdf(&pdf, err, sizeof(err));
	print_message("%s, %zu bytes: %s\n", filter, pdf.len, doc ? "parsed" : err);
	doc_free(&doc);
	buf_release(&pdf);
	assert_non_null(strstr(err, why));
}

static void
expect_second_page(const char *filter, const struct buf *stream)
{
	struct buf pdf = {0};
	char err[256];
	make_pdf(&pdf, filter, stream);
	struct doc *doc = parse_pdf(&pdf, err, sizeof(err));
	buf_release(&pdf);
	if (doc == NULL)
		fail_msg("%s: refused: %s", filter, err);
	char *t = text_utf8(&doc->text, 0, doc->text.len);
	int ok = strstr(t, "Second page") != NULL;
	free(t);
	doc_free(&doc);
	if (!ok)
		fail_msg("%s: the second page's text is lost", filter);
}

static void
test_pdf_every_filter_measured(void **state)
{
	(void)state;
	static const char page2[] = "BT /F1 12 Tf 72 600 Td (Second page) Tj ET\n";
	const size_t big = 2 * (size_t)PDF_STREAM_MAX;
	struct buf z = {0}, s = {0};

	/* read as they should be, when small */
	lzw_literal(&s, page2);
	expect_second_page("/LZWDecode", &s);
	buf_reset(&s);
	deflate_buf(&z, page2, sizeof(page2) - 1);
	a85_encode(&s, (const unsigned char *)z.data, z.len);
	expect_second_page("[/A85 /Fl]", &s);
	buf_reset(&s);
	hex_encode(&s, (const unsigned char *)z.data, z.len);
	expect_second_page("[/ASCIIHexDecode /FlateDecode]", &s);
	buf_reset(&s);
	buf_reset(&z);

	/* refused, when they inflate past the limit */
	const char *why = "inflates to more than 64 MiB";
	lzw_bomb(&s, big);
	expect_refused("/LZWDecode", &s, why);
	buf_reset(&s);
	for (size_t n = 0; n < big; n += 128)
		buf_append(&s, "\x81 ", 2); /* 128 spaces a pair */
	buf_putc(&s, (char)128);
	expect_refused("/RunLengthDecode", &s, why);
	buf_reset(&s);
	deflate_fill(&z, ' ', big);
	a85_encode(&s, (const unsigned char *)z.data, z.len);
	expect_refused("[/ASCII85Decode /FlateDecode]", &s, why);
	buf_reset(&s);
	hex_encode(&s, (const unsigned char *)z.data, z.len);
	expect_refused("[/AHx /Fl]", &s, why);
	buf_release(&s);
	buf_release(&z);
}

static void
test_pdf_chained_bomb_refused(void **state)
{
	(void)state;
	/* deflated twice: a few KB; the first step stays under the limit */
	struct buf z1 = {0}, z2 = {0}, pdf = {0};
	deflate_fill(&z1, ' ', 2 * (size_t)PDF_STREAM_MAX);
	deflate_buf(&z2, z1.data, z1.len);
	make_pdf(&pdf, "[/FlateDecode /Fl]", &z2);
	char err[256];
	struct doc *doc = parse_pdf(&pdf, err, sizeof(err));
	doc_free(&doc);
	assert_non_null(strstr(err, "inflates to more than 64 MiB"));
	buf_release(&z1);
	buf_release(&z2);
	buf_release(&pdf);
}

static void
test_pdf_many_streams_over_total_refused(void **state)
{
	(void)state;
	/* one stream under the limit, repeated by an array of contents past the total */
	const size_t each = PDF_STREAM_MAX - 1024;
	const int copies = (int)(PDF_TOTAL_MAX / each) + 1;
	struct buf z = {0}, pdf = {0};
	deflate_fill(&z, ' ', each);
	buf_puts(&pdf, "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
		       "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
		       "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents [");
	for (int i = 0; i < copies; i++)
		buf_printf(&pdf, "%d 0 R ", 10 + i);
	buf_puts(&pdf, "] >>\nendobj\n");
	for (int i = 0; i < copies; i++) {
		buf_printf(&pdf, "%d 0 obj\n<< /Length %zu /Filter /FlateDecode >>\nstream\n",
			   10 + i, z.len);
		buf_append(&pdf, z.data, z.len);
		buf_puts(&pdf, "\nendstream\nendobj\n");
	}
	buf_puts(&pdf, "trailer\n<< /Root 1 0 R >>\n%%EOF\n"); /* no xref: poppler rebuilds it */
	char err[256];
	struct doc *doc = parse_pdf(&pdf, err, sizeof(err));
	print_message("%d streams of %zu MiB: %s\n", copies, each >> 20, doc ? "parsed" : err);
	doc_free(&doc);
	assert_non_null(strstr(err, "inflate to more than 256 MiB in all"));
	buf_release(&z);
	buf_release(&pdf);
}

static void
test_pdf_overlapping_streams_refused(void **state)
{
	(void)state;
	/*
	 * One dictionary, then 64 Ki "stream" keywords and no "endstream": every
	 * one would be measured to the end of the file, again and again.
	 */
	struct buf pdf = {0};
	buf_puts(&pdf, "%PDF-1.4\n1 0 obj\n<< /Filter /FlateDecode >>");
	for (int i = 0; i < 65536; i++)
		buf_puts(&pdf, " stream\n");
	buf_puts(&pdf, "%%EOF\n");
	char err[256];
	struct doc *doc = parse_pdf(&pdf, err, sizeof(err));
	print_message("%s\n", doc ? "parsed" : err);
	doc_free(&doc);
	assert_non_null(strstr(err, "streams overlap one another"));
	buf_release(&pdf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_refuses_file_over_max_bytes),
	    cmocka_unit_test(test_parse_refuses_stdin_over_max_bytes),
	    cmocka_unit_test(test_parse_max_bytes_from_config),
	    cmocka_unit_test(test_parse_json_in_slices_same_bytes),
	    cmocka_unit_test(test_pdf_within_limits_parses),
	    cmocka_unit_test(test_pdf_inflate_bomb_refused),
	    cmocka_unit_test(test_pdf_chained_bomb_refused),
	    cmocka_unit_test(test_pdf_many_streams_over_total_refused),
	    cmocka_unit_test(test_pdf_every_filter_measured),
	    cmocka_unit_test(test_pdf_overlapping_streams_refused),
	};
	return cmocka_run_group_tests_name("bounds", tests, setup, teardown);
}
