/*
 * doc_json_test.c - the streamed JSON (doc_json_write, what `reportpipe
 * parse --format json` prints) against the json-c tree (doc_to_json, what
 * the parser sends the sink).
 *
 * For every fixture report and for documents built to be hostile (quotes,
 * backslashes, control characters, invalid code points, an empty document),
 * the streamed bytes must read back through json_tokener as one complete
 * value equal to the tree, and be the very bytes json-c prints the tree as.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "doc.h"
#include "doc_json.h"
#include "parse.h"
#include "testutil.h"

#include <glob.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The streamed document, as bytes (owned, NUL-terminated) with its length. */
static char *
stream_doc(const struct doc *doc, size_t *lenp)
{
	char *out = NULL;
	FILE *fp = open_memstream(&out, lenp);
	assert_non_null(fp);
	assert_int_equal(doc_json_write(doc, fp), 0);
	assert_int_equal(fclose(fp), 0);
	return out;
}

/* Streamed and tree forms of doc agree, as values and as bytes; what names it in failures. */
static void
check_doc(const struct doc *doc, const char *what)
{
	size_t len;
	char *out = stream_doc(doc, &len);
	struct json_object *tree = doc_to_json(doc);

	/* one complete value, nothing after it but the newline */
	struct json_tokener *tok = json_tokener_new();
	struct json_object *back = json_tokener_parse_ex(tok, out, (int)len);
	if (back == NULL)
		fail_msg("%s: streamed JSON does not parse: %s at byte %zu", what,
			 json_tokener_error_desc(json_tokener_get_error(tok)),
			 json_tokener_get_parse_end(tok));
	size_t end = json_tokener_get_parse_end(tok);
	assert_int_equal(out[len - 1], '\n');
	assert_true(end == len || end == len - 1); /* the tokener may take the newline too */
	json_tokener_free(tok);

	/*
	 * The tree as any reader of its JSON gets it (the sink does): a value
	 * such as 七点九 is 7 + 0.9 in the tree, a hair off the double 7.9, but
	 * "7.9" in the tree's own JSON as in the stream, by design ("%.15g").
	 */
	const char *want = json_object_to_json_string_ext(tree, JSON_C_TO_STRING_PRETTY |
								    JSON_C_TO_STRING_NOSLASHESCAPE);
	struct json_object *tree_read = json_tokener_parse(want);
	assert_non_null(tree_read);
	if (!json_object_equal(back, tree_read))
		fail_msg("%s: streamed JSON reads back unlike doc_to_json()'s tree", what);
	json_object_put(tree_read);
	size_t wlen = strlen(want);
	if (len != wlen + 1 || memcmp(out, want, wlen) != 0) {
		size_t i = 0;
		while (i < wlen && i < len && out[i] == want[i])
			i++;
		fail_msg("%s: bytes differ at %zu of %zu: '%.40s' for '%.40s'", what, i, wlen,
			 out + i, want + i);
	}
	print_message("%s: %zu bytes, %zu sections, %zu metrics: same\n", what, len, doc->nsections,
		      doc->nmetrics);
	json_object_put(back);
	json_object_put(tree);
	free(out);
}

/* Parse every file matching pattern and check it; returns how many there were. */
static size_t
check_files(const char *pattern)
{
	glob_t g;
	size_t n = 0;

	if (glob(pattern, 0, NULL, &g) != 0)
		return 0;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *path = g.gl_pathv[i];
		if (strstr(path, ".sh") != NULL)
			continue; /* make-fixtures.sh, not a report */
		size_t len;
		char err[256];
		char *data = testutil_read_file(path, &len);
		assert_non_null(data);
		struct doc *doc =
		    parse_document((const unsigned char *)data, len, NULL, err, sizeof(err));
		if (doc == NULL)
			fail_msg("%s: %s", path, err);
		doc->url = strdup(path);
		check_doc(doc, path);
		doc_free(&doc);
		free(data);
		n++;
	}
	globfree(&g);
	return n;
}

static void
test_fixture_reports(void **state)
{
	(void)state;
	assert_true(check_files("../shared/fixtures/reports/*.txt") >= 6);
	assert_true(check_files("tests/fixtures/formats/*") >= 4);
}

static void
test_empty_doc(void **state)
{
	(void)state;
	struct doc *doc = doc_new();
	check_doc(doc, "empty");
	size_t len;
	char *out = stream_doc(doc, &len);
	/* every key is there, null when unknown; empty arrays as json-c prints them */
	assert_non_null(strstr(out, "  \"url\":null,\n"));
	assert_non_null(strstr(out, "  \"text\":\"\",\n"));
	assert_non_null(strstr(out, "  \"sections\":[\n  ],\n"));
	assert_non_null(strstr(out, "  \"warnings\":[\n  ]\n}\n"));
	free(out);
	doc_free(&doc);
}

/* Set doc's text to the code points cp (n of them). */
static void
set_text(struct doc *doc, const uint32_t *cp, size_t n)
{
	doc->text.cp = calloc(n + 1, sizeof(uint32_t));
	memcpy(doc->text.cp, cp, n * sizeof(uint32_t));
	doc->text.len = n;
}

static void
test_hostile_strings(void **state)
{
	(void)state;
	static const char nasty[] = "q\"uote \\back\\slash/ \b\f\n\r\t \x01\x1f\x7f "
				    "\xe2\x80\xa8\xe2\x80\xa9 \xef\xbf\xbd 韶关 \\u0000 </script>";
	/* controls, quotes, a lone surrogate and an out-of-range code point (both U+FFFD) */
	static const uint32_t cp[] = {'"',    '\\',	'/',	0x01,	0x1F,	 '\n',	 '\r',
				      '\t',   0x08,	0x0C,	0x7F,	0x2028,	 0x2029, 0xD800,
				      0xDFFF, 0x110000, 0xFFFD, 0x97F6, 0x1F600, 'a',	 '"'};
	struct doc *doc = doc_new();

	doc->url = strdup(nasty);
	doc->title = strdup(nasty);
	doc->charset = strdup("UTF-8");
	doc->report_year = 2020;
	snprintf(doc->published_on, sizeof(doc->published_on), "2020-12-18");
	doc->genre = "其他";
	set_text(doc, cp, sizeof(cp) / sizeof(cp[0]));

	doc->sections = calloc(2, sizeof(struct section));
	doc->nsections = 2;
	snprintf(doc->sections[0].path, sizeof(doc->sections[0].path), "1");
	doc->sections[0].level = 1;
	doc->sections[0].parent = -1;
	snprintf(doc->sections[0].marker, sizeof(doc->sections[0].marker), "\"一、\\");
	doc->sections[0].heading = strdup(nasty);
	doc->sections[0].end = doc->text.len;
	snprintf(doc->sections[1].path, sizeof(doc->sections[1].path), "1.1");
	doc->sections[1].level = 2;
	doc->sections[1].heading = strdup("");
	doc->sections[1].start = 3;
	doc->sections[1].end = 9;

	/* values: integers, halves, negatives, past the int64 cut-off, tiny */
	static const double values[] = {86,	    -2,	   4000.5, -14.5, 400050000000.0,
					1e20,	    0.125, 1.5e-7, 9e15,  -9.5e15,
					123456.789, 0,	   36.5e4};
	size_t nm = sizeof(values) / sizeof(values[0]);
	doc->metrics = calloc(nm, sizeof(struct metric));
	doc->nmetrics = nm;
	for (size_t i = 0; i < nm; i++) {
		struct metric *m = &doc->metrics[i];
		m->section = (int)(i % 3) - 1; /* -1: no section, so section_path null */
		m->label = strdup(i % 2 ? nasty : "");
		m->unit = strdup(i % 2 ? "%" : "\"\\");
		m->value = values[i];
		m->qualifier = (enum qualifier)(i % 5);
		m->measure = (enum measure)(i % 4);
		m->target = (int)(i % 2);
		m->year = i % 3 ? 2019 + (int)i : 0;
		m->key = i % 2 ? "生产总值" : NULL;
		m->start = i;
		m->end = i + 3 < doc->text.len ? i + 3 : doc->text.len;
		m->sent_start = 0;
		m->sent_end = doc->text.len + 5; /* past the end: clipped, as text_utf8 does */
	}
	doc_warn(doc, "%s", nasty);
	doc_warn(doc, "plain");
	check_doc(doc, "hostile");
	doc_free(&doc);
}

static void
test_nul_in_text_ends_string(void **state)
{
	(void)state;
	/* the tree's strings are C strings: a U+0000 ends the text there, in both */
	static const uint32_t cp[] = {'a', 'b', 0, 'c'};
	struct doc *doc = doc_new();
	set_text(doc, cp, 4);
	check_doc(doc, "nul");
	size_t len;
	char *out = stream_doc(doc, &len);
	assert_non_null(strstr(out, "\"text\":\"ab\",\n"));
	free(out);
	doc_free(&doc);
}

static void
test_large_text_crosses_buffer(void **state)
{
	(void)state;
	/* 3 MB of escapes and CJK: the writer's 1 MiB buffer fills mid-string, many times */
	size_t n = 1000000;
	uint32_t *cp = calloc(n, sizeof(uint32_t));
	for (size_t i = 0; i < n; i++)
		cp[i] = i % 7 == 0 ? 0x01 : i % 5 == 0 ? '"' : i % 3 == 0 ? 0x97F6 : 'x';
	struct doc *doc = doc_new();
	set_text(doc, cp, n);
	free(cp);
	char *big = malloc(3000001);
	memset(big, '\\', 3000000);
	big[3000000] = '\0';
	doc->title = big; /* a C string longer than the buffer, all escapes */
	check_doc(doc, "large");
	doc_free(&doc);
}

static void
test_write_error_reported(void **state)
{
	(void)state;
	struct doc *doc = doc_new();
	FILE *fp = fopen("/dev/full", "w");
	if (fp == NULL)
		skip();
	setvbuf(fp, NULL, _IONBF, 0);
	assert_int_equal(doc_json_write(doc, fp), -1);
	fclose(fp);
	doc_free(&doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixture_reports),
	    cmocka_unit_test(test_empty_doc),
	    cmocka_unit_test(test_hostile_strings),
	    cmocka_unit_test(test_nul_in_text_ends_string),
	    cmocka_unit_test(test_large_text_crosses_buffer),
	    cmocka_unit_test(test_write_error_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
