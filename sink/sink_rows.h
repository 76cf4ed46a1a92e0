/*
 * sink_rows.h - a parsed document turned into COPY rows, checked before any
 * of it reaches the database.
 */
#ifndef RP_SINK_ROWS_H
#define RP_SINK_ROWS_H

#include "buf.h"

#include <json-c/json.h>
#include <stddef.h>

/* The column lists that the rows below fill, in order. */
/*
 * Sections and metrics go into the tables behind the views of the same name
 * (migration 009): a body or a sentence is stored as offsets into
 * documents.text, and sentence_copy only holds a sentence the text does not give.
 */
#define SINK_ROWS_SECTION_TABLE "sections_base"
#define SINK_ROWS_SECTION_COLUMNS                                                                  \
	"id, document_id, parent_id, path, level, marker, heading, start_pos, end_pos"
#define SINK_ROWS_METRIC_TABLE "metrics_base"
#define SINK_ROWS_METRIC_COLUMNS                                                                   \
	"document_id, section_id, section_path, label, value, unit, qualifier, text,"              \
	" sentence_copy, start_pos, end_pos, measure, target, year, key, sentence_start,"          \
	" sentence_end"
#define SINK_ROWS_DOCUMENT_COLUMNS                                                                 \
	"id, source_id, url, final_url, sha256, etag, last_modified, content_type, charset,"       \
	" fetched_at, title, issuer, report_year, published_on, parser_version, text, is_current"  \
	", genre, region_code, region_name, link_text"

/*
 * One document ready to store. Strings point into the job header it was made
 * from, which must outlive it. Each section and metric is kept as the escaped tail
 * of its COPY row; the ids the database hands out are put in front later.
 */
struct sink_doc {
	const char *url;
	const char *sha256;
	const char *source;	/* the source's name, or NULL */
	const char *source_url; /* what sources.url gets */
	const char *etag;	/* the validators the body came with, or NULL */
	const char *last_modified;
	const char *fetched_at; /* as the job says, or NULL: the sink's clock */
	struct buf docrow;	/* the document row after id and source_id, newline included */
	struct buf sec;		/* section row tails, back to back */
	size_t *sec_off;	/* nsec + 1 offsets into sec */
	long *sec_parent;	/* index of the parent section, or -1 */
	size_t nsec;
	struct buf met;	 /* metric row tails */
	size_t *met_off; /* nmet + 1 offsets into met */
	long *met_sec;	 /* index of the metric's section, or -1 */
	size_t nmet;
};

/*
 * Split a RESULT's body (proto.h: [report, document]) into the packed
 * document and the report's bytes, both borrowed from body. Returns 0, or
 * -1 when it is not that array.
 */
int sink_rows_split(const unsigned char *body, size_t len, const unsigned char **doc,
		    size_t *doc_len, const unsigned char **report, size_t *report_len);

/*
 * Check job (the RESULT header: url, sha256, source, validators) and the
 * packed document (proto.h's PROTO_DOC_ map, len bytes), and build its rows
 * in one pass. Returns an owned sink_doc, or NULL with the reason in err
 * when the document can never be stored.
 */
struct sink_doc *sink_rows_new(struct json_object *job, const unsigned char *packed, size_t len,
			       char *err, size_t errlen);

void sink_rows_free(struct sink_doc **d);

/* Append d's document row: id, source_id (0: none), then the row made in sink_rows_new(). */
void sink_rows_document(const struct sink_doc *d, long long id, long long source_id,
			struct buf *out);

/* Append d's section rows for document doc_id, whose sections got ids[0..nsec). */
void sink_rows_sections(const struct sink_doc *d, long long doc_id, const long long *ids,
			struct buf *out);

/* Append d's metric rows for document doc_id (section ids as above; may be NULL if nsec is 0). */
void sink_rows_metrics(const struct sink_doc *d, long long doc_id, const long long *ids,
		       struct buf *out);

/* Append s as one COPY text-format field: escaped, or \N for NULL. */
void sink_rows_field(struct buf *b, const char *s);

#endif
