/*
 * sections.c - numbered markers to a section tree.
 *
 * A marker counts only where a paragraph starts and where its numbering
 * continues the list it belongs to, so "1.5万" or a stray "2." inside a
 * sentence never opens a section. Must never special-case a document: every
 * rule here is about marker shapes and numbering.
 */
#include "sections.h"
#include "textclass.h"
#include "buf.h"
#include "cn_numeral.h"
#include "metrics_unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum style {
	ST_CN_DUN,     /* 一、 */
	ST_CN_FWPAREN, /* （一） */
	ST_CN_PAREN,   /* (一) */
	ST_AR_DOT,     /* 1. */
	ST_AR_FWDOT,   /* 1． */
	ST_AR_DUN,     /* 1、 */
	ST_AR_FWPAREN, /* （1） */
	ST_AR_PAREN,   /* (1) */
	ST_CIRCLED,    /* ① */
	ST_COUNT
};

/* Lines longer than this on average mean the text was flattened onto few lines. */
#define FLAT_LINE_LEN 400
#define MAX_DEPTH 16

struct marker {
	enum style style;
	int number;
	size_t len; /* code points of the marker itself */
};

/* Recognise a marker at cp[0..n); returns 0 and fills m, or -1. */
static int
marker_match(const uint32_t *cp, size_t n, struct marker *m)
{
	size_t k;
	int v;

	if (n == 0)
		return -1;
	if (cp[0] >= 0x2460 && cp[0] <= 0x2473) { /* ①..⑳ */
		m->style = ST_CIRCLED;
		m->number = (int)(cp[0] - 0x2460) + 1;
		m->len = 1;
		return 0;
	}
	if (cp[0] == 0xFF08 || cp[0] == '(') { /* （ or ( */
		int fw = cp[0] == 0xFF08;
		uint32_t close = fw ? 0xFF09 : ')';
		if ((v = cn_small_numeral(cp + 1, n - 1, &k)) > 0 && 1 + k < n &&
		    cp[1 + k] == close) {
			m->style = fw ? ST_CN_FWPAREN : ST_CN_PAREN;
		} else if ((v = text_digits(cp + 1, n - 1, 3, &k)) > 0 && 1 + k < n &&
			   cp[1 + k] == close) {
			m->style = fw ? ST_AR_FWPAREN : ST_AR_PAREN;
		} else {
			return -1;
		}
		m->number = v;
		m->len = k + 2;
		return 0;
	}
	if ((v = cn_small_numeral(cp, n, &k)) > 0) {
		if (k < n && cp[k] == 0x3001) { /* 、 */
			m->style = ST_CN_DUN;
			m->number = v;
			m->len = k + 1;
			return 0;
		}
		return -1;
	}
	if ((v = text_digits(cp, n, 3, &k)) > 0 && k < n) {
		if (cp[k] == '.' && !(k + 1 < n && text_is_digit(cp[k + 1])))
			m->style = ST_AR_DOT;
		else if (cp[k] == 0xFF0E && !(k + 1 < n && text_is_digit(cp[k + 1])))
			m->style = ST_AR_FWDOT;
		else if (cp[k] == 0x3001)
			m->style = ST_AR_DUN;
		else
			return -1;
		m->number = v;
		m->len = k + 1;
		return 0;
	}
	return -1;
}

static int
is_sentence_end(uint32_t c)
{
	return c == 0x3002 || c == 0xFF01 || c == 0xFF1F || c == 0xFF1B || c == 0xFF1A ||
	       c == ';' || c == '!' || c == '?' || c == ':';
}

static int
is_cn_style(enum style st)
{
	return st == ST_CN_DUN || st == ST_CN_FWPAREN || st == ST_CN_PAREN;
}

static int
is_arabic_style(enum style st)
{
	return st == ST_AR_DOT || st == ST_AR_FWDOT || st == ST_AR_DUN || st == ST_AR_FWPAREN ||
	       st == ST_AR_PAREN;
}

/* Where a marker may be taken (see sections_find). */
enum position {
	AT_PARAGRAPH,	  /* the start of a paragraph */
	AFTER_DIGITS,	  /* right after a flattened table's digits: Chinese markers only */
	GLUED_TO_HEADING, /* the first child, run into its parent's heading */
};

#define ROW_SCAN 200 /* how far a heading is searched for a table row's digits */

/*
 * A numbered label that runs straight into three or more digits, with no
 * punctuation between, is a row of a flattened table, not a heading -
 * unless the digits are a year or a quantity (followed by 年 or a unit).
 */
static int
is_table_row(const struct text *t, size_t from)
{
	size_t end = from + ROW_SCAN < t->len ? from + ROW_SCAN : t->len;
	for (size_t i = from; i < end; i++) {
		uint32_t c = t->cp[i];
		if (c == '\n' || c == 0x3002 || c == 0xFF0C || c == 0xFF1B || c == 0xFF1A ||
		    c == 0x3001 || c == 0xFF08 || c == '(' || c == ',' || c == ';')
			return 0;
		if (!text_is_digit(c))
			continue;
		size_t j = i;
		while (j < t->len && text_is_digit(t->cp[j]))
			j++;
		if (j - i < 3)
			return 0;
		unsigned flags;
		if (j < t->len && (t->cp[j] == 0x5E74 || unit_match(t, j, &flags) > 0))
			return 0; /* 2023年, 300起 */
		return 1;
	}
	return 0;
}

struct builder {
	struct doc *doc;
	int flat;
	int style_rank[ST_COUNT]; /* 0: not used yet; else the order of first use */
	int nstyles;
	int stack[MAX_DEPTH]; /* open sections, innermost last; ranks strictly increase */
	enum style style[MAX_DEPTH];
	int number[MAX_DEPTH];
	int depth;
	int root_children;
	int *children;	    /* per section */
	size_t *marker_end; /* per section: where its heading text starts */
	size_t cap;
};

/* Try to open a section at pos; returns the marker's length when taken, else 0. */
static size_t
builder_try(struct builder *b, size_t pos, enum position where)
{
	const struct text *t = &b->doc->text;
	struct marker m;

	if (marker_match(t->cp + pos, t->len - pos, &m) < 0)
		return 0;
	if (pos > 0 && t->cp[pos - 1] == 0x7B2C) /* 第（一）项: an ordinal reference */
		return 0;
	if (is_arabic_style(m.style) && pos > 0 && text_is_digit(t->cp[pos - 1]))
		return 0; /* part of a number */
	if (where == AFTER_DIGITS && !is_cn_style(m.style))
		return 0;
	/* a marker followed by nothing on its line heads nothing */
	if (pos + m.len >= t->len || t->cp[pos + m.len] == '\n')
		return 0;
	if (is_table_row(t, pos + m.len))
		return 0;

	int rank = b->style_rank[m.style], open = -1;
	for (int i = 0; i < b->depth; i++)
		if (b->style[i] == m.style)
			open = i;
	if (where == GLUED_TO_HEADING && (open >= 0 || m.number != 1))
		return 0;
	if (open >= 0 ? m.number != b->number[open] + 1 : m.number != 1)
		return 0;
	if (rank == 0)
		rank = b->style_rank[m.style] = ++b->nstyles;

	/* close every open section of this rank or deeper */
	struct doc *doc = b->doc;
	while (b->depth > 0 && b->style_rank[b->style[b->depth - 1]] >= rank) {
		doc->sections[b->stack[b->depth - 1]].end = pos;
		b->depth--;
	}
	if (b->depth >= MAX_DEPTH)
		return 0;

	if (doc->nsections == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 32;
		doc->sections = xreallocarray(doc->sections, b->cap, sizeof(*doc->sections));
		b->children = xreallocarray(b->children, b->cap, sizeof(int));
		b->marker_end = xreallocarray(b->marker_end, b->cap, sizeof(size_t));
	}
	int idx = (int)doc->nsections++;
	struct section *s = &doc->sections[idx];
	memset(s, 0, sizeof(*s));
	b->children[idx] = 0;
	b->marker_end[idx] = pos + m.len;
	s->start = pos;
	s->end = t->len;
	s->parent = b->depth ? b->stack[b->depth - 1] : -1;
	s->level = s->parent >= 0 ? doc->sections[s->parent].level + 1 : 1;
	int nth = s->parent >= 0 ? ++b->children[s->parent] : ++b->root_children;
	int w = s->parent >= 0 ? snprintf(s->path, sizeof(s->path), "%s.%d",
					  doc->sections[s->parent].path, nth)
			       : snprintf(s->path, sizeof(s->path), "%d", nth);
	if (w < 0 || (size_t)w >= sizeof(s->path)) /* MAX_DEPTH bounds this; stay safe anyway */
		s->path[sizeof(s->path) - 1] = '\0';
	char *mk = text_utf8(t, pos, pos + m.len);
	snprintf(s->marker, sizeof(s->marker), "%s", mk);
	free(mk);

	b->stack[b->depth] = idx;
	b->style[b->depth] = m.style;
	b->number[b->depth] = m.number;
	b->depth++;
	return m.len;
}

/*
 * Headings, once every section is known: the text after the marker up to
 * the first 。 or the end of the line, cut short where the next section
 * starts (flattened text runs a heading into its first child).
 */
static void
sections_headings(struct builder *b)
{
	struct doc *doc = b->doc;
	const struct text *t = &doc->text;
	for (size_t k = 0; k < doc->nsections; k++) {
		size_t i = b->marker_end[k];
		while (i < t->len && text_is_space(t->cp[i]))
			i++;
		size_t start = i;
		size_t limit = k + 1 < doc->nsections ? doc->sections[k + 1].start : t->len;
		while (i < limit && t->cp[i] != '\n' && t->cp[i] != 0x3002)
			i++;
		size_t end = i;
		while (end > start && text_is_space(t->cp[end - 1]))
			end--;
		doc->sections[k].heading = text_utf8(t, start, end);
	}
}

/* The end of a glued child's window: the heading's first 。, digit or line end. */
static size_t
glue_limit_from(const struct text *t, size_t from)
{
	size_t i = from;
	while (i < t->len && t->cp[i] != 0x3002 && t->cp[i] != '\n' && !text_is_digit(t->cp[i]))
		i++;
	return i;
}

/*
 * A marker is taken at the start of a paragraph: a line, or in a text
 * flattened onto few lines, also after whitespace or a sentence's end. In
 * flattened text two more places count, because the flattening removed the
 * line break before them: right after a table's digits (Chinese markers
 * only), and the first child run straight into its parent's heading.
 */
size_t
sections_find(struct doc *doc)
{
	const struct text *t = &doc->text;
	struct builder b = {.doc = doc};
	size_t lines = 1;

	for (size_t i = 0; i < t->len; i++)
		lines += t->cp[i] == '\n';
	b.flat = t->len / lines > FLAT_LINE_LEN;

	int para_start = 1, glued = 0;
	size_t glue_limit = 0;
	for (size_t i = 0; i < t->len; i++) {
		uint32_t c = t->cp[i];
		if (c == '\n') {
			para_start = 1;
			glued = 0;
			continue;
		}
		if (text_is_space(c)) {
			if (b.flat)
				para_start = 1;
			continue;
		}
		size_t taken = 0;
		if (para_start)
			taken = builder_try(&b, i, AT_PARAGRAPH);
		else if (b.flat && i > 0 && text_is_digit(t->cp[i - 1]))
			taken = builder_try(&b, i, AFTER_DIGITS);
		if (!taken && glued && i <= glue_limit)
			taken = builder_try(&b, i, GLUED_TO_HEADING);
		if (taken) {
			glued = b.flat;
			glue_limit = glue_limit_from(t, i + taken);
			i += taken - 1;
			para_start = 0;
			continue;
		}
		if (i >= glue_limit)
			glued = 0;
		para_start = b.flat && is_sentence_end(c);
	}
	sections_headings(&b);
	free(b.children);
	free(b.marker_end);
	return doc->nsections;
}

int
sections_at(const struct doc *doc, size_t pos)
{
	size_t lo = 0, hi = doc->nsections;

	/* the last section starting at or before pos, then up to the one containing pos */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (doc->sections[mid].start <= pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	int i = (int)lo - 1;
	while (i >= 0 && pos >= doc->sections[i].end)
		i = doc->sections[i].parent;
	return i;
}
