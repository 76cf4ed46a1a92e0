/*
 * fetcher_index.h - the report links on an index page.
 */
#ifndef RP_FETCHER_INDEX_H
#define RP_FETCHER_INDEX_H

#include "config.h"

#include <stddef.h>

struct fetcher_index_page {
	char **links; /* matching report URLs: absolute, http(s), unique, in page order */
	char **texts; /* each link's text (else its title attribute), blanks squashed; "" none */
	size_t nlinks;
	char *next;	/* the next index page (next_pattern), or NULL */
	size_t refused; /* links that matched but were off-origin, not http(s), had
			   credentials, or were malformed */
	size_t cut;	/* matching links left out past max_links (one listed twice
			   there counts twice) */
};

/*
 * Scan the HTML of index page page_url of src: links whose text, title or
 * URL matches src->link_pattern, resolved against the page (or its <base>),
 * that fetcher_index_check_url allows, at most src->max_links of them.
 * Returns 0, or -1 when the page is not HTML that libxml2 can read.
 */
int fetcher_index_scan(const struct source *src, const char *page_url, const char *html, size_t len,
		       struct fetcher_index_page *out);

void fetcher_index_page_release(struct fetcher_index_page *p);

/* A link an index page has that the scan does not take, and why (for `reportpipe links`). */
struct fetcher_index_drop {
	char *url;  /* resolved when it could be, else the href; never a password */
	char *text; /* the link's text, blanks squashed */
	char *why;
};

struct fetcher_index_drops {
	struct fetcher_index_drop *v;
	size_t n;
};

/*
 * fetcher_index_scan, and into drops (the caller's, released with
 * fetcher_index_drops_release) every link it leaves out, with the reason.
 */
int fetcher_index_explain(const struct source *src, const char *page_url, const char *html,
			  size_t len, struct fetcher_index_page *out,
			  struct fetcher_index_drops *drops);

void fetcher_index_drops_release(struct fetcher_index_drops *drops);

/*
 * 1 when url has the index's origin (scheme, host and port, default ports
 * normalised) or an allow_hosts entry admits it: "host" on its scheme's
 * default port, "host:port" on that port.
 */
int fetcher_index_host_allowed(const struct source *src, const char *url);

/*
 * 0 when url may be fetched for src as a discovered link or a redirect:
 * http or https, no user name or password, and with lock_host, allowed by
 * fetcher_index_host_allowed. Else -1 and why (never the password).
 */
int fetcher_index_check_url(const struct source *src, const char *url, int lock_host, char *why,
			    size_t cap);

/* url without its user name and password, for logs and dead letters. */
void fetcher_index_redact(const char *url, char *out, size_t cap);

#endif
