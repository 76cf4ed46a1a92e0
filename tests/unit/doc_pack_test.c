/*
 * doc_pack_test.c - the RESULT body the parser packs (doc_pack) against the
 * JSON document (doc_to_json, what `parse --format json` shows): read by the
 * sink (sink_rows_split, sink_rows_new), both must give the very same COPY
 * rows. The JSON goes through tests/support's value-for-value packer, which
 * is also how the integration tests send documents changed by hand.
 *
 * For every fixture report and for a document built to be hostile, and
 * then the reader's refusals: truncated, lying lengths, wrong types.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "doc.h"
#include "doc_json.h"
#include "doc_pack.h"
#include "parse.h"
#include "sink_mp.h"
#include "sink_rows.h"
#include "sinkdrv.h"
#include "testutil.h"

#include <glob.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct json_object *
header(void)
{
	struct json_object *h = json_object_new_object();
	json_object_object_add(h, "key", json_object_new_string("k"));
	json_object_object_add(h, "url", json_object_new_string("file:///r.txt"));
	json_object_object_add(h, "sha256", json_object_new_string("00"));
	json_object_object_add(h, "fetched_at", json_object_new_string("2026-12-07T00:00:00Z"));
	return h;
}

/* The sink's rows of a RESULT body, and the report it found in it. */
static struct sink_doc *
rows_of(struct json_object *hdr, const struct buf *body, const void *report, size_t report_len)
{
	const unsigned char *doc, *rep;
	size_t doc_len, rep_len;
	char err[512];
	assert_int_equal(sink_rows_split((const unsigned char *)body->data, body->len, &doc,
					 &doc_len, &rep, &rep_len),
			 0);
	assert_int_equal(rep_len, report_len);
	assert_memory_equal(rep, report_len ? report : "", report_len);
	struct sink_doc *d = sink_rows_new(hdr, doc, doc_len, err, sizeof(err));
	if (d == NULL)
		fail_msg("refused: %s", err);
	return d;
}

static void
assert_buf_equal(const struct buf *a, const struct buf *b, const char *what, const char *name)
{
	if (a->len != b->len || memcmp(a->data ? a->data : "", b->data ? b->data : "", a->len) != 0)
		fail_msg("%s: %s rows differ:\npacked: %.*s\nJSON:   %.*s", name, what,
			 (int)(a->len > 2000 ? 2000 : a->len), a->data ? a->data : "",
			 (int)(b->len > 2000 ? 2000 : b->len), b->data ? b->data : "");
}

/* doc packed by the parser and doc as JSON make the same rows. */
static void
check_doc(const struct doc *doc, const char *report, size_t report_len, const char *name)
{
	struct json_object *hdr = header(), *json = doc_to_json(doc);
	struct buf packed = {0}, from_json = {0};
	doc_pack(doc, report, report_len, &packed);
	sinkdrv_pack(json, report, report_len, &from_json);
	struct sink_doc *a = rows_of(hdr, &packed, report, report_len);
	struct sink_doc *b = rows_of(hdr, &from_json, report, report_len);
	assert_int_equal(a->nsec, doc->nsections);
	assert_int_equal(a->nmet, doc->nmetrics);
	assert_int_equal(a->nsec, b->nsec);
	assert_int_equal(a->nmet, b->nmet);
	assert_buf_equal(&a->docrow, &b->docrow, "document", name);
	assert_buf_equal(&a->sec, &b->sec, "section", name);
	assert_buf_equal(&a->met, &b->met, "metric", name);
	for (size_t i = 0; i < a->nsec; i++)
		assert_int_equal(a->sec_parent[i], b->sec_parent[i]);
	for (size_t i = 0; i < a->nmet; i++)
		assert_int_equal(a->met_sec[i], b->met_sec[i]);
	/* and the message is smaller than the JSON the parser used to send */
	const char *text = json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN);
	if (doc->nmetrics > 10 && packed.len >= strlen(text) + report_len)
		fail_msg("%s: packed %zu bytes, JSON %zu", name, packed.len, strlen(text));
	sink_rows_free(&a);
	sink_rows_free(&b);
	buf_release(&packed);
	buf_release(&from_json);
	json_object_put(json);
	json_object_put(hdr);
}

static size_t
check_files(const char *pattern)
{
	glob_t g;
	size_t n = 0;
	if (glob(pattern, 0, NULL, &g) != 0)
		return 0;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *path = g.gl_pathv[i];
		size_t len;
		char err[256];
		if (strstr(path, ".sh") != NULL)
			continue;
		char *data = testutil_read_file(path, &len);
		assert_non_null(data);
		struct doc *doc =
		    parse_document((const unsigned char *)data, len, NULL, err, sizeof(err));
		if (doc == NULL)
			fail_msg("%s: %s", path, err);
		check_doc(doc, data, len, path);
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
	assert_true(check_files("examples/reports/*") >= 1);
}

static void
test_hostile_document(void **state)
{
	(void)state;
	/* controls, quotes, a lone surrogate, an out-of-range code point, a U+0000 late on */
	static const uint32_t cp[] = {'"',    '\\',   '/',	0x01,	'\t',	'\n',	 0x0D,
				      0x2028, 0xD800, 0x110000, 0xFFFD, 0x97F6, 0x1F600, 'a',
				      'b',    'c',    'd',	'e',	0,	'f'};
	struct doc *doc = doc_new();
	doc->title = strdup("q\"uote \\back\tslash\nline");
	doc->charset = strdup("UTF-8");
	doc->report_year = 2020;
	doc->genre = "其他";
	snprintf(doc->region_code, sizeof(doc->region_code), "440200");
	doc->text.len = sizeof(cp) / sizeof(cp[0]);
	doc->text.cp = calloc(doc->text.len + 1, sizeof(uint32_t));
	memcpy(doc->text.cp, cp, sizeof(cp));
	doc->sections = calloc(3, sizeof(struct section));
	doc->nsections = 3;
	const char *paths[] = {"1", "1.1", "2"};
	for (int i = 0; i < 3; i++) {
		struct section *s = &doc->sections[i];
		snprintf(s->path, sizeof(s->path), "%s", paths[i]);
		s->level = i == 1 ? 2 : 1;
		s->parent = i == 1 ? 0 : -1;
		snprintf(s->marker, sizeof(s->marker), "%s", i == 1 ? "（一）" : "一、");
		s->heading = strdup(i == 2 ? "" : "\\heading\t");
		s->start = (size_t)i * 5;
		s->end = (size_t)i * 5 + 5;
	}
	static const double values[] = {86,	-2,   4000.5,  -14.5, 400050000000.0, 1e20, 0.125,
					1.5e-7, 9e15, -9.5e15, 0};
	size_t nm = sizeof(values) / sizeof(values[0]);
	doc->metrics = calloc(nm, sizeof(struct metric));
	doc->nmetrics = nm;
	for (size_t i = 0; i < nm; i++) {
		struct metric *m = &doc->metrics[i];
		m->section = (int)(i % 4) - 1;
		m->label = strdup(i % 2 ? "\"label\\\n" : "");
		m->unit = strdup(i % 2 ? "%" : "");
		m->value = values[i];
		m->qualifier = (enum qualifier)(i % 5);
		m->measure = (enum measure)(i % 4);
		m->target = (int)(i % 2);
		m->year = i % 3 ? 2019 + (int)i : 0;
		m->key = i % 2 ? "生产总值" : NULL;
		m->start = i;
		m->end = i + 2;
		/* inside the text, past the U+0000 (a copy), past the end (clipped copy), reversed
		 */
		m->sent_start = i % 4 == 3 ? 9 : i;
		m->sent_end = i % 4 == 0 ? i + 3 : i % 4 == 1 ? 19 : i % 4 == 2 ? 40 : 2;
	}
	check_doc(doc, "report\0with a NUL", 17, "hostile");
	doc_free(&doc);
}

/* Feed body (a RESULT body) to the sink's reader: it must refuse, with a reason. */
static void
expect_refused(const unsigned char *body, size_t len, const char *what)
{
	struct json_object *hdr = header();
	const unsigned char *doc, *rep;
	size_t doc_len, rep_len;
	char err[512];
	if (sink_rows_split(body, len, &doc, &doc_len, &rep, &rep_len) == 0) {
		struct sink_doc *d = sink_rows_new(hdr, doc, doc_len, err, sizeof(err));
		if (d != NULL)
			fail_msg("%s: stored", what);
		assert_true(err[0] != '\0');
	}
	json_object_put(hdr);
}

static void
test_refusals(void **state)
{
	(void)state;
	size_t len;
	char *data = testutil_read_file("examples/reports/shaoguan-2020-fazhi.txt", &len);
	char err[256];
	struct doc *doc = parse_document((const unsigned char *)data, len, NULL, err, sizeof(err));
	assert_non_null(doc);
	struct buf b = {0};
	doc_pack(doc, data, len, &b);
	/* cut anywhere: never read past the end, never stored */
	for (size_t cut = 0; cut < b.len; cut += cut < 64 ? 1 : 997)
		expect_refused((const unsigned char *)b.data, cut, "truncated");
	/* a lying length: a str32 of 4 GB */
	static const unsigned char liar[] = {0x92, 0xc4, 0x00, 0x81, 0xa4, 't',	 'e', 'x',
					     't',  0xdb, 0xff, 0xff, 0xff, 0xff, 'x'};
	expect_refused(liar, sizeof(liar), "lying length");
	/* an array of 2^32-1 elements in 6 bytes */
	static const unsigned char many[] = {0x92, 0xc4, 0x00, 0xdd, 0xff, 0xff, 0xff, 0xff};
	expect_refused(many, sizeof(many), "huge array");
	/* text that is not a string, then sections that are not maps */
	static const unsigned char notext[] = {0x92, 0xc4, 0x00, 0x81, 0xa4,
					       't',  'e',  'x',	 't',  0x05};
	expect_refused(notext, sizeof(notext), "text is a number");
	static const unsigned char badsec[] = {0x92, 0xc4, 0x00, 0x82, 0xa4, 't',  'e',
					       'x',  't',  0xa0, 0xa8, 's',  'e',  'c',
					       't',  'i',  'o',	 'n',  's',  0x91, 0x01};
	expect_refused(badsec, sizeof(badsec), "a section that is a number");
	/* a legitimate empty document is stored: the refusals above are not blanket */
	static const unsigned char empty[] = {0x92, 0xc4, 0x00, 0x81, 0xa4,
					      't',  'e',  'x',	't',  0xa0};
	const unsigned char *pdoc, *rep;
	size_t pdoc_len, rep_len;
	assert_int_equal(sink_rows_split(empty, sizeof(empty), &pdoc, &pdoc_len, &rep, &rep_len),
			 0);
	struct json_object *hdr = header();
	struct sink_doc *d = sink_rows_new(hdr, pdoc, pdoc_len, err, sizeof(err));
	assert_non_null(d);
	sink_rows_free(&d);
	json_object_put(hdr);
	buf_release(&b);
	doc_free(&doc);
	free(data);
}

/* The reader's integers and floats, every width, as msgpack-c writes them. */
static void
test_reader_numbers(void **state)
{
	(void)state;
	static const unsigned char in[] = {
	    0x7f, 0xe0, 0xcc, 0xff, 0xcd, 0xff, 0xff, 0xd0, 0x80, 0xd1, 0x80, 0x00,
	    0xd2, 0x80, 0x00, 0x00, 0x00, 0xd3, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
	    0x00, 0x00, 0xcf, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xcb,
	    0x3f, 0xf8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xca, 0xc0, 0x20, 0x00,
	    0x00, 0xcf, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
	static const long long want[] = {127,	 -32,		255,	   65535,    -128,
					 -32768, -2147483648LL, INT64_MIN, INT64_MAX};
	struct sink_mp r = {in, in + sizeof(in)};
	struct sink_mp_value v;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(sink_mp_next(&r, &v), 0);
		assert_int_equal(v.type, SINK_MP_INT);
		assert_true(v.i == want[i]);
	}
	assert_int_equal(sink_mp_next(&r, &v), 0);
	assert_int_equal(v.type, SINK_MP_FLOAT);
	assert_true(v.f == 1.5);
	assert_int_equal(sink_mp_next(&r, &v), 0);
	assert_true(v.f == -2.5);
	/* a uint64 past INT64_MAX is refused, not wrapped */
	assert_int_equal(sink_mp_next(&r, &v), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixture_reports),
	    cmocka_unit_test(test_hostile_document),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_reader_numbers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
