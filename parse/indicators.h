/*
 * indicators.h - the indicator dictionary as compiled in: parse/indicators.txt,
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

/* A key or alias, its length in bytes, and the index of its indicator. */
struct indicator_name {
	const char *name;
	size_t len;
	int indicator;
};

/* A word of the @lead or @tail lists, with its length in bytes. */
struct indicator_word {
	const char *text;
	size_t len;
};

extern const struct indicator indicators[]; /* in file order */
extern const size_t indicators_len;
extern const struct indicator_name indicator_names[]; /* sorted by UTF-8 bytes */
extern const size_t indicator_names_len;
extern const struct indicator_word indicator_lead[]; /* ended by {NULL, 0} */
extern const struct indicator_word indicator_tail[]; /* ended by {NULL, 0} */
/* words after which a subject may begin (中央提出今年经济增长): ended by {NULL, 0} */
extern const struct indicator_word indicator_after[];

#endif
