/*
 * metrics.h - quantities stated in a report, with unit, qualifier and label.
 */
#ifndef RP_METRICS_H
#define RP_METRICS_H

#include "doc.h"

/*
 * Find the metrics of doc->text and fill doc->metrics, each tied to the
 * innermost section containing it (doc->sections must be found first).
 * Returns the number found.
 */
size_t metrics_find(struct doc *doc);

#endif
