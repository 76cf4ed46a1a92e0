/*
 * metrics_test.c - metrics extraction through parse_document(): numbers,
 * units, qualifiers, labels, and one test per exclusion rule, each with a
 * sentence from a real report.
 *
 * Sentences are quoted only from the Shaoguan report (the project's bundled
 * example); the other fixtures are read from ../shared/fixtures and never
 * copied here. Must not depend on metric order beyond "in text order".
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "doc.h"
#include "metrics_number.h"
#include "parse.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIXTURES "../shared/fixtures/reports/"

static struct doc *
parse_bytes(const void *data, size_t len)
{
	char err[256] = "";
	struct doc *doc = parse_document(data, len, "text/plain; charset=utf-8", err, sizeof(err));
	if (doc == NULL)
		fail_msg("parse_document: %s", err);
	return doc;
}

static struct doc *
parse_str(const char *s)
{
	return parse_bytes(s, strlen(s));
}

/* The parsed fixture; a missing fixture fails the test (CI always has ../shared). */
static struct doc *
parse_fixture(const char *name)
{
	char path[256];
	size_t len;
	snprintf(path, sizeof(path), FIXTURES "%s", name);
	char *data = testutil_read_file(path, &len);
	if (data == NULL)
		fail_msg(
		    "fixture %s is missing (tests run from the project root, beside ../shared)",
		    path);
	struct doc *doc = parse_bytes(data, len);
	free(data);
	return doc;
}

/* The metric whose quantity is written exactly as text, or NULL. */
static const struct metric *
metric_by_text(const struct doc *doc, const char *text)
{
	for (size_t i = 0; i < doc->nmetrics; i++) {
		char *s = text_utf8(&doc->text, doc->metrics[i].start, doc->metrics[i].end);
		int same = strcmp(s, text) == 0;
		free(s);
		if (same)
			return &doc->metrics[i];
	}
	return NULL;
}

/* Whether some metric's quantity text contains needle. */
static int
any_metric_has(const struct doc *doc, const char *needle)
{
	for (size_t i = 0; i < doc->nmetrics; i++) {
		char *s = text_utf8(&doc->text, doc->metrics[i].start, doc->metrics[i].end);
		int hit = strstr(s, needle) != NULL;
		free(s);
		if (hit)
			return 1;
	}
	return 0;
}

static const struct metric *
expect_metric(const struct doc *doc, const char *text, double value, const char *unit,
	      enum qualifier q)
{
	const struct metric *m = metric_by_text(doc, text);
	if (m == NULL)
		fail_msg("no metric written as '%s' (%zu metrics)", text, doc->nmetrics);
	if (fabs(m->value - value) > 1e-9 * fabs(value))
		fail_msg("'%s': value %.17g, want %.17g", text, m->value, value);
	assert_string_equal(m->unit, unit);
	assert_int_equal(m->qualifier, q);
	return m;
}

static void
expect_label_has(const struct metric *m, const char *part)
{
	if (strstr(m->label, part) == NULL)
		fail_msg("label '%s' does not hold '%s'", m->label, part);
}

static void
expect_no_metrics(const char *s)
{
	struct doc *doc = parse_str(s);
	if (doc->nmetrics != 0) {
		char *t = text_utf8(&doc->text, doc->metrics[0].start, doc->metrics[0].end);
		fprintf(stderr, "unexpected metric '%s' in: %s\n", t, s);
		free(t);
	}
	assert_int_equal(doc->nmetrics, 0);
	doc_free(&doc);
}

/* --- numbers, units, qualifiers, labels --------------------------------- */

static void
test_arabic_and_units(void **state)
{
	(void)state;
	struct doc *doc = parse_str(
	    "全年公共法律服务实体平台接受法律咨询55408人次、开展办事服务27197件、"
	    "组织服务资源157867人次。简化施工许可办理手续，由原15个工作日压减为1个工作日。"
	    "全年行政机关负责人出庭应诉率为86%，出庭应诉率大幅提升。");
	expect_metric(doc, "55408人次", 55408, "人次", QUAL_NONE); /* 人次 before 人 */
	expect_metric(doc, "27197件", 27197, "件", QUAL_NONE);
	expect_metric(doc, "15个工作日", 15, "个工作日", QUAL_NONE); /* 个工作日 before 个 */
	expect_metric(doc, "1个工作日", 1, "个工作日", QUAL_NONE);
	const struct metric *m = expect_metric(doc, "86%", 86, "%", QUAL_NONE);
	expect_label_has(m, "出庭应诉率");
	/* the sentence runs to its 。, the section is the root one */
	char *sent = text_utf8(&doc->text, m->sent_start, m->sent_end);
	assert_string_equal(sent, "全年行政机关负责人出庭应诉率为86%，出庭应诉率大幅提升。");
	free(sent);
	assert_int_equal(m->section, 0);
	doc_free(&doc);
}

static void
test_separators_decimals_scale(void **state)
{
	(void)state;
	/* the value shapes the issue names: 万 and 亿 fold into the value, never the unit */
	struct doc *doc = parse_str("财政收入4000.5亿元，产量36.5万吨，全年办件1,234,567件，"
				    "面积1．5万平方米，用电量44622万千瓦时。");
	expect_metric(doc, "4000.5亿元", 400050000000.0, "元", QUAL_NONE);
	expect_metric(doc, "36.5万吨", 365000, "吨", QUAL_NONE);
	expect_metric(doc, "1,234,567件", 1234567, "件", QUAL_NONE);
	expect_metric(doc, "1．5万平方米", 15000, "平方米", QUAL_NONE);
	expect_metric(doc, "44622万千瓦时", 446220000, "千瓦时", QUAL_NONE);
	doc_free(&doc);
	/* a space between the digits and their scale, as web pages have it */
	doc = parse_str("国内生产总值达到39.8 万亿元，财政收入8.31\u3000亿元。");
	expect_metric(doc, "39.8 万亿元", 39.8e12, "元", QUAL_NONE);
	expect_metric(doc, "8.31\u3000亿元", 8.31e8, "元", QUAL_NONE);
	doc_free(&doc);
}

static void
test_chinese_numerals(void **state)
{
	(void)state;
	struct doc *doc =
	    parse_str("组织对市住建管理局、市消防救援支队等八个部门普法责任制履职情况进行述职。"
		      "开展四个专项清理工作。全年完成三千五百件，一万二千人参加，"
		      "出庭应诉率为百分之八十六，增长百分之七点九，下降一个百分点，增长一倍。");
	const struct metric *m = expect_metric(doc, "八个", 8, "个", QUAL_NONE);
	expect_label_has(m, "部门");
	expect_metric(doc, "四个", 4, "个", QUAL_NONE);
	expect_metric(doc, "三千五百件", 3500, "件", QUAL_NONE);
	expect_metric(doc, "一万二千人", 12000, "人", QUAL_NONE);
	expect_metric(doc, "百分之八十六", 86, "%", QUAL_NONE);
	expect_metric(doc, "百分之七点九", 7.9, "%", QUAL_NONE);
	expect_metric(doc, "一个百分点", -1, "个百分点", QUAL_NONE); /* 下降: a fall */
	expect_metric(doc, "一倍", 1, "倍", QUAL_NONE);
	doc_free(&doc);
}

static void
test_qualifiers(void **state)
{
	(void)state;
	struct doc *doc =
	    parse_str("组织近13万国家工作人员和40多万大中小学生参加民法典专题学考。"
		      "公示行政执法案件信息20000多条。产业园类项目审批时间原则上不超过34个工作日。"
		      "每年培训不少于40学时，覆盖约300家企业，服务1500万人左右，投入50余万元，"
		      "补助10万元以上，在300人以下，至少5个，逾千家。");
	const struct metric *m = expect_metric(doc, "近13万", 130000, "", QUAL_APPROX);
	expect_label_has(m, "国家工作人员");
	m = expect_metric(doc, "40多万", 400000, "", QUAL_OVER);
	expect_label_has(m, "学生");
	expect_metric(doc, "20000多条", 20000, "条", QUAL_OVER);
	m = expect_metric(doc, "不超过34个工作日", 34, "个工作日", QUAL_MAX);
	expect_label_has(m, "审批时间");
	expect_metric(doc, "不少于40学时", 40, "学时", QUAL_MIN);
	expect_metric(doc, "约300家", 300, "家", QUAL_APPROX);
	expect_metric(doc, "1500万人左右", 15000000, "人", QUAL_APPROX);
	expect_metric(doc, "50余万元", 500000, "元", QUAL_OVER);
	expect_metric(doc, "10万元以上", 100000, "元", QUAL_OVER);
	expect_metric(doc, "300人以下", 300, "人", QUAL_MAX);
	expect_metric(doc, "至少5个", 5, "个", QUAL_MIN);
	doc_free(&doc);
}

static void
test_labels(void **state)
{
	(void)state;
	struct doc *doc = parse_str(
	    "加大知识产权保护力度，审结知识产权案件145件，切实保护企业创新合法权益。"
	    "共安排359名律师担任全市1465个村(社区)的法律顾问，实现了村(社区)法律顾问全覆盖。"
	    "组织2个督察组赴4个县区开展实地督察。"
	    "全区人均生产总值35202元，比上年增长13.1%。");
	expect_label_has(expect_metric(doc, "145件", 145, "件", QUAL_NONE), "知识产权案件");
	const struct metric *m = expect_metric(doc, "359名", 359, "名", QUAL_NONE);
	assert_string_equal(m->label, "律师"); /* the noun after the classifier, no more */
	expect_label_has(expect_metric(doc, "1465个", 1465, "个", QUAL_NONE), "村");
	assert_string_equal(expect_metric(doc, "2个", 2, "个", QUAL_NONE)->label, "督察组");
	assert_string_equal(expect_metric(doc, "4个", 4, "个", QUAL_NONE)->label, "县区");
	/* a clause that only says "rose by" takes the label of the metric before it */
	m = expect_metric(doc, "13.1%", 13.1, "%", QUAL_NONE);
	expect_label_has(m, "人均生产总值");
	doc_free(&doc);
}

/* Labels that come from another figure of the sentence, or from around the number. */
static void
test_label_relations(void **state)
{
	(void)state;
	struct doc *doc = parse_str("全年收到信息公开申请共计120件，涉及自然人110件、法人10件。"
				    "清理地方性法规300件，废止25件，修订40件。"
				    "全市研发经费投入52亿元，是2015年的2.1倍。"
				    "免费午餐惠及8万名学生。"
				    "增发500亿元地方债券。"
				    "全年三次上调最低工资标准。"
				    "线上平台受理群众投诉310件、办理政务咨询21件；线下窗口受理群众"
				    "投诉150件、办理政务咨询9件。"
				    "因征地拆迁引起的行政复议案件12件、行政诉讼案件8件。"
				    "失业率控制在5%左右，物价涨幅回落到2%。"
				    "城镇和农村居民人均收入3.2万元、1.6万元。");
	const char *want[][2] = {{"110件", "自然人信息公开申请"},
				 {"10件", "法人信息公开申请"},
				 {"25件", "废止地方性法规"},
				 {"40件", "修订地方性法规"},
				 {"2.1倍", "相当于2015年"},
				 {"8万名", "免费午餐惠及学生"},
				 {"500亿元", "增发地方债券"},
				 {"三次", "上调最低工资标准"},
				 {"310件", "线上平台群众投诉"},
				 {"150件", "线下窗口群众投诉"},
				 {"21件", "线上平台政务咨询"},
				 {"9件", "线下窗口政务咨询"},
				 {"8件", "因征地拆迁引起的行政诉讼案件"},
				 {"3.2万元", "城镇居民人均收入"},
				 {"1.6万元", "农村居民人均收入"}};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct metric *m = metric_by_text(doc, want[i][0]);
		if (m == NULL)
			fail_msg("no metric written as '%s'", want[i][0]);
		if (strcmp(m->label, want[i][1]) != 0 && strstr(m->label, want[i][1]) == NULL)
			fail_msg("'%s': label '%s', want '%s'", want[i][0], m->label, want[i][1]);
	}
	assert_string_equal(metric_by_text(doc, "5%左右")->label, "失业率");
	assert_string_equal(metric_by_text(doc, "2%")->label, "物价涨幅");
	doc_free(&doc);
}

static void
test_shared_unit_and_composite_unit(void **state)
{
	(void)state;
	struct doc *doc = parse_str("存栏数分别较上年末增长39.4和56.5%；人口密度1052人/平方公里。"
				    "低保标准由8000元/年提高到9000元/年。");
	expect_metric(doc, "39.4", 39.4, "%", QUAL_NONE);
	expect_metric(doc, "56.5%", 56.5, "%", QUAL_NONE);
	expect_metric(doc, "1052人/平方公里", 1052, "人/平方公里", QUAL_NONE);
	expect_metric(doc, "8000元/年", 8000, "元/年", QUAL_NONE);
	/* "提高到" says only that it changed: the label is the one before */
	expect_label_has(expect_metric(doc, "9000元/年", 9000, "元/年", QUAL_NONE), "低保标准");
	doc_free(&doc);
}

/* --- exclusions, each with a sentence of the Shaoguan report ------------- */

static void
test_not_dates_or_years(void **state)
{
	(void)state;
	expect_no_metrics("2020年5月，召开市委全面依法治市委员会第二次会议，传达学习中央全面"
			  "依法治国委员会第三次会议精神。");
	expect_no_metrics("                                韶关市人民政府 \n2020年12月18日\n");
	expect_no_metrics("专题审定2020年度法治政府建设重点工作内容及行动方案。");
}

static void
test_not_ordinals(void **state)
{
	(void)state;
	expect_no_metrics("以“和善和美法治韶关”为主题，组织开展韶关市第二届法治文化节系列活动。");
	expect_no_metrics("高质量组织第三届“谁执法谁普法”履职报告评议。");
	expect_no_metrics("传达学习中央全面依法治国委员会第三次会议精神和省委全面依法治省委员会"
			  "第第三次会议精神，总结部署全面依法治市工作。");
	expect_no_metrics("2021年，我市各级行政机关将继续全面贯彻党的十九大和十九届二中、三中、"
			  "四中、五中全会精神。");
	expect_no_metrics("认真履行党政主要负责人推进法治建设第一责任人职责，搞好顶层设计。");
}

static void
test_not_document_numbers(void **state)
{
	(void)state;
	expect_no_metrics("督促起草单位严格落实行政规范性文件《韶关市公众参与拟定地方性法规草案和"
			  "政府规章工作程序规定》（韶府规〔2019〕9号），提高行政立法公众参与度。");
}

static void
test_not_list_markers(void **state)
{
	(void)state;
	struct doc *doc = parse_str(
	    "一、2020年主要工作及成效\n\n（一）党政主要负责人充分履行推进法治建设第一责任人"
	    "职责,将法治政府建设摆在重要位置抓紧抓好。\n\n1.持续深入学习贯彻习近平总书记全面"
	    "依法治国新理念新思想新战略。\n\n2.全面落实法治政府建设决策部署。\n");
	assert_true(doc->nsections >= 3); /* the markers are sections, not metrics */
	assert_int_equal(doc->nmetrics, 0);
	doc_free(&doc);
}

static void
test_not_quoted_slogans(void **state)
{
	(void)state;
	expect_no_metrics("坚定“四个自信”，增强“四个意识”，做到“两个维护”，加大法治政府建设的"
			  "统筹力度。");
	expect_no_metrics("积极推行“双随机一公开”监管模式。与经济社会发展实现“五同”。");
	expect_no_metrics("全面推行行政执法“三项制度”。从“最多跑一次”到“一次不用跑”。");
	expect_no_metrics(
	    "分阶段、按节点扎实开展疫情防控、国际禁毒日、“12.4”宪法日等法治宣传活动。");
}

static void
test_not_fixed_expressions(void **state)
{
	(void)state;
	expect_no_metrics("扎实推进一村(社区)一法律顾问工作全面升级。");
	expect_no_metrics("积极向省申请了一批执法编制，下一步将分配到镇街用以加强执法队伍建设。");
	expect_no_metrics("要求全市各级领导干部切实把思想和行动统一到党中央关于全面依法治国的决策"
			  "部署上来，进一步增强“四个意识”。");
	/* 一 + measure word is an article, and set phrases name doctrines */
	expect_no_metrics("推进政府信息公开工作是一项重要工作，坚持四项基本原则。");
}

static void
test_not_plan_names(void **state)
{
	(void)state;
	expect_no_metrics("认真编制“十四五”时期法治政府建设规划，加快建设法治政府。");
	expect_no_metrics("围绕十四五规划和十三五时期的目标任务。");
}

static void
test_not_year_ranges(void **state)
{
	(void)state;
	expect_no_metrics("以《法治社会建设实施纲要（2020—2025年）》完善社会重要领域立法为依据。");
}

/* --- the rules hold on whole reports ----------------------------------- */

static void
test_shaoguan_report(void **state)
{
	(void)state;
	size_t len;
	char *data = testutil_read_file("examples/reports/shaoguan-2020-fazhi.txt", &len);
	assert_non_null(data);
	struct doc *doc = parse_bytes(data, len);
	free(data);
	assert_int_equal(doc->nmetrics, 59); /* the hand-checked gold has 59 */
	for (size_t i = 0; i < doc->nmetrics; i++) {
		const struct metric *m = &doc->metrics[i];
		assert_true(m->start < m->end && m->end <= doc->text.len);
		assert_true(m->sent_start <= m->start && m->end <= m->sent_end);
		assert_true(m->section >= 0 && (size_t)m->section < doc->nsections);
		if (i > 0)
			assert_true(doc->metrics[i - 1].start < m->start);
	}
	doc_free(&doc);
}

static void
test_statistics_report(void **state)
{
	(void)state;
	struct doc *doc = parse_fixture("pingtan-2012-tjgb.txt");
	/* a capacity naming a facility (…万吨…水厂) is no quantity stated */
	assert_false(any_metric_has(doc, "1.2万吨"));
	assert_false(any_metric_has(doc, "10万吨"));
	/* 每百户 is the base of a rate; ratios a:b are not metrics */
	assert_null(metric_by_text(doc, "百户"));
	assert_false(any_metric_has(doc, ":"));
	/* 三次产业 is a category, 第一产业 an ordinal */
	assert_false(any_metric_has(doc, "三次"));
	assert_false(any_metric_has(doc, "第"));
	/* the composite units and 千瓦 after a number (not 千 as a multiplier) */
	expect_metric(doc, "162061千瓦", 162061, "千瓦", QUAL_NONE);
	expect_metric(doc, "12.99‰", 12.99, "‰", QUAL_NONE);
	doc_free(&doc);
}

static void
test_open_government_report(void **state)
{
	(void)state;
	struct doc *doc = parse_fixture("pingtan-2023-xxgk-nianbao.txt");
	/* postcodes, phone numbers, flattened table digits, 一是…五是 */
	assert_false(any_metric_has(doc, "350400"));
	assert_false(any_metric_has(doc, "0591"));
	assert_false(any_metric_has(doc, "23165385"));
	assert_false(any_metric_has(doc, "0000000"));
	assert_false(any_metric_has(doc, "是"));
	assert_false(any_metric_has(doc, "号"));
	/* the sentences give 25; the tables' cells (tables_test.c) stand in sections 2 to 4 */
	size_t sentences = 0;
	for (size_t i = 0; i < doc->nmetrics; i++)
		sentences += doc->metrics[i].section >= 0 &&
			     doc->sections[doc->metrics[i].section].path[0] == '1';
	assert_int_equal(sentences, 25);
	doc_free(&doc);
}

/* --- junk in, no crash out -------------------------------------------- */

static void
test_numeral_set(void **state)
{
	(void)state;
	/* the hash in number_starts() must know exactly the digits and these */
	const char32_t numerals[] = U"零〇○一二两三四五六七八九十百千万亿";
	size_t nset = 0;
	for (size_t i = 0; numerals[i] != 0; i++)
		assert_true(number_starts(numerals[i]));
	for (uint32_t c = 0; c < 0x110000; c++)
		nset += number_starts(c) != 0;
	assert_int_equal(nset, 10 + sizeof(numerals) / sizeof(numerals[0]) - 1);
}

static void
test_robust_inputs(void **state)
{
	(void)state;
	struct doc *doc = parse_str("");
	assert_int_equal(doc->nmetrics, 0);
	doc_free(&doc);

	/* a million digits: one refused run, no overflow, linear */
	size_t n = 1000000;
	char *s = malloc(n + 16);
	assert_non_null(s);
	memset(s, '9', n);
	memcpy(s + n, "件。", strlen("件。") + 1);
	doc = parse_str(s);
	assert_int_equal(doc->nmetrics, 0);
	doc_free(&doc);

	/* values that would overflow a double are refused, never inf */
	memset(s, '9', 400);
	memcpy(s + 400, "亿亿元", strlen("亿亿元") + 1);
	doc = parse_str(s);
	for (size_t i = 0; i < doc->nmetrics; i++)
		assert_true(isfinite(doc->metrics[i].value));
	doc_free(&doc);
	free(s);

	/* runs of multipliers, digits and quotes that never close */
	struct buf {
		char *p;
		size_t len;
	} b = {malloc(1 << 20), 0};
	assert_non_null(b.p);
	const char *pieces[] = {"亿", "十", "一", "百分之", "“",  "《", "（", "1.",   "．",
				",",  "多", "万", "5G",	    "第", "个", "\n", "2020—"};
	unsigned seed = 12345;
	while (b.len + 16 < (1 << 20)) {
		seed = seed * 1103515245 + 12345;
		const char *p = pieces[(seed >> 16) % (sizeof(pieces) / sizeof(pieces[0]))];
		memcpy(b.p + b.len, p, strlen(p));
		b.len += strlen(p);
	}
	doc = parse_bytes(b.p, b.len);
	for (size_t i = 0; i < doc->nmetrics; i++) {
		assert_true(isfinite(doc->metrics[i].value));
		assert_true(doc->metrics[i].end <= doc->text.len);
	}
	doc_free(&doc);

	/* quotes that never close, on one long line */
	for (size_t i = 0; i + 3 <= b.len; i += 3)
		memcpy(b.p + i, i % 2 ? "“" : "《", 3);
	memcpy(b.p + b.len / 6 * 3, "123件", strlen("123件")); /* two code points' room */
	doc = parse_bytes(b.p, b.len - b.len % 3);
	assert_int_equal(doc->nmetrics, 1);
	doc_free(&doc);

	/* binary garbage */
	for (size_t i = 0; i < b.len; i++) {
		seed = seed * 1103515245 + 12345;
		b.p[i] = (char)(seed >> 16);
	}
	doc = parse_bytes(b.p, b.len);
	doc_free(&doc);
	free(b.p);

	/* numbers and prefixes cut off at the very end of the text */
	const char *ends[] = {"百分之", "增长1.", "共1,", "约",	    "一",     "十",
			      "3万",	"40多",	  "１．", "39.4和", "1052人/"};
	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		doc = parse_str(ends[i]);
		doc_free(&doc);
	}
}

/* --- what a figure means: measure, sign, target, year, subject ----------- */

static const struct metric *
expect_meaning(const struct doc *doc, const char *text, double value, enum measure measure,
	       int target, int year)
{
	const struct metric *m = metric_by_text(doc, text);
	if (m == NULL)
		fail_msg("no metric written as '%s' (%zu metrics)", text, doc->nmetrics);
	if (fabs(m->value - value) > 1e-9 * fabs(value))
		fail_msg("'%s': value %.17g, want %.17g", text, m->value, value);
	if (m->measure != measure)
		fail_msg("'%s': measure %s, want %s", text, measure_name(m->measure),
			 measure_name(measure));
	if (m->target != target)
		fail_msg("'%s': target %d, want %d", text, m->target, target);
	if (m->year != year)
		fail_msg("'%s': year %d, want %d", text, m->year, year);
	return m;
}

static void
expect_label(const struct doc *doc, const char *text, const char *label)
{
	const struct metric *m = metric_by_text(doc, text);
	if (m == NULL)
		fail_msg("no metric written as '%s'", text);
	if (strcmp(m->label, label) != 0)
		fail_msg("'%s': label '%s', want '%s'", text, m->label, label);
}

static void
test_measure_and_sign(void **state)
{
	(void)state;
	/* made-up sentences in the shapes of statistical communiqués */
	struct doc *doc =
	    parse_str("2019年，全县农村居民人均可支配收入18620元，比上年增长9.2%。"
		      "油料播种面积5210亩，减少320亩，下降5.8%。"
		      "森林覆盖率为61.3%，行政机关负责人出庭应诉率达92%。"
		      "第三产业增加值占生产总值的比重提高1.6个百分点，增速回落2.5个百分点。"
		      "人口自然增长率降到5.12‰，城镇登记失业率下降0.3个百分点。"
		      "全年发生火灾事故比上年减少12起，直接经济损失同比下降21.4%。"
		      "企业总数85家，本年新增9家；电子商务交易额增长1倍多。");
	const struct metric *m = expect_meaning(doc, "18620元", 18620, MEASURE_LEVEL, 0, 2019);
	assert_string_equal(m->label, "农村居民人均可支配收入");
	m = expect_meaning(doc, "9.2%", 9.2, MEASURE_GROWTH, 0, 2019);
	assert_string_equal(m->label, "农村居民人均可支配收入"); /* 比上年 refers back */
	expect_meaning(doc, "320亩", -320, MEASURE_CHANGE, 0, 2019);
	expect_meaning(doc, "5.8%", -5.8, MEASURE_GROWTH, 0, 2019);
	expect_meaning(doc, "61.3%", 61.3, MEASURE_SHARE, 0, 2019);
	expect_meaning(doc, "92%", 92, MEASURE_SHARE, 0, 2019);
	expect_meaning(doc, "1.6个百分点", 1.6, MEASURE_CHANGE, 0, 2019);
	expect_meaning(doc, "2.5个百分点", -2.5, MEASURE_CHANGE, 0, 2019);
	expect_meaning(doc, "5.12‰", 5.12, MEASURE_SHARE, 0,
		       2019); /* a state reached, not a fall */
	expect_meaning(doc, "0.3个百分点", -0.3, MEASURE_CHANGE, 0, 2019);
	expect_meaning(doc, "12起", -12, MEASURE_CHANGE, 0, 2019);
	expect_meaning(doc, "21.4%", -21.4, MEASURE_GROWTH, 0, 2019);
	expect_meaning(doc, "9家", 9, MEASURE_CHANGE, 0, 2019); /* added to the stock before */
	expect_meaning(doc, "1倍多", 1, MEASURE_GROWTH, 0, 2019);
	doc_free(&doc);
}

static void
test_list_subjects(void **state)
{
	(void)state;
	struct doc *doc = parse_str(
	    "全年道路交通事故起数、受伤人数分别下降12%、9.5%。"
	    "小麦、玉米和大豆产量分别为3200吨、2800吨和650吨，分别增长1.5%、2.4%和0.8%。");
	expect_meaning(doc, "12%", -12, MEASURE_GROWTH, 0, 0);
	expect_meaning(doc, "9.5%", -9.5, MEASURE_GROWTH, 0, 0);
	expect_label(doc, "12%", "道路交通事故起数");
	expect_label(doc, "9.5%", "受伤人数");
	expect_label(doc, "3200吨", "小麦产量"); /* the last item's head is shared */
	expect_label(doc, "2800吨", "玉米产量");
	expect_label(doc, "650吨", "大豆产量");
	expect_label(doc, "1.5%", "小麦产量"); /* a second 分别 list: the same subjects */
	expect_label(doc, "2.4%", "玉米产量");
	expect_meaning(doc, "0.8%", 0.8, MEASURE_GROWTH, 0, 0);
	expect_label(doc, "0.8%", "大豆产量");
	doc_free(&doc);
}

static void
test_label_trimming(void **state)
{
	(void)state;
	/* the first two sentences are the Shaoguan report's */
	struct doc *doc = parse_str("简化施工许可办理手续，由原15个工作日压减为1个工作日。"
				    "全年市政府行政复议案受案130宗，已办结48宗。"
				    "2018年全市共审结知识产权案件210件。新开12条国际客货运航线。"
				    "现有村（社区）的法律顾问在328个村（社区）的服务站坐班。");
	expect_label(doc, "15个工作日", "施工许可办理手续"); /* 由原: the clause before */
	expect_label(doc, "1个工作日", "施工许可办理手续");  /* 压减为: only a verb */
	const struct metric *m = metric_by_text(doc, "48宗");
	assert_non_null(m);
	expect_label_has(m, "行政复议案");	     /* never the bare verb 办结 */
	expect_label(doc, "210件", "知识产权案件");  /* 2018年 全市 共 审结 off */
	expect_label(doc, "12条", "国际客货运航线"); /* the noun after the number */
	expect_label(doc, "328个", "村（社区）");    /* 的 ends it */
	m = metric_by_text(doc, "15个工作日");
	assert_int_equal(m->year, 0); /* 原: a former state, year unknown */
	doc_free(&doc);
}

/* A change or growth measured from a base more than a year back is over a span: no year. */
static void
test_growth_since_an_earlier_year_is_a_span(void **state)
{
	(void)state;
	struct doc *doc =
	    parse_str("2025年与2020年相比，全县生产总值增长41.2%，年均增长7.1%；"
		      "2025年生产总值比2024年增长6.8%。"
		      "2025年底，城镇人均住房面积36.5平方米，比2020年增加3.1平方米。");
	expect_meaning(doc, "41.2%", 41.2, MEASURE_GROWTH, 0, 0);
	expect_meaning(doc, "7.1%", 7.1, MEASURE_GROWTH, 0, 0);
	expect_meaning(doc, "6.8%", 6.8, MEASURE_GROWTH, 0, 2025); /* a year on the one before */
	expect_meaning(doc, "36.5平方米", 36.5, MEASURE_LEVEL, 0, 2025);
	expect_meaning(doc, "3.1平方米", 3.1, MEASURE_CHANGE, 0, 0);
	doc_free(&doc);
}

static void
test_targets_and_years(void **state)
{
	(void)state;
	/* a made-up work report delivered in 2031: it reviews 2030 and plans 2031 */
	struct doc *doc =
	    parse_str("各位代表：\n现在，我代表市人民政府，向大会报告工作，请予审议。\n"
		      "一、2030年工作回顾\n"
		      "全市生产总值增长6.1%。五年来，年均增长6.8%。比2025年增长38%。"
		      "预计今年高校毕业生超过5万人。\n"
		      "二、2031年主要任务\n"
		      "今年发展的主要预期目标是：生产总值增长6%左右；城镇新增就业6万人以上。"
		      "居民消费价格涨幅控制在3%以内。力争新建5G基站3000个。"
		      "到2035年，常住人口城镇化率达到75%。\n");
	expect_meaning(doc, "6.1%", 6.1, MEASURE_GROWTH, 0, 2030);
	expect_meaning(doc, "6.8%", 6.8, MEASURE_GROWTH, 0, 0);	 /* a span */
	expect_meaning(doc, "38%", 38, MEASURE_GROWTH, 0, 2030); /* 2025 is only the base */
	const struct metric *m = metric_by_text(doc, "超过5万人");
	assert_non_null(m);
	assert_int_equal(m->target, 0); /* a forecast, not a goal */
	expect_meaning(doc, "6%左右", 6, MEASURE_GROWTH, 1, 2031);
	expect_meaning(doc, "6万人以上", 60000, MEASURE_LEVEL, 1, 2031);
	expect_meaning(doc, "3%以内", 3, MEASURE_GROWTH, 1, 2031);
	expect_meaning(doc, "3000个", 3000, MEASURE_LEVEL, 1, 2031);
	expect_meaning(doc, "75%", 75, MEASURE_SHARE, 1, 2035);
	doc_free(&doc);

	/* a result report: its figures are about the year it covers */
	doc = parse_str("韶关市人民政府关于2020年度法治政府建设工作的报告\n"
			"全年计划16件，完成合法性审核12件。"
			"产业园类项目审批时间原则上不超过34个工作日。\n");
	expect_meaning(doc, "16件", 16, MEASURE_LEVEL, 1, 2020);
	expect_meaning(doc, "12件", 12, MEASURE_LEVEL, 0, 2020);
	expect_meaning(doc, "不超过34个工作日", 34, MEASURE_LEVEL, 1, 2020); /* a limit */
	doc_free(&doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_arabic_and_units),
	    cmocka_unit_test(test_separators_decimals_scale),
	    cmocka_unit_test(test_chinese_numerals),
	    cmocka_unit_test(test_qualifiers),
	    cmocka_unit_test(test_labels),
	    cmocka_unit_test(test_label_relations),
	    cmocka_unit_test(test_shared_unit_and_composite_unit),
	    cmocka_unit_test(test_not_dates_or_years),
	    cmocka_unit_test(test_not_ordinals),
	    cmocka_unit_test(test_not_document_numbers),
	    cmocka_unit_test(test_not_list_markers),
	    cmocka_unit_test(test_not_quoted_slogans),
	    cmocka_unit_test(test_not_fixed_expressions),
	    cmocka_unit_test(test_not_plan_names),
	    cmocka_unit_test(test_not_year_ranges),
	    cmocka_unit_test(test_shaoguan_report),
	    cmocka_unit_test(test_statistics_report),
	    cmocka_unit_test(test_open_government_report),
	    cmocka_unit_test(test_numeral_set),
	    cmocka_unit_test(test_robust_inputs),
	    cmocka_unit_test(test_measure_and_sign),
	    cmocka_unit_test(test_list_subjects),
	    cmocka_unit_test(test_label_trimming),
	    cmocka_unit_test(test_growth_since_an_earlier_year_is_a_span),
	    cmocka_unit_test(test_targets_and_years),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
