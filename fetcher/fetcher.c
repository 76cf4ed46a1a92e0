/*
 * fetcher.c - the fetcher stage's loop: fetch, discover, spool, hand over.
 *
 * A body is on disk (spool, fsynced) before any worker hears of it
 * (fetcher_jobs.c leases it and clears it on the sink's ACK). Every fetch
 * failure goes to the sink as a dead letter with its class, status and
 * attempts, and the run goes on. Index pages are read here too: their matching links become
 * reports, whose stored validators are asked of the sink before they are fetched. Must never
 * dispatch a job a worker did not ask for, nor fetch a URL twice in one run.
 * On a stop signal it drains: no new fetches or leases, the jobs in flight
 * get drain_timeout to be stored, and the run is recorded as interrupted.
 */
#include "fetcher.h"
#include "buf.h"
#include "curve.h"
#include "digest.h"
#include "fetcher_index.h"
#include "fetcher_stage.h"
#include "log.h"
#include "proto.h"
#include "monotime.h"
#include "sig.h"
#include "spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

void
fetcher_dead(struct fetcher *f, const struct dead_letter *d)
{
	struct json_object *h = json_object_new_object();
	if (d->key)
		json_object_object_add(h, PROTO_KEY_KEY, json_object_new_string(d->key));
	json_object_object_add(h, PROTO_KEY_URL, json_object_new_string(d->url));
	if (d->source)
		json_object_object_add(h, PROTO_KEY_SOURCE, json_object_new_string(d->source));
	json_object_object_add(h, PROTO_KEY_STAGE, json_object_new_string(d->stage));
	json_object_object_add(h, PROTO_KEY_ERROR, json_object_new_string(d->error));
	json_object_object_add(h, PROTO_KEY_ATTEMPTS, json_object_new_int(d->attempts));
	fetcher_add_run(f, h);
	if (wire_send(f->ctl, NULL, 0, PROTO_MSG_DEAD, h, d->body, d->len) < 0)
		log_warnx("url=%s cannot report the failure to the sink: %s", d->url,
			  zmq_strerror(errno));
	json_object_put(h);
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
static int
fetcher_first_sight(struct fetcher *f, const char *url)
{
	if (json_object_object_get_ex(f->seen, url, NULL))
		return 0;
	json_object_object_add(f->seen, url, NULL);
	return 1;
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
		json_object_object_add(f->url_source, r->url, json_object_new_string(r->src->name));
	add_opt(h, PROTO_KEY_SOURCE_URL, r->src && r->src->index ? r->src->index : r->url);
	struct json_object *lt;
	if (json_object_object_get_ex(f->link_texts, r->url, &lt))
		add_opt(h, PROTO_KEY_LINK_TEXT, json_object_get_string(lt));
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
static void
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
			fetcher_jobs_enqueue(f, b->key, b->url);
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
static void
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
				json_object_object_add(f->link_texts, page.links[i],
						       json_object_new_string(page.texts[i]));
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

static void
fetcher_on_fetched(struct fetcher *f, struct fetch_result *r)
{
	if (r->kind == FETCH_KIND_INDEX)
		fetcher_on_index(f, r);
	else
		fetcher_on_report(f, r);
}

/* Once, when the last transfer is over: the fetch phase's own throughput. */
static void
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

/* The first stop signal: stop fetching and leasing; what is in flight may finish. */
static void
fetcher_drain(struct fetcher *f, long long *until)
{
	f->draining = 1;
	/* drain_timeout is for the whole stop: the jobs in flight, then the run's end */
	long long drain_ms = (long long)f->cfg->drain_timeout * 1000 - FINISH_STOPPING_MS;
	*until = monotime_ms() + (drain_ms > 0 ? drain_ms : 0);
	log_warnx("stopping: no new fetches; %zu job%s in flight get up to %d s to be stored;"
		  " a second signal stops at once",
		  fetcher_jobs_in_flight(f), fetcher_jobs_in_flight(f) == 1 ? "" : "s",
		  f->cfg->drain_timeout);
}

static int
fetcher_has_work(struct fetcher *f)
{
	if (f->draining)
		return fetcher_jobs_in_flight(f) > 0;
	return fetcher_http_busy(f->http) || fetcher_jobs_outstanding(f) ||
	       f->bhead < f->nbatches || fetcher_spool_busy(f->spool);
}

/*
 * 1 when jobs wait and for lease_ms no worker has been heard of or held a
 * lease: nobody will take them (no parser service, or workers that cannot start).
 */
static int
fetcher_no_workers(struct fetcher *f)
{
	if (f->nworkers > 0 || fetcher_jobs_in_flight(f) > 0) {
		f->last_worker_ms = monotime_ms();
		return 0;
	}
	return fetcher_jobs_outstanding(f) && monotime_ms() - f->last_worker_ms > f->cfg->lease_ms;
}

/*
 * 1 when the database has been down past outage_timeout: the run ends as a
 * signal would end it, and the spool keeps every job for the next run.
 * A hold that lapsed (no HOLD for a while) means the database came back.
 */
static int
fetcher_outage_over(struct fetcher *f)
{
	if (f->outage_since == 0)
		return 0;
	long long now = monotime_ms();
	if (!fetcher_held(f)) {
		log_info("the database is reachable again after %lld s",
			 (now - f->outage_since) / 1000);
		f->outage_since = 0;
		return 0;
	}
	if (f->cfg->outage_timeout == 0 || now - f->outage_since < f->cfg->outage_timeout * 1000LL)
		return 0;
	log_warnx("the database has been unreachable for %d s (outage_timeout); ending the run,"
		  " the %zu unsettled job%s stay in the spool for the next one",
		  f->cfg->outage_timeout, fetcher_jobs_in_flight(f) + fetcher_jobs_pending(f),
		  fetcher_jobs_in_flight(f) + fetcher_jobs_pending(f) == 1 ? "" : "s");
	f->draining = 1;
	f->gave_up = 1;
	return 1;
}

/* The loop's own descriptors (workers, sink, spool, deaths, a signal's), before curl's. */
#define LOOP_FIXED_ITEMS 5

static void
fetcher_loop(struct fetcher *f)
{
	zmq_pollitem_t *items = NULL;
	int cap = 0;
	long long drain_until = 0;

	for (;;) {
		if (sig_stop && !f->draining)
			fetcher_drain(f, &drain_until);
		if (sig_stop > 1 || !fetcher_has_work(f))
			break;
		if (!f->draining && fetcher_no_workers(f)) {
			log_warnx(
			    "no parser worker for %d s while jobs wait; ending the run, the jobs"
			    " stay in the spool for the next one",
			    f->cfg->lease_ms / 1000);
			f->draining = 1;
			break;
		}
		if (fetcher_outage_over(f))
			break;
		if (f->draining && fetcher_held(f)) {
			log_warnx(
			    "stopping while the database is down: the %zu job%s in flight stay"
			    " in the spool",
			    fetcher_jobs_in_flight(f), fetcher_jobs_in_flight(f) == 1 ? "" : "s");
			break;
		}
		if (f->draining && monotime_ms() >= drain_until) {
			log_warnx("drain_timeout reached with %zu job%s in flight; they stay in the"
				  " spool",
				  fetcher_jobs_in_flight(f),
				  fetcher_jobs_in_flight(f) == 1 ? "" : "s");
			break;
		}
		long timeout = WIRE_HEARTBEAT_MS / 2;
		int n = 0, ncurl;
		if (cap < LOOP_FIXED_ITEMS) {
			cap = LOOP_FIXED_ITEMS + 16;
			items = xreallocarray(items, (size_t)cap, sizeof(*items));
		}
		items[n++] = (zmq_pollitem_t){f->jobs_sock, 0, ZMQ_POLLIN, 0};
		items[n++] = (zmq_pollitem_t){f->ctl, 0, ZMQ_POLLIN, 0};
		items[n++] = (zmq_pollitem_t){NULL, fetcher_spool_fd(f->spool), ZMQ_POLLIN, 0};
		if (f->deaths_fd >= 0)
			items[n++] = (zmq_pollitem_t){NULL, f->deaths_fd, ZMQ_POLLIN, 0};
		/*
		 * SIGNAL DESCRIPTOR GOES HERE: when common/sig.h has sig_fd(), add
		 * (zmq_pollitem_t){NULL, sig_fd(), ZMQ_POLLIN, 0} (LOOP_FIXED_ITEMS
		 * counts a slot for it). Until then a signal ends the wait with EINTR.
		 */
		ncurl = n;
		if (!f->draining)
			fetcher_http_poll_items(f->http, &items, &n, &cap, &timeout);
		int ready = zmq_poll(items, n, timeout);
		if (ready < 0 && errno != EINTR) {
			log_warnx("poll failed: %s", zmq_strerror(errno));
			break;
		}
		if (!f->draining) {
			if (ready > 0)
				fetcher_http_on_ready(f->http, items + ncurl, n - ncurl);
			fetcher_http_perform(f->http);
			struct fetch_result *r;
			while ((r = fetcher_http_next(f->http)) != NULL) {
				fetcher_on_fetched(f, r);
				fetcher_http_result_free(&r);
			}
		}
		fetcher_on_spooled(f);
		if (f->deaths_fd >= 0)
			fetcher_read_deaths(f);
		struct wire_msg m;
		while (wire_recv_nowait(f->jobs_sock, 1, &m) == 0) {
			fetcher_workers_on_message(f, &m);
			wire_msg_release(&m);
		}
		while (wire_recv_nowait(f->ctl, 0, &m) == 0) {
			if (strcmp(m.type, PROTO_MSG_ACK) == 0)
				fetcher_jobs_on_ack(f, &m);
			else if (strcmp(m.type, PROTO_MSG_HOLD) == 0)
				fetcher_jobs_hold(f, &m);
			else if (strcmp(m.type, PROTO_MSG_VALIDATORS) == 0)
				fetcher_on_validators(f, &m);
			wire_msg_release(&m);
		}
		if (!fetcher_http_busy(f->http) && f->bhead == f->nbatches &&
		    !fetcher_spool_busy(f->spool))
			fetcher_log_idle(f);
		fetcher_jobs_expire(f);
		fetcher_jobs_dispatch(f);
		fetcher_workers_beat(f);
		fetcher_progress(f, 0);
	}
	free(items);
}

int
fetcher_main(const struct config *cfg, const struct wire_endpoints *ep, const struct fetcher_io *io)
{
	struct fetcher f = {.cfg = cfg,
			    .run_name = io->run_name,
			    .status_fd = io->status_fd,
			    .deaths_fd = io->deaths_fd};
	struct curve_auth *auth = NULL;
	int rc = EX_SOFTWARE;
	void *ctx = zmq_ctx_new();

	if (f.status_fd >= 0)
		fcntl(f.status_fd, F_SETFL, fcntl(f.status_fd, F_GETFL) | O_NONBLOCK);
	if (f.deaths_fd >= 0)
		fcntl(f.deaths_fd, F_SETFL, fcntl(f.deaths_fd, F_GETFL) | O_NONBLOCK);
	if (curve_auth_start(ctx, cfg, &auth) < 0)
		goto out;
	f.ctl = wire_open(ctx, ZMQ_DEALER, &ep->ctl, 0, cfg, io->run_name);
	f.jobs_sock = wire_open(ctx, ZMQ_ROUTER, &ep->jobs, 1, cfg, NULL);
	if (f.jobs_sock) {
		/* a send to a worker that is gone fails at once instead of vanishing */
		int mandatory = 1;
		zmq_setsockopt(f.jobs_sock, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof(mandatory));
	}
	if (!f.ctl || !f.jobs_sock || spool_ensure_dir(cfg->spool_dir) < 0 ||
	    (f.spool = fetcher_spool_new(cfg->spool_dir)) == NULL)
		goto out;
	if (fetcher_begin(&f) < 0 || fetcher_load_validators(&f) < 0) {
		rc = sig_stop ? 0 : EX_TEMPFAIL;
		goto out;
	}
	f.url_source = json_object_new_object();
	f.by_source = json_object_new_object();
	/* every source is listed, with zeros when it stored and lost nothing */
	for (size_t i = 0; i < cfg->nsources; i++)
		fetcher_count(&f, cfg->sources[i].name, NULL, NULL);
	fetcher_jobs_recover(&f);
	f.last_worker_ms = monotime_ms();
	f.http = fetcher_http_new(cfg);
	f.seen = json_object_new_object();
	f.link_texts = json_object_new_object();
	for (size_t i = 0; i < cfg->nsources; i++) {
		const struct source *src = &cfg->sources[i];
		const char *url = src->url ? src->url : src->index;
		if (fetcher_first_sight(&f, url))
			fetcher_fetch(&f, url, src, src->url ? FETCH_KIND_REPORT : FETCH_KIND_INDEX,
				      1, 1);
	}

	fetcher_loop(&f);
	fetcher_progress(&f, 1);
	if (sig_stop > 1) {
		log_info("stopping at once; %s", fetcher_jobs_outstanding(&f)
						     ? "unfinished jobs stay in the spool"
						     : "nothing left in flight");
		rc = 0;
		goto out;
	}
	/*
	 * A run that could not be ended with the sink (the database is down, the
	 * sink is gone) reports its own counts as interrupted: the spool keeps
	 * what was not stored, and the next run records this one's end.
	 */
	if ((f.draining && fetcher_held(&f)) || fetcher_finish(&f) < 0) {
		fetcher_summary_interrupted(&f);
		rc = EX_TEMPFAIL;
	} else {
		rc = 0;
	}
out:
	fetcher_http_free(&f.http);
	fetcher_spool_free(&f.spool);
	json_object_put(f.validators);
	json_object_put(f.seen);
	json_object_put(f.link_texts);
	json_object_put(f.url_source);
	json_object_put(f.by_source);
	for (size_t i = f.bhead; i < f.nbatches; i++) {
		for (size_t k = 0; k < f.batches[i].nurls; k++)
			free(f.batches[i].urls[k]);
		free(f.batches[i].urls);
	}
	free(f.batches);
	for (size_t i = 0; i < f.njobs; i++) {
		free(f.jobs[i].url);
		free(f.jobs[i].error);
	}
	free(f.jobs);
	free(f.workers);
	buf_release(&f.deaths);
	if (f.ctl)
		zmq_close(f.ctl);
	if (f.jobs_sock)
		zmq_close(f.jobs_sock);
	curve_auth_stop(&auth, ctx);
	zmq_ctx_term(ctx);
	return rc;
}
