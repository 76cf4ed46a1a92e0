/*
 * table_cells.c - growing a table_cells, and placing a cell in its section.
 */
#include "table_cells.h"
#include "buf.h"

#include <string.h>

void
table_span_add(struct table_cells *c, size_t start, size_t end)
{
	if (c->nspan + 2 > c->capspan) {
		c->capspan = c->capspan ? c->capspan * 2 : 16;
		c->span = xreallocarray(c->span, c->capspan, sizeof(size_t));
	}
	c->span[c->nspan++] = start;
	c->span[c->nspan++] = end;
}

/* The innermost section holding pos, or -1: the last to start at or before it, or its parent. */
static int
tb_section_at(const struct doc *doc, size_t pos)
{
	size_t lo = 0, hi = doc->nsections;
	while (lo < hi) { /* sections are in the order they start */
		size_t mid = lo + (hi - lo) / 2;
		if (doc->sections[mid].start <= pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	int i = (int)lo - 1;
	while (i >= 0 && doc->sections[i].end <= pos)
		i = doc->sections[i].parent;
	return i;
}

void
table_cell_add(struct doc *doc, struct table_cells *c, size_t start, size_t end, size_t row_start,
	       size_t row_end, double value, const char *unit, char *label, enum measure measure,
	       int year)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 32;
		c->m = xreallocarray(c->m, c->cap, sizeof(struct metric));
	}
	struct metric *m = &c->m[c->n++];
	memset(m, 0, sizeof(*m));
	m->section = tb_section_at(doc, start);
	m->label = label;
	m->value = value;
	m->unit = xstrdup(unit);
	m->qualifier = QUAL_NONE;
	m->measure = measure;
	m->year = year;
	m->start = start;
	m->end = end;
	m->sent_start = row_start;
	m->sent_end = row_end;
}
