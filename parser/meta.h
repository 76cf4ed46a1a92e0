/*
 * meta.h - title, issuer, report year and publication date.
 */
#ifndef RP_META_H
#define RP_META_H

#include "doc.h"

/* Fill doc->title, issuer, report_year and published_on from doc->text. */
void meta_find(struct doc *doc);

/*
 * Parse a date at cp[0..n): 2020年12月18日, 2020-12-18, 2020/12/18, 2020.12.18 or
 * 二〇二〇年十二月十八日. Returns the code points used (0: none) and writes
 * "YYYY-MM-DD" to out.
 */
size_t meta_date_at(const uint32_t *cp, size_t n, char out[11]);

#endif
