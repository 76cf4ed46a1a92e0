/*
 * metrics_xxgk.h - the statutory tables of a 政府信息公开 annual report,
 * flattened into the text, as cells.
 */
#ifndef RP_METRICS_XXGK_H
#define RP_METRICS_XXGK_H

#include "table_cells.h"

/* The statutory tables of a 政府信息公开 annual report flattened into the text. */
void metrics_xxgk_find(struct doc *doc, struct table_cells *c);

#endif
