/*
 * sections.h - the section tree from numbered markers.
 */
#ifndef RP_SECTIONS_H
#define RP_SECTIONS_H

#include "doc.h"

/*
 * Find the sections of doc->text and fill doc->sections (DESIGN.md rules:
 * levels by first use of a marker style, numbering must continue, markers
 * only at the start of a paragraph). A text without markers gets no
 * sections; doc->sections stays empty. Returns the number found.
 */
size_t sections_find(struct doc *doc);

/* Index of the section (innermost) that contains offset pos, or -1. */
int sections_at(const struct doc *doc, size_t pos);

#endif
