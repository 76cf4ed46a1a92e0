/*
 * fetcher_http.h - downloads with the libcurl multi interface: limits,
 * politeness, robots.txt, conditional requests and retries.
 */
#ifndef RP_FETCHER_HTTP_H
#define RP_FETCHER_HTTP_H

#include "buf.h"
#include "config.h"
#include "fetcher_retry.h"

#include <zmq.h>

struct fetcher_http;

enum fetch_kind {
	FETCH_KIND_REPORT, /* a report: its body goes to the parsers */
	FETCH_KIND_INDEX,  /* an index page: its links are reports */
	FETCH_KIND_ROBOTS, /* a host's robots.txt (internal to fetcher_http) */
};

/* What to fetch. Strings are copied. */
struct fetch_request {
	const char *url;
	const struct source *src; /* the source it belongs to (borrowed from the config) */
	enum fetch_kind kind;
	int page;	  /* index pages: 1 for the index itself */
	int from_config;  /* written in the config: file:// is allowed */
	const char *etag; /* stored validators for a conditional GET, or NULL */
	const char *last_modified;
};

/* One finished transfer. The caller owns it and frees it with fetcher_http_result_free. */
struct fetch_result {
	char *url;
	const struct source *src;
	enum fetch_kind kind;
	int page;
	char *final_url;
	char *content_type;
	char *etag;
	char *last_modified;
	long status;	  /* HTTP status; 0 for file:// */
	int ok;		  /* a complete body, or not modified */
	int not_modified; /* a 304 to a conditional request */
	enum fetch_class cls;
	int attempts;	  /* requests made for it, retries included */
	char error[1024]; /* the dead-letter text, when !ok */
	struct buf body;
};

/* Totals of one run, for the log line at the end of fetching. */
struct fetch_stats {
	long requests, retries, not_modified;
	long long body_bytes;
	long long first_start_ms, last_done_ms; /* CLOCK_MONOTONIC; -1 before any */
};

struct fetcher_http *fetcher_http_new(const struct config *cfg);
void fetcher_http_free(struct fetcher_http **h);

/* Queue a download; it starts when the limits, the host's delay and robots.txt allow. */
void fetcher_http_add(struct fetcher_http *h, const struct fetch_request *req);

/*
 * Append the sockets curl asked to watch (CURLMOPT_SOCKETFUNCTION) to
 * *items at index *n, growing it (*cap): there is no FD_SETSIZE or fixed
 * limit. Lower *timeout_ms to curl's timer (CURLMOPT_TIMERFUNCTION) or the
 * next delayed start. Called before zmq_poll.
 */
void fetcher_http_poll_items(struct fetcher_http *h, zmq_pollitem_t **items, int *n, int *cap,
			     long *timeout_ms);

/* After zmq_poll: hand curl the events of its sockets, items[0..n) as poll_items added them. */
void fetcher_http_on_ready(struct fetcher_http *h, const zmq_pollitem_t *items, int n);

/* Run curl's timer when due, take finished transfers, start what the limits allow. */
void fetcher_http_perform(struct fetcher_http *h);
/* The next finished transfer (NULL when none); the caller frees it. */
struct fetch_result *fetcher_http_next(struct fetcher_http *h);

/* Transfers queued, waiting to retry, running or finished but not taken. */
int fetcher_http_busy(const struct fetcher_http *h);

const struct fetch_stats *fetcher_http_stats(const struct fetcher_http *h);

void fetcher_http_result_free(struct fetch_result **r);

#endif
