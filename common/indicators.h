/*
 * indicators.h - the indicator dictionary as compiled in: parser/indicators.txt,
 * embedded as build/gen/indicators.c by tools/embed-indicators.sh. Data that
 * the parser (metrics_key.c: a metric's key) and the sink (the indicators
 * table) share; it knows neither.
 */
#ifndef RP_INDICATORS_H
#define RP_INDICATORS_H

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

#endif
