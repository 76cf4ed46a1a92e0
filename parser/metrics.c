/*
 * metrics.c - placeholder: metric extraction lands with the parser issue.
 * Until then a document carries sections and metadata but no metrics.
 */
#include "metrics.h"

size_t
metrics_find(struct doc *doc)
{
	(void)doc;
	return 0;
}
