/*
 * fetcher_host.h - per-host queues: concurrency, delay, pauses, robots.txt.
 */
#ifndef RP_FETCHER_HOST_H
#define RP_FETCHER_HOST_H

#include "config.h"
#include "fetcher_http.h"
#include "fetcher_retry.h"

struct fetcher_hosts;
struct fetcher_host;

/* A URL waiting for, or in, a transfer. */
struct fetch_item {
	char *url;    /* as asked for: what results and dead letters name */
	char *target; /* where a redirect led (the next request goes there), or NULL */
	int redirects;
	const struct source *src;
	enum fetch_kind kind;
	int page, from_config;
	char *etag, *last_modified;
	int attempts;
	int wait_robots;	 /* held until the host's robots.txt is known */
	long long not_before_ms; /* a retry waits out its backoff */
	struct fetcher_host *host;
	struct fetch_item *next;
};

/* Start a transfer for it (it now belongs to the callee). */
typedef void fetcher_host_start_fn(void *user, struct fetch_item *it);
/* it will not be fetched (robots.txt refused it or could not be read); it belongs to the callee. */
typedef void fetcher_host_fail_fn(void *user, struct fetch_item *it, enum fetch_class cls,
				  long status, const char *detail);

struct fetcher_hosts *fetcher_host_table_new(const struct config *cfg);
void fetcher_host_table_free(struct fetcher_hosts **t);

struct fetch_item *fetcher_host_item_new(const struct fetch_request *req);
void fetcher_host_item_free(struct fetch_item **it);

/* The URL its next request goes to: where the last redirect led, else its own. */
const char *fetcher_host_item_url(const struct fetch_item *it);

/* Queue a new item on its host; fail() takes it at once if robots.txt already refuses it. */
void fetcher_host_enqueue(struct fetcher_hosts *t, struct fetch_item *it,
			  fetcher_host_fail_fn *fail, void *user);
/* Queue an item again (a retry), behind the others of its host. */
void fetcher_host_requeue(struct fetcher_hosts *t, struct fetch_item *it);

/*
 * Start items while *nrunning < max and each host's limit, delay, pause and
 * robots.txt allow (start() raises *nrunning). Returns the ms until the
 * next delayed start, or -1 when nothing waits on time.
 */
long fetcher_host_fill(struct fetcher_hosts *t, long long now_ms, const int *nrunning, int max,
		       fetcher_host_start_fn *start, void *user);

/* A transfer to host ended (any outcome). */
void fetcher_host_done(struct fetcher_host *host);

/* Start nothing on host before until_ms (Retry-After); -1 changes nothing. */
void fetcher_host_pause(struct fetcher_host *host, long long until_ms);

/*
 * The host's robots.txt transfer ended: keep its rules (2xx), allow all (no
 * robots.txt: 3xx/4xx), or refuse all (unreachable: 5xx, 429, network
 * errors, as RFC 9309 says); then settle the items that waited for it.
 */
void fetcher_host_robots_done(struct fetcher_hosts *t, struct fetcher_host *host,
			      enum fetch_class cls, long status, int attempts, const char *detail,
			      const char *body, size_t len, fetcher_host_fail_fn *fail, void *user);

/* Items queued on all hosts (not running). */
long fetcher_host_queued(const struct fetcher_hosts *t);

#endif
