/*
 * fetcher_host.c - per-host queues: concurrency, delay, pauses, robots.txt.
 *
 * A host is an origin (scheme://host:port); file:// URLs share one local
 * "host" that no politeness applies to. robots.txt is fetched once per
 * host per run, before anything else of a source that obeys it, and its
 * answer holds for the rest of the run. Must never start a transfer to a
 * host beyond per_host_concurrency, before its delay or pause is over, or
 * before its robots.txt allows it.
 */
#include "fetcher_host.h"
#include "buf.h"
#include "fetcher_robots.h"
#include "log.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum robots_state { ROBOTS_UNKNOWN, ROBOTS_FETCHING, ROBOTS_READY, ROBOTS_FAILED };

struct fetcher_host {
	char origin[320]; /* "http://example.org:80"; "" for file:// */
	int local;
	int active; /* transfers running */
	long long last_start_ms, not_before_ms;
	enum robots_state robots_state;
	struct fetcher_robots *robots;
	enum fetch_class robots_cls; /* when ROBOTS_FAILED: why */
	long robots_status;
	int robots_attempts;
	char robots_error[768];
	struct fetch_item *head, *tail;
};

struct fetcher_hosts {
	const struct config *cfg;
	struct fetcher_host **hosts;
	size_t nhosts, rr;
	long queued;
};

struct fetcher_hosts *
fetcher_host_table_new(const struct config *cfg)
{
	struct fetcher_hosts *t = xcalloc(1, sizeof(*t));
	t->cfg = cfg;
	return t;
}

struct fetch_item *
fetcher_host_item_new(const struct fetch_request *req)
{
	struct fetch_item *it = xcalloc(1, sizeof(*it));
	it->url = xstrdup(req->url);
	it->src = req->src;
	it->kind = req->kind;
	it->page = req->page;
	it->from_config = req->from_config;
	it->etag = req->etag ? xstrdup(req->etag) : NULL;
	it->last_modified = req->last_modified ? xstrdup(req->last_modified) : NULL;
	return it;
}

void
fetcher_host_item_free(struct fetch_item **itp)
{
	struct fetch_item *it = *itp;
	if (it == NULL)
		return;
	free(it->url);
	free(it->target);
	free(it->etag);
	free(it->last_modified);
	free(it);
	*itp = NULL;
}

const char *
fetcher_host_item_url(const struct fetch_item *it)
{
	return it->target ? it->target : it->url;
}

void
fetcher_host_table_free(struct fetcher_hosts **tp)
{
	struct fetcher_hosts *t = *tp;
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nhosts; i++) {
		struct fetcher_host *ho = t->hosts[i];
		while (ho->head) {
			struct fetch_item *it = ho->head;
			ho->head = it->next;
			fetcher_host_item_free(&it);
		}
		fetcher_robots_free(&ho->robots);
		free(ho);
	}
	free(t->hosts);
	free(t);
	*tp = NULL;
}

/* "scheme://host:port" of url, lowercased; "" for file:// and anything without a host. */
static void
host_origin(const char *url, char *out, size_t cap)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	out[0] = '\0';
	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    strcmp(scheme, "file") != 0 && curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
		snprintf(out, cap, "%s://%s:%s", scheme, host, port);
		for (char *p = out; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
}

static struct fetcher_host *
host_get(struct fetcher_hosts *t, const char *url)
{
	char origin[320];
	host_origin(url, origin, sizeof(origin));
	for (size_t i = 0; i < t->nhosts; i++)
		if (strcmp(t->hosts[i]->origin, origin) == 0)
			return t->hosts[i];
	struct fetcher_host *ho = xcalloc(1, sizeof(*ho));
	snprintf(ho->origin, sizeof(ho->origin), "%s", origin);
	ho->local = origin[0] == '\0';
	ho->last_start_ms = -1;
	t->hosts = xreallocarray(t->hosts, t->nhosts + 1, sizeof(*t->hosts));
	t->hosts[t->nhosts++] = ho;
	return ho;
}

static void
host_append(struct fetcher_hosts *t, struct fetch_item *it)
{
	struct fetcher_host *ho = it->host;
	it->next = NULL;
	if (ho->tail)
		ho->tail->next = it;
	else
		ho->head = it;
	ho->tail = it;
	t->queued++;
}

/* Path and query of url, for robots.txt rules. */
static void
host_robots_path(const char *url, char *out, size_t cap)
{
	CURLU *u = curl_url();
	char *path = NULL, *query = NULL;
	snprintf(out, cap, "/");
	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK) {
		if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK && query)
			snprintf(out, cap, "%s?%s", path, query);
		else
			snprintf(out, cap, "%s", path);
	}
	curl_free(path);
	curl_free(query);
	curl_url_cleanup(u);
}

/* 1 when the host's robots.txt (known by now) lets it be fetched. */
static int
host_robots_allows(const struct fetcher_host *ho, const struct fetch_item *it)
{
	char path[4096];
	if (ho->robots_state != ROBOTS_READY)
		return 0;
	host_robots_path(fetcher_host_item_url(it), path, sizeof(path));
	return fetcher_robots_allowed(ho->robots, path);
}

/* Hand it to fail() with the reason robots.txt gives. */
static void
host_robots_refuse(struct fetcher_host *ho, struct fetch_item *it, fetcher_host_fail_fn *fail,
		   void *user)
{
	char detail[1200];
	if (ho->robots_state == ROBOTS_FAILED) {
		it->attempts = ho->robots_attempts;
		snprintf(detail, sizeof(detail),
			 "%.320s/robots.txt could not be fetched (%.767s), so nothing on this host"
			 " is fetched in this run (RFC 9309)",
			 ho->origin, ho->robots_error);
		fail(user, it, ho->robots_cls, ho->robots_status, detail);
		return;
	}
	snprintf(detail, sizeof(detail), "disallowed by %s/robots.txt", ho->origin);
	if (it->target)
		log_info("url=%s redirected to %s: %s; not fetched", it->url, it->target, detail);
	else
		log_info("url=%s %s; not fetched", it->url, detail);
	fail(user, it, FETCH_ROBOTS, 0, detail);
}

void
fetcher_host_enqueue(struct fetcher_hosts *t, struct fetch_item *it, fetcher_host_fail_fn *fail,
		     void *user)
{
	struct fetcher_host *ho = host_get(t, fetcher_host_item_url(it));
	it->host = ho;
	it->wait_robots = !ho->local && it->kind != FETCH_KIND_ROBOTS && it->src && it->src->robots;
	if (it->wait_robots && ho->robots_state >= ROBOTS_READY) {
		if (!host_robots_allows(ho, it)) {
			host_robots_refuse(ho, it, fail, user);
			return;
		}
		it->wait_robots = 0;
	}
	host_append(t, it);
}

void
fetcher_host_requeue(struct fetcher_hosts *t, struct fetch_item *it)
{
	host_append(t, it);
}

void
fetcher_host_done(struct fetcher_host *ho)
{
	if (ho->active > 0)
		ho->active--;
}

void
fetcher_host_pause(struct fetcher_host *ho, long long until_ms)
{
	if (until_ms > ho->not_before_ms)
		ho->not_before_ms = until_ms;
}

long
fetcher_host_queued(const struct fetcher_hosts *t)
{
	return t->queued;
}

static void
host_unlink(struct fetcher_hosts *t, struct fetcher_host *ho, struct fetch_item *prev,
	    struct fetch_item *it)
{
	if (prev)
		prev->next = it->next;
	else
		ho->head = it->next;
	if (ho->tail == it)
		ho->tail = prev;
	it->next = NULL;
	t->queued--;
}

static void
host_wait(long *wait, long long ready, long long now)
{
	long ms = (long)(ready - now);
	if (*wait < 0 || ms < *wait)
		*wait = ms;
}

/* Start the next transfer host may have now; 1 when one started. */
static int
host_start_one(struct fetcher_hosts *t, struct fetcher_host *ho, long long now, long *wait,
	       fetcher_host_start_fn *start, void *user)
{
	if (ho->head == NULL)
		return 0;
	if (!ho->local) {
		if (ho->active >= t->cfg->per_host_concurrency)
			return 0;
		long long ready =
		    ho->last_start_ms < 0 ? now : ho->last_start_ms + t->cfg->per_host_delay_ms;
		if (ho->not_before_ms > ready)
			ready = ho->not_before_ms;
		if (ready > now) {
			host_wait(wait, ready, now);
			return 0;
		}
	}
	for (struct fetch_item *prev = NULL, *it = ho->head; it; prev = it, it = it->next) {
		if (it->not_before_ms > now) {
			host_wait(wait, it->not_before_ms, now);
			continue;
		}
		if (it->wait_robots) {
			if (ho->robots_state != ROBOTS_UNKNOWN)
				continue; /* being fetched: the answer settles it */
			struct buf url = {0};
			buf_printf(&url, "%s/robots.txt", ho->origin);
			struct fetch_request req = {.url = url.data, .kind = FETCH_KIND_ROBOTS};
			it = fetcher_host_item_new(&req);
			it->host = ho;
			buf_release(&url);
			ho->robots_state = ROBOTS_FETCHING;
		} else {
			host_unlink(t, ho, prev, it);
		}
		ho->active++;
		ho->last_start_ms = now;
		start(user, it);
		return 1;
	}
	return 0;
}

long
fetcher_host_fill(struct fetcher_hosts *t, long long now, const int *nrunning, int max,
		  fetcher_host_start_fn *start, void *user)
{
	long wait = -1;
	int progress = 1;
	while (progress && *nrunning < max && t->nhosts > 0) {
		progress = 0;
		/* one per host per round, from a rotating start: no host starves the rest */
		for (size_t k = 0; k < t->nhosts && *nrunning < max; k++) {
			struct fetcher_host *ho = t->hosts[(t->rr + k) % t->nhosts];
			progress |= host_start_one(t, ho, now, &wait, start, user);
		}
		t->rr++;
	}
	return wait;
}

void
fetcher_host_robots_done(struct fetcher_hosts *t, struct fetcher_host *ho, enum fetch_class cls,
			 long status, int attempts, const char *detail, const char *body,
			 size_t len, fetcher_host_fail_fn *fail, void *user)
{
	fetcher_robots_free(&ho->robots);
	if (cls == FETCH_OK || cls == FETCH_TOO_LARGE) {
		/* a robots.txt larger than we read: the part read is what counts */
		ho->robots = fetcher_robots_parse(body ? body : "", len, t->cfg->user_agent);
		ho->robots_state = ROBOTS_READY;
		log_debug("%s/robots.txt read (%zu bytes)", ho->origin, len);
	} else if (cls == FETCH_HTTP && status >= 300 && status < 500 && status != 429) {
		ho->robots = fetcher_robots_new(1); /* no robots.txt: everything is allowed */
		ho->robots_state = ROBOTS_READY;
		log_debug("%s/robots.txt: status %ld, nothing disallowed", ho->origin, status);
	} else {
		ho->robots = fetcher_robots_new(0);
		ho->robots_state = ROBOTS_FAILED;
		ho->robots_cls = cls;
		ho->robots_status = status;
		ho->robots_attempts = attempts;
		snprintf(ho->robots_error, sizeof(ho->robots_error), "%s", detail);
		log_warnx("%s/robots.txt unreachable: %s; skipping this host in this run",
			  ho->origin, detail);
	}
	for (struct fetch_item *prev = NULL, *it = ho->head, *next; it; it = next) {
		next = it->next;
		if (it->wait_robots) {
			it->wait_robots = 0;
			if (!host_robots_allows(ho, it)) {
				host_unlink(t, ho, prev, it);
				host_robots_refuse(ho, it, fail, user);
				continue;
			}
		}
		prev = it;
	}
}
