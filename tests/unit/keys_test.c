/*
 * keys_test.c - what makes figures compare across reports: a metric's key
 * from its label (metrics_key.c, parse/indicators.txt), a document's genre
 * (genre.c) and place (region.c, parse/divisions.txt), and the year a work
 * report is named after (meta.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "decode.h"
#include "genre.h"
#include "meta.h"
#include "metrics_key.h"
#include "region.h"

#include <stdlib.h>
#include <string.h>

static void
assert_key(const char *label, const char *want)
{
	const char *got = metrics_key_lookup(label);
	if (want == NULL && got != NULL)
		fail_msg("'%s' got key '%s', want none", label ? label : "(null)", got);
	if (want != NULL && (got == NULL || strcmp(got, want) != 0))
		fail_msg("'%s' got key '%s', want '%s'", label ? label : "(null)",
			 got ? got : "(none)", want);
}

/* The keys the project promises, each with the aliases it must know. */
static void
test_required_keys_and_aliases(void **state)
{
	(void)state;
	static const char *const want[][8] = {
	    {"生产总值", "国内生产总值", "地区生产总值", "全市生产总值", "全区生产总值",
	     "全省生产总值", "全县生产总值", "GDP"},
	    {"一般公共预算收入", "地方一般公共预算收入", "公共财政预算收入",
	     "地方财政一般预算收入"},
	    {"一般公共预算支出", "公共财政预算支出", "地方财政一般预算支出"},
	    {"城镇新增就业", "新增城镇就业"},
	    {"城镇调查失业率"},
	    {"居民消费价格", "居民消费价格涨幅", "居民消费价格指数", "居民消费价格总水平", "CPI"},
	    {"粮食产量", "粮食总产量"},
	    {"社会消费品零售总额"},
	    {"固定资产投资", "全社会固定资产投资"},
	    {"进出口总额", "外贸进出口", "货物进出口总额"},
	    {"居民人均可支配收入", "全体居民人均可支配收入"},
	    {"城镇居民人均可支配收入"},
	    {"农村居民人均可支配收入"},
	    {"规模以上工业增加值", "规上工业增加值"},
	    {"常住人口", "年末常住人口"},
	    {"城镇化率", "常住人口城镇化率"},
	    {"森林覆盖率"},
	    {"出庭应诉率", "行政机关负责人出庭应诉率"},
	    {"主动公开政府信息"},
	    {"政府信息公开申请", "收到政府信息公开申请", "本年新收政府信息公开申请"},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		for (size_t k = 0; k < 8 && want[i][k]; k++)
			assert_key(want[i][k], want[i][0]);
	assert_true(indicators_len >= 150);
}

/* Scope, time and verb words go from the front; verbs of change from the back. */
static void
test_label_trimmed_to_its_subject(void **state)
{
	(void)state;
	assert_key("全年国内生产总值增长", "生产总值");
	assert_key("今年经济增长预期目标", "生产总值");
	assert_key("今年的经济增长目标定", "生产总值");
	assert_key("国内生产总值从1997年的", "生产总值");
	assert_key("2023年全区共主动公开政府信息", "主动公开政府信息");
	assert_key("全区完成全社会固定资产投资", "固定资产投资");
	assert_key("把居民消费价格涨幅控制在", "居民消费价格");
	assert_key("全区居民消费价格总水平比上年上涨", "居民消费价格");
	assert_key("常住人口城镇化率提高到", "城镇化率");
	assert_key("全年行政机关负责人出庭应诉率", "出庭应诉率");
	assert_key("累计新增城镇就业", "城镇新增就业");
	assert_key("公共财政收入从", "一般公共预算收入");
	/* who set a figure, then its subject: from after the @after verb */
	assert_key("中央提出今年经济增长", "生产总值");
	assert_key("省政府确定全年城镇新增就业", "城镇新增就业");
	/* but an actor is no lead word: the central deficit is not the deficit */
	assert_key("中央财政赤字", NULL);
}

/* A key is the whole subject, never a name found inside a longer one. */
static void
test_no_key_for_a_name_inside_another(void **state)
{
	(void)state;
	assert_key("第一产业增加值", "第一产业增加值");
	assert_key("人均生产总值", "人均生产总值");
	assert_key("城镇居民人均可支配收入增长", "城镇居民人均可支配收入");
	assert_key("农民人均纯收入", NULL);
	assert_key("户籍总人口", NULL);
	assert_key("财政总收入", NULL);
	assert_key("规模以上工业产值", NULL);
	assert_key("拉动经济增长", NULL);
	assert_key("生产总值构成", NULL);
	assert_key("粮食播种面积", "粮食播种面积");
	assert_key("", NULL);
	assert_key(NULL, NULL);
}

/* The binary search needs the names sorted by bytes, each once. */
static void
test_names_sorted_and_unique(void **state)
{
	(void)state;
	assert_true(indicator_names_len >= indicators_len);
	for (size_t i = 1; i < indicator_names_len; i++)
		if (strcmp(indicator_names[i - 1].name, indicator_names[i].name) >= 0)
			fail_msg("names out of order: '%s' then '%s'", indicator_names[i - 1].name,
				 indicator_names[i].name);
	for (size_t i = 1; i < division_names_len; i++)
		assert_true(strcmp(division_names[i - 1].name, division_names[i].name) <= 0);
}

static struct doc *
doc_of(const char *text, const char *title, const char *issuer)
{
	struct doc *doc = doc_new();
	assert_int_equal(decode_text(doc, (const unsigned char *)text, strlen(text), "UTF-8"), 0);
	if (title)
		doc->title = xstrdup(title);
	if (issuer)
		doc->issuer = xstrdup(issuer);
	return doc;
}

static void
assert_region(const char *text, const char *title, const char *issuer, const char *code,
	      const char *name)
{
	struct doc *doc = doc_of(text, title, issuer);
	region_find(doc);
	if (strcmp(doc->region_code, code) != 0 ||
	    strcmp(doc->region_name ? doc->region_name : "", name) != 0)
		fail_msg("issuer '%s' title '%s': got %s %s, want %s %s", issuer ? issuer : "",
			 title ? title : "", doc->region_code,
			 doc->region_name ? doc->region_name : "(none)", code, name);
	doc_free(&doc);
}

static void
test_region_of_issuer_title_and_text(void **state)
{
	(void)state;
	assert_region("", NULL, "韶关市人民政府", "440200", "韶关市");
	assert_region("", NULL, "韶关市司法局", "440200", "韶关市");
	assert_region("", NULL, "平潭综合实验区统计局", "350128", "平潭综合实验区");
	assert_region("", NULL, "平潭县人民政府", "350128", "平潭县");
	assert_region("", NULL, "四川省人民政府", "510000", "四川省");
	assert_region("", NULL, "广州市天河区人民政府", "440106", "天河区");
	/* a name several places share: the one within the place named before it */
	assert_region("", NULL, "北京市朝阳区人民政府", "110105", "朝阳区");
	assert_region("", NULL, "辽宁省朝阳市人民政府", "211300", "朝阳市");
	assert_region("", NULL, "国务院", "000000", "全国");
	assert_region("", "中华人民共和国2023年国民经济和社会发展统计公报", NULL, "000000", "全国");
	/* a ministry speaks for no place, whatever its text names */
	assert_region("北京市的监测显示……", NULL, "生态环境部", "", "");
	/* no issuer: the place the text names, never one inside a cited title */
	assert_region("本报告根据《中华人民共和国政府信息公开条例》和《北京市规定》，汇总平潭综合"
		      "实验区各有关单位情况编制。平潭综合实验区坚持……",
		      NULL, NULL, "350128", "平潭综合实验区");
	assert_region("各位代表：现在，我代表国务院，向大会报告政府工作。", NULL, NULL, "000000",
		      "全国");
	/* short names that are also words are no place without a place-type word */
	assert_region("坚持和平发展，朝阳产业……", NULL, NULL, "", "");
}

static void
assert_genre(const char *text, const char *title, const char *want)
{
	struct doc *doc = doc_of(text, title, NULL);
	genre_find(doc);
	assert_non_null(doc->genre);
	if (strcmp(doc->genre, want) != 0)
		fail_msg("title '%s': got genre %s, want %s", title ? title : "", doc->genre, want);
	doc_free(&doc);
}

static void
test_genre(void **state)
{
	(void)state;
	assert_genre("", "韶关市人民政府关于2020年度法治政府建设工作的报告", GENRE_FAZHI);
	assert_genre("", "平潭县人民政府2011年政府信息公开工作年度报告", GENRE_XXGK);
	assert_genre("", "2012年平潭综合实验区国民经济和社会发展统计公报", GENRE_TJGB);
	assert_genre("", "2026年四川省人民政府工作报告", GENRE_ZFGZBG);
	assert_genre("各位代表：\n现在，我代表国务院，向大会报告政府工作。", NULL, GENRE_ZFGZBG);
	assert_genre("本报告根据《中华人民共和国政府信息公开条例》编制。", NULL, GENRE_XXGK);
	/* one mention in the body does not make a genre */
	assert_genre("推进法治政府建设。", "关于印发某某办法的通知", GENRE_OTHER);
}

static void
assert_work_report_year(const char *text, int want, const char *published_on)
{
	struct doc *doc = doc_of(text, NULL, NULL);
	meta_find(doc);
	if (doc->report_year != want)
		fail_msg("got report year %d, want %d:\n%s", doc->report_year, want, text);
	assert_string_equal(doc->published_on, published_on);
	assert_non_null(doc->issuer);
	assert_string_equal(doc->issuer, "国务院");
	doc_free(&doc);
}

/* A work report is named after the year it is delivered in, not the one it reviews. */
static void
test_work_report_year(void **state)
{
	(void)state;
	assert_work_report_year(
	    "各位代表：\n现在，我代表国务院向大会作政府工作报告。\n一、1999年国内工作"
	    "回顾\n1999年，国内生产总值增长7.1%。1999年……",
	    2000, "");
	assert_work_report_year(
	    "政府工作报告\n——2024年3月5日在第十四届全国人民代表大会第二次会议上\n"
	    "各位代表：\n现在，我代表国务院，向大会报告政府工作。\n一、2023年工作"
	    "回顾\n",
	    2024, "2024-03-05");
	assert_work_report_year("各位代表：\n我代表国务院，向大会报告过去五年的工作。\n一、过去五年"
				"政府工作的回顾\n1997年……1997年……1997年……\n二、对今年政府工作的"
				"建议\n2003年是全面贯彻落实党的十六大精神的第一年。",
				2003, "");
	assert_work_report_year("各位代表：\n现在，我代表国务院向大会作政府工作报告。\n一、改革开放"
				"的五年\n1992年同1987年相比……1992年……\n各位代表！1993年是全面贯彻"
				"落实党的十四大精神的第一年。",
				1993, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_required_keys_and_aliases),
	    cmocka_unit_test(test_label_trimmed_to_its_subject),
	    cmocka_unit_test(test_no_key_for_a_name_inside_another),
	    cmocka_unit_test(test_names_sorted_and_unique),
	    cmocka_unit_test(test_region_of_issuer_title_and_text),
	    cmocka_unit_test(test_genre),
	    cmocka_unit_test(test_work_report_year),
	};
	return cmocka_run_group_tests_name("keys", tests, NULL, NULL);
}
