/*
 * fetcher_http.h - downloads with the libcurl multi interface.
 */
#ifndef RP_FETCHER_HTTP_H
#define RP_FETCHER_HTTP_H

#include "buf.h"
#include "config.h"

#include <zmq.h>

struct fetcher_http;

/* One finished transfer. The caller owns it and frees it with fetcher_http_result_free. */
struct fetch_result {
	char *url;
	char *source;
	char *final_url;
	char *content_type;
	char *etag;
	char *last_modified;
	long status;	 /* HTTP status; 0 for file:// */
	int ok;		 /* the body is complete and usable */
	char error[512]; /* why not, when !ok */
	struct buf body;
};

struct fetcher_http *fetcher_http_new(const struct config *cfg);
void fetcher_http_free(struct fetcher_http **h);

/* Queue url (from source) for download; starts when the limits allow. */
void fetcher_http_add(struct fetcher_http *h, const char *url, const char *source);

/*
 * Add curl's sockets to items (from index *n, at most max) and lower
 * *timeout_ms to curl's own timeout. Called before zmq_poll.
 */
void fetcher_http_poll_items(struct fetcher_http *h, zmq_pollitem_t *items, int *n, int max,
			     long *timeout_ms);

/* Drive transfers; then take finished ones one by one (NULL when none). */
void fetcher_http_perform(struct fetcher_http *h);
struct fetch_result *fetcher_http_next(struct fetcher_http *h);

/* Transfers queued or running. */
int fetcher_http_busy(const struct fetcher_http *h);

void fetcher_http_result_free(struct fetch_result **r);

#endif
