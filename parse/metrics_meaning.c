/*
 * metrics_meaning.c - what each metric means (shared/DESIGN.md, "What a
 * figure means"): its measure (level, change, growth or share), the sign of
 * a change and whether it is stated as a goal; its year comes from
 * metrics_year.c.
 *
 * A pass over doc->metrics after the scan. Each metric looks at a bounded
 * window of its own sentence, so the pass stays linear in the text. Must
 * never special-case a document: the word lists are grammar (verbs of
 * change, words of a plan), not topics.
 */
#include "metrics_meaning.h"
#include "textclass.h"
#include "metrics_unit.h"
#include "words.h"
#include "metrics_year.h"
#include "buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Whether a list word (、 和 及 与 以及) and spaces are all of [a, b): the next item of a list. */
static int
only_list_join(const struct text *t, size_t a, size_t b)
{
	if (a >= b)
		return 0;
	for (size_t i = a; i < b; i++) {
		uint32_t c = t->cp[i];
		if (text_is_space(c) || c == U'、' || c == U'和' || c == U'及' || c == U'与' ||
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

	while (pos > lo && text_is_space(t->cp[pos - 1]))
		pos--;
	if (pos > lo && (n = unit_words_before(t, pos, words_verb_tails, NULL)) && pos - n >= lo)
		pos -= n;
	while (pos > lo && text_is_space(t->cp[pos - 1]))
		pos--;
	const struct text in = {t->cp, pos};
	size_t r = unit_words_before(&in, pos, words_rise_verbs, NULL);
	size_t f = unit_words_before(&in, pos, words_fall_verbs, NULL);
	if (r && pos - r >= lo && r >= f)
		return 1;
	if (f && pos - f >= lo) {
		if (f > 1)
			return -1;
		/* a bare 降 or 减 is a verb after 比, 同比, 分别 or a clause break (压减 is not) */
		uint32_t b = pos - 1 > lo ? t->cp[pos - 2] : U'，';
		if (b == U'比' || b == U'别' || b == U'年' || b == U'期' || b == U'均' ||
		    text_is_clause_break(b))
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

static int
is_pct(const char *unit)
{
	return strcmp(unit, "%") == 0 || strcmp(unit, "‰") == 0;
}

/* Whether the clause [a, pos) names a ratio right before the number, or a rate per (每百户). */
static int
ratio_before(const struct text *t, size_t a, size_t pos)
{
	size_t n;

	while (pos > a && text_is_space(t->cp[pos - 1]))
		pos--;
	if ((n = unit_words_before(t, pos, words_ratio_tails, NULL)) && pos - n >= a)
		pos -= n;
	if ((n = unit_words_before(t, pos, words_ratio_ends, NULL)) && pos - n > a &&
	    !unit_words_before(t, pos, words_not_ratios, NULL))
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
	size_t a = text_clause_start(t->cp, lo, m->start);
	if (prev && prev->measure == MEASURE_LEVEL && strcmp(prev->unit, m->unit) == 0 &&
	    !unit_words_in(t, prev->end, m->start, words_semicolons, NULL) &&
	    unit_words_in(t, a, m->start, words_net_adds, NULL)) {
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
	if (unit_words_in(t, a, m->start, words_growth_nouns, &which) &&
	    !unit_words_in(t, a, m->start, words_growth_rates, NULL)) {
		m->measure = MEASURE_GROWTH;
		if (words_growth_nouns[which].text[0] == U'降' ||
		    words_growth_nouns[which].text[0] == U'跌' ||
		    words_growth_nouns[which].text[0] == U'下')
			*sign = -1;
		return;
	}
	m->measure = MEASURE_SHARE;
}

/* Whether a word of list (words_plan_words, words_goal_words) in [a, b) governs what follows it. */
static int
plan_in(const struct text *t, size_t a, size_t b, const struct word *list)
{
	const struct text in = {t->cp, b};
	struct word_filter f;
	unit_filter_init(&f);
	unit_filter_add(&f, list);
	for (size_t i = a; i < b; i++) {
		if (!unit_filter_may(&f, t->cp[i]) || unit_words_at(&in, i, list, NULL) == 0)
			continue;
		if (i > 0 && (t->cp[i - 1] == U'“' || t->cp[i - 1] == U'个'))
			continue; /* “两个确保”: a name */
		if (unit_words_at(t, i, words_plan_not_after, NULL) ||
		    unit_words_before(t, i, words_plan_not_before, NULL))
			continue;
		return 1;
	}
	return 0;
}

/* Whether m is stated as a goal, a plan or a limit. */
static int
target_of(const struct year_ctx *mc, const struct metric *m, int year, int named)
{
	const struct text *t = mc->t;
	size_t a = text_clause_start(t->cp, m->sent_start, m->start);

	if (unit_words_in(t, a, m->start, words_forecasts, NULL))
		return 0; /* 预计今年高校毕业生超过1170万人 */
	/*
	 * A work report's figure of a year before the one it plans is a result
	 * (过去一年…居民消费价格涨幅控制在3.3%), unless it names that year's goal.
	 */
	if (named && mc->work_report && mc->base && year > 0 && year < mc->base)
		return plan_in(t, a, m->start, words_goal_words) ||
		       (unit_words_in(t, a, m->start, words_proposals, NULL) &&
			plan_in(t, a, m->start, words_plan_words));
	if (plan_in(t, a, m->start, words_plan_words))
		return 1;
	/* 主要预期目标是：…；…: a list of goals after 目标 runs to the sentence's end */
	for (size_t i = m->sent_start; i + 2 < a; i++) {
		if (t->cp[i] == U'目' && t->cp[i + 1] == U'标' &&
		    (t->cp[i + 2] == U'是' || t->cp[i + 2] == U'为' || t->cp[i + 2] == U'：') &&
		    !unit_words_before(t, i, words_plan_not_before, NULL))
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
	if (named && mc->work_report && mc->base && year == mc->base && !mc->now &&
	    !year_says_now(t, a, m->start) && !year_is_from(t, m))
		return 1;
	return 0;
}

/* Whether b is where a from-value a went (由45.9%提高到52.6%): same unit and clause, 到 before b.
 */
static int
is_to_value(const struct text *t, const struct metric *a, const struct metric *b)
{
	if (strcmp(a->unit, b->unit) != 0 || b->start == 0 ||
	    (t->cp[b->start - 1] != U'到' && t->cp[b->start - 1] != U'至'))
		return 0;
	for (size_t i = a->end; i < b->start; i++)
		if (text_is_clause_break(t->cp[i]))
			return 0;
	return 1;
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

void
meaning_find(struct doc *doc)
{
	struct year_ctx mc;

	if (doc->nmetrics == 0)
		return;
	year_init(&mc, doc);
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
		if (prev && is_to_value(&doc->text, prev, m) && prev->measure != MEASURE_CHANGE) {
			/* 增长速度由原定6%调高到8%: where a figure went means what it came from */
			m->measure = prev->measure;
			sign = 1;
		}
		if (sign < 0 && m->value > 0)
			m->value = -m->value;
		int year = year_of(&mc, m, &named);
		m->target = target_of(&mc, m, year, named);
		if (!named && !year_is_former(&doc->text, m) && mc.base)
			/* a work report plans the year it is delivered in and reviews the one
			 * before */
			year = mc.work_report && !m->target ? mc.base - 1 : mc.base;
		m->year = year;
	}
	year_release(&mc);
}
