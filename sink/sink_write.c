/*
 * sink_write.c - the write path: a batch of documents in one transaction.
 *
 * One query tells the new documents from the ones already stored (by url
 * and sha256); then the new ones, their raw bodies, sections and metrics go
 * in by COPY, one COPY per table for the whole batch, with ids reserved from
 * the sequences up front, and is_current moves to the version each URL
 * serves now: the one fetched last. Idempotent: a stored document is not
 * written again; the unique key on (url, sha256) stays the last word. A
 * stored version that is not current (a page gone back from B to A) only
 * becomes current again, with the validators it was just served with. Must
 * never build SQL from data (every value is a parameter or a COPY field), and
 * never build multi-row INSERTs, which run into the 65 535-parameter limit.
 */
#include "sink_write.h"
#include "buf.h"
#include "log.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Append body as a bytea COPY field in hex ("\\x..." once escaped for COPY). */
static void
write_hex_field(struct buf *b, const unsigned char *body, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	buf_reserve(b, 3 + 2 * len);
	char *p = b->data + b->len;
	*p++ = '\\';
	*p++ = '\\';
	*p++ = 'x';
	for (size_t i = 0; i < len; i++) {
		*p++ = hex[body[i] >> 4];
		*p++ = hex[body[i] & 15];
	}
	b->len = (size_t)(p - b->data);
	b->data[b->len] = '\0';
}

static int
write_same_key(const struct sink_write_item *a, const struct sink_write_item *b)
{
	return strcmp(a->doc->url, b->doc->url) == 0 && strcmp(a->doc->sha256, b->doc->sha256) == 0;
}

/* Append the pair [a, b] to the JSON array arr. */
static void
write_pair_add(struct json_object *arr, const char *a, const char *b)
{
	struct json_object *pair = json_object_new_array();
	json_object_array_add(pair, json_object_new_string(a));
	json_object_array_add(pair, json_object_new_string(b));
	json_object_array_add(arr, pair);
}

/*
 * Run sql with the array of pairs as its one parameter ($1::json: one
 * round trip for a whole batch), then free the array. As sink_db_exec.
 */
static int
write_exec_pairs(PGconn *conn, const char *what, const char *sql, struct json_object *pairs,
		 PGresult **r, struct sink_err *e)
{
	const char *p[] = {json_object_to_json_string_ext(pairs, JSON_C_TO_STRING_PLAIN)};
	int rc = sink_db_exec(conn, what, sql, 1, p, r, e);
	json_object_put(pairs);
	return rc;
}

/*
 * Mark in isnew[] the items whose (url, sha256) is neither stored nor sent
 * earlier in the batch, and set stored[i] to the id of item i's stored
 * document (0: none). Returns how many are new, or -1 with e filled.
 */
static long
write_find_new(PGconn *conn, struct sink_write_item *items, size_t n, char *isnew,
	       long long *stored, struct sink_err *e)
{
	struct json_object *keys = json_object_new_array();
	PGresult *r;
	for (size_t i = 0; i < n; i++) {
		write_pair_add(keys, items[i].doc->url, items[i].doc->sha256);
	}
	int rc =
	    write_exec_pairs(conn, "looking up stored documents",
			     "SELECT k.ord - 1, d.id FROM json_array_elements($1::json)"
			     " WITH ORDINALITY AS k(v, ord) JOIN documents d ON d.url = k.v->>0"
			     " AND d.sha256 = k.v->>1",
			     keys, &r, e);
	if (rc < 0)
		return -1;
	memset(isnew, 1, n);
	memset(stored, 0, n * sizeof(*stored));
	for (int k = 0; k < PQntuples(r); k++) {
		long i = atol(PQgetvalue(r, k, 0));
		if (i >= 0 && (size_t)i < n) {
			isnew[i] = 0;
			stored[i] = atoll(PQgetvalue(r, k, 1));
		}
	}
	PQclear(r);
	long nnew = 0;
	for (size_t i = 0; i < n; i++) {
		/* a key sent twice in one batch is stored once: the first item gets it */
		for (size_t j = 0; isnew[i] && j < i; j++)
			if (isnew[j] && write_same_key(&items[i], &items[j]))
				isnew[i] = 0;
		nnew += isnew[i];
	}
	return nnew;
}

/* Give sid[i] the id of item i's source from r's rows (id, name), where r has it. */
static void
write_source_ids(const PGresult *r, const struct sink_write_item *items, size_t n,
		 const char *isnew, long long *sid)
{
	for (size_t i = 0; i < n; i++)
		for (int k = 0; isnew[i] && items[i].doc->source && k < PQntuples(r); k++)
			if (strcmp(PQgetvalue(r, k, 1), items[i].doc->source) == 0)
				sid[i] = atoll(PQgetvalue(r, k, 0));
}

/*
 * Record the sources of the new documents; sid[i] gets item i's source id
 * (0: none). Sources already stored with the same url are only read: an
 * upsert locks its row to the end of the transaction, and the two halves
 * of a batch (sink_pair.h) would then take turns on a source they share.
 */
static int
write_sources(PGconn *conn, struct sink_write_item *items, size_t n, const char *isnew,
	      long long *sid, struct sink_err *e)
{
	struct json_object *srcs = json_object_new_array();
	PGresult *r;
	for (size_t i = 0; i < n; i++) {
		if (!isnew[i] || items[i].doc->source == NULL)
			continue;
		write_pair_add(srcs, items[i].doc->source, items[i].doc->source_url);
	}
	if (json_object_array_length(srcs) == 0) {
		json_object_put(srcs);
		return 0;
	}
	const char *p[] = {json_object_to_json_string_ext(srcs, JSON_C_TO_STRING_PLAIN)};
	if (sink_db_exec(conn, "looking up the sources",
			 "SELECT DISTINCT s.id, s.name FROM json_array_elements($1::json) v"
			 " JOIN sources s ON s.name = v->>0 AND s.url IS NOT DISTINCT FROM v->>1",
			 1, p, &r, e) < 0) {
		json_object_put(srcs);
		return -1;
	}
	write_source_ids(r, items, n, isnew, sid);
	PQclear(r);
	struct json_object *changed = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		if (isnew[i] && items[i].doc->source && sid[i] == 0)
			write_pair_add(changed, items[i].doc->source, items[i].doc->source_url);
	json_object_put(srcs);
	if (json_object_array_length(changed) == 0) {
		json_object_put(changed);
		return 0;
	}
	if (write_exec_pairs(
		conn, "recording the sources",
		"INSERT INTO sources (name, url) SELECT DISTINCT ON (s->>0) s->>0, s->>1"
		" FROM json_array_elements($1::json) s ORDER BY s->>0"
		" ON CONFLICT (name) DO UPDATE SET url = EXCLUDED.url RETURNING id, name",
		changed, &r, e) < 0)
		return -1;
	write_source_ids(r, items, n, isnew, sid);
	PQclear(r);
	return 0;
}

/*
 * Insert the documents that are not stored yet, by COPY with ids reserved
 * up front; set ids[i] for each of them (0: stored before, and then
 * stored[i] is its id, or sent earlier in the batch). A concurrent writer
 * storing the same key in between makes the COPY fail on the unique key: the
 * batch is then split and tried again, and finds it stored.
 */
static int
write_documents(PGconn *conn, struct sink_write_item *items, size_t n, long long *ids,
		long long *stored, struct sink_err *e)
{
	char *isnew = xcalloc(n + 1, 1);
	long long *sid = xcalloc(n + 1, sizeof(long long)), *doc_ids = NULL;
	struct buf rows = {0};
	int rc = -1;

	memset(ids, 0, n * sizeof(*ids));
	long nnew = write_find_new(conn, items, n, isnew, stored, e);
	if (nnew <= 0) {
		rc = nnew < 0 ? -1 : 0;
		goto out;
	}
	if (write_sources(conn, items, n, isnew, sid, e) < 0)
		goto out;
	doc_ids = sink_db_reserve_ids(conn, "documents", (size_t)nnew, e);
	if (doc_ids == NULL)
		goto out;
	for (size_t i = 0, k = 0; i < n; i++) {
		if (!isnew[i])
			continue;
		ids[i] = doc_ids[k++];
		sink_rows_document(items[i].doc, ids[i], sid[i], &rows);
	}
	rc = sink_db_copy(conn, "storing the documents",
			  "COPY documents (" SINK_ROWS_DOCUMENT_COLUMNS ") FROM STDIN", &rows, e);
out:
	buf_release(&rows);
	free(doc_ids);
	free(sid);
	free(isnew);
	return rc;
}

static int
write_rows(PGconn *conn, struct sink_write_item *items, size_t n, const long long *ids,
	   struct sink_err *e)
{
	struct buf rows = {0};
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		if (ids[i] == 0)
			continue;
		buf_printf(&rows, "%lld\t", ids[i]);
		write_hex_field(&rows, items[i].body, items[i].body ? items[i].body_len : 0);
		buf_putc(&rows, '\n');
	}
	if (rows.len == 0)
		return 0;
	if (sink_db_copy(conn, "storing the raw bodies",
			 "COPY documents_raw (document_id, body) FROM STDIN", &rows, e) < 0 ||
	    sink_write_tree(conn, items, n, ids, e) < 0)
		rc = -1;
	buf_release(&rows);
	return rc;
}

int
sink_write_tree(PGconn *conn, const struct sink_write_item *items, size_t n, const long long *ids,
		struct sink_err *e)
{
	struct buf rows = {0};
	size_t nsec = 0;
	long long *sec_ids = NULL;
	int rc = -1;

	for (size_t i = 0; i < n; i++)
		if (ids[i] != 0)
			nsec += items[i].doc->nsec;
	if (nsec > 0) {
		sec_ids = sink_db_reserve_ids(conn, SINK_ROWS_SECTION_TABLE, nsec, e);
		if (sec_ids == NULL)
			goto out;
		for (size_t i = 0, at = 0; i < n; i++) {
			if (ids[i] == 0)
				continue;
			sink_rows_sections(items[i].doc, ids[i], sec_ids + at, &rows);
			at += items[i].doc->nsec;
		}
		if (sink_db_copy(conn, "storing the sections",
				 "COPY " SINK_ROWS_SECTION_TABLE " (" SINK_ROWS_SECTION_COLUMNS
				 ") FROM STDIN",
				 &rows, e) < 0)
			goto out;
		buf_reset(&rows);
	}
	for (size_t i = 0, at = 0; i < n; i++) {
		if (ids[i] == 0)
			continue;
		sink_rows_metrics(items[i].doc, ids[i], sec_ids ? sec_ids + at : NULL, &rows);
		at += items[i].doc->nsec;
	}
	if (rows.len > 0 && sink_db_copy(conn, "storing the metrics",
					 "COPY " SINK_ROWS_METRIC_TABLE
					 " (" SINK_ROWS_METRIC_COLUMNS ") FROM STDIN",
					 &rows, e) < 0)
		goto out;
	rc = 0;
out:
	buf_release(&rows);
	free(sec_ids);
	return rc;
}

static void
write_json_opt(struct json_object *a, const char *v)
{
	json_object_array_add(a, v ? json_object_new_string(v) : NULL);
}

/*
 * Of the versions of each URL in the batch, the one fetched last (the later
 * in the batch on a tie) is what the URL serves now. A new one becomes
 * current. A stored one that is not current becomes current again, with
 * the validators and fetch time it was just served with, unless the current
 * version was fetched after it (a job an earlier run left in the spool).
 * Sets revived[i] for the items made current again. 0, or -1 with e filled.
 */
static int
write_current(PGconn *conn, struct sink_write_item *items, size_t n, const long long *ids,
	      const long long *stored, char *revived, struct sink_err *e)
{
	struct json_object *cand = json_object_new_array(), *set = json_object_new_array();
	struct buf winners = {0};
	PGresult *r = NULL;
	int rc = -1;

	for (size_t i = 0; i < n; i++) {
		if (ids[i] == 0 && stored[i] == 0)
			continue;
		struct json_object *c = json_object_new_array();
		json_object_array_add(c, json_object_new_int64((int64_t)i));
		json_object_array_add(c, json_object_new_int64(ids[i] ? ids[i] : stored[i]));
		json_object_array_add(c, json_object_new_boolean(ids[i] != 0));
		write_json_opt(c, items[i].doc->fetched_at);
		json_object_array_add(cand, c);
	}
	if (json_object_array_length(cand) == 0) {
		rc = 0;
		goto out;
	}
	const char *p[] = {json_object_to_json_string_ext(cand, JSON_C_TO_STRING_PLAIN), NULL};
	if (sink_db_exec(conn, "finding the current versions",
			 "WITH c AS (SELECT (v->>0)::int AS ord, d.url, d.is_current,"
			 " (v->>2)::boolean AS fresh, CASE WHEN (v->>2)::boolean THEN d.fetched_at"
			 " ELSE coalesce((v->>3)::timestamptz, now()) END AS at"
			 " FROM json_array_elements($1::json) v JOIN documents d"
			 " ON d.id = (v->>1)::bigint),"
			 " w AS (SELECT DISTINCT ON (url) * FROM c ORDER BY url, at DESC, ord DESC)"
			 " SELECT ord FROM w WHERE fresh OR (NOT is_current AND NOT EXISTS"
			 " (SELECT 1 FROM documents o WHERE o.url = w.url AND o.is_current"
			 " AND o.fetched_at > w.at))",
			 1, p, &r, e) < 0)
		goto out;
	buf_putc(&winners, '{');
	for (int k = 0; k < PQntuples(r); k++) {
		long i = atol(PQgetvalue(r, k, 0));
		if (i < 0 || (size_t)i >= n)
			continue;
		const struct sink_doc *d = items[i].doc;
		int again = ids[i] == 0;
		long long id = again ? stored[i] : ids[i];
		struct json_object *v = json_object_new_array();
		json_object_array_add(v, json_object_new_int64(id));
		json_object_array_add(v, json_object_new_boolean(again));
		write_json_opt(v, d->fetched_at);
		write_json_opt(v, d->etag);
		write_json_opt(v, d->last_modified);
		json_object_array_add(set, v);
		buf_printf(&winners, "%s%lld", winners.len > 1 ? "," : "", id);
		revived[i] = (char)again;
	}
	buf_putc(&winners, '}');
	p[0] = winners.data;
	p[1] = json_object_to_json_string_ext(set, JSON_C_TO_STRING_PLAIN);
	/* the unique index on the current version of a URL: retire before marking */
	if (winners.len > 2 &&
	    (sink_db_exec(conn, "retiring the previous versions",
			  "UPDATE documents d SET is_current = false FROM documents n"
			  " WHERE n.id = ANY($1::bigint[]) AND d.url = n.url AND d.is_current",
			  1, p, NULL, e) < 0 ||
	     sink_db_exec(conn, "marking the current versions",
			  "UPDATE documents d SET is_current = true,"
			  " fetched_at = CASE WHEN (v->>1)::boolean"
			  " THEN coalesce((v->>2)::timestamptz, now()) ELSE d.fetched_at END,"
			  " etag = CASE WHEN (v->>1)::boolean THEN v->>3 ELSE d.etag END,"
			  " last_modified = CASE WHEN (v->>1)::boolean THEN v->>4"
			  " ELSE d.last_modified END"
			  " FROM json_array_elements($1::json) v WHERE d.id = (v->>0)::bigint",
			  1, p + 1, NULL, e) < 0))
		goto out;
	rc = 0;
out:
	PQclear(r);
	buf_release(&winners);
	json_object_put(set);
	json_object_put(cand);
	return rc;
}

enum store_result
sink_write_batch(PGconn *conn, struct sink_write_item *items, size_t n, struct sink_err *e)
{
	long long *ids = xcalloc(n + 1, sizeof(long long));
	long long *stored = xcalloc(n + 1, sizeof(long long));
	char *revived = xcalloc(n + 1, 1);

	e->msg[0] = e->sqlstate[0] = '\0';
	if (sink_db_exec(conn, "BEGIN", "BEGIN", 0, NULL, NULL, e) < 0 ||
	    write_documents(conn, items, n, ids, stored, e) < 0 ||
	    write_rows(conn, items, n, ids, e) < 0 ||
	    write_current(conn, items, n, ids, stored, revived, e) < 0 ||
	    sink_db_exec(conn, "COMMIT", "COMMIT", 0, NULL, NULL, e) < 0)
		goto fail;
	/* a version made current again counts as stored: it changed what the URL shows */
	for (size_t i = 0; i < n; i++) {
		items[i].outcome = ids[i] || revived[i] ? STORE_STORED : STORE_DUPLICATE;
		if (revived[i])
			log_info("url=%s serves an earlier version again: document %lld is"
				 " current again",
				 items[i].doc->url, stored[i]);
	}
	free(ids);
	free(stored);
	free(revived);
	return STORE_STORED;
fail:
	free(ids);
	free(stored);
	free(revived);
	if (sink_db_lost(conn, e))
		return STORE_RETRY;
	struct sink_err ignored = {0};
	if (sink_db_exec(conn, "ROLLBACK", "ROLLBACK", 0, NULL, NULL, &ignored) < 0 &&
	    sink_db_lost(conn, &ignored))
		return STORE_RETRY;
	return STORE_REJECTED;
}

/*
 * An acknowledgement holds while the URL keeps failing the same way: once a
 * document of it is stored after the letter was last seen, a new failure
 * waits again.
 */
int
sink_write_dead_letter(PGconn *conn, const struct sink_letter *l, struct sink_err *e)
{
	char run[32], att[16];
	const unsigned char *body = l->body;
	snprintf(run, sizeof(run), "%lld", l->run_id);
	snprintf(att, sizeof(att), "%d", l->attempts);
	if (l->body_len > INT32_MAX)
		body = NULL; /* keep the letter, drop a body PostgreSQL cannot take in one value */
	/* a letter must always go in: what it says is made valid text first */
	char *u = xstrdup(l->url), *why = xstrdup(l->error);
	char *src = l->source && *l->source ? xstrdup(l->source) : NULL;
	sink_db_utf8_clean(u);
	sink_db_utf8_clean(why);
	if (src)
		sink_db_utf8_clean(src);
	const char *vals[] = {l->run_id > 0 ? run : NULL,
			      u,
			      l->stage,
			      why,
			      l->sqlstate && *l->sqlstate ? l->sqlstate : NULL,
			      att,
			      (const char *)body,
			      src};
	int lens[] = {0, 0, 0, 0, 0, 0, body ? (int)l->body_len : 0, 0};
	int fmts[] = {0, 0, 0, 0, 0, 0, 1, 0};
	PGresult *r = sink_db_query_formats(
	    conn,
	    "INSERT INTO dead_letters AS dl (run_id, url, stage, error, sqlstate, attempts, body,"
	    " source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
	    " ON CONFLICT (url, stage, cause) DO UPDATE SET"
	    " run_id = coalesce(EXCLUDED.run_id, dl.run_id), error = EXCLUDED.error,"
	    " sqlstate = EXCLUDED.sqlstate, attempts = EXCLUDED.attempts, body = EXCLUDED.body,"
	    " source = coalesce(EXCLUDED.source, dl.source),"
	    " count = dl.count + (dl.run_id IS DISTINCT FROM EXCLUDED.run_id)::int,"
	    " last_seen = now(), acked_at = CASE WHEN EXISTS (SELECT 1 FROM documents d"
	    " WHERE d.url = dl.url AND d.fetched_at >= dl.last_seen) THEN NULL"
	    " ELSE dl.acked_at END"
	    /* a subquery here sees the row as it was before this statement */
	    " RETURNING acked_at IS NOT NULL, (SELECT o.run_id FROM dead_letters o"
	    " WHERE o.id = dl.id) = $1::bigint",
	    8, vals, lens, fmts);
	int rc = -1;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		rc = (strcmp(PQgetvalue(r, 0, 0), "t") == 0 ? LETTER_KNOWN : 0) |
		     (strcmp(PQgetvalue(r, 0, 1), "t") == 0 ? LETTER_REPEAT : 0);
	} else {
		snprintf(e->sqlstate, sizeof(e->sqlstate), "%s", sink_db_sqlstate(r));
		snprintf(e->msg, sizeof(e->msg), "%s", PQerrorMessage(conn));
		e->msg[strcspn(e->msg, "\n")] = '\0';
		if (!sink_db_lost(conn, e))
			log_warnx("url=%s recording a dead letter failed%s%s%s: %s", u,
				  e->sqlstate[0] ? " (SQLSTATE " : "", e->sqlstate,
				  e->sqlstate[0] ? ")" : "", e->msg);
	}
	PQclear(r);
	free(u);
	free(why);
	free(src);
	return rc;
}
