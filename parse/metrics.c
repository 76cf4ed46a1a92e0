/*
 * metrics.c - the quantities a report states, each with its value (万 and 亿
 * folded in), unit, qualifier, label, sentence and section (DESIGN.md,
 * "Parsed document").
 *
 * One pass over the text. At each number the rules look at the few code
 * points around it and decide whether it is a metric or a date, a year, an
 * ordinal, a document number, a list marker, a quoted slogan or a fixed
 * expression. Must never special-case a document or a sentence: rules are
 * about the shapes of numbers and the words next to them, units come from
 * parse/units.txt. Must stay linear in the text and never crash on junk.
 */
#include "metrics.h"
#include "textclass.h"
#include "buf.h"
#include "metrics_label.h"
#include "metrics_meaning.h"
#include "metrics_number.h"
#include "metrics_unit.h"
#include "words.h"
#include "sections.h"

#include <stdint.h>
#include <stdlib.h>

#define QUOTE_MAX 100	  /* a quotation longer than this is no slogan */
#define INHERIT_BACK 8	  /* metrics looked back at for a label to reuse */
#define BARE_MAX_DIGITS 6 /* a longer number without a unit is a code or a phone */
#define SENT_MAX 400	  /* a longer sentence (a line with no 。！？) is cut… */
#define SENT_CTX 100	  /* …to this many code points either side of the quantity */

static const struct word prefix_quals[] = {
    W(U"不超过"), W(U"不少于"), W(U"不低于"), W(U"不高于"), W(U"不到"), W(U"不足"),
    W(U"不超"),	  W(U"大约"),	W(U"将近"),   W(U"接近"),   W(U"超过"), W(U"至少"),
    W(U"约"),	  W(U"近"),	W(U"逾"),     W(U"超"),	    {NULL, 0}};
static const enum qualifier prefix_kinds[] = {
    QUAL_MAX,	 QUAL_MIN,    QUAL_MIN,	 QUAL_MAX, QUAL_MAX,	QUAL_MAX,    QUAL_MAX,	QUAL_APPROX,
    QUAL_APPROX, QUAL_APPROX, QUAL_OVER, QUAL_MIN, QUAL_APPROX, QUAL_APPROX, QUAL_OVER, QUAL_OVER};

_Static_assert(sizeof(prefix_kinds) / sizeof(prefix_kinds[0]) + 1 ==
		   sizeof(prefix_quals) / sizeof(prefix_quals[0]),
	       "one kind per prefix qualifier");

static const struct word postfix_quals[] = {W(U"左右"), W(U"以上"), W(U"以下"), W(U"以内"),
					    W(U"之内"), W(U"多"),   W(U"余"),	{NULL, 0}};
static const enum qualifier postfix_kinds[] = {QUAL_APPROX, QUAL_OVER, QUAL_MAX, QUAL_MAX,
					       QUAL_MAX,    QUAL_OVER, QUAL_OVER};
_Static_assert(sizeof(postfix_kinds) / sizeof(postfix_kinds[0]) + 1 ==
		   sizeof(postfix_quals) / sizeof(postfix_quals[0]),
	       "one kind per postfix qualifier");

/* The numeral of a set phrase (words_fixed_phrases) starts within this many code points of it. */
#define FIXED_LEAD 4

struct scan {
	struct doc *doc;
	const struct text *t;
	size_t cap;
	int *depth;	     /* per metric: bracket depth in its sentence */
	size_t sent_start;   /* of the sentence being scanned */
	int paren;	     /* bracket depth so far in that sentence */
	size_t quote_end;    /* numbers before this closing quote are quoted */
	int quoted;	     /* quote_end is set */
	uint32_t miss_close; /* the last search for this closer failed… */
	size_t miss_at;	     /* …having looked up to here */
	size_t prev_end;     /* end of the last metric */
	size_t stop_from;    /* sentence_end cache: no stop in [stop_from, stop_at) */
	size_t stop_at;
	size_t lead_for; /* sentence_lead cache: the sentence start it was asked for… */
	size_t lead_at;	 /* …and its first code point that is not a space */
};

static int
is_alpha(uint32_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_ideograph(uint32_t c)
{
	return c >= 0x4E00 && c <= 0x9FFF;
}

static int
is_sentence_stop(uint32_t c)
{
	return c == U'。' || c == U'！' || c == U'？' || c == '!' || c == '?' || c == '\n';
}

/* What may follow a number that has no unit for it to still be a quantity. */
static int
is_bare_follow(uint32_t c)
{
	return c == U'，' || c == U'。' || c == U'；' || c == U'！' || c == U'？' || c == ',' ||
	       c == ';' || c == '!' || c == '?';
}

static uint32_t
quote_closer(uint32_t c)
{
	switch (c) {
	case U'“':
		return U'”';
	case U'‘':
		return U'’';
	case U'「':
		return U'」';
	case U'『':
		return U'』';
	case U'《':
		return U'》';
	case U'〈':
		return U'〉';
	case '"':
		return '"';
	}
	return 0;
}

/*
 * A quotation opened at pos: numbers up to its closer are slogans or titles.
 * A search that failed is remembered, so that a run of openers that never
 * close costs one pass, not QUOTE_MAX per opener.
 */
static void
quote_find(struct scan *sc, size_t pos, uint32_t close)
{
	const struct text *t = sc->t;
	size_t j = pos + 1;

	if (close == sc->miss_close && pos < sc->miss_at) {
		if (sc->miss_at >= t->len || t->cp[sc->miss_at] == '\n')
			return; /* the line ends before any closer */
		j = sc->miss_at;
	}
	for (; j < t->len && j <= pos + QUOTE_MAX; j++) {
		if (t->cp[j] == '\n')
			break;
		if (t->cp[j] == close) {
			sc->quote_end = j;
			sc->quoted = 1;
			return;
		}
	}
	sc->miss_close = close;
	sc->miss_at = j;
}

/* End of the sentence that holds pos: after its 。！？, or at its line end. */
static size_t
sentence_end(struct scan *sc, size_t pos)
{
	const struct text *t = sc->t;

	if (pos < sc->stop_from || pos > sc->stop_at) {
		size_t i = pos;
		while (i < t->len && !is_sentence_stop(t->cp[i]))
			i++;
		sc->stop_from = pos;
		sc->stop_at = i;
	}
	if (sc->stop_at < t->len && t->cp[sc->stop_at] != '\n')
		return sc->stop_at + 1;
	return sc->stop_at;
}

/* First code point at or after from that is not a space, but at most pos. */
static size_t
sentence_lead(struct scan *sc, size_t from, size_t pos)
{
	const struct text *t = sc->t;

	/* cached per sentence: many metrics after a long run of spaces stay linear */
	if (sc->lead_for != from) {
		size_t i = from;
		while (i < t->len && text_is_space(t->cp[i]))
			i++;
		sc->lead_for = from;
		sc->lead_at = i;
	}
	return sc->lead_at < pos ? sc->lead_at : pos;
}

/* Numbers that are ordinals, rates, document numbers, codes or range ends by what precedes them. */
static int
refused_by_before(const struct text *t, size_t lead, const struct number *n)
{
	const uint32_t *cp = t->cp;

	if (lead == 0)
		return 0;
	uint32_t b = cp[lead - 1];
	uint32_t bb = lead >= 2 ? cp[lead - 2] : 0;
	if (b == U'第' || ((b == U'（' || b == '(') && bb == U'第'))
		return 1; /* 第三届, 第（一）项 */
	if (b == U'每')
		return 1; /* 每百户: the base of a rate */
	if (b == U'〔' || b == '[' || b == U'【' || b == U'［')
		return 1; /* 〔2019〕9号 */
	if (n->chinese)
		return 0;
	if (is_alpha(b) || b == '.' || b == U'．' || b == '@' || b == '/' || b == '\\' ||
	    b == '_' || b == '#' || b == '&' || b == '=' || b == ':' || b == '-' || b == '+' ||
	    b == U'×' || b == '*')
		return 1; /* H5, 163.com, 0591-2316, 11:01 */
	if ((b == U'—' || b == U'–' || b == U'～' || b == '~' || b == U'至' || b == U'到') &&
	    text_is_digit(bb))
		return 1; /* the far end of 2020—2025年 */
	return 0;
}

/* Numbers that are dates, ratios, codes or range starts by what follows them. */
static int
refused_by_after(const struct text *t, size_t pos)
{
	if (pos >= t->len)
		return 0;
	uint32_t c = t->cp[pos];
	if (is_alpha(c) || c == '@')
		return 1; /* 5G, 24336240@163.com */
	if (pos + 1 < t->len && text_is_digit(t->cp[pos + 1]) &&
	    (c == ':' || c == '/' || c == '-' || c == U'—' || c == U'–' || c == U'～' || c == '~' ||
	     c == U'×'))
		return 1; /* 27.0:28.5, 2020/12/18, 2020—2025 */
	return 0;
}

/* A unit at pos (after at most two spaces), with a second one after '/' (人/平方公里). */
static size_t
unit_at(const struct text *t, size_t pos, size_t *ustart, unsigned *flags)
{
	size_t u = pos, len;

	for (int k = 0; k < 2 && u < t->len && text_is_space(t->cp[u]); k++)
		u++;
	if ((len = unit_match(t, u, flags)) == 0)
		return 0;
	unsigned f2;
	size_t len2;
	if (u + len + 1 < t->len && t->cp[u + len] == '/' &&
	    ((len2 = unit_match(t, u + len + 1, &f2)) != 0 ||
	     (len2 = unit_words_at(t, u + len + 1, words_per_time, NULL)) != 0))
		len += 1 + len2;
	*ustart = u;
	return len;
}

/* 增长39.4和56.5%: a bare number takes the unit of the next in its list. */
static size_t
borrowed_unit(const struct text *t, size_t pos, size_t *ustart, unsigned *flags)
{
	struct number m;
	size_t j = pos + 1;

	if (pos >= t->len || (t->cp[pos] != U'和' && t->cp[pos] != U'与' && t->cp[pos] != U'及' &&
			      t->cp[pos] != U'、'))
		return 0;
	if (j >= t->len || !text_is_digit(t->cp[j]) || number_parse(t, j, &m) < 0 || m.scaled)
		return 0;
	if (refused_by_after(t, m.end))
		return 0;
	return unit_at(t, m.end, ustart, flags);
}

/* A capacity unit followed by the facility it rates: 1.2万吨应急水厂. */
static int
rates_facility(const struct text *t, size_t pos)
{
	for (size_t i = pos; i < t->len && i < pos + 8; i++) {
		uint32_t c = t->cp[i];
		if (text_is_digit(c) || is_sentence_stop(c) || c == U'，' || c == U'、' ||
		    c == U'；' || c == U'“' || c == U'（')
			return 0;
		if (unit_word_at(t, i, U"厂房"))
			return 0;
		if (unit_words_at(t, i, words_facilities, NULL))
			return 1;
	}
	return 0;
}

static void
metric_push(struct scan *sc, const struct metric *m)
{
	struct doc *doc = sc->doc;

	if (doc->nmetrics == sc->cap) {
		sc->cap = sc->cap ? sc->cap * 2 : 64;
		doc->metrics = xreallocarray(doc->metrics, sc->cap, sizeof(*doc->metrics));
		sc->depth = xreallocarray(sc->depth, sc->cap, sizeof(*sc->depth));
	}
	sc->depth[doc->nmetrics] = sc->paren;
	doc->metrics[doc->nmetrics++] = *m;
}

/* The label of the nearest earlier metric of the sentence not inside a closed bracket. */
static const char *
inherited_label(const struct scan *sc, size_t sent_start)
{
	const struct doc *doc = sc->doc;

	for (size_t k = doc->nmetrics, seen = 0; k > 0 && seen < INHERIT_BACK; k--, seen++) {
		const struct metric *p = &doc->metrics[k - 1];
		if (p->sent_start != sent_start)
			break;
		if (sc->depth[k - 1] <= sc->paren && p->label[0] != '\0')
			return p->label;
	}
	return NULL;
}

/* Whether a fixed phrase covers the numeral at pos. */
static int
in_fixed_phrase(const struct text *t, size_t pos)
{
	for (size_t k = 0; k <= FIXED_LEAD && k <= pos; k++)
		if (unit_words_at(t, pos - k, words_fixed_phrases, NULL) > k)
			return 1;
	return 0;
}

/* 七届全国人大五次会议: N次 + a session word, with 届 shortly before in its clause. */
static int
is_session(const struct text *t, size_t pos, size_t ustart, size_t uend)
{
	if (uend != ustart + 1 || t->cp[ustart] != U'次' ||
	    !unit_words_at(t, uend, words_sessions, NULL))
		return 0;
	for (size_t i = pos, k = 0; i > 0 && k < 12; i--, k++) {
		uint32_t c = t->cp[i - 1];
		if (c == U'届')
			return 1;
		if (c == U'，' || c == U'。' || c == U'；' || c == '\n')
			break;
	}
	return 0;
}

/* Try the number at pos; returns where scanning resumes, always past pos. */
static size_t
scan_number(struct scan *sc, size_t pos)
{
	const struct text *t = sc->t;
	const uint32_t *cp = t->cp;
	struct number n;
	int pct = 0;

	if (unit_word_at(t, pos, U"百分之") || unit_word_at(t, pos, U"千分之")) {
		if (pos + 3 >= t->len || !number_starts(cp[pos + 3]))
			return pos + 1;
		pct = 1;
		if (number_parse(t, pos + 3, &n) < 0)
			return n.run_end;
	} else if (number_parse(t, pos, &n) < 0) {
		return n.run_end;
	}
	size_t resume = n.run_end;
	if (sc->quoted && pos < sc->quote_end)
		return resume; /* “四个自信”, “12.4” */
	if (refused_by_before(t, pos, &n) || (!n.chinese && refused_by_after(t, n.end)))
		return resume;

	size_t ustart = n.end, ulen = 0;
	unsigned uflags = 0;
	if (!pct) {
		ulen = unit_at(t, n.end, &ustart, &uflags);
		if (ulen && n.chinese && (uflags & UNIT_ARABIC))
			ulen = 0;
	}
	if (n.chinese && !pct) {
		/* 一 is an article (一项重要工作), 二 makes compounds (二次开发) */
		if (!ulen || (n.bare_one && !(uflags & UNIT_ONE)) || n.bare_two)
			return resume;
		if (in_fixed_phrase(t, pos) || is_session(t, pos, ustart, ustart + ulen))
			return resume;
	}
	int bare = !pct && !ulen && !n.scaled, borrowed = 0;
	if (bare && (ulen = borrowed_unit(t, n.end, &ustart, &uflags)) != 0) {
		bare = 0;
		borrowed = 1;
	} else if (!ulen) {
		ustart = n.end;
	}
	/* a borrowed unit belongs to the next number's text, not to this one */
	size_t uend = ulen && !borrowed ? ustart + ulen : n.end;
	if (ulen && !borrowed && (uflags & UNIT_SPEC) && rates_facility(t, uend))
		return resume;

	enum qualifier q = QUAL_NONE;
	int which = 0;
	size_t qlen = unit_words_before(t, pos, prefix_quals, &which);
	if (qlen && unit_words_before(t, pos, words_not_quals, NULL) > qlen)
		qlen = 0;
	if (qlen)
		q = prefix_kinds[which];
	else if (n.over)
		q = QUAL_OVER;
	size_t qstart = pos - qlen;
	size_t end = uend;
	size_t plen = unit_words_at(t, end, postfix_quals, &which);
	/* 增长2倍多。 but 5个多功能…: there the 多 starts the next word */
	if (plen && (cp[end] == U'多' || cp[end] == U'余') && end + plen < t->len &&
	    is_ideograph(cp[end + plen]))
		plen = 0;
	if (plen) {
		if (q == QUAL_NONE)
			q = postfix_kinds[which];
		end += plen;
	}

	if (bare) {
		size_t a = end;
		while (a < t->len && text_is_space(t->cp[a]))
			a++;
		if (a >= t->len || !is_bare_follow(t->cp[a]) || qstart == 0 ||
		    !is_ideograph(cp[qstart - 1]) || n.leading_zero ||
		    n.int_digits > BARE_MAX_DIGITS ||
		    (!n.decimal && n.int_digits == 4 && n.value >= 1900 && n.value <= 2100))
			return resume;
	}

	struct metric m = {0};
	m.value = n.value;
	m.qualifier = q;
	m.start = qstart;
	m.end = end;
	m.sent_start = sentence_lead(sc, sc->sent_start, qstart);
	m.sent_end = sentence_end(sc, end);
	m.section = sections_at(sc->doc, qstart);
	if (pct)
		m.unit = xstrdup(cp[pos] == U'百' ? "%" : "‰");
	else
		m.unit = ulen ? text_utf8(t, ustart, ustart + ulen) : xstrdup("");

	enum label_kind kind = LABEL_NOUNIT;
	if (pct || (ulen && !(uflags & UNIT_CL)))
		kind = LABEL_MEASURE;
	else if (ulen)
		kind = LABEL_CLASSIFIER;
	size_t lo = sc->prev_end > m.sent_start ? sc->prev_end : m.sent_start;
	int inherit;
	size_t used_end;
	m.label = label_find(t, lo, qstart, end, kind, &inherit, &used_end);
	const char *prev;
	if (inherit && (prev = inherited_label(sc, m.sent_start)) != NULL) {
		free(m.label);
		m.label = xstrdup(prev);
	}
	metric_push(sc, &m);
	sc->prev_end = used_end;
	return end > resume ? end : resume;
}

/*
 * Every metric carries its sentence in the JSON, so a line with no 。！？ and
 * many numbers would make the output quadratic in the text: cut such long
 * sentences to SENT_CTX code points either side of the quantity.
 */
static void
sentences_cut(struct doc *doc)
{
	size_t cut = 0;

	for (size_t i = 0; i < doc->nmetrics; i++) {
		struct metric *m = &doc->metrics[i];
		if (m->sent_end - m->sent_start <= SENT_MAX)
			continue;
		if (m->start - m->sent_start > SENT_CTX)
			m->sent_start = m->start - SENT_CTX;
		if (m->sent_end - m->end > SENT_CTX)
			m->sent_end = m->end + SENT_CTX;
		cut++;
	}
	if (cut)
		doc_warn(doc,
			 "%zu metric sentence%s longer than %d characters cut to %d either side",
			 cut, cut == 1 ? "" : "s", SENT_MAX, SENT_CTX);
}

size_t
metrics_find(struct doc *doc)
{
	const struct text *t = &doc->text;
	struct scan sc = {.doc = doc, .t = t, .stop_from = 1, .stop_at = 0, .lead_for = SIZE_MAX};
	size_t i = 0;

	while (i < t->len) {
		uint32_t c = t->cp[i];
		if (number_starts(c)) {
			i = scan_number(&sc, i);
			continue;
		}
		if (is_ideograph(c)) { /* the common case: nothing to track */
			i++;
			continue;
		}
		if (is_sentence_stop(c)) {
			sc.sent_start = i + 1;
			sc.paren = 0;
		} else if (c == U'（' || c == '(') {
			sc.paren++;
		} else if ((c == U'）' || c == ')') && sc.paren > 0) {
			sc.paren--;
		}
		uint32_t close = quote_closer(c);
		if (close && !(sc.quoted && i <= sc.quote_end))
			quote_find(&sc, i, close);
		i++;
	}
	free(sc.depth);
	label_lists(doc);
	label_owners(doc);
	label_parts(doc);
	label_verbs(doc);
	label_bases(doc);
	label_modifiers(doc);
	label_collisions(doc);
	meaning_find(doc);
	sentences_cut(doc);
	return doc->nmetrics;
}
