/*
 * doc_json_walk.h - the one description of the parsed document's JSON
 * fields (shared/DESIGN.md), walked through a writer's callbacks.
 *
 * doc_to_json() (a json-c tree, for the parser-to-sink message) and
 * doc_json_write() (streamed, for `reportpipe parse --format json`) both
 * walk it, so their keys, order and values cannot drift apart. Internal to
 * parse/: nothing outside doc_json*.c includes it.
 */
#ifndef RP_DOC_JSON_WALK_H
#define RP_DOC_JSON_WALK_H

#include "doc.h"

#include <stddef.h>
#include <stdint.h>

/*
 * A JSON writer. key is the member's name inside an object, NULL for an
 * array element or the top value. A NULL string is JSON null.
 */
struct doc_json_ops {
	/* open an object (array 0) or an array; n: how many elements, a hint */
	void (*begin)(void *ctx, const char *key, int array, size_t n);
	void (*end)(void *ctx, int array);
	void (*str)(void *ctx, const char *key, const char *s);
	/* text[start, end) as a UTF-8 string; a U+0000 ends it, as it ends a C string */
	void (*text)(void *ctx, const char *key, const struct text *t, size_t start, size_t end);
	void (*int64)(void *ctx, const char *key, int64_t v);
	/* a number that is no small integer; repr: how it is written ("%.15g") */
	void (*real)(void *ctx, const char *key, double v, const char *repr);
	void (*boolean)(void *ctx, const char *key, int v);
};

/* Walk doc's fields, in the document's key order, through ops. */
void doc_json_walk(const struct doc *doc, const struct doc_json_ops *ops, void *ctx);

#endif
