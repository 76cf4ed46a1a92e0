/*
 * table_cells.c - growing a table_cells, and placing a cell in its section.
 */
#include "table_cells.h"
#include "buf.h"
#include "sections.h"

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
	m->section = sections_at(doc, start);
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
