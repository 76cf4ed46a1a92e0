/*
 * metrics_table.h - the cells of a report's data tables as metrics, whose
 * label is the row heading and the column heading, with the unit from the
 * header (shared/DESIGN.md, "What a figure means").
 */
#ifndef RP_METRICS_TABLE_H
#define RP_METRICS_TABLE_H

#include "doc.h"

/*
 * Find the data tables of doc->text (tables written as lines of
 * tab-separated cells, as the HTML and DOCX readers write them, and the
 * statutory tables of a 政府信息公开 annual report flattened into the text)
 * and add their cells to doc->metrics, in place of any sentence metric
 * found inside a table. Call after metrics_find(). Returns the cells added.
 */
size_t metrics_table_find(struct doc *doc);

#endif
