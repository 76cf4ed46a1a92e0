/*
 * metrics_key.c - a metric's key: the canonical name of the indicator its
 * label names, from the dictionary in parser/indicators.txt.
 *
 * The words it trims and the names it knows are data (indicators.txt), not
 * code. Must never give a key for a name found in the middle of a label, nor
 * guess from a part of a name: a wrong key merges two indicators in SQL, a
 * missing one only leaves a figure out.
 */
#include "metrics_key.h"

#include <string.h>

#define KEY_ROUNDS 8 /* lead words trimmed at most */

/* Bytes of the UTF-8 sequence starting with byte c. */
static size_t
key_seqlen(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xF0)
		return 4;
	if (c >= 0xE0)
		return 3;
	return 2;
}

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
key_word_at(const char *s, size_t n, const char *const *list)
{
	size_t best = key_year_at(s, n);
	if (n > 0 && (s[0] == ' ' || s[0] == '\t'))
		best = best > 1 ? best : 1;
	for (const char *const *w = list; *w; w++) {
		size_t k = strlen(*w);
		if (k > best && k <= n && memcmp(s, *w, k) == 0)
			best = k;
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

/* The indicator whose name is exactly s[0..n), or -1. */
static int
key_find_name(const char *s, size_t n)
{
	size_t lo = 0, hi = indicator_names_len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *name = indicator_names[mid].name;
		size_t k = strlen(name);
		int c = memcmp(name, s, k < n ? k : n);
		if (c == 0)
			c = k < n ? -1 : k > n;
		if (c == 0)
			return indicator_names[mid].indicator;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* The indicator whose name starts s with only tail words after it; the longest wins. */
static int
key_match(const char *s, size_t n)
{
	size_t ends[64], nend = 0;
	for (size_t i = 0; i < n && nend < 64;) {
		i += key_seqlen((unsigned char)s[i]);
		ends[nend++] = i > n ? n : i;
	}
	while (nend-- > 0) {
		int ind = key_find_name(s, ends[nend]);
		if (ind >= 0 && key_all_tail(s + ends[nend], n - ends[nend]))
			return ind;
	}
	return -1;
}

const char *
metrics_key_lookup(const char *label)
{
	if (label == NULL)
		return NULL;
	const char *s = label;
	size_t n = strlen(label);
	for (int round = 0; round <= KEY_ROUNDS && n > 0; round++) {
		int ind = key_match(s, n);
		if (ind >= 0)
			return indicators[ind].key;
		size_t k = key_word_at(s, n, indicator_lead);
		if (k == 0)
			break;
		s += k;
		n -= k;
	}
	return NULL;
}

void
metrics_key_find(struct doc *doc)
{
	for (size_t i = 0; i < doc->nmetrics; i++)
		doc->metrics[i].key = metrics_key_lookup(doc->metrics[i].label);
}
