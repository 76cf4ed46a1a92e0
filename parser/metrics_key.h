/*
 * metrics_key.h - the indicator dictionary (parser/indicators.txt, compiled
 * in as build/gen/indicators.c by tools/embed-indicators.sh) and the lookup
 * of a metric's key from its label (shared/DESIGN.md, "What a figure means").
 */
#ifndef RP_METRICS_KEY_H
#define RP_METRICS_KEY_H

#include "doc.h"

#include <stddef.h>

/* One indicator; the lists are space-separated, "" when empty. */
struct indicator {
	const char *key;
	const char *aliases;
	const char *measures; /* of level change growth share */
	const char *units;
};

/* A key or alias, and the index of its indicator. */
struct indicator_name {
	const char *name;
	int indicator;
};

extern const struct indicator indicators[]; /* in file order */
extern const size_t indicators_len;
extern const struct indicator_name indicator_names[]; /* sorted by UTF-8 bytes */
extern const size_t indicator_names_len;
extern const char *const indicator_lead[]; /* NULL-terminated */
extern const char *const indicator_tail[]; /* NULL-terminated */

/*
 * The key of the indicator label names, or NULL. The key is static (it
 * belongs to the dictionary). A label names an indicator when, after scope,
 * time and verb words are trimmed from its start, it begins with a key or an
 * alias followed by nothing but words such as 增长 or 目标: a name found
 * inside a longer one (生产总值 in 第一产业增加值) does not count.
 */
const char *metrics_key_lookup(const char *label);

/* Set every metric's key from its label. */
void metrics_key_find(struct doc *doc);

#endif
