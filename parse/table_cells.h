/*
 * table_cells.h - the cells of data tables as they are found, before they
 * become a document's metrics: the grids of metrics_table.c and the
 * statutory tables of metrics_xxgk.c both add to one of these.
 */
#ifndef RP_TABLE_CELLS_H
#define RP_TABLE_CELLS_H

#include "doc.h"

/* The cells found so far, and the spans of text the tables cover. */
struct table_cells {
	struct metric *m;
	size_t n, cap;
	size_t *span; /* start, end pairs: text that is table, not sentences */
	size_t nspan, capspan;
};

/*
 * Add one cell: its number is text[start, end), its row text[row_start,
 * row_end); label is taken over (owned), unit copied.
 */
void table_cell_add(struct doc *doc, struct table_cells *c, size_t start, size_t end,
		    size_t row_start, size_t row_end, double value, const char *unit, char *label,
		    enum measure measure, int year);

/* Record that text[start, end) is a table. */
void table_span_add(struct table_cells *c, size_t start, size_t end);

#endif
