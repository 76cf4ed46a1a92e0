/*
 * metrics_table_test.c - tables as metrics (parse/metrics_table.c,
 * parse/metrics_xxgk.c) on small texts: units and measures from the
 * header, what is not a table, and hostile shapes that must stay fast and
 * in bounds. The real reports are in tests/it/tables_test.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "doc.h"
#include "parse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct doc *
parse_str(const char *s)
{
	char err[256];
	struct doc *doc = parse_document((const unsigned char *)s, strlen(s),
					 "text/plain; charset=utf-8", err, sizeof(err));
	if (doc == NULL)
		fail_msg("parse failed: %s", err);
	return doc;
}

static const struct metric *
find(const struct doc *doc, const char *label)
{
	for (size_t i = 0; i < doc->nmetrics; i++)
		if (strcmp(doc->metrics[i].label, label) == 0)
			return &doc->metrics[i];
	fail_msg("no metric labelled %s", label);
	return NULL;
}

static void
test_units_and_measures_from_the_header(void **state)
{
	(void)state;
	struct doc *doc =
	    parse_str("2023年主要指标\n"
		      "指标\t总量（亿元）\t比上年增长（%）\t占全省比重（%）\t2025年目标\n"
		      "地区生产总值\t1,234.5\t-2.5\t3.1\t1500\n"
		      "（一）第一产业\t100\t1.0\t2\t120\n");
	const struct metric *m = find(doc, "地区生产总值·总量");
	assert_true(fabs(m->value - 123450000000.0) < 1);
	assert_string_equal(m->unit, "元");
	assert_int_equal(m->measure, MEASURE_LEVEL);
	m = find(doc, "地区生产总值·比上年增长");
	assert_true(fabs(m->value + 2.5) < 1e-9);
	assert_string_equal(m->unit, "%");
	assert_int_equal(m->measure, MEASURE_GROWTH);
	m = find(doc, "第一产业·占全省比重");
	assert_int_equal(m->measure, MEASURE_SHARE);
	m = find(doc, "地区生产总值·2025年目标");
	assert_int_equal(m->year, 2025);
	assert_true(m->target);
	assert_int_equal(find(doc, "第一产业·总量")->year, doc->report_year);
	size_t cells = 0;
	for (size_t i = 0; i < doc->nmetrics; i++)
		cells += strstr(doc->metrics[i].label, "\xC2\xB7") != NULL;
	assert_int_equal(cells, 8);
	doc_free(&doc);
}

/* The metric labelled label about year, or failure. */
static const struct metric *
find_year(const struct doc *doc, const char *label, int year)
{
	for (size_t i = 0; i < doc->nmetrics; i++)
		if (strcmp(doc->metrics[i].label, label) == 0 && doc->metrics[i].year == year)
			return &doc->metrics[i];
	fail_msg("no metric labelled %s about %d", label, year);
	return NULL;
}

static void
test_ordinal_column_and_year_headings(void **state)
{
	(void)state;
	/* a 序号 column before the row headings; columns headed by a year only */
	struct doc *doc = parse_str("一、主要指标\n"
				    "单位：万元\n"
				    "序号\t项目\t2022年\t2023年度\t增长（%）\n"
				    "1\t一般公共预算收入\t100\t110\t10.0\n"
				    "2\t税收收入\t80\t90\t12.5\n"
				    "3\t非税收入\t20\t20\t0\n");
	const struct metric *m = find_year(doc, "一般公共预算收入", 2022);
	assert_true(fabs(m->value - 1000000.0) < 1e-6);
	assert_string_equal(m->unit, "元");
	assert_int_equal(m->measure, MEASURE_LEVEL);
	m = find_year(doc, "税收收入", 2023);
	assert_true(fabs(m->value - 900000.0) < 1e-6);
	m = find(doc, "税收收入·增长");
	assert_true(fabs(m->value - 12.5) < 1e-9);
	assert_string_equal(m->unit, "%");
	assert_int_equal(m->measure, MEASURE_GROWTH);
	/* the row's number is neither a figure nor part of a label */
	size_t cells = 0;
	for (size_t i = 0; i < doc->nmetrics; i++) {
		const struct metric *c = &doc->metrics[i];
		assert_false(c->label[0] >= '0' && c->label[0] <= '9');
		cells += c->year == 2022 || c->year == 2023 || strstr(c->label, "\xC2\xB7");
	}
	assert_int_equal(cells, 9);
	assert_int_equal(doc->nmetrics, 9);
	doc_free(&doc);
}

static void
test_row_of_figures_under_headings(void **state)
{
	(void)state;
	/* the 行政复议、行政诉讼 table: three rows of headings (colspans and
	 * rowspans left empty), then one row of figures with no heading */
	struct doc *doc = parse_str(
	    "四、复议诉讼\n"
	    "行政复议\t\t\t\t\t行政诉讼\n"
	    "结果维持\t结果纠正\t其他结果\t尚未审结\t总计\t未经复议直接起诉\t\t\t\t\t复议后起诉\n"
	    "\t\t\t\t\t结果维持\t结果纠正\t其他结果\t尚未审结\t总计\t结果维持\t结果纠正\t其他"
	    "结果\t尚未审结\t总计\n"
	    "1\t1\t0\t0\t2\t4\t0\t0\t1\t5\t1\t0\t1\t0\t2\n");
	assert_true(find(doc, "行政复议·总计")->value == 2);
	assert_true(find(doc, "行政诉讼·未经复议直接起诉·尚未审结")->value == 1);
	assert_true(find(doc, "行政诉讼·复议后起诉·其他结果")->value == 1);
	assert_true(find(doc, "行政诉讼·复议后起诉·总计")->value == 2);
	assert_int_equal(doc->nmetrics, 15);
	doc_free(&doc);

	/* a row of figures heads no column; years name no cell; 序号 is no figure */
	doc = parse_str("邮编\t电话\n350400\t23165385\n序号\t数量\t金额\n1\t5\t100\n"
			"\n"
			"2021\t2022\t2023\n5\t6\t7\n");
	assert_true(find(doc, "数量")->value == 5);
	assert_true(find(doc, "金额")->value == 100);
	for (size_t i = 0; i < doc->nmetrics; i++) {
		assert_null(strstr(doc->metrics[i].label, "350400"));
		assert_string_not_equal(doc->metrics[i].label, "序号");
		assert_string_not_equal(doc->metrics[i].label, "");
	}
	doc_free(&doc);
}

static void
test_not_tables(void **state)
{
	(void)state;
	/* one row; no figures; figures with no heading (a list of years) */
	struct doc *doc = parse_str("地区\t人口\t100\n"
				    "\n"
				    "姓名\t职务\n张三\t局长\n"
				    "\n"
				    "2021\t2022\t2023\n5\t6\t7\n");
	for (size_t i = 0; i < doc->nmetrics; i++)
		assert_null(strstr(doc->metrics[i].label, "\xC2\xB7"));
	doc_free(&doc);
}

static double
seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_hostile_shapes(void **state)
{
	(void)state;
	struct buf b = {0};
	/* the statutory header, then rows of long digit runs that split many ways */
	buf_puts(&b, "三、收到和处理政府信息公开申请情况申请人情况自然人法人或其他组织总计"
		     "商业企业科研机构社会公益组织法律服务机构其他");
	buf_puts(&b, "一、本年新收政府信息公开申请数量801000081");
	for (int i = 0; i < 200; i++)
		buf_puts(&b, "（一）予以公开1111111111111111111111111111111111111");
	buf_puts(&b,
		 "四、政府信息公开行政复议、行政诉讼情况结果维持结果维持结果维持未经复议直接起诉"
		 "复议后起诉");
	for (int i = 0; i < 20000; i++)
		buf_putc(&b, '1' + (char)(i % 9));
	buf_putc(&b, '\n');
	/* a grid of many rows and more columns than are read */
	for (int r = 0; r < 3000; r++) {
		buf_printf(&b, "行%d", r);
		for (int c = 0; c < 100; c++)
			buf_printf(&b, "\t%d", c);
		buf_putc(&b, '\n');
	}
	double t0 = seconds();
	struct doc *doc = parse_str(b.data);
	double took = seconds() - t0;
	assert_true(took < 20.0);
	for (size_t i = 0; i < doc->nmetrics; i++)
		assert_true(doc->metrics[i].end <= doc->text.len);
	doc_free(&doc);
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_units_and_measures_from_the_header),
	    cmocka_unit_test(test_ordinal_column_and_year_headings),
	    cmocka_unit_test(test_row_of_figures_under_headings),
	    cmocka_unit_test(test_not_tables),
	    cmocka_unit_test(test_hostile_shapes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
