/*
 * fetcher_http.c - the libcurl multi loop: queue, limits, bodies.
 *
 * Only http, https and file are ever fetched (redirects: http and https
 * only); TLS verification stays on; a body is cut off at max_bytes while it
 * streams, never buffered whole first.
 */
#include "fetcher_http.h"
#include "log.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/select.h>
#include <time.h>

#define GLOBAL_MAX_TRANSFERS 8

struct transfer {
	CURL *easy;
	struct fetch_result *res;
	size_t max_bytes;
	int too_large;
	char host[256];
	char errbuf[CURL_ERROR_SIZE];
};

/* When each host last had a transfer started: the per-host delay counts from there. */
struct host_clock {
	char host[256];
	long long last_start_ms;
};

struct queued {
	char *url;
	char *source;
};

struct fetcher_http {
	const struct config *cfg;
	CURLM *multi;
	struct queued *queue;
	size_t nqueue, qhead, qcap;
	struct transfer **running;
	int nrunning;
	struct fetch_result **done;
	size_t ndone, dcap;
	struct host_clock *clocks;
	size_t nclocks;
};

static long long
http_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct host_clock *
http_clock(struct fetcher_http *h, const char *host)
{
	for (size_t i = 0; i < h->nclocks; i++)
		if (strcmp(h->clocks[i].host, host) == 0)
			return &h->clocks[i];
	h->clocks = xreallocarray(h->clocks, h->nclocks + 1, sizeof(*h->clocks));
	struct host_clock *c = &h->clocks[h->nclocks++];
	snprintf(c->host, sizeof(c->host), "%s", host);
	c->last_start_ms = -1;
	return c;
}

struct fetcher_http *
fetcher_http_new(const struct config *cfg)
{
	struct fetcher_http *h = xcalloc(1, sizeof(*h));
	h->cfg = cfg;
	h->multi = curl_multi_init();
	if (h->multi == NULL)
		fatalx(70, "curl_multi_init failed");
	h->running = xcalloc(GLOBAL_MAX_TRANSFERS, sizeof(*h->running));
	return h;
}

void
fetcher_http_result_free(struct fetch_result **rp)
{
	struct fetch_result *r = *rp;
	if (r == NULL)
		return;
	free(r->url);
	free(r->source);
	free(r->final_url);
	free(r->content_type);
	free(r->etag);
	free(r->last_modified);
	buf_release(&r->body);
	free(r);
	*rp = NULL;
}

void
fetcher_http_free(struct fetcher_http **hp)
{
	struct fetcher_http *h = *hp;
	if (h == NULL)
		return;
	for (int i = 0; i < h->nrunning; i++) {
		curl_multi_remove_handle(h->multi, h->running[i]->easy);
		curl_easy_cleanup(h->running[i]->easy);
		fetcher_http_result_free(&h->running[i]->res);
		free(h->running[i]);
	}
	for (size_t i = h->qhead; i < h->nqueue; i++) {
		free(h->queue[i].url);
		free(h->queue[i].source);
	}
	for (size_t i = 0; i < h->ndone; i++)
		fetcher_http_result_free(&h->done[i]);
	free(h->queue);
	free(h->running);
	free(h->done);
	free(h->clocks);
	curl_multi_cleanup(h->multi);
	free(h);
	*hp = NULL;
}

void
fetcher_http_add(struct fetcher_http *h, const char *url, const char *source)
{
	if (h->nqueue == h->qcap) {
		h->qcap = h->qcap ? h->qcap * 2 : 16;
		h->queue = xreallocarray(h->queue, h->qcap, sizeof(*h->queue));
	}
	h->queue[h->nqueue].url = xstrdup(url);
	h->queue[h->nqueue].source = xstrdup(source ? source : "");
	h->nqueue++;
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
http_host_of(const char *url, char *host, size_t cap)
{
	CURLU *u = curl_url();
	char *h = NULL;
	host[0] = '\0';
	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK && h)
		snprintf(host, cap, "%s", h);
	curl_free(h);
	curl_url_cleanup(u);
}

static int
http_host_active(const struct fetcher_http *h, const char *host)
{
	int n = 0;
	for (int i = 0; i < h->nrunning; i++)
		n += strcmp(h->running[i]->host, host) == 0;
	return n;
}

static void
http_start(struct fetcher_http *h, struct queued *q)
{
	const struct config *cfg = h->cfg;
	struct transfer *t = xcalloc(1, sizeof(*t));
	t->res = xcalloc(1, sizeof(*t->res));
	t->res->url = q->url;
	t->res->source = q->source;
	t->max_bytes = cfg->max_bytes;
	http_host_of(q->url, t->host, sizeof(t->host));
	t->easy = curl_easy_init();
	if (t->easy == NULL)
		fatalx(70, "curl_easy_init failed");
	CURL *e = t->easy;
	curl_easy_setopt(e, CURLOPT_URL, q->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https,file");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, cfg->user_agent);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, t);
	if (cfg->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, cfg->ca_file);
	curl_multi_add_handle(h->multi, e);
	h->running[h->nrunning++] = t;
}

/*
 * Start queued transfers while the global and per-host limits allow. Local
 * files (no host) need no politeness. Returns the ms until a host's delay
 * lets the next transfer start, or -1 when nothing waits on a delay.
 */
static long
http_fill(struct fetcher_http *h)
{
	long long now = http_now_ms();
	long wait = -1;
	for (size_t i = h->qhead; i < h->nqueue && h->nrunning < GLOBAL_MAX_TRANSFERS; i++) {
		char host[256];
		if (h->queue[i].url == NULL)
			continue;
		http_host_of(h->queue[i].url, host, sizeof(host));
		if (host[0]) {
			if (http_host_active(h, host) >= h->cfg->per_host_concurrency)
				continue;
			struct host_clock *c = http_clock(h, host);
			long long ready = c->last_start_ms < 0
						  ? now
						  : c->last_start_ms + h->cfg->per_host_delay_ms;
			if (ready > now) {
				if (wait < 0 || ready - now < wait)
					wait = (long)(ready - now);
				continue;
			}
			c->last_start_ms = now;
		}
		http_start(h, &h->queue[i]);
		h->queue[i].url = NULL; /* now owned by the transfer */
		h->queue[i].source = NULL;
	}
	while (h->qhead < h->nqueue && h->queue[h->qhead].url == NULL)
		h->qhead++;
	return wait;
}

static char *
http_header(CURL *e, const char *name)
{
	struct curl_header *hdr;
	if (curl_easy_header(e, name, 0, CURLH_HEADER, -1, &hdr) == CURLHE_OK && hdr->value)
		return xstrdup(hdr->value);
	return NULL;
}

static void
http_finish(struct fetcher_http *h, CURL *e, CURLcode code)
{
	struct transfer *t = NULL;
	curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&t);
	struct fetch_result *r = t->res;
	char *s = NULL;

	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
	if (curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &s) == CURLE_OK && s)
		r->final_url = xstrdup(s);
	s = NULL;
	if (curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &s) == CURLE_OK && s)
		r->content_type = xstrdup(s);
	int is_http = strncmp(r->final_url ? r->final_url : r->url, "http", 4) == 0;
	if (is_http) {
		r->etag = http_header(e, "ETag");
		r->last_modified = http_header(e, "Last-Modified");
	}
	if (t->too_large) {
		snprintf(r->error, sizeof(r->error), "body larger than max_bytes (%zu bytes)",
			 t->max_bytes);
	} else if (code != CURLE_OK) {
		snprintf(r->error, sizeof(r->error), "%s", t->errbuf[0] ? t->errbuf : curl_easy_strerror(code));
	} else if (is_http && (r->status < 200 || r->status >= 300)) {
		snprintf(r->error, sizeof(r->error), "HTTP status %ld", r->status);
	} else {
		r->ok = 1;
	}
	if (!r->ok)
		buf_release(&r->body);

	curl_multi_remove_handle(h->multi, e);
	curl_easy_cleanup(e);
	for (int i = 0; i < h->nrunning; i++) {
		if (h->running[i] == t) {
			h->running[i] = h->running[--h->nrunning];
			break;
		}
	}
	if (h->ndone == h->dcap) {
		h->dcap = h->dcap ? h->dcap * 2 : 8;
		h->done = xreallocarray(h->done, h->dcap, sizeof(*h->done));
	}
	h->done[h->ndone++] = r;
	free(t);
}

void
fetcher_http_perform(struct fetcher_http *h)
{
	int running, left;
	CURLMsg *msg;

	http_fill(h);
	curl_multi_perform(h->multi, &running);
	while ((msg = curl_multi_info_read(h->multi, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE)
			http_finish(h, msg->easy_handle, msg->data.result);
	http_fill(h);
}

struct fetch_result *
fetcher_http_next(struct fetcher_http *h)
{
	if (h->ndone == 0)
		return NULL;
	struct fetch_result *r = h->done[0];
	memmove(h->done, h->done + 1, (h->ndone - 1) * sizeof(*h->done));
	h->ndone--;
	return r;
}

int
fetcher_http_busy(const struct fetcher_http *h)
{
	return h->nrunning > 0 || h->qhead < h->nqueue || h->ndone > 0;
}

void
fetcher_http_poll_items(struct fetcher_http *h, zmq_pollitem_t *items, int *n, int max,
			long *timeout_ms)
{
	fd_set r, w, x;
	int maxfd = -1;
	long t = -1;

	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&x);
	curl_multi_fdset(h->multi, &r, &w, &x, &maxfd);
	for (int fd = 0; fd <= maxfd && *n < max; fd++) {
		short ev = (short)((FD_ISSET(fd, &r) ? ZMQ_POLLIN : 0) |
				   (FD_ISSET(fd, &w) ? ZMQ_POLLOUT : 0));
		if (ev == 0)
			continue;
		items[*n] = (zmq_pollitem_t){NULL, fd, ev, 0};
		(*n)++;
	}
	long delay = http_fill(h);
	if (delay >= 0 && delay < *timeout_ms)
		*timeout_ms = delay;
	curl_multi_timeout(h->multi, &t);
	if (h->nrunning > 0 && maxfd < 0 && (t < 0 || t > 50))
		t = 50; /* curl is busy without a socket (file://, resolving): come back soon */
	if (t >= 0 && t < *timeout_ms)
		*timeout_ms = t;
}
