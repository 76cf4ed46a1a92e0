/*
 * run_dry.c - `reportpipe run --dry-run`: what a run would change.
 *
 * The sources are fetched with the fetcher's rules (fetcher_http through
 * fetcher_direct: robots.txt, schemes, hosts, max_bytes) and their index
 * pages scanned as the fetcher scans them (fetcher_index_scan); each report
 * is parsed here, in this process, and looked up in the database by url and
 * sha256, the sink's own key. Must never write: no spool file, no lock, no
 * ingest_runs row, no dead letter, only SELECTs (see DESIGN-NOTES.md,
 * "Dry runs", for why it does not go through the sink).
 */
#include "run_dry.h"
#include "fetcher_urlmap.h"
#include "buf.h"
#include "digest.h"
#include "fetcher_direct.h"
#include "fetcher_index.h"
#include "log.h"
#include "parse.h"
#include "sig.h"
#include "sink_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

struct dry {
	const struct config *cfg;
	PGconn *conn;
	int have_schema; /* the documents table exists: else every report is new */
	struct fetcher_http *http;
	struct fetcher_urlmap *seen;	   /* every URL queued, as a set */
	struct fetcher_urlmap *link_texts; /* report URL -> its index link's text */
	long fresh, versions, revived, unchanged, failed;
	int db_lost;
};

static void
dry_fetch(struct dry *d, const char *url, const struct source *src, enum fetch_kind kind, int page,
	  int from_config)
{
	if (!fetcher_urlmap_add(d->seen, url))
		return;
	struct fetch_request req = {
	    .url = url, .src = src, .kind = kind, .page = page, .from_config = from_config};
	fetcher_http_add(d->http, &req);
}

static void
dry_on_index(struct dry *d, const struct fetch_result *r)
{
	struct fetcher_index_page page;
	if (!r->ok || r->not_modified) {
		printf("failed    %s  (index page of source \"%s\": %s)\n", r->url, r->src->name,
		       r->error);
		d->failed++;
		return;
	}
	if (fetcher_index_scan(r->src, r->final_url ? r->final_url : r->url,
			       r->body.data ? r->body.data : "", r->body.len, &page) < 0) {
		printf("failed    %s  (index page of source \"%s\" is not readable HTML)\n", r->url,
		       r->src->name);
		d->failed++;
		return;
	}
	for (size_t i = 0; i < page.nlinks; i++) {
		if (page.texts[i][0] && !fetcher_urlmap_get(d->link_texts, page.links[i]))
			fetcher_urlmap_put(d->link_texts, page.links[i], page.texts[i]);
		dry_fetch(d, page.links[i], r->src, FETCH_KIND_REPORT, 0, 0);
	}
	if (page.next && r->page < r->src->max_pages)
		dry_fetch(d, page.next, r->src, FETCH_KIND_INDEX, r->page + 1, 0);
	fetcher_index_page_release(&page);
}

/*
 * What storing (url, sha) would do: "new", "new version", "earlier version"
 * (stored, not current: it would be made current again) or "unchanged".
 * NULL when the database cannot say (logged).
 */
static const char *
dry_compare(struct dry *d, const char *url, const char *sha)
{
	if (!d->have_schema)
		return "new";
	const char *p[] = {url, sha};
	PGresult *res;
	struct sink_err e = {0};
	if (sink_db_exec(d->conn, "looking up a stored document",
			 "SELECT count(*), count(*) FILTER (WHERE sha256 = $2),"
			 " count(*) FILTER (WHERE sha256 = $2 AND is_current)"
			 " FROM documents WHERE url = $1",
			 2, p, &res, &e) < 0) {
		log_warnx("url=%s cannot compare with the database: %s", url, e.msg);
		d->db_lost = 1;
		return NULL;
	}
	long any = atol(PQgetvalue(res, 0, 0)), same = atol(PQgetvalue(res, 0, 1)),
	     current = atol(PQgetvalue(res, 0, 2));
	PQclear(res);
	if (current > 0) {
		d->unchanged++;
		return "unchanged";
	}
	if (same > 0) {
		d->revived++;
		return "earlier version";
	}
	if (any > 0) {
		d->versions++;
		return "new version";
	}
	d->fresh++;
	return "new";
}

static void
dry_on_report(struct dry *d, const struct fetch_result *r)
{
	if (!r->ok || r->not_modified) {
		printf("failed    %s  (fetch: %s)\n", r->url, r->error);
		d->failed++;
		return;
	}
	struct parse_options opts = {.content_type = r->content_type,
				     .content_xpath = r->src ? r->src->parse.content_xpath : NULL,
				     .link_text = fetcher_urlmap_get(d->link_texts, r->url)};
	char err[256], sha[DIGEST_HEX_LEN + 1];
	const char *body = r->body.data ? r->body.data : "";
	struct doc *doc =
	    parse_document_opts((const unsigned char *)body, r->body.len, &opts, err, sizeof(err));
	if (doc == NULL) {
		printf("failed    %s  (parse: %s)\n", r->url, err);
		d->failed++;
		return;
	}
	digest_sha256_hex(body, r->body.len, sha);
	const char *what = dry_compare(d, r->url, sha);
	if (what)
		printf("%-9s %s  (%s; %zu sections, %zu metrics)\n", what, r->url,
		       doc->title && doc->title[0] ? doc->title : "no title", doc->nsections,
		       doc->nmetrics);
	doc_free(&doc);
}

int
run_dry(const struct config *cfg, const char *conninfo)
{
	struct dry d = {.cfg = cfg};
	int opened = sink_db_open(conninfo, &d.conn);
	if (opened != 0)
		return opened;
	PGresult *res;
	struct sink_err e = {0};
	if (sink_db_exec(d.conn, "looking for the schema",
			 "SELECT to_regclass('documents') IS NOT NULL", 0, NULL, &res, &e) < 0) {
		log_warnx("cannot read the database: %s", e.msg);
		PQfinish(d.conn);
		return EX_TEMPFAIL;
	}
	d.have_schema = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);

	d.http = fetcher_http_new(cfg);
	d.seen = fetcher_urlmap_new();
	d.link_texts = fetcher_urlmap_new();
	for (size_t i = 0; i < cfg->nsources; i++) {
		const struct source *src = &cfg->sources[i];
		dry_fetch(&d, src->url ? src->url : src->index, src,
			  src->url ? FETCH_KIND_REPORT : FETCH_KIND_INDEX, 1, 1);
	}
	struct fetch_result *r;
	while (!d.db_lost && (r = fetcher_direct_next(d.http)) != NULL) {
		if (r->kind == FETCH_KIND_INDEX)
			dry_on_index(&d, r);
		else
			dry_on_report(&d, r);
		fflush(stdout);
		fetcher_http_result_free(&r);
	}
	printf("dry run: %ld new, %ld new versions, %ld earlier versions, %ld unchanged, %ld"
	       " failed; nothing was stored\n",
	       d.fresh, d.versions, d.revived, d.unchanged, d.failed);
	fetcher_http_free(&d.http);
	fetcher_urlmap_free(&d.seen);
	fetcher_urlmap_free(&d.link_texts);
	PQfinish(d.conn);
	if (sig_stop || d.db_lost)
		return EX_TEMPFAIL;
	return d.failed ? 1 : 0;
}
