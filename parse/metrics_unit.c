/*
 * metrics_unit.c - lookups in the compiled-in unit lexicon and in the short
 * word lists of the metric rules.
 *
 * Runs only where a number was found, so it may compare a few words, but it
 * must never allocate or keep state: parses run in parallel.
 */
#include "metrics_unit.h"

#include <string.h>

size_t
unit_word_at(const struct text *t, size_t pos, const char32_t *word)
{
	size_t k = 0;

	while (word[k] != 0) {
		if (pos + k >= t->len || t->cp[pos + k] != word[k])
			return 0;
		k++;
	}
	return k;
}

size_t
unit_word_before(const struct text *t, size_t pos, const char32_t *word)
{
	size_t n = 0;

	while (word[n] != 0)
		n++;
	if (n == 0 || n > pos || pos > t->len || t->cp[pos - 1] != word[n - 1])
		return 0;
	for (size_t k = 0; k < n; k++)
		if (t->cp[pos - n + k] != word[k])
			return 0;
	return n;
}

static int
same(const uint32_t *cp, const char32_t *w, size_t len)
{
	for (size_t k = 0; k < len; k++)
		if (cp[k] != w[k])
			return 0;
	return 1;
}

size_t
unit_words_at(const struct text *t, size_t pos, const struct word *list, int *which)
{
	size_t best = 0;

	if (pos >= t->len)
		return 0;
	for (int i = 0; list[i].text != NULL; i++) {
		const struct word *w = &list[i];
		if (w->text[0] != t->cp[pos] || w->len <= best || w->len > t->len - pos ||
		    !same(t->cp + pos, w->text, w->len))
			continue;
		best = w->len;
		if (which)
			*which = i;
	}
	return best;
}

size_t
unit_words_before(const struct text *t, size_t pos, const struct word *list, int *which)
{
	size_t best = 0;

	if (pos == 0 || pos > t->len)
		return 0;
	for (int i = 0; list[i].text != NULL; i++) {
		const struct word *w = &list[i];
		if (w->len > pos || w->len <= best || w->text[w->len - 1] != t->cp[pos - 1] ||
		    !same(t->cp + pos - w->len, w->text, w->len))
			continue;
		best = w->len;
		if (which)
			*which = i;
	}
	return best;
}

void
unit_filter_init(struct word_filter *f)
{
	memset(f, 0, sizeof(*f));
}

void
unit_filter_add(struct word_filter *f, const struct word *list)
{
	for (int i = 0; list[i].text != NULL; i++) {
		uint32_t c = list[i].text[0];
		f->bits[(c >> 6) & 15] |= (uint64_t)1 << (c & 63);
	}
}

size_t
unit_words_find(const struct text *t, size_t a, size_t b, const struct word *list, int *which)
{
	const struct text in = {t->cp, b < t->len ? b : t->len};
	struct word_filter f;

	unit_filter_init(&f);
	unit_filter_add(&f, list);
	for (size_t i = a; i < in.len; i++)
		if (unit_filter_may(&f, in.cp[i]) && unit_words_at(&in, i, list, which))
			return i;
	return b;
}

int
unit_words_in(const struct text *t, size_t a, size_t b, const struct word *list, int *which)
{
	return unit_words_find(t, a, b, list, which) < b;
}

size_t
unit_match(const struct text *t, size_t pos, unsigned *flags)
{
	size_t lo = 0, hi = unit_lexicon_len, best = 0, n;

	if (pos >= t->len)
		return 0;
	uint32_t c = t->cp[pos];
	/* first entry whose first code point is not below c */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (unit_lexicon[mid].text[0] < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < unit_lexicon_len && unit_lexicon[i].text[0] == c; i++) {
		if ((n = unit_word_at(t, pos, unit_lexicon[i].text)) > best) {
			best = n;
			*flags = unit_lexicon[i].flags;
		}
	}
	return best;
}
