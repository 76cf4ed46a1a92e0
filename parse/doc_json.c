/*
 * doc_json.c - serialise a parsed document: the JSON fields described once
 * (doc_json_walk), a json-c tree of them, and a readable outline.
 *
 * The JSON is the contract with the sink and the scorer: key names and types
 * follow shared/DESIGN.md exactly; unknown values are null, never omitted.
 * A field is added in doc_json_walk() and nowhere else, so that the tree and
 * the streamed writer (doc_json_stream.c) never disagree.
 */
#include "doc_json.h"
#include "buf.h"
#include "doc_json_walk.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* A metric's value: an integer when it is one, else as "%.15g" writes it. */
static void
doc_json_number(const struct doc_json_ops *ops, void *ctx, const char *key, double v)
{
	char repr[64];
	if (fabs(v) < 9e15 && v == floor(v)) {
		ops->int64(ctx, key, (int64_t)v);
		return;
	}
	snprintf(repr, sizeof(repr), "%.15g", v);
	ops->real(ctx, key, v, repr);
}

/* A year or similar where 0 means unknown: null then. */
static void
doc_json_int_or_null(const struct doc_json_ops *ops, void *ctx, const char *key, int v)
{
	if (v)
		ops->int64(ctx, key, v);
	else
		ops->str(ctx, key, NULL);
}

void
doc_json_walk(const struct doc *doc, const struct doc_json_ops *ops, void *ctx)
{
	const struct text *t = &doc->text;

	ops->begin(ctx, NULL, 0, 0);
	ops->str(ctx, "url", doc->url);
	ops->str(ctx, "sha256", doc->sha256);
	ops->str(ctx, "content_type", doc->content_type);
	ops->str(ctx, "charset", doc->charset);
	ops->int64(ctx, "parser_version", PARSER_VERSION);
	ops->str(ctx, "title", doc->title);
	ops->str(ctx, "issuer", doc->issuer);
	doc_json_int_or_null(ops, ctx, "report_year", doc->report_year);
	ops->str(ctx, "published_on", doc->published_on[0] ? doc->published_on : NULL);
	ops->str(ctx, "genre", doc->genre);
	ops->str(ctx, "region_code", doc->region_code[0] ? doc->region_code : NULL);
	ops->str(ctx, "region_name", doc->region_name);
	ops->text(ctx, "text", t, 0, t->len);

	ops->begin(ctx, "sections", 1, doc->nsections);
	for (size_t i = 0; i < doc->nsections; i++) {
		const struct section *s = &doc->sections[i];
		ops->begin(ctx, NULL, 0, 0);
		ops->str(ctx, "path", s->path);
		ops->int64(ctx, "level", s->level);
		ops->str(ctx, "marker", s->marker);
		ops->str(ctx, "heading", s->heading);
		ops->int64(ctx, "start", (int64_t)s->start);
		ops->int64(ctx, "end", (int64_t)s->end);
		ops->end(ctx, 0);
	}
	ops->end(ctx, 1);

	ops->begin(ctx, "metrics", 1, doc->nmetrics);
	for (size_t i = 0; i < doc->nmetrics; i++) {
		const struct metric *m = &doc->metrics[i];
		ops->begin(ctx, NULL, 0, 0);
		ops->str(ctx, "section_path",
			 m->section >= 0 ? doc->sections[m->section].path : NULL);
		ops->str(ctx, "label", m->label);
		doc_json_number(ops, ctx, "value", m->value);
		ops->str(ctx, "unit", m->unit);
		ops->str(ctx, "qualifier", qualifier_name(m->qualifier));
		ops->str(ctx, "measure", measure_name(m->measure));
		ops->boolean(ctx, "target", m->target);
		doc_json_int_or_null(ops, ctx, "year", m->year);
		ops->str(ctx, "key", m->key);
		ops->text(ctx, "text", t, m->start, m->end);
		ops->text(ctx, "sentence", t, m->sent_start, m->sent_end);
		ops->int64(ctx, "start", (int64_t)m->start);
		ops->int64(ctx, "end", (int64_t)m->end);
		/* where the sentence stands, so that the sink stores it as offsets */
		ops->int64(ctx, "sentence_start", (int64_t)m->sent_start);
		ops->int64(ctx, "sentence_end", (int64_t)m->sent_end);
		ops->end(ctx, 0);
	}
	ops->end(ctx, 1);

	ops->begin(ctx, "warnings", 1, doc->nwarnings);
	for (size_t i = 0; i < doc->nwarnings; i++)
		ops->str(ctx, NULL, doc->warnings[i]);
	ops->end(ctx, 1);
	ops->end(ctx, 0);
}

/* --- the walk as a json-c tree ------------------------------------------- */

#define TREE_DEPTH 8 /* the document nests three deep */

struct tree {
	struct json_object *root;
	struct json_object *open[TREE_DEPTH]; /* borrowed: each is owned by its parent */
	int depth;
};

/* Hand v (owned) to the innermost open container, or make it the root. */
static void
tree_add(struct tree *tr, const char *key, struct json_object *v)
{
	if (tr->depth == 0) {
		assert(tr->root == NULL);
		tr->root = v;
		return;
	}
	struct json_object *parent = tr->open[tr->depth - 1];
	if (key)
		json_object_object_add(parent, key, v);
	else
		json_object_array_add(parent, v);
}

static void
tree_begin(void *ctx, const char *key, int array, size_t n)
{
	struct tree *tr = ctx;
	struct json_object *v =
	    array ? json_object_new_array_ext((int)n) : json_object_new_object();
	assert(tr->depth < TREE_DEPTH);
	tree_add(tr, key, v);
	tr->open[tr->depth++] = v;
}

static void
tree_end(void *ctx, int array)
{
	struct tree *tr = ctx;
	(void)array;
	assert(tr->depth > 0);
	tr->depth--;
}

static void
tree_str(void *ctx, const char *key, const char *s)
{
	tree_add(ctx, key, s ? json_object_new_string(s) : NULL);
}

static void
tree_text(void *ctx, const char *key, const struct text *t, size_t start, size_t end)
{
	char *s = text_utf8(t, start, end);
	tree_add(ctx, key, json_object_new_string(s)); /* strlen: a U+0000 ends it */
	free(s);
}

static void
tree_int64(void *ctx, const char *key, int64_t v)
{
	tree_add(ctx, key, json_object_new_int64(v));
}

static void
tree_real(void *ctx, const char *key, double v, const char *repr)
{
	tree_add(ctx, key, json_object_new_double_s(v, repr));
}

static void
tree_boolean(void *ctx, const char *key, int v)
{
	tree_add(ctx, key, json_object_new_boolean(v));
}

static const struct doc_json_ops tree_ops = {
    tree_begin, tree_end, tree_str, tree_text, tree_int64, tree_real, tree_boolean,
};

struct json_object *
doc_to_json(const struct doc *doc)
{
	struct tree tr = {0};
	doc_json_walk(doc, &tree_ops, &tr);
	assert(tr.depth == 0);
	return tr.root;
}

char *
doc_to_text(const struct doc *doc)
{
	struct buf b = {0};
	const struct text *t = &doc->text;

	buf_printf(&b, "title:        %s\n", doc->title ? doc->title : "(none)");
	buf_printf(&b, "issuer:       %s\n", doc->issuer ? doc->issuer : "(none)");
	if (doc->report_year)
		buf_printf(&b, "report year:  %d\n", doc->report_year);
	else
		buf_puts(&b, "report year:  (none)\n");
	buf_printf(&b, "published on: %s\n", doc->published_on[0] ? doc->published_on : "(none)");
	buf_printf(&b, "genre:        %s\n", doc->genre ? doc->genre : "(none)");
	buf_printf(&b, "region:       %s %s\n", doc->region_code[0] ? doc->region_code : "(none)",
		   doc->region_name ? doc->region_name : "");
	buf_printf(&b, "charset:      %s\n", doc->charset ? doc->charset : "(none)");
	buf_printf(&b, "\nsections (%zu):\n", doc->nsections);
	for (size_t i = 0; i < doc->nsections; i++) {
		const struct section *s = &doc->sections[i];
		buf_printf(&b, "%*s%-8s %s%s\n", 2 * (s->level - 1), "", s->path, s->marker,
			   s->heading);
	}
	buf_printf(&b, "\nmetrics (%zu):\n", doc->nmetrics);
	for (size_t i = 0; i < doc->nmetrics; i++) {
		const struct metric *m = &doc->metrics[i];
		const char *q = qualifier_name(m->qualifier);
		char *txt = text_utf8(t, m->start, m->end);
		buf_printf(&b, "%-8s %-24s %.15g %s%s%s  [%s]\n",
			   m->section >= 0 ? doc->sections[m->section].path : "-", m->label,
			   m->value, m->unit, q ? " " : "", q ? q : "", txt);
		free(txt);
	}
	for (size_t i = 0; i < doc->nwarnings; i++)
		buf_printf(&b, "warning: %s\n", doc->warnings[i]);
	return buf_take(&b);
}
