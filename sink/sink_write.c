/*
 * sink_write.c - the write path: document row, raw bytes, then sections and
 * metrics through COPY, all in one transaction.
 *
 * Idempotent on (url, sha256): a document already stored is a duplicate and
 * nothing is written. Must never build SQL from data: every value is a
 * parameter or a COPY field.
 */
#include "sink_write.h"
#include "buf.h"
#include "log.h"
#include "sink_db.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

/* An integer field as decimal text into out, or NULL when absent. */
static const char *
jint(struct json_object *o, const char *key, char *out, size_t cap)
{
	struct json_object *v;
	if (o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int)) {
		snprintf(out, cap, "%lld", (long long)json_object_get_int64(v));
		return out;
	}
	return NULL;
}

/* A COPY text-format field: escape backslash, tab, newline and CR; NULL is \N. */
static void
copy_field(struct buf *b, const char *s)
{
	if (s == NULL) {
		buf_puts(b, "\\N");
		return;
	}
	for (; *s; s++) {
		switch (*s) {
		case '\\':
			buf_puts(b, "\\\\");
			break;
		case '\t':
			buf_puts(b, "\\t");
			break;
		case '\n':
			buf_puts(b, "\\n");
			break;
		case '\r':
			buf_puts(b, "\\r");
			break;
		default:
			buf_putc(b, *s);
		}
	}
}

static void
copy_sep(struct buf *b, int last)
{
	buf_putc(b, last ? '\n' : '\t');
}

/*
 * Byte offset of every code point of text (plus one past the end), so that
 * sections' code-point offsets can cut bodies out of the UTF-8 text.
 */
static size_t *
utf8_offsets(const char *text, size_t *ncp)
{
	size_t len = strlen(text), n = 0;
	size_t *off = xreallocarray(NULL, len + 1, sizeof(size_t));
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)text[i] & 0xC0) != 0x80)
			off[n++] = i;
	off[n] = len;
	*ncp = n;
	return off;
}

static int
copy_rows(PGconn *conn, const char *sql, const struct buf *rows, char *err, size_t errlen)
{
	PGresult *r = PQexec(conn, sql);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		snprintf(err, errlen, "COPY refused (SQLSTATE %s): %s", sink_db_sqlstate(r),
			 PQerrorMessage(conn));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	int ok = PQputCopyData(conn, rows->data ? rows->data : "", (int)rows->len) == 1 &&
		 PQputCopyEnd(conn, NULL) == 1;
	int failed = !ok;
	/* drain every result until NULL, as libpq requires after COPY */
	while ((r = PQgetResult(conn)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && !failed) {
			snprintf(err, errlen, "COPY failed (SQLSTATE %s): %s", sink_db_sqlstate(r),
				 PQerrorMessage(conn));
			failed = 1;
		}
		PQclear(r);
	}
	if (!ok && err[0] == '\0')
		snprintf(err, errlen, "COPY failed: %s", PQerrorMessage(conn));
	return failed ? -1 : 0;
}

/* COPY the sections with ids reserved up front, so parent_id can be filled in one pass. */
static int
write_sections(PGconn *conn, const char *doc_id, struct json_object *doc, long long **ids_out,
	       char *err, size_t errlen)
{
	struct json_object *secs = NULL, *textv = NULL;
	json_object_object_get_ex(doc, "sections", &secs);
	json_object_object_get_ex(doc, "text", &textv);
	size_t n = secs && json_object_is_type(secs, json_type_array)
			   ? json_object_array_length(secs)
			   : 0;
	*ids_out = NULL;
	if (n == 0)
		return 0;

	char count[32];
	snprintf(count, sizeof(count), "%zu", n);
	const char *params[] = {count};
	PGresult *r = PQexecParams(conn,
				   "SELECT nextval(pg_get_serial_sequence('sections', 'id')) "
				   "FROM generate_series(1, $1::int)",
				   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || (size_t)PQntuples(r) != n) {
		snprintf(err, errlen, "reserving section ids failed (SQLSTATE %s): %s",
			 sink_db_sqlstate(r), PQerrorMessage(conn));
		PQclear(r);
		return -1;
	}
	long long *ids = xcalloc(n, sizeof(long long));
	for (size_t i = 0; i < n; i++)
		ids[i] = atoll(PQgetvalue(r, (int)i, 0));
	PQclear(r);

	const char *text = textv ? json_object_get_string(textv) : "";
	size_t ncp;
	size_t *off = utf8_offsets(text, &ncp);
	struct buf rows = {0};
	/* parent: the nearest earlier section whose path is a prefix of ours */
	for (size_t i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(secs, i);
		const char *path = jstr(s, "path");
		char lvl[16], st[32], en[32], id[32], parent[32];
		const char *parent_id = NULL;
		if (path == NULL || jint(s, "level", lvl, sizeof(lvl)) == NULL ||
		    jint(s, "start", st, sizeof(st)) == NULL || jint(s, "end", en, sizeof(en)) == NULL) {
			snprintf(err, errlen, "section %zu is missing path, level, start or end", i);
			goto fail;
		}
		const char *dot = strrchr(path, '.');
		if (dot) {
			size_t plen = (size_t)(dot - path);
			for (size_t j = i; j-- > 0;) {
				const char *pp = jstr(json_object_array_get_idx(secs, j), "path");
				if (pp && strlen(pp) == plen && strncmp(pp, path, plen) == 0) {
					snprintf(parent, sizeof(parent), "%lld", ids[j]);
					parent_id = parent;
					break;
				}
			}
		}
		long long a = atoll(st), e = atoll(en);
		if (a < 0 || e < a || (size_t)e > ncp) {
			snprintf(err, errlen, "section %s has offsets %lld..%lld outside the text",
				 path, a, e);
			goto fail;
		}
		char *body = xstrndup(text + off[a], off[e] - off[a]);
		snprintf(id, sizeof(id), "%lld", ids[i]);
		const char *marker = jstr(s, "marker"), *heading = jstr(s, "heading");
		const char *fields[] = {id,	 doc_id, parent_id, path,
					lvl,	 marker ? marker : "",
					heading ? heading : "",
					body,	 st,	    en};
		for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
			copy_field(&rows, fields[f]);
			copy_sep(&rows, f + 1 == sizeof(fields) / sizeof(fields[0]));
		}
		free(body);
	}
	free(off);
	off = NULL;
	if (copy_rows(conn,
		      "COPY sections (id, document_id, parent_id, path, level, marker, heading, body,"
		      " start_pos, end_pos) FROM STDIN",
		      &rows, err, errlen) < 0)
		goto fail;
	buf_release(&rows);
	*ids_out = ids;
	return 0;
fail:
	free(off);
	buf_release(&rows);
	free(ids);
	return -1;
}

static int
write_metrics(PGconn *conn, const char *doc_id, struct json_object *doc, const long long *ids,
	      char *err, size_t errlen)
{
	struct json_object *mets = NULL, *secs = NULL;
	json_object_object_get_ex(doc, "metrics", &mets);
	json_object_object_get_ex(doc, "sections", &secs);
	size_t n = mets && json_object_is_type(mets, json_type_array)
			   ? json_object_array_length(mets)
			   : 0;
	size_t nsec = secs && json_object_is_type(secs, json_type_array)
			      ? json_object_array_length(secs)
			      : 0;
	if (n == 0)
		return 0;
	struct buf rows = {0};
	for (size_t i = 0; i < n; i++) {
		struct json_object *m = json_object_array_get_idx(mets, i), *v;
		const char *spath = jstr(m, "section_path");
		char sid[32], st[32], en[32], value[64];
		const char *section_id = NULL;
		for (size_t j = 0; spath && ids && j < nsec; j++) {
			const char *p = jstr(json_object_array_get_idx(secs, j), "path");
			if (p && strcmp(p, spath) == 0) {
				snprintf(sid, sizeof(sid), "%lld", ids[j]);
				section_id = sid;
				break;
			}
		}
		if (!json_object_object_get_ex(m, "value", &v) ||
		    !(json_object_is_type(v, json_type_int) ||
		      json_object_is_type(v, json_type_double)) ||
		    jint(m, "start", st, sizeof(st)) == NULL || jint(m, "end", en, sizeof(en)) == NULL) {
			snprintf(err, errlen, "metric %zu is missing value, start or end", i);
			buf_release(&rows);
			return -1;
		}
		snprintf(value, sizeof(value), "%s", json_object_to_json_string(v));
		const char *fields[] = {doc_id,
					section_id,
					spath,
					jstr(m, "label") ? jstr(m, "label") : "",
					value,
					jstr(m, "unit") ? jstr(m, "unit") : "",
					jstr(m, "qualifier"),
					jstr(m, "text") ? jstr(m, "text") : "",
					jstr(m, "sentence") ? jstr(m, "sentence") : "",
					st,
					en};
		for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
			copy_field(&rows, fields[f]);
			copy_sep(&rows, f + 1 == sizeof(fields) / sizeof(fields[0]));
		}
	}
	int rc = copy_rows(conn,
			   "COPY metrics (document_id, section_id, section_path, label, value, unit,"
			   " qualifier, text, sentence, start_pos, end_pos) FROM STDIN",
			   &rows, err, errlen);
	buf_release(&rows);
	return rc;
}

/* Run sql; 0 on success, else -1 with the failure in err. */
static int
exec_step(PGconn *conn, const char *what, const char *sql, int n, const char *const *params,
	  PGresult **out, char *err, size_t errlen)
{
	PGresult *r = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "%s failed (SQLSTATE %s): %s", what, sink_db_sqlstate(r),
			 PQerrorMessage(conn));
		err[strcspn(err, "\n")] = '\0';
		PQclear(r);
		return -1;
	}
	if (out)
		*out = r;
	else
		PQclear(r);
	return 0;
}

enum store_result
sink_write_document(PGconn *conn, struct json_object *job, const unsigned char *body,
		    size_t body_len, char *err, size_t errlen)
{
	struct json_object *doc = NULL;
	PGresult *r = NULL;
	long long *section_ids = NULL;
	char year[16];

	err[0] = '\0';
	json_object_object_get_ex(job, "doc", &doc);
	const char *url = jstr(job, "url"), *sha = jstr(job, "sha256");
	struct json_object *textv = NULL;
	if (doc == NULL || url == NULL || sha == NULL ||
	    !json_object_object_get_ex(doc, "text", &textv)) {
		snprintf(err, errlen, "result is missing url, sha256 or the parsed document");
		return STORE_REJECTED;
	}

	if (exec_step(conn, "BEGIN", "BEGIN", 0, NULL, NULL, err, errlen) < 0)
		goto fail;

	const char *source_id = NULL;
	char source_id_buf[32];
	const char *source = jstr(job, "source");
	if (source) {
		const char *sp[] = {source, jstr(job, "source_url") ? jstr(job, "source_url") : url};
		if (exec_step(conn, "recording the source",
			      "INSERT INTO sources (name, url) VALUES ($1, $2) ON CONFLICT (name) "
			      "DO UPDATE SET url = EXCLUDED.url RETURNING id",
			      2, sp, &r, err, errlen) < 0)
			goto fail;
		snprintf(source_id_buf, sizeof(source_id_buf), "%s", PQgetvalue(r, 0, 0));
		source_id = source_id_buf;
		PQclear(r);
		r = NULL;
	}

	char pv[16];
	const char *dp[] = {
		source_id,
		url,
		jstr(job, "final_url"),
		sha,
		jstr(job, "etag"),
		jstr(job, "last_modified"),
		jstr(doc, "content_type") ? jstr(doc, "content_type") : jstr(job, "content_type"),
		jstr(doc, "charset"),
		jstr(job, "fetched_at"),
		jstr(doc, "title"),
		jstr(doc, "issuer"),
		jint(doc, "report_year", year, sizeof(year)),
		jstr(doc, "published_on"),
		jint(doc, "parser_version", pv, sizeof(pv)) ? pv : "0",
		json_object_get_string(textv),
	};
	if (exec_step(conn, "inserting the document",
		      "INSERT INTO documents (source_id, url, final_url, sha256, etag, last_modified,"
		      " content_type, charset, fetched_at, title, issuer, report_year, published_on,"
		      " parser_version, text, is_current)"
		      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, coalesce($9::timestamptz, now()),"
		      " $10, $11, $12, $13, $14, $15, false)"
		      " ON CONFLICT (url, sha256) DO NOTHING RETURNING id",
		      15, dp, &r, err, errlen) < 0)
		goto fail;
	if (PQntuples(r) == 0) {
		PQclear(r);
		PQclear(PQexec(conn, "ROLLBACK"));
		return STORE_DUPLICATE;
	}
	char doc_id[32];
	snprintf(doc_id, sizeof(doc_id), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	r = NULL;

	{
		const char *vals[] = {doc_id, (const char *)body};
		int lens[] = {0, (int)body_len};
		int fmts[] = {0, 1};
		if (body_len > INT32_MAX) {
			snprintf(err, errlen, "body of %zu bytes is too large to store", body_len);
			goto fail;
		}
		r = PQexecParams(conn, "INSERT INTO documents_raw (document_id, body) VALUES ($1, $2)",
				 2, NULL, vals, lens, fmts, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			snprintf(err, errlen, "storing the raw body failed (SQLSTATE %s): %s",
				 sink_db_sqlstate(r), PQerrorMessage(conn));
			goto fail;
		}
		PQclear(r);
		r = NULL;
	}

	if (write_sections(conn, doc_id, doc, &section_ids, err, errlen) < 0 ||
	    write_metrics(conn, doc_id, doc, section_ids, err, errlen) < 0)
		goto fail;

	const char *cp[] = {url, doc_id};
	if (exec_step(conn, "retiring the previous version",
		      "UPDATE documents SET is_current = false WHERE url = $1 AND is_current", 1, cp,
		      NULL, err, errlen) < 0 ||
	    exec_step(conn, "marking the current version",
		      "UPDATE documents SET is_current = true WHERE id = $1", 1, cp + 1, NULL, err,
		      errlen) < 0 ||
	    exec_step(conn, "COMMIT", "COMMIT", 0, NULL, NULL, err, errlen) < 0)
		goto fail;
	free(section_ids);
	return STORE_STORED;

fail:
	PQclear(r);
	free(section_ids);
	err[strcspn(err, "\n")] = '\0';
	if (PQstatus(conn) != CONNECTION_OK)
		return STORE_RETRY;
	PQclear(PQexec(conn, "ROLLBACK"));
	if (PQstatus(conn) != CONNECTION_OK)
		return STORE_RETRY;
	return STORE_REJECTED;
}

int
sink_write_dead_letter(PGconn *conn, long long run_id, const char *url, const char *stage,
		       const char *error, int attempts, const unsigned char *body, size_t body_len)
{
	char run[32], att[16];
	snprintf(run, sizeof(run), "%lld", run_id);
	snprintf(att, sizeof(att), "%d", attempts);
	if (body_len > INT32_MAX)
		body = NULL; /* keep the letter, drop a body PostgreSQL cannot take in one value */
	const char *vals[] = {run_id > 0 ? run : NULL, url, stage, error, att,
			      (const char *)body};
	int lens[] = {0, 0, 0, 0, 0, (int)body_len};
	int fmts[] = {0, 0, 0, 0, 0, 1};
	PGresult *r = PQexecParams(conn,
				   "INSERT INTO dead_letters (run_id, url, stage, error, attempts, body)"
				   " VALUES ($1, $2, $3, $4, $5, $6)",
				   6, NULL, vals, lens, fmts, 0);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		log_warnx("recording a dead letter for %s failed (SQLSTATE %s): %s", url,
			  sink_db_sqlstate(r), PQerrorMessage(conn));
	PQclear(r);
	return ok ? 0 : -1;
}
