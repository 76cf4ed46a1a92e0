/*
 * region.h - the place a report speaks for (shared/DESIGN.md, "What a figure
 * means"), from the NBS division table (parse/divisions.txt, compiled in as
 * build/gen/divisions.c by tools/embed-divisions.sh).
 */
#ifndef RP_REGION_H
#define RP_REGION_H

#include "doc.h"

#include <stddef.h>

#define REGION_NATION_CODE "000000"
#define REGION_NATION_NAME "全国"

struct division {
	const char *code; /* six digits */
	const char *name; /* as the NBS writes it: 韶关市 */
	int level;	  /* 1 province, 2 prefecture, 3 county */
};

struct division_name {
	const char *name; /* full or short (韶关) */
	int division;	  /* index into divisions */
};

extern const struct division divisions[]; /* by code */
extern const size_t divisions_len;
extern const struct division_name division_names[]; /* sorted by UTF-8 bytes */
extern const size_t division_names_len;

/*
 * Set doc->region_code and region_name: the issuer's place (a department
 * speaks for the place it governs), else the title's, else the place the
 * opening of the text names most. The State Council's reports are 全国
 * (000000). Leaves them empty when no place is named.
 */
void region_find(struct doc *doc);

/*
 * The place named at the start of s (n bytes): the division's index, or -1;
 * *used gets the bytes of the name as written, with a place-type suffix
 * after a short name (平潭 + 综合实验区). parent, when >= 0, is preferred
 * among places of the same name when the place lies within it.
 */
int region_name_at(const char *s, size_t n, int parent, size_t *used);

#endif
