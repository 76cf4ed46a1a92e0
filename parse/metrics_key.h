/*
 * metrics_key.h - a metric's key from its label, by the indicator dictionary
 * (common/indicators.h; shared/DESIGN.md, "What a figure means").
 */
#ifndef RP_METRICS_KEY_H
#define RP_METRICS_KEY_H

#include "doc.h"
#include "indicators.h"

#include <stddef.h>

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
