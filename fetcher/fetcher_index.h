/*
 * fetcher_index.h - the report links on an index page.
 */
#ifndef RP_FETCHER_INDEX_H
#define RP_FETCHER_INDEX_H

#include "config.h"

#include <stddef.h>

struct fetcher_index_page {
	char **links; /* matching report URLs: absolute, http(s), unique, in page order */
	size_t nlinks;
	char *next;	/* the next index page (next_pattern), or NULL */
	size_t refused; /* links that matched but were off-host, not http(s), or malformed */
};

/*
 * Scan the HTML of index page page_url of src: links whose text, title or
 * URL matches src->link_pattern, resolved against the page (or its <base>),
 * http or https only, on the index's host or one of src->allow_hosts.
 * Returns 0, or -1 when the page is not HTML that libxml2 can read.
 */
int fetcher_index_scan(const struct source *src, const char *page_url, const char *html, size_t len,
		       struct fetcher_index_page *out);

void fetcher_index_page_release(struct fetcher_index_page *p);

/* 1 when url's host is the index's own or listed in src->allow_hosts. */
int fetcher_index_host_allowed(const struct source *src, const char *url);

#endif
