/*
 * doc_pack.c - the RESULT body: the report and its parsed document as
 * MessagePack (common/proto.h names the layout and the keys).
 *
 * The document goes from struct doc to bytes in one walk, with no tree in
 * between; the sink reads it back the same way (sink/sink_rows.c). The text
 * goes once: a metric's sentence is sent as its offsets only (unless they
 * fall outside the text, and then a copy goes with them). Must agree
 * with doc_json_walk() on every value it sends (the sink stores what `parse
 * --format json` shows), and never send a field the JSON does not have.
 */
#include "doc_pack.h"
#include "proto.h"

#include <math.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

/* msgpack-c writes through this: everything goes into the caller's buf. */
static int
pack_write(void *data, const char *bytes, size_t len)
{
	buf_append(data, bytes, len);
	return 0;
}

static void
pack_key(msgpack_packer *pk, const char *key)
{
	msgpack_pack_str_with_body(pk, key, strlen(key));
}

/* A string field; NULL is nil, as the JSON's null. */
static void
pack_str(msgpack_packer *pk, const char *key, const char *s)
{
	pack_key(pk, key);
	if (s == NULL)
		msgpack_pack_nil(pk);
	else
		msgpack_pack_str_with_body(pk, s, strlen(s));
}

static void
pack_int(msgpack_packer *pk, const char *key, int64_t v)
{
	pack_key(pk, key);
	msgpack_pack_int64(pk, v);
}

/* A year or similar where 0 means unknown: nil then. */
static void
pack_int_or_nil(msgpack_packer *pk, const char *key, int v)
{
	pack_key(pk, key);
	if (v)
		msgpack_pack_int64(pk, v);
	else
		msgpack_pack_nil(pk);
}

/* text[start, end) as UTF-8: what the JSON's copies of the text hold. */
static void
pack_text(msgpack_packer *pk, const char *key, const struct text *t, size_t start, size_t end,
	  struct buf *scratch)
{
	buf_reset(scratch);
	for (size_t i = start; i < end && i < t->len; i++)
		buf_put_utf8(scratch, t->cp[i]);
	pack_key(pk, key);
	/* up to a U+0000, as the JSON's strings (text_utf8) */
	msgpack_pack_str_with_body(pk, scratch->data ? scratch->data : "",
				   scratch->data ? strlen(scratch->data) : 0);
}

static void
pack_section(msgpack_packer *pk, const struct section *s)
{
	msgpack_pack_map(pk, 6);
	pack_str(pk, PROTO_DOC_PATH, s->path);
	pack_int(pk, PROTO_DOC_LEVEL, s->level);
	pack_str(pk, PROTO_DOC_MARKER, s->marker);
	pack_str(pk, PROTO_DOC_HEADING, s->heading);
	pack_int(pk, PROTO_DOC_START, (int64_t)s->start);
	pack_int(pk, PROTO_DOC_END, (int64_t)s->end);
}

/*
 * A metric's sentence goes as its offsets alone when they give it: inside
 * the text the JSON's strings hold (up to a U+0000, see pack_text). Else,
 * as in the JSON, a copy is sent too, and the sink stores the copy.
 */
static int
pack_sentence_copied(const struct metric *m, size_t text_len)
{
	return m->sent_start > m->sent_end || m->sent_end > text_len;
}

static void
pack_metric(msgpack_packer *pk, const struct doc *doc, const struct metric *m, size_t text_len,
	    struct buf *scratch)
{
	int copy = pack_sentence_copied(m, text_len);
	msgpack_pack_map(pk, 14 + (size_t)copy);
	pack_str(pk, PROTO_DOC_SECTION_PATH,
		 m->section >= 0 ? doc->sections[m->section].path : NULL);
	pack_str(pk, PROTO_DOC_LABEL, m->label);
	pack_key(pk, PROTO_DOC_VALUE);
	/* as doc_json_number(): an integer when it is one */
	if (fabs(m->value) < 9e15 && m->value == floor(m->value))
		msgpack_pack_int64(pk, (int64_t)m->value);
	else
		msgpack_pack_double(pk, m->value);
	pack_str(pk, PROTO_DOC_UNIT, m->unit);
	pack_str(pk, PROTO_DOC_QUALIFIER, qualifier_name(m->qualifier));
	pack_str(pk, PROTO_DOC_MEASURE, measure_name(m->measure));
	pack_key(pk, PROTO_DOC_TARGET);
	if (m->target)
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
	pack_int_or_nil(pk, PROTO_DOC_YEAR, m->year);
	pack_str(pk, PROTO_DOC_KEY, m->key);
	pack_text(pk, PROTO_DOC_METRIC_TEXT, &doc->text, m->start, m->end, scratch);
	pack_int(pk, PROTO_DOC_START, (int64_t)m->start);
	pack_int(pk, PROTO_DOC_END, (int64_t)m->end);
	pack_int(pk, PROTO_DOC_SENTENCE_START, (int64_t)m->sent_start);
	pack_int(pk, PROTO_DOC_SENTENCE_END, (int64_t)m->sent_end);
	if (copy)
		pack_text(pk, PROTO_DOC_SENTENCE, &doc->text, m->sent_start, m->sent_end, scratch);
}

void
doc_pack(const struct doc *doc, const void *report, size_t report_len, struct buf *out)
{
	msgpack_packer pk;
	struct buf scratch = {0};

	msgpack_packer_init(&pk, out, pack_write);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_bin_with_body(&pk, report ? report : "", report ? report_len : 0);
	msgpack_pack_map(&pk, 13);
	pack_str(&pk, PROTO_DOC_CONTENT_TYPE, doc->content_type);
	pack_str(&pk, PROTO_DOC_CHARSET, doc->charset);
	pack_int(&pk, PROTO_DOC_PARSER_VERSION, PARSER_VERSION);
	pack_str(&pk, PROTO_DOC_TITLE, doc->title);
	pack_str(&pk, PROTO_DOC_ISSUER, doc->issuer);
	pack_int_or_nil(&pk, PROTO_DOC_REPORT_YEAR, doc->report_year);
	pack_str(&pk, PROTO_DOC_PUBLISHED_ON, doc->published_on[0] ? doc->published_on : NULL);
	pack_str(&pk, PROTO_DOC_GENRE, doc->genre);
	pack_str(&pk, PROTO_DOC_REGION_CODE, doc->region_code[0] ? doc->region_code : NULL);
	pack_str(&pk, PROTO_DOC_REGION_NAME, doc->region_name);
	pack_text(&pk, PROTO_DOC_TEXT, &doc->text, 0, doc->text.len, &scratch);
	pack_key(&pk, PROTO_DOC_SECTIONS);
	msgpack_pack_array(&pk, doc->nsections);
	for (size_t i = 0; i < doc->nsections; i++)
		pack_section(&pk, &doc->sections[i]);
	size_t text_len = 0; /* code points up to a U+0000: what the sink gets as the text */
	while (text_len < doc->text.len && doc->text.cp[text_len] != 0)
		text_len++;
	pack_key(&pk, PROTO_DOC_METRICS);
	msgpack_pack_array(&pk, doc->nmetrics);
	for (size_t i = 0; i < doc->nmetrics; i++)
		pack_metric(&pk, doc, &doc->metrics[i], text_len, &scratch);
	buf_release(&scratch);
}
