/*
 * sections_test.c - the section tree from numbered markers (sections.c).
 *
 * Small texts go through decode_text() + sections_find() so that "no
 * markers" really means no sections; the seed report goes through
 * parse_document() and is checked section by section against the
 * hand-checked gold file in ../shared/fixtures/gold.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "cn_numeral.h"
#include "decode.h"
#include "doc.h"
#include "parse.h"
#include "sections.h"
#include "testutil.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEED "examples/reports/shaoguan-2020-fazhi.txt"
#define SEED_GOLD "../shared/fixtures/gold/shaoguan-2020-fazhi.json"

static struct doc *
find(const char *utf8)
{
	struct doc *doc = doc_new();
	assert_int_equal(decode_text(doc, (const unsigned char *)utf8, strlen(utf8), "utf-8"), 0);
	size_t n = sections_find(doc);
	assert_int_equal(n, doc->nsections);
	return doc;
}

/* Section i must have this path, level, marker and heading. */
static void
expect_section(const struct doc *doc, size_t i, const char *path, int level, const char *marker,
	       const char *heading)
{
	if (i >= doc->nsections)
		fail_msg("section %zu missing: only %zu found", i, doc->nsections);
	const struct section *s = &doc->sections[i];
	assert_string_equal(s->path, path);
	assert_int_equal(s->level, level);
	assert_string_equal(s->marker, marker);
	assert_string_equal(s->heading, heading);
}

static void
test_every_marker_style(void **state)
{
	(void)state;
	static const char *const pairs[][2] = {
	    {"一、", "二、"}, {"（一）", "（二）"}, {"(一)", "(二)"}, {"1.", "2."}, {"1．", "2．"},
	    {"1、", "2、"},   {"（1）", "（2）"},   {"(1)", "(2)"},   {"①", "②"},
	};
	char text[128];

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		snprintf(text, sizeof(text), "%s甲项\n正文。\n%s乙项\n", pairs[i][0], pairs[i][1]);
		struct doc *doc = find(text);
		assert_int_equal(doc->nsections, 2);
		expect_section(doc, 0, "1", 1, pairs[i][0], "甲项");
		expect_section(doc, 1, "2", 1, pairs[i][1], "乙项");
		assert_int_equal(doc->sections[1].parent, -1);
		doc_free(&doc);
	}
}

static void
test_levels_by_first_use(void **state)
{
	(void)state;
	/* all nine styles, each first used one level deeper than the last */
	struct doc *doc = find("（1）a\n①b\n一、c\n(一)d\n1．e\n1、f\n(1)g\n（一）h\n1.i\n");
	static const char *const markers[] = {"（1）", "①",   "一、",	"(一)", "1．",
					      "1、",   "(1)", "（一）", "1."};
	char path[64] = "1";

	assert_int_equal(doc->nsections, 9);
	for (int i = 0; i < 9; i++) {
		char heading[2] = {(char)('a' + i), '\0'};
		expect_section(doc, (size_t)i, path, i + 1, markers[i], heading);
		assert_int_equal(doc->sections[i].parent, i - 1);
		strcat(path, ".1");
	}
	doc_free(&doc);

	/* the same two styles in the other order swap levels */
	doc = find("1.甲\n一、乙\n2.丙\n一、丁\n");
	assert_int_equal(doc->nsections, 4);
	expect_section(doc, 0, "1", 1, "1.", "甲");
	expect_section(doc, 1, "1.1", 2, "一、", "乙");
	expect_section(doc, 2, "2", 1, "2.", "丙");
	expect_section(doc, 3, "2.1", 2, "一、", "丁");
	assert_int_equal(doc->sections[3].parent, 2);
	doc_free(&doc);
}

static void
test_numbering_must_continue(void **state)
{
	(void)state;
	/* a gap is not a heading; the list goes on from where it was */
	struct doc *doc = find("一、甲\n二、乙\n四、丁\n三、丙\n");
	assert_int_equal(doc->nsections, 3);
	expect_section(doc, 0, "1", 1, "一、", "甲");
	expect_section(doc, 1, "2", 1, "二、", "乙");
	expect_section(doc, 2, "3", 1, "三、", "丙");
	doc_free(&doc);

	/* children restart at one under each parent, and must start at one */
	doc = find("一、甲\n（一）子一\n（二）子二\n二、乙\n（三）不接续\n（一）子三\n");
	assert_int_equal(doc->nsections, 5);
	expect_section(doc, 0, "1", 1, "一、", "甲");
	expect_section(doc, 1, "1.1", 2, "（一）", "子一");
	expect_section(doc, 2, "1.2", 2, "（二）", "子二");
	expect_section(doc, 3, "2", 1, "二、", "乙");
	expect_section(doc, 4, "2.1", 2, "（一）", "子三");
	doc_free(&doc);

	/* a new style must begin at one */
	doc = find("一、甲\n（二）乙\n3.丙\n");
	assert_int_equal(doc->nsections, 1);
	doc_free(&doc);

	/* circled numbers too */
	doc = find("①甲\n③丙\n②乙\n");
	assert_int_equal(doc->nsections, 2);
	expect_section(doc, 1, "2", 1, "②", "乙");
	doc_free(&doc);
}

static void
test_numbers_at_line_start_are_not_markers(void **state)
{
	(void)state;
	struct doc *doc = find("一、总体情况\n"
			       "1.5万人次参加培训。\n"
			       "2020年，全市办结案件。\n"
			       "12.18日召开会议。\n"
			       "10万元用于宣传。\n"
			       "1.具体措施\n");
	/* "1.5万" did not use up the "1." list: the real "1." still opens 1.1 */
	assert_int_equal(doc->nsections, 2);
	expect_section(doc, 0, "1", 1, "一、", "总体情况");
	expect_section(doc, 1, "1.1", 2, "1.", "具体措施");
	doc_free(&doc);

	doc = find("2020年工作总结\n100年\n1000.\n一是加强领导。\n");
	assert_int_equal(doc->nsections, 0);
	doc_free(&doc);
}

static void
test_markers_only_at_paragraph_start(void **state)
{
	(void)state;
	struct doc *doc = find("我们开展了一、二、三类工作\n前言：一、甲\n见(1)项\n");
	assert_int_equal(doc->nsections, 0);
	doc_free(&doc);

	/* indentation (ASCII or U+3000) before a marker is fine */
	doc = find("　　一、甲\n  二、乙\n");
	assert_int_equal(doc->nsections, 2);
	assert_int_equal(doc->sections[0].start, 2); /* at the marker, not the indent */
	expect_section(doc, 1, "2", 1, "二、", "乙");
	doc_free(&doc);

	/* a marker with nothing after it on its line heads nothing */
	doc = find("一、\n正文。\n（一）");
	assert_int_equal(doc->nsections, 0);
	doc_free(&doc);
}

static void
test_heading_ends_at_full_stop(void **state)
{
	(void)state;
	struct doc *doc = find("一、坚持依法行政。全年办理案件86件。\n"
			       "二、 没有句号的标题 \n"
			       "三、标题带冒号：\n"
			       "四、。\n");
	assert_int_equal(doc->nsections, 4);
	expect_section(doc, 0, "1", 1, "一、", "坚持依法行政");
	expect_section(doc, 1, "2", 1, "二、", "没有句号的标题");
	expect_section(doc, 2, "3", 1, "三、", "标题带冒号：");
	expect_section(doc, 3, "4", 1, "四、", "");
	doc_free(&doc);
}

static void
test_offsets_and_sections_at(void **state)
{
	(void)state;
	/* code points: 前言\n = 0..2, 一、a\n = 3..6, （一）b\n = 7..11, 二、c = 12..14 */
	struct doc *doc = find("前言\n一、a\n（一）b\n二、c");
	assert_int_equal(doc->text.len, 15);
	assert_int_equal(doc->nsections, 3);
	assert_int_equal(doc->sections[0].start, 3);
	assert_int_equal(doc->sections[0].end, 12);
	assert_int_equal(doc->sections[1].start, 7);
	assert_int_equal(doc->sections[1].end, 12);
	assert_int_equal(doc->sections[1].parent, 0);
	assert_int_equal(doc->sections[2].start, 12);
	assert_int_equal(doc->sections[2].end, 15);

	assert_int_equal(sections_at(doc, 0), -1); /* the preamble */
	assert_int_equal(sections_at(doc, 3), 0);
	assert_int_equal(sections_at(doc, 6), 0);
	assert_int_equal(sections_at(doc, 7), 1);
	assert_int_equal(sections_at(doc, 11), 1);
	assert_int_equal(sections_at(doc, 12), 2);
	assert_int_equal(sections_at(doc, 14), 2);
	assert_int_equal(sections_at(doc, 15), -1); /* past the end */
	doc_free(&doc);
}

static void
test_flat_text(void **state)
{
	(void)state;
	struct buf b = {0};
	buf_puts(&b, "一、总体 ");
	for (int i = 0; i < 450; i++)
		buf_puts(&b, "字");
	buf_puts(&b, "。二、第二部分 正文。 （一）子项 正文");
	/* one line far longer than 400: markers after 。 or a space count */
	struct doc *doc = find(b.data);
	assert_int_equal(doc->nsections, 3);
	expect_section(doc, 1, "2", 1, "二、", "第二部分 正文");
	expect_section(doc, 2, "2.1", 2, "（一）", "子项 正文");
	doc_free(&doc);
	buf_release(&b);

	/* the same shape on a short line is one paragraph: no second section */
	doc = find("一、总体。二、第二部分\n");
	assert_int_equal(doc->nsections, 1);
	doc_free(&doc);
}

static void
test_cn_small_numeral(void **state)
{
	(void)state;
	static const struct {
		const uint32_t *s;
		int value;
		size_t used;
	} cases[] = {
	    {U"一、", 1, 1},	{U"九", 9, 1},	  {U"十", 10, 1},
	    {U"十一", 11, 2},	{U"二十", 20, 2}, {U"二十三", 23, 3},
	    {U"九十九", 99, 3}, {U"两个", 2, 1},  {U"三十）", 30, 2},
	};
	static const uint32_t *const none[] = {U"〇", U"百", U"a", U"", U"第一"};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = 0, used = 0;
		while (cases[i].s[n])
			n++;
		assert_int_equal(cn_small_numeral(cases[i].s, n, &used), cases[i].value);
		assert_int_equal(used, cases[i].used);
	}
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		size_t n = 0, used = 77;
		while (none[i][n])
			n++;
		assert_int_equal(cn_small_numeral(none[i], n, &used), -1);
		assert_int_equal(used, 77);
	}
}

/* cn_digit's hash against the plain list, over every code point there is. */
static void
test_cn_digit_every_code_point(void **state)
{
	(void)state;
	static const uint32_t digits[] = U"零〇○一二两三四五六七八九";
	static const int values[] = {0, 0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9};
	size_t found = 0;
	for (uint32_t c = 0; c <= 0x10FFFF; c++) {
		int want = -1;
		for (size_t i = 0; digits[i]; i++)
			if (digits[i] == c)
				want = values[i];
		assert_int_equal(cn_digit(c), want);
		found += want >= 0;
	}
	assert_int_equal(found, 13);
	assert_int_equal(cn_digit(0xFFFFFFFFu), -1);
}

static void
test_no_markers_root_section(void **state)
{
	(void)state;
	const char *text = "某县2019年工作总结\n全年办理案件。\n";
	char err[64] = "";
	struct doc *doc = find(text);
	assert_int_equal(doc->nsections, 0);
	doc_free(&doc);

	/* parse_document then makes the whole text one root section */
	doc = parse_document((const unsigned char *)text, strlen(text), "text/plain", err,
			     sizeof(err));
	assert_non_null(doc);
	assert_int_equal(doc->nsections, 1);
	expect_section(doc, 0, "1", 1, "", "某县2019年工作总结");
	assert_int_equal(doc->sections[0].start, 0);
	assert_int_equal(doc->sections[0].end, doc->text.len);
	doc_free(&doc);
}

static void
test_seed_report_matches_gold(void **state)
{
	(void)state;
	size_t len;
	char err[128] = "";
	char *data = testutil_read_file(SEED, &len);
	assert_non_null(data);
	struct doc *doc =
	    parse_document((const unsigned char *)data, len, "text/plain", err, sizeof(err));
	free(data);
	assert_non_null(doc);

	assert_int_equal(doc->nsections, 44);
	expect_section(doc, 0, "1", 1, "一、", "2020年主要工作及成效");
	assert_int_equal(doc->sections[0].parent, -1);

	struct json_object *gold = json_object_from_file(SEED_GOLD), *secs;
	assert_non_null(gold);
	assert_true(json_object_object_get_ex(gold, "sections", &secs));
	assert_int_equal(json_object_array_length(secs), doc->nsections);
	for (size_t i = 0; i < doc->nsections; i++) {
		struct json_object *g = json_object_array_get_idx(secs, i), *v;
		const char *f[] = {"path", "marker", "heading"};
		const char *got[] = {doc->sections[i].path, doc->sections[i].marker,
				     doc->sections[i].heading};
		for (int k = 0; k < 3; k++) {
			assert_true(json_object_object_get_ex(g, f[k], &v));
			assert_string_equal(got[k], json_object_get_string(v));
		}
		assert_true(json_object_object_get_ex(g, "level", &v));
		assert_int_equal(doc->sections[i].level, json_object_get_int(v));

		/* the tree is well formed: in order, inside its parent */
		const struct section *s = &doc->sections[i];
		assert_true(s->start < s->end && s->end <= doc->text.len);
		if (i > 0)
			assert_true(s->start > doc->sections[i - 1].start);
		if (s->parent >= 0) {
			const struct section *p = &doc->sections[s->parent];
			assert_true(p->start < s->start && s->end <= p->end);
			assert_int_equal(s->level, p->level + 1);
		}
	}
	json_object_put(gold);
	doc_free(&doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_marker_style),
	    cmocka_unit_test(test_levels_by_first_use),
	    cmocka_unit_test(test_numbering_must_continue),
	    cmocka_unit_test(test_numbers_at_line_start_are_not_markers),
	    cmocka_unit_test(test_markers_only_at_paragraph_start),
	    cmocka_unit_test(test_heading_ends_at_full_stop),
	    cmocka_unit_test(test_offsets_and_sections_at),
	    cmocka_unit_test(test_flat_text),
	    cmocka_unit_test(test_cn_small_numeral),
	    cmocka_unit_test(test_cn_digit_every_code_point),
	    cmocka_unit_test(test_no_markers_root_section),
	    cmocka_unit_test(test_seed_report_matches_gold),
	};
	return cmocka_run_group_tests_name("sections", tests, NULL, NULL);
}
