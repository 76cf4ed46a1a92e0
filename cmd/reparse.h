/*
 * reparse.h - the database side of `reportpipe reparse`: stored raw
 * documents out, freshly parsed sections and metrics back in.
 */
#ifndef RP_REPARSE_H
#define RP_REPARSE_H

#include "sink_db.h"
#include "sink_write.h"

#include <json-c/json.h>
#include <libpq-fe.h>
#include <stddef.h>

/* One stored document as the parser needs it. */
struct reparse_doc {
	long long id;
	char *url;
	char *sha256;
	char *content_type; /* NULL when unknown */
	char *link_text;    /* the index link's text, or NULL */
	unsigned char *body;
	size_t body_len;
};

/*
 * The ids of the stored documents that have a raw body and a parser_version
 * below below (below <= 0: all of them), in id order. Returns how many, with
 * the owned array in *ids, or -1 with e filled.
 */
long reparse_list(PGconn *conn, int below, long long **ids, struct sink_err *e);

/* Load document id. Returns 0, 1 when it is gone meanwhile, or -1 with e filled. */
int reparse_load(PGconn *conn, long long id, struct reparse_doc *d, struct sink_err *e);

void reparse_doc_release(struct reparse_doc *d);

/*
 * In one transaction, replace document id's parsed fields (title, issuer,
 * year, date, charset, text, parser_version), sections and metrics with
 * those of doc, the parsed document as JSON, whose rows come from packed, the
 * same document as a RESULT body (parser/doc_pack.h). Returns STORE_STORED once
 * committed, STORE_DUPLICATE when the document is gone, STORE_REJECTED (rolled
 * back; e says why) or STORE_RETRY when the connection is lost.
 */
enum store_result reparse_replace(PGconn *conn, long long id, struct json_object *doc,
				  const unsigned char *packed, size_t packed_len,
				  struct sink_err *e);

#endif
