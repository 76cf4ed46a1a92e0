/*
 * metrics_label.c - the phrase in a quantity's clause that says what was
 * counted: the noun after a classifier (359名律师), else the phrase before
 * the number (审结知识产权案件145件), else a hint to reuse the previous label
 * (…增长18.1%，比上年增长13.1%).
 *
 * Looks at most a couple of dozen code points either side, so it stays
 * linear however long a clause is. Must never special-case a document: the
 * word lists it uses (parse/words.txt) are grammar (fillers, predicates,
 * particles), not topics.
 */
#include "metrics_label.h"
#include "textclass.h"
#include "metrics_unit.h"
#include "words.h"
#include "buf.h"
#include "cn_numeral.h"

#include <stdlib.h>
#include <string.h>

#define BEFORE_MAX 24	 /* code points of the phrase before the number */
#define AFTER_MAX 16	 /* code points of the noun after the unit */
#define FRAME_VERB_MAX 4 /* the longest result verb */

static int
is_clause_break(uint32_t c)
{
	switch (c) {
	case U'，':
	case U'。':
	case U'；':
	case U'：':
	case U'、':
	case U'！':
	case U'？':
	case ',':
	case ';':
	case ':':
	case '!':
	case '?':
	case '\n':
	case '\t':
		return 1;
	}
	return 0;
}

static int
is_opener(uint32_t c)
{
	switch (c) {
	case U'（':
	case '(':
	case U'“':
	case U'‘':
	case U'《':
	case U'〈':
	case U'「':
	case U'『':
	case '[':
	case U'【':
		return 1;
	}
	return 0;
}

/* Punctuation a label may not start with (closers) or end with (openers, commas…). */
static int
is_punct(uint32_t c)
{
	if (c < 0x80)
		return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) ||
		       (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E);
	return (c >= 0x3000 && c <= 0x303F) || (c >= 0xFF01 && c <= 0xFF0F) ||
	       (c >= 0xFF1A && c <= 0xFF20) || (c >= 0xFF3B && c <= 0xFF40) ||
	       (c >= 0xFF5B && c <= 0xFF65) || (c >= 0x2010 && c <= 0x2027);
}

static int
is_closer(uint32_t c)
{
	switch (c) {
	case U'）':
	case ')':
	case U'”':
	case U'’':
	case U'》':
	case U'〉':
	case U'」':
	case U'』':
	case ']':
	case U'】':
		return 1;
	}
	return 0;
}

/* Trim [*a, *b): spaces and stray punctuation, the words that only introduce a number. */
static void
trim_before(const struct text *t, size_t *a, size_t *b)
{
	size_t n, k;

	for (;;) {
		/* a leading bracket group is a list marker or an aside: （一）建筑业事故 */
		if (*a < *b && (t->cp[*a] == U'（' || t->cp[*a] == '(')) {
			for (k = *a + 1; k < *b && t->cp[k] != U'）' && t->cp[k] != ')'; k++)
				;
			*a = k + 1 < *b ? k + 1 : *a + 1;
			continue;
		}
		/* the tail of a quotation cut by the clause break inside it: …进船舶”等宣传活动 */
		for (k = *a; k < *b && !is_opener(t->cp[k]) && !is_closer(t->cp[k]); k++)
			;
		if (k < *b && is_closer(t->cp[k]) && k + 1 < *b) {
			*a = k + 1;
			continue;
		}
		while (*a < *b &&
		       (text_is_space(t->cp[*a]) || (is_punct(t->cp[*a]) && !is_opener(t->cp[*a]))))
			(*a)++;
		if (*a < *b && (t->cp[*a] == U'（' || t->cp[*a] == '('))
			continue;
		if (*a < *b && (n = unit_word_at(t, *a, U"其中")) && *a + n <= *b) {
			*a += n;
			continue;
		}
		break;
	}
	for (;;) {
		while (*b > *a && (text_is_space(t->cp[*b - 1]) ||
				   (is_punct(t->cp[*b - 1]) && !is_closer(t->cp[*b - 1]))))
			(*b)--;
		if (*b > *a && (n = unit_words_before(t, *b, words_label_tails, NULL)) &&
		    *b - n >= *a) {
			*b -= n;
			continue;
		}
		break;
	}
}

size_t
label_bare_verb(const struct text *t, size_t a, size_t b, size_t *va)
{
	size_t n;

	while (a < b && text_is_space(t->cp[a]))
		a++;
	while (b > a && (text_is_space(t->cp[b - 1]) || t->cp[b - 1] == U'了'))
		b--;
	const struct text in = {t->cp, b};
	if ((n = unit_words_at(&in, a, words_verb_leads, NULL)) && a + n < b)
		a += n;
	*va = a;
	if (b - a > FRAME_VERB_MAX || a == b)
		return 0;
	if (unit_words_at(&in, a, words_result_verbs, NULL) == b - a)
		return b - a;
	return 0;
}

int
label_subject(const struct text *t, size_t c, size_t p, size_t *sa, size_t *sb)
{
	size_t n = unit_words_before(t, p, words_object_verbs, NULL);

	if (n == 0 || p - n <= c)
		return 0;
	*sa = c;
	*sb = p - n;
	label_trim(t, sa, sb);
	return *sa < *sb;
}

/* Byte length of the UTF-8 form of w, written to out (room for 4 bytes a code point). */
static size_t
word_utf8(const struct word *w, char *out)
{
	size_t o = 0;
	for (size_t k = 0; k < w->len; k++) {
		uint32_t c = w->text[k];
		if (c < 0x80) {
			out[o++] = (char)c;
		} else if (c < 0x800) {
			out[o++] = (char)(0xC0 | c >> 6);
			out[o++] = (char)(0x80 | (c & 0x3F));
		} else if (c < 0x10000) {
			out[o++] = (char)(0xE0 | c >> 12);
			out[o++] = (char)(0x80 | (c >> 6 & 0x3F));
			out[o++] = (char)(0x80 | (c & 0x3F));
		} else {
			out[o++] = (char)(0xF0 | c >> 18);
			out[o++] = (char)(0x80 | (c >> 12 & 0x3F));
			out[o++] = (char)(0x80 | (c >> 6 & 0x3F));
			out[o++] = (char)(0x80 | (c & 0x3F));
		}
	}
	return o;
}

/* Byte length of the longest word of list that label starts with (and is longer than). */
static size_t
utf8_lead(const char *label, const struct word *list)
{
	size_t ll = strlen(label), best = 0;
	char buf[4 * 8];

	for (int i = 0; list[i].text != NULL; i++) {
		if (list[i].len > 8)
			continue;
		size_t n = word_utf8(&list[i], buf);
		if (n < ll && n > best && memcmp(label, buf, n) == 0)
			best = n;
	}
	return best;
}

size_t
label_new_verb_prefix(const char *label)
{
	return utf8_lead(label, words_new_verbs);
}

size_t
label_verb_prefix(const char *label)
{
	size_t a = utf8_lead(label, words_object_verbs), b = utf8_lead(label, words_result_verbs);
	return a > b ? a : b;
}

#define FRAME_MAX 6	/* the longest framing word, scope word, object verb or tail */
#define LABEL_MIN 2	/* a shorter remainder is not cut down to */
#define VERB_REST_MIN 3 /* …nor, after a verb, one shorter than this (办理申请) */

/* Length of a year (2011年, 2020年度) at pos, before end; 0 when none. */
static size_t
year_at(const struct text *t, size_t pos, size_t end)
{
	size_t i = pos;
	while (i < end && i - pos < 5 && t->cp[i] >= '0' && t->cp[i] <= '9')
		i++;
	/* 02年: a year the phrase's window cut into */
	if (i == pos || i - pos > 4 || i >= end || t->cp[i] != U'年')
		return 0;
	/* 2020年度, 2002年末 */
	if (i + 1 < end && (t->cp[i + 1] == U'度' || t->cp[i + 1] == U'末' ||
			    t->cp[i + 1] == U'底' || t->cp[i + 1] == U'初'))
		return i + 2 - pos;
	return i + 1 - pos;
}

/* Length of a time (1997年, 去年, 前五年, 五年) or a time word that ends at b, not before a. */
static size_t
time_before(const struct text *t, size_t a, size_t b)
{
	size_t n, i = b;

	if (i > a + 1 &&
	    (t->cp[i - 1] == U'底' || t->cp[i - 1] == U'末' || t->cp[i - 1] == U'初') &&
	    t->cp[i - 2] == U'年')
		i--; /* 2007年底 */
	if (i == a || t->cp[i - 1] != U'年') {
		/* 占比 is a share, not 占 and a comparison */
		if ((n = unit_words_before(t, b, words_time_tails, NULL)) && b - n >= a &&
		    !(n == 1 && t->cp[b - 1] == U'比' && b - 1 > a && t->cp[b - 2] == U'占'))
			return n;
		return 0;
	}
	i--;
	size_t d = i;
	while (d > a && i - d < 4 && t->cp[d - 1] >= '0' && t->cp[d - 1] <= '9')
		d--;
	if (i - d == 4)
		return b - d;
	while (d > a && i - d < 3 &&
	       (cn_digit(t->cp[d - 1]) > 0 || t->cp[d - 1] == U'十' || t->cp[d - 1] == U'两'))
		d--;
	if (d < i) {
		if (d > a &&
		    (t->cp[d - 1] == U'前' || t->cp[d - 1] == U'近' || t->cp[d - 1] == U'这'))
			d--;
		return b - d;
	}
	if (i > a && (t->cp[i - 1] == U'去' || t->cp[i - 1] == U'今' || t->cp[i - 1] == U'上' ||
		      t->cp[i - 1] == U'当'))
		return b - i + 1;
	if ((n = unit_words_before(t, b, words_time_tails, NULL)) && b - n >= a)
		return n;
	return 0;
}

/* Length of a count of years (五年, 两年) at pos, before end; 0 when none. */
static size_t
span_at(const struct text *t, size_t pos, size_t end)
{
	size_t i = pos;
	while (i < end && i - pos < 3 &&
	       (cn_digit(t->cp[i]) > 0 || t->cp[i] == U'十' || t->cp[i] == U'两'))
		i++;
	if (i == pos || i >= end || t->cp[i] != U'年')
		return 0;
	/* 五年内, 五年来, 五年间 */
	if (i + 1 < end &&
	    (t->cp[i + 1] == U'内' || t->cp[i + 1] == U'来' || t->cp[i + 1] == U'间'))
		return i + 2 - pos;
	return i + 1 - pos;
}

/* Whether [a, b) is one framing word, scope word or verb and nothing else. */
static int
only_frame(const struct text *t, size_t a, size_t b)
{
	const struct text in = {t->cp, b};
	size_t n = b - a;

	if (n > FRAME_MAX)
		return 0; /* longer than any of these words */
	return a < b && (unit_words_at(&in, a, words_lead_drops, NULL) == n ||
			 unit_words_at(&in, a, words_scope_words, NULL) == n ||
			 unit_words_at(&in, a, words_scope_times, NULL) == n ||
			 unit_words_at(&in, a, words_object_verbs, NULL) == n ||
			 unit_words_at(&in, a, words_tail_drops, NULL) == n);
}

/*
 * Cut [*a, *b) down to its noun phrase: predicates off its end, then what
 * comes before the last scope word or object verb, then framing words off
 * its start. A phrase that is only such a word becomes empty.
 */
static void
trim_noun(const struct text *t, size_t *a, size_t *b)
{
	size_t n;

	if (only_frame(t, *a, *b)) {
		*a = *b;
		return;
	}
	while (*b > *a && text_is_space(t->cp[*b - 1]))
		(*b)--;
	/* the predicate first (增速回落), then what places it (比上年, 从2007年底的) */
	while ((n = unit_words_before(t, *b, words_tail_drops, NULL)) && *a + LABEL_MIN + n <= *b) {
		*b -= n;
		while (*b > *a && text_is_space(t->cp[*b - 1]))
			(*b)--;
	}
	while ((n = time_before(t, *a, *b)) != 0) {
		*b -= n;
		while (*b > *a && text_is_space(t->cp[*b - 1]))
			(*b)--;
	}
	const struct text in = {t->cp, *b}; /* words must end within the phrase */
	size_t cut = *a;
	struct word_filter f;
	unit_filter_init(&f);
	unit_filter_add(&f, words_scope_words);
	unit_filter_add(&f, words_object_verbs);
	unit_filter_add(&f, words_kind_words);
	for (size_t i = *a; i < *b; i++) {
		if (!unit_filter_may(&f, t->cp[i]))
			continue;
		if ((n = unit_words_at(&in, i, words_scope_words, NULL)) && i + n + LABEL_MIN <= *b)
			cut = i + n;
		else if (i > *a && t->cp[i - 1] == U'的' &&
			 (n = unit_words_at(&in, i, words_kind_words, NULL)) &&
			 i + n + LABEL_MIN <= *b)
			cut = i + n;
		else if ((n = unit_words_at(&in, i, words_object_verbs, NULL)) &&
			 i + n + VERB_REST_MIN <= *b)
			cut = i + n;
	}
	*a = cut;
	for (int changed = 1; changed;) {
		changed = 0;
		while (*a < *b && (text_is_space(t->cp[*a]) || t->cp[*a] == U'、' ||
				   t->cp[*a] == U'，' || t->cp[*a] == U'的'))
			(*a)++;
		if ((n = unit_words_at(&in, *a, words_lead_drops, NULL)) &&
		    *a + n + LABEL_MIN <= *b) {
			*a += n;
			changed = 1;
		} else if (((n = unit_words_at(&in, *a, words_scope_words, NULL)) ||
			    (n = unit_words_at(&in, *a, words_scope_times, NULL))) &&
			   *a + n + LABEL_MIN <= *b) {
			*a += n;
			changed = 1;
		} else if (t->cp[*a] == U'其' && *a + LABEL_MIN < *b && t->cp[*a + 1] != U'他' &&
			   t->cp[*a + 1] != U'它' && t->cp[*a + 1] != U'余') {
			(*a)++; /* 其贡献率, not 其他 */
			changed = 1;
		} else if (((n = year_at(t, *a, *b)) || (n = span_at(t, *a, *b))) &&
			   *a + n + LABEL_MIN <= *b) {
			*a += n; /* 2011年刊出… */
			changed = 1;
		}
	}
	if (only_frame(t, *a, *b))
		*a = *b; /* 已办结: a bare verb says nothing of what was counted */
}

/* Whether [a, b) says nothing but "changed by" / "came to" (or nothing at all). */
static int
only_predicate(const struct text *t, size_t a, size_t b)
{
	size_t n;

	while (b > a && (n = unit_words_before(t, b, words_predicate_tails, NULL)) && b - n >= a)
		b -= n;
	/* words must fit in [a, b): 增 in 已增至 is not 增至 */
	const struct text in = {t->cp, b};
	for (;;) {
		if (a == b || unit_words_at(&in, a, words_predicates, NULL) == b - a)
			return 1; /* 共有 is a predicate before 共 is a filler */
		if ((n = unit_words_at(&in, a, words_lead_fillers, NULL)) == 0)
			return 0;
		a += n;
	}
}

/* The phrase before the quantity: back to a clause break, an unclosed bracket or lo. */
static void
phrase_before(const struct text *t, size_t lo, size_t qstart, size_t *a, size_t *b)
{
	size_t i = qstart;
	int depth = 0;

	while (i > lo && qstart - i < BEFORE_MAX) {
		uint32_t c = t->cp[i - 1];
		/* 县（市、区）: a break inside brackets does not end the phrase */
		if (is_clause_break(c) && depth == 0)
			break;
		if (c == U'）' || c == ')') {
			depth++;
		} else if (c == U'（' || c == '(') {
			if (depth == 0)
				break;
			depth--;
		}
		i--;
	}
	/* 机构职能、主要职能、办事程序信息148条: one figure for a list of names counts them all */
	size_t k = i;
	while (k > lo && t->cp[k - 1] == U'、') {
		k--;
		while (k > lo && qstart - k < BEFORE_MAX && !is_clause_break(t->cp[k - 1]) &&
		       !(t->cp[k - 1] >= '0' && t->cp[k - 1] <= '9'))
			k--;
		if (k > lo && !is_clause_break(t->cp[k - 1]))
			break; /* a number or too long: not one list */
	}
	if (k == lo || (is_clause_break(t->cp[k - 1]) && t->cp[k - 1] != U'、'))
		i = k; /* the whole list, from its clause's start, or none of it */
	*a = i;
	*b = qstart;
	trim_before(t, a, b);
}

/*
 * The noun after the quantity, up to a break, a digit, a quote or a stop
 * word; after a count of times (三次提高工资标准) the action that follows.
 */
static void
noun_after(const struct text *t, size_t qend, int times, size_t *a, size_t *b)
{
	size_t i = qend;

	while (i < t->len && text_is_space(t->cp[i]))
		i++;
	*a = *b = i;
	if (i >= t->len || is_clause_break(t->cp[i]) || is_opener(t->cp[i]) || is_punct(t->cp[i]) ||
	    (t->cp[i] >= '0' && t->cp[i] <= '9'))
		return;
	if (times ? unit_word_at(t, i, U"以") || unit_word_at(t, i, U"左右") ||
			unit_word_at(t, i, U"的")
		  : unit_words_at(t, i, words_after_nonstart, NULL) ||
			unit_words_at(t, i, words_predicates, NULL))
		return;
	int depth = 0;
	for (; i < t->len && i - *a < AFTER_MAX; i++) {
		uint32_t c = t->cp[i];
		if (c == U'（' || c == '(') {
			depth++;
		} else if ((c == U'）' || c == ')') && depth > 0) {
			depth--;
		} else if (depth > 0 && c != '\n' && !(c >= '0' && c <= '9')) {
			continue; /* 45个县（市、区）整县 */
		}
		if (i == *a)
			continue;
		if (is_clause_break(c) || (c >= '0' && c <= '9') || c == U'“' || c == U'《')
			break;
		/* an action goes on past 的 (提高重点优抚对象的抚恤补助标准) */
		if (unit_words_at(t, i, words_after_stops, NULL) &&
		    unit_words_before(t, i + 1, words_stop_compounds, NULL) < 2 &&
		    !(times && c == U'的'))
			break;
	}
	while (i > *a && (text_is_space(t->cp[i - 1]) || t->cp[i - 1] == U'的' ||
			  (is_punct(t->cp[i - 1]) && !is_closer(t->cp[i - 1]))))
		i--;
	*b = i;
}

/*
 * The clause before the one that holds qstart, not before lo, trimmed to its
 * noun phrase; empty when there is none or it holds a number.
 */
static void
clause_before(const struct text *t, size_t lo, size_t qstart, size_t *a, size_t *b)
{
	size_t p = qstart, k;

	*a = *b = qstart;
	while (p > lo && qstart - p < BEFORE_MAX && !is_clause_break(t->cp[p - 1]))
		p--;
	if (p <= lo || (t->cp[p - 1] != U'，' && t->cp[p - 1] != U'；' && t->cp[p - 1] != ','))
		return;
	for (k = p - 1; k > lo && p - 1 - k < BEFORE_MAX && !is_clause_break(t->cp[k - 1]); k--) {
		if (t->cp[k - 1] < '0' || t->cp[k - 1] > '9')
			continue;
		size_t r = k - 1;
		while (r > lo && t->cp[r - 1] >= '0' && t->cp[r - 1] <= '9')
			r--;
		if (year_at(t, r, p - 1) == 0)
			return; /* a figure of its own; a year (2020年度) is none */
		k = r + 1;
	}
	if (k > lo && !is_clause_break(t->cp[k - 1]))
		return; /* longer than a label's clause */
	size_t ca = k, cb = p - 1;
	trim_before(t, &ca, &cb);
	trim_noun(t, &ca, &cb);
	if (ca < cb) {
		*a = ca;
		*b = cb;
	}
}

void
label_trim(const struct text *t, size_t *a, size_t *b)
{
	trim_before(t, a, b);
	trim_noun(t, a, b);
}

/* text_utf8() of an empty span returns an unterminated buffer: never ask it for one. */
static char *
span_utf8(const struct text *t, size_t a, size_t b)
{
	return a < b ? text_utf8(t, a, b) : xstrdup("");
}

/* [a1, b1) + mid + [a2, b2) as one owned UTF-8 string. */
static char *
span_join(const struct text *t, size_t a1, size_t b1, const char *mid, size_t a2, size_t b2)
{
	char *x = span_utf8(t, a1, b1), *y = span_utf8(t, a2, b2);
	size_t lx = strlen(x), lm = strlen(mid), ly = strlen(y);
	char *r = xmalloc(lx + lm + ly + 1);
	memcpy(r, x, lx);
	memcpy(r + lx, mid, lm);
	memcpy(r + lx + lm, y, ly + 1);
	free(x);
	free(y);
	return r;
}

/* Whether [a, b) is only fillers and one of words_new_verbs: where the verb starts, else b. */
static size_t
only_new_verb(const struct text *t, size_t a, size_t b)
{
	size_t n, end = b;

	while (b > a && (n = unit_words_before(t, b, words_predicate_tails, NULL)) && b - n >= a)
		b -= n;
	const struct text in = {t->cp, b};
	while (a < b && unit_words_at(&in, a, words_new_verbs, NULL) != b - a) {
		if ((n = unit_words_at(&in, a, words_lead_fillers, NULL)) == 0)
			return end;
		a += n;
	}
	return a < b ? a : end;
}

/*
 * 惠及1100多万学生, 6600多万纳税人受益: who benefits is counted, from what
 * the clause (or the one before) names; the label is that, the verb and who.
 */
static char *
benefit_label(const struct text *t, size_t lo, size_t qstart, size_t ba, size_t bb, size_t aa,
	      size_t ab)
{
	static const char32_t huiji[] = U"惠及", shouyi[] = U"受益";
	size_t sa = ba, sb = bb;
	const char *verb;

	if (aa == ab)
		return NULL;
	if (bb >= ba + 2 && unit_word_before(t, bb, huiji)) {
		verb = "惠及";
		sb = bb - 2;
	} else if (ab >= aa + 4 && unit_word_before(t, ab, shouyi) &&
		   (ab >= t->len || is_clause_break(t->cp[ab])) && ba == bb) {
		verb = "受益";
		ab -= 2;
	} else {
		return NULL;
	}
	trim_noun(t, &sa, &sb);
	if (sa == sb)
		clause_before(t, lo, qstart, &sa, &sb);
	if (sa == sb)
		return NULL;
	size_t na = aa, nb = ab;
	trim_noun(t, &na, &nb);
	if (na == nb)
		return NULL;
	return span_join(t, sa, sb, verb, na, nb);
}

char *
label_find(const struct text *t, size_t lo, size_t qstart, size_t qend, enum label_kind kind,
	   int *inherit, size_t *used_end)
{
	size_t ba, bb, aa, ab;

	*inherit = 0;
	*used_end = qend;
	if (lo > qstart)
		lo = qstart;
	phrase_before(t, lo, qstart, &ba, &bb);
	/* 两次降低存款准备金率: a bare 次 after a numeral counts an action */
	int times =
	    qend >= qstart + 2 && t->cp[qend - 1] == U'次' &&
	    ((t->cp[qend - 2] >= '0' && t->cp[qend - 2] <= '9') || cn_digit(t->cp[qend - 2]) > 0 ||
	     t->cp[qend - 2] == U'十' || t->cp[qend - 2] == U'两');
	noun_after(t, qend, times, &aa, &ab);
	int pred = only_predicate(t, ba, bb);
	char *r;
	size_t v;

	if ((r = benefit_label(t, lo, qstart, ba, bb, aa, ab)) != NULL) {
		*used_end = ab;
		return r;
	}
	unsigned uf;
	if (aa < ab && (v = only_new_verb(t, ba, bb)) < bb && unit_match(t, aa, &uf) == 0) {
		/* the noun after the figure ends before a verb that takes another object */
		size_t na = aa, nb = unit_words_find(t, aa + 1, ab, words_object_verbs, NULL);
		trim_noun(t, &na, &nb);
		if (na < nb) {
			*used_end = ab;
			return span_join(t, v, bb, "", na, nb);
		}
	}

	if (aa < ab && (kind != LABEL_MEASURE || pred)) {
		*used_end = ab;
		trim_noun(t, &aa, &ab);
		return span_utf8(t, aa, ab);
	}
	if (kind != LABEL_MEASURE || pred)
		*inherit = pred;
	trim_noun(t, &ba, &bb);
	if (ba == bb && aa < ab) {
		/* 今年拟发行1400亿元长期建设国债: nothing before, the noun after */
		size_t na = aa, nb = ab;
		trim_noun(t, &na, &nb);
		if (na < nb) {
			*used_end = ab;
			return span_utf8(t, na, nb);
		}
	}
	if (ba == bb) {
		/* 简化施工许可办理手续，由原15个工作日: the subject is the clause before */
		*inherit = 1;
		clause_before(t, lo, qstart, &ba, &bb);
	} else if (bb - ba <= LABEL_MIN) {
		/* 编制规范性文件制定计划，全年计划16件: a bare head names the clause before's noun
		 */
		size_t ca, cb, n = bb - ba, k = 0;
		clause_before(t, lo, qstart, &ca, &cb);
		while (cb - ca > n && k < n && t->cp[cb - n + k] == t->cp[ba + k])
			k++;
		if (cb - ca > n && k == n) {
			ba = ca;
			bb = cb;
		}
	}
	return span_utf8(t, ba, bb);
}
