/*
 * reparse.c - read stored raw documents, and replace one document's
 * sections and metrics with a new parse in one transaction.
 *
 * The old rows are deleted and the new ones copied in within the same
 * transaction, so a reader sees either the old parse or the new one, and no
 * section or metric of the old parse survives it. Must never parse (the
 * command does that) and never build SQL from data.
 */
#include "reparse.h"
#include "buf.h"
#include "proto.h"
#include "sink_rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long
reparse_list(PGconn *conn, int below, long long **ids, struct sink_err *e)
{
	char v[16];
	PGresult *r;
	snprintf(v, sizeof(v), "%d", below);
	const char *p[] = {below > 0 ? v : NULL};
	*ids = NULL;
	if (sink_db_exec(conn, "listing the stored documents",
			 "SELECT d.id FROM documents d JOIN documents_raw r ON r.document_id = d.id"
			 " WHERE $1::int IS NULL OR d.parser_version < $1::int ORDER BY d.id",
			 1, p, &r, e) < 0)
		return -1;
	long n = PQntuples(r);
	*ids = xcalloc((size_t)n + 1, sizeof(long long));
	for (long i = 0; i < n; i++)
		(*ids)[i] = atoll(PQgetvalue(r, (int)i, 0));
	PQclear(r);
	return n;
}

int
reparse_load(PGconn *conn, long long id, struct reparse_doc *d, struct sink_err *e)
{
	char v[32];
	snprintf(v, sizeof(v), "%lld", id);
	const char *p[] = {v};
	memset(d, 0, sizeof(*d));
	/* binary results: the body comes as its bytes, the text columns as theirs */
	PGresult *r = PQexecParams(
	    conn,
	    "SELECT d.url, d.sha256, d.content_type, r.body, d.link_text FROM documents d"
	    " JOIN documents_raw r ON r.document_id = d.id WHERE d.id = $1",
	    1, NULL, p, NULL, NULL, 1);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		snprintf(e->sqlstate, sizeof(e->sqlstate), "%s", sink_db_sqlstate(r));
		snprintf(e->msg, sizeof(e->msg), "loading document %lld failed: %s", id,
			 PQerrorMessage(conn));
		e->msg[strcspn(e->msg, "\n")] = '\0';
		PQclear(r);
		return -1;
	}
	if (PQntuples(r) == 0) {
		PQclear(r);
		return 1;
	}
	d->id = id;
	d->url = xstrndup(PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
	d->sha256 = xstrndup(PQgetvalue(r, 0, 1), (size_t)PQgetlength(r, 0, 1));
	if (!PQgetisnull(r, 0, 2))
		d->content_type = xstrndup(PQgetvalue(r, 0, 2), (size_t)PQgetlength(r, 0, 2));
	if (!PQgetisnull(r, 0, 4))
		d->link_text = xstrndup(PQgetvalue(r, 0, 4), (size_t)PQgetlength(r, 0, 4));
	d->body_len = (size_t)PQgetlength(r, 0, 3);
	d->body = xmalloc(d->body_len + 1);
	memcpy(d->body, PQgetvalue(r, 0, 3), d->body_len);
	d->body[d->body_len] = '\0';
	PQclear(r);
	return 0;
}

void
reparse_doc_release(struct reparse_doc *d)
{
	free(d->url);
	free(d->sha256);
	free(d->content_type);
	free(d->link_text);
	free(d->body);
	memset(d, 0, sizeof(*d));
}

static const char *
reparse_str(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

static const char *
reparse_int(struct json_object *o, const char *key, char *out, size_t cap)
{
	struct json_object *v;
	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int)) {
		snprintf(out, cap, "%lld", (long long)json_object_get_int64(v));
		return out;
	}
	return NULL;
}

/* Delete the old rows, update the document, copy the new rows in: inside the caller's BEGIN. */
static int
reparse_rows(PGconn *conn, const char *id_text, long long id, struct json_object *doc,
	     const struct sink_doc *rows, struct sink_err *e)
{
	char year[16], pv[16];
	const char *p[] = {id_text,
			   reparse_str(doc, "title"),
			   reparse_str(doc, "issuer"),
			   reparse_int(doc, "report_year", year, sizeof(year)),
			   reparse_str(doc, "published_on"),
			   reparse_int(doc, "parser_version", pv, sizeof(pv)) ? pv : "0",
			   reparse_str(doc, "charset"),
			   reparse_str(doc, "text")};
	/* metrics first: those outside any section are not reached by the cascade */
	if (sink_db_exec(conn, "deleting the old metrics",
			 "DELETE FROM " SINK_ROWS_METRIC_TABLE " WHERE document_id = $1", 1, p,
			 NULL, e) < 0 ||
	    sink_db_exec(conn, "deleting the old sections",
			 "DELETE FROM " SINK_ROWS_SECTION_TABLE " WHERE document_id = $1", 1, p,
			 NULL, e) < 0 ||
	    sink_db_exec(conn, "updating the document",
			 "UPDATE documents SET title = $2, issuer = $3, report_year = $4,"
			 " published_on = $5, parser_version = $6, charset = coalesce($7, charset),"
			 " text = $8 WHERE id = $1",
			 8, p, NULL, e) < 0)
		return -1;
	const char *place[] = {id_text, reparse_str(doc, "genre"), reparse_str(doc, "region_code"),
			       reparse_str(doc, "region_name")};
	if (sink_db_exec(conn, "updating the document's genre and place",
			 "UPDATE documents SET genre = $2, region_code = $3, region_name = $4"
			 " WHERE id = $1",
			 4, place, NULL, e) < 0)
		return -1;

	struct sink_write_item item = {.doc = rows};
	return sink_write_tree(conn, &item, 1, &id, e);
}

enum store_result
reparse_replace(PGconn *conn, long long id, struct json_object *doc, const unsigned char *packed,
		size_t packed_len, struct sink_err *e)
{
	char id_text[32], err[512] = "the packed document is not a [report, document] array";
	const unsigned char *pdoc, *report;
	size_t pdoc_len, report_len;
	PGresult *r = NULL;
	enum store_result res = STORE_REJECTED;

	e->msg[0] = e->sqlstate[0] = '\0';
	snprintf(id_text, sizeof(id_text), "%lld", id);
	/* the rows are checked the way the sink checks them, before anything is deleted */
	struct json_object *job = json_object_new_object();
	json_object_object_add(job, PROTO_KEY_URL, json_object_new_string("reparse"));
	json_object_object_add(job, PROTO_KEY_SHA256, json_object_new_string(""));
	struct sink_doc *rows = NULL;
	if (sink_rows_split(packed, packed_len, &pdoc, &pdoc_len, &report, &report_len) == 0)
		rows = sink_rows_new(job, pdoc, pdoc_len, err, sizeof(err));
	if (rows == NULL) {
		sink_db_fail(e, "checking the new parse", err);
		json_object_put(job);
		return STORE_REJECTED;
	}
	const char *p[] = {id_text};
	if (sink_db_exec(conn, "BEGIN", "BEGIN", 0, NULL, NULL, e) < 0 ||
	    sink_db_exec(conn, "locking the document",
			 "SELECT 1 FROM documents WHERE id = $1 FOR UPDATE", 1, p, &r, e) < 0)
		goto fail;
	if (PQntuples(r) == 0) {
		res = STORE_DUPLICATE;
		goto fail;
	}
	if (reparse_rows(conn, id_text, id, doc, rows, e) < 0 ||
	    sink_db_exec(conn, "COMMIT", "COMMIT", 0, NULL, NULL, e) < 0)
		goto fail;
	PQclear(r);
	sink_rows_free(&rows);
	json_object_put(job);
	return STORE_STORED;
fail:
	PQclear(r);
	sink_rows_free(&rows);
	json_object_put(job);
	if (sink_db_lost(conn, e))
		return STORE_RETRY;
	struct sink_err ignored;
	if (sink_db_exec(conn, "ROLLBACK", "ROLLBACK", 0, NULL, NULL, &ignored) < 0 &&
	    sink_db_lost(conn, &ignored))
		return STORE_RETRY;
	return res;
}
