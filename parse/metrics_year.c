/*
 * metrics_year.c - the year each metric is about (shared/DESIGN.md, "What a
 * figure means"): the nearest time written before it in its sentence (2012年,
 * 去年, 现在), else the time its paragraph opens with, else its nearest
 * heading's; spans (五年来, 年均, “十四五”时期) have none. Also tells a work
 * report (政府工作报告) and the year it plans, which 今年 and its targets mean.
 *
 * Each metric looks back at most TIME_BACK code points and each heading is
 * read once, so the pass stays linear. Must never special-case a document:
 * the word lists are the grammar of time, not topics.
 */
#include "metrics_year.h"
#include "textclass.h"
#include "metrics_unit.h"
#include "words.h"
#include "buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TIME_BACK 200	  /* code points of the sentence looked back at for a time */
#define HEADING_MAX 60	  /* code points of a heading looked at for a time */
#define TOPIC_MAX 12	  /* code points at a paragraph's start where its year may stand */
#define GENRE_HEAD 600	  /* code points at the top where a work report names itself */
#define PREAMBLE_MAX 1000 /* a work report's address before its first heading is shorter */
#define YEAR_MIN 1900
#define YEAR_MAX 2100

/* Relative years: offsets from the year a report covers (or, in a work report, plans). */
static const struct word rel_years[] = {W(U"今年"), W(U"本年"), W(U"去年"), W(U"上年"),
					W(U"明年"), W(U"前年"), {NULL, 0}};
static const int rel_offsets[] = {0, 0, -1, -1, 1, -2};

enum time_kind { TIME_NONE, TIME_YEAR, TIME_SPAN, TIME_RATE /* 年均: a rate over a span */ };

static int
is_sentence_end(uint32_t c)
{
	return c == U'。' || c == U'！' || c == U'？';
}

static int
digit_val(uint32_t c)
{
	return c <= '9' ? (int)(c - '0') : (int)(c - 0xFF10);
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

/*
 * The time expression that ends at cp[j] (j is at 年, 来 or 五), scanning
 * back not before lo: a year in *year, a span, or none (also for a year that
 * is only the base of a comparison).
 */
static enum time_kind
time_at(const struct year_ctx *yc, size_t lo, size_t j, int *year)
{
	const struct text *t = yc->t;
	const uint32_t *cp = t->cp;
	uint32_t c = cp[j];
	uint32_t next = j + 1 < t->len ? cp[j + 1] : 0;
	int which;

	if (c == U'五') {
		/* “十四五”, 十三五时期 */
		if (j >= lo + 1 && (cp[j - 1] == U'十' || (j >= lo + 2 && cp[j - 2] == U'十')) &&
		    unit_words_at(t, j + 1, words_plan_periods, NULL))
			return TIME_SPAN;
		return TIME_NONE;
	}
	if (c == U'在' || c == U'有' || c == U'前') {
		/* 现在, 现有, 目前: the year the report is delivered in */
		uint32_t b = j > lo ? cp[j - 1] : 0;
		if (((c == U'在' || c == U'有') && b == U'现') || (c == U'前' && b == U'目')) {
			*year = yc->base;
			return yc->base ? TIME_YEAR : TIME_NONE;
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
				*year = yc->base;
				return TIME_YEAR;
			}
			return TIME_SPAN;
		}
		if (cp[j - 1] == U'年' && j >= lo + 2 &&
		    (is_cn_count(cp[j - 2]) || text_is_any_digit(cp[j - 2]))) {
			if (cp[j - 2] == U'一' && (j < lo + 3 || !is_cn_count(cp[j - 3]))) {
				/* 一年来: the year reviewed */
				*year = yc->work_report && yc->base ? yc->base - 1 : yc->base;
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
		    unit_words_at(t, j + 1, words_rate_verbs, NULL))
			return TIME_RATE;
		return TIME_NONE;
	}
	if (next == U'代')
		return TIME_NONE;
	size_t k = j;
	while (k > lo && text_is_any_digit(cp[k - 1]) && j - k < 5)
		k--;
	if (j - k == 4) {
		int y = 0;
		for (size_t i = k; i < j; i++)
			y = y * 10 + digit_val(cp[i]);
		if (y < YEAR_MIN || y > YEAR_MAX)
			return TIME_NONE;
		if (unit_words_before(t, k, words_baselines, NULL))
			return TIME_NONE; /* 比2010年增长 */
		if (k >= lo + 2 && text_is_any_digit(cp[k - 2]) &&
		    (cp[k - 1] == U'—' || cp[k - 1] == U'–' || cp[k - 1] == '-' ||
		     cp[k - 1] == U'～' || cp[k - 1] == '~'))
			return TIME_SPAN; /* 2020—2025年 */
		if (k >= lo + 2 && (cp[k - 1] == U'至' || cp[k - 1] == U'到') &&
		    cp[k - 2] == U'年' && k >= 3 && text_is_any_digit(cp[k - 3]))
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
			*year = yc->work_report && yc->base ? yc->base - 1 : yc->base;
			return *year ? TIME_YEAR : TIME_NONE;
		}
		if (unit_words_before(t, n, words_span_leads, NULL) || next == U'来' ||
		    next == U'间' || next == U'里' || next == U'内' || next == U'中' ||
		    unit_words_at(t, j + 1, words_span_totals, NULL))
			return TIME_SPAN; /* 过去五年, 五年来, 五年共计 */
		return TIME_NONE;
	}
	size_t n = unit_words_before(t, j + 1, rel_years, &which);
	if (n == 2 && j + 1 >= lo + 2) {
		if (unit_words_before(t, j - 1, words_baselines, NULL))
			return TIME_NONE; /* 比上年, 同去年 */
		if (!yc->base)
			return TIME_NONE;
		*year = yc->base + rel_offsets[which];
		return TIME_YEAR;
	}
	return TIME_NONE;
}

/* Whether c can end a time expression (年, 以来, 十四五, 现在, 现有, 目前). */
static int
is_time_end(uint32_t c)
{
	return c == U'年' || c == U'来' || c == U'五' || c == U'在' || c == U'有' || c == U'前';
}

/* The nearest time expression in [lo, pos), scanning back. */
static enum time_kind
time_before(const struct year_ctx *yc, size_t lo, size_t pos, int *year)
{
	const uint32_t *cp = yc->t->cp;

	if (pos - lo > TIME_BACK)
		lo = pos - TIME_BACK;
	for (size_t j = pos; j > lo; j--) {
		uint32_t c = cp[j - 1];
		if (!is_time_end(c))
			continue;
		enum time_kind k = time_at(yc, lo, j - 1, year);
		if (k == TIME_RATE && text_any(yc->t->cp, j, pos, text_is_clause_break))
			k = TIME_SPAN; /* 平均每年增加…；外汇储备增加到…: the rate was another
					  clause's */
		if (k != TIME_NONE)
			return k;
	}
	return TIME_NONE;
}

/* The time a section's heading names: a year, -1 for a span, 0 for none. */
static int
heading_time(struct year_ctx *yc, int s)
{
	if (yc->heading_done[s])
		return yc->heading[s];
	const struct section *sec = &yc->doc->sections[s];
	const struct text *t = yc->t;
	size_t e = sec->start;
	while (e < t->len && e - sec->start < HEADING_MAX && t->cp[e] != U'。' && t->cp[e] != '\n')
		e++;
	/* the first time it names: 2025年工作回顾和“十四五”发展主要成绩 is about 2025 */
	int year = 0;
	enum time_kind k = TIME_NONE;
	for (size_t j = sec->start; j < e && k == TIME_NONE; j++)
		if (is_time_end(t->cp[j]))
			k = time_at(yc, sec->start, j, &year);
	yc->heading[s] = k == TIME_YEAR ? year : k == TIME_NONE ? 0 : -1;
	yc->heading_done[s] = 1;
	return yc->heading[s];
}

/* Whether the text before the number says it was the state before (由原15个工作日). */
int
year_is_former(const struct text *t, const struct metric *m)
{
	return m->start > 0 && t->cp[m->start - 1] == U'原';
}

/* Whether the sentence at s (before pos) opens with word, after spaces. */
static int
opens_with(const struct text *t, size_t s, size_t pos, const char32_t *word)
{
	while (s < pos && text_is_space(t->cp[s]))
		s++;
	return s < pos && unit_word_at(t, s, word);
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
	for (size_t i = m->start; i > m->sent_start && m->start - i < TEXT_CLAUSE_BACK; i--) {
		if (text_is_clause_break(t->cp[i - 1]))
			break;
		if (t->cp[i - 1] == U'已')
			return 1;
	}
	return 0;
}

/* Whether the number is where a change started (从26.6万亿元增加到…, 由原…). */
int
year_is_from(const struct text *t, const struct metric *m)
{
	size_t s = m->start;
	for (size_t k = 0; k < 12 && s > m->sent_start; k++, s--) {
		uint32_t c = t->cp[s - 1];
		if (text_is_clause_break(c) || text_is_any_digit(c) || c == U'到' || c == U'至')
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
			ok &= text_is_any_digit(t->cp[k]), y = y * 10 + digit_val(t->cp[k]);
		if (ok && y >= YEAR_MIN && y <= YEAR_MAX)
			return y;
	}
	return 0;
}

/* Whether the clause before pos says "now" (现在, 现有, 目前). */
int
year_says_now(const struct text *t, size_t lo, size_t pos)
{
	static const struct word now[] = {W(U"现在"), W(U"现有"), W(U"目前"), {NULL, 0}};
	return unit_words_in(t, text_clause_start(t->cp, lo, pos), pos, now, NULL);
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
 * The time the paragraph holding pos opens with, before pos (刚刚过去的2017年，
 * …。国内生产总值增长6.9%; 五年来，…): only a time that is its first clause.
 * A later sentence that opens with a time and states no figure is the topic
 * of what follows, and its time replaces the paragraph's (2011年，是…之年。过去
 * 一年，我们…取得了很大成绩。国内生产总值增长10.3%: 2010). A sentence with
 * figures (1998年，…减少到29个。2001年，又撤销了9个…) or a deadline (到明年底，
 * …) speaks only for itself.
 */
static enum time_kind
paragraph_time(const struct year_ctx *yc, size_t pos, int *year, int *now)
{
	const struct text *t = yc->t;
	enum time_kind kind = TIME_NONE;
	size_t p = paragraph_start(t, pos);

	for (size_t s = p; s < pos;) {
		size_t q = s, e = s;
		while (q < pos && q - s < TOPIC_MAX && !text_is_clause_break(t->cp[q]))
			q++;
		while (e < pos && !is_sentence_end(t->cp[e]))
			e++;
		size_t lead = s;
		while (lead < q && text_is_space(t->cp[lead]))
			lead++;
		int topic = s == p || (!text_any(t->cp, s, e, text_is_any_digit) && lead < q &&
				       t->cp[lead] != U'到' && t->cp[lead] != U'至');
		int y = 0;
		enum time_kind k;
		if (topic && q < pos && t->cp[q] == U'，' &&
		    (k = time_before(yc, s, q, &y)) != TIME_NONE) {
			kind = k;
			*year = y;
			*now = year_says_now(t, s, q);
		}
		s = e + 1;
	}
	return kind;
}

/*
 * The base year a change or growth is measured from in its clause (与2000年
 * 相比, 比2010年, 较2015年), or 0. Looked for from the sentence's start or its
 * last ；, so that a base named for one list of figures does not reach the next.
 */
static int
base_year(const struct text *t, size_t lo, size_t pos)
{
	int base = 0;
	for (size_t i = lo; i < pos; i++) {
		if (t->cp[i] == U'；') {
			base = 0;
			continue;
		}
		if (i + 4 >= pos || t->cp[i + 4] != U'年' ||
		    !unit_words_before(t, i, words_baselines, NULL))
			continue;
		int y = 0, digits = 1;
		for (size_t k = i; k < i + 4 && digits; k++) {
			digits = text_is_any_digit(t->cp[k]);
			y = y * 10 + (int)digit_val(t->cp[k]);
		}
		if (digits && y >= YEAR_MIN && y <= YEAR_MAX)
			base = y;
	}
	return base;
}

/*
 * The year m is about, 0 for a span or unknown; *named is cleared when
 * neither its sentence nor its headings tell, and the caller falls back to
 * the year the report covers.
 */
int
year_of(struct year_ctx *yc, const struct metric *m, int *named)
{
	const struct text *t = yc->t;
	int year = 0, span = 0;
	int reviewed = yc->work_report && yc->base ? yc->base - 1 : yc->base;

	*named = 1;
	yc->now = 0;
	if (year_is_former(t, m))
		return 0;
	switch (time_before(yc, m->sent_start, m->start, &year)) {
	case TIME_YEAR:
		if (m->measure == MEASURE_GROWTH || m->measure == MEASURE_CHANGE) {
			/* 2005年与2000年相比，国内生产总值增长57.3%: over five years, a span */
			int base = base_year(t, m->sent_start, m->start);
			if (base && year - base > 1)
				return 0;
		}
		if (year_is_from(t, m)) {
			int from = from_year(t, m->sent_start, m->start);
			if (from)
				return from; /* 从1997年的A增加到2002年的B，C从x增加到y: x is 1997's
					      */
			if (yc->work_report && year == yc->base)
				return year - 1; /* 今年…由240元提高到280元: 240 is now */
		}
		return year;
	case TIME_RATE:
		return 0;
	case TIME_SPAN:
		span = 1;
		break;
	case TIME_NONE:
		/* 到2020年，…。届时，经济总量超过90万亿元: the time just named */
		if (opens_with(t, m->sent_start, m->start, U"届时") &&
		    time_before(yc, paragraph_start(t, m->sent_start), m->sent_start, &year) ==
			TIME_YEAR)
			return year;
		switch (paragraph_time(yc, m->sent_start, &year, &yc->now)) {
		case TIME_YEAR:
			return year;
		case TIME_NONE:
			break;
		default:
			span = 1;
		}
		for (int s = m->section; s >= 0 && !span; s = yc->doc->sections[s].parent) {
			int h = heading_time(yc, s);
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
	if (year_says_now(t, m->sent_start, m->start))
		return yc->base;
	if (is_reached(t, m) && !year_is_from(t, m))
		return reviewed;
	return 0;
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
		if (t->cp[i + 4] != U'年' || (i > a && text_is_any_digit(t->cp[i - 1])))
			continue;
		int y = 0, ok = 1;
		for (size_t k = i; k < i + 4; k++)
			ok &= text_is_any_digit(t->cp[k]), y = y * 10 + digit_val(t->cp[k]);
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
		if (t->cp[i + 4] != U'年' || (i > a && text_is_any_digit(t->cp[i - 1])) ||
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
		while (j < top &&
		       (text_is_any_digit(t->cp[j]) || t->cp[j] == U'月' || t->cp[j] == U'日'))
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
year_init(struct year_ctx *yc, struct doc *doc)
{
	memset(yc, 0, sizeof(*yc));
	yc->doc = doc;
	yc->t = &doc->text;
	yc->work_report = is_work_report(doc);
	yc->base = yc->work_report ? work_report_year(doc) : doc->report_year;
	if (doc->nsections) {
		yc->heading = xreallocarray(NULL, doc->nsections, sizeof(*yc->heading));
		yc->heading_done = xreallocarray(NULL, doc->nsections, 1);
		memset(yc->heading_done, 0, doc->nsections);
	}
}

void
year_release(struct year_ctx *yc)
{
	free(yc->heading);
	free(yc->heading_done);
	yc->heading = NULL;
	yc->heading_done = NULL;
}
