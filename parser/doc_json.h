/*
 * doc_json.h - the parsed document as JSON (shared/DESIGN.md) and as text.
 */
#ifndef RP_DOC_JSON_H
#define RP_DOC_JSON_H

#include "doc.h"

#include <json-c/json.h>

/* The document as a new JSON object (caller puts it). */
struct json_object *doc_to_json(const struct doc *doc);

/* A human-readable outline: metadata, section tree, metrics. Caller frees. */
char *doc_to_text(const struct doc *doc);

#endif
