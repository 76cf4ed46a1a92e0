/*
 * fetcher_discover.c - what the loop does with a finished transfer: an index
 * page's new links become reports (their stored validators asked of the sink
 * first), a report's body is spooled, and once durable becomes a job.
 *
 * Must never fetch a URL twice in one run, nor make a job of a body before
 * the spool's group commit made it durable (fetcher_on_spooled).
 */
#include "buf.h"
#include "digest.h"
#include "fetcher_index.h"
#include "fetcher_stage.h"
#include "log.h"
#include "monotime.h"
#include "proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

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
void
fetcher_fetch(struct fetcher *f, const char *url, const struct source *src, enum fetch_kind kind,
	      int page, int from_config)
{
	struct json_object *known, *v;
	struct fetch_request req = {
	    .url = url, .src = src, .kind = kind, .page = page, .from_config = from_config};

	if (kind == FETCH_KIND_REPORT && json_object_object_get_ex(f->validators, url, &known)) {
		if (json_object_object_get_ex(known, PROTO_KEY_ETAG, &v))
			req.etag = json_object_get_string(v);
		if (json_object_object_get_ex(known, PROTO_KEY_LAST_MODIFIED, &v))
			req.last_modified = json_object_get_string(v);
	}
	fetcher_http_add(f->http, &req);
}

/* 1 the first time url is seen in this run. */
int
fetcher_first_sight(struct fetcher *f, const char *url)
{
	return fetcher_urlmap_add(f->seen, url);
}

/* A finished report: unchanged, or spooled and queued, or a dead letter. */
static void
fetcher_on_report(struct fetcher *f, struct fetch_result *r)
{
	if (!r->ok) {
		f->fetch_failed++;
		fetcher_count(f, r->src ? r->src->name : NULL, r->url, PROTO_KEY_FAILED);
		log_warnx("url=%s fetch failed: %s", r->url, r->error);
		fetcher_dead(f, &(struct dead_letter){.source = r->src ? r->src->name : NULL,
						      .url = r->url,
						      .stage = "fetch",
						      .error = r->error,
						      .attempts = r->attempts});
		return;
	}
	f->fetched++;
	if (r->not_modified) {
		f->unchanged++;
		log_debug("url=%s not modified (304)", r->url);
		return;
	}
	char sha[DIGEST_HEX_LEN + 1];
	digest_sha256_hex(r->body.data ? r->body.data : "", r->body.len, sha);

	struct json_object *known, *ksha;
	if (json_object_object_get_ex(f->validators, r->url, &known) &&
	    json_object_object_get_ex(known, PROTO_KEY_SHA256, &ksha) &&
	    strcmp(json_object_get_string(ksha), sha) == 0) {
		f->unchanged++;
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
		fetcher_urlmap_put(f->url_source, r->url, r->src->name);
	add_opt(h, PROTO_KEY_SOURCE_URL, r->src && r->src->index ? r->src->index : r->url);
	add_opt(h, PROTO_KEY_LINK_TEXT, fetcher_urlmap_get(f->link_texts, r->url));
	int rc = fetcher_spool_stage(f->spool, key, r->url, r->attempts,
				     json_object_to_json_string_ext(h, JSON_C_TO_STRING_PLAIN),
				     r->body.data ? r->body.data : "", r->body.len);
	json_object_put(h);
	if (rc < 0) {
		f->fetch_failed++;
		fetcher_count(f, NULL, r->url, PROTO_KEY_FAILED);
		fetcher_dead(f, &(struct dead_letter){.source = r->src ? r->src->name : NULL,
						      .url = r->url,
						      .stage = "fetch",
						      .error = "could not write the spool file",
						      .attempts = r->attempts,
						      .body = r->body.data,
						      .len = r->body.len});
	}
	/* the job is queued once the group commit made it durable: fetcher_on_spooled */
}

/* Bodies the spool committed: now, and only now, they become jobs. */
void
fetcher_on_spooled(struct fetcher *f)
{
	struct fetcher_spooled *b;
	while ((b = fetcher_spool_next(f->spool)) != NULL) {
		if (b->failed) {
			f->fetch_failed++;
			fetcher_count(f, NULL, b->url, PROTO_KEY_FAILED);
			fetcher_dead(
			    f, &(struct dead_letter){.url = b->url,
						     .stage = "fetch",
						     .error = "could not write the spool file",
						     .attempts = b->attempts,
						     .body = b->data,
						     .len = b->data ? b->len : 0});
		} else {
			f->last_spooled_ms = monotime_ms();
			f->spooled_bytes += (long long)b->len;
			log_debug("url=%s spooled as %s (%zu bytes)", b->url, b->key, b->len);
			fetcher_jobs_enqueue(f->jobs, b->key, b->url);
		}
		fetcher_spool_spooled_free(&b);
	}
}

/* Ask the sink for the validators of newly discovered URLs; they are fetched on its answer. */
static void
fetcher_ask_validators(struct fetcher *f, const struct source *src, char **urls, size_t n)
{
	struct json_object *req = json_object_new_object(), *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, json_object_new_string(urls[i]));
	json_object_object_add(req, PROTO_KEY_URLS, arr);
	fetcher_add_run(f, req);
	if (wire_send(f->ctl, NULL, 0, PROTO_MSG_VALIDATORS, req, NULL, 0) < 0) {
		/* without validators a report is fetched whole; the sha256 still finds it unchanged
		 */
		log_warnx("index of source \"%s\": cannot ask the sink for validators: %s",
			  src->name, zmq_strerror(errno));
		for (size_t i = 0; i < n; i++) {
			fetcher_fetch(f, urls[i], src, FETCH_KIND_REPORT, 0, 0);
			free(urls[i]);
		}
		free(urls);
	} else {
		f->batches = xreallocarray(f->batches, f->nbatches + 1, sizeof(*f->batches));
		f->batches[f->nbatches++] = (struct batch){src, urls, n};
	}
	json_object_put(req);
}

/* The sink's answer to the oldest VALIDATORS question: fetch that batch. */
void
fetcher_on_validators(struct fetcher *f, struct wire_msg *m)
{
	struct json_object *v, *known;
	if (f->bhead == f->nbatches) {
		log_warnx("ignored a VALIDATORS answer nobody asked for");
		return;
	}
	struct batch *b = &f->batches[f->bhead++];
	if (json_object_object_get_ex(m->hdr, PROTO_KEY_VALIDATORS, &v) &&
	    json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, url, val)
		{
			if (!json_object_object_get_ex(f->validators, url, &known))
				json_object_object_add(f->validators, url, json_object_get(val));
		}
	}
	for (size_t i = 0; i < b->nurls; i++) {
		fetcher_fetch(f, b->urls[i], b->src, FETCH_KIND_REPORT, 0, 0);
		free(b->urls[i]);
	}
	free(b->urls);
	b->urls = NULL;
	if (f->bhead == f->nbatches)
		f->bhead = f->nbatches = 0;
}

/* A finished index page: queue its new matching links and its next page. */
static void
fetcher_on_index(struct fetcher *f, struct fetch_result *r)
{
	const struct source *src = r->src;
	struct fetcher_index_page page;

	if (!r->ok || r->not_modified) {
		f->fetch_failed++;
		fetcher_count(f, src->name, NULL, PROTO_KEY_FAILED);
		log_warnx("url=%s index page of source \"%s\" failed: %s", r->url, src->name,
			  r->error);
		fetcher_dead(f, &(struct dead_letter){.source = src->name,
						      .url = r->url,
						      .stage = "fetch",
						      .error = r->error,
						      .attempts = r->attempts});
		return;
	}
	if (fetcher_index_scan(src, r->final_url ? r->final_url : r->url,
			       r->body.data ? r->body.data : "", r->body.len, &page) < 0) {
		f->fetch_failed++;
		fetcher_count(f, src->name, NULL, PROTO_KEY_FAILED);
		fetcher_dead(f, &(struct dead_letter){.source = src->name,
						      .url = r->url,
						      .stage = "fetch",
						      .error = "index page is not readable HTML",
						      .attempts = r->attempts,
						      .body = r->body.data,
						      .len = r->body.len});
		return;
	}
	char **fresh = xcalloc(page.nlinks + 1, sizeof(*fresh));
	size_t nfresh = 0;
	for (size_t i = 0; i < page.nlinks; i++) {
		if (fetcher_first_sight(f, page.links[i])) {
			/* the parser's title when the report names none */
			if (page.texts[i][0])
				fetcher_urlmap_put(f->link_texts, page.links[i], page.texts[i]);
			fresh[nfresh++] = page.links[i];
			page.links[i] = NULL;
		}
	}
	log_info("source \"%s\": index page %d (%s): %zu matching links, %zu new, %zu refused",
		 src->name, r->page, r->url, page.nlinks, nfresh, page.refused);
	if (nfresh > 0)
		fetcher_ask_validators(f, src, fresh, nfresh);
	else
		free(fresh);
	if (page.next && r->page < src->max_pages && fetcher_first_sight(f, page.next))
		fetcher_fetch(f, page.next, src, FETCH_KIND_INDEX, r->page + 1, 0);
	fetcher_index_page_release(&page);
}

void
fetcher_on_fetched(struct fetcher *f, struct fetch_result *r)
{
	if (r->kind == FETCH_KIND_INDEX)
		fetcher_on_index(f, r);
	else
		fetcher_on_report(f, r);
}

/* Once, when the last transfer is over: the fetch phase's own throughput. */
void
fetcher_log_idle(struct fetcher *f)
{
	const struct fetch_stats *st = fetcher_http_stats(f->http);
	if (f->idle_logged || st->first_start_ms < 0)
		return;
	f->idle_logged = 1;
	long long end =
	    f->last_spooled_ms > st->last_done_ms ? f->last_spooled_ms : st->last_done_ms;
	double secs = (double)(end - st->first_start_ms) / 1000, commit_ms;
	long commits;
	fetcher_spool_stats(f->spool, &commits, &commit_ms);
	log_info("fetching done: %ld reports fetched (%ld unchanged, %ld not modified), %ld failed;"
		 " %ld requests, %ld retries; %.2f MB received, %.2f MB spooled in %.3f s"
		 " (first request to last body spooled); %ld spool group commits took %.0f ms",
		 f->fetched, f->unchanged, st->not_modified, f->fetch_failed, st->requests,
		 st->retries, (double)st->body_bytes / 1e6, (double)f->spooled_bytes / 1e6,
		 secs > 0 ? secs : 0, commits, commit_ms);
}
