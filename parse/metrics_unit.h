/*
 * metrics_unit.h - the unit lexicon (parse/units.txt, compiled in as
 * build/gen/units.c by tools/embed-lexicon.sh) and matching of short word
 * lists against the text, for the metric rules.
 */
#ifndef RP_METRICS_UNIT_H
#define RP_METRICS_UNIT_H

#include "doc.h"

#include <stdint.h>
#include <uchar.h>

/* Flags of a unit; see the head of parse/units.txt. */
enum unit_flag {
	UNIT_CL = 1 << 0,     /* classifier: the noun it counts follows it */
	UNIT_ARABIC = 1 << 1, /* only after Arabic digits */
	UNIT_ONE = 1 << 2,    /* a bare 一 before it is still a quantity */
	UNIT_SPEC = 1 << 3,   /* a capacity that can rate a facility */
};

struct unit_entry {
	const char32_t *text; /* NUL-terminated */
	unsigned flags;
};

/* Sorted by code point, so entries sharing a first code point are adjacent. */
extern const struct unit_entry unit_lexicon[];
extern const size_t unit_lexicon_len;

/* Length in code points of the longest unit at t->cp[pos] (0: none); sets *flags. */
size_t unit_match(const struct text *t, size_t pos, unsigned *flags);

/* Length of word when t->cp[pos..] starts with it, else 0. */
size_t unit_word_at(const struct text *t, size_t pos, const char32_t *word);

/* Length of word when t->cp[..pos) ends with it, else 0. */
size_t unit_word_before(const struct text *t, size_t pos, const char32_t *word);

/* A word of a list, with its length so that most words are refused on one compare. */
struct word {
	const char32_t *text;
	size_t len;
};
#define W(lit)                                                                                     \
	{                                                                                          \
		lit, sizeof(lit) / sizeof(char32_t) - 1                                            \
	}

/*
 * The longest word of list (ended by {NULL, 0}) that starts at pos
 * (words_at) or ends at pos (words_before): its length, 0 when none; *which
 * gets its index when which is not NULL.
 */
size_t unit_words_at(const struct text *t, size_t pos, const struct word *list, int *which);
size_t unit_words_before(const struct text *t, size_t pos, const struct word *list, int *which);

/*
 * A filter of the first code points of some lists' words (bit c % 1024): a
 * position whose code point's bit is clear starts none of them. Filling it
 * once before a scan costs one pass over the lists instead of one per
 * position.
 */
struct word_filter {
	uint64_t bits[16];
};

void unit_filter_init(struct word_filter *f);
void unit_filter_add(struct word_filter *f, const struct word *list);

static inline int
unit_filter_may(const struct word_filter *f, uint32_t c)
{
	return (f->bits[(c >> 6) & 15] >> (c & 63)) & 1;
}

/*
 * Where the first word of list that lies wholly within [a, b) starts, or b
 * when none does (words_find); whether one does (words_in). *which gets its
 * index.
 */
size_t unit_words_find(const struct text *t, size_t a, size_t b, const struct word *list,
		       int *which);
int unit_words_in(const struct text *t, size_t a, size_t b, const struct word *list, int *which);

#endif
