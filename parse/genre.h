/*
 * genre.h - what kind of report a document is (shared/DESIGN.md, "What a
 * figure means"): one of the four genres the project compares, or 其他.
 */
#ifndef RP_GENRE_H
#define RP_GENRE_H

#include "doc.h"

#define GENRE_FAZHI "法治政府建设报告"
#define GENRE_XXGK "政府信息公开年度报告"
#define GENRE_TJGB "统计公报"
#define GENRE_ZFGZBG "政府工作报告"
#define GENRE_OTHER "其他"

/* Set doc->genre (a static string) from its title, else from its text. */
void genre_find(struct doc *doc);

#endif
