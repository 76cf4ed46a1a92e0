/*
 * metrics_meaning.h - what each metric measures, whether it is a goal and
 * which year it is about (shared/DESIGN.md, "What a figure means").
 */
#ifndef RP_METRICS_MEANING_H
#define RP_METRICS_MEANING_H

#include "doc.h"

/*
 * Set measure, target and year of every metric of doc, and make the value
 * of a change or growth negative for a fall. doc->metrics must be found
 * (with their sentences) and doc->report_year and doc->title set.
 */
void meaning_find(struct doc *doc);

#endif
