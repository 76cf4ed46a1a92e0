/*
 * metrics_key.c - a metric's key: the canonical name of the indicator its
 * label names, from the dictionary in parse/indicators.txt.
 *
 * The words it trims and the names it knows are data (indicators.txt), not
 * code. Must never give a key for a name found in the middle of a label, nor
 * guess from a part of a name: a wrong key merges two indicators in SQL, a
 * missing one only leaves a figure out.
 */
#include "metrics_key.h"
#include "textclass.h"

#include <string.h>

#define KEY_ROUNDS 8 /* lead words trimmed at most */

/* A year as a word: 2023年 or 2023年度; its length in bytes, else 0. */
static size_t
key_year_at(const char *s, size_t n)
{
	static const char nian[] = "年", du[] = "度";
	size_t i = 0;
	while (i < n && i < 4 && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i != 4 || (n > 4 && s[4] >= '0' && s[4] <= '9'))
		return 0;
	if (n - i < sizeof(nian) - 1 || memcmp(s + i, nian, sizeof(nian) - 1) != 0)
		return 0;
	i += sizeof(nian) - 1;
	if (n - i >= sizeof(du) - 1 && memcmp(s + i, du, sizeof(du) - 1) == 0)
		i += sizeof(du) - 1;
	return i;
}

/* Length in bytes of the longest word of list (or year) at s, else 0. */
static size_t
key_word_at(const char *s, size_t n, const struct indicator_word *list)
{
	size_t best = key_year_at(s, n);
	if (n > 0 && (s[0] == ' ' || s[0] == '\t'))
		best = best > 1 ? best : 1;
	for (const struct indicator_word *w = list; w->text; w++) {
		if (w->len <= best || w->len > n || w->text[0] != s[0])
			continue;
		/* most words are refused on their first character, before memcmp */
		if (w->len >= 3 && (w->text[1] != s[1] || w->text[2] != s[2]))
			continue;
		if (memcmp(s, w->text, w->len) == 0)
			best = w->len;
	}
	return best;
}

/* Is s[0..n) nothing but tail words? */
static int
key_all_tail(const char *s, size_t n)
{
	while (n > 0) {
		size_t k = key_word_at(s, n, indicator_tail);
		if (k == 0)
			return 0;
		s += k;
		n -= k;
	}
	return 1;
}

/* Compare a name with s[0..n) as whole strings. */
static int
key_cmp(const struct indicator_name *name, const char *s, size_t n)
{
	size_t k = name->len;
	int c = memcmp(name->name, s, k < n ? k : n);
	return c ? c : (k < n ? -1 : k > n);
}

/* The first index at or after lo whose name is >= s[0..n). */
static size_t
key_lower(const char *s, size_t n, size_t lo)
{
	size_t hi = indicator_names_len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (key_cmp(&indicator_names[mid], s, n) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The indicator whose name starts s with only tail words after it; the
 * longest name wins. The prefixes of s are tried from the shortest, and the
 * search stops at the first one that no name starts with.
 */
static int
key_match(const char *s, size_t n)
{
	size_t found[16], ends[16], nfound = 0, lo = 0;
	for (size_t len = 0; len < n && nfound < 16;) {
		len += utf8_seqlen((unsigned char)s[len]);
		if (len > n)
			break;
		lo = key_lower(s, len, lo);
		if (lo == indicator_names_len || indicator_names[lo].len < len ||
		    memcmp(indicator_names[lo].name, s, len) != 0)
			break; /* no name starts with s[0..len) */
		if (indicator_names[lo].len == len) {
			found[nfound] = lo;
			ends[nfound++] = len;
		}
	}
	while (nfound-- > 0)
		if (key_all_tail(s + ends[nfound], n - ends[nfound]))
			return indicator_names[found[nfound]].indicator;
	return -1;
}

/* The index of the indicator label names, or -1. */
static int
key_find_index(const char *label)
{
	if (label == NULL)
		return -1;
	const char *s = label;
	size_t n = strlen(label);
	for (int round = 0; round <= KEY_ROUNDS && n > 0; round++) {
		int ind = key_match(s, n);
		if (ind >= 0)
			return ind;
		size_t k = key_word_at(s, n, indicator_lead);
		if (k == 0)
			break;
		s += k;
		n -= k;
	}
	return -1;
}

/*
 * The index of the indicator label names, or -1: from its start, else from
 * after the last @after word in it (中央提出今年经济增长: who proposed, then
 * the subject).
 */
static int
key_find_after(const char *label)
{
	int ind = key_find_index(label);
	if (ind >= 0 || label == NULL)
		return ind;
	size_t n = strlen(label), from = 0;
	for (size_t i = 0; i < n; i += utf8_seqlen((unsigned char)label[i])) {
		size_t k = key_word_at(label + i, n - i, indicator_after);
		if (k > 0)
			from = i + k;
	}
	return from > 0 && from < n ? key_find_index(label + from) : -1;
}

const char *
metrics_key_lookup(const char *label)
{
	int ind = key_find_after(label);
	return ind >= 0 ? indicators[ind].key : NULL;
}

/*
 * Whether label names no subject of its own: after its lead words it is
 * nothing but tail words (总量, 规模, 增速), so it speaks of the subject
 * just named (国内生产总值增长6.6%，总量突破90万亿元).
 */
static int
key_is_bare(const char *label)
{
	if (label == NULL || *label == '\0')
		return 0;
	const char *s = label;
	size_t n = strlen(label);
	for (int round = 0; round <= KEY_ROUNDS && n > 0; round++) {
		if (key_all_tail(s, n))
			return 1;
		size_t k = key_word_at(s, n, indicator_lead);
		if (k == 0)
			return 0;
		s += k;
		n -= k;
	}
	return n == 0;
}

/* Whether the indicator's usual measures include share (a rate, a ratio). */
static int
key_is_ratio(const struct indicator *ind)
{
	for (const char *s = ind->measures; (s = strstr(s, "share")) != NULL; s += 5)
		if ((s == ind->measures || s[-1] == ' ') && (s[5] == '\0' || s[5] == ' '))
			return 1;
	return 0;
}

void
metrics_key_find(struct doc *doc)
{
	for (size_t i = 0; i < doc->nmetrics; i++) {
		struct metric *m = &doc->metrics[i];
		int ind = key_find_after(m->label);
		if (ind < 0 && i > 0 && doc->metrics[i - 1].sent_start == m->sent_start &&
		    doc->metrics[i - 1].key && key_is_bare(m->label))
			ind = key_find_index(doc->metrics[i - 1].key);
		/*
		 * A share of an amount is not the amount: 渔业增加值占生产总值的20.8%
		 * is no 生产总值, whatever its label says. Only an indicator that is
		 * itself a ratio (城镇化率) keys a share.
		 */
		if (ind >= 0 && m->measure == MEASURE_SHARE && !key_is_ratio(&indicators[ind]))
			ind = -1;
		m->key = ind >= 0 ? indicators[ind].key : NULL;
	}
}
