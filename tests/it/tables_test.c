/*
 * tables_test.c - table cells as metrics (shared/DESIGN.md: "Tables are
 * figures too"), through `reportpipe parse --format json`: the statutory
 * tables of the Pingtan 2023 政府信息公开 report, flattened into its text,
 * and the same figures in an HTML page with real <table>s (rowspans,
 * colspans, a unit line, a share column, a layout table, a row of figures
 * under headings only). The expected values were read by hand from the
 * report's text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PINGTAN "../shared/fixtures/reports/pingtan-2023-xxgk-nianbao.txt"
#define TABLES_HTML "tests/fixtures/tables/pingtan-2023-xxgk-tables.html"

/* One cell as the report states it. */
struct cell {
	const char *label;
	double value;
	const char *unit;
	const char *measure;
	const char *section;
};

static struct json_object *
parse(const char *path)
{
	int rc;
	char *out =
	    testutil_run(&rc, "%s parse --format json %s 2>/dev/null", testutil_bin(), path);
	if (rc != 0)
		fail_msg("parse %s exited %d: %s", path, rc, out);
	struct json_object *doc = json_tokener_parse(out);
	free(out);
	assert_non_null(doc);
	return doc;
}

static const char *
str(struct json_object *o, const char *key)
{
	struct json_object *v;
	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : NULL;
}

static struct json_object *
metrics(struct json_object *doc)
{
	struct json_object *m;
	assert_true(json_object_object_get_ex(doc, "metrics", &m));
	return m;
}

/* The metric labelled label, failing when there is not exactly one. */
static struct json_object *
by_label(struct json_object *doc, const char *label)
{
	struct json_object *ms = metrics(doc), *found = NULL;
	int n = 0;
	for (size_t i = 0; i < json_object_array_length(ms); i++) {
		struct json_object *m = json_object_array_get_idx(ms, i);
		const char *l = str(m, "label");
		if (l && strcmp(l, label) == 0) {
			found = m;
			n++;
		}
	}
	if (n != 1)
		fail_msg("%d metrics labelled '%s', not 1", n, label);
	return found;
}

static void
expect(struct json_object *doc, const struct cell *cells, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct cell *c = &cells[i];
		struct json_object *m = by_label(doc, c->label), *v;
		assert_true(json_object_object_get_ex(m, "value", &v));
		if (fabs(json_object_get_double(v) - c->value) > 1e-6)
			fail_msg("%s: value %s, not %.15g", c->label, json_object_get_string(v),
				 c->value);
		assert_string_equal(str(m, "unit"), c->unit);
		assert_string_equal(str(m, "measure"), c->measure);
		assert_string_equal(str(m, "section_path"), c->section);
		/* year: the report's; target: none of these is a goal */
		assert_true(json_object_object_get_ex(m, "year", &v));
		assert_int_equal(json_object_get_int(v), 2023);
		assert_true(json_object_object_get_ex(m, "target", &v));
		assert_false(json_object_get_boolean(v));
	}
}

/* How many metrics have a label starting with prefix. */
static int
count_prefix(struct json_object *doc, const char *prefix)
{
	struct json_object *ms = metrics(doc);
	int n = 0;
	for (size_t i = 0; i < json_object_array_length(ms); i++) {
		const char *l = str(json_object_array_get_idx(ms, i), "label");
		n += l && strncmp(l, prefix, strlen(prefix)) == 0;
	}
	return n;
}

static void
test_flattened_statutory_tables(void **state)
{
	(void)state;
	static const struct cell cells[] = {
	    /* 二 主动公开 */
	    {"规章·本年制发件数", 0, "件", "level", "2"},
	    {"行政许可·本年处理决定数量", 2629, "", "level", "2"},
	    {"行政处罚·本年处理决定数量", 1330, "", "level", "2"},
	    {"行政强制·本年处理决定数量", 54, "", "level", "2"},
	    {"行政事业性收费·本年收费金额", 59490886.67, "元", "level", "2"},
	    /* 三 依申请 */
	    {"本年新收政府信息公开申请数量·自然人", 80, "", "level", "3"},
	    {"本年新收政府信息公开申请数量·法人或其他组织·商业企业", 1, "", "level", "3"},
	    {"本年新收政府信息公开申请数量·总计", 81, "", "level", "3"},
	    {"本年度办理结果·予以公开·自然人", 22, "", "level", "3"},
	    {"本年度办理结果·部分公开·自然人", 19, "", "level", "3"},
	    {"本年度办理结果·部分公开·法人或其他组织·商业企业", 1, "", "level", "3"},
	    {"本年度办理结果·部分公开·总计", 20, "", "level", "3"},
	    {"本年度办理结果·不予公开·属于行政查询事项·自然人", 2, "", "level", "3"},
	    {"本年度办理结果·无法提供·本机关不掌握相关政府信息·总计", 31, "", "level", "3"},
	    {"本年度办理结果·其他处理·其他·总计", 1, "", "level", "3"},
	    {"本年度办理结果·总计·总计", 81, "", "level", "3"},
	    {"结转下年度继续办理·总计", 0, "", "level", "3"},
	    /* 四 复议、诉讼 */
	    {"行政复议·结果维持", 1, "", "level", "4"},
	    {"行政复议·结果纠正", 1, "", "level", "4"},
	    {"行政复议·总计", 2, "", "level", "4"},
	    {"行政诉讼·未经复议直接起诉·结果维持", 4, "", "level", "4"},
	    {"行政诉讼·未经复议直接起诉·尚未审结", 1, "", "level", "4"},
	    {"行政诉讼·未经复议直接起诉·总计", 5, "", "level", "4"},
	    {"行政诉讼·复议后起诉·其他结果", 1, "", "level", "4"},
	    {"行政诉讼·复议后起诉·总计", 2, "", "level", "4"},
	};
	struct json_object *doc = parse(PINGTAN);
	expect(doc, cells, sizeof(cells) / sizeof(cells[0]));
	/* a cell's text is its own digits, cut out of the run */
	assert_string_equal(str(by_label(doc, "行政许可·本年处理决定数量"), "text"), "2629");
	assert_string_equal(str(by_label(doc, "本年度办理结果·予以公开·总计"), "text"), "22");
	/* "77132470" under three columns splits many ways: left out, not guessed */
	assert_int_equal(count_prefix(doc, "行政规范性文件·"), 0);
	/* every row of 三: 一, 二, the 22 rows of 三 (2 + 8 + 3 + 5 + 3 + 总计), 四 */
	assert_int_equal(count_prefix(doc, "本年度办理结果·"), 22 * 7);
	assert_int_equal(count_prefix(doc, "上年结转政府信息公开申请数量·"), 7);
	assert_int_equal(count_prefix(doc, "行政复议·") + count_prefix(doc, "行政诉讼·"), 15);
	/* the figures of the sentences stay: 涉及自然人80件 is not a cell */
	struct json_object *ms = metrics(doc);
	int kept = 0;
	for (size_t i = 0; i < json_object_array_length(ms); i++) {
		struct json_object *m = json_object_array_get_idx(ms, i);
		const char *sp = str(m, "section_path"), *tx = str(m, "text");
		kept += sp && tx && strcmp(sp, "1.2") == 0 && strcmp(tx, "80件") == 0;
	}
	assert_int_equal(kept, 1);
	json_object_put(doc);
}

static void
test_html_tables(void **state)
{
	(void)state;
	static const struct cell cells[] = {
	    {"予以公开及部分公开·件数", 42, "件", "level", "2"},
	    {"予以公开及部分公开·占比", 51.85, "%", "share", "2"},
	    {"不予公开·占比", 6.17, "%", "share", "2"},
	    {"其他处理·件数", 2, "件", "level", "2"},
	    {"行政事业性收费·本年收费金额", 59490886.67, "元", "level", "3"},
	    {"本年新收政府信息公开申请数量·法人或其他组织·商业企业", 1, "", "level", "4"},
	    {"本年度办理结果·予以公开·总计", 22, "", "level", "4"},
	    {"本年度办理结果·部分公开·自然人", 19, "", "level", "4"},
	    {"本年度办理结果·不予公开·保护第三方合法权益·自然人", 1, "", "level", "4"},
	    {"本年度办理结果·不予公开·属于行政查询事项·总计", 2, "", "level", "4"},
	    {"本年度办理结果·无法提供·本机关不掌握相关政府信息·总计", 31, "", "level", "4"},
	    {"本年度办理结果·无法提供·没有现成信息需要另行制作·自然人", 0, "", "level", "4"},
	    {"本年度办理结果·总计·自然人", 80, "", "level", "4"},
	    {"本年度办理结果·总计·总计", 81, "", "level", "4"},
	    {"结转下年度继续办理·总计", 0, "", "level", "4"},
	    /* one row of figures under three rows of headings, none of its own */
	    {"行政复议·结果维持", 1, "", "level", "5"},
	    {"行政复议·总计", 2, "", "level", "5"},
	    {"行政诉讼·未经复议直接起诉·结果维持", 4, "", "level", "5"},
	    {"行政诉讼·未经复议直接起诉·尚未审结", 1, "", "level", "5"},
	    {"行政诉讼·未经复议直接起诉·总计", 5, "", "level", "5"},
	    {"行政诉讼·复议后起诉·其他结果", 1, "", "level", "5"},
	    {"行政诉讼·复议后起诉·结果纠正", 0, "", "level", "5"},
	};
	struct json_object *doc = parse(TABLES_HTML);
	expect(doc, cells, sizeof(cells) / sizeof(cells[0]));
	/* the layout table (one row of prose) and the header give no cells */
	assert_int_equal(count_prefix(doc, "本报告由"), 0);
	assert_int_equal(count_prefix(doc, "申请人情况"), 0);
	assert_int_equal(count_prefix(doc, "本年度办理结果·"), 10 * 7);
	assert_int_equal(count_prefix(doc, "行政复议·") + count_prefix(doc, "行政诉讼·"), 15);
	json_object_put(doc);
}

static void
test_layout_grid_is_not_a_table(void **state)
{
	(void)state;
	int rc;
	/* tabbed text with no figures, and a single tabbed line with one */
	char *out =
	    testutil_run(&rc,
			 "printf '一、概述\\n姓名\\t职务\\n张三\\t局长\\n李四\\t副局长\\n"
			 "二、其他\\n全年\\t共计\\t5\\n' | %s parse --format json - 2>/dev/null",
			 testutil_bin());
	assert_int_equal(rc, 0);
	struct json_object *doc = json_tokener_parse(out);
	free(out);
	assert_non_null(doc);
	struct json_object *ms = metrics(doc);
	for (size_t i = 0; i < json_object_array_length(ms); i++)
		assert_null(strstr(str(json_object_array_get_idx(ms, i), "label"), "\xC2\xB7"));
	json_object_put(doc);
}

/*
 * A DOCX whose table merges cells as Word does: a header cell over two
 * grid columns (w:gridSpan) and a row heading down two rows (w:vMerge).
 */
static const char docx_script[] =
    "import sys, zipfile\n"
    "W = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main'\n"
    "def cell(t, span=1, merge=None):\n"
    "    pr = ''\n"
    "    if span > 1: pr += '<w:gridSpan w:val=\"%d\"/>' % span\n"
    "    if merge: pr += '<w:vMerge w:val=\"restart\"/>' if merge == 'start' else '<w:vMerge/>'\n"
    "    return '<w:tc><w:tcPr>%s</w:tcPr><w:p><w:r><w:t>%s</w:t></w:r></w:p></w:tc>' % (pr, t)\n"
    "def row(*c): return '<w:tr>' + ''.join(c) + '</w:tr>'\n"
    "tbl = '<w:tbl>' + row(cell('项目', merge='start'), cell('2023年', span=2)) \\\n"
    "    + row(cell('', merge='cont'), cell('件数'), cell('占比（%）')) \\\n"
    "    + row(cell('无法提供', merge='start'), cell('31'), cell('38.27')) \\\n"
    "    + row(cell('', merge='cont'), cell('31'), cell('38.27')) \\\n"
    "    + row(cell('其他处理'), cell('2'), cell('2.47')) + '</w:tbl>'\n"
    "body = '<w:p><w:r><w:t>一、依申请公开情况</w:t></w:r></w:p>' + tbl\n"
    "doc = '<?xml version=\"1.0\"?><w:document xmlns:w=\"%s\"><w:body>%s</w:body></w:document>' % "
    "(W, body)\n"
    "ct = '<?xml version=\"1.0\"?><Types "
    "xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
    "<Override PartName=\"/word/document.xml\" ContentType=\"application/"
    "vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>'\n"
    "with zipfile.ZipFile(sys.argv[1], 'w') as z:\n"
    "    z.writestr('[Content_Types].xml', ct)\n"
    "    z.writestr('word/document.xml', doc)\n";

static void
test_docx_table(void **state)
{
	(void)state;
	char dir[] = "/tmp/rp-tables-it.XXXXXX", path[64];
	int rc;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.docx", dir);
	char script[64];
	snprintf(script, sizeof(script), "%s/make.py", dir);
	assert_int_equal(testutil_write_file(script, docx_script, strlen(docx_script)), 0);
	char *out = testutil_run(&rc, "python3 %s %s", script, path);
	if (rc != 0)
		fail_msg("making the DOCX failed: %s", out);
	free(out);
	struct json_object *doc = parse(path);
	/* 2023年 over both columns is the cells' year, not part of their labels */
	struct json_object *m = by_label(doc, "其他处理·占比"), *v;
	assert_true(json_object_object_get_ex(m, "value", &v));
	assert_true(fabs(json_object_get_double(v) - 2.47) < 1e-9);
	assert_string_equal(str(m, "unit"), "%");
	assert_string_equal(str(m, "measure"), "share");
	assert_string_equal(str(m, "year"), "2023");
	m = by_label(doc, "其他处理·件数");
	assert_string_equal(str(m, "value"), "2");
	assert_string_equal(str(m, "measure"), "level");
	/* the merged row heading carries down to the row below it */
	assert_int_equal(count_prefix(doc, "无法提供·件数"), 2);
	assert_int_equal(count_prefix(doc, "无法提供·占比"), 2);
	json_object_put(doc);
	out = testutil_run(&rc, "rm -rf %s", dir);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_flattened_statutory_tables),
	    cmocka_unit_test(test_html_tables),
	    cmocka_unit_test(test_layout_grid_is_not_a_table),
	    cmocka_unit_test(test_docx_table),
	};
	return cmocka_run_group_tests_name("tables", tests, NULL, NULL);
}
