/*
 * metrics_list.c - the subjects of a list of figures (shared/DESIGN.md,
 * "What a figure means"): in "生产安全事故起数、死亡人数分别下降15%、14.5%"
 * each value gets its own subject, and in "鱼类、贝类和甲壳类产量" the
 * shared head (产量) goes to every item.
 *
 * A pass over doc->metrics after the scan, looking only between a list's
 * first figure and the clause break before it. Must never special-case a
 * document: the head words below are the nouns indicators end in.
 */
#include "metrics_label.h"
#include "textclass.h"
#include "metrics_unit.h"
#include "words.h"
#include "buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LIST_MAX 8	/* items of a list paired one by one */
#define SUBJECT_BACK 60 /* code points looked back at for the subject list */
#define SHORT_ITEM 6	/* an item this short may share the last item's head */

static int
is_break(uint32_t c)
{
	return c == U'，' || c == U'；' || c == U'：' || c == U'。' || c == U'！' || c == U'？' ||
	       c == ',' || c == ';' || c == ':' || c == '\n';
}

static int
is_join(uint32_t c)
{
	return c == U'、' || c == U'和' || c == U'及' || c == U'与';
}

/* Whether [a, b) joins two items of a list: only 、 和 及 与 以及 and spaces. */
static int
joins(const struct text *t, size_t a, size_t b)
{
	if (a >= b)
		return 0;
	for (size_t i = a; i < b; i++)
		if (!text_is_space(t->cp[i]) && !is_join(t->cp[i]) && t->cp[i] != U'以')
			return 0;
	return 1;
}

/*
 * Split the subject [a, b) into n items at 、 (and the last 和/及/与): their
 * spans in ia[], ib[]. Returns 0 when it does not hold exactly n items.
 */
static int
split_items(const struct text *t, size_t a, size_t b, size_t n, size_t *ia, size_t *ib)
{
	size_t k = 0, s = a;
	int depth = 0;

	for (size_t i = a; i < b; i++) {
		uint32_t c = t->cp[i];
		if (c == U'（' || c == '(' || c == U'“')
			depth++;
		else if ((c == U'）' || c == ')' || c == U'”') && depth > 0)
			depth--;
		else if (c == U'、' && depth == 0) {
			if (k + 1 >= n)
				return 0;
			ia[k] = s, ib[k++] = i;
			s = i + 1;
		}
	}
	ia[k] = s, ib[k++] = b;
	if (k + 1 == n) {
		/* A、B和C: the last piece splits at its first 和 (及, 与) */
		size_t j;
		for (j = ia[k - 1] + 1; j + 1 < ib[k - 1] && !is_join(t->cp[j]); j++)
			;
		if (j + 1 >= ib[k - 1])
			return 0;
		ia[k] = j + 1, ib[k] = ib[k - 1];
		ib[k - 1] = j;
		k++;
	}
	return k == n;
}

/* Label the n metrics from first with the items of the subject [a, b); 0 when they do not pair. */
/* Whether [a, b)'s last code point stands in [c, d) after its first (鱼类 in 甲壳类产量). */
static int
same_end(const struct text *t, size_t a, size_t b, size_t c, size_t d)
{
	for (size_t i = c + 1; a < b && i < d; i++)
		if (t->cp[i] == t->cp[b - 1])
			return 1;
	return 0;
}

static int
pair_items(struct doc *doc, size_t first, size_t n, size_t a, size_t b, int implicit)
{
	const struct text *t = &doc->text;
	size_t ia[LIST_MAX], ib[LIST_MAX];

	if (!split_items(t, a, b, n, ia, ib))
		return 0;
	for (size_t k = 0; k < n; k++) {
		label_trim(t, &ia[k], &ib[k]);
		if (ia[k] == ib[k])
			return 0;
	}
	/*
	 * 鱼类、贝类和甲壳类产量: short items take the last item's head, the
	 * first head word after an item's first code point
	 */
	size_t h = unit_words_find(t, ia[n - 1] + 1, ib[n - 1], words_heads, NULL);
	for (size_t k = 0; k < n; k++) {
		char *item = text_utf8(t, ia[k], ib[k]);
		size_t hk = h, len = ib[k] - ia[k];
		/*
		 * 城镇和农村人均住房面积: a short item parallel to the last item's start
		 * takes all that follows it there (人均住房面积, not only 面积)
		 */
		if (k + 1 < n && implicit && len <= SHORT_ITEM &&
		    ia[n - 1] + len + 2 <= ib[n - 1] &&
		    !same_end(t, ia[k], ib[k], ia[n - 1], ib[n - 1]))
			hk = ia[n - 1] + len;
		if (k + 1 < n && hk < ib[n - 1] && len <= SHORT_ITEM &&
		    unit_words_find(t, ia[k] + 1, ib[k], words_heads, NULL) == ib[k]) {
			char *tail = text_utf8(t, hk, ib[n - 1]);
			size_t li = strlen(item), lt = strlen(tail);
			item = xreallocarray(item, li + lt + 1, 1);
			memcpy(item + li, tail, lt + 1);
			free(tail);
		}
		free(doc->metrics[first + k].label);
		doc->metrics[first + k].label = item;
	}
	return 1;
}

/*
 * Names of a figure that say what of something was counted, not of what
 * (产量, 增速, 死亡): such a label takes its owner from the figure before it
 * in the sentence (机动渔船2100艘，总吨位79156总吨 → 机动渔船总吨位). The
 * first kind measures the owner's own figure (工业总产值 → 工业总产值增速);
 * the second names a sibling of it, so the owner loses its own head first.
 */
static const char *const of_owner[] = {"增速", "增幅", "涨幅", "降幅", "占比", "比重", NULL};
static const char *const siblings[] = {
    "产量", "产值",   "增加值", "总功率", "总吨位", "贡献率", "死亡",
    "受伤", "总产量", "总产值", "面积",	  "人数",   "总额",   "直接经济损失",
    "利润", "税金",   "收入",	"支出",	  NULL};

/* Whether s is one of list's words. */
static int
word_is(const char *s, const char *const *list)
{
	for (int i = 0; list[i] != NULL; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

/* The byte length of the longest of list's words that s ends with (and is longer than), else 0. */
static size_t
ends_with_word(const char *s, const char *const *list)
{
	size_t ls = strlen(s), best = 0;
	for (int i = 0; list[i] != NULL; i++) {
		size_t n = strlen(list[i]);
		if (n < ls && n > best && memcmp(s + ls - n, list[i], n) == 0)
			best = n;
	}
	return best;
}

/* Give m the label a[0..la) followed by b: the two are joined into one owned string. */
static void
label_join(struct metric *m, const char *a, size_t la, const char *b)
{
	size_t lb = strlen(b);
	char *label = xmalloc(la + lb + 1);
	memcpy(label, a, la);
	memcpy(label + la, b, lb + 1);
	free(m->label);
	m->label = label;
}

/*
 * The nearest metric before metrics[i] in its sentence that ends by before
 * and passes is (p the candidate, m metrics[i]), or NULL: what a figure's
 * label borrows from.
 */
static const struct metric *
earlier_in_sentence(const struct doc *doc, size_t i, size_t before,
		    int (*is)(const struct metric *p, const struct metric *m))
{
	const struct metric *m = &doc->metrics[i];
	for (size_t k = i; k > 0; k--) {
		const struct metric *p = &doc->metrics[k - 1];
		if (p->sent_start != m->sent_start)
			return NULL;
		if (p->end <= before && is(p, m))
			return p;
	}
	return NULL;
}

/* Owner of a share or a sibling: a label that is neither itself, nor one of those. */
static int
owner_of(const struct metric *p, const struct metric *m)
{
	return p->label[0] != '\0' && !word_is(p->label, of_owner) &&
	       !word_is(p->label, siblings) && strcmp(p->label, m->label) != 0 &&
	       strncmp(p->label, "占", strlen("占")) != 0;
}

static int
same_unit(const struct metric *p, const struct metric *m)
{
	return strcmp(p->unit, m->unit) == 0;
}

static int
labelled(const struct metric *p, const struct metric *m)
{
	(void)m;
	return p->label[0] != '\0';
}

static int
same_unit_labelled(const struct metric *p, const struct metric *m)
{
	return same_unit(p, m) && labelled(p, m);
}

void
label_owners(struct doc *doc)
{
	for (size_t i = 1; i < doc->nmetrics; i++) {
		struct metric *m = &doc->metrics[i];
		/* …占国内生产总值的比重从0.64%提高到1.13%: a share of what the figure before counts
		 */
		int own = word_is(m->label, of_owner) || strncmp(m->label, "占", strlen("占")) == 0;
		if (!own && !word_is(m->label, siblings))
			continue;
		const struct metric *o = earlier_in_sentence(doc, i, SIZE_MAX, owner_of);
		if (o == NULL)
			continue;
		size_t lo = strlen(o->label), lm = strlen(m->label);
		if (own && lo > lm && strcmp(o->label + lo - lm, m->label) == 0) {
			/* 占比重从0.64%提高到1.13%: the owner is the from-value, already named so
			 */
			free(m->label);
			m->label = xstrdup(o->label);
			continue;
		}
		if (!own)
			lo -= ends_with_word(o->label, siblings);
		label_join(m, o->label, lo, m->label);
	}
}

void
label_parts(struct doc *doc)
{
	const struct text *t = &doc->text;

	for (size_t i = 1; i < doc->nmetrics; i++) {
		struct metric *m = &doc->metrics[i];
		size_t c = m->start;
		while (c > m->sent_start && m->start - c < SUBJECT_BACK && !is_break(t->cp[c - 1]))
			c--;
		if (c == m->sent_start || !is_break(t->cp[c - 1]))
			continue; /* no clause before to break down */
		while (c < m->start && text_is_space(t->cp[c]))
			c++;
		size_t n = unit_words_at(t, c, words_part_leads, NULL);
		if (n == 0)
			continue;
		/* the owner: the figure before the clause, in the same unit */
		const struct metric *o = earlier_in_sentence(doc, i, c, same_unit);
		if (o == NULL || o->label[0] == '\0')
			continue;
		char *lead = text_utf8(t, c, c + n);
		const char *item = m->label;
		size_t ll = strlen(lead), li, lo = strlen(o->label);
		if (strncmp(item, lead, ll) == 0)
			item += ll;
		free(lead);
		li = strlen(item);
		if (li == 0 || (li >= lo && strcmp(item + li - lo, o->label) == 0))
			continue;
		label_join(m, item, li, o->label);
	}
}

void
label_verbs(struct doc *doc)
{
	const struct text *t = &doc->text;

	for (size_t i = 1; i < doc->nmetrics; i++) {
		struct metric *m = &doc->metrics[i];
		size_t c = m->start, va, n;
		while (c > m->sent_start && m->start - c < SUBJECT_BACK &&
		       !is_break(t->cp[c - 1]) && t->cp[c - 1] != U'、')
			c--;
		if (c == m->sent_start)
			continue;
		/* a noun after the figure is what it counts (建成5个站) */
		if (m->end < t->len && !is_break(t->cp[m->end]) && t->cp[m->end] != U'、')
			continue;
		if ((n = label_bare_verb(t, c, m->start, &va)) == 0)
			continue;
		const struct metric *o = earlier_in_sentence(doc, i, c, same_unit_labelled);
		if (o == NULL)
			continue;
		const char *thing = o->label + label_verb_prefix(o->label);
		char *verb = text_utf8(t, va, va + n);
		label_join(m, verb, strlen(verb), thing);
		free(verb);
	}
}

#define BASE_MAX 24 /* code points of a multiple's base */

void
label_bases(struct doc *doc)
{
	const struct text *t = &doc->text;

	for (size_t i = 1; i < doc->nmetrics; i++) {
		struct metric *m = &doc->metrics[i];
		size_t d = m->start, c, n;
		if (strcmp(m->unit, "倍") != 0 || d == 0 || t->cp[d - 1] != U'的')
			continue;
		d--;
		for (c = d; c > m->sent_start && d - c < BASE_MAX && !is_break(t->cp[c - 1]); c--)
			;
		if (c == m->sent_start || !is_break(t->cp[c - 1]))
			continue;
		while (c < d && text_is_space(t->cp[c]))
			c++;
		if ((n = unit_words_at(t, c, words_base_leads, NULL)) == 0 || c + n >= d)
			continue;
		const struct metric *o = earlier_in_sentence(doc, i, c, labelled);
		if (o == NULL)
			continue;
		char *base = text_utf8(t, c + n, d);
		struct buf rest = {0};
		buf_printf(&rest, "相当于%s", base);
		label_join(m, o->label, strlen(o->label), rest.data);
		buf_release(&rest);
		free(base);
	}
}

/*
 * In a list of figures (因政府信息公开引起的行政复议案件2件、行政诉讼案件7件)
 * a modifier that ends in 的 before the first item's noun goes to the items
 * after it with the same head (案件).
 */
void
label_modifiers(struct doc *doc)
{
	const struct text *t = &doc->text;
	static const char de[] = "的";
	const size_t head = 6; /* two CJK code points of UTF-8 */

	for (size_t i = 1, r = 0; i < doc->nmetrics; i++) {
		struct metric *m = &doc->metrics[i];
		const struct metric *p = &doc->metrics[i - 1];
		size_t k = p->end;
		while (k < m->start && text_is_space(t->cp[k]))
			k++;
		int item = k < m->start && t->cp[k] == U'、';
		for (k++; item && k < m->start; k++)
			if (is_break(t->cp[k]) || t->cp[k] == U'、')
				item = 0;
		if (p->sent_start != m->sent_start || strcmp(p->unit, m->unit) != 0 || !item) {
			r = i;
			continue;
		}
		/* m is an item of the list that starts at r */
		const char *x = doc->metrics[r].label, *d = NULL;
		for (const char *q = strstr(x, de); q != NULL; q = strstr(q + 1, de))
			d = q;
		size_t ly = strlen(m->label);
		if (d == NULL || ly <= head || strstr(m->label, de) != NULL)
			continue;
		const char *z = d + strlen(de);
		size_t lz = strlen(z), lp = (size_t)(z - x);
		if (lz <= head || memcmp(z + lz - head, m->label + ly - head, head) != 0 ||
		    strcmp(z, m->label) == 0)
			continue;
		label_join(m, x, lp, m->label);
	}
}

#define COLLIDE_MAX 8	/* figures of one label in a section told apart */
#define COLLIDE_SPAN 64 /* …looked for among the figures after the first, so it stays linear */

/*
 * The subject of metric i's clause in [*sa, *sb), else of the list item
 * before it (…接受法律咨询2055人次、开展办事服务119件) as sa[i - 1], sb[i - 1]
 * already say; empty when none.
 */
static void
subject_of(const struct doc *doc, size_t i, size_t *sa, size_t *sb)
{
	const struct text *t = &doc->text;
	const struct metric *m = &doc->metrics[i];
	size_t c = m->start;

	sa[i] = sb[i] = 0;
	while (c > m->sent_start && m->start - c < SUBJECT_BACK && !is_break(t->cp[c - 1]) &&
	       t->cp[c - 1] != U'、')
		c--;
	if (m->label[0] != '\0' && c < m->start) {
		char *clause = text_utf8(t, c, m->start);
		const char *at = strstr(clause, m->label);
		size_t p = c;
		for (const char *q = clause; at != NULL && q < at; q++)
			if (((unsigned char)*q & 0xC0) != 0x80)
				p++;
		free(clause);
		if (at != NULL && label_subject(t, c, p, &sa[i], &sb[i]))
			return;
		sa[i] = sb[i] = 0;
	}
	if (i > 0 && c > 0 && t->cp[c - 1] == U'、' &&
	    doc->metrics[i - 1].sent_start == m->sent_start && doc->metrics[i - 1].end <= c) {
		sa[i] = sa[i - 1];
		sb[i] = sb[i - 1];
	}
}

void
label_collisions(struct doc *doc)
{
	const struct text *t = &doc->text;

	if (doc->nmetrics < 2)
		return;
	size_t *sa = xreallocarray(NULL, doc->nmetrics, sizeof(*sa));
	size_t *sb = xreallocarray(NULL, doc->nmetrics, sizeof(*sb));
	for (size_t i = 0; i < doc->nmetrics; i++)
		subject_of(doc, i, sa, sb);
	char *done = xmalloc(doc->nmetrics);
	memset(done, 0, doc->nmetrics);
	for (size_t i = 0; i < doc->nmetrics; i++) {
		const struct metric *m = &doc->metrics[i];
		size_t idx[COLLIDE_MAX], n = 0;
		if (done[i] || m->label[0] == '\0')
			continue;
		for (size_t k = i; k < doc->nmetrics && k - i < COLLIDE_SPAN; k++) {
			const struct metric *o = &doc->metrics[k];
			if (o->section != m->section)
				break;
			if (done[k] || strcmp(o->label, m->label) != 0)
				continue;
			done[k] = 1;
			if (sa[k] < sb[k] && n < COLLIDE_MAX)
				idx[n++] = k;
		}
		if (n < 2)
			continue;
		/* the part all subjects share from their start says nothing of which is which */
		size_t a0 = sa[idx[0]], common = sb[idx[0]] - a0;
		int differ = 0;
		for (size_t k = 1; k < n; k++) {
			size_t a = sa[idx[k]], b = sb[idx[k]], j = 0;
			while (j < common && a + j < b && t->cp[a0 + j] == t->cp[a + j])
				j++;
			if (j < common || b - a != sb[idx[0]] - a0)
				differ = 1;
			common = j;
		}
		if (!differ)
			continue;
		if (common < 2)
			common = 0; /* one shared code point is no shared word (线上, 线下) */
		for (size_t k = 0; k < n; k++) {
			size_t a = sa[idx[k]] + common, b = sb[idx[k]];
			if (a >= b)
				continue;
			struct metric *o = &doc->metrics[idx[k]];
			char *subj = text_utf8(t, a, b);
			size_t ls = strlen(subj), ll = strlen(o->label);
			subj = xreallocarray(subj, ls + ll + 1, 1);
			memcpy(subj + ls, o->label, ll + 1);
			free(o->label);
			o->label = subj;
		}
	}
	free(done);
	free(sa);
	free(sb);
}

/* The last 分别 in [a, b), or b. */
static size_t
respectively(const struct text *t, size_t a, size_t b)
{
	for (size_t i = b; i > a + 1; i--)
		if (t->cp[i - 2] == U'分' && t->cp[i - 1] == U'别')
			return i - 2;
	return b;
}

/* Whether the n figures from i are written one after the other with only 、 between them. */
static int
joined_by_comma(const struct doc *doc, size_t i, size_t n)
{
	const struct text *t = &doc->text;
	for (size_t k = i + 1; k < i + n; k++) {
		size_t j = doc->metrics[k - 1].end, e = doc->metrics[k].start;
		while (j < e && text_is_space(t->cp[j]))
			j++;
		if (j + 1 != e || t->cp[j] != U'、')
			return 0;
	}
	return 1;
}

void
label_lists(struct doc *doc)
{
	const struct text *t = &doc->text;
	size_t prev_first = 0, prev_n = 0; /* the last list paired, in this sentence */

	for (size_t i = 0; i < doc->nmetrics;) {
		struct metric *m = &doc->metrics[i];
		size_t n = 1;
		while (i + n < doc->nmetrics && n < LIST_MAX &&
		       doc->metrics[i + n].sent_start == m->sent_start &&
		       joins(t, doc->metrics[i + n - 1].end, doc->metrics[i + n].start))
			n++;
		if (prev_n && doc->metrics[prev_first].sent_start != m->sent_start)
			prev_n = 0;
		if (n < 2) {
			i++;
			continue;
		}
		/* the subject: back to a clause break or the figure before */
		size_t lo = m->sent_start;
		if (i > 0 && doc->metrics[i - 1].sent_start == m->sent_start &&
		    doc->metrics[i - 1].end > lo)
			lo = doc->metrics[i - 1].end;
		size_t a = m->start;
		while (a > lo && m->start - a < SUBJECT_BACK && !is_break(t->cp[a - 1]))
			a--;
		size_t r = respectively(t, a, m->start);
		int paired = 0;
		if (r < m->start) {
			size_t sa = a, sb = r;
			label_trim(t, &sa, &sb);
			if (sa < sb)
				paired = pair_items(doc, i, n, a, r, 0);
			else if (prev_n == n) {
				/* 分别为…，分别增长…: the subjects of the list before */
				for (size_t k = 0; k < n; k++) {
					free(doc->metrics[i + k].label);
					doc->metrics[i + k].label =
					    xstrdup(doc->metrics[prev_first + k].label);
				}
				paired = 1;
			}
		} else if (r == m->start && joined_by_comma(doc, i, n)) {
			/* 城镇和农村人均住房面积32.9平方米、37.1平方米: respectively, unsaid */
			size_t sa = a, sb = r;
			label_trim(t, &sa, &sb);
			if (sa < sb)
				paired = pair_items(doc, i, n, a, r, 1);
		}
		if (paired) {
			prev_first = i;
			prev_n = n;
		}
		i += n;
	}
}
