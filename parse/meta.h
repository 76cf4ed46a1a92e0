/*
 * meta.h - title, issuer, report year and publication date.
 */
#ifndef RP_META_H
#define RP_META_H

#include "doc.h"

/* Fill doc->title, issuer, report_year and published_on from doc->text. */
void meta_find(struct doc *doc);

/* The first year a title writes (19xx年 or 20xx年, not inside a longer number); 0 when none. */
int meta_title_year(const char *title);

/*
 * Give a document that has no title one made from its genre, issuer or
 * place and year (see meta.c); after genre_find and region_find.
 */
void meta_title_made(struct doc *doc);

/*
 * Parse a date at cp[0..n): 2020年12月18日, 2020-12-18, 2020/12/18, 2020.12.18 or
 * 二〇二〇年十二月十八日. Returns the code points used (0: none) and writes
 * "YYYY-MM-DD" to out.
 */
size_t meta_date_at(const uint32_t *cp, size_t n, char out[11]);

#endif
