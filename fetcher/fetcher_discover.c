/*
 * fetcher_discover.c - what the loop does with a finished transfer: an index
 * page's new links become reports (their stored validators asked of the sink
 * first), a report's body is spooled, and once durable becomes a job.
 *
 * Must never fetch a URL twice in one run, nor make a job of a body before
 * the spool's group commit made it durable (fetcher_discover_on_spooled).
 */
#include "buf.h"
#include "digest.h"
#include "fetcher_index.h"
#include "fetcher_discover.h"
#include "fetcher_urlmap.h"
#include "log.h"
#include "monotime.h"
#include "proto.h"

#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

/* Discovered report URLs waiting for the sink's VALIDATORS answer (answers come in order). */
struct batch {
	const struct source *src;
	char **urls;
	size_t nurls;
};

struct fetcher_discover {
	struct json_object *validators;	   /* url -> {sha256, etag, last_modified} */
	struct fetcher_urlmap *seen;	   /* every URL queued in this run, as a set */
	struct fetcher_urlmap *link_texts; /* report URL -> the text of the index link to it */
	struct batch *batches;		   /* asked of the sink, not answered yet */
	size_t nbatches, bhead;
	long long last_spooled_ms;
	long long spooled_bytes;
	int idle_logged;
};

struct fetcher_discover *
fetcher_discover_new(struct json_object *validators)
{
	struct fetcher_discover *d = g_new0(struct fetcher_discover, 1);
	d->validators = validators;
	d->seen = fetcher_urlmap_new();
	d->link_texts = fetcher_urlmap_new();
	return d;
}

void
fetcher_discover_free(struct fetcher_discover **dp)
{
	struct fetcher_discover *d = *dp;
	if (d) {
		/* the batches still asked: their URLs are never fetched now */
		for (size_t i = d->bhead; i < d->nbatches; i++) {
			for (size_t k = 0; k < d->batches[i].nurls; k++)
				free(d->batches[i].urls[k]);
			free(d->batches[i].urls);
		}
		free(d->batches);
		json_object_put(d->validators);
		fetcher_urlmap_free(&d->seen);
		fetcher_urlmap_free(&d->link_texts);
	}
	g_clear_pointer(dp, g_free);
}

static void
iso_now(char *out, size_t cap)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
add_opt(struct json_object *o, const char *key, const char *v)
{
	if (v)
		json_object_object_add(o, key, json_object_new_string(v));
}

/* Queue url for download, once per run, with its stored validators. */
static void
discover_fetch(struct fetcher_discover *d, struct fetcher_http *http, const char *url,
	       const struct source *src, enum fetch_kind kind, int page, int from_config)
{
	struct json_object *known, *v;
	struct fetch_request req = {
	    .url = url, .src = src, .kind = kind, .page = page, .from_config = from_config};

	if (kind == FETCH_KIND_REPORT && json_object_object_get_ex(d->validators, url, &known)) {
		if (json_object_object_get_ex(known, PROTO_KEY_ETAG, &v))
			req.etag = json_object_get_string(v);
		if (json_object_object_get_ex(known, PROTO_KEY_LAST_MODIFIED, &v))
			req.last_modified = json_object_get_string(v);
	}
	fetcher_http_add(http, &req);
}

/* 1 the first time url is seen in this run. */
static int
discover_first_sight(struct fetcher_discover *d, const char *url)
{
	return fetcher_urlmap_add(d->seen, url);
}

/* A finished report: unchanged, or spooled and queued, or a dead letter. */
static void
discover_on_report(struct fetcher_discover *d, struct fetcher_ctl *ctl, struct fetcher_spool *spool,
		   struct fetch_result *r)
{
	if (!r->ok) {
		log_warnx("url=%s fetch failed: %s", r->url, r->error);
		fetcher_ctl_fetch_failed(
		    ctl, r->src ? r->src->name : NULL, r->url,
		    &(struct dead_letter){.source = r->src ? r->src->name : NULL,
					  .url = r->url,
					  .stage = "fetch",
					  .error = r->error,
					  .attempts = r->attempts});
		return;
	}
	fetcher_ctl_tally(ctl, TALLY_FETCHED);
	if (r->not_modified) {
		fetcher_ctl_tally(ctl, TALLY_UNCHANGED);
		log_debug("url=%s not modified (304)", r->url);
		return;
	}
	char sha[DIGEST_HEX_LEN + 1];
	digest_sha256_hex(r->body.data ? r->body.data : "", r->body.len, sha);

	struct json_object *known, *ksha;
	if (json_object_object_get_ex(d->validators, r->url, &known) &&
	    json_object_object_get_ex(known, PROTO_KEY_SHA256, &ksha) &&
	    strcmp(json_object_get_string(ksha), sha) == 0) {
		fetcher_ctl_tally(ctl, TALLY_UNCHANGED);
		log_debug("url=%s unchanged", r->url);
		return;
	}

	struct buf keysrc = {0};
	char key[DIGEST_HEX_LEN + 1], fetched_at[32];
	buf_printf(&keysrc, "%s\n%s", r->url, sha);
	digest_sha256_hex(keysrc.data, keysrc.len, key);
	buf_release(&keysrc);
	iso_now(fetched_at, sizeof(fetched_at));

	struct json_object *h = json_object_new_object();
	add_opt(h, PROTO_KEY_KEY, key);
	add_opt(h, PROTO_KEY_URL, r->url);
	add_opt(h, PROTO_KEY_FINAL_URL, r->final_url);
	add_opt(h, PROTO_KEY_SHA256, sha);
	add_opt(h, PROTO_KEY_ETAG, r->etag);
	add_opt(h, PROTO_KEY_LAST_MODIFIED, r->last_modified);
	add_opt(h, PROTO_KEY_CONTENT_TYPE, r->content_type);
	add_opt(h, PROTO_KEY_FETCHED_AT, fetched_at);
	add_opt(h, PROTO_KEY_SOURCE, r->src ? r->src->name : NULL);
	if (r->src)
		fetcher_ctl_note_source(ctl, r->url, r->src->name);
	add_opt(h, PROTO_KEY_SOURCE_URL, r->src && r->src->index ? r->src->index : r->url);
	add_opt(h, PROTO_KEY_LINK_TEXT, fetcher_urlmap_get(d->link_texts, r->url));
	int rc = fetcher_spool_stage(spool, key, r->url, r->attempts,
				     json_object_to_json_string_ext(h, JSON_C_TO_STRING_PLAIN),
				     r->body.data ? r->body.data : "", r->body.len);
	json_object_put(h);
	if (rc < 0)
		fetcher_ctl_fetch_failed(
		    ctl, NULL, r->url,
		    &(struct dead_letter){.source = r->src ? r->src->name : NULL,
					  .url = r->url,
					  .stage = "fetch",
					  .error = "could not write the spool file",
					  .attempts = r->attempts,
					  .body = r->body.data,
					  .len = r->body.len});
	/* the job is queued once the group commit made it durable: fetcher_discover_on_spooled */
}

void
fetcher_discover_on_spooled(struct fetcher_discover *d, struct fetcher_ctl *ctl,
			    struct fetcher_spool *spool, struct fetcher_jobs *jobs)
{
	struct fetcher_spooled *b;
	while ((b = fetcher_spool_next(spool)) != NULL) {
		if (b->failed) {
			fetcher_ctl_fetch_failed(
			    ctl, NULL, b->url,
			    &(struct dead_letter){.url = b->url,
						  .stage = "fetch",
						  .error = "could not write the spool file",
						  .attempts = b->attempts,
						  .body = b->data,
						  .len = b->data ? b->len : 0});
		} else {
			d->last_spooled_ms = monotime_ms();
			d->spooled_bytes += (long long)b->len;
			log_debug("url=%s spooled as %s (%zu bytes)", b->url, b->key, b->len);
			fetcher_jobs_enqueue(jobs, b->key, b->url);
		}
		fetcher_spool_spooled_free(&b);
	}
}

/* Ask the sink for the validators of newly discovered URLs; they are fetched on its answer. */
static void
discover_ask_validators(struct fetcher_discover *d, struct fetcher_ctl *ctl,
			struct fetcher_http *http, const struct source *src, char **urls, size_t n)
{
	if (fetcher_ctl_ask_validators(ctl, urls, n) < 0) {
		/* without validators a report is fetched whole; the sha256 still finds it unchanged
		 */
		log_warnx("index of source \"%s\": cannot ask the sink for validators: %s",
			  src->name, zmq_strerror(errno));
		for (size_t i = 0; i < n; i++) {
			discover_fetch(d, http, urls[i], src, FETCH_KIND_REPORT, 0, 0);
			free(urls[i]);
		}
		free(urls);
	} else {
		d->batches = xreallocarray(d->batches, d->nbatches + 1, sizeof(*d->batches));
		d->batches[d->nbatches++] = (struct batch){src, urls, n};
	}
}

void
fetcher_discover_on_validators(struct fetcher_discover *d, struct fetcher_http *http,
			       struct wire_msg *m)
{
	struct json_object *v, *known;
	if (d->bhead == d->nbatches) {
		log_warnx("ignored a VALIDATORS answer nobody asked for");
		return;
	}
	struct batch *b = &d->batches[d->bhead++];
	if (json_object_object_get_ex(m->hdr, PROTO_KEY_VALIDATORS, &v) &&
	    json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, url, val)
		{
			if (!json_object_object_get_ex(d->validators, url, &known))
				json_object_object_add(d->validators, url, json_object_get(val));
		}
	}
	for (size_t i = 0; i < b->nurls; i++) {
		discover_fetch(d, http, b->urls[i], b->src, FETCH_KIND_REPORT, 0, 0);
		free(b->urls[i]);
	}
	free(b->urls);
	b->urls = NULL;
	if (d->bhead == d->nbatches)
		d->bhead = d->nbatches = 0;
}

int
fetcher_discover_asking(const struct fetcher_discover *d)
{
	return d->bhead < d->nbatches;
}

/* A finished index page that failed, or is not readable: counted, and a dead letter. */
static void
discover_index_failed(struct fetcher_ctl *ctl, const struct fetch_result *r, const char *error,
		      int with_body)
{
	fetcher_ctl_fetch_failed(ctl, r->src->name, NULL,
				 &(struct dead_letter){.source = r->src->name,
						       .url = r->url,
						       .stage = "fetch",
						       .error = error,
						       .attempts = r->attempts,
						       .body = with_body ? r->body.data : NULL,
						       .len = with_body ? r->body.len : 0});
}

/* A finished index page: queue its new matching links and its next page. */
static void
discover_on_index(struct fetcher_discover *d, struct fetcher_ctl *ctl, struct fetcher_http *http,
		  struct fetch_result *r)
{
	const struct source *src = r->src;
	struct fetcher_index_page page;

	if (!r->ok || r->not_modified) {
		log_warnx("url=%s index page of source \"%s\" failed: %s", r->url, src->name,
			  r->error);
		discover_index_failed(ctl, r, r->error, 0);
		return;
	}
	if (fetcher_index_scan(src, r->final_url ? r->final_url : r->url,
			       r->body.data ? r->body.data : "", r->body.len, &page) < 0) {
		discover_index_failed(ctl, r, "index page is not readable HTML", 1);
		return;
	}
	char **fresh = xcalloc(page.nlinks + 1, sizeof(*fresh));
	size_t nfresh = 0;
	for (size_t i = 0; i < page.nlinks; i++) {
		if (discover_first_sight(d, page.links[i])) {
			/* the parser's title when the report names none */
			if (page.texts[i][0])
				fetcher_urlmap_put(d->link_texts, page.links[i], page.texts[i]);
			fresh[nfresh++] = page.links[i];
			page.links[i] = NULL;
		}
	}
	log_info("source \"%s\": index page %d (%s): %zu matching links, %zu new, %zu refused",
		 src->name, r->page, r->url, page.nlinks, nfresh, page.refused);
	if (nfresh > 0)
		discover_ask_validators(d, ctl, http, src, fresh, nfresh);
	else
		free(fresh);
	if (page.next && r->page < src->max_pages && discover_first_sight(d, page.next))
		discover_fetch(d, http, page.next, src, FETCH_KIND_INDEX, r->page + 1, 0);
	fetcher_index_page_release(&page);
}

void
fetcher_discover_on_fetched(struct fetcher_discover *d, struct fetcher_ctl *ctl,
			    struct fetcher_http *http, struct fetcher_spool *spool,
			    struct fetch_result *r)
{
	if (r->kind == FETCH_KIND_INDEX)
		discover_on_index(d, ctl, http, r);
	else
		discover_on_report(d, ctl, spool, r);
}

void
fetcher_discover_sources(struct fetcher_discover *d, const struct config *cfg,
			 struct fetcher_http *http)
{
	for (size_t i = 0; i < cfg->nsources; i++) {
		const struct source *src = &cfg->sources[i];
		const char *url = src->url ? src->url : src->index;
		if (discover_first_sight(d, url))
			discover_fetch(d, http, url, src,
				       src->url ? FETCH_KIND_REPORT : FETCH_KIND_INDEX, 1, 1);
	}
}

void
fetcher_discover_log_idle(struct fetcher_discover *d, const struct fetcher_counts *n,
			  struct fetcher_http *http, struct fetcher_spool *spool)
{
	const struct fetch_stats *st = fetcher_http_stats(http);
	if (d->idle_logged || st->first_start_ms < 0)
		return;
	d->idle_logged = 1;
	long long end =
	    d->last_spooled_ms > st->last_done_ms ? d->last_spooled_ms : st->last_done_ms;
	double secs = (double)(end - st->first_start_ms) / 1000, commit_ms;
	long commits;
	fetcher_spool_stats(spool, &commits, &commit_ms);
	log_info("fetching done: %ld reports fetched (%ld unchanged, %ld not modified), %ld failed;"
		 " %ld requests, %ld retries; %.2f MB received, %.2f MB spooled in %.3f s"
		 " (first request to last body spooled); %ld spool group commits took %.0f ms",
		 n->fetched, n->unchanged, st->not_modified, n->fetch_failed, st->requests,
		 st->retries, (double)st->body_bytes / 1e6, (double)d->spooled_bytes / 1e6,
		 secs > 0 ? secs : 0, commits, commit_ms);
}
