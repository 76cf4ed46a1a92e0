/*
 * metrics_meaning.c - what each metric means (shared/DESIGN.md, "What a
 * figure means"): its measure (level, change, growth or share), the sign of
 * a change, whether it is stated as a goal, and the year it is about.
 *
 * A pass over doc->metrics after the scan. Each metric looks at a bounded
 * window of its own sentence and at its section headings (read once per
 * section), so the pass stays linear in the text. Must never special-case a
 * document: the word lists are grammar (verbs of change, words of a plan,
 * expressions of time), not topics.
 */
#include "metrics_meaning.h"
#include "metrics_unit.h"
#include "buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TIME_BACK 200  /* code points of the sentence looked back at for a time */
#define HEADING_MAX 60 /* code points of a heading looked at for a time */
#define CLAUSE_BACK 40 /* code points of the clause looked back at for a plan word */
#define TOPIC_MAX 12   /* code points at a paragraph's start where its year may stand */
#define GENRE_HEAD 600
#define PREAMBLE_MAX                                                                               \
	1000 /* a work report's address before its first heading is shorter */ /* code points at   \
										  the top where a  \
										  work report      \
										  names itself */
#define YEAR_MIN 1900
#define YEAR_MAX 2100

/* A verb of change right before the number: the figure is a change or a growth. */
static const struct word rise_verbs[] = {W(U"增长"), W(U"增加"), W(U"提高"), W(U"上升"), W(U"上涨"),
					 W(U"回升"), W(U"扩大"), W(U"增产"), W(U"提升"), W(U"上浮"),
					 W(U"加快"), W(U"净增"), W(U"增收"), W(U"多增"), W(U"攀升"),
					 W(U"增多"), W(U"上调"), W(U"比增"), {NULL, 0}};
static const struct word fall_verbs[] = {
    W(U"下降"), W(U"减少"), W(U"降低"), W(U"回落"), W(U"下滑"), W(U"缩小"), W(U"减产"),
    W(U"下跌"), W(U"下调"), W(U"减缓"), W(U"放缓"), W(U"收窄"), W(U"萎缩"), W(U"净减"),
    W(U"减收"), W(U"少增"), W(U"比降"), W(U"减轻"), W(U"降"),	W(U"减"),   {NULL, 0}};

/* What may stand between a verb and its number without changing it: 增长了, 下降 */
static const struct word verb_tails[] = {W(U"了"), W(U"达"), {NULL, 0}};

/* A rate that is itself a growth: 增速为7%, 涨幅3%左右. */
static const struct word growth_nouns[] = {W(U"增速"), W(U"增幅"), W(U"涨幅"), W(U"增长速度"),
					   W(U"降幅"), W(U"跌幅"), W(U"增长"), {NULL, 0}};

/* …but a growth rate that is a state: 人口自然增长率降到6.45‰. */
static const struct word growth_rates[] = {W(U"增长率"), {NULL, 0}};

/* Words that state a goal, a plan or a limit, in the clause before the number. */
static const struct word plan_words[] = {W(U"力争"),   W(U"计划"), W(U"争取"), W(U"确保"),
					 W(U"控制在"), W(U"拟"),   W(U"预期"), W(U"目标"),
					 W(U"规划"),   W(U"要"),   {NULL, 0}};

/* …but not in these, which name a result or something else (完成目标, 计划生育). */
static const struct word plan_not_after[] = {
    W(U"预期寿命"), W(U"计划单列"), W(U"计划生育"), W(U"计划类"), W(U"规划类"),
    W(U"规划计划"), W(U"规划建设"), W(U"要求"),	    W(U"要素"),	  W(U"要点"),
    W(U"要件"),	    W(U"要害"),	    W(U"拟定"),	    {NULL, 0}};
static const struct word plan_not_before[] = {
    W(U"完成"), W(U"实现"), W(U"达到"), W(U"超额"), W(U"如期"), W(U"主"),   W(U"重"),	W(U"需"),
    W(U"只"),	W(U"必"),   W(U"纲"),	W(U"概"),   W(U"摘"),	W(U"首"),   W(U"紧"),	W(U"提"),
    W(U"模"),	W(U"虚"),   W(U"草"),	W(U"比"),   W(U"编制"), W(U"制定"), W(U"年度"), W(U"工作"),
    W(U"超出"), W(U"好于"), W(U"高于"), W(U"低于"), {NULL, 0}};

/* Relative years: offsets from the year a report covers (or, in a work report, plans). */
static const struct word rel_years[] = {W(U"今年"), W(U"本年"), W(U"去年"), W(U"上年"),
					W(U"明年"), W(U"前年"), {NULL, 0}};
static const int rel_offsets[] = {0, 0, -1, -1, 1, -2};

/* Before a year, these make it the base of a comparison (比上年), not the figure's year. */
static const struct word baselines[] = {W(U"比"), W(U"较"), W(U"同"),	  W(U"与"),
					W(U"于"), W(U"是"), W(U"相当于"), {NULL, 0}};

/* Before "N年": the last N years, a span. */
static const struct word span_leads[] = {W(U"过去"), W(U"近"),	 W(U"这"), W(U"今后"), W(U"未来"),
					 W(U"最近"), W(U"连续"), W(U"多"), {NULL, 0}};

/* After "N年": a total over those years. */
static const struct word span_totals[] = {W(U"共"), W(U"累计"), W(U"合计"), W(U"新增"), {NULL, 0}};

/* After "十X五": a plan period, a span. */
static const struct word plan_periods[] = {W(U"”"),    W(U"时期"), W(U"期间"), W(U"规划"),
					   W(U"计划"), W(U"以来"), {NULL, 0}};

enum time_kind { TIME_NONE, TIME_YEAR, TIME_SPAN, TIME_RATE /* 年均: a rate over a span */ };

struct meaning {
	struct doc *doc;
	const struct text *t;
	int work_report; /* a 政府工作报告: reviews base - 1 and plans base */
	int base;	 /* the year 今年 means; 0: unknown */
	int *heading;	 /* per section: a year it names, 0 none, -1 a span */
	char *heading_done;
};

static int
is_digit(uint32_t c)
{
	return (c >= '0' && c <= '9') || (c >= 0xFF10 && c <= 0xFF19);
}

static int
digit_val(uint32_t c)
{
	return c <= '9' ? (int)(c - '0') : (int)(c - 0xFF10);
}

static int
is_space(uint32_t c)
{
	return c == ' ' || c == '\t' || c == 0x3000;
}

static int
is_clause_break(uint32_t c)
{
	return c == U'，' || c == U'；' || c == U'：' || c == U'。' || c == U'！' || c == U'？' ||
	       c == ',' || c == ';' || c == ':' || c == '\n';
}

static int
is_cn_count(uint32_t c)
{
	switch (c) {
	case U'一':
	case U'二':
	case U'两':
	case U'三':
	case U'四':
	case U'五':
	case U'六':
	case U'七':
	case U'八':
	case U'九':
	case U'十':
	case U'几':
	case U'多':
		return 1;
	}
	return 0;
}

/* Whether a list word (、 和 及 与 以及) and spaces are all of [a, b): the next item of a list. */
static int
only_list_join(const struct text *t, size_t a, size_t b)
{
	if (a >= b)
		return 0;
	for (size_t i = a; i < b; i++) {
		uint32_t c = t->cp[i];
		if (is_space(c) || c == U'、' || c == U'和' || c == U'及' || c == U'与' ||
		    c == U'以' || c == U'或' || c == ',' || c == U'，')
			continue;
		return 0;
	}
	return 1;
}

/* The verb of change that ends at pos (after spaces and 了): +1 rise, -1 fall, 0 none. */
static int
change_before(const struct text *t, size_t lo, size_t pos)
{
	size_t n;

	while (pos > lo && is_space(t->cp[pos - 1]))
		pos--;
	if (pos > lo && (n = unit_words_before(t, pos, verb_tails, NULL)) && pos - n >= lo)
		pos -= n;
	while (pos > lo && is_space(t->cp[pos - 1]))
		pos--;
	const struct text in = {t->cp, pos};
	size_t r = unit_words_before(&in, pos, rise_verbs, NULL);
	size_t f = unit_words_before(&in, pos, fall_verbs, NULL);
	if (r && pos - r >= lo && r >= f)
		return 1;
	if (f && pos - f >= lo) {
		if (f > 1)
			return -1;
		/* a bare 降 or 减 is a verb after 比, 同比, 分别 or a clause break (压减 is not) */
		uint32_t b = pos - 1 > lo ? t->cp[pos - 2] : U'，';
		if (b == U'比' || b == U'别' || b == U'年' || b == U'期' || b == U'均' ||
		    is_clause_break(b))
			return -1;
		return 0;
	}
	/* 增 alone: 同比增5%, 比上年增3% */
	if (pos > lo && t->cp[pos - 1] == U'增') {
		uint32_t b = pos - 1 > lo ? t->cp[pos - 2] : U'，';
		if (b == U'比' || b == U'别' || b == U'年' || b == U'期' || b == U'均')
			return 1;
	}
	return 0;
}

/* Whether one of list occurs in [a, b); *dir gets -1 for the falling ones (降幅). */
static int
words_in(const struct text *t, size_t a, size_t b, const struct word *list, int *which)
{
	const struct text in = {t->cp, b};
	for (size_t i = a; i < b; i++)
		if (unit_words_at(&in, i, list, which))
			return 1;
	return 0;
}

static int
is_pct(const char *unit)
{
	return strcmp(unit, "%") == 0 || strcmp(unit, "‰") == 0;
}

/* Start of the clause that holds pos, not before lo. */
static size_t
clause_start(const struct text *t, size_t lo, size_t pos)
{
	size_t i = pos;
	while (i > lo && pos - i < CLAUSE_BACK && !is_clause_break(t->cp[i - 1]))
		i--;
	return i;
}

/* 企业66家，本年新增19家: what was added to the stock just stated (not after a ；) */
static const struct word net_adds[] = {W(U"新增"), W(U"净增"), {NULL, 0}};
static const struct word semicolons[] = {W(U"；"), W(U";"), {NULL, 0}};

/* Words that end the name of a ratio: 性别比为106.84, 每百户62.7部. */
static const struct word ratio_ends[] = {W(U"率"), W(U"比"), W(U"比重"), W(U"比例"), {NULL, 0}};
static const struct word not_ratios[] = {W(U"同比"), W(U"环比"), W(U"功率"),
					 W(U"频率"), W(U"汇率"), {NULL, 0}};
static const struct word ratio_tails[] = {W(U"为"), W(U"是"), W(U"达"), W(U"达到"), {NULL, 0}};

/* Whether the clause [a, pos) names a ratio right before the number, or a rate per (每百户). */
static int
ratio_before(const struct text *t, size_t a, size_t pos)
{
	size_t n;

	while (pos > a && is_space(t->cp[pos - 1]))
		pos--;
	if ((n = unit_words_before(t, pos, ratio_tails, NULL)) && pos - n >= a)
		pos -= n;
	if ((n = unit_words_before(t, pos, ratio_ends, NULL)) && pos - n > a &&
	    !unit_words_before(t, pos, not_ratios, NULL))
		return 1;
	for (size_t i = a; i + 1 < pos; i++)
		if (t->cp[i] == U'每' && (t->cp[i + 1] == U'百' || t->cp[i + 1] == U'千' ||
					  t->cp[i + 1] == U'万' || t->cp[i + 1] == U'十'))
			return 1;
	return 0;
}

/* Measure and sign of m; prev is the metric before it in its sentence, or NULL. */
static void
measure_set(const struct text *t, struct metric *m, const struct metric *prev, int *sign)
{
	size_t lo = prev ? prev->end : m->sent_start;
	int dir = change_before(t, lo, m->start);
	int pct = is_pct(m->unit);

	*sign = 1;
	if (dir == 0 && prev && only_list_join(t, prev->end, m->start) &&
	    prev->measure != MEASURE_LEVEL && prev->measure != MEASURE_SHARE) {
		/* 分别增长2.8%、4.9%和14.5%: the verb of the list's head holds for all */
		dir = prev->value < 0 ? -1 : 1;
	}
	if (dir != 0) {
		*sign = dir;
		if (pct || strcmp(m->unit, "倍") == 0)
			m->measure = MEASURE_GROWTH; /* 增长一倍多 */
		else
			m->measure = MEASURE_CHANGE;
		return;
	}
	size_t a = clause_start(t, lo, m->start);
	if (prev && prev->measure == MEASURE_LEVEL && strcmp(prev->unit, m->unit) == 0 &&
	    !words_in(t, prev->end, m->start, semicolons, NULL) &&
	    words_in(t, a, m->start, net_adds, NULL)) {
		m->measure = MEASURE_CHANGE; /* 新增企业5家: what was added to a stock */
		return;
	}
	if (strcmp(m->unit, "倍") == 0) {
		m->measure = MEASURE_SHARE; /* 是1997年的2.3倍: a ratio */
		return;
	}
	if (strcmp(m->unit, "个百分点") == 0 || strcmp(m->unit, "个千分点") == 0) {
		m->measure = MEASURE_CHANGE;
		return;
	}
	if (ratio_before(t, a, m->start)) {
		m->measure = MEASURE_SHARE;
		return;
	}
	if (!pct) {
		m->measure = MEASURE_LEVEL;
		return;
	}
	int which = 0;
	if (words_in(t, a, m->start, growth_nouns, &which) &&
	    !words_in(t, a, m->start, growth_rates, NULL)) {
		m->measure = MEASURE_GROWTH;
		if (growth_nouns[which].text[0] == U'降' || growth_nouns[which].text[0] == U'跌' ||
		    growth_nouns[which].text[0] == U'下')
			*sign = -1;
		return;
	}
	m->measure = MEASURE_SHARE;
}

static const struct word forecasts[] = {W(U"预计"), W(U"估计"), {NULL, 0}};

/* Whether a plan word in [a, b) governs what follows it. */
static int
plan_in(const struct text *t, size_t a, size_t b)
{
	const struct text in = {t->cp, b};
	for (size_t i = a; i < b; i++) {
		size_t n = unit_words_at(&in, i, plan_words, NULL);
		if (n == 0)
			continue;
		if (i > 0 && (t->cp[i - 1] == U'“' || t->cp[i - 1] == U'个'))
			continue; /* “两个确保”: a name */
		if (unit_words_at(t, i, plan_not_after, NULL) ||
		    unit_words_before(t, i, plan_not_before, NULL))
			continue;
		return 1;
	}
	return 0;
}

static int is_from(const struct text *t, const struct metric *m);
static int says_now(const struct text *t, size_t lo, size_t pos);

/* Whether m is stated as a goal, a plan or a limit. */
static int
target_of(const struct meaning *mc, const struct metric *m, int year, int named)
{
	const struct text *t = mc->t;
	size_t a = clause_start(t, m->sent_start, m->start);

	if (words_in(t, a, m->start, forecasts, NULL))
		return 0; /* 预计今年高校毕业生超过1170万人 */
	if (plan_in(t, a, m->start))
		return 1;
	/* 主要预期目标是：…；…: a list of goals after 目标 runs to the sentence's end */
	for (size_t i = m->sent_start; i + 2 < a; i++) {
		if (t->cp[i] == U'目' && t->cp[i + 1] == U'标' &&
		    (t->cp[i + 2] == U'是' || t->cp[i + 2] == U'为' || t->cp[i + 2] == U'：') &&
		    !unit_words_before(t, i, plan_not_before, NULL))
			return 1;
	}
	/* 不超过34个工作日, 控制在3%以内: a cap is a limit set, not a result */
	if (m->qualifier == QUAL_MAX && m->start >= 2 &&
	    (unit_word_at(t, m->start, U"不超过") || unit_word_at(t, m->start, U"不高于") ||
	     unit_word_before(t, m->end, U"以内") || unit_word_before(t, m->end, U"之内")))
		return 1;
	/* 到2035年…达到75%: a figure about a later year than the report's is a goal */
	if (named && mc->base && year > mc->base)
		return 1;
	/* a work report's figures for the year it plans */
	if (named && mc->work_report && mc->base && year == mc->base && !says_now(t, a, m->start) &&
	    !is_from(t, m))
		return 1;
	return 0;
}

/*
 * The time expression that ends at cp[j] (j is at 年, 来 or 五), scanning
 * back not before lo: a year in *year, a span, or none (also for a year that
 * is only the base of a comparison).
 */
static enum time_kind
time_at(const struct meaning *mc, size_t lo, size_t j, int *year)
{
	const struct text *t = mc->t;
	const uint32_t *cp = t->cp;
	uint32_t c = cp[j];
	uint32_t next = j + 1 < t->len ? cp[j + 1] : 0;
	int which;

	if (c == U'五') {
		/* “十四五”, 十三五时期 */
		if (j >= lo + 1 && (cp[j - 1] == U'十' || (j >= lo + 2 && cp[j - 2] == U'十')) &&
		    unit_words_at(t, j + 1, plan_periods, NULL))
			return TIME_SPAN;
		return TIME_NONE;
	}
	if (c == U'在' || c == U'有' || c == U'前') {
		/* 现在, 现有, 目前: the year the report is delivered in */
		uint32_t b = j > lo ? cp[j - 1] : 0;
		if (((c == U'在' || c == U'有') && b == U'现') || (c == U'前' && b == U'目')) {
			*year = mc->base;
			return mc->base ? TIME_YEAR : TIME_NONE;
		}
		return TIME_NONE;
	}
	if (c == U'来') {
		if (j < lo + 1)
			return TIME_NONE;
		if (cp[j - 1] == U'以') {
			/* 今年以来 is this year; 2012年以来, 十八大以来 are spans */
			if (j >= lo + 3 && unit_words_before(t, j - 1, rel_years, &which) == 2 &&
			    rel_offsets[which] == 0) {
				*year = mc->base;
				return TIME_YEAR;
			}
			return TIME_SPAN;
		}
		if (cp[j - 1] == U'年' && j >= lo + 2 &&
		    (is_cn_count(cp[j - 2]) || is_digit(cp[j - 2]))) {
			if (cp[j - 2] == U'一' && (j < lo + 3 || !is_cn_count(cp[j - 3]))) {
				/* 一年来: the year reviewed */
				*year = mc->work_report && mc->base ? mc->base - 1 : mc->base;
				return *year ? TIME_YEAR : TIME_NONE;
			}
			return TIME_SPAN; /* 五年来, 10年来 */
		}
		return TIME_NONE;
	}
	/* c is 年 */
	if (next == U'均' || unit_word_at(t, j + 1, U"平均"))
		return TIME_RATE; /* 年均增长 */
	if (j > lo && cp[j - 1] == U'每') {
		/* 平均每年增长7.7%, 每年提高一个百分点; not 每人每年240元 */
		if ((j >= lo + 3 && unit_word_before(t, j - 1, U"平均")) ||
		    unit_words_at(t, j + 1, rise_verbs, NULL) ||
		    unit_words_at(t, j + 1, fall_verbs, NULL))
			return TIME_RATE;
		return TIME_NONE;
	}
	if (next == U'代')
		return TIME_NONE;
	size_t k = j;
	while (k > lo && is_digit(cp[k - 1]) && j - k < 5)
		k--;
	if (j - k == 4) {
		int y = 0;
		for (size_t i = k; i < j; i++)
			y = y * 10 + digit_val(cp[i]);
		if (y < YEAR_MIN || y > YEAR_MAX)
			return TIME_NONE;
		if (unit_words_before(t, k, baselines, NULL))
			return TIME_NONE; /* 比2010年增长 */
		if (k >= lo + 2 && is_digit(cp[k - 2]) &&
		    (cp[k - 1] == U'—' || cp[k - 1] == U'–' || cp[k - 1] == '-' ||
		     cp[k - 1] == U'～' || cp[k - 1] == '~'))
			return TIME_SPAN; /* 2020—2025年 */
		if (k >= lo + 2 && (cp[k - 1] == U'至' || cp[k - 1] == U'到') &&
		    cp[k - 2] == U'年' && k >= 3 && is_digit(cp[k - 3]))
			return TIME_SPAN; /* 2018年至2020年 */
		if (unit_word_at(t, j + 1, U"以来") || unit_word_at(t, j + 1, U"以前") ||
		    unit_word_at(t, j + 1, U"底以前") || next == U'起' ||
		    unit_word_at(t, j + 1, U"开始"))
			return TIME_SPAN; /* 2012年以来, 2000年底以前, 从1999年起 */
		*year = y;
		return TIME_YEAR;
	}
	if (j - k > 0)
		return TIME_NONE;
	/* 过去五年, 近三年, 五年来 */
	if (j >= lo + 1 && is_cn_count(cp[j - 1])) {
		size_t n = j - 1;
		while (n > lo && is_cn_count(cp[n - 1]))
			n--;
		if (n == j - 1 && cp[n] == U'一' &&
		    (next == U'来' || unit_word_before(t, n, U"过去") ||
		     unit_word_before(t, n, U"过去的"))) {
			/* 过去一年, 一年来: the year reviewed */
			*year = mc->work_report && mc->base ? mc->base - 1 : mc->base;
			return *year ? TIME_YEAR : TIME_NONE;
		}
		if (unit_words_before(t, n, span_leads, NULL) || next == U'来' || next == U'间' ||
		    next == U'里' || next == U'内' || next == U'中' ||
		    unit_words_at(t, j + 1, span_totals, NULL))
			return TIME_SPAN; /* 过去五年, 五年来, 五年共计 */
		return TIME_NONE;
	}
	size_t n = unit_words_before(t, j + 1, rel_years, &which);
	if (n == 2 && j + 1 >= lo + 2) {
		if (unit_words_before(t, j - 1, baselines, NULL))
			return TIME_NONE; /* 比上年, 同去年 */
		if (!mc->base)
			return TIME_NONE;
		*year = mc->base + rel_offsets[which];
		return TIME_YEAR;
	}
	return TIME_NONE;
}

/* Whether a clause break stands in [a, b). */
static int
has_break(const struct text *t, size_t a, size_t b)
{
	for (size_t i = a; i < b; i++)
		if (is_clause_break(t->cp[i]))
			return 1;
	return 0;
}

/* Whether c can end a time expression (年, 以来, 十四五, 现在, 现有, 目前). */
static int
is_time_end(uint32_t c)
{
	return c == U'年' || c == U'来' || c == U'五' || c == U'在' || c == U'有' || c == U'前';
}

/* The nearest time expression in [lo, pos), scanning back. */
static enum time_kind
time_before(const struct meaning *mc, size_t lo, size_t pos, int *year)
{
	const uint32_t *cp = mc->t->cp;

	if (pos - lo > TIME_BACK)
		lo = pos - TIME_BACK;
	for (size_t j = pos; j > lo; j--) {
		uint32_t c = cp[j - 1];
		if (!is_time_end(c))
			continue;
		enum time_kind k = time_at(mc, lo, j - 1, year);
		if (k == TIME_RATE && has_break(mc->t, j, pos))
			k = TIME_SPAN; /* 平均每年增加…；外汇储备增加到…: the rate was another
					  clause's */
		if (k != TIME_NONE)
			return k;
	}
	return TIME_NONE;
}

/* The time a section's heading names: a year, -1 for a span, 0 for none. */
static int
heading_time(struct meaning *mc, int s)
{
	if (mc->heading_done[s])
		return mc->heading[s];
	const struct section *sec = &mc->doc->sections[s];
	const struct text *t = mc->t;
	size_t e = sec->start;
	while (e < t->len && e - sec->start < HEADING_MAX && t->cp[e] != U'。' && t->cp[e] != '\n')
		e++;
	/* the first time it names: 2025年工作回顾和“十四五”发展主要成绩 is about 2025 */
	int year = 0;
	enum time_kind k = TIME_NONE;
	for (size_t j = sec->start; j < e && k == TIME_NONE; j++)
		if (is_time_end(t->cp[j]))
			k = time_at(mc, sec->start, j, &year);
	mc->heading[s] = k == TIME_YEAR ? year : k == TIME_NONE ? 0 : -1;
	mc->heading_done[s] = 1;
	return mc->heading[s];
}

/* Whether the text before the number says it was the state before (由原15个工作日). */
static int
is_former(const struct text *t, const struct metric *m)
{
	return m->start > 0 && t->cp[m->start - 1] == U'原';
}

/* Whether the number is a state reached (提高到, 降至, 已达): the end of a span, not the span. */
static int
is_reached(const struct text *t, const struct metric *m)
{
	if (m->start == 0)
		return 0;
	uint32_t b = t->cp[m->start - 1];
	if (b == U'到' || b == U'至' || unit_word_before(t, m->start, U"达到") ||
	    unit_word_at(t, m->start, U"超过"))
		return 1;
	/* 已积累资金1242亿元, 已达 */
	for (size_t i = m->start; i > m->sent_start && m->start - i < CLAUSE_BACK; i--) {
		if (is_clause_break(t->cp[i - 1]))
			break;
		if (t->cp[i - 1] == U'已')
			return 1;
	}
	return 0;
}

/* Whether the number is where a change started (从26.6万亿元增加到…, 由原…). */
static int
is_from(const struct text *t, const struct metric *m)
{
	size_t s = m->start;
	for (size_t k = 0; k < 12 && s > m->sent_start; k++, s--) {
		uint32_t c = t->cp[s - 1];
		if (is_clause_break(c) || is_digit(c) || c == U'到' || c == U'至')
			return 0; /* 从1399亿美元增加到2864亿美元: 2864 is no from-value */
		if (c == U'从' || c == U'由')
			return 1;
	}
	return 0;
}

/* The year of the first "从1997年" or "由1997年" of the sentence before pos, or 0. */
static int
from_year(const struct text *t, size_t lo, size_t pos)
{
	for (size_t i = lo; i + 5 < pos; i++) {
		if ((t->cp[i] != U'从' && t->cp[i] != U'由') || t->cp[i + 5] != U'年')
			continue;
		int y = 0, ok = 1;
		for (size_t k = i + 1; k < i + 5; k++)
			ok &= is_digit(t->cp[k]), y = y * 10 + digit_val(t->cp[k]);
		if (ok && y >= YEAR_MIN && y <= YEAR_MAX)
			return y;
	}
	return 0;
}

/* Whether the clause before pos says "now" (现在, 现有, 目前). */
static int
says_now(const struct text *t, size_t lo, size_t pos)
{
	static const struct word now[] = {W(U"现在"), W(U"现有"), W(U"目前"), {NULL, 0}};
	return words_in(t, clause_start(t, lo, pos), pos, now, NULL);
}

/* Where the paragraph holding pos starts (after its line break), at most TIME_BACK before. */
static size_t
paragraph_start(const struct text *t, size_t pos)
{
	size_t i = pos;
	while (i > 0 && pos - i < TIME_BACK && t->cp[i - 1] != '\n')
		i--;
	return i;
}

/*
 * The year m is about, 0 for a span or unknown; *named is cleared when
 * neither its sentence nor its headings tell, and the caller falls back to
 * the year the report covers.
 */
static int
year_of(struct meaning *mc, const struct metric *m, int *named)
{
	const struct text *t = mc->t;
	int year = 0, span = 0;
	int reviewed = mc->work_report && mc->base ? mc->base - 1 : mc->base;

	*named = 1;
	if (is_former(t, m))
		return 0;
	switch (time_before(mc, m->sent_start, m->start, &year)) {
	case TIME_YEAR:
		if (is_from(t, m)) {
			int from = from_year(t, m->sent_start, m->start);
			if (from)
				return from; /* 从1997年的A增加到2002年的B，C从x增加到y: x is 1997's
					      */
			if (mc->work_report && year == mc->base)
				return year - 1; /* 今年…由240元提高到280元: 240 is now */
		}
		return year;
	case TIME_RATE:
		return 0;
	case TIME_SPAN:
		span = 1;
		break;
	case TIME_NONE:
		/* 刚刚过去的2017年，…。国内生产总值增长6.9%: the time a paragraph opens with
		 * (五年来，…) */
		size_t p = paragraph_start(t, m->sent_start), q = p;
		while (q < m->sent_start && q - p < TOPIC_MAX && !is_clause_break(t->cp[q]))
			q++;
		enum time_kind k = TIME_NONE;
		if (q < m->sent_start && t->cp[q] == U'，')
			k = time_before(mc, p, q, &year);
		if (k == TIME_YEAR)
			return year;
		span = k != TIME_NONE;
		for (int s = m->section; s >= 0 && !span; s = mc->doc->sections[s].parent) {
			int h = heading_time(mc, s);
			if (h > 0)
				return h;
			span = h < 0;
		}
		break;
	}
	if (!span) {
		*named = 0;
		return 0;
	}
	/* within a span (五年来, a 过去五年 review): its end state, or now, has a year */
	if (says_now(t, m->sent_start, m->start))
		return mc->base;
	if (is_reached(t, m) && !is_from(t, m))
		return reviewed;
	return 0;
}

/* Whether b is the far end of a range that starts at a (6%-6.5%, 41.7%到86.7%), same unit. */
static int
is_range(const struct text *t, const struct metric *a, const struct metric *b)
{
	if (b->start != a->end + 1 || strcmp(a->unit, b->unit) != 0)
		return 0;
	uint32_t c = t->cp[a->end];
	return c == U'到' || c == U'至' || c == U'—' || c == U'－' || c == '-' || c == U'～' ||
	       c == '~';
}

/* Whether the title or the top of the text says this is a government work report. */
static int
is_work_report(const struct doc *doc)
{
	if (doc->title && strstr(doc->title, "政府工作报告"))
		return 1;
	const struct text *t = &doc->text;
	const struct text top = {t->cp, t->len < GENRE_HEAD ? t->len : GENRE_HEAD};
	int delegates = 0, on_behalf = 0;
	for (size_t i = 0; i < top.len; i++) {
		if (unit_word_at(&top, i, U"政府工作报告") ||
		    unit_word_at(&top, i, U"报告政府工作"))
			return 1;
		/* 各位代表：现在，我代表国务院，向…大会报告过去五年的工作 */
		delegates |= unit_word_at(&top, i, U"各位代表") != 0;
		on_behalf |= unit_word_at(&top, i, U"我代表") != 0;
	}
	return delegates && on_behalf;
}

/* The year of the first "dddd年" in [a, b), or 0. */
static int
first_year(const struct text *t, size_t a, size_t b)
{
	for (size_t i = a; i + 4 < b; i++) {
		if (t->cp[i + 4] != U'年' || (i > a && is_digit(t->cp[i - 1])))
			continue;
		int y = 0, ok = 1;
		for (size_t k = i; k < i + 4; k++)
			ok &= is_digit(t->cp[k]), y = y * 10 + digit_val(t->cp[k]);
		if (ok && y >= YEAR_MIN && y <= YEAR_MAX)
			return y;
	}
	return 0;
}

/*
 * Years written in [a, b) (not after 到 or 至, where they are goals): *mode
 * gets the most written (the later on a tie), and the result is the first
 * year after above, 0 when none.
 */
static int
years_in(const struct text *t, size_t a, size_t b, int above, int *mode)
{
	int count[YEAR_MAX - YEAR_MIN + 1] = {0}, after = 0, best = 0;

	for (size_t i = a; i + 4 < b; i++) {
		if (t->cp[i + 4] != U'年' || (i > a && is_digit(t->cp[i - 1])) ||
		    (i > a && (t->cp[i - 1] == U'到' || t->cp[i - 1] == U'至')))
			continue;
		int y = first_year(t, i, i + 5);
		if (y == 0)
			continue;
		int c = ++count[y - YEAR_MIN];
		if (c > best || (c == best && y > *mode)) {
			best = c;
			*mode = y;
		}
		if (y > above && (after == 0 || y < after))
			after = y;
	}
	return after;
}

/*
 * The year a work report was delivered in, the year it plans: its title's,
 * its date line's (——2024年3月5日在…会议上), its top headings' (2009年工作
 *回顾 → 2010, 2010年主要任务), else one after the latest year its first,
 * reviewing part names.
 */
static int
work_report_year(const struct doc *doc)
{
	const struct text *t = &doc->text;
	int y;

	if (doc->title && strstr(doc->title, "政府工作报告") && doc->report_year)
		return doc->report_year;
	size_t top = t->len < GENRE_HEAD ? t->len : GENRE_HEAD;
	for (size_t i = 0; i + 4 < top; i++) {
		if ((y = first_year(t, i, i + 5)) == 0)
			continue;
		size_t j = i + 5;
		while (j < top && (is_digit(t->cp[j]) || t->cp[j] == U'月' || t->cp[j] == U'日'))
			j++;
		if (j > i + 5 && unit_word_at(t, j, U"在"))
			return y;
	}
	size_t first = SIZE_MAX, second = t->len;
	for (size_t s = 0; s < doc->nsections; s++) {
		const struct section *sec = &doc->sections[s];
		if (sec->level != 1)
			continue;
		if (first == SIZE_MAX)
			first = s;
		else if (second == t->len)
			second = sec->start;
		size_t e = sec->start;
		while (e < t->len && e - sec->start < HEADING_MAX && t->cp[e] != U'。' &&
		       t->cp[e] != '\n')
			e++;
		if ((y = first_year(t, sec->start, e)) == 0)
			continue;
		const struct text h = {t->cp, e};
		int review = 0;
		for (size_t i = sec->start; i < e; i++)
			review |= unit_word_at(&h, i, U"回顾") != 0;
		return review ? y + 1 : y;
	}
	/* the year the first part reviews most, and the first later year the rest names */
	if (first != SIZE_MAX) {
		int mode = 0, next;
		size_t a = doc->sections[first].start, b = second;
		if (a > PREAMBLE_MAX)
			b = a, a = 0; /* a long text before the first heading is the review */
		years_in(t, a, b, YEAR_MAX, &mode);
		if (mode && (next = years_in(t, b, t->len, mode, &(int){0})) != 0)
			return next;
		if (mode)
			return mode + 1;
	}
	return doc->report_year ? doc->report_year + 1 : 0;
}

void
meaning_find(struct doc *doc)
{
	struct meaning mc = {.doc = doc, .t = &doc->text};

	if (doc->nmetrics == 0)
		return;
	mc.work_report = is_work_report(doc);
	mc.base = mc.work_report ? work_report_year(doc) : doc->report_year;
	if (doc->nsections) {
		mc.heading = xreallocarray(NULL, doc->nsections, sizeof(*mc.heading));
		mc.heading_done = xreallocarray(NULL, doc->nsections, 1);
		memset(mc.heading_done, 0, doc->nsections);
	}
	for (size_t i = 0; i < doc->nmetrics; i++) {
		struct metric *m = &doc->metrics[i];
		const struct metric *prev = NULL;
		if (i > 0 && doc->metrics[i - 1].sent_start == m->sent_start &&
		    doc->metrics[i - 1].end <= m->start)
			prev = &doc->metrics[i - 1];
		int sign, named;
		if (prev && is_range(&doc->text, prev, m)) {
			/* 提高41.7%到86.7%: the far end of a range means what the near end does */
			m->measure = prev->measure;
			m->target = prev->target;
			m->year = prev->year;
			if (prev->value < 0 && m->value > 0)
				m->value = -m->value;
			continue;
		}
		measure_set(&doc->text, m, prev, &sign);
		if (sign < 0 && m->value > 0)
			m->value = -m->value;
		int year = year_of(&mc, m, &named);
		m->target = target_of(&mc, m, year, named);
		if (!named && !is_former(&doc->text, m) && mc.base)
			/* a work report plans the year it is delivered in and reviews the one
			 * before */
			year = mc.work_report && !m->target ? mc.base - 1 : mc.base;
		m->year = year;
	}
	free(mc.heading);
	free(mc.heading_done);
}
