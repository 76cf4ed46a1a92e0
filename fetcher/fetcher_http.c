/*
 * fetcher_http.c - the libcurl multi loop: queue, limits, bodies, retries.
 *
 * Transfers start only while the global limit (max_connections), the
 * host's limit (per_host_concurrency), the host's delay and its robots.txt
 * allow; a transient failure waits out its backoff (or Retry-After) in the
 * queue, never in a connection slot. Only http, https and (for URLs written
 * in the config) file are fetched. Redirects are followed here, not inside
 * libcurl: each hop is checked as a link of its source is
 * (fetcher_index_check_url: http or https, no credentials and, for URLs
 * not written in the config, the index's origin or allow_hosts), then
 * queued on its own host like any URL, at most 5 hops. TLS verification
 * stays on. A body is cut off at max_bytes while it streams, never
 * buffered whole first. Must never block: the fetcher's zmq loop drives it.
 */
#include "fetcher_http.h"
#include "fetcher_host.h"
#include "fetcher_index.h"
#include "monotime.h"
#include "log.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ROBOTS_MAX_BYTES (512 * 1024) /* RFC 9309 asks crawlers to read at least 500 KiB */
#define HTTP_MAX_REDIRECTS 5

struct transfer {
	CURL *easy;
	struct fetch_item *item;
	struct fetch_result *res;
	struct curl_slist *headers;
	size_t max_bytes;
	int too_large;
	char errbuf[CURL_ERROR_SIZE];
};

struct fetcher_http {
	const struct config *cfg;
	CURLM *multi;
	struct fetcher_hosts *hosts;
	struct transfer **running;
	int nrunning;
	struct fetch_result **done;
	size_t ndone, dhead, dcap;
	int retry_budget; /* retries left in this run */
	struct fetch_stats stats;
	/* what curl asked to be told about (CURLMOPT_SOCKETFUNCTION): fd and ZMQ_POLLIN/OUT */
	zmq_pollitem_t *socks;
	size_t nsocks, scap;
	long long timer_at; /* curl's timer (CURLMOPT_TIMERFUNCTION), monotonic ms; -1: none */
};

/* curl tells which sockets to watch: the caller's poll set picks them up before it waits. */
static int
http_on_socket(CURL *e, curl_socket_t fd, int what, void *user, void *sockp)
{
	struct fetcher_http *h = user;
	size_t i;
	(void)e;
	(void)sockp;
	for (i = 0; i < h->nsocks && h->socks[i].fd != fd; i++)
		;
	if (what == CURL_POLL_REMOVE) {
		if (i < h->nsocks)
			h->socks[i] = h->socks[--h->nsocks];
		return 0;
	}
	if (i == h->nsocks) {
		if (h->nsocks == h->scap) {
			h->scap = h->scap ? h->scap * 2 : 16;
			h->socks = xreallocarray(h->socks, h->scap, sizeof(*h->socks));
		}
		h->nsocks++;
	}
	h->socks[i] = (zmq_pollitem_t){NULL, fd,
				       (short)((what & CURL_POLL_IN ? ZMQ_POLLIN : 0) |
					       (what & CURL_POLL_OUT ? ZMQ_POLLOUT : 0)),
				       0};
	return 0;
}

/* curl's one timer: the loop's wait ends when it is due, and fetcher_http_perform runs it. */
static int
http_on_timer(CURLM *m, long timeout_ms, void *user)
{
	struct fetcher_http *h = user;
	(void)m;
	h->timer_at = timeout_ms < 0 ? -1 : monotime_ms() + timeout_ms;
	return 0;
}

struct fetcher_http *
fetcher_http_new(const struct config *cfg)
{
	struct fetcher_http *h = xcalloc(1, sizeof(*h));
	h->cfg = cfg;
	h->multi = curl_multi_init();
	if (h->multi == NULL)
		fatalx(70, "curl_multi_init failed");
	h->timer_at = -1;
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, http_on_socket);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, http_on_timer);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	h->hosts = fetcher_host_table_new(cfg);
	h->running = xcalloc((size_t)cfg->max_connections, sizeof(*h->running));
	h->retry_budget = cfg->retry_budget;
	h->stats.first_start_ms = h->stats.last_done_ms = -1;
	srandom((unsigned)(getpid() ^ (unsigned)time(NULL)));
	return h;
}

void
fetcher_http_result_free(struct fetch_result **rp)
{
	struct fetch_result *r = *rp;
	if (r == NULL)
		return;
	free(r->url);
	free(r->final_url);
	free(r->content_type);
	free(r->etag);
	free(r->last_modified);
	buf_release(&r->body);
	free(r);
	*rp = NULL;
}

static void
http_transfer_free(struct fetcher_http *h, struct transfer *t)
{
	curl_multi_remove_handle(h->multi, t->easy);
	curl_easy_cleanup(t->easy);
	curl_slist_free_all(t->headers);
	fetcher_http_result_free(&t->res);
	fetcher_host_item_free(&t->item);
	free(t);
}

void
fetcher_http_free(struct fetcher_http **hp)
{
	struct fetcher_http *h = *hp;
	if (h == NULL)
		return;
	for (int i = 0; i < h->nrunning; i++)
		http_transfer_free(h, h->running[i]);
	for (size_t i = h->dhead; i < h->ndone; i++)
		fetcher_http_result_free(&h->done[i]);
	fetcher_host_table_free(&h->hosts);
	free(h->running);
	free(h->done);
	curl_multi_cleanup(h->multi);
	free(h->socks);
	free(h);
	*hp = NULL;
}

static void
http_push_done(struct fetcher_http *h, struct fetch_result *r)
{
	if (h->dhead > 0 && h->dhead == h->ndone)
		h->dhead = h->ndone = 0;
	if (h->ndone == h->dcap) {
		h->dcap = h->dcap ? h->dcap * 2 : 16;
		h->done = xreallocarray(h->done, h->dcap, sizeof(*h->done));
	}
	h->done[h->ndone++] = r;
}

/* A result for an item that failed without (another) transfer; consumes the item. */
static void
http_fail_item(struct fetcher_http *h, struct fetch_item *it, enum fetch_class cls, long status,
	       const char *detail)
{
	struct fetch_result *r = xcalloc(1, sizeof(*r));
	r->url = it->url;
	it->url = NULL;
	r->src = it->src;
	r->kind = it->kind;
	r->page = it->page;
	r->status = status;
	r->cls = cls;
	r->attempts = it->attempts;
	fetcher_retry_describe(r->error, sizeof(r->error), cls, status, it->attempts, detail);
	http_push_done(h, r);
	fetcher_host_item_free(&it);
}

/* Items refused by robots.txt (or failed with it) come back here from the host table. */
static void
http_on_refused(void *user, struct fetch_item *it, enum fetch_class cls, long status,
		const char *detail)
{
	http_fail_item(user, it, cls, status, detail);
}

void
fetcher_http_add(struct fetcher_http *h, const struct fetch_request *req)
{
	struct fetch_item *it = fetcher_host_item_new(req);
	fetcher_host_enqueue(h->hosts, it, http_on_refused, h);
}

static size_t
http_on_body(char *data, size_t size, size_t nmemb, void *user)
{
	struct transfer *t = user;
	size_t n = size * nmemb;
	if (t->res->body.len + n > t->max_bytes) {
		t->too_large = 1;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	buf_append(&t->res->body, data, n);
	return n;
}

static void
http_start(struct fetcher_http *h, struct fetch_item *it)
{
	const struct config *cfg = h->cfg;
	struct transfer *t = xcalloc(1, sizeof(*t));
	t->item = it;
	t->res = xcalloc(1, sizeof(*t->res));
	t->max_bytes = it->kind == FETCH_KIND_ROBOTS ? ROBOTS_MAX_BYTES : cfg->max_bytes;
	it->attempts++;
	t->easy = curl_easy_init();
	if (t->easy == NULL)
		fatalx(70, "curl_easy_init failed");
	CURL *e = t->easy;
	curl_easy_setopt(e, CURLOPT_URL, fetcher_host_item_url(it));
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR,
			 it->from_config && !it->target ? "http,https,file" : "http,https");
	if (it->kind == FETCH_KIND_ROBOTS) {
		/* RFC 9309 2.3.1.2: five hops, even to another host; only rules are read */
		curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)HTTP_MAX_REDIRECTS);
	}
	curl_easy_setopt(e, CURLOPT_USERAGENT, cfg->user_agent);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
	if (cfg->low_speed_bytes > 0) {
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, (long)cfg->low_speed_bytes);
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)cfg->low_speed_seconds);
	}
	if (it->kind != FETCH_KIND_ROBOTS)
		curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)cfg->max_bytes);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); /* every encoding libcurl decodes */
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (cfg->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, cfg->ca_file);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, t);
	if (it->kind == FETCH_KIND_REPORT && (it->etag || it->last_modified)) {
		struct buf line = {0};
		if (it->etag) {
			buf_printf(&line, "If-None-Match: %s", it->etag);
			t->headers = curl_slist_append(t->headers, line.data);
			buf_reset(&line);
		}
		if (it->last_modified) {
			buf_printf(&line, "If-Modified-Since: %s", it->last_modified);
			t->headers = curl_slist_append(t->headers, line.data);
		}
		buf_release(&line);
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
	}
	if (curl_multi_add_handle(h->multi, e) != CURLM_OK)
		fatalx(70, "curl_multi_add_handle failed");
	h->running[h->nrunning++] = t;
	h->stats.requests++;
	if (h->stats.first_start_ms < 0)
		h->stats.first_start_ms = monotime_ms();
	log_debug("url=%s requesting %s(attempt %d)", it->url, it->target ? "its redirect " : "",
		  it->attempts);
}

static void
http_start_cb(void *user, struct fetch_item *it)
{
	http_start(user, it);
}

/* Start what the limits allow; returns ms until a delayed start, or -1. */
static long
http_fill(struct fetcher_http *h)
{
	return fetcher_host_fill(h->hosts, monotime_ms(), &h->nrunning, h->cfg->max_connections,
				 http_start_cb, h);
}

static char *
http_header(CURL *e, const char *name)
{
	struct curl_header *hdr;
	if (curl_easy_header(e, name, 0, CURLH_HEADER, -1, &hdr) == CURLHE_OK && hdr->value)
		return xstrdup(hdr->value);
	return NULL;
}

/* What went wrong, in words, for the dead letter. */
static void
http_detail(const struct transfer *t, CURLcode code, enum fetch_class cls, long status, char *out,
	    size_t cap)
{
	long os_errno = 0;
	curl_easy_getinfo(t->easy, CURLINFO_OS_ERRNO, &os_errno);
	if (cls == FETCH_TOO_LARGE) {
		struct curl_header *cl = NULL;
		if (code == CURLE_FILESIZE_EXCEEDED &&
		    curl_easy_header(t->easy, "Content-Length", 0, CURLH_HEADER, -1, &cl) ==
			CURLHE_OK)
			snprintf(out, cap,
				 "Content-Length %.32s is larger than max_bytes (%zu);"
				 " not downloaded",
				 cl->value, t->max_bytes);
		else
			snprintf(out, cap, "body cut off at max_bytes (%zu bytes) while streaming",
				 t->max_bytes);
	} else if (cls == FETCH_HTTP) {
		snprintf(out, cap, "the server answered %ld", status);
	} else if (cls == FETCH_ENCODING) {
		struct curl_header *ce = NULL;
		if (curl_easy_header(t->easy, "Content-Encoding", 0, CURLH_HEADER, -1, &ce) !=
		    CURLHE_OK)
			ce = NULL;
		snprintf(out, cap,
			 "the body cannot be decoded as its Content-Encoding (%.64s) says: %s",
			 ce && ce->value ? ce->value : "?",
			 t->errbuf[0] ? t->errbuf : curl_easy_strerror(code));
	} else {
		const char *msg = t->errbuf[0] ? t->errbuf : curl_easy_strerror(code);
		if (os_errno && strstr(msg, strerror((int)os_errno)) == NULL)
			snprintf(out, cap, "%s (%s)", msg, strerror((int)os_errno));
		else
			snprintf(out, cap, "%s", msg);
	}
}

/*
 * Put the item back in its host's queue after its backoff, if the failure
 * is transient, it has retries left and the run has budget. Returns 1 when
 * requeued; else appends to detail why not.
 */
static int
http_retry(struct fetcher_http *h, struct transfer *t, enum fetch_class cls, long status,
	   char *detail, size_t cap)
{
	struct fetch_item *it = t->item;
	const struct config *cfg = h->cfg;
	if (!fetcher_retry_transient(cls, status) || it->attempts > cfg->max_retries)
		return 0;
	char *ra_text = status ? http_header(t->easy, "Retry-After") : NULL;
	long ra = fetcher_retry_after_ms(ra_text, time(NULL));
	free(ra_text);
	size_t used = strlen(detail);
	if (ra > cfg->retry_max_delay_ms) {
		snprintf(detail + used, cap - used,
			 "; not retried: Retry-After asks for %ld s, more than retry_max_delay_ms",
			 ra / 1000);
		return 0;
	}
	if (h->retry_budget <= 0) {
		snprintf(detail + used, cap - used,
			 "; not retried: the run's retry budget is spent");
		return 0;
	}
	h->retry_budget--;
	h->stats.retries++;
	double u = (double)random() / ((double)RAND_MAX + 1);
	long delay = ra >= 0 ? ra + (long)(u * 100)
			     : fetcher_retry_backoff_ms(it->attempts, cfg->retry_max_delay_ms, u);
	long long now = monotime_ms();
	char what[64];
	fetcher_retry_describe(what, sizeof(what), cls, status, it->attempts, "");
	log_info("url=%s %.*s; retrying in %.1f s%s", it->url, (int)strcspn(what, ":"), what,
		 (double)delay / 1000, ra >= 0 ? " (Retry-After)" : "");
	it->not_before_ms = now + delay;
	/* the host asked for a pause: nothing else goes to it meanwhile */
	fetcher_host_pause(it->host, ra >= 0 ? now + delay : -1);
	t->item = NULL;
	fetcher_host_requeue(h->hosts, it);
	return 1;
}

/*
 * A 3xx with a Location: check the hop as a link of the item's source (a
 * URL written in the config may lead to any host) and queue the item again
 * for it. Returns 1 when queued, else 0 with the reason in detail.
 */
static int
http_redirect(struct fetcher_http *h, struct transfer *t, long status, const char *to, char *detail,
	      size_t cap)
{
	struct fetch_item *it = t->item;
	char why[120], shown[600];
	if (it->redirects >= HTTP_MAX_REDIRECTS) {
		snprintf(detail, cap, "Maximum (%d) redirects followed", HTTP_MAX_REDIRECTS);
		return 0;
	}
	fetcher_index_redact(to, shown, sizeof(shown));
	if (fetcher_index_check_url(it->src, to, !it->from_config, why, sizeof(why)) < 0) {
		snprintf(detail, cap, "redirect to %.600s refused: %.120s", shown, why);
		return 0;
	}
	log_debug("url=%s redirected (%ld) to %s", it->url, status, shown);
	free(it->target);
	it->target = xstrdup(to);
	it->redirects++;
	it->attempts = 0; /* the retries of the new URL are its own */
	t->item = NULL;
	fetcher_host_enqueue(h->hosts, it, http_on_refused, h);
	return 1;
}

static void
http_finish(struct fetcher_http *h, CURL *e, CURLcode code)
{
	struct transfer *t = NULL;
	curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&t);
	struct fetch_result *r = t->res;
	struct fetch_item *it = t->item;
	char *s = NULL, detail[768] = "";

	for (int i = 0; i < h->nrunning; i++) {
		if (h->running[i] == t) {
			h->running[i] = h->running[--h->nrunning];
			break;
		}
	}
	fetcher_host_done(it->host);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
	if (strncmp(fetcher_host_item_url(it), "file:", 5) == 0)
		r->status = 0;
	enum fetch_class cls =
	    t->too_large ? FETCH_TOO_LARGE : fetcher_retry_classify(code, r->status);
	if (cls != FETCH_OK)
		http_detail(t, code, cls, r->status, detail, sizeof(detail));
	if (cls == FETCH_HTTP && it->kind != FETCH_KIND_ROBOTS && r->status >= 300 &&
	    r->status < 400 && curl_easy_getinfo(e, CURLINFO_REDIRECT_URL, &s) == CURLE_OK && s) {
		if (http_redirect(h, t, r->status, s, detail, sizeof(detail)))
			goto out;
		cls = FETCH_REDIRECT;
	}
	s = NULL;

	if (it->kind == FETCH_KIND_ROBOTS) {
		if (cls != FETCH_OK && cls != FETCH_TOO_LARGE &&
		    http_retry(h, t, cls, r->status, detail, sizeof(detail)))
			goto out;
		fetcher_host_robots_done(h->hosts, it->host, cls, r->status, it->attempts, detail,
					 r->body.data, r->body.len, http_on_refused, h);
		goto out;
	}
	if (cls != FETCH_OK && http_retry(h, t, cls, r->status, detail, sizeof(detail)))
		goto out;

	if (curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &s) == CURLE_OK && s)
		r->final_url = xstrdup(s);
	s = NULL;
	if (curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &s) == CURLE_OK && s)
		r->content_type = xstrdup(s);
	if (r->status) {
		r->etag = http_header(e, "ETag");
		r->last_modified = http_header(e, "Last-Modified");
	}
	r->url = it->url;
	it->url = NULL;
	r->src = it->src;
	r->kind = it->kind;
	r->page = it->page;
	r->cls = cls;
	r->attempts = it->attempts;
	r->ok = cls == FETCH_OK;
	r->not_modified = r->ok && r->status == 304;
	if (r->ok) {
		h->stats.body_bytes += (long long)r->body.len;
		h->stats.not_modified += r->not_modified;
	} else {
		fetcher_retry_describe(r->error, sizeof(r->error), cls, r->status, it->attempts,
				       detail);
		buf_release(&r->body);
	}
	if (it->kind == FETCH_KIND_REPORT)
		h->stats.last_done_ms = monotime_ms();
	http_push_done(h, r);
	t->res = NULL;
out:
	http_transfer_free(h, t);
}

void
fetcher_http_perform(struct fetcher_http *h)
{
	int running, left;
	CURLMsg *msg;

	http_fill(h);
	if (h->timer_at >= 0 && monotime_ms() >= h->timer_at) {
		h->timer_at = -1; /* curl sets it again if it wants to be called back */
		curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	while ((msg = curl_multi_info_read(h->multi, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE)
			http_finish(h, msg->easy_handle, msg->data.result);
	http_fill(h);
}

struct fetch_result *
fetcher_http_next(struct fetcher_http *h)
{
	if (h->dhead == h->ndone)
		return NULL;
	return h->done[h->dhead++];
}

int
fetcher_http_busy(const struct fetcher_http *h)
{
	return h->nrunning > 0 || fetcher_host_queued(h->hosts) > 0 || h->dhead < h->ndone;
}

const struct fetch_stats *
fetcher_http_stats(const struct fetcher_http *h)
{
	return &h->stats;
}

void
fetcher_http_poll_items(struct fetcher_http *h, zmq_pollitem_t **items, int *n, int *cap,
			long *timeout_ms)
{
	if ((size_t)*n + h->nsocks > (size_t)*cap) {
		*cap = *n + (int)h->nsocks + 16;
		*items = xreallocarray(*items, (size_t)*cap, sizeof(**items));
	}
	for (size_t i = 0; i < h->nsocks; i++)
		(*items)[(*n)++] = h->socks[i];
	long delay = http_fill(h);
	if (delay >= 0 && delay < *timeout_ms)
		*timeout_ms = delay;
	if (h->timer_at >= 0) {
		long long t = h->timer_at - monotime_ms();
		if (t < *timeout_ms)
			*timeout_ms = t > 0 ? (long)t : 0;
	}
}

void
fetcher_http_on_ready(struct fetcher_http *h, const zmq_pollitem_t *items, int n)
{
	int running;
	for (int i = 0; i < n; i++) {
		if (items[i].revents == 0)
			continue;
		int ev = (items[i].revents & ZMQ_POLLIN ? CURL_CSELECT_IN : 0) |
			 (items[i].revents & ZMQ_POLLOUT ? CURL_CSELECT_OUT : 0) |
			 (items[i].revents & ZMQ_POLLERR ? CURL_CSELECT_ERR : 0);
		curl_multi_socket_action(h->multi, items[i].fd, ev, &running);
	}
}
