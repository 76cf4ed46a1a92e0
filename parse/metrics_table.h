/*
 * metrics_table.h - the cells of a report's data tables as metrics, whose
 * label is the row heading and the column heading, with the unit from the
 * header (shared/DESIGN.md, "What a figure means").
 */
#ifndef RP_METRICS_TABLE_H
#define RP_METRICS_TABLE_H

#include "doc.h"

/* The cells found so far, and the spans of text the tables cover. */
struct table_cells {
	struct metric *m;
	size_t n, cap;
	size_t *span; /* start, end pairs: text that is table, not sentences */
	size_t nspan, capspan;
};

/*
 * Find the data tables of doc->text (tables written as lines of
 * tab-separated cells, as the HTML and DOCX readers write them, and the
 * statutory tables of a 政府信息公开 annual report flattened into the text)
 * and add their cells to doc->metrics, in place of any sentence metric
 * found inside a table. Call after metrics_find(). Returns the cells added.
 */
size_t metrics_table_find(struct doc *doc);

/*
 * Add one cell: its number is text[start, end), its row text[row_start,
 * row_end); label is taken over (owned), unit copied.
 */
void table_cell_add(struct doc *doc, struct table_cells *c, size_t start, size_t end,
		    size_t row_start, size_t row_end, double value, const char *unit, char *label,
		    enum measure measure, int year);

/* Record that text[start, end) is a table. */
void table_span_add(struct table_cells *c, size_t start, size_t end);

/* The statutory tables of a 政府信息公开 annual report flattened into the text (metrics_xxgk.c). */
void metrics_xxgk_find(struct doc *doc, struct table_cells *c);

#endif
