/*
 * doc_json.h - the parsed document as JSON (shared/DESIGN.md) and as text.
 */
#ifndef RP_DOC_JSON_H
#define RP_DOC_JSON_H

#include "doc.h"

#include <json-c/json.h>
#include <stdio.h>

/* The document as a new JSON object (caller puts it). */
struct json_object *doc_to_json(const struct doc *doc);

/*
 * Write the document to fp as it goes, with no tree: the bytes json-c prints
 * doc_to_json()'s tree as (JSON_C_TO_STRING_PRETTY | NOSLASHESCAPE), then a
 * newline. Does not flush fp. 0, or -1 when a write fails.
 */
int doc_json_write(const struct doc *doc, FILE *fp);

/* A human-readable outline: metadata, section tree, metrics. Caller frees. */
char *doc_to_text(const struct doc *doc);

#endif
