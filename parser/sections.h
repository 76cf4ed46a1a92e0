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

/*
 * Value of the Chinese numeral (一..九十九, 〇, 两) at cp[0..n); sets *used to
 * the code points consumed. Returns -1 when there is none.
 */
int cn_small_numeral(const uint32_t *cp, size_t n, size_t *used);

/* Index of the section (innermost) that contains offset pos, or -1. */
int sections_at(const struct doc *doc, size_t pos);

#endif
